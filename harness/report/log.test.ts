import { describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UsageError } from '../errors.ts';
import { createRunLogger, LOG_LEVELS, parseLogLevel } from './log.ts';
import { makeCase } from './testing.ts';

const lines = (p: string) =>
  readFileSync(p, 'utf8')
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Record<string, unknown>);

describe('run log', () => {
  it('writes JSON lines to <dir>/run.log, one per case, synchronously', () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'runlog-')), 'run-7');
    const log = createRunLogger(dir, 'info', { runId: 'run-7' });
    expect(log.path).toBe(join(dir, 'run.log'));
    log.logger.info({ target: 'openssl' }, 'run started');
    log.logCase(makeCase('tls13-a', 'pass'));
    log.logCase(makeCase('tls13-b', 'fail'));
    log.logCase(makeCase('tls13-c', 'error'));
    log.logCase(makeCase('tls13-d', 'fail', { expectedFailure: 'known' }));
    log.logger.debug('not at info');
    // Synchronous destination: on disk before close.
    const before = lines(log.path);
    expect(before).toHaveLength(5);
    log.close();
    log.close();
    const l = lines(log.path);
    expect(l[0]).toMatchObject({ level: 'info', msg: 'run started', target: 'openssl', runId: 'run-7', pid: process.pid });
    expect(typeof l[0].time).toBe('string');
    expect(l[1]).toMatchObject({ level: 'info', msg: 'case', id: 'tls13-a', verdict: 'pass', durationMs: 12.5 });
    expect(l[1]).not.toHaveProperty('reason');
    expect(l[2]).toMatchObject({ level: 'warn', id: 'tls13-b', verdict: 'fail', reason: 'fail because of reasons' });
    expect(l[3]).toMatchObject({ level: 'error', id: 'tls13-c', verdict: 'error' });
    expect(l[4]).toMatchObject({ level: 'info', id: 'tls13-d', verdict: 'fail', expectedFailure: 'known' });
  });

  it('honours the level; silent writes nothing', () => {
    const dir = mkdtempSync(join(tmpdir(), 'runlog-'));
    const warn = createRunLogger(join(dir, 'w'), 'warn');
    warn.logCase(makeCase('a', 'pass'));
    warn.logCase(makeCase('b', 'fail'));
    warn.close();
    expect(lines(warn.path).map((l) => l.id)).toEqual(['b']);
    const silent = createRunLogger(join(dir, 's'), 'silent');
    silent.logCase(makeCase('c', 'error'));
    silent.close();
    expect(existsSync(silent.path)).toBe(true);
    expect(readFileSync(silent.path, 'utf8')).toBe('');
    const trace = createRunLogger(join(dir, 't'), 'trace');
    trace.logger.trace('deep');
    trace.close();
    expect(lines(trace.path)[0]).toMatchObject({ level: 'trace', msg: 'deep' });
  });

  it('parseLogLevel accepts the documented levels and rejects others in one line', () => {
    for (const l of LOG_LEVELS) expect(parseLogLevel(l)).toBe(l);
    expect(parseLogLevel(undefined)).toBe('info');
    expect(() => parseLogLevel('verbose')).toThrow(UsageError);
    expect(() => parseLogLevel('verbose')).toThrow("--log-level: 'verbose' is not one of fatal, error, warn, info, debug, trace, silent");
    expect(() => createRunLogger(mkdtempSync(join(tmpdir(), 'runlog-')), 'loud')).toThrow(UsageError);
  });
});
