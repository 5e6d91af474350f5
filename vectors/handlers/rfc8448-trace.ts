/**
 * RFC 8448 example handshake traces (vectors/rfc8448/section*.json, kind `rfc8448-trace`) replayed step by step
 * through OUR TLS 1.3 code: the CryptoProvider (HKDF, hash, HMAC, key exchange, signatures), the key schedule
 * (tls13-key-schedule.ts: encodeHkdfLabel, Tls13KeySchedule) and record protection (Tls13RecordProtection).
 * One outcome per step; a step fails with a reason naming the trace label whose value does not match.
 *
 * The handler keeps one "view" per side (client, server): the secrets and keys that side derives with our
 * key schedule from its own inputs (its ephemeral private key, the peer's hello, the transcript of the
 * messages in messages[]). A step that shows values is checked twice:
 *   - literally: HKDF-Extract(salt, IKM) = secret, HKDF-Expand(PRK, info, L) = expanded, info = the RFC 8446
 *     7.1 HkdfLabel for the label in the action and the shown hash, X25519/P-256 public key from the private key;
 *   - against the view: PRK / salt / IKM are the secrets this side derived before, `hash` is the transcript
 *     hash of the messages so far (with the message_hash substitution after a HelloRetryRequest), the output
 *     equals what our key schedule computes.
 * A "(same as ...)" step shows no values: the side recomputes the quantity from its own view and it must
 * equal what the other side computed (so the client's ECDHE agrees with the server's, the client verifies the
 * server's Finished, the server verifies the PSK binder, ...).
 * The view always keeps OUR computed values, never the trace's, so a wrong value in the trace fails only the
 * step that shows it.
 *
 * Records: plaintext records must be header + payload; protected ones are re-encrypted with the sender's
 * current write keys at its sequence number (per direction and key epoch; change_cipher_spec is plaintext and
 * does not count) and must equal the complete record byte for byte, and decrypt back to the payload.
 * Construct steps check the message framing, that it is the message in the record, and per message type:
 * key shares, HelloRetryRequest random, PSK binder, CertificateVerify signature (public key from the
 * Certificate message), Finished verify_data, NewSessionTicket layout.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { CryptoProvider, GroupName, HashName, PublicKey, SignatureSchemeName } from '../../implementations/reference/crypto/provider.ts';
import { encodeHkdfLabel, deriveSecret, Tls13KeySchedule, type TrafficKeys } from '../../implementations/reference/crypto/tls13-key-schedule.ts';
import { parseRecord, Tls13RecordProtection } from '../../implementations/reference/crypto/record-protection.ts';
import { suiteParams, type CipherSuiteParams } from '../../implementations/reference/crypto/suites.ts';
import { parseCertificateDer } from '../../implementations/reference/crypto/certificate.ts';
import {
  ContentType,
  ExtensionType,
  HandshakeType,
  HELLO_RETRY_REQUEST_RANDOM,
  NamedGroup,
  SignatureScheme,
  type CipherSuiteName,
} from '../../implementations/reference/codec/enums.ts';
import type { TestOutcome, VectorFileJson, VectorHandler } from '../runner.ts';
import { errorText, hex, toHex } from './wycheproof-common.ts';
import { concatBytes as concat } from '../../implementations/reference/codec/bytes.ts';

// ---- the file ------------------------------------------------------------------------------------------

type Actor = 'client' | 'server';
type Epoch = 'early' | 'handshake' | 'application';

interface TraceStep {
  index: number;
  line: number;
  actor: Actor;
  action: string;
  values: Record<string, string>;
  text?: Record<string, string>;
}

interface TraceRecord {
  index: number;
  step: number;
  actor: Actor;
  contentType: string;
  epoch: 'plaintext' | Epoch;
  payload: string;
  completeRecord: string;
  messages?: number[];
}

interface TraceMessage {
  index: number;
  actor: Actor;
  name: string;
  type: number;
  constructStep: number;
  note?: string;
  hex: string;
}

interface TraceFile extends VectorFileJson {
  section: string;
  features: { cipherSuite: string; pskResumption?: boolean };
  steps: TraceStep[];
  records: TraceRecord[];
  messages: TraceMessage[];
}

const TEXT = new TextEncoder();
const EMPTY = new Uint8Array(0);
const RFC8448_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', 'rfc8448');

const eq = (a: Uint8Array, b: Uint8Array): boolean => a.length === b.length && a.every((x, i) => x === b[i]);
const short = (b: Uint8Array): string => (b.length > 12 ? `${toHex(b.subarray(0, 12))}… (${b.length} octets)` : toHex(b) || '(empty)');
const other = (a: Actor): Actor => (a === 'client' ? 'server' : 'client');


/** Thrown by the small parsers below; becomes a step failure. */
class TraceError extends Error {}

/** A minimal reader for the few TLS structures the handler looks into. */
class Reader {
  pos = 0;
  constructor(
    readonly buf: Uint8Array,
    readonly what: string,
  ) {}
  bytes(n: number): Uint8Array {
    if (this.pos + n > this.buf.length) throw new TraceError(`${this.what}: truncated at offset ${this.pos}`);
    const out = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }
  uint(n: number): number {
    return this.bytes(n).reduce((acc, x) => acc * 256 + x, 0);
  }
  vec(lenBytes: number): Uint8Array {
    return this.bytes(this.uint(lenBytes));
  }
  get left(): number {
    return this.buf.length - this.pos;
  }
  end(): void {
    if (this.left !== 0) throw new TraceError(`${this.what}: ${this.left} trailing octets`);
  }
}

interface Extension {
  type: number;
  data: Uint8Array;
}

function parseExtensions(block: Uint8Array, what: string): Extension[] {
  const r = new Reader(block, what);
  const out: Extension[] = [];
  while (r.left > 0) out.push({ type: r.uint(2), data: r.vec(2) });
  return out;
}

/** A handshake message: 4-octet header whose length frames the body exactly. */
function handshakeBody(msg: Uint8Array, what: string): { type: number; body: Uint8Array } {
  if (msg.length < 4) throw new TraceError(`${what}: shorter than the handshake header`);
  const length = (msg[1] << 16) | (msg[2] << 8) | msg[3];
  if (length !== msg.length - 4) throw new TraceError(`${what}: header length ${length}, body has ${msg.length - 4} octets`);
  return { type: msg[0], body: msg.subarray(4) };
}

interface Hello {
  random: Uint8Array;
  extensions: Extension[];
  /** Offset in the whole message (with header) where the extensions block's length field starts. */
  extensionsOffset: number;
}

function parseHello(msg: Uint8Array, isClient: boolean, what: string): Hello {
  const { body } = handshakeBody(msg, what);
  const r = new Reader(body, what);
  r.bytes(2); // legacy_version
  const random = r.bytes(32);
  r.vec(1); // legacy_session_id / legacy_session_id_echo
  if (isClient) {
    r.vec(2); // cipher_suites
    r.vec(1); // legacy_compression_methods
  } else {
    r.bytes(2); // cipher_suite
    r.bytes(1); // legacy_compression_method
  }
  const extensionsOffset = 4 + r.pos;
  const extensions = parseExtensions(r.vec(2), `${what} extensions`);
  r.end();
  return { random, extensions, extensionsOffset };
}

/** ClientHello key_share: client_shares<0..2^16-1>. */
function clientShares(hello: Hello, what: string): { group: number; key: Uint8Array }[] {
  const ext = hello.extensions.find((e) => e.type === ExtensionType.key_share);
  if (!ext) return [];
  const r = new Reader(ext.data, `${what} key_share`);
  const list = new Reader(r.vec(2), `${what} client_shares`);
  r.end();
  const out: { group: number; key: Uint8Array }[] = [];
  while (list.left > 0) out.push({ group: list.uint(2), key: list.vec(2) });
  return out;
}

/** RFC 8446 4.2.11: the pre_shared_key extension (last in the ClientHello) and the truncated ClientHello. */
function pskExtension(msg: Uint8Array, what: string): { identities: Uint8Array[]; binders: Uint8Array[]; truncated: Uint8Array } {
  const hello = parseHello(msg, true, what);
  const last = hello.extensions[hello.extensions.length - 1];
  if (!last || last.type !== ExtensionType.pre_shared_key) throw new TraceError(`${what}: pre_shared_key is not the last extension`);
  const r = new Reader(last.data, `${what} pre_shared_key`);
  const ids = new Reader(r.vec(2), `${what} identities`);
  const bindersLength = r.uint(2);
  const bindersReader = new Reader(r.bytes(bindersLength), `${what} binders`);
  r.end();
  const identities: Uint8Array[] = [];
  while (ids.left > 0) {
    identities.push(ids.vec(2));
    ids.bytes(4); // obfuscated_ticket_age
  }
  const binders: Uint8Array[] = [];
  while (bindersReader.left > 0) binders.push(bindersReader.vec(1));
  // The extension is the last thing in the message: its binders (with their 2-octet length) end it.
  const truncated = msg.subarray(0, msg.length - bindersLength - 2);
  return { identities, binders, truncated };
}

function parseNewSessionTicket(msg: Uint8Array): { nonce: Uint8Array; ticket: Uint8Array } {
  const { body } = handshakeBody(msg, 'NewSessionTicket');
  const r = new Reader(body, 'NewSessionTicket');
  r.bytes(4); // ticket_lifetime
  r.bytes(4); // ticket_age_add
  const nonce = r.vec(1);
  const ticket = r.vec(2);
  parseExtensions(r.vec(2), 'NewSessionTicket extensions');
  r.end();
  return { nonce, ticket };
}

/** RFC 8446 4.4.2: the end-entity certificate's public key, parsed with certificate.ts. */
function certificatePublicKey(msg: Uint8Array): PublicKey {
  const { body } = handshakeBody(msg, 'Certificate');
  const r = new Reader(body, 'Certificate');
  r.vec(1); // certificate_request_context
  const list = new Reader(r.vec(3), 'Certificate.certificate_list');
  r.end();
  const ders: Uint8Array[] = [];
  while (list.left > 0) {
    ders.push(list.vec(3));
    parseExtensions(list.vec(2), 'CertificateEntry extensions');
  }
  if (ders.length === 0) throw new TraceError('Certificate: empty certificate_list');
  const parsed = parseCertificateDer(ders[0], 0);
  if (!parsed.ok) throw new TraceError(`Certificate: ${parsed.message}`);
  if (!parsed.value.publicKey) throw new TraceError(`Certificate: ${parsed.value.publicKeyError ?? 'unsupported key'}`);
  return parsed.value.publicKey;
}

const MESSAGE_TYPES: Record<string, number> = {
  ClientHello: HandshakeType.client_hello,
  ServerHello: HandshakeType.server_hello,
  HelloRetryRequest: HandshakeType.server_hello,
  NewSessionTicket: HandshakeType.new_session_ticket,
  EndOfEarlyData: HandshakeType.end_of_early_data,
  EncryptedExtensions: HandshakeType.encrypted_extensions,
  Certificate: HandshakeType.certificate,
  CertificateRequest: HandshakeType.certificate_request,
  CertificateVerify: HandshakeType.certificate_verify,
  Finished: HandshakeType.finished,
};

const GROUPS: Record<string, GroupName> = { x25519: 'x25519', 'P-256': 'secp256r1', 'P-384': 'secp384r1' };
const groupName = (code: number): GroupName | undefined =>
  (Object.entries(NamedGroup).find(([, c]) => c === code)?.[0] as GroupName | undefined) ?? undefined;
const schemeName = (code: number): SignatureSchemeName | undefined =>
  Object.entries(SignatureScheme).find(([, c]) => c === code)?.[0] as SignatureSchemeName | undefined;

const CONTENT_TYPES: Record<string, number> = {
  handshake: ContentType.handshake,
  application_data: ContentType.application_data,
  alert: ContentType.alert,
  change_cipher_spec: ContentType.change_cipher_spec,
};

// ---- per-step checking -------------------------------------------------------------------------------------

/** Collects the comparisons of one step. */
class Check {
  readonly failures: string[] = [];
  count = 0;
  /** `label` names the trace value (or the derived quantity) being compared. */
  equal(label: string, shown: Uint8Array | undefined, computed: Uint8Array | undefined): void {
    this.count++;
    if (shown === undefined) this.failures.push(`${label}: missing from the trace`);
    else if (computed === undefined) this.failures.push(`${label}: nothing to compare with (not derived yet)`);
    else if (!eq(shown, computed)) this.failures.push(`${label}: trace ${short(shown)}, computed ${short(computed)}`);
  }
  ok(cond: boolean, message: string): void {
    this.count++;
    if (!cond) this.failures.push(message);
  }
  fail(message: string): void {
    this.count++;
    this.failures.push(message);
  }
}

interface Direction {
  epoch: Epoch;
  keys: TrafficKeys;
  seq: bigint;
}

/** What one side has derived, with our code, from its own inputs. */
interface View {
  keyPairs: Map<GroupName, { privateKey: Uint8Array; publicKey: Uint8Array }>;
  psk?: Uint8Array;
  early?: Uint8Array;
  derivedForHandshake?: Uint8Array;
  handshake?: Uint8Array;
  derivedForMaster?: Uint8Array;
  master?: Uint8Array;
  /** Derive-Secret outputs by label ("c hs traffic", "res master", ...). */
  secrets: Map<string, Uint8Array>;
  /** Traffic keys by `${sender}:${epoch}`. */
  keys: Map<string, TrafficKeys>;
  /** Finished verify_data by sender. */
  verifyData: Map<Actor, Uint8Array>;
  binder?: Uint8Array;
  resumption?: Uint8Array;
  write?: Direction;
}

const newView = (): View => ({ keyPairs: new Map(), secrets: new Map(), keys: new Map(), verifyData: new Map() });

/** The traffic secret protecting `sender`'s records in `epoch` (RFC 8446 7.1, 7.3). */
function trafficSecretLabel(sender: Actor, epoch: Epoch): string {
  const c = sender === 'client' ? 'c' : 's';
  if (epoch === 'early') return 'c e traffic';
  return epoch === 'handshake' ? `${c} hs traffic` : `${c} ap traffic`;
}

const EPOCHS: Record<string, Epoch> = {
  'early application data': 'early',
  'handshake data': 'handshake',
  'application data': 'application',
};

/** Section 3's values that section 4 resumes (README: the PSK is section 3's "tls13 resumption" output). */
function section3Ticket(): { psk: Uint8Array; ticket: Uint8Array } | undefined {
  try {
    const s3 = JSON.parse(readFileSync(join(RFC8448_DIR, 'section3-simple-1rtt.json'), 'utf8')) as TraceFile;
    const step = s3.steps.find((s) => s.action.startsWith('generate resumption secret') && s.values.expanded);
    const nst = s3.messages.find((m) => m.name === 'NewSessionTicket');
    if (!step || !nst) return undefined;
    return { psk: hex(step.values.expanded), ticket: parseNewSessionTicket(hex(nst.hex)).ticket };
  } catch {
    return undefined;
  }
}

class TraceRun {
  readonly suite: CipherSuiteParams;
  readonly hash: HashName;
  readonly ks: Tls13KeySchedule;
  readonly keyLength: number;
  readonly ivLength: number;
  readonly views: Record<Actor, View> = { client: newView(), server: newView() };
  readonly messages: { m: TraceMessage; bytes: Uint8Array }[];
  readonly resumed?: { psk: Uint8Array; ticket: Uint8Array };
  /** The PSK both sides hold (section 3's resumption secret when available, else the IKM the trace shows). */
  readonly psk?: Uint8Array;

  constructor(
    readonly file: TraceFile,
    readonly provider: CryptoProvider,
  ) {
    const suite = suiteParams(file.features.cipherSuite as CipherSuiteName);
    if (!suite || suite.version !== 'TLS1.3') throw new Error(`cipher suite ${file.features.cipherSuite} is not a TLS 1.3 suite we implement`);
    this.suite = suite;
    this.hash = suite.prfHash;
    this.ks = new Tls13KeySchedule(provider, this.hash);
    this.keyLength = suite.keyLength;
    this.ivLength = suite.fixedIvLength;
    this.messages = file.messages.map((m) => ({ m, bytes: hex(m.hex) }));
    if (file.features.pskResumption) {
      this.resumed = file.section === '4' ? section3Ticket() : undefined;
      const shown = file.steps.find((s) => s.action.startsWith('extract secret "early"') && s.values.IKM);
      this.psk = this.resumed?.psk ?? (shown ? hex(shown.values.IKM) : undefined);
    }
  }

  // ---- transcript ----

  private messageIndex(pred: (m: TraceMessage) => boolean, what: string): number {
    const i = this.file.messages.findIndex(pred);
    if (i < 0) throw new TraceError(`no ${what} in messages[]`);
    return i;
  }

  /** Transcript-Hash(messages[0..end)) per RFC 8446 4.4.1, ClientHello1 replaced by message_hash after an HRR. */
  transcriptHash(end: number): Uint8Array {
    const msgs = this.messages.slice(0, end).map((x) => x.bytes);
    const hrr = this.file.messages.findIndex((m) => m.name === 'HelloRetryRequest');
    if (hrr >= 0 && hrr < end) {
      const digest = this.provider.hash(this.hash, concat(...msgs.slice(0, hrr)));
      msgs.splice(0, hrr, concat(Uint8Array.of(HandshakeType.message_hash, 0, 0, digest.length), digest));
    }
    return this.ks.transcriptHash(...msgs);
  }

  /** The Derive-Secret context for a label: Transcript-Hash of the messages RFC 8446 7.1 names. */
  contextFor(label: string): { hash: Uint8Array; what: string } {
    switch (label) {
      case 'derived':
        return { hash: this.ks.emptyHash, what: 'Hash("")' };
      case 'c e traffic':
      case 'e exp master':
        return { hash: this.transcriptHash(this.messageIndex((m) => m.name === 'ClientHello', 'ClientHello') + 1), what: 'Transcript-Hash(ClientHello)' };
      case 'c hs traffic':
      case 's hs traffic':
        return {
          hash: this.transcriptHash(this.messageIndex((m) => m.name === 'ServerHello', 'ServerHello') + 1),
          what: 'Transcript-Hash(ClientHello..ServerHello)',
        };
      case 'c ap traffic':
      case 's ap traffic':
      case 'exp master':
        return {
          hash: this.transcriptHash(this.finishedIndex('server') + 1),
          what: 'Transcript-Hash(ClientHello..server Finished)',
        };
      case 'res master':
        return {
          hash: this.transcriptHash(this.finishedIndex('client') + 1),
          what: 'Transcript-Hash(ClientHello..client Finished)',
        };
      default:
        throw new TraceError(`no transcript rule for label "${label}"`);
    }
  }

  finishedIndex(sender: Actor): number {
    return this.messageIndex((m) => m.name === 'Finished' && m.actor === sender, `${sender} Finished`);
  }

  /** The PRK a Derive-Secret label is taken from (RFC 8446 7.1). */
  sourceFor(view: View, label: string, forMaster: boolean): { secret: Uint8Array | undefined; what: string } {
    if (label === 'derived') return forMaster ? { secret: view.handshake, what: 'Handshake Secret' } : { secret: view.early, what: 'Early Secret' };
    if (label === 'c e traffic' || label === 'e exp master') return { secret: view.early, what: 'Early Secret' };
    if (label === 'c hs traffic' || label === 's hs traffic') return { secret: view.handshake, what: 'Handshake Secret' };
    return { secret: view.master, what: 'Master Secret' };
  }

  /** The ECDHE shared secret as `actor` computes it: own private key, the peer's key share from its hello. */
  sharedSecret(actor: Actor): Uint8Array {
    const sh = this.messages.find((x) => x.m.name === 'ServerHello');
    if (!sh) throw new TraceError('no ServerHello in messages[]');
    const shHello = parseHello(sh.bytes, false, 'ServerHello');
    const ks = shHello.extensions.find((e) => e.type === ExtensionType.key_share);
    if (!ks) throw new TraceError('ServerHello has no key_share');
    const r = new Reader(ks.data, 'ServerHello key_share');
    const code = r.uint(2);
    const serverKey = r.vec(2);
    r.end();
    const group = groupName(code);
    if (!group) throw new TraceError(`ServerHello key_share group 0x${code.toString(16)} is not one we implement`);
    const own = this.views[actor].keyPairs.get(group);
    if (!own) throw new TraceError(`the ${actor} has no ${group} key pair`);
    let peer = serverKey;
    if (actor === 'server') {
      const chs = this.messages.filter((x) => x.m.name === 'ClientHello');
      const share = clientShares(parseHello(chs[chs.length - 1].bytes, true, 'ClientHello'), 'ClientHello').find((s) => s.group === code);
      if (!share) throw new TraceError(`the last ClientHello has no ${group} key share`);
      peer = share.key;
    }
    return this.provider.keyExchange(group).sharedSecret(own.privateKey, peer);
  }

  // ---- steps ----

  run(): TestOutcome[] {
    return this.file.steps.map((step) => {
      const id = `s${this.file.section}#${step.index} line ${step.line}: {${step.actor}} ${step.action}`;
      const c = new Check();
      try {
        const note = this.step(step, c);
        if (c.failures.length > 0) return { id, outcome: 'failed' as const, reason: c.failures.join('; ') };
        if (c.count === 0) return { id, outcome: 'skipped' as const, reason: note ?? 'nothing checkable in this step' };
        return { id, outcome: 'passed' as const };
      } catch (e) {
        const why = e instanceof TraceError ? e.message : errorText(e);
        return { id, outcome: 'failed' as const, reason: [...c.failures, why].join('; ') };
      }
    });
  }

  private step(step: TraceStep, c: Check): string | undefined {
    const a = step.action;
    const same = /\(same as ([^)]*)\)$/.exec(a);
    const sameAs = same !== null && Object.keys(step.values).length === 0;
    const referent: Actor | undefined = same ? (/^client/.test(same[1]) ? 'client' : /^server/.test(same[1]) ? 'server' : undefined) : undefined;
    const view = this.views[step.actor];
    const peerView = this.views[referent ?? other(step.actor)];
    const v = (label: string): Uint8Array | undefined => (step.values[label] === undefined ? undefined : hex(step.values[label]));
    let m: RegExpExecArray | null;

    if ((m = /^create an ephemeral (\S+) key pair$/.exec(a))) return this.keyPair(step, GROUPS[m[1]], m[1], c, v);
    if ((m = /^construct an? (\w+) handshake message$/.exec(a))) return this.construct(step, m[1], c);
    if ((m = /^send (\w+) record$/.exec(a))) return this.send(step, m[1], c, v);
    if ((m = /^extract secret "(early|handshake|master)"/.exec(a))) return this.extract(step.actor, peerView, m[1], sameAs, c, v);
    if ((m = /^derive secret (for (handshake|master) )?"tls13 ([^"]+)"/.exec(a)))
      return this.derive(view, peerView, m[3], m[2] === 'master', sameAs, c, v);
    if ((m = /^derive (write|read) traffic keys for (early application data|handshake data|application data)/.exec(a))) {
      const sender = m[1] === 'write' ? step.actor : other(step.actor);
      return this.trafficKeys(view, peerView, sender, EPOCHS[m[2]], m[1] === 'write', sameAs, c, v);
    }
    if (/^calculate finished "tls13 finished"/.test(a)) return this.finished(view, peerView, sameAs ? (referent ?? other(step.actor)) : step.actor, sameAs, c, v);
    if (/^calculate PSK binder/.test(a)) return this.binder(view, peerView, sameAs, c, v);
    if (/^generate resumption secret "tls13 resumption"/.test(a)) return this.resumption(view, peerView, sameAs, c, v);
    return `no check for this kind of step`;
  }

  private keyPair(step: TraceStep, group: GroupName | undefined, name: string, c: Check, v: (l: string) => Uint8Array | undefined): undefined {
    if (!group) {
      c.fail(`key exchange group ${name} is not one we implement`);
      return;
    }
    const priv = v('private key');
    if (!priv) {
      c.fail('private key: missing from the trace');
      return;
    }
    const pair = this.provider.keyExchange(group).generate(priv);
    c.equal('public key', v('public key'), pair.publicKey);
    this.views[step.actor].keyPairs.set(group, { privateKey: priv, publicKey: pair.publicKey });
  }

  private extract(actor: Actor, peerView: View, which: string, sameAs: boolean, c: Check, v: (l: string) => Uint8Array | undefined): undefined {
    let salt: Uint8Array | undefined;
    let ikm: Uint8Array | undefined;
    let computed: Uint8Array | undefined;
    let peerValue: Uint8Array | undefined;
    let what: string;
    const view = this.views[actor];
    if (which === 'early') {
      salt = this.ks.zeros;
      ikm = this.psk ?? this.ks.zeros;
      computed = this.ks.earlySecret(ikm);
      view.psk = ikm;
      view.early = computed;
      peerValue = peerView.early;
      what = 'Early Secret';
    } else if (which === 'handshake') {
      salt = view.derivedForHandshake;
      ikm = this.sharedSecret(actor);
      computed = view.early ? this.ks.handshakeSecret(view.early, ikm) : undefined;
      view.handshake = computed;
      peerValue = peerView.handshake;
      what = 'Handshake Secret';
    } else {
      salt = view.derivedForMaster;
      ikm = this.ks.zeros;
      computed = view.handshake ? this.ks.masterSecret(view.handshake) : undefined;
      view.master = computed;
      peerValue = peerView.master;
      what = 'Master Secret';
    }
    if (sameAs) {
      c.equal(`${what} (recomputed by this side vs the other side's)`, peerValue, computed);
      return;
    }
    const [tSalt, tIkm, tSecret] = [v('salt'), v('IKM'), v('secret')];
    c.equal('salt', tSalt, salt);
    c.equal(which === 'handshake' ? 'IKM (ECDHE shared secret from our key exchange)' : 'IKM', tIkm, ikm);
    if (which === 'early' && this.file.features.pskResumption && !this.resumed)
      c.fail('IKM: the resumed PSK could not be cross-checked against section 3 (section3-simple-1rtt.json unreadable)');
    if (tSalt && tIkm) c.equal('secret (HKDF-Extract(salt, IKM))', tSecret, this.provider.hkdfExtract(this.hash, tSalt, tIkm));
    c.equal(`secret (${what} from the key schedule)`, tSecret, computed);
    return;
  }

  /** HkdfLabel encoding and HKDF-Expand of the values as shown. */
  private expandShown(c: Check, label: string, prk?: Uint8Array, info?: Uint8Array, context?: Uint8Array, expanded?: Uint8Array, names = ['info', 'expanded']): void {
    if (!prk || !info || !expanded || context === undefined) {
      c.fail(`${[!prk && 'PRK', !info && names[0], !expanded && names[1], context === undefined && 'hash'].filter(Boolean).join(', ')}: missing from the trace`);
      return;
    }
    c.equal(`${names[0]} (HkdfLabel "tls13 ${label}")`, info, encodeHkdfLabel(label, context, expanded.length));
    c.equal(`${names[1]} (HKDF-Expand(PRK, ${names[0]}, ${expanded.length}))`, expanded, this.provider.hkdfExpand(this.hash, prk, info, expanded.length));
  }

  private derive(view: View, peerView: View, label: string, forMaster: boolean, sameAs: boolean, c: Check, v: (l: string) => Uint8Array | undefined): undefined {
    const src = this.sourceFor(view, label, forMaster);
    const ctx = this.contextFor(label);
    const computed = src.secret ? this.ks.deriveSecret(src.secret, label, ctx.hash) : undefined;
    const store = (x: View): Uint8Array | undefined =>
      label === 'derived' ? (forMaster ? x.derivedForMaster : x.derivedForHandshake) : x.secrets.get(label);
    const peerValue = store(peerView);
    if (label === 'derived') {
      if (forMaster) view.derivedForMaster = computed;
      else view.derivedForHandshake = computed;
    } else if (computed) view.secrets.set(label, computed);
    if (!src.secret) c.fail(`PRK: this side has no ${src.what} yet`);
    if (sameAs) {
      c.equal(`"${label}" secret (recomputed by this side vs the other side's)`, peerValue, computed);
      return;
    }
    const [prk, hash, info, expanded] = [v('PRK'), v('hash'), v('info'), v('expanded')];
    c.equal(`PRK (${src.what})`, prk, src.secret);
    c.equal(`hash (${ctx.what})`, hash, ctx.hash);
    this.expandShown(c, label, prk, info, hash, expanded);
    if (prk && hash) c.equal('expanded (Derive-Secret of the shown PRK and hash)', expanded, deriveSecret(this.provider, this.hash, prk, label, hash));
    c.equal(`expanded (our key schedule)`, expanded, computed);
    return;
  }

  private trafficKeys(
    view: View,
    peerView: View,
    sender: Actor,
    epoch: Epoch,
    write: boolean,
    sameAs: boolean,
    c: Check,
    v: (l: string) => Uint8Array | undefined,
  ): undefined {
    const secretLabel = trafficSecretLabel(sender, epoch);
    const secret = view.secrets.get(secretLabel);
    const computed = secret ? this.ks.trafficKeys(secret, this.keyLength, this.ivLength) : undefined;
    const slot = `${sender}:${epoch}`;
    if (computed) view.keys.set(slot, computed);
    if (write) view.write = computed ? { epoch, keys: computed, seq: 0n } : undefined;
    if (!secret) c.fail(`PRK: this side has no "${secretLabel}" secret yet`);
    if (sameAs) {
      const peer = peerView.keys.get(slot);
      c.equal(`${sender} ${epoch} key (this side vs the other side's)`, peer?.key, computed?.key);
      c.equal(`${sender} ${epoch} iv (this side vs the other side's)`, peer?.iv, computed?.iv);
      return;
    }
    const prk = v('PRK');
    c.equal(`PRK ("${secretLabel}" secret)`, prk, secret);
    this.expandShown(c, 'key', prk, v('key info'), EMPTY, v('key expanded'), ['key info', 'key expanded']);
    this.expandShown(c, 'iv', prk, v('iv info'), EMPTY, v('iv expanded'), ['iv info', 'iv expanded']);
    c.ok(v('key expanded')?.length === this.keyLength, `key expanded: ${this.keyLength} octets expected for ${this.suite.name}`);
    c.ok(v('iv expanded')?.length === this.ivLength, `iv expanded: ${this.ivLength} octets expected`);
    c.equal('key expanded (our key schedule)', v('key expanded'), computed?.key);
    c.equal('iv expanded (our key schedule)', v('iv expanded'), computed?.iv);
    return;
  }

  private finished(view: View, peerView: View, sender: Actor, sameAs: boolean, c: Check, v: (l: string) => Uint8Array | undefined): undefined {
    const baseLabel = trafficSecretLabel(sender, 'handshake');
    const base = view.secrets.get(baseLabel);
    const fIndex = this.finishedIndex(sender);
    const th = this.transcriptHash(fIndex);
    const computed = base ? this.ks.finishedVerifyData(base, th) : undefined;
    if (computed) view.verifyData.set(sender, computed);
    if (!base) c.fail(`PRK: this side has no "${baseLabel}" secret yet`);
    const body = this.messages[fIndex].bytes.subarray(4);
    if (sameAs) {
      // The receiver of the Finished message checks it (RFC 8446 4.4.4).
      c.equal(`verify_data (recomputed by this side vs the other side's)`, peerView.verifyData.get(sender), computed);
      c.equal(`verify_data in the received ${sender} Finished message`, body, computed);
      return;
    }
    const [prk, hash, info, expanded, finished] = [v('PRK'), v('hash'), v('info'), v('expanded'), v('finished')];
    c.equal(`PRK ("${baseLabel}" secret)`, prk, base);
    c.equal('hash (empty HKDF context)', hash, EMPTY);
    this.expandShown(c, 'finished', prk, info, hash, expanded);
    c.equal('expanded (finished_key from our key schedule)', expanded, base ? this.ks.finishedKey(base) : undefined);
    if (expanded) c.equal('finished (HMAC(expanded, transcript hash))', finished, this.provider.hmac(this.hash, expanded, th));
    c.equal('finished (verify_data from our key schedule)', finished, computed);
    return;
  }

  private binder(view: View, peerView: View, sameAs: boolean, c: Check, v: (l: string) => Uint8Array | undefined): undefined {
    const ch = this.messages.find((x) => x.m.name === 'ClientHello');
    if (!ch) throw new TraceError('no ClientHello in messages[]');
    const psk = pskExtension(ch.bytes, 'ClientHello');
    const binderHash = this.ks.transcriptHash(psk.truncated);
    const binderKey = view.early ? this.ks.binderKey(view.early, 'resumption') : undefined;
    const computed = binderKey ? this.ks.pskBinder(binderKey, binderHash) : undefined;
    view.binder = computed;
    if (!binderKey) c.fail('PRK: this side has no Early Secret yet');
    c.equal('binder in the ClientHello pre_shared_key extension', psk.binders[0], computed);
    if (sameAs) {
      c.equal('PSK binder (recomputed by this side vs the other side\'s)', peerView.binder, computed);
      return;
    }
    const [prefix, tBinderHash, prk, hash, info, expanded, finished] = ['ClientHello prefix', 'binder hash', 'PRK', 'hash', 'info', 'expanded', 'finished'].map(v);
    c.equal('ClientHello prefix (ClientHello truncated before its binders)', prefix, psk.truncated);
    if (prefix) c.equal('binder hash (Hash(ClientHello prefix))', tBinderHash, this.provider.hash(this.hash, prefix));
    c.equal('PRK (binder_key = Derive-Secret(Early Secret, "res binder", ""))', prk, binderKey);
    c.equal('hash (empty HKDF context)', hash, EMPTY);
    this.expandShown(c, 'finished', prk, info, hash, expanded);
    if (expanded && tBinderHash) c.equal('finished (HMAC(expanded, binder hash))', finished, this.provider.hmac(this.hash, expanded, tBinderHash));
    c.equal('finished (PSK binder from our key schedule)', finished, computed);
    return;
  }

  private resumption(view: View, peerView: View, sameAs: boolean, c: Check, v: (l: string) => Uint8Array | undefined): undefined {
    const nst = this.messages.find((x) => x.m.name === 'NewSessionTicket');
    if (!nst) throw new TraceError('no NewSessionTicket in messages[]');
    const { nonce } = parseNewSessionTicket(nst.bytes);
    const rms = view.secrets.get('res master');
    const computed = rms ? this.ks.resumptionPsk(rms, nonce) : undefined;
    view.resumption = computed;
    if (!rms) c.fail('PRK: this side has no "res master" secret yet');
    if (sameAs) {
      c.equal('resumption PSK (recomputed by this side vs the other side\'s)', peerView.resumption, computed);
      return;
    }
    const [prk, hash, info, expanded] = [v('PRK'), v('hash'), v('info'), v('expanded')];
    c.equal('PRK (resumption_master_secret)', prk, rms);
    c.equal('hash (ticket_nonce of the NewSessionTicket)', hash, nonce);
    this.expandShown(c, 'resumption', prk, info, hash, expanded);
    c.equal('expanded (PSK from our key schedule)', expanded, computed);
    return;
  }

  private construct(step: TraceStep, name: string, c: Check): undefined {
    const entry = this.messages.find((x) => x.m.constructStep === step.index);
    const labels = Object.keys(step.values);
    if (labels.length !== 1) throw new TraceError(`expected one message value, found ${labels.length}`);
    const shown = hex(step.values[labels[0]]);
    if (!entry) throw new TraceError('no messages[] entry for this construct step');
    const { m, bytes } = entry;
    c.ok(labels[0] === name || (m.name === 'HelloRetryRequest' && labels[0] === 'ServerHello'), `${labels[0]}: label does not match the action`);
    c.ok(m.name === name || (m.name === 'HelloRetryRequest' && name === 'ServerHello'), `${labels[0]}: messages[] names it ${m.name}`);
    c.ok(m.actor === step.actor, `${labels[0]}: messages[] says it is sent by the ${m.actor}`);
    const { type, body } = handshakeBody(bytes, m.name);
    c.ok(type === MESSAGE_TYPES[m.name] && type === m.type, `${labels[0]}: HandshakeType ${type}, expected ${MESSAGE_TYPES[m.name]}`);
    const label = labels[0];
    if (m.note) {
      // Section 4: the RFC shows only the ClientHello up to its binders.
      c.equal(`${label} (the full message from the record, truncated before its binders)`, shown, pskExtension(bytes, 'ClientHello').truncated);
    } else c.equal(`${label} (the message in the record)`, shown, bytes);

    switch (m.name) {
      case 'ClientHello': {
        const hello = parseHello(bytes, true, label);
        const shares = clientShares(hello, label);
        const groups = [...this.views.client.keyPairs.keys()];
        const latest = groups[groups.length - 1];
        const pair = latest ? this.views.client.keyPairs.get(latest) : undefined;
        const share = shares.find((s) => s.group === NamedGroup[latest as keyof typeof NamedGroup]);
        c.equal(`${label} key_share for ${latest ?? '(no key pair yet)'}`, share?.key, pair?.publicKey);
        if (m.note && this.resumed) {
          const psk = pskExtension(bytes, label);
          c.equal(`${label} PSK identity (section 3's NewSessionTicket ticket)`, psk.identities[0], this.resumed.ticket);
        }
        break;
      }
      case 'ServerHello': {
        const hello = parseHello(bytes, false, label);
        c.ok(!eq(hello.random, HELLO_RETRY_REQUEST_RANDOM), `${label}: random is the HelloRetryRequest value`);
        const ext = hello.extensions.find((e) => e.type === ExtensionType.key_share);
        if (!ext) throw new TraceError(`${label}: no key_share`);
        const r = new Reader(ext.data, `${label} key_share`);
        const group = groupName(r.uint(2));
        const key = r.vec(2);
        r.end();
        c.equal(`${label} key_share (${group})`, key, group ? this.views.server.keyPairs.get(group)?.publicKey : undefined);
        break;
      }
      case 'HelloRetryRequest': {
        const hello = parseHello(bytes, false, label);
        c.equal(`${label}: random (RFC 8446 4.1.3 HelloRetryRequest value)`, hello.random, HELLO_RETRY_REQUEST_RANDOM);
        const ext = hello.extensions.find((e) => e.type === ExtensionType.key_share);
        if (!ext) throw new TraceError(`${label}: HelloRetryRequest without key_share`);
        const selected = groupName(new Reader(ext.data, 'selected_group').uint(2));
        const ch2 = this.messages.filter((x) => x.m.name === 'ClientHello')[1];
        const ch2Groups = ch2 ? clientShares(parseHello(ch2.bytes, true, 'ClientHello2'), 'ClientHello2').map((s) => groupName(s.group)) : [];
        c.ok(selected !== undefined && ch2Groups.length === 1 && ch2Groups[0] === selected, `${label}: selected_group ${selected} is not the second ClientHello's only key share (${ch2Groups.join(', ')})`);
        break;
      }
      case 'EncryptedExtensions': {
        const r = new Reader(body, label);
        parseExtensions(r.vec(2), `${label} extensions`);
        r.end();
        c.ok(true, '');
        break;
      }
      case 'CertificateRequest': {
        const r = new Reader(body, label);
        r.vec(1);
        const exts = parseExtensions(r.vec(2), `${label} extensions`);
        r.end();
        c.ok(exts.some((e) => e.type === ExtensionType.signature_algorithms), `${label}: no signature_algorithms extension (RFC 8446 4.3.2)`);
        break;
      }
      case 'Certificate':
        certificatePublicKey(bytes); // parses the list and the end-entity certificate, throws if it cannot
        c.ok(true, '');
        break;
      case 'CertificateVerify':
        this.certificateVerify(m, bytes, c);
        break;
      case 'Finished':
        c.equal(`${label} verify_data (from this side's "calculate finished")`, body, this.views[m.actor].verifyData.get(m.actor));
        break;
      case 'NewSessionTicket':
        parseNewSessionTicket(bytes);
        c.ok(true, '');
        break;
      case 'EndOfEarlyData':
        c.ok(body.length === 0, `${label}: body must be empty`);
        break;
      default:
        c.fail(`${label}: no check for ${m.name}`);
    }
    return;
  }

  /** RFC 8446 4.4.3: the signature over 64 spaces || context string || 0 || Transcript-Hash(..Certificate). */
  private certificateVerify(m: TraceMessage, bytes: Uint8Array, c: Check): void {
    const { body } = handshakeBody(bytes, 'CertificateVerify');
    const r = new Reader(body, 'CertificateVerify');
    const code = r.uint(2);
    const signature = r.vec(2);
    r.end();
    const scheme = schemeName(code);
    if (!scheme) throw new TraceError(`CertificateVerify: signature scheme 0x${code.toString(16)} unknown`);
    const certIndex = this.file.messages.findLastIndex((x) => x.index < m.index && x.name === 'Certificate' && x.actor === m.actor);
    if (certIndex < 0) throw new TraceError(`CertificateVerify: no ${m.actor} Certificate before it`);
    const key = certificatePublicKey(this.messages[certIndex].bytes);
    const content = concat(
      new Uint8Array(64).fill(0x20),
      TEXT.encode(`TLS 1.3, ${m.actor} CertificateVerify`),
      Uint8Array.of(0),
      this.transcriptHash(this.file.messages.indexOf(m)),
    );
    c.ok(this.provider.verify(scheme, key, content, signature), `CertificateVerify: ${scheme} signature does not verify with the ${m.actor} certificate's key`);
  }

  private send(step: TraceStep, type: string, c: Check, v: (l: string) => Uint8Array | undefined): undefined {
    const ct = CONTENT_TYPES[type];
    if (ct === undefined) throw new TraceError(`unknown record content type ${type}`);
    const payload = v('payload');
    const complete = v('complete record');
    if (!payload || !complete) throw new TraceError(`${!payload ? 'payload' : 'complete record'}: missing from the trace`);
    const view = this.views[step.actor];
    const meta = this.file.records.find((r) => r.step === step.index);
    // change_cipher_spec is never protected and does not use a sequence number (RFC 8446 5, D.4).
    const dir = ct === ContentType.change_cipher_spec ? undefined : view.write;
    const epoch = dir?.epoch ?? 'plaintext';
    if (meta) {
      c.ok(meta.epoch === epoch, `records[].epoch is ${meta.epoch}, key tracking gives ${epoch}`);
      c.ok(meta.contentType === type, `records[].contentType is ${meta.contentType}`);
      c.equal('payload (records[].payload)', payload, hex(meta.payload));
    }
    // What the payload must hold.
    if (ct === ContentType.handshake) {
      if (!meta?.messages) c.fail('payload: no messages listed for this handshake record');
      else c.equal('payload (the handshake messages of this record)', payload, concat(...meta.messages.map((i) => this.messages[i].bytes)));
    } else if (ct === ContentType.change_cipher_spec) c.equal('payload (ChangeCipherSpec)', payload, Uint8Array.of(1));
    else if (ct === ContentType.alert) c.ok(payload.length === 2, `payload: an alert is 2 octets, got ${payload.length}`);

    if (!dir) {
      const version = (complete[1] << 8) | complete[2];
      const firstHello = ct === ContentType.handshake && payload[0] === HandshakeType.client_hello;
      c.ok(complete[0] === ct, `complete record: content type ${complete[0]}, expected ${ct}`);
      c.ok(version === 0x0303 || (firstHello && version === 0x0301), `complete record: legacy_record_version 0x${version.toString(16)}`);
      c.equal('complete record (5-octet header + payload)', complete, concat(complete.subarray(0, 3), Uint8Array.of(payload.length >> 8, payload.length & 0xff), payload));
      return;
    }
    const seq = dir.seq;
    dir.seq += 1n;
    const protection = () => new Tls13RecordProtection(this.provider, this.suite, dir.keys.key, dir.keys.iv, { initialSequenceNumber: seq });
    const sealed = protection().encrypt(ct, payload).bytes;
    c.equal(`complete record (our encryption with the ${step.actor} ${epoch} keys, sequence number ${seq})`, complete, sealed);
    const parsed = parseRecord(complete);
    if (!parsed) {
      c.fail('complete record: header length does not frame the record');
      return;
    }
    const opened = protection().decrypt(parsed);
    if (!opened.ok) c.fail(`complete record: our decryption (${epoch} keys, sequence number ${seq}) fails: ${opened.error.message}`);
    else {
      c.ok(opened.type === ct, `complete record: decrypts to content type ${opened.type}, expected ${ct}`);
      c.equal('payload (decryption of the complete record)', payload, opened.content);
    }
    return;
  }
}

export const rfc8448TraceHandler: VectorHandler = {
  handles: ['rfc8448-trace'],
  run(file: VectorFileJson, provider: CryptoProvider): TestOutcome[] {
    return new TraceRun(file as TraceFile, provider).run();
  },
};
