/**
 * The one generic known-answer runner, used by `npm test` (vectors/kat.test.ts) and `tls-harness kat`.
 *
 * A vector file is JSON. Wycheproof files are dispatched on their `schema` field; the project's own files
 * (transcribed from RFCs) carry a `kind` field. Each kind has one handler in `handlers/`, which runs every
 * test of the file and reports, per test, passed / failed / skipped with a reason. The runner then checks
 * the count it ran against the file's declared `numberOfTests`, so nothing is skipped silently.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { CryptoProvider } from '../implementations/reference/crypto/provider.ts';
import { handlers } from './handlers/index.ts';

export const VECTORS_DIR = dirname(fileURLToPath(import.meta.url));

export type Outcome = 'passed' | 'failed' | 'skipped';

export interface TestOutcome {
  id: string; // tcId for Wycheproof, a name for our own files
  outcome: Outcome;
  /** Why it failed or was skipped. Every skip states its reason. */
  reason?: string;
}

export interface VectorHandler {
  /** Wycheproof `schema` values or our own `kind` values this handler runs. */
  readonly handles: readonly string[];
  run(file: VectorFileJson, provider: CryptoProvider): TestOutcome[] | Promise<TestOutcome[]>;
}

export interface VectorFileJson {
  schema?: string;
  kind?: string;
  numberOfTests: number;
  [key: string]: unknown;
}

export interface KatFileResult {
  file: string; // path relative to vectors/
  kind: string;
  total: number; // the file's declared numberOfTests
  passed: number;
  failed: number;
  skipped: number;
  failures: TestOutcome[];
}

/** Every vector file shipped with the project (JSON files under vectors/, except schemas). */
export function listVectorFiles(dir = VECTORS_DIR): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) {
        if (e.name !== 'schemas' && e.name !== 'handlers' && e.name !== 'node_modules') walk(p);
      } else if (e.name.endsWith('.json')) out.push(p);
    }
  };
  walk(dir);
  return out.sort();
}

export async function runFile(path: string, provider: CryptoProvider): Promise<KatFileResult> {
  const file = relative(VECTORS_DIR, path);
  let json: VectorFileJson;
  try {
    json = JSON.parse(readFileSync(path, 'utf8')) as VectorFileJson;
  } catch (e) {
    return broken(file, '?', `cannot read: ${(e as Error).message}`);
  }
  const kind = json.schema ?? json.kind ?? '?';
  const handler = handlers.find((h) => h.handles.includes(kind));
  if (!handler) return broken(file, kind, `no handler for ${kind}`, json.numberOfTests);
  let outcomes: TestOutcome[];
  try {
    outcomes = await handler.run(json, provider);
  } catch (e) {
    return broken(file, kind, `handler crashed: ${(e as Error).stack ?? e}`, json.numberOfTests);
  }
  const result: KatFileResult = {
    file,
    kind,
    total: json.numberOfTests,
    passed: outcomes.filter((o) => o.outcome === 'passed').length,
    failed: outcomes.filter((o) => o.outcome === 'failed').length,
    skipped: outcomes.filter((o) => o.outcome === 'skipped').length,
    failures: outcomes.filter((o) => o.outcome === 'failed'),
  };
  // Nothing is lost silently: the tests run must be exactly the tests the file declares.
  if (outcomes.length !== json.numberOfTests) {
    result.failed += 1;
    result.failures.push({
      id: 'numberOfTests',
      outcome: 'failed',
      reason: `file declares ${json.numberOfTests} tests, runner saw ${outcomes.length}`,
    });
  }
  return result;
}

function broken(file: string, kind: string, reason: string, total = 0): KatFileResult {
  return { file, kind, total, passed: 0, failed: 1, skipped: 0, failures: [{ id: 'file', outcome: 'failed', reason }] };
}

export async function runAll(provider: CryptoProvider, files = listVectorFiles()): Promise<KatFileResult[]> {
  const results: KatFileResult[] = [];
  for (const f of files) results.push(await runFile(f, provider));
  return results;
}
