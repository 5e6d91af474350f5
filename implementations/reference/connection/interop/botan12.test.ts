/**
 * TLS 1.2 interop with Botan 2.19 (`botan tls_server` / `botan tls_client`, Debian package `botan`): the case of
 * issue 9 item 6. Botan's default policy signs a ServerKeyExchange made with a P-256 key with SHA-384
 * (ecdsa_secp384r1_sha384, 0x0503) when the client offers it; RFC 8446 4.2.3: in TLS 1.2 "the old semantics
 * did not constrain the signing curve", so the reference client must accept it (it refused it with "scheme
 * 0x503 does not fit the server's key"). The other way, a reference server with a P-256 key signing with SHA-384
 * is verified by Botan's client. Skipped, with the reason printed, when botan is not installed.
 *
 * Evidence: data echoed by Botan's server through the reference client; the reference server's page printed by
 * Botan's client. Botan listens on every address and serves one connection at a time.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, copyFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CipherSuite, SignatureScheme } from '../../codec/enums.ts';
import { DUAL_CIPHER_SUITES } from '../config.ts';
import { connectTls } from '../tcp.ts';
import { TEST_PKI } from '../testing.ts';
import { PEM, probe, refClientConfig, refServer, runProgram, startProgram, type Program } from './helpers.ts';

const noBotan = probe('botan', ['version']);
if (noBotan) console.log(`interop/botan12.test.ts: skipping: ${noBotan} (apt-get install botan)`);

const ECDSA_GCM = CipherSuite.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256;

describe.skipIf(noBotan)('TLS 1.2 interop with Botan 2: ECDSA P-256 with SHA-384 (RFC 8446 4.2.3)', () => {
  let srv: Program;
  let cas: string;
  beforeAll(async () => {
    srv = await startProgram('botan', (port) => ['tls_server', PEM.p256[0], PEM.p256[1], `--port=${port}`], /Listening for new connections/, 9500);
    // botan tls_client takes a directory of trust anchors.
    cas = mkdtempSync(join(tmpdir(), 'interop-botan12-'));
    copyFileSync(PEM.ca, join(cas, 'ca.pem'));
  });
  afterAll(async () => {
    await srv?.stop();
    if (cas) rmSync(cas, { recursive: true, force: true });
  });

  it('reference client -> botan tls_server (P-256): Botan signs with ecdsa_secp384r1_sha384 and the reference client accepts it', async () => {
    const c = await connectTls('127.0.0.1', srv.port, refClientConfig({ minVersion: 'TLSv1.2', maxVersion: 'TLSv1.2', cipherSuites: [ECDSA_GCM] }));
    expect(c.summary).toMatchObject({ version: 'TLSv1.2', cipherSuite: ECDSA_GCM, signatureScheme: SignatureScheme.ecdsa_secp384r1_sha384 });
    const echoed = new Promise<string>((resolve) => {
      let all = '';
      c.on('data', (d) => {
        all += new TextDecoder().decode(d);
        if (all.includes('\n')) resolve(all);
      });
    });
    c.write('hello botan\n');
    expect(await echoed).toBe('hello botan\n');
    expect((await c.close()).error).toBeUndefined();
    expect(srv.stdout()).toMatch(/Handshake complete, TLS v1\.2 using ECDHE_ECDSA_WITH_AES_128_GCM_SHA256/);
  });

  it('botan tls_client -> reference server (P-256) signing with ecdsa_secp384r1_sha384: Botan verifies it and prints the page', async () => {
    const { listener, conns } = await refServer({
      cipherSuites: DUAL_CIPHER_SUITES,
      certificates: [TEST_PKI.p256()],
      signatureSchemes: [SignatureScheme.ecdsa_secp384r1_sha384, SignatureScheme.rsa_pss_rsae_sha256],
    });
    try {
      const r = await runProgram('botan', ['tls_client', '127.0.0.1', `--port=${listener.port}`, `--trusted-cas=${cas}`, '--skip-system-cert-store'], 'GET / HTTP/1.0\r\n\r\n', 10_000, /reference server: /);
      expect(r.stdout).toMatch(/Certificate validation status: Verified/);
      expect(r.stdout).toMatch(/Handshake complete, TLS v1\.2 using ECDHE_ECDSA_WITH_AES_128_GCM_SHA256/);
      expect(r.stdout).toMatch(`reference server: suite=0x${ECDSA_GCM.toString(16)} `);
      expect(conns.at(-1)!.summary).toMatchObject({ version: 'TLSv1.2', signatureScheme: SignatureScheme.ecdsa_secp384r1_sha384 });
    } finally {
      await listener.close();
    }
  });
});
