/**
 * The harness's peer checks what a target sends through the same module as the reference endpoints
 * (implementations/reference/connection/checks13.ts), against what the harness really sent. Here the targets
 * are scripted: a few lines of TCP on 127.0.0.1 that answer with messages built with the codec, each breaking
 * one rule. The scenario is always about something else (a plain full handshake), and the case must still
 * fail citing the rule broken.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { connect, type Socket } from 'node:net';
import { CipherSuite, ContentType, NamedGroup, ProtocolVersion } from '../../implementations/reference/codec/enums.ts';
import { decodeHandshakeBody, encodeHandshake, type ClientHello, type HandshakeMessage } from '../../implementations/reference/codec/handshake.ts';
import type { Extension } from '../../implementations/reference/codec/extensions.ts';
import { encodeRecord } from '../../implementations/reference/codec/record.ts';
import { nobleProvider } from '../../implementations/reference/crypto/noble/index.ts';
import { buildClientHello } from '../../implementations/reference/connection/builders13.ts';
import { testClientConfig } from '../../implementations/reference/connection/testing.ts';
import type { ScenarioCase, Step } from '../scenario/model.ts';
import type { Target, TargetConnection } from '../targets/types.ts';
import { REFERENCE_CAPABILITIES } from '../targets/reference.ts';
import { runCase } from './run-case.ts';
import { SERVER_FLIGHT, expectMessages, scriptedServer, sendStep, testCase } from './testing.ts';

const loc = { file: 'peer-checks.yaml', line: 1, col: 1 };
const expectMsgs = (...names: string[]): Step => expectMessages(names, loc);

/** A plain full handshake against a server, as any scenario about something else would start. */
function fullHandshake(target: 'server' | 'client', config: ScenarioCase['config'] = {}, set: Record<string, unknown> = {}): ScenarioCase {
  const steps: Step[] =
    target === 'server'
      ? [sendStep('ClientHello', { set }, loc), expectMsgs(...SERVER_FLIGHT)]
      : [expectMsgs('ClientHello'), ...SERVER_FLIGHT.map((m) => sendStep(m, {}, loc)), expectMsgs('Finished')];
  return testCase(steps, { id: 'plain-handshake', target, config, section: '2', loc });
}

/** Plaintext handshake records carrying these messages. */
function records(...msgs: HandshakeMessage[]): Uint8Array {
  const parts = msgs.map((m) => encodeRecord({ type: ContentType.handshake, legacy_record_version: ProtocolVersion.TLS1_2, fragment: encodeHandshake(m) }));
  return Buffer.concat(parts);
}

/** Read the first handshake message (a ClientHello) from the plaintext records on a socket. */
function onClientHello(s: Socket, answer: (ch: ClientHello) => Uint8Array): void {
  let buf = Buffer.alloc(0);
  const onData = (d: Buffer) => {
    buf = Buffer.concat([buf, d]);
    if (buf.length < 5) return;
    const len = buf.readUInt16BE(3);
    if (buf.length < 5 + len) return;
    s.off('data', onData);
    const hs = buf.subarray(5, 5 + len);
    const ch = decodeHandshakeBody(hs[0], hs.subarray(4, 4 + hs.readUIntBE(1, 3)), { version: 'tls13' }) as ClientHello;
    s.write(answer(ch));
  };
  s.on('data', onData);
}

const x25519Share = () => nobleProvider.keyExchange('x25519').generate().publicKey;

/** A ServerHello that answers `ch` correctly (x25519, the first offered suite); tests then break one thing. */
function serverHello(ch: ClientHello, extra: Partial<Extract<HandshakeMessage, { msg_type: 'server_hello' }>> = {}): HandshakeMessage {
  return {
    msg_type: 'server_hello',
    legacy_version: ProtocolVersion.TLS1_2,
    random: new Uint8Array(32).fill(7),
    legacy_session_id_echo: ch.legacy_session_id,
    cipher_suite: ch.cipher_suites[0],
    legacy_compression_method: 0,
    extensions: [
      { type: 'key_share', server_share: { group: NamedGroup.x25519, key_exchange: x25519Share() } },
      { type: 'supported_versions', selected_version: ProtocolVersion.TLS1_3 },
    ],
    ...extra,
  };
}

function helloRetryRequest(ch: ClientHello, extra: Partial<Extract<HandshakeMessage, { msg_type: 'hello_retry_request' }>> = {}): HandshakeMessage {
  return {
    msg_type: 'hello_retry_request',
    legacy_version: ProtocolVersion.TLS1_2,
    legacy_session_id_echo: ch.legacy_session_id,
    cipher_suite: ch.cipher_suites[0],
    legacy_compression_method: 0,
    extensions: [
      { type: 'key_share', selected_group: NamedGroup.secp256r1 },
      { type: 'supported_versions', selected_version: ProtocolVersion.TLS1_3 },
    ],
    ...extra,
  };
}

/** A scripted client: connects to the harness's listener and sends these bytes. */
function scriptedClient(bytes: () => Uint8Array): Target {
  const sockets = new Set<Socket>();
  return {
    name: 'scripted-client',
    capabilities: { ...REFERENCE_CAPABILITIES, roles: ['client'] },
    expectedFailures: [],
    async start() {},
    async connect(): Promise<TargetConnection> {
      throw new Error('client only');
    },
    async launchClient(ctx) {
      const s = connect({ host: ctx.listen!.host, port: ctx.listen!.port });
      sockets.add(s);
      s.on('error', () => undefined);
      s.once('connect', () => s.write(bytes()));
    },
    async stop() {
      for (const s of sockets) s.destroy();
    },
  };
}

describe('the peer fails a scripted server that breaks a rule, whatever the scenario was about', () => {
  let target: Target | undefined;
  afterEach(async () => {
    await target?.stop();
    target = undefined;
  });
  const run = async (answer: (ch: ClientHello) => Uint8Array, config: ScenarioCase['config'] = {}, set: Record<string, unknown> = {}) => {
    target = await scriptedServer((s) => onClientHello(s, answer));
    return runCase(fullHandshake('server', config, set), target, { timeoutMs: 4000, expectTimeoutMs: 1500 });
  };

  it('a HelloRetryRequest whose legacy_session_id_echo is not the ClientHello legacy_session_id: RFC 8446 4.1.3', async () => {
    const r = await run((ch) => records(helloRetryRequest(ch, { legacy_session_id_echo: new Uint8Array(32).fill(0x11) })));
    expect(r.verdict).toBe('fail');
    expect(r.reason).toMatch(/^HelloRetryRequest breaks RFC 8446 4\.1\.3: HelloRetryRequest\.legacy_session_id_echo does not match/);
    expect(r.reason).toMatch(/illegal_parameter/);
    expect(r.transcript.some((t) => t.kind === 'violation' && t.name.startsWith('RFC 8446 4.1.3'))).toBe(true);
  });

  it('the same HelloRetryRequest with the right echo is not a violation (the case fails only on the missing ServerHello)', async () => {
    const r = await run((ch) => records(helloRetryRequest(ch)));
    expect(r.verdict).toBe('fail');
    expect(r.reason).toMatch(/^expected ServerHello, got HelloRetryRequest/);
  });

  it('a ServerHello choosing a cipher suite the ClientHello did not offer: RFC 8446 4.1.3', async () => {
    const r = await run((ch) => records(serverHello(ch, { cipher_suite: CipherSuite.TLS_AES_256_GCM_SHA384 })), { cipher_suites: ['TLS_AES_128_GCM_SHA256'] });
    expect(r.verdict).toBe('fail');
    expect(r.reason).toMatch(/^ServerHello breaks RFC 8446 4\.1\.3: ServerHello chose cipher suite TLS_AES_256_GCM_SHA384, not offered/);
  });

  it('a ServerHello with an extension RFC 8446 4.2 does not allow there (server_name, which the client did offer): RFC 8446 4.2', async () => {
    const r = await run((ch) => {
      const sh = serverHello(ch) as Extract<HandshakeMessage, { msg_type: 'server_hello' }>;
      sh.extensions = [{ type: 'server_name' } as Extension, ...sh.extensions!];
      return records(sh);
    });
    expect(r.verdict).toBe('fail');
    expect(r.reason).toMatch(/^ServerHello breaks RFC 8446 4\.2: server_name is not allowed in ServerHello \(a conforming peer aborts with illegal_parameter\)/);
  });

  it('a HelloRetryRequest selecting a group the ClientHello already has a key share for: RFC 8446 4.2.8', async () => {
    const r = await run((ch) => records(helloRetryRequest(ch, { extensions: [{ type: 'key_share', selected_group: NamedGroup.x25519 }, { type: 'supported_versions', selected_version: ProtocolVersion.TLS1_3 }] })));
    expect(r.verdict).toBe('fail');
    expect(r.reason).toMatch(/^HelloRetryRequest breaks RFC 8446 4\.2\.8: HelloRetryRequest selected group x25519, for which the ClientHello already has a key share/);
  });

  it('a ServerHello with a key share for a group the client shared nothing for: RFC 8446 4.2.8', async () => {
    const r = await run((ch) => {
      const sh = serverHello(ch) as Extract<HandshakeMessage, { msg_type: 'server_hello' }>;
      sh.extensions = [{ type: 'key_share', server_share: { group: NamedGroup.secp256r1, key_exchange: new Uint8Array(65).fill(4) } }, sh.extensions![1]];
      return records(sh);
    });
    expect(r.verdict).toBe('fail');
    expect(r.reason).toMatch(/^ServerHello breaks RFC 8446 4\.2\.8: ServerHello key_share for group secp256r1, for which the ClientHello has no key share/);
  });

  const tls12ServerHello = (ch: ClientHello, sentinel?: number) => {
    const random = new Uint8Array(32).fill(5);
    if (sentinel !== undefined) random.set([0x44, 0x4f, 0x57, 0x4e, 0x47, 0x52, 0x44, sentinel], 24);
    return records(serverHello(ch, { random, cipher_suite: CipherSuite.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, extensions: [] }));
  };
  const dualVersion = { 'extensions.supported_versions.versions': ['TLS1_3', 'TLS1_2'] };
  const withTls12Suite = { cipher_suites: ['TLS_AES_128_GCM_SHA256', 'TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256'] };

  it('a TLS 1.2 ServerHello to a ClientHello whose supported_versions offers only TLS 1.3: RFC 8446 4.2.1', async () => {
    const r = await run((ch) => tls12ServerHello(ch), withTls12Suite);
    expect(r.verdict).toBe('fail');
    expect(r.reason).toMatch(/^ServerHello breaks RFC 8446 4\.2\.1: ServerHello has no supported_versions: the server chose TLS1_2, which the ClientHello does not offer \(a conforming peer aborts with protocol_version\)/);
  });

  for (const [sentinel, label] of [
    [1, 'DOWNGRD\\x01'],
    [0, 'DOWNGRD\\x00'],
  ] as const) {
    it(`a TLS 1.2 ServerHello with the downgrade sentinel ${label}, to a ClientHello offering TLS 1.3 and 1.2: RFC 8446 4.1.3`, async () => {
      const r = await run((ch) => tls12ServerHello(ch, sentinel), withTls12Suite, dualVersion);
      expect(r.verdict).toBe('fail');
      expect(r.reason).toMatch(/^ServerHello breaks RFC 8446 4\.1\.3: ServerHello\.random carries the TLS 1\.[12] downgrade sentinel/);
    });
  }

  it('the same TLS 1.2 ServerHello without a sentinel is no violation when TLS 1.2 was offered (the case fails on what follows)', async () => {
    const r = await run((ch) => tls12ServerHello(ch), withTls12Suite, dualVersion);
    expect(r.verdict).toBe('fail');
    expect(r.reason).toMatch(/^expected EncryptedExtensions, got nothing within/);
  });
});

describe('the peer fails a scripted client that breaks a rule, whatever the scenario was about', () => {
  let target: Target | undefined;
  afterEach(async () => {
    await target?.stop();
    target = undefined;
  });
  const clientHello = (change: (ch: ClientHello) => void): Uint8Array => {
    const x25519 = nobleProvider.keyExchange('x25519').generate();
    const ch = buildClientHello(testClientConfig({ minVersion: 'TLSv1.3', groups: [NamedGroup.x25519, NamedGroup.secp256r1] }), {
      keyShares: new Map([[NamedGroup.x25519, x25519]]),
      sessionId: new Uint8Array(0),
      random: new Uint8Array(32).fill(3),
      earlyData: false,
    });
    change(ch);
    return encodeRecord({ type: ContentType.handshake, legacy_record_version: ProtocolVersion.TLS1_0, fragment: encodeHandshake(ch) });
  };
  const run = async (bytes: () => Uint8Array) => {
    target = scriptedClient(bytes);
    return runCase(fullHandshake('client'), target, { timeoutMs: 4000, expectTimeoutMs: 1500 });
  };

  it('a ClientHello with legacy_version 0x0301 (a rule on the sender, which the server need not enforce): RFC 8446 4.1.2', async () => {
    const r = await run(() => clientHello((ch) => void (ch.legacy_version = ProtocolVersion.TLS1_0)));
    expect(r.verdict).toBe('fail');
    expect(r.reason).toMatch(/^ClientHello breaks RFC 8446 4\.1\.2: ClientHello\.legacy_version is 0x0301, MUST be 0x0303/);
  });

  it('a ClientHello with two key shares for one group: RFC 8446 4.2.8', async () => {
    const r = await run(() =>
      clientHello((ch) => {
        const ks = ch.extensions!.find((e) => e.type === 'key_share') as Extract<Extension, { type: 'key_share' }>;
        ks.client_shares = [ks.client_shares![0], ks.client_shares![0]];
      }),
    );
    expect(r.verdict).toBe('fail');
    expect(r.reason).toMatch(/^ClientHello breaks RFC 8446 4\.2\.8: two key shares for group x25519/);
  });

  it('a conforming ClientHello is not a violation: the case goes on to the next step', async () => {
    const r = await run(() => clientHello(() => undefined));
    // The scripted client sends nothing after its ClientHello: the case fails waiting for its Finished.
    expect(r.verdict).toBe('fail');
    expect(r.reason).toMatch(/^expected Finished, got/);
  });
});
