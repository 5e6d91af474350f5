/**
 * Child processes of targets: spawned in their own process group, registered so that none outlives the
 * harness (killed on stop(), on process exit and on SIGINT / SIGTERM), with the last lines of their output
 * kept for crash reports. Also: is a TCP port listening (from /proc/net/tcp{,6}, not by connecting), is a
 * binary on PATH.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants, readFileSync, rmSync, statSync } from 'node:fs';
import { delimiter, isAbsolute, join } from 'node:path';
import { randomLowPort } from '../../implementations/reference/connection/ports.ts';

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
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
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

  /** SIGTERM to the process group, SIGKILL after `graceMs`; resolves once the leader has exited. */
  async terminate(graceMs: number): Promise<void> {
    this.expected = true;
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
    if (killed) killGroup(this.pid, 'SIGKILL');
    await this.exited;
    killGroup(this.pid, 'SIGKILL');
  }
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

/** A port below 32768 that no socket uses right now (the server we start then binds it). */
export function freeLowPort(): number {
  const { used } = readProcNetTcp();
  for (let i = 0; i < 200; i++) {
    const p = randomLowPort();
    if (!used.has(p)) return p;
  }
  return randomLowPort();
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
