/**
 * The default lists of config.ts against what the reference implements: every group, suite and signature
 * scheme the crypto layer has is on by default, except TLS_AES_128_CCM_8_SHA256 (only when configured).
 */
import { describe, expect, it } from 'vitest';
import { CipherSuite, NamedGroup, SignatureScheme, nameOf } from '../codec/enums.ts';
import { CIPHER_SUITES } from '../crypto/suites.ts';
import { schemesForKey } from '../crypto/keys.ts';
import { DEFAULT_CIPHER_SUITES, DEFAULT_GROUPS, DEFAULT_SIGNATURE_SCHEMES, TLS12_CIPHER_SUITES, TLS13_CIPHER_SUITES, makeConfig } from './config.ts';
import { EC_GROUP_CODES, FFDHE_CODES, groupName } from './groups.ts';
import { TEST_PKI } from './testing.ts';

const names = (table: Record<string, number>, codes: readonly number[]) => codes.map((c) => nameOf(table, c));

describe('config.ts defaults', () => {
  it('DEFAULT_GROUPS: every group the provider computes, curves first (x25519, secp256r1, x448, secp384r1, secp521r1), then FFDHE by size', () => {
    const implemented = Object.values(NamedGroup).filter((g) => groupName(g) !== undefined);
    expect(new Set(DEFAULT_GROUPS)).toEqual(new Set(implemented));
    expect(names(NamedGroup, DEFAULT_GROUPS)).toEqual(['x25519', 'secp256r1', 'x448', 'secp384r1', 'secp521r1', 'ffdhe2048', 'ffdhe3072', 'ffdhe4096', 'ffdhe6144', 'ffdhe8192']);
    expect(new Set([...EC_GROUP_CODES, ...FFDHE_CODES])).toEqual(new Set(implemented));
    // One key share by default: a default ClientHello stays small.
    expect(makeConfig().keyShareGroups).toBeUndefined();
  });

  it('TLS13_CIPHER_SUITES and TLS12_CIPHER_SUITES: every suite of crypto/suites.ts, each once', () => {
    const implemented = Object.values(CIPHER_SUITES).map((s) => s!.code);
    const listed = [...TLS13_CIPHER_SUITES, ...TLS12_CIPHER_SUITES];
    expect(listed).toHaveLength(new Set(listed).size);
    expect(new Set(listed)).toEqual(new Set(implemented));
    expect(TLS12_CIPHER_SUITES).toHaveLength(27);
  });

  it('DEFAULT_CIPHER_SUITES: the RFC 8446 9.1 suites, then TLS_AES_128_CCM_SHA256; not TLS_AES_128_CCM_8_SHA256', () => {
    expect(names(CipherSuite, DEFAULT_CIPHER_SUITES)).toEqual(['TLS_AES_128_GCM_SHA256', 'TLS_AES_256_GCM_SHA384', 'TLS_CHACHA20_POLY1305_SHA256', 'TLS_AES_128_CCM_SHA256']);
    expect(TLS13_CIPHER_SUITES).toEqual([...DEFAULT_CIPHER_SUITES, CipherSuite.TLS_AES_128_CCM_8_SHA256]);
  });

  it('DEFAULT_SIGNATURE_SCHEMES: everything the test keys can make except SHA-1, P-521 and Ed448 included', () => {
    const keys = [TEST_PKI.rsa(), TEST_PKI.p256(), TEST_PKI.p384(), TEST_PKI.p521(), TEST_PKI.ed25519(), TEST_PKI.ed448()];
    const makeable = new Set(keys.flatMap((k) => schemesForKey(k.key)).filter((s) => !s.endsWith('sha1')));
    expect(new Set(names(SignatureScheme, DEFAULT_SIGNATURE_SCHEMES))).toEqual(makeable);
  });
});
