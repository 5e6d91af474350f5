/**
 * `tls-harness coverage [--rfc N ...] [--section S ...] [--json] [--uncovered] [--list] [--scenarios PATH ...]`: how much of the RFCs'
 * normative text the scenarios test. Per RFC and per section of the index (rfc/sentences.json): normative
 * sentences, testable ones, and testable ones covered by at least one scenario (a scenario covers the ids in
 * its rfc.sentences), each also per level (must, should, may); totals per RFC and overall. `--uncovered`
 * lists the testable sentences no scenario covers, `--list` every sentence with the scenarios citing it. Exit 0; 2 for a usage error or scenarios that do not load.
 */
import type { Command } from '../cli.ts';
import { ExitCode, UsageError } from '../errors.ts';
import { formatDiagnostic, hasErrors, loadScenarios } from '../scenario/loader.ts';
import type { Scenario } from '../scenario/model.ts';
import { loadSentenceIndex, type Level, type Sentence, type SentenceIndex } from '../rfc/index.ts';
import { defaultScenarioDir } from './validate.ts';

export interface Counts {
  /** Normative sentences. */
  sentences: number;
  /** Of those, the ones a peer can check (not in rfc/untestable.yaml). */
  testable: number;
  /** Of the testable ones, those at least one scenario cites in rfc.sentences. */
  covered: number;
}

export interface CountsByLevel extends Counts {
  byLevel: Record<Level, Counts>;
}

export interface SectionCoverage extends CountsByLevel {
  section: string;
  title: string;
}

export interface UncoveredSentence {
  id: string;
  level: Level;
  text: string;
}

export interface ListedSentence {
  id: string;
  level: Level;
  testable: boolean;
  /** Ids of the scenarios that cite it. */
  scenarios: string[];
  text: string;
}

export interface RfcCoverage extends CountsByLevel {
  doc: number;
  title: string;
  /** The top-level sections (or appendix letters) the index holds. */
  scope: string[];
  sections: SectionCoverage[];
  /** With --uncovered: the testable sentences no scenario cites. */
  uncovered?: UncoveredSentence[];
  /** With --list: every normative sentence, with the scenarios that cite it. */
  list?: ListedSentence[];
}

export interface CoverageReport {
  scenarios: { total: number; citing: number };
  rfcs: RfcCoverage[];
  total: CountsByLevel;
}

const LEVELS: Level[] = ['must', 'should', 'may'];
const zero = (): Counts => ({ sentences: 0, testable: 0, covered: 0 });
const zeroByLevel = (): CountsByLevel => ({ ...zero(), byLevel: { must: zero(), should: zero(), may: zero() } });

function add(c: CountsByLevel, s: Sentence, covered: boolean): void {
  for (const x of [c, c.byLevel[s.level]]) {
    x.sentences++;
    if (s.testable) x.testable++;
    if (s.testable && covered) x.covered++;
  }
}

/** The coverage of the given RFCs (all indexed ones by default) by the scenarios. */
export function computeCoverage(
  scenarios: readonly Scenario[],
  opts: { rfcs?: number[]; sections?: string[]; uncovered?: boolean; list?: boolean } = {},
  index: SentenceIndex = loadSentenceIndex(),
): CoverageReport {
  const citing = new Map<string, string[]>();
  for (const sc of scenarios) for (const id of sc.rfc.sentences ?? []) citing.set(id, [...(citing.get(id) ?? []), sc.id]);
  const cited = new Set(citing.keys());
  const docs = opts.rfcs ?? index.docs.map((d) => d.doc);
  const total = zeroByLevel();
  const rfcs: RfcCoverage[] = [];
  for (const doc of docs) {
    const d = index.docs.find((x) => x.doc === doc);
    if (!d) continue;
    const scope = opts.sections ? d.scope.filter((top) => opts.sections!.some((p) => inSection(p, top) || inSection(top, p))) : [...d.scope];
    const r: RfcCoverage = { doc, title: d.title, scope, ...zeroByLevel(), sections: [] };
    if (opts.uncovered) r.uncovered = [];
    if (opts.list) r.list = [];
    const bySection = new Map<string, SectionCoverage>();
    for (const s of index.sentences) {
      if (s.doc !== doc) continue;
      if (opts.sections && !opts.sections.some((p) => inSection(s.section, p))) continue;
      let sec = bySection.get(s.section);
      if (!sec) {
        sec = { section: s.section, title: s.title, ...zeroByLevel() };
        bySection.set(s.section, sec);
        r.sections.push(sec);
      }
      const covered = cited.has(s.id);
      add(sec, s, covered);
      add(r, s, covered);
      add(total, s, covered);
      if (r.uncovered && s.testable && !covered) r.uncovered.push({ id: s.id, level: s.level, text: s.text });
      if (r.list) r.list.push({ id: s.id, level: s.level, testable: s.testable, scenarios: [...new Set(citing.get(s.id) ?? [])], text: s.text });
    }
    // With --section, an RFC with no sentence in those sections is left out rather than shown empty.
    if (!opts.sections || r.sections.length > 0) rfcs.push(r);
  }
  return { scenarios: { total: scenarios.length, citing: scenarios.filter((s) => (s.rfc.sentences ?? []).length > 0).length }, rfcs, total };
}

/** Is `section` the section `prefix` or one of its subsections ("4.2.1" is in "4" and "4.2", not in "4.2.10")? */
export function inSection(section: string, prefix: string): boolean {
  return section === prefix || section.startsWith(prefix + '.');
}

const pct = (c: Counts) => (c.testable === 0 ? '-' : `${Math.round((100 * c.covered) / c.testable)}%`);
const ratio = (c: Counts) => `${c.covered}/${c.testable}`;

/** The report as text tables, one per RFC. */
export function formatCoverage(report: CoverageReport): string {
  const out: string[] = [];
  const header = ['section', 'title', 'sentences', 'testable', 'covered', '%', 'must', 'should', 'may'];
  const row = (section: string, title: string, c: CountsByLevel) => [
    section,
    title.length > 40 ? title.slice(0, 37) + '...' : title,
    String(c.sentences),
    String(c.testable),
    String(c.covered),
    pct(c),
    ...LEVELS.map((l) => ratio(c.byLevel[l])),
  ];
  for (const r of report.rfcs) {
    out.push(`RFC ${r.doc}: ${r.title} (sections ${r.scope.join(', ')})`);
    const rows = [header, ...r.sections.map((s) => row(s.section, s.title, s)), row('total', '', r)];
    const widths = header.map((_, i) => Math.max(...rows.map((x) => x[i].length)));
    const numeric = (i: number) => i >= 2;
    for (const x of rows) out.push(x.map((v, i) => (numeric(i) ? v.padStart(widths[i]) : v.padEnd(widths[i]))).join('  ').trimEnd());
    if (r.list) {
      out.push('', `normative sentences of RFC ${r.doc} (${r.list.length}; + covered, - testable, x untestable):`);
      for (const u of r.list) {
        const mark = !u.testable ? 'x' : u.scenarios.length > 0 ? '+' : '-';
        out.push(`  ${mark} ${u.id}  ${u.level.padEnd(6)}  ${u.text.length > 100 ? u.text.slice(0, 97) + '...' : u.text}${u.scenarios.length > 0 ? `  [${u.scenarios.join(', ')}]` : ''}`);
      }
    }
    if (r.uncovered) {
      out.push('', `uncovered testable sentences of RFC ${r.doc} (${r.uncovered.length}):`);
      for (const u of r.uncovered) out.push(`  ${u.id}  ${u.level.padEnd(6)}  ${u.text.length > 100 ? u.text.slice(0, 97) + '...' : u.text}`);
    }
    out.push('');
  }
  const t = report.total;
  out.push(
    `${t.sentences} normative sentences, ${t.testable} testable, ${t.covered} covered (${pct(t)}); ` +
      LEVELS.map((l) => `${l} ${ratio(t.byLevel[l])}`).join(', ') +
      `; ${report.scenarios.citing} of ${report.scenarios.total} scenarios cite sentence ids`,
  );
  return out.join('\n') + '\n';
}

function parseSections(values: unknown, index: SentenceIndex, rfcs: number[] | undefined): string[] | undefined {
  if (values === undefined) return undefined;
  const wanted = (values as string[]).flatMap((v) => v.split(',')).map((v) => v.trim()).filter((v) => v !== '');
  const known = new Set(index.sentences.filter((s) => !rfcs || rfcs.includes(s.doc)).map((s) => s.section));
  for (const p of wanted) {
    if (!/^(?:[0-9]+|[A-Z])(?:\.[0-9]+)*$/.test(p)) throw new UsageError(`coverage: --section ${p}: not a section number (4, 4.2.1, D, D.5)`);
    if (![...known].some((s) => inSection(s, p))) throw new UsageError(`coverage: --section ${p}: no indexed sentence is in this section`);
  }
  return wanted;
}

function parseRfcs(values: unknown, index: SentenceIndex): number[] | undefined {
  if (values === undefined) return undefined;
  const known = index.docs.map((d) => d.doc);
  return (values as string[])
    .flatMap((v) => v.split(','))
    .map((v) => {
      const n = /^(?:rfc)?\s*([0-9]+)$/i.exec(v.trim())?.[1];
      if (n === undefined || !known.includes(Number(n))) throw new UsageError(`coverage: --rfc ${v}: not an indexed RFC (indexed: ${known.join(', ')})`);
      return Number(n);
    })
    .filter((n, i, a) => a.indexOf(n) === i);
}

export const coverageCommand: Command = {
  name: 'coverage',
  summary: 'RFC coverage: normative sentences per section, testable, covered by a scenario (per level); --uncovered lists the rest',
  usage: 'tls-harness coverage [--rfc N ...] [--section S ...] [--json] [--uncovered] [--list] [--scenarios PATH|GLOB ...]',
  options: {
    rfc: { type: 'string', multiple: true, description: 'only this RFC (repeat, or a comma list: 8446,5246)' },
    section: { type: 'string', multiple: true, description: 'only these sections and their subsections (repeat, or a comma list: 4,5,6,D)' },
    json: { type: 'boolean', description: 'print one JSON object' },
    uncovered: { type: 'boolean', description: 'list the testable sentences no scenario covers (id, level, text)' },
    list: { type: 'boolean', description: 'list every normative sentence: covered (+), testable (-) or untestable (x), id, level, text, citing scenarios' },
    scenarios: { type: 'string', multiple: true, description: 'scenario files, directories or globs (default: scenarios/)' },
  },
  async run(values) {
    const index = loadSentenceIndex();
    const rfcs = parseRfcs(values.rfc, index);
    const sections = parseSections(values.section, index, rfcs);
    const r = loadScenarios((values.scenarios as string[] | undefined) ?? [defaultScenarioDir()], { traceability: true });
    if (hasErrors(r.diagnostics)) {
      for (const d of r.diagnostics) if (d.severity === 'error') process.stderr.write(formatDiagnostic(d) + '\n');
      return ExitCode.usage;
    }
    const report = computeCoverage(r.scenarios, { rfcs, sections, uncovered: values.uncovered === true, list: values.list === true }, index);
    process.stdout.write(values.json ? JSON.stringify(report, null, 2) + '\n' : formatCoverage(report));
    return ExitCode.ok;
  },
};
