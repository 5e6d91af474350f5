/**
 * Hostile TLS "servers" for testing the harness's limits (README, "Reliability"): each accepts TCP
 * connections on 127.0.0.1 and misbehaves in one way, the same way on every connection.
 *
 *   flood     after the client's first bytes, streams valid-looking handshake records (content type 22,
 *             version 0x0303, 16 KiB each) carrying one endless Certificate message after another
 *             (each announced as 16 MiB long), `bytes` per connection (default 100 MB)
 *   ccs       after the client's first bytes, streams ChangeCipherSpec records (14 03 03 00 01 01) without end
 *   garbage   after the client's first bytes, answers 4 KiB of random bytes and closes (seeded by the
 *             connection's number: different on each connection, the same on every run)
 *   reset     resets every connection (TCP RST) as soon as it is accepted
 *   hang      accepts, reads, never answers
 *
 * As a program (the measurements in the README were made this way):
 *
 *   node --import tsx harness/testing/hostile-server.ts MODE [PORT] [BYTES]
 *   node bin/tls-harness.js run --target tcp://127.0.0.1:PORT --no-probe --versions tls13,tls12 --timeout 1000
 *
 * It prints `hostile-server MODE listening on 127.0.0.1:PORT` and runs until SIGINT/SIGTERM.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { fileURLToPath } from 'node:url';

export type HostileMode = 'flood' | 'ccs' | 'garbage' | 'reset' | 'hang';
export const HOSTILE_MODES: readonly HostileMode[] = ['flood', 'ccs', 'garbage', 'reset', 'hang'];

export interface HostileOptions {
  /** flood: bytes per connection (default 100 MB). */
  bytes?: number;
  /** Port to listen on (default 0: any free port). */
  port?: number;
}

export interface HostileServer {
  server: Server;
  port: number;
  /** Connections accepted so far. */
  readonly connections: number;
  /** Bytes written to clients so far. */
  readonly bytesSent: number;
  close(): Promise<void>;
}

/** A deterministic byte generator (xorshift32), so garbage is the same on every run. */
function pseudoRandom(n: number, seed = 0x2545f491): Buffer {
  const out = Buffer.alloc(n);
  let x = seed;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

const RECORD = 16384;

/** flood: 16 KiB handshake records; every 1024th record (16 MiB) starts another Certificate message header. */
function floodRecord(index: number): Buffer {
  const rec = Buffer.alloc(5 + RECORD, 0x41);
  rec.set([22, 3, 3, RECORD >> 8, RECORD & 0xff]);
  if (index % 1024 === 0) rec.set([11, 0xff, 0xff, 0xfc], 5); // Certificate, length 2^24 - 4
  return rec;
}

const CCS = Buffer.from([20, 3, 3, 0, 1, 1]);

export async function startHostileServer(mode: HostileMode, opts: HostileOptions = {}): Promise<HostileServer> {
  const sockets = new Set<Socket>();
  let connections = 0;
  let bytesSent = 0;
  const floodBytes = opts.bytes ?? 100_000_000;

  /** Writes chunks from `next` while the socket drains, until `next` returns undefined or the socket goes. */
  const stream = (s: Socket, next: () => Buffer | undefined) => {
    const go = () => {
      for (;;) {
        if (s.destroyed) return;
        const b = next();
        if (!b) {
          s.end();
          return;
        }
        bytesSent += b.length;
        if (!s.write(b)) {
          s.once('drain', go);
          return;
        }
      }
    };
    go();
  };

  const server = createServer((s) => {
    connections++;
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => undefined);
    switch (mode) {
      case 'reset':
        s.resetAndDestroy();
        return;
      case 'hang':
        s.resume();
        return;
      case 'garbage':
        s.once('data', () => {
          // Different bytes on each connection (seeded by its number): the same sequence on every run.
          const g = pseudoRandom(4096, 0x2545f491 + connections * 7919);
          bytesSent += g.length;
          s.end(g);
        });
        return;
      case 'ccs': {
        const batch = Buffer.concat(Array.from({ length: 1024 }, () => CCS));
        s.once('data', () => stream(s, () => batch));
        s.resume();
        return;
      }
      case 'flood': {
        let i = 0;
        let sent = 0;
        s.once('data', () =>
          stream(s, () => {
            if (sent >= floodBytes) return undefined;
            const r = floodRecord(i++);
            sent += r.length;
            return r;
          }),
        );
        s.resume();
        return;
      }
    }
  });
  server.on('error', () => undefined);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, '127.0.0.1', () => resolve());
  });
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  return {
    server,
    port,
    get connections() {
      return connections;
    },
    get bytesSent() {
      return bytesSent;
    },
    close() {
      for (const s of sockets) s.destroy();
      return new Promise((r) => server.close(() => r()));
    },
  };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const [mode, port, bytes] = process.argv.slice(2);
  if (!HOSTILE_MODES.includes(mode as HostileMode)) {
    process.stderr.write(`usage: hostile-server.ts ${HOSTILE_MODES.join('|')} [PORT] [BYTES]\n`);
    process.exit(2);
  }
  const h = await startHostileServer(mode as HostileMode, { port: port ? Number(port) : 0, bytes: bytes ? Number(bytes) : undefined });
  process.stdout.write(`hostile-server ${mode} listening on 127.0.0.1:${h.port}\n`);
  const stop = () => {
    process.stdout.write(`hostile-server ${mode}: ${h.connections} connections, ${h.bytesSent} bytes sent\n`);
    void h.close().then(() => process.exit(0));
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}
