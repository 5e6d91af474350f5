/**
 * A finding as a scenario file (finding-yaml.ts): the YAML loads without a diagnostic, cites the sentence behind
 * the reference's rule, and replays: the embedded reference passes it.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expandAll, loadScenarios } from '../scenario/loader.ts';
import { runCase } from '../engine/run-case.ts';
import { ReferenceTarget } from '../targets/reference.ts';
import type { PeerConfig } from '../scenario/model.ts';
import type { Finding } from './fuzz.ts';
import { citation, findingToYaml, referenceVerdict } from './finding-yaml.ts';

const config: PeerConfig = { cipher_suites: ['TLS_AES_128_GCM_SHA256'], groups: ['x25519'] };
const reference = new ReferenceTarget();
afterAll(async () => {
  await reference.stop();
});

// Two of the findings against openssl s_server (harness/fuzz/PLAN.md), as fuzzClientHello returns them.
const findings: Finding[] = [
  { signature: 'alert decode_error / alert illegal_parameter', reference: 'alert decode_error', target: 'alert illegal_parameter', ops: [{ op: 'insert_extension', type: 'server_name', hex: '' }], seed: 1 },
  { signature: 'alert illegal_parameter / alert decode_error', reference: 'alert illegal_parameter', target: 'alert decode_error', ops: [{ op: 'xor', pos: { field: 'ClientHello.legacy_compression_methods', at: 1 }, value: 1 }], seed: 1 },
];

describe('fuzz findings as scenarios (issue 15)', () => {
  it('the reference verdict names the rule; the citation is a sentence that names the alert', () => {
    const v = referenceVerdict(findings[1].ops, config)!;
    expect(v.alert).toBe('illegal_parameter');
    expect(v.rule).toBe('RFC 8446 4.1.2');
    expect(citation(v.rule, v.alert)?.id).toBe('rfc8446-4.1.2-14');
    expect(referenceVerdict([], config)).toBeUndefined();
  });

  for (const [i, f] of findings.entries()) {
    it(`${f.signature}: loads cleanly and the reference passes it`, async () => {
      const text = findingToYaml(f, 'openssl', config, `fuzz-openssl-${i}`)!;
      expect(text).toContain('tags:\n  - fuzz');
      // Loaded as `run --scenarios` loads a file: with the RFC traceability checks (quote, sentence, level).
      const file = join(mkdtempSync(join(tmpdir(), 'tls-harness-fuzz-')), `fuzz-${i}.yaml`);
      writeFileSync(file, text);
      const { scenarios, diagnostics } = loadScenarios([file], { traceability: true });
      expect(diagnostics).toEqual([]);
      const [c] = expandAll(scenarios);
      expect((await runCase(c, reference, { timeoutMs: 5000 })).verdict).toBe('pass');
    });
  }
});
