import { describe, expect, it } from 'vitest';
import { createHmac } from 'node:crypto';
import fc from 'fast-check';
import { fcParams, fcTimeout } from '../codec/fc.ts';
import { allProviders } from './providers.ts';
import {
  deriveKeyMaterial,
  extendedMasterSecret,
  finishedVerifyData,
  keyBlock,
  masterSecret,
  pHash,
  prf,
} from './tls12-prf.ts';
import { CIPHER_SUITES, keyBlockLength, suiteParams } from './suites.ts';
import type { HashName } from './provider.ts';

const hex = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s, 'hex'));
const toHex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const ascii = (s: string): Uint8Array => new TextEncoder().encode(s);
/** Default runs per property (FC_NUM_RUNS and FC_SEED override: see codec/fc.ts). */
const RUNS = 40;

/** An independent RFC 5246 5 PRF on node:crypto, to cross-check the one on the provider. */
function refPrf(hash: HashName, secret: Uint8Array, label: string, seed: Uint8Array, length: number): string {
  const s = Buffer.concat([Buffer.from(label, 'latin1'), seed]);
  let a: Buffer = s;
  let out = Buffer.alloc(0);
  while (out.length < length) {
    a = createHmac(hash, secret).update(a).digest();
    out = Buffer.concat([out, createHmac(hash, secret).update(a).update(s).digest()]);
  }
  return out.subarray(0, length).toString('hex');
}

// Every crypto provider (noble, node) passes the same tests.
for (const provider of allProviders()) {
  describe(`${provider.name} provider`, () => {
    describe('PRF (RFC 5246 5)', () => {
      it('P_SHA256 vector (IETF TLS WG msg03416)', () => {
        expect(toHex(prf(provider, 'sha256', hex('9bbe436ba940f017b17652849a71db35'), 'test label', hex('a0ba9f936cda311827a6f796ffd5198c'), 100))).toBe(
          'e3f229ba727be17b8d122620557cd453c2aab21d07c3d495329b52d4e61edb5a6b301791e90d35c9c9a46b4e14baf9af0fa022f7077def17abfd3797c0564bab4fbc91666e9def9b97fce34f796789baa48082d122ee42c5a72e5a5110fff70187347b66',
        );
      });

      it('P_SHA384 vector (IETF TLS WG msg03416), prefix', () => {
        const out = prf(provider, 'sha384', hex('b80b733d6ceefcdc71566ea48e5567df'), 'test label', hex('cd665cf6a8447dd6ff8b27555edb7465'), 148);
        expect(toHex(out).slice(0, 64)).toBe('7b0c18e9ced410ed1804f2cfa34a336a1c14dffb4900bb5fd7942107e81c83cd');
        expect(toHex(out).slice(-16)).toBe('5e0990703d73e56f');
      });

      it('a label given as bytes equals the same label given as a string; P_hash of label+seed equals PRF', () => {
        const secret = hex('00112233');
        expect(toHex(prf(provider, 'sha256', secret, ascii('abc'), hex('01'), 33))).toBe(toHex(prf(provider, 'sha256', secret, 'abc', hex('01'), 33)));
        expect(toHex(pHash(provider, 'sha256', secret, ascii('abc\x01'), 33))).toBe(toHex(prf(provider, 'sha256', secret, 'abc', hex('01'), 33)));
        expect(pHash(provider, 'sha256', secret, hex('01'), 0)).toHaveLength(0);
      });

      it('agrees with an independent node:crypto PRF (property, fixed seed)', () => {
        fc.assert(
          fc.property(fc.constantFrom<HashName>('sha256', 'sha384'), fc.uint8Array({ maxLength: 64 }), fc.string({ maxLength: 20 }), fc.uint8Array({ maxLength: 80 }), fc.integer({ min: 0, max: 200 }), (h, secret, label, seed, len) => {
            const l = label.replace(/[^\x20-\x7e]/g, 'x');
            expect(toHex(prf(provider, h, secret, l, seed, len))).toBe(refPrf(h, secret, l, seed, len));
          }),
          fcParams(RUNS),
        );
      }, fcTimeout(RUNS));
    });

    describe('master secret, EMS, key block, Finished', () => {
      const pms = Uint8Array.from({ length: 48 }, (_, i) => i);
      const cr = Uint8Array.from({ length: 32 }, (_, i) => 0xa0 + (i & 0xf));
      const sr = Uint8Array.from({ length: 32 }, (_, i) => 0x50 + (i & 0xf));

      it('master_secret = PRF(pms, "master secret", client_random + server_random)[0..47] (8.1)', () => {
        const ms = masterSecret(provider, 'sha256', pms, cr, sr);
        expect(ms).toHaveLength(48);
        expect(toHex(ms)).toBe(refPrf('sha256', pms, 'master secret', Buffer.concat([cr, sr]), 48));
        // the random order matters
        expect(toHex(ms)).not.toBe(toHex(masterSecret(provider, 'sha256', pms, sr, cr)));
      });

      it('extended master secret = PRF(pms, "extended master secret", session_hash)[0..47] (RFC 7627 4)', () => {
        const sessionHash = provider.hash('sha384', ascii('handshake messages'));
        const ems = extendedMasterSecret(provider, 'sha384', pms, sessionHash);
        expect(ems).toHaveLength(48);
        expect(toHex(ems)).toBe(refPrf('sha384', pms, 'extended master secret', sessionHash, 48));
      });

      it('key_block = PRF(ms, "key expansion", server_random + client_random) (6.3)', () => {
        const ms = masterSecret(provider, 'sha256', pms, cr, sr);
        expect(toHex(keyBlock(provider, 'sha256', ms, cr, sr, 104))).toBe(refPrf('sha256', ms, 'key expansion', Buffer.concat([sr, cr]), 104));
      });

      it('partition for every TLS 1.2 suite: MAC keys, keys, IVs in order, lengths from the suite (6.3)', () => {
        const ms = masterSecret(provider, 'sha256', pms, cr, sr);
        for (const s of Object.values(CIPHER_SUITES)) {
          if (!s || s.version !== 'TLS1.2') continue;
          const km = deriveKeyMaterial(provider, s, ms, cr, sr);
          const block = keyBlock(provider, s.prfHash, ms, cr, sr, keyBlockLength(s));
          const parts = [km.clientWriteMacKey, km.serverWriteMacKey, km.clientWriteKey, km.serverWriteKey, km.clientWriteIv, km.serverWriteIv];
          expect(parts.map((p) => p.length), s.name).toEqual([
            s.mac?.keyLength ?? 0,
            s.mac?.keyLength ?? 0,
            s.keyLength,
            s.keyLength,
            s.fixedIvLength,
            s.fixedIvLength,
          ]);
          expect(parts.map(toHex).join(''), s.name).toBe(toHex(block));
        }
      });

      it('RFC 5246 6.3 implementation note: AES_256_CBC_SHA256 needs 128 bytes of key material', () => {
        expect(keyBlockLength(suiteParams('TLS_RSA_WITH_AES_256_CBC_SHA256')!)).toBe(128);
      });

      it('Finished verify_data = PRF(ms, "client finished" | "server finished", Hash(handshake_messages))[0..11] (7.4.9)', () => {
        const ms = masterSecret(provider, 'sha256', pms, cr, sr);
        const h = provider.hash('sha256', ascii('transcript'));
        const c = finishedVerifyData(provider, 'sha256', ms, 'client', h);
        const s = finishedVerifyData(provider, 'sha256', ms, 'server', h);
        expect(c).toHaveLength(12);
        expect(toHex(c)).toBe(refPrf('sha256', ms, 'client finished', h, 12));
        expect(toHex(s)).toBe(refPrf('sha256', ms, 'server finished', h, 12));
      });
    });
  });
}
