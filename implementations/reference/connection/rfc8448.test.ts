import { describe, expect, it } from 'vitest';
import { REPLAYS, loadTrace, replayContext, replaySide } from './rfc8448.ts';
import { allProviders } from '../crypto/providers.ts';

// Every crypto provider reproduces the traces: they differ in speed, never in bytes.
describe.each(allProviders().map((p) => [p.name, p] as const))('RFC 8448 traces, reproduced byte for byte by the reference endpoints (%s provider)', (_name, provider) => {
  // Sections 3 and 4 share state: section 4 resumes, on both sides, the ticket section 3 issued.
  const ctx = replayContext();
  const titles: Record<string, string> = { '3': 'simple 1-RTT', '4': 'resumed 0-RTT', '5': 'HelloRetryRequest', '6': 'client authentication', '7': 'compatibility mode' };
  for (const { section, side } of REPLAYS) {
    it(`section ${section}, ${titles[section]}: ${side}`, () => {
      const r = replaySide(section, side, section === '3' || section === '4' ? ctx : replayContext(), undefined, provider);
      expect(r.mismatch).toBeUndefined();
      expect(r.endpoint.summary).toMatchObject({
        version: 'TLSv1.3',
        cipherSuite: 0x1301,
        resumed: section === '4',
        earlyDataAccepted: section === '4',
        helloRetry: section === '5',
      });
    });
  }

  it('one changed byte anywhere in the trace makes the replay fail (it cannot pass vacuously)', () => {
    const flip = (h: string, at: number) => h.slice(0, at * 2) + ((parseInt(h.slice(at * 2, at * 2 + 2), 16) ^ 1).toString(16).padStart(2, '0')) + h.slice(at * 2 + 2);
    // A byte of the server's encrypted flight, fed to the client: the client must reject it.
    const t1 = loadTrace('3');
    t1.records[2].completeRecord = flip(t1.records[2].completeRecord, 40);
    expect(replaySide('3', 'client', replayContext(), t1, provider).mismatch).toMatch(/bad_record_mac/);
    // A byte of the server's own expected Certificate record: the server's output no longer matches.
    const t2 = loadTrace('6');
    t2.records[2].completeRecord = flip(t2.records[2].completeRecord, 300);
    expect(replaySide('6', 'server', replayContext(), t2, provider).mismatch).toMatch(/record 2 .* sent/);
  });
});
