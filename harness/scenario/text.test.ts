import { describe, expect, it } from 'vitest';
import { MAX_HEX_BYTES, parseHex } from './text.ts';

describe('parseHex', () => {
  it('reads pairs of digits with an optional 0x and separators', () => {
    expect(parseHex('0x0A:0b_0c 0d')).toEqual({ hex: '0a0b0c0d' });
    expect(parseHex('abc')).toEqual({ error: "bad hex 'abc': odd number of hex digits (3)" });
    expect(parseHex('0g')).toEqual({ error: "bad hex '0g': 'g' is not a hex digit" });
  });

  it('repeats whole bytes with <digits>*<count>', () => {
    expect(parseHex('fefe*3')).toEqual({ hex: 'fefefefefefe' });
    expect(parseHex('0x0a0b 00*4 ff')).toEqual({ hex: '0a0b00000000ff' });
    expect(parseHex('00*0')).toEqual({ hex: '' });
    expect('hex' in parseHex('00*65535') && (parseHex('00*65535') as { hex: string }).hex.length).toBe(131070);
  });

  it('refuses an odd unit, a count without digits, and more than 2^24-1 bytes', () => {
    expect(parseHex('a*2')).toEqual({ error: "bad hex 'a*2': 'a*2' repeats an odd number of hex digits" });
    expect(parseHex('00*')).toEqual({ error: "bad hex '00*': '*' is not a hex digit" });
    expect(parseHex(`00*${MAX_HEX_BYTES + 1}`)).toEqual({ error: `bad hex '00*${MAX_HEX_BYTES + 1}': more than ${MAX_HEX_BYTES} bytes` });
    expect(parseHex(`0000*${2 ** 23} 00*${2 ** 23}`)).toMatchObject({ error: expect.stringMatching(/more than 16777215 bytes/) });
  });
});
