import { NamedGroup, nameOf } from '../codec/enums.ts';
import type { GroupName } from '../crypto/provider.ts';

/** Every group the provider computes: the ECDHE groups of RFC 8446 4.2.7 / RFC 8422 5.1.1 and the RFC 7919 FFDHE groups. */
const SUPPORTED: Record<number, GroupName> = {
  [NamedGroup.x25519]: 'x25519',
  [NamedGroup.x448]: 'x448',
  [NamedGroup.secp256r1]: 'secp256r1',
  [NamedGroup.secp384r1]: 'secp384r1',
  [NamedGroup.secp521r1]: 'secp521r1',
  [NamedGroup.ffdhe2048]: 'ffdhe2048',
  [NamedGroup.ffdhe3072]: 'ffdhe3072',
  [NamedGroup.ffdhe4096]: 'ffdhe4096',
  [NamedGroup.ffdhe6144]: 'ffdhe6144',
  [NamedGroup.ffdhe8192]: 'ffdhe8192',
};

/** The elliptic-curve groups (TLS 1.2: ECDHE, RFC 8422 5.1.1 "secp256r1 (23), secp384r1 (24), secp521r1 (25), x25519(29), x448(30)"). */
export const EC_GROUP_CODES: readonly number[] = [NamedGroup.x25519, NamedGroup.x448, NamedGroup.secp256r1, NamedGroup.secp384r1, NamedGroup.secp521r1];
/** The finite-field groups (TLS 1.2: DHE, RFC 7919). */
export const FFDHE_CODES: readonly number[] = [NamedGroup.ffdhe2048, NamedGroup.ffdhe3072, NamedGroup.ffdhe4096, NamedGroup.ffdhe6144, NamedGroup.ffdhe8192];

/** The provider's name for a group we can compute, or undefined. */
export function groupName(code: number): GroupName | undefined {
  return SUPPORTED[code];
}

export function groupLabel(code: number): string {
  return nameOf(NamedGroup, code);
}
