/**
 * `npm run bench`: the speed goals of issue 12, each as a ratio against a peer measured in the same run (never
 * as absolute numbers in tests). Each line: `name: ours vs peer = ratio R (goal >= G): met | NOT met`, then a
 * final table of all of them.
 *
 *   handshake13/P       full TLS 1.3 handshakes (x25519, ECDSA P-256), reference client + server in memory with
 *                       provider P, vs Node's tls client + server over loopback TCP (goal >= 1.5)
 *   handshake12-ecdhe/P TLS 1.2 ECDHE_ECDSA_WITH_AES_128_GCM_SHA256 (x25519, P-256), likewise (goal >= 1.5)
 *   handshake12-rsa/P   TLS 1.2 RSA_WITH_AES_128_GCM_SHA256 (RSA-2048 key exchange), likewise (goal >= 1.5)
 *   aead/P              sealing 16 KiB records through the record layer's protection (TLS 1.3,
 *                       AES-128-GCM, provider P) vs raw node:crypto createCipheriv (goal >= 0.9)
 *   serve/P             CPU per handshake of a child `tls-harness serve --crypto P` under a load client (Node
 *                       tls clients, one at a time, bounded count and time) vs `openssl s_server` under the
 *                       same load (goal: ours / peer <= 2)
 *   suite               the conformance suite against the embedded reference, cases per second (goal >= 100;
 *                       no peer)
 *   jobs                `run --target openssl --jobs 4` vs `--jobs 1` on a subset (JOBS_GREP, default
 *                       ^tls13-server: the TLS 1.3 server suite), wall-time ratio (goal <= 0.4)
 *   fuzz/reference-R    issue 15: `fuzz()` conversations per second, the embedded reference as the target (role R:
 *                       server, client; TLS 1.3 + 1.2) and as the oracle, seed 1, --jobs 2 (the CLI's default),
 *                       --timeout 500 (the CLI's default) (goal >= 300; no peer). Both references are
 *                       `inMemory` (their connections are in-memory pipes, in both roles)
 *   fuzz/openssl        `fuzz()` against the openssl target (server role, TLS 1.3 + 1.2, seed 1, --jobs
 *                       FUZZ_JOBS, default 8 (the CLI's default is 2): that many s_server instances) vs
 *                       `openssl s_time -new` against one of the same s_server instances right after, new
 *                       connections per wall second (goal: ratio >= 0.5)
 *
 * BENCH_SECONDS (default 2) scales every measurement (each fuzz part runs 5 x BENCH_SECONDS); BENCH_ONLY=name,name runs only the goals whose name (or
 * its part before `/`) is listed, e.g. BENCH_ONLY=aead,serve/node. BENCH_JSON=FILE also writes the results
 * as JSON. Every wait is bounded and every child process is killed on the way out.
 */
import { createCipheriv, randomBytes } from 'node:crypto';
import * as tls from 'node:tls';
import * as net from 'node:net';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { setMaxListeners } from 'node:events';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { TlsClient } from '../implementations/reference/connection/client.ts';
import { TlsServer } from '../implementations/reference/connection/server.ts';
import { pump } from '../implementations/reference/connection/memory.ts';
import { TEST_PKI, testClientConfig, testServerConfig } from '../implementations/reference/connection/testing.ts';
import { listenOnLowPort } from '../implementations/reference/connection/ports.ts';
import { BUILTIN_CRYPTO_PROVIDER, setDefaultCryptoProvider } from '../implementations/reference/connection/config.ts';
import { CipherSuite, NamedGroup } from '../implementations/reference/codec/enums.ts';
import { allProviders } from '../implementations/reference/crypto/providers.ts';
import type { CryptoProvider } from '../implementations/reference/crypto/provider.ts';
import { Tls13RecordProtection } from '../implementations/reference/crypto/record-protection.ts';
import { suiteParams } from '../implementations/reference/crypto/suites.ts';
import { expandAll, loadScenariosOrThrow } from '../harness/scenario/loader.ts';
import { runAll } from '../harness/engine/run-all.ts';
import { ReferenceTarget } from '../harness/targets/reference.ts';
import { setServerOutputSettleMs } from '../harness/targets/process.ts';
import { resolveTarget } from '../harness/targets/config.ts';
import type { ProcessPool } from '../harness/targets/pool.ts';
import type { Target } from '../harness/targets/types.ts';
import type { Role } from '../harness/scenario/model.ts';
import { fuzz as fuzzRun, type FuzzReport } from '../harness/fuzz/fuzz.ts';
import { formatResult, formatTable, selected, type Result } from './report.ts';
import { checkBuild } from '../bin/build-state.js';

const seconds = Math.max(0.1, Number(process.env.BENCH_SECONDS ?? 2) || 2);
const only = (process.env.BENCH_ONLY ?? '').split(',').map((s) => s.trim()).filter(Boolean);
const root = fileURLToPath(new URL('../', import.meta.url));
const bin = join(root, 'bin', 'tls-harness.js');
const pem = (f: string) => readFileSync(TEST_PKI.path(f));
const results: Result[] = [];
const children = new Set<ChildProcess>();

function report(r: Result): void {
  results.push(r);
  process.stdout.write(formatResult(r) + '\n');
}

/**
 * Rates (runs per second) of several functions measured in alternating slices (`seconds` in all for each,
 * in 10 slices, after 3 warm-up runs each): a machine whose load changes during the measurement slows them
 * alike, so their ratio holds where two measurements one after the other would not.
 */
async function interleavedRates(fns: Array<() => void | Promise<void>>, slices = 10): Promise<number[]> {
  for (const fn of fns) for (let i = 0; i < 3; i++) await fn();
  const count = fns.map(() => 0);
  const time = fns.map(() => 0);
  for (let s = 0; s < slices; s++) {
    for (let f = 0; f < fns.length; f++) {
      const t0 = performance.now();
      const end = t0 + (seconds * 1000) / slices;
      let n = 0;
      while (performance.now() < end) {
        await fns[f]();
        n++;
      }
      count[f] += n;
      time[f] += performance.now() - t0;
    }
  }
  return count.map((n, f) => n / (time[f] / 1000));
}

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([
    p.finally(() => clearTimeout(timer)),
    new Promise<T>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms`)), ms);
    }),
  ]);
}

/** One Node tls client handshake against host:port (TLS options as given), then a destroy. Bounded by 5 s. */
function nodeHandshake(port: number, opts: tls.ConnectionOptions): Promise<void> {
  return withTimeout(
    new Promise<void>((resolve, reject) => {
      const s = tls.connect({ host: '127.0.0.1', port, ca: pem('ca.pem'), servername: 'localhost', ...opts }, () => {
        s.destroy();
        resolve();
      });
      s.on('error', reject);
      s.setTimeout(5000, () => s.destroy(new Error('socket timeout')));
    }),
    6000,
    `tls handshake with 127.0.0.1:${port}`,
  );
}

// ---- handshakes ------------------------------------------------------------------------------------------

interface HandshakeKind {
  name: string;
  what: string;
  ours: (p: CryptoProvider) => { client: ReturnType<typeof testClientConfig>; server: ReturnType<typeof testServerConfig> };
  node: { server: tls.TlsOptions; client: tls.ConnectionOptions };
}

const HANDSHAKES: HandshakeKind[] = [
  {
    name: 'handshake13',
    what: 'TLS 1.3 x25519 ECDSA P-256',
    ours: (p) => ({
      server: testServerConfig({ provider: p, minVersion: 'TLSv1.3', certificates: [TEST_PKI.p256()], ticketsToSend: 0, random: (n) => p.randomBytes(n) }),
      client: testClientConfig({ provider: p, minVersion: 'TLSv1.3', random: (n) => p.randomBytes(n) }),
    }),
    node: {
      server: { key: pem('server-p256.key'), cert: pem('server-p256.pem'), minVersion: 'TLSv1.3', ecdhCurve: 'X25519' },
      client: { minVersion: 'TLSv1.3', ecdhCurve: 'X25519' },
    },
  },
  {
    name: 'handshake12-ecdhe',
    what: 'TLS 1.2 ECDHE-ECDSA-AES128-GCM x25519 P-256',
    ours: (p) => {
      const suites = [CipherSuite.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256];
      const common = { provider: p, maxVersion: 'TLSv1.2' as const, cipherSuites: suites, groups: [NamedGroup.x25519, NamedGroup.secp256r1], random: (n: number) => p.randomBytes(n) };
      return { server: testServerConfig({ ...common, certificates: [TEST_PKI.p256()], ticketsToSend: 0 }), client: testClientConfig(common) };
    },
    node: {
      server: { key: pem('server-p256.key'), cert: pem('server-p256.pem'), maxVersion: 'TLSv1.2', ciphers: 'ECDHE-ECDSA-AES128-GCM-SHA256', ecdhCurve: 'X25519' },
      // RFC 8422 5.1.1: the client's supported_groups also bind the server's certificate curve, so P-256 is offered after x25519.
      client: { maxVersion: 'TLSv1.2', ciphers: 'ECDHE-ECDSA-AES128-GCM-SHA256', ecdhCurve: 'X25519:P-256' },
    },
  },
  {
    name: 'handshake12-rsa',
    what: 'TLS 1.2 RSA-AES128-GCM RSA-2048',
    ours: (p) => {
      const suites = [CipherSuite.TLS_RSA_WITH_AES_128_GCM_SHA256];
      const common = { provider: p, maxVersion: 'TLSv1.2' as const, cipherSuites: suites, random: (n: number) => p.randomBytes(n) };
      return { server: testServerConfig({ ...common, certificates: [TEST_PKI.rsa()], ticketsToSend: 0 }), client: testClientConfig(common) };
    },
    node: {
      server: { key: pem('server-rsa2048.key'), cert: pem('server-rsa2048.pem'), maxVersion: 'TLSv1.2', ciphers: 'AES128-GCM-SHA256' },
      client: { maxVersion: 'TLSv1.2', ciphers: 'AES128-GCM-SHA256' },
    },
  },
];


async function handshakes(): Promise<void> {
  for (const k of HANDSHAKES) await guarded(k.name, () => handshake(k));
}

async function handshake(k: HandshakeKind): Promise<void> {
  {
    const wanted = allProviders().filter((p) => selected(only, `${k.name}/${p.name}`));
    if (wanted.length === 0) return;
    const srv = tls.createServer({ ...k.node.server, sessionTimeout: 0 }, (s) => s.end());
    srv.on('tlsClientError', () => {});
    const port = await listenOnLowPort(srv as unknown as net.Server);
    try {
      // Node's tls and each provider's reference handshake, measured in alternating slices.
      const ourFns = wanted.map((p) => {
        const { client, server } = k.ours(p);
        return () => {
          const c = new TlsClient(client);
          const s = new TlsServer(server);
          c.start();
          pump(c, s);
          if (c.state !== 'connected' || s.state !== 'connected') throw new Error(`${k.name}: reference handshake did not complete`);
        };
      });
      const [peer, ...ours] = await interleavedRates([() => nodeHandshake(port, k.node.client), ...ourFns]);
      wanted.forEach((p, i) =>
        report({ name: `${k.name}/${p.name}`, what: `${k.what}, in memory`, ours: ours[i], peer, peerName: "Node's tls over loopback", unit: 'handshakes/s', goal: 1.5, higherIsBetter: true }),
      );
    } finally {
      srv.close();
    }
  }
}

// ---- AEAD --------------------------------------------------------------------------------------------------

async function aead(): Promise<void> {
  const wanted = allProviders().filter((p) => selected(only, `aead/${p.name}`));
  if (wanted.length === 0) return;
  const key = randomBytes(16);
  const iv = randomBytes(12);
  const data = randomBytes(16384);
  const aad = randomBytes(5);
  const MiB = 16 / 1024;
  const suite = suiteParams(CipherSuite.TLS_AES_128_GCM_SHA256)!;
  const raw = () => {
    const c = createCipheriv('aes-128-gcm', key, iv);
    c.setAAD(aad);
    c.update(data);
    c.final();
    c.getAuthTag();
  };
  const ourFns = wanted.map((p) => {
    const prot = new Tls13RecordProtection(p, suite, key, iv);
    return () => void prot.encrypt(23, data);
  });
  const [peerRate, ...ourRates] = await interleavedRates([raw, ...ourFns]);
  wanted.forEach((p, i) =>
    report({ name: `aead/${p.name}`, what: 'AES-128-GCM seal of 16 KiB records (record layer, TLS 1.3)', ours: ourRates[i] * MiB, peer: peerRate * MiB, peerName: 'raw node:crypto', unit: 'MiB/s', goal: 0.9, higherIsBetter: true }),
  );
}

// ---- serve: CPU per handshake ---------------------------------------------------------------------------

/** utime + stime of a process in ms, from /proc/PID/stat (fields 14 and 15, in clock ticks). */
function cpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' '); // f[0] is field 3 (state)
  const ticks = Number(f[11]) + Number(f[12]);
  return (ticks * 1000) / 100; // CLK_TCK is 100 on Linux
}

async function freeLowPort(): Promise<number> {
  const s = net.createServer();
  const port = await listenOnLowPort(s);
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

/** Starts a child and resolves once `ready` appears on its stdout (bounded by 20 s). */
function startChild(cmd: string, args: string[], ready: RegExp, env: NodeJS.ProcessEnv = process.env): Promise<ChildProcess> {
  const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], env });
  children.add(child);
  child.on('exit', () => children.delete(child));
  let out = '';
  let err = '';
  child.stderr!.on('data', (d: Buffer) => {
    if (err.length < 4000) err += d.toString();
  });
  return withTimeout(
    new Promise<ChildProcess>((resolve, reject) => {
      child.stdout!.on('data', (d: Buffer) => {
        if (out.length < 4000) out += d.toString();
        if (ready.test(out)) resolve(child);
      });
      child.on('error', reject);
      child.on('exit', (code) => reject(new Error(`${cmd} exited (${code}) before it was ready: ${err.trim().split('\n').slice(-2).join(' ')}`)));
    }),
    20_000,
    `${cmd} ready`,
  ).catch((e) => {
    child.kill('SIGKILL');
    throw e;
  });
}

function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise<void>((resolve) => {
    const t = setTimeout(() => child.kill('SIGKILL'), 3000);
    child.once('exit', () => {
      clearTimeout(t);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

/** CPU ms per handshake of the server process `child` on `port` under a load of sequential Node tls clients. */
async function cpuPerHandshake(child: ChildProcess, port: number): Promise<{ perHandshake: number; count: number }> {
  const opts: tls.ConnectionOptions = { minVersion: 'TLSv1.3', ecdhCurve: 'X25519' };
  for (let i = 0; i < 3; i++) await nodeHandshake(port, opts); // warm up
  const maxCount = Math.max(20, Math.round(300 * seconds));
  const end = performance.now() + seconds * 2000;
  const cpu0 = cpuMs(child.pid!);
  let n = 0;
  while (n < maxCount && performance.now() < end) {
    await nodeHandshake(port, opts);
    n++;
  }
  await new Promise((r) => setTimeout(r, 100)); // let the server finish the last connection's close
  return { perHandshake: (cpuMs(child.pid!) - cpu0) / n, count: n };
}

function hasOpenssl(): boolean {
  return spawnSync('openssl', ['version'], { stdio: 'ignore' }).status === 0;
}

async function serve(): Promise<void> {
  const wanted = allProviders().filter((p) => selected(only, `serve/${p.name}`));
  if (wanted.length === 0) return;
  if (!hasOpenssl()) {
    for (const p of wanted) skip(`serve/${p.name}`, 'openssl is not installed (the peer is `openssl s_server`)');
    return;
  }
  if (process.platform !== 'linux') {
    for (const p of wanted) skip(`serve/${p.name}`, 'CPU time is read from /proc (Linux only)');
    return;
  }
  const sport = await freeLowPort();
  const sserver = await startChild(
    'openssl',
    ['s_server', '-accept', `127.0.0.1:${sport}`, '-cert', TEST_PKI.path('server-p256.pem'), '-key', TEST_PKI.path('server-p256.key'), '-tls1_3', '-www'],
    /ACCEPT/,
  );
  let peer;
  try {
    peer = await cpuPerHandshake(sserver, sport);
  } finally {
    await stop(sserver);
  }
  for (const p of wanted) {
    const port = await freeLowPort();
    const child = await startChild(
      process.execPath,
      [bin, 'serve', '--port', String(port), '--cert', TEST_PKI.path('server-p256.pem'), '--key', TEST_PKI.path('server-p256.key'), '--min-version', '1.3', '--crypto', p.name],
      /listening on/,
    );
    try {
      const ours = await cpuPerHandshake(child, port);
      report({
        name: `serve/${p.name}`,
        what: `CPU ms per TLS 1.3 handshake (x25519, P-256), ${ours.count} vs ${peer.count} sequential Node tls clients`,
        ours: ours.perHandshake,
        peer: peer.perHandshake,
        peerName: 'openssl s_server',
        unit: 'CPU ms/handshake',
        goal: 2,
        higherIsBetter: false,
      });
    } finally {
      await stop(child);
    }
  }
}

// ---- the suite ----------------------------------------------------------------------------------------------

async function suite(): Promise<void> {
  const wanted = allProviders().filter((p) => selected(only, `suite/${p.name}`));
  if (wanted.length === 0) return;
  const cases = expandAll(loadScenariosOrThrow([join(root, 'scenarios')]).scenarios);
  for (const p of wanted) {
    // As `run --crypto P`: the embedded reference and the harness's peer use provider P.
    setDefaultCryptoProvider(p);
    const target = new ReferenceTarget();
    await target.start();
    const t0 = performance.now();
    const cpu0 = process.cpuUsage();
    let r;
    try {
      r = await runAll(cases, target, { jobs: 4, runId: 'bench', timeoutMs: 10_000, expectTimeoutMs: 3000 });
    } finally {
      await target.stop();
      setDefaultCryptoProvider(BUILTIN_CRYPTO_PROVIDER);
    }
    const s = (performance.now() - t0) / 1000;
    // CPU next to wall time: the embedded reference proves when it is idle, so the run waits for nothing and is
    // bound by CPU (the process's, all threads: V8 compiles and collects garbage on threads of its own); on a
    // machine shared with other work the wall time varies more than the CPU time.
    const cpu = process.cpuUsage(cpu0);
    const cpuS = (cpu.user + cpu.system) / 1e6;
    report({ name: `suite/${p.name}`, what: `the conformance suite against the embedded reference, --jobs 4 (${r.cases.length} cases in ${s.toFixed(1)} s, CPU ${cpuS.toFixed(1)} s)`, ours: r.cases.length / s, unit: 'cases/s', goal: 100, higherIsBetter: true });
  }
}

// ---- run --jobs 4 vs --jobs 1 against openssl ---------------------------------------------------------------

async function runWall(grep: string, jobs: number, dir: string): Promise<{ seconds: number; cases: number }> {
  const t0 = performance.now();
  const args = [bin, 'run', '--target', 'openssl', '--grep', grep, '--jobs', String(jobs), '--report-dir', dir, '--run-id', `bench-j${jobs}`];
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  children.add(child);
  let err = '';
  child.stderr!.on('data', (d: Buffer) => {
    if (err.length < 4000) err += d.toString();
  });
  const limit = Math.max(120_000, seconds * 60_000);
  const timer = setTimeout(() => child.kill('SIGKILL'), limit);
  const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
  clearTimeout(timer);
  children.delete(child);
  const wall = (performance.now() - t0) / 1000;
  // 0: all as expected, 1: some unexpected verdicts (still a full run); anything else is no measurement.
  if (code !== 0 && code !== 1) throw new Error(`run --jobs ${jobs} exited with ${code} after ${wall.toFixed(1)} s: ${err.trim().split('\n').slice(-2).join(' ')}`);
  const rep = JSON.parse(readFileSync(join(dir, `bench-j${jobs}`, 'report.json'), 'utf8')) as { cases: unknown[] };
  return { seconds: wall, cases: rep.cases.length };
}

async function jobs(): Promise<void> {
  if (!selected(only, 'jobs')) return;
  if (!hasOpenssl()) return skip('jobs', 'openssl is not installed (the target is `--target openssl`)');
  // The TLS 1.3 server suite: the 113 cases of the issue's measurement (`run --target openssl`, 21 s), now 135.
  const grep = process.env.JOBS_GREP ?? '^tls13-server';
  const dir = mkdtempSync(join(tmpdir(), 'tls-bench-'));
  try {
    const one = await runWall(grep, 1, dir);
    const four = await runWall(grep, 4, dir);
    report({
      name: 'jobs',
      what: `run --target openssl --grep ${grep} (${one.cases} cases, process start included): --jobs 4 ${four.seconds.toFixed(1)} s vs --jobs 1 ${one.seconds.toFixed(1)} s`,
      ours: four.seconds,
      peer: one.seconds,
      peerName: '--jobs 1',
      unit: 's wall',
      goal: 0.4,
      higherIsBetter: false,
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

// ---- fuzz: conversations per second (issue 15) -----------------------------------------------------------

/** As `tls-harness fuzz`: --seed 1, both versions, --timeout 500 (the CLI's default), the whole time. */
async function fuzzFor(target: Target, role: Role, jobs: number, secs: number, beforeStop?: () => Promise<void>): Promise<{ report: FuzzReport; rate: number; cpuS: number; wallS: number }> {
  // The ruler in memory (ReferenceTarget inMemory), as the target reference is below.
  const reference = new ReferenceTarget({ recordErrors: true, inMemory: true });
  const ac = new AbortController();
  // Every case in flight listens to it (two per job).
  setMaxListeners(64, ac.signal);
  await Promise.all([target.start(ac.signal), reference.start()]);
  try {
    const t0 = performance.now();
    const cpu0 = process.cpuUsage();
    const report = await fuzzRun(target, reference, { role, versions: ['tls13', 'tls12'], seed: 1, seconds: secs, jobs, maxFindings: 20, expectTimeoutMs: 500, signal: ac.signal });
    const wallS = (performance.now() - t0) / 1000;
    const cpu = process.cpuUsage(cpu0);
    // The rate the CLI prints: conversations over the run's time (shrinking a finding included).
    await beforeStop?.();
    return { report, rate: report.conversations / (report.elapsedMs / 1000), cpuS: (cpu.user + cpu.system) / 1e6, wallS };
  } finally {
    await Promise.allSettled([target.stop(), reference.stop()]);
  }
}

// CPU next to wall time (as the suite's): on a machine shared with other work the wall rate varies, the CPU
// per conversation much less.
const fuzzWhat = (r: FuzzReport, cpuS: number) =>
  `${r.conversations} conversations in ${(r.elapsedMs / 1000).toFixed(1)} s, CPU ${cpuS.toFixed(1)} s (${((cpuS * 1000) / Math.max(1, r.conversations)).toFixed(1)} ms each), ${r.findings.length} findings, ${r.unplayable} unplayable, ${r.bases.length} bases`;

/** `openssl s_time -connect 127.0.0.1:PORT -new -time N`: new TLS connections per wall second. */
async function sTime(port: number, secs: number): Promise<{ rate: number; count: number; wallS: number }> {
  const t0 = performance.now();
  const child = spawn('openssl', ['s_time', '-connect', `127.0.0.1:${port}`, '-new', '-time', String(secs)], { stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  let out = '';
  child.stdout!.on('data', (d: Buffer) => {
    out = (out + d.toString()).slice(-4000);
  });
  child.stderr!.on('data', () => undefined);
  const timer = setTimeout(() => child.kill('SIGKILL'), (secs + 20) * 1000);
  const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
  clearTimeout(timer);
  children.delete(child);
  const wallS = (performance.now() - t0) / 1000;
  // "2512 connections in 2.48s; 1012.90 connections/user sec, ..." (the first summary: the -new pass)
  const m = /(\d+) connections in [\d.]+s;/.exec(out);
  if (!m) throw new Error(`openssl s_time exited (${code}) without a summary: ${out.trim().split('\n').slice(-2).join(' ')}`);
  const count = Number(m[1]);
  return { rate: count / wallS, count, wallS };
}

async function fuzzBench(): Promise<void> {
  const secs = Math.max(1, Math.round(5 * seconds));
  for (const role of ['server', 'client'] as const) {
    const name = `fuzz/reference-${role}`;
    if (!selected(only, name)) continue;
    await guarded(name, async () => {
      const r = await fuzzFor(new ReferenceTarget({ inMemory: true }), role, 2, secs);
      report({ name, what: `fuzz --target reference --role ${role} (tls13 + tls12) --seed 1 --jobs 2: ${fuzzWhat(r.report, r.cpuS)}`, ours: r.rate, unit: 'conversations/s', goal: 300, higherIsBetter: true });
    });
  }
  if (!selected(only, 'fuzz/openssl')) return;
  if (!hasOpenssl()) return skip('fuzz/openssl', 'openssl is not installed (the target is `openssl s_server`, the peer `openssl s_time`)');
  await guarded('fuzz/openssl', async () => {
    // A process target waits more than it works (silence is its --timeout, the closure's wait, the settling of
    // its output after each case): more instances than cores pay off.
    const jobs = Math.max(1, Math.round(Number(process.env.FUZZ_JOBS ?? 8)) || 8);
    setServerOutputSettleMs(10); // as the fuzz command does
    const target = resolveTarget('openssl', { instances: jobs }) as ProcessPool;
    let peer: Awaited<ReturnType<typeof sTime>> | undefined;
    // s_time runs against one of the run's s_server instances right after the fuzz run, while they are still up.
    const r = await fuzzFor(target, 'server', jobs, secs, async () => {
      const port = target.serverPorts.find((p) => p !== undefined);
      if (port !== undefined) peer = await sTime(port, secs);
    });
    if (!peer) throw new Error('no s_server instance was running at the end of the fuzz run');
    report({
      name: 'fuzz/openssl',
      what: `fuzz --target openssl --role server (tls13 + tls12) --seed 1 --jobs ${jobs}: ${fuzzWhat(r.report, r.cpuS)}; openssl s_time -new against one of its s_server instances: ${peer.count} connections in ${peer.wallS.toFixed(1)} s`,
      ours: r.rate,
      peer: peer.rate,
      peerName: 'openssl s_time connections',
      unit: '/s',
      goal: 0.5,
      higherIsBetter: true,
    });
  });
}

function skip(name: string, reason: string): void {
  report({ name, what: '', ours: NaN, unit: '', goal: NaN, higherIsBetter: true, skipped: reason });
}

async function guarded(name: string, fn: () => Promise<void>): Promise<void> {
  try {
    await fn();
  } catch (e) {
    report({ name, what: '', ours: NaN, unit: '', goal: NaN, higherIsBetter: true, skipped: `failed: ${(e instanceof Error ? e.message : String(e)).trim().split('\n')[0]}` });
  }
}

function killChildren(): void {
  for (const c of children) c.kill('SIGKILL');
}
process.on('exit', killChildren);
for (const sig of ['SIGINT', 'SIGTERM'] as const)
  process.on(sig, () => {
    killChildren();
    process.exit(130);
  });

// The child commands (serve, run) start from dist/ when it is fresh and through tsx otherwise: measure what a
// user runs after `npm ci`, the compiled build.
{
  const build = checkBuild(root);
  if (!build.fresh) {
    process.stdout.write(`dist/ is not current (${build.reason}): npm run build\n`);
    const r = spawnSync(process.execPath, [join(root, 'bin', 'build.js')], { stdio: 'inherit' });
    if (r.status !== 0) process.stdout.write('the build failed: the child commands run from the sources (slower start)\n');
  }
}
process.stdout.write(`BENCH_SECONDS=${seconds}${only.length ? ` BENCH_ONLY=${only.join(',')}` : ''}\n`);
await guarded('handshake', handshakes);
await guarded('aead', aead);
await guarded('serve', serve);
await guarded('suite', suite);
await guarded('jobs', jobs);
await guarded('fuzz', fuzzBench);
process.stdout.write('\n' + formatTable(results) + '\n');
if (process.env.BENCH_JSON) writeFileSync(process.env.BENCH_JSON, `${JSON.stringify({ seconds, results }, null, 2)}\n`);
killChildren();
process.exit(0);
