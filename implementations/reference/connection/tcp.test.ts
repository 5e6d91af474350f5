import { listenOnLowPort } from './ports.ts';
import { afterEach, describe, expect, it } from 'vitest';
import * as net from 'node:net';
import { CipherSuite, NamedGroup } from '../codec/enums.ts';
import { MemorySessionStore } from './config.ts';
import { TlsError } from './errors.ts';
import { connectTls, createTlsServer, TlsSocket, TransportError, type TlsListener } from './tcp.ts';
import { testClientConfig, testServerConfig } from './testing.ts';

const dec = (b: Uint8Array) => new TextDecoder().decode(b);

/** Every listener and raw socket a test opens, closed after it. */
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function echoServer(serverPartial = {}): Promise<TlsListener> {
  const listener = createTlsServer(testServerConfig(serverPartial), (t) => {
    t.on('data', (d) => t.write(d));
  });
  await listener.listen(0, '127.0.0.1');
  cleanups.push(() => listener.close());
  return listener;
}

/** A plain TCP server whose accepted sockets `onSocket` drives (garbage, silence, resets). */
async function rawServer(onSocket: (s: net.Socket) => void): Promise<number> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => {});
    onSocket(s);
  });
  await listenOnLowPort(server);
  cleanups.push(
    () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  );
  return (server.address() as net.AddressInfo).port;
}

function nextData(t: TlsSocket): Promise<string> {
  return new Promise((r) => t.once('data', (d) => r(dec(d))));
}

/** Sockets and timers of node:net still open (the leak check). */
function openHandles(): string[] {
  return process.getActiveResourcesInfo().filter((r) => r === 'TCPSocketWrap' || r === 'TCPServerWrap');
}

describe('TCP adapter: reference client against reference server', () => {
  it('handshakes, carries data both ways and closes with close_notify on both sides', async () => {
    const serverSide: TlsSocket[] = [];
    const listener = createTlsServer(testServerConfig({ alpn: ['http/1.1'] }), (t) => {
      serverSide.push(t);
      t.on('data', (d) => t.write(`echo:${dec(d)}`));
    });
    const { port } = await listener.listen(0);
    cleanups.push(() => listener.close());
    const c = await connectTls('127.0.0.1', port, testClientConfig({ alpn: ['http/1.1'] }));
    expect(c.summary).toMatchObject({ version: 'TLSv1.3', alpn: 'http/1.1', resumed: false });
    expect(c.socket.remotePort).toBe(port);
    const reply = nextData(c);
    c.write('ping');
    expect(await reply).toBe('echo:ping');
    const r = await c.close();
    expect(r.error).toBeUndefined();
    const sr = await serverSide[0].closed;
    expect(sr).toMatchObject({ peerCloseNotify: true });
    expect(sr.error).toBeUndefined();
    expect(sr.summary?.alpn).toBe('http/1.1');
  });

  it('keeps data that arrives with the handshake for the first data listener (a TLS 1.2 server greeting)', async () => {
    // In a full TLS 1.2 handshake the server's Finished ends the client's handshake; a greeting written at once
    // may come in the same read, before `await connectTls()` returns and a listener is attached.
    const listener = createTlsServer(testServerConfig({ minVersion: 'TLSv1.2', cipherSuites: [CipherSuite.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256] }), (t) => {
      t.on('secure', () => t.write(new TextEncoder().encode('greeting')));
    });
    const { port } = await listener.listen(0);
    cleanups.push(() => listener.close());
    const c = await connectTls('127.0.0.1', port, testClientConfig({ maxVersion: 'TLSv1.2', minVersion: 'TLSv1.2', cipherSuites: [CipherSuite.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256] }));
    await new Promise((r) => setTimeout(r, 50));
    let got = '';
    c.on('data', (d) => (got += dec(d)));
    await new Promise((r) => setTimeout(r, 50));
    expect(got).toBe('greeting');
    await c.close();
  });

  it('queues writes made before the handshake completes', async () => {
    const listener = await echoServer();
    let t!: TlsSocket;
    const p = connectTls('127.0.0.1', listener.port, testClientConfig(), { onSocket: (s) => (t = s) });
    t.write('early write');
    const c = await p;
    expect(await nextData(c)).toBe('early write');
    await c.close();
  });

  it('close() during the handshake: handshake rejects, closed resolves', async () => {
    const port = await rawServer((s) => s.on('data', () => {}));
    let t!: TlsSocket;
    const p = connectTls('127.0.0.1', port, testClientConfig(), { lingerMs: 100, onSocket: (s) => (t = s) });
    await new Promise((r) => t.socket.once('connect', r));
    const closed = t.close();
    expect(await p.catch((e) => e)).toMatchObject({ kind: 'eof' });
    expect((await closed).summary).toBeUndefined();
  });

  it('KeyUpdate both ways and a server-initiated close', async () => {
    const serverSide: TlsSocket[] = [];
    const listener = createTlsServer(testServerConfig(), (t) => {
      serverSide.push(t);
      t.on('data', (d) => {
        if (dec(d) === 'bye') void t.close();
        else t.write(d);
      });
    });
    const { port } = await listener.listen(0);
    cleanups.push(() => listener.close());
    const c = await connectTls('127.0.0.1', port, testClientConfig());
    const updates: string[] = [];
    c.on('key_update', (k) => updates.push(k.direction));
    expect(c.keyUpdate(true)).toBe(true);
    const d = nextData(c);
    c.write('after update');
    expect(await d).toBe('after update');
    expect(updates).toEqual(['write', 'read']);
    const ended = new Promise<void>((r) => c.once('end', r));
    c.write('bye');
    await ended;
    const r = await c.closed;
    expect(r).toMatchObject({ peerCloseNotify: true });
    expect(r.error).toBeUndefined();
    expect(c.write('too late')).toBe(false);
  });

  it('resumes with a ticket over TCP', async () => {
    const listener = await echoServer();
    const store = new MemorySessionStore();
    const c1 = await connectTls('127.0.0.1', listener.port, testClientConfig({ sessionStore: store }));
    if (!store.get('localhost')) await new Promise((r) => c1.once('session', r));
    await c1.close();
    const c2 = await connectTls('127.0.0.1', listener.port, testClientConfig({ sessionStore: store }));
    expect(c2.summary).toMatchObject({ resumed: true });
    await c2.close();
  });

  it('a handshake failure is a TlsError on both sides, with alert and rule', async () => {
    const serverSide: TlsSocket[] = [];
    const listener = createTlsServer(testServerConfig({ cipherSuites: [CipherSuite.TLS_AES_256_GCM_SHA384] }), (t) => serverSide.push(t));
    const { port } = await listener.listen(0);
    cleanups.push(() => listener.close());
    const err = await connectTls('127.0.0.1', port, testClientConfig({ cipherSuites: [CipherSuite.TLS_AES_128_GCM_SHA256] })).catch((e) => e);
    expect(err).toBeInstanceOf(TlsError);
    expect(err).toMatchObject({ alert: 'handshake_failure', origin: 'alert-received' });
    const sr = await serverSide[0].closed;
    expect(sr.error).toMatchObject({ alert: 'handshake_failure', rule: 'RFC 8446 4.1.1', origin: 'peer' });
  });

  it('runs HelloRetryRequest over TCP', async () => {
    const listener = await echoServer({ groups: [NamedGroup.secp256r1] });
    const c = await connectTls('127.0.0.1', listener.port, testClientConfig({ groups: [NamedGroup.x25519, NamedGroup.secp256r1] }));
    expect(c.summary).toMatchObject({ helloRetry: true, group: NamedGroup.secp256r1 });
    await c.close();
  });
});

describe('TCP adapter: misbehaving peers', () => {
  it('a server that answers with garbage: TlsError from the record layer, socket closed', async () => {
    const port = await rawServer((s) => s.once('data', () => s.write('HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n')));
    const err = await connectTls('127.0.0.1', port, testClientConfig()).catch((e) => e);
    expect(err).toBeInstanceOf(TlsError);
    expect((err as TlsError).origin).toBe('peer');
    expect((err as TlsError).rule).toMatch(/^RFC 8446/);
  });

  it('a client that sends garbage: the server connection fails at once with a TlsError and sends an alert', async () => {
    const serverSide: TlsSocket[] = [];
    const listener = createTlsServer(testServerConfig(), (t) => serverSide.push(t));
    const { port } = await listener.listen(0);
    cleanups.push(() => listener.close());
    const got = await new Promise<Buffer>((resolve) => {
      const s = net.connect(port, '127.0.0.1', () => s.write(Buffer.alloc(64, 0xff)));
      const chunks: Buffer[] = [];
      s.on('data', (d) => chunks.push(d));
      s.on('error', () => {});
      s.on('close', () => resolve(Buffer.concat(chunks)));
    });
    // One plaintext fatal alert record: record_overflow (the header claims 65535 bytes, RFC 8446 5.1).
    expect(got.toString('hex')).toBe('15030300020216');
    const sr = await serverSide[0].closed;
    expect(sr.error).toBeInstanceOf(TlsError);
    expect(sr.error).toMatchObject({ origin: 'peer', alert: 'record_overflow' });
  });

  it('a plaintext HTTP request to the server is an unexpected_message at once (RFC 8446 5: unknown content type)', async () => {
    const serverSide: TlsSocket[] = [];
    const listener = createTlsServer(testServerConfig({ handshakeTimeoutMs: 300 }), (t) => serverSide.push(t));
    const { port } = await listener.listen(0);
    cleanups.push(() => listener.close());
    const s = net.connect(port, '127.0.0.1', () => s.write('GET / HTTP/1.1\r\nHost: localhost\r\n\r\n'));
    s.on('error', () => {});
    cleanups.push(() => void s.destroy());
    while (!serverSide[0]) await new Promise((r) => setTimeout(r, 5));
    const sr = await serverSide[0].closed;
    // 'GET / ...' reads as a record of content type 0x47: refused from its first byte, not after a timeout.
    expect(sr.error).toBeInstanceOf(TlsError);
    expect(sr.error).toMatchObject({ alert: 'unexpected_message', rule: 'RFC 8446 5' });
  });

  it('a silent server: timeout error within the configured time, user_canceled + close_notify sent', async () => {
    const received: Buffer[] = [];
    const port = await rawServer((s) => s.on('data', (d) => received.push(d)));
    const t0 = Date.now();
    const err = await connectTls('127.0.0.1', port, testClientConfig({ handshakeTimeoutMs: 300 })).catch((e) => e);
    const elapsed = Date.now() - t0;
    expect(err).toBeInstanceOf(TransportError);
    expect(err).toMatchObject({ kind: 'timeout' });
    expect(elapsed).toBeGreaterThanOrEqual(290);
    expect(elapsed).toBeLessThan(5000);
    await new Promise((r) => setTimeout(r, 50));
    const all = Buffer.concat(received);
    // The ClientHello, then two plaintext alerts (the client has no keys yet): user_canceled, close_notify.
    expect(all.subarray(-14).toString('hex')).toBe('1503030002015a' + '15030300020100');
  });

  it('a silent client: the server connection times out', async () => {
    const serverSide: TlsSocket[] = [];
    const listener = createTlsServer(testServerConfig({ handshakeTimeoutMs: 200 }), (t) => serverSide.push(t));
    const { port } = await listener.listen(0);
    cleanups.push(() => listener.close());
    const s = net.connect(port, '127.0.0.1');
    s.on('error', () => {});
    cleanups.push(() => void s.destroy());
    await new Promise((r) => s.once('connect', r));
    const t0 = Date.now();
    const r = await new Promise<import('./tcp.ts').CloseResult>((res) => {
      const check = () => (serverSide[0] ? serverSide[0].closed.then(res) : setTimeout(check, 5));
      check();
    });
    expect(r.error).toMatchObject({ kind: 'timeout' });
    expect(Date.now() - t0).toBeLessThan(5000);
  });

  it('a server that resets the connection: TransportError reset (or eof)', async () => {
    const port = await rawServer((s) => s.once('data', () => s.resetAndDestroy()));
    const err = await connectTls('127.0.0.1', port, testClientConfig()).catch((e) => e);
    expect(err).toBeInstanceOf(TransportError);
    expect(err).toMatchObject({ kind: 'reset', code: 'ECONNRESET' });
  });

  it('a reset after the handshake ends the connection with a reset error', async () => {
    const serverSide: TlsSocket[] = [];
    const listener = createTlsServer(testServerConfig(), (t) => serverSide.push(t));
    const { port } = await listener.listen(0);
    cleanups.push(() => listener.close());
    const c = await connectTls('127.0.0.1', port, testClientConfig());
    await serverSide[0].handshake;
    // (A reset issued in the same tick as the server's last write arrives as a FIN on Linux: let it settle.)
    await new Promise((r) => setTimeout(r, 50));
    serverSide[0].socket.resetAndDestroy();
    const r = await c.closed;
    expect(r.error).toMatchObject({ kind: 'reset' });
    expect(r.summary?.version).toBe('TLSv1.3');
  });

  it('a server that closes TCP without close_notify after the handshake: eof (truncation, RFC 8446 6.1)', async () => {
    const serverSide: TlsSocket[] = [];
    const listener = createTlsServer(testServerConfig(), (t) => serverSide.push(t));
    const { port } = await listener.listen(0);
    cleanups.push(() => listener.close());
    const c = await connectTls('127.0.0.1', port, testClientConfig());
    await serverSide[0].handshake;
    serverSide[0].socket.end();
    const r = await c.closed;
    expect(r.error).toMatchObject({ kind: 'eof', rule: 'RFC 8446 6.1' });
  });

  it('a server that closes during the handshake: eof', async () => {
    const port = await rawServer((s) => s.once('data', () => s.end()));
    const err = await connectTls('127.0.0.1', port, testClientConfig()).catch((e) => e);
    expect(err).toMatchObject({ kind: 'eof' });
  });

  it('connection refused: TransportError connect', async () => {
    const port = await rawServer(() => {});
    await cleanups.pop()!(); // close it again: nothing listens on the port now
    const err = await connectTls('127.0.0.1', port, testClientConfig()).catch((e) => e);
    expect(err).toMatchObject({ kind: 'connect', code: 'ECONNREFUSED' });
  });

  it('leaves no sockets or servers open', async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
    await new Promise((r) => setTimeout(r, 20));
    expect(openHandles()).toEqual([]);
  });
});
