/**
 * The shipped GnuTLS target (implementations/targets/gnutls.yaml): a few cases in each role against
 * gnutls-serv and gnutls-cli, with the verdict each must reach: a pass, and a listed expected failure (a real
 * deviation of GnuTLS 3.7, with its RFC sentence in the config). Skipped, with the reason printed, when
 * gnutls-bin is not installed.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import { expandAll, loadScenarios } from '../scenario/loader.ts';
import { runCase } from '../engine/run-case.ts';
import { expectedFailureFor } from '../engine/run-all.ts';
import { resolveTarget } from './config.ts';
import { findBinary, liveProcessCount } from './processes.ts';
import type { Target } from './types.ts';

// case id -> the verdict it reaches against GnuTLS 3.7.9.
const EXPECTED: Record<string, 'pass' | 'fail'> = {
  // server role (gnutls-serv)
  'tls13-server-client-hello-legacy-version-ssl3': 'pass',
  'tls13-server-client-hello-key-share-without-supported-groups': 'fail',
  // client role (gnutls-cli): it sends protocol_version, then closes with the rest of the flight unread (a
  // reset that must not hide the alert)
  'tls12-client-server-hello-version-ssl3': 'pass',
  'tls13-client-encrypted-extensions-forbidden-extension': 'fail',
};
const FILES = [
  'scenarios/server/tls13/rfc8446/client-hello-legacy-version-ssl3.yaml',
  'scenarios/server/tls13/rfc8446/client-hello-key-share-without-supported-groups.yaml',
  'scenarios/client/tls12/rfc8446/server-hello-legacy-version.yaml',
  'scenarios/client/tls13/rfc8446/encrypted-extensions-forbidden-extension.yaml',
].filter((f) => existsSync(f));

const missing = ['gnutls-serv', 'gnutls-cli'].find((b) => !findBinary(b));
if (missing) console.log(`gnutls target tests skipped: '${missing}' is not installed (apt-get install gnutls-bin)`);
const cases = FILES.length === 4 ? expandAll(loadScenarios(FILES).scenarios).filter((c) => c.id in EXPECTED) : [];
if (!missing && cases.length !== Object.keys(EXPECTED).length) console.log('gnutls target tests skipped: their scenarios are gone or renamed');

describe.skipIf(missing !== undefined || cases.length !== Object.keys(EXPECTED).length)('gnutls target, both roles', () => {
  let target: Target | undefined;
  afterAll(async () => {
    await target?.stop();
    expect(liveProcessCount()).toBe(0);
  });

  it('reaches the known verdict in each case, and lists each failure as expected', async () => {
    target = resolveTarget('gnutls');
    await target.start(new AbortController().signal);
    const roles = new Set<string>();
    for (const c of cases) {
      const r = await runCase(c, target, { timeoutMs: 5_000 });
      await target.endCase?.({ caseId: c.id, signal: new AbortController().signal });
      roles.add(c.scenario.target);
      expect(`${c.id}: ${r.verdict}`, r.reason).toBe(`${c.id}: ${EXPECTED[c.id]}`);
      expect(expectedFailureFor(c.id, target.expectedFailures) !== undefined, `${c.id} in expected_failures`).toBe(r.verdict === 'fail');
    }
    expect([...roles].sort()).toEqual(['client', 'server']);
  }, 30_000);
});
