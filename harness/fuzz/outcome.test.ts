import { afterAll, describe, expect, it } from 'vitest';
import type { CaseResult } from '../engine/result.ts';
import { ReferenceTarget } from '../targets/reference.ts';
import { applyFaults, baseScenario, caseOf } from './conversation.ts';
import { compare, difference } from './fuzz.ts';
import { classify, play, type Outcome, type Played } from './outcome.ts';

const result = (verdict: CaseResult['verdict'], extra: Partial<CaseResult> = {}): CaseResult =>
  ({ id: 'x', scenarioId: 'x', title: 'x', rfc: { doc: 8446, section: '4', quote: 'q' }, verdict, params: {}, durationMs: 1, transcript: [], ...extra }) as CaseResult;

describe('classify', () => {
  it('reduces what a case observed to an outcome class', () => {
    expect(classify(result('pass'))).toEqual({ kind: 'completes' });
    expect(classify(result('lenient'))).toEqual({ kind: 'completes' });
    expect(classify(result('fail', { observed: 'alert decode_error' }))).toEqual({ kind: 'alert', alert: 'decode_error' });
    expect(classify(result('fail', { observed: 'alert unknown(200)' }))).toEqual({ kind: 'alert', alert: 'unknown(200)' });
    // A close and a reset are one class (which one the harness sees is the kernel's timing).
    expect(classify(result('fail', { observed: 'the target closed the connection without an alert' }))).toEqual({ kind: 'close' });
    expect(classify(result('fail', { observed: 'the target reset the connection' }))).toEqual({ kind: 'close' });
    expect(classify(result('fail', { observed: 'nothing within 500 ms' }))).toEqual({ kind: 'silence' });
    expect(classify(result('fail', { observed: 'nothing (the target was idle, waiting for input)' }))).toEqual({ kind: 'silence' });
    expect(classify(result('fail', { observed: 'ServerHello, EncryptedExtensions' })).kind).toBe('sends');
    expect(classify(result('fail', { observed: 'application data (5 bytes)' }))).toEqual({ kind: 'sends', message: 'application_data' });
    expect(classify(result('fail', { observed: 'an unreadable record (bad MAC)' })).kind).toBe('garbage');
    expect(classify(result('fail', { reason: 'ServerHello breaks RFC 8446 4.1.3: x', expected: 'ServerHello as RFC 8446 4.1.3 requires', observed: 'ServerHello (x)' })).kind).toBe('violation');
    expect(classify(result('fail', { reason: 'the target crashed: exit code 134', observed: 'exit code 134' }))).toEqual({ kind: 'crash', detail: 'exit code 134' });
    expect(classify(result('error', { reason: 'scenario: xor: no field' })).kind).toBe('error');
    expect(classify(result('skip', { reason: 'needs tls12' })).kind).toBe('error');
  });
});

describe('compare', () => {
  const p = (outcome: Outcome, rule?: string): Played => ({ outcome, result: result('pass'), ...(rule ? { rule: { rule, alert: 'x', detail: 'd' } } : {}) });
  const alert = (a: string): Outcome => ({ kind: 'alert', alert: a });
  const completes: Outcome = { kind: 'completes' };
  it('agrees on the same class, and names each kind of difference', () => {
    expect(compare(p(completes), p(completes))).toBeUndefined();
    expect(compare(p(alert('decode_error')), p(alert('decode_error')))).toBeUndefined();
    expect(compare(p({ kind: 'close' }), p({ kind: 'close' }))).toBeUndefined();
    expect(compare(p(alert('decode_error'), 'RFC 8446 4.1.2'), p(completes))).toEqual({ kind: 'accepts', signature: 'accepts: alert decode_error [RFC 8446 4.1.2] / completes' });
    expect(compare(p(alert('decode_error')), p({ kind: 'sends', message: 'ServerHello' }))?.kind).toBe('accepts');
    expect(compare(p(completes), p(alert('decode_error')))?.kind).toBe('refuses');
    expect(compare(p(completes), p({ kind: 'close' }))?.kind).toBe('refuses');
    expect(compare(p(alert('decode_error')), p({ kind: 'close' }))?.kind).toBe('abort-class');
    expect(compare(p(alert('decode_error')), p(alert('illegal_parameter')))?.kind).toBe('alert-name');
    expect(compare(p(alert('decode_error')), p({ kind: 'silence' }))?.kind).toBe('hang');
    expect(compare(p({ kind: 'silence' }), p(alert('record_overflow')))?.kind).toBe('reference-waits');
    expect(compare(p(completes), p({ kind: 'crash', detail: 'signal SIGSEGV' }))?.kind).toBe('crash');
    expect(compare(p(completes), p({ kind: 'garbage', detail: 'x' }))?.kind).toBe('garbage');
    expect(compare(p(completes), p({ kind: 'violation', detail: 'x' }))?.kind).toBe('violation');
    expect(compare(p({ kind: 'sends', message: 'ServerHello' }), p({ kind: 'sends', message: 'HelloRetryRequest' }))?.kind).toBe('diverges');
    expect(compare(p(completes), p({ kind: 'sends', message: 'KeyUpdate' }))?.kind).toBe('diverges');
    expect(compare(p({ kind: 'sends', message: 'ServerHello' }), p(alert('decode_error')))?.kind).toBe('refuses');
  });
});

describe('play', () => {
  const reference = new ReferenceTarget({ recordErrors: true });
  afterAll(() => reference.stop());
  it('names the rule the reference refused a conversation by', async () => {
    const base = baseScenario('server-tls13');
    const steps = applyFaults(base.steps, [{ kind: 'mutate', step: 0, ops: [{ op: 'length', field: 'ClientHello.cipher_suites', value: 3 }] }]);
    const r = await play(reference, caseOf(base, steps, 'play-1'), { timeoutMs: 5000, expectTimeoutMs: 300 });
    expect(r.outcome).toEqual({ kind: 'alert', alert: 'decode_error' });
    expect(r.step).toBe(1);
    expect(r.rule?.alert).toBe('decode_error');
    expect(r.rule?.rule).toMatch(/^RFC 8446 /);
    const ok = await play(reference, caseOf(base, base.steps, 'play-2'), { timeoutMs: 5000, expectTimeoutMs: 300 });
    expect(ok.outcome).toEqual({ kind: 'completes' });
    expect(ok.rule).toBeUndefined();
  });
});

describe('difference', () => {
  const p = (outcome: Outcome, rule?: { rule: string; detail: string }): Played => ({ outcome, result: result('pass'), ...(rule ? { rule: { ...rule, alert: 'x' } } : {}) });
  const completes: Outcome = { kind: 'completes' };
  it('calls a refusal by a rule on the sender a stricter reference, not a finding', () => {
    const ref = p({ kind: 'alert', alert: 'unexpected_message' }, { rule: 'RFC 8446 5.1', detail: 'zero-length handshake fragment' });
    expect(difference(ref, p(completes), { setting: 'server-tls13', faults: [{ kind: 'interleave', step: 0, what: 'empty_handshake' }] }, 'server')?.kind).toBe('stricter');
    const bad = p({ kind: 'alert', alert: 'decrypt_error' }, { rule: 'RFC 8446 4.4.4', detail: 'client Finished verify_data is wrong' });
    expect(difference(bad, p(completes), { setting: 'server-tls13', faults: [{ kind: 'mutate', step: 2, ops: [{ op: 'xor', pos: { field: 'Finished.verify_data', at: 0 }, value: 1 }] }] }, 'server')?.kind).toBe('accepts');
  });
  it('does not judge going on or stopping after a warning alert the RFC leaves to the receiver', () => {
    const steps = baseScenario('server-tls12').steps;
    const warned = { setting: 'server-tls12' as const, faults: [{ kind: 'interleave' as const, step: 1, what: 'warning_alert' as const }] };
    expect(difference(p(completes), p({ kind: 'alert', alert: 'handshake_failure' }), warned, 'server', steps)?.kind).toBe('warning-choice');
    // What else the target does after it is judged.
    expect(difference(p(completes), p({ kind: 'garbage', detail: 'x' }), warned, 'server', steps)?.kind).toBe('garbage');
    // TLS 1.3 after the ServerHello: every alert is an error alert (RFC 8446 6), going on is accepting it.
    const steps13 = baseScenario('server-tls13').steps;
    const warned13 = { setting: 'server-tls13' as const, faults: [{ kind: 'interleave' as const, step: 3, what: 'warning_alert' as const }] };
    expect(difference(p({ kind: 'close' }), p(completes), warned13, 'server', steps13)?.kind).toBe('accepts');
  });

  it('calls silence after a changed length waiting, not a hang', () => {
    const ref = p({ kind: 'alert', alert: 'record_overflow' }, { rule: 'RFC 8446 5.1', detail: 'record too long' });
    expect(difference(ref, p({ kind: 'silence' }), { setting: 'server-tls13', faults: [{ kind: 'record', step: 0, record: { length: 18433 } }] }, 'server')?.kind).toBe('waits');
    expect(difference(ref, p({ kind: 'silence' }), { setting: 'server-tls13', faults: [{ kind: 'mutate', step: 0, ops: [{ op: 'truncate', pos: { field: 'ClientHello.extensions' } }] }] }, 'server')?.kind).toBe('waits');
    expect(difference(ref, p({ kind: 'silence' }), { setting: 'server-tls13', faults: [{ kind: 'drop', step: 2 }] }, 'server')?.kind).toBe('hang');
  });
});
