/**
 * Hostile targets (README, "Reliability"): a flood of handshake records, a flood of ChangeCipherSpec
 * records, random bytes, a reset on every connection. Each ends in the same verdict every time, within the
 * case's time limit, with a bounded transcript; a run of real suite scenarios against each writes a
 * bounded report.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createServer, type Server } from 'node:net';
import type { ScenarioCase } from '../scenario/model.ts';
import { expandAll, loadScenariosOrThrow } from '../scenario/loader.ts';
import { TcpTarget } from '../targets/tcp.ts';
import { REFERENCE_CAPABILITIES } from '../targets/reference.ts';
import { startHostileServer, type HostileMode, type HostileServer } from '../testing/hostile-server.ts';
import { runCase } from './run-case.ts';
import { runAll } from './run-all.ts';
import { BoundedTranscript, LIMITS, capDetail, dump } from './limits.ts';
import { Wire } from './wire.ts';
import { expectAlert, expectMessages, sendStep, testCase } from './testing.ts';
import { PARTIAL_FILE, createReportWriter, readReport, toReportCase } from '../report/index.ts';
import { reportCaseJson } from '../report/json.ts';
import type { CaseResult } from './result.ts';

const alertCase = testCase([sendStep('ClientHello'), expectAlert('illegal_parameter', true)], { id: 'hostile-alert' });
const helloCase = testCase([sendStep('ClientHello'), expectMessages(['ServerHello', 'EncryptedExtensions'])], { id: 'hostile-hello' });

let server: HostileServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function hostile(mode: HostileMode, bytes?: number): Promise<TcpTarget> {
  server = await startHostileServer(mode, { bytes });
  return new TcpTarget({ host: '127.0.0.1', port: server.port, capabilities: REFERENCE_CAPABILITIES, probe: false, probeCapabilities: false });
}

/** The serialized size of a case as report.json holds it. */
const caseBytes = (r: CaseResult) => Buffer.byteLength(reportCaseJson(toReportCase(r)));
/** The most a case's transcript can serialize to: every entry at its caps, plus the fixed fields. */
const CASE_BOUND = (LIMITS.transcriptHead + LIMITS.transcriptTail + 1) * (4 * LIMITS.dumpBytes + LIMITS.detailChars + 512) + 16 * 1024;

describe('limits.ts: what a case records', () => {
  it('a transcript keeps its first and last entries and counts the ones between', () => {
    const t = new BoundedTranscript(3, 2);
    for (let i = 0; i < 10; i++) t.push({ t: i, dir: 'received', kind: i % 2 ? 'alert' : 'change_cipher_spec', name: `e${i}` });
    const e = t.entries();
    expect(e.map((x) => x.name).filter((n) => n.startsWith('e'))).toEqual(['e0', 'e1', 'e2', 'e8', 'e9']);
    expect(e[3]).toMatchObject({ dir: 'note', kind: 'omitted', detail: { count: 5, kinds: { 'received alert': 3, 'received change_cipher_spec': 2 }, fromMs: 3, toMs: 7 } });
    expect(t.total).toBe(10);
    expect(t.last()?.name).toBe('e9');
  });

  it('identical received entries in a row are one entry with a count; anything with content, or sent, is not merged', () => {
    const t = new BoundedTranscript(3, 2);
    for (let i = 0; i < 1000; i++) t.push({ t: i, dir: 'received', kind: 'change_cipher_spec', name: 'ChangeCipherSpec', epoch: 'plaintext' });
    t.push({ t: 1000, dir: 'received', kind: 'change_cipher_spec', name: 'ChangeCipherSpec', epoch: 'handshake' });
    t.push({ t: 1001, dir: 'received', kind: 'record', name: 'unreadable', wire: '00' });
    t.push({ t: 1002, dir: 'received', kind: 'record', name: 'unreadable', wire: '00' });
    t.push({ t: 1003, dir: 'sent', kind: 'raw', name: 'x' });
    t.push({ t: 1004, dir: 'sent', kind: 'raw', name: 'x' });
    const e = t.entries();
    expect(e[0]).toMatchObject({ t: 0, kind: 'change_cipher_spec', epoch: 'plaintext', repeat: 1000, lastT: 999 });
    expect(e[1].repeat).toBeUndefined();
    expect(e.filter((x) => x.kind !== 'omitted')).toHaveLength(5);
    expect(t.total).toBe(6);
  });

  it('dumps and decoded fields are cut, saying how long they were', () => {
    expect(dump(new Uint8Array(10))).toEqual({ wire: '00'.repeat(10) });
    const d = dump(new Uint8Array(LIMITS.dumpBytes + 5));
    expect(d.wire).toHaveLength(2 * LIMITS.dumpBytes);
    expect(d.wireLength).toBe(LIMITS.dumpBytes + 5);
    const t = new BoundedTranscript();
    t.push({ t: 0, dir: 'sent', kind: 'raw', name: 'x', wire: 'ab'.repeat(10_000), detail: { big: 'x'.repeat(100_000) } });
    const [e] = t.entries();
    expect(e.wire).toHaveLength(2 * LIMITS.dumpBytes);
    expect(e.wireLength).toBe(10_000);
    expect(e.detail).toMatchObject({ chars: 100_010 });
    expect(capDetail({ small: 1 })).toEqual({ small: 1 });
  });

  it('a connection buffers at most about LIMITS.wireBuffer unread, and reads at most LIMITS.readChunk at once', async () => {
    const srv: Server = createServer((s) => {
      s.on('error', () => undefined);
      s.write(Buffer.alloc(4 * 1024 * 1024, 0x16));
    });
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
    const port = (srv.address() as { port: number }).port;
    const target = new TcpTarget({ host: '127.0.0.1', port, capabilities: REFERENCE_CAPABILITIES, probe: false, probeCapabilities: false });
    const { stream } = await target.connect({ caseId: 'w', signal: new AbortController().signal });
    const wire = new Wire(stream);
    await new Promise((r) => setTimeout(r, 300)); // the server writes 4 MiB; the wire stops reading
    const buffered = (wire as unknown as { buffered: number }).buffered;
    expect(buffered).toBeLessThan(LIMITS.wireBuffer + 256 * 1024);
    let total = 0;
    for (let i = 0; i < 64 && total < 4 * 1024 * 1024; i++) {
      const r = await wire.read(Date.now() + 1000);
      if (r.kind !== 'data') break;
      expect(r.bytes.length).toBeLessThanOrEqual(LIMITS.readChunk);
      total += r.bytes.length;
    }
    expect(total).toBeGreaterThan(LIMITS.wireBuffer); // reading resumed the socket
    wire.destroy();
    await target.stop();
    await new Promise((r) => srv.close(r));
  });
});

describe('hostile targets: one case', () => {
  it('flood: past LIMITS.stallBytes the case fails, with a bounded transcript', async () => {
    const target = await hostile('flood', 4 * LIMITS.stallBytes);
    for (const c of [helloCase, alertCase]) {
      const r = await runCase(c, target, { timeoutMs: 5000, expectTimeoutMs: 3000 });
      expect(r.verdict).toBe('fail');
      expect(r.reason).toMatch(/^the target sent \d+ bytes \(\d+ records: no complete message\) without the conversation moving on \(the harness's limit: 1048576 bytes\)$/);
      expect(caseBytes(r)).toBeLessThan(CASE_BOUND);
    }
    await target.stop();
  });

  it('CCS flood: the case ends by the stall limit, and its transcript counts the records on one entry', async () => {
    const target = await hostile('ccs');
    const r = await runCase(alertCase, target, { timeoutMs: 5000, expectTimeoutMs: 3000 });
    expect(r.verdict).toBe('fail');
    const m = /^the target sent \d+ bytes \((\d+) records: (\d+) change cipher spec\) without the conversation moving on/.exec(r.reason ?? '');
    expect(m, r.reason).not.toBeNull();
    // One entry for the whole run of identical records, with their count and the time of the last.
    const ccs = r.transcript.filter((e) => e.kind === 'change_cipher_spec');
    expect(ccs).toHaveLength(1);
    expect(ccs[0].repeat).toBe(Number(m![2]));
    expect(ccs[0].lastT).toBeGreaterThanOrEqual(ccs[0].t);
    expect(r.transcript.length).toBeLessThan(10);
    expect(caseBytes(r)).toBeLessThan(CASE_BOUND);
    await target.stop();
  });

  it('a slow CCS stream: the case time limit holds (500 ms limit, done well within 3 s)', async () => {
    // One ChangeCipherSpec every 2 ms: never the stall limit, always something to read.
    const srv: Server = createServer((s) => {
      s.on('error', () => undefined);
      s.once('data', () => {
        const t = setInterval(() => (s.destroyed ? clearInterval(t) : s.write(Buffer.from([20, 3, 3, 0, 1, 1]))), 2);
        s.on('close', () => clearInterval(t));
      });
    });
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
    const target = new TcpTarget({ host: '127.0.0.1', port: (srv.address() as { port: number }).port, capabilities: REFERENCE_CAPABILITIES, probe: false, probeCapabilities: false });
    const t0 = Date.now();
    const r = await runCase(alertCase, target, { timeoutMs: 500, expectTimeoutMs: 3000 });
    const ms = Date.now() - t0;
    expect(r.verdict).toBe('fail');
    expect(r.reason).toMatch(/^the case did not finish within 500 ms: the target kept sending/);
    expect(ms).toBeLessThan(3000);
    await target.stop();
    await new Promise((r) => srv.close(r));
  });

  it('Ctrl-C during a CCS flood ends the case at once ("interrupted")', async () => {
    const target = await hostile('ccs');
    const ac = new AbortController();
    // A stall limit the flood would take long to reach is not needed: the abort comes first.
    const p = runCase(testCase([sendStep('ClientHello'), { kind: 'wait', ms: 5000, loc: { file: 't', line: 1, col: 1 } }]), target, { timeoutMs: 10_000, signal: ac.signal });
    await new Promise((r) => setTimeout(r, 50));
    const t0 = Date.now();
    ac.abort();
    const r = await p;
    expect(r.reason).toBe('interrupted');
    expect(Date.now() - t0).toBeLessThan(1000);
    await target.stop();
  });

  it('garbage: random bytes are never a plain close, on any of 12 connections (each different)', async () => {
    const target = await hostile('garbage');
    for (let i = 0; i < 12; i++) {
      const r = await runCase(alertCase, target, { timeoutMs: 2000, expectTimeoutMs: 1000 });
      expect(r.verdict, r.reason).toBe('fail');
      expect(r.reason).toMatch(/^the target sent bytes that are not TLS records: /);
    }
    await target.stop();
  });

  it('garbage that stops inside a record, then a close: not TLS, not a plain close', async () => {
    const srv: Server = createServer((s) => {
      s.on('error', () => undefined);
      s.once('data', () => s.end(Buffer.from('1703030100abcdef', 'hex')));
    });
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
    const target = new TcpTarget({ host: '127.0.0.1', port: (srv.address() as { port: number }).port, capabilities: REFERENCE_CAPABILITIES, probe: false, probeCapabilities: false });
    const r = await runCase(alertCase, target, { timeoutMs: 2000, expectTimeoutMs: 1000 });
    expect(r.verdict).toBe('fail');
    expect(r.reason).toBe('the target sent bytes that are not TLS records: the connection closed inside a record (a record 253 bytes short of the length its header gives)');
    await target.stop();
    await new Promise((r) => srv.close(r));
  });

  it('reset: the same verdict and reason on every connection, never an error', async () => {
    const target = await hostile('reset');
    const seen = new Set<string>();
    for (let i = 0; i < 12; i++) {
      for (const c of [alertCase, helloCase]) {
        const r = await runCase(c, target, { timeoutMs: 2000, expectTimeoutMs: 1000 });
        seen.add(`${c.id} ${r.verdict} ${r.reason}`);
      }
    }
    expect([...seen].sort()).toEqual([
      'hostile-alert fail expected alert illegal_parameter, got the target reset the connection',
      'hostile-hello fail expected ServerHello, got the target reset the connection',
    ]);
    await target.stop();
  });
});

describe('hostile targets: real suite scenarios, with the report', () => {
  const SCENARIOS = fileURLToPath(new URL('../../scenarios/server/tls13/', import.meta.url));
  let cases: ScenarioCase[] = [];
  const pick = () => {
    if (cases.length) return cases;
    const all = expandAll(loadScenariosOrThrow([SCENARIOS]).scenarios);
    // A handful: the first cases of different scenarios.
    const seen = new Set<string>();
    cases = all.filter((c) => !seen.has(c.scenario.id) && seen.add(c.scenario.id)).slice(0, 6);
    return cases;
  };

  for (const mode of ['flood', 'ccs', 'garbage', 'reset'] as const) {
    it(`${mode}: every case fails, within its time limit, and the report stays bounded`, async () => {
      const target = await hostile(mode, 3 * LIMITS.stallBytes);
      const dir = mkdtempSync(join(tmpdir(), `hostile-${mode}-`));
      const writer = createReportWriter(dir, { minIntervalMs: 0 });
      const t0 = Date.now();
      const run = await runAll(pick(), target, {
        jobs: 1,
        runId: mode,
        timeoutMs: 1000,
        expectTimeoutMs: 1000,
        controls: false,
        onCase: (r) => {
          writer.add(r);
          writer.update(() => ({ ...runShape(mode), cases: [r] }));
        },
      });
      const ms = Date.now() - t0;
      writer.flush(run);
      expect(run.cases).toHaveLength(cases.length);
      for (const c of run.cases) {
        expect(c.verdict, `${c.id}: ${c.reason}`).toMatch(/^(fail|advisory)$/);
        expect(c.durationMs).toBeLessThan(1000 + 2000);
        expect(caseBytes(c)).toBeLessThan(CASE_BOUND);
        if (mode === 'garbage') expect(c.reason).toMatch(/^the target sent bytes that are not TLS records/);
        if (mode === 'reset') expect(c.reason).toMatch(/the target reset the connection$/);
        if (mode === 'flood') expect(c.reason).toMatch(/without the conversation moving on/);
      }
      expect(ms).toBeLessThan(cases.length * (1000 + 2000));
      const report = readReport(join(dir, 'report.json'));
      expect(report.cases).toHaveLength(cases.length);
      expect(statSync(join(dir, 'report.json')).size).toBeLessThan(cases.length * CASE_BOUND);
      expect(readdirSync(dir)).not.toContain(PARTIAL_FILE);
      expect(readFileSync(join(dir, 'report.json'), 'utf8')).not.toContain('"t": -');
      await target.stop();
    }, 30_000);
  }
});

function runShape(mode: string) {
  const now = new Date().toISOString();
  return { runId: mode, target: mode, startedAt: now, finishedAt: now, interrupted: false, summary: { total: 0, passed: 0, lenient: 0, advisory: 0, failed: 0, errors: 0, skipped: 0, expectedFailures: 0, unexpectedPasses: 0 } };
}
