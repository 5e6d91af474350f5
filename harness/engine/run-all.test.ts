import { describe, expect, it } from 'vitest';
import type { CaseResult } from './result.ts';
import { applyExpectedFailure, applyStrict, globMatch, isUnexpected, runAll, summarize } from './run-all.ts';
import { expandCases, parseScenarioText } from '../scenario/loader.ts';
import { ReferenceTarget } from '../targets/reference.ts';
import { compressionOracle } from './testing.ts';

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

describe('indistinguishability groups in a run', () => {
  // Two variants of one TLS 1.3 refusal: compression method 1 or 2 (RFC 8446 4.1.2: anything but null is
  // illegal_parameter). A conforming server answers both alike; the scripted one below tells them apart.
  const YAML = `id: indist-compression
title: compression methods other than null are refused alike
rfc: { doc: 8446, section: 4.1.2, quote: "q" }
target: server
versions: [tls13]
matrix: { method: [1, 2] }
indistinguishable: true
steps:
  - send: ClientHello
    set: { legacy_compression_methods: ["\${method}"] }
  - expect: { alert: illegal_parameter }
  - expect: close
`;
  const cases = () => {
    const r = parseScenarioText(YAML, 'indist.yaml');
    expect(r.diagnostics).toEqual([]);
    return expandCases(r.scenarios[0]);
  };
  const opts = { timeoutMs: 5000, expectTimeoutMs: 1500, jobs: 1, runId: 't', controls: false as const };

  it('variants that get different alerts fail the group, with the table', async () => {
    const target = await compressionOracle();
    try {
      const run = await runAll(cases(), target, opts);
      expect(run.groups).toHaveLength(1);
      const g = run.groups![0];
      expect(g).toMatchObject({
        id: 'indist-compression',
        cases: ['indist-compression[method=1]', 'indist-compression[method=2]'],
        variants: ['method=1', 'method=2'],
        outcomes: ['alert illegal_parameter, close eof (1 record)', 'alert decode_error, close eof (1 record)'],
        equal: false,
      });
      expect(g.timesMs.every((t) => typeof t === 'number' && t >= 0)).toBe(true);
      // method=2 alone was lenient (another alert than the RFC names); both now fail on the group.
      expect(run.cases.map((c) => c.verdict)).toEqual(['fail', 'fail']);
      expect(run.cases[0].reason).toBe('indistinguishability group indist-compression: the variants differ');
      expect(run.cases[1].observed).toMatch(/^method=1: alert illegal_parameter, close eof \(1 record\), \d+ ms\nmethod=2: alert decode_error, close eof \(1 record\), \d+ ms\nthis case alone: lenient/);
      expect(run.summary).toMatchObject({ total: 2, failed: 2, lenient: 0 });
    } finally {
      await target.stop();
    }
  });

  it('the same scenario against the reference: the variants are equal and keep their verdicts', async () => {
    const target = new ReferenceTarget();
    await target.start();
    try {
      const run = await runAll(cases(), target, opts);
      expect(run.cases.map((c) => [c.verdict, c.reason])).toEqual([
        ['pass', undefined],
        ['pass', undefined],
      ]);
      expect(run.groups).toEqual([
        expect.objectContaining({ id: 'indist-compression', outcomes: Array(2).fill('alert illegal_parameter, close eof (1 record)'), equal: true, notes: [] }),
      ]);
    } finally {
      await target.stop();
    }
  });
});
