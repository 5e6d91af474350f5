/**
 * `tls-harness connect HOST:PORT`: the reference client against a real server, offering TLS 1.3 and TLS 1.2
 * by default as `openssl s_client` and curl do (`--min-version 1.3`: TLS 1.3 only; `--max-version 1.2`: TLS
 * 1.2 only). Prints the negotiated version, cipher suite, group, signature scheme, ALPN, the SNI sent and
 * whether the session was resumed; for TLS 1.2 also the extended master secret and encrypt-then-MAC.
 *
 * Verification: the server's chain is verified against `--ca` (there is no system trust store in the
 * reference client) and its name against `--servername` (default: HOST). Without `--ca` the command
 * refuses to run unless `--insecure` is given, which skips verification and says so in the output.
 *
 * Exit codes: 0 the handshake completed and was verified (or --insecure); 1 the handshake failed (the alert
 * and RFC rule are printed) or the connection could not be made; 2 usage errors.
 */
import { isIP } from 'node:net';
import type { Command } from '../cli.ts';
import { ExitCode, UsageError } from '../errors.ts';
import { describeNonTls } from '../non-tls.ts';
import { makeConfig, MemorySessionStore, type EndpointConfig } from '../../implementations/reference/connection/config.ts';
import { TlsError } from '../../implementations/reference/connection/errors.ts';
import { connectTls, describeError, type ConnectionError, type TlsSocket } from '../../implementations/reference/connection/tcp.ts';
import type { HandshakeSummary } from '../../implementations/reference/connection/endpoint.ts';
import { defaultSuites, loadCa, loadPairs, namedSummary, noGroupReason, noSignatureReason, parseAlpn, parseCipherSuites, parseGroups, parseIntOption, parseVersionRange } from './tls-options.ts';
import { applyCryptoOption, cryptoOption } from './crypto-option.ts';
import { keyLogSink, keylogOption } from './keylog-option.ts';

const CMD = 'connect';

/** HOST:PORT, [IPv6]:PORT. */
export function parseHostPort(s: string): { host: string; port: number } {
  const m = /^\[([^\]]+)\]:(\d+)$/.exec(s) ?? /^([^:]+):(\d+)$/.exec(s);
  if (!m) throw new UsageError(`${CMD}: expected HOST:PORT, got '${s}'`);
  return { host: m[1], port: parseIntOption(CMD, 'PORT', m[2], 1, 65535) };
}

/**
 * The server name the client sent in server_name, or null: none is sent for an IP address (RFC 6066 3:
 * "Literal IPv4 and IPv6 addresses are not permitted in "HostName"."), which is verified against the
 * certificate's IP SAN instead.
 */
export function sentServerName(name: string | undefined): string | null {
  return name !== undefined && name !== '' && !isIP(name) ? name : null;
}

/** namedSummary with the client's view of serverName: the SNI it sent (null for an IP address). */
function clientSummary(s: HandshakeSummary) {
  return { ...namedSummary(s), serverName: sentServerName(s.serverName) };
}

function errorJson(e: ConnectionError) {
  if (e instanceof TlsError) return { type: 'tls', alert: e.alert, rule: e.rule, origin: e.origin, message: e.message };
  return { type: 'transport', kind: e.kind, rule: e.rule ?? null, code: e.code ?? null, message: e.message };
}

/**
 * After --send: collect what the server sends until it closes, goes quiet for `idleMs`, or `maxMs` passes;
 * `early` is what arrived before (with the handshake).
 */
function collect(t: TlsSocket, idleMs: number, maxMs: number, early: Uint8Array[] = []): Promise<Uint8Array> {
  return new Promise((resolve) => {
    const chunks: Uint8Array[] = [...early];
    let idle: NodeJS.Timeout | undefined;
    const finish = () => {
      clearTimeout(idle);
      clearTimeout(max);
      t.off('data', onData);
      const total = chunks.reduce((n, c) => n + c.length, 0);
      const out = new Uint8Array(total);
      let o = 0;
      for (const c of chunks) {
        out.set(c, o);
        o += c.length;
      }
      resolve(out);
    };
    const onData = (d: Uint8Array) => {
      chunks.push(d);
      clearTimeout(idle);
      idle = setTimeout(finish, idleMs);
    };
    const max = setTimeout(finish, maxMs);
    idle = setTimeout(finish, Math.max(idleMs, 2000));
    t.on('data', onData);
    void t.closed.then(finish);
  });
}

interface Outcome {
  summary?: HandshakeSummary;
  error?: ConnectionError;
  ticket: boolean;
  response?: Uint8Array;
  /** An error after the handshake completed (e.g. the server closed without close_notify). */
  after?: ConnectionError;
  /** The handshake failed on bytes that are not TLS at all: what they look like (an HTTP response, ...). */
  notTls?: string;
}

async function once(host: string, port: number, config: EndpointConfig, send: string | undefined, waitTicket: boolean, timeoutMs: number): Promise<Outcome> {
  let t: TlsSocket;
  let ticket = false;
  // Listen before the handshake: a TLS 1.2 NewSessionTicket comes inside it (RFC 5077 3.3), and data a server
  // sends right after its TLS 1.2 Finished can arrive (and be emitted) before connectTls resolves.
  const early: Uint8Array[] = [];
  const onEarly = (d: Uint8Array) => early.push(d);
  // The first bytes off the wire: when the handshake fails, they tell a peer that does not speak TLS.
  let head = Buffer.alloc(0);
  try {
    t = await connectTls(host, port, config, {
      onSocket: (s) => {
        s.on('session', () => (ticket = true));
        s.on('data', onEarly);
        const onRaw = (chunk: Buffer) => {
          head = Buffer.concat([head, chunk]).subarray(0, 64);
          if (head.length >= 64) s.socket.off('data', onRaw);
        };
        s.socket.on('data', onRaw);
      },
    });
  } catch (e) {
    return { error: e as ConnectionError, ticket: false, notTls: head.length > 0 ? describeNonTls(head) : undefined };
  }
  t.off('data', onEarly);
  const out: Outcome = { summary: t.summary, ticket };
  if (send !== undefined) {
    const reply = collect(t, 1000, timeoutMs, early);
    t.write(send);
    out.response = await reply;
  }
  // TLS 1.2: the session (ID or ticket) is stored when the handshake completes; nothing comes after it.
  if (waitTicket && !ticket && !t.error && t.summary?.version === 'TLSv1.3') {
    // RFC 8446 4.6.1: the server may send NewSessionTicket at any time after its Finished; wait a little.
    await new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        t.off('session', done);
        resolve();
      };
      const timer = setTimeout(done, 1000);
      t.once('session', done);
      void t.closed.then(done);
    });
  }
  out.ticket = ticket;
  const r = await t.close();
  if (r.error) out.after = r.error;
  return out;
}

export const connectCommand: Command = {
  name: 'connect',
  summary: 'connect the reference TLS 1.3 / 1.2 client to HOST:PORT and print what was negotiated (TLS 1.2 and 1.3 offered by default)',
  usage:
    'tls-harness connect HOST:PORT (--ca F | --insecure) [--servername N] [--min-version V] [--max-version V] [--alpn LIST] [--groups LIST] [--ciphersuites LIST] [--no-ems] [--no-etm] [--allow-sha1-signatures] [--cert C --key K] [--send TEXT] [--resume] [--json] [--timeout MS] [--crypto noble|node]',
  allowPositionals: true,
  options: {
    crypto: cryptoOption,
    keylog: keylogOption,
    ca: { type: 'string', description: 'trust anchors (PEM) to verify the server certificate with' },
    insecure: { type: 'boolean', description: 'do not verify the server certificate (reported in the output)' },
    servername: { type: 'string', description: 'SNI and the name to verify (default: HOST; no SNI for an IP address)' },
    alpn: { type: 'string', description: 'ALPN protocols to offer, comma-separated' },
    groups: { type: 'string', description: 'supported_groups, most preferred first (default x25519,secp256r1,x448,secp384r1,secp521r1,ffdhe2048,ffdhe3072,ffdhe4096,ffdhe6144,ffdhe8192)' },
    'key-shares': { type: 'string', description: 'groups to send key shares for (default: the first of --groups)' },
    'min-version': { type: 'string', description: 'lowest version offered: 1.2 or 1.3 (TLSv1.2 ... accepted; default 1.2); --min-version 1.3 offers TLS 1.3 only' },
    'max-version': { type: 'string', description: 'highest version offered: 1.2 or 1.3 (default 1.3); --max-version 1.2 offers TLS 1.2 only' },
    ciphersuites: {
      type: 'string',
      description: 'cipher suites to offer, most preferred first, IANA names (TLS 1.2 ones also by OpenSSL name); default: every suite the reference implements in the version range; a version with no suite listed is not offered',
    },
    'no-ems': { type: 'boolean', description: 'TLS 1.2: do not offer the extended master secret (RFC 7627)' },
    'no-etm': { type: 'boolean', description: 'TLS 1.2: do not offer encrypt-then-MAC (RFC 7366)' },
    'allow-sha1-signatures': {
      type: 'boolean',
      description: 'TLS 1.2, for testing legacy servers: offer and accept rsa_pkcs1_sha1 / ecdsa_sha1 signatures (off by default, RFC 9155)',
    },
    cert: { type: 'string', description: 'client certificate (PEM), for servers that ask' },
    key: { type: 'string', description: 'the client certificate\'s private key' },
    send: { type: 'string', description: 'send this text after the handshake (\\r and \\n escapes allowed) and print the reply' },
    resume: { type: 'boolean', description: 'connect twice with one session store; report the second connection' },
    json: { type: 'boolean', description: 'print one JSON object' },
    timeout: { type: 'string', description: 'handshake timeout in ms, TCP connect included (default 10000)' },
  },
  async run(values, positionals) {
    applyCryptoOption(CMD, values.crypto);
    if (positionals.length !== 1) throw new UsageError(`${CMD}: expected one HOST:PORT argument, got ${positionals.length}`);
    const { host, port } = parseHostPort(positionals[0]);
    const insecure = values.insecure === true;
    if (values.ca === undefined && !insecure) {
      throw new UsageError(`${CMD}: --ca FILE is required to verify the server (or --insecure to skip verification)`);
    }
    const serverName = (values.servername as string | undefined) ?? host;
    const partial: Partial<EndpointConfig> = { serverName, verifyPeer: !insecure };
    if (values.ca !== undefined) partial.trustRoots = loadCa(CMD, values.ca as string);
    if (values.alpn !== undefined) partial.alpn = parseAlpn(CMD, values.alpn as string);
    if (values.groups !== undefined) partial.groups = parseGroups(CMD, '--groups', values.groups as string);
    if (values['key-shares'] !== undefined) {
      partial.keyShareGroups = parseGroups(CMD, '--key-shares', values['key-shares'] as string);
      partial.groups ??= makeConfig().groups;
      const missing = partial.keyShareGroups.filter((g) => !partial.groups!.includes(g));
      // RFC 8446 4.2.8: key shares only for groups in supported_groups.
      if (missing.length > 0) throw new UsageError(`${CMD}: --key-shares must be a subset of --groups (RFC 8446 4.2.8)`);
    }
    const range = parseVersionRange(CMD, values['min-version'] as string | undefined, values['max-version'] as string | undefined);
    Object.assign(partial, range);
    partial.cipherSuites = values.ciphersuites === undefined ? defaultSuites(range) : parseCipherSuites(CMD, values.ciphersuites as string, range);
    if (values['no-ems']) partial.extendedMasterSecret = false;
    if (values['no-etm']) partial.encryptThenMac = false;
    if (values['allow-sha1-signatures']) partial.legacySha1Signatures = true;
    if ((values.cert === undefined) !== (values.key === undefined)) throw new UsageError(`${CMD}: --cert and --key go together`);
    if (values.cert !== undefined) partial.certificates = loadPairs(CMD, [values.cert as string], [values.key as string]);
    const timeoutMs = values.timeout === undefined ? 10_000 : parseIntOption(CMD, '--timeout', values.timeout as string, 1, 3_600_000);
    partial.handshakeTimeoutMs = timeoutMs;
    const send = values.send === undefined ? undefined : (values.send as string).replace(/\\r/g, '\r').replace(/\\n/g, '\n');
    const resume = values.resume === true;
    if (resume) partial.sessionStore = new MemorySessionStore();

    const keyLog = keyLogSink(CMD, values.keylog);
    if (keyLog) partial.keyLog = keyLog;
    const config = makeConfig(partial);
    let first: Outcome | undefined;
    let result: Outcome;
    if (resume) {
      first = await once(host, port, config, undefined, true, timeoutMs);
      result = first.error ? first : await once(host, port, config, send, false, timeoutMs);
    } else {
      result = await once(host, port, config, send, false, timeoutMs);
    }
    const ok = result.summary !== undefined && !result.error;
    const verification = insecure ? 'skipped (--insecure)' : `ok (chain to ${values.ca as string}, name ${serverName}${isIP(serverName) ? ' (IP SAN)' : ''})`;

    if (values.json) {
      const obj: Record<string, unknown> = { ok, host, port };
      if (result.summary) Object.assign(obj, clientSummary(result.summary), { verification: insecure ? 'skipped' : 'ok' });
      if (result.notTls !== undefined) obj.error = { type: 'not-tls', message: `the peer does not speak TLS: its first bytes look like ${result.notTls}` };
      else if (result.error) obj.error = errorJson(result.error);
      if (result.after) obj.closeError = errorJson(result.after);
      if (result.response) obj.response = new TextDecoder().decode(result.response);
      if (first) {
        obj.first = first.summary ? { ...clientSummary(first.summary), ticketReceived: first.ticket } : { error: errorJson(first.error!) };
      }
      process.stdout.write(JSON.stringify(obj) + '\n');
    } else if (ok) {
      const s = result.summary!;
      const n = clientSummary(s);
      const lines = [
        `connected to ${host}:${port}${first ? ' (second connection, --resume)' : ''}`,
        `  version:          ${n.version}`,
        `  cipher suite:     ${n.cipherSuite}`,
        `  group:            ${n.group ?? `(none: ${noGroupReason(s)})`}`,
        `  signature scheme: ${n.signatureScheme ?? `(none: ${noSignatureReason(s)})`}`,
        `  alpn:             ${n.alpn ?? '(none)'}`,
        `  server name:      ${n.serverName ?? (isIP(serverName) ? `(none sent: ${serverName} is an IP address, RFC 6066 3)` : '(none sent)')}`,
        `  resumed:          ${n.resumed ? 'yes' : 'no'}`,
        ...(s.version === 'TLSv1.3'
          ? [`  hello retry:      ${n.helloRetry ? 'yes' : 'no'}`]
          : [`  EMS (RFC 7627):   ${n.extendedMasterSecret ? 'yes' : 'no'}`, `  EtM (RFC 7366):   ${n.encryptThenMac ? 'yes' : 'no'}`]),
        `  verification:     ${n.resumed ? 'resumed session (verified on the first connection)' : verification}`,
      ];
      if (n.peerCertificate) lines.push(`  peer certificate: ${n.peerCertificate}`);
      if (first) lines.push(`  first connection: ${first.summary ? `${namedSummary(first.summary).cipherSuite}, ticket received: ${first.ticket ? 'yes' : 'no'}` : 'failed'}`);
      if (result.after) lines.push(`  connection ended: ${describeError(result.after)}`);
      process.stdout.write(lines.join('\n') + '\n');
      if (result.response) {
        process.stdout.write(`--- received ${result.response.length} bytes ---\n`);
        process.stdout.write(new TextDecoder().decode(result.response));
        if (result.response.length > 0 && result.response.at(-1) !== 0x0a) process.stdout.write('\n');
      }
    }
    if (!ok && result.notTls !== undefined) {
      // Pointed at something that is not a TLS server: a mistake in the address, so exit code 2.
      if (!values.json) process.stderr.write(`tls-harness connect: ${host}:${port}: the peer does not speak TLS: its first bytes look like ${result.notTls}\n`);
      return ExitCode.usage;
    }
    if (!ok) {
      const e = result.error!;
      const line = e instanceof TlsError ? `handshake failed: ${describeError(e)}` : `connection failed: ${describeError(e)}`;
      process.stderr.write(`tls-harness connect: ${host}:${port}${first && result !== first ? ' (second connection)' : ''}: ${line}\n`);
      return ExitCode.failures;
    }
    return ExitCode.ok;
  },
};
