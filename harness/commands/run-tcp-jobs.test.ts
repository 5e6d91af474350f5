/**
 * tcp:// targets and concurrency (issue 11): `--jobs N` with a tcp:// URL runs N cases (connections) at
 * once; without it, the probe finds out whether the server takes a connection while another is open and
 * idle. The CLI runs in a child process against servers in this process.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cliChild } from '../testing/cli-child.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTlsServer, type TlsListener } from '../../implementations/reference/connection/tcp.ts';
import { makeConfig } from '../../implementations/reference/connection/config.ts';
import { TEST_PKI } from '../../implementations/reference/connection/testing.ts';
import { TcpTarget } from '../targets/tcp.ts';
import { PERMISSIVE_CAPABILITIES } from '../targets/config.ts';
import { probeTarget } from '../targets/probe.ts';


/** The CLI, without blocking this process's event loop (the server under test lives here). */
const cli = cliChild;

// 10 cases: each sends a ClientHello and waits for a ServerHello that a hanging server never sends.
const SCENARIO = `id: jobs-hello
title: A ServerHello for each suite and group
rfc: { doc: 8446, section: "4.1.1", level: must, sentences: [rfc8446-4.1.1-1], quote: "then the server MUST abort the handshake" }
target: server
versions: [tls13]
matrix:
  cipher_suite: [TLS_AES_128_GCM_SHA256, TLS_AES_256_GCM_SHA384, TLS_CHACHA20_POLY1305_SHA256, TLS_AES_128_CCM_SHA256, TLS_AES_128_CCM_8_SHA256]
  group: [x25519, secp256r1]
config: { cipher_suites: ["\${cipher_suite}"], groups: ["\${group}"] }
steps:
  - send: ClientHello
  - expect: ServerHello
`;

/**
 * A server that accepts and never answers; counts the connections open at once. A connection is counted
 * 20 ms after it arrives if it is still open then: the close of the previous one, sent just before, may be
 * seen a moment after the next connection arrives.
 */
function hangingServer(): { server: Server; stats: { open: number; max: number; total: number }; reset(): void } {
  const stats = { open: 0, max: 0, total: 0 };
  const server = createServer((s) => {
    stats.total++;
    let gone = false;
    let counted = false;
    const timer = setTimeout(() => {
      if (gone) return;
      counted = true;
      stats.open++;
      stats.max = Math.max(stats.max, stats.open);
    }, 20);
    const end = () => {
      if (gone) return;
      gone = true;
      clearTimeout(timer);
      if (counted) stats.open--;
    };
    s.on('error', () => {});
    s.resume(); // read (and drop) what comes, so that the harness's close is seen
    s.on('end', end);
    s.on('close', end);
  });
  return { server, stats, reset: () => Object.assign(stats, { max: stats.open, total: 0 }) };
}

let dir: string;
let hang: ReturnType<typeof hangingServer>;
let hangPort: number;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'th-jobs-'));
  writeFileSync(join(dir, 'jobs.yaml'), SCENARIO);
  hang = hangingServer();
  await new Promise<void>((r) => hang.server.listen(0, '127.0.0.1', r));
  hangPort = (hang.server.address() as { port: number }).port;
});
afterAll(async () => {
  await new Promise((r) => hang.server.close(r));
  rmSync(dir, { recursive: true, force: true });
});

const common = () => ['run', '--target', `tcp://127.0.0.1:${hangPort}`, '--no-probe', '--no-controls', '--scenarios', dir, '--timeout', '400', '--report-dir', join(dir, 'reports')];

describe('run --target tcp:// --jobs', () => {
  it('--jobs 8: eight connections at once, the run takes about two time limits, not ten', async () => {
    hang.reset();
    const r = await cli([...common(), '--jobs', '8']);
    expect(r.stdout).toContain('10 cases against tcp://127.0.0.1:');
    expect(r.stdout).toMatch(/10 failed/);
    expect(hang.stats.total).toBe(11); // and one at start: is it listening?
    expect(hang.stats.max).toBe(8);
    expect(r.stderr).not.toContain('one at a time');
  }, 30_000);

  it('no --jobs and no probe: one connection at a time, and the line says how to run more', async () => {
    hang.reset();
    const r = await cli(common());
    expect(hang.stats.total).toBe(11); // and one at start: is it listening?
    expect(hang.stats.max).toBe(1);
    expect(r.stderr).toContain('takes one connection at a time: running cases one by one (--jobs N: N connections at once)');
    // Ten time limits, one after the other.
    expect(r.ms).toBeGreaterThanOrEqual(10 * 400);
  }, 30_000);
});

/** A TCP front for `backend` that serves one connection at a time: the others wait their turn. */
function serialProxy(backendPort: number): Server {
  const queue: Socket[] = [];
  let busy = false;
  const next = () => {
    const s = queue.shift();
    if (!s) return void (busy = false);
    busy = true;
    if (s.destroyed) return next();
    const b = connect(backendPort, '127.0.0.1');
    s.pipe(b).pipe(s);
    const done = () => {
      s.destroy();
      b.destroy();
    };
    s.on('close', done);
    b.on('close', () => (done(), next()));
    s.on('error', () => {});
    b.on('error', () => {});
  };
  return createServer((s) => {
    s.on('error', () => {});
    queue.push(s);
    if (!busy) next();
  });
}

describe('the probe finds out whether a tcp:// server takes several connections at once', () => {
  let tls: TlsListener;
  let proxy: Server;
  beforeAll(async () => {
    tls = createTlsServer(makeConfig({ certificates: [TEST_PKI.p256()] }), () => {});
    await tls.listen(0);
    proxy = serialProxy(tls.port);
    await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
  });
  afterAll(async () => {
    await tls.close();
    proxy.close();
  });

  const target = (port: number) => new TcpTarget({ host: '127.0.0.1', port, capabilities: PERMISSIVE_CAPABILITIES });

  it('a server that serves connections at once: concurrent', async () => {
    const t = target(tls.port);
    const r = await probeTarget(t, { timeoutMs: 3000, checkConcurrency: true });
    await t.stop();
    expect(r.report.concurrent).toBe(true);
    expect(r.capabilities.concurrent).toBe(true);
  }, 60_000);

  it('one connection at a time (an idle one blocks the next): not concurrent, with a note', async () => {
    const t = target((proxy.address() as { port: number }).port);
    const r = await probeTarget(t, { timeoutMs: 1500, checkConcurrency: true, concurrency: 1 });
    await t.stop();
    expect(r.report.capabilities.versions).toContain('tls13');
    expect(r.report.concurrent).toBe(false);
    expect(r.capabilities.concurrent).toBe(false);
    expect(r.report.notes.join('\n')).toMatch(/^concurrent: no handshake while another connection was open \(no answer within 1500 ms\)/m);
  }, 60_000);
});
