import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadScenarios } from '../scenario/loader.ts';
import { loadSentenceIndex, sentencesOf } from '../rfc/index.ts';
import { inSection, computeCoverage, formatCoverage, type CoverageReport } from './coverage.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));
const bin = join(root, 'bin/tls-harness.js');

function cli(...args: string[]) {
  const r = spawnSync(process.execPath, [bin, ...args], { cwd: root, encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function scenario(id: string, rfc: string, target = 'server'): string {
  return `id: ${id}\ntitle: a test\nrfc: ${rfc}\ntarget: ${target}\nversions: [tls13]\nsteps: [{ send: ClientHello }, { expect: { alert: illegal_parameter } }]\n`;
}

/**
 * Four scenarios: two cite RFC 8446 4.1.2 (one of them two sentences, one sentence cited twice), one
 * cites RFC 7301 3.2, one RFC 8446 4.4.4.
 */
const dir = mkdtempSync(join(tmpdir(), 'tls-harness-coverage-'));
writeFileSync(
  join(dir, 'a.yaml'),
  scenario(
    'a',
    '{ doc: 8446, section: 4.1.2, level: must, sentences: [rfc8446-4.1.2-14, rfc8446-4.1.2-16], quote: "If a TLS 1.3 ClientHello is received with any other value in this field, the server MUST abort the handshake with an \\"illegal_parameter\\" alert. ... Servers MUST ignore unrecognized extensions." }',
  ),
);
writeFileSync(
  join(dir, 'b.yaml'),
  scenario('b', '{ doc: 8446, section: 4.1.2, level: must, sentences: [rfc8446-4.1.2-16], quote: "Servers MUST ignore unrecognized extensions." }'),
);
writeFileSync(
  join(dir, 'c.yaml'),
  scenario(
    'c',
    '{ doc: 7301, section: 3.2, level: must, sentences: [rfc7301-3.2-2], quote: "In the event that the server supports no protocols that the client advertises, then the server SHALL respond with a fatal \\"no_application_protocol\\" alert." }',
  ),
);
writeFileSync(
  join(dir, 'd.yaml'),
  scenario('d', '{ doc: 8446, section: 4.4.4, level: must, sentences: [rfc8446-4.4.4-1], quote: "Recipients of Finished messages MUST verify that the contents are correct" }'),
);

const loaded = loadScenarios([dir], { traceability: true });

describe('computeCoverage', () => {
  const index = loadSentenceIndex();
  const report = computeCoverage(loaded.scenarios, { uncovered: true });

  it('loads the fixture set without errors', () => {
    expect(loaded.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    expect(report.scenarios).toEqual({ total: 4, citing: 4 });
  });

  it('counts, per section, sentences, testable ones and covered ones, each per level', () => {
    const r8446 = report.rfcs.find((r) => r.doc === 8446)!;
    const s412 = r8446.sections.find((s) => s.section === '4.1.2')!;
    const all = sentencesOf(8446, '4.1.2');
    expect(s412.sentences).toBe(all.length);
    expect(s412.testable).toBe(all.filter((s) => s.testable).length);
    expect(s412.covered).toBe(2); // 14 and 16; 16 is cited twice but counts once
    const musts = all.filter((s) => s.level === 'must');
    expect(s412.byLevel.must).toEqual({ sentences: musts.length, testable: musts.filter((s) => s.testable).length, covered: 2 });
    expect(s412.byLevel.should.covered + s412.byLevel.may.covered).toBe(0);
    expect(s412.byLevel.must.sentences + s412.byLevel.should.sentences + s412.byLevel.may.sentences).toBe(s412.sentences);
    expect(r8446.sections.find((s) => s.section === '4.4.4')!.covered).toBe(1); // d cites 4.4.4-1
  });

  it('totals per RFC and overall, from the index', () => {
    const r8446 = report.rfcs.find((r) => r.doc === 8446)!;
    expect(r8446.sentences).toBe(sentencesOf(8446).length);
    expect(r8446.testable).toBe(sentencesOf(8446).filter((s) => s.testable).length);
    expect(r8446.covered).toBe(3);
    expect(report.rfcs.find((r) => r.doc === 7301)!.covered).toBe(1);
    expect(report.total.sentences).toBe(index.sentences.length);
    expect(report.total.covered).toBe(4);
    expect(report.rfcs.map((r) => r.doc)).toEqual(index.docs.map((d) => d.doc));
  });

  it('lists the uncovered testable sentences, and not the untestable ones', () => {
    const r8446 = report.rfcs.find((r) => r.doc === 8446)!;
    const ids = r8446.uncovered!.map((u) => u.id);
    expect(ids).not.toContain('rfc8446-4.1.2-16');
    expect(ids).toContain('rfc8446-4.1.2-1');
    expect(ids).not.toContain('rfc8446-7.5-3'); // untestable
    expect(ids.length).toBe(r8446.testable - r8446.covered);
  });

  it('filters by RFC', () => {
    const only = computeCoverage(loaded.scenarios, { rfcs: [7301] });
    expect(only.rfcs.map((r) => r.doc)).toEqual([7301]);
    const { sentences, testable, covered, byLevel } = only.rfcs[0];
    expect(only.total).toEqual({ sentences, testable, covered, byLevel });
    expect(only.total.covered).toBe(1);
    expect(only.rfcs[0].uncovered).toBeUndefined();
  });

  it('formats one table per RFC and a total line', () => {
    const text = formatCoverage(computeCoverage(loaded.scenarios, { rfcs: [7301], uncovered: true }));
    const lines = text.trimEnd().split('\n');
    expect(lines[0]).toBe('RFC 7301: TLS Application-Layer Protocol Negotiation Extension (sections 1, 2, 3, 4)');
    expect(lines[1]).toMatch(/^section\s+title\s+sentences\s+testable\s+covered\s+%\s+must\s+should\s+may$/);
    expect(lines.find((l) => l.startsWith('3.2 '))).toMatch(/^3\.2\s+Protocol Selection\s+4\s+4\s+1\s+25%\s+1\/3\s+0\/1\s+0\/0$/);
    expect(lines).toContain('uncovered testable sentences of RFC 7301 (9):');
    expect(lines.at(-1)).toBe('10 normative sentences, 10 testable, 1 covered (10%); must 1/6, should 0/1, may 0/3; 4 of 4 scenarios cite sentence ids');
  });
});

describe('tls-harness coverage', () => {
  it('--json prints one object with the same data', () => {
    const r = cli('coverage', '--scenarios', dir, '--json', '--rfc', '8446,7301');
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as CoverageReport;
    expect(out.rfcs.map((x) => x.doc)).toEqual([8446, 7301]);
    expect(out.total.covered).toBe(4);
    expect(out).toEqual(computeCoverage(loaded.scenarios, { rfcs: [8446, 7301] }));
  });

  it('--uncovered lists id, level and the start of the text', () => {
    const r = cli('coverage', '--scenarios', dir, '--rfc', '7301', '--uncovered');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/\n {2}rfc7301-3\.2-1 {2}should {2}In that case, the server SHOULD select the most highly preferred protocol/);
    expect(r.stdout).not.toContain('rfc7301-3.2-2 ');
  });

  it('--list shows every sentence: covered, testable or untestable, with the scenarios citing it', () => {
    const r = cli('coverage', '--scenarios', dir, '--rfc', '8446', '--list');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/\n {2}\+ rfc8446-4\.1\.2-16 {2}must {4}Servers MUST ignore unrecognized extensions\. {2}\[a, b\]\n/);
    expect(r.stdout).toMatch(/\n {2}- rfc8446-4\.1\.2-1 {2}must {4}When a client first connects/);
    expect(r.stdout).toMatch(/\n {2}x rfc8446-7\.5-3 {2}must {4}Future specifications MUST NOT/);
    const listed = computeCoverage(loaded.scenarios, { rfcs: [8446], list: true }).rfcs[0].list!;
    expect(listed.length).toBe(sentencesOf(8446).length);
    expect(listed.find((l) => l.id === 'rfc8446-4.1.2-16')).toEqual({
      id: 'rfc8446-4.1.2-16',
      level: 'must',
      testable: true,
      scenarios: ['a', 'b'],
      text: 'Servers MUST ignore unrecognized extensions.',
    });
  });

  it('filters by section: the section and its subsections, not a sibling that shares its digits', () => {
    const only = computeCoverage(loaded.scenarios, { rfcs: [8446], sections: ['4.4', 'D'] });
    const r = only.rfcs[0];
    expect(r.scope).toEqual(['4', 'D']);
    expect(r.sections.every((s) => s.section === '4.4' || s.section.startsWith('4.4.') || s.section === 'D' || s.section.startsWith('D.'))).toBe(true);
    const inScope = sentencesOf(8446).filter((s) => /^(4\.4|D)(\.|$)/.test(s.section));
    expect(r.sentences).toBe(inScope.length);
    expect(r.covered).toBe(1); // d cites 4.4.4-1; a and b cite 4.1.2
    expect(inSection('4.2.1', '4.2')).toBe(true);
    expect(inSection('4.2.10', '4.2.1')).toBe(false);
    // An RFC with nothing in the sections is left out.
    expect(computeCoverage(loaded.scenarios, { sections: ['D'] }).rfcs.map((x) => x.doc)).toEqual([8446]);
    const bad = cli('coverage', '--section', 'Z.9');
    expect(bad.stderr).toBe('tls-harness: coverage: --section Z.9: no indexed sentence is in this section\n');
    expect(bad.code).toBe(2);
  });

  it('a usage error is one line and exit 2', () => {
    const r = cli('coverage', '--rfc', '1234');
    expect(r.stderr).toBe('tls-harness: coverage: --rfc 1234: not an indexed RFC (indexed: 8446, 5246, 7627, 5746, 8422, 5077, 7301, 6066)\n');
    expect(r.code).toBe(2);
    const bad = mkdtempSync(join(tmpdir(), 'tls-harness-coverage-bad-'));
    writeFileSync(join(bad, 'x.yaml'), scenario('x', '{ doc: 8446, section: 4.4.4, quote: "Recipients of Finished messages MUST verify ...", sentences: [rfc8446-4.4.4-42] }'));
    const s = cli('coverage', '--scenarios', bad);
    expect(s.stderr).toMatch(/x\.yaml:3:\d+: rfc sentences: 'rfc8446-4\.4\.4-42' is not in the RFC index/);
    expect(s.code).toBe(2);
  });
});
