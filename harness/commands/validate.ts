/**
 * `tls-harness validate [PATH...]`: load scenario files (default: scenarios/) and print every diagnostic as
 * `file:line:col: message` (warnings as `file:line:col: warning: message`), then one summary line:
 * `3 files, 3 scenarios, 7 cases: ok`. Exit code 2 if there is any error (with --strict, any warning too).
 */
import { relative } from 'node:path';
import type { Command } from '../cli.ts';
import { ExitCode } from '../errors.ts';
import { fromRoot } from '../paths.ts';
import { countDiagnostics, expandAll, formatDiagnostic, hasErrors, loadScenarios, type LoadResult } from '../scenario/loader.ts';
import { checkFieldPaths } from '../engine/check-fields.ts';

/** The repository's scenarios/ directory, as a path relative to the working directory when possible. */
export function defaultScenarioDir(): string {
  const abs = fromRoot('scenarios');
  const rel = relative(process.cwd(), abs);
  return rel === '' ? '.' : rel.startsWith('..') ? abs : rel;
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

/** `3 files, 3 scenarios, 7 cases: ok` / `...: 2 errors, 1 warning`. */
export function summaryLine(r: LoadResult): string {
  const cases = expandAll(r.scenarios).length;
  const { errors, warnings } = countDiagnostics(r.diagnostics);
  const head = `${plural(r.files.length, 'file')}, ${plural(r.scenarios.length, 'scenario')}, ${plural(cases, 'case')}`;
  if (errors > 0) return `${head}: ${plural(errors, 'error')}${warnings > 0 ? `, ${plural(warnings, 'warning')}` : ''}`;
  return `${head}: ok${warnings > 0 ? `, ${plural(warnings, 'warning')}` : ''}`;
}

export const validateCommand: Command = {
  name: 'validate',
  summary: 'check scenario files (YAML, keys, names, matrix parameters, lint rules); prints file:line:col diagnostics',
  usage: 'tls-harness validate [PATH|GLOB ...] [--strict]',
  options: {
    strict: { type: 'boolean', description: 'exit 2 on warnings too' },
  },
  allowPositionals: true,
  async run(values, positionals) {
    const r = loadScenarios(positionals.length > 0 ? positionals : [defaultScenarioDir()], { traceability: true });
    // Field paths in `set` are checked against the messages the engine builds.
    if (!hasErrors(r.diagnostics)) r.diagnostics.push(...checkFieldPaths(expandAll(r.scenarios)));
    for (const d of r.diagnostics) process.stdout.write(formatDiagnostic(d) + '\n');
    process.stdout.write(summaryLine(r) + '\n');
    const fail = hasErrors(r.diagnostics) || (values.strict === true && r.diagnostics.length > 0);
    return fail ? ExitCode.usage : ExitCode.ok;
  },
};
