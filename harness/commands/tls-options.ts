/**
 * Option parsing shared by `serve` and `connect`: names of cipher suites, groups and ALPN protocols, and
 * certificate files, each mistake a UsageError of one line.
 */
import { X509Certificate } from 'node:crypto';
import { CipherSuite, NamedGroup, SignatureScheme, codeOf, nameOf } from '../../implementations/reference/codec/enums.ts';
import { groupName } from '../../implementations/reference/connection/groups.ts';
import { CredentialError, loadCertificates, loadCertifiedKey } from '../../implementations/reference/connection/credentials.ts';
import { TLS12_CIPHER_SUITES, TLS13_CIPHER_SUITES, defaultCipherSuites, type CertifiedKey, type TlsVersionSetting } from '../../implementations/reference/connection/config.ts';
import type { Certificate } from '../../implementations/reference/crypto/certificate.ts';
import type { HandshakeSummary } from '../../implementations/reference/connection/endpoint.ts';
import { UsageError } from '../errors.ts';

/** `a,b` or `a:b` (OpenSSL's separator), blanks dropped. */
export function splitList(value: string): string[] {
  return value
    .split(/[,:]/)
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}

/** OpenSSL / Node spellings of the groups, besides the IANA names. */
const GROUP_ALIASES: Record<string, string> = {
  'p-256': 'secp256r1',
  prime256v1: 'secp256r1',
  'p-384': 'secp384r1',
  'p-521': 'secp521r1',
  x25519: 'x25519',
};

/** OpenSSL's names of the TLS 1.2 suites the reference implements (`openssl ciphers -stdname`), accepted besides the IANA names. */
export const OPENSSL_SUITE_NAMES: Record<string, string> = {
  'ECDHE-ECDSA-AES128-GCM-SHA256': 'TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256',
  'ECDHE-RSA-AES128-GCM-SHA256': 'TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256',
  'ECDHE-ECDSA-AES256-GCM-SHA384': 'TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384',
  'ECDHE-RSA-AES256-GCM-SHA384': 'TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384',
  'ECDHE-ECDSA-CHACHA20-POLY1305': 'TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256',
  'ECDHE-RSA-CHACHA20-POLY1305': 'TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256',
  'ECDHE-ECDSA-AES128-SHA256': 'TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256',
  'ECDHE-RSA-AES128-SHA256': 'TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256',
  'ECDHE-ECDSA-AES256-SHA384': 'TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384',
  'ECDHE-RSA-AES256-SHA384': 'TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384',
  'ECDHE-ECDSA-AES128-SHA': 'TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA',
  'ECDHE-RSA-AES128-SHA': 'TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA',
  'ECDHE-ECDSA-AES256-SHA': 'TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA',
  'ECDHE-RSA-AES256-SHA': 'TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA',
  'DHE-RSA-AES128-GCM-SHA256': 'TLS_DHE_RSA_WITH_AES_128_GCM_SHA256',
  'DHE-RSA-AES256-GCM-SHA384': 'TLS_DHE_RSA_WITH_AES_256_GCM_SHA384',
  'DHE-RSA-CHACHA20-POLY1305': 'TLS_DHE_RSA_WITH_CHACHA20_POLY1305_SHA256',
  'DHE-RSA-AES128-SHA256': 'TLS_DHE_RSA_WITH_AES_128_CBC_SHA256',
  'DHE-RSA-AES256-SHA256': 'TLS_DHE_RSA_WITH_AES_256_CBC_SHA256',
  'DHE-RSA-AES128-SHA': 'TLS_DHE_RSA_WITH_AES_128_CBC_SHA',
  'DHE-RSA-AES256-SHA': 'TLS_DHE_RSA_WITH_AES_256_CBC_SHA',
  'AES128-GCM-SHA256': 'TLS_RSA_WITH_AES_128_GCM_SHA256',
  'AES256-GCM-SHA384': 'TLS_RSA_WITH_AES_256_GCM_SHA384',
  'AES128-SHA256': 'TLS_RSA_WITH_AES_128_CBC_SHA256',
  'AES256-SHA256': 'TLS_RSA_WITH_AES_256_CBC_SHA256',
  'AES128-SHA': 'TLS_RSA_WITH_AES_128_CBC_SHA',
  'AES256-SHA': 'TLS_RSA_WITH_AES_256_CBC_SHA',
};

/** `1.2`, `1.3`, `TLSv1.2`, `tls1.3`, `tls1_2` (OpenSSL's flag spelling): the version setting, or a UsageError. */
export function parseVersion(cmd: string, flag: string, value: string): TlsVersionSetting {
  const m = /^(?:tls(?:v)?)?1[._]([23])$/i.exec(value.trim());
  if (!m) throw new UsageError(`${cmd}: ${flag} must be 1.2 or 1.3 (or TLSv1.2, TLSv1.3), got '${value}'`);
  return m[1] === '2' ? 'TLSv1.2' : 'TLSv1.3';
}

/**
 * The version range from --min-version / --max-version. Default: TLS 1.2 and 1.3, as `openssl s_client`,
 * `openssl s_server` and curl; `--min-version 1.3` means TLS 1.3 only, `--max-version 1.2` TLS 1.2 only.
 */
export function parseVersionRange(cmd: string, min: string | undefined, max: string | undefined): { minVersion: TlsVersionSetting; maxVersion: TlsVersionSetting } {
  const maxVersion = max === undefined ? 'TLSv1.3' : parseVersion(cmd, '--max-version', max);
  const minVersion = min === undefined ? 'TLSv1.2' : parseVersion(cmd, '--min-version', min);
  if (minVersion === 'TLSv1.3' && maxVersion === 'TLSv1.2') throw new UsageError(`${cmd}: --min-version ${minVersion} is above --max-version ${maxVersion}`);
  return { minVersion, maxVersion };
}

/** The cipher suites that go with a version range when --ciphersuites is not given (makeConfig's choice). */
export function defaultSuites(range: { minVersion: TlsVersionSetting; maxVersion: TlsVersionSetting }): number[] {
  return defaultCipherSuites(range);
}

const suiteName = (code: number) => nameOf(CipherSuite, code);
/** Whether a suite code is one of the reference's TLS 1.3 / TLS 1.2 suites. */
export const isTls13Suite = (code: number) => (TLS13_CIPHER_SUITES as readonly number[]).includes(code);
export const isTls12Suite = (code: number) => (TLS12_CIPHER_SUITES as readonly number[]).includes(code);

/**
 * Cipher suites by IANA name (TLS_AES_128_GCM_SHA256, TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256 ...) or, for the
 * TLS 1.2 ones, OpenSSL name (ECDHE-RSA-AES128-GCM-SHA256, AES128-SHA), in the order given. Only suites the
 * reference implements; each must belong to a version in `range` (default: TLS 1.2 and 1.3). The versions an
 * endpoint then speaks are those of the range that have a suite in the list.
 */
export function parseCipherSuites(cmd: string, value: string, range: { minVersion: TlsVersionSetting; maxVersion: TlsVersionSetting } = { minVersion: 'TLSv1.2', maxVersion: 'TLSv1.3' }): number[] {
  const out: number[] = [];
  for (const name of splitList(value)) {
    const iana = OPENSSL_SUITE_NAMES[name.toUpperCase()] ?? name.toUpperCase();
    const code = codeOf(CipherSuite, iana);
    const tls13 = code !== undefined && isTls13Suite(code);
    const tls12 = code !== undefined && isTls12Suite(code);
    if (code === undefined || (!tls13 && !tls12)) {
      throw new UsageError(
        `${cmd}: unsupported cipher suite '${name}' (TLS 1.3 suites: ${TLS13_CIPHER_SUITES.map(suiteName).join(', ')}; TLS 1.2 suites: ${TLS12_CIPHER_SUITES.map(suiteName).join(', ')})`,
      );
    }
    if (tls12 && range.minVersion !== 'TLSv1.2') throw new UsageError(`${cmd}: ${iana} is a TLS 1.2 suite, but --min-version is TLSv1.3`);
    if (tls13 && range.maxVersion !== 'TLSv1.3') throw new UsageError(`${cmd}: ${iana} is a TLS 1.3 suite, but --max-version is TLSv1.2`);
    out.push(code);
  }
  if (out.length === 0) throw new UsageError(`${cmd}: --ciphersuites is empty`);
  return out;
}

/** Key-exchange groups by IANA name (x25519, secp256r1, ffdhe2048 ...) or OpenSSL alias (P-256). */
export function parseGroups(cmd: string, flag: string, value: string): number[] {
  const out: number[] = [];
  for (const raw of splitList(value)) {
    const name = GROUP_ALIASES[raw.toLowerCase()] ?? raw.toLowerCase();
    const code = codeOf(NamedGroup, name);
    if (code === undefined || !groupName(code)) {
      const known = Object.entries(NamedGroup)
        .filter(([, c]) => groupName(c))
        .map(([n]) => n);
      throw new UsageError(`${cmd}: unsupported group '${raw}' in ${flag} (supported: ${known.join(', ')})`);
    }
    out.push(code);
  }
  if (out.length === 0) throw new UsageError(`${cmd}: ${flag} is empty`);
  return out;
}

/** ALPN protocol names: each 1..255 bytes (RFC 7301 3.1). */
export function parseAlpn(cmd: string, value: string): string[] {
  const out = value
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
  for (const p of out) {
    if (new TextEncoder().encode(p).length > 255) throw new UsageError(`${cmd}: ALPN protocol name longer than 255 bytes (RFC 7301 3.1)`);
  }
  return out;
}

export function loadPairs(cmd: string, certs: string[], keys: string[], chains: string[] = []): CertifiedKey[] {
  if (certs.length !== keys.length) throw new UsageError(`${cmd}: ${certs.length} --cert but ${keys.length} --key: give them in pairs`);
  if (chains.length > certs.length) throw new UsageError(`${cmd}: more --chain (${chains.length}) than --cert (${certs.length})`);
  try {
    return certs.map((c, i) => loadCertifiedKey(c, keys[i], chains[i]));
  } catch (e) {
    if (e instanceof CredentialError) throw new UsageError(`${cmd}: ${e.message}`);
    throw e;
  }
}

export function loadCa(cmd: string, path: string): Certificate[] {
  try {
    return loadCertificates(path);
  } catch (e) {
    if (e instanceof CredentialError) throw new UsageError(`${cmd}: ${e.message}`);
    throw e;
  }
}

export function parseIntOption(cmd: string, flag: string, value: string, min: number, max: number): number {
  const n = /^\d+$/.test(value) ? Number(value) : NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max) throw new UsageError(`${cmd}: ${flag} must be an integer from ${min} to ${max}, got '${value}'`);
  return n;
}

/**
 * Why a summary has no group: a TLS 1.3 psk_ke resumption, a TLS 1.2 abbreviated handshake (resumed: no key
 * exchange at all) or the TLS 1.2 RSA key exchange (no ephemeral key).
 */
export function noGroupReason(s: HandshakeSummary): string {
  if (s.version === 'TLSv1.3') return 'psk_ke';
  return s.resumed ? 'resumed' : 'RSA key exchange';
}

/** Why a summary has no signature scheme: resumed, or the TLS 1.2 RSA key exchange (nothing signed). */
export function noSignatureReason(s: HandshakeSummary): string {
  return s.resumed ? 'resumed' : 'RSA key exchange';
}

/** The negotiated parameters by name (codec/enums.ts), for output. */
export function namedSummary(s: HandshakeSummary) {
  let peer: string | undefined;
  if (s.peerCertificates[0]) {
    try {
      peer = new X509Certificate(s.peerCertificates[0]).subject.replace(/\n/g, ', ');
    } catch {
      peer = undefined;
    }
  }
  return {
    version: s.version,
    cipherSuite: nameOf(CipherSuite, s.cipherSuite),
    group: s.group === undefined ? null : nameOf(NamedGroup, s.group),
    signatureScheme: s.signatureScheme === undefined ? null : nameOf(SignatureScheme, s.signatureScheme),
    alpn: s.alpn ?? null,
    resumed: s.resumed,
    helloRetry: s.helloRetry,
    serverName: s.serverName ?? null,
    peerCertificate: peer ?? null,
    /** TLS 1.2 only (RFC 7627, RFC 7366); null in TLS 1.3, where neither exists. */
    extendedMasterSecret: s.version === 'TLSv1.2' ? (s.extendedMasterSecret ?? false) : null,
    encryptThenMac: s.version === 'TLSv1.2' ? (s.encryptThenMac ?? false) : null,
  };
}
