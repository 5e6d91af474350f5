/**
 * Code points from the IANA TLS registries, named as the RFCs and registries name them.
 *
 * Every enum is open: the wire value is a plain number in the decoded model, so a value we do not know
 * (a GREASE value, a new group, a private-use suite) survives decode then encode unchanged. These tables
 * only give names to numbers, for scenarios, reports and error messages.
 */

export type NameTable = Readonly<Record<string, number>>;

/** Reverse lookup: the name of a code point, or `unknown(0x....)` if the table has none. */
export function nameOf(table: NameTable, value: number, width = 4): string {
  let names = reverse.get(table);
  if (!names) {
    // The first name of a value wins, as a scan in declaration order would find it.
    names = new Map();
    for (const [name, v] of Object.entries(table)) if (!names.has(v)) names.set(v, name);
    reverse.set(table, names);
  }
  return names.get(value) ?? `unknown(0x${value.toString(16).padStart(width, '0')})`;
}
/** Reverse lookups, built once per table (the tables are constants; this runs in every handshake's checks). */
const reverse = new WeakMap<NameTable, Map<number, string>>();

/** Forward lookup; undefined for an unknown name. */
export function codeOf(table: NameTable, name: string): number | undefined {
  return Object.prototype.hasOwnProperty.call(table, name) ? table[name] : undefined;
}

// RFC 8446 5.1 / RFC 5246 6.2.1 ContentType
export const ContentType = {
  invalid: 0,
  change_cipher_spec: 20,
  alert: 21,
  handshake: 22,
  application_data: 23,
  heartbeat: 24, // RFC 6520
} as const satisfies NameTable;

// Protocol versions (RFC 8446 4.2.1, RFC 5246 appendix E)
export const ProtocolVersion = {
  SSL3_0: 0x0300,
  TLS1_0: 0x0301,
  TLS1_1: 0x0302,
  TLS1_2: 0x0303,
  TLS1_3: 0x0304,
} as const satisfies NameTable;

// RFC 8446 4 / RFC 5246 7.4 HandshakeType
export const HandshakeType = {
  hello_request: 0, // RFC 5246 only
  client_hello: 1,
  server_hello: 2,
  new_session_ticket: 4,
  end_of_early_data: 5,
  encrypted_extensions: 8,
  certificate: 11,
  server_key_exchange: 12, // RFC 5246 only
  certificate_request: 13,
  server_hello_done: 14, // RFC 5246 only
  certificate_verify: 15,
  client_key_exchange: 16, // RFC 5246 only
  finished: 20,
  certificate_status: 22, // RFC 6066
  key_update: 24,
  message_hash: 254,
} as const satisfies NameTable;

// RFC 8446 6 AlertLevel / AlertDescription
export const AlertLevel = { warning: 1, fatal: 2 } as const satisfies NameTable;

export const AlertDescription = {
  close_notify: 0,
  unexpected_message: 10,
  bad_record_mac: 20,
  decryption_failed_RESERVED: 21,
  record_overflow: 22,
  decompression_failure_RESERVED: 30,
  handshake_failure: 40,
  no_certificate_RESERVED: 41,
  bad_certificate: 42,
  unsupported_certificate: 43,
  certificate_revoked: 44,
  certificate_expired: 45,
  certificate_unknown: 46,
  illegal_parameter: 47,
  unknown_ca: 48,
  access_denied: 49,
  decode_error: 50,
  decrypt_error: 51,
  export_restriction_RESERVED: 60,
  protocol_version: 70,
  insufficient_security: 71,
  internal_error: 80,
  inappropriate_fallback: 86,
  user_canceled: 90,
  no_renegotiation: 100, // RFC 5246
  missing_extension: 109,
  unsupported_extension: 110,
  certificate_unobtainable_RESERVED: 111,
  unrecognized_name: 112,
  bad_certificate_status_response: 113,
  bad_certificate_hash_value_RESERVED: 114,
  unknown_psk_identity: 115,
  certificate_required: 116,
  no_application_protocol: 120,
} as const satisfies NameTable;
export type AlertName = keyof typeof AlertDescription;

// IANA "TLS ExtensionType Values"
export const ExtensionType = {
  server_name: 0,
  max_fragment_length: 1,
  status_request: 5,
  supported_groups: 10,
  ec_point_formats: 11,
  signature_algorithms: 13,
  use_srtp: 14,
  heartbeat: 15,
  application_layer_protocol_negotiation: 16,
  signed_certificate_timestamp: 18,
  client_certificate_type: 19,
  server_certificate_type: 20,
  padding: 21,
  encrypt_then_mac: 22,
  extended_master_secret: 23,
  compress_certificate: 27,
  record_size_limit: 28,
  session_ticket: 35,
  pre_shared_key: 41,
  early_data: 42,
  supported_versions: 43,
  cookie: 44,
  psk_key_exchange_modes: 45,
  certificate_authorities: 47,
  oid_filters: 48,
  post_handshake_auth: 49,
  signature_algorithms_cert: 50,
  key_share: 51,
  renegotiation_info: 0xff01,
} as const satisfies NameTable;
export type ExtensionName = keyof typeof ExtensionType;

// IANA "TLS Cipher Suites" (the ones the harness knows by name; any other value stays a number)
export const CipherSuite = {
  TLS_NULL_WITH_NULL_NULL: 0x0000,
  TLS_RSA_WITH_AES_128_CBC_SHA: 0x002f,
  TLS_DHE_RSA_WITH_AES_128_CBC_SHA: 0x0033,
  TLS_RSA_WITH_AES_256_CBC_SHA: 0x0035,
  TLS_DHE_RSA_WITH_AES_256_CBC_SHA: 0x0039,
  TLS_RSA_WITH_AES_128_CBC_SHA256: 0x003c,
  TLS_RSA_WITH_AES_256_CBC_SHA256: 0x003d,
  TLS_DHE_RSA_WITH_AES_128_CBC_SHA256: 0x0067,
  TLS_DHE_RSA_WITH_AES_256_CBC_SHA256: 0x006b,
  TLS_RSA_WITH_AES_128_GCM_SHA256: 0x009c,
  TLS_RSA_WITH_AES_256_GCM_SHA384: 0x009d,
  TLS_DHE_RSA_WITH_AES_128_GCM_SHA256: 0x009e,
  TLS_DHE_RSA_WITH_AES_256_GCM_SHA384: 0x009f,
  TLS_EMPTY_RENEGOTIATION_INFO_SCSV: 0x00ff,
  TLS_AES_128_GCM_SHA256: 0x1301,
  TLS_AES_256_GCM_SHA384: 0x1302,
  TLS_CHACHA20_POLY1305_SHA256: 0x1303,
  TLS_AES_128_CCM_SHA256: 0x1304,
  TLS_AES_128_CCM_8_SHA256: 0x1305,
  TLS_FALLBACK_SCSV: 0x5600,
  TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA: 0xc009,
  TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA: 0xc00a,
  TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA: 0xc013,
  TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA: 0xc014,
  TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256: 0xc023,
  TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384: 0xc024,
  TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256: 0xc027,
  TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384: 0xc028,
  TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256: 0xc02b,
  TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384: 0xc02c,
  TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256: 0xc02f,
  TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384: 0xc030,
  TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256: 0xcca8,
  TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256: 0xcca9,
  TLS_DHE_RSA_WITH_CHACHA20_POLY1305_SHA256: 0xccaa,
} as const satisfies NameTable;
export type CipherSuiteName = keyof typeof CipherSuite;

// IANA "TLS Supported Groups" (RFC 8446 4.2.7, RFC 8422, RFC 7919)
export const NamedGroup = {
  secp256r1: 0x0017,
  secp384r1: 0x0018,
  secp521r1: 0x0019,
  x25519: 0x001d,
  x448: 0x001e,
  ffdhe2048: 0x0100,
  ffdhe3072: 0x0101,
  ffdhe4096: 0x0102,
  ffdhe6144: 0x0103,
  ffdhe8192: 0x0104,
  X25519MLKEM768: 0x11ec,
} as const satisfies NameTable;
export type NamedGroupName = keyof typeof NamedGroup;

// IANA "TLS SignatureScheme" (RFC 8446 4.2.3); the legacy ones cover TLS 1.2's SignatureAndHashAlgorithm
export const SignatureScheme = {
  rsa_pkcs1_sha1: 0x0201,
  ecdsa_sha1: 0x0203,
  rsa_pkcs1_sha256: 0x0401,
  ecdsa_secp256r1_sha256: 0x0403,
  rsa_pkcs1_sha384: 0x0501,
  ecdsa_secp384r1_sha384: 0x0503,
  rsa_pkcs1_sha512: 0x0601,
  ecdsa_secp521r1_sha512: 0x0603,
  rsa_pss_rsae_sha256: 0x0804,
  rsa_pss_rsae_sha384: 0x0805,
  rsa_pss_rsae_sha512: 0x0806,
  ed25519: 0x0807,
  ed448: 0x0808,
  rsa_pss_pss_sha256: 0x0809,
  rsa_pss_pss_sha384: 0x080a,
  rsa_pss_pss_sha512: 0x080b,
} as const satisfies NameTable;
export type SignatureSchemeName = keyof typeof SignatureScheme;

// RFC 8422 5.1.2 ECPointFormat
export const ECPointFormat = {
  uncompressed: 0,
  ansiX962_compressed_prime: 1,
  ansiX962_compressed_char2: 2,
} as const satisfies NameTable;

// RFC 8422 5.4 ECCurveType
export const ECCurveType = { explicit_prime: 1, explicit_char2: 2, named_curve: 3 } as const satisfies NameTable;

// RFC 8446 4.2.9 PskKeyExchangeMode
export const PskKeyExchangeMode = { psk_ke: 0, psk_dhe_ke: 1 } as const satisfies NameTable;

// RFC 8446 4.6.3 KeyUpdateRequest
export const KeyUpdateRequest = { update_not_requested: 0, update_requested: 1 } as const satisfies NameTable;

// RFC 6066 3 NameType
export const ServerNameType = { host_name: 0 } as const satisfies NameTable;

// RFC 6066 8 CertificateStatusType
export const CertificateStatusType = { ocsp: 1 } as const satisfies NameTable;

// RFC 6066 4 MaxFragmentLength
export const MaxFragmentLength = { '2^9': 1, '2^10': 2, '2^11': 3, '2^12': 4 } as const satisfies NameTable;

// RFC 5246 7.4.4 ClientCertificateType
export const ClientCertificateType = {
  rsa_sign: 1,
  dss_sign: 2,
  rsa_fixed_dh: 3,
  dss_fixed_dh: 4,
  ecdsa_sign: 64, // RFC 8422
} as const satisfies NameTable;

/** RFC 8446 4.1.3: the special ServerHello.random that marks a HelloRetryRequest (SHA-256 of "HelloRetryRequest"). */
export const HELLO_RETRY_REQUEST_RANDOM = Uint8Array.from(
  Buffer.from('cf21ad74e59a6111be1d8c021e65b891c2a211167abb8c5e079e09e2c8a8339c', 'hex'),
);

/** RFC 8446 4.1.3: downgrade sentinels in the last 8 bytes of ServerHello.random. */
export const DOWNGRADE_TLS12 = Uint8Array.from([0x44, 0x4f, 0x57, 0x4e, 0x47, 0x52, 0x44, 0x01]);
export const DOWNGRADE_TLS11 = Uint8Array.from([0x44, 0x4f, 0x57, 0x4e, 0x47, 0x52, 0x44, 0x00]);
