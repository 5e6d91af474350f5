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
import { logKey } from '../keylog.ts';
import { AlertDescription, AlertLevel, ClientCertificateType, HandshakeType } from '../../codec/enums.ts';
import type { CertificateRequest, ClientHello, Finished, ServerHello, ServerKeyExchange } from '../../codec/handshake.ts';
import { concatBytes } from '../../codec/bytes.ts';
import type { PublicKey } from '../../crypto/provider.ts';
import type { Certificate } from '../../crypto/certificate.ts';
import type { CipherSuiteParams } from '../../crypto/suites.ts';
import { tls12DhePremasterSecret } from '../../crypto/noble/asymmetric.ts';
import type { RecordProtection } from '../../crypto/record-protection.ts';
import type { CertifiedKey, StoredSession12 } from '../config.ts';
import { check } from '../errors.ts';
import { groupName } from '../groups.ts';
import type { Inbound } from '../record-layer.ts';
import { agreedPremaster, checkFinished12, checkServerCertificate12, checkServerHello12, checkServerKeyExchange12 } from './checks12.ts';
import {
  Keys12,
  acceptChangeCipherSpec,
  bigintToBytes,
  bytesToBigint,
  chooseScheme12,
  decode12,
  modPow,
  schemes12,
  sign12,
  unexpected12,
  type Host12,
  type Machine12,
} from './common12.ts';

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
    // RFC 5246 7.4.1.3, 7.4.1.4, E.1 and the extensions' RFCs (checks12.ts).
    const r = checkServerHello12(sh, {
      clientHello: this.offer.clientHello,
      offered: this.offer.offered,
      offeredTls13: this.offer.offeredTls13,
      alpnOffered: this.config.alpn,
      session: this.offer.session,
    });
    this.sh = sh;
    this.suite = r.suite;
    this.ems = r.ems;
    this.etm = r.etm;
    this.ticketExpected = r.ticketExpected;
    this.secureRenegotiation = r.secureRenegotiation;
    this.alpn = r.alpn;
    this.keys = new Keys12(this.config.provider, this.suite);
    // RFC 5246 6.2.3: from here on protected records carry their real content type (no TLS 1.3 inner type).
    this.host.rl.tls13 = false;
    this.host.transcript.start(this.suite.prfHash);
    this.host.transcript.add(raw);
    if (r.resumed) {
      this.resumed = true;
      this.master = this.offer.session!.masterSecret;
      this.deriveKeys();
      this.state = this.ticketExpected ? 'wait_nst' : 'wait_ccs';
      return;
    }
    this.state = 'wait_cert';
  }

  private deriveKeys(): void {
    const p = this.keys.protections(this.master, this.offer.clientHello.random, this.sh.random, this.etm);
    logKey(this.config.keyLog, 'CLIENT_RANDOM', this.offer.clientHello.random, this.master);
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
    // RFC 5246 7.4.2 (checks12.ts): non-empty, parses, validates when verifyPeer, key fits the suite.
    const c = this.config;
    const chain = c.verifyPeer ? { trustRoots: c.trustRoots, now: new Date(c.now()), hostname: c.hostnameCheck ? c.serverName : undefined } : undefined;
    // keyuse: the ClientHello sent, for the leaf's curve (RFC 5246 7.4.2, RFC 8422 5.3).
    this.serverChain = checkServerCertificate12(list, { suite: this.suite, chain, clientHello: this.offer.clientHello });
    this.host.transcript.add(raw);
    this.state = this.suite.keyExchange === 'rsa' ? 'wait_cr_shd' : 'wait_ske';
  }

  private onServerKeyExchange(ske: ServerKeyExchange, raw: Uint8Array): void {
    if (ske.form === 'opaque') throw unexpected12('server_key_exchange', this.state);
    // RFC 5246 7.4.3, RFC 8422 5.4, RFC 7919 (checks12.ts): group, params, scheme and signature.
    const r = checkServerKeyExchange12(ske, {
      clientHello: this.offer.clientHello,
      serverRandom: this.sh.random,
      serverKey: this.serverChain[0].publicKey!,
      provider: this.config.provider,
      legacySha1: this.config.legacySha1Signatures === true,
    });
    this.serverScheme = r.scheme;
    this.ske = { group: r.group, params: r.params, msg: ske };
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
      // RFC 8422 5.11 / 5.10 (checks12.ts): the server's point validated; the premaster is the x-coordinate.
      const shared = agreedPremaster(provider, kp, (ske.msg as Extract<ServerKeyExchange, { form: 'ecdhe' }>).public, 'ecdhe', 'server');
      this.host.send({ msg_type: 'client_key_exchange', form: 'ecdhe', ecdh_Yc: kp.publicKey });
      return shared;
    }
    const m = ske.msg as Extract<ServerKeyExchange, { form: 'dhe' }>;
    if (ske.group !== undefined) {
      const kx = provider.keyExchange(groupName(ske.group)!);
      const kp = kx.generate(this.config.ephemeralKey?.(ske.group));
      // RFC 7919 5.1 / RFC 5246 8.1.2 (checks12.ts): 1 < Ys < p-1; leading zero bytes of Z stripped.
      const pms = agreedPremaster(provider, kp, m.dh_Ys, 'dhe', 'server');
      this.host.send({ msg_type: 'client_key_exchange', form: 'dhe', dh_Yc: kp.publicKey });
      return pms;
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
    const t = this.host.transcript;
    // RFC 5246 7.4.9 (checks12.ts).
    checkFinished12(fin, this.keys.finished(this.master, 'server', t.current()), 'server');
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
