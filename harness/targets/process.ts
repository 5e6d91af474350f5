/**
 * A target that is an external program: a server command started once per run (or once per case for
 * single-connection servers) and/or a client command started once per connection of a client-role case.
 *
 * Commands are argument vectors (no shell) with placeholders: {port} {host} {cert} {key} {chain} {ca}, and
 * {cert:NAME} {key:NAME} {chain:NAME} for any leaf of the test PKI (rsa, p256, p384, p521, ed25519, ed448, client).
 * {chain} is a file holding the leaf then the CA. `{{` and `}}` write literal braces.
 *
 * Every process runs in its own process group; stop() sends SIGTERM to the group, then SIGKILL after a
 * grace period. Processes are registered (processes.ts) and killed on harness exit, SIGINT and SIGTERM.
 */
import { connect as netConnect, type Socket } from 'node:net';
import { mkdtempSync, rmSync, statSync, writeFileSync, readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TEST_PKI } from '../../implementations/reference/connection/testing.ts';
import { ManagedProcess, freeLowPort, pidAlive, portListening, registerTempDir, removeTempDir } from './processes.ts';
import type { PortRange } from '../../implementations/reference/connection/ports.ts';
import type { Capabilities, ClientExit, ExpectedFailure, LaunchedClient, Target, TargetCaseContext, TargetConnection } from './types.ts';
import type { TargetOutput } from '../engine/result.ts';

/** How much of each stream of a case's output is kept: the last 8 KiB. */
export const OUTPUT_LIMIT = 8192;
/**
 * How long the end of a case waits for the run's server to print what it has to say about the case. Its
 * lines are attributed by time (to the cases connected when they arrive): exact for per-case servers and
 * clients, best effort for a server shared by the run (cases running at once share its lines).
 */
let SERVER_OUTPUT_SETTLE_MS = 50;

/**
 * How long a case's end waits for the run's server to write about its connection (default 50 ms). `fuzz` sets
 * 10: it reads no server output, and its findings are replayed before they count, so a crash attributed a
 * moment late is confirmed or dropped, not misreported.
 */
export function setServerOutputSettleMs(ms: number): void {
  SERVER_OUTPUT_SETTLE_MS = ms;
}

/** The tail of one output stream: whole lines, at most OUTPUT_LIMIT bytes (the oldest dropped first). */
class Tail {
  private text = '';
  private bytes = 0;
  dropped = false;

  add(line: string): void {
    this.text += line + '\n';
    this.bytes += Buffer.byteLength(line) + 1;
    if (this.bytes > OUTPUT_LIMIT * 2) this.trim();
  }

  private trim(): void {
    const b = Buffer.from(this.text);
    if (b.length <= OUTPUT_LIMIT) return;
    const kept = b.subarray(b.length - OUTPUT_LIMIT).toString('utf8');
    // From the first whole line on.
    this.text = kept.slice(kept.indexOf('\n') + 1);
    this.bytes = Buffer.byteLength(this.text);
    this.dropped = true;
  }

  toString(): string {
    this.trim();
    return (this.dropped ? '[earlier output dropped]\n' : '') + this.text;
  }
}

/** What a case's target process(es) wrote. */
class CaseOutput {
  readonly stdout = new Tail();
  readonly stderr = new Tail();
  readonly sources = new Set<string>();
}

export type CertificateName = 'rsa' | 'p256' | 'p384' | 'p521' | 'ed25519' | 'ed448' | 'client';

export const CERTIFICATE_FILES: Record<CertificateName, string> = {
  rsa: 'server-rsa2048',
  p256: 'server-p256',
  p384: 'server-p384',
  p521: 'server-p521',
  ed25519: 'server-ed25519',
  ed448: 'server-ed448',
  client: 'client-p256',
};

/**
 * Placeholders a command may use; `cert`, `key` and `chain` also take `:NAME`. `{dir}` is the folder of the
 * target's config file (absolute), for the small wrapper programs and scripts that sit beside it.
 */
export const PLACEHOLDERS = ['port', 'host', 'cert', 'key', 'chain', 'ca', 'dir'] as const;
/** Client commands may also use {session}: a per-case file for a session to resume (see resume_args). */
export const CLIENT_PLACEHOLDERS = [...PLACEHOLDERS, 'session'] as const;

export interface ReadySpec {
  /** A line of stdout containing this text. */
  stdout?: string;
  /** A line of stderr containing this text. */
  stderr?: string;
  /** The server's {port} is listening (read from /proc/net/tcp, without connecting). */
  port?: boolean;
  timeout_ms: number;
}

export interface ProcessServerSpec {
  command: string[];
  ready: ReadySpec;
  /** One server process per case (servers that handle a single connection). */
  per_case: boolean;
  /**
   * `pool: true`: the server takes one connection at a time, and several instances of it may run side by
   * side, each on its own port: `run --jobs N` starts N (pool.ts) and runs N cases at once.
   */
  pool?: boolean;
  env?: Record<string, string>;
  /**
   * cauth: `client_auth.args` appended to the command (or `client_auth.command` instead of it, for a server whose
   * command turns client certificates off) make the server request a client certificate (and verify it against
   * {ca}): for cases whose scenario has target_options.request_client_certificate, a second instance
   * of the server (its own process and port, started at its first such case) runs with them.
   */
  client_auth?: { args: string[]; command?: undefined } | { command: string[]; args?: undefined };
}

export interface ProcessClientSpec {
  command: string[];
  stdin: 'close' | 'keep';
  /**
   * Appended to the command when an earlier connection of the same case left a non-empty {session} file
   * (e.g. OpenSSL's `-sess_in {session}`, with `-sess_out {session}` in the command): resumption.
   */
  resume_args?: string[];
  /** A client still running this long after it was launched is killed. */
  timeout_ms: number;
  env?: Record<string, string>;
}

export interface ProcessTargetOptions {
  name: string;
  capabilities: Capabilities;
  expectedFailures: ExpectedFailure[];
  server?: ProcessServerSpec;
  client?: ProcessClientSpec;
  /** The leaf for {cert} / {key} / {chain}. */
  certificate: CertificateName;
  /** SIGTERM -> SIGKILL delay. */
  stop_grace_ms?: number;
  /** Where {port} is chosen (config `ports:`, `run --ports`); default the run's range, 20000-32767. */
  ports?: PortRange;
  cwd?: string;
  /** {dir}: the folder of the config file (default: the working directory). */
  dir?: string;
}

const PLACEHOLDER_RE = /\{\{|\}\}|\{([a-z_]+)(?::([a-z0-9_]+))?\}/g;

/** Problems with a command's placeholders (for the config loader), as messages. */
export function checkTemplate(arg: string, allowed: readonly string[]): string[] {
  const problems: string[] = [];
  for (const m of arg.matchAll(PLACEHOLDER_RE)) {
    if (m[0] === '{{' || m[0] === '}}') continue;
    const [, name, sub] = m;
    if (!allowed.includes(name)) problems.push(`unknown placeholder {${name}${sub ? `:${sub}` : ''}} (known: ${allowed.map((a) => `{${a}}`).join(' ')})`);
    else if (sub !== undefined && !['cert', 'key', 'chain'].includes(name)) problems.push(`{${name}} takes no ':${sub}'`);
    else if (sub !== undefined && !(sub in CERTIFICATE_FILES)) problems.push(`unknown certificate '${sub}' in {${name}:${sub}} (known: ${Object.keys(CERTIFICATE_FILES).join(', ')})`);
  }
  return problems;
}

export function expandTemplate(arg: string, vars: (name: string, sub?: string) => string): string {
  return arg.replace(PLACEHOLDER_RE, (all, name?: string, sub?: string) => {
    if (all === '{{') return '{';
    if (all === '}}') return '}';
    return vars(name!, sub);
  });
}

interface RunningServer {
  proc: ManagedProcess;
  port: number;
  /** For per-case servers: the case it belongs to. */
  caseId?: string;
  /** The cases that connected to it and have not ended: a crash is theirs. */
  cases: Set<string>;
}

export class ProcessTarget implements Target {
  readonly name: string;
  readonly capabilities: Capabilities;
  readonly expectedFailures: ExpectedFailure[];
  private readonly opts: ProcessTargetOptions;
  private server: RunningServer | undefined;
  private starting: Promise<RunningServer> | undefined;
  private readonly clients = new Map<string, Set<ManagedProcess>>();
  /** Crashes by the case that was running (see takeCrash). */
  private readonly caseCrashes = new Map<string, string[]>();
  /** Crashes while no case was running (a shared server going down between cases). */
  private readonly looseCrashes: string[] = [];
  private readonly sockets = new Set<Socket>();
  private tmp: string | undefined;
  private readonly chainsWritten = new Set<string>();
  private started = false;
  /** Output of the processes of each running case (the client, a per-case server, the run's server). */
  private readonly outputs = new Map<string, CaseOutput>();
  /** Cases connected to the run's server and not yet ended: its output lines go to each of them. */
  private readonly serverCases = new Set<string>();
  /** Cases whose output is kept (from their first connection until takeOutput). */
  private readonly capturing = new Set<string>();

  /**
   * cauth: the instance whose server requests a client certificate (server.client_auth), made at the first
   * case with target_options.request_client_certificate; the cases routed to it, until their takeOutput.
   */
  private clientAuth: ProcessTarget | undefined;
  private readonly clientAuthCases = new Set<string>();

  constructor(opts: ProcessTargetOptions) {
    this.opts = opts;
    this.name = opts.name;
    this.capabilities = opts.capabilities;
    this.expectedFailures = opts.expectedFailures;
  }

  /** The pid of the running server process (for tests and diagnostics). */
  get serverPid(): number | undefined {
    return this.server?.proc.running ? this.server.proc.pid : undefined;
  }

  /** The pid of the client-authenticating server (server.client_auth), if running. */
  get clientAuthServerPid(): number | undefined {
    return this.clientAuth?.serverPid;
  }

  get serverPort(): number | undefined {
    return this.server?.port;
  }

  /** Pids of the client processes still running. */
  clientPids(): number[] {
    return [...this.clients.values()].flatMap((s) => [...s].filter((p) => p.running).map((p) => p.pid));
  }

  // ---- files ----------------------------------------------------------------------------------------

  private tmpDir(): string {
    if (!this.tmp) {
      this.tmp = mkdtempSync(join(tmpdir(), `tls-harness-${this.name}-`));
      registerTempDir(this.tmp);
    }
    return this.tmp;
  }

  /**
   * Written once per target: rewriting it for every command truncated it while a client process of a parallel
   * case was reading it (an empty chain file, a client that fails before it connects).
   */
  private chainFile(cert: CertificateName): string {
    const path = join(this.tmpDir(), `${cert}-chain.pem`);
    if (this.chainsWritten.has(path)) return path;
    const leaf = readFileSync(TEST_PKI.path(`${CERTIFICATE_FILES[cert]}.pem`), 'utf8');
    const ca = readFileSync(TEST_PKI.path('ca.pem'), 'utf8');
    writeFileSync(path, leaf.trimEnd() + '\n' + ca);
    this.chainsWritten.add(path);
    return path;
  }

  private sessionFile(caseId: string): string {
    return join(this.tmpDir(), `session-${createHash('sha256').update(caseId).digest('hex').slice(0, 16)}.pem`);
  }

  private expand(command: string[], host: string, port: number, caseId?: string): string[] {
    const vars = (name: string, sub?: string): string => {
      const cert = (sub ?? this.opts.certificate) as CertificateName;
      switch (name) {
        case 'port':
          return String(port);
        case 'host':
          return host;
        case 'ca':
          return TEST_PKI.path('ca.pem');
        case 'cert':
          return TEST_PKI.path(`${CERTIFICATE_FILES[cert]}.pem`);
        case 'key':
          return TEST_PKI.path(`${CERTIFICATE_FILES[cert]}.key`);
        case 'chain':
          return this.chainFile(cert);
        case 'session':
          return this.sessionFile(caseId ?? '');
        case 'dir':
          return this.opts.dir ?? process.cwd();
        default:
          throw new Error(`unknown placeholder {${name}}`);
      }
    };
    return command.map((a) => expandTemplate(a, vars));
  }

  // ---- server ---------------------------------------------------------------------------------------

  async start(signal?: AbortSignal): Promise<void> {
    this.started = true;
    if (this.opts.server && !this.opts.server.per_case) await this.ensureServer(undefined, signal);
  }

  private async ensureServer(caseId: string | undefined, signal?: AbortSignal): Promise<RunningServer> {
    const s = this.server;
    if (s && s.proc.running && s.caseId === caseId) return s;
    if (this.starting) return this.starting;
    this.starting = (async () => {
      if (s) {
        this.server = undefined;
        await s.proc.terminate(this.grace);
      }
      const started = await this.launchServer(caseId, signal);
      this.server = started;
      return started;
    })();
    try {
      return await this.starting;
    } finally {
      this.starting = undefined;
    }
  }

  private get grace(): number {
    return this.opts.stop_grace_ms ?? 2000;
  }

  private async launchServer(caseId: string | undefined, signal?: AbortSignal): Promise<RunningServer> {
    const spec = this.opts.server!;
    const usesPort = spec.command.some((a) => /\{port\}/.test(a));
    let lastError: Error | undefined;
    for (let attempt = 0; attempt < 5; attempt++) {
      const port = freeLowPort(...(this.opts.ports ? [this.opts.ports] : []));
      try {
        return await this.launchServerOnce(spec, port, caseId, signal);
      } catch (e) {
        lastError = e as Error;
        // Someone took the port between our check and the bind: try another one.
        if (!usesPort || !/address already in use|EADDRINUSE|bind/i.test(lastError.message)) throw e;
      }
    }
    throw lastError!;
  }

  private async launchServerOnce(spec: ProcessServerSpec, port: number, caseId: string | undefined, signal?: AbortSignal): Promise<RunningServer> {
    const argv = this.expand(spec.command, '127.0.0.1', port);
    const ready = spec.ready;
    let sawLine = !ready.stdout && !ready.stderr;
    let onReadyLine: (() => void) | undefined;
    let pid: number | undefined;
    const procPid = () => pid ?? '?';
    const proc = await ManagedProcess.spawn(argv, `${this.name} server`, {
      stdin: 'keep',
      env: spec.env,
      cwd: this.opts.cwd,
      onLine: (stream, line) => {
        // The server's output during a case goes into that case's report (a shared server's to every case running).
        for (const id of caseId !== undefined ? [caseId] : this.serverCases) {
          if (this.capturing.has(id)) this.output(id, `${this.name} server (pid ${procPid()})`)[stream].add(line);
        }
        if (sawLine) return;
        const want = stream === 'stdout' ? ready.stdout : ready.stderr;
        if (want !== undefined && line.includes(want)) {
          sawLine = true;
          onReadyLine?.();
        }
      },
    });
    pid = proc.pid;
    const running: RunningServer = { proc, port, caseId, cases: new Set() };
    let isReady = false;
    void proc.exited.then(() => this.afterExit(async () => {
      // An exit before readiness is the start's error, not a crash.
      if (proc.expected || !isReady) return;
      // A per-case server may end by itself after its connection; only a signal is a crash then.
      if (caseId !== undefined && !proc.exit!.signal) return;
      // The cases connected to this server when it went down: it is theirs (not the next case's).
      const cases = caseId !== undefined ? [caseId] : [...running.cases];
      await Promise.race([proc.outputClosed, sleep(100)]);
      const tail = proc.tail();
      this.recordCrash(`${proc.label} (pid ${proc.pid}) ${proc.describeExit()}${tail ? `; last output: ${tail}` : ''}`, cases);
    }));

    const deadline = Date.now() + ready.timeout_ms;
    const fail = async (why: string): Promise<never> => {
      await proc.terminate(this.grace);
      const tail = proc.tail();
      throw new Error(`${this.name} server ${why}${tail ? `; last output: ${tail}` : ''} (command: ${argv.join(' ')})`);
    };
    // Wait for the ready line (if any)...
    if (!sawLine) {
      const lineSeen = new Promise<void>((r) => (onReadyLine = r));
      let timer: NodeJS.Timeout | undefined;
      const outcome = await Promise.race([
        lineSeen.then(() => 'ready' as const),
        proc.exited.then(() => 'exited' as const),
        new Promise<'timeout'>((r) => (timer = setTimeout(() => r('timeout'), Math.max(0, deadline - Date.now())))),
        ...(signal ? [abortPromise(signal).then(() => 'aborted' as const)] : []),
      ]);
      clearTimeout(timer);
      if (outcome === 'exited') {
        proc.expectExit();
        return fail(`${proc.describeExit()} before it was ready`);
      }
      if (outcome === 'timeout') return fail(`printed no '${ready.stdout ?? ready.stderr}' within ${ready.timeout_ms} ms`);
      if (outcome === 'aborted') return fail('start was interrupted');
    }
    // ...then for the listening socket.
    if (ready.port) {
      while (!portListening(port)) {
        if (!proc.running) {
          proc.expectExit();
          return fail(`${proc.describeExit()} before it was ready`);
        }
        if (Date.now() > deadline) return fail(`was not listening on port ${port} within ${ready.timeout_ms} ms`);
        if (signal?.aborted) return fail('start was interrupted');
        await sleep(20);
      }
    }
    isReady = true;
    return running;
  }

  /** The instance for the case: the client-authenticating one for the cases routed there. */
  private routed(caseId: string): ProcessTarget | undefined {
    return this.clientAuthCases.has(caseId) ? this.clientAuth : undefined;
  }

  async connect(ctx: TargetCaseContext): Promise<TargetConnection> {
    if (!this.opts.server) throw new Error(`${this.name} has no server command: it cannot play the server role`);
    const spec = this.opts.server;
    if (ctx.options?.request_client_certificate) {
      if (!spec.client_auth) throw new Error(`${this.name} has no server.client_auth: it cannot be told to request a client certificate`);
      this.clientAuth ??= new ProcessTarget({
        ...this.opts,
        name: this.name,
        server: { ...spec, command: spec.client_auth.command ?? [...spec.command, ...spec.client_auth.args], client_auth: undefined },
        client: undefined,
      });
      this.clientAuthCases.add(ctx.caseId);
      const { options: _options, ...rest } = ctx;
      return this.clientAuth.connect(rest);
    }
    this.capturing.add(ctx.caseId);
    if (!spec.per_case) this.serverCases.add(ctx.caseId);
    const s = spec.per_case
      ? await this.ensureServer(ctx.caseId, ctx.signal)
      : this.server?.proc.running
        ? this.server
        : await this.ensureServer(undefined, ctx.signal); // restart after a crash (reported by takeCrash)
    let sock: Socket;
    try {
      sock = await tcpConnect('127.0.0.1', s.port, `${this.name} server`, ctx.signal);
    } catch (e) {
      // The server may be exiting (a single-connection server after its connection, or a crash) before we
      // have seen its exit: wait a moment for it, then start a new one and try once more.
      const gone = await Promise.race([s.proc.exited.then(() => true), sleep(500).then(() => false)]);
      if (!gone || ctx.signal.aborted) throw e;
      const again = await this.ensureServer(spec.per_case ? ctx.caseId : undefined, ctx.signal);
      sock = await tcpConnect('127.0.0.1', again.port, `${this.name} server`, ctx.signal);
      return this.track(sock, again, ctx.caseId);
    }
    return this.track(sock, s, ctx.caseId);
  }

  private track(sock: Socket, s: RunningServer, caseId?: string): TargetConnection {
    if (caseId !== undefined) s.cases.add(caseId);
    this.sockets.add(sock);
    sock.on('close', () => this.sockets.delete(sock));
    return { stream: sock, peer: `${this.name} server 127.0.0.1:${s.port} (pid ${s.proc.pid})` };
  }

  // ---- client ---------------------------------------------------------------------------------------

  async launchClient(ctx: TargetCaseContext): Promise<LaunchedClient> {
    const spec = this.opts.client;
    if (!spec) throw new Error(`${this.name} has no client command: it cannot play the client role`);
    if (!ctx.listen) throw new Error('launchClient needs ctx.listen');
    // Each case's clients are killed by endCase (cases may run concurrently when the config allows it).
    let command = spec.command;
    if (spec.resume_args && this.clients.has(ctx.caseId) && fileHasData(this.sessionFile(ctx.caseId))) command = [...command, ...spec.resume_args];
    const argv = this.expand(command, ctx.listen.host, ctx.listen.port, ctx.caseId);
    let pid: number | undefined;
    const proc = await ManagedProcess.spawn(argv, `${this.name} client`, {
      stdin: spec.stdin,
      env: spec.env,
      cwd: this.opts.cwd,
      onLine: (stream, line) => {
        if (this.capturing.has(ctx.caseId)) this.output(ctx.caseId, `${this.name} client (pid ${pid ?? '?'})`)[stream].add(line);
      },
    });
    pid = proc.pid;
    this.capturing.add(ctx.caseId);
    this.output(ctx.caseId, `${this.name} client (pid ${pid})`);
    let set = this.clients.get(ctx.caseId);
    if (!set) this.clients.set(ctx.caseId, (set = new Set()));
    set.add(proc);
    const timer = setTimeout(() => void proc.terminate(this.grace), spec.timeout_ms);
    const onAbort = () => void proc.terminate(this.grace);
    ctx.signal.addEventListener('abort', onAbort, { once: true });
    const exited = proc.exited.then(() => this.afterExit(async (): Promise<ClientExit> => {
      clearTimeout(timer);
      ctx.signal.removeEventListener('abort', onAbort);
      const expected = proc.expected;
      // Its last lines (the error it gave up with) are what the user needs: wait for them briefly.
      await Promise.race([proc.outputClosed, sleep(200)]);
      const tail = proc.tail();
      // A client that fails a handshake exits non-zero: that is a verdict, not a crash. A signal we did not send is.
      if (!expected && proc.exit!.signal) this.recordCrash(`${proc.label} (pid ${proc.pid}) ${proc.describeExit()}${tail ? `; last output: ${tail}` : ''}`, [ctx.caseId]);
      return { status: proc.describeExit(), expected, tail };
    }));
    return { exited };
  }

  private recordCrash(what: string, cases: readonly string[]): void {
    if (cases.length === 0) this.looseCrashes.push(what);
    for (const id of cases) {
      const list = this.caseCrashes.get(id);
      if (list) list.push(what);
      else this.caseCrashes.set(id, [what]);
    }
  }

  /**
   * A process that has died (a zombie in /proc) but whose exit Node has not reported yet: wait for the
   * report (bounded), so that its crash is recorded for the case running now, not the next one.
   */
  private async settle(proc: ManagedProcess): Promise<void> {
    if (proc.running && !pidAlive(proc.pid)) await Promise.race([proc.exited, sleep(500)]);
  }

  private async killClients(caseId: string): Promise<void> {
    const set = this.clients.get(caseId);
    this.clients.delete(caseId);
    if (this.tmp) rmSync(this.sessionFile(caseId), { force: true });
    // Their last lines (often the error a client prints as it gives up) belong to the case: wait for them briefly.
    if (set) await Promise.all([...set].map(async (p) => (await this.settle(p), await p.terminate(this.grace), await Promise.race([p.outputClosed, sleep(500)]))));
  }

  private output(caseId: string, source: string): CaseOutput {
    let o = this.outputs.get(caseId);
    if (!o) this.outputs.set(caseId, (o = new CaseOutput()));
    o.sources.add(source);
    return o;
  }

  /** What the case's processes wrote (after endCase: the clients have exited, their last lines are in). */
  takeOutput(caseId: string): TargetOutput | undefined {
    const sub = this.routed(caseId);
    // The case stays routed (a late crash is taken after the output); the ids are few, cleared by stop().
    if (sub) return sub.takeOutput(caseId);
    const o = this.outputs.get(caseId);
    this.outputs.delete(caseId);
    this.capturing.delete(caseId);
    if (!o) return undefined;
    return { source: [...o.sources].join(', '), stdout: o.stdout.toString(), stderr: o.stderr.toString() };
  }

  /** End of a case: kill its client processes and its per-case server. */
  async endCase(ctx: TargetCaseContext): Promise<void> {
    const sub = this.routed(ctx.caseId);
    if (sub) return sub.endCase(ctx);
    if (this.serverCases.has(ctx.caseId)) {
      // The run's server writes about a connection a moment after it happened: let those lines arrive. A
      // server that went down with the case's connection is waited for, so that the crash is this case's.
      await sleep(SERVER_OUTPUT_SETTLE_MS);
      const s = this.server;
      if (s?.cases.has(ctx.caseId)) await this.settle(s.proc);
      this.serverCases.delete(ctx.caseId);
      s?.cases.delete(ctx.caseId);
    }
    await this.killClients(ctx.caseId);
    if (this.opts.server?.per_case && this.server?.caseId === ctx.caseId) {
      const s = this.server;
      this.server = undefined;
      await this.settle(s.proc);
      await s.proc.terminate(this.grace);
      await Promise.race([s.proc.outputClosed, sleep(500)]);
    }
    // Exit handlers record a crash after a short wait for the process's last lines: let them finish.
    await Promise.all([...this.exitHandlers]);
  }

  /** Exit handlers still running (each records a crash, if it is one, within ~200 ms of the exit). */
  private readonly exitHandlers = new Set<Promise<unknown>>();
  private afterExit<T>(handler: () => Promise<T>): Promise<T> {
    const p = handler();
    this.exitHandlers.add(p);
    void p.finally(() => this.exitHandlers.delete(p)).catch(() => undefined);
    return p;
  }

  takeCrash(caseId?: string): string | undefined {
    const sub = caseId !== undefined ? this.routed(caseId) : undefined;
    if (sub) return sub.takeCrash(caseId);
    const fromSub = caseId === undefined ? this.clientAuth?.takeCrash() : undefined;
    let list: string[];
    if (caseId !== undefined) {
      list = this.caseCrashes.get(caseId) ?? [];
      this.caseCrashes.delete(caseId);
    } else {
      list = [...this.looseCrashes.splice(0), ...[...this.caseCrashes.values()].flat(), ...(fromSub ? [fromSub] : [])];
      this.caseCrashes.clear();
    }
    return list.length === 0 ? undefined : [...new Set(list)].join('; ');
  }

  async stop(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    this.sockets.clear();
    await this.clientAuth?.stop();
    this.clientAuthCases.clear();
    if (this.starting) await this.starting.catch(() => undefined);
    const s = this.server;
    this.server = undefined;
    await Promise.all([s?.proc.terminate(this.grace), ...[...this.clients.keys()].map((id) => this.killClients(id))]);
    if (this.tmp) removeTempDir(this.tmp);
    this.tmp = undefined;
    this.chainsWritten.clear();
    this.started = false;
  }

  /** Whether start() ran without a stop() since (for diagnostics). */
  get isStarted(): boolean {
    return this.started;
  }
}

function fileHasData(path: string): boolean {
  try {
    return statSync(path).size > 0;
  } catch {
    return false;
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

function abortPromise(signal: AbortSignal): Promise<void> {
  return signal.aborted ? Promise.resolve() : new Promise((r) => signal.addEventListener('abort', () => r(), { once: true }));
}

/** A TCP connection with a one-line error for the usual failures (refused, unreachable, aborted). */
export async function tcpConnect(host: string, port: number, what: string, signal?: AbortSignal): Promise<Socket> {
  const sock = netConnect({ host, port });
  try {
    await new Promise<void>((resolve, reject) => {
      const onAbort = () => reject(new Error(`connecting to ${what} at ${host}:${port} was interrupted`));
      signal?.addEventListener('abort', onAbort, { once: true });
      sock.once('connect', () => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      });
      sock.once('error', (e: NodeJS.ErrnoException) => {
        signal?.removeEventListener('abort', onAbort);
        const why =
          e.code === 'ECONNREFUSED'
            ? 'connection refused (is it running and listening there?)'
            : e.code === 'ETIMEDOUT' || e.code === 'EHOSTUNREACH' || e.code === 'ENETUNREACH'
              ? `unreachable (${e.code})`
              : e.code === 'ENOTFOUND' || e.code === 'EAI_AGAIN'
                ? `unknown host '${host}'`
                : e.message;
        reject(new Error(`cannot connect to ${what} at ${host}:${port}: ${why}`));
      });
    });
  } catch (e) {
    sock.destroy();
    throw e;
  }
  sock.setNoDelay(true);
  return sock;
}
