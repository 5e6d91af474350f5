/**
 * `tls-harness targets` and `tls-harness install`: is a target installed (its config's `install.check`,
 * or the programs it needs on PATH), and its install step (Debian packages, then build commands, then the
 * check again).
 *
 * Every command goes through a CommandRunner, so tests script the results (and see the argument vectors)
 * instead of running apt-get; `systemRunner` runs them for real, each in its own process group (registered
 * in processes.ts: none outlives the harness) and stopped after the config's `install.timeout_s`.
 */
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { UsageError } from '../errors.ts';
import { expandTemplate } from './process.ts';
import { ManagedProcess, findBinary } from './processes.ts';
import { listTargetNames, loadTargetConfig, parseTargetConfig, unavailableReason, type InstallSpec, type TargetConfig } from './config.ts';

/** How many lines of a command's output are kept (the last ones), for failure messages. */
export const OUTPUT_LINES = 30;
/** How many of them a failure shows. */
export const FAILURE_LINES = 8;
/** A check should answer at once; it is bounded by this (or timeout_s when shorter). */
export const CHECK_TIMEOUT_MS = 30_000;

export interface RunOptions {
  cwd: string;
  timeoutMs: number;
  env?: Record<string, string>;
}

export interface RunResult {
  /** The exit code, null when killed or not started. */
  code: number | null;
  signal?: string | null;
  /** Stopped after RunOptions.timeoutMs. */
  timedOut?: boolean;
  /** It could not be started (ENOENT: not installed). */
  error?: string;
  /** Its output, stdout and stderr as they came, the last OUTPUT_LINES lines. */
  output: string[];
  /** The first non-empty line of stdout, when it wrote one (a version). */
  firstStdout?: string;
}

export type CommandRunner = (argv: string[], opts: RunOptions) => Promise<RunResult>;

/** Runs a command for real, in its own process group; stopped (SIGTERM, then SIGKILL) after the timeout. */
export const systemRunner: CommandRunner = async (argv, opts) => {
  const output: string[] = [];
  let firstStdout: string | undefined;
  let proc: ManagedProcess;
  try {
    proc = await ManagedProcess.spawn(argv, argv[0], {
      stdin: 'close',
      cwd: opts.cwd,
      env: opts.env,
      onLine: (stream, line) => {
        if (stream === 'stdout' && firstStdout === undefined && line.trim() !== '') firstStdout = line.trim();
        output.push(line);
        if (output.length > OUTPUT_LINES) output.shift();
      },
    });
  } catch (e) {
    const code = /\b(E[A-Z]+)\b/.exec((e as Error).message)?.[1];
    return { code: null, error: code === 'ENOENT' ? 'not found' : ((e as Error).message.split(': ').pop() ?? String(e)), output: [] };
  }
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    void proc.terminate(5_000);
  }, opts.timeoutMs);
  const exit = await proc.exited;
  clearTimeout(timer);
  await Promise.race([proc.outputClosed, new Promise((r) => setTimeout(r, 1_000).unref())]);
  return { code: exit.code, signal: exit.signal, timedOut, output, ...(firstStdout !== undefined ? { firstStdout } : {}) };
};

/** What `targets` shows for one target. */
export interface TargetStatus {
  name: string;
  kind: string;
  roles: string[];
  installed: boolean;
  /** From the check's output; null without a check or when not installed. */
  version: string | null;
  description: string;
  file: string;
  /** Why it is not installed. */
  reason?: string;
}

/** The config's folder: {dir}, and where build and check commands run. */
export function configDir(cfg: TargetConfig): string {
  return dirname(resolve(cfg.file));
}

function expand(argv: string[], dir: string): string[] {
  return argv.map((a) => expandTemplate(a, () => dir));
}

/** A command as a user would type it (for step lines): arguments with spaces or quotes are quoted. */
export function shellWords(argv: string[]): string {
  return argv.map((a) => (a === '' || /[\s"'\\$`*?;&|<>()]/.test(a) ? `'${a.replace(/'/g, `'\\''`)}'` : a)).join(' ');
}

/** `exited with code 1`, `stopped after 600 s`, `could not start: not found`. */
export function describeResult(r: RunResult, timeoutMs: number): string {
  if (r.error !== undefined) return `could not start: ${r.error}`;
  if (r.timedOut) return `stopped after ${Math.round(timeoutMs / 1000)} s (install.timeout_s)`;
  if (r.code !== null) return `exited with code ${r.code}`;
  return `killed by ${r.signal ?? 'a signal'}`;
}

/** The first non-empty line of a check's output: stdout first (`java -version` writes to stderr). */
export function versionOf(r: RunResult): string | null {
  const line = r.firstStdout ?? r.output.find((l) => l.trim() !== '');
  return line === undefined ? null : line.trim();
}

function checkTimeout(spec: InstallSpec): number {
  return Math.min(spec.timeout_s * 1000, CHECK_TIMEOUT_MS);
}

/** Installed or not (the check, then the programs the config needs), and the version the check prints. */
export async function targetStatus(cfg: TargetConfig, runner: CommandRunner): Promise<TargetStatus> {
  const base = {
    name: cfg.name,
    kind: cfg.kind,
    roles: [...cfg.capabilities.roles],
    description: cfg.description ?? '',
    file: cfg.file,
  };
  let version: string | null = null;
  const check = cfg.install?.check;
  if (check) {
    const dir = configDir(cfg);
    const argv = expand(check, dir);
    const timeoutMs = checkTimeout(cfg.install!);
    const r = await runner(argv, { cwd: dir, timeoutMs });
    if (r.code !== 0) {
      const last = r.output.filter((l) => l.trim() !== '').slice(-1)[0];
      return { ...base, installed: false, version: null, reason: `check '${shellWords(argv)}' ${describeResult(r, timeoutMs)}${last ? `: ${last.trim()}` : ''}` };
    }
    version = versionOf(r);
  }
  const missing = unavailableReason(cfg);
  if (missing) return { ...base, installed: false, version: null, reason: missing.replace(/^target '[^']*' is unavailable: /, '') };
  return { ...base, installed: true, version };
}

export interface InstallEnvironment {
  runner: CommandRunner;
  /** Running as root: apt-get directly; otherwise through `sudo -n` when sudo exists. */
  isRoot: boolean;
  hasSudo: boolean;
  /** Where step lines go (stdout). */
  out: (text: string) => void;
  /** Where failures go (stderr). */
  err: (text: string) => void;
  /** For durations (injected in tests). */
  now?: () => number;
}

/** The real environment: this process's user, sudo on PATH, stdout / stderr. */
export function systemEnvironment(): InstallEnvironment {
  return {
    runner: systemRunner,
    isRoot: process.getuid?.() === 0,
    hasSudo: findBinary('sudo') !== undefined,
    out: (t) => process.stdout.write(t),
    err: (t) => process.stderr.write(t),
  };
}

/** Shared by the targets of one `install` run: `apt-get update` runs at most once. */
interface InstallSession {
  aptUpdated: boolean;
}

export type InstallOutcome = 'already' | 'installed' | 'failed';

class StepFailure extends Error {}

/** How long apt-get waits for the dpkg lock of another apt-get or dpkg. */
export const APT_LOCK_WAIT_S = 60;

/** apt-get's words for a package it does not know (its lists are empty or old): `apt-get update` helps. */
const APT_NOT_FOUND = /Unable to locate package|has no installation candidate|Couldn't find any package|is not available, but is referred to/;

/**
 * Install the targets, one after the other: each already installed is skipped (and says so); for the
 * others the packages, the build commands, then the check. One line per step on `out`; a step that fails
 * is one line on `err` naming the target and the step, then the last lines of its output, and the next
 * target goes on. Returns each target's outcome.
 */
export async function installTargets(cfgs: TargetConfig[], env: InstallEnvironment): Promise<Map<string, InstallOutcome>> {
  const session: InstallSession = { aptUpdated: false };
  const outcomes = new Map<string, InstallOutcome>();
  for (const cfg of cfgs) outcomes.set(cfg.name, await installOne(cfg, env, session));
  return outcomes;
}

async function installOne(cfg: TargetConfig, env: InstallEnvironment, session: InstallSession): Promise<InstallOutcome> {
  const now = env.now ?? (() => performance.now());
  const before = await targetStatus(cfg, env.runner);
  if (before.installed) {
    env.out(`${cfg.name}: already installed${before.version ? ` (${before.version})` : ''}\n`);
    return 'already';
  }
  const spec = cfg.install;
  if (!spec || (spec.apt.length === 0 && spec.build.length === 0)) {
    const how = spec ? `${cfg.file}'s install section has no apt packages or build commands` : `${cfg.file} has no install section`;
    env.err(`tls-harness: install ${cfg.name}: not installed (${before.reason}) and ${how}: install it by hand\n`);
    return 'failed';
  }
  const dir = configDir(cfg);
  const timeoutMs = spec.timeout_s * 1000;

  /**
   * Runs one step: `name: what ... ok (1.2 s)`; a failure is `... failed` and the err line, then StepFailure.
   * `soft(r)` true: a failure the caller handles (`... not found`), returned instead.
   */
  const step = async (label: string, argv: string[], opts: { env?: Record<string, string>; soft?: (r: RunResult) => string | undefined } = {}) => {
    const shown = `${label}${label ? ': ' : ''}${shellWords(argv)}`;
    env.out(`${cfg.name}: ${shown} ... `);
    const t0 = now();
    const r = await env.runner(argv, { cwd: dir, timeoutMs, env: opts.env });
    const secs = ((now() - t0) / 1000).toFixed(1);
    if (r.code === 0) {
      env.out(`ok (${secs} s)\n`);
      return r;
    }
    const soft = opts.soft?.(r);
    if (soft !== undefined) {
      env.out(`${soft}\n`);
      return r;
    }
    env.out('failed\n');
    const tail = r.output.filter((l) => l.trim() !== '').slice(-FAILURE_LINES);
    env.err(`tls-harness: install ${cfg.name}: step '${shown}' ${describeResult(r, timeoutMs)}${tail.length ? '; its last lines:' : ' (no output)'}\n`);
    for (const l of tail) env.err(`  | ${l}\n`);
    throw new StepFailure();
  };

  try {
    if (spec.apt.length > 0) {
      if (!env.isRoot && !env.hasSudo) {
        env.err(`tls-harness: install ${cfg.name}: the packages (${spec.apt.join(' ')}) need apt-get as root: run as root, or install sudo\n`);
        return 'failed';
      }
      // Not root: `sudo -n`, which fails at once (with its reason) where it would ask for a password.
      const sudo = env.isRoot ? [] : ['sudo', '-n'];
      // noninteractive: no debconf question waits for an answer; C: apt's messages are matched below.
      const aptEnv = { DEBIAN_FRONTEND: 'noninteractive', LC_ALL: 'C' };
      // DPkg::Lock::Timeout: another apt-get or dpkg at work (a second install, unattended upgrades) is waited
      // for, up to a minute, instead of failing at once on its lock.
      const installArgv = [...sudo, 'apt-get', 'install', '-y', '--no-install-recommends', '-o', `DPkg::Lock::Timeout=${APT_LOCK_WAIT_S}`, ...spec.apt];
      // A package apt-get does not know: its lists may be empty or old, so `apt-get update` (once per run), then again.
      const notFound = (r: RunResult) =>
        !session.aptUpdated && r.output.some((l) => APT_NOT_FOUND.test(l)) ? 'package not found: the package lists may be old' : undefined;
      const first = await step('', installArgv, { env: aptEnv, soft: notFound });
      if (first.code !== 0) {
        session.aptUpdated = true;
        await step('', [...sudo, 'apt-get', 'update'], { env: aptEnv });
        await step('', installArgv, { env: aptEnv });
      }
    }
    for (const b of spec.build) await step('build', expand(b, dir));
    if (spec.check) await step('check', expand(spec.check, dir));
  } catch (e) {
    if (e instanceof StepFailure) return 'failed';
    throw e;
  }
  const after = await targetStatus(cfg, env.runner);
  if (!after.installed) {
    env.err(`tls-harness: install ${cfg.name}: every step passed, but it is still not installed: ${after.reason}\n`);
    return 'failed';
  }
  env.out(`${cfg.name}: installed${after.version ? ` (${after.version})` : ''}\n`);
  return 'installed';
}

/**
 * Every config in `dir` (`*.yaml`, `*.yml`), by name; those that do not load are in `errors` (UsageErrors,
 * file:line:col). `names`: every name, loaded or not. With builtinReference (default), a `reference`
 * config is made up when the folder has none (the built-in target is always there).
 */
export function loadAllTargetConfigs(dir: string, opts: { builtinReference?: boolean } = {}): { configs: TargetConfig[]; errors: UsageError[]; names: string[] } {
  const configs: TargetConfig[] = [];
  const errors: UsageError[] = [];
  const names = listTargetNames(dir);
  for (const name of names) {
    const file = [join(dir, `${name}.yaml`), join(dir, `${name}.yml`)].find((f) => existsSync(f));
    if (!file) {
      if (name === 'reference' && opts.builtinReference !== false)
        configs.push({ ...parseTargetConfig('kind: reference\ndescription: tls-harness reference client and server (in-process)\n', 'reference.yaml'), file: '(built in)' });
      continue;
    }
    try {
      configs.push(loadTargetConfig(file));
    } catch (e) {
      if (!(e instanceof UsageError)) throw e;
      errors.push(e);
    }
  }
  return { configs, errors, names };
}
