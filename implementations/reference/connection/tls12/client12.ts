/**
 * The reference client's TLS 1.2 handshake (RFC 5246 7.3), entered once the ServerHello chose TLS 1.2:
 *
 *   full:        wait_cert -> [wait_ske] -> wait_cr_shd -> [wait_shd] -> (Certificate, ClientKeyExchange,
 *                CertificateVerify, ChangeCipherSpec, Finished sent) -> [wait_nst] -> wait_ccs -> wait_finished -> connected
 *   abbreviated: [wait_nst] -> wait_ccs -> wait_finished -> (ChangeCipherSpec, Finished sent) -> connected
 *
 * Key exchanges: RSA (RFC 5246 7.4.7.1), ECDHE (RFC 8422), DHE (RFC 5246 7.4.3, RFC 7919 groups). Extended
 * master secret (RFC 7627), encrypt-then-MAC (RFC 7366), secure renegotiation signalling (RFC 5746),
 * resumption by session ID (RFC 5246 7.4.1.2) and by ticket (RFC 5077).
 */
import { AlertDescription, AlertLevel, CipherSuite, ClientCertificateType, ExtensionType, HandshakeType, ProtocolVersion, nameOf } from '../../codec/enums.ts';
import { checkDowngradeSentinel } from '../checks13.ts';
import { extensionCode, type Extension } from '../../codec/extensions.ts';
import type { CertificateRequest, ClientHello, Finished, ServerHello, ServerKeyExchange } from '../../codec/handshake.ts';
import { concatBytes, constantTimeEqual, equalBytes } from '../../codec/bytes.ts';
import { CryptoError, type PublicKey } from '../../crypto/provider.ts';
import { parseCertificateDer, validateChain, type Certificate } from '../../crypto/certificate.ts';
import { suiteParams, type CipherSuiteParams } from '../../crypto/suites.ts';
import { FFDHE_GROUPS } from '../../crypto/ffdhe.ts';
import { tls12DhePremasterSecret } from '../../crypto/noble/asymmetric.ts';
import type { RecordProtection } from '../../crypto/record-protection.ts';
import type { CertifiedKey, StoredSession12 } from '../config.ts';
import { TlsError, check } from '../errors.ts';
import { groupName } from '../groups.ts';
import type { Inbound } from '../record-layer.ts';
import { findExt } from '../tls13.ts';
import {
  ALLOWED_IN_SERVER_HELLO12,
  DEFAULT_TLS12_SCHEMES,
  EC_GROUPS,
  Keys12,
  bigintToBytes,
  bytesToBigint,
  chooseScheme12,
  decode12,
  dheParams,
  ecdheParams,
  keyCanUse,
  keyFitsSuite,
  modPow,
  refusedScheme12,
  schemeName12,
  schemes12,
  sign12,
  signedParams,
  unexpected12,
  verify12,
  type Host12,
  type Machine12, acceptChangeCipherSpec } from './common12.ts';

type State = 'wait_cert' | 'wait_ske' | 'wait_cr_shd' | 'wait_shd' | 'wait_nst' | 'wait_ccs' | 'wait_finished' | 'connected';

const HT = HandshakeType;
/**
 * RFC 5246 7.3 / 7.4: the handshake messages the client accepts in each state (checked before parsing). A
 * HelloRequest is accepted in every state: RFC 5246 7.4 exempts it from the ordering rules ("can be sent at
 * any time"); during the handshake it is ignored, after it refused (onPostHandshake).
 */
const EXPECTED: Readonly<Record<State, readonly number[]>> = {
  wait_cert: [HT.hello_request, HT.certificate],
  wait_ske: [HT.hello_request, HT.server_key_exchange],
  wait_cr_shd: [HT.hello_request, HT.certificate_request, HT.server_hello_done],
  wait_shd: [HT.hello_request, HT.server_hello_done],
  wait_nst: [HT.hello_request, HT.new_session_ticket],
  // RFC 5246 7.1: the ChangeCipherSpec record comes next, not a handshake message.
  wait_ccs: [HT.hello_request],
  wait_finished: [HT.hello_request, HT.finished],
  connected: [HT.hello_request],
};

export interface ClientOffer12 {
  clientHello: ClientHello;
  /** Extension codes sent (with renegotiation_info when the SCSV was sent: RFC 5746 3.4 lets the server answer it). */
  offered: ReadonlySet<number>;
  /** The ClientHello offered TLS 1.3 too (RFC 8446 4.1.3 downgrade check). */
  offeredTls13: boolean;
  /** The session offered for resumption. */
  session?: StoredSession12;
  storeKey: string;
}

export class Client12 implements Machine12 {
  state: State = 'wait_cert';
  private suite!: CipherSuiteParams;
  private keys!: Keys12;
  private sh!: ServerHello;
  private resumed = false;
  private ems = false;
  private etm = false;
  private ticketExpected = false;
  private newTicket: { ticket: Uint8Array; lifetime: number } | undefined;
  private alpn: string | undefined;
  private serverChain: Certificate[] = [];
  private ske: { group?: number; params: Uint8Array; msg: ServerKeyExchange } | undefined;
  private serverScheme: number | undefined;
  private certRequest: Extract<CertificateRequest, { form: 'tls12' }> | undefined;
  private master!: Uint8Array;
  private readProt: RecordProtection | undefined;
  private writeProt: RecordProtection | undefined;
  private secureRenegotiation = false;

  constructor(
    private readonly host: Host12,
    private readonly offer: ClientOffer12,
  ) {}

  private get config() {
    return this.host.config;
  }

  // ---- ServerHello ------------------------------------------------------------------------------------------

  onServerHello(sh: ServerHello, raw: Uint8Array): void {
    const ch = this.offer.clientHello;
    // RFC 5246 E.1: a version the client does not support (below TLS 1.2 here) is a protocol_version alert.
    check(sh.legacy_version === ProtocolVersion.TLS1_2, 'protocol_version', 'RFC 5246 E.1', `ServerHello.server_version is 0x${sh.legacy_version.toString(16)}; this client speaks TLS 1.2 at the lowest`);
    // RFC 8446 4.1.3: a TLS 1.3 client checks the downgrade sentinels (checks13.ts).
    if (this.offer.offeredTls13) checkDowngradeSentinel(sh.random);
    // RFC 5246 7.4.1.3: the session_id_echo is either our session ID (resumption) or a new one; RFC 5246
    // 7.4.1.3: cipher_suite "selected by the server from the list in ClientHello.cipher_suites".
    check(ch.cipher_suites.includes(sh.cipher_suite) && suiteParams(sh.cipher_suite)?.version === 'TLS1.2', 'illegal_parameter', 'RFC 5246 7.4.1.3', `ServerHello chose cipher suite ${nameOf(CipherSuite, sh.cipher_suite)}, not an offered TLS 1.2 suite`);
    // RFC 5246 7.4.1.3: compression_method "selected by the server from the list in ClientHello.compression_methods" (null only).
    check(sh.legacy_compression_method === 0, 'illegal_parameter', 'RFC 5246 7.4.1.3', `ServerHello chose compression method ${sh.legacy_compression_method}, not offered`);
    this.checkServerHelloExtensions(sh.extensions ?? []);

    this.sh = sh;
    this.suite = suiteParams(sh.cipher_suite)!;
    this.keys = new Keys12(this.config.provider, this.suite);
    // RFC 7366 3: "If a server receives an encrypt-then-MAC request extension from a client and then selects a
    // stream or Authenticated Encryption with Associated Data (AEAD) ciphersuite, it MUST NOT send an
    // encrypt-then-MAC response extension back to the client."
    if (this.etm) check(this.suite.cipher.type === 'cbc', 'illegal_parameter', 'RFC 7366 3', 'encrypt_then_mac answered for an AEAD suite');
    // RFC 5246 6.2.3: from here on protected records carry their real content type (no TLS 1.3 inner type).
    this.host.rl.tls13 = false;
    this.host.transcript.start(this.suite.prfHash);
    this.host.transcript.add(raw);

    const session = this.offer.session;
    const echo = sh.legacy_session_id_echo;
    const sameId = echo.length > 0 && equalBytes(echo, ch.legacy_session_id);
    if (sameId && session) {
      // RFC 5246 7.4.1.2 / RFC 5077 3.4: the server echoed our session ID: it resumes the offered session, and
      // "the cipher suite ... MUST be the same" as the session's (7.4.1.3: resumed session state).
      check(sh.cipher_suite === session.cipherSuite, 'illegal_parameter', 'RFC 5246 7.4.1.3', 'resumed session with a different cipher suite');
      // RFC 7627 5.3: "If the original session used the "extended_master_secret" extension but the new
      // ServerHello does not contain the extension, the client MUST abort the handshake." And if the original did
      // not use it but the new ServerHello contains it, "the client MUST abort the handshake".
      check(this.ems === session.extendedMasterSecret, 'handshake_failure', 'RFC 7627 5.3', `resumption with extended_master_secret ${this.ems ? 'added' : 'dropped'}`);
      this.resumed = true;
      this.master = session.masterSecret;
      this.deriveKeys();
      this.state = this.ticketExpected ? 'wait_nst' : 'wait_ccs';
      return;
    }
    // RFC 5246 7.4.1.3: a server that is not resuming sends a new session ID; echoing one we made up (for
    // middlebox compatibility, or for a ticket) claims a session we do not have.
    check(!sameId, 'illegal_parameter', 'RFC 5246 7.4.1.3', 'ServerHello echoes a session ID the client has no session for');
    this.state = 'wait_cert';
  }

  private checkServerHelloExtensions(exts: readonly Extension[]): void {
    const seen = new Set<number>();
    for (const e of exts) {
      const code = extensionCode(e);
      // RFC 5246 7.4.1.4: "There MUST NOT be more than one extension of the same type."
      check(!seen.has(code), 'illegal_parameter', 'RFC 5246 7.4.1.4', `ServerHello has two ${nameOf(ExtensionType, code)} extensions`);
      seen.add(code);
      // RFC 5246 7.4.1.4: "If a client receives an extension type in ServerHello that it did not request in the
      // associated ClientHello, it MUST abort the handshake with an unsupported_extension fatal alert."
      check(this.offer.offered.has(code), 'unsupported_extension', 'RFC 5246 7.4.1.4', `ServerHello has unsolicited extension ${nameOf(ExtensionType, code)}`);
      // An extension we offered that has no meaning in a TLS 1.2 ServerHello (key_share, pre_shared_key, ...).
      check(ALLOWED_IN_SERVER_HELLO12.has(code) || !Object.values(ExtensionType).includes(code as never), 'illegal_parameter', 'RFC 5246 7.4.1.4', `${nameOf(ExtensionType, code)} is not allowed in a TLS 1.2 ServerHello`);
    }
    const reneg = findExt(exts, 'renegotiation_info');
    if (reneg) {
      // RFC 5746 3.4: "The client MUST then verify that the length of the "renegotiated_connection" field is
      // zero, and if it is not, MUST abort the handshake (by sending a fatal handshake_failure alert)."
      check(reneg.renegotiated_connection.length === 0, 'handshake_failure', 'RFC 5746 3.4', 'non-empty renegotiation_info in the initial handshake');
      this.secureRenegotiation = true;
    }
    this.ems = findExt(exts, 'extended_master_secret') !== undefined;
    // RFC 7366 3: checked against the suite in deriveKeys.
    this.etm = findExt(exts, 'encrypt_then_mac') !== undefined;
    this.ticketExpected = findExt(exts, 'session_ticket') !== undefined;
    const pf = findExt(exts, 'ec_point_formats');
    if (pf) {
      // RFC 8422 5.2: the server's list "MUST" contain uncompressed, the only format still defined (5.1.2).
      check(pf.ec_point_format_list.includes(0), 'illegal_parameter', 'RFC 8422 5.2', 'ServerHello ec_point_formats lacks uncompressed');
    }
    const alpn = findExt(exts, 'application_layer_protocol_negotiation');
    if (alpn) {
      // RFC 7301 3.1: exactly one protocol, one the client offered.
      check(alpn.protocol_name_list.length === 1, 'illegal_parameter', 'RFC 7301 3.1', `server ALPN lists ${alpn.protocol_name_list.length} protocols`);
      const name = new TextDecoder().decode(alpn.protocol_name_list[0]);
      check(this.config.alpn.includes(name), 'illegal_parameter', 'RFC 7301 3.1', `server selected ALPN '${name}', not offered`);
      this.alpn = name;
    }
  }

  private deriveKeys(): void {
    const p = this.keys.protections(this.master, this.offer.clientHello.random, this.sh.random, this.etm);
    this.writeProt = p.client;
    this.readProt = p.server;
  }

  // ---- inbound ------------------------------------------------------------------------------------------

  expectedTypes(): readonly number[] {
    return EXPECTED[this.state];
  }

  onHandshake(item: Extract<Inbound, { kind: 'handshake' }>): void {
    const msg = decode12(item, this.suite.keyExchange ?? undefined);
    // RFC 5246 7.4.1.1: HelloRequest "will be ignored by the client if the client is currently negotiating a
    // session"; it is not part of the transcript (7.4.9).
    if (msg.msg_type === 'hello_request') return;
    switch (this.state) {
      case 'wait_cert':
        if (msg.msg_type === 'certificate' && msg.form === 'tls12') return this.onCertificate(msg.certificate_list, item.raw);
        break;
      case 'wait_ske':
        if (msg.msg_type === 'server_key_exchange') return this.onServerKeyExchange(msg, item.raw);
        break;
      case 'wait_cr_shd':
        if (msg.msg_type === 'certificate_request' && msg.form === 'tls12') return this.onCertificateRequest(msg, item.raw);
        if (msg.msg_type === 'server_hello_done') return this.onServerHelloDone(item.raw);
        break;
      case 'wait_shd':
        if (msg.msg_type === 'server_hello_done') return this.onServerHelloDone(item.raw);
        break;
      case 'wait_nst':
        if (msg.msg_type === 'new_session_ticket' && msg.form === 'tls12') {
          this.host.transcript.add(item.raw);
          // RFC 5077 3.3: a zero-length ticket means the server will not issue one after all.
          if (msg.ticket.length > 0) this.newTicket = { ticket: msg.ticket, lifetime: msg.ticket_lifetime_hint };
          this.host.emit({ type: 'new_session_ticket', lifetime: msg.ticket_lifetime_hint, maxEarlyData: 0 });
          this.state = 'wait_ccs';
          return;
        }
        break;
      case 'wait_finished':
        if (msg.msg_type === 'finished') return this.onFinished(msg, item.raw);
        break;
    }
    // RFC 5246 7.4.9: a Finished not preceded by ChangeCipherSpec is an unexpected_message too.
    throw unexpected12(msg.msg_type, this.state);
  }

  onChangeCipherSpec(item: Extract<Inbound, { kind: 'change_cipher_spec' }>): void {
    // RFC 5246 7.1 / 7.4.9: ChangeCipherSpec comes only right before the server's Finished (after NewSessionTicket
    // when one was announced, RFC 5077 3.3); anywhere else it is an unexpected_message.
    acceptChangeCipherSpec(item, this.state, this.host.rl, this.readProt);
    this.state = 'wait_finished';
  }

  onPostHandshake(item: Extract<Inbound, { kind: 'handshake' }>): void {
    const msg = decode12(item, this.suite.keyExchange ?? undefined);
    if (msg.msg_type === 'hello_request') {
      // RFC 5246 7.4.1.1 / 7.2.2 and RFC 5746 4.2: this client does not renegotiate: it answers a HelloRequest
      // with a warning no_renegotiation alert and carries on.
      this.host.sendAlert(AlertDescription.no_renegotiation, AlertLevel.warning);
      this.host.refusedRenegotiation();
      return;
    }
    throw unexpected12(msg.msg_type, 'connected');
  }

  // ---- the server's first flight ---------------------------------------------------------------------------

  private onCertificate(list: Uint8Array[], raw: Uint8Array): void {
    // RFC 5246 7.4.2: the server's certificate_list carries at least the server certificate (every suite
    // here is authenticated); an empty one cannot be used.
    check(list.length > 0, 'bad_certificate', 'RFC 5246 7.4.2', 'empty server Certificate');
    const chain: Certificate[] = [];
    list.forEach((der, i) => {
      let parsed: ReturnType<typeof parseCertificateDer>;
      try {
        parsed = parseCertificateDer(der, i);
      } catch (e) {
        // A malformed SubjectPublicKeyInfo makes node's X509Certificate.publicKey throw inside the parser:
        // still a certificate that cannot be used (RFC 5246 7.2.2 bad_certificate), not an internal error.
        throw new TlsError('bad_certificate', 'RFC 5246 7.4.2', `certificate ${i}: ${e instanceof Error ? e.message : String(e)}`);
      }
      if (!parsed.ok) throw new TlsError(parsed.alert, 'RFC 5246 7.4.2', `certificate ${i}: ${parsed.message}`);
      chain.push(parsed.value);
    });
    if (this.config.verifyPeer) {
      const res = validateChain(chain, {
        trustRoots: this.config.trustRoots,
        now: new Date(this.config.now()),
        hostname: this.config.hostnameCheck ? this.config.serverName : undefined,
        purpose: 'serverAuth',
      });
      // RFC 5246 7.2.2: bad_certificate, unsupported_certificate, certificate_expired, unknown_ca, ...
      if (!res.ok) throw new TlsError(res.alert, 'RFC 5246 7.4.2', `server certificate: ${res.message}`);
    }
    const key = chain[0].publicKey;
    check(key, 'unsupported_certificate', 'RFC 5246 7.4.2', `server key type not supported: ${chain[0].publicKeyError ?? ''}`);
    // RFC 5246 7.4.2: "The certificate type MUST be appropriate for the selected cipher suite's key exchange
    // algorithm" (RSA for RSA and *_RSA, ECDSA/EdDSA for *_ECDSA, RFC 8422 5.3).
    check(keyFitsSuite(key, this.suite), 'unsupported_certificate', 'RFC 5246 7.4.2', `a ${key.kind} certificate does not fit ${this.suite.name}`);
    this.serverChain = chain;
    this.host.transcript.add(raw);
    this.state = this.suite.keyExchange === 'rsa' ? 'wait_cr_shd' : 'wait_ske';
  }

  private onServerKeyExchange(ske: ServerKeyExchange, raw: Uint8Array): void {
    let params: Uint8Array;
    let group: number | undefined;
    if (ske.form === 'ecdhe') {
      // RFC 8422 5.4 / 5.1.1: the curve must be one the client offered in supported_groups.
      const offered = findExt(this.offer.clientHello.extensions, 'supported_groups')?.named_group_list ?? [];
      check(offered.includes(ske.named_curve) && EC_GROUPS.includes(ske.named_curve), 'illegal_parameter', 'RFC 8422 5.4', `ServerKeyExchange curve ${ske.named_curve} was not offered`);
      params = ecdheParams(ske.named_curve, ske.public);
      group = ske.named_curve;
    } else if (ske.form === 'dhe') {
      params = dheParams(ske.dh_p, ske.dh_g, ske.dh_Ys);
      const p = bytesToBigint(ske.dh_p);
      const g = bytesToBigint(ske.dh_g);
      const known = Object.values(FFDHE_GROUPS).find((f) => f.p === p && f.g === g);
      group = known?.codePoint;
      // RFC 7919 3 / 5.1 (and RFC 5246 F.1.1.3): an unknown group must at least be large enough and its
      // generator and the server's public value in range: 1 < g < p-1, 1 < Ys < p-1.
      if (!known) {
        check(ske.dh_p.length >= 256 && (p & 1n) === 1n, 'insufficient_security', 'RFC 7919 3', `DHE group of ${p.toString(2).length} bits: at least 2048 required`);
        check(g > 1n && g < p - 1n, 'illegal_parameter', 'RFC 7919 5.1', 'DHE generator out of range');
      }
      const ys = bytesToBigint(ske.dh_Ys);
      // RFC 7919 5.1: "peers MUST validate each other's public key Y by ensuring that 1 < Y < p-1."
      check(ys > 1n && ys < p - 1n, 'illegal_parameter', 'RFC 7919 5.1', 'DHE server public value out of range');
    } else {
      throw unexpected12('server_key_exchange', this.state);
    }
    const sig = ske.signature;
    // RFC 5246 7.4.3: a signed key exchange carries digitally-signed params (not anonymous).
    check(sig, 'decode_error', 'RFC 5246 7.4.3', 'ServerKeyExchange without a signature');
    const key = this.serverChain[0].publicKey!;
    const scheme = `${schemeName12(sig.algorithm) ?? 'unknown'} (0x${sig.algorithm.toString(16).padStart(4, '0')})`;
    // RFC 9155 (paraphrase: MD5 and SHA-1 are deprecated for TLS 1.2 signatures) and RFC 8446 4.2.3 ("MD5
    // [SLOTH], SHA-224, and DSA MUST NOT be used"): refused whatever the ClientHello said (a shapeExtensions
    // hook may have offered it). The alert is RFC 5246 7.4.3's for a pair the client does not accept:
    // illegal_parameter, "A field in the handshake was out of range or inconsistent with other fields" (7.2.2).
    const refused = refusedScheme12(sig.algorithm, this.config.legacySha1Signatures === true);
    if (refused) throw new TlsError('illegal_parameter', refused.rule, `ServerKeyExchange signed with ${scheme}: ${refused.reason}`);
    // RFC 5246 7.4.3: "If the client has offered the "signature_algorithms" extension, the signature algorithm
    // and hash algorithm MUST be a pair listed in that extension." (what the ClientHello really carried; without
    // the extension, 7.4.1.4.1's default {sha1, rsa} / {sha1, ecdsa}, refused above unless legacySha1Signatures).
    const offered = findExt(this.offer.clientHello.extensions, 'signature_algorithms')?.supported_signature_algorithms ?? DEFAULT_TLS12_SCHEMES;
    check(offered.includes(sig.algorithm), 'illegal_parameter', 'RFC 5246 7.4.1.4.1', `ServerKeyExchange scheme ${scheme} was not offered`);
    // RFC 5246 7.4.3: "the hash and signature algorithms MUST be compatible with the key in the server's
    // end-entity certificate"; for ECDSA any hash with any curve (RFC 8446 4.2.3: "the old semantics did not
    // constrain the signing curve").
    check(keyCanUse(key, sig.algorithm), 'illegal_parameter', 'RFC 5246 7.4.3', `scheme ${scheme} does not fit the server's key`);
    const content = signedParams(this.offer.clientHello.random, this.sh.random, params);
    // RFC 5246 7.2.2: decrypt_error: "A handshake cryptographic operation failed, including being unable to
    // correctly verify a signature".
    check(verify12(this.config.provider, sig.algorithm, key, content, sig.signature), 'decrypt_error', 'RFC 5246 7.4.3', 'ServerKeyExchange signature does not verify');
    this.serverScheme = sig.algorithm;
    this.ske = { group, params, msg: ske };
    this.host.transcript.add(raw);
    this.state = 'wait_cr_shd';
  }

  private onCertificateRequest(cr: Extract<CertificateRequest, { form: 'tls12' }>, raw: Uint8Array): void {
    this.certRequest = cr;
    this.host.transcript.add(raw);
    this.state = 'wait_shd';
  }

  /** RFC 5246 7.4.5 - 7.4.9: ServerHelloDone, then our [Certificate], ClientKeyExchange, [CertificateVerify], CCS, Finished. */
  private onServerHelloDone(raw: Uint8Array): void {
    this.host.transcript.add(raw);
    const t = this.host.transcript;
    let signer: { ck: CertifiedKey; scheme: number } | undefined;
    if (this.certRequest) {
      const cr = this.certRequest;
      for (const ck of this.config.certificates) {
        const type = ck.key.kind === 'rsa' ? ClientCertificateType.rsa_sign : ClientCertificateType.ecdsa_sign;
        if (!cr.certificate_types.includes(type)) continue;
        // RFC 5246 7.4.8: a scheme of the CertificateRequest that fits the key; never MD5 or SHA-1 (RFC 9155,
        // paraphrase: clients must not use them), even when the server lists them.
        const scheme = chooseScheme12(ck.key, cr.supported_signature_algorithms, schemes12(this.config));
        if (scheme !== undefined) {
          signer = { ck, scheme };
          break;
        }
      }
      // RFC 5246 7.4.6: with no suitable certificate the client sends a Certificate message with no certificates.
      this.host.send({ msg_type: 'certificate', form: 'tls12', certificate_list: signer ? signer.ck.chain : [] });
    }
    const pms = this.sendClientKeyExchange();
    // RFC 7627 3: session_hash = Hash(handshake messages up to and including ClientKeyExchange).
    const sessionHash = this.ems ? t.current() : undefined;
    this.master = this.keys.master(pms, this.offer.clientHello.random, this.sh.random, sessionHash);
    if (signer) {
      // RFC 5246 7.4.8: the signature covers handshake_messages, every message from ClientHello up to here.
      const content = concatBytes(...t.messages);
      const signature = sign12(this.config.provider, signer.scheme, signer.ck.key, content);
      this.host.send({ msg_type: 'certificate_verify', algorithm: signer.scheme, signature });
    }
    this.deriveKeys();
    this.host.sendCcs();
    this.host.rl.setWriteProtection(this.writeProt!);
    this.host.send({ msg_type: 'finished', verify_data: this.keys.finished(this.master, 'client', t.current()) });
    this.state = this.ticketExpected ? 'wait_nst' : 'wait_ccs';
  }

  private sendClientKeyExchange(): Uint8Array {
    const provider = this.config.provider;
    const key = this.serverChain[0].publicKey!;
    if (this.suite.keyExchange === 'rsa') {
      check(key.kind === 'rsa', 'unsupported_certificate', 'RFC 5246 7.4.7.1', 'RSA key exchange needs an RSA certificate');
      // RFC 5246 7.4.7.1: PreMasterSecret = client_version (the version of the ClientHello) + 46 random bytes.
      const v = this.offer.clientHello.legacy_version;
      const pms = concatBytes(Uint8Array.of(v >> 8, v & 0xff), this.config.random(46));
      const encrypted = provider.rsaEncrypt(key as PublicKey & { kind: 'rsa' }, pms);
      this.host.send({ msg_type: 'client_key_exchange', form: 'rsa', encrypted_pre_master_secret: encrypted });
      return pms;
    }
    const ske = this.ske!;
    if (this.suite.keyExchange === 'ecdhe') {
      const g = ske.group!;
      const kx = provider.keyExchange(groupName(g)!);
      const kp = kx.generate(this.config.ephemeralKey?.(g));
      let shared: Uint8Array;
      try {
        shared = kx.sharedSecret(kp.privateKey, (ske.msg as Extract<ServerKeyExchange, { form: 'ecdhe' }>).public);
      } catch (e) {
        // RFC 8422 5.11: points MUST be validated; an invalid one (or an all-zero X25519 result) is illegal_parameter.
        if (e instanceof CryptoError) throw new TlsError('illegal_parameter', 'RFC 8422 5.11', `server ECDHE public value: ${e.message}`);
        throw e;
      }
      this.host.send({ msg_type: 'client_key_exchange', form: 'ecdhe', ecdh_Yc: kp.publicKey });
      // RFC 8422 5.10: the premaster secret is the x-coordinate (X25519: the function output), full length.
      return shared;
    }
    const m = ske.msg as Extract<ServerKeyExchange, { form: 'dhe' }>;
    if (ske.group !== undefined) {
      const kx = provider.keyExchange(groupName(ske.group)!);
      const kp = kx.generate(this.config.ephemeralKey?.(ske.group));
      let z: Uint8Array;
      try {
        z = kx.sharedSecret(kp.privateKey, m.dh_Ys);
      } catch (e) {
        if (e instanceof CryptoError) throw new TlsError('illegal_parameter', 'RFC 7919 5.1', `server DHE public value: ${e.message}`);
        throw e;
      }
      this.host.send({ msg_type: 'client_key_exchange', form: 'dhe', dh_Yc: kp.publicKey });
      // RFC 5246 8.1.2: leading zero bytes of Z are stripped.
      return tls12DhePremasterSecret(z);
    }
    // An explicit (non-RFC 7919) group, checked in onServerKeyExchange.
    const p = bytesToBigint(m.dh_p);
    const g = bytesToBigint(m.dh_g);
    let x = 0n;
    while (x <= 1n) x = bytesToBigint(this.config.random(32));
    const yc = modPow(g, x, p);
    const z = modPow(bytesToBigint(m.dh_Ys), x, p);
    this.host.send({ msg_type: 'client_key_exchange', form: 'dhe', dh_Yc: bigintToBytes(yc, m.dh_p.length) });
    return tls12DhePremasterSecret(bigintToBytes(z, m.dh_p.length));
  }

  // ---- Finished ---------------------------------------------------------------------------------------------

  private onFinished(fin: Finished, raw: Uint8Array): void {
    // RFC 5246 7.4.9: verify_data is 12 bytes for every suite here; another length cannot be decoded.
    check(fin.verify_data.length === 12, 'decode_error', 'RFC 5246 7.4.9', `Finished.verify_data of ${fin.verify_data.length} bytes, expected 12`);
    const t = this.host.transcript;
    const expected = this.keys.finished(this.master, 'server', t.current());
    // RFC 5246 7.4.9: "Recipients of Finished messages MUST verify that the contents are correct"; a wrong
    // verify_data is a decrypt_error (RFC 5246 7.2.2).
    check(constantTimeEqual(fin.verify_data, expected), 'decrypt_error', 'RFC 5246 7.4.9', 'server Finished verify_data is wrong');
    t.add(raw);
    if (this.resumed) {
      // RFC 5246 7.3 (abbreviated handshake): the client answers with its ChangeCipherSpec and Finished.
      this.host.sendCcs();
      this.host.rl.setWriteProtection(this.writeProt!);
      this.host.send({ msg_type: 'finished', verify_data: this.keys.finished(this.master, 'client', t.current()) });
    }
    this.state = 'connected';
    this.storeSession();
    this.host.complete({
      version: 'TLSv1.2',
      cipherSuite: this.suite.code,
      group: this.ske?.group,
      signatureScheme: this.serverScheme,
      alpn: this.alpn,
      resumed: this.resumed,
      helloRetry: false,
      earlyDataAccepted: false,
      serverName: this.config.serverName,
      peerCertificates: this.serverChain.map((c) => c.der),
      extendedMasterSecret: this.ems,
      encryptThenMac: this.etm,
      secureRenegotiation: this.secureRenegotiation,
    });
  }

  private storeSession(): void {
    const store = this.config.sessionStore;
    if (!store?.put12) return;
    const old = this.resumed ? this.offer.session : undefined;
    const sessionId = this.sh.legacy_session_id_echo;
    const ticket = this.newTicket?.ticket ?? old?.ticket;
    // A session with neither an ID nor a ticket cannot be resumed.
    if (sessionId.length === 0 && !ticket) return;
    store.put12(this.offer.storeKey, {
      sessionId,
      ticket,
      masterSecret: this.master,
      cipherSuite: this.suite.code,
      extendedMasterSecret: this.ems,
      receivedAt: this.newTicket || !old ? this.config.now() : old.receivedAt,
      lifetimeSeconds: this.newTicket?.lifetime ?? old?.lifetimeSeconds ?? 0,
      alpn: this.alpn,
      serverName: this.config.serverName,
    });
  }
}
