/**
 * The reference server's TLS 1.2 handshake (RFC 5246 7.3), entered once the ClientHello was answered with
 * TLS 1.2:
 *
 *   full:        (ServerHello, Certificate, [ServerKeyExchange], [CertificateRequest], ServerHelloDone sent)
 *                -> [wait_client_cert] -> wait_cke -> [wait_cv] -> wait_ccs -> wait_finished
 *                -> ([NewSessionTicket], ChangeCipherSpec, Finished sent) -> connected
 *   abbreviated: (ServerHello, [NewSessionTicket], ChangeCipherSpec, Finished sent) -> wait_ccs -> wait_finished -> connected
 *
 * RSA key exchange follows RFC 5246 7.4.7.1 to the letter (no observable difference between a bad and a good
 * EncryptedPreMasterSecret until Finished); ECDHE over x25519/P-256/P-384 (RFC 8422), DHE over the RFC 7919
 * groups; extended master secret (RFC 7627), encrypt-then-MAC (RFC 7366), secure renegotiation signalling
 * (RFC 5746), session cache and tickets (RFC 5077), ALPN, SNI, client authentication.
 */
import { logKey } from '../keylog.ts';
import { AlertDescription, AlertLevel, ClientCertificateType, DOWNGRADE_TLS12, HandshakeType, NamedGroup, ProtocolVersion } from '../../codec/enums.ts';
import type { Extension } from '../../codec/extensions.ts';
import type { CertificateVerify, ClientHello, ClientKeyExchange, Finished } from '../../codec/handshake.ts';
import { concatBytes } from '../../codec/bytes.ts';
import type { KeyPair, PrivateKey } from '../../crypto/provider.ts';
import type { Certificate } from '../../crypto/certificate.ts';
import { suiteParams, type CipherSuiteParams } from '../../crypto/suites.ts';
import { FFDHE_GROUPS } from '../../crypto/ffdhe.ts';
import type { RecordProtection } from '../../crypto/record-protection.ts';
import type { CertifiedKey, ServerSession12 } from '../config.ts';
import { TlsError, check } from '../errors.ts';
import { groupName } from '../groups.ts';
import type { Inbound } from '../record-layer.ts';
import { findExt } from '../tls13.ts';
import { openTicket12, sealTicket12 } from './tickets12.ts';
import {
  agreedPremaster,
  checkCertificateVerify12,
  checkClientCertificate12,
  checkClientHello12,
  checkFinished12,
  checkResumptionEms12,
  rsaPremasterSecret,
} from './checks12.ts';
import {
  DEFAULT_TLS12_SCHEMES,
  EC_GROUPS,
  FFDHE_GROUP_CODES,
  Keys12,
  acceptChangeCipherSpec,
  chooseScheme12,
  decode12,
  dheParams,
  ecdheParams,
  hex,
  keyFitsSuite,
  schemes12,
  sign12,
  signedParams,
  unexpected12,
  type Host12,
  type Machine12,
} from './common12.ts';

type State = 'start' | 'wait_client_cert' | 'wait_cke' | 'wait_cv' | 'wait_ccs' | 'wait_finished' | 'connected';

/** RFC 5246 7.3 / 7.4: the handshake messages the server accepts in each state (checked before parsing). */
const EXPECTED: Readonly<Record<State, readonly number[]>> = {
  start: [],
  wait_client_cert: [HandshakeType.certificate],
  wait_cke: [HandshakeType.client_key_exchange],
  wait_cv: [HandshakeType.certificate_verify],
  // RFC 5246 7.1: the ChangeCipherSpec record comes next, not a handshake message.
  wait_ccs: [],
  wait_finished: [HandshakeType.finished],
  // RFC 5246 7.4.1.2: a ClientHello after the handshake asks for renegotiation (refused, onPostHandshake).
  connected: [HandshakeType.client_hello],
};

interface Selected {
  suite: CipherSuiteParams;
  ck: CertifiedKey;
  /** The ServerKeyExchange signature scheme (undefined for RSA key exchange). */
  scheme?: number;
  group?: number;
}

export class Server12 implements Machine12 {
  state: State = 'start';
  private ch!: ClientHello;
  private suite!: CipherSuiteParams;
  private keys!: Keys12;
  private serverRandom!: Uint8Array;
  private selected: Selected | undefined;
  private ephemeral: KeyPair | undefined;
  private resumed = false;
  private ems = false;
  private etm = false;
  private sendTicket = false;
  private sessionId: Uint8Array = new Uint8Array(0);
  private alpn: string | undefined;
  private serverName: string | undefined;
  private secureRenegotiation = false;
  /** RFC 5746 3.1: the verify_data of the handshake, for the checks of a renegotiation ClientHello. */
  private clientVerifyData: Uint8Array | undefined;
  private serverVerifyData: Uint8Array | undefined;
  private certRequested = false;
  /** The certificate_types of the CertificateRequest sent (RFC 5246 7.4.4). */
  private requestedCertTypes: number[] = [];
  /** The supported_signature_algorithms of the CertificateRequest sent (RFC 5246 7.4.4). */
  private requestedSchemes: number[] = [];
  private clientChain: Certificate[] = [];
  private master!: Uint8Array;
  private readProt: RecordProtection | undefined;
  private writeProt: RecordProtection | undefined;

  constructor(
    private readonly host: Host12,
    /** This server also speaks TLS 1.3 (RFC 8446 4.1.3 downgrade sentinel, RFC 7507 fallback check). */
    private readonly tls13Enabled: boolean,
  ) {}

  private get config() {
    return this.host.config;
  }

  // ---- ClientHello --------------------------------------------------------------------------------------

  onClientHello(ch: ClientHello, raw: Uint8Array): void {
    this.ch = ch;
    const exts = ch.extensions ?? [];
    // RFC 5246 7.4.1.2, RFC 7507 3, RFC 5746 3.6, RFC 8422 5.1.2 (checks12.ts).
    this.secureRenegotiation = checkClientHello12(ch, { tls13Enabled: this.tls13Enabled }).secureRenegotiation;
    const pf = findExt(exts, 'ec_point_formats');
    const clientEms = findExt(exts, 'extended_master_secret') !== undefined;
    this.ems = clientEms && this.config.extendedMasterSecret;
    const sni = findExt(exts, 'server_name');
    if (sni && 'server_name_list' in sni && sni.server_name_list) {
      const host = sni.server_name_list.find((n) => n.name_type === 0);
      if (host) this.serverName = new TextDecoder().decode(host.host_name);
    }
    const alpnExt = findExt(exts, 'application_layer_protocol_negotiation');
    if (alpnExt && this.config.alpn.length > 0) {
      const offered = alpnExt.protocol_name_list.map((p) => new TextDecoder().decode(p));
      // RFC 7301 3.2: no protocol in common: a fatal no_application_protocol alert.
      const chosen = this.config.alpn.find((p) => offered.includes(p));
      check(chosen, 'no_application_protocol', 'RFC 7301 3.2', `no ALPN protocol in common (client offers ${offered.join(', ')})`);
      this.alpn = chosen;
    }
    const ticketExt = findExt(exts, 'session_ticket');
    const ticketsOn = this.config.sessionTickets12 && ticketExt !== undefined;

    // Resumption (RFC 5077 3.4 by ticket first, then RFC 5246 7.4.1.2 by session ID).
    const session = this.findSession(ch, ticketExt?.ticket);
    if (session) {
      this.suite = suiteParams(session.state.cipherSuite)!;
      this.resumed = true;
      this.master = session.state.masterSecret;
      // RFC 5246 7.4.1.3 / RFC 5077 3.4: a resumed session echoes the client's session ID.
      this.sessionId = ch.legacy_session_id;
      // RFC 5077 3.3 (figure 2): renew the ticket of a session resumed by ticket.
      this.sendTicket = ticketsOn && session.byTicket;
    } else {
      this.selected = this.selectSuite(ch);
      this.suite = this.selected.suite;
      this.sendTicket = ticketsOn;
      // A session ID for the cache (RFC 5246 7.4.1.3); none when there is no cache.
      this.sessionId = this.config.sessionCache12 ? this.config.random(32) : new Uint8Array(0);
    }
    // RFC 7366 3: encrypt-then-MAC only with a CBC suite.
    this.etm = this.config.encryptThenMac && findExt(exts, 'encrypt_then_mac') !== undefined && this.suite.cipher.type === 'cbc';
    this.keys = new Keys12(this.config.provider, this.suite);
    // RFC 5246 6.2.3: protected records carry their real content type from now on.
    this.host.rl.tls13 = false;
    this.host.transcript.start(this.suite.prfHash);
    this.host.transcript.add(raw);

    this.serverRandom = this.config.random(32);
    // RFC 8446 4.1.3: "TLS 1.3 servers which negotiate TLS 1.2 or below in response to a ClientHello MUST set
    // the last 8 bytes of their Random value specially": DOWNGRD\x01 for TLS 1.2.
    if (this.tls13Enabled) this.serverRandom = concatBytes(this.serverRandom.subarray(0, 24), DOWNGRADE_TLS12);

    let shExts: Extension[] = [];
    // RFC 5746 3.6: a server that saw the SCSV or the extension answers with an empty renegotiation_info.
    if (this.secureRenegotiation) shExts.push({ type: 'renegotiation_info', renegotiated_connection: new Uint8Array(0) });
    // RFC 6066 3: a server that used the name answers with an empty server_name; "When resuming a session, the
    // server MUST NOT include a server_name extension in the server hello."
    if (this.serverName !== undefined && !this.resumed) shExts.push({ type: 'server_name' });
    // RFC 8422 5.2: the server answers ec_point_formats (uncompressed) when it selects an ECC suite.
    if (pf && this.suite.keyExchange === 'ecdhe') shExts.push({ type: 'ec_point_formats', ec_point_format_list: [0] });
    if (this.alpn) shExts.push({ type: 'application_layer_protocol_negotiation', protocol_name_list: [new TextEncoder().encode(this.alpn)] });
    // RFC 7627 5.2: a server that accepts the extension echoes it.
    if (this.ems) shExts.push({ type: 'extended_master_secret' });
    if (this.etm) shExts.push({ type: 'encrypt_then_mac' });
    // RFC 5077 3.2: an empty SessionTicket extension announces a NewSessionTicket.
    if (this.sendTicket) shExts.push({ type: 'session_ticket' });
    if (this.config.shapeExtensions) shExts = this.config.shapeExtensions('server_hello', shExts);
    this.host.send({
      msg_type: 'server_hello',
      legacy_version: ProtocolVersion.TLS1_2,
      random: this.serverRandom,
      legacy_session_id_echo: this.sessionId,
      cipher_suite: this.suite.code,
      legacy_compression_method: 0,
      extensions: shExts,
    });

    if (this.resumed) {
      // RFC 5246 7.3, abbreviated handshake: [NewSessionTicket], ChangeCipherSpec, Finished from the server first.
      this.deriveKeys();
      if (this.sendTicket) this.sendNewSessionTicket();
      this.sendCcsAndFinished();
      this.state = 'wait_ccs';
      return;
    }
    this.sendFirstFlight();
  }

  /** A resumable session: a ticket we issued (RFC 5077 3.4), or a cached session ID (RFC 5246 7.4.1.2). */
  private findSession(ch: ClientHello, ticket: Uint8Array | undefined): { state: ServerSession12; byTicket: boolean } | undefined {
    const usable = (s: ServerSession12 | undefined): s is ServerSession12 => {
      if (!s) return false;
      const age = this.config.now() - s.createdAt;
      if (age < 0 || age > s.lifetimeSeconds * 1000) return false;
      // RFC 5246 7.4.1.2: the client MUST include the session's cipher suite; and it must still be one of ours.
      if (!ch.cipher_suites.includes(s.cipherSuite) || !this.config.cipherSuites.includes(s.cipherSuite)) return false;
      // RFC 6066 3: the server name must be the session's.
      if (s.serverName !== (this.serverName ?? '')) return false;
      // RFC 7627 5.3 (checks12.ts): an extended-master-secret session needs the extension.
      checkResumptionEms12(ch, s);
      const clientEms = findExt(ch.extensions, 'extended_master_secret') !== undefined;
      // RFC 7627 5.3: "If the original session did not use the "extended_master_secret" extension but the new
      // ClientHello contains the extension, then the server MUST NOT perform the abbreviated handshake."
      if (!s.extendedMasterSecret && clientEms && this.config.extendedMasterSecret) return false;
      return s.extendedMasterSecret === this.ems;
    };
    if (ticket && ticket.length > 0 && this.config.sessionTickets12) {
      const s = openTicket12(this.config.provider, this.config.ticketKey, ticket);
      // RFC 5077 3.4: a ticket needs a session ID to be echoed for the client to see the resumption.
      if (usable(s) && ch.legacy_session_id.length > 0) return { state: s, byTicket: true };
    }
    if (ch.legacy_session_id.length > 0 && this.config.sessionCache12) {
      const s = this.config.sessionCache12.get(hex(ch.legacy_session_id));
      if (usable(s)) return { state: s, byTicket: false };
    }
    return undefined;
  }

  /**
   * RFC 5246 7.4.1.3: the server's most preferred suite the client offers, for which it has what the suite
   * needs: a certificate of the right key type (RSA for RSA and *_RSA, ECDSA/EdDSA for *_ECDSA; RFC 5246 7.4.2)
   * that can sign with a scheme the client accepts (RFC 5246 7.4.1.4.1), an ECDHE curve the client supports
   * (RFC 8422 5.1.1), or an FFDHE group (RFC 7919 4). None: handshake_failure.
   */
  private selectSuite(ch: ClientHello): Selected {
    const exts = ch.extensions ?? [];
    const sigExt = findExt(exts, 'signature_algorithms');
    const legacy = this.config.legacySha1Signatures === true;
    // RFC 5246 7.4.1.4.1: without signature_algorithms the client supports {sha1,rsa} and {sha1,ecdsa}; RFC 9155
    // (paraphrase: "if a TLS 1.2 client sends no signature_algorithms extension, the server must abort with
    // handshake_failure, except where no digital signature is used") takes that default away: only a suite
    // without a signature (the RSA key exchange) remains, unless legacySha1Signatures restores it.
    const peerSchemes = sigExt?.supported_signature_algorithms ?? (legacy ? DEFAULT_TLS12_SCHEMES : []);
    // Our schemes, most preferred first, without MD5 or SHA-1 (RFC 9155) and with the defaults last in legacy mode.
    const preference = schemes12(this.config);
    /** A suite that a certificate and group could serve but for the missing signature_algorithms. */
    let needsSignatureAlgorithms = false;
    /** A suite that a certificate and group could serve with a SHA-1 signature only. */
    let onlySha1 = false;
    const withSha1 = legacy ? [] : schemes12({ ...this.config, legacySha1Signatures: true });
    const clientGroups = findExt(exts, 'supported_groups')?.named_group_list;
    // RFC 8422 4: without supported_groups the server may choose any curve.
    const ecGroup = this.config.groups.find((g) => EC_GROUPS.includes(g) && (!clientGroups || clientGroups.includes(g)));
    // RFC 7919 4: a client that lists FFDHE groups gets one of them or no DHE suite; one that lists none
    // leaves the group to the server.
    const clientFfdhe = (clientGroups ?? []).filter((g) => FFDHE_GROUP_CODES.includes(g));
    const ourFfdhe = this.config.groups.filter((g) => FFDHE_GROUP_CODES.includes(g));
    const dheGroup = clientFfdhe.length > 0 ? ourFfdhe.find((g) => clientFfdhe.includes(g)) : (ourFfdhe[0] ?? NamedGroup.ffdhe2048);
    for (const code of this.config.cipherSuites) {
      const suite = suiteParams(code);
      if (!suite || suite.version !== 'TLS1.2' || !ch.cipher_suites.includes(code)) continue;
      const group = suite.keyExchange === 'ecdhe' ? ecGroup : suite.keyExchange === 'dhe' ? dheGroup : undefined;
      if (suite.keyExchange !== 'rsa' && group === undefined) continue;
      for (const ck of this.config.certificates) {
        if (!keyFitsSuite(ck.key, suite)) continue;
        // keyuse: RFC 8422 5.3: "If the client has used a Supported Elliptic Curves Extension, the public key in
        // the server's certificate MUST respect the client's choice of elliptic curves." (checkServerCertificate12
        // holds the client side of it.)
        if (ck.key.kind === 'ec' && clientGroups && !clientGroups.includes(NamedGroup[ck.key.curve])) continue;
        if (suite.keyExchange === 'rsa') return { suite, ck };
        // RFC 5246 7.4.3: "the server MUST check any candidate cipher suites against the "signature_algorithms"
        // extension before selecting them"; the scheme must fit the key (RFC 5246 7.4.3; any ECDSA hash with
        // any curve in TLS 1.2, RFC 8446 4.2.3).
        const scheme = chooseScheme12(ck.key, peerSchemes, preference);
        if (scheme !== undefined) return { suite, ck, scheme, group };
        if (!sigExt) needsSignatureAlgorithms = true;
        else if (chooseScheme12(ck.key, peerSchemes, withSha1) !== undefined) onlySha1 = true;
      }
    }
    // RFC 9155 (paraphrase: "if a TLS 1.2 client sends no signature_algorithms extension, the server must abort
    // with handshake_failure, except where no digital signature is used").
    if (needsSignatureAlgorithms) throw new TlsError('handshake_failure', 'RFC 9155', 'a TLS 1.2 ClientHello without signature_algorithms: every suite it could get needs a signature (RFC 9155 removed the SHA-1 default)');
    // RFC 9155 (paraphrase: MD5 and SHA-1 are deprecated for TLS 1.2 signatures): the only schemes in common are SHA-1 ones.
    if (onlySha1) throw new TlsError('handshake_failure', 'RFC 9155', 'the only signature schemes in common are SHA-1 ones, deprecated in TLS 1.2 (legacySha1Signatures / --allow-sha1-signatures allows them)');
    // RFC 5246 7.4.1.3 / 7.2.2: no acceptable set of security parameters: handshake_failure.
    throw new TlsError('handshake_failure', 'RFC 5246 7.4.1.3', 'no TLS 1.2 cipher suite in common (with a fitting certificate, scheme and group)');
  }

  /** RFC 5246 7.3: Certificate, [ServerKeyExchange], [CertificateRequest], ServerHelloDone. */
  private sendFirstFlight(): void {
    const sel = this.selected!;
    this.host.send({ msg_type: 'certificate', form: 'tls12', certificate_list: sel.ck.chain });
    if (this.suite.keyExchange !== 'rsa') {
      const g = sel.group!;
      const kx = this.config.provider.keyExchange(groupName(g)!);
      this.ephemeral = kx.generate(this.config.ephemeralKey?.(g));
      let params: Uint8Array;
      const sign = (p: Uint8Array) => {
        // RFC 5246 7.4.3 / RFC 8422 5.4: signed over ClientHello.random + ServerHello.random + params.
        const signature = sign12(this.config.provider, sel.scheme!, sel.ck.key, signedParams(this.ch.random, this.serverRandom, p));
        return { algorithm: sel.scheme!, signature };
      };
      if (this.suite.keyExchange === 'ecdhe') {
        params = ecdheParams(g, this.ephemeral.publicKey);
        this.host.send({ msg_type: 'server_key_exchange', form: 'ecdhe', curve_type: 3, named_curve: g, public: this.ephemeral.publicKey, signature: sign(params) });
      } else {
        const f = Object.values(FFDHE_GROUPS).find((x) => x.codePoint === g)!;
        const p = bigToBytes(f.p, f.byteLength);
        const gen = Uint8Array.of(Number(f.g));
        params = dheParams(p, gen, this.ephemeral.publicKey);
        this.host.send({ msg_type: 'server_key_exchange', form: 'dhe', dh_p: p, dh_g: gen, dh_Ys: this.ephemeral.publicKey, signature: sign(params) });
      }
    }
    if (this.config.requestClientCert) {
      this.certRequested = true;
      this.requestedCertTypes = [ClientCertificateType.rsa_sign, ClientCertificateType.ecdsa_sign];
      // RFC 9155 (paraphrase: "servers must not list them [MD5, SHA-1] in CertificateRequest"): schemes12.
      this.requestedSchemes = schemes12(this.config);
      // RFC 5246 7.4.4: the certificate types and signature schemes we accept; no authorities named.
      this.host.send({
        msg_type: 'certificate_request',
        form: 'tls12',
        certificate_types: this.requestedCertTypes,
        supported_signature_algorithms: [...this.requestedSchemes],
        certificate_authorities: [],
      });
    }
    this.host.send({ msg_type: 'server_hello_done' });
    this.state = this.certRequested ? 'wait_client_cert' : 'wait_cke';
  }

  private deriveKeys(): void {
    const p = this.keys.protections(this.master, this.ch.random, this.serverRandom, this.etm);
    logKey(this.config.keyLog, 'CLIENT_RANDOM', this.ch.random, this.master);
    this.readProt = p.client;
    this.writeProt = p.server;
  }

  // ---- inbound ------------------------------------------------------------------------------------------

  expectedTypes(): readonly number[] {
    return EXPECTED[this.state];
  }

  onHandshake(item: Extract<Inbound, { kind: 'handshake' }>): void {
    const msg = decode12(item, this.suite.keyExchange ?? undefined);
    switch (this.state) {
      case 'wait_client_cert':
        if (msg.msg_type === 'certificate' && msg.form === 'tls12') return this.onClientCertificate(msg.certificate_list, item.raw);
        break;
      case 'wait_cke':
        if (msg.msg_type === 'client_key_exchange') return this.onClientKeyExchange(msg, item.raw);
        break;
      case 'wait_cv':
        if (msg.msg_type === 'certificate_verify') return this.onCertificateVerify(msg, item.raw);
        break;
      case 'wait_finished':
        if (msg.msg_type === 'finished') return this.onFinished(msg, item.raw);
        break;
    }
    // RFC 5246 7.4.6: a client that was asked for a certificate sends a Certificate message first (possibly
    // empty); anything else out of order is an unexpected_message too (RFC 5246 7.4).
    throw unexpected12(msg.msg_type, this.state);
  }

  onChangeCipherSpec(item: Extract<Inbound, { kind: 'change_cipher_spec' }>): void {
    // RFC 5246 7.1 / 7.4.8: the client's ChangeCipherSpec follows ClientKeyExchange (and CertificateVerify when
    // it sent a certificate); anywhere else it is an unexpected_message.
    acceptChangeCipherSpec(item, this.state, this.host.rl, this.readProt);
    this.state = 'wait_finished';
  }

  onPostHandshake(item: Extract<Inbound, { kind: 'handshake' }>): void {
    const msg = decode12(item, this.suite.keyExchange ?? undefined);
    if (msg.msg_type === 'client_hello') {
      // RFC 5746 3.7 / 4.4 (checks12.ts): the checks of a renegotiation ClientHello come first, whether or not
      // the server then renegotiates: an SCSV, a missing or wrong renegotiation_info aborts with handshake_failure.
      const prev = this.secureRenegotiation && this.clientVerifyData && this.serverVerifyData
        ? { secureRenegotiation: true as const, clientVerifyData: this.clientVerifyData, serverVerifyData: this.serverVerifyData }
        : { secureRenegotiation: false as const };
      checkClientHello12(msg, { tls13Enabled: false, renegotiation: prev });
      // RFC 5246 7.2.2 (no_renegotiation) and RFC 5746 4.4: this server does not renegotiate: a ClientHello
      // after the handshake gets a warning no_renegotiation alert, and the connection carries on.
      this.host.sendAlert(AlertDescription.no_renegotiation, AlertLevel.warning);
      this.host.refusedRenegotiation();
      return;
    }
    throw unexpected12(msg.msg_type, 'connected');
  }

  private onClientCertificate(list: Uint8Array[], raw: Uint8Array): void {
    this.host.transcript.add(raw);
    // RFC 5246 7.4.6 (checks12.ts): empty vs requireClientCert, parses, validates when verifyPeer, key type requested.
    const c = this.config;
    this.clientChain = checkClientCertificate12(list, {
      requestedCertTypes: this.requestedCertTypes,
      requireClientCert: c.requireClientCert,
      chain: c.verifyPeer ? { trustRoots: c.trustRoots, now: new Date(c.now()) } : undefined,
    });
    this.state = 'wait_cke';
  }

  private onClientKeyExchange(cke: ClientKeyExchange, raw: Uint8Array): void {
    const pms = this.premasterSecret(cke);
    const t = this.host.transcript;
    t.add(raw);
    // RFC 7627 3: session_hash = Hash(handshake messages up to and including ClientKeyExchange).
    this.master = this.keys.master(pms, this.ch.random, this.serverRandom, this.ems ? t.current() : undefined);
    this.deriveKeys();
    // RFC 5246 7.4.8: a client that sent a certificate with signing capability sends CertificateVerify next.
    this.state = this.clientChain.length > 0 ? 'wait_cv' : 'wait_ccs';
  }

  private premasterSecret(cke: ClientKeyExchange): Uint8Array {
    const provider = this.config.provider;
    if (cke.form === 'rsa') {
      // RFC 5246 7.4.7.1 (checks12.ts): R of 48 random bytes is made before decrypting.
      const key = this.selected!.ck.key as PrivateKey & { kind: 'rsa' };
      return rsaPremasterSecret(provider, key, cke.encrypted_pre_master_secret, this.ch.legacy_version, this.config.random(48));
    }
    if (cke.form === 'opaque') throw new TlsError('decode_error', 'RFC 5246 7.4.7', 'ClientKeyExchange of the wrong form');
    // RFC 8422 5.11 / RFC 7919 5.1 (checks12.ts): the client's public value validated.
    return agreedPremaster(provider, this.ephemeral!, cke.form === 'ecdhe' ? cke.ecdh_Yc : cke.dh_Yc, cke.form, 'client');
  }

  private onCertificateVerify(cv: CertificateVerify, raw: Uint8Array): void {
    // RFC 5246 7.4.8 (checks12.ts): refused schemes, requested, fits the key, verifies over handshake_messages
    // (every message up to, not including, this one).
    checkCertificateVerify12(cv, {
      requestedSchemes: this.requestedSchemes,
      key: this.clientChain[0].publicKey!,
      content: concatBytes(...this.host.transcript.messages),
      provider: this.config.provider,
      legacySha1: this.config.legacySha1Signatures === true,
    });
    this.host.transcript.add(raw);
    this.state = 'wait_ccs';
  }

  private onFinished(fin: Finished, raw: Uint8Array): void {
    const t = this.host.transcript;
    // RFC 5246 7.4.9 (checks12.ts).
    checkFinished12(fin, this.keys.finished(this.master, 'client', t.current()), 'client');
    this.clientVerifyData = fin.verify_data;
    t.add(raw);
    if (!this.resumed) {
      this.cacheSession();
      if (this.sendTicket) this.sendNewSessionTicket();
      this.sendCcsAndFinished();
    }
    this.state = 'connected';
    this.host.complete({
      version: 'TLSv1.2',
      cipherSuite: this.suite.code,
      group: this.resumed ? undefined : this.selected?.group,
      signatureScheme: this.resumed ? undefined : this.selected?.scheme,
      alpn: this.alpn,
      resumed: this.resumed,
      helloRetry: false,
      earlyDataAccepted: false,
      serverName: this.serverName,
      peerCertificates: this.clientChain.map((c) => c.der),
      extendedMasterSecret: this.ems,
      encryptThenMac: this.etm,
      secureRenegotiation: this.secureRenegotiation,
    });
  }

  private sessionState(): ServerSession12 {
    return {
      masterSecret: this.master,
      cipherSuite: this.suite.code,
      extendedMasterSecret: this.ems,
      createdAt: this.config.now(),
      lifetimeSeconds: this.config.sessionLifetime12,
      alpn: this.alpn ?? '',
      serverName: this.serverName ?? '',
    };
  }

  private cacheSession(): void {
    if (this.sessionId.length > 0 && this.config.sessionCache12) this.config.sessionCache12.put(hex(this.sessionId), this.sessionState());
  }

  /** RFC 5077 3.3: NewSessionTicket (TLS 1.2 form), before ChangeCipherSpec, part of the transcript. */
  private sendNewSessionTicket(): void {
    const ticket = sealTicket12(this.config.provider, this.config.ticketKey, this.sessionState(), this.config.random(12));
    this.host.send({ msg_type: 'new_session_ticket', form: 'tls12', ticket_lifetime_hint: this.config.sessionLifetime12, ticket });
  }

  private sendCcsAndFinished(): void {
    this.host.sendCcs();
    this.host.rl.setWriteProtection(this.writeProt!);
    this.serverVerifyData = this.keys.finished(this.master, 'server', this.host.transcript.current());
    this.host.send({ msg_type: 'finished', verify_data: this.serverVerifyData });
  }
}

function bigToBytes(x: bigint, len: number): Uint8Array {
  const out = new Uint8Array(len);
  for (let i = len - 1; i >= 0; i--) {
    out[i] = Number(x & 0xffn);
    x >>= 8n;
  }
  return out;
}
