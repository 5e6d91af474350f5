import { describe, expect, it } from 'vitest';
import { ContentType } from '../codec/enums.ts';
import { nobleProvider as provider } from '../crypto/noble/index.ts';
import { Tls12CbcRecordProtection, Tls13RecordProtection, parseRecord } from '../crypto/record-protection.ts';
import { suiteParams } from '../crypto/suites.ts';
import { TlsError } from './errors.ts';
import { RecordLayer, type Inbound } from './record-layer.ts';

const CBC = suiteParams('TLS_RSA_WITH_AES_128_CBC_SHA')!; // 20-byte MAC
const key = Uint8Array.from({ length: 16 }, (_, i) => i + 1);
const macKey = Uint8Array.from({ length: 20 }, (_, i) => 0xa0 + i);
const iv = new Uint8Array(16).fill(0x5a);
const cbc = (etm = false) => new Tls12CbcRecordProtection(provider, CBC, key, macKey, { encryptThenMac: etm });

/** A writer and a reader record layer under the same TLS 1.2 CBC keys. */
function pair(etm = false): { w: RecordLayer; r: RecordLayer } {
  const w = new RecordLayer();
  const r = new RecordLayer();
  w.setWriteProtection(cbc(etm));
  r.setReadProtection(cbc(etm));
  return { w, r };
}

/** Everything the reader makes of the writer's output, or the TlsError it throws. */
function readAll(w: RecordLayer, r: RecordLayer): Inbound[] | TlsError {
  r.receive(w.takeOutput());
  const out: Inbound[] = [];
  try {
    for (let x = r.next(); x; x = r.next()) out.push(x);
  } catch (e) {
    if (e instanceof TlsError) return e;
    throw e;
  }
  return out;
}

describe('RecordLayer.send { encrypt }: the write protection options for the records of one send', () => {
  it('a valid 255-byte padding goes through and is read back', () => {
    const { w, r } = pair();
    const data = new Uint8Array(12).fill(7); // 12 + 20 + 1 + 255 = 288: whole blocks
    w.send(ContentType.application_data, data, { encrypt: { padding: 255, iv } });
    const out = w.takeOutput();
    expect(out.length).toBe(5 + 16 + 288);
    r.receive(out);
    expect(r.next()).toEqual({ kind: 'application_data', data, protected: true });
  });

  it('a padding_length byte that disagrees with the padding: the reader fails with bad_record_mac (RFC 5246 6.2.3.2)', () => {
    for (const etm of [false, true]) {
      const { w, r } = pair(etm);
      w.send(ContentType.application_data, new Uint8Array(12), { encrypt: { paddingLengthByte: 200 } });
      const e = readAll(w, r);
      expect(e).toBeInstanceOf(TlsError);
      expect((e as TlsError).alert).toBe('bad_record_mac');
    }
  });

  it('macXor and paddingBytes reach every record of a split send, with the same IV', () => {
    const { w, r } = pair();
    w.send(ContentType.application_data, new Uint8Array(40), { splitAt: [20], encrypt: { iv, macXor: { at: 0, value: 1 } } });
    const out = w.takeOutput();
    const first = parseRecord(out.subarray(0, 5 + ((out[3] << 8) | out[4])))!;
    const second = parseRecord(out.subarray(5 + first.fragment.length))!;
    expect([first.fragment.subarray(0, 16), second.fragment.subarray(0, 16)]).toEqual([iv, iv]);
    r.receive(out);
    expect(() => r.next()).toThrow(/bad_record_mac/);
    const p = pair();
    p.w.send(ContentType.application_data, new Uint8Array(40), { splitAt: [20], encrypt: { paddingBytes: new Uint8Array(7).fill(1) } });
    expect(readAll(p.w, p.r)).toMatchObject({ alert: 'bad_record_mac' });
  });

  it('a handshake message with encrypt options is framed at once, not coalesced into the flight', () => {
    const { w, r } = pair();
    w.send(ContentType.handshake, Uint8Array.of(20, 0, 0, 1, 0xff)); // queued in the flight
    w.send(ContentType.handshake, Uint8Array.of(20, 0, 0, 1, 0xee), { encrypt: { padding: 22 } });
    const out = w.takeOutput();
    // two records: the flight (5 + 20 + 1 + 6 = 32 bytes) and the message with its padding (5 + 20 + 1 + 22 = 48), each after a 16-byte IV
    const first = parseRecord(out.subarray(0, 5 + 48))!;
    expect([first.fragment.length, parseRecord(out.subarray(5 + 48))?.fragment.length]).toEqual([48, 64]);
    r.receive(out);
    expect([r.next(), r.next()].map((i) => i?.kind === 'handshake' && i.body[0])).toEqual([0xff, 0xee]);
  });

  it('unchecked sends pass the options too; the TLS 1.3 protection refuses the CBC-only ones', () => {
    const { w, r } = pair();
    w.send(ContentType.application_data, new Uint8Array(12), { unchecked: true, encrypt: { padding: 3 } }); // partial last block
    expect(readAll(w, r)).toMatchObject({ alert: 'bad_record_mac' });
    const t13 = new RecordLayer();
    t13.tls13 = true;
    t13.setWriteProtection(new Tls13RecordProtection(provider, suiteParams('TLS_AES_128_GCM_SHA256')!, key, new Uint8Array(12)));
    expect(t13.writeProtection?.kind).toBe('tls13');
    expect(() => t13.send(ContentType.application_data, new Uint8Array(1), { encrypt: { paddingLengthByte: 1 } })).toThrow(RangeError);
  });
});
