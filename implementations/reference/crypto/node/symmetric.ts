/**
 * The symmetric half of the `node` CryptoProvider, on node:crypto (OpenSSL): hashes, HMAC, HKDF (RFC 5869),
 * AES-GCM, AES-CCM (16-byte tags and CCM_8), ChaCha20-Poly1305 and raw AES-CBC.
 *
 * The contract is the noble provider's (noble/symmetric.ts), input for input: the same outputs and the same
 * null / CryptoError on bad input. Everything that is not the plain TLS case is delegated to the noble
 * primitive, so the checks and errors are noble's own: an unknown algorithm or a wrong key length (the
 * noble AEAD / CBC object is built first, and throws), an AEAD nonce other than the TLS 12 bytes (RFC 8446
 * 5.3; other lengths are for known-answer tests only) and a CCM payload too long for its length field.
 */
import { createCipheriv, createDecipheriv, createHash, createHmac, createSecretKey, randomFillSync, type Hash as NodeHash, type KeyObject } from 'node:crypto';
import { symmetricPrimitives as noble } from '../noble/symmetric.ts';
import { CryptoError, HASH_LENGTH, checkCbcInput, sealWithHeadroom, type Aead, type AeadName, type Cbc, type CbcName, type HashName, type HashState } from '../provider.ts';
import type { SymmetricPrimitives } from '../noble/symmetric.ts';
import { concatBytes } from '../../codec/bytes.ts';

function checkHash(alg: HashName): HashName {
  if (!Object.prototype.hasOwnProperty.call(HASH_LENGTH, alg)) throw new CryptoError('unsupported', `unsupported hash ${String(alg)}`);
  return alg;
}

const u8 = (b: Buffer): Uint8Array => new Uint8Array(b.buffer, b.byteOffset, b.byteLength);

/** A HashState over node's incremental hash; digest() works on a copy so the running state continues. */
class NodeHashState implements HashState {
  constructor(private readonly inner: NodeHash) {}
  update(data: Uint8Array): this {
    this.inner.update(data);
    return this;
  }
  digest(): Uint8Array {
    return u8(this.inner.copy().digest());
  }
  clone(): HashState {
    return new NodeHashState(this.inner.copy());
  }
}

function hmac(alg: HashName, key: Uint8Array, data: Uint8Array): Uint8Array {
  return u8(createHmac(checkHash(alg), key).update(data).digest());
}

/** The TLS AEAD nonce length (RFC 8446 5.3, RFC 5116 5.1, RFC 8439 2.8): the only one done natively. */
const TLS_NONCE = 12;
/** SP 800-38C A.2.1: with a 12-byte nonce the length field is q = 3 bytes, so payloads are under 2^24 bytes. */
const CCM_MAX_PAYLOAD_12 = 2 ** 24;

type NodeAeadSpec = { cipher: string; ccm: boolean };
const NODE_AEADS: Record<AeadName, NodeAeadSpec> = {
  'aes-128-gcm': { cipher: 'aes-128-gcm', ccm: false },
  'aes-192-gcm': { cipher: 'aes-192-gcm', ccm: false },
  'aes-256-gcm': { cipher: 'aes-256-gcm', ccm: false },
  'chacha20-poly1305': { cipher: 'chacha20-poly1305', ccm: false },
  'aes-128-ccm': { cipher: 'aes-128-ccm', ccm: true },
  'aes-192-ccm': { cipher: 'aes-192-ccm', ccm: true },
  'aes-256-ccm': { cipher: 'aes-256-ccm', ccm: true },
  // RFC 6655 3: AEAD_AES_128_CCM_8 is AES-128-CCM with an 8-byte tag.
  'aes-128-ccm-8': { cipher: 'aes-128-ccm', ccm: true },
};

class NodeAead implements Aead {
  readonly keyLength: number;
  readonly nonceLength: number;
  readonly tagLength: number;
  private readonly spec: NodeAeadSpec;
  /** The key imported once (a snapshot, as noble's expanded key is), not for every record. */
  private readonly key: KeyObject;
  constructor(
    alg: AeadName,
    key: Uint8Array,
    /** The noble AEAD for the same key: every case this class does not do natively. */
    private readonly fallback: Aead,
  ) {
    this.key = createSecretKey(key);
    this.spec = NODE_AEADS[alg];
    this.keyLength = fallback.keyLength;
    this.nonceLength = fallback.nonceLength;
    this.tagLength = fallback.tagLength;
  }
  private native(nonce: Uint8Array, payloadLength: number): boolean {
    return nonce.length === TLS_NONCE && (!this.spec.ccm || payloadLength < CCM_MAX_PAYLOAD_12);
  }
  seal(nonce: Uint8Array, plaintext: Uint8Array, aad: Uint8Array): Uint8Array {
    if (!this.native(nonce, plaintext.length)) return this.fallback.seal(nonce, plaintext, aad);
    return this.sealNative(nonce, [plaintext], aad, 0, plaintext.length);
  }
  sealParts(nonce: Uint8Array, parts: readonly Uint8Array[], aad: Uint8Array, headroom: number): Uint8Array {
    const plen = parts.reduce((n, p) => n + p.length, 0);
    if (!this.native(nonce, plen)) return sealWithHeadroom(this.fallback, nonce, parts, aad, headroom);
    return this.sealNative(nonce, parts, aad, headroom, plen);
  }
  /** Ciphertext and tag of the parts (plen bytes in all) after `headroom` bytes of a new array. */
  private sealNative(nonce: Uint8Array, parts: readonly Uint8Array[], aad: Uint8Array, headroom: number, plen: number): Uint8Array {
    const c = createCipheriv(this.spec.cipher as 'aes-128-gcm', this.key, nonce, { authTagLength: this.tagLength });
    if (this.spec.ccm) {
      // CCM needs the plaintext length before the AAD, and takes the plaintext in one update(): the parts joined.
      (c as unknown as { setAAD(a: Uint8Array, o: { plaintextLength: number }): void }).setAAD(aad, { plaintextLength: plen });
      if (parts.length > 1) parts = [concatBytes(...parts)];
    } else c.setAAD(aad);
    const out = new Uint8Array(headroom + plen + this.tagLength);
    let at = headroom;
    for (const p of parts) {
      const body = c.update(p);
      out.set(body, at);
      at += body.length;
    }
    const fin = c.final();
    out.set(fin, at);
    out.set(c.getAuthTag(), at + fin.length);
    return out;
  }
  open(nonce: Uint8Array, ciphertext: Uint8Array, aad: Uint8Array): Uint8Array | null {
    const plen = ciphertext.length - this.tagLength;
    if (!this.native(nonce, Math.max(0, plen))) return this.fallback.open(nonce, ciphertext, aad);
    // A ciphertext shorter than the tag cannot verify: a bad tag, reported as null (as noble does).
    if (plen < 0) return null;
    try {
      const d = createDecipheriv(this.spec.cipher as 'aes-128-gcm', this.key, nonce, { authTagLength: this.tagLength });
      d.setAuthTag(ciphertext.subarray(plen));
      if (this.spec.ccm) (d as unknown as { setAAD(a: Uint8Array, o: { plaintextLength: number }): void }).setAAD(aad, { plaintextLength: plen });
      else d.setAAD(aad);
      const body = d.update(ciphertext.subarray(0, plen));
      const fin = d.final(); // throws when the tag does not verify
      if (fin.length === 0) return u8(body);
      const out = new Uint8Array(body.length + fin.length);
      out.set(body, 0);
      out.set(fin, body.length);
      return out;
    } catch {
      return null;
    }
  }
}

const AES_BLOCK = 16;

/** Raw AES-CBC without padding (the record layer pads, RFC 5246 6.2.3.2); the checks are noble's. */
class NodeCbc implements Cbc {
  readonly blockLength = AES_BLOCK;
  readonly keyLength: number;
  private readonly key: KeyObject;
  constructor(
    private readonly alg: CbcName,
    key: Uint8Array,
    keyLength: number,
  ) {
    this.key = createSecretKey(key);
    this.keyLength = keyLength;
  }
  encrypt(iv: Uint8Array, data: Uint8Array): Uint8Array {
    checkCbcInput(this.alg, iv, data);
    const c = createCipheriv(this.alg, this.key, iv).setAutoPadding(false);
    return u8(Buffer.concat([c.update(data), c.final()]));
  }
  decrypt(iv: Uint8Array, data: Uint8Array): Uint8Array {
    checkCbcInput(this.alg, iv, data);
    const d = createDecipheriv(this.alg, this.key, iv).setAutoPadding(false);
    return u8(Buffer.concat([d.update(data), d.final()]));
  }
}

const POOL_SIZE = 4096;
const pool = new Uint8Array(POOL_SIZE);
let poolAt = POOL_SIZE;

export const nodeSymmetricPrimitives: SymmetricPrimitives = {
  randomBytes(n: number): Uint8Array {
    // Small requests (randoms, session IDs, nonces: several per handshake) come from a pool that OpenSSL's
    // CSPRNG refills 4 KiB at a time; each byte is handed out once, then overwritten.
    if (!Number.isInteger(n) || n < 0 || n > POOL_SIZE / 8) return randomFillSync(new Uint8Array(n)); // and its RangeError
    if (poolAt + n > POOL_SIZE) {
      randomFillSync(pool);
      poolAt = 0;
    }
    const out = pool.slice(poolAt, poolAt + n);
    pool.fill(0, poolAt, poolAt + n);
    poolAt += n;
    return out;
  },

  hashLength(alg: HashName): number {
    return HASH_LENGTH[checkHash(alg)];
  },

  hash(alg: HashName, data: Uint8Array): Uint8Array {
    return u8(createHash(checkHash(alg)).update(data).digest());
  },

  createHash(alg: HashName): HashState {
    return new NodeHashState(createHash(checkHash(alg)));
  },

  hmac,

  // RFC 5869 2.2: PRK = HMAC-Hash(salt, IKM); an absent salt is HashLen zeros (an empty HMAC key is the same key).
  hkdfExtract(alg: HashName, salt: Uint8Array, ikm: Uint8Array): Uint8Array {
    return hmac(alg, salt.length === 0 ? new Uint8Array(HASH_LENGTH[checkHash(alg)]) : salt, ikm);
  },

  hkdfExpand(alg: HashName, prk: Uint8Array, info: Uint8Array, length: number): Uint8Array {
    const hashLen = HASH_LENGTH[checkHash(alg)];
    // RFC 5869 2.3: "L length of output keying material in octets (<= 255*HashLen)".
    if (!Number.isInteger(length) || length < 0 || length > 255 * hashLen)
      throw new CryptoError('bad_length', `HKDF-Expand: L=${length} exceeds 255*HashLen=${255 * hashLen} (RFC 5869 2.3)`);
    // RFC 5869 2.3: T(0) = empty; T(i) = HMAC-Hash(PRK, T(i-1) | info | i); OKM = first L octets of T.
    // (node's hkdfSync does Extract and Expand together; TLS 1.3 needs Expand alone.)
    const okm = new Uint8Array(length);
    let t: Uint8Array = new Uint8Array(0);
    for (let i = 1, off = 0; off < length; i++) {
      t = u8(createHmac(alg, prk).update(t).update(info).update(Uint8Array.of(i)).digest());
      okm.set(t.subarray(0, Math.min(t.length, length - off)), off);
      off += t.length;
    }
    return okm;
  },

  aead(alg: AeadName, key: Uint8Array): Aead {
    // The noble AEAD checks the name and key length (with noble's errors) and serves the non-TLS nonces.
    const fallback = noble.aead(alg, key);
    return new NodeAead(alg, Uint8Array.from(key), fallback);
  },

  cbc(alg: CbcName, key: Uint8Array): Cbc {
    const fallback = noble.cbc(alg, key); // name and key-length checks, noble's errors
    return new NodeCbc(alg, Uint8Array.from(key), fallback.keyLength);
  },
};
