/**
 * What the harness's scripted peers (peer13.ts for TLS 1.3, peer12.ts for TLS 1.2) have in common: the
 * record layer and transcript, the decoding of what the target sends into observations (each handshake
 * message run through the version's checks, the same ones the reference endpoints run), and generic
 * instances of messages a scenario sends where the protocol has none.
 *
 * A scripted peer sends only what the scenario's steps say, when they say it, and never aborts: it builds
 * each message with every field filled from the live handshake state, keeps the transcript and keys from
 * what was really sent and received, and decrypts what the target sends. A rule the target breaks becomes
 * the observation's `violation`, with the alert the RFC names; the engine turns it into a failure citing the
 * rule, whatever the scenario was about.
 */
import { AlertDescription, ContentType, nameOf, type AlertName } from '../../implementations/reference/codec/enums.ts';
import { HANDSHAKE_STRUCT_NAMES, decodeHandshakeBody, type HandshakeContext, type HandshakeMessage } from '../../implementations/reference/codec/handshake.ts';
import { DecodeError } from '../../implementations/reference/codec/errors.ts';
import { CryptoError } from '../../implementations/reference/crypto/provider.ts';
import { parseCertificateDer, type Certificate } from '../../implementations/reference/crypto/certificate.ts';
import type { EndpointConfig } from '../../implementations/reference/connection/config.ts';
import { TlsError } from '../../implementations/reference/connection/errors.ts';
import { RecordLayer } from '../../implementations/reference/connection/record-layer.ts';
import { Transcript } from '../../implementations/reference/connection/transcript.ts';
import { checkCertificateChain, type ChainContext } from '../../implementations/reference/connection/checks13.ts';
import { ScenarioRuntimeError } from './fields.ts';
import type { PremasterSpec } from '../scenario/model.ts';

/** A rule the target's message broke, found by the checks the reference endpoints run (checks13.ts, checks12.ts). */
export interface Violation {
  /** Where the rule is written, e.g. 'RFC 8446 4.1.3'. */
  rule: string;
  message: string;
  /** The alert a conforming receiver sends for it (the one the RFC names), when there is one. */
  alert?: AlertName;
}

/** Run checks; the first rule they find broken, as a Violation (anything but a TlsError is a harness bug). */
export function violationOf(fn: () => void): Violation | undefined {
  try {
    fn();
    return undefined;
  } catch (e) {
    if (e instanceof TlsError) return { rule: e.rule, message: e.detail, alert: e.alert };
    throw e;
  }
}

/** Something the target sent (or did), in order. */
export type Observation =
  | { kind: 'handshake'; name: string; msg?: HandshakeMessage; raw: Uint8Array; epoch: string; decodeError?: string; violation?: Violation }
  | { kind: 'alert'; level: number; description: number; name: string; epoch: string }
  /** TLS 1.2: a ChangeCipherSpec where the target may not send one is a violation (RFC 5246 7.1). */
  | { kind: 'change_cipher_spec'; epoch: string; violation?: Violation }
  | { kind: 'application_data'; data: Uint8Array; epoch: string }
  | { kind: 'other'; type: number; epoch: string }
  /** The target's bytes broke the record layer (undecryptable, oversized, garbage): nothing after is readable. */
  | { kind: 'record_error'; alert: string; rule: string; message: string; epoch: string }
  | { kind: 'close'; how: 'eof' | 'reset'; detail?: string };

/** The struct name of a message (ClientHello, ...); for an unknown type, Handshake(N). */
export function messageName(msg: HandshakeMessage): string {
  return msg.msg_type === 'unknown' ? `Handshake(${msg.code})` : HANDSHAKE_STRUCT_NAMES[msg.msg_type];
}

const MESSAGE_TYPES: Record<string, HandshakeMessage['msg_type']> = Object.fromEntries(
  Object.entries(HANDSHAKE_STRUCT_NAMES).map(([k, v]) => [v, k as HandshakeMessage['msg_type']]),
);

export function messageType(name: string): HandshakeMessage['msg_type'] {
  const t = MESSAGE_TYPES[name];
  if (!t || t === 'unknown' || t === 'message_hash') throw new ScenarioRuntimeError(`unknown message '${name}'`);
  return t;
}

/** Options of a `send` step that the peer's builder takes (beyond `set` and `mutate`, applied after). */
export interface BuildOptions {
  /** TLS 1.2 RSA key exchange: how the EncryptedPreMasterSecret is made (harness/engine/premaster.ts). */
  premaster?: PremasterSpec;
}

export abstract class ScriptedPeer {
  readonly rl = new RecordLayer();
  readonly transcript: Transcript;
  /** Where we are in the key schedule, for the transcript of the conversation. */
  readEpoch = 'plaintext';
  writeEpoch = 'plaintext';
  /** The target's certificate chain (or the client's). */
  peerChain: Certificate[] = [];
  /** Set when the record layer can no longer read the target's bytes. */
  broken = false;
  /** Told each secret the harness derives, as a key log line (SSLKEYLOGFILE format), for captures Wireshark decrypts. */
  keyLog: ((line: string) => void) | undefined;
  abstract readonly role: 'client' | 'server';
  abstract readonly version: 'tls12' | 'tls13';

  constructor(readonly config: EndpointConfig) {
    this.transcript = new Transcript(config.provider);
  }

  /** The default message of this name, every field filled from the live state. */
  abstract build(name: string, opts?: BuildOptions): HandshakeMessage;
  /** After the bytes of a message went out: transcript and key changes. */
  protected abstract afterSend(msg: HandshakeMessage | undefined, bytes: Uint8Array): void;
  /** After a message arrived: transcript, keys, checks. */
  protected abstract afterReceive(msg: HandshakeMessage, raw: Uint8Array): Violation | undefined;
  /** How the target's handshake messages decode in the current state. */
  protected abstract decodeContext(): HandshakeContext;
  /** True once the handshake completed from the harness's side (the target's Finished was accepted, or sent ours last). */
  abstract get handshakeComplete(): boolean;

  /** The target's ChangeCipherSpec: TLS 1.3 ignores it (RFC 8446 5); TLS 1.2 switches the read keys. */
  protected onChangeCipherSpec(_data: Uint8Array): Violation | undefined {
    return undefined;
  }

  /** The harness sent a ChangeCipherSpec: TLS 1.2 switches the write keys (RFC 5246 7.1). */
  sentChangeCipherSpec(): void {}

  /** Record a handshake message we send (its exact bytes) and apply what sending it changes. */
  commit(msg: HandshakeMessage | undefined, bytes: Uint8Array): void {
    if (msg) this.beforeSend(msg);
    if (!msg || this.joinsTranscript(msg)) this.transcript.add(bytes);
    this.afterSend(msg, bytes);
  }

  /** Whether a message the harness sends joins the handshake transcript (TLS 1.3: not NewSessionTicket or KeyUpdate). */
  protected joinsTranscript(_msg: HandshakeMessage): boolean {
    return true;
  }

  /** Before a message's bytes join the transcript. */
  protected beforeSend(_msg: HandshakeMessage): void {}

  /** After a `send` step's `set` (field paths as written) changed the built message, before it is encoded. */
  afterSet(_msg: HandshakeMessage, _paths: readonly string[]): void {}

  /** Whether a handshake message joins the transcript when it arrives undecodable (TLS 1.2: never a HelloRequest). */
  protected transcriptUndecodable(_msgType: number): boolean {
    return true;
  }

  /** Bytes from the target -> what it sent, in order. */
  ingest(bytes: Uint8Array): Observation[] {
    const out: Observation[] = [];
    if (this.broken) return out;
    this.rl.receive(bytes);
    for (;;) {
      let item;
      const epoch = this.readEpoch;
      try {
        item = this.rl.next();
      } catch (e) {
        if (!(e instanceof TlsError)) throw e;
        this.broken = true;
        out.push({ kind: 'record_error', alert: e.alert, rule: e.rule, message: e.message, epoch });
        return out;
      }
      if (!item) return out;
      switch (item.kind) {
        case 'handshake': {
          let msg: HandshakeMessage;
          try {
            msg = decodeHandshakeBody(item.msg_type, item.body, this.decodeContext());
          } catch (e) {
            if (!(e instanceof DecodeError)) throw e;
            out.push({ kind: 'handshake', name: `Handshake(${item.msg_type})`, raw: item.raw, epoch, decodeError: `${e.path}: ${e.reason}` });
            if (this.transcriptUndecodable(item.msg_type)) this.transcript.add(item.raw);
            continue;
          }
          let violation: Violation | undefined;
          try {
            violation = this.afterReceive(msg, item.raw);
          } catch (e) {
            if (e instanceof TlsError) violation = { rule: e.rule, message: e.detail, alert: e.alert };
            else if (e instanceof CryptoError) violation = { rule: this.version === 'tls13' ? 'RFC 8446 4.2.8.2' : 'RFC 8422 5.11', message: e.message, alert: 'illegal_parameter' };
            else throw e;
          }
          out.push({ kind: 'handshake', name: messageName(msg), msg, raw: item.raw, epoch, violation });
          break;
        }
        case 'alert':
          out.push({ kind: 'alert', level: item.level, description: item.description, name: nameOf(AlertDescription, item.description, 2), epoch });
          break;
        case 'change_cipher_spec': {
          let violation: Violation | undefined;
          try {
            violation = this.onChangeCipherSpec(item.data);
          } catch (e) {
            if (!(e instanceof TlsError)) throw e;
            violation = { rule: e.rule, message: e.detail, alert: e.alert };
          }
          out.push({ kind: 'change_cipher_spec', epoch, ...(violation ? { violation } : {}) });
          break;
        }
        case 'application_data':
          out.push({ kind: 'application_data', data: item.data, epoch });
          break;
        case 'other':
          out.push({ kind: 'other', type: item.type, epoch });
          break;
      }
    }
  }

  /** The chain's certificates that parse (for a CertificateVerify after a Certificate that broke a rule). */
  protected parseLeniently(entries: readonly ({ cert_data: Uint8Array } | Uint8Array)[]): Certificate[] {
    const out: Certificate[] = [];
    for (const [i, e] of entries.entries()) {
      let p: ReturnType<typeof parseCertificateDer>;
      try {
        p = parseCertificateDer(e instanceof Uint8Array ? e : e.cert_data, i);
      } catch {
        break;
      }
      if (!p.ok) break;
      out.push(p.value);
    }
    return out;
  }

  /** RFC 8446 4.4.2.4 / RFC 5246 7.4.2 (checks13.ts): the chain against the test CA, unless the configuration says not to. */
  protected checkChain(purpose: ChainContext['purpose'], hostname?: string): Violation | undefined {
    if (!this.config.verifyPeer || this.peerChain.length === 0) return undefined;
    return violationOf(() => checkCertificateChain(this.peerChain, { trustRoots: this.config.trustRoots, now: new Date(this.config.now()), hostname, purpose }));
  }

  /** The length of a Finished's verify_data in the current state, for a generic one. */
  protected finishedLength(): number {
    return 32;
  }

  /** A generic instance of any message, for scenarios that send one where the protocol has none. */
  protected generic(name: string): HandshakeMessage {
    const t = messageType(name);
    const z = (n: number) => new Uint8Array(n);
    switch (t) {
      case 'encrypted_extensions':
        return { msg_type: t, extensions: [] };
      case 'end_of_early_data':
      case 'server_hello_done':
      case 'hello_request':
        return { msg_type: t };
      case 'finished':
        return { msg_type: t, verify_data: z(this.finishedLength()) };
      case 'key_update':
        return { msg_type: t, request_update: 0 };
      case 'certificate':
        return { msg_type: t, form: 'tls13', certificate_request_context: z(0), certificate_list: [] };
      case 'certificate_request':
        return { msg_type: t, form: 'tls13', certificate_request_context: z(0), extensions: [{ type: 'signature_algorithms', supported_signature_algorithms: [...this.config.signatureSchemes] }] };
      case 'certificate_verify':
        return { msg_type: t, algorithm: this.config.signatureSchemes[0] ?? 0x0804, signature: z(64) };
      case 'new_session_ticket':
        return { msg_type: t, form: 'tls13', ticket_lifetime: 7200, ticket_age_add: 0, ticket_nonce: z(1), ticket: z(16), extensions: [] };
      case 'client_hello':
        return { msg_type: t, legacy_version: 0x0303, random: z(32), legacy_session_id: z(0), cipher_suites: [...this.config.cipherSuites], legacy_compression_methods: [0], extensions: [] };
      case 'server_hello':
        return { msg_type: t, legacy_version: 0x0303, random: z(32), legacy_session_id_echo: z(0), cipher_suite: this.config.cipherSuites[0], legacy_compression_method: 0, extensions: [] };
      case 'hello_retry_request':
        return { msg_type: t, legacy_version: 0x0303, legacy_session_id_echo: z(0), cipher_suite: this.config.cipherSuites[0], legacy_compression_method: 0, extensions: [{ type: 'supported_versions', selected_version: 0x0304 }] };
      case 'server_key_exchange':
        return { msg_type: t, form: 'opaque', body: z(0) };
      case 'client_key_exchange':
        return { msg_type: t, form: 'rsa', encrypted_pre_master_secret: z(0) } as HandshakeMessage;
      default:
        throw new ScenarioRuntimeError(`cannot build a ${name}`);
    }
  }
}

/** Content type codes by name, for record options. */
export function contentTypeCode(v: number | string): number {
  if (typeof v === 'number') return v;
  const c = (ContentType as Record<string, number>)[v];
  if (c === undefined) throw new ScenarioRuntimeError(`unknown content type '${v}'`);
  return c;
}
