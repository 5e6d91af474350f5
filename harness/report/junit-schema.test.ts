/**
 * junit.xml against harness/report/junit.xsd (the JUnit XML format as Jenkins, GitLab and the GitHub
 * test-report actions read it), checked by xmllint (Debian: libxml2-utils): a real run against the embedded
 * reference, a synthetic report with every verdict and hostile text, and a negative control that shows the
 * check can fail.
 */
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { findBinary } from '../targets/processes.ts';
import { toReportJson } from './json.ts';
import { toJunitXml } from './junit.ts';
import { mergeReports } from './merge.ts';
import { groupRun, makeCase, makeRun, parseXml, transcript } from './testing.ts';

const XSD = fileURLToPath(new URL('./junit.xsd', import.meta.url));
const BIN = fileURLToPath(new URL('../../bin/tls-harness.js', import.meta.url));
const XMLLINT = findBinary('xmllint');
if (!XMLLINT) console.log('junit.xml schema checks skipped: xmllint is not installed (Debian/Ubuntu: apt-get install libxml2-utils)');

const dir = mkdtempSync(join(tmpdir(), 'th-junit-xsd-'));
let n = 0;

/** xmllint's verdict on `xml` (written to a temp file) against junit.xsd. */
function xmllint(xml: string): { ok: boolean; output: string } {
  const file = join(dir, `junit-${++n}.xml`);
  writeFileSync(file, xml);
  return xmllintFile(file);
}

function xmllintFile(file: string): { ok: boolean; output: string } {
  const r = spawnSync(XMLLINT!, ['--noout', '--schema', XSD, file], { encoding: 'utf8' });
  return { ok: r.status === 0, output: (r.stderr + r.stdout).trim() };
}

function expectValid(xml: string): void {
  const r = xmllint(xml);
  expect(r.output).toMatch(/ validates$/);
  expect(r.ok).toBe(true);
}

/** Text with everything that has broken JUnit writers: XML 1.0's forbidden characters, a CDATA end, markup, entities. */
const HOSTILE = `]]> <![CDATA[ x ]]> <tag attr="v"> & &amp; 'apos' "quote" \x00 \x01 \x08 \x0b \x0c \x1b \x7f \x85 \u2028 \uFFFE \uFFFF \uD800 lone \uDFFF \uD83D\uDE00 \r\n\ttab`;

describe.skipIf(!XMLLINT)('junit.xml validates against harness/report/junit.xsd (xmllint)', () => {
  it('the schema itself is well-formed and loads', () => {
    const r = spawnSync(XMLLINT!, ['--noout', XSD], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });

  it('a real run of the whole suite against the embedded reference', () => {
    const out = join(dir, 'reports');
    const r = spawnSync(process.execPath, [BIN, 'run', '--report-dir', out, '--run-id', 'real'], { encoding: 'utf8', timeout: 300_000 });
    expect(r.stderr.split('\n').filter((l) => / at .*\.ts:\d+/.test(l))).toEqual([]);
    expect(r.status).toBe(0);
    const file = join(out, 'real', 'junit.xml');
    const v = xmllintFile(file);
    expect(v.output).toMatch(/ validates$/);
    expect(v.ok).toBe(true);
    const root = parseXml(readFileSync(file, 'utf8'));
    expect(Number(root.attrs.tests)).toBeGreaterThan(500);
    expect(root.attrs.timestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d$/);
  }, 300_000);

  it('every verdict, hostile text in reasons, expected/observed, target output and params, empty fields', () => {
    const output = { source: 'openssl s_server (pid 1)', stdout: `out ${HOSTILE}`, stderr: `err ${HOSTILE}` };
    const run = makeRun(
      [
        makeCase('v-pass', 'pass'),
        makeCase('v-lenient', 'lenient', { reason: HOSTILE, expected: HOSTILE, observed: HOSTILE }),
        makeCase('v-advisory', 'advisory', { reason: HOSTILE, rfc: { doc: 8446, section: '4.2.8', quote: HOSTILE, level: 'may' } }),
        makeCase('v-fail', 'fail', { reason: HOSTILE, expected: HOSTILE, observed: HOSTILE, targetOutput: output }),
        makeCase('v-expected-failure', 'fail', { expectedFailure: HOSTILE, targetOutput: output }),
        makeCase('v-unexpected-pass', 'pass', { expectedFailure: HOSTILE }),
        makeCase('v-unexpected-lenient', 'lenient', { expectedFailure: 'known' }),
        makeCase('v-error', 'error', { reason: HOSTILE, targetOutput: { source: 's', stdout: '', stderr: '' } }),
        makeCase('v-skip', 'skip', { reason: HOSTILE }),
        makeCase('v-promoted', 'fail', { promotedFrom: 'lenient', reason: 'lenient outcome failed under --strict' }),
        // empty and missing things: no reason, no transcript, no params, empty strings
        makeCase('v-empty', 'fail', { reason: undefined, expected: '', observed: '', transcript: [], params: {}, step: undefined }),
        makeCase('v-empty-skip', 'skip', { reason: '', transcript: [] }),
        makeCase('v-empty-error', 'error', { reason: undefined, transcript: [] }),
        // hostile ids, scenario ids, parameter names and values
        makeCase(`v-id ${HOSTILE}`, 'fail', { scenarioId: `scenario ${HOSTILE}`, params: { [`k ${HOSTILE}`]: `v ${HOSTILE}`, n: 0, big: 1e21 } }),
        makeCase('v-transcript', 'fail', { transcript: [...transcript(3), { t: 1, dir: 'note', kind: HOSTILE, name: HOSTILE, detail: { s: HOSTILE } }] }),
        // odd durations: zero, fractional, huge
        makeCase('v-time-0', 'pass', { durationMs: 0 }),
        makeCase('v-time-frac', 'pass', { durationMs: 0.0004 }),
        makeCase('v-time-huge', 'pass', { durationMs: 1e15 }),
      ],
      { target: `tcp://127.0.0.1:4433 ${HOSTILE}`, runId: `run ${HOSTILE}` },
    );
    const xml = toJunitXml(toReportJson(run));
    expectValid(xml);
    const root = parseXml(xml);
    const kinds = Object.fromEntries(root.children.filter((c) => c.name === 'testcase').map((t) => [t.attrs.name, t.children.filter((c) => c.name !== 'properties').map((c) => c.name).join(',')]));
    expect(kinds).toMatchObject({
      'v-pass': '',
      'v-lenient': 'system-out',
      'v-advisory': 'system-out',
      'v-fail': 'failure,system-out',
      'v-expected-failure': 'skipped,system-out',
      'v-unexpected-pass': 'failure',
      'v-unexpected-lenient': 'failure',
      'v-error': 'error,system-out',
      'v-skip': 'skipped',
    });
  });

  it('an empty run, a run that was interrupted, groups in the suite output, a merged report, dates junit cannot show', () => {
    expectValid(toJunitXml(toReportJson(makeRun([]))));
    expectValid(toJunitXml(toReportJson(makeRun([makeCase('a', 'pass')], { interrupted: true }))));
    expectValid(toJunitXml(toReportJson(groupRun())));
    const shard = (runId: string, ids: string[]) => ({ file: `${runId}.json`, report: toReportJson(makeRun(ids.map((id) => makeCase(id, 'fail')), { runId })) });
    expectValid(toJunitXml(mergeReports([shard('s1', ['a', 'c']), shard('s2', ['b'])], { runId: 'merged' })));
    // startedAt that is not a date, or a year junit's timestamp cannot hold: no timestamp rather than a wrong one
    for (const startedAt of ['not a date', '+010000-01-01T00:00:00.000Z', '-000001-01-01T00:00:00.000Z']) {
      const xml = toJunitXml(toReportJson(makeRun([makeCase('a', 'pass')], { startedAt })));
      expectValid(xml);
      expect(parseXml(xml).attrs.timestamp).toBeUndefined();
    }
    // durations that are not numbers (a report.json edited by hand, a clock that jumped): time 0, still valid
    const odd = toReportJson(makeRun([makeCase('a', 'pass')]));
    odd.cases[0].durationMs = Number.NaN;
    odd.finishedAt = 'never';
    expectValid(toJunitXml(odd));
    odd.cases[0].durationMs = Number.POSITIVE_INFINITY;
    expectValid(toJunitXml(odd));
    odd.cases[0].id = '';
    expectValid(toJunitXml(odd));
  });

  it('negative control: xmllint rejects a junit.xml with an attribute of the wrong type, or an element out of place', () => {
    const good = toJunitXml(toReportJson(makeRun([makeCase('a', 'fail'), makeCase('b', 'pass')])));
    expectValid(good);
    const cases: [string, string, RegExp][] = [
      ['tests is not a count', good.replace(/ tests="2"/, ' tests="two"'), /attribute 'tests'.*'two' is not a valid value/],
      ['time with a comma', good.replace(/(<testcase [^>]*time=")0\.013"/, '$10,013"'), /attribute 'time'.*'0,013' is not a valid value/],
      ['negative failures', good.replace(/ failures="1"/, ' failures="-1"'), /attribute 'failures'.*'-1' is not a valid value/],
      ['timestamp with a zone', good.replace(/timestamp="([^"]+)"/, 'timestamp="$1Z"'), /attribute 'timestamp'/],
      ['failure without type', good.replace(/ type="fail"/, ''), /attribute 'type' is required/],
      ['testcase without name', good.replace(/<testcase classname="b" name="b"/, '<testcase classname="b"'), /attribute 'name' is required/],
      ['two results in one case', good.replace(/<\/failure>/, '</failure><skipped/>'), /skipped.*not expected/],
      ['properties after the test cases', good.replace(/<\/testsuite>/, '<properties/></testsuite>'), /properties.*not expected/],
      ['not well-formed', good.replace('<testsuite ', '<testsuite x="\x01" '), /./],
    ];
    for (const [what, xml, message] of cases) {
      expect(xml, what).not.toBe(good);
      const r = xmllint(xml);
      expect(r.ok, `${what}: ${r.output}`).toBe(false);
      expect(r.output, what).toMatch(message);
      expect(r.output, what).toMatch(/fails to validate|parser error/);
    }
  });
});
