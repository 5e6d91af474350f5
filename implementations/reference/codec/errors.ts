import type { AlertName } from './enums.ts';

/**
 * The one error a decoder may raise: what failed, where (the field path, e.g.
 * `ClientHello.extensions[3].key_share.client_shares[0].key_exchange`), and the alert the receiver
 * sends because of it (RFC 8446 6.2: decode_error for a field out of range or a wrong length,
 * illegal_parameter for a well-formed but forbidden value, ...).
 */
export class DecodeError extends Error {
  override readonly name = 'DecodeError';
  constructor(
    readonly alert: AlertName,
    readonly path: string,
    readonly reason: string,
    /** Absolute byte offset in the decoded buffer where the failure was found. */
    readonly offset = -1,
  ) {
    super(`${path}: ${reason} (alert ${alert})`);
  }
}

export type Decoded<T> = { ok: true; value: T } | { ok: false; error: DecodeError };

/**
 * Run a decoder and turn a DecodeError into a value. Any other exception is a bug in the decoder and is
 * re-thrown: the property tests assert that it never happens.
 */
export function decoded<T>(fn: () => T): Decoded<T> {
  try {
    return { ok: true, value: fn() };
  } catch (e) {
    if (e instanceof DecodeError) return { ok: false, error: e };
    throw e;
  }
}

export function isDecodeError(e: unknown): e is DecodeError {
  return e instanceof DecodeError;
}
