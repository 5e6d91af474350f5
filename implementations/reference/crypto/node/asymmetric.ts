/**
 * The asymmetric half of the `node` CryptoProvider, on node:crypto (OpenSSL), with the noble provider
 * (noble/asymmetric.ts) as the reference for every input: same outputs for deterministic operations, same
 * false / null / CryptoError for bad input.
 *
 * Native: X25519/X448 and ECDH P-256/384/521 with fresh keys and their shared secrets, FFDHE (modular
 * exponentiation by OpenSSL), Ed25519/Ed448 signing and verification, ECDSA verification, RSA-PSS and
 * RSASSA-PKCS1-v1_5 signing and verification, RSAES-PKCS1-v1_5 encryption.
 *
 * Delegated to noble, because node:crypto cannot do exactly the same:
 * - ECDSA signing: RFC 6979 deterministic nonces (replays and fixed-seed runs are byte-identical), which
 *   OpenSSL 3.0 (Node 20) does not offer: the nonce is computed here, only k*G by OpenSSL (see below).
 * - key-pair generation from a given private key (deterministic mode, RFC 8448 replays) and its checks;
 * - RSAES-PKCS1-v1_5 decoding: Node 20 refuses RSA_PKCS1_PADDING for privateDecrypt (CVE-2023-46809), so
 *   OpenSSL does only RSADP (RSA_NO_PADDING) and micro-rsa-dsa-dh decodes, as in the noble provider;
 * - RSA keys without p and q, or keys OpenSSL will not import or that give a signature that does not verify
 *   (noble then signs without CRT or refuses the inconsistent key with its own CryptoError);
 * - every rejection path whose error must be noble's (the length and range checks run first, as noble does).
 */
import {
  createDiffieHellman,
  createECDH,
  createPrivateKey,
  createPublicKey,
  constants,
  createHash,
  createHmac,
  diffieHellman,
  generateKeyPairSync,
  privateDecrypt,
  publicEncrypt,
  randomBytes,
  sign as nodeSign,
  verify as nodeVerify,
  type KeyObject,
} from 'node:crypto';
import { p256, p384, p521 } from '@noble/curves/nist.js';
import { ed25519 } from '@noble/curves/ed25519.js';
import { ed448 } from '@noble/curves/ed448.js';
import { SCHEMES, asymmetricPrimitives as noble, type AsymmetricPrimitives } from '../noble/asymmetric.ts';
import { invert } from 'micro-rsa-dsa-dh/utils.js';
import { PKCS1_KEM } from 'micro-rsa-dsa-dh/rsa.js';
import { createHmacDrbg, numberToBytesBE } from '@noble/curves/utils.js';
import { invert as invertMod, mod } from '@noble/curves/abstract/modular.js';
import { DER } from '@noble/curves/abstract/weierstrass.js';
import { FFDHE_GROUPS, type FfdheGroup } from '../ffdhe.ts';
import {
  HASH_LENGTH,
  CryptoError,
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

const hexBytes = (h: string): Uint8Array => Uint8Array.from(Buffer.from(h, 'hex'));
const concat = (a: Uint8Array, b: Uint8Array): Uint8Array => {
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
};
const u8 = (b: Buffer): Uint8Array => new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
const own = <T extends object>(o: T, k: string): k is Extract<keyof T, string> => Object.prototype.hasOwnProperty.call(o, k);

function isAllZero(b: Uint8Array): boolean {
  let acc = 0;
  for (const x of b) acc |= x;
  return acc === 0;
}

function leftPad(b: Uint8Array, len: number): Uint8Array {
  if (b.length === len) return b;
  const out = new Uint8Array(len);
  out.set(b.subarray(Math.max(0, b.length - len)), Math.max(0, len - b.length));
  return out;
}

function bytesToBigint(b: Uint8Array): bigint {
  return b.length === 0 ? 0n : BigInt('0x' + Buffer.from(b).toString('hex'));
}

// DER prefixes of the SubjectPublicKeyInfo (RFC 5480 2: an EC point not in the uncompressed form a JWK
// takes) and PKCS#8 PrivateKeyInfo (RFC 8410 7) structures whose last field is the raw key: node:crypto
// imports those raw keys through them.
const SPKI = {
  secp256r1: hexBytes('3059301306072a8648ce3d020106082a8648ce3d030107034200'),
  secp384r1: hexBytes('3076301006072a8648ce3d020106052b81040022036200'),
  secp521r1: hexBytes('30819b301006072a8648ce3d020106052b8104002303818600'),
} as const;
const PKCS8 = {
  x25519: hexBytes('302e020100300506032b656e04220420'),
  x448: hexBytes('3046020100300506032b656f043a0438'),
  ed25519: hexBytes('302e020100300506032b657004220420'),
  ed448: hexBytes('3047020100300506032b6571043b0439'),
} as const;

const b64uBytes = (s: string): Uint8Array => u8(Buffer.from(s, 'base64url'));
const OKP_CURVE = { x25519: 'X25519', x448: 'X448', ed25519: 'Ed25519', ed448: 'Ed448' } as const;
/** A raw X25519 / X448 / Ed25519 / Ed448 public key as a KeyObject, through a JWK (RFC 8037 2): 7x faster than SPKI DER. */
const okpPublicKey = (kind: keyof typeof OKP_CURVE, raw: Uint8Array): KeyObject =>
  createPublicKey({ format: 'jwk', key: { kty: 'OKP', crv: OKP_CURVE[kind], x: Buffer.from(raw).toString('base64url') } });
const spkiKey = (kind: keyof typeof SPKI, raw: Uint8Array): KeyObject => createPublicKey({ key: Buffer.from(concat(SPKI[kind], raw)), format: 'der', type: 'spki' });
const pkcs8Key = (kind: keyof typeof PKCS8, raw: Uint8Array): KeyObject => createPrivateKey({ key: Buffer.from(concat(PKCS8[kind], raw)), format: 'der', type: 'pkcs8' });

// ---------------------------------------------------------------------------------------------------------
// Key exchange

/**
 * Private keys generated here keep their node KeyObject / ECDH object, so that sharedSecret does not import
 * them again. The entry holds a copy of the bytes: a caller that changed the array gets a fresh import.
 */
interface CachedPrivate<T> {
  bytes: Uint8Array;
  value: T;
}
function cached<T>(cache: WeakMap<Uint8Array, CachedPrivate<T>>, sk: Uint8Array): T | undefined {
  const c = cache.get(sk);
  return c && Buffer.compare(c.bytes, sk) === 0 ? c.value : undefined;
}

/** X25519 / X448 (RFC 7748 5; RFC 8446 4.2.8.2: 32 / 56-byte public values and secrets). */
function montgomeryExchange(group: 'x25519' | 'x448', len: number): KeyExchange {
  const ref = noble.keyExchange(group);
  const keys = new WeakMap<Uint8Array, CachedPrivate<KeyObject>>();
  return {
    group,
    generate(privateKey?: Uint8Array): KeyPair {
      if (privateKey) return ref.generate(privateKey); // deterministic mode: noble's checks and result
      const pair = generateKeyPairSync(group as 'x25519');
      // One JWK export gives both raw values (RFC 8037 2: `d` and `x`, base64url); DER exports cost 4x more.
      const jwk = pair.privateKey.export({ format: 'jwk' });
      const sk = b64uBytes(jwk.d!);
      const pk = b64uBytes(jwk.x!);
      if (sk.length !== len || pk.length !== len) return ref.generate(); // never seen; noble's keys then
      keys.set(sk, { bytes: Uint8Array.from(sk), value: pair.privateKey });
      return { group, privateKey: sk, publicKey: pk };
    },
    sharedSecret(privateKey: Uint8Array, peerPublic: Uint8Array): Uint8Array {
      if (privateKey.length !== len || peerPublic.length !== len) return ref.sharedSecret(privateKey, peerPublic); // noble's length errors
      let out: Uint8Array;
      try {
        const sk = cached(keys, privateKey) ?? pkcs8Key(group, privateKey);
        out = u8(diffieHellman({ privateKey: sk, publicKey: okpPublicKey(group, peerPublic) }));
      } catch {
        // OpenSSL refuses an all-zero result (a low-order u-coordinate); noble reports it the same way.
        throw new CryptoError('zero_shared_secret', `${group} shared secret is all zeros (low-order peer public key)`);
      }
      // RFC 8446 7.4.2 / RFC 7748 6: the all-zero shared secret MUST be rejected.
      if (isAllZero(out)) throw new CryptoError('zero_shared_secret', `${group} shared secret is all zeros`);
      return out;
    },
  };
}

const NOBLE_CURVES: Record<EcCurveName, typeof p256> = { secp256r1: p256, secp384r1: p384, secp521r1: p521 };
const ECDH_CURVE: Record<EcCurveName, string> = { secp256r1: 'prime256v1', secp384r1: 'secp384r1', secp521r1: 'secp521r1' };

/** ECDHE on the NIST curves (RFC 8446 4.2.8.2, RFC 8422 5.10): uncompressed points, the x-coordinate as secret. */
function ecdhExchange(group: EcCurveName, fieldLen: number): KeyExchange {
  const ref = noble.keyExchange(group);
  const curve = NOBLE_CURVES[group];
  const keys = new WeakMap<Uint8Array, CachedPrivate<ReturnType<typeof createECDH>>>();
  return {
    group,
    generate(privateKey?: Uint8Array): KeyPair {
      if (privateKey) return ref.generate(privateKey);
      const ecdh = createECDH(ECDH_CURVE[group]);
      const pk = u8(ecdh.generateKeys());
      const sk = leftPad(u8(ecdh.getPrivateKey()), fieldLen).slice();
      keys.set(sk, { bytes: Uint8Array.from(sk), value: ecdh });
      return { group, privateKey: sk, publicKey: pk };
    },
    sharedSecret(privateKey: Uint8Array, peerPublic: Uint8Array): Uint8Array {
      // RFC 8446 4.2.8.2: uncompressed points only (0x04 || X || Y). Anything else, and a private key outside
      // [1, n-1] (noble's own check), goes through noble: its errors.
      if (peerPublic.length !== 1 + 2 * fieldLen || peerPublic[0] !== 0x04) return ref.sharedSecret(privateKey, peerPublic);
      let ecdh = cached(keys, privateKey);
      if (!ecdh) {
        if (privateKey.length !== fieldLen || !curve.utils.isValidSecretKey(privateKey)) return ref.sharedSecret(privateKey, peerPublic);
        ecdh = createECDH(ECDH_CURVE[group]);
        ecdh.setPrivateKey(Buffer.from(privateKey));
      }
      try {
        // OpenSSL checks the point: coordinates below p, on the curve (RFC 8446 4.2.8.2 validation).
        return leftPad(u8(ecdh.computeSecret(peerPublic)), fieldLen);
      } catch {
        throw new CryptoError('invalid_public_key', `${group} public key is not a valid point on the curve`);
      }
    },
  };
}

/** FFDHE (RFC 7919): our short random exponent as noble picks it, the exponentiation by OpenSSL. */
function ffdheExchange(g: FfdheGroup): KeyExchange {
  const ref = noble.keyExchange(g.name);
  const { p, byteLength: len } = g;
  const pMinus1 = p - 1n;
  const prime = Buffer.from(p.toString(16).padStart(len * 2, '0'), 'hex');
  const generator = Buffer.from(g.g.toString(16).padStart(2, '0'), 'hex');
  const dh = (x: Uint8Array) => {
    const d = createDiffieHellman(prime, generator);
    d.setPrivateKey(Buffer.from(x));
    return d;
  };
  return {
    group: g.name,
    generate(privateKey?: Uint8Array): KeyPair {
      if (privateKey) return ref.generate(privateKey);
      // RFC 7919 5.2 short exponents, as noble: 2 * minExponentBits random bits, > 1.
      const nbytes = Math.ceil((2 * g.minExponentBits) / 8);
      let sk: Uint8Array;
      do sk = u8(randomBytes(nbytes));
      while (bytesToBigint(sk) <= 1n);
      const d = dh(sk);
      // With the private key set, generateKeys computes only Y = g^x mod p (RFC 8446 4.2.8.1: left-padded to |p|).
      return { group: g.name, privateKey: sk, publicKey: leftPad(u8(d.generateKeys()), len) };
    },
    sharedSecret(privateKey: Uint8Array, peerPublic: Uint8Array): Uint8Array {
      const x = bytesToBigint(privateKey);
      const y = peerPublic.length === 0 || peerPublic.length > len ? 0n : bytesToBigint(peerPublic);
      // noble's checks and errors: 1 < x < p-1; 1..|p| bytes; RFC 7919 5.1: 1 < Y < p-1.
      if (x <= 1n || x >= pMinus1 || y <= 1n || y >= pMinus1) return ref.sharedSecret(privateKey, peerPublic);
      // RFC 8446 7.4.1: Z left-padded to |p| (TLS 1.2 strips the zeros: tls12DhePremasterSecret).
      return leftPad(u8(dh(privateKey).computeSecret(Buffer.from(peerPublic))), len);
    },
  };
}


const EXCHANGES: Record<GroupName, KeyExchange> = {
  x25519: montgomeryExchange('x25519', 32),
  x448: montgomeryExchange('x448', 56),
  secp256r1: ecdhExchange('secp256r1', 32),
  secp384r1: ecdhExchange('secp384r1', 48),
  secp521r1: ecdhExchange('secp521r1', 66), // SEC 1 2.3.5: 521-bit field elements take 66 bytes
  ffdhe2048: ffdheExchange(FFDHE_GROUPS.ffdhe2048),
  ffdhe3072: ffdheExchange(FFDHE_GROUPS.ffdhe3072),
  ffdhe4096: ffdheExchange(FFDHE_GROUPS.ffdhe4096),
  ffdhe6144: ffdheExchange(FFDHE_GROUPS.ffdhe6144),
  ffdhe8192: ffdheExchange(FFDHE_GROUPS.ffdhe8192),
};

// ---------------------------------------------------------------------------------------------------------
// Signatures

const b64u = (x: bigint): string => {
  let h = x.toString(16);
  if (h.length % 2) h = '0' + h;
  return Buffer.from(h, 'hex').toString('base64url');
};
const byteLength = (n: bigint): number => Math.ceil(n.toString(16).length / 2);

const privateKeys = new WeakMap<object, KeyObject | null>();
const publicKeys = new WeakMap<object, KeyObject | null>();

/** The node KeyObject of a private key, or null when node cannot take it (then noble does the operation). */
function nodePrivateKey(key: PrivateKey): KeyObject | null {
  let k = privateKeys.get(key);
  if (k !== undefined) return k;
  k = null;
  try {
    if (key.kind === 'ed25519' && key.seed.length === 32) k = pkcs8Key('ed25519', key.seed);
    else if (key.kind === 'ed448' && key.seed.length === 57) k = pkcs8Key('ed448', key.seed);
    else if (key.kind === 'rsa' && key.p !== undefined && key.q !== undefined && key.p > 1n && key.q > 1n && key.p * key.q === key.n) {
      const { n, e, d, p, q } = key;
      k = createPrivateKey({
        format: 'jwk',
        key: { kty: 'RSA', n: b64u(n), e: b64u(e), d: b64u(d), p: b64u(p), q: b64u(q), dp: b64u(d % (p - 1n)), dq: b64u(d % (q - 1n)), qi: b64u(invert(q, p)) },
      });
    }
  } catch {
    k = null;
  }
  privateKeys.set(key, k);
  return k;
}

const JWK_CURVE: Record<EcCurveName, string> = { secp256r1: 'P-256', secp384r1: 'P-384', secp521r1: 'P-521' };
/** An EC public key: an uncompressed point through a JWK (RFC 7518 6.2.1), 2x faster than SPKI DER; other encodings by SPKI. */
function ecPublicKey(curve: EcCurveName, point: Uint8Array): KeyObject {
  const len = ECDSA_CURVES[curve].bytes;
  if (point.length !== 1 + 2 * len || point[0] !== 0x04) return spkiKey(curve, point);
  const b = Buffer.from(point.buffer, point.byteOffset, point.byteLength);
  return createPublicKey({ format: 'jwk', key: { kty: 'EC', crv: JWK_CURVE[curve], x: b.subarray(1, 1 + len).toString('base64url'), y: b.subarray(1 + len).toString('base64url') } });
}

function nodePublicKey(key: PublicKey): KeyObject | null {
  let k = publicKeys.get(key);
  if (k !== undefined) return k;
  k = null;
  try {
    if (key.kind === 'ed25519' && key.key.length === 32) k = okpPublicKey('ed25519', key.key);
    else if (key.kind === 'ed448' && key.key.length === 57) k = okpPublicKey('ed448', key.key);
    else if (key.kind === 'ec' && own(ECDSA_CURVES, key.curve)) k = ecPublicKey(key.curve, key.point);
    else if (key.kind === 'rsa') k = createPublicKey({ format: 'jwk', key: { kty: 'RSA', n: b64u(key.n), e: b64u(key.e) } });
  } catch {
    k = null;
  }
  publicKeys.set(key, k);
  return k;
}

// ---------------------------------------------------------------------------------------------------------
// ECDSA with RFC 6979 deterministic nonces. OpenSSL 3.0 (Node 20) signs with a random k only; so the nonce
// comes from the RFC 6979 3.2 HMAC-DRBG (noble's createHmacDrbg, HMAC by node:crypto), and the one costly
// step, k*G, from OpenSSL through an ECDH object whose private key is k. The same bytes as noble's
// sign(digest, d, {prehash: false, lowS: true, extraEntropy: false}): its bits2int, its DRBG (keyed with the
// curve's hash, as noble's p256 / p384 / p521 are), its low-S rule, and its DER encoder.

interface EcdsaCurve {
  n: bigint;
  bits: number;
  bytes: number;
  drbgHash: HashName;
  kG?: ReturnType<typeof createECDH>;
}
/** The order n, its bits and bytes from noble's scalar field; the DRBG hash is the one noble's curve signs with. */
const ecdsaCurve = (curve: EcCurveName, drbgHash: HashName): EcdsaCurve => {
  const { ORDER, BITS, BYTES } = NOBLE_CURVES[curve].Point.Fn;
  return { n: ORDER, bits: BITS, bytes: BYTES, drbgHash };
};
const ECDSA_CURVES: Record<EcCurveName, EcdsaCurve> = {
  secp256r1: ecdsaCurve('secp256r1', 'sha256'),
  secp384r1: ecdsaCurve('secp384r1', 'sha384'),
  secp521r1: ecdsaCurve('secp521r1', 'sha512'),
};

/** RFC 6979 2.3.2 bits2int: the leftmost qlen bits. */
function bits2int(b: Uint8Array, bits: number): bigint {
  const x = bytesToBigint(b);
  const delta = b.length * 8 - bits;
  return delta > 0 ? x >> BigInt(delta) : x;
}
function ecdsaSignDeterministic(curve: EcCurveName, d: bigint, digest: Uint8Array): Uint8Array {
  const c = ECDSA_CURVES[curve];
  const { n } = c;
  const m = mod(bits2int(digest, c.bits), n); // RFC 6979 3.2 a: h1, as bits2int(h1) mod q
  const seed = concat(numberToBytesBE(d, c.bytes), numberToBytesBE(m, c.bytes)); // step d: int2octets(x) || bits2octets(h1)
  const hmac = (key: Uint8Array, msg: Uint8Array): Uint8Array => u8(createHmac(c.drbgHash, key).update(msg).digest());
  const drbg = createHmacDrbg<{ r: bigint; s: bigint }>(HASH_LENGTH[c.drbgHash], c.bytes, hmac);
  const ecdh = (c.kG ??= createECDH(ECDH_CURVE[curve])); // one per curve: used synchronously, its key replaced each time
  const half = n >> 1n;
  const sig = drbg(seed, (kBytes) => {
    const k = bits2int(kBytes, c.bits); // step h.3: k = bits2int(T), retried unless 1 <= k < q
    if (k <= 0n || k >= n) return undefined;
    ecdh.setPrivateKey(Buffer.from(numberToBytesBE(k, c.bytes)));
    const q = ecdh.getPublicKey(); // k*G, uncompressed
    const r = mod(bytesToBigint(q.subarray(1, 1 + c.bytes)), n); // r = x(kG) mod n
    if (r === 0n) return undefined;
    // s = k^-1 (m + r d) mod n, the inversion blinded by a random b as noble does: (bk)^-1 (bm + bdr).
    const b = mod(bytesToBigint(randomBytes(c.bytes + 16)), n - 1n) + 1n;
    let s = mod(invertMod(mod(b * k, n), n) * mod(b * m + mod(b * d, n) * r, n), n);
    if (s === 0n) return undefined;
    if (s > half) s = n - s; // low S
    return { r, s };
  });
  return hexBytes(DER.hexFromSig(sig)); // noble's DER encoder: the bytes noble's own sign() writes
}

function sign(scheme: SignatureSchemeName, key: PrivateKey, message: Uint8Array, options?: SignatureOptions): Uint8Array {
  const spec = own(SCHEMES, scheme) ? SCHEMES[scheme] : undefined;
  if (!spec || !(message instanceof Uint8Array)) return noble.sign(scheme, key, message, options);
  if (spec.type === 'ecdsa') {
    // noble's refusals (key type, curve, a scalar outside [1, n-1]) stay noble's.
    const fits = key.kind === 'ec' && own(ECDSA_CURVES, key.curve) && (options?.ecdsaAnyCurve || (spec.curves as readonly string[]).includes(key.curve));
    if (!fits) return noble.sign(scheme, key, message, options);
    const c = ECDSA_CURVES[key.curve];
    const d = key.scalar.length === c.bytes ? bytesToBigint(key.scalar) : 0n;
    if (d <= 0n || d >= c.n) return noble.sign(scheme, key, message, options);
    // RFC 8446 4.2.3 / RFC 8422 5.4: the signature over the scheme's hash of the message, DER ECDSA-Sig-Value.
    return ecdsaSignDeterministic(key.curve, d, u8(createHash(spec.hash).update(message).digest()));
  }
  const sk = spec.type === key.kind || (spec.type.startsWith('rsa') && key.kind === 'rsa') ? nodePrivateKey(key) : null;
  if (!sk) return noble.sign(scheme, key, message, options); // key mismatch, RSA without CRT, ...: noble decides
  if (spec.type === 'ed25519' || spec.type === 'ed448') return u8(nodeSign(null, message, sk)); // RFC 8032: deterministic
  const hash = (spec as { hash: HashName }).hash;
  const k = byteLength((key as PrivateKey & { kind: 'rsa' }).n);
  try {
    // RFC 8446 4.2.3: RSASSA-PSS with MGF1 of the same hash and a salt as long as the hash.
    const sig = u8(
      nodeSign(hash, message, {
        key: sk,
        padding: spec.type === 'rsa-pss' ? constants.RSA_PKCS1_PSS_PADDING : constants.RSA_PKCS1_PADDING,
        saltLength: HASH_LENGTH[hash],
      }),
    );
    const pub = key as PrivateKey & { kind: 'rsa' };
    // The signature must verify (noble refuses an inconsistent key rather than leak a CRT fault).
    if (sig.length === k && verify(scheme, { kind: 'rsa', n: pub.n, e: pub.e, bits: pub.bits }, message, sig)) return sig;
  } catch {
    // too small a key for the scheme, a key OpenSSL refuses: noble's CryptoError below
  }
  return noble.sign(scheme, key, message, options);
}

/**
 * Whether an EdDSA public key is one noble's strict verification takes: a canonical encoding (y < p) of a
 * point that is not of small order. OpenSSL verifies against small-order keys; noble (zip215: false) refuses.
 */
const edKeyOk = new WeakMap<object, boolean>();
function edKeyAcceptable(key: PublicKey & { kind: 'ed25519' | 'ed448' }): boolean {
  let ok = edKeyOk.get(key);
  if (ok === undefined) {
    try {
      ok = !(key.kind === 'ed25519' ? ed25519 : ed448).Point.fromBytes(key.key, false).isSmallOrder();
    } catch {
      ok = false;
    }
    edKeyOk.set(key, ok);
  }
  return ok;
}

/**
 * node:crypto's verification, where OpenSSL accepts a subset of what noble accepts: its `true` is final, its
 * `false` is confirmed by noble (a failure is rare, so the cost is too). Where they differ: OpenSSL's Ed25519 /
 * Ed448 equation is cofactorless and noble's cofactored (RFC 8032 5.1.7 allows either); a signature whose R
 * has a small-order component passes noble only. Keys noble refuses are refused before OpenSSL sees them.
 */
function verify(scheme: SignatureSchemeName, key: PublicKey, message: Uint8Array, signature: Uint8Array, options?: SignatureOptions): boolean {
  const native = nativeVerify(scheme, key, message, signature, options);
  if (native === true) return true;
  if (native === 'refuse') return false; // a check noble makes as well, before any arithmetic
  return noble.verify(scheme, key, message, signature, options);
}

function nativeVerify(scheme: SignatureSchemeName, key: PublicKey, message: Uint8Array, signature: Uint8Array, options?: SignatureOptions): boolean | 'refuse' | undefined {
  try {
    const spec = own(SCHEMES, scheme) ? SCHEMES[scheme] : undefined;
    if (!spec || !(signature instanceof Uint8Array) || !(message instanceof Uint8Array) || !key) return 'refuse';
    switch (spec.type) {
      case 'ed25519':
      case 'ed448': {
        // RFC 8032 5.1.7 / 5.2.7: 64 / 114-byte signatures, 32 / 57-byte keys; noble's key checks first.
        if (key.kind !== spec.type || signature.length !== (spec.type === 'ed25519' ? 64 : 114) || !edKeyAcceptable(key)) return 'refuse';
        const pk = nodePublicKey(key);
        return pk ? nodeVerify(null, message, pk, signature) : undefined;
      }
      case 'ecdsa': {
        if (key.kind !== 'ec' || !(options?.ecdsaAnyCurve ? own(ECDH_CURVE, key.curve) : spec.curves.includes(key.curve))) return 'refuse';
        const pk = nodePublicKey(key);
        // DER ECDSA-Sig-Value (RFC 8446 4.2.3, RFC 8422 5.4); OpenSSL rejects non-canonical DER; high S verifies.
        return pk ? nodeVerify(spec.hash, message, { key: pk, dsaEncoding: 'der' }, signature) : undefined;
      }
      case 'rsa-pss':
      case 'rsa-pkcs1': {
        if (key.kind !== 'rsa') return 'refuse';
        // RFC 8017 8.1.2 / 8.2.2 step 1: the signature is exactly k bytes (OpenSSL would take a shorter one).
        if (signature.length !== byteLength(key.n)) return 'refuse';
        const pk = nodePublicKey(key);
        if (!pk) return undefined;
        return nodeVerify(spec.hash, message, {
          key: pk,
          padding: spec.type === 'rsa-pss' ? constants.RSA_PKCS1_PSS_PADDING : constants.RSA_PKCS1_PADDING,
          saltLength: HASH_LENGTH[spec.hash], // RFC 8446 4.2.3: the salt length MUST equal the hash length
        }, signature);
      }
    }
  } catch {
    return undefined;
  }
}

// ---------------------------------------------------------------------------------------------------------
// RSAES-PKCS1-v1_5 (RFC 8017 7.2)

function rsaEncrypt(key: PublicKey & { kind: 'rsa' }, message: Uint8Array): Uint8Array {
  if (key.kind !== 'rsa' || message.length > byteLength(key.n) - 11) return noble.rsaEncrypt(key, message); // noble's errors
  const pk = nodePublicKey(key);
  if (!pk) return noble.rsaEncrypt(key, message);
  try {
    return leftPad(u8(publicEncrypt({ key: pk, padding: constants.RSA_PKCS1_PADDING }, message)), byteLength(key.n));
  } catch {
    return noble.rsaEncrypt(key, message);
  }
}

/**
 * RSAES-PKCS1-v1_5 decryption (RFC 8017 7.2.2): RSADP (step 2b, c^d mod n) by OpenSSL with RSA_NO_PADDING
 * (CRT and blinding; Node 20 refuses only its PKCS#1 v1.5 unpadding), then the EME-PKCS1-v1_5 decoding
 * (step 3) by micro-rsa-dsa-dh, exactly as the noble provider decodes. Null for any failure, as noble: the
 * caller's RFC 5246 7.4.7.1 countermeasure (a random pre-master secret) does not depend on the reason.
 */
function rsaDecrypt(key: PrivateKey & { kind: 'rsa' }, ciphertext: Uint8Array): Uint8Array | null {
  if (key?.kind !== 'rsa' || !(ciphertext instanceof Uint8Array)) return noble.rsaDecrypt(key, ciphertext);
  const k = byteLength(key.n);
  const sk = nodePrivateKey(key);
  // RFC 8017 7.2.2 step 1: exactly k bytes; step 2a: c < n. Keys node cannot take: noble.
  if (!sk || ciphertext.length !== k || k < 11 || bytesToBigint(ciphertext) >= key.n) return noble.rsaDecrypt(key, ciphertext);
  try {
    const em = privateDecrypt({ key: sk, padding: constants.RSA_NO_PADDING }, ciphertext);
    return Uint8Array.from(PKCS1_KEM.decrypt({ n: key.n, d: 1n }, leftPad(u8(em), k)));
  } catch {
    return null;
  }
}

export const nodeAsymmetricPrimitives: AsymmetricPrimitives = {
  keyExchange(group: GroupName): KeyExchange {
    if (!own(EXCHANGES, group)) return noble.keyExchange(group); // noble's CryptoError('unsupported')
    return EXCHANGES[group];
  },
  sign,
  verify,
  rsaEncrypt,
  rsaDecrypt,
};
