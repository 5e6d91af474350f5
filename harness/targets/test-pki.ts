/**
 * The test PKI (implementations/reference/connection/testing.ts), each certificate and key read and parsed
 * once per process instead of at every call: the engine's peer takes its certificates and trust roots for
 * every case and control, and parsing them (X.509, private keys) was about a sixth of a suite run's CPU.
 * The parsed objects are never changed by their users; each call returns a new array around them.
 */
import { TEST_PKI } from '../../implementations/reference/connection/testing.ts';
import { loadCertificates, loadCertifiedKey } from '../../implementations/reference/connection/credentials.ts';
import type { CertifiedKey } from '../../implementations/reference/connection/config.ts';
import type { Certificate } from '../../implementations/reference/crypto/certificate.ts';

function once<T>(load: () => T): () => T {
  let value: T | undefined;
  return () => (value ??= load());
}

const ca = once(TEST_PKI.ca);

/** A leaf of implementations/reference/certs (its .pem and .key), then the certificates of `chain` (.pem files), in order. */
const leaf = (name: string, ...chain: string[]) => (): CertifiedKey => {
  const ck = loadCertifiedKey(TEST_PKI.path(`${name}.pem`), TEST_PKI.path(`${name}.key`));
  for (const file of chain) ck.chain.push(...loadCertificates(TEST_PKI.path(file)).map((c) => c.der));
  return ck;
};

/**
 * Server certificates for client-role certificate tests (issue 14; implementations/reference/certs/generate.sh
 * says how each is made): P-256 leaves for localhost like `p256`, but for one fault each; a good chain in an odd
 * order; a good RSA chain with the signatures RFC 8446 9.1 makes mandatory.
 */
export const EXTRA_TEST_CERTIFICATES = {
  /** Valid 2000-01-01 to 2020-01-01 only. */
  'p256-expired': once(leaf('server-p256-expired')),
  /** Valid from 2090-01-01 only. */
  'p256-not-yet-valid': once(leaf('server-p256-not-yet-valid')),
  /** extendedKeyUsage clientAuth only: not for a server (RFC 5280 4.2.1.12). */
  'p256-client-eku': once(leaf('server-p256-client-eku')),
  /** keyUsage keyAgreement only: RFC 8446 4.4.2.2, "the digitalSignature bit MUST be set if the Key Usage extension is present". */
  'p256-no-digital-signature': once(leaf('server-p256-no-digital-signature')),
  /** Signed by the root CA with ecdsa-with-SHA1 (RFC 8446 4.4.2.4). */
  'p256-sha1': once(leaf('server-p256-sha1')),
  /** Signed with md5WithRSAEncryption by an RSA intermediate CA, sent after it (RFC 8446 4.4.2.4). */
  'p256-md5': once(leaf('server-p256-md5', 'intermediate-rsa.pem')),
  /** Issued by a root that no trust store holds (other-ca.pem, not sent). */
  'p256-unknown-issuer': once(leaf('server-p256-unknown-issuer')),
  /**
   * A good chain in an odd order, with an extraneous certificate: the leaf issued by the intermediate CA, then
   * an unrelated certificate (the RSA server leaf), then the intermediate (RFC 8446 4.4.2: "extraneous
   * certificates and arbitrary orderings").
   */
  'p256-chain-extraneous': once(leaf('server-p256-via-intermediate', 'server-rsa2048.pem', 'intermediate.pem')),
  /**
   * RSA-2048 leaf signed with rsa_pkcs1_sha256 (sha256WithRSAEncryption) by an RSA intermediate CA, which the root
   * signed with ecdsa_secp256r1_sha256; sent leaf, intermediate (RFC 8446 9.1).
   */
  'rsa-via-rsa-intermediate': once(leaf('server-rsa2048-via-rsa-intermediate', 'intermediate-rsa.pem')),
} satisfies Record<string, () => CertifiedKey>;

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
