/** The default CryptoProvider: the symmetric primitives and the asymmetric ones, both on @noble/* (and micro-rsa-dsa-dh). */
import type { CryptoProvider } from '../provider.ts';
import { symmetricPrimitives } from './symmetric.ts';
import { asymmetricPrimitives } from './asymmetric.ts';

export const nobleProvider: CryptoProvider = { name: 'noble', ...symmetricPrimitives, ...asymmetricPrimitives };
