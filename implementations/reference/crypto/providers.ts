/**
 * The crypto providers by name: `noble` (@noble/* and micro-rsa-dsa-dh, pure JavaScript) and `node`
 * (node:crypto / OpenSSL, with noble for what OpenSSL cannot do identically). Both implement the same
 * CryptoProvider contract with the same results; the default provider is chosen where endpoints are configured.
 */
import type { CryptoProvider } from './provider.ts';
import { nobleProvider } from './noble/index.ts';
import { nodeProvider } from './node/index.ts';

export const PROVIDER_NAMES = ['noble', 'node'] as const;
export type ProviderName = (typeof PROVIDER_NAMES)[number];

const PROVIDERS: Record<ProviderName, CryptoProvider> = { noble: nobleProvider, node: nodeProvider };

export function isProviderName(name: string): name is ProviderName {
  return (PROVIDER_NAMES as readonly string[]).includes(name);
}

/** The provider of that name; undefined for any other name (the caller reports the user's mistake). */
export function providerByName(name: string): CryptoProvider | undefined {
  return isProviderName(name) ? PROVIDERS[name] : undefined;
}

/** Every provider, in PROVIDER_NAMES order. */
export function allProviders(): CryptoProvider[] {
  return PROVIDER_NAMES.map((n) => PROVIDERS[n]);
}
