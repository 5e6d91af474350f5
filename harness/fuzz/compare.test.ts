import { describe, expect, it } from 'vitest';
import type { CaseResult } from '../engine/result.ts';
import { BASE_YAML, baseScenario } from './conversation.ts';
import { compare, leavesIncomplete } from './fuzz.ts';
import type { Outcome, Played } from './outcome.ts';

const played = (outcome: Outcome, rule?: string, step = 3): Played => ({ outcome, step, ...(rule ? { rule: { rule, alert: 'x', detail: '' } } : {}), result: {} as CaseResult });

describe('compare: differences the RFC allows (issue 15 triage)', () => {
  const alert = played({ kind: 'alert', alert: 'unexpected_message' }, 'RFC 8446 5.1');
  const close = played({ kind: 'close' });
  const silence = played({ kind: 'silence' });
  it('a TLS 1.3 close where the reference alerts is no finding (RFC 8446 6.2: MUST send alert X if it sends any alert)', () => {
    expect(compare(alert, close, { setting: 'server-tls13', faults: [] })?.kind).toBe('close-for-alert');
    // TLS 1.2: RFC 5246 7.2.2 "it MUST send the appropriate alert prior to closing the connection".
    expect(compare(alert, close, { setting: 'server-tls12', faults: [] })?.kind).toBe('abort-class');
    expect(compare(alert, close)?.kind).toBe('abort-class');
    // A target that closes at a later step went on past what the reference refused: it accepted it.
    expect(compare(alert, played({ kind: 'close' }, undefined, 6), { setting: 'server-tls13', faults: [] })?.kind).toBe('accepts');
    // The reference closes after an error alert it got; the target answers it with an alert: both abort.
    expect(compare(close, alert, { setting: 'client-tls13', faults: [] })?.kind).toBe('close-for-alert');
    expect(compare(close, played({ kind: 'alert', alert: 'unexpected_message' }, undefined, 6), { setting: 'server-tls13', faults: [] })?.kind).toBe('accepts');
  });
  it('a target that ends at an earlier step than the reference refused what the reference took up to there', () => {
    const early = played({ kind: 'close' }, undefined, 1);
    const late = played({ kind: 'alert', alert: 'decode_error' }, 'RFC 5246 7.4.9', 6);
    // One signature, whatever later fault made the reference refuse: the later fault can be dropped.
    expect(compare(late, early, { setting: 'server-tls12', faults: [] })).toEqual({ kind: 'refuses', signature: 'refuses: completes / close' });
    // The same alert at an earlier step: one fault, seen at once by the target.
    const earlyAlert = played({ kind: 'alert', alert: 'decode_error' }, undefined, 1);
    expect(compare(late, earlyAlert, { setting: 'server-tls12', faults: [] })).toBeUndefined();
  });
  it('waiting for the rest of a record or message whose length claims more than was sent is no finding', () => {
    const big = { setting: 'server-tls12' as const, faults: [{ kind: 'record' as const, step: 0, record: { length: 16385 } }] };
    expect(leavesIncomplete(big.faults)).toBe(true);
    expect(compare(alert, silence, big)?.kind).toBe('waits');
    const msg = { setting: 'client-tls13' as const, faults: [{ kind: 'mutate' as const, step: 5, ops: [{ op: 'length' as const, field: 'Finished', value: 16777215 }] }] };
    expect(compare(alert, silence, msg)?.kind).toBe('waits');
    const xored = { setting: 'client-tls12' as const, faults: [{ kind: 'mutate' as const, step: 4, ops: [{ op: 'xor' as const, pos: { field: 'ServerHelloDone', at: 1 }, value: 1 }] }] };
    expect(compare(alert, silence, xored)?.kind).toBe('waits');
    const inner = { setting: 'client-tls13' as const, faults: [{ kind: 'mutate' as const, step: 5, ops: [{ op: 'length' as const, field: 'Finished.verify_data', value: 65535 }] }] };
    expect(compare(alert, silence, inner)?.kind).toBe('hang');
    expect(compare(alert, silence, { setting: 'server-tls13', faults: [{ kind: 'drop', step: 2 }] })?.kind).toBe('hang');
  });
  it('the bases end with the strict closure first (a close without close_notify is no completion), the plain close as fallback', () => {
    for (const setting of ['server-tls13', 'server-tls12', 'client-tls13', 'client-tls12'] as const) {
      const n = BASE_YAML[setting].length;
      const last = (v: number, k: number) => baseScenario(setting, v).steps.at(k);
      expect(last(0, -2)).toMatchObject({ kind: 'expect', expect: { kind: 'closure', plainClose: false } });
      expect(last(0, -1)).toMatchObject({ kind: 'expect', expect: { kind: 'close' } });
      expect(last(n - 1, -1)).toMatchObject({ kind: 'expect', expect: { kind: 'closure', plainClose: true } });
    }
  });
});
