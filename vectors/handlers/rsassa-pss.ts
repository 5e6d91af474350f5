/**
 * RSASSA-PSS verification known-answer tests: Wycheproof `rsassa_pss_verify_schema_v1`
 * (rsa_pss_2048_sha256_mgf1_32_test.json) against provider.verify('rsa_pss_rsae_*', ...).
 * Only the parameter sets TLS uses map to a scheme: MGF1 with the same hash as the message digest and
 * salt length = hash length (RFC 8446 4.2.3), for SHA-256/384/512; other groups are skipped as "not a TLS
 * signature scheme". Policy: valid must verify; invalid must not; acceptable (none in the current file)
 * passes either way.
 */
import type { CryptoProvider, SignatureSchemeName } from '../../implementations/reference/crypto/provider.ts';
import type { TestOutcome, VectorFileJson, VectorHandler } from '../runner.ts';
import { hex, verdict, type WycheproofGroup, type WycheproofTest } from './wycheproof-common.ts';

interface SigTest extends WycheproofTest {
  msg: string;
  sig: string;
}

const SCHEMES: Record<string, { scheme: SignatureSchemeName; sLen: number }> = {
  'SHA-256': { scheme: 'rsa_pss_rsae_sha256', sLen: 32 },
  'SHA-384': { scheme: 'rsa_pss_rsae_sha384', sLen: 48 },
  'SHA-512': { scheme: 'rsa_pss_rsae_sha512', sLen: 64 },
};

const big = (h: string): bigint => BigInt('0x' + (h || '0'));

function run(file: VectorFileJson, provider: CryptoProvider): TestOutcome[] {
  const out: TestOutcome[] = [];
  for (const g of file.testGroups as WycheproofGroup<SigTest>[]) {
    const s = SCHEMES[String(g.sha)];
    const fits = s && g.mgf === 'MGF1' && g.mgfSha === g.sha && g.sLen === s.sLen;
    const pk = g.publicKey as { modulus: string; publicExponent: string };
    const n = big(pk.modulus);
    for (const t of g.tests) {
      if (!fits) {
        out.push({
          id: String(t.tcId),
          outcome: 'skipped',
          reason: `PSS(${String(g.sha)}, ${String(g.mgf)}-${String(g.mgfSha)}, sLen ${String(g.sLen)}) is not a TLS signature scheme`,
        });
        continue;
      }
      const ok = provider.verify(s.scheme, { kind: 'rsa', n, e: big(pk.publicExponent), bits: n.toString(2).length }, hex(t.msg), hex(t.sig));
      out.push(verdict(t, ok, ok ? 'signature verified' : 'signature rejected'));
    }
  }
  return out;
}

export const rsassaPssHandler: VectorHandler = {
  handles: ['rsassa_pss_verify_schema_v1.json', 'rsassa_pss_verify_schema_v1'],
  run,
};
