/**
 * `tcp://host:port`: any TLS server that is already running (an appliance, a server started by hand).
 * Server role only; no process management, so no crash detection beyond refused connections.
 */
import type { Socket } from 'node:net';
import { UsageError } from '../errors.ts';
import { tcpConnect } from './process.ts';
import type { Capabilities, ExpectedFailure, Target, TargetCaseContext, TargetConnection, TrustSettings } from './types.ts';

export interface TcpTargetOptions {
  name?: string;
  host: string;
  port: number;
  capabilities: Capabilities;
  expectedFailures?: ExpectedFailure[];
  /** start() checks that something accepts connections there (one TCP connect, closed at once). Default true. */
  probe?: boolean;
  /** `run` probes the server's capabilities before the run (harness/targets/probe.ts). Default true. */
  probeCapabilities?: boolean;
  /** Trust for the server's chain (--ca, --no-verify-chain, `trust:`); default the test CA, verified. */
  trust?: TrustSettings;
}

/** `tcp://host:port` -> host and port, or a UsageError. IPv6 hosts in brackets: `tcp://[::1]:4433`. */
export function parseTcpUrl(url: string): { host: string; port: number } {
  const m = /^tcp:\/\/(\[[^\]]+\]|[^:/\s]+):(\d+)\/?$/.exec(url);
  if (!m) throw new UsageError(`bad target URL '${url}': expected tcp://host:port`);
  const port = Number(m[2]);
  if (!(port >= 1 && port <= 65535)) throw new UsageError(`bad target URL '${url}': port ${m[2]} is not in 1-65535`);
  return { host: m[1].replace(/^\[|\]$/g, ''), port };
}

export class TcpTarget implements Target {
  readonly name: string;
  readonly capabilities: Capabilities;
  readonly expectedFailures: ExpectedFailure[];
  readonly host: string;
  readonly port: number;
  readonly probe: boolean;
  readonly trust?: TrustSettings;
  private readonly checkListening: boolean;
  /** How errors name it: `the server` when the name is already the URL. */
  private readonly what: string;
  private readonly sockets = new Set<Socket>();

  constructor(opts: TcpTargetOptions) {
    this.host = opts.host;
    this.port = opts.port;
    this.name = opts.name ?? `tcp://${opts.host.includes(':') ? `[${opts.host}]` : opts.host}:${opts.port}`;
    this.capabilities = { ...opts.capabilities, roles: ['server'] };
    this.expectedFailures = opts.expectedFailures ?? [];
    this.checkListening = opts.probe ?? true;
    this.probe = opts.probeCapabilities ?? true;
    if (opts.trust) this.trust = opts.trust;
    this.what = this.name.startsWith('tcp://') ? 'the server' : this.name;
  }

  async start(signal?: AbortSignal): Promise<void> {
    if (!this.checkListening) return;
    const sock = await tcpConnect(this.host, this.port, this.what, signal);
    sock.destroy();
  }

  async connect(ctx: TargetCaseContext): Promise<TargetConnection> {
    const sock = await tcpConnect(this.host, this.port, this.what, ctx.signal);
    this.sockets.add(sock);
    sock.on('close', () => this.sockets.delete(sock));
    return { stream: sock, peer: `${this.host}:${this.port}` };
  }

  async stop(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    this.sockets.clear();
  }
}
