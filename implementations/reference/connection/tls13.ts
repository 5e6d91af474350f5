/**
 * TLS 1.3 pieces shared by the client and the server: the connection's secrets and the record protection
 * they make, extension-block checks, the CertificateVerify content, and signature scheme choice.
 */
import { AlertDescription, HandshakeType, SignatureScheme, nameOf, type AlertName } from '../codec/enums.ts';
import { decodeHandshakeBody, encodeHandshake, type HandshakeMessage } from '../codec/handshake.ts';
import { extensionCode, type Extension } from '../codec/extensions.ts';
import { DecodeError } from '../codec/errors.ts';
import type { CryptoProvider, HashName, PrivateKey, PublicKey, SignatureSchemeName } from '../crypto/provider.ts';
import { Tls13RecordProtection } from '../crypto/record-protection.ts';
import { suiteParams, type CipherSuiteParams } from '../crypto/suites.ts';
import { Tls13KeySchedule } from '../crypto/tls13-key-schedule.ts';
import { schemesForKey } from '../crypto/keys.ts';
import { TlsError, check } from './errors.ts';
import type { Inbound } from './record-layer.ts';
export { concatBytes, equalBytes } from '../codec/bytes.ts';

/** The negotiated TLS 1.3 suite: its parameters and a key schedule on its hash. */
export class Tls13Suite {
  readonly params: CipherSuiteParams;
  readonly hash: HashName;
  readonly ks: Tls13KeySchedule;
  constructor(
    readonly provider: CryptoProvider,
    readonly code: number,
  ) {
    const p = suiteParams(code);
    if (!p || p.version !== 'TLS1.3') throw new TlsError('handshake_failure', 'RFC 8446 4.1.1', `not a TLS 1.3 cipher suite: ${nameOf({}, code)}`, 'local');
    this.params = p;
    this.hash = p.prfHash;
    this.ks = new Tls13KeySchedule(provider, this.hash);
  }

  get hashLength(): number {
    return this.provider.hashLength(this.hash);
  }

  /** Record protection for one direction from a traffic secret (RFC 8446 7.3). */
  protection(trafficSecret: Uint8Array, maxInnerPlaintext?: number): Tls13RecordProtection {
    const k = this.ks.trafficKeys(trafficSecret, this.params.keyLength, 12);
    return new Tls13RecordProtection(this.provider, this.params, k.key, k.iv, { maxInnerPlaintext });
  }
}

/** Decode one inbound handshake message as TLS 1.3, turning a DecodeError into a TlsError. */
export function decode13(item: Extract<Inbound, { kind: 'handshake' }>): HandshakeMessage {
  try {
    return decodeHandshakeBody(item.msg_type, item.body, { version: 'tls13' });
  } catch (e) {
    if (e instanceof DecodeError) throw new TlsError(e.alert, 'RFC 8446 4', `${e.path}: ${e.reason}`);
    throw e;
  }
}

/** The message as it goes on the wire and into the transcript. */
export function raw(msg: HandshakeMessage): Uint8Array {
  return encodeHandshake(msg);
}

/** A handshake message of a type the state does not expect: RFC 8446 4 / 5, unexpected_message. */
export function unexpected(msg: { msg_type: string | number } | Inbound, state: string): TlsError {
  const what = 'msg_type' in msg ? String(msg.msg_type) : msg.kind;
  // RFC 8446 4.6.3: "Implementations that receive a KeyUpdate message prior to receiving a Finished message
  // MUST terminate the connection with an "unexpected_message" alert."
  if (what === 'key_update') return new TlsError('unexpected_message', 'RFC 8446 4.6.3', `key_update received in state ${state}, before Finished`);
  return new TlsError('unexpected_message', 'RFC 8446 4', `${what} received in state ${state}`);
}

export function findExt<T extends Extension['type']>(exts: readonly Extension[] | undefined, type: T): Extract<Extension, { type: T }> | undefined {
  return exts?.find((e) => e.type === type) as Extract<Extension, { type: T }> | undefined;
}

/**
 * Checks that apply to every extension block we receive:
 * - RFC 8446 4.2: "There MUST NOT be more than one extension of the same type in a given extension block."
 * - RFC 8446 4.2: "If an implementation receives an extension which it recognizes and which is not specified
 *   for the message in which it appears, it MUST abort the handshake with an "illegal_parameter" alert."
 *   (`allowed` lists the extension codes the RFCs define for that message; unknown codes are ignored.)
 * - RFC 8446 4.2: "Implementations MUST NOT send extension responses if the remote endpoint did not send the
 *   corresponding extension requests, with the exception of the "cookie" extension in the
 *   HelloRetryRequest. Upon receiving such an extension, an endpoint MUST abort the handshake with an
 *   "unsupported_extension" alert." (`offered`: the codes we sent; omit it for requests.)
 */
export function checkExtensions(
  exts: readonly Extension[] | undefined,
  where: string,
  allowed: ReadonlySet<number>,
  offered?: ReadonlySet<number>,
): void {
  const seen = new Set<number>();
  for (const e of exts ?? []) {
    const code = extensionCode(e);
    check(!seen.has(code), 'illegal_parameter', 'RFC 8446 4.2', `${where} has two ${extName(code)} extensions`);
    seen.add(code);
    if (!KNOWN_EXTENSION_CODES.has(code)) {
      // An extension we do not recognise: a response to nothing we offered is still unsolicited.
      if (offered) check(offered.has(code), 'unsupported_extension', 'RFC 8446 4.2', `${where} has unsolicited extension ${extName(code)}`);
      continue;
    }
    check(allowed.has(code), 'illegal_parameter', 'RFC 8446 4.2', `${extName(code)} is not allowed in ${where}`);
    if (offered) check(offered.has(code), 'unsupported_extension', 'RFC 8446 4.2', `${where} has unsolicited extension ${extName(code)}`);
  }
}

import { ExtensionType } from '../codec/enums.ts';
export const extName = (code: number): string => nameOf(ExtensionType, code);
const KNOWN_EXTENSION_CODES: ReadonlySet<number> = new Set(Object.values(ExtensionType));
const E = ExtensionType;

/** RFC 8446 4.2 table: where each TLS 1.3 extension may appear. */
export const ALLOWED_IN = {
  client_hello: new Set<number>([
    E.server_name, E.max_fragment_length, E.status_request, E.supported_groups, E.signature_algorithms, E.use_srtp, E.heartbeat,
    E.application_layer_protocol_negotiation, E.signed_certificate_timestamp, E.client_certificate_type, E.server_certificate_type,
    E.padding, E.key_share, E.pre_shared_key, E.psk_key_exchange_modes, E.early_data, E.cookie, E.supported_versions,
    E.certificate_authorities, E.oid_filters, E.post_handshake_auth, E.signature_algorithms_cert, E.record_size_limit,
    // TLS 1.2 extensions a dual-version ClientHello carries (RFC 8446 4.2 does not forbid them in ClientHello)
    E.ec_point_formats, E.encrypt_then_mac, E.extended_master_secret, E.session_ticket, E.renegotiation_info, E.compress_certificate,
  ]),
  server_hello: new Set<number>([E.key_share, E.pre_shared_key, E.supported_versions]),
  hello_retry_request: new Set<number>([E.key_share, E.cookie, E.supported_versions]),
  encrypted_extensions: new Set<number>([
    E.server_name, E.max_fragment_length, E.supported_groups, E.use_srtp, E.heartbeat, E.application_layer_protocol_negotiation,
    E.client_certificate_type, E.server_certificate_type, E.early_data, E.record_size_limit,
  ]),
  certificate_request: new Set<number>([
    E.status_request, E.signature_algorithms, E.signed_certificate_timestamp, E.certificate_authorities, E.oid_filters,
    E.signature_algorithms_cert,
  ]),
  certificate: new Set<number>([E.status_request, E.signed_certificate_timestamp]),
  new_session_ticket: new Set<number>([E.early_data]),
} as const;

/** RFC 8446 4.4.3: the content covered by a CertificateVerify signature. */
export function certificateVerifyContent(side: 'server' | 'client', transcriptHash: Uint8Array): Uint8Array {
  const context = new TextEncoder().encode(`TLS 1.3, ${side} CertificateVerify`);
  const out = new Uint8Array(64 + context.length + 1 + transcriptHash.length);
  out.fill(0x20, 0, 64);
  out.set(context, 64);
  out[64 + context.length] = 0;
  out.set(transcriptHash, 64 + context.length + 1);
  return out;
}

/** Schemes usable for a TLS 1.3 CertificateVerify: RFC 8446 4.4.3 forbids RSASSA-PKCS1-v1_5 and SHA-1. */
export function isTls13SignatureScheme(code: number): boolean {
  const name = nameOf(SignatureScheme, code);
  return !name.startsWith('rsa_pkcs1_') && !name.endsWith('sha1') && !name.startsWith('unknown');
}

export function schemeName(code: number): SignatureSchemeName | undefined {
  const n = nameOf(SignatureScheme, code);
  return n.startsWith('unknown') ? undefined : (n as SignatureSchemeName);
}

/** The first scheme in `preference` that `key` can make, that the peer accepts and that TLS 1.3 allows. */
export function chooseScheme(key: PrivateKey | PublicKey, peerAccepts: readonly number[], preference: readonly number[]): number | undefined {
  const canMake = new Set<number>(schemesForKey(key).map((n) => SignatureScheme[n as keyof typeof SignatureScheme]));
  return preference.find((s) => canMake.has(s) && peerAccepts.includes(s) && isTls13SignatureScheme(s));
}

export function alertName(code: number): AlertName | string {
  return nameOf(AlertDescription, code, 2);
}



export const HT = HandshakeType;
