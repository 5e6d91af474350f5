/**
 * The bodies of the two one-message content types: Alert (RFC 8446 6, RFC 5246 7.2) and ChangeCipherSpec
 * (RFC 8446 5, RFC 5246 7.1). The record layer (record.ts) hands each record's fragment here whole.
 *
 * Both models keep plain numbers, so a scenario can encode a wrong level, description or CCS value on
 * purpose. Decoding:
 * - Alert: exactly 2 bytes; any other length is a decode_error (RFC 8446 5.1: alerts are never fragmented
 *   or coalesced, so a record holds one whole alert). Level and description stay open enums (RFC 8446 6.2:
 *   unknown alerts are the endpoint's to handle).
 * - ChangeCipherSpec, TLS 1.3 (default): RFC 8446 5 — anything other than the single byte 0x01 is an
 *   unexpected_message. TLS 1.2: RFC 5246 7.1 — a length other than 1 is a decode_error and a value other than
 *   change_cipher_spec(1) an illegal_parameter (RFC 5246 defines no alert for it; this is the harness's choice
 *   and matches common implementations).
 */
import { Reader } from './reader.ts';
import { Writer, type EncodeOverrides } from './writer.ts';
import { DecodeError, decoded, type Decoded } from './errors.ts';

/** RFC 8446 6: struct { AlertLevel level; AlertDescription description; } Alert; */
export interface Alert {
  level: number;
  description: number;
}

/** RFC 8446 5 / RFC 5246 7.1: struct { enum { change_cipher_spec(1), (255) } type; } ChangeCipherSpec; */
export interface ChangeCipherSpec {
  value: number;
}

/** Encode an Alert (paths `Alert.level`, `Alert.description`; `append['Alert']` adds trailing bytes). */
export function encodeAlert(alert: Alert, overrides?: EncodeOverrides): Uint8Array {
  const w = new Writer('', overrides);
  w.within('Alert', (aw) => {
    aw.u8(alert.level, 'level');
    aw.u8(alert.description, 'description');
  });
  return w.finish();
}

/** Decode an Alert body: exactly 2 bytes. Throws DecodeError only. */
export function decodeAlert(bytes: Uint8Array): Alert {
  const r = Reader.of(bytes, 'Alert');
  const level = r.u8('level');
  const description = r.u8('description');
  // RFC 8446 5.1: one alert per record, never coalesced; RFC 8446 6.2: wrong length → decode_error
  r.end();
  return { level, description };
}

/** Encode a ChangeCipherSpec (path `ChangeCipherSpec.type`; `append['ChangeCipherSpec']` adds bytes). */
export function encodeChangeCipherSpec(ccs: ChangeCipherSpec = { value: 1 }, overrides?: EncodeOverrides): Uint8Array {
  const w = new Writer('', overrides);
  w.within('ChangeCipherSpec', (cw) => cw.u8(ccs.value, 'type'));
  return w.finish();
}

/** Decode a ChangeCipherSpec body; see the module comment for the alerts. Throws DecodeError only. */
export function decodeChangeCipherSpec(bytes: Uint8Array, version: 'tls12' | 'tls13' = 'tls13'): ChangeCipherSpec {
  if (version === 'tls13') {
    // RFC 8446 5: "An implementation which receives any other change_cipher_spec value ... MUST abort the
    // handshake with an "unexpected_message" alert."
    if (bytes.length !== 1 || bytes[0] !== 0x01) {
      throw new DecodeError('unexpected_message', 'ChangeCipherSpec', `change_cipher_spec must be the single byte 0x01`, 0);
    }
    return { value: 1 };
  }
  const r = Reader.of(bytes, 'ChangeCipherSpec');
  const value = r.u8('type');
  // RFC 5246 7.1: the message is one byte
  r.end();
  if (value !== 1) throw new DecodeError('illegal_parameter', 'ChangeCipherSpec.type', `type ${value} is not change_cipher_spec(1)`, 0);
  return { value };
}

/** Result-returning wrapper of `decodeAlert`. */
export function tryDecodeAlert(bytes: Uint8Array): Decoded<Alert> {
  return decoded(() => decodeAlert(bytes));
}

/** Result-returning wrapper of `decodeChangeCipherSpec`. */
export function tryDecodeChangeCipherSpec(bytes: Uint8Array, version: 'tls12' | 'tls13' = 'tls13'): Decoded<ChangeCipherSpec> {
  return decoded(() => decodeChangeCipherSpec(bytes, version));
}
