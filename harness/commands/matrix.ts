/**
 * `tls-harness matrix`: the suite against several targets, then one comparison (harness/report/matrix.ts).
 *
 * Each target runs in its own `tls-harness run` process (its report in <matrix>/<target>/, exactly what
 * `run --target T` writes), `--parallel` of them at once, each with its own slice of the port range so
 * that their servers never ask for the same port. Then matrix.json, matrix.md and report.html (the matrix as a
 * page, each cell a link to the target's own report.html) go into the matrix folder.
 * Exit code 0 when every run was as its target's config expects, 1 otherwise (an unexpected failure, an
 * error, an unexpected pass, or a run that did not finish), 2 for a usage mistake. Ctrl-C (SIGINT/SIGTERM)
 * stops the runs, which write what they finished; the matrix of those is written too.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from '../cli.ts';
import { ExitCode, UsageError } from '../errors.ts';
import { fromRoot } from '../paths.ts';
import { TARGETS_DIR, listTargetNames, loadTargetConfig, unavailableReason } from '../targets/config.ts';
import { ensureWritableDir, writeFileAtomic } from '../report/atomic.ts';
import { isUnexpectedPass, isUnexpectedResult, readReport } from '../report/json.ts';
import { MATRIX_SCHEMA_VERSION, buildMatrix, matrixMarkdown, matrixOk, matrixReadmeSection, replaceReadmeSection, README_END, README_START, type MatrixInput, type MatrixJson } from '../report/matrix.ts';
import { MAX_JOBS, MAX_TIMEOUT_MS, positiveInt, reportFolder } from './run.ts';
import { HTML_FILE, matrixHtml } from '../report/html.ts';
import { applyCryptoOption, cryptoOption } from './crypto-option.ts';
import { appendStepSummary, STEP_SUMMARY_ENV } from '../report/step-summary.ts';

const BIN = fromRoot('bin/tls-harness.js');
/** The port range `run` uses by default, split between the runs that go at once. */
const PORTS = { min: 20000, max: 32767 };

/** The targets to run: the named ones (each must exist and be installed), or every installed config but the reference. */
export function chooseTargets(names: string[] | undefined, dir = TARGETS_DIR): { targets: string[]; skipped: string[] } {
  const known = listTargetNames(dir);
  const reason = (name: string): string | undefined => {
    if (name === 'reference' && !existsSync(join(dir, 'reference.yaml'))) return undefined;
    return unavailableReason(loadTargetConfig(join(dir, `${name}.yaml`)));
  };
  if (names) {
    for (const n of names) {
      if (!known.includes(n)) throw new UsageError(`matrix: unknown target '${n}'; known targets: ${known.join(', ')}`);
      const why = reason(n);
      if (why) throw new UsageError(`matrix: ${why}`);
    }
    return { targets: [...new Set(names)], skipped: [] };
  }
  const targets: string[] = [];
  const skipped: string[] = [];
  for (const n of known) {
    if (n === 'reference') continue; // the ruler, not one of the measured: name it to include it
    const why = reason(n);
    if (why) skipped.push(why);
    else targets.push(n);
  }
  return { targets, skipped };
}

function readReadme(file: string): string {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new UsageError(`matrix: --update-readme ${file}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message}`);
  }
  if (replaceReadmeSection(text, '') === undefined) throw new UsageError(`matrix: --update-readme ${file}: no '${README_START}' ... '${README_END}' section to replace`);
  return text;
}

function updateReadme(file: string, m: MatrixJson): void {
  writeFileAtomic(file, replaceReadmeSection(readReadme(file), matrixReadmeSection(m))!);
  process.stdout.write(`matrix: ${file}: the matrix section now shows run ${m.runId}\n`);
}

function readMatrix(file: string): MatrixJson {
  let m: MatrixJson;
  try {
    m = JSON.parse(readFileSync(file, 'utf8')) as MatrixJson;
  } catch (e) {
    throw new UsageError(`matrix: --from ${file}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : `not JSON (${(e as Error).message})`}`);
  }
  if (m?.schemaVersion !== MATRIX_SCHEMA_VERSION || !Array.isArray(m.targets) || !Array.isArray(m.cases) || !Array.isArray(m.deviations))
    throw new UsageError(`matrix: --from ${file}: not a tls-harness matrix.json (schemaVersion ${MATRIX_SCHEMA_VERSION})`);
  return m;
}

export const matrixCommand: Command = {
  name: 'matrix',
  summary: 'run the suite against several targets (every installed one by default) and write one comparison: matrix.json, matrix.md',
  usage:
    'tls-harness matrix [--targets a,b,...] [--parallel N] [--jobs N] [--grep RE] [--tag T ...] [--timeout MS] [--strict] [--no-controls] [--report-dir DIR] [--run-id ID] [--crypto noble|node] [--update-readme FILE] | matrix --from MATRIX.json --update-readme FILE',
  options: {
    targets: { type: 'string', description: 'comma-separated target names (default: every installed config in implementations/targets/ but the reference)' },
    parallel: { type: 'string', description: 'targets run at once (default 2), each with its own slice of the ports 20000-32767' },
    jobs: { type: 'string', short: 'j', description: "cases at once within each target's run (default 4; see run --jobs)" },
    grep: { type: 'string', description: 'only cases whose id or title matches this regular expression' },
    tag: { type: 'string', multiple: true, description: 'only cases with this tag (repeat: all of them)' },
    timeout: { type: 'string', description: 'time limit per case in ms (default 10000)' },
    strict: { type: 'boolean', description: 'lenient and advisory outcomes fail the runs' },
    'no-controls': { type: 'boolean', description: 'do not run the positive controls' },
    'report-dir': { type: 'string', description: 'where reports/<run-id>/ goes (default reports/): <run-id>/<target>/ per target, matrix.json and matrix.md' },
    'run-id': { type: 'string', description: 'name of the matrix folder (default: a timestamp)' },
    crypto: cryptoOption,
    from: { type: 'string', description: 'a matrix.json to use instead of running (with --update-readme)' },
    'update-readme': { type: 'string', description: "a Markdown file whose '<!-- matrix:start -->' ... '<!-- matrix:end -->' section is replaced by the matrix (totals, each implementation's failures with their RFC sentence and triage)" },
  },
  async run(values) {
    applyCryptoOption('matrix', values.crypto); // checked here: one line and exit 2, not N failed runs
    const readme = values['update-readme'] as string | undefined;
    if (readme !== undefined) readReadme(readme); // a missing file or section is found before the runs
    if (typeof values.from === 'string') {
      if (readme === undefined) throw new UsageError('matrix: --from needs --update-readme (what to do with the matrix)');
      updateReadme(readme, readMatrix(values.from));
      return ExitCode.ok;
    }
    const names = typeof values.targets === 'string' ? values.targets.split(',').map((s) => s.trim()).filter(Boolean) : undefined;
    if (names && names.length === 0) throw new UsageError('matrix: --targets: expected target names, e.g. --targets openssl,node');
    const parallel = positiveInt(values.parallel, 'parallel', 16, '', 'matrix') ?? 2;
    const jobs = positiveInt(values.jobs, 'jobs', MAX_JOBS, '', 'matrix');
    positiveInt(values.timeout, 'timeout', MAX_TIMEOUT_MS, ' (milliseconds)', 'matrix');
    if (typeof values.grep === 'string') {
      try {
        new RegExp(values.grep, 'i');
      } catch (e) {
        throw new UsageError(`matrix: --grep: ${(e as Error).message}`);
      }
    }
    const { runId, dir } = reportFolder(values, 'matrix');
    const { targets, skipped } = chooseTargets(names);
    for (const s of skipped) process.stderr.write(`tls-harness matrix: skipped: ${s}\n`);
    if (targets.length === 0) throw new UsageError('matrix: no installed target to run (tls-harness targets lists them)');

    // The options every run gets.
    const common: string[] = [];
    if (jobs !== undefined) common.push('--jobs', String(jobs));
    if (typeof values.grep === 'string') common.push('--grep', values.grep);
    for (const t of (values.tag as string[] | undefined) ?? []) common.push('--tag', t);
    if (values.timeout !== undefined) common.push('--timeout', String(values.timeout));
    if (values.strict) common.push('--strict');
    if (values['no-controls']) common.push('--no-controls');
    if (typeof values.crypto === 'string') common.push('--crypto', values.crypto);

    const slots = Math.min(parallel, targets.length);
    const span = Math.floor((PORTS.max - PORTS.min + 1) / slots);
    const startedAt = new Date().toISOString();
    const results = new Map<string, MatrixInput>();
    const running = new Set<ChildProcess>();
    let stopping = false;
    const stop = () => {
      stopping = true;
      for (const c of running) c.kill('SIGTERM');
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
    process.stdout.write(`matrix ${runId}: ${targets.length} targets (${targets.join(', ')}), ${slots} at once; reports in ${dir}\n`);

    const runOne = (target: string, slot: number): Promise<void> =>
      new Promise((resolve) => {
        const lo = PORTS.min + slot * span;
        const args = [BIN, 'run', '--target', target, '--report-dir', dir, '--run-id', target, '--ports', `${lo}-${lo + span - 1}`, ...common];
        const log = createWriteStream(join(dir, `${target}.log`));
        // The runs do not write $GITHUB_STEP_SUMMARY: the matrix does, once, for all of them.
        const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, [STEP_SUMMARY_ENV]: '' } });
        running.add(child);
        let tail = '';
        const keep = (d: Buffer) => {
          log.write(d);
          tail = (tail + d.toString()).slice(-4000);
        };
        child.stdout!.on('data', keep);
        child.stderr!.on('data', keep);
        const done = (code: number | null, why?: string) => {
          running.delete(child);
          log.end();
          const input: MatrixInput = { target, reportDir: target, exitCode: code };
          try {
            input.report = readReport(join(dir, target, 'report.json'));
          } catch {
            const last = tail.trim().split('\n').filter(Boolean).slice(-1)[0] ?? '';
            input.error = why ?? `the run exited with ${code} without a report${last ? `: ${last.replace(/^tls-harness: /, '')}` : ''}`;
          }
          results.set(target, input);
          const s = input.report?.summary;
          const line = s
            ? `${s.total} cases: ${s.passed} passed, ${s.lenient} lenient, ${s.advisory} advisory, ${s.failed} failed (${s.expectedFailures} expected), ${s.errors} errors, ${s.skipped} skipped${code === 0 ? '' : ` (exit ${code})`}`
            : (input.error ?? `exit ${code}`);
          process.stdout.write(`  ${target}: ${line}\n`);
          // Name what made the run unexpected, so that a CI log says which case to look at.
          const odd = (input.report?.cases ?? []).filter(isUnexpectedResult);
          for (const c of odd.slice(0, 10)) {
            const what = isUnexpectedPass(c) ? `${c.verdict}, expected to fail` : `${c.verdict}${c.reason ? `: ${c.reason}` : ''}`;
            process.stdout.write(`    ${c.id}: ${what.split('\n')[0]!.slice(0, 300)}\n`);
          }
          if (odd.length > 10) process.stdout.write(`    ... and ${odd.length - 10} more (${target}/summary.md)\n`);
          resolve();
        };
        child.on('error', (e) => done(null, `could not start tls-harness run: ${e.message}`));
        child.on('close', (code, signal) => done(code ?? (signal ? 128 : null)));
      });

    ensureWritableDir(dir);
    const queue = [...targets];
    await Promise.all(
      Array.from({ length: slots }, async (_, slot) => {
        for (let t = queue.shift(); t !== undefined && !stopping; t = queue.shift()) await runOne(t, slot);
      }),
    );
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);

    const inputs = targets.filter((t) => results.has(t)).map((t) => results.get(t)!);
    const m = buildMatrix(runId, startedAt, new Date().toISOString(), inputs);
    writeFileAtomic(join(dir, 'matrix.json'), JSON.stringify(m, null, 2) + '\n');
    const md = matrixMarkdown(m);
    writeFileAtomic(join(dir, 'matrix.md'), md);
    appendStepSummary(md, { whole: join(dir, 'matrix.md') }); // in a GitHub Actions job: on the run's page
    writeFileAtomic(join(dir, HTML_FILE), matrixHtml(m));
    const shared = m.deviations.filter((d) => d.shared).length;
    process.stdout.write(`matrix: ${m.cases.length} cases x ${m.targets.length} targets, ${m.deviations.length} deviations (${shared} shared); ${matrixOk(m) ? 'every run as expected' : 'unexpected results'}\nreports: ${dir}/matrix.md, ${dir}/${HTML_FILE}\n`);
    if (readme !== undefined) updateReadme(readme, m);
    if (stopping) return 130;
    return matrixOk(m) && inputs.length === targets.length ? ExitCode.ok : ExitCode.failures;
  },
};
