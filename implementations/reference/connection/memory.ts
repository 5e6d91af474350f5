/**
 * An in-memory transport: two endpoints joined back to back. `pump` moves bytes both ways until neither
 * side has anything left to send.
 */
import type { Endpoint } from './endpoint.ts';

export interface PumpOptions {
  /** Stop after this many exchanges (a guard against two endpoints that never stop talking). */
  maxRounds?: number;
  /** Called with every chunk in flight; may return altered bytes (for tests that tamper with the wire). */
  tap?: (from: 'a' | 'b', bytes: Uint8Array) => Uint8Array;
}

export function pump(a: Endpoint, b: Endpoint, opts: PumpOptions = {}): void {
  const max = opts.maxRounds ?? 1000;
  for (let i = 0; i < max; i++) {
    let ab = a.takeOutput();
    let ba = b.takeOutput();
    if (ab.length === 0 && ba.length === 0) return;
    if (opts.tap) {
      if (ab.length) ab = opts.tap('a', ab);
      if (ba.length) ba = opts.tap('b', ba);
    }
    if (ab.length) b.receive(ab);
    if (ba.length) a.receive(ba);
  }
  throw new Error(`pump: still talking after ${max} rounds`);
}
