/**
 * The TLS 1.3 key schedule (RFC 8446 7.1-7.3, 7.5, 4.4.4, 4.6.1, 4.2.11.2), on a CryptoProvider.
 *
 * Stateless: every step is a method taking the secret(s) it needs and, where the RFC says
 * Derive-Secret(., label, Messages), the transcript hash Transcript-Hash(Messages) already computed by
 * the caller (who keeps the running transcript, e.g. with provider.createHash()). So a test, a fuzzer or
 * a deliberately misbehaving peer can derive any secret from any inputs, in any order.
 */
import type { CryptoProvider, HashName } from './provider.ts';
import { CryptoError } from './provider.ts';

const TEXT = new TextEncoder();
const EMPTY = new Uint8Array(0);

/**
 * RFC 8446 7.1: the HkdfLabel struct
 *   struct { uint16 length; opaque label<7..255> = "tls13 " + Label; opaque context<0..255>; }
 */
export function encodeHkdfLabel(label: string | Uint8Array, context: Uint8Array, length: number): Uint8Array {
  const labelBytes = typeof label === 'string' ? TEXT.encode(label) : label;
  const prefix = TEXT.encode('tls13 ');
  const full = new Uint8Array(prefix.length + labelBytes.length);
  full.set(prefix, 0);
  full.set(labelBytes, prefix.length);
  // RFC 8446 7.1: opaque label<7..255>: "tls13 " plus at least one byte, at most 255 bytes in all.
  if (full.length < 7 || full.length > 255)
    throw new CryptoError('bad_length', `HkdfLabel.label must be 7..255 bytes, got ${full.length} (RFC 8446 7.1)`);
  // RFC 8446 7.1: opaque context<0..255>.
  if (context.length > 255)
    throw new CryptoError('bad_length', `HkdfLabel.context must be 0..255 bytes, got ${context.length} (RFC 8446 7.1)`);
  // RFC 8446 7.1: uint16 length.
  if (!Number.isInteger(length) || length < 0 || length > 0xffff)
    throw new CryptoError('bad_length', `HkdfLabel.length must be a uint16, got ${length} (RFC 8446 7.1)`);
  const out = new Uint8Array(2 + 1 + full.length + 1 + context.length);
  out[0] = length >> 8;
  out[1] = length & 0xff;
  out[2] = full.length;
  out.set(full, 3);
  out[3 + full.length] = context.length;
  out.set(context, 4 + full.length);
  return out;
}

/** RFC 8446 7.1: HKDF-Expand-Label(Secret, Label, Context, Length) = HKDF-Expand(Secret, HkdfLabel, Length). */
export function hkdfExpandLabel(
  provider: CryptoProvider,
  hash: HashName,
  secret: Uint8Array,
  label: string | Uint8Array,
  context: Uint8Array,
  length: number,
): Uint8Array {
  return provider.hkdfExpand(hash, secret, encodeHkdfLabel(label, context, length), length);
}

/**
 * RFC 8446 7.1: Derive-Secret(Secret, Label, Messages) = HKDF-Expand-Label(Secret, Label,
 * Transcript-Hash(Messages), Hash.length). `transcriptHash` is Transcript-Hash(Messages), computed by the caller.
 */
export function deriveSecret(
  provider: CryptoProvider,
  hash: HashName,
  secret: Uint8Array,
  label: string,
  transcriptHash: Uint8Array,
): Uint8Array {
  return hkdfExpandLabel(provider, hash, secret, label, transcriptHash, provider.hashLength(hash));
}

/** RFC 8446 7.3: the AEAD key and IV for one direction and one epoch. */
export interface TrafficKeys {
  key: Uint8Array;
  iv: Uint8Array;
}

/**
 * RFC 8446 5.3: the per-record nonce. The 64-bit sequence number, in network byte order, is left-padded with
 * zeros to iv_length and XORed with the static write IV.
 */
export function tls13RecordNonce(iv: Uint8Array, sequenceNumber: bigint): Uint8Array {
  // RFC 8446 5.3: sequence numbers are 64-bit; RFC 8446 5.5: they MUST NOT wrap (the record layer rekeys or
  // closes first), so a value outside uint64 is a caller bug.
  if (sequenceNumber < 0n || sequenceNumber > 0xffff_ffff_ffff_ffffn)
    throw new CryptoError('bad_length', `sequence number ${sequenceNumber} is not a uint64 (RFC 8446 5.3)`);
  // RFC 8446 5.3: iv_length is max(8 bytes, N_MIN) for the AEAD.
  if (iv.length < 8) throw new CryptoError('bad_length', `write IV must be at least 8 bytes, got ${iv.length} (RFC 8446 5.3)`);
  const nonce = Uint8Array.from(iv);
  let s = sequenceNumber;
  for (let i = nonce.length - 1; i >= nonce.length - 8; i--) {
    nonce[i] ^= Number(s & 0xffn);
    s >>= 8n;
  }
  return nonce;
}

/** The label for binder_key: external PSKs and resumption PSKs use different ones (RFC 8446 7.1). */
export type PskKind = 'external' | 'resumption';

/**
 * The RFC 8446 7.1 key schedule for one cipher suite hash. Every method is a pure function of its arguments.
 *
 * Typical use (1-RTT, no PSK):
 *   early = ks.earlySecret(); hs = ks.handshakeSecret(early, ecdhe);
 *   chts = ks.clientHandshakeTrafficSecret(hs, th(CH..SH)); ...; ms = ks.masterSecret(hs); ...
 */
export class Tls13KeySchedule {
  readonly hashLength: number;
  /** The "0" of RFC 8446 7.1: Hash.length zero bytes. */
  readonly zeros: Uint8Array;
  /** Transcript-Hash("") = Hash(""), the context for the "derived" steps and the binder key. */
  readonly emptyHash: Uint8Array;

  constructor(
    readonly provider: CryptoProvider,
    readonly hash: HashName,
  ) {
    this.hashLength = provider.hashLength(hash);
    this.zeros = new Uint8Array(this.hashLength);
    this.emptyHash = provider.hash(hash, EMPTY);
  }

  hkdfExpandLabel(secret: Uint8Array, label: string | Uint8Array, context: Uint8Array, length: number): Uint8Array {
    return hkdfExpandLabel(this.provider, this.hash, secret, label, context, length);
  }

  deriveSecret(secret: Uint8Array, label: string, transcriptHash: Uint8Array): Uint8Array {
    return deriveSecret(this.provider, this.hash, secret, label, transcriptHash);
  }

  /** Transcript-Hash of a list of handshake messages (each with its 4-byte header), for callers that have them all. */
  transcriptHash(...messages: Uint8Array[]): Uint8Array {
    const h = this.provider.createHash(this.hash);
    for (const m of messages) h.update(m);
    return h.digest();
  }

  // ---- Early Secret ------------------------------------------------------------------------------------

  /** RFC 8446 7.1: Early Secret = HKDF-Extract(0, PSK); with no PSK, PSK = Hash.length zeros. */
  earlySecret(psk: Uint8Array = this.zeros): Uint8Array {
    return this.provider.hkdfExtract(this.hash, this.zeros, psk);
  }

  /** RFC 8446 7.1: binder_key = Derive-Secret(Early Secret, "ext binder" | "res binder", ""). */
  binderKey(earlySecret: Uint8Array, kind: PskKind): Uint8Array {
    return this.deriveSecret(earlySecret, kind === 'external' ? 'ext binder' : 'res binder', this.emptyHash);
  }

  /** RFC 8446 7.1: client_early_traffic_secret = Derive-Secret(Early Secret, "c e traffic", ClientHello). */
  clientEarlyTrafficSecret(earlySecret: Uint8Array, thClientHello: Uint8Array): Uint8Array {
    return this.deriveSecret(earlySecret, 'c e traffic', thClientHello);
  }

  /** RFC 8446 7.1: early_exporter_master_secret = Derive-Secret(Early Secret, "e exp master", ClientHello). */
  earlyExporterMasterSecret(earlySecret: Uint8Array, thClientHello: Uint8Array): Uint8Array {
    return this.deriveSecret(earlySecret, 'e exp master', thClientHello);
  }

  // ---- Handshake Secret --------------------------------------------------------------------------------

  /**
   * RFC 8446 7.1: Handshake Secret = HKDF-Extract(Derive-Secret(Early Secret, "derived", ""), (EC)DHE);
   * with no (EC)DHE (psk_ke), the shared secret is Hash.length zeros.
   */
  handshakeSecret(earlySecret: Uint8Array, sharedSecret: Uint8Array = this.zeros): Uint8Array {
    const salt = this.deriveSecret(earlySecret, 'derived', this.emptyHash);
    return this.provider.hkdfExtract(this.hash, salt, sharedSecret);
  }

  /** RFC 8446 7.1: Derive-Secret(Handshake Secret, "c hs traffic", ClientHello...ServerHello). */
  clientHandshakeTrafficSecret(handshakeSecret: Uint8Array, thClientHelloToServerHello: Uint8Array): Uint8Array {
    return this.deriveSecret(handshakeSecret, 'c hs traffic', thClientHelloToServerHello);
  }

  /** RFC 8446 7.1: Derive-Secret(Handshake Secret, "s hs traffic", ClientHello...ServerHello). */
  serverHandshakeTrafficSecret(handshakeSecret: Uint8Array, thClientHelloToServerHello: Uint8Array): Uint8Array {
    return this.deriveSecret(handshakeSecret, 's hs traffic', thClientHelloToServerHello);
  }

  // ---- Master Secret -----------------------------------------------------------------------------------

  /** RFC 8446 7.1: Master Secret = HKDF-Extract(Derive-Secret(Handshake Secret, "derived", ""), 0). */
  masterSecret(handshakeSecret: Uint8Array): Uint8Array {
    const salt = this.deriveSecret(handshakeSecret, 'derived', this.emptyHash);
    return this.provider.hkdfExtract(this.hash, salt, this.zeros);
  }

  /** RFC 8446 7.1: client_application_traffic_secret_0 = Derive-Secret(MS, "c ap traffic", CH...server Finished). */
  clientApplicationTrafficSecret0(masterSecret: Uint8Array, thClientHelloToServerFinished: Uint8Array): Uint8Array {
    return this.deriveSecret(masterSecret, 'c ap traffic', thClientHelloToServerFinished);
  }

  /** RFC 8446 7.1: server_application_traffic_secret_0 = Derive-Secret(MS, "s ap traffic", CH...server Finished). */
  serverApplicationTrafficSecret0(masterSecret: Uint8Array, thClientHelloToServerFinished: Uint8Array): Uint8Array {
    return this.deriveSecret(masterSecret, 's ap traffic', thClientHelloToServerFinished);
  }

  /** RFC 8446 7.1: exporter_master_secret = Derive-Secret(MS, "exp master", CH...server Finished). */
  exporterMasterSecret(masterSecret: Uint8Array, thClientHelloToServerFinished: Uint8Array): Uint8Array {
    return this.deriveSecret(masterSecret, 'exp master', thClientHelloToServerFinished);
  }

  /** RFC 8446 7.1: resumption_master_secret = Derive-Secret(MS, "res master", CH...client Finished). */
  resumptionMasterSecret(masterSecret: Uint8Array, thClientHelloToClientFinished: Uint8Array): Uint8Array {
    return this.deriveSecret(masterSecret, 'res master', thClientHelloToClientFinished);
  }

  /** RFC 8446 7.2: application_traffic_secret_N+1 = HKDF-Expand-Label(secret_N, "traffic upd", "", Hash.length). */
  nextApplicationTrafficSecret(applicationTrafficSecretN: Uint8Array): Uint8Array {
    return this.hkdfExpandLabel(applicationTrafficSecretN, 'traffic upd', EMPTY, this.hashLength);
  }

  /** RFC 8446 4.6.1: PSK = HKDF-Expand-Label(resumption_master_secret, "resumption", ticket_nonce, Hash.length). */
  resumptionPsk(resumptionMasterSecret: Uint8Array, ticketNonce: Uint8Array): Uint8Array {
    return this.hkdfExpandLabel(resumptionMasterSecret, 'resumption', ticketNonce, this.hashLength);
  }

  // ---- Traffic keys, Finished, binders, exporters --------------------------------------------------------

  /**
   * RFC 8446 7.3: [sender]_write_key = HKDF-Expand-Label(Secret, "key", "", key_length),
   * [sender]_write_iv = HKDF-Expand-Label(Secret, "iv", "", iv_length). iv_length is 12 for every TLS 1.3 AEAD.
   */
  trafficKeys(trafficSecret: Uint8Array, keyLength: number, ivLength = 12): TrafficKeys {
    return {
      key: this.hkdfExpandLabel(trafficSecret, 'key', EMPTY, keyLength),
      iv: this.hkdfExpandLabel(trafficSecret, 'iv', EMPTY, ivLength),
    };
  }

  /** RFC 8446 4.4.4: finished_key = HKDF-Expand-Label(BaseKey, "finished", "", Hash.length). */
  finishedKey(baseKey: Uint8Array): Uint8Array {
    return this.hkdfExpandLabel(baseKey, 'finished', EMPTY, this.hashLength);
  }

  /**
   * RFC 8446 4.4.4: verify_data = HMAC(finished_key, Transcript-Hash(Handshake Context, Certificate*,
   * CertificateVerify*)). BaseKey is the sender's handshake traffic secret (or, post-handshake, the
   * application traffic secret); `transcriptHash` is computed by the caller.
   */
  finishedVerifyData(baseKey: Uint8Array, transcriptHash: Uint8Array): Uint8Array {
    return this.provider.hmac(this.hash, this.finishedKey(baseKey), transcriptHash);
  }

  /**
   * RFC 8446 4.2.11.2: a PSK binder is computed as a Finished message, with BaseKey = binder_key and the
   * transcript hash over the (partial) ClientHello up to and including PreSharedKeyExtension.identities
   * (and, after a HelloRetryRequest, the earlier messages).
   */
  pskBinder(binderKey: Uint8Array, thTruncatedClientHello: Uint8Array): Uint8Array {
    return this.finishedVerifyData(binderKey, thTruncatedClientHello);
  }

  /**
   * RFC 8446 7.5: TLS-Exporter(label, context_value, key_length) =
   * HKDF-Expand-Label(Derive-Secret(Secret, label, ""), "exporter", Hash(context_value), key_length),
   * where Secret is exporter_master_secret (or early_exporter_master_secret for an early exporter).
   */
  exporter(exporterSecret: Uint8Array, label: string, contextValue: Uint8Array, keyLength: number): Uint8Array {
    const derived = this.deriveSecret(exporterSecret, label, this.emptyHash);
    return this.hkdfExpandLabel(derived, 'exporter', this.provider.hash(this.hash, contextValue), keyLength);
  }
}
