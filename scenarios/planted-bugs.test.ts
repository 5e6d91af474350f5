/**
 * The TLS 1.2 suite catches the bug classes it is written for: each test plants one bug in the reference
 * server (a Bleichenbacher oracle, an unchecked CBC padding byte, an early ChangeCipherSpec accepted), runs the
 * suite's TLS 1.2 server cases of that family against it, and requires that the scenario written for that bug
 * class fails, while the same cases all pass against the unbroken reference. The bugs are planted by a module
 * mock and by patching prototypes in this test, never in the reference's own code.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { fileURLToPath } from 'node:url';
import { TlsError } from '../implementations/reference/connection/errors.ts';
import { Server12 } from '../implementations/reference/connection/tls12/server12.ts';
import { Tls12CbcRecordProtection } from '../implementations/reference/crypto/record-protection.ts';
import { expandAll, loadScenariosOrThrow } from '../harness/scenario/loader.ts';
import { runAll } from '../harness/engine/run-all.ts';
import { resolveTarget } from '../harness/targets/config.ts';
import type { Target } from '../harness/targets/types.ts';

/** The bugs planted right now (the mocks below read it). */
const planted = new Set<'pkcs1-oracle' | 'cbc-padding-unchecked' | 'early-ccs-accepted'>();

vi.mock('../implementations/reference/connection/tls12/checks12.ts', async (importOriginal) => {
  const real = await importOriginal<typeof import('../implementations/reference/connection/tls12/checks12.ts')>();
  return {
    ...real,
    // Bleichenbacher's oracle: a PKCS#1 padding failure answered with its own alert at once, instead of carrying
    // on with a random pre-master secret (RFC 5246 7.4.7.1).
    rsaPremasterSecret: (...args: Parameters<typeof real.rsaPremasterSecret>) => {
      const [provider, key, encrypted] = args;
      if (planted.has('pkcs1-oracle') && provider.rsaDecrypt(key, encrypted) === null) throw new TlsError('decrypt_error', 'planted bug', 'bad PKCS#1 padding');
      return real.rsaPremasterSecret(...args);
    },
  };
});

// CVE-2014-0224 class: a ChangeCipherSpec where none may come (RFC 5246 7.1) is ignored instead of refused, and the
// handshake goes on as if it had not come.
const server12 = Server12.prototype as unknown as { state: string; onChangeCipherSpec: (item: unknown) => void };
const realOnCcs = server12.onChangeCipherSpec;
server12.onChangeCipherSpec = function (this: typeof server12, item: unknown) {
  if (planted.has('early-ccs-accepted') && this.state !== 'wait_ccs') return;
  return realOnCcs.call(this, item);
};

// An unchecked padding byte (RFC 5246 6.2.3.2 "The receiver MUST check this padding"): the decrypted padding is
// rewritten to what padding_length says before the real check runs, so only the length byte counts.
const proto = Tls12CbcRecordProtection.prototype as unknown as { decryptMte: (r: unknown) => unknown; cbc: { decrypt: (iv: Uint8Array, c: Uint8Array) => Uint8Array } };
const realDecryptMte = proto.decryptMte;
proto.decryptMte = function (this: typeof proto, record: unknown) {
  if (!planted.has('cbc-padding-unchecked')) return realDecryptMte.call(this, record);
  const cbc = this.cbc;
  const patched = {
    ...cbc,
    blockLength: (cbc as unknown as { blockLength: number }).blockLength,
    decrypt: (iv: Uint8Array, c: Uint8Array) => {
      const plain = cbc.decrypt(iv, c);
      const pad = plain[plain.length - 1];
      for (let i = 0; i < pad && i < plain.length - 1; i++) plain[plain.length - 2 - i] = pad;
      return plain;
    },
  };
  return realDecryptMte.call(Object.assign(Object.create(Object.getPrototypeOf(this)), this, { cbc: patched }), record);
};

const SUITE = fileURLToPath(new URL('./server/tls12/', import.meta.url));

/** The TLS 1.2 server cases whose id matches `re`, run against the reference; the ids that did not pass. */
async function failing(target: Target, re: RegExp): Promise<{ ran: number; failed: string[] }> {
  const cases = expandAll(loadScenariosOrThrow([SUITE]).scenarios).filter((c) => re.test(c.id));
  const r = await runAll(cases, target, { jobs: 4, runId: 'planted', timeoutMs: 8000, expectTimeoutMs: 1500, optionalGraceMs: 200 });
  if (process.env.PLANTED_DEBUG) for (const c of r.cases) if (re.test(c.id) && c.id.includes(process.env.PLANTED_DEBUG)) console.log(c.id, c.verdict, c.reason, JSON.stringify(c.transcript.map((t) => `${t.dir} ${t.name}`)));
  return { ran: cases.length, failed: r.cases.filter((c) => c.verdict !== 'pass' && c.verdict !== 'lenient' && c.verdict !== 'skip').map((c) => c.id) };
}

describe('planted bugs in the reference server make the matching TLS 1.2 scenarios fail', () => {
  let target: Target;
  beforeAll(async () => {
    target = resolveTarget('reference');
    await target.start();
  });
  afterAll(async () => {
    planted.clear();
    await target.stop();
  });

  const families = [
    // `re` picks the cases run; `catches` is the scenario written for the bug class, which must be among the failures.
    { bug: 'pkcs1-oracle', re: /premaster|pkcs1|rsa/i, catches: 'tls12-server-rsa-premaster-invalid' },
    { bug: 'cbc-padding-unchecked', re: /cbc|padding/i, catches: 'tls12-server-record-cbc-padding' },
    { bug: 'early-ccs-accepted', re: /change-cipher-spec|ccs/i, catches: 'tls12-server-change-cipher-spec-early' },
  ] as const;

  for (const { bug, re, catches } of families) {
    it(`${bug}: the ${re.source} cases pass against the reference and ${catches} fails once the bug is planted`, async () => {
      planted.clear();
      const clean = await failing(target, re);
      expect(clean.ran).toBeGreaterThan(0);
      expect(clean.failed).toEqual([]);
      planted.add(bug);
      const broken = await failing(target, re);
      planted.clear();
      expect(broken.failed.filter((id) => id.startsWith(catches)).length, `${catches} did not catch ${bug}; failed: ${broken.failed.join(', ')}`).toBeGreaterThan(0);
    }, 120_000);
  }
});
