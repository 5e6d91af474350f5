/**
 * Merging shard reports (from `run --shard I/N`) into one: cases concatenated and sorted by id (code-point
 * order), a case id in two shards is an error, the summary recounted, `interrupted` if any shard was,
 * startedAt the earliest, finishedAt the latest. All shards must be for the same target. Indistinguishability
 * groups come whole from their shard (`run --shard` keeps a group's cases together); a group found in several
 * inputs (shards cut another way) is joined and compared again.
 */
import { UsageError } from '../errors.ts';
import { SCHEMA_VERSION, summarize, toolInfo, type ReportCase, type ReportControl, type ReportGroup, type ReportJson, type ReportTool } from './json.ts';
import { applyGroups, finishGroup } from '../engine/indist.ts';

export interface MergeInput {
  report: ReportJson;
  /** Where it came from, for errors and `mergedFrom`. */
  file: string;
}

function time(s: string): number {
  const t = Date.parse(s);
  return Number.isNaN(t) ? NaN : t;
}

function pick(values: string[], later: boolean): string {
  let best = values[0];
  for (const v of values.slice(1)) {
    const a = time(v);
    const b = time(best);
    const better = !Number.isNaN(a) && !Number.isNaN(b) ? (later ? a > b : a < b) : later ? v > best : v < best;
    if (better) best = v;
  }
  return best;
}

export function mergeReports(inputs: readonly MergeInput[], opts: { runId: string; tool?: ReportTool }): ReportJson {
  if (inputs.length === 0) throw new UsageError('merge: no reports to merge');
  const target = inputs[0].report.target;
  for (const i of inputs.slice(1)) {
    if (i.report.target !== target) {
      throw new UsageError(`merge: the reports are for different targets: '${target}' (${inputs[0].file}) and '${i.report.target}' (${i.file})`);
    }
  }
  const owner = new Map<string, string>();
  const cases: ReportCase[] = [];
  for (const i of inputs) {
    for (const c of i.report.cases) {
      const other = owner.get(c.id);
      if (other !== undefined) {
        throw new UsageError(
          other === i.file ? `merge: case '${c.id}' appears twice in ${i.file}` : `merge: case '${c.id}' is in both ${other} and ${i.file} (overlapping shards?)`,
        );
      }
      owner.set(c.id, i.file);
      cases.push(c);
    }
  }
  cases.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const controls = mergeControls(inputs.map((i) => i.report.controls));
  const groups = mergeGroups(inputs.map((i) => i.report.groups));
  const judged = groups ? applyGroups(cases, groups) : cases;
  return {
    schemaVersion: SCHEMA_VERSION,
    runId: opts.runId,
    target,
    startedAt: pick(
      inputs.map((i) => i.report.startedAt),
      false,
    ),
    finishedAt: pick(
      inputs.map((i) => i.report.finishedAt),
      true,
    ),
    interrupted: inputs.some((i) => i.report.interrupted),
    tool: opts.tool ?? toolInfo(),
    summary: summarize(judged),
    ...(controls ? { controls } : {}),
    ...(groups ? { groups } : {}),
    mergedFrom: inputs.map((i) => ({ runId: i.report.runId, file: i.file })),
    // Every shard probed the same target: the first probe (and trust) found stands for all.
    ...(inputs.find((i) => i.report.probe) ? { probe: inputs.find((i) => i.report.probe)!.report.probe } : {}),
    ...(inputs.find((i) => i.report.trust) ? { trust: inputs.find((i) => i.report.trust)!.report.trust } : {}),
    cases: judged,
  };
}

const RANK: Record<ReportControl['verdict'], number> = { pass: 0, fail: 1, error: 2 };

/**
 * The controls of the shards, one per key (each shard ran its own): the cases that used it joined, the
 * worst verdict kept with its reason and transcript, the durations added. Undefined when no shard had any.
 */
export function mergeControls(lists: readonly (ReportControl[] | undefined)[]): ReportControl[] | undefined {
  if (lists.every((l) => l === undefined)) return undefined;
  const byKey = new Map<string, ReportControl>();
  for (const list of lists) {
    for (const c of list ?? []) {
      const seen = byKey.get(c.key);
      if (!seen) {
        byKey.set(c.key, { ...c, cases: [...c.cases] });
        continue;
      }
      const worse = RANK[c.verdict] > RANK[seen.verdict];
      byKey.set(c.key, { ...(worse ? c : seen), durationMs: seen.durationMs + c.durationMs, cases: [...seen.cases, ...c.cases] });
    }
  }
  return [...byKey.values()];
}

/**
 * The groups of the shards in id order, one per id: a group in several shards has its members joined and is
 * compared again (a case that shard already failed keeps the reason it got there). Undefined when no shard had any.
 */
export function mergeGroups(lists: readonly (ReportGroup[] | undefined)[]): ReportGroup[] | undefined {
  if (lists.every((l) => l === undefined)) return undefined;
  const byId = new Map<string, ReportGroup>();
  for (const g of lists.flatMap((l) => l ?? [])) {
    const seen = byId.get(g.id);
    if (!seen) {
      byId.set(g.id, { ...g, cases: [...g.cases], variants: [...g.variants], outcomes: [...g.outcomes], timesMs: [...g.timesMs], notes: [...g.notes] });
      continue;
    }
    seen.cases.push(...g.cases);
    seen.variants.push(...g.variants);
    seen.outcomes.push(...g.outcomes);
    seen.timesMs.push(...g.timesMs);
    seen.notes.push(...g.notes);
    finishGroup(seen);
  }
  return [...byId.values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}
