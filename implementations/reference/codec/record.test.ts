import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { ContentType } from './enums.ts';
import { DecodeError } from './errors.ts';
import {
  HandshakeDeframer,
  RecordDeframer,
  RecordLimits,
  encodeRecord,
  fragment,
  type TLSRecord,
} from './record.ts';
import { fcParams, fcTimeout } from './fc.ts';

/** Default runs per property (FC_NUM_RUNS overrides, FC_SEED picks the seed: see fc.ts). */
const RUNS = 200;

const arbRecord: fc.Arbitrary<TLSRecord> = fc.record({
  type: fc.integer({ min: 0, max: 255 }),
  legacy_record_version: fc.integer({ min: 0, max: 0xffff }),
  fragment: fc.uint8Array({ maxLength: 300 }),
});

function concat(parts: Uint8Array[]): Uint8Array {
  return Uint8Array.from(parts.flatMap((p) => [...p]));
}

/** Split bytes at random cut points, as TCP reads would. */
const arbSplit = (data: Uint8Array) =>
  fc.uniqueArray(fc.integer({ min: 1, max: Math.max(1, data.length - 1) }), { maxLength: 8 }).map((cuts) => {
    const sorted = cuts.filter((c) => c < data.length).sort((a, b) => a - b);
    const out: Uint8Array[] = [];
    let s = 0;
    for (const c of [...sorted, data.length]) {
      out.push(data.slice(s, c));
      s = c;
    }
    return out;
  });

describe('record framing', () => {
  it('encodes the header as RFC 8446 5.1 lays it out', () => {
    const bytes = encodeRecord({ type: ContentType.handshake, legacy_record_version: 0x0301, fragment: Uint8Array.of(1, 2, 3) });
    expect([...bytes]).toEqual([22, 3, 1, 0, 3, 1, 2, 3]);
  });

  it('writes a wrong length on purpose', () => {
    const bytes = encodeRecord({ type: 23, legacy_record_version: 0x0303, fragment: Uint8Array.of(9) }, { length: 0x4001 });
    expect([...bytes.subarray(0, 5)]).toEqual([23, 3, 3, 0x40, 0x01]);
  });

  it('deframes any sequence of records from any split of the stream', () => {
    fc.assert(
      fc.property(
        fc.array(arbRecord, { maxLength: 6 }).chain((recs) => {
          const stream = concat(recs.map((r) => encodeRecord(r)));
          return fc.tuple(fc.constant(recs), arbSplit(stream));
        }),
        ([recs, chunks]) => {
          const d = new RecordDeframer();
          const got: TLSRecord[] = [];
          for (const c of chunks) {
            d.push(c);
            got.push(...d.drain());
          }
          expect(got).toEqual(recs);
          expect(d.buffered).toBe(0);
        },
      ),
      fcParams(RUNS),
    );
  }, fcTimeout(RUNS));

  it('refuses an oversized record from its header alone (RFC 8446 5.1 record_overflow)', () => {
    const d = new RecordDeframer();
    d.push(Uint8Array.of(22, 3, 3, 0x40, 0x01)); // 2^14 + 1, no fragment bytes yet
    expect(() => d.next()).toThrow(DecodeError);
    try {
      d.next();
    } catch (e) {
      expect((e as DecodeError).alert).toBe('record_overflow');
      expect((e as DecodeError).path).toBe('TLSPlaintext.length');
    }
  });

  it('accepts exactly the limit, and the ciphertext limits once protection starts', () => {
    const d = new RecordDeframer();
    d.push(encodeRecord({ type: 23, legacy_record_version: 0x0303, fragment: new Uint8Array(RecordLimits.plaintext) }));
    expect(d.next()?.fragment.length).toBe(2 ** 14);
    d.maxFragment = RecordLimits.tls13Ciphertext;
    d.push(encodeRecord({ type: 23, legacy_record_version: 0x0303, fragment: new Uint8Array(2 ** 14 + 256) }));
    expect(d.next()?.fragment.length).toBe(2 ** 14 + 256);
    d.push(encodeRecord({ type: 23, legacy_record_version: 0x0303, fragment: new Uint8Array(2 ** 14 + 257) }));
    expect(() => d.next()).toThrow(/exceeds/);
  });

  it('garbage never throws anything but a record_overflow DecodeError', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 2000 }), (bytes) => {
        const d = new RecordDeframer();
        d.push(bytes);
        try {
          d.drain();
        } catch (e) {
          expect(e).toBeInstanceOf(DecodeError);
          expect((e as DecodeError).alert).toBe('record_overflow');
        }
      }),
      fcParams(RUNS),
    );
  }, fcTimeout(RUNS));
});

describe('fragmenting and coalescing handshake messages', () => {
  const hs = (type: number, len: number) => {
    const m = new Uint8Array(4 + len);
    m[0] = type;
    m[1] = len >> 16;
    m[2] = (len >> 8) & 0xff;
    m[3] = len & 0xff;
    for (let i = 0; i < len; i++) m[4 + i] = (i * 7 + type) & 0xff;
    return m;
  };

  it('splits at the maximum fragment and at explicit cut points', () => {
    const data = new Uint8Array(10).map((_, i) => i);
    expect(fragment(22, data, { maxFragment: 4 }).map((r) => r.fragment.length)).toEqual([4, 4, 2]);
    expect(fragment(22, data, { splitAt: [3, 3, 7] }).map((r) => [...r.fragment])).toEqual([
      [0, 1, 2],
      [3, 4, 5, 6],
      [7, 8, 9],
    ]);
    // RFC 8446 5.1: no zero-length handshake fragments; application data may be empty.
    expect(fragment(22, new Uint8Array(0))).toEqual([]);
    expect(fragment(23, new Uint8Array(0))).toHaveLength(1);
  });

  it('reassembles any coalescing and fragmentation of a flight', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 0, max: 255 }), fc.integer({ min: 0, max: 600 })), { minLength: 1, maxLength: 5 }),
        fc.integer({ min: 1, max: 700 }),
        fc.array(fc.integer({ min: 1, max: 3000 }), { maxLength: 5 }),
        (specs, maxFragment, splitAt) => {
          const msgs = specs.map(([t, l]) => hs(t, l));
          const flight = concat(msgs);
          const recs = fragment(22, flight, { maxFragment, splitAt });
          expect(recs.every((r) => r.fragment.length > 0 && r.fragment.length <= maxFragment)).toBe(true);
          const d = new HandshakeDeframer();
          const got: Uint8Array[] = [];
          for (const r of recs) {
            d.push(r.fragment);
            got.push(...d.drain().map((m) => m.raw));
          }
          expect(got).toEqual(msgs);
          expect(d.empty).toBe(true);
        },
      ),
      fcParams(RUNS),
    );
  }, fcTimeout(RUNS));

  it('reports a partial message, so a key change can be refused (RFC 8446 5.1)', () => {
    const d = new HandshakeDeframer();
    d.push(hs(20, 32).subarray(0, 10));
    expect(d.next()).toBeNull();
    expect(d.empty).toBe(false);
  });

  it('refuses an announced length above its limit before the bytes arrive, as a local limit (internal_error)', () => {
    const d = new HandshakeDeframer(1000);
    d.push(Uint8Array.of(11, 0, 0x10, 0));
    expect(d.peek()).toEqual({ msg_type: 11, length: 0x1000 });
    expect(() => d.next()).toThrow(DecodeError);
    try {
      d.next();
    } catch (e) {
      expect((e as DecodeError).alert).toBe('internal_error');
      expect((e as DecodeError).reason).toMatch(/a local limit, not a malformed message/);
    }
  });

  it('by default takes any length the uint24 allows: a 131,400-byte message in 9 fragments', () => {
    const d = new HandshakeDeframer();
    const msg = hs(1, 131_396);
    const got: Uint8Array[] = [];
    for (let off = 0; off < msg.length; off += 2 ** 14) {
      d.push(msg.subarray(off, off + 2 ** 14));
      expect(d.hasMessage).toBe(off + 2 ** 14 >= msg.length);
      got.push(...d.drain().map((m) => m.raw));
    }
    expect(got).toEqual([msg]);
    expect(d.maxMessage).toBe(2 ** 24 - 1);
  });
});
