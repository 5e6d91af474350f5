/** `merge --baseline B --fail-on regressions`: a target's known failures (in the baseline too) do not fail the merge. */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../cli.ts';
import { serializeReport, toReportJson } from '../report/json.ts';
import { makeCase, makeRun } from '../report/testing.ts';

let dir: string;
let out: string;
let err: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'merge-fail-on-'));
  out = '';
  err = '';
  vi.spyOn(process.stdout, 'write').mockImplementation((s) => ((out += String(s)), true));
  vi.spyOn(process.stderr, 'write').mockImplementation((s) => ((err += String(s)), true));
});
afterEach(() => vi.restoreAllMocks());

function report(name: string, cases: ReturnType<typeof makeCase>[], extra = {}): string {
  const p = join(dir, `${name}.json`);
  writeFileSync(p, serializeReport(toReportJson(makeRun(cases, { runId: name, ...extra }))));
  return p;
}

describe('merge --fail-on regressions', () => {
  const base = () => report('base', [makeCase('a', 'pass'), makeCase('b', 'fail'), makeCase('c', 'error'), makeCase('d', 'pass')]);

  it('failures the baseline has too: exit 0 (the default, unexpected, still exits 1)', async () => {
    const s1 = report('s1', [makeCase('a', 'pass'), makeCase('b', 'fail')]);
    const s2 = report('s2', [makeCase('c', 'error'), makeCase('d', 'pass')]);
    expect(await main(['merge', join(dir, 'o1'), s1, s2, '--baseline', base()])).toBe(1);
    expect(await main(['merge', join(dir, 'o2'), s1, s2, '--baseline', base(), '--fail-on', 'regressions'])).toBe(0);
    expect(out).toContain('--fail-on regressions: every unexpected result is in the baseline too\n');
    // the step summary says why a FAILED summary passes
    const summary = join(dir, 'step.md');
    const saved = process.env.GITHUB_STEP_SUMMARY;
    process.env.GITHUB_STEP_SUMMARY = summary;
    try {
      expect(await main(['merge', join(dir, 'o4'), s1, s2, '--baseline', base(), '--fail-on', 'regressions'])).toBe(0);
    } finally {
      if (saved === undefined) delete process.env.GITHUB_STEP_SUMMARY;
      else process.env.GITHUB_STEP_SUMMARY = saved;
    }
    const md = readFileSync(summary, 'utf8');
    expect(md).toMatch(/^## tls-harness: openssl-3\.0: FAILED\n/);
    expect(md).toContain('\nWith `--fail-on regressions` the merge passes: every unexpected result above is in the baseline too.\n');
    expect(await main(['merge', join(dir, 'o3'), s1, s2, '--baseline', base(), '--fail-on', 'unexpected'])).toBe(1);
  });

  it('a regression, or a failing case the baseline lacks: exit 1', async () => {
    const regressed = report('r', [makeCase('a', 'pass'), makeCase('b', 'fail'), makeCase('c', 'error'), makeCase('d', 'fail')]);
    expect(await main(['merge', join(dir, 'o1'), regressed, '--baseline', base(), '--fail-on', 'regressions'])).toBe(1);
    expect(out).toContain('  regression: d: pass -> fail\n');
    const added = report('n', [makeCase('a', 'pass'), makeCase('b', 'fail'), makeCase('c', 'error'), makeCase('d', 'pass'), makeCase('e', 'error'), makeCase('f', 'pass')]);
    expect(await main(['merge', join(dir, 'o2'), added, '--baseline', base(), '--fail-on', 'regressions'])).toBe(1);
    expect(out).toContain('  new error: e (not in the baseline)\n');
    expect(out).not.toContain('new pass: f');
  });

  it('an interrupted shard: exit 1', async () => {
    const s = report('i', [makeCase('a', 'pass'), makeCase('b', 'fail'), makeCase('c', 'error'), makeCase('d', 'pass')], { interrupted: true });
    expect(await main(['merge', join(dir, 'o'), s, '--baseline', base(), '--fail-on', 'regressions'])).toBe(1);
  });

  it('usage errors: an unknown value, regressions without a baseline', async () => {
    const s = report('s', [makeCase('a', 'pass')]);
    expect(await main(['merge', join(dir, 'o'), s, '--fail-on', 'everything'])).toBe(2);
    expect(await main(['merge', join(dir, 'o'), s, '--fail-on', 'regressions'])).toBe(2);
    expect(err.trim().split('\n')).toEqual([
      "tls-harness: merge: --fail-on: expected 'unexpected' or 'regressions', got 'everything'",
      'tls-harness: merge: --fail-on regressions needs --baseline REPORT.json (what the regressions are against)',
    ]);
  });
});
