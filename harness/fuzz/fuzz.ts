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
import type { PeerConfig, Role, Scenario, Step, VersionName } from '../scenario/model.ts';
import type { Target } from '../targets/types.ts';
import { applyFaults, baseScenario, baseVariants, caseOf, judgesWarnings, plainCloseVariant, conversationArbitrary, faultArbitrary, shapeCollector, type Base, type Conversation, type Fault, type Setting } from './conversation.ts';
import { outcomeLabel, play, type Outcome, type Played } from './outcome.ts';
import { bindsTarget, citation } from './finding-yaml.ts';

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
  /** Both go on, differently (another message, or one completes where the other sends something else). */
  | 'diverges'
  /** Both send an alert, not the same one (a finding only with `alertNames`). */
  | 'alert-name'
  /**
   * 'accepts' where the reference is stricter than the RFC asks of the target: its rule binds the sender or the
   * other role, is a SHOULD or MAY, is RFC 9846's, or is a TLS 1.3 rule in a TLS 1.2 conversation. No finding.
   */
  | 'stricter'
  /** After a warning alert the RFC lets the receiver go on or stop after: going on or stopping. No finding. */
  | 'warning-choice'
  /** The reference refused with internal_error, citing no rule: a limit of its own. No finding. */
  | 'reference-limit'
  /** The server target refused a changed offer with handshake_failure / insufficient_security (no acceptable parameters). No finding. */
  | 'declines'
  /**
   * Both abort at the same step, one with an alert, one without: TLS 1.3, the target closes without an alert
   * where the reference sends one, or the reference closes (after an error alert it got) where the target sends
   * an alert. Not a finding (counted with the alert names): RFC 8446 6.2: "Whenever an implementation encounters a fatal error condition, it SHOULD send an
   * appropriate fatal alert and MUST close the connection [...] The phrases "terminate the connection with an X
   * alert" and "abort the handshake with an X alert" mean that the implementation MUST send alert X if it sends
   * any alert."
   */
  | 'close-for-alert'
  /**
   * The target waits where the reference refused a length that claims more bytes than were sent (a record or
   * handshake length, a message cut short): the target has not received the whole record or message yet, and no
   * RFC rule makes it judge one before it has. Not a finding (counted with the alert names).
   */
  | 'waits';

export interface Finding {
  kind: FindingKind;
  /** `<kind>: <reference outcome> [rule] / <target outcome>`. */
  signature: string;
  conversation: Conversation;
  /** The conversation's steps (the base with its faults applied). */
  steps: Step[];
  /** The base scenario the faults were applied to (caseOf(scenario, steps) plays the finding again). */
  scenario: Scenario;
  /** The base's steps (fault step numbers count these) and the harness's config. */
  baseSteps: Step[];
  config: PeerConfig;
  reference: Played;
  target: Played;
  /**
   * To replay the search: the batch's fast-check seed and the shrunk conversation's path (for a finding unmasked
   * from an alert-name difference, the path of the conversation it was found in, with more faults).
   */
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
  /** How long shrinking one finding may take (default 60 s; also bounded by what is left of `seconds`). */
  shrinkSeconds?: number;
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
  /**
   * Replay one conversation of an earlier search instead of searching: the fast-check path a finding printed,
   * with its batch seed as `seed` (and the same target, role, versions and corpus).
   */
  replay?: string;
  /** With replay: told what the replayed conversation gave when it is not a finding. */
  onReplay?: (c: Conversation, what: string) => void;
  /** Told of each base the target and reference complete, or the reason a setting is left out. */
  onBase?: (setting: Setting, ok: boolean, detail: string) => void;
}

export interface FuzzReport extends Omit<Progress, 'findings'> {
  findings: Finding[];
  /** Differences that are not findings, by signature with a count: alert names (unless alertNames), a stricter reference. */
  differences: Map<string, number>;
  /** Conversations that reached something new (a rule of the reference, an outcome of the target): the corpus. */
  interesting: Conversation[];
  bases: Base[];
  /** Findings whose signature did not come back when replayed (timing): left out. */
  unstable: number;
  /** Why conversations were unplayable: each reason with a count and its first conversation (findings.json). */
  unplayableReasons: Map<string, number>;
  unplayableExamples: Map<string, Conversation>;
  interrupted: boolean;
}

/** Faults after which the receiver waits for bytes that never come: a length above what was sent, a message cut short. */
export function leavesIncomplete(faults: readonly Fault[]): boolean {
  return faults.some(
    (f) =>
      (f.kind === 'record' && f.record.length !== undefined && f.record.length > 16384) ||
      // The message's own length (the field is the message's name), or a cut that keeps the header's length.
      (f.kind === 'mutate' &&
        f.ops.some(
          (op) =>
            op.op === 'truncate' ||
            (op.op === 'length' && !op.field.includes('.') && op.value >= 0x10000) ||
            // An xor inside the message's own 3-byte length (the field named by the message alone starts with it).
            (op.op === 'xor' && 'field' in op.pos && !op.pos.field.includes('.') && (op.pos.at ?? 0) <= 2),
        )),
  );
}

/**
 * How the outcomes of one conversation compare: undefined when they agree. With the conversation, the
 * differences the RFC allows are told apart (kinds close-for-alert and waits: not findings).
 */
export function compare(ref: Played, tgt: Played, c?: Conversation): { kind: FindingKind; signature: string } | undefined {
  // The target ends at an earlier step than the reference: up to there the reference went on, so the difference
  // is the target's refusal of what the reference took (the reference's later refusal is another fault's, and
  // naming it would make one bug as many findings as there are later faults, none of them droppable).
  // Only when the outcome classes differ: the same alert (or two alerts) at different steps can be one fault
  // seen at once by one side and later by the other.
  const earlier = tgt.step !== undefined && ref.step !== undefined && tgt.step < ref.step && tgt.outcome.kind !== ref.outcome.kind;
  const r: Outcome = earlier ? { kind: 'completes' } : ref.outcome;
  if (earlier) ref = { ...ref, outcome: r, rule: undefined };
  const t = tgt.outcome;
  const rl = `${outcomeLabel(r)}${ref.rule ? ` [${ref.rule.rule}]` : ''}`;
  const sig = (kind: FindingKind, tl = outcomeLabel(t)) => ({ kind, signature: `${kind}: ${rl} / ${tl}` });
  if (t.kind === 'crash') return sig('crash');
  // Both abort at the same point, one with an alert and one without (a target that went on to a later step
  // accepted what the reference refused: still a finding).
  const together = ref.step !== undefined && tgt.step !== undefined && tgt.step <= ref.step;
  if (together && c?.setting.endsWith('tls13') && r.kind === 'alert' && t.kind === 'close') return sig('close-for-alert');
  // The reference closes without an alert (it received an error alert: RFC 8446 6.2, RFC 5246 7.2.2) where the
  // target aborts with one: both abort; an alert before the close is what RFC 5246 7.2.2 asks and RFC 8446 6.2 advises.
  if (together && r.kind === 'close' && t.kind === 'alert') return sig('close-for-alert');
  if (c && t.kind === 'silence' && (r.kind === 'alert' || r.kind === 'close') && leavesIncomplete(c.faults)) return sig('waits');
  if (r.kind === t.kind) {
    if (r.kind === 'alert' && t.kind === 'alert' && r.alert !== t.alert) return sig('alert-name');
    if (r.kind === 'sends' && t.kind === 'sends' && r.message !== t.message) return sig('diverges');
    return undefined;
  }
  if (t.kind === 'garbage') return sig('garbage');
  if (t.kind === 'violation') return sig('violation');
  const aborts = (o: Outcome) => o.kind === 'alert' || o.kind === 'close';
  const goesOn = (o: Outcome) => o.kind === 'completes' || o.kind === 'sends';
  if (aborts(r) && goesOn(t)) return sig('accepts');
  // Both abort, the target at a later step: it went past what the reference refused.
  if (aborts(r) && aborts(t) && ref.step !== undefined && tgt.step !== undefined && tgt.step > ref.step) return sig('accepts');
  if (goesOn(r) && aborts(t)) return sig('refuses');
  if (t.kind === 'silence') return sig('hang');
  if (r.kind === 'silence') return sig('reference-waits');
  if (goesOn(r) && goesOn(t)) return sig('diverges');
  return sig('abort-class');
}

/**
 * compare(), then what the RFC says of it: an 'accepts' whose rule binds the sender or the other role is the
 * reference being stricter than the RFC (a sender's rule applied to what it receives); a 'hang' after a length
 * was changed or a message cut short is the target waiting for the bytes the length announces.
 */
export function difference(ref: Played, tgt: Played, c: Conversation, role: Role, baseSteps?: readonly Step[]): { kind: FindingKind; signature: string } | undefined {
  const diff = compare(ref, tgt, c);
  // A warning alert the RFC lets the receiver go on or stop after (TLS 1.2, or before the version is agreed):
  // going on, stopping, and how it stops are all allowed; other differences (a crash, garbage, a violation, another
  // message) are still judged.
  const openWarning = baseSteps !== undefined && c.faults.some((f) => f.kind === 'interleave' && f.what === 'warning_alert' && !judgesWarnings(c.setting, baseSteps, f.step));
  if (diff && openWarning && ['accepts', 'refuses', 'abort-class', 'close-for-alert', 'alert-name'].includes(diff.kind)) return { kind: 'warning-choice', signature: `warning-choice: ${diff.signature.replace(/^[a-z-]+: /, '')}` };
  const faults = c.faults;
  const tls12 = c.setting.endsWith('tls12');
  const as = (kind: FindingKind, why: string) => diff && { kind, signature: `${kind} (${why}): ${diff.signature.replace(/^[a-z-]+: /, '')}` };
  if (diff?.kind === 'accepts' && ref.outcome.kind === 'alert' && ref.rule) {
    const rule = ref.rule.rule;
    // RFC 9846 (the TLS 1.3 revision) where the reference follows it: a target may follow RFC 8446.
    if (/^RFC 9846\b/.test(rule)) return as('stricter', 'an RFC 9846 rule');
    // A TLS 1.3 rule of the record layer or the handshake applied in a TLS 1.2 conversation (RFC 8446 4 and 6
    // define decode_error and illegal_parameter for any message, RFC 5246 7.2.2 the same).
    if (tls12 && /^RFC 8446 (5|4\.|B|D)/.test(rule)) return as('stricter', `a TLS 1.3 rule (${rule}) in TLS 1.2`);
    const s = citation(rule, ref.outcome.alert, ref.rule.detail);
    if (s && !bindsTarget(s, role)) return as('stricter', `${s.id} binds the ${s.binds}`);
    // "Servers MAY check ...": the reference checks what the RFC lets a receiver check.
    if (s && s.level !== 'must') return as('stricter', `${s.id} is a ${s.level.toUpperCase()}`);
  }
  // The reference's own limit, without a rule (internal_error): not the RFC's.
  if (diff && ref.outcome.kind === 'alert' && ref.outcome.alert === 'internal_error' && !ref.rule) return as('reference-limit', 'the reference hit a limit of its own');
  if (diff?.kind === 'hang' && announcesMore(faults)) return as('waits', 'a length announces bytes that never come');
  // The reference waits for the rest of a unit the target refused early (a size limit of its own): both allowed.
  if (diff?.kind === 'reference-waits') return as('waits', 'the reference waits for the rest');
  // A server that finds no acceptable parameters in a changed offer may refuse it (RFC 5246 7.4.1.3 / RFC 8446
  // 4.1.1): the reference accepts every suite, group and scheme, a target need not. So may a client a changed
  // ServerHello (RFC 5746 3.4: without renegotiation_info "some clients may want to terminate the handshake").
  const hello = baseSteps?.findIndex((x) => x.kind === 'send') ?? (role === 'server' ? 0 : 1);
  const offerOnly = faults.every((f) => f.step === hello && (f.kind === 'set' || f.kind === 'mutate'));
  if (diff?.kind === 'refuses' && tgt.outcome.kind === 'alert' && ['handshake_failure', 'insufficient_security'].includes(tgt.outcome.alert) && offerOnly) return as('declines', 'no acceptable parameters');
  // An extension the reference does not implement, inserted with a body of its own: the reference ignores it
  // (RFC 8446 4.1.2: "Servers MUST ignore unrecognized extensions"), a target that implements it checks it.
  const inserted = faults.some((f) => f.kind === 'mutate' && f.ops.some((op) => op.op === 'insert_extension' && typeof op.type === 'string'));
  if (diff?.kind === 'refuses' && inserted) return as('declines', 'an extension the reference does not implement');
  return diff;
}

/** Differences the RFC allows: counted, not findings. */
const NOT_FINDINGS: ReadonlySet<FindingKind> = new Set(['stricter', 'waits', 'close-for-alert', 'reference-limit', 'declines', 'warning-choice']);
const isFinding = (kind: FindingKind, o: FuzzOptions) => !NOT_FINDINGS.has(kind) && (kind !== 'alert-name' || o.alertNames === true);

/** A fault after which a receiver may rightly wait for more bytes: a length changed, a message cut short. */
export const announcesMore = (faults: readonly Fault[]) =>
  faults.some((f) => (f.kind === 'record' && f.record.length !== undefined) || (f.kind === 'mutate' && f.ops.some((op) => op.op === 'length' || op.op === 'truncate' || op.op === 'xor' && 'field' in op.pos && !op.pos.field.includes('.'))));

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
  const report: FuzzReport = { conversations: 0, findings: [], unplayable: 0, rules: 0, elapsedMs: 0, differences: new Map(), interesting: [], bases: [], unstable: 0, unplayableReasons: new Map(), unplayableExamples: new Map(), interrupted: false };
  const rules = new Set<string>();
  const seen = new Set<string>();
  const known = new Set<string>();
  const stopped = () => o.signal?.aborted === true;
  /** Conversations started (the runs limit counts these, so parallel jobs do not overshoot it). */
  let launched = 0;
  const spent = () => (o.runs !== undefined && launched >= o.runs) || (o.seconds !== undefined && now() - started >= o.seconds * 1000) || report.findings.length >= o.maxFindings;
  const progress = () => {
    report.elapsedMs = now() - started;
    report.rules = rules.size;
    o.onProgress?.({ conversations: report.conversations, findings: report.findings.length, unplayable: report.unplayable, rules: rules.size, elapsedMs: report.elapsedMs });
  };

  // ---- bases: each setting's first variant the target and the reference both complete ----
  const settings = o.versions.map((v): Setting => `${o.role}-${v}`);
  for (const setting of settings) {
    let why = '';
    for (let v = 0; v < baseVariants(setting) && !stopped(); v++) {
      const scenario = baseScenario(setting, v);
      const { shapes, onSend } = shapeCollector();
      const po = { timeoutMs, expectTimeoutMs };
      const [t, r] = await Promise.all([play(target, caseOf(scenario, scenario.steps, `fuzz-base-${++serial}`), { ...po, onSend }), play(reference, caseOf(scenario, scenario.steps, `fuzz-base-${++serial}`), po)]);
      if (t.outcome.kind === 'completes' && r.outcome.kind === 'completes') {
        report.bases.push({ setting, scenario, shapes });
        why = '';
        o.onBase?.(setting, true, !plainCloseVariant(setting, v) ? 'closure with close_notify' : 'the target closes without close_notify: a plain close ends the conversation as well');
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
  const evaluate = async (c: Conversation, count = true, silenceMs = expectTimeoutMs) => {
    const base = baseOf.get(c.setting);
    if (!base) return undefined;
    const steps = stepsOf(c);
    const id = `fuzz-${++serial}`;
    const po = { timeoutMs: Math.max(timeoutMs, 4 * silenceMs), expectTimeoutMs: silenceMs, ...(o.signal ? { signal: o.signal } : {}) };
    const [ref, tgt] = await Promise.all([play(reference, caseOf(base.scenario, steps, `${id}-reference`), po), play(target, caseOf(base.scenario, steps, id), po)]);
    if (count) report.conversations++;
    // The harness cannot judge a conversation it cannot follow against the reference itself: one whose reference
    // side it cannot decrypt or finds breaking a rule is the harness's (or the reference's) problem, noted as such.
    const lost = ref.outcome.kind === 'garbage' || ref.outcome.kind === 'violation';
    if (ref.outcome.kind === 'error' || tgt.outcome.kind === 'error' || lost) {
      if (count) report.unplayable++;
      const why = (lost ? `the harness cannot follow the reference: ${ref.result.reason ?? ''}` : ref.outcome.kind === 'error' ? ref.outcome.detail : tgt.outcome.kind === 'error' ? tgt.outcome.detail : '').replace(/\(step \d+.*$/, '').slice(0, 120);
      report.unplayableReasons.set(why, (report.unplayableReasons.get(why) ?? 0) + 1);
      if (!report.unplayableExamples.has(why)) report.unplayableExamples.set(why, c);
      return undefined;
    }
    const d = difference(ref, tgt, c, o.role, base.scenario.steps);
    // The setting is part of the signature: one difference in TLS 1.2 does not hide the same one in TLS 1.3.
    const diff = d && { ...d, signature: `${c.setting} ${d.signature}` };
    return { steps, ref, tgt, diff };
  };
  const signatureOf = async (c: Conversation) => (await evaluate(c, false))?.diff?.signature;

  /**
   * Confirm, shrink and keep a difference first seen in `c` (index `i` of the batch with `seed`). Without `arb`,
   * `c` is not the conversation at that path (it was unmasked from it): shrunk by dropping faults and ops only.
   */
  const pursue = async (c: Conversation, wanted: string, seed: number, i: number, arb?: fc.Arbitrary<Conversation>, batch = 1) => {
    // A hang must outlast a generous wait too (four times --timeout, at least 2 s): a target that answers after
    // a second (OpenSSL's s_server after a KeyUpdate) is slow, not hanging. Counted with the differences.
    if (/^\S+ hang:/.test(wanted)) {
      const slow = await evaluate(c, false, Math.max(2000, 4 * expectTimeoutMs));
      if (slow?.diff?.signature !== wanted) {
        const sig = wanted.replace(' hang:', ' slow:');
        const n = (report.differences.get(sig) ?? 0) + 1;
        report.differences.set(sig, n);
        // Three slow ones of a signature: the rest of its kind are not waited for again (each costs the long wait).
        if (n < 3) known.delete(wanted);
        return;
      }
    }
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
    // Shrinking is bounded: by --shrink-seconds, and by what is left of --seconds (the best so far is kept).
    const left = o.seconds !== undefined ? Math.max(1000, o.seconds * 1000 - (now() - started)) : Infinity;
    const budget = Math.min((o.shrinkSeconds ?? 60) * 1000, left);
    const deadline = now() + budget;
    const outOfTime = () => stopped() || now() >= deadline;
    if (!stopped()) {
      const res = arb
        ? await fc.check(
            fc.asyncProperty(arb, async (x) => outOfTime() || (await signatureOf(x)) !== wanted),
            { seed, path: String(i), numRuns: batch, interruptAfterTimeLimit: budget },
          )
        : undefined;
      if (res?.failed && res.counterexample) {
        best = res.counterexample[0];
        path = res.counterexamplePath ?? path;
      }
      best = await dropWhileSame(best, wanted, signatureOf, outOfTime);
      shrunk = !outOfTime() && !res?.interrupted;
    }
    const last = await evaluate(best, false);
    if (!last?.diff || last.diff.signature !== wanted) {
      // The shrunk one did not hold on its last replay: keep the original.
      best = c;
    }
    const final = last?.diff?.signature === wanted ? last : await evaluate(c, false);
    // Neither the shrunk nor the first conversation gives the signature any more: timing, not a finding.
    if (!final?.diff || final.diff.signature !== wanted) {
      report.unstable++;
      return;
    }
    const base = baseOf.get(best.setting)!;
    const f: Finding = { kind: final.diff.kind, signature: wanted, conversation: best, steps: final.steps, scenario: base.scenario, baseSteps: base.scenario.steps, config: base.scenario.config, reference: final.ref, target: final.tgt, seed, path, shrunk };
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
  if (o.replay !== undefined) {
    const c = conversationAt(arb, o.seed, o.replay);
    const e = await evaluate(c);
    report.interesting.push(c);
    if (e?.diff && isFinding(e.diff.kind, o)) {
      const base = baseOf.get(c.setting)!;
      const f: Finding = { kind: e.diff.kind, signature: e.diff.signature, conversation: c, steps: e.steps, scenario: base.scenario, baseSteps: base.scenario.steps, config: base.scenario.config, reference: e.ref, target: e.tgt, seed: o.seed, path: o.replay, shrunk: true };
      report.findings.push(f);
      await o.onFinding?.(f);
    } else o.onReplay?.(c, e ? `${e.diff ? `${e.diff.signature} (not a finding without alertNames)` : `the target and the reference agree: ${outcomeLabel(e.ref.outcome)}`}` : 'the conversation could not be played');
    progress();
    return report;
  }
  let lastProgress = 0;
  const judge = async (c: Conversation, seed: number, i: number, batchArb: fc.Arbitrary<Conversation> | undefined, n: number) => {
    launched++;
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
      report.differences.set(e.diff.signature, (report.differences.get(e.diff.signature) ?? 0) + 1);
      if (e.diff.kind === 'alert-name') await unmask(c, e.diff.signature, seed, i);
      return;
    }
    if (known.has(e.diff.signature)) return;
    known.add(e.diff.signature); // claimed: a concurrent job with the same signature does not pursue it too
    await pursue(c, e.diff.signature, seed, i, batchArb, n);
  };
  /**
   * Two different alerts can hide a finding: the target went past the fault the reference refused (it accepted
   * it) and refused a later fault of the same conversation, with that fault's alert. So the first time an
   * alert-name signature comes up in a conversation of several faults, the conversation is played again without
   * each fault in turn (recursively while alert names still differ); a finding there is pursued like any other.
   */
  const unmasked = new Set<string>();
  const unmask = async (c: Conversation, signature: string, seed: number, i: number): Promise<void> => {
    if (c.faults.length < 2 || unmasked.has(signature)) return;
    unmasked.add(signature);
    for (let k = 0; k < c.faults.length && !stopped() && !spent(); k++) {
      const fewer: Conversation = { ...c, faults: c.faults.filter((_, j) => j !== k) };
      launched++;
      const e = await evaluate(fewer);
      if (!e?.diff) continue;
      if (e.diff.kind === 'alert-name' && !isFinding(e.diff.kind, o)) await unmask(fewer, e.diff.signature, seed, i);
      else if (isFinding(e.diff.kind, o) && !known.has(e.diff.signature)) {
        known.add(e.diff.signature);
        await pursue(fewer, e.diff.signature, seed, i);
      }
    }
  };
  // The corpus first, as it is (regressions of earlier findings come back at once).
  // A corpus conversation is at no path of this search: shrunk by dropping faults and ops only.
  await pool(corpus, o.jobs ?? 1, (c) => judge(c, o.seed, -1, undefined, 1).then(() => undefined), () => stopped() || spent());
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

/** The conversation at `path` of the search with `seed` (fast-check replays it without shrinking further). */
export function conversationAt(arb: fc.Arbitrary<Conversation>, seed: number, path: string): Conversation {
  if (!/^\d+(:\d+)*$/.test(path)) throw new RangeError(`'${path}' is not a fast-check path (numbers separated by ':')`);
  const r = fc.check(fc.property(arb, () => false), { seed, path, endOnFailure: true });
  if (!r.failed || !r.counterexample) throw new RangeError(`path ${path} of seed ${seed} names no conversation of this search`);
  return r.counterexample[0] as Conversation;
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
