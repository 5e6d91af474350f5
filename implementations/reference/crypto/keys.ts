/**
 * Private and public keys from PEM / DER files, as the provider's PublicKey / PrivateKey values.
 *
 * node:crypto parses the containers (PKCS#8 "PRIVATE KEY", PKCS#1 "RSA PRIVATE KEY", SEC1 "EC PRIVATE KEY",
 * SPKI "PUBLIC KEY", PKCS#1 "RSA PUBLIC KEY") and hands us the numbers through a JWK export; the
 * cryptographic operations themselves are the provider's. Key files are user input, so nothing here throws
 * on a bad file: every parser returns a `KeyResult` whose error is one readable line (`KeyError.message`).
 * `unwrapKey` turns that into an exception (KeyParseError) for callers that prefer one.
 *
 * Supported key types: RSA (rsaEncryption OID), EC on P-256 / P-384 / P-521, Ed25519, Ed448. Everything else
 * (RSASSA-PSS OID keys, i.e. rsa_pss_pss_*; other curves; DSA; DH; X25519; X448) is reported as `unsupported_type`.
 */
import { createPrivateKey, createPublicKey, KeyObject, type JsonWebKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { ed25519 } from '@noble/curves/ed25519.js';
import { ed448 } from '@noble/curves/ed448.js';
import { p256, p384, p521 } from '@noble/curves/nist.js';
import { rsaKeyFitsScheme } from './noble/asymmetric.ts';
import type { EcCurveName, PrivateKey, PublicKey, SignatureSchemeName } from './provider.ts';

export type KeyErrorCode =
  | 'io' // the file cannot be read
  | 'not_a_key' // no key in the input (wrong PEM label, empty input)
  | 'bad_encoding' // PEM/DER/ASN.1 damaged
  | 'encrypted' // a passphrase is needed (or the given one is wrong)
  | 'unsupported_type' // a key type or curve the harness does not use
  | 'inconsistent'; // the key's parts do not belong together (e.g. EC public point != d*G)

export interface KeyError {
  readonly code: KeyErrorCode;
  /** One line, suitable for the user. */
  readonly message: string;
}

export type KeyResult<T> = { ok: true; key: T } | { ok: false; error: KeyError };

export class KeyParseError extends Error {
  override readonly name = 'KeyParseError';
  constructor(readonly code: KeyErrorCode, message: string) {
    super(message);
  }
}

/** The key, or a KeyParseError carrying the one-line message. */
export function unwrapKey<T>(r: KeyResult<T>): T {
  if (r.ok) return r.key;
  throw new KeyParseError(r.error.code, r.error.message);
}

export interface ParseOptions {
  /** For encrypted PKCS#8 ("ENCRYPTED PRIVATE KEY") or legacy encrypted PEM. */
  passphrase?: string;
}

const fail = (code: KeyErrorCode, message: string): { ok: false; error: KeyError } => ({ ok: false, error: { code, message } });

// ---------------------------------------------------------------------------------------------------------
// PEM handling

const PRIVATE_LABELS = ['PRIVATE KEY', 'RSA PRIVATE KEY', 'EC PRIVATE KEY', 'ENCRYPTED PRIVATE KEY'];
const PUBLIC_LABELS = ['PUBLIC KEY', 'RSA PUBLIC KEY'];

interface PemBlock {
  label: string;
  text: string; // the whole block, BEGIN to END, as node:crypto wants it
}

/** Every PEM block in the text, in order. */
export function pemBlocks(text: string): PemBlock[] {
  const out: PemBlock[] = [];
  const re = /-----BEGIN ([A-Z0-9 ]+)-----[\s\S]*?-----END \1-----/g;
  for (let m = re.exec(text); m; m = re.exec(text)) out.push({ label: m[1], text: m[0] });
  return out;
}

function looksLikePem(input: string | Uint8Array): string | null {
  const text = typeof input === 'string' ? input : Buffer.from(input.subarray(0, 4096)).toString('latin1');
  if (!text.includes('-----BEGIN ')) return null;
  return typeof input === 'string' ? input : Buffer.from(input).toString('latin1');
}

function describeNodeError(e: unknown): string {
  const err = e as { code?: string; message?: string };
  const msg = String(err.message ?? e).replace(/^error:[0-9A-F]+:/, '');
  return msg.split('\n')[0];
}

function isPassphraseError(e: unknown): boolean {
  const err = e as { code?: string; message?: string };
  return (
    err.code === 'ERR_MISSING_PASSPHRASE' ||
    err.code === 'ERR_OSSL_CRYPTO_INTERRUPTED_OR_CANCELLED' ||
    /bad decrypt|passphrase/i.test(String(err.message))
  );
}

// ---------------------------------------------------------------------------------------------------------
// Parsing

/** Parse a private key: PEM (PKCS#8, encrypted PKCS#8, PKCS#1 RSA, SEC1 EC) or DER (PKCS#8, PKCS#1, SEC1). */
export function parsePrivateKey(input: string | Uint8Array, opts: ParseOptions = {}): KeyResult<PrivateKey> {
  let ko: KeyObject | undefined;
  const pem = looksLikePem(input);
  if (pem !== null) {
    const blocks = pemBlocks(pem);
    const block = blocks.find((b) => PRIVATE_LABELS.includes(b.label));
    if (!block) {
      const found = blocks.map((b) => b.label).join(', ') || 'no complete PEM block';
      return fail('not_a_key', `no private key PEM block (found: ${found})`);
    }
    const encrypted = block.label === 'ENCRYPTED PRIVATE KEY' || /Proc-Type:\s*4,ENCRYPTED/.test(block.text);
    if (encrypted && opts.passphrase === undefined)
      return fail('encrypted', 'the private key is encrypted and no passphrase was given');
    try {
      ko = createPrivateKey({ key: block.text, format: 'pem', passphrase: opts.passphrase });
    } catch (e) {
      if (encrypted && isPassphraseError(e)) return fail('encrypted', 'cannot decrypt the private key: wrong passphrase?');
      return fail('bad_encoding', `cannot parse the ${block.label} PEM block: ${describeNodeError(e)}`);
    }
  } else {
    const der = Buffer.from(typeof input === 'string' ? Buffer.from(input, 'latin1') : input);
    if (der.length === 0) return fail('not_a_key', 'empty private key input');
    for (const type of ['pkcs8', 'pkcs1', 'sec1'] as const) {
      try {
        ko = createPrivateKey({ key: der, format: 'der', type, passphrase: opts.passphrase });
        break;
      } catch (e) {
        if (type === 'pkcs8' && opts.passphrase === undefined && isPassphraseError(e))
          return fail('encrypted', 'the private key is encrypted and no passphrase was given');
      }
    }
    if (!ko) return fail('bad_encoding', 'not a DER private key (tried PKCS#8, PKCS#1 RSA and SEC1 EC)');
  }
  return privateKeyFromKeyObject(ko);
}

/** Parse a public key: PEM or DER SubjectPublicKeyInfo, or PKCS#1 "RSA PUBLIC KEY". */
export function parsePublicKey(input: string | Uint8Array): KeyResult<PublicKey> {
  let ko: KeyObject | undefined;
  const pem = looksLikePem(input);
  if (pem !== null) {
    const blocks = pemBlocks(pem);
    const block = blocks.find((b) => PUBLIC_LABELS.includes(b.label));
    if (!block) {
      const found = blocks.map((b) => b.label).join(', ') || 'no complete PEM block';
      return fail('not_a_key', `no public key PEM block (found: ${found})`);
    }
    try {
      ko = createPublicKey({ key: block.text, format: 'pem' });
    } catch (e) {
      return fail('bad_encoding', `cannot parse the ${block.label} PEM block: ${describeNodeError(e)}`);
    }
  } else {
    const der = Buffer.from(typeof input === 'string' ? Buffer.from(input, 'latin1') : input);
    if (der.length === 0) return fail('not_a_key', 'empty public key input');
    for (const type of ['spki', 'pkcs1'] as const) {
      try {
        ko = createPublicKey({ key: der, format: 'der', type });
        break;
      } catch {
        /* try the next container */
      }
    }
    if (!ko) return fail('bad_encoding', 'not a DER public key (tried SubjectPublicKeyInfo and PKCS#1 RSA)');
  }
  return publicKeyFromKeyObject(ko);
}

function readFile(path: string): { ok: true; data: Buffer } | { ok: false; error: KeyError } {
  try {
    return { ok: true, data: readFileSync(path) };
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    return fail('io', `${path}: cannot read (${err.code ?? err.message})`);
  }
}

function prefixed<T>(path: string, r: KeyResult<T>): KeyResult<T> {
  return r.ok ? r : fail(r.error.code, `${path}: ${r.error.message}`);
}

/** parsePrivateKey on a file; the error message starts with the path. */
export function readPrivateKeyFile(path: string, opts: ParseOptions = {}): KeyResult<PrivateKey> {
  const f = readFile(path);
  return f.ok ? prefixed(path, parsePrivateKey(f.data, opts)) : f;
}

/** parsePublicKey on a file; the error message starts with the path. */
export function readPublicKeyFile(path: string): KeyResult<PublicKey> {
  const f = readFile(path);
  return f.ok ? prefixed(path, parsePublicKey(f.data)) : f;
}

// ---------------------------------------------------------------------------------------------------------
// KeyObject -> provider key

const b64 = (s: string | undefined): Uint8Array => Uint8Array.from(Buffer.from(s ?? '', 'base64url'));
const bn = (s: string | undefined): bigint => {
  const b = Buffer.from(s ?? '', 'base64url');
  return b.length === 0 ? 0n : BigInt('0x' + b.toString('hex'));
};
const leftPad = (b: Uint8Array, len: number): Uint8Array => {
  if (b.length >= len) return b;
  const out = new Uint8Array(len);
  out.set(b, len - b.length);
  return out;
};
const bitLength = (n: bigint): number => (n === 0n ? 0 : n.toString(2).length);

const EC_CURVES: Record<string, { name: EcCurveName; len: number; noble: typeof p256 }> = {
  prime256v1: { name: 'secp256r1', len: 32, noble: p256 },
  secp384r1: { name: 'secp384r1', len: 48, noble: p384 },
  secp521r1: { name: 'secp521r1', len: 66, noble: p521 },
};

/** RFC 8032 5.1.5 / 5.2.5: Ed25519 keys are 32 bytes, Ed448 keys 57. */
const EDDSA = {
  ed25519: { len: 32, noble: ed25519, label: 'Ed25519' },
  ed448: { len: 57, noble: ed448, label: 'Ed448' },
} as const;

function unsupported(ko: KeyObject): { ok: false; error: KeyError } {
  const t = ko.asymmetricKeyType;
  if (t === 'rsa-pss')
    return fail('unsupported_type', 'RSASSA-PSS (id-RSASSA-PSS OID) keys are not supported; use an rsaEncryption RSA key (rsa_pss_rsae_*)');
  if (t === 'ec') {
    const curve = (ko.asymmetricKeyDetails as { namedCurve?: string } | undefined)?.namedCurve ?? 'unknown';
    return fail('unsupported_type', `EC curve ${curve} is not supported (only P-256, P-384 and P-521)`);
  }
  return fail('unsupported_type', `${t ?? 'unknown'} keys are not supported (only RSA, EC P-256/P-384/P-521, Ed25519, Ed448)`);
}

function ecCurveOf(ko: KeyObject) {
  const curve = (ko.asymmetricKeyDetails as { namedCurve?: string } | undefined)?.namedCurve;
  return curve ? EC_CURVES[curve] : undefined;
}

/** Offset just past the header of the DER TLV at `off`, and the offset of the next TLV. */
function tlv(b: Uint8Array, off: number): { body: number; next: number } {
  let len = b[off + 1];
  let body = off + 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + b[body + i];
    body += n;
  }
  return { body, next: body + len };
}

/**
 * RFC 5480 2.1.1: in PKIX the EC domain parameters MUST be a namedCurve OID ("implicitCurve and
 * specifiedCurve MUST NOT be used"), and RFC 8422 5.1.1 gives TLS named curves only. OpenSSL maps explicit
 * parameters that resemble P-256 to prime256v1 even with a wrong cofactor (Wycheproof ecdh tcId 359, 361),
 * so the encoding itself is checked: SubjectPublicKeyInfo { AlgorithmIdentifier { id-ecPublicKey, OID } }.
 */
function ecParamsAreNamed(ko: KeyObject): boolean {
  const pub = ko.type === 'private' ? createPublicKey(ko) : ko;
  const der = new Uint8Array(pub.export({ type: 'spki', format: 'der' }));
  const spki = tlv(der, 0); // SubjectPublicKeyInfo SEQUENCE
  const alg = tlv(der, spki.body); // AlgorithmIdentifier SEQUENCE
  const oid = tlv(der, alg.body); // id-ecPublicKey
  return der[oid.next] === 0x06 && oid.next < alg.next;
}

export function privateKeyFromKeyObject(ko: KeyObject): KeyResult<PrivateKey> {
  if (ko.type !== 'private') return fail('not_a_key', `expected a private key, got a ${ko.type} key`);
  try {
    switch (ko.asymmetricKeyType) {
      case 'rsa': {
        const j = ko.export({ format: 'jwk' }) as JsonWebKey;
        const n = bn(j.n);
        const key: PrivateKey = { kind: 'rsa', n, e: bn(j.e), d: bn(j.d), bits: bitLength(n) };
        if (j.p && j.q) {
          const p = bn(j.p);
          const q = bn(j.q);
          if (p * q !== n) return fail('inconsistent', 'RSA private key: p * q != n');
          key.p = p;
          key.q = q;
        }
        return { ok: true, key };
      }
      case 'ec': {
        const c = ecCurveOf(ko);
        if (!c) return unsupported(ko);
        if (!ecParamsAreNamed(ko)) return fail('unsupported_type', 'EC keys with explicit curve parameters are not supported (RFC 5480 2.1.1: named curves only)');
        const j = ko.export({ format: 'jwk' }) as JsonWebKey;
        const scalar = leftPad(b64(j.d), c.len);
        const point = Uint8Array.from([4, ...leftPad(b64(j.x), c.len), ...leftPad(b64(j.y), c.len)]);
        if (!c.noble.utils.isValidSecretKey(scalar)) return fail('inconsistent', 'EC private key: scalar out of range');
        const derived = c.noble.getPublicKey(scalar, false);
        if (!bytesEqual(derived, point)) return fail('inconsistent', 'EC private key: the public point does not match d*G');
        return { ok: true, key: { kind: 'ec', curve: c.name, scalar, point } };
      }
      case 'ed25519':
      case 'ed448': {
        const kind = ko.asymmetricKeyType;
        const e = EDDSA[kind];
        const j = ko.export({ format: 'jwk' }) as JsonWebKey;
        const seed = b64(j.d);
        if (seed.length !== e.len) return fail('bad_encoding', `${e.label} private key must be ${e.len} bytes`);
        const key = e.noble.getPublicKey(seed);
        if (j.x && !bytesEqual(b64(j.x), key)) return fail('inconsistent', `${e.label} private key: public key does not match the seed`);
        return { ok: true, key: { kind, seed, key } };
      }
      default:
        return unsupported(ko);
    }
  } catch (e) {
    return fail('bad_encoding', `cannot read the key: ${describeNodeError(e)}`);
  }
}

export function publicKeyFromKeyObject(ko: KeyObject): KeyResult<PublicKey> {
  if (ko.type === 'private') ko = createPublicKey(ko);
  if (ko.type !== 'public') return fail('not_a_key', `expected a public key, got a ${ko.type} key`);
  try {
    switch (ko.asymmetricKeyType) {
      case 'rsa': {
        const j = ko.export({ format: 'jwk' }) as JsonWebKey;
        const n = bn(j.n);
        return { ok: true, key: { kind: 'rsa', n, e: bn(j.e), bits: bitLength(n) } };
      }
      case 'ec': {
        const c = ecCurveOf(ko);
        if (!c) return unsupported(ko);
        if (!ecParamsAreNamed(ko)) return fail('unsupported_type', 'EC keys with explicit curve parameters are not supported (RFC 5480 2.1.1: named curves only)');
        const j = ko.export({ format: 'jwk' }) as JsonWebKey;
        const point = Uint8Array.from([4, ...leftPad(b64(j.x), c.len), ...leftPad(b64(j.y), c.len)]);
        return { ok: true, key: { kind: 'ec', curve: c.name, point } };
      }
      case 'ed25519':
      case 'ed448': {
        const kind = ko.asymmetricKeyType;
        const e = EDDSA[kind];
        const j = ko.export({ format: 'jwk' }) as JsonWebKey;
        const key = b64(j.x);
        if (key.length !== e.len) return fail('bad_encoding', `${e.label} public key must be ${e.len} bytes`);
        return { ok: true, key: { kind, key } };
      }
      default:
        return unsupported(ko);
    }
  } catch (e) {
    return fail('bad_encoding', `cannot read the key: ${describeNodeError(e)}`);
  }
}

// ---------------------------------------------------------------------------------------------------------
// Key helpers

function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let d = 0;
  for (let i = 0; i < a.length; i++) d |= a[i] ^ b[i];
  return d === 0;
}

export function publicKeyOf(key: PrivateKey): PublicKey {
  switch (key.kind) {
    case 'rsa':
      return { kind: 'rsa', n: key.n, e: key.e, bits: key.bits };
    case 'ec':
      return { kind: 'ec', curve: key.curve, point: Uint8Array.from(key.point) };
    case 'ed25519':
    case 'ed448':
      return { kind: key.kind, key: Uint8Array.from(key.key) };
  }
}

export function publicKeysEqual(a: PublicKey, b: PublicKey): boolean {
  if (a.kind === 'rsa' && b.kind === 'rsa') return a.n === b.n && a.e === b.e;
  if (a.kind === 'ec' && b.kind === 'ec') return a.curve === b.curve && bytesEqual(a.point, b.point);
  if (a.kind === 'ed25519' && b.kind === 'ed25519') return bytesEqual(a.key, b.key);
  if (a.kind === 'ed448' && b.kind === 'ed448') return bytesEqual(a.key, b.key);
  return false;
}

const NIST_NAME: Record<EcCurveName, string> = { secp256r1: 'P-256', secp384r1: 'P-384', secp521r1: 'P-521' };

/** 'RSA-2048', 'ECDSA P-256', 'Ed25519', 'Ed448'. */
export function describeKey(key: PublicKey | PrivateKey): string {
  switch (key.kind) {
    case 'rsa':
      return `RSA-${key.bits}`;
    case 'ec':
      return `ECDSA ${NIST_NAME[key.curve]}`;
    case 'ed25519':
      return 'Ed25519';
    case 'ed448':
      return 'Ed448';
  }
}

/** RFC 8446 4.2.3: the ECDSA scheme of each curve (in TLS 1.3 the scheme names the curve and the hash). */
const ECDSA_SCHEME: Record<EcCurveName, SignatureSchemeName> = {
  secp256r1: 'ecdsa_secp256r1_sha256',
  secp384r1: 'ecdsa_secp384r1_sha384',
  secp521r1: 'ecdsa_secp521r1_sha512',
};

/**
 * The signature schemes a key can make, most preferred first. RFC 8446 4.2.3: keys MUST be of the type the
 * scheme names; in TLS 1.3 an ECDSA scheme also names the curve. SHA-1 schemes come last (RFC 8446 4.2.3:
 * "Clients offering these values MUST list them as the lowest priority"); the protocol layer drops them and
 * rsa_pkcs1_* for TLS 1.3 CertificateVerify. RSA schemes the modulus is too small for are left out
 * (e.g. rsa_pss_rsae_sha512 with RSA-1024).
 */
export function schemesForKey(key: PublicKey | PrivateKey): SignatureSchemeName[] {
  switch (key.kind) {
    case 'ed25519':
      return ['ed25519'];
    case 'ed448':
      return ['ed448'];
    case 'ec':
      return [ECDSA_SCHEME[key.curve], 'ecdsa_sha1'];
    case 'rsa': {
      const all: SignatureSchemeName[] = [
        'rsa_pss_rsae_sha256',
        'rsa_pss_rsae_sha384',
        'rsa_pss_rsae_sha512',
        'rsa_pkcs1_sha256',
        'rsa_pkcs1_sha384',
        'rsa_pkcs1_sha512',
        'rsa_pkcs1_sha1',
      ];
      return all.filter((s) => rsaKeyFitsScheme(key.bits, s));
    }
  }
}
