/**
 * report.json: the machine-readable record of a run (schema: report.schema.json, described in the README,
 * section "Reports"). `toReportJson` builds it from a RunResult, `validateReport` / `readReport` accept only
 * files that are tls-harness reports of a schema version this code understands.
 */
import { readFileSync } from 'node:fs';
import { UsageError } from '../errors.ts';
import { fromRoot } from '../paths.ts';
import type { CaseResult, ControlResult, GroupResult, RunCapabilities, RunResult, RunSummary, TargetOutput, TranscriptEntry, Verdict } from '../engine/result.ts';
import type { ProbeReport, TrustReport } from '../targets/probe.ts';

export const SCHEMA_VERSION = 1;
export const TOOL_NAME = 'tls-harness';
export const VERDICTS: readonly Verdict[] = ['pass', 'lenient', 'advisory', 'fail', 'error', 'skip'];

export interface ReportRfc {
  doc: number;
  section: string;
  quote: string;
  /** The requirement level of the rule (must | should | may); a should/may deviation is an advisory. */
  level: 'must' | 'should' | 'may';
  /** https://www.rfc-editor.org/rfc/rfcN#section-S (appendix-S for lettered sections). */
  url: string;
}

export interface ReportStep {
  index: number;
  file: string;
  line: number;
  col: number;
}

export interface ReportCase {
  id: string;
  scenarioId: string;
  title: string;
  verdict: Verdict;
  rfc: ReportRfc;
  /** The role the target played (server: the harness was the client). Absent in reports written before it was recorded. */
  targetRole?: 'server' | 'client';
  /** The scenario's tags. Absent in reports written before they were recorded. */
  tags?: string[];
  reason: string | null;
  expected: string | null;
  observed: string | null;
  step: ReportStep | null;
  expectedFailure: string | null;
  /** Set when --strict turned a lenient or advisory verdict into fail. */
  promotedFrom?: 'lenient' | 'advisory';
  /** Set when the case ran twice: the first run's reason, a reset that may have hidden the target's alert. */
  retried?: string;
  params: Record<string, string | number>;
  durationMs: number;
  transcript: TranscriptEntry[];
  /** Process targets only: what the target's process wrote during the case (last 8 KiB of each stream). */
  targetOutput?: TargetOutput;
}

/** A positive control as report.json lists it (ControlResult: key, verdict, reason, durationMs, cases, transcript?). */
export type ReportControl = ControlResult;

/** An indistinguishability group as report.json lists it (GroupResult: id, scenarioId, cases, variants, outcomes, timesMs, equal, notes). */
export type ReportGroup = GroupResult;

export interface ReportTool {
  name: string;
  version: string;
}

export interface ReportJson {
  schemaVersion: 1;
  runId: string;
  target: string;
  startedAt: string;
  finishedAt: string;
  interrupted: boolean;
  tool: ReportTool;
  summary: RunSummary;
  /** The positive controls of the run, in the order they were first needed (absent with --no-controls). */
  controls?: ReportControl[];
  /** The indistinguishability groups, compared after the run (absent when no scenario of the run declares one). */
  groups?: ReportGroup[];
  cases: ReportCase[];
  /** Only in merged reports: the shard reports this one was merged from, in argument order. */
  mergedFrom?: { runId: string; file: string }[];
  /** When the target was probed: what the probe found (README, "Targets": probing). */
  probe?: ProbeReport;
  /** When the chain was not simply checked against the test CA: --ca, --no-verify-chain, or a chain that did not validate. */
  trust?: TrustReport;
  /** The command line of the run (`tls-harness run --target openssl ...`), as its arguments. */
  command?: string[];
  /** The capabilities the cases ran with (the target's, as probed or stated, narrowed by the capability flags). */
  capabilities?: RunCapabilities;
}

let cachedVersion: string | undefined;
/** This tls-harness, as recorded in `tool`. */
export function toolInfo(): ReportTool {
  if (cachedVersion === undefined) {
    try {
      const pkg = JSON.parse(readFileSync(fromRoot('package.json'), 'utf8')) as { version?: string };
      cachedVersion = pkg.version ?? '0.0.0';
    } catch {
      cachedVersion = '0.0.0';
    }
  }
  return { name: TOOL_NAME, version: cachedVersion };
}

/** The rfc-editor.org link of an RFC section ("4.4.4" -> #section-4.4.4, "B.2" -> #appendix-B.2). */
export function rfcUrl(doc: number, section: string): string {
  const base = `https://www.rfc-editor.org/rfc/rfc${doc}`;
  const s = section.trim().replace(/^(section|appendix|§)\s*/i, '');
  if (s === '') return base;
  return /^[A-Za-z]/.test(s) ? `${base}#appendix-${encodeURIComponent(s)}` : `${base}#section-${encodeURIComponent(s)}`;
}

/** A failure not listed as expected, or an error. */
export function isUnexpectedFailure(c: { verdict: Verdict; expectedFailure?: string | null }): boolean {
  return (c.verdict === 'fail' && !isExpectedFailure(c)) || c.verdict === 'error';
}

/** What makes a run not as expected: an unexpected failure or error, or a listed expected failure that passed. */
export function isUnexpectedResult(c: { verdict: Verdict; expectedFailure?: string | null }): boolean {
  return isUnexpectedFailure(c) || isUnexpectedPass(c);
}

/** Expected failure that failed: counted in `failed` and in `expectedFailures`. */
export function isExpectedFailure(c: { verdict: Verdict; expectedFailure?: string | null }): boolean {
  return !!c.expectedFailure && c.verdict === 'fail';
}

/** A case listed as an expected failure that passed (pass or lenient): it fails the run. */
export function isUnexpectedPass(c: { verdict: Verdict; expectedFailure?: string | null }): boolean {
  return !!c.expectedFailure && (c.verdict === 'pass' || c.verdict === 'lenient');
}

/**
 * Counts verdicts. `expectedFailures`: verdict fail with `expectedFailure` set (also counted in `failed`);
 * `unexpectedPasses`: verdict pass or lenient with `expectedFailure` set (also counted in passed/lenient).
 */
export function summarize(cases: readonly { verdict: Verdict; expectedFailure?: string | null }[]): RunSummary {
  const s: RunSummary = { total: 0, passed: 0, lenient: 0, advisory: 0, failed: 0, errors: 0, skipped: 0, expectedFailures: 0, unexpectedPasses: 0 };
  for (const c of cases) {
    s.total++;
    if (c.verdict === 'pass') s.passed++;
    else if (c.verdict === 'lenient') s.lenient++;
    else if (c.verdict === 'advisory') s.advisory++;
    else if (c.verdict === 'fail') s.failed++;
    else if (c.verdict === 'error') s.errors++;
    else if (c.verdict === 'skip') s.skipped++;
    if (isExpectedFailure(c)) s.expectedFailures++;
    if (isUnexpectedPass(c)) s.unexpectedPasses++;
  }
  return s;
}

/** Whether a summary is all as expected: no unexpected failure, no error, no unexpected pass. */
export function summaryOk(s: RunSummary): boolean {
  return s.failed - s.expectedFailures === 0 && s.errors === 0 && s.unexpectedPasses === 0;
}

export function toReportCase(c: CaseResult): ReportCase {
  return {
    id: c.id,
    scenarioId: c.scenarioId,
    title: c.title,
    verdict: c.verdict,
    rfc: { doc: c.rfc.doc, section: c.rfc.section, quote: c.rfc.quote, level: c.rfc.level ?? 'must', url: rfcUrl(c.rfc.doc, c.rfc.section) },
    ...(c.targetRole ? { targetRole: c.targetRole } : {}),
    ...(c.tags ? { tags: c.tags } : {}),
    reason: c.reason ?? null,
    expected: c.expected ?? null,
    observed: c.observed ?? null,
    step: c.step ? { index: c.step.index, file: c.step.loc.file, line: c.step.loc.line, col: c.step.loc.col } : null,
    expectedFailure: c.expectedFailure ?? null,
    ...(c.promotedFrom ? { promotedFrom: c.promotedFrom } : {}),
    ...(c.retried ? { retried: c.retried } : {}),
    params: c.params,
    durationMs: c.durationMs,
    transcript: c.transcript,
    ...(c.targetOutput ? { targetOutput: c.targetOutput } : {}),
  };
}

/** The report of a run (`summary` as the run computed it; see `summarize` to recompute). */
export function toReportJson(run: RunResult, tool: ReportTool = toolInfo(), cases: ReportCase[] = run.cases.map(toReportCase)): ReportJson {
  return {
    schemaVersion: SCHEMA_VERSION,
    runId: run.runId,
    target: run.target,
    startedAt: run.startedAt,
    finishedAt: run.finishedAt,
    interrupted: run.interrupted,
    tool,
    summary: run.summary,
    ...(run.controls ? { controls: run.controls } : {}),
    ...(run.groups ? { groups: run.groups } : {}),
    ...(run.probe ? { probe: run.probe } : {}),
    ...(run.trust ? { trust: run.trust } : {}),
    ...(run.command ? { command: run.command } : {}),
    ...(run.capabilities ? { capabilities: run.capabilities } : {}),
    cases,
  };
}

// ---- serialization -----------------------------------------------------------------------------------

/** For transcripts that break the JSON-safe promise: bytes as hex, bigints as decimal strings. */
function safeReplacer(_k: string, v: unknown): unknown {
  if (typeof v === 'bigint') return v.toString();
  if (v instanceof Uint8Array) return Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('hex');
  return v;
}

/** JSON.stringify that never throws on bigints or cycles (a report must always be written). */
export function safeStringify(v: unknown, indent?: number): string {
  try {
    return JSON.stringify(v, null, indent);
  } catch {
    const seen = new WeakSet<object>();
    return JSON.stringify(
      v,
      (k, x) => {
        const y = safeReplacer(k, x);
        if (typeof y === 'object' && y !== null) {
          if (seen.has(y)) return '[circular]';
          seen.add(y);
        }
        return y;
      },
      indent,
    );
  }
}

/**
 * One case, as it appears (indented) inside `cases` in report.json: its fields one per line, each
 * transcript entry on one line (compact, and still diffable).
 */
export function reportCaseJson(c: ReportCase): string {
  const { transcript, ...rest } = c;
  const head = safeStringify(rest, 2).slice(0, -2); // without the closing "\n}"
  const entries = transcript.map((e) => safeStringify(e));
  const t = entries.length ? `[\n        ${entries.join(',\n        ')}\n      ]` : '[]';
  return '    ' + head.replace(/\n/g, '\n    ') + `,\n      "transcript": ${t}\n    }`;
}

/** report.json as chunks, from already-serialized cases (writeReports caches those between calls). */
export function* reportJsonChunks(report: ReportJson, caseJsons: readonly string[]): Generator<string> {
  const { cases: _cases, ...head } = report;
  const headJson = safeStringify(head, 2);
  yield headJson.slice(0, -2); // without the closing "\n}"
  yield ',\n  "cases": [';
  for (let i = 0; i < caseJsons.length; i++) yield (i === 0 ? '\n' : ',\n') + caseJsons[i];
  yield caseJsons.length ? '\n  ]\n}\n' : ']\n}\n';
}

/** The whole report.json text. */
export function serializeReport(report: ReportJson): string {
  return [...reportJsonChunks(report, report.cases.map(reportCaseJson))].join('');
}

// ---- validation --------------------------------------------------------------------------------------

class Invalid extends Error {}

function fail(path: string, what: string, got: unknown): never {
  const shown = got === undefined ? 'nothing' : typeof got === 'string' ? `'${got.length > 40 ? got.slice(0, 40) + '...' : got}'` : Array.isArray(got) ? 'an array' : got === null ? 'null' : typeof got;
  throw new Invalid(`${path}: expected ${what}, got ${shown}`);
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function str(o: Record<string, unknown>, k: string, path: string, nullable = false): void {
  const v = o[k];
  if (typeof v === 'string' || (nullable && v === null)) return;
  fail(`${path}.${k}`, nullable ? 'a string or null' : 'a string', v);
}

function num(o: Record<string, unknown>, k: string, path: string, integer = false): void {
  const v = o[k];
  if (typeof v === 'number' && Number.isFinite(v) && v >= 0 && (!integer || Number.isInteger(v))) return;
  fail(`${path}.${k}`, integer ? 'a non-negative integer' : 'a non-negative number', v);
}

function bool(o: Record<string, unknown>, k: string, path: string): void {
  if (typeof o[k] !== 'boolean') fail(`${path}.${k}`, 'true or false', o[k]);
}

/** An optional field that, when present, is an array of strings. */
function optStrings(o: Record<string, unknown>, k: string, path: string): void {
  const v = o[k];
  if (v !== undefined && (!Array.isArray(v) || !v.every((x) => typeof x === 'string'))) fail(`${path}.${k}`, 'an array of strings', v);
}

function obj(o: Record<string, unknown>, k: string, path: string): Record<string, unknown> {
  const v = o[k];
  if (!isObj(v)) fail(`${path}.${k}`, 'an object', v);
  return v;
}

const SUMMARY_KEYS = ['total', 'passed', 'lenient', 'advisory', 'failed', 'errors', 'skipped', 'expectedFailures', 'unexpectedPasses'] as const;
const DIRS = ['sent', 'received', 'note'];

function checkCase(c: unknown, p: string): void {
  if (!isObj(c)) fail(p, 'an object', c);
  for (const k of ['id', 'scenarioId', 'title']) str(c, k, p);
  if (!VERDICTS.includes(c.verdict as Verdict)) fail(`${p}.verdict`, `one of ${VERDICTS.join(', ')}`, c.verdict);
  const rfc = obj(c, 'rfc', p);
  num(rfc, 'doc', `${p}.rfc`, true);
  for (const k of ['section', 'quote', 'url']) str(rfc, k, `${p}.rfc`);
  // Reports written before requirement levels have none: their cases were all judged as MUSTs.
  rfc.level ??= 'must';
  if (!['must', 'should', 'may'].includes(rfc.level as string)) fail(`${p}.rfc.level`, 'must, should or may', rfc.level);
  for (const k of ['reason', 'expected', 'observed', 'expectedFailure']) str(c, k, p, true);
  if (c.step !== null) {
    const step = obj(c, 'step', p);
    str(step, 'file', `${p}.step`);
    for (const k of ['index', 'line', 'col']) num(step, k, `${p}.step`, true);
  }
  if (c.targetRole !== undefined && c.targetRole !== 'server' && c.targetRole !== 'client') fail(`${p}.targetRole`, 'server or client', c.targetRole);
  optStrings(c, 'tags', p);
  const params = obj(c, 'params', p);
  for (const [k, v] of Object.entries(params)) if (typeof v !== 'string' && typeof v !== 'number') fail(`${p}.params.${k}`, 'a string or a number', v);
  num(c, 'durationMs', p);
  if (c.targetOutput !== undefined) {
    const o = obj(c, 'targetOutput', p);
    for (const k of ['source', 'stdout', 'stderr']) str(o, k, `${p}.targetOutput`);
  }
  checkTranscript(c.transcript, `${p}.transcript`);
}

function checkTranscript(t: unknown, p: string): void {
  if (!Array.isArray(t)) fail(p, 'an array', t);
  t.forEach((e: unknown, j: number) => {
    const q = `${p}[${j}]`;
    if (!isObj(e)) fail(q, 'an object', e);
    num(e, 't', q);
    if (!DIRS.includes(e.dir as string)) fail(`${q}.dir`, `one of ${DIRS.join(', ')}`, e.dir);
    str(e, 'kind', q);
    str(e, 'name', q);
    if (e.wire !== undefined) str(e, 'wire', q);
    if (e.epoch !== undefined) str(e, 'epoch', q);
    optStrings(e, 'changed', q);
  });
}

const CONTROL_VERDICTS = ['pass', 'fail', 'error'];

function checkControl(c: unknown, p: string): void {
  if (!isObj(c)) fail(p, 'an object', c);
  str(c, 'key', p);
  if (!CONTROL_VERDICTS.includes(c.verdict as string)) fail(`${p}.verdict`, `one of ${CONTROL_VERDICTS.join(', ')}`, c.verdict);
  if (c.reason !== undefined) str(c, 'reason', p);
  num(c, 'durationMs', p);
  if (!Array.isArray(c.cases) || c.cases.some((x) => typeof x !== 'string')) fail(`${p}.cases`, 'an array of case ids', c.cases);
  if (c.transcript !== undefined) checkTranscript(c.transcript, `${p}.transcript`);
}

function checkGroup(g: unknown, p: string): void {
  if (!isObj(g)) fail(p, 'an object', g);
  for (const k of ['id', 'scenarioId']) str(g, k, p);
  bool(g, 'equal', p);
  const n = Array.isArray(g.cases) ? g.cases.length : -1;
  const list = (k: string, what: string, ok: (x: unknown) => boolean) => {
    const v = g[k];
    if (!Array.isArray(v) || v.length !== n || !v.every(ok)) fail(`${p}.${k}`, `${what}, one per case`, v);
  };
  if (n < 0 || !(g.cases as unknown[]).every((x) => typeof x === 'string')) fail(`${p}.cases`, 'an array of case ids', g.cases);
  list('variants', 'an array of strings', (x) => typeof x === 'string');
  list('outcomes', 'an array of strings or nulls', (x) => typeof x === 'string' || x === null);
  list('timesMs', 'an array of numbers or nulls', (x) => x === null || (typeof x === 'number' && x >= 0));
  if (!Array.isArray(g.notes) || !g.notes.every((x) => typeof x === 'string')) fail(`${p}.notes`, 'an array of strings', g.notes);
}

/**
 * Checks that `json` (parsed) is a tls-harness report this version understands and returns it typed.
 * Throws a UsageError with one line (prefixed with `source`, e.g. the file name, when given).
 */
export function validateReport(json: unknown, source?: string): ReportJson {
  const bad = (msg: string): never => {
    throw new UsageError(msg, source);
  };
  if (!isObj(json)) return bad(`not a tls-harness report (expected a JSON object, got ${Array.isArray(json) ? 'an array' : json === null ? 'null' : typeof json})`);
  const tool = json.tool;
  if (json.schemaVersion === undefined || !isObj(tool) || tool.name !== TOOL_NAME) {
    return bad(`not a tls-harness report (no schemaVersion, or tool.name is not '${TOOL_NAME}')`);
  }
  if (json.schemaVersion !== SCHEMA_VERSION) {
    return bad(
      typeof json.schemaVersion === 'number' && json.schemaVersion > SCHEMA_VERSION
        ? `report schema version ${json.schemaVersion} is newer than this tls-harness understands (${SCHEMA_VERSION}); upgrade tls-harness`
        : `unsupported report schema version ${JSON.stringify(json.schemaVersion)} (this tls-harness reads version ${SCHEMA_VERSION})`,
    );
  }
  try {
    const r = json;
    str(tool, 'version', 'tool');
    for (const k of ['runId', 'target', 'startedAt', 'finishedAt']) str(r, k, 'report');
    bool(r, 'interrupted', 'report');
    const s = obj(r, 'summary', 'report');
    // `advisory` came with the should/may levels: a report written before has none (0).
    s.advisory ??= 0;
    for (const k of SUMMARY_KEYS) num(s, k, 'summary', true);
    if (!Array.isArray(r.cases)) fail('report.cases', 'an array', r.cases);
    r.cases.forEach((c: unknown, i: number) => checkCase(c, `cases[${i}]`));
    if (r.controls !== undefined) {
      if (!Array.isArray(r.controls)) fail('report.controls', 'an array', r.controls);
      r.controls.forEach((c: unknown, i: number) => checkControl(c, `controls[${i}]`));
    }
    if (r.groups !== undefined) {
      if (!Array.isArray(r.groups)) fail('report.groups', 'an array', r.groups);
      r.groups.forEach((g: unknown, i: number) => checkGroup(g, `groups[${i}]`));
    }
    if (r.probe !== undefined) {
      const p = obj(r, 'probe', 'report');
      const caps = obj(p, 'capabilities', 'probe');
      for (const k of ['versions', 'cipher_suites', 'groups', 'signature_schemes', 'features', 'alpn']) if (!Array.isArray(caps[k])) fail(`probe.capabilities.${k}`, 'an array', caps[k]);
      num(p, 'handshakes', 'probe', true);
      num(p, 'durationMs', 'probe');
      if (p.certificate !== null) obj(p, 'certificate', 'probe');
      if (!Array.isArray(p.certificates)) fail('probe.certificates', 'an array', p.certificates);
      if (!Array.isArray(p.notes)) fail('probe.notes', 'an array', p.notes);
    }
    if (r.trust !== undefined) {
      const t = obj(r, 'trust', 'report');
      str(t, 'ca', 'trust');
      bool(t, 'verifyChain', 'trust');
    }
    optStrings(r, 'command', 'report');
    if (r.capabilities !== undefined) {
      const caps = obj(r, 'capabilities', 'report');
      for (const k of ['roles', 'versions', 'cipher_suites', 'groups', 'signature_schemes', 'features']) if (!Array.isArray(caps[k])) fail(`capabilities.${k}`, 'an array', caps[k]);
    }
    if (r.mergedFrom !== undefined) {
      if (!Array.isArray(r.mergedFrom)) fail('report.mergedFrom', 'an array', r.mergedFrom);
      r.mergedFrom.forEach((m: unknown, i: number) => {
        if (!isObj(m)) fail(`mergedFrom[${i}]`, 'an object', m);
        str(m, 'runId', `mergedFrom[${i}]`);
        str(m, 'file', `mergedFrom[${i}]`);
      });
    }
  } catch (e) {
    if (e instanceof Invalid) return bad(`invalid tls-harness report: ${e.message.replace(/^report\./, '')}`);
    throw e;
  }
  return json as unknown as ReportJson;
}

/** Reads and validates a report.json; every problem (missing file, bad JSON, not a report) is a UsageError. */
export function readReport(path: string): ReportJson {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new UsageError(code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory, not a report.json' : `cannot read: ${(e as Error).message}`, path);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new UsageError(`not a tls-harness report (not JSON: ${(e as Error).message.split('\n')[0]})`, path);
  }
  return validateReport(json, path);
}
