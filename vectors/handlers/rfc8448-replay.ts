/**
 * Kind `rfc8448-replay`: the reference TLS 1.3 endpoints reproduce RFC 8448's handshakes byte for byte, each
 * side fed the other side's records (implementations/reference/connection/rfc8448.ts). Sections 3 and 4 run
 * in order with shared state: section 4 resumes the ticket section 3 issued.
 */
import { replayContext, replaySide, type ReplayContext } from '../../implementations/reference/connection/rfc8448.ts';
import type { TestOutcome, VectorHandler } from '../runner.ts';

interface ReplayCase {
  section: string;
  side: 'client' | 'server';
}

export const rfc8448ReplayHandler: VectorHandler = {
  handles: ['rfc8448-replay'],
  run(file, provider) {
    const cases = file.cases as ReplayCase[];
    const shared: ReplayContext = replayContext();
    return cases.map((c): TestOutcome => {
      const ctx = c.section === '3' || c.section === '4' ? shared : replayContext();
      const r = replaySide(c.section, c.side, ctx, undefined, provider);
      const id = `section ${c.section} ${c.side}`;
      return r.mismatch ? { id, outcome: 'failed', reason: r.mismatch } : { id, outcome: 'passed' };
    });
  },
};
