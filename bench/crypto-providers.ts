/**
 * A small measurement of the crypto providers (not part of `npm test`, not a unit test):
 *
 *   node --import tsx bench/crypto-providers.ts        (BENCH_SECONDS=N per line, default 1)
 *
 * For each provider (noble, node): AES-128-GCM sealing of 16 KiB records (MB/s), X25519 and P-256 key
 * generation + shared secret (exchanges/s), ECDSA P-256 / Ed25519 / RSA-2048 PSS signing and ECDSA P-256
 * verification (operations/s), and a full in-memory TLS 1.3 handshake between the reference client and server
 * (x25519, ECDSA P-256 certificate). Raw node:crypto AES-128-GCM is printed as the peer of the AEAD lines.
 */
import { createCipheriv, randomBytes } from 'node:crypto';
import { allProviders } from '../implementations/reference/crypto/providers.ts';
import type { CryptoProvider, GroupName, PrivateKey, SignatureSchemeName } from '../implementations/reference/crypto/provider.ts';
import { TEST_PKI, testClientConfig, testServerConfig } from '../implementations/reference/connection/testing.ts';
import { TlsClient } from '../implementations/reference/connection/client.ts';
import { TlsServer } from '../implementations/reference/connection/server.ts';
import { pump } from '../implementations/reference/connection/memory.ts';
import { publicKeyOf } from '../implementations/reference/crypto/keys.ts';

const seconds = Number(process.env.BENCH_SECONDS ?? 1);

function rate(fn: () => void): number {
  for (let i = 0; i < 3; i++) fn(); // warm up
  const t0 = performance.now();
  const end = t0 + seconds * 1000;
  let n = 0;
  while (performance.now() < end) {
    fn();
    n++;
  }
  return n / ((performance.now() - t0) / 1000);
}

const out: Record<string, Record<string, string>> = {};
function record(what: string, provider: string, value: string): void {
  (out[what] ??= {})[provider] = value;
}

const key16 = randomBytes(16);
const nonce = randomBytes(12);
const record16k = randomBytes(16384);
const aad = randomBytes(5);
const MB = 16384 / 1e6;

const signingKey = (k: ReturnType<typeof TEST_PKI.p256>): PrivateKey => k.key;

function measure(p: CryptoProvider): void {
  const gcm = p.aead('aes-128-gcm', key16);
  record('AES-128-GCM seal 16 KiB (MB/s)', p.name, (rate(() => void gcm.seal(nonce, record16k, aad)) * MB).toFixed(0));
  for (const g of ['x25519', 'secp256r1'] as GroupName[]) {
    const kx = p.keyExchange(g);
    const peer = kx.generate().publicKey;
    record(`${g} keygen+derive (/s)`, p.name, rate(() => void kx.sharedSecret(kx.generate().privateKey, peer)).toFixed(0));
  }
  const msg = randomBytes(130);
  const sigs: [string, SignatureSchemeName, PrivateKey][] = [
    ['ECDSA P-256 sign (/s)', 'ecdsa_secp256r1_sha256', signingKey(TEST_PKI.p256())],
    ['Ed25519 sign (/s)', 'ed25519', signingKey(TEST_PKI.ed25519())],
    ['RSA-2048 PSS sign (/s)', 'rsa_pss_rsae_sha256', signingKey(TEST_PKI.rsa())],
  ];
  for (const [what, scheme, key] of sigs) record(what, p.name, rate(() => void p.sign(scheme, key, msg)).toFixed(0));
  const ec = signingKey(TEST_PKI.p256());
  const sig = p.sign('ecdsa_secp256r1_sha256', ec, msg);
  const pub = publicKeyOf(ec);
  record('ECDSA P-256 verify (/s)', p.name, rate(() => void p.verify('ecdsa_secp256r1_sha256', { ...pub }, msg, sig)).toFixed(0));
  const server = testServerConfig({ provider: p, minVersion: 'TLSv1.3', certificates: [TEST_PKI.p256()], ticketsToSend: 0, random: (n) => p.randomBytes(n) });
  const client = testClientConfig({ provider: p, minVersion: 'TLSv1.3', random: (n) => p.randomBytes(n) });
  record('TLS 1.3 handshake in memory (/s)', p.name, rate(() => {
    const c = new TlsClient(client);
    const s = new TlsServer(server);
    c.start();
    pump(c, s);
    if (c.state !== 'connected') throw new Error('reference handshake failed');
  }).toFixed(0));
}

// The raw peer first: measured after the handshakes, it ran slower (heap and JIT state), which is not its speed.
record('AES-128-GCM seal 16 KiB (MB/s)', 'raw node:crypto', (rate(() => {
  const c = createCipheriv('aes-128-gcm', key16, nonce);
  c.setAAD(aad);
  c.update(record16k);
  c.final();
  c.getAuthTag();
}) * MB).toFixed(0));

for (const p of allProviders()) measure(p);

const cols = ['noble', 'node', 'raw node:crypto'];
const w = Math.max(...Object.keys(out).map((k) => k.length));
process.stdout.write(`${''.padEnd(w)}  ${cols.map((c) => c.padStart(17)).join('')}\n`);
for (const [what, row] of Object.entries(out)) process.stdout.write(`${what.padEnd(w)}  ${cols.map((c) => (row[c] ?? '').padStart(17)).join('')}\n`);
