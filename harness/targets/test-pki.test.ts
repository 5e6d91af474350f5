import { describe, expect, it } from 'vitest';
import { EXTRA_TEST_CERTIFICATES, SHARED_TEST_PKI } from './test-pki.ts';
import { parseCertificateDer, validateChain, type Certificate } from '../../implementations/reference/crypto/certificate.ts';
import { FIXED_NOW } from '../../implementations/reference/connection/testing.ts';

const parse = (der: Uint8Array): Certificate => {
  const r = parseCertificateDer(der, 0);
  if (!r.ok) throw new Error(r.message);
  return r.value;
};
const validate = (name: keyof typeof EXTRA_TEST_CERTIFICATES) =>
  validateChain(EXTRA_TEST_CERTIFICATES[name]().chain.map(parse), { trustRoots: SHARED_TEST_PKI.ca(), now: new Date(FIXED_NOW), hostname: 'localhost', purpose: 'serverAuth' });

describe('EXTRA_TEST_CERTIFICATES', () => {
  it('loads every certificate with its key, leaf first, a P-256 key (RSA for rsa-*) for localhost', () => {
    for (const [name, load] of Object.entries(EXTRA_TEST_CERTIFICATES)) {
      const ck = load();
      expect(ck.leaf.publicKey?.kind, name).toBe(name.startsWith('rsa-') ? 'rsa' : 'ec');
      expect(ck.leaf.subject, name).toContain('CN=localhost');
      expect(parse(ck.chain[0]).der, name).toEqual(ck.leaf.der);
    }
  });

  it('each fails chain validation for its one fault', () => {
    const code = (name: keyof typeof EXTRA_TEST_CERTIFICATES) => {
      const r = validate(name);
      return r.ok ? 'ok' : r.code;
    };
    expect(code('p256-expired')).toBe('expired');
    expect(code('p256-not-yet-valid')).toBe('not_yet_valid');
    expect(code('p256-client-eku')).toBe('wrong_purpose');
    expect(code('p256-unknown-issuer')).toBe('unknown_issuer');
  });

  it('the faults chain validation does not look at are in the certificates themselves', () => {
    // keyUsage keyAgreement only (no digitalSignature: bit 0x8000 clear)
    expect(validate('p256-no-digital-signature').ok).toBe(true);
    const ku = EXTRA_TEST_CERTIFICATES['p256-no-digital-signature']().leaf.keyUsage;
    expect(ku).toBeDefined();
    expect(ku! & 0x8000).toBe(0);
    expect(ku! & 0x0800).toBe(0x0800);
    // the signature algorithms of the SHA-1 and MD5 leaves
    expect(EXTRA_TEST_CERTIFICATES['p256-sha1']().leaf.signatureAlgorithm.oid).toBe('1.2.840.10045.4.1');
    const md5 = EXTRA_TEST_CERTIFICATES['p256-md5']();
    expect(md5.leaf.signatureAlgorithm.oid).toBe('1.2.840.113549.1.1.4');
    expect(md5.chain).toHaveLength(2);
    expect(parse(md5.chain[1]).subject).toContain('RSA intermediate CA');
  });

  it('p256-chain-extraneous: leaf first, an unrelated certificate, then the issuer; the chain validates', () => {
    const ck = EXTRA_TEST_CERTIFICATES['p256-chain-extraneous']();
    const chain = ck.chain.map(parse);
    expect(chain).toHaveLength(3);
    expect(chain[1].publicKey?.kind).toBe('rsa');
    expect(chain[2].subject).toContain('intermediate CA');
    expect(validate('p256-chain-extraneous').ok).toBe(true);
  });

  it('rsa-via-rsa-intermediate: an RSA leaf signed with sha256WithRSAEncryption by an RSA CA the root signed with ECDSA; the chain validates', () => {
    const chain = EXTRA_TEST_CERTIFICATES['rsa-via-rsa-intermediate']().chain.map(parse);
    expect(chain.map((c) => c.signatureAlgorithm.oid)).toEqual(['1.2.840.113549.1.1.11', '1.2.840.10045.4.3.2']);
    expect(chain[1].publicKey?.kind).toBe('rsa');
    expect(validate('rsa-via-rsa-intermediate').ok).toBe(true);
  });
});
