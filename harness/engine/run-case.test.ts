import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Expectation, MutateOp, PeerConfig, ScenarioCase, Step } from '../scenario/model.ts';
import { ReferenceTarget } from '../targets/reference.ts';
import { runCase } from './run-case.ts';

const loc = { file: 'test.yaml', line: 1, col: 1 };
const send = (message: string, extra: { set?: Record<string, unknown>; mutate?: MutateOp[]; record?: object } = {}): Step => ({
  kind: 'send',
  message,
  set: (extra.set ?? {}) as Record<string, never>,
  mutate: extra.mutate ?? [],
  record: extra.record ?? {},
  loc,
});
const expectMsgs = (...names: string[]): Step => ({
  kind: 'expect',
  expect: { kind: 'messages', messages: names.map((n) => ({ names: [n], optional: false, repeat: false, where: {} })) },
  loc,
});
const expectStep = (e: Expectation): Step => ({ kind: 'expect', expect: e, loc });

function makeCase(target: 'server' | 'client', steps: Step[], config: PeerConfig = {}): ScenarioCase {
  const scenario = {
    id: 'test-case',
    title: 'test',
    rfc: { doc: 8446, section: '4.4.4', quote: 'q' },
    target,
    versions: ['tls13' as const],
    tags: [],
    requires: {},
    matrix: {},
    config,
    steps,
    loc,
  };
  return { id: 'test-case', scenario, params: {}, steps, config, requires: {} };
}

const SERVER_FLIGHT = ['ServerHello', 'EncryptedExtensions', 'Certificate', 'CertificateVerify', 'Finished'];

describe('runCase against the reference target', () => {
  const target = new ReferenceTarget();
  beforeAll(() => target.start());
  afterAll(() => target.stop());
  const opts = { timeoutMs: 5000, expectTimeoutMs: 1500 };

  it('a full TLS 1.3 handshake passes, and the transcript shows both sides', async () => {
    const r = await runCase(
      makeCase('server', [send('ClientHello'), expectMsgs(...SERVER_FLIGHT), send('Finished'), expectStep({ kind: 'handshake_complete' }), expectStep({ kind: 'silence', ms: 200 })]),
      target,
      opts,
    );
    expect(r.reason).toBeUndefined();
    expect(r.verdict).toBe('pass');
    expect(r.transcript.filter((t) => t.dir === 'received' && t.kind === 'handshake').map((t) => t.name)).toEqual(expect.arrayContaining(SERVER_FLIGHT));
    expect(r.transcript.find((t) => t.dir === 'sent')?.wire).toMatch(/^16030100/);
  });

  for (const suite of ['TLS_AES_128_GCM_SHA256', 'TLS_AES_256_GCM_SHA384', 'TLS_CHACHA20_POLY1305_SHA256']) {
    it(`a Finished with a flipped bit gets decrypt_error (${suite})`, async () => {
      const r = await runCase(
        makeCase('server', [send('ClientHello'), expectMsgs(...SERVER_FLIGHT), send('Finished', { mutate: [{ op: 'xor', pos: { at: 4 }, value: 1 }] }), expectStep({ kind: 'alert', alerts: ['decrypt_error'], lenient: false }), expectStep({ kind: 'close' })], {
          cipher_suites: [suite],
        }),
        target,
        opts,
      );
      expect(r.reason).toBeUndefined();
      expect(r.verdict).toBe('pass');
    });
  }

  it('set and mutate reach the wire: compression methods [1] get illegal_parameter', async () => {
    const r = await runCase(makeCase('server', [send('ClientHello', { set: { legacy_compression_methods: [1] } }), expectStep({ kind: 'alert', alerts: ['illegal_parameter'], lenient: false })]), target, opts);
    expect(r.verdict).toBe('pass');
  });

  it('a HelloRetryRequest round: key share for x25519 only, target wants secp256r1', async () => {
    const t2 = new ReferenceTarget({ server: { groups: [0x17] } });
    await t2.start();
    try {
      const r = await runCase(
        makeCase('server', [send('ClientHello'), expectMsgs('HelloRetryRequest'), send('ClientHello'), expectMsgs(...SERVER_FLIGHT), send('Finished'), expectStep({ kind: 'silence', ms: 100 })], {
          groups: ['x25519', 'secp256r1'],
          key_share_groups: ['x25519'],
        }),
        t2,
        opts,
      );
      expect(r.reason).toBeUndefined();
      expect(r.verdict).toBe('pass');
    } finally {
      await t2.stop();
    }
  });

  it('resumption on a second connection: the ticket from the first, a PSK handshake on the second', async () => {
    const r = await runCase(
      makeCase('server', [
        send('ClientHello'),
        expectMsgs(...SERVER_FLIGHT),
        send('Finished'),
        expectStep({ kind: 'messages', messages: [{ names: ['NewSessionTicket'], optional: false, repeat: true, where: {} }] }),
        { kind: 'reconnect', resume: true, loc },
        send('ClientHello'),
        { kind: 'expect', expect: { kind: 'messages', messages: [{ names: ['ServerHello'], optional: false, repeat: false, where: { 'extensions.pre_shared_key.selected_identity': 0 } }] }, loc },
        expectMsgs('EncryptedExtensions', 'Finished'),
        send('Finished'),
        expectStep({ kind: 'silence', ms: 100 }),
      ]),
      target,
      opts,
    );
    expect(r.reason).toBeUndefined();
    expect(r.verdict).toBe('pass');
  });

  it('an expectation the target does not meet fails, with expected and observed', async () => {
    const r = await runCase(makeCase('server', [send('ClientHello'), expectMsgs(...SERVER_FLIGHT), send('Finished'), expectStep({ kind: 'alert', alerts: ['decrypt_error'], lenient: true })]), target, {
      ...opts,
      expectTimeoutMs: 300,
    });
    expect(r.verdict).toBe('fail');
    expect(r.expected).toBe('alert decrypt_error');
    expect(r.observed).toMatch(/nothing within 300 ms/);
  });

  it('a different alert is a lenient pass when the step allows it', async () => {
    const r = await runCase(
      makeCase('server', [send('ClientHello', { set: { legacy_compression_methods: [1] } }), expectStep({ kind: 'alert', alerts: ['decode_error'], lenient: true })]),
      target,
      opts,
    );
    expect(r.verdict).toBe('lenient');
    expect(r.reason).toMatch(/expected alert decode_error, got alert illegal_parameter/);
  });

  it('a scenario mistake is verdict error, not a crash', async () => {
    const r = await runCase(makeCase('server', [send('ClientHello', { set: { cipher_suitez: [1] } })]), target, opts);
    expect(r.verdict).toBe('error');
    expect(r.reason).toMatch(/did you mean 'cipher_suites'/);
  });

  it('the reference client as target: the harness plays the server', async () => {
    const r = await runCase(
      makeCase('client', [expectMsgs('ClientHello'), ...['ServerHello', 'EncryptedExtensions', 'Certificate', 'CertificateVerify', 'Finished'].map((m) => send(m)), expectMsgs('Finished'), expectStep({ kind: 'handshake_complete' })]),
      target,
      opts,
    );
    expect(r.reason).toBeUndefined();
    expect(r.verdict).toBe('pass');
  });

  it('the reference client rejects a bad server Finished with decrypt_error', async () => {
    const r = await runCase(
      makeCase('client', [
        expectMsgs('ClientHello'),
        ...['ServerHello', 'EncryptedExtensions', 'Certificate', 'CertificateVerify'].map((m) => send(m)),
        send('Finished', { mutate: [{ op: 'xor', pos: { at: -1 }, value: 0x80 }] }),
        expectStep({ kind: 'alert', alerts: ['decrypt_error'], lenient: false }),
      ]),
      target,
      opts,
    );
    expect(r.reason).toBeUndefined();
    expect(r.verdict).toBe('pass');
  });
});
