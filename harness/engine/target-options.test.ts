/**
 * cauth: a scenario's target_options reach the target with each connection (TargetCaseContext.options), its
 * control too (with its own control key), and a target without the feature skips the case.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ReferenceTarget } from '../targets/reference.ts';
import type { Target, TargetCaseContext, TargetConnection } from '../targets/types.ts';
import { ControlCache } from './controls.ts';
import { missingCapability, runCase } from './run-case.ts';
import { expectAlert, expectMessages, sendStep, testCase } from './testing.ts';
import type { ScenarioCase, TargetOptions } from '../scenario/model.ts';

const CONFIG = { cipher_suites: ['TLS_AES_128_GCM_SHA256'], groups: ['x25519'], certificate: 'client' };

/**
 * A server case that expects a CertificateRequest and answers it with the test client certificate; `bad`: with
 * a CertificateVerify whose signature does not verify, and decrypt_error expected (a case with a control).
 */
function clientAuthCase(id: string, options?: TargetOptions, bad = false): ScenarioCase {
  const steps = [
    sendStep('ClientHello'),
    expectMessages(['ServerHello', 'EncryptedExtensions', 'CertificateRequest', 'Certificate', 'CertificateVerify', 'Finished']),
    sendStep('Certificate'),
    sendStep('CertificateVerify', bad ? { mutate: [{ op: 'xor', pos: { field: 'CertificateVerify.signature', at: 10 }, value: 1 }] } : {}),
    sendStep('Finished'),
    ...(bad ? [expectAlert('decrypt_error')] : []),
  ];
  const c = testCase(steps, { id, config: CONFIG });
  if (options) c.scenario = { ...c.scenario, target_options: options };
  return c;
}

describe('target_options in the engine', () => {
  const ref = new ReferenceTarget();
  const seen: (TargetOptions | undefined)[] = [];
  // The reference, recording the options of each connection.
  const target: Target = {
    name: 'recording',
    capabilities: ref.capabilities,
    expectedFailures: [],
    start: (s) => ref.start(),
    connect: (ctx: TargetCaseContext): Promise<TargetConnection> => {
      seen.push(ctx.options);
      return ref.connect(ctx);
    },
    stop: () => ref.stop(),
  };
  beforeAll(() => target.start(new AbortController().signal));
  afterAll(() => target.stop());

  it('passes them to connect, for the case and its control; the case passes against a server told to request a certificate', async () => {
    seen.length = 0;
    const controls = new ControlCache();
    const r = await runCase(clientAuthCase('with', { request_client_certificate: true }, true), target, { timeoutMs: 5000, controls });
    expect(r.verdict, r.reason).toBe('pass');
    expect(seen).toEqual([{ request_client_certificate: true }, { request_client_certificate: true }]);
    // The control's note names the options: a plain case with the same config does not share it.
    expect(r.transcript[0].name).toMatch(/target_options=\{"request_client_certificate":true\}/);
  });

  it('without them the server sends no CertificateRequest (the same case fails)', async () => {
    seen.length = 0;
    const r = await runCase(clientAuthCase('without'), target, { timeoutMs: 5000 });
    expect(r.verdict).toBe('fail');
    expect(seen).toEqual([undefined]);
  });

  it('a target without the feature request_client_certificate skips the case', () => {
    const caps = { ...ref.capabilities, features: ref.capabilities.features.filter((f) => f !== 'request_client_certificate') };
    expect(missingCapability(clientAuthCase('x', { request_client_certificate: true }), caps)).toMatch(/lacks feature request_client_certificate/);
    expect(missingCapability(clientAuthCase('y', { request_client_certificate: true }), ref.capabilities)).toBeUndefined();
    expect(missingCapability(clientAuthCase('z'), caps)).toBeUndefined();
  });
});
