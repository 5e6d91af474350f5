/**
 * Node's own `tls` module (OpenSSL inside Node) in this process: a `tls.createServer` on 127.0.0.1 at a low
 * port for the server role, `tls.connect` for the client role. TLS 1.3 only unless configured.
 *
 * Server: serves the test PKI leaves (`certificates`, each with the CA as its chain), echoes application
 * data (or ignores it), TLS 1.3 tickets unless `session_tickets: false`, TLS 1.2 session-id resumption
 * through the newSession / resumeSession events when `session_cache` is on, ALPN, an optional
 * CertificateRequest. Client: verifies the server against the test CA and the name 'localhost', presents
 * the test client certificate when asked, and a second connection in the same case resumes the session
 * of the first (`resume`).
 */
import * as tls from 'node:tls';
import type { Socket } from 'node:net';
import { readFileSync } from 'node:fs';
import { constants as cryptoConstants } from 'node:crypto';
import { TEST_PKI } from '../../implementations/reference/connection/testing.ts';
import { listenOnLowPort } from '../../implementations/reference/connection/ports.ts';
import { CERTIFICATE_FILES, tcpConnect, type CertificateName } from './process.ts';
import type { Capabilities, ExpectedFailure, Target, TargetCaseContext, TargetConnection } from './types.ts';
import { LazyListener } from './lazy-listener.ts';

export type NodeTlsVersion = 'TLSv1.2' | 'TLSv1.3';

export interface NodeTlsSettings {
  min_version: NodeTlsVersion;
  max_version: NodeTlsVersion;
  /** OpenSSL cipher string (TLS 1.3 suite names and TLS 1.2 cipher names, `:`-separated); Node's default if absent. */
  ciphers?: string;
  /** Node's `ecdhCurve`: `auto` or a `:`-separated list (`X25519:P-256:P-384`). */
  ecdh_curve?: string;
  /** Node's `sigalgs` (`ecdsa_secp256r1_sha256:rsa_pss_rsae_sha256`). */
  sigalgs?: string;
  /** ALPN protocols offered (client) or accepted (server). */
  alpn?: string[];
  /** Server: issue session tickets. */
  session_tickets: boolean;
  /** Server: TLS 1.2 session-id resumption (an in-memory session cache). */
  session_cache: boolean;
  /** Server: send a CertificateRequest and require a certificate from the test CA. */
  request_cert: boolean;
  /** Client: a second connection in one case resumes the session of the first. */
  resume: boolean;
  /** Server: what to do with application data. */
  respond: 'echo' | 'none';
}

export const NODE_TLS_DEFAULTS: NodeTlsSettings = {
  min_version: 'TLSv1.3',
  max_version: 'TLSv1.3',
  session_tickets: true,
  session_cache: true,
  request_cert: false,
  resume: true,
  respond: 'echo',
};

export interface NodeTlsTargetOptions {
  name?: string;
  capabilities: Capabilities;
  expectedFailures?: ExpectedFailure[];
  /** Leaves the server presents (the first is the default); the client presents `client`. */
  certificates?: CertificateName[];
  settings?: Partial<NodeTlsSettings>;
}

const pem = (file: string) => readFileSync(TEST_PKI.path(file));

function leaf(name: CertificateName): { cert: Buffer; key: Buffer } {
  const base = CERTIFICATE_FILES[name];
  // The chain: the leaf, then the CA.
  return { cert: Buffer.concat([pem(`${base}.pem`), Buffer.from('\n'), pem('ca.pem')]), key: pem(`${base}.key`) };
}

export class NodeTlsTarget implements Target {
  readonly name: string;
  readonly capabilities: Capabilities;
  readonly expectedFailures: ExpectedFailure[];
  readonly settings: NodeTlsSettings;
  private readonly certificates: CertificateName[];
  private server: tls.Server | undefined;
  private port = 0;
  private readonly sockets = new Set<Socket>();
  private readonly clientSockets = new Map<string, Set<tls.TLSSocket>>();
  private readonly sessions = new Map<string, Buffer>();
  private readonly sessionCache = new Map<string, Buffer>();

  constructor(opts: NodeTlsTargetOptions) {
    this.name = opts.name ?? 'node';
    this.capabilities = opts.capabilities;
    this.expectedFailures = opts.expectedFailures ?? [];
    this.certificates = opts.certificates?.length ? opts.certificates : ['p256'];
    this.settings = { ...NODE_TLS_DEFAULTS, ...opts.settings };
  }

  get serverPort(): number {
    return this.port;
  }

  private common(): tls.SecureContextOptions & tls.CommonConnectionOptions {
    const s = this.settings;
    return {
      minVersion: s.min_version,
      maxVersion: s.max_version,
      ...(s.ciphers ? { ciphers: s.ciphers } : {}),
      ...(s.ecdh_curve ? { ecdhCurve: s.ecdh_curve } : {}),
      ...(s.sigalgs ? { sigalgs: s.sigalgs } : {}),
      ...(s.alpn ? { ALPNProtocols: s.alpn } : {}),
      ca: pem('ca.pem'),
    };
  }

  async start(_signal?: AbortSignal): Promise<void> {
    if (this.server) return;
    const server = this.makeServer(this.settings.request_cert);
    this.server = server;
    this.port = await listenOnLowPort(server);
  }

  /**
   * cauth: the server for cases with target_options.request_client_certificate (capability feature
   * request_client_certificate): the same settings with requestCert and rejectUnauthorized (a client
   * certificate is requested, verified against the test CA, and required), started at its first such case.
   */
  private readonly clientAuthServer = new LazyListener(() => this.makeServer(true));

  private makeServer(requestCert: boolean): tls.Server {
    const s = this.settings;
    const leaves = this.certificates.filter((c) => c !== 'client').map(leaf);
    const server = tls.createServer({
      ...this.common(),
      key: leaves.map((l) => l.key),
      cert: leaves.map((l) => l.cert),
      dhparam: 'auto',
      requestCert,
      rejectUnauthorized: requestCert,
      ...(s.session_tickets ? {} : { secureOptions: cryptoConstants.SSL_OP_NO_TICKET }),
    });
    if (s.session_cache) {
      server.on('newSession', (id: Buffer, data: Buffer, cb: () => void) => {
        if (this.sessionCache.size > 1000) this.sessionCache.delete(this.sessionCache.keys().next().value!);
        this.sessionCache.set(id.toString('hex'), data);
        cb();
      });
      server.on('resumeSession', (id: Buffer, cb: (err: Error | null, data: Buffer | null) => void) => {
        cb(null, this.sessionCache.get(id.toString('hex')) ?? null);
      });
    }
    server.on('connection', (sock: Socket) => {
      this.sockets.add(sock);
      sock.setNoDelay(true);
      sock.on('close', () => this.sockets.delete(sock));
      sock.on('error', () => {});
    });
    server.on('secureConnection', (ts: tls.TLSSocket) => {
      ts.on('error', () => ts.destroy());
      if (s.respond === 'echo') ts.pipe(ts);
      else ts.resume();
    });
    // Handshake failures are the expected outcome of most negative cases: nothing to do, the socket closes.
    server.on('tlsClientError', () => {});
    return server;
  }

  async connect(ctx: TargetCaseContext): Promise<TargetConnection> {
    if (!this.server) await this.start();
    const port = ctx.options?.request_client_certificate ? await this.clientAuthServer.port() : this.port;
    const sock = await tcpConnect('127.0.0.1', port, `${this.name} server`, ctx.signal);
    this.sockets.add(sock);
    sock.on('close', () => this.sockets.delete(sock));
    return { stream: sock, peer: `${this.name} (node:tls) 127.0.0.1:${port}${ctx.options?.request_client_certificate ? ' (requesting a client certificate)' : ''}` };
  }

  async launchClient(ctx: TargetCaseContext): Promise<void> {
    if (!ctx.listen) throw new Error('launchClient needs ctx.listen');
    // Cases run concurrently against this target: each case's clients are closed by endCase, not here.
    const s = this.settings;
    const client = leaf('client');
    const session = s.resume ? this.sessions.get(ctx.caseId) : undefined;
    const ts = tls.connect({
      ...this.common(),
      host: ctx.listen.host,
      port: ctx.listen.port,
      servername: 'localhost',
      key: client.key,
      cert: client.cert,
      ...(session ? { session } : {}),
    });
    let set = this.clientSockets.get(ctx.caseId);
    if (!set) this.clientSockets.set(ctx.caseId, (set = new Set()));
    set.add(ts);
    ts.on('session', (sess: Buffer) => {
      if (s.resume) this.sessions.set(ctx.caseId, sess);
    });
    ts.on('connect', () => ts.setNoDelay(true));
    ts.on('error', () => ts.destroy());
    ts.on('end', () => ts.end());
    ts.on('close', () => set!.delete(ts));
    ts.resume();
    const onAbort = () => ts.destroy();
    ctx.signal.addEventListener('abort', onAbort, { once: true });
    ts.once('close', () => ctx.signal.removeEventListener('abort', onAbort));
  }

  private endClients(caseId: string): void {
    for (const ts of this.clientSockets.get(caseId) ?? []) ts.destroy();
    this.clientSockets.delete(caseId);
    this.sessions.delete(caseId);
  }

  /** End of a case: close its client connections and forget its session. */
  async endCase(ctx: TargetCaseContext): Promise<void> {
    this.endClients(ctx.caseId);
  }

  takeCrash(): string | undefined {
    return undefined;
  }

  async stop(): Promise<void> {
    for (const id of [...this.clientSockets.keys()]) this.endClients(id);
    for (const s of this.sockets) s.destroy();
    this.sockets.clear();
    const srv = this.server;
    this.server = undefined;
    await Promise.all([srv && new Promise<void>((r) => srv.close(() => r())), this.clientAuthServer.close()]);
  }
}
