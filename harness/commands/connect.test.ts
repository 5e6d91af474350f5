import { listenOnLowPort } from '../../implementations/reference/connection/ports.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as net from 'node:net';
import { ALL_KEYS, cert, cliAsync, startServes, type ServeProcess } from './serve-testing.ts';
import { parseHostPort, sentServerName } from './connect.ts';
import { spawnSync } from 'node:child_process';
import { probe, startProgram, type Program } from '../../implementations/reference/connection/interop/helpers.ts';

const CA = cert('ca.pem');

describe('tls-harness connect, against tls-harness serve', () => {
  let serve: ServeProcess;
  let p256only: ServeProcess;
  beforeAll(async () => {
    [serve, p256only] = await startServes([ALL_KEYS, [...ALL_KEYS, '--groups', 'secp256r1']]);
  });
  afterAll(async () => {
    await Promise.all([serve?.stop(), p256only?.stop()]);
  });
  const at = () => `localhost:${serve.port}`;

  it('prints the negotiated parameters by name and exits 0', async () => {
    const r = await cliAsync('connect', at(), '--ca', CA);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^connected to localhost:\d+\n/);
    expect(r.stdout).toMatch(/version: +TLSv1\.3\n/);
    expect(r.stdout).toMatch(/cipher suite: +TLS_AES_128_GCM_SHA256\n/);
    expect(r.stdout).toMatch(/group: +x25519\n/);
    expect(r.stdout).toMatch(/signature scheme: +rsa_pss_rsae_sha256\n/);
    expect(r.stdout).toMatch(/server name: +localhost\n/);
    expect(r.stdout).toMatch(/resumed: +no\n/);
    expect(r.stdout).toMatch(/verification: +ok \(chain to .*ca\.pem, name localhost\)/);
  });

  it('--json with a chosen suite, group and ALPN', async () => {
    const r = await cliAsync('connect', at(), '--ca', CA, '--json', '--ciphersuites', 'TLS_CHACHA20_POLY1305_SHA256', '--groups', 'P-384', '--alpn', 'h2,http/1.1');
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0])).toMatchObject({
      ok: true,
      version: 'TLSv1.3',
      cipherSuite: 'TLS_CHACHA20_POLY1305_SHA256',
      group: 'secp384r1',
      alpn: 'http/1.1',
      resumed: false,
      helloRetry: false,
      verification: 'ok',
    });
  });

  it('--resume reports the second connection, resumed', async () => {
    const r = await cliAsync('connect', at(), '--ca', CA, '--resume', '--json');
    expect(r.code).toBe(0);
    const o = JSON.parse(r.stdout);
    expect(o).toMatchObject({ ok: true, resumed: true, signatureScheme: null, first: { resumed: false, ticketReceived: true } });
  });

  it('--send prints the reply (the HTML page for a GET)', async () => {
    const r = await cliAsync('connect', at(), '--ca', CA, '--send', 'GET / HTTP/1.0\\r\\n\\r\\n');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/--- received \d+ bytes ---\nHTTP\/1\.1 200 OK\r\n/);
    expect(r.stdout).toMatch(/<th>Request<\/th><td>GET \/ HTTP\/1\.0<\/td>/);
  });

  it('reports a HelloRetryRequest (server accepts only secp256r1)', async () => {
    const r = await cliAsync('connect', `127.0.0.1:${p256only.port}`, '--ca', CA, '--servername', 'localhost', '--groups', 'x25519,secp256r1', '--json');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ group: 'secp256r1', helloRetry: true });
  });

  it('a wrong server name fails verification: exit 1 with the alert and rule', async () => {
    const r = await cliAsync('connect', `127.0.0.1:${serve.port}`, '--ca', CA, '--servername', 'example.com');
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/handshake failed: alert bad_certificate sent: .*RFC 8446 4\.4\.2\.4/);
  });

  it('an IP address is verified against the IP SAN and sends no SNI: serverName null (RFC 6066 3)', async () => {
    const r = await cliAsync('connect', `127.0.0.1:${serve.port}`, '--ca', CA, '--json');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ ok: true, serverName: null, verification: 'ok' });
    // The server saw no server_name (its log line says sni=-): the only connection of this server without one.
    expect(await serve.waitLine(' sni=- ')).toMatch(/TLSv1\.3 .* sni=- resumed=no/);
    const text = await cliAsync('connect', `127.0.0.1:${serve.port}`, '--ca', CA);
    expect(text.stdout).toMatch(/server name: +\(none sent: 127\.0\.0\.1 is an IP address, RFC 6066 3\)\n/);
    expect(text.stdout).toMatch(/verification: +ok \(chain to .*ca\.pem, name 127\.0\.0\.1 \(IP SAN\)\)/);
  });

  it('sentServerName: null for IPv4 and IPv6 literals and for no name, the name otherwise', () => {
    expect(['127.0.0.1', '::1', '2001:db8::1', '', undefined].map(sentServerName)).toEqual([null, null, null, null, null]);
    expect(sentServerName('localhost')).toBe('localhost');
    expect(sentServerName('example.test')).toBe('example.test');
  });

  it('an ALPN mismatch: exit 1, no_application_protocol received, with --json', async () => {
    const r = await cliAsync('connect', at(), '--ca', CA, '--alpn', 'h2', '--json');
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout)).toMatchObject({ ok: false, error: { type: 'tls', alert: 'no_application_protocol', origin: 'alert-received' } });
  });

  it('--insecure skips verification and says so', async () => {
    const r = await cliAsync('connect', `127.0.0.1:${serve.port}`, '--insecure', '--servername', 'wrong.example');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/verification: +skipped \(--insecure\)/);
  });
});

describe('tls-harness connect: TLS 1.2 (--max-version / --min-version)', () => {
  let dual: ServeProcess;
  let only13: ServeProcess;
  let only12: ServeProcess;
  beforeAll(async () => {
    [dual, only13, only12] = await startServes([
      [...ALL_KEYS, '--min-version', '1.2'],
      [...ALL_KEYS, '--min-version', '1.3'],
      [...ALL_KEYS, '--max-version', '1.2'],
    ]);
  });
  afterAll(async () => {
    await Promise.all([dual?.stop(), only13?.stop(), only12?.stop()]);
  });
  const at = () => `localhost:${dual.port}`;

  it('with no version flag, TLS 1.2 and 1.3 are offered: TLS 1.2 from a TLS 1.2-only server, TLS 1.3 from a TLS 1.3-only one', async () => {
    const r12 = await cliAsync('connect', `localhost:${only12.port}`, '--ca', CA, '--json');
    expect(r12.code).toBe(0);
    expect(JSON.parse(r12.stdout)).toMatchObject({ ok: true, version: 'TLSv1.2', cipherSuite: 'TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256', extendedMasterSecret: true });
    const r13 = await cliAsync('connect', `localhost:${only13.port}`, '--ca', CA, '--json');
    expect(r13.code).toBe(0);
    expect(JSON.parse(r13.stdout)).toMatchObject({ ok: true, version: 'TLSv1.3', extendedMasterSecret: null });
  });

  it('--resume with no version flag against a TLS 1.2-only server: the dual ClientHello resumes the TLS 1.2 session', async () => {
    const r = await cliAsync('connect', `localhost:${only12.port}`, '--ca', CA, '--resume', '--json');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ ok: true, version: 'TLSv1.2', resumed: true, first: { version: 'TLSv1.2', resumed: false } });
  });

  it('--min-version 1.3 against a TLS 1.2-only server: exit 1, protocol_version', async () => {
    const r = await cliAsync('connect', `localhost:${only12.port}`, '--ca', CA, '--min-version', '1.3');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/handshake failed: alert protocol_version received/);
  });

  it('--ciphersuites with TLS 1.2 suites only (no version flag) offers TLS 1.2 only, even to a dual server', async () => {
    const r = await cliAsync('connect', at(), '--ca', CA, '--ciphersuites', 'ECDHE-RSA-AES256-GCM-SHA384', '--json');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ ok: true, version: 'TLSv1.2', cipherSuite: 'TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384' });
  });

  it('--max-version 1.2 prints TLSv1.2, EMS and EtM (no hello retry line)', async () => {
    const r = await cliAsync('connect', at(), '--ca', CA, '--max-version', '1.2');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/version: +TLSv1\.2\n/);
    expect(r.stdout).toMatch(/cipher suite: +TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256\n/);
    expect(r.stdout).toMatch(/EMS \(RFC 7627\): +yes\n {2}EtM \(RFC 7366\): +no\n/);
    expect(r.stdout).not.toMatch(/hello retry/);
  });

  it('--json: RSA key exchange with a CBC suite by OpenSSL name (no group, no signature scheme; EMS and EtM on)', async () => {
    const r = await cliAsync('connect', at(), '--ca', CA, '--max-version', 'TLSv1.2', '--ciphersuites', 'AES128-SHA', '--json');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ ok: true, version: 'TLSv1.2', cipherSuite: 'TLS_RSA_WITH_AES_128_CBC_SHA', group: null, signatureScheme: null, extendedMasterSecret: true, encryptThenMac: true });
  });

  it('--no-ems --no-etm', async () => {
    const r = await cliAsync('connect', at(), '--ca', CA, '--max-version', '1.2', '--ciphersuites', 'TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256', '--no-ems', '--no-etm', '--json');
    expect(JSON.parse(r.stdout)).toMatchObject({ ok: true, cipherSuite: 'TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256', extendedMasterSecret: false, encryptThenMac: false });
  });

  it('--min-version 1.2 (or no flag) offers both and gets TLS 1.3 from a dual server; EMS/EtM are null in TLS 1.3', async () => {
    for (const flags of [['--min-version', '1.2'], []]) {
      const r = await cliAsync('connect', at(), '--ca', CA, ...flags, '--json');
      expect(JSON.parse(r.stdout), flags.join(' ')).toMatchObject({ ok: true, version: 'TLSv1.3', extendedMasterSecret: null, encryptThenMac: null });
    }
  });

  it('--max-version 1.2 --resume: the second connection resumes (session ID or ticket), without waiting for a ticket', async () => {
    const t0 = Date.now();
    const r = await cliAsync('connect', at(), '--ca', CA, '--max-version', '1.2', '--resume', '--json');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ ok: true, version: 'TLSv1.2', resumed: true, group: null, signatureScheme: null, first: { resumed: false, ticketReceived: true } });
    expect(Date.now() - t0).toBeLessThan(10_000);
  });

  it('--send over TLS 1.2 prints the page', async () => {
    const r = await cliAsync('connect', at(), '--ca', CA, '--max-version', '1.2', '--send', 'GET / HTTP/1.0\\r\\n\\r\\n');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/<tr><th>Protocol<\/th><td>TLSv1\.2<\/td><\/tr>/);
  });

  const noOpenssl = spawnSync('openssl', ['version']).error !== undefined;
  it.skipIf(noOpenssl)('against s_server -sigalgs ECDSA+SHA1: no SHA-1 offered, handshake_failure (exit 1); --allow-sha1-signatures connects with ecdsa_sha1', async () => {
    const srv = await startProgram(
      'openssl',
      (port) => ['s_server', '-accept', `127.0.0.1:${port}`, '-tls1_2', '-www', '-cert', cert('server-p256.pem'), '-key', cert('server-p256.key'), '-sigalgs', 'ECDSA+SHA1', '-cipher', 'ECDHE-ECDSA-AES128-GCM-SHA256:@SECLEVEL=0'],
      /ACCEPT/,
      9100,
    );
    try {
      const strict = await cliAsync('connect', `localhost:${srv.port}`, '--ca', CA, '--max-version', '1.2');
      expect(strict.code).toBe(1);
      expect(strict.stderr).toMatch(/handshake failed: alert handshake_failure received/);
      const legacy = await cliAsync('connect', `localhost:${srv.port}`, '--ca', CA, '--max-version', '1.2', '--allow-sha1-signatures', '--json');
      expect(legacy.code).toBe(0);
      expect(JSON.parse(legacy.stdout)).toMatchObject({ ok: true, version: 'TLSv1.2', signatureScheme: 'ecdsa_sha1' });
    } finally {
      await srv.stop();
    }
  });

  it('--max-version 1.2 against a TLS 1.3-only server: exit 1, protocol_version', async () => {
    const r = await cliAsync('connect', `localhost:${only13.port}`, '--ca', CA, '--max-version', '1.2');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/handshake failed: alert protocol_version received/);
  });
});

describe('tls-harness connect: failures and usage errors', () => {
  it('connection refused: exit 1, one line', async () => {
    const s = net.createServer();
    await listenOnLowPort(s);
    const port = (s.address() as net.AddressInfo).port;
    await new Promise((r) => s.close(r));
    const r = await cliAsync('connect', `127.0.0.1:${port}`, '--ca', CA);
    expect(r.code).toBe(1);
    expect(r.stderr.trim()).toMatch(/^tls-harness connect: 127\.0\.0\.1:\d+: connection failed: connect: .*ECONNREFUSED/);
  });

  it('a silent server: exit 1 after --timeout', async () => {
    const sockets: net.Socket[] = [];
    const s = net.createServer((c) => sockets.push(c.on('error', () => {})));
    await listenOnLowPort(s);
    try {
      const r = await cliAsync('connect', `127.0.0.1:${(s.address() as net.AddressInfo).port}`, '--ca', CA, '--timeout', '300');
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/connection failed: timeout: handshake not complete after 300 ms/);
    } finally {
      for (const c of sockets) c.destroy();
      s.close();
    }
  });

  const cases: [string, string[], RegExp][] = [
    ['no --ca and no --insecure', ['127.0.0.1:4433'], /--ca FILE is required to verify the server \(or --insecure/],
    ['no HOST:PORT', ['--ca', CA], /expected one HOST:PORT argument, got 0/],
    ['a bad HOST:PORT', ['localhost', '--ca', CA], /expected HOST:PORT, got 'localhost'/],
    ['an unknown flag', ['127.0.0.1:4433', '--ca', CA, '--jsn'], /Unknown option '--jsn'.*did you mean '--json'/],
    ['a missing --ca file', ['127.0.0.1:4433', '--ca', '/nonexistent/ca.pem'], /\/nonexistent\/ca\.pem: cannot read \(ENOENT\)/],
    ['--cert without --key', ['127.0.0.1:4433', '--ca', CA, '--cert', cert('client-p256.pem')], /--cert and --key go together/],
    ['an unknown suite', ['127.0.0.1:4433', '--ca', CA, '--ciphersuites', 'TLS_RSA_WITH_NULL_SHA256'], /unsupported cipher suite 'TLS_RSA_WITH_NULL_SHA256'/],
    ['a bad --max-version', ['127.0.0.1:4433', '--ca', CA, '--max-version', '1.4'], /--max-version must be 1\.2 or 1\.3/],
    ['a TLS 1.2 suite with --min-version 1.3', ['127.0.0.1:4433', '--ca', CA, '--min-version', '1.3', '--ciphersuites', 'ECDHE-RSA-AES128-GCM-SHA256'], /TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256 is a TLS 1\.2 suite, but --min-version is TLSv1\.3/],
    ['--min-version above --max-version', ['127.0.0.1:4433', '--ca', CA, '--min-version', '1.3', '--max-version', '1.2'], /--min-version TLSv1\.3 is above --max-version TLSv1\.2/],
    ['key shares outside --groups', ['127.0.0.1:4433', '--ca', CA, '--groups', 'x25519', '--key-shares', 'secp256r1'], /subset of --groups/],
  ];
  for (const [what, args, re] of cases) {
    it(`${what}: one line, exit code 2`, async () => {
      const r = await cliAsync('connect', ...args);
      expect(r.code).toBe(2);
      const lines = r.stderr.trim().split('\n');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(re);
    });
  }

  it('parseHostPort', () => {
    expect(parseHostPort('localhost:4433')).toEqual({ host: 'localhost', port: 4433 });
    expect(parseHostPort('[::1]:443')).toEqual({ host: '::1', port: 443 });
  });
});

describe('tls-harness connect against openssl s_server', () => {
  const noOpenssl = probe('openssl', ['version']);
  let server: Program | undefined;
  beforeAll(async () => {
    if (noOpenssl) return;
    // TLS 1.2 only, RSA and ECDSA P-256 certificates (-dcert), the page (-www) for protocol evidence.
    server = await startProgram(
      'openssl',
      (port) => ['s_server', '-accept', `127.0.0.1:${port}`, '-tls1_2', '-www', '-cert', cert('server-rsa2048.pem'), '-key', cert('server-rsa2048.key'), '-dcert', cert('server-p256.pem'), '-dkey', cert('server-p256.key')],
      /ACCEPT/,
      4100,
    );
  });
  afterAll(async () => {
    await server?.stop();
  });

  it.skipIf(noOpenssl)('`connect 127.0.0.1:PORT --ca F` against `openssl s_server -tls1_2` completes with no version flag', async () => {
    const r = await cliAsync('connect', `127.0.0.1:${server!.port}`, '--ca', CA);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/version: +TLSv1\.2\n/);
    expect(r.stdout).toMatch(/cipher suite: +TLS_ECDHE_(ECDSA|RSA)_WITH_\S+\n/);
    expect(r.stdout).toMatch(/server name: +\(none sent: 127\.0\.0\.1 is an IP address, RFC 6066 3\)\n/);
    expect(r.stdout).toMatch(/verification: +ok \(chain to .*ca\.pem, name 127\.0\.0\.1 \(IP SAN\)\)/);
    // Protocol evidence: s_server's page, encrypted by it, names the version and suite it negotiated.
    const j = await cliAsync('connect', `127.0.0.1:${server!.port}`, '--ca', CA, '--json', '--send', 'GET / HTTP/1.0\\r\\n\\r\\n');
    expect(j.code).toBe(0);
    const o = JSON.parse(j.stdout);
    expect(o).toMatchObject({ ok: true, version: 'TLSv1.2', serverName: null, verification: 'ok' });
    expect(o.response).toMatch(/^HTTP\/1\.0 200 ok/);
    expect(o.response).toMatch(/New, TLSv1\.2, Cipher is /);
  });
});
