/**
 * Atomic file replacement: the data goes to a temporary file in the same directory, is fsync'd, then
 * renamed over the destination. A reader (or a run killed half-way) sees either the old file or the new
 * one, never a torn one. Synchronous on purpose: it is safe to call from a SIGINT handler just before exit.
 */
import { closeSync, fsyncSync, mkdirSync, openSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { randomBytes } from 'node:crypto';

export type AtomicData = string | Uint8Array | Iterable<string | Uint8Array>;

function writeAll(fd: number, chunk: string | Uint8Array): void {
  const buf = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk;
  let off = 0;
  while (off < buf.length) off += writeSync(fd, buf, off, buf.length - off);
}

/**
 * Writes `data` (a string, bytes, or an iterable of chunks, e.g. a generator that serializes lazily) to
 * `path` atomically. Creates the parent directory. If anything throws before the rename (the data
 * iterator included), the temporary file is removed and the previous content of `path` is left intact.
 */
export function writeFileAtomic(path: string, data: AtomicData): void {
  const dir = dirname(path);
  mkdirSync(dir, { recursive: true });
  const tmp = join(dir, `.${basename(path)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  const fd = openSync(tmp, 'wx', 0o644);
  let closed = false;
  try {
    if (typeof data === 'string' || data instanceof Uint8Array) writeAll(fd, data);
    else for (const chunk of data) writeAll(fd, chunk);
    fsyncSync(fd);
    closeSync(fd);
    closed = true;
    renameSync(tmp, path);
  } catch (e) {
    if (!closed) {
      try {
        closeSync(fd);
      } catch {
        /* already failing */
      }
    }
    try {
      unlinkSync(tmp);
    } catch {
      /* already gone */
    }
    throw e;
  }
  // Make the rename itself durable; not possible on every platform (Windows), so best-effort.
  try {
    const dfd = openSync(dir, 'r');
    try {
      fsyncSync(dfd);
    } finally {
      closeSync(dfd);
    }
  } catch {
    /* best-effort */
  }
}
