import { describe, expect, it } from 'vitest';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync, existsSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import type { ScenarioCase } from '../scenario/model.ts';
import { shardCases } from './run.ts';
import { compressionOracle } from '../engine/testing.ts';
import { SLOW_SCENARIO, interruptAfterFirstPass } from './cli-testing.ts';

const bin = fileURLToPath(new URL('../../bin/tls-harness.js', import.meta.url));
const examples = fileURLToPath(new URL('../../scenarios/examples/', import.meta.url));

function cli(args: string[], cwd?: string) {
  const r = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', timeout: 120_000, cwd });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const SLOW = SLOW_SCENARIO;

/** Two refusals that must be alike: compression method 1 or 64 (RFC 8446 4.1.2). */
const INDIST = (indist: string) => `id: indist-compression
title: Compression methods other than null are refused alike
rfc: { doc: 8446, section: 4.1.2, level: must, sentences: [rfc8446-4.1.2-14], quote: "If a TLS 1.3 ClientHello is received with any other value in this field, the server MUST abort the handshake with an \\"illegal_parameter\\" alert." }
target: server
versions: [tls13]
matrix: { method: [1, 64] }
indistinguishable: ${indist}
steps:
  - send: ClientHello
    set: { legacy_compression_methods: ["\${method}"] }
  - expect: { alert: illegal_parameter, lenient: false }
`;

describe('tls-harness run', () => {
  it('runs scenarios against the embedded reference and writes every report', () => {
    const out = mkdtempSync(join(tmpdir(), 'th-run-'));
    const r = cli(['run', '--scenarios', examples, '--report-dir', out, '--run-id', 'r1']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/4 cases against reference: 4 passed/);
    for (const f of ['report.json', 'junit.xml', 'summary.md', 'report.html', 'run.log']) expect(existsSync(join(out, 'r1', f))).toBe(true);
    const report = JSON.parse(readFileSync(join(out, 'r1', 'report.json'), 'utf8'));
    expect(report.summary).toMatchObject({ total: 4, passed: 4, failed: 0 });
    // The command line and the capabilities the cases ran with (the HTML report's overview shows them).
    expect(report.command).toEqual(['tls-harness', 'run', '--scenarios', examples, '--report-dir', out, '--run-id', 'r1']);
    expect(report.capabilities.versions).toEqual(['tls13', 'tls12']);
    expect(report.cases[0]).toMatchObject({ targetRole: expect.stringMatching(/^(server|client)$/), tags: expect.any(Array) });
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

  it('indistinguishability groups: compared after the run, in report.json and the output; a bad key is a usage error', () => {
    const out = mkdtempSync(join(tmpdir(), 'th-run-'));
    mkdirSync(join(out, 'bad'));
    writeFileSync(join(out, 'bad', 'g.yaml'), INDIST('[methd]'));
    const bad = cli(['run', '--scenarios', join(out, 'bad'), '--report-dir', out]);
    expect(bad.code).toBe(2);
    expect(bad.stderr.trim()).toBe(`tls-harness: ${join(out, 'bad', 'g.yaml')}:7:21: unknown matrix key 'methd' in indistinguishable (matrix keys: method) (did you mean 'method'?)`);

    mkdirSync(join(out, 'ok'));
    writeFileSync(join(out, 'ok', 'g.yaml'), INDIST('true'));
    const r = cli(['run', '--scenarios', join(out, 'ok'), '--report-dir', out, '--run-id', 'g', '--no-controls']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/2 cases against reference: 2 passed/);
    expect(r.stdout).toMatch(/\ngroups: 1 of 1 indistinguishability groups equal\n/);
    const report = JSON.parse(readFileSync(join(out, 'g', 'report.json'), 'utf8'));
    expect(report.groups).toEqual([
      {
        id: 'indist-compression',
        scenarioId: 'indist-compression',
        cases: ['indist-compression[method=1]', 'indist-compression[method=64]'],
        variants: ['method=1', 'method=64'],
        outcomes: ['alert illegal_parameter (1 record)', 'alert illegal_parameter (1 record)'],
        timesMs: [expect.any(Number), expect.any(Number)],
        equal: true,
        notes: [],
      },
    ]);
    expect(readFileSync(join(out, 'g', 'summary.md'), 'utf8')).toMatch(/Indistinguishability groups/);
  });

  it('a group whose variants differ fails its cases, is listed in the output, and fails the run', async () => {
    const out = mkdtempSync(join(tmpdir(), 'th-run-'));
    mkdirSync(join(out, 'sc'));
    writeFileSync(join(out, 'sc', 'g.yaml'), INDIST('[method]'));
    const oracle = await compressionOracle();
    try {
      const args = ['run', '--scenarios', join(out, 'sc'), '--report-dir', out, '--run-id', 'o', '--no-controls', '--no-probe', '--target', `tcp://127.0.0.1:${oracle.port}`];
      const child = spawn(process.execPath, [bin, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      child.stdout.on('data', (d) => (stdout += d));
      const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
      expect(code).toBe(1);
      // Each case printed its own verdict as it finished (method=64: another alert, lenient: false).
      expect(stdout).toMatch(/^PASS +indist-compression\[method=1\]/m);
      expect(stdout).toMatch(/2 cases against tcp:\/\/127\.0\.0\.1:\d+: 0 passed, 0 lenient, 0 advisory, 2 failed/);
      expect(stdout).toMatch(
        /\ngroups: 0 of 1 indistinguishability groups equal\n  GROUP DIFFERS indist-compression:\n    method=1: alert illegal_parameter \(1 record\), \d+ ms\n    method=64: alert decode_error \(1 record\), \d+ ms\n/,
      );
      const report = JSON.parse(readFileSync(join(out, 'o', 'report.json'), 'utf8'));
      expect(report.cases.map((c: { verdict: string; reason: string }) => [c.verdict, c.reason])).toEqual([
        ['fail', 'indistinguishability group indist-compression: the variants differ'],
        ['fail', expect.stringMatching(/^expected alert illegal_parameter, got alert decode_error/)],
      ]);
      expect(report.groups[0]).toMatchObject({ equal: false, outcomes: ['alert illegal_parameter (1 record)', 'alert decode_error (1 record)'] });
    } finally {
      await oracle.stop();
    }
  });

  it('--shard keeps the cases of a group together', () => {
    const c = (id: string, group?: string) => ({ id, ...(group ? { group } : {}) }) as ScenarioCase;
    const cases = [c('a'), c('g[x=1]', 'g'), c('b'), c('g[x=2]', 'g'), c('h'), c('g[x=3]', 'g')];
    const ids = (i: number) => shardCases(cases, { index: i, count: 2 }).map((x) => x.id);
    // units in id order: a, b, g (3 cases), h
    expect(ids(1)).toEqual(['a', 'g[x=1]', 'g[x=2]', 'g[x=3]']);
    expect(ids(2)).toEqual(['b', 'h']);
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
    // Against Node's tls, not the embedded reference: the reference proves it is idle, so its waits end at once
    // and the run could finish before the signal comes; Node's server makes each case wait its 700 ms.
    const { code } = await interruptAfterFirstPass(['run', '--target', 'node', '--scenarios', dir, '--report-dir', out, '--run-id', 'int', '--jobs', '1']);
    expect(code).toBe(130);
    const report = JSON.parse(readFileSync(join(out, 'int', 'report.json'), 'utf8'));
    expect(report.interrupted).toBe(true);
    expect(report.cases.length).toBeGreaterThanOrEqual(1);
    expect(report.cases.length).toBeLessThan(6);
    expect(report.cases.filter((c: { verdict: string }) => c.verdict === 'pass').length).toBeGreaterThanOrEqual(1);
    // report.html is written on interruption too, with the same cases.
    const html = readFileSync(join(out, 'int', 'report.html'), 'utf8');
    const start = html.indexOf('id="report-data">') + 'id="report-data">'.length;
    expect(JSON.parse(html.slice(start, html.indexOf('</script>', start))).cases.length).toBe(report.cases.length);
  });
});
