/**
 * fast-check arbitraries for extensions and handshake messages, producing canonical values: exactly what
 * the decoder produces for their encoding (so `decode(encode(x))` deep-equals `x`). The scenario engine and
 * the fuzzers reuse them. Sizes are kept small; lengths stay inside the RFC vector bounds.
 *
 * Not re-exported from index.ts: fast-check is a dev dependency.
 */
import fc from 'fast-check';
import { ExtensionType, HELLO_RETRY_REQUEST_RANDOM } from './enums.ts';
import {
  encodeExtensions,
  parsedExtensionName,
  type Extension,
  type ExtensionContext,
  type KeyShareEntry,
  type OpaqueExtension,
} from './extensions.ts';
import {
  PARSED_HANDSHAKE_TYPES,
  type Certificate,
  type CertificateRequest,
  type ClientHello,
  type ClientKeyExchange,
  type DigitallySigned,
  type HandshakeContext,
  type HandshakeMessage,
  type HelloRetryRequest,
  type NewSessionTicket,
  type ServerHello,
  type ServerKeyExchange,
} from './handshake.ts';

type Arb<T> = fc.Arbitrary<T>;

export const arbU8: Arb<number> = fc.integer({ min: 0, max: 0xff });
export const arbU16: Arb<number> = fc.integer({ min: 0, max: 0xffff });
export const arbU32: Arb<number> = fc.integer({ min: 0, max: 0xffffffff });

export function arbBytes(minLength: number, maxLength: number): Arb<Uint8Array> {
  return fc.uint8Array({ minLength, maxLength });
}

/** Drop `key` when it is undefined, so optional fields are absent (as decode leaves them), not undefined. */
function omitUndefined<T extends object>(v: T): T {
  const out = { ...v } as Record<string, unknown>;
  for (const k of Object.keys(out)) if (out[k] === undefined) delete out[k];
  return out as T;
}

// ---------------------------------------------------------------------------------------------------------
// Extensions

const arbKeyShareEntry: Arb<KeyShareEntry> = fc.record({ group: arbU16, key_exchange: arbBytes(1, 40) });

const empty = <T extends Extension['type']>(type: T) => fc.constant({ type } as Extension);

/** Every code the IANA table names, plus a few GREASE values (RFC 8701) — for opaque extensions. */
const NAMED_CODES = [...Object.values(ExtensionType), 0x0a0a, 0x1a1a, 0xfafa];

/** An opaque extension whose code the codec does not parse in `ctx` (so it decodes back as opaque). */
export function arbOpaqueExtension(ctx: ExtensionContext): Arb<OpaqueExtension> {
  const unparsed = (c: number) => parsedExtensionName(c, ctx) === undefined;
  const named = NAMED_CODES.filter(unparsed);
  return fc.record({
    type: fc.constant('opaque' as const),
    extension_type: fc.oneof(fc.constantFrom(...named), arbU16.filter(unparsed)),
    extension_data: arbBytes(0, 24),
  });
}

/** The parsed (non-opaque) extensions that have a form in `ctx`, one arbitrary each. */
export function arbParsedExtensions(ctx: ExtensionContext): Arb<Extension>[] {
  const CH = ctx === 'client_hello';
  const out: Arb<Extension>[] = [];
  const add = (name: keyof typeof ExtensionType, arb: Arb<Extension>) => {
    if (parsedExtensionName(ExtensionType[name], ctx) !== undefined) out.push(arb);
  };
  add(
    'server_name',
    CH
      ? fc.record({
          type: fc.constant('server_name' as const),
          server_name_list: fc.array(fc.record({ name_type: fc.constant(0), host_name: arbBytes(1, 20) }), { minLength: 1, maxLength: 3 }),
        })
      : empty('server_name'),
  );
  add('max_fragment_length', fc.record({ type: fc.constant('max_fragment_length' as const), max_fragment_length: fc.integer({ min: 1, max: 4 }) }));
  const statusRequest = fc.record({
    type: fc.constant('status_request' as const),
    status_type: fc.constant(1),
    responder_id_list: fc.array(arbBytes(1, 12), { maxLength: 3 }),
    request_extensions: arbBytes(0, 12),
  });
  add(
    'status_request',
    ctx === 'certificate'
      ? fc.record({ type: fc.constant('status_request' as const), status_type: fc.constant(1), response: arbBytes(1, 30) })
      : ctx === 'server_hello'
        ? empty('status_request')
        : ctx === 'certificate_request'
          ? fc.oneof(empty('status_request'), statusRequest)
          : statusRequest,
  );
  add(
    'supported_groups',
    fc.record({ type: fc.constant('supported_groups' as const), named_group_list: fc.array(arbU16, { minLength: 1, maxLength: 6 }) }),
  );
  add(
    'ec_point_formats',
    fc.record({ type: fc.constant('ec_point_formats' as const), ec_point_format_list: fc.array(arbU8, { minLength: 1, maxLength: 4 }) }),
  );
  for (const name of ['signature_algorithms', 'signature_algorithms_cert'] as const) {
    add(name, fc.record({ type: fc.constant(name), supported_signature_algorithms: fc.array(arbU16, { minLength: 1, maxLength: 8 }) }));
  }
  add(
    'application_layer_protocol_negotiation',
    fc.record({
      type: fc.constant('application_layer_protocol_negotiation' as const),
      protocol_name_list: fc.array(arbBytes(1, 12), { minLength: 1, maxLength: 4 }),
    }),
  );
  add(
    'padding',
    fc.record({
      type: fc.constant('padding' as const),
      padding: fc.oneof(fc.nat(64).map((n) => new Uint8Array(n)), arbBytes(0, 16)),
    }),
  );
  add('encrypt_then_mac', empty('encrypt_then_mac'));
  add('extended_master_secret', empty('extended_master_secret'));
  add('post_handshake_auth', empty('post_handshake_auth'));
  add('record_size_limit', fc.record({ type: fc.constant('record_size_limit' as const), record_size_limit: fc.integer({ min: 64, max: 0xffff }) }));
  add(
    'session_ticket',
    CH ? fc.record({ type: fc.constant('session_ticket' as const), ticket: arbBytes(0, 40) }) : empty('session_ticket'),
  );
  add(
    'pre_shared_key',
    CH
      ? fc.record({
          type: fc.constant('pre_shared_key' as const),
          identities: fc.array(fc.record({ identity: arbBytes(1, 24), obfuscated_ticket_age: arbU32 }), { minLength: 1, maxLength: 3 }),
          binders: fc.array(arbBytes(32, 48), { minLength: 1, maxLength: 3 }),
        })
      : fc.record({ type: fc.constant('pre_shared_key' as const), selected_identity: arbU16 }),
  );
  add(
    'early_data',
    ctx === 'new_session_ticket'
      ? fc.record({ type: fc.constant('early_data' as const), max_early_data_size: arbU32 })
      : empty('early_data'),
  );
  add(
    'supported_versions',
    CH
      ? fc.record({ type: fc.constant('supported_versions' as const), versions: fc.array(arbU16, { minLength: 1, maxLength: 6 }) })
      : fc.record({ type: fc.constant('supported_versions' as const), selected_version: arbU16 }),
  );
  add('cookie', fc.record({ type: fc.constant('cookie' as const), cookie: arbBytes(1, 40) }));
  add(
    'psk_key_exchange_modes',
    fc.record({ type: fc.constant('psk_key_exchange_modes' as const), ke_modes: fc.array(arbU8, { minLength: 1, maxLength: 3 }) }),
  );
  add(
    'certificate_authorities',
    fc.record({
      type: fc.constant('certificate_authorities' as const),
      authorities: fc.array(arbBytes(1, 20), { minLength: 1, maxLength: 3 }),
    }),
  );
  add(
    'oid_filters',
    fc.record({
      type: fc.constant('oid_filters' as const),
      filters: fc.array(fc.record({ certificate_extension_oid: arbBytes(1, 10), certificate_extension_values: arbBytes(0, 10) }), {
        maxLength: 3,
      }),
    }),
  );
  add(
    'key_share',
    CH
      ? fc.record({ type: fc.constant('key_share' as const), client_shares: fc.array(arbKeyShareEntry, { maxLength: 3 }) })
      : ctx === 'server_hello'
        ? fc.record({ type: fc.constant('key_share' as const), server_share: arbKeyShareEntry })
        : fc.record({ type: fc.constant('key_share' as const), selected_group: arbU16 }),
  );
  add(
    'renegotiation_info',
    fc.record({ type: fc.constant('renegotiation_info' as const), renegotiated_connection: arbBytes(0, 36) }),
  );
  return out;
}

/** Any extension in `ctx`: every parsed form for the context, and opaque extensions. */
export function arbExtension(ctx: ExtensionContext): Arb<Extension> {
  const parsed = arbParsedExtensions(ctx);
  const opaque = arbOpaqueExtension(ctx);
  return parsed.length > 0 ? fc.oneof({ arbitrary: fc.oneof(...parsed), weight: 4 }, { arbitrary: opaque, weight: 1 }) : opaque;
}

/** An extension block (duplicates and any order allowed, as the codec preserves them). */
export function arbExtensions(ctx: ExtensionContext, minLength = 0, maxLength = 6): Arb<Extension[]> {
  return fc.array(arbExtension(ctx), { minLength, maxLength });
}

// ---------------------------------------------------------------------------------------------------------
// Handshake messages

const arbRandom = arbBytes(32, 32);

export const arbClientHello: Arb<ClientHello> = fc
  .record({
    msg_type: fc.constant('client_hello' as const),
    legacy_version: fc.oneof(fc.constant(0x0303), arbU16),
    random: arbRandom,
    legacy_session_id: arbBytes(0, 32),
    cipher_suites: fc.array(arbU16, { minLength: 1, maxLength: 8 }),
    legacy_compression_methods: fc.array(arbU8, { minLength: 1, maxLength: 3 }),
    extensions: fc.option(arbExtensions('client_hello'), { nil: undefined, freq: 5 }),
  })
  .map(omitUndefined);

function isHrrRandom(r: Uint8Array): boolean {
  return r.every((b, i) => b === HELLO_RETRY_REQUEST_RANDOM[i]);
}

export const arbServerHello: Arb<ServerHello> = fc
  .record({
    msg_type: fc.constant('server_hello' as const),
    legacy_version: fc.oneof(fc.constant(0x0303), arbU16),
    random: arbRandom.filter((r) => !isHrrRandom(r)),
    legacy_session_id_echo: arbBytes(0, 32),
    cipher_suite: arbU16,
    legacy_compression_method: arbU8,
    extensions: fc.option(arbExtensions('server_hello'), { nil: undefined, freq: 5 }),
  })
  .map(omitUndefined);

export const arbHelloRetryRequest: Arb<HelloRetryRequest> = fc.record({
  msg_type: fc.constant('hello_retry_request' as const),
  legacy_version: fc.oneof(fc.constant(0x0303), arbU16),
  legacy_session_id_echo: arbBytes(0, 32),
  cipher_suite: arbU16,
  legacy_compression_method: arbU8,
  // RFC 8446 4.1.3: Extension extensions<6..2^16-1>
  extensions: arbExtensions('hello_retry_request', 1, 5).filter((e) => encodeExtensions(e).length - 2 >= 6),
});

export function arbNewSessionTicket(version: HandshakeContext['version']): Arb<NewSessionTicket> {
  if (version === 'tls12') {
    return fc.record({
      msg_type: fc.constant('new_session_ticket' as const),
      form: fc.constant('tls12' as const),
      ticket_lifetime_hint: arbU32,
      ticket: arbBytes(0, 48),
    });
  }
  return fc.record({
    msg_type: fc.constant('new_session_ticket' as const),
    form: fc.constant('tls13' as const),
    ticket_lifetime: arbU32,
    ticket_age_add: arbU32,
    ticket_nonce: arbBytes(0, 16),
    ticket: arbBytes(1, 48),
    extensions: arbExtensions('new_session_ticket', 0, 3),
  });
}

export function arbCertificate(version: HandshakeContext['version']): Arb<Certificate> {
  if (version === 'tls12') {
    return fc.record({
      msg_type: fc.constant('certificate' as const),
      form: fc.constant('tls12' as const),
      certificate_list: fc.array(arbBytes(1, 48), { maxLength: 3 }),
    });
  }
  return fc.record({
    msg_type: fc.constant('certificate' as const),
    form: fc.constant('tls13' as const),
    certificate_request_context: arbBytes(0, 8),
    certificate_list: fc.array(fc.record({ cert_data: arbBytes(1, 48), extensions: arbExtensions('certificate', 0, 2) }), {
      maxLength: 3,
    }),
  });
}

export function arbCertificateRequest(version: HandshakeContext['version']): Arb<CertificateRequest> {
  if (version === 'tls12') {
    return fc.record({
      msg_type: fc.constant('certificate_request' as const),
      form: fc.constant('tls12' as const),
      certificate_types: fc.array(arbU8, { minLength: 1, maxLength: 4 }),
      supported_signature_algorithms: fc.array(arbU16, { minLength: 1, maxLength: 6 }),
      certificate_authorities: fc.array(arbBytes(1, 20), { maxLength: 3 }),
    });
  }
  return fc.record({
    msg_type: fc.constant('certificate_request' as const),
    form: fc.constant('tls13' as const),
    certificate_request_context: arbBytes(0, 8),
    // RFC 8446 4.3.2: Extension extensions<2..2^16-1> (one extension is at least 4 bytes)
    extensions: arbExtensions('certificate_request', 1, 4),
  });
}

const arbSigned: Arb<DigitallySigned> = fc.record({ algorithm: arbU16, signature: arbBytes(0, 48) });

export function arbServerKeyExchange(keyExchange: HandshakeContext['keyExchange']): Arb<ServerKeyExchange> {
  if (keyExchange === 'ecdhe') {
    return fc
      .record({
        msg_type: fc.constant('server_key_exchange' as const),
        form: fc.constant('ecdhe' as const),
        curve_type: fc.constant(3),
        named_curve: arbU16,
        public: arbBytes(1, 65),
        signature: fc.option(arbSigned, { nil: undefined, freq: 4 }),
      })
      .map(omitUndefined);
  }
  if (keyExchange === 'dhe') {
    return fc
      .record({
        msg_type: fc.constant('server_key_exchange' as const),
        form: fc.constant('dhe' as const),
        dh_p: arbBytes(1, 48),
        dh_g: arbBytes(1, 4),
        dh_Ys: arbBytes(1, 48),
        signature: fc.option(arbSigned, { nil: undefined, freq: 4 }),
      })
      .map(omitUndefined);
  }
  return fc.record({ msg_type: fc.constant('server_key_exchange' as const), form: fc.constant('opaque' as const), body: arbBytes(0, 64) });
}

export function arbClientKeyExchange(keyExchange: HandshakeContext['keyExchange']): Arb<ClientKeyExchange> {
  const m = fc.constant('client_key_exchange' as const);
  if (keyExchange === 'rsa') return fc.record({ msg_type: m, form: fc.constant('rsa' as const), encrypted_pre_master_secret: arbBytes(0, 64) });
  if (keyExchange === 'ecdhe') return fc.record({ msg_type: m, form: fc.constant('ecdhe' as const), ecdh_Yc: arbBytes(1, 65) });
  if (keyExchange === 'dhe') return fc.record({ msg_type: m, form: fc.constant('dhe' as const), dh_Yc: arbBytes(1, 64) });
  return fc.record({ msg_type: m, form: fc.constant('opaque' as const), body: arbBytes(0, 64) });
}

/** A message with a HandshakeType code this codec does not parse. */
export const arbUnknownHandshake: Arb<HandshakeMessage> = fc.record({
  msg_type: fc.constant('unknown' as const),
  code: arbU8.filter((c) => !PARSED_HANDSHAKE_TYPES.has(c)),
  body: arbBytes(0, 32),
});

/** Every handshake message, in the forms `ctx` decodes. */
export function arbHandshake(ctx: HandshakeContext): Arb<HandshakeMessage> {
  const m = <T extends string>(t: T) => fc.constant(t);
  return fc.oneof(
    arbClientHello,
    arbServerHello,
    arbHelloRetryRequest,
    arbNewSessionTicket(ctx.version),
    fc.record({ msg_type: m('end_of_early_data' as const) }),
    fc.record({ msg_type: m('encrypted_extensions' as const), extensions: arbExtensions('encrypted_extensions') }),
    arbCertificate(ctx.version),
    arbServerKeyExchange(ctx.keyExchange),
    arbCertificateRequest(ctx.version),
    fc.record({ msg_type: m('server_hello_done' as const) }),
    fc.record({ msg_type: m('certificate_verify' as const), algorithm: arbU16, signature: arbBytes(0, 64) }),
    arbClientKeyExchange(ctx.keyExchange),
    fc.record({ msg_type: m('finished' as const), verify_data: arbBytes(0, 48) }),
    fc.record({ msg_type: m('key_update' as const), request_update: fc.integer({ min: 0, max: 1 }) }),
    fc.record({ msg_type: m('message_hash' as const), hash: arbBytes(0, 48) }),
    fc.record({ msg_type: m('hello_request' as const) }),
    arbUnknownHandshake,
  ) as Arb<HandshakeMessage>;
}

/** The decoding contexts worth covering: TLS 1.3, and TLS 1.2 with each key exchange and with none. */
export const HANDSHAKE_CONTEXTS: readonly HandshakeContext[] = [
  { version: 'tls13' },
  { version: 'tls12' },
  { version: 'tls12', keyExchange: 'rsa' },
  { version: 'tls12', keyExchange: 'ecdhe' },
  { version: 'tls12', keyExchange: 'dhe' },
];

export const arbHandshakeContext: Arb<HandshakeContext> = fc.constantFrom(...HANDSHAKE_CONTEXTS);

// ---------------------------------------------------------------------------------------------------------
// Byte mutations (for robustness properties and fuzzers)

export type Mutation =
  | { kind: 'truncate'; at: number }
  | { kind: 'flip'; at: number; bit: number }
  | { kind: 'set'; at: number; value: number }
  | { kind: 'insert'; at: number; data: Uint8Array }
  | { kind: 'delete'; at: number; count: number }
  | { kind: 'replace'; data: Uint8Array };

/** A mutation; positions are fractions of the input length resolved by `applyMutation`. */
export const arbMutation: Arb<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) }),
  fc.record({ kind: fc.constant('set' as const), at: fc.nat(), value: arbU8 }),
  fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), data: arbBytes(1, 8) }),
  fc.record({ kind: fc.constant('delete' as const), at: fc.nat(), count: fc.integer({ min: 1, max: 8 }) }),
  fc.record({ kind: fc.constant('replace' as const), data: arbBytes(0, 64) }),
);

/** Apply a mutation (`at` is taken modulo the length, so any nat works for any input). */
export function applyMutation(bytes: Uint8Array, m: Mutation): Uint8Array {
  const n = bytes.length;
  switch (m.kind) {
    case 'truncate':
      return bytes.slice(0, n === 0 ? 0 : m.at % n);
    case 'flip': {
      const out = bytes.slice();
      if (n > 0) out[m.at % n] ^= 1 << m.bit;
      return out;
    }
    case 'set': {
      const out = bytes.slice();
      if (n > 0) out[m.at % n] = m.value;
      return out;
    }
    case 'insert': {
      const at = m.at % (n + 1);
      const out = new Uint8Array(n + m.data.length);
      out.set(bytes.subarray(0, at));
      out.set(m.data, at);
      out.set(bytes.subarray(at), at + m.data.length);
      return out;
    }
    case 'delete': {
      if (n === 0) return bytes.slice();
      const at = m.at % n;
      const out = new Uint8Array(n - Math.min(m.count, n - at));
      out.set(bytes.subarray(0, at));
      out.set(bytes.subarray(at + m.count), at);
      return out;
    }
    case 'replace':
      return m.data.slice();
  }
}
