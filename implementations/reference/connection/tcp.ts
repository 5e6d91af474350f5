/**
 * TCP transport for the reference endpoints: an adapter between a transport-agnostic Endpoint (bytes in,
 * bytes and events out) and a node:net Socket.
 *
 *   const conn = await connectTls('127.0.0.1', 4433, clientConfig);   // resolves once the handshake completed
 *   conn.on('data', (d) => ...); conn.write('hello'); await conn.close();
 *
 *   const listener = createTlsServer(serverConfig, (conn) => { conn.on('data', (d) => conn.write(d)); });
 *   const { port } = await listener.listen(0, '127.0.0.1'); ...; await listener.close();
 *
 * What the adapter adds to the endpoint, and nothing else (protocol rules stay in the state machines):
 * - bytes pumped both ways, TCP_NODELAY set (a handshake flight is written in one go; Nagle would only add
 *   delayed-ACK stalls);
 * - a handshake timeout (config.handshakeTimeoutMs) that cancels the handshake with user_canceled then
 *   close_notify (RFC 8446 6.1) and ends the connection with a TransportError of kind 'timeout';
 * - socket errors, resets, and an EOF before close_notify (a truncation, RFC 8446 6.1) as TransportErrors;
 * - every failure lands in `error`, the `failure` event and the `closed` promise; nothing is thrown at the
 *   caller and no promise is left rejected without a handler; every timer is cleared and every socket is
 *   destroyed when the connection ends.
 */
import { EventEmitter } from 'node:events';
import * as net from 'node:net';
import { listenOnLowPort } from './ports.ts';
import { AlertDescription, AlertLevel, ContentType } from '../codec/enums.ts';
import type { EndpointConfig } from './config.ts';
import type { Endpoint, EndpointEvent, HandshakeSummary } from './endpoint.ts';
import { TlsClient } from './client.ts';
import { TlsServer } from './server.ts';
import { TlsError } from './errors.ts';

export type TransportErrorKind =
  /** The handshake did not complete within config.handshakeTimeoutMs. */
  | 'timeout'
  /** The TCP connection could not be made (refused, unreachable, ...). */
  | 'connect'
  /** The peer reset the connection (ECONNRESET, EPIPE). */
  | 'reset'
  /** The peer closed the TCP connection (FIN) before close_notify: during the handshake, or a truncation. */
  | 'eof'
  /** Any other socket error. */
  | 'socket';

/** A failure of the transport, not of the TLS protocol: no alert was received and none applies. */
export class TransportError extends Error {
  override readonly name = 'TransportError';
  constructor(
    readonly kind: TransportErrorKind,
    message: string,
    /** Where the rule is written, when one applies (e.g. 'RFC 8446 6.1' for a truncation). */
    readonly rule?: string,
    /** The errno code of the socket error, when there was one. */
    readonly code?: string,
  ) {
    super(message);
  }
}

/** Why a connection failed: a TLS rule (TlsError, with its alert and RFC section) or the transport. */
export type ConnectionError = TlsError | TransportError;

/** One line for logs and CLIs: the alert and rule for a TlsError, the kind for a TransportError. */
export function describeError(e: ConnectionError): string {
  if (e instanceof TlsError) {
    const who = e.origin === 'alert-received' ? 'received' : 'sent';
    // TlsError's message already ends in "[rule, alert x]".
    return `${e.origin === 'local' ? 'local error' : `alert ${e.alert} ${who}`}: ${e.message}`;
  }
  return `${e.kind}: ${e.message}${e.rule ? ` [${e.rule}]` : ''}`;
}

export interface CloseResult {
  /** Undefined for a clean close (close_notify sent or received, no error). */
  error?: ConnectionError;
  /** Whether the peer's close_notify was received (RFC 8446 6.1). */
  peerCloseNotify: boolean;
  /** The handshake summary, when the handshake completed. */
  summary?: HandshakeSummary;
}

export interface TlsSocketOptions {
  /**
   * After we have sent our last record (close_notify or a fatal alert), how long to wait for the peer to
   * close its side before the socket is destroyed. Default 2000 ms.
   */
  lingerMs?: number;
}

export interface TlsSocketEvents {
  /** The handshake completed. */
  secure: [HandshakeSummary];
  /** Application data from the peer. */
  data: [Uint8Array];
  /** 0-RTT data accepted by a server (RFC 8446 4.2.10). */
  early_data: [Uint8Array];
  /** A client received a NewSessionTicket (RFC 8446 4.6.1); with a sessionStore in the config it is stored. */
  session: [{ lifetime: number; maxEarlyData: number }];
  key_update: [{ direction: 'read' | 'write'; requested: boolean }];
  /** A non-fatal alert (user_canceled). */
  alert: [{ level: number; description: number }];
  /** The peer's close_notify (RFC 8446 6.1): it sends nothing more. We answered with our own. */
  end: [];
  /** The connection failed (once, before `close`). */
  failure: [ConnectionError];
  /** The socket is closed and all timers are cleared. */
  close: [CloseResult];
}

/**
 * One TLS connection over one TCP socket. Events: see TlsSocketEvents. It never emits 'error' (an
 * EventEmitter 'error' without a listener throws); failures go to `failure`, `error` and `closed`.
 */
export class TlsSocket extends EventEmitter<TlsSocketEvents> {
  /** Why the connection failed, when it did (the first failure). */
  error: ConnectionError | undefined;
  /** Resolves with the summary when the handshake completes; rejects with the ConnectionError otherwise. */
  readonly handshake: Promise<HandshakeSummary>;
  /** Always resolves, once the socket is closed. */
  readonly closed: Promise<CloseResult>;

  private resolveHandshake!: (s: HandshakeSummary) => void;
  private rejectHandshake!: (e: ConnectionError) => void;
  private resolveClosed!: (r: CloseResult) => void;
  private handshakeTimer: NodeJS.Timeout | undefined;
  private lingerTimer: NodeJS.Timeout | undefined;
  private readonly queue: EndpointEvent[] = [];
  private dispatching = false;
  private pendingWrites: Uint8Array[] = [];
  private peerCloseNotify = false;
  private writeEnded = false;
  private done = false;
  private readonly lingerMs: number;

  /** Application data received while no 'data' listener was attached. */
  private unread: Uint8Array[] = [];

  private constructor(
    readonly endpoint: Endpoint,
    readonly socket: net.Socket,
    opts: TlsSocketOptions,
    connecting: boolean,
  ) {
    super();
    (this as EventEmitter).on('newListener', (event: string | symbol) => {
      if (event !== 'data' || this.unread.length === 0) return;
      // After the listener is attached (newListener fires before), in order.
      queueMicrotask(() => {
        const pending = this.unread;
        this.unread = [];
        for (const d of pending) this.emit('data', d);
      });
    });
    this.lingerMs = opts.lingerMs ?? 2000;
    this.handshake = new Promise<HandshakeSummary>((res, rej) => {
      this.resolveHandshake = res;
      this.rejectHandshake = rej;
    });
    // Callers that only await `closed` must not see an unhandled rejection.
    this.handshake.catch(() => {});
    this.closed = new Promise<CloseResult>((res) => (this.resolveClosed = res));

    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.onSocketData(chunk));
    socket.on('end', () => this.onSocketEnd());
    let connected = !connecting;
    if (connected) this.noteAddresses();
    socket.once('connect', () => {
      connected = true;
      this.noteAddresses();
    });
    socket.on('error', (e: NodeJS.ErrnoException) => this.onSocketError(e, !connected));
    socket.on('close', () => this.onSocketClose());

    const ms = endpoint.config.handshakeTimeoutMs;
    if (ms > 0 && Number.isFinite(ms)) this.handshakeTimer = setTimeout(() => this.onHandshakeTimeout(ms), ms);
  }

  /** Wrap a socket (connected or connecting) as the client side; the ClientHello goes out once connected. */
  static client(socket: net.Socket, config: EndpointConfig, opts: TlsSocketOptions = {}): TlsSocket {
    const client = new TlsClient(config);
    const t = new TlsSocket(client, socket, opts, socket.connecting);
    const start = () => {
      if (t.done) return;
      client.start();
      t.pump();
    };
    if (socket.connecting) socket.once('connect', start);
    else start();
    return t;
  }

  /** Wrap an accepted socket as the server side. */
  static server(socket: net.Socket, config: EndpointConfig, opts: TlsSocketOptions = {}): TlsSocket {
    return new TlsSocket(new TlsServer(config), socket, opts, false);
  }

  get summary(): HandshakeSummary | undefined {
    return this.endpoint.summary;
  }

  /** The peer's address and port, and ours, as they were once connected (kept after the socket closes). */
  remoteAddress: string | undefined;
  remotePort: number | undefined;
  localPort: number | undefined;

  get remote(): string {
    return `${this.remoteAddress ?? '?'}:${this.remotePort ?? '?'}`;
  }

  private noteAddresses(): void {
    this.remoteAddress = this.socket.remoteAddress;
    this.remotePort = this.socket.remotePort;
    this.localPort = this.socket.localPort;
  }

  /**
   * Send application data. Before the handshake completes it is queued; after close or failure it is
   * dropped and false is returned.
   */
  write(data: Uint8Array | string): boolean {
    const bytes = typeof data === 'string' ? new TextEncoder().encode(data) : data;
    if (this.done || this.writeEnded) return false;
    const st = this.endpoint.state;
    if (st === 'handshaking') {
      this.pendingWrites.push(bytes);
      return true;
    }
    // Only a connected endpoint may write: Endpoint.write in any other state fails the connection.
    if (st !== 'connected') return false;
    this.endpoint.write(bytes);
    this.pump();
    return true;
  }

  /** RFC 8446 4.6.3: update our write keys, optionally asking the peer to update theirs. */
  keyUpdate(requestPeer: boolean): boolean {
    if (this.done || this.writeEnded || this.endpoint.state !== 'connected') return false;
    this.endpoint.keyUpdate(requestPeer);
    this.pump();
    return true;
  }

  /**
   * Send close_notify (RFC 8446 6.1) and half-close the TCP connection; resolves once the socket is closed
   * (the peer closed its side, or `lingerMs` passed).
   */
  close(): Promise<CloseResult> {
    if (!this.done && !this.writeEnded) {
      this.endpoint.close();
      this.pump();
    }
    return this.closed;
  }

  /** Tear the connection down at once (no close_notify); `error`, when given, is recorded as the failure. */
  destroy(error?: ConnectionError): void {
    if (error) this.setError(error);
    this.socket.destroy();
  }

  /** End our side and destroy the socket as soon as what is queued (a final alert) is flushed. */
  destroyAfterFlush(): void {
    if (this.socket.destroyed) return;
    if (!this.writeEnded) {
      this.writeEnded = true;
      this.socket.end();
    }
    if (this.socket.writableFinished || this.socket.connecting) this.socket.destroy();
    else this.socket.once('finish', () => this.socket.destroy());
  }

  // ---- internals -----------------------------------------------------------------------------------------

  private onSocketData(chunk: Buffer): void {
    if (this.done) return;
    this.endpoint.receive(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
    this.pump();
  }

  /** Move the endpoint's output to the socket and its events to our listeners; end the socket when it is done. */
  private pump(): void {
    this.flushOutput();
    this.queue.push(...this.endpoint.takeEvents());
    if (this.dispatching) return;
    this.dispatching = true;
    try {
      for (let e = this.queue.shift(); e; e = this.queue.shift()) {
        this.dispatch(e);
        this.flushOutput();
        this.queue.push(...this.endpoint.takeEvents());
      }
    } finally {
      this.dispatching = false;
    }
    const st = this.endpoint.state;
    if ((st === 'closed' || st === 'failed') && !this.writeEnded) this.endWrites();
  }

  private flushOutput(): void {
    const out = this.endpoint.takeOutput();
    if (out.length > 0 && !this.writeEnded && !this.socket.destroyed) this.socket.write(out);
  }

  private dispatch(e: EndpointEvent): void {
    switch (e.type) {
      case 'handshake_complete': {
        this.clearHandshakeTimer();
        this.resolveHandshake(e.summary);
        this.emit('secure', e.summary);
        const pending = this.pendingWrites;
        this.pendingWrites = [];
        for (const p of pending) this.write(p);
        return;
      }
      case 'application_data':
        // Data that arrives before anyone listens (a server's greeting in the same read as its Finished) is
        // kept for the first 'data' listener, as Node's own sockets do.
        if (this.listenerCount('data') === 0) this.unread.push(e.data);
        else this.emit('data', e.data);
        return;
      case 'early_data':
        this.emit('early_data', e.data);
        return;
      case 'new_session_ticket':
        this.emit('session', { lifetime: e.lifetime, maxEarlyData: e.maxEarlyData });
        return;
      case 'key_update':
        this.emit('key_update', { direction: e.direction, requested: e.requested });
        return;
      case 'alert':
        this.emit('alert', { level: e.level, description: e.description });
        return;
      case 'closed':
        if (e.by === 'peer') {
          this.peerCloseNotify = true;
          // RFC 8446 6.1: a closure alert during the handshake: it can no longer complete.
          if (!this.endpoint.summary) this.setError(new TransportError('eof', 'the peer sent close_notify during the handshake', 'RFC 8446 6.1'));
          this.emit('end');
          // RFC 8446 6.1 closes one direction only; the 'end' listeners had their chance to write an answer
          // (synchronously), and then we close ours, as TLS servers commonly do.
          if (!this.endpoint.writeClosed && this.endpoint.state !== 'failed') {
            this.endpoint.close();
            this.flushOutput();
          }
        }
        return;
      case 'error':
        this.setError(e.error);
        return;
    }
  }

  private setError(err: ConnectionError): void {
    if (this.error) return;
    this.error = err;
    this.clearHandshakeTimer();
    this.rejectHandshake(err);
    this.emit('failure', err);
  }

  /** Our last record is queued: half-close, and destroy the socket if the peer does not close within lingerMs. */
  private endWrites(): void {
    this.writeEnded = true;
    this.pendingWrites = [];
    if (this.socket.destroyed) return;
    this.socket.end();
    this.lingerTimer ??= setTimeout(() => this.socket.destroy(), this.lingerMs);
  }

  private onHandshakeTimeout(ms: number): void {
    this.handshakeTimer = undefined;
    if (this.done || this.endpoint.state !== 'handshaking') return;
    this.setError(new TransportError('timeout', `handshake not complete after ${ms} ms`));
    // RFC 8446 6.1: "user_canceled: ... the sender is canceling the handshake for some reason unrelated to a
    // protocol failure ... This alert should be followed by a "close_notify"." The record layer protects it
    // with whatever write keys are current (RFC 8446 5).
    if (!this.socket.connecting && !this.socket.destroyed) {
      this.endpoint.rl.send(ContentType.alert, Uint8Array.of(AlertLevel.warning, AlertDescription.user_canceled));
      this.endpoint.close();
      this.pump();
      // The peer has been silent: do not linger for it.
      this.destroyAfterFlush();
    } else {
      this.socket.destroy();
    }
  }

  private onSocketEnd(): void {
    if (this.done) return;
    const st = this.endpoint.state;
    if (st === 'handshaking') {
      this.setError(new TransportError('eof', 'the peer closed the TCP connection during the handshake', 'RFC 8446 6.1'));
    } else if (st === 'connected' && !this.endpoint.readClosed) {
      // RFC 8446 6.1: "Each party MUST send a "close_notify" alert before closing its write side of the
      // connection, unless it has already sent some error alert." A FIN without it may be a truncation.
      this.setError(new TransportError('eof', 'the peer closed the TCP connection without close_notify (possible truncation)', 'RFC 8446 6.1'));
    }
    // 'closed' (close_notify seen either way) or 'failed' (an alert was exchanged): an orderly end.
    if (!this.writeEnded) {
      this.writeEnded = true;
      this.socket.end();
    }
    this.lingerTimer ??= setTimeout(() => this.socket.destroy(), this.lingerMs);
  }

  private onSocketError(e: NodeJS.ErrnoException, whileConnecting: boolean): void {
    const code = e.code;
    let err: TransportError;
    if (whileConnecting) err = new TransportError('connect', `cannot connect: ${e.message}`, undefined, code);
    else if (code === 'ECONNRESET' || code === 'EPIPE') err = new TransportError('reset', `connection reset by the peer (${code})`, undefined, code);
    else err = new TransportError('socket', e.message, undefined, code);
    // A reset after an orderly close (close_notify or an alert already exchanged) adds nothing.
    const st = this.endpoint.state;
    if (!(this.writeEnded && (st === 'closed' || st === 'failed'))) this.setError(err);
    this.socket.destroy();
  }

  private onSocketClose(): void {
    if (this.done) return;
    if (!this.error && this.endpoint.state === 'handshaking') {
      this.setError(new TransportError('eof', 'the connection closed during the handshake'));
    } else if (!this.error && this.endpoint.state === 'connected' && !this.endpoint.readClosed) {
      this.setError(new TransportError('eof', 'the connection closed without close_notify', 'RFC 8446 6.1'));
    }
    this.done = true;
    // A local close() during the handshake is no failure, but the handshake will never complete.
    if (!this.endpoint.summary) this.rejectHandshake(this.error ?? new TransportError('eof', 'the connection was closed before the handshake completed'));
    this.clearHandshakeTimer();
    if (this.lingerTimer) clearTimeout(this.lingerTimer);
    this.lingerTimer = undefined;
    const result: CloseResult = { peerCloseNotify: this.peerCloseNotify };
    if (this.error) result.error = this.error;
    if (this.endpoint.summary) result.summary = this.endpoint.summary;
    this.resolveClosed(result);
    this.emit('close', result);
  }

  private clearHandshakeTimer(): void {
    if (this.handshakeTimer) clearTimeout(this.handshakeTimer);
    this.handshakeTimer = undefined;
  }
}

export interface ConnectOptions extends TlsSocketOptions {
  /** Called with the TlsSocket before the handshake starts (to listen for early events). */
  onSocket?: (t: TlsSocket) => void;
}

/**
 * Open a TCP connection and run the reference client over it. Resolves with the connection once the
 * handshake completed; rejects with a ConnectionError (TlsError or TransportError) otherwise, with the
 * socket already closed. config.handshakeTimeoutMs bounds the TCP connect and the handshake together.
 */
export async function connectTls(host: string, port: number, config: EndpointConfig, opts: ConnectOptions = {}): Promise<TlsSocket> {
  const socket = net.connect({ host, port });
  const t = TlsSocket.client(socket, config, opts);
  opts.onSocket?.(t);
  try {
    await t.handshake;
    return t;
  } catch (e) {
    t.destroyAfterFlush();
    await t.closed;
    throw e;
  }
}

/** A listening reference server: `listen`, then `close` to stop (closing every live connection). */
export class TlsListener {
  readonly server: net.Server;
  readonly connections = new Set<TlsSocket>();

  constructor(
    config: EndpointConfig | ((socket: net.Socket) => EndpointConfig),
    onConnection: (t: TlsSocket) => void,
    opts: TlsSocketOptions = {},
  ) {
    this.server = net.createServer((socket) => {
      let t: TlsSocket;
      try {
        t = TlsSocket.server(socket, typeof config === 'function' ? config(socket) : config, opts);
      } catch {
        socket.destroy();
        return;
      }
      this.connections.add(t);
      t.once('close', () => this.connections.delete(t));
      onConnection(t);
    });
  }

  /**
   * Listen on host:port; resolves with the bound address, rejects (e.g. EADDRINUSE) with the listen error.
   * Port 0 picks a free port below 32768 (ports.ts), not one of the ephemeral range.
   */
  async listen(port: number, host = '127.0.0.1'): Promise<net.AddressInfo> {
    if (port === 0) {
      await listenOnLowPort(this.server, host);
      return this.server.address() as net.AddressInfo;
    }
    return new Promise((resolve, reject) => {
      const onError = (e: Error) => {
        this.server.off('listening', onListening);
        reject(e);
      };
      const onListening = () => {
        this.server.off('error', onError);
        resolve(this.server.address() as net.AddressInfo);
      };
      this.server.once('error', onError);
      this.server.once('listening', onListening);
      this.server.listen(port, host);
    });
  }

  get port(): number {
    return (this.server.address() as net.AddressInfo | null)?.port ?? 0;
  }

  /**
   * Stop accepting, send close_notify on every live connection, and resolve once every socket is closed
   * (each is destroyed after `graceMs` at the latest).
   */
  async close(graceMs = 1000): Promise<void> {
    const stopped = new Promise<void>((res) => {
      if (!this.server.listening) return res();
      this.server.close(() => res());
    });
    const live = [...this.connections];
    for (const t of live) void t.close();
    const timer = setTimeout(() => {
      for (const t of live) t.destroy();
    }, graceMs);
    await Promise.all(live.map((t) => t.closed));
    clearTimeout(timer);
    await stopped;
  }
}

/** A reference TLS server on TCP: `onConnection` gets every accepted connection before its handshake. */
export function createTlsServer(
  config: EndpointConfig | ((socket: net.Socket) => EndpointConfig),
  onConnection: (t: TlsSocket) => void,
  opts: TlsSocketOptions = {},
): TlsListener {
  return new TlsListener(config, onConnection, opts);
}
