import { describe, expect, it } from 'vitest';
import { toReportJson } from './json.ts';
import { buildMatrix, matrixMarkdown, matrixOk, type MatrixInput } from './matrix.ts';
import { makeCase, makeRun } from './testing.ts';

const run = (target: string, cases: Parameters<typeof makeRun>[0]) => toReportJson(makeRun(cases, { runId: target, target }));
const input = (target: string, cases: Parameters<typeof makeRun>[0], exitCode = 0): MatrixInput => ({ target, reportDir: target, exitCode, report: run(target, cases) });

describe('buildMatrix', () => {
  it('lists a deviation several targets share once, with all of them, and marks one target\'s own', () => {
    const m = buildMatrix('m', 'a', 'b', [
      input('gnutls', [makeCase('x', 'fail', { expected: 'alert illegal_parameter', observed: 'alert decode_error', expectedFailure: 'RFC 8446 4.1.2 ...' }), makeCase('y', 'pass'), makeCase('z', 'lenient')]),
      input('nss', [makeCase('x', 'fail', { expected: 'alert illegal_parameter', observed: 'alert decode_error', expectedFailure: 'RFC 8446 4.1.2 ...' }), makeCase('y', 'pass'), makeCase('z', 'pass')]),
      input('go', [makeCase('x', 'pass'), makeCase('y', 'skip')]),
    ]);
    expect(m.cases.map((c) => [c.id, c.verdicts])).toEqual([
      ['x', { gnutls: 'fail', nss: 'fail', go: 'pass' }],
      ['y', { gnutls: 'pass', nss: 'pass', go: 'skip' }],
      ['z', { gnutls: 'lenient', nss: 'pass' }],
    ]);
    expect(m.deviations.map((d) => [d.id, d.shared, d.targets.map((t) => t.target)])).toEqual([
      ['x', true, ['gnutls', 'nss']],
      ['z', false, ['gnutls']],
    ]);
    expect(m.deviations[0].targets[0]).toMatchObject({ verdict: 'fail', expected: 'alert illegal_parameter', observed: 'alert decode_error', expectedFailure: 'RFC 8446 4.1.2 ...' });
    expect(matrixOk(m)).toBe(true);
    const md = matrixMarkdown(m);
    expect(md).toContain('### x (shared by 2: gnutls, nss)');
    expect(md).toContain('### z (only gnutls)');
    expect(md).toContain('RFC 8446 4.4.4 (must)');
    expect(md).toMatch(/\| z \| lenient \| pass \| - \|/);
  });

  it('is not ok when a run had unexpected results, did not finish, or left no report', () => {
    const unexpected = buildMatrix('m', 'a', 'b', [input('a', [makeCase('x', 'fail')], 1)]);
    expect(unexpected.targets[0].ok).toBe(false);
    expect(matrixOk(unexpected)).toBe(false);
    const none = buildMatrix('m', 'a', 'b', [input('a', [makeCase('x', 'pass')]), { target: 'b', reportDir: 'b', exitCode: 2, error: "target 'b' is unavailable" }]);
    expect(none.targets.map((t) => t.ok)).toEqual([true, false]);
    expect(matrixMarkdown(none)).toContain("| b | - | - | - | - | - | - | NO: target 'b' is unavailable |");
    const interrupted = input('a', [makeCase('x', 'pass')]);
    interrupted.report!.interrupted = true;
    expect(matrixOk(buildMatrix('m', 'a', 'b', [interrupted]))).toBe(false);
    expect(matrixOk(buildMatrix('m', 'a', 'b', []))).toBe(false);
  });
});
