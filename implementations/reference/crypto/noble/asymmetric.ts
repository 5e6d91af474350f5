/**
 * The asymmetric half of the noble crypto provider: key exchange (X25519, X448, P-256, P-384, P-521, the five
 * RFC 7919 FFDHE groups), signatures (Ed25519, Ed448, ECDSA on P-256 / P-384 / P-521, RSA-PSS,
 * RSASSA-PKCS1-v1_5) and RSAES-PKCS1-v1_5 for the TLS 1.2 RSA key exchange.
 *
 * Primitives: @noble/curves (curves, ECDSA, EdDSA) and micro-rsa-dsa-dh (RSA paddings). RSA private-key
 * operations use the Chinese Remainder Theorem here (micro-rsa-dsa-dh computes m^d mod n directly, about
 * 3x slower for RSA-2048): the library still builds and checks every padding; we only replace the modular
 * exponentiation. See `rsaPrivate`.
 *
 * Error policy (provider.ts): `verify` returns false and `rsaDecrypt` returns null for any bad input;
 * `keyExchange(..).sharedSecret`, `generate` and `sign` throw only CryptoError.
 */
import { p256, p384, p521 } from '@noble/curves/nist.js';
import { ed25519, x25519 } from '@noble/curves/ed25519.js';
import { ed448, x448 } from '@noble/curves/ed448.js';
import { sha1 } from '@noble/hashes/legacy.js';
import { sha256, sha384, sha512 } from '@noble/hashes/sha2.js';
import { randomBytes } from '@noble/hashes/utils.js';
import {
  PKCS1_KEM,
  PKCS1_SHA1,
  PKCS1_SHA256,
  PKCS1_SHA384,
  PKCS1_SHA512,
  PSS,
  mgf1,
  type IPKCS,
  type Signer,
} from 'micro-rsa-dsa-dh/rsa.js';
import { I2OSP, OS2IP, invert, pow } from 'micro-rsa-dsa-dh/utils.js';
import { FFDHE_GROUPS, type FfdheGroup } from '../ffdhe.ts';
import {
  HASH_LENGTH,
  CryptoError,
  type CryptoProvider,
  type EcCurveName,
  type GroupName,
  type HashName,
  type KeyExchange,
  type KeyPair,
  type PrivateKey,
  type PublicKey,
  type SignatureOptions,
  type SignatureSchemeName,
} from '../provider.ts';

export type AsymmetricPrimitives = Pick<CryptoProvider, 'keyExchange' | 'sign' | 'verify' | 'rsaEncrypt' | 'rsaDecrypt'>;

// ---------------------------------------------------------------------------------------------------------
// Small helpers

const HASHES = { sha1, sha256, sha384, sha512 } as const;

function isAllZero(b: Uint8Array): boolean {
  let acc = 0;
  for (const x of b) acc |= x;
  return acc === 0;
}

function bytesToBigint(b: Uint8Array): bigint {
  return b.length === 0 ? 0n : OS2IP(b);
}

function bigintToBytes(x: bigint, len: number): Uint8Array {
  return I2OSP(x, len);
}

function byteLength(n: bigint): number {
  return Math.ceil(n.toString(16).length / 2);
}

/**
 * RFC 5246 8.1.2: in TLS 1.2 "leading bytes of Z that contain all zero bits are stripped before it is used
 * as the pre_master_secret". `sharedSecret` of an ffdhe group returns Z left-padded to |p| as TLS 1.3
 * requires (RFC 8446 7.4.1); the TLS 1.2 DHE key exchange passes it through this function. (Not for
 * ECDHE: RFC 8422 5.10 keeps the x-coordinate at its full field length in TLS 1.2 too.)
 */
export function tls12DhePremasterSecret(z: Uint8Array): Uint8Array {
  let i = 0;
  while (i < z.length && z[i] === 0) i++;
  return z.slice(i);
}

// ---------------------------------------------------------------------------------------------------------
// Key exchange

/**
 * X25519 and X448 (RFC 7748 5). Scalars and u-coordinates are 32 bytes (X25519) or 56 bytes (X448); RFC 8446
 * 4.2.8.2: the key_exchange of these groups is the output of the X25519 / X448 function, 32 or 56 bytes.
 */
function montgomeryExchange(group: 'x25519' | 'x448', curve: typeof x25519, len: number): KeyExchange {
  return {
    group,
    generate(privateKey?: Uint8Array): KeyPair {
      const sk = privateKey ? Uint8Array.from(privateKey) : curve.utils.randomSecretKey();
      // RFC 7748 5: X25519 scalars are 32 bytes, X448 scalars 56 (clamped / decoded inside the function).
      if (sk.length !== len) throw new CryptoError('invalid_private_key', `${group} private key must be ${len} bytes, got ${sk.length}`);
      return { group, privateKey: sk, publicKey: curve.getPublicKey(sk) };
    },
    sharedSecret(privateKey: Uint8Array, peerPublic: Uint8Array): Uint8Array {
      if (privateKey.length !== len) throw new CryptoError('invalid_private_key', `${group} private key must be ${len} bytes, got ${privateKey.length}`);
      // RFC 8446 4.2.8.2: "For X25519 and X448, the contents of the public value are the byte string inputs and
      // outputs of the corresponding functions defined in [RFC7748]: 32 bytes for X25519 and 56 bytes for X448."
      if (peerPublic.length !== len) throw new CryptoError('invalid_public_key', `${group} public key must be ${len} bytes, got ${peerPublic.length}`);
      let out: Uint8Array;
      try {
        out = curve.getSharedSecret(privateKey, peerPublic);
      } catch {
        // noble refuses exactly the low-order u-coordinates (and would refuse a zero ladder output): with a
        // clamped scalar these are the inputs whose shared secret is all zeros. RFC 7748 6.1 / 6.2 allow
        // detecting them either way.
        throw new CryptoError('zero_shared_secret', `${group} shared secret is all zeros (low-order peer public key)`);
      }
      // RFC 8446 7.4.2 / RFC 7748 6: implementations MUST check whether the computed Diffie-Hellman shared
      // secret is the all-zero value and abort if so.
      if (isAllZero(out)) throw new CryptoError('zero_shared_secret', `${group} shared secret is all zeros`);
      return out;
    },
  };
}

type NobleWeierstrass = typeof p256;

function ecdhExchange(group: EcCurveName, curve: NobleWeierstrass, fieldLen: number): KeyExchange {
  const checkPrivate = (sk: Uint8Array): void => {
    if (sk.length !== fieldLen || !curve.utils.isValidSecretKey(sk))
      throw new CryptoError('invalid_private_key', `${group} private key must be a ${fieldLen}-byte scalar in [1, n-1]`);
  };
  return {
    group,
    generate(privateKey?: Uint8Array): KeyPair {
      const sk = privateKey ? Uint8Array.from(privateKey) : curve.utils.randomSecretKey();
      checkPrivate(sk);
      // RFC 8446 4.2.8.2: UncompressedPointRepresentation (legacy_form = 4, X, Y).
      return { group, privateKey: sk, publicKey: curve.getPublicKey(sk, false) };
    },
    sharedSecret(privateKey: Uint8Array, peerPublic: Uint8Array): Uint8Array {
      checkPrivate(privateKey);
      // RFC 8446 4.2.8.2: only the uncompressed point format is allowed (legacy_form = 4); RFC 8422 5.1.2 for
      // TLS 1.2 with ec_point_formats = uncompressed (the only format RFC 8422 still defines).
      if (peerPublic.length !== 1 + 2 * fieldLen || peerPublic[0] !== 0x04)
        throw new CryptoError(
          'invalid_public_key',
          `${group} public key must be an uncompressed point (0x04 || X || Y, ${1 + 2 * fieldLen} bytes)`,
        );
      // RFC 8446 4.2.8.2: peers MUST validate each other's public key: on the curve, not the point at infinity
      // (which has no uncompressed encoding), coordinates in range. noble's fromBytes does all of this.
      let shared: Uint8Array;
      try {
        const point = curve.Point.fromBytes(peerPublic);
        point.assertValidity();
        shared = curve.getSharedSecret(privateKey, peerPublic, true);
      } catch {
        throw new CryptoError('invalid_public_key', `${group} public key is not a valid point on the curve`);
      }
      // RFC 8446 7.4.2: the shared secret is the x-coordinate of the ECDH result, fixed length.
      return shared.slice(1);
    },
  };
}

function ffdheExchange(g: FfdheGroup): KeyExchange {
  const { p, byteLength: len } = g;
  const pMinus1 = p - 1n;
  const checkPrivate = (x: bigint): void => {
    if (x <= 1n || x >= pMinus1)
      throw new CryptoError('invalid_private_key', `${g.name} private exponent must satisfy 1 < x < p-1`);
  };
  return {
    group: g.name,
    generate(privateKey?: Uint8Array): KeyPair {
      let sk: Uint8Array;
      if (privateKey) sk = Uint8Array.from(privateKey);
      else {
        // RFC 7919 5.2 short exponents: at least minExponentBits; we use twice that (still far below |p|).
        const nbytes = Math.ceil((2 * g.minExponentBits) / 8);
        do sk = randomBytes(nbytes);
        while (bytesToBigint(sk) <= 1n);
      }
      const x = bytesToBigint(sk);
      checkPrivate(x);
      // RFC 8446 4.2.8.1: Y is encoded big-endian, left-padded with zeros to the size of p.
      return { group: g.name, privateKey: sk, publicKey: bigintToBytes(pow(g.g, x, p), len) };
    },
    sharedSecret(privateKey: Uint8Array, peerPublic: Uint8Array): Uint8Array {
      const x = bytesToBigint(privateKey);
      checkPrivate(x);
      // RFC 8446 4.2.8.1: the peer's Y is exactly |p| bytes (left-padded). RFC 5246 ServerDHParams allow a
      // shorter dh_Ys (leading zeros stripped), so 1..|p| bytes are accepted; the value check below is the
      // real one.
      if (peerPublic.length === 0 || peerPublic.length > len)
        throw new CryptoError('invalid_public_key', `${g.name} public value must be 1..${len} bytes, got ${peerPublic.length}`);
      const y = bytesToBigint(peerPublic);
      // RFC 7919 5.1: peers MUST validate each other's public key Y by ensuring that 1 < Y < p-1.
      if (y <= 1n || y >= pMinus1) throw new CryptoError('invalid_public_key', `${g.name} public value must satisfy 1 < Y < p-1`);
      // RFC 8446 7.4.1: the negotiated key (Z) is converted to a byte string big-endian and left-padded with
      // zeros up to the size of the prime. (TLS 1.2 strips them: see tls12DhePremasterSecret.)
      const z = pow(y, x, p);
      // With 1 < Y < p-1 and a prime p, Z can be neither 0 nor (for x not a multiple of the order) 1.
      return bigintToBytes(z, len);
    },
  };
}

const EXCHANGES: Record<GroupName, KeyExchange> = {
  x25519: montgomeryExchange('x25519', x25519, 32),
  x448: montgomeryExchange('x448', x448, 56),
  secp256r1: ecdhExchange('secp256r1', p256, 32),
  secp384r1: ecdhExchange('secp384r1', p384, 48),
  // P-521: 521-bit field elements take 66 bytes (SEC 1 2.3.5), the length of X and Y in the point and of Z.
  secp521r1: ecdhExchange('secp521r1', p521, 66),
  ffdhe2048: ffdheExchange(FFDHE_GROUPS.ffdhe2048),
  ffdhe3072: ffdheExchange(FFDHE_GROUPS.ffdhe3072),
  ffdhe4096: ffdheExchange(FFDHE_GROUPS.ffdhe4096),
  ffdhe6144: ffdheExchange(FFDHE_GROUPS.ffdhe6144),
  ffdhe8192: ffdheExchange(FFDHE_GROUPS.ffdhe8192),
};

// ---------------------------------------------------------------------------------------------------------
// RSA private-key operation with CRT

interface CrtParams {
  p: bigint;
  q: bigint;
  dp: bigint;
  dq: bigint;
  qinv: bigint;
}
const crtCache = new WeakMap<object, CrtParams | null>();

function crtParams(key: PrivateKey & { kind: 'rsa' }): CrtParams | null {
  let c = crtCache.get(key);
  if (c !== undefined) return c;
  c = null;
  const { p, q, d, n } = key;
  if (p !== undefined && q !== undefined && p > 1n && q > 1n && p * q === n) {
    try {
      c = { p, q, dp: d % (p - 1n), dq: d % (q - 1n), qinv: invert(q, p) };
    } catch {
      c = null;
    }
  }
  crtCache.set(key, c);
  return c;
}

/**
 * RSADP / RSASP1 (RFC 8017 5.1.2 / 5.2.1) for 0 <= m < n, by CRT when p and q are known (RFC 8017 5.1.2
 * step 2b), else m^d mod n. The result is checked with the public exponent (s^e mod n == m) so that a
 * faulty or inconsistent key never yields a CRT signature that would leak a factor of n.
 */
function rsaPrivate(key: PrivateKey & { kind: 'rsa' }, m: bigint): bigint {
  const c = crtParams(key);
  let s: bigint;
  if (c) {
    const s1 = pow(m % c.p, c.dp, c.p);
    const s2 = pow(m % c.q, c.dq, c.q);
    let h = (c.qinv * (s1 - s2)) % c.p;
    if (h < 0n) h += c.p;
    s = s2 + c.q * h;
  } else s = pow(m, key.d, key.n);
  if (pow(s, key.e, key.n) !== m) throw new CryptoError('invalid_private_key', 'RSA private key is inconsistent (n, e, d, p, q)');
  return s;
}

// ---------------------------------------------------------------------------------------------------------
// Signature schemes

/** What a signature scheme is made of (the node provider reads the same table, without the signers). */
export type SchemeSpec =
  | { type: 'ed25519' }
  | { type: 'ed448' }
  | { type: 'ecdsa'; hash: HashName; curves: readonly EcCurveName[] }
  | { type: 'rsa-pss'; hash: HashName; signer: Signer }
  | { type: 'rsa-pkcs1'; hash: HashName; signer: IPKCS };

/** RFC 8446 4.2.3: RSASSA-PSS RSAE: MGF1 with the same hash, and the salt length MUST equal the hash length. */
const pss = (h: 'sha256' | 'sha384' | 'sha512'): SchemeSpec => ({
  type: 'rsa-pss',
  hash: h,
  signer: PSS(HASHES[h], mgf1(HASHES[h]), HASH_LENGTH[h]),
});

export const SCHEMES: Readonly<Record<SignatureSchemeName, SchemeSpec>> = {
  ed25519: { type: 'ed25519' },
  ed448: { type: 'ed448' },
  // RFC 8446 4.2.3: in TLS 1.3 the ECDSA schemes name the curve as well as the hash.
  ecdsa_secp256r1_sha256: { type: 'ecdsa', hash: 'sha256', curves: ['secp256r1'] },
  ecdsa_secp384r1_sha384: { type: 'ecdsa', hash: 'sha384', curves: ['secp384r1'] },
  ecdsa_secp521r1_sha512: { type: 'ecdsa', hash: 'sha512', curves: ['secp521r1'] },
  // Legacy TLS 1.2 (hash, signature) pair {sha1, ecdsa}: any curve.
  ecdsa_sha1: { type: 'ecdsa', hash: 'sha1', curves: ['secp256r1', 'secp384r1', 'secp521r1'] },
  rsa_pss_rsae_sha256: pss('sha256'),
  rsa_pss_rsae_sha384: pss('sha384'),
  rsa_pss_rsae_sha512: pss('sha512'),
  rsa_pkcs1_sha256: { type: 'rsa-pkcs1', hash: 'sha256', signer: PKCS1_SHA256 },
  rsa_pkcs1_sha384: { type: 'rsa-pkcs1', hash: 'sha384', signer: PKCS1_SHA384 },
  rsa_pkcs1_sha512: { type: 'rsa-pkcs1', hash: 'sha512', signer: PKCS1_SHA512 },
  rsa_pkcs1_sha1: { type: 'rsa-pkcs1', hash: 'sha1', signer: PKCS1_SHA1 },
};

const CURVES: Record<EcCurveName, NobleWeierstrass> = { secp256r1: p256, secp384r1: p384, secp521r1: p521 };

/**
 * Whether an RSA key of `bits` bits can make `scheme` at all: RSASSA-PSS needs emLen >= hLen + sLen + 2
 * (RFC 8017 9.1.1 step 3; e.g. RSA-1024 cannot do rsa_pss_rsae_sha512), PKCS#1 v1.5 needs k >= tLen + 11
 * (RFC 8017 9.2 step 5).
 */
export function rsaKeyFitsScheme(bits: number, scheme: SignatureSchemeName): boolean {
  const spec = SCHEMES[scheme];
  if (!spec) return false;
  if (spec.type === 'rsa-pss') return Math.ceil((bits - 1) / 8) >= 2 * HASH_LENGTH[spec.hash] + 2;
  if (spec.type === 'rsa-pkcs1') return Math.ceil(bits / 8) >= 19 + HASH_LENGTH[spec.hash] + 11;
  return false;
}

function schemeSpec(scheme: SignatureSchemeName): SchemeSpec {
  const spec = Object.prototype.hasOwnProperty.call(SCHEMES, scheme) ? SCHEMES[scheme] : undefined;
  if (!spec) throw new CryptoError('unsupported', `unsupported signature scheme ${String(scheme)}`);
  return spec;
}

/** Whether an ECDSA scheme can be used with a key on `curve` (any curve we have when read as a TLS 1.2 pair). */
function ecdsaCurveFits(spec: Extract<SchemeSpec, { type: 'ecdsa' }>, curve: string, options: SignatureOptions | undefined): boolean {
  return options?.ecdsaAnyCurve ? Object.prototype.hasOwnProperty.call(CURVES, curve) : (spec.curves as readonly string[]).includes(curve);
}

function sign(scheme: SignatureSchemeName, key: PrivateKey, message: Uint8Array, options?: SignatureOptions): Uint8Array {
  const spec = schemeSpec(scheme);
  switch (spec.type) {
    case 'ed25519': {
      if (key.kind !== 'ed25519') throw mismatch(scheme, key);
      // RFC 8446 4.2.3: PureEdDSA (RFC 8032), not the prehash variant.
      return ed25519.sign(message, key.seed);
    }
    case 'ed448': {
      if (key.kind !== 'ed448') throw mismatch(scheme, key);
      // RFC 8446 4.2.3: the EdDSA schemes "correspond to the \"PureEdDSA\" algorithms and not the \"prehash\" variants":
      // Ed448 of RFC 8032 5.2 with an empty context.
      return ed448.sign(message, key.seed);
    }
    case 'ecdsa': {
      if (key.kind !== 'ec' || !ecdsaCurveFits(spec, key.curve, options)) throw mismatch(scheme, key);
      const digest = HASHES[spec.hash](message);
      // RFC 8446 4.2.3: "The signature is represented as a DER-encoded ECDSA-Sig-Value structure."
      // Deterministic k (RFC 6979) hedged with fresh randomness; low-S (any S verifies, it is just canonical).
      // RFC 6979 deterministic nonces (no extra entropy): the reference's signatures are reproducible, so a
      // replayed or fixed-seed handshake is byte-identical from run to run.
      return CURVES[key.curve].sign(digest, key.scalar, { prehash: false, format: 'der', lowS: true, extraEntropy: false });
    }
    case 'rsa-pss':
    case 'rsa-pkcs1': {
      if (key.kind !== 'rsa') throw mismatch(scheme, key);
      const k = byteLength(key.n);
      if (!rsaKeyFitsScheme(key.bits, scheme))
        throw new CryptoError('key_mismatch', `RSA-${key.bits} key is too small for ${scheme}`);
      // The library builds the encoded message EM (EMSA-PSS-ENCODE / EMSA-PKCS1-v1_5-ENCODE). With d = 1 its
      // RSASP1 (m^d mod n) is the identity, so sign() returns EM itself; we then apply the real private-key
      // operation by CRT and output a k-byte signature (RFC 8017 8.1.1 step 2c / 8.2.1 step 2c).
      let em: Uint8Array;
      try {
        em = spec.signer.sign({ n: key.n, d: 1n }, message);
      } catch (e) {
        throw new CryptoError('key_mismatch', `cannot encode ${scheme} for RSA-${key.bits}: ${(e as Error).message}`);
      }
      return bigintToBytes(rsaPrivate(key, bytesToBigint(em)), k);
    }
  }
}

function mismatch(scheme: SignatureSchemeName, key: PrivateKey): CryptoError {
  const what = key.kind === 'ec' ? `EC ${key.curve}` : key.kind === 'rsa' ? `RSA-${key.bits}` : key.kind;
  return new CryptoError('key_mismatch', `a ${what} key cannot sign ${scheme}`);
}

function verify(scheme: SignatureSchemeName, key: PublicKey, message: Uint8Array, signature: Uint8Array, options?: SignatureOptions): boolean {
  try {
    const spec = Object.prototype.hasOwnProperty.call(SCHEMES, scheme) ? SCHEMES[scheme] : undefined;
    if (!spec || !(signature instanceof Uint8Array) || !(message instanceof Uint8Array)) return false;
    switch (spec.type) {
      case 'ed25519':
        if (key.kind !== 'ed25519' || key.key.length !== 32 || signature.length !== 64) return false;
        // Strict RFC 8032 5.1.7 verification (zip215: false): non-canonical encodings and S >= L are rejected.
        return ed25519.verify(signature, message, key.key, { zip215: false });
      case 'ed448':
        // RFC 8032 5.2.7 with an empty context (PureEdDSA, RFC 8446 4.2.3); 57-byte keys, 114-byte signatures.
        if (key.kind !== 'ed448' || key.key.length !== 57 || signature.length !== 114) return false;
        return ed448.verify(signature, message, key.key, { zip215: false });
      case 'ecdsa': {
        if (key.kind !== 'ec' || !ecdsaCurveFits(spec, key.curve, options)) return false;
        const digest = HASHES[spec.hash](message);
        // DER-encoded ECDSA-Sig-Value (RFC 8446 4.2.3, RFC 8422 5.4); high S is valid ECDSA (lowS: false).
        return CURVES[key.curve].verify(signature, digest, key.point, { prehash: false, format: 'der', lowS: false });
      }
      case 'rsa-pss':
      case 'rsa-pkcs1':
        if (key.kind !== 'rsa') return false;
        return spec.signer.verify({ n: key.n, e: key.e }, message, signature);
    }
  } catch {
    return false;
  }
}

// ---------------------------------------------------------------------------------------------------------
// RSASSA-PSS with a chosen salt (deterministic replays)

type PssScheme = 'rsa_pss_rsae_sha256' | 'rsa_pss_rsae_sha384' | 'rsa_pss_rsae_sha512';
const PSS_HASH: Record<PssScheme, 'sha256' | 'sha384' | 'sha512'> = {
  rsa_pss_rsae_sha256: 'sha256',
  rsa_pss_rsae_sha384: 'sha384',
  rsa_pss_rsae_sha512: 'sha512',
};

/**
 * RSASSA-PSS-SIGN (RFC 8017 8.1.1) with the given salt instead of a random one, so that a recorded
 * signature (e.g. the RFC 8448 server CertificateVerify) can be reproduced byte for byte. The salt must be
 * hLen bytes (RFC 8446 4.2.3). Not part of CryptoProvider: `sign` always uses a fresh random salt.
 */
export function rsaPssSignWithSalt(scheme: PssScheme, key: PrivateKey, message: Uint8Array, salt: Uint8Array): Uint8Array {
  if (key.kind !== 'rsa') throw mismatch(scheme, key);
  const h = PSS_HASH[scheme];
  if (!h) throw new CryptoError('unsupported', `not an RSA-PSS scheme: ${String(scheme)}`);
  const hLen = HASH_LENGTH[h];
  // RFC 8446 4.2.3: "The length of the Salt MUST be equal to the length of the output of the digest algorithm."
  if (salt.length !== hLen) throw new CryptoError('bad_length', `${scheme} salt must be ${hLen} bytes`);
  if (!rsaKeyFitsScheme(key.bits, scheme)) throw new CryptoError('key_mismatch', `RSA-${key.bits} key is too small for ${scheme}`);
  const hash = HASHES[h];
  // EMSA-PSS-ENCODE (RFC 8017 9.1.1), emBits = modBits - 1.
  const emBits = key.bits - 1;
  const emLen = Math.ceil(emBits / 8);
  const mHash = hash(message);
  const H = hash(Uint8Array.from([...new Uint8Array(8), ...mHash, ...salt]));
  const db = new Uint8Array(emLen - hLen - 1);
  db[emLen - hLen - hLen - 2] = 0x01; // PS (zeros) || 0x01 || salt
  db.set(salt, emLen - hLen - hLen - 1);
  const mask = mgf1(hash)(H, { dkLen: emLen - hLen - 1 });
  for (let i = 0; i < db.length; i++) db[i] ^= mask[i];
  db[0] &= 0xff >> (8 * emLen - emBits);
  const em = Uint8Array.from([...db, ...H, 0xbc]);
  const sig = bigintToBytes(rsaPrivate(key, bytesToBigint(em)), byteLength(key.n));
  if (!verify(scheme, { kind: 'rsa', n: key.n, e: key.e, bits: key.bits }, message, sig))
    throw new CryptoError('invalid_private_key', 'RSA-PSS signature does not verify');
  return sig;
}

/** The salt of a valid RSASSA-PSS signature (RFC 8017 9.1.2 steps 7-11), or null if it does not verify. */
export function rsaPssRecoverSalt(scheme: PssScheme, key: PublicKey, message: Uint8Array, signature: Uint8Array): Uint8Array | null {
  try {
    if (key.kind !== 'rsa' || !PSS_HASH[scheme] || !verify(scheme, key, message, signature)) return null;
    const h = PSS_HASH[scheme];
    const hLen = HASH_LENGTH[h];
    const emBits = key.bits - 1;
    const emLen = Math.ceil(emBits / 8);
    const em = bigintToBytes(pow(bytesToBigint(signature), key.e, key.n), emLen);
    const maskedDb = em.subarray(0, emLen - hLen - 1);
    const H = em.subarray(emLen - hLen - 1, emLen - 1);
    const mask = mgf1(HASHES[h])(H, { dkLen: emLen - hLen - 1 });
    const db = maskedDb.map((b, i) => b ^ mask[i]);
    return db.slice(db.length - hLen);
  } catch {
    return null;
  }
}

// ---------------------------------------------------------------------------------------------------------
// RSAES-PKCS1-v1_5

function rsaEncrypt(key: PublicKey & { kind: 'rsa' }, message: Uint8Array): Uint8Array {
  if (key.kind !== 'rsa') throw new CryptoError('key_mismatch', 'RSA encryption needs an RSA public key');
  const k = byteLength(key.n);
  // RFC 8017 7.2.1 step 1: mLen <= k - 11.
  if (message.length > k - 11) throw new CryptoError('bad_length', `message too long for RSA-${key.bits} PKCS#1 v1.5 (${message.length} > ${k - 11})`);
  return PKCS1_KEM.encrypt({ n: key.n, e: key.e }, message);
}

function rsaDecrypt(key: PrivateKey & { kind: 'rsa' }, ciphertext: Uint8Array): Uint8Array | null {
  try {
    if (key.kind !== 'rsa') return null;
    const k = byteLength(key.n);
    // RFC 8017 7.2.2 step 1: the ciphertext is exactly k bytes; step 2a: c < n.
    if (!(ciphertext instanceof Uint8Array) || ciphertext.length !== k || k < 11) return null;
    const c = bytesToBigint(ciphertext);
    if (c >= key.n) return null;
    const m = rsaPrivateDecrypt(key, c);
    // EME-PKCS1-v1_5 decoding (step 3) by the library: with d = 1 its RSADP is the identity.
    return Uint8Array.from(PKCS1_KEM.decrypt({ n: key.n, d: 1n }, bigintToBytes(m, k)));
  } catch {
    return null;
  }
}

/** RSADP by CRT; unlike signing there is no e-check failure path to leak: a bad key just gives garbage. */
function rsaPrivateDecrypt(key: PrivateKey & { kind: 'rsa' }, c: bigint): bigint {
  const p = crtParams(key);
  if (!p) return pow(c, key.d, key.n);
  const m1 = pow(c % p.p, p.dp, p.p);
  const m2 = pow(c % p.q, p.dq, p.q);
  let h = (p.qinv * (m1 - m2)) % p.p;
  if (h < 0n) h += p.p;
  return m2 + p.q * h;
}

export const asymmetricPrimitives: AsymmetricPrimitives = {
  keyExchange(group: GroupName): KeyExchange {
    const kx = Object.prototype.hasOwnProperty.call(EXCHANGES, group) ? EXCHANGES[group] : undefined;
    if (!kx) throw new CryptoError('unsupported', `unsupported key exchange group ${String(group)}`);
    return kx;
  },
  sign,
  verify,
  rsaEncrypt,
  rsaDecrypt,
};
