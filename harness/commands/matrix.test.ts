import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../cli.ts';
import { findBinary } from '../targets/processes.ts';
import type { MatrixJson } from '../report/matrix.ts';

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
  }, 60_000);

  it('exits 1 when a run has an unexpected result (--strict makes openssl\'s lenient ALPN alert a failure)', async () => {
    expect(await main(['matrix', '--targets', 'openssl', '--grep', 'tls12-client-ext-alpn-not-offered', '--strict', '--report-dir', dir, '--run-id', 'm'])).toBe(1);
    const m = JSON.parse(readFileSync(join(dir, 'm', 'matrix.json'), 'utf8')) as MatrixJson;
    expect(m.targets[0]).toMatchObject({ name: 'openssl', ok: false, exitCode: 1 });
    expect(readFileSync(join(dir, 'm', 'matrix.md'), 'utf8')).toMatch(/\| openssl \| 0 \| 0 \| 0 \| 1 \(0\) \| 0 \| 0 \| NO \|/);
  }, 60_000);
});
