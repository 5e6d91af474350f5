import { describe, expect, it } from 'vitest';
import { createCipheriv, createHash, createHmac } from 'node:crypto';
import fc from 'fast-check';
import { fcParams, fcTimeout } from '../../codec/fc.ts';
import { allProviders } from '../providers.ts';
import { CryptoError, type AeadName, type HashName } from '../provider.ts';

const hex = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s, 'hex'));
const toHex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const ascii = (s: string): Uint8Array => new TextEncoder().encode(s);

/** node:crypto's sealing (ciphertext then 16-byte tag), hex: what the providers must match. */
function nodeSeal(nodeAlg: string, key: Uint8Array, nonce: Uint8Array, aad: Uint8Array, msg: Uint8Array): string {
  const c = createCipheriv(nodeAlg as 'aes-128-gcm', key, nonce, { authTagLength: 16 } as never);
  c.setAAD(aad);
  return Buffer.concat([c.update(msg), c.final(), c.getAuthTag()]).toString('hex');
}
/** Default runs per property (FC_NUM_RUNS and FC_SEED override: see codec/fc.ts). */
const RUNS = 60;

// Every crypto provider (noble, node) passes the same tests.
for (const p of allProviders()) {
  describe(`${p.name} provider`, () => {
    describe('hashes', () => {
      it('hash lengths', () => {
        expect(p.hashLength('sha1')).toBe(20);
        expect(p.hashLength('sha256')).toBe(32);
        expect(p.hashLength('sha384')).toBe(48);
        expect(p.hashLength('sha512')).toBe(64);
      });

      it('FIPS 180-4 "abc" digests', () => {
        expect(toHex(p.hash('sha1', ascii('abc')))).toBe('a9993e364706816aba3e25717850c26c9cd0d89d');
        expect(toHex(p.hash('sha256', ascii('abc')))).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
        expect(toHex(p.hash('sha384', ascii('abc')))).toBe(
          'cb00753f45a35e8bb5a03d699ac65007272c32ab0eded1631a8b605a43ff5bed8086072ba1e7cc2358baeca134c825a7',
        );
      });

      it('createHash: digest() does not end the state; clone() forks it', () => {
        const h = p.createHash('sha256').update(ascii('ab'));
        const mid = h.digest();
        expect(toHex(mid)).toBe(toHex(p.hash('sha256', ascii('ab'))));
        const fork = h.clone();
        h.update(ascii('c'));
        fork.update(ascii('x'));
        expect(toHex(h.digest())).toBe(toHex(p.hash('sha256', ascii('abc'))));
        expect(toHex(fork.digest())).toBe(toHex(p.hash('sha256', ascii('abx'))));
        expect(toHex(h.digest())).toBe(toHex(p.hash('sha256', ascii('abc')))); // twice: same answer
      });

      it('unknown hash → CryptoError unsupported', () => {
        expect(() => p.hash('md5' as HashName, new Uint8Array())).toThrow(CryptoError);
      });

      it('hash and HMAC agree with node:crypto (property, fixed seed)', () => {
        fc.assert(
          fc.property(fc.constantFrom<HashName>('sha1', 'sha256', 'sha384', 'sha512'), fc.uint8Array({ maxLength: 300 }), fc.uint8Array({ maxLength: 200 }), (alg, key, msg) => {
            expect(toHex(p.hash(alg, msg))).toBe(createHash(alg).update(msg).digest('hex'));
            expect(toHex(p.hmac(alg, key, msg))).toBe(createHmac(alg, key).update(msg).digest('hex'));
          }),
          fcParams(RUNS),
        );
      }, fcTimeout(RUNS));
    });

    describe('HKDF', () => {
      it('RFC 5869 A.1', () => {
        const prk = p.hkdfExtract('sha256', hex('000102030405060708090a0b0c'), hex('0b'.repeat(22)));
        expect(toHex(prk)).toBe('077709362c2e32df0ddc3f0dc47bba6390b6c73bb50f9c3122ec844ad7c2b3e5');
        expect(toHex(p.hkdfExpand('sha256', prk, hex('f0f1f2f3f4f5f6f7f8f9'), 42))).toBe(
          '3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865',
        );
      });

      it('RFC 5869 2.3: L <= 255*HashLen, else CryptoError bad_length', () => {
        const prk = new Uint8Array(32);
        expect(p.hkdfExpand('sha256', prk, new Uint8Array(), 255 * 32)).toHaveLength(255 * 32);
        try {
          p.hkdfExpand('sha256', prk, new Uint8Array(), 255 * 32 + 1);
          expect.unreachable();
        } catch (e) {
          expect(e).toBeInstanceOf(CryptoError);
          expect((e as CryptoError).code).toBe('bad_length');
        }
        expect(p.hkdfExpand('sha256', prk, new Uint8Array(), 0)).toHaveLength(0);
      });

      it('agrees with node:crypto hkdfSync (property, fixed seed)', async () => {
        const { hkdfSync } = await import('node:crypto');
        fc.assert(
          fc.property(
            fc.constantFrom<HashName>('sha256', 'sha384'),
            fc.uint8Array({ maxLength: 80 }),
            fc.uint8Array({ minLength: 1, maxLength: 80 }),
            fc.uint8Array({ maxLength: 80 }),
            fc.integer({ min: 1, max: 600 }),
            (alg, ikm, salt, info, len) => {
              const ours = p.hkdfExpand(alg, p.hkdfExtract(alg, salt, ikm), info, len);
              expect(toHex(ours)).toBe(Buffer.from(hkdfSync(alg, ikm, salt, info, len)).toString('hex'));
            },
          ),
          fcParams(RUNS),
        );
      }, fcTimeout(RUNS));
    });

    describe('AEAD', () => {
      const ALGS: [AeadName, string, number][] = [
        ['aes-128-gcm', 'aes-128-gcm', 16],
        ['aes-192-gcm', 'aes-192-gcm', 24],
        ['aes-256-gcm', 'aes-256-gcm', 32],
        ['chacha20-poly1305', 'chacha20-poly1305', 32],
      ];

      for (const [alg, nodeAlg, keyLen] of ALGS) {
        it(`${alg}: matches node:crypto, opens its own output, null on a bad tag (property, fixed seed)`, () => {
          fc.assert(
            fc.property(fc.uint8Array({ minLength: keyLen, maxLength: keyLen }), fc.uint8Array({ minLength: 12, maxLength: 12 }), fc.uint8Array({ maxLength: 100 }), fc.uint8Array({ maxLength: 300 }), fc.nat(), (key, nonce, aad, msg, flip) => {
              const a = p.aead(alg, key);
              expect(a.keyLength).toBe(keyLen);
              expect(a.nonceLength).toBe(12);
              expect(a.tagLength).toBe(16);
              const sealed = a.seal(nonce, msg, aad);
              expect(toHex(sealed)).toBe(nodeSeal(nodeAlg, key, nonce, aad, msg));
              expect(toHex(a.open(nonce, sealed, aad)!)).toBe(toHex(msg));
              const bad = Uint8Array.from(sealed);
              const bit = flip % (bad.length * 8);
              bad[bit >> 3] ^= 1 << (bit & 7);
              expect(a.open(nonce, bad, aad)).toBeNull();
            }),
            fcParams(30),
          );
        }, fcTimeout(30));
      }

      for (const [alg, nodeAlg, keyLen] of ALGS.filter(([a]) => a !== 'chacha20-poly1305')) {
        it(`${alg}: nonces other than 96 bits (>= 8 bytes) match node:crypto; nonceLength stays 12 (property, fixed seed)`, () => {
          fc.assert(
            fc.property(fc.uint8Array({ minLength: keyLen, maxLength: keyLen }), fc.uint8Array({ minLength: 8, maxLength: 300 }), fc.uint8Array({ maxLength: 50 }), fc.uint8Array({ maxLength: 100 }), (key, nonce, aad, msg) => {
              const a = p.aead(alg, key);
              expect(a.nonceLength).toBe(12);
              const sealed = a.seal(nonce, msg, aad);
              expect(toHex(sealed)).toBe(nodeSeal(nodeAlg, key, nonce, aad, msg));
              expect(toHex(a.open(nonce, sealed, aad)!)).toBe(toHex(msg));
              // The nonce is bound: the same ciphertext under a nonce one byte longer does not open.
              expect(a.open(Uint8Array.of(...nonce, 0), sealed, aad)).toBeNull();
            }),
            fcParams(30),
          );
        }, fcTimeout(30));
      }

      it('GCM nonces: empty → bad_length; 1..7 bytes (valid GCM, not in @noble/ciphers) → unsupported', () => {
        const a = p.aead('aes-192-gcm', new Uint8Array(24));
        const code = (f: () => unknown): string | undefined => {
          try {
            f();
            return undefined;
          } catch (e) {
            expect(e).toBeInstanceOf(CryptoError);
            return (e as CryptoError).code;
          }
        };
        expect(code(() => a.seal(new Uint8Array(0), new Uint8Array(), new Uint8Array()))).toBe('bad_length');
        expect(code(() => a.open(new Uint8Array(0), new Uint8Array(16), new Uint8Array()))).toBe('bad_length');
        for (let n = 1; n < 8; n++) {
          expect(code(() => a.seal(new Uint8Array(n), new Uint8Array(), new Uint8Array()))).toBe('unsupported');
          expect(code(() => a.open(new Uint8Array(n), new Uint8Array(16), new Uint8Array()))).toBe('unsupported');
        }
        expect(code(() => a.seal(new Uint8Array(8), new Uint8Array(), new Uint8Array()))).toBeUndefined();
      });

      it('ChaCha20-Poly1305 takes only a 12-byte nonce', () => {
        const a = p.aead('chacha20-poly1305', new Uint8Array(32));
        for (const n of [0, 8, 11, 13, 16, 24]) {
          expect(() => a.seal(new Uint8Array(n), new Uint8Array(), new Uint8Array())).toThrow(CryptoError);
          expect(() => a.open(new Uint8Array(n), new Uint8Array(16), new Uint8Array())).toThrow(CryptoError);
        }
      });

      it('open: a ciphertext shorter than the tag is null, not an exception', () => {
        const a = p.aead('aes-128-gcm', new Uint8Array(16));
        expect(a.open(new Uint8Array(12), new Uint8Array(15), new Uint8Array())).toBeNull();
        expect(a.open(new Uint8Array(12), new Uint8Array(0), new Uint8Array())).toBeNull();
      });

      it('wrong key or nonce length → CryptoError bad_length', () => {
        expect(() => p.aead('aes-128-gcm', new Uint8Array(24))).toThrow(CryptoError);
        expect(() => p.aead('aes-192-gcm', new Uint8Array(16))).toThrow(CryptoError);
        expect(() => p.aead('aes-192-gcm', new Uint8Array(32))).toThrow(CryptoError);
        expect(() => p.aead('chacha20-poly1305', new Uint8Array(16))).toThrow(CryptoError);
        const a = p.aead('chacha20-poly1305', new Uint8Array(32));
        expect(() => a.seal(new Uint8Array(8), new Uint8Array(), new Uint8Array())).toThrow(CryptoError);
        expect(() => a.open(new Uint8Array(16), new Uint8Array(16), new Uint8Array())).toThrow(CryptoError);
        expect(() => p.aead('aes-128-ccm', new Uint8Array(32))).toThrow(CryptoError);
        expect(() => p.aead('aes-128-ocb' as AeadName, new Uint8Array(16))).toThrow(CryptoError);
      });
    });

    // AES-CCM is written in ccm.ts on the noble AES block cipher; node:crypto (OpenSSL) is the independent check.
    describe('AES-CCM (NIST SP 800-38C; RFC 5116 5.3 AEAD_AES_128_CCM, RFC 6655 AEAD_AES_128_CCM_8)', () => {
      const CCMS: [AeadName, string, number, number][] = [
        ['aes-128-ccm', 'aes-128-ccm', 16, 16],
        ['aes-192-ccm', 'aes-192-ccm', 24, 16],
        ['aes-256-ccm', 'aes-256-ccm', 32, 16],
        ['aes-128-ccm-8', 'aes-128-ccm', 16, 8],
      ];
      const nodeSeal = (nodeAlg: string, key: Uint8Array, nonce: Uint8Array, aad: Uint8Array, msg: Uint8Array, tagLength: number): string => {
        const c = createCipheriv(nodeAlg as 'aes-128-ccm', key, nonce, { authTagLength: tagLength });
        c.setAAD(aad, { plaintextLength: msg.length });
        return Buffer.concat([c.update(msg), c.final(), c.getAuthTag()]).toString('hex');
      };

      for (const [alg, nodeAlg, keyLen, tagLen] of CCMS) {
        it(`${alg}: matches node:crypto for every nonce length 7..13, opens its own output, null on any flipped bit (property, fixed seed)`, () => {
          fc.assert(
            fc.property(
              fc.uint8Array({ minLength: keyLen, maxLength: keyLen }),
              fc.integer({ min: 7, max: 13 }).chain((n) => fc.uint8Array({ minLength: n, maxLength: n })),
              fc.uint8Array({ maxLength: 100 }),
              fc.uint8Array({ maxLength: 300 }),
              fc.nat(),
              (key, nonce, aad, msg, flip) => {
                const a = p.aead(alg, key);
                expect([a.keyLength, a.nonceLength, a.tagLength]).toEqual([keyLen, 12, tagLen]);
                const sealed = a.seal(nonce, msg, aad);
                expect(toHex(sealed)).toBe(nodeSeal(nodeAlg, key, nonce, aad, msg, tagLen));
                expect(toHex(a.open(nonce, sealed, aad)!)).toBe(toHex(msg));
                const bad = Uint8Array.from(sealed);
                const bit = flip % (bad.length * 8);
                bad[bit >> 3] ^= 1 << (bit & 7);
                expect(a.open(nonce, bad, aad)).toBeNull();
                // the associated data is bound too
                expect(a.open(nonce, sealed, Uint8Array.of(...aad, 0))).toBeNull();
              },
            ),
            fcParams(30),
          );
        }, fcTimeout(30));
      }

      it('associated data of 2^16 - 2^8 bytes and more takes the 0xff 0xfe length form (SP 800-38C A.2.2)', () => {
        const key = hex('000102030405060708090a0b0c0d0e0f');
        const nonce = hex('101112131415161718191a1b');
        for (const len of [0xfeff, 0xff00, 0x10000]) {
          const aad = new Uint8Array(len).map((_, i) => i & 0xff);
          const msg = ascii('the payload');
          expect(toHex(p.aead('aes-128-ccm', key).seal(nonce, msg, aad))).toBe(nodeSeal('aes-128-ccm', key, nonce, aad, msg, 16));
        }
      });

      it('nonces outside 7..13 bytes → CryptoError bad_length; a ciphertext shorter than the tag → null', () => {
        const a = p.aead('aes-128-ccm-8', new Uint8Array(16));
        for (const n of [0, 1, 6, 14, 16, 32]) {
          expect(() => a.seal(new Uint8Array(n), new Uint8Array(), new Uint8Array())).toThrow(CryptoError);
          expect(() => a.open(new Uint8Array(n), new Uint8Array(16), new Uint8Array())).toThrow(CryptoError);
        }
        expect(a.open(new Uint8Array(12), new Uint8Array(7), new Uint8Array())).toBeNull();
        expect(a.open(new Uint8Array(12), new Uint8Array(8), new Uint8Array())).toBeNull(); // an empty payload's tag, all zeros: wrong
      });

      it('a 13-byte nonce leaves a 2-byte length field: payloads of 2^16 bytes or more are refused (SP 800-38C A.2.1)', () => {
        const a = p.aead('aes-128-ccm', new Uint8Array(16));
        expect(a.seal(new Uint8Array(13), new Uint8Array(0xffff), new Uint8Array()).length).toBe(0xffff + 16);
        expect(() => a.seal(new Uint8Array(13), new Uint8Array(0x10000), new Uint8Array())).toThrow(CryptoError);
      });
    });

    describe('raw AES-CBC', () => {
      it('no padding: matches node:crypto and round-trips (property, fixed seed)', () => {
        fc.assert(
          fc.property(fc.constantFrom(16, 24, 32), fc.integer({ min: 0, max: 8 }), fc.nat(), fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.uint8Array({ minLength: 16, maxLength: 16 }), (keyLen, blocks, seed, k, iv) => {
            const key = k.subarray(0, keyLen);
            const alg = `aes-${keyLen * 8}-cbc` as 'aes-128-cbc' | 'aes-192-cbc' | 'aes-256-cbc';
            const data = Uint8Array.from({ length: blocks * 16 }, (_, i) => (i * 7 + seed) & 0xff);
            const c = p.cbc(alg, key);
            expect(c.keyLength).toBe(keyLen);
            const enc = c.encrypt(iv, data);
            const n = createCipheriv(alg, key, iv).setAutoPadding(false);
            expect(toHex(enc)).toBe(Buffer.concat([n.update(data), n.final()]).toString('hex'));
            expect(toHex(c.decrypt(iv, enc))).toBe(toHex(data));
          }),
          fcParams(RUNS),
        );
      }, fcTimeout(RUNS));

      it('partial block or bad IV → CryptoError bad_length', () => {
        const c = p.cbc('aes-128-cbc', new Uint8Array(16));
        expect(c.blockLength).toBe(16);
        expect(() => c.encrypt(new Uint8Array(16), new Uint8Array(15))).toThrow(CryptoError);
        expect(() => c.decrypt(new Uint8Array(16), new Uint8Array(17))).toThrow(CryptoError);
        expect(() => c.encrypt(new Uint8Array(12), new Uint8Array(16))).toThrow(CryptoError);
        expect(() => p.cbc('aes-256-cbc', new Uint8Array(16))).toThrow(CryptoError);
        expect(() => p.cbc('aes-192-cbc', new Uint8Array(16))).toThrow(CryptoError);
      });
    });

    describe('randomBytes', () => {
      it('gives n fresh bytes', () => {
        expect(p.randomBytes(0)).toHaveLength(0);
        const a = p.randomBytes(32);
        expect(a).toHaveLength(32);
        expect(toHex(a)).not.toBe(toHex(p.randomBytes(32)));
      });
    });
  });
}
