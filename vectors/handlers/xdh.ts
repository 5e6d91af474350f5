/**
 * X25519 known-answer tests: Wycheproof `xdh_comp_schema_v1` (x25519_test.json) against
 * provider.keyExchange('x25519').sharedSecret(private, public).
 *
 * Policy:
 * - valid: the shared secret must equal `shared`.
 * - acceptable with an all-zero `shared` (low-order / zero-shared-secret public keys): must be REJECTED with
 *   CryptoError('zero_shared_secret'), because RFC 8446 7.4.2 requires TLS 1.3 to abort on an all-zero
 *   X25519 output (RFC 7748 6.1).
 * - other acceptable cases (twist points, non-canonical u, edge-case multiplications): RFC 7748 5 says to
 *   accept them (mask bit 255, reduce mod p), so they must be ACCEPTED with the expected `shared`.
 * - invalid (none in the current file): must be rejected.
 * Curves other than curve25519 (X448) are skipped: TLS here does not negotiate x448.
 */
import type { CryptoProvider } from '../../implementations/reference/crypto/provider.ts';
import type { TestOutcome, VectorFileJson, VectorHandler } from '../runner.ts';
import { errorText, hex, toHex, verdict, type WycheproofGroup, type WycheproofTest } from './wycheproof-common.ts';

interface XdhTest extends WycheproofTest {
  public: string;
  private: string;
  shared: string;
}

function run(file: VectorFileJson, provider: CryptoProvider): TestOutcome[] {
  const out: TestOutcome[] = [];
  for (const g of file.testGroups as WycheproofGroup<XdhTest>[])
    for (const t of g.tests) {
      const id = String(t.tcId);
      if (g.curve !== 'curve25519') {
        out.push({ id, outcome: 'skipped', reason: `curve ${String(g.curve)} is not a TLS group of this harness` });
        continue;
      }
      let shared: string | null = null;
      let error = '';
      let code: string | undefined;
      try {
        shared = toHex(provider.keyExchange('x25519').sharedSecret(hex(t.private), hex(t.public)));
      } catch (e) {
        error = errorText(e);
        code = (e as { code?: string }).code;
      }
      const zeroExpected = /^(00)+$/.test(t.shared);
      if (t.result === 'acceptable' && zeroExpected) {
        out.push(
          code === 'zero_shared_secret'
            ? { id, outcome: 'passed', reason: 'acceptable: rejected all-zero shared secret (RFC 8446 7.4.2)' }
            : { id, outcome: 'failed', reason: `all-zero shared secret not rejected with zero_shared_secret: ${shared ?? error}` },
        );
        continue;
      }
      const ok = shared !== null && shared === t.shared;
      const why = shared === null ? error : ok ? 'shared secret matches' : `shared ${shared}, expected ${t.shared}`;
      out.push(
        verdict(t, ok, why, () =>
          ok
            ? { id, outcome: 'passed', reason: 'acceptable: accepted with the expected shared secret (RFC 7748 5)' }
            : { id, outcome: 'failed', reason: `acceptable non-zero case must be accepted (RFC 7748 5): ${why}` },
        ),
      );
      // an invalid test that "computes" a different value is a rejection only if it threw
      if (t.result === 'invalid' && shared !== null && !ok) out[out.length - 1] = { id, outcome: 'failed', reason: `invalid test accepted: ${why}` };
    }
  return out;
}

export const xdhHandler: VectorHandler = {
  handles: ['xdh_comp_schema_v1.json', 'xdh_comp_schema_v1'],
  run,
};
