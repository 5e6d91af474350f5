/**
 * Shared by the interop tests (node:tls, openssl, curl): the test PKI paths, configs on the real clock
 * (the test certificates are valid now), a tiny HTTP-or-echo application for the reference server, and
 * starting external programs on ports below 32768.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import * as tls from 'node:tls';
import { CipherSuite, NamedGroup, SignatureScheme } from '../../codec/enums.ts';
import { DUAL_CIPHER_SUITES, TLS13_CIPHER_SUITES, makeConfig, type EndpointConfig } from '../config.ts';
import { TEST_PKI } from '../testing.ts';
import { createTlsServer, type TlsListener, type TlsSocket } from '../tcp.ts';

/** Every TLS 1.3 suite of the reference (TLS13_CIPHER_SUITES); OpenSSL and node enable the two CCM ones only when asked. */
export const SUITES = ['TLS_AES_128_GCM_SHA256', 'TLS_AES_256_GCM_SHA384', 'TLS_CHACHA20_POLY1305_SHA256', 'TLS_AES_128_CCM_SHA256', 'TLS_AES_128_CCM_8_SHA256'] as const;
/** Every group of the reference (DEFAULT_GROUPS), with OpenSSL's (and node's ecdhCurve) spelling. */
export const GROUPS = [
  ['x25519', 'X25519'],
  ['secp256r1', 'P-256'],
  ['x448', 'X448'],
  ['secp384r1', 'P-384'],
  ['secp521r1', 'P-521'],
  ['ffdhe2048', 'ffdhe2048'],
  ['ffdhe3072', 'ffdhe3072'],
  ['ffdhe4096', 'ffdhe4096'],
  ['ffdhe6144', 'ffdhe6144'],
  ['ffdhe8192', 'ffdhe8192'],
] as const;
/** The elliptic-curve groups of GROUPS (TLS 1.2 ECDHE, RFC 8422 5.1.1) and the FFDHE ones (TLS 1.2 DHE, RFC 7919). */
export const EC_GROUPS = GROUPS.filter(([g]) => !g.startsWith('ffdhe'));
export const FF_GROUPS = GROUPS.filter(([g]) => g.startsWith('ffdhe'));

export const suiteCode = (s: (typeof SUITES)[number]) => CipherSuite[s];

/**
 * The TLS 1.2 suites of the interop matrix: IANA name, OpenSSL name, the server key type the suite needs
 * (RSA for RSA and (EC)DHE_RSA key exchange, P-256 for ECDHE_ECDSA), and whether it is a CBC suite (where
 * encrypt-then-MAC applies, RFC 7366).
 */
export const TLS12_SUITES = [
  ['TLS_RSA_WITH_AES_128_CBC_SHA', 'AES128-SHA', 'rsa'],
  ['TLS_RSA_WITH_AES_256_CBC_SHA', 'AES256-SHA', 'rsa'],
  ['TLS_RSA_WITH_AES_128_CBC_SHA256', 'AES128-SHA256', 'rsa'],
  ['TLS_RSA_WITH_AES_256_CBC_SHA256', 'AES256-SHA256', 'rsa'],
  ['TLS_RSA_WITH_AES_128_GCM_SHA256', 'AES128-GCM-SHA256', 'rsa'],
  ['TLS_RSA_WITH_AES_256_GCM_SHA384', 'AES256-GCM-SHA384', 'rsa'],
  ['TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256', 'ECDHE-ECDSA-AES128-GCM-SHA256', 'p256'],
  ['TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384', 'ECDHE-ECDSA-AES256-GCM-SHA384', 'p256'],
  ['TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256', 'ECDHE-ECDSA-CHACHA20-POLY1305', 'p256'],
  ['TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA', 'ECDHE-ECDSA-AES128-SHA', 'p256'],
  ['TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA', 'ECDHE-ECDSA-AES256-SHA', 'p256'],
  ['TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256', 'ECDHE-ECDSA-AES128-SHA256', 'p256'],
  ['TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384', 'ECDHE-ECDSA-AES256-SHA384', 'p256'],
  ['TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256', 'ECDHE-RSA-AES128-GCM-SHA256', 'rsa'],
  ['TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384', 'ECDHE-RSA-AES256-GCM-SHA384', 'rsa'],
  ['TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256', 'ECDHE-RSA-CHACHA20-POLY1305', 'rsa'],
  ['TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA', 'ECDHE-RSA-AES128-SHA', 'rsa'],
  ['TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA', 'ECDHE-RSA-AES256-SHA', 'rsa'],
  ['TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256', 'ECDHE-RSA-AES128-SHA256', 'rsa'],
  ['TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384', 'ECDHE-RSA-AES256-SHA384', 'rsa'],
  ['TLS_DHE_RSA_WITH_AES_128_GCM_SHA256', 'DHE-RSA-AES128-GCM-SHA256', 'rsa'],
  ['TLS_DHE_RSA_WITH_AES_256_GCM_SHA384', 'DHE-RSA-AES256-GCM-SHA384', 'rsa'],
  ['TLS_DHE_RSA_WITH_CHACHA20_POLY1305_SHA256', 'DHE-RSA-CHACHA20-POLY1305', 'rsa'],
  ['TLS_DHE_RSA_WITH_AES_128_CBC_SHA', 'DHE-RSA-AES128-SHA', 'rsa'],
  ['TLS_DHE_RSA_WITH_AES_256_CBC_SHA', 'DHE-RSA-AES256-SHA', 'rsa'],
  ['TLS_DHE_RSA_WITH_AES_128_CBC_SHA256', 'DHE-RSA-AES128-SHA256', 'rsa'],
  ['TLS_DHE_RSA_WITH_AES_256_CBC_SHA256', 'DHE-RSA-AES256-SHA256', 'rsa'],
] as const;
export type Tls12SuiteName = (typeof TLS12_SUITES)[number][0];
export const isCbc = (iana: string) => iana.includes('_CBC_');
/** Every OpenSSL name of TLS12_SUITES, as one cipher string (SECLEVEL 0: the RSA key exchange and SHA-1 MACs). */
export const TLS12_OPENSSL_CIPHERS = TLS12_SUITES.map(([, o]) => o).join(':') + ':@SECLEVEL=0';

/**
 * The suites of TLS12_SUITES that the local OpenSSL (`openssl ciphers -stdname`) does not offer, by IANA name;
 * undefined when openssl cannot be run.
 */
export function opensslMissingSuites(): Set<string> | undefined {
  const r = spawnSync('openssl', ['ciphers', '-stdname', TLS12_OPENSSL_CIPHERS], { encoding: 'utf8', timeout: 10_000 });
  if (r.error || r.status !== 0) return undefined;
  const offered = new Set(r.stdout.split('\n').map((l) => l.trim().split(/\s+/)[0]));
  return new Set(TLS12_SUITES.map(([iana]) => iana).filter((iana) => !offered.has(iana)));
}

/** Node's OpenSSL's TLS 1.2 suites (tls.getCiphers(), lowercase OpenSSL names) missing from TLS12_SUITES, by IANA name. */
export function nodeMissingSuites(available: string[]): Set<string> {
  const have = new Set(available.map((c) => c.toUpperCase()));
  return new Set(TLS12_SUITES.filter(([, o]) => !have.has(o)).map(([iana]) => iana));
}
export const groupCode = (g: (typeof GROUPS)[number][0]) => NamedGroup[g];

export const PEM = {
  ca: TEST_PKI.path('ca.pem'),
  p256: [TEST_PKI.path('server-p256.pem'), TEST_PKI.path('server-p256.key')],
  rsa: [TEST_PKI.path('server-rsa2048.pem'), TEST_PKI.path('server-rsa2048.key')],
  ed25519: [TEST_PKI.path('server-ed25519.pem'), TEST_PKI.path('server-ed25519.key')],
  p384: [TEST_PKI.path('server-p384.pem'), TEST_PKI.path('server-p384.key')],
  p521: [TEST_PKI.path('server-p521.pem'), TEST_PKI.path('server-p521.key')],
  ed448: [TEST_PKI.path('server-ed448.pem'), TEST_PKI.path('server-ed448.key')],
  client: [TEST_PKI.path('client-p256.pem'), TEST_PKI.path('client-p256.key')],
} as const;
export const read = (p: string) => readFileSync(p);

/** The reference client, verifying against the test CA with the real clock. */
export function refClientConfig(partial: Partial<EndpointConfig> = {}): EndpointConfig {
  return makeConfig({ trustRoots: TEST_PKI.ca(), serverName: 'localhost', handshakeTimeoutMs: 5000, ...partial });
}

/**
 * The reference server with every key type, with the real clock: P-256, RSA and Ed25519 first (the first that
 * fits the client's signature_algorithms is used), then P-384, P-521 and Ed448 for clients that ask for them.
 */
/**
 * A TLS 1.2 reference server with a P-256 certificate that requires a client certificate and lists ECDSA only
 * with SHA-384 in its CertificateRequest: a P-256 client must sign with SHA-384 (RFC 5246 7.4.1.4.1 pairs).
 */
export const SHA384_ONLY_CLIENT_AUTH: Partial<EndpointConfig> = {
  cipherSuites: DUAL_CIPHER_SUITES,
  certificates: [TEST_PKI.p256()],
  requestClientCert: true,
  requireClientCert: true,
  signatureSchemes: [SignatureScheme.ecdsa_secp384r1_sha384, SignatureScheme.rsa_pss_rsae_sha256],
};

export function refServerConfig(partial: Partial<EndpointConfig> = {}): EndpointConfig {
  return makeConfig({
    certificates: [TEST_PKI.p256(), TEST_PKI.rsa(), TEST_PKI.ed25519(), TEST_PKI.p384(), TEST_PKI.p521(), TEST_PKI.ed448()],
    // Every TLS 1.3 suite, TLS_AES_128_CCM_8_SHA256 included (off in DEFAULT_CIPHER_SUITES).
    cipherSuites: TLS13_CIPHER_SUITES,
    trustRoots: TEST_PKI.ca(),
    handshakeTimeoutMs: 5000,
    ...partial,
  });
}

/**
 * A reference server whose connections answer a record starting `GET ` with a one-record HTTP/1.0 response naming the
 * negotiated suite, group, resumption and version (TLS 1.2: also EMS and EtM) (then close_notify), and echo anything else. Keeps every connection.
 */
export async function refServer(partial: Partial<EndpointConfig> = {}): Promise<{ listener: TlsListener; conns: TlsSocket[] }> {
  const conns: TlsSocket[] = [];
  const listener = createTlsServer(refServerConfig(partial), (t) => {
    conns.push(t);
    t.on('data', (d) => {
      const text = new TextDecoder().decode(d);
      if (text.startsWith('GET ')) {
        const s = t.summary!;
        const tls12 = s.version === 'TLSv1.2' ? ` ems=${s.extendedMasterSecret} etm=${s.encryptThenMac}` : '';
        t.write(`HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nreference server: suite=0x${s.cipherSuite.toString(16)} group=0x${(s.group ?? 0).toString(16)} resumed=${s.resumed} version=${s.version}${tls12}\n`);
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

// ---- node:tls clients ------------------------------------------------------------------------------------

/** A node:tls client connected to the reference server on `port` (trusting the test CA), once its handshake is done. */
export function connectNode(port: number, opts: tls.ConnectionOptions): Promise<tls.TLSSocket> {
  return new Promise((resolve, reject) => {
    const s = tls.connect({ host: '127.0.0.1', port, servername: 'localhost', ca: read(PEM.ca), ...opts }, () => resolve(s));
    s.once('error', reject);
  });
}

/** The text a node:tls socket receives, once `predicate` holds for all of it. */
export function nodeRead(s: tls.TLSSocket, predicate: (all: string) => boolean): Promise<string> {
  return new Promise((resolve, reject) => {
    let all = '';
    const on = (d: Buffer) => {
      all += d.toString();
      if (predicate(all)) {
        s.off('data', on);
        resolve(all);
      }
    };
    s.on('data', on);
    s.once('error', reject);
  });
}
