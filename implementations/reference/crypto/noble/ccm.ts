/**
 * AES-CCM (NIST SP 800-38C; RFC 3610), the AEAD of TLS_AES_128_CCM_SHA256 (AEAD_AES_128_CCM, RFC 5116 5.3:
 * 16-byte tag) and TLS_AES_128_CCM_8_SHA256 (AEAD_AES_128_CCM_8, RFC 6655: 8-byte tag), written on the
 * AES block cipher of @noble/ciphers, which has no CCM mode of its own.
 *
 * CCM is CBC-MAC over the formatted input (B0, the encoded associated data, the payload, each zero-padded to
 * whole blocks) followed by CTR-mode encryption with the counter blocks Ctr_i; the tag is the first t bytes
 * of the MAC XOR E(K, Ctr_0). Parameters: nonce length n in 7..13 bytes, so the length field is q = 15 - n
 * bytes; tag length t in {4, 6, 8, 10, 12, 14, 16} (SP 800-38C A.1). Decryption checks the tag before
 * returning anything (constant-time comparison).
 */
import { cbc, ecb } from '@noble/ciphers/aes.js';
import { CryptoError } from '../provider.ts';

const BLOCK = 16;

/** SP 800-38C A.1: the nonce is 7 to 13 bytes. */
export const CCM_MIN_NONCE = 7;
export const CCM_MAX_NONCE = 13;
/** SP 800-38C A.1: t is one of 4, 6, 8, 10, 12, 14, 16. */
const TAG_LENGTHS = [4, 6, 8, 10, 12, 14, 16];

export interface CcmCipher {
  encrypt(plaintext: Uint8Array): Uint8Array;
  /** Throws when the tag does not verify (the provider turns that into null). */
  decrypt(ciphertext: Uint8Array): Uint8Array;
}

/** The bytes of `n` as a big-endian integer of `len` bytes (n < 2^53). */
function uintBE(n: number, len: number): Uint8Array {
  const out = new Uint8Array(len);
  for (let i = len - 1, x = n; i >= 0 && x > 0; i--, x = Math.floor(x / 256)) out[i] = x % 256;
  return out;
}

const padded = (len: number) => Math.ceil(len / BLOCK) * BLOCK;

/** SP 800-38C A.2.2: the encoding of the length a of the associated data (a > 0). */
function aadLengthEncoding(a: number): Uint8Array {
  if (a < 0xff00) return uintBE(a, 2); // 0 < a < 2^16 - 2^8
  if (a < 2 ** 32) return Uint8Array.of(0xff, 0xfe, ...uintBE(a, 4));
  return Uint8Array.of(0xff, 0xff, ...uintBE(a, 8));
}

/**
 * AES-CCM with `tagLength`-byte tags, for one nonce and associated data. Throws CryptoError('bad_length') for
 * a nonce or tag length CCM does not define, or a payload too long for the q-byte length field.
 */
export function ccm(key: Uint8Array, nonce: Uint8Array, aad: Uint8Array, tagLength: number): CcmCipher {
  if (!TAG_LENGTHS.includes(tagLength)) throw new CryptoError('bad_length', `AES-CCM: tag length ${tagLength} is not one of ${TAG_LENGTHS.join(', ')} (NIST SP 800-38C A.1)`);
  if (nonce.length < CCM_MIN_NONCE || nonce.length > CCM_MAX_NONCE)
    throw new CryptoError('bad_length', `AES-CCM: nonce must be ${CCM_MIN_NONCE} to ${CCM_MAX_NONCE} bytes, got ${nonce.length} (NIST SP 800-38C A.1)`);
  const q = 15 - nonce.length;
  const blockCipher = ecb(key, { disablePadding: true });

  /** SP 800-38C A.3: Ctr_i = flags (q-1) || N || [i]_q. */
  const counterBlocks = (from: number, count: number): Uint8Array => {
    const out = new Uint8Array(count * BLOCK);
    for (let j = 0; j < count; j++) {
      const b = out.subarray(j * BLOCK, (j + 1) * BLOCK);
      b[0] = q - 1;
      b.set(nonce, 1);
      b.set(uintBE(from + j, q), 1 + nonce.length);
    }
    return out;
  };

  /** SP 800-38C 6.1 steps 1-4: T = MSB_t(CBC-MAC(B0 || encoded A || padded P)). */
  const mac = (payload: Uint8Array): Uint8Array => {
    // A.2.1: the payload length must fit in q bytes.
    if (q < 7 && payload.length >= 2 ** (8 * q))
      throw new CryptoError('bad_length', `AES-CCM: a ${payload.length}-byte payload does not fit the ${q}-byte length field of a ${nonce.length}-byte nonce`);
    const aadHeader = aad.length > 0 ? aadLengthEncoding(aad.length) : new Uint8Array(0);
    const aadBlockLength = aad.length > 0 ? padded(aadHeader.length + aad.length) : 0;
    const input = new Uint8Array(BLOCK + aadBlockLength + padded(payload.length));
    // A.2.1: B0 = flags || N || Q, flags = Adata * 64 + ((t-2)/2) * 8 + (q-1).
    input[0] = (aad.length > 0 ? 0x40 : 0) | (((tagLength - 2) / 2) << 3) | (q - 1);
    input.set(nonce, 1);
    input.set(uintBE(payload.length, q), 1 + nonce.length);
    input.set(aadHeader, BLOCK);
    input.set(aad, BLOCK + aadHeader.length);
    input.set(payload, BLOCK + aadBlockLength);
    const chain = cbc(key, new Uint8Array(BLOCK), { disablePadding: true }).encrypt(input);
    return chain.subarray(chain.length - BLOCK, chain.length - BLOCK + tagLength);
  };

  /** SP 800-38C 6.1 steps 5-8: S_0 and the keystream S_1 || S_2 || ... for `len` bytes. */
  const keystream = (len: number): { s0: Uint8Array; stream: Uint8Array } => {
    const blocks = blockCipher.encrypt(counterBlocks(0, 1 + Math.ceil(len / BLOCK)));
    return { s0: blocks.subarray(0, BLOCK), stream: blocks.subarray(BLOCK, BLOCK + len) };
  };

  return {
    encrypt(plaintext: Uint8Array): Uint8Array {
      const tag = mac(plaintext);
      const { s0, stream } = keystream(plaintext.length);
      const out = new Uint8Array(plaintext.length + tagLength);
      for (let i = 0; i < plaintext.length; i++) out[i] = plaintext[i] ^ stream[i];
      for (let i = 0; i < tagLength; i++) out[plaintext.length + i] = tag[i] ^ s0[i];
      return out;
    },
    decrypt(ciphertext: Uint8Array): Uint8Array {
      // SP 800-38C 6.2 step 1: Clen must be at least Tlen.
      if (ciphertext.length < tagLength) throw new CryptoError('bad_length', 'AES-CCM: ciphertext shorter than the tag');
      const plen = ciphertext.length - tagLength;
      const { s0, stream } = keystream(plen);
      const plaintext = new Uint8Array(plen);
      for (let i = 0; i < plen; i++) plaintext[i] = ciphertext[i] ^ stream[i];
      const tag = mac(plaintext);
      // SP 800-38C 6.2 steps 9-10: return P only if T equals the received MSB_t(...) XOR S0; constant time.
      let diff = 0;
      for (let i = 0; i < tagLength; i++) diff |= (tag[i] ^ s0[i]) ^ ciphertext[plen + i];
      if (diff !== 0) {
        plaintext.fill(0);
        throw new Error('AES-CCM: tag does not verify');
      }
      return plaintext;
    },
  };
}
