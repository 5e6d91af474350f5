/**
 * Differential fuzzing (fuzz.ts) finds a planted difference and shrinks it: a "target" that is the reference
 * configured without the only suite the harness offers aborts where the reference goes on.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { CipherSuite } from '../../implementations/reference/codec/enums.ts';
import { ReferenceTarget } from '../targets/reference.ts';
import { fuzzClientHello } from './fuzz.ts';

const reference = new ReferenceTarget();
const same = new ReferenceTarget();
const planted = new ReferenceTarget({ server: { cipherSuites: [CipherSuite.TLS_AES_256_GCM_SHA384] } });
afterAll(async () => {
  for (const t of [reference, same, planted]) await t.stop();
});
const config = { cipher_suites: ['TLS_AES_128_GCM_SHA256'], groups: ['x25519'] };

describe('differential fuzzing of the ClientHello (issue 15)', () => {
  it('the reference against itself: no finding', async () => {
    const r = await fuzzClientHello(same, reference, { config, seed: 15, runs: 40, maxFindings: 2 });
    expect(r.findings).toEqual([]);
    expect(r.conversations).toBe(40);
  }, 60_000);

  it('a planted difference is found, named by its signature, and shrunk to one mutation', async () => {
    const r = await fuzzClientHello(planted, reference, { config, seed: 15, runs: 40, maxFindings: 1 });
    expect(r.findings).toHaveLength(1);
    const f = r.findings[0];
    expect(f.signature).toBe('continues / alert handshake_failure');
    expect(f.ops).toHaveLength(1);
    expect(f.seed).toBe(15);
  }, 60_000);
});
