/**
 * TLS 1.2 interop over TCP against `openssl s_server -tls1_2` and `openssl s_client -tls1_2`: every suite of
 * TLS12_SUITES that the local OpenSSL offers, once per direction (RSA, ECDHE_ECDSA, ECDHE_RSA and DHE_RSA key
 * exchanges; GCM, ChaCha20-Poly1305 and CBC with SHA-1/256/384), with the extended master secret (RFC 7627)
 * and encrypt-then-MAC (RFC 7366) as negotiated by default, both switched off for a CBC suite, and resumption
 * by session ID and by ticket (RFC 5077); every ECDHE group (x25519, x448, P-256, P-384, P-521) and every
 * RFC 7919 DHE group (ffdhe2048 ... ffdhe8192) once per direction; P-521 and Ed448 server certificates.
 *
 * A handshake counts as complete only from protocol evidence (/work/shared/targets.md): the reference client
 * must receive s_server's `-www` page (it names the protocol, the cipher and "Extended master secret" of the
 * session OpenSSL negotiated), and s_client must print the page the reference server encrypted for it (it
 * names the suite, version, EMS and EtM the reference server negotiated). RSA key exchange and SHA-1 MACs need
 * `@SECLEVEL=0` on this Debian OpenSSL (its default security level is 2).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { connect as netConnect } from 'node:net';
import { AlertDescription, CipherSuite, ContentType, NamedGroup, ProtocolVersion, SignatureScheme, nameOf } from '../../codec/enums.ts';
import { encodeHandshake } from '../../codec/handshake.ts';
import { plainRecord } from '../peers.ts';
import { TEST_PKI } from '../testing.ts';
import { nobleProvider } from '../../crypto/noble/index.ts';
import { DUAL_CIPHER_SUITES, MemorySessionStore, TLS12_CIPHER_SUITES } from '../config.ts';
import { connectTls, type TlsListener, type TlsSocket } from '../tcp.ts';
import { EC_GROUPS, FF_GROUPS, PEM, TLS12_OPENSSL_CIPHERS, TLS12_SUITES, isCbc, opensslMissingSuites, probe, refClientConfig, refServer, runProgram, startProgram, type Program, SHA384_ONLY_CLIENT_AUTH } from './helpers.ts';

/** GnuTLS's PKCS#3 files of the RFC 7919 groups (vectors/ffdhe/), for s_server -dhparam. */
const dhparam = (g: string) => fileURLToPath(new URL(`../../../../vectors/ffdhe/rfc7919-${g}.pem`, import.meta.url));

const dec = (b: Uint8Array) => new TextDecoder().decode(b);
const noOpenssl = probe('openssl', ['version']);
if (noOpenssl) console.log(`interop/openssl12.test.ts: skipping: ${noOpenssl}`);
const missing = noOpenssl ? new Set<string>() : (opensslMissingSuites() ?? new Set<string>());
for (const s of missing) console.log(`interop/openssl12.test.ts: skipping ${s}: not offered by this openssl (openssl ciphers -stdname)`);

/** GET / over the reference client; the whole response (s_server -www closes after it). */
async function get(t: TlsSocket): Promise<string> {
  let all = '';
  t.on('data', (d) => (all += dec(d)));
  t.write('GET / HTTP/1.0\r\n\r\n');
  const r = await t.closed;
  expect(r.error).toBeUndefined();
  return all;
}

/** s_server capped at TLS 1.2 with an RSA and a P-256 certificate (-cert / -dcert), every matrix suite enabled. */
function sServer12(extra: string[], base: number): Promise<Program> {
  return startProgram(
    'openssl',
    (port) => [
      's_server', '-accept', `127.0.0.1:${port}`, '-tls1_2', '-www', '-cipher', TLS12_OPENSSL_CIPHERS,
      '-cert', PEM.rsa[0], '-key', PEM.rsa[1], '-dcert', PEM.p256[0], '-dkey', PEM.p256[1], ...extra,
    ],
    /ACCEPT/,
    base,
  );
}

const tls12Client = (suite: number, partial = {}) => refClientConfig({ minVersion: 'TLSv1.2', maxVersion: 'TLSv1.2', cipherSuites: [suite], ...partial });

it('the matrix has every TLS 1.2 suite of the reference', () => {
  expect(TLS12_SUITES.map(([iana]) => iana).sort()).toEqual(TLS12_CIPHER_SUITES.map((c) => nameOf(CipherSuite, c)).sort());
});

describe.skipIf(noOpenssl)('TLS 1.2 interop: groups and certificates, reference client -> openssl s_server -tls1_2', () => {
  // RFC 8422 5.1.1 / 5.4: the server picks a curve the client offered; the reference client offers only ${group}.
  for (const [group, ossl] of EC_GROUPS) {
    it(`ECDHE over ${group} (s_server -groups ${ossl})`, async () => {
      const s = await sServer12(['-groups', ossl], 11000);
      try {
        const c = await connectTls('127.0.0.1', s.port, tls12Client(CipherSuite.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, { groups: [NamedGroup[group]] }));
        expect(c.summary).toMatchObject({ version: 'TLSv1.2', cipherSuite: CipherSuite.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, group: NamedGroup[group] });
        expect(await get(c)).toMatch(/Cipher is ECDHE-RSA-AES128-GCM-SHA256\n/);
      } finally {
        await s.stop();
      }
    });
  }

  // OpenSSL 3.0 ignores ffdhe groups in a TLS 1.2 supported_groups and uses -dhparam: the reference client
  // recognises the RFC 7919 prime in ServerDHParams (RFC 7919 4) and reports the group.
  for (const [group] of FF_GROUPS) {
    it(`DHE over ${group} (s_server -dhparam rfc7919-${group}.pem)`, async () => {
      const s = await sServer12(['-dhparam', dhparam(group)], 12000);
      try {
        const c = await connectTls('127.0.0.1', s.port, tls12Client(CipherSuite.TLS_DHE_RSA_WITH_AES_128_GCM_SHA256, { groups: [NamedGroup[group]] }));
        expect(c.summary).toMatchObject({ version: 'TLSv1.2', cipherSuite: CipherSuite.TLS_DHE_RSA_WITH_AES_128_GCM_SHA256, group: NamedGroup[group] });
        expect(await get(c)).toMatch(/Cipher is DHE-RSA-AES128-GCM-SHA256\n/);
      } finally {
        await s.stop();
      }
    });
  }

  // TLS 1.2 leaves the ECDSA hash free (RFC 5246 7.4.1.4.1); the client offers ecdsa_secp521r1_sha512 first so that
  // s_server signs with it. Ed448 in TLS 1.2: RFC 8422 5.1.3 (ECDHE_ECDSA suites with EdDSA certificates).
  for (const [name, pem, scheme, base] of [
    ['P-521', PEM.p521, SignatureScheme.ecdsa_secp521r1_sha512, 13000],
    ['Ed448', PEM.ed448, SignatureScheme.ed448, 14000],
  ] as const) {
    it(`an ${name} server certificate: ECDHE_ECDSA with ${nameOf(SignatureScheme, scheme)}`, async () => {
      const s = await startProgram(
        'openssl',
        (port) => ['s_server', '-accept', `127.0.0.1:${port}`, '-tls1_2', '-www', '-cert', pem[0], '-key', pem[1], '-cipher', 'ECDHE-ECDSA-AES128-GCM-SHA256'],
        /ACCEPT/,
        base,
      );
      try {
        const c = await connectTls('127.0.0.1', s.port, tls12Client(CipherSuite.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, { signatureSchemes: [scheme, SignatureScheme.ecdsa_secp256r1_sha256] }));
        expect(c.summary).toMatchObject({ version: 'TLSv1.2', signatureScheme: scheme });
        expect(await get(c)).toMatch(/Cipher is ECDHE-ECDSA-AES128-GCM-SHA256\n/);
      } finally {
        await s.stop();
      }
    });
  }
});

describe.skipIf(noOpenssl)('TLS 1.2 interop: reference client -> openssl s_server -tls1_2', () => {
  let srv: Program;
  beforeAll(async () => {
    srv = await sServer12([], 6000);
  });
  afterAll(() => srv?.stop());

  for (const [iana, ossl, key] of TLS12_SUITES) {
    it.skipIf(missing.has(iana))(`${iana}: the -www page names ${ossl}, EMS on${isCbc(iana) ? ', EtM on' : ''}`, async () => {
      const c = await connectTls('127.0.0.1', srv.port, tls12Client(CipherSuite[iana]));
      expect(c.summary).toMatchObject({ version: 'TLSv1.2', cipherSuite: CipherSuite[iana], resumed: false, extendedMasterSecret: true, encryptThenMac: isCbc(iana) });
      if (iana.startsWith('TLS_RSA_')) expect(c.summary).toMatchObject({ group: undefined, signatureScheme: undefined });
      else if (key === 'p256') expect(c.summary?.signatureScheme).toBe(SignatureScheme.ecdsa_secp256r1_sha256);
      const page = await get(c);
      expect(page).toMatch(/^HTTP\/1\.0 200 ok\r\n/);
      expect(page).toMatch(new RegExp(`\\nNew, \\S+, Cipher is ${ossl}\\n`));
      expect(page).toMatch(/Protocol {2}: TLSv1\.2\n/);
      expect(page).toMatch(/Extended master secret: yes/);
    });
  }

  it('without encrypt-then-MAC (s_server -no_etm) and without EMS (reference client): TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256', async () => {
    const noEtm = await sServer12(['-no_etm'], 7000);
    try {
      const c = await connectTls('127.0.0.1', noEtm.port, tls12Client(CipherSuite.TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256, { extendedMasterSecret: false }));
      expect(c.summary).toMatchObject({ cipherSuite: CipherSuite.TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256, extendedMasterSecret: false, encryptThenMac: false });
      const page = await get(c);
      expect(page).toMatch(/Cipher is ECDHE-RSA-AES128-SHA256\n/);
      expect(page).toMatch(/Extended master secret: no/);
    } finally {
      await noEtm.stop();
    }
  });

  for (const [suite, by] of [
    ['TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256', 'ticket'],
    ['TLS_RSA_WITH_AES_128_CBC_SHA', 'session ID'],
    ['TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384', 'session ID'],
    ['TLS_RSA_WITH_AES_256_GCM_SHA384', 'ticket'],
  ] as const) {
    it.skipIf(missing.has(suite))(`resumes by ${by} with ${suite} ("Reused" in the page)`, async () => {
      const store = new MemorySessionStore();
      const cfg = tls12Client(CipherSuite[suite], { sessionStore: store, sessionTickets12: by === 'ticket' });
      const c1 = await connectTls('127.0.0.1', srv.port, cfg);
      const p1 = await get(c1);
      expect(p1).toMatch(/\nNew, /);
      const stored = store.get12('localhost');
      expect(stored).toBeDefined();
      if (by === 'ticket') expect(stored!.ticket?.length).toBeGreaterThan(0);
      else expect(stored!.ticket).toBeUndefined();
      const c2 = await connectTls('127.0.0.1', srv.port, cfg);
      expect(c2.summary).toMatchObject({ version: 'TLSv1.2', resumed: true, cipherSuite: CipherSuite[suite], extendedMasterSecret: true, peerCertificates: [] });
      const p2 = await get(c2);
      expect(p2).toMatch(/\nReused, /);
      expect(p2).toMatch(/session cache hits/);
    });
  }
});

describe.skipIf(noOpenssl)('TLS 1.2 interop: openssl s_client -tls1_2 -> reference server', () => {
  let listener: TlsListener;
  let conns: TlsSocket[];
  let dir: string;
  beforeAll(async () => {
    // A dual-version server (TLS 1.3 and 1.2 suites, the default min/maxVersion): s_client -tls1_2 gets TLS 1.2.
    ({ listener, conns } = await refServer({ cipherSuites: DUAL_CIPHER_SUITES }));
    dir = mkdtempSync(join(tmpdir(), 'interop-openssl12-'));
  });
  afterAll(async () => {
    await listener.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const sClient = (args: string[], port = listener.port) =>
    runProgram(
      'openssl',
      ['s_client', '-connect', `127.0.0.1:${port}`, '-tls1_2', '-CAfile', PEM.ca, '-servername', 'localhost', '-verify_return_error', '-ign_eof', ...args],
      'GET / HTTP/1.0\r\n\r\n',
    );
  /** The server side of the latest s_client connection (they run one at a time). */
  const last = (list: TlsSocket[]) => list.at(-1)!;

  for (const [iana, ossl] of TLS12_SUITES) {
    it.skipIf(missing.has(iana))(`s_client -cipher ${ossl}: the reference server's page reaches s_client`, async () => {
      const r = await sClient(['-cipher', `${ossl}:@SECLEVEL=0`]);
      expect(r.stdout).toMatch(`reference server: suite=0x${CipherSuite[iana].toString(16)} `);
      expect(r.stdout).toMatch(`resumed=false version=TLSv1.2 ems=true etm=${isCbc(iana)}\n`);
      expect(r.stdout).toMatch(/Verify return code: 0 \(ok\)/);
      const server = last(conns);
      expect(server.summary).toMatchObject({ version: 'TLSv1.2', cipherSuite: CipherSuite[iana], extendedMasterSecret: true, encryptThenMac: isCbc(iana) });
      expect((await server.closed).error).toBeUndefined();
    });
  }

  for (const [group, ossl] of EC_GROUPS) {
    it(`s_client -groups ${ossl}: ECDHE over ${group}`, async () => {
      const r = await sClient(['-cipher', 'ECDHE-RSA-AES128-GCM-SHA256', '-groups', ossl]);
      expect(r.stdout).toMatch(`group=0x${NamedGroup[group].toString(16)} resumed=false version=TLSv1.2`);
      expect(last(conns).summary).toMatchObject({ version: 'TLSv1.2', group: NamedGroup[group] });
    });
  }

  // OpenSSL 3.0's TLS 1.2 client sends no ffdhe groups, so the server chooses (RFC 7919 4): one with only ${group}.
  for (const [group] of FF_GROUPS) {
    it(`s_client -cipher DHE-RSA-AES128-GCM-SHA256 against a server with ${group} only`, async () => {
      const only = await refServer({ cipherSuites: DUAL_CIPHER_SUITES, groups: [NamedGroup[group]] });
      try {
        const r = await sClient(['-cipher', 'DHE-RSA-AES128-GCM-SHA256'], only.listener.port);
        expect(r.stdout).toMatch(`suite=0x${CipherSuite.TLS_DHE_RSA_WITH_AES_128_GCM_SHA256.toString(16)} group=0x${NamedGroup[group].toString(16)} resumed=false version=TLSv1.2`);
        expect(r.stdout).toMatch(new RegExp(`Server Temp Key: DH, ${group.slice(5)} bits`));
      } finally {
        await only.listener.close();
      }
    });
  }

  for (const [sigalgs, scheme] of [
    ['ecdsa_secp521r1_sha512', SignatureScheme.ecdsa_secp521r1_sha512],
    ['ed448', SignatureScheme.ed448],
  ] as const) {
    it(`s_client -sigalgs ${sigalgs}: the reference server signs with its ${sigalgs === 'ed448' ? 'Ed448' : 'P-521'} certificate`, async () => {
      const r = await sClient(['-cipher', 'ECDHE-ECDSA-AES128-GCM-SHA256', '-sigalgs', sigalgs]);
      expect(r.stdout).toMatch(/reference server: suite=.* version=TLSv1\.2/);
      expect(r.stdout).toMatch(/Verify return code: 0 \(ok\)/);
      expect(last(conns).summary).toMatchObject({ version: 'TLSv1.2', signatureScheme: scheme });
    });
  }

  it('without EtM (s_client -no_etm) and without EMS (reference server): AES128-SHA256', async () => {
    const noEms = await refServer({ cipherSuites: DUAL_CIPHER_SUITES, extendedMasterSecret: false });
    try {
      const r = await sClient(['-cipher', 'AES128-SHA256:@SECLEVEL=0', '-no_etm'], noEms.listener.port);
      expect(r.stdout).toMatch(`suite=0x${CipherSuite.TLS_RSA_WITH_AES_128_CBC_SHA256.toString(16)} `);
      expect(r.stdout).toMatch(/version=TLSv1\.2 ems=false etm=false\n/);
      expect(r.stdout).toMatch(/Extended master secret: no/);
      expect(last(noEms.conns).summary).toMatchObject({ extendedMasterSecret: false, encryptThenMac: false });
    } finally {
      await noEms.listener.close();
    }
  });

  for (const [ossl, iana, by] of [
    ['ECDHE-ECDSA-AES128-GCM-SHA256', 'TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256', 'ticket'],
    ['AES128-SHA', 'TLS_RSA_WITH_AES_128_CBC_SHA', 'ticket'],
    ['ECDHE-RSA-AES256-GCM-SHA384', 'TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384', 'session ID'],
    ['AES256-SHA', 'TLS_RSA_WITH_AES_256_CBC_SHA', 'session ID'],
  ] as const) {
    it.skipIf(missing.has(iana))(`-sess_out / -sess_in resume by ${by} with ${ossl}`, async () => {
      const sess = join(dir, `${ossl}.pem`);
      const extra = ['-cipher', `${ossl}:@SECLEVEL=0`, ...(by === 'session ID' ? ['-no_ticket'] : [])];
      const r1 = await sClient([...extra, '-sess_out', sess]);
      expect(r1.stdout).toMatch(/resumed=false version=TLSv1\.2/);
      // s_client prints the session: a ticket when one was issued, else only the session ID.
      if (by === 'ticket') expect(r1.stdout).toMatch(/TLS session ticket:/);
      else expect(r1.stdout).not.toMatch(/TLS session ticket:/);
      const r2 = await sClient([...extra, '-sess_in', sess]);
      expect(r2.stdout).toMatch(`suite=0x${CipherSuite[iana].toString(16)} group=0x0 resumed=true version=TLSv1.2 ems=true`);
      expect(r2.stdout).toMatch(/^Reused, /m);
      expect(last(conns).summary).toMatchObject({ resumed: true, cipherSuite: CipherSuite[iana], peerCertificates: [] });
    });
  }
});

/**
 * TLS 1.2 signature algorithms against OpenSSL, both roles. RFC 8446 4.2.3: in TLS 1.2 "the old semantics did
 * not constrain the signing curve": ECDSA P-256 with SHA-384 is legal (and what OpenSSL signs with when
 * `-sigalgs ECDSA+SHA384` leaves it nothing else). RFC 9155 (paraphrase): no MD5 or SHA-1 signatures, and no TLS
 * 1.2 signature without signature_algorithms; `legacySha1Signatures` restores SHA-1 for legacy peers.
 * Evidence: s_server's -www page ("Shared Signature Algorithms", "Peer signing digest" of a client
 * certificate), s_client's "Peer signing digest" and the page the reference server encrypted for it.
 */
describe.skipIf(noOpenssl)('TLS 1.2 interop: signature algorithms (RFC 8446 4.2.3, RFC 9155)', () => {
  const ECDSA_GCM = CipherSuite.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256;
  /** s_server capped at TLS 1.2 with the P-256 certificate only. */
  const sServerP256 = (extra: string[], base: number) =>
    startProgram('openssl', (port) => ['s_server', '-accept', `127.0.0.1:${port}`, '-tls1_2', '-www', '-cert', PEM.p256[0], '-key', PEM.p256[1], ...extra], /ACCEPT/, base);
  const withServer = async (extra: string[], base: number, fn: (port: number) => Promise<void>) => {
    const srv = await sServerP256(extra, base);
    try {
      await fn(srv.port);
    } finally {
      await srv.stop();
    }
  };
  const sClient = (port: number, args: string[]) =>
    runProgram('openssl', ['s_client', '-connect', `127.0.0.1:${port}`, '-tls1_2', '-CAfile', PEM.ca, '-servername', 'localhost', '-verify_return_error', '-ign_eof', ...args], 'GET / HTTP/1.0\r\n\r\n');

  it('reference client -> s_server -sigalgs ECDSA+SHA384 with a P-256 key: the ServerKeyExchange is P-256 + SHA-384 and verifies', async () => {
    await withServer(['-sigalgs', 'ECDSA+SHA384'], 8000, async (port) => {
      const c = await connectTls('127.0.0.1', port, tls12Client(ECDSA_GCM));
      expect(c.summary).toMatchObject({ version: 'TLSv1.2', cipherSuite: ECDSA_GCM, signatureScheme: SignatureScheme.ecdsa_secp384r1_sha384 });
      const page = await get(c);
      expect(page).toMatch(/\nShared Signature Algorithms: ECDSA\+SHA384\n/);
      expect(page).toMatch(/\nNew, TLSv1\.2, Cipher is ECDHE-ECDSA-AES128-GCM-SHA256\n/);
    });
  });

  it('reference client with a P-256 certificate -> s_server -client_sigalgs ECDSA+SHA384: the CertificateVerify is P-256 + SHA-384 ("Peer signing digest: SHA384")', async () => {
    await withServer(['-Verify', '1', '-CAfile', PEM.ca, '-client_sigalgs', 'ECDSA+SHA384'], 8100, async (port) => {
      const c = await connectTls('127.0.0.1', port, tls12Client(ECDSA_GCM, { certificates: [TEST_PKI.client()] }));
      const page = await get(c);
      expect(page).toMatch(/\nPeer signing digest: SHA384\nPeer signature type: ECDSA\n/);
      expect(page).toMatch(/\nClient certificate\n/);
      expect(page).toMatch(/Verify return code: 0 \(ok\)/);
    });
  });

  it('s_client -sigalgs ECDSA+SHA384 -> reference server with a P-256 key: signed with P-256 + SHA-384, s_client verifies it', async () => {
    const { listener, conns } = await refServer({ cipherSuites: DUAL_CIPHER_SUITES, certificates: [TEST_PKI.p256()] });
    try {
      const r = await sClient(listener.port, ['-sigalgs', 'ECDSA+SHA384']);
      expect(r.stdout).toMatch(/\nPeer signing digest: SHA384\n/);
      expect(r.stdout).toMatch(/\nPeer signature type: ECDSA\n/);
      expect(r.stdout).toMatch(`reference server: suite=0x${ECDSA_GCM.toString(16)} `);
      expect(conns.at(-1)!.summary).toMatchObject({ version: 'TLSv1.2', signatureScheme: SignatureScheme.ecdsa_secp384r1_sha384 });
    } finally {
      await listener.close();
    }
  });

  it('s_client with a P-256 certificate -> reference server whose CertificateRequest lists ECDSA only with SHA-384: the CertificateVerify verifies', async () => {
    const { listener, conns } = await refServer(SHA384_ONLY_CLIENT_AUTH);
    try {
      const r = await sClient(listener.port, ['-cert', PEM.client[0], '-key', PEM.client[1]]);
      expect(r.stdout).toMatch(/resumed=false version=TLSv1\.2/);
      const server = conns.at(-1)!;
      expect((await server.closed).error).toBeUndefined();
      // s_client sends the leaf and the chain file's CA: the leaf is the client certificate.
      expect(Buffer.from(server.summary!.peerCertificates[0]).equals(Buffer.from(TEST_PKI.client().chain[0]))).toBe(true);
      expect(server.summary?.signatureScheme).toBe(SignatureScheme.ecdsa_secp384r1_sha384);
    } finally {
      await listener.close();
    }
  });

  // ecdsa_secp521r1_sha512 (SHA-512) with a P-256 key needs the provider to know the scheme (the groups branch adds
  // P-521): skipped, with the reason, until it does.
  const has521 = (() => {
    try {
      nobleProvider.sign('ecdsa_secp521r1_sha512' as Parameters<typeof nobleProvider.sign>[0], TEST_PKI.p256().key, new Uint8Array(1), { ecdsaAnyCurve: true });
      return true;
    } catch {
      console.log('interop/openssl12.test.ts: skipping the ECDSA+SHA512 cases: the crypto provider has no ecdsa_secp521r1_sha512');
      return false;
    }
  })();
  const SHA512_ONLY = [SignatureScheme.ecdsa_secp521r1_sha512, SignatureScheme.rsa_pss_rsae_sha256];

  it.skipIf(!has521)('reference client -> s_server -sigalgs ECDSA+SHA512 with a P-256 key: P-256 + SHA-512 verifies', async () => {
    await withServer(['-sigalgs', 'ECDSA+SHA512'], 8400, async (port) => {
      const c = await connectTls('127.0.0.1', port, tls12Client(ECDSA_GCM, { signatureSchemes: SHA512_ONLY }));
      expect(c.summary?.signatureScheme).toBe(SignatureScheme.ecdsa_secp521r1_sha512);
      expect(await get(c)).toMatch(/\nShared Signature Algorithms: ECDSA\+SHA512\n/);
    });
  });

  it.skipIf(!has521)('s_client -sigalgs ECDSA+SHA512 -> reference server with a P-256 key: signed with P-256 + SHA-512', async () => {
    const { listener, conns } = await refServer({ cipherSuites: DUAL_CIPHER_SUITES, certificates: [TEST_PKI.p256()], signatureSchemes: SHA512_ONLY });
    try {
      const r = await sClient(listener.port, ['-sigalgs', 'ECDSA+SHA512']);
      expect(r.stdout).toMatch(/\nPeer signing digest: SHA512\n/);
      expect(r.stdout).toMatch(`reference server: suite=0x${ECDSA_GCM.toString(16)} `);
      expect(conns.at(-1)!.summary?.signatureScheme).toBe(SignatureScheme.ecdsa_secp521r1_sha512);
    } finally {
      await listener.close();
    }
  });

  it('s_client -sigalgs ECDSA+SHA1 -> reference server: handshake_failure (no SHA-1, RFC 9155); with legacySha1Signatures it signs with ecdsa_sha1', async () => {
    const strict = await refServer({ cipherSuites: DUAL_CIPHER_SUITES, certificates: [TEST_PKI.p256()] });
    try {
      const r = await sClient(strict.listener.port, ['-sigalgs', 'ECDSA+SHA1', '-cipher', 'ECDHE-ECDSA-AES128-GCM-SHA256:@SECLEVEL=0']);
      expect(r.stdout + r.stderr).toMatch(/alert handshake failure/);
      expect(r.stdout).not.toMatch(/reference server:/);
      expect((await strict.conns.at(-1)!.closed).error).toMatchObject({ alert: 'handshake_failure', rule: 'RFC 9155' });
    } finally {
      await strict.listener.close();
    }
    const legacy = await refServer({ cipherSuites: DUAL_CIPHER_SUITES, certificates: [TEST_PKI.p256()], legacySha1Signatures: true });
    try {
      const r = await sClient(legacy.listener.port, ['-sigalgs', 'ECDSA+SHA1', '-cipher', 'ECDHE-ECDSA-AES128-GCM-SHA256:@SECLEVEL=0']);
      expect(r.stdout).toMatch(/\nPeer signing digest: SHA1\n/);
      expect(r.stdout).toMatch(`reference server: suite=0x${ECDSA_GCM.toString(16)} `);
      expect(legacy.conns.at(-1)!.summary?.signatureScheme).toBe(SignatureScheme.ecdsa_sha1);
    } finally {
      await legacy.listener.close();
    }
  });

  it('reference client -> s_server -sigalgs ECDSA+SHA1: no shared scheme, OpenSSL refuses; a legacySha1Signatures client gets ecdsa_sha1', async () => {
    await withServer(['-sigalgs', 'ECDSA+SHA1', '-cipher', 'ECDHE-ECDSA-AES128-GCM-SHA256:@SECLEVEL=0'], 8200, async (port) => {
      // The reference client offers no SHA-1 scheme (RFC 9155), so OpenSSL has nothing to sign with.
      await expect(connectTls('127.0.0.1', port, tls12Client(ECDSA_GCM))).rejects.toMatchObject({ alert: 'handshake_failure' });
      const c = await connectTls('127.0.0.1', port, tls12Client(ECDSA_GCM, { legacySha1Signatures: true }));
      expect(c.summary?.signatureScheme).toBe(SignatureScheme.ecdsa_sha1);
      expect(await get(c)).toMatch(/\nShared Signature Algorithms: ECDSA\+SHA1\n/);
    });
  });

  /** A TLS 1.2 ClientHello without signature_algorithms (s_client cannot leave it out), built with the codec. */
  const bareClientHello = (suites: number[]) =>
    plainRecord(
      ContentType.handshake,
      encodeHandshake({
        msg_type: 'client_hello',
        legacy_version: ProtocolVersion.TLS1_2,
        random: new Uint8Array(32).fill(7),
        legacy_session_id: new Uint8Array(0),
        cipher_suites: suites,
        legacy_compression_methods: [0],
        extensions: [
          { type: 'supported_groups', named_group_list: [NamedGroup.x25519, NamedGroup.secp256r1] },
          { type: 'ec_point_formats', ec_point_format_list: [0] },
        ],
      }),
    );
  /** The first record a server answers `hello` with (the connection is closed after it or after 2 s). */
  const firstRecord = (port: number, hello: Uint8Array) =>
    new Promise<Uint8Array>((resolve) => {
      const s = netConnect(port, '127.0.0.1', () => s.write(hello));
      let got = Buffer.alloc(0);
      const done = () => {
        clearTimeout(timer);
        s.destroy();
        resolve(new Uint8Array(got.subarray(0, 5 + (got.length >= 5 ? got.readUInt16BE(3) : 0))));
      };
      const timer = setTimeout(done, 2000);
      s.on('data', (d) => {
        got = Buffer.concat([got, d]);
        if (got.length >= 5 && got.length >= 5 + got.readUInt16BE(3)) done();
      });
      s.on('error', done);
      s.on('close', done);
    });
  const HANDSHAKE_FAILURE = [ContentType.alert, 3, 3, 0, 2, 2, AlertDescription.handshake_failure];

  it('a ClientHello without signature_algorithms offering only ECDHE suites: the reference server and s_server both answer a fatal handshake_failure', async () => {
    const hello = bareClientHello([ECDSA_GCM, CipherSuite.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256]);
    const { listener, conns } = await refServer({ cipherSuites: DUAL_CIPHER_SUITES });
    try {
      expect([...(await firstRecord(listener.port, hello))]).toEqual(HANDSHAKE_FAILURE);
      expect((await conns.at(-1)!.closed).error).toMatchObject({ alert: 'handshake_failure', rule: 'RFC 9155' });
    } finally {
      await listener.close();
    }
    // OpenSSL 3.0 at its default security level does the same ("no suitable signature algorithm").
    await withServer([], 8300, async (port) => {
      expect([...(await firstRecord(port, hello))]).toEqual(HANDSHAKE_FAILURE);
    });
  });

  it('a ClientHello without signature_algorithms that also offers the RSA key exchange: the reference server chooses it (no signature needed)', async () => {
    const hello = bareClientHello([CipherSuite.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, CipherSuite.TLS_RSA_WITH_AES_128_GCM_SHA256]);
    const { listener } = await refServer({ cipherSuites: DUAL_CIPHER_SUITES });
    try {
      const rec = await firstRecord(listener.port, hello);
      expect(rec[0]).toBe(ContentType.handshake);
      // ServerHello: type 2, then version, random, session_id, cipher_suite.
      expect(rec[5]).toBe(2);
      const sidLen = rec[5 + 4 + 2 + 32];
      const at = 5 + 4 + 2 + 32 + 1 + sidLen;
      expect((rec[at] << 8) | rec[at + 1]).toBe(CipherSuite.TLS_RSA_WITH_AES_128_GCM_SHA256);
    } finally {
      await listener.close();
    }
  });
});
