/**
 * The `node` CryptoProvider: node:crypto (OpenSSL) for the primitives it does exactly as the noble provider
 * does, the noble provider for the rest (symmetric.ts and asymmetric.ts say which). Same results, same
 * errors, for every input: node-provider.test.ts compares the two.
 */
import type { CryptoProvider } from '../provider.ts';
import { nodeSymmetricPrimitives } from './symmetric.ts';
import { nodeAsymmetricPrimitives } from './asymmetric.ts';

export const nodeProvider: CryptoProvider = { name: 'node', ...nodeSymmetricPrimitives, ...nodeAsymmetricPrimitives };
