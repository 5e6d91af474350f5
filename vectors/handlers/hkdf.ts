/**
 * HKDF known-answer tests: Wycheproof `hkdf_test_schema_v1` (hkdf_sha256_test.json, hkdf_sha384_test.json)
 * and the project's `rfc5869` file (RFC 5869 appendix A), against CryptoProvider.hkdfExtract/hkdfExpand.
 *
 * Policy:
 * - valid: HKDF-Expand(HKDF-Extract(salt, ikm), info, size) must equal okm (and, for RFC 5869, the PRK too).
 * - invalid (all are "SizeTooLarge"): the provider must refuse with CryptoError('bad_length'), RFC 5869 2.3
 *   L <= 255*HashLen; any output is a failure.
 * - acceptable (none in the current files): passed if refused, or if the output equals okm.
 */
import type { CryptoProvider, HashName } from '../../implementations/reference/crypto/provider.ts';
import { CryptoError } from '../../implementations/reference/crypto/provider.ts';
import type { TestOutcome, VectorFileJson, VectorHandler } from '../runner.ts';

const hex = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s, 'hex'));
const toHex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

interface HkdfCase {
  id: string;
  hash: HashName;
  ikm: string;
  salt: string;
  info: string;
  size: number;
  okm: string;
  prk?: string;
  result: 'valid' | 'invalid' | 'acceptable';
}

function runCase(provider: CryptoProvider, c: HkdfCase): TestOutcome {
  let prk: Uint8Array;
  let okm: Uint8Array;
  try {
    prk = provider.hkdfExtract(c.hash, hex(c.salt), hex(c.ikm));
    okm = provider.hkdfExpand(c.hash, prk, hex(c.info), c.size);
  } catch (e) {
    if (!(e instanceof CryptoError)) return { id: c.id, outcome: 'failed', reason: `unexpected exception: ${String(e)}` };
    return c.result === 'valid'
      ? { id: c.id, outcome: 'failed', reason: `valid test refused: ${e.message}` }
      : { id: c.id, outcome: 'passed', reason: `rejected: ${e.code}` };
  }
  if (c.result === 'invalid') return { id: c.id, outcome: 'failed', reason: `invalid size ${c.size} was accepted` };
  if (c.prk !== undefined && toHex(prk) !== c.prk.toLowerCase())
    return { id: c.id, outcome: 'failed', reason: `PRK ${toHex(prk)}, expected ${c.prk}` };
  if (toHex(okm) !== c.okm.toLowerCase()) return { id: c.id, outcome: 'failed', reason: `OKM ${toHex(okm)}, expected ${c.okm}` };
  return { id: c.id, outcome: 'passed' };
}

const WYCHEPROOF_HASH: Record<string, HashName> = {
  'HKDF-SHA-1': 'sha1',
  'HKDF-SHA-256': 'sha256',
  'HKDF-SHA-384': 'sha384',
  'HKDF-SHA-512': 'sha512',
};

interface WycheproofHkdfTest {
  tcId: number;
  ikm: string;
  salt: string;
  info: string;
  size: number;
  okm: string;
  result: 'valid' | 'invalid' | 'acceptable';
}

function runWycheproof(file: VectorFileJson, provider: CryptoProvider): TestOutcome[] {
  const hash = WYCHEPROOF_HASH[String(file.algorithm)];
  const out: TestOutcome[] = [];
  for (const g of file.testGroups as { tests: WycheproofHkdfTest[] }[])
    for (const t of g.tests) {
      if (!hash) {
        out.push({ id: String(t.tcId), outcome: 'skipped', reason: `unsupported algorithm ${String(file.algorithm)}` });
        continue;
      }
      out.push(runCase(provider, { id: String(t.tcId), hash, ...t }));
    }
  return out;
}

interface Rfc5869Test {
  name: string;
  hash: HashName;
  ikm: string;
  salt: string;
  info: string;
  length: number;
  prk: string;
  okm: string;
}

export const hkdfHandler: VectorHandler = {
  handles: ['hkdf_test_schema_v1.json', 'hkdf_test_schema_v1', 'rfc5869'],
  run(file, provider) {
    if (file.kind === 'rfc5869')
      return (file.tests as Rfc5869Test[]).map((t) =>
        runCase(provider, { id: t.name, hash: t.hash, ikm: t.ikm, salt: t.salt, info: t.info, size: t.length, okm: t.okm, prk: t.prk, result: 'valid' }),
      );
    return runWycheproof(file, provider);
  },
};
