/**
 * Issue 15: differential fuzzing of a live implementation. fast-check generates conversations (a base
 * handshake of the target's role and version with one to three faults, conversation.ts); each is played
 * against the target and against the embedded reference, the ruler, and their outcomes are compared
 * (outcome.ts). A difference is a finding, named by its signature (the kind of difference, the reference's
 * outcome and the rule it cited, the target's outcome), so one bug is one finding. Each finding is confirmed by
 * replaying it, shrunk by fast-check (replayed from its seed and path) to the smallest conversation with the
 * same signature, then by dropping faults and ops one at a time while the signature holds.
 *
 * Conversations are generated in batches (fc.sample with the batch's seed; fc.check with that seed and a path
 * replays one of them exactly), played `jobs` at a time, until the run's conversations or seconds are spent,
 * the findings are as many as asked, or the signal aborts (the findings so far are kept).
 */
import fc from 'fast-check';
import type { PeerConfig, Role, Step, VersionName } from '../scenario/model.ts';
import type { Target } from '../targets/types.ts';
import { applyFaults, baseScenario, BASE_YAML, caseOf, conversationArbitrary, faultArbitrary, shapeCollector, type Base, type Conversation, type Fault, type Setting } from './conversation.ts';
import { outcomeLabel, play, type Outcome, type Played } from './outcome.ts';

/** What kind of difference a finding is. */
export type FindingKind =
  /** The target goes on where the reference refuses by an RFC rule: it accepted something invalid. */
  | 'accepts'
  /** The target aborts a conversation the reference completes. */
  | 'refuses'
  /** Both abort, another way (an alert against a close, or against another message). */
  | 'abort-class'
  /** The target stays silent where the reference answers. */
  | 'hang'
  | 'crash'
  /** Bytes that are not TLS, or records the harness cannot decrypt. */
  | 'garbage'
  /** The target broke a rule the harness's own checks enforce. */
  | 'violation'
  /** The reference waits for more where the target answers. */
  | 'reference-waits'
  /** Both send an alert, not the same one (a finding only with `alertNames`). */
  | 'alert-name';

export interface Finding {
  kind: FindingKind;
  /** `<kind>: <reference outcome> [rule] / <target outcome>`. */
  signature: string;
  conversation: Conversation;
  /** The conversation's steps (the base with its faults applied). */
  steps: Step[];
  /** The base's steps (fault step numbers count these) and the harness's config. */
  baseSteps: Step[];
  config: PeerConfig;
  reference: Played;
  target: Played;
  /** To replay the search: the batch's fast-check seed and the shrunk conversation's path. */
  seed: number;
  path: string;
  /** False when the run ended (Ctrl-C, time) before the finding was shrunk. */
  shrunk: boolean;
}

export interface Progress {
  conversations: number;
  findings: number;
  /** Conversations one side could not play (the harness could not build a step, or failed): not compared. */
  unplayable: number;
  /** Distinct rules the reference cited so far: how much of its checking the run reached. */
  rules: number;
  elapsedMs: number;
}

export interface FuzzOptions {
  role: Role;
  versions: VersionName[];
  seed: number;
  /** Stop after this many conversations (each is played against the target and the reference). */
  runs?: number;
  /** Stop after this long. */
  seconds?: number;
  /** Conversations in flight at once. */
  jobs?: number;
  maxFindings: number;
  /** Conversations per generated batch. */
  batch?: number;
  /** Per-conversation limit, and how long the target's silence counts as its answer. */
  timeoutMs?: number;
  expectTimeoutMs?: number;
  /** Alert-name differences are findings too (by default only counted: the RFC often allows either alert). */
  alertNames?: boolean;
  /** Conversations to replay first and to build on (a corpus of earlier runs). */
  corpus?: Conversation[];
  signal?: AbortSignal;
  now?: () => number;
  onProgress?: (p: Progress) => void;
  onFinding?: (f: Finding) => void | Promise<void>;
  /** Told of each base the target and reference complete, or the reason a setting is left out. */
  onBase?: (setting: Setting, ok: boolean, detail: string) => void;
}

export interface FuzzReport extends Omit<Progress, 'findings'> {
  findings: Finding[];
  /** Alert-name differences by signature, with a count (findings only with alertNames). */
  alertNames: Map<string, number>;
  /** Conversations that reached something new (a rule of the reference, an outcome of the target): the corpus. */
  interesting: Conversation[];
  bases: Base[];
  /** Findings whose signature did not come back when replayed (timing): left out. */
  unstable: number;
  /** One example reason per kind of unplayable conversation (for --verbose / debugging). */
  unplayableReasons: Map<string, number>;
  interrupted: boolean;
}

/** How the outcomes of one conversation compare: undefined when they agree. */
export function compare(ref: Played, tgt: Played): { kind: FindingKind; signature: string } | undefined {
  const r = ref.outcome;
  const t = tgt.outcome;
  const rl = `${outcomeLabel(r)}${ref.rule ? ` [${ref.rule.rule}]` : ''}`;
  const sig = (kind: FindingKind, tl = outcomeLabel(t)) => ({ kind, signature: `${kind}: ${rl} / ${tl}` });
  if (t.kind === 'crash') return sig('crash');
  if (r.kind === t.kind) {
    if (r.kind === 'alert' && t.kind === 'alert' && r.alert !== t.alert) return sig('alert-name');
    if (r.kind === 'sends' && t.kind === 'sends' && r.message !== t.message) return sig('abort-class');
    return undefined;
  }
  if (t.kind === 'garbage') return sig('garbage');
  if (t.kind === 'violation') return sig('violation');
  const aborts = (o: Outcome) => o.kind === 'alert' || o.kind === 'close';
  if (aborts(r) && t.kind === 'completes') return sig('accepts');
  if (r.kind === 'completes' && aborts(t)) return sig('refuses');
  if (t.kind === 'silence') return sig('hang');
  if (r.kind === 'silence') return sig('reference-waits');
  // The target goes on with a message where the reference aborted: it accepted what came before.
  if (aborts(r) && t.kind === 'sends') return sig('accepts');
  return sig('abort-class');
}

const isFinding = (kind: FindingKind, o: FuzzOptions) => kind !== 'alert-name' || o.alertNames === true;

/** Runs `fn` over `items` with at most `jobs` in flight, in order of start. */
async function pool<T>(items: readonly T[], jobs: number, fn: (item: T, i: number) => Promise<void>, stop: () => boolean): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length && !stop()) {
      const i = next++;
      await fn(items[i], i);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, jobs) }, worker));
}

/**
 * Prepares the bases (the target and the reference complete one variant of each setting: the positive control
 * of every conversation built on it) and fuzzes them.
 */
export async function fuzz(target: Target, reference: Target, o: FuzzOptions): Promise<FuzzReport> {
  const now = o.now ?? Date.now;
  const started = now();
  const timeoutMs = o.timeoutMs ?? 5000;
  const expectTimeoutMs = o.expectTimeoutMs ?? 500;
  let serial = 0;
  const report: FuzzReport = { conversations: 0, findings: [], unplayable: 0, rules: 0, elapsedMs: 0, alertNames: new Map(), interesting: [], bases: [], unstable: 0, unplayableReasons: new Map(), interrupted: false };
  const rules = new Set<string>();
  const seen = new Set<string>();
  const known = new Set<string>();
  const stopped = () => o.signal?.aborted === true;
  const spent = () => (o.runs !== undefined && report.conversations >= o.runs) || (o.seconds !== undefined && now() - started >= o.seconds * 1000) || report.findings.length >= o.maxFindings;
  const progress = () => {
    report.elapsedMs = now() - started;
    report.rules = rules.size;
    o.onProgress?.({ conversations: report.conversations, findings: report.findings.length, unplayable: report.unplayable, rules: rules.size, elapsedMs: report.elapsedMs });
  };

  // ---- bases: each setting's first variant the target and the reference both complete ----
  const settings = o.versions.map((v): Setting => `${o.role}-${v}`);
  for (const setting of settings) {
    let why = '';
    for (let v = 0; v < BASE_YAML[setting].length && !stopped(); v++) {
      const scenario = baseScenario(setting, v);
      const { shapes, onSend } = shapeCollector();
      const po = { timeoutMs, expectTimeoutMs };
      const [t, r] = await Promise.all([play(target, caseOf(scenario, scenario.steps, `fuzz-base-${++serial}`), { ...po, onSend }), play(reference, caseOf(scenario, scenario.steps, `fuzz-base-${++serial}`), po)]);
      if (t.outcome.kind === 'completes' && r.outcome.kind === 'completes') {
        report.bases.push({ setting, scenario, shapes });
        why = '';
        o.onBase?.(setting, true, `variant ${v + 1}`);
        break;
      }
      why = t.outcome.kind !== 'completes' ? `the target does not complete it: ${t.result.reason ?? outcomeLabel(t.outcome)}` : `the reference does not complete it: ${r.result.reason ?? outcomeLabel(r.outcome)}`;
    }
    if (why) o.onBase?.(setting, false, why);
  }
  if (report.bases.length === 0 || stopped()) {
    report.interrupted = stopped();
    progress();
    return report;
  }
  const baseOf = new Map(report.bases.map((b) => [b.setting, b]));

  // ---- one conversation, both sides ----
  const stepsOf = (c: Conversation) => applyFaults(baseOf.get(c.setting)!.scenario.steps, c.faults);
  const evaluate = async (c: Conversation, count = true) => {
    const base = baseOf.get(c.setting);
    if (!base) return undefined;
    const steps = stepsOf(c);
    const id = `fuzz-${++serial}`;
    const po = { timeoutMs, expectTimeoutMs, ...(o.signal ? { signal: o.signal } : {}) };
    const [ref, tgt] = await Promise.all([play(reference, caseOf(base.scenario, steps, `${id}-reference`), po), play(target, caseOf(base.scenario, steps, id), po)]);
    if (count) report.conversations++;
    if (ref.outcome.kind === 'error' || tgt.outcome.kind === 'error') {
      if (count) report.unplayable++;
      const why = (ref.outcome.kind === 'error' ? ref.outcome.detail : tgt.outcome.kind === 'error' ? tgt.outcome.detail : '').replace(/\(step \d+.*$/, '').slice(0, 120);
      report.unplayableReasons.set(why, (report.unplayableReasons.get(why) ?? 0) + 1);
      return undefined;
    }
    return { steps, ref, tgt, diff: compare(ref, tgt) };
  };
  const signatureOf = async (c: Conversation) => (await evaluate(c, false))?.diff?.signature;

  /** Confirm, shrink and keep a difference first seen in `c` (index `i` of the batch with `seed`). */
  const pursue = async (c: Conversation, wanted: string, seed: number, i: number, arb: fc.Arbitrary<Conversation>, batch: number) => {
    // A difference that does not come back twice is timing, not a finding.
    for (let k = 0; k < 2; k++)
      if ((await signatureOf(c)) !== wanted) {
        report.unstable++;
        known.delete(wanted);
        return;
      }
    let best = c;
    let path = String(i);
    let shrunk = false;
    if (!stopped()) {
      const res = await fc.check(
        fc.asyncProperty(arb, async (x) => stopped() || (await signatureOf(x)) !== wanted),
        { seed, path: String(i), numRuns: batch },
      );
      if (res.failed && res.counterexample) {
        best = res.counterexample[0];
        path = res.counterexamplePath ?? path;
      }
      best = await dropWhileSame(best, wanted, signatureOf, stopped);
      shrunk = !stopped();
    }
    const last = await evaluate(best, false);
    if (!last?.diff || last.diff.signature !== wanted) {
      // The shrunk one did not hold on its last replay: keep the original.
      best = c;
    }
    const final = last?.diff?.signature === wanted ? last : await evaluate(c, false);
    if (!final?.diff) return;
    const base = baseOf.get(best.setting)!;
    const f: Finding = { kind: final.diff.kind, signature: wanted, conversation: best, steps: final.steps, baseSteps: base.scenario.steps, config: base.scenario.config, reference: final.ref, target: final.tgt, seed, path, shrunk };
    report.findings.push(f);
    await o.onFinding?.(f);
    progress();
  };

  // ---- the search ----
  const fresh = fc.oneof(...report.bases.map((b) => conversationArbitrary(b)));
  const corpus = (o.corpus ?? []).filter((c) => baseOf.has(c.setting) && c.faults.every((f) => f.step >= 0 && f.step < baseOf.get(c.setting)!.scenario.steps.length));
  // Built on the corpus: an earlier interesting conversation with one more fault.
  const grown =
    corpus.length > 0
      ? fc.constantFrom(...corpus).chain((c) => faultArbitrary(baseOf.get(c.setting)!).map((f): Conversation => ({ setting: c.setting, faults: [...c.faults, f].slice(-4) })))
      : undefined;
  const arb = grown ? fc.oneof({ weight: 3, arbitrary: fresh }, { weight: 1, arbitrary: grown }) : fresh;
  const batchSize = o.batch ?? 40;
  let lastProgress = 0;
  const judge = async (c: Conversation, seed: number, i: number, batchArb: fc.Arbitrary<Conversation>, n: number) => {
    const e = await evaluate(c);
    if (now() - lastProgress >= 1000) {
      lastProgress = now();
      progress();
    }
    if (!e) return;
    if (e.ref.rule) rules.add(`${c.setting} ${e.ref.rule.rule} ${e.ref.rule.alert}`);
    const novel = [`${c.setting} ref ${outcomeLabel(e.ref.outcome)} ${e.ref.rule?.rule ?? ''}`, `${c.setting} target ${outcomeLabel(e.tgt.outcome)}`].filter((k) => !seen.has(k));
    if (novel.length > 0) {
      for (const k of novel) seen.add(k);
      report.interesting.push(c);
    }
    if (!e.diff) return;
    if (!isFinding(e.diff.kind, o)) {
      report.alertNames.set(e.diff.signature, (report.alertNames.get(e.diff.signature) ?? 0) + 1);
      return;
    }
    if (known.has(e.diff.signature)) return;
    known.add(e.diff.signature); // claimed: a concurrent job with the same signature does not pursue it too
    await pursue(c, e.diff.signature, seed, i, batchArb, n);
  };
  // The corpus first, as it is (regressions of earlier findings come back at once).
  await pool(corpus, o.jobs ?? 1, (c) => judge(c, o.seed, -1, arb, 1).then(() => undefined), () => stopped() || spent());
  // Batch k is fc.sample with seed o.seed + k; a job takes the next conversation as soon as it is free (a job
  // confirming and shrinking a finding does not hold the others at the end of a batch).
  let k = 0;
  let seed = 0;
  let batch: Conversation[] = [];
  let next = 0;
  const search = async () => {
    while (!stopped() && !spent()) {
      if (next >= batch.length) {
        seed = (o.seed + k++) % 2 ** 31;
        batch = fc.sample(arb, { seed, numRuns: batchSize });
        next = 0;
      }
      const i = next++;
      await judge(batch[i], seed, i, arb, batchSize);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, o.jobs ?? 1) }, search));
  report.interrupted = stopped();
  progress();
  return report;
}

/** Drops faults, then mutate ops, one at a time while the signature holds (fast-check's shrink can leave some). */
async function dropWhileSame(c: Conversation, wanted: string, signatureOf: (c: Conversation) => Promise<string | undefined>, stopped: () => boolean): Promise<Conversation> {
  let best = c;
  for (let i = 0; i < best.faults.length && best.faults.length > 1 && !stopped(); ) {
    const fewer = { ...best, faults: best.faults.filter((_, j) => j !== i) };
    if ((await signatureOf(fewer)) === wanted) best = fewer;
    else i++;
  }
  for (let fi = 0; fi < best.faults.length && !stopped(); fi++) {
    const f = best.faults[fi];
    if (f.kind !== 'mutate') continue;
    for (let i = 0; i < f.ops.length && f.ops.length > 1 && !stopped(); ) {
      const cur = best.faults[fi] as Extract<Fault, { kind: 'mutate' }>;
      if (cur.ops.length <= 1) break;
      const fewer: Conversation = { ...best, faults: best.faults.map((x, j) => (j === fi ? { ...cur, ops: cur.ops.filter((_, k) => k !== i) } : x)) };
      if ((await signatureOf(fewer)) === wanted) best = fewer;
      else i++;
    }
  }
  return best;
}
