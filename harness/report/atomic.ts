/**
 * Atomic file replacement: the data goes to a temporary file in the same directory, is fsync'd, then
 * renamed over the destination. A reader (or a run killed half-way) sees either the old file or the new
 * one, never a torn one. Synchronous on purpose: it is safe to call from a SIGINT handler just before exit.
 */
import { closeSync, fsyncSync, mkdirSync, openSync, renameSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { randomBytes } from 'node:crypto';

const REASONS: Record<string, string> = {
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EROFS: 'read-only file system',
  ENOSPC: 'no space left on device',
  EDQUOT: 'disk quota exceeded',
  ENOENT: 'no such file or directory',
  ENOTDIR: 'not a directory',
  ENAMETOOLONG: 'file name too long',
  ELOOP: 'too many symbolic links',
  EIO: 'input/output error',
};

/** A directory that cannot be made or written to: `message` is one line, `${path} ${problem}`. */
export class DirError extends Error {
  override readonly name = 'DirError';
  constructor(
    readonly path: string,
    /** What is wrong, without the path: `is not a directory`, `cannot be created: permission denied`. */
    readonly problem: string,
    readonly code?: string,
  ) {
    super(`${path} ${problem}`);
  }

  /** The message, or only the problem when `given` names the same directory. */
  about(given: string): string {
    return resolve(given) === this.path ? this.problem : this.message;
  }
}

function reason(e: unknown, path: string): { code: string | undefined; text: string } {
  const code = (e as NodeJS.ErrnoException).code;
  const text = (code && REASONS[code]) ?? (e as Error).message.split('\n')[0];
  // The kernel's pseudo file systems refuse new files with odd errors (ENOENT under /proc).
  const pseudo = /^\/(proc|sys)(\/|$)/.test(path) ? ` (/${/^\/(proc|sys)/.exec(path)![1]} is not a place for files)` : '';
  return { code, text: text + pseudo };
}

/**
 * `mkdir -p`, one component at a time. Node's own recursive mkdir retries without end where the parent
 * exists but the kernel answers ENOENT (under /proc: 100% CPU, no output); this makes at most one attempt
 * per missing component. Throws a DirError naming the path at fault (a file in the way, /sys, a read-only
 * file system, no permission).
 */
export function makeDirs(dir: string): void {
  const missing: string[] = [];
  let p = resolve(dir);
  for (;;) {
    try {
      if (!statSync(p).isDirectory()) throw new DirError(p, 'is not a directory (it is a file)', 'ENOTDIR');
      break;
    } catch (e) {
      if (e instanceof DirError) throw e;
      const r = reason(e, p);
      if (r.code !== 'ENOENT' && r.code !== 'ENOTDIR') throw new DirError(p, `cannot be used: ${r.text}`, r.code);
      const parent = dirname(p);
      if (parent === p) throw new DirError(p, `cannot be used: ${r.text}`, r.code);
      missing.push(p);
      p = parent;
    }
  }
  for (const m of missing.reverse()) {
    try {
      mkdirSync(m);
    } catch (e) {
      const r = reason(e, m);
      if (r.code === 'EEXIST' && statSync(m, { throwIfNoEntry: false })?.isDirectory()) continue;
      throw new DirError(m, `cannot be created: ${r.text}`, r.code);
    }
  }
}

/**
 * makeDirs, then proves that files can be created in `dir` (a probe file, removed at once): a folder one
 * may not write, a read-only file system and /sys all fail here, before a run starts, not half-way.
 */
export function ensureWritableDir(dir: string): void {
  makeDirs(dir);
  const abs = resolve(dir);
  const probe = join(abs, `.tls-harness-write-test.${process.pid}.${randomBytes(4).toString('hex')}`);
  let fd: number;
  try {
    fd = openSync(probe, 'wx', 0o600);
  } catch (e) {
    const r = reason(e, abs);
    throw new DirError(abs, `cannot be written to: ${r.text}`, r.code);
  }
  closeSync(fd);
  try {
    unlinkSync(probe);
  } catch {
    /* written, so writable; a probe left behind is harmless */
  }
}

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
  makeDirs(dir);
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
