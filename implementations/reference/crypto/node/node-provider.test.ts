/**
 * The node provider is the noble provider, faster: for every operation of the CryptoProvider interface, the
 * same input gives the same output (deterministic operations) or the same refusal (null, false, or a
 * CryptoError with the same code), and randomised outputs (key pairs, RSA-PSS signatures, RSA encryptions)
 * are accepted by the other provider.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { createPublicKey, verify as nodeVerify } from 'node:crypto';
import { ed25519 } from '@noble/curves/ed25519.js';
import { p256, p384, p521 } from '@noble/curves/nist.js';
import { sha512 } from '@noble/hashes/sha2.js';
import { fileURLToPath } from 'node:url';
import { fcParams, fcTimeout } from '../../codec/fc.ts';
import { nobleProvider as noble } from '../noble/index.ts';
import { nodeProvider as node } from './index.ts';
import { parsePrivateKey, publicKeyOf, schemesForKey, unwrapKey } from '../keys.ts';
import { CryptoError, SIGNATURE_SCHEME_NAMES, sealWithHeadroom, type AeadName, type CbcName, type CryptoProvider, type GroupName, type HashName, type PrivateKey, type SignatureSchemeName } from '../provider.ts';

const RUNS = 40;
const toHex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const hex = (s: string) => Uint8Array.from(Buffer.from(s, 'hex'));

/** What an operation did: its bytes / value, or the CryptoError code it threw (any other exception fails). */
function outcome(f: () => unknown): unknown {
  try {
    const v = f();
    return v instanceof Uint8Array ? { bytes: toHex(v) } : { value: v };
  } catch (e) {
    if (e instanceof CryptoError) return { error: e.code };
    throw e;
  }
}
/** Both providers do the same. */
function same(op: (p: CryptoProvider) => unknown): unknown {
  const a = outcome(() => op(noble));
  expect(outcome(() => op(node))).toEqual(a);
  return a;
}

const HASHES: HashName[] = ['sha1', 'sha256', 'sha384', 'sha512'];
const AEADS: [AeadName, number][] = [
  ['aes-128-gcm', 16],
  ['aes-192-gcm', 24],
  ['aes-256-gcm', 32],
  ['chacha20-poly1305', 32],
  ['aes-128-ccm', 16],
  ['aes-192-ccm', 24],
  ['aes-256-ccm', 32],
  ['aes-128-ccm-8', 16],
];
const CBCS: [CbcName, number][] = [
  ['aes-128-cbc', 16],
  ['aes-192-cbc', 24],
  ['aes-256-cbc', 32],
];

describe('node provider = noble provider: symmetric', () => {
  it('names itself', () => {
    expect(node.name).toBe('node');
    expect(noble.name).toBe('noble');
  });

  it('hash, incremental hash with clone, HMAC, HKDF (property)', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...HASHES),
        fc.array(fc.uint8Array({ maxLength: 200 }), { maxLength: 4 }),
        fc.uint8Array({ maxLength: 150 }),
        fc.uint8Array({ maxLength: 80 }),
        fc.integer({ min: -2, max: 300 }),
        (alg, parts, key, info, len) => {
          const data = Buffer.concat(parts);
          expect(same((p) => p.hashLength(alg))).toEqual({ value: { sha1: 20, sha256: 32, sha384: 48, sha512: 64 }[alg] });
          same((p) => p.hash(alg, data));
          same((p) => p.hmac(alg, key, data));
          same((p) => p.hkdfExtract(alg, key, data));
          same((p) => p.hkdfExpand(alg, key, info, len));
          // 255 * HashLen and one more (RFC 5869 2.3)
          same((p) => p.hkdfExpand(alg, key, info, 255 * p.hashLength(alg) + (len & 1)));
          same((p) => {
            const h = p.createHash(alg);
            const mids: string[] = [];
            for (const part of parts) mids.push(toHex(h.update(part).digest()));
            const fork = h.clone().update(info);
            h.update(key);
            return [...mids, toHex(h.digest()), toHex(fork.digest()), toHex(h.digest())].join(',');
          });
        },
      ),
      fcParams(RUNS),
    );
    for (const bad of ['md5', 'sha224', '__proto__', 'constructor'] as unknown as HashName[]) {
      expect(same((p) => p.hash(bad, new Uint8Array(1)))).toEqual({ error: 'unsupported' });
      same((p) => p.hmac(bad, new Uint8Array(1), new Uint8Array(1)));
      same((p) => p.createHash(bad));
      same((p) => p.hashLength(bad));
      same((p) => p.hkdfExpand(bad, new Uint8Array(1), new Uint8Array(1), 10));
    }
  }, fcTimeout(RUNS));

  it('every AEAD: seal and open of sealed, tampered and short ciphertexts, any nonce length (property)', () => {
    const nonceLength = fc.oneof(fc.constant(12), fc.constant(12), fc.integer({ min: 0, max: 17 }));
    fc.assert(
      fc.property(
        fc.constantFrom(...AEADS),
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        nonceLength.chain((n) => fc.uint8Array({ minLength: n, maxLength: n })),
        fc.uint8Array({ maxLength: 300 }),
        fc.uint8Array({ maxLength: 40 }),
        fc.nat(),
        ([alg, keyLength], keyBytes, nonce, plaintext, aad, at) => {
          const key = keyBytes.subarray(0, keyLength);
          const sealed = same((p) => p.aead(alg, key).seal(nonce, plaintext, aad)) as { bytes?: string };
          const ct = sealed.bytes ? hex(sealed.bytes) : plaintext;
          if (sealed.bytes) expect(same((p) => p.aead(alg, key).open(nonce, ct, aad))).toEqual({ bytes: toHex(plaintext) });
          const tampered = Uint8Array.from(ct);
          if (tampered.length > 0) tampered[at % tampered.length] ^= 1 << at % 8;
          same((p) => p.aead(alg, key).open(nonce, tampered, aad));
          same((p) => p.aead(alg, key).open(nonce, ct.subarray(0, at % (ct.length + 1)), aad));
          same((p) => p.aead(alg, key).open(nonce, ct, Uint8Array.of(...aad, 0)));
          // sealWithHeadroom (sealParts where the AEAD has it): the same ciphertext after `headroom` bytes.
          const parts = [plaintext.subarray(0, at % (plaintext.length + 1)), plaintext.subarray(at % (plaintext.length + 1)), Uint8Array.of(23)];
          const whole = Uint8Array.of(...plaintext, 23);
          const headroom = at % 6;
          const viaParts = same((p) => sealWithHeadroom(p.aead(alg, key), nonce, parts, aad, headroom).subarray(headroom)) as { bytes?: string };
          expect(viaParts).toEqual(same((p) => p.aead(alg, key).seal(nonce, whole, aad)));
          const aead = node.aead(alg, key);
          expect([aead.keyLength, aead.nonceLength, aead.tagLength]).toEqual([noble.aead(alg, key).keyLength, 12, alg === 'aes-128-ccm-8' ? 8 : 16]);
        },
      ),
      fcParams(RUNS * 3),
    );
    for (const [alg, n] of AEADS) {
      same((p) => p.aead(alg, new Uint8Array(n + 1)));
      same((p) => p.aead(alg, new Uint8Array(n - 1)));
    }
    same((p) => p.aead('aes-512-gcm' as AeadName, new Uint8Array(16)));
    // CCM with a 13-byte nonce has a 2-byte length field (SP 800-38C A.2.1): 2^16 bytes do not fit.
    expect(same((p) => p.aead('aes-128-ccm', new Uint8Array(16)).seal(new Uint8Array(13), new Uint8Array(65536), new Uint8Array(0)))).toEqual({ error: 'bad_length' });
    // Long associated data takes the 0xff 0xfe length form (SP 800-38C A.2.2).
    same((p) => p.aead('aes-128-ccm-8', new Uint8Array(16)).seal(new Uint8Array(12), new Uint8Array(20), new Uint8Array(0xff00 + 3)));
  }, fcTimeout(RUNS * 3));

  it('raw AES-CBC (no padding): encrypt, decrypt, bad IVs and partial blocks (property)', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...CBCS),
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        fc.oneof(fc.constant(16), fc.integer({ min: 0, max: 20 })).chain((n) => fc.uint8Array({ minLength: n, maxLength: n })),
        fc.oneof(fc.integer({ min: 0, max: 8 }).map((b) => b * 16), fc.integer({ min: 0, max: 130 })).chain((n) => fc.uint8Array({ minLength: n, maxLength: n })),
        ([alg, keyLength], keyBytes, iv, data) => {
          const key = keyBytes.subarray(0, keyLength);
          const enc = same((p) => p.cbc(alg, key).encrypt(iv, data)) as { bytes?: string };
          same((p) => p.cbc(alg, key).decrypt(iv, data));
          if (enc.bytes) expect(same((p) => p.cbc(alg, key).decrypt(iv, hex(enc.bytes!)))).toEqual({ bytes: toHex(data) });
          expect(node.cbc(alg, key).keyLength).toBe(keyLength);
          expect(node.cbc(alg, key).blockLength).toBe(16);
        },
      ),
      fcParams(RUNS),
    );
    same((p) => p.cbc('aes-128-cbc', new Uint8Array(15)));
    same((p) => p.cbc('aes-128-ctr' as CbcName, new Uint8Array(16)));
  }, fcTimeout(RUNS));

  it('randomBytes gives n fresh bytes', () => {
    expect(node.randomBytes(0)).toHaveLength(0);
    expect(toHex(node.randomBytes(32))).not.toBe(toHex(node.randomBytes(32)));
  });
});

// ---------------------------------------------------------------------------------------------------------

const certsDir = fileURLToPath(new URL('../../certs/', import.meta.url));
const KEY_FILES = ['server-rsa2048.key', 'server-p256.key', 'server-p384.key', 'server-p521.key', 'server-ed25519.key', 'server-ed448.key'];
const keys = KEY_FILES.map((f) => unwrapKey(parsePrivateKey(readFileSync(certsDir + f, 'utf8'))));
const ALL_SCHEMES = SIGNATURE_SCHEME_NAMES;
const isRandomised = (s: SignatureSchemeName) => s.startsWith('rsa_pss');

/** A signature changed the way a broken or hostile peer changes it. */
const mutation = fc.oneof(
  fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), bit: fc.nat(7) }),
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('append' as const), byte: fc.nat(255) }),
  fc.record({ kind: fc.constant('random' as const), bytes: fc.uint8Array({ maxLength: 140 }) }),
);
type Mutation = { kind: string; at?: number; bit?: number; byte?: number; bytes?: Uint8Array };
function mutate(sig: Uint8Array, m: Mutation): Uint8Array {
  const s = Uint8Array.from(sig);
  if (m.kind === 'flip' && s.length > 0) s[m.at! % s.length] ^= 1 << m.bit!;
  if (m.kind === 'truncate') return s.subarray(0, m.at! % (s.length + 1));
  if (m.kind === 'append') return Uint8Array.of(...s, m.byte!);
  if (m.kind === 'random') return m.bytes!;
  return s;
}

describe('node provider = noble provider: signatures', () => {
  it('sign: the same signature (deterministic schemes), or one the other provider accepts (RSA-PSS); the same refusals', () => {
    const msg = new TextEncoder().encode('TLS 1.3, server CertificateVerify');
    for (const key of keys) {
      const pub = publicKeyOf(key);
      for (const scheme of ALL_SCHEMES) {
        for (const options of [undefined, { ecdsaAnyCurve: true }]) {
          const fits = schemesForKey(key).includes(scheme) || (options && scheme.startsWith('ecdsa') && key.kind === 'ec');
          if (!fits) {
            same((p) => p.sign(scheme, key, msg, options));
            continue;
          }
          const a = node.sign(scheme, key, msg, options);
          const b = noble.sign(scheme, key, msg, options);
          if (!isRandomised(scheme)) expect(toHex(a)).toBe(toHex(b));
          expect(noble.verify(scheme, pub, msg, a, options)).toBe(true);
          expect(node.verify(scheme, pub, msg, b, options)).toBe(true);
        }
      }
    }
    // RSA-PSS: randomised salts, each provider verifies the other's (RFC 8446 4.2.3: salt length = hash length).
    const rsa = keys[0];
    for (const scheme of ['rsa_pss_rsae_sha256', 'rsa_pss_rsae_sha384', 'rsa_pss_rsae_sha512'] as const) {
      const a = node.sign(scheme, rsa, msg);
      expect(a).toHaveLength(256);
      expect(noble.verify(scheme, publicKeyOf(rsa), msg, a)).toBe(true);
      expect(toHex(a)).not.toBe(toHex(node.sign(scheme, rsa, msg)));
    }
    expect(same((p) => p.sign('nope' as SignatureSchemeName, rsa, msg))).toEqual({ error: 'unsupported' });
  });

  it('ECDSA: RFC 6979 signatures byte-identical to noble for any key and message, every curve and hash (property)', () => {
    // The node provider computes k*G with OpenSSL and the rest itself: any slip (bits2int truncation for
    // P-521, the DRBG's hash, low S, DER lengths over 127 bytes) shows up as a different signature.
    const curves = [
      { curve: 'secp256r1' as const, c: p256, schemes: ['ecdsa_secp256r1_sha256', 'ecdsa_sha1'] as const },
      { curve: 'secp384r1' as const, c: p384, schemes: ['ecdsa_secp384r1_sha384', 'ecdsa_secp256r1_sha256'] as const },
      { curve: 'secp521r1' as const, c: p521, schemes: ['ecdsa_secp521r1_sha512', 'ecdsa_secp256r1_sha256'] as const },
    ];
    fc.assert(
      fc.property(fc.constantFrom(...curves), fc.integer({ min: 0, max: 1 }), fc.uint8Array({ minLength: 100, maxLength: 100 }), fc.uint8Array({ maxLength: 200 }), ({ curve, c, schemes }, i, seed, msg) => {
        const scalar = c.utils.randomSecretKey(seed.subarray(0, c.lengths.seed));
        const key: PrivateKey = { kind: 'ec', curve, scalar, point: c.getPublicKey(scalar, false) };
        const options = { ecdsaAnyCurve: true };
        const a = node.sign(schemes[i], key, msg, options);
        expect(toHex(a)).toBe(toHex(noble.sign(schemes[i], key, msg, options)));
      }),
      fcParams(RUNS * 3),
    );
  }, fcTimeout(RUNS * 3));

  it('RSA keys without p and q, or with a wrong d, behave as with noble', () => {
    const rsa = keys[0] as PrivateKey & { kind: 'rsa' };
    const msg = Uint8Array.of(1, 2, 3);
    const noCrt: PrivateKey = { kind: 'rsa', n: rsa.n, e: rsa.e, d: rsa.d, bits: rsa.bits };
    same((p) => p.sign('rsa_pkcs1_sha256', noCrt, msg));
    const wrongD: PrivateKey = { ...rsa, d: rsa.d + 2n };
    expect(same((p) => p.sign('rsa_pkcs1_sha256', wrongD, msg))).toEqual({ error: 'invalid_private_key' });
    expect(same((p) => p.sign('rsa_pss_rsae_sha256', wrongD, msg))).toEqual({ error: 'invalid_private_key' });
  });

  it('verify: valid, tampered, truncated, extended and random signatures, wrong keys and schemes: the same answer (property)', () => {
    const signed = keys.flatMap((key) =>
      [...schemesForKey(key), 'ecdsa_sha1' as const, 'rsa_pkcs1_sha1' as const].map((scheme) => ({ key, scheme })),
    );
    fc.assert(
      fc.property(
        fc.constantFrom(...signed),
        fc.constantFrom(...ALL_SCHEMES),
        fc.constantFrom(...keys),
        fc.uint8Array({ maxLength: 100 }),
        mutation,
        fc.boolean(),
        ({ key, scheme }, otherScheme, otherKey, msg, m, anyCurve) => {
          const options = anyCurve ? { ecdsaAnyCurve: true } : undefined;
          const sig = outcome(() => noble.sign(scheme, key, msg, options)) as { bytes?: string };
          if (!sig.bytes) return;
          const s = hex(sig.bytes);
          const pub = publicKeyOf(key);
          expect(same((p) => p.verify(scheme, pub, msg, s, options))).toEqual({ value: true });
          same((p) => p.verify(scheme, pub, msg, mutate(s, m), options));
          same((p) => p.verify(scheme, pub, Uint8Array.of(...msg, 0), s, options));
          same((p) => p.verify(otherScheme, pub, msg, s, options));
          same((p) => p.verify(scheme, publicKeyOf(otherKey), msg, s, options));
        },
      ),
      fcParams(RUNS * 2),
    );
  }, fcTimeout(RUNS * 2));

  it('verify: ECDSA with a high S (valid ECDSA), invalid points, and non-Uint8Array input', () => {
    const msg = Uint8Array.of(9);
    const p256 = keys[1] as PrivateKey & { kind: 'ec' };
    const pub = publicKeyOf(p256) as { kind: 'ec'; curve: 'secp256r1'; point: Uint8Array };
    const sig = noble.sign('ecdsa_secp256r1_sha256', p256, msg);
    // DER SEQUENCE { r, s } -> s' = n - s (the same signature, high-S form)
    const n = 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n;
    const rLen = sig[3];
    const r = sig.subarray(4, 4 + rLen);
    const s = BigInt('0x' + toHex(sig.subarray(6 + rLen)));
    let sHigh = (n - s).toString(16);
    if (sHigh.length % 2) sHigh = '0' + sHigh;
    if (parseInt(sHigh.slice(0, 2), 16) >= 0x80) sHigh = '00' + sHigh;
    const sBytes = hex(sHigh);
    const high = Uint8Array.of(0x30, 4 + r.length + sBytes.length, 0x02, r.length, ...r, 0x02, sBytes.length, ...sBytes);
    expect(same((p) => p.verify('ecdsa_secp256r1_sha256', pub, msg, high))).toEqual({ value: true });
    const offCurve = Uint8Array.from(pub.point);
    offCurve[64] ^= 1;
    expect(same((p) => p.verify('ecdsa_secp256r1_sha256', { ...pub, point: offCurve }, msg, sig))).toEqual({ value: false });
    expect(same((p) => p.verify('ecdsa_secp256r1_sha256', { ...pub, point: pub.point.subarray(0, 33) }, msg, sig))).toEqual({ value: false });
    expect(same((p) => p.verify('ecdsa_secp256r1_sha256', pub, msg, 'sig' as unknown as Uint8Array))).toEqual({ value: false });
    expect(same((p) => p.verify('ed25519', { kind: 'ed25519', key: new Uint8Array(32) }, msg, new Uint8Array(64)))).toEqual({ value: false });
  });

  it('Ed25519: a signature whose R has a small-order component passes noble\'s cofactored check, not OpenSSL\'s cofactorless one: node defers to noble', () => {
    // RFC 8032 5.1.7 allows either equation; the providers must still agree. R' = rB + T (T of order 8),
    // S' = r + k'a with k' = SHA-512(R' || A || M): [8](S'B - R' - k'A) = [8](-T) = 0, but S'B - k'A != R'.
    const ed = keys[4] as PrivateKey & { kind: 'ed25519' };
    const { scalar: a, pointBytes: A } = ed25519.utils.getExtendedPublicKey(ed.seed);
    const L = ed25519.Point.CURVE().n;
    const T = ed25519.Point.fromHex('c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a');
    const r = 123456789n;
    const R = ed25519.Point.BASE.multiply(r).add(T).toBytes();
    const msg = Uint8Array.of(1, 2, 3);
    const le = (b: Uint8Array) => BigInt('0x' + toHex(Uint8Array.from(b).reverse()));
    const k = le(sha512(Uint8Array.of(...R, ...A, ...msg))) % L;
    const S = (r + k * a) % L;
    const sBytes = hex(S.toString(16).padStart(64, '0')).reverse();
    const sig = Uint8Array.of(...R, ...sBytes);
    expect(nodeVerify(null, msg, createPublicKey({ key: Buffer.concat([hex('302a300506032b6570032100'), A]), format: 'der', type: 'spki' }), sig)).toBe(false);
    expect(same((p) => p.verify('ed25519', { kind: 'ed25519', key: A }, msg, sig))).toEqual({ value: true });
  });
});

// ---------------------------------------------------------------------------------------------------------

const SMALL_GROUPS: GroupName[] = ['x25519', 'x448', 'secp256r1', 'secp384r1', 'secp521r1'];
const FFDHE: GroupName[] = ['ffdhe2048', 'ffdhe3072', 'ffdhe4096', 'ffdhe6144', 'ffdhe8192'];

describe('node provider = noble provider: key exchange', () => {
  for (const g of [...SMALL_GROUPS, ...FFDHE]) {
    it(`${g}: node's key pairs are noble's for the same private key; shared secrets agree across providers`, () => {
      const a = node.keyExchange(g).generate();
      const b = noble.keyExchange(g).generate();
      expect(a.group).toBe(g);
      expect(toHex(noble.keyExchange(g).generate(a.privateKey).publicKey)).toBe(toHex(a.publicKey));
      expect(toHex(node.keyExchange(g).generate(b.privateKey).publicKey)).toBe(toHex(b.publicKey));
      const s = same((p) => p.keyExchange(g).sharedSecret(a.privateKey, b.publicKey));
      expect(same((p) => p.keyExchange(g).sharedSecret(b.privateKey, a.publicKey))).toEqual(s);
      // A private key changed after generation is used as it now is.
      const changed = Uint8Array.from(a.privateKey);
      a.privateKey[a.privateKey.length - 1] ^= 1;
      same((p) => p.keyExchange(g).sharedSecret(a.privateKey, b.publicKey));
      same((p) => p.keyExchange(g).sharedSecret(changed, b.publicKey));
      // Peer values of the wrong length, empty, zero, one, all-ones; private keys zero or of the wrong length.
      const len = a.publicKey.length;
      for (const peer of [new Uint8Array(0), new Uint8Array(len), new Uint8Array(len - 1), new Uint8Array(len + 1), new Uint8Array(len).fill(0xff), Uint8Array.of(...new Uint8Array(len - 1), 1), Uint8Array.of(1)])
        same((p) => p.keyExchange(g).sharedSecret(b.privateKey, peer));
      for (const sk of [new Uint8Array(0), new Uint8Array(b.privateKey.length), new Uint8Array(b.privateKey.length).fill(0xff), Uint8Array.of(...b.privateKey, 1)]) {
        same((p) => p.keyExchange(g).sharedSecret(sk, a.publicKey));
        same((p) => p.keyExchange(g).generate(sk));
      }
    }, 60_000);
  }

  it('invalid and hostile peer values (random bytes, tampered points, compressed points): the same secret or the same error (property)', () => {
    const pairs = Object.fromEntries(SMALL_GROUPS.map((g) => [g, noble.keyExchange(g).generate()]));
    fc.assert(
      fc.property(fc.constantFrom(...SMALL_GROUPS), fc.nat(), fc.nat(7), fc.uint8Array({ minLength: 133, maxLength: 133 }), fc.nat(3), (g, at, bit, random, how) => {
        const own = pairs[g];
        const peer = node.keyExchange(g).generate().publicKey;
        let v: Uint8Array;
        if (how === 0) v = random.subarray(0, peer.length);
        else if (how === 1) {
          v = Uint8Array.from(peer);
          v[at % v.length] ^= 1 << bit;
        } else if (how === 2) v = Uint8Array.of(0x02 | (peer[peer.length - 1] & 1), ...peer.subarray(1, 1 + (peer.length - 1) / 2));
        else v = Uint8Array.of(0x04, ...random.subarray(0, peer.length - 1));
        same((p) => p.keyExchange(g).sharedSecret(own.privateKey, v));
      }),
      fcParams(RUNS * 3),
    );
  }, fcTimeout(RUNS * 3));

  it('X25519 / X448 low-order points give zero_shared_secret with both (RFC 8446 7.4.2, RFC 7748 6)', () => {
    const x = noble.keyExchange('x25519').generate();
    for (const u of ['00'.repeat(32), '01' + '00'.repeat(31), 'e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800', 'ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f'])
      expect(same((p) => p.keyExchange('x25519').sharedSecret(x.privateKey, hex(u)))).toEqual({ error: 'zero_shared_secret' });
    const y = noble.keyExchange('x448').generate();
    for (const u of ['00'.repeat(56), '01' + '00'.repeat(55)]) expect(same((p) => p.keyExchange('x448').sharedSecret(y.privateKey, hex(u)))).toEqual({ error: 'zero_shared_secret' });
    expect(same((p) => p.keyExchange('x25519' + 'x' as GroupName))).toEqual({ error: 'unsupported' });
  });
});

describe('node provider = noble provider: RSAES-PKCS1-v1_5', () => {
  it('node encrypts what noble decrypts; the same refusals', () => {
    const rsa = keys[0] as PrivateKey & { kind: 'rsa' };
    const pub = publicKeyOf(rsa) as { kind: 'rsa'; n: bigint; e: bigint; bits: number };
    const pms = Uint8Array.of(3, 3, ...new Uint8Array(46).fill(7));
    const ct = node.rsaEncrypt(pub, pms);
    expect(ct).toHaveLength(256);
    expect(toHex(noble.rsaDecrypt(rsa, ct)!)).toBe(toHex(pms));
    expect(toHex(node.rsaDecrypt(rsa, ct)!)).toBe(toHex(pms));
    expect(same((p) => p.rsaEncrypt(pub, new Uint8Array(246)))).toEqual({ error: 'bad_length' });
    same((p) => p.rsaEncrypt({ kind: 'ec' } as never, pms));
  });

  it('decryption: the same plaintext or the same null for valid, tampered, short, long and >= n ciphertexts (RFC 5246 7.4.7.1 inputs; property)', () => {
    // node does RSADP (no padding) by OpenSSL and the EME-PKCS1-v1_5 decoding like noble: every input a
    // Bleichenbacher-style client sends (bad first bytes, no zero separator, short padding, wrong lengths)
    // gives noble's answer, so the server's random-pre-master countermeasure sees the same thing.
    const rsa = keys[0] as PrivateKey & { kind: 'rsa' };
    const pub = publicKeyOf(rsa) as { kind: 'rsa'; n: bigint; e: bigint; bits: number };
    const k = 256;
    // EM = 00 || BT || PS || 00 || M (RFC 8017 7.2.1 step 2), raised to e by hand so that any EM can be sent.
    const rawEncrypt = (em: Uint8Array): Uint8Array => {
      let r = 1n, b = BigInt('0x' + toHex(em)) % pub.n, e = pub.e;
      for (; e > 0n; e >>= 1n, b = (b * b) % pub.n) if (e & 1n) r = (r * b) % pub.n;
      return hex(r.toString(16).padStart(2 * k, '0'));
    };
    const emArb = fc.record({
      first: fc.constantFrom(0, 1),
      bt: fc.constantFrom(2, 1, 0),
      psLen: fc.integer({ min: 0, max: 220 }),
      sep: fc.constantFrom(0, 0, 5),
      msg: fc.uint8Array({ maxLength: 60 }),
    });
    fc.assert(
      fc.property(emArb, fc.integer({ min: 0, max: 3 }), ({ first, bt, psLen, sep, msg }, shape) => {
        const body = [first, bt, ...new Array(psLen).fill(0x5a), sep, ...msg].slice(0, k);
        const em = Uint8Array.from([...body, ...new Array(k - body.length).fill(0x11)]);
        let ct = rawEncrypt(em);
        if (shape === 1) ct = ct.subarray(1); // short
        if (shape === 2) ct = Uint8Array.of(...ct, 0); // long
        if (shape === 3) ct = hex(pub.n.toString(16)); // c = n
        expect(same((p) => p.rsaDecrypt(rsa, ct))).toBeDefined();
      }),
      fcParams(RUNS * 2),
    );
  }, fcTimeout(RUNS * 2));
});
