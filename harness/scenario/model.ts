/**
 * The scenario model: what a scenario YAML file means once loaded and validated. The loader
 * (loader.ts) turns YAML into these types, with every value's source position kept for error messages;
 * the engine (harness/engine/) runs them. The README's "Scenario format" section documents the YAML, and
 * scenario.schema.json describes it for editors.
 */

/** A position in a scenario file, for error messages and reports (1-based). */
export interface SourceLocation {
  file: string;
  line: number;
  col: number;
}

export type Role = 'server' | 'client';
export type VersionName = 'tls13' | 'tls12';

/** The requirement a scenario tests: TLS-Anvil-style traceability. */
export interface RfcReference {
  /** RFC number, e.g. 8446. */
  doc: number;
  /** Section, e.g. "4.4.4". */
  section: string;
  /** The quoted requirement. */
  quote: string;
  /**
   * The requirement level of the rule (RFC 2119 keyword of the quote): a `must` deviation is a failure, a
   * `should` or `may` deviation an advisory. Default (until every scenario states it): must.
   */
  level?: RequirementLevel;
  /** Ids of the normative sentences this scenario checks, from the RFC index (rfc/), e.g. rfc8446-4.1.2-3. */
  sentences?: string[];
}

export type RequirementLevel = 'must' | 'should' | 'may';

/**
 * Handshake message names as the RFCs name their structs: ClientHello, ServerHello, HelloRetryRequest,
 * EncryptedExtensions, Certificate, CertificateRequest, CertificateVerify, Finished, NewSessionTicket,
 * EndOfEarlyData, KeyUpdate, ServerKeyExchange, ServerHelloDone, ClientKeyExchange, HelloRequest.
 */
export type MessageName = string;

/** A value in `set` or `where`: IANA names resolve to code points; `0x..` strings and {hex} are bytes. */
export type FieldValue = string | number | boolean | null | FieldValue[] | { [key: string]: FieldValue };

/** Where a mutation applies inside the encoded message: a byte offset, or a field path (its first byte). */
export type Position = { at: number } | { field: string; at?: number };

/** Byte-level mutations, applied in order after the message is encoded (offsets count from the 4-byte header). */
export type MutateOp =
  | { op: 'xor'; pos: Position; value: number }
  | { op: 'set_bytes'; pos: Position; hex: string }
  /** Keep only the first `length` bytes (or the bytes before `field`). */
  | { op: 'truncate'; pos: Position }
  /** Append bytes after the message, outside every length (a trailing-garbage test). */
  | { op: 'extend'; hex: string }
  /** Append bytes at the end of a region, inside its length (`field` omitted: the message body). */
  | { op: 'append'; field?: string; hex: string }
  /** Write this value in the length prefix of the region at `field` (the handshake length for the message name). */
  | { op: 'length'; field: string; value: number }
  /** Extension-list edits, applied to the message before encoding. */
  | { op: 'insert_extension'; type: string | number; hex?: string; value?: FieldValue; index?: number }
  | { op: 'remove_extension'; type: string | number }
  | { op: 'duplicate_extension'; type: string | number }
  | { op: 'reorder_extensions'; order: (string | number)[] };

/** How a message goes onto the wire. */
export interface RecordOptions {
  /** Split the message over records of at most this many bytes. */
  max_fragment?: number;
  /** Split the message over records at these offsets. */
  fragment_at?: number[];
  /** Keep this message in the same record as the next `send` (coalescing). */
  coalesce?: boolean;
  /** Split the bytes over several TCP writes at these offsets (pausing between them). */
  tcp_split?: number[];
  /** legacy_record_version of the record(s). */
  version?: number;
  /** ContentType written in the record header instead of the real one. */
  content_type?: number | string;
  /** Send in a plaintext record even where encryption is due. */
  plaintext?: boolean;
  /** A wrong record length field. */
  length?: number;
  /** XOR a byte of the record(s) as sent, after protection (offset into the wire bytes; negative from the end). */
  wire_xor?: { at: number; value: number };
  /** Protect the record even where the protocol sends it in the clear (a protected change_cipher_spec). */
  protected?: boolean;
  /** TLS 1.2 CBC records (RFC 5246 6.2.3.2): padding, IV and MAC as the scenario says (padding-oracle tests). */
  cbc?: CbcRecordOptions;
  /** TLS 1.3 (RFC 8446 5.4): this many zero bytes of padding in each protected record, within TLSInnerPlaintext's 2^14 + 1. */
  padding?: number;
}

/** How the TLS 1.2 CBC records of a send are built (RFC 5246 6.2.3.2); each applies to every record of the step. */
export interface CbcRecordOptions {
  /** padding_length, the padding filled with it as the RFC says (0..255; one that does not fill the block is sent as asked). */
  padding_length?: number;
  /** The padding vector itself (hex): its length is the padding length. */
  padding?: string;
  /** The padding_length byte written, whatever the padding (0..255). */
  padding_length_byte?: number;
  /** XOR a MAC byte (at: negative from the end): before encryption (MAC-then-encrypt), after it (encrypt-then-MAC). */
  mac_xor?: { at: number; value: number };
  /** The explicit IV (hex, one block). */
  iv?: string;
}

/**
 * The RSA EncryptedPreMasterSecret of a ClientKeyExchange (RFC 5246 7.4.7.1), for Bleichenbacher / ROBOT tests:
 * the PKCS#1 v1.5 block EM = first_bytes || PS || 00 || M (RFC 8017 7.2.1) and how it deviates. Hex fields
 * are strings of hex digits (templates substituted per case).
 */
export interface PremasterSpec {
  /** The 2 client_version bytes at the start of M (default: the ClientHello's legacy_version). */
  version?: number;
  /** The length of the message M (default 48). */
  message_length?: number;
  /** The 2 leading bytes of EM (default "0002"): "0001", "0102", ... */
  first_bytes?: string;
  /** A 00 byte at this index of PS (so the separator comes early). */
  zero_in_padding?: number;
  /** No 00 separator: non-zero bytes from PS to the end of EM. */
  no_separator?: boolean;
  /** The 00 separator at this index of EM, instead of just before a message_length M (M is what follows it). */
  separator_at?: number;
  /** EM is all zero bytes. */
  all_zero?: boolean;
  /** The whole EM (k bytes, k the modulus length), as hex. */
  plaintext?: string;
  /** The ciphertext itself, as hex, sent as is. */
  ciphertext?: string;
  /** Cut the ciphertext to this length, or left-pad it with zero bytes (a wrong length). */
  ciphertext_length?: number;
}

export type Step =
  | {
      kind: 'send';
      message: MessageName;
      /** Field overrides by path (`cipher_suites`, `extensions.key_share.client_shares[0].group`). */
      set: Record<string, FieldValue>;
      mutate: MutateOp[];
      record: RecordOptions;
      /** The RSA EncryptedPreMasterSecret (a ClientKeyExchange only). */
      premaster?: PremasterSpec;
      /**
       * false: a message sent out of place, which the target must refuse: the harness sends it and forgets it (it
       * joins neither the harness's transcript nor its state), so the target's answer under the keys of the
       * conversation so far can still be read. Absent: true.
       */
      transcript?: false;
      loc: SourceLocation;
    }
  /** `transcript: false` (layer handshake): bytes out of place, kept out of the harness's transcript and state. */
  | { kind: 'send_raw'; layer: 'record' | 'handshake' | 'tcp'; hex: string; content_type?: number; transcript?: false; loc: SourceLocation }
  /** `record`: only the options APPLICATION_DATA_RECORD_KEYS lists (format.ts). */
  | { kind: 'send_application_data'; data: Uint8Array; record?: RecordOptions; loc: SourceLocation }
  | { kind: 'send_alert'; level: number; description: number; loc: SourceLocation }
  | { kind: 'send_change_cipher_spec'; loc: SourceLocation }
  | { kind: 'close_notify'; loc: SourceLocation }
  | { kind: 'key_update'; request_update: boolean; loc: SourceLocation }
  | { kind: 'wait'; ms: number; loc: SourceLocation }
  /** Close this connection and open a new one (resuming the session when `resume`). */
  | { kind: 'reconnect'; resume: boolean; loc: SourceLocation }
  | { kind: 'expect'; expect: Expectation; loc: SourceLocation };

/** One expected handshake message, with predicates on its decoded fields. */
export interface MessageExpectation {
  /** Acceptable message names (one_of); usually one. */
  names: MessageName[];
  optional: boolean;
  /** One or more in a row (e.g. NewSessionTicket). */
  repeat: boolean;
  /** Field path -> expected value (names resolve to code points). */
  where: Record<string, FieldValue>;
}

export type Expectation =
  /** These messages, in order. */
  | { kind: 'messages'; messages: MessageExpectation[] }
  /**
   * A fatal alert, one of `alerts` (names). `lenient` (default true): a different alert or a plain close is
   * a lenient pass (the right outcome, not the named alert), not a failure.
   */
  | { kind: 'alert'; alerts: string[]; lenient: boolean }
  /** The connection closes (close_notify, EOF or reset). */
  | { kind: 'close' }
  /** Nothing arrives for this long. */
  | { kind: 'silence'; ms: number }
  /**
   * The target's side of a closure (RFC 8446 6.1), for this long: it may stay open (silence) or send data, but a
   * close of the connection must come after its close_notify (`plain_close: true`: a close without one passes too,
   * for cases that judge something else, such as the keys of what came before the close); an error alert fails.
   */
  | { kind: 'closure'; ms: number; plainClose: boolean }
  /** Application data arrives (optionally exactly this data). */
  | { kind: 'application_data'; data?: Uint8Array }
  /** The handshake completes (for a client target: it sends its Finished and the harness accepts it). */
  | { kind: 'handshake_complete' };

/**
 * Configuration of the harness's own endpoint for this scenario (its ClientHello when the target is a
 * server, its ServerHello and flight when the target is a client). Names as in the IANA registries.
 */
export interface PeerConfig {
  cipher_suites?: string[];
  groups?: string[];
  key_share_groups?: string[];
  signature_schemes?: string[];
  alpn?: string[];
  server_name?: string;
  middlebox_compat?: boolean;
  /** RFC 6066 4: the maximum fragment length the harness as client requests, in bytes (512, 1024, 2048, 4096); a matrix value `${name}` as well. */
  max_fragment_length?: number | string;
  /** Test PKI certificate the harness presents: rsa, p256, p384, p521, ed25519, ed448 (server role), client (client auth); rsa-sign-only, p256-wrong-name, p256-missing-intermediate, p256-expired, p256-not-yet-valid, p256-client-eku, p256-no-digital-signature, p256-sha1, p256-md5, p256-unknown-issuer, p256-chain-extraneous, rsa-via-rsa-intermediate (certificate tests). */
  certificate?: string;
  request_client_certificate?: boolean;
  hello_retry?: boolean;
  early_data?: string;
  /** psk_key_exchange_modes the harness offers with a ticket, in this order (RFC 8446 4.2.9; default [psk_dhe_ke]). */
  psk_modes?: string[];
  /** Unknown PSK identities the harness offers before its ticket (RFC 8446 4.2.11; default 0). */
  psk_unknown_identities?: number;
  /** psk2: max_early_data_size in the tickets the harness as server issues (RFC 8446 4.6.1; default 0: no early_data extension). */
  max_early_data?: number;
  /** psk2: the harness as server resumes its own ticket when the client offers it first (RFC 8446 4.2.11; default false: full handshakes). */
  accept_psk?: boolean;
  /** psk2: with accept_psk, the harness as server accepts the client's 0-RTT data (RFC 8446 4.2.10; default false: skipped). */
  accept_early_data?: boolean;
  /** A fault in the harness's TLS 1.3 CertificateVerify: other_context, stale_transcript (format.ts CERTIFICATE_VERIFY_FAULTS). */
  certificate_verify?: string;
  /** The harness as TLS 1.3 server, ffdhe groups: its key share makes Z (shared_secret) or its Y (public_value) start with a zero byte (format.ts FFDHE_LEADING_ZERO). */
  ffdhe_leading_zero?: string;
}

/**
 * `target_options:` settings of the target for a case (format.ts TARGET_OPTION_KEYS), passed to the target
 * with each connection (TargetCaseContext.options).
 */
export interface TargetOptions {
  /** Server role: the target server requests a client certificate (RFC 8446 4.3.2) and verifies it against the test CA. */
  request_client_certificate?: boolean;
}

/** Capabilities a target must have for the scenario to run (otherwise the case is skipped). */
export interface Requirements {
  versions?: VersionName[];
  cipher_suites?: string[];
  groups?: string[];
  signature_schemes?: string[];
  features?: string[];
}

/**
 * The positive control of a case: before a case runs, the engine runs the unmutated conversation (the default
 * full handshake for the target's role, version and config), once per distinct configuration in a run; a
 * target that does not complete it makes the case a `skip`. `false`: no control (a positive case, or one that
 * cannot have one); `{ config }`: the control's own harness config (when the case's config is itself the
 * fault). Absent: a control with the case's config.
 */
export type ControlSpec = false | { config: PeerConfig };

export interface Scenario {
  id: string;
  title: string;
  rfc: RfcReference;
  /** The role the target plays. */
  target: Role;
  versions: VersionName[];
  tags: string[];
  requires: Requirements;
  /** Parameters expanded into cases (cartesian product); steps use them as `${name}`. */
  matrix: Record<string, (string | number)[]>;
  /**
   * Matrix keys whose values must not change what the target observably does (`indistinguishable:` in YAML;
   * `true` there means every key): the cases that differ only in these form one group, compared after the
   * run (harness/engine/indist.ts). Absent: no group.
   */
  indistinguishable?: string[];
  config: PeerConfig;
  /** The positive control (absent: the default, a control with `config`). */
  control?: ControlSpec;
  /** What the target itself is asked to do in every case of the scenario (and its control); see TargetOptions. */
  target_options?: TargetOptions;
  /** Per-case time limit in ms (default: the run's --timeout). */
  timeout?: number;
  steps: Step[];
  loc: SourceLocation;
}

/** One runnable case: a scenario with one combination of its matrix substituted. */
export interface ScenarioCase {
  /** `scenario-id` or `scenario-id[cipher_suite=TLS_AES_128_GCM_SHA256,group=x25519]`. */
  id: string;
  scenario: Scenario;
  params: Record<string, string | number>;
  /** The scenario's steps and config with `${param}` substituted. */
  steps: Step[];
  config: PeerConfig;
  requires: Requirements;
  /** The positive control with `${param}` substituted (absent: a control with `config`). */
  control?: ControlSpec;
  /**
   * The indistinguishability group of the case, when its scenario declares one: `scenario-id[k=v,...]` with
   * the parameters that do not vary in the group (the scenario id alone when they all do).
   */
  group?: string;
}
