/**
 * Issue 11, "Bad input": every user mistake is one line on stderr, exit code 2, no stack trace, and is
 * answered within a second or two. Commands run in-process (main) with their output captured; the one that
 * used to hang (a report folder under /proc) runs as a child process with a time limit.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { spawnSync } from 'node:child_process';
import { chmodSync, closeSync, existsSync, ftruncateSync, mkdirSync, mkdtempSync, openSync, readdirSync, writeFileSync } from 'node:fs';
import * as http from 'node:http';
import * as net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { main } from './cli.ts';
import { MAX_NESTING } from './scenario/limits.ts';
import { describeNonTls } from './non-tls.ts';
import { readReport, serializeReport, toReportJson } from './report/json.ts';
import { makeCase, makeRun } from './report/testing.ts';

const bin = fileURLToPath(new URL('../bin/tls-harness.js', import.meta.url));
const examples = fileURLToPath(new URL('../scenarios/examples/', import.meta.url));
/** In-process, after the modules are loaded: far more than any of these needs, far less than a hang. */
const FAST_MS = 2500;

let dir: string;
let out: string;
let err: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'th-bad-input-'));
  out = '';
  err = '';
  vi.spyOn(process.stdout, 'write').mockImplementation((s) => ((out += String(s)), true));
  vi.spyOn(process.stderr, 'write').mockImplementation((s) => ((err += String(s)), true));
});
afterEach(() => vi.restoreAllMocks());

/** Runs the command; expects exit 2, one stderr line matching `line`, no stack, in bounded time. */
async function usageError(args: string[], line: RegExp | string): Promise<string> {
  out = '';
  err = '';
  const t0 = performance.now();
  const code = await main(args);
  const ms = performance.now() - t0;
  expect(code, `${args.join(' ')}\n${err}`).toBe(2);
  const lines = err.trimEnd().split('\n');
  expect(lines, args.join(' ')).toHaveLength(1);
  expect(err).not.toMatch(/\n\s+at /);
  if (typeof line === 'string') expect(lines[0]).toBe(line);
  else expect(lines[0]).toMatch(line);
  expect(ms, args.join(' ')).toBeLessThan(FAST_MS);
  return lines[0];
}

function child(args: string[], opts: { uid?: number; timeout?: number } = {}) {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, [bin, ...args], {
    encoding: 'utf8',
    timeout: opts.timeout ?? 20_000,
    ...(opts.uid !== undefined ? { uid: opts.uid, gid: opts.uid } : {}),
  });
  return { code: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr, ms: performance.now() - t0 };
}

/** A port on 127.0.0.1 where nothing listens (bound, then closed). */
async function closedPort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

describe('bad input: report folders', () => {
  it('--report-dir that is a file', async () => {
    const f = join(dir, 'a-file');
    writeFileSync(f, 'x');
    await usageError(['run', '--report-dir', f, '--scenarios', examples], `tls-harness: run: --report-dir ${f}: is not a directory (it is a file)`);
    await usageError(['run', '--report-dir', join(f, 'sub'), '--scenarios', examples], `tls-harness: run: --report-dir ${join(f, 'sub')}: ${f} is not a directory (it is a file)`);
  });

  it.skipIf(!existsSync('/sys/kernel'))('--report-dir under /sys', async () => {
    await usageError(['run', '--report-dir', '/sys/tls-harness-x', '--scenarios', examples], /^tls-harness: run: --report-dir \/sys\/tls-harness-x: cannot be created: .* \(\/sys is not a place for files\)$/);
    await usageError(['run', '--report-dir', '/sys/kernel', '--scenarios', examples], /^tls-harness: run: --report-dir \/sys\/kernel: cannot be written to: /);
  });

  it('--report-dir in a folder one cannot write (as an unprivileged user when the tests run as root)', async () => {
    const ro = join(dir, 'ro');
    mkdirSync(ro);
    chmodSync(dir, 0o755);
    chmodSync(ro, 0o555);
    const args = ['run', '--report-dir', join(ro, 'reports'), '--scenarios', examples];
    if (process.getuid?.() === 0) {
      const r = child(args, { uid: 65534 });
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toBe(`tls-harness: run: --report-dir ${join(ro, 'reports')}: cannot be created: permission denied\n`);
    } else {
      await usageError(args, `tls-harness: run: --report-dir ${join(ro, 'reports')}: cannot be created: permission denied`);
    }
  }, 30_000);

  it.skipIf(!existsSync('/proc/self'))('--report-dir /proc/x: one line at once (it was a mkdir loop at 100% CPU)', () => {
    const r = child(['run', '--report-dir', '/proc/tls-harness-x', '--scenarios', examples]);
    expect(r.signal, 'killed by the time limit: the mkdir loop is back').toBeNull();
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('tls-harness: run: --report-dir /proc/tls-harness-x: cannot be created: no such file or directory (/proc is not a place for files)\n');
  }, 30_000);

  it('merge with an OUT_DIR that is an existing file', async () => {
    const report = join(dir, 'r.json');
    writeFileSync(report, serializeReport(toReportJson(makeRun([makeCase('x-1', 'pass')]))));
    const f = join(dir, 'out');
    writeFileSync(f, 'x');
    await usageError(['merge', f, report], `tls-harness: merge: OUT_DIR ${f}: is not a directory (it is a file)`);
    expect(readReport(report).cases).toHaveLength(1);
  });
});

describe('bad input: scenario files', () => {
  it('a file with tens of thousands of errors: at most 50 lines and "and N more"; a 50 MB file: its size', async () => {
    const f = join(dir, 'many.yaml');
    const lines = ['id: many', 'title: t'];
    for (let i = 0, n = 0; n < 200_000; i++) n += lines[lines.push(`unknown${i}: 1`) - 1].length + 1;
    writeFileSync(f, lines.join('\n') + '\n');
    const t0 = performance.now();
    expect(await main(['validate', f])).toBe(2);
    expect(performance.now() - t0).toBeLessThan(5000);
    const printed = out.trimEnd().split('\n');
    expect(printed.length).toBeLessThanOrEqual(52);
    expect(printed.at(-2)).toMatch(/: \.\.\. and \d+ more errors in this file \(only the first 50 are shown\)$/);
    expect(printed.at(-1)).toMatch(/^1 file, 0 scenarios, 0 cases: \d{5} errors$/);
    // run: one line, the first error and the count.
    await usageError(['run', '--scenarios', f], /^tls-harness: .*many\.yaml:1:1: the scenario is missing required key 'rfc' \(and \d{5} more errors: run 'tls-harness validate'\)$/);

    const huge = join(dir, 'huge.yaml');
    const fd = openSync(huge, 'w');
    ftruncateSync(fd, 50 * 1024 * 1024);
    closeSync(fd);
    await usageError(['run', '--scenarios', huge], `tls-harness: ${huge}: 52428800 bytes: over the limit of 256 KiB for a scenario file (split it into several files)`);
  });

  it('YAML nested 100,000 deep: what is wrong, at file:line:col', async () => {
    const f = join(dir, 'deep.yaml');
    writeFileSync(f, `id: deep\ntitle: t\nsteps: ${'['.repeat(100_000)}${']'.repeat(100_000)}\n`);
    await usageError(['run', '--scenarios', f], `tls-harness: ${f}:3:${7 + MAX_NESTING}: nesting too deep: lists and mappings more than ${MAX_NESTING} levels deep (a scenario needs under 10)`);
  });

  it('non-UTF-8 bytes: rejected at file:line:col', async () => {
    const f = join(dir, 'latin1.yaml');
    writeFileSync(f, Buffer.concat([Buffer.from('id: latin1\ntitle: caf'), Buffer.from([0xe9]), Buffer.from('\n')]));
    await usageError(['run', '--scenarios', f], `tls-harness: ${f}:2:11: byte 0xe9 is not UTF-8: scenario files must be UTF-8 text`);
  });

  it('no scenario file found: an empty directory, a directory named x.yaml (validate, list, run)', async () => {
    const empty = join(dir, 'empty');
    const named = join(dir, 'x.yaml');
    mkdirSync(empty);
    mkdirSync(named);
    for (const d of [empty, named]) {
      const msg = `${d}: no scenario file found: the directory holds no *.yaml or *.yml file`;
      await usageError(['run', '--scenarios', d], `tls-harness: ${msg}`);
      expect(await main(['validate', d])).toBe(2);
      expect(out).toBe(`${msg}\n0 files, 0 scenarios, 0 cases: 1 error\n`);
      out = '';
      err = '';
      expect(await main(['list', '--scenarios', d])).toBe(2);
      expect(err).toBe(`${msg}\n`);
    }
  });

  it('the same filter gets the same answer from list and run', async () => {
    const a = await usageError(['list', '--scenarios', examples, '--tag', 'nope'], "tls-harness: list: --tag nope: no case has this tag");
    // The same words; only the command named differs.
    await usageError(['run', '--scenarios', examples, '--tag', 'nope'], a.replace('list: ', 'run: '));
    const g = await usageError(['list', '--scenarios', examples, '--grep', 'zzz'], "tls-harness: list: no case matches --grep 'zzz' (of 4 cases)");
    await usageError(['run', '--scenarios', examples, '--grep', 'zzz'], g.replace('list: ', 'run: '));
  });
});

describe('bad input: options and targets', () => {
  it('a negative or malformed number says what a valid value is, on every command', async () => {
    await usageError(['run', '--timeout', '-5'], "tls-harness: run: --timeout: expected a positive integer (milliseconds) from 1 to 3600000, got '-5'");
    await usageError(['run', '--timeout', '1e3'], "tls-harness: run: --timeout: expected a positive integer (milliseconds) from 1 to 3600000, got '1e3'");
    await usageError(['run', '--timeout', '99999999999'], /from 1 to 3600000, got '99999999999'$/);
    await usageError(['run', '-j', '-2'], "tls-harness: run: --jobs: expected a positive integer from 1 to 256, got '-2'");
    await usageError(['run', '--shard', '-1/2'], "tls-harness: run: --shard: expected I/N with 1 <= I <= N, got '-1/2'");
    await usageError(['connect', '127.0.0.1:4433', '--insecure', '--timeout', '-5'], "tls-harness: connect: --timeout must be an integer from 1 to 3600000, got '-5'");
    await usageError(['serve', '--port', '-1', '--cert', 'c.pem', '--key', 'k.pem'], "tls-harness: serve: --port must be an integer from 0 to 65535, got '-1'");
    await usageError(['run', '--timeout'], 'tls-harness: run: --timeout needs a value: time limit per case in ms (default 10000)');
    await usageError(['run', '--target', '-x'], /^tls-harness: run: --target needs a value, got the option '-x' \(write --target=-x if that is the value\)/);
  });

  it('--target tcp:// where nothing listens: one line, and no half report', async () => {
    const port = await closedPort();
    const reports = join(dir, 'reports');
    await usageError(
      ['run', '--target', `tcp://127.0.0.1:${port}`, '--scenarios', examples, '--report-dir', reports, '--run-id', 'r1'],
      `tls-harness: run: target tcp://127.0.0.1:${port} did not start: cannot connect to the server at 127.0.0.1:${port}: connection refused (is it running and listening there?)`,
    );
    expect(readdirSync(reports)).toEqual([]);
  });

  it('connect to a plain HTTP server: the peer does not speak TLS', async () => {
    const server = http.createServer((_, res) => res.end('hello'));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as net.AddressInfo).port;
    try {
      await usageError(
        ['connect', `127.0.0.1:${port}`, '--insecure', '--timeout', '1000'],
        `tls-harness connect: 127.0.0.1:${port}: the peer does not speak TLS: its first bytes look like an HTTP response ("HTTP/1.1 400 Bad Request")`,
      );
    } finally {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    }
  });

  it('describeNonTls: HTTP, SSH and mail banners, other text and binary; TLS records are left alone', () => {
    const d = (s: string | number[]) => describeNonTls(typeof s === 'string' ? Buffer.from(s, 'latin1') : Uint8Array.from(s));
    expect(d('SSH-2.0-OpenSSH_9.6\r\n')).toBe('an SSH banner ("SSH-2.0-OpenSSH_9.6")');
    expect(d('220 mail.example.com ESMTP\r\n')).toBe('an SMTP or FTP greeting ("220 mail.example.com ESMTP")');
    expect(d('+OK POP3 ready\r\n')).toBe('a POP3 greeting ("+OK POP3 ready")');
    expect(d('hello\n')).toBe('text ("hello")');
    expect(d([0x00, 0x01, 0xff])).toBe('bytes 00 01 ff, not a TLS record header');
    // RFC 8446 5.1: a ContentType then 0x03xx: an alert record, a handshake record, a lone first byte.
    expect(d([0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x28])).toBeUndefined();
    expect(d([0x16, 0x03, 0x01])).toBeUndefined();
    expect(d([0x16])).toBeUndefined();
  });
});
