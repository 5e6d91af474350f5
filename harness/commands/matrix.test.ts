import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../cli.ts';
import { findBinary } from '../targets/processes.ts';
import { buildMatrix, type MatrixJson } from '../report/matrix.ts';
import { toReportJson } from '../report/json.ts';
import { makeCase, makeRun } from '../report/testing.ts';

const OPENSSL = findBinary('openssl');
if (!OPENSSL) console.log('matrix runs against openssl skipped: the openssl binary is not installed (not found on PATH)');

let dir: string;
let out: string;
let err: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'matrix-'));
  out = '';
  err = '';
  vi.spyOn(process.stdout, 'write').mockImplementation((s) => ((out += String(s)), true));
  vi.spyOn(process.stderr, 'write').mockImplementation((s) => ((err += String(s)), true));
});
afterEach(() => vi.restoreAllMocks());

describe('tls-harness matrix: user mistakes', () => {
  it.each([
    [['--targets', 'opensssl'], /^tls-harness: matrix: unknown target 'opensssl'; known targets: .*openssl/],
    [['--targets', ','], /^tls-harness: matrix: --targets: expected target names/],
    [['--parallel', '0'], /^tls-harness: matrix: --parallel: expected a positive integer from 1 to 16, got '0'/],
    [['--crypto', 'openssl'], /^tls-harness: matrix: unknown --crypto 'openssl'/],
    [['--grep', '('], /^tls-harness: matrix: --grep: /],
    [['--run-id', 'a/b'], /^tls-harness: matrix: --run-id: /],
  ])('%j: one line, exit code 2, nothing run', async (args, line) => {
    expect(await main(['matrix', ...args, '--report-dir', dir])).toBe(2);
    expect(err.trim().split('\n')).toHaveLength(1);
    expect(err).toMatch(line);
    expect(out).toBe('');
  });
});

describe('tls-harness matrix --update-readme', () => {
  const matrixFile = () => {
    const m = buildMatrix('m9', '2026-12-06T00:00:00Z', '2026-12-06T00:01:00Z', [{ target: 't', reportDir: 't', exitCode: 0, report: toReportJson(makeRun([makeCase('x', 'pass')], { runId: 't', target: 't' })) }]);
    const f = join(dir, 'matrix.json');
    writeFileSync(f, JSON.stringify(m));
    return f;
  };

  it('--from a matrix.json rewrites only the marked section', async () => {
    const readme = join(dir, 'R.md');
    writeFileSync(readme, '# R\n\n<!-- matrix:start -->\nold\n<!-- matrix:end -->\nafter\n');
    expect(await main(['matrix', '--from', matrixFile(), '--update-readme', readme])).toBe(0);
    const text = readFileSync(readme, 'utf8');
    expect(text).toContain('| t | 1 | 0 | 0 | 0 (0) | 0 | 0 |');
    expect(text).toMatch(/^# R\n\n<!-- matrix:start -->/);
    expect(text.endsWith('<!-- matrix:end -->\nafter\n')).toBe(true);
  });

  it.each([
    ['no markers', (f: string) => (writeFileSync(join(dir, 'R.md'), '# R\n'), ['--from', f, '--update-readme', join(dir, 'R.md')]), /no '<!-- matrix:start -->' \.\.\. '<!-- matrix:end -->' section to replace/],
    ['no readme', (f: string) => ['--from', f, '--update-readme', join(dir, 'nope.md')], /--update-readme .*nope\.md: no such file/],
    ['--from without --update-readme', (f: string) => ['--from', f], /--from needs --update-readme/],
    ['not a matrix', () => (writeFileSync(join(dir, 'x.json'), '{"a":1}'), writeFileSync(join(dir, 'R.md'), '<!-- matrix:start -->\n<!-- matrix:end -->\n'), ['--from', join(dir, 'x.json'), '--update-readme', join(dir, 'R.md')]), /not a tls-harness matrix\.json/],
  ])('%s: one line, exit code 2', async (_, args, line) => {
    expect(await main(['matrix', ...args(matrixFile())])).toBe(2);
    expect(err.trim().split('\n')).toHaveLength(1);
    expect(err).toMatch(line);
  });
});

describe.skipIf(!OPENSSL)('tls-harness matrix: runs', () => {
  const grep = 'tls13-server-client-hello-compression-methods|tls12-client-ext-alpn-not-offered';

  it('runs each target in its own run, writes matrix.json and matrix.md, and exits 0 when every run is as expected', async () => {
    expect(await main(['matrix', '--targets', 'reference,openssl', '--grep', grep, '--report-dir', dir, '--run-id', 'm'])).toBe(0);
    const m = JSON.parse(readFileSync(join(dir, 'm', 'matrix.json'), 'utf8')) as MatrixJson;
    expect(m.targets.map((t) => [t.name, t.ok])).toEqual([['reference', true], ['openssl', true]]);
    for (const t of ['reference', 'openssl']) expect(existsSync(join(dir, 'm', t, 'report.json'))).toBe(true);
    // openssl's decode_error for [method=1] is an expected failure with an RFC citation: a deviation, only openssl's.
    const d = m.deviations.find((x) => x.id === 'tls13-server-client-hello-compression-methods[method=1]')!;
    expect(d.shared).toBe(false);
    expect(d.targets).toEqual([expect.objectContaining({ target: 'openssl', verdict: 'fail', observed: 'alert decode_error', expectedFailure: expect.stringMatching(/RFC 8446 4\.1\.2/) })]);
    expect(m.cases.find((c) => c.id === 'tls12-client-ext-alpn-not-offered')!.verdicts).toEqual({ reference: 'pass', openssl: 'lenient' });
    expect(readFileSync(join(dir, 'm', 'matrix.md'), 'utf8')).toContain('### tls13-server-client-hello-compression-methods[method=1] (only openssl)');
    expect(out).toMatch(/every run as expected/);
    // report.html: the matrix as a page (its data is matrix.json), beside each target's own report.html.
    const html = readFileSync(join(dir, 'm', 'report.html'), 'utf8');
    const start = html.indexOf('id="matrix-data">') + 'id="matrix-data">'.length;
    expect(JSON.parse(html.slice(start, html.indexOf('</script>', start)))).toEqual(m);
    for (const t of ['reference', 'openssl']) expect(existsSync(join(dir, 'm', t, 'report.html'))).toBe(true);
  }, 60_000);

  it('exits 1 when a run has an unexpected result (--strict makes openssl\'s lenient ALPN alert a failure)', async () => {
    expect(await main(['matrix', '--targets', 'openssl', '--grep', 'tls12-client-ext-alpn-not-offered', '--strict', '--report-dir', dir, '--run-id', 'm'])).toBe(1);
    const m = JSON.parse(readFileSync(join(dir, 'm', 'matrix.json'), 'utf8')) as MatrixJson;
    expect(m.targets[0]).toMatchObject({ name: 'openssl', ok: false, exitCode: 1 });
    expect(readFileSync(join(dir, 'm', 'matrix.md'), 'utf8')).toMatch(/\| openssl \| 0 \| 0 \| 0 \| 1 \(0\) \| 0 \| 0 \| NO \|/);
  }, 60_000);
});
