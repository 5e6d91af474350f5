/**
 * Probing the embedded reference server in different configurations must find exactly what it serves.
 */
import { createServer, type Socket } from 'node:net';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { REFERENCE_CAPABILITIES, ReferenceTarget } from './reference.ts';
import { probeTarget, formatProbe } from './probe.ts';
import { TcpTarget } from './tcp.ts';
import { PERMISSIVE_CAPABILITIES, withTargetSettings } from './config.ts';
import type { Target } from './types.ts';
import { DUAL_CIPHER_SUITES, type EndpointConfig } from '../../implementations/reference/connection/config.ts';
import { loadCertificates, loadCertifiedKey } from '../../implementations/reference/connection/credentials.ts';
import { TEST_PKI } from '../../implementations/reference/connection/testing.ts';
import { listenOnLowPort } from '../../implementations/reference/connection/ports.ts';
import { NamedGroup } from '../../implementations/reference/codec/enums.ts';

const OTHER = (f: string) => fileURLToPath(new URL(`./fixtures/other-pki/${f}`, import.meta.url));
/** What the reference target serves: every TLS 1.3 suite, CCM_8 included (TLS13_CIPHER_SUITES). */
const TLS13_SUITES = ['TLS_AES_128_GCM_SHA256', 'TLS_AES_256_GCM_SHA384', 'TLS_CHACHA20_POLY1305_SHA256', 'TLS_AES_128_CCM_SHA256', 'TLS_AES_128_CCM_8_SHA256'];
const ALL_GROUPS = ['x25519', 'secp256r1', 'x448', 'secp384r1', 'secp521r1', 'ffdhe2048', 'ffdhe3072', 'ffdhe4096', 'ffdhe6144', 'ffdhe8192'];

const started: Target[] = [];
async function reference(server: Partial<EndpointConfig>): Promise<Target> {
  const t = new ReferenceTarget({ server });
  await t.start();
  started.push(t);
  return t;
}
afterEach(async () => {
  for (const t of started.splice(0)) await t.stop();
});

describe('probeTarget', () => {
  it('the default reference target: probing finds the versions, suites, groups and ALPN REFERENCE_CAPABILITIES claims (TLS 1.3 and 1.2)', async () => {
    const t = await reference({});
    const { capabilities } = await probeTarget(t);
    expect(capabilities.versions).toEqual(['tls13', 'tls12']);
    expect(capabilities.versions).toEqual(REFERENCE_CAPABILITIES.versions);
    expect(capabilities.cipher_suites).toEqual(REFERENCE_CAPABILITIES.cipher_suites);
    expect(capabilities.groups).toEqual(REFERENCE_CAPABILITIES.groups);
    expect(capabilities.alpn).toEqual(['http/1.1']);
  });

  it('a TLS 1.3-only server with only an RSA certificate: TLS 1.3, its suites and groups, RSA-PSS only', async () => {
    const t = await reference({ minVersion: 'TLSv1.3', certificates: [TEST_PKI.rsa()] });
    const { report, capabilities, chainOk } = await probeTarget(t);
    expect(capabilities.versions).toEqual(['tls13']);
    expect(capabilities.cipher_suites).toEqual(TLS13_SUITES);
    // The reference target serves what REFERENCE_CAPABILITIES claims: every group the reference implements.
    expect(capabilities.groups).toEqual(ALL_GROUPS);
    expect(capabilities.signature_schemes).toEqual(['rsa_pss_rsae_sha256', 'rsa_pss_rsae_sha384', 'rsa_pss_rsae_sha512']);
    // cauth: request_client_certificate is not probed but kept from the target's own capabilities (the
    // reference's second listener, a config's server.client_auth).
    expect(capabilities.features).toEqual(['hello_retry_request', 'psk', 'early_data', 'key_update', 'alpn', 'record_size_limit', 'max_fragment_length', 'middlebox_compat', 'sni', 'request_client_certificate']);
    expect(capabilities.alpn).toEqual(['http/1.1']);
    // Roles and concurrency stay the target's.
    expect(capabilities.roles).toEqual(['server', 'client']);
    expect(chainOk).toBe(true);
    expect(report.certificate).toMatchObject({ keyType: 'rsa2048', chainValid: true, subject: 'O=tls-harness, CN=localhost' });
    expect(report.certificates).toHaveLength(1);
    expect(report.certificates[0].signature_schemes).toEqual(['rsa_pss_rsae_sha256', 'rsa_pss_rsae_sha384', 'rsa_pss_rsae_sha512']);
    expect(report.notes.some((n) => n.startsWith('TLS 1.2: alert protocol_version received'))).toBe(true);
    // 2 (versions) + 10 (groups) + 8 (schemes) + 2 (ALPN) + 1 (HelloRetryRequest) + 1 (resumption) + 5 (suites by elimination)
    expect(report.handshakes).toBeLessThanOrEqual(29);
    const block = formatProbe('ref', report, { source: 'the test CA', verify: true });
    expect(block).toMatch(/versions +tls13\n/);
    expect(block).toMatch(/chain +valid \(trusting the test CA\)/);
  });

  it('a server with only x25519: that group alone, and a HelloRetryRequest for a missing share', async () => {
    const t = await reference({ groups: [NamedGroup.x25519] });
    const { capabilities, report } = await probeTarget(t);
    expect(capabilities.groups).toEqual(['x25519']);
    expect(capabilities.features).toContain('hello_retry_request');
    // Six certificates: each scheme is answered by the leaf that can sign it.
    expect(capabilities.signature_schemes).toEqual([
      'ecdsa_secp256r1_sha256',
      'ecdsa_secp384r1_sha384',
      'ecdsa_secp521r1_sha512',
      'ed25519',
      'ed448',
      'rsa_pss_rsae_sha256',
      'rsa_pss_rsae_sha384',
      'rsa_pss_rsae_sha512',
    ]);
    expect(report.certificates.map((c) => c.keyType).sort()).toEqual(['ecdsa-secp256r1', 'ecdsa-secp384r1', 'ecdsa-secp521r1', 'ed25519', 'ed448', 'rsa2048']);
  });

  it('a server with only secp256r1: the first handshake needs a HelloRetryRequest, the group probes find P-256 alone', async () => {
    const t = await reference({ groups: [NamedGroup.secp256r1] });
    const { capabilities } = await probeTarget(t);
    expect(capabilities.groups).toEqual(['secp256r1']);
    expect(capabilities.versions).toEqual(['tls13', 'tls12']);
  });

  it('a TLS 1.2-capable server: both versions, its TLS 1.2 suites by elimination', async () => {
    const t = await reference({ cipherSuites: DUAL_CIPHER_SUITES, certificates: [TEST_PKI.rsa()] });
    const { capabilities, report } = await probeTarget(t);
    expect(capabilities.versions).toEqual(['tls13', 'tls12']);
    // DUAL_CIPHER_SUITES: the four default TLS 1.3 suites (not CCM_8), then every TLS 1.2 suite.
    expect(capabilities.cipher_suites.slice(0, 4)).toEqual(TLS13_SUITES.slice(0, 4));
    // RSA certificate only: every RSA-authenticated TLS 1.2 suite (7 ECDHE_RSA, 7 DHE_RSA, 6 RSA), none of the ECDSA ones.
    expect(capabilities.cipher_suites).toEqual(
      expect.arrayContaining(['TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256', 'TLS_DHE_RSA_WITH_AES_128_GCM_SHA256', 'TLS_DHE_RSA_WITH_AES_256_CBC_SHA', 'TLS_RSA_WITH_AES_128_CBC_SHA']),
    );
    expect(capabilities.cipher_suites.filter((s) => s.includes('ECDSA'))).toEqual([]);
    expect(capabilities.cipher_suites).toHaveLength(4 + 20);
    // TLS 1.2 resumption by session ID and by ticket (3 handshakes).
    expect(capabilities.features).toEqual(expect.arrayContaining(['session_id_resumption', 'session_ticket']));
    expect(report.handshakes).toBeLessThanOrEqual(58);
  });

  it('client authentication, 0-RTT and ALPN h2 are found when the server has them', async () => {
    const t = await reference({ requestClientCert: true, maxEarlyData: 1024, acceptEarlyData: true, alpn: ['h2'] });
    const { capabilities } = await probeTarget(t);
    expect(capabilities.features).toEqual(expect.arrayContaining(['client_auth', 'early_data', 'psk', 'alpn']));
    expect(capabilities.alpn).toEqual(['h2']);
  });

  it('a server without tickets or ALPN: no psk, no alpn, and the notes say why', async () => {
    const t = await reference({ ticketsToSend: 0, alpn: [] });
    const { capabilities, report } = await probeTarget(t, { ticketWaitMs: 150 });
    expect(capabilities.features).not.toContain('psk');
    expect(capabilities.features).not.toContain('alpn');
    expect(capabilities.features).not.toContain('client_auth');
    expect(capabilities.features).not.toContain('early_data');
    expect(capabilities.alpn).toEqual([]);
    expect(report.notes).toContain('psk: no NewSessionTicket after the handshake');
  });

  it('a TLS 1.2 server without a session cache or tickets: neither resumption feature, and the notes say why', async () => {
    const t = await reference({ sessionTickets12: false, sessionCache12: undefined });
    const { capabilities, report } = await probeTarget(t);
    expect(capabilities.versions).toContain('tls12');
    expect(capabilities.features).not.toContain('session_id_resumption');
    expect(capabilities.features).not.toContain('session_ticket');
    expect(report.notes).toContain('session_id_resumption: a TLS 1.2 session ID offered again was not resumed');
    expect(report.notes).toContain('session_ticket: no TLS 1.2 NewSessionTicket');
  });

  it('a chain from another CA: invalid against the test CA, valid against --ca, unchecked with verification off', async () => {
    const t = await reference({ certificates: [loadCertifiedKey(OTHER('server.pem'), OTHER('server.key'))] });
    const untrusted = await probeTarget(t);
    expect(untrusted.chainOk).toBe(false);
    expect(untrusted.report.certificate).toMatchObject({ chainValid: false, keyType: 'ecdsa-secp256r1', issuer: 'O=tls-harness, CN=tls-harness other CA' });
    expect(untrusted.report.certificate?.error).toMatch(/no trusted issuer/);
    // Capabilities are found all the same.
    expect(untrusted.capabilities.versions).toEqual(['tls13', 'tls12']);
    expect(untrusted.capabilities.signature_schemes).toEqual(['ecdsa_secp256r1_sha256']);
    const trusted = await probeTarget(t, { trust: { roots: loadCertificates(OTHER('ca.pem')), verify: true } });
    expect(trusted.chainOk).toBe(true);
    expect(trusted.report.certificate?.chainValid).toBe(true);
    const off = await probeTarget(t, { trust: { roots: [], verify: false } });
    expect(off.chainOk).toBe(true);
    expect(off.report.certificate?.chainValid).toBeNull();
  });

  it('through a tcp:// target, sequentially, and through a target whose capabilities were overridden', async () => {
    const ref = await reference({});
    const port = Number(/:(\d+)$/.exec((await ref.connect({ caseId: 'x', signal: new AbortController().signal })).peer)![1]);
    const tcp = new TcpTarget({ host: '127.0.0.1', port, capabilities: PERMISSIVE_CAPABILITIES });
    const wrapped = withTargetSettings(tcp, { capabilities: { ...PERMISSIVE_CAPABILITIES, concurrent: false } });
    const { capabilities } = await probeTarget(wrapped, { concurrency: 1 });
    expect(capabilities.versions).toEqual(['tls13', 'tls12']);
    expect(capabilities.roles).toEqual(['server']);
    expect(capabilities.concurrent).toBe(false);
    await tcp.stop();
  });

  it('something that is not a TLS server: no version, every attempt explained', async () => {
    const sockets = new Set<Socket>();
    const srv = createServer((s) => {
      sockets.add(s);
      s.on('error', () => {});
      s.once('data', () => s.end('HTTP/1.0 400 Bad Request\r\n\r\n'));
    });
    const port = await listenOnLowPort(srv);
    try {
      const tcp = new TcpTarget({ host: '127.0.0.1', port, capabilities: PERMISSIVE_CAPABILITIES });
      const { capabilities, report } = await probeTarget(tcp, { timeoutMs: 2000 });
      expect(capabilities.versions).toEqual([]);
      expect(report.certificate).toBeNull();
      expect(report.handshakes).toBe(2);
      expect(report.notes).toHaveLength(2);
      expect(report.notes[0]).toMatch(/^TLS 1\.3: /);
    } finally {
      for (const s of sockets) s.destroy();
      await new Promise((r) => srv.close(r));
    }
  });
});
