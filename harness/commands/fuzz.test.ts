/** `tls-harness fuzz` (issue 15, first version): the reference against itself finds nothing; usage errors are one line. */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const bin = fileURLToPath(new URL('../../bin/tls-harness.js', import.meta.url));
const cli = (...args: string[]) => spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', timeout: 120_000 });

describe('tls-harness fuzz', () => {
  it('against the embedded reference: no finding, an empty findings folder, exit 0', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tls-harness-fuzz-'));
    const r = cli('fuzz', '--target', 'reference', '--runs', '30', '--findings', '2', '--seed', '3', '--report-dir', dir, '--run-id', 'f');
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/^tls-harness fuzz: reference, seed 3, 30 ClientHellos per round/);
    expect(r.stdout).toMatch(/^fuzz f: 30 conversations in [\d.]+ s \(\d+\/s\), 0 findings, 0 written to /m);
    expect(existsSync(join(dir, 'f', 'findings'))).toBe(true);
    expect(readdirSync(join(dir, 'f', 'findings'))).toEqual([]);
  }, 120_000);

  it('usage errors: one line, exit 2', () => {
    const r = cli('fuzz');
    expect(r.stderr).toBe('tls-harness: fuzz: --target is required (a server target: tls-harness targets lists them)\n');
    expect(r.status).toBe(2);
    const n = cli('fuzz', '--target', 'reference', '--runs', '0');
    expect(n.stderr).toBe("tls-harness: fuzz: --runs: expected a positive integer from 1 to 1000000, got '0'\n");
    expect(n.status).toBe(2);
  });
});
