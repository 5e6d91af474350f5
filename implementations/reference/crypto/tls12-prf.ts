/**
 * The TLS 1.2 PRF and what is derived from it: RFC 5246 5 (P_hash, PRF), 8.1 (master secret), RFC 7627 4
 * (extended master secret), 6.3 (key block and its partition) and 7.4.9 (Finished verify_data).
 *
 * TLS 1.2 suites use P_SHA256 unless the suite names another hash (the _SHA384 suites use P_SHA384,
 * RFC 5288 3 / RFC 5289 3); the hash is a parameter here, taken from CipherSuiteParams.prfHash.
 */
import type { CryptoProvider, HashName } from './provider.ts';
import { CryptoError } from './provider.ts';
import type { CipherSuiteParams } from './suites.ts';
import { concatBytes as concat } from '../codec/bytes.ts';

const TEXT = new TextEncoder();


/**
 * RFC 5246 5:
 *   P_hash(secret, seed) = HMAC_hash(secret, A(1) + seed) + HMAC_hash(secret, A(2) + seed) + ...
 *   A(0) = seed, A(i) = HMAC_hash(secret, A(i-1)); the output is truncated to `length`.
 */
export function pHash(provider: CryptoProvider, hash: HashName, secret: Uint8Array, seed: Uint8Array, length: number): Uint8Array {
  if (!Number.isInteger(length) || length < 0) throw new CryptoError('bad_length', `P_hash: bad output length ${length}`);
  const out = new Uint8Array(length);
  let a = seed;
  for (let off = 0; off < length; ) {
    a = provider.hmac(hash, secret, a);
    const block = provider.hmac(hash, secret, concat(a, seed));
    out.set(block.subarray(0, Math.min(block.length, length - off)), off);
    off += block.length;
  }
  return out;
}

/** RFC 5246 5: PRF(secret, label, seed) = P_<hash>(secret, label + seed); the label is ASCII with no length byte or NUL. */
export function prf(
  provider: CryptoProvider,
  hash: HashName,
  secret: Uint8Array,
  label: string | Uint8Array,
  seed: Uint8Array,
  length: number,
): Uint8Array {
  const labelBytes = typeof label === 'string' ? TEXT.encode(label) : label;
  return pHash(provider, hash, secret, concat(labelBytes, seed), length);
}

/** RFC 5246 8.1: the master secret is always exactly 48 bytes. */
export const MASTER_SECRET_LENGTH = 48;

/** RFC 5246 8.1: master_secret = PRF(pre_master_secret, "master secret", ClientHello.random + ServerHello.random)[0..47]. */
export function masterSecret(
  provider: CryptoProvider,
  hash: HashName,
  preMasterSecret: Uint8Array,
  clientRandom: Uint8Array,
  serverRandom: Uint8Array,
): Uint8Array {
  return prf(provider, hash, preMasterSecret, 'master secret', concat(clientRandom, serverRandom), MASTER_SECRET_LENGTH);
}

/**
 * RFC 7627 4: master_secret = PRF(pre_master_secret, "extended master secret", session_hash)[0..47],
 * where session_hash = Hash(handshake_messages) up to and including ClientKeyExchange (RFC 7627 3),
 * computed by the caller with the PRF hash.
 */
export function extendedMasterSecret(
  provider: CryptoProvider,
  hash: HashName,
  preMasterSecret: Uint8Array,
  sessionHash: Uint8Array,
): Uint8Array {
  return prf(provider, hash, preMasterSecret, 'extended master secret', sessionHash, MASTER_SECRET_LENGTH);
}

/** RFC 5246 6.3: key_block = PRF(master_secret, "key expansion", server_random + client_random). Note the order. */
export function keyBlock(
  provider: CryptoProvider,
  hash: HashName,
  master: Uint8Array,
  clientRandom: Uint8Array,
  serverRandom: Uint8Array,
  length: number,
): Uint8Array {
  return prf(provider, hash, master, 'key expansion', concat(serverRandom, clientRandom), length);
}

/** RFC 5246 6.3: the key block partitioned for one connection. Unused values are empty. */
export interface Tls12KeyMaterial {
  clientWriteMacKey: Uint8Array;
  serverWriteMacKey: Uint8Array;
  clientWriteKey: Uint8Array;
  serverWriteKey: Uint8Array;
  clientWriteIv: Uint8Array;
  serverWriteIv: Uint8Array;
}

/** The suite parameters the key block partition needs (a CipherSuiteParams fits). */
export type KeyBlockParams = Pick<CipherSuiteParams, 'keyLength' | 'fixedIvLength' | 'prfHash'> & {
  mac: { keyLength: number } | null;
};

/**
 * RFC 5246 6.3: key_block is partitioned, in order, into client_write_MAC_key, server_write_MAC_key
 * [mac_key_length], client_write_key, server_write_key [enc_key_length], client_write_IV,
 * server_write_IV [fixed_iv_length].
 */
export function deriveKeyMaterial(
  provider: CryptoProvider,
  suite: KeyBlockParams,
  master: Uint8Array,
  clientRandom: Uint8Array,
  serverRandom: Uint8Array,
): Tls12KeyMaterial {
  const macLen = suite.mac?.keyLength ?? 0;
  const total = 2 * (macLen + suite.keyLength + suite.fixedIvLength);
  const block = keyBlock(provider, suite.prfHash, master, clientRandom, serverRandom, total);
  let off = 0;
  const take = (n: number): Uint8Array => {
    const v = block.slice(off, off + n);
    off += n;
    return v;
  };
  return {
    clientWriteMacKey: take(macLen),
    serverWriteMacKey: take(macLen),
    clientWriteKey: take(suite.keyLength),
    serverWriteKey: take(suite.keyLength),
    clientWriteIv: take(suite.fixedIvLength),
    serverWriteIv: take(suite.fixedIvLength),
  };
}

/** RFC 5246 7.4.9: verify_data_length is 12 for every TLS 1.2 cipher suite defined so far. */
export const FINISHED_VERIFY_DATA_LENGTH = 12;

/**
 * RFC 5246 7.4.9: verify_data = PRF(master_secret, finished_label, Hash(handshake_messages))[0..11], with
 * finished_label "client finished" or "server finished" by the sender. `handshakeHash` is Hash(handshake_messages)
 * with the PRF hash, computed by the caller (who keeps the transcript).
 */
export function finishedVerifyData(
  provider: CryptoProvider,
  hash: HashName,
  master: Uint8Array,
  sender: 'client' | 'server',
  handshakeHash: Uint8Array,
  length = FINISHED_VERIFY_DATA_LENGTH,
): Uint8Array {
  return prf(provider, hash, master, sender === 'client' ? 'client finished' : 'server finished', handshakeHash, length);
}
