/**
 * Runs many cases against one target: concurrency (`--jobs`, only where the target allows it), expected
 * failures, indistinguishability groups (compared once every case finished: indist.ts), the run summary,
 * and interruption (an aborted run stops starting cases; the cases running end with verdict `error`,
 * "interrupted"; the result says `interrupted` and holds what finished).
 */
import type { ScenarioCase } from '../scenario/model.ts';
import type { ExpectedFailure, Target } from '../targets/types.ts';
import type { CaseResult, RunResult } from './result.ts';
import { runCase, type RunCaseOptions } from './run-case.ts';
import { ControlCache } from './controls.ts';
import { applyGroups, compareGroups } from './indist.ts';
import { isUnexpectedResult, summarize } from '../report/json.ts';

export { summarize };

export interface RunAllOptions extends Omit<RunCaseOptions, 'signal' | 'controls'> {
  jobs: number;
  /**
   * The run's positive controls: a cache to fill (so the caller can report it while the run goes on), or
   * false to run without controls (`run --no-controls`). Default: a new cache.
   */
  controls?: ControlCache | false;
  /** --strict: lenient and advisory outcomes are failures (the verdict becomes fail, `promotedFrom` says what it was). */
  strict?: boolean;
  runId: string;
  signal?: AbortSignal;
  /** Called as each case finishes (for progress output and incremental reports). */
  onCase?: (result: CaseResult, done: number, total: number) => void;
  /** Called before each case starts. */
  onStart?: (c: ScenarioCase) => void;
}

/** A glob over case ids: `*` any run of characters, `?` one; everything else literal (brackets included). */
export function globMatch(pattern: string, id: string): boolean {
  const re = new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`);
  return re.test(id);
}

export function expectedFailureFor(id: string, list: readonly ExpectedFailure[]): ExpectedFailure | undefined {
  return list.find((f) => globMatch(f.id, id) || globMatch(f.id, id.replace(/\[.*$/, '')));
}

/** Cases listed as expected failures: a fail/error is expected; a pass is an unexpected pass (it fails the run). */
export function applyExpectedFailure(r: CaseResult, list: readonly ExpectedFailure[]): CaseResult {
  const xf = expectedFailureFor(r.id, list);
  return xf ? { ...r, expectedFailure: xf.reason } : r;
}

/**
 * --strict: a lenient outcome (another alert than the RFC names, or a plain close) and an advisory (a SHOULD or
 * MAY not followed) become failures; the reason says what the case was before.
 */
export function applyStrict(r: CaseResult, strict: boolean | undefined): CaseResult {
  if (!strict || (r.verdict !== 'lenient' && r.verdict !== 'advisory')) return r;
  return { ...r, verdict: 'fail', promotedFrom: r.verdict, reason: `${r.verdict} (a failure with --strict): ${r.reason ?? ''}`.replace(/: $/, '') };
}

/**
 * True when a case's result is not what the run expects: a failure not listed as expected, any error (a
 * harness or setup fault is never "expected"), or an expected failure that passed.
 */
export function isUnexpected(c: CaseResult): boolean {
  return isUnexpectedResult(c);
}

/**
 * A case that ended on "the target reset the connection" right after one of the harness's writes was refused:
 * a target that aborts sends its alert and closes, and when the harness writes its next record at that
 * moment, the kernel's reset makes Node drop the socket with the alert unread in it. The verdict then says
 * what the harness lost, not what the target did, so runAll runs such a case a second time (once) and
 * reports that run, with the first one's reason in `retried`.
 */
export function resetMayHideAlert(r: CaseResult): boolean {
  if (r.verdict !== 'fail' && r.verdict !== 'lenient' && r.verdict !== 'advisory') return false;
  if (!/reset the connection/.test(r.reason ?? '')) return false;
  return r.transcript.some((e) => e.kind === 'write_error' && /reset the connection/.test(e.name ?? ''));
}

export async function runAll(cases: readonly ScenarioCase[], target: Target, opts: RunAllOptions): Promise<RunResult> {
  const startedAt = new Date().toISOString();
  const results: (CaseResult | undefined)[] = new Array(cases.length);
  // A target that takes one connection at a time runs one case at a time, or one per instance of a pool.
  const jobs = target.capabilities.concurrent ? Math.max(1, opts.jobs) : Math.min(Math.max(1, opts.jobs), target.instances ?? 1);
  const controls = opts.controls === false ? undefined : (opts.controls ?? new ControlCache());
  let nextIndex = 0;
  let done = 0;
  const worker = async () => {
    for (;;) {
      if (opts.signal?.aborted) return;
      const i = nextIndex++;
      if (i >= cases.length) return;
      opts.onStart?.(cases[i]);
      const once = async () => applyExpectedFailure(applyStrict(await runCase(cases[i], target, { ...opts, signal: opts.signal, controls }), opts.strict), target.expectedFailures);
      let r = await once();
      if (resetMayHideAlert(r) && !opts.signal?.aborted) {
        // The evidence is the harness's own loss, not the target's behaviour: run the case once more.
        const first = r.reason ?? r.verdict;
        r = await once();
        r = { ...r, retried: first };
      }
      // A case cut short by an interruption did not finish: it is not reported.
      if (opts.signal?.aborted && r.verdict === 'error' && r.reason === 'interrupted') return;
      results[i] = r;
      done++;
      opts.onCase?.(r, done, cases.length);
    }
  };
  await Promise.all(Array.from({ length: Math.min(jobs, cases.length) }, worker));
  // The groups are judged on what finished; a group that differs turns its passing cases into failures,
  // so `onCase` saw each case's own verdict, and the result holds the final one.
  const groups = compareGroups(cases, results);
  const finished = applyGroups(
    results.filter((r): r is CaseResult => r !== undefined),
    groups,
  );
  return {
    runId: opts.runId,
    target: target.name,
    startedAt,
    finishedAt: new Date().toISOString(),
    interrupted: opts.signal?.aborted ?? false,
    summary: summarize(finished),
    cases: finished,
    ...(controls ? { controls: controls.results() } : {}),
    ...(groups.length ? { groups } : {}),
  };
}
