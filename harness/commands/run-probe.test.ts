/**
 * `run --target tcp://` with probing and trust, end to end: the CLI in a child process against a reference
 * server in this process.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cliChild } from '../testing/cli-child.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTlsServer, type TlsListener } from '../../implementations/reference/connection/tcp.ts';
import { makeConfig } from '../../implementations/reference/connection/config.ts';
import { loadCertifiedKey } from '../../implementations/reference/connection/credentials.ts';
import { NamedGroup } from '../../implementations/reference/codec/enums.ts';

const bin = fileURLToPath(new URL('../../bin/tls-harness.js', import.meta.url));
const OTHER = (f: string) => fileURLToPath(new URL(`../targets/fixtures/other-pki/${f}`, import.meta.url));

/** The CLI, without blocking this process's event loop (the server under test lives here). */
const cli = cliChild;

const SCENARIOS = `id: probe-handshake
title: A full handshake with each group
rfc: { doc: 8446, section: "4.1.1", level: must, sentences: [rfc8446-4.1.1-1], quote: "then the server MUST abort the handshake" }
target: server
versions: [tls13]
matrix: { group: [x25519, secp384r1] }
requires: { groups: ["\${group}"] }
config: { groups: ["\${group}"], middlebox_compat: false }
steps:
  - send: ClientHello
  - expect: [ServerHello, EncryptedExtensions, Certificate, CertificateVerify, Finished]
  - send: Finished
  - expect: handshake_complete
`;

let dir: string;
let other: TlsListener;
let x25519Only: TlsListener;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'th-probe-run-'));
  writeFileSync(join(dir, 'probe-handshake.yaml'), SCENARIOS);
  const noop = () => {};
  // A server whose certificate is not from the test PKI.
  other = createTlsServer(makeConfig({ certificates: [loadCertifiedKey(OTHER('server.pem'), OTHER('server.key'))], alpn: ['http/1.1'] }), noop);
  await other.listen(0);
  // A server with the test PKI that has only x25519.
  const { TEST_PKI } = await import('../../implementations/reference/connection/testing.ts');
  x25519Only = createTlsServer(makeConfig({ certificates: [TEST_PKI.p256()], groups: [NamedGroup.x25519] }), noop);
  await x25519Only.listen(0);
});
afterAll(async () => {
  await other.close();
  await x25519Only.close();
});

describe('run --target tcp:// with probing and trust', () => {
  it('a chain from an untrusted CA is one setup error; the other cases run with chain validation off', async () => {
    const r = await cli(['run', '--target', `tcp://127.0.0.1:${other.port}`, '--scenarios', dir, '--report-dir', dir, '--run-id', 'untrusted']);
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toMatch(/chain +does NOT validate: no trusted issuer for "O=tls-harness, CN=tls-harness other CA" \(trusting the test CA\)/);
    expect(r.stdout).toMatch(/^ERROR +setup\.certificate-chain .*pass --ca FILE to trust the target's CA, or --no-verify-chain/m);
    expect(r.stdout).toMatch(/3 cases against tcp:\/\/127\.0\.0\.1:\d+: 2 passed, 0 lenient, 0 advisory, 0 failed, 1 errors, 0 skipped/);
    const report = JSON.parse(readFileSync(join(dir, 'untrusted', 'report.json'), 'utf8'));
    expect(report.trust).toEqual({ ca: 'the test CA', verifyChain: false, reason: 'the chain did not validate (setup.certificate-chain)' });
    expect(report.probe.certificate).toMatchObject({ chainValid: false, keyType: 'ecdsa-secp256r1' });
    // A default reference server serves TLS 1.3 and TLS 1.2.
    expect(report.probe.capabilities.versions).toEqual(['tls13', 'tls12']);
    expect(report.cases.find((c: { id: string }) => c.id === 'setup.certificate-chain').verdict).toBe('error');
  });

  it('with --ca the chain validates: no error', async () => {
    const r = await cli(['run', '--target', `tcp://127.0.0.1:${other.port}`, '--ca', OTHER('ca.pem'), '--scenarios', dir, '--report-dir', dir, '--run-id', 'trusted']);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stderr).toMatch(/chain +valid \(trusting .*other-pki\/ca\.pem\)/);
    expect(r.stdout).toMatch(/2 cases against tcp:\/\/127\.0\.0\.1:\d+: 2 passed, 0 lenient, 0 advisory, 0 failed, 0 errors, 0 skipped/);
    const report = JSON.parse(readFileSync(join(dir, 'trusted', 'report.json'), 'utf8'));
    expect(report.trust).toMatchObject({ verifyChain: true });
    expect(report.probe.certificate.chainValid).toBe(true);
  });

  it('--no-verify-chain: no chain check, reported as such', async () => {
    const r = await cli(['run', '--target', `tcp://127.0.0.1:${other.port}`, '--no-verify-chain', '--scenarios', dir, '--report-dir', dir, '--run-id', 'noverify']);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stderr).toMatch(/certificate chain is not validated \(--no-verify-chain\)/);
    const report = JSON.parse(readFileSync(join(dir, 'noverify', 'report.json'), 'utf8'));
    expect(report.trust).toMatchObject({ verifyChain: false });
    expect(report.probe.certificate.chainValid).toBeNull();
  });

  it('the probe makes cases for a group the server lacks skip; --no-probe with --groups states it by hand', async () => {
    const url = `tcp://127.0.0.1:${x25519Only.port}`;
    const probed = await cli(['run', '--target', url, '--scenarios', dir, '--report-dir', dir, '--run-id', 'x1']);
    expect(probed.code, probed.stdout + probed.stderr).toBe(0);
    expect(probed.stderr).toMatch(/groups +x25519\n/);
    expect(probed.stdout).toMatch(/^SKIP +probe-handshake\[group=secp384r1\] .*: the target lacks group secp384r1$/m);
    expect(probed.stdout).toMatch(/^PASS +probe-handshake\[group=x25519\]/m);
    // Without the probe, tcp:// claims everything, and the case (a positive one: it has no control) fails;
    // --groups says the truth by hand.
    const claimed = await cli(['run', '--target', url, '--no-probe', '--scenarios', dir, '--report-dir', dir, '--run-id', 'x2']);
    expect(claimed.code).toBe(1);
    expect(claimed.stdout).toMatch(/^FAIL +probe-handshake\[group=secp384r1\]/m);
    const byHand = await cli(['run', '--target', url, '--no-probe', '--groups', 'x25519', '--scenarios', dir, '--report-dir', dir, '--run-id', 'x3']);
    expect(byHand.code, byHand.stdout).toBe(0);
    expect(byHand.stdout).toMatch(/the target lacks group secp384r1/);
    expect(JSON.parse(readFileSync(join(dir, 'x3', 'report.json'), 'utf8')).probe).toBeUndefined();
    // With the probe, a flag narrows what was found and names what it could not keep.
    const narrowed = await cli(['run', '--target', url, '--groups', 'x25519,secp384r1', '--scenarios', dir, '--report-dir', dir, '--run-id', 'x4']);
    expect(narrowed.code).toBe(0);
    expect(narrowed.stderr).toMatch(/not found by the probe, so left out \(use --no-probe to claim them\): --groups secp384r1/);
  });

  it('a server that resets every connection: the probe completes nothing, the cases run and say so, with a report', async () => {
    const { createServer } = await import('node:net');
    const rst = createServer((s) => s.resetAndDestroy());
    await new Promise<void>((r) => rst.listen(0, '127.0.0.1', () => r()));
    const url = `tcp://127.0.0.1:${(rst.address() as { port: number }).port}`;
    for (const id of ['rst1', 'rst2']) {
      const r = await cli(['run', '--target', url, '--scenarios', dir, '--report-dir', dir, '--run-id', id, '--timeout', '1000']);
      expect(r.code, r.stderr).toBe(1);
      expect(r.stderr).toMatch(/no probe handshake completed .*running the cases with the stated capabilities/);
      const rep = JSON.parse(readFileSync(join(dir, id, 'report.json'), 'utf8'));
      // The same verdicts on every run: each case fails on the reset.
      expect(rep.cases.map((c: { verdict: string; reason: string }) => [c.verdict, c.reason.replace(/\d+ ms/g, '')])).toEqual([
        ['fail', expect.stringMatching(/the target reset the connection/)],
        ['fail', expect.stringMatching(/the target reset the connection/)],
      ]);
    }
    await new Promise((r) => rst.close(r));
  });

  it('bad flag values are one line and exit code 2, before anything runs', () => {
    for (const [args, msg] of [
      [['--groups', 'x2551'], /^tls-harness: run: --groups: unknown group 'x2551' \(did you mean 'x25519'\?\)$/],
      [['--versions', 'tls14'], /^tls-harness: run: --versions: unknown version 'tls14'/],
      [['--features', 'hrr'], /^tls-harness: run: --features: unknown feature 'hrr'/],
      [['--signature-schemes', 'ecdsa_p256'], /^tls-harness: run: --signature-schemes: unknown signature scheme 'ecdsa_p256'/],
      [['--cipher-suites', 'AES128'], /^tls-harness: run: --cipher-suites: unknown cipher suite 'AES128'/],
      [['--ca', '/nonexistent/ca.pem'], /^tls-harness: run: --ca: \/nonexistent\/ca\.pem: cannot read \(ENOENT\)$/],
      [['--ca', bin], /^tls-harness: run: --ca: .*tls-harness\.js: not a PEM certificate$/],
      [['--probe', '--no-probe'], /^tls-harness: run: --probe and --no-probe contradict each other$/],
      [['--ca', OTHER('ca.pem'), '--no-verify-chain'], /^tls-harness: run: --ca and --no-verify-chain contradict each other/],
    ] as const) {
      const r = spawnSync(process.execPath, [bin, 'run', '--target', 'tcp://127.0.0.1:1', ...args, '--report-dir', dir], { encoding: 'utf8', timeout: 60_000 });
      expect(r.status, r.stderr).toBe(2);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr.trim()).toMatch(msg);
    }
  });
});
