/**
 * summary.md: a Markdown summary for CI step summaries ($GITHUB_STEP_SUMMARY) and pull-request comments.
 * A headline with the status word (PASSED, FAILED, INTERRUPTED), the counts, then tables: unexpected passes,
 * failures and errors, expected failures, the controls that did not pass, the indistinguishability groups
 * (with what each variant got, for those that differ), the transcript of each failure and error in a collapsed
 * <details>, then lenient and skipped cases (collapsed). Kept under a byte budget (default 60 000 bytes,
 * below GitHub's 65 536-character comment limit) by dropping what does not fit, with a note.
 */
import type { TranscriptEntry } from '../engine/result.ts';
import type { ReportCase, ReportJson } from './json.ts';
import { isExpectedFailure, isUnexpectedPass, summaryOk } from './json.ts';
import { oneLine } from './text.ts';

export const MARKDOWN_LIMIT = 60_000;

export interface MarkdownOptions {
  /** Byte budget for the whole file (UTF-8). */
  limitBytes?: number;
  /** Transcript rows shown per failure. */
  transcriptRows?: number;
}

/** Escapes text for a Markdown table cell (also safe as inline text): no raw HTML, pipes or newlines. */
export function mdCell(s: string, max = 200): string {
  return oneLine(s, max)
    .replace(/[&<>]/g, (c) => (c === '&' ? '&amp;' : c === '<' ? '&lt;' : '&gt;'))
    .replace(/([\\`*_[\]|#~])/g, '\\$1');
}

/** A code span that cannot be broken by backticks in the text. */
function code(s: string): string {
  const t = oneLine(s, 200).replace(/\|/g, '\\|');
  return t.includes('`') ? '`` ' + t + ' ``' : '`' + t + '`';
}

function rfcLink(c: ReportCase): string {
  return `[RFC ${c.rfc.doc} ${mdCell(c.rfc.section, 40)}](${c.rfc.url})`;
}

function verdictLabel(c: ReportCase): string {
  if (isUnexpectedPass(c)) return `unexpected ${c.verdict}`;
  if (isExpectedFailure(c)) return 'fail (expected)';
  return c.verdict;
}

class Budget {
  used = 0;
  readonly parts: string[] = [];
  constructor(readonly limit: number) {}
  fits(s: string): boolean {
    return this.used + Buffer.byteLength(s, 'utf8') <= this.limit;
  }
  /** Appends `s` if it fits; returns whether it did. */
  add(s: string): boolean {
    if (!this.fits(s)) return false;
    this.parts.push(s);
    this.used += Buffer.byteLength(s, 'utf8');
    return true;
  }
  /** Always appends (for the notes, paid for by the reserve). */
  force(s: string): void {
    this.parts.push(s);
    this.used += Buffer.byteLength(s, 'utf8');
  }
}

const RESERVE = 2000;
const TRUNCATED = (n: number, what: string) => `\n_Truncated: ${n} more ${what} not shown (size limit); see report.json and junit.xml._\n`;

function table(b: Budget, title: string, head: string[], rows: string[][], what: string, reasonNote?: string): void {
  if (rows.length === 0) return;
  const header = `\n### ${title} (${rows.length})\n\n${reasonNote ? reasonNote + '\n\n' : ''}| ${head.join(' | ')} |\n|${head.map(() => ' --- ').join('|')}|\n`;
  if (!b.add(header)) {
    b.force(TRUNCATED(rows.length, what));
    return;
  }
  for (let i = 0; i < rows.length; i++) {
    if (!b.add(`| ${rows[i].join(' | ')} |\n`)) {
      b.force(TRUNCATED(rows.length - i, what));
      return;
    }
  }
}

function caseRow(c: ReportCase, reason: string | null = c.reason): string[] {
  return [verdictLabel(c), code(c.id), rfcLink(c), mdCell(reason ?? '')];
}

function transcriptTable(t: readonly TranscriptEntry[], maxRows: number): string {
  const rows = t.slice(0, maxRows).map((e) => `| ${Math.round(e.t)} | ${e.dir} | ${mdCell(e.kind, 40)} | ${mdCell(e.name, 80)} | ${mdCell(e.epoch ?? '', 20)} |`);
  const more = t.length > maxRows ? `\n\n_${t.length - maxRows} more entries in report.json._` : '';
  return `| t (ms) | direction | kind | name | epoch |\n| ---: | --- | --- | --- | --- |\n${rows.join('\n')}${more}`;
}

/** For inline HTML (a <summary> line is not Markdown). */
function html(s: string, max = 150): string {
  return oneLine(s, max).replace(/[&<>"]/g, (c) => (c === '&' ? '&amp;' : c === '<' ? '&lt;' : c === '>' ? '&gt;' : '&quot;'));
}

function details(c: ReportCase, maxRows: number): string {
  const lines = [`\n<details><summary>${verdictLabel(c)}: <code>${html(c.id, 200)}</code>: ${html(c.reason ?? '')}</summary>\n`];
  if (c.expected !== null) lines.push(`- expected: ${mdCell(c.expected, 500)}`);
  if (c.observed !== null) lines.push(`- observed: ${mdCell(c.observed, 500)}`);
  if (c.step) lines.push(`- at: ${code(`${c.step.file}:${c.step.line}:${c.step.col}`)} (step ${c.step.index})`);
  lines.push(`- ${rfcLink(c)}: ${mdCell(c.rfc.quote, 500)}`);
  lines.push('', c.transcript.length ? transcriptTable(c.transcript, maxRows) : '_No transcript._', '', '</details>\n');
  return lines.join('\n');
}

/** `**Positive controls**: 12 of 14 passed; 2 failed (their 30 cases are skipped).` */
function controlsLine(controls: NonNullable<ReportJson['controls']>): string {
  const passed = controls.filter((c) => c.verdict === 'pass').length;
  const failed = controls.filter((c) => c.verdict === 'fail');
  const errors = controls.filter((c) => c.verdict === 'error');
  const n = (list: typeof controls) => list.reduce((k, c) => k + c.cases.length, 0);
  const parts = [`**Positive controls**: ${passed} of ${controls.length} passed`];
  if (failed.length) parts.push(`${failed.length} failed (their ${n(failed)} cases are skipped)`);
  if (errors.length) parts.push(`${errors.length} could not run (their ${n(errors)} cases are errors)`);
  return parts.join('; ') + '.';
}

/** The groups in one table, then what each variant got in each group that differs. */
function groupsSection(b: Budget, groups: NonNullable<ReportJson['groups']>): void {
  const differing = groups.filter((g) => !g.equal);
  table(
    b,
    'Indistinguishability groups',
    ['group', 'variants', 'outcome'],
    groups.map((g) => [code(g.id), String(g.cases.length), g.equal ? `equal: ${mdCell(g.outcomes.find((o) => o !== null) ?? 'nothing compared')}` : '**the variants differ**']),
    'groups',
    `Variants that must look alike to the peer (the scenario's \`indistinguishable\`): ${differing.length} of ${groups.length} differ (their cases that passed alone fail). Times are shown, not judged.`,
  );
  for (let i = 0; i < differing.length; i++) {
    const g = differing[i];
    const rows = g.variants.map((v, j) => `| ${mdCell(v)} | ${mdCell(g.outcomes[j] ?? 'left out')} | ${g.timesMs[j] ?? ''} |`);
    const notes = g.notes.map((n) => `\n- ${mdCell(n, 300)}`).join('');
    const text = `\n#### ${code(g.id)}: the variants differ\n\n| variant | outcome | time (ms) |\n| --- | --- | ---: |\n${rows.join('\n')}\n${notes ? notes + '\n' : ''}`;
    if (!b.add(text)) {
      b.force(TRUNCATED(differing.length - i, 'group tables'));
      return;
    }
  }
}

export function statusWord(report: ReportJson): 'PASSED' | 'FAILED' | 'INTERRUPTED' {
  if (!summaryOk(report.summary)) return 'FAILED';
  return report.interrupted ? 'INTERRUPTED' : 'PASSED';
}

export function toSummaryMarkdown(report: ReportJson, opts: MarkdownOptions = {}): string {
  const limit = opts.limitBytes ?? MARKDOWN_LIMIT;
  const maxRows = opts.transcriptRows ?? 60;
  const b = new Budget(Math.max(0, limit - RESERVE));
  const s = report.summary;
  const status = statusWord(report);

  const counts = [
    `${s.passed} passed`,
    `${s.lenient} lenient`,
    `${s.advisory} advisory`,
    `${s.failed} failed${s.expectedFailures ? ` (${s.expectedFailures} expected)` : ''}`,
    `${s.errors} errors`,
    `${s.skipped} skipped`,
  ];
  if (s.unexpectedPasses) counts.push(`${s.unexpectedPasses} unexpected passes`);
  b.force(
    [
      `## tls-harness: ${mdCell(report.target, 100)}: ${status}`,
      '',
      `**${s.total} cases**: ${counts.join(', ')}.`,
      '',
      `Run ${code(report.runId)}, ${mdCell(report.startedAt)} to ${mdCell(report.finishedAt)}, ${mdCell(report.tool.name)} ${mdCell(report.tool.version)}` +
        (report.mergedFrom ? `, merged from ${report.mergedFrom.length} shards` : '') +
        '.',
      ...(report.interrupted ? ['', '**Interrupted**: only the cases that finished are reported.'] : []),
      ...(report.controls ? ['', controlsLine(report.controls)] : []),
      '',
    ].join('\n'),
  );

  const unexpectedPasses = report.cases.filter(isUnexpectedPass);
  const failures = report.cases.filter((c) => (c.verdict === 'fail' && !isExpectedFailure(c)) || c.verdict === 'error');
  const expected = report.cases.filter(isExpectedFailure);
  const lenient = report.cases.filter((c) => c.verdict === 'lenient' && !isUnexpectedPass(c));
  const advisories = report.cases.filter((c) => c.verdict === 'advisory');
  const skipped = report.cases.filter((c) => c.verdict === 'skip');

  const head = ['verdict', 'case', 'RFC', 'reason'];
  table(
    b,
    'Unexpected passes',
    head,
    unexpectedPasses.map((c) => caseRow(c, `listed as an expected failure: ${c.expectedFailure}`)),
    'unexpected passes',
    'Listed as expected failures, but passed: remove them from the expected failures (they fail the run).',
  );
  table(b, 'Failures and errors', head, failures.map((c) => caseRow(c)), 'failures');
  table(
    b,
    'Expected failures',
    head,
    expected.map((c) => caseRow(c, `${c.reason ?? ''} (expected: ${c.expectedFailure})`)),
    'expected failures',
    'Listed as expected failures for this target: they do not fail the run.',
  );

  const controls = report.controls ?? [];
  const badControls = controls.filter((c) => c.verdict !== 'pass');
  table(
    b,
    'Controls that did not pass',
    ['verdict', 'control', 'cases', 'reason'],
    badControls.map((c) => [c.verdict, code(c.key), String(c.cases.length), mdCell(c.reason ?? '')]),
    'controls',
    'The unmutated handshake for these configurations did not complete: their cases are skipped (fail) or errors (error).',
  );

  groupsSection(b, report.groups ?? []);

  if (failures.length) {
    if (b.add(`\n### Transcripts\n`)) {
      for (let i = 0; i < failures.length; i++) {
        if (!b.add(details(failures[i], maxRows))) {
          b.force(TRUNCATED(failures.length - i, 'transcripts'));
          break;
        }
      }
    } else b.force(TRUNCATED(failures.length, 'transcripts'));
  }

  for (const [title, list] of [
    ['Advisory', advisories],
    ['Lenient', lenient],
    ['Skipped', skipped],
  ] as const) {
    if (!list.length) continue;
    const open = `\n<details><summary>${title} (${list.length})</summary>\n`;
    if (!b.add(open)) {
      b.force(TRUNCATED(list.length, `${title.toLowerCase()} cases`));
      continue;
    }
    table(b, title, head, list.map((c) => caseRow(c)), `${title.toLowerCase()} cases`);
    b.force('\n</details>\n');
  }
  return b.parts.join('');
}
