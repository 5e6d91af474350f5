import { listenOnLowPort } from '../../implementations/reference/connection/ports.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as net from 'node:net';
import { CipherSuite, SignatureScheme } from '../../implementations/reference/codec/enums.ts';
import { DEFAULT_CIPHER_SUITES, TLS12_CIPHER_SUITES, makeConfig } from '../../implementations/reference/connection/config.ts';
import { connectTls } from '../../implementations/reference/connection/tcp.ts';
import { TEST_PKI } from '../../implementations/reference/connection/testing.ts';
import { TlsError } from '../../implementations/reference/connection/errors.ts';
import type { Extension } from '../../implementations/reference/codec/extensions.ts';
import { ALL_KEYS, cert, cli, cliAsync, startServe, startServes, type ServeProcess } from './serve-testing.ts';
import { OPENSSL_SUITE_NAMES, parseCipherSuites, parseGroups, parseVersion } from './tls-options.ts';
import { spawn, spawnSync } from 'node:child_process';

const dec = (b: Uint8Array) => new TextDecoder().decode(b);
const clientConfig = (partial = {}) => makeConfig({ trustRoots: TEST_PKI.ca(), serverName: 'localhost', ...partial });
const noOpenssl = spawnSync('openssl', ['version']).error !== undefined;

/** `openssl s_client` with `args` sends an HTTP GET to the server on `port`; resolves with what it printed on stdout (the page). */
function sClient(port: number, args: string[]): Promise<string> {
  return new Promise<string>((resolve) => {
    const p = spawn('openssl', ['s_client', '-connect', `127.0.0.1:${port}`, ...args, '-CAfile', cert('ca.pem'), '-servername', 'localhost', '-verify_return_error', '-ign_eof', '-quiet']);
    let out = '';
    p.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    p.stderr.resume();
    p.stdin.end('GET / HTTP/1.0\r\n\r\n');
    p.once('close', () => resolve(out));
  });
}

describe('tls-harness serve', () => {
  let serve: ServeProcess;
  beforeAll(async () => {
    serve = await startServe(ALL_KEYS);
  });
  afterAll(async () => {
    await serve?.stop();
  });

  it('prints exactly one ready line on stdout: with no version flag, TLS 1.2 and TLS 1.3 are served', () => {
    expect(serve.stdout).toEqual([`tls-harness serve: listening on 127.0.0.1:${serve.port} (TLSv1.2, TLSv1.3)`]);
  });

  it('with no version flag: a TLS 1.3-only client gets TLS 1.3, a TLS 1.2-only client TLS 1.2, a dual client TLS 1.3', async () => {
    for (const [partial, version] of [
      [{ minVersion: 'TLSv1.3' }, 'TLSv1.3'],
      [{ maxVersion: 'TLSv1.2' }, 'TLSv1.2'],
      [{}, 'TLSv1.3'],
    ] as const) {
      const c = await connectTls('127.0.0.1', serve.port, clientConfig(partial));
      expect(c.summary?.version, JSON.stringify(partial)).toBe(version);
      const local = `127.0.0.1:${c.socket.localPort} `;
      await c.close();
      expect(await serve.waitLine(local)).toMatch(new RegExp(`^tls-harness serve: 127\\.0\\.0\\.1:\\d+ ${version.replace('.', '\\.')} `));
    }
  });

  it.skipIf(noOpenssl)('with no version flag: openssl s_client -tls1_2 and -tls1_3 both get the page', async () => {
    for (const [flag, version] of [
      ['-tls1_2', 'TLSv1.2'],
      ['-tls1_3', 'TLSv1.3'],
    ]) {
      const page = await sClient(serve.port, [flag]);
      expect(page, flag).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
      expect(page, flag).toMatch(`<tr><th>Protocol</th><td>${version}</td></tr>`);
    }
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
    ['a TLS 1.2 suite with --min-version 1.3', [...p256, '--min-version', '1.3', '--ciphersuites', 'TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256'], /TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256 is a TLS 1\.2 suite, but --min-version is TLSv1\.3/],
    ['a TLS 1.3 suite with --max-version 1.2', [...p256, '--max-version', '1.2', '--ciphersuites', 'TLS_AES_128_GCM_SHA256'], /TLS_AES_128_GCM_SHA256 is a TLS 1\.3 suite, but --max-version is TLSv1\.2/],
    ['an unknown suite', [...p256, '--min-version', '1.2', '--ciphersuites', 'TLS_RSA_WITH_RC4_128_SHA'], /unsupported cipher suite 'TLS_RSA_WITH_RC4_128_SHA' \(TLS 1\.3 suites: .*TLS 1\.2 suites/],
    ['a bad --max-version', [...p256, '--max-version', '1.1'], /--max-version must be 1\.2 or 1\.3 \(or TLSv1\.2, TLSv1\.3\), got '1\.1'/],
    ['a bad --min-version', [...p256, '--min-version', 'SSLv3'], /--min-version must be 1\.2 or 1\.3/],
    ['--min-version above --max-version', [...p256, '--min-version', '1.3', '--max-version', 'TLSv1.2'], /--min-version TLSv1\.3 is above --max-version TLSv1\.2/],
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

describe('tls-harness serve: TLS 1.2 (--max-version / --min-version)', () => {
  let only12: ServeProcess;
  let dual: ServeProcess;
  let only13: ServeProcess;
  beforeAll(async () => {
    [only12, dual, only13] = await startServes([
      [...ALL_KEYS, '--max-version', '1.2'],
      [...ALL_KEYS, '--min-version', 'TLSv1.2'],
      [...ALL_KEYS, '--min-version', '1.3'],
    ]);
  });
  afterAll(async () => {
    await Promise.all([only12?.stop(), dual?.stop(), only13?.stop()]);
  });
  const tls12 = (suite: number, partial = {}) => clientConfig({ maxVersion: 'TLSv1.2', cipherSuites: [suite], ...partial });

  it('the ready line names the versions served', () => {
    expect(only12.stdout).toEqual([`tls-harness serve: listening on 127.0.0.1:${only12.port} (TLSv1.2)`]);
    expect(dual.stdout).toEqual([`tls-harness serve: listening on 127.0.0.1:${dual.port} (TLSv1.2, TLSv1.3)`]);
    expect(only13.stdout).toEqual([`tls-harness serve: listening on 127.0.0.1:${only13.port} (TLSv1.3)`]);
  });

  it('--min-version 1.3 serves TLS 1.3 to a dual client and refuses a TLS 1.2-only client with protocol_version', async () => {
    const c = await connectTls('127.0.0.1', only13.port, clientConfig());
    expect(c.summary?.version).toBe('TLSv1.3');
    await c.close();
    const err = await connectTls('127.0.0.1', only13.port, clientConfig({ maxVersion: 'TLSv1.2' })).catch((e) => e);
    expect(err).toBeInstanceOf(TlsError);
    expect(err).toMatchObject({ alert: 'protocol_version' });
  });

  it('--ciphersuites with TLS 1.3 suites only (no version flag) serves TLS 1.3 only', async () => {
    const s = await startServe([...ALL_KEYS, '--ciphersuites', 'TLS_AES_256_GCM_SHA384']);
    try {
      expect(s.stdout).toEqual([`tls-harness serve: listening on 127.0.0.1:${s.port} (TLSv1.3)`]);
      const c = await connectTls('127.0.0.1', s.port, clientConfig());
      expect(c.summary).toMatchObject({ version: 'TLSv1.3', cipherSuite: CipherSuite.TLS_AES_256_GCM_SHA384 });
      await c.close();
    } finally {
      await s.stop();
    }
  });

  it('--max-version 1.2: RSA key exchange with a CBC suite; the page and the log line say TLSv1.2, EMS and EtM', async () => {
    const c = await connectTls('127.0.0.1', only12.port, tls12(CipherSuite.TLS_RSA_WITH_AES_128_CBC_SHA));
    expect(c.summary).toMatchObject({ version: 'TLSv1.2', cipherSuite: CipherSuite.TLS_RSA_WITH_AES_128_CBC_SHA, extendedMasterSecret: true, encryptThenMac: true });
    const local = `127.0.0.1:${c.socket.localPort} `;
    let page = '';
    c.on('data', (d) => (page += dec(d)));
    c.write('GET / HTTP/1.0\r\n\r\n');
    expect((await c.closed).error).toBeUndefined();
    expect(page).toMatch(/<tr><th>Protocol<\/th><td>TLSv1\.2<\/td><\/tr>/);
    expect(page).toMatch(/<td>TLS_RSA_WITH_AES_128_CBC_SHA<\/td>/);
    expect(page).toMatch(/<tr><th>Group<\/th><td>\(none: RSA key exchange\)<\/td><\/tr>/);
    expect(page).toMatch(/<tr><th>Extended master secret<\/th><td>yes<\/td><\/tr>\n<tr><th>Encrypt-then-MAC<\/th><td>yes<\/td><\/tr>/);
    expect(page).not.toMatch(/HelloRetryRequest/);
    expect(await only12.waitLine(local)).toMatch(/^tls-harness serve: 127\.0\.0\.1:\d+ TLSv1\.2 TLS_RSA_WITH_AES_128_CBC_SHA - - alpn=- sni=localhost resumed=no ems=yes etm=yes$/);
  });

  it('--max-version 1.2: ECDHE_ECDSA GCM, then resumption (ticket) and the log line', async () => {
    const { MemorySessionStore } = await import('../../implementations/reference/connection/config.ts');
    const cfg = tls12(CipherSuite.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, { sessionStore: new MemorySessionStore() });
    const c1 = await connectTls('127.0.0.1', only12.port, cfg);
    expect(c1.summary).toMatchObject({ version: 'TLSv1.2', group: 0x1d, signatureScheme: SignatureScheme.ecdsa_secp256r1_sha256, encryptThenMac: false });
    const l1 = `127.0.0.1:${c1.socket.localPort} `;
    await c1.close();
    expect(await only12.waitLine(l1)).toMatch(/TLSv1\.2 TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256 x25519 ecdsa_secp256r1_sha256 alpn=- sni=localhost resumed=no ems=yes etm=no$/);
    const c2 = await connectTls('127.0.0.1', only12.port, cfg);
    expect(c2.summary).toMatchObject({ version: 'TLSv1.2', resumed: true });
    const l2 = `127.0.0.1:${c2.socket.localPort} `;
    await c2.close();
    expect(await only12.waitLine(l2)).toMatch(/TLSv1\.2 TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256 - - alpn=- sni=localhost resumed=yes ems=yes etm=no$/);
  });

  it('--max-version 1.2 refuses a TLS 1.3-only client with protocol_version', async () => {
    const err = await connectTls('127.0.0.1', only12.port, clientConfig({ minVersion: 'TLSv1.3' })).catch((e) => e);
    expect(err).toBeInstanceOf(TlsError);
    expect(err).toMatchObject({ alert: 'protocol_version' });
  });

  it('--min-version 1.2 serves TLS 1.3 to a 1.3 client and TLS 1.2 to a 1.2-only client', async () => {
    const c13 = await connectTls('127.0.0.1', dual.port, clientConfig({ cipherSuites: DEFAULT_CIPHER_SUITES }));
    expect(c13.summary?.version).toBe('TLSv1.3');
    await c13.close();
    const c12 = await connectTls('127.0.0.1', dual.port, clientConfig({ maxVersion: 'TLSv1.2', cipherSuites: TLS12_CIPHER_SUITES }));
    expect(c12.summary?.version).toBe('TLSv1.2');
    await c12.close();
  });

  it('--ciphersuites takes TLS 1.2 suites by IANA or OpenSSL name, in order; --no-etm', async () => {
    const s = await startServe([...ALL_KEYS, '--max-version', '1.2', '--ciphersuites', 'AES256-SHA,TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA', '--no-etm']);
    try {
      const c = await connectTls('127.0.0.1', s.port, clientConfig({ maxVersion: 'TLSv1.2', cipherSuites: TLS12_CIPHER_SUITES }));
      expect(c.summary).toMatchObject({ cipherSuite: CipherSuite.TLS_RSA_WITH_AES_256_CBC_SHA, encryptThenMac: false });
      await c.close();
    } finally {
      await s.stop();
    }
  });

  it('--allow-sha1-signatures: a TLS 1.2 client without signature_algorithms gets an ecdsa_sha1 signature; without the flag, handshake_failure (RFC 9155)', async () => {
    const bare = clientConfig({
      maxVersion: 'TLSv1.2',
      cipherSuites: [CipherSuite.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256],
      legacySha1Signatures: true,
      shapeExtensions: (m: string, e: Extension[]) => (m === 'client_hello' ? e.filter((x) => x.type !== 'signature_algorithms') : e),
    });
    const err = await connectTls('127.0.0.1', only12.port, bare).catch((e) => e);
    expect(err).toMatchObject({ alert: 'handshake_failure' });
    const s = await startServe([...ALL_KEYS, '--max-version', '1.2', '--allow-sha1-signatures']);
    try {
      const c = await connectTls('127.0.0.1', s.port, bare);
      expect(c.summary?.signatureScheme).toBe(SignatureScheme.ecdsa_sha1);
      const line = `127.0.0.1:${c.socket.localPort} `;
      await c.close();
      expect(await s.waitLine(line)).toMatch(/TLSv1\.2 TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256 x25519 ecdsa_sha1 /);
    } finally {
      await s.stop();
    }
  });

  const noOpenssl = spawnSync('openssl', ['version']).error !== undefined;
  it.skipIf(noOpenssl)('openssl s_client -tls1_2 gets the page: RSA key exchange (AES128-SHA) and ECDHE_RSA GCM', async () => {
    for (const [cipher, suite] of [
      ['AES128-SHA:@SECLEVEL=0', 'TLS_RSA_WITH_AES_128_CBC_SHA'],
      ['ECDHE-RSA-AES128-GCM-SHA256', 'TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256'],
    ]) {
      const r = await sClient(only12.port, ['-tls1_2', '-cipher', cipher]);
      expect(r).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
      expect(r).toMatch(`<tr><th>Cipher suite</th><td>${suite}</td></tr>`);
      expect(r).toMatch('<tr><th>Protocol</th><td>TLSv1.2</td></tr>');
    }
  });
});

describe('tls-options: versions and suite names', () => {
  it('parseVersion accepts 1.2, 1.3, TLSv1.2, tls1_3', () => {
    expect(['1.2', 'TLSv1.2', 'tlsv1.2', 'tls1_2', 'TLS1.2'].map((v) => parseVersion('x', '--v', v))).toEqual(Array(5).fill('TLSv1.2'));
    expect(['1.3', 'TLSv1.3', 'tls1_3'].map((v) => parseVersion('x', '--v', v))).toEqual(Array(3).fill('TLSv1.3'));
    for (const bad of ['1.1', '1', 'TLSv1', '2', '']) expect(() => parseVersion('x', '--v', bad)).toThrow(/must be 1\.2 or 1\.3/);
  });

  it('the CCM suites are accepted (CCM_8 is off by default, on when named), and every group by name or alias', () => {
    expect(parseCipherSuites('x', 'TLS_AES_128_CCM_8_SHA256,TLS_AES_128_CCM_SHA256')).toEqual([CipherSuite.TLS_AES_128_CCM_8_SHA256, CipherSuite.TLS_AES_128_CCM_SHA256]);
    expect(DEFAULT_CIPHER_SUITES).not.toContain(CipherSuite.TLS_AES_128_CCM_8_SHA256);
    expect(parseGroups('x', '--groups', 'x448,P-521,ffdhe4096,ffdhe6144,ffdhe8192')).toEqual([0x1e, 0x19, 0x102, 0x103, 0x104]);
  });

  it('the OpenSSL suite names are the reference\'s TLS 1.2 suites, and agree with `openssl ciphers -stdname`', () => {
    const names = Object.values(OPENSSL_SUITE_NAMES).map((n) => CipherSuite[n as keyof typeof CipherSuite]);
    expect(new Set(names)).toEqual(new Set(TLS12_CIPHER_SUITES));
    const r = spawnSync('openssl', ['ciphers', '-stdname', Object.keys(OPENSSL_SUITE_NAMES).join(':') + ':@SECLEVEL=0'], { encoding: 'utf8' });
    if (r.error) return; // no openssl: the table is checked against the enum only
    const pairs = new Map(r.stdout.trim().split('\n').map((l) => { const f = l.trim().split(/\s+/); return [f[2], f[0]] as const; }));
    for (const [ossl, iana] of Object.entries(OPENSSL_SUITE_NAMES)) expect(pairs.get(ossl), ossl).toBe(iana);
  });

  it('serve --help documents --min-version, --max-version and TLS 1.2 suites', async () => {
    const r = await cliAsync('serve', '--help');
    expect(r.stdout).toMatch(/--max-version/);
    expect(r.stdout).toMatch(/--min-version/);
    expect(r.stdout).toMatch(/TLS 1\.2 ones also by OpenSSL name/);
  });
});
