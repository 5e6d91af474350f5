/**
 * Option parsing shared by `serve` and `connect`: names of cipher suites, groups and ALPN protocols, and
 * certificate files, each mistake a UsageError of one line.
 */
import { X509Certificate } from 'node:crypto';
import { CipherSuite, NamedGroup, SignatureScheme, codeOf, nameOf } from '../../implementations/reference/codec/enums.ts';
import { suiteParams } from '../../implementations/reference/crypto/suites.ts';
import { groupName } from '../../implementations/reference/connection/groups.ts';
import { CredentialError, loadCertificates, loadCertifiedKey } from '../../implementations/reference/connection/credentials.ts';
import type { CertifiedKey } from '../../implementations/reference/connection/config.ts';
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

/** TLS 1.3 cipher suites by IANA name (TLS_AES_128_GCM_SHA256 ...), in the order given. */
export function parseCipherSuites(cmd: string, value: string): number[] {
  const out: number[] = [];
  for (const name of splitList(value)) {
    const code = codeOf(CipherSuite, name.toUpperCase());
    const p = code === undefined ? undefined : suiteParams(code);
    if (code === undefined || !p || p.version !== 'TLS1.3') {
      const known = Object.keys(CipherSuite).filter((n) => suiteParams(n as keyof typeof CipherSuite)?.version === 'TLS1.3');
      throw new UsageError(`${cmd}: unsupported cipher suite '${name}' (TLS 1.3 suites: ${known.join(', ')})`);
    }
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
  };
}
