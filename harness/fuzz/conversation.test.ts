import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { stringify } from 'yaml';
import { ReferenceTarget } from '../targets/reference.ts';
import { parseScenarioText } from '../scenario/loader.ts';
import { stepToYaml } from '../scenario/emit.ts';
import type { Step } from '../scenario/model.ts';
import { SETTINGS, applyFaults, baseScenario, caseOf, conversationArbitrary, describeFault, shapeCollector, type Base } from './conversation.ts';
import { play } from './outcome.ts';
import { fcParams, fcTimeout } from '../../implementations/reference/codec/fc.ts';

const names = (steps: readonly Step[]) => steps.map((s) => (s.kind === 'send' ? s.message : s.kind === 'send_raw' ? `raw ${s.hex}` : s.kind));

describe('applyFaults', () => {
  const steps = baseScenario('server-tls13').steps;
  it('leaves the base as it is without faults', () => {
    expect(applyFaults(steps, [])).toEqual(steps);
    // The strict base: the closure, then the close (a target still waiting is told from one that completed).
    expect(names(steps)).toEqual(['ClientHello', 'expect', 'Finished', 'send_application_data', 'key_update', 'close_notify', 'expect', 'expect']);
  });

  it('drops, duplicates, swaps, injects and interleaves at base step indices', () => {
    expect(names(applyFaults(steps, [{ kind: 'drop', step: 2 }]))).toEqual(['ClientHello', 'expect', 'send_application_data', 'key_update', 'close_notify', 'expect', 'expect']);
    expect(names(applyFaults(steps, [{ kind: 'duplicate', step: 0 }]))).toEqual(['ClientHello', 'ClientHello', 'expect', 'Finished', 'send_application_data', 'key_update', 'close_notify', 'expect', 'expect']);
    expect(names(applyFaults(steps, [{ kind: 'swap', step: 3 }])).slice(2, 5)).toEqual(['Finished', 'key_update', 'send_application_data']);
    expect(names(applyFaults(steps, [{ kind: 'inject', step: 2, message: 'Certificate' }])).slice(1, 4)).toEqual(['expect', 'Certificate', 'Finished']);
    expect(names(applyFaults(steps, [{ kind: 'inject_raw', step: 0, hex: '0e000000', name: 'ServerHelloDone (TLS 1.2)' }]))[0]).toBe('raw 0e000000');
    expect(names(applyFaults(steps, [{ kind: 'interleave', step: 2, what: 'change_cipher_spec' }])).slice(2, 4)).toEqual(['send_change_cipher_spec', 'Finished']);
    // Several faults at one step: the injections before it, then the step with its changes, then its copy.
    const many = applyFaults(steps, [
      { kind: 'mutate', step: 0, ops: [{ op: 'remove_extension', type: 'server_name' }] },
      { kind: 'interleave', step: 0, what: 'warning_alert' },
      { kind: 'duplicate', step: 0 },
    ]);
    expect(names(many).slice(0, 3)).toEqual(['send_alert', 'ClientHello', 'ClientHello']);
    expect(many[1].kind === 'send' && many[1].mutate).toEqual([{ op: 'remove_extension', type: 'server_name' }]);
  });

  it('gives an oversize record a message big enough to need it', () => {
    const [ch] = applyFaults(steps, [{ kind: 'record', step: 0, record: { max_fragment: 16385 } }]);
    expect(ch.kind === 'send' && ch.record).toEqual({ max_fragment: 16385 });
    expect(ch.kind === 'send' && ch.mutate[0].op === 'extend' && ch.mutate[0].hex.length).toBe(2 * 16385);
  });

  it('describes faults with the step they hit', () => {
    expect(describeFault({ kind: 'mutate', step: 0, ops: [{ op: 'length', field: 'ClientHello.cipher_suites', value: 0 }] }, steps)).toBe('step 1 (ClientHello): length of ClientHello.cipher_suites = 0');
    expect(describeFault({ kind: 'interleave', step: 3, what: 'fatal_alert' }, steps)).toBe('before step 4 (application_data): fatal_alert');
  });
});

describe('generated conversations', () => {
  const reference = new ReferenceTarget();
  const bases: Base[] = [];
  beforeAll(async () => {
    for (const setting of SETTINGS) {
      const scenario = baseScenario(setting, 0);
      const { shapes, onSend } = shapeCollector();
      const p = await play(reference, caseOf(scenario, scenario.steps, `base-${setting}`), { timeoutMs: 5000, expectTimeoutMs: 300, onSend });
      expect(p.outcome, setting).toEqual({ kind: 'completes' });
      bases.push({ setting, scenario, shapes });
    }
  });
  afterAll(() => reference.stop());

  it('the bases complete against the reference, and every message the harness sends has a span map', () => {
    for (const b of bases) {
      const sends = b.scenario.steps.flatMap((s, i) => (s.kind === 'send' ? [i] : []));
      expect([...b.shapes.keys()].sort(), b.setting).toEqual(sends);
    }
  });

  it('are scenarios: each is written as YAML and read back by the loader unchanged', () => {
    for (const b of bases) {
      fc.assert(
        fc.property(conversationArbitrary(b), (c) => {
          const steps = applyFaults(b.scenario.steps, c.faults);
          const [role, version] = b.setting.split('-');
          const text = `id: x\ntitle: x\nrfc: { doc: 8446, section: "4.4.4", quote: "q", level: must }\ntarget: ${role}\nversions: [${version}]\n${stringify({ steps: steps.map(stepToYaml) }, { lineWidth: 0 })}`;
          const r = parseScenarioText(text, 'gen.yaml');
          const errors = r.diagnostics.filter((d) => d.severity === 'error' && d.kind !== 'traceability');
          expect(errors, text).toEqual([]);
          expect(r.scenarios[0].steps.map(({ loc: _l, ...s }) => s)).toEqual(steps.map(({ loc: _l, ...s }) => s));
        }),
        fcParams(60),
      );
    }
  }, fcTimeout(60));
});
