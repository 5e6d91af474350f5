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
import { fcTimeout } from '../../codec/fc.ts';
import { describe, expect, it } from 'vitest';
import { AlertDescription, CipherSuite, NamedGroup } from '../../codec/enums.ts';
import type { HandshakeMessage } from '../../codec/handshake.ts';
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
import type { Endpoint } from '../endpoint.ts';
import { TlsServer } from '../server.ts';
import { clientConfig, drive, serverConfig } from '../peers.ts';
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
  type Variant as BaseVariant,
} from '../robustness-harness.ts';
import { TEST_PKI } from '../testing.ts';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

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

interface Variant extends BaseVariant {
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

/** Send a post-handshake message the way the endpoints do (outside the transcript). */
const sendPost = (ep: Endpoint, msg: HandshakeMessage) => (ep as unknown as { sendHandshake(m: HandshakeMessage, t: boolean): void }).sendHandshake(msg, false);

/** A renegotiation ClientHello as RFC 5746 3.5 makes it: renegotiation_info with the client_verify_data the server saved. */
export const renegotiatingHello = (server: Endpoint): HandshakeMessage => ({
  msg_type: 'client_hello',
  legacy_version: 0x0303,
  random: new Uint8Array(32).fill(5),
  legacy_session_id: new Uint8Array(0),
  cipher_suites: [S.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256],
  legacy_compression_methods: [0],
  extensions: [{ type: 'renegotiation_info', renegotiated_connection: (server as unknown as { t12: { clientVerifyData: Uint8Array } }).t12.clientVerifyData }],
});

/**
 * Record a whole conversation: handshake, data both ways, a HelloRequest from the server and a ClientHello
 * from the client (both refused with a warning no_renegotiation), more data, close_notify both ways.
 */
function conversation(v: Variant): Conversation<Variant> {
  return recordConversation(v, (client, server, step) => {
    expect(client.summary).toMatchObject({ version: 'TLSv1.2', resumed: v.resumed ?? false });
    client.write(enc('ping'));
    server.write(enc('pong'));
    step();
    sendPost(server, { msg_type: 'hello_request' });
    step();
    sendPost(client, renegotiatingHello(server));
    step();
    expect(client.renegotiationsRefused).toBe(1);
    expect(server.renegotiationsRefused).toBe(1);
    client.write(enc('after the refusals'));
    server.write(enc('me too'));
    step();
    client.close();
    step();
    expect(client.state).toBe('closed');
    expect(server.state).toBe('closed');
  });
}

// ---- the invariants --------------------------------------------------------------------------------------

/** Alerts a live TLS 1.2 endpoint may send without failing: close_notify, and the refusal of a renegotiation. */
const NON_FATAL_ALERTS = [
  [1, AlertDescription.close_notify],
  [1, AlertDescription.no_renegotiation],
].map((a) => a.join(','));

const checkLive: LiveCheck = (ep, ourAlerts) => {
  for (const a of ourAlerts) expect(NON_FATAL_ALERTS, `alert ${[...a.content]}`).toContain([...a.content].join(','));
  if (ep.state === 'connected') expect(ep.summary?.version).toBe('TLSv1.2');
};

// ---- arbitraries -----------------------------------------------------------------------------------------

const arbFuzzRecord: fc.Arbitrary<FuzzRecord> = fc.record({
  type: arbFuzzContentType,
  fragment: fc.oneof(
    fc.uint8Array({ maxLength: 64 }),
    // TLS 1.2 handshake types (hello_request 0 ... finished 20), and any byte.
    arbHandshakeFragment(fc.oneof(fc.constantFrom(0, 1, 2, 4, 11, 12, 13, 14, 15, 16, 20), fc.integer({ min: 0, max: 255 }))),
    fc.constantFrom(Uint8Array.of(1), Uint8Array.of(2, 10), Uint8Array.of(1, 0), Uint8Array.of(1, 100), Uint8Array.of(0, 0, 0, 0), Uint8Array.of(20, 0, 0, 12, ...new Uint8Array(12))),
  ),
  protect: fc.boolean(),
  version: fc.constantFrom(0x0303, 0x0303, 0x0301, 0x0300, 0x0304),
});

// ---- the properties --------------------------------------------------------------------------------------

/** Default runs per property (FC_NUM_RUNS overrides): small, so the file runs in a few seconds. */
const RUNS = 6;

describe('robustness of the TLS 1.2 endpoints against any input (fast-check)', () => {
  for (const v of VARIANTS) {
    for (const side of ['client', 'server'] as const) {
      describe(`${side}, ${v.name}`, () => {
        it('the recorded conversation replays to a fresh endpoint, records whole or split anywhere', () => {
          checkReplay(checkLive, conversation(v), side, 2, (h) => {
            expect(h.events).toContainEqual({ type: 'alert', level: 1, description: AlertDescription.no_renegotiation });
          });
        }, fcTimeout(2));

        it('every stage: the intact prefix, then a record of each content type (protected when keys are on), then the rest', () => {
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

describe('robustness of the TLS 1.2 endpoints against mutated handshake messages, protected with the real keys (fast-check)', () => {
  for (const v of VARIANTS) {
    for (const side of ['client', 'server'] as const) {
      it(`${side}, ${v.name}: one of the peer's messages mutated before it is protected`, () => {
        // The server sends up to 6 handshake messages (ServerHello ... Finished), the client up to 5.
        checkMutatedLive(checkLive, v, side, side === 'client' ? 6 : 4, RUNS);
      }, fcTimeout(RUNS));
    }
  }
});

describe('a valid TLS 1.2 handshake delivered one byte at a time', () => {
  for (const v of VARIANTS) {
    it(`completes (${v.name})`, () => {
      checkByteByByte(v, (client) => {
        expect(client.summary).toMatchObject({ version: 'TLSv1.2', resumed: v.resumed ?? false });
      });
    });
  }
});
