/**
 * makeConfig's version defaults: TLS 1.3 and TLS 1.2, as OpenSSL and curl, with the suites of the version range.
 */
import { describe, expect, it } from 'vitest';
import { CipherSuite } from '../codec/enums.ts';
import { DEFAULT_CIPHER_SUITES, DUAL_CIPHER_SUITES, TLS12_CIPHER_SUITES, defaultCipherSuites, makeConfig, type EndpointConfig } from './config.ts';
import { TlsClient } from './client.ts';
import { TlsServer } from './server.ts';
import { pump } from './memory.ts';
import { testClientConfig, testServerConfig } from './testing.ts';
import { versionsEnabled } from './tls12/common12.ts';

describe('makeConfig: versions and suites', () => {
  it('by default speaks TLS 1.2 and TLS 1.3, with every suite, TLS 1.3 ones first', () => {
    const c = makeConfig();
    expect(c).toMatchObject({ minVersion: 'TLSv1.2', maxVersion: 'TLSv1.3' });
    expect(c.cipherSuites).toEqual(DUAL_CIPHER_SUITES);
    expect(c.cipherSuites.slice(0, DEFAULT_CIPHER_SUITES.length)).toEqual(DEFAULT_CIPHER_SUITES);
    expect(versionsEnabled(c)).toEqual({ tls12: true, tls13: true });
  });

  it('without cipherSuites, the suites follow the version range; given ones are kept as they are', () => {
    expect(makeConfig({ minVersion: 'TLSv1.3' }).cipherSuites).toEqual(DEFAULT_CIPHER_SUITES);
    expect(versionsEnabled(makeConfig({ minVersion: 'TLSv1.3' }))).toEqual({ tls12: false, tls13: true });
    expect(makeConfig({ maxVersion: 'TLSv1.2' }).cipherSuites).toEqual(TLS12_CIPHER_SUITES);
    expect(versionsEnabled(makeConfig({ maxVersion: 'TLSv1.2' }))).toEqual({ tls12: true, tls13: false });
    expect(makeConfig({ minVersion: 'TLSv1.3', cipherSuites: [CipherSuite.TLS_AES_256_GCM_SHA384] }).cipherSuites).toEqual([CipherSuite.TLS_AES_256_GCM_SHA384]);
    // Suites of one version only: that version only, whatever the range.
    expect(versionsEnabled(makeConfig({ cipherSuites: DEFAULT_CIPHER_SUITES }))).toEqual({ tls12: false, tls13: true });
    expect(defaultCipherSuites({ minVersion: 'TLSv1.2', maxVersion: 'TLSv1.3' })).toEqual(DUAL_CIPHER_SUITES);
  });
});

describe('default endpoints', () => {
  const handshake = (client: Partial<EndpointConfig>, server: Partial<EndpointConfig>) => {
    const c = new TlsClient(testClientConfig(client));
    const s = new TlsServer(testServerConfig(server));
    c.start();
    pump(c, s);
    return { c, s };
  };

  it('a default client and a default server: TLS 1.3', () => {
    const { c, s } = handshake({}, {});
    expect(c.summary?.version).toBe('TLSv1.3');
    expect(s.summary?.version).toBe('TLSv1.3');
  });

  it('a default client and a TLS 1.2-only server: TLS 1.2 (the client offered it)', () => {
    const { c, s } = handshake({}, { maxVersion: 'TLSv1.2' });
    expect(c.error).toBeUndefined();
    expect(c.summary).toMatchObject({ version: 'TLSv1.2', cipherSuite: CipherSuite.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256 });
    expect(s.summary?.version).toBe('TLSv1.2');
  });

  it('a TLS 1.2-only client and a default server: TLS 1.2 (the server serves it)', () => {
    const { c, s } = handshake({ maxVersion: 'TLSv1.2' }, {});
    expect(s.error).toBeUndefined();
    expect(c.summary?.version).toBe('TLSv1.2');
    expect(s.summary?.version).toBe('TLSv1.2');
  });

  it('minVersion TLS 1.3 on either side: TLS 1.3, or protocol_version against TLS 1.2 only', () => {
    expect(handshake({ minVersion: 'TLSv1.3' }, {}).c.summary?.version).toBe('TLSv1.3');
    expect(handshake({}, { minVersion: 'TLSv1.3' }).c.summary?.version).toBe('TLSv1.3');
    const { s } = handshake({ maxVersion: 'TLSv1.2' }, { minVersion: 'TLSv1.3' });
    expect(s.error).toMatchObject({ alert: 'protocol_version' });
  });
});
