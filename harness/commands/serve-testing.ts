/**
 * For tests: run `tls-harness serve` as a child process, wait for its ready line, stop it with a signal.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const BIN = fileURLToPath(new URL('../../bin/tls-harness.js', import.meta.url));
export const CERTS = fileURLToPath(new URL('../../implementations/reference/certs/', import.meta.url));
export const cert = (f: string) => CERTS + f;

/** The three server key types, as serve flags. */
export const ALL_KEYS = [
  ...['--cert', cert('server-rsa2048.pem'), '--key', cert('server-rsa2048.key')],
  ...['--cert', cert('server-p256.pem'), '--key', cert('server-p256.key')],
  ...['--cert', cert('server-ed25519.pem'), '--key', cert('server-ed25519.key')],
];

export interface ServeProcess {
  proc: ChildProcess;
  port: number;
  stdout: string[];
  stderr: string[];
  /** Send a signal and resolve with the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
  /** Resolve with the first stderr line that contains `text`. */
  waitLine(text: string, ms?: number): Promise<string>;
}

export function startServe(args: string[], timeoutMs = 30_000): Promise<ServeProcess> {
  const proc = spawn(process.execPath, [BIN, 'serve', '--port', '0', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  const stdout: string[] = [];
  const stderr: string[] = [];
  let outBuf = '';
  let errBuf = '';
  const exited = new Promise<number | null>((r) => proc.once('exit', (code) => r(code)));
  const waiters: (() => void)[] = [];
  proc.stderr!.setEncoding('utf8').on('data', (d: string) => {
    errBuf += d;
    const parts = errBuf.split('\n');
    errBuf = parts.pop()!;
    stderr.push(...parts);
    for (const w of waiters.splice(0)) w();
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      proc.kill('SIGKILL');
      reject(new Error(`serve did not print its ready line within ${timeoutMs} ms: ${stderr.join(' | ')}`));
    }, timeoutMs);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`serve exited (${code}) before its ready line: ${[...stderr, errBuf].join(' | ')}`));
    });
    proc.stdout!.setEncoding('utf8').on('data', (d: string) => {
      outBuf += d;
      const parts = outBuf.split('\n');
      outBuf = parts.pop()!;
      stdout.push(...parts);
      const m = /^tls-harness serve: listening on 127\.0\.0\.1:(\d+) \(TLSv1\.[23](?:, TLSv1\.3)?\)$/.exec(stdout[0] ?? '');
      if (m && stdout.length === 1) {
        clearTimeout(timer);
        resolve({
          proc,
          port: Number(m[1]),
          stdout,
          stderr,
          stop: (signal = 'SIGTERM') => {
            if (proc.exitCode === null && proc.signalCode === null) proc.kill(signal);
            return exited;
          },
          waitLine: (text, ms = 10_000) =>
            new Promise((res, rej) => {
              const t = setTimeout(() => rej(new Error(`no stderr line with '${text}': ${stderr.join(' | ')}`)), ms);
              const check = () => {
                const line = stderr.find((l) => l.includes(text));
                if (line !== undefined) {
                  clearTimeout(t);
                  res(line);
                } else waiters.push(check);
              };
              check();
            }),
        });
      }
    });
  });
}

/**
 * Start several `serve` processes at once; if one fails to start, stop the others before rejecting, so that a
 * failed beforeAll leaves no process behind.
 */
export async function startServes(argsList: string[][]): Promise<ServeProcess[]> {
  const settled = await Promise.allSettled(argsList.map((args) => startServe(args)));
  const started = settled.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
  const failed = settled.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) {
    await Promise.all(started.map((s) => s.stop()));
    throw failed.reason;
  }
  return started;
}

/** Run the CLI to completion (for `connect` and usage errors). */
export function cli(...args: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** As `cli`, without blocking the event loop (needed when the server runs in this process). */
export function cliAsync(...args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    p.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    p.once('close', (code) => resolve({ code, stdout, stderr }));
  });
}
