/**
 * The shipped boringssl target (implementations/targets/boringssl.yaml: `bssl-tool server` / `bssl-tool client`)
 * on a few cases of each role, with their verdicts as the config expects them: a negative case that passes in
 * each role, one of its expected failures, and the client-role case whose alert used to be lost behind the
 * client's TCP reset (wire.ts). Skipped, with the reason printed, when bssl-tool is not installed.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import { expandAll, loadScenarios } from '../scenario/loader.ts';
import { runAll } from '../engine/run-all.ts';
import { resolveTarget } from './config.ts';
import { findBinary, liveProcessCount } from './processes.ts';
import type { Target } from './types.ts';

const BSSL = findBinary('bssl-tool');
if (!BSSL) console.log('boringssl target tests skipped: bssl-tool is not installed (not found on PATH; Debian package android-boringssl)');

// case id -> the verdict the boringssl config expects (an expected failure is a `fail` carrying its reason).
const EXPECT: Record<string, { verdict: string; expectedFailure?: boolean }> = {
  // server role
  'tls13-finished-bad-verify-data[cipher_suite=TLS_AES_128_GCM_SHA256]': { verdict: 'pass' },
  'tls13-server-unexpected-change-cipher-spec-value': { verdict: 'fail', expectedFailure: true },
  // client role
  'tls13-client-rejects-hrr-same-group': { verdict: 'pass' },
  // Not here: cases where bssl-tool client aborts and exits with the harness's records unread (a reset). Their
  // alert is read almost always (harness/engine/wire.ts, pollInput; wire.test.ts) but not every time under
  // load, and a test must not depend on that race.
};
const FILES = [
  'scenarios/examples/tls13-finished-bad-verify-data.yaml',
  'scenarios/server/tls13/rfc8446/unexpected-change-cipher-spec-value.yaml',
  'scenarios/examples/tls13-client-rejects-hrr-same-group.yaml',
].filter((f) => existsSync(f));
const cases = FILES.length ? expandAll(loadScenarios(FILES).scenarios).filter((c) => c.id in EXPECT) : [];
if (BSSL && cases.length < Object.keys(EXPECT).length) console.log(`boringssl target tests: only ${cases.length} of the ${Object.keys(EXPECT).length} cases found in the scenarios`);

describe.skipIf(!BSSL || cases.length === 0)('the boringssl target (bssl-tool), both roles', () => {
  let target: Target | undefined;
  afterAll(async () => {
    await target?.stop();
    expect(liveProcessCount()).toBe(0);
  });

  it('reaches the verdicts its config expects', async () => {
    target = resolveTarget('boringssl');
    expect(target.capabilities.roles).toEqual(expect.arrayContaining(['server', 'client']));
    await target.start(new AbortController().signal);
    const run = await runAll(cases, target, { jobs: 1, runId: 'boringssl-test', timeoutMs: 10_000 });
    const lines = run.cases.map((r) => `boringssl ${r.id}: ${r.verdict}${r.expectedFailure ? ' (expected failure)' : ''}${r.reason ? ` (${r.reason})` : ''}`);
    console.log(lines.join('\n'));
    expect(new Set(run.cases.map((r) => (r.id.startsWith('tls13-client') || r.id.startsWith('tls12-client') ? 'client' : 'server')))).toEqual(new Set(['server', 'client']));
    for (const r of run.cases) {
      const want = EXPECT[r.id];
      expect(r.verdict, `${r.id}: ${r.reason ?? ''}`).toBe(want.verdict);
      expect(r.expectedFailure !== undefined, `${r.id}: expected failure`).toBe(want.expectedFailure === true);
    }
  }, 60_000);
});
