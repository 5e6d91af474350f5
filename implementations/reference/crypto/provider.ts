/**
 * The one small interface between the TLS protocol code and the cryptographic primitives.
 *
 * The protocol code (key schedule, PRF, record protection, handshake signatures, key exchange) calls only
 * this interface. The default provider is built on @noble/* and micro-rsa-dsa-dh (`noble/`); a faster
 * provider (node:crypto, WebCrypto, a native addon) can be added later by implementing it, without
 * touching the protocol code.
 *
 * Conventions: all byte strings are Uint8Array; a primitive that rejects its input (a bad tag, a point
 * not on the curve, a bad signature encoding) reports it as a value (`null`, `false`) or a CryptoError,
 * never another exception.
 */
import { concatBytes } from '../codec/bytes.ts';

export type HashName = 'sha1' | 'sha256' | 'sha384' | 'sha512';
/** AEADs: the ones TLS suites use, and AES-192-GCM / AES-192-CCM / AES-256-CCM for known-answer tests. */
export type AeadName =
  | 'aes-128-gcm'
  | 'aes-192-gcm'
  | 'aes-256-gcm'
  | 'chacha20-poly1305'
  | 'aes-128-ccm'
  | 'aes-192-ccm'
  | 'aes-256-ccm'
  | 'aes-128-ccm-8';
export type CbcName = 'aes-128-cbc' | 'aes-192-cbc' | 'aes-256-cbc';
/** Key-exchange groups by IANA name (RFC 8446 4.2.7, RFC 7919). */
export type GroupName =
  | 'x25519'
  | 'x448'
  | 'secp256r1'
  | 'secp384r1'
  | 'secp521r1'
  | 'ffdhe2048'
  | 'ffdhe3072'
  | 'ffdhe4096'
  | 'ffdhe6144'
  | 'ffdhe8192';
/** The NIST curves of ECDHE groups and ECDSA keys. */
export type EcCurveName = 'secp256r1' | 'secp384r1' | 'secp521r1';
/** Signature schemes by IANA name (RFC 8446 4.2.3); the sha1 ones are for legacy TLS 1.2 peers only. */
export type SignatureSchemeName =
  | 'ed25519'
  | 'ed448'
  | 'ecdsa_secp256r1_sha256'
  | 'ecdsa_secp384r1_sha384'
  | 'ecdsa_secp521r1_sha512'
  | 'ecdsa_sha1'
  | 'rsa_pss_rsae_sha256'
  | 'rsa_pss_rsae_sha384'
  | 'rsa_pss_rsae_sha512'
  | 'rsa_pkcs1_sha256'
  | 'rsa_pkcs1_sha384'
  | 'rsa_pkcs1_sha512'
  | 'rsa_pkcs1_sha1';

/** Every scheme a provider signs and verifies with (the object makes the compiler check the list is whole). */
export const SIGNATURE_SCHEME_NAMES = Object.keys({
  ed25519: 1,
  ed448: 1,
  ecdsa_secp256r1_sha256: 1,
  ecdsa_secp384r1_sha384: 1,
  ecdsa_secp521r1_sha512: 1,
  ecdsa_sha1: 1,
  rsa_pss_rsae_sha256: 1,
  rsa_pss_rsae_sha384: 1,
  rsa_pss_rsae_sha512: 1,
  rsa_pkcs1_sha256: 1,
  rsa_pkcs1_sha384: 1,
  rsa_pkcs1_sha512: 1,
  rsa_pkcs1_sha1: 1,
} satisfies Record<SignatureSchemeName, 1>) as readonly SignatureSchemeName[];

/**
 * How a signature scheme is read. By default an ECDSA scheme names its curve as well as its hash (RFC 8446
 * 4.2.3, TLS 1.3). `ecdsaAnyCurve` reads it as a TLS 1.2 {hash, ecdsa} pair: RFC 8446 4.2.3, "the old
 * semantics did not constrain the signing curve", so the hash is the scheme's and the curve is the key's.
 */
export interface SignatureOptions {
  ecdsaAnyCurve?: boolean;
}

/** Why a primitive refused its input. */
export class CryptoError extends Error {
  override readonly name = 'CryptoError';
  constructor(
    readonly code:
      | 'invalid_public_key'
      | 'invalid_private_key'
      | 'zero_shared_secret'
      | 'bad_length'
      | 'unsupported'
      | 'key_mismatch',
    message: string,
  ) {
    super(message);
  }
}

/** Output lengths of the hashes, in bytes (FIPS 180-4). */
export const HASH_LENGTH: Readonly<Record<HashName, number>> = { sha1: 20, sha256: 32, sha384: 48, sha512: 64 };

/** The AES-CBC input rules every provider enforces the same way: a 16-byte IV, whole blocks (NIST SP 800-38A). */
export function checkCbcInput(alg: CbcName, iv: Uint8Array, data: Uint8Array): void {
  if (iv.length !== 16) throw new CryptoError('bad_length', `${alg}: IV must be 16 bytes, got ${iv.length}`);
  if (data.length % 16 !== 0) throw new CryptoError('bad_length', `${alg}: data length ${data.length} is not a multiple of 16`);
}

/** Incremental hash whose running state can be copied: the transcript hash needs Hash(prefix) at many points. */
export interface HashState {
  update(data: Uint8Array): this;
  /** Digest of everything so far, without ending this state. */
  digest(): Uint8Array;
  clone(): HashState;
}

export interface Aead {
  readonly keyLength: number;
  readonly nonceLength: number; // 12 for every TLS AEAD here
  readonly tagLength: number; // 16; 8 for aes-128-ccm-8
  seal(nonce: Uint8Array, plaintext: Uint8Array, aad: Uint8Array): Uint8Array;
  /**
   * Optional, for speed: seal the concatenation of `parts` into a new array that starts with `headroom`
   * unwritten bytes (room for the record header), so that a record is built without copying the plaintext
   * or the ciphertext again. Same ciphertext and tag as seal(nonce, concat(parts), aad); see sealWithHeadroom.
   */
  sealParts?(nonce: Uint8Array, parts: readonly Uint8Array[], aad: Uint8Array, headroom: number): Uint8Array;
  /** null when the tag does not verify. */
  open(nonce: Uint8Array, ciphertext: Uint8Array, aad: Uint8Array): Uint8Array | null;
}

/** Raw AES-CBC with no padding: TLS CBC padding (RFC 5246 6.2.3.2) is applied by the record layer. */
export interface Cbc {
  readonly keyLength: number;
  readonly blockLength: number; // 16
  /** data.length must be a multiple of the block length. */
  encrypt(iv: Uint8Array, data: Uint8Array): Uint8Array;
  decrypt(iv: Uint8Array, data: Uint8Array): Uint8Array;
}

/** Public and private keys, as parsed from PEM/DER (node:crypto parses the containers). */
export type PublicKey =
  | { kind: 'rsa'; n: bigint; e: bigint; bits: number }
  | { kind: 'ec'; curve: EcCurveName; point: Uint8Array /* uncompressed X9.62 */ }
  | { kind: 'ed25519'; key: Uint8Array /* 32 bytes */ }
  | { kind: 'ed448'; key: Uint8Array /* 57 bytes */ };

export type PrivateKey =
  | { kind: 'rsa'; n: bigint; e: bigint; d: bigint; p?: bigint; q?: bigint; bits: number }
  | { kind: 'ec'; curve: EcCurveName; scalar: Uint8Array; point: Uint8Array }
  | { kind: 'ed25519'; seed: Uint8Array; key: Uint8Array }
  | { kind: 'ed448'; seed: Uint8Array /* 57 bytes */; key: Uint8Array };

/** An ephemeral key pair for one key exchange. */
export interface KeyPair {
  readonly group: GroupName;
  readonly privateKey: Uint8Array;
  /** The bytes sent on the wire: KeyShareEntry.key_exchange, ECPoint, or dh_Y (left-padded to |p|). */
  readonly publicKey: Uint8Array;
}

export interface KeyExchange {
  readonly group: GroupName;
  /** A key pair from fresh randomness, or from a given private key (deterministic mode, RFC 8448). */
  generate(privateKey?: Uint8Array): KeyPair;
  /**
   * The shared secret for our private key and the peer's wire public value. Throws CryptoError when the
   * peer value is invalid: RFC 8446 4.2.8.2 (ECDHE points must be valid), 7.4.2 (all-zero X25519 output
   * must be rejected), RFC 7919 5.1 (1 < Y < p-1).
   */
  sharedSecret(privateKey: Uint8Array, peerPublic: Uint8Array): Uint8Array;
}

export interface CryptoProvider {
  readonly name: string;
  randomBytes(n: number): Uint8Array;

  hashLength(alg: HashName): number;
  hash(alg: HashName, data: Uint8Array): Uint8Array;
  createHash(alg: HashName): HashState;
  hmac(alg: HashName, key: Uint8Array, data: Uint8Array): Uint8Array;
  /** RFC 5869 2.2. */
  hkdfExtract(alg: HashName, salt: Uint8Array, ikm: Uint8Array): Uint8Array;
  /** RFC 5869 2.3; throws CryptoError('bad_length') when length > 255 * HashLen. */
  hkdfExpand(alg: HashName, prk: Uint8Array, info: Uint8Array, length: number): Uint8Array;

  aead(alg: AeadName, key: Uint8Array): Aead;
  cbc(alg: CbcName, key: Uint8Array): Cbc;

  keyExchange(group: GroupName): KeyExchange;

  sign(scheme: SignatureSchemeName, key: PrivateKey, message: Uint8Array, options?: SignatureOptions): Uint8Array;
  /** false for any signature that does not verify, including malformed encodings. */
  verify(scheme: SignatureSchemeName, key: PublicKey, message: Uint8Array, signature: Uint8Array, options?: SignatureOptions): boolean;

  /** RSAES-PKCS1-v1_5 encryption (RFC 8017 7.2.1), for the TLS 1.2 pre-master secret. */
  rsaEncrypt(key: PublicKey & { kind: 'rsa' }, message: Uint8Array): Uint8Array;
  /**
   * RSAES-PKCS1-v1_5 decryption; null on any padding or length failure. The TLS layer turns null into the
   * RFC 5246 7.4.7.1 random pre-master secret, so no caller may branch observably on it.
   */
  rsaDecrypt(key: PrivateKey & { kind: 'rsa' }, ciphertext: Uint8Array): Uint8Array | null;
}

/** `aead.sealParts` where the AEAD has it, else seal() over the joined parts, copied after `headroom` bytes. */
export function sealWithHeadroom(aead: Aead, nonce: Uint8Array, parts: readonly Uint8Array[], aad: Uint8Array, headroom: number): Uint8Array {
  if (aead.sealParts) return aead.sealParts(nonce, parts, aad, headroom);
  const sealed = aead.seal(nonce, parts.length === 1 ? parts[0] : concatBytes(...parts), aad);
  const out = new Uint8Array(headroom + sealed.length);
  out.set(sealed, headroom);
  return out;
}
