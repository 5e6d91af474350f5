/**
 * The implementation matrix (`tls-harness matrix`): the reports of one run per target, side by side.
 *
 * - `buildMatrix` takes each target's report.json (or why it has none) and gives, for every case, each
 *   target's verdict, and the deviations: every case some target failed, was lenient or advisory on, listed
 *   once with all the targets that deviate (each with its expected vs observed and whether its config lists
 *   the case as an expected failure), marked `shared` when more than one does.
 * - `matrixMarkdown` renders it (totals per target, the deviations, the cases whose verdicts differ).
 * - `matrixOk`: the matrix has no unexpected result (every target ran, and each run was as its config
 *   expects: no unexpected failure, error or unexpected pass).
 */
import type { RunSummary, Verdict } from '../engine/result.ts';
import { summaryOk, type ReportJson, type ReportRfc } from './json.ts';

export const MATRIX_SCHEMA_VERSION = 1;

/** One target's run: its report, or the reason there is none (it could not be started, the run crashed). */
export interface MatrixInput {
  target: string;
  /** The report folder of its run (relative paths in matrix.json are relative to the matrix folder). */
  reportDir: string;
  report?: ReportJson;
  /** The run's exit code (0: as expected, 1: unexpected results, 2: a usage error, other: a crash). */
  exitCode: number | null;
  /** Why there is no report, in one line. */
  error?: string;
}

export interface MatrixTarget {
  name: string;
  reportDir: string;
  exitCode: number | null;
  summary: RunSummary | null;
  /** True when the run was as the target's config expects (no unexpected failure, error or pass). */
  ok: boolean;
  error?: string;
}

export interface TargetDeviation {
  target: string;
  verdict: Verdict;
  expected: string | null;
  observed: string | null;
  reason: string | null;
  /** The config's reason, when the case is an expected failure of this target. */
  expectedFailure: string | null;
}

export interface Deviation {
  id: string;
  title: string;
  rfc: ReportRfc;
  /** More than one target deviates on this case. */
  shared: boolean;
  targets: TargetDeviation[];
}

export interface MatrixJson {
  schemaVersion: 1;
  runId: string;
  startedAt: string;
  finishedAt: string;
  targets: MatrixTarget[];
  /** Every case any target ran, in the first report's order, then the others' new ones. */
  cases: { id: string; title: string; rfc: ReportRfc; verdicts: Record<string, Verdict> }[];
  deviations: Deviation[];
}

const DEVIATING: ReadonlySet<Verdict> = new Set(['fail', 'lenient', 'advisory', 'error']);

export function buildMatrix(runId: string, startedAt: string, finishedAt: string, inputs: readonly MatrixInput[]): MatrixJson {
  const targets: MatrixTarget[] = inputs.map((i) => ({
    name: i.target,
    reportDir: i.reportDir,
    exitCode: i.exitCode,
    summary: i.report?.summary ?? null,
    ok: !!i.report && !i.report.interrupted && summaryOk(i.report.summary) && i.exitCode === 0,
    ...(i.error ? { error: i.error } : !i.report ? { error: 'no report' } : {}),
  }));
  const cases = new Map<string, MatrixJson['cases'][number]>();
  const deviations = new Map<string, Deviation>();
  for (const i of inputs) {
    for (const c of i.report?.cases ?? []) {
      let row = cases.get(c.id);
      if (!row) cases.set(c.id, (row = { id: c.id, title: c.title, rfc: c.rfc, verdicts: {} }));
      row.verdicts[i.target] = c.verdict;
      if (!DEVIATING.has(c.verdict)) continue;
      let d = deviations.get(c.id);
      if (!d) deviations.set(c.id, (d = { id: c.id, title: c.title, rfc: c.rfc, shared: false, targets: [] }));
      d.targets.push({ target: i.target, verdict: c.verdict, expected: c.expected, observed: c.observed, reason: c.reason, expectedFailure: c.expectedFailure });
    }
  }
  for (const d of deviations.values()) d.shared = d.targets.length > 1;
  // Shared deviations first (the most targets first), then each target's own, in case order.
  const order = [...cases.keys()];
  const devs = [...deviations.values()].sort((a, b) => b.targets.length - a.targets.length || order.indexOf(a.id) - order.indexOf(b.id));
  return { schemaVersion: MATRIX_SCHEMA_VERSION, runId, startedAt, finishedAt, targets, cases: [...cases.values()], deviations: devs };
}

/** Whether the matrix is all as expected: every target ran and its run had no unexpected result. */
export function matrixOk(m: MatrixJson): boolean {
  return m.targets.length > 0 && m.targets.every((t) => t.ok);
}

const cell = (s: string | null | undefined, max = 160): string => {
  const t = (s ?? '').replace(/\s+/g, ' ').trim();
  return (t.length > max ? t.slice(0, max - 1) + '…' : t).replace(/\|/g, '\\|');
};

/** matrix.md: totals per target, the deviations (shared ones first), and the cases whose verdicts differ. */
export function matrixMarkdown(m: MatrixJson): string {
  const out: string[] = [];
  out.push(`# Implementation matrix ${m.runId}`, '');
  out.push(`${m.targets.length} targets, ${m.cases.length} cases, ${m.deviations.length} deviations (${m.deviations.filter((d) => d.shared).length} shared by several targets). ${matrixOk(m) ? 'Every run as expected.' : 'Unexpected results: see the targets marked NO.'}`, '');
  out.push('| target | passed | lenient | advisory | failed (expected) | errors | skipped | as expected |', '| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |');
  for (const t of m.targets) {
    const s = t.summary;
    out.push(
      s
        ? `| ${t.name} | ${s.passed} | ${s.lenient} | ${s.advisory} | ${s.failed} (${s.expectedFailures}) | ${s.errors} | ${s.skipped} | ${t.ok ? 'yes' : 'NO'} |`
        : `| ${t.name} | - | - | - | - | - | - | NO: ${cell(t.error ?? 'no report')} |`,
    );
  }
  out.push('', '## Deviations', '');
  if (m.deviations.length === 0) out.push('None: every target passed every case it ran.');
  for (const d of m.deviations) {
    const who = d.shared ? `shared by ${d.targets.length}: ${d.targets.map((t) => t.target).join(', ')}` : `only ${d.targets[0].target}`;
    out.push(`### ${d.id} (${who})`, '');
    out.push(`RFC ${d.rfc.doc} ${d.rfc.section} (${d.rfc.level}): "${cell(d.rfc.quote, 400)}" ${d.rfc.url}`, '');
    out.push('| target | verdict | expected | observed | expected failure |', '| --- | --- | --- | --- | --- |');
    for (const t of d.targets) out.push(`| ${t.target} | ${t.verdict} | ${cell(t.expected)} | ${cell(t.observed ?? t.reason)} | ${t.expectedFailure ? 'yes' : 'no'} |`);
    out.push('');
  }
  const names = m.targets.map((t) => t.name);
  const differing = m.cases.filter((c) => new Set(names.map((n) => c.verdicts[n] ?? '-')).size > 1);
  out.push('## Cases whose verdicts differ', '');
  if (differing.length === 0) out.push('None.');
  else {
    out.push(`| case | ${names.join(' | ')} |`, `| --- | ${names.map(() => '---').join(' | ')} |`);
    for (const c of differing) out.push(`| ${cell(c.id, 120)} | ${names.map((n) => c.verdicts[n] ?? '-').join(' | ')} |`);
  }
  out.push('');
  return out.join('\n');
}

export const README_START = '<!-- matrix:start -->';
export const README_END = '<!-- matrix:end -->';

/**
 * The README's matrix section (between README_START and README_END): the totals per implementation, then for
 * each implementation its failed cases, grouped by scenario (the variants of a matrix scenario on one line),
 * each with its RFC sentence, what the implementation did instead, whether its config lists it (triaged: the
 * config's reason cites the sentence it breaks), and the other implementations that fail it too.
 */
export function matrixReadmeSection(m: MatrixJson): string {
  const out: string[] = [README_START, ''];
  out.push(`Generated by \`tls-harness matrix --update-readme README.md\` from run \`${m.runId}\` (${m.finishedAt.slice(0, 10)}): ${m.cases.length} cases.`, '');
  out.push('| implementation | passed | lenient | advisory | failed (expected) | errors | skipped |', '| --- | ---: | ---: | ---: | ---: | ---: | ---: |');
  for (const t of m.targets) {
    const s = t.summary;
    out.push(s ? `| ${t.name} | ${s.passed} | ${s.lenient} | ${s.advisory} | ${s.failed} (${s.expectedFailures}) | ${s.errors} | ${s.skipped} |` : `| ${t.name} | did not run: ${cell(t.error)} | | | | | |`);
  }
  out.push('', 'The deviations of each implementation (its failed cases, grouped by scenario), with the RFC sentence each breaks and what the implementation did; "triaged" when its config lists the case as an expected failure, with a reason checked against the RFC text. `matrix.md` has every deviation with all the implementations that share it.');
  for (const t of m.targets) {
    // scenario id -> its failed cases against this target
    const groups = new Map<string, { d: Deviation; x: TargetDeviation }[]>();
    for (const d of m.deviations) {
      const x = d.targets.find((y) => y.target === t.name && y.verdict === 'fail');
      if (!x) continue;
      const key = d.id.replace(/\[.*$/, '');
      let g = groups.get(key);
      if (!g) groups.set(key, (g = []));
      g.push({ d, x });
    }
    const cases = [...groups.values()].reduce((n, g) => n + g.length, 0);
    if (cases === 0) {
      out.push('', `**${t.name}**: no failed case.`);
      continue;
    }
    // Each implementation's list folds (<details>), so that the README stays readable with many of them.
    const count = `${cases} failed case${cases === 1 ? '' : 's'} in ${groups.size} scenario${groups.size === 1 ? '' : 's'}.`;
    out.push('', '<details>', `<summary><b>${t.name}</b>: ${count}</summary>`, '');
    for (const [key, g] of groups) {
      const { d, x } = g[0];
      const variants = g.length > 1 || g[0].d.id !== key ? ` ${cell(`(${g.map((y) => y.d.id.slice(key.length)).join(', ')})`, 200)}` : '';
      const triaged = g.every((y) => y.x.expectedFailure) ? 'triaged' : g.some((y) => y.x.expectedFailure) ? 'partly triaged' : 'NOT triaged';
      const others = [...new Set(g.flatMap((y) => y.d.targets.filter((o) => o.target !== t.name && o.verdict === 'fail').map((o) => o.target)))];
      out.push(`- \`${key}\`${variants}: RFC ${d.rfc.doc} ${d.rfc.section}, "${cell(d.rfc.quote, 170)}" Did: ${cell(x.observed ?? x.reason, 90)} (${triaged}${others.length ? `; also ${others.join(', ')}` : '; only here'}).`);
    }
    out.push('', '</details>');
  }
  out.push('', README_END);
  return out.join('\n');
}

/** `text` with its matrix section replaced; undefined when it has no README_START ... README_END lines. */
export function replaceReadmeSection(text: string, section: string): string | undefined {
  // The markers count only alone on their line (a README may mention them in its text).
  const line = (marker: string, from = 0): number => {
    for (let at = text.indexOf(marker, from); at >= 0; at = text.indexOf(marker, at + 1)) {
      const end = at + marker.length;
      if ((at === 0 || text[at - 1] === '\n') && (end === text.length || text[end] === '\n' || text[end] === '\r')) return at;
    }
    return -1;
  };
  const a = line(README_START);
  const b = a < 0 ? -1 : line(README_END, a);
  if (a < 0 || b < 0) return undefined;
  return text.slice(0, a) + section + text.slice(b + README_END.length);
}
