/**
 * Every shipped target config's expected failures are claims about someone else's software, so each must hold
 * up: its id names cases of the suite (no stale entry), its reason cites an RFC, and every sentence it quotes
 * from an RFC whose text is in rfc/ is that RFC's text, word for word (`...` joins two pieces). A quote from an
 * RFC the project does not carry (RFC 9155) is left to the reader; the reason says so.
 */
import { describe, expect, it } from 'vitest';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expandAll, loadScenarios } from '../scenario/loader.ts';
import { expectedFailureFor } from '../engine/run-all.ts';
import { fromRoot } from '../paths.ts';
import { normalizeQuote } from '../rfc/index.ts';
import { blocksOf, paragraphText } from '../rfc/extract.ts';
import { TARGETS_DIR, listTargetNames, loadTargetConfig } from './config.ts';

const texts = new Map<string, string | undefined>();
/**
 * The RFC's text without page furniture (the sentence index's blocksOf), its paragraphs normalised as quotes are
 * (normalizeQuote), or undefined when rfc/ lacks it.
 */
function rfcText(doc: string): string | undefined {
  if (!texts.has(doc)) {
    const path = fromRoot(`rfc/rfc${doc}.txt`);
    const paragraphs = existsSync(path) ? blocksOf(readFileSync(path, 'utf8')).map((b) => paragraphText(b.lines)) : undefined;
    texts.set(doc, paragraphs && normalizeQuote(paragraphs.join(' ')));
  }
  return texts.get(doc);
}

/**
 * The quotes of a reason: `RFC NNNN <section>: "..."`. A quote ends at a `"` that follows a sentence end and
 * precedes white space or the end, or that precedes `;`, `,` or `)`: quoted alert names inside it
 * (`a "decode_error" alert`) do not end it.
 */
export function quotesOf(reason: string): { doc: string; text: string }[] {
  const out: { doc: string; text: string }[] = [];
  const start = /RFC (\d{4})\b[^":]{0,60}: "/g;
  let m: RegExpExecArray | null;
  while ((m = start.exec(reason))) {
    const from = start.lastIndex;
    let end = -1;
    for (let i = from; i < reason.length; i++) {
      if (reason[i] !== '"') continue;
      const next = reason[i + 1];
      if ((/[.!?]/.test(reason[i - 1]) && (next === undefined || /\s/.test(next))) || next === undefined || /[;,)]/.test(next)) {
        end = i;
        break;
      }
    }
    if (end < 0) break;
    out.push({ doc: m[1], text: reason.slice(from, end) });
    start.lastIndex = end + 1;
  }
  return out;
}

const caseIds = expandAll(loadScenarios(['scenarios']).scenarios).map((c) => c.id);

describe('the expected failures of the shipped target configs', () => {
  it('finds the quotes of a reason, inner quoted names included', () => {
    expect(quotesOf('X. RFC 8446 6: "Peers ... MUST terminate the connection with a "decode_error" alert." (6.2, decode_error: "the length").')).toEqual([
      { doc: '8446', text: 'Peers ... MUST terminate the connection with a "decode_error" alert.' },
    ]);
    expect(quotesOf('RFC 8422 5.2: "MUST respect the server\'s choice"; 5.1.2: x')).toEqual([{ doc: '8422', text: "MUST respect the server's choice" }]);
  });

  for (const name of listTargetNames()) {
    const cfg = loadTargetConfig(join(TARGETS_DIR, `${name}.yaml`));
    if (cfg.expected_failures.length === 0) continue;
    it(`${name}: each names cases of the suite, cites an RFC, and quotes it word for word`, () => {
      const problems: string[] = [];
      for (const xf of cfg.expected_failures) {
        if (!caseIds.some((id) => expectedFailureFor(id, [xf]))) problems.push(`${xf.id}: matches no case of the suite`);
        const reason = normalizeQuote(xf.reason);
        if (!/RFC \d{4}/.test(reason)) problems.push(`${xf.id}: the reason cites no RFC`);
        for (const q of quotesOf(reason)) {
          const text = rfcText(q.doc);
          if (text === undefined) continue;
          for (const piece of q.text.split(/\.\.\.|\u2026/).map(normalizeQuote).filter((p) => p.length >= 12)) {
            if (!text.includes(piece)) problems.push(`${xf.id}: not in RFC ${q.doc}: "${piece}"`);
          }
        }
      }
      expect(problems).toEqual([]);
    });
  }
});
