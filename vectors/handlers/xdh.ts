/**
 * X25519 and X448 known-answer tests: Wycheproof `xdh_comp_schema_v1` (x25519_test.json, x448_test.json) against
 * provider.keyExchange('x25519' | 'x448').sharedSecret(private, public).
 *
 * Policy:
 * - valid: the shared secret must equal `shared`.
 * - acceptable with an all-zero `shared` (low-order / zero-shared-secret public keys): must be REJECTED with
 *   CryptoError('zero_shared_secret'), because RFC 8446 7.4.2 requires TLS 1.3 to abort on an all-zero
 *   X25519 / X448 output (RFC 7748 6.1, 6.2).
 * - other acceptable cases (twist points, non-canonical u, edge-case multiplications, low-order points of
 *   the twist whose output is not zero): RFC 7748 5 says to accept them (mask bit 255 for X25519, reduce mod
 *   p), so they must be ACCEPTED with the expected `shared`.
 * - invalid (x448_test.json: 57-byte public keys): must be rejected (RFC 8446 4.2.8.2: X448 values are 56 bytes).
 * Nothing is skipped: both curves are TLS groups (x25519, x448).
 */
import type { CryptoProvider, GroupName } from '../../implementations/reference/crypto/provider.ts';
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
      const group: GroupName | undefined = g.curve === 'curve25519' ? 'x25519' : g.curve === 'curve448' ? 'x448' : undefined;
      if (!group) {
        out.push({ id, outcome: 'skipped', reason: `curve ${String(g.curve)} is not a TLS group of this harness` });
        continue;
      }
      let shared: string | null = null;
      let error = '';
      let code: string | undefined;
      try {
        shared = toHex(provider.keyExchange(group).sharedSecret(hex(t.private), hex(t.public)));
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
