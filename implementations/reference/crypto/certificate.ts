/**
 * X.509 certificates for the harness, on node:crypto's X509Certificate (which parses the DER and checks
 * signatures with OpenSSL): parsing one certificate or a chain, names, validity, the public key as a
 * provider PublicKey, issuer checks, chain validation against configured trust roots, and hostname checks.
 *
 * Validation never reads the system clock: every check that depends on time takes `now: Date`.
 * Failures are values (`CertFailure`) that name the TLS alert to send (RFC 8446 6.2 / RFC 5246 7.2.2):
 *
 *   parse_error, empty_chain, bad_signature, hostname_mismatch  -> bad_certificate
 *   unsupported_key, wrong_purpose                              -> unsupported_certificate
 *   expired, not_yet_valid                                      -> certificate_expired
 *       ("A certificate has expired or is not currently valid", RFC 8446 6.2)
 *   unknown_issuer, issuer_not_ca                               -> unknown_ca
 *   path_too_long, internal                                     -> certificate_unknown
 *
 * (hostname_mismatch -> bad_certificate follows OpenSSL and Go; RFC 8446 leaves the choice open.)
 *
 * Not implemented: revocation (CRL/OCSP), name constraints, policy constraints, basicConstraints pathLen,
 * and validity of the trust anchor itself (RFC 5280 6.1: trust anchor information is an input to path
 * validation, not a certificate being validated).
 */
import { X509Certificate } from 'node:crypto';
import { isIP } from 'node:net';
import { publicKeyFromKeyObject, pemBlocks } from './keys.ts';
import type { PublicKey, SignatureSchemeName } from './provider.ts';

export type CertAlert = 'bad_certificate' | 'unsupported_certificate' | 'certificate_expired' | 'unknown_ca' | 'certificate_unknown';

export type CertFailureCode =
  | 'parse_error'
  | 'empty_chain'
  | 'bad_signature'
  | 'hostname_mismatch'
  | 'unsupported_key'
  | 'wrong_purpose'
  | 'expired'
  | 'not_yet_valid'
  | 'unknown_issuer'
  | 'issuer_not_ca'
  | 'path_too_long'
  | 'weak_signature'
  | 'internal';

/** The alert each failure maps to (see the file comment). */
export const CERT_FAILURE_ALERT: Readonly<Record<CertFailureCode, CertAlert>> = {
  parse_error: 'bad_certificate',
  empty_chain: 'bad_certificate',
  bad_signature: 'bad_certificate',
  hostname_mismatch: 'bad_certificate',
  unsupported_key: 'unsupported_certificate',
  wrong_purpose: 'unsupported_certificate',
  expired: 'certificate_expired',
  not_yet_valid: 'certificate_expired',
  unknown_issuer: 'unknown_ca',
  issuer_not_ca: 'unknown_ca',
  path_too_long: 'certificate_unknown',
  // RFC 8446 4.4.2.4: "... MUST abort the handshake with a "bad_certificate" alert."
  weak_signature: 'bad_certificate',
  internal: 'certificate_unknown',
};

export interface CertFailure {
  readonly ok: false;
  readonly code: CertFailureCode;
  readonly alert: CertAlert;
  /** One line for the user / the report. */
  readonly message: string;
  /** Index in the presented chain of the certificate at fault, when there is one. */
  readonly certIndex?: number;
}

function failure(code: CertFailureCode, message: string, certIndex?: number): CertFailure {
  return { ok: false, code, alert: CERT_FAILURE_ALERT[code], message, ...(certIndex === undefined ? {} : { certIndex }) };
}

export interface Certificate {
  /** The DER encoding (exactly the certificate: no trailing bytes). */
  readonly der: Uint8Array;
  readonly x509: X509Certificate;
  /** Distinguished names as node prints them: one "TYPE=value" per line. */
  readonly subject: string;
  readonly issuer: string;
  readonly serialNumber: string;
  readonly notBefore: Date;
  readonly notAfter: Date;
  /** subjectAltName dNSName entries, lower-cased. */
  readonly dnsNames: readonly string[];
  /** subjectAltName iPAddress entries, normalised (IPv4 dotted, IPv6 as 8 lower-case hex groups). */
  readonly ipAddresses: readonly string[];
  /** True when the subjectAltName has a DNS, URI or SRV entry (RFC 6125 6.4.4: then the CN is not used). */
  readonly hasDnsLikeSan: boolean;
  /** The subject's commonName values. */
  readonly commonNames: readonly string[];
  /** basicConstraints cA. */
  readonly isCA: boolean;
  /** extendedKeyUsage OIDs, or undefined when the extension is absent (any use allowed). */
  readonly extKeyUsage: readonly string[] | undefined;
  /** RFC 5280 4.2.1.3 keyUsage bits, digitalSignature (0x8000) first, as two bytes; undefined without the extension. */
  readonly keyUsage: number | undefined;
  readonly signatureAlgorithm: { readonly oid: string; readonly name: string };
  /** The X.509 version, 1, 2 or 3 (RFC 5280 4.1.2.1: TBSCertificate.version, v1 when absent). */
  readonly version: number;
  /** null when the key type is not one the harness supports (then `publicKeyError` says which). */
  readonly publicKey: PublicKey | null;
  readonly publicKeyError?: string;
}

export type CertResult<T> = { ok: true; value: T } | CertFailure;

// ---------------------------------------------------------------------------------------------------------
// Minimal DER reading: the outer length, and the signatureAlgorithm OID (X509Certificate does not expose it
// in Node 20).

interface Tlv {
  tag: number;
  start: number; // of the contents
  end: number; // of the contents
}

function readTlv(b: Uint8Array, off: number): Tlv {
  if (off + 2 > b.length) throw new Error('truncated DER');
  const tag = b[off];
  if ((tag & 0x1f) === 0x1f) throw new Error('high tag numbers are not used in certificates');
  let len = b[off + 1];
  let p = off + 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n === 0 || n > 4) throw new Error('bad DER length');
    if (p + n > b.length) throw new Error('truncated DER');
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + b[p + i];
    p += n;
  }
  if (p + len > b.length) throw new Error('truncated DER');
  return { tag, start: p, end: p + len };
}

function oidToString(b: Uint8Array): string {
  const parts: number[] = [];
  let v = 0;
  for (const x of b) {
    v = v * 128 + (x & 0x7f);
    if (!(x & 0x80)) {
      parts.push(v);
      v = 0;
    }
  }
  if (parts.length === 0) return '';
  const first = parts[0] < 80 ? [Math.floor(parts[0] / 40), parts[0] % 40] : [2, parts[0] - 80];
  return [...first, ...parts.slice(1)].join('.');
}

const SIG_OIDS: Record<string, string> = {
  '1.2.840.113549.1.1.5': 'sha1WithRSAEncryption',
  '1.2.840.113549.1.1.11': 'sha256WithRSAEncryption',
  '1.2.840.113549.1.1.12': 'sha384WithRSAEncryption',
  '1.2.840.113549.1.1.13': 'sha512WithRSAEncryption',
  '1.2.840.113549.1.1.10': 'RSASSA-PSS',
  '1.2.840.10045.4.1': 'ecdsa-with-SHA1',
  '1.2.840.10045.4.3.2': 'ecdsa-with-SHA256',
  '1.2.840.10045.4.3.3': 'ecdsa-with-SHA384',
  '1.2.840.10045.4.3.4': 'ecdsa-with-SHA512',
  '1.3.101.112': 'Ed25519',
  '1.3.101.113': 'Ed448',
};

/** Certificate ::= SEQUENCE { tbsCertificate, signatureAlgorithm AlgorithmIdentifier, signatureValue }. */
function signatureAlgorithmOf(der: Uint8Array): { oid: string; name: string } {
  const outer = readTlv(der, 0);
  const tbs = readTlv(der, outer.start);
  const alg = readTlv(der, tbs.end);
  const oid = readTlv(der, alg.start);
  if (oid.tag !== 0x06) throw new Error('signatureAlgorithm has no OID');
  const s = oidToString(der.subarray(oid.start, oid.end));
  return { oid: s, name: SIG_OIDS[s] ?? s };
}

/** TBSCertificate ::= SEQUENCE { version [0] EXPLICIT Version DEFAULT v1, ... }: 1, 2 or 3 (RFC 5280 4.1.2.1). */
function versionOf(der: Uint8Array): number {
  const outer = readTlv(der, 0);
  const tbs = readTlv(der, outer.start);
  const first = readTlv(der, tbs.start);
  if (first.tag !== 0xa0) return 1;
  const int = readTlv(der, first.start);
  if (int.tag !== 0x02 || int.end !== int.start + 1 || der[int.start] > 2) throw new Error('bad version');
  return der[int.start] + 1;
}

// ---------------------------------------------------------------------------------------------------------
// Names

/** Undo RFC 2253 escaping as node prints names (`\,`, `\"`, `\XX` hex). */
function unescapeDnValue(v: string): string {
  const bytes: number[] = [];
  for (let i = 0; i < v.length; i++) {
    if (v[i] === '\\' && i + 2 < v.length + 1 && /^[0-9A-Fa-f]{2}$/.test(v.slice(i + 1, i + 3))) {
      bytes.push(parseInt(v.slice(i + 1, i + 3), 16));
      i += 2;
    } else if (v[i] === '\\' && i + 1 < v.length) {
      bytes.push(...Buffer.from(v[++i], 'utf8'));
    } else bytes.push(...Buffer.from(v[i], 'utf8'));
  }
  return Buffer.from(bytes).toString('utf8');
}

function dnValues(dn: string, type: string): string[] {
  const out: string[] = [];
  for (const line of dn.split('\n')) {
    const eq = line.indexOf('=');
    if (eq > 0 && line.slice(0, eq) === type) out.push(unescapeDnValue(line.slice(eq + 1)));
  }
  return out;
}

/** Split node's subjectAltName string ("DNS:a, IP Address:1.2.3.4", values JSON-quoted when special). */
function parseSubjectAltName(san: string | undefined): { type: string; value: string }[] {
  if (!san) return [];
  const out: { type: string; value: string }[] = [];
  let i = 0;
  while (i < san.length) {
    const colon = san.indexOf(':', i);
    if (colon < 0) break;
    const type = san.slice(i, colon);
    let j = colon + 1;
    let value: string;
    if (san[j] === '"') {
      let k = j + 1;
      while (k < san.length && san[k] !== '"') k += san[k] === '\\' ? 2 : 1;
      try {
        value = JSON.parse(san.slice(j, k + 1)) as string;
      } catch {
        value = san.slice(j + 1, k);
      }
      j = k + 1;
    } else {
      const comma = san.indexOf(', ', j);
      const stop = comma < 0 ? san.length : comma;
      value = san.slice(j, stop);
      j = stop;
    }
    out.push({ type, value });
    i = san.startsWith(', ', j) ? j + 2 : j;
  }
  return out;
}

/** IPv4 as dotted decimal, IPv6 as 8 groups of lower-case hex without leading zeros; null if not an IP. */
export function normalizeIp(ip: string): string | null {
  let s = ip.trim();
  if (s.startsWith('[') && s.endsWith(']')) s = s.slice(1, -1);
  const v = isIP(s);
  if (v === 4) return s.split('.').map((x) => String(Number(x))).join('.');
  if (v !== 6) return null;
  let tail: string[] = [];
  const v4 = s.match(/(\d+\.\d+\.\d+\.\d+)$/);
  if (v4) {
    const o = v4[1].split('.').map(Number);
    tail = [((o[0] << 8) | o[1]).toString(16), ((o[2] << 8) | o[3]).toString(16)];
    s = s.slice(0, -v4[1].length) + '0:0';
  }
  const [head, rest] = s.includes('::') ? s.split('::') : [s, undefined];
  const h = head ? head.split(':') : [];
  const r = rest === undefined ? [] : rest ? rest.split(':') : [];
  const fill = rest === undefined ? [] : new Array(8 - h.length - r.length).fill('0');
  const groups = [...h, ...fill, ...r].map((g) => parseInt(g, 16).toString(16));
  if (tail.length) groups.splice(6, 2, ...tail);
  return groups.join(':');
}

// ---------------------------------------------------------------------------------------------------------
// Parsing

function fromDer(der: Uint8Array, strict: boolean, index?: number): CertResult<Certificate> {
  let exact: Uint8Array;
  try {
    const outer = readTlv(der, 0);
    if (outer.tag !== 0x30) return failure('parse_error', 'certificate is not a DER SEQUENCE', index);
    // A DER certificate is exactly one SEQUENCE. PEM files from other tools sometimes carry bytes after it
    // (OpenSSL ignores them when reading PEM), so only strict (wire) parsing refuses them.
    if (strict && outer.end !== der.length)
      return failure('parse_error', `${der.length - outer.end} trailing bytes after the certificate`, index);
    exact = Uint8Array.from(der.subarray(0, outer.end));
  } catch (e) {
    return failure('parse_error', `cannot parse certificate: ${(e as Error).message}`, index);
  }
  // The same certificate arrives in every handshake: its parse (and so its public key's node KeyObject) is
  // kept. A hit is compared byte for byte, so a caller that changed a returned `der` in place never gets it.
  const cacheKey = Buffer.from(exact.buffer, exact.byteOffset, exact.byteLength).toString('base64');
  const hit = parsed.get(cacheKey);
  if (hit && Buffer.compare(hit.der, exact) === 0) return { ok: true, value: hit };
  let x509: X509Certificate;
  try {
    x509 = new X509Certificate(exact);
  } catch (e) {
    return failure('parse_error', `cannot parse certificate: ${String((e as Error).message).replace(/^error:[0-9A-F]+:/, '')}`, index);
  }
  let signatureAlgorithm: { oid: string; name: string };
  let version: number;
  try {
    signatureAlgorithm = signatureAlgorithmOf(exact);
    version = versionOf(exact);
  } catch (e) {
    return failure('parse_error', `cannot read signatureAlgorithm: ${(e as Error).message}`, index);
  }
  let san: ReturnType<typeof parseSubjectAltName>;
  let pk: ReturnType<typeof publicKeyFromKeyObject>;
  try {
    san = parseSubjectAltName(x509.subjectAltName);
    // node:crypto parses the key lazily and throws on a corrupt SubjectPublicKeyInfo.
    pk = publicKeyFromKeyObject(x509.publicKey);
  } catch (e) {
    return failure('parse_error', `cannot read the certificate's name or key: ${String((e as Error).message).replace(/^error:[0-9A-F]+:/, '')}`, index);
  }
  const notBefore = new Date(x509.validFrom);
  const notAfter = new Date(x509.validTo);
  if (Number.isNaN(notBefore.getTime()) || Number.isNaN(notAfter.getTime()))
    return failure('parse_error', 'cannot read the validity dates', index);
  const cert: Certificate = {
    der: exact,
    x509,
    subject: x509.subject,
    issuer: x509.issuer,
    serialNumber: x509.serialNumber,
    notBefore,
    notAfter,
    dnsNames: san.filter((e) => e.type === 'DNS').map((e) => e.value.toLowerCase()),
    ipAddresses: san
      .filter((e) => e.type === 'IP Address')
      .map((e) => normalizeIp(e.value))
      .filter((x): x is string => x !== null),
    hasDnsLikeSan: san.some((e) => e.type === 'DNS' || e.type === 'URI' || (e.type === 'othername' && /SRVName/i.test(e.value))),
    commonNames: dnValues(x509.subject, 'CN'),
    isCA: x509.ca,
    extKeyUsage: x509.keyUsage,
    keyUsage: keyUsageOf(exact),
    signatureAlgorithm,
    version,
    publicKey: pk.ok ? pk.key : null,
    ...(pk.ok ? {} : { publicKeyError: pk.error.message }),
  };
  if (parsed.size >= PARSED_MAX) parsed.delete(parsed.keys().next().value!); // oldest first
  parsed.set(cacheKey, cert);
  return { ok: true, value: cert };
}
const PARSED_MAX = 512;
const parsed = new Map<string, Certificate>();

/** One DER certificate as received on the wire (RFC 8446 4.4.2 cert_data): strict, no trailing bytes. */
export function parseCertificateDer(der: Uint8Array, index?: number): CertResult<Certificate> {
  return fromDer(der, true, index);
}

/** keyUsage bits: digitalSignature 0x8000, nonRepudiation 0x4000, keyEncipherment 0x2000, ... (RFC 5280 4.2.1.3). */
export const KEY_USAGE = { digitalSignature: 0x8000, keyEncipherment: 0x2000, keyAgreement: 0x0800 } as const;

/**
 * The keyUsage extension's bits (node's X509Certificate does not expose them): the extension is found by its
 * OID 2.5.29.15 (06 03 55 1d 0f), then [critical BOOLEAN], OCTET STRING { BIT STRING }.
 */
function keyUsageOf(der: Uint8Array): number | undefined {
  const oid = [0x06, 0x03, 0x55, 0x1d, 0x0f];
  for (let i = 0; i + oid.length < der.length; i++) {
    if (!oid.every((b, j) => der[i + j] === b)) continue;
    let k = i + oid.length;
    if (der[k] === 0x01) k += 3;
    if (der[k] !== 0x04 || der[k + 2] !== 0x03) return undefined;
    const len = der[k + 3];
    return ((der[k + 5] ?? 0) << 8) | (len > 2 ? (der[k + 6] ?? 0) : 0);
  }
  return undefined;
}

/** Every CERTIFICATE block of a PEM text, or a single DER certificate. */
export function parseCertificates(input: string | Uint8Array): CertResult<Certificate[]> {
  const text = typeof input === 'string' ? input : Buffer.from(input).toString('latin1');
  if (text.includes('-----BEGIN ')) {
    const blocks = pemBlocks(text).filter((b) => b.label === 'CERTIFICATE' || b.label === 'TRUSTED CERTIFICATE');
    if (blocks.length === 0) return failure('parse_error', 'no CERTIFICATE PEM block');
    const out: Certificate[] = [];
    for (const [i, b] of blocks.entries()) {
      const body = b.text.replace(/-----(BEGIN|END) [A-Z ]+-----/g, '').replace(/\s+/g, '');
      if (!/^[A-Za-z0-9+/]*={0,2}$/.test(body)) return failure('parse_error', `certificate ${i}: bad base64 in PEM`, i);
      const r = fromDer(Buffer.from(body, 'base64'), false, i);
      if (!r.ok) return r;
      out.push(r.value);
    }
    return { ok: true, value: out };
  }
  if (typeof input === 'string') return failure('parse_error', 'not a PEM certificate');
  const r = fromDer(input, true, 0);
  return r.ok ? { ok: true, value: [r.value] } : r;
}

/** Exactly one certificate (PEM or DER). */
export function parseCertificate(input: string | Uint8Array): CertResult<Certificate> {
  const r = parseCertificates(input);
  if (!r.ok) return r;
  if (r.value.length !== 1) return failure('parse_error', `expected one certificate, found ${r.value.length}`);
  return { ok: true, value: r.value[0] };
}

/** A TLS Certificate message's list (leaf first), each strict DER. */
export function parseCertificateList(ders: readonly Uint8Array[]): CertResult<Certificate[]> {
  const out: Certificate[] = [];
  for (const [i, d] of ders.entries()) {
    const r = parseCertificateDer(d, i);
    if (!r.ok) return r;
    out.push(r.value);
  }
  return { ok: true, value: out };
}

// ---------------------------------------------------------------------------------------------------------
// Checks

/** `parent` issued `child`: names / key identifiers / keyUsage agree (OpenSSL X509_check_issued) and the
 *  signature verifies with the parent's key. */
export function checkIssued(child: Certificate, parent: Certificate): boolean {
  // Parsed certificates are shared (see fromDer), so the answer for a pair is too: it depends on the two
  // certificates' bytes only.
  let answers = issued.get(child);
  const known = answers?.get(parent);
  if (known !== undefined) return known;
  let ok: boolean;
  try {
    ok = child.x509.checkIssued(parent.x509) && child.x509.verify(parent.x509.publicKey);
  } catch {
    ok = false;
  }
  if (!answers) issued.set(child, (answers = new WeakMap()));
  answers.set(parent, ok);
  return ok;
}
const issued = new WeakMap<Certificate, WeakMap<Certificate, boolean>>();

/** Within notBefore..notAfter (inclusive, RFC 5280 4.1.2.5) at `now`. */
export function checkValidity(cert: Certificate, now: Date): 'valid' | 'expired' | 'not_yet_valid' {
  const t = now.getTime();
  if (t < cert.notBefore.getTime()) return 'not_yet_valid';
  if (t > cert.notAfter.getTime()) return 'expired';
  return 'valid';
}

/**
 * RFC 6125 6.4.3 DNS-ID matching: case-insensitive; a trailing dot is ignored; the wildcard is allowed only
 * as the complete left-most label ("*.example.com"), matches exactly one non-empty label, and needs at
 * least two labels after it. Partial-label wildcards ("w*.example.com", a MAY in 6.4.3) are not accepted.
 */
export function dnsNameMatches(pattern: string, host: string): boolean {
  const norm = (s: string) => s.toLowerCase().replace(/\.$/, '');
  const p = norm(pattern);
  const h = norm(host);
  if (!p || !h || isIP(h)) return false;
  const hl = h.split('.');
  const pl = p.split('.');
  if (hl.some((l) => l === '') || pl.some((l) => l === '')) return false;
  if (!p.includes('*')) return p === h;
  if (pl[0] !== '*' || pl.slice(1).some((l) => l.includes('*')) || pl.length < 3) return false;
  return hl.length === pl.length && hl.slice(1).join('.') === pl.slice(1).join('.');
}

/**
 * Does the certificate name `host`? IP literals match only iPAddress SAN entries. DNS names match dNSName
 * SAN entries; RFC 6125 6.4.4: the subject CN is used only when the SAN has no DNS-ID, SRV-ID or URI-ID.
 */
export function matchesHostname(cert: Certificate, host: string): boolean {
  const ip = normalizeIp(host);
  if (ip !== null) return cert.ipAddresses.includes(ip);
  const names = cert.hasDnsLikeSan ? cert.dnsNames : cert.commonNames;
  return names.some((n) => dnsNameMatches(n, host));
}

/** Certificate signature algorithms with a broken hash: MD2, MD4, MD5 with RSA. */
const WEAK_SIGNATURE_OIDS: Record<string, string> = {
  '1.2.840.113549.1.1.2': 'md2WithRSAEncryption',
  '1.2.840.113549.1.1.3': 'md4WithRSAEncryption',
  '1.2.840.113549.1.1.4': 'md5WithRSAEncryption',
};

const EKU_OIDS = { serverAuth: '1.3.6.1.5.5.7.3.1', clientAuth: '1.3.6.1.5.5.7.3.2' } as const;
const ANY_EKU = '2.5.29.37.0';

/**
 * The TLS signature scheme of the certificate's own signature, for signature_algorithms_cert checks
 * (RFC 8446 4.2.3); ECDSA needs the issuer's curve. null when it has no TLS 1.3 name or is not supported
 * (e.g. RSASSA-PSS-signed certificates: their parameters are not decoded here).
 */
export function certificateSignatureScheme(cert: Certificate, issuerKey: PublicKey | null): SignatureSchemeName | null {
  switch (cert.signatureAlgorithm.name) {
    case 'sha1WithRSAEncryption':
      return 'rsa_pkcs1_sha1';
    case 'sha256WithRSAEncryption':
      return 'rsa_pkcs1_sha256';
    case 'sha384WithRSAEncryption':
      return 'rsa_pkcs1_sha384';
    case 'sha512WithRSAEncryption':
      return 'rsa_pkcs1_sha512';
    case 'ecdsa-with-SHA1':
      return 'ecdsa_sha1';
    case 'ecdsa-with-SHA256':
      return issuerKey?.kind === 'ec' && issuerKey.curve === 'secp256r1' ? 'ecdsa_secp256r1_sha256' : null;
    case 'ecdsa-with-SHA384':
      return issuerKey?.kind === 'ec' && issuerKey.curve === 'secp384r1' ? 'ecdsa_secp384r1_sha384' : null;
    case 'ecdsa-with-SHA512':
      return issuerKey?.kind === 'ec' && issuerKey.curve === 'secp521r1' ? 'ecdsa_secp521r1_sha512' : null;
    case 'Ed25519':
      return 'ed25519';
    case 'Ed448':
      return 'ed448';
    default:
      return null;
  }
}

// ---------------------------------------------------------------------------------------------------------
// Chain validation

export interface ValidateOptions {
  /** The configured trust anchors. */
  readonly trustRoots: readonly Certificate[];
  /** The clock: validity is checked at this instant (inject it; never the system time inside). */
  readonly now: Date;
  /** When given, the leaf must name it (matchesHostname). */
  readonly hostname?: string;
  /** When given and the leaf has an extendedKeyUsage extension, it must allow this purpose. */
  readonly purpose?: 'serverAuth' | 'clientAuth';
  /** Most certificates in a path, trust anchor included (default 10). */
  readonly maxDepth?: number;
}

export interface ChainOk {
  readonly ok: true;
  /** Leaf first, trust anchor last (the anchor is the leaf itself when the leaf is directly trusted). */
  readonly path: readonly Certificate[];
  readonly leaf: Certificate;
  readonly anchor: Certificate;
}

export type ChainResult = ChainOk | CertFailure;

const sameCert = (a: Certificate, b: Certificate): boolean => Buffer.compare(Buffer.from(a.der), Buffer.from(b.der)) === 0;

/**
 * Validate a presented chain (leaf first; RFC 8446 4.4.2 lets the other certificates come in any order and
 * include extra ones) against the trust roots at `opts.now`.
 */
export function validateChain(chain: readonly Certificate[], opts: ValidateOptions): ChainResult {
  if (chain.length === 0) return failure('empty_chain', 'no certificate presented');
  const leaf = chain[0];
  if (!leaf.publicKey) return failure('unsupported_key', `leaf certificate: ${leaf.publicKeyError ?? 'unsupported key'}`, 0);
  const maxDepth = opts.maxDepth ?? 10;

  // 1. Build the path, checking each signature on the way.
  const path: Certificate[] = [leaf];
  const indexOf = (c: Certificate) => chain.indexOf(c);
  let anchor: Certificate | undefined;
  if (opts.trustRoots.some((r) => sameCert(r, leaf))) anchor = leaf; // directly trusted (pinned) leaf
  while (!anchor) {
    const cur = path[path.length - 1];
    if (path.length >= maxDepth) return failure('path_too_long', `no trust anchor within ${maxDepth} certificates`, indexOf(cur));
    // Prefer a trust root; else an unused certificate of the presented chain. Among candidates whose names
    // match, take one that is a CA and whose signature verifies (several roots may share a name).
    const rootCands = opts.trustRoots.filter((r) => safeIssuedNames(cur, r));
    const root = rootCands.find((r) => r.isCA && checkIssued(cur, r));
    if (root) {
      path.push(root);
      anchor = root;
      break;
    }
    const chainCands = chain.filter((c) => !path.includes(c) && safeIssuedNames(cur, c));
    const next = chainCands.find((c) => c.isCA && checkIssued(cur, c));
    if (next) {
      path.push(next);
      continue;
    }
    const cands = [...rootCands, ...chainCands];
    if (cands.length === 0) return failure('unknown_issuer', `no trusted issuer for "${oneLine(cur.issuer)}"`, indexOf(cur));
    if (cands.every((c) => !c.isCA)) return failure('issuer_not_ca', `issuer "${oneLine(cands[0].subject)}" is not a CA`, indexOf(cur));
    return failure('bad_signature', `signature of "${oneLine(cur.subject)}" does not verify with its issuer's key`, indexOf(cur));
  }

  // 2. Validity of every certificate in the path except the trust anchor (unless the anchor is the leaf).
  const checked = anchor === leaf ? path : path.slice(0, -1);
  // RFC 8446 4.4.2.4: "Any endpoint receiving any certificate which it would need to validate using any signature
  // algorithm using an MD5 hash MUST abort the handshake with a "bad_certificate" alert." (RFC 8446 4.2.3: "MD5
  // [SLOTH], SHA-224, and DSA MUST NOT be used"; MD2 and MD4 are older still.) The anchor's own signature is not
  // validated (RFC 8446 4.4.2.2), so it is not judged.
  for (const c of anchor === leaf ? [] : checked) {
    if (WEAK_SIGNATURE_OIDS[c.signatureAlgorithm.oid])
      return failure('weak_signature', `certificate "${oneLine(c.subject)}" is signed with ${WEAK_SIGNATURE_OIDS[c.signatureAlgorithm.oid]}`, indexOf(c));
  }
  for (const c of checked) {
    const v = checkValidity(c, opts.now);
    if (v === 'expired')
      return failure('expired', `certificate "${oneLine(c.subject)}" expired ${c.notAfter.toISOString()}`, indexOf(c));
    if (v === 'not_yet_valid')
      return failure('not_yet_valid', `certificate "${oneLine(c.subject)}" is not valid before ${c.notBefore.toISOString()}`, indexOf(c));
  }

  // 3. Purpose (extendedKeyUsage) of the leaf.
  if (opts.purpose && leaf.extKeyUsage && !leaf.extKeyUsage.includes(EKU_OIDS[opts.purpose]) && !leaf.extKeyUsage.includes(ANY_EKU))
    return failure('wrong_purpose', `leaf certificate is not valid for ${opts.purpose} (extendedKeyUsage)`, 0);

  // 4. Name.
  if (opts.hostname !== undefined && !matchesHostname(leaf, opts.hostname))
    return failure('hostname_mismatch', `certificate does not match host "${opts.hostname}"`, 0);

  return { ok: true, path, leaf, anchor };
}

/** Name / key-identifier match only (no signature check), to find candidate issuers. */
function safeIssuedNames(child: Certificate, parent: Certificate): boolean {
  try {
    return child.x509.checkIssued(parent.x509);
  } catch {
    return false;
  }
}

const oneLine = (dn: string) => dn.split('\n').join(', ');
