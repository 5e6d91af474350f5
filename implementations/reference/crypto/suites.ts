/**
 * Cipher-suite parameters: what the key schedule, the PRF and the record layer need to know about each
 * suite the harness implements (RFC 8446 B.4; RFC 5246 appendix C and 6.3; RFC 5288 3 and RFC 5289 3.2
 * for GCM; RFC 7905 2 for ChaCha20-Poly1305; RFC 8422 6 for the ECDHE suites; RFC 3268/5246 for AES-CBC).
 *
 * Every suite named in codec/enums.ts CipherSuite that carries keys is here, the five TLS 1.3 suites of RFC 8446
 * B.4 included (AES-CCM: RFC 5116 5.3; AES-CCM-8: RFC 6655, an 8-byte tag). The signalling values
 * (TLS_NULL_WITH_NULL_NULL, the SCSVs) are not cipher suites: UNSUPPORTED_SUITES says so.
 */
import { CipherSuite, type CipherSuiteName } from '../codec/enums.ts';
import type { AeadName, CbcName, HashName } from './provider.ts';

export type TlsVersionName = 'TLS1.2' | 'TLS1.3';

export type BulkCipher = { type: 'aead'; name: AeadName } | { type: 'cbc'; name: CbcName };

/**
 * How a TLS 1.2 AEAD suite builds its per-record nonce:
 * - 'explicit': RFC 5288 3 (GCM): nonce = 4-byte implicit salt (client/server_write_IV) || 8-byte
 *   nonce_explicit carried in the record.
 * - 'xor': RFC 7905 2 (ChaCha20-Poly1305) and every TLS 1.3 suite (RFC 8446 5.3): nonce = 12-byte
 *   write IV XOR the left-padded 64-bit sequence number; nothing explicit in the record.
 * null for CBC suites (they have an explicit per-record IV, RFC 5246 6.2.3.2).
 */
export type NonceMode = 'explicit' | 'xor' | null;

export interface CipherSuiteParams {
  readonly name: CipherSuiteName;
  readonly code: number;
  readonly version: TlsVersionName;
  /** TLS 1.2 key exchange; null in TLS 1.3, where it is negotiated separately (RFC 8446 4.2.7-4.2.9). */
  readonly keyExchange: 'rsa' | 'ecdhe' | 'dhe' | null;
  /** TLS 1.2 server authentication; null in TLS 1.3 (signature_algorithms, RFC 8446 4.2.3). */
  readonly authentication: 'rsa' | 'ecdsa' | null;
  readonly cipher: BulkCipher;
  /** enc_key_length (RFC 5246 6.3) / TLS 1.3 key_length (RFC 8446 7.3). */
  readonly keyLength: number;
  /** fixed_iv_length: client/server_write_IV from the key block (RFC 5246 6.3) or the TLS 1.3 iv_length (RFC 8446 5.3). */
  readonly fixedIvLength: number;
  /** record_iv_length: the explicit per-record IV / nonce_explicit (RFC 5246 6.2.3.2, 6.2.3.3). */
  readonly recordIvLength: number;
  readonly nonceMode: NonceMode;
  /** The record MAC for CBC suites (HMAC, RFC 5246 6.2.3.1); null for AEAD suites. */
  readonly mac: { readonly hash: HashName; readonly length: number; readonly keyLength: number } | null;
  /** TLS 1.2: the PRF hash (RFC 5246 5; SHA-384 for the _SHA384 suites, RFC 5289 3.2 / 5288 3). TLS 1.3: the HKDF and transcript hash. */
  readonly prfHash: HashName;
}

type Row = Omit<CipherSuiteParams, 'name' | 'code'>;

const GCM128: Pick<Row, 'cipher' | 'keyLength' | 'fixedIvLength' | 'recordIvLength' | 'nonceMode' | 'mac'> = {
  cipher: { type: 'aead', name: 'aes-128-gcm' },
  keyLength: 16,
  fixedIvLength: 4, // RFC 5288 3: salt
  recordIvLength: 8, // RFC 5288 3: nonce_explicit
  nonceMode: 'explicit',
  mac: null,
};
const GCM256: typeof GCM128 = { ...GCM128, cipher: { type: 'aead', name: 'aes-256-gcm' }, keyLength: 32 };
// RFC 7905 2: fixed_iv_length 12, record_iv_length 0.
const CHACHA: typeof GCM128 = {
  cipher: { type: 'aead', name: 'chacha20-poly1305' },
  keyLength: 32,
  fixedIvLength: 12,
  recordIvLength: 0,
  nonceMode: 'xor',
  mac: null,
};
const mac = (hash: HashName, length: number) => ({ hash, length, keyLength: length });
// RFC 5246 6.2.3.2 / 6.3: record_iv_length = block size; TLS 1.2 derives no write IVs for CBC.
const CBC128 = (h: HashName, len: number): typeof GCM128 => ({
  cipher: { type: 'cbc', name: 'aes-128-cbc' },
  keyLength: 16,
  fixedIvLength: 0,
  recordIvLength: 16,
  nonceMode: null,
  mac: mac(h, len),
});
const CBC256 = (h: HashName, len: number): typeof GCM128 => ({
  ...CBC128(h, len),
  cipher: { type: 'cbc', name: 'aes-256-cbc' },
  keyLength: 32,
});
// RFC 8446 5.3 / 7.3: iv_length 12, nothing explicit.
const TLS13 = (cipher: AeadName, keyLength: number, hash: HashName): Row => ({
  version: 'TLS1.3',
  keyExchange: null,
  authentication: null,
  cipher: { type: 'aead', name: cipher },
  keyLength,
  fixedIvLength: 12,
  recordIvLength: 0,
  nonceMode: 'xor',
  mac: null,
  prfHash: hash,
});
const T12 = (
  keyExchange: 'rsa' | 'ecdhe' | 'dhe',
  authentication: 'rsa' | 'ecdsa',
  bulk: typeof GCM128,
  prfHash: HashName = 'sha256',
): Row => ({ version: 'TLS1.2', keyExchange, authentication, ...bulk, prfHash });

const ROWS: Partial<Record<CipherSuiteName, Row>> = {
  // TLS 1.3 (RFC 8446 B.4)
  TLS_AES_128_GCM_SHA256: TLS13('aes-128-gcm', 16, 'sha256'),
  TLS_AES_256_GCM_SHA384: TLS13('aes-256-gcm', 32, 'sha384'),
  TLS_CHACHA20_POLY1305_SHA256: TLS13('chacha20-poly1305', 32, 'sha256'),
  // RFC 8446 B.4: AEAD_AES_128_CCM (RFC 5116 5.3) and AEAD_AES_128_CCM_8 (RFC 6655): 12-byte nonce, 16- / 8-byte tag.
  TLS_AES_128_CCM_SHA256: TLS13('aes-128-ccm', 16, 'sha256'),
  TLS_AES_128_CCM_8_SHA256: TLS13('aes-128-ccm-8', 16, 'sha256'),

  // TLS 1.2, RSA key exchange (RFC 5246 A.5, RFC 5288)
  TLS_RSA_WITH_AES_128_CBC_SHA: T12('rsa', 'rsa', CBC128('sha1', 20)),
  TLS_RSA_WITH_AES_256_CBC_SHA: T12('rsa', 'rsa', CBC256('sha1', 20)),
  TLS_RSA_WITH_AES_128_CBC_SHA256: T12('rsa', 'rsa', CBC128('sha256', 32)),
  TLS_RSA_WITH_AES_256_CBC_SHA256: T12('rsa', 'rsa', CBC256('sha256', 32)),
  TLS_RSA_WITH_AES_128_GCM_SHA256: T12('rsa', 'rsa', GCM128),
  TLS_RSA_WITH_AES_256_GCM_SHA384: T12('rsa', 'rsa', GCM256, 'sha384'),

  // TLS 1.2, DHE_RSA (RFC 5246 A.5, RFC 5288, RFC 7905)
  TLS_DHE_RSA_WITH_AES_128_CBC_SHA: T12('dhe', 'rsa', CBC128('sha1', 20)),
  TLS_DHE_RSA_WITH_AES_256_CBC_SHA: T12('dhe', 'rsa', CBC256('sha1', 20)),
  TLS_DHE_RSA_WITH_AES_128_CBC_SHA256: T12('dhe', 'rsa', CBC128('sha256', 32)),
  TLS_DHE_RSA_WITH_AES_256_CBC_SHA256: T12('dhe', 'rsa', CBC256('sha256', 32)),
  TLS_DHE_RSA_WITH_AES_128_GCM_SHA256: T12('dhe', 'rsa', GCM128),
  TLS_DHE_RSA_WITH_AES_256_GCM_SHA384: T12('dhe', 'rsa', GCM256, 'sha384'),
  TLS_DHE_RSA_WITH_CHACHA20_POLY1305_SHA256: T12('dhe', 'rsa', CHACHA),

  // TLS 1.2, ECDHE (RFC 8422 6, RFC 5289, RFC 7905)
  TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA: T12('ecdhe', 'ecdsa', CBC128('sha1', 20)),
  TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA: T12('ecdhe', 'ecdsa', CBC256('sha1', 20)),
  TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA: T12('ecdhe', 'rsa', CBC128('sha1', 20)),
  TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA: T12('ecdhe', 'rsa', CBC256('sha1', 20)),
  // RFC 5289 3.1: the _SHA384 CBC suites use HMAC-SHA384 and P_SHA384.
  TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256: T12('ecdhe', 'ecdsa', CBC128('sha256', 32)),
  TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384: T12('ecdhe', 'ecdsa', CBC256('sha384', 48), 'sha384'),
  TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256: T12('ecdhe', 'rsa', CBC128('sha256', 32)),
  TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384: T12('ecdhe', 'rsa', CBC256('sha384', 48), 'sha384'),
  TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256: T12('ecdhe', 'ecdsa', GCM128),
  TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384: T12('ecdhe', 'ecdsa', GCM256, 'sha384'),
  TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256: T12('ecdhe', 'rsa', GCM128),
  TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384: T12('ecdhe', 'rsa', GCM256, 'sha384'),
  TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256: T12('ecdhe', 'rsa', CHACHA),
  TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256: T12('ecdhe', 'ecdsa', CHACHA),
};

/** Named suites that are deliberately absent from CIPHER_SUITES, with the reason. */
export const UNSUPPORTED_SUITES: Readonly<Partial<Record<CipherSuiteName, string>>> = {
  TLS_NULL_WITH_NULL_NULL: 'the initial null state (RFC 5246 6.1), not a negotiable suite',
  TLS_EMPTY_RENEGOTIATION_INFO_SCSV: 'signalling value (RFC 5746 3.3), not a cipher suite',
  TLS_FALLBACK_SCSV: 'signalling value (RFC 7507), not a cipher suite',
};

/** Every implemented suite, keyed by IANA name. */
export const CIPHER_SUITES: Readonly<Partial<Record<CipherSuiteName, CipherSuiteParams>>> = Object.freeze(
  Object.fromEntries(
    Object.entries(ROWS).map(([name, row]) => [
      name,
      Object.freeze({ name: name as CipherSuiteName, code: CipherSuite[name as CipherSuiteName], ...row }),
    ]),
  ),
);

/** The parameters of a suite by IANA name or code point; undefined if the harness does not implement it. */
export function suiteParams(suite: CipherSuiteName | number): CipherSuiteParams | undefined {
  if (typeof suite === 'number') return Object.values(CIPHER_SUITES).find((s) => s?.code === suite);
  return Object.prototype.hasOwnProperty.call(CIPHER_SUITES, suite) ? CIPHER_SUITES[suite] : undefined;
}

/** RFC 5246 6.3: the length of key_block this suite consumes. */
export function keyBlockLength(s: CipherSuiteParams): number {
  return 2 * ((s.mac?.keyLength ?? 0) + s.keyLength + s.fixedIvLength);
}
