import { afterEach, describe, expect, it, vi } from 'vitest';
import { AlertDescription, CipherSuite, DOWNGRADE_TLS12, NamedGroup, SignatureScheme, type CipherSuiteName } from '../../codec/enums.ts';
import { DUAL_CIPHER_SUITES, DEFAULT_CIPHER_SUITES, MemorySessionStore, TLS12_CIPHER_SUITES } from '../config.ts';
import type { EndpointConfig } from '../config.ts';
import { TlsClient } from '../client.ts';
import { TlsServer } from '../server.ts';
import { pump } from '../memory.ts';
import { TEST_PKI, testClientConfig, testServerConfig } from '../testing.ts';
import type { EndpointEvent } from '../endpoint.ts';
import { nobleProvider } from '../../crypto/noble/index.ts';
import type { CryptoProvider } from '../../crypto/provider.ts';
import { Keys12 } from './common12.ts';

const enc = (s: string) => new TextEncoder().encode(s);
const dec = (b: Uint8Array) => new TextDecoder().decode(b);
const errorOf = (events: EndpointEvent[]) => events.find((e) => e.type === 'error') as Extract<EndpointEvent, { type: 'error' }> | undefined;
const appData = (events: EndpointEvent[]) => events.filter((e) => e.type === 'application_data').map((e) => dec((e as { data: Uint8Array }).data));

function run(client: TlsClient, server: TlsServer, tap?: (from: 'a' | 'b', b: Uint8Array) => Uint8Array) {
  client.start();
  pump(client, server, { tap });
  return { client, server, ce: client.takeEvents(), se: server.takeEvents() };
}

function connect(clientPartial: Partial<EndpointConfig> = {}, serverPartial: Partial<EndpointConfig> = {}, tap?: (from: 'a' | 'b', b: Uint8Array) => Uint8Array) {
  const client = new TlsClient(testClientConfig({ cipherSuites: TLS12_CIPHER_SUITES, ...clientPartial }));
  const server = new TlsServer(testServerConfig({ cipherSuites: DUAL_CIPHER_SUITES, ...serverPartial }));
  return run(client, server, tap);
}

/** Application data both ways over a connected pair. */
function exchange(client: TlsClient, server: TlsServer): void {
  client.write(enc('ping'));
  pump(client, server);
  expect(appData(server.takeEvents())).toEqual(['ping']);
  server.write(enc('pong'));
  pump(client, server);
  expect(appData(client.takeEvents())).toEqual(['pong']);
}

/** A provider that behaves like noble except for the overridden methods. */
function patched(over: Partial<CryptoProvider>): CryptoProvider {
  return Object.assign(Object.create(nobleProvider), over) as CryptoProvider;
}

afterEach(() => {
  vi.restoreAllMocks();
});

const ECDHE_BULK = ['AES_128_GCM_SHA256', 'AES_256_GCM_SHA384', 'CHACHA20_POLY1305_SHA256', 'AES_128_CBC_SHA', 'AES_128_CBC_SHA256', 'AES_256_CBC_SHA384'] as const;
const RSA_SUITES = ['TLS_RSA_WITH_AES_128_CBC_SHA', 'TLS_RSA_WITH_AES_256_CBC_SHA', 'TLS_RSA_WITH_AES_128_CBC_SHA256', 'TLS_RSA_WITH_AES_128_GCM_SHA256', 'TLS_RSA_WITH_AES_256_GCM_SHA384'] as const;

describe('TLS 1.2 suites x key exchanges (1.2-only client, dual-version server)', () => {
  for (const auth of ['ECDSA', 'RSA'] as const) {
    for (const bulk of ECDHE_BULK) {
      const name = `TLS_ECDHE_${auth}_WITH_${bulk}` as CipherSuiteName;
      for (const group of ['x25519', 'secp256r1', 'secp384r1'] as const) {
        it(`${name} over ${group}`, () => {
          const { client, server, ce, se } = connect({ cipherSuites: [CipherSuite[name]], groups: [NamedGroup[group]] });
          expect(errorOf(ce)?.error.message).toBeUndefined();
          expect(errorOf(se)).toBeUndefined();
          expect(client.summary).toMatchObject({ version: 'TLSv1.2', cipherSuite: CipherSuite[name], group: NamedGroup[group], resumed: false, extendedMasterSecret: true });
          expect(server.summary).toMatchObject({ version: 'TLSv1.2', cipherSuite: CipherSuite[name], group: NamedGroup[group] });
          // RFC 8422 5.3: the P-256 certificate only for a client that lists secp256r1; else the Ed25519 one.
          const ecdsa = group === 'secp256r1' ? SignatureScheme.ecdsa_secp256r1_sha256 : SignatureScheme.ed25519;
          expect(client.summary!.signatureScheme).toBe(auth === 'ECDSA' ? ecdsa : SignatureScheme.rsa_pss_rsae_sha256);
          expect(client.summary!.encryptThenMac).toBe(bulk.includes('CBC'));
          exchange(client, server);
        });
      }
    }
  }
  for (const group of ['ffdhe2048', 'ffdhe3072'] as const) {
    it(`TLS_DHE_RSA_WITH_AES_128_GCM_SHA256 over ${group}`, () => {
      const { client, server, ce } = connect({ cipherSuites: [CipherSuite.TLS_DHE_RSA_WITH_AES_128_GCM_SHA256], groups: [NamedGroup[group]] }, { groups: [NamedGroup.ffdhe2048, NamedGroup.ffdhe3072] });
      expect(errorOf(ce)).toBeUndefined();
      expect(client.summary).toMatchObject({ version: 'TLSv1.2', cipherSuite: CipherSuite.TLS_DHE_RSA_WITH_AES_128_GCM_SHA256, group: NamedGroup[group] });
      exchange(client, server);
    });
  }
  for (const name of RSA_SUITES) {
    it(`${name} (RSA key exchange)`, () => {
      const { client, server, ce, se } = connect({ cipherSuites: [CipherSuite[name]] });
      expect(errorOf(ce)).toBeUndefined();
      expect(errorOf(se)).toBeUndefined();
      expect(client.summary).toMatchObject({ version: 'TLSv1.2', cipherSuite: CipherSuite[name], group: undefined, signatureScheme: undefined });
      exchange(client, server);
    });
  }
  it('signs the ServerKeyExchange with rsa_pkcs1 and ed25519 when those are the offered schemes', () => {
    const a = connect({ cipherSuites: [CipherSuite.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256], signatureSchemes: [SignatureScheme.rsa_pkcs1_sha384] });
    expect(a.client.summary?.signatureScheme).toBe(SignatureScheme.rsa_pkcs1_sha384);
    const b = connect({ cipherSuites: [CipherSuite.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256], signatureSchemes: [SignatureScheme.ed25519] });
    expect(errorOf(b.ce)).toBeUndefined();
    expect(b.client.summary?.signatureScheme).toBe(SignatureScheme.ed25519);
  });
  // RFC 8446 4.2.3: in TLS 1.2 "the old semantics did not constrain the signing curve": every ECDSA key with
  // every ECDSA hash, both for the ServerKeyExchange and for the client's CertificateVerify.
  for (const key of ['p256', 'p384'] as const) {
    for (const scheme of ['ecdsa_secp256r1_sha256', 'ecdsa_secp384r1_sha384'] as const) {
      it(`ECDSA ${key} server and P-256 client certificate, both signing with ${scheme} when it is the only scheme`, () => {
        const only = [SignatureScheme[scheme]];
        const { client, server, ce, se } = connect(
          { cipherSuites: [CipherSuite.TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384], signatureSchemes: only, certificates: [TEST_PKI.client()] },
          { certificates: [TEST_PKI[key]()], signatureSchemes: only, requestClientCert: true, requireClientCert: true },
        );
        expect(errorOf(ce)?.error.message).toBeUndefined();
        expect(errorOf(se)?.error.message).toBeUndefined();
        expect(client.summary?.signatureScheme).toBe(SignatureScheme[scheme]);
        expect(server.summary?.peerCertificates).toHaveLength(1);
        exchange(client, server);
      });
    }
  }
  it('picks the certificate that fits the suite from several', () => {
    const { client } = connect({ cipherSuites: [CipherSuite.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256] }, { certificates: [TEST_PKI.rsa(), TEST_PKI.p384(), TEST_PKI.p256()] });
    expect(client.summary?.signatureScheme).toBe(SignatureScheme.ecdsa_secp384r1_sha384);
  });
  it('handshake_failure when no suite fits the certificates', () => {
    const { ce, se } = connect({ cipherSuites: [CipherSuite.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256] }, { certificates: [TEST_PKI.rsa()] });
    expect(errorOf(se)?.error).toMatchObject({ alert: 'handshake_failure', rule: 'RFC 5246 7.4.1.3' });
    expect(errorOf(ce)?.error.alert).toBe('handshake_failure');
  });
});

describe('TLS 1.2 features', () => {
  it('extended master secret on and off (RFC 7627)', () => {
    for (const ems of [true, false]) {
      const { client, server, ce } = connect({ extendedMasterSecret: ems });
      expect(errorOf(ce)).toBeUndefined();
      expect(client.summary?.extendedMasterSecret).toBe(ems);
      expect(server.summary?.extendedMasterSecret).toBe(ems);
      exchange(client, server);
    }
    const s = connect({}, { extendedMasterSecret: false });
    expect(s.client.summary?.extendedMasterSecret).toBe(false);
  });

  for (const suite of ['TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA', 'TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384', 'TLS_RSA_WITH_AES_128_CBC_SHA256'] as const) {
    it(`encrypt-then-MAC on and off with ${suite} (RFC 7366)`, () => {
      for (const [c, s, expected] of [[true, true, true], [false, true, false], [true, false, false]] as const) {
        const { client, server, ce } = connect({ cipherSuites: [CipherSuite[suite]], encryptThenMac: c }, { encryptThenMac: s });
        expect(errorOf(ce)).toBeUndefined();
        expect(client.summary?.encryptThenMac).toBe(expected);
        expect(server.summary?.encryptThenMac).toBe(expected);
        exchange(client, server);
      }
    });
  }
  it('does not negotiate encrypt_then_mac for an AEAD suite', () => {
    const { client } = connect({ cipherSuites: [CipherSuite.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, CipherSuite.TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA] });
    expect(client.summary).toMatchObject({ cipherSuite: CipherSuite.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, encryptThenMac: false });
  });

  for (const suite of ['TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256', 'TLS_RSA_WITH_AES_128_GCM_SHA256', 'TLS_DHE_RSA_WITH_AES_128_GCM_SHA256'] as const) {
    it(`client authentication (CertificateRequest / CertificateVerify) with ${suite}`, () => {
      const { client, server, ce, se } = connect({ cipherSuites: [CipherSuite[suite]], certificates: [TEST_PKI.client()] }, { requestClientCert: true, requireClientCert: true });
      expect(errorOf(ce)).toBeUndefined();
      expect(errorOf(se)).toBeUndefined();
      expect(server.summary?.peerCertificates.length).toBe(1);
      exchange(client, server);
    });
  }
  it('client authentication: no certificate is accepted, or refused with handshake_failure when required', () => {
    const a = connect({}, { requestClientCert: true });
    expect(errorOf(a.se)).toBeUndefined();
    expect(a.server.summary?.peerCertificates).toEqual([]);
    const b = connect({}, { requestClientCert: true, requireClientCert: true });
    expect(errorOf(b.se)?.error).toMatchObject({ alert: 'handshake_failure', rule: 'RFC 5246 7.4.6' });
  });
  it('a bad client CertificateVerify is a decrypt_error', () => {
    let n = 0;
    const provider = patched({
      sign: (scheme, key, msg) => {
        const sig = nobleProvider.sign(scheme, key, msg);
        if (n++ === 0) sig[sig.length - 1] ^= 1;
        return sig;
      },
    });
    const { se } = connect({ certificates: [TEST_PKI.client()], provider }, { requestClientCert: true });
    expect(errorOf(se)?.error).toMatchObject({ alert: 'decrypt_error', rule: 'RFC 5246 7.4.8' });
  });

  it('ALPN and SNI', () => {
    const { client, server } = connect({ alpn: ['h2', 'http/1.1'] }, { alpn: ['http/1.1'] });
    expect(client.summary?.alpn).toBe('http/1.1');
    expect(server.summary).toMatchObject({ alpn: 'http/1.1', serverName: 'localhost' });
    const none = connect({ alpn: ['h2'] }, { alpn: ['http/1.1'] });
    expect(errorOf(none.se)?.error.alert).toBe('no_application_protocol');
  });

  it('secure renegotiation signalling: empty renegotiation_info or the SCSV (RFC 5746)', () => {
    for (const scsv of [false, true]) {
      const { client, server } = connect({ renegotiationScsv: scsv });
      expect(client.summary?.secureRenegotiation).toBe(true);
      expect(server.summary?.secureRenegotiation).toBe(true);
    }
  });
  it('a non-empty renegotiation_info in the initial ServerHello is a handshake_failure', () => {
    const { ce } = connect({}, {
      shapeExtensions: (m, exts) =>
        m === 'server_hello' ? exts.map((e) => (e.type === 'renegotiation_info' ? { ...e, renegotiated_connection: new Uint8Array(12) } : e)) : exts,
    });
    expect(errorOf(ce)?.error).toMatchObject({ alert: 'handshake_failure', rule: 'RFC 5746 3.4' });
  });
  it('the server refuses renegotiation: a ClientHello after the handshake gets a warning no_renegotiation', () => {
    const { client, server } = connect();
    (client as unknown as { sendHandshake(m: unknown): void }).sendHandshake({
      msg_type: 'client_hello', legacy_version: 0x0303, random: new Uint8Array(32), legacy_session_id: new Uint8Array(0),
      cipher_suites: [CipherSuite.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256], legacy_compression_methods: [0],
      // RFC 5746 3.5: the saved client_verify_data (the server checks it first, RFC 5746 3.7).
      extensions: [{ type: 'renegotiation_info', renegotiated_connection: (server as unknown as { t12: { clientVerifyData: Uint8Array } }).t12.clientVerifyData }],
    });
    pump(client, server);
    expect(server.renegotiationsRefused).toBe(1);
    expect(client.takeEvents()).toContainEqual({ type: 'alert', level: 1, description: AlertDescription.no_renegotiation });
    expect(server.state).toBe('connected');
    expect(client.state).toBe('connected');
    exchange(client, server);
  });
  it('the client refuses renegotiation: a HelloRequest gets a warning no_renegotiation', () => {
    const { client, server } = connect();
    (server as unknown as { sendHandshake(m: unknown, t: boolean): void }).sendHandshake({ msg_type: 'hello_request' }, false);
    pump(client, server);
    expect(client.renegotiationsRefused).toBe(1);
    expect(server.takeEvents()).toContainEqual({ type: 'alert', level: 1, description: AlertDescription.no_renegotiation });
    exchange(client, server);
  });
  it('a ChangeCipherSpec after the handshake is an unexpected_message', () => {
    const { client, server } = connect();
    (client as unknown as { sendChangeCipherSpec(): void }).sendChangeCipherSpec();
    pump(client, server);
    expect(errorOf(server.takeEvents())?.error).toMatchObject({ alert: 'unexpected_message', rule: 'RFC 5246 7.1' });
  });
  it('close_notify is answered with close_notify (RFC 5246 7.2.1)', () => {
    const { client, server } = connect();
    client.close();
    pump(client, server);
    expect(server.state).toBe('closed');
    expect(client.state).toBe('closed');
    expect(server.takeEvents()).toEqual([{ type: 'closed', by: 'peer' }, { type: 'closed', by: 'local' }]);
  });
  it('KeyUpdate is refused locally in TLS 1.2', () => {
    const { client } = connect();
    client.keyUpdate(false);
    expect(errorOf(client.takeEvents())?.error.message).toMatch(/no KeyUpdate in TLS 1.2/);
  });
});

describe('TLS 1.2 resumption', () => {
  it('by session ID (server session cache)', () => {
    const store = new MemorySessionStore();
    const serverCfg = testServerConfig({ cipherSuites: DUAL_CIPHER_SUITES });
    const first = run(new TlsClient(testClientConfig({ cipherSuites: TLS12_CIPHER_SUITES, sessionStore: store, sessionTickets12: false })), new TlsServer(serverCfg));
    expect(first.client.summary?.resumed).toBe(false);
    expect(store.get12('localhost')?.sessionId.length).toBe(32);
    const second = run(new TlsClient(testClientConfig({ cipherSuites: TLS12_CIPHER_SUITES, sessionStore: store, sessionTickets12: false })), new TlsServer(serverCfg));
    expect(errorOf(second.ce)).toBeUndefined();
    expect(second.client.summary).toMatchObject({ version: 'TLSv1.2', resumed: true, peerCertificates: [] });
    expect(second.server.summary?.resumed).toBe(true);
    exchange(second.client, second.server);
  });
  it('by ticket (RFC 5077), with the ticket renewed', () => {
    const store = new MemorySessionStore();
    const serverCfg = testServerConfig({ cipherSuites: DUAL_CIPHER_SUITES, sessionCache12: undefined });
    const mk = () => new TlsClient(testClientConfig({ cipherSuites: TLS12_CIPHER_SUITES, sessionStore: store }));
    const first = run(mk(), new TlsServer(serverCfg));
    expect(first.ce.some((e) => e.type === 'new_session_ticket')).toBe(true);
    const t1 = store.get12('localhost')!;
    expect(t1.sessionId.length).toBe(0);
    expect(t1.ticket?.length).toBeGreaterThan(0);
    const second = run(mk(), new TlsServer(serverCfg));
    expect(errorOf(second.ce)).toBeUndefined();
    expect(second.client.summary?.resumed).toBe(true);
    expect(second.server.summary?.resumed).toBe(true);
    expect(store.get12('localhost')!.ticket).not.toEqual(t1.ticket);
    exchange(second.client, second.server);
    const third = run(mk(), new TlsServer(serverCfg));
    expect(third.client.summary?.resumed).toBe(true);
  });
  it('a ticket from another server key is ignored: full handshake', () => {
    const store = new MemorySessionStore();
    const mk = () => new TlsClient(testClientConfig({ cipherSuites: TLS12_CIPHER_SUITES, sessionStore: store }));
    run(mk(), new TlsServer(testServerConfig({ cipherSuites: DUAL_CIPHER_SUITES, sessionCache12: undefined })));
    const other = run(mk(), new TlsServer(testServerConfig({ cipherSuites: DUAL_CIPHER_SUITES, sessionCache12: undefined, ticketKey: new Uint8Array(32).fill(7) })));
    expect(errorOf(other.ce)).toBeUndefined();
    expect(other.client.summary?.resumed).toBe(false);
  });
  it('RFC 7627 5.3: a session without EMS is not resumed by an EMS ClientHello', () => {
    const store = new MemorySessionStore();
    const serverCfg = testServerConfig({ cipherSuites: DUAL_CIPHER_SUITES });
    run(new TlsClient(testClientConfig({ cipherSuites: TLS12_CIPHER_SUITES, sessionStore: store, extendedMasterSecret: false })), new TlsServer(serverCfg));
    const second = run(new TlsClient(testClientConfig({ cipherSuites: TLS12_CIPHER_SUITES, sessionStore: store })), new TlsServer(serverCfg));
    expect(errorOf(second.ce)).toBeUndefined();
    expect(second.client.summary).toMatchObject({ resumed: false, extendedMasterSecret: true });
  });
  it('RFC 7627 5.3: an EMS session offered without EMS makes the server abort', () => {
    const store = new MemorySessionStore();
    const serverCfg = testServerConfig({ cipherSuites: DUAL_CIPHER_SUITES });
    run(new TlsClient(testClientConfig({ cipherSuites: TLS12_CIPHER_SUITES, sessionStore: store })), new TlsServer(serverCfg));
    const second = run(new TlsClient(testClientConfig({ cipherSuites: TLS12_CIPHER_SUITES, sessionStore: store, extendedMasterSecret: false })), new TlsServer(serverCfg));
    expect(errorOf(second.se)?.error).toMatchObject({ alert: 'handshake_failure', rule: 'RFC 7627 5.3' });
  });
});

describe('version negotiation', () => {
  it('1.2-only client to a dual server: TLS 1.2, with the downgrade sentinel (ignored by a 1.2-only client)', () => {
    let serverRandom: Uint8Array | undefined;
    const { client } = connect({}, {}, (from, b) => {
      if (from === 'b' && !serverRandom && b[0] === 22 && b[5] === 2) serverRandom = b.slice(11, 43);
      return b;
    });
    expect(client.summary?.version).toBe('TLSv1.2');
    expect(serverRandom!.subarray(24)).toEqual(DOWNGRADE_TLS12);
  });
  it('dual client to a 1.2-only server (maxVersion or suites): TLS 1.2, no sentinel', () => {
    for (const server of [{ maxVersion: 'TLSv1.2' as const }, { cipherSuites: TLS12_CIPHER_SUITES }]) {
      let serverRandom: Uint8Array | undefined;
      const { client, ce } = connect({ cipherSuites: DUAL_CIPHER_SUITES }, server, (from, b) => {
        if (from === 'b' && !serverRandom && b[0] === 22 && b[5] === 2) serverRandom = b.slice(11, 43);
        return b;
      });
      expect(errorOf(ce)).toBeUndefined();
      expect(client.summary?.version).toBe('TLSv1.2');
      expect(serverRandom!.subarray(24)).not.toEqual(DOWNGRADE_TLS12);
    }
  });
  it('dual client to a dual server: TLS 1.3', () => {
    const { client, server, ce } = connect({ cipherSuites: DUAL_CIPHER_SUITES });
    expect(errorOf(ce)).toBeUndefined();
    expect(client.summary).toMatchObject({ version: 'TLSv1.3', cipherSuite: CipherSuite.TLS_AES_128_GCM_SHA256 });
    exchange(client, server);
  });
  it('a dual client that sees DOWNGRD\\x01 in a TLS 1.2 ServerHello aborts with illegal_parameter (RFC 8446 4.1.3)', () => {
    // A man in the middle removes TLS 1.3 from supported_versions; the dual server negotiates TLS 1.2 and
    // marks its random; the client must notice.
    const { ce, client } = connect({ cipherSuites: DUAL_CIPHER_SUITES }, {}, (from, b) => {
      if (from !== 'a' || b[0] !== 22 || b[5] !== 1) return b;
      const h = Buffer.from(b).toString('hex').replace('002b0005040304', '002b0005040a0a');
      return Uint8Array.from(Buffer.from(h, 'hex'));
    });
    expect(errorOf(ce)?.error).toMatchObject({ alert: 'illegal_parameter', rule: 'RFC 8446 4.1.3' });
    expect(client.summary).toBeUndefined();
  });
  it('protocol_version when the versions do not meet', () => {
    const a = connect({ cipherSuites: DEFAULT_CIPHER_SUITES }, { cipherSuites: TLS12_CIPHER_SUITES });
    expect(errorOf(a.se)?.error.alert).toBe('protocol_version');
    const b = connect({}, { cipherSuites: DEFAULT_CIPHER_SUITES });
    expect(errorOf(b.se)?.error.alert).toBe('protocol_version');
    const c = connect({ cipherSuites: DUAL_CIPHER_SUITES }, { minVersion: 'TLSv1.3' });
    expect(c.client.summary?.version).toBe('TLSv1.3');
  });
  it('a 1.3-only config sends exactly the same ClientHello as before TLS 1.2 existed', () => {
    const fixed = { ephemeralKey: () => new Uint8Array(32).fill(3) };
    const a = new TlsClient(testClientConfig({ ...fixed, cipherSuites: DEFAULT_CIPHER_SUITES }));
    a.start();
    const ba = a.takeOutput();
    expect(ba.length).toBeGreaterThan(0);
    // TLS 1.3 suites only, or minVersion TLS 1.3 (makeConfig then picks the TLS 1.3 suites): the ClientHello of
    // before, byte for byte.
    const c = new TlsClient(testClientConfig({ ...fixed, minVersion: 'TLSv1.3' }));
    c.start();
    expect(c.takeOutput()).toEqual(ba);
    expect(Buffer.from(ba).toString('hex')).not.toContain('002b0005040304');
    // A default config, like a dual one, offers TLS 1.2 too (supported_versions [1.3, 1.2]).
    for (const partial of [{}, { cipherSuites: DUAL_CIPHER_SUITES }]) {
      const d = new TlsClient(testClientConfig({ ...fixed, ...partial }));
      d.start();
      expect(Buffer.from(d.takeOutput()).toString('hex')).toContain('002b00050403040303');
    }
  });
  it('the server keeps TLS 1.3 for a dual ClientHello and ignores the TLS 1.2 extensions', () => {
    const { server } = connect({ cipherSuites: DUAL_CIPHER_SUITES, renegotiationScsv: true }, {});
    expect(server.summary?.version).toBe('TLSv1.3');
  });
  it('TLS_FALLBACK_SCSV from a 1.2 client to a 1.3-capable server is inappropriate_fallback (RFC 7507)', () => {
    const { se } = connect({ cipherSuites: [...TLS12_CIPHER_SUITES, CipherSuite.TLS_FALLBACK_SCSV] });
    expect(errorOf(se)?.error).toMatchObject({ alert: 'inappropriate_fallback', rule: 'RFC 7507 3' });
  });
});

describe('TLS 1.2 negative cases', () => {
  /** The plaintext ClientKeyExchange record of the client's second flight: flip a byte of the RSA ciphertext. */
  const corruptCke = (from: 'a' | 'b', b: Uint8Array): Uint8Array => {
    if (from === 'a' && b[0] === 22 && b[5] === 16) {
      const out = Uint8Array.from(b);
      out[5 + 4 + 2 + 10] ^= 0x55;
      return out;
    }
    return b;
  };
  for (const suite of ['TLS_RSA_WITH_AES_128_GCM_SHA256', 'TLS_RSA_WITH_AES_128_CBC_SHA'] as const) {
    it(`RFC 5246 7.4.7.1: a corrupted EncryptedPreMasterSecret fails only at Finished (${suite})`, () => {
      const { server, se } = connect({ cipherSuites: [CipherSuite[suite]] }, {}, corruptCke);
      const err = errorOf(se)?.error;
      // The server went on with a random pre-master secret: it accepted the CCS and fails on the Finished record.
      expect(err?.alert).toBe('bad_record_mac');
      expect((server as unknown as { t12: { state: string } }).t12.state).toBe('wait_finished');
    });
  }
  it('RFC 5246 7.4.7.1: a wrong version in the pre-master secret, or a wrong length, fails only at Finished', () => {
    for (const mangle of [(m: Uint8Array) => Uint8Array.of(m[0], m[1] ^ 1, ...m.subarray(2)), (m: Uint8Array) => m.subarray(0, 47)]) {
      const provider = patched({ rsaEncrypt: (k, m) => nobleProvider.rsaEncrypt(k, mangle(m)) });
      const { server, se } = connect({ cipherSuites: [CipherSuite.TLS_RSA_WITH_AES_128_GCM_SHA256], provider });
      expect(errorOf(se)?.error.alert).toBe('bad_record_mac');
      expect((server as unknown as { t12: { state: string } }).t12.state).toBe('wait_finished');
    }
  });
  it('a bad client Finished is a decrypt_error', () => {
    const orig = Keys12.prototype.finished;
    let first = true;
    vi.spyOn(Keys12.prototype, 'finished').mockImplementation(function (this: Keys12, m, sender, h) {
      const v = orig.call(this, m, sender, h);
      if (sender === 'client' && first) {
        first = false;
        v[0] ^= 1;
      }
      return v;
    });
    const { se } = connect();
    expect(errorOf(se)?.error).toMatchObject({ alert: 'decrypt_error', rule: 'RFC 5246 7.4.9' });
  });
  it('a bad server Finished is a decrypt_error', () => {
    const orig = Keys12.prototype.finished;
    let first = true;
    vi.spyOn(Keys12.prototype, 'finished').mockImplementation(function (this: Keys12, m, sender, h) {
      const v = orig.call(this, m, sender, h);
      if (sender === 'server' && first) {
        first = false;
        v[0] ^= 1;
      }
      return v;
    });
    const { ce } = connect();
    expect(errorOf(ce)?.error).toMatchObject({ alert: 'decrypt_error', rule: 'RFC 5246 7.4.9' });
  });
  for (const suite of ['TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256', 'TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256', 'TLS_DHE_RSA_WITH_AES_128_GCM_SHA256'] as const) {
    it(`a bad ServerKeyExchange signature is a decrypt_error (${suite})`, () => {
      const provider = patched({
        sign: (scheme, key, msg) => {
          const sig = nobleProvider.sign(scheme, key, msg);
          sig[sig.length - 1] ^= 1;
          return sig;
        },
      });
      const { ce } = connect({ cipherSuites: [CipherSuite[suite]] }, { provider });
      expect(errorOf(ce)?.error).toMatchObject({ alert: 'decrypt_error', rule: 'RFC 5246 7.4.3' });
    });
  }
  it('a record with a flipped bit is a bad_record_mac (AEAD and CBC, MtE and EtM)', () => {
    for (const [suite, etm] of [['TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256', true], ['TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA', false], ['TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA', true]] as const) {
      const { client, server } = connect({ cipherSuites: [CipherSuite[suite]], encryptThenMac: etm });
      client.write(enc('hello'));
      const bytes = client.takeOutput();
      bytes[bytes.length - 3] ^= 1;
      server.receive(bytes);
      expect(errorOf(server.takeEvents())?.error.alert).toBe('bad_record_mac');
    }
  });
  it('Finished before ChangeCipherSpec is an unexpected_message', () => {
    // Replace the client's ChangeCipherSpec and (protected) Finished with a plaintext Finished.
    const { se } = connect({}, {}, (from, b) => {
      if (from !== 'a') return b;
      const parts: Uint8Array[] = [];
      for (let i = 0; i < b.length; ) {
        const len = 5 + ((b[i + 3] << 8) | b[i + 4]);
        if (b[i] === 20) {
          parts.push(Uint8Array.of(22, 3, 3, 0, 16, 20, 0, 0, 12, ...new Uint8Array(12)));
          break;
        }
        parts.push(b.subarray(i, i + len));
        i += len;
      }
      return Uint8Array.from(Buffer.concat(parts));
    });
    expect(errorOf(se)?.error).toMatchObject({ alert: 'unexpected_message', rule: 'RFC 5246 7.4' });
  });
  it('an unsolicited extension in the ServerHello is unsupported_extension', () => {
    const { ce } = connect({ extendedMasterSecret: false }, { shapeExtensions: (m, exts) => (m === 'server_hello' ? [...exts, { type: 'extended_master_secret' }] : exts) });
    expect(errorOf(ce)?.error).toMatchObject({ alert: 'unsupported_extension', rule: 'RFC 5246 7.4.1.4' });
  });
});
