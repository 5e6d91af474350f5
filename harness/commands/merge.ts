/**
 * `tls-harness merge OUT_DIR REPORT.json...`: merge the report.json files of shard runs (`run --shard I/N`)
 * into one report.json + junit.xml + summary.md + report.html in OUT_DIR. Exit code 0 when the merged run is all as
 * expected, 1 when it has unexpected failures, errors or unexpected passes, was interrupted, or (with
 * --baseline) regressed (with --fail-on regressions: only when it regressed, a case the baseline lacks
 * fails, or a shard was interrupted); 2 for a usage error (a file that is not a report, different targets, a case in two shards).
 */
import { basename, resolve } from 'node:path';
import type { Command } from '../cli.ts';
import { ExitCode, UsageError } from '../errors.ts';
import { isUnexpectedFailure, readReport, summaryOk } from '../report/json.ts';
import { mergeReports } from '../report/merge.ts';
import { writeReportFiles } from '../report/write.ts';
import { compareToBaseline, comparisonMarkdown, describeComparison } from '../report/baseline.ts';
import { appendStepSummary } from '../report/step-summary.ts';
import { DirError, ensureWritableDir } from '../report/atomic.ts';

export const mergeCommand: Command = {
  name: 'merge',
  summary: 'merge the report.json files of sharded runs into one report.json, junit.xml, summary.md and report.html',
  usage: 'tls-harness merge OUT_DIR REPORT.json... [--run-id ID] [--baseline REPORT.json [--fail-on regressions]]',
  allowPositionals: true,
  options: {
    'run-id': { type: 'string', description: 'runId of the merged report (default: the name of OUT_DIR)' },
    baseline: { type: 'string', description: 'compare with this report.json; exit code 1 on regressions' },
    'fail-on': {
      type: 'string',
      description: "what makes the exit code 1: 'unexpected' (default: any unexpected failure, error or pass, an interrupted shard, a regression) or, with --baseline, 'regressions' (a regression, a failing case the baseline lacks, an interrupted shard: the failures the baseline has too are accepted)",
    },
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
    const failOn = (values['fail-on'] as string | undefined) ?? 'unexpected';
    if (failOn !== 'unexpected' && failOn !== 'regressions') throw new UsageError(`merge: --fail-on: expected 'unexpected' or 'regressions', got '${failOn}'`);
    if (failOn === 'regressions' && values.baseline === undefined) throw new UsageError('merge: --fail-on regressions needs --baseline REPORT.json (what the regressions are against)');
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
    // --fail-on regressions: a target's known failures (those the baseline has too) do not fail the merge.
    let ok = (failOn === 'regressions' || summaryOk(s)) && !merged.interrupted;
    process.stdout.write(
      `merged ${files.length} report${files.length === 1 ? '' : 's'}, ${s.total} cases: ${s.passed} passed, ${s.lenient} lenient, ${s.advisory} advisory, ${s.failed} failed` +
        `${s.expectedFailures ? ` (${s.expectedFailures} expected)` : ''}, ${s.errors} errors, ${s.skipped} skipped` +
        `${s.unexpectedPasses ? `, ${s.unexpectedPasses} unexpected passes` : ''}${merged.interrupted ? ' (interrupted)' : ''}\n` +
        `wrote ${written.json}, ${written.junit}, ${written.markdown}, ${written.html}\n`,
    );
    let baselineMd = '';
    if (baseline) {
      const cmp = compareToBaseline(merged, baseline);
      process.stdout.write(describeComparison(cmp) + '\n');
      for (const r of cmp.regressions) process.stdout.write(`  regression: ${r.id}: ${r.was} -> ${r.now}\n`);
      if (cmp.regressions.length) ok = false;
      if (failOn === 'regressions') {
        // A case the baseline does not have that fails (a new scenario, a filter changed) is no known failure either.
        const byId = new Map(merged.cases.map((c) => [c.id, c]));
        const newBad = cmp.new.filter((n) => isUnexpectedFailure(byId.get(n.id)!));
        for (const n of newBad) process.stdout.write(`  new ${n.now}: ${n.id} (not in the baseline)\n`);
        if (newBad.length) ok = false;
        else if (!cmp.regressions.length && !summaryOk(s)) process.stdout.write('--fail-on regressions: every unexpected result is in the baseline too\n');
      }
      baselineMd = '\n' + comparisonMarkdown(cmp, values.baseline as string);
      if (failOn === 'regressions' && ok && !summaryOk(s)) baselineMd += '\nWith `--fail-on regressions` the merge passes: every unexpected result above is in the baseline too.\n';
    }
    // In a GitHub Actions job: the merged summary (and the comparison) on the run's page.
    appendStepSummary(written.summary + baselineMd, { whole: written.markdown });
    return ok ? ExitCode.ok : ExitCode.failures;
  },
};
