import { listenOnLowPort } from '../../implementations/reference/connection/ports.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as net from 'node:net';
import { SignatureScheme } from '../../implementations/reference/codec/enums.ts';
import { makeConfig } from '../../implementations/reference/connection/config.ts';
import { connectTls } from '../../implementations/reference/connection/tcp.ts';
import { TEST_PKI } from '../../implementations/reference/connection/testing.ts';
import { TlsError } from '../../implementations/reference/connection/errors.ts';
import { ALL_KEYS, cert, cli, startServe, type ServeProcess } from './serve-testing.ts';

const dec = (b: Uint8Array) => new TextDecoder().decode(b);
const clientConfig = (partial = {}) => makeConfig({ trustRoots: TEST_PKI.ca(), serverName: 'localhost', ...partial });

describe('tls-harness serve', () => {
  let serve: ServeProcess;
  beforeAll(async () => {
    serve = await startServe(ALL_KEYS);
  });
  afterAll(async () => {
    await serve?.stop();
  });

  it('prints exactly one ready line on stdout', () => {
    expect(serve.stdout).toEqual([`tls-harness serve: listening on 127.0.0.1:${serve.port}`]);
  });

  it('answers an HTTP GET with an HTML page in one record, then close_notify; accepts http/1.1', async () => {
    const c = await connectTls('127.0.0.1', serve.port, clientConfig({ alpn: ['h2', 'http/1.1'] }));
    expect(c.summary?.alpn).toBe('http/1.1');
    const records: string[] = [];
    c.on('data', (d) => records.push(dec(d)));
    c.write('GET / HTTP/1.1\r\nHost: localhost\r\n\r\n');
    const r = await c.closed;
    expect(r.error).toBeUndefined();
    expect(r.peerCloseNotify).toBe(true);
    expect(records).toHaveLength(1);
    expect(records[0]).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    expect(records[0]).toMatch(/<td>TLSv1\.3<\/td>/);
    const [head, body] = records[0].split('\r\n\r\n');
    expect(Number(/Content-Length: (\d+)/.exec(head)![1])).toBe(new TextEncoder().encode(body).length);
  });

  it('echoes other data', async () => {
    const c = await connectTls('127.0.0.1', serve.port, clientConfig());
    const got: string[] = [];
    const two = new Promise<void>((res) => c.on('data', (d) => (got.push(dec(d)), got.join('') === 'hello, again' && res())));
    c.write('hello, ');
    await new Promise((r) => setTimeout(r, 30));
    c.write('again');
    await two;
    await c.close();
  });

  for (const [scheme, n] of [
    ['rsa_pss_rsae_sha256', 0],
    ['ecdsa_secp256r1_sha256', 1],
    ['ed25519', 2],
  ] as const) {
    it(`picks the certificate from the client's signature_algorithms: ${scheme}`, async () => {
      const c = await connectTls('127.0.0.1', serve.port, clientConfig({ signatureSchemes: [SignatureScheme[scheme]] }));
      expect(c.summary?.signatureScheme).toBe(SignatureScheme[scheme]);
      await c.close();
      void n;
    });
  }

  it('logs one line per connection on stderr: parameters, or the error with alert and RFC rule', async () => {
    const c = await connectTls('127.0.0.1', serve.port, clientConfig());
    const local = `127.0.0.1:${c.socket.localPort} `;
    await c.close();
    expect(await serve.waitLine(local)).toMatch(/^tls-harness serve: 127\.0\.0\.1:\d+ TLSv1\.3 TLS_AES_128_GCM_SHA256 x25519 \S+ alpn=- sni=localhost resumed=no hrr=no$/);
    // The server accepts only http/1.1: a client offering only h2 gets no_application_protocol (RFC 7301 3.2).
    let port = 0;
    const err = await connectTls('127.0.0.1', serve.port, clientConfig({ alpn: ['h2'] }), { onSocket: (t) => t.socket.once('connect', () => (port = t.socket.localPort!)) }).catch((e) => e);
    expect(err).toBeInstanceOf(TlsError);
    expect(err).toMatchObject({ alert: 'no_application_protocol' });
    expect(await serve.waitLine(`127.0.0.1:${port} `)).toMatch(/handshake failed: alert no_application_protocol sent: .*RFC 7301 3\.2/);
  });

  it('logs a peer that connects and sends garbage', async () => {
    let port = 0;
    await new Promise<void>((res) => {
      const s = net.connect(serve.port, '127.0.0.1', () => ((port = s.localPort!), s.end(Buffer.alloc(16, 0xff))));
      s.on('error', () => {});
      s.on('close', () => res());
      s.resume();
    });
    expect(await serve.waitLine(`127.0.0.1:${port} `)).toMatch(/handshake failed: alert record_overflow sent/);
  });
});

describe('tls-harness serve: lifecycle and usage errors', () => {
  it('exits 0 on SIGINT and on SIGTERM, closing live connections with close_notify', async () => {
    for (const sig of ['SIGINT', 'SIGTERM'] as const) {
      const s = await startServe(['--cert', cert('server-p256.pem'), '--key', cert('server-p256.key')]);
      const c = await connectTls('127.0.0.1', s.port, clientConfig());
      const code = await s.stop(sig);
      expect(code).toBe(0);
      const r = await c.closed;
      expect(r.peerCloseNotify).toBe(true);
      expect(r.error).toBeUndefined();
    }
  });

  const dir = mkdtempSync(join(tmpdir(), 'serve-test-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const p256 = ['--cert', cert('server-p256.pem'), '--key', cert('server-p256.key')];
  const cases: [string, string[], RegExp][] = [
    ['a missing --cert file', ['--cert', join(dir, 'nope.pem'), '--key', cert('server-p256.key')], /nope\.pem: cannot read \(ENOENT\)/],
    ['an unknown flag', [...p256, '--prot', '1'], /Unknown option '--prot'.*did you mean '--port'/],
    ['no --cert', [], /--cert and --key are required/],
    ['unpaired --cert/--key', [...p256, '--cert', cert('server-rsa2048.pem')], /2 --cert but 1 --key/],
    ['a key that does not match its certificate', ['--cert', cert('server-p256.pem'), '--key', cert('server-rsa2048.key')], /does not match/],
    ['a file that is not a key', ['--cert', cert('server-p256.pem'), '--key', join(dir, 'bad.key')], /bad\.key/],
    ['a bad port', [...p256, '--port', '70000'], /--port must be an integer from 0 to 65535/],
    ['an unknown group', [...p256, '--groups', 'x25519,brainpool'], /unsupported group 'brainpool'/],
    ['a TLS 1.2 suite', [...p256, '--ciphersuites', 'TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256'], /unsupported cipher suite/],
    ['--request-client-cert without --ca', [...p256, '--request-client-cert'], /needs --ca/],
  ];
  writeFileSync(join(dir, 'bad.key'), '-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n');
  for (const [what, args, re] of cases) {
    it(`${what}: one line, exit code 2`, () => {
      // --port is given last where the case does not set it, so parsing errors come before any listen.
      const r = cli('serve', ...args);
      expect(r.code).toBe(2);
      expect(r.stdout).toBe('');
      const lines = r.stderr.trim().split('\n');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(re);
    });
  }

  it('a port in use: one line, exit code 2', async () => {
    const busy = net.createServer();
    await listenOnLowPort(busy);
    const port = (busy.address() as net.AddressInfo).port;
    try {
      const { cliAsync } = await import('./serve-testing.ts');
      const r = await cliAsync('serve', ...p256, '--port', String(port));
      expect(r.code).toBe(2);
      expect(r.stderr.trim()).toMatch(new RegExp(`^tls-harness: serve: cannot listen on 127\\.0\\.0\\.1:${port}: EADDRINUSE$`));
    } finally {
      busy.close();
    }
  });
});
