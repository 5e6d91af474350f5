/**
 * The bench's output: one line per goal (`name: ours vs peer = ratio R (goal >= G): met`) and a final table.
 * Pure functions, so bench/report.test.ts can check them without measuring anything.
 */

export interface Result {
  /** `group/provider` or `group`; BENCH_ONLY matches either. */
  name: string;
  what: string;
  ours: number;
  /** The peer measured in the same run; absent: the goal is on `ours` itself (e.g. cases per second). */
  peer?: number;
  peerName?: string;
  unit: string;
  /** The goal on ours / peer (or on ours when there is no peer). */
  goal: number;
  /** true: the goal is a minimum (ratio >= goal); false: a maximum (ratio <= goal). */
  higherIsBetter: boolean;
  /** Why it was not measured (no openssl, a failure). */
  skipped?: string;
}

/** Whether the goal `name` runs under BENCH_ONLY `only` (empty: all); `a/b` is also selected by `a`. */
export function selected(only: readonly string[], name: string): boolean {
  if (only.length === 0) return true;
  const group = name.split('/')[0];
  return only.includes(name) || only.includes(group);
}

/** ours / peer, or ours alone without a peer; NaN when there is nothing to compare. */
export function ratio(r: Result): number {
  if (r.skipped !== undefined) return NaN;
  if (r.peer === undefined) return r.ours;
  return r.peer > 0 ? r.ours / r.peer : NaN;
}

export function met(r: Result): boolean | undefined {
  const x = ratio(r);
  if (Number.isNaN(x)) return undefined;
  return r.higherIsBetter ? x >= r.goal : x <= r.goal;
}

function num(x: number): string {
  if (!Number.isFinite(x)) return '-';
  if (Math.abs(x) >= 100) return x.toFixed(0);
  if (Math.abs(x) >= 10) return x.toFixed(1);
  return x.toFixed(2);
}

function goalText(r: Result): string {
  return `${r.higherIsBetter ? '>=' : '<='} ${r.goal}`;
}

function verdict(r: Result): string {
  const m = met(r);
  return m === undefined ? 'not measured' : m ? 'met' : 'NOT met';
}

export function formatResult(r: Result): string {
  if (r.skipped !== undefined) return `${r.name}: skipped (${r.skipped})`;
  if (r.peer === undefined) return `${r.name}: ${num(r.ours)} ${r.unit} (goal ${goalText(r)}): ${verdict(r)}  [${r.what}]`;
  return `${r.name}: ${num(r.ours)} ${r.unit} vs ${r.peerName} ${num(r.peer)} ${r.unit} = ratio ${num(ratio(r))} (goal ${goalText(r)}): ${verdict(r)}  [${r.what}]`;
}

export function formatTable(results: readonly Result[]): string {
  const rows = [['goal', 'ours', 'peer', 'unit', 'ratio', 'goal', 'result']];
  for (const r of results) {
    if (r.skipped !== undefined) rows.push([r.name, '-', '-', '', '-', '', `skipped: ${r.skipped}`]);
    else rows.push([r.name, num(r.ours), r.peer === undefined ? '-' : num(r.peer), r.unit, r.peer === undefined ? '-' : num(ratio(r)), goalText(r), verdict(r)]);
  }
  const widths = rows[0].map((_, i) => Math.max(...rows.map((row) => row[i].length)));
  return rows.map((row) => row.map((c, i) => (i === row.length - 1 ? c : c.padEnd(widths[i]))).join('  ')).join('\n');
}
