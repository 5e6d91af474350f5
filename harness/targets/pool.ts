/**
 * A pool of process targets: N instances of a server that takes one connection at a time (openssl
 * s_server), each started once for the run on its own port, so that N cases run at once (`run --jobs N`,
 * allowed by `server.pool: true` in the target's config).
 *
 * A case is given one instance, whole, from its first connection (or client launch) to its endCase: all its
 * connections go to that instance, its crashes are recorded by that instance (ProcessTarget attributes a
 * crash to the cases connected to the server that went down) and that instance restarts its server at its
 * next connection. Crashes, output and the clean-up are the instances' own; the pool only routes.
 *
 * Ids that are not cases (the probe, positive controls) are routed the same way. Should more ids hold an
 * instance than there are instances (an id that never ended), a new id shares the least-used one: its
 * connections then wait in that server's queue, which is slower but not wrong.
 */
import type { Capabilities, ExpectedFailure, LaunchedClient, Target, TargetCaseContext, TargetConnection } from './types.ts';
import type { TargetOutput } from '../engine/result.ts';
import { ProcessTarget, type ProcessTargetOptions } from './process.ts';

export class ProcessPool implements Target {
  readonly name: string;
  readonly capabilities: Capabilities;
  readonly expectedFailures: ExpectedFailure[];
  /** How many cases may run at once (runAll runs min(--jobs, instances) when the target is not concurrent). */
  readonly instances: number;
  readonly members: readonly ProcessTarget[];
  /** Which instance each running case (or probe, or control) holds. */
  private readonly holders = new Map<string, number>();
  /** How many ids hold each instance. */
  private readonly load: number[];

  constructor(opts: ProcessTargetOptions, instances: number) {
    if (!Number.isInteger(instances) || instances < 1) throw new Error(`a pool needs at least one instance, got ${instances}`);
    this.name = opts.name;
    this.capabilities = opts.capabilities;
    this.expectedFailures = opts.expectedFailures;
    this.instances = instances;
    this.members = Array.from({ length: instances }, () => new ProcessTarget(opts));
    this.load = new Array<number>(instances).fill(0);
  }

  /** The server pids of the instances (for tests and diagnostics); undefined where none is running. */
  get serverPids(): (number | undefined)[] {
    return this.members.map((m) => m.serverPid);
  }

  get serverPorts(): (number | undefined)[] {
    return this.members.map((m) => m.serverPort);
  }

  clientPids(): number[] {
    return this.members.flatMap((m) => m.clientPids());
  }

  /** The instance a case holds, if any (for tests). */
  instanceOf(caseId: string): number | undefined {
    return this.holders.get(caseId);
  }

  private acquire(caseId: string): ProcessTarget {
    let i = this.holders.get(caseId);
    if (i === undefined) {
      // The least-used instance: a free one whenever there is one (the lowest index among equals).
      i = this.load.indexOf(Math.min(...this.load));
      this.holders.set(caseId, i);
      this.load[i]++;
    }
    return this.members[i];
  }

  async start(signal: AbortSignal): Promise<void> {
    // All at once: each instance picks its own port (a collision is retried by the instance). If one cannot
    // start, the others are stopped by the caller's stop().
    const results = await Promise.allSettled(this.members.map((m) => m.start(signal)));
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
  }

  connect(ctx: TargetCaseContext): Promise<TargetConnection> {
    return this.acquire(ctx.caseId).connect(ctx);
  }

  launchClient(ctx: TargetCaseContext): Promise<LaunchedClient> {
    return this.acquire(ctx.caseId).launchClient(ctx);
  }

  async endCase(ctx: TargetCaseContext): Promise<void> {
    const i = this.holders.get(ctx.caseId);
    if (i === undefined) return;
    try {
      await this.members[i].endCase(ctx);
    } finally {
      // Released only once the instance has finished the case (its crash recorded, its server settled).
      this.holders.delete(ctx.caseId);
      this.load[i]--;
    }
  }

  takeCrash(caseId?: string): string | undefined {
    // A case's crashes are recorded by the instance it held; without an id, every instance's loose ones.
    const all = this.members.map((m) => m.takeCrash(caseId)).filter((c): c is string => c !== undefined);
    return all.length === 0 ? undefined : all.join('; ');
  }

  takeOutput(caseId: string): TargetOutput | undefined {
    let found: TargetOutput | undefined;
    for (const m of this.members) {
      const o = m.takeOutput(caseId);
      if (o && !found) found = o;
    }
    return found;
  }

  async stop(): Promise<void> {
    await Promise.all(this.members.map((m) => m.stop()));
    this.holders.clear();
    this.load.fill(0);
  }
}
