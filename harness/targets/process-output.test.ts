/**
 * A process target's output during a case goes into the case's result (`targetOutput`): the client's, or
 * the server's, stdout and stderr, the last 8 KiB of each. The programs here are small node scripts.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { ScenarioCase, Step } from '../scenario/model.ts';
import { runCase } from '../engine/run-case.ts';
import { REFERENCE_CAPABILITIES } from './reference.ts';
import { OUTPUT_LIMIT, ProcessTarget, type ProcessTargetOptions } from './process.ts';
import { liveProcessCount } from './processes.ts';

const loc = { file: 'output.yaml', line: 1, col: 1 };

function aCase(id: string, target: 'server' | 'client', steps: Step[]): ScenarioCase {
  const scenario = { id, title: id, rfc: { doc: 8446, section: '4.1.2', quote: 'q' }, target, versions: ['tls13' as const], tags: [], requires: {}, matrix: {}, config: {}, steps, loc };
  return { id, scenario, params: {}, steps, config: {}, requires: {} };
}

// A "client" that writes 20 KiB of lines, says where it is on stderr, and sends bytes that are not TLS.
const CLIENT = `
const net = require('node:net');
console.log('client starting');
for (let i = 0; i < 400; i++) console.log('line ' + i + ' ' + 'x'.repeat(40));
console.log('client last line');
const s = net.connect(Number(process.argv[2]), process.argv[1], () => {
  console.error('client connected to ' + process.argv[1]);
  s.write('hello, not TLS\\r\\n');
});
s.on('error', () => {});
setTimeout(() => process.exit(0), 30000);
`;

// A "server" that logs each connection on stderr and answers with an HTTP error (a while later, so that its
// line has long arrived when the case ends); with an argument, it serves one connection and exits.
const SERVER = `
const net = require('node:net');
let n = 0;
const srv = net.createServer((s) => {
  n++;
  console.error('accepted connection ' + n);
  s.on('data', () => setTimeout(() => s.end('HTTP/1.0 400 Bad Request\\r\\n\\r\\n'), 150));
  s.on('error', () => {});
  if (process.argv[2] === 'once') {
    console.log('no more connections');
    srv.close();
  }
}).listen(Number(process.argv[1]), '127.0.0.1', () => console.log('READY'));
`;

describe('process targets keep the output of a case', () => {
  const targets: ProcessTarget[] = [];
  const make = (o: Partial<ProcessTargetOptions>) => {
    const caps = { ...REFERENCE_CAPABILITIES, concurrent: false };
    const t = new ProcessTarget({ name: 'script', capabilities: caps, expectedFailures: [], certificate: 'p256', stop_grace_ms: 500, ...o });
    targets.push(t);
    return t;
  };
  afterEach(async () => {
    await Promise.all(targets.splice(0).map((t) => t.stop()));
    expect(liveProcessCount()).toBe(0);
  });

  it('client role: the client process\'s stdout and stderr, the last 8 KiB of each', async () => {
    const t = make({ client: { command: ['node', '-e', CLIENT, '{host}', '{port}'], stdin: 'keep', timeout_ms: 20000 } });
    const r = await runCase(aCase('client-out', 'client', [{ kind: 'expect', expect: { kind: 'messages', messages: [{ names: ['ClientHello'], optional: false, repeat: false, where: {} }] }, loc }]), t, {
      timeoutMs: 20000,
      expectTimeoutMs: 10000,
    });
    expect(r.verdict).toBe('fail');
    expect(r.reason).toMatch(/^the target sent bytes that are not TLS records/);
    const out = r.targetOutput!;
    expect(out.source).toMatch(/^script client \(pid \d+\)$/);
    expect(out.stderr).toBe('client connected to 127.0.0.1\n');
    expect(out.stdout.startsWith('[earlier output dropped]\nline ')).toBe(true);
    expect(out.stdout.endsWith('line 399 ' + 'x'.repeat(40) + '\nclient last line\n')).toBe(true);
    expect(Buffer.byteLength(out.stdout)).toBeLessThanOrEqual(OUTPUT_LIMIT + '[earlier output dropped]\n'.length);
    expect(out.stdout).not.toContain('client starting');
  });

  it('server role, a server per case: all it wrote, to its last line', async () => {
    const t = make({ server: { command: ['node', '-e', SERVER, '{port}', 'once'], ready: { stdout: 'READY', timeout_ms: 10000 }, per_case: true } });
    await t.start(new AbortController().signal);
    const steps: Step[] = [
      { kind: 'send', message: 'ClientHello', set: {}, mutate: [], record: {}, loc },
      { kind: 'expect', expect: { kind: 'alert', alerts: ['illegal_parameter'], lenient: true }, loc },
    ];
    const a = await runCase(aCase('per-case-a', 'server', steps), t, { timeoutMs: 20000, expectTimeoutMs: 10000 });
    expect(a.verdict).toBe('fail');
    expect(a.targetOutput).toEqual({ source: expect.stringMatching(/^script server \(pid \d+\)$/), stdout: 'READY\nno more connections\n', stderr: 'accepted connection 1\n' });
  });

  it('server role, the run\'s server: the lines written during the case, each case its own', async () => {
    const t = make({ server: { command: ['node', '-e', SERVER, '{port}'], ready: { stdout: 'READY', timeout_ms: 10000 }, per_case: false } });
    await t.start(new AbortController().signal);
    const steps: Step[] = [
      { kind: 'send', message: 'ClientHello', set: {}, mutate: [], record: {}, loc },
      { kind: 'expect', expect: { kind: 'alert', alerts: ['illegal_parameter'], lenient: true }, loc },
    ];
    const a = await runCase(aCase('server-a', 'server', steps), t, { timeoutMs: 20000, expectTimeoutMs: 10000 });
    const b = await runCase(aCase('server-b', 'server', steps), t, { timeoutMs: 20000, expectTimeoutMs: 10000 });
    expect(a.verdict).toBe('fail');
    expect(a.targetOutput).toMatchObject({ source: expect.stringMatching(/^script server \(pid \d+\)$/), stdout: '', stderr: 'accepted connection 1\n' });
    expect(b.targetOutput?.stderr).toBe('accepted connection 2\n');
  });
});
