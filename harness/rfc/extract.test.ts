import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  INDEX_PATH,
  RFC_DIR,
  SCOPE,
  bindsOf,
  blocksOf,
  buildIndex,
  extractSentences,
  inScope,
  keywordsOf,
  parseHeading,
  readUntestable,
  renderIndex,
  splitSentences,
  strongestLevel,
  type Sentence,
} from './extract.ts';

const fresh = buildIndex();
const byId = new Map(fresh.sentences.map((s) => [s.id, s]));
const get = (id: string): Sentence => {
  const s = byId.get(id);
  if (!s) throw new Error(`no sentence ${id}`);
  return s;
};
const lines = (...texts: string[]) => texts.map((text, i) => ({ no: i + 1, text }));

describe('rfc/sentences.json', () => {
  it('is what `npm run rfc-index` generates from the RFC texts (run it after changing the extractor or untestable.yaml)', () => {
    expect(readFileSync(INDEX_PATH, 'utf8')).toBe(renderIndex(fresh));
  });

  it('covers every RFC of the scope table, and only the sections in scope', () => {
    for (const d of SCOPE) {
      const of = fresh.sentences.filter((s) => s.doc === d.doc);
      expect(of.length, `RFC ${d.doc}`).toBeGreaterThan(0);
      for (const s of of) expect(inScope(s.section, d.sections), s.id).toBe(true);
    }
    // RFC 8446 sections 4-6 and Appendix D hold several hundred MUST/SHOULD/MAY sentences.
    expect(fresh.sentences.filter((s) => s.doc === 8446 && /^[456D]/.test(s.section)).length).toBeGreaterThan(300);
    expect(fresh.sentences.filter((s) => s.doc === 5246).length).toBeGreaterThan(100);
  });

  it('numbers the normative sentences of each section from 1, in document order', () => {
    const next = new Map<string, number>();
    for (const s of fresh.sentences) {
      const key = `${s.doc}/${s.section}`;
      const n = (next.get(key) ?? 0) + 1;
      next.set(key, n);
      expect(s.n, s.id).toBe(n);
      expect(s.id).toBe(`rfc${s.doc}-${s.section}-${n}`);
      expect(s.id).toMatch(/^rfc[0-9]+-[A-Za-z0-9.]+-[0-9]+$/); // SENTENCE_ID of the scenario loader
    }
    expect(new Set(fresh.sentences.map((s) => s.id)).size).toBe(fresh.sentences.length);
  });

  it('records the RFC line each sentence starts on', () => {
    const texts = new Map<number, string[]>();
    for (const d of SCOPE) texts.set(d.doc, readFileSync(join(RFC_DIR, d.file), 'utf8').split('\n'));
    for (const s of fresh.sentences) {
      const firstWords = s.text.split(' ').slice(0, 2).join(' ');
      const at = texts.get(s.doc)![s.line - 1].replace(/\s+/g, ' ');
      // The first word is on that line (the second may wrap to the next).
      expect(at, s.id).toContain(firstWords.split(' ')[0]);
    }
  });

  it('holds no page furniture, no code and no RFC 2119 boilerplate', () => {
    for (const s of fresh.sentences) {
      expect(s.text, s.id).not.toMatch(/\[Page \d+\]|\f|RFC \d{4} {3,}|Standards Track/);
      expect(s.text, s.id).not.toMatch(/\} *[A-Za-z]+;|\bstruct \{|\+-{5,}/);
      expect(s.text, s.id).not.toContain('BCP 14');
      expect(s.text).toBe(s.text.replace(/\s+/g, ' ').trim());
    }
  });

  it('keeps the known sentences whole, with their level and keywords', () => {
    expect(get('rfc8446-4.4.4-1')).toMatchObject({
      section: '4.4.4',
      title: 'Finished',
      text: 'Recipients of Finished messages MUST verify that the contents are correct and if incorrect MUST terminate the connection with a "decrypt_error" alert.',
      level: 'must',
      keywords: ['MUST'],
      binds: 'receiver',
      testable: true,
    });
    expect(get('rfc8446-4.1.2-13')).toMatchObject({
      title: 'Client Hello',
      text: 'For every TLS 1.3 ClientHello, this vector MUST contain exactly one byte, set to zero, which corresponds to the "null" compression method in prior versions of TLS.',
      level: 'must',
      binds: 'client',
    });
    expect(get('rfc8446-4.1.2-14').text).toBe(
      'If a TLS 1.3 ClientHello is received with any other value in this field, the server MUST abort the handshake with an "illegal_parameter" alert.',
    );
    expect(get('rfc8446-4.1.2-1')).toMatchObject({
      text: 'When a client first connects to a server, it is REQUIRED to send the ClientHello as its first TLS message.',
      level: 'must',
      keywords: ['REQUIRED'],
    });
    expect(get('rfc8446-4.2.8-8')).toMatchObject({
      text: 'Servers MAY check for violations of these rules and abort the handshake with an "illegal_parameter" alert if one is violated.',
      level: 'may',
      binds: 'server',
    });
    // The strongest keyword sets the level; all are listed.
    expect(get('rfc5246-6.2.3.2-1')).toMatchObject({ text: 'The Initialization Vector (IV) SHOULD be chosen at random, and MUST be unpredictable.', level: 'must', keywords: ['SHOULD', 'MUST'] });
    expect(get('rfc8446-D.1-4')).toMatchObject({ level: 'should', keywords: ['NOT RECOMMENDED'] });
    expect(get('rfc7301-3.2-2')).toMatchObject({ level: 'must', keywords: ['SHALL'] });
  });

  it('joins a sentence across a page break and keeps the line it starts on', () => {
    // RFC 8446 page 38/39: "... (although they will have to" | page break | "parse the ServerHello ...".
    expect(get('rfc8446-4.2.1-11')).toMatchObject({
      text: 'Clients MUST check for this extension prior to processing the rest of the ServerHello (although they will have to parse the ServerHello in order to read the extension).',
      line: 2181,
    });
    expect(get('rfc8446-D.4-1').text).toMatch(/^Either side can send change_cipher_spec at any time during the handshake, as they must be ignored by the peer, but if the client sends/);
  });

  it('does not run a list item into the paragraph after a page break', () => {
    expect(get('rfc8446-4.1.4-8').text).toBe('A client which receives a cipher suite that was not offered MUST abort the handshake.');
  });

  it('reads RFC 5246 definitions (term on its own line) and two-column tables as prose', () => {
    expect(get('rfc5246-6.2.3.2-5').text).toMatch(/^The padding length MUST be such that/);
    expect(get('rfc5246-7.4.2-12').text).toBe('Diffie-Hellman public key; the keyAgreement bit MUST be set if the key usage extension is present.');
    expect(get('rfc5246-7.4.6-12').text).toContain('hash/signature algorithm pair');
  });

  it('marks the curated sentences untestable, with the reason, and only those', () => {
    const curated = readUntestable();
    expect(curated.size).toBeGreaterThan(20);
    for (const s of fresh.sentences) {
      expect(s.testable, s.id).toBe(!curated.has(s.id));
      if (s.testable) expect(s.untestable).toBeUndefined();
      else expect(s.untestable).toBe(curated.get(s.id));
    }
    expect(get('rfc8446-7.5-3')).toMatchObject({ testable: false, untestable: 'a rule for future specifications' });
  });

  it('refuses an untestable.yaml naming an id that is not in the index', () => {
    expect(() => buildIndex(RFC_DIR, new Map([['rfc8446-4.4.4-99', 'x']]))).toThrow(/rfc8446-4.4.4-99/);
  });

  it('keeps the paragraph (or lead-in and list) of each sentence', () => {
    for (const s of fresh.sentences) expect(fresh.paragraphs[s.paragraph], s.id).toContain(s.text.slice(0, 30));
    // A list item's paragraph is its lead-in with the whole list.
    const item = get('rfc8446-5.1-3'); // "Handshake messages MUST NOT be interleaved with other record types."
    expect(fresh.paragraphs[item.paragraph]).toMatch(/^Handshake messages MAY be coalesced .* provided that: Handshake messages MUST NOT be interleaved/);
  });
});

describe('who a sentence binds', () => {
  it.each([
    ['rfc8446-4.1.3-4', 'client'], // A client which receives ... MUST abort
    ['rfc8446-4.4.4-1', 'receiver'], // Recipients of Finished messages MUST verify
    ['rfc8446-4.6.3-3', 'receiver'], // Upon receiving a KeyUpdate, the receiver MUST
    ['rfc8446-4.2-4', 'receiver'], // Upon receiving such an extension, an endpoint MUST abort
    ['rfc8446-5.1-16', 'receiver'], // An endpoint that receives a record that exceeds this length MUST terminate
    ['rfc8446-5.1-8', 'sender'], // Implementations MUST NOT send zero-length fragments
    ['rfc8446-4.2.8-8', 'server'], // Servers MAY check
    ['rfc8446-4.2.8-6', 'client'], // Clients MUST NOT offer
    ['rfc8446-4.1.2-5', 'server'], // "In particular, it MUST NOT negotiate TLS 1.3": the server of the sentence before
    ['rfc8446-4.1.2-13', 'client'], // this vector MUST (section Client Hello: the client sends it)
    ['rfc8446-4.1.3-6', 'server'], // legacy_compression_method: A single byte which MUST (section Server Hello)
    ['rfc8446-4.2-1', 'client'], // ... message which a client MAY respond to
    ['rfc8446-4.1.2-7', 'client'], // A client which has a cached session ID set by a pre-TLS 1.3 server SHOULD
    ['rfc8446-4.1.2-15', 'server'], // TLS 1.3 servers might receive ... and (if ...) MUST follow
    ['rfc8446-6-3', 'both'], // Servers and clients MUST forget
    ['rfc8446-4.5-3', 'both'], // Servers MUST NOT send this message, and clients receiving it MUST terminate
  ])('%s binds %s', (id, binds) => {
    expect(get(id).binds).toBe(binds);
  });

  it('judges each clause by its own subject', () => {
    expect(bindsOf('The client MUST send X, and the server MUST abort.')).toBe('both');
    expect(bindsOf('If the server receives X, it MUST abort the handshake.')).toBe('server');
    expect(bindsOf('If not, then it MUST abort the handshake.', 'A server MUST check that the message is valid.')).toBe('server');
    expect(bindsOf('This field MUST be zero.')).toBe('sender');
    expect(bindsOf('This field MUST be zero.', '', 'client')).toBe('client');
    // "Whenever an implementation encounters a fatal error condition, it ... MUST close": the error is in what it
    // received, so the duty is the receiver's (RFC 8446 6.2, RFC 5246 7.2.2).
    expect(bindsOf("Whenever an implementation encounters a fatal error condition, it SHOULD send an appropriate fatal alert and MUST close the connection without sending or receiving any additional data.")).toBe("receiver");
    expect(bindsOf('This field MUST be ignored.')).toBe('receiver');
    expect(bindsOf('Implementations MUST verify the value and MUST abort if it is wrong.')).toBe('receiver');
  });
});

describe('the pieces', () => {
  it('finds headings, not table-of-contents lines', () => {
    expect(parseHeading('4.1.2.  Client Hello')).toEqual({ section: '4.1.2', title: 'Client Hello' });
    expect(parseHeading('Appendix D.  Backward Compatibility')).toEqual({ section: 'D', title: 'Backward Compatibility' });
    expect(parseHeading('D.5.  Security Restrictions Related to Backward Compatibility')).toEqual({
      section: 'D.5',
      title: 'Security Restrictions Related to Backward Compatibility',
    });
    expect(parseHeading('1.  Introduction . . . . . . . . . . . . .  3')).toBeUndefined();
    expect(parseHeading('   4.1.2.  Client Hello')).toBeUndefined();
  });

  it('finds keywords in capitals outside quotes, the longest form first', () => {
    expect(keywordsOf('The server MUST NOT send it and MAY close.').map((k) => k.keyword)).toEqual(['MUST NOT', 'MAY']);
    expect(keywordsOf('The key words "MUST", "SHOULD" and "MAY" are to be interpreted').map((k) => k.keyword)).toEqual([]);
    expect(keywordsOf('it is NOT RECOMMENDED; servers must abort').map((k) => k.keyword)).toEqual(['NOT RECOMMENDED']);
    expect(strongestLevel(['MAY', 'SHOULD NOT'])).toBe('should');
    expect(strongestLevel(['OPTIONAL', 'SHALL'])).toBe('must');
    expect(strongestLevel([])).toBeUndefined();
  });

  it('splits sentences at two spaces or a line end, not after e.g. or inside numbers', () => {
    const pieces = splitSentences(
      lines(
        'The server MUST abort (e.g.',
        'with an alert).  Section 4.1.2 says so.  A client',
        'MAY retry, i.e., send it again.',
        'The end.',
      ),
    );
    expect(pieces.map((p) => p.text)).toEqual([
      'The server MUST abort (e.g. with an alert).',
      'Section 4.1.2 says so.',
      'A client MAY retry, i.e., send it again.',
      'The end.',
    ]);
    expect(pieces.map((p) => p.line)).toEqual([1, 2, 2, 4]);
    // A word broken after its hyphen is one word again.
    expect(splitSentences(lines('the higher-', 'level protocol MUST')).map((p) => p.text)).toEqual(['the higher-level protocol MUST']);
  });

  it('drops page footers, form feeds and running headers, and joins a paragraph split by a page', () => {
    const text = [
      '4.1.  A Section',
      '',
      '   The client MUST send the',
      '',
      '',
      'Author                     Standards Track                    [Page 7]',
      '\f',
      'RFC 9999                     TLS                       August 2018',
      '',
      '',
      '   message.  The server MAY answer.',
      '',
      '      struct {',
      '          uint8 x;',
      '      } Thing;',
      '',
    ].join('\n');
    expect(blocksOf(text).map((b) => b.lines.map((l) => l.no))).toEqual([[1], [3, 11], [13, 14, 15]]);
    const r = extractSentences(text, 9999, ['4']);
    expect(r.sentences.map((s) => [s.id, s.text, s.line])).toEqual([
      ['rfc9999-4.1-1', 'The client MUST send the message.', 3],
      ['rfc9999-4.1-2', 'The server MAY answer.', 11],
    ]);
    expect(extractSentences(text, 9999, ['5']).sentences).toEqual([]);
  });
});
