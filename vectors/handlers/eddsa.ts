/**
 * Ed25519 verification known-answer tests: Wycheproof `eddsa_verify_schema_v1` (ed25519_test.json) against
 * provider.verify('ed25519', key, msg, sig). RFC 8446 4.2.3: ed25519 is PureEdDSA (RFC 8032).
 * Policy: valid must verify; invalid (malleable S, non-canonical encodings, truncated or padded signatures)
 * must not; acceptable (none in the current file) passes either way. Ed448 groups are skipped: the harness
 * does not implement the ed448 scheme.
 */
import type { CryptoProvider } from '../../implementations/reference/crypto/provider.ts';
import type { TestOutcome, VectorFileJson, VectorHandler } from '../runner.ts';
import { hex, verdict, type WycheproofGroup, type WycheproofTest } from './wycheproof-common.ts';

interface SigTest extends WycheproofTest {
  msg: string;
  sig: string;
}

function run(file: VectorFileJson, provider: CryptoProvider): TestOutcome[] {
  const out: TestOutcome[] = [];
  for (const g of file.testGroups as WycheproofGroup<SigTest>[]) {
    const pk = g.publicKey as { curve: string; pk: string };
    for (const t of g.tests) {
      if (pk.curve !== 'edwards25519') {
        out.push({ id: String(t.tcId), outcome: 'skipped', reason: `${pk.curve}: ed448 is not implemented` });
        continue;
      }
      const ok = provider.verify('ed25519', { kind: 'ed25519', key: hex(pk.pk) }, hex(t.msg), hex(t.sig));
      out.push(verdict(t, ok, ok ? 'signature verified' : 'signature rejected'));
    }
  }
  return out;
}

export const eddsaHandler: VectorHandler = {
  handles: ['eddsa_verify_schema_v1.json', 'eddsa_verify_schema_v1'],
  run,
};
