/**
 * Issue 15: the differential oracle's measure. A conversation (here: the harness's ClientHello with fuzz
 * mutations) is played through the engine like any scenario case, against any target, and what the target
 * did first is reduced to an outcome class that two implementations can be compared on: the handshake goes on,
 * an alert (by name), a close, a reset, silence, or bytes that are not TLS. The reference's outcome for the same
 * conversation is the ruler: a target that goes on where the reference aborts, or aborts where it goes on, or
 * aborts another way, is a finding.
 */
import type { MutateOp, PeerConfig } from '../scenario/model.ts';
import type { Target } from '../targets/types.ts';
import { runCase } from '../engine/run-case.ts';
import { expectStep, sendStep, testCase } from '../engine/testing.ts';

export type Outcome = { kind: 'continues' } | { kind: 'alert'; alert: string } | { kind: 'close' } | { kind: 'reset' } | { kind: 'silence' } | { kind: 'garbage' } | { kind: 'error'; detail: string };

export const outcomeLabel = (o: Outcome): string => (o.kind === 'alert' ? `alert ${o.alert}` : o.kind === 'error' ? `error (${o.detail})` : o.kind);

/** The outcome class of what a case observed first (the engine's `observed` / `reason` words). */
export function classify(verdict: string, observed: string | undefined, reason: string | undefined): Outcome {
  if (verdict === 'pass') return { kind: 'silence' };
  const text = observed ?? reason ?? '';
  const alert = /\balert ([a-z_]+|unknown\(\d+\))/.exec(text);
  if (alert) return { kind: 'alert', alert: alert[1] };
  if (/reset the connection/.test(text)) return { kind: 'reset' };
  if (/closed the connection/.test(text) || /^close\b/.test(text)) return { kind: 'close' };
  if (/not TLS records|cannot decrypt/.test(text)) return { kind: 'garbage' };
  if (/^(ServerHello|HelloRetryRequest|EncryptedExtensions|Certificate|CertificateVerify|Finished|handshake)/.test(text)) return { kind: 'continues' };
  if (verdict === 'error') return { kind: 'error', detail: reason ?? '' };
  return { kind: 'continues' };
}

/**
 * What the server target does with the harness's ClientHello mutated by `ops`: the first thing it sends (or its
 * silence for `ms`). The case is the scenario `send: ClientHello (mutate: ops)` + `expect: { silence: ms }`, so
 * any answer ends the expectation and is the observation.
 */
export async function clientHelloOutcome(target: Target, ops: readonly MutateOp[], config: PeerConfig, ms = 300): Promise<Outcome> {
  const c = testCase([sendStep('ClientHello', { mutate: [...ops] }), expectStep({ kind: 'silence', ms })], { id: 'fuzz-client-hello', config });
  const r = await runCase(c, target, { timeoutMs: 5000, expectTimeoutMs: ms });
  return classify(r.verdict, r.observed, r.reason);
}
