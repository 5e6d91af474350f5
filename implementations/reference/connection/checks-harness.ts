/**
 * The helpers shared by the negative tests of the reference endpoints (client-checks.test.ts,
 * server-checks.test.ts, tls12/checks12.test.ts): running a conversation in which one side (or both) has what
 * it sends decoded through its own record protection, checking that an endpoint rejected its peer with one
 * alert and one rule, taking a session ticket from a first handshake, and script hooks both sides use.
 */
import { expect } from 'vitest';
import { AlertDescription, ContentType, type AlertName } from '../codec/enums.ts';
import { MemorySessionStore, type EndpointConfig } from './config.ts';
import { TlsClient } from './client.ts';
import type { Endpoint, EndpointEvent } from './endpoint.ts';
import { TlsError } from './errors.ts';
import { TlsServer } from './server.ts';
import { encodeHandshake } from '../codec/handshake.ts';
import { OutputDecoder, clientConfig, drive, errorOf, plainRecord, serverConfig, type Hook, type SentRecord } from './peers.ts';

type Side = 'client' | 'server';

/** One end of a conversation once it is quiet. */
export interface Party<E extends Endpoint = Endpoint> {
  ep: E;
  events: EndpointEvent[];
  error: TlsError | undefined;
  /** Every record this endpoint sent, decoded (through its own protection); empty unless it was watched. */
  sent: SentRecord[];
  /** The decoder of what this endpoint sends, when it was watched. */
  decoder?: OutputDecoder;
}

export interface ExchangeOptions {
  /** The sides whose output is decoded into `sent`. */
  watch: Side[];
  /** Change the bytes on the wire (after they were decoded for `sent`). */
  tap?: (from: Side, bytes: Uint8Array) => Uint8Array;
  /** Run once the first exchange is quiet (e.g. post-handshake messages), then drive again. */
  then?: () => void;
}

/** Start `client`, drive both ends until they are quiet, and take what each reported. */
export function exchange<C extends TlsClient, S extends TlsServer>(client: C, server: S, o: ExchangeOptions): { client: Party<C>; server: Party<S> } {
  const decoders: Record<Side, OutputDecoder | undefined> = {
    client: o.watch.includes('client') ? new OutputDecoder(client) : undefined,
    server: o.watch.includes('server') ? new OutputDecoder(server) : undefined,
  };
  const sent = { client: [] as SentRecord[], server: [] as SentRecord[] };
  const tap = (from: Side, bytes: Uint8Array) => {
    const d = decoders[from];
    if (d) sent[from].push(...d.decode(bytes));
    return o.tap ? o.tap(from, bytes) : bytes;
  };
  client.start();
  drive(client, server, { tap });
  if (o.then) {
    o.then();
    drive(client, server, { tap });
  }
  const party = <E extends Endpoint>(ep: E, side: Side): Party<E> => {
    const events = ep.takeEvents();
    return { ep, events, error: errorOf(events), sent: sent[side], decoder: decoders[side] };
  };
  return { client: party(client, 'client'), server: party(server, 'server') };
}

export interface RejectedOptions {
  /** The message of the check of the error. */
  label: string;
  /** Count only the fatal alerts it sent (TLS 1.2, where a warning may come before), or every alert. */
  fatalOnly: boolean;
}

/** The endpoint failed because of its peer, with this alert and rule, and sent exactly that fatal alert last. */
export function expectRejectedParty(p: Party, alert: AlertName, rule: string, o: RejectedOptions): void {
  expect(p.error, o.label).toMatchObject({ alert, rule, origin: 'peer' });
  expect(p.ep.state).toBe('failed');
  expect(p.events.filter((e) => e.type === 'error')).toHaveLength(1);
  const alerts = p.sent.filter((r) => r.type === ContentType.alert && (!o.fatalOnly || r.content[0] === 2));
  expect(alerts).toHaveLength(1);
  expect([...alerts[0].content]).toEqual([2, AlertDescription[alert]]);
  expect(p.sent.at(-1)).toBe(alerts[0]);
}

/** A store holding one ticket from a full handshake with a server of this configuration. */
export function ticketStore(server: Partial<EndpointConfig> = {}, client: Partial<EndpointConfig> = {}): MemorySessionStore {
  const store = new MemorySessionStore();
  const c = new TlsClient(clientConfig({ sessionStore: store, ...client }));
  const s = new TlsServer(serverConfig(server));
  c.start();
  drive(c, s);
  expect(c.state).toBe('connected');
  return store;
}

// ---- script hooks ----------------------------------------------------------------------------------------

/** Send a zero-length plaintext handshake record, then the message. */
export const zeroLengthRecordFirst: Hook = (m, ctl) => {
  ctl.raw(plainRecord(ContentType.handshake, new Uint8Array(0)));
  ctl.send(m);
};

/** Send the message in two handshake records (cut at byte `at`) with a warning user_canceled alert between them. */
export const alertBetweenFragments =
  (at: number): Hook =>
  (m, ctl) => {
    const bytes = encodeHandshake(m);
    ctl.transcript(bytes);
    ctl.record(ContentType.handshake, bytes.subarray(0, at));
    ctl.record(ContentType.alert, Uint8Array.of(1, AlertDescription.user_canceled));
    ctl.record(ContentType.handshake, bytes.subarray(at));
  };

/** Put the message on the wire with another msg_type byte (the transcript keeps the real one). */
export const relabel =
  (msgType: number) =>
  (bytes: Uint8Array): Uint8Array => {
    const out = bytes.slice();
    out[0] = msgType;
    return out;
  };

/** Send `count` alerts (level, description; default a warning user_canceled) before the message. */
export const alertsFirst =
  (count: number, description: number = AlertDescription.user_canceled, level = 1): Hook =>
  (m, ctl) => {
    for (let i = 0; i < count; i++) ctl.record(ContentType.alert, Uint8Array.of(level, description));
    ctl.send(m);
  };

/** The endpoint stopped at its own limit: internal_error with origin 'local', said so, and sent that alert last. */
export function expectLocalLimit(p: Party, rule: string): void {
  expect(p.error, 'a local limit').toMatchObject({ alert: 'internal_error', rule, origin: 'local' });
  expect(p.error!.detail).toMatch(/a local limit, not a malformed message/);
  expect(p.ep.state).toBe('failed');
  const alerts = p.sent.filter((r) => r.type === ContentType.alert);
  expect(alerts.map((r) => [...r.content])).toEqual([[2, AlertDescription.internal_error]]);
  expect(p.sent.at(-1)).toBe(alerts[0]);
}

/** Finished verify_data of the wrong length (RFC 8446 4.4.4: Hash.length bytes), each made from the right one. */
export const WRONG_LENGTH_VERIFY_DATA: [string, (v: Uint8Array) => Uint8Array][] = [
  ['empty', () => new Uint8Array(0)],
  ['one byte short', (v) => v.subarray(0, v.length - 1)],
  ['one byte long', (v) => Uint8Array.of(...v, 0)],
];

/** The TlsError `fn` throws: it must throw one, with this alert and rule. */
export function rejects(fn: () => unknown, alert: AlertName, rule: string): TlsError {
  let err: unknown;
  try {
    fn();
  } catch (e) {
    err = e;
  }
  expect(err, 'expected a TlsError').toBeInstanceOf(TlsError);
  expect({ alert: (err as TlsError).alert, rule: (err as TlsError).rule }).toEqual({ alert, rule });
  return err as TlsError;
}
