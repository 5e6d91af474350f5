/**
 * The embedded default target: the reference server and client with their default versions (TLS 1.3 and
 * TLS 1.2, as a user gets them), in this process, over real TCP sockets on 127.0.0.1. Strict by construction,
 * so the starter suite passes against it; it is also how the harness tests itself. With `inMemory` (issue 15:
 * the fuzzer's ruler, played for every conversation), the server role's connections are in-memory pipes
 * (MemoryEnd) instead: no sockets, no kernel, the same bytes and closes.
 */
import { createServer, connect as netConnect, type Server, type Socket } from 'node:net';
import { Duplex } from 'node:stream';
import { TlsClient } from '../../implementations/reference/connection/client.ts';
import { TlsServer } from '../../implementations/reference/connection/server.ts';
import { MemorySessionStore, TLS12_CIPHER_SUITES, TLS13_CIPHER_SUITES, makeConfig, type EndpointConfig } from '../../implementations/reference/connection/config.ts';
import { CipherSuite, nameOf } from '../../implementations/reference/codec/enums.ts';
import type { Endpoint } from '../../implementations/reference/connection/endpoint.ts';
import { SHARED_TEST_PKI as TEST_PKI } from './test-pki.ts';
import { listenOnLowPort } from '../../implementations/reference/connection/ports.ts';
import type { Capabilities, ExpectedFailure, IdleSignal, LaunchedClient, Target, TargetCaseContext, TargetConnection } from './types.ts';
import { LazyListener } from './lazy-listener.ts';
import type { TlsError } from '../../implementations/reference/connection/errors.ts';

/** What the reference's endpoint refused something with: the rule it cites ('RFC 8446 4.1.2'), the alert, why. */
export interface ReferenceError {
  rule: string;
  alert: string;
  detail: string;
  /** peer: the harness broke the rule; local: the reference's own failure; alert-received: the harness's alert. */
  origin: 'peer' | 'local' | 'alert-received';
}

/** Every suite the reference implements: the TLS 1.3 ones (CCM_8 too), then the TLS 1.2 ones. */
const REFERENCE_SUITES = [...TLS13_CIPHER_SUITES, ...TLS12_CIPHER_SUITES];

export const REFERENCE_CAPABILITIES: Capabilities = {
  roles: ['server', 'client'],
  versions: ['tls13', 'tls12'],
  // Server and client are configured with every suite: all TLS 1.3 ones (CCM_8 too), then every TLS 1.2 one.
  cipher_suites: REFERENCE_SUITES.map((c) => nameOf(CipherSuite, c)),
  groups: ['x25519', 'secp256r1', 'x448', 'secp384r1', 'secp521r1', 'ffdhe2048', 'ffdhe3072', 'ffdhe4096', 'ffdhe6144', 'ffdhe8192'],
  // One certificate per key type (P-256, P-384, P-521, Ed25519, Ed448, RSA-2048), so the server can sign with each scheme.
  signature_schemes: [
    'ecdsa_secp256r1_sha256',
    'ecdsa_secp384r1_sha384',
    'ecdsa_secp521r1_sha512',
    'ed25519',
    'ed448',
    'rsa_pss_rsae_sha256',
    'rsa_pss_rsae_sha384',
    'rsa_pss_rsae_sha512',
    // TLS 1.2 only (RFC 8446 4.2.3: PKCS#1 v1.5 in TLS 1.2; never in a TLS 1.3 CertificateVerify).
    'rsa_pkcs1_sha256',
    'rsa_pkcs1_sha384',
    'rsa_pkcs1_sha512',
  ],
  // request_client_certificate: target_options.request_client_certificate (a second listener, clientAuthServer).
  features: ['hello_retry_request', 'psk', 'early_data', 'client_auth', 'request_client_certificate', 'key_update', 'alpn', 'record_size_limit', 'max_fragment_length', 'middlebox_compat', 'sni', 'encrypt_then_mac', 'extended_master_secret', 'session_id_resumption', 'session_ticket'],
  concurrent: true,
};

/**
 * The idle signal of one connection to the reference (IdleSignal in types.ts), exact because both ends of
 * the connection are in this process: the endpoint's socket (`target`, through bridge()) and the harness's
 * (`harness`). Idle when the endpoint has consumed every byte the harness wrote (its socket hands each chunk
 * to the endpoint at once, synchronously), every byte the endpoint wrote has come out of the harness's end as
 * 'data', and a close of the endpoint's socket has reached the harness's end. The reference endpoints have no
 * timers, so an idle endpoint stays idle until the harness writes again.
 */
export class IdleTracker implements IdleSignal {
  /** Bytes the endpoint consumed. */
  private consumed = 0;
  /** Bytes the endpoint wrote to its socket. */
  private written = 0;
  /** The endpoint side is attached and has written what it writes unasked (a client's ClientHello). */
  private started = false;
  /** The endpoint's socket ended or was destroyed: a close is on its way to the harness's end. */
  private targetClosed = false;
  private harness: HarnessEnd | undefined;
  private readonly listeners = new Set<() => void>();

  idle(): boolean {
    const h = this.harness;
    if (!this.started || !h) return false;
    // What the harness handed to its socket (bytesWritten counts buffered writes too), all consumed.
    if (this.consumed !== h.bytesWritten) return false;
    // What the endpoint wrote, all out of the harness's socket as 'data': read from the kernel (bytesRead)
    // and not held in the stream's buffer (readableLength; a paused stream holds it there).
    if (this.written !== h.bytesRead - h.readableLength) return false;
    return !this.targetClosed || h.readableEnded || h.destroyed;
  }

  onChange(fn: () => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  /**
   * Called on what the endpoint's side does; what the harness's side does (data, EOF) wakes the engine's
   * reads by itself, and each read asks idle() again.
   */
  private changed(): void {
    for (const fn of [...this.listeners]) fn();
  }

  /** The harness's end of the connection (no listener is added to it: its flow is the engine's). */
  attachHarness(sock: HarnessEnd): void {
    this.harness ??= sock;
    this.changed();
  }

  /** bridge(): the endpoint consumed `n` bytes / wrote `n` bytes / its socket is closing / it started. */
  targetConsumed(n: number): void {
    this.consumed += n;
    this.changed();
  }
  targetWrote(n: number): void {
    this.written += n;
  }
  targetClosing(): void {
    this.targetClosed = true;
  }
  targetStarted(): void {
    this.started = true;
    this.changed();
  }
}

/** What IdleTracker reads of the harness's end of a connection (a net.Socket, or a MemoryEnd). */
export type HarnessEnd = Pick<Socket, 'bytesWritten' | 'bytesRead' | 'readableLength' | 'readableEnded' | 'destroyed'>;

/**
 * One end of an in-memory connection (MemoryEnd.pair()), for the reference in this process: what one end
 * writes comes out of the other as 'data', in order, a tick later (as a loopback socket delivers it at the
 * next poll, never within the write); end() is a FIN: the other end sees 'end' after the data and, as a
 * net.Socket without allowHalfOpen, ends its own side; destroy() is a close: the other end sees 'end', or a
 * reset (ECONNRESET) when the destroyed end had not read everything it was sent (as the kernel answers a
 * close with unread data with a RST), and a write to a destroyed end is answered with a reset too.
 * bytesWritten / bytesRead count as a net.Socket's do (IdleTracker depends on them).
 */
export class MemoryEnd extends Duplex {
  private other!: MemoryEnd;
  bytesWritten = 0;
  bytesRead = 0;
  /** Bytes written to this end that have not arrived yet (delivered at the next tick). */
  private inFlight = 0;

  static pair(): [MemoryEnd, MemoryEnd] {
    const a = new MemoryEnd();
    const b = new MemoryEnd();
    a.other = b;
    b.other = a;
    return [a, b];
  }

  private constructor() {
    super({ allowHalfOpen: false });
  }

  setNoDelay(): this {
    return this;
  }

  override _read(): void {}

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (e?: Error | null) => void): void {
    // cb at once (the kernel took it): the next write comes straight here, so this counts what write() was handed.
    this.bytesWritten += chunk.length;
    const to = this.other;
    to.inFlight += chunk.length;
    process.nextTick(() => to.arrive(chunk));
    cb();
  }

  override _final(cb: (e?: Error | null) => void): void {
    const to = this.other;
    process.nextTick(() => to.arriveEnd());
    cb();
  }

  override _destroy(err: Error | null, cb: (e?: Error | null) => void): void {
    // Unread: in this end's buffer, or still on its way here.
    const unread = this.readableLength > 0 || this.inFlight > 0;
    const to = this.other;
    process.nextTick(() => to.peerGone(unread));
    cb(err);
  }

  private arrive(chunk: Buffer): void {
    this.inFlight -= chunk.length;
    if (this.destroyed) {
      // A write to a closed connection: the kernel answers with a RST.
      this.other.reset();
      return;
    }
    if (this.readableEnded) return;
    this.bytesRead += chunk.length;
    this.push(chunk);
  }

  private arriveEnd(): void {
    if (!this.destroyed && !this.readableEnded) this.push(null);
  }

  private peerGone(reset: boolean): void {
    if (this.destroyed) return;
    if (reset) this.reset();
    else this.push(null);
  }

  private reset(): void {
    if (!this.destroyed) this.destroy(Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET', errno: -104, syscall: 'read' }));
  }
}

/**
 * Pump bytes between a socket and an endpoint until either side is done. `start` runs first (a client's
 * start()); its output goes out like any other.
 */
export function bridge(sock: Socket | MemoryEnd, ep: Endpoint, tracker?: IdleTracker, start?: () => void, onError?: (e: TlsError) => void): void {
  sock.setNoDelay(true);
  const flush = () => {
    // RFC 8446 6.1: the peer's close_notify closes its side only; like common servers, we then close ours.
    if (ep.readClosed && !ep.writeClosed && ep.state !== 'failed') ep.close();
    const out = ep.takeOutput();
    if (out.length > 0 && !sock.destroyed) {
      tracker?.targetWrote(out.length);
      sock.write(out);
    }
    for (const e of ep.takeEvents()) if (e.type === 'error' && onError) onError(e.error);
    if ((ep.state === 'failed' || ep.state === 'closed' || ep.writeClosed) && !sock.destroyed) {
      tracker?.targetClosing();
      sock.end();
    }
  };
  sock.on('data', (d: Buffer) => {
    ep.receive(new Uint8Array(d.buffer, d.byteOffset, d.byteLength));
    flush();
    tracker?.targetConsumed(d.byteLength);
  });
  sock.on('error', () => {
    tracker?.targetClosing();
    sock.destroy();
  });
  sock.on('end', () => {
    tracker?.targetClosing();
    // (end() of an ended stream only makes an error object nobody reads)
    if (!sock.writableEnded) sock.end();
  });
  sock.on('close', () => tracker?.targetClosing());
  start?.();
  flush();
  tracker?.targetStarted();
}

export class ReferenceTarget implements Target {
  readonly name = 'reference';
  readonly capabilities = REFERENCE_CAPABILITIES;
  readonly expectedFailures: ExpectedFailure[] = [];
  private server: Server | undefined;
  private port = 0;
  /**
   * The server for cases with target_options.request_client_certificate: the same server config, asking for a
   * client certificate (RFC 8446 4.3.2) and verifying it against the test CA; started at its first such case.
   */
  private readonly clientAuthServer = new LazyListener(() =>
    // verifyPeer (the default) checks the client's chain against trustRoots, the test CA; an empty client
    // Certificate is accepted (RFC 8446 4.4.2.4: the server "MAY at its discretion either continue the handshake
    // without client authentication, or abort the handshake with a "certificate_required" alert").
    this.makeServer({ ...this.serverConfig, requestClientCert: true, verifyPeer: true }),
  );
  private readonly sockets = new Set<Socket | MemoryEnd>();
  /** The idle trackers of server connections, by the harness's port, until both ends have been seen. */
  private readonly trackers = new Map<number, IdleTracker>();
  private readonly serverConfig: EndpointConfig;
  private readonly clientConfig: EndpointConfig;

  /**
   * Issue 15: with `recordErrors`, the first error each case's endpoint raised (the rule it cites, the alert it
   * sends), for takeError: the fuzzer's ruler names the rule behind the reference's answer.
   */
  private readonly recordErrors: boolean;
  private readonly errors = new Map<string, ReferenceError>();
  /** Server connections: the harness's local port -> the case it belongs to (the server sees it as the remote port). */
  private readonly portCases = new Map<number, string>();

  /** Server-role connections are in-memory pipes (MemoryEnd), not loopback TCP. */
  private readonly inMemory: boolean;

  constructor(overrides: { server?: Partial<EndpointConfig>; client?: Partial<EndpointConfig>; recordErrors?: boolean; inMemory?: boolean } = {}) {
    this.recordErrors = overrides.recordErrors ?? false;
    this.inMemory = overrides.inMemory ?? false;
    if (this.inMemory) this.connectClient = (ctx) => this.connectClientInMemory(ctx);
    this.serverConfig = makeConfig({
      // The first three as before; the others are chosen only by a client that accepts none of the first three's schemes.
      certificates: [TEST_PKI.p256(), TEST_PKI.rsa(), TEST_PKI.ed25519(), TEST_PKI.p384(), TEST_PKI.p521(), TEST_PKI.ed448()],
      trustRoots: TEST_PKI.ca(),
      alpn: ['http/1.1'],
      // What REFERENCE_CAPABILITIES claims, it serves: every group (DEFAULT_GROUPS), every suite, 0-RTT.
      cipherSuites: REFERENCE_SUITES,
      maxEarlyData: 16384,
      acceptEarlyData: true,
      ...overrides.server,
    });
    // The client offers every TLS 1.3 suite too (CCM_8 last), so a client-role case of any claimed suite can run.
    // suite-cov: the client presents the test client certificate (P-256) when a server asks for one, as the
    // openssl and node client targets do (RFC 5246 7.4.6 / RFC 8446 4.4.2 client-authentication cases).
    // psk2: the client sends 0-RTT data when it resumes a ticket that allows early data (RFC 8446 4.2.10), as
    // REFERENCE_CAPABILITIES claims (early_data): the client-role 0-RTT cases issue such a ticket.
    this.clientConfig = makeConfig({ serverName: 'localhost', trustRoots: TEST_PKI.ca(), cipherSuites: REFERENCE_SUITES, certificates: [TEST_PKI.client()], earlyData: new TextEncoder().encode('0-RTT ping'), ...overrides.client });
  }

  async start(): Promise<void> {
    if (this.server) return;
    this.server = this.makeServer(this.serverConfig);
    this.port = await listenOnLowPort(this.server);
  }

  private makeServer(config: EndpointConfig): Server {
    return createServer((sock) => {
      this.track(sock);
      const port = sock.remotePort;
      const idle = this.trackerFor(port);
      // A connection whose harness end never shows up (not made by connect()): forget its tracker.
      sock.once('close', () => this.forget(port, idle));
      bridge(sock, new TlsServer(config), idle, undefined, this.recordErrors ? (e) => this.noteError(port !== undefined ? this.portCases.get(port) : undefined, e) : undefined);
    });
  }

  private noteError(caseId: string | undefined, e: TlsError): void {
    if (caseId !== undefined && !this.errors.has(caseId)) this.errors.set(caseId, { rule: e.rule, alert: e.alert, detail: e.detail, origin: e.origin });
  }

  /** The first error the reference's endpoint raised in this case (with recordErrors), forgotten once taken. */
  takeError(caseId: string): ReferenceError | undefined {
    const e = this.errors.get(caseId);
    this.errors.delete(caseId);
    for (const [port, id] of this.portCases) if (id === caseId) this.portCases.delete(port);
    return e;
  }


  private track(sock: Socket | MemoryEnd): void {
    this.sockets.add(sock);
    sock.on('close', () => this.sockets.delete(sock));
  }

  /**
   * The tracker of the server connection whose harness end has local port `port` (the server's socket sees
   * it as the remote port): the first of the two ends to arrive makes it, the second takes it.
   */
  private trackerFor(port: number | undefined): IdleTracker | undefined {
    if (port === undefined) return undefined;
    const t = this.trackers.get(port);
    if (t) {
      this.trackers.delete(port);
      return t;
    }
    const made = new IdleTracker();
    this.trackers.set(port, made);
    return made;
  }

  private forget(port: number | undefined, t: IdleTracker | undefined): void {
    if (port !== undefined && this.trackers.get(port) === t) this.trackers.delete(port);
  }

  async connect(ctx: TargetCaseContext): Promise<TargetConnection> {
    if (this.inMemory) return this.connectInMemory(ctx);
    if (!this.server) await this.start();
    const port0 = ctx.options?.request_client_certificate ? await this.clientAuthServer.port() : this.port;
    const sock = netConnect({ host: '127.0.0.1', port: port0 });
    this.track(sock);
    await new Promise<void>((resolve, reject) => {
      sock.once('connect', resolve);
      sock.once('error', reject);
    });
    sock.setNoDelay(true);
    const port = sock.localPort;
    if (this.recordErrors && port !== undefined) this.portCases.set(port, ctx.caseId);
    const idle = this.trackerFor(port);
    idle?.attachHarness(sock);
    // A connection the server never saw (reset at once): forget its tracker.
    sock.once('close', () => this.forget(port, idle));
    return { stream: sock, peer: `reference server 127.0.0.1:${port0}${ctx.options?.request_client_certificate ? ' (requesting a client certificate)' : ''}`, ...(idle ? { idle } : {}) };
  }

  /** A server connection over an in-memory pipe: the same server config, endpoint, bridge and idle tracking. */
  private connectInMemory(ctx: TargetCaseContext): TargetConnection {
    const auth = ctx.options?.request_client_certificate === true;
    const [harness, server] = MemoryEnd.pair();
    this.track(harness);
    this.track(server);
    const idle = new IdleTracker();
    idle.attachHarness(harness);
    const config = auth ? { ...this.serverConfig, requestClientCert: true, verifyPeer: true } : this.serverConfig;
    bridge(server, new TlsServer(config), idle, undefined, this.recordErrors ? (e) => this.noteError(ctx.caseId, e) : undefined);
    return { stream: harness, peer: `reference server (in memory)${auth ? ' (requesting a client certificate)' : ''}`, idle };
  }

  /**
   * psk14: the sessions the reference client got in each case, so that a second connection of the case
   * resumes the first's (RFC 8446 4.6.1: the client "MAY use this PSK for future handshakes"), as the node,
   * OpenSSL and BoringSSL client configs do (`reconnect` in client-role scenarios).
   */
  private readonly clientSessions = new Map<string, MemorySessionStore>();

  async launchClient(ctx: TargetCaseContext): Promise<LaunchedClient> {
    const listen = ctx.listen!;
    const sock = netConnect({ host: listen.host, port: listen.port });
    this.track(sock);
    let sessionStore = this.clientSessions.get(ctx.caseId);
    if (!sessionStore) this.clientSessions.set(ctx.caseId, (sessionStore = new MemorySessionStore()));
    const client = new TlsClient({ ...this.clientConfig, sessionStore, resume: true });
    const tracker = new IdleTracker();
    sock.once('connect', () => bridge(sock, client, tracker, () => client.start(), this.recordErrors ? (e) => this.noteError(ctx.caseId, e) : undefined));
    sock.on('error', () => sock.destroy());
    return {
      idleSignal: (harnessEnd) => {
        // The harness's end of this client's connection: its remote port is the client's local port.
        if (sock.localPort !== undefined && harnessEnd.remotePort !== sock.localPort) return undefined;
        tracker.attachHarness(harnessEnd);
        return tracker;
      },
    };
  }

  /**
   * inMemory: the client role's connection is an in-memory pipe too; the engine takes the harness's end
   * from here (run-case.ts InProcessClient) instead of listening for the client.
   */
  readonly connectClient?: (ctx: TargetCaseContext) => Promise<TargetConnection>;

  private async connectClientInMemory(ctx: TargetCaseContext): Promise<TargetConnection> {
    const [harness, end] = MemoryEnd.pair();
    this.track(harness);
    this.track(end);
    let sessionStore = this.clientSessions.get(ctx.caseId);
    if (!sessionStore) this.clientSessions.set(ctx.caseId, (sessionStore = new MemorySessionStore()));
    const client = new TlsClient({ ...this.clientConfig, sessionStore, resume: true });
    const idle = new IdleTracker();
    idle.attachHarness(harness);
    bridge(end, client, idle, () => client.start(), this.recordErrors ? (e) => this.noteError(ctx.caseId, e) : undefined);
    return { stream: harness, peer: 'reference client (in memory)', idle };
  }

  async endCase(ctx: TargetCaseContext): Promise<void> {
    this.clientSessions.delete(ctx.caseId);
  }

  async stop(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    this.sockets.clear();
    this.trackers.clear();
    const srv = this.server;
    this.server = undefined;
    await Promise.all([srv && new Promise<void>((r) => srv.close(() => r())), this.clientAuthServer.close()]);
  }
}
