import { describe, expect, it } from 'vitest';
import { toReportJson } from './json.ts';
import { mdCell, statusWord, toSummaryMarkdown } from './markdown.ts';
import { groupRun, makeCase, makeRun, transcript } from './testing.ts';
import { join } from 'node:path';
import { PACKAGE_ROOT } from '../paths.ts';

const run = makeRun([
  makeCase('tls13-finished-bad[group=x25519]', 'fail', { reason: 'accepted a bad | Finished <script>' }),
  makeCase('tls13-finished-bad[group=secp256r1]', 'pass'),
  makeCase('tls13-hrr-cookie', 'lenient'),
  makeCase('tls13-early-data', 'skip'),
  makeCase('tls13-key-update', 'error', { rfc: { doc: 8446, section: 'B.4', quote: 'q' } }),
  makeCase('tls13-known-bug', 'fail', { expectedFailure: 'issue #12' }),
  makeCase('tls13-was-bug', 'pass', { expectedFailure: 'issue #13' }),
]);

describe('summary.md', () => {
  const md = toSummaryMarkdown(toReportJson(run));

  it('headline: target, status word, totals and verdict counts', () => {
    const lines = md.split('\n');
    expect(lines[0]).toBe('## tls-harness: openssl-3.0: FAILED');
    expect(lines[2]).toBe('**7 cases**: 2 passed, 1 lenient, 0 advisory, 2 failed (1 expected), 1 errors, 1 skipped, 1 unexpected passes.');
    expect(md).toContain('Run `run-1`, 2024-05-01T10:00:00.000Z to 2024-05-01T10:01:30.500Z, tls-harness');
    // no emoji
    expect(md).not.toMatch(/\p{Extended_Pictographic}/u);
  });

  it('each unexpected failure and error: id, reason, linked RFC section with its level and quoted sentence, expected vs observed, step', () => {
    expect(md).toContain('### Failures and errors (2)');
    expect(md).toContain(
      [
        '- **fail** `tls13-finished-bad[group=x25519]`: accepted a bad \\| Finished &lt;script&gt;',
        '  - [RFC 8446 4.4.4](https://www.rfc-editor.org/rfc/rfc8446#section-4.4.4) (MUST): "Recipients of Finished messages MUST verify that the contents are correct."',
        '  - expected: alert decrypt\\_error',
        '  - observed: alert bad\\_record\\_mac',
        '  - at `scenarios/tls13/finished.yaml:12:5` (step 3)',
        '',
      ].join('\n'),
    );
    // an error without expected/observed/step: only what it has
    expect(md).toContain('- **error** `tls13-key-update`: error because of reasons\n  - [RFC 8446 B.4](https://www.rfc-editor.org/rfc/rfc8446#appendix-B.4) (MUST): "q"\n');
    expect(md).toContain('### Unexpected passes (1)');
    expect(md).toContain('- **unexpected pass** `tls13-was-bug`: listed as an expected failure (issue \\#13), but it passed\n  - [RFC 8446 4.4.4]');
    expect(md).not.toContain('`tls13-finished-bad[group=secp256r1]`');
  });

  it('expected failures, advisory, lenient and skipped cases: one short line each, the last three collapsed', () => {
    expect(md).toContain('### Expected failures (1)');
    expect(md).toContain(
      '- `tls13-known-bug` ([RFC 8446 4.4.4](https://www.rfc-editor.org/rfc/rfc8446#section-4.4.4)): expected alert decrypt\\_error, observed alert bad\\_record\\_mac; listed: issue \\#12\n',
    );
    expect(md).toMatch(/<details><summary>Lenient \(1\)<\/summary>\n\n[^\n]*\n\n- `tls13-hrr-cookie` \(\[RFC 8446 4\.4\.4\]\([^)]*\)\): expected alert decrypt\\_error, observed alert bad\\_record\\_mac\n\n<\/details>/);
    expect(md).toMatch(/<details><summary>Skipped \(1\)<\/summary>\n\n- `tls13-early-data`: skip because of reasons\n\n<\/details>/);
    // the sections come in this order
    const at = (s: string) => md.indexOf(s);
    expect(at('### Unexpected passes')).toBeLessThan(at('### Failures and errors'));
    expect(at('### Failures and errors')).toBeLessThan(at('### Expected failures'));
    expect(at('### Expected failures')).toBeLessThan(at('<summary>Lenient'));
    expect(at('<summary>Lenient')).toBeLessThan(at('### Transcripts'));
    expect(at('### Transcripts')).toBeLessThan(at('<summary>Skipped'));
  });

  it('a scenario file under the package root is shown relative to it', () => {
    const file = join(PACKAGE_ROOT, 'scenarios', 'tls13', 'x.yaml');
    const out = toSummaryMarkdown(toReportJson(makeRun([makeCase('a', 'fail', { step: { index: 2, loc: { file, line: 3, col: 7 } } })])));
    expect(out).toContain('  - at `scenarios/tls13/x.yaml:3:7` (step 2)\n');
    expect(out).toContain('(step 2 at scenarios/tls13/x.yaml:3:7)</summary>');
  });

  it('a case id with a pipe or backticks stays one code span in a list item', () => {
    const out = toSummaryMarkdown(toReportJson(makeRun([makeCase('odd|id`x', 'fail')])));
    expect(out).toContain('- **fail** `` odd|id`x ``: fail because of reasons\n');
  });

  it('advisories (SHOULD/MAY deviations) in their own collapsed list, counted in the headline', () => {
    const withAdvisory = toSummaryMarkdown(toReportJson(makeRun([makeCase('tls13-a', 'pass'), makeCase('tls13-may-check', 'advisory', { reason: 'expected alert illegal_parameter, got ServerHello', rfc: { doc: 8446, section: '4.2.8', quote: 'q', level: 'may' } })])));
    expect(withAdvisory.split('\n')[2]).toBe('**2 cases**: 1 passed, 0 lenient, 1 advisory, 0 failed, 0 errors, 0 skipped.');
    expect(withAdvisory.split('\n')[0]).toBe('## tls-harness: openssl-3.0: PASSED');
    expect(withAdvisory).toMatch(
      /<details><summary>Advisory \(1\)<\/summary>[^]*- `tls13-may-check` \(\[RFC 8446 4\.2\.8\]\([^)]*\), MAY\): expected alert illegal\\_parameter, got ServerHello\n/,
    );
  });

  it('a collapsed transcript table per failure and error', () => {
    expect(md).toContain('### Transcripts');
    const d = md.split('<details><summary>fail: <code>tls13-finished-bad[group=x25519]</code>: accepted a bad | Finished &lt;script&gt; (step 3 at scenarios/tls13/finished.yaml:12:5)</summary>')[1].split('</details>')[0];
    expect(d).toContain('| t (ms) | direction | kind | name | epoch |');
    expect(d).toContain('| 0 | sent | handshake | ClientHello | plaintext |');
    expect(d).toContain('| 15 | received | handshake | Finished | handshake |');
    expect(md).toContain('<details><summary>error: <code>tls13-key-update</code>: error because of reasons</summary>');
    // expected failures and skips get no transcript
    expect(md).not.toContain('<details><summary>fail (expected)');
  });

  it('positive controls: a line in the headline, a table of those that did not pass', () => {
    const withControls = makeRun([makeCase('a', 'skip'), makeCase('b', 'skip'), makeCase('c', 'pass')], {
      controls: [
        { key: 'server tls13 {"groups":["x25519"]}', verdict: 'fail', reason: 'expected ServerHello or HelloRetryRequest, got alert protocol_version', durationMs: 3, cases: ['a', 'b'] },
        { key: 'server tls13 {}', verdict: 'pass', durationMs: 3, cases: ['c'] },
      ],
    });
    const out = toSummaryMarkdown(toReportJson(withControls));
    expect(out).toContain('\n**Positive controls**: 1 of 2 passed; 1 failed (their 2 cases are skipped).\n');
    expect(out).toContain('### Controls that did not pass (1)');
    expect(out).toContain('| fail | `server tls13 {"groups":["x25519"]}` | 2 | expected ServerHello or HelloRetryRequest, got alert protocol\\_version |');
    expect(md).not.toContain('Positive controls');
  });

  it('status words', () => {
    const ok = toReportJson(makeRun([makeCase('a', 'pass'), makeCase('b', 'fail', { expectedFailure: 'known' })]));
    expect(statusWord(ok)).toBe('PASSED');
    expect(statusWord({ ...ok, interrupted: true })).toBe('INTERRUPTED');
    const md2 = toSummaryMarkdown({ ...ok, interrupted: true });
    expect(md2.split('\n')[0]).toBe('## tls-harness: openssl-3.0: INTERRUPTED');
    expect(md2).toContain('**Interrupted**: only the cases that finished are reported.');
    expect(md2).not.toContain('### Failures and errors');
  });

  it('stays under the size limit, with a note', () => {
    const many = makeRun(
      Array.from({ length: 2000 }, (_, i) => makeCase(`tls13-case-${String(i).padStart(4, '0')}`, i % 3 === 0 ? 'skip' : 'fail', { transcript: transcript(40) })),
    );
    const big = toSummaryMarkdown(toReportJson(many));
    expect(Buffer.byteLength(big)).toBeLessThanOrEqual(60_000);
    expect(big).toContain('### Failures and errors (1333)');
    expect(big).toMatch(/\n_\.\.\. and \d+ more failures and errors not shown \(size limit\), see report\.json\._\n/);
    // once the failures are cut, nothing after them is shown: only the notes
    expect(big).toContain('_... and 1333 more transcripts not shown (size limit), see report.json._');
    expect(big).toContain('_... and 667 more skipped cases not shown (size limit), see report.json._');
    const small = toSummaryMarkdown(toReportJson(many), { limitBytes: 8_000 });
    expect(Buffer.byteLength(small)).toBeLessThanOrEqual(8_000);
    expect(small).toMatch(/_\.\.\. and \d+ more failures and errors not shown/);
  });

  it('a bad target with hundreds of failures: unexpected ones are never dropped while expected, lenient or advisory ones are shown', () => {
    const cases = [
      ...Array.from({ length: 300 }, (_, i) => makeCase(`a-expected-${String(i).padStart(3, '0')}`, 'fail', { expectedFailure: 'known' })),
      ...Array.from({ length: 300 }, (_, i) => makeCase(`b-lenient-${String(i).padStart(3, '0')}`, 'lenient')),
      ...Array.from({ length: 400 }, (_, i) => makeCase(`c-unexpected-${String(i).padStart(3, '0')}`, 'fail')),
      makeCase('d-unexpected-pass', 'pass', { expectedFailure: 'was known' }),
    ];
    const out = toSummaryMarkdown(toReportJson(makeRun(cases)), { limitBytes: 40_000 });
    expect(Buffer.byteLength(out)).toBeLessThanOrEqual(40_000);
    expect(out).toContain('- **unexpected pass** `d-unexpected-pass`');
    const shown = (out.match(/^- \*\*fail\*\* `c-unexpected-/gm) ?? []).length;
    expect(shown).toBeGreaterThan(50);
    expect(shown).toBeLessThan(400);
    expect(out).toContain(`_... and ${400 - shown} more failures and errors not shown (size limit), see report.json._`);
    expect(out).not.toContain('`a-expected-');
    expect(out).not.toContain('`b-lenient-');
    expect(out).toContain('_... and 300 more expected failures not shown (size limit), see report.json._');
    expect(out).toContain('_... and 300 more lenient cases not shown (size limit), see report.json._');
    // with room, every unexpected failure is there, then the expected ones
    const roomy = toSummaryMarkdown(toReportJson(makeRun(cases)), { limitBytes: 1_000_000 });
    expect((roomy.match(/^- \*\*fail\*\* `c-unexpected-/gm) ?? []).length).toBe(400);
    expect((roomy.match(/^- `a-expected-/gm) ?? []).length).toBe(300);
  });

  it('mdCell escapes Markdown and HTML', () => {
    expect(mdCell('a|b <i>*x*</i> `c` [l](u)\nnext')).toBe('a\\|b &lt;i&gt;\\*x\\*&lt;/i&gt; \\`c\\` \\[l\\](u) next');
  });
});

describe('summary.md: indistinguishability groups', () => {
  it('lists the groups, with what each variant got in a group that differs', () => {
    const md = toSummaryMarkdown(toReportJson(groupRun()));
    expect(md).toContain('### Indistinguishability groups (2)');
    expect(md).toContain('| `tls12-robot[suite=a]` | 2 | equal: alert bad\\_record\\_mac, close eof (1 record) |');
    expect(md).toContain('| `tls12-robot[suite=b]` | 3 | **the variants differ** |');
    expect(md).toContain(
      [
        '#### `tls12-robot[suite=b]`: the variants differ',
        '',
        '| variant | outcome | time (ms) |',
        '| --- | --- | ---: |',
        '| pad=good | alert bad\\_record\\_mac, close eof (1 record) | 3 |',
        '| pad=bad | alert decode\\_error, close eof (1 record) | 12 |',
        '| pad=short | left out |  |',
        '',
        '- pad=short: left out (skip: the target lacks b)',
      ].join('\n'),
    );
    expect(md).not.toContain('#### `tls12-robot[suite=a]`');
    expect(toSummaryMarkdown(toReportJson(makeRun([makeCase('x', 'pass')])))).not.toContain('Indistinguishability');
  });
});
