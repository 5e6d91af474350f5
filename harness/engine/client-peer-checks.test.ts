/**
 * Checks the scripted TLS 1.3 client makes of a server beyond the reference's own message checks, each against
 * the embedded reference, well-behaved and made to misbehave:
 * - RFC 8446 D.4: after a ClientHello with a non-empty legacy_session_id, a change_cipher_spec must come before
 *   EncryptedExtensions;
 * - RFC 6066 4: a negotiated max_fragment_length holds the server's records (through the reference's own
 *   record layer).
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ReferenceTarget } from '../targets/reference.ts';
import { runCase } from './run-case.ts';
import { SERVER_FLIGHT, expectMessages, sendStep, testCase } from './testing.ts';

const handshake = (id: string, config: Record<string, unknown>) =>
  testCase([sendStep('ClientHello'), expectMessages(SERVER_FLIGHT), sendStep('Finished')], { id, config: { cipher_suites: ['TLS_AES_128_GCM_SHA256'], groups: ['x25519'], ...config } });
const compat = handshake('compat', { middlebox_compat: true });
const plain = handshake('plain', { middlebox_compat: false });
const mfl = handshake('mfl', { max_fragment_length: 512 });

let target: ReferenceTarget | undefined;
const start = (overrides?: ConstructorParameters<typeof ReferenceTarget>[0]) => (target = new ReferenceTarget(overrides));
beforeEach(() => {
  target = undefined;
});
afterEach(async () => {
  await target?.stop();
});

describe('change_cipher_spec in middlebox compatibility mode (RFC 8446 D.4)', () => {
  it('a server that sends it passes', async () => {
    expect((await runCase(compat, start(), { timeoutMs: 5000 })).verdict).toBe('pass');
  });

  it('a server that does not send it fails with the rule; without a session ID nothing is asked of it', async () => {
    const t = start({ server: { middleboxCompat: false } });
    const r = await runCase(compat, t, { timeoutMs: 5000 });
    expect(r.verdict).toBe('fail');
    expect(r.reason).toMatch(/EncryptedExtensions breaks RFC 8446 D\.4: the ClientHello had a non-empty legacy_session_id/);
    expect((await runCase(plain, t, { timeoutMs: 5000 })).verdict).toBe('pass');
  });
});

describe('max_fragment_length in the scripted TLS 1.3 client (RFC 6066 4)', () => {
  it('a server that answers 2^9 and fragments at it passes', async () => {
    expect((await runCase(mfl, start(), { timeoutMs: 5000 })).verdict).toBe('pass');
  });

  it('a server that answers 2^9 but sends its certificate in one larger record fails, with the rule', async () => {
    // Not accepting the request, then answering it anyway: the answer is there, the fragmenting is not.
    const t = start({
      server: {
        acceptMaxFragmentLength: false,
        shapeExtensions: (msg, exts) => (msg === 'encrypted_extensions' ? [...exts, { type: 'max_fragment_length', max_fragment_length: 1 }] : exts),
      },
    });
    const r = await runCase(mfl, t, { timeoutMs: 5000 });
    expect(r.verdict).toBe('fail');
    expect(`${r.reason} ${r.observed}`).toMatch(/RFC 6066 4/);
    expect(`${r.reason} ${r.observed}`).toMatch(/more handshake bytes came in the record that negotiated max_fragment_length 512/);
  });

  it('a server that answers a different length fails on the reference check (illegal_parameter)', async () => {
    const t = start({
      server: { shapeExtensions: (msg, exts) => (msg === 'encrypted_extensions' ? exts.map((e) => (e.type === 'max_fragment_length' ? { ...e, max_fragment_length: 2 } : e)) : exts) },
    });
    const r = await runCase(mfl, t, { timeoutMs: 5000 });
    expect(r.verdict).toBe('fail');
    expect(`${r.reason} ${r.observed}`).toMatch(/max_fragment_length response 2, the client requested 1/);
  });
});
