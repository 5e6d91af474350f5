/**
 * A pool of one-connection-at-a-time servers (server.pool: true, run --jobs N): small node scripts as the
 * process target. N cases run at once on N instances, each case talks to one instance only, a crash is the
 * case's on that instance and that instance is restarted, and nothing is left running.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ScenarioCase, Step } from '../scenario/model.ts';
import { runAll } from '../engine/run-all.ts';
import { REFERENCE_CAPABILITIES } from './reference.ts';
import { ProcessPool } from './pool.ts';
import type { ProcessTargetOptions } from './process.ts';
import { liveProcessCount, pidAlive } from './processes.ts';

const loc = { file: 'pool.yaml', line: 1, col: 1 };

function aCase(id: string, steps: Step[]): ScenarioCase {
  const scenario = { id, title: id, rfc: { doc: 8446, section: '4.1.2', quote: 'q' }, target: 'server' as const, versions: ['tls13' as const], tags: [], requires: {}, matrix: {}, config: {}, steps, loc };
  return { id, scenario, params: {}, steps, config: {}, requires: {} };
}

// Two connections per case, so that "each case talks to one instance" is checked on more than one.
// The scripted server answers nothing and closes: each connection expects a close.
const STEPS: Step[] = [
  { kind: 'send', message: 'ClientHello', set: {}, mutate: [], record: {}, loc },
  { kind: 'expect', expect: { kind: 'close' }, loc },
  { kind: 'reconnect', resume: false, loc },
  { kind: 'send', message: 'ClientHello', set: {}, mutate: [], record: {}, loc },
  { kind: 'expect', expect: { kind: 'close' }, loc },
];

// One connection at a time (maxConnections 1: a second one is closed at once). Each connection is logged
// (`pid open|close time`) to the file in argv[2]; the server answers nothing and closes 800 ms after data (long enough for the instances to overlap on a loaded machine).
// With a flag file (argv[3]) the first connection ever to send data crashes its process (exit code 3).
const ONE_AT_A_TIME = `
const net = require('node:net'), fs = require('node:fs');
const [port, log, flag] = process.argv.slice(1);
const note = (what) => fs.appendFileSync(log, process.pid + ' ' + what + ' ' + Date.now() + '\\n');
const srv = net.createServer((s) => {
  note('open');
  s.on('error', () => {});
  s.once('data', () => {
    // Created exclusively ('wx'): when both instances get data at the same moment, only one of them crashes.
    let first = false;
    if (flag) try { fs.writeFileSync(flag, 'crashed', { flag: 'wx' }); first = true; } catch {}
    if (first) {
      console.error('fatal: crash in the pool');
      process.exit(3);
    }
    // 'close' is logged when the server ends the connection: the socket's own 'close' event comes a tick
    // after Node already counts the connection as gone, so a next connection may be logged before it.
    setTimeout(() => { note('close'); s.end(); }, 800);
  });
});
srv.maxConnections = 1;
srv.listen(Number(port), '127.0.0.1', () => console.log('READY'));
`;

interface Conn {
  pid: number;
  open: number;
  close: number;
}

/** The connections each server pid served, from the log. */
function connections(log: string): Conn[] {
  const open = new Map<number, number[]>();
  const out: Conn[] = [];
  for (const line of readFileSync(log, 'utf8').trim().split('\n')) {
    const [pid, what, t] = line.split(' ');
    const list = open.get(Number(pid)) ?? [];
    open.set(Number(pid), list);
    if (what === 'open') list.push(Number(t));
    else out.push({ pid: Number(pid), open: list.shift()!, close: Number(t) });
  }
  return out;
}

describe('process target pool', () => {
  const pools: ProcessPool[] = [];
  const dirs: string[] = [];
  const tmp = () => {
    const d = mkdtempSync(join(tmpdir(), 'pool-'));
    dirs.push(d);
    return d;
  };
  const make = (instances: number, args: string[]) => {
    const opts: ProcessTargetOptions = {
      name: 'script',
      capabilities: { ...REFERENCE_CAPABILITIES, concurrent: false },
      expectedFailures: [],
      certificate: 'p256',
      stop_grace_ms: 300,
      server: { command: ['node', '-e', ONE_AT_A_TIME, '{port}', ...args], ready: { stdout: 'READY', port: true, timeout_ms: 5000 }, per_case: false, pool: true },
    };
    const p = new ProcessPool(opts, instances);
    pools.push(p);
    return p;
  };
  afterEach(async () => {
    await Promise.all(pools.splice(0).map((p) => p.stop()));
    expect(liveProcessCount()).toBe(0);
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  it('runs N cases at once on N instances, each case on one instance, one connection per instance at a time', async () => {
    const log = join(tmp(), 'log');
    const pool = make(3, [log]);
    await pool.start(new AbortController().signal);
    const pids = pool.serverPids as number[];
    expect(new Set(pids).size).toBe(3);
    expect(new Set(pool.serverPorts).size).toBe(3);
    const cases = Array.from({ length: 6 }, (_, i) => aCase(`pool-${i}`, STEPS));
    const r = await runAll(cases, pool, { jobs: 3, runId: 'pool', timeoutMs: 3000, expectTimeoutMs: 2000, controls: false });
    expect(r.cases).toHaveLength(6);
    for (const c of r.cases) {
      // Every connection of a case went to one server (its instance), and no case saw a crash.
      const peers = c.transcript.filter((e) => e.kind === 'connect').map((e) => (e as { name?: string }).name ?? '');
      expect(peers).toHaveLength(2);
      const casePids = new Set(peers.map((p) => Number(/pid (\d+)/.exec(p)?.[1])));
      expect(casePids.size).toBe(1);
      expect(pids).toContain([...casePids][0]);
      expect(c.reason ?? '').not.toMatch(/crash/);
      expect(c.verdict).toBe('pass');
    }
    const conns = connections(log);
    expect(new Set(conns.map((c) => c.pid))).toEqual(new Set(pids));
    // Each instance served one connection at a time...
    for (const pid of pids) {
      const mine = conns.filter((c) => c.pid === pid).sort((a, b) => a.open - b.open);
      for (let i = 1; i < mine.length; i++) expect(mine[i].open).toBeGreaterThanOrEqual(mine[i - 1].close);
    }
    // ...and the instances served at the same time: at some moment all three had a connection open.
    const most = Math.max(...conns.map((c) => new Set(conns.filter((d) => d.open <= c.open && c.open < d.close).map((d) => d.pid)).size));
    expect(most).toBe(3);
    expect(pool.serverPids).toEqual(pids);
    await pool.stop();
    for (const pid of pids) expect(pidAlive(pid)).toBe(false);
  });

  it('a crash is the case\'s on that instance; that instance restarts, the others keep their server', async () => {
    const d = tmp();
    const pool = make(2, [join(d, 'log'), join(d, 'crashed')]);
    await pool.start(new AbortController().signal);
    const before = pool.serverPids as number[];
    const cases = Array.from({ length: 4 }, (_, i) => aCase(`crash-${i}`, STEPS.slice(0, 2)));
    const r = await runAll(cases, pool, { jobs: 2, runId: 'pool', timeoutMs: 3000, expectTimeoutMs: 2000, controls: false });
    const crashed = r.cases.filter((c) => /the target crashed/.test(c.reason ?? ''));
    expect(crashed).toHaveLength(1);
    const dead = Number(/script server \(pid (\d+)\) exited with code 3; last output: fatal: crash in the pool/.exec(crashed[0].reason!)?.[1]);
    expect(before).toContain(dead);
    // Only the crashing case talked to the dead server; no crash was left over for anyone else.
    for (const c of r.cases.filter((x) => x !== crashed[0])) expect(JSON.stringify(c.transcript)).not.toContain(`pid ${dead})`);
    expect(pool.takeCrash()).toBeUndefined();
    // Each instance serves again: the crashed one on a new server, the other on the server it had.
    const i = before.indexOf(dead);
    const conn = await pool.members[i].connect({ caseId: 'after', signal: new AbortController().signal });
    conn.stream.destroy();
    expect(pool.serverPids[i]).not.toBe(dead);
    expect(pidAlive(pool.serverPids[i]!)).toBe(true);
    expect(pool.serverPids[1 - i]).toBe(before[1 - i]);
  });

  it('an id that never ends its case does not block the others: they share the least-used instance', async () => {
    const pool = make(2, [join(tmp(), 'log')]);
    await pool.start(new AbortController().signal);
    const signal = new AbortController().signal;
    (await pool.connect({ caseId: 'a', signal })).stream.destroy();
    (await pool.connect({ caseId: 'b', signal })).stream.destroy();
    expect([pool.instanceOf('a'), pool.instanceOf('b')].sort()).toEqual([0, 1]);
    (await pool.connect({ caseId: 'c', signal })).stream.destroy();
    expect(pool.instanceOf('c')).toBeDefined();
    await pool.endCase({ caseId: 'a', signal });
    expect(pool.instanceOf('a')).toBeUndefined();
    (await pool.connect({ caseId: 'd', signal })).stream.destroy();
    // a's instance is the least used now.
    expect(pool.instanceOf('d')).not.toBe(pool.instanceOf('b'));
  });
});
