/**
 * report.html: a run's report as one self-contained page (README, "The HTML report"). The report's data
 * goes into the page as JSON in a `<script type="application/json">` (every `<` written \u003c, so no text
 * of a case can close the script or open a tag), and the page's own script (html/report.js, plain
 * JavaScript with no dependency) builds the view from it with DOM APIs and textContent only. The CSS and
 * the script are inlined; a Content-Security-Policy forbids every fetch (no network, no external asset), so
 * the file reads the same from disk (file://) as from a CI artifact.
 *
 * The matrix's report.html (matrixHtml) is the same kind of page over matrix.json: cases x targets, each
 * cell a link to that target's report.html#case=<id>.
 */
import { readFileSync } from 'node:fs';
import { PACKAGE_ROOT, fromRoot } from '../paths.ts';
import { safeStringify, type ReportJson } from './json.ts';
import type { MatrixJson } from './matrix.ts';

export const HTML_FILE = 'report.html';

/** No fetch of any kind; the inline style and script only; images only as data: URLs. */
export const CSP = "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'";

const assets = new Map<string, string>();
function asset(name: string): string {
  let text = assets.get(name);
  if (text === undefined) {
    text = readFileSync(fromRoot(`harness/report/html/${name}`), 'utf8');
    assets.set(name, text);
  }
  return text;
}

/** JSON for a `<script type="application/json">`: `<` (and U+2028/2029) escaped, so the text cannot end the element. */
export function embedJson(json: string): string {
  return json.replace(/</g, '\\u003c').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
}

/** Text for an HTML text node or attribute value. */
export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** The script's own text, with `</script` made harmless should it ever contain one. */
function inlineScript(js: string): string {
  return js.replace(/<\/(script)/gi, '<\\/$1');
}

function* page(title: string, dataId: string, data: Iterable<string>, script: string): Generator<string> {
  yield '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n';
  yield `<meta http-equiv="Content-Security-Policy" content="${CSP}">\n`;
  yield '<meta name="viewport" content="width=device-width, initial-scale=1">\n<meta name="referrer" content="no-referrer">\n';
  yield `<title>${escapeHtml(title)}</title>\n<style>\n${asset('page.css').replace(/<\//g, '<\\/')}</style>\n</head>\n<body>\n`;
  // The package root, so that the page shows scenario files as the repository names them (scenarios/...).
  yield `<main id="app" data-root="${escapeHtml(PACKAGE_ROOT)}"><h1>${escapeHtml(title)}</h1><noscript><p>This report needs JavaScript to show its cases; the data is in the page source (and in report.json).</p></noscript></main>\n`;
  yield `<script type="application/json" id="${dataId}">`;
  for (const chunk of data) yield embedJson(chunk);
  yield '</script>\n';
  yield `<script>\n${inlineScript(asset('common.js'))}\n${inlineScript(script)}</script>\n</body>\n</html>\n`;
}

/** The report's JSON in chunks (the head, then one chunk per case): compact, the whole report. */
function* reportJsonCompact(report: ReportJson): Generator<string> {
  const { cases, ...head } = report;
  yield safeStringify(head).slice(0, -1) + ',"cases":[';
  for (let i = 0; i < cases.length; i++) yield (i ? ',' : '') + safeStringify(cases[i]);
  yield ']}';
}

/** report.html of a run (or of a merged run), as chunks for writeFileAtomic. */
export function reportHtmlChunks(report: ReportJson): Generator<string> {
  return page(`tls-harness report: ${report.target} (${report.runId})`, 'report-data', reportJsonCompact(report), asset('report.js'));
}

export function reportHtml(report: ReportJson): string {
  return [...reportHtmlChunks(report)].join('');
}

/** The matrix's report.html: cases x targets, the deviations, a link per cell to the target's report.html. */
export function matrixHtml(m: MatrixJson): string {
  return [...page(`tls-harness matrix ${m.runId}`, 'matrix-data', [safeStringify(m)], asset('matrix.js'))].join('');
}
