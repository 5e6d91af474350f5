/**
 * The test PKI (implementations/reference/connection/testing.ts), each certificate and key read and parsed
 * once per process instead of at every call: the engine's peer takes its certificates and trust roots for
 * every case and control, and parsing them (X.509, private keys) was about a sixth of a suite run's CPU.
 * The parsed objects are never changed by their users; each call returns a new array around them.
 */
import { TEST_PKI } from '../../implementations/reference/connection/testing.ts';
import type { CertifiedKey } from '../../implementations/reference/connection/config.ts';
import type { Certificate } from '../../implementations/reference/crypto/certificate.ts';

function once<T>(load: () => T): () => T {
  let value: T | undefined;
  return () => (value ??= load());
}

const ca = once(TEST_PKI.ca);

export const SHARED_TEST_PKI = {
  ca: (): Certificate[] => [...ca()],
  rsa: once(TEST_PKI.rsa),
  p256: once(TEST_PKI.p256),
  p384: once(TEST_PKI.p384),
  p521: once(TEST_PKI.p521),
  ed25519: once(TEST_PKI.ed25519),
  ed448: once(TEST_PKI.ed448),
  client: once(TEST_PKI.client),
  rsaSignOnly: once(TEST_PKI.rsaSignOnly),
  p256WrongName: once(TEST_PKI.p256WrongName),
  p256MissingIntermediate: once(TEST_PKI.p256MissingIntermediate),
} satisfies Record<string, () => CertifiedKey | Certificate[]>;
