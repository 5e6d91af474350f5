/**
 * Records TLS 1.2 handshakes between `openssl s_server` and `openssl s_client` as known-answer vectors
 * (vectors/tls12/<name>.json, kind `tls12-trace`, checked by vectors/handlers/tls12-trace.ts).
 *
 * Run by hand (not from the tests; it needs the `openssl` binary and free local ports):
 *
 *   npx tsx vectors/tls12/capture.ts              # every capture below
 *   npx tsx vectors/tls12/capture.ts rsa-aes128-gcm-sha256 ...   # only these
 *   npx tsx vectors/tls12/capture.ts --list       # the names
 *
 * For each capture:
 *   - `openssl s_server` (-tls1_2, one cipher, the project's test key and certificate) listens on 127.0.0.1;
 *   - a TCP relay (node:net) listens on 127.0.0.1 and forwards to it, logging every chunk in both directions;
 *   - `openssl s_client` (-tls1_2, the same cipher, verifying against the test CA) connects to the relay;
 *   - both ends write -keylogfile (CLIENT_RANDOM <client_random> <master_secret>, and for RSA key exchange
 *     the client's `RSA <first 8 bytes of EncryptedPreMasterSecret> <pre_master_secret>`) and -msg (every
 *     handshake message in hex, the Finished messages decrypted);
 *   - after the handshake the client sends one line, the server answers with one line, the client closes.
 * Extended master secret is turned off on the client with an OpenSSL config file (`Options =
 * -ExtendedMasterSecret` in the system_default SSL_CONF section: OpenSSL 3.0 has SSL_OP_NO_EXTENDED_MASTER_SECRET
 * but no s_client flag for it); encrypt_then_mac with the client's `-no_etm`. Both ends always run with a
 * config file of ours (empty for the default captures) so the system openssl.cnf does not matter.
 *
 * The script cross-checks what it records before writing a file: the relay's plaintext handshake records
 * carry exactly the -msg handshake messages, the two key logs agree, the RSA pre-master secret from the key
 * log equals `openssl pkeyutl -decrypt` of the ClientKeyExchange, client and server saw the same Finished
 * messages, the negotiated suite / EMS / EtM are the ones asked for, and the application data arrived. Then it
 * runs the tls12-trace handler on the new file and fails if any check does not pass.
 */
import { spawn, execFileSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CipherSuite, type CipherSuiteName } from '../../implementations/reference/codec/enums.ts';
import { suiteParams } from '../../implementations/reference/crypto/suites.ts';
import { nobleProvider } from '../../implementations/reference/crypto/noble/index.ts';
import { tls12TraceCheckCount, tls12TraceHandler, type Tls12TraceFile } from '../handlers/tls12-trace.ts';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = join(HERE, '..', '..');
const CERTS = join(ROOT, 'implementations', 'reference', 'certs');
const KEYS_DIR = join(HERE, 'keys');

const CLIENT_TEXT = 'hello from s_client (tls-harness TLS 1.2 capture)\n';
const SERVER_TEXT = 'hello from s_server, over and out\n';

interface CaptureSpec {
  name: string;
  description: string;
  suite: CipherSuiteName;
  /** The OpenSSL cipher string (one suite). */
  opensslCipher: string;
  cert: 'rsa2048' | 'p256';
  ems: boolean;
  /** CBC only: whether encrypt_then_mac is negotiated (the client offers it unless -no_etm). */
  etm: boolean;
}

const CAPTURES: CaptureSpec[] = [
  {
    name: 'rsa-aes128-cbc-sha',
    description: 'RSA key exchange, AES-128-CBC with HMAC-SHA1, extended master secret and encrypt_then_mac (the OpenSSL defaults)',
    suite: 'TLS_RSA_WITH_AES_128_CBC_SHA',
    opensslCipher: 'AES128-SHA',
    cert: 'rsa2048',
    ems: true,
    etm: true,
  },
  {
    name: 'rsa-aes128-cbc-sha-no-etm',
    description: 'RSA key exchange, AES-128-CBC with HMAC-SHA1, extended master secret, MAC-then-encrypt (client -no_etm)',
    suite: 'TLS_RSA_WITH_AES_128_CBC_SHA',
    opensslCipher: 'AES128-SHA',
    cert: 'rsa2048',
    ems: true,
    etm: false,
  },
  {
    name: 'rsa-aes128-cbc-sha-no-ems-no-etm',
    description: 'RSA key exchange, AES-128-CBC with HMAC-SHA1, RFC 5246 master secret (no EMS), MAC-then-encrypt',
    suite: 'TLS_RSA_WITH_AES_128_CBC_SHA',
    opensslCipher: 'AES128-SHA',
    cert: 'rsa2048',
    ems: false,
    etm: false,
  },
  {
    name: 'rsa-aes128-gcm-sha256',
    description: 'RSA key exchange, AES-128-GCM, extended master secret',
    suite: 'TLS_RSA_WITH_AES_128_GCM_SHA256',
    opensslCipher: 'AES128-GCM-SHA256',
    cert: 'rsa2048',
    ems: true,
    etm: false,
  },
  {
    name: 'rsa-aes128-gcm-sha256-no-ems',
    description: 'RSA key exchange, AES-128-GCM, RFC 5246 master secret (no EMS)',
    suite: 'TLS_RSA_WITH_AES_128_GCM_SHA256',
    opensslCipher: 'AES128-GCM-SHA256',
    cert: 'rsa2048',
    ems: false,
    etm: false,
  },
  {
    name: 'ecdhe-rsa-aes128-gcm-sha256',
    description: 'ECDHE (X25519) with an RSA certificate, AES-128-GCM, extended master secret',
    suite: 'TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256',
    opensslCipher: 'ECDHE-RSA-AES128-GCM-SHA256',
    cert: 'rsa2048',
    ems: true,
    etm: false,
  },
  {
    name: 'ecdhe-rsa-aes128-gcm-sha256-no-ems',
    description: 'ECDHE (X25519) with an RSA certificate, AES-128-GCM, RFC 5246 master secret (no EMS)',
    suite: 'TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256',
    opensslCipher: 'ECDHE-RSA-AES128-GCM-SHA256',
    cert: 'rsa2048',
    ems: false,
    etm: false,
  },
  {
    name: 'ecdhe-rsa-chacha20-poly1305',
    description: 'ECDHE (X25519) with an RSA certificate, ChaCha20-Poly1305 (RFC 7905), extended master secret',
    suite: 'TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256',
    opensslCipher: 'ECDHE-RSA-CHACHA20-POLY1305',
    cert: 'rsa2048',
    ems: true,
    etm: false,
  },
  {
    name: 'ecdhe-rsa-chacha20-poly1305-no-ems',
    description: 'ECDHE (X25519) with an RSA certificate, ChaCha20-Poly1305 (RFC 7905), RFC 5246 master secret (no EMS)',
    suite: 'TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256',
    opensslCipher: 'ECDHE-RSA-CHACHA20-POLY1305',
    cert: 'rsa2048',
    ems: false,
    etm: false,
  },
  {
    name: 'ecdhe-rsa-aes256-cbc-sha384',
    description: 'ECDHE (X25519) with an RSA certificate, AES-256-CBC with HMAC-SHA384 and the SHA-384 PRF, extended master secret and encrypt_then_mac',
    suite: 'TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384',
    opensslCipher: 'ECDHE-RSA-AES256-SHA384',
    cert: 'rsa2048',
    ems: true,
    etm: true,
  },
  {
    name: 'ecdhe-rsa-aes256-cbc-sha384-no-ems-no-etm',
    description: 'ECDHE (X25519) with an RSA certificate, AES-256-CBC with HMAC-SHA384 and the SHA-384 PRF, RFC 5246 master secret (no EMS), MAC-then-encrypt',
    suite: 'TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384',
    opensslCipher: 'ECDHE-RSA-AES256-SHA384',
    cert: 'rsa2048',
    ems: false,
    etm: false,
  },
  {
    name: 'ecdhe-ecdsa-aes128-gcm-sha256',
    description: 'ECDHE (X25519) with an ECDSA P-256 certificate, AES-128-GCM, extended master secret',
    suite: 'TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256',
    opensslCipher: 'ECDHE-ECDSA-AES128-GCM-SHA256',
    cert: 'p256',
    ems: true,
    etm: false,
  },
  {
    name: 'ecdhe-ecdsa-aes256-cbc-sha',
    description: 'ECDHE (X25519) with an ECDSA P-256 certificate, AES-256-CBC with HMAC-SHA1, extended master secret and encrypt_then_mac',
    suite: 'TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA',
    opensslCipher: 'ECDHE-ECDSA-AES256-SHA',
    cert: 'p256',
    ems: true,
    etm: true,
  },
  {
    name: 'dhe-rsa-aes128-cbc-sha',
    description: "DHE_RSA (OpenSSL's automatic DH parameters: the 2048-bit MODP group 14 of RFC 3526) with an RSA certificate, AES-128-CBC with HMAC-SHA1, extended master secret and encrypt_then_mac",
    suite: 'TLS_DHE_RSA_WITH_AES_128_CBC_SHA',
    opensslCipher: 'DHE-RSA-AES128-SHA',
    cert: 'rsa2048',
    ems: true,
    etm: true,
  },
  {
    name: 'dhe-rsa-aes256-cbc-sha256-no-etm',
    description: "DHE_RSA (OpenSSL's automatic DH parameters: the 2048-bit MODP group 14 of RFC 3526) with an RSA certificate, AES-256-CBC with HMAC-SHA256, extended master secret, MAC-then-encrypt (client -no_etm)",
    suite: 'TLS_DHE_RSA_WITH_AES_256_CBC_SHA256',
    opensslCipher: 'DHE-RSA-AES256-SHA256',
    cert: 'rsa2048',
    ems: true,
    etm: false,
  },
  {
    name: 'ecdhe-ecdsa-aes128-gcm-sha256-no-ems',
    description: 'ECDHE (X25519) with an ECDSA P-256 certificate, AES-128-GCM, RFC 5246 master secret (no EMS)',
    suite: 'TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256',
    opensslCipher: 'ECDHE-ECDSA-AES128-GCM-SHA256',
    cert: 'p256',
    ems: false,
    etm: false,
  },
];

const CONF_DEFAULT = `# tls-harness TLS 1.2 capture: no system-wide SSL settings
openssl_conf = default_conf
[default_conf]
ssl_conf = ssl_sect
[ssl_sect]
system_default = system_default_sect
[system_default_sect]
`;
const CONF_NO_EMS = `${CONF_DEFAULT}Options = -ExtendedMasterSecret
`;

// ---- small helpers -------------------------------------------------------------------------------------

const hexOf = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

class CaptureError extends Error {}
function must(cond: unknown, what: string): asserts cond {
  if (!cond) throw new CaptureError(what);
}

async function until(what: string, pred: () => boolean, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!pred()) {
    if (Date.now() > end) throw new CaptureError(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

async function freePort(): Promise<number> {
  for (let i = 0; i < 50; i++) {
    const port = 20000 + Math.floor(Math.random() * 12000);
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.createServer();
      s.once('error', () => resolve(false));
      s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
    });
    if (ok) return port;
  }
  throw new CaptureError('no free port in 20000-32000');
}

// ---- the relay -----------------------------------------------------------------------------------------

type Side = 'client' | 'server';

interface WireRecord {
  from: Side;
  /** Index of the relay chunk (in arrival order, both directions) in which the record's last byte arrived. */
  chunk: number;
  bytes: Buffer;
}

/** A TCP relay for one connection that logs every chunk and splits each direction into TLS records. */
class Relay {
  readonly chunks: { from: Side; bytes: Buffer }[] = [];
  readonly records: WireRecord[] = [];
  private readonly pending: Record<Side, Buffer> = { client: Buffer.alloc(0), server: Buffer.alloc(0) };
  private server?: net.Server;
  closed = false;

  async listen(port: number, target: number): Promise<void> {
    this.server = net.createServer((down) => {
      this.server!.close(); // one connection only
      const up = net.connect(target, '127.0.0.1');
      const log = (from: Side, data: Buffer): void => {
        this.chunks.push({ from, bytes: Buffer.from(data) });
        let buf = Buffer.concat([this.pending[from], data]);
        while (buf.length >= 5 && buf.length >= 5 + buf.readUInt16BE(3)) {
          const n = 5 + buf.readUInt16BE(3);
          this.records.push({ from, chunk: this.chunks.length - 1, bytes: Buffer.from(buf.subarray(0, n)) });
          buf = buf.subarray(n);
        }
        this.pending[from] = buf;
      };
      down.on('data', (d: Buffer) => {
        log('client', d);
        up.write(d);
      });
      up.on('data', (d: Buffer) => {
        log('server', d);
        if (!down.destroyed) down.write(d);
      });
      down.on('end', () => up.end());
      up.on('end', () => down.end());
      const done = (): void => {
        if (down.destroyed && up.destroyed) this.closed = true;
      };
      down.on('close', done);
      up.on('close', done);
      down.on('error', () => up.destroy());
      up.on('error', () => down.destroy());
    });
    await new Promise<void>((resolve, reject) => {
      this.server!.once('error', reject);
      this.server!.listen(port, '127.0.0.1', resolve);
    });
  }

  leftover(): number {
    return this.pending.client.length + this.pending.server.length;
  }

  /** True once `from` has sent a ChangeCipherSpec and at least one record after it. */
  sentFinished(from: Side): boolean {
    const mine = this.records.filter((r) => r.from === from);
    const ccs = mine.findIndex((r) => r.bytes[0] === 20);
    return ccs >= 0 && mine.length > ccs + 1;
  }

  has(from: Side, type: number): boolean {
    return this.records.some((r) => r.from === from && r.bytes[0] === type);
  }

  stop(): void {
    this.server?.close();
  }
}

// ---- running openssl -----------------------------------------------------------------------------------

interface Proc {
  child: ChildProcessWithoutNullStreams;
  out: string;
  exited: boolean;
  code: number | null;
}

function run(cmd: string, args: string[], env: Record<string, string>): Proc {
  const child = spawn(cmd, args, { env: { ...process.env, ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
  const p: Proc = { child, out: '', exited: false, code: null };
  child.stdout.on('data', (d: Buffer) => (p.out += d.toString('latin1')));
  child.stderr.on('data', (d: Buffer) => (p.out += d.toString('latin1')));
  child.on('exit', (code) => {
    p.exited = true;
    p.code = code;
  });
  child.stdin.on('error', () => {});
  return p;
}

const quote = (a: string): string => (/^[\w@%+=:,./$-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`);

interface MsgEntry {
  sent: boolean; // '>>>' (this end sent it) or '<<<'
  label: string;
  bytes: Buffer;
}

/** Parse an `-msg -msgfile` log: a header line (">>> TLS 1.2, Handshake [length 006d], ClientHello") then hex lines. */
function parseMsgFile(text: string): MsgEntry[] {
  const out: MsgEntry[] = [];
  let cur: { sent: boolean; label: string; hex: string } | null = null;
  const flush = (): void => {
    if (cur) out.push({ sent: cur.sent, label: cur.label, bytes: Buffer.from(cur.hex, 'hex') });
    cur = null;
  };
  for (const line of text.split('\n')) {
    const m = /^(>>>|<<<) (.*)$/.exec(line);
    if (m) {
      flush();
      cur = { sent: m[1] === '>>>', label: m[2], hex: '' };
    } else if (cur && /^\s+[0-9a-f ]+$/.test(line)) cur.hex += line.replace(/\s+/g, '');
    else if (line.trim() !== '') flush();
  }
  flush();
  return out;
}

const isHandshake = (e: MsgEntry): boolean => /Handshake \[length [0-9a-f]+\]/.test(e.label);
const isAlert = (e: MsgEntry): boolean => /Alert \[length [0-9a-f]+\]/.test(e.label);

// ---- one capture ---------------------------------------------------------------------------------------

function version(): string {
  return execFileSync('openssl', ['version'], { encoding: 'utf8' }).trim();
}

async function capture(spec: CaptureSpec, outDir: string): Promise<Tls12TraceFile> {
  const params = suiteParams(spec.suite);
  must(params, `suite ${spec.suite} is not in suites.ts`);
  const tmp = mkdtempSync(join(tmpdir(), `tls12-capture-${spec.name}-`));
  try {
    const serverPort = await freePort();
    const relayPort = await freePort();
    const confDefault = join(tmp, 'default.cnf');
    const confNoEms = join(tmp, 'no-ems.cnf');
    writeFileSync(confDefault, CONF_DEFAULT);
    writeFileSync(confNoEms, CONF_NO_EMS);
    const cipher = `${spec.opensslCipher}:@SECLEVEL=0`;
    const certFile = join(CERTS, `server-${spec.cert}.pem`);
    const keyFile = join(CERTS, `server-${spec.cert}.key`);
    const serverArgs = [
      's_server', '-accept', String(serverPort), '-naccept', '1',
      '-cert', certFile, '-key', keyFile,
      '-tls1_2', '-cipher', cipher,
      '-keylogfile', join(tmp, 'server.keys'), '-msg', '-msgfile', join(tmp, 'server.msg'),
    ];
    const clientArgs = [
      's_client', '-connect', `127.0.0.1:${relayPort}`, '-servername', 'localhost',
      '-tls1_2', '-cipher', cipher, '-CAfile', join(CERTS, 'ca.pem'), '-verify_return_error',
      ...(spec.etm ? [] : ['-no_etm']),
      '-keylogfile', join(tmp, 'client.keys'), '-msg', '-msgfile', join(tmp, 'client.msg'),
    ];
    const clientConf = spec.ems ? confDefault : confNoEms;

    const server = run('openssl', serverArgs, { OPENSSL_CONF: confDefault });
    const relay = new Relay();
    let client: Proc | undefined;
    try {
      await until('s_server to listen', () => server.out.includes('ACCEPT') || server.exited, 10_000);
      must(!server.exited, `s_server exited: ${server.out}`);
      await relay.listen(relayPort, serverPort);
      client = run('openssl', clientArgs, { OPENSSL_CONF: clientConf });
      const c = client;
      await until('both Finished messages', () => relay.sentFinished('client') && relay.sentFinished('server'));
      await sleep(200);
      c.child.stdin.write(CLIENT_TEXT);
      await until('the client application data', () => relay.has('client', 23) && server.out.includes(CLIENT_TEXT.trim()));
      server.child.stdin.write(SERVER_TEXT);
      await until('the server application data', () => relay.has('server', 23) && c.out.includes(SERVER_TEXT.trim()));
      await sleep(100);
      c.child.stdin.end(); // s_client: EOF on stdin -> close_notify, exit
      await until('s_client and s_server to exit', () => c.exited && server.exited, 10_000);
      await until('the relay to close', () => relay.closed, 5_000).catch(() => {});
      must(c.code === 0, `s_client exit code ${c.code}: ${c.out}`);
    } finally {
      relay.stop();
      for (const p of [client, server]) if (p && !p.exited) p.child.kill('SIGKILL'); // our own children, by handle
    }
    must(relay.leftover() === 0, 'a partial record was left in the relay');
    must(relay.has('client', 21) && relay.has('server', 21), 'expected a close_notify record from both sides');

    // ---- what the two ends logged ----
    const cMsg = parseMsgFile(readFileSync(join(tmp, 'client.msg'), 'latin1'));
    const sMsg = parseMsgFile(readFileSync(join(tmp, 'server.msg'), 'latin1'));
    // The client's log has every handshake message of the connection in order (sent >>> and received <<<).
    const handshakeMessages = cMsg.filter(isHandshake).map((e) => ({
      from: (e.sent ? 'client' : 'server') as Side,
      name: e.label.replace(/^.*\], /, ''),
      bytes: e.bytes,
    }));
    const serverView = sMsg.filter(isHandshake).map((e) => ({ from: e.sent ? 'server' : 'client', bytes: e.bytes }));
    must(
      serverView.length === handshakeMessages.length &&
        serverView.every((m, i) => m.from === handshakeMessages[i].from && m.bytes.equals(handshakeMessages[i].bytes)),
      'client and server -msg logs disagree on the handshake messages',
    );
    const alerts = [
      ...cMsg.filter((e) => isAlert(e) && e.sent).map((e) => ({ from: 'client' as Side, bytes: e.bytes })),
      ...sMsg.filter((e) => isAlert(e) && e.sent).map((e) => ({ from: 'server' as Side, bytes: e.bytes })),
    ];

    // The plaintext handshake records on the wire carry exactly the messages before each side's Finished.
    for (const side of ['client', 'server'] as Side[]) {
      const mine = relay.records.filter((r) => r.from === side);
      const ccs = mine.findIndex((r) => r.bytes[0] === 20);
      must(ccs > 0, `${side} sent no ChangeCipherSpec`);
      const plain = Buffer.concat(mine.slice(0, ccs).map((r) => r.bytes.subarray(5)));
      const fin = handshakeMessages.findIndex((m) => m.from === side && m.bytes[0] === 20);
      const expected = Buffer.concat(handshakeMessages.filter((m, i) => m.from === side && i < fin).map((m) => m.bytes));
      must(plain.equals(expected), `${side}: plaintext handshake records differ from the -msg messages`);
    }

    const ch = handshakeMessages[0].bytes;
    const sh = handshakeMessages[1].bytes;
    must(ch[0] === 1 && sh[0] === 2, 'the first messages are not ClientHello, ServerHello');
    const clientRandom = ch.subarray(6, 38);
    const serverRandom = sh.subarray(6, 38);
    const shSessionIdLength = sh[38];
    const shSuite = sh.readUInt16BE(39 + shSessionIdLength);
    must(shSuite === CipherSuite[spec.suite], `negotiated suite 0x${shSuite.toString(16)}, wanted ${spec.suite}`);
    const shExtensions = serverHelloExtensions(sh);
    must(shExtensions.has(23) === spec.ems, `extended_master_secret ${shExtensions.has(23)} in the ServerHello, wanted ${spec.ems}`);
    must(shExtensions.has(22) === spec.etm, `encrypt_then_mac ${shExtensions.has(22)} in the ServerHello, wanted ${spec.etm}`);

    // ---- key logs ----
    const keyLog = readFileSync(join(tmp, 'client.keys'), 'utf8').split('\n').filter((l) => l && !l.startsWith('#'));
    const serverKeyLog = readFileSync(join(tmp, 'server.keys'), 'utf8').split('\n').filter((l) => l && !l.startsWith('#'));
    const crLine = keyLog.find((l) => l.startsWith('CLIENT_RANDOM '));
    must(crLine, 'no CLIENT_RANDOM line in the client key log');
    const [, crHex, msHex] = crLine.split(' ');
    must(crHex === hexOf(clientRandom), 'key log client_random differs from the ClientHello');
    must(serverKeyLog.includes(crLine), 'the server key log has a different CLIENT_RANDOM line');

    let preMasterSecret: string | undefined;
    const cke = handshakeMessages.find((m) => m.bytes[0] === 16);
    must(cke, 'no ClientKeyExchange');
    if (params.keyExchange === 'rsa') {
      const rsaLine = keyLog.find((l) => l.startsWith('RSA '));
      must(rsaLine, 'no RSA line in the client key log');
      const [, encPrefix, pms] = rsaLine.split(' ');
      const enc = cke.bytes.subarray(6); // handshake header (4) + EncryptedPreMasterSecret length (2)
      must(cke.bytes.readUInt16BE(4) === enc.length, 'ClientKeyExchange length');
      must(hexOf(enc.subarray(0, 8)) === encPrefix, 'RSA key log line is for another ClientKeyExchange');
      const encFile = join(tmp, 'cke.bin');
      writeFileSync(encFile, enc);
      const decrypted = execFileSync('openssl', ['pkeyutl', '-decrypt', '-inkey', keyFile, '-pkeyopt', 'rsa_padding_mode:pkcs1', '-in', encFile]);
      must(hexOf(decrypted) === pms, 'openssl pkeyutl -decrypt of the ClientKeyExchange differs from the key log');
      preMasterSecret = pms;
    }

    // ---- Finished and application data ----
    const fins = handshakeMessages.filter((m) => m.bytes[0] === 20);
    must(fins.length === 2 && fins[0].from === 'client' && fins[1].from === 'server', 'expected client then server Finished');
    must(fins.every((f) => f.bytes.length === 16 && f.bytes.readUInt32BE(0) === 0x1400000c), 'Finished framing');
    must(server.out.includes(CLIENT_TEXT) && client!.out.includes(SERVER_TEXT), 'application data did not arrive');

    // ---- the file ----
    const q = (args: string[]): string => ['openssl', ...args].map((a) => quote(a.replace(tmp, '$TMP').replace(ROOT + '/', ''))).join(' ');
    const rsaKeyRef = params.keyExchange === 'rsa' ? copyServerKey(spec.cert) : undefined;
    const file: Tls12TraceFile = {
      kind: 'tls12-trace',
      name: spec.name,
      description: spec.description,
      numberOfTests: 0,
      source: {
        generatedBy: 'vectors/tls12/capture.ts (tls-harness), from a real handshake between two OpenSSL processes',
        openssl: version(),
        date: new Date().toISOString().slice(0, 10),
        server: `OPENSSL_CONF=$TMP/default.cnf ${q(serverArgs)}`.replace(String(serverPort), '$SERVER_PORT'),
        client: `OPENSSL_CONF=$TMP/${spec.ems ? 'default' : 'no-ems'}.cnf ${q(clientArgs)}`.replace(String(relayPort), '$RELAY_PORT'),
        opensslConf: { 'default.cnf': CONF_DEFAULT, 'no-ems.cnf': CONF_NO_EMS },
        relay:
          'client -> 127.0.0.1:$RELAY_PORT (node:net relay, logs every chunk) -> 127.0.0.1:$SERVER_PORT; records[] are the chunks of each direction split at record boundaries, in arrival order',
        applicationData: 'the client writes clientToServer to s_client stdin after both Finished, the server writes serverToClient to s_server stdin after receiving it, then s_client stdin is closed (close_notify)',
        keyLog: keyLog,
        licence: 'generated by the tls-harness project from OpenSSL runs with its own test keys (implementations/reference/certs/, public test fixtures); no third-party data',
      },
      cipherSuite: spec.suite,
      cipherSuiteCode: `0x${CipherSuite[spec.suite].toString(16).padStart(4, '0')}`,
      opensslCipher: spec.opensslCipher,
      keyExchange: params.keyExchange!,
      serverCertificate: relative(ROOT, certFile),
      ...(rsaKeyRef ? { serverKey: rsaKeyRef } : {}),
      extendedMasterSecret: spec.ems,
      encryptThenMac: spec.etm,
      clientRandom: hexOf(clientRandom),
      serverRandom: hexOf(serverRandom),
      ...(preMasterSecret ? { preMasterSecret } : {}),
      masterSecret: msHex,
      clientFinishedVerifyData: hexOf(fins[0].bytes.subarray(4)),
      serverFinishedVerifyData: hexOf(fins[1].bytes.subarray(4)),
      handshakeMessages: handshakeMessages.map((m) => ({ from: m.from, name: m.name, hex: hexOf(m.bytes) })),
      applicationData: {
        clientToServer: { text: CLIENT_TEXT, hex: hexOf(Buffer.from(CLIENT_TEXT)) },
        serverToClient: { text: SERVER_TEXT, hex: hexOf(Buffer.from(SERVER_TEXT)) },
      },
      alerts: alerts.map((a) => ({ from: a.from, hex: hexOf(a.bytes) })),
      records: relay.records.map((r, i) => ({ index: i, from: r.from, chunk: r.chunk, hex: hexOf(r.bytes) })),
    };
    file.numberOfTests = tls12TraceCheckCount(file);
    const outcomes = await tls12TraceHandler.run(file, nobleProvider);
    const bad = outcomes.filter((o) => o.outcome !== 'passed');
    must(outcomes.length === file.numberOfTests, `handler ran ${outcomes.length} checks, expected ${file.numberOfTests}`);
    must(bad.length === 0, `handler failures:\n${bad.map((o) => `  ${o.id}: ${o.reason}`).join('\n')}`);
    writeFileSync(join(outDir, `${spec.name}.json`), `${JSON.stringify(file, null, 2)}\n`);
    return file;
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

/** The extension types in a ServerHello message (with its 4-byte handshake header). */
function serverHelloExtensions(sh: Buffer): Set<number> {
  let p = 4 + 2 + 32;
  p += 1 + sh[p]; // session_id
  p += 2 + 1; // cipher_suite, compression_method
  const out = new Set<number>();
  if (p >= sh.length) return out;
  const end = p + 2 + sh.readUInt16BE(p);
  p += 2;
  while (p < end) {
    out.add(sh.readUInt16BE(p));
    p += 4 + sh.readUInt16BE(p + 2);
  }
  return out;
}

/** RSA key exchange vectors need the server's private key: a copy lives in vectors/tls12/keys/ so the file stays valid if the certs are regenerated. */
function copyServerKey(cert: string): string {
  mkdirSync(KEYS_DIR, { recursive: true });
  const name = `server-${cert}.key`;
  const src = join(CERTS, name);
  const dst = join(KEYS_DIR, name);
  if (!existsSync(dst) || !readFileSync(dst).equals(readFileSync(src))) copyFileSync(src, dst);
  return `keys/${name}`;
}

// ---- main ----------------------------------------------------------------------------------------------

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  if (args.includes('--list')) {
    for (const c of CAPTURES) console.log(`${c.name}\t${c.description}`);
    return;
  }
  const unknown = args.filter((a) => !CAPTURES.some((c) => c.name === a));
  if (unknown.length) {
    console.error(`unknown capture: ${unknown.join(', ')} (see --list)`);
    process.exit(2);
  }
  const chosen = args.length ? CAPTURES.filter((c) => args.includes(c.name)) : CAPTURES;
  console.log(version());
  let failed = 0;
  for (const spec of chosen) {
    try {
      const f = await capture(spec, HERE);
      console.log(`ok   ${spec.name}.json: ${f.handshakeMessages.length} handshake messages, ${f.records.length} records, ${f.numberOfTests} checks`);
    } catch (e) {
      failed++;
      console.error(`FAIL ${spec.name}: ${e instanceof CaptureError ? e.message : (e as Error).stack}`);
    }
  }
  process.exit(failed ? 1 : 0);
}

await main();
