/**
 * Plain-text helpers shared by the JUnit and Markdown writers: transcripts as readable lines, one-line
 * reasons, and XML 1.0 escaping.
 */
import type { TranscriptEntry } from '../engine/result.ts';
import { safeStringify, type ReportCase } from './json.ts';

/**
 * Characters XML 1.0 does not allow at all (not even as character references): C0 controls other than
 * tab, LF and CR, U+FFFE/U+FFFF, and unpaired surrogates. They are replaced by visible escapes
 * (`\x00`, `\uFFFE`); an unpaired surrogate becomes U+FFFD.
 */
// eslint-disable-next-line no-control-regex
const XML_INVALID = /[\x00-\x08\x0B\x0C\x0E-\x1F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

function replaceInvalid(ch: string): string {
  const cp = ch.charCodeAt(0);
  if (cp >= 0xd800 && cp <= 0xdfff) return '\uFFFD';
  return cp < 0x20 ? `\\x${cp.toString(16).padStart(2, '0')}` : `\\u${cp.toString(16).toUpperCase()}`;
}

/** Escapes text content for XML 1.0. */
export function xmlText(s: string): string {
  return s.replace(XML_INVALID, replaceInvalid).replace(/[&<>]/g, (c) => (c === '&' ? '&amp;' : c === '<' ? '&lt;' : '&gt;'));
}

/** Escapes an attribute value (double-quoted) for XML 1.0; tab, LF and CR survive attribute normalization. */
export function xmlAttr(s: string): string {
  return s
    .replace(XML_INVALID, replaceInvalid)
    .replace(/[&<>"'\t\n\r]/g, (c) =>
      c === '&' ? '&amp;' : c === '<' ? '&lt;' : c === '>' ? '&gt;' : c === '"' ? '&quot;' : c === "'" ? '&apos;' : c === '\t' ? '&#9;' : c === '\n' ? '&#10;' : '&#13;',
    );
}

/** Collapses whitespace (newlines included) and cuts at `max` characters with an ellipsis. */
export function oneLine(s: string, max = 300): string {
  const t = s.replace(/\s+/g, ' ').trim();
  return t.length > max ? t.slice(0, max - 3) + '...' : t;
}

export const DIR_ARROW: Record<TranscriptEntry['dir'], string> = { sent: '->', received: '<-', note: '..' };

/** `  12ms -> handshake ClientHello [plaintext] {detail} (517 bytes)`, one line per entry. */
export function transcriptLines(transcript: readonly TranscriptEntry[], maxEntries = 200, maxDetail = 240): string[] {
  const lines: string[] = [];
  const shown = transcript.slice(0, maxEntries);
  const tw = Math.max(1, ...shown.map((e) => String(Math.round(e.t)).length));
  for (const e of shown) {
    let line = `${String(Math.round(e.t)).padStart(tw)}ms ${DIR_ARROW[e.dir] ?? e.dir} ${e.kind} ${e.name}`;
    if (e.epoch) line += ` [${e.epoch}]`;
    if (e.detail !== undefined) line += ` ${oneLine(safeStringify(e.detail) ?? '', maxDetail)}`;
    if (e.wire) line += ` (${Math.floor(e.wire.length / 2)} bytes: ${e.wire.length > 64 ? e.wire.slice(0, 64) + '...' : e.wire})`;
    lines.push(line);
  }
  if (transcript.length > shown.length) lines.push(`... ${transcript.length - shown.length} more entries (see report.json)`);
  return lines;
}

/** `file:line:col (step N)`, or undefined. */
export function stepWhere(c: ReportCase): string | undefined {
  return c.step ? `${c.step.file}:${c.step.line}:${c.step.col} (step ${c.step.index})` : undefined;
}

/** expected / observed / where / transcript as readable text (JUnit failure bodies). */
export function caseDetailText(c: ReportCase, withTranscript = true): string {
  const out: string[] = [];
  if (c.reason) out.push(`reason: ${c.reason}`);
  if (c.expected !== null) out.push(`expected: ${c.expected}`);
  if (c.observed !== null) out.push(`observed: ${c.observed}`);
  const where = stepWhere(c);
  if (where) out.push(`at: ${where}`);
  out.push(`rfc: RFC ${c.rfc.doc} ${c.rfc.section} ${c.rfc.url}`);
  if (c.expectedFailure) out.push(`expected failure: ${c.expectedFailure}`);
  if (withTranscript) {
    out.push('', `transcript (${c.transcript.length} entries; -> sent, <- received, .. note):`);
    for (const l of transcriptLines(c.transcript)) out.push('  ' + l);
  }
  return out.join('\n');
}
