/**
 * Interop over TCP (127.0.0.1, OS-chosen ports for our own listeners): the reference client against a
 * node:tls server, and node:tls clients against the reference server, for every TLS 1.3 suite and group both
 * support, with HelloRetryRequest, resumption, client authentication, KeyUpdate and data both ways.
 * Node bundles OpenSSL 3.0, so this is OpenSSL's TLS stack driven through node's API.
 */
import { listenOnLowPort } from '../ports.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as tls from 'node:tls';
import type { AddressInfo } from 'node:net';
import { NamedGroup, SignatureScheme } from '../../codec/enums.ts';
import { MemorySessionStore } from '../config.ts';
import { TEST_PKI } from '../testing.ts';
import { connectTls, type TlsListener, type TlsSocket } from '../tcp.ts';
import { GROUPS, PEM, SUITES, connFor, connectNode, groupCode, nodeRead, read, refClientConfig, refServer, suiteCode } from './helpers.ts';

const dec = (b: Uint8Array) => new TextDecoder().decode(b);
const NODE_GROUPS = GROUPS.map(([, o]) => o).join(':');
/** Node's default suites plus the two CCM ones, which its OpenSSL has but does not enable by default. */
const NODE_CIPHERS = `${tls.DEFAULT_CIPHERS}:TLS_AES_128_CCM_SHA256:TLS_AES_128_CCM_8_SHA256`;

interface NodeServer {
  server: tls.Server;
  port: number;
  /** Per accepted socket: what node saw, by the client's port. */
  seen: Map<number, { cipher: string; key: tls.EphemeralKeyInfo | object | null; reused: boolean; alpn: string | false | null; authorized: boolean; peerCN?: string | string[] }>;
  close(): Promise<void>;
}

/** A node:tls TLS 1.3 echo server that greets first (so data flows server -> client unprompted). */
async function nodeServer(opts: tls.TlsOptions): Promise<NodeServer> {
  const seen: NodeServer['seen'] = new Map();
  const sockets = new Set<tls.TLSSocket>();
  const server = tls.createServer(
    { key: read(PEM.p256[1]), cert: read(PEM.p256[0]), minVersion: 'TLSv1.3', ecdhCurve: NODE_GROUPS, ciphers: NODE_CIPHERS, ...opts },
    (s) => {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => {});
      const peer = s.getPeerCertificate();
      seen.set(s.remotePort!, {
        cipher: s.getCipher().standardName,
        key: s.getEphemeralKeyInfo(),
        reused: s.isSessionReused(),
        alpn: s.alpnProtocol,
        authorized: s.authorized,
        peerCN: peer && 'subject' in peer ? peer.subject?.CN : undefined,
      });
      s.write('hello from node');
      s.on('data', (d) => s.write(Buffer.concat([Buffer.from('echo:'), d])));
      s.on('end', () => s.end());
    },
  );
  server.on('tlsClientError', () => {});
  await listenOnLowPort(server);
  return {
    server,
    port: (server.address() as AddressInfo).port,
    seen,
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}

/** Read `n` application-data events' worth of text (until `predicate` holds). */
function readUntil(t: TlsSocket, predicate: (all: string) => boolean): Promise<string> {
  return new Promise((resolve) => {
    let all = '';
    const on = (d: Uint8Array) => {
      all += dec(d);
      if (predicate(all)) {
        t.off('data', on);
        resolve(all);
      }
    };
    t.on('data', on);
  });
}

describe('interop: reference client -> node:tls server', () => {
  let ns: NodeServer;
  beforeAll(async () => {
    ns = await nodeServer({});
  });
  afterAll(() => ns.close());

  for (const suite of SUITES) {
    for (const [group] of GROUPS) {
      it(`${suite} over ${group}, data both ways, close_notify`, async () => {
        const c = await connectTls('127.0.0.1', ns.port, refClientConfig({ cipherSuites: [suiteCode(suite)], groups: [groupCode(group)] }));
        expect(c.summary).toMatchObject({ version: 'TLSv1.3', cipherSuite: suiteCode(suite), group: groupCode(group), helloRetry: false });
        const got = readUntil(c, (s) => s.includes('echo:ping'));
        c.write('ping');
        expect(await got).toBe('hello from nodeecho:ping');
        const seen = ns.seen.get(c.socket.localPort!)!;
        expect(seen.cipher).toBe(suite);
        const r = await c.close();
        expect(r.error).toBeUndefined();
      });
    }
  }

  it('HelloRetryRequest: client shares x25519, node accepts only P-256', async () => {
    const only = await nodeServer({ ecdhCurve: 'P-256' });
    try {
      const c = await connectTls('127.0.0.1', only.port, refClientConfig({ groups: [NamedGroup.x25519, NamedGroup.secp256r1] }));
      expect(c.summary).toMatchObject({ helloRetry: true, group: NamedGroup.secp256r1 });
      const got = readUntil(c, (s) => s.includes('echo:after hrr'));
      c.write('after hrr');
      await got;
      await c.close();
    } finally {
      await only.close();
    }
  });

  it('resumes with node\'s ticket (MemorySessionStore)', async () => {
    const store = new MemorySessionStore();
    const c1 = await connectTls('127.0.0.1', ns.port, refClientConfig({ sessionStore: store }));
    if (!store.get('localhost')) await new Promise((r) => c1.once('session', r));
    await c1.close();
    const c2 = await connectTls('127.0.0.1', ns.port, refClientConfig({ sessionStore: store }));
    expect(c2.summary).toMatchObject({ resumed: true, signatureScheme: undefined });
    await readUntil(c2, (x) => x.includes('hello from node'));
    expect(ns.seen.get(c2.socket.localPort!)?.reused).toBe(true);
    const got = readUntil(c2, (s) => s.includes('echo:resumed'));
    c2.write('resumed');
    await got;
    await c2.close();
  });

  it('ALPN, RSA, Ed25519, Ed448, P-384 and P-521 server certificates', async () => {
    for (const [pem, scheme] of [
      [PEM.rsa, SignatureScheme.rsa_pss_rsae_sha256],
      [PEM.ed25519, SignatureScheme.ed25519],
      [PEM.ed448, SignatureScheme.ed448],
      [PEM.p384, SignatureScheme.ecdsa_secp384r1_sha384],
      [PEM.p521, SignatureScheme.ecdsa_secp521r1_sha512],
    ] as const) {
      const s = await nodeServer({ key: read(pem[1]), cert: read(pem[0]), ALPNProtocols: ['http/1.1'] });
      try {
        const c = await connectTls('127.0.0.1', s.port, refClientConfig({ alpn: ['h2', 'http/1.1'] }));
        expect(c.summary).toMatchObject({ signatureScheme: scheme, alpn: 'http/1.1' });
        await c.close();
      } finally {
        await s.close();
      }
    }
  });

  it('client authentication: node requests and verifies the reference client\'s certificate', async () => {
    const s = await nodeServer({ requestCert: true, rejectUnauthorized: true, ca: read(PEM.ca) });
    try {
      const c = await connectTls('127.0.0.1', s.port, refClientConfig({ certificates: [TEST_PKI.client()] }));
      await readUntil(c, (x) => x.includes('hello from node'));
      expect(s.seen.get(c.socket.localPort!)).toMatchObject({ authorized: true, peerCN: 'tls-harness client' });
      await c.close();
    } finally {
      await s.close();
    }
  });

  it('KeyUpdate(update_requested): node answers with its own and data still flows', async () => {
    const c = await connectTls('127.0.0.1', ns.port, refClientConfig());
    await readUntil(c, (x) => x.includes('hello from node'));
    const updates: string[] = [];
    c.on('key_update', (k) => updates.push(`${k.direction}`));
    c.keyUpdate(true);
    const got = readUntil(c, (s) => s.includes('echo:after update'));
    c.write('after update');
    await got;
    // Ours (write), then node's in answer (read), RFC 8446 4.6.3.
    expect(updates).toEqual(['write', 'read']);
    await c.close();
  });
});

describe('interop: node:tls client -> reference server', () => {
  let listener: TlsListener;
  let conns: TlsSocket[];
  beforeAll(async () => {
    ({ listener, conns } = await refServer({ alpn: ['http/1.1'] }));
  });
  afterAll(() => listener.close());

  const nodeConnect = (port: number, opts: tls.ConnectionOptions) => connectNode(port, { minVersion: 'TLSv1.3', ...opts });
  function nodeClose(s: tls.TLSSocket): Promise<void> {
    return new Promise((r) => {
      if (s.closed) return r();
      s.once('close', () => r());
      s.end();
    });
  }

  for (const suite of SUITES) {
    for (const [group, nodeName] of GROUPS) {
      it(`${suite} over ${group}, data both ways`, async () => {
        const s = await nodeConnect(listener.port, { ciphers: suite, ecdhCurve: nodeName, ALPNProtocols: ['http/1.1'] });
        expect(s.authorized).toBe(true);
        expect(s.getCipher().standardName).toBe(suite);
        expect(s.alpnProtocol).toBe('http/1.1');
        const server = await connFor(conns, s.localPort);
        const summary = await server.handshake;
        expect(summary).toMatchObject({ cipherSuite: suiteCode(suite), group: groupCode(group), helloRetry: false, alpn: 'http/1.1' });
        const got = nodeRead(s, (x) => x === 'ping');
        s.write('ping');
        await got;
        // A request: the server answers in one record and sends close_notify; node ends cleanly.
        const page = nodeRead(s, (x) => x.includes('\n') && x.includes('resumed='));
        const closed = new Promise((r) => s.once('close', r));
        s.write('GET / HTTP/1.0\r\n\r\n');
        expect(await page).toMatch(`suite=0x${suiteCode(suite).toString(16)} group=0x${groupCode(group).toString(16)}`);
        await closed;
        const r = await server.closed;
        expect(r.error).toBeUndefined();
      });
    }
  }

  it('HelloRetryRequest: node shares x25519, the reference server accepts only secp256r1', async () => {
    const only = await refServer({ groups: [NamedGroup.secp256r1] });
    try {
      const s = await nodeConnect(only.listener.port, {});
      const server = await connFor(only.conns, s.localPort);
      expect(await server.handshake).toMatchObject({ helloRetry: true, group: NamedGroup.secp256r1 });
      const got = nodeRead(s, (x) => x === 'after hrr');
      s.write('after hrr');
      await got;
      await nodeClose(s);
    } finally {
      await only.listener.close();
    }
  });

  it('resumes with the reference server\'s ticket (node session option)', async () => {
    const s1 = await nodeConnect(listener.port, {});
    const session = await new Promise<Buffer>((r) => s1.once('session', r));
    await nodeClose(s1);
    const s2 = await nodeConnect(listener.port, { session });
    expect(s2.isSessionReused()).toBe(true);
    const server = await connFor(conns, s2.localPort);
    expect(await server.handshake).toMatchObject({ resumed: true });
    const got = nodeRead(s2, (x) => x === 'again');
    s2.write('again');
    await got;
    await nodeClose(s2);
  });

  it('client authentication: the reference server verifies node\'s client certificate', async () => {
    const auth = await refServer({ requestClientCert: true, requireClientCert: true });
    try {
      const s = await nodeConnect(auth.listener.port, { key: read(PEM.client[1]), cert: read(PEM.client[0]) });
      const server = await connFor(auth.conns, s.localPort);
      // node sends the leaf and, having the CA in `ca`, the CA too.
      expect((await server.handshake).peerCertificates.length).toBeGreaterThanOrEqual(1);
      await nodeClose(s);
    } finally {
      await auth.listener.close();
    }
  });

  it('the reference server serves RSA, Ed25519, Ed448 and ECDSA (P-256, P-384, P-521) by the client\'s sigalgs', async () => {
    for (const [sigalgs, scheme] of [
      ['rsa_pss_rsae_sha256', SignatureScheme.rsa_pss_rsae_sha256],
      ['ed25519', SignatureScheme.ed25519],
      ['ed448', SignatureScheme.ed448],
      ['ecdsa_secp256r1_sha256', SignatureScheme.ecdsa_secp256r1_sha256],
      ['ecdsa_secp384r1_sha384', SignatureScheme.ecdsa_secp384r1_sha384],
      ['ecdsa_secp521r1_sha512', SignatureScheme.ecdsa_secp521r1_sha512],
    ] as const) {
      const s = await nodeConnect(listener.port, { sigalgs });
      const server = await connFor(conns, s.localPort);
      expect((await server.handshake).signatureScheme).toBe(scheme);
      await nodeClose(s);
    }
  });
});
