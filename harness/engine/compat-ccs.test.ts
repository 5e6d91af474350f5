/**
 * RFC 8446 D.4: a server that gets a non-empty legacy_session_id must send a change_cipher_spec after its first
 * handshake message; the scripted TLS 1.3 client fails a case where EncryptedExtensions comes without one.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ReferenceTarget } from '../targets/reference.ts';
import { runCase } from './run-case.ts';
import { SERVER_FLIGHT, expectMessages, sendStep, testCase } from './testing.ts';

const compat = testCase([sendStep('ClientHello'), expectMessages(SERVER_FLIGHT), sendStep('Finished')], {
  id: 'compat',
  config: { cipher_suites: ['TLS_AES_128_GCM_SHA256'], groups: ['x25519'], middlebox_compat: true },
});
const plain = testCase([sendStep('ClientHello'), expectMessages(SERVER_FLIGHT), sendStep('Finished')], {
  id: 'plain',
  config: { cipher_suites: ['TLS_AES_128_GCM_SHA256'], groups: ['x25519'], middlebox_compat: false },
});

describe('change_cipher_spec in middlebox compatibility mode (RFC 8446 D.4)', () => {
  let target: ReferenceTarget | undefined;
  afterEach(async () => {
    await target?.stop();
    target = undefined;
  });

  it('a server that sends it passes', async () => {
    target = new ReferenceTarget();
    expect((await runCase(compat, target, { timeoutMs: 5000 })).verdict).toBe('pass');
  });

  it('a server that does not send it fails with the rule; without a session ID nothing is asked of it', async () => {
    target = new ReferenceTarget({ server: { middleboxCompat: false } });
    const r = await runCase(compat, target, { timeoutMs: 5000 });
    expect(r.verdict).toBe('fail');
    expect(r.reason).toMatch(/EncryptedExtensions breaks RFC 8446 D\.4: the ClientHello had a non-empty legacy_session_id/);
    expect((await runCase(plain, target, { timeoutMs: 5000 })).verdict).toBe('pass');
  });
});
