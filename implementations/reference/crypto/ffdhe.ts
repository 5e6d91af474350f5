/**
 * The RFC 7919 finite-field Diffie-Hellman groups the harness negotiates (ffdhe2048, ffdhe3072).
 *
 * The primes are transcribed from RFC 7919 Appendix A.1 / A.2 ("The hexadecimal representation of p");
 * `ffdhe.test.ts` checks them against GnuTLS's independent PKCS#3 files copied to `vectors/ffdhe/`.
 * Both groups use the generator g = 2; the group order is q = (p-1)/2 (p is a safe prime).
 */

export interface FfdheGroup {
  readonly name: 'ffdhe2048' | 'ffdhe3072';
  /** IANA NamedGroup code point (RFC 7919 3). */
  readonly codePoint: number;
  readonly p: bigint;
  readonly g: bigint;
  /** |p| in bytes: the length of dh_Y / KeyShareEntry.key_exchange (RFC 8446 4.2.8.1) and of Z in TLS 1.3. */
  readonly byteLength: number;
  /**
   * The short-exponent size RFC 7919 Appendix A recommends as a minimum ("should choose a secret key of at
   * least N bits", 5.2). Our random private exponents use twice that many bits, rounded up to bytes.
   */
  readonly minExponentBits: number;
}

/** RFC 7919 Appendix A.1: p = 2^2048 - 2^1984 + {[2^1918 * e] + 560316 } * 2^64 - 1. */
export const FFDHE2048_P = BigInt(
  '0x' +
    'ffffffffffffffffadf85458a2bb4a9aafdc5620273d3cf1' +
    'd8b9c583ce2d3695a9e13641146433fbcc939dce249b3ef9' +
    '7d2fe363630c75d8f681b202aec4617ad3df1ed5d5fd6561' +
    '2433f51f5f066ed0856365553ded1af3b557135e7f57c935' +
    '984f0c70e0e68b77e2a689daf3efe8721df158a136ade735' +
    '30acca4f483a797abc0ab182b324fb61d108a94bb2c8e3fb' +
    'b96adab760d7f4681d4f42a3de394df4ae56ede76372bb19' +
    '0b07a7c8ee0a6d709e02fce1cdf7e2ecc03404cd28342f61' +
    '9172fe9ce98583ff8e4f1232eef28183c3fe3b1b4c6fad73' +
    '3bb5fcbc2ec22005c58ef1837d1683b2c6f34a26c1b2effa' +
    '886b423861285c97ffffffffffffffff',
);

/** RFC 7919 Appendix A.2: p = 2^3072 - 2^3008 + {[2^2942 * e] + 2625351} * 2^64 - 1. */
export const FFDHE3072_P = BigInt(
  '0x' +
    'ffffffffffffffffadf85458a2bb4a9aafdc5620273d3cf1' +
    'd8b9c583ce2d3695a9e13641146433fbcc939dce249b3ef9' +
    '7d2fe363630c75d8f681b202aec4617ad3df1ed5d5fd6561' +
    '2433f51f5f066ed0856365553ded1af3b557135e7f57c935' +
    '984f0c70e0e68b77e2a689daf3efe8721df158a136ade735' +
    '30acca4f483a797abc0ab182b324fb61d108a94bb2c8e3fb' +
    'b96adab760d7f4681d4f42a3de394df4ae56ede76372bb19' +
    '0b07a7c8ee0a6d709e02fce1cdf7e2ecc03404cd28342f61' +
    '9172fe9ce98583ff8e4f1232eef28183c3fe3b1b4c6fad73' +
    '3bb5fcbc2ec22005c58ef1837d1683b2c6f34a26c1b2effa' +
    '886b4238611fcfdcde355b3b6519035bbc34f4def99c0238' +
    '61b46fc9d6e6c9077ad91d2691f7f7ee598cb0fac186d91c' +
    'aefe130985139270b4130c93bc437944f4fd4452e2d74dd3' +
    '64f2e21e71f54bff5cae82ab9c9df69ee86d2bc522363a0d' +
    'abc521979b0deada1dbf9a42d5c4484e0abcd06bfa53ddef' +
    '3c1b20ee3fd59d7c25e41d2b66c62e37ffffffffffffffff',
);

/** Both groups: "The generator is: g = 2" (RFC 7919 A.1, A.2). */
export const FFDHE_G = 2n;

export const FFDHE_GROUPS: Readonly<Record<'ffdhe2048' | 'ffdhe3072', FfdheGroup>> = {
  ffdhe2048: { name: 'ffdhe2048', codePoint: 256, p: FFDHE2048_P, g: FFDHE_G, byteLength: 256, minExponentBits: 225 },
  ffdhe3072: { name: 'ffdhe3072', codePoint: 257, p: FFDHE3072_P, g: FFDHE_G, byteLength: 384, minExponentBits: 275 },
};
