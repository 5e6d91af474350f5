/**
 * summary.md: a Markdown summary for CI step summaries ($GITHUB_STEP_SUMMARY) and pull-request comments.
 * A headline with the status word (PASSED, FAILED, INTERRUPTED) and the counts, then the cases that need a
 * look, each with what a reader needs to triage it without opening report.json:
 *
 * - unexpected passes, then failures and errors (unexpected), one list item each: case id, the RFC section
 *   linked to rfc-editor.org with its level, the quoted RFC sentence (`rfc.quote`), expected vs observed, and
 *   the scenario step (file:line:col);
 * - expected failures, one shorter line each (id, RFC link, expected vs observed, why it is listed);
 * - the controls that did not pass, the indistinguishability groups (with what each variant got, for those
 *   that differ);
 * - advisory and lenient cases (collapsed, one short line each), the transcript of each failure and error
 *   (collapsed), the skipped cases (collapsed).
 *
 * Kept under a byte budget (default 60 000 bytes, below GitHub's 65 536-character comment limit): the sections
 * are filled in that order, and once one item does not fit nothing after it is added (each section left out,
 * or cut, says `... and N more ..., see report.json`), so an unexpected failure is never dropped while an
 * expected one, a lenient case or a transcript is shown.
 */
import type { TranscriptEntry } from '../engine/result.ts';
import type { ReportCase, ReportJson } from './json.ts';
import { isExpectedFailure, isUnexpectedFailure, isUnexpectedPass, summaryOk } from './json.ts';
import { oneLine } from './text.ts';
import { PACKAGE_ROOT } from '../paths.ts';

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

/**
 * A code span that cannot be broken by backticks in the text. In a table cell a pipe must be escaped (GFM
 * splits cells before it parses code spans); anywhere else the backslash would show, so it is left alone.
 */
function code(s: string, inTable = true): string {
  const one = oneLine(s, 200);
  const t = inTable ? one.replace(/\|/g, '\\|') : one;
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
  /** Set once something did not fit: nothing is added after that (see the file comment). */
  closed = false;
  readonly parts: string[] = [];
  constructor(readonly limit: number) {}
  /** Appends `s` if it fits and nothing was refused before; returns whether it did. */
  add(s: string): boolean {
    if (this.closed || this.used + Buffer.byteLength(s, 'utf8') > this.limit) {
      this.closed = true;
      return false;
    }
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
const TRUNCATED = (n: number, what: string) => `\n_... and ${n} more ${what} not shown (size limit), see report.json._\n`;

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

/** A section of list items (`items` each end with a newline) under `heading` (if any), cut with a note where the budget ends. */
function list(b: Budget, heading: string, items: string[], what: string, note?: string): void {
  if (items.length === 0) return;
  if (!b.add(`\n${heading ? heading + '\n\n' : ''}${note ? note + '\n\n' : ''}`)) {
    b.force(TRUNCATED(items.length, what));
    return;
  }
  for (let i = 0; i < items.length; i++) {
    if (!b.add(items[i])) {
      b.force(TRUNCATED(items.length - i, what));
      return;
    }
  }
}

/** `expected alert decrypt\_error, observed alert bad\_record\_mac`, or the reason when the case has neither. */
function expectedObserved(c: ReportCase, max: number): string {
  if (c.expected === null && c.observed === null) return mdCell(c.reason ?? '', max);
  return `expected ${c.expected === null ? '(not stated)' : mdCell(c.expected, max)}, observed ${c.observed === null ? '(not stated)' : mdCell(c.observed, max)}`;
}

/** A scenario file under the package root as a relative path (`scenarios/...`), as a reader finds it in the repository. */
function scenarioPath(file: string): string {
  return file.startsWith(PACKAGE_ROOT) ? file.slice(PACKAGE_ROOT.length).replace(/^[\\/]+/, '') : file;
}

/** `scenarios/...yaml:12:5`: where the case's verdict was decided. */
function stepPlace(step: NonNullable<ReportCase['step']>): string {
  return `${scenarioPath(step.file)}:${step.line}:${step.col}`;
}

function stepRef(c: ReportCase): string | undefined {
  return c.step ? `${code(stepPlace(c.step), false)} (step ${c.step.index})` : undefined;
}

/**
 * An unexpected failure, error or unexpected pass: the verdict and id with the reason, then the RFC section
 * (linked, with its level) and its quoted sentence, expected and observed, and the step.
 */
export function failureItem(c: ReportCase): string {
  const reason = isUnexpectedPass(c) ? `listed as an expected failure (${mdCell(c.expectedFailure ?? '', 300)}), but it passed` : mdCell(c.reason ?? '', 500);
  const lines = [`- **${verdictLabel(c)}** ${code(c.id, false)}${reason ? `: ${reason}` : ''}`];
  lines.push(`  - ${rfcLink(c)} (${c.rfc.level.toUpperCase()}): "${mdCell(c.rfc.quote, 600)}"`);
  if (c.expected !== null) lines.push(`  - expected: ${mdCell(c.expected, 300)}`);
  if (c.observed !== null) lines.push(`  - observed: ${mdCell(c.observed, 300)}`);
  const at = stepRef(c);
  if (at) lines.push(`  - at ${at}`);
  return lines.join('\n') + '\n';
}

/** One line: id, RFC link, expected vs observed (or the reason), and `extra` (why it is listed). */
export function shortItem(c: ReportCase, extra?: string): string {
  const level = c.rfc.level === 'must' ? '' : `, ${c.rfc.level.toUpperCase()}`;
  return `- ${code(c.id, false)} (${rfcLink(c)}${level}): ${expectedObserved(c, 120)}${extra ? `; ${extra}` : ''}\n`;
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

/** The transcript of a failure or error, collapsed (what it was judged on is in its list item above). */
function details(c: ReportCase, maxRows: number): string {
  const at = c.step ? ` (step ${c.step.index} at ${html(stepPlace(c.step))})` : '';
  return `\n<details><summary>${verdictLabel(c)}: <code>${html(c.id, 200)}</code>: ${html(c.reason ?? '')}${at}</summary>\n\n${c.transcript.length ? transcriptTable(c.transcript, maxRows) : '_No transcript._'}\n\n</details>\n`;
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
  const failures = report.cases.filter(isUnexpectedFailure);
  const expected = report.cases.filter(isExpectedFailure);
  const lenient = report.cases.filter((c) => c.verdict === 'lenient' && !isUnexpectedPass(c));
  const advisories = report.cases.filter((c) => c.verdict === 'advisory');
  const skipped = report.cases.filter((c) => c.verdict === 'skip');

  list(
    b,
    `### Unexpected passes (${unexpectedPasses.length})`,
    unexpectedPasses.map(failureItem),
    'unexpected passes',
    'Listed as expected failures, but passed: remove them from the expected failures (they fail the run).',
  );
  list(b, `### Failures and errors (${failures.length})`, failures.map(failureItem), 'failures and errors');
  list(
    b,
    `### Expected failures (${expected.length})`,
    expected.map((c) => shortItem(c, `listed: ${mdCell(c.expectedFailure ?? '', 200)}`)),
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

  const collapsed = (title: string, items: string[], what: string, note?: string) => {
    if (!items.length) return;
    if (!b.add(`\n<details><summary>${title} (${items.length})</summary>\n`)) {
      b.force(TRUNCATED(items.length, what));
      return;
    }
    list(b, '', items, what, note);
    b.force('\n</details>\n');
  };
  collapsed('Advisory', advisories.map((c) => shortItem(c)), 'advisory cases', 'SHOULD/MAY rules the target does not follow: they do not fail the run (unless --strict).');
  collapsed('Lenient', lenient.map((c) => shortItem(c)), 'lenient cases', 'Accepted, but not the preferred outcome: they do not fail the run (unless --strict).');

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

  collapsed('Skipped', skipped.map((c) => `- ${code(c.id, false)}: ${mdCell(c.reason ?? '', 200)}\n`), 'skipped cases');
  return b.parts.join('');
}
