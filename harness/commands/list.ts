/**
 * `tls-harness list [--scenarios GLOB] [--tag T] [--grep RE] [--json]`: the cases the scenarios expand to,
 * one line each (id, target role, versions, RFC section, tags), or with --json one object
 * `{ "cases": [...] }`. Scenario errors are printed on stderr (file:line:col) with exit code 2.
 */
import type { Command } from '../cli.ts';
import { ExitCode, UsageError } from '../errors.ts';
import { expandAll, formatDiagnostic, hasErrors, loadScenarios } from '../scenario/loader.ts';
import type { ScenarioCase } from '../scenario/model.ts';
import { closest } from '../suggest.ts';
import { defaultScenarioDir } from './validate.ts';

export interface ListedCase {
  id: string;
  scenario: string;
  title: string;
  target: string;
  versions: string[];
  tags: string[];
  rfc: { doc: number; section: string };
  params: Record<string, string | number>;
  file: string;
  line: number;
}

export function listedCase(c: ScenarioCase): ListedCase {
  const s = c.scenario;
  return {
    id: c.id,
    scenario: s.id,
    title: s.title,
    target: s.target,
    versions: s.versions,
    tags: s.tags,
    rfc: { doc: s.rfc.doc, section: s.rfc.section },
    params: c.params,
    file: s.loc.file,
    line: s.loc.line,
  };
}

/** Cases with every given tag and, if a pattern is given, an id or title it matches (case-insensitive). */
export function filterCases(cases: ScenarioCase[], tags: string[], grep?: RegExp): ScenarioCase[] {
  return cases.filter(
    (c) => tags.every((t) => c.scenario.tags.includes(t)) && (!grep || grep.test(c.id) || grep.test(c.scenario.title)),
  );
}

/**
 * filterCases for `run` and `list`, which answer the same filter the same way: when nothing is left, a
 * UsageError (exit code 2) that says why: a tag no scenario has (with the closest one), or the filters
 * that together match no case.
 */
export function selectCases(cases: ScenarioCase[], tags: string[], grep?: RegExp): ScenarioCase[] {
  const out = filterCases(cases, tags, grep);
  if (out.length > 0) return out;
  const known = new Set(cases.flatMap((c) => c.scenario.tags));
  const unknown = tags.find((t) => !known.has(t));
  if (unknown !== undefined) {
    const hint = closest(unknown, known);
    throw new UsageError(`--tag ${unknown}: no case has this tag${hint ? ` (did you mean '${hint}'?)` : ''}`);
  }
  const filters = [...tags.map((t) => `--tag ${t}`), ...(grep ? [`--grep '${grep.source}'`] : [])];
  throw new UsageError(`no case matches ${filters.join(' ') || 'the given scenarios'} (of ${cases.length} case${cases.length === 1 ? '' : 's'})`);
}

export const listCommand: Command = {
  name: 'list',
  summary: 'list the cases the scenarios expand to (id, target role, versions, RFC section, tags)',
  usage: 'tls-harness list [--scenarios PATH|GLOB ...] [--tag TAG ...] [--grep REGEX] [--json]',
  options: {
    scenarios: { type: 'string', multiple: true, description: 'scenario files, directories or globs (default: scenarios/)' },
    tag: { type: 'string', multiple: true, description: 'only cases with this tag (repeat: all of them)' },
    grep: { type: 'string', description: 'only cases whose id or title matches this regular expression (case-insensitive)' },
    json: { type: 'boolean', description: 'print one JSON object { "cases": [...] }' },
  },
  async run(values) {
    let grep: RegExp | undefined;
    if (typeof values.grep === 'string') {
      try {
        grep = new RegExp(values.grep, 'i');
      } catch (e) {
        throw new UsageError(`list: --grep: ${(e as Error).message}`);
      }
    }
    const inputs = (values.scenarios as string[] | undefined) ?? [defaultScenarioDir()];
    const r = loadScenarios(inputs, { traceability: true });
    if (hasErrors(r.diagnostics)) {
      for (const d of r.diagnostics) if (d.severity === 'error') process.stderr.write(formatDiagnostic(d) + '\n');
      return ExitCode.usage;
    }
    // No case is an error (exit code 2), as for `run` with the same filters.
    const cases = selectCases(expandAll(r.scenarios), (values.tag as string[] | undefined) ?? [], grep).map(listedCase);
    if (values.json) {
      process.stdout.write(JSON.stringify({ cases }, null, 2) + '\n');
      return ExitCode.ok;
    }
    const rows = cases.map((c) => [c.id, c.target, c.versions.join(','), `RFC ${c.rfc.doc} ${c.rfc.section}`, c.tags.join(',')]);
    const header = ['case', 'target', 'versions', 'rfc', 'tags'];
    const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i].length)));
    for (const row of [header, ...rows]) process.stdout.write(row.map((x, i) => (i === row.length - 1 ? x : x.padEnd(widths[i]))).join('  ').trimEnd() + '\n');
    process.stdout.write(`${cases.length} case${cases.length === 1 ? '' : 's'}\n`);
    return ExitCode.ok;
  },
};
