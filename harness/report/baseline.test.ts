import { describe, expect, it } from 'vitest';
import { compareToBaseline, describeComparison } from './baseline.ts';
import { serializeReport, toReportJson, validateReport } from './json.ts';
import { makeCase, makeRun } from './testing.ts';
import type { Verdict } from '../engine/result.ts';

const run = (v: Record<string, Verdict>, ef: Record<string, string> = {}) =>
  makeRun(Object.entries(v).map(([id, verdict]) => makeCase(id, verdict, ef[id] ? { expectedFailure: ef[id] } : {})));

describe('compareToBaseline', () => {
  const baseline = validateReport(
    JSON.parse(
      serializeReport(
        toReportJson(
          run({
            'p-f': 'pass',
            'l-f': 'lenient',
            's-e': 'skip',
            'p-e': 'pass',
            'f-p': 'fail',
            'e-l': 'error',
            'f-e': 'fail',
            'p-s': 'pass',
            'p-l': 'lenient',
            'p-xf': 'pass',
            gone: 'pass',
          }),
        ),
      ),
    ),
  );

  it('regressions, fixed, new and missing', () => {
    const current = run(
      {
        'p-f': 'fail',
        'l-f': 'fail',
        's-e': 'error',
        'p-e': 'error',
        'f-p': 'pass',
        'e-l': 'lenient',
        'f-e': 'error',
        'p-s': 'skip',
        'p-l': 'pass',
        'p-xf': 'fail',
        added: 'fail',
      },
      { 'p-xf': 'declared' },
    );
    const c = compareToBaseline(current, baseline);
    expect(c).toEqual({
      regressions: [
        { id: 'l-f', was: 'lenient', now: 'fail' },
        { id: 'p-e', was: 'pass', now: 'error' },
        { id: 'p-f', was: 'pass', now: 'fail' },
        { id: 's-e', was: 'skip', now: 'error' },
      ],
      fixed: [
        { id: 'e-l', was: 'error', now: 'lenient' },
        { id: 'f-p', was: 'fail', now: 'pass' },
      ],
      new: [{ id: 'added', now: 'fail' }],
      missing: [{ id: 'gone', was: 'pass' }],
    });
    expect(describeComparison(c)).toBe('4 regressions, 2 fixed, 1 new, 1 missing against the baseline');
  });

  it('the same run has nothing to report; a report can be the current side too', () => {
    expect(compareToBaseline(baseline, baseline)).toEqual({ regressions: [], fixed: [], new: [], missing: [] });
    expect(describeComparison(compareToBaseline(baseline, baseline))).toBe('0 regressions, 0 fixed, 0 new, 0 missing against the baseline');
  });
});
