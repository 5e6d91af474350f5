import { describe, expect, it } from 'vitest';
import { toReportJson } from './json.ts';
import { README_END, README_START, buildMatrix, matrixMarkdown, matrixOk, matrixReadmeSection, replaceReadmeSection, type MatrixInput } from './matrix.ts';
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

describe('the README section', () => {
  it('shows the totals and each implementation\'s failed cases with their sentence and triage, and replaces only its own section', () => {
    const m = buildMatrix('m7', '2026-12-06T00:00:00Z', '2026-12-06T00:10:00Z', [
      input('gnutls', [makeCase('x', 'fail', { expected: 'alert illegal_parameter', observed: 'alert decode_error', expectedFailure: 'GnuTLS answers decode_error.' }), makeCase('y', 'fail', { expected: 'alert a', observed: 'alert b' }), makeCase('z', 'lenient')], 1),
      input('nss', [makeCase('x', 'fail', { expected: 'alert illegal_parameter', observed: 'alert handshake_failure', expectedFailure: 'NSS too' }), makeCase('y', 'pass'), makeCase('z', 'pass')]),
    ]);
    const section = matrixReadmeSection(m);
    expect(section).toContain('| gnutls | 0 | 1 | 0 | 2 (1) | 0 | 0 |');
    // Per implementation, each failed case with its sentence, what it did, its triage, and who else fails it.
    expect(section).toContain('<summary><b>gnutls</b>: 2 failed cases in 2 scenarios.</summary>');
    expect(section).toContain('- `x`: RFC 8446 4.4.4, "Recipients of Finished messages MUST verify that the contents are correct." Did: alert decode_error (triaged; also nss).');
    expect(section).toContain('- `y`: RFC 8446 4.4.4, "Recipients of Finished messages MUST verify that the contents are correct." Did: alert b (NOT triaged; only here).');
    expect(section).toContain('<summary><b>nss</b>: 1 failed case in 1 scenario.</summary>');
    expect(section).toContain('Did: alert handshake_failure (triaged; also gnutls).');
    expect(section).not.toContain('`z`'); // lenient is not a failure
    // The markers count only alone on a line: a mention in the text is left alone.
    const text = `# T\n\nThe section between \`${README_START}\` and \`${README_END}\`.\n\n${README_START}\nold table\n${README_END}\n\nrest\n`;
    const next = replaceReadmeSection(text, section)!;
    expect(next.startsWith(`# T\n\nThe section between \`${README_START}\` and \`${README_END}\`.\n\n${README_START}\n`)).toBe(true);
    expect(next.endsWith(`${README_END}\n\nrest\n`)).toBe(true);
    expect(next).not.toContain('old table');
    expect(replaceReadmeSection(`only a mention: \`${README_START}\` \`${README_END}\``, section)).toBeUndefined();
  });

  it('groups the variants of a matrix scenario on one line, partly triaged when only some are listed', () => {
    const m = buildMatrix('m8', '2026-12-06T00:00:00Z', '2026-12-06T00:10:00Z', [
      input('wolfssl', [makeCase('s[a=1]', 'fail', { observed: 'alert x', expectedFailure: 'why' }), makeCase('s[a=2]', 'fail', { observed: 'alert y' }), makeCase('t', 'pass')], 1),
    ]);
    const section = matrixReadmeSection(m);
    expect(section).toContain('<summary><b>wolfssl</b>: 2 failed cases in 1 scenario.</summary>');
    expect(section).toContain('- `s` ([a=1], [a=2]): RFC 8446 4.4.4');
    expect(section).toContain('Did: alert x (partly triaged; only here).');
  });
});
