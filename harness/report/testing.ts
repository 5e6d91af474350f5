/**
 * Test helpers for the report writers: fixtures, a minimal XML 1.0 well-formedness checker/parser and a
 * checker for the subset of JSON Schema that report.schema.json uses.
 */
import type { CaseResult, GroupResult, RunResult, TranscriptEntry, Verdict } from '../engine/result.ts';
import { summarize } from './json.ts';

export function transcript(n = 6, wireBytes = 64): TranscriptEntry[] {
  const names = ['ClientHello', 'ServerHello', 'EncryptedExtensions', 'Certificate', 'CertificateVerify', 'Finished'];
  const epochs = ['plaintext', 'plaintext', 'handshake', 'handshake', 'handshake', 'handshake'];
  return Array.from({ length: n }, (_, i) => ({
    t: i * 3,
    dir: i === 0 ? 'sent' : 'received',
    kind: 'handshake',
    name: names[i % names.length],
    detail: { legacy_version: '0303', random: 'ab'.repeat(32), extensions: [{ type: 43, versions: ['0304'] }] },
    wire: '16030100'.padEnd(wireBytes * 2, 'c3'),
    epoch: epochs[i % epochs.length],
  }));
}

export function makeCase(id: string, verdict: Verdict, extra: Partial<CaseResult> = {}): CaseResult {
  const scenarioId = id.replace(/\[.*$/, '');
  return {
    id,
    scenarioId,
    title: `title of ${scenarioId}`,
    rfc: { doc: 8446, section: '4.4.4', quote: 'Recipients of Finished messages MUST verify that the contents are correct.' },
    verdict,
    ...(verdict !== 'pass' ? { reason: `${verdict} because of reasons` } : {}),
    ...(verdict === 'fail' || verdict === 'lenient' ? { expected: 'alert decrypt_error', observed: 'alert bad_record_mac', step: { index: 3, loc: { file: 'scenarios/tls13/finished.yaml', line: 12, col: 5 } } } : {}),
    params: { group: 'x25519', record_size: 16384 },
    durationMs: 12.5,
    transcript: transcript(),
    ...extra,
  };
}

export function makeRun(cases: CaseResult[], extra: Partial<RunResult> = {}): RunResult {
  return {
    runId: 'run-1',
    target: 'openssl-3.0',
    startedAt: '2024-05-01T10:00:00.000Z',
    finishedAt: '2024-05-01T10:01:30.500Z',
    interrupted: false,
    summary: summarize(cases),
    cases,
    ...extra,
  };
}

/**
 * A run with two indistinguishability groups of `tls12-robot`: suite=a equal, suite=b differing (its passing
 * cases failed by the group, as runAll leaves them), one variant of b skipped.
 */
export function groupRun(): RunResult {
  const id = (suite: string, pad: string) => `tls12-robot[suite=${suite},pad=${pad}]`;
  const equal: GroupResult = {
    id: 'tls12-robot[suite=a]',
    scenarioId: 'tls12-robot',
    cases: [id('a', 'good'), id('a', 'bad')],
    variants: ['pad=good', 'pad=bad'],
    outcomes: ['alert bad_record_mac, close eof (1 record)', 'alert bad_record_mac, close eof (1 record)'],
    timesMs: [3, 4],
    equal: true,
    notes: [],
  };
  const differ: GroupResult = {
    id: 'tls12-robot[suite=b]',
    scenarioId: 'tls12-robot',
    cases: [id('b', 'good'), id('b', 'bad'), id('b', 'short')],
    variants: ['pad=good', 'pad=bad', 'pad=short'],
    outcomes: ['alert bad_record_mac, close eof (1 record)', 'alert decode_error, close eof (1 record)', null],
    timesMs: [3, 12, null],
    equal: false,
    notes: ['pad=short: left out (skip: the target lacks b)'],
  };
  const failed = (pad: string) =>
    makeCase(id('b', pad), 'fail', { reason: 'indistinguishability group tls12-robot[suite=b]: the variants differ', expected: 'the same outcome for every variant of tls12-robot[suite=b]', observed: 'pad=good: ...', step: undefined });
  return makeRun([makeCase(id('a', 'good'), 'pass'), makeCase(id('a', 'bad'), 'pass'), failed('good'), failed('bad'), makeCase(id('b', 'short'), 'skip')], { groups: [equal, differ] });
}

// ---- XML -----------------------------------------------------------------------------------------------

export interface XmlElement {
  name: string;
  attrs: Record<string, string>;
  children: XmlElement[];
  text: string;
}

const NAME = /^[A-Za-z_][\w.-]*/;

function decode(s: string, where: number): string {
  return s.replace(/&([^;]*);?/g, (m, ent: string) => {
    if (!m.endsWith(';')) throw new Error(`bare & at ${where}`);
    const named: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };
    if (ent in named) return named[ent];
    const num = /^#(x[0-9a-fA-F]+|[0-9]+)$/.exec(ent);
    if (!num) throw new Error(`unknown entity &${ent}; at ${where}`);
    const cp = num[1][0] === 'x' ? parseInt(num[1].slice(1), 16) : parseInt(num[1], 10);
    if (!(cp === 9 || cp === 10 || cp === 13 || (cp >= 0x20 && cp <= 0xd7ff) || (cp >= 0xe000 && cp <= 0xfffd) || cp >= 0x10000)) {
      throw new Error(`character reference to an invalid character &${ent}; at ${where}`);
    }
    return String.fromCodePoint(cp);
  });
}

/**
 * Parses an XML 1.0 document (the subset our writers produce: prolog, elements, attributes, text, no
 * DTD/CDATA/comments/PIs after the prolog); throws on anything not well-formed.
 */
export function parseXml(xml: string): XmlElement {
  // eslint-disable-next-line no-control-regex
  const bad = /[\x00-\x08\x0B\x0C\x0E-\x1F\uFFFE\uFFFF]/.exec(xml);
  if (bad) throw new Error(`invalid XML character U+${bad[0].charCodeAt(0).toString(16)} at ${bad.index}`);
  let i = 0;
  const decl = /^<\?xml version="1\.0" encoding="UTF-8"\?>\n/.exec(xml);
  if (!decl) throw new Error('missing XML declaration');
  i = decl[0].length;
  const skipWs = () => {
    while (i < xml.length && /\s/.test(xml[i])) i++;
  };
  const element = (): XmlElement => {
    if (xml[i] !== '<') throw new Error(`expected < at ${i}`);
    i++;
    const nm = NAME.exec(xml.slice(i, i + 100));
    if (!nm) throw new Error(`bad element name at ${i}`);
    const el: XmlElement = { name: nm[0], attrs: {}, children: [], text: '' };
    i += nm[0].length;
    for (;;) {
      const ws = i;
      skipWs();
      if (xml.startsWith('/>', i)) {
        i += 2;
        return el;
      }
      if (xml[i] === '>') {
        i++;
        break;
      }
      if (ws === i) throw new Error(`expected whitespace before attribute at ${i}`);
      const an = NAME.exec(xml.slice(i, i + 100));
      if (!an) throw new Error(`bad attribute name at ${i}`);
      i += an[0].length;
      if (xml[i] !== '=' || (xml[i + 1] !== '"' && xml[i + 1] !== "'")) throw new Error(`expected ="..." at ${i}`);
      const q = xml[i + 1];
      const end = xml.indexOf(q, i + 2);
      if (end < 0) throw new Error(`unterminated attribute at ${i}`);
      const raw = xml.slice(i + 2, end);
      if (raw.includes('<')) throw new Error(`< in attribute value at ${i}`);
      if (an[0] in el.attrs) throw new Error(`duplicate attribute ${an[0]} at ${i}`);
      el.attrs[an[0]] = decode(raw, i);
      i = end + 1;
    }
    for (;;) {
      const lt = xml.indexOf('<', i);
      if (lt < 0) throw new Error(`unclosed <${el.name}>`);
      const raw = xml.slice(i, lt);
      if (raw.includes(']]>')) throw new Error(`]]> in text at ${i}`);
      el.text += decode(raw, i);
      i = lt;
      if (xml.startsWith('</', i)) {
        const close = `</${el.name}>`;
        if (!xml.startsWith(close, i)) throw new Error(`mismatched close tag at ${i}: expected ${close}, got ${xml.slice(i, i + 30)}`);
        i += close.length;
        return el;
      }
      el.children.push(element());
    }
  };
  skipWs();
  const root = element();
  skipWs();
  if (i !== xml.length) throw new Error(`content after the root element at ${i}`);
  return root;
}

export function child(el: XmlElement, name: string): XmlElement | undefined {
  return el.children.find((c) => c.name === name);
}

// ---- JSON Schema (the subset report.schema.json uses) ----------------------------------------------------

type Schema = Record<string, unknown>;

/** Returns the list of violations of `value` against `schema` (an empty list when valid). */
export function checkSchema(value: unknown, schema: Schema, root: Schema = schema, path = '$'): string[] {
  const errs: string[] = [];
  if (typeof schema.$ref === 'string') {
    const ref = schema.$ref.replace(/^#\//, '').split('/');
    let s: unknown = root;
    for (const k of ref) s = (s as Schema)[k];
    errs.push(...checkSchema(value, s as Schema, root, path));
  }
  if ('const' in schema && value !== schema.const) errs.push(`${path}: expected const ${JSON.stringify(schema.const)}`);
  if (Array.isArray(schema.enum) && !schema.enum.includes(value)) errs.push(`${path}: not in enum`);
  if (schema.type !== undefined) {
    const types = Array.isArray(schema.type) ? schema.type : [schema.type];
    const actual = value === null ? 'null' : Array.isArray(value) ? 'array' : typeof value;
    const ok = types.some((t) => t === actual || (t === 'integer' && Number.isInteger(value)));
    if (!ok) errs.push(`${path}: expected ${types.join('|')}, got ${actual}`);
  }
  if (typeof schema.minimum === 'number' && typeof value === 'number' && value < schema.minimum) errs.push(`${path}: below minimum`);
  if (Array.isArray(schema.oneOf)) {
    const n = schema.oneOf.filter((s) => checkSchema(value, s as Schema, root, path).length === 0).length;
    if (n !== 1) errs.push(`${path}: matches ${n} of oneOf`);
  }
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
    const o = value as Record<string, unknown>;
    const props = (schema.properties ?? {}) as Record<string, Schema>;
    for (const r of (schema.required ?? []) as string[]) if (!(r in o)) errs.push(`${path}: missing ${r}`);
    for (const [k, v] of Object.entries(o)) {
      if (k in props) errs.push(...checkSchema(v, props[k], root, `${path}.${k}`));
      else if (schema.additionalProperties === false) errs.push(`${path}: unexpected property ${k}`);
      else if (typeof schema.additionalProperties === 'object') errs.push(...checkSchema(v, schema.additionalProperties as Schema, root, `${path}.${k}`));
    }
  }
  if (Array.isArray(value) && schema.items) value.forEach((v, i) => errs.push(...checkSchema(v, schema.items as Schema, root, `${path}[${i}]`)));
  return errs;
}
