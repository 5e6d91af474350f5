/**
 * Loading certificates and keys from files for an endpoint, with one clear line when a file is wrong.
 */
import { readFileSync } from 'node:fs';
import { parseCertificates, type Certificate } from '../crypto/certificate.ts';
import { parsePrivateKey, publicKeyOf, publicKeysEqual } from '../crypto/keys.ts';
import type { CertifiedKey } from './config.ts';

/** A bad certificate or key file: the message is one line that names the file. */
export class CredentialError extends Error {
  override readonly name = 'CredentialError';
}

function read(path: string): string {
  try {
    return readFileSync(path, 'latin1');
  } catch (e) {
    throw new CredentialError(`${path}: cannot read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
}

export function loadCertificates(path: string): Certificate[] {
  const r = parseCertificates(read(path));
  if (!r.ok) throw new CredentialError(`${path}: ${r.message}`);
  return r.value;
}

/** A certificate chain file (leaf first, more certificates may follow), its key, and optionally more chain. */
export function loadCertifiedKey(certPath: string, keyPath: string, chainPath?: string): CertifiedKey {
  const certs = loadCertificates(certPath);
  if (chainPath) certs.push(...loadCertificates(chainPath));
  const k = parsePrivateKey(read(keyPath));
  if (!k.ok) throw new CredentialError(`${keyPath}: ${k.error.message}`);
  const leaf = certs[0];
  if (!leaf.publicKey) throw new CredentialError(`${certPath}: unsupported key type (${leaf.publicKeyError ?? 'unknown'})`);
  if (!publicKeysEqual(leaf.publicKey, publicKeyOf(k.key))) throw new CredentialError(`${keyPath}: the key does not match the certificate ${certPath}`);
  return { chain: certs.map((c) => c.der), key: k.key, leaf };
}
