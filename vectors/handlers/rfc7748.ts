/**
 * RFC 7748 X25519 vectors (vectors/rfc7748.json, kind `x25519-rfc7748`) against the provider's x25519 key
 * exchange: `x25519` tests are X25519(scalar, u) = sharedSecret(scalar, u); `public` tests are
 * generate(private).publicKey = X25519(private, 9); `iterated` tests repeat (k, u) = (X25519(k, u), k)
 * (RFC 7748 5.2). Every test must give exactly `output` / `public`.
 */
import type { CryptoProvider } from '../../implementations/reference/crypto/provider.ts';
import type { TestOutcome, VectorFileJson, VectorHandler } from '../runner.ts';
import { errorText, hex, toHex } from './wycheproof-common.ts';

interface Rfc7748Test {
  name: string;
  type: 'x25519' | 'public' | 'iterated';
  scalar?: string;
  u?: string;
  output?: string;
  private?: string;
  public?: string;
  start?: string;
  iterations?: number;
}

function one(t: Rfc7748Test, provider: CryptoProvider): TestOutcome {
  const kx = provider.keyExchange('x25519');
  let got: string;
  let want: string;
  try {
    switch (t.type) {
      case 'x25519':
        got = toHex(kx.sharedSecret(hex(t.scalar!), hex(t.u!)));
        want = t.output!;
        break;
      case 'public':
        got = toHex(kx.generate(hex(t.private!)).publicKey);
        want = t.public!;
        break;
      case 'iterated': {
        let k = hex(t.start!);
        let u = hex(t.start!);
        for (let i = 0; i < t.iterations!; i++) {
          const next = kx.sharedSecret(k, u);
          u = k;
          k = next;
        }
        got = toHex(k);
        want = t.output!;
        break;
      }
      default:
        return { id: t.name, outcome: 'failed', reason: `unknown test type ${String(t.type)}` };
    }
  } catch (e) {
    return { id: t.name, outcome: 'failed', reason: `threw ${errorText(e)}` };
  }
  return got === want ? { id: t.name, outcome: 'passed' } : { id: t.name, outcome: 'failed', reason: `got ${got}, expected ${want}` };
}

export const rfc7748Handler: VectorHandler = {
  handles: ['x25519-rfc7748'],
  run: (file: VectorFileJson, provider: CryptoProvider) => (file.tests as Rfc7748Test[]).map((t) => one(t, provider)),
};
