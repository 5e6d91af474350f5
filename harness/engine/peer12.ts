/**
 * The harness's own TLS 1.2 endpoint in a conversation with a target (RFC 5246): a scripted peer, permissive
 * in what it sends and as strict as the reference in what it accepts (peer.ts says what a scripted peer is).
 *
 * Built on the reference's TLS 1.2 code: the same ClientHello builder (builders12.ts), key schedule (Keys12:
 * master secret, RFC 7627 extended master secret, key block, Finished), signatures, tickets, and the same
 * checks (checks12.ts) the reference client and server run, against what the harness really sent (its
 * ClientHello, ServerHello or CertificateRequest after the scenario's `set` and `mutate`).
 *
 * The order of the target's messages is checked too (RFC 5246 7.3 / 7.4: "sending handshake messages in an
 * unexpected order results in a fatal error"), and its ChangeCipherSpec switches the read keys only where
 * RFC 5246 7.1 allows one. The harness's own ChangeCipherSpec is a step of the scenario (`change_cipher_spec`):
 * it switches the write keys to whatever the key exchange so far gave (none yet: the records stay plaintext),
 * so a scenario can send it early, twice, or not at all.
 *
 * Renegotiation (RFC 5746): a ClientHello sent (client) or received (server) after a completed handshake starts
 * a new handshake under the current keys, with renegotiation_info carrying the previous verify_data.
 */
import { logKey } from '../../implementations/reference/connection/keylog.ts';
import { CipherSuite, ClientCertificateType, ExtensionType, HandshakeType, NamedGroup, ProtocolVersion } from '../../implementations/reference/codec/enums.ts';
import { extensionCode, type Extension } from '../../implementations/reference/codec/extensions.ts';
import type { ClientHello, HandshakeContext, HandshakeMessage, ServerKeyExchange } from '../../implementations/reference/codec/handshake.ts';
import { concatBytes, equalBytes } from '../../implementations/reference/codec/bytes.ts';
import { CryptoError, type KeyPair, type PrivateKey, type PublicKey } from '../../implementations/reference/crypto/provider.ts';
import { suiteParams, type CipherSuiteParams } from '../../implementations/reference/crypto/suites.ts';
import { FFDHE_GROUPS } from '../../implementations/reference/crypto/ffdhe.ts';
import type { RecordProtection } from '../../implementations/reference/crypto/record-protection.ts';
import type { CertifiedKey, EndpointConfig, ServerSession12, StoredSession12 } from '../../implementations/reference/connection/config.ts';
import { TlsError } from '../../implementations/reference/connection/errors.ts';
import { groupName } from '../../implementations/reference/connection/groups.ts';
import { findExt } from '../../implementations/reference/connection/tls13.ts';
import { openTicket12, sealTicket12 } from '../../implementations/reference/connection/tls12/tickets12.ts';
import { buildClientHello12 } from '../../implementations/reference/connection/tls12/builders12.ts';
import {
  EC_GROUPS,
  FFDHE_GROUP_CODES,
  Keys12,
  bigintToBytes,
  bytesToBigint,
  modPow,
  chooseScheme12,
  dheParams,
  ecdheParams,
  keyFitsSuite,
  schemes12,
  sign12,
  signedParams,
  tls12Offer,
} from '../../implementations/reference/connection/tls12/common12.ts';
import {
  agreedPremaster,
  checkCertificateVerify12,
  checkClientCertificate12,
  checkClientHello12,
  checkFinished12,
  checkResumptionEms12,
  checkServerCertificate12,
  checkServerHello12,
  checkServerKeyExchange12,
  rsaPremasterSecret,
  type PreviousHandshake12,
} from '../../implementations/reference/connection/tls12/checks12.ts';
import { ScenarioRuntimeError } from './fields.ts';
import { ScriptedPeer, violationOf, type BuildOptions, type Violation } from './peer.ts';
import { encryptedPremaster, type PremasterSpec } from './premaster.ts';

/** RFC 5246 7.4: "sending handshake messages in an unexpected order results in a fatal error" (unexpected_message, 7.2.2). */
function outOfOrder(what: string, state: string): Violation {
  return { rule: 'RFC 5246 7.4', message: `${what} from the target where it may not send one (state ${state})`, alert: 'unexpected_message' };
}

/** What carries over from one connection of a case to the next (`reconnect: { resume: true }`). */
export interface Resumption12 {
  /** Sessions the target server gave the harness's client. */
  sessions: StoredSession12[];
  /** The harness server's session cache (by session ID, hex) and ticket key stay with the case. */
  cache: Map<string, ServerSession12>;
}

abstract class Peer12 extends ScriptedPeer {
  readonly version = 'tls12' as const;
  suite: CipherSuiteParams | undefined;
  protected keys: Keys12 | undefined;
  protected master: Uint8Array | undefined;
  protected clientRandom: Uint8Array | undefined;
  protected serverRandom: Uint8Array | undefined;
  protected ems = false;
  protected etm = false;
  protected resumed = false;
  /** The key block of the current handshake, once there is a master secret; installed by each side's ChangeCipherSpec. */
  protected pending: { client: RecordProtection; server: RecordProtection } | undefined;
  /** RFC 5746 3.1: the verify_data of the last completed handshake (for renegotiation_info). */
  clientVerifyData: Uint8Array | undefined;
  serverVerifyData: Uint8Array | undefined;
  /** What the target may send next (RFC 5246 7.3). */
  protected tstate = 'start';
  /** Number of the current handshake on this connection (1 + renegotiations), for the epochs' names. */
  private handshakes = 1;

  /** The explicit IV and last ciphertext block of the target's previous CBC record (RFC 5246 6.2.3.2). */
  private lastCbc: { iv: string; lastBlock: string } | undefined;

  constructor(config: EndpointConfig) {
    super(config);
    // RFC 5246 6.2.3: protected records carry their real content type.
    this.rl.tls13 = false;
    this.rl.onProtectedRecord = (fragment, kind) => this.checkCbcIv(fragment, kind);
  }

  /**
   * RFC 5246 6.2.3.2: "The Initialization Vector (IV) SHOULD be chosen at random, and MUST be unpredictable." What
   * a receiver can see of it: an IV repeated from the previous record, or equal to that record's last ciphertext
   * block (the chained IV of TLS 1.0, which RFC 4346 replaced for being predictable) is predictable. (Any other
   * IV may still be predictable; this is the part the wire shows.)
   */
  private checkCbcIv(fragment: Uint8Array, kind: string): void {
    const block = this.suite?.cipher.type === 'cbc' ? 16 : 0;
    if (kind !== 'tls12-cbc' || block === 0 || fragment.length < 2 * block) return;
    const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
    const iv = hex(fragment.subarray(0, block));
    const prev = this.lastCbc;
    const macLength = this.etm ? (this.suite?.mac?.length ?? 0) : 0;
    const cipherEnd = fragment.length - macLength;
    this.lastCbc = { iv, lastBlock: hex(fragment.subarray(cipherEnd - block, cipherEnd)) };
    if (!prev) return;
    if (iv === prev.iv) throw new TlsError('illegal_parameter', 'RFC 5246 6.2.3.2', `a CBC record with the same explicit IV as the previous one (${iv}): the IV MUST be unpredictable`);
    if (iv === prev.lastBlock) throw new TlsError('illegal_parameter', 'RFC 5246 6.2.3.2', `a CBC record whose explicit IV is the previous record's last ciphertext block (${iv}): the IV MUST be unpredictable`);
  }

  protected decodeContext(): HandshakeContext {
    return { version: 'tls12', keyExchange: this.suite?.keyExchange ?? undefined };
  }

  protected override finishedLength(): number {
    return 12;
  }

  /** RFC 5246 7.4.1.1: HelloRequest is not part of handshake_messages. */
  protected override transcriptUndecodable(msgType: number): boolean {
    return msgType !== HandshakeType.hello_request;
  }

  override commit(msg: HandshakeMessage | undefined, bytes: Uint8Array): void {
    // RFC 5246 7.4.1.1: "This message MUST NOT be included in the message hashes that are maintained throughout
    // the handshake and used in the Finished messages and the certificate verify message."
    if (msg?.msg_type === 'hello_request') return;
    super.commit(msg, bytes);
  }

  protected epochName(): string {
    return this.handshakes > 1 ? `encrypted#${this.handshakes}` : 'encrypted';
  }

  /** Whether the handshake that completed had secure renegotiation (RFC 5746), set from the hellos. */
  protected secure = false;

  /** RFC 5746 3.5 / 3.7: what a renegotiation is checked against: the last handshake's verify_data, when it was secure. */
  protected previousHandshake(): PreviousHandshake12 {
    return this.secure && this.clientVerifyData && this.serverVerifyData
      ? { secureRenegotiation: true, clientVerifyData: this.clientVerifyData, serverVerifyData: this.serverVerifyData }
      : { secureRenegotiation: false };
  }

  /** A new handshake on this connection (renegotiation): keys stay until the ChangeCipherSpecs of the new one. */
  protected startRenegotiation(): void {
    this.handshakes++;
    this.transcript.reset();
    this.suite = undefined;
    this.keys = undefined;
    this.master = undefined;
    this.pending = undefined;
    this.resumed = false;
    this.peerChain = [];
  }

  protected useSuite(code: number): boolean {
    const s = suiteParams(code);
    if (!s || s.version !== 'TLS1.2') return false;
    this.suite = s;
    this.keys = new Keys12(this.config.provider, s);
    this.transcript.start(s.prfHash);
    return true;
  }

  /** RFC 5246 8.1 / RFC 7627 4 (session_hash: the transcript so far, ClientKeyExchange included), then the key block. */
  protected deriveFromPremaster(pms: Uint8Array): void {
    if (!this.keys || !this.clientRandom || !this.serverRandom) return;
    this.master = this.keys.master(pms, this.clientRandom, this.serverRandom, this.ems ? this.transcript.current() : undefined);
    this.deriveKeyBlock();
  }

  protected deriveKeyBlock(): void {
    if (!this.keys || !this.master || !this.clientRandom || !this.serverRandom) return;
    this.pending = this.keys.protections(this.master, this.clientRandom, this.serverRandom, this.etm);
    logKey(this.keyLog, 'CLIENT_RANDOM', this.clientRandom, this.master);
  }

  protected finishedFor(sender: 'client' | 'server'): Uint8Array | undefined {
    if (!this.keys || !this.master) return undefined;
    return this.keys.finished(this.master, sender, this.transcript.current());
  }

  /** RFC 5246 7.1: our ChangeCipherSpec: the write side moves to the pending keys (when there are any). */
  override sentChangeCipherSpec(): void {
    if (!this.pending) return;
    this.rl.setWriteProtection(this.role === 'client' ? this.pending.client : this.pending.server);
    this.writeEpoch = this.epochName();
  }

  /** RFC 5246 7.1: the target's ChangeCipherSpec, only right before its Finished; the read side moves to the pending keys. */
  protected override onChangeCipherSpec(data: Uint8Array): Violation | undefined {
    // RFC 5246 6.2.1: "Implementations MUST NOT send zero-length fragments of Handshake, Alert, or ChangeCipherSpec
    // content types." (The record layer refuses the first two; RFC 5246 7.1: the message is the single byte 1.)
    if (data.length === 0) return { rule: 'RFC 5246 6.2.1', message: 'a zero-length ChangeCipherSpec fragment from the target', alert: 'unexpected_message' };
    if (data.length !== 1 || data[0] !== 1) return { rule: 'RFC 5246 7.1', message: `ChangeCipherSpec of ${data.length} byte(s), not the single byte 1`, alert: 'decode_error' };
    if (this.tstate !== 'wait_ccs' || !this.pending) {
      return { rule: 'RFC 5246 7.1', message: `ChangeCipherSpec from the target where it may not send one (state ${this.tstate})`, alert: 'unexpected_message' };
    }
    this.tstate = 'wait_finished';
    this.lastCbc = undefined;
    // A handshake message left unfinished before the key change (record-layer.ts) is the target's fault.
    const v = violationOf(() => this.rl.setReadProtection(this.role === 'client' ? this.pending!.server : this.pending!.client));
    this.readEpoch = this.epochName();
    return v;
  }

  /** A generic instance in the TLS 1.2 forms. */
  protected override generic(name: string): HandshakeMessage {
    const z = (n: number) => new Uint8Array(n);
    switch (name) {
      case 'Certificate':
        return { msg_type: 'certificate', form: 'tls12', certificate_list: [] };
      case 'CertificateRequest':
        return { msg_type: 'certificate_request', form: 'tls12', certificate_types: [ClientCertificateType.rsa_sign, ClientCertificateType.ecdsa_sign], supported_signature_algorithms: schemes12(this.config), certificate_authorities: [] };
      case 'NewSessionTicket':
        return { msg_type: 'new_session_ticket', form: 'tls12', ticket_lifetime_hint: 0, ticket: z(0) };
      case 'ClientKeyExchange': {
        const kx = this.suite?.keyExchange;
        if (kx === 'ecdhe') return { msg_type: 'client_key_exchange', form: 'ecdhe', ecdh_Yc: z(1) };
        if (kx === 'dhe') return { msg_type: 'client_key_exchange', form: 'dhe', dh_Yc: z(1) };
        return { msg_type: 'client_key_exchange', form: 'rsa', encrypted_pre_master_secret: z(0) };
      }
      default:
        return super.generic(name);
    }
  }

  /** The certificate of ours that fits the suite (RFC 5246 7.4.2), else the first. */
  protected certificateFor(suite: CipherSuiteParams | undefined): CertifiedKey | undefined {
    return this.config.certificates.find((ck) => !suite || keyFitsSuite(ck.key, suite)) ?? this.config.certificates[0];
  }
}

// ---------------------------------------------------------------------------------------------------------

/** The harness as a TLS 1.2 client, talking to a target server. */
export class ClientPeer12 extends Peer12 {
  readonly role = 'client' as const;
  /** The ClientHello the harness really sent (after the scenario's changes). */
  private clientHello: ClientHello | undefined;
  private offered = new Set<number>();
  private sessionId: Uint8Array;
  private ticketExpected = false;
  private newTicket: { ticket: Uint8Array; lifetime: number } | undefined;
  private ske: { group?: number; msg: ServerKeyExchange } | undefined;
  private certRequest: Extract<HandshakeMessage, { msg_type: 'certificate_request'; form: 'tls12' }> | undefined;
  /** The pre-master secret of the ClientKeyExchange being built (the one a conforming server will use, when known). */
  private pms: Uint8Array | undefined;
  /** The session ID of the target's ServerHello. */
  private serverSessionId: Uint8Array = new Uint8Array(0);
  private completed = 0;
  serverFinished = false;
  /** Sessions the target gave (for `reconnect: { resume: true }`). */
  readonly sessions: StoredSession12[] = [];

  constructor(
    config: EndpointConfig,
    /** The session to offer (resumption by session ID or ticket). */
    private readonly session?: StoredSession12,
  ) {
    super(config);
    // RFC 5246 7.4.1.2 / 7.4.1.2 (RFC 5077 3.4): resumption offers the session's ID; with a ticket a made-up one.
    this.sessionId = session ? (session.sessionId.length > 0 ? session.sessionId : config.random(32)) : new Uint8Array(0);
    // RFC 5246 E.1: the initial ClientHello may go in a record of version {03,01}.
    this.rl.writeVersion = ProtocolVersion.TLS1_0;
    this.tstate = 'wait_server_hello';
  }

  get handshakeComplete(): boolean {
    return this.serverFinished;
  }

  build(name: string, opts: BuildOptions = {}): HandshakeMessage {
    const c = this.config;
    switch (name) {
      case 'ClientHello': {
        const renegotiating = this.serverFinished;
        const offer = tls12Offer(c, renegotiating ? undefined : this.session);
        const ch = buildClientHello12(c, offer, { random: c.random(32), sessionId: renegotiating ? new Uint8Array(0) : this.sessionId });
        if (renegotiating) {
          // RFC 5746 3.5: "The client MUST include the "renegotiation_info" extension in the ClientHello, containing
          // the saved client_verify_data. The SCSV MUST NOT be included."
          ch.cipher_suites = ch.cipher_suites.filter((s) => s !== CipherSuite.TLS_EMPTY_RENEGOTIATION_INFO_SCSV);
          const exts: Extension[] = (ch.extensions ?? []).filter((e) => e.type !== 'renegotiation_info');
          exts.push({ type: 'renegotiation_info', renegotiated_connection: this.clientVerifyData ?? new Uint8Array(0) });
          ch.extensions = exts;
        }
        return ch;
      }
      case 'ClientKeyExchange':
        return this.buildClientKeyExchange(opts.premaster);
      case 'Certificate': {
        const ck = this.clientCertificate();
        return { msg_type: 'certificate', form: 'tls12', certificate_list: ck ? [...ck.ck.chain] : [] };
      }
      case 'CertificateVerify': {
        const ck = this.clientCertificate() ?? (c.certificates[0] && { ck: c.certificates[0], scheme: schemes12(c)[0] });
        if (!ck || ck.scheme === undefined) return this.generic(name);
        // RFC 5246 7.4.8: signed over handshake_messages, every message up to (not including) this one.
        const signature = sign12(c.provider, ck.scheme, ck.ck.key, concatBytes(...this.transcript.messages));
        return { msg_type: 'certificate_verify', algorithm: ck.scheme, signature };
      }
      case 'Finished': {
        const verify = this.finishedFor('client');
        return verify ? { msg_type: 'finished', verify_data: verify } : this.generic(name);
      }
      default:
        return this.generic(name);
    }
  }

  /** RFC 5246 7.4.6 / 7.4.8: our certificate of a type the CertificateRequest names, with a scheme it lists. */
  private clientCertificate(): { ck: CertifiedKey; scheme: number | undefined } | undefined {
    const cr = this.certRequest;
    for (const ck of this.config.certificates) {
      if (!cr) return { ck, scheme: schemes12(this.config)[0] };
      const type = ck.key.kind === 'rsa' ? ClientCertificateType.rsa_sign : ClientCertificateType.ecdsa_sign;
      if (!cr.certificate_types.includes(type)) continue;
      const scheme = chooseScheme12(ck.key, cr.supported_signature_algorithms, schemes12(this.config));
      if (scheme !== undefined) return { ck, scheme };
    }
    return undefined;
  }

  private buildClientKeyExchange(spec: PremasterSpec | undefined): HandshakeMessage {
    const prov = this.config.provider;
    const kx = this.suite?.keyExchange;
    this.pms = undefined;
    if (spec && kx !== 'rsa') throw new ScenarioRuntimeError(`premaster applies to the RSA key exchange; the negotiated suite is ${this.suite?.name ?? 'unknown'}`);
    if (kx === 'rsa' || (kx === undefined && spec)) {
      const key = this.peerChain[0]?.publicKey;
      if (!key || key.kind !== 'rsa') {
        if (spec) throw new ScenarioRuntimeError('premaster needs the target\'s RSA certificate (none received)');
        return this.generic('ClientKeyExchange');
      }
      const version = this.clientHello?.legacy_version ?? ProtocolVersion.TLS1_2;
      if (spec) {
        const r = encryptedPremaster(key as PublicKey & { kind: 'rsa' }, spec, { clientVersion: version, random: (n: number) => this.config.random(n) });
        // RFC 5246 7.4.7.1: for a block the server must refuse it goes on with a random secret the harness cannot
        // know; its own keys then come from a random one too (the server's Finished cannot match either way).
        this.pms = r.premaster ?? this.config.random(48);
        return { msg_type: 'client_key_exchange', form: 'rsa', encrypted_pre_master_secret: r.ciphertext };
      }
      // RFC 5246 7.4.7.1: client_version (of the ClientHello) + 46 random bytes.
      this.pms = concatBytes(Uint8Array.of(version >> 8, version & 0xff), this.config.random(46));
      return { msg_type: 'client_key_exchange', form: 'rsa', encrypted_pre_master_secret: prov.rsaEncrypt(key as PublicKey & { kind: 'rsa' }, this.pms) };
    }
    const ske = this.ske;
    if (!ske) return this.generic('ClientKeyExchange');
    if (ske.msg.form === 'ecdhe') {
      const g = ske.group ?? ske.msg.named_curve;
      const name = groupName(g);
      if (!name) return this.generic('ClientKeyExchange');
      const kp = prov.keyExchange(name).generate(this.config.ephemeralKey?.(g));
      this.pms = this.agree(kp, ske.msg.public, 'ecdhe');
      return { msg_type: 'client_key_exchange', form: 'ecdhe', ecdh_Yc: kp.publicKey };
    }
    if (ske.msg.form === 'dhe') {
      const m = ske.msg;
      if (ske.group !== undefined && groupName(ske.group)) {
        const kp = prov.keyExchange(groupName(ske.group)!).generate(this.config.ephemeralKey?.(ske.group));
        this.pms = this.agree(kp, m.dh_Ys, 'dhe');
        return { msg_type: 'client_key_exchange', form: 'dhe', dh_Yc: kp.publicKey };
      }
      // An explicit (non-RFC 7919) group: plain modular arithmetic on the server's p and g.
      const p = bytesToBigint(m.dh_p);
      const gen = bytesToBigint(m.dh_g);
      let x = 0n;
      while (x <= 1n) x = bytesToBigint(this.config.random(32));
      const yc = modPow(gen, x, p);
      const z = bigintToBytes(modPow(bytesToBigint(m.dh_Ys), x, p), m.dh_p.length);
      // RFC 5246 8.1.2: leading zero bytes of Z are stripped.
      let i = 0;
      while (i < z.length - 1 && z[i] === 0) i++;
      this.pms = z.subarray(i);
      return { msg_type: 'client_key_exchange', form: 'dhe', dh_Yc: bigintToBytes(yc, m.dh_p.length) };
    }
    return this.generic('ClientKeyExchange');
  }

  /** The shared secret with the server's public value; an invalid one was already reported on its ServerKeyExchange. */
  private agree(kp: KeyPair, peer: Uint8Array, form: 'ecdhe' | 'dhe'): Uint8Array | undefined {
    try {
      return agreedPremaster(this.config.provider, kp, peer, form, 'client');
    } catch (e) {
      if (e instanceof TlsError || e instanceof CryptoError) return undefined;
      throw e;
    }
  }

  protected afterSend(msg: HandshakeMessage | undefined, _bytes: Uint8Array): void {
    if (!msg) return;
    switch (msg.msg_type) {
      case 'client_hello':
        if (this.serverFinished) {
          // RFC 5246 7.4.1.2 / RFC 5746: a ClientHello on an established connection starts a renegotiation; the
          // transcript so far (this ClientHello) is the new handshake's.
          const raw = this.transcript.messages.at(-1)!;
          this.startRenegotiation();
          this.transcript.add(raw);
          this.serverFinished = false;
        }
        this.clientHello = msg;
        this.clientRandom = msg.random;
        this.offered = new Set((msg.extensions ?? []).map(extensionCode));
        // RFC 5746 3.4: a server answers the SCSV with renegotiation_info.
        if (msg.cipher_suites.includes(CipherSuite.TLS_EMPTY_RENEGOTIATION_INFO_SCSV)) this.offered.add(ExtensionType.renegotiation_info);
        this.rl.flush();
        this.rl.writeVersion = ProtocolVersion.TLS1_2;
        this.tstate = 'wait_server_hello';
        return;
      case 'client_key_exchange':
        if (this.pms) this.deriveFromPremaster(this.pms);
        return;
      case 'finished':
        this.clientVerifyData = msg.verify_data;
        // Full handshake: the server's [NewSessionTicket], ChangeCipherSpec and Finished follow ours.
        if (this.tstate === 'flight') this.tstate = this.ticketExpected ? 'wait_new_session_ticket' : 'wait_ccs';
        return;
    }
  }

  protected afterReceive(msg: HandshakeMessage, raw: Uint8Array): Violation | undefined {
    const ch = this.clientHello;
    const state = this.tstate;
    // RFC 5246 7.4.1.1: HelloRequest "can be sent at any time"; not part of the transcript; ignored while negotiating.
    if (msg.msg_type === 'hello_request') return undefined;
    const expect = (ok: boolean) => (ok ? undefined : outOfOrder(msg.msg_type, state));
    switch (msg.msg_type) {
      case 'server_hello': {
        const order = expect(state === 'wait_server_hello');
        let v: Violation | undefined;
        let info: ReturnType<typeof checkServerHello12> | undefined;
        if (ch) {
          v = violationOf(() => {
            info = checkServerHello12(msg, {
              clientHello: ch,
              offered: this.offered,
              offeredTls13: (findExt(ch.extensions, 'supported_versions')?.versions ?? []).includes(ProtocolVersion.TLS1_3),
              alpnOffered: this.config.alpn,
              session: this.session && this.completed === 0 ? { cipherSuite: this.session.cipherSuite, extendedMasterSecret: this.session.extendedMasterSecret } : undefined,
              renegotiation: this.completed > 0 ? this.previousHandshake() : undefined,
            });
          });
        }
        const exts = msg.extensions ?? [];
        this.ems = info?.ems ?? findExt(exts, 'extended_master_secret') !== undefined;
        this.secure = info?.secureRenegotiation ?? findExt(exts, 'renegotiation_info') !== undefined;
        this.ticketExpected = info?.ticketExpected ?? findExt(exts, 'session_ticket') !== undefined;
        this.serverRandom = msg.random;
        this.serverSessionId = msg.legacy_session_id_echo;
        if (!this.useSuite(msg.cipher_suite)) {
          this.transcript.add(raw);
          return v ?? order ?? { rule: 'RFC 5246 7.4.1.3', message: `ServerHello with cipher suite 0x${msg.cipher_suite.toString(16)}, not a TLS 1.2 suite`, alert: 'illegal_parameter' };
        }
        this.etm = (info?.etm ?? findExt(exts, 'encrypt_then_mac') !== undefined) && this.suite!.cipher.type === 'cbc';
        this.transcript.add(raw);
        const echo = msg.legacy_session_id_echo;
        if (this.session && echo.length > 0 && ch && equalBytes(echo, ch.legacy_session_id) && (info?.resumed ?? true)) {
          // RFC 5246 7.3, abbreviated handshake: the session's master secret; the server's [NewSessionTicket],
          // ChangeCipherSpec and Finished come next.
          this.resumed = true;
          this.master = this.session.masterSecret;
          this.deriveKeyBlock();
          this.tstate = this.ticketExpected ? 'wait_new_session_ticket' : 'wait_ccs';
        } else this.tstate = 'wait_certificate';
        return order ?? v;
      }
      case 'certificate': {
        this.transcript.add(raw);
        if (msg.form !== 'tls12') return undefined;
        const order = expect(state === 'wait_certificate');
        this.peerChain = this.parseLeniently(msg.certificate_list);
        this.tstate = this.suite?.keyExchange === 'rsa' ? 'wait_cr_or_done' : 'wait_server_key_exchange';
        if (!this.suite) return order;
        const v = violationOf(() => {
          this.peerChain = checkServerCertificate12(msg.certificate_list, {
            suite: this.suite!,
            chain: this.config.verifyPeer ? { trustRoots: this.config.trustRoots, now: new Date(this.config.now()), hostname: this.config.hostnameCheck ? this.config.serverName : undefined } : undefined,
            // keyuse: the ClientHello sent, for the leaf's curve (RFC 5246 7.4.2, RFC 8422 5.3).
            clientHello: this.clientHello,
          });
        });
        return order ?? v;
      }
      case 'server_key_exchange': {
        this.transcript.add(raw);
        const order = expect(state === 'wait_server_key_exchange');
        this.tstate = 'wait_cr_or_done';
        const key = this.peerChain[0]?.publicKey;
        if (msg.form === 'ecdhe') this.ske = { group: msg.named_curve, msg };
        else if (msg.form === 'dhe') this.ske = { group: knownFfdhe(msg.dh_p, msg.dh_g), msg };
        if (!ch || !this.serverRandom || msg.form === 'opaque') return order;
        if (!key) return order ?? { rule: 'RFC 5246 7.4.3', message: 'ServerKeyExchange without a usable server certificate before it', alert: 'unexpected_message' };
        const v = violationOf(() => {
          const r = checkServerKeyExchange12(msg, { clientHello: ch, serverRandom: this.serverRandom!, serverKey: key, provider: this.config.provider, legacySha1: this.config.legacySha1Signatures === true });
          if (this.ske) this.ske.group = r.group;
        });
        return order ?? v;
      }
      case 'certificate_request':
        this.transcript.add(raw);
        if (msg.form === 'tls12') this.certRequest = msg;
        this.tstate = 'wait_server_hello_done';
        return expect(state === 'wait_cr_or_done');
      case 'server_hello_done': {
        this.transcript.add(raw);
        this.tstate = 'flight';
        return expect(state === 'wait_cr_or_done' || state === 'wait_server_hello_done');
      }
      case 'new_session_ticket': {
        this.transcript.add(raw);
        // RFC 5077 3.3: a zero-length ticket means the server will not issue one after all.
        if (msg.form === 'tls12' && msg.ticket.length > 0) this.newTicket = { ticket: msg.ticket, lifetime: msg.ticket_lifetime_hint };
        this.tstate = 'wait_ccs';
        // RFC 5077 3.3: "The server MUST NOT send this message if it does not receive a SessionTicket extension";
        // it comes only where the ServerHello announced it, before the server's ChangeCipherSpec.
        return expect(state === 'wait_new_session_ticket');
      }
      case 'finished': {
        const order = expect(state === 'wait_finished');
        const expected = this.finishedFor('server');
        const v = expected ? violationOf(() => checkFinished12(msg, expected, 'server')) : { rule: 'RFC 5246 7.4.9', message: 'server Finished before keys were agreed', alert: 'unexpected_message' as const };
        this.transcript.add(raw);
        this.serverVerifyData = msg.verify_data;
        this.serverFinished = true;
        this.tstate = 'done';
        this.keepSession();
        return order ?? v;
      }
      default:
        this.transcript.add(raw);
        return outOfOrder(msg.msg_type, state);
    }
  }

  /** The session the target gave, for a later `reconnect: { resume: true }`. */
  private keepSession(): void {
    this.completed++;
    if (!this.suite || !this.master) return;
    const ticket = this.newTicket?.ticket ?? (this.resumed ? this.session?.ticket : undefined);
    this.sessions.unshift({
      sessionId: this.serverSessionId,
      ticket,
      masterSecret: this.master,
      cipherSuite: this.suite.code,
      extendedMasterSecret: this.ems,
      receivedAt: this.config.now(),
      lifetimeSeconds: this.newTicket?.lifetime ?? 0,
      serverName: this.config.serverName,
    });
  }
}

// ---------------------------------------------------------------------------------------------------------

/** The harness as a TLS 1.2 server, talking to a target client. */
export class ServerPeer12 extends Peer12 {
  readonly role = 'server' as const;
  clientHello: ClientHello | undefined;
  private ephemeral: KeyPair | undefined;
  private pendingEphemeral: KeyPair | undefined;
  private requestedCertTypes: number[] = [];
  private requestedSchemes: number[] = [];
  private sessionId: Uint8Array = new Uint8Array(0);
  /** suite-cl: the DHE group and private value of a ServerKeyExchange whose dh_p a scenario set (afterSet). */
  private explicitDh: { p: bigint; x: bigint; length: number } | undefined;
  clientFinished = false;

  constructor(
    config: EndpointConfig,
    /** Sessions of earlier connections of the case (session IDs the harness gave). */
    private readonly cache: Map<string, ServerSession12> = new Map(),
  ) {
    super(config);
    this.tstate = 'wait_client_hello';
  }

  get handshakeComplete(): boolean {
    return this.clientFinished;
  }

  private chooseSuite(): CipherSuiteParams | undefined {
    const offered = this.clientHello?.cipher_suites ?? [];
    const code = this.config.cipherSuites.find((s) => offered.includes(s) && suiteParams(s)?.version === 'TLS1.2') ?? this.config.cipherSuites.find((s) => suiteParams(s)?.version === 'TLS1.2');
    return code === undefined ? undefined : suiteParams(code);
  }

  /** RFC 8422 5.1.1: a curve the client supports (any of ours when it sent no supported_groups, RFC 8422 4). */
  private ecGroup(): number {
    const client = findExt(this.clientHello?.extensions, 'supported_groups')?.named_group_list;
    const ours = this.config.groups.filter((g) => EC_GROUPS.includes(g));
    return ours.find((g) => !client || client.includes(g)) ?? ours[0] ?? NamedGroup.x25519;
  }

  /** RFC 7919 4: an FFDHE group the client lists, else ffdhe2048 (or the first of ours). */
  private dheGroup(): number {
    const client = (findExt(this.clientHello?.extensions, 'supported_groups')?.named_group_list ?? []).filter((g) => FFDHE_GROUP_CODES.includes(g));
    const ours = this.config.groups.filter((g) => FFDHE_GROUP_CODES.includes(g));
    return ours.find((g) => client.includes(g)) ?? client.find((g) => groupName(g)) ?? ours[0] ?? NamedGroup.ffdhe2048;
  }

  private signer(): { ck: CertifiedKey; scheme: number } | undefined {
    const ck = this.certificateFor(this.suite ?? this.chooseSuite());
    if (!ck) return undefined;
    const accepted = findExt(this.clientHello?.extensions, 'signature_algorithms')?.supported_signature_algorithms ?? [];
    const scheme = chooseScheme12(ck.key, accepted, schemes12(this.config)) ?? chooseScheme12(ck.key, schemes12(this.config), schemes12(this.config));
    return scheme === undefined ? undefined : { ck, scheme };
  }

  build(name: string): HandshakeMessage {
    const c = this.config;
    const ch = this.clientHello;
    const exts = ch?.extensions ?? [];
    switch (name) {
      case 'ServerHello': {
        const session = this.findSession();
        const suite = session ? suiteParams(session.cipherSuite) : this.chooseSuite();
        const out: Extension[] = [];
        const reneg = findExt(exts, 'renegotiation_info');
        // RFC 5746 3.6: a server that saw the SCSV or the extension answers with renegotiation_info (empty in an
        // initial handshake; RFC 5746 3.7: client_verify_data + server_verify_data in a renegotiation).
        if (reneg || ch?.cipher_suites.includes(CipherSuite.TLS_EMPTY_RENEGOTIATION_INFO_SCSV)) {
          const data = this.clientVerifyData && this.serverVerifyData ? concatBytes(this.clientVerifyData, this.serverVerifyData) : new Uint8Array(0);
          out.push({ type: 'renegotiation_info', renegotiated_connection: data });
        }
        // RFC 8422 5.2: ec_point_formats (uncompressed) in answer, for an ECC suite.
        if (findExt(exts, 'ec_point_formats') && suite?.keyExchange === 'ecdhe') out.push({ type: 'ec_point_formats', ec_point_format_list: [0] });
        const alpn = findExt(exts, 'application_layer_protocol_negotiation');
        if (alpn && c.alpn.length > 0) {
          const offered = alpn.protocol_name_list.map((p) => new TextDecoder().decode(p));
          const chosen = c.alpn.find((p) => offered.includes(p));
          if (chosen) out.push({ type: 'application_layer_protocol_negotiation', protocol_name_list: [new TextEncoder().encode(chosen)] });
        }
        // RFC 7627 5.2 / RFC 7366 3 (CBC only) / RFC 5077 3.2: echoed when offered.
        if (findExt(exts, 'extended_master_secret') && c.extendedMasterSecret) out.push({ type: 'extended_master_secret' });
        if (findExt(exts, 'encrypt_then_mac') && c.encryptThenMac && suite?.cipher.type === 'cbc') out.push({ type: 'encrypt_then_mac' });
        if (findExt(exts, 'session_ticket') && c.sessionTickets12 && !session) out.push({ type: 'session_ticket' });
        return {
          msg_type: 'server_hello',
          legacy_version: ProtocolVersion.TLS1_2,
          random: c.random(32),
          // RFC 5246 7.4.1.3: a resumed session echoes the client's session ID; a new one gets a new ID.
          legacy_session_id_echo: session ? ch!.legacy_session_id : c.random(32),
          cipher_suite: suite?.code ?? c.cipherSuites[0],
          legacy_compression_method: 0,
          extensions: out,
        };
      }
      case 'Certificate': {
        const ck = this.certificateFor(this.suite ?? this.chooseSuite());
        return { msg_type: 'certificate', form: 'tls12', certificate_list: ck ? [...ck.chain] : [] };
      }
      case 'ServerKeyExchange': {
        const suite = this.suite ?? this.chooseSuite();
        const sig = this.signer();
        if (!suite || suite.keyExchange === 'rsa' || !sig || !ch) {
          // A ServerKeyExchange where the suite has none: ECDHE params over the first curve, on purpose.
          if (!ch) return this.generic(name);
        }
        const dhe = suite?.keyExchange === 'dhe';
        const g = dhe ? this.dheGroup() : this.ecGroup();
        const kp = this.config.provider.keyExchange(groupName(g)!).generate(this.config.ephemeralKey?.(g));
        this.pendingEphemeral = kp;
        const serverRandom = this.serverRandom ?? new Uint8Array(32);
        const signWith = (params: Uint8Array) => {
          if (!sig) return { algorithm: schemes12(c)[0], signature: new Uint8Array(0) };
          // RFC 5246 7.4.3 / RFC 8422 5.4: signed over ClientHello.random + ServerHello.random + params.
          return { algorithm: sig.scheme, signature: sign12(c.provider, sig.scheme, sig.ck.key, signedParams(ch!.random, serverRandom, params)) };
        };
        if (dhe) {
          const f = Object.values(FFDHE_GROUPS).find((x) => x.codePoint === g)!;
          const p = bigintToBytes(f.p, f.byteLength);
          const gen = Uint8Array.of(Number(f.g));
          return { msg_type: 'server_key_exchange', form: 'dhe', dh_p: p, dh_g: gen, dh_Ys: kp.publicKey, signature: signWith(dheParams(p, gen, kp.publicKey)) };
        }
        return { msg_type: 'server_key_exchange', form: 'ecdhe', curve_type: 3, named_curve: g, public: kp.publicKey, signature: signWith(ecdheParams(g, kp.publicKey)) };
      }
      case 'CertificateRequest':
        // RFC 5246 7.4.4; RFC 9155 (paraphrase: "servers must not list them [MD5, SHA-1] in CertificateRequest"): schemes12.
        return { msg_type: 'certificate_request', form: 'tls12', certificate_types: [ClientCertificateType.rsa_sign, ClientCertificateType.ecdsa_sign], supported_signature_algorithms: schemes12(c), certificate_authorities: [] };
      case 'NewSessionTicket': {
        const state = this.sessionState();
        if (!state) return this.generic(name);
        // RFC 5077 3.3: the ticket carries the session state, sealed with the server's key.
        return { msg_type: 'new_session_ticket', form: 'tls12', ticket_lifetime_hint: c.sessionLifetime12, ticket: sealTicket12(c.provider, c.ticketKey, state, c.random(12)) };
      }
      case 'Finished': {
        const verify = this.finishedFor('server');
        return verify ? { msg_type: 'finished', verify_data: verify } : this.generic(name);
      }
      case 'HelloRequest':
        return { msg_type: 'hello_request' };
      default:
        return this.generic(name);
    }
  }

  /** A session the ClientHello offers that the harness gave earlier in the case (RFC 5077 3.4 ticket, RFC 5246 7.4.1.2 ID). */
  private findSession(): ServerSession12 | undefined {
    const ch = this.clientHello;
    if (!ch || ch.legacy_session_id.length === 0 || this.clientVerifyData) return undefined;
    const ticket = findExt(ch.extensions, 'session_ticket')?.ticket;
    const s = (ticket && ticket.length > 0 ? openTicket12(this.config.provider, this.config.ticketKey, ticket) : undefined) ?? this.cache.get(Buffer.from(ch.legacy_session_id).toString('hex'));
    // RFC 5246 7.4.1.2: the client must offer the session's suite.
    return s && ch.cipher_suites.includes(s.cipherSuite) ? s : undefined;
  }

  private sessionState(): ServerSession12 | undefined {
    if (!this.suite || !this.master) return undefined;
    return { masterSecret: this.master, cipherSuite: this.suite.code, extendedMasterSecret: this.ems, createdAt: this.config.now(), lifetimeSeconds: this.config.sessionLifetime12, alpn: '', serverName: '' };
  }

  protected override beforeSend(msg: HandshakeMessage): void {
    if (msg.msg_type === 'server_hello') this.useSuite(msg.cipher_suite);
  }

  /**
   * suite-cl: RFC 5246 7.4.3 / RFC 8422 5.4: a ServerKeyExchange whose params a scenario `set` (an invalid point, a
   * DHE Ys of 1) is signed anew over them, unless the step sets the signature too, so that the target judges the
   * params rather than a signature that no longer verifies.
   */
  override afterSet(msg: HandshakeMessage, paths: readonly string[]): void {
    if (msg.msg_type !== 'server_key_exchange' || (msg.form !== 'ecdhe' && msg.form !== 'dhe') || !msg.signature) return;
    if (paths.length === 0 || paths.some((p) => p.startsWith('signature'))) return;
    if (msg.form === 'dhe' && paths.includes('dh_p') && !paths.includes('dh_Ys')) {
      // An explicit group (a small one, RFC 7919 3): a fresh key pair in it, so that the harness can follow a target
      // that accepts the group (RFC 5246 8.1.2).
      const p = bytesToBigint(msg.dh_p);
      let x = 0n;
      while (x <= 1n) x = bytesToBigint(this.config.random(32));
      msg.dh_Ys = bigintToBytes(modPow(bytesToBigint(msg.dh_g), x, p), msg.dh_p.length);
      this.explicitDh = { p, x, length: msg.dh_p.length };
    }
    const sig = this.signer();
    const ch = this.clientHello;
    if (!sig || !ch) return;
    const params = msg.form === 'ecdhe' ? ecdheParams(msg.named_curve, msg.public) : dheParams(msg.dh_p, msg.dh_g, msg.dh_Ys);
    const content = signedParams(ch.random, this.serverRandom ?? new Uint8Array(32), params);
    msg.signature = { algorithm: msg.signature.algorithm, signature: sign12(this.config.provider, msg.signature.algorithm, sig.ck.key, content) };
  }

  protected afterSend(msg: HandshakeMessage | undefined, _bytes: Uint8Array): void {
    if (!msg) return;
    switch (msg.msg_type) {
      case 'server_hello': {
        const exts = msg.extensions ?? [];
        this.serverRandom = msg.random;
        this.sessionId = msg.legacy_session_id_echo;
        this.ems = findExt(exts, 'extended_master_secret') !== undefined && findExt(this.clientHello?.extensions, 'extended_master_secret') !== undefined;
        this.etm = findExt(exts, 'encrypt_then_mac') !== undefined && this.suite?.cipher.type === 'cbc';
        const session = this.findSession();
        if (session && this.clientHello && equalBytes(msg.legacy_session_id_echo, this.clientHello.legacy_session_id) && session.cipherSuite === msg.cipher_suite) {
          // RFC 5246 7.3, abbreviated handshake: the session's master secret; our ChangeCipherSpec and Finished go first.
          this.resumed = true;
          this.master = session.masterSecret;
          this.ems = session.extendedMasterSecret;
          this.deriveKeyBlock();
          this.tstate = 'flight';
        } else this.tstate = 'flight';
        return;
      }
      case 'server_key_exchange':
        this.ephemeral = this.pendingEphemeral;
        return;
      case 'certificate_request':
        if (msg.form === 'tls12') {
          this.requestedCertTypes = [...msg.certificate_types];
          this.requestedSchemes = [...msg.supported_signature_algorithms];
        }
        return;
      case 'server_hello_done':
        this.tstate = this.requestedCertTypes.length > 0 ? 'wait_certificate' : 'wait_client_key_exchange';
        return;
      case 'finished':
        this.serverVerifyData = msg.verify_data;
        // Abbreviated handshake: the client's ChangeCipherSpec and Finished answer ours.
        if (this.resumed) this.tstate = 'wait_ccs';
        else this.cacheSession();
        return;
    }
  }

  private cacheSession(): void {
    const s = this.sessionState();
    if (s && this.sessionId.length > 0) this.cache.set(Buffer.from(this.sessionId).toString('hex'), s);
  }

  protected afterReceive(msg: HandshakeMessage, raw: Uint8Array): Violation | undefined {
    const state = this.tstate;
    const expect = (ok: boolean) => (ok ? undefined : outOfOrder(msg.msg_type, state));
    switch (msg.msg_type) {
      case 'client_hello': {
        const renegotiation = state === 'done';
        const order = expect(state === 'wait_client_hello' || renegotiation);
        if (renegotiation) {
          this.startRenegotiation();
          this.clientFinished = false;
          this.requestedCertTypes = [];
          this.requestedSchemes = [];
        }
        this.transcript.add(raw);
        this.clientHello = msg;
        this.clientRandom = msg.random;
        this.tstate = 'flight';
        const v = violationOf(() => {
          const r = checkClientHello12(msg, { tls13Enabled: false, renegotiation: renegotiation ? this.previousHandshake() : undefined });
          // A rule that binds the client as the sender (the reference server has no reason to refuse it).
          // RFC 5246 7.4.1.4.1: "The "anonymous" value is meaningless in this context but used in Section 7.4.3. It
          // MUST NOT appear in this extension."
          const anonymous = findExt(msg.extensions, 'signature_algorithms')?.supported_signature_algorithms.find((a) => (a & 0xff) === 0 && a >> 8 <= 6);
          if (anonymous !== undefined) throw new TlsError('illegal_parameter', 'RFC 5246 7.4.1.4.1', `signature_algorithms lists 0x${anonymous.toString(16).padStart(4, '0')}, an anonymous pair`);
          this.secure = r.secureRenegotiation;
          // RFC 7627 5.3: a session that used the extended master secret is resumed only with the extension.
          const session = this.findSession();
          if (session) checkResumptionEms12(msg, session);
        });
        return order ?? v;
      }
      case 'certificate': {
        this.transcript.add(raw);
        const order = expect(state === 'wait_certificate');
        this.tstate = 'wait_client_key_exchange';
        if (msg.form !== 'tls12') return order;
        this.peerChain = this.parseLeniently(msg.certificate_list);
        const v = violationOf(() => {
          this.peerChain = checkClientCertificate12(msg.certificate_list, {
            requestedCertTypes: this.requestedCertTypes,
            requireClientCert: this.config.requireClientCert,
            chain: this.config.verifyPeer ? { trustRoots: this.config.trustRoots, now: new Date(this.config.now()) } : undefined,
          });
        });
        return order ?? v;
      }
      case 'client_key_exchange': {
        const order = expect(state === 'wait_client_key_exchange');
        let pms: Uint8Array | undefined;
        const v = violationOf(() => {
          pms = this.premasterSecret(msg);
        });
        this.transcript.add(raw);
        if (pms) this.deriveFromPremaster(pms);
        this.tstate = this.peerChain.length > 0 ? 'wait_certificate_verify' : 'wait_ccs';
        return order ?? v;
      }
      case 'certificate_verify': {
        const order = expect(state === 'wait_certificate_verify');
        const key = this.peerChain[0]?.publicKey;
        const content = concatBytes(...this.transcript.messages);
        const v = key
          ? violationOf(() => checkCertificateVerify12(msg, { requestedSchemes: this.requestedSchemes, key, content, provider: this.config.provider, legacySha1: this.config.legacySha1Signatures === true }))
          : { rule: 'RFC 5246 7.4.8', message: 'CertificateVerify without a client certificate before it', alert: 'unexpected_message' as const };
        this.transcript.add(raw);
        this.tstate = 'wait_ccs';
        return order ?? v;
      }
      case 'finished': {
        const order = expect(state === 'wait_finished');
        const expected = this.finishedFor('client');
        const v = expected ? violationOf(() => checkFinished12(msg, expected, 'client')) : { rule: 'RFC 5246 7.4.9', message: 'client Finished before keys were agreed', alert: 'unexpected_message' as const };
        this.transcript.add(raw);
        this.clientVerifyData = msg.verify_data;
        this.clientFinished = true;
        this.tstate = 'done';
        return order ?? v;
      }
      default:
        this.transcript.add(raw);
        return outOfOrder(msg.msg_type, state);
    }
  }

  /** RFC 5246 7.4.7: the pre-master secret the target's ClientKeyExchange gives, checked as the reference server does. */
  private premasterSecret(msg: Extract<HandshakeMessage, { msg_type: 'client_key_exchange' }>): Uint8Array | undefined {
    const prov = this.config.provider;
    if (msg.form === 'rsa') {
      const key = this.certificateFor(this.suite)?.key;
      if (!key || key.kind !== 'rsa' || !this.clientHello) return undefined;
      // RFC 5246 7.4.7.1: the countermeasure (a random secret on any failure), as the reference server.
      return rsaPremasterSecret(prov, key as PrivateKey & { kind: 'rsa' }, msg.encrypted_pre_master_secret, this.clientHello.legacy_version, this.config.random(48));
    }
    const kp = this.ephemeral;
    if (!kp) return undefined;
    if (msg.form === 'ecdhe') return agreedPremaster(prov, kp, msg.ecdh_Yc, 'ecdhe', 'server');
    if (msg.form === 'dhe' && this.explicitDh) {
      const { p, x, length } = this.explicitDh;
      // RFC 5246 8.1.2: Z with its leading zero bytes stripped.
      const z = bigintToBytes(modPow(bytesToBigint(msg.dh_Yc), x, p), length);
      let i = 0;
      while (i < z.length - 1 && z[i] === 0) i++;
      return z.subarray(i);
    }
    if (msg.form === 'dhe') return agreedPremaster(prov, kp, msg.dh_Yc, 'dhe', 'server');
    return undefined;
  }
}

/** The RFC 7919 group code of explicit DHE parameters, when they are one. */
function knownFfdhe(p: Uint8Array, g: Uint8Array): number | undefined {
  const pb = bytesToBigint(p);
  const gb = bytesToBigint(g);
  return Object.values(FFDHE_GROUPS).find((f) => f.p === pb && f.g === gb)?.codePoint;
}
