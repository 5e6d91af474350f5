/**
 * The record layer's wire format (RFC 8446 5.1-5.2, RFC 5246 6.2): TLSPlaintext / TLSCiphertext framing,
 * size limits, a deframer that turns a byte stream into records, and the fragmenting/coalescing of
 * handshake messages over records. Record protection (encryption) lives in crypto/record-protection.ts;
 * here a protected record is just a record whose fragment is ciphertext.
 */
import { ContentType, ProtocolVersion } from './enums.ts';
import { DecodeError } from './errors.ts';
import { Writer } from './writer.ts';

export interface TLSRecord {
  /** ContentType (for a TLS 1.3 protected record this is the outer opaque_type, application_data). */
  type: number;
  legacy_record_version: number;
  fragment: Uint8Array;
}

export const RECORD_HEADER_LENGTH = 5;

/** Size limits on the fragment of one record, by RFC. */
export const RecordLimits = {
  // RFC 8446 5.1 / RFC 5246 6.2.1: "The length MUST NOT exceed 2^14 bytes."
  plaintext: 2 ** 14,
  // RFC 8446 5.2: "The length MUST NOT exceed 2^14 + 256 bytes."
  tls13Ciphertext: 2 ** 14 + 256,
  // RFC 5246 6.2.2: TLSCompressed.length MUST NOT exceed 2^14 + 1024.
  tls12Compressed: 2 ** 14 + 1024,
  // RFC 5246 6.2.3: "The length (in bytes) of the following TLSCiphertext.fragment. The length MUST NOT
  // exceed 2^14 + 2048."
  tls12Ciphertext: 2 ** 14 + 2048,
} as const;

export interface RecordEncodeOptions {
  /** Write this in the length field instead of the real fragment length (a deliberate mis-encoding). */
  length?: number;
}

export function encodeRecord(rec: TLSRecord, opts: RecordEncodeOptions = {}): Uint8Array {
  const w = new Writer('TLSPlaintext', opts.length === undefined ? {} : { lengths: { 'TLSPlaintext.fragment': opts.length } });
  w.u8(rec.type, 'type').u16(rec.legacy_record_version, 'legacy_record_version').opaque('fragment', 2, rec.fragment);
  return w.finish();
}

/**
 * Split `data` of one content type into records of at most `maxFragment` bytes each. Handshake messages
 * may be coalesced into one record and fragmented across several (RFC 8446 5.1); `splitAt` gives explicit
 * cut points (offsets into data) for scenarios that fragment on purpose. Zero-length data gives one empty
 * record only for application data: RFC 8446 5.1 forbids zero-length handshake and alert fragments, so for
 * those it gives none.
 */
export function fragment(
  type: number,
  data: Uint8Array,
  opts: { version?: number; maxFragment?: number; splitAt?: readonly number[] } = {},
): TLSRecord[] {
  const version = opts.version ?? ProtocolVersion.TLS1_2;
  const max = opts.maxFragment ?? RecordLimits.plaintext;
  if (max < 1) throw new RangeError('maxFragment must be at least 1');
  const cuts = [...new Set((opts.splitAt ?? []).filter((c) => c > 0 && c < data.length))].sort((a, b) => a - b);
  const pieces: Uint8Array[] = [];
  let start = 0;
  for (const end of [...cuts, data.length]) {
    for (let p = start; p < end; p += max) pieces.push(data.slice(p, Math.min(end, p + max)));
    start = end;
  }
  if (pieces.length === 0 && type === ContentType.application_data) pieces.push(new Uint8Array(0));
  return pieces.map((f) => ({ type, legacy_record_version: version, fragment: f }));
}

/**
 * A FIFO of bytes with amortised O(1) appends: the deframers' buffer. Data read off the front is dropped
 * lazily; the backing array grows by doubling, so a stream arriving one byte at a time costs linear time.
 */
class ByteQueue {
  private buf = new Uint8Array(256);
  private start = 0;
  private end = 0;

  get length(): number {
    return this.end - this.start;
  }

  push(data: Uint8Array): void {
    if (data.length === 0) return;
    if (this.end + data.length > this.buf.length) {
      const need = this.length + data.length;
      if (need <= this.buf.length / 2) {
        this.buf.copyWithin(0, this.start, this.end);
      } else {
        let size = this.buf.length * 2;
        while (size < need) size *= 2;
        const next = new Uint8Array(size);
        next.set(this.buf.subarray(this.start, this.end));
        this.buf = next;
      }
      this.end -= this.start;
      this.start = 0;
    }
    this.buf.set(data, this.end);
    this.end += data.length;
  }

  /** The byte at offset i from the front (i < length). */
  at(i: number): number {
    return this.buf[this.start + i];
  }

  /** A copy of bytes [from, to) counted from the front. */
  slice(from: number, to: number): Uint8Array {
    return this.buf.slice(this.start + from, this.start + to);
  }

  drop(n: number): void {
    this.start += n;
    if (this.start === this.end) this.start = this.end = 0;
  }
}

/**
 * Turns a byte stream into records. Bytes arrive in any split (one TCP read may hold half a header or
 * several records); `next()` returns a whole record, or null when more bytes are needed, and throws a
 * DecodeError (record_overflow) as soon as a header announces a fragment longer than `maxFragment`, before
 * waiting for its bytes.
 */
export class RecordDeframer {
  private readonly q = new ByteQueue();
  /**
   * The largest fragment accepted now. The connection lowers or raises it as protection starts:
   * RecordLimits.plaintext before keys, tls13Ciphertext or tls12Ciphertext after (or a negotiated
   * record_size_limit + expansion, RFC 8449).
   */
  maxFragment: number = RecordLimits.plaintext;

  push(data: Uint8Array): void {
    this.q.push(data);
  }

  /** Bytes received but not yet returned as a record. */
  get buffered(): number {
    return this.q.length;
  }

  /** The content type of the next record, as soon as its first byte has arrived. */
  peekType(): number | undefined {
    return this.q.length > 0 ? this.q.at(0) : undefined;
  }

  next(): TLSRecord | null {
    const q = this.q;
    if (q.length < RECORD_HEADER_LENGTH) return null;
    const length = (q.at(3) << 8) | q.at(4);
    if (length > this.maxFragment) {
      // RFC 8446 5.1 / 5.2, RFC 5246 6.2.1-6.2.3: a record longer than the limit is a record_overflow.
      throw new DecodeError('record_overflow', 'TLSPlaintext.length', `length ${length} exceeds ${this.maxFragment}`, 3);
    }
    if (q.length < RECORD_HEADER_LENGTH + length) return null;
    const rec: TLSRecord = {
      type: q.at(0),
      legacy_record_version: (q.at(1) << 8) | q.at(2),
      fragment: q.slice(RECORD_HEADER_LENGTH, RECORD_HEADER_LENGTH + length),
    };
    q.drop(RECORD_HEADER_LENGTH + length);
    return rec;
  }

  /** Every whole record now buffered. */
  drain(): TLSRecord[] {
    const out: TLSRecord[] = [];
    for (let r = this.next(); r; r = this.next()) out.push(r);
    return out;
  }
}

/** RFC 8446 4 / RFC 5246 7.4: the handshake length is a uint24, so no message body is longer than 2^24-1. */
export const MAX_HANDSHAKE_LENGTH = 2 ** 24 - 1;

/** One complete handshake message as it was on the wire: header (msg_type, uint24 length) and body. */
export interface RawHandshake {
  msg_type: number;
  body: Uint8Array;
  /** The message's bytes including its 4-byte header: what goes into the transcript hash. */
  raw: Uint8Array;
}

/**
 * Reassembles handshake messages from the fragments of handshake records: several messages may be
 * coalesced in one record, and one message may be fragmented over several records (RFC 8446 5.1).
 */
export class HandshakeDeframer {
  private readonly q = new ByteQueue();

  /**
   * The largest handshake message body accepted: a bound on memory, not a rule of the protocol. The default
   * is what the encoding allows (RFC 8446 4 / RFC 5246 7.4: a uint24 length, 2^24-1), so no valid message is
   * ever refused here; a caller that wants a tighter bound (the reference endpoints check each message
   * type's own syntactic maximum and a configurable local limit, from `peek()`, before the body arrives)
   * passes it. A larger announced length is refused before its bytes arrive, as a local limit
   * (internal_error), never as a malformed message.
   */
  constructor(readonly maxMessage = MAX_HANDSHAKE_LENGTH) {}

  push(fragment: Uint8Array): void {
    this.q.push(fragment);
  }

  /**
   * True when no partial message is buffered. RFC 8446 5.1: "Handshake messages MUST NOT span key changes.
   * Implementations MUST verify that all messages immediately preceding a key change align with a record
   * boundary; if not, then they MUST terminate the connection with an "unexpected_message" alert." The
   * connection calls this before it changes keys.
   */
  get empty(): boolean {
    return this.q.length === 0;
  }

  /** Bytes buffered: the rest of the records read so far that no message handed out has taken yet. */
  get buffered(): number {
    return this.q.length;
  }

  /** The header of the next message (type and announced body length) once its 4 bytes are here, else null. */
  peek(): { msg_type: number; length: number } | null {
    const q = this.q;
    if (q.length < 4) return null;
    return { msg_type: q.at(0), length: (q.at(1) << 16) | (q.at(2) << 8) | q.at(3) };
  }

  /** True when a whole message is buffered (`next()` returns it). */
  get hasMessage(): boolean {
    const h = this.peek();
    return h !== null && this.q.length >= 4 + h.length;
  }

  next(): RawHandshake | null {
    const q = this.q;
    if (q.length < 4) return null;
    const length = (q.at(1) << 16) | (q.at(2) << 8) | q.at(3);
    if (length > this.maxMessage) {
      // A bound on our memory, not a fault of the message: RFC 8446 6.2 internal_error ("such as a memory
      // allocation failure"), not decode_error.
      throw new DecodeError('internal_error', 'Handshake.length', `message of ${length} bytes exceeds this deframer's limit of ${this.maxMessage} bytes (a local limit, not a malformed message)`, 1);
    }
    if (q.length < 4 + length) return null;
    const raw = q.slice(0, 4 + length);
    q.drop(4 + length);
    return { msg_type: raw[0], body: raw.subarray(4), raw };
  }

  drain(): RawHandshake[] {
    const out: RawHandshake[] = [];
    for (let m = this.next(); m; m = this.next()) out.push(m);
    return out;
  }
}
