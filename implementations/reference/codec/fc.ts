/**
 * The one place that sets fast-check's run parameters for every property test in the repo (a test in
 * fc-audit.test.ts fails when an `fc.assert` does not take them from here).
 *
 * - `FC_NUM_RUNS`: the number of runs of every property (default: each property's own small default).
 * - `FC_SEED`: the seed of every property (default: the fixed `DEFAULT_SEED`, so `npm test` is deterministic);
 *   `FC_SEED=random` picks a fresh seed once per test file and prints it, so a long run explores new cases and
 *   can still be replayed.
 * - `FC_PATH` (with `FC_SEED`): replay one failure straight away.
 *
 * A failing property throws fast-check's report (counterexample, seed, path) followed by a `replay:` line: the
 * command that runs that one test again with the failing seed and path.
 *
 * Test timeouts grow with the number of runs: `it(name, fn, fcTimeout(defaultRuns))`.
 */
import { randomInt } from 'node:crypto';
import { relative } from 'node:path';
import fc from 'fast-check';
import { expect } from 'vitest';

/** The seed every property test uses by default. */
export const DEFAULT_SEED = 0x7153;

/** The base timeout of a property test: vitest.config.ts's `testTimeout` (fc.test.ts checks they agree). */
export const DEFAULT_TEST_TIMEOUT_MS = 60_000;

/** Node's timers take at most 2^31 - 1 ms; a longer delay fires at once (TimeoutOverflowWarning). */
const MAX_TIMEOUT_MS = 2 ** 31 - 1;

export class FcSettingsError extends Error {
  override name = 'FcSettingsError';
}

/** What the environment asks for, checked. */
export interface FcEnv {
  /** FC_NUM_RUNS, when set. */
  numRuns?: number;
  seed: number;
  /** Where the seed came from. */
  seedFrom: 'default' | 'FC_SEED' | 'random';
  path?: string;
}

export interface FcParams {
  numRuns: number;
  seed: number;
  path?: string;
  plugins: fc.UniversalPlugin[];
}

type Env = Record<string, string | undefined>;

/** One random seed per environment object: with process.env, one per test file (vitest runs each in its own process). */
const randomSeeds = new WeakMap<object, number>();

export interface FcEnvOptions {
  /** Picks the seed for FC_SEED=random (default: a random 32-bit integer). */
  pickSeed?: () => number;
  /** Where the seed picked for FC_SEED=random is announced, once (default: console.log). */
  log?: (line: string) => void;
}

const ENV_HELP = 'see "Development" in README.md';

/** Reads FC_NUM_RUNS, FC_SEED and FC_PATH; throws FcSettingsError with one clear line when one is malformed. */
export function readFcEnv(env: Env = process.env, opts: FcEnvOptions = {}): FcEnv {
  const out: FcEnv = { seed: DEFAULT_SEED, seedFrom: 'default' };

  const runs = env.FC_NUM_RUNS?.trim();
  if (runs) {
    const n = /^[0-9]+(_[0-9]+)*$/.test(runs) ? Number(runs.replaceAll('_', '')) : Number.NaN;
    if (!Number.isSafeInteger(n) || n < 1) {
      throw new FcSettingsError(`FC_NUM_RUNS must be a positive integer (the number of runs of every property, e.g. 10000), got ${JSON.stringify(env.FC_NUM_RUNS)}; ${ENV_HELP}`);
    }
    out.numRuns = n;
  }

  const seed = env.FC_SEED?.trim();
  if (seed && seed.toLowerCase() === 'random') {
    let s = randomSeeds.get(env);
    if (s === undefined) {
      s = (opts.pickSeed ?? (() => randomInt(-(2 ** 31), 2 ** 31)))();
      randomSeeds.set(env, s);
      (opts.log ?? console.log)(`fast-check: FC_SEED=random picked seed ${s} (replay with FC_SEED=${s})`);
    }
    out.seed = s;
    out.seedFrom = 'random';
  } else if (seed) {
    // fast-check prints negative seeds too; it uses the seed as a 32-bit integer.
    const n = /^-?(0x[0-9a-f]+|[0-9]+)$/i.test(seed) ? (seed.startsWith('-') ? -Number(seed.slice(1)) : Number(seed)) : Number.NaN;
    if (!Number.isInteger(n) || n < -(2 ** 31) || n >= 2 ** 32) {
      throw new FcSettingsError(`FC_SEED must be "random" or a 32-bit integer (the seed a failure printed), got ${JSON.stringify(env.FC_SEED)}; ${ENV_HELP}`);
    }
    out.seed = n;
    out.seedFrom = 'FC_SEED';
  }

  const path = env.FC_PATH?.trim();
  if (path) {
    if (!/^[0-9]+(:[0-9]+)*$/.test(path)) {
      throw new FcSettingsError(`FC_PATH must be the path a failure printed (numbers separated by ":", e.g. 12:0:3), got ${JSON.stringify(env.FC_PATH)}; ${ENV_HELP}`);
    }
    out.path = path;
  }
  return out;
}

/** The number of runs a property whose default is `defaultRuns` performs under `env`. */
export function fcNumRuns(defaultRuns: number, env: Env = process.env): number {
  checkDefault(defaultRuns);
  return readFcEnv(env).numRuns ?? defaultRuns;
}

/**
 * The parameters of one `fc.assert`: `fc.assert(property, fcParams(200))`, where 200 is the property's default
 * number of runs. Do not override seed, numRuns or path (fc-audit.test.ts checks).
 */
export function fcParams(defaultRuns: number, env: Env = process.env): FcParams {
  checkDefault(defaultRuns);
  const e = readFcEnv(env);
  const out: FcParams = { numRuns: e.numRuns ?? defaultRuns, seed: e.seed, plugins: [replayOnFailure(e)] };
  if (e.path !== undefined) out.path = e.path;
  return out;
}

/**
 * The vitest timeout of a test whose properties run `defaultRuns` times by default (the smallest default
 * when a test runs several): `baseMs`, scaled by how many more runs FC_NUM_RUNS asks for.
 */
export function fcTimeout(defaultRuns: number, baseMs: number = DEFAULT_TEST_TIMEOUT_MS, env: Env = process.env): number {
  const runs = fcNumRuns(defaultRuns, env);
  return Math.min(MAX_TIMEOUT_MS, Math.ceil(baseMs * Math.max(1, runs / defaultRuns)));
}

function checkDefault(defaultRuns: number): void {
  if (!Number.isSafeInteger(defaultRuns) || defaultRuns < 1) throw new FcSettingsError(`default number of runs must be a positive integer, got ${defaultRuns}`);
}

// ---- the failure report ----------------------------------------------------------------------------------

/** What the current vitest test is, when there is one (the replay line names it). */
interface CurrentTest {
  file?: string;
  name?: string;
}

function currentTest(): CurrentTest {
  try {
    const s = expect.getState();
    return { file: s.testPath, name: s.currentTestName };
  } catch {
    return {}; // not inside a vitest test
  }
}

const shellQuote = (s: string) => (/^[\w./:=-]+$/.test(s) ? s : `'${s.replaceAll("'", `'\\''`)}'`);
const regexEscape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * The command that replays a failure: the seed and path fast-check reports, and the test (vitest's -t matches
 * a regular expression against the suite and test names joined by spaces).
 */
export function replayCommand(seed: number, path: string | undefined, test: CurrentTest, cwd: string = process.cwd()): string {
  const parts = [`FC_SEED=${seed}`];
  if (path) parts.push(`FC_PATH=${path}`);
  parts.push('npx vitest run');
  if (test.file) parts.push(shellQuote(relative(cwd, test.file) || test.file));
  // vitest names the test "suite > test"; a name may itself hold " > ", so either joint matches.
  if (test.name) parts.push('-t', shellQuote(`${test.name.split(' > ').map(regexEscape).join('(?: | > )')}$`));
  return parts.join(' ');
}

/** A fast-check plugin that throws fast-check's own report, followed by the replay command, when a property fails. */
function replayOnFailure(e: FcEnv): fc.UniversalPlugin {
  return () => ({
    onAllRunsComplete: (details) => {
      if (!details.failed) return;
      const report = fc.defaultReportMessage(details) ?? 'property failed';
      const seedNote = e.seedFrom === 'random' ? ' (picked by FC_SEED=random)' : e.seedFrom === 'default' ? ' (the default seed)' : '';
      const line = `replay${seedNote}: ${replayCommand(details.seed, details.counterexamplePath ?? undefined, currentTest())}`;
      throw new Error(`${report}\n\n${line}`, { cause: details.errorInstance });
    },
  });
}
