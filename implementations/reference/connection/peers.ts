/**
 * Scripted peers and wire helpers for the negative and robustness tests of the reference endpoints.
 *
 * A scripted peer is the real TlsClient or TlsServer (it runs the whole handshake logic, derives the real
 * keys) whose outgoing handshake messages pass through a Script first: a test can change a message before it
 * is encoded and encrypted, drop it, replace it with others, put different bytes on the wire than in the
 * transcript, or queue extra records (with the peer's current write keys) after it. That is how a test builds
 * an encrypted message that breaks exactly one rule.
 *
 * Also here: deterministic configurations (fixed ephemeral keys, so a recorded conversation can be replayed
 * to a fresh endpoint), record splitting, an output decoder that sees through our own record protection, and
 * a byte-by-byte pump.
 */
import { ContentType } from '../codec/enums.ts';
import type { HandshakeMessage } from '../codec/handshake.ts';
import { encodeHandshake } from '../codec/handshake.ts';
import type { Extension } from '../codec/extensions.ts';
import { RECORD_HEADER_LENGTH, type TLSRecord } from '../codec/record.ts';
import type { RecordProtection } from '../crypto/record-protection.ts';
import { nobleProvider } from '../crypto/noble/index.ts';
import { TlsClient } from './client.ts';
import type { EndpointConfig } from './config.ts';
import type { Endpoint, EndpointEvent } from './endpoint.ts';
import type { TlsError } from './errors.ts';
import { groupName } from './groups.ts';
import { TlsServer } from './server.ts';
import { testClientConfig, testServerConfig } from './testing.ts';
import { concatBytes as concat } from '../codec/bytes.ts';
export { concat };

// ---- deterministic configurations ------------------------------------------------------------------------

const ephemeral = new Map<string, Uint8Array>();

/** One fixed private key per (side, group), for the whole test run: replays give the same handshake. */
export function fixedEphemeral(side: 'client' | 'server'): (group: number) => Uint8Array | undefined {
  return (group) => {
    const name = groupName(group);
    if (!name) return undefined;
    const k = `${side}:${name}`;
    let key = ephemeral.get(k);
    if (!key) {
      key = nobleProvider.keyExchange(name).generate().privateKey;
      ephemeral.set(k, key);
    }
    return key;
  };
}

const TICKET_KEY = new Uint8Array(32).fill(7);

/** testClientConfig with fixed ephemeral keys. */
export function clientConfig(partial: Partial<EndpointConfig> = {}): EndpointConfig {
  return testClientConfig({ ephemeralKey: fixedEphemeral('client'), ...partial });
}

/** testServerConfig with fixed ephemeral keys and a fixed ticket key. */
export function serverConfig(partial: Partial<EndpointConfig> = {}): EndpointConfig {
  return testServerConfig({ ephemeralKey: fixedEphemeral('server'), ticketKey: TICKET_KEY, ...partial });
}

// ---- scripts ---------------------------------------------------------------------------------------------

type MsgType = HandshakeMessage['msg_type'];
export type MsgOf<T extends MsgType> = Extract<HandshakeMessage, { msg_type: T }>;

/** What a hook may do with an outgoing message. */
export interface SendControl {
  /** The peer (its `rl` and `transcript` are public). */
  readonly peer: Endpoint;
  /** How many messages of this type were sent before this one (0 for the first). */
  readonly index: number;
  /** Whether the message goes into the transcript (false for KeyUpdate and NewSessionTicket). */
  readonly toTranscript: boolean;
  /** Send a message the normal way (transcript and wire); returns its encoding. */
  send(msg: HandshakeMessage, toTranscript?: boolean): Uint8Array;
  /** Add bytes to the transcript only. */
  transcript(bytes: Uint8Array): void;
  /** Queue content of a record type with the peer's current write keys (fragmented at splitAt). */
  record(type: number, data: Uint8Array, splitAt?: readonly number[]): void;
  /** Queue raw bytes on the wire, unprotected and unframed. */
  raw(bytes: Uint8Array): void;
  /**
   * Queue one record protected with the current write keys, bypassing the sender-side checks (zero-length
   * content, size, padding): for records no conforming sender makes.
   */
  sealed(type: number, content: Uint8Array, padding?: number): void;
}

/** A hook: send (or not) `msg` through `ctl`. */
export type Hook<T extends MsgType = MsgType> = (msg: MsgOf<T>, ctl: SendControl) => void;

interface Entry {
  type: MsgType | '*';
  hook: Hook;
  /** Only for the n-th message of the type (0-based); undefined: every one. */
  nth?: number;
}

/** The transformations a scripted peer applies to its outgoing handshake messages. */
export class Script {
  private readonly entries: Entry[] = [];
  private readonly counts = new Map<string, number>();

  /** Replace the sending of messages of `type` (the n-th only, when given) by `hook`. */
  on<T extends MsgType>(type: T, hook: Hook<T>, nth?: number): this {
    this.entries.push({ type, hook: hook as unknown as Hook, nth });
    return this;
  }

  /** Change a message before it is encoded; return a replacement, or nothing to send the changed object. */
  mutate<T extends MsgType>(type: T, fn: (msg: MsgOf<T>, index: number) => HandshakeMessage | void, nth?: number): this {
    return this.on(
      type,
      (msg, ctl) => {
        const copy = structuredClone(msg) as MsgOf<T>;
        ctl.send(fn(copy, ctl.index) ?? copy, ctl.toTranscript);
      },
      nth,
    );
  }

  /** Send the message normally, then run `fn` (e.g. to queue extra records under the same keys). */
  after<T extends MsgType>(type: T, fn: (ctl: SendControl, msg: MsgOf<T>) => void, nth?: number): this {
    return this.on(
      type,
      (msg, ctl) => {
        ctl.send(msg, ctl.toTranscript);
        fn(ctl, msg);
      },
      nth,
    );
  }

  /**
   * Send the message's transcript bytes as usual, but put `wire(bytes)` on the wire instead (framed with the
   * rest of the flight, as the record layer coalesces handshake messages).
   */
  wire<T extends MsgType>(type: T, wire: (bytes: Uint8Array, msg: MsgOf<T>) => Uint8Array, nth?: number): this {
    return this.on(
      type,
      (msg, ctl) => {
        const bytes = encodeHandshake(msg);
        if (ctl.toTranscript) ctl.transcript(bytes);
        ctl.record(ContentType.handshake, wire(bytes, msg));
      },
      nth,
    );
  }

  /** Replace the sending of every message without a hook of its own. */
  onEvery(hook: Hook): this {
    this.entries.push({ type: '*', hook });
    return this;
  }

  /** Do not send messages of this type. */
  drop(type: MsgType, nth?: number): this {
    return this.on(type, () => {}, nth);
  }

  run(peer: Endpoint, msg: HandshakeMessage, toTranscript: boolean, send: (m: HandshakeMessage, t: boolean) => Uint8Array): Uint8Array {
    const index = this.counts.get(msg.msg_type) ?? 0;
    this.counts.set(msg.msg_type, index + 1);
    const fits = (e: Entry) => e.nth === undefined || e.nth === index;
    const entry = this.entries.find((e) => e.type === msg.msg_type && fits(e)) ?? this.entries.find((e) => e.type === '*' && fits(e));
    if (!entry) return send(msg, toTranscript);
    let last: Uint8Array = new Uint8Array(0);
    const ctl: SendControl = {
      peer,
      index,
      toTranscript,
      send: (m, t = true) => (last = send(m, t)),
      transcript: (b) => peer.transcript.add(b),
      record: (type, data, splitAt) => peer.rl.send(type, data, { splitAt }),
      raw: (b) => peer.rl.sendRaw(b),
      sealed: (type, content, padding) => {
        peer.rl.flush();
        // The record layer's current write protection (a private field, reached on purpose).
        const prot = (peer.rl as unknown as { writeProt: RecordProtection | null }).writeProt;
        if (!prot) throw new Error('sealed(): the peer has no write keys yet');
        peer.rl.sendRaw(prot.encrypt(type, content, { unchecked: true, padding }).bytes);
      },
    };
    entry.hook(msg, ctl);
    return last;
  }
}

/** The real server, with a Script between its state machine and its record layer. */
export class ScriptedServer extends TlsServer {
  readonly script = new Script();
  protected override sendHandshake(msg: HandshakeMessage, toTranscript = true): Uint8Array {
    return this.script.run(this, msg, toTranscript, (m, t) => super.sendHandshake(m, t));
  }
}

/** The real client, with a Script between its state machine and its record layer. */
export class ScriptedClient extends TlsClient {
  readonly script = new Script();
  protected override sendHandshake(msg: HandshakeMessage, toTranscript = true): Uint8Array {
    return this.script.run(this, msg, toTranscript, (m, t) => super.sendHandshake(m, t));
  }
}

// ---- extension helpers -----------------------------------------------------------------------------------

export function withoutExt(exts: Extension[] | undefined, type: Extension['type']): Extension[] {
  return (exts ?? []).filter((e) => e.type !== type);
}

export function replaceExt(exts: Extension[] | undefined, ext: Extension): Extension[] {
  const out = [...(exts ?? [])];
  const i = out.findIndex((e) => e.type === ext.type);
  if (i >= 0) out[i] = ext;
  else out.push(ext);
  return out;
}

// ---- the wire --------------------------------------------------------------------------------------------

/** Split a byte stream into whole records (and a trailing partial one, as raw bytes, if any). */
export function splitRecords(bytes: Uint8Array): { records: Uint8Array[]; rest: Uint8Array } {
  const records: Uint8Array[] = [];
  let off = 0;
  while (bytes.length - off >= RECORD_HEADER_LENGTH) {
    const len = (bytes[off + 3] << 8) | bytes[off + 4];
    if (bytes.length - off < RECORD_HEADER_LENGTH + len) break;
    records.push(bytes.slice(off, off + RECORD_HEADER_LENGTH + len));
    off += RECORD_HEADER_LENGTH + len;
  }
  return { records, rest: bytes.slice(off) };
}


export function plainRecord(type: number, fragment: Uint8Array, version = 0x0303): Uint8Array {
  return concat(Uint8Array.of(type, version >> 8, version & 0xff, fragment.length >> 8, fragment.length & 0xff), fragment);
}

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

/** One record an endpoint sent, with its content in the clear: protected records are seen through. */
export interface SentRecord {
  /** The content type (the inner one for a protected record). */
  type: number;
  content: Uint8Array;
  protected: boolean;
}

/**
 * Watch what an endpoint queues: every record it protects is remembered with its plaintext, so the bytes
 * of `takeOutput()` can be decoded afterwards with `decode(bytes)`.
 */
export class OutputDecoder {
  private readonly sealed = new Map<string, { type: number; content: Uint8Array }>();

  constructor(ep: Endpoint) {
    const rl = ep.rl;
    const set = rl.setWriteProtection.bind(rl);
    rl.setWriteProtection = (p: RecordProtection | null) => {
      if (p) {
        const encrypt = p.encrypt.bind(p);
        p.encrypt = (type, content, opts) => {
          const r = encrypt(type, content, opts);
          this.sealed.set(hex(r.bytes), { type, content: Uint8Array.from(content) });
          return r;
        };
      }
      set(p);
    };
  }

  decode(bytes: Uint8Array): SentRecord[] {
    const { records, rest } = splitRecords(bytes);
    if (rest.length) throw new Error(`output ends with ${rest.length} bytes that are not a whole record`);
    return records.map((r) => {
      const seen = this.sealed.get(hex(r));
      if (seen) return { ...seen, protected: true };
      return { type: r[0], content: r.subarray(RECORD_HEADER_LENGTH), protected: false };
    });
  }
}

// ---- driving ---------------------------------------------------------------------------------------------

export interface Drive {
  /** Alter what goes over the wire (default: nothing). */
  tap?: (from: 'client' | 'server', bytes: Uint8Array) => Uint8Array;
  /** Deliver one byte at a time. */
  byteByByte?: boolean;
  maxRounds?: number;
}

/** Move bytes both ways until both sides are quiet. */
export function drive(client: Endpoint, server: Endpoint, opts: Drive = {}): void {
  const max = opts.maxRounds ?? 200;
  const deliver = (to: Endpoint, bytes: Uint8Array) => {
    if (!opts.byteByByte) return to.receive(bytes);
    for (let i = 0; i < bytes.length; i++) to.receive(bytes.subarray(i, i + 1));
  };
  for (let i = 0; i < max; i++) {
    let c = client.takeOutput();
    let s = server.takeOutput();
    if (c.length === 0 && s.length === 0) return;
    if (opts.tap) {
      if (c.length) c = opts.tap('client', c);
      if (s.length) s = opts.tap('server', s);
    }
    if (c.length) deliver(server, c);
    if (s.length) deliver(client, s);
  }
  throw new Error(`drive: still talking after ${max} rounds`);
}

export const errorOf = (events: EndpointEvent[]): TlsError | undefined =>
  (events.find((e) => e.type === 'error') as Extract<EndpointEvent, { type: 'error' }> | undefined)?.error;

export type { TLSRecord };
