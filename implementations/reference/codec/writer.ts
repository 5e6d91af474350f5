import { joinPath, type LenBytes } from './reader.ts';

/**
 * Deliberate mis-encodings, keyed by field path (the same paths the decoder reports, e.g.
 * `ClientHello.extensions[0].key_share.client_shares`). The scenario engine uses these to send malformed
 * messages; a normal encode passes none.
 */
export interface EncodeOverrides {
  /** Write this value in the length prefix of the region at the path, whatever the real length is. */
  lengths?: Record<string, number>;
  /** Append these bytes at the end of the region at the path (inside its length prefix). */
  append?: Record<string, Uint8Array>;
}

/** Byte span [start, end) of an encoded field, for mutations that target a field instead of an offset. */
export type Span = readonly [start: number, end: number];

/**
 * A growable byte writer whose length-prefixed regions are back-patched, in the manner of rustls's
 * `encode(out)`. It keeps the path of what it is writing, so it can apply `EncodeOverrides` and record the
 * span of every named field.
 */
export class Writer {
  private buf = new Uint8Array(256);
  private len = 0;
  private pathNow: string;
  /** Spans of named fields, by path, filled when `trackSpans` is on. */
  readonly spans = new Map<string, Span>();
  /** The override paths that met a region of that path (the rest named no length-prefixed region). */
  readonly usedOverrides = new Set<string>();

  constructor(
    path = '',
    private readonly overrides: EncodeOverrides = {},
    private readonly trackSpans = false,
  ) {
    this.pathNow = path;
  }

  get path(): string {
    return this.pathNow;
  }

  get length(): number {
    return this.len;
  }

  private grow(n: number): void {
    if (this.len + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.len + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.len));
    this.buf = next;
  }

  private mark(field: string | number | undefined, start: number): void {
    if (this.trackSpans && field !== undefined) this.spans.set(joinPath(this.pathNow, field), [start, this.len]);
  }

  private uint(value: number, width: number, field?: string): this {
    const start = this.len;
    this.grow(width);
    for (let i = width - 1; i >= 0; i--) this.buf[this.len++] = Math.floor(value / 2 ** (8 * i)) & 0xff;
    this.mark(field, start);
    return this;
  }

  u8(v: number, field?: string): this {
    return this.uint(v, 1, field);
  }
  u16(v: number, field?: string): this {
    return this.uint(v, 2, field);
  }
  u24(v: number, field?: string): this {
    return this.uint(v, 3, field);
  }
  u32(v: number, field?: string): this {
    return this.uint(v, 4, field);
  }

  bytes(b: Uint8Array, field?: string): this {
    const start = this.len;
    this.grow(b.length);
    this.buf.set(b, this.len);
    this.len += b.length;
    this.mark(field, start);
    return this;
  }

  /** Run `body` with the path extended by `segment` (a named field or a list index). */
  within(segment: string | number, body: (w: this) => void): this {
    const saved = this.pathNow;
    this.pathNow = joinPath(saved, segment);
    const start = this.len;
    try {
      body(this);
      this.applyAppend();
    } finally {
      this.pathNow = saved;
    }
    this.mark(segment, start);
    return this;
  }

  private applyAppend(): void {
    const extra = this.overrides.append?.[this.pathNow];
    if (extra) {
      this.usedOverrides.add(`append:${this.pathNow}`);
      this.bytes(extra);
    }
  }

  /** A length-prefixed region `field<..>`: writes the length (or its override), then the body. */
  vec(field: string, lenBytes: LenBytes, body: (w: this) => void): this {
    const start = this.len;
    this.uint(0, lenBytes);
    const saved = this.pathNow;
    this.pathNow = joinPath(saved, field);
    try {
      body(this);
      this.applyAppend();
      const forced = this.overrides.lengths?.[this.pathNow];
      if (forced !== undefined) this.usedOverrides.add(`length:${this.pathNow}`);
      const n = forced ?? this.len - start - lenBytes;
      for (let i = 0; i < lenBytes; i++) this.buf[start + i] = Math.floor(n / 2 ** (8 * (lenBytes - 1 - i))) & 0xff;
    } finally {
      this.pathNow = saved;
    }
    this.mark(field, start);
    return this;
  }

  opaque(field: string, lenBytes: LenBytes, data: Uint8Array): this {
    return this.vec(field, lenBytes, (w) => w.bytes(data));
  }

  list<T>(field: string, lenBytes: LenBytes, items: readonly T[], item: (w: this, v: T) => void): this {
    return this.vec(field, lenBytes, (w) => items.forEach((v, i) => w.within(i, () => item(w, v))));
  }

  finish(): Uint8Array {
    return this.buf.slice(0, this.len);
  }
}
