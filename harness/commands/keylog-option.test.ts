import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { keyLogSink } from './keylog-option.ts';
import { UsageError } from '../errors.ts';

describe('--keylog / SSLKEYLOGFILE', () => {
  it('appends one line per secret to --keylog, else to $SSLKEYLOGFILE, else nowhere', () => {
    const dir = mkdtempSync(join(tmpdir(), 'keylog-'));
    const flag = join(dir, 'flag.log');
    const env = join(dir, 'env.log');
    keyLogSink('connect', flag, { SSLKEYLOGFILE: env })!('CLIENT_RANDOM 01 02');
    keyLogSink('connect', flag, {})!('CLIENT_RANDOM 03 04');
    keyLogSink('serve', undefined, { SSLKEYLOGFILE: env })!('CLIENT_RANDOM 05 06');
    expect(readFileSync(flag, 'utf8')).toBe('CLIENT_RANDOM 01 02\nCLIENT_RANDOM 03 04\n');
    expect(readFileSync(env, 'utf8')).toBe('CLIENT_RANDOM 05 06\n');
    expect(keyLogSink('serve', undefined, {})).toBeUndefined();
    expect(keyLogSink('serve', undefined, { SSLKEYLOGFILE: '' })).toBeUndefined();
  });

  it('a file it cannot write is a usage error naming the flag or the variable', () => {
    expect(() => keyLogSink('serve', '/nonexistent-dir/k.log', {})).toThrow(UsageError);
    expect(() => keyLogSink('serve', '/nonexistent-dir/k.log', {})).toThrow(/serve: --keylog \/nonexistent-dir\/k\.log: cannot write it \(ENOENT\)/);
    expect(() => keyLogSink('connect', undefined, { SSLKEYLOGFILE: '/nonexistent-dir/k.log' })).toThrow(/connect: SSLKEYLOGFILE \/nonexistent-dir\/k\.log/);
  });
});
