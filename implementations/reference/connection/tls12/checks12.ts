/**
 * The TLS 1.2 checks on what the other side sends, written once (as checks13.ts is for TLS 1.3). The reference
 * client and server (client12.ts, server12.ts) and the harness's scripted TLS 1.2 peer (harness/engine/peer12.ts)
 * call the same functions, so a rule the reference enforces is a rule the harness checks on every target.
 *
 * Each function takes the received message and what the receiving side really sent (its ClientHello, its
 * CertificateRequest, the verify_data it expects), and throws a TlsError with the alert the RFC asks for and the
 * section that states the rule. Nothing here keeps state or drives a connection; the two premaster functions
 * compute a secret because the checks they make are part of computing it.
 *
 * `checkCertificateRequest12` binds only the sender (the server); the reference client does not call it.
 */
import { CipherSuite, ClientCertificateType, ExtensionType, NamedGroup, ProtocolVersion, nameOf } from '../../codec/enums.ts';
import { extensionCode } from '../../codec/extensions.ts';
import type { CertificateRequest, CertificateVerify, ClientHello, Finished, ServerHello, ServerKeyExchange } from '../../codec/handshake.ts';
import { concatBytes, constantTimeEqual, equalBytes } from '../../codec/bytes.ts';
import { CryptoError, type CryptoProvider, type KeyPair, type PrivateKey, type PublicKey } from '../../crypto/provider.ts';
import { KEY_USAGE, parseCertificateDer, validateChain, type Certificate } from '../../crypto/certificate.ts';
import { suiteParams, type CipherSuiteParams } from '../../crypto/suites.ts';
import { FFDHE_GROUPS } from '../../crypto/ffdhe.ts';
import { tls12DhePremasterSecret } from '../../crypto/noble/asymmetric.ts';
import { TlsError, check } from '../errors.ts';
import { checkDowngradeSentinel } from '../checks13.ts';
import { findExt } from '../tls13.ts';
import {
  ALLOWED_IN_SERVER_HELLO12,
  DEFAULT_TLS12_SCHEMES,
  EC_GROUPS,
  bytesToBigint,
  dheParams,
  ecdheParams,
  keyCanUse,
  keyFitsSuite,
  refusedScheme12,
  schemeName12,
  signedParams,
  verify12,
} from './common12.ts';

const hex4 = (n: number): string => `0x${n.toString(16).padStart(4, '0')}`;
const schemeLabel = (code: number): string => `${schemeName12(code) ?? 'unknown'} (${hex4(code)})`;
const KNOWN_EXTENSION_CODES: ReadonlySet<number> = new Set(Object.values(ExtensionType));

/**
 * The handshake before a renegotiation, as RFC 5746 3.4 / 3.6 ask both sides to save it: whether it set
 * secure_renegotiation, and then its client_verify_data and server_verify_data.
 */
export type PreviousHandshake12 = { secureRenegotiation: true; clientVerifyData: Uint8Array; serverVerifyData: Uint8Array } | { secureRenegotiation: false };

// ---- what the client sends, checked by the server ---------------------------------------------------------

export interface ClientHello12Context {
  /** The server speaks TLS 1.3 too: a fallback SCSV means the client could have had more (RFC 7507 3). */
  tls13Enabled: boolean;
  /** The ClientHello renegotiates a connection whose previous handshake this was (RFC 5746 3.7, 4.4). */
  renegotiation?: PreviousHandshake12;
}

/**
 * A ClientHello answered with TLS 1.2 (RFC 5246 7.4.1.2, RFC 7507, RFC 5746, RFC 8422 5.1.2). Returns whether the
 * connection has secure renegotiation (RFC 5746 3.6; in a renegotiation, what the previous handshake had).
 */
export function checkClientHello12(ch: ClientHello, ctx: ClientHello12Context): { secureRenegotiation: boolean } {
  const exts = ch.extensions ?? [];
  // RFC 5246 7.4.1.2: compression_methods "MUST contain, and all implementations MUST support,
  // CompressionMethod.null".
  check(ch.legacy_compression_methods.includes(0), 'illegal_parameter', 'RFC 5246 7.4.1.2', 'ClientHello does not offer the null compression method');
  // RFC 7507 3: TLS_FALLBACK_SCSV from a client offering less than our highest version: inappropriate_fallback.
  if (ctx.tls13Enabled) check(!ch.cipher_suites.includes(CipherSuite.TLS_FALLBACK_SCSV), 'inappropriate_fallback', 'RFC 7507 3', 'TLS_FALLBACK_SCSV with a version below our highest (TLS 1.3)');
  const reneg = findExt(exts, 'renegotiation_info');
  const scsv = ch.cipher_suites.includes(CipherSuite.TLS_EMPTY_RENEGOTIATION_INFO_SCSV);
  const prev = ctx.renegotiation;
  let secureRenegotiation: boolean;
  if (!prev) {
    if (reneg) {
      // RFC 5746 3.6: "The server MUST then verify that the length of the "renegotiated_connection" field is
      // zero, and if it is not, MUST abort the handshake" (handshake_failure).
      check(reneg.renegotiated_connection.length === 0, 'handshake_failure', 'RFC 5746 3.6', 'non-empty renegotiation_info in an initial ClientHello');
    }
    // RFC 5746 3.6: the SCSV or the extension set secure_renegotiation.
    secureRenegotiation = reneg !== undefined || scsv;
  } else {
    // RFC 5746 3.4: "later in Section 3, "abort the handshake" is used as shorthand for "send a fatal
    // handshake_failure alert and terminate the connection"." RFC 5746 3.7 (secure) and 4.4 (legacy): "When a
    // ClientHello is received, the server MUST verify that it does not contain the
    // TLS_EMPTY_RENEGOTIATION_INFO_SCSV SCSV. If the SCSV is present, the server MUST abort the handshake."
    const rule = prev.secureRenegotiation ? 'RFC 5746 3.7' : 'RFC 5746 4.4';
    check(!scsv, 'handshake_failure', rule, 'TLS_EMPTY_RENEGOTIATION_INFO_SCSV in a renegotiation ClientHello');
    if (prev.secureRenegotiation) {
      // RFC 5746 3.7: "The server MUST verify that the "renegotiation_info" extension is present; if it is not,
      // the server MUST abort the handshake."
      check(reneg, 'handshake_failure', 'RFC 5746 3.7', 'renegotiation ClientHello without renegotiation_info');
      // RFC 5746 3.7: "The server MUST verify that the value of the "renegotiated_connection" field is equal to
      // the saved client_verify_data value; if it is not, the server MUST abort the handshake."
      check(constantTimeEqual(reneg.renegotiated_connection, prev.clientVerifyData), 'handshake_failure', 'RFC 5746 3.7', 'renegotiation_info is not the saved client_verify_data');
    } else {
      // RFC 5746 4.4: "The server MUST verify that the "renegotiation_info" extension is not present; if it is,
      // the server MUST abort the handshake."
      check(!reneg, 'handshake_failure', 'RFC 5746 4.4', 'renegotiation_info in a renegotiation of a connection without secure renegotiation');
    }
    secureRenegotiation = prev.secureRenegotiation;
  }
  const pf = findExt(exts, 'ec_point_formats');
  // RFC 8422 5.1.2: "If the client sends the extension and the extension does not contain the uncompressed
  // point format, and the client has used the Supported Groups extension to indicate support for any of the
  // curves defined in this specification, then the server MUST abort the handshake and return an
  // illegal_parameter alert."
  if (pf && findExt(exts, 'supported_groups')?.named_group_list.some((g) => EC_GROUPS.includes(g))) {
    check(pf.ec_point_format_list.includes(0), 'illegal_parameter', 'RFC 8422 5.1.2', 'ec_point_formats without uncompressed');
  }
  return { secureRenegotiation };
}

/**
 * A ClientHello that offers to resume `session` (RFC 7627 5.3): "If the original session used the
 * "extended_master_secret" extension but the new ClientHello does not contain it, the server MUST abort the
 * abbreviated handshake."
 */
export function checkResumptionEms12(ch: ClientHello, session: { extendedMasterSecret: boolean }): void {
  const clientEms = findExt(ch.extensions, 'extended_master_secret') !== undefined;
  check(!session.extendedMasterSecret || clientEms, 'handshake_failure', 'RFC 7627 5.3', 'resumption of an extended-master-secret session without the extension');
}

export interface PeerChain12 {
  trustRoots: readonly Certificate[];
  now: Date;
  /** The name the server's leaf must carry (client side, when checked). */
  hostname?: string;
}

/** Parse a TLS 1.2 certificate_list (RFC 5246 7.4.2 / 7.4.6) and validate it against `roots` when given. */
function parseChain12(list: readonly Uint8Array[], who: 'server' | 'client', rule: string, roots: PeerChain12 | undefined): Certificate[] {
  // The messages name the server's "certificate 3" (as the client always did), the client's "client certificate 3".
  const label = who === 'server' ? 'certificate' : 'client certificate';
  const chain = list.map((der, i) => {
    let parsed: ReturnType<typeof parseCertificateDer>;
    try {
      parsed = parseCertificateDer(der, i);
    } catch (e) {
      // A malformed SubjectPublicKeyInfo makes node's X509Certificate.publicKey throw inside the parser:
      // still a certificate that cannot be used (RFC 5246 7.2.2 bad_certificate), not an internal error.
      throw new TlsError('bad_certificate', rule, `${label} ${i}: ${e instanceof Error ? e.message : String(e)}`);
    }
    if (!parsed.ok) throw new TlsError(parsed.alert, rule, `${label} ${i}: ${parsed.message}`);
    // RFC 5246 7.4.2 / 7.4.6: "The certificate type MUST be X.509v3, unless explicitly negotiated otherwise
    // (e.g., [TLSPGP])." (nothing else is negotiated here).
    check(parsed.value.version === 3, 'unsupported_certificate', rule, `${label} ${i} is X.509v${parsed.value.version}, not X.509v3`);
    return parsed.value;
  });
  if (roots) {
    const res = validateChain(chain, { ...roots, purpose: who === 'server' ? 'serverAuth' : 'clientAuth' });
    // RFC 5246 7.2.2: bad_certificate, unsupported_certificate, certificate_expired, unknown_ca, ...
    if (!res.ok) throw new TlsError(res.alert, rule, `${who} certificate: ${res.message}`);
  }
  return chain;
}

export interface ClientCertificate12Context {
  /** The certificate_types of the CertificateRequest sent (RFC 5246 7.4.4). */
  requestedCertTypes: readonly number[];
  /** Answer an empty Certificate with handshake_failure (RFC 5246 7.4.6 leaves it to the server). */
  requireClientCert: boolean;
  /** Validate the chain against these roots (clientAuth); omitted when the peer is not verified. */
  chain?: Omit<PeerChain12, 'hostname'>;
}

/** A leaf whose keyUsage extension, when present, does not allow digitalSignature: unsupported_certificate. */
function checkSigningUse(leaf: Certificate, rule: string, who: 'server' | 'client'): void {
  const ku = leaf.keyUsage;
  if (ku !== undefined) check((ku & KEY_USAGE.digitalSignature) !== 0, 'unsupported_certificate', rule, `the ${who} certificate's keyUsage does not allow digitalSignature (a signing key)`);
}

/** The client's Certificate in answer to our CertificateRequest (RFC 5246 7.4.6): the chain, leaf first, possibly empty. */
export function checkClientCertificate12(list: readonly Uint8Array[], ctx: ClientCertificate12Context): Certificate[] {
  if (list.length === 0) {
    // RFC 5246 7.4.6: "If the client does not send any certificates, the server MAY at its discretion either
    // continue the handshake without client authentication, or respond with a fatal handshake_failure alert."
    check(!ctx.requireClientCert, 'handshake_failure', 'RFC 5246 7.4.6', 'the client sent no certificate');
    return [];
  }
  const chain = parseChain12(list, 'client', 'RFC 5246 7.4.6', ctx.chain);
  const key = chain[0].publicKey;
  check(key, 'unsupported_certificate', 'RFC 5246 7.4.6', 'client key type not supported');
  // RFC 5246 7.4.6: "The end-entity certificate's public key (and associated restrictions) has to be compatible
  // with the certificate types listed in CertificateRequest" (RFC 8422 5.5: ecdsa_sign covers ECDSA and EdDSA
  // keys); a key of a type we did not ask for is an unsupported_certificate (RFC 5246 7.2.2).
  const certType = key.kind === 'rsa' ? ClientCertificateType.rsa_sign : ClientCertificateType.ecdsa_sign;
  check(ctx.requestedCertTypes.includes(certType), 'unsupported_certificate', 'RFC 5246 7.4.6', `a ${key.kind} client certificate, not of a requested type (${ctx.requestedCertTypes.join(', ')})`);
  // RFC 5246 7.4.6: rsa_sign: "RSA public key; the certificate MUST allow the key to be used for signing with the
  // signature scheme and hash algorithm that will be employed in the certificate verify message."; ecdsa_sign:
  // "ECDSA-capable public key; the certificate MUST allow the key to be used for signing with the hash algorithm
  // that will be employed in the certificate verify message" (RFC 5280 4.2.1.3: the digitalSignature bit, when
  // the keyUsage extension is present).
  checkSigningUse(chain[0], 'RFC 5246 7.4.6', 'client');
  return chain;
}

export interface CertificateVerify12Context {
  /** The supported_signature_algorithms of the CertificateRequest sent (RFC 5246 7.4.4). */
  requestedSchemes: readonly number[];
  /** The public key of the client's end-entity certificate. */
  key: PublicKey;
  /** handshake_messages: every handshake message from the ClientHello up to, not including, the CertificateVerify. */
  content: Uint8Array;
  provider: CryptoProvider;
  /** Accept SHA-1 signatures (RFC 9155 deprecates them; for testing legacy peers). */
  legacySha1: boolean;
}

/** The client's CertificateVerify (RFC 5246 7.4.8). */
export function checkCertificateVerify12(cv: CertificateVerify, ctx: CertificateVerify12Context): void {
  const scheme = schemeLabel(cv.algorithm);
  // RFC 9155 (paraphrase: MD5 and SHA-1 are deprecated for TLS 1.2 signatures) and RFC 8446 4.2.3 ("MD5
  // [SLOTH], SHA-224, and DSA MUST NOT be used"); the alert is RFC 5246 7.4.8's for a scheme not requested.
  const refused = refusedScheme12(cv.algorithm, ctx.legacySha1);
  if (refused) throw new TlsError('illegal_parameter', refused.rule, `client CertificateVerify signed with ${scheme}: ${refused.reason}`);
  // RFC 5246 7.4.8: "The hash and signature algorithms used in the signature MUST be one of those present in
  // the supported_signature_algorithms field of the CertificateRequest message. In addition, the hash and
  // signature algorithms MUST be compatible with the key in the client's end-entity certificate." (For
  // ECDSA any hash with any curve: RFC 8446 4.2.3, "the old semantics did not constrain the signing curve".)
  check(ctx.requestedSchemes.includes(cv.algorithm), 'illegal_parameter', 'RFC 5246 7.4.8', `client CertificateVerify scheme ${scheme} was not requested`);
  check(keyCanUse(ctx.key, cv.algorithm), 'illegal_parameter', 'RFC 5246 7.4.8', `scheme ${scheme} does not fit the client's key`);
  // RFC 5246 7.2.2: a signature that does not verify is a decrypt_error.
  check(verify12(ctx.provider, cv.algorithm, ctx.key, ctx.content, cv.signature), 'decrypt_error', 'RFC 5246 7.4.8', 'client CertificateVerify signature does not verify');
}

/**
 * RFC 5246 7.4.7.1's countermeasure to Bleichenbacher's attack, on the server: the premaster secret from an
 * EncryptedPreMasterSecret, with `r` the 48 random bytes made before decrypting. Never throws on a bad message:
 * a wrong secret surfaces only as a Finished that does not verify.
 */
export function rsaPremasterSecret(provider: CryptoProvider, key: PrivateKey & { kind: 'rsa' }, encrypted: Uint8Array, clientVersion: number, r: Uint8Array): Uint8Array {
  // RFC 5246 7.4.7.1: "1. Generate a string R of 48 random bytes 2. Decrypt the message to recover the
  // plaintext M 3. If the PKCS#1 padding is not correct, or the length of message M is not exactly 48 bytes:
  // pre_master_secret = R else If ClientHello.client_version <= TLS 1.0, and version number check is
  // explicitly disabled: premaster secret = M else If M[0..1] != ClientHello.client_version: premaster secret
  // = R else: premaster secret = M". R is made first and the choice is a byte-wise masked select: no branch,
  // alert or early return depends on the decryption; a wrong secret surfaces only as a Finished that
  // does not verify (decrypt_error / bad_record_mac).
  const m = provider.rsaDecrypt(key, encrypted) ?? new Uint8Array(0);
  const m48 = new Uint8Array(48);
  m48.set(m.subarray(0, 48));
  const v = clientVersion;
  let good = (m.length ^ 48) === 0 ? 1 : 0;
  good &= ((m48[0] ^ (v >> 8)) | (m48[1] ^ (v & 0xff))) === 0 ? 1 : 0;
  const mask = -good & 0xff;
  const out = new Uint8Array(48);
  for (let i = 0; i < 48; i++) out[i] = (m48[i] & mask) | (r[i] & ~mask & 0xff);
  return out;
}

/**
 * The ECDHE / DHE premaster secret of our key pair `kp` and the public value `peerPublic` that `peer` sent
 * (ClientKeyExchange on the server, ServerKeyExchange on the client), for a group the provider knows.
 */
export function agreedPremaster(provider: CryptoProvider, kp: KeyPair, peerPublic: Uint8Array, form: 'ecdhe' | 'dhe', peer: 'client' | 'server'): Uint8Array {
  let z: Uint8Array;
  try {
    z = provider.keyExchange(kp.group).sharedSecret(kp.privateKey, peerPublic);
  } catch (e) {
    // RFC 8422 5.11: points MUST be validated; an invalid one (or an all-zero X25519 result) is illegal_parameter.
    // RFC 7919 5.1: "Peers MUST validate each other's public key Y (dh_Ys offered by the server or dh_Yc offered
    // by the client) by ensuring that 1 < Y < p-1."
    if (e instanceof CryptoError) throw new TlsError('illegal_parameter', form === 'dhe' ? 'RFC 7919 5.1' : 'RFC 8422 5.11', `${peer} ${form.toUpperCase()} public value: ${e.message}`);
    throw e;
  }
  // RFC 5246 8.1.2: DHE strips leading zero bytes of Z; RFC 8422 5.10: ECDHE keeps the full x-coordinate.
  return form === 'dhe' ? tls12DhePremasterSecret(z) : z;
}

// ---- what the server sends, checked by the client ---------------------------------------------------------

export interface ServerHello12Context {
  /** The ClientHello the ServerHello answers, as sent. */
  clientHello: ClientHello;
  /** Its extension codes, with renegotiation_info when it carried the SCSV (RFC 5746 3.6 lets the server answer it). */
  offered: ReadonlySet<number>;
  /** The ClientHello offered TLS 1.3 too (RFC 8446 4.1.3 downgrade check). */
  offeredTls13: boolean;
  /** The ALPN protocols the ClientHello offered. */
  alpnOffered: readonly string[];
  /** The session the ClientHello offered to resume (by session ID or ticket). */
  session?: { cipherSuite: number; extendedMasterSecret: boolean };
  /** The ClientHello renegotiates a connection whose previous handshake this was (RFC 5746 3.5, 4.2). */
  renegotiation?: PreviousHandshake12;
}

export interface ServerHello12Result {
  suite: CipherSuiteParams;
  /** The server echoed the session ID of the offered session: an abbreviated handshake. */
  resumed: boolean;
  /** extended_master_secret (RFC 7627). */
  ems: boolean;
  /** encrypt_then_mac (RFC 7366). */
  etm: boolean;
  /** session_ticket: a NewSessionTicket comes before the server's ChangeCipherSpec (RFC 5077 3.3). */
  ticketExpected: boolean;
  secureRenegotiation: boolean;
  alpn?: string;
}

/** A TLS 1.2 ServerHello (RFC 5246 7.4.1.3, 7.4.1.4; RFC 5746, 7627, 7366, 8422, 7301; RFC 8446 4.1.3). */
export function checkServerHello12(sh: ServerHello, ctx: ServerHello12Context): ServerHello12Result {
  const ch = ctx.clientHello;
  // RFC 5246 E.1: a version the client does not support (below TLS 1.2 here) is a protocol_version alert.
  check(sh.legacy_version === ProtocolVersion.TLS1_2, 'protocol_version', 'RFC 5246 E.1', `ServerHello.server_version is 0x${sh.legacy_version.toString(16)}; this client speaks TLS 1.2 at the lowest`);
  // RFC 8446 4.1.3: a TLS 1.3 client checks the downgrade sentinels (checks13.ts).
  if (ctx.offeredTls13) checkDowngradeSentinel(sh.random);
  // RFC 5246 7.4.1.3: cipher_suite: "The single cipher suite selected by the server from the list in
  // ClientHello.cipher_suites."
  const suite = suiteParams(sh.cipher_suite);
  check(ch.cipher_suites.includes(sh.cipher_suite) && suite?.version === 'TLS1.2', 'illegal_parameter', 'RFC 5246 7.4.1.3', `ServerHello chose cipher suite ${nameOf(CipherSuite, sh.cipher_suite)}, not an offered TLS 1.2 suite`);
  // RFC 5246 7.4.1.3: compression_method: "The single compression algorithm selected by the server from the list
  // in ClientHello.compression_methods." (null only).
  check(sh.legacy_compression_method === 0, 'illegal_parameter', 'RFC 5246 7.4.1.3', `ServerHello chose compression method ${sh.legacy_compression_method}, not offered`);

  const exts = sh.extensions ?? [];
  const seen = new Set<number>();
  for (const e of exts) {
    const code = extensionCode(e);
    // RFC 5246 7.4.1.4: "There MUST NOT be more than one extension of the same type."
    check(!seen.has(code), 'illegal_parameter', 'RFC 5246 7.4.1.4', `ServerHello has two ${nameOf(ExtensionType, code)} extensions`);
    seen.add(code);
    // RFC 5246 7.4.1.4: "If a client receives an extension type in ServerHello that it did not request in the
    // associated ClientHello, it MUST abort the handshake with an unsupported_extension fatal alert."
    check(ctx.offered.has(code), 'unsupported_extension', 'RFC 5246 7.4.1.4', `ServerHello has unsolicited extension ${nameOf(ExtensionType, code)}`);
    // An extension we offered that has no meaning in a TLS 1.2 ServerHello (key_share, pre_shared_key, ...).
    check(ALLOWED_IN_SERVER_HELLO12.has(code) || !KNOWN_EXTENSION_CODES.has(code), 'illegal_parameter', 'RFC 5246 7.4.1.4', `${nameOf(ExtensionType, code)} is not allowed in a TLS 1.2 ServerHello`);
  }
  const reneg = findExt(exts, 'renegotiation_info');
  const prev = ctx.renegotiation;
  // RFC 5746 3.4, the alert of every abort below: "later in Section 3, "abort the handshake" is used as
  // shorthand for "send a fatal handshake_failure alert and terminate the connection"."
  if (!prev) {
    // RFC 5746 3.4: "If the extension is present, set the secure_renegotiation flag to TRUE. The client MUST
    // then verify that the length of the "renegotiated_connection" field is zero, and if it is not, MUST abort
    // the handshake (by sending a fatal handshake_failure alert)."
    if (reneg) check(reneg.renegotiated_connection.length === 0, 'handshake_failure', 'RFC 5746 3.4', 'non-empty renegotiation_info in the initial handshake');
  } else if (prev.secureRenegotiation) {
    // RFC 5746 3.5: "When a ServerHello is received, the client MUST verify that the "renegotiation_info"
    // extension is present; if it is not, the client MUST abort the handshake."
    check(reneg, 'handshake_failure', 'RFC 5746 3.5', 'renegotiation ServerHello without renegotiation_info');
    // RFC 5746 3.5: "The client MUST then verify that the first half of the "renegotiated_connection" field is
    // equal to the saved client_verify_data value, and the second half is equal to the saved server_verify_data
    // value. If they are not, the client MUST abort the handshake."
    const expected = concatBytes(prev.clientVerifyData, prev.serverVerifyData);
    check(constantTimeEqual(reneg.renegotiated_connection, expected), 'handshake_failure', 'RFC 5746 3.5', 'renegotiation_info is not the saved client_verify_data + server_verify_data');
  } else {
    // RFC 5746 4.2: "When the ServerHello is received, the client MUST verify that it does not contain the
    // "renegotiation_info" extension. If it does, the client MUST abort the handshake."
    check(!reneg, 'handshake_failure', 'RFC 5746 4.2', 'renegotiation_info in a renegotiation of a connection without secure renegotiation');
  }
  const ems = findExt(exts, 'extended_master_secret') !== undefined;
  const etm = findExt(exts, 'encrypt_then_mac') !== undefined;
  const pf = findExt(exts, 'ec_point_formats');
  if (pf) {
    // RFC 8422 5.2: "The Supported Point Formats Extension, when used, MUST contain the value 0 (uncompressed)
    // as one of the items in the list of point formats."
    check(pf.ec_point_format_list.includes(0), 'illegal_parameter', 'RFC 8422 5.2', 'ServerHello ec_point_formats lacks uncompressed');
  }
  let alpn: string | undefined;
  const alpnExt = findExt(exts, 'application_layer_protocol_negotiation');
  if (alpnExt) {
    // RFC 7301 3.1: exactly one protocol, one the client offered.
    check(alpnExt.protocol_name_list.length === 1, 'illegal_parameter', 'RFC 7301 3.1', `server ALPN lists ${alpnExt.protocol_name_list.length} protocols`);
    alpn = new TextDecoder().decode(alpnExt.protocol_name_list[0]);
    check(ctx.alpnOffered.includes(alpn), 'illegal_parameter', 'RFC 7301 3.1', `server selected ALPN '${alpn}', not offered`);
  }
  // RFC 7366 3 (paraphrase, the text is not in rfc/: a server that selects an AEAD or stream suite must not send
  // the encrypt_then_mac extension back).
  if (etm) check(suite.cipher.type === 'cbc', 'illegal_parameter', 'RFC 7366 3', 'encrypt_then_mac answered for an AEAD suite');

  const session = ctx.session;
  const echo = sh.legacy_session_id_echo;
  const sameId = echo.length > 0 && equalBytes(echo, ch.legacy_session_id);
  const out = { suite, resumed: false, ems, etm, ticketExpected: findExt(exts, 'session_ticket') !== undefined, secureRenegotiation: prev ? prev.secureRenegotiation : reneg !== undefined, alpn };
  if (sameId && session) {
    // RFC 5246 7.4.1.2 / RFC 5077 3.4: the server echoed our session ID: it resumes the offered session. RFC 5246
    // 7.4.1.3: cipher_suite: "For resumed sessions, this field is the value from the state of the session being
    // resumed."
    check(sh.cipher_suite === session.cipherSuite, 'illegal_parameter', 'RFC 5246 7.4.1.3', 'resumed session with a different cipher suite');
    // RFC 7627 5.3: "If the original session did not use the "extended_master_secret" extension but the new
    // ServerHello contains the extension, the client MUST abort the handshake." / "If the original session used
    // the extension but the new ServerHello does not contain the extension, the client MUST abort the handshake."
    check(ems === session.extendedMasterSecret, 'handshake_failure', 'RFC 7627 5.3', `resumption with extended_master_secret ${ems ? 'added' : 'dropped'}`);
    return { ...out, resumed: true };
  }
  // RFC 5246 7.4.1.3: a server that is not resuming sends a new session ID; echoing one we made up (for
  // middlebox compatibility, or for a ticket) claims a session we do not have.
  check(!sameId, 'illegal_parameter', 'RFC 5246 7.4.1.3', 'ServerHello echoes a session ID the client has no session for');
  return out;
}

export interface ServerCertificate12Context {
  /** The suite the ServerHello chose. */
  suite: CipherSuiteParams;
  /** Validate the chain against these roots (serverAuth); omitted when the peer is not verified. */
  chain?: PeerChain12;
  /** The ClientHello sent: an ECDSA leaf's curve must be in its supported_groups (RFC 5246 7.4.2, RFC 8422 5.3). */
  clientHello?: ClientHello;
}

/** The server's Certificate (RFC 5246 7.4.2): the parsed chain, leaf first. */
export function checkServerCertificate12(list: readonly Uint8Array[], ctx: ServerCertificate12Context): Certificate[] {
  // RFC 5246 7.4.2: the server's certificate_list carries at least the server certificate (every suite
  // here is authenticated); an empty one cannot be used.
  check(list.length > 0, 'bad_certificate', 'RFC 5246 7.4.2', 'empty server Certificate');
  const chain = parseChain12(list, 'server', 'RFC 5246 7.4.2', ctx.chain);
  const key = chain[0].publicKey;
  check(key, 'unsupported_certificate', 'RFC 5246 7.4.2', `server key type not supported: ${chain[0].publicKeyError ?? ''}`);
  // RFC 5246 7.4.2: "The certificate MUST be appropriate for the negotiated cipher suite's key exchange algorithm
  // and any negotiated extensions." (RSA for RSA and *_RSA, ECDSA/EdDSA for *_ECDSA, RFC 8422 5.3).
  check(keyFitsSuite(key, ctx.suite), 'unsupported_certificate', 'RFC 5246 7.4.2', `a ${key.kind} certificate does not fit ${ctx.suite.name}`);
  // RFC 5246 7.4.2: "RSA public key; the certificate MUST allow the key to be used for encryption (the
  // keyEncipherment bit MUST be set if the key usage extension is present)."
  const ku = chain[0].keyUsage;
  if (ctx.suite.keyExchange === 'rsa' && ku !== undefined)
    check((ku & KEY_USAGE.keyEncipherment) !== 0, 'unsupported_certificate', 'RFC 5246 7.4.2', 'the server certificate\'s keyUsage does not allow keyEncipherment (RSA key exchange)');
  // RFC 5246 7.4.2: DHE_RSA, ECDHE_RSA: "RSA public key; the certificate MUST allow the key to be used for signing
  // (the digitalSignature bit MUST be set if the key usage extension is present) with the signature scheme and
  // hash algorithm that will be employed in the server key exchange message."; ECDHE_ECDSA: "ECDSA-capable public
  // key; the certificate MUST allow the key to be used for signing with the hash algorithm that will be employed
  // in the server key exchange message."
  if (ctx.suite.keyExchange === 'ecdhe' || ctx.suite.keyExchange === 'dhe') checkSigningUse(chain[0], 'RFC 5246 7.4.2', 'server');
  // RFC 5246 7.4.2: ECDHE_ECDSA: "The public key MUST use a curve and point format supported by the client, as
  // described in [TLSECC]." RFC 8422 5.3: "If the client has used a Supported Elliptic Curves Extension, the
  // public key in the server's certificate MUST respect the client's choice of elliptic curves." (The point is
  // uncompressed, which RFC 8422 5.1.2 makes every client support; EdDSA keys name no group.)
  const groups = findExt(ctx.clientHello?.extensions, 'supported_groups')?.named_group_list;
  if (key.kind === 'ec' && groups)
    check(groups.includes(NamedGroup[key.curve]), 'unsupported_certificate', 'RFC 5246 7.4.2', `the server certificate's key is on ${key.curve}, not in the client's supported_groups`);
  return chain;
}

export interface ServerKeyExchange12Context {
  /** The ClientHello, as sent: its random, supported_groups and signature_algorithms. */
  clientHello: ClientHello;
  serverRandom: Uint8Array;
  /** The public key of the server's end-entity certificate. */
  serverKey: PublicKey;
  provider: CryptoProvider;
  /** Accept SHA-1 signatures (RFC 9155 deprecates them; for testing legacy peers). */
  legacySha1: boolean;
}

export interface ServerKeyExchange12Result {
  /** The named group: the ECDHE curve, or the RFC 7919 group whose p and g the DHE params carry (undefined for another group). */
  group?: number;
  /** The ServerECDHParams / ServerDHParams as signed. */
  params: Uint8Array;
  /** The signature scheme. */
  scheme: number;
}

/** A signed ECDHE or DHE ServerKeyExchange (RFC 5246 7.4.3, RFC 8422 5.4, RFC 7919). */
export function checkServerKeyExchange12(ske: Extract<ServerKeyExchange, { form: 'ecdhe' | 'dhe' }>, ctx: ServerKeyExchange12Context): ServerKeyExchange12Result {
  const ch = ctx.clientHello;
  let params: Uint8Array;
  let group: number | undefined;
  if (ske.form === 'ecdhe') {
    // RFC 8422 5.4 / 5.1.1: the curve must be one the client offered in supported_groups. RFC 8422 4: "A client
    // that proposes ECC cipher suites may choose not to include these extensions.  In this case, the server is
    // free to choose any one of the elliptic curves or point formats listed in Section 5." So without the
    // extension any curve the codec knows (Section 5.1.1's list) is accepted.
    const sent = findExt(ch.extensions, 'supported_groups');
    const offered = sent ? sent.named_group_list : EC_GROUPS;
    check(offered.includes(ske.named_curve) && EC_GROUPS.includes(ske.named_curve), 'illegal_parameter', 'RFC 8422 5.4', `ServerKeyExchange curve ${ske.named_curve} was not offered`);
    params = ecdheParams(ske.named_curve, ske.public);
    group = ske.named_curve;
  } else {
    params = dheParams(ske.dh_p, ske.dh_g, ske.dh_Ys);
    const p = bytesToBigint(ske.dh_p);
    const g = bytesToBigint(ske.dh_g);
    const known = Object.values(FFDHE_GROUPS).find((f) => f.p === p && f.g === g);
    group = known?.codePoint;
    // RFC 7919 3 / 5.1 (and RFC 5246 F.1.1.3): an unknown group must at least be large enough and its
    // generator and the server's public value in range: 1 < g < p-1, 1 < Ys < p-1.
    if (!known) {
      check(ske.dh_p.length >= 256 && (p & 1n) === 1n, 'insufficient_security', 'RFC 7919 3', `DHE group of ${p.toString(2).length} bits: at least 2048 required`);
      check(g > 1n && g < p - 1n, 'illegal_parameter', 'RFC 7919 5.1', 'DHE generator out of range');
    }
    const ys = bytesToBigint(ske.dh_Ys);
    // RFC 7919 5.1: "Peers MUST validate each other's public key Y (dh_Ys offered by the server or dh_Yc offered
    // by the client) by ensuring that 1 < Y < p-1."
    check(ys > 1n && ys < p - 1n, 'illegal_parameter', 'RFC 7919 5.1', 'DHE server public value out of range');
  }
  const sig = ske.signature;
  // RFC 5246 7.4.3: a signed key exchange carries digitally-signed params (not anonymous).
  check(sig, 'decode_error', 'RFC 5246 7.4.3', 'ServerKeyExchange without a signature');
  const scheme = schemeLabel(sig.algorithm);
  // RFC 9155 (paraphrase: MD5 and SHA-1 are deprecated for TLS 1.2 signatures) and RFC 8446 4.2.3 ("MD5
  // [SLOTH], SHA-224, and DSA MUST NOT be used"): refused whatever the ClientHello said (a shapeExtensions
  // hook may have offered it). The alert is RFC 5246 7.4.3's for a pair the client does not accept:
  // illegal_parameter, "A field in the handshake was out of range or inconsistent with other fields" (7.2.2).
  const refused = refusedScheme12(sig.algorithm, ctx.legacySha1);
  if (refused) throw new TlsError('illegal_parameter', refused.rule, `ServerKeyExchange signed with ${scheme}: ${refused.reason}`);
  // RFC 5246 7.4.3: "If the client has offered the "signature_algorithms" extension, the signature algorithm
  // and hash algorithm MUST be a pair listed in that extension." (what the ClientHello really carried; without
  // the extension, 7.4.1.4.1's default {sha1, rsa} / {sha1, ecdsa}, refused above unless legacySha1).
  const offered = findExt(ch.extensions, 'signature_algorithms')?.supported_signature_algorithms ?? DEFAULT_TLS12_SCHEMES;
  check(offered.includes(sig.algorithm), 'illegal_parameter', 'RFC 5246 7.4.1.4.1', `ServerKeyExchange scheme ${scheme} was not offered`);
  // RFC 5246 7.4.3: "In addition, the hash and signature algorithms MUST be compatible with the key in the
  // server's end-entity certificate."; for ECDSA any hash with any curve (RFC 8446 4.2.3: "the old semantics
  // did not constrain the signing curve").
  check(keyCanUse(ctx.serverKey, sig.algorithm), 'illegal_parameter', 'RFC 5246 7.4.3', `scheme ${scheme} does not fit the server's key`);
  // RFC 5246 7.2.2: decrypt_error: "A handshake cryptographic operation failed, including being unable to
  // correctly verify a signature".
  const content = signedParams(ch.random, ctx.serverRandom, params);
  check(verify12(ctx.provider, sig.algorithm, ctx.serverKey, content, sig.signature), 'decrypt_error', 'RFC 5246 7.4.3', 'ServerKeyExchange signature does not verify');
  return { group, params, scheme: sig.algorithm };
}

/**
 * A CertificateRequest (RFC 5246 7.4.4) as the rules that bind its sender judge it: no MD5 or SHA-1 scheme (RFC 9155,
 * paraphrase: "servers must not list them in CertificateRequest"), no MD5, SHA-224 or DSA (RFC 8446 4.2.3: "MD5
 * [SLOTH], SHA-224, and DSA MUST NOT be used"), no anonymous (RFC 5246 7.4.1.4.1). The RFCs do not ask the client
 * to abort on one; the reference client does not call this (it just never signs with such a scheme), the harness
 * judges a target server with it.
 */
export function checkCertificateRequest12(cr: Extract<CertificateRequest, { form: 'tls12' }>, legacySha1 = false): void {
  for (const code of cr.supported_signature_algorithms) {
    const refused = refusedScheme12(code, legacySha1);
    if (refused) throw new TlsError('illegal_parameter', refused.rule, `CertificateRequest lists ${schemeLabel(code)}: ${refused.reason}`);
  }
}

// ---- both sides -------------------------------------------------------------------------------------------

/** A Finished from `side` (RFC 5246 7.4.9), against the verify_data the receiver computed. */
export function checkFinished12(fin: Finished, expected: Uint8Array, side: 'client' | 'server'): void {
  // RFC 5246 7.4.9: verify_data is 12 bytes for every suite here; another length cannot be decoded.
  check(fin.verify_data.length === 12, 'decode_error', 'RFC 5246 7.4.9', `Finished.verify_data of ${fin.verify_data.length} bytes, expected 12`);
  // RFC 5246 7.4.9: "Recipients of Finished messages MUST verify that the contents are correct"; a wrong
  // verify_data is a decrypt_error (RFC 5246 7.2.2).
  check(constantTimeEqual(fin.verify_data, expected), 'decrypt_error', 'RFC 5246 7.4.9', `${side} Finished verify_data is wrong`);
}
