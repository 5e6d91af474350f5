/**
 * The harness's own FFDHE key share chosen for a test (scenario `config.ffdhe_leading_zero`, harness as TLS 1.3
 * server): a private key searched for until the value under test starts with a zero byte.
 *
 * - `shared_secret`: Z = Y_client^x mod p < 2^(8*(|p|-1)). RFC 8446 7.4.1: "The negotiated key (Z) is converted
 *   to a byte string by encoding in big-endian form and left-padded with zeros up to the size of the prime." A
 *   client that strips the leading zero (as TLS 1.2's premaster secret does, RFC 5246 8.1.2) derives other keys.
 * - `public_value`: the harness's Y = g^x mod p < 2^(8*(|p|-1)), sent left-padded to |p| as RFC 8446 4.2.8.1
 *   says ("Note: For a given Diffie-Hellman group, the padding results in all public keys having the same
 *   length.").
 *
 * Each candidate has a chance of about 1/256 (Z and Y are close to uniform in [2, p-2], and p's top byte is 0xff
 * for every RFC 7919 group), so ~256 are expected; FFDHE_LEADING_ZERO_MAX_TRIES bounds them (failure chance
 * (255/256)^4096, about 1e-7: the case is then an error).
 */
import type { KeyExchange, KeyPair } from '../../implementations/reference/crypto/provider.ts';
import { CryptoError } from '../../implementations/reference/crypto/provider.ts';
import { FFDHE_GROUPS, type FfdheGroupName } from '../../implementations/reference/crypto/ffdhe.ts';
import { bigintToBytes, bytesToBigint } from '../../implementations/reference/connection/tls12/common12.ts';
import { FFDHE_LEADING_ZERO } from '../scenario/format.ts';
import { ScenarioRuntimeError } from './fields.ts';

export type FfdheLeadingZero = (typeof FFDHE_LEADING_ZERO)[number];
export const FFDHE_LEADING_ZERO_MAX_TRIES = 4096;

export interface LeadingZeroKey {
  kp: KeyPair;
  /** Z for the peer's public value, left-padded to |p| (the harness's key schedule uses exactly these bytes). */
  shared: Uint8Array;
  /** Candidates it took (1: the first key). */
  tries: number;
}

/**
 * A key pair of `kx` (an ffdhe group) whose shared secret with `peerPublic` (or whose own public value) starts
 * with a zero byte; undefined when the peer's value is invalid (RFC 7919 5.1: the peer's own checks judge it).
 * Throws a ScenarioRuntimeError (the case is an error, never a pass that did not test the zero) when none of
 * `maxTries` candidates has one.
 *
 * The candidates are x0, x0 + 1, x0 + 2, ... from a fresh random x0 (or `start`, for tests): one modexp for x0,
 * then each next Z = Z * Y_client mod p and Y = Y * g mod p is one modular multiplication (a draw of a fresh
 * key costs two modexps: about 40 ms for ffdhe4096 on a loaded machine, too slow for 256 of them within a case).
 * The key found is made again by the provider (kx.generate(x), kx.sharedSecret) and checked against the search.
 */
export function ffdheLeadingZeroKey(kx: KeyExchange, peerPublic: Uint8Array, which: FfdheLeadingZero, maxTries = FFDHE_LEADING_ZERO_MAX_TRIES, start?: Uint8Array): LeadingZeroKey | undefined {
  const group = FFDHE_GROUPS[kx.group as FfdheGroupName];
  if (!group) throw new ScenarioRuntimeError(`config.ffdhe_leading_zero: ${kx.group} is not an ffdhe group`);
  const { p, g, byteLength } = group;
  const first = kx.generate(start);
  let shared: Uint8Array;
  try {
    shared = kx.sharedSecret(first.privateKey, peerPublic);
  } catch (e) {
    if (e instanceof CryptoError) return undefined;
    throw e;
  }
  const limit = 1n << BigInt(8 * (byteLength - 1));
  const x0 = bytesToBigint(first.privateKey);
  const yPeer = bytesToBigint(peerPublic);
  let y = bytesToBigint(first.publicKey);
  let z = bytesToBigint(shared);
  for (let k = 0; k < maxTries; k++) {
    if ((which === 'shared_secret' ? z : y) < limit) {
      if (k === 0) return { kp: first, shared, tries: 1 };
      const x = x0 + BigInt(k);
      const kp = kx.generate(bigintToBytes(x, Math.max(first.privateKey.length, Math.ceil(x.toString(16).length / 2))));
      const zk = kx.sharedSecret(kp.privateKey, peerPublic);
      if (bytesToBigint(kp.publicKey) !== y || bytesToBigint(zk) !== z) throw new Error(`ffdheLeadingZeroKey: ${kx.group} key ${k} differs from the search`);
      return { kp, shared: zk, tries: k + 1 };
    }
    y = (y * g) % p;
    z = (z * yPeer) % p;
  }
  throw new ScenarioRuntimeError(`config.ffdhe_leading_zero: no ${kx.group} key with a ${which} starting with a zero byte in ${maxTries} candidates`);
}
