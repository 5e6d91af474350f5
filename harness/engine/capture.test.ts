import { afterAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ReferenceTarget } from '../targets/reference.ts';
import { runCase } from './run-case.ts';
import { baseScenario, caseOf } from '../fuzz/conversation.ts';
import { pcapng, type TcpConversation } from '../report/pcapng.ts';

const hasTshark = spawnSync('tshark', ['--version']).status === 0;

describe('a case captured (run --pcap): every byte both ways, and the harness key log', () => {
  const target = new ReferenceTarget();
  afterAll(() => target.stop());

  for (const setting of ['server-tls13', 'server-tls12', 'client-tls13', 'client-tls12'] as const) {
    it(`${setting}: the streams are the TLS records the case saw, and tshark decrypts them`, async () => {
      const convs: TcpConversation[] = [];
      const keys: string[] = [];
      const base = baseScenario(setting);
      const r = await runCase(caseOf(base, base.steps, `capture-${setting}`), target, {
        timeoutMs: 5000,
        expectTimeoutMs: 500,
        capture: (c, id) => {
          expect(id).toBe(`capture-${setting}`);
          convs.push(c);
        },
        keyLog: (l) => keys.push(l),
      });
      expect(r.verdict, r.reason).toBe('pass');
      expect(convs).toHaveLength(1);
      const [c] = convs;
      // Each direction starts with a TLS record header: handshake (22), version 3.x.
      const first = (side: 'client' | 'server') => c.segments.find((s) => s.from === side)!.data;
      expect([...first('client').subarray(0, 2)]).toEqual([22, 3]);
      expect([...first('server').subarray(0, 2)]).toEqual([22, 3]);
      expect(c.clientPort).toBeGreaterThan(0);
      expect(c.serverPort).toBeGreaterThan(0);
      if (!hasTshark) {
        console.log('tshark not installed: decryption not checked (apt-get install tshark)');
        return;
      }
      const file = join(mkdtempSync(join(tmpdir(), 'capture-')), 'case.pcapng');
      writeFileSync(file, pcapng(convs, keys));
      const t = spawnSync('tshark', ['-r', file, '-d', `tcp.port==${c.serverPort},tls`, '-T', 'fields', '-e', 'tls.handshake.type', '-e', 'data.data'], { encoding: 'utf8' });
      expect(t.status, t.stderr).toBe(0);
      const fields = t.stdout.split(/[\s,]+/);
      // Finished (20) is encrypted in both versions: decrypted only with the key log.
      expect(fields).toContain('20');
      // The application data "fuzz" the base conversation sends, decrypted.
      expect(fields).toContain(Buffer.from('fuzz').toString('hex'));
    });
  }
});
