/**
 * Robustness of the reference endpoints speaking TLS 1.2 (fast-check, fixed seeds via fcParams): whatever
 * the peer sends, at whatever stage (before the ClientHello, after each flight, after the ChangeCipherSpec,
 * after the handshake), `receive` never throws, the endpoint ends in a defined state, a failure is reported
 * exactly once with a TlsError naming a real alert and an RFC rule, a failure caused by the peer queues
 * exactly one fatal alert (the last record it sent, decoded through our own record protection), nothing is
 * processed after a failure, and every case takes bounded time.
 *
 * Same method as ../robustness.test.ts: a real TLS 1.2 conversation (one handshake message per record, fixed
 * randomness, fixed ephemeral keys, and a provider that makes the randomized RSA operations repeatable) is
 * recorded once per variant; a fresh endpoint configured like the recorded one is taken to stage k by the
 * recorded peer records 0..k-1, then gets (a) random bytes, (b) well-framed records of random types and
 * contents, in the clear or protected with the peer's real keys at that stage, or (c) the peer's remaining
 * records mutated; and (d) live conversations where the peer mutates one of its handshake messages before
 * it is encoded and protected.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AlertDescription, CipherSuite, ContentType, NamedGroup } from '../../codec/enums.ts';
import { arbMutation, applyMutation, type Mutation } from '../../codec/arbitraries.ts';
import { encodeHandshake, type HandshakeMessage } from '../../codec/handshake.ts';
import { fcParams } from '../../codec/fc.ts';
import type { RecordProtection } from '../../crypto/record-protection.ts';
import type { CryptoProvider } from '../../crypto/provider.ts';
import { nobleProvider } from '../../crypto/noble/index.ts';
import {
  DUAL_CIPHER_SUITES,
  MemorySessionCache12,
  MemorySessionStore,
  type EndpointConfig,
  type SessionCache12,
  type SessionStore,
  type StoredSession12,
} from '../config.ts';
import { TlsClient } from '../client.ts';
import type { Endpoint, EndpointEvent } from '../endpoint.ts';
import { TlsServer } from '../server.ts';
import { OutputDecoder, ScriptedClient, ScriptedServer, clientConfig, concat, drive, plainRecord, serverConfig, splitRecords } from '../peers.ts';
import { TEST_PKI } from '../testing.ts';

const enc = (s: string) => new TextEncoder().encode(s);
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const ALERT_NAMES = new Set(Object.keys(AlertDescription));
/** A hang guard, not a speed test. */
const CASE_BUDGET_MS = 10_000;

// ---- repeatable conversations ----------------------------------------------------------------------------

/**
 * nobleProvider, except that RSA-PSS signatures and RSA PKCS#1 encryption (randomized) give the same output
 * for the same input during the test run, and RSA decryption of a ciphertext seen before is answered from a
 * cache: a recorded conversation replays to a fresh endpoint, and replays are cheap.
 */
function repeatableProvider(): CryptoProvider {
  const sigs = new Map<string, Uint8Array>();
  const encs = new Map<string, Uint8Array>();
  const decs = new Map<string, Uint8Array | null>();
  const keyIds = new WeakMap<object, number>();
  let nextId = 0;
  // RSA keys by modulus (a fresh client parses the server's public key anew from each Certificate), others by object.
  const id = (k: object) => {
    if ('n' in k && typeof k.n === 'bigint') return `rsa:${k.n.toString(36)}`;
    let n = keyIds.get(k);
    if (n === undefined) keyIds.set(k, (n = ++nextId));
    return n;
  };
  return Object.assign(Object.create(nobleProvider), {
    sign(scheme, key, msg) {
      const k = `${scheme}:${id(key)}:${hex(msg)}`;
      let s = sigs.get(k);
      if (!s) sigs.set(k, (s = nobleProvider.sign(scheme, key, msg)));
      return Uint8Array.from(s);
    },
    rsaEncrypt(key, msg) {
      const k = `${id(key)}:${hex(msg)}`;
      let c = encs.get(k);
      if (!c) encs.set(k, (c = nobleProvider.rsaEncrypt(key, msg)));
      return Uint8Array.from(c);
    },
    rsaDecrypt(key, c) {
      const k = `${id(key)}:${hex(c)}`;
      if (!decs.has(k)) decs.set(k, nobleProvider.rsaDecrypt(key, c));
      const m = decs.get(k);
      return m ? Uint8Array.from(m) : null;
    },
  } satisfies Partial<CryptoProvider>) as CryptoProvider;
}

const provider = repeatableProvider();
/** One certificate set for every server of this file (same key objects, so the provider's caches hit). */
const SERVER_CERTS = [TEST_PKI.p256(), TEST_PKI.rsa(), TEST_PKI.ed25519()];
const CLIENT_CERT = TEST_PKI.client();

const S = CipherSuite;
const base12Client = (suite: number, partial: Partial<EndpointConfig> = {}): Partial<EndpointConfig> => ({ provider, cipherSuites: [suite], ...partial });
const base12Server = (partial: Partial<EndpointConfig> = {}): Partial<EndpointConfig> => ({ provider, cipherSuites: DUAL_CIPHER_SUITES, certificates: SERVER_CERTS, ...partial });

/** A client store that always offers the same TLS 1.2 session and keeps nothing new (replays stay identical). */
function frozenStore(s: StoredSession12): SessionStore {
  return { get: () => undefined, put: () => {}, get12: () => s, put12: () => {} };
}

/** A server cache that knows the sessions of `cache` and keeps nothing new. */
function frozenCache(cache: SessionCache12): SessionCache12 {
  return { get: (k) => cache.get(k), put: () => {} };
}

type Side = 'client' | 'server';

interface Variant {
  name: string;
  client: () => Partial<EndpointConfig>;
  server: () => Partial<EndpointConfig>;
  resumed?: boolean;
}

let byId: { store: SessionStore; cache: SessionCache12 } | undefined;
/** A session cached by the server under a session ID (tickets off), and the client's copy. */
function sessionById(): { store: SessionStore; cache: SessionCache12 } {
  if (!byId) {
    const store = new MemorySessionStore();
    const cache = new MemorySessionCache12();
    const c = new TlsClient(clientConfig(base12Client(S.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, { sessionStore: store, sessionTickets12: false })));
    const s = new TlsServer(serverConfig(base12Server({ sessionCache12: cache })));
    c.start();
    drive(c, s);
    expect(c.state).toBe('connected');
    const session = store.get12('localhost')!;
    expect(session.sessionId.length).toBe(32);
    byId = { store: frozenStore(session), cache: frozenCache(cache) };
  }
  return byId;
}

let byTicket: SessionStore | undefined;
/** A TLS 1.2 ticket (no server cache), offered by a frozen client store. */
function sessionByTicket(): SessionStore {
  if (!byTicket) {
    const store = new MemorySessionStore();
    const c = new TlsClient(clientConfig(base12Client(S.TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256, { sessionStore: store })));
    const s = new TlsServer(serverConfig(base12Server({ sessionCache12: undefined })));
    c.start();
    drive(c, s);
    expect(c.state).toBe('connected');
    const session = store.get12('localhost')!;
    expect(session.ticket?.length).toBeGreaterThan(0);
    byTicket = frozenStore(session);
  }
  return byTicket;
}

const VARIANTS: Variant[] = [
  { name: 'RSA key exchange, AES-128-CBC-SHA, encrypt-then-MAC', client: () => base12Client(S.TLS_RSA_WITH_AES_128_CBC_SHA), server: () => base12Server() },
  {
    name: 'RSA key exchange, AES-128-CBC-SHA256, MAC-then-encrypt',
    client: () => base12Client(S.TLS_RSA_WITH_AES_128_CBC_SHA256, { encryptThenMac: false }),
    server: () => base12Server(),
  },
  { name: 'ECDHE_ECDSA, AES-128-GCM', client: () => base12Client(S.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256), server: () => base12Server() },
  {
    name: 'DHE_RSA (ffdhe2048), AES-128-GCM',
    client: () => base12Client(S.TLS_DHE_RSA_WITH_AES_128_GCM_SHA256, { groups: [NamedGroup.ffdhe2048] }),
    server: () => base12Server({ groups: [NamedGroup.ffdhe2048] }),
  },
  {
    name: 'resumption by session ID',
    client: () => base12Client(S.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, { sessionStore: sessionById().store, sessionTickets12: false }),
    server: () => base12Server({ sessionCache12: sessionById().cache }),
    resumed: true,
  },
  {
    name: 'resumption by ticket (renewed), CBC',
    client: () => base12Client(S.TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256, { sessionStore: sessionByTicket() }),
    server: () => base12Server({ sessionCache12: undefined }),
    resumed: true,
  },
  {
    name: 'client authentication, ECDHE_RSA AES-256-GCM',
    client: () => base12Client(S.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384, { certificates: [CLIENT_CERT] }),
    server: () => base12Server({ requestClientCert: true, requireClientCert: true }),
  },
];

// ---- recording -------------------------------------------------------------------------------------------

interface Recorded {
  records: Uint8Array[];
  /** protAt[k]: this side's write protection for its next protected record once records 0..k-1 are sent. */
  protAt: (RecordProtection | null)[];
}

interface Conversation {
  variant: Variant;
  client: Recorded;
  server: Recorded;
  final: Record<Side, Endpoint['state']>;
}

function cloneProtection(p: RecordProtection): RecordProtection {
  const c = Object.assign(Object.create(Object.getPrototypeOf(p)), p) as RecordProtection & { encrypt?: unknown };
  delete (c as { encrypt?: unknown }).encrypt;
  return c;
}

function watchProtection(ep: Endpoint): { before: Map<string, RecordProtection>; current: () => RecordProtection | null } {
  const before = new Map<string, RecordProtection>();
  let current: RecordProtection | null = null;
  const rl = ep.rl;
  const set = rl.setWriteProtection.bind(rl);
  rl.setWriteProtection = (p) => {
    set(p);
    if (p) {
      const encrypt = p.encrypt.bind(p);
      p.encrypt = (type, content, opts) => {
        const snapshot = cloneProtection(p);
        const r = encrypt(type, content, opts);
        before.set(hex(r.bytes), snapshot);
        return r;
      };
    }
    current = p;
  };
  return { before, current: () => current };
}

function protAt(records: Uint8Array[], w: ReturnType<typeof watchProtection>): (RecordProtection | null)[] {
  const out: (RecordProtection | null)[] = new Array(records.length + 1);
  const last = w.current();
  let next: RecordProtection | null = last ? cloneProtection(last) : null;
  out[records.length] = next;
  for (let k = records.length - 1; k >= 0; k--) {
    const p = w.before.get(hex(records[k]));
    if (p) next = p;
    out[k] = next;
  }
  return out;
}

/** Send a post-handshake message the way the endpoints do (outside the transcript). */
const sendPost = (ep: Endpoint, msg: HandshakeMessage) => (ep as unknown as { sendHandshake(m: HandshakeMessage, t: boolean): void }).sendHandshake(msg, false);

const RENEGOTIATING_HELLO: HandshakeMessage = {
  msg_type: 'client_hello',
  legacy_version: 0x0303,
  random: new Uint8Array(32).fill(5),
  legacy_session_id: new Uint8Array(0),
  cipher_suites: [S.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256],
  legacy_compression_methods: [0],
  extensions: [],
};

const conversations = new Map<string, Conversation>();

/**
 * Record a whole conversation: handshake, data both ways, a HelloRequest from the server and a ClientHello
 * from the client (both refused with a warning no_renegotiation), more data, close_notify both ways.
 */
function conversation(v: Variant): Conversation {
  const cached = conversations.get(v.name);
  if (cached) return cached;
  const client = new ScriptedClient(clientConfig(v.client()));
  const server = new ScriptedServer(serverConfig(v.server()));
  for (const ep of [client, server]) {
    ep.script.onEvery((msg, ctl) => {
      ctl.peer.rl.flush();
      ctl.send(msg, ctl.toTranscript);
      ctl.peer.rl.flush();
    });
  }
  const wc = watchProtection(client);
  const ws = watchProtection(server);
  const sent: Record<Side, Uint8Array[]> = { client: [], server: [] };
  const tap = (from: Side, bytes: Uint8Array) => {
    sent[from].push(bytes);
    return bytes;
  };
  client.start();
  drive(client, server, { tap });
  expect(client.state, `${v.name}: recorded client`).toBe('connected');
  expect(server.state, `${v.name}: recorded server`).toBe('connected');
  expect(client.summary).toMatchObject({ version: 'TLSv1.2', resumed: v.resumed ?? false });
  client.write(enc('ping'));
  server.write(enc('pong'));
  drive(client, server, { tap });
  sendPost(server, { msg_type: 'hello_request' });
  drive(client, server, { tap });
  sendPost(client, RENEGOTIATING_HELLO);
  drive(client, server, { tap });
  expect(client.renegotiationsRefused).toBe(1);
  expect(server.renegotiationsRefused).toBe(1);
  client.write(enc('after the refusals'));
  server.write(enc('me too'));
  drive(client, server, { tap });
  client.close();
  drive(client, server, { tap });
  expect(client.state).toBe('closed');
  expect(server.state).toBe('closed');
  const records = (side: Side) => splitRecords(concat(...sent[side])).records;
  const cr = records('client');
  const sr = records('server');
  const conv: Conversation = {
    variant: v,
    client: { records: cr, protAt: protAt(cr, wc) },
    server: { records: sr, protAt: protAt(sr, ws) },
    final: { client: client.state, server: server.state },
  };
  conversations.set(v.name, conv);
  return conv;
}

function fresh(v: Variant, side: Side): Endpoint {
  return side === 'client' ? new TlsClient(clientConfig(v.client())) : new TlsServer(serverConfig(v.server()));
}

// ---- the invariants --------------------------------------------------------------------------------------

/** Alerts a live TLS 1.2 endpoint may send without failing: close_notify, and the refusal of a renegotiation. */
const NON_FATAL_ALERTS = [
  [1, AlertDescription.close_notify],
  [1, AlertDescription.no_renegotiation],
].map((a) => a.join(','));

class Harness {
  readonly events: EndpointEvent[] = [];
  readonly sent: { call: number; type: number; content: Uint8Array }[] = [];
  readonly wire: Uint8Array[] = [];
  private readonly decoder: OutputDecoder;
  private call = 0;
  private failedAtCall: number | undefined;

  constructor(readonly ep: Endpoint) {
    this.decoder = new OutputDecoder(ep);
    if (ep instanceof TlsClient) ep.start();
    this.collect();
  }

  private collect(): void {
    const out = this.ep.takeOutput();
    this.wire.push(out);
    for (const r of this.decoder.decode(out)) this.sent.push({ call: this.call, type: r.type, content: r.content });
    this.events.push(...this.ep.takeEvents());
  }

  takeWire(): Uint8Array {
    return concat(...this.wire.splice(0));
  }

  receive(bytes: Uint8Array): void {
    this.call++;
    let thrown: unknown;
    try {
      this.ep.receive(bytes);
    } catch (e) {
      thrown = e;
    }
    expect(thrown, 'receive must never throw').toBeUndefined();
    this.collect();
    if (this.ep.state === 'failed' && this.failedAtCall === undefined) this.failedAtCall = this.call;
  }

  check(): void {
    const ep = this.ep;
    expect(['handshaking', 'connected', 'closed', 'failed']).toContain(ep.state);
    const errors = this.events.filter((e): e is Extract<EndpointEvent, { type: 'error' }> => e.type === 'error');
    const ourAlerts = this.sent.filter((r) => r.type === ContentType.alert);
    if (ep.state !== 'failed') {
      expect(errors).toEqual([]);
      for (const a of ourAlerts) expect(NON_FATAL_ALERTS, `alert ${[...a.content]}`).toContain([...a.content].join(','));
      if (ep.state === 'connected') expect(ep.summary?.version).toBe('TLSv1.2');
      return;
    }
    expect(errors, 'exactly one error event').toHaveLength(1);
    const err = errors[0].error;
    expect(ep.error).toBe(err);
    expect(ALERT_NAMES.has(err.alert), `alert ${err.alert}`).toBe(true);
    expect(err.rule, `rule of: ${err.message}`).toMatch(/^RFC \d{4}/);
    if (err.origin === 'peer') {
      const fatal = ourAlerts.filter((a) => a.content[0] === 2);
      expect(fatal, `one fatal alert for: ${err.message}`).toHaveLength(1);
      expect([...fatal[0].content]).toEqual([2, AlertDescription[err.alert]]);
      expect(this.sent.at(-1)).toEqual(fatal[0]);
      expect(fatal[0].call).toBe(this.failedAtCall);
    } else if (err.origin === 'alert-received') {
      expect(ourAlerts.filter((a) => a.content[0] === 2)).toEqual([]);
    }
  }

  checkInert(more: Uint8Array[]): void {
    const state = this.ep.state;
    if (state !== 'failed' && state !== 'closed') return;
    const before = this.sent.length;
    const events = this.events.length;
    for (const b of more) this.receive(b);
    if (state === 'failed') {
      this.ep.write(enc('x'));
      this.ep.keyUpdate(true);
      this.ep.close();
      this.collect();
    }
    expect(this.sent.length, 'output after the end').toBe(before);
    expect(this.events.length, 'events after the end').toBe(events);
    expect(this.ep.state).toBe(state);
  }
}

function chunks(bytes: Uint8Array, cuts: number[]): Uint8Array[] {
  if (bytes.length === 0) return [bytes];
  const at = [...new Set(cuts.map((c) => c % bytes.length).filter((c) => c > 0))].sort((a, b) => a - b);
  const out: Uint8Array[] = [];
  let start = 0;
  for (const c of [...at, bytes.length]) {
    out.push(bytes.subarray(start, c));
    start = c;
  }
  return out;
}

function runCase(conv: Conversation, side: Side, k: number, fuzz: Uint8Array[]): Harness {
  const t0 = performance.now();
  const peer = side === 'client' ? conv.server : conv.client;
  const h = new Harness(fresh(conv.variant, side));
  for (const r of peer.records.slice(0, k)) h.receive(r);
  expect(h.ep.state, 'the intact prefix must not fail').not.toBe('failed');
  for (const c of fuzz) h.receive(c);
  h.check();
  h.checkInert([...peer.records.slice(k), Uint8Array.of(23, 3, 3, 0, 1, 0)]);
  expect(performance.now() - t0, 'case time (ms)').toBeLessThan(CASE_BUDGET_MS);
  return h;
}

/** A live conversation with a scripted peer that mutates the encoding of its `nth` handshake message. */
function runLiveCase(v: Variant, side: Side, nth: number, muts: Mutation[]): Harness {
  const t0 = performance.now();
  const peer = side === 'client' ? new ScriptedServer(serverConfig(v.server())) : new ScriptedClient(clientConfig(v.client()));
  let n = 0;
  peer.script.onEvery((msg, ctl) => {
    if (n++ !== nth) return void ctl.send(msg, ctl.toTranscript);
    let bytes = encodeHandshake(msg);
    for (const m of muts) bytes = applyMutation(bytes, m);
    if (ctl.toTranscript) ctl.transcript(bytes);
    if (bytes.length > 0) ctl.record(ContentType.handshake, bytes);
  });
  const h = new Harness(fresh(v, side));
  if (peer instanceof ScriptedClient) peer.start();
  for (let round = 0; ; round++) {
    expect(round, 'the conversation ends').toBeLessThan(50);
    const toPeer = h.takeWire();
    const toUs = peer.takeOutput();
    if (toPeer.length === 0 && toUs.length === 0) break;
    if (toPeer.length) peer.receive(toPeer);
    if (toUs.length) h.receive(toUs);
  }
  h.check();
  h.checkInert([Uint8Array.of(23, 3, 3, 0, 1, 0)]);
  expect(performance.now() - t0, 'case time (ms)').toBeLessThan(CASE_BUDGET_MS);
  return h;
}

// ---- arbitraries -----------------------------------------------------------------------------------------

const arbCuts = fc.array(fc.nat(), { maxLength: 4 });
const arbRandomBytes = fc.array(fc.uint8Array({ minLength: 1, maxLength: 300 }), { minLength: 1, maxLength: 3 });

interface FuzzRecord {
  type: number;
  fragment: Uint8Array;
  protect: boolean;
  version: number;
}

/** TLS 1.2 handshake types (hello_request 0 ... finished 20), and any byte. */
const arbHandshakeFragment = fc
  .record({ type: fc.oneof(fc.constantFrom(0, 1, 2, 4, 11, 12, 13, 14, 15, 16, 20), fc.integer({ min: 0, max: 255 })), body: fc.uint8Array({ maxLength: 48 }), lie: fc.option(fc.integer({ min: 0, max: 0xffffff }), { freq: 3 }) })
  .map(({ type, body, lie }) => {
    const len = lie ?? body.length;
    return concat(Uint8Array.of(type, len >> 16, (len >> 8) & 0xff, len & 0xff), body);
  });

const arbFuzzRecord: fc.Arbitrary<FuzzRecord> = fc.record({
  type: fc.oneof(fc.constantFrom(ContentType.change_cipher_spec, ContentType.alert, ContentType.handshake, ContentType.application_data), fc.integer({ min: 0, max: 255 })),
  fragment: fc.oneof(
    fc.uint8Array({ maxLength: 64 }),
    arbHandshakeFragment,
    fc.constantFrom(Uint8Array.of(1), Uint8Array.of(2, 10), Uint8Array.of(1, 0), Uint8Array.of(1, 100), Uint8Array.of(0, 0, 0, 0), Uint8Array.of(20, 0, 0, 12, ...new Uint8Array(12))),
  ),
  protect: fc.boolean(),
  version: fc.constantFrom(0x0303, 0x0303, 0x0301, 0x0300, 0x0304),
});

function encodeFuzzRecords(recs: FuzzRecord[], prot: RecordProtection | null): Uint8Array {
  const p = prot ? cloneProtection(prot) : null;
  return concat(...recs.map((r) => (r.protect && p ? p.encrypt(r.type, r.fragment, { unchecked: true }).bytes : plainRecord(r.type, r.fragment, r.version))));
}

type RecordOp = { op: 'dup' | 'drop'; i: number } | { op: 'swap'; i: number; j: number };
const arbRecordOp: fc.Arbitrary<RecordOp> = fc.oneof(
  fc.record({ op: fc.constantFrom('dup' as const, 'drop' as const), i: fc.nat() }),
  fc.record({ op: fc.constant('swap' as const), i: fc.nat(), j: fc.nat() }),
);

function mutateStream(records: Uint8Array[], ops: RecordOp[], muts: Mutation[]): Uint8Array {
  const rs = [...records];
  for (const o of ops) {
    if (rs.length === 0) break;
    const i = o.i % rs.length;
    if (o.op === 'dup') rs.splice(i, 0, rs[i]);
    else if (o.op === 'drop') rs.splice(i, 1);
    else if (o.op === 'swap') {
      const j = o.j % rs.length;
      [rs[i], rs[j]] = [rs[j], rs[i]];
    }
  }
  let bytes = concat(...rs);
  for (const m of muts) bytes = applyMutation(bytes, m);
  return bytes;
}

const arbMutations = fc
  .record({ ops: fc.array(arbRecordOp, { maxLength: 2 }), muts: fc.array(arbMutation, { maxLength: 3 }) })
  .filter(({ ops, muts }) => ops.length + muts.length > 0);

// ---- the properties --------------------------------------------------------------------------------------

/** Default runs per property (FC_NUM_RUNS overrides): small, so the file runs in a few seconds. */
const RUNS = 6;

describe('robustness of the TLS 1.2 endpoints against any input (fast-check)', () => {
  for (const v of VARIANTS) {
    for (const side of ['client', 'server'] as const) {
      describe(`${side}, ${v.name}`, () => {
        it('the recorded conversation replays to a fresh endpoint, records whole or split anywhere', () => {
          const conv = conversation(v);
          const peer = side === 'client' ? conv.server : conv.client;
          const h = runCase(conv, side, peer.records.length, []);
          expect(h.ep.state).toBe(conv.final[side]);
          expect(h.events.some((e) => e.type === 'handshake_complete')).toBe(true);
          expect(h.events).toContainEqual({ type: 'alert', level: 1, description: AlertDescription.no_renegotiation });
          fc.assert(
            fc.property(arbCuts, (cuts) => {
              const split = runCase(conv, side, 0, chunks(concat(...peer.records), cuts));
              expect(split.ep.state).toBe(conv.final[side]);
              expect(split.events.map((e) => e.type)).toEqual(h.events.map((e) => e.type));
            }),
            fcParams(2),
          );
        });

        it('every stage: the intact prefix, then a record of each content type (protected when keys are on), then the rest', () => {
          const conv = conversation(v);
          const peer = side === 'client' ? conv.server : conv.client;
          for (let k = 0; k <= peer.records.length; k++) {
            for (const type of [ContentType.change_cipher_spec, ContentType.alert, ContentType.handshake, ContentType.application_data, 0x42]) {
              const frag = type === ContentType.alert ? Uint8Array.of(2, AlertDescription.bad_certificate) : Uint8Array.of(1);
              runCase(conv, side, k, [encodeFuzzRecords([{ type, fragment: frag, protect: true, version: 0x0303 }], peer.protAt[k])]);
            }
          }
        });

        it('(a) random bytes at any stage', () => {
          const conv = conversation(v);
          const peer = side === 'client' ? conv.server : conv.client;
          fc.assert(
            fc.property(fc.integer({ min: 0, max: peer.records.length }), arbRandomBytes, (k, bytes) => void runCase(conv, side, k, bytes)),
            fcParams(RUNS),
          );
        });

        it('(b) well-framed records of random types and contents, protected with the real keys or not, at any stage', () => {
          const conv = conversation(v);
          const peer = side === 'client' ? conv.server : conv.client;
          fc.assert(
            fc.property(fc.integer({ min: 0, max: peer.records.length }), fc.array(arbFuzzRecord, { minLength: 1, maxLength: 4 }), arbCuts, (k, recs, cuts) => {
              runCase(conv, side, k, chunks(encodeFuzzRecords(recs, peer.protAt[k]), cuts));
            }),
            fcParams(RUNS),
          );
        });

        it('(c) the real peer bytes mutated (flips, truncation, insertion, deletion, duplicated, reordered, dropped records), split anywhere', () => {
          const conv = conversation(v);
          const peer = side === 'client' ? conv.server : conv.client;
          fc.assert(
            fc.property(fc.integer({ min: 0, max: peer.records.length }), arbMutations, arbCuts, (k, { ops, muts }, cuts) => {
              runCase(conv, side, k, chunks(mutateStream(peer.records.slice(k), ops, muts), cuts));
            }),
            fcParams(RUNS),
          );
        });
      });
    }
  }
});

describe('robustness of the TLS 1.2 endpoints against mutated handshake messages, protected with the real keys (fast-check)', () => {
  for (const v of VARIANTS) {
    for (const side of ['client', 'server'] as const) {
      it(`${side}, ${v.name}: one of the peer's messages mutated before it is protected`, () => {
        // The server sends up to 6 handshake messages (ServerHello ... Finished), the client up to 5.
        fc.assert(
          fc.property(fc.integer({ min: 0, max: side === 'client' ? 6 : 4 }), fc.array(arbMutation, { minLength: 1, maxLength: 3 }), (nth, muts) => void runLiveCase(v, side, nth, muts)),
          fcParams(RUNS),
        );
      });
    }
  }
});

describe('a valid TLS 1.2 handshake delivered one byte at a time', () => {
  for (const v of VARIANTS) {
    it(`completes (${v.name})`, () => {
      const client = new TlsClient(clientConfig(v.client()));
      const server = new TlsServer(serverConfig(v.server()));
      client.start();
      drive(client, server, { byteByByte: true });
      expect(client.state).toBe('connected');
      expect(server.state).toBe('connected');
      expect(client.summary).toMatchObject({ version: 'TLSv1.2', resumed: v.resumed ?? false });
      client.write(enc('ping'));
      drive(client, server, { byteByByte: true });
      expect(server.takeEvents()).toContainEqual({ type: 'application_data', data: enc('ping') });
    });
  }
});
