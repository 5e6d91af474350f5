/**
 * The test of a shipped target config (implementations/targets/NAME.yaml): a few cases in each role, each with
 * the verdict the config expects (a pass, or a fail that the config lists as an expected failure, with its RFC
 * sentence). Skipped, with the reason printed, when the implementation is not installed or the scenarios are
 * gone. One helper for every shipped target, so that each test file only states its cases.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import { expandAll, loadScenarios } from '../scenario/loader.ts';
import { runAll } from '../engine/run-all.ts';
import { resolveTarget } from './config.ts';
import { findBinary, liveProcessCount } from './processes.ts';
import type { Target } from './types.ts';

export interface ShippedTargetTest {
  /** The config's name. */
  target: string;
  /** Programs that must be on PATH, and how to get them (printed when one is missing). */
  binaries: string[];
  install: string;
  /** Scenario files holding the cases. */
  files: string[];
  /** case id -> its verdict: `pass`, or `expected failure` (a fail the config lists). */
  cases: Record<string, 'pass' | 'expected failure'>;
  /** The roles the cases must cover (default: server and client). */
  roles?: ('server' | 'client')[];
  timeoutMs?: number;
}

export function describeShippedTarget(t: ShippedTargetTest): void {
  const missing = t.binaries.find((b) => !findBinary(b));
  if (missing) console.log(`${t.target} target tests skipped: '${missing}' is not installed (${t.install})`);
  const files = t.files.filter((f) => existsSync(f));
  const cases = files.length === t.files.length ? expandAll(loadScenarios(files).scenarios).filter((c) => c.id in t.cases) : [];
  const complete = cases.length === Object.keys(t.cases).length;
  if (!missing && !complete) console.log(`${t.target} target tests skipped: their scenarios are gone or renamed`);
  const roles = t.roles ?? ['server', 'client'];

  describe.skipIf(missing !== undefined || !complete)(`the ${t.target} target, ${roles.join(' and ')} role`, () => {
    let target: Target | undefined;
    afterAll(async () => {
      await target?.stop();
      expect(liveProcessCount()).toBe(0);
    });

    it('reaches the verdict its config expects in each case', async () => {
      target = resolveTarget(t.target);
      expect(target.capabilities.roles).toEqual(expect.arrayContaining(roles));
      const run = await runAll(cases, target, { jobs: 1, runId: `${t.target}-test`, timeoutMs: t.timeoutMs ?? 10_000 });
      console.log(run.cases.map((r) => `${t.target} ${r.id}: ${r.verdict}${r.expectedFailure ? ' (expected failure)' : ''}${r.reason ? ` (${r.reason})` : ''}`).join('\n'));
      expect(new Set(cases.map((c) => c.scenario.target))).toEqual(new Set(roles));
      for (const r of run.cases) {
        const want = t.cases[r.id];
        expect(`${r.id}: ${r.verdict}${r.expectedFailure ? ' (expected failure)' : ''}`, r.reason).toBe(`${r.id}: ${want === 'pass' ? 'pass' : 'fail (expected failure)'}`);
      }
    }, 90_000);
  });
}
