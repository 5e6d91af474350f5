/**
 * Positive controls (issue 8, part 2). A negative case proves something only if the target completes the
 * same conversation without the fault: before a case runs, the engine runs the unmutated conversation (the
 * default full handshake for the target's role, version and the harness config) once per distinct
 * configuration in a run. When the target does not complete it, the case is a `skip` with the control's
 * reason instead of a pass (a TLS 1.2-only server does not "pass" TLS 1.3 negative cases by refusing
 * everything). The cache is concurrency-safe: cases with the same key await the same promise.
 */
import type { PeerConfig, ScenarioCase } from '../scenario/model.ts';
import type { ControlResult } from './result.ts';

/** What a control run produces (the cache adds the key and the cases). */
export type ControlOutcome = Omit<ControlResult, 'key' | 'cases'>;

/**
 * The configuration a case's control runs with; undefined for `control: false`, and for a case that expects
 * no refusal (no alert, no close anywhere in its steps): such a positive case is its own evidence, and a
 * target that cannot complete it must fail it, not skip it.
 */
export function controlConfig(c: ScenarioCase): PeerConfig | undefined {
  if (c.control === false) return undefined;
  if (!c.steps.some((s) => s.kind === 'expect' && (s.expect.kind === 'alert' || s.expect.kind === 'close'))) return undefined;
  return c.control?.config ?? c.config;
}

/** JSON with sorted keys, so equal configs give equal keys. */
function stable(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(stable).join(',')}]`;
  if (v !== null && typeof v === 'object') {
    const entries = Object.entries(v as Record<string, unknown>).filter(([, x]) => x !== undefined);
    return `{${entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([k, x]) => `${JSON.stringify(k)}:${stable(x)}`).join(',')}}`;
  }
  return JSON.stringify(v);
}

/**
 * The control key of a case: target role, the version the harness speaks, and the control config, e.g.
 * `server tls13 {"cipher_suites":["TLS_AES_128_GCM_SHA256"],"groups":["x25519"]}`. Undefined: no control.
 */
export function controlKey(c: ScenarioCase): string | undefined {
  const config = controlConfig(c);
  if (config === undefined) return undefined;
  return `${c.scenario.target} ${caseVersion(c)} ${stable(config)}`;
}

/** The protocol version the harness's peer speaks in a case: TLS 1.3 when the scenario lists it, else TLS 1.2. */
export function caseVersion(c: ScenarioCase): 'tls12' | 'tls13' {
  return c.scenario.versions.includes('tls13') || c.scenario.versions.length === 0 ? 'tls13' : 'tls12';
}

interface Entry {
  promise: Promise<ControlResult>;
  result?: ControlResult;
  cases: string[];
  order: number;
}

/** The controls of one run: each key runs once; every case that needs it is recorded. */
export class ControlCache {
  private readonly entries = new Map<string, Entry>();

  /** The control for `key`, run by `run` the first time; later (or concurrent) callers share it. */
  get(key: string, caseId: string, run: () => Promise<ControlOutcome>): Promise<ControlResult> {
    let e = this.entries.get(key);
    if (!e) {
      const cases: string[] = [];
      const entry: Entry = { cases, order: this.entries.size } as Entry;
      entry.promise = (async () => {
        let outcome: ControlOutcome;
        try {
          outcome = await run();
        } catch (err) {
          outcome = { verdict: 'error', reason: `harness: ${(err as Error).message}`, durationMs: 0 };
        }
        const r: ControlResult = { key, ...outcome, cases };
        entry.result = r;
        return r;
      })();
      this.entries.set(key, entry);
      e = entry;
    }
    e.cases.push(caseId);
    return e.promise;
  }

  /** How many controls were started. */
  get size(): number {
    return this.entries.size;
  }

  /** The controls that finished, in the order they were first asked for (copies). */
  results(): ControlResult[] {
    return [...this.entries.values()]
      .sort((a, b) => a.order - b.order)
      .filter((e) => e.result !== undefined)
      .map((e) => ({ ...e.result!, cases: [...e.cases] }));
  }
}
