/**
 * Fixtures for tests of the reference endpoints: the project's test PKI and a fixed clock and randomness.
 */
import { fileURLToPath } from 'node:url';
import { BUILTIN_CRYPTO_PROVIDER, makeConfig, type EndpointConfig } from './config.ts';
import { loadCertificates, loadCertifiedKey } from './credentials.ts';

const certs = (f: string) => fileURLToPath(new URL(`../certs/${f}`, import.meta.url));

export const TEST_PKI = {
  ca: () => loadCertificates(certs('ca.pem')),
  rsa: () => loadCertifiedKey(certs('server-rsa2048.pem'), certs('server-rsa2048.key')),
  p256: () => loadCertifiedKey(certs('server-p256.pem'), certs('server-p256.key')),
  p384: () => loadCertifiedKey(certs('server-p384.pem'), certs('server-p384.key')),
  p521: () => loadCertifiedKey(certs('server-p521.pem'), certs('server-p521.key')),
  ed25519: () => loadCertifiedKey(certs('server-ed25519.pem'), certs('server-ed25519.key')),
  ed448: () => loadCertifiedKey(certs('server-ed448.pem'), certs('server-ed448.key')),
  client: () => loadCertifiedKey(certs('client-p256.pem'), certs('client-p256.key')),
  /** RSA-2048 with keyUsage digitalSignature only (no keyEncipherment: not for the RSA key exchange, RFC 5246 7.4.2). */
  rsaSignOnly: () => loadCertifiedKey(certs('server-rsa2048-sign-only.pem'), certs('server-rsa2048-sign-only.key')),
  /** P-256 for wrong-name.example, not localhost. */
  p256WrongName: () => loadCertifiedKey(certs('server-p256-wrong-name.pem'), certs('server-p256-wrong-name.key')),
  /** P-256 issued by the intermediate CA, presented without it: no path to the root. */
  p256MissingIntermediate: () => loadCertifiedKey(certs('server-p256-via-intermediate.pem'), certs('server-p256-via-intermediate.key')),
  path: certs,
};

/** 2030-01-01: inside the test certificates' validity, whatever day the tests run. */
export const FIXED_NOW = Date.UTC(2030, 0, 1);

/** A deterministic byte source (xorshift), so handshakes in tests are reproducible. */
export function seededRandom(seed: number): (n: number) => Uint8Array {
  let x = seed >>> 0 || 1;
  return (n) => {
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i++) {
      x ^= x << 13;
      x >>>= 0;
      x ^= x >>> 17;
      x ^= x << 5;
      x >>>= 0;
      out[i] = x & 0xff;
    }
    return out;
  };
}

export function testServerConfig(partial: Partial<EndpointConfig> = {}): EndpointConfig {
  return makeConfig({
    provider: BUILTIN_CRYPTO_PROVIDER,
    certificates: [TEST_PKI.p256(), TEST_PKI.rsa(), TEST_PKI.ed25519()],
    trustRoots: TEST_PKI.ca(),
    now: () => FIXED_NOW,
    random: seededRandom(2),
    ...partial,
  });
}

export function testClientConfig(partial: Partial<EndpointConfig> = {}): EndpointConfig {
  return makeConfig({
    provider: BUILTIN_CRYPTO_PROVIDER,
    trustRoots: TEST_PKI.ca(),
    serverName: 'localhost',
    now: () => FIXED_NOW,
    random: seededRandom(1),
    ...partial,
  });
}
