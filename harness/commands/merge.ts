/**
 * `tls-harness merge OUT_DIR REPORT.json...`: merge the report.json files of shard runs (`run --shard I/N`)
 * into one report.json + junit.xml + summary.md + report.html in OUT_DIR. Exit code 0 when the merged run is all as
 * expected, 1 when it has unexpected failures, errors or unexpected passes, was interrupted, or (with
 * --baseline) regressed; 2 for a usage error (a file that is not a report, different targets, a case in
 * two shards).
 */
import { basename, resolve } from 'node:path';
import type { Command } from '../cli.ts';
import { ExitCode, UsageError } from '../errors.ts';
import { readReport, summaryOk } from '../report/json.ts';
import { mergeReports } from '../report/merge.ts';
import { writeReportFiles } from '../report/write.ts';
import { compareToBaseline, describeComparison } from '../report/baseline.ts';
import { DirError, ensureWritableDir } from '../report/atomic.ts';

export const mergeCommand: Command = {
  name: 'merge',
  summary: 'merge the report.json files of sharded runs into one report.json, junit.xml, summary.md and report.html',
  usage: 'tls-harness merge OUT_DIR REPORT.json... [--run-id ID] [--baseline REPORT.json]',
  allowPositionals: true,
  options: {
    'run-id': { type: 'string', description: 'runId of the merged report (default: the name of OUT_DIR)' },
    baseline: { type: 'string', description: 'compare with this report.json; exit code 1 on regressions' },
  },
  async run(values, positionals) {
    if (positionals.length < 2) throw new UsageError('merge: expected OUT_DIR and at least one REPORT.json (usage: tls-harness merge OUT_DIR REPORT.json...)');
    const [outDir, ...files] = positionals;
    if (outDir.endsWith('.json')) throw new UsageError(`merge: the first argument is the output directory, not a report (got '${outDir}')`);
    const seen = new Set<string>();
    for (const f of files) {
      if (seen.has(resolve(f))) throw new UsageError(`merge: ${f} is given twice`);
      seen.add(resolve(f));
    }
    const inputs = files.map((file) => ({ file, report: readReport(file) }));
    const baseline = values.baseline !== undefined ? readReport(values.baseline as string) : undefined;
    const runId = (values['run-id'] as string | undefined) ?? basename(resolve(outDir));
    const merged = mergeReports(inputs, { runId });
    // An OUT_DIR that is a file or cannot be written: a usage error, checked once the inputs merged,
    // before anything is written.
    try {
      ensureWritableDir(outDir);
    } catch (e) {
      if (e instanceof DirError) throw new UsageError(`merge: OUT_DIR ${outDir}: ${e.about(outDir)}`);
      throw e;
    }
    const written = writeReportFiles(outDir, merged);
    const s = merged.summary;
    let ok = summaryOk(s) && !merged.interrupted;
    process.stdout.write(
      `merged ${files.length} report${files.length === 1 ? '' : 's'}, ${s.total} cases: ${s.passed} passed, ${s.lenient} lenient, ${s.advisory} advisory, ${s.failed} failed` +
        `${s.expectedFailures ? ` (${s.expectedFailures} expected)` : ''}, ${s.errors} errors, ${s.skipped} skipped` +
        `${s.unexpectedPasses ? `, ${s.unexpectedPasses} unexpected passes` : ''}${merged.interrupted ? ' (interrupted)' : ''}\n` +
        `wrote ${written.json}, ${written.junit}, ${written.markdown}, ${written.html}\n`,
    );
    if (baseline) {
      const cmp = compareToBaseline(merged, baseline);
      process.stdout.write(describeComparison(cmp) + '\n');
      for (const r of cmp.regressions) process.stdout.write(`  regression: ${r.id}: ${r.was} -> ${r.now}\n`);
      if (cmp.regressions.length) ok = false;
    }
    return ok ? ExitCode.ok : ExitCode.failures;
  },
};
