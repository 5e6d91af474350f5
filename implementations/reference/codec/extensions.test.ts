import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  EXTENSION_CONTEXTS,
  EXTENSION_FORMS,
  decodeExtension,
  decodeExtensionBody,
  decodeExtensions,
  encodeExtension,
  encodeExtensionBody,
  encodeExtensions,
  extensionCode,
  parsedExtensionName,
  tryDecodeExtension,
  tryDecodeExtensions,
  type Extension,
  type ExtensionContext,
  type ParsedExtensionName,
} from './extensions.ts';
import { DecodeError } from './errors.ts';
import { AlertDescription, ExtensionType } from './enums.ts';
import { applyMutation, arbExtension, arbExtensions, arbMutation, arbParsedExtensions } from './arbitraries.ts';
import { fcParams, fcTimeout } from './fc.ts';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const unhex = (s: string) => Uint8Array.from(Buffer.from(s.replace(/\s+/g, ''), 'hex'));

function decodeError(f: () => unknown): DecodeError {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(DecodeError);
    return e as DecodeError;
  }
  throw new Error('expected a DecodeError');
}

// ---------------------------------------------------------------------------------------------------------
// Wire examples: [context, value, hex of the whole Extension struct]

const EXAMPLES: [ExtensionContext, Extension, string][] = [
  ['client_hello', { type: 'server_name', server_name_list: [{ name_type: 0, host_name: new TextEncoder().encode('server') }] }, '0000 000b 0009 00 0006 736572766572'],
  ['encrypted_extensions', { type: 'server_name' }, '0000 0000'],
  ['server_hello', { type: 'server_name' }, '0000 0000'],
  ['client_hello', { type: 'max_fragment_length', max_fragment_length: 2 }, '0001 0001 02'],
  ['client_hello', { type: 'status_request', status_type: 1, responder_id_list: [], request_extensions: new Uint8Array(0) }, '0005 0005 01 0000 0000'],
  ['server_hello', { type: 'status_request' }, '0005 0000'],
  ['certificate_request', { type: 'status_request' }, '0005 0000'],
  ['certificate', { type: 'status_request', status_type: 1, response: Uint8Array.of(0x30, 0) }, '0005 0006 01 000002 3000'],
  ['client_hello', { type: 'supported_groups', named_group_list: [0x1d, 0x17] }, '000a 0006 0004 001d 0017'],
  ['client_hello', { type: 'ec_point_formats', ec_point_format_list: [0] }, '000b 0002 01 00'],
  ['client_hello', { type: 'signature_algorithms', supported_signature_algorithms: [0x0804] }, '000d 0004 0002 0804'],
  ['certificate_request', { type: 'signature_algorithms_cert', supported_signature_algorithms: [0x0403] }, '0032 0004 0002 0403'],
  [
    'client_hello',
    { type: 'application_layer_protocol_negotiation', protocol_name_list: [new TextEncoder().encode('h2'), new TextEncoder().encode('http/1.1')] },
    '0010 000e 000c 02 6832 08 687474702f312e31',
  ],
  ['client_hello', { type: 'padding', padding: new Uint8Array(3) }, '0015 0003 000000'],
  ['client_hello', { type: 'encrypt_then_mac' }, '0016 0000'],
  ['server_hello', { type: 'extended_master_secret' }, '0017 0000'],
  ['encrypted_extensions', { type: 'record_size_limit', record_size_limit: 0x4001 }, '001c 0002 4001'],
  ['client_hello', { type: 'session_ticket', ticket: new Uint8Array(0) }, '0023 0000'],
  ['client_hello', { type: 'session_ticket', ticket: Uint8Array.of(1, 2) }, '0023 0002 0102'],
  ['server_hello', { type: 'session_ticket' }, '0023 0000'],
  [
    'client_hello',
    { type: 'pre_shared_key', identities: [{ identity: Uint8Array.of(0xaa), obfuscated_ticket_age: 1 }], binders: [new Uint8Array(32)] },
    '0029 002c 0007 0001 aa 00000001 0021 20' + '00'.repeat(32),
  ],
  ['server_hello', { type: 'pre_shared_key', selected_identity: 0 }, '0029 0002 0000'],
  ['client_hello', { type: 'early_data' }, '002a 0000'],
  ['new_session_ticket', { type: 'early_data', max_early_data_size: 1024 }, '002a 0004 00000400'],
  ['client_hello', { type: 'supported_versions', versions: [0x0304, 0x0303] }, '002b 0005 04 0304 0303'],
  ['server_hello', { type: 'supported_versions', selected_version: 0x0304 }, '002b 0002 0304'],
  ['hello_retry_request', { type: 'supported_versions', selected_version: 0x0304 }, '002b 0002 0304'],
  ['hello_retry_request', { type: 'cookie', cookie: Uint8Array.of(7) }, '002c 0003 0001 07'],
  ['client_hello', { type: 'psk_key_exchange_modes', ke_modes: [1] }, '002d 0002 01 01'],
  ['certificate_request', { type: 'certificate_authorities', authorities: [Uint8Array.of(0x30)] }, '002f 0005 0003 0001 30'],
  ['certificate_request', { type: 'oid_filters', filters: [{ certificate_extension_oid: Uint8Array.of(0x55), certificate_extension_values: new Uint8Array(0) }] }, '0030 0006 0004 01 55 0000'],
  ['client_hello', { type: 'post_handshake_auth' }, '0031 0000'],
  ['client_hello', { type: 'key_share', client_shares: [] }, '0033 0002 0000'],
  ['client_hello', { type: 'key_share', client_shares: [{ group: 0x1d, key_exchange: Uint8Array.of(9, 9) }] }, '0033 0008 0006 001d 0002 0909'],
  ['server_hello', { type: 'key_share', server_share: { group: 0x1d, key_exchange: Uint8Array.of(9) } }, '0033 0005 001d 0001 09'],
  ['hello_retry_request', { type: 'key_share', selected_group: 0x17 }, '0033 0002 0017'],
  // RFC 5746 3.2: the initial-handshake renegotiation_info is ff 01 00 01 00
  ['client_hello', { type: 'renegotiation_info', renegotiated_connection: new Uint8Array(0) }, 'ff01 0001 00'],
  ['server_hello', { type: 'opaque', extension_type: 0x1234, extension_data: Uint8Array.of(1) }, '1234 0001 01'],
];

describe('extension wire forms', () => {
  it.each(EXAMPLES.map(([ctx, e, h]) => [`${e.type} in ${ctx}`, ctx, e, h] as const))('%s', (_, ctx, e, h) => {
    expect(hex(encodeExtension(e))).toBe(h.replace(/\s+/g, ''));
    expect(decodeExtension(unhex(h), ctx)).toEqual(e);
  });

  it('covers every parsed extension', () => {
    const covered = new Set(EXAMPLES.map(([, e]) => e.type));
    for (const name of Object.keys(EXTENSION_FORMS)) expect(covered, name).toContain(name);
  });

  it('encodeExtensionBody / decodeExtensionBody work on extension_data alone', () => {
    const e: Extension = { type: 'key_share', selected_group: 0x17 };
    expect(hex(encodeExtensionBody(e))).toBe('0017');
    expect(decodeExtensionBody(ExtensionType.key_share, Uint8Array.of(0, 0x17), 'hello_retry_request')).toEqual(e);
    expect(extensionCode(e)).toBe(51);
    expect(extensionCode({ type: 'opaque', extension_type: 7, extension_data: new Uint8Array(0) })).toBe(7);
  });
});

describe('opaque fallbacks', () => {
  it('a known extension out of its contexts decodes as opaque', () => {
    expect(decodeExtension(unhex('0033 0002 0017'), 'encrypted_extensions')).toEqual({
      type: 'opaque',
      extension_type: 51,
      extension_data: Uint8Array.of(0, 0x17),
    });
    expect(decodeExtension(unhex('0031 0000'), 'server_hello')).toMatchObject({ type: 'opaque', extension_type: 49 });
    expect(parsedExtensionName(ExtensionType.key_share, 'certificate')).toBeUndefined();
    expect(parsedExtensionName(ExtensionType.key_share, 'client_hello')).toBe('key_share');
  });

  it('an unparsed code decodes as opaque, even with a malformed-looking body', () => {
    expect(decodeExtension(unhex('000e 0003 ffffff'), 'client_hello')).toEqual({
      type: 'opaque',
      extension_type: ExtensionType.use_srtp,
      extension_data: unhex('ffffff'),
    });
  });

  it('a ServerName with an unknown name_type, or a status_request with an unknown status_type, is opaque', () => {
    const sni = unhex('0000 000a 0008 00 0001 61 01 0001 62');
    expect(decodeExtension(sni, 'client_hello')).toEqual({ type: 'opaque', extension_type: 0, extension_data: sni.subarray(4) });
    const sr = unhex('0005 0003 02 abcd');
    expect(decodeExtension(sr, 'client_hello')).toEqual({ type: 'opaque', extension_type: 5, extension_data: unhex('02abcd') });
    expect(encodeExtension(decodeExtension(sni, 'client_hello'))).toEqual(sni);
  });

  it('a deliberately mis-typed form encodes as written', () => {
    // a ServerHello-form key_share placed in a ClientHello: encodes, but does not decode there
    const b = encodeExtension({ type: 'key_share', server_share: { group: 0x1d, key_exchange: Uint8Array.of(1) } }, undefined, 'ClientHello.extensions[0]');
    const e = decodeError(() => decodeExtension(b, 'client_hello', 'ClientHello.extensions[0]'));
    expect(e.alert).toBe('decode_error');
    expect(e.path.startsWith('ClientHello.extensions[0].key_share.client_shares')).toBe(true);
  });
});

describe('extension decode errors', () => {
  const cases: [string, ExtensionContext, string, string, string?][] = [
    ['odd named_group_list', 'client_hello', '000a 0005 0003 001d 00', 'Extension.supported_groups.named_group_list[1]'],
    ['empty named_group_list <2..2^16-1>', 'client_hello', '000a 0002 0000', 'Extension.supported_groups.named_group_list'],
    ['versions<2..254> with 0 bytes', 'client_hello', '002b 0001 00', 'Extension.supported_versions.versions'],
    ['selected_version truncated', 'server_hello', '002b 0001 03', 'Extension.supported_versions.selected_version'],
    ['selected_version with a trailing byte', 'server_hello', '002b 0003 030400', 'Extension.supported_versions'],
    ['empty cookie <1..2^16-1>', 'hello_retry_request', '002c 0002 0000', 'Extension.cookie.cookie'],
    ['identities<7..2^16-1> too short', 'client_hello', '0029 0008 0006 0001 aa 000000', 'Extension.pre_shared_key.identities'],
    ['binders<33..2^16-1> too short', 'client_hello', '0029 000b 0007 0001 aa 00000001 0000', 'Extension.pre_shared_key.binders'],
    ['server_name_list<1..2^16-1> empty', 'client_hello', '0000 0002 0000', 'Extension.server_name.server_name_list'],
    ['empty HostName <1..2^16-1>', 'client_hello', '0000 0005 0003 00 0000', 'Extension.server_name.server_name_list[0].host_name'],
    ['non-empty server_name in EE', 'encrypted_extensions', '0000 0001 00', 'Extension.server_name'],
    // RFC 6066 3: a new NameType's data "MUST begin with a 16-bit length field"; one that overruns the list is
    // unparsable (a host_name whose length was cut to 1 leaves "ocalhost": name_type 0x6f, length 0x6361).
    ['unknown NameType whose length overruns the list', 'client_hello', '0000 000e 000c 00 0001 6c 6f 6361 6c686f7374', 'Extension.server_name.server_name_list[1].name'],
    ['unknown NameType without its 16-bit length', 'client_hello', '0000 0007 0005 00 0001 61 01', 'Extension.server_name.server_name_list[1].name'],
    ['non-empty early_data in EE', 'encrypted_extensions', '002a 0001 00', 'Extension.early_data'],
    ['non-empty status_request in SH', 'server_hello', '0005 0001 01', 'Extension.status_request'],
    ['empty status_request in CH', 'client_hello', '0005 0000', 'Extension.status_request.status_type'],
    ['empty ProtocolName', 'client_hello', '0010 0005 0003 00 0161', 'Extension.application_layer_protocol_negotiation.protocol_name_list[0]'],
    ['ec_point_format_list<1..2^8-1> empty', 'client_hello', '000b 0001 00', 'Extension.ec_point_formats.ec_point_format_list'],
    ['authorities<3..2^16-1> too short', 'certificate_request', '002f 0004 0002 0000', 'Extension.certificate_authorities.authorities'],
    ['renegotiated_connection overruns', 'client_hello', 'ff01 0001 05', 'Extension.renegotiation_info.renegotiated_connection'],
    ['OCSPResponse<1..2^24-1> empty', 'certificate', '0005 0004 01 000000', 'Extension.status_request.response'],
    ['extension_data longer than the input', 'client_hello', '0033 0010 0000', 'Extension.key_share'],
    ['opaque extension_data longer than the input', 'client_hello', '7777 0010 0000', 'Extension.extension_data'],
    ['truncated extension_type', 'client_hello', '00', 'Extension.extension_type'],
    ['trailing bytes after the struct', 'client_hello', '0017 0000 00', 'Extension'],
    ['max_fragment_length 5 (RFC 6066 4)', 'client_hello', '0001 0001 05', 'Extension.max_fragment_length.max_fragment_length', 'illegal_parameter'],
    ['max_fragment_length 0', 'server_hello', '0001 0001 00', 'Extension.max_fragment_length.max_fragment_length', 'illegal_parameter'],
    ['record_size_limit 63 (RFC 8449 4)', 'encrypted_extensions', '001c 0002 003f', 'Extension.record_size_limit.record_size_limit', 'illegal_parameter'],
  ];
  it.each(cases)('%s', (_, ctx, h, path, alert = 'decode_error') => {
    const e = decodeError(() => decodeExtension(unhex(h), ctx));
    expect([e.alert, e.path]).toEqual([alert, path]);
  });

  it('tryDecodeExtension / tryDecodeExtensions return results', () => {
    expect(tryDecodeExtension(unhex('0017 0000'), 'server_hello')).toEqual({ ok: true, value: { type: 'extended_master_secret' } });
    const r = tryDecodeExtensions(unhex('0004 0017 0001'), 'server_hello');
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error.path).toBe('Extensions.extensions[0].extended_master_secret');
  });

  it('error offsets are absolute', () => {
    const e = decodeError(() => decodeExtensions(unhex('000a 0017 0000 002b 0002 01 03'), 'client_hello'));
    expect(e.path).toBe('Extensions.extensions[1].supported_versions.versions');
    expect(e.offset).toBe(2 + 4 + 4 + 1);
  });
});

// ---------------------------------------------------------------------------------------------------------
// Properties

const VALID_ALERTS = new Set(Object.keys(AlertDescription));

describe('properties', () => {
  it('the arbitraries produce every parsed extension in every context it has a form in', () => {
    for (const ctx of EXTENSION_CONTEXTS) {
      const want = (Object.keys(EXTENSION_FORMS) as ParsedExtensionName[]).filter((n) => EXTENSION_FORMS[n].includes(ctx)).sort();
      const got = [...new Set(arbParsedExtensions(ctx).flatMap((a) => fc.sample(a, { numRuns: 5, seed: 1 }).map((e) => e.type)))].sort();
      expect(got, ctx).toEqual(want);
    }
  });

  for (const ctx of EXTENSION_CONTEXTS) {
    it(`decode(encode(x)) == x, byte-exact, for single extensions and blocks (${ctx})`, () => {
      fc.assert(
        fc.property(arbExtension(ctx), arbExtensions(ctx), (e, list) => {
          const b = encodeExtension(e);
          const back = decodeExtension(b, ctx);
          expect(back).toEqual(e);
          expect(encodeExtension(back)).toEqual(b);
          const lb = encodeExtensions(list);
          const lback = decodeExtensions(lb, ctx);
          expect(lback).toEqual(list);
          expect(encodeExtensions(lback)).toEqual(lb);
        }),
        fcParams(200),
      );
    }, fcTimeout(200));
  }

  it('mutated extension blocks decode byte-exactly or fail with a DecodeError, in any context', () => {
    const arbCtx = fc.constantFrom(...EXTENSION_CONTEXTS);
    fc.assert(
      fc.property(
        arbCtx.chain((ctx) => arbExtensions(ctx, 0, 4)),
        fc.array(arbMutation, { maxLength: 3 }),
        arbCtx,
        (list, muts, ctx) => {
          let b = encodeExtensions(list);
          for (const m of muts) b = applyMutation(b, m);
          let back: Extension[];
          try {
            back = decodeExtensions(b, ctx);
          } catch (e) {
            if (!(e instanceof DecodeError)) throw e;
            expect(VALID_ALERTS.has(e.alert)).toBe(true);
            expect(e.path.length).toBeGreaterThan(0);
            return;
          }
          expect(encodeExtensions(back)).toEqual(b);
        },
      ),
      fcParams(1000),
    );
  }, fcTimeout(1000));

  it('decoded values never alias the input', () => {
    const b = unhex('002c 0003 0001 07');
    const e = decodeExtension(b, 'client_hello');
    b[6] = 0;
    expect(e).toEqual({ type: 'cookie', cookie: Uint8Array.of(7) });
  });
});
