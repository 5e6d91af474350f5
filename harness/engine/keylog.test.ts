import { afterAll, describe, expect, it } from 'vitest';
import { ReferenceTarget } from '../targets/reference.ts';
import { runCase } from './run-case.ts';
import { baseScenario, caseOf } from '../fuzz/conversation.ts';

describe('the harness logs its secrets (SSLKEYLOGFILE format), the same the target derives', () => {
  const lines = { reference: [] as string[], harness: [] as string[] };
  const target = new ReferenceTarget({ server: { keyLog: (l) => lines.reference.push(l) }, client: { keyLog: (l) => lines.reference.push(l) } });
  afterAll(() => target.stop());

  for (const setting of ['server-tls13', 'server-tls12', 'client-tls13', 'client-tls12'] as const) {
    it(`${setting}: the harness's lines are the target's`, async () => {
      lines.reference.length = 0;
      lines.harness.length = 0;
      const base = baseScenario(setting);
      const r = await runCase(caseOf(base, base.steps, `keylog-${setting}`), target, { timeoutMs: 5000, expectTimeoutMs: 500, keyLog: (l) => lines.harness.push(l) });
      expect(r.verdict, r.reason).toBe('pass');
      const labels = setting.endsWith('tls13') ? ['CLIENT_HANDSHAKE_TRAFFIC_SECRET', 'CLIENT_TRAFFIC_SECRET_0', 'SERVER_HANDSHAKE_TRAFFIC_SECRET', 'SERVER_TRAFFIC_SECRET_0'] : ['CLIENT_RANDOM'];
      expect(lines.harness.map((l) => l.split(' ')[0]).sort()).toEqual(labels);
      expect([...lines.harness].sort()).toEqual([...lines.reference].sort());
    });
  }
});
