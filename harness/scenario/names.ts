/**
 * IANA names as scenarios use them: which table a value resolves against, how it is checked (with a
 * "did you mean" hint) and how a number is written back as a name.
 */
import {
  AlertDescription,
  AlertLevel,
  CipherSuite,
  ContentType,
  ExtensionType,
  NamedGroup,
  ProtocolVersion,
  SignatureScheme,
  nameOf,
  type NameTable,
} from '../../implementations/reference/codec/enums.ts';
import { HANDSHAKE_STRUCT_NAMES } from '../../implementations/reference/codec/handshake.ts';
import { hint, numericText } from './text.ts';

export interface NameKind {
  /** For messages: "unknown cipher suite 'X'". */
  label: string;
  table: NameTable;
  /** Largest code point (numbers above are errors). */
  max: number;
  /** Hex digits when a number without a name is written back (`0x1a1a`). */
  width: number;
}

export const NAMES = {
  cipher_suite: { label: 'cipher suite', table: CipherSuite, max: 0xffff, width: 4 },
  group: { label: 'group', table: NamedGroup, max: 0xffff, width: 4 },
  signature_scheme: { label: 'signature scheme', table: SignatureScheme, max: 0xffff, width: 4 },
  alert: { label: 'alert', table: AlertDescription, max: 0xff, width: 2 },
  alert_level: { label: 'alert level', table: AlertLevel, max: 0xff, width: 2 },
  extension: { label: 'extension', table: ExtensionType, max: 0xffff, width: 4 },
  content_type: { label: 'content type', table: ContentType, max: 0xff, width: 2 },
  version: { label: 'protocol version', table: ProtocolVersion, max: 0xffff, width: 4 },
} as const satisfies Record<string, NameKind>;

/** Handshake message names: the codec's struct names (HelloRetryRequest included). */
export const MESSAGE_NAMES: readonly string[] = [...new Set(Object.values(HANDSHAKE_STRUCT_NAMES))];

/** Check a name or number (or numeric text) against a table: undefined when fine, else the message. */
export function checkName(kind: NameKind, v: string | number): string | undefined {
  const n = typeof v === 'number' ? v : numericText(v);
  if (n !== undefined) {
    return Number.isInteger(n) && n >= 0 && n <= kind.max ? undefined : `${kind.label} ${v} is out of range (0..${kind.max})`;
  }
  const s = String(v);
  if (Object.prototype.hasOwnProperty.call(kind.table, s)) return undefined;
  return `unknown ${kind.label} '${s}'${hint(s, Object.keys(kind.table))}`;
}

/** The code point of a checked name or number (undefined if it does not resolve). */
export function codeFor(kind: NameKind, v: string | number): number | undefined {
  if (typeof v === 'number') return v;
  const n = numericText(v);
  if (n !== undefined) return n;
  return Object.prototype.hasOwnProperty.call(kind.table, v) ? kind.table[v] : undefined;
}

/** A name for a checked value: the table's name, else `0x` hex of the number; unresolvable text as is. */
export function nameFor(kind: NameKind, v: string | number): string {
  const n = codeFor(kind, v);
  if (n === undefined) return String(v);
  for (const [name, code] of Object.entries(kind.table)) if (code === n) return name;
  return `0x${n.toString(16).padStart(kind.width, '0')}`;
}

export function checkMessage(v: string): string | undefined {
  return MESSAGE_NAMES.includes(v) ? undefined : `unknown message '${v}'${hint(v, MESSAGE_NAMES)}`;
}

/**
 * The extension a field path's `extensions.<segment>` names: an IANA name (`key_share`), `unknown(0x0011)`, or a
 * number (`0x0011`, `17`), which stands for that code point's name (`unknown(0x....)` when unassigned); or, for
 * anything else, the problem in one line. A misspelt name must not read as an absent extension.
 */
export function extensionOfSegment(segment: string): { name: string } | { problem: string } {
  if (/^unknown\(0x[0-9a-f]{4}\)$/.test(segment)) return { name: segment };
  const problem = checkName(NAMES.extension, segment);
  if (problem) return { problem: `${problem}; write an IANA extension name or a number (0x0011)` };
  const n = numericText(segment);
  return { name: n === undefined ? segment : nameOf(ExtensionType, n) };
}
