/**
 * TLS 1.2 interop over TCP with node:tls (Node's bundled OpenSSL 3.0), both ways: every suite of TLS12_SUITES
 * that node offers, once per direction, with data both ways, the extended master secret (RFC 7627) and
 * encrypt-then-MAC (RFC 7366) as negotiated by default and both off for a CBC suite, and resumption by session
 * ID (node's newSession / resumeSession events on the server side, SSL_OP_NO_TICKET on the client side) and by
 * ticket (RFC 5077); every ECDHE group (x25519, x448, P-256, P-384, P-521) and RFC 7919 DHE group
 * (ffdhe2048 ... ffdhe8192) once per direction.
 *
 * Evidence of a completed handshake is application data: node's greeting and echo reach the reference client,
 * and the reference server's echo and page reach the node client; what node saw (getCipher, getProtocol,
 * isSessionReused) is checked against the reference endpoint's summary.
 */
import { listenOnLowPort } from '../ports.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as tls from 'node:tls';
import { constants } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { AddressInfo } from 'node:net';
import { CipherSuite, NamedGroup, SignatureScheme } from '../../codec/enums.ts';
import { DUAL_CIPHER_SUITES, MemorySessionStore, TLS12_CIPHER_SUITES } from '../config.ts';
import { connectTls, type TlsListener, type TlsSocket } from '../tcp.ts';
import { TEST_PKI } from '../testing.ts';
import { EC_GROUPS, FF_GROUPS, PEM, TLS12_OPENSSL_CIPHERS, TLS12_SUITES, connFor, connectNode, isCbc, nodeMissingSuites, nodeRead, read, refClientConfig, refServer, SHA384_ONLY_CLIENT_AUTH } from './helpers.ts';

/** GnuTLS's PKCS#3 files of the RFC 7919 groups (vectors/ffdhe/), for node's dhparam. */
const dhparam = (g: string) => readFileSync(fileURLToPath(new URL(`../../../../vectors/ffdhe/rfc7919-${g}.pem`, import.meta.url)));

const dec = (b: Uint8Array) => new TextDecoder().decode(b);
const missing = nodeMissingSuites(tls.getCiphers());
for (const s of missing) console.log(`interop/node12.test.ts: skipping ${s}: not in this node's tls.getCiphers()`);
/** OpenSSL 3.0's SSL_OP_NO_EXTENDED_MASTER_SECRET (SSL_OP_BIT(0)); node:crypto has no constant for it. */
const SSL_OP_NO_EXTENDED_MASTER_SECRET = 1;

interface Seen {
  protocol: string | null;
  cipher: string;
  reused: boolean;
}
interface NodeServer {
  port: number;
  /** What node saw, by the client's port. */
  seen: Map<number, Seen>;
  close(): Promise<void>;
}

/**
 * A node:tls server capped at TLS 1.2 with an RSA and a P-256 certificate, every matrix suite enabled
 * (`dhparam: 'auto'` for DHE), that greets first and echoes. `sessionIds`: no tickets, and a session cache
 * through the newSession / resumeSession events (node has no internal server cache).
 */
async function nodeServer12(opts: tls.TlsOptions = {}, sessionIds = false): Promise<NodeServer> {
  const seen = new Map<number, Seen>();
  const sockets = new Set<tls.TLSSocket>();
  const server = tls.createServer(
    {
      key: [read(PEM.rsa[1]), read(PEM.p256[1])],
      cert: [read(PEM.rsa[0]), read(PEM.p256[0])],
      minVersion: 'TLSv1.2',
      maxVersion: 'TLSv1.2',
      ciphers: TLS12_OPENSSL_CIPHERS,
      dhparam: 'auto',
      ...(sessionIds ? { secureOptions: constants.SSL_OP_NO_TICKET } : {}),
      ...opts,
    },
    (s) => {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => {});
      seen.set(s.remotePort!, { protocol: s.getProtocol(), cipher: s.getCipher().standardName, reused: s.isSessionReused() });
      s.write('hello from node');
      s.on('data', (d) => s.write(Buffer.concat([Buffer.from('echo:'), d])));
      s.on('end', () => s.end());
    },
  );
  if (sessionIds) {
    const cache = new Map<string, Buffer>();
    server.on('newSession', (id: Buffer, data: Buffer, cb: () => void) => {
      cache.set(id.toString('hex'), data);
      cb();
    });
    server.on('resumeSession', (id: Buffer, cb: (err: Error | null, data: Buffer | null) => void) => cb(null, cache.get(id.toString('hex')) ?? null));
  }
  server.on('tlsClientError', () => {});
  await listenOnLowPort(server);
  return {
    port: (server.address() as AddressInfo).port,
    seen,
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}

/**
 * connectTls with a 'data' listener attached before the handshake: in a full TLS 1.2 handshake the server's
 * Finished ends the client's handshake, and node's greeting, written right after it, can arrive in the same
 * TCP read; TlsSocket emits it before connectTls resolves, so a listener attached after `await` would miss it.
 * `until(p)` resolves with all the text received once `p` holds.
 */
async function connect12(port: number, config: Parameters<typeof connectTls>[2]): Promise<{ c: TlsSocket; until: (p: (all: string) => boolean) => Promise<string> }> {
  let text = '';
  const waiters: (() => void)[] = [];
  const c = await connectTls('127.0.0.1', port, config, {
    onSocket: (t) =>
      t.on('data', (d) => {
        text += dec(d);
        for (const w of waiters.splice(0)) w();
      }),
  });
  const until = (p: (all: string) => boolean) =>
    new Promise<string>((resolve) => {
      const check = () => (p(text) ? resolve(text) : waiters.push(check));
      check();
    });
  return { c, until };
}

const tls12Client = (suites: number[], partial = {}) => refClientConfig({ minVersion: 'TLSv1.2', maxVersion: 'TLSv1.2', cipherSuites: suites, ...partial });

/** Greeting in, ping out, echo in, close_notify: application data both ways. */
async function pingPong({ c, until }: Awaited<ReturnType<typeof connect12>>, text = 'ping'): Promise<void> {
  c.write(text);
  expect(await until((s) => s.includes(`echo:${text}`))).toBe(`hello from nodeecho:${text}`);
  const r = await c.close();
  expect(r.error).toBeUndefined();
}

describe('TLS 1.2 interop: reference client -> node:tls server (TLSv1.2 only)', () => {
  let ns: NodeServer;
  beforeAll(async () => {
    ns = await nodeServer12();
  });
  afterAll(() => ns?.close());

  for (const [iana, , key] of TLS12_SUITES) {
    it.skipIf(missing.has(iana))(`${iana}: data both ways, EMS on${isCbc(iana) ? ', EtM on' : ''}`, async () => {
      const conn = await connect12(ns.port, tls12Client([CipherSuite[iana]]));
      const { c } = conn;
      expect(c.summary).toMatchObject({ version: 'TLSv1.2', cipherSuite: CipherSuite[iana], resumed: false, extendedMasterSecret: true, encryptThenMac: isCbc(iana) });
      if (iana.startsWith('TLS_RSA_')) expect(c.summary).toMatchObject({ group: undefined, signatureScheme: undefined });
      else if (key === 'p256') expect(c.summary?.signatureScheme).toBe(SignatureScheme.ecdsa_secp256r1_sha256);
      await conn.until((s) => s.includes('hello from node'));
      expect(ns.seen.get(c.socket.localPort!)).toMatchObject({ protocol: 'TLSv1.2', cipher: iana, reused: false });
      await pingPong(conn);
    });
  }

  for (const [group, nodeName] of EC_GROUPS) {
    it(`ECDHE over ${group} (node ecdhCurve ${nodeName})`, async () => {
      const only = await nodeServer12({ ecdhCurve: nodeName });
      try {
        const conn = await connect12(only.port, tls12Client([CipherSuite.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256], { groups: [NamedGroup[group]] }));
        expect(conn.c.summary).toMatchObject({ version: 'TLSv1.2', cipherSuite: CipherSuite.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, group: NamedGroup[group] });
        await pingPong(conn);
      } finally {
        await only.close();
      }
    });
  }

  // node's OpenSSL uses its dhparam in TLS 1.2 whatever the client lists; the reference client recognises the
  // RFC 7919 prime (RFC 7919 4) and reports the group.
  for (const [group] of FF_GROUPS) {
    it(`DHE over ${group} (node dhparam rfc7919-${group}.pem)`, async () => {
      const only = await nodeServer12({ dhparam: dhparam(group) });
      try {
        const conn = await connect12(only.port, tls12Client([CipherSuite.TLS_DHE_RSA_WITH_AES_128_GCM_SHA256], { groups: [NamedGroup[group]] }));
        expect(conn.c.summary).toMatchObject({ version: 'TLSv1.2', cipherSuite: CipherSuite.TLS_DHE_RSA_WITH_AES_128_GCM_SHA256, group: NamedGroup[group] });
        await pingPong(conn);
      } finally {
        await only.close();
      }
    });
  }

  it('without EMS and EtM (reference client offers neither): TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256', async () => {
    const conn = await connect12(ns.port, tls12Client([CipherSuite.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256], { extendedMasterSecret: false, encryptThenMac: false }));
    expect(conn.c.summary).toMatchObject({ cipherSuite: CipherSuite.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256, extendedMasterSecret: false, encryptThenMac: false });
    await pingPong(conn, 'plain mac');
  });

  it('a dual-version reference client (TLS 1.3 and 1.2 suites) falls back to TLS 1.2 with node capped at 1.2', async () => {
    const conn = await connect12(ns.port, refClientConfig({ cipherSuites: DUAL_CIPHER_SUITES }));
    expect(conn.c.summary?.version).toBe('TLSv1.2');
    expect(TLS12_CIPHER_SUITES).toContain(conn.c.summary?.cipherSuite);
    expect(ns.seen.get(conn.c.socket.localPort!)?.protocol).toBe('TLSv1.2');
    await pingPong(conn);
  });

  for (const [suite, by] of [
    ['TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256', 'ticket'],
    ['TLS_RSA_WITH_AES_128_CBC_SHA256', 'ticket'],
    ['TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384', 'session ID'],
    ['TLS_RSA_WITH_AES_128_GCM_SHA256', 'session ID'],
  ] as const) {
    it.skipIf(missing.has(suite))(`resumes by ${by} with ${suite}`, async () => {
      const server = by === 'ticket' ? ns : await nodeServer12({}, true);
      try {
        const store = new MemorySessionStore();
        const cfg = tls12Client([CipherSuite[suite]], { sessionStore: store });
        await pingPong(await connect12(server.port, cfg), 'first');
        const stored = store.get12('localhost')!;
        expect(stored).toBeDefined();
        if (by === 'ticket') expect(stored.ticket?.length).toBeGreaterThan(0);
        else expect(stored.ticket === undefined && stored.sessionId.length > 0).toBe(true);
        const conn2 = await connect12(server.port, cfg);
        expect(conn2.c.summary).toMatchObject({ version: 'TLSv1.2', resumed: true, cipherSuite: CipherSuite[suite], extendedMasterSecret: true, peerCertificates: [] });
        await conn2.until((s) => s.includes('hello from node'));
        expect(server.seen.get(conn2.c.socket.localPort!)).toMatchObject({ reused: true, cipher: suite });
        await pingPong(conn2, 'resumed');
      } finally {
        if (server !== ns) await server.close();
      }
    });
  }
});

describe('TLS 1.2 interop: node:tls client (TLSv1.2 only) -> reference server', () => {
  let listener: TlsListener;
  let conns: TlsSocket[];
  beforeAll(async () => {
    // A dual-version server: the TLS 1.2 node client gets TLS 1.2 (with the RFC 8446 4.1.3 DOWNGRD sentinel, which a 1.2-only client ignores).
    ({ listener, conns } = await refServer({ cipherSuites: DUAL_CIPHER_SUITES }));
  });
  afterAll(() => listener?.close());

  const nodeConnect = (port: number, opts: tls.ConnectionOptions) => connectNode(port, { minVersion: 'TLSv1.2', maxVersion: 'TLSv1.2', ...opts });
  /** ping -> echo, then GET -> the page and the server's close_notify; returns the page. */
  async function pingAndGet(s: tls.TLSSocket): Promise<string> {
    const echo = nodeRead(s, (x) => x === 'ping');
    s.write('ping');
    await echo;
    const page = nodeRead(s, (x) => x.includes('version='));
    const closed = new Promise((r) => s.once('close', r));
    s.write('GET / HTTP/1.0\r\n\r\n');
    const text = await page;
    await closed;
    return text;
  }

  for (const [iana, ossl] of TLS12_SUITES) {
    it.skipIf(missing.has(iana))(`ciphers: '${ossl}': data both ways, EMS on${isCbc(iana) ? ', EtM on' : ''}`, async () => {
      const s = await nodeConnect(listener.port, { ciphers: `${ossl}:@SECLEVEL=0` });
      expect(s.authorized).toBe(true);
      expect(s.getProtocol()).toBe('TLSv1.2');
      expect(s.getCipher().standardName).toBe(iana);
      const server = await connFor(conns, s.localPort);
      expect(await server.handshake).toMatchObject({ version: 'TLSv1.2', cipherSuite: CipherSuite[iana], extendedMasterSecret: true, encryptThenMac: isCbc(iana) });
      expect(await pingAndGet(s)).toMatch(`suite=0x${CipherSuite[iana].toString(16)} `);
      expect((await server.closed).error).toBeUndefined();
    });
  }

  for (const [group, nodeName] of EC_GROUPS) {
    it(`node ecdhCurve ${nodeName}: ECDHE over ${group}`, async () => {
      const s = await nodeConnect(listener.port, { ciphers: 'ECDHE-RSA-AES128-GCM-SHA256', ecdhCurve: nodeName });
      const server = await connFor(conns, s.localPort);
      expect(await server.handshake).toMatchObject({ version: 'TLSv1.2', group: NamedGroup[group] });
      expect(await pingAndGet(s)).toMatch(`group=0x${NamedGroup[group].toString(16)} `);
    });
  }

  // node's TLS 1.2 client lists no ffdhe groups, so the server chooses (RFC 7919 4): one with only that group.
  for (const [group] of FF_GROUPS) {
    it(`node ciphers DHE-RSA-AES128-GCM-SHA256 against a server with ${group} only`, async () => {
      const only = await refServer({ cipherSuites: DUAL_CIPHER_SUITES, groups: [NamedGroup[group]] });
      try {
        const s = await nodeConnect(only.listener.port, { ciphers: 'DHE-RSA-AES128-GCM-SHA256' });
        expect(s.getEphemeralKeyInfo()).toMatchObject({ type: 'DH', size: Number(group.slice(5)) });
        const server = await connFor(only.conns, s.localPort);
        expect(await server.handshake).toMatchObject({ version: 'TLSv1.2', group: NamedGroup[group] });
        await pingAndGet(s);
      } finally {
        await only.listener.close();
      }
    });
  }

  for (const [sigalgs, scheme] of [
    ['ecdsa_secp521r1_sha512', SignatureScheme.ecdsa_secp521r1_sha512],
    ['ed448', SignatureScheme.ed448],
  ] as const) {
    it(`node sigalgs ${sigalgs}: the reference server signs its ServerKeyExchange with it`, async () => {
      const s = await nodeConnect(listener.port, { ciphers: 'ECDHE-ECDSA-AES128-GCM-SHA256', sigalgs });
      expect(s.authorized).toBe(true);
      const server = await connFor(conns, s.localPort);
      expect(await server.handshake).toMatchObject({ version: 'TLSv1.2', signatureScheme: scheme });
      await pingAndGet(s);
    });
  }

  it('without EMS and EtM (node secureOptions): AES256-SHA', async () => {
    const s = await nodeConnect(listener.port, { ciphers: 'AES256-SHA:@SECLEVEL=0', secureOptions: constants.SSL_OP_NO_ENCRYPT_THEN_MAC | SSL_OP_NO_EXTENDED_MASTER_SECRET });
    const server = await connFor(conns, s.localPort);
    expect(await server.handshake).toMatchObject({ cipherSuite: CipherSuite.TLS_RSA_WITH_AES_256_CBC_SHA, extendedMasterSecret: false, encryptThenMac: false });
    expect(await pingAndGet(s)).toMatch(/version=TLSv1\.2 ems=false etm=false/);
  });

  it('node offering every suite gets the reference server\'s first choice (TLS12_CIPHER_SUITES order)', async () => {
    const s = await nodeConnect(listener.port, { ciphers: TLS12_OPENSSL_CIPHERS, sigalgs: 'rsa_pss_rsae_sha256:rsa_pkcs1_sha256' });
    // With only RSA signature schemes offered, the ECDSA certificate cannot be used: the first ECDHE_RSA suite
    // of the server's list, not node's first (AES128-SHA).
    expect(TLS12_CIPHER_SUITES.find((c) => c !== CipherSuite.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256)).toBe(CipherSuite.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256);
    expect(s.getCipher().standardName).toBe('TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256');
    await pingAndGet(s);
  });

  for (const [ossl, iana, by] of [
    ['ECDHE-ECDSA-CHACHA20-POLY1305', 'TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256', 'ticket'],
    ['AES128-SHA', 'TLS_RSA_WITH_AES_128_CBC_SHA', 'ticket'],
    ['ECDHE-RSA-AES128-SHA', 'TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA', 'session ID'],
    ['AES256-GCM-SHA384', 'TLS_RSA_WITH_AES_256_GCM_SHA384', 'session ID'],
  ] as const) {
    it.skipIf(missing.has(iana))(`resumes by ${by} with ${ossl} (node session option)`, async () => {
      const opts: tls.ConnectionOptions = { ciphers: `${ossl}:@SECLEVEL=0`, ...(by === 'session ID' ? { secureOptions: constants.SSL_OP_NO_TICKET } : {}) };
      const s1 = await nodeConnect(listener.port, opts);
      // TLS 1.2: the session is complete with the handshake (node's 'session' event has already fired).
      const session = s1.getSession()!;
      expect(session).toBeDefined();
      const ticket = s1.getTLSTicket();
      if (by === 'ticket') expect(ticket?.length).toBeGreaterThan(0);
      else expect(ticket).toBeUndefined();
      await pingAndGet(s1);
      const s2 = await nodeConnect(listener.port, { ...opts, session });
      expect(s2.isSessionReused()).toBe(true);
      const server = await connFor(conns, s2.localPort);
      expect(await server.handshake).toMatchObject({ version: 'TLSv1.2', resumed: true, cipherSuite: CipherSuite[iana], extendedMasterSecret: true, peerCertificates: [] });
      expect(await pingAndGet(s2)).toMatch(/resumed=true version=TLSv1\.2/);
    });
  }
});

/**
 * TLS 1.2 signature algorithms with node:tls, both roles. RFC 8446 4.2.3: in TLS 1.2 "the old semantics did not
 * constrain the signing curve", so a P-256 key signs with SHA-384 when ecdsa_secp384r1_sha384 is the only ECDSA
 * scheme in common; RFC 9155 (paraphrase): no SHA-1 signatures.
 */
describe('TLS 1.2 interop: signature algorithms with node:tls (RFC 8446 4.2.3, RFC 9155)', () => {
  const ECDSA = 'TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256';
  const nodeConnect = (port: number, opts: tls.ConnectionOptions) => connectNode(port, { minVersion: 'TLSv1.2', maxVersion: 'TLSv1.2', ciphers: 'ECDHE-ECDSA-AES128-GCM-SHA256', ...opts });

  it('reference client -> node server limited to ecdsa_secp384r1_sha384 with a P-256 key: P-256 + SHA-384 verifies', async () => {
    const ns = await nodeServer12({ sigalgs: 'ecdsa_secp384r1_sha384:rsa_pss_rsae_sha256' });
    try {
      const conn = await connect12(ns.port, tls12Client([CipherSuite[ECDSA]]));
      expect(conn.c.summary).toMatchObject({ version: 'TLSv1.2', cipherSuite: CipherSuite[ECDSA], signatureScheme: SignatureScheme.ecdsa_secp384r1_sha384 });
      await pingPong(conn);
    } finally {
      await ns.close();
    }
  });

  it('node client with sigalgs ecdsa_secp384r1_sha384 -> reference server with a P-256 key: signed with P-256 + SHA-384, node verifies it', async () => {
    const { listener, conns } = await refServer({ cipherSuites: DUAL_CIPHER_SUITES, certificates: [TEST_PKI.p256()] });
    try {
      const s = await nodeConnect(listener.port, { sigalgs: 'ecdsa_secp384r1_sha384' });
      expect(s.authorized).toBe(true);
      expect(s.getCipher().standardName).toBe(ECDSA);
      const server = await connFor(conns, s.localPort);
      expect(await server.handshake).toMatchObject({ version: 'TLSv1.2', signatureScheme: SignatureScheme.ecdsa_secp384r1_sha384 });
      const page = nodeRead(s, (x) => x.includes('version='));
      s.write('GET / HTTP/1.0\r\n\r\n');
      expect(await page).toMatch(`suite=0x${CipherSuite[ECDSA].toString(16)} `);
      s.destroy();
    } finally {
      await listener.close();
    }
  });

  it('node client with a P-256 certificate -> reference server requesting ECDSA only with SHA-384: the CertificateVerify verifies', async () => {
    const { listener, conns } = await refServer(SHA384_ONLY_CLIENT_AUTH);
    try {
      const s = await nodeConnect(listener.port, { cert: read(PEM.client[0]), key: read(PEM.client[1]) });
      const server = await connFor(conns, s.localPort);
      const summary = await server.handshake;
      expect(Buffer.from(summary.peerCertificates[0]).equals(Buffer.from(TEST_PKI.client().chain[0]))).toBe(true);
      const echo = nodeRead(s, (x) => x === 'ping');
      s.write('ping');
      expect(await echo).toBe('ping');
      s.destroy();
    } finally {
      await listener.close();
    }
  });
});
