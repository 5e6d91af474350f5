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
import { fcTimeout } from '../codec/fc.ts';
import { describe, expect, it } from 'vitest';
import { AlertDescription, NamedGroup } from '../codec/enums.ts';
import { MemorySessionStore, type SessionStore, type StoredTicket } from './config.ts';
import { TlsClient } from './client.ts';
import { TlsServer } from './server.ts';
import { clientConfig, drive, serverConfig } from './peers.ts';
import {
  arbFuzzContentType,
  arbHandshakeFragment,
  checkByteByByte,
  checkEveryStage,
  checkFuzzRecords,
  checkMutatedLive,
  checkMutatedStream,
  checkRandomBytes,
  checkReplay,
  enc,
  recordConversation,
  type Conversation,
  type FuzzRecord,
  type LiveCheck,
  type Variant,
} from './robustness-harness.ts';
import { TEST_PKI } from './testing.ts';

const X25519 = NamedGroup.x25519;
const P256 = NamedGroup.secp256r1;

// ---- recorded conversations ------------------------------------------------------------------------------

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

/** Record a whole conversation: handshake, data both ways, KeyUpdate(update_requested), close_notify. */
function conversation(v: Variant): Conversation {
  return recordConversation(v, (client, server, step) => {
    client.write(enc('ping'));
    server.write(enc('pong'));
    step();
    client.keyUpdate(true);
    step();
    client.write(enc('after the update'));
    server.write(enc('me too'));
    step();
    client.close();
    step();
  });
}

// ---- the invariants --------------------------------------------------------------------------------------

/** A live endpoint sends only close_notify (answering the peer's, in the recording's last record). */
const checkLive: LiveCheck = (ep, ourAlerts) => {
  for (const a of ourAlerts) expect([...a.content]).toEqual([1, AlertDescription.close_notify]);
  if (ep.state === 'connected') expect(ep.summary).toBeDefined();
};

// ---- arbitraries -----------------------------------------------------------------------------------------

const arbFuzzRecord: fc.Arbitrary<FuzzRecord> = fc.record({
  type: arbFuzzContentType,
  fragment: fc.oneof(
    fc.uint8Array({ maxLength: 64 }),
    arbHandshakeFragment(fc.oneof(fc.integer({ min: 0, max: 30 }), fc.integer({ min: 0, max: 255 }))),
    fc.constantFrom(Uint8Array.of(1), Uint8Array.of(2, 10), Uint8Array.of(1, 0), Uint8Array.of(1, 90)),
  ),
  protect: fc.boolean(),
  version: fc.constantFrom(0x0303, 0x0303, 0x0301, 0x0304, 0x0000),
});

// ---- the properties --------------------------------------------------------------------------------------

/** Default runs per property (FC_NUM_RUNS overrides): small, so the file runs in a few seconds. */
const RUNS = 10;

describe('robustness of the reference endpoints against any input (fast-check)', () => {
  for (const v of VARIANTS) {
    for (const side of ['client', 'server'] as const) {
      describe(`${side}, ${v.name}`, () => {
        it('the recorded conversation replays to a fresh endpoint, records whole or split anywhere', () => {
          checkReplay(checkLive, conversation(v), side, 4);
        }, fcTimeout(4));

        it('every stage: the intact prefix, then a record of each content type, then the rest', () => {
          checkEveryStage(checkLive, conversation(v), side);
        });

        it('(a) random bytes at any stage', () => {
          checkRandomBytes(checkLive, conversation(v), side, RUNS);
        }, fcTimeout(RUNS));

        it('(b) well-framed records of random types and contents, protected with the real keys or not, at any stage', () => {
          checkFuzzRecords(checkLive, conversation(v), side, arbFuzzRecord, RUNS);
        }, fcTimeout(RUNS));

        it('(c) the real peer bytes mutated (flips, truncation, insertion, deletion, duplicated, reordered, dropped records), split anywhere', () => {
          checkMutatedStream(checkLive, conversation(v), side, RUNS);
        }, fcTimeout(RUNS));
      });
    }
  }
});

describe('robustness against mutated handshake messages, protected with the real keys (fast-check)', () => {
  for (const v of VARIANTS) {
    for (const side of ['client', 'server'] as const) {
      it(`${side}, ${v.name}: one of the peer's messages mutated before it is encrypted`, () => {
        checkMutatedLive(checkLive, v, side, side === 'client' ? 7 : 4, RUNS);
      }, fcTimeout(RUNS));
    }
  }
});

describe('a valid handshake delivered one byte at a time', () => {
  for (const v of VARIANTS) {
    it(`completes (${v.name})`, () => {
      checkByteByByte(v);
    });
  }
});
