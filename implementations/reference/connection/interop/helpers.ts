/**
 * Shared by the interop tests (node:tls, openssl, curl): the test PKI paths, configs on the real clock
 * (the test certificates are valid now), a tiny HTTP-or-echo application for the reference server, and
 * starting external programs on ports below 32768.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { CipherSuite, NamedGroup } from '../../codec/enums.ts';
import { makeConfig, type EndpointConfig } from '../config.ts';
import { TEST_PKI } from '../testing.ts';
import { createTlsServer, type TlsListener, type TlsSocket } from '../tcp.ts';

export const SUITES = ['TLS_AES_128_GCM_SHA256', 'TLS_AES_256_GCM_SHA384', 'TLS_CHACHA20_POLY1305_SHA256'] as const;
/** Our group names, with OpenSSL's (and node's ecdhCurve) spelling. */
export const GROUPS = [
  ['x25519', 'X25519'],
  ['secp256r1', 'P-256'],
  ['secp384r1', 'P-384'],
  ['ffdhe2048', 'ffdhe2048'],
] as const;

export const suiteCode = (s: (typeof SUITES)[number]) => CipherSuite[s];
export const groupCode = (g: (typeof GROUPS)[number][0]) => NamedGroup[g];

export const PEM = {
  ca: TEST_PKI.path('ca.pem'),
  p256: [TEST_PKI.path('server-p256.pem'), TEST_PKI.path('server-p256.key')],
  rsa: [TEST_PKI.path('server-rsa2048.pem'), TEST_PKI.path('server-rsa2048.key')],
  ed25519: [TEST_PKI.path('server-ed25519.pem'), TEST_PKI.path('server-ed25519.key')],
  client: [TEST_PKI.path('client-p256.pem'), TEST_PKI.path('client-p256.key')],
} as const;
export const read = (p: string) => readFileSync(p);

/** The reference client, verifying against the test CA with the real clock. */
export function refClientConfig(partial: Partial<EndpointConfig> = {}): EndpointConfig {
  return makeConfig({ trustRoots: TEST_PKI.ca(), serverName: 'localhost', handshakeTimeoutMs: 5000, ...partial });
}

/** The reference server with all three key types, with the real clock. */
export function refServerConfig(partial: Partial<EndpointConfig> = {}): EndpointConfig {
  return makeConfig({
    certificates: [TEST_PKI.p256(), TEST_PKI.rsa(), TEST_PKI.ed25519()],
    trustRoots: TEST_PKI.ca(),
    handshakeTimeoutMs: 5000,
    ...partial,
  });
}

/**
 * A reference server whose connections answer a record starting `GET ` with a one-record HTTP/1.0 response naming the
 * negotiated suite and group (then close_notify), and echo anything else. Keeps every connection.
 */
export async function refServer(partial: Partial<EndpointConfig> = {}): Promise<{ listener: TlsListener; conns: TlsSocket[] }> {
  const conns: TlsSocket[] = [];
  const listener = createTlsServer(refServerConfig(partial), (t) => {
    conns.push(t);
    t.on('data', (d) => {
      const text = new TextDecoder().decode(d);
      if (text.startsWith('GET ')) {
        const s = t.summary!;
        t.write(`HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nreference server: suite=0x${s.cipherSuite.toString(16)} group=0x${(s.group ?? 0).toString(16)} resumed=${s.resumed}\n`);
        void t.close();
      } else {
        t.write(d);
      }
    });
  });
  await listener.listen(0, '127.0.0.1');
  return { listener, conns };
}

/** The connection whose peer used `localPort`, once it is known. */
export async function connFor(conns: TlsSocket[], remotePort: number | undefined, ms = 5000): Promise<TlsSocket> {
  const t0 = Date.now();
  for (;;) {
    const c = conns.find((x) => x.remotePort === remotePort);
    if (c) return c;
    if (Date.now() - t0 > ms) throw new Error(`no server connection from port ${remotePort}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** Whether a program can be run; the reason when not. */
export function probe(cmd: string, args: string[]): string | undefined {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: 10_000 });
  if (r.error) return `${cmd} not available (${(r.error as NodeJS.ErrnoException).code ?? r.error.message})`;
  return undefined;
}

/** A port from 20000-31999 (below the ephemeral range, see /work/shared/targets.md), varied per call. */
export function pickPort(base: number): number {
  return 20000 + ((base + process.pid * 7 + Math.floor(Math.random() * 1000)) % 12000);
}

export interface Program {
  proc: ChildProcess;
  port: number;
  stdout: () => string;
  stderr: () => string;
  stop(): Promise<void>;
}

/**
 * Start a server program on an explicit port, retrying on another port when that one is in use. `args(port)`
 * builds its arguments; readiness is `ready` appearing on stdout (or stderr).
 */
export async function startProgram(cmd: string, args: (port: number) => string[], ready: RegExp, base: number, attempts = 5): Promise<Program> {
  let lastErr = '';
  for (let i = 0; i < attempts; i++) {
    const port = pickPort(base + i * 131);
    const proc = spawn(cmd, args(port), { stdio: ['pipe', 'pipe', 'pipe'], detached: false });
    let out = '';
    let err = '';
    proc.stdout!.setEncoding('utf8').on('data', (d: string) => (out += d));
    proc.stderr!.setEncoding('utf8').on('data', (d: string) => (err += d));
    const exited = new Promise<void>((r) => proc.once('exit', () => r()));
    const ok = await new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(false), 10_000);
      const check = () => {
        if (ready.test(out) || ready.test(err)) {
          clearTimeout(timer);
          resolve(true);
        }
      };
      proc.stdout!.on('data', check);
      proc.stderr!.on('data', check);
      void exited.then(() => {
        clearTimeout(timer);
        resolve(false);
      });
    });
    if (ok) {
      return {
        proc,
        port,
        stdout: () => out,
        stderr: () => err,
        stop: async () => {
          if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGTERM');
          await exited;
        },
      };
    }
    if (proc.exitCode === null) proc.kill('SIGKILL');
    await exited;
    lastErr = `${cmd} on port ${port}: ${err.trim().split('\n').slice(-2).join(' | ')}`;
    if (!/in use|EADDRINUSE|bind/i.test(err)) break;
  }
  throw new Error(`could not start ${cmd}: ${lastErr}`);
}

/**
 * Run a client program to completion with `input` on stdin; killed after `ms`. With `holdStdinUntil`, stdin
 * stays open until stdout matches it (for clients that close the connection at stdin EOF).
 */
export function runProgram(
  cmd: string,
  args: string[],
  input: string,
  ms = 10_000,
  holdStdinUntil?: RegExp,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const p = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout.setEncoding('utf8').on('data', (d: string) => {
      stdout += d;
      if (holdStdinUntil && holdStdinUntil.test(stdout) && !p.stdin.writableEnded) p.stdin.end();
    });
    p.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    p.stdin.on('error', () => {});
    if (holdStdinUntil) p.stdin.write(input);
    else p.stdin.end(input);
    const timer = setTimeout(() => p.kill('SIGKILL'), ms);
    p.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}
