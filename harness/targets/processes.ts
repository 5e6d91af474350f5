/**
 * Child processes of targets: spawned in their own process group, registered so that none outlives the
 * harness (killed on stop(), on process exit and on SIGINT / SIGTERM), with the last lines of their output
 * kept for crash reports. Also: is a TCP port listening (from /proc/net/tcp{,6}, not by connecting), is a
 * binary on PATH.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { delimiter, isAbsolute, join } from 'node:path';
import { portRange, type PortRange } from '../../implementations/reference/connection/ports.ts';
import { UsageError } from '../errors.ts';

const TAIL_LINES = 20;

export interface ExitInfo {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface SpawnOptions {
  /** 'close': stdin is a pipe ended at once (EOF); 'keep': a pipe held open until the process ends. */
  stdin: 'close' | 'keep';
  env?: Record<string, string>;
  cwd?: string;
  /** Called with each complete line of stdout / stderr. */
  onLine?: (stream: 'stdout' | 'stderr', line: string) => void;
}

/** Every live process group we started, by leader pid. */
const live = new Map<number, ManagedProcess>();
/** Temporary directories of targets, removed at exit if stop() did not run. */
const tempDirs = new Set<string>();
let hooksInstalled = false;

export function registerTempDir(dir: string): void {
  installHooks();
  tempDirs.add(dir);
}

export function removeTempDir(dir: string): void {
  tempDirs.delete(dir);
  rmSync(dir, { recursive: true, force: true });
}

/** Synchronous last-moment cleanup: SIGKILL every group, remove temporary directories. */
function cleanupNow(): void {
  for (const p of live.values()) {
    p.expectExit();
    killGroup(p.pid, 'SIGKILL');
  }
  for (const d of tempDirs) rmSync(d, { recursive: true, force: true });
  tempDirs.clear();
}

function killGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    /* ESRCH: already gone */
  }
}

function installHooks(): void {
  if (hooksInstalled) return;
  hooksInstalled = true;
  // 'exit' handlers must be synchronous: SIGKILL, which needs no waiting.
  process.on('exit', cleanupNow);
  // SIGHUP too (the terminal closed, or `npx` was stopped: see bin/tls-harness.js): its default action ends
  // the process without 'exit' handlers, which would leave every target process running.
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    const handler = () => {
      cleanupNow();
      // If nobody else handles the signal, keep its default meaning (terminate) once our children are gone.
      if (process.listenerCount(sig) === 1) {
        process.off(sig, handler);
        process.kill(process.pid, sig);
      }
    };
    process.on(sig, handler);
  }
}

/** How many target processes are alive (for tests). */
export function liveProcessCount(): number {
  return live.size;
}

/** Is a process with this pid alive (and not a zombie)? */
export function pidAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state !== 'Z' && state !== 'X';
  } catch {
    return false;
  }
}

export class ManagedProcess {
  readonly child: ChildProcess;
  readonly pid: number;
  readonly label: string;
  readonly exited: Promise<ExitInfo>;
  /** Resolves when stdout and stderr are closed (after exit): every line has been seen. */
  readonly outputClosed: Promise<void>;
  exit: ExitInfo | undefined;
  /** Set before we signal it: its exit is then not a crash. */
  expected = false;
  private readonly tails = { stdout: [] as string[], stderr: [] as string[] };

  private constructor(child: ChildProcess, label: string, opts: SpawnOptions) {
    this.child = child;
    this.pid = child.pid!;
    this.label = label;
    this.exited = new Promise<ExitInfo>((resolve) => {
      child.once('exit', (code, signal) => {
        this.exit = { code, signal };
        live.delete(this.pid);
        // Stragglers of the group (children of a wrapper script) go with their leader.
        killGroup(this.pid, 'SIGKILL');
        resolve(this.exit);
      });
    });
    this.outputClosed = new Promise<void>((resolve) => child.once('close', () => resolve()));
    for (const name of ['stdout', 'stderr'] as const) {
      const stream = child[name]!;
      let partial = '';
      stream.setEncoding('utf8');
      stream.on('data', (chunk: string) => {
        const parts = (partial + chunk).split(/\r?\n/);
        partial = parts.pop()!;
        // A server that writes a lot without newlines must not grow memory without bound.
        if (partial.length > 4096) partial = partial.slice(-4096);
        for (const line of parts) this.pushLine(name, line, opts);
      });
      stream.on('end', () => {
        if (partial) this.pushLine(name, partial, opts);
        partial = '';
      });
    }
    if (opts.stdin === 'close') child.stdin?.end();
    child.stdin?.on('error', () => {});
  }

  private pushLine(name: 'stdout' | 'stderr', line: string, opts: SpawnOptions): void {
    const t = this.tails[name];
    t.push(line);
    if (t.length > TAIL_LINES) t.shift();
    opts.onLine?.(name, line);
  }

  /** Spawn `command` in a new process group; rejects if it cannot be started (ENOENT, EACCES). */
  static async spawn(command: string[], label: string, opts: SpawnOptions): Promise<ManagedProcess> {
    installHooks();
    const child = spawn(command[0], command.slice(1), {
      detached: true,
      stdio: ['pipe', 'pipe', 'pipe'],
      env: opts.env ? { ...process.env, ...opts.env } : process.env,
      cwd: opts.cwd,
    });
    await new Promise<void>((resolve, reject) => {
      child.once('spawn', resolve);
      child.once('error', (e) => reject(new Error(`cannot start ${label} (${command[0]}): ${(e as Error).message}`)));
    });
    const p = new ManagedProcess(child, label, opts);
    live.set(p.pid, p);
    return p;
  }

  get running(): boolean {
    return this.exit === undefined;
  }

  expectExit(): void {
    this.expected = true;
  }

  /** The last lines of stderr (or stdout when stderr is empty), for a crash report. */
  tail(n = 5): string {
    const lines = (this.tails.stderr.length > 0 ? this.tails.stderr : this.tails.stdout).filter((l) => l.trim() !== '');
    return lines.slice(-n).join(' | ');
  }

  /** `exited with code 1` / `killed by SIGSEGV`. */
  describeExit(): string {
    const e = this.exit;
    if (!e) return 'running';
    return e.signal ? `killed by ${e.signal}` : `exited with code ${e.code}`;
  }

  /**
   * SIGTERM, then SIGKILL after `graceMs`; resolves once the leader has exited and been reaped.
   *
   * The leader's descendants go first, while the leader is alive: a process is reaped by its parent, and a
   * child whose parent is gone is handed to init, which in some containers never reaps it (a zombie left
   * behind). So: SIGTERM to the descendants, SIGKILL to those still there after half the grace period,
   * until they are gone or zombies their parent can reap; then SIGTERM to the whole group, SIGKILL to it
   * after the grace period.
   */
  async terminate(graceMs: number): Promise<void> {
    this.expected = true;
    if (!this.running) {
      killGroup(this.pid, 'SIGKILL');
      return;
    }
    const descendants = descendantsOf(this.pid);
    if (descendants.length > 0) {
      for (const d of descendants) signalPid(d, 'SIGTERM');
      if (!(await waitUntil(() => descendants.every((d) => !pidAlive(d)), graceMs / 2))) {
        for (const d of descendants) signalPid(d, 'SIGKILL');
        await waitUntil(() => descendants.every((d) => !pidAlive(d)), 500);
      }
      // Give the leader a moment to reap them (a shell's `wait`, node's own child handling).
      await waitUntil(() => descendants.every((d) => !pidExists(d)) || !this.running, 100);
    }
    if (!this.running) {
      killGroup(this.pid, 'SIGKILL');
      return;
    }
    killGroup(this.pid, 'SIGTERM');
    let timer: NodeJS.Timeout | undefined;
    const killed = await Promise.race([
      this.exited.then(() => false),
      new Promise<boolean>((r) => (timer = setTimeout(() => r(true), graceMs))),
    ]);
    clearTimeout(timer);
    if (killed) {
      // Descendants started since (or that survived) first, then the leader.
      for (const d of descendantsOf(this.pid)) signalPid(d, 'SIGKILL');
      killGroup(this.pid, 'SIGKILL');
    }
    await this.exited;
    killGroup(this.pid, 'SIGKILL');
  }
}

function signalPid(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch {
    /* ESRCH: already gone */
  }
}

/** Does /proc have this pid at all (a zombie included)? */
export function pidExists(pid: number): boolean {
  try {
    statSync(`/proc/${pid}`);
    return true;
  } catch {
    return false;
  }
}

async function waitUntil(cond: () => boolean, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  for (;;) {
    if (cond()) return true;
    if (Date.now() >= end) return false;
    await new Promise((r) => setTimeout(r, 10));
  }
}

/**
 * Live descendants of `pid` and members of its process group (from /proc: parent and group of every
 * process), deepest first. Empty where /proc is missing.
 */
export function descendantsOf(pid: number): number[] {
  const info = new Map<number, { ppid: number; pgrp: number }>();
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return [];
  }
  for (const e of entries) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const stat = readFileSync(`/proc/${e}/stat`, 'utf8');
      const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (rest[0] === 'Z' || rest[0] === 'X') continue;
      info.set(Number(e), { ppid: Number(rest[1]), pgrp: Number(rest[2]) });
    } catch {
      /* gone meanwhile */
    }
  }
  const depth = new Map<number, number>();
  const depthOf = (p: number, seen = 0): number => {
    if (p === pid) return 0;
    const known = depth.get(p);
    if (known !== undefined) return known;
    const i = info.get(p);
    const d = !i || i.ppid <= 1 || seen > 64 ? -1 : ((x) => (x < 0 ? -1 : x + 1))(depthOf(i.ppid, seen + 1));
    depth.set(p, d);
    return d;
  };
  const out: { pid: number; depth: number }[] = [];
  for (const [p, i] of info) {
    if (p === pid) continue;
    const d = depthOf(p);
    if (d > 0 || i.pgrp === pid) out.push({ pid: p, depth: d > 0 ? d : 1 });
  }
  return out.sort((a, b) => b.depth - a.depth).map((x) => x.pid);
}

// ---------------------------------------------------------------------------------------------------------
// Ports

/** Local ports in use (any state) and listening, from /proc/net/tcp and tcp6. */
function readProcNetTcp(): { used: Set<number>; listening: Set<number> } {
  const used = new Set<number>();
  const listening = new Set<number>();
  for (const f of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text: string;
    try {
      text = readFileSync(f, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/);
      if (cols.length < 4) continue;
      const port = parseInt(cols[1].split(':')[1], 16);
      used.add(port);
      if (cols[3] === '0A') listening.add(port);
    }
  }
  return { used, listening };
}

export function portListening(port: number): boolean {
  return readProcNetTcp().listening.has(port);
}

/**
 * A port that no socket uses right now (the server we start then binds it): in `range`, default the
 * run's range (20000-32767, or what `run --ports` / a config's `ports:` set). Ports are tried in random
 * order, every one of a small range; throws when all are in use.
 */
export function freeLowPort(range: PortRange = portRange()): number {
  const { used } = readProcNetTcp();
  const size = range.max - range.min + 1;
  const start = Math.floor(Math.random() * size);
  // A random start, then a stride coprime with the size: every port once, in an order that differs per call.
  const stride = size > 2 ? [7919, 104729, 1299709].find((p) => size % p !== 0)! % size || 1 : 1;
  for (let i = 0; i < Math.min(size, 5000); i++) {
    const p = range.min + ((start + i * stride) % size);
    if (!used.has(p)) return p;
  }
  throw new Error(`no free port in ${range.min}-${range.max} (every one is in use)`);
}

/**
 * `20000-20999` (or one port, `20000`) -> a range; what a user typed, so mistakes are UsageErrors naming
 * `what` (`--ports`, `file:line:col: ports`). Ports below 1024 need privileges; they are refused.
 */
export function parsePortRange(text: string, what: string): PortRange {
  const m = /^\s*(\d{1,5})\s*(?:-\s*(\d{1,5})\s*)?$/.exec(text);
  if (!m) throw new UsageError(`${what}: expected a port range such as 20000-20999, got '${text}'`);
  const min = Number(m[1]);
  const max = m[2] === undefined ? min : Number(m[2]);
  if (min < 1024 || max > 65535) throw new UsageError(`${what}: ports must be in 1024-65535, got '${text}'`);
  if (min > max) throw new UsageError(`${what}: the range '${text}' is empty (the first port is above the last)`);
  return { min, max };
}

// ---------------------------------------------------------------------------------------------------------
// Binaries

/** The path of an executable, searched on PATH unless absolute or relative with a slash; undefined if none. */
export function findBinary(name: string): string | undefined {
  const candidates = isAbsolute(name) || name.includes('/') ? [name] : (process.env.PATH ?? '').split(delimiter).filter(Boolean).map((d) => join(d, name));
  for (const c of candidates) {
    try {
      if (!statSync(c).isFile()) continue;
      accessSync(c, constants.X_OK);
      return c;
    } catch {
      /* next */
    }
  }
  return undefined;
}
