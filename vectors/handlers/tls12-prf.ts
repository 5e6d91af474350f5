/**
 * TLS 1.2 PRF known-answer tests: the project's `tls12-prf` file (vectors/tls12-prf.json), run through
 * implementations/reference/crypto/tls12-prf.ts (RFC 5246 5) on the given provider. All tests are valid:
 * PRF(secret, label, seed) truncated to `length` must equal `output`.
 */
import type { HashName } from '../../implementations/reference/crypto/provider.ts';
import { prf } from '../../implementations/reference/crypto/tls12-prf.ts';
import type { TestOutcome, VectorHandler } from '../runner.ts';

const hex = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s, 'hex'));
const toHex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

interface PrfTest {
  name: string;
  hash: HashName;
  secret: string;
  /** The label as hex bytes (ASCII, no NUL). */
  label: string;
  seed: string;
  length: number;
  output: string;
}

export const tls12PrfHandler: VectorHandler = {
  handles: ['tls12-prf'],
  run(file, provider) {
    return (file.tests as PrfTest[]).map((t): TestOutcome => {
      try {
        const got = toHex(prf(provider, t.hash, hex(t.secret), hex(t.label), hex(t.seed), t.length));
        return got === t.output.toLowerCase()
          ? { id: t.name, outcome: 'passed' }
          : { id: t.name, outcome: 'failed', reason: `PRF gave ${got}, expected ${t.output}` };
      } catch (e) {
        return { id: t.name, outcome: 'failed', reason: `exception: ${String(e)}` };
      }
    });
  },
};
