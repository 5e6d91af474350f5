/**
 * Comparing a run with an earlier report (`--baseline report.json`).
 *
 * - regression: a case that was pass, lenient or skip in the baseline and is now fail or error. lenient ->
 *   fail counts (lenient is a pass); skip -> fail counts (the case ran and failed). A fail that is now
 *   listed as an expected failure (`expectedFailure` set) is not a regression: it was declared.
 * - fixed: was fail or error, now pass or lenient.
 * - new: in the current run only; missing: in the baseline only (an interrupted or filtered run misses
 *   cases; that is not a regression).
 * Other changes (pass -> skip, fail -> error, pass -> lenient) are none of these.
 */
import type { Verdict } from '../engine/result.ts';
import type { ReportJson } from './json.ts';

export interface VerdictChange {
  id: string;
  was: Verdict;
  now: Verdict;
}

export interface BaselineComparison {
  regressions: VerdictChange[];
  fixed: VerdictChange[];
  new: { id: string; now: Verdict }[];
  missing: { id: string; was: Verdict }[];
}

type Comparable = { cases: readonly { id: string; verdict: Verdict; expectedFailure?: string | null }[] };

const OK: ReadonlySet<Verdict> = new Set(['pass', 'lenient', 'advisory', 'skip']);
const PASSING: ReadonlySet<Verdict> = new Set(['pass', 'lenient']);
const BAD: ReadonlySet<Verdict> = new Set(['fail', 'error']);

/** Compares by case id; each list is in id order. `current` is a RunResult or a ReportJson. */
export function compareToBaseline(current: Comparable, baseline: Pick<ReportJson, 'cases'> | Comparable): BaselineComparison {
  const was = new Map<string, Verdict>();
  for (const c of baseline.cases) was.set(c.id, c.verdict);
  const out: BaselineComparison = { regressions: [], fixed: [], new: [], missing: [] };
  const seen = new Set<string>();
  for (const c of current.cases) {
    seen.add(c.id);
    const w = was.get(c.id);
    if (w === undefined) out.new.push({ id: c.id, now: c.verdict });
    else if (OK.has(w) && BAD.has(c.verdict) && !(c.verdict === 'fail' && c.expectedFailure)) out.regressions.push({ id: c.id, was: w, now: c.verdict });
    else if (BAD.has(w) && PASSING.has(c.verdict)) out.fixed.push({ id: c.id, was: w, now: c.verdict });
  }
  for (const [id, w] of was) if (!seen.has(id)) out.missing.push({ id, was: w });
  const byId = (a: { id: string }, b: { id: string }) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
  out.regressions.sort(byId);
  out.fixed.sort(byId);
  out.new.sort(byId);
  out.missing.sort(byId);
  return out;
}

/** One line, e.g. `2 regressions, 1 fixed, 0 new, 3 missing against the baseline`. */
export function describeComparison(c: BaselineComparison): string {
  const n = c.regressions.length;
  return `${n} regression${n === 1 ? '' : 's'}, ${c.fixed.length} fixed, ${c.new.length} new, ${c.missing.length} missing against the baseline`;
}

/**
 * The comparison as Markdown for the step summary: the line of `describeComparison` as a heading, then the
 * regressions and the fixed cases (at most `max` of each, with a count of the rest).
 */
export function comparisonMarkdown(c: BaselineComparison, baselineFile: string, max = 100): string {
  const code = (s: string) => (s.includes('`') ? '`` ' + s + ' ``' : '`' + s + '`');
  const out = [`### Baseline: ${describeComparison(c)}`, '', `Compared with ${code(baselineFile)}: ${c.regressions.length ? '**the run regressed** (it fails).' : 'no regression.'}`, ''];
  for (const [label, list] of [
    ['regression', c.regressions],
    ['fixed', c.fixed],
  ] as const) {
    for (const r of list.slice(0, max)) out.push(`- ${label}: ${code(r.id)}: ${r.was} -> ${r.now}`);
    if (list.length > max) out.push(`- ... and ${list.length - max} more ${label === 'fixed' ? 'fixed cases' : 'regressions'}, see the command's output`);
  }
  return out.join('\n') + '\n';
}
