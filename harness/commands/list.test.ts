import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expandAll, loadScenarios } from '../scenario/loader.ts';
import { filterCases, listedCase } from './list.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));
const bin = join(root, 'bin/tls-harness.js');

function cli(...args: string[]) {
  const r = spawnSync(process.execPath, [bin, ...args], { cwd: root, encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const FINISHED = 'tls13-finished-bad-verify-data';

describe('tls-harness list', () => {
  it('prints one line per case: id, target role, versions, RFC section, tags', () => {
    const r = cli('list', '--scenarios', 'scenarios/examples');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^case\s+target\s+versions\s+rfc\s+tags$/);
    expect(lines).toHaveLength(6);
    expect(lines[1]).toMatch(/^tls13-client-rejects-hrr-same-group\s+client\s+tls13\s+RFC 8446 4\.2\.8\s+hello_retry_request,key_share$/);
    expect(lines[2]).toMatch(new RegExp(`^${FINISHED}\\[cipher_suite=TLS_AES_128_GCM_SHA256\\]\\s+server\\s+tls13\\s+RFC 8446 4\\.4\\.4\\s+finished,malformed$`));
    expect(lines[5]).toBe('4 cases');
  });

  it('--json with --tag and --grep filters', () => {
    const r = cli('list', '--scenarios', 'scenarios/examples/*.yaml', '--tag', 'finished', '--grep', 'chacha|AES_256', '--json');
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.cases.map((c: { id: string }) => c.id)).toEqual([
      `${FINISHED}[cipher_suite=TLS_AES_256_GCM_SHA384]`,
      `${FINISHED}[cipher_suite=TLS_CHACHA20_POLY1305_SHA256]`,
    ]);
    expect(out.cases[0]).toEqual({
      id: `${FINISHED}[cipher_suite=TLS_AES_256_GCM_SHA384]`,
      scenario: FINISHED,
      title: 'The server rejects a client Finished with a wrong verify_data',
      target: 'server',
      versions: ['tls13'],
      tags: ['finished', 'malformed'],
      rfc: { doc: 8446, section: '4.4.4' },
      params: { cipher_suite: 'TLS_AES_256_GCM_SHA384' },
      file: 'scenarios/examples/tls13-finished-bad-verify-data.yaml',
      line: 2,
    });
  });

  it('scenario errors go to stderr as file:line:col, exit 2; a bad --grep is a usage error', () => {
    const r = cli('list', '--scenarios', 'harness/scenario/fixtures/broken/names.yaml');
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr.split('\n')[0]).toMatch(/^harness\/scenario\/fixtures\/broken\/names\.yaml:7:35: unknown cipher suite/);
    const g = cli('list', '--grep', '(');
    expect(g.code).toBe(2);
    expect(g.stderr.trim().split('\n')).toHaveLength(1);
    expect(g.stderr).toMatch(/^tls-harness: list: --grep: /);
  });

  it('filterCases: every --tag must match; --grep matches id or title', () => {
    const cases = expandAll(loadScenarios([join(root, 'scenarios/examples')]).scenarios);
    expect(filterCases(cases, ['finished', 'malformed'])).toHaveLength(3);
    expect(filterCases(cases, ['finished', 'key_share'])).toHaveLength(0);
    expect(filterCases(cases, [], /HelloRetryRequest/i).map((c) => c.id)).toEqual(['tls13-client-rejects-hrr-same-group']);
    expect(listedCase(cases[0]).rfc).toEqual({ doc: 8446, section: '4.2.8' });
  });
});
