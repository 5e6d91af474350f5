import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { fcParams, fcTimeout } from '../../codec/fc.ts';
import * as nodeCrypto from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { sha256 } from '@noble/hashes/sha2.js';
import { allProviders } from '../providers.ts';
import { rsaPssRecoverSalt, rsaPssSignWithSalt, tls12DhePremasterSecret } from './asymmetric.ts';
import { FFDHE_GROUPS } from '../ffdhe.ts';
import { parsePrivateKey, publicKeyOf, schemesForKey, unwrapKey } from '../keys.ts';
import { CryptoError, SIGNATURE_SCHEME_NAMES, type GroupName, type PrivateKey, type PublicKey, type SignatureSchemeName } from '../provider.ts';

const certsDir = fileURLToPath(new URL('../../certs/', import.meta.url));
const rfc8448Dir = fileURLToPath(new URL('../../../../vectors/rfc8448/keys/', import.meta.url));
const pem = (f: string) => readFileSync(certsDir + f, 'utf8');
const hex = (s: string) => Uint8Array.from(Buffer.from(s.replace(/\s+/g, ''), 'hex'));
const toHex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const enc = (s: string) => new TextEncoder().encode(s);

const KEY_FILES = ['server-rsa2048.key', 'server-p256.key', 'server-p384.key', 'server-p521.key', 'server-ed25519.key', 'server-ed448.key'] as const;
const keys = Object.fromEntries(KEY_FILES.map((f) => [f, unwrapKey(parsePrivateKey(pem(f)))])) as Record<(typeof KEY_FILES)[number], PrivateKey>;

const NODE_HASH: Partial<Record<SignatureSchemeName, string>> = {
  ecdsa_secp256r1_sha256: 'sha256',
  ecdsa_secp384r1_sha384: 'sha384',
  ecdsa_secp521r1_sha512: 'sha512',
  ecdsa_sha1: 'sha1',
  rsa_pss_rsae_sha256: 'sha256',
  rsa_pss_rsae_sha384: 'sha384',
  rsa_pss_rsae_sha512: 'sha512',
  rsa_pkcs1_sha256: 'sha256',
  rsa_pkcs1_sha384: 'sha384',
  rsa_pkcs1_sha512: 'sha512',
  rsa_pkcs1_sha1: 'sha1',
};

/** node:crypto (OpenSSL) sign/verify options for a scheme: an independent implementation to cross-check. */
function nodeOpts(scheme: SignatureSchemeName, keyPem: string, isPrivate: boolean) {
  const key = isPrivate ? nodeCrypto.createPrivateKey(keyPem) : nodeCrypto.createPublicKey(keyPem);
  if (scheme.startsWith('rsa_pss')) {
    const h = NODE_HASH[scheme]!;
    return { alg: h, key: { key, padding: nodeCrypto.constants.RSA_PKCS1_PSS_PADDING, saltLength: nodeCrypto.createHash(h).digest().length } };
  }
  if (scheme.startsWith('ecdsa')) return { alg: NODE_HASH[scheme]!, key: { key, dsaEncoding: 'der' as const } };
  if (scheme === 'ed25519' || scheme === 'ed448') return { alg: null, key: { key } };
  return { alg: NODE_HASH[scheme]!, key: { key } };
}

// Every crypto provider (noble, node) passes the same tests.
for (const P of allProviders()) {
  describe(`${P.name} provider`, () => {
    describe('signatures', () => {
      const cases: [string, SignatureSchemeName][] = [];
      for (const f of KEY_FILES) for (const s of schemesForKey(keys[f])) cases.push([f, s]);

      it('covers every signature scheme of the provider interface', () => {
        expect(new Set(cases.map((c) => c[1]))).toEqual(new Set(SIGNATURE_SCHEME_NAMES));
        expect(SIGNATURE_SCHEME_NAMES).toHaveLength(13);
      });

      for (const [file, scheme] of cases) {
        it(`${scheme} with ${file}: round trip, tamper, and cross-check with OpenSSL (node:crypto)`, () => {
          const key = keys[file as (typeof KEY_FILES)[number]];
          const pub = publicKeyOf(key);
          const msg = enc(`hello ${scheme}`);
          const sig = P.sign(scheme, key, msg);
          expect(P.verify(scheme, pub, msg, sig)).toBe(true);
          // wrong message, flipped signature bit, truncated signature
          expect(P.verify(scheme, pub, enc('other'), sig)).toBe(false);
          const bad = Uint8Array.from(sig);
          bad[bad.length - 5] ^= 0x01;
          expect(P.verify(scheme, pub, msg, bad)).toBe(false);
          expect(P.verify(scheme, pub, msg, sig.subarray(0, sig.length - 1))).toBe(false);
          expect(P.verify(scheme, pub, msg, new Uint8Array(0))).toBe(false);

          // Our signature verifies in OpenSSL, and OpenSSL's verifies with us.
          const keyPem = pem(file);
          const v = nodeOpts(scheme, keyPem, false);
          expect(nodeCrypto.verify(v.alg, msg, v.key, sig)).toBe(true);
          const s = nodeOpts(scheme, keyPem, true);
          const theirs = new Uint8Array(nodeCrypto.sign(s.alg, msg, s.key));
          expect(P.verify(scheme, pub, msg, theirs)).toBe(true);
        });
      }

      it('rsaPssSignWithSalt / rsaPssRecoverSalt round trip for every PSS hash', () => {
        const k = keys['server-rsa2048.key'];
        for (const [scheme, len] of [['rsa_pss_rsae_sha256', 32], ['rsa_pss_rsae_sha384', 48], ['rsa_pss_rsae_sha512', 64]] as const) {
          const salt = nodeCrypto.randomBytes(len);
          const sig = rsaPssSignWithSalt(scheme, k, enc('m'), salt);
          expect(P.verify(scheme, publicKeyOf(k), enc('m'), sig)).toBe(true);
          expect(toHex(rsaPssRecoverSalt(scheme, publicKeyOf(k), enc('m'), sig)!)).toBe(salt.toString('hex'));
          const random = P.sign(scheme, k, enc('m'));
          const s2 = rsaPssRecoverSalt(scheme, publicKeyOf(k), enc('m'), random)!;
          expect(toHex(rsaPssSignWithSalt(scheme, k, enc('m'), s2))).toBe(toHex(random));
        }
      });

      it('refuses an RSASSA-PSS signature whose salt is not as long as the hash (RFC 8446 4.2.3)', () => {
        const keyPem = pem('server-rsa2048.key');
        const k = keys['server-rsa2048.key'];
        const msg = enc('salt');
        for (const [scheme, hash, len] of [['rsa_pss_rsae_sha256', 'sha256', 32], ['rsa_pss_rsae_sha384', 'sha384', 48], ['rsa_pss_rsae_sha512', 'sha512', 64]] as const) {
          for (const saltLength of [0, 20, len - 1, len + 1]) {
            const sig = new Uint8Array(nodeCrypto.sign(hash, msg, { key: nodeCrypto.createPrivateKey(keyPem), padding: nodeCrypto.constants.RSA_PKCS1_PSS_PADDING, saltLength }));
            expect(P.verify(scheme, publicKeyOf(k), msg, sig), `${scheme} with a ${saltLength}-byte salt`).toBe(false);
          }
          const good = new Uint8Array(nodeCrypto.sign(hash, msg, { key: nodeCrypto.createPrivateKey(keyPem), padding: nodeCrypto.constants.RSA_PKCS1_PSS_PADDING, saltLength: len }));
          expect(P.verify(scheme, publicKeyOf(k), msg, good)).toBe(true);
        }
      });

      it('RSA signatures are k bytes long and PKCS#1 v1.5 is deterministic', () => {
        const k = keys['server-rsa2048.key'];
        expect(P.sign('rsa_pss_rsae_sha256', k, enc('x')).length).toBe(256);
        expect(toHex(P.sign('rsa_pkcs1_sha256', k, enc('x')))).toBe(toHex(P.sign('rsa_pkcs1_sha256', k, enc('x'))));
      });

      it('RSA signing without p and q (no CRT) gives the same PKCS#1 v1.5 signature', () => {
        const k = keys['server-rsa2048.key'] as PrivateKey & { kind: 'rsa' };
        const noCrt: PrivateKey = { kind: 'rsa', n: k.n, e: k.e, d: k.d, bits: k.bits };
        expect(toHex(P.sign('rsa_pkcs1_sha384', noCrt, enc('m')))).toBe(toHex(P.sign('rsa_pkcs1_sha384', k, enc('m'))));
      });

      it('an inconsistent RSA key (wrong d) is refused instead of producing a faulty CRT signature', () => {
        const k = keys['server-rsa2048.key'] as PrivateKey & { kind: 'rsa' };
        const broken: PrivateKey = { ...k, d: k.d + 2n };
        expect(() => P.sign('rsa_pkcs1_sha256', broken, enc('m'))).toThrow(CryptoError);
      });

      it('key type must match the scheme: sign throws key_mismatch, verify returns false', () => {
        const rsa = keys['server-rsa2048.key'];
        const p256 = keys['server-p256.key'];
        const p384 = keys['server-p384.key'];
        const ed = keys['server-ed25519.key'];
        const p521 = keys['server-p521.key'];
        const ed448 = keys['server-ed448.key'];
        const msg = enc('m');
        const code = (f: () => unknown) => {
          try {
            f();
          } catch (e) {
            return (e as CryptoError).code;
          }
          return 'no error';
        };
        expect(code(() => P.sign('ecdsa_secp256r1_sha256', rsa, msg))).toBe('key_mismatch');
        expect(code(() => P.sign('ecdsa_secp256r1_sha256', p384, msg))).toBe('key_mismatch');
        expect(code(() => P.sign('ecdsa_secp384r1_sha384', p256, msg))).toBe('key_mismatch');
        expect(code(() => P.sign('rsa_pss_rsae_sha256', p256, msg))).toBe('key_mismatch');
        expect(code(() => P.sign('ed25519', rsa, msg))).toBe('key_mismatch');
        expect(code(() => P.sign('rsa_pkcs1_sha256', ed, msg))).toBe('key_mismatch');
        // RFC 8446 4.2.3: ecdsa_secp521r1_sha512 is P-521 only; ed448 and ed25519 keys are not interchangeable
        expect(code(() => P.sign('ecdsa_secp521r1_sha512', p256, msg))).toBe('key_mismatch');
        expect(code(() => P.sign('ecdsa_secp256r1_sha256', p521, msg))).toBe('key_mismatch');
        expect(code(() => P.sign('ed448', ed, msg))).toBe('key_mismatch');
        expect(code(() => P.sign('ed25519', ed448, msg))).toBe('key_mismatch');
        expect(code(() => P.sign('ecdsa_secp224r1_sha224' as SignatureSchemeName, p256, msg))).toBe('unsupported');

        const sig256 = P.sign('ecdsa_secp256r1_sha256', p256, msg);
        expect(P.verify('ecdsa_secp256r1_sha256', publicKeyOf(p384), msg, sig256)).toBe(false);
        expect(P.verify('ecdsa_secp384r1_sha384', publicKeyOf(p256), msg, sig256)).toBe(false);
        expect(P.verify('rsa_pss_rsae_sha256', publicKeyOf(p256), msg, sig256)).toBe(false);
        expect(P.verify('ed25519', publicKeyOf(rsa), msg, new Uint8Array(64))).toBe(false);
        expect(P.verify('ecdsa_secp521r1_sha512', publicKeyOf(p256), msg, sig256)).toBe(false);
        const sig521 = P.sign('ecdsa_secp521r1_sha512', p521, msg);
        expect(P.verify('ecdsa_secp521r1_sha512', publicKeyOf(p521), msg, sig521)).toBe(true);
        expect(P.verify('ecdsa_secp256r1_sha256', publicKeyOf(p521), msg, sig521)).toBe(false);
        const sig448 = P.sign('ed448', ed448, msg);
        expect(sig448.length).toBe(114); // RFC 8032 5.2.6: 114-byte signatures
        expect(P.verify('ed448', publicKeyOf(ed448), msg, sig448)).toBe(true);
        expect(P.verify('ed25519', publicKeyOf(ed448), msg, sig448)).toBe(false);
        expect(P.verify('ed448', publicKeyOf(ed), msg, sig448)).toBe(false);
        // PSS and PKCS#1 v1.5 signatures are not interchangeable
        const pss = P.sign('rsa_pss_rsae_sha256', rsa, msg);
        expect(P.verify('rsa_pkcs1_sha256', publicKeyOf(rsa), msg, pss)).toBe(false);
        expect(P.verify('rsa_pss_rsae_sha384', publicKeyOf(rsa), msg, pss)).toBe(false);
      });

      it('ecdsaAnyCurve (a TLS 1.2 {hash, ecdsa} pair, RFC 8446 4.2.3): every ECDSA hash with every curve, cross-checked with node:crypto; off by default', () => {
        const ecdsa: [SignatureSchemeName, string][] = [['ecdsa_secp256r1_sha256', 'sha256'], ['ecdsa_secp384r1_sha384', 'sha384'], ['ecdsa_sha1', 'sha1']];
        const any = { ecdsaAnyCurve: true };
        for (const file of ['server-p256.key', 'server-p384.key'] as const) {
          const key = keys[file];
          const pub = publicKeyOf(key);
          for (const [scheme, hash] of ecdsa) {
            const msg = enc(`${file} ${scheme}`);
            const sig = P.sign(scheme, key, msg, any);
            expect(P.verify(scheme, pub, msg, sig, any)).toBe(true);
            // The hash is the scheme's: OpenSSL verifies it with that hash, not with the curve's.
            expect(nodeCrypto.verify(hash, msg, { key: nodeCrypto.createPublicKey(pem(file)), dsaEncoding: 'der' }, sig)).toBe(true);
            const theirs = new Uint8Array(nodeCrypto.sign(hash, msg, { key: nodeCrypto.createPrivateKey(pem(file)), dsaEncoding: 'der' }));
            expect(P.verify(scheme, pub, msg, theirs, any)).toBe(true);
            // Another hash's label does not verify.
            const other = ecdsa.find(([s]) => s !== scheme)![0];
            expect(P.verify(other, pub, msg, sig, any)).toBe(false);
            // Without the option a scheme that names another curve is refused (TLS 1.3: RFC 8446 4.2.3).
            const bound = key.kind === 'ec' && (scheme === 'ecdsa_sha1' || scheme.includes(key.curve));
            expect(P.verify(scheme, pub, msg, sig)).toBe(bound);
            if (!bound) expect(() => P.sign(scheme, key, msg)).toThrow(CryptoError);
          }
        }
        // The option changes nothing for other key types.
        expect(() => P.sign('ecdsa_secp256r1_sha256', keys['server-rsa2048.key'], enc('m'), any)).toThrow(CryptoError);
        expect(P.verify('ecdsa_secp256r1_sha256', publicKeyOf(keys['server-ed25519.key']), enc('m'), new Uint8Array(64), any)).toBe(false);
      });

      it('verify never throws, whatever it is given', () => {
        const junk: PublicKey[] = [
          { kind: 'ec', curve: 'secp256r1', point: new Uint8Array(65) },
          { kind: 'ec', curve: 'secp256r1', point: new Uint8Array(0) },
          { kind: 'rsa', n: 0n, e: 0n, bits: 0 },
          { kind: 'rsa', n: 15n, e: 3n, bits: 4 },
          { kind: 'ed25519', key: new Uint8Array(31) },
          { kind: 'ed25519', key: new Uint8Array(32).fill(0xff) },
          { kind: 'ec', curve: 'secp521r1', point: new Uint8Array(133) },
          { kind: 'ed448', key: new Uint8Array(57) },
          { kind: 'ed448', key: new Uint8Array(56).fill(0xff) },
        ];
        const sigs = [new Uint8Array(0), new Uint8Array(64), new Uint8Array(114), Uint8Array.of(0x30, 0x06, 0x02, 0x01, 0x01, 0x02, 0x01, 0x01), new Uint8Array(300).fill(0xff)];
        for (const k of junk)
          for (const s of sigs)
            for (const scheme of Object.keys(NODE_HASH).concat('ed25519', 'ed448') as SignatureSchemeName[])
              expect(P.verify(scheme, k, enc('m'), s)).toBe(false);
      });

      it('a 1024-bit RSA key cannot make rsa_pss_rsae_sha512 (emLen < 2*hLen + 2)', () => {
        const k = unwrapKey(parsePrivateKey(readFileSync(rfc8448Dir + 'server_key.pem', 'utf8')));
        expect(schemesForKey(k)).not.toContain('rsa_pss_rsae_sha512');
        expect(() => P.sign('rsa_pss_rsae_sha512', k, enc('m'))).toThrow(CryptoError);
        expect(P.verify('rsa_pss_rsae_sha384', publicKeyOf(k), enc('m'), P.sign('rsa_pss_rsae_sha384', k, enc('m')))).toBe(true);
      });
    });

    describe('RFC 8448 section 3: the server CertificateVerify (rsa_pss_rsae_sha256)', () => {
      // Handshake messages transcribed from RFC 8448 section 3 ("construct a ... handshake message").
      const clientHello =
        '010000c00303cb34ecb1e78163ba1c38c6dacb196a6dffa21a8d9912ec18a2ef6283024dece7000006130113031302010000910000000b0009000006736572766572ff01000100000a00140012001d0017001800190100010101020103010400230000003300260024001d002099381de560e4bd43d23d8e435a7dbafeb3c06e51c13cae4d5413691e529aaf2c002b0003020304000d0020001e040305030603020308040805080604010501060102010402050206020202002d00020101001c00024001';
      const serverHello =
        '020000560303a6af06a4121860dc5e6e60249cd34c95930c8ac5cb1434dac155772ed3e2692800130100002e00330024001d0020c9828876112095fe66762bdbf7c672e156d6cc253b833df1dd69b1b04e751f0f002b00020304';
      const encryptedExtensions = '080000240022000a00140012001d00170018001901000101010201030104001c0002400100000000';
      const certificate =
        '0b0001b9000001b50001b0308201ac30820115a003020102020102300d06092a864886f70d01010b0500300e310c300a06035504031303727361301e170d3136303733303031323335395a170d3236303733303031323335395a300e310c300a0603550403130372736130819f300d06092a864886f70d010101050003818d0030818902818100b4bb498f8279303d980836399b36c6988c0c68de55e1bdb826d3901a2461eafd2de49a91d015abbc9a95137ace6c1af19eaa6af98c7ced43120998e187a80ee0ccb0524b1b018c3e0b63264d449a6d38e22a5fda430846748030530ef0461c8ca9d9efbfae8ea6d1d03e2bd193eff0ab9a8002c47428a6d35a8d88d79f7f1e3f0203010001a31a301830090603551d1304023000300b0603551d0f0404030205a0300d06092a864886f70d01010b05000381810085aad2a0e5b9276b908c65f73a7267170618a54c5f8a7b337d2df7a594365417f2eae8f8a58c8f8172f9319cf36b7fd6c55b80f21a03015156726096fd335e5e67f2dbf102702e608ccae6bec1fc63a42a99be5c3eb7107c3c54e9b9eb2bd5203b1c3b84e0a8b2f759409ba3eac9d91d402dcc0cc8f8961229ac9187b42b4de10000';
      const certificateVerify =
        '0f000084080400805a747c5d88fa9bd2e55ab085a61015b7211f824cd484145ab3ff52f1fda8477b0b7abc90db78e2d33a5c141a078653fa6bef780c5ea248eeaaa785c4f394cab6d30bbe8d4859ee511f602957b15411ac027671459e46445c9ea58c181e818e95b8c3fb0bf3278409d3be152a3da5043e063dda65cdf5aea20d53dfacd42f74f3';

      const transcriptHash = sha256(hex(clientHello + serverHello + encryptedExtensions + certificate));
      // RFC 8446 4.4.3: 64 spaces || context string || 0x00 || Transcript-Hash(ClientHello .. Certificate).
      const content = new Uint8Array([...new Uint8Array(64).fill(0x20), ...enc('TLS 1.3, server CertificateVerify'), 0, ...transcriptHash]);
      const cv = hex(certificateVerify);
      const signature = cv.subarray(8); // type(1) length(3) scheme(2) length(2)
      const key = unwrapKey(parsePrivateKey(readFileSync(rfc8448Dir + 'server_key.pem', 'utf8')));

      it('message framing: scheme 0x0804, 128-byte signature', () => {
        expect(toHex(cv.subarray(4, 8))).toBe('08040080');
        expect(signature.length).toBe(128);
      });

      it('verifies with server_key.pem and fails for any other content', () => {
        expect(P.verify('rsa_pss_rsae_sha256', publicKeyOf(key), content, signature)).toBe(true);
        const wrong = Uint8Array.from(content);
        wrong[70] ^= 1; // "TLS 1.3, client CertificateVerify" would be a different context
        expect(P.verify('rsa_pss_rsae_sha256', publicKeyOf(key), wrong, signature)).toBe(false);
        expect(P.verify('rsa_pkcs1_sha256', publicKeyOf(key), content, signature)).toBe(false);
      });

      it('reproduced byte for byte from the recovered salt (deterministic replay)', () => {
        const salt = rsaPssRecoverSalt('rsa_pss_rsae_sha256', publicKeyOf(key), content, signature);
        expect(salt?.length).toBe(32);
        expect(toHex(rsaPssSignWithSalt('rsa_pss_rsae_sha256', key, content, salt!))).toBe(toHex(signature));
        expect(rsaPssRecoverSalt('rsa_pss_rsae_sha256', publicKeyOf(key), enc('other'), signature)).toBeNull();
        expect(() => rsaPssSignWithSalt('rsa_pss_rsae_sha256', key, content, new Uint8Array(20))).toThrow(CryptoError);
      });

      it('our own rsa_pss_rsae_sha256 signature of that content verifies too (PSS is randomised)', () => {
        const ours = P.sign('rsa_pss_rsae_sha256', key, content);
        expect(toHex(ours)).not.toBe(toHex(signature));
        expect(P.verify('rsa_pss_rsae_sha256', publicKeyOf(key), content, ours)).toBe(true);
      });
    });

    describe('key exchange', () => {
      const groups: GroupName[] = ['x25519', 'x448', 'secp256r1', 'secp384r1', 'secp521r1', 'ffdhe2048', 'ffdhe3072', 'ffdhe4096', 'ffdhe6144', 'ffdhe8192'];
      // RFC 8446 4.2.8.1 (|p|), 4.2.8.2 (1 + 2 * field length; 32 / 56 bytes for X25519 / X448)
      const wireLength: Record<GroupName, number> = {
        x25519: 32,
        x448: 56,
        secp256r1: 65,
        secp384r1: 97,
        secp521r1: 133,
        ffdhe2048: 256,
        ffdhe3072: 384,
        ffdhe4096: 512,
        ffdhe6144: 768,
        ffdhe8192: 1024,
      };
      // RFC 8446 7.4.1 (Z padded to |p|), 7.4.2 (the x-coordinate, or the X25519 / X448 output)
      const secretLength: Record<GroupName, number> = {
        x25519: 32,
        x448: 56,
        secp256r1: 32,
        secp384r1: 48,
        secp521r1: 66,
        ffdhe2048: 256,
        ffdhe3072: 384,
        ffdhe4096: 512,
        ffdhe6144: 768,
        ffdhe8192: 1024,
      };

      for (const g of groups) {
        it(`${g}: both sides agree, with the RFC 8446 4.2.8 wire lengths`, () => {
          const kx = P.keyExchange(g);
          expect(kx.group).toBe(g);
          const a = kx.generate();
          const b = kx.generate();
          expect(a.publicKey.length).toBe(wireLength[g]);
          const s1 = kx.sharedSecret(a.privateKey, b.publicKey);
          const s2 = kx.sharedSecret(b.privateKey, a.publicKey);
          expect(toHex(s1)).toBe(toHex(s2));
          expect(s1.length).toBe(secretLength[g]);
          // deterministic mode: the same private key gives the same public key
          expect(toHex(kx.generate(a.privateKey).publicKey)).toBe(toHex(a.publicKey));
        });
      }

      it('agrees with node:crypto (OpenSSL) for every group', () => {
        for (const [g, crv] of [
          ['x25519', 'X25519'],
          ['x448', 'X448'],
        ] as const) {
          const ours = P.keyExchange(g).generate();
          const theirs = nodeCrypto.generateKeyPairSync(g as 'x25519');
          const theirPub = Buffer.from(theirs.publicKey.export({ format: 'jwk' }).x!, 'base64url');
          const ourPubKo = nodeCrypto.createPublicKey({ key: { kty: 'OKP', crv, x: Buffer.from(ours.publicKey).toString('base64url') }, format: 'jwk' });
          const z1 = P.keyExchange(g).sharedSecret(ours.privateKey, theirPub);
          const z2 = nodeCrypto.diffieHellman({ privateKey: theirs.privateKey, publicKey: ourPubKo });
          expect(toHex(z1)).toBe(z2.toString('hex'));
        }
        for (const [g, name] of [
          ['secp256r1', 'prime256v1'],
          ['secp384r1', 'secp384r1'],
          ['secp521r1', 'secp521r1'],
        ] as const) {
          const ours = P.keyExchange(g).generate();
          const ecdh = nodeCrypto.createECDH(name);
          const theirPub = ecdh.generateKeys();
          const z1 = P.keyExchange(g).sharedSecret(ours.privateKey, theirPub);
          expect(toHex(z1)).toBe(ecdh.computeSecret(ours.publicKey).toString('hex'));
        }
        for (const g of ['ffdhe2048', 'ffdhe3072', 'ffdhe4096', 'ffdhe6144', 'ffdhe8192'] as const) {
          const grp = FFDHE_GROUPS[g];
          const ours = P.keyExchange(g).generate();
          const dh = nodeCrypto.createDiffieHellman(Buffer.from(grp.p.toString(16), 'hex'), Buffer.from([2]));
          const theirPub = dh.generateKeys();
          const z1 = P.keyExchange(g).sharedSecret(ours.privateKey, theirPub);
          // node strips leading zeros of Z; TLS 1.3 pads to |p| (RFC 8446 7.4.1)
          expect(toHex(tls12DhePremasterSecret(z1))).toBe(toHex(tls12DhePremasterSecret(dh.computeSecret(ours.publicKey))));
          expect(z1.length).toBe(grp.byteLength);
        }
      });

      const codeOf = (f: () => unknown): string => {
        try {
          f();
        } catch (e) {
          expect(e).toBeInstanceOf(CryptoError);
          return (e as CryptoError).code;
        }
        return 'accepted';
      };

      it('x25519: all-zero shared secret is rejected (RFC 8446 7.4.2, RFC 7748 6.1)', () => {
        const kx = P.keyExchange('x25519');
        const sk = kx.generate().privateKey;
        // low-order u-coordinates: 0, 1, the order-8 points, and p-1 / p / p+1 (non-canonical)
        const lowOrder = [
          '0000000000000000000000000000000000000000000000000000000000000000',
          '0100000000000000000000000000000000000000000000000000000000000000',
          'e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800',
          '5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157',
          'ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
          'edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
          'eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
        ];
        for (const u of lowOrder) expect(codeOf(() => kx.sharedSecret(sk, hex(u)))).toBe('zero_shared_secret');
        expect(codeOf(() => kx.sharedSecret(sk, new Uint8Array(31)))).toBe('invalid_public_key');
        expect(codeOf(() => kx.sharedSecret(sk, new Uint8Array(33)))).toBe('invalid_public_key');
        expect(codeOf(() => kx.generate(new Uint8Array(31)))).toBe('invalid_private_key');
      });

      it('x448: all-zero shared secret is rejected (RFC 8446 7.4.2, RFC 7748 6.2), and lengths are 56 bytes', () => {
        const kx = P.keyExchange('x448');
        const sk = kx.generate().privateKey;
        const le = (x: bigint) => hex(x.toString(16).padStart(112, '0')).reverse();
        const p = 2n ** 448n - 2n ** 224n - 1n; // RFC 7748 4.2
        // low-order u-coordinates of curve448: 0, 1 (order 4: p-1), and the non-canonical p, p+1
        for (const u of [0n, 1n, p - 1n, p, p + 1n]) expect(codeOf(() => kx.sharedSecret(sk, le(u)))).toBe('zero_shared_secret');
        expect(codeOf(() => kx.sharedSecret(sk, new Uint8Array(55)))).toBe('invalid_public_key');
        expect(codeOf(() => kx.sharedSecret(sk, new Uint8Array(57)))).toBe('invalid_public_key');
        expect(codeOf(() => kx.sharedSecret(sk, new Uint8Array(32)))).toBe('invalid_public_key');
        expect(codeOf(() => kx.generate(new Uint8Array(32)))).toBe('invalid_private_key');
        expect(codeOf(() => kx.sharedSecret(sk, le(5n)))).toBe('accepted'); // the base point u = 5 (RFC 7748 4.2)
      });

      // RFC 7748 6.2's Alice and Bob (its text is not in the repo: the values are Wycheproof x448 tcId 88, "RFC 8037,
      // Section A.7", which repeats them; Alice's public key was also recomputed with OpenSSL).
      it('RFC 7748 6.2: the X448 Diffie-Hellman example', () => {
        const kx = P.keyExchange('x448');
        const alice = hex('9a8f4925d1519f5775cf46b04b5800d4ee9ee8bae8bc5565d498c28dd9c9baf574a9419744897391006382a6f127ab1d9ac2d8c0a598726b');
        const bob = hex('1c306a7ac2a0e2e0990b294470cba339e6453772b075811d8fad0d1d6927c120bb5ee8972b0d3e21374c9c921b09d1b0366f10b65173992d');
        const alicePub = kx.generate(alice).publicKey;
        const bobPub = kx.generate(bob).publicKey;
        expect(toHex(alicePub)).toBe('9b08f7cc31b7e3e67d22d5aea121074a273bd2b83de09c63faa73d2c22c5d9bbc836647241d953d40c5b12da88120d53177f80e532c41fa0');
        expect(toHex(bobPub)).toBe('3eb7a829b0cd20f5bcfc0b599b6feccf6da4627107bdb0d4f345b43027d8b972fc3e34fb4232a13ca706dcb57aec3dae07bdc1c67bf33609');
        const k = '07fff4181ac6cc95ec1c16a94a0f74d12da232ce40a77552281d282bb60c0b56fd2464c335543936521c24403085d59a449a5037514a879d';
        expect(toHex(kx.sharedSecret(alice, bobPub))).toBe(k);
        expect(toHex(kx.sharedSecret(bob, alicePub))).toBe(k);
      });

      for (const g of ['secp256r1', 'secp384r1', 'secp521r1'] as const) {
        it(`${g}: rejects compressed, off-curve, infinity, wrong-length and out-of-range points (RFC 8446 4.2.8.2)`, () => {
          const kx = P.keyExchange(g);
          const len = { secp256r1: 32, secp384r1: 48, secp521r1: 66 }[g];
          const a = kx.generate();
          const b = kx.generate();
          const pub = b.publicKey;
          // compressed form of a valid point
          const compressed = Uint8Array.from([2 + (pub[pub.length - 1] & 1), ...pub.subarray(1, 1 + len)]);
          expect(codeOf(() => kx.sharedSecret(a.privateKey, compressed))).toBe('invalid_public_key');
          // off-curve: y + 1
          const off = Uint8Array.from(pub);
          off[off.length - 1] ^= 1;
          expect(codeOf(() => kx.sharedSecret(a.privateKey, off))).toBe('invalid_public_key');
          // infinity (single 0x00) and all-zero coordinates
          expect(codeOf(() => kx.sharedSecret(a.privateKey, Uint8Array.of(0)))).toBe('invalid_public_key');
          expect(codeOf(() => kx.sharedSecret(a.privateKey, Uint8Array.from([4, ...new Uint8Array(2 * len)])))).toBe('invalid_public_key');
          // wrong prefix, wrong lengths
          expect(codeOf(() => kx.sharedSecret(a.privateKey, Uint8Array.from([6, ...pub.subarray(1)])))).toBe('invalid_public_key');
          expect(codeOf(() => kx.sharedSecret(a.privateKey, pub.subarray(0, pub.length - 1)))).toBe('invalid_public_key');
          expect(codeOf(() => kx.sharedSecret(a.privateKey, Uint8Array.from([...pub, 0])))).toBe('invalid_public_key');
          // x >= p
          const big = Uint8Array.from(pub);
          big.fill(0xff, 1, 1 + len);
          expect(codeOf(() => kx.sharedSecret(a.privateKey, big))).toBe('invalid_public_key');
          // a point of another curve
          const other = P.keyExchange(g === 'secp256r1' ? 'secp384r1' : 'secp256r1').generate().publicKey;
          expect(codeOf(() => kx.sharedSecret(a.privateKey, other))).toBe('invalid_public_key');
          // private keys: 0 and wrong length
          expect(codeOf(() => kx.generate(new Uint8Array(len)))).toBe('invalid_private_key');
          expect(codeOf(() => kx.generate(new Uint8Array(len - 1).fill(1)))).toBe('invalid_private_key');
          expect(codeOf(() => kx.sharedSecret(a.privateKey, pub))).toBe('accepted');
        });
      }

      for (const g of ['ffdhe2048', 'ffdhe3072', 'ffdhe4096', 'ffdhe6144', 'ffdhe8192'] as const) {
        it(`${g}: rejects Y outside 1 < Y < p-1 (RFC 7919 5.1)`, () => {
          const kx = P.keyExchange(g);
          const { p, byteLength } = FFDHE_GROUPS[g];
          const sk = kx.generate().privateKey;
          const enc = (y: bigint) => hex(y.toString(16).padStart(byteLength * 2, '0'));
          for (const y of [0n, 1n, p - 1n, p, p + 1n, (1n << BigInt(8 * byteLength)) - 1n])
            expect(codeOf(() => kx.sharedSecret(sk, enc(y)))).toBe('invalid_public_key');
          expect(codeOf(() => kx.sharedSecret(sk, new Uint8Array(byteLength + 1).fill(1)))).toBe('invalid_public_key');
          expect(codeOf(() => kx.sharedSecret(sk, new Uint8Array(0)))).toBe('invalid_public_key');
          expect(codeOf(() => kx.sharedSecret(sk, enc(2n)))).toBe('accepted');
          expect(codeOf(() => kx.sharedSecret(sk, enc(p - 2n)))).toBe('accepted');
          expect(codeOf(() => kx.generate(Uint8Array.of(1)))).toBe('invalid_private_key');
        });

        it(`${g}: the public value and Z are left-padded to |p| (RFC 8446 4.2.8.1, 7.4.1); TLS 1.2 strips Z`, () => {
          const kx = P.keyExchange(g);
          const { byteLength } = FFDHE_GROUPS[g];
          // private key 1 is refused; 2 gives Y = 4, a public value with many leading zero bytes
          const a = kx.generate(Uint8Array.of(2));
          expect(a.publicKey.length).toBe(byteLength);
          expect(toHex(a.publicKey)).toBe('00'.repeat(byteLength - 1) + '04');
          // Z = 4^x: with x = 2 and peer Y = 2, Z = 2^2 = 4
          const z = kx.sharedSecret(Uint8Array.of(2), hex('02'));
          expect(toHex(z)).toBe('00'.repeat(byteLength - 1) + '04');
          expect(toHex(tls12DhePremasterSecret(z))).toBe('04');
          // RFC 5246 dh_Ys without leading zeros is accepted
          expect(toHex(kx.sharedSecret(Uint8Array.of(2), hex('04')))).toBe(toHex(kx.sharedSecret(Uint8Array.of(2), a.publicKey)));
        });
      }

      it('unknown group: CryptoError unsupported', () => {
        expect(codeOf(() => P.keyExchange('sect163k1' as GroupName))).toBe('unsupported');
        expect(codeOf(() => P.keyExchange('toString' as GroupName))).toBe('unsupported');
      });
    });

    describe('RSAES-PKCS1-v1_5', () => {
      const k = keys['server-rsa2048.key'] as PrivateKey & { kind: 'rsa' };
      const pub = publicKeyOf(k) as PublicKey & { kind: 'rsa' };

      it('round trip of a TLS 1.2 pre-master secret (48 bytes)', () => {
        const pms = Uint8Array.from([3, 3, ...new Uint8Array(46).fill(7)]);
        const ct = P.rsaEncrypt(pub, pms);
        expect(ct.length).toBe(256);
        expect(toHex(P.rsaDecrypt(k, ct)!)).toBe(toHex(pms));
      });

      it('decrypts what OpenSSL (node:crypto publicEncrypt) encrypted', () => {
        const pms = nodeCrypto.randomBytes(48);
        const ct = nodeCrypto.publicEncrypt({ key: nodeCrypto.createPublicKey(pem('server-rsa2048.key')), padding: nodeCrypto.constants.RSA_PKCS1_PADDING }, pms);
        expect(toHex(P.rsaDecrypt(k, ct)!)).toBe(pms.toString('hex'));
      });

      it('returns null (never throws) for bad ciphertexts', () => {
        const ct = P.rsaEncrypt(pub, new Uint8Array(48));
        expect(P.rsaDecrypt(k, ct.subarray(1))).toBeNull(); // short
        expect(P.rsaDecrypt(k, Uint8Array.from([...ct, 0]))).toBeNull(); // long
        expect(P.rsaDecrypt(k, new Uint8Array(256).fill(0xff))).toBeNull(); // c >= n
        expect(P.rsaDecrypt(k, new Uint8Array(0))).toBeNull();
        const bad = Uint8Array.from(ct);
        bad[100] ^= 1; // garbage padding (overwhelmingly likely)
        expect(P.rsaDecrypt(k, bad)).toBeNull();
        // a raw RSA "encryption" of an EM with 01 instead of 02 (signature padding) is refused
        const em = BigInt('0x0001' + 'ff'.repeat(200) + '00' + '11'.repeat(53));
        let c = 1n;
        for (let i = 0n, b = em, e = pub.e; e > 0n; e >>= 1n, i++) {
          if (e & 1n) c = (c * b) % pub.n;
          b = (b * b) % pub.n;
        }
        expect(P.rsaDecrypt(k, hex(c.toString(16).padStart(512, '0')))).toBeNull();
      });

      it('rsaEncrypt refuses a message longer than k - 11 with bad_length', () => {
        expect(() => P.rsaEncrypt(pub, new Uint8Array(246))).toThrow(CryptoError);
        expect(P.rsaEncrypt(pub, new Uint8Array(245)).length).toBe(256);
      });
    });

    describe('properties (fast-check)', () => {
      const pubs = KEY_FILES.map((f) => publicKeyOf(keys[f]));
      const schemes = Object.keys(NODE_HASH).concat('ed25519') as SignatureSchemeName[];

      it('verify returns a boolean and never throws for arbitrary signatures', () => {
        fc.assert(
          fc.property(fc.constantFrom(...pubs), fc.constantFrom(...schemes), fc.uint8Array({ maxLength: 80 }), fc.uint8Array({ maxLength: 300 }), (k, scheme, msg, sig) => {
            expect(P.verify(scheme, k, msg, sig)).toBe(false);
          }),
          fcParams(200),
        );
      }, fcTimeout(200));

      it('sign then verify holds for arbitrary messages (ECDSA, Ed25519)', () => {
        const pairs: [PrivateKey, SignatureSchemeName][] = [
          [keys['server-p256.key'], 'ecdsa_secp256r1_sha256'],
          [keys['server-p384.key'], 'ecdsa_secp384r1_sha384'],
          [keys['server-ed25519.key'], 'ed25519'],
        ];
        fc.assert(
          fc.property(fc.constantFrom(...pairs), fc.uint8Array({ maxLength: 200 }), ([k, scheme], msg) => {
            expect(P.verify(scheme, publicKeyOf(k), msg, P.sign(scheme, k, msg))).toBe(true);
          }),
          fcParams(50),
        );
      }, fcTimeout(50));

      it('x25519 sharedSecret throws only CryptoError for arbitrary 32-byte peer values', () => {
        const kx = P.keyExchange('x25519');
        const sk = kx.generate().privateKey;
        fc.assert(
          fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), (u) => {
            try {
              expect(kx.sharedSecret(sk, u).length).toBe(32);
            } catch (e) {
              expect((e as CryptoError).code).toBe('zero_shared_secret');
            }
          }),
          fcParams(100),
        );
      }, fcTimeout(100));
    });
  });
}
