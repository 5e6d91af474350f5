/**
 * What the TLS 1.3 client and server share: the connection object a caller drives (bytes in, bytes and
 * events out), alerts and closure (RFC 8446 6), application data, KeyUpdate (4.6.3), and the rule that no
 * input ever escapes the API as an exception: every failure becomes an alert (when one can still be sent),
 * a `failed` state and an `error` event carrying a TlsError that names the rule.
 */
import { AlertDescription, AlertLevel, ContentType, HandshakeType, KeyUpdateRequest, nameOf } from '../codec/enums.ts';
import type { HandshakeMessage } from '../codec/handshake.ts';
import type { EndpointConfig } from './config.ts';
import { TlsError } from './errors.ts';
import { RecordLayer, type Inbound } from './record-layer.ts';
import { Transcript } from './transcript.ts';
import { Tls13Suite, alertName, decode13, raw, unexpected } from './tls13.ts';
import { DEFAULT_MAX_HANDSHAKE_MESSAGE, MAX_CONSECUTIVE_WARNING_ALERTS, maxHandshakeBody } from './limits.ts';
import { unexpected12, type Host12, type Machine12 } from './tls12/common12.ts';

export interface HandshakeSummary {
  version: 'TLSv1.3' | 'TLSv1.2';
  cipherSuite: number;
  /** The key-exchange group, or undefined for a psk_ke resumption. */
  group?: number;
  /** The peer's CertificateVerify scheme (client: the server's), or undefined when resumed. */
  signatureScheme?: number;
  alpn?: string;
  resumed: boolean;
  helloRetry: boolean;
  earlyDataAccepted: boolean;
  serverName?: string;
  /** The peer's certificate chain, DER, leaf first ([] when resumed or none sent). */
  peerCertificates: Uint8Array[];
  /** TLS 1.2 only: RFC 7627 extended master secret in use. */
  extendedMasterSecret?: boolean;
  /** TLS 1.2 only: RFC 7366 encrypt-then-MAC in use. */
  encryptThenMac?: boolean;
  /** TLS 1.2 only: RFC 5746 secure renegotiation signalled by both sides. */
  secureRenegotiation?: boolean;
}

export type EndpointEvent =
  | { type: 'handshake_complete'; summary: HandshakeSummary }
  | { type: 'application_data'; data: Uint8Array }
  | { type: 'early_data'; data: Uint8Array }
  | { type: 'new_session_ticket'; lifetime: number; maxEarlyData: number }
  | { type: 'key_update'; direction: 'read' | 'write'; requested: boolean }
  | { type: 'alert'; level: number; description: number }
  | { type: 'closed'; by: 'peer' | 'local' }
  | { type: 'error'; error: TlsError };

export type EndpointState = 'handshaking' | 'connected' | 'closed' | 'failed';

export abstract class Endpoint {
  readonly rl = new RecordLayer();
  readonly transcript: Transcript;
  state: EndpointState = 'handshaking';
  /** Why the connection failed, when it did. */
  error: TlsError | undefined;
  summary: HandshakeSummary | undefined;
  private events: EndpointEvent[] = [];
  /** The state name of the handshake state machine, for errors and tests. */
  abstract readonly role: 'client' | 'server';
  protected abstract hsState: string;

  // TLS 1.3 application traffic secrets, for KeyUpdate (RFC 8446 7.2).
  protected suite: Tls13Suite | undefined;
  protected readSecret: Uint8Array | undefined;
  protected writeSecret: Uint8Array | undefined;
  /** We owe the peer a KeyUpdate(update_not_requested) before our next application data (RFC 8446 4.6.3). */
  private keyUpdateOwed = false;
  /** We sent close_notify (or a fatal alert): nothing more goes out. */
  writeClosed = false;
  /** The peer sent close_notify: RFC 8446 6.1, "Any data received after a closure alert has been received MUST be ignored." */
  readClosed = false;
  /** The TLS 1.2 handshake, once TLS 1.2 is negotiated (RFC 5246); undefined for TLS 1.3. */
  protected t12: Machine12 | undefined;
  /** Renegotiation attempts refused with a warning no_renegotiation (RFC 5246 7.2.2, RFC 5746 4.2 / 4.4). */
  renegotiationsRefused = 0;
  /** Non-fatal alerts received since the peer last made progress (a handshake message or application data). */
  private warningAlertsInARow = 0;

  constructor(readonly config: EndpointConfig) {
    this.transcript = new Transcript(config.provider);
    if (config.padding) this.rl.padding = config.padding;
    this.rl.onHandshakeHeader = (type, length) => this.checkHandshakeHeader(type, length);
  }

  // ---- the API -------------------------------------------------------------------------------------------

  /** Bytes received from the peer. Never throws: failures become an alert, `failed` and an `error` event. */
  receive(bytes: Uint8Array): void {
    if (this.state === 'failed' || this.state === 'closed' || this.readClosed) return;
    this.guard(() => {
      this.rl.receive(bytes);
      const stop = () => this.state === 'failed' || this.state === 'closed' || this.readClosed;
      for (let item = this.rl.next(); item; item = stop() ? null : this.rl.next()) {
        this.dispatch(item);
      }
    });
  }

  /** Bytes to send to the peer (empty when there are none). */
  takeOutput(): Uint8Array {
    return this.rl.takeOutput();
  }

  takeEvents(): EndpointEvent[] {
    const e = this.events;
    this.events = [];
    return e;
  }

  /** Application data to send. Only once the handshake is complete (the server may send after its Finished). */
  write(data: Uint8Array): void {
    this.guard(() => {
      if (this.writeClosed || !this.canWriteApplicationData()) {
        throw new TlsError('internal_error', 'RFC 8446 2', `cannot send application data in state ${this.state}/${this.hsState}`, 'local');
      }
      this.flushKeyUpdate();
      this.rl.send(ContentType.application_data, data);
    });
  }

  /**
   * Send close_notify and stop writing (RFC 8446 6.1). This closes our write side only: the peer may still
   * send, and we still read, until its own close_notify. The state is `closed` once both sides are.
   */
  close(): void {
    if (this.writeClosed || this.state === 'failed') return;
    this.guard(() => {
      this.sendAlert(AlertDescription.close_notify, AlertLevel.warning);
      this.writeClosed = true;
      this.emit({ type: 'closed', by: 'local' });
      if (this.readClosed || this.state === 'handshaking') this.state = 'closed';
    });
  }

  /** RFC 8446 4.6.3: update our sending keys, optionally asking the peer to update theirs. */
  keyUpdate(requestPeer: boolean): void {
    this.guard(() => {
      // RFC 5246 has no KeyUpdate (RFC 8446 4.6.3 is TLS 1.3 only).
      if (this.t12) throw new TlsError('internal_error', 'RFC 8446 4.6.3', 'no KeyUpdate in TLS 1.2', 'local');
      if (this.state !== 'connected' || !this.suite || !this.writeSecret) {
        throw new TlsError('internal_error', 'RFC 8446 4.6.3', 'KeyUpdate before the handshake completed', 'local');
      }
      this.sendKeyUpdate(requestPeer ? KeyUpdateRequest.update_requested : KeyUpdateRequest.update_not_requested);
    });
  }

  // ---- for the state machines ----------------------------------------------------------------------------

  protected emit(e: EndpointEvent): void {
    this.events.push(e);
  }

  protected abstract onHandshake(item: Extract<Inbound, { kind: 'handshake' }>): void;
  /** The handshake message types the TLS 1.3 state machine accepts in its current state (RFC 8446 4). */
  protected abstract expectedTypes(): readonly number[];
  /** Application data while the handshake is in progress (a server's 0-RTT data); default: not allowed. */
  protected onEarlyApplicationData(item: Extract<Inbound, { kind: 'application_data' }>): void {
    throw unexpected(item, this.hsState);
  }
  /** RFC 8446 5: whether a change_cipher_spec may be dropped now (after the first ClientHello, before the peer's Finished). */
  protected abstract ccsAllowed(): boolean;
  protected abstract canWriteApplicationData(): boolean;

  protected sendHandshake(msg: HandshakeMessage, toTranscript = true): Uint8Array {
    const bytes = raw(msg);
    if (toTranscript) this.transcript.add(bytes);
    this.rl.send(ContentType.handshake, bytes);
    return bytes;
  }

  protected sendAlert(description: number, level: number = AlertLevel.fatal): void {
    this.rl.send(ContentType.alert, Uint8Array.of(level, description));
  }

  protected sendChangeCipherSpec(): void {
    this.rl.send(ContentType.change_cipher_spec, Uint8Array.of(1));
  }

  /** What the TLS 1.2 state machines drive this endpoint through. */
  protected host12(): Host12 {
    return {
      config: this.config,
      rl: this.rl,
      transcript: this.transcript,
      send: (msg) => this.sendHandshake(msg),
      sendCcs: () => this.sendChangeCipherSpec(),
      sendAlert: (d, l) => this.sendAlert(d, l),
      emit: (e) => this.emit(e),
      complete: (s) => this.complete(s),
      refusedRenegotiation: () => {
        this.renegotiationsRefused++;
      },
    };
  }

  protected complete(summary: HandshakeSummary): void {
    this.summary = summary;
    this.state = 'connected';
    this.emit({ type: 'handshake_complete', summary });
  }

  /** Run `fn`; a TlsError (or any bug) fails the connection instead of escaping. */
  protected guard(fn: () => void): void {
    try {
      fn();
    } catch (e) {
      this.fail(e);
    }
  }

  protected fail(e: unknown): void {
    const err =
      e instanceof TlsError
        ? e
        : new TlsError('internal_error', 'implementation', `internal error: ${e instanceof Error ? e.message : String(e)}`, 'local');
    if (this.state === 'failed') return;
    this.error = err;
    // RFC 8446 6.2: an error alert is sent (fatal); none in answer to the peer's own error alert.
    if (err.origin !== 'alert-received' && !this.writeClosed) {
      try {
        this.sendAlert(AlertDescription[err.alert]);
      } catch {
        // Could not even protect the alert (e.g. keys exhausted): close without it.
      }
    }
    this.writeClosed = true;
    this.state = 'failed';
    this.emit({ type: 'error', error: err });
  }

  /**
   * A handshake message header, before the body is buffered or parsed (RecordLayer.onHandshakeHeader):
   * 1. its type must be one the state expects: RFC 8446 4, "A peer which receives a handshake message in an
   *    unexpected order MUST abort the handshake with an "unexpected_message" alert."; RFC 5246 7.4, "sending
   *    handshake messages in an unexpected order results in a fatal error". So a ClientHello relabelled as
   *    another type gets unexpected_message, never the error of parsing its body as that type;
   * 2. its length must fit the type's syntax (limits.ts): RFC 8446 6, a message that "cannot be parsed
   *    according to the syntax (e.g., ... contain an out-of-range length)" gets decode_error;
   * 3. its length must fit our memory limit (config.maxHandshakeMessageSize): a local limit, not a fault of
   *    the message, so internal_error (RFC 8446 6.2 / RFC 5246 7.2.2) with origin 'local'.
   */
  private checkHandshakeHeader(type: number, length: number): void {
    const t12 = this.t12;
    const name = nameOf(HandshakeType, type, 2);
    const expected = t12 ? t12.expectedTypes() : this.expectedTypes();
    if (!expected.includes(type)) throw t12 ? unexpected12(name, t12.state) : unexpected({ msg_type: name }, this.hsState);
    const max = maxHandshakeBody(type, t12 ? 'tls12' : 'tls13');
    if (length > max) {
      throw new TlsError('decode_error', t12 ? 'RFC 5246 7.2.2' : 'RFC 8446 6', `${name} of ${length} bytes: its syntax allows at most ${max} bytes`);
    }
    const limit = this.config.maxHandshakeMessageSize ?? DEFAULT_MAX_HANDSHAKE_MESSAGE;
    if (length > limit) {
      throw new TlsError(
        'internal_error',
        t12 ? 'RFC 5246 7.2.2' : 'RFC 8446 6.2',
        `${name} of ${length} bytes exceeds this endpoint's limit of ${limit} bytes (maxHandshakeMessageSize): a local limit, not a malformed message`,
        'local',
      );
    }
  }

  private dispatch(item: Inbound): void {
    // The peer makes progress (see onAlert): a handshake message other than an ignored HelloRequest, or
    // application data that is not empty.
    if ((item.kind === 'handshake' && item.msg_type !== HandshakeType.hello_request) || (item.kind === 'application_data' && item.data.length > 0)) {
      this.warningAlertsInARow = 0;
    }
    switch (item.kind) {
      case 'alert':
        return this.onAlert(item);
      case 'change_cipher_spec':
        // RFC 5246 7.1: in TLS 1.2 ChangeCipherSpec is a real protocol message: it switches the read keys.
        if (this.t12) return this.t12.onChangeCipherSpec(item);
        // RFC 8446 5: drop a plaintext change_cipher_spec of the single byte 0x01 between the first
        // ClientHello and the peer's Finished; any other value, a protected one, or one outside that window is
        // an unexpected_message.
        if (item.protected || item.data.length !== 1 || item.data[0] !== 1 || !this.ccsAllowed()) {
          throw new TlsError('unexpected_message', 'RFC 8446 5', `change_cipher_spec ${item.protected ? '(protected) ' : ''}not allowed in state ${this.hsState}`);
        }
        return;
      case 'handshake':
        if (this.t12) return this.state === 'connected' ? this.t12.onPostHandshake(item) : this.t12.onHandshake(item);
        if (this.state === 'connected') return this.onPostHandshake(item);
        return this.onHandshake(item);
      case 'application_data':
        if (this.state === 'connected') {
          this.emit({ type: 'application_data', data: item.data });
          return;
        }
        // RFC 5246 7.4.9: TLS 1.2 application data flows only once both Finished messages are exchanged (no
        // early data in TLS 1.2): before that it is an unexpected_message (RFC 5246 7.2.2).
        if (this.t12) throw new TlsError('unexpected_message', 'RFC 5246 7.4.9', `application data received during the TLS 1.2 handshake (state ${this.t12.state})`);
        return this.onEarlyApplicationData(item);
      case 'other':
        // RFC 8446 5: "If a TLS implementation receives an unexpected record type, it MUST terminate the
        // connection with an "unexpected_message" alert." RFC 5246 6 says the same for TLS 1.2.
        throw new TlsError('unexpected_message', this.t12 ? 'RFC 5246 6' : 'RFC 8446 5', `record of unexpected content type ${item.type}`);
    }
  }

  /**
   * A non-fatal alert the connection goes on after (TLS 1.2: a warning RFC 5246 7.2.2 lets the receiver carry
   * on after; TLS 1.3: user_canceled). Alerts cost the peer two bytes and us a record each: a peer that
   * sends them without end (CVE-2016-8610, "SSL Death Alert") keeps us busy for nothing. So at most
   * MAX_CONSECUTIVE_WARNING_ALERTS in a row, until the peer makes progress (a handshake message or application
   * data); the next one is an unexpected_message, as OpenSSL does (MAX_WARN_ALERT_COUNT: the fifth warning
   * alert in a row is fatal).
   */
  private countWarningAlert(item: Extract<Inbound, { kind: 'alert' }>): void {
    this.warningAlertsInARow++;
    if (this.warningAlertsInARow > MAX_CONSECUTIVE_WARNING_ALERTS) {
      throw new TlsError(
        'unexpected_message',
        this.t12 ? 'RFC 5246 7.2.2' : 'RFC 8446 6.2',
        `${this.warningAlertsInARow} non-fatal alerts in a row (the last ${alertName(item.description)}), more than the ${MAX_CONSECUTIVE_WARNING_ALERTS} this endpoint accepts without progress`,
      );
    }
  }

  private onAlert(item: Extract<Inbound, { kind: 'alert' }>): void {
    if (this.t12 && item.description === AlertDescription.close_notify) {
      // RFC 5246 7.2.1: "Unless some other fatal alert has been transmitted, each party is required to send a
      // close_notify alert before closing the write side of the connection. The other party MUST respond with a
      // close_notify alert of its own and close down the connection immediately, discarding any pending writes."
      this.readClosed = true;
      this.emit({ type: 'closed', by: 'peer' });
      if (!this.writeClosed) {
        this.sendAlert(AlertDescription.close_notify, AlertLevel.warning);
        this.writeClosed = true;
        this.emit({ type: 'closed', by: 'local' });
      }
      this.state = 'closed';
      return;
    }
    if (this.t12 && item.level === AlertLevel.warning && TLS12_WARNINGS.has(item.description)) {
      // RFC 5246 7.2.2: no_renegotiation and user_canceled are warnings, and the certificate alerts may be sent
      // as warnings; "the receiving party MAY decide at its discretion whether to treat this as a fatal error or
      // not": this endpoint carries on and reports the alert, up to a limit.
      this.countWarningAlert(item);
      this.emit({ type: 'alert', level: item.level, description: item.description });
      return;
    }
    if (item.description === AlertDescription.close_notify) {
      // RFC 8446 6.1: close_notify closes the peer's write side only. Unlike TLS 1.2, no immediate answer is
      // required ("a change from versions of TLS prior to TLS 1.3"): we may go on writing, and the
      // application closes our side with close() when it is done. Whatever follows is ignored.
      this.readClosed = true;
      this.emit({ type: 'closed', by: 'peer' });
      // A close during the handshake ends it: nothing can complete it any more.
      if (this.writeClosed || this.state === 'handshaking') this.state = 'closed';
      return;
    }
    if (item.description === AlertDescription.user_canceled) {
      // RFC 8446 6.1: user_canceled is a closure alert; a close_notify should follow. Counted like TLS 1.2
      // warnings: the connection does not wait for close_notify forever.
      this.countWarningAlert(item);
      this.emit({ type: 'alert', level: item.level, description: item.description });
      return;
    }
    // RFC 8446 6: every other alert, whatever its level, and unknown alerts, are error alerts: the
    // connection ends at once, without an alert of ours in answer. TLS 1.2: RFC 5246 7.2.2, "Upon transmission
    // or receipt of a fatal alert message, both parties immediately close the connection."
    throw new TlsError(
      (alertName(item.description) in AlertDescription ? alertName(item.description) : 'internal_error') as TlsError['alert'],
      this.t12 ? 'RFC 5246 7.2.2' : 'RFC 8446 6',
      `peer sent alert ${alertName(item.description)} (level ${item.level})`,
      'alert-received',
    );
  }

  /** Post-handshake messages: KeyUpdate for both; the client adds NewSessionTicket (and CertificateRequest). */
  protected onPostHandshake(item: Extract<Inbound, { kind: 'handshake' }>): void {
    const msg = decode13(item);
    if (msg.msg_type === 'key_update') return this.onKeyUpdate(msg.request_update);
    throw unexpected(msg, 'connected');
  }

  private onKeyUpdate(request: number): void {
    if (!this.suite || !this.readSecret) throw new TlsError('unexpected_message', 'RFC 8446 4.6.3', 'KeyUpdate before Finished');
    // RFC 8446 4.6.3: the receiver updates its receiving keys (record boundary checked by setReadProtection).
    this.readSecret = this.suite.ks.nextApplicationTrafficSecret(this.readSecret);
    this.rl.setReadProtection(this.suite.protection(this.readSecret));
    this.emit({ type: 'key_update', direction: 'read', requested: request === KeyUpdateRequest.update_requested });
    // RFC 8446 4.6.3: "If the request_update field is set to "update_requested", then the receiver MUST send a
    // KeyUpdate of its own with request_update set to "update_not_requested" prior to sending its next
    // Application Data record." We send it at once unless our write side is closed.
    if (request === KeyUpdateRequest.update_requested) {
      this.keyUpdateOwed = true;
      this.flushKeyUpdate();
    }
  }

  private flushKeyUpdate(): void {
    if (!this.keyUpdateOwed || this.writeClosed) return;
    this.keyUpdateOwed = false;
    this.sendKeyUpdate(KeyUpdateRequest.update_not_requested);
  }

  private sendKeyUpdate(request: number): void {
    if (!this.suite || !this.writeSecret) return;
    this.sendHandshake({ msg_type: 'key_update', request_update: request }, false);
    this.writeSecret = this.suite.ks.nextApplicationTrafficSecret(this.writeSecret);
    this.rl.setWriteProtection(this.suite.protection(this.writeSecret));
    this.emit({ type: 'key_update', direction: 'write', requested: request === KeyUpdateRequest.update_requested });
  }
}

/** RFC 5246 7.2.2: the alerts that may come as warnings in TLS 1.2; every other one is fatal whatever its level. */
const TLS12_WARNINGS: ReadonlySet<number> = new Set<number>([
  AlertDescription.no_renegotiation,
  AlertDescription.user_canceled,
  AlertDescription.bad_certificate,
  AlertDescription.unsupported_certificate,
  AlertDescription.certificate_revoked,
  AlertDescription.certificate_expired,
  AlertDescription.certificate_unknown,
]);
