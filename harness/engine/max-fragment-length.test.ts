/**
 * The harness as client holds a server to a negotiated max_fragment_length (RFC 6066 4) through the reference's
 * own record layer: a server that answers the request but goes on sending full-size records fails the case.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ReferenceTarget } from '../targets/reference.ts';
import { runCase } from './run-case.ts';
import { SERVER_FLIGHT, expectMessages, sendStep, testCase } from './testing.ts';

const aCase = testCase([sendStep('ClientHello'), expectMessages(SERVER_FLIGHT), sendStep('Finished')], {
  id: 'mfl',
  config: { cipher_suites: ['TLS_AES_128_GCM_SHA256'], groups: ['x25519'], max_fragment_length: 512 },
});

describe('max_fragment_length in the scripted TLS 1.3 client (RFC 6066 4)', () => {
  let target: ReferenceTarget | undefined;
  afterEach(async () => {
    await target?.stop();
    target = undefined;
  });

  it('a server that answers 2^9 and fragments at it passes', async () => {
    target = new ReferenceTarget();
    const r = await runCase(aCase, target, { timeoutMs: 5000 });
    expect(r.verdict).toBe('pass');
  });

  it('a server that answers 2^9 but sends its certificate in one larger record fails, with the rule', async () => {
    // Not accepting the request, then answering it anyway: the answer is there, the fragmenting is not.
    target = new ReferenceTarget({
      server: {
        acceptMaxFragmentLength: false,
        shapeExtensions: (msg, exts) => (msg === 'encrypted_extensions' ? [...exts, { type: 'max_fragment_length', max_fragment_length: 1 }] : exts),
      },
    });
    const r = await runCase(aCase, target, { timeoutMs: 5000 });
    expect(r.verdict).toBe('fail');
    expect(`${r.reason} ${r.observed}`).toMatch(/RFC 6066 4/);
    expect(`${r.reason} ${r.observed}`).toMatch(/more handshake bytes came in the record that negotiated max_fragment_length 512/);
  });

  it('a server that answers a different length fails on the reference check (illegal_parameter)', async () => {
    target = new ReferenceTarget({
      server: { shapeExtensions: (msg, exts) => (msg === 'encrypted_extensions' ? exts.map((e) => (e.type === 'max_fragment_length' ? { ...e, max_fragment_length: 2 } : e)) : exts) },
    });
    const r = await runCase(aCase, target, { timeoutMs: 5000 });
    expect(r.verdict).toBe('fail');
    expect(`${r.reason} ${r.observed}`).toMatch(/max_fragment_length response 2, the client requested 1/);
  });
});
