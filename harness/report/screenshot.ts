/**
 * `npm run screenshot`: docs/report.png, the README's picture of report.html, taken in headless Chromium
 * (cdp.ts) with a failing case open.
 *
 *   npm run screenshot                          a fresh run against --target openssl (about a minute), then
 *                                               the picture of its report
 *   npm run screenshot -- reports/<run-id>      the report.html of that folder (or a report.html path)
 *   options: --case ID (default: a failing case whose sent message the scenario changed, with the shortest
 *            conversation), --target NAME (for the fresh run), --out FILE (default docs/report.png),
 *            --width N, --height N (default 1280 x 1000)
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';
import { fromRoot } from '../paths.ts';
import { Cdp, findBrowser } from './cdp.ts';
import { readReport, type ReportCase } from './json.ts';

function die(line: string): never {
  process.stderr.write(`screenshot: ${line}\n`);
  process.exit(2);
}

/** A field the scenario changed that the decoded message shows (not one it removed, not a record option). */
function showsChange(e: ReportCase['transcript'][number]): boolean {
  const d = e.detail as Record<string, unknown> | undefined;
  return e.dir === 'sent' && !!d && typeof d === 'object' && (e.changed ?? []).some((p) => p !== 'extensions' && p.split(/[.[]/)[0] in d);
}

/** The case to show: failing, with a changed field to see in its ladder, the shortest conversation first. */
function pickCase(cases: readonly ReportCase[]): ReportCase | undefined {
  const failing = cases.filter((c) => c.verdict === 'fail');
  const changed = failing.filter((c) => c.transcript.some(showsChange));
  const size = (c: ReportCase) => c.transcript.length * 1e6 + JSON.stringify(c.transcript).length;
  return [...(changed.length ? changed : failing)].sort((a, b) => size(a) - size(b) || (a.id < b.id ? -1 : 1))[0];
}

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { case: { type: 'string' }, target: { type: 'string' }, out: { type: 'string' }, width: { type: 'string' }, height: { type: 'string' } },
  });
  const browser = findBrowser() ?? die('no chromium-headless-shell, chromium or google-chrome on the PATH (Debian: apt-get install chromium-headless-shell)');
  let dir: string;
  if (positionals[0]) {
    const p = resolve(positionals[0]);
    if (!existsSync(p)) die(`${positionals[0]}: no such file or folder`);
    dir = statSync(p).isDirectory() ? p : dirname(p);
  } else {
    const target = values.target ?? 'openssl';
    const base = mkdtempSync(join(tmpdir(), 'tls-harness-screenshot-'));
    process.stderr.write(`screenshot: running the suite against ${target} (reports in ${base}/${target})\n`);
    const r = spawnSync(process.execPath, [fromRoot('bin/tls-harness.js'), 'run', '--target', target, '--report-dir', base, '--run-id', target], { stdio: ['ignore', 'ignore', 'inherit'], timeout: 15 * 60_000 });
    if (r.status !== 0 && r.status !== 1) die(`tls-harness run --target ${target} exited with ${r.status ?? r.signal}`);
    dir = join(base, target);
  }
  const html = join(dir, 'report.html');
  if (!existsSync(html)) die(`${dir}: no report.html`);
  const report = readReport(join(dir, 'report.json'));
  const c = values.case ? report.cases.find((x) => x.id === values.case) : pickCase(report.cases);
  if (!c) die(values.case ? `no case ${values.case} in ${dir}/report.json` : `no failing case in ${dir}/report.json (give one with --case)`);
  const width = Number(values.width ?? 1280);
  const height = Number(values.height ?? 1000);
  const out = resolve(values.out ?? fromRoot('docs/report.png'));
  const cdp = await Cdp.launch(browser, { timeoutMs: 30_000 });
  try {
    const page = await cdp.newPage(width, height);
    await page.goto(`${pathToFileURL(html).href}#verdict=${c.verdict}&case=${encodeURIComponent(c.id)}`);
    // Room below the list, so that a case near its end can be scrolled to the top too.
    await page.evaluate(`document.getElementById('cases').style.paddingBottom = '${height}px'; document.querySelector('details.case[open]').scrollIntoView({ block: 'start' })`);
    mkdirSync(dirname(out), { recursive: true });
    writeFileSync(out, await page.screenshot());
  } finally {
    await cdp.close();
  }
  process.stdout.write(`screenshot: ${out} (${report.target}, case ${c.id})\n`);
}

await main();
