import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  decodeHandshake,
  decodeHandshakeBody,
  encodeHandshake,
  encodeHandshakeBody,
  encodeHandshakeWithSpans,
  tryDecodeHandshake,
  type ClientHello,
  type HandshakeContext,
  type HandshakeMessage,
} from './handshake.ts';
import { DecodeError } from './errors.ts';
import { AlertDescription, CipherSuite, ExtensionType, HELLO_RETRY_REQUEST_RANDOM, NamedGroup, SignatureScheme } from './enums.ts';
import { applyMutation, arbHandshake, arbHandshakeContext, arbMutation, HANDSHAKE_CONTEXTS } from './arbitraries.ts';
import { fcParams, fcTimeout } from './fc.ts';
import type { Extension } from './extensions.ts';

// ---------------------------------------------------------------------------------------------------------
// RFC 8448 traces

// The RFC text ships with the project, next to its transcription (vectors/rfc8448/).
const RFC8448_PATH = fileURLToPath(new URL('../../../vectors/rfc8448/rfc8448.txt', import.meta.url));
const RFC8448 = readFileSync(RFC8448_PATH, 'latin1');

/** The bytes of the `label (N octets):` hex block at or after line `near` (1-based), across page breaks. */
function rfc8448Hex(label: string, near: number): Uint8Array {
  const lines = RFC8448.split('\n');
  for (let i = near - 1; i < lines.length; i++) {
    const m = new RegExp(`^\\s+${label} \\((\\d+) octets\\):\\s*(.*)$`).exec(lines[i]);
    if (!m) continue;
    const n = Number(m[1]);
    const hex = m[2].trim().split(/\s+/);
    for (let j = i + 1; hex.length < n && j < lines.length; j++) {
      if (/^\s+[0-9a-f]{2}( [0-9a-f]{2})*\s*$/.test(lines[j])) hex.push(...lines[j].trim().split(/\s+/));
    }
    expect(hex.length).toBe(n);
    return Uint8Array.from(hex.map((h) => Number.parseInt(h, 16)));
  }
  throw new Error(`${label} not found after line ${near}`);
}


const TLS13: HandshakeContext = { version: 'tls13' };

function ext<T extends Extension['type']>(exts: Extension[] | undefined, type: T): Extract<Extension, { type: T }> {
  const e = exts?.find((x) => x.type === type);
  expect(e, `extension ${type}`).toBeDefined();
  return e as Extract<Extension, { type: T }>;
}

function roundTrips(bytes: Uint8Array, ctx: HandshakeContext = TLS13): HandshakeMessage {
  const msg = decodeHandshake(bytes, ctx);
  expect(encodeHandshake(msg)).toEqual(bytes);
  return msg;
}

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

describe('RFC 8448 section 3 (simple 1-RTT)', () => {
  it('ClientHello', () => {
    const b = rfc8448Hex('ClientHello', 177);
    expect(b.length).toBe(196);
    const ch = roundTrips(b) as ClientHello;
    expect(ch.msg_type).toBe('client_hello');
    expect(ch.legacy_version).toBe(0x0303);
    expect(hex(ch.random)).toBe('cb34ecb1e78163ba1c38c6dacb196a6dffa21a8d9912ec18a2ef6283024dece7');
    expect(ch.legacy_session_id.length).toBe(0);
    expect(ch.cipher_suites).toEqual([CipherSuite.TLS_AES_128_GCM_SHA256, CipherSuite.TLS_CHACHA20_POLY1305_SHA256, CipherSuite.TLS_AES_256_GCM_SHA384]);
    expect(ch.legacy_compression_methods).toEqual([0]);
    expect(ch.extensions!.map((e) => e.type)).toEqual([
      'server_name',
      'renegotiation_info',
      'supported_groups',
      'session_ticket',
      'key_share',
      'supported_versions',
      'signature_algorithms',
      'psk_key_exchange_modes',
      'record_size_limit',
    ]);
    const sni = ext(ch.extensions, 'server_name');
    expect(Buffer.from(sni.server_name_list![0].host_name).toString()).toBe('server');
    expect(ext(ch.extensions, 'renegotiation_info').renegotiated_connection.length).toBe(0);
    expect(ext(ch.extensions, 'supported_groups').named_group_list).toEqual([29, 23, 24, 25, 256, 257, 258, 259, 260]);
    expect(ext(ch.extensions, 'session_ticket')).toEqual({ type: 'session_ticket', ticket: new Uint8Array(0) });
    const ks = ext(ch.extensions, 'key_share');
    expect(ks.client_shares).toHaveLength(1);
    expect(ks.client_shares![0].group).toBe(NamedGroup.x25519);
    expect(hex(ks.client_shares![0].key_exchange)).toBe('99381de560e4bd43d23d8e435a7dbafeb3c06e51c13cae4d5413691e529aaf2c');
    expect(ext(ch.extensions, 'supported_versions').versions).toEqual([0x0304]);
    expect(ext(ch.extensions, 'signature_algorithms').supported_signature_algorithms).toHaveLength(15);
    expect(ext(ch.extensions, 'psk_key_exchange_modes').ke_modes).toEqual([1]);
    expect(ext(ch.extensions, 'record_size_limit').record_size_limit).toBe(0x4001);
  });

  it('ServerHello', () => {
    const sh = roundTrips(rfc8448Hex('ServerHello', 241));
    expect(sh).toMatchObject({ msg_type: 'server_hello', legacy_version: 0x0303, cipher_suite: 0x1301, legacy_compression_method: 0 });
    if (sh.msg_type !== 'server_hello') throw new Error();
    expect(hex(sh.random)).toBe('a6af06a4121860dc5e6e60249cd34c95930c8ac5cb1434dac155772ed3e26928');
    expect(ext(sh.extensions, 'key_share').server_share).toEqual({
      group: NamedGroup.x25519,
      key_exchange: Uint8Array.from(Buffer.from('c9828876112095fe66762bdbf7c672e156d6cc253b833df1dd69b1b04e751f0f', 'hex')),
    });
    expect(ext(sh.extensions, 'supported_versions').selected_version).toBe(0x0304);
  });

  it('EncryptedExtensions', () => {
    const ee = roundTrips(rfc8448Hex('EncryptedExtensions', 376));
    if (ee.msg_type !== 'encrypted_extensions') throw new Error();
    expect(ee.extensions).toEqual([
      { type: 'supported_groups', named_group_list: [29, 23, 24, 25, 256, 257, 258, 259, 260] },
      { type: 'record_size_limit', record_size_limit: 0x4001 },
      { type: 'server_name' },
    ]);
  });

  it('Certificate', () => {
    const c = roundTrips(rfc8448Hex('Certificate', 382));
    if (c.msg_type !== 'certificate' || c.form !== 'tls13') throw new Error('form');
    expect(c.certificate_request_context.length).toBe(0);
    expect(c.certificate_list).toHaveLength(1);
    expect(c.certificate_list[0].cert_data.length).toBe(432);
    expect(hex(c.certificate_list[0].cert_data.subarray(0, 4))).toBe('308201ac');
    expect(c.certificate_list[0].extensions).toEqual([]);
  });

  it('CertificateVerify', () => {
    const cv = roundTrips(rfc8448Hex('CertificateVerify', 415));
    if (cv.msg_type !== 'certificate_verify') throw new Error();
    expect(cv.algorithm).toBe(SignatureScheme.rsa_pss_rsae_sha256);
    expect(cv.signature.length).toBe(128);
  });

  it('Finished', () => {
    const f = roundTrips(rfc8448Hex('Finished', 441));
    expect(f).toEqual({ msg_type: 'finished', verify_data: rfc8448Hex('finished', 436) });
  });

  it('NewSessionTicket', () => {
    const t = roundTrips(rfc8448Hex('NewSessionTicket', 764));
    if (t.msg_type !== 'new_session_ticket' || t.form !== 'tls13') throw new Error();
    expect(t.ticket_lifetime).toBe(30);
    expect(t.ticket_age_add).toBe(0xfad6aac5);
    expect(t.ticket_nonce).toEqual(Uint8Array.of(0, 0));
    expect(t.ticket.length).toBe(178);
    expect(t.extensions).toEqual([{ type: 'early_data', max_early_data_size: 1024 }]);
  });
});

describe('RFC 8448 sections 4-6', () => {
  it('resumption ClientHello with pre_shared_key and early_data (section 4)', () => {
    const ch = roundTrips(rfc8448Hex('payload', 972)) as ClientHello;
    const psk = ext(ch.extensions, 'pre_shared_key');
    expect(ch.extensions!.at(-1)!.type).toBe('pre_shared_key');
    expect(psk.identities).toHaveLength(1);
    expect(psk.identities![0].identity.length).toBe(178);
    expect(psk.identities![0].obfuscated_ticket_age).toBe(0xfad6aacb);
    expect(psk.binders).toEqual([rfc8448Hex('finished', 967)]);
    expect(ext(ch.extensions, 'early_data')).toEqual({ type: 'early_data' });
  });

  it('ServerHello selecting the PSK, EncryptedExtensions with early_data, EndOfEarlyData (section 4)', () => {
    const sh = roundTrips(rfc8448Hex('ServerHello', 1110));
    if (sh.msg_type !== 'server_hello') throw new Error();
    expect(ext(sh.extensions, 'pre_shared_key')).toEqual({ type: 'pre_shared_key', selected_identity: 0 });
    const ee = roundTrips(rfc8448Hex('EncryptedExtensions', 1255));
    if (ee.msg_type !== 'encrypted_extensions') throw new Error();
    expect(ee.extensions.at(-1)).toEqual({ type: 'early_data' });
    expect(roundTrips(rfc8448Hex('EndOfEarlyData', 1431))).toEqual({ msg_type: 'end_of_early_data' });
  });

  it('HelloRetryRequest and the second ClientHello (section 5)', () => {
    const hrr = roundTrips(rfc8448Hex('ServerHello', 1656));
    if (hrr.msg_type !== 'hello_retry_request') throw new Error(hrr.msg_type);
    expect(hrr).not.toHaveProperty('random');
    expect(hrr.cipher_suite).toBe(0x1301);
    expect(hrr.extensions.map((e) => e.type)).toEqual(['key_share', 'cookie', 'supported_versions']);
    expect(ext(hrr.extensions, 'key_share')).toEqual({ type: 'key_share', selected_group: NamedGroup.secp256r1 });
    expect(ext(hrr.extensions, 'cookie').cookie.length).toBe(114);
    const ch2 = roundTrips(rfc8448Hex('ClientHello', 1710)) as ClientHello;
    expect(ext(ch2.extensions, 'cookie').cookie).toEqual(ext(hrr.extensions, 'cookie').cookie);
    expect(ext(ch2.extensions, 'key_share').client_shares![0].group).toBe(NamedGroup.secp256r1);
    expect(ext(ch2.extensions, 'padding').padding.every((b) => b === 0)).toBe(true);
  });

  it('CertificateRequest, client Certificate and CertificateVerify (section 6)', () => {
    expect(rfc8448Hex('ClientHello', 2377).length).toBe(192);
    roundTrips(rfc8448Hex('ClientHello', 2377));
    const cr = roundTrips(rfc8448Hex('CertificateRequest', 2591));
    if (cr.msg_type !== 'certificate_request' || cr.form !== 'tls13') throw new Error();
    expect(cr.certificate_request_context.length).toBe(0);
    expect(cr.extensions.map((e) => e.type)).toEqual(['signature_algorithms']);
    const cv = roundTrips(rfc8448Hex('CertificateVerify', 2616));
    expect(cv).toMatchObject({ msg_type: 'certificate_verify', algorithm: SignatureScheme.ecdsa_secp256r1_sha256 });
    roundTrips(rfc8448Hex('Certificate', 2597));
  });
});

// ---------------------------------------------------------------------------------------------------------
// Examples: TLS 1.2 forms

describe('TLS 1.2 messages', () => {
  const cases: [HandshakeContext, HandshakeMessage][] = [
    [{ version: 'tls12' }, { msg_type: 'certificate', form: 'tls12', certificate_list: [Uint8Array.of(1, 2, 3), Uint8Array.of(4)] }],
    [{ version: 'tls12' }, { msg_type: 'new_session_ticket', form: 'tls12', ticket_lifetime_hint: 7200, ticket: new Uint8Array(0) }],
    [
      { version: 'tls12' },
      {
        msg_type: 'certificate_request',
        form: 'tls12',
        certificate_types: [1, 64],
        supported_signature_algorithms: [0x0401, 0x0403],
        certificate_authorities: [Uint8Array.of(0x30, 0)],
      },
    ],
    [
      { version: 'tls12', keyExchange: 'ecdhe' },
      {
        msg_type: 'server_key_exchange',
        form: 'ecdhe',
        curve_type: 3,
        named_curve: NamedGroup.x25519,
        public: new Uint8Array(32).fill(9),
        signature: { algorithm: 0x0804, signature: new Uint8Array(16) },
      },
    ],
    [{ version: 'tls12', keyExchange: 'ecdhe' }, { msg_type: 'server_key_exchange', form: 'ecdhe', curve_type: 3, named_curve: 23, public: Uint8Array.of(4) }],
    [
      { version: 'tls12', keyExchange: 'dhe' },
      { msg_type: 'server_key_exchange', form: 'dhe', dh_p: Uint8Array.of(23), dh_g: Uint8Array.of(2), dh_Ys: Uint8Array.of(5), signature: { algorithm: 0x0401, signature: Uint8Array.of(1) } },
    ],
    [{ version: 'tls12', keyExchange: 'rsa' }, { msg_type: 'client_key_exchange', form: 'rsa', encrypted_pre_master_secret: new Uint8Array(48) }],
    [{ version: 'tls12', keyExchange: 'ecdhe' }, { msg_type: 'client_key_exchange', form: 'ecdhe', ecdh_Yc: new Uint8Array(32) }],
    [{ version: 'tls12', keyExchange: 'dhe' }, { msg_type: 'client_key_exchange', form: 'dhe', dh_Yc: new Uint8Array(2) }],
    [{ version: 'tls12' }, { msg_type: 'client_key_exchange', form: 'opaque', body: Uint8Array.of(0, 2, 1, 1) }],
    [{ version: 'tls12' }, { msg_type: 'server_hello_done' }],
    [{ version: 'tls12' }, { msg_type: 'hello_request' }],
    [{ version: 'tls12' }, { msg_type: 'finished', verify_data: new Uint8Array(12) }],
  ];
  it.each(cases.map(([c, m]) => [`${m.msg_type} ${'form' in m ? m.form : ''} ${c.keyExchange ?? ''}`, c, m] as const))('%s round-trips', (_, ctx, msg) => {
    const b = encodeHandshake(msg);
    expect(decodeHandshake(b, ctx)).toEqual(msg);
  });

  it('ServerHelloDone wire form is 0e 00 00 00', () => {
    expect(hex(encodeHandshake({ msg_type: 'server_hello_done' }))).toBe('0e000000');
  });

  it('a TLS 1.2 ClientHello with no extension block differs from one with an empty block', () => {
    const base: ClientHello = {
      msg_type: 'client_hello',
      legacy_version: 0x0303,
      random: new Uint8Array(32),
      legacy_session_id: new Uint8Array(0),
      cipher_suites: [0x002f],
      legacy_compression_methods: [0],
    };
    const absent = encodeHandshake(base);
    const emptyBlock = encodeHandshake({ ...base, extensions: [] });
    expect(emptyBlock.length).toBe(absent.length + 2);
    const a = decodeHandshake(absent, TLS13);
    expect(a).not.toHaveProperty('extensions');
    expect(decodeHandshake(emptyBlock, TLS13)).toEqual({ ...base, extensions: [] });
  });

  it('server_key_exchange and client_key_exchange without a key exchange decode as opaque', () => {
    const ske = encodeHandshake({ msg_type: 'server_key_exchange', form: 'ecdhe', curve_type: 3, named_curve: 23, public: Uint8Array.of(4) });
    expect(decodeHandshake(ske, { version: 'tls12' })).toEqual({ msg_type: 'server_key_exchange', form: 'opaque', body: Uint8Array.of(3, 0, 23, 1, 4) });
    expect(decodeHandshake(ske, { version: 'tls12', keyExchange: 'rsa' })).toMatchObject({ form: 'opaque' });
  });

  it('decodeHandshakeBody and encodeHandshakeBody work without the header', () => {
    const msg: HandshakeMessage = { msg_type: 'certificate_verify', algorithm: 0x0403, signature: Uint8Array.of(1, 2) };
    const body = encodeHandshakeBody(msg);
    expect(hex(body)).toBe('040300020102');
    expect(decodeHandshakeBody(15, body, TLS13)).toEqual(msg);
  });

  it('unknown handshake types round-trip, and a known type can be sent as raw bytes', () => {
    const u: HandshakeMessage = { msg_type: 'unknown', code: 99, body: Uint8Array.of(1, 2, 3) };
    expect(roundTrips(encodeHandshake(u))).toEqual(u);
    const raw = encodeHandshake({ msg_type: 'unknown', code: 20, body: Uint8Array.of(7) });
    expect(decodeHandshake(raw, TLS13)).toEqual({ msg_type: 'finished', verify_data: Uint8Array.of(7) });
  });
});

// ---------------------------------------------------------------------------------------------------------
// Error paths

function decodeError(f: () => unknown): DecodeError {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(DecodeError);
    return e as DecodeError;
  }
  throw new Error('expected a DecodeError');
}

const sampleCH: ClientHello = {
  msg_type: 'client_hello',
  legacy_version: 0x0303,
  random: new Uint8Array(32).fill(1),
  legacy_session_id: new Uint8Array(32).fill(2),
  cipher_suites: [0x1301, 0x1302],
  legacy_compression_methods: [0],
  extensions: [
    { type: 'supported_versions', versions: [0x0304, 0x0303] },
    { type: 'key_share', client_shares: [{ group: 29, key_exchange: new Uint8Array(32).fill(3) }] },
    { type: 'pre_shared_key', identities: [{ identity: Uint8Array.of(1, 2, 3), obfuscated_ticket_age: 5 }], binders: [new Uint8Array(32)] },
  ],
};

describe('decode errors name the field and the alert', () => {
  it('a key_exchange longer than its region: decode_error at the key_exchange', () => {
    const b = encodeHandshake(sampleCH, { lengths: { 'ClientHello.extensions[1].key_share.client_shares[0].key_exchange': 33 } });
    const e = decodeError(() => decodeHandshake(b, TLS13));
    expect(e.alert).toBe('decode_error');
    expect(e.path).toBe('ClientHello.extensions[1].key_share.client_shares[0].key_exchange');
  });

  it('a truncated key_share body: decode_error inside the extension', () => {
    // The key_share extension_data says 20 bytes where 38 are: its client_shares vector overruns it
    const b = encodeHandshake(sampleCH, { lengths: { 'ClientHello.extensions[1].key_share': 20 } });
    const e = decodeError(() => decodeHandshake(b, TLS13));
    expect(e.alert).toBe('decode_error');
    expect(e.path).toBe('ClientHello.extensions[1].key_share.client_shares');
  });

  it('an empty key_exchange is out of range <1..2^16-1>', () => {
    const ch = structuredClone(sampleCH);
    (ch.extensions![1] as { client_shares: { key_exchange: Uint8Array }[] }).client_shares[0].key_exchange = new Uint8Array(0);
    const e = decodeError(() => decodeHandshake(encodeHandshake(ch), TLS13));
    expect([e.alert, e.path]).toEqual(['decode_error', 'ClientHello.extensions[1].key_share.client_shares[0].key_exchange']);
    expect(e.reason).toMatch(/outside <1\.\.65535>/);
  });

  it('a 31-byte PSK binder is out of range <32..255>', () => {
    const ch = structuredClone(sampleCH);
    (ch.extensions![2] as { binders: Uint8Array[] }).binders = [new Uint8Array(31), new Uint8Array(32)];
    const e = decodeError(() => decodeHandshake(encodeHandshake(ch), TLS13));
    expect([e.alert, e.path]).toEqual(['decode_error', 'ClientHello.extensions[2].pre_shared_key.binders[0]']);
  });

  it('a 33-byte legacy_session_id', () => {
    const e = decodeError(() => decodeHandshake(encodeHandshake({ ...sampleCH, legacy_session_id: new Uint8Array(33) }), TLS13));
    expect([e.alert, e.path]).toEqual(['decode_error', 'ClientHello.legacy_session_id']);
  });

  it('an odd-length cipher_suites vector', () => {
    const b = encodeHandshake(sampleCH, { append: { 'ClientHello.cipher_suites': Uint8Array.of(0x13) } });
    const e = decodeError(() => decodeHandshake(b, TLS13));
    expect([e.alert, e.path]).toEqual(['decode_error', 'ClientHello.cipher_suites[2]']);
  });

  it('a byte appended inside an extension body', () => {
    const b = encodeHandshake(sampleCH, { append: { 'ClientHello.extensions[0].supported_versions': Uint8Array.of(0) } });
    const e = decodeError(() => decodeHandshake(b, TLS13));
    expect([e.alert, e.path]).toEqual(['decode_error', 'ClientHello.extensions[0].supported_versions']);
  });

  it('bytes after the last field of a body, and after the message', () => {
    const cv: HandshakeMessage = { msg_type: 'certificate_verify', algorithm: 0x0804, signature: Uint8Array.of(1) };
    let e = decodeError(() => decodeHandshake(encodeHandshake(cv, { append: { CertificateVerify: Uint8Array.of(0) } }), TLS13));
    expect([e.alert, e.path, e.offset]).toEqual(['decode_error', 'CertificateVerify', 9]);
    const b = encodeHandshake(cv);
    e = decodeError(() => decodeHandshake(Uint8Array.of(...b, 0), TLS13));
    expect([e.alert, e.path, e.offset]).toEqual(['decode_error', 'Handshake', b.length]);
  });

  it('a handshake length longer than the bytes, and a truncated header', () => {
    const b = encodeHandshake(sampleCH, { lengths: { ClientHello: 1000 } });
    expect(b.subarray(1, 4)).toEqual(Uint8Array.of(0, 3, 0xe8));
    let e = decodeError(() => decodeHandshake(b, TLS13));
    expect([e.alert, e.path]).toEqual(['decode_error', 'ClientHello']);
    e = decodeError(() => decodeHandshake(Uint8Array.of(), TLS13));
    expect([e.alert, e.path]).toEqual(['decode_error', 'Handshake.msg_type']);
    e = decodeError(() => decodeHandshake(Uint8Array.of(20, 0), TLS13));
    expect([e.alert, e.path]).toEqual(['decode_error', 'Finished']);
  });

  it('an error deep in a message carries its absolute offset', () => {
    const b = encodeHandshake(sampleCH, { lengths: { 'ClientHello.extensions[1].key_share.client_shares[0].key_exchange': 33 } });
    const e = decodeError(() => decodeHandshake(b, TLS13));
    // header 4 + version 2 + random 32 + sid 33 + suites 6 + comp 2 + ext len 2 + sv ext 9 + ks hdr 4 + shares len 2 + group 2 + len 2
    expect(e.offset).toBe(4 + 2 + 32 + 33 + 6 + 2 + 2 + 9 + 4 + 2 + 2 + 2);
  });

  it('KeyUpdate with request_update 2 is an illegal_parameter (RFC 8446 4.6.3)', () => {
    const e = decodeError(() => decodeHandshake(encodeHandshake({ msg_type: 'key_update', request_update: 2 }), TLS13));
    expect([e.alert, e.path]).toEqual(['illegal_parameter', 'KeyUpdate.request_update']);
  });

  it('an explicit curve in ServerKeyExchange is an illegal_parameter (RFC 8422 5.4)', () => {
    const b = encodeHandshake({ msg_type: 'server_key_exchange', form: 'ecdhe', curve_type: 1, named_curve: 23, public: Uint8Array.of(4) });
    const e = decodeError(() => decodeHandshake(b, { version: 'tls12', keyExchange: 'ecdhe' }));
    expect([e.alert, e.path]).toEqual(['illegal_parameter', 'ServerKeyExchange.curve_type']);
  });

  it('a HelloRetryRequest without extensions, or with fewer than 6 bytes of them', () => {
    const hrr: HandshakeMessage = { msg_type: 'hello_retry_request', legacy_version: 0x0303, legacy_session_id_echo: new Uint8Array(0), cipher_suite: 0x1301, legacy_compression_method: 0, extensions: [] };
    let e = decodeError(() => decodeHandshake(encodeHandshake(hrr), TLS13));
    expect([e.alert, e.path]).toEqual(['decode_error', 'HelloRetryRequest.extensions']);
    const sh = encodeHandshake({ msg_type: 'server_hello', legacy_version: 0x0303, random: HELLO_RETRY_REQUEST_RANDOM, legacy_session_id_echo: new Uint8Array(0), cipher_suite: 0x1301, legacy_compression_method: 0 });
    e = decodeError(() => decodeHandshake(sh, TLS13));
    expect([e.alert, e.path]).toEqual(['decode_error', 'HelloRetryRequest.extensions']);
  });

  it('a ServerHello encoded with the HRR random decodes as a HelloRetryRequest', () => {
    const sh = encodeHandshake({
      msg_type: 'server_hello',
      legacy_version: 0x0303,
      random: HELLO_RETRY_REQUEST_RANDOM,
      legacy_session_id_echo: new Uint8Array(0),
      cipher_suite: 0x1301,
      legacy_compression_method: 0,
      extensions: [{ type: 'supported_versions', selected_version: 0x0304 }],
    });
    expect(decodeHandshake(sh, TLS13)).toEqual({
      msg_type: 'hello_retry_request',
      legacy_version: 0x0303,
      legacy_session_id_echo: new Uint8Array(0),
      cipher_suite: 0x1301,
      legacy_compression_method: 0,
      extensions: [{ type: 'supported_versions', selected_version: 0x0304 }],
    });
  });

  it('tryDecodeHandshake returns the error as a value', () => {
    const r = tryDecodeHandshake(Uint8Array.of(1, 0, 0, 1, 3), TLS13);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error.path).toBe('ClientHello.legacy_version');
  });
});

// ---------------------------------------------------------------------------------------------------------
// Overrides

describe('EncodeOverrides', () => {
  it('lengths[<Struct>] forces the handshake length; lengths[<Struct>.extensions] the extensions length', () => {
    const plain = encodeHandshake(sampleCH);
    const b = encodeHandshake(sampleCH, { lengths: { ClientHello: 5, 'ClientHello.extensions': 0xffff } });
    expect(b.length).toBe(plain.length);
    expect(hex(b.subarray(0, 4))).toBe('01000005');
    const extLenAt = 4 + 2 + 32 + 33 + 6 + 2;
    expect(hex(b.subarray(extLenAt, extLenAt + 2))).toBe('ffff');
    expect(hex(plain.subarray(extLenAt, extLenAt + 2))).not.toBe('ffff');
  });

  it('append adds bytes inside the named region and its length prefix counts them', () => {
    const f: HandshakeMessage = { msg_type: 'finished', verify_data: Uint8Array.of(0xaa) };
    expect(hex(encodeHandshake(f, { append: { Finished: Uint8Array.of(0xbb) } }))).toBe('14000002aabb');
    const b = encodeHandshake(sampleCH, { append: { 'ClientHello.extensions': Uint8Array.of(0xfe, 0xfe, 0, 0) } });
    const m = decodeHandshake(b, TLS13) as ClientHello;
    expect(m.extensions!.at(-1)).toEqual({ type: 'opaque', extension_type: 0xfefe, extension_data: new Uint8Array(0) });
  });

  it('spans locate every named field', () => {
    const { bytes, spans } = encodeHandshakeWithSpans(sampleCH);
    expect(bytes).toEqual(encodeHandshake(sampleCH));
    const [s, e] = spans.get('ClientHello.extensions[1].key_share.client_shares[0].key_exchange')!;
    expect(bytes.subarray(s, e)).toEqual(Uint8Array.of(0, 32, ...new Uint8Array(32).fill(3)));
    expect(spans.get('ClientHello')).toEqual([1, bytes.length]);
    expect(spans.get('Handshake.msg_type')).toEqual([0, 1]);
  });

  it('extension order and duplicates are preserved; an opaque extension with a known code sends raw bytes', () => {
    const ch: ClientHello = {
      ...sampleCH,
      extensions: [
        { type: 'extended_master_secret' },
        { type: 'opaque', extension_type: 0x7777, extension_data: Uint8Array.of(9) },
        { type: 'extended_master_secret' },
        { type: 'supported_versions', versions: [0x0304] },
      ],
    };
    const m = decodeHandshake(encodeHandshake(ch), TLS13) as ClientHello;
    expect(m.extensions).toEqual(ch.extensions);
    const raw = encodeHandshake({ ...sampleCH, extensions: [{ type: 'opaque', extension_type: ExtensionType.key_share, extension_data: Uint8Array.of(0, 1, 2) }] });
    expect(hex(raw.subarray(-9))).toBe('000700330003000102');
    const e = decodeError(() => decodeHandshake(raw, TLS13));
    expect([e.alert, e.path]).toEqual(['decode_error', 'ClientHello.extensions[0].key_share.client_shares[0].group']);
  });
});

// ---------------------------------------------------------------------------------------------------------
// Properties

const VALID_ALERTS = new Set(Object.keys(AlertDescription));

/** Decoding `b` either succeeds with a byte-exact re-encoding or throws a well-formed DecodeError. */
function checkRobust(b: Uint8Array, ctx: HandshakeContext): void {
  let msg: HandshakeMessage;
  try {
    msg = decodeHandshake(b, ctx);
  } catch (e) {
    if (!(e instanceof DecodeError)) throw e;
    expect(VALID_ALERTS.has(e.alert)).toBe(true);
    expect(e.path.length).toBeGreaterThan(0);
    expect(e.offset).toBeGreaterThanOrEqual(0);
    expect(e.offset).toBeLessThanOrEqual(b.length);
    return;
  }
  expect(encodeHandshake(msg)).toEqual(b);
}

describe('properties', () => {
  for (const ctx of HANDSHAKE_CONTEXTS) {
    const label = `${ctx.version}${ctx.keyExchange ? '/' + ctx.keyExchange : ''}`;
    it(`decode(encode(x)) == x and encode(decode(b)) == b (${label})`, () => {
      fc.assert(
        fc.property(arbHandshake(ctx), (msg) => {
          const b = encodeHandshake(msg);
          const back = decodeHandshake(b, ctx);
          expect(back).toEqual(msg);
          expect(encodeHandshake(back)).toEqual(b);
        }),
        fcParams(300),
      );
    }, fcTimeout(300));
  }

  it('mutated messages decode to a byte-exact re-encoding or fail with a DecodeError', () => {
    fc.assert(
      fc.property(
        arbHandshakeContext.chain((ctx) => fc.tuple(fc.constant(ctx), arbHandshake(ctx), fc.array(arbMutation, { minLength: 1, maxLength: 3 }))),
        ([ctx, msg, muts]) => {
          let b = encodeHandshake(msg);
          for (const m of muts) b = applyMutation(b, m);
          checkRobust(b, ctx);
        },
      ),
      fcParams(1000),
    );
  }, fcTimeout(1000));

  it('corrupted length prefixes and field starts (by span) are handled', () => {
    fc.assert(
      fc.property(
        arbHandshakeContext.chain((ctx) => fc.tuple(fc.constant(ctx), arbHandshake(ctx))),
        fc.nat(),
        fc.integer({ min: 0, max: 2 }),
        fc.oneof(fc.integer({ min: 0, max: 255 }), fc.constantFrom(-1, 1)),
        ([ctx, msg], pick, k, v) => {
          const { bytes, spans } = encodeHandshakeWithSpans(msg);
          const all = [...spans.values()].filter(([s, e]) => e > s);
          if (all.length === 0) return;
          const [s, e] = all[pick % all.length];
          const at = Math.min(s + k, e - 1);
          const b = bytes.slice();
          b[at] = v === -1 || v === 1 ? (b[at] + v) & 0xff : v;
          checkRobust(b, ctx);
        },
      ),
      fcParams(1000),
    );
  }, fcTimeout(1000));

  it('random bytes, with and without a plausible header, never throw anything but a DecodeError', () => {
    fc.assert(
      fc.property(
        arbHandshakeContext,
        fc.integer({ min: 0, max: 255 }),
        fc.uint8Array({ maxLength: 80 }),
        fc.boolean(),
        (ctx, type, body, header) => {
          const b = header ? Uint8Array.of(type, 0, body.length >> 8, body.length & 0xff, ...body) : body;
          checkRobust(b, ctx);
        },
      ),
      fcParams(1000),
    );
  }, fcTimeout(1000));

  it('a message decoded in another context either re-encodes byte-exactly or fails cleanly', () => {
    fc.assert(
      fc.property(
        arbHandshakeContext.chain((ctx) => arbHandshake(ctx)),
        arbHandshakeContext,
        (msg, other) => checkRobust(encodeHandshake(msg), other),
      ),
      fcParams(500),
    );
  }, fcTimeout(500));
});
