import { describe, expect, it } from 'vitest';
import type { ScenarioCase } from '../scenario/model.ts';
import { parseScenarioText, expandCases } from '../scenario/loader.ts';
import type { CaseResult, GroupResult, TranscriptEntry, Verdict } from './result.ts';
import { applyGroups, caseOutcome, compareGroups, outcomeText, responseTimeMs } from './indist.ts';

const e = (t: number, dir: TranscriptEntry['dir'], kind: string, name: string, detail?: unknown): TranscriptEntry => ({ t, dir, kind, name, ...(detail ? { detail } : {}) });
const CONNECT = e(0, 'note', 'connect', '127.0.0.1:1');

function result(id: string, verdict: Verdict, transcript: TranscriptEntry[], recordsReceived = 1, extra: Partial<CaseResult> = {}): CaseResult {
  return { id, scenarioId: id.replace(/\[.*$/, ''), title: id, rfc: { doc: 5246, section: '7.4.7.1', quote: 'q' }, verdict, params: {}, durationMs: 50, transcript, recordsReceived, ...extra };
}

/** A TLS 1.3 ClientHello, then the target's answer. */
const answered = (...received: TranscriptEntry[]) => [CONNECT, e(1, 'sent', 'handshake', 'ClientHello'), ...received];
const ALERT = (t: number, name: string) => e(t, 'received', 'alert', name, { level: 'fatal' });
const EOF = (t: number) => e(t, 'received', 'close', 'the target closed the connection without an alert');
const RESET = (t: number) => e(t, 'received', 'close', 'the target reset the connection (ECONNRESET)');

describe('the observable outcome of a case', () => {
  it('is the received entries by kind and name, the close class and the records, not the verdict', () => {
    const r = result('a', 'pass', answered(ALERT(4, 'illegal_parameter'), EOF(5)));
    expect(caseOutcome(r)).toEqual({ received: ['alert illegal_parameter', 'close eof'], records: 1 });
    expect(outcomeText(caseOutcome(r))).toBe('alert illegal_parameter, close eof (1 record)');
    expect(outcomeText(caseOutcome({ ...r, verdict: 'fail', reason: 'x', durationMs: 999 }))).toBe(outcomeText(caseOutcome(r)));
    expect(caseOutcome(result('b', 'lenient', answered(RESET(3)), 0)).received).toEqual(['close reset']);
  });

  it('notes and sends are not part of it; nothing received is silence', () => {
    const r = result('a', 'fail', [...answered(e(3, 'received', 'handshake', 'ServerHello')), e(4, 'note', 'violation', 'x'), e(5, 'sent', 'alert', 'decode_error')], 2);
    expect(outcomeText(caseOutcome(r))).toBe('handshake ServerHello (2 records)');
    expect(outcomeText(caseOutcome(result('n', 'fail', answered(), 0)))).toBe('silence (0 records)');
  });

  it('an unreadable record is a class, whatever the message; a warning alert says so', () => {
    const a = result('a', 'fail', answered(e(3, 'received', 'record', 'unreadable: bad_record_mac at offset 12'), EOF(4)));
    const b = result('b', 'fail', answered(e(3, 'received', 'record', 'unreadable: bad_record_mac at offset 40'), EOF(4)));
    expect(outcomeText(caseOutcome(a))).toBe(outcomeText(caseOutcome(b)));
    expect(caseOutcome(result('w', 'pass', answered(e(3, 'received', 'alert', 'user_canceled', { level: 'warning' })))).received[0]).toBe('alert user_canceled (warning)');
  });

  it('over a reconnect: what each connection got, in order', () => {
    const r = result('a', 'pass', [...answered(ALERT(3, 'decode_error'), EOF(4)), e(5, 'note', 'connect', 'x'), e(6, 'sent', 'handshake', 'ClientHello'), ALERT(9, 'decode_error')], 2);
    expect(caseOutcome(r).received).toEqual(['alert decode_error', 'close eof', 'alert decode_error']);
  });

  it('the response time runs from the last send to the first reaction after it, or to the end', () => {
    const t = [CONNECT, e(1, 'sent', 'handshake', 'ClientHello'), e(8, 'received', 'handshake', 'ServerHello'), e(10, 'sent', 'handshake', 'Finished'), e(17, 'note', 'x', 'y'), ALERT(23, 'decrypt_error'), EOF(30)];
    expect(responseTimeMs(result('a', 'pass', t))).toBe(13);
    expect(responseTimeMs(result('b', 'fail', t.slice(0, 4)))).toBe(40); // durationMs 50 - 10
    expect(responseTimeMs(result('c', 'fail', [CONNECT]))).toBe(50);
  });
});

const SCENARIO = `id: robot
title: padding variants
rfc: { doc: 5246, section: 7.4.7.1, quote: "q" }
target: server
versions: [tls13]
matrix: { suite: [TLS_AES_128_GCM_SHA256, TLS_AES_256_GCM_SHA384], pad: [good, bad, short] }
indistinguishable: [pad]
config: { cipher_suites: ["\${suite}"] }
steps:
  - send: ClientHello
    set: { note: "\${pad}" }
  - expect: { alert: decrypt_error }
`;

function robotCases(): ScenarioCase[] {
  const r = parseScenarioText(SCENARIO, 'robot.yaml');
  expect(r.diagnostics).toEqual([]);
  return expandCases(r.scenarios[0]);
}

describe('comparing groups', () => {
  const cases = robotCases();
  const alert = (name: string) => answered(ALERT(4, name), EOF(6));
  // suite=128: all three variants decrypt_error; suite=256: 'short' gets decode_error (an oracle)
  const results = cases.map((c) => result(c.id, c.params.pad === 'short' && c.params.suite === 'TLS_AES_256_GCM_SHA384' ? 'lenient' : 'pass', alert(c.params.pad === 'short' && c.params.suite === 'TLS_AES_256_GCM_SHA384' ? 'decode_error' : 'decrypt_error'), 1, { params: c.params }));

  it('one group per combination of the other parameters, in run order', () => {
    const groups = compareGroups(cases, results);
    expect(groups.map((g) => g.id)).toEqual(['robot[suite=TLS_AES_128_GCM_SHA256]', 'robot[suite=TLS_AES_256_GCM_SHA384]']);
    expect(groups[0]).toEqual({
      id: 'robot[suite=TLS_AES_128_GCM_SHA256]',
      scenarioId: 'robot',
      cases: cases.slice(0, 3).map((c) => c.id),
      variants: ['pad=good', 'pad=bad', 'pad=short'],
      outcomes: Array(3).fill('alert decrypt_error, close eof (1 record)'),
      timesMs: [3, 3, 3],
      equal: true,
      notes: [],
    });
    expect(groups[1].equal).toBe(false);
    expect(groups[1].outcomes[2]).toBe('alert decode_error, close eof (1 record)');
  });

  it('a group that differs fails every case that passed alone, with the table; an equal one changes nothing', () => {
    const groups = compareGroups(cases, results);
    const judged = applyGroups(results, groups);
    expect(judged.slice(0, 3)).toEqual(results.slice(0, 3));
    for (const c of judged.slice(3)) {
      expect(c.verdict).toBe('fail');
      expect(c.reason).toBe('indistinguishability group robot[suite=TLS_AES_256_GCM_SHA384]: the variants differ');
    }
    expect(judged[3].observed).toBe(
      ['pad=good: alert decrypt_error, close eof (1 record), 3 ms', 'pad=bad: alert decrypt_error, close eof (1 record), 3 ms', 'pad=short: alert decode_error, close eof (1 record), 3 ms'].join('\n'),
    );
    expect(judged[5].observed).toMatch(/\nthis case alone: lenient$/);
    // the input is not changed
    expect(results[3].verdict).toBe('pass');
  });

  it('a different record count alone is a difference', () => {
    const r = results.slice(0, 3).map((x, i) => ({ ...x, recordsReceived: i === 1 ? 2 : 1 }));
    const [g] = compareGroups(cases.slice(0, 3), r);
    expect(g.equal).toBe(false);
    expect(g.outcomes[1]).toBe('alert decrypt_error, close eof (2 records)');
  });

  it('skips and errors are left out with a note; fails keep their own verdict; a missing case is noted', () => {
    const r: (CaseResult | undefined)[] = [
      result(cases[0].id, 'skip', [], 0, { reason: 'the target lacks TLS_AES_128_GCM_SHA256' }),
      result(cases[1].id, 'fail', alert('decrypt_error'), 1, { reason: 'own failure' }),
      result(cases[2].id, 'pass', answered(EOF(4)), 0),
      result(cases[3].id, 'error', [], 0, { reason: 'harness: boom' }),
      result(cases[4].id, 'pass', alert('decrypt_error')),
      undefined,
    ];
    const groups = compareGroups(cases, r);
    expect(groups[0]).toMatchObject({ outcomes: [null, 'alert decrypt_error, close eof (1 record)', 'close eof (0 records)'], timesMs: [null, 3, 3], equal: false });
    expect(groups[0].notes).toEqual(['pad=good: left out (skip: the target lacks TLS_AES_128_GCM_SHA256)']);
    expect(groups[1]).toMatchObject({ cases: [cases[3].id, cases[4].id], equal: true });
    expect(groups[1].notes).toEqual(['pad=good: left out (error: harness: boom)', 'pad=short: did not finish (the run was interrupted)', 'fewer than two variants to compare']);
    const judged = applyGroups(r.filter((x): x is CaseResult => x !== undefined), groups);
    expect(judged.map((c) => c.verdict)).toEqual(['skip', 'fail', 'fail', 'error', 'pass']);
    expect(judged[1].reason).toBe('own failure');
    expect(judged[2].reason).toMatch(/^indistinguishability group robot\[suite=TLS_AES_128_GCM_SHA256\]/);
  });

  it('cases without a group are never compared', () => {
    const plain = { ...cases[0], group: undefined };
    expect(compareGroups([plain], [results[0]])).toEqual([]);
    const g: GroupResult[] = [];
    expect(applyGroups(results, g)).toEqual(results);
  });
});
