/**
 * The tls12-trace handler: every recorded OpenSSL handshake in vectors/tls12/ passes every check with our code,
 * and a damaged value fails exactly the checks that depend on it (so the handler cannot pass vacuously).
 */
import { describe, expect, it } from 'vitest';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { tls12TraceCheckCount, tls12TraceHandler, TLS12_DIR, type Tls12TraceFile } from './tls12-trace.ts';
import { nobleProvider } from '../../implementations/reference/crypto/noble/index.ts';
import { suiteParams } from '../../implementations/reference/crypto/suites.ts';
import type { CipherSuiteName } from '../../implementations/reference/codec/enums.ts';
import type { TestOutcome } from '../runner.ts';

const FILES = readdirSync(TLS12_DIR)
  .filter((f) => f.endsWith('.json'))
  .sort();
const load = (f: string): Tls12TraceFile => JSON.parse(readFileSync(join(TLS12_DIR, f), 'utf8')) as Tls12TraceFile;
const run = async (t: Tls12TraceFile): Promise<TestOutcome[]> => tls12TraceHandler.run(t, nobleProvider);

/** Flip the low bit of the octet at `at` (default: the middle one) of a hex value. */
function flip(h: string, at?: number): string {
  const b = Buffer.from(h, 'hex');
  b[at ?? b.length >> 1] ^= 0x01;
  return b.toString('hex');
}

const failed = (out: TestOutcome[]): number[] => out.flatMap((o, i) => (o.outcome === 'failed' ? [i] : []));

/** Outcome indices, in the handler's fixed order. */
function layout(t: Tls12TraceFile) {
  const kx = t.keyExchange === 'rsa' ? 2 : 1;
  const rec0 = 2 + kx;
  const end = rec0 + t.records.length;
  // A record is protected once its sender has sent a ChangeCipherSpec.
  const ccsSeen = { client: false, server: false };
  const prot = t.records.map((r) => {
    const p = ccsSeen[r.from];
    if (r.hex.startsWith('14') && !p) ccsSeen[r.from] = true;
    return p;
  });
  return {
    hello: 0,
    transcript: 1,
    pms: t.keyExchange === 'rsa' ? 2 : -1,
    ms: t.keyExchange === 'rsa' ? 3 : -1,
    ske: t.keyExchange === 'rsa' ? -1 : 2,
    record: (i: number) => rec0 + i,
    protectedRecords: t.records.flatMap((_, i) => (prot[i] ? [rec0 + i] : [])),
    isProtected: (i: number) => prot[i],
    clientFinished: end,
    serverFinished: end + 1,
    appData: { client: end + 2, server: end + 3 },
  };
}

describe('tls12-trace handler', () => {
  it('finds the recorded handshakes', () => {
    expect(FILES.length).toBeGreaterThanOrEqual(13);
    const suites = new Set(FILES.map((f) => load(f).cipherSuite));
    for (const s of [
      'TLS_RSA_WITH_AES_128_CBC_SHA',
      'TLS_RSA_WITH_AES_128_GCM_SHA256',
      'TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256',
      'TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256',
      'TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384',
      'TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256',
    ])
      expect(suites).toContain(s);
    const flags = FILES.map((f) => load(f)).map((t) => `${t.extendedMasterSecret}/${t.encryptThenMac}`);
    expect(new Set(flags)).toEqual(new Set(['true/true', 'true/false', 'false/false']));
  });

  for (const f of FILES) {
    it(`${f}: every check passes, one per declared test`, async () => {
      const t = load(f);
      expect(`${t.name}.json`).toBe(f);
      const out = await run(t);
      expect(out).toHaveLength(t.numberOfTests);
      expect(tls12TraceCheckCount(t)).toBe(t.numberOfTests);
      expect(out.filter((o) => o.outcome !== 'passed')).toEqual([]);
      expect(new Set(out.map((o) => o.id)).size).toBe(out.length);
      for (const o of out) expect(o.id.startsWith(`${t.name}: `)).toBe(true);
      const L = layout(t);
      expect(out[L.clientFinished].id).toBe(`${t.name}: client Finished verify_data`);
      expect(out[L.appData.server].id).toBe(`${t.name}: application data server->client`);
      // Protected records: at least Finished, application data and close_notify each way.
      expect(L.protectedRecords.length).toBeGreaterThanOrEqual(6);
      L.protectedRecords.forEach((i) => expect(out[i].id).toMatch(/\[protected, seq \d+\]$/));
    });
  }

  for (const f of FILES) {
    it(`${f}: a flipped master secret fails the master secret, every protected record, both Finished and the application data`, async () => {
      const t = load(f);
      const L = layout(t);
      t.masterSecret = flip(t.masterSecret);
      const out = await run(t);
      const expected = [...(L.ms >= 0 ? [L.ms] : []), ...L.protectedRecords, L.clientFinished, L.serverFinished, L.appData.client, L.appData.server];
      expect(failed(out)).toEqual(expected.sort((a, b) => a - b));
      expect(out[L.clientFinished].reason).toMatch(/computed [0-9a-f]{24}, file has/);
    });
  }

  for (const f of FILES) {
    it(`${f}: one flipped byte in any record fails that record (and what depends on its content) only`, async () => {
      const original = load(f);
      const L = layout(original);
      for (let i = 0; i < original.records.length; i++) {
        const t = structuredClone(original);
        const r = t.records[i];
        // A byte inside the fragment (not the header), so the record still parses.
        r.hex = flip(r.hex, 5 + ((r.hex.length / 2 - 5) >> 1));
        const out = await run(t);
        const expected = [L.record(i)];
        if (!L.isProtected(i) && r.hex.startsWith('16')) expected.unshift(L.transcript); // plaintext records carry the messages
        else if (r.hex.startsWith('17')) expected.push(L.appData[r.from]);
        expect({ record: i, failed: failed(out) }).toEqual({ record: i, failed: expected.sort((a, b) => a - b) });
      }
    });
  }

  it('a record at the wrong sequence number fails (the client application data and close_notify swapped)', async () => {
    const t = load('rsa-aes128-gcm-sha256.json');
    const L = layout(t);
    const a = t.records.findIndex((r) => r.from === 'client' && r.hex.startsWith('17'));
    const b = t.records.findIndex((r) => r.from === 'client' && r.hex.startsWith('15'));
    [t.records[a].hex, t.records[b].hex] = [t.records[b].hex, t.records[a].hex];
    const out = await run(t);
    expect(failed(out)).toEqual([L.record(a), L.record(b), L.appData.client].sort((x, y) => x - y));
    expect(out[L.record(a)].reason).toMatch(/does not decrypt at sequence number 1/);
  });

  for (const f of FILES.filter((x) => x.startsWith('rsa-'))) {
    it(`${f}: a flipped pre-master secret fails the pre-master and master secret checks only`, async () => {
      const t = load(f);
      const L = layout(t);
      t.preMasterSecret = flip(t.preMasterSecret!);
      const out = await run(t);
      expect(failed(out)).toEqual([L.pms, L.ms]);
    });

    it(`${f}: claiming the other master-secret derivation fails the hello and master secret checks`, async () => {
      const t = load(f);
      const L = layout(t);
      t.extendedMasterSecret = !t.extendedMasterSecret;
      const out = await run(t);
      expect(failed(out)).toEqual([L.hello, L.ms]);
    });
  }

  for (const f of FILES.filter((x) => x.startsWith('ecdhe-'))) {
    it(`${f}: a flipped ServerKeyExchange signature fails the signature, transcript, its record and Finished checks`, async () => {
      const t = load(f);
      const L = layout(t);
      const m = t.handshakeMessages.find((x) => x.name === 'ServerKeyExchange')!;
      // The record that carried the message on the wire no longer matches it either.
      const carrier = t.records.findIndex((r) => r.hex.includes(m.hex));
      expect(carrier).toBeGreaterThan(0);
      m.hex = flip(m.hex, m.hex.length / 2 - 3);
      const out = await run(t);
      expect(failed(out)).toEqual([L.transcript, L.ske, L.record(carrier), L.clientFinished, L.serverFinished]);
      expect(out[L.ske].reason).toMatch(/signature does not verify/);
    });
  }

  it('a wrong verify_data fails only its Finished check; wrong application data only its direction', async () => {
    for (const f of ['ecdhe-rsa-chacha20-poly1305.json', 'rsa-aes128-cbc-sha-no-ems-no-etm.json']) {
      const t = load(f);
      const L = layout(t);
      const a = structuredClone(t);
      a.serverFinishedVerifyData = flip(a.serverFinishedVerifyData);
      expect(failed(await run(a))).toEqual([L.serverFinished]);
      const b = structuredClone(t);
      b.applicationData.clientToServer.text = b.applicationData.clientToServer.text.replace('hello', 'hallo');
      b.applicationData.clientToServer.hex = Buffer.from(b.applicationData.clientToServer.text).toString('hex');
      expect(failed(await run(b))).toEqual([L.appData.client]);
    }
  });

  it('the wrong cipher suite (same key sizes, other PRF hash / MAC) fails everything that uses it', async () => {
    const t = load('ecdhe-rsa-aes128-gcm-sha256.json');
    const L = layout(t);
    // AES-256-GCM with P_SHA384: the hello check sees the ServerHello disagree, and the keys differ.
    t.cipherSuite = 'TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384';
    expect(suiteParams(t.cipherSuite as CipherSuiteName)?.prfHash).toBe('sha384');
    const out = await run(t);
    expect(failed(out)).toEqual([L.hello, ...L.protectedRecords, L.clientFinished, L.serverFinished, L.appData.client, L.appData.server]);
  });
});
