/**
 * Small text helpers for the scenario loader: "did you mean" hints, hex, `${param}` templates.
 */
import { closest } from '../suggest.ts';

export { closest };

/** ` (did you mean 'x'?)` or ''. */
export function hint(word: string, candidates: Iterable<string>): string {
  const c = closest(word, candidates);
  return c === undefined ? '' : ` (did you mean '${c}'?)`;
}


/** The most bytes one hex string may stand for: the largest handshake message (a uint24 length). */
export const MAX_HEX_BYTES = 2 ** 24 - 1;

/**
 * Hex as scenarios write it: an optional `0x`, then pairs of hex digits; spaces, `:` and `_` between digits
 * are ignored. `<digits>*<count>` repeats whole bytes: `fefe*3` is `fefefefefefe`, `"0a0b 00*1000"` two bytes
 * and a thousand zero bytes (for messages as large as the syntax allows). Returns lowercase digits only, or
 * an error message.
 */
export function parseHex(text: string): { hex: string } | { error: string } {
  let s = text.trim();
  if (/^0x/i.test(s)) s = s.slice(2);
  if (s.includes('*')) {
    let error: string | undefined;
    let bytes = 0;
    s = s.replace(/([0-9a-fA-F]+)\*(\d+)/g, (_, unit: string, count: string) => {
      if (unit.length % 2 !== 0) error ??= `bad hex '${clip(text)}': '${clip(unit, 20)}*${count}' repeats an odd number of hex digits`;
      bytes += (unit.length / 2) * Number(count);
      if (bytes > MAX_HEX_BYTES) error ??= `bad hex '${clip(text)}': more than ${MAX_HEX_BYTES} bytes`;
      return error ? '' : unit.repeat(Number(count));
    });
    if (error) return { error };
  }
  s = s.replace(/[\s:_]/g, '');
  if (s.length / 2 > MAX_HEX_BYTES) return { error: `bad hex '${clip(text)}': more than ${MAX_HEX_BYTES} bytes` };
  const bad = /[^0-9a-fA-F]/.exec(s);
  if (bad) return { error: `bad hex '${clip(text)}': '${bad[0]}' is not a hex digit` };
  if (s.length % 2 !== 0) return { error: `bad hex '${clip(text)}': odd number of hex digits (${s.length})` };
  return { hex: s.toLowerCase() };
}

export function hexToBytes(hex: string): Uint8Array {
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return out;
}

export function clip(s: string, n = 60): string {
  return s.length > n ? `${s.slice(0, n - 3)}...` : s;
}

/** `${name}` references and the `$${` escape (a literal `${`). */
const TEMPLATE = /\$\$\{|\$\{([^}]*)\}/g;

/** The parameter names a string references, in order, with repeats; `$${` escapes are skipped. */
export function templateRefs(s: string): string[] {
  const out: string[] = [];
  for (const m of s.matchAll(TEMPLATE)) if (m[0] !== '$${') out.push(m[1]);
  return out;
}

/** True when the string has a `${` that is neither an escape nor closed by `}`. */
export function hasUnterminatedRef(s: string): boolean {
  return /\$\{[^}]*$/.test(s.replace(TEMPLATE, ''));
}

/** Substitute `${name}` from params (unknown names are left as written) and unescape `$${`. */
export function substitute(s: string, params: Readonly<Record<string, string | number>>): string {
  return s.replace(TEMPLATE, (m, name: string | undefined) =>
    m === '$${' ? '${' : Object.prototype.hasOwnProperty.call(params, name!) ? String(params[name!]) : m,
  );
}

/** A string that is exactly one `${name}`: its name. */
export function wholeRef(s: string): string | undefined {
  return /^\$\{([^}]*)\}$/.exec(s)?.[1];
}

/** Decimal or 0x-hex integer text. */
export function numericText(s: string): number | undefined {
  if (/^0x[0-9a-f]+$/i.test(s)) return parseInt(s.slice(2), 16);
  if (/^[0-9]+$/.test(s)) return parseInt(s, 10);
  return undefined;
}
