/**
 * How long an inbound handshake message may be, checked from its 4-byte header before its body is buffered:
 *
 * 1. The message type's own syntax: the largest body its struct can encode, from the vector bounds of the
 *    RFC (RFC 8446 4 and B.3 for TLS 1.3; RFC 5246 7.4, RFC 5077 3.3, RFC 8422 5.4 for TLS 1.2). A longer
 *    announced length cannot be parsed according to the syntax: decode_error (RFC 8446 6).
 * 2. A local memory limit (`maxHandshakeMessageSize`, default DEFAULT_MAX_HANDSHAKE_MESSAGE) for the messages
 *    whose syntax allows more than it (in practice the Certificate message, whose certificate_list may hold
 *    2^24-1 bytes). A message over it is not malformed: the endpoint says it hit its own limit, with
 *    internal_error (RFC 8446 6.2: "An internal error unrelated to the peer or the correctness of the protocol
 *    (such as a memory allocation failure) makes it impossible to continue.").
 *
 * Every valid message of every other type fits under its syntactic maximum, so nothing valid is refused but
 * a Certificate chain over the local limit (real chains are a few kilobytes; OpenSSL's own limit,
 * max_cert_list, is 100 KiB by default).
 */
import { HandshakeType as HT } from '../codec/enums.ts';
import { MAX_HANDSHAKE_LENGTH } from '../codec/record.ts';

/** The default local limit on one handshake message body: 1 MiB, eight times the largest ClientHello. */
export const DEFAULT_MAX_HANDSHAKE_MESSAGE = 2 ** 20;

/** opaque x<a..2^8-1>, <a..2^16-1>, <a..2^16-2>: the length prefix and the largest content. */
const V8 = 1 + (2 ** 8 - 1);
const V16 = 2 + (2 ** 16 - 1);
const V16m2 = 2 + (2 ** 16 - 2);
/** Random (32 bytes) and legacy_session_id<0..32>. */
const RANDOM = 32;
const SESSION_ID = 1 + 32;
/** digitally-signed / CertificateVerify: SignatureScheme algorithm, opaque signature<0..2^16-1>. */
const SIGNED = 2 + V16;
/** The longest hash of a suite: SHA-384 (48 bytes) today; 64 leaves room for SHA-512. */
const MAX_HASH = 64;

/** The largest body of each TLS 1.3 message a peer can send (RFC 8446 4, B.3). */
const TLS13: Readonly<Record<number, number>> = {
  // ProtocolVersion legacy_version; Random random; opaque legacy_session_id<0..32>;
  // CipherSuite cipher_suites<2..2^16-2>; opaque legacy_compression_methods<1..2^8-1>;
  // Extension extensions<8..2^16-1>: 131,396 bytes.
  [HT.client_hello]: 2 + RANDOM + SESSION_ID + V16m2 + V8 + V16,
  // ServerHello (and HelloRetryRequest): legacy_version, random, legacy_session_id_echo<0..32>, cipher_suite,
  // legacy_compression_method, extensions<6..2^16-1>.
  [HT.server_hello]: 2 + RANDOM + SESSION_ID + 2 + 1 + V16,
  // uint32 ticket_lifetime; uint32 ticket_age_add; opaque ticket_nonce<0..255>; opaque ticket<1..2^16-1>;
  // Extension extensions<0..2^16-2>.
  [HT.new_session_ticket]: 4 + 4 + V8 + V16 + V16m2,
  [HT.end_of_early_data]: 0,
  // Extension extensions<0..2^16-1>.
  [HT.encrypted_extensions]: V16,
  // opaque certificate_request_context<0..2^8-1>; Extension extensions<2..2^16-1>.
  [HT.certificate_request]: V8 + V16,
  // opaque certificate_request_context<0..2^8-1>; CertificateEntry certificate_list<0..2^24-1>: more than the
  // handshake length can say, so bounded by the local limit only.
  [HT.certificate]: MAX_HANDSHAKE_LENGTH,
  // SignatureScheme algorithm; opaque signature<0..2^16-1>.
  [HT.certificate_verify]: SIGNED,
  // opaque verify_data[Hash.length] (the exact length is checked with the suite, RFC 8446 4.4.4).
  [HT.finished]: MAX_HASH,
  // KeyUpdateRequest request_update.
  [HT.key_update]: 1,
  // Not TLS 1.3: RFC 5246 7.4.1.1 "struct { } HelloRequest;", which a client that offered TLS 1.2 as well
  // accepts (and ignores) before the ServerHello.
  [HT.hello_request]: 0,
};

/** The largest body of each TLS 1.2 message a peer can send (RFC 5246 7.4, RFC 5077 3.3, RFC 8422 5.4). */
const TLS12: Readonly<Record<number, number>> = {
  [HT.hello_request]: 0,
  // client_version, random, session_id<0..32>, cipher_suites<2..2^16-2>, compression_methods<1..2^8-1>,
  // extensions<0..2^16-1>.
  [HT.client_hello]: 2 + RANDOM + SESSION_ID + V16m2 + V8 + V16,
  // server_version, random, session_id<0..32>, cipher_suite, compression_method, extensions<0..2^16-1>.
  [HT.server_hello]: 2 + RANDOM + SESSION_ID + 2 + 1 + V16,
  // RFC 5077 3.3: uint32 ticket_lifetime_hint; opaque ticket<0..2^16-1>.
  [HT.new_session_ticket]: 4 + V16,
  // ASN.1Cert certificate_list<0..2^24-1>.
  [HT.certificate]: MAX_HANDSHAKE_LENGTH,
  // The largest form: ServerDHParams (dh_p, dh_g, dh_Ys, each <1..2^16-1>) and a digitally-signed (RFC 8422
  // 5.4's ECDHE form, ECParameters and ECPoint<1..2^8-1> and the signature, is smaller).
  [HT.server_key_exchange]: 3 * V16 + SIGNED,
  // ClientCertificateType certificate_types<1..2^8-1>; SignatureAndHashAlgorithm
  // supported_signature_algorithms<2..2^16-2>; DistinguishedName certificate_authorities<0..2^16-1>.
  [HT.certificate_request]: V8 + V16m2 + V16,
  [HT.server_hello_done]: 0,
  // digitally-signed struct { opaque handshake_messages[...] }: algorithm and signature<0..2^16-1>.
  [HT.certificate_verify]: SIGNED,
  // The largest form: EncryptedPreMasterSecret and ClientDiffieHellmanPublic (dh_Yc<1..2^16-1>), both
  // opaque<..2^16-1> (the ECDHE ECPoint<1..2^8-1> is smaller).
  [HT.client_key_exchange]: V16,
  // opaque verify_data[verify_data_length]: 12 for every suite here (RFC 5246 7.4.9), checked exactly there.
  [HT.finished]: MAX_HASH,
};

/**
 * The largest body the syntax of `msgType` allows in this version; MAX_HANDSHAKE_LENGTH for a type without
 * a bound of its own (the caller has refused every type its state does not expect before asking).
 */
export function maxHandshakeBody(msgType: number, version: 'tls13' | 'tls12'): number {
  return (version === 'tls13' ? TLS13 : TLS12)[msgType] ?? MAX_HANDSHAKE_LENGTH;
}

/**
 * Non-fatal alerts (TLS 1.2 warnings, TLS 1.3 user_canceled) an endpoint accepts in a row before it gives up
 * with unexpected_message: 4, so the fifth is fatal, as OpenSSL's MAX_WARN_ALERT_COUNT (5) does. The count
 * restarts when the peer makes progress: a handshake message (not an ignored HelloRequest) or application data.
 * A defence against alert floods (CVE-2016-8610); no RFC sets a number.
 */
export const MAX_CONSECUTIVE_WARNING_ALERTS = 4;
