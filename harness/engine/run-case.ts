/**
 * Runs one scenario case against a target: opens the connection, plays the steps with the harness's own
 * peer (peer13.ts), matches what the target does against the expectations, and returns a verdict with the
 * whole conversation. Every target behaviour (garbage, silence, reset, crash) ends in a verdict within the
 * case's time limit; a mistake in the scenario ends in verdict `error`.
 */
import type { TcpConversation } from '../report/pcapng.ts';
import { createServer, type Server, type Socket } from 'node:net';
import { AlertDescription, AlertLevel, CipherSuite, ContentType, NamedGroup, PskKeyExchangeMode, nameOf } from '../../implementations/reference/codec/enums.ts';
import { decodeHandshakeBody, type HandshakeMessage } from '../../implementations/reference/codec/handshake.ts';
import { makeConfig, type EndpointConfig, type StoredTicket } from '../../implementations/reference/connection/config.ts';
import { EXTRA_TEST_CERTIFICATES, SHARED_TEST_PKI as TEST_PKI } from '../targets/test-pki.ts';
import type { Expectation, MessageExpectation, PeerConfig, ScenarioCase, SourceLocation, Step } from '../scenario/model.ts';
import { REQUEST_CLIENT_CERTIFICATE_FEATURE } from '../scenario/format.ts';
import { roleCapabilities, type Capabilities, type Target, type TargetCaseContext, type TargetConnection, type TrustSettings } from '../targets/types.ts';
import type { CaseResult, TargetOutput, TranscriptEntry, Verdict } from './result.ts';
import { findExt } from '../../implementations/reference/connection/tls13.ts';
import { groupName } from '../../implementations/reference/connection/groups.ts';
import { ControlCache, caseVersion, controlConfig, controlKey, type ControlOutcome } from './controls.ts';
export { caseVersion } from './controls.ts';
import { LiveState } from './live.ts';
import { MissingExtensionError, ScenarioRuntimeError, TargetLacksError, applySet, checkWhere, describe, extensionName, toNumber } from './fields.ts';
import { changedFields, encodeForWire, encodeMutated } from './mutate.ts';
import { ClientPeer13, Peer13, ServerPeer13, type HarnessPskOptions } from './peer13.ts';
import { ClientPeer12, ServerPeer12, type Resumption12 } from './peer12.ts';
import { contentTypeCode, type Observation, type ScriptedPeer } from './peer.ts';
import { RecordHeaderScan, Wire } from './wire.ts';
import { BoundedTranscript, LIMITS, dump } from './limits.ts';
import { PassThrough } from 'node:stream';
import { cbcEncryptOptions } from './cbc-record.ts'; // wire12: record.cbc
import { listenOnLowPort } from '../../implementations/reference/connection/ports.ts';
import { acceptOrExit, clientExitOutcome, nextExpectation, withLateCrash } from '../targets/client-exit.ts';
import { signaturePair } from '../../implementations/reference/connection/tls12/common12.ts';
import { concatBytes } from '../../implementations/reference/codec/bytes.ts';

export interface RunCaseOptions {
  /** The whole case must finish within this many ms. */
  timeoutMs: number;
  /** How long an `expect` waits for the target before it counts as silence (bounded by the case limit). */
  expectTimeoutMs?: number;
  /** How long an optional expectation at the end waits before it is taken as absent. */
  optionalGraceMs?: number;
  signal?: AbortSignal;
  /** The run's positive controls (run-all makes one per run); absent: cases run without controls. */
  controls?: ControlCache;
  /** Told each secret the harness derives, as a key log line (SSLKEYLOGFILE format), with the case: `run --pcap`. */
  keyLog?: (line: string, caseId: string) => void;
  /** Told each connection of a case as it ends, every byte both ways in order (`run --pcap`, harness/report/pcapng.ts). */
  capture?: (conversation: TcpConversation, caseId: string) => void;
  /**
   * Told each handshake message a `send` step builds, with the step's index, before its mutations, and whether it
   * goes out under record protection (the fuzzer's span maps).
   */
  onSend?: (stepIndex: number, msg: HandshakeMessage, encrypted: boolean) => void;
}

/** Ends the case with a verdict (thrown inside the step loop, caught in runCase). */
class CaseEnd extends Error {
  constructor(
    readonly verdict: Verdict,
    readonly reason: string,
    readonly expected?: string,
    readonly observed?: string,
    /**
     * True when the peer's own checks found it (a violation, a record it cannot decrypt, bytes that are not
     * TLS): a rule the target broke, a failure whatever the scenario's level. False: the scenario's own
     * expectation was not met (an advisory for a should/may scenario).
     */
    readonly evidence = false,
  ) {
    super(reason);
  }
}

/** What is missing from the target for this case, or undefined when it can run. */
export function missingCapability(c: ScenarioCase, shared: Capabilities): string | undefined {
  const s = c.scenario;
  const caps = roleCapabilities(shared, s.target);
  if (!caps.roles.includes(s.target)) return `the target cannot play the ${s.target} role`;
  const versions = c.requires.versions ?? s.versions;
  const v = versions.find((x) => !caps.versions.includes(x));
  if (v) return `the target does not support ${v}`;
  // target_options.request_client_certificate: only targets that can be told to request one (a config with
  // server.client_auth, the embedded reference) have the feature.
  if (s.target_options?.request_client_certificate && !caps.features.includes(REQUEST_CLIENT_CERTIFICATE_FEATURE))
    return `the target lacks feature ${REQUEST_CLIENT_CERTIFICATE_FEATURE} (it cannot be told to request a client certificate: no server.client_auth in its config)`;
  const lists: [string, string[] | undefined, string[]][] = [
    ['cipher suite', [...(c.requires.cipher_suites ?? []), ...(c.config.cipher_suites ?? [])], caps.cipher_suites],
    ['group', [...(c.requires.groups ?? []), ...(c.config.groups ?? [])], caps.groups],
    ['signature scheme', c.requires.signature_schemes, caps.signature_schemes],
    ['feature', c.requires.features, caps.features],
  ];
  for (const [what, need, have] of lists) {
    const miss = (need ?? []).filter((n) => !have.includes(n));
    // A peer config that offers several may still run if the target has one of them; a requirement needs all.
    if (what === 'cipher suite' || what === 'group') {
      const offered = what === 'cipher suite' ? c.config.cipher_suites : c.config.groups;
      const required = what === 'cipher suite' ? c.requires.cipher_suites : c.requires.groups;
      const reqMiss = (required ?? []).filter((n) => !have.includes(n));
      if (reqMiss.length) return `the target lacks ${what} ${reqMiss.join(', ')}`;
      if (offered && offered.length > 0 && !offered.some((n) => have.includes(n))) return `the target supports none of the ${what}s ${offered.join(', ')}`;
      continue;
    }
    if (miss.length) return `the target lacks ${what} ${miss.join(', ')}`;
  }
  return undefined;
}

function codes(names: string[] | undefined, field: string): number[] | undefined {
  return names?.map((n, i) => toNumber(n, field, `config.${field}[${i}]`));
}

/**
 * The scripted TLS 1.3 peer's suites when a scenario names none: fixed here, not makeConfig's default (which
 * offers TLS 1.2 suites too), so the scenario suite's ClientHellos stay the same whatever the reference's
 * defaults become.
 */
export const SCRIPTED_PEER_TLS13_SUITES: readonly number[] = [CipherSuite.TLS_AES_128_GCM_SHA256, CipherSuite.TLS_AES_256_GCM_SHA384, CipherSuite.TLS_CHACHA20_POLY1305_SHA256];

/**
 * The scripted TLS 1.2 peer's suites when a scenario names none (fixed here for the same reason): ECDHE with
 * both certificate types, DHE, and the RSA key exchange, with GCM, ChaCha20-Poly1305 and CBC.
 */
export const SCRIPTED_PEER_TLS12_SUITES: readonly number[] = [
  CipherSuite.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
  CipherSuite.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
  CipherSuite.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
  CipherSuite.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
  CipherSuite.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
  CipherSuite.TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
  CipherSuite.TLS_DHE_RSA_WITH_AES_128_GCM_SHA256,
  CipherSuite.TLS_RSA_WITH_AES_128_GCM_SHA256,
  CipherSuite.TLS_RSA_WITH_AES_256_GCM_SHA384,
  CipherSuite.TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA,
  CipherSuite.TLS_RSA_WITH_AES_128_CBC_SHA,
];


/** The scripted peer of a case's version and role (with what an earlier connection of the case left to resume). */
export function makePeer(version: 'tls12' | 'tls13', role: 'client' | 'server', config: EndpointConfig, carry?: Carry): ScriptedPeer {
  if (version === 'tls12') return role === 'client' ? new ClientPeer12(config, carry?.resume ? carry.tls12?.sessions[0] : undefined) : new ServerPeer12(config, carry?.tls12?.cache);
  return role === 'client' ? new ClientPeer13(config, carry?.resume ? carry.tickets?.[0] : undefined) : new ServerPeer13(config);
}

/** What a connection leaves for the next one of the case. */
export interface Carry {
  resume: boolean;
  tickets?: StoredTicket[];
  tls12?: Resumption12;
}

function carryFrom(peer: ScriptedPeer, resume: boolean, prev?: Carry): Carry {
  if (peer instanceof ClientPeer13) return { resume, tickets: peer.tickets };
  if (peer instanceof ClientPeer12) return { resume, tls12: { sessions: peer.sessions, cache: new Map() } };
  if (peer instanceof ServerPeer12) return { resume, tls12: { sessions: [], cache: prev?.tls12?.cache ?? new Map() } };
  return { resume };
}

/** The harness peer's endpoint configuration for a case; `trust` is the target's (--ca, --no-verify-chain), default the test CA. */
export function peerConfig(c: PeerConfig, role: 'client' | 'server', trust?: TrustSettings, version: 'tls12' | 'tls13' = 'tls13'): EndpointConfig & HarnessPskOptions {
  const certs = {
    rsa: TEST_PKI.rsa,
    p256: TEST_PKI.p256,
    p384: TEST_PKI.p384,
    p521: TEST_PKI.p521,
    ed25519: TEST_PKI.ed25519,
    ed448: TEST_PKI.ed448,
    client: TEST_PKI.client,
    'rsa-sign-only': TEST_PKI.rsaSignOnly,
    'p256-wrong-name': TEST_PKI.p256WrongName,
    'p256-missing-intermediate': TEST_PKI.p256MissingIntermediate,
    ...EXTRA_TEST_CERTIFICATES,
  } as Record<string, () => EndpointConfig['certificates'][number]>;
  let certificates: EndpointConfig['certificates'];
  if (c.certificate) {
    const load = certs[c.certificate];
    if (!load) throw new ScenarioRuntimeError(`config.certificate: unknown test certificate '${c.certificate}' (one of ${Object.keys(certs).join(', ')})`);
    certificates = [load()];
  } else certificates = role === 'server' ? [TEST_PKI.p256(), TEST_PKI.rsa(), TEST_PKI.ed25519()] : [];
  const base = makeConfig();
  const endpoint = makeConfig({
    // Each scripted peer (peer13.ts, peer12.ts) speaks one version: the case's.
    minVersion: version === 'tls12' ? 'TLSv1.2' : 'TLSv1.3',
    maxVersion: version === 'tls12' ? 'TLSv1.2' : 'TLSv1.3',
    cipherSuites: codes(c.cipher_suites, 'cipher_suite') ?? [...(version === 'tls12' ? SCRIPTED_PEER_TLS12_SUITES : SCRIPTED_PEER_TLS13_SUITES)],
    groups: codes(c.groups, 'group') ?? [NamedGroup.x25519, NamedGroup.secp256r1, NamedGroup.secp384r1],
    keyShareGroups: codes(c.key_share_groups, 'group'),
    signatureSchemes: codes(c.signature_schemes, 'algorithm') ?? base.signatureSchemes,
    alpn: c.alpn ?? [],
    serverName: role === 'client' ? (c.server_name ?? 'localhost') : undefined,
    middleboxCompat: c.middlebox_compat ?? false,
    // RFC 6066 4: 2^9(1), 2^10(2), 2^11(3), 2^12(4).
    maxFragmentLength: c.max_fragment_length !== undefined ? Math.log2(Number(c.max_fragment_length)) - 8 : undefined,
    certificates,
    trustRoots: trust?.roots ?? TEST_PKI.ca(),
    verifyPeer: trust?.verify ?? true,
    requestClientCert: c.request_client_certificate ?? false,
    helloRetryCookie: false,
    // suite-cl: a scenario that names a SHA-1 scheme in config.signature_schemes (RFC 9155 tests) gets it used.
    legacySha1Signatures: (codes(c.signature_schemes, 'algorithm') ?? []).some((s) => signaturePair(s)?.hash === 'sha1'),
    earlyData: c.early_data !== undefined ? new TextEncoder().encode(c.early_data) : undefined,
    // psk14: the psk_key_exchange_modes the harness offers with a ticket (RFC 8446 4.2.9).
    ...(c.psk_modes ? { pskModes: c.psk_modes.map((m) => PskKeyExchangeMode[m as keyof typeof PskKeyExchangeMode]) } : {}),
    // psk2: the harness as server: max_early_data_size in its tickets, 0-RTT accepted or skipped (peer13.ts).
    maxEarlyData: c.max_early_data ?? 0,
    acceptEarlyData: c.accept_early_data ?? false,
  });
  // psk14: unknown PSK identities offered before the ticket (peer13.ts); psk2: the harness as server resumes.
  const psk: HarnessPskOptions = {
    ...(c.psk_unknown_identities ? { pskUnknownIdentities: c.psk_unknown_identities } : {}),
    ...(c.accept_psk ? { acceptPsk: true } : {}),
  };
  return Object.keys(psk).length > 0 ? { ...endpoint, ...psk } : endpoint;
}

interface Conn {
  wire: Wire;
  peer: ScriptedPeer;
  /** `run --pcap`: the connection's bytes so far. */
  capture?: TcpConversation;
  /** Observations not yet consumed by an expectation. */
  queue: Observation[];
  closedSeen: boolean;
  /** The messages of this connection, for live-state references. */
  live: LiveState;
  /** Are the target's bytes TLS records at all? */
  scan: RecordHeaderScan;
  /** Set once the scan found bytes that are not TLS records: nothing after them is read. */
  garbage?: boolean;
  /** Bytes, and observations by kind, since the conversation last moved on (an observation taken by `next`). */
  stall: { bytes: number; records: number; kinds: Map<string, number> };
  /** The last read ended because the target is provably idle (IdleSignal): nothing comes until the harness writes. */
  idle: boolean;
  /**
   * A write of the harness was refused by a reset: Node then drops the socket with whatever the kernel still
   * held unread, so an alert the target sent just before may be lost (see resetMayHideAlert in run-all.ts).
   */
  writeRefused?: boolean;
  /**
   * Bytes of the harness's sends not yet written: a flight (the sends between two reads) goes out in one
   * write (drain), as a TLS stack sends one. A target that aborts after the first message of a flight and
   * closes with the rest unread answers with a RST; written message by message, the later writes meet that
   * RST, and Node drops the socket with the target's alert still unread in the kernel.
   */
  pending: Uint8Array[];
}

/**
 * A step of the engine: the scenario's steps, plus the control's full handshake (not a scenario step: the
 * unmutated conversation a positive control plays, adapting to a HelloRetryRequest or a CertificateRequest).
 */
type EngineStep = Step | { kind: 'full_handshake'; loc: SourceLocation };

/** How a conversation is run: a case (its steps) or a positive control (one full handshake). */
interface ConversationOptions extends RunCaseOptions {
  /** Notes to start the transcript with (the control a case relied on). */
  notes?: TranscriptEntry[];
  /** The target's connection id in endCase / takeOutput (a control's own). */
  caseId?: string;
}

/**
 * Runs one case: its positive control first (once per configuration in the run, when `opts.controls` is
 * given and the scenario has not turned it off), then its steps. A target that does not complete the
 * unmutated handshake makes the case a `skip` naming what went wrong.
 */
export async function runCase(c: ScenarioCase, target: Target, opts: RunCaseOptions): Promise<CaseResult> {
  const timeoutMs = c.scenario.timeout ?? opts.timeoutMs;
  const gate = precheck(c, target);
  const notes: TranscriptEntry[] = [];
  const baseKey = opts.controls && !gate && !opts.signal?.aborted ? controlKey(c) : undefined;
  // A control against a target told to request a client certificate is not the plain target's control.
  const key = baseKey !== undefined && c.scenario.target_options ? `${baseKey} target_options=${JSON.stringify(c.scenario.target_options)}` : baseKey;
  if (key !== undefined) {
    const t0 = Date.now();
    const ctl = await opts.controls!.get(key, c.id, () => runControl(c, key, target, { ...opts, timeoutMs }));
    const waited = Date.now() - t0;
    const base = { id: c.id, scenarioId: c.scenario.id, title: c.scenario.title, rfc: c.scenario.rfc, targetRole: c.scenario.target, tags: c.scenario.tags, params: c.params, durationMs: waited };
    const note: TranscriptEntry = { t: 0, dir: 'note', kind: 'control', name: `${ctl.verdict}: ${key}`, ...(ctl.reason ? { detail: ctl.reason } : {}) };
    if (opts.signal?.aborted) return { ...base, verdict: 'error', reason: 'interrupted', transcript: [note] };
    if (ctl.verdict === 'fail') return { ...base, verdict: 'skip', reason: `the target does not complete the unmutated handshake: ${ctl.reason}`, transcript: [note] };
    if (ctl.verdict === 'error') return { ...base, verdict: 'error', reason: `the control handshake could not run: ${ctl.reason}`, transcript: [note] };
    notes.push(note);
  }
  return runConversation(c, c.steps, target, { ...opts, timeoutMs, notes });
}

/** A reason to skip the case before anything runs (a capability the target lacks), or undefined. */
function precheck(c: ScenarioCase, target: Target): string | undefined {
  const missing = missingCapability(c, target.capabilities);
  if (missing) return missing;
  return undefined;
}

let controlSerial = 0;

/** The positive control of a case: the unmutated full handshake with the control's config. */
async function runControl(c: ScenarioCase, key: string, target: Target, opts: RunCaseOptions): Promise<ControlOutcome> {
  const config = controlConfig(c) ?? c.config;
  const loc = c.scenario.loc;
  const steps: EngineStep[] = [{ kind: 'full_handshake', loc }];
  const scenario = { ...c.scenario, id: `control`, title: `control: ${key}`, rfc: { ...c.scenario.rfc, level: 'must' as const } };
  const control: ScenarioCase = { id: `control`, scenario, params: {}, steps: [], config, requires: {}, control: false };
  const r = await runConversation(control, steps, target, { ...opts, controls: undefined, caseId: `control-${++controlSerial}` });
  // A control config the target lacks a capability for: its cases cannot have their conversation either.
  const verdict = r.verdict === 'pass' || r.verdict === 'lenient' ? 'pass' : r.verdict === 'error' ? 'error' : 'fail';
  const reason = r.verdict === 'skip' ? `the control needs what the target lacks: ${r.reason}` : (r.reason ?? r.verdict);
  return {
    verdict,
    ...(verdict !== 'pass' ? { reason, transcript: r.transcript } : {}),
    durationMs: r.durationMs,
  };
}

async function runConversation(c: ScenarioCase, steps: readonly EngineStep[], target: Target, opts: ConversationOptions): Promise<CaseResult> {
  const started = Date.now();
  const deadline = started + opts.timeoutMs;
  // Bounded (limits.ts): the first and last entries, the ones between counted; dumps and fields capped.
  const transcript = new BoundedTranscript();
  for (const n of opts.notes ?? []) transcript.push(n);
  const received = { records: 0 };
  const note = (dir: TranscriptEntry['dir'], kind: string, name: string, extra: Partial<TranscriptEntry> = {}) =>
    transcript.push({ t: Date.now() - started, dir, kind, name, ...extra });
  const caseId = opts.caseId ?? c.id;
  const level = c.scenario.rfc.level ?? 'must';
  const base = {
    id: c.id,
    scenarioId: c.scenario.id,
    title: c.scenario.title,
    rfc: c.scenario.rfc,
    targetRole: c.scenario.target,
    tags: c.scenario.tags,
    params: c.params,
  };
  /** The result being returned: the target's output is added to it once the case has ended (in finally). */
  let result: CaseResult | undefined;
  const finish = (verdict: Verdict, extra: Partial<CaseResult> = {}): CaseResult =>
    (result = {
      ...base,
      verdict,
      durationMs: Date.now() - started,
      transcript: transcript.entries(),
      recordsReceived: received.records,
      ...extra,
    });

  const skip = precheck(c, target);
  if (skip) return finish('skip', { reason: skip });

  const role = c.scenario.target === 'server' ? 'client' : 'server';
  const version = caseVersion(c);
  let carry: Carry | undefined;
  let config: EndpointConfig;
  try {
    config = peerConfig(c.config, role, target.trust, version);
  } catch (e) {
    return finish('error', { reason: `scenario: ${(e as Error).message}` });
  }

  const ac = new AbortController();
  let conn: Conn | undefined;
  // An interrupted run (Ctrl-C) ends the case at once: closing the connection wakes any pending read.
  const onAbort = () => {
    ac.abort();
    conn?.wire.destroy();
  };
  opts.signal?.addEventListener('abort', onAbort);
  if (opts.signal?.aborted) return finish('error', { reason: 'interrupted' });
  const timer = setTimeout(() => ac.abort(), Math.max(0, deadline - Date.now()));
  let listener: Server | undefined;
  let clientLaunches = 0;
  let lenient: string | undefined;
  let stepIndex = -1;
  /** The last message the harness sent, for the explanation of a record it cannot decrypt. */
  let lastSent: string | undefined;
  /** The last `next` found nothing because the target was idle (not because its wait ran out). */
  let waitEndedIdle = false;

  const open = async (carry?: Carry): Promise<Conn> => {
    let tc: TargetConnection;
    if (c.scenario.target === 'server') {
      try {
        tc = await target.connect({ caseId, signal: ac.signal, ...(c.scenario.target_options ? { options: c.scenario.target_options } : {}) });
      } catch (e) {
        const err = e as NodeJS.ErrnoException;
        // The target accepted the connection and reset it before the connect completed: what the target did
        // (the same as a reset seen by the first read), not a setup error.
        if (err.code === 'ECONNRESET' || /\bECONNRESET\b/.test(err.message)) tc = resetConnection();
        else throw new CaseEnd('error', `cannot connect to the target: ${err.code ?? err.message.split('\n')[0]}`);
      }
    } else if ((target as InProcessClient).connectClient) {
      // A client in this process (the reference with inMemory): its connection's other end, no listener.
      tc = await (target as InProcessClient).connectClient!({ caseId, signal: ac.signal });
      clientLaunches++;
    } else {
      if (!target.launchClient) throw new CaseEnd('error', 'the target has no client role adapter');
      listener ??= await listen();
      const addr = listener.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      const accepted = acceptOne(listener, deadline);
      const launched = await target.launchClient({ caseId, listen: { host: '127.0.0.1', port }, signal: ac.signal });
      // A client program that dies before it connects ends the case at once (harness/targets/client-exit.ts).
      const { sock, exit } = await acceptOrExit(accepted, launched);
      if (!sock && exit) {
        const o = clientExitOutcome(exit, nextExpectation(steps, stepIndex + 1), ++clientLaunches);
        throw new CaseEnd(o.verdict, o.reason, o.expected, o.observed);
      }
      if (!sock) throw new CaseEnd('fail', 'the target client did not connect', 'a connection', 'none within the time limit');
      clientLaunches++;
      const idle = launched ? launched.idleSignal?.(sock) : undefined;
      tc = { stream: sock, peer: `${sock.remoteAddress}:${sock.remotePort}`, ...(idle ? { idle } : {}) };
    }
    note('note', 'connect', tc.peer);
    const peer = makePeer(version, role, config, carry);
    if (peer instanceof Peer13) peer.certificateVerifyFault = c.config.certificate_verify as Peer13['certificateVerifyFault'];
    if (peer instanceof ServerPeer13) peer.ffdheLeadingZero = c.config.ffdhe_leading_zero as ServerPeer13['ffdheLeadingZero'];
    peer.rl.acceptPlaintextAlerts = true;
    peer.keyLog = opts.keyLog ? (line) => opts.keyLog!(line, caseId) : undefined;
    const wire = new Wire(tc.stream);
    const capture = opts.capture ? startCapture(wire, tc.stream, c.scenario.target, caseId) : undefined;
    // A target that can prove it is idle (the embedded reference) ends the waits for it at once.
    wire.watchIdle(tc.idle);
    return {
      wire,
      idle: false,
      peer,
      queue: [],
      closedSeen: false,
      live: new LiveState(c.scenario.target),
      scan: new RecordHeaderScan(received, version === 'tls13'),
      stall: { bytes: 0, records: received.records, kinds: new Map() },
      pending: [],
      ...(capture ? { capture } : {}),
    };
  };

  /** The connection's bytes to opts.capture, once, as it ends (the harness closes it: its FIN). */
  const endCapture = (cn: Conn) => {
    const rec = cn.capture;
    if (!rec || !opts.capture) return;
    cn.capture = undefined;
    rec.closes = [...(rec.closes ?? []), { t: now(), from: c.scenario.target === 'server' ? 'client' : 'server' }];
    opts.capture(rec, caseId);
  };

  try {
    conn = await open();
    for (stepIndex = 0; stepIndex < steps.length; stepIndex++) {
      if (ac.signal.aborted) throw new CaseEnd(opts.signal?.aborted ? 'error' : 'fail', opts.signal?.aborted ? 'interrupted' : `the case did not finish within ${opts.timeoutMs} ms`);
      const step = steps[stepIndex];
      const r = await runStep(step, conn);
      if (r?.lenient) lenient ??= r.lenient;
      if (r?.reconnect) {
        await drain(conn);
        carry = carryFrom(conn.peer, r.reconnect === 'resume', carry);
        endCapture(conn);
        conn.wire.destroy();
        conn = await open(carry);
      }
    }
    await drain(conn);
    if (opts.signal?.aborted) return finish('error', { reason: 'interrupted' });
    const crash = target.takeCrash?.(caseId);
    if (crash) return finish('fail', { reason: `the target crashed: ${crash}`, observed: crash });
    return finish(lenient ? 'lenient' : 'pass', lenient ? { reason: lenient } : {});
  } catch (e) {
    if (opts.signal?.aborted) return finish('error', { reason: 'interrupted' });
    const crash = target.takeCrash?.(caseId);
    const step = stepIndex >= 0 && stepIndex < steps.length ? { index: stepIndex, loc: steps[stepIndex].loc } : undefined;
    if (e instanceof CaseEnd) {
      const reason = crash ? `${e.reason}; the target crashed: ${crash}` : e.reason;
      // A SHOULD or MAY the target does not follow is an advisory; a rule broken (found by the peer's own
      // checks: a violation, a record it cannot decrypt, bytes that are not TLS) or a crash stays a failure.
      const verdict = e.verdict === 'fail' && !e.evidence && !crash && (level === 'should' || level === 'may') ? 'advisory' : e.verdict;
      return finish(verdict, { reason, expected: e.expected, observed: e.observed, step });
    }
    // The harness answers only the extensions the client offers: a case that changes one in its answer cannot run
    // against a client that did not offer it (a skip, not a scenario error).
    if (e instanceof MissingExtensionError && c.scenario.target === 'client') {
      const ch = conn?.live.message('client_hello');
      if (ch?.msg_type === 'client_hello' && !(ch.extensions ?? []).some((x) => extensionName(x) === e.extension))
        return finish('skip', { reason: `the target's ClientHello has no ${e.extension} extension, so the harness's answer has none for the case to change (${e.message})`, step });
    }
    if (e instanceof TargetLacksError) return finish('skip', { reason: e.message, step });
    if (e instanceof ScenarioRuntimeError) {
      const at = step ? ` (step ${step.index + 1}, ${step.loc.file}:${step.loc.line}:${step.loc.col})` : '';
      return finish('error', { reason: `scenario: ${e.message}${at}`, step });
    }
    return finish('error', { reason: `harness: ${(e as Error).stack ?? String(e)}`, step });
  } finally {
    clearTimeout(timer);
    opts.signal?.removeEventListener('abort', onAbort);
    if (conn) endCapture(conn);
    conn?.wire.destroy();
    listener?.close();
    // Release what the case started on the target's side (a client process, a per-case server).
    await target.endCase?.({ caseId, signal: ac.signal }).catch(() => undefined);
    const output: TargetOutput | undefined = target.takeOutput?.(caseId);
    if (output && result) result.targetOutput = output;
    // A crash seen only as the case ended (endCase waits for a server going down) is this case's.
    if (result) withLateCrash(result, target.takeCrash?.(caseId));
  }

  // ---- steps ------------------------------------------------------------------------------------------

  async function runStep(step: EngineStep, cn: Conn): Promise<{ lenient?: string; reconnect?: 'resume' | 'new' } | void> {
    const { peer } = cn;
    switch (step.kind) {
      case 'send': {
        const msg = peer.build(step.message, { premaster: step.premaster });
        applySet(msg, cn.live.resolveMap(step.set));
        peer.afterSet(msg, Object.keys(step.set)); // suite-cl: a TLS 1.2 ServerKeyExchange is signed over the params as set
        opts.onSend?.(stepIndex, msg, peer.writeEpoch !== 'plaintext');
        const mutate = cn.live.resolveMutations(step.mutate);
        const { wire: bytes, message: messageBytes } = encodeForWire(msg, mutate);
        const ro = step.record;
        let decoded: HandshakeMessage | undefined = msg;
        const type = ro.content_type !== undefined ? contentTypeCode(ro.content_type) : ContentType.handshake;
        const splitAt = ro.fragment_at ?? (ro.max_fragment ? range(ro.max_fragment, bytes.length, ro.max_fragment) : undefined);
        const savedVersion = peer.rl.writeVersion;
        if (ro.version !== undefined) {
          peer.rl.flush();
          peer.rl.writeVersion = ro.version;
        }
        const oversize = ro.max_fragment !== undefined && ro.max_fragment > peer.rl.maxSendFragment;
        const encrypt = cbcEncryptOptions(peer.rl, ro.cbc); // wire12: TLS 1.2 CBC padding, IV, MAC
        if (splitAt || ro.plaintext || type !== ContentType.handshake || oversize || encrypt || ro.padding !== undefined) {
          peer.rl.flush();
          oversized(peer, oversize ? ro.max_fragment : undefined, () =>
            padded(peer, ro.padding, () =>
              peer.rl.send(type, bytes, { splitAt: oversize ? [] : (splitAt ?? []), plaintext: ro.plaintext, protectAlways: ro.protected, unchecked: oversize, encrypt }),
            ),
          );
        } else peer.rl.send(ContentType.handshake, bytes);
        const epoch = ro.plaintext ? 'plaintext' : peer.writeEpoch;
        if (ro.version !== undefined) {
          peer.rl.flush();
          peer.rl.writeVersion = savedVersion;
        }
        if (step.mutate.length > 0) decoded = tryDecode(messageBytes, peer) ?? msg;
        const changed = changedFields(msg, step);
        note('sent', 'handshake', step.message, { detail: describe(decoded), epoch, ...(changed.length ? { changed } : {}) });
        // config.ffdhe_leading_zero: the key the harness drew (ffdhe-key.ts), so the report shows the leading zero.
        if (peer instanceof ServerPeer13 && peer.ffdheLeadingZeroNote) {
          note('note', 'ffdhe_leading_zero', peer.ffdheLeadingZeroNote);
          peer.ffdheLeadingZeroNote = undefined;
        }
        lastSent = sentWhat(step.message, step, Object.keys(step.set).length > 0 || step.mutate.length > 0 || Object.keys(ro).length > 0);
        if (!ro.coalesce) await flush(cn, ro.tcp_split, ro.length, ro.wire_xor);
        // transcript: false: sent out of place and forgotten (no transcript, no change of the harness's state).
        if (step.transcript === false) return;
        peer.commit(decoded, messageBytes);
        if (decoded) cn.live.see(decoded, 'harness');
        return;
      }
      case 'send_raw': {
        const bytes = Uint8Array.from(Buffer.from(step.hex, 'hex'));
        lastSent = sentWhat(`${step.layer} bytes`, step, true);
        if (step.layer === 'handshake') {
          // Raw content under the current keys: a protected change_cipher_spec, or an empty record, on purpose.
          peer.rl.flush();
          peer.rl.send(step.content_type ?? ContentType.handshake, bytes, { protectAlways: true, allowEmpty: true });
          note('sent', 'raw', 'handshake bytes', { wire: step.hex, epoch: peer.writeEpoch });
          await flush(cn);
          // Only handshake content joins the transcript (a protected change_cipher_spec, alert or heartbeat does not).
          if ((step.content_type ?? ContentType.handshake) === ContentType.handshake && step.transcript !== false) peer.commit(tryDecode(bytes, peer), bytes);
        } else {
          await flush(cn);
          note('sent', 'raw', `${step.layer} bytes`, { wire: step.hex });
          await write(cn, bytes);
        }
        return;
      }
      case 'send_application_data': {
        const ro = step.record ?? {}; // wire12: record { cbc, wire_xor, tcp_split }; rec14: max_fragment
        const encrypt = cbcEncryptOptions(peer.rl, ro.cbc);
        if (ro.max_fragment === undefined) padded(peer, ro.padding, () => peer.rl.send(ContentType.application_data, step.data, { encrypt }));
        else {
          // Records of at most max_fragment bytes of data each (RFC 8446 5.1: "Application Data fragments MAY be
          // split across multiple records"); above the limit, one record that is too long on purpose (record_overflow
          // tests: RFC 8446 5.1 2^14 bytes of plaintext, RFC 8446 5.2 2^14 + 256 bytes of ciphertext).
          const oversize = ro.max_fragment > peer.rl.maxSendFragment;
          const splitAt = oversize ? [] : range(ro.max_fragment, step.data.length, ro.max_fragment);
          oversized(peer, oversize ? ro.max_fragment : undefined, () =>
            padded(peer, ro.padding, () => peer.rl.send(ContentType.application_data, step.data, { splitAt, unchecked: oversize, encrypt })),
          );
        }
        note('sent', 'application_data', `${step.data.length} bytes`, { epoch: peer.writeEpoch, detail: printable(step.data) });
        lastSent = sentWhat('application data', step, true);
        await flush(cn, ro.tcp_split, undefined, ro.wire_xor);
        return;
      }
      case 'send_alert':
        peer.rl.send(ContentType.alert, Uint8Array.of(step.level, step.description));
        note('sent', 'alert', nameOf(AlertDescription, step.description, 2), { epoch: peer.writeEpoch });
        lastSent = sentWhat(`alert ${nameOf(AlertDescription, step.description, 2)}`, step, true);
        await flush(cn);
        return;
      case 'send_change_cipher_spec':
        peer.rl.send(ContentType.change_cipher_spec, Uint8Array.of(1));
        note('sent', 'change_cipher_spec', 'ChangeCipherSpec', { epoch: peer.writeEpoch });
        lastSent = sentWhat('ChangeCipherSpec', step, false);
        await flush(cn);
        // TLS 1.2 (RFC 5246 7.1): what follows goes under the pending keys, when the key exchange gave any.
        peer.sentChangeCipherSpec();
        return;
      case 'close_notify':
        peer.rl.send(ContentType.alert, Uint8Array.of(AlertLevel.warning, AlertDescription.close_notify));
        note('sent', 'alert', 'close_notify', { epoch: peer.writeEpoch });
        await flush(cn);
        return;
      case 'key_update': {
        const msg: HandshakeMessage = { msg_type: 'key_update', request_update: step.request_update ? 1 : 0 };
        const bytes = encodeMutated(msg, []);
        peer.rl.send(ContentType.handshake, bytes);
        note('sent', 'handshake', 'KeyUpdate', { detail: describe(msg), epoch: peer.writeEpoch });
        lastSent = sentWhat('KeyUpdate', step, false);
        await flush(cn);
        peer.commit(msg, bytes);
        cn.live.see(msg, 'harness');
        return;
      }
      case 'wait': {
        const until = Math.min(deadline, Date.now() + step.ms);
        await pump(cn, until, () => false);
        if (cn.idle) idleNote(until);
        return;
      }
      case 'reconnect':
        note('note', 'reconnect', step.resume ? 'resume' : 'new connection');
        return { reconnect: step.resume ? 'resume' : 'new' };
      case 'expect':
        return expect(step.expect, cn);
      case 'full_handshake':
        return fullHandshake(cn, step.loc);
    }
  }

  /** `the ClientHello of step 1 (file:line:col), as the scenario changed it` */
  function sentWhat(what: string, step: EngineStep, changed: boolean): string {
    if (step.kind === 'full_handshake') return `the harness's ${what}`;
    const where = `step ${stepIndex + 1} (${step.loc.file}:${step.loc.line}:${step.loc.col})`;
    return `the ${what} of ${where}${changed ? ', as the scenario changed it' : ''}`;
  }

  /**
   * The control's conversation: the default full handshake for the harness's role, adapting to what the
   * RFC leaves to a target server (a HelloRetryRequest, a CertificateRequest), then a short wait in which
   * nothing bad may come back, then close_notify.
   */
  async function fullHandshake(cn: Conn, loc: SourceLocation): Promise<void> {
    const send = (message: string) => runStep({ kind: 'send', message, set: {}, mutate: [], record: {}, loc }, cn);
    const one = (names: string[], optional = false) => expectMessage({ names, optional, repeat: false, where: {} }, cn, false);
    if (cn.peer.version === 'tls12') await fullHandshake12(cn, loc, send, one);
    else if (role === 'client') {
      await send('ClientHello');
      const hello = await one(['ServerHello', 'HelloRetryRequest']);
      if (hello?.kind === 'handshake' && hello.name === 'HelloRetryRequest') {
        await send('ClientHello');
        await one(['ServerHello']);
      }
      await one(['EncryptedExtensions']);
      const request = await one(['CertificateRequest'], true);
      for (const m of ['Certificate', 'CertificateVerify', 'Finished']) await one([m]);
      if (request) {
        await send('Certificate');
        if (config.certificates.length > 0) await send('CertificateVerify');
      }
      await send('Finished');
    } else {
      const ch = await one(['ClientHello']);
      const shares = ch?.kind === 'handshake' && ch.msg?.msg_type === 'client_hello' ? (findExt(ch.msg.extensions, 'key_share')?.client_shares ?? []) : [];
      // The cases answer the first ClientHello with a ServerHello: so does their control. A client whose
      // shares the harness cannot use (none, or only unknown groups) does not have that conversation.
      if (!shares.some((s) => groupName(s.group))) {
        const groups = shares.map((s) => nameOf(NamedGroup, s.group, 4));
        throw new CaseEnd('fail', `the ClientHello has no key share the harness can use (${groups.length ? groups.join(', ') : 'none'}), so the cases' ServerHello cannot follow it`, 'a key share', groups.join(', ') || 'none');
      }
      const flight = ['ServerHello', 'EncryptedExtensions', ...(config.requestClientCert ? ['CertificateRequest'] : []), 'Certificate', 'CertificateVerify', 'Finished'];
      for (const m of flight) await send(m);
      if (config.requestClientCert) {
        const cert = await one(['Certificate']);
        const list = cert?.kind === 'handshake' && cert.msg?.msg_type === 'certificate' && cert.msg.form === 'tls13' ? cert.msg.certificate_list : [];
        if (list.length > 0) await one(['CertificateVerify']);
      }
      await one(['Finished']);
    }
    // Nothing bad comes back: a fatal alert or (from a server) a close now is a rejection of the handshake.
    const grace = opts.optionalGraceMs ?? 300;
    for (;;) {
      const o = await next(cn, Date.now() + grace);
      if (!o || o.kind === 'application_data') break;
      if (o.kind === 'alert' && o.description === AlertDescription.close_notify) break;
      if (o.kind === 'close' && role === 'server') break; // a client that sent a good Finished had accepted ours
      if (o.kind === 'handshake' && !o.violation && !o.decodeError) continue;
      if (o.kind === 'handshake' && o.violation) throw violationEnd(o);
      throw new CaseEnd('fail', `the handshake did not complete: after the ${role === 'client' ? 'client' : 'server'} Finished, ${show(o, grace)}`, 'the handshake completes', show(o, grace));
    }
    await runStep({ kind: 'close_notify', loc }, cn);
  }

  /** RFC 5246 7.3: the full TLS 1.2 handshake for the harness's role (the control's conversation). */
  async function fullHandshake12(cn: Conn, loc: SourceLocation, send: (m: string) => Promise<unknown>, one: (names: string[], optional?: boolean) => Promise<Observation | undefined>): Promise<void> {
    const ccs = () => runStep({ kind: 'send_change_cipher_spec', loc }, cn);
    const kx = () => (cn.peer instanceof ClientPeer12 || cn.peer instanceof ServerPeer12 ? cn.peer.suite?.keyExchange : undefined);
    if (role === 'client') {
      await send('ClientHello');
      await one(['ServerHello']);
      await one(['Certificate']);
      if (kx() !== 'rsa') await one(['ServerKeyExchange']);
      const request = await one(['CertificateRequest'], true);
      await one(['ServerHelloDone']);
      if (request) await send('Certificate');
      await send('ClientKeyExchange');
      if (request && config.certificates.length > 0) await send('CertificateVerify');
      await ccs();
      await send('Finished');
      await one(['Finished']);
    } else {
      await one(['ClientHello']);
      await send('ServerHello');
      await send('Certificate');
      if (kx() !== 'rsa') await send('ServerKeyExchange');
      if (config.requestClientCert) await send('CertificateRequest');
      await send('ServerHelloDone');
      if (config.requestClientCert) {
        const cert = await one(['Certificate']);
        const list = cert?.kind === 'handshake' && cert.msg?.msg_type === 'certificate' && cert.msg.form === 'tls12' ? cert.msg.certificate_list : [];
        await one(['ClientKeyExchange']);
        if (list.length > 0) await one(['CertificateVerify']);
      } else await one(['ClientKeyExchange']);
      await one(['Finished']);
      // RFC 5077 3.3: the ticket a ServerHello announced comes before the ChangeCipherSpec.
      const sh = cn.live.message('server_hello');
      if (sh?.msg_type === 'server_hello' && findExt(sh.extensions, 'session_ticket')) await send('NewSessionTicket');
      await ccs();
      await send('Finished');
    }
  }

  async function flush(cn: Conn, tcpSplit?: number[], forcedLength?: number, xor?: { at: number; value: number }): Promise<void> {
    const out = cn.peer.rl.takeOutput();
    if (out.length === 0) return;
    if (xor) {
      // A byte of the record(s) as they go out, after protection: a bad MAC, a corrupted header.
      const at = xor.at < 0 ? out.length + xor.at : xor.at;
      if (at < 0 || at >= out.length) throw new ScenarioRuntimeError(`record.wire_xor: offset ${xor.at} outside the ${out.length} bytes sent`);
      out[at] ^= xor.value;
    }
    if (forcedLength !== undefined && out.length >= 5) {
      // A wrong length in the first record header.
      out[3] = (forcedLength >> 8) & 0xff;
      out[4] = forcedLength & 0xff;
    }
    Object.assign(transcript.last()!, dump(out));
    await write(cn, out, tcpSplit);
  }

  /**
   * Bytes to the target, written with the rest of the flight (drain) before the harness next reads, reconnects
   * or ends; bytes the scenario splits into TCP writes of their own (tcp_split) go out at once, after the flight.
   */
  async function write(cn: Conn, bytes: Uint8Array, tcpSplit?: number[]): Promise<void> {
    if (tcpSplit && tcpSplit.length > 0) {
      await drain(cn);
      return writeNow(cn, bytes, tcpSplit);
    }
    cn.pending.push(bytes);
  }

  /** The flight so far in one write. */
  async function drain(cn: Conn): Promise<void> {
    if (cn.pending.length === 0) return;
    const bytes = cn.pending.length === 1 ? cn.pending[0] : concatBytes(...cn.pending);
    cn.pending = [];
    await writeNow(cn, bytes);
  }

  /** A write; one the target refused is noted as what the target did (the next read sees the close). */
  async function writeNow(cn: Conn, bytes: Uint8Array, tcpSplit?: number[]): Promise<void> {
    const failed = await cn.wire.write(bytes, tcpSplit);
    if (failed === undefined) return;
    if (failed !== 'closed') cn.writeRefused = true;
    const how = failed === 'closed' ? 'the connection was already closed' : closeText({ kind: 'close', how: 'reset', detail: failed });
    note('note', 'write_error', `not delivered: ${how}`);
  }

  /**
   * Read until `done` says stop or the deadline passes; observations go to the queue. Whatever the target
   * sends, this returns by the case's deadline (checked after every read, and every read is at most
   * LIMITS.readChunk bytes), ends at once on Ctrl-C, and ends the case when the target sends more than
   * LIMITS.stallBytes without the conversation moving on.
   */
  async function pump(cn: Conn, until: number, done: () => boolean): Promise<void> {
    await drain(cn);
    cn.idle = false;
    while (!done()) {
      if (opts.signal?.aborted) throw new CaseEnd('error', 'interrupted');
      const bound = Math.min(until, deadline);
      const r = await cn.wire.read(bound);
      if (r.kind === 'idle') {
        cn.idle = true;
        return;
      }
      if (r.kind === 'timeout') {
        // The case's limit (not the expectation's wait) ended it while the target kept sending what the
        // conversation cannot use: say so, rather than "nothing within". (Judged by which bound the read had,
        // not by the clock: a timer may fire a millisecond before Date.now() reaches it.)
        if (bound === deadline && cn.stall.bytes > 0) throw deadlineEnd(cn);
        return;
      }
      if (r.kind === 'data') {
        const hadBadVersion = cn.scan.badVersion !== undefined;
        cn.scan.push(r.bytes);
        // After bytes that are not TLS records nothing is read: the case ends on them.
        const got = cn.garbage ? [] : cn.peer.ingest(r.bytes);
        if (cn.peer.version === 'tls13') requireRecordVersions(cn, got);
        if (!hadBadVersion && cn.scan.badVersion !== undefined && !cn.garbage) {
          // RFC 8446 5.1 (wire.ts): a record whose legacy_record_version is not 0x0303 where it must be. Queued before
          // what these bytes hold, so that the case fails on it whatever it expected next; the records stay readable.
          const o: Observation = { kind: 'record_error', alert: 'decode_error', rule: 'RFC 8446 5.1', message: cn.scan.badVersion, epoch: cn.peer.readEpoch };
          cn.queue.push(o);
          record(o, r.bytes);
        }
        for (const o of got) {
          cn.queue.push(o);
          record(o, r.bytes);
          cn.stall.kinds.set(o.kind, (cn.stall.kinds.get(o.kind) ?? 0) + 1);
        }
        // Bytes that are not TLS records are evidence, whatever the record layer made of them (it may still
        // wait for the rest of a "record" whose length is garbage; the close that follows is no plain close).
        if (cn.scan.notTls !== undefined && !cn.garbage) {
          cn.garbage = true;
          if (!got.some((o) => o.kind === 'record_error')) {
            const o: Observation = { kind: 'record_error', alert: 'decode_error', rule: 'RFC 8446 5.1', message: `not a TLS record: ${cn.scan.notTls}`, epoch: 'plaintext' };
            cn.queue.push(o);
            record(o, r.bytes);
          }
        }
        cn.stall.bytes += r.bytes.length;
        if (cn.stall.bytes > LIMITS.stallBytes) throw stallEnd(cn);
        if (Date.now() >= deadline && !done()) throw deadlineEnd(cn);
        continue;
      }
      if (!cn.closedSeen) {
        cn.closedSeen = true;
        // A close inside a record: what came last is not a TLS record (RFC 8446 5.1 framing), and the close
        // is no plain close.
        const cut = cn.garbage ? undefined : cn.scan.partial;
        if (cut !== undefined) {
          cn.garbage = true;
          cn.scan.notTls = `the connection closed inside a record (${cut})`;
          const e: Observation = { kind: 'record_error', alert: 'decode_error', rule: 'RFC 8446 5.1', message: `not a TLS record: ${cn.scan.notTls}`, epoch: 'plaintext' };
          cn.queue.push(e);
          record(e);
        }
        const o: Observation = r.kind === 'eof' ? { kind: 'close', how: 'eof' } : { kind: 'close', how: 'reset', detail: r.detail };
        cn.queue.push(o);
        record(o);
      }
      return;
    }
  }

  /**
   * RFC 8446 5.1: "a record containing a second ClientHello or a ServerHello MUST have version 0x0303". A target
   * server's handshake records, once its ServerHello or HelloRetryRequest selects TLS 1.3 (those seen before
   * included); a target client's, after the records of its initial ClientHello (which MAY be 0x0301).
   */
  function requireRecordVersions(cn: Conn, got: readonly Observation[]): void {
    for (const o of got) {
      if (o.kind !== 'handshake' || !o.msg) continue;
      if (role === 'client' && (o.msg.msg_type === 'server_hello' || o.msg.msg_type === 'hello_retry_request')) {
        if (findExt(o.msg.extensions, 'supported_versions')?.selected_version === 0x0304) cn.scan.requireHandshakeVersion(0, 'ServerHello or HelloRetryRequest');
      } else if (role === 'server' && o.msg.msg_type === 'client_hello') {
        cn.scan.requireHandshakeVersion(cn.scan.handshakeVersions.length, 'after the initial ClientHello');
      }
    }
  }

  /** The conversation moved on: what the target sent so far was no flood. */
  function progressed(cn: Conn): void {
    cn.stall.bytes = 0;
    cn.stall.records = received.records;
    cn.stall.kinds.clear();
  }

  function stallKinds(cn: Conn): string {
    const kinds = [...cn.stall.kinds.entries()].sort((a, b) => b[1] - a[1]);
    const records = received.records - cn.stall.records;
    return `${records} record${records === 1 ? '' : 's'}: ${kinds.length ? kinds.map(([k, n]) => `${n} ${k.replace(/_/g, ' ')}`).join(', ') : 'no complete message'}`;
  }

  /** The target sent more than LIMITS.stallBytes and nothing the conversation could go on with. */
  function stallEnd(cn: Conn): CaseEnd {
    const what = `${cn.stall.bytes} bytes (${stallKinds(cn)})`;
    return new CaseEnd(
      'fail',
      `the target sent ${what} without the conversation moving on (the harness's limit: ${LIMITS.stallBytes} bytes)`,
      `at most ${LIMITS.stallBytes} bytes before the next message the conversation needs`,
      what,
      true,
    );
  }

  /** The case's time limit passed while the target was still sending. */
  function deadlineEnd(cn: Conn): CaseEnd {
    return new CaseEnd(
      'fail',
      `the case did not finish within ${opts.timeoutMs} ms: the target kept sending (${cn.stall.bytes} bytes since the conversation last moved on: ${stallKinds(cn)})`,
      `the case to finish within ${opts.timeoutMs} ms`,
      'the target still sending at the time limit',
    );
  }

  /** The transcript entry of what the target did; bytes are dumped (capped) only where an entry shows them. */
  function record(o: Observation, wireBytes?: Uint8Array): void {
    switch (o.kind) {
      case 'handshake':
        note('received', 'handshake', o.name, {
          detail: o.msg ? describe(o.msg) : { decode_error: o.decodeError, bytes: dump(o.raw).wire, ...(o.raw.length > LIMITS.dumpBytes ? { length: o.raw.length } : {}) },
          epoch: o.epoch,
          ...(o.violation && wireBytes ? dump(wireBytes) : {}),
        });
        if (o.violation) note('note', 'violation', `${o.violation.rule}: ${o.violation.message}`);
        return;
      case 'alert':
        note('received', 'alert', o.name, { detail: { level: nameOf(AlertLevel, o.level, 2) }, epoch: o.epoch });
        return;
      case 'change_cipher_spec':
        note('received', 'change_cipher_spec', 'ChangeCipherSpec', { epoch: o.epoch });
        return;
      case 'application_data':
        note('received', 'application_data', `${o.data.length} bytes`, { detail: printable(o.data), epoch: o.epoch });
        return;
      case 'other':
        note('received', 'record', `content type ${o.type}`, { epoch: o.epoch });
        return;
      case 'record_error':
        note('received', 'record', `unreadable: ${o.message}`, { ...(wireBytes ? dump(wireBytes) : {}), epoch: o.epoch });
        return;
      case 'close':
        note('received', 'close', closeText(o));
    }
  }

  /**
   * The next observation that matters (CCS and, unless wanted, post-handshake tickets are skipped). Bytes
   * the harness cannot read end the case here, whatever the step expected: they are evidence.
   */
  async function next(cn: Conn, until: number, keep: (o: Observation) => boolean = () => false): Promise<Observation | undefined> {
    await drain(cn);
    waitEndedIdle = false;
    for (;;) {
      while (cn.queue.length > 0) {
        const o = cn.queue.shift()!;
        if (o.kind === 'record_error') throw recordErrorEnd(o, cn);
        // TLS 1.2: a ChangeCipherSpec where RFC 5246 7.1 allows none (peer12.ts).
        if (o.kind === 'change_cipher_spec' && o.violation) throw ccsViolationEnd(o.violation);
        // A message that breaks a rule (the peer's checks, peer13.ts) fails the case with that rule, whatever the step expected.
        if (o.kind === 'handshake' && o.violation) throw violationEnd(o);
        if (keep(o)) {
          progressed(cn);
          return o;
        }
        if (o.kind === 'change_cipher_spec') continue;
        if (o.kind === 'handshake' && (o.name === 'NewSessionTicket' || o.name === 'KeyUpdate') && !o.violation && !o.decodeError) {
          if (o.msg) cn.live.see(o.msg, 'target');
          continue;
        }
        progressed(cn);
        return o;
      }
      if (cn.closedSeen || timeUp(cn, until)) return undefined;
      await pump(cn, until, () => cn.queue.length > 0);
      if (cn.queue.length > 0) continue;
      if (cn.idle) {
        // Nothing will come until the harness writes: the wait is over, with nothing (IdleSignal).
        waitEndedIdle = true;
        idleNote(until);
        return undefined;
      }
      if (cn.closedSeen || timeUp(cn, until)) return undefined;
    }
  }

  /** A wait (up to `until`) that ended because the target is idle, in the transcript, with how much of it was left. */
  function idleNote(until: number): void {
    note('note', 'idle', 'the target is idle, waiting for input', { detail: { left_ms: Math.max(0, Math.min(until, deadline) - Date.now()) } });
  }

  /**
   * Whether the wait up to `until` is over. When the case's deadline (not the expectation's wait) is what
   * ended it while the target kept sending what the conversation skips (ChangeCipherSpec, say), the case
   * ends with that, not with "nothing within".
   */
  function timeUp(cn: Conn, until: number): boolean {
    if (Date.now() < Math.min(until, deadline)) return false;
    if (deadline <= until && cn.stall.bytes > 0) throw deadlineEnd(cn);
    return true;
  }

  /** A record the harness cannot read: different keys (the target accepted something), or not TLS at all. */
  function recordErrorEnd(o: Extract<Observation, { kind: 'record_error' }>, cn: Conn): CaseEnd {
    if (cn.scan.notTls !== undefined) {
      return new CaseEnd('fail', `the target sent bytes that are not TLS records: ${cn.scan.notTls}`, 'TLS records', `bytes that are not TLS records (${cn.scan.notTls})`, true);
    }
    if (o.alert === 'bad_record_mac') {
      const what = lastSent ?? 'what the harness sent';
      return new CaseEnd(
        'fail',
        `the target sent a record the harness cannot decrypt: it derived different keys, so it accepted ${what} and went on with keys of its own (${o.message})`,
        undefined,
        `a record that does not decrypt under the keys of the conversation (${o.epoch} epoch)`,
        true,
      );
    }
    return new CaseEnd('fail', `the target's records break ${o.rule}: ${o.message}`, undefined, `an unreadable record (${o.message})`, true);
  }

  function ccsViolationEnd(v: NonNullable<Extract<Observation, { kind: 'change_cipher_spec' }>['violation']>): CaseEnd {
    return new CaseEnd('fail', `ChangeCipherSpec breaks ${v.rule}: ${v.message}${v.alert ? ` (a conforming peer aborts with ${v.alert})` : ''}`, `no ChangeCipherSpec here (${v.rule})`, 'ChangeCipherSpec', true);
  }

  /** A message the target got wrong: a failure with the rule it breaks (evidence, whatever the scenario's level). */
  function violationEnd(o: Extract<Observation, { kind: 'handshake' }>, wanted?: string): CaseEnd {
    if (o.decodeError) return new CaseEnd('fail', `${o.name} does not decode: ${o.decodeError}`, wanted, `undecodable ${o.name}`, true);
    const v = o.violation!;
    return new CaseEnd('fail', `${o.name} breaks ${v.rule}: ${v.message}${v.alert ? ` (a conforming peer aborts with ${v.alert})` : ''}`, `${o.name} as ${v.rule} requires`, `${o.name} (${v.message})`, true);
  }

  function show(o: Observation | undefined, waitedMs: number): string {
    // Truthful about why nothing came: the wait ran out, or the target was proven idle before it did.
    if (!o) return waitEndedIdle ? 'nothing (the target was idle, waiting for input)' : `nothing within ${waitedMs} ms`;
    switch (o.kind) {
      case 'handshake':
        return o.decodeError ? `an undecodable handshake message (${o.decodeError})` : o.name;
      case 'alert':
        return `alert ${o.name}`;
      case 'close':
        return closeText(o);
      case 'record_error':
        return `an unreadable record (${o.message})`;
      case 'application_data':
        return `application data (${o.data.length} bytes)`;
      case 'change_cipher_spec':
        return 'ChangeCipherSpec';
      case 'other':
        return `a record of content type ${o.type}`;
    }
  }

  async function expect(e: Expectation, cn: Conn): Promise<{ lenient?: string } | void> {
    const wait = opts.expectTimeoutMs ?? 3000;
    const until = Date.now() + wait;
    switch (e.kind) {
      case 'messages': {
        for (const [i, m] of e.messages.entries()) {
          const isLast = i === e.messages.length - 1;
          await expectMessage(m, cn, isLast);
        }
        return;
      }
      case 'alert': {
        const want = e.alerts.join(' or ');
        // An aborting target may start its own flight before it sends the alert (after its ServerHello,
        // after its Finished): its handshake messages that break no rule are skipped, and noted.
        const before: string[] = [];
        let o: Observation | undefined;
        for (;;) {
          o = await next(cn, until);
          if (o?.kind !== 'handshake') break;
          if (o.violation || o.decodeError) throw violationEnd(o, `alert ${want}`);
          before.push(o.name);
          if (o.msg) cn.live.see(o.msg, 'target');
          note('note', 'skipped', `${o.name}: the target's own flight, before the expected alert`);
        }
        if (o?.kind === 'alert' && e.alerts.includes(o.name)) return;
        const seen = (before.length > 0 ? `${before.join(', ')}, then ` : '') + show(o, wait);
        // A plain close where an alert was expected is lenient (the abort without its alert). So is a reset read
        // from the socket: the target closed with the harness's records unread, and its kernel says so with a
        // reset instead of a FIN; an alert sent before it would have been read first (the kernel hands queued
        // data out before the reset). A reset that refused one of the harness's writes is not: Node drops the
        // socket with what it held unread, so an alert may be lost (runAll runs such a case again). A crash of a
        // process target is told apart by its exit (takeCrash), whatever the socket showed.
        const closed = (o?.kind === 'close' && !(isReset(o) && cn.writeRefused)) || o?.kind === 'alert';
        if (closed && e.lenient) return { lenient: `expected alert ${want}, got ${seen}` };
        throw new CaseEnd('fail', `expected alert ${want}, got ${seen}`, `alert ${want}`, seen);
      }
      case 'close': {
        const o = await next(cn, until, (x) => x.kind === 'alert');
        // (suite-sa) The close already came, taken by an alert expectation as a lenient plain close.
        if (!o && cn.closedSeen) return;
        if (o?.kind === 'close') return;
        if (o?.kind === 'alert' && o.description === AlertDescription.close_notify) return;
        if (o?.kind === 'alert') {
          // An error alert, then the close.
          const after = await next(cn, until);
          if (!after || after.kind === 'close') return;
          throw new CaseEnd('fail', `expected the connection to close, got ${show(after, wait)}`, 'close', show(after, wait));
        }
        throw new CaseEnd('fail', `expected the connection to close, got ${show(o, wait)}`, 'close', show(o, wait));
      }
      case 'silence': {
        const o = await next(cn, Date.now() + e.ms);
        if (o?.kind === 'handshake' && (o.violation || o.decodeError)) throw violationEnd(o, `silence for ${e.ms} ms`);
        if (o) throw new CaseEnd('fail', `expected silence for ${e.ms} ms, got ${show(o, e.ms)}`, `silence for ${e.ms} ms`, show(o, e.ms));
        if (cn.closedSeen) throw new CaseEnd('fail', `expected silence for ${e.ms} ms, the connection closed`, 'silence', 'close');
        return;
      }
      case 'closure': {
        // RFC 8446 6.1: "Each party MUST send a "close_notify" alert before closing its write side of the
        // connection, unless it has already sent some error alert." Staying open (a half-closed connection) and
        // sending more data are allowed; what is judged is that a close comes only after a close_notify.
        const end = Date.now() + e.ms;
        for (;;) {
          const o = await next(cn, end);
          if (o?.kind === 'handshake' && (o.violation || o.decodeError)) throw violationEnd(o, 'close_notify or nothing');
          if (!o) {
            if (cn.closedSeen && !e.plainClose) throw new CaseEnd('fail', 'the target closed the connection without close_notify', 'close_notify before the close', 'close');
            return;
          }
          if (o.kind === 'alert' && o.description === AlertDescription.close_notify) return;
          if (o.kind === 'close' && e.plainClose) return;
          if (o.kind === 'close') throw new CaseEnd('fail', `the target closed the connection without close_notify (${show(o, wait)})`, 'close_notify before the close', show(o, wait));
          if (o.kind === 'alert' || o.kind === 'record_error') throw new CaseEnd('fail', `expected close_notify or nothing, got ${show(o, wait)}`, 'close_notify or nothing', show(o, wait));
          // Application data, or anything else the target may still send on its open write side: go on.
        }
      }
      case 'application_data': {
        let got = new Uint8Array(0);
        for (;;) {
          const o = await next(cn, until);
          if (o?.kind !== 'application_data') {
            if (o?.kind === 'handshake' && (o.violation || o.decodeError)) throw violationEnd(o, 'application data');
            if (got.length > 0 && !e.data) return;
            throw new CaseEnd('fail', `expected application data, got ${show(o, wait)}`, 'application data', show(o, wait));
          }
          got = Buffer.concat([got, o.data]);
          if (!e.data || got.length >= e.data.length) break;
        }
        if (e.data && Buffer.compare(Buffer.from(got.subarray(0, e.data.length)), Buffer.from(e.data)) !== 0) {
          throw new CaseEnd('fail', `application data differs: got ${JSON.stringify(printable(got))}`, JSON.stringify(printable(e.data)), JSON.stringify(printable(got)));
        }
        return;
      }
      case 'handshake_complete': {
        const p = cn.peer;
        if (p.role === 'client') {
          if (p.handshakeComplete) return;
          throw new CaseEnd('fail', 'the handshake did not complete: no server Finished', 'handshake complete', 'no server Finished');
        }
        if (p.handshakeComplete) return;
        const o = await next(cn, until);
        if (o?.kind === 'handshake' && (o.violation || o.decodeError)) throw violationEnd(o, 'client Finished');
        if (o?.kind === 'handshake' && o.name === 'Finished') return;
        throw new CaseEnd('fail', `expected the client to complete the handshake, got ${show(o, wait)}`, 'client Finished', show(o, wait));
      }
    }
  }

  /** One expected message (or a run of them, or none if optional); returns the last one matched. */
  async function expectMessage(m: MessageExpectation, cn: Conn, isLast: boolean): Promise<Observation | undefined> {
    const wanted = m.names.join(' or ');
    const grace = opts.optionalGraceMs ?? 300;
    const keepWanted = (o: Observation) => o.kind === 'handshake' && m.names.includes(o.name);
    let count = 0;
    let last: Observation | undefined;
    for (;;) {
      // An optional message at the end, or one more of a repeated one, is waited for only briefly.
      const wait = (m.optional && isLast) || count > 0 ? grace : (opts.expectTimeoutMs ?? 3000);
      const o = await next(cn, Date.now() + wait, keepWanted);
      if (o?.kind === 'handshake' && m.names.includes(o.name)) {
        if (o.decodeError || o.violation) throw violationEnd(o, wanted);
        // Live references in `where` see the messages before this one.
        const bad = checkWhere(o.msg!, cn.live.resolveMap(m.where));
        if (bad) throw new CaseEnd('fail', `${o.name}: ${bad}`, `${wanted} where ${JSON.stringify(m.where)}`, bad);
        cn.live.see(o.msg!, 'target');
        count++;
        last = o;
        if (!m.repeat) return last;
        continue;
      }
      // A message the target got wrong fails with its rule, even where the scenario expected something else.
      if (o?.kind === 'handshake' && (o.violation || o.decodeError)) throw violationEnd(o, wanted);
      if (o) cn.queue.unshift(o);
      if (count > 0 || m.optional) return last;
      const seen = show(o, wait);
      throw new CaseEnd('fail', `expected ${wanted}, got ${seen}`, wanted, seen);
    }
  }
}

/** A close as what the target did: a plain close (no alert) or a reset, also when the harness's write failed. */
function closeText(o: Extract<Observation, { kind: 'close' }>): string {
  if (o.how === 'eof') return 'the target closed the connection without an alert';
  // A reset however the harness learnt of it: a read (ECONNRESET), a write refused before any orderly close
  // (EPIPE; a write refused after one is a plain close: wire.ts), or the connect itself.
  if (o.detail === 'ECONNRESET' || o.detail === 'EPIPE') return 'the target reset the connection';
  if (o.detail === 'closed' || o.detail === 'ERR_STREAM_DESTROYED') return 'the target closed the connection without an alert';
  return `the connection failed (${o.detail})`;
}

/** A reset by the target (not a close after which a write of the harness was refused). */
function isReset(o: Extract<Observation, { kind: 'close' }>): boolean {
  return o.how === 'reset' && (o.detail === 'ECONNRESET' || o.detail === 'EPIPE');
}

/**
 * A target whose client runs in this process and hands over the harness's end of its connection at once
 * (ReferenceTarget with inMemory): the case needs no listener and no accept.
 */
interface InProcessClient {
  connectClient?(ctx: TargetCaseContext): Promise<TargetConnection>;
}

/** A target connection reset before the connect completed: a stream that fails with ECONNRESET at once. */
function resetConnection(): TargetConnection {
  const stream = new PassThrough();
  stream.on('error', () => undefined);
  stream.destroy(Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }));
  return { stream, peer: 'the target (reset while connecting)' };
}

/**
 * Run `send` with the record layer's fragment limit raised to `max` (a `record: { max_fragment }` above the limit:
 * records too long on purpose, for record_overflow tests); the limit is restored after. Undefined: as it is.
 */
function oversized(peer: ScriptedPeer, max: number | undefined, send: () => void): void {
  if (max === undefined) return send();
  const saved = peer.rl.maxSendFragment;
  peer.rl.maxSendFragment = max;
  try {
    send();
  } finally {
    peer.rl.maxSendFragment = saved;
  }
}

/**
 * Run `send` with `record: { padding }`: each protected TLS 1.3 record it frames carries that many zero bytes of
 * padding (RFC 8446 5.4: "Implementations MUST set the padding octets to all zeros before encrypting"; the record
 * layer caps it so that TLSInnerPlaintext stays within 2^14 + 1 bytes). Records framed before or after are not padded.
 */
function padded(peer: ScriptedPeer, padding: number | undefined, send: () => void): void {
  if (padding === undefined) return send();
  if (peer.version !== 'tls13') throw new ScenarioRuntimeError('record.padding: TLS 1.3 records only (RFC 8446 5.4)');
  peer.rl.flush();
  const saved = peer.rl.padding;
  peer.rl.padding = () => padding;
  try {
    send();
    peer.rl.flush();
  } finally {
    peer.rl.padding = saved;
  }
}

function tryDecode(bytes: Uint8Array, peer: ScriptedPeer): HandshakeMessage | undefined {
  if (bytes.length < 4) return undefined;
  try {
    const len = (bytes[1] << 16) | (bytes[2] << 8) | bytes[3];
    if (len !== bytes.length - 4) return undefined;
    const suite = peer instanceof ClientPeer12 || peer instanceof ServerPeer12 ? peer.suite : undefined;
    return decodeHandshakeBody(bytes[0], bytes.subarray(4), peer.version === 'tls12' ? { version: 'tls12', keyExchange: suite?.keyExchange ?? undefined } : { version: 'tls13' });
  } catch {
    return undefined;
  }
}

function range(step: number, end: number, start: number): number[] {
  const out: number[] = [];
  for (let i = start; i < end; i += step) out.push(i);
  return out;
}

function printable(b: Uint8Array): string {
  const s = Buffer.from(b.subarray(0, 200)).toString('latin1');
  return /^[\x20-\x7e\r\n\t]*$/.test(s) ? s + (b.length > 200 ? '...' : '') : Buffer.from(b.subarray(0, 64)).toString('hex') + (b.length > 64 ? '...' : '');
}

async function listen(): Promise<Server> {
  const srv = createServer();
  await listenOnLowPort(srv);
  return srv;
}

function acceptOne(srv: Server, deadline: number): Promise<Socket | undefined> {
  return new Promise((resolve) => {
    const t = setTimeout(() => {
      srv.off('connection', on);
      resolve(undefined);
    }, Math.max(0, deadline - Date.now()));
    const on = (s: Socket) => {
      clearTimeout(t);
      srv.off('connection', on);
      s.setNoDelay(true);
      resolve(s);
    };
    srv.on('connection', on);
  });
}

/** Wall time in ms with microseconds (pcapng timestamps). */
const now = () => performance.timeOrigin + performance.now();
let captureSerial = 0;

/**
 * Starts recording a connection's bytes (`run --pcap`). Ports are the sockets' own; a connection without ports
 * (the in-memory reference) gets made-up ones. The harness is the TCP client when the target is a server.
 */
function startCapture(wire: Wire, stream: unknown, targetRole: 'server' | 'client', caseId: string): TcpConversation {
  const sock = stream as { localPort?: number; remotePort?: number };
  const harness = targetRole === 'server' ? 'client' : 'server';
  const target = targetRole;
  const serial = ++captureSerial;
  const local = typeof sock.localPort === 'number' ? sock.localPort : undefined;
  const remote = typeof sock.remotePort === 'number' ? sock.remotePort : undefined;
  const clientPort = (harness === 'client' ? local : remote) ?? 40000 + (serial % 20000);
  const serverPort = (harness === 'client' ? remote : local) ?? 4433;
  const rec: TcpConversation = { clientPort, serverPort, start: now(), segments: [], closes: [], comment: caseId };
  wire.tap = (ev, data) => {
    if (ev === 'eof') rec.closes!.push({ t: now(), from: target });
    else if (data) rec.segments.push({ t: now(), from: ev === 'in' ? target : harness, data });
  };
  return rec;
}
