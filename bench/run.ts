/**
 * `npm run bench`: speed as ratios against a peer measured in the same run, never as absolute numbers in
 * tests. Each line: what was measured, our rate, the peer's rate, and ours / peer.
 *
 *   handshake   full TLS 1.3 handshakes (ECDHE x25519, ECDSA P-256 certificate), reference client and
 *               server in memory, vs Node's tls (OpenSSL) client and server over loopback TCP
 *   aead        AES-128-GCM record sealing of 16 KiB records, the noble provider vs node:crypto
 *   scenarios   the conformance suite against the embedded reference (cases per second; no peer: reported
 *               alone)
 */
import { createCipheriv, randomBytes } from 'node:crypto';
import * as tls from 'node:tls';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { TlsClient } from '../implementations/reference/connection/client.ts';
import { TlsServer } from '../implementations/reference/connection/server.ts';
import { pump } from '../implementations/reference/connection/memory.ts';
import { TEST_PKI, testClientConfig, testServerConfig } from '../implementations/reference/connection/testing.ts';
import { listenOnLowPort } from '../implementations/reference/connection/ports.ts';
import { nobleProvider } from '../implementations/reference/crypto/noble/index.ts';
import { expandAll, loadScenariosOrThrow } from '../harness/scenario/loader.ts';
import { runAll } from '../harness/engine/run-all.ts';
import { ReferenceTarget } from '../harness/targets/reference.ts';

const seconds = Number(process.env.BENCH_SECONDS ?? 2);

async function rate(fn: () => void | Promise<void>): Promise<number> {
  for (let i = 0; i < 3; i++) await fn(); // warm up
  const end = performance.now() + seconds * 1000;
  let n = 0;
  const t0 = performance.now();
  while (performance.now() < end) {
    await fn();
    n++;
  }
  return n / ((performance.now() - t0) / 1000);
}

function line(what: string, ours: number, peer: number | undefined, unit: string): void {
  const ratio = peer ? ` ratio ${(ours / peer).toFixed(2)}` : '';
  process.stdout.write(`${what.padEnd(11)} ours ${ours.toFixed(1)} ${unit}${peer ? `  peer ${peer.toFixed(1)} ${unit}` : ''}${ratio}\n`);
}

async function handshakes(): Promise<void> {
  // TLS 1.3 only on both sides, as the node:tls peer below (minVersion: 'TLSv1.3').
  const server = testServerConfig({ minVersion: 'TLSv1.3', certificates: [TEST_PKI.p256()], ticketsToSend: 0, random: (n) => nobleProvider.randomBytes(n) });
  const client = testClientConfig({ minVersion: 'TLSv1.3', random: (n) => nobleProvider.randomBytes(n) });
  const ours = await rate(() => {
    const c = new TlsClient(client);
    const s = new TlsServer(server);
    c.start();
    pump(c, s);
    if (c.state !== 'connected') throw new Error('reference handshake failed');
  });
  const pem = (f: string) => readFileSync(TEST_PKI.path(f));
  const srv = tls.createServer({ key: pem('server-p256.key'), cert: pem('server-p256.pem'), minVersion: 'TLSv1.3', ecdhCurve: 'X25519' }, (s) => s.end());
  const port = await listenOnLowPort(srv as unknown as import('node:net').Server);
  const peer = await rate(
    () =>
      new Promise<void>((resolve, reject) => {
        const s = tls.connect({ host: '127.0.0.1', port, ca: pem('ca.pem'), servername: 'localhost', minVersion: 'TLSv1.3', ecdhCurve: 'X25519' }, () => {
          s.destroy();
          resolve();
        });
        s.on('error', reject);
      }),
  );
  srv.close();
  line('handshake', ours, peer, 'handshakes/s');
}

async function aead(): Promise<void> {
  const key = randomBytes(16);
  const nonce = randomBytes(12);
  const data = randomBytes(16384);
  const aad = randomBytes(5);
  const ours = await rate(() => void nobleProvider.aead('aes-128-gcm', key).seal(nonce, data, aad));
  const peer = await rate(() => {
    const c = createCipheriv('aes-128-gcm', key, nonce);
    c.setAAD(aad);
    c.update(data);
    c.final();
    c.getAuthTag();
  });
  line('aead', (ours * 16) / 1024, (peer * 16) / 1024, 'MiB/s');
}

async function scenarios(): Promise<void> {
  const cases = expandAll(loadScenariosOrThrow([fileURLToPath(new URL('../scenarios/', import.meta.url))]).scenarios);
  const target = new ReferenceTarget();
  await target.start();
  const t0 = performance.now();
  const r = await runAll(cases, target, { jobs: 4, runId: 'bench', timeoutMs: 10_000, expectTimeoutMs: 3000 });
  const s = (performance.now() - t0) / 1000;
  await target.stop();
  line('scenarios', r.cases.length / s, undefined, `cases/s (${r.cases.length} cases in ${s.toFixed(1)} s)`);
}

await handshakes();
await aead();
await scenarios();
