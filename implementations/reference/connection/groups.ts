import { NamedGroup, nameOf } from '../codec/enums.ts';
import type { GroupName } from '../crypto/provider.ts';

const SUPPORTED: Record<number, GroupName> = {
  [NamedGroup.x25519]: 'x25519',
  [NamedGroup.secp256r1]: 'secp256r1',
  [NamedGroup.secp384r1]: 'secp384r1',
  [NamedGroup.ffdhe2048]: 'ffdhe2048',
  [NamedGroup.ffdhe3072]: 'ffdhe3072',
};

/** The provider's name for a group we can compute, or undefined. */
export function groupName(code: number): GroupName | undefined {
  return SUPPORTED[code];
}

export function groupLabel(code: number): string {
  return nameOf(NamedGroup, code);
}
