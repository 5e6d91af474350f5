import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../cli.ts';
import { readReport, serializeReport, toReportJson, type ReportJson } from '../report/json.ts';
import { mergeReports } from '../report/merge.ts';
import { groupRun, makeCase, makeRun, parseXml } from '../report/testing.ts';
import { cli } from './serve-testing.ts';
import type { RunResult } from '../engine/result.ts';

let dir: string;
let out: string;
let err: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'merge-'));
  out = '';
  err = '';
  vi.spyOn(process.stdout, 'write').mockImplementation((s) => ((out += String(s)), true));
  vi.spyOn(process.stderr, 'write').mockImplementation((s) => ((err += String(s)), true));
});
afterEach(() => vi.restoreAllMocks());

function shard(name: string, run: RunResult): string {
  const p = join(dir, `${name}.json`);
  writeFileSync(p, serializeReport(toReportJson(run)));
  return p;
}

const shard1 = () =>
  makeRun([makeCase('tls13-c', 'pass'), makeCase('tls13-a', 'fail'), makeCase('tls13-e', 'skip')], {
    runId: 'shard-1',
    startedAt: '2024-05-01T10:00:05.000Z',
    finishedAt: '2024-05-01T10:02:00.000Z',
  });
const shard2 = (extra: Partial<RunResult> = {}) =>
  makeRun([makeCase('tls13-b', 'lenient'), makeCase('tls13-d', 'fail', { expectedFailure: 'known' })], {
    runId: 'shard-2',
    startedAt: '2024-05-01T10:00:00.000Z',
    finishedAt: '2024-05-01T10:01:00.000Z',
    ...extra,
  });

describe('tls-harness merge', () => {
  it('merges two shards: cases in id order, summary recounted, earliest start, latest finish', async () => {
    const a = shard('s1', shard1());
    const b = shard('s2', shard2());
    const o = join(dir, 'merged');
    const code = await main(['merge', o, a, b]);
    expect(err).toBe('');
    expect(code).toBe(1); // tls13-a failed
    expect(out).toMatch(/^merged 2 reports, 5 cases: 1 passed, 1 lenient, 0 advisory, 2 failed \(1 expected\), 0 errors, 1 skipped\n/);
    expect(readdirSync(o).sort()).toEqual(['junit.xml', 'report.html', 'report.json', 'summary.md']);
    expect(out).toContain(`${join(o, 'report.html')}\n`);
    const r = readReport(join(o, 'report.json'));
    // report.html embeds the merged report (the page's data: every case, in id order).
    const html = readFileSync(join(o, 'report.html'), 'utf8');
    const start = html.indexOf('id="report-data">') + 'id="report-data">'.length;
    expect(JSON.parse(html.slice(start, html.indexOf('</script>', start))).cases.map((c: { id: string }) => c.id)).toEqual(r.cases.map((c) => c.id));
    expect(r.cases.map((c) => c.id)).toEqual(['tls13-a', 'tls13-b', 'tls13-c', 'tls13-d', 'tls13-e']);
    expect(r).toMatchObject({
      runId: 'merged',
      target: 'openssl-3.0',
      startedAt: '2024-05-01T10:00:00.000Z',
      finishedAt: '2024-05-01T10:02:00.000Z',
      interrupted: false,
      summary: { total: 5, passed: 1, lenient: 1, advisory: 0, failed: 2, errors: 0, skipped: 1, expectedFailures: 1, unexpectedPasses: 0 },
      mergedFrom: [
        { runId: 'shard-1', file: a },
        { runId: 'shard-2', file: b },
      ],
    });
    const x = parseXml(readFileSync(join(o, 'junit.xml'), 'utf8'));
    expect(x.attrs).toMatchObject({ name: 'tls-harness:openssl-3.0', tests: '5', failures: '1', errors: '0', skipped: '2' });
    expect(x.children.filter((c) => c.name === 'testcase').map((c) => c.attrs.name)).toEqual(['tls13-a', 'tls13-b', 'tls13-c', 'tls13-d', 'tls13-e']);
    const md = readFileSync(join(o, 'summary.md'), 'utf8');
    expect(md).toMatch(/^## tls-harness: openssl-3\.0: FAILED\n/);
    expect(md).toContain('merged from 2 shards');
  });

  it('exit 0 when all as expected; interrupted if any shard was (exit 1); --run-id', async () => {
    const ok = shard('ok', makeRun([makeCase('x-1', 'pass')], { runId: 'r1' }));
    const ok2 = shard('ok2', makeRun([makeCase('x-2', 'skip')], { runId: 'r2' }));
    expect(await main(['merge', join(dir, 'o1'), ok, ok2, '--run-id', 'nightly-42'])).toBe(0);
    expect(readReport(join(dir, 'o1', 'report.json'))).toMatchObject({ runId: 'nightly-42', interrupted: false });
    const cut = shard('cut', makeRun([makeCase('x-3', 'pass')], { interrupted: true }));
    expect(await main(['merge', join(dir, 'o2'), ok, cut])).toBe(1);
    expect(readReport(join(dir, 'o2', 'report.json')).interrupted).toBe(true);
    expect(out).toContain('(interrupted)');
  });

  it('--baseline: exit 1 on regressions, listed', async () => {
    const base = shard('base', makeRun([makeCase('x-1', 'pass'), makeCase('x-2', 'lenient')]));
    const now1 = shard('n1', makeRun([makeCase('x-1', 'pass')]));
    const now2 = shard('n2', makeRun([makeCase('x-2', 'fail', { expectedFailure: undefined })]));
    expect(await main(['merge', join(dir, 'o'), now1, now2, '--baseline', base])).toBe(1);
    expect(out).toContain('1 regression, 0 fixed, 0 new, 0 missing against the baseline\n  regression: x-2: lenient -> fail\n');
  });

  it('usage errors: one line, exit 2', async () => {
    const a = shard('s1', shard1());
    const dup = shard('dup', makeRun([makeCase('tls13-c', 'fail')]));
    const other = shard('other', shard2({ target: 'gnutls' }));
    shard('twice', makeRun([makeCase('x-1', 'pass'), makeCase('x-1', 'fail')]));
    writeFileSync(join(dir, 'pkg.json'), '{"name":"x","version":"1.0.0"}');
    writeFileSync(join(dir, 'v2.json'), JSON.stringify({ ...(JSON.parse(readFileSync(a, 'utf8')) as ReportJson), schemaVersion: 2 }));
    const cases: [string[], string][] = [
      [['merge'], 'merge: expected OUT_DIR and at least one REPORT.json (usage: tls-harness merge OUT_DIR REPORT.json...)'],
      [['merge', join(dir, 'o')], 'merge: expected OUT_DIR and at least one REPORT.json (usage: tls-harness merge OUT_DIR REPORT.json...)'],
      [['merge', a, dup], `merge: the first argument is the output directory, not a report (got '${a}')`],
      [['merge', join(dir, 'o'), a, dup], `merge: case 'tls13-c' is in both ${a} and ${dup} (overlapping shards?)`],
      [['merge', join(dir, 'o'), a, a], `merge: ${a} is given twice`],
      [['merge', join(dir, 'o'), join(dir, 'twice.json')], `merge: case 'x-1' appears twice in ${join(dir, 'twice.json')}`],
      [['merge', join(dir, 'o'), a, other], `merge: the reports are for different targets: 'openssl-3.0' (${a}) and 'gnutls' (${other})`],
      [['merge', join(dir, 'o'), a, join(dir, 'pkg.json')], `${join(dir, 'pkg.json')}: not a tls-harness report (no schemaVersion, or tool.name is not 'tls-harness')`],
      [['merge', join(dir, 'o'), join(dir, 'v2.json')], `${join(dir, 'v2.json')}: report schema version 2 is newer than this tls-harness understands (1); upgrade tls-harness`],
      [['merge', join(dir, 'o'), join(dir, 'missing.json')], `${join(dir, 'missing.json')}: no such file`],
      [['merge', join(dir, 'o'), a, '--baseline', join(dir, 'pkg.json')], `${join(dir, 'pkg.json')}: not a tls-harness report (no schemaVersion, or tool.name is not 'tls-harness')`],
    ];
    for (const [args, msg] of cases) {
      err = '';
      expect(await main(args), args.join(' ')).toBe(2);
      expect(err).toBe(`tls-harness: ${msg}\n`);
    }
    // Nothing was written by the failed merges.
    expect(readdirSync(dir).includes('o')).toBe(false);
  });

  it('mergeReports keeps cases as they were (transcripts included)', () => {
    const r1 = toReportJson(shard1());
    const r2 = toReportJson(shard2());
    const m = mergeReports(
      [
        { report: r1, file: 'a' },
        { report: r2, file: 'b' },
      ],
      { runId: 'm' },
    );
    expect(m.cases.find((c) => c.id === 'tls13-d')).toEqual(r2.cases[1]);
    expect(m.controls).toBeUndefined();
    expect(() => mergeReports([], { runId: 'm' })).toThrow('merge: no reports to merge');
  });

  it('mergeReports keeps whole groups as they were, and compares again a group found in two shards', () => {
    const whole = toReportJson(groupRun());
    const half = (n: number, outcome: string) => {
      const id = `tls13-oracle[pad=${n}]`;
      const r = toReportJson(makeRun([makeCase(id, 'pass')]));
      r.groups = [{ id: 'tls13-oracle', scenarioId: 'tls13-oracle', cases: [id], variants: [`pad=${n}`], outcomes: [outcome], timesMs: [2], equal: true, notes: ['fewer than two variants to compare'] }];
      return r;
    };
    const same = mergeReports(
      [
        { report: whole, file: 'a' },
        { report: half(1, 'alert bad_record_mac (1 record)'), file: 'b' },
        { report: half(2, 'alert bad_record_mac (1 record)'), file: 'c' },
      ],
      { runId: 'm' },
    );
    expect(same.groups!.map((g) => [g.id, g.equal, g.notes])).toEqual([
      ['tls12-robot[suite=a]', true, []],
      ['tls12-robot[suite=b]', false, ['pad=short: left out (skip: the target lacks b)']],
      ['tls13-oracle', true, []],
    ]);
    expect(same.groups![1]).toEqual(whole.groups![1]);
    expect(same.summary).toMatchObject({ total: 7, passed: 4, failed: 2, skipped: 1 });
    const differ = mergeReports(
      [
        { report: half(1, 'alert bad_record_mac (1 record)'), file: 'b' },
        { report: half(2, 'alert decode_error (1 record)'), file: 'c' },
      ],
      { runId: 'm' },
    );
    expect(differ.groups).toEqual([expect.objectContaining({ cases: ['tls13-oracle[pad=1]', 'tls13-oracle[pad=2]'], equal: false, notes: [] })]);
    expect(differ.cases.map((c) => [c.verdict, c.reason])).toEqual([
      ['fail', 'indistinguishability group tls13-oracle: the variants differ'],
      ['fail', 'indistinguishability group tls13-oracle: the variants differ'],
    ]);
    expect(differ.summary).toMatchObject({ total: 2, passed: 0, failed: 2 });
    expect(mergeReports([{ report: toReportJson(shard1()), file: 'a' }], { runId: 'm' }).groups).toBeUndefined();
  });

  it('mergeReports joins the shards\' controls by key: cases together, the worst verdict kept', () => {
    const k1 = 'server tls13 {"groups":["x25519"]}';
    const k2 = 'server tls13 {}';
    const r1 = toReportJson(shard1(), undefined);
    r1.controls = [
      { key: k1, verdict: 'pass', durationMs: 5, cases: ['tls13-a', 'tls13-c'] },
      { key: k2, verdict: 'pass', durationMs: 1, cases: ['tls13-e'] },
    ];
    const r2 = toReportJson(shard2());
    r2.controls = [{ key: k1, verdict: 'fail', reason: 'no ServerHello', durationMs: 7, cases: ['tls13-b'] }];
    const m = mergeReports(
      [
        { report: r1, file: 'a' },
        { report: r2, file: 'b' },
      ],
      { runId: 'm' },
    );
    expect(m.controls).toEqual([
      { key: k1, verdict: 'fail', reason: 'no ServerHello', durationMs: 12, cases: ['tls13-a', 'tls13-c', 'tls13-b'] },
      { key: k2, verdict: 'pass', durationMs: 1, cases: ['tls13-e'] },
    ]);
  });
});

describe('tls-harness merge (process)', () => {
  it('runs from the command line', () => {
    vi.restoreAllMocks();
    const a = shard('p1', makeRun([makeCase('x-1', 'pass')]));
    const b = shard('p2', makeRun([makeCase('x-2', 'pass')]));
    const r = cli('merge', join(dir, 'out'), a, b);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('merged 2 reports, 2 cases: 2 passed');
    const dup = shard('p3', makeRun([makeCase('x-1', 'fail')]));
    const bad = cli('merge', join(dir, 'out'), a, dup);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toBe(`tls-harness: merge: case 'x-1' is in both ${a} and ${dup} (overlapping shards?)\n`);
  });
});

describe('tls-harness merge: probe and trust', () => {
  it('keep the probe and trust of the first shard that has them', async () => {
    const probe = {
      capabilities: { versions: ['tls13' as const], cipher_suites: [], groups: ['x25519'], signature_schemes: [], features: [], alpn: [] },
      handshakes: 19,
      durationMs: 400,
      certificate: null,
      certificates: [],
      notes: [],
    };
    const a = shard('s1', shard1());
    const b = shard('s2', shard2({ probe, trust: { ca: 'ca.pem', verifyChain: true } }));
    const o = join(dir, 'merged-probe');
    await main(['merge', o, a, b]);
    const r = readReport(join(o, 'report.json'));
    expect(r.probe).toEqual(probe);
    expect(r.trust).toEqual({ ca: 'ca.pem', verifyChain: true });
    await main(['merge', join(dir, 'merged-none'), a]);
    expect(readReport(join(dir, 'merged-none', 'report.json')).probe).toBeUndefined();
  });
});
