/**
 * The fuzz mutations of issue 15 (ops.ts): generated from a real message's encoding, every op is one the
 * scenario language replays, applying them never throws anything but the engine's own "this op does not fit"
 * error, and the reference server takes whatever comes out without throwing: it ends connected, waiting, or
 * failed with an alert.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ClientPeer13 } from '../engine/peer13.ts';
import { peerConfig } from '../engine/run-case.ts';
import { encodeForWire } from '../engine/mutate.ts';
import { ScenarioRuntimeError } from '../engine/fields.ts';
import { TlsServer } from '../../implementations/reference/connection/server.ts';
import { serverConfig } from '../../implementations/reference/connection/peers.ts';
import { ContentType } from '../../implementations/reference/codec/enums.ts';
import type { HandshakeMessage } from '../../implementations/reference/codec/handshake.ts';
import { mutateOpsArbitrary, shapeOf } from './ops.ts';
import { fcParams, fcTimeout } from '../../implementations/reference/codec/fc.ts';

const clientHello = (): HandshakeMessage =>
  new ClientPeer13(peerConfig({ cipher_suites: ['TLS_AES_128_GCM_SHA256', 'TLS_AES_256_GCM_SHA384'], groups: ['x25519', 'secp256r1'], alpn: ['http/1.1'] }, 'client')).build('ClientHello') as HandshakeMessage;

/** A plaintext handshake record around the bytes (split at 2^14 like a record layer would). */
function records(bytes: Uint8Array): Uint8Array {
  const out: number[] = [];
  for (let i = 0; i < bytes.length || i === 0; i += 16384) {
    const part = bytes.subarray(i, i + 16384);
    out.push(ContentType.handshake, 3, 1, part.length >> 8, part.length & 0xff, ...part);
  }
  return Uint8Array.from(out);
}

describe('fuzz mutations of a ClientHello (issue 15)', () => {
  const shape = shapeOf(clientHello());

  it('knows the message: its length-prefixed regions include the lists and every extension', () => {
    expect(shape.regions).toEqual(expect.arrayContaining(['ClientHello', 'ClientHello.cipher_suites', 'ClientHello.extensions']));
    expect(shape.regions.some((r) => /^ClientHello\.extensions\[\d+\]\.key_share/.test(r))).toBe(true);
    expect(shape.extensions).toEqual(expect.arrayContaining(['supported_versions', 'key_share', 'supported_groups', 'signature_algorithms']));
  });

  it('every generated op list applies (or is refused as not fitting), and the reference server never throws on the result', () => {
    let applied = 0;
    let alerts = 0;
    fc.assert(
      fc.property(mutateOpsArbitrary(shape), (ops) => {
        let wire: Uint8Array;
        try {
          wire = encodeForWire(clientHello(), ops).wire;
        } catch (e) {
          // e.g. truncate at a field an earlier op removed: the engine's own refusal, never anything else.
          expect(e).toBeInstanceOf(ScenarioRuntimeError);
          return;
        }
        applied++;
        const server = new TlsServer(serverConfig());
        expect(() => server.receive(records(wire))).not.toThrow();
        expect(['handshaking', 'connected', 'failed']).toContain(server.state);
        if (server.state === 'failed') alerts++;
      }),
      fcParams(300),
    );
    // The generator is not idle: most lists apply, and many of them break the ClientHello.
    const runs = fcParams(300).numRuns ?? 300;
    expect(applied).toBeGreaterThan(runs * 0.6);
    expect(alerts).toBeGreaterThan(runs * 0.15);
  }, fcTimeout(300));
});
