/**
 * The symmetric half of the default CryptoProvider, on @noble/hashes and @noble/ciphers.
 *
 * Hashes, HMAC, HKDF (RFC 5869), the AEADs (AES-128/192/256-GCM, RFC 5116 / NIST SP 800-38D; ChaCha20-Poly1305,
 * RFC 8439; AES-128/192/256-CCM with 16-byte tags and AES-128-CCM-8, NIST SP 800-38C / RFC 6655, in ccm.ts) and
 * raw AES-128/192/256-CBC (no padding: TLS CBC padding is the record layer's, RFC 5246 6.2.3.2).
 * AES-192, AES-256-CCM and nonces other than 96 bits are used by no TLS suite; they are here for the
 * known-answer tests.
 * The asymmetric members live in asymmetric.ts; index.ts spreads both into `nobleProvider`.
 */
import { randomFillSync } from 'node:crypto';
import { sha256, sha384, sha512 } from '@noble/hashes/sha2.js';
import { sha1 } from '@noble/hashes/legacy.js';
import { hmac } from '@noble/hashes/hmac.js';
import { extract as hkdfExtractNoble } from '@noble/hashes/hkdf.js';
import { gcm, cbc } from '@noble/ciphers/aes.js';
import { chacha20poly1305 } from '@noble/ciphers/chacha.js';
import { ccm, CCM_MAX_NONCE, CCM_MIN_NONCE } from './ccm.ts';
import {
  checkCbcInput,
  CryptoError,
  type Aead,
  type AeadName,
  type Cbc,
  type CbcName,
  type CryptoProvider,
  type HashName,
  type HashState,
} from '../provider.ts';

/** The CryptoProvider members this file implements. */
export type SymmetricPrimitives = Pick<
  CryptoProvider,
  'randomBytes' | 'hashLength' | 'hash' | 'createHash' | 'hmac' | 'hkdfExtract' | 'hkdfExpand' | 'aead' | 'cbc'
>;

// Every noble hash has this shape (CHash); a local structural type keeps the noble generics out of our API.
interface NobleHashInstance {
  update(data: Uint8Array): unknown;
  digest(): Uint8Array;
  clone(): NobleHashInstance;
}
interface NobleHash {
  (msg: Uint8Array): Uint8Array;
  create(): NobleHashInstance;
  outputLen: number;
  blockLen: number;
}

const HASHES: Record<HashName, NobleHash> = {
  sha1: sha1 as unknown as NobleHash,
  sha256: sha256 as unknown as NobleHash,
  sha384: sha384 as unknown as NobleHash,
  sha512: sha512 as unknown as NobleHash,
};

function nobleHash(alg: HashName): NobleHash {
  const h = Object.prototype.hasOwnProperty.call(HASHES, alg) ? HASHES[alg] : undefined;
  if (!h) throw new CryptoError('unsupported', `unsupported hash ${String(alg)}`);
  return h;
}

/** A HashState over a noble hash instance; digest() works on a clone so the running state continues. */
class NobleHashState implements HashState {
  constructor(private readonly inner: NobleHashInstance) {}
  update(data: Uint8Array): this {
    this.inner.update(data);
    return this;
  }
  digest(): Uint8Array {
    return this.inner.clone().digest();
  }
  clone(): HashState {
    return new NobleHashState(this.inner.clone());
  }
}

type AeadSpec = {
  keyLength: number;
  /** 16, except AES-128-CCM-8 (8: RFC 6655 3, AEAD_AES_128_CCM_8). */
  tagLength: number;
  /** Which nonce lengths seal/open take; the Aead's nonceLength property stays the TLS length, 12. */
  checkNonce: (alg: AeadName, nonce: Uint8Array) => void;
  make: (key: Uint8Array, nonce: Uint8Array, aad: Uint8Array) => { encrypt(p: Uint8Array): Uint8Array; decrypt(c: Uint8Array): Uint8Array };
};

const AEAD_NONCE_LENGTH = 12; // RFC 5116 5.1 / RFC 8439 2.8; RFC 8446 5.3 iv_length = max(8, N_MIN) = 12
const AEAD_TAG_LENGTH = 16; // RFC 5116 5.1 / 5.3, RFC 8439 2.8
const CCM_8_TAG_LENGTH = 8; // RFC 6655 3: AEAD_AES_128_CCM_8 has an 8-octet authentication tag
/** @noble/ciphers' gcm refuses IVs under 8 bytes (NIST SP 800-38D 5.2.1.1 lets an implementation restrict IV lengths). */
const GCM_MIN_NONCE_LENGTH = 8;

/** ChaCha20-Poly1305 takes exactly a 96-bit nonce (RFC 8439 2.8). */
function exactly12(alg: AeadName, nonce: Uint8Array): void {
  if (nonce.length !== AEAD_NONCE_LENGTH)
    throw new CryptoError('bad_length', `${alg}: nonce must be ${AEAD_NONCE_LENGTH} bytes, got ${nonce.length}`);
}

/**
 * GCM takes any IV of 1 bit or more (NIST SP 800-38D 5.2.1.1; a 96-bit IV is used directly as J0's prefix,
 * any other length goes through GHASH, 7.1 step 2). An empty IV is outside GCM: bad_length. 1..7 bytes are
 * valid GCM that the noble primitive does not implement: unsupported.
 */
function gcmNonce(alg: AeadName, nonce: Uint8Array): void {
  if (nonce.length === 0) throw new CryptoError('bad_length', `${alg}: empty nonce (NIST SP 800-38D 5.2.1.1: len(IV) >= 1)`);
  if (nonce.length < GCM_MIN_NONCE_LENGTH)
    throw new CryptoError(
      'unsupported',
      `${alg}: ${nonce.length}-byte nonce: @noble/ciphers gcm requires at least ${GCM_MIN_NONCE_LENGTH} bytes`,
    );
}

/** CCM takes a nonce of 7 to 13 bytes (NIST SP 800-38C A.1); anything else is outside CCM: bad_length. */
function ccmNonce(alg: AeadName, nonce: Uint8Array): void {
  if (nonce.length < CCM_MIN_NONCE || nonce.length > CCM_MAX_NONCE)
    throw new CryptoError('bad_length', `${alg}: nonce must be ${CCM_MIN_NONCE} to ${CCM_MAX_NONCE} bytes, got ${nonce.length} (NIST SP 800-38C A.1)`);
}

const GCM = (keyLength: number): AeadSpec => ({ keyLength, tagLength: AEAD_TAG_LENGTH, checkNonce: gcmNonce, make: (k, n, a) => gcm(k, n, a) });
const CCM = (keyLength: number, tagLength: number): AeadSpec => ({ keyLength, tagLength, checkNonce: ccmNonce, make: (k, n, a) => ccm(k, n, a, tagLength) });

const AEADS: Record<AeadName, AeadSpec> = {
  'aes-128-gcm': GCM(16),
  'aes-192-gcm': GCM(24),
  'aes-256-gcm': GCM(32),
  'chacha20-poly1305': { keyLength: 32, tagLength: AEAD_TAG_LENGTH, checkNonce: exactly12, make: (k, n, a) => chacha20poly1305(k, n, a) },
  // RFC 5116 5.3 AEAD_AES_128_CCM (TLS_AES_128_CCM_SHA256); the 192/256-bit keys only for known-answer tests.
  'aes-128-ccm': CCM(16, AEAD_TAG_LENGTH),
  'aes-192-ccm': CCM(24, AEAD_TAG_LENGTH),
  'aes-256-ccm': CCM(32, AEAD_TAG_LENGTH),
  // RFC 6655 3 AEAD_AES_128_CCM_8 (TLS_AES_128_CCM_8_SHA256).
  'aes-128-ccm-8': CCM(16, CCM_8_TAG_LENGTH),
};

/**
 * nonceLength is the TLS nonce length (12) for every AEAD, which record protection builds and checks.
 * seal/open also take the other nonce lengths the primitive implements (GCM >= 8 bytes, CCM 7..13), for
 * known-answer tests; ChaCha20-Poly1305 takes only 12.
 */
class NobleAead implements Aead {
  readonly nonceLength = AEAD_NONCE_LENGTH;
  readonly tagLength: number;
  constructor(
    private readonly alg: AeadName,
    private readonly key: Uint8Array,
    readonly keyLength: number,
  ) {
    this.tagLength = AEADS[alg].tagLength;
  }
  seal(nonce: Uint8Array, plaintext: Uint8Array, aad: Uint8Array): Uint8Array {
    const spec = AEADS[this.alg];
    spec.checkNonce(this.alg, nonce);
    return spec.make(this.key, nonce, aad).encrypt(plaintext);
  }
  open(nonce: Uint8Array, ciphertext: Uint8Array, aad: Uint8Array): Uint8Array | null {
    const spec = AEADS[this.alg];
    spec.checkNonce(this.alg, nonce);
    // A ciphertext shorter than the tag cannot verify: that is a bad tag, reported as null.
    if (ciphertext.length < this.tagLength) return null;
    try {
      return spec.make(this.key, nonce, aad).decrypt(ciphertext);
    } catch {
      // noble throws on tag mismatch; the provider contract reports it as a value.
      return null;
    }
  }
}

const CBC_KEY_LENGTHS: Record<CbcName, number> = { 'aes-128-cbc': 16, 'aes-192-cbc': 24, 'aes-256-cbc': 32 };
const AES_BLOCK = 16;

class NobleCbc implements Cbc {
  readonly blockLength = AES_BLOCK;
  constructor(
    private readonly alg: CbcName,
    private readonly key: Uint8Array,
    readonly keyLength: number,
  ) {}
  encrypt(iv: Uint8Array, data: Uint8Array): Uint8Array {
    checkCbcInput(this.alg, iv, data);
    return cbc(this.key, iv, { disablePadding: true }).encrypt(data);
  }
  decrypt(iv: Uint8Array, data: Uint8Array): Uint8Array {
    checkCbcInput(this.alg, iv, data);
    return cbc(this.key, iv, { disablePadding: true }).decrypt(data);
  }
}

export const symmetricPrimitives: SymmetricPrimitives = {
  randomBytes(n: number): Uint8Array {
    const out = new Uint8Array(n);
    randomFillSync(out);
    return out;
  },

  hashLength(alg: HashName): number {
    return nobleHash(alg).outputLen;
  },

  hash(alg: HashName, data: Uint8Array): Uint8Array {
    return nobleHash(alg)(data);
  },

  createHash(alg: HashName): HashState {
    return new NobleHashState(nobleHash(alg).create());
  },

  hmac(alg: HashName, key: Uint8Array, data: Uint8Array): Uint8Array {
    return hmac(nobleHash(alg) as never, key, data);
  },

  // RFC 5869 2.2: PRK = HMAC-Hash(salt, IKM); an absent salt is HashLen zeros (an empty salt gives the same HMAC key).
  hkdfExtract(alg: HashName, salt: Uint8Array, ikm: Uint8Array): Uint8Array {
    const h = nobleHash(alg);
    return hkdfExtractNoble(h as never, ikm, salt.length === 0 ? new Uint8Array(h.outputLen) : salt);
  },

  hkdfExpand(alg: HashName, prk: Uint8Array, info: Uint8Array, length: number): Uint8Array {
    const h = nobleHash(alg);
    // RFC 5869 2.3: "L length of output keying material in octets (<= 255*HashLen)".
    if (!Number.isInteger(length) || length < 0 || length > 255 * h.outputLen)
      throw new CryptoError('bad_length', `HKDF-Expand: L=${length} exceeds 255*HashLen=${255 * h.outputLen} (RFC 5869 2.3)`);
    // RFC 5869 2.3: T(0) = empty; T(i) = HMAC-Hash(PRK, T(i-1) | info | i); OKM = first L octets of T.
    // Written out here (not noble's expand) because noble also refuses a PRK shorter than HashLen, which
    // RFC 5869 describes but HMAC does not need; the provider contract allows only CryptoError('bad_length').
    const okm = new Uint8Array(length);
    let t: Uint8Array = new Uint8Array(0);
    for (let i = 1, off = 0; off < length; i++) {
      const block = new Uint8Array(t.length + info.length + 1);
      block.set(t, 0);
      block.set(info, t.length);
      block[block.length - 1] = i;
      t = hmac(h as never, prk, block);
      okm.set(t.subarray(0, Math.min(t.length, length - off)), off);
      off += t.length;
    }
    return okm;
  },

  aead(alg: AeadName, key: Uint8Array): Aead {
    const spec = Object.prototype.hasOwnProperty.call(AEADS, alg) ? AEADS[alg] : undefined;
    if (!spec) throw new CryptoError('unsupported', `unsupported AEAD ${String(alg)}`);
    if (key.length !== spec.keyLength)
      throw new CryptoError('bad_length', `${alg}: key must be ${spec.keyLength} bytes, got ${key.length}`);
    return new NobleAead(alg, Uint8Array.from(key), spec.keyLength);
  },

  cbc(alg: CbcName, key: Uint8Array): Cbc {
    const keyLength = Object.prototype.hasOwnProperty.call(CBC_KEY_LENGTHS, alg) ? CBC_KEY_LENGTHS[alg] : undefined;
    if (keyLength === undefined) throw new CryptoError('unsupported', `unsupported CBC cipher ${String(alg)}`);
    if (key.length !== keyLength)
      throw new CryptoError('bad_length', `${alg}: key must be ${keyLength} bytes, got ${key.length}`);
    return new NobleCbc(alg, Uint8Array.from(key), keyLength);
  },
};
