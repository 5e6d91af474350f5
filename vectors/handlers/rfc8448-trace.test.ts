/**
 * The rfc8448-trace handler: every step of every RFC 8448 trace passes with our crypto code, and a wrong
 * value in the trace fails exactly the step that shows it (so the handler cannot pass vacuously).
 */
import { describe, expect, it } from 'vitest';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { rfc8448TraceHandler } from './rfc8448-trace.ts';
import { nobleProvider } from '../../implementations/reference/crypto/noble/index.ts';
import { Tls13RecordProtection } from '../../implementations/reference/crypto/record-protection.ts';
import { suiteParams } from '../../implementations/reference/crypto/suites.ts';
import { VECTORS_DIR, type TestOutcome, type VectorFileJson } from '../runner.ts';

interface Step {
  index: number;
  action: string;
  values: Record<string, string>;
}
interface Trace extends VectorFileJson {
  section: string;
  steps: Step[];
  records: { step: number; epoch: string }[];
  messages: { name: string; hex: string }[];
}

const DIR = join(VECTORS_DIR, 'rfc8448');
const FILES = readdirSync(DIR)
  .filter((f) => /^section\d-.*\.json$/.test(f))
  .sort();
const load = (f: string): Trace => JSON.parse(readFileSync(join(DIR, f), 'utf8')) as Trace;
const run = async (t: Trace): Promise<TestOutcome[]> => rfc8448TraceHandler.run(t, nobleProvider);

/** Flip the low bit of the middle octet of a hex value. */
function flip(h: string): string {
  const b = Buffer.from(h, 'hex');
  b[b.length >> 1] ^= 0x01;
  return b.toString('hex');
}

function failedIndices(out: TestOutcome[]): number[] {
  return out.flatMap((o, i) => (o.outcome === 'failed' ? [i] : []));
}

describe('rfc8448-trace handler', () => {
  it('finds the five section files', () => {
    expect(FILES).toHaveLength(5);
  });

  for (const f of FILES) {
    it(`${f}: one outcome per step, every step passes`, async () => {
      const t = load(f);
      const out = await run(t);
      expect(out).toHaveLength(t.numberOfTests);
      expect(out).toHaveLength(t.steps.length);
      expect(out.filter((o) => o.outcome !== 'passed')).toEqual([]);
      expect(new Set(out.map((o) => o.id)).size).toBe(out.length);
      out.forEach((o, i) => expect(o.id).toMatch(new RegExp(`^s${t.section}#${i} line \\d+: \\{(client|server)\\} `)));
    });
  }

  it('names the step and the label in a failure', async () => {
    const t = load('section3-simple-1rtt.json');
    const step = t.steps.find((s) => s.action === 'derive secret "tls13 c hs traffic"' && s.values.expanded)!;
    step.values.expanded = flip(step.values.expanded);
    const out = await run(t);
    expect(failedIndices(out)).toEqual([step.index]);
    expect(out[step.index].id).toContain('{server} derive secret "tls13 c hs traffic"');
    expect(out[step.index].reason).toMatch(/expanded/);
  });

  for (const f of FILES) {
    it(`${f}: a flipped "expanded" or "complete record" fails exactly its step`, async () => {
      const original = load(f);
      let mutations = 0;
      for (const s of original.steps) {
        for (const label of ['expanded', 'key expanded', 'iv expanded', 'complete record']) {
          if (!s.values[label]) continue;
          const t = structuredClone(original);
          t.steps[s.index].values[label] = flip(s.values[label]);
          const out = await run(t);
          expect({ step: s.index, label, failed: failedIndices(out) }).toEqual({ step: s.index, label, failed: [s.index] });
          expect(out[s.index].reason).toContain(label === 'complete record' ? 'complete record' : label);
          mutations++;
        }
      }
      expect(mutations).toBeGreaterThan(20);
    });
  }

  it('checks the transcript hash and the HkdfLabel, not just HKDF-Expand of the shown inputs', async () => {
    const t = load('section3-simple-1rtt.json');
    const step = t.steps.find((s) => s.action === 'derive secret "tls13 s ap traffic"' && s.values.hash)!;
    step.values.hash = flip(step.values.hash);
    const out = await run(t);
    expect(failedIndices(out)).toEqual([step.index]);
    expect(out[step.index].reason).toMatch(/hash \(Transcript-Hash\(ClientHello\.\.server Finished\)\)/);
  });

  it('section 5: the handshake secrets use message_hash(ClientHello1) (RFC 8446 4.4.1)', async () => {
    const t = load('section5-hello-retry-request.json');
    const step = t.steps.find((s) => s.action === 'derive secret "tls13 c hs traffic"' && s.values.hash)!;
    // The plain hash of the messages as sent is not what the trace uses: the substitution is really exercised.
    const upToServerHello = t.messages.slice(0, t.messages.findIndex((m) => m.name === 'ServerHello') + 1);
    const plain = nobleProvider.hash('sha256', Buffer.from(upToServerHello.map((m) => m.hex).join(''), 'hex'));
    expect(Buffer.from(plain).toString('hex')).not.toBe(step.values.hash);
    expect((await run(t))[step.index].outcome).toBe('passed');
  });

  it('tracks sequence numbers per direction and epoch: the second record under a key is not at sequence number 0', async () => {
    const t = load('section3-simple-1rtt.json');
    const keys = t.steps.find((s) => s.action === 'derive write traffic keys for application data' && s.values.PRK && s.index > 40)!;
    const alert = t.steps.find((s) => s.action === 'send alert record' && t.steps.indexOf(s) > keys.index)!;
    const atZero = new Tls13RecordProtection(
      nobleProvider,
      suiteParams('TLS_AES_128_GCM_SHA256')!,
      Buffer.from(keys.values['key expanded'], 'hex'),
      Buffer.from(keys.values['iv expanded'], 'hex'),
    ).encrypt(21, Buffer.from(alert.values.payload, 'hex')).bytes;
    expect(Buffer.from(atZero).toString('hex')).not.toBe(alert.values['complete record']);
    expect((await run(t))[alert.index].outcome).toBe('passed');
  });
});
