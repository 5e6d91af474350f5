/**
 * Robustness of the reference endpoints (fast-check, fixed seeds via fcParams): whatever the peer sends,
 * at whatever stage of the handshake, `receive` never throws, the endpoint ends in a defined state, a
 * failure is reported exactly once with a TlsError naming a real alert and an RFC rule, a failure caused
 * by the peer queues exactly one fatal alert (decoded from the output, through our own record protection),
 * nothing is processed after a failure, and every case takes bounded time.
 *
 * How a stage is reached: a real conversation (client and server with fixed randomness and ephemeral keys,
 * each handshake message in its own record) is recorded once per variant. A fresh endpoint, configured
 * like the recorded one, makes the same messages, so the recorded peer records 0..k-1 take it to stage k;
 * then it gets the fuzzed input: (a) random bytes, (b) well-framed records of random content types and
 * contents (protected with the peer's real keys at that point, or in the clear), or (c) the real peer's
 * remaining records mutated (bit flips, truncation, insertion, deletion, duplication, reordering, dropping
 * of records) and split at random points.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AlertDescription, ContentType, NamedGroup } from '../codec/enums.ts';
import { arbMutation, applyMutation, type Mutation } from '../codec/arbitraries.ts';
import { encodeHandshake } from '../codec/handshake.ts';
import { fcParams } from '../codec/fc.ts';
import type { RecordProtection } from '../crypto/record-protection.ts';
import { MemorySessionStore, type EndpointConfig, type SessionStore, type StoredTicket } from './config.ts';
import { TlsClient } from './client.ts';
import type { Endpoint, EndpointEvent } from './endpoint.ts';
import { TlsServer } from './server.ts';
import { OutputDecoder, ScriptedClient, ScriptedServer, clientConfig, concat, drive, plainRecord, serverConfig, splitRecords } from './peers.ts';
import { TEST_PKI } from './testing.ts';

const enc = (s: string) => new TextEncoder().encode(s);
const X25519 = NamedGroup.x25519;
const P256 = NamedGroup.secp256r1;
const ALERT_NAMES = new Set(Object.keys(AlertDescription));
/** Each case must finish well under a second. */
// A hang guard, not a speed test: a case does a bounded amount of work, far below this even on a loaded machine.
const CASE_BUDGET_MS = 10_000;

// ---- recorded conversations ------------------------------------------------------------------------------

type Side = 'client' | 'server';

interface Recorded {
  /** The records this side sent, in order. */
  records: Uint8Array[];
  /**
   * protAt[k]: a copy of this side's write protection as it would protect its next protected record once
   * records 0..k-1 are sent (null while it has none): for well-protected fuzz records at stage k.
   */
  protAt: (RecordProtection | null)[];
}

interface Variant {
  name: string;
  client: () => Partial<EndpointConfig>;
  server: () => Partial<EndpointConfig>;
}

interface Conversation {
  variant: Variant;
  client: Recorded;
  server: Recorded;
  /** Final state of each side in the recording. */
  final: Record<Side, Endpoint['state']>;
}

/** A copy of a protection object at its current sequence number (the AEAD object itself is stateless). */
function cloneProtection(p: RecordProtection): RecordProtection {
  const c = Object.assign(Object.create(Object.getPrototypeOf(p)), p) as RecordProtection & { encrypt?: unknown };
  delete (c as { encrypt?: unknown }).encrypt; // the recording's wrapper, an own property
  return c;
}

/** Remember, for every protected record an endpoint sends, its write protection just before. */
function watchProtection(ep: Endpoint): { before: Map<string, RecordProtection>; current: () => RecordProtection | null } {
  const before = new Map<string, RecordProtection>();
  let current: RecordProtection | null = null;
  const rl = ep.rl;
  const set = rl.setWriteProtection.bind(rl);
  rl.setWriteProtection = (p) => {
    set(p); // flushes the pending flight under the old keys first
    if (p) {
      const encrypt = p.encrypt.bind(p);
      p.encrypt = (type, content, opts) => {
        const snapshot = cloneProtection(p);
        const r = encrypt(type, content, opts);
        before.set(Buffer.from(r.bytes).toString('hex'), snapshot);
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
    const p = w.before.get(Buffer.from(records[k]).toString('hex'));
    if (p) next = p;
    out[k] = next;
  }
  return out;
}

/** A session store that always offers the same ticket and keeps nothing new (replays stay identical). */
function frozenStore(ticket: StoredTicket): SessionStore {
  return { get: () => ticket, put: () => {} };
}

let resumptionTicket: StoredTicket | undefined;
function ticket(): StoredTicket {
  if (!resumptionTicket) {
    const store = new MemorySessionStore();
    const c = new TlsClient(clientConfig({ sessionStore: store }));
    const s = new TlsServer(serverConfig({ maxEarlyData: 1024 }));
    c.start();
    drive(c, s);
    resumptionTicket = store.get('localhost')!;
    expect(resumptionTicket).toBeDefined();
  }
  return resumptionTicket;
}

const VARIANTS: Variant[] = [
  { name: 'full handshake', client: () => ({}), server: () => ({}) },
  {
    name: 'HelloRetryRequest with a cookie',
    client: () => ({ groups: [X25519, P256] }),
    server: () => ({ forceHelloRetry: true, helloRetryCookie: true, groups: [P256, X25519] }),
  },
  {
    name: 'client authentication',
    client: () => ({ certificates: [TEST_PKI.client()] }),
    server: () => ({ requestClientCert: true, requireClientCert: true }),
  },
  {
    name: 'resumption with 0-RTT',
    client: () => ({ sessionStore: frozenStore(ticket()), earlyData: enc('early data') }),
    server: () => ({ maxEarlyData: 1024, acceptEarlyData: true }),
  },
];

const conversations = new Map<string, Conversation>();

/** Record a whole conversation: handshake, data both ways, KeyUpdate(update_requested), close_notify. */
function conversation(v: Variant): Conversation {
  const cached = conversations.get(v.name);
  if (cached) return cached;
  const client = new ScriptedClient(clientConfig(v.client()));
  const server = new ScriptedServer(serverConfig(v.server()));
  // One handshake message per record, so that every message boundary is a stage.
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
  client.write(enc('ping'));
  server.write(enc('pong'));
  drive(client, server, { tap });
  client.keyUpdate(true);
  drive(client, server, { tap });
  client.write(enc('after the update'));
  server.write(enc('me too'));
  drive(client, server, { tap });
  client.close();
  drive(client, server, { tap });
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

/** A fresh endpoint on `side`, configured like the recorded one (so it makes the same messages). */
function fresh(v: Variant, side: Side): Endpoint {
  if (side === 'client') {
    const c = new TlsClient(clientConfig(v.client()));
    return c;
  }
  return new TlsServer(serverConfig(v.server()));
}

// ---- the invariants --------------------------------------------------------------------------------------

class Harness {
  readonly events: EndpointEvent[] = [];
  /** Every record the endpoint sent, decoded, with the index of the receive call that queued it. */
  readonly sent: { call: number; type: number; content: Uint8Array }[] = [];
  private readonly decoder: OutputDecoder;
  private call = 0;
  private failedAtCall: number | undefined;

  constructor(readonly ep: Endpoint) {
    this.decoder = new OutputDecoder(ep);
    if (ep instanceof TlsClient) ep.start();
    this.collect();
  }

  /** Raw output not yet taken by a live peer. */
  readonly wire: Uint8Array[] = [];

  private collect(): void {
    const out = this.ep.takeOutput();
    this.wire.push(out);
    for (const r of this.decoder.decode(out)) this.sent.push({ call: this.call, type: r.type, content: r.content });
    this.events.push(...this.ep.takeEvents());
  }

  /** The output since the last call, for a live peer. */
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

  /** The invariants every outcome must satisfy. */
  check(): void {
    const ep = this.ep;
    expect(['handshaking', 'connected', 'closed', 'failed']).toContain(ep.state);
    const errors = this.events.filter((e): e is Extract<EndpointEvent, { type: 'error' }> => e.type === 'error');
    const ourAlerts = this.sent.filter((r) => r.type === ContentType.alert);
    if (ep.state !== 'failed') {
      expect(errors).toEqual([]);
      // Only close_notify (answering the peer's, in the recording's last record) is ever sent otherwise.
      for (const a of ourAlerts) expect([...a.content]).toEqual([1, AlertDescription.close_notify]);
      if (ep.state === 'connected') expect(ep.summary).toBeDefined();
      return;
    }
    expect(errors, 'exactly one error event').toHaveLength(1);
    const err = errors[0].error;
    expect(ep.error).toBe(err);
    expect(ALERT_NAMES.has(err.alert), `alert ${err.alert}`).toBe(true);
    expect(err.rule, `rule of: ${err.message}`).toMatch(/^RFC \d{4}/);
    if (err.origin === 'peer') {
      // Exactly one fatal alert, the last record, queued by the call that failed.
      const fatal = ourAlerts.filter((a) => a.content[0] === 2);
      expect(fatal, `one fatal alert for: ${err.message}`).toHaveLength(1);
      expect([...fatal[0].content]).toEqual([2, AlertDescription[err.alert]]);
      expect(this.sent.at(-1)).toEqual(fatal[0]);
      expect(fatal[0].call).toBe(this.failedAtCall);
    } else if (err.origin === 'alert-received') {
      expect(ourAlerts.filter((a) => a.content[0] === 2)).toEqual([]);
    }
  }

  /** After a failure (or closure) nothing more is processed: no events, no output, same state. */
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

/** Deliver `bytes` cut at the given points (positions taken modulo the length). */
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

/** Run one case: stage k (peer records 0..k-1 delivered intact), then the fuzzed chunks; check everything. */
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

/**
 * Run a live conversation between a fresh endpoint on `side` and a scripted peer that mutates the encoding
 * of its `nth` handshake message (transcript and wire alike, so it is protected with the real keys).
 */
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

/** (a) random bytes, in a few chunks. */
const arbRandomBytes = fc.array(fc.uint8Array({ minLength: 1, maxLength: 300 }), { minLength: 1, maxLength: 3 });

interface FuzzRecord {
  type: number;
  fragment: Uint8Array;
  protect: boolean;
  version: number;
}

/** A fragment that looks like handshake messages (type, uint24 length, body), sometimes with a lying length. */
const arbHandshakeFragment = fc
  .record({ type: fc.oneof(fc.integer({ min: 0, max: 30 }), fc.integer({ min: 0, max: 255 })), body: fc.uint8Array({ maxLength: 48 }), lie: fc.option(fc.integer({ min: 0, max: 0xffffff }), { freq: 3 }) })
  .map(({ type, body, lie }) => {
    const len = lie ?? body.length;
    return concat(Uint8Array.of(type, len >> 16, (len >> 8) & 0xff, len & 0xff), body);
  });

const arbFuzzRecord: fc.Arbitrary<FuzzRecord> = fc.record({
  type: fc.oneof(fc.constantFrom(ContentType.change_cipher_spec, ContentType.alert, ContentType.handshake, ContentType.application_data), fc.integer({ min: 0, max: 255 })),
  fragment: fc.oneof(fc.uint8Array({ maxLength: 64 }), arbHandshakeFragment, fc.constantFrom(Uint8Array.of(1), Uint8Array.of(2, 10), Uint8Array.of(1, 0), Uint8Array.of(1, 90))),
  protect: fc.boolean(),
  version: fc.constantFrom(0x0303, 0x0303, 0x0301, 0x0304, 0x0000),
});

/** (b) well-framed records: protected with the peer's real keys at stage k when asked (and possible). */
function encodeFuzzRecords(recs: FuzzRecord[], prot: RecordProtection | null): Uint8Array {
  const p = prot ? cloneProtection(prot) : null;
  return concat(
    ...recs.map((r) => (r.protect && p ? p.encrypt(r.type, r.fragment, { unchecked: true }).bytes : plainRecord(r.type, r.fragment, r.version))),
  );
}

type RecordOp = { op: 'dup' | 'drop'; i: number } | { op: 'swap'; i: number; j: number };
const arbRecordOp: fc.Arbitrary<RecordOp> = fc.oneof(
  fc.record({ op: fc.constantFrom('dup' as const, 'drop' as const), i: fc.nat() }),
  fc.record({ op: fc.constant('swap' as const), i: fc.nat(), j: fc.nat() }),
);

/** (c) the real peer's remaining records, with record-level and byte-level mutations. */
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
const RUNS = 10;

describe('robustness of the reference endpoints against any input (fast-check)', () => {
  for (const v of VARIANTS) {
    for (const side of ['client', 'server'] as const) {
      describe(`${side}, ${v.name}`, () => {
        it('the recorded conversation replays to a fresh endpoint, records whole or split anywhere', () => {
          const conv = conversation(v);
          const peer = side === 'client' ? conv.server : conv.client;
          const h = runCase(conv, side, peer.records.length, []);
          expect(h.ep.state).toBe(conv.final[side]);
          expect(h.events.some((e) => e.type === 'handshake_complete')).toBe(true);
          fc.assert(
            fc.property(arbCuts, (cuts) => {
              const split = runCase(conv, side, 0, chunks(concat(...peer.records), cuts));
              expect(split.ep.state).toBe(conv.final[side]);
              expect(split.events.map((e) => e.type)).toEqual(h.events.map((e) => e.type));
            }),
            fcParams(4),
          );
        });

        it('every stage: the intact prefix, then a record of each content type, then the rest', () => {
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

describe('robustness against mutated handshake messages, protected with the real keys (fast-check)', () => {
  for (const v of VARIANTS) {
    for (const side of ['client', 'server'] as const) {
      it(`${side}, ${v.name}: one of the peer's messages mutated before it is encrypted`, () => {
        fc.assert(
          fc.property(fc.integer({ min: 0, max: side === 'client' ? 7 : 4 }), fc.array(arbMutation, { minLength: 1, maxLength: 3 }), (nth, muts) => void runLiveCase(v, side, nth, muts)),
          fcParams(RUNS),
        );
      });
    }
  }
});

describe('a valid handshake delivered one byte at a time', () => {
  for (const v of VARIANTS) {
    it(`completes (${v.name})`, () => {
      const client = new TlsClient(clientConfig(v.client()));
      const server = new TlsServer(serverConfig(v.server()));
      client.start();
      drive(client, server, { byteByByte: true });
      expect(client.state).toBe('connected');
      expect(server.state).toBe('connected');
      client.write(enc('ping'));
      drive(client, server, { byteByByte: true });
      expect(server.takeEvents()).toContainEqual({ type: 'application_data', data: enc('ping') });
    });
  }
});
