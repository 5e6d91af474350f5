/**
 * junit.xml in the de-facto Jenkins / Maven Surefire format: one <testsuite> root, one <testcase> per case.
 *
 *   pass                       <testcase/> (properties only)
 *   lenient                    passes, with <system-out>lenient: reason, expected, observed</system-out>
 *   advisory                   passes, with <system-out>advisory: ...</system-out> (a SHOULD/MAY deviation)
 *   fail                       <failure message="reason" type="fail">details + transcript</failure>
 *   fail, expected failure     <skipped message="expected failure: ..."/> + details in <system-out>
 *                              (as pytest reports xfail: it does not fail the run, so it must not turn CI red)
 *   pass/lenient, but listed   <failure type="unexpected-pass"> (it fails the run)
 *   as an expected failure
 *   error                      <error message="reason" type="error">details + transcript</error>
 *   skip                       <skipped message="reason"/>
 *
 * The indistinguishability groups, when the run has any, are the suite's <system-out>: one line per group, and
 * what each variant got for a group that differs (its cases are failures like any other).
 *
 * The suite's failures/errors/skipped counts are those of the elements above (so an expected failure is
 * counted in `skipped`, an unexpected pass in `failures`); its time is the run's wall-clock time.
 *
 * The output is valid against harness/report/junit.xsd, the format as Jenkins, GitLab and the GitHub
 * test-report actions read it (junit-schema.test.ts checks it with xmllint): counts are integers, times
 * decimal seconds, the timestamp ISO 8601 without a zone, and text holds no character XML 1.0 forbids.
 */
import type { ReportCase, ReportJson } from './json.ts';
import { isExpectedFailure, isUnexpectedPass } from './json.ts';
import { caseDetailText, oneLine, xmlAttr, xmlText } from './text.ts';
import { groupTable } from '../engine/indist.ts';

export type JunitKind = 'pass' | 'failure' | 'error' | 'skipped';

/** How a case shows in JUnit. */
export function junitKind(c: ReportCase): JunitKind {
  if (isUnexpectedPass(c)) return 'failure';
  if (isExpectedFailure(c)) return 'skipped';
  switch (c.verdict) {
    case 'pass':
    case 'lenient':
    case 'advisory':
      return 'pass';
    case 'fail':
      return 'failure';
    case 'error':
      return 'error';
    case 'skip':
      return 'skipped';
  }
}

/** Seconds as junit.xsd's `seconds` (a non-negative decimal): a duration that is not a finite number is 0. */
const seconds = (ms: number) => (Number.isFinite(ms) ? Math.max(0, ms) / 1000 : 0).toFixed(3);

function prop(name: string, value: string | number): string {
  return `<property name="${xmlAttr(name)}" value="${xmlAttr(String(value))}"/>`;
}

/** One <testcase> element (indented by 2). */
export function junitTestcase(c: ReportCase): string {
  const props = [
    prop('verdict', c.verdict),
    prop('rfc', `RFC ${c.rfc.doc}`),
    prop('rfc.section', c.rfc.section),
    prop('rfc.quote', c.rfc.quote),
    prop('rfc.level', c.rfc.level),
    prop('rfc.url', c.rfc.url),
    ...Object.entries(c.params).map(([k, v]) => prop(`param.${k}`, v)),
  ];
  if (c.expectedFailure) props.push(prop('expectedFailure', c.expectedFailure));
  const inner: string[] = ['    <properties>', ...props.map((p) => '      ' + p), '    </properties>'];
  const reason = oneLine(c.reason ?? c.verdict, 1000);
  switch (junitKind(c)) {
    case 'failure':
      if (isUnexpectedPass(c)) {
        inner.push(
          `    <failure message="${xmlAttr(`unexpected pass: listed as an expected failure (${oneLine(c.expectedFailure ?? '', 500)})`)}" type="unexpected-pass">${xmlText(caseDetailText(c, false))}</failure>`,
        );
      } else {
        inner.push(`    <failure message="${xmlAttr(reason)}" type="fail">${xmlText(caseDetailText(c))}</failure>`);
        if (c.targetOutput) inner.push(`    <system-out>${xmlText(targetOutputText(c.targetOutput))}</system-out>`);
      }
      break;
    case 'error':
      inner.push(`    <error message="${xmlAttr(reason)}" type="error">${xmlText(caseDetailText(c))}</error>`);
      if (c.targetOutput) inner.push(`    <system-out>${xmlText(targetOutputText(c.targetOutput))}</system-out>`);
      break;
    case 'skipped':
      if (isExpectedFailure(c)) {
        inner.push(`    <skipped message="${xmlAttr(`expected failure: ${oneLine(c.expectedFailure ?? '', 500)}`)}"/>`);
        const output = c.targetOutput ? `\n\n${targetOutputText(c.targetOutput)}` : '';
        inner.push(`    <system-out>${xmlText(`expected failure (${c.expectedFailure}), failed as expected:\n${caseDetailText(c)}${output}`)}</system-out>`);
      } else {
        inner.push(`    <skipped message="${xmlAttr(reason)}"/>`);
      }
      break;
    case 'pass':
      if (c.verdict === 'lenient') inner.push(`    <system-out>${xmlText(`lenient: accepted, but not the preferred outcome\n${caseDetailText(c, false)}`)}</system-out>`);
      if (c.verdict === 'advisory') inner.push(`    <system-out>${xmlText(`advisory: the target does not follow a ${c.rfc.level.toUpperCase()} rule (not a failure unless --strict)\n${caseDetailText(c, true)}`)}</system-out>`);
      break;
  }
  return (
    // junit.xsd: a test case's name is not empty (a case id never is, but a report.json edited by hand may have one).
    `  <testcase classname="${xmlAttr(c.scenarioId)}" name="${xmlAttr(c.id || '(no case id)')}" time="${seconds(c.durationMs)}">\n` + inner.join('\n') + '\n  </testcase>'
  );
}

/** The target process's output of a failed case, for <system-out>. */
export function targetOutputText(o: NonNullable<ReportCase['targetOutput']>): string {
  const block = (name: string, text: string) => (text ? `--- ${name} ---\n${text.endsWith('\n') ? text : text + '\n'}` : `--- ${name}: (nothing) ---\n`);
  return `target output, ${o.source}:\n${block('stdout', o.stdout)}${block('stderr', o.stderr)}`;
}

/**
 * `2024-05-01T12:00:00` (UTC, no zone: the Ant format, junit.xsd's `antTimestamp`), or undefined for a date it
 * cannot hold (not a date; a year before 0000 or after 9999, which toISOString writes as -000001 / +010000).
 */
function junitTimestamp(iso: string): string | undefined {
  const t = Date.parse(iso);
  const s = Number.isNaN(t) ? '' : new Date(t).toISOString().slice(0, 19);
  return /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d$/.test(s) ? s : undefined;
}

function wallMs(report: ReportJson): number {
  const a = Date.parse(report.startedAt);
  const b = Date.parse(report.finishedAt);
  if (!Number.isNaN(a) && !Number.isNaN(b) && b >= a) return b - a;
  return report.cases.reduce((s, c) => s + c.durationMs, 0);
}

/** junit.xml from already-rendered <testcase> elements (writeReports caches those between calls). */
export function* junitChunks(report: ReportJson, testcases: readonly string[]): Generator<string> {
  const counts = { failure: 0, error: 0, skipped: 0, pass: 0 };
  for (const c of report.cases) counts[junitKind(c)]++;
  const ts = junitTimestamp(report.startedAt);
  yield '<?xml version="1.0" encoding="UTF-8"?>\n';
  yield `<testsuite name="${xmlAttr(`tls-harness:${report.target}`)}" tests="${report.cases.length}" failures="${counts.failure}" errors="${counts.error}" skipped="${counts.skipped}" time="${seconds(wallMs(report))}"${ts ? ` timestamp="${ts}"` : ''}>\n`;
  const s = report.summary;
  const suiteProps = [
    prop('runId', report.runId),
    prop('target', report.target),
    prop('tool', `${report.tool.name} ${report.tool.version}`),
    prop('startedAt', report.startedAt),
    prop('finishedAt', report.finishedAt),
    prop('interrupted', String(report.interrupted)),
    ...(['total', 'passed', 'lenient', 'advisory', 'failed', 'errors', 'skipped', 'expectedFailures', 'unexpectedPasses'] as const).map((k) => prop(`summary.${k}`, s[k])),
  ];
  yield '  <properties>\n' + suiteProps.map((p) => '    ' + p + '\n').join('') + '  </properties>\n';
  for (const t of testcases) yield t + '\n';
  if (report.groups?.length) yield `  <system-out>${xmlText(groupsText(report.groups))}</system-out>\n`;
  yield '</testsuite>\n';
}

/** The groups as text: `group X: equal (outcome)` or `group X: the variants differ`, then a line per variant. */
export function groupsText(groups: NonNullable<ReportJson['groups']>): string {
  const differ = groups.filter((g) => !g.equal).length;
  const lines = [`indistinguishability groups: ${groups.length} (${differ} differ${differ === 1 ? 's' : ''})`];
  for (const g of groups) {
    lines.push(g.equal ? `group ${g.id}: equal (${g.outcomes.find((o) => o !== null) ?? 'nothing compared'})` : `group ${g.id}: the variants differ`);
    if (!g.equal) for (const l of groupTable(g)) lines.push(`  ${l}`);
    for (const n of g.notes) lines.push(`  note: ${n}`);
  }
  return lines.join('\n') + '\n';
}

/** The whole junit.xml text. */
export function toJunitXml(report: ReportJson): string {
  return [...junitChunks(report, report.cases.map(junitTestcase))].join('');
}
