/**
 * Writing a run's reports: report.json, junit.xml, summary.md and report.html in `reports/<run-id>/`, each
 * atomically (writeFileAtomic). `writeReports` may be called again and again as cases finish (and once more
 * on Ctrl-C): each case's JSON and XML are serialized once and cached, so a call costs little more than
 * concatenating and writing the files. report.html (as large as report.json) is written only when asked
 * (`html`, the default): the report writer writes it at the end of the run and on Ctrl-C, not as cases finish. A CaseResult must not be changed after it has been written (the
 * cache notices a changed verdict, reason, duration or transcript length, nothing finer).
 */
import { closeSync, mkdirSync, openSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { CaseResult, RunResult } from '../engine/result.ts';
import { writeFileAtomic } from './atomic.ts';
import { reportCaseJson, reportJsonChunks, safeStringify, summarize, toReportCase, toReportJson, type ReportCase, type ReportJson, type ReportTool } from './json.ts';
import { junitChunks, junitTestcase } from './junit.ts';
import { toSummaryMarkdown, type MarkdownOptions } from './markdown.ts';
import { HTML_FILE, reportHtmlChunks } from './html.ts';

export const REPORT_FILES = { json: 'report.json', junit: 'junit.xml', markdown: 'summary.md', html: HTML_FILE } as const;

export interface WriteReportsOptions {
  /** Recorded as `tool`; defaults to this tls-harness (name and package.json version). */
  tool?: ReportTool;
  /** Count the summary from the cases instead of taking run.summary. */
  recomputeSummary?: boolean;
  markdown?: MarkdownOptions;
  /** Write report.html too (default true; false for the writes while the run goes on). */
  html?: boolean;
}

export interface WrittenReports {
  /** Paths of the files written. */
  json: string;
  junit: string;
  markdown: string;
  /** Set when report.html was written. */
  html?: string;
  report: ReportJson;
  /** The Markdown written to summary.md. */
  summary: string;
}

interface Rendered {
  key: string;
  rc: ReportCase;
  json: string;
  xml: string;
  /** The case as one line of the journal (compact JSON). */
  readonly line: string;
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
  const r = {
    key,
    rc,
    json: reportCaseJson(rc),
    xml: junitTestcase(rc),
    get line() {
      return safeStringify(rc);
    },
  };
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
    opts.html ?? true,
  );
}

/** Writes the four files for an already-built report (used by `merge`). */
export function writeReportFiles(dir: string, report: ReportJson, markdown?: MarkdownOptions): WrittenReports {
  return writeFiles(dir, report, report.cases.map(reportCaseJson), report.cases.map(junitTestcase), markdown, true);
}

function writeFiles(dir: string, report: ReportJson, caseJsons: string[], testcases: string[], markdown: MarkdownOptions | undefined, withHtml: boolean): WrittenReports {
  const json = join(dir, REPORT_FILES.json);
  const junit = join(dir, REPORT_FILES.junit);
  const md = join(dir, REPORT_FILES.markdown);
  writeFileAtomic(json, batched(reportJsonChunks(report, caseJsons)));
  writeFileAtomic(junit, batched(junitChunks(report, testcases)));
  const summary = toSummaryMarkdown(report, markdown);
  writeFileAtomic(md, summary);
  const html = withHtml ? join(dir, REPORT_FILES.html) : undefined;
  if (html) writeFileAtomic(html, batched(reportHtmlChunks(report)));
  return { json, junit, markdown: md, ...(html ? { html } : {}), report, summary };
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

/** The journal of a run in progress: one finished case per line (report.json's case object, compact JSON). */
export const PARTIAL_FILE = 'report.partial.jsonl';

export interface ReportWriter {
  /**
   * Appends a finished case to the journal (report.partial.jsonl: one line, written at once, never rewritten).
   * Call it as each case finishes.
   */
  add(c: CaseResult): void;
  /**
   * Rewrites report.json, junit.xml and summary.md (not report.html) if the interval has passed since the last write (or
   * nothing was written yet); returns whether it wrote. `run` may be a function, called only then. The
   * interval is at least `minIntervalMs` and at least `costFactor` times the last write's duration, so
   * rewriting takes a bounded share of the run however large the report grows.
   */
  update(run: RunResult | (() => RunResult)): boolean;
  /** Writes the reports now, report.html too (at the end of the run, and on Ctrl-C), and removes the journal. */
  flush(run: RunResult): WrittenReports;
}

/**
 * How a run's reports are written as it goes: each finished case is appended to the journal
 * (report.partial.jsonl, O(case) per case), and the complete files are rewritten now and then (each write
 * atomic, so a run that is killed still leaves complete files with the cases up to the last write, and the
 * journal with every case that finished) and once more at the end, when the journal is removed.
 */
export function createReportWriter(dir: string, opts: WriteReportsOptions & { minIntervalMs?: number; costFactor?: number } = {}): ReportWriter {
  const interval = opts.minIntervalMs ?? 1000;
  const factor = opts.costFactor ?? 20;
  const journal = join(dir, PARTIAL_FILE);
  let last = -Infinity;
  let cost = 0;
  let fd: number | undefined;
  const write = (run: RunResult, html: boolean): WrittenReports => {
    const t0 = performance.now();
    const w = writeReports(dir, run, { ...opts, html });
    last = performance.now();
    cost = last - t0;
    return w;
  };
  return {
    add(c) {
      try {
        if (fd === undefined) {
          mkdirSync(dir, { recursive: true });
          fd = openSync(journal, 'a', 0o644);
        }
        writeSync(fd, rendered(c).line + '\n');
      } catch {
        // The journal is a safety net for a run that is killed; the reports themselves are still written.
      }
    },
    update(run) {
      const now = performance.now();
      if (now - last < Math.max(interval, factor * cost)) return false;
      write(typeof run === 'function' ? run() : run, false);
      return true;
    },
    flush(run) {
      const w = write(run, true);
      if (fd !== undefined) {
        try {
          closeSync(fd);
        } catch {
          /* already closed */
        }
        fd = undefined;
      }
      rmSync(journal, { force: true });
      return w;
    },
  };
}
