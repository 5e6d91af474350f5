import { afterAll, describe, expect, it } from 'vitest';
import { ReferenceTarget } from '../targets/reference.ts';
import { expandAll, parseScenarioText } from '../scenario/loader.ts';
import { runCase } from '../engine/run-case.ts';
import { applyFaults, baseScenario, caseOf, type Conversation } from './conversation.ts';
import { acceptanceCitation, bindsTarget, citation, findingToYaml, knownAs } from './finding-yaml.ts';
import { play, type Played } from './outcome.ts';
import type { Finding } from './fuzz.ts';

describe('citation', () => {
  it("cites a sentence of the rule's section that names the alert, else the generic one", () => {
    expect(citation('RFC 8446 4.4.4', 'decrypt_error')?.id).toBe('rfc8446-4.4.4-1');
    expect(citation('RFC 8446 4', 'decode_error')?.id).toBe('rfc8446-6-6');
    expect(citation('RFC 8446 4', 'illegal_parameter')?.id).toBe('rfc8446-6-7');
    expect(citation('not a rule', 'decode_error')).toBeUndefined();
  });

  it('prefers the sentence that says what the reference found, and tells a rule on the sender from one on the receiver', () => {
    const s = citation('RFC 8446 5.1', 'unexpected_message', 'zero-length handshake fragment')!;
    expect(s.id).toBe('rfc8446-5.1-8'); // "Implementations MUST NOT send zero-length fragments of Handshake types"
    expect(bindsTarget(s, 'server')).toBe(false);
    expect(bindsTarget(citation('RFC 8446 4.4.4', 'decrypt_error')!, 'server')).toBe(true);
    expect(bindsTarget(citation('RFC 8446 4', 'decode_error')!, 'client')).toBe(true);
  });

  it("knows a finding the target's expected failures already quote", () => {
    const s = citation('RFC 8446 4.4.4', 'decrypt_error');
    const expected = [{ id: 'tls13-finished-*', reason: 'It takes a bad Finished. RFC 8446 4.4.4: "Recipients of Finished messages MUST verify that the contents are correct and if incorrect MUST terminate the connection with a "decrypt_error" alert."' }];
    expect(knownAs(s, expected)).toBe('tls13-finished-*');
    expect(knownAs(citation('RFC 8446 4', 'decode_error'), expected)).toBeUndefined();
    expect(knownAs(undefined, expected)).toBeUndefined();
  });

  it('cites what allows the faults when the reference completes the conversation', () => {
    expect(acceptanceCitation('server-tls13', [{ kind: 'record', step: 0, record: { fragment_at: [5] } }])?.id).toBe('rfc8446-5.1-2');
    expect(acceptanceCitation('client-tls12', [{ kind: 'record', step: 1, record: { coalesce: true } }])?.id).toBe('rfc5246-6.2.1-1');
    expect(acceptanceCitation('server-tls13', [{ kind: 'mutate', step: 0, ops: [{ op: 'insert_extension', type: 0x7a7a, hex: '' }] }])?.id).toBe('rfc8446-4.1.2-16');
    // A known extension, or the client role (where an unsolicited extension is an error), is not covered.
    expect(acceptanceCitation('server-tls13', [{ kind: 'mutate', step: 0, ops: [{ op: 'insert_extension', type: 'early_data', hex: '' }] }])).toBeUndefined();
    expect(acceptanceCitation('client-tls13', [{ kind: 'mutate', step: 1, ops: [{ op: 'insert_extension', type: 0x7a7a, hex: '' }] }])).toBeUndefined();
    expect(acceptanceCitation('server-tls13', [{ kind: 'drop', step: 2 }])).toBeUndefined();
  });
});

describe('findingToYaml', () => {
  const reference = new ReferenceTarget({ recordErrors: true });
  afterAll(() => reference.stop());
  const po = { timeoutMs: 5000, expectTimeoutMs: 300 };

  async function finding(conversation: Conversation, target: Played['outcome']): Promise<Finding> {
    const base = baseScenario(conversation.setting);
    const steps = applyFaults(base.steps, conversation.faults);
    const ref = await play(reference, caseOf(base, steps, `f-${Math.random()}`), po);
    return {
      kind: 'accepts',
      signature: 'accepts: x / completes',
      conversation,
      steps,
      scenario: base,
      baseSteps: base.steps,
      config: base.config,
      reference: ref,
      target: { outcome: target, result: { ...ref.result, verdict: 'pass', reason: undefined } },
      seed: 15,
      path: '3:1',
      shrunk: true,
    };
  }

  async function replay(yaml: string) {
    const r = parseScenarioText(yaml, 'finding.yaml');
    expect(r.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    const [c] = expandAll(r.scenarios);
    return runCase(c, reference, po);
  }

  it('ends the conversation where the reference refused it, with its alert and the sentence behind its rule', async () => {
    const f = await finding({ setting: 'server-tls13', faults: [{ kind: 'mutate', step: 2, ops: [{ op: 'xor', pos: { field: 'Finished.verify_data', at: 0 }, value: 1 }] }] }, { kind: 'completes' });
    const w = findingToYaml(f, 'openssl', 'fuzz-openssl-1');
    expect(w.yaml).toContain('quote: Recipients of Finished messages MUST verify');
    expect(w.yaml).toContain('# seed 15, path 3:1');
    expect(w.yaml).toContain('# fault: step 3 (Finished): xor Finished.verify_data with 0x1');
    expect(w.yaml).toMatch(/alert: decrypt_error\n\s+lenient: false/);
    // The reference passes its own answer back.
    expect((await replay(w.yaml!)).verdict).toBe('pass');
  });

  it('keeps the whole conversation when the reference completes it, citing what allows the fault', async () => {
    const f = await finding({ setting: 'server-tls12', faults: [{ kind: 'record', step: 0, record: { fragment_at: [7] } }] }, { kind: 'alert', alert: 'decode_error' });
    expect(f.reference.outcome).toEqual({ kind: 'completes' });
    const w = findingToYaml(f, 'x', 'fuzz-x-1');
    expect(w.yaml).toContain('rfc5246-6.2.1-1');
    expect(w.yaml).toContain('fragment_at');
    expect((await replay(w.yaml!)).verdict).toBe('pass');
  });

  it('writes no scenario when no sentence backs the reference, and says why', async () => {
    const f = await finding({ setting: 'server-tls13', faults: [{ kind: 'mutate', step: 0, ops: [{ op: 'xor', pos: { field: 'ClientHello.random', at: 0 }, value: 1 }] }] }, { kind: 'alert', alert: 'decode_error' });
    const w = findingToYaml(f, 'x', 'fuzz-x-2');
    expect(w.yaml).toBeUndefined();
    expect(w.why).toMatch(/no RFC sentence/);
    expect(w.steps).toContain('ClientHello.random');
  });
});
