/**
 * Negative tests of the reference endpoints speaking TLS 1.2: one per rule the TLS 1.2 code enforces
 * (client12.ts, server12.ts, common12.ts, the record layer and endpoint.ts under TLS 1.2). Each builds the
 * offending message with a scripted peer (the real TlsClient / TlsServer whose outgoing messages a Script
 * changes before they are encoded and protected, see ../peers.ts), and checks the alert, the rule cited, the
 * origin, and that exactly one fatal alert with that description was the last record the endpoint sent. A
 * renegotiation attempt is refused with a warning no_renegotiation and the connection carries on.
 */
import { describe, expect, it } from 'vitest';
import {
  AlertDescription,
  CipherSuite,
  ClientCertificateType,
  ContentType,
  DOWNGRADE_TLS12,
  NamedGroup,
  ProtocolVersion,
  SignatureScheme,
  nameOf,
  type AlertName,
} from '../../codec/enums.ts';
import type { HandshakeMessage } from '../../codec/handshake.ts';
import type { Extension } from '../../codec/extensions.ts';
import type { RecordProtection } from '../../crypto/record-protection.ts';
import { nobleProvider } from '../../crypto/noble/index.ts';
import { FFDHE_GROUPS } from '../../crypto/ffdhe.ts';
import { DUAL_CIPHER_SUITES, MemorySessionCache12, MemorySessionStore, TLS12_CIPHER_SUITES, type EndpointConfig } from '../config.ts';
import type { Endpoint } from '../endpoint.ts';
import { ScriptedClient, ScriptedServer, clientConfig, concat, drive, plainRecord, replaceExt, serverConfig, withoutExt, type Script } from '../peers.ts';
import { TEST_PKI } from '../testing.ts';
import { alertsFirst, exchange, expectLocalLimit, expectRejectedParty, relabel, type Party } from '../checks-harness.ts';
import { bigintToBytes, dheParams, ecdheParams, schemeName12, signedParams } from './common12.ts';

const enc = (s: string) => new TextEncoder().encode(s);
const S = CipherSuite;
const ECDSA_GCM = S.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256;
const ECDSA_GCM256 = S.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384;
const RSA_GCM = S.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256;
const DHE_GCM = S.TLS_DHE_RSA_WITH_AES_128_GCM_SHA256;
const CLIENT_CERT = TEST_PKI.client();

// ---- running a scripted conversation ---------------------------------------------------------------------

interface Outcome {
  client: Party<ScriptedClient>;
  server: Party<ScriptedServer>;
}

interface RunOptions {
  client?: Partial<EndpointConfig>;
  server?: Partial<EndpointConfig>;
  clientScript?: (s: Script) => void;
  serverScript?: (s: Script) => void;
  /** Change the bytes on the wire (after they were decoded for `sent`). */
  tap?: (from: 'client' | 'server', bytes: Uint8Array) => Uint8Array;
  /** Run once the first exchange is quiet (e.g. post-handshake messages), then drive again. */
  then?: (client: ScriptedClient, server: ScriptedServer) => void;
}

/** A TLS 1.2-only client (all the TLS 1.2 suites unless told) and a dual-version server. */
function run(o: RunOptions = {}): Outcome {
  const client = new ScriptedClient(clientConfig({ cipherSuites: TLS12_CIPHER_SUITES, ...o.client }));
  const server = new ScriptedServer(serverConfig({ cipherSuites: DUAL_CIPHER_SUITES, ...o.server }));
  o.clientScript?.(client.script);
  o.serverScript?.(server.script);
  const then = o.then;
  return exchange(client, server, { watch: ['client', 'server'], tap: o.tap, then: then && (() => then(client, server)) });
}

/** The endpoint failed because of its peer, with this alert and rule, and sent exactly that fatal alert last. */
function expectRejected(p: Party<Endpoint>, alert: AlertName, rule: string): void {
  expectRejectedParty(p, alert, rule, { label: 'error', fatalOnly: true });
}

/** Both ends connected, no error on either side. */
function expectConnected(o: Outcome): void {
  expect(o.client.error?.message).toBeUndefined();
  expect(o.server.error?.message).toBeUndefined();
  expect(o.client.ep.state).toBe('connected');
  expect(o.server.ep.state).toBe('connected');
}

/** Private state of an endpoint's TLS 1.2 machine, for building messages that need its secrets. */
const t12 = (ep: Endpoint) => (ep as unknown as { t12: Record<string, unknown> }).t12;
const writeProt = (ep: Endpoint) => (ep as unknown as { rl: { writeProt: RecordProtection } }).rl.writeProt;
const sendPost = (ep: Endpoint, msg: HandshakeMessage) => (ep as unknown as { sendHandshake(m: HandshakeMessage, t: boolean): void }).sendHandshake(msg, false);

/** A first handshake that leaves a TLS 1.2 session in the client store (and the server cache, when one is given). */
function firstSession(client: Partial<EndpointConfig>, server: Partial<EndpointConfig>): { store: MemorySessionStore; cache: MemorySessionCache12 } {
  const store = new MemorySessionStore();
  const cache = new MemorySessionCache12();
  const o = run({ client: { sessionStore: store, ...client }, server: { sessionCache12: cache, ...server } });
  expectConnected(o);
  expect(store.get12('localhost')).toBeDefined();
  return { store, cache };
}

const unknownExt = (code = 0x7a7a): Extension => ({ type: 'opaque', extension_type: code, extension_data: Uint8Array.of(1, 2) });

/** Replace, from the first ChangeCipherSpec record on, the sender's output with a plaintext Finished (12 zero bytes). */
function finishedWithoutCcs(from: 'client' | 'server') {
  let done = false;
  return (f: 'client' | 'server', b: Uint8Array): Uint8Array => {
    if (f !== from || done) return b;
    const parts: Uint8Array[] = [];
    for (let i = 0; i < b.length; ) {
      const len = 5 + ((b[i + 3] << 8) | b[i + 4]);
      if (b[i] === ContentType.change_cipher_spec) {
        parts.push(plainRecord(ContentType.handshake, Uint8Array.of(20, 0, 0, 12, ...new Uint8Array(12))));
        done = true;
        break;
      }
      parts.push(b.subarray(i, i + len));
      i += len;
    }
    return concat(...parts);
  };
}

// ---- hand-made protected records (CBC) -------------------------------------------------------------------

interface CbcInternals {
  cbc: { encrypt(iv: Uint8Array, d: Uint8Array): Uint8Array; blockLength: number };
  mac(seq: bigint, type: number, version: number, data: Uint8Array): Uint8Array;
  seq: bigint;
  macLength: number;
  encryptThenMac: boolean;
}

/**
 * One application_data record under a CBC write protection, built by hand with one fault: a wrong MAC (and
 * correct padding), or wrong padding (and a correct MAC). MAC-then-encrypt or encrypt-then-MAC as the
 * protection is.
 */
function cbcRecord(prot: RecordProtection, content: Uint8Array, fault: 'mac' | 'padding'): Uint8Array {
  const p = prot as unknown as CbcInternals;
  const block = p.cbc.blockLength;
  const type = ContentType.application_data;
  const macInside = p.encryptThenMac ? 0 : p.macLength;
  const padLength = ((block - ((content.length + macInside + 1) % block)) % block) + block;
  const mac = p.encryptThenMac ? new Uint8Array(0) : p.mac(p.seq, type, 0x0303, content);
  const plain = concat(content, mac, new Uint8Array(padLength + 1).fill(padLength));
  if (fault === 'padding') plain[content.length + macInside] ^= 0x01;
  if (fault === 'mac' && !p.encryptThenMac) plain[content.length] ^= 0x01;
  const iv = new Uint8Array(block).fill(9);
  const encrypted = concat(iv, p.cbc.encrypt(iv, plain));
  let fragment = encrypted;
  if (p.encryptThenMac) {
    const outer = p.mac(p.seq, type, 0x0303, encrypted);
    if (fault === 'mac') outer[0] ^= 0x01;
    fragment = concat(encrypted, outer);
  }
  return plainRecord(type, fragment);
}

// ==========================================================================================================

describe('TLS 1.2 checks: the scripted peers themselves', () => {
  it('unscripted, a TLS 1.2 handshake completes (full, and with client authentication)', () => {
    const o = run();
    expectConnected(o);
    expect(o.client.ep.summary?.version).toBe('TLSv1.2');
    expectConnected(run({ client: { certificates: [CLIENT_CERT] }, server: { requestClientCert: true, requireClientCert: true } }));
  });
});

describe('reference client, TLS 1.2 ServerHello (RFC 5246 7.4.1.3, 7.4.1.4, E.1; RFC 8446 4.1.3)', () => {
  it('server_version below TLS 1.2: protocol_version', () => {
    const o = run({ serverScript: (s) => s.mutate('server_hello', (m) => void (m.legacy_version = ProtocolVersion.TLS1_1)) });
    expectRejected(o.client, 'protocol_version', 'RFC 5246 E.1');
  });

  it('a dual-version client that sees the downgrade sentinel DOWNGRD\\x01: illegal_parameter', () => {
    const o = run({
      client: { cipherSuites: DUAL_CIPHER_SUITES },
      server: { maxVersion: 'TLSv1.2' },
      serverScript: (s) => s.mutate('server_hello', (m) => void (m.random = concat(m.random.subarray(0, 24), DOWNGRADE_TLS12))),
    });
    expectRejected(o.client, 'illegal_parameter', 'RFC 8446 4.1.3');
  });

  it('a cipher suite that was not offered: illegal_parameter', () => {
    const o = run({ client: { cipherSuites: [ECDSA_GCM] }, serverScript: (s) => s.mutate('server_hello', (m) => void (m.cipher_suite = ECDSA_GCM256)) });
    expectRejected(o.client, 'illegal_parameter', 'RFC 5246 7.4.1.3');
  });

  it('a TLS 1.3 suite (offered by a dual client) in a TLS 1.2 ServerHello: illegal_parameter', () => {
    const o = run({
      client: { cipherSuites: DUAL_CIPHER_SUITES },
      server: { maxVersion: 'TLSv1.2' },
      serverScript: (s) => s.mutate('server_hello', (m) => void (m.cipher_suite = S.TLS_AES_128_GCM_SHA256)),
    });
    expectRejected(o.client, 'illegal_parameter', 'RFC 5246 7.4.1.3');
  });

  it('a compression method that was not offered: illegal_parameter', () => {
    const o = run({ serverScript: (s) => s.mutate('server_hello', (m) => void (m.legacy_compression_method = 1)) });
    expectRejected(o.client, 'illegal_parameter', 'RFC 5246 7.4.1.3');
  });

  it('the same extension twice: illegal_parameter', () => {
    const o = run({ serverScript: (s) => s.mutate('server_hello', (m) => void m.extensions!.push({ type: 'extended_master_secret' })) });
    expectRejected(o.client, 'illegal_parameter', 'RFC 5246 7.4.1.4');
  });

  it('an unsolicited unknown extension: unsupported_extension', () => {
    const o = run({ serverScript: (s) => s.mutate('server_hello', (m) => void m.extensions!.push(unknownExt())) });
    expectRejected(o.client, 'unsupported_extension', 'RFC 5246 7.4.1.4');
  });

  it('an unsolicited extended_master_secret: unsupported_extension', () => {
    const o = run({ client: { extendedMasterSecret: false }, server: { extendedMasterSecret: false }, serverScript: (s) => s.mutate('server_hello', (m) => void m.extensions!.push({ type: 'extended_master_secret' })) });
    expectRejected(o.client, 'unsupported_extension', 'RFC 5246 7.4.1.4');
  });

  it('an offered extension that has no place in a TLS 1.2 ServerHello (supported_groups): illegal_parameter', () => {
    const o = run({ serverScript: (s) => s.mutate('server_hello', (m) => void m.extensions!.push(unknownExt(10))) });
    expectRejected(o.client, 'illegal_parameter', 'RFC 5246 7.4.1.4');
  });

  it('a session ID echoed that the client has no session for: illegal_parameter', () => {
    // A dual client in compatibility mode sends a random session ID; a TLS 1.2 server must not echo it.
    const o = run({
      client: { cipherSuites: DUAL_CIPHER_SUITES },
      server: { maxVersion: 'TLSv1.2' },
      serverScript: (s) =>
        s.on('server_hello', (m, ctl) => {
          const ch = t12(ctl.peer).ch as { legacy_session_id: Uint8Array };
          expect(ch.legacy_session_id.length).toBe(32);
          ctl.send({ ...m, legacy_session_id_echo: ch.legacy_session_id });
        }),
    });
    expectRejected(o.client, 'illegal_parameter', 'RFC 5246 7.4.1.3');
  });

  it('ec_point_formats without the uncompressed format: illegal_parameter', () => {
    const o = run({
      client: { cipherSuites: [ECDSA_GCM] },
      serverScript: (s) => s.mutate('server_hello', (m) => void (m.extensions = replaceExt(m.extensions, { type: 'ec_point_formats', ec_point_format_list: [1] }))),
    });
    expectRejected(o.client, 'illegal_parameter', 'RFC 8422 5.2');
  });

  it('encrypt_then_mac answered for an AEAD suite: illegal_parameter', () => {
    const o = run({
      client: { cipherSuites: [ECDSA_GCM, S.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA] },
      serverScript: (s) => s.mutate('server_hello', (m) => void m.extensions!.push({ type: 'encrypt_then_mac' })),
    });
    expect(o.server.ep.summary === undefined || o.server.ep.summary.cipherSuite === ECDSA_GCM).toBe(true);
    expectRejected(o.client, 'illegal_parameter', 'RFC 7366 3');
  });
});

describe('reference client, TLS 1.2 ALPN (RFC 7301 3.1) and secure renegotiation (RFC 5746 3.4)', () => {
  const alpn = (...names: string[]): Extension => ({ type: 'application_layer_protocol_negotiation', protocol_name_list: names.map(enc) });

  it('a protocol the client did not offer: illegal_parameter', () => {
    const o = run({ client: { alpn: ['h2'] }, serverScript: (s) => s.mutate('server_hello', (m) => void (m.extensions = replaceExt(m.extensions, alpn('http/1.1')))) });
    expectRejected(o.client, 'illegal_parameter', 'RFC 7301 3.1');
  });

  it('two protocols selected: illegal_parameter', () => {
    const o = run({ client: { alpn: ['h2', 'http/1.1'] }, server: { alpn: ['h2'] }, serverScript: (s) => s.mutate('server_hello', (m) => void (m.extensions = replaceExt(m.extensions, alpn('h2', 'http/1.1')))) });
    expectRejected(o.client, 'illegal_parameter', 'RFC 7301 3.1');
  });

  for (const scsv of [false, true]) {
    it(`a non-empty renegotiation_info in the initial ServerHello (client sent ${scsv ? 'the SCSV' : 'the extension'}): handshake_failure`, () => {
      const o = run({
        client: { renegotiationScsv: scsv },
        serverScript: (s) => s.mutate('server_hello', (m) => void (m.extensions = replaceExt(m.extensions, { type: 'renegotiation_info', renegotiated_connection: new Uint8Array(24) }))),
      });
      expectRejected(o.client, 'handshake_failure', 'RFC 5746 3.4');
    });
  }
});

describe('reference client, TLS 1.2 resumption (RFC 5246 7.4.1.3, RFC 7627 5.3) and session tickets (RFC 5077)', () => {
  it('a resumed session with another cipher suite: illegal_parameter', () => {
    const { store, cache } = firstSession({ cipherSuites: [ECDSA_GCM], sessionTickets12: false }, {});
    const o = run({
      client: { cipherSuites: [ECDSA_GCM, ECDSA_GCM256], sessionStore: store, sessionTickets12: false },
      server: { sessionCache12: cache },
      serverScript: (s) => s.mutate('server_hello', (m) => void (m.cipher_suite = ECDSA_GCM256)),
    });
    expectRejected(o.client, 'illegal_parameter', 'RFC 5246 7.4.1.3');
  });

  it('extended master secret used by the session but missing on resumption: handshake_failure (abort)', () => {
    const { store, cache } = firstSession({ sessionTickets12: false }, {});
    expect(store.get12('localhost')!.extendedMasterSecret).toBe(true);
    const o = run({
      client: { sessionStore: store, sessionTickets12: false },
      server: { sessionCache12: cache },
      serverScript: (s) => s.mutate('server_hello', (m) => void (m.extensions = withoutExt(m.extensions, 'extended_master_secret'))),
    });
    expect(o.server.ep.state).not.toBe('connected');
    expectRejected(o.client, 'handshake_failure', 'RFC 7627 5.3');
  });

  it('extended master secret not used by the session but present on resumption: handshake_failure (abort)', () => {
    const { store, cache } = firstSession({ sessionTickets12: false }, { extendedMasterSecret: false });
    expect(store.get12('localhost')!.extendedMasterSecret).toBe(false);
    const o = run({
      client: { sessionStore: store, sessionTickets12: false },
      server: { sessionCache12: cache, extendedMasterSecret: false },
      serverScript: (s) => s.mutate('server_hello', (m) => void m.extensions!.push({ type: 'extended_master_secret' })),
    });
    expectRejected(o.client, 'handshake_failure', 'RFC 7627 5.3');
  });

  it('session_ticket in the ServerHello of a client that did not offer it: unsupported_extension', () => {
    const o = run({ client: { sessionTickets12: false }, serverScript: (s) => s.mutate('server_hello', (m) => void m.extensions!.push({ type: 'session_ticket' })) });
    expectRejected(o.client, 'unsupported_extension', 'RFC 5246 7.4.1.4');
  });

  it('a NewSessionTicket that the ServerHello did not announce: unexpected_message', () => {
    const o = run({ serverScript: (s) => s.mutate('server_hello', (m) => void (m.extensions = withoutExt(m.extensions, 'session_ticket'))) });
    expectRejected(o.client, 'unexpected_message', 'RFC 5246 7.4');
  });

  it('a NewSessionTicket announced but not sent (ChangeCipherSpec instead): unexpected_message', () => {
    const o = run({ serverScript: (s) => s.drop('new_session_ticket') });
    expectRejected(o.client, 'unexpected_message', 'RFC 5246 7.1');
  });

  it('a second NewSessionTicket: unexpected_message', () => {
    const o = run({ serverScript: (s) => s.after('new_session_ticket', (ctl, m) => void ctl.send(m)) });
    expectRejected(o.client, 'unexpected_message', 'RFC 5246 7.4');
  });
});

describe('reference client, the server Certificate (RFC 5246 7.4.2)', () => {
  it('an empty certificate_list: bad_certificate', () => {
    const o = run({ serverScript: (s) => s.mutate('certificate', (m) => void (m.certificate_list = [])) });
    expectRejected(o.client, 'bad_certificate', 'RFC 5246 7.4.2');
  });

  it('a certificate that does not parse: bad_certificate', () => {
    const o = run({ serverScript: (s) => s.mutate('certificate', (m) => void (m.certificate_list = [Uint8Array.of(0x30, 3, 1, 2, 3)])) });
    expectRejected(o.client, 'bad_certificate', 'RFC 5246 7.4.2');
  });

  it('a certificate from an unknown CA: unknown_ca', () => {
    const o = run({ client: { trustRoots: [] } });
    expectRejected(o.client, 'unknown_ca', 'RFC 5246 7.4.2');
  });

  it('a certificate whose public key does not decode: bad_certificate (was an internal_error)', () => {
    const der = Uint8Array.from(TEST_PKI.p256().chain[0]);
    der[193] = 0; // inside the SubjectPublicKeyInfo: node's X509Certificate.publicKey throws
    const o = run({ client: { cipherSuites: [ECDSA_GCM] }, serverScript: (s) => s.mutate('certificate', (m) => void (m.certificate_list = [der])) });
    expectRejected(o.client, 'bad_certificate', 'RFC 5246 7.4.2');
  });

  it('an RSA certificate for an ECDHE_ECDSA suite: unsupported_certificate', () => {
    const o = run({ client: { cipherSuites: [ECDSA_GCM] }, serverScript: (s) => s.mutate('certificate', (m) => void (m.certificate_list = TEST_PKI.rsa().chain)) });
    expectRejected(o.client, 'unsupported_certificate', 'RFC 5246 7.4.2');
  });

  it('an ECDSA certificate for an RSA key exchange suite: unsupported_certificate', () => {
    const o = run({ client: { cipherSuites: [S.TLS_RSA_WITH_AES_128_GCM_SHA256] }, serverScript: (s) => s.mutate('certificate', (m) => void (m.certificate_list = TEST_PKI.p256().chain)) });
    expectRejected(o.client, 'unsupported_certificate', 'RFC 5246 7.4.2');
  });
});

describe('reference client, the ServerKeyExchange (RFC 5246 7.4.3, RFC 8422 5.4 / 5.11, RFC 7919)', () => {
  type Ske = Extract<HandshakeMessage, { msg_type: 'server_key_exchange' }>;
  const ske = (fn: (m: Ske) => void) => (s: Script) => s.mutate('server_key_exchange', (m) => void fn(m));
  /** The signature of a signed (ECDHE or DHE) ServerKeyExchange. */
  const sig = (m: Ske) => (m as Extract<Ske, { form: 'ecdhe' | 'dhe' }>).signature!;
  const ffdhe2048 = Object.values(FFDHE_GROUPS).find((g) => g.codePoint === NamedGroup.ffdhe2048)!;
  const dhe = { cipherSuites: [DHE_GCM], groups: [NamedGroup.ffdhe2048] };
  const dheServer = { groups: [NamedGroup.ffdhe2048] };

  it('a curve the client did not offer: illegal_parameter', () => {
    const o = run({
      client: { cipherSuites: [ECDSA_GCM], groups: [NamedGroup.x25519] },
      serverScript: ske((m) => {
        if (m.form === 'ecdhe') m.named_curve = NamedGroup.secp384r1;
      }),
    });
    expectRejected(o.client, 'illegal_parameter', 'RFC 8422 5.4');
  });

  it('an off-curve ECDHE point, correctly signed: illegal_parameter', () => {
    const o = run({
      client: { cipherSuites: [ECDSA_GCM], groups: [NamedGroup.secp256r1] },
      server: { groups: [NamedGroup.secp256r1] },
      serverScript: (s) =>
        s.on('server_key_exchange', (m, ctl) => {
          if (m.form !== 'ecdhe') throw new Error('expected ECDHE');
          const point = concat(Uint8Array.of(4), new Uint8Array(64).fill(1));
          const m12 = t12(ctl.peer) as { ch: { random: Uint8Array }; serverRandom: Uint8Array; selected: { ck: { key: Parameters<typeof nobleProvider.sign>[1] } } };
          const content = signedParams(m12.ch.random, m12.serverRandom, ecdheParams(m.named_curve, point));
          const signature = nobleProvider.sign('ecdsa_secp256r1_sha256', m12.selected.ck.key, content);
          ctl.send({ ...m, public: point, signature: { algorithm: SignatureScheme.ecdsa_secp256r1_sha256, signature } });
        }),
    });
    expectRejected(o.client, 'illegal_parameter', 'RFC 8422 5.11');
  });

  it('a signature scheme the client did not offer: illegal_parameter', () => {
    const o = run({
      client: { cipherSuites: [ECDSA_GCM], signatureSchemes: [SignatureScheme.ecdsa_secp256r1_sha256, SignatureScheme.rsa_pss_rsae_sha256] },
      serverScript: ske((m) => void (sig(m).algorithm = SignatureScheme.ecdsa_secp384r1_sha384)),
    });
    expectRejected(o.client, 'illegal_parameter', 'RFC 5246 7.4.1.4.1');
  });

  it('a signature scheme the server key cannot make: illegal_parameter', () => {
    const o = run({ client: { cipherSuites: [ECDSA_GCM] }, serverScript: ske((m) => void (sig(m).algorithm = SignatureScheme.rsa_pss_rsae_sha256)) });
    expectRejected(o.client, 'illegal_parameter', 'RFC 5246 7.4.3');
  });

  for (const suite of [ECDSA_GCM, RSA_GCM, DHE_GCM]) {
    it(`a signature that does not verify (${suite.toString(16)}): decrypt_error`, () => {
      const o = run({ client: { cipherSuites: [suite] }, serverScript: ske((m) => void (sig(m).signature[5] ^= 0x40)) });
      expectRejected(o.client, 'decrypt_error', 'RFC 5246 7.4.3');
    });
  }

  it('DHE with a group smaller than 2048 bits: insufficient_security', () => {
    const o = run({ client: dhe, server: dheServer, serverScript: ske((m) => void (m.form === 'dhe' && (m.dh_p = bigintToBytes((1n << 1023n) + 1n, 128)))) });
    expectRejected(o.client, 'insufficient_security', 'RFC 7919 3');
  });

  it('DHE with an even "prime" (not an RFC 7919 group): insufficient_security', () => {
    const o = run({ client: dhe, server: dheServer, serverScript: ske((m) => void (m.form === 'dhe' && (m.dh_p = bigintToBytes(ffdhe2048.p - 1n, 256)))) });
    expectRejected(o.client, 'insufficient_security', 'RFC 7919 3');
  });

  it('DHE with a generator out of range (g = 1, not an RFC 7919 group): illegal_parameter', () => {
    const o = run({ client: dhe, server: dheServer, serverScript: ske((m) => void (m.form === 'dhe' && ((m.dh_p = bigintToBytes(ffdhe2048.p + 2n, 256)), (m.dh_g = Uint8Array.of(1))))) });
    expectRejected(o.client, 'illegal_parameter', 'RFC 7919 5.1');
  });

  for (const [name, ys] of [['1', 1n], ['p-1', ffdhe2048.p - 1n], ['0', 0n]] as const) {
    it(`DHE with Ys = ${name}: illegal_parameter`, () => {
      const o = run({ client: dhe, server: dheServer, serverScript: ske((m) => void (m.form === 'dhe' && (m.dh_Ys = bigintToBytes(ys, 256)))) });
      expectRejected(o.client, 'illegal_parameter', 'RFC 7919 5.1');
    });
  }

  it('a ServerKeyExchange for an RSA key exchange suite: unexpected_message', () => {
    const o = run({
      client: { cipherSuites: [S.TLS_RSA_WITH_AES_128_GCM_SHA256] },
      serverScript: (s) => s.after('certificate', (ctl) => void ctl.send({ msg_type: 'server_key_exchange', form: 'ecdhe', curve_type: 3, named_curve: NamedGroup.x25519, public: new Uint8Array(32).fill(1), signature: { algorithm: SignatureScheme.rsa_pss_rsae_sha256, signature: new Uint8Array(256) } })),
    });
    expectRejected(o.client, 'unexpected_message', 'RFC 5246 7.4');
  });

  it('a ServerKeyExchange missing for an ECDHE suite: unexpected_message', () => {
    const o = run({ client: { cipherSuites: [ECDSA_GCM] }, serverScript: (s) => s.drop('server_key_exchange') });
    expectRejected(o.client, 'unexpected_message', 'RFC 5246 7.4');
  });
});

describe('reference client, ChangeCipherSpec and Finished (RFC 5246 7.1, 7.4.9)', () => {
  it('a ChangeCipherSpec before the key exchange: unexpected_message', () => {
    const o = run({ serverScript: (s) => s.after('server_hello', (ctl) => ctl.record(ContentType.change_cipher_spec, Uint8Array.of(1))) });
    expectRejected(o.client, 'unexpected_message', 'RFC 5246 7.1');
  });

  it('a ChangeCipherSpec that is not the single byte 1: decode_error', () => {
    const o = run({ serverScript: (s) => s.after('server_hello', (ctl) => ctl.record(ContentType.change_cipher_spec, Uint8Array.of(1, 1))) });
    expectRejected(o.client, 'decode_error', 'RFC 5246 7.1');
  });

  it('a second ChangeCipherSpec (after the Finished): unexpected_message', () => {
    const o = run({ serverScript: (s) => s.after('finished', (ctl) => ctl.record(ContentType.change_cipher_spec, Uint8Array.of(1))) });
    expectRejected(o.client, 'unexpected_message', 'RFC 5246 7.1');
  });

  it('a Finished before the ChangeCipherSpec: unexpected_message', () => {
    const o = run({ tap: finishedWithoutCcs('server') });
    expectRejected(o.client, 'unexpected_message', 'RFC 5246 7.4');
  });

  it('a wrong verify_data: decrypt_error', () => {
    const o = run({ serverScript: (s) => s.mutate('finished', (m) => void (m.verify_data[0] ^= 1)) });
    expectRejected(o.client, 'decrypt_error', 'RFC 5246 7.4.9');
  });

  it('a wrong verify_data in an abbreviated handshake: decrypt_error', () => {
    const { store, cache } = firstSession({ sessionTickets12: false }, {});
    const o = run({ client: { sessionStore: store, sessionTickets12: false }, server: { sessionCache12: cache }, serverScript: (s) => s.mutate('finished', (m) => void (m.verify_data[11] ^= 1)) });
    expectRejected(o.client, 'decrypt_error', 'RFC 5246 7.4.9');
  });

  it('a verify_data of 16 bytes: decode_error', () => {
    const o = run({ serverScript: (s) => s.mutate('finished', (m) => void (m.verify_data = new Uint8Array(16))) });
    expectRejected(o.client, 'decode_error', 'RFC 5246 7.4.9');
  });
});

describe('reference server, TLS 1.2 ClientHello (RFC 5246 7.4.1.2, E.1; RFC 5746 3.6; RFC 7507; RFC 8422 5.1.2; RFC 7301 3.2)', () => {
  it('a client_version below TLS 1.2 without supported_versions: protocol_version', () => {
    const o = run({ clientScript: (s) => s.mutate('client_hello', (m) => void (m.legacy_version = ProtocolVersion.TLS1_1)) });
    expectRejected(o.server, 'protocol_version', 'RFC 5246 E.1');
  });

  it('compression methods without null: illegal_parameter', () => {
    const o = run({ clientScript: (s) => s.mutate('client_hello', (m) => void (m.legacy_compression_methods = [1])) });
    expectRejected(o.server, 'illegal_parameter', 'RFC 5246 7.4.1.2');
  });

  it('TLS_FALLBACK_SCSV to a server that speaks TLS 1.3: inappropriate_fallback', () => {
    const o = run({ client: { cipherSuites: [...TLS12_CIPHER_SUITES, S.TLS_FALLBACK_SCSV] } });
    expectRejected(o.server, 'inappropriate_fallback', 'RFC 7507 3');
  });

  it('a non-empty renegotiation_info in the initial ClientHello: handshake_failure', () => {
    const o = run({ clientScript: (s) => s.mutate('client_hello', (m) => void (m.extensions = replaceExt(m.extensions, { type: 'renegotiation_info', renegotiated_connection: new Uint8Array(12) }))) });
    expectRejected(o.server, 'handshake_failure', 'RFC 5746 3.6');
  });

  it('ec_point_formats without uncompressed, with ECC groups offered: illegal_parameter', () => {
    const o = run({ clientScript: (s) => s.mutate('client_hello', (m) => void (m.extensions = replaceExt(m.extensions, { type: 'ec_point_formats', ec_point_format_list: [1, 2] }))) });
    expectRejected(o.server, 'illegal_parameter', 'RFC 8422 5.1.2');
  });

  it('no ALPN protocol in common: no_application_protocol', () => {
    const o = run({ client: { alpn: ['h2'] }, server: { alpn: ['http/1.1'] } });
    expectRejected(o.server, 'no_application_protocol', 'RFC 7301 3.2');
  });

  it('no cipher suite in common: handshake_failure', () => {
    const o = run({ client: { cipherSuites: [ECDSA_GCM] }, server: { cipherSuites: [RSA_GCM] } });
    expectRejected(o.server, 'handshake_failure', 'RFC 5246 7.4.1.3');
  });

  it('the same extension twice: illegal_parameter', () => {
    const o = run({ clientScript: (s) => s.mutate('client_hello', (m) => void m.extensions!.push({ type: 'extended_master_secret' })) });
    // Checked for every ClientHello before the version is chosen, hence the RFC 8446 citation (RFC 5246 7.4.1.4
    // has the same rule).
    expectRejected(o.server, 'illegal_parameter', 'RFC 8446 4.2');
  });

  it('extended master secret used by the session but missing on resumption: handshake_failure (abort)', () => {
    const { store, cache } = firstSession({ sessionTickets12: false }, {});
    const o = run({
      client: { sessionStore: store, sessionTickets12: false },
      server: { sessionCache12: cache },
      clientScript: (s) => s.mutate('client_hello', (m) => void (m.extensions = withoutExt(m.extensions, 'extended_master_secret'))),
    });
    expectRejected(o.server, 'handshake_failure', 'RFC 7627 5.3');
  });

  it('extended master secret used by a ticket session but missing on resumption: handshake_failure (abort)', () => {
    const { store } = firstSession({}, { sessionCache12: undefined });
    expect(store.get12('localhost')!.ticket).toBeDefined();
    const o = run({
      client: { sessionStore: store },
      server: { sessionCache12: undefined },
      clientScript: (s) => s.mutate('client_hello', (m) => void (m.extensions = withoutExt(m.extensions, 'extended_master_secret'))),
    });
    expectRejected(o.server, 'handshake_failure', 'RFC 7627 5.3');
  });

  it('a forged session ticket is not an error: a full handshake with a new ticket', () => {
    const o = run({ clientScript: (s) => s.mutate('client_hello', (m) => void ((m.legacy_session_id = new Uint8Array(32).fill(3)), (m.extensions = replaceExt(m.extensions, { type: 'session_ticket', ticket: new Uint8Array(80).fill(1) })))) });
    expectConnected(o);
    expect(o.client.ep.summary?.resumed).toBe(false);
  });
});

describe('reference server, the client Certificate and CertificateVerify (RFC 5246 7.4.6, 7.4.8)', () => {
  const auth = { client: { certificates: [CLIENT_CERT] }, server: { requestClientCert: true, requireClientCert: true } };

  it('no certificate when one is required: handshake_failure', () => {
    const o = run({ server: auth.server });
    expectRejected(o.server, 'handshake_failure', 'RFC 5246 7.4.6');
  });

  it('a certificate that does not parse: bad_certificate', () => {
    const o = run({ ...auth, clientScript: (s) => s.mutate('certificate', (m) => void (m.certificate_list = [Uint8Array.of(0x30, 3, 1, 2, 3)])) });
    expectRejected(o.server, 'bad_certificate', 'RFC 5246 7.4.6');
  });

  it('a certificate whose public key does not decode: bad_certificate (was an internal_error)', () => {
    const der = Uint8Array.from(TEST_PKI.p256().chain[0]);
    der[193] = 0;
    const o = run({ ...auth, clientScript: (s) => s.mutate('certificate', (m) => void (m.certificate_list = [der])) });
    expectRejected(o.server, 'bad_certificate', 'RFC 5246 7.4.6');
  });

  it('a certificate from an unknown CA: unknown_ca', () => {
    const o = run({ ...auth, server: { ...auth.server, trustRoots: [] } });
    expectRejected(o.server, 'unknown_ca', 'RFC 5246 7.4.6');
  });

  it('a key of a type the CertificateRequest did not list: unsupported_certificate (added check)', () => {
    const o = run({
      ...auth,
      // The server asks for rsa_sign only; the client sends its ECDSA certificate anyway.
      serverScript: (s) =>
        s.on('certificate_request', (m, ctl) => {
          if (m.form !== 'tls12') throw new Error('expected a TLS 1.2 CertificateRequest');
          m.certificate_types.splice(0, m.certificate_types.length, ClientCertificateType.rsa_sign);
          ctl.send(m);
        }),
      clientScript: (s) => s.mutate('certificate', (m) => void (m.certificate_list = CLIENT_CERT.chain)),
    });
    expectRejected(o.server, 'unsupported_certificate', 'RFC 5246 7.4.6');
  });

  it('a CertificateVerify scheme that was not requested: illegal_parameter', () => {
    const o = run({ ...auth, server: { ...auth.server, signatureSchemes: [SignatureScheme.ecdsa_secp256r1_sha256, SignatureScheme.rsa_pss_rsae_sha256] }, clientScript: (s) => s.mutate('certificate_verify', (m) => void (m.algorithm = SignatureScheme.ecdsa_secp384r1_sha384)) });
    expectRejected(o.server, 'illegal_parameter', 'RFC 5246 7.4.8');
  });

  it('a CertificateVerify scheme the client key cannot make: illegal_parameter', () => {
    const o = run({ ...auth, clientScript: (s) => s.mutate('certificate_verify', (m) => void (m.algorithm = SignatureScheme.rsa_pss_rsae_sha256)) });
    expectRejected(o.server, 'illegal_parameter', 'RFC 5246 7.4.8');
  });

  it('a CertificateVerify that does not verify: decrypt_error', () => {
    const o = run({ ...auth, clientScript: (s) => s.mutate('certificate_verify', (m) => void (m.signature[8] ^= 1)) });
    expectRejected(o.server, 'decrypt_error', 'RFC 5246 7.4.8');
  });

  it('no CertificateVerify after a certificate (ChangeCipherSpec instead): unexpected_message', () => {
    const o = run({ ...auth, clientScript: (s) => s.drop('certificate_verify') });
    expectRejected(o.server, 'unexpected_message', 'RFC 5246 7.1');
  });

  it('no Certificate when one was requested (ClientKeyExchange first): unexpected_message', () => {
    const o = run({ ...auth, clientScript: (s) => s.drop('certificate') });
    expectRejected(o.server, 'unexpected_message', 'RFC 5246 7.4');
  });
});

describe('TLS 1.2 signature algorithms: no MD5 or SHA-1 (RFC 9155, RFC 8446 4.2.3), legacySha1Signatures', () => {
  type Ske = Extract<HandshakeMessage, { msg_type: 'server_key_exchange' }>;
  const ECDHE_ONLY = [ECDSA_GCM, RSA_GCM, DHE_GCM];
  const sigAlgs = (m: Extract<HandshakeMessage, { msg_type: 'client_hello' }>) => m.extensions?.find((e) => e.type === 'signature_algorithms') as Extract<Extension, { type: 'signature_algorithms' }> | undefined;
  const noSigAlgs = (s: Script) => s.mutate('client_hello', (m) => void (m.extensions = withoutExt(m.extensions, 'signature_algorithms')));
  /** A client that builds its ClientHello without signature_algorithms (so it knows it did not send one). */
  const withoutSigAlgs: Partial<EndpointConfig> = { shapeExtensions: (msg, exts) => (msg === 'client_hello' ? withoutExt(exts, 'signature_algorithms') : exts) };
  /** The server signs its ServerKeyExchange with `scheme` (a real signature over the real params). */
  const skeSignedWith = (scheme: number) => (s: Script) =>
    s.on('server_key_exchange', (m, ctl) => {
      const ske = m as Extract<Ske, { form: 'ecdhe' | 'dhe' }>;
      const m12 = t12(ctl.peer) as { ch: { random: Uint8Array }; serverRandom: Uint8Array; selected: { ck: { key: Parameters<typeof nobleProvider.sign>[1] } } };
      const params = ske.form === 'ecdhe' ? ecdheParams(ske.named_curve, ske.public) : dheParams(ske.dh_p, ske.dh_g, ske.dh_Ys);
      const signature = nobleProvider.sign(schemeName12(scheme)!, m12.selected.ck.key, signedParams(m12.ch.random, m12.serverRandom, params), { ecdsaAnyCurve: true });
      ctl.send({ ...ske, signature: { algorithm: scheme, signature } });
    });
  /** The client signs its CertificateVerify with `scheme` (a real signature over the real handshake messages). */
  const cvSignedWith = (scheme: number) => (s: Script) =>
    s.on('certificate_verify', (m, ctl) => {
      const content = concat(...ctl.peer.transcript.messages);
      ctl.send({ ...m, algorithm: scheme, signature: nobleProvider.sign(schemeName12(scheme)!, CLIENT_CERT.key, content, { ecdsaAnyCurve: true }) });
    });
  const auth = { client: { certificates: [CLIENT_CERT] }, server: { requestClientCert: true, requireClientCert: true } };

  // ---- the server, a ClientHello without signature_algorithms

  it('a ClientHello without signature_algorithms, only suites that sign: handshake_failure (RFC 9155; was a SHA-1 signature)', () => {
    const o = run({ client: { cipherSuites: ECDHE_ONLY }, clientScript: noSigAlgs });
    expectRejected(o.server, 'handshake_failure', 'RFC 9155');
    // Before ServerHello: the alert is the only thing the server sent.
    expect(o.server.sent).toHaveLength(1);
  });

  it('a ClientHello without signature_algorithms that also offers the RSA key exchange: the suite without a signature is chosen', () => {
    const o = run({ client: { cipherSuites: [...ECDHE_ONLY, S.TLS_RSA_WITH_AES_128_GCM_SHA256] }, clientScript: noSigAlgs });
    expectConnected(o);
    expect(o.server.ep.summary).toMatchObject({ cipherSuite: S.TLS_RSA_WITH_AES_128_GCM_SHA256, signatureScheme: undefined });
  });

  it('legacySha1Signatures on both sides: no signature_algorithms gets the RFC 5246 7.4.1.4.1 default, {sha1, ecdsa} / {sha1, rsa}', () => {
    const legacy = { legacySha1Signatures: true };
    const a = run({ client: { cipherSuites: [ECDSA_GCM], ...legacy, ...withoutSigAlgs }, server: legacy });
    expectConnected(a);
    expect(a.client.ep.summary?.signatureScheme).toBe(SignatureScheme.ecdsa_sha1);
    const b = run({ client: { cipherSuites: [DHE_GCM], ...legacy, ...withoutSigAlgs }, server: legacy });
    expectConnected(b);
    expect(b.client.ep.summary?.signatureScheme).toBe(SignatureScheme.rsa_pkcs1_sha1);
  });

  it('a ClientHello that lists only SHA-1 schemes: no scheme the server may use, handshake_failure (RFC 9155)', () => {
    const only = [SignatureScheme.rsa_pkcs1_sha1, SignatureScheme.ecdsa_sha1];
    const o = run({ client: { cipherSuites: ECDHE_ONLY }, clientScript: (s) => s.mutate('client_hello', (m) => void (sigAlgs(m)!.supported_signature_algorithms = only)) });
    expectRejected(o.server, 'handshake_failure', 'RFC 9155');
    expect(o.server.error?.message).toMatch(/only signature schemes in common are SHA-1/);
    // A scheme that no key here can make (ed448, rsa_pss_pss_sha256): the usual no-suite-in-common failure.
    const none = run({ client: { cipherSuites: ECDHE_ONLY }, clientScript: (s) => s.mutate('client_hello', (m) => void (sigAlgs(m)!.supported_signature_algorithms = [SignatureScheme.ed448, SignatureScheme.rsa_pss_pss_sha256])) });
    expectRejected(none.server, 'handshake_failure', 'RFC 5246 7.4.1.3');
    // The same ClientHello to a legacySha1Signatures server (and client): it signs with SHA-1.
    const legacy = run({ client: { cipherSuites: [ECDSA_GCM], legacySha1Signatures: true }, server: { legacySha1Signatures: true }, clientScript: (s) => s.mutate('client_hello', (m) => void (sigAlgs(m)!.supported_signature_algorithms = only)) });
    expectConnected(legacy);
    expect(legacy.server.ep.summary?.signatureScheme).toBe(SignatureScheme.ecdsa_sha1);
  });

  // ---- the client: what it offers, what it accepts

  it('the client never offers MD5, SHA-1, SHA-224 or DSA in a TLS 1.2 or dual ClientHello, even when configured; legacySha1Signatures adds SHA-1 last', () => {
    const configured = [0x0101, SignatureScheme.rsa_pkcs1_sha1, 0x0303, 0x0402, SignatureScheme.ecdsa_sha1, SignatureScheme.ecdsa_secp256r1_sha256, SignatureScheme.rsa_pss_rsae_sha256];
    const offered = (client: Partial<EndpointConfig>) => {
      let list: number[] | undefined;
      run({ client: { signatureSchemes: configured, ...client }, clientScript: (s) => s.on('client_hello', (m, ctl) => void ((list = sigAlgs(m)?.supported_signature_algorithms), ctl.send(m))) });
      return list;
    };
    const strict = [SignatureScheme.ecdsa_secp256r1_sha256, SignatureScheme.rsa_pss_rsae_sha256];
    expect(offered({})).toEqual(strict);
    expect(offered({ cipherSuites: DUAL_CIPHER_SUITES })).toEqual(strict);
    // RFC 8446 4.2.3: SHA-1 "MUST" be listed "as the lowest priority"; MD5, SHA-224 and DSA never.
    expect(offered({ legacySha1Signatures: true })).toEqual([...strict, SignatureScheme.rsa_pkcs1_sha1, SignatureScheme.ecdsa_sha1]);
    // A TLS 1.3-only ClientHello is left as configured (TLS 1.3 behaviour does not change).
    expect(offered({ cipherSuites: [S.TLS_AES_128_GCM_SHA256], minVersion: 'TLSv1.3' })).toEqual(configured);
  });

  for (const [name, scheme, suite, rule] of [
    ['ecdsa_sha1', SignatureScheme.ecdsa_sha1, ECDSA_GCM, 'RFC 9155'],
    ['rsa_pkcs1_sha1', SignatureScheme.rsa_pkcs1_sha1, RSA_GCM, 'RFC 9155'],
    ['rsa_pkcs1_sha1 (DHE)', SignatureScheme.rsa_pkcs1_sha1, DHE_GCM, 'RFC 9155'],
  ] as const) {
    it(`a ServerKeyExchange signed with ${name}: illegal_parameter (${rule}), accepted with legacySha1Signatures`, () => {
      const o = run({ client: { cipherSuites: [suite] }, serverScript: skeSignedWith(scheme) });
      expectRejected(o.client, 'illegal_parameter', rule);
      expect(o.client.error?.message).toMatch(/SHA-1 signatures are deprecated/);
      // Positive control: the same signature is good, a legacy client accepts it.
      const legacy = run({ client: { cipherSuites: [suite], legacySha1Signatures: true }, serverScript: skeSignedWith(scheme) });
      expectConnected(legacy);
      expect(legacy.client.ep.summary?.signatureScheme).toBe(scheme);
    });
  }

  for (const [name, scheme] of [['{md5, ecdsa} (0x0103)', 0x0103], ['{sha224, ecdsa} (0x0303)', 0x0303]] as const) {
    it(`a ServerKeyExchange with ${name}: illegal_parameter (RFC 8446 4.2.3), even with legacySha1Signatures`, () => {
      for (const legacySha1Signatures of [false, true]) {
        const o = run({ client: { cipherSuites: [ECDSA_GCM], legacySha1Signatures }, serverScript: (s) => s.mutate('server_key_exchange', (m) => void ((m as Extract<Ske, { form: 'ecdhe' }>).signature!.algorithm = scheme)) });
        expectRejected(o.client, 'illegal_parameter', 'RFC 8446 4.2.3');
      }
    });
  }

  it('a ServerKeyExchange with a SHA-1 scheme after a ClientHello without signature_algorithms (a legacy server): illegal_parameter', () => {
    const o = run({ client: { cipherSuites: [ECDSA_GCM], ...withoutSigAlgs }, server: { legacySha1Signatures: true } });
    expectRejected(o.client, 'illegal_parameter', 'RFC 9155');
  });

  it('a ServerKeyExchange with SHA-256 after a ClientHello without signature_algorithms: not the RFC 5246 7.4.1.4.1 default, illegal_parameter', () => {
    const o = run({ client: { cipherSuites: [ECDSA_GCM], legacySha1Signatures: true, ...withoutSigAlgs }, server: { legacySha1Signatures: true }, serverScript: skeSignedWith(SignatureScheme.ecdsa_secp256r1_sha256) });
    expectRejected(o.client, 'illegal_parameter', 'RFC 5246 7.4.1.4.1');
  });

  // ---- client authentication

  it('the CertificateRequest lists no SHA-1 scheme even when configured; legacySha1Signatures lists them last', () => {
    const listed = (server: Partial<EndpointConfig>) => {
      let list: number[] | undefined;
      run({ ...auth, server: { ...auth.server, ...server }, serverScript: (s) => s.on('certificate_request', (m, ctl) => void ((list = m.form === 'tls12' ? m.supported_signature_algorithms : undefined), ctl.send(m))) });
      return list;
    };
    const configured = [SignatureScheme.rsa_pkcs1_sha1, SignatureScheme.ecdsa_secp256r1_sha256, SignatureScheme.ecdsa_sha1, SignatureScheme.rsa_pss_rsae_sha256];
    expect(listed({ signatureSchemes: configured })).toEqual([SignatureScheme.ecdsa_secp256r1_sha256, SignatureScheme.rsa_pss_rsae_sha256]);
    expect(listed({ signatureSchemes: configured, legacySha1Signatures: true })).toEqual([SignatureScheme.ecdsa_secp256r1_sha256, SignatureScheme.rsa_pss_rsae_sha256, SignatureScheme.rsa_pkcs1_sha1, SignatureScheme.ecdsa_sha1]);
    expect(listed({ signatureSchemes: [SignatureScheme.ecdsa_secp256r1_sha256], legacySha1Signatures: true })).toEqual([SignatureScheme.ecdsa_secp256r1_sha256, SignatureScheme.rsa_pkcs1_sha1, SignatureScheme.ecdsa_sha1]);
  });

  it('a client CertificateVerify signed with ecdsa_sha1: illegal_parameter (RFC 9155), accepted by a legacySha1Signatures server', () => {
    const o = run({ ...auth, clientScript: cvSignedWith(SignatureScheme.ecdsa_sha1) });
    expectRejected(o.server, 'illegal_parameter', 'RFC 9155');
    const legacy = run({ ...auth, server: { ...auth.server, legacySha1Signatures: true }, clientScript: cvSignedWith(SignatureScheme.ecdsa_sha1) });
    expectConnected(legacy);
  });

  it('a client CertificateVerify with {sha224, ecdsa}: illegal_parameter (RFC 8446 4.2.3)', () => {
    const o = run({ ...auth, server: { ...auth.server, legacySha1Signatures: true }, clientScript: (s) => s.mutate('certificate_verify', (m) => void (m.algorithm = 0x0303)) });
    expectRejected(o.server, 'illegal_parameter', 'RFC 8446 4.2.3');
  });

  it('a CertificateRequest that lists only SHA-1 schemes: the client has nothing to sign with and sends no certificate (RFC 5246 7.4.6)', () => {
    const o = run({
      ...auth,
      server: { ...auth.server, requireClientCert: false },
      serverScript: (s) => s.mutate('certificate_request', (m) => void (m.form === 'tls12' && (m.supported_signature_algorithms = [SignatureScheme.rsa_pkcs1_sha1, SignatureScheme.ecdsa_sha1]))),
    });
    expectConnected(o);
    expect(o.server.ep.summary?.peerCertificates).toEqual([]);
  });
});

describe('TLS 1.2 ECDSA: the hash is not bound to the curve (RFC 8446 4.2.3, RFC 8422 5.4; RFC 5246 7.4.3 / 7.4.8)', () => {
  type Ske = Extract<HandshakeMessage, { msg_type: 'server_key_exchange' }>;
  const P256_ONLY = { certificates: [TEST_PKI.p256()] };
  const P384_ONLY = { certificates: [TEST_PKI.p384()] };
  const auth = { client: { certificates: [CLIENT_CERT] }, server: { requestClientCert: true, requireClientCert: true } };

  for (const [key, server, scheme] of [
    ['P-256', P256_ONLY, SignatureScheme.ecdsa_secp384r1_sha384],
    ['P-384', P384_ONLY, SignatureScheme.ecdsa_secp256r1_sha256],
  ] as const) {
    it(`a ${key} server signs its ServerKeyExchange with ${nameOf(SignatureScheme, scheme)} when that is all the client offers; the client verifies it`, () => {
      const o = run({ client: { cipherSuites: [ECDSA_GCM], signatureSchemes: [scheme, SignatureScheme.rsa_pss_rsae_sha256] }, server });
      expectConnected(o);
      expect(o.client.ep.summary?.signatureScheme).toBe(scheme);
      expect(o.server.ep.summary?.signatureScheme).toBe(scheme);
    });
  }

  it('the server prefers the scheme whose curve is its key\'s, whatever the order of its list', () => {
    const both = [SignatureScheme.ecdsa_secp384r1_sha384, SignatureScheme.ecdsa_secp256r1_sha256];
    expect(run({ client: { cipherSuites: [ECDSA_GCM], signatureSchemes: both }, server: { ...P256_ONLY, signatureSchemes: both } }).client.ep.summary?.signatureScheme).toBe(SignatureScheme.ecdsa_secp256r1_sha256);
    expect(run({ client: { cipherSuites: [ECDSA_GCM], signatureSchemes: both }, server: { ...P384_ONLY, signatureSchemes: [...both].reverse() } }).client.ep.summary?.signatureScheme).toBe(SignatureScheme.ecdsa_secp384r1_sha384);
  });

  it('the client rejects a P-256 + SHA-384 ServerKeyExchange whose signature does not verify: decrypt_error (the scheme itself is accepted)', () => {
    const o = run({
      client: { cipherSuites: [ECDSA_GCM], signatureSchemes: [SignatureScheme.ecdsa_secp384r1_sha384] },
      server: P256_ONLY,
      serverScript: (s) => s.mutate('server_key_exchange', (m) => void ((m as Extract<Ske, { form: 'ecdhe' }>).signature!.signature[10] ^= 1)),
    });
    expectRejected(o.client, 'decrypt_error', 'RFC 5246 7.4.3');
  });

  it('a P-256 + SHA-256 signature labelled ecdsa_secp384r1_sha384: decrypt_error (the label is the hash)', () => {
    const o = run({
      client: { cipherSuites: [ECDSA_GCM], signatureSchemes: [SignatureScheme.ecdsa_secp256r1_sha256, SignatureScheme.ecdsa_secp384r1_sha384] },
      server: P256_ONLY,
      serverScript: (s) => s.mutate('server_key_exchange', (m) => void ((m as Extract<Ske, { form: 'ecdhe' }>).signature!.algorithm = SignatureScheme.ecdsa_secp384r1_sha384)),
    });
    expectRejected(o.client, 'decrypt_error', 'RFC 5246 7.4.3');
  });

  it('an ECDSA scheme for an Ed25519 key, or ed25519 for an ECDSA key: illegal_parameter (RFC 5246 7.4.3)', () => {
    const a = run({ client: { cipherSuites: [ECDSA_GCM] }, server: P256_ONLY, serverScript: (s) => s.mutate('server_key_exchange', (m) => void ((m as Extract<Ske, { form: 'ecdhe' }>).signature!.algorithm = SignatureScheme.ed25519)) });
    expectRejected(a.client, 'illegal_parameter', 'RFC 5246 7.4.3');
    const b = run({ client: { cipherSuites: [ECDSA_GCM] }, server: { certificates: [TEST_PKI.ed25519()] }, serverScript: (s) => s.mutate('server_key_exchange', (m) => void ((m as Extract<Ske, { form: 'ecdhe' }>).signature!.algorithm = SignatureScheme.ecdsa_secp256r1_sha256)) });
    expectRejected(b.client, 'illegal_parameter', 'RFC 5246 7.4.3');
  });

  for (const scheme of [SignatureScheme.ecdsa_secp384r1_sha384, SignatureScheme.ecdsa_secp256r1_sha256]) {
    it(`a P-256 client certificate signs its CertificateVerify with ${nameOf(SignatureScheme, scheme)} when the CertificateRequest lists only that; the server verifies it`, () => {
      const o = run({ ...auth, server: { ...auth.server, signatureSchemes: [scheme, SignatureScheme.rsa_pss_rsae_sha256] } });
      expectConnected(o);
      expect(o.server.ep.summary?.peerCertificates).toHaveLength(1);
    });
  }

  it('a P-256 client CertificateVerify labelled ecdsa_secp384r1_sha384 but made with SHA-256: decrypt_error', () => {
    const o = run({ ...auth, clientScript: (s) => s.mutate('certificate_verify', (m) => void (m.algorithm = SignatureScheme.ecdsa_secp384r1_sha384)) });
    expectRejected(o.server, 'decrypt_error', 'RFC 5246 7.4.8');
  });

  // ecdsa_secp521r1_sha512 with a P-256 key: needs the provider to know the scheme (the groups branch adds it).
  const has521 = (() => {
    try {
      nobleProvider.sign('ecdsa_secp521r1_sha512' as Parameters<typeof nobleProvider.sign>[0], TEST_PKI.p256().key, new Uint8Array(1), { ecdsaAnyCurve: true });
      return true;
    } catch {
      return false;
    }
  })();
  it.skipIf(!has521)('a P-256 server signs with ecdsa_secp521r1_sha512 (SHA-512) when that is all the client offers', () => {
    const o = run({ client: { cipherSuites: [ECDSA_GCM], signatureSchemes: [SignatureScheme.ecdsa_secp521r1_sha512] }, server: { ...P256_ONLY, signatureSchemes: [SignatureScheme.ecdsa_secp521r1_sha512] } });
    expectConnected(o);
    expect(o.client.ep.summary?.signatureScheme).toBe(SignatureScheme.ecdsa_secp521r1_sha512);
  });
});

describe('reference server, ClientKeyExchange, ChangeCipherSpec and Finished (RFC 8422 5.11, RFC 7919 5.1, RFC 5246 7.1, 7.4.9)', () => {
  it('an off-curve ECDHE point: illegal_parameter', () => {
    const o = run({
      client: { cipherSuites: [ECDSA_GCM], groups: [NamedGroup.secp256r1] },
      server: { groups: [NamedGroup.secp256r1] },
      clientScript: (s) => s.mutate('client_key_exchange', (m) => void (m.form === 'ecdhe' && (m.ecdh_Yc = concat(Uint8Array.of(4), new Uint8Array(64).fill(1))))),
    });
    expectRejected(o.server, 'illegal_parameter', 'RFC 8422 5.11');
  });

  it('a DHE public value Yc = 1: illegal_parameter', () => {
    const o = run({
      client: { cipherSuites: [DHE_GCM], groups: [NamedGroup.ffdhe2048] },
      server: { groups: [NamedGroup.ffdhe2048] },
      clientScript: (s) => s.mutate('client_key_exchange', (m) => void (m.form === 'dhe' && (m.dh_Yc = bigintToBytes(1n, 256)))),
    });
    expectRejected(o.server, 'illegal_parameter', 'RFC 7919 5.1');
  });

  it('a ChangeCipherSpec before the ClientKeyExchange: unexpected_message', () => {
    const o = run({ clientScript: (s) => s.on('client_key_exchange', (m, ctl) => void (ctl.record(ContentType.change_cipher_spec, Uint8Array.of(1)), ctl.send(m))) });
    expectRejected(o.server, 'unexpected_message', 'RFC 5246 7.1');
  });

  it('a ChangeCipherSpec that is not the single byte 1: decode_error', () => {
    const o = run({ clientScript: (s) => s.after('client_key_exchange', (ctl) => ctl.record(ContentType.change_cipher_spec, Uint8Array.of(2))) });
    expectRejected(o.server, 'decode_error', 'RFC 5246 7.1');
  });

  it('a second ChangeCipherSpec (before the Finished): unexpected_message', () => {
    const o = run({ clientScript: (s) => s.on('finished', (m, ctl) => void (ctl.record(ContentType.change_cipher_spec, Uint8Array.of(1)), ctl.send(m))) });
    expectRejected(o.server, 'unexpected_message', 'RFC 5246 7.1');
  });

  it('a Finished before the ChangeCipherSpec: unexpected_message', () => {
    const o = run({ tap: finishedWithoutCcs('client') });
    expectRejected(o.server, 'unexpected_message', 'RFC 5246 7.4');
  });

  it('a wrong verify_data: decrypt_error', () => {
    const o = run({ clientScript: (s) => s.mutate('finished', (m) => void (m.verify_data[3] ^= 0x80)) });
    expectRejected(o.server, 'decrypt_error', 'RFC 5246 7.4.9');
  });

  it('a wrong verify_data in an abbreviated handshake: decrypt_error', () => {
    const { store, cache } = firstSession({ sessionTickets12: false }, {});
    const o = run({ client: { sessionStore: store, sessionTickets12: false }, server: { sessionCache12: cache }, clientScript: (s) => s.mutate('finished', (m) => void (m.verify_data[0] ^= 1)) });
    expect(o.client.ep.summary?.resumed).toBe(true);
    expectRejected(o.server, 'decrypt_error', 'RFC 5246 7.4.9');
  });

  it('a client Finished before the server Finished in an abbreviated handshake (no CCS): unexpected_message', () => {
    const { store, cache } = firstSession({ sessionTickets12: false }, {});
    // The client, resuming, gets the server's ServerHello only (CCS and Finished held back) and a Finished of
    // its own is forced out in plaintext: the server waits for a ChangeCipherSpec.
    const o = run({ client: { sessionStore: store, sessionTickets12: false }, server: { sessionCache12: cache }, tap: finishedWithoutCcs('client') });
    expectRejected(o.server, 'unexpected_message', 'RFC 5246 7.4');
  });
});

describe('TLS 1.2 record protection: padding and MAC errors are indistinguishable (RFC 5246 6.2.3.2, RFC 7366 3)', () => {
  /** Connect, then have the client's next record replaced by `record(writeProtection)`; the server's error. */
  function badRecord(suite: number, etm: boolean, record: (p: RecordProtection) => Uint8Array): Party<ScriptedServer> {
    const o = run({
      client: { cipherSuites: [suite], encryptThenMac: etm },
      then: (c) => c.rl.sendRaw(record(writeProt(c))),
    });
    expect(o.client.ep.summary?.encryptThenMac).toBe(etm);
    return o.server;
  }

  for (const [name, suite] of [['AES-128-CBC-SHA', S.TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA], ['AES-256-CBC-SHA384', S.TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384]] as const) {
    it(`MAC-then-encrypt (${name}): a bad MAC and bad padding both give bad_record_mac, with the same alert, rule and message`, () => {
      const content = enc('hello, padding oracle');
      const mac = badRecord(suite, false, (p) => cbcRecord(p, content, 'mac'));
      const pad = badRecord(suite, false, (p) => cbcRecord(p, content, 'padding'));
      expectRejected(mac, 'bad_record_mac', 'RFC 5246 6.2.3.2');
      expectRejected(pad, 'bad_record_mac', 'RFC 5246 6.2.3.2');
      expect(pad.error!.message).toBe(mac.error!.message);
      expect(pad.sent.at(-1)).toEqual(mac.sent.at(-1));
    });

    it(`encrypt-then-MAC (${name}): a bad MAC and bad padding (under a good MAC) both give bad_record_mac`, () => {
      const content = enc('hello, padding oracle');
      const mac = badRecord(suite, true, (p) => cbcRecord(p, content, 'mac'));
      const pad = badRecord(suite, true, (p) => cbcRecord(p, content, 'padding'));
      expectRejected(mac, 'bad_record_mac', 'RFC 7366 3');
      // Under encrypt-then-MAC the padding is looked at only once the MAC has verified: the rule names both RFCs.
      expectRejected(pad, 'bad_record_mac', 'RFC 7366 3 / RFC 5246 6.2.3.2');
      expect(pad.error!.alert).toBe(mac.error!.alert);
      expect(pad.error!.message).toBe(mac.error!.message.replace('RFC 7366 3,', 'RFC 7366 3 / RFC 5246 6.2.3.2,'));
      expect(pad.sent.at(-1)).toEqual(mac.sent.at(-1));
    });
  }

  it('the hand-made records are right when not faulted (MtE and EtM): the data arrives', () => {
    for (const etm of [false, true]) {
      const o = run({ client: { cipherSuites: [S.TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA], encryptThenMac: etm }, then: (c) => c.rl.sendRaw(cbcRecordGood(writeProt(c), enc('ok'))) });
      expectConnected(o);
      expect(o.server.events).toContainEqual({ type: 'application_data', data: enc('ok') });
    }
  });

  it('AEAD (AES-GCM): a flipped tag bit gives bad_record_mac', () => {
    const o = run({
      client: { cipherSuites: [ECDSA_GCM] },
      then: (c) => {
        const r = writeProt(c).encrypt(ContentType.application_data, enc('x')).bytes;
        r[r.length - 1] ^= 1;
        c.rl.sendRaw(r);
      },
    });
    expectRejected(o.server, 'bad_record_mac', 'RFC 5246 6.2.3.3');
  });

  it('a record too short for nonce_explicit and tag: bad_record_mac', () => {
    const o = run({ client: { cipherSuites: [ECDSA_GCM] }, then: (c) => c.rl.sendRaw(plainRecord(ContentType.application_data, new Uint8Array(10))) });
    expectRejected(o.server, 'bad_record_mac', 'RFC 5246 6.2.3.3');
  });

  it('a protected fragment over 2^14 bytes: record_overflow', () => {
    const o = run({ client: { cipherSuites: [ECDSA_GCM] }, then: (c) => c.rl.sendRaw(writeProt(c).encrypt(ContentType.application_data, new Uint8Array(2 ** 14 + 1), { unchecked: true }).bytes) });
    expectRejected(o.server, 'record_overflow', 'RFC 5246 6.2.1');
  });

  it('a TLSCiphertext over 2^14 + 2048 bytes: record_overflow', () => {
    const o = run({ client: { cipherSuites: [ECDSA_GCM] }, then: (c) => c.rl.sendRaw(plainRecord(ContentType.application_data, new Uint8Array(2 ** 14 + 2049))) });
    // The deframer's limit for protected records (2^14 + 2048, RFC 5246 6.2.3).
    expectRejected(o.server, 'record_overflow', 'RFC 5246 6.2.3');
  });

  it('a record of an unknown content type during the handshake: unexpected_message', () => {
    const o = run({ clientScript: (s) => s.after('client_key_exchange', (ctl) => ctl.raw(plainRecord(0x42, Uint8Array.of(1)))) });
    expectRejected(o.server, 'unexpected_message', 'RFC 5246 6');
  });

  // KNOWN BUG (record-layer.ts, outside this change): under TLS 1.2 read keys a whole record of an unknown
  // content type is decrypted first and fails as bad_record_mac; RFC 5246 6 wants unexpected_message (the
  // type is in the clear in TLS 1.2). `it.fails` until the record layer checks the type before decrypting.
  it('a record of an unknown content type under the read keys: unexpected_message', () => {
    const o = run({ then: (c) => c.rl.sendRaw(plainRecord(0x42, Uint8Array.of(1))) });
    expectRejected(o.server, 'unexpected_message', 'RFC 5246 6');
  });

  it('a heartbeat record (heartbeat not negotiated): unexpected_message', () => {
    const o = run({ then: (c) => c.rl.send(ContentType.heartbeat, Uint8Array.of(1, 0, 1, 0)) });
    expectRejected(o.server, 'unexpected_message', 'RFC 5246 6');
  });
});

/** cbcRecord without a fault: the same construction, to show the faults are the only difference. */
function cbcRecordGood(prot: RecordProtection, content: Uint8Array): Uint8Array {
  const p = prot as unknown as CbcInternals;
  const block = p.cbc.blockLength;
  const type = ContentType.application_data;
  const macInside = p.encryptThenMac ? 0 : p.macLength;
  const padLength = ((block - ((content.length + macInside + 1) % block)) % block) + block;
  const mac = p.encryptThenMac ? new Uint8Array(0) : p.mac(p.seq, type, 0x0303, content);
  const plain = concat(content, mac, new Uint8Array(padLength + 1).fill(padLength));
  const iv = new Uint8Array(block).fill(9);
  const encrypted = concat(iv, p.cbc.encrypt(iv, plain));
  return plainRecord(type, p.encryptThenMac ? concat(encrypted, p.mac(p.seq, type, 0x0303, encrypted)) : encrypted);
}

describe('TLS 1.2 application data before the handshake completes (RFC 5246 7.4.9; fixed: cited RFC 8446 4)', () => {
  it('the client gets application data in the server\'s first flight: unexpected_message', () => {
    const o = run({ serverScript: (s) => s.after('certificate', (ctl) => ctl.record(ContentType.application_data, enc('too early'))) });
    expectRejected(o.client, 'unexpected_message', 'RFC 5246 7.4.9');
  });

  it('the server gets plaintext application data after the ClientKeyExchange: unexpected_message', () => {
    const o = run({ clientScript: (s) => s.after('client_key_exchange', (ctl) => ctl.record(ContentType.application_data, enc('too early'))) });
    expectRejected(o.server, 'unexpected_message', 'RFC 5246 7.4.9');
  });

  it('the server gets protected application data between the ChangeCipherSpec and the Finished: unexpected_message', () => {
    const o = run({ clientScript: (s) => s.on('finished', (m, ctl) => void (ctl.record(ContentType.application_data, enc('too early')), ctl.send(m))) });
    expectRejected(o.server, 'unexpected_message', 'RFC 5246 7.4.9');
  });
});

describe('TLS 1.2 after the handshake: renegotiation refused (RFC 5246 7.2.2, RFC 5746 4.2 / 4.4), other messages, alerts', () => {
  /** The endpoint sent a warning no_renegotiation and nothing fatal, and the connection still carries data. */
  function expectRefused(p: Party<Endpoint>, o: Outcome): void {
    expect(p.error).toBeUndefined();
    const alerts = p.sent.filter((r) => r.type === ContentType.alert);
    expect(alerts.map((a) => [...a.content])).toEqual([[1, AlertDescription.no_renegotiation]]);
    expect(p.ep.renegotiationsRefused).toBe(1);
    expect(o.client.ep.state).toBe('connected');
    expect(o.server.ep.state).toBe('connected');
    o.client.ep.write(enc('still'));
    o.server.ep.write(enc('here'));
    drive(o.client.ep, o.server.ep);
    expect(o.server.ep.takeEvents()).toContainEqual({ type: 'application_data', data: enc('still') });
    expect(o.client.ep.takeEvents()).toContainEqual({ type: 'application_data', data: enc('here') });
  }

  it('a HelloRequest after the handshake: the client refuses with a warning no_renegotiation and carries on', () => {
    const o = run({ then: (_c, s) => sendPost(s, { msg_type: 'hello_request' }) });
    expectRefused(o.client, o);
    expect(o.server.events).toContainEqual({ type: 'alert', level: 1, description: AlertDescription.no_renegotiation });
  });

  it('a renegotiation ClientHello whose renegotiation_info is not the saved client_verify_data: handshake_failure (RFC 5746 3.7), before any refusal', () => {
    const o = run({
      then: (c) =>
        sendPost(c, {
          msg_type: 'client_hello',
          legacy_version: 0x0303,
          random: new Uint8Array(32).fill(4),
          legacy_session_id: new Uint8Array(0),
          cipher_suites: [ECDSA_GCM],
          legacy_compression_methods: [0],
          extensions: [{ type: 'renegotiation_info', renegotiated_connection: new Uint8Array(12) }],
        }),
    });
    expectRejected(o.server, 'handshake_failure', 'RFC 5746 3.7');
  });

  it('a HelloRequest during the handshake is ignored (RFC 5246 7.4.1.1)', () => {
    const o = run({ serverScript: (s) => s.after('certificate', (ctl) => void ctl.send({ msg_type: 'hello_request' }, false)) });
    expectConnected(o);
  });

  it('a HelloRequest sent to the server: unexpected_message', () => {
    const o = run({ then: (c) => sendPost(c, { msg_type: 'hello_request' }) });
    expectRejected(o.server, 'unexpected_message', 'RFC 5246 7.4');
  });

  it('another handshake message after the handshake (a server Certificate): unexpected_message', () => {
    const o = run({ then: (_c, s) => sendPost(s, { msg_type: 'certificate', form: 'tls12', certificate_list: [] }) });
    expectRejected(o.client, 'unexpected_message', 'RFC 5246 7.4');
  });

  it('a fatal alert from the peer: the connection fails without an alert in answer', () => {
    const o = run({ then: (c) => c.rl.send(ContentType.alert, Uint8Array.of(2, AlertDescription.internal_error)) });
    expect(o.server.error).toMatchObject({ alert: 'internal_error', origin: 'alert-received' });
    expect(o.server.error!.rule).toBe('RFC 5246 7.2.2');
    expect(o.server.sent.filter((r) => r.type === ContentType.alert)).toEqual([]);
  });

  it('a warning-level alert that TLS 1.2 does not allow as a warning (decode_error) is fatal', () => {
    const o = run({ then: (c) => c.rl.send(ContentType.alert, Uint8Array.of(1, AlertDescription.decode_error)) });
    expect(o.server.error).toMatchObject({ alert: 'decode_error', origin: 'alert-received' });
    expect(o.server.ep.state).toBe('failed');
  });
});

describe('reference server, TLS 1.2 ClientHello.legacy_version (RFC 8446 D.5, 4.2.1; RFC 9846 4.2.2; RFC 5246 E.1)', () => {
  const version = (v: number) => (s: Script) => s.mutate('client_hello', (m) => void (m.legacy_version = v));

  it('client_version 0x0300 (SSL 3.0): protocol_version (RFC 8446 D.5)', () => {
    expectRejected(run({ clientScript: version(ProtocolVersion.SSL3_0) }).server, 'protocol_version', 'RFC 8446 D.5');
  });

  it('client_version 0x0301 without supported_versions: protocol_version (RFC 5246 E.1: no version in common)', () => {
    expectRejected(run({ clientScript: version(ProtocolVersion.TLS1_0) }).server, 'protocol_version', 'RFC 5246 E.1');
  });

  for (const v of [ProtocolVersion.TLS1_3, 0x0305]) {
    it(`client_version 0x${v.toString(16)} without supported_versions: TLS 1.2 (RFC 8446 4.2.1: "even if ClientHello.legacy_version is 0x0304 or later")`, () => {
      const o = run({ clientScript: version(v) });
      expectConnected(o);
      expect(o.server.ep.summary?.version).toBe('TLSv1.2');
    });
  }

  it('a dual-version ClientHello (supported_versions) with legacy_version 0x0301: protocol_version (RFC 9846 4.2.2)', () => {
    const o = run({ client: { cipherSuites: DUAL_CIPHER_SUITES }, server: { maxVersion: 'TLSv1.2' }, clientScript: version(ProtocolVersion.TLS1_0) });
    expectRejected(o.server, 'protocol_version', 'RFC 9846 4.2.2');
  });
});

describe('TLS 1.2: the message type before its body (RFC 5246 7.4)', () => {
  for (const t of [1, 2, 11, 12, 13, 15, 20, 24]) {
    it(`the ClientKeyExchange relabelled as type ${t}: unexpected_message`, () => {
      expectRejected(run({ clientScript: (s) => s.wire('client_key_exchange', relabel(t)) }).server, 'unexpected_message', 'RFC 5246 7.4');
    });
  }

  for (const [from, t] of [['certificate', 14], ['certificate', 12], ['server_key_exchange', 14], ['server_key_exchange', 11], ['server_hello_done', 20], ['server_hello_done', 15]] as const) {
    it(`the server's ${from} relabelled as type ${t}: unexpected_message`, () => {
      expectRejected(run({ client: { cipherSuites: [ECDSA_GCM] }, serverScript: (s) => s.wire(from, relabel(t)) }).client, 'unexpected_message', 'RFC 5246 7.4');
    });
  }

  it('a ServerKeyExchange header announcing more than its syntax allows (262,151 bytes): decode_error before the body', () => {
    const o = run({ client: { cipherSuites: [ECDSA_GCM] }, serverScript: (s) => s.on('server_key_exchange', (_m, ctl) => ctl.record(ContentType.handshake, Uint8Array.of(12, 0x04, 0x00, 0x07))) });
    expectRejected(o.client, 'decode_error', 'RFC 5246 7.2.2');
    expect(o.client.error!.detail).toBe('server_key_exchange of 262151 bytes: its syntax allows at most 262150 bytes');
  });

  it('a client Certificate over maxHandshakeMessageSize: internal_error, a local limit', () => {
    const o = run({
      client: { certificates: [CLIENT_CERT] },
      server: { requestClientCert: true, maxHandshakeMessageSize: 4096 },
      clientScript: (s) => s.mutate('certificate', (m) => void (m as { certificate_list: Uint8Array[] }).certificate_list.push(new Uint8Array(5000).fill(0x30))),
    });
    expectLocalLimit(o.server, 'RFC 5246 7.2.2');
  });
});

describe('TLS 1.2: warning alerts in a row (RFC 5246 7.2.2; CVE-2016-8610)', () => {
  const warnings = (n: number) => (s: Script) => s.on('client_key_exchange', alertsFirst(n, AlertDescription.certificate_unknown));

  it('four warning alerts (certificate_unknown) before the ClientKeyExchange: the handshake completes', () => {
    const o = run({ clientScript: warnings(4) });
    expectConnected(o);
    expect(o.server.events.filter((e) => e.type === 'alert')).toHaveLength(4);
  });

  it('five in a row: unexpected_message', () => {
    expectRejected(run({ clientScript: warnings(5) }).server, 'unexpected_message', 'RFC 5246 7.2.2');
  });

  it('the client refuses five no_renegotiation-level warnings in a row from the server, after the handshake', () => {
    const o = run({
      then: (_c, srv) => {
        for (let i = 0; i < 5; i++) srv.rl.send(ContentType.alert, Uint8Array.of(1, AlertDescription.no_renegotiation));
      },
    });
    expectRejected(o.client, 'unexpected_message', 'RFC 5246 7.2.2');
  });

  it('application data between them restarts the count', () => {
    const o = run({
      then: (_c, srv) => {
        for (let i = 0; i < 8; i++) {
          srv.rl.send(ContentType.alert, Uint8Array.of(1, AlertDescription.no_renegotiation));
          if (i === 3) srv.write(enc('progress'));
        }
      },
    });
    expectConnected(o);
  });
});
