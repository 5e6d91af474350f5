import { describe, expect, it } from 'vitest';
import { closeSync, ftruncateSync, mkdtempSync, openSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MAX_DIAGNOSTICS_PER_FILE, MAX_NESTING, MAX_SCENARIO_FILE_BYTES, decodeScenario, firstInvalidUtf8, readScenarioBytes, tooDeepOffset } from './limits.ts';
import { countDiagnostics, formatDiagnostic, loadScenarioFile, loadScenarios, parseScenarioText } from './loader.ts';

const scenarios = fileURLToPath(new URL('../../scenarios/', import.meta.url));

function walk(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(join(dir, e.name)) : /\.ya?ml$/.test(e.name) ? [join(dir, e.name)] : []));
}

describe('scenario file limits', () => {
  it('every scenario of the suite is far inside the limits (size, nesting)', () => {
    const files = walk(scenarios);
    expect(files.length).toBeGreaterThan(10);
    for (const f of files) {
      expect(statSync(f).size, f).toBeLessThan(MAX_SCENARIO_FILE_BYTES / 8);
      expect(tooDeepOffset(readFileSync(f, 'utf8'), 16), f).toBe(-1);
    }
  });

  it('a file over the size limit is refused from its size, without reading it (a 50 MB file)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'th-limits-'));
    const f = join(dir, 'huge.yaml');
    const fd = openSync(f, 'w');
    ftruncateSync(fd, 50 * 1024 * 1024); // sparse: nothing is written
    closeSync(fd);
    const t0 = performance.now();
    const r = loadScenarioFile(f);
    expect(performance.now() - t0).toBeLessThan(200);
    expect(r.diagnostics.map(formatDiagnostic)).toEqual([`${f}: 52428800 bytes: over the limit of 256 KiB for a scenario file (split it into several files)`]);
    expect(readScenarioBytes('/dev/zero')).toBe('not a regular file (a scenario is a .yaml file)');
  });

  it('UTF-8 is checked strictly: the first bad byte, overlong forms and surrogates (RFC 3629 3)', () => {
    const b = (...x: number[]) => Uint8Array.from(x);
    expect(firstInvalidUtf8(Buffer.from('héllo ✓ 𝄞', 'utf8'))).toBe(-1);
    expect(firstInvalidUtf8(b(0x61, 0xff))).toBe(1);
    expect(firstInvalidUtf8(b(0x61, 0xc0, 0xaf))).toBe(1); // overlong '/'
    expect(firstInvalidUtf8(b(0xed, 0xa0, 0x80))).toBe(0); // U+D800
    expect(firstInvalidUtf8(b(0x61, 0xe2, 0x9c))).toBe(1); // truncated
    expect(firstInvalidUtf8(b(0xf4, 0x90, 0x80, 0x80))).toBe(0); // above U+10FFFF
    expect(decodeScenario(Buffer.from([0x69, 0x64, 0x3a, 0x0a, 0x74, 0x3a, 0x20, 0xc3, 0xa9, 0xe9, 0x0a]))).toEqual({
      message: 'byte 0xe9 is not UTF-8: scenario files must be UTF-8 text',
      at: { line: 2, col: 5 },
    });
    expect(decodeScenario(Buffer.from([0xff, 0xfe, 0x69, 0x00]))).toMatchObject({ message: /UTF-16/, at: { line: 1, col: 1 } });
  });

  it('nesting: brackets, compact block lists and indentation count; quotes, comments and block scalars do not', () => {
    expect(tooDeepOffset('a: [[[x]]]\n', 4)).toBe(-1);
    expect(tooDeepOffset('a: [[[[x]]]]\n', 4)).toBe(6); // a: is one level, then 4 brackets
    expect(tooDeepOffset('a:\n  - - - - x\n', 4)).toBe(11);
    expect(tooDeepOffset('a:\n  b:\n    c:\n      d:\n        e: 1\n', 4)).toBe(33); // the ':' of e
    expect(tooDeepOffset('a: "[[[[[[" # [[[[[[\nb: |\n  [[[[[[[[\n  - - - - - -\nc: 1\n', 2)).toBe(-1);
    // Documents start again at zero; an unclosed bracket ends with its document.
    expect(tooDeepOffset('---\na: [\n---\na: [\n---\na: [\n', 2)).toBe(-1);
  });
});

describe('the loader within the limits', () => {
  it('YAML nested 100,000 deep: "nesting too deep" at file:line:col, at once', () => {
    const t0 = performance.now();
    const r = parseScenarioText(`id: x\ntitle: t\nsteps: ${'['.repeat(100_000)}${']'.repeat(100_000)}\n`, 'deep.yaml');
    expect(performance.now() - t0).toBeLessThan(1000);
    expect(r.diagnostics.map(formatDiagnostic)).toEqual([
      `deep.yaml:3:${7 + MAX_NESTING}: nesting too deep: lists and mappings more than ${MAX_NESTING} levels deep (a scenario needs under 10)`,
    ]);
  });

  it('a file at the size limit with ~17,000 errors: the first 50, then one "and N more", counted in full', () => {
    const lines = ['id: many-errors', 'title: t'];
    for (let i = 0, n = 0; n < MAX_SCENARIO_FILE_BYTES - 100; i++) n += lines[lines.push(`unknown${i}: 1`) - 1].length + 1;
    const t0 = performance.now();
    const r = parseScenarioText(lines.join('\n') + '\n', 'many.yaml');
    expect(performance.now() - t0).toBeLessThan(3000);
    expect(r.diagnostics).toHaveLength(MAX_DIAGNOSTICS_PER_FILE + 1);
    const total = countDiagnostics(r.diagnostics).errors;
    expect(total).toBeGreaterThan(15_000);
    expect(formatDiagnostic(r.diagnostics.at(-1)!)).toMatch(new RegExp(`^many\\.yaml:\\d+:1: \\.\\.\\. and ${total - MAX_DIAGNOSTICS_PER_FILE} more errors in this file \\(only the first 50 are shown\\)$`));
  });

  it('many documents with YAML errors, and duplicate keys, stay linear', () => {
    const docs = '---\nfoo: [\n'.repeat(20_000);
    const t0 = performance.now();
    const r = parseScenarioText(docs, 'docs.yaml');
    // (about 0.6 s on an idle machine; the bound leaves room for a loaded CI runner)
    expect(performance.now() - t0).toBeLessThan(5000);
    expect(r.diagnostics).toHaveLength(MAX_DIAGNOSTICS_PER_FILE + 1);
    const keys = Array.from({ length: 15_000 }, (_, i) => `k${i % 7_500}: 1`).join('\n');
    const t1 = performance.now();
    const d = parseScenarioText(keys, 'dups.yaml');
    expect(performance.now() - t1).toBeLessThan(3000);
    expect(formatDiagnostic(d.diagnostics[0])).toBe('dups.yaml:7501:1: Map keys must be unique');
    expect(countDiagnostics(d.diagnostics).errors).toBe(7_500);
  });

  it('non-UTF-8 bytes in a scenario: rejected at file:line:col, never turned into U+FFFD', () => {
    const dir = mkdtempSync(join(tmpdir(), 'th-utf8-'));
    const f = join(dir, 'latin1.yaml');
    writeFileSync(f, Buffer.concat([Buffer.from('id: latin1\ntitle: caf'), Buffer.from([0xe9]), Buffer.from('\n')]));
    expect(loadScenarios([f]).diagnostics.map(formatDiagnostic)).toEqual([`${f}:2:11: byte 0xe9 is not UTF-8: scenario files must be UTF-8 text`]);
  });
});
