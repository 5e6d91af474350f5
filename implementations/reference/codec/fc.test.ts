import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it, vi } from 'vitest';
import fc from 'fast-check';
import { DEFAULT_SEED, DEFAULT_TEST_TIMEOUT_MS, FcSettingsError, fcNumRuns, fcParams, fcTimeout, readFcEnv, replayCommand } from './fc.ts';

/** The integers a property with `runs` default runs sees under `env`. */
function firstValues(runs: number, env: Record<string, string>): number[] {
  const seen: number[] = [];
  fc.assert(
    fc.property(fc.integer(), (n) => {
      seen.push(n);
    }),
    fcParams(runs, env),
  );
  return seen;
}

/** The error a call throws (fails the test when it throws none). */
function thrown(f: () => unknown): Error {
  try {
    f();
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected an error');
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe('FC_SEED', () => {
  it('unset: the fixed default seed, so npm test is deterministic', () => {
    expect(readFcEnv({})).toEqual({ seed: DEFAULT_SEED, seedFrom: 'default' });
    expect(fcParams(7, {})).toMatchObject({ numRuns: 7, seed: DEFAULT_SEED });
    expect(fcParams(7, {})).not.toHaveProperty('path');
    expect(firstValues(20, {})).toEqual(firstValues(20, {}));
  }, fcTimeout(10));

  it('a number is the seed every property uses (decimal, negative as fast-check prints them, or hex)', () => {
    expect(readFcEnv({ FC_SEED: '123' })).toMatchObject({ seed: 123, seedFrom: 'FC_SEED' });
    expect(readFcEnv({ FC_SEED: ' -1819918769 ' }).seed).toBe(-1819918769);
    expect(readFcEnv({ FC_SEED: '0x7153' }).seed).toBe(DEFAULT_SEED);
    const a = firstValues(20, { FC_SEED: '123' });
    expect(firstValues(20, { FC_SEED: '123' })).toEqual(a);
    expect(firstValues(20, { FC_SEED: '124' })).not.toEqual(a);
    expect(firstValues(20, {})).not.toEqual(a);
  }, fcTimeout(10));

  it('random: a fresh seed per environment, printed once, then kept', () => {
    const lines: string[] = [];
    let next = 1000;
    const opts = { pickSeed: () => next++, log: (l: string) => lines.push(l) };
    const env = { FC_SEED: 'random' };
    expect(readFcEnv(env, opts)).toMatchObject({ seed: 1000, seedFrom: 'random' });
    expect(readFcEnv(env, opts).seed).toBe(1000);
    expect(readFcEnv({ FC_SEED: 'RANDOM' }, opts).seed).toBe(1001);
    expect(lines).toEqual([
      'fast-check: FC_SEED=random picked seed 1000 (replay with FC_SEED=1000)',
      'fast-check: FC_SEED=random picked seed 1001 (replay with FC_SEED=1001)',
    ]);
  });

  it('random, by default: a random 32-bit seed, printed on the console, and really used (not seed 0)', () => {
    const log = vi.spyOn(console, 'log').mockImplementation(() => {});
    const seeds = Array.from({ length: 4 }, () => fcParams(5, { FC_SEED: 'random' }).seed);
    for (const s of seeds) expect(Number.isInteger(s) && s >= -(2 ** 31) && s < 2 ** 31).toBe(true);
    expect(new Set(seeds).size).toBeGreaterThan(1);
    expect(log.mock.calls.map((c) => String(c[0]))).toEqual(seeds.map((s) => `fast-check: FC_SEED=random picked seed ${s} (replay with FC_SEED=${s})`));
    const env = { FC_SEED: 'random' };
    const a = firstValues(20, env);
    expect(firstValues(20, env)).toEqual(a); // one seed per environment: a file replays as a whole
    expect(firstValues(20, { FC_SEED: '0' })).not.toEqual(a);
    expect(firstValues(20, { FC_SEED: 'random' })).not.toEqual(a);
  }, fcTimeout(10));

  it('anything else is one clear line naming the variable and the value', () => {
    for (const bad of ['abc', '1.5', '12abc', '4294967296', '-2147483649', '0x']) {
      const e = thrown(() => readFcEnv({ FC_SEED: bad }));
      expect(e).toBeInstanceOf(FcSettingsError);
      expect(e.message).toBe(`FC_SEED must be "random" or a 32-bit integer (the seed a failure printed), got ${JSON.stringify(bad)}; see "Development" in README.md`);
    }
    expect(() => fcParams(10, { FC_SEED: 'nope' })).toThrow(FcSettingsError);
  });

  it('FC_PATH is passed on, and checked', () => {
    expect(fcParams(10, { FC_SEED: '5', FC_PATH: '3:0:1' })).toMatchObject({ seed: 5, path: '3:0:1' });
    expect(thrown(() => readFcEnv({ FC_PATH: '3;0' })).message).toMatch(/^FC_PATH must be the path a failure printed .* got "3;0"; /);
  });
});

describe('FC_NUM_RUNS', () => {
  it('sets the runs of every property; unset, each keeps its own default', () => {
    expect(fcNumRuns(200, {})).toBe(200);
    expect(fcNumRuns(200, { FC_NUM_RUNS: '2000' })).toBe(2000);
    expect(fcNumRuns(200, { FC_NUM_RUNS: '10_000' })).toBe(10000);
    expect(fcNumRuns(200, { FC_NUM_RUNS: ' ' })).toBe(200);
    expect(firstValues(13, {})).toHaveLength(13);
    expect(firstValues(13, { FC_NUM_RUNS: '31' })).toHaveLength(31);
  }, fcTimeout(10));

  it('garbage is refused with one clear line, not read as NaN, 0 or a default', () => {
    for (const bad of ['abc', '0', '-5', '1e4', '3.5', '12abc', '10k', '1__0', '_1', '99999999999999999999']) {
      const e = thrown(() => fcParams(10, { FC_NUM_RUNS: bad }));
      expect(e).toBeInstanceOf(FcSettingsError);
      expect(e.message).toBe(
        `FC_NUM_RUNS must be a positive integer (the number of runs of every property, e.g. 10000), got ${JSON.stringify(bad)}; see "Development" in README.md`,
      );
      expect(e.message).not.toContain('\n');
    }
  });

  it('a property default must itself be a positive integer', () => {
    expect(() => fcParams(0, {})).toThrow(FcSettingsError);
    expect(() => fcTimeout(2.5, 1000, {})).toThrow(FcSettingsError);
  });
});

describe('fcTimeout: the test timeout grows with the runs', () => {
  it('base * max(1, runs / default runs)', () => {
    expect(fcTimeout(10, 60_000, {})).toBe(60_000);
    expect(fcTimeout(10, 60_000, { FC_NUM_RUNS: '5' })).toBe(60_000);
    expect(fcTimeout(10, 60_000, { FC_NUM_RUNS: '25' })).toBe(150_000);
    expect(fcTimeout(200, 60_000, { FC_NUM_RUNS: '10000' })).toBe(3_000_000);
    expect(fcTimeout(3, 1000, { FC_NUM_RUNS: '10' })).toBe(3334);
  });

  it('stays within what a Node timer can wait (a longer delay would fire at once)', () => {
    expect(fcTimeout(1, 60_000, { FC_NUM_RUNS: '1000000' })).toBe(2 ** 31 - 1);
  });

  it('the base is vitest.config.ts testTimeout', () => {
    const config = readFileSync(new URL('../../../vitest.config.ts', import.meta.url), 'utf8');
    const m = /testTimeout:\s*([0-9_]+)/.exec(config);
    expect(m).not.toBeNull();
    expect(Number(m![1].replaceAll('_', ''))).toBe(DEFAULT_TEST_TIMEOUT_MS);
    expect(fcTimeout(50)).toBeGreaterThanOrEqual(DEFAULT_TEST_TIMEOUT_MS);
  });
});

describe('a failing property prints how to replay it', () => {
  const failing = () => fc.property(fc.integer(), (n) => n < 1000);

  it("fast-check's report, then the seed, the path and this test in one command", () => {
    const e = thrown(() => fc.assert(failing(), fcParams(500, { FC_SEED: '123' })));
    expect(e.message).toMatch(/^Property failed after \d+ tests\n\{ seed: 123, path: "[0-9:]+", endOnFailure: true \}\nCounterexample: \[1000\]/);
    const replay = /\n\nreplay: (FC_SEED=123 FC_PATH=([0-9:]+) npx vitest run (\S+) -t (.*))$/.exec(e.message);
    expect(replay, e.message).not.toBeNull();
    expect(replay![3]).toBe('implementations/reference/codec/fc.test.ts');
    // The -t pattern matches this test's full name (suite and test joined by a space), as vitest does.
    const pattern = new RegExp(replay![4].slice(1, -1).replaceAll(`'\\''`, "'"));
    expect(pattern.test(`${expect.getState().currentTestName!.split(' > ').join(' ')}`)).toBe(true);
    expect(pattern.test('a failing property prints how to replay it some other test')).toBe(false);
    expect((e.cause as Error).message).toMatch(/Property failed by returning false/);

    // The seed and path replay the failure at once.
    const again = thrown(() => fc.assert(failing(), fcParams(500, { FC_SEED: '123', FC_PATH: replay![2] })));
    expect(again.message).toMatch(/^Property failed after 1 tests\n/);
    expect(again.message).toContain('Counterexample: [1000]');
  }, fcTimeout(10));

  it('says where the seed came from', () => {
    expect(thrown(() => fc.assert(failing(), fcParams(500, {}))).message).toContain(`\nreplay (the default seed): FC_SEED=${DEFAULT_SEED} FC_PATH=`);
    const log = vi.spyOn(console, 'log').mockImplementation(() => {});
    const e = thrown(() => fc.assert(failing(), fcParams(500, { FC_SEED: 'random' })));
    const seed = /picked seed (-?\d+)/.exec(String(log.mock.calls[0]?.[0]))?.[1];
    expect(seed).toBeDefined();
    expect(e.message).toContain(`{ seed: ${seed}, path: `);
    expect(e.message).toContain(`\nreplay (picked by FC_SEED=random): FC_SEED=${seed} FC_PATH=`);
  }, fcTimeout(10));

  it('a passing property throws nothing', () => {
    vi.spyOn(console, 'log').mockImplementation(() => {});
    expect(() => fc.assert(fc.property(fc.integer(), (n) => Number.isInteger(n)), fcParams(50, { FC_SEED: 'random' }))).not.toThrow();
  }, fcTimeout(10));

  it('replayCommand quotes for the shell and escapes the test name for -t', () => {
    expect(replayCommand(-5, '1:2', { file: '/r/a/b.test.ts', name: "s > it's (x) > y" }, '/r')).toBe(
      `FC_SEED=-5 FC_PATH=1:2 npx vitest run a/b.test.ts -t 's(?: | > )it'\\''s \\(x\\)(?: | > )y$'`,
    );
    expect(replayCommand(7, undefined, {})).toBe('FC_SEED=7 npx vitest run');
  });
});
