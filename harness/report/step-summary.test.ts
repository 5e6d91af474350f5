import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { appendStepSummary, fitStepSummary, STEP_SUMMARY_ENV, STEP_SUMMARY_LIMIT } from './step-summary.ts';

let dir: string;
let file: string;
const saved = process.env[STEP_SUMMARY_ENV];
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'step-summary-'));
  file = join(dir, 'step_summary.md');
  process.env[STEP_SUMMARY_ENV] = file;
});
afterEach(() => {
  if (saved === undefined) delete process.env[STEP_SUMMARY_ENV];
  else process.env[STEP_SUMMARY_ENV] = saved;
});

const lines = (n: number, prefix = 'line') => Array.from({ length: n }, (_, i) => `${prefix} ${i} ${'x'.repeat(40)}`).join('\n') + '\n';

describe('fitStepSummary', () => {
  it('keeps a text that fits as it is', () => {
    expect(fitStepSummary('# a\n', 4)).toBe('# a\n');
  });

  it('cuts after a whole line, says so with the file that has it all, and stays within the room', () => {
    const text = lines(1000);
    const out = fitStepSummary(text, 10_000, 'reports/x/summary.md');
    expect(Buffer.byteLength(out)).toBeLessThanOrEqual(10_000);
    expect(Buffer.byteLength(out)).toBeGreaterThan(9_000);
    const [kept, note] = out.split('\n_Cut to fit');
    expect(text.startsWith(kept)).toBe(true);
    expect(kept.endsWith('x\n')).toBe(true);
    expect(note).toMatch(new RegExp(`^ GitHub's 1 MiB step summary limit: the last ${Buffer.byteLength(text) - Buffer.byteLength(kept)} of ${Buffer.byteLength(text)} bytes are left out; the whole summary is in reports/x/summary.md\\._\\n$`));
  });

  it('never splits a multi-byte character, and closes the <details> it leaves open', () => {
    const text = '<details><summary>s</summary>\n\n' + lines(200, 'é€😀') + '</details>\n';
    const out = fitStepSummary(text, 3000);
    expect(Buffer.byteLength(out)).toBeLessThanOrEqual(3000);
    expect(out).not.toContain('\uFFFD');
    expect(out).toMatch(/x\n\n<\/details>\n\n_Cut to fit/);
  });

  it('is empty when not even the note fits', () => {
    expect(fitStepSummary(lines(10), 50)).toBe('');
  });
});

describe('appendStepSummary', () => {
  it('does nothing without $GITHUB_STEP_SUMMARY', () => {
    delete process.env[STEP_SUMMARY_ENV];
    expect(appendStepSummary('# x\n')).toBe('unset');
    process.env[STEP_SUMMARY_ENV] = '';
    expect(appendStepSummary('# x\n')).toBe('unset');
  });

  it('appends, separated by a blank line from what the step wrote before', () => {
    expect(appendStepSummary('# first')).toBe('written');
    expect(appendStepSummary('# second\n')).toBe('written');
    expect(readFileSync(file, 'utf8')).toBe('# first\n\n# second\n');
  });

  it("cuts to what the step's 1 MiB leaves (what is already in the file counts)", () => {
    writeFileSync(file, 'a'.repeat(STEP_SUMMARY_LIMIT - 5_000) + '\n');
    expect(appendStepSummary(lines(1000), { whole: 'summary.md' })).toBe('cut');
    const size = Buffer.byteLength(readFileSync(file));
    expect(size).toBeLessThanOrEqual(STEP_SUMMARY_LIMIT);
    expect(size).toBeGreaterThan(STEP_SUMMARY_LIMIT - 1000);
    const tail = readFileSync(file, 'utf8').slice(-300);
    expect(tail).toMatch(new RegExp(`x\\n\\n_Cut to fit GitHub's 1 MiB step summary limit: the last \\d+ of ${Buffer.byteLength(lines(1000))} bytes are left out; the whole summary is in summary\\.md\\._\\n$`));
  });

  it('a file that cannot be written, or has no room left: one warning line, no exception', () => {
    const warnings: string[] = [];
    const warn = (l: string) => warnings.push(l);
    process.env[STEP_SUMMARY_ENV] = join(dir, 'no-such-dir', 'summary.md');
    expect(appendStepSummary('# x\n', { warn })).toBe('failed');
    process.env[STEP_SUMMARY_ENV] = dir; // a directory
    expect(appendStepSummary('# x\n', { warn })).toBe('failed');
    process.env[STEP_SUMMARY_ENV] = file;
    writeFileSync(file, 'a'.repeat(STEP_SUMMARY_LIMIT));
    expect(appendStepSummary(lines(10), { warn, whole: 'r/summary.md' })).toBe('failed');
    expect(warnings).toHaveLength(3);
    expect(warnings[0]).toMatch(/^tls-harness: warning: cannot append the summary to \$GITHUB_STEP_SUMMARY \(.*no-such-dir.*\): ENOENT/);
    expect(warnings[1]).toMatch(/^tls-harness: warning: cannot append the summary to \$GITHUB_STEP_SUMMARY \(.*\): EISDIR/);
    expect(warnings[2]).toBe(`tls-harness: warning: $GITHUB_STEP_SUMMARY (${file}) has no room left for the summary (GitHub's limit is 1 MiB per step); see r/summary.md`);
    for (const w of warnings) expect(w).not.toContain('\n');
  });

  it('takes the variable from opts.env when given', () => {
    const other = join(dir, 'other.md');
    expect(appendStepSummary('# y\n', { env: { [STEP_SUMMARY_ENV]: other } })).toBe('written');
    expect(readFileSync(other, 'utf8')).toBe('# y\n');
  });
});
