/**
 * The keys of the scenario YAML format, in one place: the loader accepts exactly these, suggests among
 * them, and the JSON Schema (schema.ts -> scenario.schema.json) is built from them (a test checks both).
 */

export const TOP_KEYS = ['id', 'title', 'rfc', 'target', 'versions', 'tags', 'requires', 'matrix', 'indistinguishable', 'config', 'control', 'target_options', 'timeout', 'steps'] as const;
export const REQUIRED_TOP_KEYS = ['id', 'title', 'rfc', 'target', 'versions', 'steps'] as const;
export const RFC_KEYS = ['doc', 'section', 'quote', 'level', 'sentences'] as const;
/** The rfc keys every scenario must have (level and sentences: see REQUIRED_RFC_KEYS_STRICT). */
export const REQUIRED_RFC_KEYS = ['doc', 'section', 'quote'] as const;
/** Requirement levels (RFC 2119): MUST/MUST NOT/SHALL/SHALL NOT/REQUIRED = must; SHOULD/RECOMMENDED = should; MAY/OPTIONAL = may. */
export const LEVELS = ['must', 'should', 'may'] as const;
/** A normative sentence id of the RFC index (rfc/): rfc<doc>-<section>-<n>, e.g. rfc8446-4.1.2-3. */
export const SENTENCE_ID = /^rfc[0-9]+-[A-Za-z0-9.]+-[0-9]+$/;
export const REQUIRES_KEYS = ['versions', 'cipher_suites', 'groups', 'signature_schemes', 'features'] as const;
/** RFC 6066 4: the maximum fragment lengths a client may request, in bytes (codes 1..4). */
export const MAX_FRAGMENT_LENGTHS = [512, 1024, 2048, 4096];

export const CONFIG_KEYS = [
  'cipher_suites',
  'groups',
  'key_share_groups',
  'signature_schemes',
  'alpn',
  'server_name',
  'middlebox_compat',
  'max_fragment_length',
  'certificate',
  'request_client_certificate',
  'hello_retry',
  'early_data',
  'psk_modes',
  'psk_unknown_identities',
  'max_early_data',
  'accept_psk',
  'accept_early_data',
  'certificate_verify',
  'ffdhe_leading_zero',
] as const;
/** psk_key_exchange_modes (RFC 8446 4.2.9) the harness offers, as `config.psk_modes`. */
export const PSK_MODES = ['psk_ke', 'psk_dhe_ke'] as const;
/**
 * `config.certificate_verify`: a fault in the harness's own CertificateVerify (harness/engine/peer13.ts), the
 * signature otherwise valid: `other_context`, signed over the other side's context string (RFC 8446 4.4.3, "TLS
 * 1.3, client CertificateVerify" for a server); `stale_transcript`, signed over the transcript without the
 * Certificate message.
 */
export const CERTIFICATE_VERIFY_FAULTS = ['other_context', 'stale_transcript'] as const;
/**
 * `config.ffdhe_leading_zero`: the harness as TLS 1.3 server draws its FFDHE key share (an ffdhe group only)
 * until `shared_secret`, Z with the client's share, or `public_value`, its own Y, starts with a zero byte
 * (harness/engine/ffdhe-key.ts; RFC 8446 7.4.1 and 4.2.8.1: both left-padded to the size of the prime).
 */
export const FFDHE_LEADING_ZERO = ['shared_secret', 'public_value'] as const;
/**
 * `target_options:` what the scenario asks of the TARGET itself (not of the harness's peer), per case:
 * `request_client_certificate: true` (server role only) has the target server request a client certificate
 * (RFC 8446 4.3.2), verified against the test CA. Targets that cannot (no `server.client_auth` in their
 * config) skip the case: they lack the feature `request_client_certificate`.
 */
export const TARGET_OPTION_KEYS = ['request_client_certificate'] as const;
/** The capability feature a target needs for `target_options.request_client_certificate`. */
export const REQUEST_CLIENT_CERTIFICATE_FEATURE = 'request_client_certificate';
/** Keys of the mapping form of `control:` (the other forms: `control: false`, `control: true`). */
export const CONTROL_KEYS = ['config'] as const;
export const ROLES = ['server', 'client'] as const;
export const VERSIONS = ['tls13', 'tls12'] as const;
export const CERTIFICATES = ['rsa', 'p256', 'p384', 'p521', 'ed25519', 'ed448', 'client', 'rsa-sign-only', 'p256-wrong-name', 'p256-missing-intermediate',
  // issue 14: server certificates for certificate tests (harness/targets/test-pki.ts EXTRA_TEST_CERTIFICATES)
  'p256-expired', 'p256-not-yet-valid', 'p256-client-eku', 'p256-no-digital-signature', 'p256-sha1', 'p256-md5', 'p256-unknown-issuer', 'p256-chain-extraneous', 'rsa-via-rsa-intermediate'] as const;

/** The action keys of a step: a step mapping has exactly one. */
export const STEP_KINDS = [
  'send',
  'send_raw',
  'application_data',
  'alert',
  'change_cipher_spec',
  'close_notify',
  'key_update',
  'wait',
  'reconnect',
  'expect',
] as const;
export type StepKey = (typeof STEP_KINDS)[number];

/** Keys that go next to the action key. */
export const STEP_MODIFIERS: Readonly<Record<StepKey, readonly string[]>> = {
  send: ['set', 'mutate', 'record', 'premaster', 'transcript'],
  send_raw: [],
  application_data: ['record'],
  alert: [],
  change_cipher_spec: [],
  close_notify: [],
  key_update: [],
  wait: [],
  reconnect: [],
  expect: [],
};

/** Steps that may be written as a bare string (`- close_notify`) or with a null / `{}` value. */
export const BARE_STEPS = ['change_cipher_spec', 'close_notify', 'key_update', 'reconnect'] as const;

/** Keys of the mapping form of each step's value (absent: the value is not a mapping). */
export const STEP_VALUE_KEYS: Readonly<Partial<Record<StepKey, readonly string[]>>> = {
  send_raw: ['hex', 'layer', 'content_type', 'transcript'],
  application_data: ['hex'],
  alert: ['level', 'description'],
  change_cipher_spec: [],
  close_notify: [],
  key_update: ['request_update'],
  reconnect: ['resume'],
};

export const RAW_LAYERS = ['record', 'handshake', 'tcp'] as const;

export const RECORD_KEYS = ['max_fragment', 'fragment_at', 'coalesce', 'tcp_split', 'version', 'content_type', 'plaintext', 'length', 'wire_xor', 'protected', 'cbc', 'padding'] as const;
/** The record options an application_data step takes. */
export const APPLICATION_DATA_RECORD_KEYS = ['max_fragment', 'tcp_split', 'wire_xor', 'cbc', 'padding'] as const;
/** Keys of `record: { cbc: {...} }` (TLS 1.2 CBC records, RFC 5246 6.2.3.2). */
export const CBC_KEYS = ['padding_length', 'padding', 'padding_length_byte', 'mac_xor', 'iv'] as const;

/** Keys of a send step's `premaster` (the RSA EncryptedPreMasterSecret, RFC 5246 7.4.7.1). */
export const PREMASTER_KEYS = [
  'version',
  'message_length',
  'first_bytes',
  'zero_in_padding',
  'no_separator',
  'separator_at',
  'all_zero',
  'plaintext',
  'ciphertext',
  'ciphertext_length',
] as const;
/** The only message a `premaster` goes with. */
export const PREMASTER_MESSAGE = 'ClientKeyExchange';
/** Pairs of premaster keys that contradict each other: all_zero, plaintext and ciphertext are the whole block (or ciphertext). */
const PREMASTER_WHOLE: readonly string[] = ['all_zero', 'plaintext', 'ciphertext'];
export const PREMASTER_CONFLICTS: readonly (readonly [string, string])[] = [
  ...PREMASTER_WHOLE.flatMap((whole, i) =>
    PREMASTER_KEYS.filter((k) => k !== 'ciphertext_length' && !PREMASTER_WHOLE.slice(0, i + 1).includes(k)).map((k) => [whole, k] as const),
  ),
  ['no_separator', 'separator_at'],
  ['separator_at', 'message_length'],
];

export const MUTATE_OPS = [
  'xor',
  'set_bytes',
  'truncate',
  'extend',
  'append',
  'length',
  'insert_extension',
  'remove_extension',
  'duplicate_extension',
  'reorder_extensions',
] as const;
export type MutateKey = (typeof MUTATE_OPS)[number];

/** Keys of each mutate op's mapping form (absent: the op takes a scalar or a list only). */
export const MUTATE_KEYS: Readonly<Partial<Record<MutateKey, readonly string[]>>> = {
  xor: ['field', 'at', 'value'],
  set_bytes: ['field', 'at', 'hex'],
  truncate: ['field', 'at'],
  extend: ['hex'],
  append: ['field', 'hex'],
  length: ['field', 'value'],
  insert_extension: ['type', 'hex', 'value', 'index'],
};

/** Keys of an `expect` mapping: one of EXPECT_KINDS, plus the modifiers that go with it. */
export const EXPECT_KINDS = ['message', 'one_of', 'alert', 'silence', 'closure', 'application_data'] as const;
export const EXPECT_MODIFIERS: Readonly<Record<(typeof EXPECT_KINDS)[number], readonly string[]>> = {
  message: ['where', 'optional', 'repeat'],
  one_of: ['where', 'optional', 'repeat'],
  alert: ['lenient'],
  silence: [],
  closure: ['plain_close'],
  application_data: [],
};
export const EXPECT_KEYS = ['message', 'one_of', 'where', 'optional', 'repeat', 'alert', 'lenient', 'silence', 'closure', 'plain_close', 'application_data'] as const;
/** Keys of one item of a message sequence (`expect: [ServerHello, {message: ..., where: ...}]`). */
export const EXPECT_ITEM_KEYS = ['message', 'one_of', 'where', 'optional', 'repeat'] as const;
/** Bare-word expectations (message names are CamelCase, these are not). */
export const EXPECT_WORDS = ['close', 'handshake_complete', 'application_data'] as const;
/** Predicate words allowed as values in `where`. */
export const WHERE_WORDS = ['present', 'absent'] as const;

/** Matrix keys: `${name}` names. */
export const PARAM_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
export const ID_PATTERN = /^[a-z0-9][a-z0-9.-]*$/;
