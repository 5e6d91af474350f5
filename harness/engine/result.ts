/**
 * What running a case produces: the verdict, what was expected and what was observed, and the whole
 * conversation decoded. Report writers (harness/report/) consume these.
 */
import type { RfcReference, Role, SourceLocation } from '../scenario/model.ts';
import type { ProbeReport, TrustReport } from '../targets/probe.ts';

/**
 * pass: as expected. lenient: the right outcome but a different alert or a plain close, where the scenario
 * allows it. advisory: the target did not follow a SHOULD or MAY rule (rfc.level should|may): reported with the
 * evidence, never failing the run unless --strict. fail: the target broke a MUST (or a rule the peer's own
 * checks found, whatever the level). error: a fault of the harness or of the target's setup. skip: the target
 * lacks a capability the scenario needs, or does not complete the unmutated handshake (its positive control).
 */
export type Verdict = 'pass' | 'lenient' | 'advisory' | 'fail' | 'error' | 'skip';

/** One event of the conversation as the harness saw it, in order. */
export interface TranscriptEntry {
  /** ms since the case started. */
  t: number;
  dir: 'sent' | 'received' | 'note';
  /** record | handshake | alert | change_cipher_spec | application_data | close | timeout | raw */
  kind: string;
  /** Message name, alert name, or a short description. */
  name: string;
  /** Decoded fields (JSON-safe: bytes as hex strings), when there are any. */
  detail?: unknown;
  /** The bytes on the wire, hex (records as sent/received, before decryption); at most LIMITS.dumpBytes (limits.ts). */
  wire?: string;
  /** When `wire` was cut: how many bytes there were. */
  wireLength?: number;
  /** Record keys the bytes were protected with: plaintext, early, handshake, application. */
  epoch?: string;
  /** Received entries the same as this one that came right after it are counted here: how many in all. */
  repeat?: number;
  /** With `repeat`: ms since the case started of the last of them. */
  lastT?: number;
  /**
   * A message the harness sent: the fields the scenario's step changed (its `set`, `mutate`, `record` options),
   * as paths into `detail` (see changedFields in mutate.ts). Absent when the step changed nothing.
   */
  changed?: string[];
}

export interface CaseResult {
  id: string;
  scenarioId: string;
  title: string;
  rfc: RfcReference;
  /** The role the target played: `server` (the harness is the client) or `client`. */
  targetRole?: Role;
  /** The scenario's tags. */
  tags?: string[];
  verdict: Verdict;
  /** Why: for fail/lenient/error/skip, one line. */
  reason?: string;
  /** The step where the verdict was decided. */
  step?: { index: number; loc: SourceLocation };
  expected?: string;
  observed?: string;
  /** An expected failure (from the target's config) that matched this case, with its reason. */
  expectedFailure?: string;
  /** With --strict: the verdict this case had before it was promoted to fail (lenient or advisory). */
  promotedFrom?: 'lenient' | 'advisory';
  params: Record<string, string | number>;
  durationMs: number;
  transcript: TranscriptEntry[];
  /** TLS records the target sent in the case (their headers counted on the wire, over all its connections). */
  recordsReceived?: number;
  /** Run a second time (runAll, resetMayHideAlert): the first run's reason, a reset that may have hidden an alert. */
  retried?: string;
  /** For targets that are programs: what the target's process wrote during the case (the last 8 KiB of each). */
  targetOutput?: TargetOutput;
}

/** The output of the target's process (the client, or the server) during one case. */
export interface TargetOutput {
  /** Which process, e.g. `openssl client (pid 1234)`. */
  source: string;
  stdout: string;
  stderr: string;
}

/**
 * The result of one positive control: the unmutated handshake for one configuration (target role, version,
 * harness config), run once per run before the cases that share it.
 */
export interface ControlResult {
  /** The configuration, e.g. `server tls13 {"cipher_suites":["TLS_AES_128_GCM_SHA256"],"groups":["x25519"]}`. */
  key: string;
  /** pass: the target completed it; fail: it did not (its cases skip); error: it could not run (its cases error). */
  verdict: 'pass' | 'fail' | 'error';
  reason?: string;
  durationMs: number;
  /** The cases that used it, in the order they asked. */
  cases: string[];
  /** The conversation, for a control that did not pass. */
  transcript?: TranscriptEntry[];
}

/**
 * An indistinguishability group after the run (harness/engine/indist.ts): the cases of one scenario that
 * differ only in its `indistinguishable` parameters, and what the target observably did in each. The arrays
 * run parallel to `cases`.
 */
export interface GroupResult {
  /** `scenario-id[k=v,...]`: the parameters the group's cases share (the scenario id alone when none). */
  id: string;
  scenarioId: string;
  /** The group's cases that finished, in run order. */
  cases: string[];
  /** Each case's varied parameters, `padding=bad_mac,length=16`. */
  variants: string[];
  /** Each case's observable outcome (outcomeText), or null for a case left out (skip or error: nothing to compare). */
  outcomes: (string | null)[];
  /** ms from the harness's last send to the target's first reaction (or the end): shown, never compared. */
  timesMs: (number | null)[];
  /** Whether every compared outcome is the same (true with fewer than two to compare). */
  equal: boolean;
  /** Cases left out of the comparison, and variants that did not finish (an interrupted run), one line each. */
  notes: string[];
}

export interface RunSummary {
  total: number;
  passed: number;
  lenient: number;
  /** SHOULD/MAY deviations (rfc.level should or may): reported, not failing the run unless --strict. */
  advisory: number;
  failed: number;
  errors: number;
  skipped: number;
  /** Cases listed as expected failures that failed (counted in failed, not unexpected). */
  expectedFailures: number;
  /** Cases listed as expected failures that passed: reported, and they fail the run. */
  unexpectedPasses: number;
}

export interface RunResult {
  runId: string;
  target: string;
  startedAt: string;
  finishedAt: string;
  /** True when the run was interrupted (Ctrl-C): the cases are those that finished. */
  interrupted: boolean;
  summary: RunSummary;
  cases: CaseResult[];
  /** The positive controls run (absent when controls were off). */
  controls?: ControlResult[];
  /** The indistinguishability groups of the run, compared once every case finished (absent when no scenario declares one). */
  groups?: GroupResult[];
  /** What probing the target found (harness/targets/probe.ts), when it was probed. */
  probe?: ProbeReport;
  /** How the target's chain was checked, when not simply against the test CA. */
  trust?: TrustReport;
  /** The command line that started the run, as its arguments (`tls-harness`, `run`, `--target`, ...). */
  command?: string[];
  /** The capabilities the cases ran with. */
  capabilities?: RunCapabilities;
}

/** The capabilities a run's cases ran with (report.json `capabilities`): the target's, after probing and the flags. */
export interface RunCapabilities {
  roles: Role[];
  versions: string[];
  cipher_suites: string[];
  groups: string[];
  signature_schemes: string[];
  features: string[];
  alpn?: string[];
  /** The client role's own lists, where they differ. */
  client?: Partial<Record<'versions' | 'cipher_suites' | 'groups' | 'signature_schemes' | 'features', string[]>>;
}
