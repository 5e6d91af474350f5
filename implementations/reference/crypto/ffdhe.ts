/**
 * The RFC 7919 finite-field Diffie-Hellman groups the harness negotiates: all five, ffdhe2048, ffdhe3072,
 * ffdhe4096, ffdhe6144 and ffdhe8192.
 *
 * The primes are transcribed from RFC 7919 Appendix A.1 - A.5 ("The hexadecimal representation of p");
 * `ffdhe.test.ts` checks them against GnuTLS's independent PKCS#3 files copied to `vectors/ffdhe/`.
 * Every group uses the generator g = 2; the group order is q = (p-1)/2 (p is a safe prime).
 */

export type FfdheGroupName = 'ffdhe2048' | 'ffdhe3072' | 'ffdhe4096' | 'ffdhe6144' | 'ffdhe8192';

export interface FfdheGroup {
  readonly name: FfdheGroupName;
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

/** RFC 7919 Appendix A.3: 2^4096 - 2^4032 + {[2^3966 * e] + 5736041} * 2^64 - 1. */
export const FFDHE4096_P = BigInt(
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
    '3c1b20ee3fd59d7c25e41d2b669e1ef16e6f52c3164df4fb' +
    '7930e9e4e58857b6ac7d5f42d69f6d187763cf1d55034004' +
    '87f55ba57e31cc7a7135c886efb4318aed6a1e012d9e6832' +
    'a907600a918130c46dc778f971ad0038092999a333cb8b7a' +
    '1a1db93d7140003c2a4ecea9f98d0acc0a8291cdcec97dcf' +
    '8ec9b55a7f88a46b4db5a851f44182e1c68a007e5e655f6a' +
    'ffffffffffffffff',
);

/** RFC 7919 Appendix A.4: 2^6144 - 2^6080 + {[2^6014 * e] + 15705020} * 2^64 - 1. */
export const FFDHE6144_P = BigInt(
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
    '3c1b20ee3fd59d7c25e41d2b669e1ef16e6f52c3164df4fb' +
    '7930e9e4e58857b6ac7d5f42d69f6d187763cf1d55034004' +
    '87f55ba57e31cc7a7135c886efb4318aed6a1e012d9e6832' +
    'a907600a918130c46dc778f971ad0038092999a333cb8b7a' +
    '1a1db93d7140003c2a4ecea9f98d0acc0a8291cdcec97dcf' +
    '8ec9b55a7f88a46b4db5a851f44182e1c68a007e5e0dd902' +
    '0bfd64b645036c7a4e677d2c38532a3a23ba4442caf53ea6' +
    '3bb454329b7624c8917bdd64b1c0fd4cb38e8c334c701c3a' +
    'cdad0657fccfec719b1f5c3e4e46041f388147fb4cfdb477' +
    'a52471f7a9a96910b855322edb6340d8a00ef092350511e3' +
    '0abec1fff9e3a26e7fb29f8c183023c3587e38da0077d9b4' +
    '763e4e4b94b2bbc194c6651e77caf992eeaac0232a281bf6' +
    'b3a739c1226116820ae8db5847a67cbef9c9091b462d538c' +
    'd72b03746ae77f5e62292c311562a846505dc82db854338a' +
    'e49f5235c95b91178ccf2dd5cacef403ec9d1810c6272b04' +
    '5b3b71f9dc6b80d63fdd4a8e9adb1e6962a69526d43161c1' +
    'a41d570d7938dad4a40e329cd0e40e65ffffffffffffffff',
);

/** RFC 7919 Appendix A.5: 2^8192 - 2^8128 + {[2^8062 * e] + 10965728} * 2^64 - 1. */
export const FFDHE8192_P = BigInt(
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
    '3c1b20ee3fd59d7c25e41d2b669e1ef16e6f52c3164df4fb' +
    '7930e9e4e58857b6ac7d5f42d69f6d187763cf1d55034004' +
    '87f55ba57e31cc7a7135c886efb4318aed6a1e012d9e6832' +
    'a907600a918130c46dc778f971ad0038092999a333cb8b7a' +
    '1a1db93d7140003c2a4ecea9f98d0acc0a8291cdcec97dcf' +
    '8ec9b55a7f88a46b4db5a851f44182e1c68a007e5e0dd902' +
    '0bfd64b645036c7a4e677d2c38532a3a23ba4442caf53ea6' +
    '3bb454329b7624c8917bdd64b1c0fd4cb38e8c334c701c3a' +
    'cdad0657fccfec719b1f5c3e4e46041f388147fb4cfdb477' +
    'a52471f7a9a96910b855322edb6340d8a00ef092350511e3' +
    '0abec1fff9e3a26e7fb29f8c183023c3587e38da0077d9b4' +
    '763e4e4b94b2bbc194c6651e77caf992eeaac0232a281bf6' +
    'b3a739c1226116820ae8db5847a67cbef9c9091b462d538c' +
    'd72b03746ae77f5e62292c311562a846505dc82db854338a' +
    'e49f5235c95b91178ccf2dd5cacef403ec9d1810c6272b04' +
    '5b3b71f9dc6b80d63fdd4a8e9adb1e6962a69526d43161c1' +
    'a41d570d7938dad4a40e329ccff46aaa36ad004cf600c838' +
    '1e425a31d951ae64fdb23fcec9509d43687feb69edd1cc5e' +
    '0b8cc3bdf64b10ef86b63142a3ab8829555b2f747c932665' +
    'cb2c0f1cc01bd70229388839d2af05e454504ac78b758282' +
    '2846c0ba35c35f5c59160cc046fd8251541fc68c9c86b022' +
    'bb7099876a460e7451a8a93109703fee1c217e6c3826e52c' +
    '51aa691e0e423cfc99e9e31650c1217b624816cdad9a95f9' +
    'd5b8019488d9c0a0a1fe3075a577e23183f81d4a3f2fa457' +
    '1efc8ce0ba8a4fe8b6855dfe72b0a66eded2fbabfbe58a30' +
    'fafabe1c5d71a87e2f741ef8c1fe86fea6bbfde530677f0d' +
    '97d11d49f7a8443d0822e506a9f4614e011e2a94838ff88c' +
    'd68c8bb7c5c6424cffffffffffffffff',
);

/** Every group: "The generator is: g = 2" (RFC 7919 A.1 - A.5). */
export const FFDHE_G = 2n;

/** Code points: RFC 7919 A.1 - A.5 ("registry value 256" ... 260); minExponentBits: the "at least N bits" of each. */
export const FFDHE_GROUPS: Readonly<Record<FfdheGroupName, FfdheGroup>> = {
  ffdhe2048: { name: 'ffdhe2048', codePoint: 256, p: FFDHE2048_P, g: FFDHE_G, byteLength: 256, minExponentBits: 225 },
  ffdhe3072: { name: 'ffdhe3072', codePoint: 257, p: FFDHE3072_P, g: FFDHE_G, byteLength: 384, minExponentBits: 275 },
  ffdhe4096: { name: 'ffdhe4096', codePoint: 258, p: FFDHE4096_P, g: FFDHE_G, byteLength: 512, minExponentBits: 325 },
  ffdhe6144: { name: 'ffdhe6144', codePoint: 259, p: FFDHE6144_P, g: FFDHE_G, byteLength: 768, minExponentBits: 375 },
  ffdhe8192: { name: 'ffdhe8192', codePoint: 260, p: FFDHE8192_P, g: FFDHE_G, byteLength: 1024, minExponentBits: 400 },
};
