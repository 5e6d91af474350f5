import { describe, expect, it } from 'vitest';
import * as nodeCrypto from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import {
  describeKey,
  KeyParseError,
  parsePrivateKey,
  parsePublicKey,
  publicKeyOf,
  publicKeysEqual,
  readPrivateKeyFile,
  readPublicKeyFile,
  schemesForKey,
  unwrapKey,
} from './keys.ts';
import type { PrivateKey } from './provider.ts';

const certsDir = fileURLToPath(new URL('../certs/', import.meta.url));
const rfc8448Dir = fileURLToPath(new URL('../../../vectors/rfc8448/keys/', import.meta.url));
const read = (f: string) => readFileSync(certsDir + f, 'utf8');

describe('private keys', () => {
  const expected: Record<string, { kind: PrivateKey['kind']; desc: string }> = {
    'server-rsa2048.key': { kind: 'rsa', desc: 'RSA-2048' },
    'server-p256.key': { kind: 'ec', desc: 'ECDSA P-256' },
    'server-p384.key': { kind: 'ec', desc: 'ECDSA P-384' },
    'server-ed25519.key': { kind: 'ed25519', desc: 'Ed25519' },
    'server-p521.key': { kind: 'ec', desc: 'ECDSA P-521' },
    'server-ed448.key': { kind: 'ed448', desc: 'Ed448' },
    'ca.key': { kind: 'ec', desc: 'ECDSA P-256' },
    'client-p256.key': { kind: 'ec', desc: 'ECDSA P-256' },
  };
  for (const [file, want] of Object.entries(expected)) {
    it(`${file}: PKCS#8 PEM and DER, and the public key matches the certificate's`, () => {
      const k = unwrapKey(readPrivateKeyFile(certsDir + file));
      expect(k.kind).toBe(want.kind);
      expect(describeKey(k)).toBe(want.desc);
      const der = nodeCrypto.createPrivateKey(read(file)).export({ format: 'der', type: 'pkcs8' });
      expect(publicKeysEqual(publicKeyOf(unwrapKey(parsePrivateKey(der))), publicKeyOf(k))).toBe(true);
      const cert = new nodeCrypto.X509Certificate(read(file.replace(/\.key$/, '.pem')));
      const certKey = unwrapKey(parsePublicKey(cert.publicKey.export({ format: 'pem', type: 'spki' }) as string));
      expect(publicKeysEqual(certKey, publicKeyOf(k))).toBe(true);
    });
  }

  it('RSA keys carry p and q (for CRT) and consistent sizes', () => {
    const k = unwrapKey(readPrivateKeyFile(certsDir + 'server-rsa2048.key'));
    if (k.kind !== 'rsa') throw new Error('not rsa');
    expect(k.bits).toBe(2048);
    expect(k.p! * k.q!).toBe(k.n);
    expect(k.e).toBe(65537n);
  });

  it('EC, Ed25519 and Ed448 key material has the fixed sizes', () => {
    const p256 = unwrapKey(readPrivateKeyFile(certsDir + 'server-p256.key'));
    const p384 = unwrapKey(readPrivateKeyFile(certsDir + 'server-p384.key'));
    const p521 = unwrapKey(readPrivateKeyFile(certsDir + 'server-p521.key'));
    const ed = unwrapKey(readPrivateKeyFile(certsDir + 'server-ed25519.key'));
    const ed448 = unwrapKey(readPrivateKeyFile(certsDir + 'server-ed448.key'));
    if (p256.kind !== 'ec' || p384.kind !== 'ec' || p521.kind !== 'ec' || ed.kind !== 'ed25519' || ed448.kind !== 'ed448') throw new Error('kinds');
    expect([p256.curve, p256.scalar.length, p256.point.length, p256.point[0]]).toEqual(['secp256r1', 32, 65, 4]);
    expect([p384.curve, p384.scalar.length, p384.point.length]).toEqual(['secp384r1', 48, 97]);
    // SEC 1 2.3.5: a P-521 field element takes 66 bytes (the scalar is left-padded from the JWK's minimal form)
    expect([p521.curve, p521.scalar.length, p521.point.length, p521.point[0]]).toEqual(['secp521r1', 66, 133, 4]);
    expect([ed.seed.length, ed.key.length]).toEqual([32, 32]);
    // RFC 8032 5.2.5: Ed448 private and public keys are 57 bytes
    expect([ed448.seed.length, ed448.key.length]).toEqual([57, 57]);
  });

  it('PKCS#1 "RSA PRIVATE KEY" and SEC1 "EC PRIVATE KEY", PEM and DER', () => {
    const rsa = nodeCrypto.createPrivateKey(read('server-rsa2048.key'));
    const ec = nodeCrypto.createPrivateKey(read('server-p384.key'));
    const ref = publicKeyOf(unwrapKey(parsePrivateKey(read('server-rsa2048.key'))));
    const refEc = publicKeyOf(unwrapKey(parsePrivateKey(read('server-p384.key'))));
    const pkcs1Pem = rsa.export({ format: 'pem', type: 'pkcs1' }) as string;
    expect(pkcs1Pem).toContain('BEGIN RSA PRIVATE KEY');
    expect(publicKeysEqual(publicKeyOf(unwrapKey(parsePrivateKey(pkcs1Pem))), ref)).toBe(true);
    expect(publicKeysEqual(publicKeyOf(unwrapKey(parsePrivateKey(rsa.export({ format: 'der', type: 'pkcs1' })))), ref)).toBe(true);
    const sec1Pem = ec.export({ format: 'pem', type: 'sec1' }) as string;
    expect(sec1Pem).toContain('BEGIN EC PRIVATE KEY');
    expect(publicKeysEqual(publicKeyOf(unwrapKey(parsePrivateKey(sec1Pem))), refEc)).toBe(true);
    expect(publicKeysEqual(publicKeyOf(unwrapKey(parsePrivateKey(ec.export({ format: 'der', type: 'sec1' })))), refEc)).toBe(true);
    // "openssl ecparam -genkey" output: EC PARAMETERS block before the key
    const withParams = '-----BEGIN EC PARAMETERS-----\nBgUrgQQAIg==\n-----END EC PARAMETERS-----\n' + sec1Pem;
    expect(parsePrivateKey(withParams).ok).toBe(true);
  });

  it('RFC 8448 server_key.pem: the RSA-1024 key of RFC 8448 section 2', () => {
    const k = unwrapKey(readPrivateKeyFile(rfc8448Dir + 'server_key.pem'));
    if (k.kind !== 'rsa') throw new Error('not rsa');
    expect(k.bits).toBe(1024);
    expect(k.n.toString(16).startsWith('b4bb498f8279303d980836399b36c6988c0c68de55e1bdb826d3901a2461eafd')).toBe(true);
    expect(schemesForKey(k)).toEqual(['rsa_pss_rsae_sha256', 'rsa_pss_rsae_sha384', 'rsa_pkcs1_sha256', 'rsa_pkcs1_sha384', 'rsa_pkcs1_sha512', 'rsa_pkcs1_sha1']);
  });

  it('encrypted keys: a clear error without the passphrase, parsed with it', () => {
    const ko = nodeCrypto.createPrivateKey(read('server-p256.key'));
    const enc = ko.export({ format: 'pem', type: 'pkcs8', cipher: 'aes-128-cbc', passphrase: 'secret' }) as string;
    const r = parsePrivateKey(enc);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toEqual({ code: 'encrypted', message: 'the private key is encrypted and no passphrase was given' });
    const wrong = parsePrivateKey(enc, { passphrase: 'nope' });
    expect(!wrong.ok && wrong.error.code).toBe('encrypted');
    expect(parsePrivateKey(enc, { passphrase: 'secret' }).ok).toBe(true);
  });

  const errorOf = (r: { ok: boolean; error?: { code: string; message: string } }) => (r.ok ? 'ok' : `${r.error!.code}: ${r.error!.message}`);

  it('bad inputs give one clear line, never an exception', () => {
    expect(errorOf(parsePrivateKey(''))).toBe('not_a_key: empty private key input');
    expect(errorOf(parsePrivateKey(new Uint8Array([1, 2, 3])))).toMatch(/^bad_encoding: not a DER private key/);
    expect(errorOf(parsePrivateKey(read('server-p256.pem')))).toBe('not_a_key: no private key PEM block (found: CERTIFICATE)');
    expect(errorOf(parsePrivateKey('-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n'))).toMatch(/^bad_encoding: cannot parse the PRIVATE KEY PEM block: /);
    expect(errorOf(parsePrivateKey('-----BEGIN PRIVATE KEY-----\nMIGH'))).toBe('not_a_key: no private key PEM block (found: no complete PEM block)');
    expect(errorOf(readPrivateKeyFile('/nonexistent/key.pem'))).toBe('io: /nonexistent/key.pem: cannot read (ENOENT)');
    expect(errorOf(readPrivateKeyFile(certsDir + 'ca.pem'))).toMatch(/ca\.pem: no private key PEM block \(found: CERTIFICATE\)$/);
    for (const r of [parsePrivateKey('junk'), parsePublicKey('junk'), parsePublicKey(new Uint8Array(10))]) {
      expect(r.ok).toBe(false);
      if (!r.ok) expect(r.error.message).not.toContain('\n');
    }
    expect(() => unwrapKey(parsePrivateKey(''))).toThrow(KeyParseError);
  });

  it('unsupported key types are named', () => {
    const pkcs8 = (ko: nodeCrypto.KeyObject) => ko.export({ format: 'pem', type: 'pkcs8' }) as string;
    const gen = nodeCrypto.generateKeyPairSync;
    expect(errorOf(parsePrivateKey(pkcs8(gen('x25519').privateKey)))).toBe(
      'unsupported_type: x25519 keys are not supported (only RSA, EC P-256/P-384/P-521, Ed25519, Ed448)',
    );
    expect(errorOf(parsePrivateKey(pkcs8(gen('x448').privateKey)))).toMatch(/^unsupported_type: x448 keys/);
    expect(errorOf(parsePrivateKey(pkcs8(gen('ec', { namedCurve: 'secp256k1' }).privateKey)))).toBe(
      'unsupported_type: EC curve secp256k1 is not supported (only P-256, P-384 and P-521)',
    );
    expect(errorOf(parsePrivateKey(pkcs8(gen('rsa-pss', { modulusLength: 1024 }).privateKey)))).toMatch(/^unsupported_type: RSASSA-PSS/);
    expect(errorOf(parsePublicKey(gen('ec', { namedCurve: 'secp224r1' }).publicKey.export({ format: 'pem', type: 'spki' }) as string))).toMatch(
      /^unsupported_type: EC curve secp224r1/,
    );
  });
});

describe('public keys', () => {
  it('SPKI PEM and DER, PKCS#1 RSA PUBLIC KEY', () => {
    for (const f of ['server-rsa2048', 'server-p256', 'server-p384', 'server-p521', 'server-ed25519', 'server-ed448']) {
      const ref = publicKeyOf(unwrapKey(readPrivateKeyFile(`${certsDir}${f}.key`)));
      const ko = nodeCrypto.createPublicKey(read(`${f}.key`));
      expect(publicKeysEqual(unwrapKey(parsePublicKey(ko.export({ format: 'pem', type: 'spki' }) as string)), ref)).toBe(true);
      expect(publicKeysEqual(unwrapKey(parsePublicKey(ko.export({ format: 'der', type: 'spki' }))), ref)).toBe(true);
      if (f === 'server-rsa2048') {
        expect(publicKeysEqual(unwrapKey(parsePublicKey(ko.export({ format: 'pem', type: 'pkcs1' }) as string)), ref)).toBe(true);
        expect(publicKeysEqual(unwrapKey(parsePublicKey(ko.export({ format: 'der', type: 'pkcs1' }))), ref)).toBe(true);
      }
    }
  });

  it('readPublicKeyFile, and a private key file is not a public key', () => {
    expect(readPublicKeyFile(certsDir + 'server-p256.key').ok).toBe(false);
    expect(readPublicKeyFile('/nonexistent.pem').ok).toBe(false);
  });

  it('publicKeysEqual distinguishes keys and kinds', () => {
    const a = publicKeyOf(unwrapKey(readPrivateKeyFile(certsDir + 'server-p256.key')));
    const b = publicKeyOf(unwrapKey(readPrivateKeyFile(certsDir + 'client-p256.key')));
    const c = publicKeyOf(unwrapKey(readPrivateKeyFile(certsDir + 'server-rsa2048.key')));
    const d = publicKeyOf(unwrapKey(readPrivateKeyFile(certsDir + 'server-ed448.key')));
    const e = publicKeyOf(unwrapKey(readPrivateKeyFile(certsDir + 'server-ed25519.key')));
    expect(publicKeysEqual(a, a)).toBe(true);
    expect(publicKeysEqual(a, b)).toBe(false);
    expect(publicKeysEqual(a, c)).toBe(false);
    expect(publicKeysEqual(d, d)).toBe(true);
    expect(publicKeysEqual(d, e)).toBe(false);
  });
});

describe('schemesForKey', () => {
  it('lists the schemes each key type can make, SHA-1 last', () => {
    const s = (f: string) => schemesForKey(unwrapKey(readPrivateKeyFile(certsDir + f)));
    expect(s('server-rsa2048.key')).toEqual([
      'rsa_pss_rsae_sha256',
      'rsa_pss_rsae_sha384',
      'rsa_pss_rsae_sha512',
      'rsa_pkcs1_sha256',
      'rsa_pkcs1_sha384',
      'rsa_pkcs1_sha512',
      'rsa_pkcs1_sha1',
    ]);
    expect(s('server-p256.key')).toEqual(['ecdsa_secp256r1_sha256', 'ecdsa_sha1']);
    expect(s('server-p384.key')).toEqual(['ecdsa_secp384r1_sha384', 'ecdsa_sha1']);
    expect(s('server-p521.key')).toEqual(['ecdsa_secp521r1_sha512', 'ecdsa_sha1']);
    expect(s('server-ed25519.key')).toEqual(['ed25519']);
    expect(s('server-ed448.key')).toEqual(['ed448']);
  });
});
