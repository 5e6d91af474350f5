import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { formatDiagnostic, loadScenarios } from '../scenario/loader.ts';
import { summaryLine } from './validate.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));
const bin = join(root, 'bin/tls-harness.js');

function cli(...args: string[]) {
  const r = spawnSync(process.execPath, [bin, ...args], { cwd: root, encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('tls-harness validate', () => {
  it('the example scenarios are valid: summary line, exit 0', () => {
    const r = cli('validate', 'scenarios/examples');
    expect(r.stderr).toBe('');
    // Warnings only (RFC traceability ones while the examples lack rfc.level and rfc.sentences), no error.
    const out = r.stdout.trimEnd().split('\n');
    expect(out.pop()).toMatch(/^2 files, 2 scenarios, 4 cases: ok(, \d+ warnings?)?$/);
    for (const l of out) expect(l).toMatch(/^scenarios\/examples\/[^:]+:\d+:\d+: warning: /);
    expect(r.code).toBe(0);
  });

  it('defaults to scenarios/', () => {
    const r = cli('validate');
    expect(r.stdout).toMatch(/^\d+ files?, \d+ scenarios?, \d+ cases?: ok/m);
    expect(r.code).toBe(0);
  });

  it('broken files: one file:line:col line per diagnostic, then the summary; exit 2, no stack trace', () => {
    const dir = 'harness/scenario/fixtures/broken';
    const r = cli('validate', dir);
    const expected = loadScenarios([dir], { traceability: true });
    expect(r.stdout.trimEnd().split('\n')).toEqual([...expected.diagnostics.map(formatDiagnostic), summaryLine(expected)]);
    expect(r.stdout).toContain(`${dir}/unknown-keys.yaml:8:5: unknown step key 'sned' (did you mean 'send'?)\n`);
    expect(r.stdout).toContain(`${dir}/lint.yaml:3:38: warning: empty RFC quote`);
    expect(r.stdout).toMatch(/^13 files, 2 scenarios, 2 cases: \d+ errors, \d+ warnings\n$/m);
    expect(r.stdout + r.stderr).not.toMatch(/\n\s+at /);
    expect(r.code).toBe(2);
  });

  it('warnings alone exit 0; --strict makes them fail; a missing path is an error', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tls-harness-validate-'));
    const f = join(dir, 'w.yaml');
    const rfc = '{ doc: 8446, section: 4.4.4, quote: "Recipients of Finished messages MUST verify ...", level: must, sentences: [rfc8446-4.4.4-1] }';
    writeFileSync(f, `id: w\ntitle: TLS 1.2 only\nrfc: ${rfc}\ntarget: server\nversions: [tls13]\nsteps: [close_notify]\n`);
    const warn = `${f}:2:8: warning: the title says 'TLS 1.2' but versions does not list tls12 (versions: tls13)`;
    const a = cli('validate', f);
    expect(a.stdout).toBe(`${warn}\n1 file, 1 scenario, 1 case: ok, 1 warning\n`);
    expect(a.code).toBe(0);
    const b = cli('validate', '--strict', f);
    expect(b.code).toBe(2);
    const c = cli('validate', join(dir, 'nope.yaml'));
    expect(c.stdout).toBe(`${join(dir, 'nope.yaml')}: no such file or directory\n0 files, 0 scenarios, 0 cases: 1 error\n`);
    expect(c.code).toBe(2);
  });
});
