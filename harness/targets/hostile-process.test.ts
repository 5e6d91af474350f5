/**
 * Hostile process targets (issue 11): a server that crashes during a case, a client command that dies
 * before it connects, a forked client that ignores SIGTERM, and the port range. The programs are small
 * node scripts; every case has a short time limit.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ScenarioCase, Step } from '../scenario/model.ts';
import { runCase } from '../engine/run-case.ts';
import { REFERENCE_CAPABILITIES } from './reference.ts';
import { ProcessTarget, type ProcessTargetOptions } from './process.ts';
import { freeLowPort, liveProcessCount, parsePortRange, pidExists } from './processes.ts';
import { UsageError } from '../errors.ts';

const loc = { file: 'hostile.yaml', line: 1, col: 1 };

function aCase(id: string, target: 'server' | 'client', steps: Step[]): ScenarioCase {
  const scenario = { id, title: id, rfc: { doc: 8446, section: '4.1.2', quote: 'q' }, target, versions: ['tls13' as const], tags: [], requires: {}, matrix: {}, config: {}, steps, loc };
  return { id, scenario, params: {}, steps, config: {}, requires: {} };
}

const SERVER_STEPS: Step[] = [
  { kind: 'send', message: 'ClientHello', set: {}, mutate: [], record: {}, loc },
  { kind: 'expect', expect: { kind: 'messages', messages: [{ names: ['ServerHello'], optional: false, repeat: false, where: {} }] }, loc },
];
const CLIENT_STEPS: Step[] = [{ kind: 'expect', expect: { kind: 'messages', messages: [{ names: ['ClientHello'], optional: false, repeat: false, where: {} }] }, loc }];

// A server whose first connection ever (a flag file says which) makes it crash as data arrives: exit code 3
// after a line on stderr. Later processes close every connection without a word.
const CRASHING_SERVER = `
const net = require('node:net'), fs = require('node:fs');
const flag = process.argv[2];
net.createServer((s) => {
  s.on('error', () => {});
  s.on('data', () => {
    if (!fs.existsSync(flag)) {
      fs.writeFileSync(flag, 'crashed');
      console.error('fatal: segfault in parse_client_hello');
      process.exit(3);
    }
    s.end();
  });
}).listen(Number(process.argv[1]), '127.0.0.1', () => console.log('READY'));
`;

const opts = { timeoutMs: 1000, expectTimeoutMs: 800 };

describe('hostile process targets', () => {
  const targets: ProcessTarget[] = [];
  const dirs: string[] = [];
  const make = (o: Partial<ProcessTargetOptions>) => {
    const t = new ProcessTarget({ name: 'script', capabilities: { ...REFERENCE_CAPABILITIES, concurrent: false }, expectedFailures: [], certificate: 'p256', stop_grace_ms: 300, ...o });
    targets.push(t);
    return t;
  };
  const tmp = () => {
    const d = mkdtempSync(join(tmpdir(), 'hostile-'));
    dirs.push(d);
    return d;
  };
  afterEach(async () => {
    await Promise.all(targets.splice(0).map((t) => t.stop()));
    expect(liveProcessCount()).toBe(0);
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  it('a server that crashes during a case: the crash is that case\'s, and the next case gets a new server', async () => {
    const flag = join(tmp(), 'crashed');
    const t = make({ server: { command: ['node', '-e', CRASHING_SERVER, '{port}', flag], ready: { stdout: 'READY', timeout_ms: 5000 }, per_case: false } });
    await t.start(new AbortController().signal);
    const first = t.serverPid!;
    const a = await runCase(aCase('crash-a', 'server', SERVER_STEPS), t, opts);
    const b = await runCase(aCase('crash-b', 'server', SERVER_STEPS), t, opts);
    expect(a.verdict).toBe('fail');
    expect(a.reason).toContain(`the target crashed: script server (pid ${first}) exited with code 3; last output: fatal: segfault in parse_client_hello`);
    // The next case ran against a new server, and is not blamed for the crash.
    expect(b.reason ?? '').not.toMatch(/crashed/);
    expect(b.transcript.find((e) => e.kind === 'connect')?.name).not.toContain(`pid ${first}`);
    expect(t.serverPid).not.toBe(first);
    expect(t.takeCrash()).toBeUndefined();
    expect(pidExists(first)).toBe(false);
  });

  it('a per-case server killed by a signal during its case: that case fails with it', async () => {
    const script = `
      const net = require('node:net');
      net.createServer((s) => { s.on('data', () => process.kill(process.pid, 'SIGSEGV')); }).listen(Number(process.argv[1]), '127.0.0.1', () => console.log('READY'));`;
    const t = make({ server: { command: ['node', '-e', script, '{port}'], ready: { stdout: 'READY', timeout_ms: 5000 }, per_case: true } });
    await t.start(new AbortController().signal);
    const a = await runCase(aCase('segv', 'server', SERVER_STEPS), t, opts);
    expect(a.verdict).toBe('fail');
    expect(a.reason).toMatch(/the target crashed: script server \(pid \d+\) killed by SIGSEGV/);
    expect(t.takeCrash()).toBeUndefined();
  });

  it('a client command that dies before it connects: error at once, with its exit code and stderr', async () => {
    const script = `console.error('s_client: cannot open /nope/client.pem: No such file or directory'); process.exit(2);`;
    const t = make({ client: { command: ['node', '-e', script], stdin: 'close', timeout_ms: 10000 } });
    const r = await runCase(aCase('dies', 'client', CLIENT_STEPS), t, { timeoutMs: 8000, expectTimeoutMs: 8000 });
    expect(r.verdict).toBe('error');
    expect(r.reason).toBe(
      'the target client exited with code 2 before it connected (a setup problem: check the client command); its last output: s_client: cannot open /nope/client.pem: No such file or directory',
    );
    expect(r.observed).toBe('exited with code 2, no connection');
    // At once, not at the 8 s time limit (node starts in well under 2 s even on a busy machine).
    expect(r.durationMs).toBeLessThan(4000);
    expect(r.targetOutput?.stderr).toContain('cannot open /nope/client.pem');
  });

  it('a client that gives up where the case expects a refusal: judged as a plain close (lenient), not a setup error', async () => {
    const t = make({ client: { command: ['node', '-e', 'process.exit(1)'], stdin: 'close', timeout_ms: 10000 } });
    const steps: Step[] = [{ kind: 'expect', expect: { kind: 'alert', alerts: ['bad_certificate'], lenient: true }, loc }];
    const r = await runCase(aCase('refuses', 'client', steps), t, { timeoutMs: 8000, expectTimeoutMs: 8000 });
    expect(r.verdict).toBe('lenient');
    expect(r.reason).toBe('the target client exited with code 1 before it connected: a refusal, where the case expects alert bad_certificate; it wrote nothing');
    const strict: Step[] = [{ kind: 'expect', expect: { kind: 'alert', alerts: ['bad_certificate'], lenient: false }, loc }];
    expect((await runCase(aCase('refuses-strict', 'client', strict), t, { timeoutMs: 8000, expectTimeoutMs: 8000 })).verdict).toBe('fail');
  });

  it('a client that connects, then exits, is judged on what it sent (no "exited before it connected")', async () => {
    const script = `const s = require('node:net').connect(Number(process.argv[2]), process.argv[1], () => s.end('GET / HTTP/1.0\\r\\n\\r\\n', () => process.exit(1)));`;
    const t = make({ client: { command: ['node', '-e', script, '{host}', '{port}'], stdin: 'close', timeout_ms: 10000 } });
    const r = await runCase(aCase('connects-exits', 'client', CLIENT_STEPS), t, { timeoutMs: 8000, expectTimeoutMs: 8000 });
    expect(r.verdict).toBe('fail');
    expect(r.reason).toMatch(/not TLS records/);
  });

  it('a forked client that ignores SIGTERM (and its child in a session of its own): no process and no zombie left', async () => {
    // The client forks two children that ignore SIGTERM, one in its own process group (not reached by a
    // group kill), prints the pids, connects and hangs; it ignores SIGTERM too.
    const script = `
      const { spawn } = require('node:child_process');
      const hold = "process.on('SIGTERM', () => {}); setInterval(() => {}, 1000)";
      const a = spawn(process.execPath, ['-e', hold], { stdio: 'ignore' });
      const b = spawn(process.execPath, ['-e', hold], { stdio: 'ignore', detached: true });
      process.on('SIGTERM', () => {});
      console.log(JSON.stringify({ pids: [process.pid, a.pid, b.pid] }));
      const s = require('node:net').connect(Number(process.argv[2]), process.argv[1]);
      s.on('error', () => {});
      setInterval(() => {}, 1000);`;
    const t = make({ client: { command: ['node', '-e', script, '{host}', '{port}'], stdin: 'close', timeout_ms: 10000 }, stop_grace_ms: 300 });
    const r = await runCase(aCase('forks', 'client', CLIENT_STEPS), t, { timeoutMs: 1500, expectTimeoutMs: 1500 });
    expect(r.verdict).toBe('fail'); // nothing within the time limit
    const pids = JSON.parse(r.targetOutput!.stdout.split('\n')[0]).pids as number[];
    expect(pids).toHaveLength(3);
    // Gone from /proc altogether: killed and reaped (a zombie would still be listed).
    const deadline = Date.now() + 3000;
    while (pids.some(pidExists) && Date.now() < deadline) await new Promise((res) => setTimeout(res, 50));
    expect(pids.filter(pidExists)).toEqual([]);
  });

  it('--ports / ports: the server\'s {port} is taken in the range', async () => {
    const script = `require('node:net').createServer(() => {}).listen(Number(process.argv[1]), '127.0.0.1', () => console.log('READY'));`;
    const base = 24000 + Math.floor(Math.random() * 4000);
    const t = make({ server: { command: ['node', '-e', script, '{port}'], ready: { stdout: 'READY', timeout_ms: 5000 }, per_case: false }, ports: { min: base, max: base + 3 } });
    await t.start(new AbortController().signal);
    expect(t.serverPort).toBeGreaterThanOrEqual(base);
    expect(t.serverPort).toBeLessThanOrEqual(base + 3);
    // A range whose ports are all taken is an error naming it (the one port above is in use now).
    expect(() => freeLowPort({ min: t.serverPort!, max: t.serverPort! })).toThrow(`no free port in ${t.serverPort}-${t.serverPort} (every one is in use)`);
  });
});

describe('port ranges as typed', () => {
  it('parses A-B and a single port; refuses the rest with one line', () => {
    expect(parsePortRange('20000-20999', '--ports')).toEqual({ min: 20000, max: 20999 });
    expect(parsePortRange('24433', '--ports')).toEqual({ min: 24433, max: 24433 });
    expect(() => parsePortRange('20999-20000', '--ports')).toThrow("--ports: the range '20999-20000' is empty (the first port is above the last)");
    expect(() => parsePortRange('80-90', '--ports')).toThrow("--ports: ports must be in 1024-65535, got '80-90'");
    expect(() => parsePortRange('lots', '--ports')).toThrow(UsageError);
    expect(() => parsePortRange('1-2-3', '--ports')).toThrow("--ports: expected a port range such as 20000-20999, got '1-2-3'");
  });
});
