/**
 * The adapters under the scenario engine: the example scenarios (one per role) run against each shipped
 * target. The verdicts are the targets' business; what is checked here is that every case reaches one
 * (pass, fail or lenient) rather than an adapter error, and that nothing is left running.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { expandAll, loadScenarios } from '../scenario/loader.ts';
import { runCase } from '../engine/run-case.ts';
import { resolveTarget } from './config.ts';
import { findBinary, liveProcessCount } from './processes.ts';
import type { Target } from './types.ts';
import { existsSync } from 'node:fs';

// Two known examples (one per role), not the whole directory: others' new scenarios are not this test's subject.
const FILES = ['scenarios/examples/tls13-finished-bad-verify-data.yaml', 'scenarios/examples/tls13-client-rejects-hrr-same-group.yaml'].filter((f) => existsSync(f));
const cases = FILES.length ? expandAll(loadScenarios(FILES).scenarios) : [];
if (!FILES.length) console.log('engine tests skipped: the example scenarios are gone');

for (const name of ['reference', 'node', 'openssl']) {
  const missing = name === 'openssl' && !findBinary('openssl');
  if (missing) console.log(`engine tests against openssl skipped: the openssl binary is not installed`);
  describe.skipIf(missing || cases.length === 0)(`example scenarios against ${name}`, () => {
    let target: Target | undefined;
    afterAll(async () => {
      await target?.stop();
      expect(liveProcessCount()).toBe(0);
    });
    it('every case reaches a verdict', async () => {
      expect(cases.length).toBeGreaterThan(0);
      target = resolveTarget(name);
      await target.start(new AbortController().signal);
      const lines: string[] = [];
      for (const c of cases) {
        const r = await runCase(c, target, { timeoutMs: 10_000 });
        await target.endCase?.({ caseId: c.id, signal: new AbortController().signal });
        lines.push(`${name} ${c.id}: ${r.verdict}${r.reason ? ` (${r.reason})` : ''}`);
        expect(r.verdict, r.reason).not.toBe('error');
      }
      console.log(lines.join('\n'));
    });
  });
}
