import { describe, expect, it } from 'vitest';
import { UsageError } from '../errors.ts';
import { PERMISSIVE_CAPABILITIES } from './config.ts';
import { REFERENCE_CAPABILITIES } from './reference.ts';
import { CHAIN_CASE_ID, chainErrorCase, hasCapabilityFlags, overrideCapabilities, parseCapabilityFlags, restrictCapabilities } from './settings.ts';
import type { ProbeReport } from './probe.ts';

function usage(values: Record<string, unknown>): string {
  try {
    parseCapabilityFlags(values);
  } catch (e) {
    expect(e).toBeInstanceOf(UsageError);
    return (e as UsageError).line();
  }
  throw new Error('no error');
}

describe('capability flags', () => {
  it('parses comma-separated and repeated values, with the usual spellings', () => {
    const f = parseCapabilityFlags({
      versions: ['1.3', 'TLSv1.2,tls13'],
      'cipher-suites': ['tls_aes_128_gcm_sha256'],
      groups: ['x25519,P-256', 'prime256v1'],
      'signature-schemes': ['ecdsa_secp256r1_sha256'],
      features: ['hello_retry_request,psk'],
      alpn: ['http/1.1,h2'],
    });
    expect(f).toEqual({
      versions: ['tls13', 'tls12'],
      cipher_suites: ['TLS_AES_128_GCM_SHA256'],
      groups: ['x25519', 'secp256r1'],
      signature_schemes: ['ecdsa_secp256r1_sha256'],
      features: ['hello_retry_request', 'psk'],
      alpn: ['http/1.1', 'h2'],
    });
    expect(hasCapabilityFlags(f)).toBe(true);
    expect(hasCapabilityFlags(parseCapabilityFlags({}))).toBe(false);
    expect(parseCapabilityFlags({ alpn: [''] })).toEqual({ alpn: [] });
  });

  it('a bad name is one line with the closest valid name', () => {
    expect(usage({ versions: ['tls14'] })).toBe("run: --versions: unknown version 'tls14' (did you mean 'tls13'?) (tls13, tls12)");
    expect(usage({ groups: ['x25591'] })).toBe("run: --groups: unknown group 'x25591' (did you mean 'x25519'?)");
    expect(usage({ 'cipher-suites': ['TLS_AES_128_GCM_SHA265'] })).toBe("run: --cipher-suites: unknown cipher suite 'TLS_AES_128_GCM_SHA265' (did you mean 'TLS_AES_128_GCM_SHA256'?)");
    expect(usage({ 'signature-schemes': ['rsa_pss_sha256'] })).toMatch(/^run: --signature-schemes: unknown signature scheme 'rsa_pss_sha256' \(did you mean '/);
    expect(usage({ features: ['helo_retry_request'] })).toBe("run: --features: unknown feature 'helo_retry_request' (did you mean 'hello_retry_request'?)");
    expect(usage({ versions: [','] })).toBe('run: --versions: give at least one of tls13, tls12');
    expect(usage({ alpn: ['x'.repeat(256)] })).toBe('run: --alpn: protocol name longer than 255 bytes (RFC 7301 3.1)');
  });

  it('without probing, a flag replaces its list; --alpn decides the alpn feature unless --features is given', () => {
    const c = overrideCapabilities(PERMISSIVE_CAPABILITIES, { groups: ['x25519'], alpn: [] });
    expect(c.groups).toEqual(['x25519']);
    expect(c.cipher_suites).toBe(PERMISSIVE_CAPABILITIES.cipher_suites);
    expect(c.features).not.toContain('alpn');
    expect(c.alpn).toEqual([]);
    expect(overrideCapabilities({ ...PERMISSIVE_CAPABILITIES, features: [] }, { alpn: ['h2'] }).features).toEqual(['alpn']);
    expect(overrideCapabilities(PERMISSIVE_CAPABILITIES, { alpn: ['h2'], features: ['psk'] }).features).toEqual(['psk']);
  });

  it('with probing, a flag keeps only probed names, and says which it could not keep', () => {
    const probed = { ...REFERENCE_CAPABILITIES, versions: ['tls13' as const], groups: ['x25519', 'secp256r1'], alpn: ['http/1.1'] };
    const { capabilities, notFound } = restrictCapabilities(probed, { groups: ['secp256r1', 'ffdhe3072'], versions: ['tls13', 'tls12'], alpn: ['h2'] });
    expect(capabilities.groups).toEqual(['secp256r1']);
    expect(capabilities.versions).toEqual(['tls13']);
    expect(capabilities.alpn).toEqual([]);
    expect(capabilities.features).not.toContain('alpn');
    expect(capabilities.cipher_suites).toEqual(probed.cipher_suites);
    expect(notFound).toEqual(['--versions tls12', '--groups ffdhe3072', '--alpn h2']);
  });

  it('the client role\'s own lists: a flag replaces them (no probe) or restricts them (probe) like the shared ones', () => {
    const base = { ...REFERENCE_CAPABILITIES, client: { groups: ['x25519', 'secp256r1', 'x448'], versions: ['tls12' as const] } };
    expect(overrideCapabilities(base, { groups: ['secp256r1'] }).client).toEqual({ versions: ['tls12'] });
    expect(restrictCapabilities(base, { groups: ['secp256r1', 'x448'] }).capabilities.client).toEqual({ groups: ['secp256r1', 'x448'], versions: ['tls12'] });
  });
});

describe('chainErrorCase', () => {
  it('is one error naming the chain problem and the way out', () => {
    const probe: ProbeReport = {
      capabilities: { versions: ['tls13'], cipher_suites: [], groups: [], signature_schemes: [], features: [], alpn: [] },
      handshakes: 19,
      durationMs: 500,
      certificate: { subject: 'CN=localhost', issuer: 'CN=other CA', keyType: 'ecdsa-secp256r1', chainValid: false, error: 'no trusted issuer for "CN=other CA"' },
      certificates: [],
      notes: [],
    };
    const c = chainErrorCase('tcp://127.0.0.1:4433', probe, 'the test CA');
    expect(c.id).toBe(CHAIN_CASE_ID);
    expect(c.verdict).toBe('error');
    expect(c.reason).toBe(
      'the certificate chain of tcp://127.0.0.1:4433 does not validate against the test CA: no trusted issuer for "CN=other CA"; pass --ca FILE to trust the target\'s CA, or --no-verify-chain (the other cases ran with chain validation off)',
    );
    expect(c.rfc).toMatchObject({ doc: 8446, section: '4.4.2.4' });
    expect(c.observed).toContain('ecdsa-secp256r1 "CN=localhost" issued by "CN=other CA"');
  });
});

describe("the harness's peer takes the target's trust", () => {
  it('peerConfig: the test CA and validation by default, the target trust when it has one', async () => {
    const { peerConfig } = await import('../engine/run-case.ts');
    const { loadCertificates } = await import('../../implementations/reference/connection/credentials.ts');
    const roots = loadCertificates(new URL('./fixtures/other-pki/ca.pem', import.meta.url).pathname);
    const dflt = peerConfig({}, 'client');
    expect(dflt.verifyPeer).toBe(true);
    expect(dflt.trustRoots.map((c) => c.subject)).toEqual(['O=tls-harness\nCN=tls-harness test root CA']);
    const other = peerConfig({}, 'client', { roots, verify: true });
    expect(other.trustRoots).toBe(roots);
    expect(other.verifyPeer).toBe(true);
    expect(peerConfig({}, 'client', { roots, verify: false }).verifyPeer).toBe(false);
  });
});
