/**
 * `expect: { closure: ms }` (RFC 8446 6.1): the target may stay open or send data, but a close must come after
 * its close_notify; an error alert fails.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Socket } from 'node:net';
import { runCase } from './run-case.ts';
import { expectStep, scriptedServer, testCase } from './testing.ts';

const aCase = testCase([expectStep({ kind: 'closure', ms: 400, plainClose: false })], { id: 'closure' });
const plain = testCase([expectStep({ kind: 'closure', ms: 400, plainClose: true })], { id: 'closure-plain' });
const alert = (description: number) => Buffer.from([21, 3, 3, 0, 2, description === 0 ? 1 : 2, description]);

describe('expect closure (RFC 8446 6.1)', () => {
  let stop: (() => Promise<void>) | undefined;
  afterEach(async () => {
    await stop?.();
    stop = undefined;
  });
  const run = async (behaviour: (s: Socket) => void, c = aCase) => {
    const target = await scriptedServer(behaviour, 'raw');
    stop = () => target.stop();
    return runCase(c, target, { timeoutMs: 3000, expectTimeoutMs: 400 });
  };

  it('silence: the target keeps its side open, which is allowed', async () => {
    expect((await run(() => undefined)).verdict).toBe('pass');
  });

  it('close_notify, then the close: pass', async () => {
    expect((await run((s) => s.end(alert(0)))).verdict).toBe('pass');
  });

  it('a close without close_notify: fail', async () => {
    const r = await run((s) => s.end());
    expect(r.verdict).toBe('fail');
    expect(r.reason).toMatch(/^the target closed the connection without close_notify/);
  });

  it('plain_close: a close without close_notify passes, an error alert still fails', async () => {
    expect((await run((s) => s.end(), plain)).verdict).toBe('pass');
    await stop?.();
    expect((await run((s) => s.end(alert(80)), plain)).verdict).toBe('fail');
  });

  it('an error alert: fail', async () => {
    const r = await run((s) => s.end(alert(80)));
    expect(r.verdict).toBe('fail');
    expect(r.reason).toMatch(/expected close_notify or nothing, got alert internal_error/);
  });
});
