import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { NamedGroup } from '../codec/enums.ts';
import { FFDHE_GROUPS } from './ffdhe.ts';

/**
 * The transcribed RFC 7919 primes against an independent source: GnuTLS's PKCS#3 "DH PARAMETERS" files
 * (doc/credentials/dhparams/rfc7919-ffdhe*.pem, copied to vectors/ffdhe/).
 * DHParameter ::= SEQUENCE { prime INTEGER, base INTEGER, privateValueLength INTEGER OPTIONAL }.
 */
function readDhParams(path: string): { p: bigint; g: bigint } {
  const text = readFileSync(path, 'utf8');
  const m = text.match(/-----BEGIN DH PARAMETERS-----([\s\S]*?)-----END DH PARAMETERS-----/);
  if (!m) throw new Error(`${path}: no DH PARAMETERS block`);
  const der = Buffer.from(m[1].replace(/\s+/g, ''), 'base64');
  let off = 0;
  const header = (): { tag: number; len: number } => {
    const tag = der[off++];
    let len = der[off++];
    if (len & 0x80) {
      const n = len & 0x7f;
      len = 0;
      for (let i = 0; i < n; i++) len = len * 256 + der[off++];
    }
    return { tag, len };
  };
  const seq = header();
  expect(seq.tag).toBe(0x30);
  const int = (): bigint => {
    const h = header();
    expect(h.tag).toBe(0x02);
    const v = BigInt('0x' + der.subarray(off, off + h.len).toString('hex'));
    off += h.len;
    return v;
  };
  return { p: int(), g: int() };
}

describe('RFC 7919 FFDHE groups', () => {
  it('has all five groups, each with its IANA code point (RFC 7919 A.1 - A.5: registry values 256 - 260)', () => {
    expect(Object.keys(FFDHE_GROUPS)).toEqual(['ffdhe2048', 'ffdhe3072', 'ffdhe4096', 'ffdhe6144', 'ffdhe8192']);
    for (const g of Object.values(FFDHE_GROUPS)) expect(g.codePoint).toBe(NamedGroup[g.name]);
  });

  for (const g of Object.values(FFDHE_GROUPS)) {
    it(`${g.name} matches vectors/ffdhe/rfc7919-${g.name}.pem`, () => {
      const path = fileURLToPath(new URL(`../../../vectors/ffdhe/rfc7919-${g.name}.pem`, import.meta.url));
      const ref = readDhParams(path);
      expect(g.p).toBe(ref.p);
      expect(g.g).toBe(ref.g);
      expect(g.g).toBe(2n);
    });

    it(`${g.name}: size, and the shape RFC 7919 A gives (top and bottom 64 bits set)`, () => {
      expect(g.p.toString(2).length).toBe(g.byteLength * 8);
      const ones64 = (1n << 64n) - 1n;
      expect(g.p & ones64).toBe(ones64);
      expect(g.p >> BigInt(g.byteLength * 8 - 64)).toBe(ones64);
    });
  }
});
