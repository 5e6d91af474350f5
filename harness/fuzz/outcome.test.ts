/**
 * The differential oracle's measure (outcome.ts): outcome classes of real conversations against the embedded
 * reference, and the reference against itself gives the same outcome for every fuzzed ClientHello (no
 * findings where there is no difference).
 */
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { ReferenceTarget } from '../targets/reference.ts';
import { ClientPeer13 } from '../engine/peer13.ts';
import { peerConfig } from '../engine/run-case.ts';
import type { HandshakeMessage } from '../../implementations/reference/codec/handshake.ts';
import type { PeerConfig } from '../scenario/model.ts';
import { mutateOpsArbitrary, shapeOf } from './ops.ts';
import { clientHelloOutcome, outcomeLabel } from './outcome.ts';

const config: PeerConfig = { cipher_suites: ['TLS_AES_128_GCM_SHA256'], groups: ['x25519'] };
const a = new ReferenceTarget();
const b = new ReferenceTarget();
afterAll(async () => {
  await a.stop();
  await b.stop();
});

describe('outcome classes (issue 15)', () => {
  it('the unmutated ClientHello: the handshake continues; a broken cipher_suites length: decode_error; no extensions block: an alert', async () => {
    expect(outcomeLabel(await clientHelloOutcome(a, [], config))).toBe('continues');
    expect(outcomeLabel(await clientHelloOutcome(a, [{ op: 'length', field: 'ClientHello.cipher_suites', value: 3 }], config))).toBe('alert decode_error');
    expect(outcomeLabel(await clientHelloOutcome(a, [{ op: 'remove_extension', type: 'supported_versions' }], config))).toMatch(/^alert /);
  });

  it('the reference against itself: the same outcome for every fuzzed ClientHello (seed 15)', async () => {
    const shape = shapeOf(new ClientPeer13(peerConfig(config, 'client')).build('ClientHello') as HandshakeMessage);
    const seen = new Map<string, number>();
    await fc.assert(
      fc.asyncProperty(mutateOpsArbitrary(shape), async (ops) => {
        const [x, y] = await Promise.all([clientHelloOutcome(a, ops, config), clientHelloOutcome(b, ops, config)]);
        seen.set(outcomeLabel(x), (seen.get(outcomeLabel(x)) ?? 0) + 1);
        expect(outcomeLabel(y)).toBe(outcomeLabel(x));
      }),
      { seed: 15, numRuns: 40 },
    );
    // The fuzzed ClientHellos reach several outcome classes, not one.
    expect(seen.size).toBeGreaterThan(2);
  }, 60_000);
});
