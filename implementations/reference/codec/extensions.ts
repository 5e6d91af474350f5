/**
 * TLS extensions (RFC 8446 4.2, RFC 6066, RFC 5246 7.4.1.4, ...): the `Extension` struct and the bodies of
 * the extensions the harness understands.
 *
 * An extension's body depends on the message it is in (RFC 8446 4.2: "key_share" is a list of shares in a
 * ClientHello, one share in a ServerHello, a group in a HelloRetryRequest), so decoding takes an
 * `ExtensionContext`. Encoding needs no context: the form is chosen from the fields present.
 *
 * Any extension code this module does not parse, and any known extension in a context where the RFCs define
 * no form for it, decodes as `{ type: 'opaque', extension_type, extension_data }` and round-trips. A known
 * extension whose body selects a variant we do not know (a ServerName with a name_type other than host_name,
 * a status_request with a status_type other than ocsp) also decodes as opaque: its body cannot be parsed
 * any further. Duplicates and order are preserved: policing them is the endpoint's job (RFC 8446 4.2).
 *
 * Alerts: a body that does not match its form (wrong length, vector out of range, bytes left over, a body
 * where the RFC says empty) is a decode_error (RFC 8446 6.2). The values an RFC says to reject with
 * illegal_parameter on receipt are rejected here (max_fragment_length outside 1..4, RFC 6066 4;
 * record_size_limit below 64, RFC 8449 4); every other value check is the endpoint's.
 *
 * Paths: an extension list item is `<Struct>.extensions[i]`; its body is named by the extension's type, e.g.
 * `ClientHello.extensions[3].key_share.client_shares[0].key_exchange`; an opaque extension's body is
 * `<Struct>.extensions[i].extension_data`.
 */
import { Reader, type LenBytes } from './reader.ts';
import { Writer, type EncodeOverrides } from './writer.ts';
import { DecodeError, decoded, type Decoded } from './errors.ts';
import { ExtensionType, type ExtensionName } from './enums.ts';

/** The message an extension block is in (RFC 8446 4.2's CH, SH, HRR, EE, CR, NST, CT). */
export type ExtensionContext =
  | 'client_hello'
  | 'server_hello'
  | 'hello_retry_request'
  | 'encrypted_extensions'
  | 'certificate_request'
  | 'new_session_ticket'
  | 'certificate';

export const EXTENSION_CONTEXTS: readonly ExtensionContext[] = [
  'client_hello',
  'server_hello',
  'hello_retry_request',
  'encrypted_extensions',
  'certificate_request',
  'new_session_ticket',
  'certificate',
];

// ---------------------------------------------------------------------------------------------------------
// Model

/** RFC 6066 3: ServerName (only host_name(0) has a defined body). */
export interface ServerName {
  name_type: number;
  host_name: Uint8Array;
}

/** RFC 8446 4.2.8: KeyShareEntry. */
export interface KeyShareEntry {
  group: number;
  key_exchange: Uint8Array;
}

/** RFC 8446 4.2.11: PskIdentity. */
export interface PskIdentity {
  identity: Uint8Array;
  obfuscated_ticket_age: number;
}

/** RFC 8446 4.2.5: OIDFilter. */
export interface OidFilter {
  certificate_extension_oid: Uint8Array;
  certificate_extension_values: Uint8Array;
}

export type ServerNameExtension =
  /** client_hello: ServerNameList. */
  | { type: 'server_name'; server_name_list: ServerName[] }
  /** server_hello (TLS 1.2), encrypted_extensions: empty body (RFC 6066 3). */
  | { type: 'server_name'; server_name_list?: undefined };

export interface MaxFragmentLengthExtension {
  type: 'max_fragment_length';
  max_fragment_length: number;
}

export type StatusRequestExtension =
  /** client_hello, certificate_request: CertificateStatusRequest with status_type ocsp (RFC 6066 8). */
  | {
      type: 'status_request';
      status_type: number;
      responder_id_list: Uint8Array[];
      request_extensions: Uint8Array;
      response?: undefined;
    }
  /** certificate (CertificateEntry): CertificateStatus with status_type ocsp (RFC 8446 4.4.2.1, RFC 6066 8). */
  | { type: 'status_request'; status_type: number; response: Uint8Array; responder_id_list?: undefined }
  /** server_hello (TLS 1.2, RFC 6066 8), certificate_request (RFC 8446 4.4.2.1): empty body. */
  | { type: 'status_request'; status_type?: undefined; responder_id_list?: undefined; response?: undefined };

export interface SupportedGroupsExtension {
  type: 'supported_groups';
  named_group_list: number[];
}

export interface EcPointFormatsExtension {
  type: 'ec_point_formats';
  ec_point_format_list: number[];
}

export interface SignatureAlgorithmsExtension {
  type: 'signature_algorithms';
  supported_signature_algorithms: number[];
}

export interface SignatureAlgorithmsCertExtension {
  type: 'signature_algorithms_cert';
  supported_signature_algorithms: number[];
}

export interface AlpnExtension {
  type: 'application_layer_protocol_negotiation';
  protocol_name_list: Uint8Array[];
}

export interface PaddingExtension {
  type: 'padding';
  /** The whole body (RFC 7685 3: zero bytes; kept as bytes so non-zero padding round-trips). */
  padding: Uint8Array;
}

/** Extensions whose body is always empty (RFC 7366 2, RFC 7627 5.1, RFC 8446 4.2.6). */
export type EmptyExtension = { type: 'encrypt_then_mac' } | { type: 'extended_master_secret' } | { type: 'post_handshake_auth' };

export interface RecordSizeLimitExtension {
  type: 'record_size_limit';
  record_size_limit: number;
}

export type SessionTicketExtension =
  /** client_hello: the ticket, possibly empty (RFC 5077 3.2). */
  | { type: 'session_ticket'; ticket: Uint8Array }
  /** server_hello: empty (RFC 5077 3.2). */
  | { type: 'session_ticket'; ticket?: undefined };

export type PreSharedKeyExtension =
  /** client_hello: OfferedPsks. */
  | { type: 'pre_shared_key'; identities: PskIdentity[]; binders: Uint8Array[]; selected_identity?: undefined }
  /** server_hello: selected_identity. */
  | { type: 'pre_shared_key'; selected_identity: number; identities?: undefined; binders?: undefined };

export type EarlyDataExtension =
  /** new_session_ticket. */
  | { type: 'early_data'; max_early_data_size: number }
  /** client_hello, encrypted_extensions: empty. */
  | { type: 'early_data'; max_early_data_size?: undefined };

export type SupportedVersionsExtension =
  /** client_hello. */
  | { type: 'supported_versions'; versions: number[]; selected_version?: undefined }
  /** server_hello, hello_retry_request. */
  | { type: 'supported_versions'; selected_version: number; versions?: undefined };

export interface CookieExtension {
  type: 'cookie';
  cookie: Uint8Array;
}

export interface PskKeyExchangeModesExtension {
  type: 'psk_key_exchange_modes';
  ke_modes: number[];
}

export interface CertificateAuthoritiesExtension {
  type: 'certificate_authorities';
  authorities: Uint8Array[];
}

export interface OidFiltersExtension {
  type: 'oid_filters';
  filters: OidFilter[];
}

export type KeyShareExtension =
  /** client_hello: KeyShareClientHello. */
  | { type: 'key_share'; client_shares: KeyShareEntry[]; server_share?: undefined; selected_group?: undefined }
  /** server_hello: KeyShareServerHello. */
  | { type: 'key_share'; server_share: KeyShareEntry; client_shares?: undefined; selected_group?: undefined }
  /** hello_retry_request: KeyShareHelloRetryRequest. */
  | { type: 'key_share'; selected_group: number; client_shares?: undefined; server_share?: undefined };

export interface RenegotiationInfoExtension {
  type: 'renegotiation_info';
  renegotiated_connection: Uint8Array;
}

/** Any extension as raw bytes: unparsed codes, known codes out of context, or deliberate raw bodies. */
export interface OpaqueExtension {
  type: 'opaque';
  extension_type: number;
  extension_data: Uint8Array;
}

export type Extension =
  | ServerNameExtension
  | MaxFragmentLengthExtension
  | StatusRequestExtension
  | SupportedGroupsExtension
  | EcPointFormatsExtension
  | SignatureAlgorithmsExtension
  | SignatureAlgorithmsCertExtension
  | AlpnExtension
  | PaddingExtension
  | EmptyExtension
  | RecordSizeLimitExtension
  | SessionTicketExtension
  | PreSharedKeyExtension
  | EarlyDataExtension
  | SupportedVersionsExtension
  | CookieExtension
  | PskKeyExchangeModesExtension
  | CertificateAuthoritiesExtension
  | OidFiltersExtension
  | KeyShareExtension
  | RenegotiationInfoExtension
  | OpaqueExtension;

/** The extension names this module parses (a subset of `ExtensionName`). */
export type ParsedExtensionName = Exclude<Extension['type'], 'opaque'>;

// ---------------------------------------------------------------------------------------------------------
// Where each extension has a defined form: RFC 8446 4.2 (table) for TLS 1.3, plus the TLS 1.2 ServerHello
// forms (RFC 6066, RFC 5077, RFC 5746, RFC 7301, RFC 7366, RFC 7627, RFC 8422, RFC 8449).

const CH = 'client_hello';
const SH = 'server_hello';
const HRR = 'hello_retry_request';
const EE = 'encrypted_extensions';
const CR = 'certificate_request';
const NST = 'new_session_ticket';
const CT = 'certificate';

export const EXTENSION_FORMS: Readonly<Record<ParsedExtensionName, readonly ExtensionContext[]>> = {
  server_name: [CH, SH, EE],
  max_fragment_length: [CH, SH, EE],
  status_request: [CH, SH, CR, CT],
  supported_groups: [CH, EE],
  ec_point_formats: [CH, SH],
  signature_algorithms: [CH, CR],
  signature_algorithms_cert: [CH, CR],
  application_layer_protocol_negotiation: [CH, SH, EE],
  padding: [CH],
  encrypt_then_mac: [CH, SH],
  extended_master_secret: [CH, SH],
  record_size_limit: [CH, SH, EE],
  session_ticket: [CH, SH],
  pre_shared_key: [CH, SH],
  early_data: [CH, EE, NST],
  supported_versions: [CH, SH, HRR],
  cookie: [CH, HRR],
  psk_key_exchange_modes: [CH],
  certificate_authorities: [CH, CR],
  oid_filters: [CR],
  post_handshake_auth: [CH],
  key_share: [CH, SH, HRR],
  renegotiation_info: [CH, SH],
};

const NAME_BY_CODE = new Map<number, ParsedExtensionName>(
  (Object.keys(EXTENSION_FORMS) as ParsedExtensionName[]).map((n) => [ExtensionType[n], n]),
);

/** The extension name this codec parses `code` as in `ctx`, or undefined if it decodes as opaque there. */
export function parsedExtensionName(code: number, ctx: ExtensionContext): ParsedExtensionName | undefined {
  const name = NAME_BY_CODE.get(code);
  return name !== undefined && EXTENSION_FORMS[name].includes(ctx) ? name : undefined;
}

/** The wire code of an extension value. */
export function extensionCode(ext: Extension): number {
  return ext.type === 'opaque' ? ext.extension_type : ExtensionType[ext.type as ExtensionName];
}

// ---------------------------------------------------------------------------------------------------------
// Encoding

/** Write one `Extension` struct (RFC 8446 4.2) at the writer's current path. */
export function writeExtension(w: Writer, ext: Extension): void {
  if (ext.type === 'opaque') {
    w.u16(ext.extension_type, 'extension_type');
    // RFC 8446 4.2: opaque extension_data<0..2^16-1>
    w.opaque('extension_data', 2, ext.extension_data);
    return;
  }
  w.u16(ExtensionType[ext.type], 'extension_type');
  w.vec(ext.type, 2, (b) => writeExtensionBody(b, ext));
}

/** Write an extension list `Extension field<..>` (2-byte length; every extension block in TLS uses one). */
export function writeExtensions(w: Writer, field: string, exts: readonly Extension[]): void {
  w.list(field, 2, exts, (iw, e) => writeExtension(iw, e));
}

function u16s(w: Writer, field: string, lenBytes: LenBytes, values: readonly number[]): void {
  w.list(field, lenBytes, values, (iw, v) => iw.u16(v));
}

function u8s(w: Writer, field: string, values: readonly number[]): void {
  w.list(field, 1, values, (iw, v) => iw.u8(v));
}

function writeKeyShareEntry(w: Writer, e: KeyShareEntry): void {
  w.u16(e.group, 'group');
  // RFC 8446 4.2.8: opaque key_exchange<1..2^16-1>
  w.opaque('key_exchange', 2, e.key_exchange);
}

/** Write an extension's body (its extension_data, without the length) at the writer's current path. */
export function writeExtensionBody(w: Writer, ext: Extension): void {
  switch (ext.type) {
    case 'server_name':
      // RFC 6066 3: ServerName server_name_list<1..2^16-1>; HostName<1..2^16-1>. Empty in server messages.
      if (ext.server_name_list !== undefined) {
        w.list('server_name_list', 2, ext.server_name_list, (iw, n) => {
          iw.u8(n.name_type, 'name_type');
          iw.opaque('host_name', 2, n.host_name);
        });
      }
      return;
    case 'max_fragment_length':
      // RFC 6066 4: enum { 2^9(1), 2^10(2), 2^11(3), 2^12(4), (255) } MaxFragmentLength
      w.u8(ext.max_fragment_length, 'max_fragment_length');
      return;
    case 'status_request':
      if (ext.response !== undefined) {
        // RFC 6066 8: CertificateStatus { status_type; opaque OCSPResponse<1..2^24-1> }
        w.u8(ext.status_type, 'status_type');
        w.opaque('response', 3, ext.response);
      } else if (ext.responder_id_list !== undefined) {
        // RFC 6066 8: CertificateStatusRequest { status_type; OCSPStatusRequest }
        w.u8(ext.status_type, 'status_type');
        w.list('responder_id_list', 2, ext.responder_id_list, (iw, id) => iw.opaque('', 2, id));
        w.opaque('request_extensions', 2, ext.request_extensions);
      }
      return;
    case 'supported_groups':
      // RFC 8446 4.2.7: NamedGroup named_group_list<2..2^16-1>
      u16s(w, 'named_group_list', 2, ext.named_group_list);
      return;
    case 'ec_point_formats':
      // RFC 8422 5.1.2: ECPointFormat ec_point_format_list<1..2^8-1>
      u8s(w, 'ec_point_format_list', ext.ec_point_format_list);
      return;
    case 'signature_algorithms':
    case 'signature_algorithms_cert':
      // RFC 8446 4.2.3: SignatureScheme supported_signature_algorithms<2..2^16-2>
      u16s(w, 'supported_signature_algorithms', 2, ext.supported_signature_algorithms);
      return;
    case 'application_layer_protocol_negotiation':
      // RFC 7301 3.1: ProtocolName protocol_name_list<2..2^16-1>; opaque ProtocolName<1..2^8-1>
      w.list('protocol_name_list', 2, ext.protocol_name_list, (iw, p) => iw.opaque('', 1, p));
      return;
    case 'padding':
      w.bytes(ext.padding, 'padding');
      return;
    case 'encrypt_then_mac':
    case 'extended_master_secret':
    case 'post_handshake_auth':
      return;
    case 'record_size_limit':
      // RFC 8449 4: uint16 RecordSizeLimit
      w.u16(ext.record_size_limit, 'record_size_limit');
      return;
    case 'session_ticket':
      // RFC 5077 3.2: the ticket is the whole extension_data
      if (ext.ticket !== undefined) w.bytes(ext.ticket, 'ticket');
      return;
    case 'pre_shared_key':
      if (ext.identities !== undefined) {
        // RFC 8446 4.2.11: OfferedPsks
        w.list('identities', 2, ext.identities, (iw, id) => {
          iw.opaque('identity', 2, id.identity);
          iw.u32(id.obfuscated_ticket_age, 'obfuscated_ticket_age');
        });
        w.list('binders', 2, ext.binders ?? [], (iw, b) => iw.opaque('', 1, b));
      } else {
        w.u16(ext.selected_identity, 'selected_identity');
      }
      return;
    case 'early_data':
      // RFC 8446 4.2.10: uint32 max_early_data_size in NewSessionTicket, empty elsewhere
      if (ext.max_early_data_size !== undefined) w.u32(ext.max_early_data_size, 'max_early_data_size');
      return;
    case 'supported_versions':
      // RFC 8446 4.2.1: ProtocolVersion versions<2..254> (CH) / selected_version (SH, HRR)
      if (ext.versions !== undefined) u16s(w, 'versions', 1, ext.versions);
      else w.u16(ext.selected_version, 'selected_version');
      return;
    case 'cookie':
      // RFC 8446 4.2.2: opaque cookie<1..2^16-1>
      w.opaque('cookie', 2, ext.cookie);
      return;
    case 'psk_key_exchange_modes':
      // RFC 8446 4.2.9: PskKeyExchangeMode ke_modes<1..255>
      u8s(w, 'ke_modes', ext.ke_modes);
      return;
    case 'certificate_authorities':
      // RFC 8446 4.2.4: DistinguishedName authorities<3..2^16-1>; opaque DistinguishedName<1..2^16-1>
      w.list('authorities', 2, ext.authorities, (iw, dn) => iw.opaque('', 2, dn));
      return;
    case 'oid_filters':
      // RFC 8446 4.2.5: OIDFilter filters<0..2^16-1>
      w.list('filters', 2, ext.filters, (iw, f) => {
        iw.opaque('certificate_extension_oid', 1, f.certificate_extension_oid);
        iw.opaque('certificate_extension_values', 2, f.certificate_extension_values);
      });
      return;
    case 'key_share':
      // RFC 8446 4.2.8
      if (ext.client_shares !== undefined) w.list('client_shares', 2, ext.client_shares, writeKeyShareEntry);
      else if (ext.server_share !== undefined) w.within('server_share', (iw) => writeKeyShareEntry(iw, ext.server_share!));
      else w.u16(ext.selected_group, 'selected_group');
      return;
    case 'renegotiation_info':
      // RFC 5746 3.2: opaque renegotiated_connection<0..255>
      w.opaque('renegotiated_connection', 1, ext.renegotiated_connection);
      return;
    case 'opaque':
      w.bytes(ext.extension_data, 'extension_data');
      return;
  }
}

/**
 * Encode one `Extension` struct (type, length, body). Paths start at `root` (default `Extension`), so
 * `overrides.lengths['Extension.key_share']` forces the extension_data length.
 */
export function encodeExtension(ext: Extension, overrides?: EncodeOverrides, root = 'Extension'): Uint8Array {
  const w = new Writer(root, overrides);
  writeExtension(w, ext);
  return w.finish();
}

/** Encode just an extension's body (its extension_data, without type and length). */
export function encodeExtensionBody(ext: Extension, overrides?: EncodeOverrides): Uint8Array {
  const w = new Writer(ext.type === 'opaque' ? 'extension_data' : ext.type, overrides);
  writeExtensionBody(w, ext);
  return w.finish();
}

// ---------------------------------------------------------------------------------------------------------
// Decoding

/**
 * Parse `data` with a fresh reader whose path is `path`; a DecodeError from it gets its offset moved by
 * `base`, so offsets stay absolute in the enclosing buffer.
 */
export function parseAt<T>(data: Uint8Array, path: string, base: number, fn: (r: Reader) => T): T {
  try {
    return fn(Reader.of(data, path));
  } catch (e) {
    if (e instanceof DecodeError && base !== 0) throw new DecodeError(e.alert, e.path, e.reason, e.offset + base);
    throw e;
  }
}

function readU16s(r: Reader, field: string, lenBytes: LenBytes, min: number, max: number): number[] {
  return r.list(field, lenBytes, min, max, (i) => i.u16());
}

function readU8s(r: Reader, field: string, min: number, max: number): number[] {
  return r.list(field, 1, min, max, (i) => i.u8());
}

function readKeyShareEntry(r: Reader): KeyShareEntry {
  const group = r.u16('group');
  // RFC 8446 4.2.8: opaque key_exchange<1..2^16-1>
  const key_exchange = r.opaque('key_exchange', 2, 1, 0xffff);
  return { group, key_exchange };
}

function expectEmpty(r: Reader): void {
  // An extension whose body the RFC defines as empty: any byte in it is a length error (RFC 8446 6.2).
  if (r.remaining !== 0) r.fail(`body must be empty, has ${r.remaining} byte${r.remaining === 1 ? '' : 's'}`);
}

/**
 * Read an extension's body in `ctx`. Returns undefined when the body selects a variant with no defined form
 * (the caller then keeps it as opaque). Does not check for trailing bytes (the caller calls `end()`).
 */
function readBody(r: Reader, name: ParsedExtensionName, ctx: ExtensionContext): Extension | undefined {
  switch (name) {
    case 'server_name': {
      if (ctx !== CH) {
        // RFC 6066 3: "the "extension_data" field of this extension SHALL be empty" in the server's reply
        expectEmpty(r);
        return { type: name };
      }
      // RFC 6066 3: ServerName server_name_list<1..2^16-1>
      const list = r.vec('server_name_list', 2, 1, 0xffff);
      const server_name_list: ServerName[] = [];
      let unknownType = false;
      for (let i = 0; list.remaining > 0; i++) {
        const item = list.at(i);
        const name_type = item.u8('name_type');
        if (name_type !== 0) {
          // RFC 6066 3: "For backward compatibility, all future data structures associated with new NameTypes
          // MUST begin with a 16-bit length field." So another NameType is skipped by that length, and one whose
          // length runs past the list cannot be parsed: RFC 8446 6, "Peers which receive a message which cannot be
          // parsed according to the syntax [...] MUST terminate the connection with a "decode_error" alert."
          item.opaque('name', 2, 0, 0xffff);
          unknownType = true;
          continue;
        }
        // RFC 6066 3: opaque HostName<1..2^16-1>
        server_name_list.push({ name_type, host_name: item.opaque('host_name', 2, 1, 0xffff) });
      }
      // Only host_name(0) has a defined body: a list with another NameType stays opaque.
      if (unknownType) return undefined;
      return { type: name, server_name_list };
    }
    case 'max_fragment_length': {
      // RFC 6066 4: enum { 2^9(1), 2^10(2), 2^11(3), 2^12(4), (255) } MaxFragmentLength;
      const max_fragment_length = r.u8('max_fragment_length');
      // RFC 6066 4: "a maximum fragment length negotiation request for a value other than the allowed
      // values ... MUST abort the handshake with an "illegal_parameter" alert"
      if (max_fragment_length < 1 || max_fragment_length > 4) {
        r.fail(`max_fragment_length ${max_fragment_length} is not 1..4`, 'max_fragment_length', 'illegal_parameter');
      }
      return { type: name, max_fragment_length };
    }
    case 'status_request': {
      // RFC 6066 8 (TLS 1.2 ServerHello) / RFC 8446 4.4.2.1 (CertificateRequest): empty body
      if ((ctx === SH || ctx === CR) && r.remaining === 0) return { type: name };
      if (ctx === SH) expectEmpty(r);
      const status_type = r.u8('status_type');
      // RFC 6066 8: only ocsp(1) has a defined request/response
      if (status_type !== 1) return undefined;
      if (ctx === CT) {
        // RFC 6066 8: opaque OCSPResponse<1..2^24-1>
        return { type: name, status_type, response: r.opaque('response', 3, 1, 0xffffff) };
      }
      // RFC 6066 8: ResponderID responder_id_list<0..2^16-1>; opaque ResponderID<1..2^16-1>
      const responder_id_list = r.list('responder_id_list', 2, 0, 0xffff, (i) => i.opaque('', 2, 1, 0xffff));
      // RFC 6066 8: opaque Extensions<0..2^16-1>
      const request_extensions = r.opaque('request_extensions', 2, 0, 0xffff);
      return { type: name, status_type, responder_id_list, request_extensions };
    }
    case 'supported_groups':
      // RFC 8446 4.2.7: NamedGroup named_group_list<2..2^16-1>
      return { type: name, named_group_list: readU16s(r, 'named_group_list', 2, 2, 0xffff) };
    case 'ec_point_formats':
      // RFC 8422 5.1.2: ECPointFormat ec_point_format_list<1..2^8-1>
      return { type: name, ec_point_format_list: readU8s(r, 'ec_point_format_list', 1, 0xff) };
    case 'signature_algorithms':
    case 'signature_algorithms_cert':
      // RFC 8446 4.2.3: SignatureScheme supported_signature_algorithms<2..2^16-2>
      return {
        type: name,
        supported_signature_algorithms: readU16s(r, 'supported_signature_algorithms', 2, 2, 0xfffe),
      };
    case 'application_layer_protocol_negotiation':
      // RFC 7301 3.1: ProtocolName protocol_name_list<2..2^16-1>; opaque ProtocolName<1..2^8-1>
      // (in server messages the list must hold exactly one name: the endpoint checks that)
      return {
        type: name,
        protocol_name_list: r.list('protocol_name_list', 2, 2, 0xffff, (i) => i.opaque('', 1, 1, 0xff)),
      };
    case 'padding':
      // RFC 7685 3: the body is zero bytes (a receiver may check that they are zero; the codec keeps them)
      return { type: name, padding: r.rest() };
    case 'encrypt_then_mac': // RFC 7366 2: empty
    case 'extended_master_secret': // RFC 7627 5.1: empty
    case 'post_handshake_auth': // RFC 8446 4.2.6: empty
      expectEmpty(r);
      return { type: name };
    case 'record_size_limit': {
      // RFC 8449 4: uint16 RecordSizeLimit
      const record_size_limit = r.u16('record_size_limit');
      // RFC 8449 4: "An endpoint MUST treat receipt of a smaller value [than 64] as a fatal error and generate
      // an "illegal_parameter" alert."
      if (record_size_limit < 64) r.fail(`record_size_limit ${record_size_limit} is below 64`, 'record_size_limit', 'illegal_parameter');
      return { type: name, record_size_limit };
    }
    case 'session_ticket':
      if (ctx === SH) {
        // RFC 5077 3.2: the server's SessionTicket extension is empty
        expectEmpty(r);
        return { type: name };
      }
      // RFC 5077 3.2: the ClientHello's extension_data is the ticket (empty to ask for a new one)
      return { type: name, ticket: r.rest() };
    case 'pre_shared_key': {
      if (ctx === SH) return { type: name, selected_identity: r.u16('selected_identity') };
      // RFC 8446 4.2.11: PskIdentity identities<7..2^16-1>; opaque identity<1..2^16-1>
      const identities = r.list('identities', 2, 7, 0xffff, (i) => ({
        identity: i.opaque('identity', 2, 1, 0xffff),
        obfuscated_ticket_age: i.u32('obfuscated_ticket_age'),
      }));
      // RFC 8446 4.2.11: PskBinderEntry binders<33..2^16-1>; opaque PskBinderEntry<32..255>
      const binders = r.list('binders', 2, 33, 0xffff, (i) => i.opaque('', 1, 32, 255));
      return { type: name, identities, binders };
    }
    case 'early_data':
      // RFC 8446 4.2.10: uint32 max_early_data_size in NewSessionTicket; empty in CH and EE
      if (ctx === NST) return { type: name, max_early_data_size: r.u32('max_early_data_size') };
      expectEmpty(r);
      return { type: name };
    case 'supported_versions':
      // RFC 8446 4.2.1: ProtocolVersion versions<2..254> (CH); ProtocolVersion selected_version (SH, HRR)
      if (ctx === CH) return { type: name, versions: readU16s(r, 'versions', 1, 2, 254) };
      return { type: name, selected_version: r.u16('selected_version') };
    case 'cookie':
      // RFC 8446 4.2.2: opaque cookie<1..2^16-1>
      return { type: name, cookie: r.opaque('cookie', 2, 1, 0xffff) };
    case 'psk_key_exchange_modes':
      // RFC 8446 4.2.9: PskKeyExchangeMode ke_modes<1..255>
      return { type: name, ke_modes: readU8s(r, 'ke_modes', 1, 255) };
    case 'certificate_authorities':
      // RFC 8446 4.2.4: DistinguishedName authorities<3..2^16-1>; opaque DistinguishedName<1..2^16-1>
      return { type: name, authorities: r.list('authorities', 2, 3, 0xffff, (i) => i.opaque('', 2, 1, 0xffff)) };
    case 'oid_filters':
      // RFC 8446 4.2.5: OIDFilter filters<0..2^16-1>; opaque certificate_extension_oid<1..2^8-1>;
      // opaque certificate_extension_values<0..2^16-1>
      return {
        type: name,
        filters: r.list('filters', 2, 0, 0xffff, (i) => ({
          certificate_extension_oid: i.opaque('certificate_extension_oid', 1, 1, 0xff),
          certificate_extension_values: i.opaque('certificate_extension_values', 2, 0, 0xffff),
        })),
      };
    case 'key_share':
      // RFC 8446 4.2.8: KeyShareEntry client_shares<0..2^16-1> (CH); KeyShareEntry server_share (SH);
      // NamedGroup selected_group (HRR)
      if (ctx === CH) return { type: name, client_shares: r.list('client_shares', 2, 0, 0xffff, readKeyShareEntry) };
      if (ctx === SH) return { type: name, server_share: readKeyShareEntry(r.at('server_share')) };
      return { type: name, selected_group: r.u16('selected_group') };
    case 'renegotiation_info':
      // RFC 5746 3.2: opaque renegotiated_connection<0..255>
      return { type: name, renegotiated_connection: r.opaque('renegotiated_connection', 1, 0, 255) };
  }
}

/**
 * Decode an extension's body (extension_data, without type and length) for extension code `type` in `ctx`.
 * `path` names the body in errors (default: the extension's name, or `extension_data` if opaque); `base`
 * is the body's offset in an enclosing buffer, for error offsets. Throws DecodeError only.
 */
export function decodeExtensionBody(
  type: number,
  data: Uint8Array,
  ctx: ExtensionContext,
  path?: string,
  base = 0,
): Extension {
  const name = parsedExtensionName(type, ctx);
  const opaque = (): OpaqueExtension => ({ type: 'opaque', extension_type: type, extension_data: data.slice() });
  if (name === undefined) return opaque();
  return parseAt(data, path ?? name, base, (r) => {
    const ext = readBody(r, name, ctx);
    if (ext === undefined) return opaque();
    r.end();
    return ext;
  });
}

/** Read one `Extension` struct (RFC 8446 4.2) at the reader's path. */
export function readExtension(r: Reader, ctx: ExtensionContext): Extension {
  const code = r.u16('extension_type');
  const name = parsedExtensionName(code, ctx);
  // RFC 8446 4.2: opaque extension_data<0..2^16-1>
  const body = r.vec(name ?? 'extension_data', 2, 0, 0xffff);
  const base = body.offset;
  return decodeExtensionBody(code, body.rest(), ctx, body.path, base);
}

/** Read an extension list `Extension field<min..max>` (2-byte length). */
export function readExtensions(r: Reader, field: string, min: number, max: number, ctx: ExtensionContext): Extension[] {
  return r.list(field, 2, min, max, (i) => readExtension(i, ctx));
}

/** Decode exactly one `Extension` struct (type, length, body). Paths start at `root`. Throws DecodeError only. */
export function decodeExtension(bytes: Uint8Array, ctx: ExtensionContext, root = 'Extension'): Extension {
  const r = Reader.of(bytes, root);
  const ext = readExtension(r, ctx);
  r.end();
  return ext;
}

/**
 * Decode a whole extension block as it appears in a message: a 2-byte length then the extensions
 * (`Extension extensions<0..2^16-1>`). Paths start at `root` (`<root>.extensions[i]...`).
 */
export function decodeExtensions(bytes: Uint8Array, ctx: ExtensionContext, root = 'Extensions'): Extension[] {
  const r = Reader.of(bytes, root);
  const exts = readExtensions(r, 'extensions', 0, 0xffff, ctx);
  r.end();
  return exts;
}

/** Encode a whole extension block (2-byte length then the extensions), paths under `<root>.extensions`. */
export function encodeExtensions(exts: readonly Extension[], overrides?: EncodeOverrides, root = 'Extensions'): Uint8Array {
  const w = new Writer(root, overrides);
  writeExtensions(w, 'extensions', exts);
  return w.finish();
}

/** Result-returning wrapper of `decodeExtension`. */
export function tryDecodeExtension(bytes: Uint8Array, ctx: ExtensionContext): Decoded<Extension> {
  return decoded(() => decodeExtension(bytes, ctx));
}

/** Result-returning wrapper of `decodeExtensions`. */
export function tryDecodeExtensions(bytes: Uint8Array, ctx: ExtensionContext): Decoded<Extension[]> {
  return decoded(() => decodeExtensions(bytes, ctx));
}
