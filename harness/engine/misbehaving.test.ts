/**
 * Targets that misbehave at the transport: every one must end in a verdict within the case's time limit.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Server, Socket } from 'node:net';
import type { ScenarioCase, Step } from '../scenario/model.ts';
import type { Target, TargetConnection } from '../targets/types.ts';
import { REFERENCE_CAPABILITIES } from '../targets/reference.ts';
import { runCase } from './run-case.ts';
import { expectMessages, scriptedServer, sendStep, testCase } from './testing.ts';

const loc = { file: 't.yaml', line: 1, col: 1 };
const steps: Step[] = [sendStep('ClientHello', {}, loc), expectMessages(['ServerHello'], loc)];
const aCase: ScenarioCase = testCase(steps, { id: 'misbehaving', loc });

/** A raw TCP "server" whose behaviour per connection is given. */
async function rawTarget(onConnection: (s: Socket) => void): Promise<{ target: Target; server: Server }> {
  const target = await scriptedServer(onConnection, 'raw');
  return { target, server: target.server };
}

describe('a target that misbehaves still gets a verdict within the time limit', () => {
  let stop: (() => Promise<void>) | undefined;
  afterEach(async () => {
    await stop?.();
    stop = undefined;
  });

  const run = async (behaviour: (s: Socket) => void) => {
    const { target } = await rawTarget(behaviour);
    stop = () => target.stop();
    const t0 = Date.now();
    const r = await runCase(aCase, target, { timeoutMs: 2000, expectTimeoutMs: 800 });
    return { r, ms: Date.now() - t0 };
  };

  it('silence: fails with "nothing within"', async () => {
    const { r, ms } = await run(() => undefined);
    expect(r.verdict).toBe('fail');
    expect(r.observed).toMatch(/nothing within 800 ms/);
    expect(ms).toBeLessThan(6000);
  });

  it('a reset: fails naming the reset', async () => {
    const { r } = await run((s) => s.once('data', () => s.resetAndDestroy()));
    expect(r.verdict).toBe('fail');
    expect(r.observed).toBe('the target reset the connection');
  });

  it('an immediate close: fails naming the close', async () => {
    const { r } = await run((s) => s.end());
    expect(r.verdict).toBe('fail');
    expect(r.observed).toBe('the target closed the connection without an alert');
  });

  it('garbage: fails naming the unreadable record', async () => {
    const { r } = await run((s) => s.write(Buffer.from('HTTP/1.1 400 Bad Request\r\n\r\n')));
    expect(r.verdict).toBe('fail');
    expect(r.reason).toMatch(/^the target sent bytes that are not TLS records/);
  });

  it('a flood: fails fast and does not buffer forever', async () => {
    const { r, ms } = await run((s) => {
      const chunk = Buffer.alloc(64 * 1024, 0x17);
      const pump = () => {
        while (!s.destroyed && s.write(chunk));
        if (!s.destroyed) s.once('drain', pump);
      };
      pump();
    });
    expect(r.verdict).toBe('fail');
    expect(ms).toBeLessThan(6000);
  });

  it('a target that accepts and never connects (client role) fails within the limit', async () => {
    const target: Target = {
      name: 'lazy-client',
      capabilities: { ...REFERENCE_CAPABILITIES, roles: ['client'] },
      expectedFailures: [],
      async start() {},
      async connect(): Promise<TargetConnection> {
        throw new Error('not a server');
      },
      async launchClient() {},
      async stop() {},
    };
    const clientCase = { ...aCase, scenario: { ...aCase.scenario, target: 'client' as const } };
    const t0 = Date.now();
    const r = await runCase(clientCase, target, { timeoutMs: 1000 });
    expect(r.verdict).toBe('fail');
    expect(r.reason).toMatch(/did not connect/);
    expect(Date.now() - t0).toBeLessThan(6000);
  });
});
