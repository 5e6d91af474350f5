/**
 * report.html in a real browser: headless Chromium (the Debian package chromium-headless-shell, or chromium,
 * or google-chrome) driven over the DevTools protocol (cdp.ts). A real run against the embedded reference,
 * with a scenario that fails on purpose, writes report.html; the test loads it from disk (file://), types
 * into the search box and clicks the verdict filter (real input events), checks the visible cases and the
 * URL's fragment, opens the failing case by its link and checks its ladder, and keeps a screenshot
 * (${TLS_HARNESS_ARTIFACTS:-reports/artifacts}/report.png, which CI keeps). Skipped, saying why, when no
 * browser is installed.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { main } from '../cli.ts';
import { PACKAGE_ROOT, fromRoot } from '../paths.ts';
import { Cdp, findBrowser, type CdpPage } from './cdp.ts';
import { readReport, toReportJson, type ReportJson } from './json.ts';
import { matrixHtml, reportHtml } from './html.ts';
import { buildMatrix } from './matrix.ts';
import { makeCase, makeRun, transcript } from './testing.ts';

const BROWSER = findBrowser();
if (!BROWSER) console.log('html-browser.test.ts: skipped: no chromium-headless-shell, chromium or google-chrome on the PATH (Debian: apt-get install chromium-headless-shell)');

const FAIL_ID = 'html-report-deliberate-fail';

/** Expects a ServerHello version the reference does not send (it answers TLS 1.2, 0x0303): a failure. */
const DELIBERATE_FAIL = `id: ${FAIL_ID}
title: A server that negotiates TLS 1.1 for a higher client_version (wrong on purpose, for the HTML report's browser test)
rfc:
  doc: 5746
  section: "3.6"
  quote: "TLS servers implementing this specification MUST ignore any unknown extensions offered by the client and they MUST accept version numbers higher than their highest version number and negotiate the highest common version."
  level: must
  sentences: [rfc5746-3.6-5]
target: server
versions: [tls12]
tags: [html_test, version]
config:
  cipher_suites: [TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256]
  groups: [x25519]
control: false
steps:
  - send: ClientHello
    set: { legacy_version: 0x0399 }
  - expect:
      - { message: ServerHello, where: { legacy_version: 0x0302 } }
`;

const INJECT = '</script><img src=x onerror="window.pwned=1"><script>window.pwned=2</script>';

/** A promise that rejects after `ms`: nothing here may hang on a browser that misbehaves. */
function limit<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([p, new Promise<T>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what}: no result in ${ms} ms`)), ms)))]).finally(() => clearTimeout(timer));
}

describe.skipIf(!BROWSER)('report.html in headless Chromium', () => {
  let dir: string;
  let report: ReportJson;
  let url: string;
  let cdp: Cdp | undefined;
  let page: CdpPage;
  const errors: string[] = [];

  /** Loads the page afresh (about:blank first: a new fragment alone would not reload it). */
  const load = async (u: string) => {
    await page.goto('about:blank');
    await page.goto(u);
  };
  const shown = () => page.evaluate<number>(`Number(document.getElementById('count').getAttribute('data-shown'))`);
  const hash = () => page.evaluate<string>('decodeURIComponent(location.hash)');
  const sleep = (ms: number) => page.evaluate(`new Promise((r) => setTimeout(r, ${ms}))`);
  /** The value of `expr` once it is truthy (a details element builds its content on its toggle event, a task later). */
  const when = <T>(expr: string) =>
    page.evaluate<T>(`new Promise((resolve, reject) => { const t0 = Date.now(); const f = () => { const v = (${expr}); if (v) resolve(v); else if (Date.now() - t0 > 5000) reject(new Error('not within 5 s: ' + ${JSON.stringify(expr)})); else setTimeout(f, 20); }; f(); })`);

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'th-html-browser-'));
    const bad = join(dir, 'deliberate-fail.yaml');
    writeFileSync(bad, DELIBERATE_FAIL);
    const quiet = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    const code = await main(['run', '--scenarios', fromRoot('scenarios/examples/'), '--scenarios', fromRoot('scenarios/server/tls12/rfc5746/client-hello-version-higher.yaml'), '--scenarios', bad, '--report-dir', dir, '--run-id', 'html']);
    quiet.mockRestore();
    expect(code).toBe(1);
    report = readReport(join(dir, 'html', 'report.json'));
    url = pathToFileURL(join(dir, 'html', 'report.html')).href;
    cdp = await limit(Cdp.launch(BROWSER!, { timeoutMs: 20_000 }), 30_000, 'starting the browser');
    cdp.onEvent((method, params) => {
      if (method === 'Runtime.exceptionThrown') errors.push(JSON.stringify(params).slice(0, 500));
      if (method === 'Runtime.consoleAPICalled' && params.type === 'error') errors.push(JSON.stringify(params).slice(0, 500));
      // A blocked fetch (the CSP) or a failed load would be logged here.
      if (method === 'Log.entryAdded' && (params.entry as { level?: string }).level === 'error') errors.push(JSON.stringify(params).slice(0, 500));
    });
    page = await cdp.newPage(1280, 1100);
    await page.send('Log.enable');
  }, 90_000);

  afterAll(async () => {
    await limit(cdp?.close() ?? Promise.resolve(), 10_000, 'closing the browser').catch(() => undefined);
  });

  it('loads from disk and lists every case of the run, without a script error', async () => {
    expect(report.cases.length).toBeGreaterThanOrEqual(5);
    expect(report.cases.find((c) => c.id === FAIL_ID)?.verdict).toBe('fail');
    await load(url);
    expect(await shown()).toBe(report.cases.length);
    expect(await page.evaluate('document.querySelectorAll("details.case").length')).toBe(report.cases.length);
    expect(await page.evaluate('document.getElementById("status").textContent')).toMatch(/^1 unexpected result/);
    expect(errors).toEqual([]);
  });

  it('filters: the search box and the verdict filter change the visible cases, and the URL follows', async () => {
    await load(url);
    await page.type('#q', 'deliberate');
    await sleep(400); // the URL follows typing a moment later
    expect(await shown()).toBe(1);
    expect(await hash()).toBe('#q=deliberate');
    await page.click('#clear');
    expect(await shown()).toBe(report.cases.length);
    await page.click('#verdict-chips .chip[data-verdict="pass"]');
    const passes = report.cases.filter((c) => c.verdict === 'pass').length;
    expect(await shown()).toBe(passes);
    expect(await hash()).toBe('#verdict=pass');
    // The filter state is in the link: opening it shows the same view.
    await load(`${url}#verdict=fail`);
    expect(await shown()).toBe(1);
    expect(await page.evaluate('document.getElementById("verdict").value')).toBe('fail');
    await load(`${url}#tag=html_test`);
    expect(await shown()).toBe(1);
    expect(errors).toEqual([]);
  });

  it("opens a failing case by its link: the RFC sentence, expected vs observed, the step, and a ladder with the changed field", async () => {
    await load(`${url}#verdict=fail&case=${encodeURIComponent(FAIL_ID)}`);
    await when(`document.querySelector('details.case[data-id="${FAIL_ID}"] .ladder')`);
    const c = await page.evaluate<Record<string, unknown>>(`(() => {
      const d = document.querySelector('details.case[data-id="${FAIL_ID}"]');
      const ladder = d.querySelector('.ladder');
      const changed = [...ladder.querySelectorAll('.fields .changed')];
      return {
        open: d.open,
        quote: d.querySelector('blockquote.rfc p').textContent,
        link: d.querySelector('blockquote.rfc a').href,
        expected: d.querySelector('dd.expected').textContent,
        observed: d.querySelector('dd.observed').textContent,
        step: [...d.querySelectorAll('.why code')].map((e) => e.textContent).find((t) => /yaml:/.test(t)),
        heads: [...ladder.querySelectorAll('.heads span')].map((e) => e.textContent),
        sent: [...ladder.querySelectorAll('.row.sent .name')].map((e) => e.textContent),
        received: [...ladder.querySelectorAll('.row.received .name')].map((e) => e.textContent),
        sentLtr: ladder.querySelector('.row.sent').classList.contains('ltr'),
        changedTag: ladder.querySelector('.row.sent .tag.chg').textContent,
        changed: changed.map((e) => e.getAttribute('data-path')),
        changedVisible: changed.length > 0 && changed[0].getBoundingClientRect().height > 0,
      };
    })()`);
    expect(c).toMatchObject({
      open: true,
      quote: expect.stringContaining('MUST accept version numbers higher than their highest version number'),
      link: 'https://www.rfc-editor.org/rfc/rfc5746#section-3.6',
      expected: expect.stringContaining('ServerHello'),
      step: expect.stringMatching(/deliberate-fail\.yaml:\d+:\d+$/),
      heads: ['harness (client)', 'target (server)'],
      sent: ['ClientHello'],
      sentLtr: true,
      changedTag: 'changed: legacy_version',
      changed: ['legacy_version'],
      changedVisible: true,
    });
    expect(c.received).toContain('ServerHello');
    // A scenario file of the repository is shown as the repository names it (the report holds the absolute path).
    expect(await page.evaluate(`scenarioPath(${JSON.stringify(join(PACKAGE_ROOT, 'scenarios', 'x.yaml'))})`)).toBe(join('scenarios', 'x.yaml'));
    expect(await hash()).toContain(`case=${FAIL_ID}`);
    // Raw bytes on demand: the hex dump is built when asked for.
    await page.click(`details.case[data-id="${FAIL_ID}"] .row.sent details.wire > summary`);
    expect(await when(`document.querySelector('details.case[data-id="${FAIL_ID}"] .row.sent pre.hex')?.textContent`)).toMatch(/^000000 {2}16 03 0[13] /);
    await page.evaluate(`document.querySelector('details.case[data-id="${FAIL_ID}"]').scrollIntoView()`);
    const png = await page.screenshot();
    expect(png.subarray(1, 4).toString()).toBe('PNG');
    const artifacts = resolve(process.env.TLS_HARNESS_ARTIFACTS ?? fromRoot('reports/artifacts'));
    mkdirSync(artifacts, { recursive: true });
    writeFileSync(join(artifacts, 'report.png'), png);
    console.log(`html-browser.test.ts: screenshot: ${join(artifacts, 'report.png')}`);
    expect(errors).toEqual([]);
  });

  it('highlights changed fields given as set paths (extensions.<name>...) and as mutate paths (extensions[i].<name>...)', async () => {
    const detail = {
      msg_type: 'client_hello',
      legacy_version: 'TLS1_2',
      extensions: [
        { type: 'key_share', client_shares: [{ group: 'x25519', key_exchange: 'ab' }] },
        { type: 'supported_versions', versions: ['TLS1_3'] },
      ],
    };
    const sent = { t: 1, dir: 'sent' as const, kind: 'handshake', name: 'ClientHello', detail, changed: ['extensions.key_share.client_shares[0].group', 'extensions[1].supported_versions.versions', 'record.version'] };
    const r = toReportJson(makeRun([makeCase('paths', 'fail', { targetRole: 'server', transcript: [sent] })]));
    const f = join(dir, 'paths.html');
    writeFileSync(f, reportHtml(r));
    await load(`${pathToFileURL(f).href}#case=paths`);
    const paths = await when<string[]>(`(() => { const p = [...document.querySelectorAll('.ladder .fields .changed')].map((e) => e.getAttribute('data-path')); return p.length && p; })()`);
    expect(paths).toEqual(['extensions.0.client_shares.0.group', 'extensions.1.versions']);
    // The path to each is open; the record option, not a field of the message, is named in the label only.
    expect(await page.evaluate(`document.querySelector('.ladder .fields [data-path="extensions.0.client_shares.0.group"]').getBoundingClientRect().height > 0`)).toBe(true);
    expect(await page.evaluate(`document.querySelector('.ladder .tag.chg').textContent`)).toBe('changed: extensions.key_share.client_shares[0].group, extensions[1].supported_versions.versions, record.version');
  });

  it('a report the size of a full run (900 cases, ~8 MB) opens with every case listed and filters', async () => {
    const verdicts = ['pass', 'pass', 'pass', 'fail', 'skip', 'lenient'] as const;
    const r = toReportJson(makeRun(Array.from({ length: 900 }, (_, i) => makeCase(`tls13-case-${String(i).padStart(3, '0')}`, verdicts[i % 6], { transcript: transcript(12, 200) }))));
    const f = join(dir, 'big.html');
    const html = reportHtml(r);
    writeFileSync(f, html);
    const t0 = performance.now();
    await load(pathToFileURL(f).href);
    const loadMs = performance.now() - t0;
    expect(await shown()).toBe(900);
    // The list only: no case has built its details.
    expect(await page.evaluate('document.querySelectorAll(".ladder").length')).toBe(0);
    await page.click('#verdict-chips .chip[data-verdict="fail"]');
    expect(await shown()).toBe(150);
    const scriptMs = await page.evaluate<string>('document.body.getAttribute("data-ready")');
    console.log(`html-browser.test.ts: ${(html.length / 1e6).toFixed(1)} MB, 900 cases: loaded in ${loadMs.toFixed(0)} ms (the page's script: ${scriptMs} ms)`);
  });

  it('report text cannot inject markup or script', async () => {
    const r = toReportJson(makeRun([makeCase('inject', 'fail', { reason: INJECT, title: INJECT, observed: INJECT, targetOutput: { source: INJECT, stdout: INJECT, stderr: '' } })], { target: INJECT }));
    const f = join(dir, 'inject.html');
    writeFileSync(f, reportHtml(r));
    await load(`${pathToFileURL(f).href}#case=inject`);
    const seen = await page.evaluate<Record<string, unknown>>(`({
      pwned: window.pwned ?? null,
      imgs: document.querySelectorAll('img').length,
      scripts: document.querySelectorAll('script').length,
      reason: [...document.querySelectorAll('.why dd')].map((e) => e.textContent).includes(${JSON.stringify(INJECT)}),
    })`);
    expect(seen).toEqual({ pwned: null, imgs: 0, scripts: 2, reason: true });
    expect(readFileSync(f, 'utf8')).not.toContain('<img');
  });
});

describe.skipIf(!BROWSER)("the matrix's report.html in headless Chromium", () => {
  let cdp: Cdp | undefined;
  afterAll(async () => {
    await limit(cdp?.close() ?? Promise.resolve(), 10_000, 'closing the browser').catch(() => undefined);
  });

  it('shows cases x targets, filters the cases whose verdicts differ, and links each cell to the case in its target\'s report.html', async () => {
    const a = toReportJson(makeRun([makeCase('x[n=1]', 'fail', { expectedFailure: 'known' }), makeCase('y', 'pass'), makeCase('z', 'pass')], { target: 'a' }));
    const b = toReportJson(makeRun([makeCase('x[n=1]', 'pass'), makeCase('y', 'pass')], { target: 'b' }));
    const m = buildMatrix('m1', a.startedAt, a.finishedAt, [
      { target: 'a', reportDir: 'a', report: a, exitCode: 0 },
      { target: 'b/c', reportDir: 'b/c', report: b, exitCode: 0 },
    ]);
    const dir = mkdtempSync(join(tmpdir(), 'th-matrix-browser-'));
    writeFileSync(join(dir, 'report.html'), matrixHtml(m));
    cdp = await limit(Cdp.launch(BROWSER!, { timeoutMs: 20_000 }), 30_000, 'starting the browser');
    const page = await cdp.newPage(1280, 900);
    const url = pathToFileURL(join(dir, 'report.html')).href;
    await page.goto(url);
    const shown = () => page.evaluate<number>(`Number(document.getElementById('count').getAttribute('data-shown'))`);
    expect(await shown()).toBe(3);
    await page.type('#q', 'x[n');
    expect(await shown()).toBe(1);
    await page.goto('about:blank');
    await page.goto(`${url}#show=differ`);
    // x differs (fail / pass); z ran on one target only: its verdicts do not differ.
    expect(await shown()).toBe(1);
    const links = await page.evaluate<string[]>(`[...document.querySelectorAll('tr[data-id="x[n=1]"] td.cell a')].map((a) => a.getAttribute('href'))`);
    expect(links).toEqual(['a/report.html#case=x%5Bn%3D1%5D', 'b/c/report.html#case=x%5Bn%3D1%5D']);
    expect(await page.evaluate(`document.querySelector('tr[data-id="x[n=1]"] td.cell a').title`)).toMatch(/^a: fail: expected alert decrypt_error, observed alert bad_record_mac \(expected failure: known\)$/);
  });
});
