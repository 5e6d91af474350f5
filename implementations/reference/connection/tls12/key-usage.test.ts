/**
 * RFC 5246 7.4.2 on the client: an RSA key exchange needs a server certificate whose keyUsage, when present,
 * allows keyEncipherment (checkServerCertificate12), read from the certificate's keyUsage bits.
 */
import { describe, expect, it } from 'vitest';
import { CipherSuite } from '../../codec/enums.ts';
import { KEY_USAGE } from '../../crypto/certificate.ts';
import { suiteParams } from '../../crypto/suites.ts';
import { TlsError } from '../errors.ts';
import { TEST_PKI } from '../testing.ts';
import { checkServerCertificate12 } from './checks12.ts';

const suite = (code: number) => suiteParams(code)!;
const RSA_KX = suite(CipherSuite.TLS_RSA_WITH_AES_128_GCM_SHA256);
const ECDHE_RSA = suite(CipherSuite.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256);

describe('keyUsage and the RSA key exchange (RFC 5246 7.4.2)', () => {
  it('reads the keyUsage bits of the test certificates', () => {
    expect(TEST_PKI.rsa().leaf.keyUsage).toBe(KEY_USAGE.digitalSignature | KEY_USAGE.keyEncipherment);
    expect(TEST_PKI.rsaSignOnly().leaf.keyUsage).toBe(KEY_USAGE.digitalSignature);
    expect(TEST_PKI.p256().leaf.keyUsage).toBe(KEY_USAGE.digitalSignature);
  });

  it('refuses a certificate without keyEncipherment for the RSA key exchange, with unsupported_certificate', () => {
    let err: unknown;
    try {
      checkServerCertificate12(TEST_PKI.rsaSignOnly().chain, { suite: RSA_KX });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(TlsError);
    expect((err as TlsError).alert).toBe('unsupported_certificate');
    expect((err as TlsError).message).toMatch(/keyEncipherment/);
  });

  it('accepts it for ECDHE_RSA (a signing use), and accepts keyEncipherment for the RSA key exchange', () => {
    expect(() => checkServerCertificate12(TEST_PKI.rsaSignOnly().chain, { suite: ECDHE_RSA })).not.toThrow();
    expect(() => checkServerCertificate12(TEST_PKI.rsa().chain, { suite: RSA_KX })).not.toThrow();
  });
});
