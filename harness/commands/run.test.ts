import { describe, expect, it } from 'vitest';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync, existsSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const bin = fileURLToPath(new URL('../../bin/tls-harness.js', import.meta.url));
const examples = fileURLToPath(new URL('../../scenarios/examples/', import.meta.url));

function cli(args: string[], cwd?: string) {
  const r = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', timeout: 120_000, cwd });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const SLOW = (id: string) => `id: ${id}
title: A case that takes a while
rfc: { doc: 8446, section: "4.1.2", level: must, sentences: [rfc8446-4.1.2-16], quote: "Servers MUST ignore unrecognized extensions." }
target: server
versions: [tls13]
matrix: { n: [1, 2, 3, 4, 5, 6] }
steps:
  - send: ClientHello
  - expect: [ServerHello, EncryptedExtensions, Certificate, CertificateVerify, Finished]
  - wait: 700
  - expect: { silence: "\${n}" }
`.replace('"${n}"', '10');

describe('tls-harness run', () => {
  it('runs scenarios against the embedded reference and writes every report', () => {
    const out = mkdtempSync(join(tmpdir(), 'th-run-'));
    const r = cli(['run', '--scenarios', examples, '--report-dir', out, '--run-id', 'r1']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/4 cases against reference: 4 passed/);
    for (const f of ['report.json', 'junit.xml', 'summary.md', 'run.log']) expect(existsSync(join(out, 'r1', f))).toBe(true);
    const report = JSON.parse(readFileSync(join(out, 'r1', 'report.json'), 'utf8'));
    expect(report.summary).toMatchObject({ total: 4, passed: 4, failed: 0 });
    expect(report.cases[0].transcript.length).toBeGreaterThan(3);
    // One positive control per configuration: three cipher suites (server target), one client config.
    expect(report.controls).toHaveLength(4);
    expect(report.controls.every((c: { verdict: string }) => c.verdict === 'pass')).toBe(true);
    expect(report.controls.flatMap((c: { cases: string[] }) => c.cases).sort()).toEqual(report.cases.map((c: { id: string }) => c.id).sort());
    expect(r.stdout).toMatch(/\ncontrols: 4 of 4 unmutated handshakes completed\n/);
    expect(readFileSync(join(out, 'r1', 'summary.md'), 'utf8')).toContain('**Positive controls**: 4 of 4 passed.');
  });

  it('--no-controls runs none and reports none', () => {
    const out = mkdtempSync(join(tmpdir(), 'th-run-'));
    const r = cli(['run', '--scenarios', examples, '--report-dir', out, '--run-id', 'r2', '--no-controls', '--grep', 'client']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).not.toMatch(/controls:/);
    const report = JSON.parse(readFileSync(join(out, 'r2', 'report.json'), 'utf8'));
    expect(report.controls).toBeUndefined();
    expect(report.cases[0].transcript.some((e: { kind: string }) => e.kind === 'control')).toBe(false);
  });

  it('an unknown live-state reference is a usage error with file:line:col', () => {
    const out = mkdtempSync(join(tmpdir(), 'th-run-'));
    writeFileSync(
      join(out, 'live.yaml'),
      `id: live-typo
title: A typo in a live-state reference
rfc: { doc: 8446, section: "4.1.2", quote: "q" }
target: server
versions: [tls13]
steps:
  - send: ClientHello
  - expect: { message: ServerHello, where: { cipher_suite: "\${negotiated.suite}" } }
`,
    );
    const r = cli(['run', '--scenarios', out, '--report-dir', out]);
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toBe(`tls-harness: ${join(out, 'live.yaml')}:8:60: unknown live reference '\${negotiated.suite}': negotiated has group, cipher_suite, version, signature_scheme`);
  });

  it('usage errors are one line and exit code 2', () => {
    for (const [args, msg] of [
      [['run', '--jobs', '0'], /--jobs: expected a positive integer/],
      [['run', '--shard', '3/2'], /--shard: expected I\/N/],
      [['run', '--target', 'opensssl', '--scenarios', examples], /unknown target 'opensssl' \(did you mean 'openssl'\?\)/],
      [['run', '--scenarios', '/nonexistent/x.yaml'], /no such file/],
      [['run', '--scenarios', examples, '--grep', 'nothing-matches-this'], /no case matches/],
      [['run', '--baseline', '/nonexistent.json'], /no such file/],
    ] as const) {
      const r = cli([...args]);
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(msg);
    }
  });

  it('a field that does not exist in a set is a usage error with file:line:col, before anything runs', () => {
    const out = mkdtempSync(join(tmpdir(), 'th-run-'));
    writeFileSync(
      join(out, 't.yaml'),
      `id: typo-field
title: A typo in a set path
rfc: { doc: 8446, section: "4.1.2", level: must, sentences: [rfc8446-4.1.2-16], quote: "Servers MUST ignore unrecognized extensions." }
target: server
versions: [tls13]
steps:
  - send: ClientHello
    set: { cipher_suitez: [TLS_AES_128_GCM_SHA256] }
  - expect: ServerHello
`,
    );
    for (const cmd of [['run', '--scenarios', out, '--report-dir', out], ['validate', out]]) {
      const r = cli(cmd);
      expect(r.code).toBe(2);
      const text = r.stdout + r.stderr;
      expect(text).toMatch(/t\.yaml:7:5: send ClientHello: set 'cipher_suitez': no field 'cipher_suitez' \(did you mean 'cipher_suites'\?\)/);
    }
  });

  it('a regression against --baseline fails the run', () => {
    const out = mkdtempSync(join(tmpdir(), 'th-run-'));
    const dir = join(out, 'sc');
    mkdirSync(dir);
    // A scenario that fails against the reference: it expects an alert after a valid Finished.
    writeFileSync(
      join(dir, 'x.yaml'),
      `id: t-regress
title: fails on purpose
rfc: { doc: 8446, section: "4.4.4", level: must, sentences: [rfc8446-4.4.4-1], quote: "Recipients of Finished messages MUST verify that the contents are correct" }
target: server
versions: [tls13]
steps:
  - send: ClientHello
  - expect: [ServerHello, EncryptedExtensions, Certificate, CertificateVerify, Finished]
  - send: Finished
  - expect: { alert: decrypt_error, lenient: false }
`,
    );
    const first = cli(['run', '--scenarios', dir, '--report-dir', out, '--run-id', 'a', '--timeout', '3000']);
    expect(first.code).toBe(1);
    const report = JSON.parse(readFileSync(join(out, 'a', 'report.json'), 'utf8'));
    report.cases[0].verdict = 'pass';
    writeFileSync(join(out, 'baseline.json'), JSON.stringify(report));
    const second = cli(['run', '--scenarios', dir, '--report-dir', out, '--run-id', 'b', '--timeout', '3000', '--baseline', join(out, 'baseline.json')]);
    expect(second.code).toBe(1);
    expect(second.stdout).toMatch(/REGRESSION t-regress: pass -> fail/);
  });

  it('Ctrl-C stops the run and still writes the report of the finished cases', async () => {
    const out = mkdtempSync(join(tmpdir(), 'th-run-'));
    const dir = join(out, 'sc');
    mkdirSync(dir);
    writeFileSync(join(dir, 'slow.yaml'), SLOW('t-slow'));
    const child = spawn(process.execPath, [bin, 'run', '--scenarios', dir, '--report-dir', out, '--run-id', 'int', '--jobs', '1'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    child.stdout.on('data', (d) => (stdout += d));
    await new Promise<void>((resolve) => {
      const check = setInterval(() => {
        if (/PASS/.test(stdout)) {
          clearInterval(check);
          resolve();
        }
      }, 50);
    });
    child.kill('SIGINT');
    const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
    expect(code).toBe(130);
    const report = JSON.parse(readFileSync(join(out, 'int', 'report.json'), 'utf8'));
    expect(report.interrupted).toBe(true);
    expect(report.cases.length).toBeGreaterThanOrEqual(1);
    expect(report.cases.length).toBeLessThan(6);
    expect(report.cases.filter((c: { verdict: string }) => c.verdict === 'pass').length).toBeGreaterThanOrEqual(1);
  });
});
