/**
 * Handshake messages (RFC 8446 4, RFC 5246 7.4): the `Handshake` framing and every message body, for TLS 1.2
 * and TLS 1.3.
 *
 * The wire is ambiguous without knowing the negotiated version (Certificate, CertificateRequest and
 * NewSessionTicket differ) and, in TLS 1.2, the key exchange (ServerKeyExchange, ClientKeyExchange), so
 * decoding takes a `HandshakeContext`. Encoding needs none: the form is in the message (`form`).
 *
 * Paths: the body of a message is named by the RFC's struct name (`ClientHello`, `ServerHello`,
 * `HelloRetryRequest`, `Certificate`, ...), so `EncodeOverrides.lengths['ClientHello']` forces the
 * handshake length and `lengths['ClientHello.extensions']` the extensions length. An unknown message's body
 * is `Handshake`; the header's fields are `Handshake.msg_type` and (for a truncated header) `<Struct>`.
 */
import { Reader } from './reader.ts';
import { Writer, type EncodeOverrides, type Span } from './writer.ts';
import { DecodeError, decoded, type Decoded } from './errors.ts';
import { HandshakeType, HELLO_RETRY_REQUEST_RANDOM } from './enums.ts';
import { parseAt, readExtensions, writeExtensions, type Extension, type ExtensionContext } from './extensions.ts';
import { equalBytes } from './bytes.ts';

/** What the decoder must know to read an ambiguous body. */
export interface HandshakeContext {
  version: 'tls12' | 'tls13';
  /** TLS 1.2 key exchange, for ServerKeyExchange / ClientKeyExchange; without it they decode as 'opaque'. */
  keyExchange?: 'rsa' | 'ecdhe' | 'dhe';
}

// ---------------------------------------------------------------------------------------------------------
// Model

/** RFC 8446 4.1.2 / RFC 5246 7.4.1.2. `extensions` undefined = no extension block at all (TLS 1.2). */
export interface ClientHello {
  msg_type: 'client_hello';
  legacy_version: number;
  random: Uint8Array;
  legacy_session_id: Uint8Array;
  cipher_suites: number[];
  legacy_compression_methods: number[];
  extensions?: Extension[];
}

/** RFC 8446 4.1.3 / RFC 5246 7.4.1.3. `extensions` undefined = no extension block at all (TLS 1.2). */
export interface ServerHello {
  msg_type: 'server_hello';
  legacy_version: number;
  random: Uint8Array;
  legacy_session_id_echo: Uint8Array;
  cipher_suite: number;
  legacy_compression_method: number;
  extensions?: Extension[];
}

/** RFC 8446 4.1.3: a ServerHello whose random is HELLO_RETRY_REQUEST_RANDOM (which encode writes). */
export interface HelloRetryRequest {
  msg_type: 'hello_retry_request';
  legacy_version: number;
  legacy_session_id_echo: Uint8Array;
  cipher_suite: number;
  legacy_compression_method: number;
  extensions: Extension[];
}

export type NewSessionTicket =
  /** RFC 8446 4.6.1. */
  | {
      msg_type: 'new_session_ticket';
      form: 'tls13';
      ticket_lifetime: number;
      ticket_age_add: number;
      ticket_nonce: Uint8Array;
      ticket: Uint8Array;
      extensions: Extension[];
    }
  /** RFC 5077 3.3. */
  | { msg_type: 'new_session_ticket'; form: 'tls12'; ticket_lifetime_hint: number; ticket: Uint8Array };

/** RFC 8446 4.5. */
export interface EndOfEarlyData {
  msg_type: 'end_of_early_data';
}

/** RFC 8446 4.3.1. */
export interface EncryptedExtensions {
  msg_type: 'encrypted_extensions';
  extensions: Extension[];
}

/** RFC 8446 4.4.2 (cert_data is also the RawPublicKey ASN1_subjectPublicKeyInfo: the wire is the same). */
export interface CertificateEntry {
  cert_data: Uint8Array;
  extensions: Extension[];
}

export type Certificate =
  /** RFC 8446 4.4.2. */
  | { msg_type: 'certificate'; form: 'tls13'; certificate_request_context: Uint8Array; certificate_list: CertificateEntry[] }
  /** RFC 5246 7.4.2. */
  | { msg_type: 'certificate'; form: 'tls12'; certificate_list: Uint8Array[] };

/** RFC 5246 4.7 digitally-signed (TLS 1.2): SignatureAndHashAlgorithm then opaque signature<0..2^16-1>. */
export interface DigitallySigned {
  algorithm: number;
  signature: Uint8Array;
}

export type ServerKeyExchange =
  /** RFC 8422 5.4: ServerECDHParams (named_curve only) + signature (absent for ECDH_anon). */
  | {
      msg_type: 'server_key_exchange';
      form: 'ecdhe';
      curve_type: number;
      named_curve: number;
      public: Uint8Array;
      signature?: DigitallySigned;
    }
  /** RFC 5246 7.4.3: ServerDHParams + signature (absent for dh_anon). */
  | {
      msg_type: 'server_key_exchange';
      form: 'dhe';
      dh_p: Uint8Array;
      dh_g: Uint8Array;
      dh_Ys: Uint8Array;
      signature?: DigitallySigned;
    }
  /** Any other key exchange, or no key exchange given in the context: the body as bytes. */
  | { msg_type: 'server_key_exchange'; form: 'opaque'; body: Uint8Array };

export type CertificateRequest =
  /** RFC 5246 7.4.4. */
  | {
      msg_type: 'certificate_request';
      form: 'tls12';
      certificate_types: number[];
      supported_signature_algorithms: number[];
      certificate_authorities: Uint8Array[];
    }
  /** RFC 8446 4.3.2. */
  | { msg_type: 'certificate_request'; form: 'tls13'; certificate_request_context: Uint8Array; extensions: Extension[] };

/** RFC 5246 7.4.5. */
export interface ServerHelloDone {
  msg_type: 'server_hello_done';
}

/** RFC 8446 4.4.3 / RFC 5246 7.4.8 (same wire). */
export interface CertificateVerify {
  msg_type: 'certificate_verify';
  algorithm: number;
  signature: Uint8Array;
}

export type ClientKeyExchange =
  /** RFC 5246 7.4.7.1: EncryptedPreMasterSecret, opaque<0..2^16-1>. */
  | { msg_type: 'client_key_exchange'; form: 'rsa'; encrypted_pre_master_secret: Uint8Array }
  /** RFC 8422 5.7: ECPoint ecdh_Yc (opaque point<1..2^8-1>). */
  | { msg_type: 'client_key_exchange'; form: 'ecdhe'; ecdh_Yc: Uint8Array }
  /** RFC 5246 7.4.7.2: opaque dh_Yc<1..2^16-1>. */
  | { msg_type: 'client_key_exchange'; form: 'dhe'; dh_Yc: Uint8Array }
  /** No key exchange given in the context: the body as bytes. */
  | { msg_type: 'client_key_exchange'; form: 'opaque'; body: Uint8Array };

/** RFC 8446 4.4.4 / RFC 5246 7.4.9: verify_data is the whole body. */
export interface Finished {
  msg_type: 'finished';
  verify_data: Uint8Array;
}

/** RFC 8446 4.6.3. */
export interface KeyUpdate {
  msg_type: 'key_update';
  request_update: number;
}

/** RFC 8446 4.4.1: the synthetic message_hash message; its body is the hash of ClientHello1. */
export interface MessageHash {
  msg_type: 'message_hash';
  hash: Uint8Array;
}

/** RFC 5246 7.4.1.1. */
export interface HelloRequest {
  msg_type: 'hello_request';
}

/** Any other HandshakeType (or a known one sent as raw bytes on purpose): round-trips. */
export interface UnknownHandshake {
  msg_type: 'unknown';
  code: number;
  body: Uint8Array;
}

export type HandshakeMessage =
  | ClientHello
  | ServerHello
  | HelloRetryRequest
  | NewSessionTicket
  | EndOfEarlyData
  | EncryptedExtensions
  | Certificate
  | ServerKeyExchange
  | CertificateRequest
  | ServerHelloDone
  | CertificateVerify
  | ClientKeyExchange
  | Finished
  | KeyUpdate
  | MessageHash
  | HelloRequest
  | UnknownHandshake;

export type HandshakeMsgType = HandshakeMessage['msg_type'];

/** The RFC struct name of each message: the root of its field paths. */
export const HANDSHAKE_STRUCT_NAMES: Readonly<Record<HandshakeMsgType, string>> = {
  client_hello: 'ClientHello',
  server_hello: 'ServerHello',
  hello_retry_request: 'HelloRetryRequest',
  new_session_ticket: 'NewSessionTicket',
  end_of_early_data: 'EndOfEarlyData',
  encrypted_extensions: 'EncryptedExtensions',
  certificate: 'Certificate',
  server_key_exchange: 'ServerKeyExchange',
  certificate_request: 'CertificateRequest',
  server_hello_done: 'ServerHelloDone',
  certificate_verify: 'CertificateVerify',
  client_key_exchange: 'ClientKeyExchange',
  finished: 'Finished',
  key_update: 'KeyUpdate',
  message_hash: 'MessageHash',
  hello_request: 'HelloRequest',
  unknown: 'Handshake',
};

/** HandshakeType code of each parsed message (HelloRetryRequest is a ServerHello on the wire). */
const CODES: Readonly<Record<Exclude<HandshakeMsgType, 'unknown'>, number>> = {
  client_hello: HandshakeType.client_hello,
  server_hello: HandshakeType.server_hello,
  hello_retry_request: HandshakeType.server_hello,
  new_session_ticket: HandshakeType.new_session_ticket,
  end_of_early_data: HandshakeType.end_of_early_data,
  encrypted_extensions: HandshakeType.encrypted_extensions,
  certificate: HandshakeType.certificate,
  server_key_exchange: HandshakeType.server_key_exchange,
  certificate_request: HandshakeType.certificate_request,
  server_hello_done: HandshakeType.server_hello_done,
  certificate_verify: HandshakeType.certificate_verify,
  client_key_exchange: HandshakeType.client_key_exchange,
  finished: HandshakeType.finished,
  key_update: HandshakeType.key_update,
  message_hash: HandshakeType.message_hash,
  hello_request: HandshakeType.hello_request,
};

/** The HandshakeType codes this module parses; any other decodes as `unknown`. */
export const PARSED_HANDSHAKE_TYPES: ReadonlySet<number> = new Set(Object.values(CODES));

/** The wire HandshakeType of a message. */
export function handshakeCode(msg: HandshakeMessage): number {
  return msg.msg_type === 'unknown' ? msg.code : CODES[msg.msg_type];
}


// ---------------------------------------------------------------------------------------------------------
// Encoding

function writeSigned(w: Writer, s: DigitallySigned): void {
  w.within('signature', (sw) => {
    sw.u16(s.algorithm, 'algorithm');
    sw.opaque('signature', 2, s.signature);
  });
}

/** Write a message body (without the 4-byte header) at the writer's current path. */
export function writeHandshakeBody(w: Writer, msg: HandshakeMessage): void {
  switch (msg.msg_type) {
    case 'client_hello':
      // RFC 8446 4.1.2
      w.u16(msg.legacy_version, 'legacy_version');
      w.bytes(msg.random, 'random');
      w.opaque('legacy_session_id', 1, msg.legacy_session_id);
      w.list('cipher_suites', 2, msg.cipher_suites, (iw, s) => iw.u16(s));
      w.list('legacy_compression_methods', 1, msg.legacy_compression_methods, (iw, m) => iw.u8(m));
      if (msg.extensions !== undefined) writeExtensions(w, 'extensions', msg.extensions);
      return;
    case 'server_hello':
    case 'hello_retry_request':
      // RFC 8446 4.1.3
      w.u16(msg.legacy_version, 'legacy_version');
      w.bytes(msg.msg_type === 'server_hello' ? msg.random : HELLO_RETRY_REQUEST_RANDOM, 'random');
      w.opaque('legacy_session_id_echo', 1, msg.legacy_session_id_echo);
      w.u16(msg.cipher_suite, 'cipher_suite');
      w.u8(msg.legacy_compression_method, 'legacy_compression_method');
      if (msg.extensions !== undefined) writeExtensions(w, 'extensions', msg.extensions);
      return;
    case 'new_session_ticket':
      if (msg.form === 'tls13') {
        // RFC 8446 4.6.1
        w.u32(msg.ticket_lifetime, 'ticket_lifetime');
        w.u32(msg.ticket_age_add, 'ticket_age_add');
        w.opaque('ticket_nonce', 1, msg.ticket_nonce);
        w.opaque('ticket', 2, msg.ticket);
        writeExtensions(w, 'extensions', msg.extensions);
      } else {
        // RFC 5077 3.3
        w.u32(msg.ticket_lifetime_hint, 'ticket_lifetime_hint');
        w.opaque('ticket', 2, msg.ticket);
      }
      return;
    case 'end_of_early_data':
    case 'server_hello_done':
    case 'hello_request':
      return;
    case 'encrypted_extensions':
      writeExtensions(w, 'extensions', msg.extensions);
      return;
    case 'certificate':
      if (msg.form === 'tls13') {
        // RFC 8446 4.4.2
        w.opaque('certificate_request_context', 1, msg.certificate_request_context);
        w.list('certificate_list', 3, msg.certificate_list, (iw, e) => {
          iw.opaque('cert_data', 3, e.cert_data);
          writeExtensions(iw, 'extensions', e.extensions);
        });
      } else {
        // RFC 5246 7.4.2
        w.list('certificate_list', 3, msg.certificate_list, (iw, c) => iw.opaque('', 3, c));
      }
      return;
    case 'server_key_exchange':
      if (msg.form === 'ecdhe') {
        // RFC 8422 5.4
        w.u8(msg.curve_type, 'curve_type');
        w.u16(msg.named_curve, 'named_curve');
        w.opaque('public', 1, msg.public);
        if (msg.signature !== undefined) writeSigned(w, msg.signature);
      } else if (msg.form === 'dhe') {
        // RFC 5246 7.4.3
        w.opaque('dh_p', 2, msg.dh_p);
        w.opaque('dh_g', 2, msg.dh_g);
        w.opaque('dh_Ys', 2, msg.dh_Ys);
        if (msg.signature !== undefined) writeSigned(w, msg.signature);
      } else {
        w.bytes(msg.body, 'body');
      }
      return;
    case 'certificate_request':
      if (msg.form === 'tls13') {
        // RFC 8446 4.3.2
        w.opaque('certificate_request_context', 1, msg.certificate_request_context);
        writeExtensions(w, 'extensions', msg.extensions);
      } else {
        // RFC 5246 7.4.4
        w.list('certificate_types', 1, msg.certificate_types, (iw, t) => iw.u8(t));
        w.list('supported_signature_algorithms', 2, msg.supported_signature_algorithms, (iw, a) => iw.u16(a));
        w.list('certificate_authorities', 2, msg.certificate_authorities, (iw, dn) => iw.opaque('', 2, dn));
      }
      return;
    case 'certificate_verify':
      // RFC 8446 4.4.3
      w.u16(msg.algorithm, 'algorithm');
      w.opaque('signature', 2, msg.signature);
      return;
    case 'client_key_exchange':
      if (msg.form === 'rsa') w.opaque('encrypted_pre_master_secret', 2, msg.encrypted_pre_master_secret);
      else if (msg.form === 'ecdhe') w.opaque('ecdh_Yc', 1, msg.ecdh_Yc);
      else if (msg.form === 'dhe') w.opaque('dh_Yc', 2, msg.dh_Yc);
      else w.bytes(msg.body, 'body');
      return;
    case 'finished':
      w.bytes(msg.verify_data, 'verify_data');
      return;
    case 'key_update':
      w.u8(msg.request_update, 'request_update');
      return;
    case 'message_hash':
      w.bytes(msg.hash, 'hash');
      return;
    case 'unknown':
      w.bytes(msg.body, 'body');
      return;
  }
}

function writeHandshake(w: Writer, msg: HandshakeMessage): void {
  // RFC 8446 4: struct { HandshakeType msg_type; uint24 length; select (msg_type) {...}; } Handshake;
  w.u8(handshakeCode(msg), 'Handshake.msg_type');
  w.vec(HANDSHAKE_STRUCT_NAMES[msg.msg_type], 3, (b) => writeHandshakeBody(b, msg));
}

/** Encode a message with its 4-byte Handshake header. */
export function encodeHandshake(msg: HandshakeMessage, overrides?: EncodeOverrides): Uint8Array {
  const w = new Writer('', overrides);
  writeHandshake(w, msg);
  return w.finish();
}

/** Like `encodeHandshake`, also returning the byte span of every named field, by path (for mutators). */
export function encodeHandshakeWithSpans(
  msg: HandshakeMessage,
  overrides?: EncodeOverrides,
): { bytes: Uint8Array; spans: Map<string, Span>; unusedOverrides: string[] } {
  const w = new Writer('', overrides, true);
  writeHandshake(w, msg);
  // An override whose path met no length-prefixed region changed nothing: the caller reports it.
  const unusedOverrides = [
    ...Object.keys(overrides?.lengths ?? {}).filter((k) => !w.usedOverrides.has(`length:${k}`)).map((k) => `length ${k}`),
    ...Object.keys(overrides?.append ?? {}).filter((k) => !w.usedOverrides.has(`append:${k}`)).map((k) => `append ${k}`),
  ];
  return { bytes: w.finish(), spans: w.spans, unusedOverrides };
}

/** Encode a message body only (no header); paths start at the struct name. */
export function encodeHandshakeBody(msg: HandshakeMessage, overrides?: EncodeOverrides): Uint8Array {
  const w = new Writer(HANDSHAKE_STRUCT_NAMES[msg.msg_type], overrides);
  writeHandshakeBody(w, msg);
  return w.finish();
}

// ---------------------------------------------------------------------------------------------------------
// Decoding

/** An optional trailing extension block (RFC 5246 7.4.1.2: absent when no bytes follow). */
function readOptionalExtensions(r: Reader, ctx: ExtensionContext): Extension[] | undefined {
  if (r.remaining === 0) return undefined;
  // RFC 5246 7.4.1.2 / 7.4.1.3: Extension extensions<0..2^16-1>. RFC 8446 4.1.2/4.1.3 raise the floor to
  // 8 (CH) / 6 (SH), but the hellos decode the same in both versions (the version is negotiated by them):
  // the TLS 1.2 bound is used, and a TLS 1.3 endpoint checks for its mandatory extensions itself.
  return readExtensions(r, 'extensions', 0, 0xffff, ctx);
}

function readSigned(r: Reader): DigitallySigned | undefined {
  // RFC 5246 7.4.3 / RFC 8422 5.4: anonymous key exchanges carry no signature: nothing follows the params.
  if (r.remaining === 0) return undefined;
  const s = r.at('signature');
  const algorithm = s.u16('algorithm');
  // RFC 5246 4.7: digitally-signed = SignatureAndHashAlgorithm algorithm; opaque signature<0..2^16-1>
  const signature = s.opaque('signature', 2, 0, 0xffff);
  return { algorithm, signature };
}

function isHelloRetryRequest(body: Uint8Array): boolean {
  // RFC 8446 4.1.3: legacy_version (2 bytes), then random == HELLO_RETRY_REQUEST_RANDOM
  return body.length >= 34 && equalBytes(body.subarray(2, 34), HELLO_RETRY_REQUEST_RANDOM);
}

function readBody(code: number, r: Reader, ctx: HandshakeContext): HandshakeMessage {
  switch (code) {
    case HandshakeType.hello_request:
      // RFC 5246 7.4.1.1: struct { } HelloRequest;
      return { msg_type: 'hello_request' };
    case HandshakeType.client_hello: {
      // RFC 8446 4.1.2 / RFC 5246 7.4.1.2
      const legacy_version = r.u16('legacy_version');
      const random = r.bytes(32, 'random');
      // RFC 8446 4.1.2: opaque legacy_session_id<0..32>
      const legacy_session_id = r.opaque('legacy_session_id', 1, 0, 32);
      // RFC 8446 4.1.2: CipherSuite cipher_suites<2..2^16-2>
      const cipher_suites = r.list('cipher_suites', 2, 2, 0xfffe, (i) => i.u16());
      // RFC 8446 4.1.2: opaque legacy_compression_methods<1..2^8-1>
      const legacy_compression_methods = r.list('legacy_compression_methods', 1, 1, 0xff, (i) => i.u8());
      const extensions = readOptionalExtensions(r, 'client_hello');
      const msg: ClientHello = {
        msg_type: 'client_hello',
        legacy_version,
        random,
        legacy_session_id,
        cipher_suites,
        legacy_compression_methods,
      };
      if (extensions !== undefined) msg.extensions = extensions;
      return msg;
    }
    case HandshakeType.server_hello: {
      // RFC 8446 4.1.3 / RFC 5246 7.4.1.3
      const legacy_version = r.u16('legacy_version');
      const random = r.bytes(32, 'random');
      // RFC 8446 4.1.3: opaque legacy_session_id_echo<0..32>
      const legacy_session_id_echo = r.opaque('legacy_session_id_echo', 1, 0, 32);
      const cipher_suite = r.u16('cipher_suite');
      const legacy_compression_method = r.u8('legacy_compression_method');
      if (equalBytes(random, HELLO_RETRY_REQUEST_RANDOM)) {
        // RFC 8446 4.1.3: HelloRetryRequest; Extension extensions<6..2^16-1> (HRR is TLS 1.3 only, and
        // RFC 8446 4.1.4 requires supported_versions in it, so the block cannot be absent)
        const extensions = readExtensions(r, 'extensions', 6, 0xffff, 'hello_retry_request');
        return {
          msg_type: 'hello_retry_request',
          legacy_version,
          legacy_session_id_echo,
          cipher_suite,
          legacy_compression_method,
          extensions,
        };
      }
      const extensions = readOptionalExtensions(r, 'server_hello');
      const msg: ServerHello = {
        msg_type: 'server_hello',
        legacy_version,
        random,
        legacy_session_id_echo,
        cipher_suite,
        legacy_compression_method,
      };
      if (extensions !== undefined) msg.extensions = extensions;
      return msg;
    }
    case HandshakeType.new_session_ticket: {
      if (ctx.version === 'tls12') {
        // RFC 5077 3.3: uint32 ticket_lifetime_hint; opaque ticket<0..2^16-1>;
        const ticket_lifetime_hint = r.u32('ticket_lifetime_hint');
        return { msg_type: 'new_session_ticket', form: 'tls12', ticket_lifetime_hint, ticket: r.opaque('ticket', 2, 0, 0xffff) };
      }
      // RFC 8446 4.6.1
      const ticket_lifetime = r.u32('ticket_lifetime');
      const ticket_age_add = r.u32('ticket_age_add');
      // RFC 8446 4.6.1: opaque ticket_nonce<0..255>; opaque ticket<1..2^16-1>; Extension extensions<0..2^16-2>
      const ticket_nonce = r.opaque('ticket_nonce', 1, 0, 255);
      const ticket = r.opaque('ticket', 2, 1, 0xffff);
      const extensions = readExtensions(r, 'extensions', 0, 0xfffe, 'new_session_ticket');
      return { msg_type: 'new_session_ticket', form: 'tls13', ticket_lifetime, ticket_age_add, ticket_nonce, ticket, extensions };
    }
    case HandshakeType.end_of_early_data:
      // RFC 8446 4.5: struct {} EndOfEarlyData;
      return { msg_type: 'end_of_early_data' };
    case HandshakeType.encrypted_extensions:
      // RFC 8446 4.3.1: Extension extensions<0..2^16-1>
      return { msg_type: 'encrypted_extensions', extensions: readExtensions(r, 'extensions', 0, 0xffff, 'encrypted_extensions') };
    case HandshakeType.certificate: {
      if (ctx.version === 'tls12') {
        // RFC 5246 7.4.2: ASN.1Cert certificate_list<0..2^24-1>; opaque ASN.1Cert<1..2^24-1>
        const certificate_list = r.list('certificate_list', 3, 0, 0xffffff, (i) => i.opaque('', 3, 1, 0xffffff));
        return { msg_type: 'certificate', form: 'tls12', certificate_list };
      }
      // RFC 8446 4.4.2: opaque certificate_request_context<0..2^8-1>
      const certificate_request_context = r.opaque('certificate_request_context', 1, 0, 0xff);
      // RFC 8446 4.4.2: CertificateEntry certificate_list<0..2^24-1>
      const certificate_list = r.list('certificate_list', 3, 0, 0xffffff, (i) => ({
        // RFC 8446 4.4.2: opaque cert_data<1..2^24-1> (or ASN1_subjectPublicKeyInfo<1..2^24-1>)
        cert_data: i.opaque('cert_data', 3, 1, 0xffffff),
        // RFC 8446 4.4.2: Extension extensions<0..2^16-1>
        extensions: readExtensions(i, 'extensions', 0, 0xffff, 'certificate'),
      }));
      return { msg_type: 'certificate', form: 'tls13', certificate_request_context, certificate_list };
    }
    case HandshakeType.server_key_exchange: {
      if (ctx.keyExchange === 'ecdhe') {
        // RFC 8422 5.4: ECParameters { ECCurveType curve_type; select (curve_type) { case named_curve: ... } }
        const curve_type = r.u8('curve_type');
        // RFC 8422 5.4 / 5.1.1: only named_curve(3) may be used (explicit curves are deprecated)
        if (curve_type !== 3) r.fail(`curve_type ${curve_type} is not named_curve(3)`, 'curve_type', 'illegal_parameter');
        const named_curve = r.u16('named_curve');
        // RFC 8422 5.4: struct { opaque point <1..2^8-1>; } ECPoint;
        const pub = r.opaque('public', 1, 1, 0xff);
        const signature = readSigned(r);
        const msg: ServerKeyExchange = { msg_type: 'server_key_exchange', form: 'ecdhe', curve_type, named_curve, public: pub };
        if (signature !== undefined) msg.signature = signature;
        return msg;
      }
      if (ctx.keyExchange === 'dhe') {
        // RFC 5246 7.4.3: opaque dh_p<1..2^16-1>; opaque dh_g<1..2^16-1>; opaque dh_Ys<1..2^16-1>;
        const dh_p = r.opaque('dh_p', 2, 1, 0xffff);
        const dh_g = r.opaque('dh_g', 2, 1, 0xffff);
        const dh_Ys = r.opaque('dh_Ys', 2, 1, 0xffff);
        const signature = readSigned(r);
        const msg: ServerKeyExchange = { msg_type: 'server_key_exchange', form: 'dhe', dh_p, dh_g, dh_Ys };
        if (signature !== undefined) msg.signature = signature;
        return msg;
      }
      // RFC 5246 7.4.3: no ServerKeyExchange is defined for rsa; unknown key exchange: keep the bytes
      return { msg_type: 'server_key_exchange', form: 'opaque', body: r.rest() };
    }
    case HandshakeType.certificate_request: {
      if (ctx.version === 'tls12') {
        // RFC 5246 7.4.4: ClientCertificateType certificate_types<1..2^8-1>
        const certificate_types = r.list('certificate_types', 1, 1, 0xff, (i) => i.u8());
        // RFC 5246 7.4.4 writes supported_signature_algorithms<2^16-1> (no floor); the same vector in
        // 7.4.1.4.1 is <2..2^16-2>, which is used here (an empty list cannot be satisfied).
        const supported_signature_algorithms = r.list('supported_signature_algorithms', 2, 2, 0xfffe, (i) => i.u16());
        // RFC 5246 7.4.4: DistinguishedName certificate_authorities<0..2^16-1>; opaque DistinguishedName<1..2^16-1>
        const certificate_authorities = r.list('certificate_authorities', 2, 0, 0xffff, (i) => i.opaque('', 2, 1, 0xffff));
        return { msg_type: 'certificate_request', form: 'tls12', certificate_types, supported_signature_algorithms, certificate_authorities };
      }
      // RFC 8446 4.3.2: opaque certificate_request_context<0..2^8-1>; Extension extensions<2..2^16-1>
      const certificate_request_context = r.opaque('certificate_request_context', 1, 0, 0xff);
      const extensions = readExtensions(r, 'extensions', 2, 0xffff, 'certificate_request');
      return { msg_type: 'certificate_request', form: 'tls13', certificate_request_context, extensions };
    }
    case HandshakeType.server_hello_done:
      // RFC 5246 7.4.5: struct { } ServerHelloDone;
      return { msg_type: 'server_hello_done' };
    case HandshakeType.certificate_verify: {
      // RFC 8446 4.4.3: SignatureScheme algorithm; opaque signature<0..2^16-1>;
      const algorithm = r.u16('algorithm');
      return { msg_type: 'certificate_verify', algorithm, signature: r.opaque('signature', 2, 0, 0xffff) };
    }
    case HandshakeType.client_key_exchange:
      // RFC 5246 7.4.7.1: EncryptedPreMasterSecret, a public-key-encrypted value: opaque<0..2^16-1> (4.7)
      if (ctx.keyExchange === 'rsa') {
        return { msg_type: 'client_key_exchange', form: 'rsa', encrypted_pre_master_secret: r.opaque('encrypted_pre_master_secret', 2, 0, 0xffff) };
      }
      // RFC 8422 5.7: ECPoint ecdh_Yc; struct { opaque point <1..2^8-1>; } ECPoint;
      if (ctx.keyExchange === 'ecdhe') return { msg_type: 'client_key_exchange', form: 'ecdhe', ecdh_Yc: r.opaque('ecdh_Yc', 1, 1, 0xff) };
      // RFC 5246 7.4.7.2: opaque dh_Yc<1..2^16-1>;
      if (ctx.keyExchange === 'dhe') return { msg_type: 'client_key_exchange', form: 'dhe', dh_Yc: r.opaque('dh_Yc', 2, 1, 0xffff) };
      return { msg_type: 'client_key_exchange', form: 'opaque', body: r.rest() };
    case HandshakeType.finished:
      // RFC 8446 4.4.4: opaque verify_data[Hash.length] (length checked by the endpoint, which knows the hash)
      return { msg_type: 'finished', verify_data: r.rest() };
    case HandshakeType.key_update: {
      // RFC 8446 4.6.3: enum { update_not_requested(0), update_requested(1), (255) } KeyUpdateRequest;
      const request_update = r.u8('request_update');
      // RFC 8446 4.6.3: "If an implementation receives any other value, it MUST terminate the connection
      // with an "illegal_parameter" alert."
      if (request_update > 1) r.fail(`request_update ${request_update} is not 0 or 1`, 'request_update', 'illegal_parameter');
      return { msg_type: 'key_update', request_update };
    }
    case HandshakeType.message_hash:
      // RFC 8446 4.4.1: the body is Hash(ClientHello1)
      return { msg_type: 'message_hash', hash: r.rest() };
    default:
      return { msg_type: 'unknown', code, body: r.rest() };
  }
}

/** The struct name (path root) a body of HandshakeType `code` decodes under. */
export function structNameFor(code: number, body?: Uint8Array): string {
  if (code === HandshakeType.server_hello && body !== undefined && isHelloRetryRequest(body)) return 'HelloRetryRequest';
  for (const [name, c] of Object.entries(CODES)) if (c === code && name !== 'hello_retry_request') return HANDSHAKE_STRUCT_NAMES[name as HandshakeMsgType];
  return HANDSHAKE_STRUCT_NAMES.unknown;
}

/**
 * Decode a message body (without the 4-byte header) of HandshakeType `msgType`. `base` is the body's offset
 * in an enclosing buffer (for error offsets). Throws DecodeError only; bytes left over are a decode_error.
 */
export function decodeHandshakeBody(msgType: number, body: Uint8Array, ctx: HandshakeContext, base = 0): HandshakeMessage {
  return parseAt(body, structNameFor(msgType, body), base, (r) => {
    const msg = readBody(msgType, r, ctx);
    // RFC 8446 4 / 6.2: a message with bytes beyond its last field has the wrong length: decode_error
    r.end();
    return msg;
  });
}

/**
 * Decode exactly one Handshake message (4-byte header and body) from `bytes`. A truncated message or bytes
 * after it are a decode_error. Throws DecodeError only.
 */
export function decodeHandshake(bytes: Uint8Array, ctx: HandshakeContext): HandshakeMessage {
  const r = Reader.of(bytes, '');
  const code = r.u8('Handshake.msg_type');
  // RFC 8446 4: uint24 length; the body must be exactly that long
  const name = structNameFor(code, bytes.subarray(4));
  const body = r.vec(name, 3, 0, 0xffffff);
  const base = body.offset;
  const msg = decodeHandshakeBody(code, body.rest(), ctx, base);
  if (r.remaining !== 0) {
    throw new DecodeError('decode_error', 'Handshake', `${r.remaining} unexpected byte${r.remaining === 1 ? '' : 's'} after the message`, r.offset);
  }
  return msg;
}

/** Result-returning wrapper of `decodeHandshake`. */
export function tryDecodeHandshake(bytes: Uint8Array, ctx: HandshakeContext): Decoded<HandshakeMessage> {
  return decoded(() => decodeHandshake(bytes, ctx));
}

/** Result-returning wrapper of `decodeHandshakeBody`. */
export function tryDecodeHandshakeBody(msgType: number, body: Uint8Array, ctx: HandshakeContext): Decoded<HandshakeMessage> {
  return decoded(() => decodeHandshakeBody(msgType, body, ctx));
}
