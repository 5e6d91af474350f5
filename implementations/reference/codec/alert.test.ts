import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  decodeAlert,
  decodeChangeCipherSpec,
  encodeAlert,
  encodeChangeCipherSpec,
  tryDecodeAlert,
  tryDecodeChangeCipherSpec,
} from './alert.ts';
import { DecodeError } from './errors.ts';
import { AlertDescription, AlertLevel } from './enums.ts';
import { fcParams, fcTimeout } from './fc.ts';

function decodeError(f: () => unknown): DecodeError {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(DecodeError);
    return e as DecodeError;
  }
  throw new Error('expected a DecodeError');
}

describe('Alert', () => {
  it('encodes level then description', () => {
    expect(encodeAlert({ level: AlertLevel.fatal, description: AlertDescription.decode_error })).toEqual(Uint8Array.of(2, 50));
    expect(decodeAlert(Uint8Array.of(1, 0))).toEqual({ level: AlertLevel.warning, description: AlertDescription.close_notify });
  });

  it('keeps unknown levels and descriptions (open enums)', () => {
    expect(decodeAlert(Uint8Array.of(7, 250))).toEqual({ level: 7, description: 250 });
  });

  it('rejects any length but 2 with decode_error', () => {
    let e = decodeError(() => decodeAlert(Uint8Array.of(2)));
    expect([e.alert, e.path]).toEqual(['decode_error', 'Alert.description']);
    e = decodeError(() => decodeAlert(Uint8Array.of()));
    expect([e.alert, e.path]).toEqual(['decode_error', 'Alert.level']);
    e = decodeError(() => decodeAlert(Uint8Array.of(2, 50, 2, 50)));
    expect([e.alert, e.path, e.offset]).toEqual(['decode_error', 'Alert', 2]);
  });

  it('append override adds trailing bytes', () => {
    expect(encodeAlert({ level: 2, description: 10 }, { append: { Alert: Uint8Array.of(0) } })).toEqual(Uint8Array.of(2, 10, 0));
  });

  it('round-trips every 2-byte value; other lengths fail cleanly', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 255 }), fc.integer({ min: 0, max: 255 }), (level, description) => {
        const b = encodeAlert({ level, description });
        expect(decodeAlert(b)).toEqual({ level, description });
      }),
      fcParams(200),
    );
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 8 }), (b) => {
        const r = tryDecodeAlert(b);
        expect(r.ok).toBe(b.length === 2);
        if (r.ok) expect(encodeAlert(r.value)).toEqual(b);
        else expect(r.error.alert).toBe('decode_error');
      }),
      fcParams(200),
    );
  }, fcTimeout(200));
});

describe('ChangeCipherSpec', () => {
  it('is the single byte 0x01', () => {
    expect(encodeChangeCipherSpec()).toEqual(Uint8Array.of(1));
    expect(decodeChangeCipherSpec(Uint8Array.of(1))).toEqual({ value: 1 });
    expect(decodeChangeCipherSpec(Uint8Array.of(1), 'tls12')).toEqual({ value: 1 });
  });

  it('a wrong value can be encoded on purpose', () => {
    expect(encodeChangeCipherSpec({ value: 2 })).toEqual(Uint8Array.of(2));
    expect(encodeChangeCipherSpec({ value: 1 }, { append: { ChangeCipherSpec: Uint8Array.of(1) } })).toEqual(Uint8Array.of(1, 1));
  });

  it('TLS 1.3: anything else is unexpected_message (RFC 8446 5)', () => {
    for (const b of [Uint8Array.of(0), Uint8Array.of(2), Uint8Array.of(), Uint8Array.of(1, 1)]) {
      const e = decodeError(() => decodeChangeCipherSpec(b));
      expect([e.alert, e.path]).toEqual(['unexpected_message', 'ChangeCipherSpec']);
    }
  });

  it('TLS 1.2: a wrong length is decode_error, a wrong value illegal_parameter', () => {
    let e = decodeError(() => decodeChangeCipherSpec(Uint8Array.of(1, 1), 'tls12'));
    expect([e.alert, e.path]).toEqual(['decode_error', 'ChangeCipherSpec']);
    e = decodeError(() => decodeChangeCipherSpec(Uint8Array.of(), 'tls12'));
    expect([e.alert, e.path]).toEqual(['decode_error', 'ChangeCipherSpec.type']);
    e = decodeError(() => decodeChangeCipherSpec(Uint8Array.of(0), 'tls12'));
    expect([e.alert, e.path]).toEqual(['illegal_parameter', 'ChangeCipherSpec.type']);
  });

  it('random bytes never throw anything but a DecodeError', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 4 }), fc.constantFrom('tls12' as const, 'tls13' as const), (b, v) => {
        const r = tryDecodeChangeCipherSpec(b, v);
        expect(r.ok).toBe(b.length === 1 && b[0] === 1);
      }),
      fcParams(200),
    );
  }, fcTimeout(200));
});
