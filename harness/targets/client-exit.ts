/**
 * A target client (a program started for a client-role case) that ends before it connects to the
 * harness's listener: the case ends at once, with the program's exit status and last output, instead of
 * waiting for the time limit and saying only "did not connect".
 *
 * - Usually it is a setup problem (a wrong path or option, a missing library, a certificate file it cannot
 *   read): verdict `error`.
 * - Where the case expects the client to refuse (the next expectation is `close` or an alert: a client
 *   asked to resume a session, or to connect again, that gives up), not connecting is a refusal: judged as a
 *   plain close there, `lenient` (a `lenient: false` alert expectation: `fail`).
 */
import type { Socket } from 'node:net';
import type { Expectation } from '../scenario/model.ts';
import type { Verdict } from '../engine/result.ts';
import type { ClientExit, LaunchedClient } from './types.ts';

/** After the client's exit, how long a connection it made just before may still take to be accepted. */
export const ACCEPT_AFTER_EXIT_MS = 150;

/**
 * Wait for the client's connection (`accepted`, undefined at the time limit) or its exit, whichever comes
 * first. An exit we caused (the case ended or timed out) is not the client's: the wait goes on.
 */
export async function acceptOrExit(accepted: Promise<Socket | undefined>, launched: LaunchedClient | void): Promise<{ sock?: Socket; exit?: ClientExit }> {
  if (!launched?.exited) return { sock: await accepted };
  const first = await Promise.race([accepted.then((sock) => ({ sock })), launched.exited.then((exit) => ({ exit }))]);
  if ('sock' in first) return { sock: first.sock };
  if (first.exit.expected) return { sock: await accepted };
  // It may have connected, written and exited before its connection was accepted here.
  let timer: NodeJS.Timeout | undefined;
  const late = await Promise.race([accepted, new Promise<undefined>((r) => (timer = setTimeout(() => r(undefined), ACCEPT_AFTER_EXIT_MS)))]);
  clearTimeout(timer);
  if (late) return { sock: late };
  // A connection that arrives after all is nobody's: close it.
  void accepted.then((s) => s?.destroy());
  return { exit: first.exit };
}

export interface ClientExitOutcome {
  verdict: Verdict;
  reason: string;
  expected: string;
  observed: string;
}

/** The case's end for a client that exited before connecting; `next`: the expectation the case was heading for. */
export function clientExitOutcome(exit: ClientExit, next: Expectation | undefined, connection: number): ClientExitOutcome {
  const what = `the target client ${exit.status} before it connected${connection > 1 ? ` (connection ${connection} of the case)` : ''}`;
  const out = exit.tail ? `; its last output: ${exit.tail}` : '; it wrote nothing';
  const observed = `${exit.status}, no connection`;
  if (next?.kind === 'close' || next?.kind === 'alert') {
    const want = next.kind === 'close' ? 'a close' : `alert ${next.alerts.join(' or ')}`;
    const verdict: Verdict = next.kind === 'alert' && !next.lenient ? 'fail' : 'lenient';
    return { verdict, reason: `${what}: a refusal, where the case expects ${want}${out}`, expected: want, observed };
  }
  return { verdict: 'error', reason: `${what} (a setup problem: check the client command)${out}`, expected: 'a connection', observed };
}

/** The first expectation at or after `from` in `steps` (what the case waits for next). */
export function nextExpectation(steps: readonly { kind: string; expect?: Expectation }[], from: number): Expectation | undefined {
  for (let i = Math.max(0, from); i < steps.length; i++) if (steps[i].kind === 'expect') return steps[i].expect;
  return undefined;
}

/**
 * A crash the target reported only once the case had ended (its exit is seen a moment after the
 * connection closes): the case's result, already decided, becomes a failure naming it. An interruption or
 * a skip stays what it is.
 */
export function withLateCrash(result: { verdict: Verdict; reason?: string; observed?: string; promotedFrom?: unknown }, crash: string | undefined): void {
  if (!crash || result.verdict === 'skip' || (result.verdict === 'error' && result.reason === 'interrupted')) return;
  const what = `the target crashed: ${crash}`;
  if (result.verdict === 'pass') {
    result.verdict = 'fail';
    result.reason = what;
    result.observed = crash;
    return;
  }
  result.reason = result.reason ? `${result.reason}; ${what}` : what;
  if (result.verdict === 'lenient' || result.verdict === 'advisory') result.verdict = 'fail';
}
