/**
 * The record layer of one connection: bytes in, typed inbound items out; typed outbound items in, bytes
 * out. It owns the deframers and the current read and write protection, and enforces the record-level
 * rules of RFC 8446 5 and RFC 5246 6.2. It knows nothing of handshake states: the state machine decides
 * what an inbound item means, when keys change, and what to send.
 */
import { ContentType, ProtocolVersion } from '../codec/enums.ts';
import { DecodeError } from '../codec/errors.ts';
import { HandshakeDeframer, RecordDeframer, RecordLimits, encodeRecord, fragment, type TLSRecord } from '../codec/record.ts';
import type { EncryptOptions, RecordProtection } from '../crypto/record-protection.ts';
import { TlsError } from './errors.ts';

const KNOWN_CONTENT_TYPES: ReadonlySet<number> = new Set([
  ContentType.change_cipher_spec,
  ContentType.alert,
  ContentType.handshake,
  ContentType.application_data,
  ContentType.heartbeat,
]);

export type Inbound =
  | { kind: 'handshake'; msg_type: number; body: Uint8Array; raw: Uint8Array; protected: boolean }
  | { kind: 'alert'; level: number; description: number; protected: boolean }
  | { kind: 'change_cipher_spec'; data: Uint8Array; protected: boolean }
  | { kind: 'application_data'; data: Uint8Array; protected: boolean }
  /** A record of a content type this layer does not interpret (e.g. heartbeat, or an unassigned value). */
  | { kind: 'other'; type: number; data: Uint8Array; protected: boolean };

/** How `send` frames and protects content; the deliberate deviations are for the harness's negative tests. */
export interface SendOptions {
  /** Record boundaries at these offsets of the data. */
  splitAt?: readonly number[];
  /** Send in the clear even under write keys. */
  plaintext?: boolean;
  /** Protect even content the protocol sends in the clear (change_cipher_spec in TLS 1.3). */
  protectAlways?: boolean;
  /** Send one empty record for empty data (forbidden for handshake and alert content). */
  allowEmpty?: boolean;
  /** Skip the sender-side size checks (records over the limit). */
  unchecked?: boolean;
  /** Passed to the write protection's encrypt for each record of this send (TLS 1.2 CBC padding, IV, a bad MAC). */
  encrypt?: EncryptOptions;
}

export interface RecordLayerOptions {
  /**
   * Largest handshake message body the deframer buffers; default 2^24-1, what the encoding allows. The
   * reference endpoints bound memory more tightly per message type through `onHandshakeHeader`.
   */
  maxHandshakeMessage?: number;
}

export class RecordLayer {
  private readonly records = new RecordDeframer();
  private readonly handshake: HandshakeDeframer;
  private readonly inbound: Inbound[] = [];
  private readonly out: Uint8Array[] = [];
  private readProt: RecordProtection | null = null;
  private writeProt: RecordProtection | null = null;
  /** Whether protected records follow TLS 1.3 rules (inner content type, opaque_type 23). */
  tls13 = false;
  /** legacy_record_version written on outgoing records (RFC 8446 5.1: 0x0303, or 0x0301 for an initial ClientHello). */
  writeVersion: number = ProtocolVersion.TLS1_2;
  /** Largest plaintext fragment we send: 2^14, or less after record_size_limit / max_fragment_length. */
  maxSendFragment: number = RecordLimits.plaintext;
  /** Largest plaintext fragment accepted: 2^14, or the negotiated max_fragment_length (RFC 6066 4). */
  private maxReceiveFragment: number = RecordLimits.plaintext;
  /** TLS 1.3 record padding: bytes of zero padding for a record of this type and content length. */
  padding: (type: number, length: number) => number = () => 0;
  /**
   * RFC 8446 4.2.10: a server that rejects 0-RTT skips records that fail to deprotect, up to
   * max_early_data_size bytes. While this budget is positive, such records are dropped, not fatal.
   */
  skipUndecryptable = 0;
  /** Read plaintext alert records while protection is on (harness peers only; see unprotect). */
  acceptPlaintextAlerts = false;
  /**
   * Called once per inbound handshake message as soon as its 4-byte header is here, before its body is
   * buffered or parsed, and only once every earlier message was handed out by `next()` (so the state machine
   * has processed them): the endpoint checks the type against its state (RFC 8446 4, RFC 5246 7.4) and the
   * announced length against the type's syntax and its own memory limit. It throws a TlsError to refuse.
   */
  onHandshakeHeader: ((msgType: number, length: number) => void) | undefined;
  /** Called with each protected record's fragment before it is decrypted (the harness's checks of the sender); may throw a TlsError. */
  onProtectedRecord: ((fragment: Uint8Array, kind: RecordProtection['kind']) => void) | undefined;
  /** The header of the buffered handshake message was already checked by onHandshakeHeader. */
  private headerChecked = false;

  constructor(opts: RecordLayerOptions = {}) {
    this.handshake = new HandshakeDeframer(opts.maxHandshakeMessage);
  }

  get readProtected(): boolean {
    return this.readProt !== null;
  }

  get writeProtected(): boolean {
    return this.writeProt !== null;
  }

  /** The current write protection (read-only use: its kind, block and MAC length), null before keys. */
  get writeProtection(): RecordProtection | null {
    return this.writeProt;
  }

  /**
   * True when the last message read ended its record: no partial handshake message is buffered and no other
   * message of the same record waits (RFC 8446 5.1: required at every key change).
   */
  get handshakeAligned(): boolean {
    return this.handshake.empty && this.inbound.length === 0;
  }

  /** Handshake bytes are buffered that `next()` has not handed out yet (a whole message, or part of one). */
  get handshakePending(): boolean {
    return !this.handshake.empty;
  }

  /**
   * Change the read keys. RFC 8446 5.1: "Handshake messages MUST NOT span key changes. Implementations MUST
   * verify that all messages immediately preceding a key change align with a record boundary; if not, then
   * they MUST terminate the connection with an "unexpected_message" alert."
   */
  setReadProtection(p: RecordProtection | null): void {
    // RFC 8446 5.1: the message before the key change must also be the last in its record: whole messages
    // still queued from that record were read under the old keys and must not pass for ones under the new.
    if (this.handshake.hasMessage || this.inbound.length > 0) {
      throw new TlsError('unexpected_message', 'RFC 8446 5.1', 'a key change is not on a record boundary: more messages follow in the same record');
    }
    if (!this.handshake.empty) {
      throw new TlsError('unexpected_message', 'RFC 8446 5.1', 'a handshake message spans a key change');
    }
    this.readProt = p;
    this.setHeaderLimit();
  }

  /** The record header's length limit: the plaintext limit, plus the protection's expansion under keys. */
  private setHeaderLimit(): void {
    const expansion = this.tls13 ? RecordLimits.tls13Ciphertext - RecordLimits.plaintext : RecordLimits.tls12Ciphertext - RecordLimits.plaintext;
    this.records.maxFragment = this.readProt === null ? this.maxReceiveFragment : this.maxReceiveFragment + expansion;
  }

  /**
   * A negotiated max_fragment_length (RFC 6066 4), in bytes: "Once a maximum fragment length other than 2^14 has
   * been successfully negotiated, the client and server MUST immediately begin fragmenting messages (including
   * handshake messages) to ensure that no fragment larger than the negotiated length is sent." Both directions:
   * what this side sends, and what it accepts ("a TLS record-layer peer receiving a TLS record-layer message
   * larger than [the limit plus expansion] MUST discard the message and send a "record_overflow" alert, without
   * decrypting the message").
   */
  limitFragments(bytes: number, directions: { send: boolean; receive: boolean } = { send: true, receive: true }): void {
    if (directions.send) this.maxSendFragment = Math.min(this.maxSendFragment, bytes);
    if (!directions.receive) return;
    this.maxReceiveFragment = Math.min(this.maxReceiveFragment, bytes);
    this.setHeaderLimit();
    // The messages after the one that negotiated the limit may have come in the same record: more handshake
    // bytes already buffered than the limit means that record was larger than it.
    if (this.handshake.buffered > bytes) {
      throw new TlsError('record_overflow', 'RFC 6066 4', `${this.handshake.buffered} more handshake bytes came in the record that negotiated max_fragment_length ${bytes}`);
    }
  }

  setWriteProtection(p: RecordProtection | null): void {
    // The flight so far goes out under the keys it was written for.
    this.flush();
    this.writeProt = p;
  }

  /** Bytes from the peer. */
  receive(bytes: Uint8Array): void {
    this.records.push(bytes);
  }

  /**
   * The next inbound item, or null when more bytes are needed. Throws TlsError for a record-layer violation.
   * Handshake messages are handed out one at a time from the deframer, each header checked by
   * onHandshakeHeader when the previous message has been processed; a new record is read only when no whole
   * message is buffered.
   */
  next(): Inbound | null {
    while (this.inbound.length === 0) {
      const hs = this.nextHandshake();
      if (hs) return hs;
      let rec: TLSRecord | null;
      try {
        rec = this.records.next();
      } catch (e) {
        // The limit broken: plaintext (RFC 8446 5.1 / RFC 5246 6.2.1) or protected (RFC 8446 5.2 / RFC 5246 6.2.3).
        const base = this.tls13 ? (this.readProt ? 'RFC 8446 5.2' : 'RFC 8446 5.1') : this.readProt ? 'RFC 5246 6.2.3' : 'RFC 5246 6.2.1';
        // Under a negotiated max_fragment_length the limit broken is that one.
        const rule = this.maxReceiveFragment < RecordLimits.plaintext ? 'RFC 6066 4' : base;
        if (e instanceof DecodeError) throw new TlsError(e.alert, rule, e.message);
        throw e;
      }
      if (!rec) {
        // RFC 8446 5 / RFC 5246 6: a record of an unknown content type is an unexpected_message. Known from
        // the first byte: no need to wait for the rest of a "record" that is really, say, an HTTP request.
        const t = this.records.peekType();
        if (t !== undefined && !KNOWN_CONTENT_TYPES.has(t)) {
          throw new TlsError('unexpected_message', this.tls13 ? 'RFC 8446 5' : 'RFC 5246 6', `record of unknown content type ${t}`);
        }
        return null;
      }
      this.unprotect(rec);
    }
    return this.inbound.shift() ?? null;
  }

  private unprotect(rec: TLSRecord): void {
    // RFC 8446 5 / RFC 5246 6: a record of an unknown content type is an unexpected_message, before any
    // attempt to decrypt it (in TLS 1.2 the type is in the clear even under keys).
    if (!KNOWN_CONTENT_TYPES.has(rec.type)) {
      throw new TlsError('unexpected_message', this.tls13 ? 'RFC 8446 5' : 'RFC 5246 6', `record of unknown content type ${rec.type}`);
    }
    let type = rec.type;
    let data = rec.fragment;
    let isProtected = false;
    // RFC 8446 5: a change_cipher_spec record is never protected in TLS 1.3, whatever the read keys.
    const plaintextCcs = this.tls13 && rec.type === ContentType.change_cipher_spec;
    // The harness's own peer reads a plaintext alert even where encryption is due, to report what a target
    // said; a strict endpoint never does (RFC 8446 5: unexpected_message).
    const tolerated = this.acceptPlaintextAlerts && rec.type === ContentType.alert && rec.fragment.length === 2;
    if (this.readProt && !plaintextCcs && !tolerated) {
      this.onProtectedRecord?.(rec.fragment, this.readProt.kind);
      const r = this.readProt.decrypt({ type: rec.type, version: rec.legacy_record_version, fragment: rec.fragment });
      if (!r.ok) {
        // RFC 8446 4.2.10: skip early data the server rejected, within max_early_data_size.
        if (this.skipUndecryptable > 0 && rec.type === ContentType.application_data) {
          this.skipUndecryptable -= rec.fragment.length;
          if (this.skipUndecryptable >= 0) return;
          throw new TlsError('unexpected_message', 'RFC 8446 4.2.10', 'more skipped early data than max_early_data_size');
        }
        throw new TlsError(r.error.alert, r.error.section, r.error.reason);
      }
      this.skipUndecryptable = 0;
      type = r.type;
      data = r.content;
      isProtected = true;
      // RFC 6066 4: the negotiated length "limits the input that the record layer may process without
      // fragmentation (that is, the maximum value of TLSPlaintext.length"; 2^14 itself is checked by decrypt.
      if (data.length > this.maxReceiveFragment) {
        throw new TlsError('record_overflow', 'RFC 6066 4', `a record of ${data.length} plaintext bytes, above the negotiated max_fragment_length ${this.maxReceiveFragment}`);
      }
    }
    // RFC 8446 5.1: "Handshake messages MUST NOT be interleaved with other record types."
    if (type !== ContentType.handshake && !this.handshake.empty) {
      throw new TlsError('unexpected_message', 'RFC 8446 5.1', `a record of type ${type} interleaved with a fragmented handshake message`);
    }
    switch (type) {
      case ContentType.handshake: {
        // RFC 8446 5.1: "Implementations MUST NOT send zero-length fragments of Handshake types."
        // RFC 8446 5.4: the same for protected records, with unexpected_message named.
        if (data.length === 0) throw new TlsError('unexpected_message', isProtected ? 'RFC 8446 5.4' : 'RFC 8446 5.1', 'zero-length handshake fragment');
        // The messages are handed out by next() (nextHandshake), one at a time.
        this.handshake.push(data);
        return;
      }
      case ContentType.alert:
        // RFC 8446 5.4: "Implementations MUST NOT send Handshake and Alert records that have a zero-length
        // TLSInnerPlaintext.content; if such a message is received, the receiving implementation MUST terminate
        // the connection with an "unexpected_message" alert."
        if (data.length === 0 && isProtected) throw new TlsError('unexpected_message', 'RFC 8446 5.4', 'protected alert record with zero-length content');
        // RFC 8446 5.1: "a record with an Alert type MUST contain exactly one message" (two bytes, RFC 8446 6).
        if (data.length !== 2) throw new TlsError('decode_error', 'RFC 8446 5.1', `alert record of ${data.length} bytes, expected 2`);
        this.inbound.push({ kind: 'alert', level: data[0], description: data[1], protected: isProtected });
        return;
      case ContentType.change_cipher_spec:
        this.inbound.push({ kind: 'change_cipher_spec', data, protected: isProtected });
        return;
      case ContentType.application_data:
        this.inbound.push({ kind: 'application_data', data, protected: isProtected });
        return;
      default:
        this.inbound.push({ kind: 'other', type, data, protected: isProtected });
    }
  }

  /**
   * The next buffered handshake message, once the state machine has processed the one before: its header
   * goes through onHandshakeHeader first (once), then it is handed out when whole. Every byte in the deframer
   * was read under the current read keys (a key change requires it empty), hence `protected`.
   */
  private nextHandshake(): Inbound | null {
    const h = this.handshake.peek();
    if (!h) return null;
    if (!this.headerChecked) {
      this.onHandshakeHeader?.(h.msg_type, h.length);
      this.headerChecked = true;
    }
    let m;
    try {
      m = this.handshake.next();
    } catch (e) {
      // Only the deframer's own memory bound (internal_error: a local limit).
      if (e instanceof DecodeError) throw new TlsError(e.alert, this.tls13 ? 'RFC 8446 6.2' : 'RFC 5246 7.2.2', e.reason, 'local');
      throw e;
    }
    if (!m) return null;
    this.headerChecked = false;
    return { kind: 'handshake', msg_type: m.msg_type, body: m.body, raw: m.raw, protected: this.readProt !== null };
  }

  /**
   * Queue content of one type for sending: fragmented to maxSendFragment, protected with the write keys.
   * Consecutive handshake messages under the same keys are coalesced into as few records as possible, as
   * real stacks send a flight (RFC 8446 5.1 allows it); the flight is framed when something else is sent,
   * the keys change, or the output is taken.
   */
  send(type: number, data: Uint8Array, opts: SendOptions = {}): void {
    if (type === ContentType.handshake && !opts.splitAt && !opts.plaintext && !opts.protectAlways && !opts.allowEmpty && !opts.unchecked && !opts.encrypt) {
      this.flight.push(data);
      return;
    }
    this.flush();
    this.frame(type, data, opts);
  }

  private frame(type: number, data: Uint8Array, opts: SendOptions = {}): void {
    const recs = fragment(type, data, { version: this.writeVersion, maxFragment: this.maxSendFragment, splitAt: opts.splitAt });
    // An empty record on purpose (RFC 8446 5.1 / 5.4 forbid sending them: negative tests only).
    if (recs.length === 0 && opts.allowEmpty) recs.push({ type, legacy_record_version: this.writeVersion, fragment: new Uint8Array(0) });
    for (const rec of recs) this.out.push(this.protect(rec, opts.plaintext ?? false, opts));
  }

  /** Handshake messages queued for the current flight, not yet framed. */
  private flight: Uint8Array[] = [];

  /** Frame the pending flight now (before a change of record version, keys or content type). */
  flush(): void {
    if (this.flight.length === 0) return;
    const parts = this.flight;
    this.flight = [];
    const total = parts.reduce((n, p) => n + p.length, 0);
    const data = new Uint8Array(total);
    let off = 0;
    for (const p of parts) {
      data.set(p, off);
      off += p.length;
    }
    this.frame(ContentType.handshake, data);
  }

  /** Queue one record exactly as given (header and fragment), protected unless `plaintext`. */
  sendRecord(rec: TLSRecord, plaintext = false): void {
    this.flush();
    this.out.push(this.protect(rec, plaintext));
  }

  /** Queue raw bytes, bypassing framing and protection (for deliberately malformed output). */
  sendRaw(bytes: Uint8Array): void {
    this.flush();
    this.out.push(Uint8Array.from(bytes));
  }

  private protect(rec: TLSRecord, plaintext: boolean, opts: SendOptions = {}): Uint8Array {
    // RFC 8446 5: change_cipher_spec is always sent in the clear in TLS 1.3.
    const clearCcs = this.tls13 && rec.type === ContentType.change_cipher_spec && !opts.protectAlways;
    if (!this.writeProt || plaintext || clearCcs) return encodeRecord(rec);
    if (opts.unchecked || opts.allowEmpty) return this.writeProt.encrypt(rec.type, rec.fragment, { ...opts.encrypt, unchecked: true }).bytes;
    // RFC 8446 5.4: padding may not take TLSInnerPlaintext past 2^14 + 1 bytes.
    const padding = this.tls13 ? Math.max(0, Math.min(this.padding(rec.type, rec.fragment.length), RecordLimits.plaintext - rec.fragment.length)) : undefined;
    return this.writeProt.encrypt(rec.type, rec.fragment, { padding, ...opts.encrypt }).bytes;
  }

  /** Everything queued for sending, as one byte string (empty when nothing is queued). */
  takeOutput(): Uint8Array {
    this.flush();
    if (this.out.length === 0) return new Uint8Array(0);
    const total = this.out.reduce((n, b) => n + b.length, 0);
    const res = new Uint8Array(total);
    let off = 0;
    for (const b of this.out) {
      res.set(b, off);
      off += b.length;
    }
    this.out.length = 0;
    return res;
  }

  get hasOutput(): boolean {
    return this.out.length > 0 || this.flight.length > 0;
  }
}
