/**
 * Ed25519 and Ed448 verification known-answer tests: Wycheproof `eddsa_verify_schema_v1` (ed25519_test.json,
 * ed448_test.json) against provider.verify('ed25519' | 'ed448', key, msg, sig). RFC 8446 4.2.3: ed25519 and
 * ed448 are PureEdDSA (RFC 8032, Ed448 with an empty context).
 * Policy: valid must verify; invalid (malleable S, non-canonical encodings, truncated or padded signatures)
 * must not; acceptable (none in the current files) passes either way. Nothing is skipped.
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
    const kind = pk.curve === 'edwards25519' ? 'ed25519' : pk.curve === 'edwards448' ? 'ed448' : undefined;
    for (const t of g.tests) {
      if (!kind) {
        out.push({ id: String(t.tcId), outcome: 'skipped', reason: `${pk.curve}: not an EdDSA curve of TLS` });
        continue;
      }
      const ok = provider.verify(kind, { kind, key: hex(pk.pk) }, hex(t.msg), hex(t.sig));
      out.push(verdict(t, ok, ok ? 'signature verified' : 'signature rejected'));
    }
  }
  return out;
}

export const eddsaHandler: VectorHandler = {
  handles: ['eddsa_verify_schema_v1.json', 'eddsa_verify_schema_v1'],
  run,
};
