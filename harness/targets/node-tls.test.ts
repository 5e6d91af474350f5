/**
 * The node-tls adapter (both roles) and the tcp:// adapter against a local node:tls server.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveTarget } from './config.ts';
import { NodeTlsTarget } from './node-tls.ts';
import { TcpTarget } from './tcp.ts';
import { freeLowPort } from './processes.ts';
import { ctx, handshakeOver, rawListener, tlsListener, waitFor } from './testing.ts';
import { REFERENCE_CAPABILITIES } from './reference.ts';
import { readFileSync } from 'node:fs';
import { TEST_PKI } from '../../implementations/reference/connection/testing.ts';
import type { Target } from './types.ts';

describe('node-tls adapter: server role', () => {
  it('is TLS 1.3 only by default', async () => {
    const t = new NodeTlsTarget({ capabilities: REFERENCE_CAPABILITIES });
    await t.start();
    try {
      expect(t.serverPort).toBeLessThan(32768);
      const hs = await handshakeOver((await t.connect(ctx('a'))).stream);
      expect(hs).toMatchObject({ protocol: 'TLSv1.3', authorized: true });
      // Application data is echoed.
      hs.socket.write('ping');
      const echoed = await new Promise<string>((r) => hs.socket.once('data', (d: Buffer) => r(d.toString())));
      expect(echoed).toBe('ping');
      hs.socket.destroy();
      await expect(handshakeOver((await t.connect(ctx('b'))).stream, { maxVersion: 'TLSv1.2' })).rejects.toThrow(/protocol version|alert/i);
    } finally {
      await t.stop();
    }
  });

  it('the shipped node config: TLS 1.2 and 1.3, ECDSA and RSA certificates, ALPN, TLS 1.2 session resumption', async () => {
    const t = resolveTarget('node') as NodeTlsTarget;
    expect(t).toBeInstanceOf(NodeTlsTarget);
    await t.start(new AbortController().signal);
    try {
      const rsa = await handshakeOver((await t.connect(ctx('a'))).stream, { sigalgs: 'rsa_pss_rsae_sha256', ALPNProtocols: ['http/1.1'] });
      expect(rsa.protocol).toBe('TLSv1.3');
      expect(rsa.socket.alpnProtocol).toBe('http/1.1');
      expect(rsa.socket.getPeerX509Certificate()?.publicKey.asymmetricKeyType).toBe('rsa');
      rsa.socket.destroy();
      const first = await handshakeOver((await t.connect(ctx('b'))).stream, { maxVersion: 'TLSv1.2', ciphers: 'ECDHE-ECDSA-AES128-GCM-SHA256' });
      expect(first.protocol).toBe('TLSv1.2');
      expect(first.socket.getPeerX509Certificate()?.publicKey.asymmetricKeyType).toBe('ec');
      const session = first.socket.getSession()!;
      first.socket.destroy();
      const again = await handshakeOver((await t.connect(ctx('b'))).stream, { maxVersion: 'TLSv1.2', ciphers: 'ECDHE-ECDSA-AES128-GCM-SHA256', session });
      expect(again.socket.isSessionReused()).toBe(true);
      again.socket.destroy();
    } finally {
      await t.stop();
    }
  });
});

describe('node-tls adapter: client role', () => {
  let t: NodeTlsTarget;
  beforeAll(() => {
    t = resolveTarget('node') as NodeTlsTarget;
  });
  afterAll(() => t.stop());

  it('connects to our listener with SNI localhost, and resumes within a case', async () => {
    const l = await tlsListener();
    try {
      await t.launchClient(ctx('c1', { host: '127.0.0.1', port: l.port }));
      const s1 = await l.next();
      expect(s1.getProtocol()).toBe('TLSv1.3');
      expect((s1 as unknown as { servername?: string }).servername).toBe('localhost');
      expect(s1.isSessionReused()).toBe(false);
      await new Promise((r) => setTimeout(r, 200)); // the tickets reach the client
      s1.end();
      await t.launchClient(ctx('c1', { host: '127.0.0.1', port: l.port }));
      const s2 = await l.next();
      expect(s2.isSessionReused()).toBe(true);
      await t.endCase(ctx('c1'));
      await waitFor(() => s2.destroyed || s2.readableEnded, 5000, 'the client to close');
    } finally {
      await l.close();
    }
  });

  it('sends a ClientHello to a plain TCP listener; endCase closes it', async () => {
    const raw = await rawListener();
    try {
      await t.launchClient(ctx('c2', { host: '127.0.0.1', port: raw.port }));
      const first = await raw.firstBytes();
      expect(first[0]).toBe(0x16);
      expect(first[5]).toBe(0x01);
      await t.endCase(ctx('c2'));
    } finally {
      await raw.close();
    }
  });
});

describe('tcp:// adapter', () => {
  it('connects to a running node:tls server', async () => {
    const l = await tlsListener();
    try {
      const t = resolveTarget(`tcp://127.0.0.1:${l.port}`) as TcpTarget;
      expect(t).toBeInstanceOf(TcpTarget);
      expect(t.capabilities.roles).toEqual(['server']);
      expect((t as Target).launchClient).toBeUndefined();
      await t.start(new AbortController().signal);
      const conn = await t.connect(ctx('a'));
      expect(conn.peer).toBe(`127.0.0.1:${l.port}`);
      const hs = await handshakeOver(conn.stream);
      expect(hs).toMatchObject({ protocol: 'TLSv1.3', authorized: true });
      hs.socket.destroy();
      await t.stop();
    } finally {
      await l.close();
    }
  });

  it('reports a refused connection clearly', async () => {
    const port = freeLowPort();
    const t = resolveTarget(`tcp://127.0.0.1:${port}`);
    await expect(t.start(new AbortController().signal)).rejects.toThrow(`cannot connect to the server at 127.0.0.1:${port}: connection refused (is it running and listening there?)`);
    await expect(t.connect(ctx('a'))).rejects.toThrow(/connection refused/);
  });
});

describe('cauth: node-tls target_options.request_client_certificate', () => {
  it('routes the case to a second server that requires a client certificate verified against the test CA', async () => {
    const t = resolveTarget('node') as NodeTlsTarget;
    expect(t.capabilities.features).toContain('request_client_certificate');
    await t.start(new AbortController().signal);
    const client = { cert: readFileSync(TEST_PKI.path('client-p256.pem')), key: readFileSync(TEST_PKI.path('client-p256.key')) };
    const echo = (sock: import('node:tls').TLSSocket) =>
      new Promise<string>((r) => {
        sock.once('data', (d: Buffer) => r(d.toString()));
        sock.once('error', (e) => r(`error: ${e.message}`));
        sock.once('close', () => r('closed'));
        sock.write('ping');
      });
    try {
      const plain = await handshakeOver((await t.connect(ctx('a'))).stream);
      expect(await echo(plain.socket)).toBe('ping');
      plain.socket.destroy();
      const auth = await t.connect({ ...ctx('b'), options: { request_client_certificate: true } });
      expect(auth.peer).toMatch(/requesting a client certificate/);
      const withCert = await handshakeOver(auth.stream, client);
      expect(await echo(withCert.socket)).toBe('ping');
      withCert.socket.destroy();
      // Without a certificate: the server aborts (certificate_required) after the client's Finished.
      const without = await handshakeOver((await t.connect({ ...ctx('c'), options: { request_client_certificate: true } })).stream);
      expect(await echo(without.socket)).toMatch(/^error: .*certificate required|^closed$/i);
      without.socket.destroy();
    } finally {
      await t.stop();
    }
  });
});
