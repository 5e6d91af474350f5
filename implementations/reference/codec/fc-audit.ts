/**
 * Finds property tests that bypass the shared fast-check settings (fc.ts), by reading the sources with the
 * TypeScript parser (not by grepping, so line breaks, aliases and spreads do not fool it):
 *
 * - every `fc.assert(...)` / `fc.check(...)` (whatever the fast-check import is called) takes `fcParams(n)`
 *   from fc.ts as its parameters, or `{ ...fcParams(n), ... }` without seed, numRuns, path, plugins or a reporter;
 * - nothing calls `fc.configureGlobal` (it would change every property behind the helper's back);
 * - every vitest test that runs a property (directly, or through a function that does, in any file) has a
 *   timeout computed by `fcTimeout(...)`, so it scales with FC_NUM_RUNS.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, posix, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

export interface Source {
  /** Path relative to the repository root, with forward slashes. */
  path: string;
  text: string;
}

export interface AuditResult {
  /** One line each: `path:line:col: what is wrong`. */
  problems: string[];
  /** How many fc.assert / fc.check calls were found (a check that they were found at all). */
  asserts: number;
  /** How many vitest tests run a property. */
  propertyTests: number;
}

export const HELPER_PATH = 'implementations/reference/codec/fc.ts';

/**
 * Product code that runs fast-check as its engine, not as a test: the fuzzer (issue 15) generates and shrinks
 * conversations with the user's --seed and replays them by their path, so its fc.check calls take those, not
 * fcParams. They are counted, not judged, and calling them does not make a test a property test.
 */
export const ENGINE_PATHS: ReadonlySet<string> = new Set(['harness/fuzz/fuzz.ts']);

/** Parameters that would override what fcParams decides. */
const FORBIDDEN_OVERRIDES = new Set(['seed', 'numRuns', 'path', 'plugins', 'reporter', 'asyncReporter']);

const TEST_FUNCTIONS = new Set(['it', 'test']);

interface Parsed {
  src: Source;
  sf: ts.SourceFile;
  /** Local names of fast-check's default or namespace import. */
  fcNames: Set<string>;
  /** Local names of `assert` / `check` imported by name from fast-check. */
  assertNames: Set<string>;
  /** Local names bound to fc.ts's fcParams / fcTimeout. */
  helperNames: { fcParams: Set<string>; fcTimeout: Set<string> };
}

function parse(src: Source, helperPath: string): Parsed {
  const sf = ts.createSourceFile(src.path, src.text, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const p: Parsed = { src, sf, fcNames: new Set(), assertNames: new Set(), helperNames: { fcParams: new Set(), fcTimeout: new Set() } };
  if (src.path === helperPath) {
    p.helperNames.fcParams.add('fcParams');
    p.helperNames.fcTimeout.add('fcTimeout');
  }
  for (const st of sf.statements) {
    if (!ts.isImportDeclaration(st) || !ts.isStringLiteral(st.moduleSpecifier)) continue;
    const spec = st.moduleSpecifier.text;
    const clause = st.importClause;
    if (!clause) continue;
    if (spec === 'fast-check') {
      if (clause.name) p.fcNames.add(clause.name.text);
      const nb = clause.namedBindings;
      if (nb && ts.isNamespaceImport(nb)) p.fcNames.add(nb.name.text);
      if (nb && ts.isNamedImports(nb)) {
        for (const el of nb.elements) {
          const imported = (el.propertyName ?? el.name).text;
          if (imported === 'assert' || imported === 'check') p.assertNames.add(el.name.text);
          if (imported === 'default') p.fcNames.add(el.name.text);
        }
      }
    } else if (spec.startsWith('.') && posix.normalize(posix.join(posix.dirname(src.path), spec)) === helperPath) {
      const nb = clause.namedBindings;
      if (nb && ts.isNamedImports(nb)) {
        for (const el of nb.elements) {
          const imported = (el.propertyName ?? el.name).text;
          if (imported === 'fcParams') p.helperNames.fcParams.add(el.name.text);
          if (imported === 'fcTimeout') p.helperNames.fcTimeout.add(el.name.text);
        }
      }
    }
  }
  return p;
}

function where(p: Parsed, node: ts.Node): string {
  const { line, character } = p.sf.getLineAndCharacterOfPosition(node.getStart(p.sf));
  return `${p.src.path}:${line + 1}:${character + 1}`;
}

function walk(node: ts.Node, visit: (n: ts.Node) => void): void {
  visit(node);
  node.forEachChild((c) => walk(c, visit));
}

/** `fc.assert(...)`, `fc.check(...)` or a named `assert(...)` from fast-check; `fc.configureGlobal(...)` apart. */
function fcCallKind(p: Parsed, call: ts.CallExpression): 'assert' | 'configureGlobal' | undefined {
  const callee = call.expression;
  if (ts.isPropertyAccessExpression(callee) && ts.isIdentifier(callee.expression) && p.fcNames.has(callee.expression.text)) {
    const m = callee.name.text;
    if (m === 'assert' || m === 'check') return 'assert';
    if (m === 'configureGlobal') return 'configureGlobal';
  }
  if (ts.isIdentifier(callee) && p.assertNames.has(callee.text)) return 'assert';
  return undefined;
}

function isHelperCall(p: Parsed, node: ts.Node, which: 'fcParams' | 'fcTimeout'): boolean {
  return ts.isCallExpression(node) && ts.isIdentifier(node.expression) && p.helperNames[which].has(node.expression.text);
}

function containsHelperCall(p: Parsed, node: ts.Node, which: 'fcParams' | 'fcTimeout'): boolean {
  let found = false;
  walk(node, (n) => {
    if (isHelperCall(p, n, which)) found = true;
  });
  return found;
}

/** Why the parameters of an fc.assert bypass fcParams, or undefined when they do not. */
function paramsProblem(p: Parsed, arg: ts.Expression | undefined): string | undefined {
  if (arg === undefined) return 'has no parameters: pass fcParams(defaultRuns) from fc.ts';
  if (isHelperCall(p, arg, 'fcParams')) return undefined;
  if (ts.isObjectLiteralExpression(arg) && arg.properties.some((prop) => ts.isSpreadAssignment(prop) && isHelperCall(p, prop.expression, 'fcParams'))) {
    for (const prop of arg.properties) {
      if (ts.isSpreadAssignment(prop) && isHelperCall(p, prop.expression, 'fcParams')) continue;
      const name = prop.name && (ts.isIdentifier(prop.name) || ts.isStringLiteral(prop.name)) ? prop.name.text : undefined;
      if (ts.isSpreadAssignment(prop) || name === undefined || FORBIDDEN_OVERRIDES.has(name)) {
        return `overrides what fcParams decides (${prop.getText(p.sf).replace(/\s+/g, ' ').slice(0, 40)})`;
      }
    }
    return undefined;
  }
  return `takes ${arg.getText(p.sf).replace(/\s+/g, ' ').slice(0, 60)} instead of fcParams(defaultRuns) from fc.ts`;
}

/** The name a function-like declaration is known by, if any (function f, const f = () => ..., method f()). */
function functionName(node: ts.Node): string | undefined {
  if ((ts.isFunctionDeclaration(node) || ts.isMethodDeclaration(node)) && node.name && ts.isIdentifier(node.name)) return node.name.text;
  if (ts.isVariableDeclaration(node) && ts.isIdentifier(node.name) && node.initializer && (ts.isArrowFunction(node.initializer) || ts.isFunctionExpression(node.initializer))) {
    return node.name.text;
  }
  return undefined;
}

/** Does `body` run a property: an fc.assert in it, or a call of a function known to run one? */
function runsProperty(p: Parsed, body: ts.Node, propertyFunctions: Set<string>): boolean {
  let found = false;
  walk(body, (n) => {
    if (found || !ts.isCallExpression(n)) return;
    if (fcCallKind(p, n) === 'assert') found = true;
    else if (ts.isIdentifier(n.expression) && propertyFunctions.has(n.expression.text)) found = true;
  });
  return found;
}

/** `it(...)`, `test.only(...)`, `it.each(table)(...)`: the root name is it or test. */
function isTestCall(call: ts.CallExpression): boolean {
  let e: ts.Expression = call.expression;
  for (;;) {
    if (ts.isIdentifier(e)) return TEST_FUNCTIONS.has(e.text);
    if (ts.isPropertyAccessExpression(e)) e = e.expression;
    else if (ts.isCallExpression(e)) e = e.expression;
    else return false;
  }
}

/**
 * Only files that can matter are parsed (parsing the whole repository takes seconds): those that mention
 * fast-check or fc.ts, then, until nothing changes, those that mention a function known to run a property.
 */
export function auditPropertyTests(sources: Source[], helperPath: string = HELPER_PATH): AuditResult {
  const helperFile = posix.basename(helperPath);
  const parsed: Parsed[] = [];
  const pending = new Set(sources);
  const take = (pick: (s: Source) => boolean) => {
    const out: Parsed[] = [];
    for (const s of pending) {
      if (!pick(s)) continue;
      pending.delete(s);
      out.push(parse(s, helperPath));
    }
    parsed.push(...out);
    return out;
  };

  // 1. the functions that run a property, in any file (to a fixed point: a function calling one runs one). One
  //    walk per file notes, for every named function, whether it asserts and what it calls (inner functions too).
  const facts = new Map<string, { asserts: boolean; calls: Set<string> }>();
  const noteFacts = (p: Parsed) => {
    const visit = (n: ts.Node, enclosing: { asserts: boolean; calls: Set<string> }[]) => {
      const name = functionName(n);
      let inner = enclosing;
      if (name !== undefined) {
        let f = facts.get(name);
        if (!f) facts.set(name, (f = { asserts: false, calls: new Set() }));
        inner = [...enclosing, f];
      }
      if (ts.isCallExpression(n)) {
        if (fcCallKind(p, n) === 'assert' && !ENGINE_PATHS.has(p.src.path)) for (const f of inner) f.asserts = true;
        else if (ts.isIdentifier(n.expression)) for (const f of inner) f.calls.add(n.expression.text);
      }
      n.forEachChild((c) => visit(c, inner));
    };
    visit(p.sf, []);
  };
  const propertyFunctions = new Set<string>();
  let fresh = take((s) => s.path === helperPath || s.text.includes('fast-check') || s.text.includes(helperFile));
  while (fresh.length > 0) {
    fresh.forEach(noteFacts);
    for (let changed = true; changed; ) {
      changed = false;
      for (const [name, f] of facts) {
        if (!propertyFunctions.has(name) && (f.asserts || [...f.calls].some((c) => propertyFunctions.has(c)))) {
          propertyFunctions.add(name);
          changed = true;
        }
      }
    }
    const names = [...propertyFunctions];
    const mentions = names.length > 0 ? new RegExp(`\\b(?:${names.join('|')})\\b`) : undefined;
    fresh = mentions ? take((s) => mentions.test(s.text)) : [];
  }

  parsed.sort((a, b) => a.src.path.localeCompare(b.src.path));
  const problems: string[] = [];
  let asserts = 0;

  // 2. the parameters of every fc.assert, and no configureGlobal.
  for (const p of parsed) {
    walk(p.sf, (n) => {
      if (!ts.isCallExpression(n)) return;
      const kind = fcCallKind(p, n);
      if (kind === 'configureGlobal') problems.push(`${where(p, n)}: fc.configureGlobal changes every property behind fc.ts: set the parameters with fcParams instead`);
      if (kind !== 'assert') return;
      asserts++;
      if (ENGINE_PATHS.has(p.src.path)) return;
      const why = paramsProblem(p, n.arguments[1]);
      if (why) problems.push(`${where(p, n)}: ${n.expression.getText(p.sf)} ${why}`);
    });
  }

  // 3. every test that runs a property has an fcTimeout timeout.
  let propertyTests = 0;
  for (const p of parsed) {
    if (!p.src.path.endsWith('.test.ts')) continue;
    walk(p.sf, (n) => {
      if (!ts.isCallExpression(n) || !isTestCall(n)) return;
      const fn = n.arguments.find((a) => ts.isArrowFunction(a) || ts.isFunctionExpression(a));
      if (!fn || !runsProperty(p, fn, propertyFunctions)) return;
      propertyTests++;
      const others = n.arguments.filter((a) => a !== fn);
      if (!others.some((a) => containsHelperCall(p, a, 'fcTimeout'))) {
        const title = n.arguments[0] ? n.arguments[0].getText(p.sf).slice(0, 60) : '';
        problems.push(`${where(p, n)}: test ${title} runs a property but its timeout is not fcTimeout(defaultRuns) from fc.ts`);
      }
    });
  }
  return { problems, asserts, propertyTests };
}

/** Every .ts file of the repository (not node_modules, .git or reports). */
export function repoSources(root: string): Source[] {
  const out: Source[] = [];
  const visit = (dir: string) => {
    for (const d of readdirSync(dir, { withFileTypes: true })) {
      if (d.name === 'node_modules' || d.name === '.git' || d.name === 'reports') continue;
      const full = join(dir, d.name);
      if (d.isDirectory()) visit(full);
      else if (d.isFile() && d.name.endsWith('.ts') && !d.name.endsWith('.d.ts')) {
        out.push({ path: relative(root, full).split(sep).join('/'), text: readFileSync(full, 'utf8') });
      }
    }
  };
  visit(root);
  return out.sort((a, b) => a.path.localeCompare(b.path));
}

/** The repository root (this file is implementations/reference/codec/fc-audit.ts). */
export const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
