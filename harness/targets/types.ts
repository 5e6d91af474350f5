/**
 * Targets: the implementation under test, as the engine sees it. A target plays one role per case: a
 * server (the harness connects to it as a client) or a client (it connects to the harness's listener).
 */
import type { Duplex } from 'node:stream';
import type { Socket } from 'node:net';
import type { Role, TargetOptions, VersionName } from '../scenario/model.ts';
import type { TargetOutput } from '../engine/result.ts';
import type { Certificate } from '../../implementations/reference/crypto/certificate.ts';

/** What a target supports; scenarios that need more are skipped, with the missing capability named. */
export interface Capabilities {
  roles: Role[];
  versions: VersionName[];
  cipher_suites: string[];
  groups: string[];
  signature_schemes: string[];
  /** hello_retry_request, psk, early_data, client_auth, key_update, alpn, record_size_limit, middlebox_compat, ... */
  features: string[];
  /** ALPN protocols it selects (informational: probed or given with --alpn; `alpn` in features says it speaks ALPN). */
  alpn?: string[];
  /** Whether several cases may run at once against one instance. */
  concurrent: boolean;
  /**
   * The client role's own lists, where they differ from the server role's (a server with one certificate, a
   * client program that offers more): each list given replaces the one above for client-role cases.
   */
  client?: ClientCapabilities;
}

/** The name lists of a target's capabilities (each also a capability flag, and each a list the client role may state). */
export const CAPABILITY_LISTS = ['versions', 'cipher_suites', 'groups', 'signature_schemes', 'features'] as const;
export type CapabilityList = (typeof CAPABILITY_LISTS)[number];

export type ClientCapabilities = Partial<Pick<Capabilities, CapabilityList>>;

/** The capabilities that hold for cases of one role (the client role's own lists over the shared ones). */
export function roleCapabilities(caps: Capabilities, role: Role): Capabilities {
  return role === 'client' && caps.client ? { ...caps, ...caps.client } : caps;
}

/** How the harness's peer checks the certificate chain the target presents. */
export interface TrustSettings {
  /** Trust anchors (default: the test CA, implementations/reference/certs/ca.pem). */
  roots: Certificate[];
  /**
   * false: the chain is not validated (--no-verify-chain, or after the probe found a chain that does not
   * validate, reported once as setup.certificate-chain); CertificateVerify and Finished are still checked.
   */
  verify: boolean;
  /** Where the roots come from, for output: 'the test CA' or the --ca / trust.ca file. */
  source?: string;
}

/** A case listed as failing against this target, on purpose, with the reason (mandatory). */
export interface ExpectedFailure {
  /** Case id glob (`tls13-finished-*`, `*[group=ffdhe2048]`). */
  id: string;
  reason: string;
}

/**
 * Proof that the target is idle on one connection, for targets that can know it exactly (the embedded
 * reference, in this process): it has consumed every byte the harness wrote to the connection, has nothing
 * left to write, every byte it wrote has reached the harness's end of the connection, and it does nothing
 * on its own (no timers): nothing will come from it until the harness sends more, however long the harness
 * waits. The engine then ends a wait for the target (an expectation, the grace for optional or repeated
 * messages, `silence`, `wait`) as soon as the target is idle, instead of waiting out the time. A target that
 * cannot know this (a program, a remote server) has none, and its waits keep their timeouts.
 */
export interface IdleSignal {
  /** Whether the target is idle now. Unknown (a side of the connection not seen yet) is not idle. */
  idle(): boolean;
  /**
   * `fn` is called whenever the target's side may have made it idle (it consumed bytes, it started); the
   * engine then asks idle() again. What arrives at the harness's end (data, EOF) wakes the engine by itself,
   * and it asks idle() again after each read. Returns an unsubscribe.
   */
  onChange(fn: () => void): () => void;
}

/** A byte stream to the target for one connection of a case. */
export interface TargetConnection {
  stream: Duplex;
  /** A description for the transcript, e.g. `127.0.0.1:4433`. */
  peer: string;
  /** When the target is provably idle on this connection (optional: see IdleSignal). */
  idle?: IdleSignal;
}

/** A client program started for a case's connection. */
export interface LaunchedClient {
  /** Resolves when the program has ended (a program; an in-process client has none). */
  exited?: Promise<ClientExit>;
  /**
   * The idle signal of the connection this client made, given the harness's end of it as the harness
   * accepted it (optional: see IdleSignal); undefined when that is not this client's connection.
   */
  idleSignal?(harnessEnd: Socket): IdleSignal | undefined;
}

export interface ClientExit {
  /** `exited with code 1`, `killed by SIGSEGV`. */
  status: string;
  /** The exit was ours (the case ended, its time limit): not the client's doing. */
  expected: boolean;
  /** The last lines of its stderr (of stdout when stderr is empty), joined with ` | `; may be empty. */
  tail: string;
}

export interface TargetCaseContext {
  caseId: string;
  /** For a client target: where the harness listens for its connection. */
  listen?: { host: string; port: number };
  /** Aborted when the case times out or the run is interrupted. */
  signal: AbortSignal;
  /**
   * Server role: the scenario's `target_options` (harness/scenario/model.ts TargetOptions), e.g. a server that
   * requests a client certificate. Only targets with the matching capability feature get cases that set them.
   */
  options?: TargetOptions;
}

export interface Target {
  readonly name: string;
  readonly capabilities: Capabilities;
  readonly expectedFailures: ExpectedFailure[];
  /** Trust for the target's chain; undefined: the test CA, verified. */
  readonly trust?: TrustSettings;
  /** `run` probes the target's capabilities first (tcp:// targets, configs with `probe: true`). */
  readonly probe?: boolean;
  /**
   * A target that is not concurrent but runs several instances of itself (a pool of one-connection servers,
   * `server.pool: true`): how many cases may run at once. Undefined: 1 (or --jobs when concurrent).
   */
  readonly instances?: number;
  /** Start whatever must run for the whole run (a server process); resolves when ready. */
  start(signal: AbortSignal): Promise<void>;
  /** Server role: a new connection to the target. */
  connect(ctx: TargetCaseContext): Promise<TargetConnection>;
  /**
   * Client role: make the target client connect once to ctx.listen; resolves when it has been started.
   * A program may return how it ends (`exited`), so that a client that dies before it connects ends the
   * case at once, with its exit status and output, instead of at the time limit.
   */
  launchClient?(ctx: TargetCaseContext): Promise<LaunchedClient | void>;
  /**
   * The case is over, whatever its verdict: release what it started (client processes, client connections,
   * a per-case server). Optional; adapters also clean up at the next case and at stop().
   */
  endCase?(ctx: TargetCaseContext): Promise<void>;
  /**
   * A crash or exit of the target, if any (for verdicts: "the target crashed"), then forgotten. With a case
   * id: the crashes that happened while that case was running (its connections open, its client or
   * per-case server alive; endCase waits for a server that is going down, so a crash is the case's that
   * caused it). Without: every crash not taken yet (those between cases too).
   */
  takeCrash?(caseId?: string): string | undefined;
  /**
   * After endCase: what the target's process (its client, or its server) wrote during the case, the last
   * 8 KiB of stdout and of stderr; then forgotten. Targets that are not programs have none.
   */
  takeOutput?(caseId: string): TargetOutput | undefined;
  /** Stop everything started; idempotent; leaves no processes or sockets behind. */
  stop(): Promise<void>;
}
