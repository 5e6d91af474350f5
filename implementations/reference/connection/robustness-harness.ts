/**
 * The machinery shared by the robustness properties of the reference endpoints (robustness.test.ts for
 * TLS 1.3, tls12/robustness12.test.ts for TLS 1.2): recording a conversation with one handshake message per
 * record and the write protection at every stage, the Harness that feeds a fresh endpoint and checks the
 * invariants every outcome must satisfy, the drive helpers (a recorded prefix then fuzz, or a live scripted
 * peer that mutates one of its messages), the arbitraries, and the bodies of the properties.
 *
 * What differs between the versions (the variants, the recorded conversation after the handshake, what a
 * live endpoint may send and report, the fuzz records) stays in each test file.
 */
import fc from 'fast-check';
import { expect } from 'vitest';
import { AlertDescription, ContentType } from '../codec/enums.ts';
import { arbMutation, applyMutation, type Mutation } from '../codec/arbitraries.ts';
import { encodeHandshake } from '../codec/handshake.ts';
import { fcParams } from '../codec/fc.ts';
import type { RecordProtection } from '../crypto/record-protection.ts';
import type { EndpointConfig } from './config.ts';
import { TlsClient } from './client.ts';
import type { Endpoint, EndpointEvent } from './endpoint.ts';
import { TlsServer } from './server.ts';
import { OutputDecoder, ScriptedClient, ScriptedServer, clientConfig, concat, drive, plainRecord, serverConfig, splitRecords } from './peers.ts';

export const enc = (s: string) => new TextEncoder().encode(s);
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const ALERT_NAMES = new Set(Object.keys(AlertDescription));
/** Each case must finish well under a second. */
// A hang guard, not a speed test: a case does a bounded amount of work, far below this even on a loaded machine.
const CASE_BUDGET_MS = 10_000;

// ---- recorded conversations ------------------------------------------------------------------------------

export type Side = 'client' | 'server';

export interface Recorded {
  /** The records this side sent, in order. */
  records: Uint8Array[];
  /**
   * protAt[k]: a copy of this side's write protection as it would protect its next protected record once
   * records 0..k-1 are sent (null while it has none): for well-protected fuzz records at stage k.
   */
  protAt: (RecordProtection | null)[];
}

export interface Variant {
  name: string;
  client: () => Partial<EndpointConfig>;
  server: () => Partial<EndpointConfig>;
}

export interface Conversation<V extends Variant = Variant> {
  variant: V;
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

const conversations = new Map<Variant, Conversation>();

/**
 * Record a whole conversation of variant `v` (once; later calls return the recording): a scripted client
 * and server sending one handshake message per record, so that every message boundary is a stage, complete
 * the handshake; then `rest` goes on, calling `step` to deliver what is pending both ways.
 */
export function recordConversation<V extends Variant>(
  v: V,
  rest: (client: ScriptedClient, server: ScriptedServer, step: () => void) => void,
): Conversation<V> {
  const cached = conversations.get(v);
  if (cached) return cached as Conversation<V>;
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
  rest(client, server, () => drive(client, server, { tap }));
  const records = (side: Side) => splitRecords(concat(...sent[side])).records;
  const cr = records('client');
  const sr = records('server');
  const conv: Conversation<V> = {
    variant: v,
    client: { records: cr, protAt: protAt(cr, wc) },
    server: { records: sr, protAt: protAt(sr, ws) },
    final: { client: client.state, server: server.state },
  };
  conversations.set(v, conv);
  return conv;
}

/** A fresh endpoint on `side`, configured like the recorded one (so it makes the same messages). */
function fresh(v: Variant, side: Side): Endpoint {
  return side === 'client' ? new TlsClient(clientConfig(v.client())) : new TlsServer(serverConfig(v.server()));
}

// ---- the invariants --------------------------------------------------------------------------------------

/** A record the endpoint sent, decoded, with the index of the receive call that queued it. */
export interface SentByUs {
  call: number;
  type: number;
  content: Uint8Array;
}

/** The version-specific checks of an endpoint that has not failed: the alerts it sent, its state. */
export type LiveCheck = (ep: Endpoint, ourAlerts: SentByUs[]) => void;

export class Harness {
  readonly events: EndpointEvent[] = [];
  /** Every record the endpoint sent, decoded, with the index of the receive call that queued it. */
  readonly sent: SentByUs[] = [];
  /** Raw output not yet taken by a live peer. */
  readonly wire: Uint8Array[] = [];
  private readonly decoder: OutputDecoder;
  private call = 0;
  private failedAtCall: number | undefined;

  constructor(
    readonly ep: Endpoint,
    private readonly checkLive: LiveCheck,
  ) {
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
      this.checkLive(ep, ourAlerts);
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
export function chunks(bytes: Uint8Array, cuts: number[]): Uint8Array[] {
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

/** The records the peer of `side` sent in the recording. */
const peerOf = (conv: Conversation, side: Side): Recorded => (side === 'client' ? conv.server : conv.client);

/** Run one case: stage k (peer records 0..k-1 delivered intact), then the fuzzed chunks; check everything. */
export function runCase(checkLive: LiveCheck, conv: Conversation, side: Side, k: number, fuzz: Uint8Array[]): Harness {
  const t0 = performance.now();
  const peer = peerOf(conv, side);
  const h = new Harness(fresh(conv.variant, side), checkLive);
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
export function runLiveCase(checkLive: LiveCheck, v: Variant, side: Side, nth: number, muts: Mutation[]): Harness {
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
  const h = new Harness(fresh(v, side), checkLive);
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

export const arbCuts = fc.array(fc.nat(), { maxLength: 4 });

/** (a) random bytes, in a few chunks. */
const arbRandomBytes = fc.array(fc.uint8Array({ minLength: 1, maxLength: 300 }), { minLength: 1, maxLength: 3 });

export interface FuzzRecord {
  type: number;
  fragment: Uint8Array;
  protect: boolean;
  version: number;
}

/** A fragment that looks like handshake messages (type, uint24 length, body), sometimes with a lying length. */
export function arbHandshakeFragment(type: fc.Arbitrary<number>): fc.Arbitrary<Uint8Array> {
  return fc
    .record({ type, body: fc.uint8Array({ maxLength: 48 }), lie: fc.option(fc.integer({ min: 0, max: 0xffffff }), { freq: 3 }) })
    .map(({ type, body, lie }) => {
      const len = lie ?? body.length;
      return concat(Uint8Array.of(type, len >> 16, (len >> 8) & 0xff, len & 0xff), body);
    });
}

/** The content types of a fuzz record: the four real ones, and any byte. */
export const arbFuzzContentType = fc.oneof(
  fc.constantFrom(ContentType.change_cipher_spec, ContentType.alert, ContentType.handshake, ContentType.application_data),
  fc.integer({ min: 0, max: 255 }),
);

/** (b) well-framed records: protected with the peer's real keys at stage k when asked (and possible). */
export function encodeFuzzRecords(recs: FuzzRecord[], prot: RecordProtection | null): Uint8Array {
  const p = prot ? cloneProtection(prot) : null;
  return concat(...recs.map((r) => (r.protect && p ? p.encrypt(r.type, r.fragment, { unchecked: true }).bytes : plainRecord(r.type, r.fragment, r.version))));
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

// ---- the bodies of the properties ------------------------------------------------------------------------

/**
 * The recorded conversation replays to a fresh endpoint (records whole, then split anywhere in `splitRuns`
 * runs); returns the whole replay for further checks.
 */
export function checkReplay(checkLive: LiveCheck, conv: Conversation, side: Side, splitRuns: number, more: (h: Harness) => void = () => {}): void {
  const peer = peerOf(conv, side);
  const h = runCase(checkLive, conv, side, peer.records.length, []);
  expect(h.ep.state).toBe(conv.final[side]);
  expect(h.events.some((e) => e.type === 'handshake_complete')).toBe(true);
  more(h);
  fc.assert(
    fc.property(arbCuts, (cuts) => {
      const split = runCase(checkLive, conv, side, 0, chunks(concat(...peer.records), cuts));
      expect(split.ep.state).toBe(conv.final[side]);
      expect(split.events.map((e) => e.type)).toEqual(h.events.map((e) => e.type));
    }),
    fcParams(splitRuns),
  );
}

/** Every stage: the intact prefix, then a record of each content type (protected when keys are on), then the rest. */
export function checkEveryStage(checkLive: LiveCheck, conv: Conversation, side: Side): void {
  const peer = peerOf(conv, side);
  for (let k = 0; k <= peer.records.length; k++) {
    for (const type of [ContentType.change_cipher_spec, ContentType.alert, ContentType.handshake, ContentType.application_data, 0x42]) {
      const frag = type === ContentType.alert ? Uint8Array.of(2, AlertDescription.bad_certificate) : Uint8Array.of(1);
      runCase(checkLive, conv, side, k, [encodeFuzzRecords([{ type, fragment: frag, protect: true, version: 0x0303 }], peer.protAt[k])]);
    }
  }
}

/** (a) random bytes at any stage. */
export function checkRandomBytes(checkLive: LiveCheck, conv: Conversation, side: Side, runs: number): void {
  const peer = peerOf(conv, side);
  fc.assert(
    fc.property(fc.integer({ min: 0, max: peer.records.length }), arbRandomBytes, (k, bytes) => void runCase(checkLive, conv, side, k, bytes)),
    fcParams(runs),
  );
}

/** (b) well-framed records drawn from `arbFuzzRecord`, protected with the real keys or not, at any stage. */
export function checkFuzzRecords(checkLive: LiveCheck, conv: Conversation, side: Side, arbFuzzRecord: fc.Arbitrary<FuzzRecord>, runs: number): void {
  const peer = peerOf(conv, side);
  fc.assert(
    fc.property(fc.integer({ min: 0, max: peer.records.length }), fc.array(arbFuzzRecord, { minLength: 1, maxLength: 4 }), arbCuts, (k, recs, cuts) => {
      runCase(checkLive, conv, side, k, chunks(encodeFuzzRecords(recs, peer.protAt[k]), cuts));
    }),
    fcParams(runs),
  );
}

/** (c) the real peer bytes mutated (flips, truncation, insertion, deletion, duplicated, reordered, dropped records), split anywhere. */
export function checkMutatedStream(checkLive: LiveCheck, conv: Conversation, side: Side, runs: number): void {
  const peer = peerOf(conv, side);
  fc.assert(
    fc.property(fc.integer({ min: 0, max: peer.records.length }), arbMutations, arbCuts, (k, { ops, muts }, cuts) => {
      runCase(checkLive, conv, side, k, chunks(mutateStream(peer.records.slice(k), ops, muts), cuts));
    }),
    fcParams(runs),
  );
}

/** (d) one of the live peer's first `maxNth` + 1 handshake messages mutated before it is protected. */
export function checkMutatedLive(checkLive: LiveCheck, v: Variant, side: Side, maxNth: number, runs: number): void {
  fc.assert(
    fc.property(fc.integer({ min: 0, max: maxNth }), fc.array(arbMutation, { minLength: 1, maxLength: 3 }), (nth, muts) => void runLiveCase(checkLive, v, side, nth, muts)),
    fcParams(runs),
  );
}

/** A valid handshake delivered one byte at a time completes, and data flows; `more` checks the client. */
export function checkByteByByte(v: Variant, more: (client: TlsClient) => void = () => {}): void {
  const client = new TlsClient(clientConfig(v.client()));
  const server = new TlsServer(serverConfig(v.server()));
  client.start();
  drive(client, server, { byteByByte: true });
  expect(client.state).toBe('connected');
  expect(server.state).toBe('connected');
  more(client);
  client.write(enc('ping'));
  drive(client, server, { byteByByte: true });
  expect(server.takeEvents()).toContainEqual({ type: 'application_data', data: enc('ping') });
}
