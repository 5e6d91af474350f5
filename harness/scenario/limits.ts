/**
 * What a scenario file may be, checked before the YAML parser sees it, so that no file (a huge one, a
 * deeply nested one, one that is not UTF-8) can make the loader slow, exhaust memory or overflow the stack:
 *
 * - at most MAX_SCENARIO_FILE_BYTES (256 KiB; the largest file of the suite is 17.6 KB);
 * - UTF-8 (a byte that is not is reported at its line and column, never turned into U+FFFD);
 * - lists and mappings nested at most MAX_NESTING deep (the suite needs under 10);
 * - at most MAX_DIAGNOSTICS_PER_FILE diagnostics kept and printed per file, then one "and N more".
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { isUtf8 } from 'node:buffer';
import { Lexer } from 'yaml';

export const MAX_SCENARIO_FILE_BYTES = 256 * 1024;
export const MAX_NESTING = 64;
export const MAX_DIAGNOSTICS_PER_FILE = 50;

/** A problem with the file as a whole or at one offset of its text. */
export interface FileProblem {
  message: string;
  /** Where, as line and column (1-based); absent for the file as a whole. */
  at?: { line: number; col: number };
}

const ERRNO: Record<string, string> = {
  ENOENT: 'no such file',
  EISDIR: 'is a directory',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  ELOOP: 'too many symbolic links',
  ENAMETOOLONG: 'file name too long',
  ENOTDIR: 'a component of the path is not a directory',
  EIO: 'input/output error',
};

/** `cannot read: permission denied` style text for a file-system error. */
function fsReason(e: unknown): string {
  const code = (e as NodeJS.ErrnoException).code ?? '';
  if (code === 'ENOENT' || code === 'EISDIR') return ERRNO[code];
  return `cannot read: ${ERRNO[code] ?? (e as Error).message.split('\n')[0]}`;
}

const mib = (n: number) => (n % (1024 * 1024) === 0 ? `${n / (1024 * 1024)} MiB` : n % 1024 === 0 ? `${n / 1024} KiB` : `${n} bytes`);

/**
 * Reads a scenario file's bytes: a regular file of at most `limit` bytes (never more is read, so a device
 * or a file that grows cannot make the loader read without end). A string is the reason it cannot be used.
 */
export function readScenarioBytes(path: string, limit = MAX_SCENARIO_FILE_BYTES): Buffer | string {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (e) {
    return fsReason(e);
  }
  try {
    const st = fstatSync(fd);
    if (st.isDirectory()) return ERRNO.EISDIR;
    if (!st.isFile()) return 'not a regular file (a scenario is a .yaml file)';
    if (st.size > limit) return `${st.size} bytes: over the limit of ${mib(limit)} for a scenario file (split it into several files)`;
    const buf = Buffer.alloc(Math.min(st.size, limit) + 1);
    let n = 0;
    for (;;) {
      const r = readSync(fd, buf, n, buf.length - n, null);
      if (r === 0) break;
      n += r;
      if (n > limit) return `over the limit of ${mib(limit)} for a scenario file (split it into several files)`;
      if (n === buf.length) break;
    }
    return buf.subarray(0, n);
  } catch (e) {
    return fsReason(e);
  } finally {
    closeSync(fd);
  }
}

/** The offset of the first byte that does not start or continue a valid UTF-8 sequence (RFC 3629 4). */
export function firstInvalidUtf8(b: Uint8Array): number {
  let i = 0;
  while (i < b.length) {
    const c = b[i];
    let need: number;
    let min: number;
    if (c < 0x80) {
      i++;
      continue;
    } else if (c >= 0xc2 && c <= 0xdf) [need, min] = [1, 0x80];
    else if (c >= 0xe0 && c <= 0xef) [need, min] = [2, 0x800];
    else if (c >= 0xf0 && c <= 0xf4) [need, min] = [3, 0x10000];
    else return i;
    if (i + need >= b.length) return i;
    let cp = c & (need === 1 ? 0x1f : need === 2 ? 0x0f : 0x07);
    for (let k = 1; k <= need; k++) {
      const d = b[i + k];
      if ((d & 0xc0) !== 0x80) return i;
      cp = (cp << 6) | (d & 0x3f);
    }
    // Overlong forms, UTF-16 surrogates and code points above U+10FFFF are not UTF-8 (RFC 3629 3).
    if (cp < min || (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff) return i;
    i += need + 1;
  }
  return -1;
}

/** Decodes a scenario file's bytes as UTF-8, or says where it is not UTF-8. */
export function decodeScenario(bytes: Buffer): { text: string } | FileProblem {
  if (isUtf8(bytes)) return { text: new TextDecoder('utf-8').decode(bytes) };
  if ((bytes[0] === 0xff && bytes[1] === 0xfe) || (bytes[0] === 0xfe && bytes[1] === 0xff)) {
    return { message: 'the file is UTF-16 (it starts with a UTF-16 byte order mark): save it as UTF-8', at: { line: 1, col: 1 } };
  }
  const off = firstInvalidUtf8(bytes);
  const lineStart = bytes.lastIndexOf(0x0a, off - 1) + 1;
  let line = 1;
  for (let i = 0; i < lineStart; i++) if (bytes[i] === 0x0a) line++;
  const col = new TextDecoder('utf-8').decode(bytes.subarray(lineStart, off)).length + 1;
  return { message: `byte 0x${bytes[off].toString(16).padStart(2, '0')} is not UTF-8: scenario files must be UTF-8 text`, at: { line, col } };
}

/**
 * The offset of the first token nested more than `max` lists and mappings deep, or -1. It follows the
 * YAML lexer's tokens (so quotes, comments and block scalars are not mistaken for structure) and counts
 * flow brackets exactly and block levels by indentation and indicators (`- `, `? `, `key:`); a close
 * estimate is enough for a limit far above what any scenario needs. The YAML composer recurses once per
 * level, so without this a file of 100,000 `[` overflows the stack (and takes seconds to do it).
 */
export function tooDeepOffset(text: string, max = MAX_NESTING): number {
  let offset = 0;
  let lineStart = 0;
  let atLineStart = true;
  let flow = 0;
  let block: number[] = [];
  let entryCol = -1;
  for (const tok of new Lexer().lex(text)) {
    // Control tokens of the lexer (document, flow end, scalar markers) are not source text.
    if (tok === '\x02') {
      flow = 0;
      block = [];
      atLineStart = true;
      continue;
    }
    // The lexer ends an unclosed flow collection where it cannot go on (a document marker, say).
    if (tok === '\x18') {
      flow = 0;
      continue;
    }
    if (tok === '\x1f') continue;
    const start = offset;
    offset += tok.length;
    const col = start - lineStart;
    const nl = tok.lastIndexOf('\n');
    if (nl >= 0) lineStart = start + nl + 1;
    if (tok.trim() === '') {
      // A newline, or spaces (the indentation of the next token when at the start of a line).
      if (nl >= 0) {
        atLineStart = true;
        entryCol = -1;
      }
      continue;
    }
    // A multi-line scalar or a comment: no structure, but it may end the line.
    const endsLine = nl === tok.length - 1;
    if (tok.startsWith('#')) {
      if (endsLine) atLineStart = true;
      continue;
    }
    if (col === 0 && (tok === '---' || tok === '...')) {
      flow = 0;
      block = [];
    }
    if (atLineStart) {
      atLineStart = false;
      if (flow === 0) {
        while (block.length > 0 && block[block.length - 1] >= col) block.pop();
        entryCol = col;
      }
    }
    if (tok === '[' || tok === '{') {
      flow++;
      if (flow + block.length > max) return start;
    } else if (tok === ']' || tok === '}') {
      flow = Math.max(0, flow - 1);
    } else if (flow === 0 && (tok === '-' || tok === '?')) {
      block.push(col);
      entryCol = -1;
      if (block.length > max) return start;
    } else if (flow === 0 && tok === ':') {
      block.push(entryCol < 0 ? col : entryCol);
      entryCol = -1;
      if (block.length > max) return start;
    } else if (entryCol < 0) entryCol = col;
    if (endsLine) {
      atLineStart = true;
      entryCol = -1;
    }
  }
  return -1;
}
