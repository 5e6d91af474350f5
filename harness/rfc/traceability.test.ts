import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadScenarios, parseScenarioText, rfcLocationsOf, type Diagnostic } from '../scenario/loader.ts';
import { findSentences, normalizeQuote, sentence, sentencesOf } from './index.ts';
import { TRACEABILITY_REQUIRED, checkTraceability, judgesReceiver, quoteFragments, sentencesMatching } from './traceability.ts';

const FINISHED = 'Recipients of Finished messages MUST verify that the contents are correct and if incorrect MUST terminate the connection with a \\"decrypt_error\\" alert.';

/** A scenario whose rfc mapping is written out key by key: `rfc:` on line 3, its keys on lines 4.. */
function yaml(rfc: Record<string, string>, opts: { target?: string; steps?: string } = {}): string {
  return [
    'id: t',
    'title: a test',
    'rfc:',
    ...Object.entries(rfc).map(([k, v]) => `  ${k}: ${v}`),
    `target: ${opts.target ?? 'server'}`,
    'versions: [tls13]',
    `steps: ${opts.steps ?? '[{ send: ClientHello }, { expect: { alert: decrypt_error } }]'}`,
    '',
  ].join('\n');
}

function check(text: string): string[] {
  const r = parseScenarioText(text, 's.yaml');
  expect(r.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  return checkTraceability(r.scenarios, rfcLocationsOf).map(show);
}
const show = (d: Diagnostic) => `${d.line}:${d.col} ${d.severity}: ${d.message}`;
const missing = TRACEABILITY_REQUIRED ? 'error' : 'warning';

describe('the index API', () => {
  it('looks sentences up by id, RFC, section and quote', () => {
    expect(sentence('rfc8446-4.4.4-1')?.title).toBe('Finished');
    expect(sentence('rfc8446-4.4.4-99')).toBeUndefined();
    expect(sentencesOf(8446, '4.4.4').map((s) => s.id)).toEqual(['rfc8446-4.4.4-1', 'rfc8446-4.4.4-2', 'rfc8446-4.4.4-3']);
    expect(sentencesOf(8446, '4.2.8', { deep: true }).map((s) => s.section)).toContain('4.2.8.2');
    expect(sentencesOf(7301).every((s) => s.doc === 7301)).toBe(true);
    expect(findSentences(8446, 'Recipients of Finished   messages MUST\nverify').map((s) => s.id)).toEqual(['rfc8446-4.4.4-1']);
    expect(findSentences(8446, '“decrypt_error” alert').map((s) => s.id)).toContain('rfc8446-4.4.4-1');
    expect(findSentences(5246, 'Recipients of Finished messages MUST verify').map((s) => s.id)).toEqual(['rfc5246-7.4.9-1']);
    expect(findSentences(8446, '')).toEqual([]);
  });

  it('normalises quotes: spaces, curly quotes, a word broken after its hyphen, a quoted list item', () => {
    expect(normalizeQuote('  a\n  “b”  higher- level ‘c’ ')).toBe('a "b" higher-level \'c\'');
    expect(normalizeQuote('as follows: - If a')).toBe('as follows: If a');
    expect(quoteFragments('A MUST b ... C MUST d.')).toEqual(['A MUST b', 'C MUST d.']);
    expect(sentencesMatching(8446, 'Servers MUST ignore unrecognized extensions.').map((s) => s.id)).toEqual(['rfc8446-4.1.2-16']);
  });
});

describe('checkTraceability', () => {
  it('accepts a scenario whose level, sentence ids and quote agree with the index', () => {
    expect(check(yaml({ doc: '8446', section: '4.4.4', quote: `"${FINISHED}"`, level: 'must', sentences: '[rfc8446-4.4.4-1]' }))).toEqual([]);
  });

  it('accepts a quote of two sentences of one paragraph joined with ..., or with the sentence before the rule', () => {
    const two = '"If a TLS 1.3 ClientHello is received with any other value in this field, the server MUST abort ... \\"illegal_parameter\\" alert."';
    expect(check(yaml({ doc: '8446', section: '4.1.2', quote: two, level: 'must', sentences: '[rfc8446-4.1.2-14]' }))).toEqual([]);
    const context = '"Because TLS 1.3 forbids renegotiation, if a server has negotiated TLS 1.3 and receives a ClientHello at any other time, it MUST terminate the connection with an \\"unexpected_message\\" alert."';
    expect(check(yaml({ doc: '8446', section: '4.1.2', quote: context, level: 'must', sentences: '[rfc8446-4.1.2-3]' }))).toEqual([]);
    const withLeadIn = '"The client MUST check EncryptedExtensions for the presence of any forbidden extensions and if any are found MUST abort the handshake with an \\"illegal_parameter\\" alert."';
    expect(check(yaml({ doc: '8446', section: '4.3.1', quote: withLeadIn, level: 'must', sentences: '[rfc8446-4.3.1-2]' }, { target: 'client' }))).toEqual([]);
  });

  it('an id that is not in the index is an error at the item, naming the ids that hold the quote', () => {
    expect(check(yaml({ doc: '8446', section: '4.4.4', quote: `"${FINISHED}"`, level: 'must', sentences: '[rfc8446-4.4.4-9]' }))).toEqual([
      "8:15 error: rfc sentences: 'rfc8446-4.4.4-9' is not in the RFC index (rfc/sentences.json) (did you mean rfc8446-4.4.4-1?)",
    ]);
    // No quote to go by: the ids of the same section.
    expect(check(yaml({ doc: '8446', section: '4.4.4', quote: '"Something MUST happen."', level: 'must', sentences: '[rfc8446-4.4.4-9]' }))[0]).toBe(
      "8:15 error: rfc sentences: 'rfc8446-4.4.4-9' is not in the RFC index (rfc/sentences.json) (did you mean rfc8446-4.4.4-1, rfc8446-4.4.4-2, rfc8446-4.4.4-3?)",
    );
  });

  it('a sentence of another RFC than rfc.doc is an error; another section a warning', () => {
    expect(check(yaml({ doc: '8446', section: '4.4.4', quote: `"${FINISHED}"`, level: 'must', sentences: '[rfc8446-4.4.4-1, rfc5246-7.4.9-1]' }))).toEqual([
      "8:32 error: rfc sentences: 'rfc5246-7.4.9-1' is a sentence of RFC 5246, but rfc.doc is 8446",
    ]);
    expect(check(yaml({ doc: '8446', section: '4.4', quote: `"${FINISHED}"`, level: 'must', sentences: '[rfc8446-4.4.4-1]' }))).toEqual([
      "8:15 warning: rfc sentences: 'rfc8446-4.4.4-1' is in section 4.4.4, but rfc.section is 4.4",
    ]);
  });

  it('citing a sentence marked untestable is a warning', () => {
    const q = '"Future specifications MUST NOT define a use of exporters that permit both an empty context and no context with the same label."';
    expect(check(yaml({ doc: '8446', section: '7.5', quote: q, level: 'must', sentences: '[rfc8446-7.5-3]' }, { steps: '[{ send: ClientHello }, { expect: [ServerHello] }]' }))).toEqual([
      "8:15 warning: rfc sentences: 'rfc8446-7.5-3' is marked untestable in rfc/untestable.yaml (a rule for future specifications): cite the sentence the case really checks, or drop that entry if a peer can check it",
    ]);
  });

  it('a quote that is not in the cited sentences is an error at the quote, naming where it is', () => {
    expect(check(yaml({ doc: '8446', section: '4.4.4', quote: '"Servers MUST ignore unrecognized extensions."', level: 'must', sentences: '[rfc8446-4.4.4-1]' }))).toEqual([
      "6:10 error: the quote does not match the cited sentences (rfc8446-4.4.4-1): 'Servers MUST ignore unrecognized extensions.': it is in rfc8446-4.1.2-16",
    ]);
    expect(check(yaml({ doc: '8446', section: '4.4.4', quote: '"Recipients of Finished messages SHOULD verify ..."', level: 'should', sentences: '[rfc8446-4.4.4-1]' }))).toEqual([
      "6:10 error: the quote does not match the cited sentences (rfc8446-4.4.4-1): 'Recipients of Finished messages SHOULD verify': no indexed sentence of RFC 8446 contains it",
    ]);
  });

  it("a quote without the keyword of the level is an error at the level", () => {
    const may = '"Servers MAY check for violations of these rules and abort the handshake with an \\"illegal_parameter\\" alert if one is violated."';
    expect(check(yaml({ doc: '8446', section: '4.2.8', quote: may, level: 'must', sentences: '[rfc8446-4.2.8-8]' }))).toEqual([
      "7:10 error: rfc.level is 'must' but the quote has no MUST, SHALL or REQUIRED (it has MAY): quote the sentence that states the rule, or use level may",
    ]);
    expect(check(yaml({ doc: '8446', section: '4.2.8', quote: may, level: 'may', sentences: '[rfc8446-4.2.8-8]' }))).toEqual([]);
  });

  it('warns when the rule binds the other side: a client rule cited for a server case', () => {
    const q = '"A client which receives a cipher suite that was not offered MUST abort the handshake with an \\"illegal_parameter\\" alert."';
    expect(check(yaml({ doc: '8446', section: '4.1.3', quote: q, level: 'must', sentences: '[rfc8446-4.1.3-5]' }))).toEqual([
      "8:14 warning: the quoted rule binds the client, but the case judges the server: cite the rule that binds the server (e.g. a 'MUST abort' for the receiver), or lower the level",
    ]);
    expect(check(yaml({ doc: '8446', section: '4.1.3', quote: q, level: 'must', sentences: '[rfc8446-4.1.3-5]' }, { target: 'client' }))).toEqual([]);
  });

  it('warns when a sender rule is cited for a case that judges the target as the receiver', () => {
    const q = '"Implementations MUST NOT send zero-length fragments of Handshake types, even if those fragments contain padding."';
    expect(check(yaml({ doc: '8446', section: '5.1', quote: q, level: 'must', sentences: '[rfc8446-5.1-8]' }))).toEqual([
      "8:14 warning: the quoted rule binds the sender (here the harness's client), but the case judges the server: cite the rule that binds the server (e.g. a 'MUST abort' for the receiver), or lower the level",
    ]);
    // A case that checks what the target sends may cite a sender rule.
    const sends = '[{ send: ClientHello }, { expect: [ServerHello] }]';
    expect(check(yaml({ doc: '8446', section: '5.1', quote: q, level: 'must', sentences: '[rfc8446-5.1-8]' }, { steps: sends }))).toEqual([]);
  });

  it('missing level and sentences: warnings (while TRACEABILITY_REQUIRED is off) that say what to write', () => {
    expect(check(yaml({ doc: '8446', section: '4.4.4', quote: `"${FINISHED}"` }))).toEqual([
      `4:3 ${missing}: rfc.level missing: must, should or may (the quote says MUST: level must)`,
      `4:3 ${missing}: rfc.sentences missing: the ids of the normative sentences the case checks (the quote matches rfc8446-4.4.4-1: sentences: [rfc8446-4.4.4-1])`,
    ]);
    expect(check(yaml({ doc: '8446', section: '4.1.3', quote: '"legacy_session_id_echo: The contents of the client\'s legacy_session_id field."', level: 'must' }))).toEqual([
      "7:10 error: rfc.level is 'must' but the quote has no MUST, SHALL or REQUIRED (it has no RFC 2119 keyword): quote the sentence that states the rule",
      `4:3 ${missing}: rfc.sentences missing: the ids of the normative sentences the case checks (no indexed sentence of RFC 8446 contains the quote: check it against rfc/rfc8446.txt)`,
    ]);
  });

  it("without level and ids, the hints follow the sentence that binds the target's side, and name its section", () => {
    const q = '"Clients MUST NOT offer any KeyShareEntry values for groups not listed in the client\'s \\"supported_groups\\" extension. Servers MAY check for violations of these rules and abort the handshake with an \\"illegal_parameter\\" alert if one is violated."';
    expect(check(yaml({ doc: '8446', section: '4.2.8', quote: q }))).toEqual([
      `4:3 ${missing}: rfc.level missing: must, should or may (the sentence that binds the server, rfc8446-4.2.8-8, says MAY: level may)`,
      `4:3 ${missing}: rfc.sentences missing: the ids of the normative sentences the case checks (the quote matches rfc8446-4.2.8-7, rfc8446-4.2.8-8: sentences: [rfc8446-4.2.8-8])`,
    ]);
    const decode = '"Peers which receive a message which cannot be parsed according to the syntax (e.g., have a length extending beyond the message boundary or contain an out-of-range length) MUST terminate the connection with a \\"decode_error\\" alert."';
    expect(check(yaml({ doc: '8446', section: '4', quote: decode, level: 'must' }))).toEqual([
      `4:3 ${missing}: rfc.sentences missing: the ids of the normative sentences the case checks (the quote matches rfc8446-6-6; they are in section 6, not 4: sentences: [rfc8446-6-6])`,
    ]);
  });

  it('without sentence ids, the sentences the quote matches still decide whose rule it is', () => {
    const q = '"Clients MUST NOT offer multiple KeyShareEntry values for the same group."';
    expect(check(yaml({ doc: '8446', section: '4.2.8', quote: q, level: 'must' }))).toContain(
      "6:10 warning: the quoted rule binds the client, but the case judges the server: cite the rule that binds the server (e.g. a 'MUST abort' for the receiver), or lower the level",
    );
  });

  it('an RFC outside the index is reported, not searched', () => {
    expect(check(yaml({ doc: '8449', section: '4', quote: '"Endpoints MUST NOT send ..."', level: 'must', sentences: '[rfc8449-4-1]' }))).toEqual([
      '8:14 error: rfc sentences: RFC 8449 is not in the RFC index (rfc/sentences.json indexes RFC 8446, 5246, 7627, 5746, 8422, 5077, 7301, 6066)',
    ]);
  });

  it('tells a receiver case from a sender case by its expectations', () => {
    const parse = (steps: string) => parseScenarioText(yaml({ doc: '8446', section: '4', quote: 'q' }, { steps }), 'x.yaml').scenarios[0];
    expect(judgesReceiver(parse('[{ send: ClientHello }, { expect: { alert: decode_error } }]'))).toBe(true);
    expect(judgesReceiver(parse('[{ send: ClientHello }, { expect: close }]'))).toBe(true);
    expect(judgesReceiver(parse('[{ send: ClientHello }, { expect: [ServerHello] }]'))).toBe(false);
    // The close that answers the harness's close_notify ends a positive conversation: not a receiver case.
    expect(judgesReceiver(parse('[{ send: ClientHello }, { expect: [ServerHello] }, close_notify, { expect: close }]'))).toBe(false);
  });

  it('runs from loadScenarios when asked (validate, run and list ask), marked as traceability diagnostics', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tls-harness-trace-'));
    writeFileSync(join(dir, 'a.yaml'), yaml({ doc: '8446', section: '4.4.4', quote: `"${FINISHED}"`, level: 'must', sentences: '[rfc8446-4.4.4-7]' }));
    expect(loadScenarios([dir]).diagnostics).toEqual([]);
    const r = loadScenarios([dir], { traceability: true });
    expect(r.diagnostics.map((d) => [d.file, d.line, d.col, d.severity, d.kind])).toEqual([[join(dir, 'a.yaml'), 8, 15, 'error', 'traceability']]);
  });

  it('an error stops run before anything runs (one line, exit 2); validate prints warnings, run does not', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tls-harness-trace-run-'));
    writeFileSync(join(dir, 'a.yaml'), yaml({ doc: '8446', section: '4.4.4', quote: `"${FINISHED}"`, level: 'must', sentences: '[rfc8446-4.4.4-7]' }));
    const root = fileURLToPath(new URL('../../', import.meta.url));
    const run = (...args: string[]) => spawnSync(process.execPath, [join(root, 'bin/tls-harness.js'), ...args], { cwd: root, encoding: 'utf8', timeout: 60_000 });
    const r = run('run', '--scenarios', dir, '--report-dir', dir);
    expect(r.status).toBe(2);
    expect(r.stderr).toBe(`tls-harness: ${join(dir, 'a.yaml')}:8:15: rfc sentences: 'rfc8446-4.4.4-7' is not in the RFC index (rfc/sentences.json) (did you mean rfc8446-4.4.4-1?)\n`);
    writeFileSync(join(dir, 'a.yaml'), yaml({ doc: '8446', section: '4.4.4', quote: `"${FINISHED}"` }));
    const v = run('validate', dir);
    expect(v.status).toBe(TRACEABILITY_REQUIRED ? 2 : 0);
    expect(v.stdout + v.stderr).toMatch(TRACEABILITY_REQUIRED ? /a\.yaml:4:3: rfc\.level missing/ : /a\.yaml:4:3: warning: rfc\.level missing/);
  });
});
