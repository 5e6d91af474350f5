/**
 * Helpers for the target adapter tests: node:tls endpoints with the test PKI, and waiting for conditions.
 */
import * as tls from 'node:tls';
import { createServer, type Server, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { readFileSync } from 'node:fs';
import { TEST_PKI } from '../../implementations/reference/connection/testing.ts';
import { listenOnLowPort } from '../../implementations/reference/connection/ports.ts';

export const CA = readFileSync(TEST_PKI.path('ca.pem'));
export const P256 = {
  cert: Buffer.concat([readFileSync(TEST_PKI.path('server-p256.pem')), CA]),
  key: readFileSync(TEST_PKI.path('server-p256.key')),
};

/** A TLS handshake as a node:tls client over an existing stream; resolves with what was negotiated. */
export function handshakeOver(stream: Duplex, opts: tls.ConnectionOptions = {}): Promise<{ socket: tls.TLSSocket; protocol: string | null; authorized: boolean }> {
  return new Promise((resolve, reject) => {
    const socket = tls.connect({ socket: stream, servername: 'localhost', ca: CA, ...opts });
    socket.once('secureConnect', () => resolve({ socket, protocol: socket.getProtocol(), authorized: socket.authorized }));
    socket.once('error', reject);
  });
}

/** A node:tls server with the test P-256 leaf; records its connections. */
export async function tlsListener(opts: tls.TlsOptions = {}): Promise<{
  server: tls.Server;
  port: number;
  secure: tls.TLSSocket[];
  next(): Promise<tls.TLSSocket>;
  close(): Promise<void>;
}> {
  const secure: tls.TLSSocket[] = [];
  const waiters: ((s: tls.TLSSocket) => void)[] = [];
  const raw = new Set<Socket>();
  const server = tls.createServer({ ...P256, ...opts });
  server.on('connection', (s: Socket) => {
    raw.add(s);
    s.on('close', () => raw.delete(s));
  });
  server.on('secureConnection', (s) => {
    s.on('error', () => {});
    secure.push(s);
    waiters.shift()?.(s);
  });
  server.on('tlsClientError', () => {});
  const port = await listenOnLowPort(server);
  let seen = 0;
  return {
    server,
    port,
    secure,
    next: () => (seen < secure.length ? Promise.resolve(secure[seen++]) : new Promise((r) => waiters.push((s) => (seen++, r(s))))),
    close: () => {
      for (const s of raw) s.destroy();
      return new Promise((r) => server.close(() => r()));
    },
  };
}

/** A plain TCP listener that keeps the first bytes of each connection. */
export async function rawListener(): Promise<{ server: Server; port: number; firstBytes(): Promise<Buffer>; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  let resolveFirst!: (b: Buffer) => void;
  const first = new Promise<Buffer>((r) => (resolveFirst = r));
  const server = createServer((s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => {});
    s.once('data', (d: Buffer) => resolveFirst(d));
  });
  const port = await listenOnLowPort(server);
  return {
    server,
    port,
    firstBytes: () => first,
    close: () => {
      for (const s of sockets) s.destroy();
      return new Promise((r) => server.close(() => r()));
    },
  };
}

export async function waitFor(cond: () => boolean, timeoutMs = 5000, what = 'condition'): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

export function ctx(caseId: string, listen?: { host: string; port: number }) {
  return { caseId, listen, signal: new AbortController().signal };
}

/** The smallest `capabilities:` section a target config may have (server role, one of each), for config tests. */
export const MINIMAL_CAPABILITIES_YAML = `capabilities:
  roles: [server]
  versions: [tls13]
  cipher_suites: [TLS_AES_128_GCM_SHA256]
  groups: [x25519]
  signature_schemes: [ecdsa_secp256r1_sha256]
`;
