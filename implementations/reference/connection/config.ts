/**
 * Configuration of a reference endpoint (client or server). Everything that makes a handshake vary is
 * here and injectable: randomness, ephemeral keys, the clock, ticket contents. Deterministic mode (RFC 8448
 * replays, fixed-seed tests) sets them; the defaults use the provider's randomness and the system clock.
 */
import { CipherSuite, NamedGroup, SignatureScheme } from '../codec/enums.ts';
import type { CryptoProvider, PrivateKey } from '../crypto/provider.ts';
import type { Certificate } from '../crypto/certificate.ts';
import type { Extension } from '../codec/extensions.ts';
import type { TicketState } from './tickets.ts';
import { nodeProvider } from '../crypto/node/index.ts';

/** A certificate chain (leaf first, DER) with the leaf's private key. */
export interface CertifiedKey {
  chain: Uint8Array[];
  key: PrivateKey;
  /** The parsed leaf. */
  leaf: Certificate;
}

/** What a client keeps of a session to resume it (RFC 8446 4.6.1). */
export interface StoredTicket {
  ticket: Uint8Array;
  /** The resumption PSK derived from resumption_master_secret and ticket_nonce. */
  psk: Uint8Array;
  cipherSuite: number;
  /** ms since the epoch when the ticket was received (by the injected clock). */
  receivedAt: number;
  lifetimeSeconds: number;
  ageAdd: number;
  maxEarlyData: number;
  alpn?: string;
  serverName?: string;
}

/** What a client keeps of a TLS 1.2 session to resume it (RFC 5246 7.4.1.2 by session ID, RFC 5077 3.4 by ticket). */
export interface StoredSession12 {
  /** The session ID the server gave (may be empty when only a ticket was issued). */
  sessionId: Uint8Array;
  /** RFC 5077 3.3: the ticket, when the server issued a non-empty one. */
  ticket?: Uint8Array;
  masterSecret: Uint8Array;
  cipherSuite: number;
  /** RFC 7627 5.3: whether the session used the extended master secret. */
  extendedMasterSecret: boolean;
  /** ms since the epoch when the session was stored (by the injected clock). */
  receivedAt: number;
  /** RFC 5077 3.3 ticket_lifetime_hint, seconds (0: unspecified). */
  lifetimeSeconds: number;
  alpn?: string;
  serverName?: string;
}

export interface SessionStore {
  get(serverName: string): StoredTicket | undefined;
  put(serverName: string, t: StoredTicket): void;
  /** TLS 1.2 sessions (optional: a store without them never resumes TLS 1.2). */
  get12?(serverName: string): StoredSession12 | undefined;
  put12?(serverName: string, s: StoredSession12): void;
}

export class MemorySessionStore implements SessionStore {
  private readonly m = new Map<string, StoredTicket>();
  private readonly m12 = new Map<string, StoredSession12>();
  get(k: string): StoredTicket | undefined {
    return this.m.get(k);
  }
  put(k: string, t: StoredTicket): void {
    this.m.set(k, t);
  }
  get12(k: string): StoredSession12 | undefined {
    return this.m12.get(k);
  }
  put12(k: string, s: StoredSession12): void {
    this.m12.set(k, s);
  }
}

/** A server's TLS 1.2 session state (kept in the session cache, or sealed in a ticket). */
export interface ServerSession12 {
  masterSecret: Uint8Array;
  cipherSuite: number;
  extendedMasterSecret: boolean;
  /** ms since the epoch, by the server's clock, when the session was made. */
  createdAt: number;
  lifetimeSeconds: number;
  alpn: string;
  serverName: string;
}

/** RFC 5246 7.4.1.2: the server's session cache, keyed by session ID (hex). */
export interface SessionCache12 {
  get(sessionIdHex: string): ServerSession12 | undefined;
  put(sessionIdHex: string, s: ServerSession12): void;
}

export class MemorySessionCache12 implements SessionCache12 {
  private readonly m = new Map<string, ServerSession12>();
  get(k: string): ServerSession12 | undefined {
    return this.m.get(k);
  }
  put(k: string, s: ServerSession12): void {
    this.m.set(k, s);
  }
}

export type TlsVersionSetting = 'TLSv1.2' | 'TLSv1.3';

/** The messages whose extensions `shapeExtensions` may rewrite. */
export type ShapedMessage = 'client_hello' | 'server_hello' | 'hello_retry_request' | 'encrypted_extensions' | 'certificate_request' | 'new_session_ticket';

export interface TicketCodec {
  seal(state: TicketState, index: number): Uint8Array;
  /** The state of a ticket we issued, or undefined for anything else. */
  open(ticket: Uint8Array): TicketState | undefined;
}

export interface EndpointConfig {
  provider: CryptoProvider;
  /** Told each secret as a key log line (NSS SSLKEYLOGFILE format, keylog.ts), for captures Wireshark decrypts. */
  keyLog?: (line: string) => void;
  /**
   * The versions this endpoint speaks (RFC 8446 4.2.1). TLS 1.2 is in use only when minVersion allows it AND
   * cipherSuites holds at least one TLS 1.2 suite; TLS 1.3 only when maxVersion allows it and cipherSuites
   * holds a TLS 1.3 suite. The default (makeConfig) speaks both, as OpenSSL and curl do: minVersion TLSv1.2,
   * maxVersion TLSv1.3 and DUAL_CIPHER_SUITES. Without cipherSuites, makeConfig picks the suites of the
   * version range (defaultCipherSuites): minVersion 'TLSv1.3' alone gives a TLS 1.3-only endpoint (its
   * ClientHello offers the TLS 1.3 suites only), maxVersion 'TLSv1.2' a TLS 1.2-only one.
   */
  minVersion: TlsVersionSetting;
  maxVersion: TlsVersionSetting;
  /** Cipher suites, most preferred first. */
  cipherSuites: number[];
  /** supported_groups, most preferred first. */
  groups: number[];
  /** Client: the groups it sends key shares for in its first ClientHello (default: the first group). */
  keyShareGroups?: number[];
  /** signature_algorithms we offer (client) or accept (both), most preferred first. */
  signatureSchemes: number[];
  /** ALPN protocols, most preferred first; empty: no ALPN. */
  alpn: string[];
  /** Server: certificate chains to choose from per handshake. Client: the chain to answer a CertificateRequest with. */
  certificates: CertifiedKey[];
  /** Trust anchors for the peer's chain. */
  trustRoots: Certificate[];
  /** Verify the peer's certificate chain (client: the server's; server: the client's, when it asks for one). */
  verifyPeer: boolean;
  /** The clock (ms since the epoch); every validity and ticket-age check uses it. */
  now: () => number;
  /** Randomness for randoms, session ids, ticket keys: defaults to the provider's. */
  random: (n: number) => Uint8Array;
  /** Ephemeral private keys per group name; undefined: fresh ones. For deterministic replays. */
  ephemeralKey?: (group: number) => Uint8Array | undefined;
  /** RFC 8446 D.4 middlebox compatibility mode (client: a 32-byte legacy_session_id and a dummy change_cipher_spec). */
  middleboxCompat: boolean;
  /** Our record_size_limit (RFC 8449); undefined: not sent. */
  recordSizeLimit?: number;
  /**
   * RFC 6066 4 max_fragment_length. Client: the code (1..4: 2^9..2^12) to request; undefined: not sent.
   * Server: whether to accept a request (TLS 1.3); default true.
   */
  maxFragmentLength?: number;
  acceptMaxFragmentLength?: boolean;
  /** TLS 1.3 record padding length for a record of a type and content length (RFC 8446 5.4). */
  padding?: (type: number, length: number) => number;
  /** Milliseconds a handshake may take before the endpoint gives up (enforced by the transport adapters). */
  handshakeTimeoutMs: number;

  // Client only
  serverName?: string;
  sessionStore?: SessionStore;
  /** Offer the stored ticket for resumption (psk_dhe_ke unless pskModes says otherwise). */
  resume: boolean;
  pskModes: number[];
  /** 0-RTT data to send with a resumed ClientHello, if the ticket allows early data. */
  earlyData?: Uint8Array;
  /** Offer post_handshake_auth. */
  postHandshakeAuth: boolean;
  /** Check that the server certificate names serverName (RFC 6125); off only for traces whose certificate names no host. */
  hostnameCheck: boolean;
  /**
   * RFC 7685 padding as NSS and BoringSSL do it: a ClientHello of 256 to 511 bytes is padded to 512, which
   * some middleboxes need.
   */
  clientHelloPadding: boolean;

  // Server only
  /** Ask the client for a certificate (CertificateRequest). */
  requestClientCert: boolean;
  /** Abort with certificate_required when the client sends none. */
  requireClientCert: boolean;
  /** Force a HelloRetryRequest even when the client's key share is usable. */
  forceHelloRetry: boolean;
  /** Send a cookie in HelloRetryRequest. */
  helloRetryCookie: boolean;
  /** NewSessionTicket messages sent after the handshake. */
  ticketsToSend: number;
  /** ticket_lifetime in seconds (RFC 8446 4.6.1: at most 604800). */
  ticketLifetime: number;
  /** max_early_data_size offered in tickets; 0: no early data. */
  maxEarlyData: number;
  /** Accept 0-RTT data when offered with a ticket that allows it. */
  acceptEarlyData: boolean;
  /** Key that seals tickets (32 bytes); random per config by default, fixed for deterministic tests. */
  ticketKey: Uint8Array;
  /**
   * How tickets are made and read back: by default the state is sealed with ticketKey (stateless tickets);
   * a deterministic replay or a stateful session cache supplies its own.
   */
  ticketCodec?: TicketCodec;
  /** ticket_nonce of the index-th NewSessionTicket of a connection (default: one byte, the index). */
  ticketNonce?: (index: number) => Uint8Array;
  /** The HelloRetryRequest cookie when helloRetryCookie is on (default: 32 random bytes). */
  cookieFactory?: () => Uint8Array;
  /** Send our supported_groups in EncryptedExtensions (RFC 8446 4.2.7 allows it). */
  advertiseGroups: boolean;

  // TLS 1.2 (RFC 5246 and its extensions)
  /** RFC 7627: offer (client) / accept (server) the extended master secret. */
  extendedMasterSecret: boolean;
  /** RFC 7366: offer (client) / accept (server) encrypt-then-MAC for CBC suites. */
  encryptThenMac: boolean;
  /** RFC 5746 3.3: the client signals secure renegotiation with TLS_EMPTY_RENEGOTIATION_INFO_SCSV instead of an empty renegotiation_info. */
  renegotiationScsv: boolean;
  /** RFC 5077: offer (client) / issue (server) TLS 1.2 session tickets. */
  sessionTickets12: boolean;
  /** Server: the TLS 1.2 session cache (by session ID); shared by every connection of one config; undefined: no session IDs. */
  sessionCache12?: SessionCache12;
  /** Server: lifetime of a TLS 1.2 session (cache entry or ticket), seconds. */
  sessionLifetime12: number;
  /**
   * TLS 1.2 signatures with SHA-1, for testing legacy peers only (default off). Off, as RFC 9155 asks: the
   * client offers no MD5 or SHA-1 scheme and refuses a ServerKeyExchange signed with one (illegal_parameter);
   * the server lists none in CertificateRequest, refuses a CertificateVerify with one, and aborts with
   * handshake_failure when a client sends no signature_algorithms and every suite it could choose needs a
   * signature. On: rsa_pkcs1_sha1 and ecdsa_sha1 are offered, listed and accepted (last in preference), and a
   * client without signature_algorithms gets the RFC 5246 7.4.1.4.1 default {sha1, rsa} / {sha1, ecdsa}.
   * MD5, SHA-224 and DSA stay refused either way (RFC 8446 4.2.3). TLS 1.3 is unaffected.
   */
  legacySha1Signatures?: boolean;

  // Both
  /**
   * Last say over the extensions of a message we send, after the endpoint built them: add, drop, reorder.
   * For deterministic replays of another stack's messages (RFC 8448) and for the scenario engine.
   */
  shapeExtensions?: (message: ShapedMessage, extensions: Extension[]) => Extension[];
  /** RFC 8446 8.3: accepted skew of the obfuscated ticket age for 0-RTT, in ms. */
  maxTicketAgeSkewMs: number;
  /**
   * Largest inbound handshake message body buffered, in bytes: a memory bound for the messages whose syntax
   * allows more (a Certificate may hold 2^24-1 bytes); every other type is bounded by its own syntax
   * (limits.ts). Over it the endpoint aborts with internal_error, saying it hit a local limit. Default:
   * DEFAULT_MAX_HANDSHAKE_MESSAGE (1 MiB).
   */
  maxHandshakeMessageSize?: number;
}

/**
 * The TLS 1.3 suites offered and accepted by default: the RFC 8446 9.1 ones first (TLS_AES_128_GCM_SHA256
 * MUST, the other two SHOULD), then TLS_AES_128_CCM_SHA256 after them (OpenSSL ships it off; it costs a
 * peer nothing to see it last). TLS_AES_128_CCM_8_SHA256 is implemented but only used when configured
 * (TLS13_CIPHER_SUITES, `--ciphersuites`): its 8-byte tag gives a forger a 2^-64 chance per record instead of
 * 2^-128, the IANA registry marks it Recommended = N, and OpenSSL, BoringSSL, NSS and Go do not enable it.
 */
export const DEFAULT_CIPHER_SUITES = [
  CipherSuite.TLS_AES_128_GCM_SHA256,
  CipherSuite.TLS_AES_256_GCM_SHA384,
  CipherSuite.TLS_CHACHA20_POLY1305_SHA256,
  CipherSuite.TLS_AES_128_CCM_SHA256,
];

/** Every TLS 1.3 suite the reference implements (RFC 8446 B.4): DEFAULT_CIPHER_SUITES and TLS_AES_128_CCM_8_SHA256. */
export const TLS13_CIPHER_SUITES = [...DEFAULT_CIPHER_SUITES, CipherSuite.TLS_AES_128_CCM_8_SHA256];

/**
 * The TLS 1.2 suites the reference endpoints implement (every TLS 1.2 row of crypto/suites.ts), in the order a
 * client offers them by default: forward secrecy before the RSA key exchange, ECDHE before DHE, AEAD before
 * CBC, and within CBC the SHA-256/384 MACs before SHA-1, AES-128 before AES-256 (as OpenSSL orders them).
 */
export const TLS12_CIPHER_SUITES = [
  CipherSuite.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
  CipherSuite.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
  CipherSuite.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
  CipherSuite.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
  CipherSuite.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
  CipherSuite.TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
  CipherSuite.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256,
  CipherSuite.TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256,
  CipherSuite.TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384,
  CipherSuite.TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384,
  CipherSuite.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA,
  CipherSuite.TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA,
  CipherSuite.TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA,
  CipherSuite.TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA,
  CipherSuite.TLS_DHE_RSA_WITH_AES_128_GCM_SHA256,
  CipherSuite.TLS_DHE_RSA_WITH_AES_256_GCM_SHA384,
  CipherSuite.TLS_DHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
  CipherSuite.TLS_DHE_RSA_WITH_AES_128_CBC_SHA256,
  CipherSuite.TLS_DHE_RSA_WITH_AES_256_CBC_SHA256,
  CipherSuite.TLS_DHE_RSA_WITH_AES_128_CBC_SHA,
  CipherSuite.TLS_DHE_RSA_WITH_AES_256_CBC_SHA,
  CipherSuite.TLS_RSA_WITH_AES_128_GCM_SHA256,
  CipherSuite.TLS_RSA_WITH_AES_256_GCM_SHA384,
  CipherSuite.TLS_RSA_WITH_AES_128_CBC_SHA256,
  CipherSuite.TLS_RSA_WITH_AES_256_CBC_SHA256,
  CipherSuite.TLS_RSA_WITH_AES_128_CBC_SHA,
  CipherSuite.TLS_RSA_WITH_AES_256_CBC_SHA,
];

/** TLS 1.3 then TLS 1.2: makeConfig's default; a config with these speaks both versions (with the default min/maxVersion). */
export const DUAL_CIPHER_SUITES = [...DEFAULT_CIPHER_SUITES, ...TLS12_CIPHER_SUITES];

/**
 * Every group the reference implements, most preferred first (a client sends its one default key share for
 * the first, x25519, so a default ClientHello stays small; a server picks the first of these the client
 * offers). The order: x25519 and secp256r1 first, the groups every TLS 1.3 peer has (RFC 8446 9.1: secp256r1
 * MUST, X25519 SHOULD) and the cheapest; then by strength and cost, the 224-bit-security x448 before the NIST
 * curves secp384r1 and secp521r1 (OpenSSL 3.0 also ranks x448 third); the RFC 7919 FFDHE groups last, smallest
 * first: their key shares are 256 to 1024 bytes and their exponentiations far slower than any curve.
 */
export const DEFAULT_GROUPS = [
  NamedGroup.x25519,
  NamedGroup.secp256r1,
  NamedGroup.x448,
  NamedGroup.secp384r1,
  NamedGroup.secp521r1,
  NamedGroup.ffdhe2048,
  NamedGroup.ffdhe3072,
  NamedGroup.ffdhe4096,
  NamedGroup.ffdhe6144,
  NamedGroup.ffdhe8192,
];

export const DEFAULT_SIGNATURE_SCHEMES = [
  SignatureScheme.ecdsa_secp256r1_sha256,
  SignatureScheme.ecdsa_secp384r1_sha384,
  SignatureScheme.ecdsa_secp521r1_sha512,
  SignatureScheme.ed25519,
  SignatureScheme.ed448,
  SignatureScheme.rsa_pss_rsae_sha256,
  SignatureScheme.rsa_pss_rsae_sha384,
  SignatureScheme.rsa_pss_rsae_sha512,
  SignatureScheme.rsa_pkcs1_sha256,
  SignatureScheme.rsa_pkcs1_sha384,
  SignatureScheme.rsa_pkcs1_sha512,
];

/** The provider of every configuration that names none: the built-in default, unless a command chose one (`--crypto`). */
export const BUILTIN_CRYPTO_PROVIDER: CryptoProvider = nodeProvider;
let defaultCryptoProvider: CryptoProvider = BUILTIN_CRYPTO_PROVIDER;

/** Sets the provider of configurations that name none (process-wide: `--crypto` of run, serve, connect). */
export function setDefaultCryptoProvider(provider: CryptoProvider): void {
  defaultCryptoProvider = provider;
}

export function makeConfig(partial: Partial<EndpointConfig> = {}): EndpointConfig {
  const provider = partial.provider ?? defaultCryptoProvider;
  // TLS 1.3 and TLS 1.2, as `openssl s_client` and curl offer and `openssl s_server` serves by default.
  const minVersion = partial.minVersion ?? 'TLSv1.2';
  const maxVersion = partial.maxVersion ?? 'TLSv1.3';
  return {
    provider,
    minVersion,
    maxVersion,
    cipherSuites: defaultCipherSuites({ minVersion, maxVersion }),
    groups: DEFAULT_GROUPS,
    signatureSchemes: DEFAULT_SIGNATURE_SCHEMES,
    alpn: [],
    certificates: [],
    trustRoots: [],
    verifyPeer: true,
    now: () => Date.now(),
    random: (n) => provider.randomBytes(n),
    middleboxCompat: true,
    handshakeTimeoutMs: 10_000,
    resume: true,
    pskModes: [1], // psk_dhe_ke
    postHandshakeAuth: false,
    hostnameCheck: true,
    clientHelloPadding: false,
    advertiseGroups: false,
    requestClientCert: false,
    requireClientCert: false,
    forceHelloRetry: false,
    helloRetryCookie: false,
    ticketsToSend: 1,
    ticketLifetime: 7200,
    maxEarlyData: 0,
    acceptEarlyData: false,
    maxTicketAgeSkewMs: 10_000,
    extendedMasterSecret: true,
    encryptThenMac: true,
    renegotiationScsv: false,
    sessionTickets12: true,
    sessionCache12: new MemorySessionCache12(),
    sessionLifetime12: 7200,
    // One key per config, so every connection made from this config can open the others' tickets.
    ticketKey: provider.randomBytes(32),
    ...partial,
  };
}

/**
 * The suites a config speaks by default for a version range: every suite the reference implements in it, TLS
 * 1.3 ones first (TLS 1.3 only: DEFAULT_CIPHER_SUITES; TLS 1.2 only: TLS12_CIPHER_SUITES; both: DUAL_CIPHER_SUITES).
 */
export function defaultCipherSuites(range: { minVersion: TlsVersionSetting; maxVersion: TlsVersionSetting }): number[] {
  if (range.maxVersion === 'TLSv1.2') return TLS12_CIPHER_SUITES;
  if (range.minVersion === 'TLSv1.3') return DEFAULT_CIPHER_SUITES;
  return DUAL_CIPHER_SUITES;
}
