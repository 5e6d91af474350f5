/**
 * Negative tests of the reference server: one per rule it enforces. Each builds the offending message with
 * a scripted client (the real TlsClient whose outgoing messages a Script changes before they are encoded and
 * encrypted, see peers.ts) and checks the alert, the rule cited, and that exactly one fatal alert with that
 * description was the last thing the server sent.
 */
import { describe, expect, it } from 'vitest';
import { AlertDescription, CipherSuite, ContentType, NamedGroup, ProtocolVersion, SignatureScheme, type AlertName } from '../codec/enums.ts';
import { encodeHandshake, type HandshakeMessage } from '../codec/handshake.ts';
import { encodeExtension, type Extension, type KeyShareEntry } from '../codec/extensions.ts';
import { nobleProvider } from '../crypto/noble/index.ts';
import type { EndpointConfig } from './config.ts';
import { TlsClient } from './client.ts';
import { TlsServer } from './server.ts';
import { alertBetweenFragments, alertsFirst, exchange, expectLocalLimit, expectRejectedParty, relabel, ticketStore, zeroLengthRecordFirst, WRONG_LENGTH_VERIFY_DATA } from './checks-harness.ts';
import {
  OutputDecoder,
  ScriptedClient,
  clientConfig,
  concat,
  errorOf,
  plainRecord,
  replaceExt,
  serverConfig,
  withoutExt,
  type Script,
  type SentRecord,
} from './peers.ts';
import type { EndpointEvent } from './endpoint.ts';
import type { TlsError } from './errors.ts';
import { TEST_PKI } from './testing.ts';

interface Outcome {
  client: TlsClient;
  server: TlsServer;
  serverError: TlsError | undefined;
  clientError: TlsError | undefined;
  serverEvents: EndpointEvent[];
  /** Every record the server sent, decoded. */
  serverSent: SentRecord[];
  decoder: OutputDecoder;
}

function run(opts: { script?: (s: Script) => void; client?: Partial<EndpointConfig>; server?: Partial<EndpointConfig> } = {}): Outcome {
  const server = new TlsServer(serverConfig(opts.server));
  const client = new ScriptedClient(clientConfig(opts.client));
  opts.script?.(client.script);
  const r = exchange(client, server, { watch: ['server'] });
  return { client, server, serverError: r.server.error, clientError: r.client.error, serverEvents: r.server.events, serverSent: r.server.sent, decoder: r.server.decoder! };
}

/** The server failed because of the client, with this alert and rule, and sent exactly that fatal alert last. */
function expectRejected(o: Outcome, alert: AlertName, rule: string): void {
  expectRejectedParty({ ep: o.server, events: o.serverEvents, error: o.serverError, sent: o.serverSent }, alert, rule, { label: 'server error', fatalOnly: false });
}

const X25519 = NamedGroup.x25519;
const P256 = NamedGroup.secp256r1;
type Ext<T extends Extension['type']> = Extract<Extension, { type: T }>;
const ext = <T extends Extension['type']>(exts: Extension[] | undefined, type: T) => exts!.find((e) => e.type === type) as Ext<T>;
const fakePsk = (): Extension => ({ type: 'pre_shared_key', identities: [{ identity: Uint8Array.of(1, 2, 3), obfuscated_ticket_age: 0 }], binders: [new Uint8Array(32)] });
const x25519Share = (): KeyShareEntry => ({ group: X25519, key_exchange: nobleProvider.keyExchange('x25519').generate().publicKey });
/** The server asks for a HelloRetryRequest: the client shares x25519, the server wants secp256r1. */
const HRR = { client: { groups: [X25519, P256] }, server: { forceHelloRetry: true, groups: [P256, X25519] } };
const mutateCh2 = (fn: (ch: Extract<HandshakeMessage, { msg_type: 'client_hello' }>) => void) => (s: Script) =>
  s.mutate('client_hello', (m) => void fn(m), 1);

describe('reference server: the scripted client itself', () => {
  it('an unscripted ScriptedClient completes the handshake, also after a HelloRetryRequest with a cookie', () => {
    for (const o of [run(), run({ ...HRR, server: { ...HRR.server, helloRetryCookie: true } })]) {
      expect(o.serverError).toBeUndefined();
      expect(o.server.state).toBe('connected');
      expect(o.client.state).toBe('connected');
    }
  });
});

describe('reference server: ClientHello (RFC 8446 4.1.2, 4.2, 9.2)', () => {
  // A TLS 1.3-only server; a dual one (the default) negotiates TLS 1.2 instead (tls12/handshake12.test.ts).
  it('no supported_versions to a TLS 1.3-only server: protocol_version', () => {
    const o = run({ server: { minVersion: 'TLSv1.3' }, script: (s) => s.mutate('client_hello', (m) => void (m.extensions = withoutExt(m.extensions, 'supported_versions'))) });
    expectRejected(o, 'protocol_version', 'RFC 8446 4.2.1');
  });

  it('supported_versions without TLS 1.3 to a TLS 1.3-only server: protocol_version', () => {
    const o = run({ server: { minVersion: 'TLSv1.3' }, script: (s) => s.mutate('client_hello', (m) => void (m.extensions = replaceExt(m.extensions, { type: 'supported_versions', versions: [ProtocolVersion.TLS1_2] }))) });
    expectRejected(o, 'protocol_version', 'RFC 8446 4.2.1');
  });

  for (const methods of [[0, 1], [1], [1, 0]]) {
    it(`legacy_compression_methods [${methods}]: illegal_parameter`, () => {
      const o = run({ script: (s) => s.mutate('client_hello', (m) => void (m.legacy_compression_methods = methods)) });
      expectRejected(o, 'illegal_parameter', 'RFC 8446 4.1.2');
    });
  }

  it('a duplicate extension: illegal_parameter', () => {
    const o = run({ script: (s) => s.mutate('client_hello', (m) => void m.extensions!.push(ext(m.extensions, 'supported_groups'))) });
    expectRejected(o, 'illegal_parameter', 'RFC 8446 4.2');
  });

  it('pre_shared_key that is not the last extension: illegal_parameter', () => {
    const o = run({
      script: (s) => s.mutate('client_hello', (m) => void (m.extensions = [fakePsk(), { type: 'psk_key_exchange_modes', ke_modes: [1] }, ...m.extensions!])),
    });
    expectRejected(o, 'illegal_parameter', 'RFC 8446 4.2.11');
  });

  it('pre_shared_key without psk_key_exchange_modes: missing_extension', () => {
    const o = run({ script: (s) => s.mutate('client_hello', (m) => void m.extensions!.push(fakePsk())) });
    expectRejected(o, 'missing_extension', 'RFC 8446 4.2.9');
  });

  it('pre_shared_key with more identities than binders: illegal_parameter', () => {
    const psk = { ...fakePsk(), binders: [] } as Extension;
    const o = run({ script: (s) => s.mutate('client_hello', (m) => void m.extensions!.push({ type: 'psk_key_exchange_modes', ke_modes: [1] }, psk)) });
    // The codec refuses an empty binders list (PskBinderEntry binders<33..2^16-1>) before the server sees it.
    expect(o.serverError?.alert).toBe('decode_error');
    const two = { ...fakePsk(), binders: [new Uint8Array(32), new Uint8Array(32)] } as Extension;
    const o2 = run({ script: (s) => s.mutate('client_hello', (m) => void m.extensions!.push({ type: 'psk_key_exchange_modes', ke_modes: [1] }, two)) });
    expectRejected(o2, 'illegal_parameter', 'RFC 8446 4.2.11');
  });

  for (const missing of ['signature_algorithms', 'supported_groups', 'key_share'] as const) {
    it(`no ${missing} (and no pre_shared_key): missing_extension`, () => {
      const o = run({ script: (s) => s.mutate('client_hello', (m) => void (m.extensions = withoutExt(m.extensions, missing))) });
      expectRejected(o, 'missing_extension', 'RFC 8446 9.2');
    });
  }

  it('two key shares for the same group: illegal_parameter', () => {
    const o = run({ script: (s) => s.mutate('client_hello', (m) => void ext(m.extensions, 'key_share').client_shares!.push(x25519Share())) });
    expectRejected(o, 'illegal_parameter', 'RFC 8446 4.2.8');
  });

  it('a key share for a group not in supported_groups: illegal_parameter', () => {
    const o = run({
      client: { groups: [P256], keyShareGroups: [P256] },
      script: (s) => s.mutate('client_hello', (m) => void ext(m.extensions, 'key_share').client_shares!.push(x25519Share())),
    });
    expectRejected(o, 'illegal_parameter', 'RFC 8446 4.2.8');
  });

  it('an all-zero x25519 key share: illegal_parameter', () => {
    const o = run({ script: (s) => s.mutate('client_hello', (m) => void (ext(m.extensions, 'key_share').client_shares![0].key_exchange = new Uint8Array(32))) });
    expectRejected(o, 'illegal_parameter', 'RFC 8446 4.2.8.2');
  });

  it('no cipher suite in common: handshake_failure', () => {
    const o = run({ client: { cipherSuites: [CipherSuite.TLS_AES_256_GCM_SHA384] }, server: { cipherSuites: [CipherSuite.TLS_AES_128_GCM_SHA256] } });
    expectRejected(o, 'handshake_failure', 'RFC 8446 4.1.1');
  });

  it('only TLS 1.2 cipher suites: handshake_failure', () => {
    const o = run({ script: (s) => s.mutate('client_hello', (m) => void (m.cipher_suites = [CipherSuite.TLS_RSA_WITH_AES_128_CBC_SHA])) });
    expectRejected(o, 'handshake_failure', 'RFC 8446 4.1.1');
  });

  it('no group in common: handshake_failure', () => {
    const o = run({ client: { groups: [NamedGroup.secp384r1] }, server: { groups: [X25519] } });
    expectRejected(o, 'handshake_failure', 'RFC 8446 4.1.1');
  });

  it('no certificate for the client signature_algorithms: handshake_failure', () => {
    const o = run({ client: { signatureSchemes: [SignatureScheme.rsa_pkcs1_sha256] } });
    expectRejected(o, 'handshake_failure', 'RFC 8446 4.4.2.2');
  });

  it('no ALPN protocol in common: no_application_protocol', () => {
    expectRejected(run({ client: { alpn: ['h2'] }, server: { alpn: ['http/1.1'] } }), 'no_application_protocol', 'RFC 7301 3.2');
  });
});

describe('reference server: the second ClientHello (RFC 8446 4.1.2, 4.1.4, 4.2.2, 4.2.8, 4.2.10)', () => {
  it('changes the random: illegal_parameter', () => {
    expectRejected(run({ ...HRR, script: mutateCh2((m) => void (m.random = new Uint8Array(32).fill(5))) }), 'illegal_parameter', 'RFC 8446 4.1.2');
  });

  it('changes legacy_session_id: illegal_parameter', () => {
    expectRejected(run({ ...HRR, script: mutateCh2((m) => void (m.legacy_session_id = new Uint8Array(32).fill(5))) }), 'illegal_parameter', 'RFC 8446 4.1.2');
  });

  it('changes the cipher suites: illegal_parameter', () => {
    expectRejected(run({ ...HRR, script: mutateCh2((m) => void m.cipher_suites.reverse()) }), 'illegal_parameter', 'RFC 8446 4.1.2');
  });

  it('shares another group than the HelloRetryRequest selected: illegal_parameter', () => {
    const o = run({ ...HRR, script: mutateCh2((m) => void (ext(m.extensions, 'key_share').client_shares = [x25519Share()])) });
    expectRejected(o, 'illegal_parameter', 'RFC 8446 4.2.8');
  });

  it('shares two groups: illegal_parameter', () => {
    const o = run({ ...HRR, script: mutateCh2((m) => void ext(m.extensions, 'key_share').client_shares!.push(x25519Share())) });
    expectRejected(o, 'illegal_parameter', 'RFC 8446 4.2.8');
  });

  it('drops the cookie: missing_extension', () => {
    const o = run({ ...HRR, server: { ...HRR.server, helloRetryCookie: true }, script: mutateCh2((m) => void (m.extensions = withoutExt(m.extensions, 'cookie'))) });
    expectRejected(o, 'missing_extension', 'RFC 8446 4.2.2');
  });

  it('changes the cookie: illegal_parameter', () => {
    const o = run({ ...HRR, server: { ...HRR.server, helloRetryCookie: true }, script: mutateCh2((m) => void (ext(m.extensions, 'cookie').cookie[0] ^= 1)) });
    expectRejected(o, 'illegal_parameter', 'RFC 8446 4.2.2');
  });

  it('adds early_data: illegal_parameter', () => {
    const o = run({ ...HRR, script: mutateCh2((m) => void m.extensions!.push({ type: 'early_data' } as Extension)) });
    expectRejected(o, 'illegal_parameter', 'RFC 8446 4.2.10');
  });

  it('a third ClientHello: unexpected_message', () => {
    const o = run({ script: (s) => s.after('client_hello', (ctl, m) => ctl.send(m)) });
    expectRejected(o, 'unexpected_message', 'RFC 8446 5.1');
  });
});

describe('reference server: PSK, client authentication, Finished (RFC 8446 4.2.11, 4.4)', () => {
  it('a PSK binder that does not verify: decrypt_error', () => {
    const store = ticketStore();
    const o = run({ client: { sessionStore: store }, script: (s) => s.mutate('client_hello', (m) => void (ext(m.extensions, 'pre_shared_key').binders![0][0] ^= 1)) });
    expectRejected(o, 'decrypt_error', 'RFC 8446 4.2.11');
  });

  it('a wrong client Finished: decrypt_error', () => {
    expectRejected(run({ script: (s) => s.mutate('finished', (m) => void (m.verify_data[3] ^= 1)) }), 'decrypt_error', 'RFC 8446 4.4.4');
  });

  const clientAuth = { client: { certificates: [TEST_PKI.client()] }, server: { requestClientCert: true, requireClientCert: true } };

  it('client authentication works unscripted', () => {
    const o = run(clientAuth);
    expect(o.serverError).toBeUndefined();
    expect(o.server.summary?.peerCertificates).toHaveLength(1);
  });

  it('a client CertificateVerify that does not verify: decrypt_error', () => {
    const o = run({ ...clientAuth, script: (s) => s.mutate('certificate_verify', (m) => void (m.signature[10] ^= 1)) });
    expectRejected(o, 'decrypt_error', 'RFC 8446 4.4.3');
  });

  it('a client CertificateVerify with a scheme the server did not offer (rsa_pkcs1): illegal_parameter', () => {
    const o = run({ ...clientAuth, script: (s) => s.mutate('certificate_verify', (m) => void (m.algorithm = SignatureScheme.rsa_pkcs1_sha256)) });
    expectRejected(o, 'illegal_parameter', 'RFC 8446 4.4.3');
  });

  it('a client CertificateVerify with a scheme that does not fit the key: illegal_parameter', () => {
    const o = run({ ...clientAuth, script: (s) => s.mutate('certificate_verify', (m) => void (m.algorithm = SignatureScheme.ed25519)) });
    expectRejected(o, 'illegal_parameter', 'RFC 8446 4.4.3');
  });

  it('an empty client Certificate when one is required: certificate_required', () => {
    expectRejected(run({ server: clientAuth.server }), 'certificate_required', 'RFC 8446 4.4.2.4');
  });

  it('a client Certificate with a non-empty context: illegal_parameter', () => {
    const o = run({ ...clientAuth, script: (s) => s.mutate('certificate', (m) => void ((m as { certificate_request_context: Uint8Array }).certificate_request_context = Uint8Array.of(1))) });
    expectRejected(o, 'illegal_parameter', 'RFC 8446 4.4.2');
  });

  it('a client certificate that does not chain to a trusted root: a certificate alert', () => {
    const o = run({ ...clientAuth, server: { ...clientAuth.server, trustRoots: [] } });
    expect(o.serverError?.rule).toBe('RFC 8446 4.4.2.4');
    expect(['unknown_ca', 'bad_certificate', 'certificate_unknown']).toContain(o.serverError?.alert);
  });

  it('a Certificate the server did not ask for: unexpected_message', () => {
    const o = run({
      script: (s) =>
        s.on('finished', (m, ctl) => {
          ctl.send({ msg_type: 'certificate', form: 'tls13', certificate_request_context: new Uint8Array(0), certificate_list: [] });
          ctl.send(m);
        }),
    });
    expectRejected(o, 'unexpected_message', 'RFC 8446 4');
  });

  it('a KeyUpdate before the client Finished: unexpected_message', () => {
    const o = run({
      script: (s) =>
        s.on('finished', (m, ctl) => {
          ctl.send({ msg_type: 'key_update', request_update: 0 }, false);
          ctl.send(m);
        }),
    });
    expectRejected(o, 'unexpected_message', 'RFC 8446 4.6.3');
  });

  it('a NewSessionTicket from the client after the handshake: unexpected_message', () => {
    const o = run();
    expect(o.server.state).toBe('connected');
    // The client's own sendHandshake (protected) sends it under its application keys.
    (o.client as unknown as { sendHandshake(m: HandshakeMessage, t: boolean): Uint8Array }).sendHandshake(
      { msg_type: 'new_session_ticket', form: 'tls13', ticket_lifetime: 1, ticket_age_add: 0, ticket_nonce: new Uint8Array(0), ticket: Uint8Array.of(1), extensions: [] },
      false,
    );
    o.server.receive(o.client.takeOutput());
    expect(errorOf(o.server.takeEvents())).toMatchObject({ alert: 'unexpected_message', rule: 'RFC 8446 4', origin: 'peer' });
    const sent = o.decoder.decode(o.server.takeOutput());
    expect(sent.map((r) => [r.type, ...r.content])).toEqual([[ContentType.alert, 2, AlertDescription.unexpected_message]]);
  });
});

describe('reference server: records (RFC 8446 5)', () => {
  it('change_cipher_spec before the ClientHello: unexpected_message', () => {
    const o = run({
      client: { middleboxCompat: false },
      script: (s) =>
        s.on('client_hello', (m, ctl) => {
          ctl.record(ContentType.change_cipher_spec, Uint8Array.of(1));
          ctl.send(m);
        }),
    });
    expectRejected(o, 'unexpected_message', 'RFC 8446 5');
  });

  it('change_cipher_spec with a value other than 1: unexpected_message', () => {
    const o = run({ script: (s) => s.after('client_hello', (ctl) => ctl.record(ContentType.change_cipher_spec, Uint8Array.of(0))) });
    expectRejected(o, 'unexpected_message', 'RFC 8446 5');
  });

  it('change_cipher_spec after the client Finished: unexpected_message', () => {
    const o = run({ script: (s) => s.after('finished', (ctl) => ctl.record(ContentType.change_cipher_spec, Uint8Array.of(1))) });
    expectRejected(o, 'unexpected_message', 'RFC 8446 5');
  });

  it('a record of an unknown content type: unexpected_message', () => {
    const o = run({ script: (s) => s.after('client_hello', (ctl) => ctl.raw(plainRecord(0x42, Uint8Array.of(0)))) });
    expectRejected(o, 'unexpected_message', 'RFC 8446 5');
  });

  it('a protected record of an unknown inner content type: unexpected_message', () => {
    const o = run({
      script: (s) =>
        s.on('finished', (m, ctl) => {
          ctl.record(0x42, Uint8Array.of(0));
          ctl.send(m);
        }),
    });
    expectRejected(o, 'unexpected_message', 'RFC 8446 5');
  });

  it('a zero-length handshake record: unexpected_message', () => {
    const o = run({ script: (s) => s.on('client_hello', zeroLengthRecordFirst) });
    expectRejected(o, 'unexpected_message', 'RFC 8446 5.1');
  });

  it('a ClientHello fragment interleaved with an alert: unexpected_message', () => {
    const o = run({ script: (s) => s.on('client_hello', alertBetweenFragments(50)) });
    expectRejected(o, 'unexpected_message', 'RFC 8446 5.1');
  });

  it('a ClientHello fragmented over many records is fine', () => {
    const o = run({
      script: (s) =>
        s.on('client_hello', (m, ctl) => {
          const bytes = encodeHandshake(m);
          ctl.transcript(bytes);
          ctl.record(ContentType.handshake, bytes, [1, 2, 3, 4, 5, 50, 100]);
        }),
    });
    expect(o.serverError).toBeUndefined();
    expect(o.server.state).toBe('connected');
  });

  it('a ClientHello and part of the next message in one record (spans the key change): unexpected_message', () => {
    const o = run({ script: (s) => s.wire('client_hello', (bytes) => concat(bytes, Uint8Array.of(20, 0, 0, 32, 1))) });
    expectRejected(o, 'unexpected_message', 'RFC 8446 5.1');
  });

  it('the client Finished and part of a KeyUpdate in one record: unexpected_message', () => {
    const o = run({ script: (s) => s.wire('finished', (bytes) => concat(bytes, Uint8Array.of(24, 0, 0))) });
    expectRejected(o, 'unexpected_message', 'RFC 8446 5.1');
  });

  it('the client Finished and a whole KeyUpdate in one record: unexpected_message', () => {
    // RFC 8446 5.1: the KeyUpdate was protected with the handshake keys; it must not pass for one under the
    // application keys.
    const ku = encodeHandshake({ msg_type: 'key_update', request_update: 1 });
    const o = run({ script: (s) => s.wire('finished', (bytes) => concat(bytes, ku)) });
    expectRejected(o, 'unexpected_message', 'RFC 8446 5.1');
  });

  it('a plaintext handshake record after the server switched to the handshake keys: unexpected_message', () => {
    const o = run({
      script: (s) =>
        s.on('finished', (m, ctl) => {
          ctl.raw(plainRecord(ContentType.handshake, encodeHandshake(m)));
        }),
    });
    expectRejected(o, 'unexpected_message', 'RFC 8446 5');
  });

  it('a plaintext record longer than 2^14: record_overflow', () => {
    const o = run({ script: (s) => s.on('client_hello', (_m, ctl) => ctl.raw(plainRecord(ContentType.handshake, new Uint8Array(2 ** 14 + 1)))) });
    expectRejected(o, 'record_overflow', 'RFC 8446 5.1');
  });

  it('application data before the client Finished: unexpected_message', () => {
    const o = run({
      script: (s) =>
        s.on('finished', (m, ctl) => {
          ctl.record(ContentType.application_data, Uint8Array.of(1));
          ctl.send(m);
        }),
    });
    expectRejected(o, 'unexpected_message', 'RFC 8446 4');
  });

  it('plaintext application data before the ClientHello: unexpected_message', () => {
    const o = run({
      script: (s) =>
        s.on('client_hello', (m, ctl) => {
          ctl.record(ContentType.application_data, Uint8Array.of(1));
          ctl.send(m);
        }),
    });
    expectRejected(o, 'unexpected_message', 'RFC 8446 4');
  });

  it('an alert from the client: failed with origin alert-received, no alert sent back', () => {
    const o = run({ script: (s) => s.on('client_hello', (_m, ctl) => ctl.record(ContentType.alert, Uint8Array.of(2, AlertDescription.internal_error))) });
    expect(o.serverError).toMatchObject({ alert: 'internal_error', rule: 'RFC 8446 6', origin: 'alert-received' });
    expect(o.serverSent.filter((r) => r.type === ContentType.alert)).toHaveLength(0);
  });

  it('an alert of an unknown description: an error alert all the same', () => {
    const o = run({ script: (s) => s.on('client_hello', (_m, ctl) => ctl.record(ContentType.alert, Uint8Array.of(1, 0xee))) });
    expect(o.server.state).toBe('failed');
    expect(o.serverError).toMatchObject({ rule: 'RFC 8446 6', origin: 'alert-received' });
    expect(o.serverSent).toHaveLength(0);
  });
});

describe('reference server: rejected 0-RTT (RFC 8446 4.2.10)', () => {
  it('skips 0-RTT records it cannot decrypt, and completes', () => {
    const store = ticketStore({ maxEarlyData: 1024, acceptEarlyData: true });
    const o = run({ client: { sessionStore: store, earlyData: new TextEncoder().encode('early') }, server: { maxEarlyData: 1024, acceptEarlyData: false } });
    expect(o.serverError).toBeUndefined();
    expect(o.server.state).toBe('connected');
  });
});

describe('reference server: accepted 0-RTT within max_early_data_size (RFC 8446 4.6.1)', () => {
  const store = () => ticketStore({ maxEarlyData: 16, acceptEarlyData: true });
  it('16 bytes of 0-RTT data with a ticket allowing 16: accepted', () => {
    const o = run({ client: { sessionStore: store(), earlyData: new Uint8Array(16) }, server: { maxEarlyData: 16, acceptEarlyData: true } });
    expect(o.serverError).toBeUndefined();
    expect(o.server.state).toBe('connected');
  });

  it('17 bytes: unexpected_message', () => {
    // The client's copy of the ticket is made to allow more, so that it sends 17 bytes; the server holds it to the
    // 16 its ticket says.
    const s = store();
    for (const k of ['localhost']) {
      const t = s.get(k);
      if (t) s.put(k, { ...t, maxEarlyData: 1024 });
    }
    const o = run({ client: { sessionStore: s, earlyData: new Uint8Array(17) }, server: { maxEarlyData: 16, acceptEarlyData: true } });
    expectRejected(o, 'unexpected_message', 'RFC 8446 4.6.1');
  });
});

describe('reference server: ClientHello.legacy_version (RFC 8446 D.5, RFC 9846 4.2.2)', () => {
  for (const v of [ProtocolVersion.SSL3_0, 0x0200, 0x0002]) {
    it(`legacy_version 0x${v.toString(16).padStart(4, '0')}, with supported_versions [TLS 1.3]: protocol_version (D.5)`, () => {
      expectRejected(run({ script: (s) => s.mutate('client_hello', (m) => void (m.legacy_version = v)) }), 'protocol_version', 'RFC 8446 D.5');
    });
  }

  // RFC 9846 4.2.2 obsoletes RFC 8446's "servers MUST NOT use the ClientHello.legacy_version value for version
  // negotiation" reading (which ignored these): a legacy_version other than 0x0303 is refused.
  for (const v of [ProtocolVersion.TLS1_0, ProtocolVersion.TLS1_1, ProtocolVersion.TLS1_3, 0x7f1c]) {
    it(`legacy_version 0x${v.toString(16).padStart(4, '0')}, with supported_versions [TLS 1.3]: protocol_version (RFC 9846 4.2.2)`, () => {
      expectRejected(run({ script: (s) => s.mutate('client_hello', (m) => void (m.legacy_version = v)) }), 'protocol_version', 'RFC 9846 4.2.2');
    });
  }

  it('legacy_version 0x0303 with supported_versions [TLS 1.3] completes (the control)', () => {
    const o = run();
    expect(o.serverError).toBeUndefined();
    expect(o.server.summary?.version).toBe('TLSv1.3');
  });
});

describe('reference server: the message type before its body (RFC 8446 4)', () => {
  // A ClientHello relabelled as another type: refused for its type, never parsed as that type.
  for (const t of [0, 2, 4, 5, 8, 11, 12, 13, 14, 15, 16, 20, 22, 24, 99, 254]) {
    it(`a ClientHello relabelled as type ${t}: unexpected_message`, () => {
      const o = run({ script: (s) => s.wire('client_hello', relabel(t)) });
      expectRejected(o, 'unexpected_message', t === 24 ? 'RFC 8446 4.6.3' : 'RFC 8446 4');
    });
  }

  it('the header of an unexpected message is enough: refused before its body arrives', () => {
    const server = new TlsServer(serverConfig());
    const decoder = new OutputDecoder(server);
    // A Certificate of 4096 bytes announced, 4 bytes of it sent.
    server.receive(plainRecord(ContentType.handshake, Uint8Array.of(11, 0, 0x10, 0, 1, 2, 3, 4)));
    expect(errorOf(server.takeEvents())).toMatchObject({ alert: 'unexpected_message', rule: 'RFC 8446 4', origin: 'peer' });
    expect(decoder.decode(server.takeOutput()).map((r) => [r.type, ...r.content])).toEqual([[ContentType.alert, 2, AlertDescription.unexpected_message]]);
  });

  for (const t of [8, 11, 15, 1]) {
    it(`the client Finished relabelled as type ${t}: unexpected_message`, () => {
      expectRejected(run({ script: (s) => s.wire('finished', relabel(t)) }), 'unexpected_message', 'RFC 8446 4');
    });
  }

  it('a client Certificate relabelled as a Finished, when the server asked for a certificate: unexpected_message', () => {
    const o = run({ client: { certificates: [TEST_PKI.client()] }, server: { requestClientCert: true }, script: (s) => s.wire('certificate', relabel(20)) });
    expectRejected(o, 'unexpected_message', 'RFC 8446 4');
  });
});

describe('reference server: the client Finished length (RFC 8446 4.4.4, 6)', () => {
  for (const [what, f] of WRONG_LENGTH_VERIFY_DATA) {
    it(`a verify_data ${what}: decode_error, not decrypt_error`, () => {
      expectRejected(run({ script: (s) => s.mutate('finished', (m) => void (m.verify_data = f(m.verify_data))) }), 'decode_error', 'RFC 8446 6');
    });
  }

  it('a Finished longer than any hash (65 bytes): decode_error from its header, before the body', () => {
    const o = run({ script: (s) => s.mutate('finished', (m) => void (m.verify_data = new Uint8Array(65))) });
    expectRejected(o, 'decode_error', 'RFC 8446 6');
    expect(o.serverError!.detail).toBe('finished of 65 bytes: its syntax allows at most 64 bytes');
  });

  it('with TLS_AES_256_GCM_SHA384 the verify_data is 48 bytes: 32 is a decode_error', () => {
    const o = run({ client: { cipherSuites: [CipherSuite.TLS_AES_256_GCM_SHA384] }, script: (s) => s.mutate('finished', (m) => void (m.verify_data = m.verify_data.subarray(0, 32))) });
    expectRejected(o, 'decode_error', 'RFC 8446 6');
  });
});

describe('reference server: FFDHE key shares padded to the size of p (RFC 8446 4.2.8.1)', () => {
  const FF2048 = NamedGroup.ffdhe2048;
  const FF = { client: { groups: [FF2048], keyShareGroups: [FF2048] }, server: { groups: [FF2048] } };
  const y2 = (n: number) => Uint8Array.from({ length: n }, (_, i) => (i === n - 1 ? 2 : 0));

  it('a 256-byte ffdhe2048 share completes', () => {
    const o = run(FF);
    expect(o.serverError).toBeUndefined();
    expect(o.server.summary?.group).toBe(FF2048);
  });

  for (const [what, share] of [
    ['1 byte (Y = 2)', () => y2(1)],
    ['255 bytes (Y = 2)', () => y2(255)],
    ['257 bytes (one zero too many)', () => y2(257)],
  ] as const) {
    it(`a share of ${what}: illegal_parameter`, () => {
      const o = run({ ...FF, script: (s) => s.mutate('client_hello', (m) => void (ext(m.extensions, 'key_share').client_shares![0].key_exchange = share())) });
      expectRejected(o, 'illegal_parameter', 'RFC 8446 4.2.8.1');
    });
  }
});

describe('reference server: handshake message sizes (RFC 8446 4.1.2, 6, 6.2)', () => {
  /** The largest ClientHello a TLS 1.3 client can send: every vector full but legacy_compression_methods ([0]). */
  const maximal = (m: Extract<HandshakeMessage, { msg_type: 'client_hello' }>) => {
    const unknown: number[] = [];
    for (let c = 0x0a0b; unknown.length < 32767 - m.cipher_suites.length; c++) if (!(Object.values(CipherSuite) as number[]).includes(c)) unknown.push(c);
    m.cipher_suites = [...m.cipher_suites, ...unknown];
    const used = m.extensions!.reduce((n, e) => n + encodeExtension(e).length, 0);
    // RFC 7685: padding (zero bytes); it must not end up after pre_shared_key (none here).
    m.extensions!.push({ type: 'padding', padding: new Uint8Array(2 ** 16 - 1 - used - 4) });
  };

  it('a valid ClientHello of 131,142 bytes (32,767 cipher suites, 65,535 bytes of extensions) completes', () => {
    let size = 0;
    const o = run({
      script: (s) =>
        s.on('client_hello', (m, ctl) => {
          const big = structuredClone(m);
          maximal(big);
          size = ctl.send(big).length - 4;
        }),
    });
    expect(size).toBe(131142);
    expect(o.serverError).toBeUndefined();
    expect(o.server.state).toBe('connected');
    expect(o.client.state).toBe('connected');
  });

  it('a ClientHello header announcing 131,397 bytes (one more than its syntax allows): decode_error before the body arrives', () => {
    const server = new TlsServer(serverConfig());
    server.receive(plainRecord(ContentType.handshake, Uint8Array.of(1, 0x02, 0x01, 0x45)));
    expect(errorOf(server.takeEvents())).toMatchObject({ alert: 'decode_error', rule: 'RFC 8446 6', detail: 'client_hello of 131397 bytes: its syntax allows at most 131396 bytes' });
  });

  it('a client Certificate over maxHandshakeMessageSize: internal_error, a local limit (not a malformed message)', () => {
    const junk = { cert_data: new Uint8Array(5000).fill(0x30), extensions: [] };
    const clientAuth = { client: { certificates: [TEST_PKI.client()] }, server: { requestClientCert: true } };
    const script = (s: Script) => s.mutate('certificate', (m) => void (m as { certificate_list: unknown[] }).certificate_list.push(junk));
    // Within the default limit (1 MiB) the junk is parsed and refused as a certificate.
    const parsed = run({ ...clientAuth, script });
    expect(parsed.serverError?.alert).toBe('bad_certificate');
    const server = new TlsServer(serverConfig({ ...clientAuth.server, maxHandshakeMessageSize: 4096 }));
    const client = new ScriptedClient(clientConfig(clientAuth.client));
    script(client.script);
    const r = exchange(client, server, { watch: ['server'] });
    expectLocalLimit(r.server, 'RFC 8446 6.2');
    expect(r.server.error!.detail).toMatch(/^certificate of \d+ bytes exceeds this endpoint's limit of 4096 bytes \(maxHandshakeMessageSize\)/);
  });
});

describe('reference server: non-fatal alerts in a row (CVE-2016-8610)', () => {
  it('four user_canceled alerts before the Finished: the handshake completes', () => {
    const o = run({ script: (s) => s.on('finished', alertsFirst(4)) });
    expect(o.serverError).toBeUndefined();
    expect(o.server.state).toBe('connected');
    expect(o.serverEvents.filter((e) => e.type === 'alert')).toHaveLength(4);
  });

  it('five in a row: unexpected_message', () => {
    const o = run({ script: (s) => s.on('finished', alertsFirst(5)) });
    expectRejected(o, 'unexpected_message', 'RFC 8446 6.2');
    expect(o.serverError!.detail).toBe('5 non-fatal alerts in a row (the last user_canceled), more than the 4 this endpoint accepts without progress');
  });

  it('the count restarts with progress: four before the ClientHello and four before the Finished complete', () => {
    const o = run({ script: (s) => s.on('client_hello', alertsFirst(4)).on('finished', alertsFirst(4)) });
    expect(o.serverError).toBeUndefined();
    expect(o.server.state).toBe('connected');
  });

  it('a warning-level error alert is an error alert all the same (RFC 8446 6)', () => {
    const o = run({ script: (s) => s.on('finished', alertsFirst(1, AlertDescription.bad_certificate)) });
    expect(o.serverError).toMatchObject({ alert: 'bad_certificate', rule: 'RFC 8446 6', origin: 'alert-received' });
    expect(o.serverSent.filter((r) => r.type === ContentType.alert)).toHaveLength(0);
  });
});
