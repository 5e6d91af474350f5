/**
 * The RFC sentence index generator: RFC texts (rfc/*.txt, the RFC Editor's paginated plain text) -> the
 * normative sentences of the sections in SCOPE -> rfc/sentences.json. Run it with `npm run rfc-index`;
 * extract.test.ts checks that the committed file equals a fresh generation, so the two cannot drift.
 *
 * A normative sentence is one that holds an RFC 2119 keyword in capitals outside double quotes (RFC 2119 /
 * RFC 8174: "These words ... have the defined special meanings only when in ALL CAPITALS"). Its id is
 * `rfc<doc>-<section>-<n>`, n counting the normative sentences of its section (the deepest heading) from 1,
 * the form SENTENCE_ID in harness/scenario/format.ts accepts.
 *
 * Steps: drop page furniture (footer `... [Page N]`, form feed, running header `RFC 8446 ... August 2018`),
 * split into blocks at blank lines, join a block to the one before it across a page break when the sentence
 * runs on, find section headings (`4.1.2.  Client Hello`, `Appendix D.  ...`, `D.5.  ...`) at column 0,
 * skip code blocks (structs, tables, figures), split the prose into sentences (two spaces after a full stop
 * in RFC text; at a line end, a full stop ends a sentence unless it closes an abbreviation), and keep the
 * normative ones with their level, keywords, the party they bind and whether a peer can test them
 * (rfc/untestable.yaml holds the curated judgement).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { fromRoot } from '../paths.ts';

export type Level = 'must' | 'should' | 'may';
/** Who a sentence puts the duty on (heuristic, from the subject of the clause that holds the keyword). */
export type Binds = 'client' | 'server' | 'sender' | 'receiver' | 'both' | 'unknown';

export interface Sentence {
  /** `rfc<doc>-<section>-<n>`. */
  id: string;
  doc: number;
  section: string;
  /** The title of the section. */
  title: string;
  /** 1-based ordinal of this normative sentence within its section. */
  n: number;
  /** The sentence, whitespace-normalised, one line. */
  text: string;
  /** The line of the RFC file where the sentence starts (1-based). */
  line: number;
  /** The strongest keyword's level. */
  level: Level;
  /** Every RFC 2119 keyword of the sentence, in order of appearance, repeats removed. */
  keywords: string[];
  binds: Binds;
  testable: boolean;
  /** Why a peer cannot check it on the wire (only when testable is false). */
  untestable?: string;
  /** Key of the paragraph (or lead-in plus list) the sentence belongs to, in SentenceIndexFile.paragraphs. */
  paragraph: string;
}

export interface SentenceIndexFile {
  /** What made this file. */
  generatedBy: string;
  docs: { doc: number; file: string; title: string; scope: string[]; sentences: number }[];
  sentences: Sentence[];
  /** Paragraph key -> whitespace-normalised text of the paragraph, or of a lead-in and its list. */
  paragraphs: Record<string, string>;
}

/**
 * What is indexed, in one place: per RFC, the text file in rfc/ and the top-level sections (or appendix
 * letters) whose subsections are all included. RFC 8446 and 5246: the protocol sections; the extension RFCs:
 * their whole body up to (not including) Security / IANA Considerations and the references.
 */
export const SCOPE: readonly { doc: number; file: string; title: string; sections: readonly string[] }[] = [
  // 2 (the overview, a few MUSTs scenarios cite), 4-7 (handshake, record, alert, cryptographic computations),
  // 9 (compliance requirements: mandatory suites, groups, extensions, GREASE-style tolerance), Appendix D.
  { doc: 8446, file: 'rfc8446.txt', title: 'The Transport Layer Security (TLS) Protocol Version 1.3', sections: ['2', '4', '5', '6', '7', '9', 'D'] },
  { doc: 5246, file: 'rfc5246.txt', title: 'The Transport Layer Security (TLS) Protocol Version 1.2', sections: ['6', '7'] },
  { doc: 7627, file: 'rfc7627.txt', title: 'TLS Session Hash and Extended Master Secret Extension', sections: ['1', '2', '3', '4', '5'] },
  { doc: 5746, file: 'rfc5746.txt', title: 'TLS Renegotiation Indication Extension', sections: ['1', '2', '3', '4'] },
  { doc: 8422, file: 'rfc8422.txt', title: 'ECC Cipher Suites for TLS Versions 1.2 and Earlier', sections: ['1', '2', '3', '4', '5', '6', '7'] },
  { doc: 5077, file: 'rfc5077.txt', title: 'TLS Session Resumption without Server-Side State', sections: ['1', '2', '3', '4'] },
  { doc: 7301, file: 'rfc7301.txt', title: 'TLS Application-Layer Protocol Negotiation Extension', sections: ['1', '2', '3', '4'] },
  { doc: 6066, file: 'rfc6066.txt', title: 'TLS Extensions: Extension Definitions', sections: ['1', '2', '3', '4', '5', '6', '7', '8', '9'] },
];

export function inScope(section: string, tops: readonly string[]): boolean {
  return tops.some((t) => section === t || section.startsWith(t + '.'));
}

// ---------------------------------------------------------------------------------------------------------
// Keywords

/** RFC 2119 keywords, the longer forms first so that "MUST NOT" is not read as "MUST". */
const KEYWORD_RE = /\b(MUST NOT|MUST|REQUIRED|SHALL NOT|SHALL|SHOULD NOT|SHOULD|NOT RECOMMENDED|RECOMMENDED|MAY|OPTIONAL)\b/g;

export const KEYWORD_LEVEL: Readonly<Record<string, Level>> = {
  MUST: 'must',
  'MUST NOT': 'must',
  REQUIRED: 'must',
  SHALL: 'must',
  'SHALL NOT': 'must',
  SHOULD: 'should',
  'SHOULD NOT': 'should',
  RECOMMENDED: 'should',
  'NOT RECOMMENDED': 'should',
  MAY: 'may',
  OPTIONAL: 'may',
};

const LEVEL_RANK: Record<Level, number> = { must: 3, should: 2, may: 1 };

/** Text with double-quoted spans blanked out (same length), so that `"MUST"` in the RFC 2119 boilerplate is no keyword. */
function unquoted(text: string): string {
  return text.replace(/"[^"]*"/g, (m) => ' '.repeat(m.length));
}

/** The RFC 2119 keywords of a text (capitals, outside double quotes) with their offsets. */
export function keywordsOf(text: string): { keyword: string; at: number }[] {
  const out: { keyword: string; at: number }[] = [];
  const t = unquoted(text);
  for (const m of t.matchAll(KEYWORD_RE)) out.push({ keyword: m[1], at: m.index ?? 0 });
  return out;
}

export function strongestLevel(keywords: readonly string[]): Level | undefined {
  let best: Level | undefined;
  for (const k of keywords) {
    const l = KEYWORD_LEVEL[k];
    if (l && (!best || LEVEL_RANK[l] > LEVEL_RANK[best])) best = l;
  }
  return best;
}

// ---------------------------------------------------------------------------------------------------------
// Who a sentence binds

const PARTY_WORD = /\b(clients?|servers?|recipients?|receivers?|senders?|implementations?|implementers?|implementors?|endpoints?|peers?|part(?:y|ies)|sides?|applications?|stacks?|middlebox(?:es)?)\b/gi;
const RECEIVING = /\b(recipients?|receivers?|receiving|receives?|received|receipt|upon receiving|when receiving|encounters?)\b/i;
const PRONOUN = /^(it|they|he|she)$/i;
/** Verbs after the keyword that say the duty is about handling what arrived. */
const RECEIVER_VERBS = /^(abort|terminate|reject|ignore|verify|check|validate|treat|accept|process|respond|answer|discard|skip|fail|close|tear|drop|consider|interpret|decrypt|examine|compare|confirm|enforce|disregard|refuse|be ignored|be treated|be rejected|be accepted|be verified|be checked|be validated|be prepared)/i;
/** Verbs after the keyword that say the duty is about what is sent. */
const SENDER_VERBS = /^(send|include|set|use|generate|select|offer|advertise|contain|provide|echo|indicate|negotiate|request|initiate|transmit|emit|list|choose|pick|present|supply|sign|encrypt|pad|fragment|coalesce|interleave|span|appear|be sent|be included|be set|be used|be encrypted|be generated|be signed|be offered|be negotiated|be fragmented|be coalesced|be interleaved|be empty|be non-empty|be zero|be the|be one|be a|be equal|be identical|have|begin|come|follow|precede|only)/i;
const ADVERBS = /\b(also|always|only|first|still|then|not|immediately|correctly|either|simply|otherwise|instead|never|both|therefore|thus)\b\s*/gi;

/** `(...)` spans blanked out (same length): "(if negotiating such a prior version) MUST" has no subject in parentheses. */
function unparenthesized(text: string): string {
  let out = text;
  for (;;) {
    const next = out.replace(/\([^()]*\)/g, (m) => ' '.repeat(m.length));
    if (next === out) return out;
    out = next;
  }
}

/**
 * The party a sentence puts its duty on, from the subject of each clause that holds a keyword (the words
 * between the last clause boundary before the keyword and the keyword):
 * - the party named right before the keyword ("which a client MAY", "TLS 1.3 servers MUST"), else the head
 *   of the subject ("A client which receives ... MUST"): client, server, receiver (recipient, receiver),
 *   sender; "it"/"they": the party named first in the sentence, else in the sentence before;
 * - a generic party (implementation, endpoint, peer): receiver when the clause is about receiving, else by
 *   the verb after the keyword (abort, ignore, verify: receiver; send, include, set: sender), else both;
 * - a field, message or value ("this vector MUST contain"): its sender, or the message's sender when the
 *   section is about one message (`sectionSender`), unless the verb is about handling it (receiver).
 * Several clauses binding client and server, or sender and receiver: both.
 */
export function bindsOf(text: string, previous = '', sectionSender?: 'client' | 'server'): Binds {
  const t = unparenthesized(unquoted(text));
  const kws = keywordsOf(text);
  const found: Binds[] = [];
  let lastEnd = -1;
  for (const { keyword, at } of kws) {
    const before = t.slice(0, at);
    const boundary = Math.max(before.lastIndexOf(','), before.lastIndexOf(';'), before.lastIndexOf(':'));
    const sharesSubject = lastEnd >= 0 && boundary < lastEnd;
    lastEnd = at + keyword.length;
    // A keyword in the same clause as the previous one ("MUST verify ... and if incorrect MUST terminate") shares its subject.
    if (sharesSubject) continue;
    const subject = before.slice(boundary + 1).trim();
    if (found.length > 0 && /^(and|or|but)?\s*(\w+ly)?$/i.test(subject)) continue;
    const after = t.slice(at + keyword.length).replace(ADVERBS, '').trim();
    let b = subjectBinds(subject, after, before, previous);
    if (b === 'sender' && sectionSender) b = sectionSender;
    found.push(b);
  }
  const set = new Set(found.filter((b) => b !== 'unknown'));
  if (set.size === 0) return 'unknown';
  if (set.size === 1) return [...set][0];
  if (set.has('both') || (set.has('client') && set.has('server')) || (set.has('sender') && set.has('receiver'))) return 'both';
  if (set.has('client') && !set.has('server')) return 'client';
  if (set.has('server') && !set.has('client')) return 'server';
  return 'both';
}

function partiesIn(text: string): string[] {
  return [...text.matchAll(PARTY_WORD)].map((m) => m[1].toLowerCase().replace(/e?s$/, '').replace(/ie$/, 'y'));
}

function roleOf(words: string[]): Binds | undefined {
  const c = words.includes('client');
  const s = words.includes('server');
  if (c && s) return 'both';
  if (c) return 'client';
  if (s) return 'server';
  if (words.some((w) => w === 'recipient' || w === 'receiver')) return 'receiver';
  if (words.includes('sender')) return 'sender';
  return undefined;
}

function subjectBinds(subject: string, after: string, before: string, previous: string): Binds {
  let s = subject.trim();
  for (let prev = ''; prev !== s; ) {
    prev = s;
    s = s.replace(/^(note that|note:|if|when|whenever|where|while|unless|otherwise|in addition|additionally|also|then|thus|so|and|or|but|however|therefore|instead|hence|similarly|specifically|in particular|indeed|accordingly)\b\s*/i, '').trim();
  }
  const words = s.split(/\s+/).filter(Boolean);
  // "which a client MAY", "TLS 1.3 servers MUST", "Servers and clients MUST": the noun right before the keyword.
  const tail = words.slice(-3).join(' ');
  const last = words[words.length - 1] ?? '';
  // "it MUST" (the subject is the pronoun; "clients receiving it MUST" is not).
  if (words.length === 1 && PRONOUN.test(last)) return pronounBinds(before, previous, after);
  // Unless a relative clause ends there ("A client which has a session set by a server SHOULD"): then the
  // head is the subject, except for "which a client MAY" (the relative clause is just its subject).
  const rel = /\b(?:which|that|who|whose)\b(?!.*\b(?:which|that|who|whose)\b)(.*)$/i.exec(s);
  const tailParties = partiesIn(tail);
  const tailRole = roleOf(tailParties);
  const relIsSubject = rel !== null && rel[1].trim().split(/\s+/).length <= 3;
  if (tailRole && partiesIn(last).length > 0 && (rel === null || relIsSubject)) return tailRole;
  // "A client which receives ... MUST": the head of the subject, before a relative clause.
  const head = s.split(/\b(?:which|that|who|whose|if|when|after|before|unless|receiving|sending|using|offering|performing|implementing|requesting|negotiating|supporting)\b/i)[0];
  const headWords = head.split(/\s+/).filter(Boolean).slice(0, 6).join(' ');
  const headParties = partiesIn(headWords);
  const headRole = roleOf(headParties);
  if (headRole) return headRole;
  if (headParties.length > 0) {
    // implementation, endpoint, peer, party, side, application: by what the clause is about.
    if (RECEIVING.test(s) || RECEIVING.test(before.slice(0, before.length - subject.length))) return 'receiver';
    return verbBinds(after, 'both');
  }
  if (words.length === 0) return pronounBinds(before, previous, after);
  // A field, message, value or extension.
  if (RECEIVING.test(s)) return 'receiver';
  return verbBinds(after, 'sender');
}

function pronounBinds(before: string, previous: string, after: string): Binds {
  const here = roleOf(firstParty(before));
  if (here && here !== 'both') return here;
  const prev = roleOf(firstParty(unparenthesized(unquoted(previous))));
  if (prev && prev !== 'both') return prev;
  if (RECEIVING.test(before)) return 'receiver';
  return verbBinds(after, 'unknown');
}

/** The first client/server/recipient/sender word of a text, as a one-word list (for roleOf). */
function firstParty(text: string): string[] {
  const first = partiesIn(text).find((w) => ['client', 'server', 'recipient', 'receiver', 'sender'].includes(w));
  return first ? [first] : [];
}

function verbBinds(after: string, otherwise: Binds): Binds {
  if (RECEIVER_VERBS.test(after)) return 'receiver';
  if (SENDER_VERBS.test(after)) return 'sender';
  return otherwise;
}

/** The sender of the one message a section is about (RFC 8446 "4.1.2. Client Hello": the client), if any. */
export function sectionSenderOf(title: string): 'client' | 'server' | undefined {
  if (/^(Client Hello|Client Certificate|Client Key Exchange|End of Early Data)\b/i.test(title)) return 'client';
  if (/^(Server Hello|Hello Retry Request|Hello Request|Encrypted Extensions|Certificate Request|Server Certificate|Server Key Exchange|Server Hello Done|New Session Ticket|NewSessionTicket Handshake Message)\b/i.test(title)) return 'server';
  return undefined;
}

// ---------------------------------------------------------------------------------------------------------
// Text structure

interface Line {
  no: number;
  text: string;
}

interface Block {
  lines: Line[];
  /** A page break lies between this block and the one before. */
  afterPageBreak: boolean;
}

export interface Heading {
  section: string;
  title: string;
  line: number;
}

const HEADING_NUM = /^(\d+(?:\.\d+)*)\.\s+(\S.*)$/;
const HEADING_APPENDIX = /^Appendix ([A-Z])\.\s+(\S.*)$/;
const HEADING_APPENDIX_SUB = /^([A-Z](?:\.\d+)+)\.\s+(\S.*)$/;

export function parseHeading(line: string): { section: string; title: string } | undefined {
  const m = HEADING_NUM.exec(line) ?? HEADING_APPENDIX.exec(line) ?? HEADING_APPENDIX_SUB.exec(line);
  if (!m) return undefined;
  // A table-of-contents line has dot leaders and a page number; a heading does not.
  if (/\.{3,}|(\. ){3,}/.test(m[2])) return undefined;
  return { section: m[1], title: m[2].trim() };
}

/** Lines without page furniture, grouped into blocks (runs of non-blank lines). */
export function blocksOf(text: string): Block[] {
  const raw = text.split('\n').map((t, i) => ({ no: i + 1, text: t.replace(/\r$/, ''), ff: t.includes('\f') }));
  for (const l of raw) l.text = l.text.replace(/\f/g, '').replace(/\s+$/, '');
  const blocks: Block[] = [];
  let cur: Line[] = [];
  let pageBreak = false;
  const flush = () => {
    if (cur.length > 0) blocks.push({ lines: cur, afterPageBreak: pageBreak });
    cur = [];
    pageBreak = false;
  };
  for (let i = 0; i < raw.length; i++) {
    const l = raw[i];
    if (l.ff) {
      // Form feed, then (on the next non-empty line) the running header `RFC 8446  TLS  August 2018`.
      flush();
      pageBreak = true;
      let j = i + 1;
      while (j < raw.length && raw[j].text === '') j++;
      if (j < raw.length && /^RFC \d+\s/.test(raw[j].text)) i = j;
      continue;
    }
    if (/\[Page \d+\]$/.test(l.text) && /^\S/.test(l.text)) {
      // Footer `Rescorla  Standards Track  [Page 27]`.
      flush();
      pageBreak = true;
      continue;
    }
    if (l.text === '') {
      if (cur.length > 0) flush();
      continue;
    }
    cur.push(l);
  }
  flush();
  return joinAcrossPages(blocks);
}

/** A block continues the previous one across a page break when the previous one stops mid-sentence. */
function joinAcrossPages(blocks: Block[]): Block[] {
  const out: Block[] = [];
  for (const b of blocks) {
    const prev = out[out.length - 1];
    if (prev && b.afterPageBreak && continues(prev, b)) {
      prev.lines.push(...b.lines);
      continue;
    }
    out.push(b);
  }
  return out;
}

function continues(prev: Block, next: Block): boolean {
  const last = prev.lines[prev.lines.length - 1].text;
  const first = next.lines[0].text;
  if (parseHeading(first) || parseHeading(prev.lines[0].text)) return false;
  if (LIST_ITEM.test(first)) return false;
  if (isCode(prev) || isCode(next)) return false;
  // After a list item, a block at the item's own indentation (or less) is the next paragraph.
  const m = LIST_ITEM.exec(prev.lines[0].text);
  if (m && indentOf(first) <= m[1].length) return false;
  if (/[.:!?]["')\]]*$/.test(last.trim())) return /^\s+[a-z]/.test(first) && !DEFINITION.test(first);
  return true;
}

const LIST_ITEM = /^(\s*)(?:-|o|\*|\+|\d+\.|\([0-9a-z]+\)|[a-z]\))\s+(?=\S)/;
const DEFINITION = /^\s*[A-Za-z_][\w\-/.]*(?: [\w\-/.]+){0,3}:\s{2,}\S/;

const indentOf = (l: string) => l.length - l.trimStart().length;

/**
 * Code: structs, enums, tables, figures, formulas. A block is code when most of its lines look like code
 * (`;`, `{`, `}` line ends, comments, table rules `+---` and cells `|`, arrows), or when it starts at
 * column 0 without being a heading (figures).
 */
export function isCode(b: Block): boolean {
  const lines = b.lines.map((l) => l.text);
  if (lines.some((l) => /^\s*\+[-=+]{3,}/.test(l) || /^\s*\|.*\|\s*$/.test(l))) return true;
  if (indentOf(lines[0]) === 0 && !parseHeading(lines[0])) return true;
  const codeLike = lines.filter((l) => {
    const t = l.trim();
    const words = t.split(/\s+/).length;
    if (/^[{}]/.test(t) || /^(struct|enum|select|case)\b/.test(t)) return true;
    if (/\/\*.*\*\/\s*$/.test(t)) return true;
    if (/[;{}]$/.test(t) && words <= 8) return true;
    if (/(<-|->|<--|-->|\^|\bv\b)\s*$/.test(t) && words <= 8 && !/[a-z]{3,}\.$/.test(t)) return /[|^<>]/.test(t);
    if (/^[A-Za-z_-]+\s*\(.*\)\s*=\s*$/.test(t)) return true;
    return false;
  }).length;
  return codeLike * 2 >= lines.length && codeLike > 0;
}

// ---------------------------------------------------------------------------------------------------------
// Sentences

const ABBREVIATIONS = /(?:^|[\s("])(?:e\.g|i\.e|cf|vs|viz|Sec|Fig|No|al|approx|resp)\.$/i;

interface Piece {
  text: string;
  line: number;
}

/**
 * The lines of a paragraph as one string, a '\n' between lines (the sentence splitter needs to know where
 * lines ended), except after a hyphen or slash that broke a word ("higher-" + "level": "higher-level"),
 * with the RFC line of every character.
 */
function joinLines(lines: readonly Line[]): { s: string; lineAt: number[] } {
  let s = '';
  const lineAt: number[] = [];
  lines.forEach((l, i) => {
    const t = l.text.trim();
    if (i > 0 && !(/[A-Za-z][-/]$/.test(s) && /^[a-z]/.test(t))) {
      s += '\n';
      lineAt.push(l.no);
    }
    for (let k = 0; k < t.length; k++) lineAt.push(l.no);
    s += t;
  });
  return { s, lineAt };
}

/** A paragraph's lines as one whitespace-normalised line. */
export function paragraphText(lines: readonly Line[]): string {
  return normalizeSpace(joinLines(lines).s);
}

/**
 * Split a paragraph (its lines, indentation removed) into sentences. Inside a line a sentence ends with
 * [.?!] (and closing quotes or brackets) followed by two spaces, the RFC Editor's convention; at a line end
 * a full stop ends a sentence unless it closes an abbreviation (e.g., i.e., cf.) or the next line starts in
 * lowercase.
 */
export function splitSentences(lines: readonly Line[]): Piece[] {
  const { s, lineAt } = joinLines(lines);
  const out: Piece[] = [];
  let start = 0;
  const re = /[.?!]["')\]]*(\s+)(?=\S)/g;
  for (const m of s.matchAll(re)) {
    const ws = m[1];
    const end = (m.index ?? 0) + m[0].length - ws.length;
    const upTo = s.slice(start, end);
    let boundary: boolean;
    if (ws.includes('\n')) boundary = !ABBREVIATIONS.test(upTo.replace(/["')\]]+$/, '').replace(/[.?!]$/, '.'));
    else boundary = ws.length >= 2;
    if (!boundary) continue;
    out.push({ text: s.slice(start, end), line: lineAt[start] ?? lines[0].no });
    start = end + ws.length;
  }
  if (start < s.length) out.push({ text: s.slice(start), line: lineAt[start] ?? lines[0].no });
  return out.map((p) => ({ text: normalizeSpace(p.text), line: p.line })).filter((p) => p.text !== '');
}

export function normalizeSpace(s: string): string {
  return s.replace(/\s+/g, ' ').trim();
}

// ---------------------------------------------------------------------------------------------------------
// Sections and paragraphs

export interface Paragraph {
  section: string;
  /** Key of the paragraph, or of its lead-in and list: `rfc8446-4.1.2-p3`. */
  key: string;
  lines: Line[];
}

export interface ParsedRfc {
  headings: Heading[];
  /** Prose paragraphs by section, code blocks left out. */
  paragraphs: Paragraph[];
  /** Context key -> text (a paragraph, or a lead-in ending in ':' with the list that follows it). */
  contexts: Map<string, string>;
}

export function parseRfc(text: string, doc: number): ParsedRfc {
  const blocks = blocksOf(text);
  const headings: Heading[] = [];
  const paragraphs: Paragraph[] = [];
  const contexts = new Map<string, string>();
  let section: string | undefined;
  let counter = 0;
  // The current lead-in group: a paragraph ending with ':' and the list items (and deeper blocks) after it.
  let group: { key: string; indent: number; texts: string[] } | undefined;
  const closeGroup = () => {
    if (group) contexts.set(group.key, normalizeSpace(group.texts.join(' ')));
    group = undefined;
  };
  for (const b of blocks) {
    const first = b.lines[0].text;
    const h = indentOf(first) === 0 ? parseHeading(first) : undefined;
    if (h) {
      closeGroup();
      // A title that wraps continues on indented lines of the same block.
      const title = normalizeSpace([h.title, ...b.lines.slice(1).map((l) => l.text)].join(' '));
      headings.push({ section: h.section, title, line: b.lines[0].no });
      section = h.section;
      counter = 0;
      continue;
    }
    if (section === undefined) continue;
    if (isCode(b)) continue;
    const ind = indentOf(first);
    const isItem = LIST_ITEM.test(first);
    const lines = proseLines(b.lines);
    const textOf = paragraphText(isItem ? stripItem(lines) : lines);
    counter++;
    const own = `rfc${doc}-${section}-p${counter}`;
    if (group && (isItem || ind > group.indent)) {
      group.texts.push(textOf);
      paragraphs.push({ section, key: group.key, lines: isItem ? stripItem(lines) : lines });
      continue;
    }
    closeGroup();
    if (/:$/.test(textOf) && !isItem) {
      group = { key: own, indent: ind, texts: [textOf] };
      paragraphs.push({ section, key: own, lines });
      continue;
    }
    contexts.set(own, textOf);
    paragraphs.push({ section, key: own, lines: isItem ? stripItem(lines) : lines });
  }
  closeGroup();
  return { headings, paragraphs, contexts };
}

/**
 * The prose of a block: a definition whose term stands on its own line (RFC 5246: `   IV` then the
 * description indented below) loses the term line; a two-column table (`RSA      RSA public key; the
 * certificate MUST ...`, the description continuing at the same column) keeps only its right column.
 */
export function proseLines(lines: Line[]): Line[] {
  const [first, ...rest] = lines;
  if (
    rest.length > 0 &&
    !LIST_ITEM.test(first.text) &&
    /^\s*\S+(?: \S+){0,2}$/.test(first.text) &&
    !/[.:;,]$/.test(first.text) &&
    rest.every((l) => indentOf(l.text) > indentOf(first.text))
  ) {
    return rest;
  }
  const m = /^(\s*)(\S+(?: \S+)?)(\s{3,})(?=\S)/.exec(first.text);
  if (m && !LIST_ITEM.test(first.text)) {
    const col = m[0].length;
    const row = (l: Line) => indentOf(l.text) === col || (/^\s*\S+(?: \S+)?\s{2,}$/.test(l.text.slice(0, col)) && l.text.length > col && l.text[col] !== ' ');
    if (lines.every(row)) return lines.map((l) => ({ no: l.no, text: l.text.slice(col) }));
  }
  return lines;
}

/** A list item without its marker (`-  `, `1. `, `(a) `). */
function stripItem(lines: Line[]): Line[] {
  const [first, ...rest] = lines;
  return [{ no: first.no, text: first.text.replace(LIST_ITEM, '$1') }, ...rest];
}

// ---------------------------------------------------------------------------------------------------------
// The index

/** The normative sentences of one RFC text, in document order, within the given top-level sections. */
export function extractSentences(
  text: string,
  doc: number,
  scope: readonly string[],
  untestable: ReadonlyMap<string, string> = new Map(),
): { sentences: Sentence[]; paragraphs: Record<string, string> } {
  const parsed = parseRfc(text, doc);
  const titles = new Map(parsed.headings.map((h) => [h.section, h.title]));
  const sentences: Sentence[] = [];
  const paragraphs: Record<string, string> = {};
  const count = new Map<string, number>();
  for (const p of parsed.paragraphs) {
    if (!inScope(p.section, scope)) continue;
    let previous = '';
    for (const piece of splitSentences(p.lines)) {
      const kws = keywordsOf(piece.text);
      const before = previous;
      previous = piece.text;
      if (kws.length === 0) continue;
      const keywords = [...new Set(kws.map((k) => k.keyword))];
      const n = (count.get(p.section) ?? 0) + 1;
      count.set(p.section, n);
      const id = `rfc${doc}-${p.section}-${n}`;
      const reason = untestable.get(id);
      const s: Sentence = {
        id,
        doc,
        section: p.section,
        title: titles.get(p.section) ?? '',
        n,
        text: piece.text,
        line: piece.line,
        level: strongestLevel(keywords) as Level,
        keywords,
        binds: bindsOf(piece.text, before, sectionSenderOf(titles.get(p.section) ?? '')),
        testable: reason === undefined,
        paragraph: p.key,
      };
      if (reason !== undefined) s.untestable = reason;
      sentences.push(s);
      paragraphs[p.key] = parsed.contexts.get(p.key) ?? paragraphText(p.lines);
    }
  }
  return { sentences, paragraphs };
}

export const RFC_DIR = fromRoot('rfc/');

/** rfc/untestable.yaml: sentence id -> reason. */
export function readUntestable(path = join(RFC_DIR, 'untestable.yaml')): Map<string, string> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return new Map();
  }
  const data = (parseYaml(text) ?? {}) as Record<string, unknown>;
  const out = new Map<string, string>();
  for (const [k, v] of Object.entries(data)) {
    if (typeof v !== 'string' || v.trim() === '') throw new Error(`${path}: '${k}' needs a reason (a string)`);
    out.set(k, v.trim());
  }
  return out;
}

/** The whole index from the RFC texts in `dir`. */
export function buildIndex(dir = RFC_DIR, untestable = readUntestable(join(dir, 'untestable.yaml'))): SentenceIndexFile {
  const out: SentenceIndexFile = { generatedBy: 'npm run rfc-index (harness/rfc/extract.ts)', docs: [], sentences: [], paragraphs: {} };
  for (const d of SCOPE) {
    const text = readFileSync(join(dir, d.file), 'utf8');
    const r = extractSentences(text, d.doc, d.sections, untestable);
    out.docs.push({ doc: d.doc, file: `rfc/${d.file}`, title: d.title, scope: [...d.sections], sentences: r.sentences.length });
    out.sentences.push(...r.sentences);
    Object.assign(out.paragraphs, r.paragraphs);
  }
  const ids = new Set(out.sentences.map((s) => s.id));
  const stale = [...untestable.keys()].filter((k) => !ids.has(k));
  if (stale.length > 0) throw new Error(`rfc/untestable.yaml names sentence ids that are not in the index: ${stale.join(', ')}`);
  return out;
}

/** The JSON text of the index, as committed in rfc/sentences.json. */
export function renderIndex(index: SentenceIndexFile): string {
  return JSON.stringify(index, null, 2) + '\n';
}

export const INDEX_PATH = join(RFC_DIR, 'sentences.json');

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const index = buildIndex();
  writeFileSync(INDEX_PATH, renderIndex(index));
  const per = index.docs.map((d) => `RFC ${d.doc}: ${d.sentences}`).join(', ');
  process.stdout.write(`rfc/sentences.json: ${index.sentences.length} normative sentences (${per})\n`);
}
