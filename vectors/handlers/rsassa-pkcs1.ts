/**
 * RSASSA-PKCS1-v1_5 verification known-answer tests: Wycheproof `rsassa_pkcs1_verify_schema_v1`
 * (rsa_signature_2048_sha256_test.json) against provider.verify('rsa_pkcs1_*', ...) — certificate
 * signatures and TLS 1.2 signatures.
 * Policy: valid must verify; invalid must not. acceptable: the one current case is a DigestInfo without the
 * NULL parameters (flag MissingNull). RFC 8017 9.2 builds the encoding with the NULL and verification
 * compares encodings, so we reject it (passed, "rejected"); accepting it would also pass, and is recorded.
 */
import type { CryptoProvider, SignatureSchemeName } from '../../implementations/reference/crypto/provider.ts';
import type { TestOutcome, VectorFileJson, VectorHandler } from '../runner.ts';
import { hex, verdict, type WycheproofGroup, type WycheproofTest } from './wycheproof-common.ts';

interface SigTest extends WycheproofTest {
  msg: string;
  sig: string;
}

const SCHEMES: Record<string, SignatureSchemeName> = {
  'SHA-1': 'rsa_pkcs1_sha1',
  'SHA-256': 'rsa_pkcs1_sha256',
  'SHA-384': 'rsa_pkcs1_sha384',
  'SHA-512': 'rsa_pkcs1_sha512',
};

const big = (h: string): bigint => BigInt('0x' + (h || '0'));

function run(file: VectorFileJson, provider: CryptoProvider): TestOutcome[] {
  const out: TestOutcome[] = [];
  for (const g of file.testGroups as WycheproofGroup<SigTest>[]) {
    const scheme = SCHEMES[String(g.sha)];
    const pk = g.publicKey as { modulus: string; publicExponent: string };
    const n = big(pk.modulus);
    for (const t of g.tests) {
      if (!scheme) {
        out.push({ id: String(t.tcId), outcome: 'skipped', reason: `RSASSA-PKCS1-v1_5 with ${String(g.sha)} is not a TLS signature scheme` });
        continue;
      }
      const ok = provider.verify(scheme, { kind: 'rsa', n, e: big(pk.publicExponent), bits: n.toString(2).length }, hex(t.msg), hex(t.sig));
      out.push(verdict(t, ok, ok ? 'signature verified' : 'signature rejected'));
    }
  }
  return out;
}

export const rsassaPkcs1Handler: VectorHandler = {
  handles: ['rsassa_pkcs1_verify_schema_v1.json', 'rsassa_pkcs1_verify_schema_v1'],
  run,
};
