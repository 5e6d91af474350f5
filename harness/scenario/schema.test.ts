import { describe, expect, it } from 'vitest';
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';
import { buildSchema } from './schema.ts';
import { checkSchema } from './schema-check.ts';
import { loadScenarios, parseScenarioText } from './loader.ts';
import {
  APPLICATION_DATA_RECORD_KEYS,
  BARE_STEPS,
  CBC_KEYS,
  CONFIG_KEYS,
  EXPECT_KEYS,
  MUTATE_KEYS,
  MUTATE_OPS,
  PREMASTER_KEYS,
  RECORD_KEYS,
  REQUIRES_KEYS,
  RFC_KEYS,
  STEP_KINDS,
  STEP_MODIFIERS,
  STEP_VALUE_KEYS,
  TOP_KEYS,
} from './format.ts';

const schemaPath = fileURLToPath(new URL('./scenario.schema.json', import.meta.url));
const everyFormPath = fileURLToPath(new URL('./fixtures/ok/every-form.yaml', import.meta.url));
const EVERY_FORM = readFileSync(everyFormPath, 'utf8');
const examplesDir = fileURLToPath(new URL('../../scenarios/examples/', import.meta.url));

type S = Record<string, any>;

function yamlValues(text: string): unknown[] {
  return parseAllDocuments(text).map((d) => d.toJS());
}

describe('scenario.schema.json', () => {
  const built = buildSchema();
  if (process.env.UPDATE_SCHEMA === '1') writeFileSync(schemaPath, JSON.stringify(built, null, 2) + '\n');
  const schema = JSON.parse(readFileSync(schemaPath, 'utf8')) as S;

  it('is up to date with schema.ts (regenerate: UPDATE_SCHEMA=1 npx vitest run harness/scenario/schema.test.ts)', () => {
    expect(schema).toEqual(built);
  });

  it('has exactly the keys the loader accepts, at every level', () => {
    const defs = schema.$defs as S;
    const keysOf = (s: S) => Object.keys(s.properties ?? {}).sort();
    const sorted = (xs: readonly string[]) => [...xs].sort();
    expect(keysOf(schema)).toEqual(sorted(TOP_KEYS));
    expect(keysOf(schema.properties.rfc)).toEqual(sorted(RFC_KEYS));
    expect(keysOf(schema.properties.requires)).toEqual(sorted(REQUIRES_KEYS));
    expect(keysOf(schema.properties.config)).toEqual(sorted(CONFIG_KEYS));

    // steps: one object form per step kind, with its modifiers; bare words
    const stepForms = defs.step.anyOf as S[];
    expect(stepForms[0].enum).toEqual([...BARE_STEPS]);
    const objects = stepForms.slice(1);
    expect(objects.map((o) => o.required[0])).toEqual([...STEP_KINDS]);
    for (const o of objects) {
      const kind = o.required[0] as (typeof STEP_KINDS)[number];
      expect(keysOf(o)).toEqual(sorted([kind, ...STEP_MODIFIERS[kind]]));
      const valueKeys = STEP_VALUE_KEYS[kind];
      if (valueKeys && valueKeys.length > 0) {
        const mapForm = (o.properties[kind].anyOf as S[]).find((x) => x.type === 'object');
        expect(keysOf(mapForm!), kind).toEqual(sorted(valueKeys));
      }
    }
    const send = objects[0];
    expect(keysOf(send.properties.record)).toEqual(sorted(RECORD_KEYS));
    expect(keysOf(send.properties.record.properties.cbc)).toEqual(sorted(CBC_KEYS));
    expect(keysOf(send.properties.premaster)).toEqual(sorted(PREMASTER_KEYS));
    const appData = objects.find((o) => o.required[0] === 'application_data')!;
    expect(keysOf(appData.properties.record)).toEqual(sorted(APPLICATION_DATA_RECORD_KEYS));

    // mutate ops and their mapping keys
    const ops = defs.mutate.anyOf as S[];
    expect(ops.map((o) => Object.keys(o.properties)[0])).toEqual([...MUTATE_OPS]);
    for (const o of ops) {
      const op = Object.keys(o.properties)[0] as (typeof MUTATE_OPS)[number];
      const keys = MUTATE_KEYS[op];
      if (!keys) continue;
      const s = o.properties[op] as S;
      const mapForm = s.type === 'object' ? s : (s.anyOf as S[]).find((x) => x.type === 'object');
      expect(keysOf(mapForm!), op).toEqual(sorted(keys));
    }

    // expect mappings: the union of their keys is the loader's
    const expectKeys = new Set<string>();
    for (const f of defs.expect.anyOf as S[]) for (const k of Object.keys(f.properties ?? {})) expectKeys.add(k);
    expect([...expectKeys].sort()).toEqual(sorted(EXPECT_KEYS));
  });

  it('accepts the example scenarios', () => {
    const r = loadScenarios([examplesDir]);
    expect(r.files.length).toBeGreaterThanOrEqual(2);
    for (const f of r.files) {
      for (const v of yamlValues(readFileSync(f, 'utf8'))) expect(checkSchema(schema, v), f).toEqual([]);
    }
  });

  it('accepts every form the loader accepts (every step kind, mutate op and expectation)', () => {
    const r = parseScenarioText(EVERY_FORM, 'every-form.yaml');
    expect(r.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    for (const v of yamlValues(EVERY_FORM)) expect(checkSchema(schema, v)).toEqual([]);
  });

  it('rejects structural mistakes the loader rejects', () => {
    const base = { id: 'x', title: 't', rfc: { doc: 8446, section: '4', quote: 'q' }, target: 'server', versions: ['tls13'] };
    const bad: unknown[] = [
      { ...base, steps: [{ sned: 'ClientHello' }] },
      { ...base, steps: [{ send: 'ClientHelo' }] },
      { ...base, steps: [{ send: 'ClientHello', mutate: [{ xro: { at: 1, value: 1 } }] }] },
      { ...base, steps: [{ send: 'ClientHello', mutate: [{ xor: { value: 1 } }] }] },
      { ...base, steps: [{ send: 'ClientHello', record: { max_fragmnet: 1 } }] },
      { ...base, steps: [{ expect: { alert: 'decrypt_eror' } }] },
      { ...base, steps: [{ expect: { silence: 10, lenient: true } }] },
      { ...base, steps: [{ wait: 'soon' }] },
      { ...base, steps: [] },
      { ...base, target: 'both', steps: ['close_notify'] },
      { ...base, steps: ['close_notify'], colour: 'red' },
      { ...base, steps: [{ send_raw: { hex: 'zz' } }] },
      { ...base, steps: [{ send: 'ClientHello', mutate: [{ insert_extension: { type: 'padding', hex: '00', value: 1 } }] }] },
      { ...base, steps: [{ send: 'ClientKeyExchange', premaster: { first_byte: '0001' } }] },
      { ...base, steps: [{ send: 'Finished', record: { cbc: { padding_length: 256 } } }] },
      { ...base, steps: [{ application_data: 'x', record: { fragment_at: [1] } }] },
      { ...base, matrix: { a: [1, 2] }, indistinguishable: 'a', steps: ['close_notify'] },
      { ...base, matrix: { a: [1, 2] }, indistinguishable: [], steps: ['close_notify'] },
    ];
    for (const v of bad) {
      expect(checkSchema(schema, v), JSON.stringify(v)).not.toEqual([]);
      const r = parseScenarioText(JSON.stringify(v), 'bad.yaml');
      expect(r.diagnostics.some((d) => d.severity === 'error'), JSON.stringify(v)).toBe(true);
    }
  });
});
