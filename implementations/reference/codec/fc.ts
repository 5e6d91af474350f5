/**
 * fast-check run parameters for the property tests.
 *
 * - `FC_NUM_RUNS`: absolute number of runs for every property (default: each test's own small default).
 * - `FC_SEED` (and optionally `FC_PATH`): replay a failure; fast-check prints both when a property fails.
 */
export interface FcParams {
  numRuns: number;
  seed?: number;
  path?: string;
}

export function fcParams(defaultRuns: number): FcParams {
  const env = process.env;
  const runs = Number.parseInt(env.FC_NUM_RUNS ?? '', 10);
  const out: FcParams = { numRuns: Number.isFinite(runs) && runs > 0 ? runs : defaultRuns };
  const seed = Number.parseInt(env.FC_SEED ?? '', 10);
  if (Number.isFinite(seed)) out.seed = seed;
  if (env.FC_PATH) out.path = env.FC_PATH;
  return out;
}
