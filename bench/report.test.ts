import { describe, expect, it } from 'vitest';
import { formatResult, formatTable, met, ratio, selected, type Result } from './report.ts';

const base: Result = { name: 'aead/node', what: 'w', ours: 90, peer: 100, peerName: 'raw', unit: 'MiB/s', goal: 0.9, higherIsBetter: true };

describe('bench report', () => {
  it('selects by full name or by group, everything without a filter', () => {
    expect(selected([], 'aead/node')).toBe(true);
    expect(selected(['aead'], 'aead/node')).toBe(true);
    expect(selected(['aead/noble'], 'aead/node')).toBe(false);
    expect(selected(['serve'], 'aead/node')).toBe(false);
  });

  it('judges minimum and maximum goals on ours / peer', () => {
    expect(ratio(base)).toBeCloseTo(0.9);
    expect(met(base)).toBe(true);
    expect(met({ ...base, ours: 89 })).toBe(false);
    expect(met({ ...base, ours: 3, peer: 1, goal: 2, higherIsBetter: false })).toBe(false);
    expect(met({ ...base, ours: 1, peer: 1, goal: 2, higherIsBetter: false })).toBe(true);
    expect(met({ ...base, peer: undefined, ours: 120, goal: 100 })).toBe(true);
    expect(met({ ...base, skipped: 'no openssl' })).toBeUndefined();
  });

  it('prints one line per goal and a table', () => {
    expect(formatResult(base)).toBe('aead/node: 90.0 MiB/s vs raw 100 MiB/s = ratio 0.90 (goal >= 0.9): met  [w]');
    expect(formatResult({ ...base, skipped: 'openssl is not installed' })).toBe('aead/node: skipped (openssl is not installed)');
    const t = formatTable([base, { ...base, name: 'jobs', skipped: 'x' }]).split('\n');
    expect(t).toHaveLength(3);
    expect(t[1]).toMatch(/^aead\/node +90\.0 +100 +MiB\/s +0\.90 +>= 0\.9 +met$/);
    expect(t[2]).toMatch(/skipped: x$/);
  });
});
