/** Field paths with the RFC structs' names for TLS 1.2 messages the codec flattens. */
import { describe, expect, it } from 'vitest';
import type { HandshakeMessage } from '../../implementations/reference/codec/handshake.ts';
import { applySet, checkWhere, describe as describeValue, getField, tableFor } from './fields.ts';
import { nameOf } from '../../implementations/reference/codec/enums.ts';

describe('TLS 1.2 struct names in field paths', () => {
  const ske = (): HandshakeMessage => ({ msg_type: 'server_key_exchange', form: 'ecdhe', curve_type: 3, named_curve: 29, public: Uint8Array.of(1, 2), signature: { algorithm: 0x0403, signature: Uint8Array.of(9) } });

  it('ServerKeyExchange params.public, params.curve_params.named_curve and signed_params reach the flattened fields (RFC 8422 5.4)', () => {
    const m = ske();
    applySet(m, { 'params.public': '0x0405', 'params.curve_params.named_curve': 'secp256r1', 'signed_params.algorithm': 'rsa_pss_rsae_sha256' });
    expect(m).toMatchObject({ public: Uint8Array.of(4, 5), named_curve: 23, signature: { algorithm: 0x0804 } });
    expect(getField(m, 'params.public')).toEqual(Uint8Array.of(4, 5));
  });

  it('ClientKeyExchange exchange_keys is the field of its form (RFC 5246 7.4.7)', () => {
    const rsa: HandshakeMessage = { msg_type: 'client_key_exchange', form: 'rsa', encrypted_pre_master_secret: Uint8Array.of(1) };
    applySet(rsa, { exchange_keys: '0x0203' });
    expect(rsa).toMatchObject({ encrypted_pre_master_secret: Uint8Array.of(2, 3) });
    const ec: HandshakeMessage = { msg_type: 'client_key_exchange', form: 'ecdhe', ecdh_Yc: Uint8Array.of(1) };
    expect(getField(ec, 'exchange_keys')).toEqual(Uint8Array.of(1));
  });

  it('an unknown name still fails with the fields that exist', () => {
    expect(() => applySet(ske(), { 'params.nope': 1 })).toThrow(/no field 'nope'/);
  });

  it('`absent` drops an optional field: a ClientHello without its extensions field (RFC 5246 7.4.1.2)', () => {
    const ch: HandshakeMessage = { msg_type: 'client_hello', legacy_version: 0x0303, random: new Uint8Array(32), legacy_session_id: new Uint8Array(0), cipher_suites: [0x009c], legacy_compression_methods: [0], extensions: [] };
    applySet(ch, { extensions: 'absent' });
    expect('extensions' in ch).toBe(false);
    expect(() => applySet(ch, { cipher_suites: 'absent' })).toThrow();
  });

  it('an index into a bytes field reads one byte, so `where` can test the last bytes of a random (RFC 8446 4.1.3)', () => {
    const random = Uint8Array.from({ length: 32 }, (_, i) => i);
    const sh = { msg_type: 'server_hello', random };
    expect(getField(sh, 'random[31]')).toBe(31);
    expect(checkWhere(sh, { 'random[24]': 24, 'random[31]': 0x1f })).toBeUndefined();
    expect(checkWhere(sh, { 'random[31]': 0x01 })).toMatch(/random\[31\]/);
  });
});

describe('describe: numbers as names', () => {
  it("gives nameOf's name for every code of every table, and unknown(0x..) for codes without one", () => {
    for (const field of ['cipher_suite', 'group', 'algorithm', 'versions', 'ke_modes', 'extension_type', 'description', 'type']) {
      const table = tableFor(field)!;
      for (const code of [...Object.values(table), 0xfefe, 0xfffe]) expect(describeValue(code, field)).toBe(nameOf(table, code));
    }
    expect(describeValue(0xfefe, 'cipher_suite')).toBe('unknown(0xfefe)');
    expect(describeValue({ cipher_suite: 0x1301, other: 0x1301 })).toEqual({ cipher_suite: 'TLS_AES_128_GCM_SHA256', other: 0x1301 });
  });
});

describe('where operators', () => {
  const ch = (): HandshakeMessage => ({
    msg_type: 'client_hello',
    legacy_version: 0x0303,
    random: new Uint8Array(32),
    legacy_session_id: new Uint8Array(32),
    cipher_suites: [0x1301, 0x1302, 0xc02f],
    legacy_compression_methods: [0],
    extensions: [
      { type: 'supported_versions', versions: [0x0304, 0x0303] },
      { type: 'signature_algorithms', supported_signature_algorithms: [0x0403, 0x0804, 0x0401, 0x0203, 0x0201] },
      { type: 'opaque', extension_type: 4, data: new Uint8Array(0) },
    ],
  } as unknown as HandshakeMessage);

  it('contains: every listed value, by name or number (RFC 8446 4.2.1: all versions the client would negotiate)', () => {
    expect(checkWhere(ch(), { 'extensions.supported_versions.versions': { contains: ['TLS1_3', 0x0303] } })).toBeUndefined();
    expect(checkWhere(ch(), { 'extensions.supported_versions.versions': { contains: 'TLS1_3' } })).toBeUndefined();
    expect(checkWhere(ch(), { cipher_suites: { contains: ['TLS_CHACHA20_POLY1305_SHA256'] } })).toMatch(/does not contain "TLS_CHACHA20_POLY1305_SHA256"/);
  });

  it('excludes: none of the listed values; on an extension list, by extension type (RFC 8446 D.5)', () => {
    expect(checkWhere(ch(), { cipher_suites: { excludes: [0x0005, 0x0004] } })).toBeUndefined();
    expect(checkWhere(ch(), { cipher_suites: { excludes: [0xc02f] } })).toMatch(/contains/);
    expect(checkWhere(ch(), { extensions: { excludes: [4] } })).toMatch(/extensions contains/);
    expect(checkWhere(ch(), { extensions: { excludes: ['early_data', 'cookie'] } })).toBeUndefined();
  });

  it('subset_of: a list or a single value within the listed values', () => {
    expect(checkWhere(ch(), { extensions: { subset_of: ['supported_versions', 'signature_algorithms', 4] } })).toBeUndefined();
    expect(checkWhere(ch(), { extensions: { subset_of: ['supported_versions', 'key_share'] } })).toMatch(/signature_algorithms/);
    expect(checkWhere(ch(), { legacy_version: { subset_of: [0x0303, 0x0301] } })).toBeUndefined();
    expect(checkWhere(ch(), { legacy_version: { subset_of: ['TLS1_3'] } })).toMatch(/not in/);
  });

  it('last: the listed values after all others (RFC 8446 4.2.3: SHA-1 schemes lowest priority)', () => {
    expect(checkWhere(ch(), { 'extensions.signature_algorithms.supported_signature_algorithms': { last: ['ecdsa_sha1', 'rsa_pkcs1_sha1'] } })).toBeUndefined();
    expect(checkWhere(ch(), { 'extensions.signature_algorithms.supported_signature_algorithms': { last: ['rsa_pss_rsae_sha256'] } })).toMatch(/lists "rsa_pkcs1_sha256" after "rsa_pss_rsae_sha256"/);
    expect(checkWhere(ch(), { cipher_suites: { last: [0x9999] } })).toBeUndefined();
  });

  it('unique: no element twice; extensions by type (RFC 8446 4.2)', () => {
    expect(checkWhere(ch(), { extensions: { unique: true } })).toBeUndefined();
    const dup = ch() as unknown as { extensions: unknown[] };
    dup.extensions.push({ type: 'supported_versions', versions: [0x0304] });
    expect(checkWhere(dup as unknown as HandshakeMessage, { extensions: { unique: true } })).toMatch(/supported_versions twice/);
    expect(checkWhere(ch(), { cipher_suites: { unique: true } })).toBeUndefined();
  });

  it('length: of bytes or a list, one of several (RFC 8446 4.1.2: a session id of 0 or 32 bytes)', () => {
    expect(checkWhere(ch(), { legacy_session_id: { length: [0, 32] } })).toBeUndefined();
    expect(checkWhere(ch(), { legacy_compression_methods: { length: 1 } })).toBeUndefined();
    expect(checkWhere(ch(), { cipher_suites: { length: 2 } })).toMatch(/has 3 elements, expected 2/);
  });

  it('not: the field differs from the value (RFC 8446 4.1.3: a ServerHello.random of its own)', () => {
    expect(checkWhere(ch(), { random: { not: { hex: '01'.repeat(32) } } })).toBeUndefined();
    expect(checkWhere(ch(), { random: { not: { hex: '00'.repeat(32) } } })).toMatch(/must not be/);
    expect(checkWhere(ch(), { legacy_version: { not: 'TLS1_2' } })).toMatch(/must not be/);
    expect(checkWhere(ch(), { legacy_version: { not: 0x0300 } })).toBeUndefined();
  });

  it('an operator on an absent field fails, naming the operator', () => {
    expect(checkWhere(ch(), { 'extensions.cookie.cookie': { length: 0 } })).toMatch(/absent \(expected length/);
    expect(checkWhere(ch(), { 'extensions.key_share.server_share.group': { subset_of: ['x25519'] } })).toMatch(/absent/);
  });

  it('a message without its extensions field has an empty extension list: excludes / subset_of / unique hold, contains fails', () => {
    const sh = { msg_type: 'server_hello', cipher_suite: 0xc02f } as unknown as HandshakeMessage;
    expect(checkWhere(sh, { extensions: { excludes: [4] } })).toBeUndefined();
    expect(checkWhere(sh, { extensions: { subset_of: ['renegotiation_info'] } })).toBeUndefined();
    expect(checkWhere(sh, { extensions: { unique: true } })).toBeUndefined();
    expect(checkWhere(sh, { extensions: { contains: ['renegotiation_info'] } })).toMatch(/absent/);
  });
});

describe('extensions.<name> in a field path', () => {
  const sh = (): HandshakeMessage =>
    ({
      msg_type: 'server_hello',
      legacy_version: 0x0303,
      random: new Uint8Array(32),
      legacy_session_id_echo: new Uint8Array(0),
      cipher_suite: 0x1301,
      legacy_compression_method: 0,
      extensions: [
        { type: 'supported_versions', selected_version: 0x0304 },
        { type: 'opaque', extension_type: 0xfde9, extension_data: new Uint8Array(0) },
      ],
    }) as unknown as HandshakeMessage;

  it('a number names the extension of that code point, assigned or not', () => {
    expect(checkWhere(sh(), { 'extensions.43': present() })).toBeUndefined();
    expect(checkWhere(sh(), { 'extensions.0x002b.selected_version': 'TLS1_3' })).toBeUndefined();
    expect(checkWhere(sh(), { 'extensions.0xfde9': present() })).toBeUndefined();
    expect(checkWhere(sh(), { 'extensions.unknown(0xfde9)': present() })).toBeUndefined();
    expect(checkWhere(sh(), { 'extensions.0x0011': 'absent' })).toBeUndefined();
    expect(getField(sh(), 'extensions.0x002b')).toEqual({ type: 'supported_versions', selected_version: 0x0304 });
  });

  it('a name that is no extension is an error, not an absent extension', () => {
    expect(() => checkWhere(sh(), { 'extensions.suported_versions': 'absent' })).toThrow(/unknown extension 'suported_versions' \(did you mean 'supported_versions'\?\)/);
    expect(() => getField(sh(), 'extensions.key_shar.server_share')).toThrow(/unknown extension 'key_shar'/);
    expect(() => checkWhere(sh(), { 'extensions.0x10000': 'absent' })).toThrow(/out of range/);
  });
});

function present(): 'present' {
  return 'present';
}
