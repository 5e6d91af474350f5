/**
 * The harness's own TLS 1.3 endpoint in a conversation with a target: a scripted peer, permissive in what it
 * sends and as strict as the reference in what it accepts.
 *
 * Unlike the reference endpoints, it sends only what the scenario's steps say, when they say it, and it never
 * aborts: it builds each message with every field filled from the live handshake state (so a scenario only
 * states what it changes), keeps the transcript and keys from what was really sent and received, and
 * decrypts what the target sends. Every message the target sends goes through the same checks the reference
 * client and server run (implementations/reference/connection/checks13.ts), compared with what the harness
 * really sent (its ClientHello, HelloRetryRequest or CertificateRequest after the scenario's `set` and
 * `mutate`, never its configuration): a rule the target breaks becomes the observation's `violation`, with
 * the alert the RFC names, and the engine turns it into a failure citing the rule, whatever the scenario was
 * about. The peer keeps going after a violation (keys, transcript) so the rest of the conversation is still
 * decoded in the report.
 */
import { logKey } from '../../implementations/reference/connection/keylog.ts';
import { AlertDescription, ContentType, ProtocolVersion, nameOf } from '../../implementations/reference/codec/enums.ts';
import type { Extension } from '../../implementations/reference/codec/extensions.ts';
import type { ClientHello, HandshakeContext, HandshakeMessage } from '../../implementations/reference/codec/handshake.ts';
import { equalBytes } from '../../implementations/reference/codec/bytes.ts';
import { CryptoError, type KeyPair } from '../../implementations/reference/crypto/provider.ts';
import { suiteParams } from '../../implementations/reference/crypto/suites.ts';
import type { EndpointConfig, StoredTicket } from '../../implementations/reference/connection/config.ts';
import { TlsError } from '../../implementations/reference/connection/errors.ts';
import { groupName } from '../../implementations/reference/connection/groups.ts';
import { Tls13Suite, certificateVerifyContent, chooseScheme, findExt, schemeName } from '../../implementations/reference/connection/tls13.ts';
import {
  checkCertificateRequest,
  checkCertificateVerify,
  checkClientCertificate,
  checkClientHello13,
  checkClientHelloExtensions,
  checkClientHelloSenderRules,
  checkEncryptedExtensions,
  checkFinished,
  checkHelloRetryRequest,
  checkNewSessionTicket,
  checkSecondClientHello,
  checkServerCertificate,
  checkServerHello,
  offeredSchemes,
  offersTls13,
  sharedSecret,
} from '../../implementations/reference/connection/checks13.ts';
import { buildClientHello, fillPskBinder, truncateBeforeBinders } from '../../implementations/reference/connection/builders13.ts';
import { openTicket, sealTicket, type TicketState } from '../../implementations/reference/connection/tickets.ts';
import { KEY_USAGE, type Certificate } from '../../implementations/reference/crypto/certificate.ts';
import { ScriptedPeer, violationOf, type Violation } from './peer.ts';
import { ScenarioRuntimeError, TargetLacksError } from './fields.ts';
import { ffdheLeadingZeroKey, type FfdheLeadingZero } from './ffdhe-key.ts';

/** psk14: what the scripted client offers beyond its EndpointConfig (scenario config.psk_unknown_identities). */
export interface HarnessPskOptions {
  /** Unknown PSK identities offered before the harness's ticket (RFC 8446 4.2.11), each with a zero binder. */
  pskUnknownIdentities?: number;
  /** psk2: the harness as server resumes a ticket it issued when the client offers it first (scenario config.accept_psk). */
  acceptPsk?: boolean;
}

export { violationOf, messageName, messageType, contentTypeCode, type Violation, type Observation } from './peer.ts';

/**
 * The target's end-entity certificate (the first CertificateEntry), beyond what chain validation looks at
 * (issue 14): its type and, for a server, its keyUsage.
 */
export function checkEndEntity(leaf: Certificate | undefined, side: 'server' | 'client'): Violation | undefined {
  if (!leaf) return undefined;
  const section = side === 'server' ? 'RFC 8446 4.4.2.2' : 'RFC 8446 4.4.2.3';
  // RFC 8446 4.4.2.2 (server) and 4.4.2.3 (client): "The certificate type MUST be X.509v3 [RFC5280], unless
  // explicitly negotiated otherwise (e.g., [RFC7250])." (the harness negotiates no other certificate type)
  if (leaf.version !== 3) return { rule: section, message: `${side} end-entity certificate is X.509v${leaf.version}, not X.509v3`, alert: 'unsupported_certificate' };
  // RFC 8446 4.4.2.2: "The certificate MUST allow the key to be used for signing (i.e., the digitalSignature
  // bit MUST be set if the Key Usage extension is present) with a signature scheme indicated in the client's
  // "signature_algorithms"/"signature_algorithms_cert" extensions (see Section 4.2.3)."
  if (side === 'server' && leaf.keyUsage !== undefined && (leaf.keyUsage & KEY_USAGE.digitalSignature) === 0) {
    return { rule: section, message: 'server end-entity certificate has a keyUsage extension without digitalSignature', alert: 'unsupported_certificate' };
  }
  return undefined;
}

export abstract class Peer13 extends ScriptedPeer {
  readonly version = 'tls13' as const;
  suite: Tls13Suite | undefined;
  protected handshakeSecret: Uint8Array | undefined;
  protected clientHsSecret: Uint8Array | undefined;
  protected serverHsSecret: Uint8Array | undefined;
  protected clientAppSecret: Uint8Array | undefined;
  protected serverAppSecret: Uint8Array | undefined;
  protected masterSecret: Uint8Array | undefined;
  /**
   * A fault in the harness's own CertificateVerify (config.certificate_verify), the signature otherwise valid:
   * signed over the other side's context string, or over the transcript without the Certificate message.
   */
  certificateVerifyFault: 'other_context' | 'stale_transcript' | undefined;
  /** Transcript-Hash before the harness's latest Certificate (for the stale_transcript fault). */
  private hashBeforeCertificate: Uint8Array | undefined;

  constructor(config: EndpointConfig) {
    super(config);
    this.rl.tls13 = true;
  }

  protected override beforeSend(msg: HandshakeMessage): void {
    if (msg.msg_type === 'certificate' && this.suite) this.hashBeforeCertificate = this.transcript.current();
  }

  /**
   * What the harness's CertificateVerify signs (RFC 8446 4.4.3): 64 spaces, the context string of `side`, a
   * zero byte, Transcript-Hash(Handshake Context, Certificate); or, with a fault, the other side's context
   * string or the hash before the Certificate.
   */
  protected certificateVerifyInput(side: 'server' | 'client'): Uint8Array {
    const other = side === 'server' ? 'client' : 'server';
    const hash = this.certificateVerifyFault === 'stale_transcript' && this.hashBeforeCertificate ? this.hashBeforeCertificate : this.transcript.current();
    return certificateVerifyContent(this.certificateVerifyFault === 'other_context' ? other : side, hash);
  }

  protected decodeContext(): HandshakeContext {
    return { version: 'tls13' };
  }

  protected override finishedLength(): number {
    return this.suite?.hashLength ?? 32;
  }

  /** RFC 8446 7.1: the handshake secret and both handshake traffic secrets, over the transcript so far. */
  protected deriveHandshakeSecrets(suite: Tls13Suite, earlySecret: Uint8Array, shared: Uint8Array | undefined): void {
    this.handshakeSecret = suite.ks.handshakeSecret(earlySecret, shared);
    const th = this.transcript.current();
    this.clientHsSecret = suite.ks.clientHandshakeTrafficSecret(this.handshakeSecret, th);
    this.serverHsSecret = suite.ks.serverHandshakeTrafficSecret(this.handshakeSecret, th);
    logKey(this.keyLog, 'CLIENT_HANDSHAKE_TRAFFIC_SECRET', this.keyLogRandom(), this.clientHsSecret);
    logKey(this.keyLog, 'SERVER_HANDSHAKE_TRAFFIC_SECRET', this.keyLogRandom(), this.serverHsSecret);
  }

  /** The ClientHello's random, which names the connection in the key log. */
  protected abstract keyLogRandom(): Uint8Array | undefined;

  /** RFC 8446 7.1: the master secret and both application traffic secrets, after the server Finished. */
  protected deriveApplicationSecrets(): void {
    if (!this.suite || !this.handshakeSecret) return;
    this.masterSecret = this.suite.ks.masterSecret(this.handshakeSecret);
    const th = this.transcript.current();
    this.clientAppSecret = this.suite.ks.clientApplicationTrafficSecret0(this.masterSecret, th);
    this.serverAppSecret = this.suite.ks.serverApplicationTrafficSecret0(this.masterSecret, th);
    logKey(this.keyLog, 'CLIENT_TRAFFIC_SECRET_0', this.keyLogRandom(), this.clientAppSecret);
    logKey(this.keyLog, 'SERVER_TRAFFIC_SECRET_0', this.keyLogRandom(), this.serverAppSecret);
  }

  protected setRead(secret: Uint8Array | undefined, epoch: string): void {
    if (!this.suite || !secret) return;
    try {
      this.rl.setReadProtection(this.suite.protection(secret));
    } catch (e) {
      // A key change in the middle of a record: the target broke RFC 8446 5.1; keep reading with the new keys.
      if (!(e instanceof TlsError)) throw e;
    }
    this.readEpoch = epoch;
  }

  protected setWrite(secret: Uint8Array | undefined, epoch: string): void {
    if (!this.suite || !secret) return;
    this.rl.setWriteProtection(this.suite.protection(secret));
    this.writeEpoch = epoch;
  }

  /** KeyUpdate sent by us: our write keys move on (RFC 8446 4.6.3). */
  protected updateWrite(): void {
    const mine = this.role === 'client' ? 'clientAppSecret' : 'serverAppSecret';
    if (!this.suite || !this[mine]) return;
    this[mine] = this.suite.ks.nextApplicationTrafficSecret(this[mine]!);
    this.setWrite(this[mine], 'application');
  }

  /** KeyUpdate received: the target's keys move on. */
  protected updateRead(): void {
    const theirs = this.role === 'client' ? 'serverAppSecret' : 'clientAppSecret';
    if (!this.suite || !this[theirs]) return;
    this[theirs] = this.suite.ks.nextApplicationTrafficSecret(this[theirs]!);
    this.setRead(this[theirs], 'application');
  }

  /** RFC 8446 4.4.3 (checks13.ts), against the signature_algorithms the harness sent (`offered`). */
  protected checkCertificateVerify(msg: Extract<HandshakeMessage, { msg_type: 'certificate_verify' }>, side: 'server' | 'client', offered: readonly number[]): Violation | undefined {
    const key = this.peerChain[0]?.publicKey;
    if (!key) return { rule: 'RFC 8446 4.4.3', message: `${side} CertificateVerify without a usable certificate before it`, alert: 'unexpected_message' };
    return violationOf(() => checkCertificateVerify(msg, { side, offered, key, provider: this.config.provider, transcriptHash: this.transcript.current() }));
  }

  /** RFC 8446 4.4.4 (checks13.ts), against the verify_data the harness computes from `baseKey`. */
  protected checkFinished(msg: Extract<HandshakeMessage, { msg_type: 'finished' }>, baseKey: Uint8Array | undefined, side: 'server' | 'client'): Violation | undefined {
    if (!this.suite || !baseKey) return { rule: 'RFC 8446 4.4.4', message: `${side} Finished before keys were agreed` };
    const expected = this.suite.ks.finishedVerifyData(baseKey, this.transcript.current());
    return violationOf(() => checkFinished(msg, expected, side));
  }

  /**
   * NewSessionTicket and KeyUpdate are post-handshake messages outside the transcript (RFC 8446 4.4.1: the
   * transcript hash covers the handshake messages; 4.6.1 derives each ticket's PSK from the resumption master
   * secret, which the first ticket must not change), as the messages received from the target (afterReceive).
   */
  protected override joinsTranscript(msg: HandshakeMessage): boolean {
    return !(msg.msg_type === 'key_update' || (msg.msg_type === 'new_session_ticket' && msg.form === 'tls13'));
  }
}

// ---------------------------------------------------------------------------------------------------------

/** The harness as a TLS 1.3 client, talking to a target server. */
export class ClientPeer13 extends Peer13 {
  readonly role = 'client' as const;
  private readonly keyShares = new Map<number, KeyPair>();
  private sessionId: Uint8Array;
  private random: Uint8Array;
  private clientHello: ClientHello | undefined;
  protected keyLogRandom(): Uint8Array | undefined {
    return this.clientHello?.random;
  }
  /** The server sent a change_cipher_spec record in this connection (RFC 8446 D.4). */
  private ccsReceived = false;
  private hrr: Extract<HandshakeMessage, { msg_type: 'hello_retry_request' }> | undefined;
  private certRequest: Extract<HandshakeMessage, { msg_type: 'certificate_request'; form: 'tls13' }> | undefined;
  private offeredPsk: StoredTicket | undefined;
  /** The PSK identity the target's ServerHello selected. */
  private pskIdentity: number | undefined;
  private earlySecret: Uint8Array | undefined;
  private resumptionMaster: Uint8Array | undefined;
  /**
   * Tickets that came before our Finished went out: RFC 8446 4.6.1 lets a server that does not authenticate
   * the client send them "immediately upon sending its Finished"; their PSK needs the resumption master
   * secret, which needs our Finished in the transcript.
   */
  private readonly earlyTickets: { msg: Extract<HandshakeMessage, { msg_type: 'new_session_ticket'; form: 'tls13' }>; receivedAt: number }[] = [];
  /** Tickets the target issued (for reconnect with resume). */
  readonly tickets: StoredTicket[] = [];
  serverFinished = false;
  /** True once our Finished went out after the server's. */
  handshakeDone = false;

  get handshakeComplete(): boolean {
    return this.serverFinished;
  }

  /** Where the harness's ticket is in its pre_shared_key identities (after the unknown ones). */
  private readonly ticketIndex: number;
  /** The unknown identities offered before the ticket (the same in both ClientHellos of a HelloRetryRequest exchange). */
  private readonly unknownIdentities: Uint8Array[];

  constructor(config: EndpointConfig & HarnessPskOptions, resumeWith?: StoredTicket) {
    super(config);
    this.ticketIndex = resumeWith ? (config.pskUnknownIdentities ?? 0) : 0;
    this.unknownIdentities = Array.from({ length: this.ticketIndex }, () => config.random(16));
    this.sessionId = config.middleboxCompat ? config.random(32) : new Uint8Array(0);
    this.random = config.random(32);
    this.offeredPsk = resumeWith;
    for (const g of config.keyShareGroups ?? config.groups.slice(0, 1)) this.keyShares.set(g, this.share(g));
    // RFC 8446 5.1: the initial ClientHello may go in a record of version 0x0301.
    this.rl.writeVersion = ProtocolVersion.TLS1_0;
  }

  private share(group: number): KeyPair {
    const name = groupName(group);
    if (!name) throw new ScenarioRuntimeError(`the harness cannot make a key share for group 0x${group.toString(16)}`);
    return this.config.provider.keyExchange(name).generate(this.config.ephemeralKey?.(group));
  }

  build(name: string): HandshakeMessage {
    switch (name) {
      case 'ClientHello': {
        const cookie = this.hrr ? findExt(this.hrr.extensions, 'cookie')?.cookie : undefined;
        const ch = buildClientHello(this.config, {
          keyShares: this.keyShares,
          sessionId: this.sessionId,
          random: this.random,
          cookie,
          earlyData: !!(this.offeredPsk && this.config.earlyData && !this.hrr),
          psk: this.offeredPsk,
        });
        if (this.offeredPsk) this.earlySecret = this.fillBinders(ch, this.ticketIndex > 0);
        return ch;
      }
      case 'Finished':
        if (this.suite && this.clientHsSecret) {
          return { msg_type: 'finished', verify_data: this.suite.ks.finishedVerifyData(this.clientHsSecret, this.transcript.current()) };
        }
        return this.generic(name);
      case 'Certificate': {
        const ck = this.config.certificates[0];
        return {
          msg_type: 'certificate',
          form: 'tls13',
          certificate_request_context: this.certRequest?.certificate_request_context ?? new Uint8Array(0),
          certificate_list: ck ? ck.chain.map((d) => ({ cert_data: d, extensions: [] })) : [],
        };
      }
      case 'CertificateVerify': {
        const ck = this.config.certificates[0];
        if (!ck || !this.suite) return this.generic(name);
        const accepted = findExt(this.certRequest?.extensions, 'signature_algorithms')?.supported_signature_algorithms ?? this.config.signatureSchemes;
        const scheme = chooseScheme(ck.key, accepted, this.config.signatureSchemes) ?? this.config.signatureSchemes[0];
        const content = this.certificateVerifyInput('client');
        return { msg_type: 'certificate_verify', algorithm: scheme, signature: this.config.provider.sign(schemeName(scheme)!, ck.key, content) };
      }
      default:
        return this.generic(name);
    }
  }

  /**
   * psk14: a `set` on a ClientHello that offers the harness's ticket keeps a valid binder: it is computed
   * again over the ClientHello as set (RFC 8446 4.2.11.2), unless the set writes the binders themselves (a
   * byte-level `mutate` comes after this and is not followed: a binder over the wrong transcript).
   */
  override afterSet(msg: HandshakeMessage, paths: readonly string[]): void {
    if (msg.msg_type !== 'client_hello' || !this.offeredPsk || paths.length === 0) return;
    if (paths.some((p) => /binders/.test(p))) return;
    this.earlySecret = this.fillBinders(msg, false) ?? this.earlySecret;
  }

  /**
   * RFC 8446 4.2.11.2: the binder of the harness's ticket, over the ClientHello truncated before the binders
   * list (after the transcript so far). With `addUnknown`, first the unknown identities (config
   * psk_unknown_identities, each a random 16-byte identity with a zero binder) go before the ticket. Returns
   * the early secret of the ticket's PSK; undefined (nothing written) when the pre_shared_key is not last or
   * has not the ticket where the harness put it.
   */
  private fillBinders(ch: ClientHello, addUnknown: boolean): Uint8Array | undefined {
    const t = this.offeredPsk;
    const psk = ch.extensions?.at(-1);
    if (!t || psk?.type !== 'pre_shared_key' || !psk.identities || !psk.binders) return undefined;
    const i = this.ticketIndex;
    // The ticket alone, where the builder put it: nothing to find.
    const alone = i === 0 && psk.identities.length === 1 && psk.binders.length === 1;
    if (!alone) {
      if (addUnknown) {
        const unknown = this.unknownIdentities.map((identity) => ({ identity, obfuscated_ticket_age: 0 }));
        psk.identities = [...unknown, ...psk.identities];
        psk.binders = [...unknown.map(() => new Uint8Array(new Tls13Suite(this.config.provider, t.cipherSuite).hashLength)), ...psk.binders];
      }
      if (!psk.identities[i] || !psk.binders[i] || !equalBytes(psk.identities[i].identity, t.ticket)) return undefined;
    }
    return fillPskBinder(ch, t, this.config.provider, this.transcript, i);
  }

  protected override onChangeCipherSpec(_data: Uint8Array): Violation | undefined {
    this.ccsReceived = true;
    return undefined;
  }

  protected afterSend(msg: HandshakeMessage | undefined, _bytes: Uint8Array): void {
    if (!msg) return;
    if (msg.msg_type === 'client_hello') {
      this.clientHello = msg;
      this.rl.flush();
      this.rl.writeVersion = ProtocolVersion.TLS1_2;
      // 0-RTT: early keys for the data that follows the first ClientHello (RFC 8446 2.3).
      if (this.offeredPsk && findExt(msg.extensions, 'early_data') && this.earlySecret) {
        const suite = new Tls13Suite(this.config.provider, this.offeredPsk.cipherSuite);
        this.transcript.start(suite.hash);
        this.suite = suite;
        this.rl.setWriteProtection(suite.protection(suite.ks.clientEarlyTrafficSecret(this.earlySecret, this.transcript.current())));
        this.writeEpoch = 'early';
      }
    } else if (msg.msg_type === 'end_of_early_data') {
      this.setWrite(this.clientHsSecret, 'handshake');
    } else if (msg.msg_type === 'finished' && this.serverFinished) {
      this.resumptionMaster = this.masterSecret && this.suite?.ks.resumptionMasterSecret(this.masterSecret, this.transcript.current());
      this.setWrite(this.clientAppSecret, 'application');
      this.handshakeDone = true;
      for (const t of this.earlyTickets.splice(0)) this.keepTicket(t.msg, t.receivedAt);
    } else if (msg.msg_type === 'key_update') {
      this.updateWrite();
    }
  }

  /** psk14: the ticket_age_add and ticket_nonce of the tickets of this connection (RFC 8446 4.6.1). */
  private readonly ticketValues: { ageAdd: number; nonce: string }[] = [];

  /**
   * RFC 8446 4.6.1, ticket_age_add: "The server MUST generate a fresh value for each ticket it sends."
   * ticket_nonce: "A per-ticket value that is unique across all tickets issued on this connection."
   */
  private checkTicketFresh(msg: Extract<HandshakeMessage, { msg_type: 'new_session_ticket'; form: 'tls13' }>): Violation | undefined {
    const nonce = Buffer.from(msg.ticket_nonce).toString('hex');
    const n = this.ticketValues.length + 1;
    const sameAge = this.ticketValues.findIndex((t) => t.ageAdd === msg.ticket_age_add);
    const sameNonce = this.ticketValues.findIndex((t) => t.nonce === nonce);
    this.ticketValues.push({ ageAdd: msg.ticket_age_add, nonce });
    if (sameAge >= 0) return { rule: 'RFC 8446 4.6.1', message: `NewSessionTicket ${n} repeats the ticket_age_add of ticket ${sameAge + 1} (${msg.ticket_age_add}): not a fresh value`, alert: 'illegal_parameter' };
    if (sameNonce >= 0) return { rule: 'RFC 8446 4.6.1', message: `NewSessionTicket ${n} repeats the ticket_nonce of ticket ${sameNonce + 1} (${nonce || 'empty'}) on this connection`, alert: 'illegal_parameter' };
    return undefined;
  }

  /** A ticket the target issued, with its PSK (RFC 8446 4.6.1), for a later `reconnect: { resume: true }`. */
  private keepTicket(msg: Extract<HandshakeMessage, { msg_type: 'new_session_ticket'; form: 'tls13' }>, receivedAt: number): void {
    if (!this.suite || !this.resumptionMaster) return;
    this.tickets.push({
      ticket: msg.ticket,
      psk: this.suite.ks.resumptionPsk(this.resumptionMaster, msg.ticket_nonce),
      cipherSuite: this.suite.code,
      receivedAt,
      lifetimeSeconds: msg.ticket_lifetime,
      ageAdd: msg.ticket_age_add,
      maxEarlyData: findExt(msg.extensions, 'early_data')?.max_early_data_size ?? 0,
    });
  }

  /** A ClientHello sent now joins the transcript: the first, and the one after a HelloRetryRequest. */
  private helloPending = true;
  private serverHelloSeen = false;

  /**
   * Before the ServerHello the server's transcript is the ClientHello it answers (RFC 8446 4.4.1), after a
   * HelloRetryRequest the second one. A message the harness sends out of place before it (a second ClientHello
   * without a HelloRetryRequest, a Certificate, a fuzz fault) is one the server must refuse, not one its keys
   * cover: it stays out of the harness's transcript, so the server's alert under its handshake keys can be read.
   */
  protected override joinsTranscript(msg: HandshakeMessage): boolean {
    if (!super.joinsTranscript(msg)) return false;
    if (this.serverHelloSeen) return true;
    if (msg.msg_type !== 'client_hello' || !this.helloPending) return false;
    this.helloPending = false;
    return true;
  }

  protected afterReceive(msg: HandshakeMessage, raw: Uint8Array): Violation | undefined {
    const prov = this.config.provider;
    // What the target answers: the ClientHello the harness really sent (none when a scenario sent only raw bytes).
    const ch = this.clientHello;
    switch (msg.msg_type) {
      case 'hello_retry_request': {
        const v = ch ? violationOf(() => checkHelloRetryRequest(msg, { clientHello: ch, afterHelloRetry: this.hrr !== undefined })) : undefined;
        const params = suiteParams(msg.cipher_suite);
        if (!params || params.version !== 'TLS1.3') {
          this.transcript.add(raw);
          return v ?? { rule: 'RFC 8446 4.1.3', message: `HelloRetryRequest with cipher suite 0x${msg.cipher_suite.toString(16)}, not a TLS 1.3 suite`, alert: 'illegal_parameter' };
        }
        this.suite = new Tls13Suite(prov, msg.cipher_suite);
        this.transcript.start(this.suite.hash);
        this.transcript.replaceWithMessageHash();
        this.transcript.add(raw);
        this.hrr = msg;
        this.helloPending = true;
        const g = findExt(msg.extensions, 'key_share')?.selected_group;
        if (g !== undefined && groupName(g)) {
          this.keyShares.clear();
          this.keyShares.set(g, this.share(g));
        }
        // The record layer goes back to plaintext writes if 0-RTT keys were on (RFC 8446 4.2.10).
        if (this.writeEpoch === 'early') {
          this.rl.setWriteProtection(null);
          this.writeEpoch = 'plaintext';
        }
        return v;
      }
      case 'server_hello': {
        this.serverHelloSeen = true;
        let v = ch
          ? violationOf(() => {
              const pskHashes = this.offeredPsk ? [...Array<undefined>(this.ticketIndex).fill(undefined), suiteParams(this.offeredPsk.cipherSuite)?.prfHash] : [];
              this.pskIdentity = checkServerHello(msg, { clientHello: ch, helloRetryRequest: this.hrr, pskHashes }).pskIdentity;
            })
          : undefined;
        const params = suiteParams(msg.cipher_suite);
        const selected = findExt(msg.extensions, 'supported_versions')?.selected_version;
        // Not TLS 1.3 (a version the ClientHello offered, or a violation above): no keys the harness can derive.
        if (!params || params.version !== 'TLS1.3' || selected !== ProtocolVersion.TLS1_3) {
          this.transcript.add(raw);
          return v;
        }
        this.suite = new Tls13Suite(prov, msg.cipher_suite);
        this.transcript.start(this.suite.hash);
        this.transcript.add(raw);
        const share = findExt(msg.extensions, 'key_share')?.server_share;
        const pskSel = findExt(msg.extensions, 'pre_shared_key')?.selected_identity;
        let shared: Uint8Array | undefined;
        const kp = share && this.keyShares.get(share.group);
        if (share && kp) {
          try {
            shared = sharedSecret(prov, share.group, kp.privateKey, share.key_exchange, 'server');
          } catch (e) {
            if (!(e instanceof TlsError)) throw e;
            v ??= { rule: e.rule, message: e.detail, alert: e.alert };
          }
        }
        // The harness offers its ticket (if any) after its unknown identities (psk_unknown_identities, default none).
        const psk = pskSel === this.ticketIndex && this.offeredPsk ? this.offeredPsk.psk : undefined;
        if (psk) this.pskIdentity = pskSel;
        const early = psk && this.earlySecret ? this.earlySecret : this.suite.ks.earlySecret(psk);
        this.deriveHandshakeSecrets(this.suite, early, shared);
        this.setRead(this.serverHsSecret, 'handshake');
        if (this.writeEpoch !== 'early') this.setWrite(this.clientHsSecret, 'handshake');
        return v;
      }
      case 'encrypted_extensions': {
        this.transcript.add(raw);
        // RFC 8446 D.4: "Either side can send change_cipher_spec at any time during the handshake, as they must be
        // ignored by the peer, but if the client sends a non-empty session ID, the server MUST send the
        // change_cipher_spec as described in this appendix" ("immediately after its first handshake message"):
        // by EncryptedExtensions it has come, after the ServerHello or the HelloRetryRequest.
        if (ch && ch.legacy_session_id.length > 0 && !this.ccsReceived) {
          return { rule: 'RFC 8446 D.4', message: 'the ClientHello had a non-empty legacy_session_id (middlebox compatibility mode), but no change_cipher_spec came between the ServerHello and EncryptedExtensions', alert: 'unexpected_message' };
        }
        // psk14: 0-RTT rejected (no early_data here): RFC 8446 4.5: "If the server does not send an
        // "early_data" extension in EncryptedExtensions, then the client MUST NOT send an EndOfEarlyData
        // message." What follows goes under the handshake keys at once.
        if (this.writeEpoch === 'early' && !findExt(msg.extensions, 'early_data')) this.setWrite(this.clientHsSecret, 'handshake');
        if (!ch) return undefined;
        let accepted: number | undefined;
        const v = violationOf(() => void (accepted = checkEncryptedExtensions(msg, { clientHello: ch, pskIdentity: this.pskIdentity }).maxFragmentLength));
        // RFC 6066 4: from here on the target's records must keep to the negotiated maximum fragment length (a
        // larger one is a record_error observation, rule RFC 6066 4), and the harness's do too unless a step's
        // `record: { max_fragment }` says otherwise.
        if (!v && accepted !== undefined) return violationOf(() => this.rl.limitFragments(accepted!));
        return v;
      }
      case 'certificate_request':
        this.transcript.add(raw);
        if (msg.form !== 'tls13') return undefined;
        if (this.serverFinished) {
          // RFC 8446 4.2.6: "Servers MUST NOT send a post-handshake CertificateRequest to clients which do not
          // offer this extension." (the harness's client answers none: RFC 8446 4.6.2)
          if (ch && !findExt(ch.extensions, 'post_handshake_auth')) {
            return { rule: 'RFC 8446 4.2.6', message: 'post-handshake CertificateRequest to a ClientHello without post_handshake_auth', alert: 'unexpected_message' };
          }
          return undefined;
        }
        this.certRequest = msg;
        return violationOf(() => checkCertificateRequest(msg, { pskHandshake: this.pskIdentity !== undefined }));
      case 'certificate': {
        this.transcript.add(raw);
        if (msg.form !== 'tls13') return undefined;
        this.peerChain = this.parseLeniently(msg.certificate_list);
        const v = ch ? violationOf(() => void (this.peerChain = checkServerCertificate(msg, { clientHello: ch }))) : undefined;
        return v ?? checkEndEntity(this.peerChain[0], 'server') ?? this.checkChain('serverAuth', this.config.hostnameCheck ? this.config.serverName : undefined);
      }
      case 'certificate_verify': {
        const v = this.checkCertificateVerify(msg, 'server', ch ? offeredSchemes(ch.extensions) : [msg.algorithm]);
        this.transcript.add(raw);
        return v;
      }
      case 'finished': {
        const v = this.checkFinished(msg, this.serverHsSecret, 'server');
        this.transcript.add(raw);
        this.serverFinished = true;
        this.deriveApplicationSecrets();
        this.setRead(this.serverAppSecret, 'application');
        return v;
      }
      case 'new_session_ticket': {
        if (msg.form !== 'tls13') return undefined;
        const v = violationOf(() => checkNewSessionTicket(msg)) ?? this.checkTicketFresh(msg);
        if (this.resumptionMaster) this.keepTicket(msg, this.config.now());
        else if (!this.handshakeDone) this.earlyTickets.push({ msg, receivedAt: this.config.now() });
        return v;
      }
      case 'key_update':
        this.updateRead();
        return undefined;
      default:
        this.transcript.add(raw);
        return undefined;
    }
  }
}

// ---------------------------------------------------------------------------------------------------------

/** The harness as a TLS 1.3 server, talking to a target client. */
export class ServerPeer13 extends Peer13 {
  readonly role = 'server' as const;
  clientHello: ClientHello | undefined;
  protected keyLogRandom(): Uint8Array | undefined {
    return this.clientHello?.random;
  }
  /** The HelloRetryRequest the harness sent, as sent, and the ClientHello it answered, until the next ClientHello. */
  private pendingRetry: { hrr: Extract<HandshakeMessage, { msg_type: 'hello_retry_request' }>; clientHello: ClientHello | undefined } | undefined;
  /** The CertificateRequest the harness sent, as sent. */
  private certRequest: Extract<HandshakeMessage, { msg_type: 'certificate_request'; form: 'tls13' }> | undefined;
  private serverFinishedSent = false;
  clientFinished = false;
  /** psk2: the harness's own ticket the client offered first, resumed by the ServerHello (config.accept_psk). */
  private acceptedPsk: TicketState | undefined;
  /** psk2: the client's ClientHello offered early_data (0-RTT records may follow it). */
  private earlyOffered = false;
  /** psk2: the harness accepts the 0-RTT data: its read keys are the client's early traffic keys until EndOfEarlyData. */
  private earlyAccepted = false;
  /**
   * psk2: the client's early traffic keys, when its first PSK is the harness's own ticket and it offered
   * early_data: an EncryptedExtensions the harness sends with early_data (a scenario's insert) switches its
   * reads to them, as its answer says it accepted (RFC 8446 4.5: the client sends EndOfEarlyData, and anything
   * before it, under those keys).
   */
  private earlyKeys: ReturnType<Tls13Suite['protection']> | undefined;

  get handshakeComplete(): boolean {
    return this.clientFinished;
  }
  private ticketIndex = 0;
  /**
   * config.ffdhe_leading_zero: with an ffdhe group, the ServerHello's key share is searched for until the shared secret
   * Z (RFC 8446 7.4.1) or the harness's public value Y (4.2.8.1) starts with a zero byte (ffdhe-key.ts).
   */
  ffdheLeadingZero: FfdheLeadingZero | undefined;
  /** What the last such key is, for the transcript (the engine notes it once, then clears it). */
  ffdheLeadingZeroNote: string | undefined;

  build(name: string): HandshakeMessage {
    const c = this.config;
    const ch = this.clientHello;
    switch (name) {
      case 'HelloRetryRequest': {
        const offered = findExt(ch?.extensions, 'supported_groups')?.named_group_list ?? [];
        const shared = new Set((findExt(ch?.extensions, 'key_share')?.client_shares ?? []).map((s) => s.group));
        const group = c.groups.find((g) => offered.includes(g) && !shared.has(g) && groupName(g)) ?? c.groups[0];
        // config.ffdhe_leading_zero: the retry must select an ffdhe group the client listed without a share.
        if (this.ffdheLeadingZero && !(offered.includes(group) && !shared.has(group) && isFfdhe(group)))
          throw new TargetLacksError(`config.ffdhe_leading_zero: the target's ClientHello lists no ffdhe group of the scenario's config.groups without a key share (supported_groups: ${offered.map((g) => groupName(g) ?? g).join(', ') || 'none'})`);
        const exts: Extension[] = [{ type: 'key_share', selected_group: group }];
        if (c.helloRetryCookie) exts.push({ type: 'cookie', cookie: c.cookieFactory?.() ?? c.random(32) });
        exts.push({ type: 'supported_versions', selected_version: ProtocolVersion.TLS1_3 });
        return {
          msg_type: 'hello_retry_request',
          legacy_version: ProtocolVersion.TLS1_2,
          legacy_session_id_echo: ch?.legacy_session_id ?? new Uint8Array(0),
          cipher_suite: this.chooseSuite(),
          legacy_compression_method: 0,
          extensions: exts,
        };
      }
      case 'ServerHello': {
        const exts: Extension[] = [];
        const share = this.chooseShare();
        if (share) exts.push({ type: 'key_share', server_share: { group: share.group, key_exchange: share.kp.publicKey } });
        exts.push({ type: 'supported_versions', selected_version: ProtocolVersion.TLS1_3 });
        // psk2: RFC 8446 4.2.11: the harness's own ticket, offered first, resumed (config.accept_psk).
        if (this.acceptedPsk) exts.push({ type: 'pre_shared_key', selected_identity: 0 });
        this.pendingShare = share;
        return {
          msg_type: 'server_hello',
          legacy_version: ProtocolVersion.TLS1_2,
          random: c.random(32),
          legacy_session_id_echo: ch?.legacy_session_id ?? new Uint8Array(0),
          cipher_suite: this.chooseSuite(),
          legacy_compression_method: 0,
          extensions: exts,
        };
      }
      case 'EncryptedExtensions': {
        const exts: Extension[] = [];
        const alpn = findExt(ch?.extensions, 'application_layer_protocol_negotiation');
        if (alpn && c.alpn.length > 0) {
          const offered = alpn.protocol_name_list.map((p) => new TextDecoder().decode(p));
          const chosen = c.alpn.find((p) => offered.includes(p));
          if (chosen) exts.push({ type: 'application_layer_protocol_negotiation', protocol_name_list: [new TextEncoder().encode(chosen)] });
        }
        if (findExt(ch?.extensions, 'server_name')) exts.push({ type: 'server_name' });
        // psk2: RFC 8446 4.2.10: a server accepting early data answers with an empty early_data extension.
        if (this.earlyAccepted) exts.push({ type: 'early_data' });
        return { msg_type: 'encrypted_extensions', extensions: exts };
      }
      case 'CertificateRequest':
        return {
          msg_type: 'certificate_request',
          form: 'tls13',
          certificate_request_context: new Uint8Array(0),
          extensions: [{ type: 'signature_algorithms', supported_signature_algorithms: [...c.signatureSchemes] }],
        };
      case 'Certificate': {
        const ck = this.chooseCertificate()?.ck;
        return {
          msg_type: 'certificate',
          form: 'tls13',
          certificate_request_context: new Uint8Array(0),
          certificate_list: ck ? ck.chain.map((d) => ({ cert_data: d, extensions: [] })) : [],
        };
      }
      case 'CertificateVerify': {
        const chosen = this.chooseCertificate();
        if (!chosen) return this.generic(name);
        const content = this.certificateVerifyInput('server');
        return { msg_type: 'certificate_verify', algorithm: chosen.scheme, signature: c.provider.sign(schemeName(chosen.scheme)!, chosen.ck.key, content) };
      }
      case 'Finished':
        if (this.suite && this.serverHsSecret && !this.serverFinishedSent) {
          return { msg_type: 'finished', verify_data: this.suite.ks.finishedVerifyData(this.serverHsSecret, this.transcript.current()) };
        }
        return this.generic(name);
      case 'NewSessionTicket': {
        if (!this.suite || !this.masterSecret || !this.clientFinished) return this.generic(name);
        const rms = this.suite.ks.resumptionMasterSecret(this.masterSecret, this.transcript.current());
        const nonce = Uint8Array.of(this.ticketIndex++);
        const ageAdd = new DataView(c.random(4).buffer).getUint32(0);
        const psk = this.suite.ks.resumptionPsk(rms, nonce);
        const ticket = sealTicket(c.provider, c.ticketKey, { psk, cipherSuite: this.suite.code, issuedAt: c.now(), lifetimeSeconds: c.ticketLifetime, ageAdd, maxEarlyData: c.maxEarlyData, alpn: '' }, c.random(12));
        // psk2: config.max_early_data: the ticket allows 0-RTT (RFC 8446 4.6.1, early_data "max_early_data_size").
        const extensions: Extension[] = c.maxEarlyData > 0 ? [{ type: 'early_data', max_early_data_size: c.maxEarlyData }] : [];
        return { msg_type: 'new_session_ticket', form: 'tls13', ticket_lifetime: c.ticketLifetime, ticket_age_add: ageAdd, ticket_nonce: nonce, ticket, extensions };
      }
      default:
        return this.generic(name);
    }
  }

  private pendingShare: { group: number; kp: KeyPair; peer: Uint8Array } | undefined;

  private chooseSuite(): number {
    const offered = this.clientHello?.cipher_suites ?? [];
    // psk2: a resumed ticket keeps its suite (RFC 8446 4.2.10: 0-RTT needs "the same cipher suite").
    const t = this.acceptedPsk?.cipherSuite;
    if (t !== undefined && offered.includes(t) && this.config.cipherSuites.includes(t)) return t;
    return this.config.cipherSuites.find((s) => offered.includes(s)) ?? this.config.cipherSuites[0];
  }

  private chooseShare(): { group: number; kp: KeyPair; peer: Uint8Array } | undefined {
    const shares = findExt(this.clientHello?.extensions, 'key_share')?.client_shares ?? [];
    const pick = this.config.groups.map((g) => shares.find((s) => s.group === g)).find((s) => s && groupName(s.group)) ?? shares.find((s) => groupName(s.group));
    if (!pick) return undefined;
    const name = groupName(pick.group)!;
    const kx = this.config.provider.keyExchange(name);
    // config.ffdhe_leading_zero (ffdhe-key.ts): a key whose Z with the client's share (or whose own Y) starts with 0x00.
    if (this.ffdheLeadingZero) {
      if (!isFfdhe(pick.group)) throw new TargetLacksError(`config.ffdhe_leading_zero: the target's key share is for ${name}, not an ffdhe group`);
      const chosen = ffdheLeadingZeroKey(kx, pick.key_exchange, this.ffdheLeadingZero);
      // undefined: the client's Y is invalid (RFC 7919 5.1; the peer's own checks judge it): any key will do.
      if (chosen) {
        const head = (b: Uint8Array) => Buffer.from(b.subarray(0, 4)).toString('hex');
        this.ffdheLeadingZeroNote = `${name}, ${this.ffdheLeadingZero} after ${chosen.tries} candidate(s): Z (${chosen.shared.length} bytes) starts ${head(chosen.shared)}.., the harness's Y starts ${head(chosen.kp.publicKey)}..`;
        return { group: pick.group, kp: chosen.kp, peer: pick.key_exchange };
      }
    }
    return { group: pick.group, kp: kx.generate(this.config.ephemeralKey?.(pick.group)), peer: pick.key_exchange };
  }

  private chooseCertificate(): { ck: EndpointConfig['certificates'][number]; scheme: number } | undefined {
    const accepted = findExt(this.clientHello?.extensions, 'signature_algorithms')?.supported_signature_algorithms ?? this.config.signatureSchemes;
    for (const ck of this.config.certificates) {
      const scheme = chooseScheme(ck.key, accepted, this.config.signatureSchemes);
      if (scheme !== undefined) return { ck, scheme };
    }
    const ck = this.config.certificates[0];
    return ck ? { ck, scheme: chooseScheme(ck.key, this.config.signatureSchemes, this.config.signatureSchemes) ?? this.config.signatureSchemes[0] } : undefined;
  }

  protected afterSend(msg: HandshakeMessage | undefined, _bytes: Uint8Array): void {
    if (!msg) return;
    const prov = this.config.provider;
    switch (msg.msg_type) {
      case 'hello_retry_request':
        this.pendingRetry = { hrr: msg, clientHello: this.clientHello };
        // psk2: RFC 8446 4.2.10: after a HelloRetryRequest no 0-RTT data is accepted; the records are skipped.
        this.earlyKeys = undefined;
        if (this.earlyAccepted) {
          this.earlyAccepted = false;
          this.rl.setReadProtection(null);
          this.readEpoch = 'plaintext';
        }
        return;
      case 'certificate_request':
        if (msg.form === 'tls13') this.certRequest = msg;
        return;
      case 'encrypted_extensions':
        // psk2: early_data in the harness's EncryptedExtensions (inserted where the harness did not accept):
        // the client reads it as accepted 0-RTT, so its records stay under the early keys until EndOfEarlyData.
        if (!this.earlyAccepted && this.earlyKeys && findExt(msg.extensions, 'early_data')) {
          this.earlyAccepted = true;
          this.rl.skipUndecryptable = 0;
          this.rl.setReadProtection(this.earlyKeys);
          this.readEpoch = 'early';
        }
        return;
      case 'server_hello': {
        const share = findExt(msg.extensions, 'key_share')?.server_share;
        let shared: Uint8Array | undefined;
        if (share && this.pendingShare && share.group === this.pendingShare.group) {
          try {
            shared = prov.keyExchange(groupName(share.group)!).sharedSecret(this.pendingShare.kp.privateKey, this.pendingShare.peer);
          } catch (e) {
            if (!(e instanceof CryptoError)) throw e;
          }
        }
        if (!this.suite) return;
        // psk2: a ServerHello that selects the resumed ticket (identity 0) keys the handshake with its PSK.
        const resumed = this.acceptedPsk && findExt(msg.extensions, 'pre_shared_key')?.selected_identity === 0 ? this.acceptedPsk.psk : undefined;
        this.deriveHandshakeSecrets(this.suite, this.suite.ks.earlySecret(resumed), shared);
        this.rl.flush();
        this.setWrite(this.serverHsSecret, 'handshake');
        // psk2: with 0-RTT accepted, the client's records stay under its early traffic keys until EndOfEarlyData.
        if (this.earlyAccepted) return;
        this.setRead(this.clientHsSecret, 'handshake');
        // RFC 8446 4.2.10: a server that does not accept offered early data skips the records it cannot decrypt
        // (up to max_early_data_size; here 2^14 more than the ticket's, as the reference server).
        if (this.earlyOffered) this.rl.skipUndecryptable = Math.max(this.config.maxEarlyData, 2 ** 14) + 2 ** 14;
        return;
      }
      case 'finished':
        if (this.serverFinishedSent || !this.suite || !this.handshakeSecret) return;
        this.serverFinishedSent = true;
        this.deriveApplicationSecrets();
        this.setWrite(this.serverAppSecret, 'application');
        return;
      case 'key_update':
        this.updateWrite();
        return;
    }
  }

  protected override beforeSend(msg: HandshakeMessage): void {
    super.beforeSend(msg);
    if (msg.msg_type === 'hello_retry_request' || msg.msg_type === 'server_hello') {
      const params = suiteParams(msg.cipher_suite);
      // A suite the harness cannot run (sent on purpose): no keys follow; the target's answer is in the clear.
      if (!params || params.version !== 'TLS1.3') return;
      this.suite = new Tls13Suite(this.config.provider, msg.cipher_suite);
      this.transcript.start(this.suite.hash);
      // RFC 8446 4.4.1: ClientHello1 becomes message_hash(ClientHello1); the HelloRetryRequest follows it.
      if (msg.msg_type === 'hello_retry_request') this.transcript.replaceWithMessageHash();
    }
  }

  protected afterReceive(msg: HandshakeMessage, raw: Uint8Array): Violation | undefined {
    switch (msg.msg_type) {
      case 'client_hello': {
        // psk2: the binder of a resumed ticket is over the transcript before this ClientHello.
        const resumption = this.resumption(msg, raw, this.pendingRetry !== undefined);
        this.transcript.add(raw);
        this.clientHello = msg;
        const retry = this.pendingRetry;
        this.pendingRetry = undefined;
        if (resumption) return resumption;
        return violationOf(() => {
          // RFC 8446 4.2: every ClientHello (checks13.ts).
          checkClientHelloExtensions(msg);
          // A ClientHello that does not offer TLS 1.3 is judged by RFC 5246, not here.
          if (!offersTls13(msg)) return;
          // What a server enforces, then what binds the client as the sender (checks13.ts).
          checkClientHello13(msg);
          checkClientHelloSenderRules(msg);
          // RFC 8446 4.1.2: after the harness's HelloRetryRequest, the same ClientHello but for the permitted changes.
          if (retry?.clientHello) checkSecondClientHello(msg, { clientHello1: retry.clientHello, helloRetryRequest: retry.hrr });
        });
      }
      case 'certificate': {
        this.transcript.add(raw);
        if (msg.form !== 'tls13') return undefined;
        const cr = this.certRequest;
        // RFC 8446 4.4.2: "The client MUST send a Certificate message if and only if the server has requested
        // client authentication via a CertificateRequest message".
        if (!cr) return { rule: 'RFC 8446 4.4.2', message: 'client Certificate, but the harness sent no CertificateRequest', alert: 'unexpected_message' };
        this.peerChain = this.parseLeniently(msg.certificate_list);
        return violationOf(() => void (this.peerChain = checkClientCertificate(msg, { certificateRequest: cr }))) ?? checkEndEntity(this.peerChain[0], 'client') ?? this.checkChain('clientAuth');
      }
      case 'certificate_verify': {
        const v = this.checkCertificateVerify(msg, 'client', this.certRequest ? offeredSchemes(this.certRequest.extensions) : [msg.algorithm]);
        this.transcript.add(raw);
        return v;
      }
      case 'finished': {
        const v = this.checkFinished(msg, this.clientHsSecret, 'client');
        this.transcript.add(raw);
        this.clientFinished = true;
        this.setRead(this.clientAppSecret, 'application');
        return v;
      }
      case 'key_update':
        this.updateRead();
        return undefined;
      case 'end_of_early_data':
        this.transcript.add(raw);
        // RFC 8446 4.5: "If the server does not send an "early_data" extension in EncryptedExtensions, then the
        // client MUST NOT send an EndOfEarlyData message."
        if (!this.earlyAccepted) return { rule: 'RFC 8446 4.5', message: 'EndOfEarlyData, but the harness did not accept early data (no early_data in its EncryptedExtensions)', alert: 'unexpected_message' };
        // RFC 8446 4.5: after EndOfEarlyData the client's records are under its handshake traffic keys.
        this.earlyAccepted = false;
        this.setRead(this.clientHsSecret, 'handshake');
        return undefined;
      default:
        this.transcript.add(raw);
        return undefined;
    }
  }

  /**
   * psk2: 0-RTT data the harness does not accept: records of type application_data that come in the clear
   * after a ClientHello offering early_data (before the harness's keys are in place) are the client's early
   * data, skipped (RFC 8446 4.2.10: the server "skip[s] past early data"); encrypted ones are skipped by the
   * record layer (skipUndecryptable) once the handshake keys are in place.
   */
  override ingest(bytes: Uint8Array): ReturnType<ScriptedPeer['ingest']> {
    const out = super.ingest(bytes);
    if (!this.earlyOffered) return out;
    const kept: typeof out = [];
    for (const o of out) {
      if (!(o.kind === 'application_data' && o.epoch === 'plaintext')) {
        kept.push(o);
        continue;
      }
      // Each skipped 0-RTT record still moves the early keys' sequence number on (RFC 8446 5.3), in case an
      // EncryptedExtensions with early_data makes the harness read under them afterwards. One that is an
      // alert under those keys (a client that gives up before it has the handshake keys, e.g. on a TLS 1.2
      // ServerHello after 0-RTT, RFC 8446 D.3) is reported as the alert.
      const r = this.earlyKeys?.decrypt({ type: ContentType.application_data, version: ProtocolVersion.TLS1_2, fragment: o.data });
      if (r?.ok && r.type === ContentType.alert && r.content.length === 2) {
        kept.push({ kind: 'alert', level: r.content[0], description: r.content[1], name: nameOf(AlertDescription, r.content[1], 2), epoch: 'early' });
      }
    }
    return kept;
  }

  /**
   * psk2: what a ClientHello offering the harness's own ticket leads to (config.accept_psk, config.max_early_data,
   * config.accept_early_data): the ticket to resume (the first identity only, within its lifetime, binder
   * checked), and whether its 0-RTT data is read (the early traffic keys from now on). A violation if the
   * binder of that ticket does not verify.
   */
  private resumption(msg: ClientHello, raw: Uint8Array, afterRetry: boolean): Violation | undefined {
    const c = this.config as EndpointConfig & HarnessPskOptions;
    this.earlyOffered = findExt(msg.extensions, 'early_data') !== undefined;
    this.acceptedPsk = undefined;
    this.earlyAccepted = false;
    this.earlyKeys = undefined;
    const psk = msg.extensions?.at(-1);
    if (psk?.type !== 'pre_shared_key' || !psk.identities?.length || !psk.binders?.length) return undefined;
    const state = openTicket(c.provider, c.ticketKey, psk.identities[0].identity);
    if (!state) return undefined;
    const age = c.now() - state.issuedAt;
    if (age < 0 || age > state.lifetimeSeconds * 1000) return undefined;
    const suite = new Tls13Suite(c.provider, state.cipherSuite);
    // RFC 8446 4.2.11.2: the binder over the ClientHello truncated before the binders list (after a
    // HelloRetryRequest, over the transcript before it as well).
    const truncated = truncateBeforeBinders(raw, psk.binders);
    let th: Uint8Array;
    if (this.transcript.hash === suite.hash) th = this.transcript.with(truncated);
    else if (this.transcript.hash === undefined && this.transcript.messages.length === 0) th = c.provider.createHash(suite.hash).update(truncated).digest();
    else return undefined;
    const earlySecret = suite.ks.earlySecret(state.psk);
    // RFC 8446 4.2.11: "If this value is not present or does not validate, the server MUST abort the handshake."
    if (!equalBytes(psk.binders[0], suite.ks.pskBinder(suite.ks.binderKey(earlySecret, 'resumption'), th))) {
      // Judged only where the harness resumes (config.accept_psk); otherwise the ticket is just not used.
      return c.acceptPsk ? { rule: 'RFC 8446 4.2.11.2', message: "the PSK binder of the harness's ticket (identity 0) does not verify", alert: 'decrypt_error' } : undefined;
    }
    if (c.acceptPsk) this.acceptedPsk = state;
    // RFC 8446 4.2.10: early data only with the first PSK, never after a HelloRetryRequest.
    if (!this.earlyOffered || afterRetry) return undefined;
    // RFC 8446 7.1: client_early_traffic_secret = Derive-Secret(Early Secret, "c e traffic", ClientHello).
    const chHash = c.provider.createHash(suite.hash).update(raw).digest();
    this.earlyKeys = suite.protection(suite.ks.clientEarlyTrafficSecret(earlySecret, chHash));
    if (!c.acceptPsk || !c.acceptEarlyData || state.maxEarlyData === 0) return undefined;
    this.earlyAccepted = true;
    this.rl.setReadProtection(this.earlyKeys);
    this.readEpoch = 'early';
    return undefined;
  }
}

/** An RFC 7919 group (ffdhe2048 ... ffdhe8192). */
function isFfdhe(group: number): boolean {
  return groupName(group)?.startsWith('ffdhe') ?? false;
}
