import { describe, expect, it } from 'vitest';
import { toReportJson } from './json.ts';
import { toJunitXml } from './junit.ts';
import { xmlAttr, xmlText } from './text.ts';
import { child, groupRun, makeCase, makeRun, parseXml, type XmlElement } from './testing.ts';

const NASTY = `bad <tag> & "quotes" 'apos' \x00 nul \x1b esc \uFFFF end`;

const run = makeRun([
  makeCase('tls13-finished-bad[group=x25519]', 'fail', { reason: NASTY, observed: `alert <${'\x07'}>` }),
  makeCase('tls13-finished-bad[group=secp256r1]', 'pass'),
  makeCase('tls13-hrr-cookie', 'lenient', { reason: 'plain close instead of alert' }),
  makeCase('tls13-early-data', 'skip', { reason: 'target lacks early_data' }),
  makeCase('tls13-key-update', 'error', { reason: 'target crashed', transcript: [] }),
  makeCase('tls13-known-bug', 'fail', { expectedFailure: 'issue #12' }),
  makeCase('tls13-was-bug', 'pass', { expectedFailure: 'issue #13' }),
]);

function testcases(root: XmlElement) {
  return new Map(root.children.filter((c) => c.name === 'testcase').map((c) => [c.attrs.name, c]));
}

function props(el: XmlElement): Record<string, string> {
  return Object.fromEntries((child(el, 'properties')?.children ?? []).map((p) => [p.attrs.name, p.attrs.value]));
}

describe('junit.xml', () => {
  const xml = toJunitXml(toReportJson(run));
  const root = parseXml(xml);
  const tc = testcases(root);

  it('is well-formed XML with one <testsuite> and the right counts', () => {
    expect(root.name).toBe('testsuite');
    expect(root.attrs).toEqual({
      name: 'tls-harness:openssl-3.0',
      tests: '7',
      // fail + unexpected pass
      failures: '2',
      errors: '1',
      // skip + expected failure
      skipped: '2',
      time: '90.500',
      timestamp: '2024-05-01T10:00:00',
    });
    expect(tc.size).toBe(7);
    expect(props(root)).toMatchObject({ runId: 'run-1', target: 'openssl-3.0', interrupted: 'false', 'summary.total': '7', 'summary.expectedFailures': '1' });
  });

  it('one testcase per case: classname = scenario id, name = case id, time in seconds, RFC and params in properties', () => {
    const t = tc.get('tls13-finished-bad[group=secp256r1]')!;
    expect(t.attrs).toEqual({ classname: 'tls13-finished-bad', name: 'tls13-finished-bad[group=secp256r1]', time: '0.013' });
    expect(props(t)).toEqual({
      verdict: 'pass',
      rfc: 'RFC 8446',
      'rfc.section': '4.4.4',
      'rfc.quote': 'Recipients of Finished messages MUST verify that the contents are correct.',
      'rfc.level': 'must',
      'rfc.url': 'https://www.rfc-editor.org/rfc/rfc8446#section-4.4.4',
      'param.group': 'x25519',
      'param.record_size': '16384',
    });
    expect(t.children.map((c) => c.name)).toEqual(['properties']);
  });

  it('fail: <failure type="fail"> with expected, observed and the transcript; escaping survives <&>"\' and NUL', () => {
    const t = tc.get('tls13-finished-bad[group=x25519]')!;
    const f = child(t, 'failure')!;
    expect(f.attrs.type).toBe('fail');
    expect(f.attrs.message).toBe(`bad <tag> & "quotes" 'apos' \\x00 nul \\x1b esc \\uFFFF end`);
    expect(f.text).toContain('expected: alert decrypt_error');
    expect(f.text).toContain('observed: alert <\\x07>');
    expect(f.text).toContain('at: scenarios/tls13/finished.yaml:12:5 (step 3)');
    expect(f.text).toMatch(/^ +0ms -> handshake ClientHello \[plaintext\] \{"legacy_version":"0303".*\(64 bytes: 16030100c3c3/m);
    expect(f.text).toMatch(/^ +15ms <- handshake Finished \[handshake\]/m);
    expect(xml).not.toMatch(/[\x00-\x08\x0B\x0C\x0E-\x1F]/);
  });

  it('lenient passes with a <system-out> note; skip is <skipped message>; error is <error>', () => {
    const l = tc.get('tls13-hrr-cookie')!;
    expect(l.children.map((c) => c.name)).toEqual(['properties', 'system-out']);
    expect(child(l, 'system-out')!.text).toMatch(/^lenient: accepted, but not the preferred outcome\nreason: plain close instead of alert\n/);
    const s = tc.get('tls13-early-data')!;
    expect(child(s, 'skipped')!.attrs).toEqual({ message: 'target lacks early_data' });
    const e = child(tc.get('tls13-key-update')!, 'error')!;
    expect(e.attrs).toEqual({ message: 'target crashed', type: 'error' });
    expect(e.text).toContain('transcript (0 entries');
  });

  it('expected failure is skipped (details in system-out); unexpected pass is a failure', () => {
    const x = tc.get('tls13-known-bug')!;
    expect(child(x, 'skipped')!.attrs.message).toBe('expected failure: issue #12');
    expect(child(x, 'failure')).toBeUndefined();
    expect(child(x, 'system-out')!.text).toContain('failed as expected');
    expect(props(x).expectedFailure).toBe('issue #12');
    const u = child(tc.get('tls13-was-bug')!, 'failure')!;
    expect(u.attrs).toEqual({ message: 'unexpected pass: listed as an expected failure (issue #13)', type: 'unexpected-pass' });
  });

  it('a failure or error of a process target carries the target\'s output in <system-out>; an advisory passes with a note', () => {
    const output = { source: 'openssl client (pid 7)', stdout: 'CONNECTED(00000003)\n', stderr: '' };
    const r = parseXml(
      toJunitXml(
        toReportJson(
          makeRun([
            makeCase('f', 'fail', { targetOutput: output }),
            makeCase('e', 'error', { targetOutput: output }),
            makeCase('a', 'advisory', { reason: 'expected alert decode_error, got ServerHello', rfc: { doc: 8446, section: '4.2.8', quote: 'q', level: 'may' } }),
          ]),
        ),
      ),
    );
    const t = testcases(r);
    const f = t.get('f')!;
    expect(f.children.map((c) => c.name)).toEqual(['properties', 'failure', 'system-out']);
    expect(child(f, 'system-out')!.text).toBe('target output, openssl client (pid 7):\n--- stdout ---\nCONNECTED(00000003)\n--- stderr: (nothing) ---\n');
    expect(child(t.get('e')!, 'system-out')!.text).toContain('CONNECTED(00000003)');
    const a = t.get('a')!;
    expect(a.children.map((c) => c.name)).toEqual(['properties', 'system-out']);
    expect(child(a, 'system-out')!.text).toMatch(/^advisory: the target does not follow a MAY rule \(not a failure unless --strict\)\nreason: expected alert decode_error, got ServerHello\n/);
  });

  it('escapes for text and attributes; lone surrogates become U+FFFD', () => {
    expect(xmlText(`<a & b>"'\t\n`)).toBe(`&lt;a &amp; b&gt;"'\t\n`);
    expect(xmlAttr(`<a & b>"'\t\n\r`)).toBe('&lt;a &amp; b&gt;&quot;&apos;&#9;&#10;&#13;');
    expect(xmlText('\x00\x08\x0b\x1f')).toBe('\\x00\\x08\\x0b\\x1f');
    expect(xmlText('a\uD800b \uDC00 \uD83D\uDE00')).toBe('a\uFFFDb \uFFFD \uD83D\uDE00');
    const odd = makeRun([makeCase('id-with-"quote"&<amp>', 'fail', { scenarioId: 's\x01', params: { 'k<': 'v"\x02' }, reason: ']]> \uD800' })]);
    const r = parseXml(toJunitXml(toReportJson(odd)));
    const t = testcases(r).get('id-with-"quote"&<amp>')!;
    expect(t.attrs.classname).toBe('s\\x01');
    expect(props(t)['param.k<']).toBe('v"\\x02');
    expect(child(t, 'failure')!.attrs.message).toBe(']]> \uFFFD');
  });

  it('indistinguishability groups: the suite\'s <system-out>, the variants of a group that differs; their cases are failures', () => {
    const r = parseXml(toJunitXml(toReportJson(groupRun())));
    expect(r.attrs.failures).toBe('2');
    expect(child(r, 'system-out')!.text).toBe(
      [
        'indistinguishability groups: 2 (1 differs)',
        'group tls12-robot[suite=a]: equal (alert bad_record_mac, close eof (1 record))',
        'group tls12-robot[suite=b]: the variants differ',
        '  pad=good: alert bad_record_mac, close eof (1 record), 3 ms',
        '  pad=bad: alert decode_error, close eof (1 record), 12 ms',
        '  pad=short: left out',
        '  note: pad=short: left out (skip: the target lacks b)',
        '',
      ].join('\n'),
    );
    expect(child(root, 'system-out')).toBeUndefined();
  });

  it('an empty run is a valid empty suite', () => {
    const r = parseXml(toJunitXml(toReportJson(makeRun([]))));
    expect(r.attrs).toMatchObject({ tests: '0', failures: '0', errors: '0', skipped: '0' });
  });

  it('the checker rejects malformed XML', () => {
    const head = '<?xml version="1.0" encoding="UTF-8"?>\n';
    expect(() => parseXml(head + '<a><b></a></b>')).toThrow(/mismatched/);
    expect(() => parseXml(head + '<a x="1 & 2"/>')).toThrow(/bare &/);
    expect(() => parseXml(head + '<a>\x00</a>')).toThrow(/invalid XML character/);
    expect(() => parseXml(head + '<a>&#0;</a>')).toThrow(/invalid character/);
    expect(() => parseXml(head + '<a/><b/>')).toThrow(/after the root/);
    expect(() => parseXml(head + '<a x="<"/>')).toThrow(/< in attribute/);
  });

  it('an advisory passes, with the SHOULD/MAY deviation in <system-out>', () => {
    const r = makeRun([makeCase('tls13-may', 'advisory', { reason: 'expected alert illegal_parameter, got ServerHello', rfc: { doc: 8446, section: '4.2.8', quote: 'Servers MAY check', level: 'may' } })]);
    const root2 = parseXml(toJunitXml(toReportJson(r)));
    expect(root2.attrs).toMatchObject({ tests: '1', failures: '0', errors: '0', skipped: '0' });
    const t = testcases(root2).get('tls13-may')!;
    expect(child(t, 'failure')).toBeUndefined();
    expect(props(t)).toMatchObject({ verdict: 'advisory', 'rfc.level': 'may' });
    expect(child(t, 'system-out')!.text).toMatch(/^advisory: the target does not follow a MAY rule \(not a failure unless --strict\)\n[^]*expected alert illegal_parameter, got ServerHello/);
  });
});
