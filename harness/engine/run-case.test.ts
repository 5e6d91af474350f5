import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PeerConfig, ScenarioCase, Step } from '../scenario/model.ts';
import { ReferenceTarget } from '../targets/reference.ts';
import { runCase } from './run-case.ts';
import { SERVER_FLIGHT, TEST_LOC, expectMessages, expectStep, sendStep, testCase } from './testing.ts';

const loc = TEST_LOC;
const send = sendStep;
const expectMsgs = (...names: string[]): Step => expectMessages(names);
const makeCase = (target: 'server' | 'client', steps: Step[], config: PeerConfig = {}): ScenarioCase => testCase(steps, { target, config, section: '4.4.4' });

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
    // The transcript says what the step changed (the HTML report highlights it), and the case its target's role.
    expect(r.transcript.find((e) => e.dir === 'sent' && e.name === 'ClientHello')?.changed).toEqual(['legacy_compression_methods']);
    expect(r.targetRole).toBe('server');
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
      expectTimeoutMs: 1000,
    });
    expect(r.verdict).toBe('fail');
    expect(r.expected).toBe('alert decrypt_error');
    // The reference proves it is idle (IdleSignal): the wait ends then, and the text says so, not "within 1000 ms".
    expect(r.observed).toBe('nothing (the target was idle, waiting for input)');
    const idle = r.transcript.find((e) => e.kind === 'idle');
    expect(idle).toMatchObject({ dir: 'note', name: 'the target is idle, waiting for input' });
    expect((idle?.detail as { left_ms: number }).left_ms).toBeGreaterThan(0);
    expect(r.durationMs).toBeLessThan(1000);
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

  it('live-state references: set and where values read what the target chose, in the same connection', async () => {
    const t2 = new ReferenceTarget({ server: { groups: [0x17, 0x1d] } });
    await t2.start();
    try {
      const where = (w: Record<string, string>) => ({ names: [] as string[], optional: false, repeat: false, where: w });
      const r = await runCase(
        makeCase('server', [
          send('ClientHello'),
          // Which group the server asks for is its choice: read it, do not assume it.
          expectStep({ kind: 'messages', messages: [{ ...where({ cipher_suite: '${client_hello.cipher_suites[0]}', 'extensions.key_share.selected_group': '${client_hello.extensions.supported_groups.named_group_list[1]}' }), names: ['HelloRetryRequest'] }] }),
          send('ClientHello', { set: { 'extensions.key_share.client_shares[0].group': '${hello_retry_request.extensions.key_share.selected_group}' } }),
          expectStep({
            kind: 'messages',
            messages: [
              { ...where({ 'extensions.key_share.server_share.group': '${client_hello.key_share[0].group}', cipher_suite: '${negotiated.cipher_suite}', 'extensions.supported_versions.selected_version': '${negotiated.version}' }), names: ['ServerHello'] },
              { ...where({}), names: ['EncryptedExtensions'] },
              { ...where({}), names: ['Certificate'] },
              { ...where({}), names: ['CertificateVerify'] },
              { ...where({}), names: ['Finished'] },
            ],
          }),
          send('Finished'),
          expectStep({ kind: 'silence', ms: 100 }),
        ], { groups: ['x25519', 'secp256r1'], key_share_groups: [] }),
        t2,
        opts,
      );
      expect(r.reason).toBeUndefined();
      expect(r.verdict).toBe('pass');
      expect(r.transcript.find((e) => e.dir === 'received' && e.name === 'ServerHello')?.detail).toMatchObject({ extensions: expect.arrayContaining([expect.objectContaining({ server_share: expect.objectContaining({ group: 'secp256r1' }) })]) });
    } finally {
      await t2.stop();
    }
  });

  it('a live reference whose value does not match fails the where; one the state lacks is an error naming the step', async () => {
    const wrong = await runCase(
      makeCase('server', [send('ClientHello'), expectStep({ kind: 'messages', messages: [{ names: ['ServerHello'], optional: false, repeat: false, where: { cipher_suite: '${client_hello.cipher_suites[1]}' } }] })], {
        cipher_suites: ['TLS_AES_128_GCM_SHA256', 'TLS_AES_256_GCM_SHA384'],
      }),
      target,
      opts,
    );
    expect(wrong.verdict).toBe('fail');
    expect(wrong.reason).toBe('ServerHello: cipher_suite is "TLS_AES_128_GCM_SHA256", expected "TLS_AES_256_GCM_SHA384"');
    const missing = await runCase(makeCase('server', [send('ClientHello', { set: { random: '${server_hello.random}' } })]), target, opts);
    expect(missing.verdict).toBe('error');
    expect(missing.reason).toBe('scenario: ${server_hello.random}: no ServerHello seen yet in this connection (step 1, test.yaml:1:1)');
    expect(missing.step?.index).toBe(0);
    const noField = await runCase(makeCase('server', [send('ClientHello'), expectStep({ kind: 'messages', messages: [{ names: ['ServerHello'], optional: false, repeat: false, where: { random: '${client_hello.nonce}' } }] })]), target, opts);
    expect(noField.verdict).toBe('error');
    expect(noField.reason).toBe("scenario: ${client_hello.nonce}: the ClientHello has no 'nonce' (step 2, test.yaml:1:1)");
    expect(noField.step?.index).toBe(1);
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

  it("a change to an extension of the harness's answer that the client did not offer is a skip; one it offered is an error", async () => {
    const answer = (type: string) =>
      makeCase('client', [expectMsgs('ClientHello'), send('ServerHello', { mutate: [{ op: 'remove_extension', type }] }), expectStep({ kind: 'silence', ms: 100 })]);
    // The reference client offers no heartbeat: the ServerHello has none to remove.
    const skip = await runCase(answer('heartbeat'), target, opts);
    expect(skip.verdict).toBe('skip');
    expect(skip.reason).toMatch(/the target's ClientHello has no heartbeat extension/);
    // It offers server_name, which a TLS 1.3 ServerHello never carries: the scenario's mistake.
    const error = await runCase(answer('server_name'), target, opts);
    expect(error.verdict).toBe('error');
    expect(error.reason).toMatch(/remove_extension: the message has no server_name extension/);
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

describe('rec14: application_data record { max_fragment }, and the versions of the target protected records', () => {
  const target = new ReferenceTarget();
  beforeAll(() => target.start());
  afterAll(() => target.stop());
  const opts = { timeoutMs: 5000, expectTimeoutMs: 1500 };
  const handshake: Step[] = [send('ClientHello'), expectMsgs(...SERVER_FLIGHT), send('Finished'), expectStep({ kind: 'silence', ms: 100 })];
  const appData = (data: Uint8Array, max_fragment: number): Step => ({ kind: 'send_application_data', data, record: { max_fragment }, loc });

  it('max_fragment splits the data over records of at most that many bytes; the reference reads them all (no alert)', async () => {
    const data = new TextEncoder().encode('GET / HTTP/1.0\r\n\r\n');
    const r = await runCase(makeCase('server', [...handshake, appData(data, 5), expectStep({ kind: 'silence', ms: 200 })]), target, opts);
    expect(r.reason).toBeUndefined();
    expect(r.verdict).toBe('pass');
    const sent = r.transcript.find((t) => t.dir === 'sent' && t.kind === 'application_data');
    // 18 bytes in records of 5, 5, 5 and 3: each 5 + content + 1 (type) + 16 (tag) bytes on the wire.
    const wire = Buffer.from(sent!.wire!.replace(/[^0-9a-f]/g, ''), 'hex');
    const lengths: number[] = [];
    for (let i = 0; i < wire.length; i += 5 + wire.readUInt16BE(i + 3)) lengths.push(wire.readUInt16BE(i + 3));
    expect(lengths).toEqual([22, 22, 22, 20]);
  });

  it('a max_fragment above 2^14 sends one record that is too long on purpose: record_overflow (RFC 8446 5.1)', async () => {
    const r = await runCase(
      makeCase('server', [...handshake, appData(new Uint8Array(16385).fill(0x41), 16385), expectStep({ kind: 'alert', alerts: ['record_overflow'], lenient: false })]),
      target,
      opts,
    );
    expect(r.reason).toBeUndefined();
    expect(r.verdict).toBe('pass');
  });

  const recordLengths = (hex: string) => {
    const wire = Buffer.from(hex.replace(/[^0-9a-f]/g, ''), 'hex');
    const out: number[] = [];
    for (let i = 0; i < wire.length; i += 5 + wire.readUInt16BE(i + 3)) out.push(wire.readUInt16BE(i + 3));
    return out;
  };

  it('record { padding }: zero padding in a protected Finished and in application data; the reference strips it (RFC 8446 5.4)', async () => {
    const data = new TextEncoder().encode('GET / HTTP/1.0\r\n\r\n');
    const r = await runCase(
      makeCase('server', [
        send('ClientHello'),
        expectMsgs(...SERVER_FLIGHT),
        send('Finished', { record: { padding: 100 } }),
        expectStep({ kind: 'silence', ms: 100 }),
        { kind: 'send_application_data', data, record: { padding: 16384 }, loc },
        expectStep({ kind: 'silence', ms: 200 }),
      ]),
      target,
      opts,
    );
    expect(r.reason).toBeUndefined();
    expect(r.verdict).toBe('pass');
    const sent = r.transcript.filter((t) => t.dir === 'sent' && (t.kind === 'application_data' || t.name === 'Finished'));
    // Finished: 36 bytes + 1 (type) + 100 (padding) + 16 (tag); the data: padding capped at TLSInnerPlaintext 2^14 + 1, + 16.
    expect(sent.map((t) => recordLengths(t.wire!))).toEqual([[153], [16401]]);
  });

  it('record { padding } on a TLS 1.2 record is a scenario error', async () => {
    const c = makeCase('server', [send('ClientHello', { record: { padding: 1 } })]);
    c.scenario.versions = ['tls12'];
    const r = await runCase(c, target, opts);
    expect(r.verdict).toBe('error');
    expect(r.reason).toMatch(/record.padding: TLS 1.3 records only/);
  });

  it('a TLS 1.3 ServerHello in a record of version 0x0301 fails the case with RFC 8446 5.1; in 0x0303 it passes', async () => {
    const { scriptedServer } = await import('./testing.ts');
    // ServerHello: 0x0303, random, empty session id echo, TLS_AES_128_GCM_SHA256, null compression,
    // supported_versions 0x0304, key_share x25519 (32 bytes).
    const body = '0303' + '11'.repeat(32) + '00' + '1301' + '00' + '002e' + '002b00020304' + '00330024001d0020' + '09'.repeat(32);
    const hs = '02' + (body.length / 2).toString(16).padStart(6, '0') + body;
    const recordOf = (version: string) => Buffer.from('16' + version + (hs.length / 2).toString(16).padStart(4, '0') + hs, 'hex');
    for (const [version, bad] of [['0301', true], ['0303', false]] as const) {
      const srv = await scriptedServer((s) => s.once('data', () => s.write(recordOf(version))));
      try {
        const r = await runCase(makeCase('server', [send('ClientHello'), expectMsgs('ServerHello'), expectStep({ kind: 'silence', ms: 100 })]), srv, { timeoutMs: 3000, expectTimeoutMs: 1000 });
        expect(r.verdict).toBe(bad ? 'fail' : 'pass');
        const versionReason = /RFC 8446 5\.1: handshake record 1 of the target's \(ServerHello or HelloRetryRequest\) has legacy_record_version 0x0301, not 0x0303/;
        if (bad) expect(r.reason).toMatch(versionReason);
        else expect(r.reason).toBeUndefined();
      } finally {
        await srv.stop();
      }
    }
  });

  it('a TLS 1.3 target whose protected record has legacy_record_version 0x0301 fails the case with RFC 8446 5.1', async () => {
    const { scriptedServer } = await import('./testing.ts');
    const bad = await scriptedServer((s) => s.once('data', () => s.write(Uint8Array.from([0x17, 0x03, 0x01, 0x00, 0x03, 1, 2, 3]))));
    try {
      const r = await runCase(makeCase('server', [send('ClientHello'), expectMsgs('ServerHello')]), bad, { timeoutMs: 3000, expectTimeoutMs: 1000 });
      expect(r.verdict).toBe('fail');
      expect(r.reason).toMatch(/RFC 8446 5\.1: a protected record \(record 1 of the target's\) with legacy_record_version 0x0301, not 0x0303/);
    } finally {
      await bad.stop();
    }
  });
});
