/**
 * Record protection: one object per direction and epoch, holding the keys and its own 64-bit sequence
 * number; encrypt() or decrypt() one record at a time.
 *
 * - Tls13RecordProtection: RFC 8446 5.2-5.4 (AEAD over TLSInnerPlaintext, header as additional data,
 *   nonce = write_iv XOR sequence number).
 * - Tls12AeadRecordProtection: RFC 5246 6.2.3.3 with RFC 5288 3 (AES-GCM, 4-byte implicit salt +
 *   8-byte nonce_explicit) or RFC 7905 2 (ChaCha20-Poly1305, 12-byte IV XOR sequence number).
 * - Tls12CbcRecordProtection: RFC 5246 6.2.3.2 (MAC-then-encrypt, explicit IV, TLS padding) and RFC 7366
 *   (encrypt-then-MAC).
 *
 * decrypt() never throws for bad input: it returns { ok: false, error: RecordProtectionError } naming the
 * alert and the RFC section. encrypt() throws RecordProtectionError only for a caller error (content too long,
 * bad padding request, sequence number exhausted), and a caller writing a negative test can switch the
 * size checks off with { unchecked: true }.
 *
 * Sequence numbers (RFC 8446 5.3, RFC 5246 6.1): 64-bit, start at 0 for each new key, incremented after each
 * record successfully encrypted or decrypted. They MUST NOT wrap: once 2^64 - 1 has been used, both
 * encrypt and decrypt refuse (the connection must rekey, RFC 8446 4.6.3, or close). A failed decrypt does not
 * advance the number (a server skipping rejected 0-RTT records, RFC 8446 4.2.10, keeps its place).
 * RFC 8446 5.5's AES-GCM usage limit (2^24.5 full records) is a SHOULD for key update, left to the caller.
 */
import type { AlertName } from '../codec/enums.ts';
import { sealWithHeadroom, type Aead, type Cbc, type CryptoProvider, type HashName } from './provider.ts';
import type { CipherSuiteParams } from './suites.ts';
import { tls13RecordNonce } from './tls13-key-schedule.ts';
import { concatBytes as concat, constantTimeEqual } from '../codec/bytes.ts';

export const CONTENT_TYPE_APPLICATION_DATA = 23;
export const TLS12_RECORD_VERSION = 0x0303;
/** RFC 8446 5.1 / RFC 5246 6.2.1: TLSPlaintext.length MUST NOT exceed 2^14. */
export const MAX_PLAINTEXT = 1 << 14;
/** RFC 8446 5.2 / 5.4: TLSInnerPlaintext MUST NOT exceed 2^14 + 1. */
export const TLS13_MAX_INNER_PLAINTEXT = MAX_PLAINTEXT + 1;
/** RFC 8446 5.2: TLSCiphertext.length MUST NOT exceed 2^14 + 256. */
export const TLS13_MAX_CIPHERTEXT = MAX_PLAINTEXT + 256;
/** RFC 5246 6.2.3: TLSCiphertext.length MUST NOT exceed 2^14 + 2048. */
export const TLS12_MAX_CIPHERTEXT = MAX_PLAINTEXT + 2048;
const MAX_SEQ = 0xffff_ffff_ffff_ffffn;

/** Why a record could not be protected or unprotected: the alert to send and the rule broken. */
export class RecordProtectionError extends Error {
  override readonly name = 'RecordProtectionError';
  constructor(
    readonly alert: AlertName,
    /** The RFC section, e.g. 'RFC 8446 5.2'. */
    readonly section: string,
    readonly reason: string,
  ) {
    super(`${reason} (alert ${alert}, ${section})`);
  }
}

export function isRecordProtectionError(e: unknown): e is RecordProtectionError {
  return e instanceof RecordProtectionError;
}

/** A record as it appears on the wire: header fields and the (protected) fragment. */
export interface TlsRecord {
  type: number;
  version: number;
  fragment: Uint8Array;
}

/** The protected record: header fields, fragment, and the wire bytes (5-byte header + fragment). */
export interface ProtectedRecord extends TlsRecord {
  bytes: Uint8Array;
}

export type DecryptResult =
  | { ok: true; type: number; content: Uint8Array; sequenceNumber: bigint }
  | { ok: false; error: RecordProtectionError };

export interface EncryptOptions {
  /** TLS 1.3: number of zero bytes after the inner content type (RFC 8446 5.4). TLS 1.2 CBC: padding_length (0..255, RFC 5246 6.2.3.2); default the minimum. */
  padding?: number;
  /** TLS 1.2 CBC: the explicit IV for this record (default: provider.randomBytes). */
  iv?: Uint8Array;
  /** TLS 1.2 GCM: the 8-byte nonce_explicit (default: the sequence number, RFC 5288 3). */
  explicitNonce?: Uint8Array;
  /** TLS 1.2 CBC: the padding vector as given, instead of `padding` bytes of the padding length; its length is the padding length. */
  paddingBytes?: Uint8Array;
  /** TLS 1.2 CBC: the padding_length byte written (0..255), whatever the real padding (default: its length). */
  paddingLengthByte?: number;
  /** TLS 1.2 CBC: xor `value` into MAC byte `at` (negative: from the end), before encryption (MAC-then-encrypt) or after (encrypt-then-MAC). */
  macXor?: { at: number; value: number };
  /**
   * Skip the sender-side size checks, to build an oversized or otherwise invalid record for a negative test.
   * TLS 1.2 CBC: also allow a padding that does not fill the last block; that block is then encrypted as if
   * zero-filled and cut, so TLSCiphertext is not a whole number of blocks.
   */
  unchecked?: boolean;
}

export interface RecordProtection {
  readonly kind: 'tls13' | 'tls12-aead' | 'tls12-cbc';
  /** The sequence number the next record will use. */
  readonly sequenceNumber: bigint;
  encrypt(type: number, content: Uint8Array, options?: EncryptOptions): ProtectedRecord;
  decrypt(record: TlsRecord): DecryptResult;
}

// ---- helpers -------------------------------------------------------------------------------------------


function header(type: number, version: number, length: number): Uint8Array {
  return Uint8Array.of(type & 0xff, (version >> 8) & 0xff, version & 0xff, (length >> 8) & 0xff, length & 0xff);
}

function uint64(n: bigint): Uint8Array {
  const out = new Uint8Array(8);
  new DataView(out.buffer).setBigUint64(0, n);
  return out;
}

function wire(type: number, version: number, fragment: Uint8Array): ProtectedRecord {
  return { type, version, fragment, bytes: concat(header(type, version, fragment.length), fragment) };
}


/** Parse a whole record (5-byte header + fragment) from wire bytes; null if the length does not match. */
export function parseRecord(bytes: Uint8Array): TlsRecord | null {
  if (bytes.length < 5) return null;
  const length = (bytes[3] << 8) | bytes[4];
  if (bytes.length !== 5 + length) return null;
  return { type: bytes[0], version: (bytes[1] << 8) | bytes[2], fragment: bytes.subarray(5) };
}

/** The CBC-only options make no sense for an AEAD record: refuse them rather than send a record not asked for. */
function refuseCbcOptions(options: EncryptOptions, kind: string): void {
  if (options.paddingBytes || options.paddingLengthByte !== undefined || options.macXor)
    throw new RangeError(`paddingBytes, paddingLengthByte and macXor apply to TLS 1.2 CBC records, not ${kind}`);
}

const fail = (alert: AlertName, section: string, reason: string): DecryptResult => ({
  ok: false,
  error: new RecordProtectionError(alert, section, reason),
});

/** Shared sequence-number bookkeeping. */
abstract class SequencedProtection {
  protected seq: bigint;
  constructor(initialSequenceNumber = 0n) {
    if (initialSequenceNumber < 0n || initialSequenceNumber > MAX_SEQ + 1n)
      throw new RangeError(`initial sequence number ${initialSequenceNumber} is not a uint64`);
    this.seq = initialSequenceNumber;
  }
  get sequenceNumber(): bigint {
    return this.seq;
  }
  // RFC 8446 5.3 / RFC 5246 6.1: sequence numbers MUST NOT wrap; rekey or terminate instead.
  protected exhausted(): RecordProtectionError | null {
    return this.seq > MAX_SEQ
      ? new RecordProtectionError(
          'internal_error',
          'RFC 8446 5.3 / RFC 5246 6.1',
          'sequence number would wrap past 2^64-1: the connection must rekey or close',
        )
      : null;
  }
}

// ---- TLS 1.3 -------------------------------------------------------------------------------------------

export interface Tls13RecordOptions {
  /** The legacy_record_version written on encrypt (RFC 8446 5.2: always 0x0303); override only for negative tests. */
  recordVersion?: number;
  /** A lower TLSInnerPlaintext limit, e.g. from record_size_limit (RFC 8449 4); default 2^14 + 1. */
  maxInnerPlaintext?: number;
  initialSequenceNumber?: bigint;
}

/** RFC 8446 5.2-5.4 record protection for one direction under one traffic key. */
export class Tls13RecordProtection extends SequencedProtection implements RecordProtection {
  readonly kind = 'tls13' as const;
  private readonly aead: Aead;
  private readonly iv: Uint8Array;
  private readonly recordVersion: number;
  private readonly maxInner: number;

  constructor(provider: CryptoProvider, suite: Pick<CipherSuiteParams, 'cipher'>, key: Uint8Array, iv: Uint8Array, options: Tls13RecordOptions = {}) {
    super(options.initialSequenceNumber);
    if (suite.cipher.type !== 'aead') throw new TypeError('TLS 1.3 record protection needs an AEAD suite');
    this.aead = provider.aead(suite.cipher.name, key);
    if (iv.length !== this.aead.nonceLength) throw new RangeError(`write IV must be ${this.aead.nonceLength} bytes`);
    this.iv = Uint8Array.from(iv);
    this.recordVersion = options.recordVersion ?? TLS12_RECORD_VERSION;
    this.maxInner = options.maxInnerPlaintext ?? TLS13_MAX_INNER_PLAINTEXT;
  }

  encrypt(type: number, content: Uint8Array, options: EncryptOptions = {}): ProtectedRecord {
    const ex = this.exhausted();
    if (ex) throw ex;
    refuseCbcOptions(options, 'TLS 1.3');
    const padding = options.padding ?? 0;
    if (!Number.isInteger(padding) || padding < 0) throw new RangeError(`bad padding length ${padding}`);
    if (!options.unchecked) {
      // RFC 8446 5.4: the full encoded TLSInnerPlaintext MUST NOT exceed 2^14 + 1 octets.
      if (content.length + 1 + padding > this.maxInner)
        throw new RecordProtectionError('record_overflow', 'RFC 8446 5.4', `TLSInnerPlaintext of ${content.length + 1 + padding} bytes exceeds ${this.maxInner}`);
      // RFC 8446 5.4: MUST NOT send Handshake and Alert records with a zero-length TLSInnerPlaintext.content.
      if (content.length === 0 && type !== CONTENT_TYPE_APPLICATION_DATA)
        throw new RecordProtectionError('unexpected_message', 'RFC 8446 5.4', `zero-length content of type ${type}`);
    }
    // RFC 8446 5.2: TLSInnerPlaintext = content || ContentType || zeros[padding]; RFC 8446 5.4: padding MUST be zeros.
    const trailer = new Uint8Array(1 + padding);
    trailer[0] = type;
    const length = content.length + trailer.length + this.aead.tagLength;
    // RFC 8446 5.2: additional_data = opaque_type || legacy_record_version || length; opaque_type is always 23;
    // it is also the record header, written in front of the ciphertext.
    const aad = header(CONTENT_TYPE_APPLICATION_DATA, this.recordVersion, length);
    const bytes = sealWithHeadroom(this.aead, tls13RecordNonce(this.iv, this.seq), [content, trailer], aad, aad.length);
    bytes.set(aad, 0);
    this.seq += 1n;
    return { type: CONTENT_TYPE_APPLICATION_DATA, version: this.recordVersion, fragment: bytes.subarray(aad.length), bytes };
  }

  decrypt(record: TlsRecord): DecryptResult {
    const ex = this.exhausted();
    if (ex) return { ok: false, error: ex };
    // RFC 8446 5: a record type the receiver does not expect MUST get unexpected_message; once protection is
    // on, only application_data (23) carries protected records (change_cipher_spec is the caller's, 5 / D.4).
    if (record.type !== CONTENT_TYPE_APPLICATION_DATA)
      return fail('unexpected_message', 'RFC 8446 5', `protected record with opaque_type ${record.type}, expected 23`);
    // RFC 8446 5.2: TLSCiphertext.length larger than 2^14 + 256 MUST get record_overflow.
    if (record.fragment.length > TLS13_MAX_CIPHERTEXT)
      return fail('record_overflow', 'RFC 8446 5.2', `TLSCiphertext.length ${record.fragment.length} exceeds 2^14 + 256`);
    const aad = header(record.type, record.version, record.fragment.length);
    const inner = this.aead.open(tls13RecordNonce(this.iv, this.seq), record.fragment, aad);
    // RFC 8446 5.2: if the decryption fails, the receiver MUST terminate the connection with bad_record_mac.
    if (inner === null) return fail('bad_record_mac', 'RFC 8446 5.2', 'AEAD decryption failed');
    // RFC 8446 5.4: the full encoded TLSInnerPlaintext MUST NOT exceed 2^14 + 1 octets (record_overflow, 5.2 / 6.2).
    if (inner.length > this.maxInner)
      return fail('record_overflow', 'RFC 8446 5.4', `TLSInnerPlaintext of ${inner.length} bytes exceeds ${this.maxInner}`);
    // RFC 8446 5.4: scan from the end for the first non-zero octet, which is the content type; none MUST get unexpected_message.
    let i = inner.length - 1;
    while (i >= 0 && inner[i] === 0) i--;
    if (i < 0) return fail('unexpected_message', 'RFC 8446 5.4', 'TLSInnerPlaintext is all zeros: no content type');
    const type = inner[i];
    const content = inner.subarray(0, i);
    // RFC 8446 5.4: zero-length Handshake or Alert content received MUST get unexpected_message.
    if (content.length === 0 && type !== CONTENT_TYPE_APPLICATION_DATA)
      return fail('unexpected_message', 'RFC 8446 5.4', `zero-length TLSInnerPlaintext.content of type ${type}`);
    const sequenceNumber = this.seq;
    this.seq += 1n;
    return { ok: true, type, content, sequenceNumber };
  }
}

// ---- TLS 1.2 AEAD --------------------------------------------------------------------------------------

export interface Tls12RecordOptions {
  /** The record-layer version in the header and the MAC / additional data (RFC 5246 6.2.3); default 0x0303. */
  recordVersion?: number;
  initialSequenceNumber?: bigint;
}

/** RFC 5246 6.2.3.3: additional_data = seq_num + TLSCompressed.type + TLSCompressed.version + TLSCompressed.length. */
function tls12Aad(seq: bigint, type: number, version: number, length: number): Uint8Array {
  return concat(uint64(seq), header(type, version, length));
}

/** Common receive-side checks for TLS 1.2 (RFC 5246 6.2.3, 6.2.1). */
function tls12CheckCiphertext(record: TlsRecord): DecryptResult | null {
  // RFC 5246 6.2.3: TLSCiphertext.length MUST NOT exceed 2^14 + 2048; 7.2.2: record_overflow.
  if (record.fragment.length > TLS12_MAX_CIPHERTEXT)
    return fail('record_overflow', 'RFC 5246 6.2.3', `TLSCiphertext.length ${record.fragment.length} exceeds 2^14 + 2048`);
  return null;
}
function tls12CheckPlaintext(length: number): DecryptResult | null {
  // RFC 5246 6.2.1: TLSPlaintext.length MUST NOT exceed 2^14 (with null compression TLSCompressed = TLSPlaintext, 6.2.2); 7.2.2: record_overflow.
  if (length > MAX_PLAINTEXT) return fail('record_overflow', 'RFC 5246 6.2.1', `decrypted fragment of ${length} bytes exceeds 2^14`);
  return null;
}

/** RFC 5246 6.2.3.3 AEAD record protection: AES-GCM (RFC 5288 3) or ChaCha20-Poly1305 (RFC 7905 2). */
export class Tls12AeadRecordProtection extends SequencedProtection implements RecordProtection {
  readonly kind = 'tls12-aead' as const;
  private readonly aead: Aead;
  private readonly writeIv: Uint8Array;
  private readonly mode: 'explicit' | 'xor';
  private readonly recordVersion: number;

  constructor(
    provider: CryptoProvider,
    suite: Pick<CipherSuiteParams, 'cipher' | 'nonceMode' | 'fixedIvLength' | 'recordIvLength'>,
    key: Uint8Array,
    writeIv: Uint8Array,
    options: Tls12RecordOptions = {},
  ) {
    super(options.initialSequenceNumber);
    if (suite.cipher.type !== 'aead' || suite.nonceMode === null) throw new TypeError('not an AEAD suite');
    this.aead = provider.aead(suite.cipher.name, key);
    this.mode = suite.nonceMode;
    if (writeIv.length !== suite.fixedIvLength) throw new RangeError(`write IV must be ${suite.fixedIvLength} bytes`);
    if (suite.fixedIvLength + suite.recordIvLength !== this.aead.nonceLength)
      throw new RangeError('fixed_iv_length + record_iv_length must equal the AEAD nonce length');
    this.writeIv = Uint8Array.from(writeIv);
    this.recordVersion = options.recordVersion ?? TLS12_RECORD_VERSION;
  }

  private nonce(explicit: Uint8Array): Uint8Array {
    // RFC 5288 3: nonce = salt (4 bytes, client/server_write_IV) || nonce_explicit (8 bytes).
    if (this.mode === 'explicit') return concat(this.writeIv, explicit);
    // RFC 7905 2: the 64-bit sequence number, left-padded, XORed with the 12-byte client/server_write_IV.
    return tls13RecordNonce(this.writeIv, this.seq);
  }

  encrypt(type: number, content: Uint8Array, options: EncryptOptions = {}): ProtectedRecord {
    const ex = this.exhausted();
    if (ex) throw ex;
    refuseCbcOptions(options, 'TLS 1.2 AEAD');
    // RFC 5246 6.2.1: TLSPlaintext.length MUST NOT exceed 2^14.
    if (!options.unchecked && content.length > MAX_PLAINTEXT)
      throw new RecordProtectionError('record_overflow', 'RFC 5246 6.2.1', `fragment of ${content.length} bytes exceeds 2^14`);
    // RFC 5288 3: "The nonce_explicit MAY be the 64-bit sequence number"; it MUST be distinct for each record.
    const explicit = this.mode === 'explicit' ? (options.explicitNonce ?? uint64(this.seq)) : new Uint8Array(0);
    if (this.mode === 'explicit' && explicit.length !== 8) throw new RangeError('nonce_explicit must be 8 bytes');
    const aad = tls12Aad(this.seq, type, this.recordVersion, content.length);
    const sealed = this.aead.seal(this.nonce(explicit), content, aad);
    this.seq += 1n;
    return wire(type, this.recordVersion, concat(explicit, sealed));
  }

  decrypt(record: TlsRecord): DecryptResult {
    const ex = this.exhausted();
    if (ex) return { ok: false, error: ex };
    const tooLong = tls12CheckCiphertext(record);
    if (tooLong) return tooLong;
    const explicitLength = this.mode === 'explicit' ? 8 : 0;
    // A fragment too short for nonce_explicit and tag cannot authenticate: RFC 5246 6.2.3.3 bad_record_mac.
    if (record.fragment.length < explicitLength + this.aead.tagLength)
      return fail('bad_record_mac', 'RFC 5246 6.2.3.3', `AEAD fragment of ${record.fragment.length} bytes is too short`);
    const explicit = record.fragment.subarray(0, explicitLength);
    const sealed = record.fragment.subarray(explicitLength);
    const plainLength = sealed.length - this.aead.tagLength;
    const aad = tls12Aad(this.seq, record.type, record.version, plainLength);
    const content = this.aead.open(this.nonce(explicit), sealed, aad);
    // RFC 5246 6.2.3.3: if the decryption fails, a fatal bad_record_mac alert MUST be generated.
    if (content === null) return fail('bad_record_mac', 'RFC 5246 6.2.3.3', 'AEAD decryption failed');
    const tooBig = tls12CheckPlaintext(content.length);
    if (tooBig) return tooBig;
    const sequenceNumber = this.seq;
    this.seq += 1n;
    return { ok: true, type: record.type, content, sequenceNumber };
  }
}

// ---- TLS 1.2 CBC ---------------------------------------------------------------------------------------

export interface Tls12CbcOptions extends Tls12RecordOptions {
  /** RFC 7366 encrypt-then-MAC, when the encrypt_then_mac extension was negotiated. */
  encryptThenMac?: boolean;
}

/** RFC 5246 6.2.3.2 CBC record protection with HMAC, MAC-then-encrypt or (RFC 7366) encrypt-then-MAC. */
export class Tls12CbcRecordProtection extends SequencedProtection implements RecordProtection {
  readonly kind = 'tls12-cbc' as const;
  private readonly cbc: Cbc;
  private readonly macHash: HashName;
  /** SecurityParameters.mac_length. */
  readonly macLength: number;
  private readonly recordVersion: number;
  readonly encryptThenMac: boolean;

  constructor(
    private readonly provider: CryptoProvider,
    suite: Pick<CipherSuiteParams, 'cipher' | 'mac'>,
    key: Uint8Array,
    private readonly macKey: Uint8Array,
    options: Tls12CbcOptions = {},
  ) {
    super(options.initialSequenceNumber);
    if (suite.cipher.type !== 'cbc' || suite.mac === null) throw new TypeError('not a CBC suite');
    this.cbc = provider.cbc(suite.cipher.name, key);
    this.macHash = suite.mac.hash;
    this.macLength = suite.mac.length;
    if (macKey.length !== suite.mac.keyLength) throw new RangeError(`MAC key must be ${suite.mac.keyLength} bytes`);
    this.recordVersion = options.recordVersion ?? TLS12_RECORD_VERSION;
    this.encryptThenMac = options.encryptThenMac ?? false;
  }

  /** SecurityParameters.block_length (also record_iv_length, RFC 5246 6.2.3.2). */
  get blockLength(): number {
    return this.cbc.blockLength;
  }

  /** RFC 5246 6.2.3.1: MAC(MAC_write_key, seq_num + type + version + length + fragment). */
  private mac(seq: bigint, type: number, version: number, data: Uint8Array): Uint8Array {
    return this.provider.hmac(this.macHash, this.macKey, concat(tls12Aad(seq, type, version, data.length), data)).subarray(0, this.macLength);
  }

  encrypt(type: number, content: Uint8Array, options: EncryptOptions = {}): ProtectedRecord {
    const ex = this.exhausted();
    if (ex) throw ex;
    const block = this.cbc.blockLength;
    // RFC 5246 6.2.1: TLSPlaintext.length MUST NOT exceed 2^14.
    if (!options.unchecked && content.length > MAX_PLAINTEXT)
      throw new RecordProtectionError('record_overflow', 'RFC 5246 6.2.1', `fragment of ${content.length} bytes exceeds 2^14`);
    const macBefore = this.encryptThenMac ? new Uint8Array(0) : this.corruptMac(this.mac(this.seq, type, this.recordVersion, content), options);
    const unpadded = content.length + macBefore.length + 1;
    const minimal = (block - (unpadded % block)) % block;
    const padding = options.paddingBytes?.length ?? options.padding ?? minimal;
    if (options.paddingBytes && options.padding !== undefined && options.padding !== padding)
      throw new RangeError(`padding ${options.padding} and paddingBytes of ${padding} bytes disagree`);
    // RFC 5246 6.2.3.2: padding_length 0..255, and the block-ciphered part a multiple of the block length.
    if (!Number.isInteger(padding) || padding < 0 || padding > 255 || (!options.unchecked && (unpadded + padding) % block !== 0))
      throw new RangeError(`padding_length ${padding} is not 0..255 or does not fill the block (minimum ${minimal})`);
    const lengthByte = options.paddingLengthByte ?? padding;
    if (!Number.isInteger(lengthByte) || lengthByte < 0 || lengthByte > 255) throw new RangeError(`padding_length byte ${lengthByte} is not 0..255`);
    const iv = options.iv ?? this.provider.randomBytes(block);
    if (iv.length !== block) throw new RangeError(`explicit IV must be ${block} bytes`);
    // RFC 5246 6.2.3.2: "Each uint8 in the padding data vector MUST be filled with the padding length value."
    // (unless the caller gives other bytes, for a negative test).
    const plain = new Uint8Array(unpadded + padding);
    plain.set(content, 0);
    plain.set(macBefore, content.length);
    if (options.paddingBytes) plain.set(options.paddingBytes, content.length + macBefore.length);
    else plain.fill(padding, content.length + macBefore.length);
    plain[plain.length - 1] = lengthByte;
    const encrypted = concat(iv, this.encryptBlocks(iv, plain));
    let fragment = encrypted;
    if (this.encryptThenMac) {
      // RFC 7366 3: MAC(MAC_write_key, seq_num + type + version + length + IV + ENC(content + padding +
      // padding_length)), with length that of IV + ciphertext; the MAC follows the ciphertext.
      fragment = concat(encrypted, this.corruptMac(this.mac(this.seq, type, this.recordVersion, encrypted), options));
    }
    this.seq += 1n;
    return wire(type, this.recordVersion, fragment);
  }

  /** The MAC with options.macXor applied (a bad MAC on purpose). */
  private corruptMac(mac: Uint8Array, options: EncryptOptions): Uint8Array {
    const x = options.macXor;
    if (!x) return mac;
    const at = x.at < 0 ? mac.length + x.at : x.at;
    if (!Number.isInteger(at) || at < 0 || at >= mac.length || !Number.isInteger(x.value) || x.value < 0 || x.value > 255)
      throw new RangeError(`macXor { at: ${x.at}, value: ${x.value} } is outside the ${mac.length}-byte MAC or not a byte`);
    const out = Uint8Array.from(mac);
    out[at] ^= x.value;
    return out;
  }

  /** CBC over whole blocks; a partial last block (unchecked requests only) is encrypted zero-filled, then cut. */
  private encryptBlocks(iv: Uint8Array, plain: Uint8Array): Uint8Array {
    const block = this.cbc.blockLength;
    const rest = plain.length % block;
    if (rest === 0) return this.cbc.encrypt(iv, plain);
    const full = new Uint8Array(plain.length + block - rest);
    full.set(plain);
    return this.cbc.encrypt(iv, full).subarray(0, plain.length);
  }

  decrypt(record: TlsRecord): DecryptResult {
    const ex = this.exhausted();
    if (ex) return { ok: false, error: ex };
    const tooLong = tls12CheckCiphertext(record);
    if (tooLong) return tooLong;
    return this.encryptThenMac ? this.decryptEtm(record) : this.decryptMte(record);
  }

  private badRecordMac(section: string): DecryptResult {
    // RFC 5246 6.2.3.2 / 7.2.2: padding errors and MAC errors both get bad_record_mac, indistinguishably.
    return fail('bad_record_mac', section, 'record MAC or padding check failed');
  }

  private decryptMte(record: TlsRecord): DecryptResult {
    const block = this.cbc.blockLength;
    const f = record.fragment;
    // RFC 5246 7.2.2 (bad_record_mac): a ciphertext that is not a whole number of blocks, or too short to hold
    // IV + MAC + padding_length, is a record that "decrypted in an invalid way".
    const minLength = block + Math.ceil((this.macLength + 1) / block) * block;
    if (f.length < minLength || f.length % block !== 0) return this.badRecordMac('RFC 5246 6.2.3.2');
    const plain = this.cbc.decrypt(f.subarray(0, block), f.subarray(block));
    const padLength = plain[plain.length - 1];
    // RFC 5246 6.2.3.2: the receiver MUST check this padding (every byte equals padding_length).
    let padOk = padLength + 1 + this.macLength <= plain.length ? 1 : 0;
    const checked = Math.min(padLength, plain.length - 1); // scan a fixed-bound region, no early exit
    let diff = 0;
    for (let i = 0; i < 256 && i < plain.length - 1; i++) {
      const inPad = i < checked ? 0xff : 0;
      diff |= (plain[plain.length - 2 - i] ^ padLength) & inPad;
    }
    if (diff !== 0) padOk = 0;
    // RFC 5246 6.2.3.2 (timing note): compute the MAC even when the padding is wrong, assuming a zero-length
    // pad, and only then reject, so that padding and MAC failures take essentially the same time.
    const strip = padOk ? padLength + 1 : 1;
    const contentLength = plain.length - strip - this.macLength;
    const content = plain.subarray(0, contentLength);
    const received = plain.subarray(contentLength, contentLength + this.macLength);
    const expected = this.mac(this.seq, record.type, record.version, content);
    const macOk = constantTimeEqual(expected, received);
    if (!(padOk && macOk)) return this.badRecordMac('RFC 5246 6.2.3.2');
    const tooBig = tls12CheckPlaintext(content.length);
    if (tooBig) return tooBig;
    const sequenceNumber = this.seq;
    this.seq += 1n;
    return { ok: true, type: record.type, content: content.slice(), sequenceNumber };
  }

  private decryptEtm(record: TlsRecord): DecryptResult {
    const block = this.cbc.blockLength;
    const f = record.fragment;
    // RFC 7366 3: IV + at least one block of ciphertext + MAC; anything else cannot be valid.
    if (f.length < 2 * block + this.macLength || (f.length - this.macLength) % block !== 0)
      return this.badRecordMac('RFC 7366 3');
    const encrypted = f.subarray(0, f.length - this.macLength);
    const received = f.subarray(f.length - this.macLength);
    // RFC 7366 3: the MAC is checked before decryption; a failure MUST get bad_record_mac.
    if (!constantTimeEqual(this.mac(this.seq, record.type, record.version, encrypted), received))
      return this.badRecordMac('RFC 7366 3');
    const plain = this.cbc.decrypt(encrypted.subarray(0, block), encrypted.subarray(block));
    const padLength = plain[plain.length - 1];
    // RFC 5246 6.2.3.2 (applies under RFC 7366 too): every padding byte MUST equal padding_length; bad_record_mac.
    if (padLength + 1 > plain.length) return this.badRecordMac('RFC 7366 3 / RFC 5246 6.2.3.2');
    for (let i = plain.length - 1 - padLength; i < plain.length - 1; i++)
      if (plain[i] !== padLength) return this.badRecordMac('RFC 7366 3 / RFC 5246 6.2.3.2');
    const content = plain.slice(0, plain.length - 1 - padLength);
    const tooBig = tls12CheckPlaintext(content.length);
    if (tooBig) return tooBig;
    const sequenceNumber = this.seq;
    this.seq += 1n;
    return { ok: true, type: record.type, content, sequenceNumber };
  }
}

// ---- factory -------------------------------------------------------------------------------------------

/** The keys for one direction: TLS 1.3 key + iv; TLS 1.2 write key + write IV (AEAD) or write key + MAC key (CBC). */
export interface DirectionKeys {
  key: Uint8Array;
  iv?: Uint8Array;
  macKey?: Uint8Array;
}

/** Record protection for a suite and one direction's keys. */
export function createRecordProtection(
  provider: CryptoProvider,
  suite: CipherSuiteParams,
  keys: DirectionKeys,
  options: Tls13RecordOptions & Tls12CbcOptions = {},
): RecordProtection {
  if (suite.version === 'TLS1.3') return new Tls13RecordProtection(provider, suite, keys.key, keys.iv ?? new Uint8Array(0), options);
  if (suite.cipher.type === 'aead')
    return new Tls12AeadRecordProtection(provider, suite, keys.key, keys.iv ?? new Uint8Array(0), options);
  return new Tls12CbcRecordProtection(provider, suite, keys.key, keys.macKey ?? new Uint8Array(0), options);
}
