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

/** The seed every property test uses by default. */
export const DEFAULT_SEED = 0x7153;

export function fcParams(defaultRuns: number): FcParams {
  const env = process.env;
  const runs = Number.parseInt(env.FC_NUM_RUNS ?? '', 10);
  // Tests are deterministic: a fixed seed unless FC_SEED asks for another (a long run can set FC_SEED=random).
  const seed = env.FC_SEED === 'random' ? undefined : Number.parseInt(env.FC_SEED ?? '', 10);
  const out: FcParams = { numRuns: Number.isFinite(runs) && runs > 0 ? runs : defaultRuns, seed: seed === undefined ? undefined : Number.isFinite(seed) ? seed : DEFAULT_SEED };
  if (out.seed === undefined) delete out.seed;
  if (env.FC_PATH) out.path = env.FC_PATH;
  return out;
}
