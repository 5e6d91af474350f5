import { describe, expect, it } from 'vitest';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeFileAtomic } from './atomic.ts';
import { readReport } from './json.ts';
import { PARTIAL_FILE, createReportWriter, writeReports } from './write.ts';
import type { ReportCase } from './json.ts';
import { makeCase, makeRun, parseXml, transcript } from './testing.ts';
import type { CaseResult } from '../engine/result.ts';

const tmp = () => mkdtempSync(join(tmpdir(), 'tls-report-'));

describe('writeFileAtomic', () => {
  it('writes strings, bytes and chunk iterables, and replaces the old file', () => {
    const d = tmp();
    const p = join(d, 'sub', 'f.txt');
    writeFileAtomic(p, 'one');
    expect(readFileSync(p, 'utf8')).toBe('one');
    writeFileAtomic(p, new Uint8Array([0x74, 0x77, 0x6f]));
    expect(readFileSync(p, 'utf8')).toBe('two');
    writeFileAtomic(p, ['th', Buffer.from('r'), 'ee']);
    expect(readFileSync(p, 'utf8')).toBe('three');
    expect(readdirSync(join(d, 'sub'))).toEqual(['f.txt']);
  });

  it('a write that throws midway leaves the old file intact and no temporary file behind', () => {
    const d = tmp();
    const p = join(d, 'report.json');
    writeFileAtomic(p, '{"old":true}');
    function* chunks() {
      yield '{"new":';
      yield 'x'.repeat(1 << 20);
      throw new Error('serializer blew up');
    }
    expect(() => writeFileAtomic(p, chunks())).toThrow('serializer blew up');
    expect(readFileSync(p, 'utf8')).toBe('{"old":true}');
    expect(readdirSync(d)).toEqual(['report.json']);
  });

  it('a failing rename (destination is a directory) leaves no temporary file', () => {
    const d = tmp();
    mkdirSync(join(d, 'report.json'));
    writeFileSync(join(d, 'report.json', 'keep'), 'x');
    expect(() => writeFileAtomic(join(d, 'report.json'), 'data')).toThrow();
    expect(readdirSync(d)).toEqual(['report.json']);
  });
});

describe('writeReports', () => {
  it('writes report.json, junit.xml, summary.md and report.html, and can be called again as cases finish', () => {
    const d = tmp();
    const cases: CaseResult[] = [makeCase('b-case', 'pass')];
    const run = makeRun(cases, { interrupted: true });
    const w1 = writeReports(d, run);
    expect(w1.json).toBe(join(d, 'report.json'));
    expect(readReport(w1.json).cases.map((c) => c.id)).toEqual(['b-case']);
    cases.push(makeCase('a-case', 'fail'));
    const w2 = writeReports(d, { ...run, interrupted: false }, { recomputeSummary: true });
    const r = readReport(w2.json);
    expect(r.cases.map((c) => c.id)).toEqual(['b-case', 'a-case']);
    expect(r.summary).toMatchObject({ total: 2, passed: 1, failed: 1 });
    expect(r.interrupted).toBe(false);
    expect(parseXml(readFileSync(w2.junit, 'utf8')).attrs).toMatchObject({ tests: '2', failures: '1' });
    expect(readFileSync(w2.markdown, 'utf8')).toMatch(/^## tls-harness: openssl-3.0: FAILED/);
    expect(w2.html).toBe(join(d, 'report.html'));
    expect(readFileSync(w2.html!, 'utf8')).toContain('"id":"a-case"');
    expect(readdirSync(d).sort()).toEqual(['junit.xml', 'report.html', 'report.json', 'summary.md']);
    // Without html (the writes while a run goes on), report.html is left as it was.
    const w3 = writeReports(d, makeRun([makeCase('c-case', 'pass')]), { html: false });
    expect(w3.html).toBeUndefined();
    expect(readFileSync(join(d, 'report.html'), 'utf8')).not.toContain('"id":"c-case"');
  });

  it('notices a case changed after it was first written', () => {
    const d = tmp();
    const c = makeCase('x', 'pass');
    writeReports(d, makeRun([c]));
    c.verdict = 'fail';
    c.reason = 'changed';
    writeReports(d, makeRun([c]));
    expect(readReport(join(d, 'report.json')).cases[0]).toMatchObject({ verdict: 'fail', reason: 'changed' });
    expect(readFileSync(join(d, 'junit.xml'), 'utf8')).toContain('<failure message="changed"');
  });

  it('is cheap enough to call after every case of a 500-case run', () => {
    const d = tmp();
    const all = Array.from({ length: 500 }, (_, i) =>
      makeCase(`tls13-case-${String(i).padStart(3, '0')}`, (['pass', 'pass', 'fail', 'skip', 'lenient', 'error'] as const)[i % 6], { transcript: transcript(20, 600) }),
    );
    const cold = makeRun(all.map((c) => ({ ...c })));
    let t = performance.now();
    writeReports(d, cold);
    const coldMs = performance.now() - t;
    // Warm: the cached per-case fragments are reused, as when called after each case.
    t = performance.now();
    writeReports(d, cold);
    const warmMs = performance.now() - t;
    const sizes = ['report.json', 'junit.xml', 'summary.md'].map((f) => `${f} ${(readFileSync(join(d, f)).length / 1e6).toFixed(2)} MB`);
    console.log(`writeReports, 500 cases x 20 transcript entries: cold ${coldMs.toFixed(0)} ms, warm ${warmMs.toFixed(0)} ms; ${sizes.join(', ')}`);
    if (process.env.REPORT_BENCH) {
      // Unthrottled, after every case: 500 calls with 1..500 cases (quadratic in bytes written; ~10 s).
      const cases: CaseResult[] = [];
      t = performance.now();
      for (const c of all) {
        cases.push(c);
        writeReports(d, makeRun(cases));
      }
      const incrementalMs = performance.now() - t;
      console.log(`writeReports after each of 500 cases: ${incrementalMs.toFixed(0)} ms total (${(incrementalMs / 500).toFixed(1)} ms per call)`);
    }
    expect(readReport(join(d, 'report.json')).cases).toHaveLength(500);
    expect(warmMs).toBeLessThan(5_000);
    // The same with the rate-limited writer (default: at most one write a second) plus a final flush.
    const writer = createReportWriter(d);
    const again: CaseResult[] = [];
    let writes = 0;
    t = performance.now();
    for (const c of all) {
      again.push(c);
      if (writer.update(makeRun(again))) writes++;
    }
    writer.flush(makeRun(again, { interrupted: true }));
    const throttledMs = performance.now() - t;
    console.log(`createReportWriter, after each of 500 cases + flush: ${throttledMs.toFixed(0)} ms total, ${writes + 1} writes`);
    expect(readReport(join(d, 'report.json'))).toMatchObject({ interrupted: true, summary: { total: 500 } });
  });

  it('createReportWriter: update writes at most once per interval, flush always', () => {
    const d = tmp();
    const w = createReportWriter(d, { minIntervalMs: 60_000 });
    expect(w.update(makeRun([makeCase('a', 'pass')]))).toBe(true);
    expect(w.update(makeRun([makeCase('a', 'pass'), makeCase('b', 'pass')]))).toBe(false);
    expect(readReport(join(d, 'report.json')).cases).toHaveLength(1);
    // report.html (as large as report.json) is not rewritten as cases finish: only by flush (the end, Ctrl-C).
    expect(existsSync(join(d, 'report.html'))).toBe(false);
    const w2 = w.flush(makeRun([makeCase('a', 'pass'), makeCase('b', 'pass')]));
    expect(readReport(join(d, 'report.json')).cases).toHaveLength(2);
    expect(w2.html).toBe(join(d, 'report.html'));
    expect(readFileSync(join(d, 'report.html'), 'utf8')).toContain('"id":"b"');
  });
});

describe('createReportWriter: the journal', () => {
  it('appends each finished case as one line, and flush removes it once report.json is complete', () => {
    const d = tmp();
    const w = createReportWriter(d, { minIntervalMs: 60_000 });
    const a = makeCase('a', 'pass');
    const b = makeCase('b', 'fail');
    w.add(a);
    expect(w.update(() => makeRun([a]))).toBe(true);
    w.add(b);
    // Not rewritten within the interval (the function is not even called) ...
    expect(w.update(() => { throw new Error('not called'); })).toBe(false);
    expect(readReport(join(d, 'report.json')).cases.map((c) => c.id)).toEqual(['a']);
    // ... but the journal has every case that finished, as report.json's case objects.
    const lines = readFileSync(join(d, PARTIAL_FILE), 'utf8').trimEnd().split('\n');
    expect(lines.map((l) => (JSON.parse(l) as ReportCase).id)).toEqual(['a', 'b']);
    expect((JSON.parse(lines[1]) as ReportCase).verdict).toBe('fail');
    w.flush(makeRun([a, b]));
    expect(readReport(join(d, 'report.json')).cases.map((c) => c.id)).toEqual(['a', 'b']);
    expect(readdirSync(d).sort()).toEqual(['junit.xml', 'report.html', 'report.json', 'summary.md']);
  });

  it('waits longer between rewrites when a rewrite is slow (costFactor times its duration)', () => {
    const d = tmp();
    const w = createReportWriter(d, { minIntervalMs: 0, costFactor: 1e9 });
    const big = Array.from({ length: 50 }, (_, i) => makeCase(`c${i}`, 'fail'));
    expect(w.update(makeRun(big))).toBe(true);
    // Any write takes some time; a billion times it is far beyond this test.
    expect(w.update(makeRun(big))).toBe(false);
  });
});
