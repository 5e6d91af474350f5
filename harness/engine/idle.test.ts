/**
 * Waits that end when the target is provably idle (IdleSignal, harness/targets/types.ts): the embedded
 * reference proves it, so its cases do not wait out the grace for optional messages, `silence`, `wait` or a
 * control's "nothing bad comes back"; a target without the signal keeps the timed waits.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Socket } from 'node:net';
import type { ScenarioCase, Step } from '../scenario/model.ts';
import { ReferenceTarget } from '../targets/reference.ts';
import type { IdleSignal, Target, TargetConnection } from '../targets/types.ts';
import { ControlCache } from './controls.ts';
import { runCase } from './run-case.ts';
import { SERVER_FLIGHT, TEST_LOC, expectAlert, expectMessages, expectStep, scriptedServer, sendStep, testCase } from './testing.ts';

const loc = TEST_LOC;
/** Long waits, so a case that ends well before them shows that the idle signal ended them. */
const opts = { timeoutMs: 5000, expectTimeoutMs: 900, optionalGraceMs: 900 };
const idleNotes = (r: { transcript: { kind: string }[] }) => r.transcript.filter((e) => e.kind === 'idle').length;

describe('against the reference, waits end when it is idle', () => {
  const target = new ReferenceTarget();
  beforeAll(() => target.start());
  afterAll(() => target.stop());

  it('server: the repeated NewSessionTicket, `silence` and `wait` end at once, and pass', async () => {
    const steps: Step[] = [
      sendStep('ClientHello'),
      expectMessages(SERVER_FLIGHT),
      sendStep('Finished'),
      expectStep({ kind: 'messages', messages: [{ names: ['NewSessionTicket'], optional: false, repeat: true, where: {} }] }),
      { kind: 'wait', ms: 900, loc },
      expectStep({ kind: 'silence', ms: 900 }),
    ];
    const r = await runCase(testCase(steps), target, opts);
    expect(r.reason).toBeUndefined();
    expect(r.verdict).toBe('pass');
    // The grace after the tickets, the wait and the silence: three waits, each ended by the signal.
    expect(idleNotes(r)).toBe(3);
    expect(r.durationMs).toBeLessThan(900);
  });

  it('client: the silence after the reference client completed its handshake passes at once', async () => {
    const steps: Step[] = [
      expectMessages(['ClientHello']),
      ...SERVER_FLIGHT.map((m) => sendStep(m)),
      expectMessages(['Finished']),
      expectStep({ kind: 'silence', ms: 900 }),
    ];
    const r = await runCase(testCase(steps, { target: 'client' }), target, opts);
    expect(r.reason).toBeUndefined();
    expect(r.verdict).toBe('pass');
    expect(idleNotes(r)).toBe(1);
    expect(r.durationMs).toBeLessThan(900);
  });

  it('a message the idle reference will not send fails at once, saying why nothing came', async () => {
    const r = await runCase(testCase([sendStep('ClientHello'), expectMessages(SERVER_FLIGHT), expectMessages(['NewSessionTicket'])]), target, opts);
    expect(r.verdict).toBe('fail');
    expect(r.reason).toBe('expected NewSessionTicket, got nothing (the target was idle, waiting for input)');
    expect(r.observed).toBe('nothing (the target was idle, waiting for input)');
    expect(r.durationMs).toBeLessThan(900);
  });

  it("a control's wait after the handshake ends at once too", async () => {
    const negative = testCase([sendStep('ClientHello', { set: { legacy_compression_methods: [1] } }), expectAlert('illegal_parameter')], { config: { groups: ['x25519'] } });
    const controls = new ControlCache();
    const r = await runCase(negative, target, { ...opts, controls });
    expect(r.verdict).toBe('pass');
    const [ctl] = controls.results();
    expect(ctl.verdict).toBe('pass');
    expect(ctl.durationMs).toBeLessThan(900);
  });
});

/** A scripted server target whose connections carry the idle signal a test gives (for the one connection it makes). */
async function withSignal(onConnection: (s: Socket) => void, signal: (harnessEnd: Socket) => IdleSignal): Promise<Target & { stop(): Promise<void> }> {
  const t = await scriptedServer(onConnection, 'signalled');
  return Object.assign(Object.create(t) as Target, {
    stop: () => t.stop(),
    async connect(ctx: Parameters<Target['connect']>[0]): Promise<TargetConnection> {
      const c = await t.connect(ctx);
      return { ...c, idle: signal(c.stream as Socket) };
    },
  });
}

/** A signal the test drives: idle while `idle` says so; `changed()` tells the engine to ask again. */
function drivenSignal(idle: () => boolean): IdleSignal & { changed(): void } {
  const fns = new Set<() => void>();
  return {
    idle,
    onChange(fn) {
      fns.add(fn);
      return () => fns.delete(fn);
    },
    changed() {
      for (const fn of fns) fn();
    },
  };
}

describe('a target with an idle signal, scripted', () => {
  const aCase: ScenarioCase = testCase([sendStep('ClientHello'), expectAlert('handshake_failure')], { id: 'scripted-idle' });

  it('a server that takes the ClientHello and says nothing, and is idle: the expectation fails once it is, not after its wait', async () => {
    let consumed = 0;
    let sig: ReturnType<typeof drivenSignal> | undefined;
    const target = await withSignal(
      (s) =>
        s.on('data', (d: Buffer) => {
          consumed += d.length;
          sig!.changed();
        }),
      (h) => (sig = drivenSignal(() => consumed === h.bytesWritten)),
    );
    try {
      const r = await runCase(aCase, target, opts);
      expect(r.verdict).toBe('fail');
      expect(r.observed).toBe('nothing (the target was idle, waiting for input)');
      expect(r.durationMs).toBeLessThan(900);
    } finally {
      await target.stop();
    }
  });

  it('a server that is busy (not idle) is waited for: its late alert is what the case sees', async () => {
    let answered = false;
    let sig: ReturnType<typeof drivenSignal> | undefined;
    const alert = Buffer.from('15030300020228', 'hex'); // fatal handshake_failure
    const target = await withSignal(
      (s) =>
        s.once('data', () =>
          setTimeout(() => {
            s.write(alert);
            answered = true;
            sig!.changed();
          }, 150),
        ),
      // Honest: not idle until its answer is written and has come out of the harness's end.
      (h) => (sig = drivenSignal(() => answered && h.bytesRead - h.readableLength === alert.length)),
    );
    try {
      const r = await runCase(aCase, target, opts);
      expect(r.reason).toBeUndefined();
      expect(r.verdict).toBe('pass');
      expect(idleNotes(r)).toBe(0);
    } finally {
      await target.stop();
    }
  });

  it('without a signal, the same silent server is waited out: "nothing within"', async () => {
    const target = await scriptedServer(() => undefined, 'silent');
    try {
      const r = await runCase(aCase, target, { ...opts, expectTimeoutMs: 300 });
      expect(r.verdict).toBe('fail');
      expect(r.observed).toBe('nothing within 300 ms');
      expect(r.durationMs).toBeGreaterThanOrEqual(295);
    } finally {
      await target.stop();
    }
  });
});
