/**
 * Writing a run's reports: report.json, junit.xml and summary.md in `reports/<run-id>/`, each atomically
 * (writeFileAtomic). `writeReports` may be called again and again as cases finish (and once more on
 * Ctrl-C): each case's JSON and XML are serialized once and cached, so a call costs little more than
 * concatenating and writing the files. A CaseResult must not be changed after it has been written (the
 * cache notices a changed verdict, reason, duration or transcript length, nothing finer).
 */
import { join } from 'node:path';
import type { CaseResult, RunResult } from '../engine/result.ts';
import { writeFileAtomic } from './atomic.ts';
import { reportCaseJson, reportJsonChunks, summarize, toReportCase, toReportJson, type ReportCase, type ReportJson, type ReportTool } from './json.ts';
import { junitChunks, junitTestcase } from './junit.ts';
import { toSummaryMarkdown, type MarkdownOptions } from './markdown.ts';

export const REPORT_FILES = { json: 'report.json', junit: 'junit.xml', markdown: 'summary.md' } as const;

export interface WriteReportsOptions {
  /** Recorded as `tool`; defaults to this tls-harness (name and package.json version). */
  tool?: ReportTool;
  /** Count the summary from the cases instead of taking run.summary. */
  recomputeSummary?: boolean;
  markdown?: MarkdownOptions;
}

export interface WrittenReports {
  /** Paths of the three files. */
  json: string;
  junit: string;
  markdown: string;
  report: ReportJson;
}

interface Rendered {
  key: string;
  rc: ReportCase;
  json: string;
  xml: string;
}

const cache = new WeakMap<CaseResult, Rendered>();

function fingerprint(c: CaseResult): string {
  return `${c.verdict}\u0000${c.durationMs}\u0000${c.transcript.length}\u0000${c.reason ?? ''}\u0000${c.expectedFailure ?? ''}\u0000${c.id}`;
}

function rendered(c: CaseResult): Rendered {
  const key = fingerprint(c);
  const hit = cache.get(c);
  if (hit && hit.key === key) return hit;
  const rc = toReportCase(c);
  const r = { key, rc, json: reportCaseJson(rc), xml: junitTestcase(rc) };
  cache.set(c, r);
  return r;
}

/** Writes report.json, junit.xml and summary.md for `run` into `dir` (created if needed). Synchronous. */
export function writeReports(dir: string, run: RunResult, opts: WriteReportsOptions = {}): WrittenReports {
  const parts = run.cases.map(rendered);
  const cases = parts.map((p) => p.rc);
  const report = toReportJson(run, opts.tool, cases);
  if (opts.recomputeSummary) report.summary = summarize(cases);
  return writeFiles(
    dir,
    report,
    parts.map((p) => p.json),
    parts.map((p) => p.xml),
    opts.markdown,
  );
}

/** Writes the three files for an already-built report (used by `merge`). */
export function writeReportFiles(dir: string, report: ReportJson, markdown?: MarkdownOptions): WrittenReports {
  return writeFiles(dir, report, report.cases.map(reportCaseJson), report.cases.map(junitTestcase), markdown);
}

function writeFiles(dir: string, report: ReportJson, caseJsons: string[], testcases: string[], markdown?: MarkdownOptions): WrittenReports {
  const json = join(dir, REPORT_FILES.json);
  const junit = join(dir, REPORT_FILES.junit);
  const md = join(dir, REPORT_FILES.markdown);
  writeFileAtomic(json, batched(reportJsonChunks(report, caseJsons)));
  writeFileAtomic(junit, batched(junitChunks(report, testcases)));
  writeFileAtomic(md, toSummaryMarkdown(report, markdown));
  return { json, junit, markdown: md, report };
}

/** Groups small string chunks into ~1 MiB writes. */
function* batched(chunks: Iterable<string>, size = 1 << 20): Generator<string> {
  let buf: string[] = [];
  let n = 0;
  for (const c of chunks) {
    buf.push(c);
    n += c.length;
    if (n >= size) {
      yield buf.join('');
      buf = [];
      n = 0;
    }
  }
  if (buf.length) yield buf.join('');
}

export interface ReportWriter {
  /**
   * Writes the reports if at least `minIntervalMs` have passed since the last write (or nothing was
   * written yet); returns whether it wrote. Call it after each case.
   */
  update(run: RunResult): boolean;
  /** Writes now, whatever the interval (at the end of the run, and on Ctrl-C). */
  flush(run: RunResult): WrittenReports;
}

/**
 * writeReports with a rate limit, for calling after every case: a run of N cases then costs O(N) in
 * writing rather than O(N^2). The last state is always written by `flush`.
 */
export function createReportWriter(dir: string, opts: WriteReportsOptions & { minIntervalMs?: number } = {}): ReportWriter {
  const interval = opts.minIntervalMs ?? 1000;
  let last = -Infinity;
  return {
    update(run) {
      const now = performance.now();
      if (now - last < interval) return false;
      writeReports(dir, run, opts);
      // Measured after the write, so a slow write cannot take more than half the time.
      last = performance.now();
      return true;
    },
    flush(run) {
      const w = writeReports(dir, run, opts);
      last = performance.now();
      return w;
    },
  };
}
