import { describe, expect, it } from 'vitest';
import { CSP, embedJson, escapeHtml, matrixHtml, reportHtml } from './html.ts';
import { safeStringify, toReportJson, type ReportJson } from './json.ts';
import { buildMatrix } from './matrix.ts';
import { makeCase, makeRun } from './testing.ts';

const INJECT = '</script><img src=x onerror=alert(1)><!-- <script>alert(2)</script>';

function report(): ReportJson {
  return toReportJson(
    makeRun(
      [
        makeCase('tls13-bad[group=x25519]', 'fail', { reason: `the target answered ${INJECT}`, tags: ['alerts'], targetRole: 'server' }),
        makeCase('tls13-good', 'pass', { title: 'a title with \u2028 a line separator and <b>markup</b>' }),
      ],
      { target: `evil</title><script>alert(3)</script>`, command: ['tls-harness', 'run', '--grep', '</script>'] },
    ),
  );
}

/** The text of the element `<tag ...id="id"...>` up to its closing tag. */
function scriptBody(html: string, id: string): string {
  const open = html.indexOf(`id="${id}">`);
  expect(open).toBeGreaterThan(0);
  const start = open + `id="${id}">`.length;
  return html.slice(start, html.indexOf('</script>', start));
}

describe('report.html', () => {
  it('embeds the report as JSON that no case text can break out of, and that reads back the same', () => {
    const r = report();
    const html = reportHtml(r);
    // Two scripts (the data and the page's code), each closed once: nothing in the data closes one early.
    expect(html.match(/<\/script>/g)).toHaveLength(2);
    expect(html.match(/<script\b/g)).toHaveLength(2);
    expect(html).not.toContain('<img');
    expect(html).not.toContain('<!--');
    const data = scriptBody(html, 'report-data');
    expect(data).not.toContain('<');
    expect(JSON.parse(data)).toEqual(JSON.parse(safeStringify(r)));
    // The title is escaped text.
    expect(html).toContain('<title>tls-harness report: evil&#60;/title&#62;&#60;script&#62;alert(3)&#60;/script&#62; (run-1)</title>');
  });

  it('is one self-contained file: a restrictive CSP, inline style and script, no external asset', () => {
    const html = reportHtml(report());
    expect(html).toContain(`<meta http-equiv="Content-Security-Policy" content="${CSP}">`);
    expect(CSP).toMatch(/^default-src 'none';/);
    expect(CSP).toContain('img-src data:');
    // Nothing is loaded from anywhere: no <link>, no src= attribute, no url() in the style, no fetch in the code.
    const page = html.replace(scriptBody(html, 'report-data'), '');
    expect(page).not.toMatch(/<link\b|\ssrc=|url\(|@import|fetch\(|XMLHttpRequest|innerHTML|outerHTML|insertAdjacentHTML|document\.write/);
  });

  it('embedJson escapes <, U+2028 and U+2029 and stays JSON', () => {
    const v = { a: '</script><!--', b: '\u2028\u2029', c: ['<', '>'] };
    const e = embedJson(JSON.stringify(v));
    expect(e).not.toMatch(/[<\u2028\u2029]/);
    expect(JSON.parse(e)).toEqual(v);
    expect(escapeHtml(`<a href="x">'&'</a>`)).toBe('&#60;a href=&#34;x&#34;&#62;&#39;&#38;&#39;&#60;/a&#62;');
  });

  it('a report of a run with no case is a page too', () => {
    const html = reportHtml(toReportJson(makeRun([])));
    expect(JSON.parse(scriptBody(html, 'report-data')).cases).toEqual([]);
  });
});

describe("the matrix's report.html", () => {
  it('embeds matrix.json (escaped) with its targets and cases, and no transcript', () => {
    const a = toReportJson(makeRun([makeCase('x', 'fail', { reason: INJECT }), makeCase('y', 'pass')], { target: 'a' }));
    const b = toReportJson(makeRun([makeCase('x', 'pass'), makeCase('y', 'pass')], { target: 'b' }));
    const m = buildMatrix('m1', a.startedAt, a.finishedAt, [
      { target: 'a', reportDir: 'a', report: a, exitCode: 1 },
      { target: 'b', reportDir: 'b', report: b, exitCode: 0 },
    ]);
    const html = matrixHtml(m);
    expect(html.match(/<\/script>/g)).toHaveLength(2);
    const data = JSON.parse(scriptBody(html, 'matrix-data'));
    expect(data.targets.map((t: { name: string }) => t.name)).toEqual(['a', 'b']);
    expect(data.cases.map((c: { id: string; verdicts: object }) => [c.id, c.verdicts])).toEqual([
      ['x', { a: 'fail', b: 'pass' }],
      ['y', { a: 'pass', b: 'pass' }],
    ]);
    expect(data.deviations[0].targets[0].reason).toBe(INJECT);
    expect(html).not.toContain('"transcript"');
  });
});
