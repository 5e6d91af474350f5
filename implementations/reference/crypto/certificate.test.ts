import { describe, expect, it } from 'vitest';
import { X509Certificate } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  CERT_FAILURE_ALERT,
  certificateSignatureScheme,
  checkIssued,
  checkValidity,
  dnsNameMatches,
  matchesHostname,
  normalizeIp,
  parseCertificate,
  parseCertificateDer,
  parseCertificateList,
  parseCertificates,
  validateChain,
  type Certificate,
  type ChainResult,
} from './certificate.ts';
import { publicKeyOf, publicKeysEqual, readPrivateKeyFile, unwrapKey } from './keys.ts';

const certsDir = fileURLToPath(new URL('../certs/', import.meta.url));
const rfc8448Dir = fileURLToPath(new URL('../../../vectors/rfc8448/keys/', import.meta.url));
const read = (path: string) => readFileSync(path, 'utf8');
const load = (name: string): Certificate => {
  const r = parseCertificate(read(certsDir + name));
  if (!r.ok) throw new Error(r.message);
  return r.value;
};

const ca = load('ca.pem');
const intermediate = load('intermediate.pem');
const LEAF_NAMES = ['server-rsa2048', 'server-p256', 'server-p384', 'server-ed25519', 'server-p521', 'server-ed448'];
const leaves = LEAF_NAMES.map((n) => load(`${n}.pem`));
const [rsaLeaf, p256Leaf] = leaves;
const viaIntermediate = load('server-p256-via-intermediate.pem');
const client = load('client-p256.pem');
const secp256k1 = load('unsupported-secp256k1.pem');
const rfc8448 = (() => {
  const r = parseCertificate(read(rfc8448Dir + 'server_certificate.pem'));
  if (!r.ok) throw new Error(r.message);
  return r.value;
})();

// The generated fixtures are valid from 2026-11-27 for 20 years; RFC 8448's from 2016-07-30 to 2026-07-30.
const NOW = new Date('2030-06-01T00:00:00Z');
const outcome = (r: ChainResult) => (r.ok ? 'ok' : `${r.alert}/${r.code}`);

describe('parsing', () => {
  it('reads names, SAN, validity, CA flag, EKU, signature algorithm and the public key', () => {
    for (const [i, name] of LEAF_NAMES.entries()) {
      const c = leaves[i];
      expect(c.commonNames).toEqual(['localhost']);
      expect(c.subject).toBe('O=tls-harness\nCN=localhost');
      expect(c.issuer).toBe('O=tls-harness\nCN=tls-harness test root CA');
      expect(c.dnsNames).toEqual(['localhost']);
      expect(c.ipAddresses).toEqual(['127.0.0.1']);
      expect(c.isCA).toBe(false);
      expect(c.extKeyUsage).toEqual(['1.3.6.1.5.5.7.3.1', '1.3.6.1.5.5.7.3.2']);
      expect(c.signatureAlgorithm).toEqual({ oid: '1.2.840.10045.4.3.2', name: 'ecdsa-with-SHA256' });
      expect(c.notAfter.getTime() - c.notBefore.getTime()).toBe(7305 * 86400 * 1000);
      const key = publicKeyOf(unwrapKey(readPrivateKeyFile(`${certsDir}${name}.key`)));
      expect(c.publicKey && publicKeysEqual(c.publicKey, key)).toBe(true);
    }
    expect(ca.isCA).toBe(true);
    expect(ca.extKeyUsage).toBeUndefined();
    expect(client.extKeyUsage).toEqual(['1.3.6.1.5.5.7.3.2']);
    expect(client.dnsNames).toEqual([]);
  });

  it('an unsupported key type parses, with publicKey null and a reason', () => {
    expect(secp256k1.publicKey).toBeNull();
    expect(secp256k1.publicKeyError).toMatch(/secp256k1/);
  });

  it('a PEM chain, DER input, and the TLS Certificate list form', () => {
    const chain = parseCertificates(read(certsDir + 'server-p256-via-intermediate.pem') + read(certsDir + 'intermediate.pem'));
    expect(chain.ok && chain.value.map((c) => c.commonNames[0])).toEqual(['localhost', 'tls-harness test intermediate CA']);
    const der = p256Leaf.der;
    const one = parseCertificate(der);
    expect(one.ok && one.value.serialNumber).toBe(p256Leaf.serialNumber);
    const list = parseCertificateList([viaIntermediate.der, intermediate.der]);
    expect(list.ok && list.value.length).toBe(2);
  });

  it('parse errors map to bad_certificate', () => {
    const trailing = parseCertificateDer(Uint8Array.from([...p256Leaf.der, 0]));
    expect(!trailing.ok && [trailing.alert, trailing.code, trailing.message]).toEqual(['bad_certificate', 'parse_error', '1 trailing bytes after the certificate']);
    const truncated = parseCertificateDer(p256Leaf.der.subarray(0, 100));
    expect(!truncated.ok && truncated.alert).toBe('bad_certificate');
    const list = parseCertificateList([p256Leaf.der, new Uint8Array([0x30, 0x03, 0x02, 0x01, 0x01])]);
    expect(!list.ok && [list.alert, list.certIndex]).toEqual(['bad_certificate', 1]);
    expect(parseCertificate('no pem here').ok).toBe(false);
    expect(parseCertificate(read(certsDir + 'ca.key')).ok).toBe(false);
    const two = parseCertificate(read(certsDir + 'ca.pem') + read(certsDir + 'intermediate.pem'));
    expect(!two.ok && two.message).toBe('expected one certificate, found 2');
  });

  it("RFC 8448's certificate: the PEM has 2 stray bytes after the DER; the DER is the RFC's 432-byte cert_data", () => {
    expect(rfc8448.der.length).toBe(432);
    expect(rfc8448.commonNames).toEqual(['rsa']);
    expect(rfc8448.dnsNames).toEqual([]);
    expect(rfc8448.notAfter.toISOString()).toBe('2026-07-30T01:23:59.000Z');
    expect(rfc8448.publicKey?.kind === 'rsa' && rfc8448.publicKey.bits).toBe(1024);
    const key = publicKeyOf(unwrapKey(readPrivateKeyFile(rfc8448Dir + 'server_key.pem')));
    expect(publicKeysEqual(rfc8448.publicKey!, key)).toBe(true);
    for (const f of ['client_certificate.pem', 'server_certificate_client_auth.pem']) expect(parseCertificate(read(rfc8448Dir + f)).ok).toBe(true);
  });

  it('certificateSignatureScheme', () => {
    expect(certificateSignatureScheme(p256Leaf, ca.publicKey)).toBe('ecdsa_secp256r1_sha256');
    expect(certificateSignatureScheme(rfc8448, rfc8448.publicKey)).toBe('rsa_pkcs1_sha256');
    expect(certificateSignatureScheme(p256Leaf, rsaLeaf.publicKey)).toBeNull();
  });

  // Self-signed certificates made by openssl with the P-521 and Ed448 test keys: ecdsa-with-SHA512 by a P-521
  // key is ecdsa_secp521r1_sha512 (RFC 8446 4.2.3 names the curve), Ed448 is ed448.
  const noOpenssl = spawnSync('openssl', ['version']).error !== undefined;
  it.skipIf(noOpenssl)('certificateSignatureScheme: ecdsa_secp521r1_sha512 and ed448', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cert-scheme-'));
    try {
      const selfSigned = (key: string, digest: string[]): Certificate => {
        const out = join(dir, `${key}.pem`);
        const r = spawnSync('openssl', ['req', '-x509', '-new', '-key', certsDir + key, ...digest, '-subj', '/CN=self', '-days', '1', '-out', out], { encoding: 'utf8' });
        expect(r.status, r.stderr).toBe(0);
        const c = parseCertificate(read(out));
        if (!c.ok) throw new Error(c.message);
        return c.value;
      };
      const p521 = selfSigned('server-p521.key', ['-sha512']);
      expect(p521.signatureAlgorithm.name).toBe('ecdsa-with-SHA512');
      expect(certificateSignatureScheme(p521, p521.publicKey)).toBe('ecdsa_secp521r1_sha512');
      expect(certificateSignatureScheme(p521, p256Leaf.publicKey)).toBeNull();
      const ed448 = selfSigned('server-ed448.key', []);
      expect(ed448.signatureAlgorithm.name).toBe('Ed448');
      expect(certificateSignatureScheme(ed448, ed448.publicKey)).toBe('ed448');
      expect(checkIssued(p521, p521) && checkIssued(ed448, ed448)).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('issuer and validity checks', () => {
  it('checkIssued: name match and signature', () => {
    for (const l of leaves) expect(checkIssued(l, ca)).toBe(true);
    expect(checkIssued(viaIntermediate, intermediate)).toBe(true);
    expect(checkIssued(intermediate, ca)).toBe(true);
    expect(checkIssued(ca, ca)).toBe(true);
    expect(checkIssued(viaIntermediate, ca)).toBe(false);
    expect(checkIssued(p256Leaf, intermediate)).toBe(false);
    // RFC 8448's self-signed certificate has keyUsage without keyCertSign: it cannot issue, not even itself.
    expect(checkIssued(rfc8448, rfc8448)).toBe(false);
  });

  it('checkValidity with an injected clock', () => {
    expect(checkValidity(p256Leaf, NOW)).toBe('valid');
    expect(checkValidity(p256Leaf, new Date('2020-01-01Z'))).toBe('not_yet_valid');
    expect(checkValidity(p256Leaf, new Date('2047-01-01Z'))).toBe('expired');
    expect(checkValidity(p256Leaf, p256Leaf.notAfter)).toBe('valid');
    expect(checkValidity(p256Leaf, new Date(p256Leaf.notAfter.getTime() + 1000))).toBe('expired');
  });
});

describe('validateChain (pinned clock)', () => {
  const roots = [ca];

  it('valid: every leaf under the root, for localhost and 127.0.0.1', () => {
    for (const l of leaves) {
      const r = validateChain([l], { trustRoots: roots, now: NOW, hostname: 'localhost', purpose: 'serverAuth' });
      expect(outcome(r)).toBe('ok');
      expect(r.ok && r.path.length).toBe(2);
      expect(outcome(validateChain([l], { trustRoots: roots, now: NOW, hostname: '127.0.0.1' }))).toBe('ok');
    }
  });

  it('valid: through an intermediate, in any order, with an extra certificate', () => {
    const r = validateChain([viaIntermediate, intermediate], { trustRoots: roots, now: NOW, hostname: 'localhost' });
    expect(r.ok && r.path.map((c) => c.commonNames[0])).toEqual(['localhost', 'tls-harness test intermediate CA', 'tls-harness test root CA']);
    expect(outcome(validateChain([viaIntermediate, p256Leaf, ca, intermediate], { trustRoots: roots, now: NOW }))).toBe('ok');
  });

  it('unknown CA: missing intermediate, or a root not configured', () => {
    expect(outcome(validateChain([viaIntermediate], { trustRoots: roots, now: NOW }))).toBe('unknown_ca/unknown_issuer');
    expect(outcome(validateChain([p256Leaf], { trustRoots: [rfc8448], now: NOW }))).toBe('unknown_ca/unknown_issuer');
    expect(outcome(validateChain([p256Leaf], { trustRoots: [], now: NOW }))).toBe('unknown_ca/unknown_issuer');
    // the intermediate is not a trust anchor
    expect(outcome(validateChain([viaIntermediate, intermediate], { trustRoots: [intermediate], now: NOW }))).toBe('ok');
    expect(outcome(validateChain([viaIntermediate, intermediate], { trustRoots: [p256Leaf], now: NOW }))).toBe('unknown_ca/unknown_issuer');
  });

  it('expired and not yet valid: certificate_expired', () => {
    const expired = validateChain([p256Leaf], { trustRoots: roots, now: new Date('2047-01-01Z') });
    expect(outcome(expired)).toBe('certificate_expired/expired');
    expect(!expired.ok && expired.certIndex).toBe(0);
    expect(outcome(validateChain([p256Leaf], { trustRoots: roots, now: new Date('2021-01-01Z') }))).toBe('certificate_expired/not_yet_valid');
    // an intermediate out of its validity is reported at its index
    const r = validateChain([viaIntermediate, intermediate], { trustRoots: roots, now: new Date('2047-01-01Z') });
    expect(outcome(r)).toBe('certificate_expired/expired');
  });

  it('hostname mismatch: bad_certificate', () => {
    expect(outcome(validateChain([p256Leaf], { trustRoots: roots, now: NOW, hostname: 'example.com' }))).toBe('bad_certificate/hostname_mismatch');
    expect(outcome(validateChain([p256Leaf], { trustRoots: roots, now: NOW, hostname: '127.0.0.2' }))).toBe('bad_certificate/hostname_mismatch');
    expect(outcome(validateChain([p256Leaf], { trustRoots: roots, now: NOW, hostname: '::1' }))).toBe('bad_certificate/hostname_mismatch');
    expect(outcome(validateChain([p256Leaf], { trustRoots: roots, now: NOW, hostname: 'LOCALHOST.' }))).toBe('ok');
  });

  it('bad signature: bad_certificate', () => {
    const der = Uint8Array.from(p256Leaf.der);
    der[der.length - 3] ^= 0x01; // inside s of the ECDSA signature
    const tampered = parseCertificateDer(der);
    if (!tampered.ok) throw new Error(tampered.message);
    expect(outcome(validateChain([tampered.value], { trustRoots: roots, now: NOW }))).toBe('bad_certificate/bad_signature');
  });

  it('purpose (extendedKeyUsage) and unsupported keys: unsupported_certificate', () => {
    expect(outcome(validateChain([client], { trustRoots: roots, now: NOW, purpose: 'serverAuth' }))).toBe('unsupported_certificate/wrong_purpose');
    expect(outcome(validateChain([client], { trustRoots: roots, now: NOW, purpose: 'clientAuth' }))).toBe('ok');
    expect(outcome(validateChain([secp256k1], { trustRoots: roots, now: NOW }))).toBe('unsupported_certificate/unsupported_key');
  });

  it('empty chain and path length', () => {
    expect(outcome(validateChain([], { trustRoots: roots, now: NOW }))).toBe('bad_certificate/empty_chain');
    expect(outcome(validateChain([viaIntermediate, intermediate], { trustRoots: roots, now: NOW, maxDepth: 2 }))).toBe('certificate_unknown/path_too_long');
  });

  it("RFC 8448's self-signed certificate as a pinned trust root: valid in 2020, expired after 2026-07-30", () => {
    const at = (d: string) => outcome(validateChain([rfc8448], { trustRoots: [rfc8448], now: new Date(d) }));
    expect(at('2020-01-01Z')).toBe('ok');
    expect(at('2026-07-31Z')).toBe('certificate_expired/expired');
    // CN fallback: no SAN at all
    expect(outcome(validateChain([rfc8448], { trustRoots: [rfc8448], now: new Date('2020-01-01Z'), hostname: 'rsa' }))).toBe('ok');
    // not a CA, so it cannot anchor anything else
    expect(outcome(validateChain([p256Leaf], { trustRoots: [rfc8448], now: new Date('2020-01-01Z') }))).toBe('unknown_ca/unknown_issuer');
  });

  it('every failure code has an alert among the five', () => {
    expect(new Set(Object.values(CERT_FAILURE_ALERT))).toEqual(
      new Set(['bad_certificate', 'unsupported_certificate', 'certificate_expired', 'unknown_ca', 'certificate_unknown']),
    );
  });
});

describe('hostname matching (RFC 6125)', () => {
  it('dnsNameMatches: exact, case, trailing dot, single left-most wildcard label', () => {
    const yes: [string, string][] = [
      ['example.com', 'example.com'],
      ['Example.COM', 'example.com.'],
      ['*.example.com', 'www.example.com'],
      ['*.example.com', 'WWW.Example.Com'],
      ['*.a.example.com', 'x.a.example.com'],
    ];
    const no: [string, string][] = [
      ['*.example.com', 'example.com'],
      ['*.example.com', 'a.b.example.com'],
      ['*.example.com', '.example.com'],
      ['*.com', 'example.com'],
      ['*', 'localhost'],
      ['w*.example.com', 'www.example.com'],
      ['www.*.com', 'www.example.com'],
      ['*.*.example.com', 'a.b.example.com'],
      ['example.com', 'www.example.com'],
      ['example.com', 'example.co'],
      ['*.0.0.1', '127.0.0.1'],
      ['127.0.0.1', '127.0.0.1'],
      ['', ''],
      ['a..b', 'a..b'],
    ];
    for (const [p, h] of yes) expect([p, h, dnsNameMatches(p, h)]).toEqual([p, h, true]);
    for (const [p, h] of no) expect([p, h, dnsNameMatches(p, h)]).toEqual([p, h, false]);
  });

  it('normalizeIp', () => {
    expect(normalizeIp('127.0.0.1')).toBe('127.0.0.1');
    expect(normalizeIp('::1')).toBe('0:0:0:0:0:0:0:1');
    expect(normalizeIp('[0:0:0:0:0:0:0:1]')).toBe('0:0:0:0:0:0:0:1');
    expect(normalizeIp('2001:DB8::0:1')).toBe('2001:db8:0:0:0:0:0:1');
    expect(normalizeIp('::ffff:192.0.2.1')).toBe('0:0:0:0:0:ffff:c000:201');
    expect(normalizeIp('localhost')).toBeNull();
    expect(normalizeIp('1.2.3')).toBeNull();
  });

  it('agrees with OpenSSL (X509Certificate.checkHost / checkIP) on the fixtures', () => {
    // ('localhost.' is left out: we ignore a trailing dot, as Go and browsers do; OpenSSL does not.)
    const hosts = ['localhost', 'LOCALHOST', 'www.localhost', 'example.com', 'rsa', 'client', 'tls-harness client'];
    const ips = ['127.0.0.1', '127.0.0.2', '::1'];
    for (const c of [...leaves, client, ca, rfc8448]) {
      const x = new X509Certificate(c.der);
      for (const h of hosts) expect([c.subject, h, matchesHostname(c, h)]).toEqual([c.subject, h, x.checkHost(h, { subject: 'default' }) !== undefined]);
      for (const ip of ips) expect([c.subject, ip, matchesHostname(c, ip)]).toEqual([c.subject, ip, x.checkIP(ip) !== undefined]);
    }
  });
});

describe('certificates signed with a broken hash (RFC 8446 4.4.2.4)', () => {
  it('an MD5-signed certificate in the path fails with bad_certificate; the same key signed with SHA-256 passes', () => {
    const md5Leaf = load('server-p256-md5.pem');
    const rsaIntermediate = load('intermediate-rsa.pem');
    expect(md5Leaf.signatureAlgorithm.oid).toBe('1.2.840.113549.1.1.4');
    const r = validateChain([md5Leaf, rsaIntermediate], { trustRoots: [ca], now: NOW, hostname: 'localhost', purpose: 'serverAuth' });
    expect(outcome(r)).toBe('bad_certificate/weak_signature');
    expect(r.ok ? '' : r.message).toMatch(/is signed with md5WithRSAEncryption/);
    expect(CERT_FAILURE_ALERT.weak_signature).toBe('bad_certificate');
    // The RSA intermediate itself is fine: a leaf it signs with SHA-256 validates.
    const good = load('server-rsa2048-via-rsa-intermediate.pem');
    expect(outcome(validateChain([good, rsaIntermediate], { trustRoots: [ca], now: NOW, hostname: 'localhost', purpose: 'serverAuth' }))).toBe('ok');
  });
});
