/**
 * The reference TLS 1.3 client (RFC 8446): a state machine driven by bytes in, bytes and events out.
 *
 *   start -> wait_sh -> [HelloRetryRequest -> wait_sh] -> wait_ee -> wait_cert_cr -> wait_cert -> wait_cv
 *         -> wait_finished -> connected          (a PSK handshake goes wait_ee -> wait_finished)
 *
 * Every check the RFC asks of a client ends the connection with the alert the RFC names and a TlsError that
 * cites the section.
 */
import { logKey } from './keylog.ts';
import { CipherSuite, ContentType, ExtensionType, HandshakeType as HT, ProtocolVersion, nameOf } from '../codec/enums.ts';
import type { Extension } from '../codec/extensions.ts';
import { extensionCode } from '../codec/extensions.ts';
import type {
  Certificate as CertificateMsg,
  CertificateRequest,
  CertificateVerify,
  ClientHello,
  EncryptedExtensions,
  Finished,
  HandshakeMessage,
  HelloRetryRequest,
  NewSessionTicket,
  ServerHello,
} from '../codec/handshake.ts';
import type { KeyPair } from '../crypto/provider.ts';
import type { Certificate } from '../crypto/certificate.ts';
import type { EndpointConfig, StoredTicket } from './config.ts';
import { Endpoint } from './endpoint.ts';
import { TlsError, check } from './errors.ts';
import { groupName } from './groups.ts';
import type { Inbound } from './record-layer.ts';
import { Tls13Suite, certificateVerifyContent, chooseScheme, decode13, findExt, schemeName, unexpected } from './tls13.ts';
import {
  checkCertificateChain,
  checkCertificateRequest,
  checkCertificateVerify,
  checkEncryptedExtensions,
  checkFinished,
  checkHelloRetryRequest,
  checkNewSessionTicket,
  checkServerCertificate,
  checkServerHello,
  offeredSchemes,
  sharedSecret,
  MAX_TICKET_LIFETIME,
} from './checks13.ts';
import { buildClientHello, fillPskBinder } from './builders13.ts';
import type { StoredSession12 } from './config.ts';
import { isTls13Suite, tls12Offer, versionsEnabled, type Offer12 } from './tls12/common12.ts';
import { Client12, type ClientOffer12 } from './tls12/client12.ts';
import { buildClientHello12 } from './tls12/builders12.ts';

type ClientState = 'start' | 'tls12' | 'wait_sh' | 'wait_ee' | 'wait_cert_cr' | 'wait_cert' | 'wait_cv' | 'wait_finished' | 'connected';

/** RFC 8446 4 / 2: the handshake messages the client accepts in each state (checked before parsing). */
const EXPECTED: Readonly<Record<ClientState, readonly number[]>> = {
  start: [],
  tls12: [], // the TLS 1.2 machine answers (Client12.expectedTypes)
  // ServerHello or HelloRetryRequest (the same type, RFC 8446 4.1.4), or a TLS 1.2 ServerHello.
  wait_sh: [HT.server_hello],
  wait_ee: [HT.encrypted_extensions],
  wait_cert_cr: [HT.certificate_request, HT.certificate],
  wait_cert: [HT.certificate],
  wait_cv: [HT.certificate_verify],
  wait_finished: [HT.finished],
  // RFC 8446 4.6: NewSessionTicket and KeyUpdate (no post-handshake authentication here).
  connected: [HT.new_session_ticket, HT.key_update],
};

export class TlsClient extends Endpoint {
  readonly role = 'client' as const;
  protected hsState: ClientState = 'start';

  private sessionId: Uint8Array = new Uint8Array(0);
  private clientHello: ClientHello | undefined;
  private readonly keyShares = new Map<number, KeyPair>();
  /** Extension codes of our last ClientHello (RFC 8446 4.2: the server may answer only these). */
  private offered = new Set<number>();
  private helloRetry: HelloRetryRequest | undefined;
  /** The TLS 1.2 part of a dual-version ClientHello, kept for the second ClientHello (RFC 8446 4.1.2). */
  private tls12Inputs: { versions: number[]; cipherSuites: number[]; extensions: Extension[]; signatureSchemes: number[] } | undefined;
  private offeredPsk: StoredTicket | undefined;
  private earlySecret: Uint8Array | undefined;
  private sentEarlyData = false;
  private ccsSent = false;

  private group: number | undefined;
  private handshakeSecret: Uint8Array | undefined;
  private clientHsSecret: Uint8Array | undefined;
  private serverHsSecret: Uint8Array | undefined;
  private resumptionMasterSecret: Uint8Array | undefined;
  private usingPsk = false;
  /** The PSK identity the server selected (RFC 8446 4.2.11). */
  private pskIdentity: number | undefined;
  private earlyDataAccepted = false;
  private alpn: string | undefined;
  private certRequest: Extract<CertificateRequest, { form: 'tls13' }> | undefined;
  private serverChain: Certificate[] = [];
  private serverScheme: number | undefined;
  private serverFinishedSeen = false;
  /** What the ClientHello offered for TLS 1.2, when it did (RFC 5246). */
  private offer12: ClientOffer12 | undefined;

  constructor(config: EndpointConfig) {
    super(config);
    this.rl.tls13 = true;
    // RFC 8446 5.1: legacy_record_version MAY be 0x0301 for an initial ClientHello, for compatibility with
    // middleboxes; 0x0303 for every other record.
    this.rl.writeVersion = ProtocolVersion.TLS1_0;
    if (config.recordSizeLimit) this.rl.maxSendFragment = Math.min(this.rl.maxSendFragment, config.recordSizeLimit - 1);
  }

  /** Send the first ClientHello (and 0-RTT data when configured and possible). */
  start(): void {
    this.guard(() => {
      check(this.hsState === 'start', 'internal_error', 'RFC 8446 4.1.2', 'start() called twice');
      const versions = versionsEnabled(this.config);
      if (versions.tls12) return this.startWithTls12(versions.tls13);
      check(versions.tls13, 'internal_error', 'RFC 8446 4.2.1', 'no protocol version enabled: check minVersion, maxVersion and cipherSuites');
      // RFC 8446 D.4: in compatibility mode the client sends a non-empty legacy_session_id.
      if (this.config.middleboxCompat) this.sessionId = this.config.random(32);
      const ticket = this.config.resume && this.config.sessionStore ? this.config.sessionStore.get(this.storeKey()) : undefined;
      this.offeredPsk = ticket && this.ticketUsable(ticket) ? ticket : undefined;
      const groups = this.config.keyShareGroups ?? this.config.groups.slice(0, 1);
      for (const g of groups) this.keyShares.set(g, this.generateKeyShare(g));
      const ch = this.buildClientHello();
      this.sendClientHello(ch);
      this.rl.flush();
      this.rl.writeVersion = ProtocolVersion.TLS1_2;
      this.hsState = 'wait_sh';
      this.maybeSendEarlyData();
    });
  }

  /**
   * A ClientHello that offers TLS 1.2: dual-version (RFC 8446 4.2.1: supported_versions [TLS 1.3, TLS 1.2],
   * the TLS 1.2 suites after the TLS 1.3 ones, and the TLS 1.2 extensions) or TLS 1.2 only (RFC 5246 7.4.1.2:
   * client_version 0x0303, no supported_versions).
   */
  private startWithTls12(tls13: boolean): void {
    const store = this.config.sessionStore;
    const s12 = this.config.resume && store?.get12 ? store.get12(this.storeKey()) : undefined;
    const session = s12 && this.session12Usable(s12) ? s12 : undefined;
    const offer = tls12Offer(this.config, session);
    if (session) {
      // RFC 5246 7.4.1.2: resumption by session ID offers the session's ID; RFC 5077 3.4: with a ticket the client
      // makes one up, which the server echoes when it accepts the ticket.
      this.sessionId = session.sessionId.length > 0 ? session.sessionId : this.config.random(32);
    } else if (tls13 && this.config.middleboxCompat) {
      // RFC 8446 D.4: compatibility mode.
      this.sessionId = this.config.random(32);
    }
    let ch: ClientHello;
    if (tls13) {
      const ticket = this.config.resume && store ? store.get(this.storeKey()) : undefined;
      this.offeredPsk = ticket && this.ticketUsable(ticket) ? ticket : undefined;
      const groups = this.config.keyShareGroups ?? this.config.groups.slice(0, 1);
      for (const g of groups) this.keyShares.set(g, this.generateKeyShare(g));
      this.tls12Inputs = {
        versions: [ProtocolVersion.TLS1_3, ProtocolVersion.TLS1_2],
        cipherSuites: [...this.config.cipherSuites.filter(isTls13Suite), ...offer.cipherSuites],
        extensions: offer.extensions,
        signatureSchemes: offer.signatureSchemes,
      };
      ch = this.buildClientHello();
    } else {
      ch = this.buildClientHello12(offer);
    }
    this.sendClientHello(ch);
    const offered = new Set(this.offered);
    // RFC 5746 3.4: a server answers the SCSV with renegotiation_info.
    offered.add(ExtensionType.renegotiation_info);
    this.offer12 = { clientHello: ch, offered, offeredTls13: tls13, session, storeKey: this.storeKey() };
    this.rl.flush();
    this.rl.writeVersion = ProtocolVersion.TLS1_2;
    this.hsState = 'wait_sh';
    if (tls13) this.maybeSendEarlyData();
  }

  private session12Usable(s: StoredSession12): boolean {
    const age = this.config.now() - s.receivedAt;
    if (age < 0 || (s.lifetimeSeconds > 0 && age > s.lifetimeSeconds * 1000)) return false;
    // RFC 5246 7.4.1.2: the resumed session's cipher suite must be offered.
    return this.config.cipherSuites.includes(s.cipherSuite) && (s.serverName ?? '') === (this.config.serverName ?? '');
  }

  /** RFC 5246 7.4.1.2: a TLS 1.2-only ClientHello (builders12.ts). */
  private buildClientHello12(offer: Offer12): ClientHello {
    return buildClientHello12(this.config, offer, { random: this.config.random(32), sessionId: this.sessionId });
  }

  private storeKey(): string {
    return this.config.serverName ?? '';
  }

  private ticketUsable(t: StoredTicket): boolean {
    const ageMs = this.config.now() - t.receivedAt;
    // RFC 8446 4.6.1: clients MUST NOT cache tickets for longer than 7 days, and not past the lifetime.
    return ageMs >= 0 && ageMs <= Math.min(t.lifetimeSeconds, MAX_TICKET_LIFETIME) * 1000 && this.config.cipherSuites.includes(t.cipherSuite);
  }

  private generateKeyShare(group: number): KeyPair {
    const name = groupName(group);
    if (!name) throw new TlsError('internal_error', 'RFC 8446 4.2.8', `cannot make a key share for group ${nameOf(CipherSuite, group)}`, 'local');
    return this.config.provider.keyExchange(name).generate(this.config.ephemeralKey?.(group));
  }

  private buildClientHello(cookie?: Uint8Array): ClientHello {
    return buildClientHello(this.config, {
      keyShares: this.keyShares,
      sessionId: this.sessionId,
      random: this.clientHello?.random ?? this.config.random(32),
      cookie,
      // RFC 8446 4.2.10: early_data only with a PSK whose ticket allows it, and never in the second ClientHello.
      earlyData: !!(this.offeredPsk && this.config.earlyData && this.offeredPsk.maxEarlyData > 0 && !this.helloRetry),
      psk: this.offeredPsk,
      // RFC 8446 4.1.2: a dual-version offer stays dual-version in the second ClientHello.
      tls12: this.tls12Inputs,
    });
  }

  /** Fill in the PSK binder (RFC 8446 4.2.11.2), add to the transcript and send. */
  private sendClientHello(ch: ClientHello): void {
    if (this.offeredPsk) this.earlySecret = fillPskBinder(ch, this.offeredPsk, this.config.provider, this.transcript);
    this.clientHello = ch;
    this.offered = new Set(ch.extensions!.map(extensionCode));
    this.sendHandshake(ch);
  }

  private maybeSendEarlyData(): void {
    const t = this.offeredPsk;
    if (!t || !this.config.earlyData || !this.offered.has(ExtensionType.early_data) || !this.earlySecret) return;
    const suite = new Tls13Suite(this.config.provider, t.cipherSuite);
    // RFC 8446 D.4: with 0-RTT, the compatibility change_cipher_spec comes right after the first ClientHello.
    if (this.config.middleboxCompat) this.sendCcsOnce();
    this.transcript.start(suite.hash);
    const secret = suite.ks.clientEarlyTrafficSecret(this.earlySecret, this.transcript.current());
    logKey(this.config.keyLog, 'CLIENT_EARLY_TRAFFIC_SECRET', this.clientHello?.random, secret);
    this.rl.setWriteProtection(suite.protection(secret));
    // RFC 8446 4.2.10: 0-RTT data is limited to max_early_data_size.
    const data = this.config.earlyData.subarray(0, t.maxEarlyData);
    this.rl.send(ContentType.application_data, data);
    this.sentEarlyData = true;
  }

  private sendCcsOnce(): void {
    if (this.ccsSent) return;
    this.ccsSent = true;
    this.sendChangeCipherSpec();
  }

  protected ccsAllowed(): boolean {
    return this.hsState !== 'start' && !this.serverFinishedSeen;
  }

  protected canWriteApplicationData(): boolean {
    return this.state === 'connected';
  }

  // ---- inbound handshake messages ------------------------------------------------------------------------

  protected expectedTypes(): readonly number[] {
    // RFC 5246 7.4: a HelloRequest "can be sent at any time" by a TLS 1.2 server; ignored while negotiating.
    if (this.hsState === 'wait_sh' && this.offer12) return [HT.server_hello, HT.hello_request];
    return EXPECTED[this.hsState];
  }

  protected onHandshake(item: Extract<Inbound, { kind: 'handshake' }>): void {
    // RFC 5246 7.4.1.1: "This message will be ignored by the client if the client is currently negotiating a
    // session." (only accepted, by expectedTypes, when the ClientHello offered TLS 1.2; its body, "struct { }
    // HelloRequest;", is empty: limits.ts refuses any other length from the header).
    if (item.msg_type === HT.hello_request) return;
    const msg = decode13(item);
    switch (this.hsState) {
      case 'wait_sh':
        // RFC 8446 5: ServerHello and HelloRetryRequest come in plaintext records.
        if (msg.msg_type === 'hello_retry_request') return this.onHelloRetryRequest(msg, item.raw);
        if (msg.msg_type === 'server_hello') return this.onServerHello(msg, item.raw);
        break;
      case 'wait_ee':
        if (msg.msg_type === 'encrypted_extensions') return this.onEncryptedExtensions(msg, item.raw);
        break;
      case 'wait_cert_cr':
        if (msg.msg_type === 'certificate_request' && msg.form === 'tls13') return this.onCertificateRequest(msg, item.raw);
        if (msg.msg_type === 'certificate' && msg.form === 'tls13') return this.onCertificate(msg, item.raw);
        break;
      case 'wait_cert':
        if (msg.msg_type === 'certificate' && msg.form === 'tls13') return this.onCertificate(msg, item.raw);
        break;
      case 'wait_cv':
        if (msg.msg_type === 'certificate_verify') return this.onCertificateVerify(msg, item.raw);
        break;
      case 'wait_finished':
        if (msg.msg_type === 'finished') return this.onFinished(msg, item.raw);
        break;
    }
    throw unexpected(msg, this.hsState);
  }

  private onHelloRetryRequest(hrr: HelloRetryRequest, raw: Uint8Array): void {
    // RFC 8446 4.1.4 (checks13.ts): no second HelloRetryRequest, the fields of 4.1.3, the extensions, the group.
    const { selectedGroup: group, cookie } = checkHelloRetryRequest(hrr, { clientHello: this.clientHello!, afterHelloRetry: this.helloRetry !== undefined });
    this.helloRetry = hrr;
    const suite = new Tls13Suite(this.config.provider, hrr.cipher_suite);
    // RFC 8446 4.2.11: in its updated ClientHello the client SHOULD NOT offer PSKs of another hash; we drop it.
    if (this.offeredPsk && new Tls13Suite(this.config.provider, this.offeredPsk.cipherSuite).hash !== suite.hash) this.offeredPsk = undefined;
    // RFC 8446 4.4.1: ClientHello1 is replaced by message_hash(Hash(ClientHello1)), then the HRR follows.
    this.transcript.start(suite.hash);
    this.transcript.replaceWithMessageHash();
    this.transcript.add(raw);
    if (group !== undefined) {
      this.keyShares.clear();
      this.keyShares.set(group, this.generateKeyShare(group));
    }
    // RFC 8446 D.4: the compatibility change_cipher_spec goes before the second flight: the second ClientHello.
    if (this.config.middleboxCompat) this.sendCcsOnce();
    // RFC 8446 4.2.10: a client that sent early data and gets a HelloRetryRequest stops; keys go back to plaintext.
    if (this.sentEarlyData) this.rl.setWriteProtection(null);
    // RFC 8446 4.1.2: the second ClientHello is the first with the key share replaced, the cookie added, early_data removed.
    this.sendClientHello(this.buildClientHello(cookie));
  }

  private onServerHello(sh: ServerHello, raw: Uint8Array): void {
    // RFC 8446 4.2.1: a ServerHello without supported_versions negotiates TLS 1.2 or earlier (RFC 5246); a
    // TLS 1.2-only ClientHello gets its answer there too (any supported_versions in it is unsolicited).
    if (this.offer12 && (!this.offer12.offeredTls13 || !findExt(sh.extensions, 'supported_versions'))) {
      // RFC 8446 D.3: "A client that attempts to send 0-RTT data MUST fail a connection if it receives a
      // ServerHello with TLS 1.2 or older."
      check(!this.sentEarlyData, 'protocol_version', 'RFC 8446 D.3', 'the server chose TLS 1.2 after 0-RTT data was sent');
      // RFC 8446 4.1.4: after a HelloRetryRequest the ServerHello must be TLS 1.3 (the HRR's version).
      check(!this.helloRetry, 'illegal_parameter', 'RFC 8446 4.1.4', 'a TLS 1.2 ServerHello after a HelloRetryRequest');
      const m = new Client12(this.host12(), this.offer12);
      this.t12 = m;
      this.hsState = 'tls12';
      m.onServerHello(sh, raw);
      return;
    }
    // RFC 8446 4.1.3, 4.1.4, 4.2 (checks13.ts): version, fields, extensions, PSK and key share against what we offered.
    const r = checkServerHello(sh, {
      clientHello: this.clientHello!,
      helloRetryRequest: this.helloRetry,
      pskHashes: this.offeredPsk ? [new Tls13Suite(this.config.provider, this.offeredPsk.cipherSuite).hash] : [],
    });
    const suite = new Tls13Suite(this.config.provider, sh.cipher_suite);
    this.suite = suite;
    this.transcript.start(suite.hash);

    // Pre-shared key (RFC 8446 4.2.11): the one identity we offer.
    let pskSecret: Uint8Array | undefined;
    if (r.pskIdentity !== undefined && this.offeredPsk) {
      pskSecret = this.offeredPsk.psk;
      this.usingPsk = true;
      this.pskIdentity = r.pskIdentity;
    }

    // Key exchange (RFC 8446 4.2.8).
    let shared: Uint8Array | undefined;
    if (r.share) {
      const kp = this.keyShares.get(r.share.group);
      check(kp, 'illegal_parameter', 'RFC 8446 4.2.8', `ServerHello key_share for group ${r.share.group}, which the client did not send`);
      shared = sharedSecret(this.config.provider, r.share.group, kp.privateKey, r.share.key_exchange, 'server');
      this.group = r.share.group;
    }

    this.transcript.add(raw);
    const early = pskSecret && this.earlySecret ? this.earlySecret : suite.ks.earlySecret(pskSecret);
    this.handshakeSecret = suite.ks.handshakeSecret(early, shared);
    const th = this.transcript.current();
    this.clientHsSecret = suite.ks.clientHandshakeTrafficSecret(this.handshakeSecret, th);
    this.serverHsSecret = suite.ks.serverHandshakeTrafficSecret(this.handshakeSecret, th);
    logKey(this.config.keyLog, 'CLIENT_HANDSHAKE_TRAFFIC_SECRET', this.clientHello?.random, this.clientHsSecret);
    logKey(this.config.keyLog, 'SERVER_HANDSHAKE_TRAFFIC_SECRET', this.clientHello?.random, this.serverHsSecret);
    this.rl.setReadProtection(suite.protection(this.serverHsSecret));
    // From here on, everything the client sends (an alert too) is protected with its handshake keys, except
    // while 0-RTT data is in flight: then the early keys stay until EndOfEarlyData (RFC 8446 4.5, 2.3).
    if (!this.sentEarlyData) this.rl.setWriteProtection(suite.protection(this.clientHsSecret));
    this.hsState = 'wait_ee';
  }

  private onEncryptedExtensions(ee: EncryptedExtensions, raw: Uint8Array): void {
    // RFC 8446 4.3.1, 4.2, RFC 7301 3, RFC 8449 4 (checks13.ts).
    const r = checkEncryptedExtensions(ee, { clientHello: this.clientHello!, pskIdentity: this.pskIdentity });
    this.alpn = r.alpn;
    // RFC 8449 4: the limit includes the content type.
    if (r.recordSizeLimit !== undefined) this.rl.maxSendFragment = Math.min(this.rl.maxSendFragment, r.recordSizeLimit - 1);
    // RFC 6066 4: "Once a maximum fragment length other than 2^14 has been successfully negotiated, the client
    // and server MUST immediately begin fragmenting messages (including handshake messages) to ensure that no
    // fragment larger than the negotiated length is sent." The server's records are held to it too.
    if (r.maxFragmentLength !== undefined) this.rl.limitFragments(r.maxFragmentLength);
    this.earlyDataAccepted = r.earlyDataAccepted;
    this.transcript.add(raw);
    this.hsState = this.usingPsk ? 'wait_finished' : 'wait_cert_cr';
  }

  private onCertificateRequest(cr: Extract<CertificateRequest, { form: 'tls13' }>, raw: Uint8Array): void {
    // RFC 8446 4.3.2 (checks13.ts): empty context, extensions, signature_algorithms.
    checkCertificateRequest(cr);
    this.certRequest = cr;
    this.transcript.add(raw);
    this.hsState = 'wait_cert';
  }

  private onCertificate(cert: Extract<CertificateMsg, { form: 'tls13' }>, raw: Uint8Array): void {
    // RFC 8446 4.4.2, 4.4.2.4 (checks13.ts): context, non-empty, entry extensions, parseable, a usable key.
    const chain = checkServerCertificate(cert, { clientHello: this.clientHello! });
    if (this.config.verifyPeer) {
      checkCertificateChain(chain, {
        trustRoots: this.config.trustRoots,
        now: new Date(this.config.now()),
        hostname: this.config.hostnameCheck ? this.config.serverName : undefined,
        purpose: 'serverAuth',
      });
    }
    this.serverChain = chain;
    this.transcript.add(raw);
    this.hsState = 'wait_cv';
  }

  private onCertificateVerify(cv: CertificateVerify, raw: Uint8Array): void {
    // RFC 8446 4.4.3 (checks13.ts): an offered TLS 1.3 scheme that fits the key, and a signature that verifies.
    checkCertificateVerify(cv, {
      side: 'server',
      offered: offeredSchemes(this.clientHello!.extensions),
      key: this.serverChain[0].publicKey!,
      provider: this.config.provider,
      transcriptHash: this.transcript.current(),
    });
    this.serverScheme = cv.algorithm;
    this.transcript.add(raw);
    this.hsState = 'wait_finished';
  }

  private onFinished(fin: Finished, raw: Uint8Array): void {
    const suite = this.suite!;
    // RFC 8446 4.4.4 (checks13.ts).
    checkFinished(fin, suite.ks.finishedVerifyData(this.serverHsSecret!, this.transcript.current()), 'server');
    this.serverFinishedSeen = true;
    this.transcript.add(raw);
    const master = suite.ks.masterSecret(this.handshakeSecret!);
    const thServerFinished = this.transcript.current();
    const clientApp = suite.ks.clientApplicationTrafficSecret0(master, thServerFinished);
    const serverApp = suite.ks.serverApplicationTrafficSecret0(master, thServerFinished);
    logKey(this.config.keyLog, 'CLIENT_TRAFFIC_SECRET_0', this.clientHello?.random, clientApp);
    logKey(this.config.keyLog, 'SERVER_TRAFFIC_SECRET_0', this.clientHello?.random, serverApp);
    // RFC 8446 5.1: the server's flight must end on a record boundary before the key change.
    this.rl.setReadProtection(suite.protection(serverApp));

    // Our second flight.
    if (this.config.middleboxCompat) this.sendCcsOnce();
    // RFC 8446 4.5: if the server accepted early data, the client sends EndOfEarlyData under the early keys.
    if (this.earlyDataAccepted && this.sentEarlyData) this.sendHandshake({ msg_type: 'end_of_early_data' });
    if (this.sentEarlyData) this.rl.setWriteProtection(suite.protection(this.clientHsSecret!));
    if (this.certRequest) this.sendClientCertificate(suite);
    const verify = suite.ks.finishedVerifyData(this.clientHsSecret!, this.transcript.current());
    this.sendHandshake({ msg_type: 'finished', verify_data: verify });
    this.resumptionMasterSecret = suite.ks.resumptionMasterSecret(master, this.transcript.current());
    this.rl.setWriteProtection(suite.protection(clientApp));
    this.readSecret = serverApp;
    this.writeSecret = clientApp;
    this.hsState = 'connected';
    this.complete({
      version: 'TLSv1.3',
      cipherSuite: suite.code,
      group: this.group,
      signatureScheme: this.serverScheme,
      alpn: this.alpn,
      resumed: this.usingPsk,
      helloRetry: this.helloRetry !== undefined,
      earlyDataAccepted: this.earlyDataAccepted && this.sentEarlyData,
      serverName: this.config.serverName,
      peerCertificates: this.serverChain.map((c) => c.der),
    });
  }

  /** RFC 8446 4.4.2 / 4.4.3: the client's Certificate (possibly empty) and CertificateVerify. */
  private sendClientCertificate(suite: Tls13Suite): void {
    const cr = this.certRequest!;
    const accepted = findExt(cr.extensions, 'signature_algorithms')!.supported_signature_algorithms;
    let chosen: { ck: EndpointConfig['certificates'][number]; scheme: number } | undefined;
    for (const ck of this.config.certificates) {
      const scheme = chooseScheme(ck.key, accepted, this.config.signatureSchemes);
      if (scheme !== undefined) {
        chosen = { ck, scheme };
        break;
      }
    }
    // RFC 8446 4.4.2: with no suitable certificate the client sends a Certificate message with no certificates.
    this.sendHandshake({
      msg_type: 'certificate',
      form: 'tls13',
      certificate_request_context: cr.certificate_request_context,
      certificate_list: chosen ? chosen.ck.chain.map((d) => ({ cert_data: d, extensions: [] })) : [],
    });
    if (!chosen) return;
    const content = certificateVerifyContent('client', this.transcript.current());
    const signature = this.config.provider.sign(schemeName(chosen.scheme)!, chosen.ck.key, content);
    this.sendHandshake({ msg_type: 'certificate_verify', algorithm: chosen.scheme, signature });
    void suite;
  }

  // ---- post-handshake ------------------------------------------------------------------------------------

  protected override onPostHandshake(item: Extract<Inbound, { kind: 'handshake' }>): void {
    const msg: HandshakeMessage = decode13(item);
    if (msg.msg_type === 'new_session_ticket' && msg.form === 'tls13') return this.onNewSessionTicket(msg);
    super.onPostHandshake(item);
  }

  private onNewSessionTicket(nst: Extract<NewSessionTicket, { form: 'tls13' }>): void {
    // RFC 8446 4.6.1 (checks13.ts): extensions, ticket_lifetime at most 7 days.
    checkNewSessionTicket(nst);
    const ed = findExt(nst.extensions, 'early_data');
    const maxEarlyData = ed?.max_early_data_size ?? 0;
    this.emit({ type: 'new_session_ticket', lifetime: nst.ticket_lifetime, maxEarlyData });
    // RFC 8446 4.6.1: a lifetime of zero means the ticket should be discarded at once.
    if (nst.ticket_lifetime === 0 || !this.config.sessionStore) return;
    const suite = this.suite!;
    this.config.sessionStore.put(this.storeKey(), {
      ticket: nst.ticket,
      psk: suite.ks.resumptionPsk(this.resumptionMasterSecret!, nst.ticket_nonce),
      cipherSuite: suite.code,
      receivedAt: this.config.now(),
      lifetimeSeconds: nst.ticket_lifetime,
      ageAdd: nst.ticket_age_add,
      maxEarlyData,
      alpn: this.alpn,
      serverName: this.config.serverName,
    });
  }
}
