/**
 * AEAD known-answer tests: Wycheproof `aead_test_schema_v1` (aes_gcm_test.json, chacha20_poly1305_test.json,
 * aes_ccm_test.json) and the project's own `aead-kat` files (rfc8439.json), run against CryptoProvider.aead().
 *
 * Policy:
 * - valid: seal(iv, msg, aad) must equal ct || tag, and open(iv, ct || tag, aad) must return msg.
 * - invalid: open() must return null, or the provider must refuse the inputs with a CryptoError (e.g. an empty
 *   GCM nonce, or a ChaCha20-Poly1305 nonce that is not 12 bytes); a successful open is a failure.
 * - acceptable (none in the current files): passed whether the provider accepts or rejects, as long as an
 *   accepted ciphertext decrypts to the expected message; the reason records which way it went.
 * Every test runs through the provider: AES-128/192/256-GCM with every nonce length in the file,
 * ChaCha20-Poly1305 (whose non-96-bit nonces are all `invalid` tests: the provider must refuse them), and
 * AES-CCM with the tags the interface has: 128-bit tags with every key size (aes-128/192/256-ccm) and 64-bit
 * tags with AES-128 (aes-128-ccm-8, TLS_AES_128_CCM_8_SHA256), every nonce length of 7 to 13 bytes.
 * Skipped, with the reason: AES-CCM groups with another tag size (32 to 112 bits, and AES-192/256 with 64
 * bits: no such AEAD in the provider interface; among them the invalid-nonce-length tests, which Wycheproof
 * puts in 96-bit-tag groups).
 * The only skip in the current files: a *valid* test with a nonce other than 96 bits that the provider refuses with
 * CryptoError('unsupported') (NIST SP 800-38D 5.2.1.1 lets a GCM implementation restrict its IV lengths; the
 * noble provider cannot do IVs of 1..7 bytes, which @noble/ciphers refuses). The reason carries the provider's
 * message. Any other refusal of a valid test, or an 'unsupported' refusal of a 96-bit nonce, is a failure.
 */
import type { AeadName, CryptoProvider } from '../../implementations/reference/crypto/provider.ts';
import { CryptoError } from '../../implementations/reference/crypto/provider.ts';
import type { TestOutcome, VectorFileJson, VectorHandler } from '../runner.ts';

const hex = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s, 'hex'));
const toHex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const concat = (a: Uint8Array, b: Uint8Array): Uint8Array => {
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
};

interface AeadCase {
  id: string;
  alg: AeadName;
  key: Uint8Array;
  iv: Uint8Array;
  aad: Uint8Array;
  msg: Uint8Array;
  ct: Uint8Array;
  tag: Uint8Array;
  result: 'valid' | 'invalid' | 'acceptable';
  /** Report a valid test the provider refuses with CryptoError('unsupported') as skipped, not failed. */
  skipIfUnsupported?: boolean;
}

/** Run one AEAD case; exported for reuse by other handlers/tests. */
export function runAeadCase(provider: CryptoProvider, c: AeadCase): TestOutcome {
  const expected = concat(c.ct, c.tag);
  let opened: Uint8Array | null;
  let sealed: Uint8Array | undefined;
  try {
    const aead = provider.aead(c.alg, c.key);
    opened = aead.open(c.iv, expected, c.aad);
    if (c.result !== 'invalid') sealed = aead.seal(c.iv, c.msg, c.aad);
  } catch (e) {
    if (!(e instanceof CryptoError)) return { id: c.id, outcome: 'failed', reason: `unexpected exception: ${String(e)}` };
    if (c.result === 'valid' && c.skipIfUnsupported && e.code === 'unsupported')
      return { id: c.id, outcome: 'skipped', reason: `provider does not implement it: ${e.message}` };
    if (c.result === 'valid') return { id: c.id, outcome: 'failed', reason: `valid test refused: ${e.message}` };
    return { id: c.id, outcome: 'passed', reason: `rejected: ${e.code}` };
  }
  const decryptsRight = opened !== null && toHex(opened) === toHex(c.msg);
  switch (c.result) {
    case 'valid':
      if (sealed === undefined || toHex(sealed) !== toHex(expected))
        return { id: c.id, outcome: 'failed', reason: `seal gave ${sealed && toHex(sealed)}, expected ${toHex(expected)}` };
      if (!decryptsRight) return { id: c.id, outcome: 'failed', reason: `open gave ${opened && toHex(opened)}` };
      return { id: c.id, outcome: 'passed' };
    case 'invalid':
      return opened === null
        ? { id: c.id, outcome: 'passed' }
        : { id: c.id, outcome: 'failed', reason: 'invalid ciphertext was accepted' };
    case 'acceptable':
      if (opened === null) return { id: c.id, outcome: 'passed', reason: 'acceptable: rejected' };
      return decryptsRight
        ? { id: c.id, outcome: 'passed', reason: 'acceptable: accepted' }
        : { id: c.id, outcome: 'failed', reason: 'acceptable test accepted with a wrong plaintext' };
  }
}

interface WycheproofAeadTest {
  tcId: number;
  comment: string;
  flags: string[];
  key: string;
  iv: string;
  aad: string;
  msg: string;
  ct: string;
  tag: string;
  result: 'valid' | 'invalid' | 'acceptable';
}
interface WycheproofAeadGroup {
  ivSize: number;
  keySize: number;
  tagSize: number;
  tests: WycheproofAeadTest[];
}

function aeadName(algorithm: string, keySize: number, tagSize: number): AeadName | undefined {
  if (algorithm === 'AES-GCM' && tagSize === 128)
    return keySize === 128 ? 'aes-128-gcm' : keySize === 192 ? 'aes-192-gcm' : keySize === 256 ? 'aes-256-gcm' : undefined;
  if (algorithm === 'CHACHA20-POLY1305' && tagSize === 128) return keySize === 256 ? 'chacha20-poly1305' : undefined;
  if (algorithm === 'AES-CCM' && tagSize === 128)
    return keySize === 128 ? 'aes-128-ccm' : keySize === 192 ? 'aes-192-ccm' : keySize === 256 ? 'aes-256-ccm' : undefined;
  // RFC 6655 3: AEAD_AES_128_CCM_8, a 64-bit tag
  if (algorithm === 'AES-CCM' && tagSize === 64 && keySize === 128) return 'aes-128-ccm-8';
  return undefined;
}

function runWycheproof(file: VectorFileJson, provider: CryptoProvider): TestOutcome[] {
  const algorithm = String(file.algorithm);
  const out: TestOutcome[] = [];
  for (const g of file.testGroups as WycheproofAeadGroup[]) {
    const alg = aeadName(algorithm, g.keySize, g.tagSize);
    for (const t of g.tests) {
      const id = String(t.tcId);
      if (!alg) {
        out.push({ id, outcome: 'skipped', reason: `${algorithm} with a ${g.keySize}-bit key and a ${g.tagSize}-bit tag: no such AEAD in the provider interface` });
        continue;
      }
      out.push(
        runAeadCase(provider, {
          id,
          alg,
          key: hex(t.key),
          iv: hex(t.iv),
          aad: hex(t.aad),
          msg: hex(t.msg),
          ct: hex(t.ct),
          tag: hex(t.tag),
          result: t.result,
          skipIfUnsupported: algorithm === 'AES-GCM' && g.ivSize !== 96,
        }),
      );
    }
  }
  return out;
}

interface OwnAeadTest {
  name: string;
  algorithm: AeadName;
  key: string;
  nonce: string;
  aad: string;
  plaintext: string;
  ciphertext: string;
  tag: string;
  result: 'valid' | 'invalid';
}

function runOwn(file: VectorFileJson, provider: CryptoProvider): TestOutcome[] {
  return (file.tests as OwnAeadTest[]).map((t) =>
    runAeadCase(provider, {
      id: t.name,
      alg: t.algorithm,
      key: hex(t.key),
      iv: hex(t.nonce),
      aad: hex(t.aad),
      msg: hex(t.plaintext),
      ct: hex(t.ciphertext),
      tag: hex(t.tag),
      result: t.result,
    }),
  );
}

export const aeadHandler: VectorHandler = {
  handles: ['aead_test_schema_v1.json', 'aead_test_schema_v1', 'aead-kat'],
  run(file, provider) {
    return file.kind === 'aead-kat' ? runOwn(file, provider) : runWycheproof(file, provider);
  },
};
