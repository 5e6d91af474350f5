/**
 * What running a case produces: the verdict, what was expected and what was observed, and the whole
 * conversation decoded. Report writers (harness/report/) consume these.
 */
import type { RfcReference, SourceLocation } from '../scenario/model.ts';
import type { ProbeReport, TrustReport } from '../targets/probe.ts';

/**
 * pass: as expected. lenient: the right outcome but a different alert or a plain close, where the scenario
 * allows it. advisory: the target did not follow a SHOULD or MAY rule (rfc.level should|may): reported with the
 * evidence, never failing the run unless --strict. fail: the target broke a MUST. error: a fault of the harness
 * or of the target's setup. skip: the target lacks a capability the scenario needs.
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
  /** The bytes on the wire, hex (records as sent/received, before decryption). */
  wire?: string;
  /** Record keys the bytes were protected with: plaintext, early, handshake, application. */
  epoch?: string;
}

export interface CaseResult {
  id: string;
  scenarioId: string;
  title: string;
  rfc: RfcReference;
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
  /** What probing the target found (harness/targets/probe.ts), when it was probed. */
  probe?: ProbeReport;
  /** How the target's chain was checked, when not simply against the test CA. */
  trust?: TrustReport;
}
