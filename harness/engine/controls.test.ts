/**
 * Positive controls (issue 8, part 2): a negative case counts only when the target completes the same
 * conversation without the fault; the control runs once per configuration in a run.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TLS12_CIPHER_SUITES } from '../../implementations/reference/connection/config.ts';
import type { ControlSpec, PeerConfig, ScenarioCase, Step } from '../scenario/model.ts';
import { ReferenceTarget } from '../targets/reference.ts';
import type { Target, TargetCaseContext, TargetConnection } from '../targets/types.ts';
import { ControlCache, controlKey } from './controls.ts';
import { runAll } from './run-all.ts';
import { runCase } from './run-case.ts';

const loc = { file: 'controls.yaml', line: 3, col: 5 };
const CONFIG: PeerConfig = { cipher_suites: ['TLS_AES_128_GCM_SHA256'], groups: ['x25519'] };

/** A TLS 1.3 negative case: a ClientHello with compression methods [1] must get illegal_parameter. */
function negative(id: string, config: PeerConfig = CONFIG, control?: ControlSpec, target: 'server' | 'client' = 'server'): ScenarioCase {
  const steps: Step[] =
    target === 'server'
      ? [
          { kind: 'send', message: 'ClientHello', set: { legacy_compression_methods: [1] }, mutate: [], record: {}, loc },
          { kind: 'expect', expect: { kind: 'alert', alerts: ['illegal_parameter'], lenient: true }, loc },
        ]
      : [
          { kind: 'expect', expect: { kind: 'messages', messages: [{ names: ['ClientHello'], optional: false, repeat: false, where: {} }] }, loc },
          { kind: 'send', message: 'ServerHello', set: { legacy_session_id_echo: { repeat: 32, byte: 0xa5 } }, mutate: [], record: {}, loc },
          { kind: 'expect', expect: { kind: 'alert', alerts: ['illegal_parameter'], lenient: false }, loc },
        ];
  const scenario = { id, title: id, rfc: { doc: 8446, section: '4.1.2', quote: 'q' }, target, versions: ['tls13' as const], tags: [], requires: {}, matrix: {}, config, steps, loc };
  return { id, scenario, params: {}, steps, config, requires: {}, ...(control !== undefined ? { control } : {}) };
}

/** A target that counts the connections made to it (and the client launches). */
function counting(inner: Target): Target & { connections: string[] } {
  const connections: string[] = [];
  return Object.assign(Object.create(inner) as Target, {
    connections,
    connect(ctx: TargetCaseContext): Promise<TargetConnection> {
      connections.push(ctx.caseId);
      return inner.connect(ctx);
    },
    launchClient(ctx: TargetCaseContext) {
      connections.push(ctx.caseId);
      return inner.launchClient!(ctx);
    },
  });
}

describe('the control cache', () => {
  it('runs a key once, also for concurrent callers, and records every case that used it', async () => {
    const cache = new ControlCache();
    let runs = 0;
    const run = async () => {
      runs++;
      await new Promise((r) => setTimeout(r, 20));
      return { verdict: 'pass' as const, durationMs: 20 };
    };
    const [a, b] = await Promise.all([cache.get('k', 'case-1', run), cache.get('k', 'case-2', run)]);
    await cache.get('k', 'case-3', run);
    await cache.get('other', 'case-4', async () => ({ verdict: 'fail' as const, reason: 'no', durationMs: 1 }));
    expect(runs).toBe(1);
    expect(a).toBe(b);
    expect(cache.results()).toEqual([
      { key: 'k', verdict: 'pass', durationMs: 20, cases: ['case-1', 'case-2', 'case-3'] },
      { key: 'other', verdict: 'fail', reason: 'no', durationMs: 1, cases: ['case-4'] },
    ]);
  });

  it('keys by target role and config, with keys in any order; control: false has none', () => {
    const k1 = controlKey(negative('a', { groups: ['x25519'], cipher_suites: ['TLS_AES_128_GCM_SHA256'] }));
    expect(k1).toBe(controlKey(negative('b')));
    expect(k1).toBe('server tls13 {"cipher_suites":["TLS_AES_128_GCM_SHA256"],"groups":["x25519"]}');
    expect(controlKey(negative('c', { ...CONFIG, alpn: ['x'] }, { config: CONFIG }))).toBe(k1);
    expect(controlKey(negative('d', CONFIG, undefined, 'client'))).toBe('client tls13 {"cipher_suites":["TLS_AES_128_GCM_SHA256"],"groups":["x25519"]}');
    expect(controlKey(negative('e', CONFIG, false))).toBeUndefined();
  });

  it('a case that expects no refusal (no alert, no close) has no control: a target that cannot complete it fails it', () => {
    const positive = negative('p');
    positive.steps = positive.steps.map((st) => (st.kind === 'expect' ? { ...st, expect: { kind: 'silence' as const, ms: 300 } } : st));
    expect(controlKey(positive)).toBeUndefined();
    const closing = negative('q');
    closing.steps = closing.steps.map((st) => (st.kind === 'expect' ? { ...st, expect: { kind: 'close' as const } } : st));
    expect(controlKey(closing)).toBe(controlKey(negative('b')));
  });
});

describe('positive controls against real endpoints', () => {
  const reference = new ReferenceTarget();
  // A TLS 1.2-only server: it refuses every TLS 1.3 ClientHello, so it "passes" TLS 1.3 negative cases.
  const tls12 = new ReferenceTarget({ server: { minVersion: 'TLSv1.2', maxVersion: 'TLSv1.2', cipherSuites: [...TLS12_CIPHER_SUITES] } });
  beforeAll(async () => {
    await reference.start();
    await tls12.start();
  });
  afterAll(async () => {
    await reference.stop();
    await tls12.stop();
  });
  const opts = { timeoutMs: 5000, expectTimeoutMs: 1500 };

  it('a TLS 1.2-only target: without controls the TLS 1.3 negative case passes leniently; with them it is skipped with the reason', async () => {
    const without = await runCase(negative('neg'), tls12, opts);
    expect(without.verdict).toBe('lenient'); // what the suite reported before controls
    const r = await runCase(negative('neg'), tls12, { ...opts, controls: new ControlCache() });
    expect(r.verdict).toBe('skip');
    expect(r.reason).toBe('the target does not complete the unmutated handshake: expected ServerHello or HelloRetryRequest, got alert protocol_version');
    expect(r.transcript[0]).toMatchObject({ dir: 'note', kind: 'control', name: expect.stringMatching(/^fail: server tls13 /) });
  });

  it('runs the control once for many cases of one config (counted connections), one per other config, none for control: false', async () => {
    const t = counting(reference);
    const cases = [negative('a'), negative('b'), negative('c'), negative('d', { ...CONFIG, groups: ['secp256r1'] }), negative('e', CONFIG, false)];
    const run = await runAll(cases, t, { ...opts, jobs: 4, runId: 't' });
    expect(run.cases.map((c) => c.verdict)).toEqual(['pass', 'pass', 'pass', 'pass', 'pass']);
    // 5 cases + 2 controls (cases a, b, c share one).
    expect(t.connections).toHaveLength(7);
    expect(t.connections.filter((id) => id.startsWith('control-'))).toHaveLength(2);
    expect(run.controls).toHaveLength(2);
    const shared = run.controls!.find((c) => c.cases.length === 3)!;
    expect(shared).toMatchObject({ verdict: 'pass', key: controlKey(cases[0]) });
    expect([...shared.cases].sort()).toEqual(['a', 'b', 'c']);
    expect(run.controls!.find((c) => c.cases.length === 1)).toMatchObject({ verdict: 'pass', cases: ['d'] });
    expect(run.cases.find((c) => c.id === 'e')!.transcript.some((e) => e.kind === 'control')).toBe(false);
  });

  it('--no-controls (controls: false) runs none', async () => {
    const t = counting(reference);
    const run = await runAll([negative('a'), negative('b')], t, { ...opts, jobs: 1, runId: 't', controls: false });
    expect(t.connections).toEqual(['a', 'b']);
    expect(run.controls).toBeUndefined();
  });

  it('a config that is itself the fault fails its control; control: { config } gives the control its own', async () => {
    const fault: PeerConfig = { ...CONFIG, alpn: ['unknown-protocol/9'] };
    const noOwn = await runCase(negative('alpn', fault), reference, { ...opts, controls: new ControlCache() });
    expect(noOwn.verdict).toBe('skip');
    expect(noOwn.reason).toMatch(/^the target does not complete the unmutated handshake: expected ServerHello or HelloRetryRequest, got alert no_application_protocol/);
    const own = await runCase(negative('alpn', fault, { config: CONFIG }), reference, { ...opts, controls: new ControlCache() });
    expect(own.verdict).not.toBe('skip');
  });

  it('the control adapts to a HelloRetryRequest (no key share offered) and to a client certificate request', async () => {
    const hrr = await runCase(negative('hrr', { ...CONFIG, groups: ['secp256r1'], key_share_groups: [] }), reference, { ...opts, controls: new ControlCache() });
    expect(hrr.verdict).toBe('pass');
    const auth = new ReferenceTarget({ server: { requestClientCert: true } });
    await auth.start();
    try {
      const cache = new ControlCache();
      const r = await runCase(negative('auth', { ...CONFIG, certificate: 'client' }), auth, { ...opts, controls: cache });
      expect(cache.results()[0]).toMatchObject({ verdict: 'pass' });
      expect(r.verdict).toBe('pass');
    } finally {
      await auth.stop();
    }
  });

  it('client role: the control is the harness as server, a full handshake with the target client', async () => {
    const cache = new ControlCache();
    const r = await runCase(negative('client', CONFIG, undefined, 'client'), reference, { ...opts, controls: cache });
    expect(cache.results()).toEqual([expect.objectContaining({ verdict: 'pass', key: expect.stringMatching(/^client tls13 /) })]);
    expect(r.verdict).toBe('pass');
    // With a CertificateRequest in the flight: the client answers with its (empty) Certificate, then Finished.
    const auth = new ControlCache();
    await runCase(negative('client-auth', { ...CONFIG, request_client_certificate: true }, undefined, 'client'), reference, { ...opts, controls: auth });
    expect(auth.results()).toEqual([expect.objectContaining({ verdict: 'pass' })]);
  });

  it('client role: a client whose first ClientHello has no usable key share does not have the cases\' conversation', async () => {
    const noShares = new ReferenceTarget({ client: { keyShareGroups: [] } });
    await noShares.start();
    try {
      const r = await runCase(negative('client', CONFIG, undefined, 'client'), noShares, { ...opts, controls: new ControlCache() });
      expect(r.verdict).toBe('skip');
      expect(r.reason).toBe("the target does not complete the unmutated handshake: the ClientHello has no key share the harness can use (none), so the cases' ServerHello cannot follow it");
    } finally {
      await noShares.stop();
    }
  });

  it('a control config the target lacks a capability for skips its cases, naming it', async () => {
    const r = await runCase(negative('mlkem', CONFIG, { config: { groups: ['X25519MLKEM768'] } }), reference, { ...opts, controls: new ControlCache() });
    expect(r.verdict).toBe('skip');
    expect(r.reason).toBe('the target does not complete the unmutated handshake: the control needs what the target lacks: the target supports none of the groups X25519MLKEM768');
  });

  it('a control that cannot connect makes its cases errors, not skips', async () => {
    const broken: Target = { ...reference, name: 'nowhere', capabilities: reference.capabilities, expectedFailures: [], start: async () => {}, stop: async () => {}, connect: async () => Promise.reject(Object.assign(new Error('refused'), { code: 'ECONNREFUSED' })) };
    const r = await runCase(negative('x'), broken, { ...opts, controls: new ControlCache() });
    expect(r.verdict).toBe('error');
    expect(r.reason).toBe('the control handshake could not run: cannot connect to the target: ECONNREFUSED');
  });
});
