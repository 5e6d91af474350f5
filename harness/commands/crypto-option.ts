/**
 * `--crypto noble|node` of run, serve and connect: the crypto provider of every reference endpoint the
 * command builds (crypto/providers.ts). Without the flag, the built-in default.
 */
import { UsageError } from '../errors.ts';
import { BUILTIN_CRYPTO_PROVIDER, setDefaultCryptoProvider } from '../../implementations/reference/connection/config.ts';
import { PROVIDER_NAMES, providerByName } from '../../implementations/reference/crypto/providers.ts';

export const cryptoOption = {
  type: 'string' as const,
  description: `crypto provider of the reference endpoints: ${PROVIDER_NAMES.join(' or ')} (default ${BUILTIN_CRYPTO_PROVIDER.name}; same results, node is faster)`,
};

/** Applies `--crypto` (a user mistake is one line, exit code 2). */
export function applyCryptoOption(cmd: string, value: unknown): void {
  if (value === undefined) {
    setDefaultCryptoProvider(BUILTIN_CRYPTO_PROVIDER);
    return;
  }
  const provider = providerByName(String(value));
  if (!provider) throw new UsageError(`${cmd}: unknown --crypto '${String(value)}' (expected ${PROVIDER_NAMES.join(' or ')})`);
  setDefaultCryptoProvider(provider);
}
