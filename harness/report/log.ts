/**
 * The run log: pino JSON lines in `reports/<run-id>/run.log`. The destination is synchronous
 * (pino.destination({ sync: true })), so every line is on disk when the call returns and nothing is lost
 * when the process exits (Ctrl-C included). One line per case comes from `logCase`.
 */
import { join } from 'node:path';
import { pino, type Logger } from 'pino';
import { UsageError } from '../errors.ts';
import { DirError, ensureWritableDir } from './atomic.ts';
import type { CaseResult } from '../engine/result.ts';

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** Checks a `--log-level` value; a UsageError (exit 2) with a hint otherwise. */
export function parseLogLevel(value: string | undefined, fallback: LogLevel = 'info'): LogLevel {
  if (value === undefined) return fallback;
  if ((LOG_LEVELS as readonly string[]).includes(value)) return value as LogLevel;
  throw new UsageError(`--log-level: '${value}' is not one of ${LOG_LEVELS.join(', ')}`);
}

export interface RunLogger {
  logger: Logger;
  /** The file, `<dir>/run.log`. */
  path: string;
  /** One line per finished case: id, verdict, durationMs, reason (see `logCase`). */
  logCase(c: CaseResult): void;
  /** Flushes and closes the file; idempotent. The logger must not be used afterwards. */
  close(): void;
}

/**
 * A pino logger writing JSON lines to `<dir>/run.log` (created with its directory; appended to if it
 * exists), at `level`. `base` fields (e.g. { runId }) go on every line.
 */
export function createRunLogger(dir: string, level: LogLevel | string = 'info', base: Record<string, unknown> = {}): RunLogger {
  const lvl = parseLogLevel(level);
  try {
    // Not Node's recursive mkdir: under /proc it retries for ever (harness/report/atomic.ts).
    ensureWritableDir(dir);
  } catch (e) {
    if (e instanceof DirError) throw new UsageError(`cannot write the run log: ${e.message}`);
    throw e;
  }
  const path = join(dir, 'run.log');
  let dest: ReturnType<typeof pino.destination>;
  try {
    dest = pino.destination({ dest: path, sync: true, mkdir: false });
  } catch (e) {
    throw new UsageError(`cannot write the run log ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message.split('\n')[0]}`);
  }
  const logger = pino(
    {
      level: lvl,
      base: { pid: process.pid, ...base },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    dest,
  );
  let closed = false;
  return {
    logger,
    path,
    logCase: (c) => logCase(logger, c),
    close() {
      if (closed) return;
      closed = true;
      try {
        dest.flushSync();
      } catch {
        /* nothing buffered, or already closed */
      }
      dest.end();
    },
  };
}

/**
 * Logs one finished case: `{ msg: "case", id, verdict, durationMs, reason?, expectedFailure? }`, at info for
 * pass/lenient/skip and expected failures, warn for fail, error for error (so `--log-level warn` shows only
 * what went wrong).
 */
export function logCase(logger: Logger, c: CaseResult): void {
  const fields: Record<string, unknown> = { id: c.id, verdict: c.verdict, durationMs: c.durationMs };
  if (c.reason !== undefined) fields.reason = c.reason;
  if (c.expectedFailure !== undefined) fields.expectedFailure = c.expectedFailure;
  if (c.verdict === 'error') logger.error(fields, 'case');
  else if (c.verdict === 'fail' && !c.expectedFailure) logger.warn(fields, 'case');
  else logger.info(fields, 'case');
}
