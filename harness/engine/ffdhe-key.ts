/**
 * The harness's own FFDHE key share chosen for a test (scenario `config.ffdhe_leading_zero`, harness as TLS 1.3
 * server): a private key drawn again and again until the value under test starts with a zero byte.
 *
 * - `shared_secret`: Z = Y_client^x mod p < 2^(8*(|p|-1)). RFC 8446 7.4.1: "The negotiated key (Z) is converted
 *   to a byte string by encoding in big-endian form and left-padded with zeros up to the size of the prime." A
 *   client that strips the leading zero (as TLS 1.2's premaster secret does, RFC 5246 8.1.2) derives other keys.
 * - `public_value`: the harness's Y = g^x mod p < 2^(8*(|p|-1)), sent left-padded to |p| as RFC 8446 4.2.8.1
 *   says ("Note: For a given Diffie-Hellman group, the padding results in all public keys having the same
 *   length.").
 *
 * Each draw has a chance of about 1/256 (Z and Y are close to uniform in [2, p-2], and p's top byte is 0xff for
 * every RFC 7919 group), so ~256 draws are expected; FFDHE_LEADING_ZERO_MAX_TRIES bounds them (failure
 * chance (255/256)^4096, about 1e-7: the case is then an error).
 */
import type { KeyExchange, KeyPair } from '../../implementations/reference/crypto/provider.ts';
import { CryptoError } from '../../implementations/reference/crypto/provider.ts';
import { FFDHE_LEADING_ZERO } from '../scenario/format.ts';
import { ScenarioRuntimeError } from './fields.ts';

export type FfdheLeadingZero = (typeof FFDHE_LEADING_ZERO)[number];
export const FFDHE_LEADING_ZERO_MAX_TRIES = 4096;

export interface LeadingZeroKey {
  kp: KeyPair;
  /** Z for the peer's public value, left-padded to |p| (the harness's key schedule uses exactly these bytes). */
  shared: Uint8Array;
  /** Draws it took. */
  tries: number;
}

/**
 * A key pair of `kx` (an ffdhe group) whose shared secret with `peerPublic` (or whose own public value) starts
 * with a zero byte; undefined when the peer's value is invalid (RFC 7919 5.1: the peer's own checks judge it).
 * Throws a ScenarioRuntimeError (the case is an error, never a pass that did not test the zero) when no draw
 * within `maxTries` has one.
 */
export function ffdheLeadingZeroKey(kx: KeyExchange, peerPublic: Uint8Array, which: FfdheLeadingZero, maxTries = FFDHE_LEADING_ZERO_MAX_TRIES): LeadingZeroKey | undefined {
  for (let tries = 1; tries <= maxTries; tries++) {
    const kp = kx.generate();
    if (which === 'public_value' && kp.publicKey[0] !== 0) continue;
    let shared: Uint8Array;
    try {
      shared = kx.sharedSecret(kp.privateKey, peerPublic);
    } catch (e) {
      if (e instanceof CryptoError) return undefined;
      throw e;
    }
    if (which === 'shared_secret' && shared[0] !== 0) continue;
    return { kp, shared, tries };
  }
  throw new ScenarioRuntimeError(`config.ffdhe_leading_zero: no ${kx.group} key with a ${which} starting with a zero byte in ${maxTries} draws`);
}
