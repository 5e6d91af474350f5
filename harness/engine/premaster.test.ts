import { describe, expect, it } from 'vitest';
import { nobleProvider as provider } from '../../implementations/reference/crypto/noble/index.ts';
import { publicKeyOf } from '../../implementations/reference/crypto/keys.ts';
import type { PrivateKey, PublicKey } from '../../implementations/reference/crypto/provider.ts';
import { TEST_PKI, seededRandom } from '../../implementations/reference/connection/testing.ts';
import { bigintToBytes, bytesToBigint, modPow } from '../../implementations/reference/connection/tls12/common12.ts';
import { ScenarioRuntimeError } from './fields.ts';
import { encryptedPremaster, type PremasterSpec } from './premaster.ts';

const priv = TEST_PKI.rsa().key as PrivateKey & { kind: 'rsa' };
const pub = publicKeyOf(priv) as PublicKey & { kind: 'rsa' };
const K = 256; // RSA-2048
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const build = (spec: PremasterSpec, seed = 7) => encryptedPremaster(pub, spec, { clientVersion: 0x0303, random: seededRandom(seed) });
/** EM back from the ciphertext (raw RSA with the private key), to look at the block itself. */
const em = (c: Uint8Array) => bigintToBytes(modPow(bytesToBigint(c), priv.d, priv.n), K);

describe('encryptedPremaster (RFC 5246 7.4.7.1, RFC 8017 7.2.1)', () => {
  it('the default spec is a valid block: the provider decrypts it to the 48-byte premaster, which starts with client_version', () => {
    const r = build({});
    expect(r.ciphertext).toHaveLength(K);
    expect(r.premaster).toHaveLength(48);
    expect(hex(provider.rsaDecrypt(priv, r.ciphertext)!)).toBe(hex(r.premaster!));
    expect(hex(r.premaster!.subarray(0, 2))).toBe('0303');
    const block = em(r.ciphertext);
    expect(hex(block.subarray(0, 2))).toBe('0002');
    expect(block.indexOf(0, 2)).toBe(K - 49); // PS of k - 51 non-zero bytes, then the separator
    expect(r.description).toMatch(/valid/);
    // deterministic for a seed, different for another
    expect(hex(build({}).ciphertext)).toBe(hex(r.ciphertext));
    expect(hex(build({}, 8).ciphertext)).not.toBe(hex(r.ciphertext));
  });

  it('a wrong leading byte pair, a zero early in PS, no separator, all zeros: the PKCS#1 decoding fails', () => {
    const cases: [PremasterSpec, string][] = [
      [{ first_bytes: '0001' }, '0001'],
      [{ first_bytes: '0102' }, '0102'],
      [{ zero_in_padding: 3 }, '0002'],
      [{ no_separator: true }, '0002'],
      [{ separator_at: 9 }, '0002'], // PS of 7 bytes: one short
      [{ all_zero: true }, '0000'],
    ];
    for (const [spec, lead] of cases) {
      const r = build(spec);
      expect(r.premaster, JSON.stringify(spec)).toBeUndefined();
      expect(provider.rsaDecrypt(priv, r.ciphertext), JSON.stringify(spec)).toBeNull();
      expect(hex(em(r.ciphertext).subarray(0, 2))).toBe(lead);
    }
    expect(hex(em(build({ no_separator: true }).ciphertext)).slice(4)).not.toMatch(/^(..)*00/);
    expect(hex(em(build({ zero_in_padding: 3 }).ciphertext).subarray(2, 6))).toMatch(/^[^]{6}00$/);
    expect(hex(build({ all_zero: true }).ciphertext)).toBe('00'.repeat(K));
  });

  it('a message of the wrong length decodes to that length: the server must use a random secret instead', () => {
    const lengths: [PremasterSpec, number][] = [
      [{ message_length: 47 }, 47],
      [{ message_length: 49 }, 49],
      [{ message_length: 0 }, 0],
      [{ zero_in_padding: 8 }, K - 3 - 8], // the zero at PS[8] is the separator: PS of 8 bytes, a long M
      [{ separator_at: 10 }, K - 11],
      [{ separator_at: K - 20 }, 19],
    ];
    for (const [spec, length] of lengths) {
      const r = build(spec);
      const m = provider.rsaDecrypt(priv, r.ciphertext);
      expect(m?.length, JSON.stringify(spec)).toBe(length);
      expect(r.premaster).toBeUndefined();
      if (length >= 2 && spec.zero_in_padding === undefined) expect(hex(m!.subarray(0, 2))).toBe('0303');
    }
  });

  it('a wrong version in M: a good block the server must not use (RFC 5246 7.4.7.1)', () => {
    const r = build({ version: 0x0302 });
    const m = provider.rsaDecrypt(priv, r.ciphertext)!;
    expect([m.length, hex(m.subarray(0, 2))]).toEqual([48, '0302']);
    expect(r.premaster).toBeUndefined();
    // the same version as the ClientHello's is the valid case
    expect(build({ version: 0x0303 }).premaster).toHaveLength(48);
  });

  it('plaintext is EM itself: valid when it is a good block', () => {
    const m = '0303' + 'ab'.repeat(46);
    const good = build({ plaintext: '0002' + '11'.repeat(K - 51) + '00' + m });
    expect(hex(good.premaster!)).toBe(m);
    expect(hex(provider.rsaDecrypt(priv, good.ciphertext)!)).toBe(m);
    const bad = build({ plaintext: '0002' + '11'.repeat(K - 52) + '00' + '00' + m }); // separator one early: M of 49 bytes
    expect(bad.premaster).toBeUndefined();
    expect(provider.rsaDecrypt(priv, bad.ciphertext)).toHaveLength(49);
  });

  it('ciphertext is sent as given; ciphertext_length cuts or left-pads it (a wrong length the decryption rejects)', () => {
    expect(hex(build({ ciphertext: '0102ff' }).ciphertext)).toBe('0102ff');
    const base = build({}).ciphertext;
    const cut = build({ ciphertext_length: K - 1 });
    const long = build({ ciphertext_length: K + 2 });
    expect(hex(cut.ciphertext)).toBe(hex(base.subarray(0, K - 1)));
    expect(hex(long.ciphertext)).toBe('0000' + hex(base));
    for (const r of [cut, long]) {
      expect(r.premaster).toBeUndefined();
      expect(provider.rsaDecrypt(priv, r.ciphertext)).toBeNull();
      expect(r.description).toMatch(/not 256/);
    }
    expect(hex(build({ ciphertext: 'aabb', ciphertext_length: 4 }).ciphertext)).toBe('0000aabb');
  });

  it('a spec that does not fit the key or contradicts itself is a scenario error', () => {
    const bad: PremasterSpec[] = [
      { message_length: K - 2 },
      { zero_in_padding: K },
      { separator_at: 1 },
      { first_bytes: '00' },
      { plaintext: '0002' },
      { plaintext: 'ff'.repeat(K) }, // not below the modulus
      { all_zero: true, version: 0x0303 },
      { no_separator: true, separator_at: 20 },
      { ciphertext: 'zz' },
    ];
    for (const spec of bad) expect(() => build(spec), JSON.stringify(spec)).toThrow(ScenarioRuntimeError);
  });
});
