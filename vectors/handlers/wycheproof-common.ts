/**
 * Shared bits of the asymmetric Wycheproof handlers (xdh, ecdh, ecdsa, eddsa, rsaes-pkcs1, rsassa-pss,
 * rsassa-pkcs1): hex decoding and the valid / invalid / acceptable verdict.
 *
 * Verdict: a `valid` test passes only if our provider accepts it (with the expected output); an `invalid`
 * test passes only if it is rejected; an `acceptable` test follows the policy stated in each handler.
 */
import type { TestOutcome } from '../runner.ts';

export type WycheproofResult = 'valid' | 'invalid' | 'acceptable';

export interface WycheproofTest {
  tcId: number;
  comment: string;
  flags: string[];
  result: WycheproofResult;
  [key: string]: unknown;
}

export interface WycheproofGroup<T = WycheproofTest> {
  tests: T[];
  [key: string]: unknown;
}

export const hex = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s, 'hex'));
export const toHex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

/** The outcome of a test whose input our provider `accepted` or not (`why`: what happened). */
export function verdict(t: WycheproofTest, accepted: boolean, why: string, acceptable?: () => TestOutcome): TestOutcome {
  const id = String(t.tcId);
  const label = `${t.comment}${t.flags.length ? ` [${t.flags.join(',')}]` : ''}`;
  if (t.result === 'valid')
    return accepted ? { id, outcome: 'passed' } : { id, outcome: 'failed', reason: `valid test rejected: ${why} (${label})` };
  if (t.result === 'invalid')
    return accepted ? { id, outcome: 'failed', reason: `invalid test accepted: ${why} (${label})` } : { id, outcome: 'passed' };
  if (acceptable) return acceptable();
  return { id, outcome: 'passed', reason: `acceptable: ${accepted ? 'accepted' : 'rejected'} (${why})` };
}

export const errorText = (e: unknown): string =>
  e instanceof Error ? `${(e as { code?: string }).code ? `${(e as { code?: string }).code}: ` : ''}${e.message}` : String(e);
