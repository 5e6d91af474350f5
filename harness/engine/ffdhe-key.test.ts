import { describe, expect, it } from 'vitest';
import { ContentType, NamedGroup } from '../../implementations/reference/codec/enums.ts';
import { TlsClient } from '../../implementations/reference/connection/client.ts';
import { makeConfig } from '../../implementations/reference/connection/config.ts';
import { FIXED_NOW, testClientConfig } from '../../implementations/reference/connection/testing.ts';
import { bigintToBytes, bytesToBigint, modPow } from '../../implementations/reference/connection/tls12/common12.ts';
import { FFDHE_GROUPS } from '../../implementations/reference/crypto/ffdhe.ts';
import type { KeyPair } from '../../implementations/reference/crypto/provider.ts';
import { allProviders } from '../../implementations/reference/crypto/providers.ts';
import type { Tls13Suite } from '../../implementations/reference/connection/tls13.ts';
import { ffdheLeadingZeroKey } from './ffdhe-key.ts';
import { TargetLacksError } from './fields.ts';
import { encodeForWire } from './mutate.ts';
import { ServerPeer13, type Observation } from './peer13.ts';
import { peerConfig } from './run-case.ts';
import { SERVER_FLIGHT as FULL, observedNames, serverSends } from './testing.ts';

const { p, byteLength } = FFDHE_GROUPS.ffdhe2048;
const toHex = (b: Uint8Array) => Buffer.from(b).toString('hex');

describe('ffdheLeadingZeroKey (config.ffdhe_leading_zero)', () => {
  for (const provider of allProviders()) {
    const kx = provider.keyExchange('ffdhe2048');
    it(`${provider.name}: shared_secret: Z = Y^x mod p starts with a zero byte, left-padded to |p| (RFC 8446 7.4.1), the same for the peer`, () => {
      const client = kx.generate();
      const chosen = ffdheLeadingZeroKey(kx, client.publicKey, 'shared_secret')!;
      expect(chosen).toBeDefined();
      // Z computed here with BigInt, independently of the provider.
      const z = modPow(bytesToBigint(client.publicKey), bytesToBigint(chosen.kp.privateKey), p);
      expect(z < 1n << BigInt(8 * (byteLength - 1))).toBe(true);
      expect(Buffer.from(chosen.shared).equals(Buffer.from(bigintToBytes(z, byteLength)))).toBe(true);
      expect(chosen.shared.length).toBe(byteLength);
      expect(chosen.shared[0]).toBe(0);
      // The client's side of the exchange gets the same padded bytes.
      expect(Buffer.from(kx.sharedSecret(client.privateKey, chosen.kp.publicKey)).equals(Buffer.from(chosen.shared))).toBe(true);
      expect(chosen.tries).toBeGreaterThanOrEqual(1);
    });

    it(`${provider.name}: public_value: the harness's Y starts with a zero byte, sent padded to |p| (RFC 8446 4.2.8.1)`, () => {
      const client = kx.generate();
      const chosen = ffdheLeadingZeroKey(kx, client.publicKey, 'public_value')!;
      expect(chosen.kp.publicKey.length).toBe(byteLength);
      expect(chosen.kp.publicKey[0]).toBe(0);
      expect(bytesToBigint(chosen.kp.publicKey)).toBe(modPow(2n, bytesToBigint(chosen.kp.privateKey), p));
    });
  }

  it('gives up on an invalid peer value (RFC 7919 5.1: 1 < Y < p-1), and with an error after maxTries candidates', () => {
    const kx = allProviders()[0].keyExchange('ffdhe2048');
    expect(ffdheLeadingZeroKey(kx, Uint8Array.of(1), 'shared_secret')).toBeUndefined();
    // From x = 2047 (a fixed start): g^x = 2^2047 < p has no zero byte; 2^2048 mod p = 2^1984 - ... has eight.
    const x = Uint8Array.of(0x07, 0xff);
    expect(() => ffdheLeadingZeroKey(kx, Uint8Array.of(5), 'public_value', 1, x)).toThrow(/no ffdhe2048 key with a public_value starting with a zero byte in 1 candidates/);
    const y = ffdheLeadingZeroKey(kx, Uint8Array.of(5), 'public_value', 2, x)!;
    expect([y.tries, bytesToBigint(y.kp.privateKey), bytesToBigint(y.kp.publicKey), toHex(y.kp.publicKey.subarray(0, 8))]).toEqual([2, 2048n, (1n << 2048n) % p, '00'.repeat(8)]);
    // With the peer's Y = 2, Z = 2^x mod p: the same sequence.
    expect(() => ffdheLeadingZeroKey(kx, Uint8Array.of(2), 'shared_secret', 1, x)).toThrow(/in 1 candidates/);
    const z = ffdheLeadingZeroKey(kx, Uint8Array.of(2), 'shared_secret', 2, x)!;
    expect([z.tries, bytesToBigint(z.shared), z.shared.length]).toEqual([2, (1n << 2048n) % p, byteLength]);
  });
});

// The harness as server (ServerPeer13) with config.ffdhe_leading_zero against the reference client.

const names = observedNames;
const violations = (obs: Observation[]) => obs.filter((o) => o.kind === 'record_error' || (o.kind === 'handshake' && (o.violation || o.decodeError)));


function server(which: 'shared_secret' | 'public_value') {
  const config = makeConfig({ ...peerConfig({ cipher_suites: ['TLS_AES_128_GCM_SHA256'], groups: ['ffdhe2048'] }, 'server'), now: () => FIXED_NOW });
  const peer = new ServerPeer13(config);
  peer.ffdheLeadingZero = which;
  return peer;
}

/** The peer's private state this test looks into: its key share, the suite and the handshake secret. */
type Inside = { pendingShare: { kp: KeyPair; peer: Uint8Array }; handshakeSecret: Uint8Array; suite: Tls13Suite };

describe('ServerPeer13 with config.ffdhe_leading_zero', () => {
  it('shared_secret: keys the handshake with the padded Z (not Z stripped of its zero), and the reference client completes it', () => {
    const peer = server('shared_secret');
    const cl = new TlsClient(testClientConfig({ groups: [NamedGroup.ffdhe2048] }));
    cl.start();
    expect(names(peer.ingest(cl.takeOutput()))).toEqual(['ClientHello']);
    cl.receive(serverSends(peer, FULL));
    const last = peer.ingest(cl.takeOutput());
    expect(names(last)).toEqual(['Finished']);
    expect(violations(last)).toEqual([]);
    expect(peer.handshakeComplete).toBe(true);
    expect(peer.ffdheLeadingZeroNote).toMatch(/^ffdhe2048, shared_secret after \d+ candidate\(s\): Z \(256 bytes\) starts 00/);

    const inside = peer as unknown as Inside;
    const z = allProviders()[0].keyExchange('ffdhe2048').sharedSecret(inside.pendingShare.kp.privateKey, inside.pendingShare.peer);
    expect(z.length).toBe(256);
    expect(z[0]).toBe(0);
    const ks = inside.suite.ks;
    expect(Buffer.from(inside.handshakeSecret).equals(Buffer.from(ks.handshakeSecret(ks.earlySecret(), z)))).toBe(true);
    // A client that strips the zero (TLS 1.2's rule, RFC 5246 8.1.2) would derive another handshake secret.
    let lead = 0;
    while (z[lead] === 0) lead++;
    expect(Buffer.from(inside.handshakeSecret).equals(Buffer.from(ks.handshakeSecret(ks.earlySecret(), z.subarray(lead))))).toBe(false);
  });

  it('public_value: sends a Y starting with a zero byte, padded to |p|, and the reference client completes the handshake', () => {
    const peer = server('public_value');
    const cl = new TlsClient(testClientConfig({ groups: [NamedGroup.ffdhe2048] }));
    cl.start();
    peer.ingest(cl.takeOutput());
    const sh = peer.build('ServerHello');
    const share = sh.msg_type === 'server_hello' ? sh.extensions?.find((e) => e.type === 'key_share') : undefined;
    const y = share?.type === 'key_share' && 'server_share' in share ? share.server_share?.key_exchange : undefined;
    expect(y?.length).toBe(256);
    expect(y?.[0]).toBe(0);
    const { wire } = encodeForWire(sh, []);
    peer.rl.send(ContentType.handshake, wire);
    peer.commit(sh, wire);
    cl.receive(serverSends(peer, FULL.slice(1)));
    expect(violations(peer.ingest(cl.takeOutput()))).toEqual([]);
    expect(peer.handshakeComplete).toBe(true);
  });

  it('after a HelloRetryRequest to ffdhe2048, and a skip (TargetLacksError) for a client that lists no ffdhe group', () => {
    const peer = server('shared_secret');
    const cl = new TlsClient(testClientConfig({ groups: [NamedGroup.x25519, NamedGroup.ffdhe2048], keyShareGroups: [NamedGroup.x25519] }));
    cl.start();
    peer.ingest(cl.takeOutput());
    cl.receive(serverSends(peer, ['HelloRetryRequest']));
    expect(names(peer.ingest(cl.takeOutput()))).toEqual(['ClientHello']);
    cl.receive(serverSends(peer, FULL));
    expect(violations(peer.ingest(cl.takeOutput()))).toEqual([]);
    expect(peer.handshakeComplete).toBe(true);

    const lacking = server('shared_secret');
    const ecdhe = new TlsClient(testClientConfig({ groups: [NamedGroup.x25519, NamedGroup.secp256r1], keyShareGroups: [NamedGroup.x25519] }));
    ecdhe.start();
    lacking.ingest(ecdhe.takeOutput());
    expect(() => lacking.build('HelloRetryRequest')).toThrow(TargetLacksError);
    expect(() => lacking.build('ServerHello')).toThrow(/not an ffdhe group/);
  });
});
