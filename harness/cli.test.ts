import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { closest } from './cli.ts';

const bin = fileURLToPath(new URL('../bin/tls-harness.js', import.meta.url));

function cli(...args: string[]) {
  const r = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('tls-harness CLI', () => {
  it('prints help with every command and exits 0', () => {
    const r = cli('--help');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/Usage: tls-harness <command>/);
    expect(r.stdout).toMatch(/\bkat\b/);
  });

  it('an unknown command is one line, with a suggestion, and exit code 2', () => {
    const r = cli('kta');
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/unknown command 'kta' \(did you mean 'kat'\?\)/);
  });

  it('an unknown flag is one line, with a suggestion, and exit code 2', () => {
    const r = cli('kat', '--jsno');
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/--jsno/);
    expect(r.stderr).toMatch(/did you mean '--json'/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it('kat --filter that matches nothing is a usage error', () => {
    const r = cli('kat', '--filter', 'no-such-vector-file');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/no vector file matches/);
  });

  it('kat --json prints one JSON object with per-file counts and exits 0', () => {
    const r = cli('kat', '--json', '--filter', 'rfc5869');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout);
    expect(report.ok).toBe(true);
    expect(report.files).toHaveLength(1);
    expect(report.files[0]).toMatchObject({ name: 'rfc5869.json', total: 7, passed: 7, failed: 0, skipped: 0 });
  });

  it('kat --provider all runs the files against each provider and reports per provider', () => {
    const r = cli('kat', '--json', '--provider', 'all', '--filter', 'rfc7748');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.ok).toBe(true);
    expect(out.reports.map((x: { provider: string }) => x.provider)).toEqual(['noble', 'node']);
    for (const rep of out.reports) expect(rep.summary).toMatchObject({ files: 1, failed: 0 });
    expect(out.reports[1].summary.passed).toBe(out.reports[0].summary.passed);
    expect(out.reports[1].summary.passed).toBeGreaterThan(0);
  });

  it('kat --provider node names its provider; an unknown provider is one line and exit code 2', () => {
    const r = cli('kat', '--json', '--provider', 'node', '--filter', 'rfc5869');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ ok: true, provider: 'node' });
    const bad = cli('kat', '--provider', 'openssl');
    expect(bad.code).toBe(2);
    expect(bad.stderr.trim().split('\n')).toHaveLength(1);
    expect(bad.stderr).toMatch(/unknown --provider 'openssl'/);
  });
});

describe('closest', () => {
  it('suggests near words only', () => {
    expect(closest('rn', ['run', 'kat'])).toBe('run');
    expect(closest('zzzzzz', ['run', 'kat'])).toBeUndefined();
  });
});
