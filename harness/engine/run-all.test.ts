import { describe, expect, it } from 'vitest';
import type { CaseResult } from './result.ts';
import { applyExpectedFailure, applyStrict, globMatch, isUnexpected, summarize } from './run-all.ts';

const result = (id: string, verdict: CaseResult['verdict']): CaseResult => ({
  id,
  scenarioId: id.replace(/\[.*$/, ''),
  title: id,
  rfc: { doc: 8446, section: '4', quote: '' },
  verdict,
  params: {},
  durationMs: 1,
  transcript: [],
});

describe('expected failures and the run summary', () => {
  it('matches case ids by glob, brackets literal', () => {
    expect(globMatch('tls13-finished-*', 'tls13-finished-bad-verify-data[cipher_suite=X]')).toBe(true);
    expect(globMatch('*[group=ffdhe2048]', 'a-b[group=ffdhe2048]')).toBe(true);
    expect(globMatch('*[group=ffdhe2048]', 'a-b[group=x25519]')).toBe(false);
    expect(globMatch('tls13-a', 'tls13-ab')).toBe(false);
  });

  it('an expected failure that fails is expected; one that passes is unexpected', () => {
    const list = [{ id: 'x-*', reason: 'known bug' }];
    const failed = applyExpectedFailure(result('x-1', 'fail'), list);
    const passed = applyExpectedFailure(result('x-2', 'pass'), list);
    const other = applyExpectedFailure(result('y-1', 'fail'), list);
    expect(failed.expectedFailure).toBe('known bug');
    expect(isUnexpected(failed)).toBe(false);
    expect(isUnexpected(passed)).toBe(true);
    expect(isUnexpected(other)).toBe(true);
    expect(isUnexpected(result('z', 'skip'))).toBe(false);
    expect(isUnexpected(result('z', 'lenient'))).toBe(false);
    const s = summarize([failed, passed, other, result('s', 'skip'), result('l', 'lenient'), result('e', 'error')]);
    expect(s).toEqual({ total: 6, passed: 1, lenient: 1, advisory: 0, failed: 2, errors: 1, skipped: 1, expectedFailures: 1, unexpectedPasses: 1 });
    // An error is never an expected result, even for a case listed as an expected failure.
    expect(isUnexpected(applyExpectedFailure(result('x-3', 'error'), list))).toBe(true);
  });
});

describe('advisory verdicts and --strict', () => {
  it('an advisory (SHOULD/MAY not followed) is counted apart and does not fail the run', () => {
    const adv = result('m', 'advisory');
    expect(isUnexpected(adv)).toBe(false);
    expect(summarize([adv, result('p', 'pass')])).toMatchObject({ total: 2, passed: 1, advisory: 1, failed: 0 });
  });

  it('--strict turns lenient and advisory into fail, saying what they were; other verdicts stay', () => {
    const lenient = { ...result('l', 'lenient'), reason: 'expected alert decode_error, got alert illegal_parameter' };
    const strictLenient = applyStrict(lenient, true);
    expect(strictLenient).toMatchObject({ verdict: 'fail', promotedFrom: 'lenient', reason: 'lenient (a failure with --strict): expected alert decode_error, got alert illegal_parameter' });
    expect(isUnexpected(strictLenient)).toBe(true);
    expect(applyStrict(result('a', 'advisory'), true)).toMatchObject({ verdict: 'fail', promotedFrom: 'advisory', reason: 'advisory (a failure with --strict)' });
    for (const v of ['pass', 'fail', 'error', 'skip'] as const) expect(applyStrict(result('x', v), true)).toEqual(result('x', v));
    expect(applyStrict(lenient, false)).toBe(lenient);
    // A promoted case can still be listed as an expected failure of the target.
    expect(isUnexpected(applyExpectedFailure(strictLenient, [{ id: 'l', reason: 'known' }]))).toBe(false);
  });
});
