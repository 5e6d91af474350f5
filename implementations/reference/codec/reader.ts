import { DecodeError } from './errors.ts';
import type { AlertName } from './enums.ts';

/** Width of a length prefix in bytes: `<..2^8-1>` is 1, `<..2^16-1>` is 2, `<..2^24-1>` is 3. */
export type LenBytes = 1 | 2 | 3;

interface Cursor {
  readonly buf: Uint8Array;
  pos: number;
}

/**
 * A bounded reader over a byte buffer, in the manner of rustls's `Reader`.
 *
 * Every length-prefixed region is read through a sub-reader (`vec`, `list`) that shares the cursor but can
 * never read past the end of its own region; `end()` then rejects bytes left over inside it. Each reader
 * carries the field path used in errors, so a failure deep inside a message names the field exactly.
 */
export class Reader {
  private constructor(
    private readonly cur: Cursor,
    private readonly limit: number,
    readonly path: string,
  ) {}

  static of(buf: Uint8Array, path: string): Reader {
    return new Reader({ buf, pos: 0 }, buf.length, path);
  }

  /** Bytes left in this reader's region. */
  get remaining(): number {
    return this.limit - this.cur.pos;
  }

  /** Absolute offset of the cursor in the underlying buffer. */
  get offset(): number {
    return this.cur.pos;
  }

  /** The same region and cursor, with a longer path (for a named field or a list item). */
  at(segment: string | number): Reader {
    return new Reader(this.cur, this.limit, joinPath(this.path, segment));
  }

  fail(reason: string, field?: string | number, alert: AlertName = 'decode_error'): never {
    throw new DecodeError(alert, field === undefined ? this.path : joinPath(this.path, field), reason, this.cur.pos);
  }

  private need(n: number, field: string | number | undefined): void {
    if (this.remaining < n) {
      this.fail(`needs ${n} byte${n === 1 ? '' : 's'}, ${this.remaining} left`, field);
    }
  }

  u8(field?: string): number {
    this.need(1, field);
    return this.cur.buf[this.cur.pos++];
  }

  u16(field?: string): number {
    this.need(2, field);
    const b = this.cur.buf;
    const p = this.cur.pos;
    this.cur.pos += 2;
    return (b[p] << 8) | b[p + 1];
  }

  u24(field?: string): number {
    this.need(3, field);
    const b = this.cur.buf;
    const p = this.cur.pos;
    this.cur.pos += 3;
    return (b[p] << 16) | (b[p + 1] << 8) | b[p + 2];
  }

  u32(field?: string): number {
    this.need(4, field);
    const b = this.cur.buf;
    const p = this.cur.pos;
    this.cur.pos += 4;
    return ((b[p] << 24) >>> 0) + ((b[p + 1] << 16) | (b[p + 2] << 8) | b[p + 3]);
  }

  /** Exactly n bytes, copied (decoded values never alias the input buffer). */
  bytes(n: number, field?: string): Uint8Array {
    this.need(n, field);
    const out = this.cur.buf.slice(this.cur.pos, this.cur.pos + n);
    this.cur.pos += n;
    return out;
  }

  /** Everything left in this region. */
  rest(): Uint8Array {
    return this.bytes(this.remaining);
  }

  private len(lenBytes: LenBytes, field: string): number {
    return lenBytes === 1 ? this.u8(field) : lenBytes === 2 ? this.u16(field) : this.u24(field);
  }

  /**
   * A length-prefixed region `field<min..max>` (the length counts bytes, as in the RFC's presentation
   * language). Returns a sub-reader bounded to the region; the caller reads it and then calls `end()`.
   */
  vec(field: string, lenBytes: LenBytes, min: number, max: number): Reader {
    const n = this.len(lenBytes, field);
    if (n < min || n > max) this.fail(`length ${n} outside <${min}..${max}>`, field);
    this.need(n, field);
    return new Reader(this.cur, this.cur.pos + n, joinPath(this.path, field));
  }

  /** `opaque field<min..max>`. */
  opaque(field: string, lenBytes: LenBytes, min: number, max: number): Uint8Array {
    const r = this.vec(field, lenBytes, min, max);
    return r.bytes(r.remaining);
  }

  /** A vector of items `T field<min..max>`: each item is read from `item(reader)` with path `field[i]`. */
  list<T>(field: string, lenBytes: LenBytes, min: number, max: number, item: (r: Reader) => T): T[] {
    const r = this.vec(field, lenBytes, min, max);
    const out: T[] = [];
    for (let i = 0; r.remaining > 0; i++) out.push(item(r.at(i)));
    return out;
  }

  /** RFC 8446 3: a structure is its fields and nothing more; bytes left over are a decode_error. */
  end(): void {
    if (this.remaining !== 0) this.fail(`${this.remaining} unexpected trailing byte${this.remaining === 1 ? '' : 's'}`);
  }
}

export function joinPath(path: string, segment: string | number): string {
  if (typeof segment === 'number') return `${path}[${segment}]`;
  if (segment === '') return path;
  return path === '' ? segment : `${path}.${segment}`;
}
