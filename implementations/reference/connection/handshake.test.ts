import { describe, expect, it } from 'vitest';
import { CipherSuite, NamedGroup, SignatureScheme } from '../codec/enums.ts';
import { DUAL_CIPHER_SUITES, MemorySessionStore, TLS12_CIPHER_SUITES, TLS13_CIPHER_SUITES } from './config.ts';
import { TlsClient } from './client.ts';
import { TlsServer } from './server.ts';
import { pump } from './memory.ts';
import { TEST_PKI, testClientConfig, testServerConfig } from './testing.ts';
import type { EndpointEvent } from './endpoint.ts';

const enc = (s: string) => new TextEncoder().encode(s);
const dec = (b: Uint8Array) => new TextDecoder().decode(b);

function connect(clientPartial = {}, serverPartial = {}) {
  const client = new TlsClient(testClientConfig(clientPartial));
  const server = new TlsServer(testServerConfig(serverPartial));
  client.start();
  pump(client, server);
  return { client, server, ce: client.takeEvents(), se: server.takeEvents() };
}

const errorOf = (events: EndpointEvent[]) => events.find((e) => e.type === 'error');

describe('TLS 1.3 handshake, reference client against reference server', () => {
  it('completes a full handshake and carries application data both ways', () => {
    const { client, server, ce, se } = connect();
    expect(errorOf(ce)).toBeUndefined();
    expect(errorOf(se)).toBeUndefined();
    expect(client.state).toBe('connected');
    expect(server.state).toBe('connected');
    expect(client.summary).toMatchObject({ version: 'TLSv1.3', cipherSuite: CipherSuite.TLS_AES_128_GCM_SHA256, group: NamedGroup.x25519, resumed: false, helloRetry: false });
    client.write(enc('ping'));
    pump(client, server);
    expect(server.takeEvents()).toContainEqual({ type: 'application_data', data: enc('ping') });
    server.write(enc('pong'));
    pump(client, server);
    expect(client.takeEvents().filter((e) => e.type === 'application_data').map((e) => dec((e as { data: Uint8Array }).data))).toEqual(['pong']);
  });

  for (const suite of ['TLS_AES_128_GCM_SHA256', 'TLS_AES_256_GCM_SHA384', 'TLS_CHACHA20_POLY1305_SHA256'] as const) {
    for (const group of ['x25519', 'secp256r1', 'secp384r1', 'ffdhe2048'] as const) {
      it(`negotiates ${suite} over ${group}`, () => {
        const { client, ce } = connect({ cipherSuites: [CipherSuite[suite]], groups: [NamedGroup[group]] });
        expect(errorOf(ce)).toBeUndefined();
        expect(client.summary?.cipherSuite).toBe(CipherSuite[suite]);
        expect(client.summary?.group).toBe(NamedGroup[group]);
      });
    }
  }

  for (const [scheme, cert] of [
    ['ecdsa_secp256r1_sha256', 'p256'],
    ['rsa_pss_rsae_sha256', 'rsa'],
    ['ed25519', 'ed25519'],
  ] as const) {
    it(`authenticates the server with ${scheme}`, () => {
      const { client, ce } = connect({ signatureSchemes: [SignatureScheme[scheme]] });
      expect(errorOf(ce)).toBeUndefined();
      expect(client.summary?.signatureScheme).toBe(SignatureScheme[scheme]);
      void cert;
    });
  }

  // The CCM suites (RFC 8446 B.4; CCM_8 only when configured), the groups x448, secp521r1 and ffdhe3072-8192,
  // and the P-384, P-521 and Ed448 certificates.
  for (const suite of ['TLS_AES_128_CCM_SHA256', 'TLS_AES_128_CCM_8_SHA256'] as const) {
    for (const group of ['x25519', 'secp256r1'] as const) {
      it(`negotiates ${suite} over ${group}, data both ways`, () => {
        const { client, server, ce } = connect({ cipherSuites: [CipherSuite[suite]], groups: [NamedGroup[group]] }, { cipherSuites: TLS13_CIPHER_SUITES });
        expect(errorOf(ce)).toBeUndefined();
        expect(client.summary).toMatchObject({ cipherSuite: CipherSuite[suite], group: NamedGroup[group] });
        client.write(enc('ccm'));
        pump(client, server);
        expect(server.takeEvents()).toContainEqual({ type: 'application_data', data: enc('ccm') });
      });
    }
  }

  it('a default server does not accept TLS_AES_128_CCM_8_SHA256 (it is on only when configured)', () => {
    const { ce } = connect({ cipherSuites: [CipherSuite.TLS_AES_128_CCM_8_SHA256] });
    expect(errorOf(ce)).toMatchObject({ error: { alert: 'handshake_failure' } });
  });

  for (const group of ['x448', 'secp521r1', 'ffdhe3072', 'ffdhe4096', 'ffdhe6144', 'ffdhe8192'] as const) {
    it(`negotiates ${group} with the default server groups, with its key share or after a HelloRetryRequest`, () => {
      const direct = connect({ groups: [NamedGroup[group]] });
      expect(errorOf(direct.ce)).toBeUndefined();
      expect(direct.client.summary).toMatchObject({ group: NamedGroup[group], helloRetry: false });
      const hrr = connect({ groups: [NamedGroup.x25519, NamedGroup[group]], keyShareGroups: [NamedGroup.x25519] }, { groups: [NamedGroup[group]] });
      expect(errorOf(hrr.ce)).toBeUndefined();
      expect(hrr.client.summary).toMatchObject({ group: NamedGroup[group], helloRetry: true });
    });
  }

  for (const [scheme, cert] of [
    ['ecdsa_secp384r1_sha384', 'p384'],
    ['ecdsa_secp521r1_sha512', 'p521'],
    ['ed448', 'ed448'],
  ] as const) {
    it(`authenticates the server with ${scheme} (a ${cert} certificate after the usual three)`, () => {
      const { client, ce } = connect({ signatureSchemes: [SignatureScheme[scheme]] }, { certificates: [TEST_PKI.p256(), TEST_PKI.rsa(), TEST_PKI.ed25519(), TEST_PKI[cert]()] });
      expect(errorOf(ce)).toBeUndefined();
      expect(client.summary?.signatureScheme).toBe(SignatureScheme[scheme]);
    });
  }

  it('TLS 1.2: ECDHE over x448 and secp521r1, DHE over ffdhe4096, DHE_RSA CBC suites, ECDHE_ECDSA with P-521 and Ed448', () => {
    const tls12 = { minVersion: 'TLSv1.2' as const, maxVersion: 'TLSv1.2' as const };
    const server = { cipherSuites: DUAL_CIPHER_SUITES, certificates: [TEST_PKI.p256(), TEST_PKI.rsa(), TEST_PKI.p521(), TEST_PKI.ed448()] };
    for (const [suite, group, scheme] of [
      [CipherSuite.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, NamedGroup.x448, undefined],
      [CipherSuite.TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA, NamedGroup.secp521r1, undefined],
      [CipherSuite.TLS_DHE_RSA_WITH_AES_128_CBC_SHA, NamedGroup.ffdhe4096, undefined],
      [CipherSuite.TLS_DHE_RSA_WITH_AES_256_CBC_SHA256, NamedGroup.ffdhe2048, undefined],
      // RFC 8422 5.3: the P-521 certificate is usable only when the client lists secp521r1 in supported_groups.
      [CipherSuite.TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA, NamedGroup.secp521r1, SignatureScheme.ecdsa_secp521r1_sha512],
      [CipherSuite.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, NamedGroup.x25519, SignatureScheme.ed448],
    ] as const) {
      const { client, ce } = connect({ ...tls12, cipherSuites: [suite], groups: [group], ...(scheme ? { signatureSchemes: [scheme] } : {}) }, server);
      expect(errorOf(ce), `0x${suite.toString(16)}`).toBeUndefined();
      expect(client.summary).toMatchObject({ version: 'TLSv1.2', cipherSuite: suite, group, ...(scheme ? { signatureScheme: scheme } : {}) });
    }
    expect(TLS12_CIPHER_SUITES).toContain(CipherSuite.TLS_DHE_RSA_WITH_AES_256_CBC_SHA256);
  });

  it('answers a HelloRetryRequest when the first key share is not acceptable', () => {
    const { client, server, ce } = connect({ groups: [NamedGroup.x25519, NamedGroup.secp256r1], keyShareGroups: [NamedGroup.x25519] }, { groups: [NamedGroup.secp256r1] });
    expect(errorOf(ce)).toBeUndefined();
    expect(client.summary).toMatchObject({ helloRetry: true, group: NamedGroup.secp256r1 });
    expect(server.summary?.helloRetry).toBe(true);
  });

  it('a dual-version client (TLS 1.3 and 1.2) keeps its whole offer in the second ClientHello (RFC 8446 4.1.2)', () => {
    // The server compares the second ClientHello with the first (checks13.ts checkSecondClientHello): a client
    // that dropped its TLS 1.2 suites, versions or extensions after the HelloRetryRequest would be rejected.
    const { client, server, ce, se } = connect(
      { minVersion: 'TLSv1.2', cipherSuites: DUAL_CIPHER_SUITES, groups: [NamedGroup.x25519, NamedGroup.secp256r1], keyShareGroups: [NamedGroup.x25519] },
      { minVersion: 'TLSv1.2', cipherSuites: DUAL_CIPHER_SUITES, groups: [NamedGroup.secp256r1] },
    );
    expect(errorOf(se)).toBeUndefined();
    expect(errorOf(ce)).toBeUndefined();
    expect(client.summary).toMatchObject({ version: 'TLSv1.3', helloRetry: true, group: NamedGroup.secp256r1 });
    expect(server.summary?.helloRetry).toBe(true);
  });

  it('echoes a HelloRetryRequest cookie', () => {
    const { client, ce } = connect({}, { forceHelloRetry: true, helloRetryCookie: true, groups: [NamedGroup.secp256r1, NamedGroup.x25519] });
    expect(errorOf(ce)).toBeUndefined();
    expect(client.summary?.helloRetry).toBe(true);
  });

  it('resumes with a ticket (psk_dhe_ke), and with psk_ke', () => {
    for (const modes of [[1], [0]]) {
      const store = new MemorySessionStore();
      const serverCfg = testServerConfig();
      const c1 = new TlsClient(testClientConfig({ sessionStore: store, pskModes: modes }));
      const s1 = new TlsServer(serverCfg);
      c1.start();
      pump(c1, s1);
      expect(c1.takeEvents().some((e) => e.type === 'new_session_ticket')).toBe(true);
      const c2 = new TlsClient(testClientConfig({ sessionStore: store, pskModes: modes }));
      const s2 = new TlsServer(serverCfg);
      c2.start();
      pump(c2, s2);
      expect(errorOf(c2.takeEvents())).toBeUndefined();
      expect(c2.summary?.resumed).toBe(true);
      expect(s2.summary?.resumed).toBe(true);
      expect(c2.summary?.group).toBe(modes[0] === 1 ? NamedGroup.x25519 : undefined);
    }
  });

  it('sends 0-RTT data that the server accepts', () => {
    const store = new MemorySessionStore();
    const serverCfg = testServerConfig({ maxEarlyData: 1024, acceptEarlyData: true });
    const c1 = new TlsClient(testClientConfig({ sessionStore: store }));
    const s1 = new TlsServer(serverCfg);
    c1.start();
    pump(c1, s1);
    const c2 = new TlsClient(testClientConfig({ sessionStore: store, earlyData: enc('early hello') }));
    const s2 = new TlsServer(serverCfg);
    c2.start();
    pump(c2, s2);
    expect(errorOf(c2.takeEvents())).toBeUndefined();
    expect(s2.takeEvents()).toContainEqual({ type: 'early_data', data: enc('early hello') });
    expect(c2.summary?.earlyDataAccepted).toBe(true);
  });

  it('skips 0-RTT data the server rejects and completes the handshake', () => {
    const store = new MemorySessionStore();
    const c1 = new TlsClient(testClientConfig({ sessionStore: store }));
    const s1cfg = testServerConfig({ maxEarlyData: 1024, acceptEarlyData: true });
    const s1 = new TlsServer(s1cfg);
    c1.start();
    pump(c1, s1);
    const c2 = new TlsClient(testClientConfig({ sessionStore: store, earlyData: enc('early hello') }));
    const s2 = new TlsServer({ ...s1cfg, acceptEarlyData: false });
    c2.start();
    pump(c2, s2);
    expect(errorOf(c2.takeEvents())).toBeUndefined();
    expect(s2.takeEvents().some((e) => e.type === 'early_data')).toBe(false);
    expect(c2.summary).toMatchObject({ resumed: true, earlyDataAccepted: false });
  });

  it('authenticates the client when asked', () => {
    const { client, server, se } = connect({ certificates: [testServerConfig().certificates[0]] }, { requestClientCert: true, requireClientCert: true });
    expect(errorOf(se)).toBeUndefined();
    expect(server.summary?.peerCertificates.length).toBe(1);
    expect(client.state).toBe('connected');
  });

  it('a client without a certificate gets certificate_required when the server insists', () => {
    const { server, se } = connect({}, { requestClientCert: true, requireClientCert: true });
    expect(server.state).toBe('failed');
    expect(errorOf(se)).toMatchObject({ error: { alert: 'certificate_required' } });
  });

  it('negotiates ALPN and refuses a mismatch with no_application_protocol', () => {
    expect(connect({ alpn: ['h2', 'http/1.1'] }, { alpn: ['http/1.1'] }).client.summary?.alpn).toBe('http/1.1');
    const { se } = connect({ alpn: ['h2'] }, { alpn: ['http/1.1'] });
    expect(errorOf(se)).toMatchObject({ error: { alert: 'no_application_protocol', rule: 'RFC 7301 3.2' } });
  });

  it('updates keys both ways with KeyUpdate(update_requested)', () => {
    const { client, server } = connect();
    client.keyUpdate(true);
    pump(client, server);
    server.write(enc('after update'));
    client.write(enc('me too'));
    pump(client, server);
    const se = server.takeEvents();
    const ce = client.takeEvents();
    expect(se).toContainEqual({ type: 'application_data', data: enc('me too') });
    expect(ce).toContainEqual({ type: 'application_data', data: enc('after update') });
    expect(se.filter((e) => e.type === 'key_update').length).toBe(2); // read (requested) + write
    expect(errorOf(ce)).toBeUndefined();
  });

  it('close_notify closes one direction at a time (RFC 8446 6.1)', () => {
    const { client, server } = connect();
    client.write(enc('GET /'));
    client.close();
    pump(client, server);
    const se = server.takeEvents();
    expect(se).toContainEqual({ type: 'application_data', data: enc('GET /') });
    expect(se).toContainEqual({ type: 'closed', by: 'peer' });
    // The server's write side is still open: the answer arrives after the client closed its side.
    expect(server.state).toBe('connected');
    server.write(enc('response'));
    server.close();
    pump(client, server);
    expect(client.takeEvents()).toEqual(expect.arrayContaining([{ type: 'application_data', data: enc('response') }, { type: 'closed', by: 'peer' }]));
    expect(server.state).toBe('closed');
    expect(client.state).toBe('closed');
    // Nothing is written after close.
    server.write(enc('late'));
    expect(server.takeOutput().length).toBe(0);
  });

  it('a client rejects a server certificate for another name (bad_certificate)', () => {
    const { client, ce, se } = connect({ serverName: 'example.com' });
    expect(client.state).toBe('failed');
    expect(errorOf(ce)).toMatchObject({ error: { alert: 'bad_certificate' } });
    expect(errorOf(se)).toMatchObject({ error: { alert: 'bad_certificate', origin: 'alert-received' } });
  });

  it('a client rejects an expired certificate with certificate_expired (injected clock)', () => {
    const { ce } = connect({ now: () => Date.UTC(2060, 0, 1) });
    expect(errorOf(ce)).toMatchObject({ error: { alert: 'certificate_expired' } });
  });

  it('a tampered server Finished is a decrypt_error', () => {
    // Flip a bit in the last record the server sends in its first flight: the encrypted Finished.
    const client = new TlsClient(testClientConfig({ middleboxCompat: false }));
    const server = new TlsServer(testServerConfig());
    client.start();
    let n = 0;
    pump(client, server, {
      tap: (from, bytes) => {
        if (from === 'b' && n++ === 0) {
          const b = Uint8Array.from(bytes);
          b[b.length - 1] ^= 1;
          return b;
        }
        return bytes;
      },
    });
    // The flipped bit lands in the AEAD tag of the last record: bad_record_mac, the record layer's check.
    expect(errorOf(client.takeEvents())).toMatchObject({ error: { alert: 'bad_record_mac' } });
  });
});
