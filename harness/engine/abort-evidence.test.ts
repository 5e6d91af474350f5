/**
 * Abort evidence (issue 8, part 3), against scripted targets: tiny TCP servers built from the harness's own
 * scripted server (ServerPeer13, on the codec and the reference's key schedule), each misbehaving in one
 * way. An alert after the target's own flight is still that alert; a record that does not decrypt is a
 * failure with the explanation; a reset while the harness writes is what the target did, not an error.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Socket } from 'node:net';
import { AlertDescription, AlertLevel, ContentType } from '../../implementations/reference/codec/enums.ts';
import type { RequirementLevel, ScenarioCase, Step } from '../scenario/model.ts';
import type { Target } from '../targets/types.ts';
import { encodeForWire } from './mutate.ts';
import { ServerPeer13 } from './peer13.ts';
import { peerConfig, runCase } from './run-case.ts';
import { resetMayHideAlert, runAll } from './run-all.ts';
import { expectAlert, expectMessages, scriptedServer, sendStep, testCase } from './testing.ts';

const loc = { file: 'evidence.yaml', line: 7, col: 5 };
const send = (message: string): Step => sendStep(message, {}, loc);
const expectMsgs = (...names: string[]): Step => expectMessages(names, loc);
const alert = (name: string, lenient = false): Step => expectAlert(name, lenient, loc);
const makeCase = (steps: Step[], level?: RequirementLevel, config = {}): ScenarioCase => testCase(steps, { id: 'evidence', level, config, loc });

/** What a scripted server does once it has the client's first ClientHello. */
type Script = (peer: ServerPeer13, sock: Socket) => void;

/** A TCP server that reads the ClientHello with a ServerPeer13, then runs the script. */
function scriptedTarget(script: Script): Promise<Target> {
  return scriptedServer((s) => {
    const peer = new ServerPeer13(peerConfig({}, 'server'));
    let done = false;
    s.on('data', (d: Buffer) => {
      if (done) return;
      const obs = peer.ingest(new Uint8Array(d));
      if (obs.some((o) => o.kind === 'handshake' && o.name === 'ClientHello')) {
        done = true;
        script(peer, s);
      }
    });
  });
}

/** The server sends these messages of its flight, each built from the live state. */
function flight(peer: ServerPeer13, names: string[], set: Record<string, Record<string, never>> = {}): void {
  for (const name of names) {
    const msg = peer.build(name);
    if (set[name]) Object.assign(msg, set[name]);
    const { wire } = encodeForWire(msg, []);
    peer.rl.send(ContentType.handshake, wire);
    peer.commit(msg, wire);
  }
}

function sendAlert(peer: ServerPeer13, sock: Socket, description: number): void {
  peer.rl.send(ContentType.alert, Uint8Array.of(AlertLevel.fatal, description));
  sock.write(peer.rl.takeOutput());
  sock.end();
}

describe('abort evidence against scripted targets', () => {
  let target: Target | undefined;
  afterEach(async () => {
    await target?.stop();
    target = undefined;
  });
  const run = async (script: Script, steps: Step[], level?: 'must' | 'should' | 'may', config = {}) => {
    target = await scriptedTarget(script);
    return runCase(makeCase(steps, level, config), target, { timeoutMs: 4000, expectTimeoutMs: 1000 });
  };

  it('an alert after the target\'s ServerHello is that alert: the expectation passes, the ServerHello is noted', async () => {
    const r = await run((peer, s) => {
      flight(peer, ['ServerHello']);
      sendAlert(peer, s, AlertDescription.illegal_parameter); // under the server handshake keys
    }, [send('ClientHello'), alert('illegal_parameter')]);
    expect(r.reason).toBeUndefined();
    expect(r.verdict).toBe('pass');
    expect(r.transcript.find((t) => t.kind === 'skipped')?.name).toMatch(/^ServerHello: the target's own flight/);
    expect(r.transcript.find((t) => t.dir === 'received' && t.kind === 'alert')).toMatchObject({ name: 'illegal_parameter', epoch: 'handshake' });
  });

  it('an alert after the target\'s Finished is that alert too', async () => {
    const r = await run((peer, s) => {
      flight(peer, ['ServerHello', 'EncryptedExtensions', 'Certificate', 'CertificateVerify', 'Finished']);
      sendAlert(peer, s, AlertDescription.decode_error); // under the server application keys
    }, [send('ClientHello'), alert('decode_error')]);
    expect(r.verdict).toBe('pass');
    expect(r.transcript.filter((t) => t.kind === 'skipped')).toHaveLength(5);
  });

  it('a flight with no alert at all fails, naming what came before the silence', async () => {
    const r = await run((peer, s) => {
      flight(peer, ['ServerHello', 'EncryptedExtensions', 'Certificate', 'CertificateVerify', 'Finished']);
      s.write(peer.rl.takeOutput());
    }, [send('ClientHello'), alert('decode_error')]);
    expect(r.verdict).toBe('fail');
    expect(r.observed).toBe('ServerHello, EncryptedExtensions, Certificate, CertificateVerify, Finished, then nothing within 1000 ms');
  });

  it('a message of the flight that breaks a rule fails with the rule, even while an alert was expected', async () => {
    const r = await run((peer, s) => {
      // A ServerHello that does not echo the client's legacy_session_id (RFC 8446 4.1.3), then the alert.
      flight(peer, ['ServerHello'], { ServerHello: { legacy_session_id_echo: new Uint8Array(32).fill(7) } as never });
      sendAlert(peer, s, AlertDescription.illegal_parameter);
    }, [send('ClientHello'), alert('illegal_parameter')], 'may', { middlebox_compat: true });
    expect(r.verdict).toBe('fail'); // a rule broken stays a failure, whatever the scenario's level
    expect(r.reason).toBe("ServerHello breaks RFC 8446 4.1.3: ServerHello.legacy_session_id_echo does not match the ClientHello's legacy_session_id (a conforming peer aborts with illegal_parameter)");
  });

  it('a record that does not decrypt after the ServerHello fails with the explanation, never a plain close', async () => {
    const r = await run((peer, s) => {
      flight(peer, ['ServerHello']);
      s.write(peer.rl.takeOutput());
      // An application_data record of 40 bytes that no key of the conversation protects.
      s.write(Buffer.concat([Buffer.from('1703030028', 'hex'), Buffer.alloc(40, 0x5a)]));
      s.end();
    }, [send('ClientHello'), alert('illegal_parameter', true)]);
    expect(r.verdict).toBe('fail');
    expect(r.reason).toMatch(/^the target sent a record the harness cannot decrypt: it derived different keys, so it accepted the ClientHello of step 1 \(evidence\.yaml:7:5\) and went on with keys of its own/);
    expect(r.step?.index).toBe(1);
  });

  it('an undecryptable record is a failure in a may-level scenario too (evidence, not an advisory)', async () => {
    const r = await run((peer, s) => {
      flight(peer, ['ServerHello']);
      s.write(peer.rl.takeOutput());
      s.write(Buffer.concat([Buffer.from('1703030028', 'hex'), Buffer.alloc(40, 0x5a)]));
    }, [send('ClientHello'), expectMsgs('ServerHello', 'EncryptedExtensions')], 'may');
    expect(r.verdict).toBe('fail');
    expect(r.reason).toMatch(/cannot decrypt/);
  });

  it('the scenario\'s own expectation not met in a may-level scenario is an advisory, with the same reason', async () => {
    const r = await run((peer, s) => {
      flight(peer, ['ServerHello']);
      sendAlert(peer, s, AlertDescription.handshake_failure);
    }, [send('ClientHello'), alert('illegal_parameter')], 'may');
    expect(r.verdict).toBe('advisory');
    expect(r.reason).toBe('expected alert illegal_parameter, got ServerHello, then alert handshake_failure');
    expect(r.expected).toBe('alert illegal_parameter');
  });

  it('bytes that are not TLS records fail as such', async () => {
    const r = await run((_peer, s) => s.end('HTTP/1.1 400 Bad Request\r\n\r\n'), [send('ClientHello'), alert('illegal_parameter', true)]);
    expect(r.verdict).toBe('fail');
    expect(r.reason).toBe('the target sent bytes that are not TLS records: an HTTP response ("HTTP/1.1 400 Bad Request")');
  });

  it('a flight goes out in one write: a target that aborts on its first message and closes with the rest unread still shows its alert', async () => {
    target = await scriptedTarget((peer, s) => {
      peer.rl.send(ContentType.alert, Uint8Array.of(AlertLevel.fatal, AlertDescription.illegal_parameter));
      s.write(peer.rl.takeOutput());
      s.destroy();
    });
    const extra: Step = { kind: 'send_raw', layer: 'tcp', hex: '16'.repeat(4000), loc };
    let writes = -1;
    const r = await runCase(makeCase([send('ClientHello'), extra, extra, alert('illegal_parameter')]), target, {
      timeoutMs: 4000,
      expectTimeoutMs: 1000,
      capture: (c) => (writes = c.segments.filter((g) => g.from === 'client').length),
    });
    expect(r.verdict).toBe('pass');
    expect(writes).toBe(1);
  });

  describe('a target that resets while the harness writes', () => {
    const resetting: Script = (_peer, s) => s.resetAndDestroy();
    // Writes of 16 KiB each, in flight while the reset arrives (or after it: both are the target's doing). The
    // zero waits make them separate writes (consecutive sends are one flight, one write).
    const big: Step = { kind: 'send_raw', layer: 'tcp', hex: '16'.repeat(16384), loc };
    const now: Step = { kind: 'wait', ms: 0, loc };
    const racing: Step[] = [send('ClientHello'), big, now, big, now, big, now, big];
    const after: Step[] = [send('ClientHello'), { kind: 'wait', ms: 200, loc }, big];

    for (const [name, writes] of [['while', racing], ['after', after]] as const) {
      // A reset is no plain close (lenient where an alert was expected): it discards any alert in flight and
      // cannot be told from a crash. Whichever the harness learns of first (its write refused, or the read).
      it(`an alert expectation fails, naming the reset, not an error (writes ${name} the reset)`, async () => {
        const r = await run(resetting, [...writes, alert('illegal_parameter', true)]);
        expect(r.verdict).toBe('fail');
        expect(r.reason).toBe('expected alert illegal_parameter, got the target reset the connection');
      });

      it(`a positive expectation fails, naming the reset (writes ${name} the reset)`, async () => {
        const r = await run(resetting, [...writes, expectMsgs('ServerHello')]);
        expect(r.verdict).toBe('fail');
        expect(r.observed).toBe('the target reset the connection');
        expect(r.transcript.some((t) => t.kind === 'close')).toBe(true);
      });
    }

    it('a write after the reset is noted as not delivered', async () => {
      const r = await run(resetting, [...after, alert('illegal_parameter', true)]);
      expect(r.transcript.find((t) => t.kind === 'write_error')?.name).toMatch(/^not delivered: the target reset the connection/);
    });

    it('runAll runs such a case once more: the second run is reported, with the first run\'s reason', async () => {
      // The first connection resets while the harness writes; the second answers with the alert.
      let connections = 0;
      target = await scriptedTarget((peer, s) => {
        if (++connections === 1) s.resetAndDestroy();
        else sendAlert(peer, s, AlertDescription.illegal_parameter);
      });
      const c = makeCase([...after, alert('illegal_parameter')]);
      expect(resetMayHideAlert(await runCase(c, target, { timeoutMs: 4000, expectTimeoutMs: 1000 }))).toBe(true);
      connections = 0;
      const r = (await runAll([c], target, { jobs: 1, runId: 'retry', timeoutMs: 4000, expectTimeoutMs: 1000, controls: false })).cases[0];
      expect(connections).toBe(2);
      expect(r.verdict).toBe('pass');
      expect(r.retried).toBe('expected alert illegal_parameter, got the target reset the connection');
    });

    it('a reset read with no write of the harness refused is a close without an alert: lenient where the alert may be missing', async () => {
      const r = await run(resetting, [send('ClientHello'), alert('illegal_parameter', true)]);
      expect(r.verdict).toBe('lenient');
      expect(r.reason).toBe('expected alert illegal_parameter, got the target reset the connection');
      expect(r.transcript.some((t) => t.kind === 'write_error')).toBe(false);
      // lenient: false still fails it, as it fails a plain close.
      expect((await run(resetting, [send('ClientHello'), alert('illegal_parameter')])).verdict).toBe('fail');
    });

    it('a reset with no refused write (the target reset before the harness wrote again) is not run again', async () => {
      let connections = 0;
      target = await scriptedTarget((_peer, s) => {
        connections++;
        s.resetAndDestroy();
      });
      const r = (await runAll([makeCase([send('ClientHello'), alert('illegal_parameter')])], target, { jobs: 1, runId: 'retry', timeoutMs: 4000, expectTimeoutMs: 1000, controls: false })).cases[0];
      expect(r.verdict).toBe('fail');
      expect(r.retried).toBeUndefined();
      expect(connections).toBe(1);
    });
  });
});
