import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ContentType } from '../../implementations/reference/codec/enums.ts';
import { nobleProvider as provider } from '../../implementations/reference/crypto/noble/index.ts';
import { Tls12AeadRecordProtection, Tls12CbcRecordProtection, Tls13RecordProtection } from '../../implementations/reference/crypto/record-protection.ts';
import { suiteParams } from '../../implementations/reference/crypto/suites.ts';
import { RecordLayer } from '../../implementations/reference/connection/record-layer.ts';
import { ReferenceTarget } from '../targets/reference.ts';
import type { RecordOptions, Step } from '../scenario/model.ts';
import { cbcEncryptOptions } from './cbc-record.ts';
import { ScenarioRuntimeError } from './fields.ts';
import { runCase } from './run-case.ts';
import { SERVER_FLIGHT, TEST_LOC, expectMessages, expectStep, sendStep, testCase } from './testing.ts';

const CBC = suiteParams('TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384')!; // 48-byte MAC
const key = new Uint8Array(32).fill(3);
const macKey = new Uint8Array(48).fill(4);
const cbcLayers = (etm = false) => {
  const w = new RecordLayer();
  const r = new RecordLayer();
  w.setWriteProtection(new Tls12CbcRecordProtection(provider, CBC, key, macKey, { encryptThenMac: etm }));
  r.setReadProtection(new Tls12CbcRecordProtection(provider, CBC, key, macKey, { encryptThenMac: etm }));
  return { w, r };
};

describe('cbcEncryptOptions: record.cbc as the write protection options (RFC 5246 6.2.3.2)', () => {
  it('maps the scenario keys; none is none', () => {
    const { w } = cbcLayers();
    expect(cbcEncryptOptions(w, undefined)).toBeUndefined();
    expect(cbcEncryptOptions(w, { padding_length: 7, padding: '0707', padding_length_byte: 9, mac_xor: { at: -48, value: 2 }, iv: '01'.repeat(16) })).toEqual({
      unchecked: true,
      padding: 7,
      paddingBytes: Uint8Array.of(7, 7),
      paddingLengthByte: 9,
      macXor: { at: -48, value: 2 },
      iv: new Uint8Array(16).fill(1),
    });
  });

  it('the records it makes: the valid 255-byte padding is read back, a bad padding byte or MAC is bad_record_mac', () => {
    const data = new Uint8Array(17); // 17 + 48 + 1 + 254 = 320: padding 14 + 16n
    const read = (cbc: Parameters<typeof cbcEncryptOptions>[1], etm = false) => {
      const { w, r } = cbcLayers(etm);
      w.send(ContentType.application_data, data, { encrypt: cbcEncryptOptions(w, cbc) });
      r.receive(w.takeOutput());
      try {
        return r.next()?.kind;
      } catch (e) {
        return (e as { alert?: string }).alert;
      }
    };
    expect(read({ padding_length: 254 })).toBe('application_data');
    expect(read({ padding: '0d'.repeat(13) + '0c' })).toBe('bad_record_mac');
    expect(read({ padding_length_byte: 15 })).toBe('bad_record_mac');
    expect(read({ mac_xor: { at: 47, value: 1 } })).toBe('bad_record_mac');
    expect(read({ mac_xor: { at: 0, value: 1 } }, true)).toBe('bad_record_mac');
    expect(read({ padding_length: 15 })).toBe('bad_record_mac'); // does not fill the block: sent anyway
  });

  it('anything but TLS 1.2 CBC records, an IV or a MAC offset the suite does not have: a scenario error', () => {
    const t13 = new RecordLayer();
    t13.setWriteProtection(new Tls13RecordProtection(provider, suiteParams('TLS_AES_128_GCM_SHA256')!, new Uint8Array(16), new Uint8Array(12)));
    const gcm = new RecordLayer();
    gcm.setWriteProtection(new Tls12AeadRecordProtection(provider, suiteParams('TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256')!, new Uint8Array(16), new Uint8Array(4)));
    expect(() => cbcEncryptOptions(new RecordLayer(), {})).toThrow(/no write keys yet/);
    expect(() => cbcEncryptOptions(t13, {})).toThrow(/these are TLS 1.3 records/);
    expect(() => cbcEncryptOptions(gcm, {})).toThrow(/TLS 1.2 AEAD records/);
    const { w } = cbcLayers();
    expect(() => cbcEncryptOptions(w, { iv: '00'.repeat(8) })).toThrow(ScenarioRuntimeError);
    expect(() => cbcEncryptOptions(w, { mac_xor: { at: 48, value: 1 } })).toThrow(/outside the 48-byte MAC/);
    expect(() => cbcEncryptOptions(w, { mac_xor: { at: -49, value: 1 } })).toThrow(ScenarioRuntimeError);
  });
});

// The wiring in run-case, as far as it goes without a TLS 1.2 peer: application_data takes record options,
// and record.cbc on TLS 1.3 records ends the case with verdict error naming the step.
describe('runCase: record options of application_data steps (TLS 1.3 reference target)', () => {
  const target = new ReferenceTarget();
  beforeAll(() => target.start());
  afterAll(() => target.stop());
  const opts = { timeoutMs: 5000, expectTimeoutMs: 1500 };
  const handshake: Step[] = [sendStep('ClientHello'), expectMessages(SERVER_FLIGHT), sendStep('Finished')];
  const appData = (record: RecordOptions): Step => ({
    kind: 'send_application_data',
    data: new TextEncoder().encode('ping'),
    record,
    loc: { ...TEST_LOC, line: 9 },
  });

  it('wire_xor on the last byte (the AEAD tag) gets bad_record_mac; tcp_split delivers the record in pieces', async () => {
    const r = await runCase(testCase([...handshake, appData({ wire_xor: { at: -1, value: 1 }, tcp_split: [2] }), expectStep({ kind: 'alert', alerts: ['bad_record_mac'], lenient: false })]), target, opts);
    expect(r.reason).toBeUndefined();
    expect(r.verdict).toBe('pass');
    const good = await runCase(testCase([...handshake, appData({ tcp_split: [2, 7] }), expectStep({ kind: 'silence', ms: 200 })]), target, opts);
    expect([good.verdict, good.reason]).toEqual(['pass', undefined]);
  });

  it('record.cbc on TLS 1.3 records is verdict error naming the step', async () => {
    const r = await runCase(testCase([...handshake, appData({ cbc: { padding_length: 1 } })]), target, opts);
    expect(r.verdict).toBe('error');
    expect(r.reason).toMatch(/^scenario: record.cbc needs TLS 1.2 CBC records .*TLS 1.3 records \(step 4, test.yaml:9:1\)$/);
    const send = await runCase(testCase([sendStep('ClientHello'), expectMessages(SERVER_FLIGHT), sendStep('Finished', { record: { cbc: {} } })]), target, opts);
    expect(send.verdict).toBe('error');
    expect(send.reason).toMatch(/record.cbc needs TLS 1.2 CBC records/);
  });
});
