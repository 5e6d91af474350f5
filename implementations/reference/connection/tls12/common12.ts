/**
 * TLS 1.2 pieces shared by the reference client and server (RFC 5246): which versions a config speaks,
 * decoding in the TLS 1.2 context, the key schedule (master secret, RFC 7627 extended master secret, key
 * block, Finished), signature scheme choice, the signed ServerKeyExchange params, the ClientHello
 * additions of a TLS 1.2-capable client, and the host interface the state machines drive an Endpoint through.
 */
import { CipherSuite, ExtensionType, ProtocolVersion, SignatureScheme, nameOf } from '../../codec/enums.ts';
import type { Extension } from '../../codec/extensions.ts';
import { decodeHandshakeBody, type HandshakeMessage } from '../../codec/handshake.ts';
import { DecodeError } from '../../codec/errors.ts';
import { concatBytes } from '../../codec/bytes.ts';
import type { CryptoProvider, PrivateKey, PublicKey, SignatureSchemeName } from '../../crypto/provider.ts';
import { suiteParams, type CipherSuiteParams } from '../../crypto/suites.ts';
import { createRecordProtection, type RecordProtection } from '../../crypto/record-protection.ts';
import { deriveKeyMaterial, extendedMasterSecret, finishedVerifyData, masterSecret } from '../../crypto/tls12-prf.ts';
import { schemesForKey } from '../../crypto/keys.ts';
import type { EndpointConfig, StoredSession12 } from '../config.ts';
import type { EndpointEvent, HandshakeSummary } from '../endpoint.ts';
import { TlsError, check } from '../errors.ts';
import { EC_GROUP_CODES, FFDHE_CODES } from '../groups.ts';
import type { Inbound } from '../record-layer.ts';
import type { RecordLayer } from '../record-layer.ts';
import type { Transcript } from '../transcript.ts';

/** What a TLS 1.2 state machine needs of its Endpoint. */
export interface Host12 {
  readonly config: EndpointConfig;
  readonly rl: RecordLayer;
  readonly transcript: Transcript;
  /** Send a handshake message and add it to the transcript. */
  send(msg: HandshakeMessage): Uint8Array;
  sendCcs(): void;
  sendAlert(description: number, level: number): void;
  emit(e: EndpointEvent): void;
  complete(summary: HandshakeSummary): void;
  /** Count a refused renegotiation (RFC 5746 4.2 / 4.4). */
  refusedRenegotiation(): void;
}

/** The TLS 1.2 state machine an Endpoint hands its records to once TLS 1.2 is negotiated. */
export interface Machine12 {
  readonly state: string;
  /** The handshake message types accepted in the current state (RFC 5246 7.4), checked before parsing. */
  expectedTypes(): readonly number[];
  onHandshake(item: Extract<Inbound, { kind: 'handshake' }>): void;
  onChangeCipherSpec(item: Extract<Inbound, { kind: 'change_cipher_spec' }>): void;
  onPostHandshake(item: Extract<Inbound, { kind: 'handshake' }>): void;
}

export const isTls12Suite = (code: number): boolean => suiteParams(code)?.version === 'TLS1.2';
export const isTls13Suite = (code: number): boolean => suiteParams(code)?.version === 'TLS1.3';

/**
 * The versions a config speaks: TLS 1.3 when maxVersion allows it and a TLS 1.3 suite is configured, TLS 1.2
 * when minVersion allows it and a TLS 1.2 suite is configured.
 */
export function versionsEnabled(c: EndpointConfig): { tls12: boolean; tls13: boolean } {
  return {
    tls13: c.maxVersion === 'TLSv1.3' && c.cipherSuites.some(isTls13Suite),
    tls12: c.minVersion === 'TLSv1.2' && c.cipherSuites.some(isTls12Suite),
  };
}

/** Decode one inbound handshake message in the TLS 1.2 context; a DecodeError becomes its alert (RFC 5246 7.2.2). */
export function decode12(item: Extract<Inbound, { kind: 'handshake' }>, keyExchange?: 'rsa' | 'ecdhe' | 'dhe'): HandshakeMessage {
  try {
    return decodeHandshakeBody(item.msg_type, item.body, { version: 'tls12', keyExchange });
  } catch (e) {
    if (e instanceof DecodeError) throw new TlsError(e.alert, 'RFC 5246 7.2.2', `${e.path}: ${e.reason}`);
    throw e;
  }
}

/**
 * RFC 5246 7.4: "The handshake protocol messages are presented below in the order they MUST be sent; sending
 * handshake messages in an unexpected order results in a fatal error." (7.2.2: unexpected_message).
 */
export function unexpected12(what: string, state: string): TlsError {
  return new TlsError('unexpected_message', 'RFC 5246 7.4', `${what} received in TLS 1.2 state ${state}`);
}

export const EC_GROUPS: readonly number[] = EC_GROUP_CODES;
export const FFDHE_GROUP_CODES: readonly number[] = FFDHE_CODES;

// ---- keys ------------------------------------------------------------------------------------------------

/** The negotiated TLS 1.2 suite: master secret, keys and Finished (RFC 5246 6.3, 7.4.9, 8.1; RFC 7627 4). */
export class Keys12 {
  constructor(
    readonly provider: CryptoProvider,
    readonly suite: CipherSuiteParams,
  ) {}

  /**
   * RFC 5246 8.1: master_secret = PRF(pre_master_secret, "master secret", ClientHello.random + ServerHello.random);
   * RFC 7627 4: with the extension, PRF(pre_master_secret, "extended master secret", session_hash).
   */
  master(pms: Uint8Array, clientRandom: Uint8Array, serverRandom: Uint8Array, sessionHash: Uint8Array | undefined): Uint8Array {
    return sessionHash
      ? extendedMasterSecret(this.provider, this.suite.prfHash, pms, sessionHash)
      : masterSecret(this.provider, this.suite.prfHash, pms, clientRandom, serverRandom);
  }

  /** RFC 5246 6.3: the key block, as record protection for each direction. */
  protections(master: Uint8Array, clientRandom: Uint8Array, serverRandom: Uint8Array, encryptThenMac: boolean): { client: RecordProtection; server: RecordProtection } {
    const km = deriveKeyMaterial(this.provider, this.suite, master, clientRandom, serverRandom);
    const opts = { encryptThenMac };
    return {
      client: createRecordProtection(this.provider, this.suite, { key: km.clientWriteKey, iv: km.clientWriteIv, macKey: km.clientWriteMacKey }, opts),
      server: createRecordProtection(this.provider, this.suite, { key: km.serverWriteKey, iv: km.serverWriteIv, macKey: km.serverWriteMacKey }, opts),
    };
  }

  /** RFC 5246 7.4.9: verify_data = PRF(master_secret, finished_label, Hash(handshake_messages))[0..11]. */
  finished(master: Uint8Array, sender: 'client' | 'server', handshakeHash: Uint8Array): Uint8Array {
    return finishedVerifyData(this.provider, this.suite.prfHash, master, sender, handshakeHash);
  }
}

// ---- signatures -----------------------------------------------------------------------------------------

/**
 * RFC 5246 7.4.1.4.1: a client that sends no signature_algorithms is taken to support {sha1, rsa} and
 * {sha1, ecdsa}. Used only with `legacySha1Signatures`: by default RFC 9155 (paraphrase: "if a TLS 1.2 client
 * sends no signature_algorithms extension, the server must abort with handshake_failure, except where no
 * digital signature is used") replaces this default.
 */
export const DEFAULT_TLS12_SCHEMES: readonly number[] = [SignatureScheme.rsa_pkcs1_sha1, SignatureScheme.ecdsa_sha1];

/** RFC 5246 7.4.1.4.1: HashAlgorithm none(0), md5(1), sha1(2), sha224(3), sha256(4), sha384(5), sha512(6). */
const PAIR_HASHES = ['none', 'md5', 'sha1', 'sha224', 'sha256', 'sha384', 'sha512'] as const;
/** RFC 5246 7.4.1.4.1: SignatureAlgorithm anonymous(0), rsa(1), dsa(2), ecdsa(3). */
const PAIR_SIGNATURES = ['anonymous', 'rsa', 'dsa', 'ecdsa'] as const;

/**
 * A code read as an RFC 5246 7.4.1.4.1 SignatureAndHashAlgorithm {hash, signature} pair (first byte the hash,
 * second the signature algorithm), when it is one: rsa_pkcs1_* and ecdsa_* (and the unallocated MD5, SHA-224
 * and DSA pairs); undefined for the schemes TLS 1.3 added (0x08xx: RSA-PSS, EdDSA).
 */
export function signaturePair(code: number): { hash: (typeof PAIR_HASHES)[number]; signature: (typeof PAIR_SIGNATURES)[number] } | undefined {
  const hash = PAIR_HASHES[code >> 8];
  const signature = PAIR_SIGNATURES[code & 0xff];
  return hash && signature ? { hash, signature } : undefined;
}

/**
 * Why a TLS 1.2 signature scheme must not be offered, listed, used or accepted; undefined when it may be.
 * RFC 8446 4.2.3 (TLS 1.3 implementations willing to negotiate TLS 1.2): "These algorithms are deprecated as
 * of TLS 1.3. They MUST NOT be offered or negotiated by any implementation. In particular, MD5 [SLOTH],
 * SHA-224, and DSA MUST NOT be used." RFC 9155 (paraphrase: "clients must not offer MD5 or SHA-1 in
 * signature_algorithms; servers must not list them in CertificateRequest"): SHA-1 too, unless
 * `legacySha1Signatures` restores it for testing legacy peers.
 */
export function refusedScheme12(code: number, legacySha1: boolean): { rule: string; reason: string } | undefined {
  const pair = signaturePair(code);
  if (!pair) return undefined;
  // RFC 5246 7.4.1.4.1: anonymous "MUST NOT appear in this extension".
  if (pair.signature === 'anonymous') return { rule: 'RFC 5246 7.4.1.4.1', reason: `{${pair.hash}, anonymous} is not a signature algorithm` };
  if (pair.hash === 'md5' || pair.hash === 'sha224' || pair.signature === 'dsa')
    return { rule: 'RFC 8446 4.2.3', reason: `{${pair.hash}, ${pair.signature}} is deprecated: MD5, SHA-224 and DSA must not be used` };
  if (pair.hash === 'sha1' && !legacySha1) return { rule: 'RFC 9155', reason: `{sha1, ${pair.signature}}: SHA-1 signatures are deprecated in TLS 1.2 (legacySha1Signatures restores them)` };
  return undefined;
}

/**
 * The TLS 1.2 signature schemes of a config, most preferred first: `signatureSchemes` without the refused ones
 * (refusedScheme12); with `legacySha1Signatures` the SHA-1 ones, and the RFC 5246 defaults {sha1, rsa} and
 * {sha1, ecdsa}, come last (RFC 8446 4.2.3: "Clients offering these values MUST list them as the lowest
 * priority"). What a TLS
 * 1.2-capable client offers in signature_algorithms, what a server lists in CertificateRequest, and what either
 * signs with.
 */
export function schemes12(c: EndpointConfig): number[] {
  const legacy = c.legacySha1Signatures === true;
  const allowed = c.signatureSchemes.filter((s) => refusedScheme12(s, legacy) === undefined);
  const isSha1 = (s: number) => signaturePair(s)?.hash === 'sha1';
  const list = allowed.filter((s) => !isSha1(s));
  if (legacy) for (const s of [...allowed.filter(isSha1), ...DEFAULT_TLS12_SCHEMES]) if (!list.includes(s)) list.push(s);
  return list;
}

export function schemeName12(code: number): SignatureSchemeName | undefined {
  const n = nameOf(SignatureScheme, code);
  return n.startsWith('unknown') ? undefined : (n as SignatureSchemeName);
}

/**
 * Whether `key` can make signatures of `scheme` in TLS 1.2. RSA: PKCS#1 v1.5 and PSS (RFC 8446 4.2.3: "In TLS
 * 1.2, RSASSA-PSS is used with RSA cipher suites"). ECDSA: any ECDSA scheme, whatever the curve (RFC 8446
 * 4.2.3: "ECDSA signature schemes align with TLS 1.2's ECDSA hash/signature pairs. However, the old semantics
 * did not constrain the signing curve."; RFC 8422 5.4: "SHA, in the above template for sha_hash, may denote a
 * hash algorithm other than SHA-1"). EdDSA: its own scheme (RFC 8422 5.1.3).
 */
export function keyCanUse(key: PrivateKey | PublicKey, scheme: number): boolean {
  const name = schemeName12(scheme);
  if (name === undefined) return false;
  if (key.kind === 'ec') return signaturePair(scheme)?.signature === 'ecdsa';
  return schemesForKey(key).includes(name);
}

/**
 * The scheme to sign with: of the schemes in `preference` that the peer accepts and the key can make, first one
 * whose ECDSA curve is the key's (the TLS 1.3 binding, what a peer expects most), else the first other one (an
 * ECDSA key with another hash, e.g. P-256 with ecdsa_secp384r1_sha384 when that is all the peer accepts).
 */
export function chooseScheme12(key: PrivateKey | PublicKey, peerAccepts: readonly number[], preference: readonly number[]): number | undefined {
  const usable = preference.filter((s) => peerAccepts.includes(s) && keyCanUse(key, s));
  const bound = new Set<string>(schemesForKey(key));
  return usable.find((s) => bound.has(schemeName12(s)!)) ?? usable[0];
}

/** RFC 8446 4.2.3: in TLS 1.2 an ECDSA scheme names only the hash; the curve is the key's. */
const TLS12_SIGNATURES = { ecdsaAnyCurve: true } as const;

/** A TLS 1.2 signature (ServerKeyExchange, CertificateVerify) with `scheme` as a TLS 1.2 scheme. */
export function sign12(provider: CryptoProvider, scheme: number, key: PrivateKey, content: Uint8Array): Uint8Array {
  return provider.sign(schemeName12(scheme)!, key, content, TLS12_SIGNATURES);
}

/** Verify a TLS 1.2 signature with `scheme` as a TLS 1.2 scheme (any ECDSA curve). */
export function verify12(provider: CryptoProvider, scheme: number, key: PublicKey, content: Uint8Array, signature: Uint8Array): boolean {
  const name = schemeName12(scheme);
  return name !== undefined && provider.verify(name, key, content, signature, TLS12_SIGNATURES);
}

/**
 * RFC 5246 7.4.2 / RFC 8422 5.3: the server certificate's key must fit the suite: RSA for RSA key exchange and
 * *_RSA suites, ECDSA (or, RFC 8422 5.10, EdDSA) for *_ECDSA suites.
 */
export function keyFitsSuite(key: PrivateKey | PublicKey, suite: CipherSuiteParams): boolean {
  if (suite.authentication === 'rsa') return key.kind === 'rsa';
  return key.kind === 'ec' || key.kind === 'ed25519' || key.kind === 'ed448';
}

// ---- ServerKeyExchange params ----------------------------------------------------------------------------

/** RFC 8422 5.4: ServerECDHParams = ECParameters (named_curve) || ECPoint. */
export function ecdheParams(group: number, point: Uint8Array): Uint8Array {
  return concatBytes(Uint8Array.of(3, group >> 8, group & 0xff, point.length), point);
}

const u16len = (b: Uint8Array) => concatBytes(Uint8Array.of(b.length >> 8, b.length & 0xff), b);

/** RFC 5246 7.4.3: ServerDHParams = dh_p<1..2^16-1> || dh_g<1..2^16-1> || dh_Ys<1..2^16-1>. */
export function dheParams(p: Uint8Array, g: Uint8Array, ys: Uint8Array): Uint8Array {
  return concatBytes(u16len(p), u16len(g), u16len(ys));
}

/** RFC 5246 7.4.3 / RFC 8422 5.4: the signed content: ClientHello.random + ServerHello.random + params. */
export function signedParams(clientRandom: Uint8Array, serverRandom: Uint8Array, params: Uint8Array): Uint8Array {
  return concatBytes(clientRandom, serverRandom, params);
}

export function bytesToBigint(b: Uint8Array): bigint {
  let x = 0n;
  for (const v of b) x = (x << 8n) | BigInt(v);
  return x;
}

export function bigintToBytes(x: bigint, len: number): Uint8Array {
  const out = new Uint8Array(len);
  for (let i = len - 1; i >= 0; i--) {
    out[i] = Number(x & 0xffn);
    x >>= 8n;
  }
  return out;
}

export function modPow(base: bigint, exp: bigint, mod: bigint): bigint {
  let r = 1n;
  base %= mod;
  while (exp > 0n) {
    if (exp & 1n) r = (r * base) % mod;
    base = (base * base) % mod;
    exp >>= 1n;
  }
  return r;
}

// ---- the client's TLS 1.2 offer --------------------------------------------------------------------------

export interface Offer12 {
  /** The TLS 1.2 cipher suites (and signalling values) to append after the TLS 1.3 ones. */
  cipherSuites: number[];
  /** The TLS 1.2 extensions to add to the ClientHello. */
  extensions: Extension[];
  /** The signature_algorithms to send (schemes12: no MD5 or SHA-1, RFC 9155), instead of `signatureSchemes`. */
  signatureSchemes: number[];
}

/**
 * What a TLS 1.2-capable client adds to its ClientHello: the TLS 1.2 suites; ec_point_formats (RFC 8422
 * 5.1.2, uncompressed) when an ECDHE suite is offered; extended_master_secret (RFC 7627 5.1); encrypt_then_mac
 * (RFC 7366 2) when a CBC suite is offered; session_ticket (RFC 5077 3.2, with the ticket when resuming by
 * ticket); and secure renegotiation signalling (RFC 5746 3.4: an empty renegotiation_info, or the SCSV).
 */
export function tls12Offer(c: EndpointConfig, session: StoredSession12 | undefined): Offer12 {
  const suites = c.cipherSuites.filter(isTls12Suite);
  const params = suites.map((s) => suiteParams(s)!);
  const extensions: Extension[] = [];
  if (params.some((p) => p.keyExchange === 'ecdhe')) extensions.push({ type: 'ec_point_formats', ec_point_format_list: [0] });
  if (c.extendedMasterSecret) extensions.push({ type: 'extended_master_secret' });
  if (c.encryptThenMac && params.some((p) => p.cipher.type === 'cbc')) extensions.push({ type: 'encrypt_then_mac' });
  if (c.sessionTickets12) extensions.push(session?.ticket ? { type: 'session_ticket', ticket: session.ticket } : { type: 'session_ticket' });
  if (!c.renegotiationScsv) extensions.push({ type: 'renegotiation_info', renegotiated_connection: new Uint8Array(0) });
  const cipherSuites = c.renegotiationScsv ? [...suites, CipherSuite.TLS_EMPTY_RENEGOTIATION_INFO_SCSV] : [...suites];
  // RFC 7507 4: a client retrying with a lower version than it supports sends TLS_FALLBACK_SCSV (configured as a suite).
  if (c.cipherSuites.includes(CipherSuite.TLS_FALLBACK_SCSV)) cipherSuites.push(CipherSuite.TLS_FALLBACK_SCSV);
  return { cipherSuites, extensions, signatureSchemes: schemes12(c) };
}

/** RFC 5246 7.4.1.4 / RFC 8446 4.2 table: the extensions a TLS 1.2 ServerHello may carry (in answer to ours). */
const E = ExtensionType;
export const ALLOWED_IN_SERVER_HELLO12: ReadonlySet<number> = new Set<number>([
  E.server_name, E.max_fragment_length, E.status_request, E.ec_point_formats, E.application_layer_protocol_negotiation,
  E.encrypt_then_mac, E.extended_master_secret, E.record_size_limit, E.session_ticket, E.renegotiation_info,
  E.signed_certificate_timestamp, E.heartbeat, E.use_srtp, E.client_certificate_type, E.server_certificate_type,
]);

export const TLS12 = ProtocolVersion.TLS1_2;

export function hex(b: Uint8Array): string {
  return Buffer.from(b).toString('hex');
}

/**
 * RFC 5246 7.1: the peer's ChangeCipherSpec, "a single byte of value 1", accepted only where the state machine
 * waits for it (`wait_ccs`); anywhere else it is an unexpected_message. It switches the read keys.
 */
export function acceptChangeCipherSpec(item: Extract<Inbound, { kind: 'change_cipher_spec' }>, state: string, rl: RecordLayer, readProt: RecordProtection | undefined): void {
  check(item.data.length === 1 && item.data[0] === 1, 'decode_error', 'RFC 5246 7.1', 'ChangeCipherSpec is not the single byte 1');
  if (state !== 'wait_ccs' || !readProt) throw new TlsError('unexpected_message', 'RFC 5246 7.1', `ChangeCipherSpec received in TLS 1.2 state ${state}`);
  rl.setReadProtection(readProt);
}
