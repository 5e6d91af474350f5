/**
 * Negative tests of the reference client: one per rule it enforces. Each builds the offending message with
 * a scripted server (the real TlsServer whose outgoing messages a Script changes before they are encoded and
 * encrypted, see peers.ts) and checks the alert, the rule cited, and that exactly one fatal alert with that
 * description was the last thing the client sent.
 */
import { describe, expect, it } from 'vitest';
import { AlertDescription, CipherSuite, ContentType, ExtensionType, NamedGroup, ProtocolVersion, SignatureScheme, type AlertName } from '../codec/enums.ts';
import { encodeHandshake, type HandshakeMessage } from '../codec/handshake.ts';
import type { Extension } from '../codec/extensions.ts';
import { DUAL_CIPHER_SUITES, type EndpointConfig } from './config.ts';
import { TlsClient } from './client.ts';
import { TlsServer } from './server.ts';
import { alertBetweenFragments, alertsFirst, exchange, expectLocalLimit, expectRejectedParty, relabel, ticketStore, zeroLengthRecordFirst, WRONG_LENGTH_VERIFY_DATA } from './checks-harness.ts';
import {
  ScriptedServer,
  clientConfig,
  concat,
  plainRecord,
  replaceExt,
  serverConfig,
  withoutExt,
  type Script,
  type SentRecord,
} from './peers.ts';
import type { EndpointEvent } from './endpoint.ts';
import type { TlsError } from './errors.ts';

interface Outcome {
  client: TlsClient;
  server: TlsServer;
  clientError: TlsError | undefined;
  serverError: TlsError | undefined;
  clientEvents: EndpointEvent[];
  /** Every record the client sent, decoded. */
  clientSent: SentRecord[];
}

function run(opts: { script?: (s: Script) => void; client?: Partial<EndpointConfig>; server?: Partial<EndpointConfig> } = {}): Outcome {
  const server = new ScriptedServer(serverConfig(opts.server));
  opts.script?.(server.script);
  const client = new TlsClient(clientConfig(opts.client));
  const r = exchange(client, server, { watch: ['client'] });
  return { client, server, clientError: r.client.error, serverError: r.server.error, clientEvents: r.client.events, clientSent: r.client.sent };
}

/** The client failed because of the server, with this alert and rule, and sent exactly that fatal alert last. */
function expectRejected(o: Outcome, alert: AlertName, rule: string): void {
  expectRejectedParty({ ep: o.client, events: o.clientEvents, error: o.clientError, sent: o.clientSent }, alert, rule, { label: 'client error', fatalOnly: false });
}

const X25519 = NamedGroup.x25519;
const P256 = NamedGroup.secp256r1;
const P384 = NamedGroup.secp384r1;
const AES128 = CipherSuite.TLS_AES_128_GCM_SHA256;
const AES256 = CipherSuite.TLS_AES_256_GCM_SHA384;
const unknownExt = (code = 0x7a7a, data = Uint8Array.of(1, 2)): Extension => ({ type: 'opaque', extension_type: code, extension_data: data });
const HRR = { client: { groups: [X25519, P256], keyShareGroups: [X25519] }, server: { forceHelloRetry: true } };

describe('reference client: the scripted server itself', () => {
  it('an unscripted ScriptedServer completes the handshake', () => {
    const o = run();
    expect(o.clientError).toBeUndefined();
    expect(o.client.state).toBe('connected');
    expect(o.server.state).toBe('connected');
  });
});

describe('reference client: ServerHello and HelloRetryRequest (RFC 8446 4.1.3, 4.1.4, 4.2)', () => {
  it('legacy_session_id_echo that does not match: illegal_parameter', () => {
    const o = run({ script: (s) => s.mutate('server_hello', (m) => void (m.legacy_session_id_echo = new Uint8Array(32).fill(9))) });
    expectRejected(o, 'illegal_parameter', 'RFC 8446 4.1.3');
  });

  it('a cipher suite that was not offered: illegal_parameter', () => {
    const o = run({ client: { cipherSuites: [AES128] }, script: (s) => s.mutate('server_hello', (m) => void (m.cipher_suite = AES256)) });
    expectRejected(o, 'illegal_parameter', 'RFC 8446 4.1.3');
  });

  it('legacy_compression_method other than 0: illegal_parameter', () => {
    const o = run({ script: (s) => s.mutate('server_hello', (m) => void (m.legacy_compression_method = 1)) });
    expectRejected(o, 'illegal_parameter', 'RFC 8446 4.1.3');
  });

  it('legacy_version other than 0x0303: protocol_version (RFC 9846 4.2.3)', () => {
    const o = run({ script: (s) => s.mutate('server_hello', (m) => void (m.legacy_version = ProtocolVersion.TLS1_3)) });
    expectRejected(o, 'protocol_version', 'RFC 9846 4.2.3');
  });

  it('legacy_version 0x0300: protocol_version (RFC 8446 D.5)', () => {
    const o = run({ script: (s) => s.mutate('server_hello', (m) => void (m.legacy_version = ProtocolVersion.SSL3_0)) });
    expectRejected(o, 'protocol_version', 'RFC 8446 D.5');
  });

  it('no supported_versions (TLS 1.2 negotiated) to a TLS 1.3-only client: protocol_version', () => {
    // A dual client (the default) takes it for a TLS 1.2 ServerHello choosing a TLS 1.3 suite (tls12/checks12.test.ts).
    const o = run({ client: { minVersion: 'TLSv1.3' }, script: (s) => s.mutate('server_hello', (m) => void (m.extensions = withoutExt(m.extensions, 'supported_versions'))) });
    expectRejected(o, 'protocol_version', 'RFC 8446 4.2.1');
  });

  it('supported_versions selecting 0x0303: illegal_parameter', () => {
    const o = run({
      script: (s) => s.mutate('server_hello', (m) => void (m.extensions = replaceExt(m.extensions, { type: 'supported_versions', selected_version: ProtocolVersion.TLS1_2 }))),
    });
    expectRejected(o, 'illegal_parameter', 'RFC 8446 4.2.1');
  });

  it('an unsolicited unknown extension: unsupported_extension', () => {
    const o = run({ script: (s) => s.mutate('server_hello', (m) => void m.extensions!.push(unknownExt())) });
    expectRejected(o, 'unsupported_extension', 'RFC 8446 4.2');
  });

  it('an unsolicited pre_shared_key (allowed in ServerHello, but not offered): unsupported_extension', () => {
    const o = run({ script: (s) => s.mutate('server_hello', (m) => void m.extensions!.push({ type: 'pre_shared_key', selected_identity: 0 })) });
    expectRejected(o, 'unsupported_extension', 'RFC 8446 4.2');
  });

  it('an offered extension that is not allowed in ServerHello (server_name): illegal_parameter', () => {
    const o = run({ script: (s) => s.mutate('server_hello', (m) => void m.extensions!.push({ type: 'server_name' } as Extension)) });
    expectRejected(o, 'illegal_parameter', 'RFC 8446 4.2');
  });

  it('a duplicate extension: illegal_parameter', () => {
    const o = run({ script: (s) => s.mutate('server_hello', (m) => void m.extensions!.push({ type: 'supported_versions', selected_version: ProtocolVersion.TLS1_3 })) });
    expectRejected(o, 'illegal_parameter', 'RFC 8446 4.2');
  });

  it('a key_share for a group the client sent no share for: illegal_parameter', () => {
    const o = run({
      client: { groups: [X25519, P256], keyShareGroups: [X25519] },
      script: (s) =>
        s.mutate('server_hello', (m) => {
          const ks = m.extensions!.find((e) => e.type === 'key_share') as Extract<Extension, { type: 'key_share' }>;
          ks.server_share!.group = P256;
        }),
    });
    expectRejected(o, 'illegal_parameter', 'RFC 8446 4.2.8');
  });

  it('an all-zero x25519 key share: illegal_parameter', () => {
    const o = run({
      script: (s) =>
        s.mutate('server_hello', (m) => void (m.extensions = replaceExt(m.extensions, { type: 'key_share', server_share: { group: X25519, key_exchange: new Uint8Array(32) } }))),
    });
    expectRejected(o, 'illegal_parameter', 'RFC 8446 4.2.8.2');
  });

  it('neither key_share nor pre_shared_key: missing_extension', () => {
    const o = run({ script: (s) => s.mutate('server_hello', (m) => void (m.extensions = withoutExt(m.extensions, 'key_share'))) });
    expectRejected(o, 'missing_extension', 'RFC 8446 9.2');
  });

  it('a pre_shared_key selected_identity out of range: illegal_parameter', () => {
    const store = ticketStore();
    const o = run({
      client: { sessionStore: store },
      script: (s) =>
        s.mutate('server_hello', (m) => {
          const psk = m.extensions!.find((e) => e.type === 'pre_shared_key') as Extract<Extension, { type: 'pre_shared_key' }>;
          psk.selected_identity = 1;
        }),
    });
    expectRejected(o, 'illegal_parameter', 'RFC 8446 4.2.11');
  });

  it('psk_ke chosen (no key_share) when only psk_dhe_ke was offered: illegal_parameter', () => {
    const store = ticketStore();
    const o = run({ client: { sessionStore: store }, script: (s) => s.mutate('server_hello', (m) => void (m.extensions = withoutExt(m.extensions, 'key_share'))) });
    expectRejected(o, 'illegal_parameter', 'RFC 8446 4.2.9');
  });

  it('a second HelloRetryRequest: unexpected_message', () => {
    const o = run({
      ...HRR,
      script: (s) =>
        s.mutate('server_hello', (m) => ({
          msg_type: 'hello_retry_request',
          legacy_version: m.legacy_version,
          legacy_session_id_echo: m.legacy_session_id_echo,
          cipher_suite: m.cipher_suite,
          legacy_compression_method: 0,
          extensions: [{ type: 'cookie', cookie: Uint8Array.of(1, 2, 3) }, { type: 'supported_versions', selected_version: ProtocolVersion.TLS1_3 }],
        })),
    });
    expectRejected(o, 'unexpected_message', 'RFC 8446 4.1.4');
  });

  const hrrGroup = (group: number) => (s: Script) =>
    s.mutate('hello_retry_request', (m) => void (m.extensions = replaceExt(m.extensions, { type: 'key_share', selected_group: group })));

  it('a HelloRetryRequest selecting a group not in supported_groups: illegal_parameter', () => {
    expectRejected(run({ ...HRR, script: hrrGroup(P384) }), 'illegal_parameter', 'RFC 8446 4.2.8');
  });

  it('a HelloRetryRequest selecting a group the client already sent a share for: illegal_parameter', () => {
    expectRejected(run({ ...HRR, script: hrrGroup(X25519) }), 'illegal_parameter', 'RFC 8446 4.2.8');
  });

  it('a HelloRetryRequest that would not change the ClientHello: illegal_parameter', () => {
    const o = run({ ...HRR, script: (s) => s.mutate('hello_retry_request', (m) => void (m.extensions = withoutExt(m.extensions, 'key_share'))) });
    expectRejected(o, 'illegal_parameter', 'RFC 8446 4.1.4');
  });

  it('a HelloRetryRequest with an unsolicited extension (not cookie): unsupported_extension', () => {
    const o = run({ ...HRR, script: (s) => s.mutate('hello_retry_request', (m) => void m.extensions.push(unknownExt())) });
    expectRejected(o, 'unsupported_extension', 'RFC 8446 4.2');
  });

  it('a HelloRetryRequest with an unoffered cipher suite: illegal_parameter', () => {
    const o = run({ ...HRR, client: { ...HRR.client, cipherSuites: [AES128] }, script: (s) => s.mutate('hello_retry_request', (m) => void (m.cipher_suite = AES256)) });
    expectRejected(o, 'illegal_parameter', 'RFC 8446 4.1.3');
  });

  it('a ServerHello whose cipher suite differs from the HelloRetryRequest: illegal_parameter', () => {
    const o = run({ ...HRR, script: (s) => s.mutate('hello_retry_request', (m) => void (m.cipher_suite = AES256)) });
    expectRejected(o, 'illegal_parameter', 'RFC 8446 4.1.4');
  });

  it('a ServerHello whose group differs from the HelloRetryRequest: illegal_parameter', () => {
    const o = run({
      ...HRR,
      script: (s) =>
        s.mutate('server_hello', (m) => {
          const ks = m.extensions!.find((e) => e.type === 'key_share') as Extract<Extension, { type: 'key_share' }>;
          ks.server_share!.group = X25519;
        }),
    });
    expectRejected(o, 'illegal_parameter', 'RFC 8446 4.2.8');
  });
});

describe('reference client: the encrypted flight (RFC 8446 4.3, 4.4)', () => {
  it('EncryptedExtensions with ALPN the client did not offer: unsupported_extension', () => {
    const o = run({
      script: (s) => s.mutate('encrypted_extensions', (m) => void m.extensions.push({ type: 'application_layer_protocol_negotiation', protocol_name_list: [new TextEncoder().encode('h2')] })),
    });
    expectRejected(o, 'unsupported_extension', 'RFC 8446 4.2');
  });

  it('EncryptedExtensions selecting a protocol the client did not offer: illegal_parameter', () => {
    const o = run({
      client: { alpn: ['h2'] },
      server: { alpn: ['h2'] },
      script: (s) =>
        s.mutate('encrypted_extensions', (m) => void (m.extensions = replaceExt(m.extensions, { type: 'application_layer_protocol_negotiation', protocol_name_list: [new TextEncoder().encode('http/1.1')] }))),
    });
    expectRejected(o, 'illegal_parameter', 'RFC 7301 3.2');
  });

  it('EncryptedExtensions with two ALPN protocols: illegal_parameter', () => {
    const o = run({
      client: { alpn: ['h2', 'http/1.1'] },
      server: { alpn: ['h2'] },
      script: (s) =>
        s.mutate(
          'encrypted_extensions',
          (m) => void (m.extensions = replaceExt(m.extensions, { type: 'application_layer_protocol_negotiation', protocol_name_list: ['h2', 'http/1.1'].map((p) => new TextEncoder().encode(p)) })),
        ),
    });
    expectRejected(o, 'illegal_parameter', 'RFC 7301 3.1');
  });

  it('EncryptedExtensions with an extension not allowed there (key_share): illegal_parameter', () => {
    const o = run({ script: (s) => s.mutate('encrypted_extensions', (m) => void m.extensions.push({ type: 'key_share', server_share: { group: X25519, key_exchange: new Uint8Array(32).fill(1) } })) });
    expectRejected(o, 'illegal_parameter', 'RFC 8446 4.2');
  });

  it('EncryptedExtensions with record_size_limit above 2^14 + 1: illegal_parameter', () => {
    const o = run({ client: { recordSizeLimit: 4096 }, script: (s) => s.mutate('encrypted_extensions', (m) => void (m.extensions = replaceExt(m.extensions, { type: 'record_size_limit', record_size_limit: 2 ** 14 + 2 }))) });
    expectRejected(o, 'illegal_parameter', 'RFC 8449 4');
  });

  it('EncryptedExtensions accepting early_data in a handshake without a PSK: illegal_parameter', () => {
    // The client offers 0-RTT with a ticket; this server cannot open it (another ticket key), so no PSK is
    // selected, yet its EncryptedExtensions says early_data.
    const store = ticketStore({ maxEarlyData: 1024 });
    const o = run({
      client: { sessionStore: store, earlyData: new TextEncoder().encode('early') },
      server: { ticketKey: new Uint8Array(32).fill(1) },
      script: (s) => s.mutate('encrypted_extensions', (m) => void m.extensions.push({ type: 'early_data' } as Extension)),
    });
    expectRejected(o, 'illegal_parameter', 'RFC 8446 4.2.11');
  });

  it('a CertificateRequest with a non-empty context: illegal_parameter', () => {
    const o = run({ server: { requestClientCert: true }, script: (s) => s.mutate('certificate_request', (m) => void ((m as { certificate_request_context: Uint8Array }).certificate_request_context = Uint8Array.of(1))) });
    expectRejected(o, 'illegal_parameter', 'RFC 8446 4.3.2');
  });

  it('a CertificateRequest without signature_algorithms: missing_extension', () => {
    const o = run({ server: { requestClientCert: true }, script: (s) => s.mutate('certificate_request', (m) => void ((m as { extensions: Extension[] }).extensions = [unknownExt()])) });
    expectRejected(o, 'missing_extension', 'RFC 8446 4.3.2');
  });

  it('an empty server Certificate: decode_error', () => {
    const o = run({ script: (s) => s.mutate('certificate', (m) => void (m.certificate_list = [])) });
    expectRejected(o, 'decode_error', 'RFC 8446 4.4.2.4');
  });

  it('a server Certificate with a non-empty request context: illegal_parameter', () => {
    const o = run({ script: (s) => s.mutate('certificate', (m) => void ((m as { certificate_request_context: Uint8Array }).certificate_request_context = Uint8Array.of(1))) });
    expectRejected(o, 'illegal_parameter', 'RFC 8446 4.4.2');
  });

  it('a certificate entry extension the client did not offer (status_request): unsupported_extension', () => {
    const o = run({
      script: (s) => s.mutate('certificate', (m) => void (m.certificate_list[0] as { extensions: Extension[] }).extensions.push(unknownExt(ExtensionType.status_request, Uint8Array.of(1, 0, 0, 1, 0)))),
    });
    expectRejected(o, 'unsupported_extension', 'RFC 8446 4.2');
  });

  const cvAlgorithm = (alg: number) => (s: Script) => s.mutate('certificate_verify', (m) => void (m.algorithm = alg));

  it('CertificateVerify with a scheme the client did not offer: illegal_parameter', () => {
    const o = run({ client: { signatureSchemes: [SignatureScheme.ecdsa_secp256r1_sha256, SignatureScheme.ed25519] }, script: cvAlgorithm(SignatureScheme.ecdsa_secp384r1_sha384) });
    expectRejected(o, 'illegal_parameter', 'RFC 8446 4.4.3');
  });

  it('CertificateVerify with rsa_pkcs1 (offered, but not allowed in TLS 1.3): illegal_parameter', () => {
    const o = run({ script: cvAlgorithm(SignatureScheme.rsa_pkcs1_sha256) });
    expectRejected(o, 'illegal_parameter', 'RFC 8446 4.4.3');
    expect(o.clientError!.message).toMatch(/not allowed in TLS 1.3/);
  });

  it('CertificateVerify with a scheme that does not fit the certificate key: illegal_parameter', () => {
    const o = run({ script: cvAlgorithm(SignatureScheme.ed25519) });
    expectRejected(o, 'illegal_parameter', 'RFC 8446 4.4.3');
  });

  it('a CertificateVerify signature that does not verify: decrypt_error', () => {
    const o = run({ script: (s) => s.mutate('certificate_verify', (m) => void (m.signature[m.signature.length - 5] ^= 1)) });
    expectRejected(o, 'decrypt_error', 'RFC 8446 4.4.3');
  });

  it('a wrong server Finished: decrypt_error', () => {
    const o = run({ script: (s) => s.mutate('finished', (m) => void (m.verify_data[0] ^= 0x80)) });
    expectRejected(o, 'decrypt_error', 'RFC 8446 4.4.4');
  });
});

describe('reference client: after the handshake (RFC 8446 4.6)', () => {
  it('a NewSessionTicket with ticket_lifetime above 604800: illegal_parameter', () => {
    const o = run({ script: (s) => s.mutate('new_session_ticket', (m) => void ((m as { ticket_lifetime: number }).ticket_lifetime = 604801)) });
    expectRejected(o, 'illegal_parameter', 'RFC 8446 4.6.1');
    expect(o.clientSent.at(-1)!.protected).toBe(true);
  });

  it('a NewSessionTicket with an extension not allowed there: illegal_parameter', () => {
    const o = run({ script: (s) => s.mutate('new_session_ticket', (m) => void (m as { extensions: Extension[] }).extensions.push({ type: 'supported_versions', selected_version: ProtocolVersion.TLS1_3 })) });
    expectRejected(o, 'illegal_parameter', 'RFC 8446 4.2');
  });

  it('a KeyUpdate with request_update 2: illegal_parameter', () => {
    const o = run({ script: (s) => s.after('new_session_ticket', (ctl) => ctl.send({ msg_type: 'key_update', request_update: 2 }, false)) });
    expectRejected(o, 'illegal_parameter', 'RFC 8446 4');
  });

  it('a handshake message not allowed after the handshake (EncryptedExtensions): unexpected_message', () => {
    const o = run({ script: (s) => s.after('new_session_ticket', (ctl) => ctl.send({ msg_type: 'encrypted_extensions', extensions: [] }, false)) });
    expectRejected(o, 'unexpected_message', 'RFC 8446 4');
  });

  it('a KeyUpdate followed by another message in the same record: unexpected_message', () => {
    // RFC 8446 5.1: the message before a key change must end its record.
    const ku = encodeHandshake({ msg_type: 'key_update', request_update: 0 });
    const nst = encodeHandshake({ msg_type: 'new_session_ticket', form: 'tls13', ticket_lifetime: 10, ticket_age_add: 0, ticket_nonce: Uint8Array.of(9), ticket: Uint8Array.of(1), extensions: [] });
    const o = run({ script: (s) => s.after('new_session_ticket', (ctl) => ctl.record(ContentType.handshake, concat(ku, nst), [ku.length + nst.length])) });
    expectRejected(o, 'unexpected_message', 'RFC 8446 5.1');
  });
});

describe('reference client: records (RFC 8446 5)', () => {
  it('change_cipher_spec with a value other than 1: unexpected_message', () => {
    const o = run({ script: (s) => s.after('server_hello', (ctl) => ctl.record(ContentType.change_cipher_spec, Uint8Array.of(2))) });
    expectRejected(o, 'unexpected_message', 'RFC 8446 5');
  });

  it('change_cipher_spec after the server Finished: unexpected_message', () => {
    const o = run({ script: (s) => s.after('finished', (ctl) => ctl.record(ContentType.change_cipher_spec, Uint8Array.of(1))) });
    expectRejected(o, 'unexpected_message', 'RFC 8446 5');
  });

  it('a protected change_cipher_spec: unexpected_message', () => {
    const o = run({
      script: (s) =>
        s.after('encrypted_extensions', (ctl) => {
          // Make the record layer encrypt a change_cipher_spec (TLS 1.3 sends it only in the clear).
          ctl.peer.rl.tls13 = false;
          ctl.record(ContentType.change_cipher_spec, Uint8Array.of(1));
          ctl.peer.rl.tls13 = true;
        }),
    });
    expectRejected(o, 'unexpected_message', 'RFC 8446 5');
  });

  it('a record of an unknown content type, in the clear: unexpected_message', () => {
    const o = run({
      script: (s) =>
        s.on('server_hello', (m, ctl) => {
          ctl.raw(plainRecord(99, Uint8Array.of(1, 2, 3)));
          ctl.send(m);
        }),
    });
    expectRejected(o, 'unexpected_message', 'RFC 8446 5');
  });

  it('a protected record of an unknown inner content type: unexpected_message', () => {
    const o = run({ script: (s) => s.after('encrypted_extensions', (ctl) => ctl.record(99, Uint8Array.of(1, 2, 3))) });
    expectRejected(o, 'unexpected_message', 'RFC 8446 5');
  });

  it('a handshake message split across a key change (ServerHello and part of the next message): unexpected_message', () => {
    const o = run({ script: (s) => s.wire('server_hello', (bytes) => concat(bytes, Uint8Array.of(8, 0, 0, 2, 0))) });
    expectRejected(o, 'unexpected_message', 'RFC 8446 5.1');
  });

  it('a whole message after ServerHello in the same plaintext record: unexpected_message', () => {
    // RFC 8446 5.1: the message before a key change must end its record; the EncryptedExtensions in the
    // clear after it must not be taken as if it had been protected.
    const ee = encodeHandshake({ msg_type: 'encrypted_extensions', extensions: [] });
    const o = run({ script: (s) => s.wire('server_hello', (bytes) => concat(bytes, ee)) });
    expectRejected(o, 'unexpected_message', 'RFC 8446 5.1');
  });

  it('a fragmented handshake message interleaved with an alert: unexpected_message', () => {
    const o = run({ script: (s) => s.on('server_hello', alertBetweenFragments(10)) });
    expectRejected(o, 'unexpected_message', 'RFC 8446 5.1');
  });

  it('a zero-length handshake record: unexpected_message', () => {
    const o = run({ script: (s) => s.on('server_hello', zeroLengthRecordFirst) });
    expectRejected(o, 'unexpected_message', 'RFC 8446 5.1');
  });

  it('a plaintext handshake record after encryption started: unexpected_message', () => {
    const ee = encodeHandshake({ msg_type: 'encrypted_extensions', extensions: [] });
    const o = run({ script: (s) => s.after('server_hello', (ctl) => ctl.raw(plainRecord(ContentType.handshake, ee))) });
    expectRejected(o, 'unexpected_message', 'RFC 8446 5');
  });

  it('a plaintext record longer than 2^14: record_overflow', () => {
    const o = run({ script: (s) => s.on('server_hello', (_m, ctl) => ctl.raw(plainRecord(ContentType.handshake, new Uint8Array(2 ** 14 + 1)))) });
    expectRejected(o, 'record_overflow', 'RFC 8446 5.1');
  });

  it('a protected record that does not authenticate: bad_record_mac', () => {
    const o = run({
      script: (s) =>
        s.after('encrypted_extensions', (ctl) => {
          ctl.peer.rl.flush();
          ctl.raw(plainRecord(ContentType.application_data, new Uint8Array(40).fill(3)));
        }),
    });
    expectRejected(o, 'bad_record_mac', 'RFC 8446 5.2');
  });

  it('a protected alert record with zero-length content: unexpected_message', () => {
    const o = run({ script: (s) => s.after('encrypted_extensions', (ctl) => ctl.sealed(ContentType.alert, new Uint8Array(0))) });
    expectRejected(o, 'unexpected_message', 'RFC 8446 5.4');
  });

  it('a protected handshake record with zero-length content: unexpected_message', () => {
    const o = run({ script: (s) => s.after('encrypted_extensions', (ctl) => ctl.sealed(ContentType.handshake, new Uint8Array(0))) });
    expectRejected(o, 'unexpected_message', 'RFC 8446 5.4');
  });

  it('a protected record whose padding is all there is (no content type): unexpected_message', () => {
    const o = run({ script: (s) => s.after('encrypted_extensions', (ctl) => ctl.sealed(0, new Uint8Array(0), 10)) });
    expectRejected(o, 'unexpected_message', 'RFC 8446 5.4');
  });

  it('a protected record with TLSInnerPlaintext above 2^14 + 1: record_overflow', () => {
    const o = run({ script: (s) => s.after('encrypted_extensions', (ctl) => ctl.sealed(ContentType.handshake, new Uint8Array(2 ** 14 + 1).fill(1))) });
    expectRejected(o, 'record_overflow', 'RFC 8446 5.4');
  });

  it('an alert record of three bytes: decode_error', () => {
    const o = run({ script: (s) => s.on('server_hello', (_m, ctl) => ctl.raw(plainRecord(ContentType.alert, Uint8Array.of(2, 40, 0)))) });
    expectRejected(o, 'decode_error', 'RFC 8446 5.1');
  });

  it('application data under the handshake keys: unexpected_message', () => {
    const o = run({ script: (s) => s.after('encrypted_extensions', (ctl) => ctl.record(ContentType.application_data, Uint8Array.of(1, 2, 3))) });
    expectRejected(o, 'unexpected_message', 'RFC 8446 4');
  });
});

describe('reference client: alerts and message order (RFC 8446 4, 6)', () => {
  it('an alert received before the ServerHello: failed with origin alert-received, no alert sent back', () => {
    const o = run({ script: (s) => s.on('server_hello', (_m, ctl) => ctl.record(ContentType.alert, Uint8Array.of(2, AlertDescription.handshake_failure))) });
    expect(o.clientError).toMatchObject({ alert: 'handshake_failure', rule: 'RFC 8446 6', origin: 'alert-received' });
    expect(o.client.state).toBe('failed');
    expect(o.clientSent.filter((r) => r.type === ContentType.alert)).toHaveLength(0);
  });

  it('a protected alert during the handshake, even at warning level, ends it without an answer', () => {
    const o = run({ script: (s) => s.after('encrypted_extensions', (ctl) => ctl.record(ContentType.alert, Uint8Array.of(1, AlertDescription.illegal_parameter))) });
    expect(o.clientError).toMatchObject({ alert: 'illegal_parameter', rule: 'RFC 8446 6', origin: 'alert-received' });
    expect(o.clientSent.filter((r) => r.type === ContentType.alert)).toHaveLength(0);
  });

  it('user_canceled is reported and the handshake goes on', () => {
    const o = run({ script: (s) => s.after('encrypted_extensions', (ctl) => ctl.record(ContentType.alert, Uint8Array.of(1, AlertDescription.user_canceled))) });
    expect(o.clientError).toBeUndefined();
    expect(o.clientEvents).toContainEqual({ type: 'alert', level: 1, description: AlertDescription.user_canceled });
    expect(o.client.state).toBe('connected');
  });

  it('close_notify during the handshake closes the connection', () => {
    const o = run({ script: (s) => s.after('encrypted_extensions', (ctl) => ctl.record(ContentType.alert, Uint8Array.of(1, AlertDescription.close_notify))) });
    expect(o.clientError).toBeUndefined();
    expect(o.client.state).toBe('closed');
    expect(o.clientEvents).toContainEqual({ type: 'closed', by: 'peer' });
  });

  it('a KeyUpdate before the handshake completed: unexpected_message', () => {
    const o = run({ script: (s) => s.after('encrypted_extensions', (ctl) => ctl.send({ msg_type: 'key_update', request_update: 0 }, false)) });
    expectRejected(o, 'unexpected_message', 'RFC 8446 4.6.3');
  });

  it('a message in the wrong state (a second EncryptedExtensions): unexpected_message', () => {
    const o = run({ script: (s) => s.after('encrypted_extensions', (ctl, m) => ctl.send(m)) });
    expectRejected(o, 'unexpected_message', 'RFC 8446 4');
  });

  it('CertificateVerify without a Certificate: unexpected_message', () => {
    expectRejected(run({ script: (s) => s.drop('certificate') }), 'unexpected_message', 'RFC 8446 4');
  });

  it('a ServerHello message type the client does not know: unexpected_message', () => {
    const o = run({
      script: (s) =>
        s.on('server_hello', (_m, ctl) => ctl.record(ContentType.handshake, encodeHandshake({ msg_type: 'unknown', code: 0x77, body: Uint8Array.of(1) } as HandshakeMessage))),
    });
    expectRejected(o, 'unexpected_message', 'RFC 8446 4');
  });
});

describe('reference client: the message type before its body (RFC 8446 4)', () => {
  // The ServerHello relabelled as every other type: refused for its type, never parsed as that type.
  for (const t of [0, 1, 4, 5, 8, 11, 13, 14, 15, 20, 24, 99]) {
    it(`a ServerHello relabelled as type ${t}: unexpected_message`, () => {
      // A TLS 1.3-only client: a dual-version one may take type 0 (HelloRequest) before the ServerHello.
      expectRejected(run({ client: { minVersion: 'TLSv1.3' }, script: (s) => s.wire('server_hello', relabel(t)) }), 'unexpected_message', t === 24 ? 'RFC 8446 4.6.3' : 'RFC 8446 4');
    });
  }

  for (const [from, t] of [['encrypted_extensions', 2], ['encrypted_extensions', 20], ['certificate', 15], ['certificate_verify', 20], ['finished', 15]] as const) {
    it(`the server's ${from} relabelled as type ${t}: unexpected_message`, () => {
      expectRejected(run({ script: (s) => s.wire(from, relabel(t)) }), 'unexpected_message', 'RFC 8446 4');
    });
  }

  it('a HelloRequest before the ServerHello to a client that offered TLS 1.2 too: ignored; a non-empty one: decode_error', () => {
    const dual = { client: { cipherSuites: DUAL_CIPHER_SUITES } };
    const helloRequest = (body: number[]) => (s: Script) => s.on('server_hello', (m, ctl) => (ctl.record(ContentType.handshake, Uint8Array.of(0, 0, 0, body.length, ...body)), ctl.send(m)));
    const ok = run({ ...dual, script: helloRequest([]) });
    expect(ok.clientError).toBeUndefined();
    expect(ok.client.summary?.version).toBe('TLSv1.3');
    const bad = run({ ...dual, script: helloRequest([1]) });
    expectRejected(bad, 'decode_error', 'RFC 8446 6');
    expect(bad.clientError!.detail).toBe('hello_request of 1 bytes: its syntax allows at most 0 bytes');
  });

  it('a HelloRequest to a TLS 1.3-only client: unexpected_message', () => {
    const o = run({ client: { minVersion: 'TLSv1.3' }, script: (s) => s.on('server_hello', (m, ctl) => (ctl.record(ContentType.handshake, Uint8Array.of(0, 0, 0, 0)), ctl.send(m))) });
    expectRejected(o, 'unexpected_message', 'RFC 8446 4');
  });
});

describe('reference client: the server Finished length (RFC 8446 4.4.4, 6)', () => {
  for (const [what, f] of WRONG_LENGTH_VERIFY_DATA) {
    it(`a verify_data ${what}: decode_error, not decrypt_error`, () => {
      expectRejected(run({ script: (s) => s.mutate('finished', (m) => void (m.verify_data = f(m.verify_data))) }), 'decode_error', 'RFC 8446 6');
    });
  }
});

describe('reference client: FFDHE key shares padded to the size of p (RFC 8446 4.2.8.1)', () => {
  const FF2048 = NamedGroup.ffdhe2048;
  const FF = { client: { groups: [FF2048], keyShareGroups: [FF2048] }, server: { groups: [FF2048] } };
  const y2 = (n: number) => Uint8Array.from({ length: n }, (_, i) => (i === n - 1 ? 2 : 0));
  const serverShare = (share: Uint8Array) => (s: Script) =>
    s.mutate('server_hello', (m) => void (m.extensions = replaceExt(m.extensions, { type: 'key_share', server_share: { group: FF2048, key_exchange: share } })));

  it('a 256-byte ffdhe2048 share completes', () => {
    const o = run(FF);
    expect(o.clientError).toBeUndefined();
    expect(o.client.summary?.group).toBe(FF2048);
  });

  for (const n of [1, 255, 257]) {
    it(`a server share of ${n} bytes: illegal_parameter`, () => {
      expectRejected(run({ ...FF, script: serverShare(y2(n)) }), 'illegal_parameter', 'RFC 8446 4.2.8.1');
    });
  }
});

describe('reference client: handshake message sizes (RFC 8446 6, 6.2)', () => {
  it('a ServerHello header announcing more than its syntax allows (65,608 bytes): decode_error before the body arrives', () => {
    const o = run({ script: (s) => s.on('server_hello', (_m, ctl) => ctl.record(ContentType.handshake, Uint8Array.of(2, 0x01, 0x00, 0x48))) });
    expectRejected(o, 'decode_error', 'RFC 8446 6');
    expect(o.clientError!.detail).toBe('server_hello of 65608 bytes: its syntax allows at most 65607 bytes');
  });

  it('a server Certificate over maxHandshakeMessageSize: internal_error, a local limit', () => {
    const server = new ScriptedServer(serverConfig());
    server.script.mutate('certificate', (m) => void (m as { certificate_list: unknown[] }).certificate_list.push({ cert_data: new Uint8Array(5000).fill(0x30), extensions: [] }));
    const client = new TlsClient(clientConfig({ maxHandshakeMessageSize: 4096 }));
    const r = exchange(client, server, { watch: ['client'] });
    expectLocalLimit(r.client, 'RFC 8446 6.2');
  });
});

describe('reference client: non-fatal alerts in a row (CVE-2016-8610)', () => {
  it('four user_canceled alerts before the server Finished: the handshake completes', () => {
    const o = run({ script: (s) => s.on('finished', alertsFirst(4)) });
    expect(o.clientError).toBeUndefined();
    expect(o.client.state).toBe('connected');
  });

  it('five in a row: unexpected_message', () => {
    expectRejected(run({ script: (s) => s.on('finished', alertsFirst(5)) }), 'unexpected_message', 'RFC 8446 6.2');
  });
});
