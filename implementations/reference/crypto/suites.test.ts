import { describe, expect, it } from 'vitest';
import { CipherSuite, type CipherSuiteName } from '../codec/enums.ts';
import { CIPHER_SUITES, UNSUPPORTED_SUITES, suiteParams } from './suites.ts';
import { allProviders } from './providers.ts';

// Every crypto provider (noble, node) passes the same tests.
for (const provider of allProviders()) {
  describe(`${provider.name} provider`, () => {
    describe('cipher-suite table', () => {
      it('covers every named suite, or says why not', () => {
        for (const name of Object.keys(CipherSuite) as CipherSuiteName[]) {
          const known = CIPHER_SUITES[name] !== undefined;
          const excused = UNSUPPORTED_SUITES[name] !== undefined;
          expect(known !== excused, name).toBe(true);
        }
      });

      it('looks up by name and by code point', () => {
        const s = suiteParams('TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256')!;
        expect(s.code).toBe(0xc02f);
        expect(suiteParams(0xc02f)).toBe(s);
        expect(suiteParams(0x1306)).toBeUndefined();
        expect(suiteParams('nope' as CipherSuiteName)).toBeUndefined();
      });

      it('parameters are consistent, and the provider has every cipher and MAC', () => {
        for (const s of Object.values(CIPHER_SUITES)) {
          if (!s) continue;
          expect(s.version === 'TLS1.3' ? s.code >> 8 : -1, s.name).toBe(s.version === 'TLS1.3' ? 0x13 : -1);
          if (s.cipher.type === 'aead') {
            const a = provider.aead(s.cipher.name, new Uint8Array(s.keyLength));
            expect(s.fixedIvLength + s.recordIvLength, s.name).toBe(a.nonceLength);
            expect(s.mac, s.name).toBeNull();
          } else {
            provider.cbc(s.cipher.name, new Uint8Array(s.keyLength));
            expect(s.recordIvLength, s.name).toBe(16);
            expect(s.fixedIvLength, s.name).toBe(0);
            expect(provider.hashLength(s.mac!.hash), s.name).toBe(s.mac!.length);
          }
          expect(s.prfHash, s.name).toBe(s.name.endsWith('SHA384') ? 'sha384' : 'sha256');
          if (s.version === 'TLS1.2') {
            expect(s.keyExchange, s.name).toBe(s.name.includes('ECDHE') ? 'ecdhe' : s.name.includes('DHE') ? 'dhe' : 'rsa');
            expect(s.authentication, s.name).toBe(s.name.includes('ECDSA') ? 'ecdsa' : 'rsa');
          }
        }
      });

      it('GCM (RFC 5288 3), ChaCha20 (RFC 7905 2) and TLS 1.3 (RFC 8446 5.3) nonce layouts', () => {
        expect(suiteParams('TLS_RSA_WITH_AES_256_GCM_SHA384')).toMatchObject({ fixedIvLength: 4, recordIvLength: 8, nonceMode: 'explicit', keyLength: 32 });
        expect(suiteParams('TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256')).toMatchObject({ fixedIvLength: 12, recordIvLength: 0, nonceMode: 'xor' });
        expect(suiteParams('TLS_AES_256_GCM_SHA384')).toMatchObject({ fixedIvLength: 12, recordIvLength: 0, prfHash: 'sha384', keyExchange: null });
        expect(suiteParams('TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384')!.mac).toEqual({ hash: 'sha384', length: 48, keyLength: 48 });
        expect(suiteParams('TLS_RSA_WITH_AES_128_CBC_SHA')!.mac).toEqual({ hash: 'sha1', length: 20, keyLength: 20 });
      });

      it('the TLS 1.3 CCM suites (RFC 8446 B.4): AES-128 keys, 12-byte nonces, 16- and 8-byte tags', () => {
        expect(suiteParams(0x1304)).toMatchObject({ name: 'TLS_AES_128_CCM_SHA256', cipher: { type: 'aead', name: 'aes-128-ccm' }, keyLength: 16, fixedIvLength: 12, prfHash: 'sha256' });
        expect(suiteParams(0x1305)).toMatchObject({ name: 'TLS_AES_128_CCM_8_SHA256', cipher: { type: 'aead', name: 'aes-128-ccm-8' }, keyLength: 16, fixedIvLength: 12, prfHash: 'sha256' });
        expect(provider.aead('aes-128-ccm', new Uint8Array(16)).tagLength).toBe(16);
        // RFC 6655 3: AEAD_AES_128_CCM_8 has an 8-octet authentication tag
        expect(provider.aead('aes-128-ccm-8', new Uint8Array(16)).tagLength).toBe(8);
      });
    });
  });
}
