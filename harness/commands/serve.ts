/**
 * `tls-harness serve`: the reference server on a real TCP port, TLS 1.3 and TLS 1.2 by default as `openssl
 * s_server` (`--min-version 1.3`: TLS 1.3 only; `--max-version 1.2`: TLS 1.2 only), for trying other
 * implementations' clients against it (openssl s_client, curl, gnutls-cli, browsers).
 *
 * - One ready line on stdout once listening: `tls-harness serve: listening on 127.0.0.1:PORT (TLSv1.2, TLSv1.3)`,
 *   the versions served in the parentheses (`TLSv1.2`, `TLSv1.3`, or both).
 * - An HTTP request (GET/HEAD ...) is answered with a small HTML page describing the handshake, headers and
 *   body in ONE TLS record, then close_notify (`Connection: close`); any other data is echoed back.
 * - One line per connection on stderr when it ends: the negotiated parameters, or the error with its alert
 *   and RFC rule.
 * - Runs until SIGINT / SIGTERM, then sends close_notify on live connections and exits 0.
 */
import type { Command } from '../cli.ts';
import { ExitCode, UsageError } from '../errors.ts';
import { makeConfig, type EndpointConfig } from '../../implementations/reference/connection/config.ts';
import { createTlsServer, describeError, type TlsSocket } from '../../implementations/reference/connection/tcp.ts';
import { defaultSuites, isTls12Suite, isTls13Suite, loadCa, loadPairs, namedSummary, noGroupReason, noSignatureReason, parseAlpn, parseCipherSuites, parseGroups, parseIntOption, parseVersionRange } from './tls-options.ts';
import { applyCryptoOption, cryptoOption } from './crypto-option.ts';
import { keyLogSink, keylogOption } from './keylog-option.ts';

const CMD = 'serve';

/** The stderr line for a finished connection. */
export function connectionLogLine(remote: string, t: TlsSocket, error = t.error): string {
  const s = t.summary;
  const parts = [`tls-harness serve: ${remote}`];
  if (s) {
    const n = namedSummary(s);
    parts.push(
      n.version,
      n.cipherSuite,
      n.group ?? (s.version === 'TLSv1.3' ? 'psk_ke' : '-'),
      n.signatureScheme ?? '-',
      `alpn=${n.alpn ?? '-'}`,
      `sni=${n.serverName ?? '-'}`,
      `resumed=${n.resumed ? 'yes' : 'no'}`,
    );
    // TLS 1.2 has no HelloRetryRequest; it has RFC 7627 and RFC 7366 instead.
    if (s.version === 'TLSv1.3') parts.push(`hrr=${n.helloRetry ? 'yes' : 'no'}`);
    else parts.push(`ems=${n.extendedMasterSecret ? 'yes' : 'no'}`, `etm=${n.encryptThenMac ? 'yes' : 'no'}`);
    if (s.peerCertificates.length > 0) parts.push('client-cert=yes');
    if (error) parts.push(`then ${describeError(error)}`);
  } else {
    parts.push(`handshake failed: ${error ? describeError(error) : 'closed'}`);
  }
  return parts.join(' ');
}

const HTTP_METHOD = /^(GET|HEAD|POST|PUT|DELETE|OPTIONS|PATCH) /;

function escapeHtml(s: string): string {
  return s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);
}

/** The HTTP response, headers and body, as one byte string (it goes out in one record: < 2^14 bytes). */
export function httpResponse(t: TlsSocket, requestLine: string, head: boolean): Uint8Array {
  const s = t.summary!;
  const n = namedSummary(s);
  const rows: [string, string][] = [
    ['Protocol', n.version],
    ['Cipher suite', n.cipherSuite],
    ['Group', n.group ?? `(none: ${noGroupReason(s)})`],
    ['Signature scheme', n.signatureScheme ?? `(none: ${noSignatureReason(s)})`],
    ['ALPN', n.alpn ?? '(none)'],
    ['Server name', n.serverName ?? '(none)'],
    ['Resumed', n.resumed ? 'yes' : 'no'],
    ...(s.version === 'TLSv1.3'
      ? ([['HelloRetryRequest', n.helloRetry ? 'yes' : 'no']] as [string, string][])
      : ([
          ['Extended master secret', n.extendedMasterSecret ? 'yes' : 'no'],
          ['Encrypt-then-MAC', n.encryptThenMac ? 'yes' : 'no'],
        ] as [string, string][])),
    ['Client certificate', n.peerCertificate ?? '(none)'],
    ['Request', requestLine],
  ];
  const body =
    '<!DOCTYPE html>\n<html><head><title>tls-harness reference server</title></head><body>\n' +
    '<h1>tls-harness reference server</h1>\n<table>\n' +
    rows.map(([k, v]) => `<tr><th>${k}</th><td>${escapeHtml(v)}</td></tr>`).join('\n') +
    '\n</table>\n</body></html>\n';
  const bodyBytes = new TextEncoder().encode(body);
  const headers =
    'HTTP/1.1 200 OK\r\n' +
    'Content-Type: text/html; charset=utf-8\r\n' +
    `Content-Length: ${bodyBytes.length}\r\n` +
    'Connection: close\r\n' +
    '\r\n';
  const h = new TextEncoder().encode(headers);
  const out = new Uint8Array(h.length + (head ? 0 : bodyBytes.length));
  out.set(h);
  if (!head) out.set(bodyBytes, h.length);
  return out;
}

/**
 * The application: the first bytes decide. An HTTP request (up to its blank line, at most 16 KiB) gets the
 * page and close_notify; anything else is echoed, as it comes.
 */
export function httpOrEcho(t: TlsSocket): void {
  let mode: 'undecided' | 'http' | 'echo' = 'undecided';
  let buffered = '';
  t.on('data', (d) => {
    if (mode === 'echo') {
      t.write(d);
      return;
    }
    if (mode === 'http') return; // a request body, or a pipelined request: ignored (we close)
    buffered += new TextDecoder().decode(d);
    if (!HTTP_METHOD.test(buffered) && (buffered.length >= 8 || !/^[A-Z]*$/.test(buffered))) {
      mode = 'echo';
      t.write(new TextEncoder().encode(buffered));
      buffered = '';
      return;
    }
    const end = buffered.indexOf('\r\n\r\n') >= 0 ? buffered.indexOf('\r\n\r\n') : buffered.indexOf('\n\n');
    if (end < 0 && buffered.length < 16384) return;
    mode = 'http';
    const requestLine = buffered.split(/\r?\n/)[0];
    t.write(httpResponse(t, requestLine, requestLine.startsWith('HEAD ')));
    void t.close();
  });
}

export const serveCommand: Command = {
  name: 'serve',
  summary: 'run the reference TLS 1.3 / 1.2 server on a TCP port (HTTP page or echo) for other clients to connect to (both versions by default)',
  usage:
    'tls-harness serve [--port P] --cert C --key K [--chain F] [--cert C2 --key K2 ...] [--min-version V] [--max-version V] [--alpn LIST] [--groups LIST] [--ciphersuites LIST] [--no-ems] [--no-etm] [--allow-sha1-signatures] [--request-client-cert --ca F] [--crypto noble|node]',
  options: {
    crypto: cryptoOption,
    keylog: keylogOption,
    port: { type: 'string', short: 'p', description: 'TCP port (default 4433; 0: any free port, printed in the ready line)' },
    host: { type: 'string', description: 'address to listen on (default 127.0.0.1)' },
    cert: { type: 'string', multiple: true, description: 'certificate chain PEM (leaf first); repeat with --key for more key types' },
    key: { type: 'string', multiple: true, description: 'PKCS#8 / SEC1 / PKCS#1 PEM private key for the --cert in the same position' },
    chain: { type: 'string', multiple: true, description: 'extra chain certificates for the --cert in the same position' },
    alpn: { type: 'string', description: 'ALPN protocols, comma-separated, most preferred first (default http/1.1; "" disables)' },
    groups: { type: 'string', description: 'key-exchange groups, most preferred first (default x25519,secp256r1,x448,secp384r1,secp521r1,ffdhe2048,ffdhe3072,ffdhe4096,ffdhe6144,ffdhe8192)' },
    'min-version': { type: 'string', description: 'lowest version served: 1.2 or 1.3 (TLSv1.2 ... accepted; default 1.2); --min-version 1.3 serves TLS 1.3 only' },
    'max-version': { type: 'string', description: 'highest version served: 1.2 or 1.3 (default 1.3); --max-version 1.2 serves TLS 1.2 only' },
    ciphersuites: {
      type: 'string',
      description: 'cipher suites, most preferred first, IANA names (TLS 1.2 ones also by OpenSSL name); default: every suite the reference implements in the version range; a version with no suite listed is not served',
    },
    'no-ems': { type: 'boolean', description: 'TLS 1.2: do not accept the extended master secret (RFC 7627)' },
    'no-etm': { type: 'boolean', description: 'TLS 1.2: do not accept encrypt-then-MAC (RFC 7366)' },
    'allow-sha1-signatures': {
      type: 'boolean',
      description: 'TLS 1.2, for testing legacy clients: sign and accept SHA-1 (also for a client without signature_algorithms; off by default, RFC 9155)',
    },
    'request-client-cert': { type: 'boolean', description: 'send a CertificateRequest; verify what the client sends against --ca' },
    'require-client-cert': { type: 'boolean', description: 'as --request-client-cert, and abort with certificate_required without one' },
    ca: { type: 'string', description: 'trust anchors (PEM) for client certificates' },
    'hello-retry': { type: 'boolean', description: 'always answer the first ClientHello with a HelloRetryRequest (with a cookie)' },
    timeout: { type: 'string', description: 'handshake timeout in ms (default 10000)' },
  },
  async run(values) {
    applyCryptoOption(CMD, values.crypto);
    const certs = (values.cert as string[] | undefined) ?? [];
    const keys = (values.key as string[] | undefined) ?? [];
    if (certs.length === 0) throw new UsageError(`${CMD}: --cert and --key are required`);
    const port = parseIntOption(CMD, '--port', (values.port as string | undefined) ?? '4433', 0, 65535);
    const host = (values.host as string | undefined) ?? '127.0.0.1';
    const partial: Partial<EndpointConfig> = {
      certificates: loadPairs(CMD, certs, keys, (values.chain as string[] | undefined) ?? []),
      alpn: values.alpn === undefined ? ['http/1.1'] : parseAlpn(CMD, values.alpn as string),
      ticketsToSend: 2,
    };
    if (values.groups !== undefined) partial.groups = parseGroups(CMD, '--groups', values.groups as string);
    const range = parseVersionRange(CMD, values['min-version'] as string | undefined, values['max-version'] as string | undefined);
    Object.assign(partial, range);
    partial.cipherSuites = values.ciphersuites === undefined ? defaultSuites(range) : parseCipherSuites(CMD, values.ciphersuites as string, range);
    if (values['no-ems']) partial.extendedMasterSecret = false;
    if (values['no-etm']) partial.encryptThenMac = false;
    if (values['allow-sha1-signatures']) partial.legacySha1Signatures = true;
    if (values.timeout !== undefined) partial.handshakeTimeoutMs = parseIntOption(CMD, '--timeout', values.timeout as string, 1, 3_600_000);
    const requireCert = values['require-client-cert'] === true;
    if (values['request-client-cert'] || requireCert) {
      if (values.ca === undefined) throw new UsageError(`${CMD}: --request-client-cert needs --ca to verify client certificates`);
      partial.requestClientCert = true;
      partial.requireClientCert = requireCert;
    }
    if (values.ca !== undefined) partial.trustRoots = loadCa(CMD, values.ca as string);
    if (values['hello-retry']) {
      partial.forceHelloRetry = true;
      partial.helloRetryCookie = true;
    }
    // One config for every connection: the ticket key and the TLS 1.2 session cache are shared, so tickets and
    // session IDs resume across connections.
    const keyLog = keyLogSink(CMD, values.keylog);
    if (keyLog) partial.keyLog = keyLog;
    const config = makeConfig(partial);

    const listener = createTlsServer(config, (t) => {
      const remote = t.remote;
      httpOrEcho(t);
      void t.closed.then(() => process.stderr.write(connectionLogLine(remote, t) + '\n'));
    });
    let addr;
    try {
      addr = await listener.listen(port, host);
    } catch (e) {
      throw new UsageError(`${CMD}: cannot listen on ${host}:${port}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
    // The versions the configuration can actually negotiate (a version also needs one of its suites).
    const versions = [
      range.minVersion === 'TLSv1.2' && config.cipherSuites.some(isTls12Suite) ? 'TLSv1.2' : '',
      range.maxVersion === 'TLSv1.3' && config.cipherSuites.some(isTls13Suite) ? 'TLSv1.3' : '',
    ].filter((v) => v).join(', ');
    process.stdout.write(`tls-harness serve: listening on ${addr.address}:${addr.port} (${versions})\n`);

    await new Promise<void>((resolve) => {
      const stop = () => {
        process.off('SIGINT', stop);
        process.off('SIGTERM', stop);
        resolve();
      };
      process.on('SIGINT', stop);
      process.on('SIGTERM', stop);
    });
    await listener.close(1000);
    return ExitCode.ok;
  },
};
