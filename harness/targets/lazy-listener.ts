/**
 * A server started at its first use, on a low port: the second server of an in-process target (the embedded
 * reference, node:tls) for the cases with target_options.request_client_certificate. First uses at the same
 * time share one start; `close` waits for a start under way.
 */
import type { Server } from 'node:net';
import { listenOnLowPort } from '../../implementations/reference/connection/ports.ts';

export class LazyListener {
  private server: Server | undefined;
  private listening = 0;
  private starting: Promise<void> | undefined;

  constructor(private readonly make: () => Server) {}

  /** The port it listens on, starting it first if need be. */
  async port(): Promise<number> {
    if (!this.server) {
      this.starting ??= (async () => {
        const srv = this.make();
        this.listening = await listenOnLowPort(srv);
        this.server = srv;
      })().finally(() => (this.starting = undefined));
      await this.starting;
    }
    return this.listening;
  }

  async close(): Promise<void> {
    if (this.starting) await this.starting.catch(() => undefined);
    const srv = this.server;
    this.server = undefined;
    if (srv) await new Promise<void>((r) => srv.close(() => r()));
  }
}
