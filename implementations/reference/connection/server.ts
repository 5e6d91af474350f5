/**
 * The reference TLS 1.3 server (RFC 8446): a state machine driven by bytes in, bytes and events out.
 *
 *   wait_ch -> [HelloRetryRequest -> wait_ch2] -> (ServerHello .. Finished sent)
 *           -> [wait_eoed] -> [wait_client_cert -> wait_client_cv] -> wait_client_finished -> connected
 *
 * Strict by design: it is the ruler other implementations are measured with, so every check the RFC asks
 * of a server ends the connection with the alert the RFC names and a TlsError citing the section.
 */
import { logKey } from './keylog.ts';
import { HandshakeType as HT, ProtocolVersion, PskKeyExchangeMode, nameOf } from '../codec/enums.ts';
import type { Extension } from '../codec/extensions.ts';
import type {
  Certificate as CertificateMsg,
  CertificateRequest,
  CertificateVerify,
  ClientHello,
  Finished,
  HandshakeMessage,
  HelloRetryRequest,
} from '../codec/handshake.ts';
import type { Certificate } from '../crypto/certificate.ts';
import { suiteParams } from '../crypto/suites.ts';
import type { CertifiedKey, EndpointConfig, ShapedMessage, TicketCodec } from './config.ts';
import { Endpoint } from './endpoint.ts';
import { TlsError, check } from './errors.ts';
import { groupName } from './groups.ts';
import type { Inbound } from './record-layer.ts';
import { openTicket, sealTicket, type TicketState } from './tickets.ts';
import { truncateBeforeBinders } from './builders13.ts';
import { Tls13Suite, certificateVerifyContent, chooseScheme, decode13, equalBytes, findExt, schemeName, unexpected } from './tls13.ts';
import {
  checkCertificateChain,
  checkCertificateVerify,
  checkClientCertificate,
  checkClientHello13,
  checkClientHelloExtensions,
  checkFinished,
  checkSecondClientHello,
  offeredSchemes,
  sharedSecret,
  maxFragmentBytes,
} from './checks13.ts';
import { versionsEnabled } from './tls12/common12.ts';
import { Server12 } from './tls12/server12.ts';

const hex4 = (n: number): string => `0x${n.toString(16).padStart(4, '0')}`;

type ServerState = 'tls12' | 'wait_ch' | 'wait_ch2' | 'wait_eoed' | 'wait_client_cert' | 'wait_client_cv' | 'wait_client_finished' | 'connected';

/** RFC 8446 4 / 2: the handshake messages the server accepts in each state (checked before parsing). */
const EXPECTED: Readonly<Record<ServerState, readonly number[]>> = {
  tls12: [], // the TLS 1.2 machine answers (Server12.expectedTypes)
  wait_ch: [HT.client_hello],
  wait_ch2: [HT.client_hello],
  wait_eoed: [HT.end_of_early_data],
  wait_client_cert: [HT.certificate],
  wait_client_cv: [HT.certificate_verify],
  wait_client_finished: [HT.finished],
  // RFC 8446 4.6: a server receives no NewSessionTicket; KeyUpdate only.
  connected: [HT.key_update],
};

interface AcceptedPsk {
  index: number;
  state: TicketState;
  mode: number;
  /** Client's view of the ticket age minus ours, in ms (RFC 8446 8.3). */
  ageSkewMs: number;
}

export class TlsServer extends Endpoint {
  readonly role = 'server' as const;
  protected hsState: ServerState = 'wait_ch';

  private ch1: ClientHello | undefined;
  private hrr: HelloRetryRequest | undefined;
  /** RFC 8446 4.2.10: after a HelloRetryRequest, 0-RTT records are skipped up to this many bytes. */
  private hrrEarlySkip = 0;
  private group: number | undefined;
  private scheme: number | undefined;
  private alpn: string | undefined;
  private serverName: string | undefined;
  /** The max_fragment_length code the client requested and we accept (RFC 6066 4), answered in EncryptedExtensions. */
  private maxFragmentLength: number | undefined;
  private psk: AcceptedPsk | undefined;
  private earlyDataAccepted = false;
  /** Bytes of accepted 0-RTT data read so far (RFC 8446 4.6.1: at most the ticket's max_early_data_size). */
  private earlyDataReceived = 0;
  private handshakeSecret: Uint8Array | undefined;
  private clientHsSecret: Uint8Array | undefined;
  private master: Uint8Array | undefined;
  private clientApp: Uint8Array | undefined;
  /** The CertificateRequest we sent, as sent (RFC 8446 4.4.2: the client's Certificate answers it). */
  private certRequest: Extract<CertificateRequest, { form: 'tls13' }> | undefined;
  private clientChain: Certificate[] = [];
  private clientFinishedSeen = false;
  private ccsSent = false;

  private readonly tickets: TicketCodec;

  constructor(config: EndpointConfig) {
    super(config);
    this.rl.tls13 = true;
    this.tickets = config.ticketCodec ?? {
      seal: (state) => sealTicket(config.provider, config.ticketKey, state, config.random(12)),
      open: (ticket) => openTicket(config.provider, config.ticketKey, ticket),
    };
  }

  private shape(message: ShapedMessage, exts: Extension[]): Extension[] {
    return this.config.shapeExtensions ? this.config.shapeExtensions(message, exts) : exts;
  }

  protected ccsAllowed(): boolean {
    // RFC 8446 5: after the first ClientHello, before the client's Finished.
    return this.hsState !== 'wait_ch' && !this.clientFinishedSeen;
  }

  protected canWriteApplicationData(): boolean {
    return this.state === 'connected';
  }

  protected expectedTypes(): readonly number[] {
    return EXPECTED[this.hsState];
  }

  protected onHandshake(item: Extract<Inbound, { kind: 'handshake' }>): void {
    const msg = decode13(item);
    switch (this.hsState) {
      case 'wait_ch':
      case 'wait_ch2':
        if (msg.msg_type === 'client_hello') return this.onClientHello(msg, item.raw);
        break;
      case 'wait_eoed':
        if (msg.msg_type === 'end_of_early_data') return this.onEndOfEarlyData(item.raw);
        break;
      case 'wait_client_cert':
        if (msg.msg_type === 'certificate' && msg.form === 'tls13') return this.onClientCertificate(msg, item.raw);
        break;
      case 'wait_client_cv':
        if (msg.msg_type === 'certificate_verify') return this.onClientCertificateVerify(msg, item.raw);
        break;
      case 'wait_client_finished':
        if (msg.msg_type === 'finished') return this.onClientFinished(msg, item.raw);
        break;
    }
    throw unexpected(msg, this.hsState);
  }

  protected override onEarlyApplicationData(item: Extract<Inbound, { kind: 'application_data' }>): void {
    if (this.hsState === 'wait_eoed' && item.protected) {
      // RFC 8446 4.6.1: "A server receiving more than max_early_data_size bytes of 0-RTT data SHOULD terminate the
      // connection with an "unexpected_message" alert." The limit is the one of the ticket the client resumed.
      this.earlyDataReceived += item.data.length;
      const limit = this.psk?.state.maxEarlyData ?? 0;
      if (this.earlyDataReceived > limit) throw new TlsError('unexpected_message', 'RFC 8446 4.6.1', `${this.earlyDataReceived} bytes of 0-RTT data, more than max_early_data_size ${limit}`);
      this.emit({ type: 'early_data', data: item.data });
      return;
    }
    // RFC 8446 4.2.10: after a HelloRetryRequest the server skips records of type application_data (the
    // client's 0-RTT data) up to max_early_data_size.
    if (this.hsState === 'wait_ch2' && !item.protected && this.hrrEarlySkip >= item.data.length) {
      this.hrrEarlySkip -= item.data.length;
      return;
    }
    throw unexpected(item, this.hsState);
  }

  // ---- ClientHello ---------------------------------------------------------------------------------------

  private onClientHello(ch: ClientHello, raw: Uint8Array): void {
    const second = this.hsState === 'wait_ch2';
    // RFC 8446 4.2 (checks13.ts): no duplicate extensions; known extensions only where RFC 8446 4.2 allows them.
    checkClientHelloExtensions(ch);
    const sv = findExt(ch.extensions, 'supported_versions');
    // RFC 8446 D.5: "Any endpoint receiving a Hello message with ClientHello.legacy_version or
    // ServerHello.legacy_version set to 0x0300 MUST abort the handshake with a "protocol_version" alert." (and
    // "Implementations MUST NOT send a ClientHello.legacy_version or ServerHello.legacy_version set to 0x0300
    // or less": below 0x0300 there is nothing we could speak either). Whatever supported_versions says.
    check(ch.legacy_version > ProtocolVersion.SSL3_0, 'protocol_version', 'RFC 8446 D.5', `ClientHello.legacy_version is ${hex4(ch.legacy_version)} (SSL 3.0 or older)`);
    // RFC 9846 4.2.2 (which obsoletes RFC 8446): "A server which receives a legacy_version value not equal to
    // 0x0303 MUST abort the handshake with a "protocol_version" alert." Applied to a ClientHello with
    // supported_versions, the TLS 1.3 form ("TLS 1.3 ClientHellos are identified as having a legacy_version of
    // 0x0303 and a supported_versions extension present"). RFC 8446 4.2.1 told servers to ignore the field
    // then ("MUST NOT use the ClientHello.legacy_version value for version negotiation"); RFC 9846 keeps that
    // sentence and adds the abort, so a legacy_version other than 0x0303 is refused, not negotiated with.
    // Without supported_versions the ClientHello is a TLS 1.2-or-older one and RFC 5246 decides (below):
    // 0x0303 and higher negotiate TLS 1.2 (RFC 8446 4.2.1 / RFC 9846 4.3.1: "MUST negotiate TLS 1.2 or prior
    // ... even if ClientHello.legacy_version is 0x0304 or later"), lower values get protocol_version.
    if (sv) check(ch.legacy_version === ProtocolVersion.TLS1_2, 'protocol_version', 'RFC 9846 4.2.2', `ClientHello.legacy_version is ${hex4(ch.legacy_version)} with supported_versions: MUST be 0x0303`);
    const versions = versionsEnabled(this.config);
    const offers13 = sv?.versions !== undefined && sv.versions.includes(ProtocolVersion.TLS1_3);
    if (!second && versions.tls12 && !(versions.tls13 && offers13)) {
      // RFC 8446 4.2.1: with supported_versions, only it counts ("servers MUST NOT use the ClientHello.legacy_version
      // value for version negotiation"); without it, RFC 5246 E.1: client_version 0x0303 or higher gets TLS 1.2.
      const offers12 = sv?.versions !== undefined ? sv.versions.includes(ProtocolVersion.TLS1_2) : ch.legacy_version >= ProtocolVersion.TLS1_2;
      // RFC 8446 4.2.1 / RFC 5246 E.1: no version in common: protocol_version.
      check(offers12, 'protocol_version', sv?.versions ? 'RFC 8446 4.2.1' : 'RFC 5246 E.1', `ClientHello offers no version this server speaks (TLS 1.2${versions.tls13 ? ' or 1.3' : ''})`);
      const m = new Server12(this.host12(), versions.tls13);
      this.t12 = m;
      this.hsState = 'tls12';
      m.onClientHello(ch, raw);
      return;
    }
    // RFC 8446 4.2.1: without supported_versions the client offers TLS 1.2 or earlier, which this server
    // does not speak; with it, 0x0304 must be among the versions.
    check(sv && sv.versions !== undefined, 'protocol_version', 'RFC 8446 4.2.1', `ClientHello offers only ${nameOf(ProtocolVersion, ch.legacy_version)} (no supported_versions)`);
    check(sv.versions!.includes(ProtocolVersion.TLS1_3), 'protocol_version', 'RFC 8446 4.2.1', 'supported_versions does not include TLS 1.3');
    // RFC 8446 4.1.2, 4.2.8, 4.2.9, 4.2.11, 9.2 (checks13.ts): compression, pre_shared_key, mandatory
    // extensions, key shares.
    checkClientHello13(ch);
    // RFC 8446 4.1.2 (checks13.ts): the second ClientHello is the first with only the permitted changes.
    if (second) checkSecondClientHello(ch, { clientHello1: this.ch1!, helloRetryRequest: this.hrr! });
    const exts = ch.extensions ?? [];
    const pskExt = findExt(exts, 'pre_shared_key');
    const sigExt = findExt(exts, 'signature_algorithms');
    const shares = findExt(exts, 'key_share')?.client_shares ?? [];
    const offeredGroups = findExt(exts, 'supported_groups')?.named_group_list ?? [];
    const seenShare = new Set<number>(shares.map((s) => s.group));

    // Cipher suite: ours in preference order (RFC 8446 4.1.1: none in common is a handshake_failure).
    const suiteCode = this.config.cipherSuites.find((s) => ch.cipher_suites.includes(s) && suiteParams(s)?.version === 'TLS1.3');
    check(suiteCode !== undefined, 'handshake_failure', 'RFC 8446 4.1.1', 'no TLS 1.3 cipher suite in common');
    // RFC 8446 4.1.4: the server MUST negotiate the same cipher suite in the updated ClientHello.
    if (second) check(suiteCode === this.hrr!.cipher_suite, 'illegal_parameter', 'RFC 8446 4.1.4', 'second ClientHello no longer allows the HelloRetryRequest suite');
    const suite = new Tls13Suite(this.config.provider, suiteCode);

    // Transcript: ClientHello1 (replaced by message_hash after a HelloRetryRequest, RFC 8446 4.4.1).
    this.transcript.start(suite.hash);

    // PSK (RFC 8446 4.2.11), chosen before key exchange: psk_ke needs no share.
    const modes = findExt(exts, 'psk_key_exchange_modes')?.ke_modes ?? [];
    this.psk = pskExt?.identities ? this.choosePsk(raw, pskExt.identities, pskExt.binders!, suite, modes, shares.length > 0) : undefined;

    // Key exchange group.
    let shareGroup: number | undefined;
    if (!this.psk || this.psk.mode === PskKeyExchangeMode.psk_dhe_ke) {
      const usable = this.config.groups.filter((g) => offeredGroups.includes(g) && groupName(g));
      const withShare = usable.find((g) => seenShare.has(g));
      if (second) {
        shareGroup = this.group;
      } else if (withShare !== undefined && !this.config.forceHelloRetry) {
        shareGroup = withShare;
      } else {
        // RFC 8446 4.1.1: no group in common is a handshake_failure; a group in common without a share asks
        // for a HelloRetryRequest (RFC 8446 4.1.4).
        const target = this.config.forceHelloRetry ? usable.find((g) => !seenShare.has(g)) ?? usable[0] : usable[0];
        check(target !== undefined, 'handshake_failure', 'RFC 8446 4.1.1', 'no key exchange group in common');
        if (!seenShare.has(target) || this.config.forceHelloRetry) {
          check(!second, 'illegal_parameter', 'RFC 8446 4.1.4', 'second ClientHello still lacks a usable share');
          return this.sendHelloRetryRequest(ch, raw, suite, target, exts);
        }
        shareGroup = target;
      }
    }

    this.transcript.add(raw);
    this.ch1 ??= ch;

    // Certificate (not for a PSK handshake).
    let certified: { ck: CertifiedKey; scheme: number } | undefined;
    if (!this.psk) {
      const accepted = sigExt!.supported_signature_algorithms;
      for (const ck of this.config.certificates) {
        const scheme = chooseScheme(ck.key, accepted, this.config.signatureSchemes);
        if (scheme !== undefined) {
          certified = { ck, scheme };
          break;
        }
      }
      // RFC 8446 4.4.2.2: no certificate chain the client can verify: handshake_failure (as 4.1.1).
      check(certified, 'handshake_failure', 'RFC 8446 4.4.2.2', 'no certificate matches the client\'s signature_algorithms');
      this.scheme = certified.scheme;
    }

    // ALPN (RFC 7301 3.2).
    const alpnExt = findExt(exts, 'application_layer_protocol_negotiation');
    if (alpnExt && this.config.alpn.length > 0) {
      const offered = alpnExt.protocol_name_list.map((p) => new TextDecoder().decode(p));
      const chosen = this.config.alpn.find((p) => offered.includes(p));
      // RFC 7301 3.2: "In the event that the server supports no protocols that the client advertises, then
      // the server SHALL respond with a fatal "no_application_protocol" alert."
      check(chosen, 'no_application_protocol', 'RFC 7301 3.2', `no ALPN protocol in common (client offers ${offered.join(', ')})`);
      this.alpn = chosen;
    }
    const sni = findExt(exts, 'server_name');
    if (sni && 'server_name_list' in sni && sni.server_name_list) {
      const host = sni.server_name_list.find((n) => n.name_type === 0);
      if (host) this.serverName = new TextDecoder().decode(host.host_name);
    }
    const clientRsl = findExt(exts, 'record_size_limit');
    if (clientRsl) this.rl.maxSendFragment = Math.min(this.rl.maxSendFragment, clientRsl.record_size_limit - 1);
    // RFC 6066 4: "Servers that receive an extended client hello containing a "max_fragment_length" extension MAY
    // accept the requested maximum fragment length" (a value outside 1..4 was refused by the decoder with
    // illegal_parameter). RFC 8449 5: a server that supports record_size_limit ignores max_fragment_length when
    // both are offered.
    const mfl = findExt(exts, 'max_fragment_length');
    this.maxFragmentLength = mfl && !clientRsl && this.config.acceptMaxFragmentLength !== false ? mfl.max_fragment_length : undefined;

    // 0-RTT (RFC 8446 4.2.10; never in a second ClientHello, checked above).
    const earlyOffered = findExt(exts, 'early_data') !== undefined;
    this.earlyDataAccepted = earlyOffered && this.acceptEarlyData(suite);

    this.sendServerFlight(ch, suite, shareGroup, shares, certified, exts, earlyOffered);
  }

  private sendHelloRetryRequest(ch: ClientHello, raw: Uint8Array, suite: Tls13Suite, group: number, exts: Extension[]): void {
    this.transcript.add(raw);
    this.transcript.replaceWithMessageHash();
    this.ch1 = ch;
    this.group = group;
    let hrrExts: Extension[] = [{ type: 'key_share', selected_group: group }];
    if (this.config.helloRetryCookie) hrrExts.push({ type: 'cookie', cookie: this.config.cookieFactory?.() ?? this.config.random(32) });
    hrrExts.push({ type: 'supported_versions', selected_version: ProtocolVersion.TLS1_3 });
    if (this.config.shapeExtensions) hrrExts = this.config.shapeExtensions('hello_retry_request', hrrExts);
    const hrr: HelloRetryRequest = {
      msg_type: 'hello_retry_request',
      legacy_version: ProtocolVersion.TLS1_2,
      legacy_session_id_echo: ch.legacy_session_id,
      cipher_suite: suite.code,
      legacy_compression_method: 0,
      extensions: hrrExts,
    };
    this.hrr = hrr;
    this.sendHandshake(hrr);
    // RFC 8446 D.4: in compatibility mode the server sends a change_cipher_spec after its first handshake message.
    this.maybeCcs(ch);
    // RFC 8446 4.2.10: 0-RTT data that follows the first ClientHello is skipped.
    if (findExt(exts, 'early_data')) this.hrrEarlySkip = 2 ** 14 * 4;
    this.hsState = 'wait_ch2';
  }

  private maybeCcs(ch: ClientHello): void {
    if (!this.ccsSent && ch.legacy_session_id.length > 0 && this.config.middleboxCompat) {
      this.ccsSent = true;
      this.sendChangeCipherSpec();
    }
  }

  /**
   * The first identity whose ticket we issued, is still valid, fits the suite's hash and a mode the client
   * allows, and whose binder verifies (RFC 8446 4.2.11, 4.2.11.2). A binder that does not verify is fatal.
   */
  private choosePsk(
    raw: Uint8Array,
    identities: { identity: Uint8Array; obfuscated_ticket_age: number }[],
    binders: Uint8Array[],
    suite: Tls13Suite,
    modes: number[],
    haveShares: boolean,
  ): AcceptedPsk | undefined {
    const mode = modes.includes(PskKeyExchangeMode.psk_dhe_ke) && haveShares ? PskKeyExchangeMode.psk_dhe_ke : modes.includes(PskKeyExchangeMode.psk_ke) ? PskKeyExchangeMode.psk_ke : undefined;
    if (mode === undefined) return undefined;
    for (let i = 0; i < identities.length; i++) {
      const state = this.tickets.open(identities[i].identity);
      if (!state) continue;
      const ageMs = this.config.now() - state.issuedAt;
      if (ageMs < 0 || ageMs > state.lifetimeSeconds * 1000) continue;
      const tsuite = suiteParams(state.cipherSuite);
      if (!tsuite || tsuite.prfHash !== suite.hash) continue;
      // RFC 8446 4.2.11.2: verify the binder over the ClientHello truncated before the binders list.
      const th = this.transcript.with(truncateBeforeBinders(raw, binders));
      const early = suite.ks.earlySecret(state.psk);
      const expected = suite.ks.pskBinder(suite.ks.binderKey(early, 'resumption'), th);
      // RFC 8446 4.2.11: "If this value is not present or does not validate, the server MUST abort the
      // handshake." RFC 8446 6.2: a PSK binder that does not validate is a decrypt_error.
      check(equalBytes(binders[i], expected), 'decrypt_error', 'RFC 8446 4.2.11', `PSK binder ${i} does not verify`);
      // RFC 8446 4.2.11.1: the client's ticket age is obfuscated_ticket_age - ticket_age_add (mod 2^32).
      const clientAge = (identities[i].obfuscated_ticket_age - state.ageAdd) >>> 0;
      return { index: i, state, mode, ageSkewMs: clientAge - ageMs };
    }
    return undefined;
  }

  private acceptEarlyData(suite: Tls13Suite): boolean {
    const p = this.psk;
    // RFC 8446 4.2.10: early data only with the first PSK, the same suite and ALPN as the ticket, within its max.
    if (!p || p.index !== 0 || !this.config.acceptEarlyData || p.state.maxEarlyData === 0 || this.hrr) return false;
    if (p.state.cipherSuite !== suite.code || p.state.alpn !== (this.alpn ?? '')) return false;
    // RFC 8446 8.3: refuse 0-RTT when the client's ticket age is too far from the server's (replay window).
    return Math.abs(p.ageSkewMs) <= this.config.maxTicketAgeSkewMs;
  }

  private sendServerFlight(
    ch: ClientHello,
    suite: Tls13Suite,
    shareGroup: number | undefined,
    shares: { group: number; key_exchange: Uint8Array }[],
    certified: { ck: CertifiedKey; scheme: number } | undefined,
    exts: Extension[],
    earlyOffered: boolean,
  ): void {
    // RFC 8446 5.1: the ClientHello precedes our change of read keys, so it must end its record; checked
    // before the flight goes out, so that a misaligned ClientHello gets the alert and nothing else.
    check(this.rl.handshakeAligned, 'unexpected_message', 'RFC 8446 5.1', 'the ClientHello does not end its record: a handshake message would span the key change');
    this.suite = suite;
    let shExts: Extension[] = [];
    // RFC 8446 4.2.11: the pre_shared_key answer (its position in ServerHello is free; NSS puts it first).
    if (this.psk) shExts.push({ type: 'pre_shared_key', selected_identity: this.psk.index });
    let shared: Uint8Array | undefined;
    if (shareGroup !== undefined) {
      const peer = shares.find((s) => s.group === shareGroup)!;
      const kp = this.config.provider.keyExchange(groupName(shareGroup)!).generate(this.config.ephemeralKey?.(shareGroup));
      // RFC 8446 4.2.8.1, 4.2.8.2, 7.4 (checks13.ts): an invalid client share is an illegal_parameter.
      shared = sharedSecret(this.config.provider, shareGroup, kp.privateKey, peer.key_exchange, 'client');
      this.group = shareGroup;
      shExts.push({ type: 'key_share', server_share: { group: shareGroup, key_exchange: kp.publicKey } });
    }
    shExts.push({ type: 'supported_versions', selected_version: ProtocolVersion.TLS1_3 });
    if (this.config.shapeExtensions) shExts = this.config.shapeExtensions('server_hello', shExts);
    this.sendHandshake({
      msg_type: 'server_hello',
      legacy_version: ProtocolVersion.TLS1_2,
      random: this.config.random(32),
      legacy_session_id_echo: ch.legacy_session_id,
      cipher_suite: suite.code,
      legacy_compression_method: 0,
      extensions: shExts,
    });
    this.maybeCcs(ch);

    const early = suite.ks.earlySecret(this.psk?.state.psk);
    const thClientHello = this.earlyDataAccepted ? this.transcriptBeforeServerHello() : undefined;
    this.handshakeSecret = suite.ks.handshakeSecret(early, shared);
    const th = this.transcript.current();
    this.clientHsSecret = suite.ks.clientHandshakeTrafficSecret(this.handshakeSecret, th);
    const serverHs = suite.ks.serverHandshakeTrafficSecret(this.handshakeSecret, th);
    logKey(this.config.keyLog, 'CLIENT_HANDSHAKE_TRAFFIC_SECRET', this.ch1?.random, this.clientHsSecret);
    logKey(this.config.keyLog, 'SERVER_HANDSHAKE_TRAFFIC_SECRET', this.ch1?.random, serverHs);
    this.rl.setWriteProtection(suite.protection(serverHs));

    // EncryptedExtensions.
    let ee: Extension[] = [];
    // RFC 8446 4.2.7: the server may tell the client its groups, for use in later connections.
    if (this.config.advertiseGroups) ee.push({ type: 'supported_groups', named_group_list: [...this.config.groups] });
    // RFC 8449 4: answer record_size_limit with our own limit (2^14 + 1 when we have none lower).
    if (findExt(exts, 'record_size_limit')) ee.push({ type: 'record_size_limit', record_size_limit: Math.min(this.config.recordSizeLimit ?? 2 ** 14 + 1, 2 ** 14 + 1) });
    // RFC 6066 3: a server that used the name answers with an empty server_name.
    if (this.serverName !== undefined) ee.push({ type: 'server_name' });
    if (this.alpn) ee.push({ type: 'application_layer_protocol_negotiation', protocol_name_list: [new TextEncoder().encode(this.alpn)] });
    if (this.earlyDataAccepted) ee.push({ type: 'early_data' });
    // RFC 6066 4: "The "extension_data" field of this extension SHALL contain a "MaxFragmentLength" whose value is
    // the same as the requested maximum fragment length."
    if (this.maxFragmentLength !== undefined) ee.push({ type: 'max_fragment_length', max_fragment_length: this.maxFragmentLength });
    if (this.config.shapeExtensions) ee = this.config.shapeExtensions('encrypted_extensions', ee);
    this.sendHandshake({ msg_type: 'encrypted_extensions', extensions: ee });
    // RFC 6066 4: fragment at the negotiated length from now on, and hold the client to it. 0-RTT data the
    // client sent before it read this EncryptedExtensions was not bound by it: with early data accepted, only
    // what we send is limited.
    if (this.maxFragmentLength !== undefined) this.rl.limitFragments(maxFragmentBytes(this.maxFragmentLength), { send: true, receive: !this.earlyDataAccepted });

    if (certified) {
      if (this.config.requestClientCert) {
        this.certRequest = {
          msg_type: 'certificate_request',
          form: 'tls13',
          certificate_request_context: new Uint8Array(0),
          // RFC 8446 4.3.2: the schemes we accept, for CertificateVerify and for the certificates' own signatures.
          extensions: this.shape('certificate_request', [{ type: 'signature_algorithms', supported_signature_algorithms: [...this.config.signatureSchemes] }]),
        };
        this.sendHandshake(this.certRequest);
      }
      this.sendHandshake({
        msg_type: 'certificate',
        form: 'tls13',
        certificate_request_context: new Uint8Array(0),
        certificate_list: certified.ck.chain.map((d) => ({ cert_data: d, extensions: [] })),
      });
      const content = certificateVerifyContent('server', this.transcript.current());
      const signature = this.config.provider.sign(schemeName(certified.scheme)!, certified.ck.key, content);
      this.sendHandshake({ msg_type: 'certificate_verify', algorithm: certified.scheme, signature });
    }
    const verify = suite.ks.finishedVerifyData(serverHs, this.transcript.current());
    this.sendHandshake({ msg_type: 'finished', verify_data: verify });

    this.master = suite.ks.masterSecret(this.handshakeSecret);
    const thSf = this.transcript.current();
    this.clientApp = suite.ks.clientApplicationTrafficSecret0(this.master, thSf);
    this.writeSecret = suite.ks.serverApplicationTrafficSecret0(this.master, thSf);
    logKey(this.config.keyLog, 'CLIENT_TRAFFIC_SECRET_0', this.ch1?.random, this.clientApp);
    logKey(this.config.keyLog, 'SERVER_TRAFFIC_SECRET_0', this.ch1?.random, this.writeSecret);
    this.rl.setWriteProtection(suite.protection(this.writeSecret));

    if (this.earlyDataAccepted) {
      const earlyTraffic = suite.ks.clientEarlyTrafficSecret(early, thClientHello!);
      logKey(this.config.keyLog, 'CLIENT_EARLY_TRAFFIC_SECRET', this.ch1?.random, earlyTraffic);
      this.rl.setReadProtection(suite.protection(earlyTraffic));
      this.hsState = 'wait_eoed';
    } else {
      this.rl.setReadProtection(suite.protection(this.clientHsSecret));
      // RFC 8446 4.2.10: a server that ignores offered 0-RTT skips the records it cannot deprotect.
      if (earlyOffered) this.rl.skipUndecryptable = Math.max(this.psk?.state.maxEarlyData ?? 0, this.config.maxEarlyData, 2 ** 14) + 2 ** 14;
      this.hsState = this.certRequest ? 'wait_client_cert' : 'wait_client_finished';
    }
  }

  /** Transcript-Hash(ClientHello): the transcript now holds ClientHello and ServerHello; rebuild the prefix. */
  private transcriptBeforeServerHello(): Uint8Array {
    const msgs = this.transcript.messages;
    const h = this.config.provider.createHash(this.transcript.hash!);
    for (const m of msgs.slice(0, -1)) h.update(m);
    return h.digest();
  }

  private onEndOfEarlyData(raw: Uint8Array): void {
    this.transcript.add(raw);
    // RFC 8446 4.5: after EndOfEarlyData the client's records use the handshake traffic keys.
    this.rl.setReadProtection(this.suite!.protection(this.clientHsSecret!));
    this.hsState = this.certRequest ? 'wait_client_cert' : 'wait_client_finished';
  }

  private onClientCertificate(cert: Extract<CertificateMsg, { form: 'tls13' }>, raw: Uint8Array): void {
    // RFC 8446 4.4.2 (checks13.ts): the context echoes the CertificateRequest's; entry extensions; parseable.
    const chain = checkClientCertificate(cert, { certificateRequest: this.certRequest! });
    this.transcript.add(raw);
    if (chain.length === 0) {
      // RFC 8446 4.4.2.4: with no client certificate the server MAY continue or abort with certificate_required.
      check(!this.config.requireClientCert, 'certificate_required', 'RFC 8446 4.4.2.4', 'the client sent no certificate');
      this.hsState = 'wait_client_finished';
      return;
    }
    if (this.config.verifyPeer) checkCertificateChain(chain, { trustRoots: this.config.trustRoots, now: new Date(this.config.now()), purpose: 'clientAuth' });
    this.clientChain = chain;
    this.hsState = 'wait_client_cv';
  }

  private onClientCertificateVerify(cv: CertificateVerify, raw: Uint8Array): void {
    // RFC 8446 4.4.3 (checks13.ts): a scheme of our CertificateRequest, TLS 1.3, fitting the key; the signature.
    checkCertificateVerify(cv, {
      side: 'client',
      offered: offeredSchemes(this.certRequest!.extensions),
      key: this.clientChain[0].publicKey!,
      provider: this.config.provider,
      transcriptHash: this.transcript.current(),
    });
    this.transcript.add(raw);
    this.hsState = 'wait_client_finished';
  }

  private onClientFinished(fin: Finished, raw: Uint8Array): void {
    const suite = this.suite!;
    // RFC 8446 4.4.4 (checks13.ts).
    checkFinished(fin, suite.ks.finishedVerifyData(this.clientHsSecret!, this.transcript.current()), 'client');
    this.clientFinishedSeen = true;
    this.transcript.add(raw);
    this.readSecret = this.clientApp!;
    this.rl.setReadProtection(suite.protection(this.readSecret));
    const rms = suite.ks.resumptionMasterSecret(this.master!, this.transcript.current());
    this.hsState = 'connected';
    this.complete({
      version: 'TLSv1.3',
      cipherSuite: suite.code,
      group: this.group,
      signatureScheme: this.scheme,
      alpn: this.alpn,
      resumed: this.psk !== undefined,
      helloRetry: this.hrr !== undefined,
      earlyDataAccepted: this.earlyDataAccepted,
      serverName: this.serverName,
      peerCertificates: this.clientChain.map((c) => c.der),
    });
    for (let i = 0; i < this.config.ticketsToSend; i++) this.sendTicket(i, rms);
  }

  private sendTicket(index: number, rms: Uint8Array): void {
    const suite = this.suite!;
    const nonce = this.config.ticketNonce?.(index) ?? Uint8Array.of(index);
    const ageAdd = new DataView(this.config.random(4).buffer).getUint32(0);
    const psk = suite.ks.resumptionPsk(rms, nonce);
    // RFC 8446 4.6.1: "Servers MUST NOT use any value greater than 604800 seconds (7 days)."
    const lifetime = Math.min(this.config.ticketLifetime, 604800);
    const ticket = this.tickets.seal(
      { psk, cipherSuite: suite.code, issuedAt: this.config.now(), lifetimeSeconds: lifetime, ageAdd, maxEarlyData: this.config.maxEarlyData, alpn: this.alpn ?? '' },
      index,
    );
    const extensions = this.shape('new_session_ticket', this.config.maxEarlyData > 0 ? [{ type: 'early_data', max_early_data_size: this.config.maxEarlyData }] : []);
    this.sendHandshake(
      { msg_type: 'new_session_ticket', form: 'tls13', ticket_lifetime: lifetime, ticket_age_add: ageAdd, ticket_nonce: nonce, ticket, extensions },
      false,
    );
  }

  protected override onPostHandshake(item: Extract<Inbound, { kind: 'handshake' }>): void {
    const msg: HandshakeMessage = decode13(item);
    // RFC 8446 4.6: a server receives no NewSessionTicket; KeyUpdate is handled by the base.
    if (msg.msg_type === 'key_update') return super.onPostHandshake(item);
    throw unexpected(msg, 'connected');
  }
}

