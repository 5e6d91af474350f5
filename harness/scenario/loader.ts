/**
 * Scenario files -> the validated model (model.ts). Every problem is a diagnostic with the `file:line:col`
 * of the YAML node at fault; a file's diagnostics are all collected, not just the first. A document with
 * any error yields no Scenario, so the engine only ever sees valid ones.
 *
 * `${param}` templates stay in the Scenario (its steps, config and requires are templates); expandCases()
 * substitutes them, one ScenarioCase per combination of the matrix. The loader checks each template
 * against every matrix value it can take, so a case never fails to expand.
 */
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { UsageError } from '../errors.ts';
import { LineCounter, isAlias, isMap, isScalar, isSeq, parseAllDocuments, visit, type Document, type Node as YNode } from 'yaml';
import { MAX_DIAGNOSTICS_PER_FILE, MAX_NESTING, decodeScenario, readScenarioBytes, tooDeepOffset } from './limits.ts';
import { checkTraceability } from '../rfc/traceability.ts';
import type {
  CbcRecordOptions,
  ControlSpec,
  Expectation,
  FieldValue,
  MessageExpectation,
  MutateOp,
  PeerConfig,
  Position,
  PremasterSpec,
  RecordOptions,
  Requirements,
  RfcReference,
  Role,
  Scenario,
  ScenarioCase,
  SourceLocation,
  Step,
  TargetOptions,
  VersionName,
} from './model.ts';
import {
  APPLICATION_DATA_RECORD_KEYS,
  BARE_STEPS,
  CBC_KEYS,
  CERTIFICATES,
  CERTIFICATE_VERIFY_FAULTS,
  FFDHE_LEADING_ZERO,
  CONFIG_KEYS,
  MAX_FRAGMENT_LENGTHS,
  PSK_MODES,
  CONTROL_KEYS,
  TARGET_OPTION_KEYS,
  EXPECT_ITEM_KEYS,
  EXPECT_KEYS,
  EXPECT_KINDS,
  EXPECT_MODIFIERS,
  EXPECT_WORDS,
  ID_PATTERN,
  MUTATE_KEYS,
  MUTATE_OPS,
  PARAM_NAME,
  PREMASTER_CONFLICTS,
  PREMASTER_KEYS,
  PREMASTER_MESSAGE,
  RAW_LAYERS,
  RECORD_KEYS,
  REQUIRED_TOP_KEYS,
  REQUIRES_KEYS,
  RFC_KEYS,
  REQUIRED_RFC_KEYS,
  LEVELS,
  SENTENCE_ID,
  ROLES,
  STEP_KINDS,
  STEP_MODIFIERS,
  STEP_VALUE_KEYS,
  TOP_KEYS,
  VERSIONS,
  type MutateKey,
  type StepKey,
} from './format.ts';
import { NAMES, checkMessage, checkName, codeFor, extensionOfSegment, nameFor, type NameKind } from './names.ts';
import { LIVE_ROOTS, checkLiveRef, isLiveRef } from './live.ts';
import { clip, closest, hasUnterminatedRef, hexToBytes, hint, parseHex, substitute, templateRefs, wholeRef } from './text.ts';

export interface Diagnostic {
  file: string;
  /** 1-based; 0 when the diagnostic is about the file as a whole (it does not exist, no file matches). */
  line: number;
  col: number;
  message: string;
  severity: 'error' | 'warning';
  /** What raised it, when not the YAML or the format itself: `traceability` (the RFC index checks, harness/rfc/). */
  kind?: 'traceability';
  /**
   * For the last diagnostic of a file with too many (MAX_DIAGNOSTICS_PER_FILE): how many it stands for,
   * "and N more errors in this file".
   */
  more?: { errors: number; warnings: number };
}

export interface LoadResult {
  /** The files read (after directory and glob expansion), in order. */
  files: string[];
  /** Valid scenarios only (documents without errors). */
  scenarios: Scenario[];
  /** Sorted by file, then position. */
  diagnostics: Diagnostic[];
}

/** `file:line:col: message`, with `warning: ` before the message of a warning. */
export function formatDiagnostic(d: Diagnostic): string {
  const where = d.line > 0 ? `${d.file}:${d.line}:${d.col}` : d.file;
  return `${where}: ${d.severity === 'warning' ? 'warning: ' : ''}${d.message}`;
}

export function hasErrors(diagnostics: readonly Diagnostic[]): boolean {
  return diagnostics.some((d) => d.severity === 'error');
}

/** The errors and warnings the diagnostics stand for (a capped file's "and N more" counts N). */
export function countDiagnostics(diagnostics: readonly Diagnostic[]): { errors: number; warnings: number } {
  let errors = 0;
  let warnings = 0;
  for (const d of diagnostics) {
    if (d.more) {
      errors += d.more.errors;
      warnings += d.more.warnings;
    } else if (d.severity === 'error') errors++;
    else warnings++;
  }
  return { errors, warnings };
}

/**
 * The first MAX_DIAGNOSTICS_PER_FILE diagnostics of one file (sorted), then one that counts the rest: a file
 * with 290,000 errors prints 51 lines, and the loader keeps no more than that.
 */
export function capDiagnostics(ds: Diagnostic[], max = MAX_DIAGNOSTICS_PER_FILE): Diagnostic[] {
  if (ds.length <= max) return ds;
  const rest = countDiagnostics(ds.slice(max));
  const last = ds[max];
  const parts = [rest.errors ? `${rest.errors} more error${rest.errors === 1 ? '' : 's'}` : '', rest.warnings ? `${rest.warnings} more warning${rest.warnings === 1 ? '' : 's'}` : ''].filter(Boolean);
  return [
    ...ds.slice(0, max),
    {
      file: last.file,
      line: last.line,
      col: last.col,
      message: `... and ${parts.join(' and ')} in this file (only the first ${max} are shown)`,
      severity: rest.errors ? 'error' : 'warning',
      more: rest,
    },
  ];
}

const MAX_YAML_ERRORS = 3;

/** Where each scenario's `id` value is, for duplicate-id diagnostics. */
const idLocations = new WeakMap<Scenario, SourceLocation>();

/** Where the parts of a scenario's `rfc` mapping are, for the traceability checks (harness/rfc/traceability.ts). */
export interface RfcLocations {
  rfc: SourceLocation;
  quote?: SourceLocation;
  level?: SourceLocation;
  sentences?: SourceLocation;
  /** One per `sentences` item. */
  items: SourceLocation[];
}
const rfcLocations = new WeakMap<RfcReference, RfcLocations>();

/** The positions of a loaded scenario's rfc mapping (its own position when it was not loaded from YAML). */
export function rfcLocationsOf(s: Scenario): RfcLocations {
  return rfcLocations.get(s.rfc) ?? { rfc: s.loc, items: [] };
}

export interface LoadOptions {
  /**
   * Also check each scenario's rfc mapping against the RFC sentence index (harness/rfc/traceability.ts):
   * sentence ids, quote, level, the party the rule binds. validate, run and list turn it on.
   */
  traceability?: boolean;
}

// ---------------------------------------------------------------------------------------------------------
// Files

/** Load every scenario of one file (a YAML stream may hold several documents, one scenario each). */
export function loadScenarioFile(path: string): { scenarios: Scenario[]; diagnostics: Diagnostic[] } {
  const whole = (message: string) => ({ scenarios: [], diagnostics: [{ file: path, line: 0, col: 0, message, severity: 'error' as const }] });
  const bytes = readScenarioBytes(path);
  if (typeof bytes === 'string') return whole(bytes);
  const decoded = decodeScenario(bytes);
  if ('message' in decoded) {
    return { scenarios: [], diagnostics: [{ file: path, line: decoded.at?.line ?? 0, col: decoded.at?.col ?? 0, message: decoded.message, severity: 'error' }] };
  }
  return parseScenarioText(decoded.text, path);
}

/**
 * Duplicate keys in any mapping of the document, as the YAML library reports them ("Map keys must be
 * unique", at the second key). The library's own check compares every key with every other (a mapping
 * of 60,000 keys took 40 s), so it is off and this one, with a Set per mapping, does it.
 */
function duplicateKeys(doc: Document): number[] {
  const at: number[] = [];
  visit(doc, {
    Map(_, map) {
      const seen = new Set<string>();
      for (const pair of map.items) {
        const k = pair.key;
        if (!isScalar(k)) continue;
        const v = k.value;
        const id = `${v === null ? 'null' : typeof v}:${String(v)}`;
        if (seen.has(id)) at.push(k.range?.[0] ?? map.range?.[0] ?? 0);
        else seen.add(id);
      }
    },
  });
  return at;
}

/** Parse scenario YAML held in memory (`file` names it in diagnostics). */
export function parseScenarioText(text: string, file: string): { scenarios: Scenario[]; diagnostics: Diagnostic[] } {
  const lc = new LineCounter();
  const deep = tooDeepOffset(text);
  if (deep >= 0) {
    // Before the YAML library composes the document: it recurses once per level.
    lc.addNewLine(0);
    for (let i = text.indexOf('\n'); i >= 0 && i < deep; i = text.indexOf('\n', i + 1)) lc.addNewLine(i + 1);
    const message = `nesting too deep: lists and mappings more than ${MAX_NESTING} levels deep (a scenario needs under 10)`;
    return { scenarios: [], diagnostics: [{ file, ...lc.linePos(deep), message, severity: 'error' }] };
  }
  // The library builds an Error per YAML error; without stack traces that costs a tenth (the errors keep
  // their positions, which is all a diagnostic needs).
  const stackLimit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  let docs;
  try {
    docs = parseAllDocuments(text, { lineCounter: lc, prettyErrors: false, uniqueKeys: false });
  } finally {
    Error.stackTraceLimit = stackLimit;
  }
  const diagnostics: Diagnostic[] = [];
  const scenarios: Scenario[] = [];
  const pos = (offset: number) => lc.linePos(offset);
  let any = false;
  for (const doc of docs) {
    const before = diagnostics.length;
    // YAML errors cascade (one missing bracket, twenty 'unexpected token'): the first few say it all.
    const shown = doc.errors.slice(0, MAX_YAML_ERRORS);
    for (const e of shown) diagnostics.push({ file, ...pos(e.pos[0]), message: oneLine(e.message), severity: 'error' });
    if (doc.errors.length > shown.length) {
      const e = doc.errors[shown.length];
      diagnostics.push({ file, ...pos(e.pos[0]), message: `(${doc.errors.length - shown.length} more YAML errors after these)`, severity: 'error' });
    }
    for (const w of doc.warnings) diagnostics.push({ file, ...pos(w.pos[0]), message: oneLine(w.message), severity: 'warning' });
    const dups = doc.errors.length === 0 ? duplicateKeys(doc) : [];
    for (const o of dups) diagnostics.push({ file, ...pos(o), message: 'Map keys must be unique', severity: 'error' });
    if (doc.errors.length > 0 || dups.length > 0) {
      any = true;
      continue;
    }
    if (doc.contents === null || (isScalar(doc.contents) && doc.contents.value === null)) continue;
    any = true;
    const r = new DocReader(file, text, lc, doc, diagnostics);
    const s = r.scenario();
    if (s && !diagnostics.slice(before).some((d) => d.severity === 'error')) scenarios.push(s);
  }
  if (!any) diagnostics.push({ file, line: 1, col: 1, message: 'no scenario in this file (it is empty)', severity: 'error' });
  return { scenarios, diagnostics: capDiagnostics(sortDiagnostics(dedupe(diagnostics))) };
}

/**
 * Load scenarios from files, directories (every *.yaml / *.yml under them, recursively) and globs
 * (`*`, `**`, `?`, `{a,b}`), and check that scenario ids are unique across all of them.
 */
export function loadScenarios(globsOrPaths: readonly string[], opts: LoadOptions = {}): LoadResult {
  const files: string[] = [];
  const diagnostics: Diagnostic[] = [];
  for (const input of globsOrPaths) {
    const found = resolveInput(input);
    if (typeof found === 'string') diagnostics.push({ file: input, line: 0, col: 0, message: found, severity: 'error' });
    else for (const f of found) if (!files.includes(f)) files.push(f);
  }
  const scenarios: Scenario[] = [];
  for (const f of files) {
    const r = loadScenarioFile(f);
    for (const d of r.diagnostics) diagnostics.push(d);
    for (const s of r.scenarios) scenarios.push(s);
  }
  const seen = new Map<string, SourceLocation>();
  const unique: Scenario[] = [];
  for (const s of scenarios) {
    const first = seen.get(s.id);
    const at = idLocations.get(s) ?? s.loc;
    if (first) {
      diagnostics.push({ ...at, message: `duplicate scenario id '${s.id}' (first defined at ${first.file}:${first.line}:${first.col})`, severity: 'error' });
    } else {
      seen.set(s.id, at);
      unique.push(s);
    }
  }
  if (opts.traceability) for (const d of checkTraceability(unique, rfcLocationsOf)) diagnostics.push(d);
  return { files, scenarios: unique, diagnostics: sortDiagnostics(diagnostics, files) };
}

function resolveInput(input: string): string[] | string {
  if (/[*?{[]/.test(input)) {
    const out = globFiles(input);
    return out.length > 0 ? out : `no file matches '${input}'`;
  }
  let st;
  try {
    st = statSync(input);
  } catch {
    return 'no such file or directory';
  }
  if (!st.isDirectory()) return [input];
  const found = walk(input).filter((f) => /\.ya?ml$/i.test(f));
  // An empty directory (or one named x.yaml) is a mistake, not a suite of nothing that passes.
  return found.length > 0 ? found : 'no scenario file found: the directory holds no *.yaml or *.yml file';
}

function walk(dir: string): string[] {
  const out: string[] = [];
  const entries = readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const e of entries) {
    if (e.name === 'node_modules' || e.name.startsWith('.')) continue;
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...walk(p));
    else if (e.isFile()) out.push(p);
  }
  return out;
}

/** A minimal glob: `**` any directories, `*` and `?` within a name, `{a,b}` alternatives, `[...]` classes. */
export function globFiles(pattern: string): string[] {
  const parts = pattern.split('/');
  const firstGlob = parts.findIndex((p) => /[*?{[]/.test(p));
  const base = parts.slice(0, firstGlob).join('/') || (pattern.startsWith('/') ? '/' : '.');
  let st;
  try {
    st = statSync(base);
  } catch {
    return [];
  }
  if (!st.isDirectory()) return [];
  const re = globRegExp(pattern.replace(/^\.\//, ''));
  return walk(base)
    .map((f) => (base === '.' ? relative('.', f) : f))
    .filter((f) => re.test(f.split('\\').join('/')));
}

function globRegExp(glob: string): RegExp {
  let re = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i];
    if (c === '*') {
      if (glob[i + 1] === '*') {
        i++;
        if (glob[i + 1] === '/') {
          i++;
          re += '(?:.*/)?';
        } else re += '.*';
      } else re += '[^/]*';
    } else if (c === '?') re += '[^/]';
    else if (c === '{') {
      const end = glob.indexOf('}', i);
      if (end < 0) re += '\\{';
      else {
        re += `(?:${glob
          .slice(i + 1, end)
          .split(',')
          .map((a) => a.replace(/[.+^$()|\\]/g, '\\$&').replace(/\*/g, '[^/]*'))
          .join('|')})`;
        i = end;
      }
    } else if (c === '[') {
      const end = glob.indexOf(']', i);
      if (end < 0) re += '\\[';
      else {
        re += `[${glob.slice(i + 1, end).replace(/^!/, '^')}]`;
        i = end;
      }
    } else re += c.replace(/[.+^$()|\\\]}]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

function oneLine(message: string): string {
  return message.split('\n')[0].replace(/ at line \d+, column \d+:?$/, '');
}

function dedupe(ds: Diagnostic[]): Diagnostic[] {
  const seen = new Set<string>();
  return ds.filter((d) => {
    const k = `${d.file}\0${d.line}\0${d.col}\0${d.severity}\0${d.message}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

function sortDiagnostics(ds: Diagnostic[], fileOrder: readonly string[] = []): Diagnostic[] {
  const rank = (f: string) => {
    const i = fileOrder.indexOf(f);
    return i < 0 ? -1 : i;
  };
  return ds
    .map((d, i) => ({ d, i }))
    .sort((a, b) => rank(a.d.file) - rank(b.d.file) || a.d.line - b.d.line || a.d.col - b.d.col || a.i - b.i)
    .map((x) => x.d);
}

// ---------------------------------------------------------------------------------------------------------
// One YAML document -> Scenario

type N = YNode | null | undefined;
interface Entry {
  key: string;
  keyNode: YNode;
  /** The value node; a missing value (`key:`) is a null scalar. */
  value: N;
}
type Entries = Map<string, Entry>;

interface Param {
  keyNode: YNode;
  values: (string | number)[];
  nodes: YNode[];
}

class DocReader {
  private matrix = new Map<string, Param>();
  private used = new Set<string>();
  /** Keys suggested for unknown keys, so a typo is not also reported as a missing key. */
  private typos = new Set<string>();

  constructor(
    readonly file: string,
    readonly text: string,
    readonly lc: LineCounter,
    readonly doc: Document,
    readonly diagnostics: Diagnostic[],
  ) {}

  // --- positions and diagnostics

  loc(n: N): SourceLocation {
    const offset = n?.range?.[0] ?? 0;
    return { file: this.file, ...this.lc.linePos(offset) };
  }

  error(n: N, message: string): undefined {
    this.diagnostics.push({ ...this.loc(n), message, severity: 'error' });
    return undefined;
  }

  warn(n: N, message: string): void {
    this.diagnostics.push({ ...this.loc(n), message, severity: 'warning' });
  }

  // --- node access

  resolve(n: N): N {
    return isAlias(n) ? (n.resolve(this.doc) as N) : n;
  }

  describe(n: N): string {
    n = this.resolve(n);
    if (isMap(n)) return 'a mapping';
    if (isSeq(n)) return 'a list';
    if (isScalar(n)) {
      const v = n.value;
      if (v === null || v === undefined) return 'nothing';
      if (typeof v === 'string') return `'${clip(v, 40)}'`;
      return String(this.source(n) || v);
    }
    return 'nothing';
  }

  source(n: N): string {
    return isScalar(n) && typeof n.source === 'string' ? n.source : '';
  }

  isNull(n: N): boolean {
    n = this.resolve(n);
    return n === null || n === undefined || (isScalar(n) && (n.value === null || n.value === undefined));
  }

  entries(n: N, what: string): Entries | undefined {
    n = this.resolve(n);
    if (!isMap(n)) return this.error(n, `${what} must be a mapping, got ${this.describe(n)}`);
    const out: Entries = new Map();
    for (const pair of n.items) {
      const k = this.resolve(pair.key as N);
      if (!isScalar(k) || k.value === null || typeof k.value === 'object') {
        this.error(k, `${what}: keys must be plain words, got ${this.describe(k)}`);
        continue;
      }
      const key = String(k.value);
      if (!out.has(key)) out.set(key, { key, keyNode: k, value: this.resolve(pair.value as N) ?? k });
    }
    return out;
  }

  /**
   * Report keys not in `allowed` (with the closest allowed key): "unknown <noun> 'k' [in <context>]".
   * True when all are allowed.
   */
  checkKeys(es: Entries, allowed: readonly string[], noun: string, context?: string, suggest: readonly string[] = allowed): boolean {
    let ok = true;
    for (const e of es.values()) {
      if (!allowed.includes(e.key)) {
        ok = false;
        const c = closest(e.key, suggest);
        if (c !== undefined) this.typos.add(c);
        this.error(e.keyNode, `unknown ${noun} '${e.key}'${context ? ` in ${context}` : ''}${c === undefined ? '' : ` (did you mean '${c}'?)`}`);
      }
    }
    return ok;
  }

  /** Report missing keys (not those already reported as a typo: 'titel' -> 'title'). */
  require(es: Entries, keys: readonly string[], at: N, what: string): boolean {
    let ok = true;
    for (const k of keys) {
      if (!es.has(k)) {
        ok = false;
        if (!this.typos.has(k)) this.error(at, `${what} is missing required key '${k}'`);
      }
    }
    return ok;
  }

  seq(n: N, what: string): YNode[] | undefined {
    n = this.resolve(n);
    if (!isSeq(n)) return this.error(n, `${what} must be a list, got ${this.describe(n)}`);
    return n.items.map((i) => this.resolve(i as N) as YNode);
  }

  str(n: N, what: string, nonEmpty = true): string | undefined {
    n = this.resolve(n);
    if (!isScalar(n) || typeof n.value !== 'string') return this.error(n, `${what} must be a string, got ${this.describe(n)}`);
    if (nonEmpty && n.value.trim() === '') return this.error(n, `${what} must not be empty`);
    return n.value;
  }

  int(n: N, what: string, min = 0, max = Number.MAX_SAFE_INTEGER): number | undefined {
    n = this.resolve(n);
    const v = isScalar(n) ? n.value : undefined;
    if (typeof v !== 'number' || !Number.isInteger(v)) {
      const extra = typeof v === 'string' && templateRefs(v).length > 0 ? ' (matrix parameters substitute into string fields only)' : '';
      return this.error(n, `${what} must be an integer, got ${this.describe(n)}${extra}`);
    }
    if (v < min || v > max) return this.error(n, `${what} must be ${max === Number.MAX_SAFE_INTEGER ? `at least ${min}` : `in ${min}..${max}`}, got ${v}`);
    return v;
  }

  /** A string that must be one of `allowed`, or a matrix template whose every value is: the string, else undefined. */
  templatedChoice(n: N, what: string, allowed: readonly string[], label: string): string | undefined {
    const s = this.str(n, what);
    const good =
      s !== undefined &&
      this.templated(n, s, (v) => (allowed.includes(String(v)) ? undefined : `unknown ${label} '${v}' (one of ${allowed.join(', ')})${hint(String(v), allowed)}`));
    return good ? s : undefined;
  }

  bool(n: N, what: string): boolean | undefined {
    n = this.resolve(n);
    if (!isScalar(n) || typeof n.value !== 'boolean') return this.error(n, `${what} must be true or false, got ${this.describe(n)}`);
    return n.value;
  }

  oneOf<T extends string>(n: N, what: string, allowed: readonly T[]): T | undefined {
    const s = this.str(n, what);
    if (s === undefined) return undefined;
    if (!(allowed as readonly string[]).includes(s)) return this.error(n, `${what} must be one of ${allowed.join(', ')}, got '${s}'${hint(s, allowed)}`);
    return s as T;
  }

  // --- templates

  /**
   * Check the `${param}` references of a string in a templated field: each must be a matrix key. Returns
   * the names referenced, or undefined if any is undefined.
   */
  refs(n: N, s: string, live = false): string[] | undefined {
    if (hasUnterminatedRef(s)) return this.error(n, `unterminated '\${' in '${clip(s)}' (write '$\${' for a literal '\${')`);
    const all = templateRefs(s);
    // `${root.path}` is a live-state reference, resolved when the step runs (harness/scenario/live.ts).
    const names = all.filter((x) => !isLiveRef(x));
    let ok = true;
    for (const name of all.filter(isLiveRef)) {
      const m = live
        ? checkLiveRef(name)
        : `'\${${name}}' is a live-state reference (resolved when the step runs): only set and where values and insert_extension values may use one`;
      if (m) {
        ok = false;
        this.error(n, m);
      }
    }
    if (!ok) return undefined;
    for (const name of names) {
      if (this.matrix.has(name)) {
        this.used.add(name);
        continue;
      }
      ok = false;
      const keys = [...this.matrix.keys()];
      const where = keys.length === 0 ? 'this scenario has no matrix' : `matrix keys: ${keys.join(', ')}`;
      const liveHint = LIVE_ROOTS.includes(name) ? `; a live-state reference names a field: \${${name}.${name === 'negotiated' ? 'group' : 'cipher_suite'}}` : hint(name, keys);
      this.error(n, `undefined parameter '\${${name}}' (${where})${liveHint}`);
    }
    return ok ? names : undefined;
  }

  /**
   * A string in a templated field with a per-value check: checked as written when it has no parameters,
   * else for every matrix value it can take (a bad matrix value is reported where the matrix lists it).
   */
  templated(n: N, s: string, check: (v: string | number) => string | undefined): boolean {
    const names = this.refs(n, s);
    if (names === undefined) return false;
    if (names.length === 0) {
      const m = check(substitute(s, {}));
      if (m) this.error(n, m);
      return !m;
    }
    const whole = wholeRef(s);
    let ok = true;
    if (whole !== undefined) {
      const p = this.matrix.get(whole)!;
      const use = this.loc(n);
      p.values.forEach((v, i) => {
        const m = check(v);
        if (m) {
          ok = false;
          this.error(p.nodes[i], `${m} (matrix value used as '\${${whole}}' at ${use.line}:${use.col})`);
        }
      });
      return ok;
    }
    const distinct = [...new Set(names)];
    for (const combo of product(distinct.map((k) => [k, this.matrix.get(k)!.values] as const))) {
      const m = check(substitute(s, combo));
      if (m) {
        ok = false;
        this.error(n, `${m} (with ${Object.entries(combo).map(([k, v]) => `${k}=${v}`).join(', ')})`);
      }
    }
    return ok;
  }

  /** A string field where templates are allowed and anything goes. */
  tstr(n: N, what: string, nonEmpty = true): string | undefined {
    const s = this.str(n, what, nonEmpty);
    if (s === undefined) return undefined;
    return this.refs(n, s) ? s : undefined;
  }

  /** A name (or number) in a templated string field of the model: checked, numbers written as names. */
  nameStr(n: N, kind: NameKind, what: string): string | undefined {
    n = this.resolve(n);
    if (isScalar(n) && typeof n.value === 'number') {
      const m = checkName(kind, n.value);
      return m ? this.error(n, m) : nameFor(kind, n.value);
    }
    const s = this.str(n, what);
    if (s === undefined) return undefined;
    if (!this.templated(n, s, (v) => checkName(kind, v))) return undefined;
    return templateRefs(s).length > 0 ? s : nameFor(kind, s);
  }

  nameList(n: N, kind: NameKind, what: string): string[] | undefined {
    const items = this.seq(n, what);
    if (!items) return undefined;
    const out = items.map((i) => this.nameStr(i, kind, `${what} entry`));
    return out.every((x) => x !== undefined) ? (out as string[]) : undefined;
  }

  /** A name or number where the model holds `string | number`: numbers (and numeric text) become numbers. */
  nameOrCode(n: N, kind: NameKind, what: string): string | number | undefined {
    n = this.resolve(n);
    if (isScalar(n) && typeof n.value === 'number') {
      const m = checkName(kind, n.value);
      return m ? this.error(n, m) : n.value;
    }
    const s = this.str(n, what);
    if (s === undefined) return undefined;
    if (!this.templated(n, s, (v) => checkName(kind, v))) return undefined;
    if (templateRefs(s).length > 0) return s;
    const code = codeFor(kind, s);
    return Object.prototype.hasOwnProperty.call(kind.table, s) ? s : code;
  }

  /** A name or number where the model holds a number (no templates). */
  code(n: N, kind: NameKind, what: string): number | undefined {
    n = this.resolve(n);
    if (isScalar(n) && typeof n.value === 'number') {
      const m = checkName(kind, n.value);
      return m ? this.error(n, m) : n.value;
    }
    const s = this.str(n, what);
    if (s === undefined) return undefined;
    if (templateRefs(s).length > 0) return this.error(n, `${what} cannot use matrix parameters (the model holds a number here)`);
    const m = checkName(kind, s);
    return m ? this.error(n, m) : codeFor(kind, s);
  }

  /**
   * Hex bytes: a string (templates allowed) or a plain number whose digits are the hex; `length`: exactly
   * that many bytes; `check`: a check of its own instead (for every value a template can take).
   */
  hex(n: N, what: string, length?: number, check?: (v: string | number) => string | undefined): string | undefined {
    n = this.resolve(n);
    let s: string;
    if (isScalar(n) && typeof n.value === 'number') s = this.source(n);
    else {
      const v = this.str(n, what, false);
      if (v === undefined) return undefined;
      s = v;
    }
    const sized = (v: string | number) => {
      const h = parseHex(String(v));
      if ('error' in h) return h.error;
      return length === undefined || h.hex.length === 2 * length ? undefined : `${what} must be ${length} bytes, got ${h.hex.length / 2}`;
    };
    if (!this.templated(n, s, check ?? sized)) return undefined;
    return templateRefs(s).length > 0 ? s : (parseHex(s) as { hex: string }).hex;
  }

  /** `"text"` (UTF-8) or `{ hex }`. */
  bytes(n: N, what: string): Uint8Array | undefined {
    n = this.resolve(n);
    if (isScalar(n) && typeof n.value === 'string') {
      const names = templateRefs(n.value);
      if (names.length > 0) {
        this.warn(n, `'\${${names[0]}}' in ${what} is not substituted: ${what} text is sent as written (use { hex } or a send step for parameters)`);
      }
      return new TextEncoder().encode(n.value);
    }
    if (isMap(n)) {
      const es = this.entries(n, what);
      if (!es) return undefined;
      if (!this.checkKeys(es, ['hex'], 'key', what)) return undefined;
      if (!this.require(es, ['hex'], n, what)) return undefined;
      const e = es.get('hex')!;
      const v = this.resolve(e.value);
      const s = isScalar(v) && typeof v.value === 'number' ? this.source(v) : this.str(v, `${what} hex`, false);
      if (s === undefined) return undefined;
      if (templateRefs(s).length > 0) return this.error(v, `${what} cannot use matrix parameters (the model holds bytes here)`);
      const h = parseHex(s);
      if ('error' in h) return this.error(v, h.error);
      return hexToBytes(h.hex);
    }
    return this.error(n, `${what} must be a string or { hex: ... }, got ${this.describe(n)}`);
  }

  /** A `set` / `where` value, kept as written (the engine resolves names per field). */
  fieldValue(n: N, what: string): FieldValue | undefined {
    n = this.resolve(n);
    if (isScalar(n)) {
      const v = n.value;
      if (v === null || v === undefined) return null;
      if (typeof v === 'string') {
        if (!this.refs(n, v, true)) return undefined;
        if (/^0x/i.test(v) && templateRefs(v).length === 0) {
          const h = parseHex(v);
          if ('error' in h) return this.error(n, h.error);
        }
        return v;
      }
      if (typeof v === 'number') {
        if (!Number.isSafeInteger(v) && Number.isInteger(v)) this.warn(n, `${this.source(n)} is too large for a number: quote it ("${this.source(n)}") to give bytes`);
        return v;
      }
      if (typeof v === 'boolean') return v;
      return this.error(n, `${what}: unsupported value ${this.describe(n)}`);
    }
    if (isSeq(n)) {
      const out = n.items.map((i) => this.fieldValue(i as N, what));
      return out.every((x) => x !== undefined) ? (out as FieldValue[]) : undefined;
    }
    if (isMap(n)) {
      const es = this.entries(n, what);
      if (!es) return undefined;
      if (es.size === 1 && es.has('hex')) {
        const h = this.hex(es.get('hex')!.value, `${what} hex`);
        return h === undefined ? undefined : { hex: h };
      }
      const out: Record<string, FieldValue> = {};
      let ok = true;
      for (const e of es.values()) {
        const v = this.fieldValue(e.value, what);
        if (v === undefined || !this.refs(e.keyNode, e.key)) ok = false;
        else out[e.key] = v;
      }
      return ok ? out : undefined;
    }
    return this.error(n, `${what}: unsupported value ${this.describe(n)}`);
  }

  /** `set:` / `where:`: field path -> FieldValue. */
  fieldMap(n: N, what: string): Record<string, FieldValue> | undefined {
    const es = this.entries(n, what);
    if (!es) return undefined;
    const out: Record<string, FieldValue> = {};
    let ok = true;
    for (const e of es.values()) {
      if (e.key.trim() === '') {
        ok = false;
        this.error(e.keyNode, `${what}: a field path must not be empty`);
        continue;
      }
      const v = this.fieldValue(e.value, `${what} '${e.key}'`);
      const badExt = unknownExtensionInPath(e.key);
      if (badExt) {
        ok = false;
        this.error(e.keyNode, `${what} '${e.key}': ${badExt}`);
        continue;
      }
      if (v === undefined || !this.refs(e.keyNode, e.key)) ok = false;
      else out[e.key] = v;
    }
    return ok ? out : undefined;
  }

  // --- the scenario

  scenario(): Scenario | undefined {
    const root = this.resolve(this.doc.contents as N);
    const es = this.entries(root, 'a scenario');
    if (!es) return undefined;
    this.checkKeys(es, TOP_KEYS, 'key');
    this.require(es, REQUIRED_TOP_KEYS, root, 'the scenario');
    const get = (k: string) => es.get(k)?.value;

    const id = es.has('id') ? this.str(get('id'), 'id') : undefined;
    if (id !== undefined && !ID_PATTERN.test(id)) this.error(get('id'), `id '${id}' must match [a-z0-9][a-z0-9.-]* (lowercase letters, digits, '.', '-')`);
    const title = es.has('title') ? this.str(get('title'), 'title') : undefined;
    const rfc = es.has('rfc') ? this.rfc(get('rfc')) : undefined;
    const target = es.has('target') ? this.oneOf<Role>(get('target'), 'target', ROLES) : undefined;
    const versions = es.has('versions') ? this.versions(get('versions'), 'versions', true) : undefined;
    const tags = es.has('tags') ? this.tags(get('tags')) : [];
    const timeout = es.has('timeout') ? this.int(get('timeout'), 'timeout (ms)', 1) : undefined;
    // The matrix first: every template below is checked against it.
    const matrix = es.has('matrix') ? this.parseMatrix(get('matrix')) : {};
    const indist = es.has('indistinguishable') ? this.indistinguishable(get('indistinguishable')) : { keys: undefined };
    const requires = es.has('requires') ? this.requires(get('requires')) : {};
    const config = es.has('config') ? this.config(get('config')) : {};
    const control = es.has('control') ? this.control(get('control')) : { spec: undefined };
    const targetOptions = es.has('target_options') ? this.targetOptions(get('target_options'), target) : { options: undefined };
    const steps = es.has('steps') ? this.steps(get('steps')) : undefined;

    if (matrix) {
      for (const [k, p] of this.matrix) {
        if (!this.used.has(k)) this.warn(p.keyNode, `matrix key '${k}' is not used by any step, config or requires (it only multiplies identical cases)`);
      }
    }
    if (id !== undefined && title !== undefined && versions) this.lintVersionWords(es, id, title, versions);

    if (
      id === undefined ||
      title === undefined ||
      rfc === undefined ||
      target === undefined ||
      versions === undefined ||
      tags === undefined ||
      matrix === undefined ||
      indist === undefined ||
      requires === undefined ||
      config === undefined ||
      control === undefined ||
      targetOptions === undefined ||
      steps === undefined ||
      (es.has('timeout') && timeout === undefined)
    ) {
      return undefined;
    }
    const s: Scenario = { id, title, rfc, target, versions, tags, requires, matrix, config, steps, loc: this.loc(root) };
    if (timeout !== undefined) s.timeout = timeout;
    if (control.spec !== undefined) s.control = control.spec;
    if (targetOptions.options !== undefined) s.target_options = targetOptions.options;
    if (indist.keys !== undefined) s.indistinguishable = indist.keys;
    idLocations.set(s, this.loc(get('id')));
    return s;
  }

  rfc(n: N): Scenario['rfc'] | undefined {
    const es = this.entries(n, 'rfc');
    if (!es) return undefined;
    this.checkKeys(es, RFC_KEYS, 'rfc key');
    this.require(es, REQUIRED_RFC_KEYS, n, 'rfc');
    const doc = es.has('doc') ? this.int(es.get('doc')!.value, 'rfc doc (the RFC number)', 1) : undefined;
    let section: string | undefined;
    const sn = this.resolve(es.get('section')?.value);
    if (es.has('section')) {
      // `section: 4.10` is a number to YAML; the text as written is the section.
      section = isScalar(sn) && typeof sn.value === 'number' ? this.source(sn) : this.str(sn, 'rfc section');
    }
    let quote: string | undefined;
    if (es.has('quote')) {
      const qn = es.get('quote')!.value;
      quote = this.str(qn, 'rfc quote', false);
      if (quote !== undefined && quote.trim() === '') this.warn(qn, 'empty RFC quote: quote the requirement the scenario tests');
    }
    const level = es.has('level') ? this.oneOf(es.get('level')!.value, 'rfc level', LEVELS) : undefined;
    let sentences: string[] | undefined;
    if (es.has('sentences')) {
      const sn2 = es.get('sentences')!.value;
      sentences = this.strList(sn2, 'rfc sentences');
      const items = this.seq(sn2, 'rfc sentences') ?? [];
      if (sentences && sentences.length === 0) this.error(sn2, 'rfc sentences must list at least one sentence id (tls-harness coverage --list shows them)');
      sentences?.forEach((id, i) => {
        if (!SENTENCE_ID.test(id)) this.error(items[i] ?? sn2, `rfc sentences: '${id}' is not a sentence id (rfc<doc>-<section>-<n>, e.g. rfc8446-4.1.2-3)`);
      });
    }
    if (doc === undefined || section === undefined || quote === undefined) return undefined;
    if (es.has('level') && level === undefined) return undefined;
    if (es.has('sentences') && sentences === undefined) return undefined;
    const out: Scenario['rfc'] = { doc, section, quote };
    if (level) out.level = level;
    if (sentences) out.sentences = sentences;
    const at = (k: string) => (es.has(k) ? this.loc(es.get(k)!.value) : undefined);
    const items = es.has('sentences') ? (this.seq(es.get('sentences')!.value, 'rfc sentences') ?? []).map((i) => this.loc(i)) : [];
    rfcLocations.set(out, { rfc: this.loc(n), quote: at('quote'), level: at('level'), sentences: at('sentences'), items });
    return out;
  }

  versions(n: N, what: string, nonEmpty: boolean): VersionName[] | undefined {
    const items = this.seq(n, what);
    if (!items) return undefined;
    if (nonEmpty && items.length === 0) return this.error(n, `${what} must list at least one of ${VERSIONS.join(', ')}`);
    const out = items.map((i) => this.oneOf<VersionName>(i, `${what} entry`, VERSIONS));
    items.forEach((item, i) => {
      if (out[i] !== undefined && out.indexOf(out[i]) !== i) this.warn(item, `'${out[i]}' is listed twice in ${what}`);
    });
    return out.every((x) => x !== undefined) ? (out as VersionName[]) : undefined;
  }

  tags(n: N): string[] | undefined {
    const items = this.seq(n, 'tags');
    if (!items) return undefined;
    const out = items.map((i) => this.str(i, 'a tag'));
    return out.every((x) => x !== undefined) ? (out as string[]) : undefined;
  }

  parseMatrix(n: N): Record<string, (string | number)[]> | undefined {
    const es = this.entries(n, 'matrix');
    if (!es) return undefined;
    const out: Record<string, (string | number)[]> = {};
    let ok = true;
    for (const e of es.values()) {
      if (!PARAM_NAME.test(e.key)) {
        ok = false;
        this.error(e.keyNode, `matrix key '${e.key}' must be a name ([A-Za-z_][A-Za-z0-9_]*)`);
        continue;
      }
      // Registered even when its values are bad, so its uses are not reported as undefined as well.
      const values: (string | number)[] = [];
      const nodes: YNode[] = [];
      this.matrix.set(e.key, { keyNode: e.keyNode, values, nodes });
      const items = this.seq(e.value, `matrix '${e.key}'`);
      if (!items) {
        ok = false;
        continue;
      }
      if (items.length === 0) {
        ok = false;
        this.error(e.value, `matrix '${e.key}' must list at least one value`);
        continue;
      }
      items.forEach((item) => {
        const v = isScalar(item) ? item.value : undefined;
        if (typeof v !== 'string' && typeof v !== 'number') {
          ok = false;
          this.error(item, `matrix '${e.key}' values must be strings or numbers, got ${this.describe(item)}`);
          return;
        }
        if (values.includes(v)) {
          ok = false;
          this.error(item, `duplicate matrix value '${v}' in '${e.key}' (two cases would have the same id)`);
          return;
        }
        if (typeof v === 'string' && templateRefs(v).length > 0) {
          ok = false;
          this.error(item, `matrix values cannot use '\${...}'`);
          return;
        }
        values.push(v);
        nodes.push(item);
      });
      out[e.key] = values;
    }
    return ok ? out : undefined;
  }

  /**
   * `indistinguishable: true` (every matrix key), `false` (none), or a list of matrix keys: the parameters
   * whose values must not change what the target observably does. Read after the matrix. Undefined on error.
   */
  indistinguishable(n: N): { keys: string[] | undefined } | undefined {
    n = this.resolve(n);
    const keys = [...this.matrix.keys()];
    const noMatrix = 'this scenario has no matrix: the variants to compare are the cases of its matrix';
    if (isScalar(n) && typeof n.value === 'boolean') {
      if (!n.value) return { keys: undefined };
      return keys.length === 0 ? this.error(n, `indistinguishable: true, but ${noMatrix}`) : { keys };
    }
    if (!isSeq(n)) return this.error(n, `indistinguishable must be true or a list of matrix keys, got ${this.describe(n)}`);
    const items = n.items.map((i) => this.resolve(i as N));
    if (items.length === 0) return this.error(n, 'indistinguishable must list at least one matrix key (or be true: all of them)');
    const out: string[] = [];
    for (const item of items) {
      const k = this.str(item, 'an indistinguishable entry');
      if (k === undefined) return undefined;
      if (!this.matrix.has(k)) return this.error(item, `unknown matrix key '${k}' in indistinguishable (${keys.length === 0 ? noMatrix : `matrix keys: ${keys.join(', ')}`})${hint(k, keys)}`);
      if (out.includes(k)) return this.error(item, `matrix key '${k}' is listed twice in indistinguishable`);
      out.push(k);
    }
    if (out.every((k) => this.matrix.get(k)!.values.length < 2)) this.warn(n, `indistinguishable: ${out.join(', ')} ${out.length === 1 ? 'has' : 'have'} one value: each group holds one case, nothing is compared`);
    return { keys: out };
  }

  requires(n: N): Requirements | undefined {
    const es = this.entries(n, 'requires');
    if (!es) return undefined;
    this.checkKeys(es, REQUIRES_KEYS, 'requires key');
    const out: Requirements = {};
    let ok = true;
    const set = <K extends keyof Requirements>(k: K, v: Requirements[K] | undefined) => {
      if (v === undefined) ok = false;
      else out[k] = v;
    };
    for (const e of es.values()) {
      const what = `requires ${e.key}`;
      switch (e.key) {
        case 'versions':
          set('versions', this.versions(e.value, what, false));
          break;
        case 'cipher_suites':
          set('cipher_suites', this.nameList(e.value, NAMES.cipher_suite, what));
          break;
        case 'groups':
          set('groups', this.nameList(e.value, NAMES.group, what));
          break;
        case 'signature_schemes':
          set('signature_schemes', this.nameList(e.value, NAMES.signature_scheme, what));
          break;
        case 'features':
          set('features', this.strList(e.value, what));
          break;
      }
    }
    return ok ? out : undefined;
  }

  strList(n: N, what: string): string[] | undefined {
    const items = this.seq(n, what);
    if (!items) return undefined;
    const out = items.map((i) => this.tstr(i, `${what} entry`));
    return out.every((x) => x !== undefined) ? (out as string[]) : undefined;
  }

  config(n: N, label = 'config'): PeerConfig | undefined {
    const es = this.entries(n, label);
    if (!es) return undefined;
    this.checkKeys(es, CONFIG_KEYS, `${label} key`);
    const out: PeerConfig = {};
    let ok = true;
    const set = <K extends keyof PeerConfig>(k: K, v: PeerConfig[K] | undefined) => {
      if (v === undefined) ok = false;
      else out[k] = v;
    };
    for (const e of es.values()) {
      const what = `${label} ${e.key}`;
      switch (e.key) {
        case 'cipher_suites':
          set('cipher_suites', this.nameList(e.value, NAMES.cipher_suite, what));
          break;
        case 'groups':
        case 'key_share_groups':
          set(e.key, this.nameList(e.value, NAMES.group, what));
          break;
        case 'signature_schemes':
          set('signature_schemes', this.nameList(e.value, NAMES.signature_scheme, what));
          break;
        case 'alpn':
          set('alpn', this.strList(e.value, what));
          break;
        case 'server_name':
        case 'early_data':
          set(e.key, this.tstr(e.value, what, false));
          break;
        case 'max_fragment_length': {
          // RFC 6066 4: "The allowed values for this field are: 2^9, 2^10, 2^11, and 2^12." Other values go on the
          // wire with mutate: insert_extension.
          const allowed = (v: string | number) =>
            MAX_FRAGMENT_LENGTHS.includes(Number(v)) ? undefined : `${what} must be one of ${MAX_FRAGMENT_LENGTHS.join(', ')} (bytes), got ${v}`;
          const node = this.resolve(e.value);
          if (isScalar(node) && typeof node.value === 'string') {
            if (this.templated(e.value, node.value, allowed)) set('max_fragment_length', node.value);
          } else {
            const v = this.int(e.value, what);
            if (v !== undefined && allowed(v) === undefined) set('max_fragment_length', v);
            else if (v !== undefined) this.error(e.value, allowed(v)!);
          }
          break;
        }
        case 'middlebox_compat':
        case 'request_client_certificate':
        case 'hello_retry':
        case 'accept_psk':
        case 'accept_early_data':
          set(e.key, this.bool(e.value, what));
          break;
        case 'certificate':
          set('certificate', this.templatedChoice(e.value, what, CERTIFICATES, 'certificate'));
          break;
        case 'certificate_verify':
          set('certificate_verify', this.templatedChoice(e.value, what, CERTIFICATE_VERIFY_FAULTS, 'certificate_verify fault'));
          break;
        case 'ffdhe_leading_zero':
          set('ffdhe_leading_zero', this.templatedChoice(e.value, what, FFDHE_LEADING_ZERO, 'ffdhe_leading_zero value'));
          break;
        case 'psk_unknown_identities':
          set('psk_unknown_identities', this.int(e.value, what, 0, 8));
          break;
        case 'max_early_data':
          set('max_early_data', this.int(e.value, what, 0, 4294967295));
          break;
        case 'psk_modes': {
          const items = this.seq(e.value, what);
          const modes = items?.map((i) => this.templatedChoice(i, `${what} entry`, PSK_MODES, 'psk_key_exchange_mode'));
          set('psk_modes', modes && modes.every((m) => m !== undefined) ? (modes as string[]) : undefined);
          break;
        }
      }
    }
    return ok ? out : undefined;
  }

  /**
   * `control: false` (no positive control), `control: true` (the default), or `control: { config: {...} }`
   * (the control's own harness config). Undefined on error.
   */
  control(n: N): { spec: ControlSpec | undefined } | undefined {
    n = this.resolve(n);
    if (isScalar(n) && typeof n.value === 'boolean') return { spec: n.value ? undefined : false };
    if (!isMap(n)) return this.error(n, `control must be false, true or { config: {...} }, got ${this.describe(n)}`);
    const es = this.entries(n, 'control');
    if (!es) return undefined;
    if (!this.checkKeys(es, CONTROL_KEYS, 'control key')) return undefined;
    if (!es.has('config')) return this.error(n, `control needs 'config' (the harness config of the control handshake), or write 'control: false'`);
    const config = this.config(es.get('config')!.value, 'control config');
    return config === undefined ? undefined : { spec: { config } };
  }

  /** `target_options:` what the target is asked to do (format.ts TARGET_OPTION_KEYS). */
  targetOptions(n: N, target: Role | undefined): { options: TargetOptions | undefined } | undefined {
    const es = this.entries(n, 'target_options');
    if (!es) return undefined;
    if (!this.checkKeys(es, TARGET_OPTION_KEYS, 'target_options key')) return undefined;
    const out: TargetOptions = {};
    const rcc = es.get('request_client_certificate');
    if (rcc) {
      const v = this.bool(rcc.value, 'target_options.request_client_certificate');
      if (v === undefined) return undefined;
      // Only a server requests a client certificate (RFC 8446 4.3.2: "A server which is authenticating with a
      // certificate MAY optionally request a certificate from the client").
      if (v && target === 'client') return this.error(rcc.keyNode, `target_options.request_client_certificate is for server-role scenarios (target: server): a target client cannot request a certificate; for the harness as server requesting one, use config.request_client_certificate`);
      if (v) out.request_client_certificate = true;
    }
    return { options: Object.keys(out).length > 0 ? out : undefined };
  }

  // --- steps

  steps(n: N): Step[] | undefined {
    const items = this.seq(n, 'steps');
    if (!items) return undefined;
    if (items.length === 0) return this.error(n, 'steps must list at least one step');
    const out = items.map((i) => this.step(i));
    if (!out.every((x) => x !== undefined)) return undefined;
    const steps = out as Step[];
    this.lintAfterDeath(steps, items);
    return steps;
  }

  step(n: N): Step | undefined {
    n = this.resolve(n);
    const loc = this.loc(n);
    if (isScalar(n) && typeof n.value === 'string') {
      const word = n.value;
      if ((BARE_STEPS as readonly string[]).includes(word)) return this.bareStep(word as StepKey, loc);
      if ((STEP_KINDS as readonly string[]).includes(word)) return this.error(n, `step '${word}' needs a value ('${word}: ...')`);
      return this.error(n, `unknown step '${word}'${hint(word, STEP_KINDS)}`);
    }
    const es = this.entries(n, 'a step');
    if (!es) return undefined;
    const kinds = [...es.keys()].filter((k) => (STEP_KINDS as readonly string[]).includes(k)) as StepKey[];
    const allModifiers = [...new Set(Object.values(STEP_MODIFIERS).flat())];
    if (kinds.length === 0) {
      const unknown = [...es.values()].filter((e) => !allModifiers.includes(e.key));
      for (const e of unknown) this.error(e.keyNode, `unknown step key '${e.key}'${hint(e.key, [...STEP_KINDS, ...allModifiers])}`);
      if (unknown.length === 0) {
        const first = [...es.keys()][0];
        this.error(n, `a step needs an action (${STEP_KINDS.join(', ')})${first === undefined ? '' : `; '${first}' goes with 'send'`}`);
      }
      return undefined;
    }
    if (kinds.length > 1) {
      return this.error(es.get(kinds[1])!.keyNode, `one action per step: '${kinds[0]}' and '${kinds[1]}' are in the same step (split it into two steps)`);
    }
    const kind = kinds[0];
    const allowed = [kind, ...STEP_MODIFIERS[kind]];
    let ok = true;
    for (const e of es.values()) {
      if (allowed.includes(e.key)) continue;
      ok = false;
      if (allModifiers.includes(e.key)) {
        const takers = STEP_KINDS.filter((k) => STEP_MODIFIERS[k].includes(e.key));
        this.error(e.keyNode, `'${e.key}' does not apply to ${article(kind)} ${kind} step (only to ${takers.join(', ')})`);
      }
      else this.error(e.keyNode, `unknown step key '${e.key}'${hint(e.key, [...allowed, ...STEP_KINDS])}`);
    }
    const v = es.get(kind)!.value;
    const step = this.stepOf(kind, v, es, loc);
    return ok ? step : undefined;
  }

  bareStep(kind: StepKey, loc: SourceLocation): Step {
    switch (kind) {
      case 'change_cipher_spec':
        return { kind: 'send_change_cipher_spec', loc };
      case 'close_notify':
        return { kind: 'close_notify', loc };
      case 'key_update':
        return { kind: 'key_update', request_update: false, loc };
      default:
        return { kind: 'reconnect', resume: false, loc };
    }
  }

  /** The mapping value of a step (null and `{}` allowed for bare steps), its keys checked. */
  stepValue(kind: StepKey, v: N): Entries | undefined {
    if ((BARE_STEPS as readonly string[]).includes(kind) && this.isNull(v)) return new Map();
    const es = this.entries(v, `the value of '${kind}'`);
    if (!es) return undefined;
    return this.checkKeys(es, STEP_VALUE_KEYS[kind] ?? [], 'key', kind) ? es : undefined;
  }

  stepOf(kind: StepKey, v: N, es: Entries, loc: SourceLocation): Step | undefined {
    switch (kind) {
      case 'send':
        return this.send(v, es, loc);
      case 'send_raw': {
        const rv = this.resolve(v);
        if (!isScalar(rv) && !isMap(rv)) return this.error(rv, `send_raw must be hex or { hex, layer, content_type }, got ${this.describe(rv)}`);
        if (isScalar(rv) && rv.value === null) return this.error(rv, `send_raw needs the bytes: send_raw: "16030300..." or { hex, layer }`);
        if (isScalar(rv)) {
          const hex = this.hex(rv, 'send_raw');
          return hex === undefined ? undefined : { kind: 'send_raw', layer: 'record', hex, loc };
        }
        const m = this.stepValue(kind, v);
        if (!m) return undefined;
        if (!this.require(m, ['hex'], v, 'send_raw')) return undefined;
        const hex = this.hex(m.get('hex')!.value, 'send_raw hex');
        const layer = m.has('layer') ? this.oneOf(m.get('layer')!.value, 'send_raw layer', RAW_LAYERS) : 'record';
        const ct = m.has('content_type') ? this.code(m.get('content_type')!.value, NAMES.content_type, 'send_raw content_type') : undefined;
        if (hex === undefined || layer === undefined || (m.has('content_type') && ct === undefined)) return undefined;
        const transcript = m.has('transcript') ? this.bool(m.get('transcript')!.value, 'send_raw transcript') : true;
        if (transcript === undefined) return undefined;
        const step: Step = { kind: 'send_raw', layer, hex, loc };
        if (ct !== undefined) step.content_type = ct;
        if (!transcript) step.transcript = false;
        return step;
      }
      case 'application_data': {
        const data = this.bytes(v, 'application_data');
        const record = es.has('record') ? this.record(es.get('record')!.value, APPLICATION_DATA_RECORD_KEYS, 'application_data') : undefined;
        if (data === undefined || (es.has('record') && record === undefined)) return undefined;
        return record ? { kind: 'send_application_data', data, record, loc } : { kind: 'send_application_data', data, loc };
      }
      case 'alert': {
        const rv = this.resolve(v);
        if (isScalar(rv)) {
          const description = this.code(rv, NAMES.alert, 'alert description');
          return description === undefined ? undefined : { kind: 'send_alert', level: 2, description, loc };
        }
        const m = this.stepValue(kind, v);
        if (!m) return undefined;
        if (!this.require(m, ['description'], v, 'alert')) return undefined;
        const level = m.has('level') ? this.code(m.get('level')!.value, NAMES.alert_level, 'alert level') : 2;
        const description = this.code(m.get('description')!.value, NAMES.alert, 'alert description');
        return level === undefined || description === undefined ? undefined : { kind: 'send_alert', level, description, loc };
      }
      case 'change_cipher_spec':
        return this.stepValue(kind, v) && { kind: 'send_change_cipher_spec', loc };
      case 'close_notify':
        return this.stepValue(kind, v) && { kind: 'close_notify', loc };
      case 'key_update': {
        const m = this.stepValue(kind, v);
        if (!m) return undefined;
        const r = m.has('request_update') ? this.bool(m.get('request_update')!.value, 'key_update request_update') : false;
        return r === undefined ? undefined : { kind: 'key_update', request_update: r, loc };
      }
      case 'wait': {
        const ms = this.int(v, 'wait (ms)', 0);
        return ms === undefined ? undefined : { kind: 'wait', ms, loc };
      }
      case 'reconnect': {
        const m = this.stepValue(kind, v);
        if (!m) return undefined;
        const r = m.has('resume') ? this.bool(m.get('resume')!.value, 'reconnect resume') : false;
        return r === undefined ? undefined : { kind: 'reconnect', resume: r, loc };
      }
      case 'expect': {
        const expect = this.expect(v);
        return expect && { kind: 'expect', expect, loc };
      }
    }
  }

  send(v: N, es: Entries, loc: SourceLocation): Step | undefined {
    const message = this.messageName(v, 'send');
    const set = es.has('set') ? this.fieldMap(es.get('set')!.value, 'set') : {};
    let mutate: MutateOp[] | undefined = [];
    if (es.has('mutate')) {
      const items = this.seq(es.get('mutate')!.value, 'mutate');
      const ops = items?.map((i) => this.mutateOp(i));
      mutate = ops && ops.every((x) => x !== undefined) ? (ops as MutateOp[]) : undefined;
    }
    const record = es.has('record') ? this.record(es.get('record')!.value) : {};
    const pm = es.get('premaster');
    let premaster: PremasterSpec | undefined;
    if (pm) {
      premaster = this.premaster(pm.value);
      // Only the RSA ClientKeyExchange carries an EncryptedPreMasterSecret (RFC 5246 7.4.7.1).
      const only = (m: string | number) => (m === PREMASTER_MESSAGE ? undefined : `premaster applies only to a ${PREMASTER_MESSAGE}, not ${m}`);
      if (message !== undefined && !this.templated(pm.keyNode, message, only)) premaster = undefined;
    }
    // `transcript: false`: a message sent out of place, which the target must refuse; the harness forgets it.
    const transcript = es.has('transcript') ? this.bool(es.get('transcript')!.value, 'transcript') : true;
    if (message === undefined || set === undefined || mutate === undefined || record === undefined || (pm && premaster === undefined) || transcript === undefined) return undefined;
    const step: Step = premaster ? { kind: 'send', message, set, mutate, record, premaster, loc } : { kind: 'send', message, set, mutate, record, loc };
    if (!transcript && step.kind === 'send') step.transcript = false;
    return step;
  }

  /** `premaster: {...}`: the RSA EncryptedPreMasterSecret of a ClientKeyExchange (RFC 5246 7.4.7.1). */
  premaster(n: N): PremasterSpec | undefined {
    const es = this.entries(n, 'premaster');
    if (!es || !this.checkKeys(es, PREMASTER_KEYS, 'key', 'premaster')) return undefined;
    let ok = true;
    for (const [a, b] of PREMASTER_CONFLICTS) {
      if (es.has(a) && es.has(b)) {
        ok = false;
        const [, later] = [es.get(a)!, es.get(b)!].sort((x, y) => (x.keyNode.range?.[0] ?? 0) - (y.keyNode.range?.[0] ?? 0));
        this.error(later.keyNode, `premaster: '${a}' and '${b}' do not go together`);
      }
    }
    const out: PremasterSpec = {};
    for (const e of es.values()) {
      const what = `premaster ${e.key}`;
      let v: PremasterSpec[keyof PremasterSpec] | undefined;
      switch (e.key as (typeof PREMASTER_KEYS)[number]) {
        case 'version':
          v = this.code(e.value, NAMES.version, what);
          break;
        case 'message_length':
        case 'ciphertext_length':
          // Public-key-encrypted data is an opaque <0..2^16-1> (RFC 5246 7.4.7.1, 4.7).
          v = this.int(e.value, what, 0, 0xffff);
          break;
        case 'zero_in_padding':
          v = this.int(e.value, what, 0, 0xffff);
          break;
        case 'separator_at':
          v = this.int(e.value, what, 2, 0xffff);
          break;
        case 'no_separator':
        case 'all_zero':
          v = this.bool(e.value, what);
          break;
        case 'first_bytes':
          v = this.hex(e.value, what, 2);
          break;
        case 'plaintext':
        case 'ciphertext':
          v = this.hex(e.value, what);
          break;
      }
      if (v === undefined) ok = false;
      else (out as Record<string, unknown>)[e.key] = v;
    }
    return ok ? out : undefined;
  }

  /** `record: { cbc: {...} }`: how the TLS 1.2 CBC records of the step are built (RFC 5246 6.2.3.2). */
  cbc(n: N): CbcRecordOptions | undefined {
    const es = this.entries(n, 'record cbc');
    if (!es || !this.checkKeys(es, CBC_KEYS, 'key', 'record cbc')) return undefined;
    const out: CbcRecordOptions = {};
    let ok = true;
    const get = (k: string) => es.get(k)?.value;
    // RFC 5246 6.2.3.2: "Legal values range from zero to 255, inclusive." (padding_length)
    if (es.has('padding_length')) ok = (out.padding_length = this.int(get('padding_length'), 'record cbc padding_length', 0, 255)) !== undefined && ok;
    if (es.has('padding_length_byte')) ok = (out.padding_length_byte = this.int(get('padding_length_byte'), 'record cbc padding_length_byte', 0, 255)) !== undefined && ok;
    if (es.has('padding')) {
      const want = out.padding_length;
      const check = (v: string | number) => {
        const h = parseHex(String(v));
        if ('error' in h) return h.error;
        const len = h.hex.length / 2;
        if (len > 255) return `record cbc padding is ${len} bytes: padding_length is at most 255`;
        return want === undefined || want === len ? undefined : `record cbc padding is ${len} bytes but padding_length is ${want}`;
      };
      ok = (out.padding = this.hex(get('padding'), 'record cbc padding', undefined, check)) !== undefined && ok;
    }
    // RFC 5246 6.2.3.2: the IV is record_iv_length = block_size bytes (16: every CBC suite here is AES).
    if (es.has('iv')) ok = (out.iv = this.hex(get('iv'), 'record cbc iv', 16)) !== undefined && ok;
    if (es.has('mac_xor')) {
      const x = this.xorSpec(get('mac_xor')!, 'record cbc mac_xor');
      ok = (out.mac_xor = x) !== undefined && ok;
    }
    for (const k of Object.keys(out) as (keyof CbcRecordOptions)[]) if (out[k] === undefined) delete out[k];
    return ok ? out : undefined;
  }

  /** `{ at, value }`: xor a byte at an offset (negative: from the end). */
  xorSpec(n: N, what: string): { at: number; value: number } | undefined {
    const x = this.entries(n, what);
    if (!x || !this.checkKeys(x, ['at', 'value'], 'key', what) || !this.require(x, ['at', 'value'], n, what)) return undefined;
    const at = this.int(x.get('at')!.value, `${what} at`, Number.MIN_SAFE_INTEGER);
    const value = this.int(x.get('value')!.value, `${what} value`, 1, 255);
    return at !== undefined && value !== undefined ? { at, value } : undefined;
  }

  messageName(n: N, what: string): string | undefined {
    const s = this.str(n, what);
    if (s === undefined) return undefined;
    return this.templated(n, s, (v) => checkMessage(String(v))) ? s : undefined;
  }

  record(n: N, allowed: readonly string[] = RECORD_KEYS, step?: string): RecordOptions | undefined {
    const es = this.entries(n, 'record');
    if (!es) return undefined;
    // A record option of `send` that another step does not take, then unknown keys (with the closest allowed one).
    const misplaced = [...es.values()].filter((e) => !allowed.includes(e.key) && (RECORD_KEYS as readonly string[]).includes(e.key));
    for (const e of misplaced) this.error(e.keyNode, `record option '${e.key}' does not apply to ${article(step ?? '')} ${step} step (only ${allowed.join(', ')})`);
    let ok = this.checkKeys(new Map([...es].filter(([, e]) => !misplaced.includes(e))), allowed, 'record option') && misplaced.length === 0;
    if (es.has('cbc') && es.has('plaintext')) {
      ok = false;
      this.error(es.get('cbc')!.keyNode, `record cbc needs protected records: it does not go with 'plaintext'`);
    }
    const out: RecordOptions = {};
    const set = <K extends keyof RecordOptions>(k: K, v: RecordOptions[K] | undefined) => {
      if (v === undefined) ok = false;
      else out[k] = v;
    };
    const offsets = (e: Entry) => {
      const items = this.seq(e.value, `record ${e.key}`);
      const xs = items?.map((i) => this.int(i, `record ${e.key} offset`, 1));
      if (!xs || !xs.every((x) => x !== undefined)) return undefined;
      for (let i = 1; i < xs.length; i++) {
        if (xs[i]! <= xs[i - 1]!) return this.error(items![i], `record ${e.key} offsets must increase (${xs[i - 1]} then ${xs[i]})`);
      }
      return xs as number[];
    };
    for (const e of es.values()) {
      const what = `record ${e.key}`;
      switch (e.key) {
        case 'max_fragment':
          set('max_fragment', this.int(e.value, what, 1));
          break;
        case 'fragment_at':
        case 'tcp_split':
          set(e.key, offsets(e));
          break;
        case 'coalesce':
        case 'plaintext':
        case 'protected':
          set(e.key, this.bool(e.value, what));
          break;
        case 'wire_xor':
          set('wire_xor', this.xorSpec(e.value, what));
          break;
        case 'cbc':
          set('cbc', this.cbc(e.value));
          break;
        case 'version':
          set('version', this.code(e.value, NAMES.version, what));
          break;
        case 'content_type': {
          const v = this.nameOrCode(e.value, NAMES.content_type, what);
          set('content_type', typeof v === 'string' && templateRefs(v).length === 0 ? codeFor(NAMES.content_type, v) : v);
          break;
        }
        case 'length':
          set('length', this.int(e.value, what, 0, 0xffff));
          break;
        case 'padding':
          // RFC 8446 5.4: the padding with the content and its type byte stays within 2^14 + 1 bytes.
          set('padding', this.int(e.value, what, 0, 16384));
          break;
      }
    }
    return ok ? out : undefined;
  }

  mutateOp(n: N): MutateOp | undefined {
    const es = this.entries(n, 'a mutate op');
    if (!es) return undefined;
    if (es.size !== 1) {
      const keys = [...es.keys()];
      const ops = keys.filter((k) => (MUTATE_OPS as readonly string[]).includes(k));
      if (ops.length === 0) return this.error(es.get(keys[0])!.keyNode, `unknown mutate op '${keys[0]}'${hint(keys[0], MUTATE_OPS)}`);
      const other = keys.find((k) => k !== ops[0])!;
      return this.error(
        es.get(other)!.keyNode,
        `one op per mutate entry: '${other}' next to '${ops[0]}'${(MUTATE_OPS as readonly string[]).includes(other) ? '' : ` (indent it under '${ops[0]}'?)`}`,
      );
    }
    const [e] = es.values();
    if (!(MUTATE_OPS as readonly string[]).includes(e.key)) return this.error(e.keyNode, `unknown mutate op '${e.key}'${hint(e.key, MUTATE_OPS)}`);
    const op = e.key as MutateKey;
    const v = this.resolve(e.value);
    const m = () => {
      const x = this.entries(v, op);
      if (!x) return undefined;
      return this.checkKeys(x, MUTATE_KEYS[op] ?? [], 'key', op) ? x : undefined;
    };
    switch (op) {
      case 'xor': {
        const x = m();
        if (!x || !this.require(x, ['value'], v, 'xor')) return undefined;
        const pos = this.position(x, v, 'xor');
        const value = this.int(x.get('value')!.value, 'xor value', 0, 255);
        return pos && value !== undefined ? { op, pos, value } : undefined;
      }
      case 'set_bytes': {
        const x = m();
        if (!x || !this.require(x, ['hex'], v, 'set_bytes')) return undefined;
        const pos = this.position(x, v, 'set_bytes');
        const hex = this.hex(x.get('hex')!.value, 'set_bytes hex');
        return pos && hex !== undefined ? { op, pos, hex } : undefined;
      }
      case 'truncate': {
        if (isScalar(v)) {
          const at = this.int(v, 'truncate (a byte count)', 0);
          return at === undefined ? undefined : { op, pos: { at } };
        }
        const x = m();
        const pos = x && this.position(x, v, 'truncate');
        return pos ? { op, pos } : undefined;
      }
      case 'extend': {
        if (isMap(v)) {
          const x = m();
          if (!x || !this.require(x, ['hex'], v, 'extend')) return undefined;
          const hex = this.hex(x.get('hex')!.value, 'extend hex');
          return hex === undefined ? undefined : { op, hex };
        }
        const hex = this.hex(v, 'extend');
        return hex === undefined ? undefined : { op, hex };
      }
      case 'append': {
        if (isMap(v)) {
          const x = m();
          if (!x || !this.require(x, ['hex'], v, 'append')) return undefined;
          const hex = this.hex(x.get('hex')!.value, 'append hex');
          const field = x.has('field') ? this.tstr(x.get('field')!.value, 'append field') : undefined;
          if (hex === undefined || (x.has('field') && field === undefined)) return undefined;
          return field === undefined ? { op, hex } : { op, field, hex };
        }
        const hex = this.hex(v, 'append');
        return hex === undefined ? undefined : { op, hex };
      }
      case 'length': {
        const x = m();
        if (!x || !this.require(x, ['field', 'value'], v, 'length')) return undefined;
        const field = this.tstr(x.get('field')!.value, 'length field');
        const value = this.int(x.get('value')!.value, 'length value', 0, 0xffffff);
        return field !== undefined && value !== undefined ? { op, field, value } : undefined;
      }
      case 'insert_extension': {
        const x = m();
        if (!x || !this.require(x, ['type'], v, 'insert_extension')) return undefined;
        const type = this.nameOrCode(x.get('type')!.value, NAMES.extension, 'insert_extension type');
        if (x.has('hex') && x.has('value')) return this.error(x.get('value')!.keyNode, `insert_extension takes 'hex' or 'value', not both`);
        const hex = x.has('hex') ? this.hex(x.get('hex')!.value, 'insert_extension hex') : undefined;
        const value = x.has('value') ? this.fieldValue(x.get('value')!.value, 'insert_extension value') : undefined;
        const index = x.has('index') ? this.int(x.get('index')!.value, 'insert_extension index', 0) : undefined;
        if (type === undefined || (x.has('hex') && hex === undefined) || (x.has('value') && value === undefined) || (x.has('index') && index === undefined)) {
          return undefined;
        }
        const out: MutateOp = { op, type };
        if (hex !== undefined) out.hex = hex;
        if (value !== undefined) out.value = value;
        if (index !== undefined) out.index = index;
        return out;
      }
      case 'remove_extension':
      case 'duplicate_extension': {
        const type = this.nameOrCode(v, NAMES.extension, `${op} (an extension)`);
        return type === undefined ? undefined : { op, type };
      }
      case 'reorder_extensions': {
        const items = this.seq(v, 'reorder_extensions');
        if (!items) return undefined;
        if (items.length === 0) return this.error(v, 'reorder_extensions must list extensions');
        const order = items.map((i) => this.nameOrCode(i, NAMES.extension, 'reorder_extensions entry'));
        return order.every((x) => x !== undefined) ? { op, order: order as (string | number)[] } : undefined;
      }
    }
  }

  position(x: Entries, at: N, what: string): Position | undefined {
    const field = x.has('field') ? this.tstr(x.get('field')!.value, `${what} field`) : undefined;
    const off = x.has('at') ? this.int(x.get('at')!.value, `${what} at`, 0) : undefined;
    if ((x.has('field') && field === undefined) || (x.has('at') && off === undefined)) return undefined;
    if (field !== undefined) return off === undefined ? { field } : { field, at: off };
    if (off !== undefined) return { at: off };
    return this.error(at, `${what} needs 'at' (a byte offset) or 'field' (a field path)`);
  }

  // --- expectations

  expect(n: N): Expectation | undefined {
    n = this.resolve(n);
    if (isScalar(n) && typeof n.value === 'string') {
      const word = n.value;
      if (word === 'close') return { kind: 'close' };
      if (word === 'handshake_complete') return { kind: 'handshake_complete' };
      if (word === 'application_data') return { kind: 'application_data' };
      if (/^[a-z_]+$/.test(word) && !(EXPECT_KINDS as readonly string[]).includes(word)) {
        return this.error(n, `unknown expectation '${word}'${hint(word, EXPECT_WORDS)} (a message name is CamelCase: ServerHello)`);
      }
      if (word === 'alert' || word === 'silence' || word === 'closure') return this.error(n, `'expect: ${word}' needs a value: expect: { ${word}: ... }`);
      const one = this.messageItem(n);
      return one && { kind: 'messages', messages: [one] };
    }
    if (isSeq(n)) {
      if (n.items.length === 0) return this.error(n, 'expect: an empty message list');
      const items = n.items.map((i) => this.messageItem(i as N));
      return items.every((x) => x !== undefined) ? { kind: 'messages', messages: items as MessageExpectation[] } : undefined;
    }
    if (!isMap(n)) {
      return this.error(n, `expect must be a message name, a list of messages, ${EXPECT_WORDS.join(', ')} or a mapping (${EXPECT_KINDS.join(', ')}), got ${this.describe(n)}`);
    }
    const es = this.entries(n, 'expect');
    if (!es) return undefined;
    const kinds = [...es.keys()].filter((k) => (EXPECT_KINDS as readonly string[]).includes(k)) as (typeof EXPECT_KINDS)[number][];
    let ok = this.checkKeys(es, EXPECT_KEYS, 'expect key', undefined, [...EXPECT_KEYS, ...EXPECT_WORDS]);
    if (!ok) return undefined;
    if (kinds.length === 0) return this.error(n, `expect needs one of ${EXPECT_KINDS.join(', ')}`);
    if (kinds.length > 1) return this.error(es.get(kinds[1])!.keyNode, `one expectation per step: '${kinds[0]}' and '${kinds[1]}' (split it into two steps)`);
    const kind = kinds[0];
    for (const e of es.values()) {
      if (e.key === kind || EXPECT_MODIFIERS[kind].includes(e.key)) continue;
      ok = false;
      this.error(e.keyNode, `'${e.key}' does not apply to ${kind === 'one_of' ? 'a message' : `an ${kind}`} expectation`);
    }
    if (!ok) return undefined;
    const kv = es.get(kind)!.value;
    switch (kind) {
      case 'message':
      case 'one_of': {
        const one = this.messageItem(n);
        return one && { kind: 'messages', messages: [one] };
      }
      case 'alert': {
        const rv = this.resolve(kv);
        const list = isSeq(rv) ? this.seq(rv, 'expect alert') : [rv as YNode];
        if (!list) return undefined;
        if (list.length === 0) return this.error(rv, 'expect alert: list at least one alert');
        const alerts = list.map((i) => this.nameStr(i, NAMES.alert, 'expect alert'));
        const lenient = es.has('lenient') ? this.bool(es.get('lenient')!.value, 'lenient') : true;
        if (!alerts.every((x) => x !== undefined) || lenient === undefined) return undefined;
        return { kind: 'alert', alerts: alerts as string[], lenient };
      }
      case 'silence': {
        const ms = this.int(kv, 'silence (ms)', 1);
        return ms === undefined ? undefined : { kind: 'silence', ms };
      }
      case 'closure': {
        const ms = this.int(kv, 'closure (ms)', 1);
        const plainClose = es.has('plain_close') ? this.bool(es.get('plain_close')!.value, 'plain_close') : false;
        return ms === undefined || plainClose === undefined ? undefined : { kind: 'closure', ms, plainClose };
      }
      case 'application_data': {
        if (this.isNull(kv)) return { kind: 'application_data' };
        const data = this.bytes(kv, 'expect application_data');
        return data && { kind: 'application_data', data };
      }
    }
  }

  /** One item of a message sequence: a name, or { message | one_of, where?, optional?, repeat? }. */
  messageItem(n: N): MessageExpectation | undefined {
    n = this.resolve(n);
    if (isScalar(n)) {
      const s = this.str(n, 'an expected message');
      if (s === undefined) return undefined;
      if ((EXPECT_WORDS as readonly string[]).includes(s) || s === 'alert') {
        return this.error(n, `'${s}' cannot be part of a message sequence: give it its own expect step`);
      }
      const name = this.messageName(n, 'an expected message');
      return name === undefined ? undefined : { names: [name], optional: false, repeat: false, where: {} };
    }
    const es = this.entries(n, 'an expected message');
    if (!es) return undefined;
    for (const k of ['alert', 'silence', 'closure', 'application_data']) {
      if (es.has(k)) return this.error(es.get(k)!.keyNode, `'${k}' cannot be part of a message sequence: give it its own expect step`);
    }
    if (!this.checkKeys(es, EXPECT_ITEM_KEYS, 'expect key')) return undefined;
    if (es.has('message') && es.has('one_of')) return this.error(es.get('one_of')!.keyNode, `'message' or 'one_of', not both`);
    let names: string[] | undefined;
    if (es.has('message')) {
      const name = this.messageName(es.get('message')!.value, 'expect message');
      names = name === undefined ? undefined : [name];
    } else if (es.has('one_of')) {
      const items = this.seq(es.get('one_of')!.value, 'one_of');
      if (items && items.length === 0) return this.error(es.get('one_of')!.value, 'one_of must list messages');
      const xs = items?.map((i) => this.messageName(i, 'one_of entry'));
      names = xs && xs.every((x) => x !== undefined) ? (xs as string[]) : undefined;
    } else return this.error(n, `an expected message needs 'message' or 'one_of'`);
    const where = es.has('where') ? this.fieldMap(es.get('where')!.value, 'where') : {};
    const optional = es.has('optional') ? this.bool(es.get('optional')!.value, 'optional') : false;
    const repeat = es.has('repeat') ? this.bool(es.get('repeat')!.value, 'repeat') : false;
    if (names === undefined || where === undefined || optional === undefined || repeat === undefined) return undefined;
    return { names, optional, repeat, where };
  }

  // --- lint

  /** After `expect` of an alert or a close, the connection is dead: sending needs a `reconnect` first. */
  lintAfterDeath(steps: Step[], nodes: YNode[]): void {
    let dead: Step | undefined;
    steps.forEach((s, i) => {
      if (s.kind === 'reconnect') dead = undefined;
      else if (s.kind === 'expect' && (s.expect.kind === 'alert' || s.expect.kind === 'close')) dead ??= s;
      else if (dead && s.kind !== 'expect' && s.kind !== 'wait') {
        const what = dead.kind === 'expect' && dead.expect.kind === 'alert' ? 'an alert' : 'the close';
        this.error(nodes[i], `'${sendWord(s)}' after expecting ${what} (at ${dead.loc.line}:${dead.loc.col}): the connection is dead; add '- reconnect' first`);
      }
    });
  }

  lintVersionWords(es: Entries, id: string, title: string, versions: VersionName[]): void {
    const words: [VersionName, RegExp][] = [
      ['tls13', /tls[\s_-]*v?1[\s._-]?3(?![0-9])/i],
      ['tls12', /tls[\s_-]*v?1[\s._-]?2(?![0-9])/i],
    ];
    for (const [v, re] of words) {
      if (versions.includes(v)) continue;
      for (const [k, text] of [
        ['id', id],
        ['title', title],
      ] as const) {
        const m = re.exec(text);
        if (m) {
          this.warn(es.get(k)!.value, `the ${k} says '${m[0]}' but versions does not list ${v} (versions: ${versions.join(', ')})`);
        }
      }
    }
  }
}

const article = (word: string) => (/^[aeiou]/.test(word) ? 'an' : 'a');

function sendWord(s: Step): string {
  switch (s.kind) {
    case 'send':
      return `send: ${s.message}`;
    case 'send_application_data':
      return 'application_data';
    case 'send_alert':
      return 'alert';
    case 'send_change_cipher_spec':
      return 'change_cipher_spec';
    default:
      return s.kind;
  }
}

function product<K extends string, V>(axes: readonly (readonly [K, readonly V[]])[]): Record<K, V>[] {
  let out: Record<K, V>[] = [{} as Record<K, V>];
  for (const [k, vs] of axes) out = out.flatMap((o) => vs.map((v) => ({ ...o, [k]: v })));
  return out;
}

// ---------------------------------------------------------------------------------------------------------
// Cases

/**
 * One case per combination of the matrix (the first key varies slowest), `${param}` substituted in every
 * string of the steps, config and requires. Without a matrix, one case with the scenario's id.
 */
export function expandCases(scenario: Scenario): ScenarioCase[] {
  const keys = Object.keys(scenario.matrix);
  const combos = product(keys.map((k) => [k, scenario.matrix[k]] as const));
  return combos.map((params) => {
    const sub = new Subst(params);
    const named = (ks: readonly string[]) => (ks.length === 0 ? scenario.id : `${scenario.id}[${ks.map((k) => `${k}=${params[k]}`).join(',')}]`);
    const id = named(keys);
    const varied = scenario.indistinguishable;
    return {
      id,
      scenario,
      params,
      steps: scenario.steps.map((s) => sub.step(s)),
      config: sub.config(scenario.config),
      requires: sub.requires(scenario.requires),
      ...(scenario.control !== undefined ? { control: scenario.control === false ? false : { config: sub.config(scenario.control.config) } } : {}),
      ...(varied ? { group: named(keys.filter((k) => !varied.includes(k))) } : {}),
    };
  });
}

/** Every case of every scenario. */
export function expandAll(scenarios: readonly Scenario[]): ScenarioCase[] {
  return scenarios.flatMap(expandCases);
}

class Subst {
  constructor(readonly params: Readonly<Record<string, string | number>>) {}

  str(s: string): string {
    return substitute(s, this.params);
  }

  /** `${x}` alone keeps the parameter's type (a number stays a number). */
  val(s: string): string | number {
    const w = wholeRef(s);
    return w !== undefined && Object.prototype.hasOwnProperty.call(this.params, w) ? this.params[w] : this.str(s);
  }

  field(v: FieldValue): FieldValue {
    if (typeof v === 'string') return this.val(v);
    if (Array.isArray(v)) return v.map((x) => this.field(x));
    if (v !== null && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [this.str(k), this.field(x)]));
    return v;
  }

  fields(r: Record<string, FieldValue>): Record<string, FieldValue> {
    return Object.fromEntries(Object.entries(r).map(([k, v]) => [this.str(k), this.field(v)]));
  }

  hex(s: string): string {
    const h = parseHex(this.str(s));
    return 'hex' in h ? h.hex : this.str(s);
  }

  names(list: string[], kind: NameKind): string[] {
    return list.map((x) => nameFor(kind, this.val(x)));
  }

  code(v: string | number, kind: NameKind): string | number {
    if (typeof v === 'number') return v;
    const x = this.val(v);
    return typeof x === 'number' || Object.prototype.hasOwnProperty.call(kind.table, x) ? x : (codeFor(kind, x) ?? x);
  }

  cbc(c: CbcRecordOptions): CbcRecordOptions {
    const out = { ...c };
    if (c.padding !== undefined) out.padding = this.hex(c.padding);
    if (c.iv !== undefined) out.iv = this.hex(c.iv);
    return out;
  }

  mutate(m: MutateOp): MutateOp {
    const pos = (p: Position): Position => ('field' in p ? { ...p, field: this.str(p.field) } : { ...p });
    switch (m.op) {
      case 'xor':
      case 'truncate':
        return { ...m, pos: pos(m.pos) };
      case 'set_bytes':
        return { ...m, pos: pos(m.pos), hex: this.hex(m.hex) };
      case 'extend':
        return { ...m, hex: this.hex(m.hex) };
      case 'append':
        return m.field === undefined ? { ...m, hex: this.hex(m.hex) } : { ...m, field: this.str(m.field), hex: this.hex(m.hex) };
      case 'length':
        return { ...m, field: this.str(m.field) };
      case 'insert_extension': {
        const out: MutateOp = { ...m, type: this.code(m.type, NAMES.extension) };
        if (m.hex !== undefined) out.hex = this.hex(m.hex);
        if (m.value !== undefined) out.value = this.field(m.value);
        return out;
      }
      case 'remove_extension':
      case 'duplicate_extension':
        return { ...m, type: this.code(m.type, NAMES.extension) };
      case 'reorder_extensions':
        return { ...m, order: m.order.map((t) => this.code(t, NAMES.extension)) };
    }
  }

  step(s: Step): Step {
    switch (s.kind) {
      case 'send': {
        const record = { ...s.record };
        if (typeof record.content_type === 'string') {
          const c = this.code(record.content_type, NAMES.content_type);
          record.content_type = typeof c === 'string' ? (codeFor(NAMES.content_type, c) ?? c) : c;
        }
        if (record.cbc) record.cbc = this.cbc(record.cbc);
        const out: Step = { ...s, message: this.str(s.message), set: this.fields(s.set), mutate: s.mutate.map((m) => this.mutate(m)), record };
        if (s.premaster) {
          const p = { ...s.premaster };
          for (const k of ['first_bytes', 'plaintext', 'ciphertext'] as const) if (p[k] !== undefined) p[k] = this.hex(p[k]);
          out.premaster = p;
        }
        return out;
      }
      case 'send_application_data':
        return s.record?.cbc ? { ...s, record: { ...s.record, cbc: this.cbc(s.record.cbc) } } : { ...s };
      case 'send_raw':
        return { ...s, hex: this.hex(s.hex) };
      case 'expect':
        return { ...s, expect: this.expectation(s.expect) };
      default:
        return { ...s };
    }
  }

  expectation(e: Expectation): Expectation {
    switch (e.kind) {
      case 'messages':
        return {
          kind: 'messages',
          messages: e.messages.map((m) => ({ ...m, names: m.names.map((n) => this.str(n)), where: this.fields(m.where) })),
        };
      case 'alert':
        return { ...e, alerts: e.alerts.map((a) => nameFor(NAMES.alert, this.val(a))) };
      default:
        return { ...e };
    }
  }

  config(c: PeerConfig): PeerConfig {
    const out: PeerConfig = { ...c };
    if (c.cipher_suites) out.cipher_suites = this.names(c.cipher_suites, NAMES.cipher_suite);
    if (c.groups) out.groups = this.names(c.groups, NAMES.group);
    if (c.key_share_groups) out.key_share_groups = this.names(c.key_share_groups, NAMES.group);
    if (c.signature_schemes) out.signature_schemes = this.names(c.signature_schemes, NAMES.signature_scheme);
    if (c.alpn) out.alpn = c.alpn.map((x) => this.str(x));
    if (c.server_name !== undefined) out.server_name = this.str(c.server_name);
    if (c.certificate !== undefined) out.certificate = this.str(c.certificate);
    if (c.early_data !== undefined) out.early_data = this.str(c.early_data);
    if (typeof c.max_fragment_length === 'string') out.max_fragment_length = Number(this.val(c.max_fragment_length));
    if (c.psk_modes) out.psk_modes = c.psk_modes.map((x) => this.str(x));
    if (c.certificate_verify !== undefined) out.certificate_verify = this.str(c.certificate_verify);
    if (c.ffdhe_leading_zero !== undefined) out.ffdhe_leading_zero = this.str(c.ffdhe_leading_zero);
    return out;
  }

  requires(r: Requirements): Requirements {
    const out: Requirements = { ...r };
    if (r.versions) out.versions = [...r.versions];
    if (r.cipher_suites) out.cipher_suites = this.names(r.cipher_suites, NAMES.cipher_suite);
    if (r.groups) out.groups = this.names(r.groups, NAMES.group);
    if (r.signature_schemes) out.signature_schemes = this.names(r.signature_schemes, NAMES.signature_scheme);
    if (r.features) out.features = r.features.map((x) => this.str(x));
    return out;
  }
}

/**
 * A scenario set that did not load: thrown by loadScenariosOrThrow for commands that run scenarios. It is a
 * UsageError (exit code 2, one line): the first error, and how many more there are.
 */
export class ScenarioError extends UsageError {
  constructor(readonly diagnostics: Diagnostic[]) {
    const first = diagnostics.find((d) => d.severity === 'error');
    const n = countDiagnostics(diagnostics).errors;
    const more = n > 1 ? ` (and ${n - 1} more error${n > 2 ? 's' : ''}: run 'tls-harness validate')` : '';
    super(`${first ? first.message : 'scenario error'}${more}`, first ? (first.line > 0 ? `${first.file}:${first.line}:${first.col}` : first.file) : undefined);
  }
}

/** loadScenarios, throwing a ScenarioError when there is any error (warnings are returned). */
export function loadScenariosOrThrow(globsOrPaths: readonly string[], opts: LoadOptions = {}): LoadResult {
  const r = loadScenarios(globsOrPaths, opts);
  if (hasErrors(r.diagnostics)) throw new ScenarioError(r.diagnostics);
  return r;
}

/**
 * A field path's `extensions.<name>` segment that names no extension (a typo, or `0x0011` written for the
 * extension of that number is fine): the message, or undefined. A `where: { "extensions.key_shar": absent }`
 * would otherwise always hold.
 */
function unknownExtensionInPath(path: string): string | undefined {
  for (const m of path.matchAll(/(?:^|\.)extensions\.([^.[]+)/g)) {
    if (m[1].includes('${')) continue;
    const r = extensionOfSegment(m[1]);
    if ('problem' in r) return r.problem;
  }
  return undefined;
}
