import { describe, expect, it } from 'vitest';
import { auditPropertyTests, HELPER_PATH, REPO_ROOT, repoSources, type Source } from './fc-audit.ts';

const HEADER = `import { describe, it } from 'vitest';\nimport fc from 'fast-check';\nimport { fcParams, fcTimeout } from './fc.ts';\n`;

/** Audits one test file in the helper's folder (plus `more` files), and returns the problems. */
function audit(body: string, more: Source[] = [], header = HEADER): string[] {
  return auditPropertyTests([{ path: 'implementations/reference/codec/x.test.ts', text: header + body }, ...more]).problems;
}

describe('every property test in the repository uses the shared settings (fc.ts)', () => {
  it('no fc.assert bypasses fcParams, no property test lacks an fcTimeout timeout', () => {
    const sources = repoSources(REPO_ROOT);
    const r = auditPropertyTests(sources);
    expect(r.problems).toEqual([]);
    // The audit found what a plain search finds (so it does not pass by finding nothing).
    const code = (s: Source) => s.text.split('\n').filter((l) => !/^\s*(\*|\/\/|\/\*)/.test(l));
    const grep = sources
      .filter((s) => s.path !== 'implementations/reference/codec/fc-audit.test.ts')
      .reduce((n, s) => n + code(s).reduce((k, l) => k + (l.match(/\bfc\.(assert|check)\(/g)?.length ?? 0), 0), 0);
    expect(grep).toBeGreaterThan(0);
    expect(r.asserts).toBe(grep);
    expect(r.propertyTests).toBeGreaterThanOrEqual(grep - 10); // a few tests run several properties
    expect(sources.some((s) => s.path === HELPER_PATH)).toBe(true);
    expect(sources.some((s) => s.path.includes('node_modules'))).toBe(false);
  });
});

describe('the audit itself', () => {
  const ok = `it('p', () => {\n  fc.assert(\n    fc.property(fc.integer(), (n) => n === n),\n    fcParams(10),\n  );\n}, fcTimeout(10));\n`;

  it('accepts fcParams(n), { ...fcParams(n), other options }, and a timeout in an options object', () => {
    expect(audit(ok)).toEqual([]);
    expect(audit(`it('p', () => { fc.assert(fc.property(fc.nat(), () => true), { ...fcParams(5), verbose: 1 }); }, fcTimeout(5));`)).toEqual([]);
    expect(audit(`it('p', { timeout: fcTimeout(5) }, () => { fc.assert(fc.property(fc.nat(), () => true), fcParams(5)); });`)).toEqual([]);
    expect(audit(`it.each([1, 2])('p %i', (k) => { fc.assert(fc.property(fc.nat(), () => k > 0), fcParams(5)); }, fcTimeout(5));`)).toEqual([]);
    expect(audit(`it('no property', () => { fc.sample(fc.nat(), { numRuns: 3, seed: 1 }); });`)).toEqual([]);
  });

  it("counts the fuzzer's fc.check (its engine, with the user's seed and path) without judging it", () => {
    const engine = { path: 'harness/fuzz/fuzz.ts', text: `import fc from 'fast-check';\nexport async function fuzz() { return fc.check(fc.property(fc.nat(), () => true), { seed: 1, path: '3' }); }\n` };
    const caller = { path: 'harness/fuzz/fuzz.test.ts', text: `import { it } from 'vitest';\nimport { fuzz } from './fuzz.ts';\nit('f', async () => { await fuzz(); });\n` };
    const r = auditPropertyTests([engine, caller]);
    expect(r.problems).toEqual([]);
    expect(r.asserts).toBe(1);
    // The same call anywhere else is judged.
    expect(auditPropertyTests([{ ...engine, path: 'harness/fuzz/other.ts' }]).problems).toHaveLength(1);
  });

  it('finds parameters that bypass fcParams, however they are written', () => {
    const cases: [string, RegExp][] = [
      [`fc.assert(fc.property(fc.nat(), () => true));`, /:4:1: fc\.assert has no parameters/],
      [`fc.assert(fc.property(fc.nat(), () => true), { numRuns: Number(process.env.FC_NUM_RUNS ?? 200) });`, /:4:1: fc\.assert takes \{ numRuns: Number\(process\.env\.FC_NUM_RUNS/],
      [`const FC = { seed: 1, numRuns: 5 };\nfc.assert(\n  fc.property(fc.nat(), () => true),\n  FC,\n);`, /:5:1: fc\.assert takes FC instead/],
      [`fc.assert(fc.property(fc.nat(), () => true), { ...fcParams(5), seed: 0x5eed });`, /overrides what fcParams decides \(seed: 0x5eed\)/],
      [`fc.assert(fc.property(fc.nat(), () => true), { ...FC, numRuns: 30 });`, /fc\.assert takes \{ \.\.\.FC, numRuns: 30 \} instead/],
      [`fc.assert(fc.property(fc.nat(), () => true), { ...fcParams(5), ...FC });`, /overrides what fcParams decides \(\.\.\.FC\)/],
      [`fc.assert(fc.property(fc.nat(), () => true), { ...fcParams(5), plugins: [] });`, /overrides what fcParams decides \(plugins/],
      [`fc.check(fc.property(fc.nat(), () => true), { numRuns: 5 });`, /fc\.check takes/],
      [`fc.configureGlobal({ seed: 1 });`, /fc\.configureGlobal changes every property/],
    ];
    for (const [body, want] of cases) {
      const problems = audit(body);
      expect(problems, body).toHaveLength(1);
      expect(problems[0], body).toMatch(want);
      expect(problems[0]).toMatch(/^implementations\/reference\/codec\/x\.test\.ts:\d+:\d+: /);
    }
  });

  it('follows how fast-check and fcParams are imported', () => {
    const ns = `import * as fast from 'fast-check';\nimport { fcParams as p } from './fc.ts';\n`;
    expect(audit(`fast.assert(fast.property(fast.nat(), () => true), p(5));`, [], ns)).toEqual([]);
    expect(audit(`fast.assert(fast.property(fast.nat(), () => true), { numRuns: 5 });`, [], ns)).toHaveLength(1);
    const named = `import { assert as check, property, nat } from 'fast-check';\n`;
    expect(audit(`check(property(nat(), () => true), { seed: 3 });`, [], named)).toHaveLength(1);
    // An fcParams of its own (not fc.ts's) does not count.
    const local = `import fc from 'fast-check';\nconst fcParams = (n: number) => ({ numRuns: n, seed: 1 });\n`;
    expect(audit(`fc.assert(fc.property(fc.nat(), () => true), fcParams(5));`, [], local)[0]).toMatch(/fc\.assert takes fcParams\(5\) instead/);
    // fc.ts imported from another folder is fc.ts.
    const other = `import fc from 'fast-check';\nimport { fcParams } from '../../reference/codec/fc.ts';\n`;
    expect(
      auditPropertyTests([{ path: 'implementations/other/y/z.ts', text: `${other}fc.assert(fc.property(fc.nat(), () => true), fcParams(5));` }]).problems,
    ).toEqual([]);
  });

  it('finds property tests without an fcTimeout timeout, through helper functions in other files', () => {
    expect(audit(`it('p', () => { fc.assert(fc.property(fc.nat(), () => true), fcParams(5)); });`)[0]).toMatch(
      /:4:1: test 'p' runs a property but its timeout is not fcTimeout/,
    );
    expect(audit(`it('p', () => { fc.assert(fc.property(fc.nat(), () => true), fcParams(5)); }, 60_000);`)).toHaveLength(1);
    const harness: Source = {
      path: 'implementations/reference/codec/h.ts',
      text: `import fc from 'fast-check';\nimport { fcParams } from './fc.ts';\nexport function inner(n: number) { fc.assert(fc.property(fc.nat(), () => true), fcParams(n)); }\nexport const outer = (n: number) => inner(n);\n`,
    };
    const body = `import { outer } from './h.ts';\nit('via outer', () => { outer(3); });\nit('via outer, scaled', () => { outer(3); }, fcTimeout(3));\nit('not a property', () => { other(3); });\n`;
    const problems = audit(body, [harness]);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/x\.test\.ts:5:1: test 'via outer' runs a property/);
    const r = auditPropertyTests([{ path: 'implementations/reference/codec/x.test.ts', text: HEADER + body }, harness]);
    expect(r.propertyTests).toBe(2);
    expect(r.asserts).toBe(1);
    // Through a file that mentions neither fast-check nor fc.ts, into a test file that does not either.
    const mid: Source = { path: 'implementations/other/mid.ts', text: `import { outer } from '../reference/codec/h.ts';\nexport function viaMid() { outer(2); }\n` };
    const plain: Source = { path: 'implementations/other/p.test.ts', text: `import { it } from 'vitest';\nimport { viaMid } from './mid.ts';\nit('deep', () => viaMid());\n` };
    expect(auditPropertyTests([plain, mid, harness]).problems).toEqual([`implementations/other/p.test.ts:3:1: test 'deep' runs a property but its timeout is not fcTimeout(defaultRuns) from fc.ts`]);
  });
});
