/**
 * Block-cipher known-answer tests: Wycheproof `ind_cpa_test_schema_v1` (aes_cbc_pkcs5_test.json) against the
 * provider's raw AES-CBC (CryptoProvider.cbc, no padding). PKCS#5/#7 padding is applied and removed here, in
 * the handler: it is NOT TLS CBC padding (RFC 5246 6.2.3.2), which the record layer does.
 *
 * Policy:
 * - valid: encrypt(pad(msg)) must equal ct, and unpad(decrypt(ct)) must equal msg.
 * - invalid (bad padding, empty ciphertext): decrypting ct must fail (a length that is not a positive multiple
 *   of 16, or bad PKCS#5 padding); a successful decrypt is a failure.
 * - acceptable (none in the current files): passed either way; the reason records which.
 * Nothing is skipped: AES-128, AES-192 and AES-256 all run (AES-192 is in no TLS suite, but the provider has it).
 */
import type { CbcName, CryptoProvider } from '../../implementations/reference/crypto/provider.ts';
import { CryptoError } from '../../implementations/reference/crypto/provider.ts';
import type { TestOutcome, VectorFileJson, VectorHandler } from '../runner.ts';

const hex = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s, 'hex'));
const toHex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

/** PKCS#7 padding to a 16-byte block (RFC 5652 6.3; PKCS#5 is the same for 8-byte blocks, Wycheproof's name). */
function pad(msg: Uint8Array): Uint8Array {
  const n = 16 - (msg.length % 16);
  const out = new Uint8Array(msg.length + n);
  out.set(msg, 0);
  out.fill(n, msg.length);
  return out;
}

function unpad(data: Uint8Array): Uint8Array | null {
  if (data.length === 0 || data.length % 16 !== 0) return null;
  const n = data[data.length - 1];
  if (n < 1 || n > 16) return null;
  for (let i = data.length - n; i < data.length; i++) if (data[i] !== n) return null;
  return data.subarray(0, data.length - n);
}

interface IndCpaTest {
  tcId: number;
  key: string;
  iv: string;
  msg: string;
  ct: string;
  result: 'valid' | 'invalid' | 'acceptable';
}

function cbcName(algorithm: string, keySize: number): CbcName | undefined {
  if (algorithm !== 'AES-CBC-PKCS5') return undefined;
  return keySize === 128 ? 'aes-128-cbc' : keySize === 192 ? 'aes-192-cbc' : keySize === 256 ? 'aes-256-cbc' : undefined;
}

function run(file: VectorFileJson, provider: CryptoProvider): TestOutcome[] {
  const algorithm = String(file.algorithm);
  const out: TestOutcome[] = [];
  for (const g of file.testGroups as { keySize: number; ivSize: number; tests: IndCpaTest[] }[]) {
    const alg = cbcName(algorithm, g.keySize);
    for (const t of g.tests) {
      const id = String(t.tcId);
      if (!alg) {
        out.push({ id, outcome: 'skipped', reason: `${algorithm} with a ${g.keySize}-bit key: no such cipher in the provider interface` });
        continue;
      }
      const key = hex(t.key);
      const iv = hex(t.iv);
      const ct = hex(t.ct);
      let decrypted: Uint8Array | null;
      try {
        const cbc = provider.cbc(alg, key);
        decrypted = ct.length === 0 || ct.length % 16 !== 0 ? null : unpad(cbc.decrypt(iv, ct));
        if (t.result === 'valid') {
          const encrypted = cbc.encrypt(iv, pad(hex(t.msg)));
          if (toHex(encrypted) !== toHex(ct)) {
            out.push({ id, outcome: 'failed', reason: `encrypt gave ${toHex(encrypted)}, expected ${t.ct}` });
            continue;
          }
        }
      } catch (e) {
        out.push(
          e instanceof CryptoError && t.result !== 'valid'
            ? { id, outcome: 'passed', reason: `rejected: ${e.code}` }
            : { id, outcome: 'failed', reason: `exception: ${String(e)}` },
        );
        continue;
      }
      const right = decrypted !== null && toHex(decrypted) === toHex(hex(t.msg));
      if (t.result === 'valid')
        out.push(right ? { id, outcome: 'passed' } : { id, outcome: 'failed', reason: `decrypt gave ${decrypted && toHex(decrypted)}` });
      else if (t.result === 'invalid')
        out.push(decrypted === null ? { id, outcome: 'passed' } : { id, outcome: 'failed', reason: 'bad ciphertext/padding accepted' });
      else out.push({ id, outcome: 'passed', reason: `acceptable: ${decrypted === null ? 'rejected' : 'accepted'}` });
    }
  }
  return out;
}

export const indCpaHandler: VectorHandler = {
  handles: ['ind_cpa_test_schema_v1.json', 'ind_cpa_test_schema_v1'],
  run,
};
