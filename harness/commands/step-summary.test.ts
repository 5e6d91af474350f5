/**
 * $GITHUB_STEP_SUMMARY: `run` (at the end, and on Ctrl-C with what finished), `merge` and `matrix` append their
 * Markdown summary to the file it names; a file that cannot be written is one warning line, not a crash.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { main } from '../cli.ts';
import { serializeReport, toReportJson } from '../report/json.ts';
import { makeCase, makeRun } from '../report/testing.ts';
import { STEP_SUMMARY_ENV } from '../report/step-summary.ts';
import { SLOW_SCENARIO, interruptAfterFirstPass } from './cli-testing.ts';

const bin = fileURLToPath(new URL('../../bin/tls-harness.js', import.meta.url));
const examples = fileURLToPath(new URL('../../scenarios/examples/', import.meta.url));

let dir: string;
let summary: string;
const saved = process.env[STEP_SUMMARY_ENV];
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'th-step-summary-'));
  summary = join(dir, 'step_summary.md');
  process.env[STEP_SUMMARY_ENV] = summary;
});
afterEach(() => {
  if (saved === undefined) delete process.env[STEP_SUMMARY_ENV];
  else process.env[STEP_SUMMARY_ENV] = saved;
  vi.restoreAllMocks();
});

function cli(args: string[]) {
  const r = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', timeout: 120_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function capture() {
  const io = { out: '', err: '' };
  vi.spyOn(process.stdout, 'write').mockImplementation((s) => ((io.out += String(s)), true));
  vi.spyOn(process.stderr, 'write').mockImplementation((s) => ((io.err += String(s)), true));
  return io;
}

function shard(name: string, cases: ReturnType<typeof makeCase>[]): string {
  const p = join(dir, `${name}.json`);
  writeFileSync(p, serializeReport(toReportJson(makeRun(cases, { runId: name }))));
  return p;
}

describe('$GITHUB_STEP_SUMMARY', () => {
  it('run appends summary.md (and the baseline comparison) at the end', () => {
    const r = cli(['run', '--scenarios', examples, '--report-dir', dir, '--run-id', 'r1']);
    expect(r.code).toBe(0);
    const first = readFileSync(summary, 'utf8');
    expect(first).toBe(readFileSync(join(dir, 'r1', 'summary.md'), 'utf8'));
    expect(first).toMatch(/^## tls-harness: reference: PASSED\n/);
    const again = cli(['run', '--scenarios', examples, '--report-dir', dir, '--run-id', 'r2', '--baseline', join(dir, 'r1', 'report.json')]);
    expect(again.code).toBe(0);
    const both = readFileSync(summary, 'utf8');
    expect(both.startsWith(first + '\n## tls-harness: reference: PASSED\n')).toBe(true);
    expect(both).toContain(`\n### Baseline: 0 regressions, 0 fixed, 0 new, 0 missing against the baseline\n\nCompared with \`${join(dir, 'r1', 'report.json')}\`: no regression.\n`);
  });

  it('run: a step summary that cannot be written is one warning line; the run and its exit code are unchanged', () => {
    process.env[STEP_SUMMARY_ENV] = join(dir, 'missing', 'step_summary.md');
    const r = cli(['run', '--scenarios', examples, '--report-dir', dir, '--run-id', 'r1']);
    expect(r.code).toBe(0);
    const warnings = r.stderr.split('\n').filter((l) => l.includes(STEP_SUMMARY_ENV));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/^tls-harness: warning: cannot append the summary to \$GITHUB_STEP_SUMMARY \(.*missing.*\): ENOENT/);
    expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
  });

  it('run on Ctrl-C appends the summary of the cases that finished', async () => {
    const sc = join(dir, 'sc');
    mkdirSync(sc);
    writeFileSync(join(sc, 'slow.yaml'), SLOW_SCENARIO('t-slow'));
    const { code } = await interruptAfterFirstPass(['run', '--target', 'node', '--scenarios', sc, '--report-dir', dir, '--run-id', 'int', '--jobs', '1']);
    expect(code).toBe(130);
    const md = readFileSync(summary, 'utf8');
    expect(md).toMatch(/^## tls-harness: node: INTERRUPTED\n/);
    expect(md).toContain('**Interrupted**: only the cases that finished are reported.');
  });

  it('merge appends the merged summary and the baseline comparison, with the regressions', async () => {
    const io = capture();
    const a = shard('s1', [makeCase('tls13-a', 'pass'), makeCase('tls13-b', 'fail')]);
    const b = shard('s2', [makeCase('tls13-c', 'pass')]);
    const base = shard('base', [makeCase('tls13-a', 'pass'), makeCase('tls13-b', 'pass'), makeCase('tls13-c', 'pass')]);
    expect(await main(['merge', join(dir, 'merged'), a, b, '--baseline', base])).toBe(1);
    const md = readFileSync(summary, 'utf8');
    expect(md.startsWith(readFileSync(join(dir, 'merged', 'summary.md'), 'utf8') + '\n### Baseline: 1 regression, 0 fixed, 0 new, 0 missing against the baseline\n')).toBe(true);
    expect(md).toContain('merged from 2 shards');
    expect(md).toContain(`Compared with \`${base}\`: **the run regressed** (it fails).\n\n- regression: \`tls13-b\`: pass -> fail\n`);
    expect(io.err).toBe('');
  });

  it('merge: a step summary that cannot be written is one warning line, the exit code is unchanged', async () => {
    const io = capture();
    process.env[STEP_SUMMARY_ENV] = dir; // a directory
    const a = shard('s1', [makeCase('tls13-a', 'pass')]);
    expect(await main(['merge', join(dir, 'merged'), a])).toBe(0);
    expect(io.err.trim().split('\n')).toHaveLength(1);
    expect(io.err).toMatch(/^tls-harness: warning: cannot append the summary to \$GITHUB_STEP_SUMMARY \(.*\): EISDIR/);
  });

  it('matrix appends matrix.md once (its runs do not append their own)', async () => {
    capture();
    expect(await main(['matrix', '--targets', 'reference', '--grep', 'tls13-finished-bad-verify-data', '--report-dir', dir, '--run-id', 'm'])).toBe(0);
    const md = readFileSync(summary, 'utf8');
    expect(md).toBe(readFileSync(join(dir, 'm', 'matrix.md'), 'utf8'));
    expect(md).toMatch(/^# Implementation matrix m\n/);
    expect(md).not.toContain('## tls-harness:');
  }, 60_000);
});
