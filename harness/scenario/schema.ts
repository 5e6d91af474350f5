/**
 * The JSON Schema of the scenario YAML format (scenario.schema.json is this, written out), built from the
 * same key tables the loader uses (format.ts) and the codec's name tables, so editors (yaml-language-server)
 * complete and check what the loader accepts. The loader is stricter: names inside `${param}` templates,
 * lint rules and cross-file checks are only in `tls-harness validate`.
 *
 * Regenerate after changing the format: `UPDATE_SCHEMA=1 npx vitest run harness/scenario/schema.test.ts`.
 */
import {
  APPLICATION_DATA_RECORD_KEYS,
  BARE_STEPS,
  CBC_KEYS,
  CERTIFICATES,
  MAX_FRAGMENT_LENGTHS,
  PSK_MODES,
  CERTIFICATE_VERIFY_FAULTS,
  FFDHE_LEADING_ZERO,
  EXPECT_KINDS,
  EXPECT_MODIFIERS,
  EXPECT_WORDS,
  MUTATE_KEYS,
  MUTATE_OPS,
  PREMASTER_KEYS,
  RAW_LAYERS,
  RECORD_KEYS,
  REQUIRED_TOP_KEYS,
  REQUIRES_KEYS,
  RFC_KEYS,
  REQUIRED_RFC_KEYS,
  LEVELS,
  SENTENCE_ID,
  ROLES,
  STEP_KINDS,
  STEP_MODIFIERS,
  STEP_VALUE_KEYS,
  TOP_KEYS,
  VERSIONS,
  WHERE_WORDS,
  CONFIG_KEYS,
  CONTROL_KEYS,
  TARGET_OPTION_KEYS,
  PARAM_NAME,
} from './format.ts';
import { MESSAGE_NAMES, NAMES } from './names.ts';

type Schema = Record<string, unknown>;

const ref = (name: string): Schema => ({ $ref: `#/$defs/${name}` });
const obj = (properties: Record<string, Schema>, required: readonly string[] = [], extra: Schema = {}): Schema => ({
  type: 'object',
  properties,
  ...(required.length > 0 ? { required: [...required] } : {}),
  additionalProperties: false,
  ...extra,
});
const list = (items: Schema, extra: Schema = {}): Schema => ({ type: 'array', items, ...extra });
const pick = (keys: readonly string[], all: Record<string, Schema>): Record<string, Schema> =>
  Object.fromEntries(keys.map((k) => {
    if (!(k in all)) throw new Error(`schema.ts: no schema for key '${k}'`);
    return [k, all[k]];
  }));

const TEMPLATE = '\\$\\{[A-Za-z_][A-Za-z0-9_]*\\}';

function names(kind: keyof typeof NAMES, description: string, templates = true): Schema {
  return {
    description,
    anyOf: [{ enum: Object.keys(NAMES[kind].table) }, ref('code'), ...(templates ? [ref('template')] : [])],
  };
}

export function buildSchema(): Schema {
  const positionKeys: Record<string, Schema> = {
    field: { type: 'string', minLength: 1, description: 'field path, e.g. ClientHello.random (the mutation starts at its first byte)' },
    at: { type: 'integer', minimum: 0, description: 'byte offset (from the 4-byte handshake header, or inside field)' },
  };
  const mutateValue: Record<string, Schema> = {
    ...positionKeys,
    value: { type: 'integer', minimum: 0 },
    hex: ref('hex'),
    type: ref('extension'),
    index: { type: 'integer', minimum: 0, description: 'position in the extension list (default: last)' },
  };
  const mutateSchemas: Record<string, Schema> = {
    xor: obj(pick(MUTATE_KEYS.xor!, { ...mutateValue, value: { type: 'integer', minimum: 0, maximum: 255, description: 'byte to xor in' } }), ['value'], {
      anyOf: [{ required: ['at'] }, { required: ['field'] }],
    }),
    set_bytes: obj(pick(MUTATE_KEYS.set_bytes!, mutateValue), ['hex'], { anyOf: [{ required: ['at'] }, { required: ['field'] }] }),
    truncate: {
      anyOf: [
        { type: 'integer', minimum: 0, description: 'keep this many bytes' },
        obj(pick(MUTATE_KEYS.truncate!, mutateValue), [], { anyOf: [{ required: ['at'] }, { required: ['field'] }] }),
      ],
    },
    extend: { description: 'bytes after the message, outside every length', anyOf: [ref('hex'), obj(pick(MUTATE_KEYS.extend!, mutateValue), ['hex'])] },
    append: {
      description: 'bytes at the end of a region, inside its length (default region: the message body)',
      anyOf: [ref('hex'), obj(pick(MUTATE_KEYS.append!, mutateValue), ['hex'])],
    },
    length: obj(pick(MUTATE_KEYS.length!, { ...mutateValue, value: { type: 'integer', minimum: 0, maximum: 0xffffff } }), ['field', 'value']),
    insert_extension: obj(pick(MUTATE_KEYS.insert_extension!, { ...mutateValue, value: ref('fieldValue') }), ['type'], {
      not: { required: ['hex', 'value'] },
    }),
    remove_extension: ref('extension'),
    duplicate_extension: ref('extension'),
    reorder_extensions: list(ref('extension'), { minItems: 1 }),
  };

  const recordProps: Record<string, Schema> = {
    max_fragment: { type: 'integer', minimum: 1, description: 'split the message over records of at most this many bytes' },
    fragment_at: list({ type: 'integer', minimum: 1 }, { description: 'split the message over records at these offsets' }),
    coalesce: { type: 'boolean', description: 'keep this message in the same record as the next send' },
    tcp_split: list({ type: 'integer', minimum: 1 }, { description: 'split the bytes over TCP writes at these offsets' }),
    version: names('version', 'legacy_record_version', false),
    content_type: names('content_type', 'ContentType written in the record header'),
    plaintext: { type: 'boolean', description: 'send in a plaintext record even where encryption is due' },
    length: { type: 'integer', minimum: 0, maximum: 0xffff, description: 'a wrong record length field' },
    wire_xor: obj(
      { at: { type: 'integer', description: 'offset into the bytes sent (negative: from the end)' }, value: { type: 'integer', minimum: 1, maximum: 255 } },
      ['at', 'value'],
      { description: 'XOR a byte of the record(s) as sent, after protection (a bad MAC)' },
    ),
    protected: { type: 'boolean', description: 'protect the record even where it goes in the clear (change_cipher_spec)' },
    padding: { type: 'integer', minimum: 0, maximum: 16384, description: 'TLS 1.3: zero bytes of padding in each protected record (RFC 8446 5.4)' },
    cbc: obj(
      pick(CBC_KEYS, {
        padding_length: { type: 'integer', minimum: 0, maximum: 255, description: 'padding_length, the padding filled with it (one that does not fill the block is sent as asked)' },
        padding: { ...ref('hex'), description: 'the padding vector itself; its length is the padding length' },
        padding_length_byte: { type: 'integer', minimum: 0, maximum: 255, description: 'the padding_length byte written, whatever the padding' },
        mac_xor: obj(
          { at: { type: 'integer', description: 'MAC byte (negative: from the end)' }, value: { type: 'integer', minimum: 1, maximum: 255 } },
          ['at', 'value'],
          { description: 'XOR a MAC byte: before encryption (MAC-then-encrypt), after it (encrypt-then-MAC)' },
        ),
        iv: { ...ref('hex'), description: 'the explicit IV (16 bytes)' },
      }),
      [],
      { description: 'TLS 1.2 CBC records (RFC 5246 6.2.3.2): padding, IV, MAC' },
    ),
  };
  const premasterProps: Record<string, Schema> = {
    version: names('version', 'client_version in M (default: the ClientHello legacy_version)', false),
    message_length: { type: 'integer', minimum: 0, maximum: 0xffff, description: 'length of M (default 48)' },
    first_bytes: { ...ref('hex'), description: 'the 2 leading bytes of EM (default 0002)' },
    zero_in_padding: { type: 'integer', minimum: 0, description: 'a 00 byte at this index of PS' },
    no_separator: { type: 'boolean', description: 'no 00 separator between PS and M' },
    separator_at: { type: 'integer', minimum: 2, description: 'the 00 separator at this index of EM' },
    all_zero: { type: 'boolean', description: 'EM all zero bytes' },
    plaintext: { ...ref('hex'), description: 'the whole EM (k bytes)' },
    ciphertext: { ...ref('hex'), description: 'the ciphertext, sent as is' },
    ciphertext_length: { type: 'integer', minimum: 0, maximum: 0xffff, description: 'cut or left-pad the ciphertext with zeros to this length' },
  };

  const empty: Schema = { anyOf: [{ type: 'null' }, obj({})] };
  const stepValue: Record<string, Schema> = {
    send: ref('message'),
    set: ref('fieldMap'),
    mutate: list(ref('mutate')),
    record: obj(pick(RECORD_KEYS, recordProps)),
    premaster: obj(pick(PREMASTER_KEYS, premasterProps), [], {
      description: 'the RSA EncryptedPreMasterSecret of a ClientKeyExchange (RFC 5246 7.4.7.1): EM = first_bytes || PS || 00 || M',
    }),
    transcript: { type: 'boolean', description: 'false: a message out of place, which the target must refuse: sent, then forgotten (not in the harness transcript or state)' },
    send_raw: {
      anyOf: [
        ref('hex'),
        obj(
          pick(STEP_VALUE_KEYS.send_raw!, {
            hex: ref('hex'),
            layer: { enum: [...RAW_LAYERS], description: 'record: whole records; handshake: handshake bytes the harness puts in records; tcp: raw bytes' },
            content_type: names('content_type', 'content type of the record the bytes go in', false),
            transcript: { type: 'boolean', description: 'false (layer handshake): bytes out of place, kept out of the harness transcript and state' },
          }),
          ['hex'],
        ),
      ],
    },
    application_data: { description: 'UTF-8 text or { hex }', anyOf: [{ type: 'string' }, obj(pick(STEP_VALUE_KEYS.application_data!, { hex: ref('hex') }), ['hex'])] },
    alert: {
      anyOf: [
        names('alert', 'a fatal alert with this description', false),
        obj(
          pick(STEP_VALUE_KEYS.alert!, {
            level: names('alert_level', 'warning or fatal (default fatal)', false),
            description: names('alert', 'AlertDescription', false),
          }),
          ['description'],
        ),
      ],
    },
    change_cipher_spec: empty,
    close_notify: empty,
    key_update: { anyOf: [{ type: 'null' }, obj(pick(STEP_VALUE_KEYS.key_update!, { request_update: { type: 'boolean' } }))] },
    wait: { type: 'integer', minimum: 0, description: 'milliseconds' },
    reconnect: { anyOf: [{ type: 'null' }, obj(pick(STEP_VALUE_KEYS.reconnect!, { resume: { type: 'boolean', description: 'resume the session' } }))] },
    expect: ref('expect'),
  };
  const appDataValue = { ...stepValue, record: obj(pick(APPLICATION_DATA_RECORD_KEYS, recordProps)) };
  const stepSchemas = STEP_KINDS.map((k) => obj(pick([k, ...STEP_MODIFIERS[k]], k === 'application_data' ? appDataValue : stepValue), [k], { title: k }));

  const expectProps: Record<string, Schema> = {
    message: ref('message'),
    one_of: list(ref('message'), { minItems: 1, description: 'any one of these messages' }),
    where: ref('fieldMap'),
    optional: { type: 'boolean' },
    repeat: { type: 'boolean', description: 'one or more in a row' },
    alert: { anyOf: [ref('alertName'), list(ref('alertName'), { minItems: 1 })] },
    lenient: { type: 'boolean', description: 'a different alert or a plain close is a lenient pass (default true)' },
    silence: { type: 'integer', minimum: 1, description: 'nothing arrives for this many ms' },
    closure: { type: 'integer', minimum: 1, description: "for this many ms the target may stay open or send data, but closes only after its close_notify (RFC 8446 6.1)" },
    plain_close: { type: 'boolean', description: 'with closure: a close without close_notify passes too' },
    application_data: { anyOf: [{ type: 'null' }, { type: 'string' }, obj({ hex: ref('hex') }, ['hex'])] },
  };

  const peerNames = (kind: keyof typeof NAMES, d: string) => list(names(kind, d), { description: d });
  const configProps: Record<string, Schema> = {
    cipher_suites: peerNames('cipher_suite', 'cipher suites, by name or number'),
    groups: peerNames('group', 'supported groups'),
    key_share_groups: peerNames('group', 'groups the harness sends key shares for'),
    signature_schemes: peerNames('signature_scheme', 'signature schemes'),
    alpn: list({ type: 'string' }),
    server_name: { type: 'string' },
    middlebox_compat: { type: 'boolean' },
    max_fragment_length: { anyOf: [{ enum: [...MAX_FRAGMENT_LENGTHS] }, ref('template')], description: 'RFC 6066 max_fragment_length the harness as client requests, in bytes' },
    certificate: { anyOf: [{ enum: [...CERTIFICATES] }, ref('template')], description: 'test PKI certificate the harness presents' },
    request_client_certificate: { type: 'boolean' },
    hello_retry: { type: 'boolean' },
    early_data: { type: 'string' },
    psk_unknown_identities: { type: 'integer', minimum: 0, maximum: 8, description: 'unknown PSK identities the harness offers before its ticket' },
    max_early_data: { type: 'integer', minimum: 0, maximum: 4294967295, description: 'max_early_data_size in the tickets the harness as server issues' },
    accept_psk: { type: 'boolean', description: 'the harness as server resumes its own ticket offered first' },
    accept_early_data: { type: 'boolean', description: 'with accept_psk, the harness as server accepts 0-RTT data' },
    psk_modes: list({ enum: [...PSK_MODES] }, { description: 'psk_key_exchange_modes the harness offers with a ticket (RFC 8446 4.2.9)' }),
    certificate_verify: { anyOf: [{ enum: [...CERTIFICATE_VERIFY_FAULTS] }, ref('template')], description: "a fault in the harness's TLS 1.3 CertificateVerify" },
    ffdhe_leading_zero: {
      anyOf: [{ enum: [...FFDHE_LEADING_ZERO] }, ref('template')],
      description: 'the harness as TLS 1.3 server draws its ffdhe key share until Z (shared_secret) or its own Y (public_value) starts with a zero byte',
    },
  };
  const requiresProps: Record<string, Schema> = {
    versions: list({ enum: [...VERSIONS] }),
    cipher_suites: configProps.cipher_suites,
    groups: configProps.groups,
    signature_schemes: configProps.signature_schemes,
    features: list({ type: 'string', minLength: 1 }),
  };

  const top: Record<string, Schema> = {
    id: { type: 'string', pattern: '^[a-z0-9][a-z0-9.-]*$', description: 'unique scenario id' },
    title: { type: 'string', minLength: 1 },
    rfc: obj(
      pick(RFC_KEYS, {
        doc: { type: 'integer', minimum: 1, description: 'RFC number, e.g. 8446' },
        section: { type: ['string', 'number'], description: 'section, e.g. 4.4.4' },
        quote: { type: 'string', description: 'the requirement, quoted' },
        level: { enum: [...LEVELS], description: 'requirement level of the quoted rule: must (a deviation fails), should or may (advisory)' },
        sentences: list({ type: 'string', pattern: SENTENCE_ID.source }, { minItems: 1 }),
      }),
      REQUIRED_RFC_KEYS,
    ),
    target: { enum: [...ROLES], description: 'the role the target plays' },
    versions: list({ enum: [...VERSIONS] }, { minItems: 1 }),
    tags: list({ type: 'string', minLength: 1 }),
    requires: obj(pick(REQUIRES_KEYS, requiresProps)),
    matrix: {
      type: 'object',
      description: 'parameters; one case per combination, used as ${name}',
      propertyNames: { pattern: '^[A-Za-z_][A-Za-z0-9_]*$' },
      additionalProperties: list({ type: ['string', 'number'] }, { minItems: 1 }),
    },
    indistinguishable: {
      description: 'matrix keys whose values must not change what the target observably does (true: all of them): the cases that differ only in these form a group, and any difference between them fails it',
      anyOf: [{ type: 'boolean' }, list({ type: 'string', pattern: PARAM_NAME.source }, { minItems: 1 })],
    },
    config: obj(pick(CONFIG_KEYS, configProps)),
    control: {
      description: 'the positive control: the unmutated handshake the target must complete before the case means anything (skip otherwise); false: none (a positive case); { config }: its own harness config',
      anyOf: [{ type: 'boolean' }, obj(pick(CONTROL_KEYS, { config: obj(pick(CONFIG_KEYS, configProps)) }), ['config'])],
    },
    target_options: {
      ...obj(pick(TARGET_OPTION_KEYS, { request_client_certificate: { type: 'boolean', description: 'server role: the target server requests a client certificate (RFC 8446 4.3.2), verified against the test CA; targets without it skip the case' } })),
      description: 'what the target itself is asked to do in every case (and its control)',
    },
    timeout: { type: 'integer', minimum: 1, description: 'per-case time limit, ms' },
    steps: list(ref('step'), { minItems: 1 }),
  };

  return {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    $id: 'https://github.com/tls-harness/tls-harness/harness/scenario/scenario.schema.json',
    title: 'tls-harness scenario',
    description: "A TLS conformance scenario (README: 'Scenario format'). `tls-harness validate` checks more than this schema.",
    ...obj(pick(TOP_KEYS, top), REQUIRED_TOP_KEYS),
    $defs: {
      template: { type: 'string', pattern: TEMPLATE, description: 'a string using a matrix parameter: ${name}' },
      code: {
        description: 'a code point: a number, decimal or 0x hex',
        anyOf: [{ type: 'integer', minimum: 0 }, { type: 'string', pattern: '^(0[xX][0-9a-fA-F]+|[0-9]+)$' }],
      },
      hex: {
        description: 'bytes as hex: optional 0x, pairs of hex digits (spaces, : and _ ignored); digits*N repeats them N times',
        anyOf: [{ type: 'string', pattern: `^((0[xX])?[0-9a-fA-F\\s:_*]*|.*${TEMPLATE}.*)$` }, { type: 'integer', minimum: 0 }],
      },
      message: { description: 'a handshake message (the RFC struct name)', anyOf: [{ enum: [...MESSAGE_NAMES] }, ref('template')] },
      extension: names('extension', 'an extension type, by name or number'),
      alertName: names('alert', 'an alert description'),
      fieldValue: {
        description: 'a field value: a name, number, "0x.." bytes, { hex }, a list or a mapping; in where also present / absent',
        anyOf: [
          { type: ['string', 'number', 'boolean', 'null'] },
          { enum: [...WHERE_WORDS] },
          list(ref('fieldValue')),
          { type: 'object', additionalProperties: ref('fieldValue') },
        ],
      },
      fieldMap: {
        type: 'object',
        description: 'field path -> value',
        propertyNames: { minLength: 1 },
        additionalProperties: ref('fieldValue'),
      },
      mutate: {
        description: 'one byte-level mutation',
        anyOf: MUTATE_OPS.map((op) => obj({ [op]: mutateSchemas[op] }, [op], { title: op })),
      },
      step: {
        anyOf: [{ enum: [...BARE_STEPS], description: 'a step without parameters' }, ...stepSchemas],
      },
      expectItem: {
        anyOf: [
          ref('message'),
          obj(pick(['message', ...EXPECT_MODIFIERS.message], expectProps), ['message']),
          obj(pick(['one_of', ...EXPECT_MODIFIERS.one_of], expectProps), ['one_of']),
        ],
      },
      expect: {
        anyOf: [
          { enum: [...EXPECT_WORDS] },
          ref('message'),
          list(ref('expectItem'), { minItems: 1 }),
          ...EXPECT_KINDS.map((k) => obj(pick([k, ...EXPECT_MODIFIERS[k]], expectProps), [k], { title: k })),
        ],
      },
    },
  };
}
