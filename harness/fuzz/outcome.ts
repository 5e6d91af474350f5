/**
 * Issue 15: the differential oracle's measure. A conversation is played through the engine like any scenario
 * case, against any target, and what the target did is reduced to an outcome class two implementations can be
 * compared on: it completes the conversation, aborts it with an alert (by name), closes it (a close and a reset
 * are one class: Linux resets a connection closed with unread input, so which one the harness sees is timing),
 * stays silent, sends bytes that are not TLS or records the harness cannot decrypt, sends another message than
 * the conversation expects, breaks a rule the harness's own checks enforce, or crashes.
 */
import type { CaseResult } from '../engine/result.ts';
import { runCase, type RunCaseOptions } from '../engine/run-case.ts';
import type { HandshakeMessage } from '../../implementations/reference/codec/handshake.ts';
import type { ScenarioCase } from '../scenario/model.ts';
import type { Target } from '../targets/types.ts';

export type Outcome =
  | { kind: 'completes' }
  | { kind: 'alert'; alert: string }
  | { kind: 'close' }
  | { kind: 'silence' }
  | { kind: 'garbage'; detail: string }
  | { kind: 'sends'; message: string }
  | { kind: 'violation'; detail: string }
  | { kind: 'crash'; detail: string }
  /** The conversation could not be played (the harness could not build a step, or failed itself). */
  | { kind: 'error'; detail: string };

/** Where and why: the step the outcome was decided at, and the reference's rule when it refused. */
export interface Played {
  outcome: Outcome;
  /** Index of the step the case ended at (absent: it completed). */
  step?: number;
  /** The reference only: the rule its endpoint cited ('RFC 8446 4.1.2'), the alert, why. */
  rule?: { rule: string; alert: string; detail: string };
  result: CaseResult;
}

export const outcomeLabel = (o: Outcome): string => (o.kind === 'alert' ? `alert ${o.alert}` : o.kind === 'sends' ? `sends ${o.message}` : o.kind);

const MESSAGE = /^([A-Z][A-Za-z]+)\b/;

/** The outcome class of a case result. */
export function classify(r: CaseResult): Outcome {
  if (r.verdict === 'pass' || r.verdict === 'lenient') return { kind: 'completes' };
  const reason = r.reason ?? '';
  if (r.verdict === 'error' || r.verdict === 'skip') return { kind: 'error', detail: reason };
  if (/the target crashed/.test(reason)) return { kind: 'crash', detail: reason.replace(/^.*the target crashed: /, '') };
  const observed = r.observed ?? reason;
  const alert = /^alert (unknown\(\d+\)|[a-z_0-9]+)/.exec(observed);
  if (alert) return { kind: 'alert', alert: alert[1] };
  if (/closed the connection|reset the connection|connection failed|was already closed/.test(observed)) return { kind: 'close' };
  if (/^nothing\b/.test(observed)) return { kind: 'silence' };
  if (/unreadable record|not TLS|cannot decrypt|undecodable|does not decode|a record of content type/.test(observed + ' ' + reason)) return { kind: 'garbage', detail: observed };
  if (/ breaks RFC| as RFC .* requires/.test(reason + ' ' + (r.expected ?? ''))) return { kind: 'violation', detail: reason };
  if (/^application data/.test(observed)) return { kind: 'sends', message: 'application_data' };
  if (/^ChangeCipherSpec/.test(observed)) return { kind: 'sends', message: 'ChangeCipherSpec' };
  const m = MESSAGE.exec(observed);
  if (m) return { kind: 'sends', message: m[1] };
  return { kind: 'violation', detail: reason };
}

export interface PlayOptions {
  timeoutMs: number;
  expectTimeoutMs: number;
  signal?: AbortSignal;
  onSend?: (stepIndex: number, msg: HandshakeMessage, encrypted: boolean) => void;
  /** fuzz --pcap: the conversation's bytes and key log (RunCaseOptions). */
  capture?: RunCaseOptions['capture'];
  keyLog?: RunCaseOptions['keyLog'];
}

/** A target that can say which rule it refused something by (the embedded reference with recordErrors). */
interface RuleSource {
  takeError?(caseId: string): { rule: string; alert: string; detail: string; origin: string } | undefined;
}

/** Plays one conversation (a case whose id is unique in the run) against a target and classifies what it did. */
export async function play(target: Target, c: ScenarioCase, o: PlayOptions): Promise<Played> {
  const result = await runCase(c, target, { timeoutMs: o.timeoutMs, expectTimeoutMs: o.expectTimeoutMs, optionalGraceMs: Math.min(300, o.expectTimeoutMs), ...(o.signal ? { signal: o.signal } : {}), ...(o.onSend ? { onSend: o.onSend } : {}), ...(o.capture ? { capture: o.capture } : {}), ...(o.keyLog ? { keyLog: o.keyLog } : {}) });
  const err = (target as Target & RuleSource).takeError?.(c.id);
  let outcome = classify(result);
  // The fuzzer's strict bases end with a closure and a close (conversation.ts): a target that sent its
  // close_notify and keeps its side open past the wait completed the conversation all the same (RFC 8446 6.1
  // lets it stay open; silence at that last step is no hang).
  const last = c.steps.at(-1);
  // So did one that stays open when the conversation dropped the harness's close_notify (nothing asked it to
  // close). Not any silence there: a target slow to send its alert (OpenSSL after a KeyUpdate took a second)
  // must not pass for one that completed.
  const seen = (dir: 'sent' | 'received') => (result.transcript ?? []).some((e) => e.dir === dir && e.kind === 'alert' && e.name === 'close_notify');
  if (outcome.kind === 'silence' && result.step?.index === c.steps.length - 1 && last?.kind === 'expect' && last.expect.kind === 'close' && (seen('received') || !seen('sent'))) outcome = { kind: 'completes' };
  return {
    outcome,
    ...(result.step && outcome.kind !== 'completes' ? { step: result.step.index } : {}),
    ...(err && err.origin === 'peer' ? { rule: { rule: err.rule, alert: err.alert, detail: err.detail } } : {}),
    result,
  };
}
