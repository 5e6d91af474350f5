/**
 * MAC known-answer tests: Wycheproof `mac_test_schema_v1` (hmac_sha256_test.json, hmac_sha384_test.json)
 * against CryptoProvider.hmac().
 *
 * Policy: the tag is HMAC(key, msg) truncated to the group's tagSize (Wycheproof includes truncated tags;
 * TLS itself uses full-length HMAC, but truncation is computed outside the provider so it is testable).
 * - valid: the computed tag must equal `tag`.
 * - invalid (modified tags): the computed tag must differ from `tag` (the MAC check rejects it).
 * - acceptable (none in the current files): passed either way; the reason records which.
 */
import type { CryptoProvider, HashName } from '../../implementations/reference/crypto/provider.ts';
import type { TestOutcome, VectorFileJson, VectorHandler } from '../runner.ts';

const hex = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s, 'hex'));
const toHex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

const HASH: Record<string, HashName> = {
  HMACSHA1: 'sha1',
  HMACSHA256: 'sha256',
  HMACSHA384: 'sha384',
  HMACSHA512: 'sha512',
};

interface MacTest {
  tcId: number;
  key: string;
  msg: string;
  tag: string;
  result: 'valid' | 'invalid' | 'acceptable';
}

function run(file: VectorFileJson, provider: CryptoProvider): TestOutcome[] {
  const hash = HASH[String(file.algorithm)];
  const out: TestOutcome[] = [];
  for (const g of file.testGroups as { tagSize: number; tests: MacTest[] }[])
    for (const t of g.tests) {
      const id = String(t.tcId);
      if (!hash) {
        out.push({ id, outcome: 'skipped', reason: `unsupported algorithm ${String(file.algorithm)}` });
        continue;
      }
      let computed: string;
      try {
        computed = toHex(provider.hmac(hash, hex(t.key), hex(t.msg)).subarray(0, g.tagSize / 8));
      } catch (e) {
        out.push({ id, outcome: 'failed', reason: `unexpected exception: ${String(e)}` });
        continue;
      }
      const matches = computed === t.tag.toLowerCase();
      if (t.result === 'valid')
        out.push(matches ? { id, outcome: 'passed' } : { id, outcome: 'failed', reason: `tag ${computed}, expected ${t.tag}` });
      else if (t.result === 'invalid')
        out.push(matches ? { id, outcome: 'failed', reason: 'modified tag verified' } : { id, outcome: 'passed' });
      else out.push({ id, outcome: 'passed', reason: `acceptable: ${matches ? 'accepted' : 'rejected'}` });
    }
  return out;
}

export const macHandler: VectorHandler = {
  handles: ['mac_test_schema_v1.json', 'mac_test_schema_v1'],
  run,
};
