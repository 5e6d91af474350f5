/**
 * Traceability checks of scenarios against the RFC sentence index (index.ts): the rule a scenario cites is
 * a real normative sentence of the RFC, its quote is that sentence, its level is the sentence's keyword,
 * and the rule binds the role the target plays. The loader runs them when asked (`loadScenarios(paths,
 * { traceability: true })`: validate, run, list and coverage do); each problem is a loader Diagnostic at the
 * `file:line:col` of the rfc key at fault, with `kind: 'traceability'`.
 */
import type { Diagnostic, RfcLocations } from '../scenario/loader.ts';
import type { RequirementLevel, Scenario, SourceLocation } from '../scenario/model.ts';
import { editDistance } from '../suggest.ts';
import { keywordsOf, strongestLevel } from './extract.ts';
import { loadSentenceIndex, normalizeQuote, type Binds, type Sentence, type SentenceIndex } from './index.ts';

/**
 * Whether a scenario without `rfc.level` or `rfc.sentences` is an error (true) or a warning (false). A
 * warning while the suite is being annotated; flip it once every scenario states both.
 */
export const TRACEABILITY_REQUIRED = true;

/** The RFC 2119 keywords of each level (RFC 2119 sections 1-5; "MUST NOT" contains "MUST", and so on). */
export const LEVEL_KEYWORDS: Readonly<Record<RequirementLevel, readonly string[]>> = {
  must: ['MUST', 'MUST NOT', 'SHALL', 'SHALL NOT', 'REQUIRED'],
  should: ['SHOULD', 'SHOULD NOT', 'RECOMMENDED', 'NOT RECOMMENDED'],
  may: ['MAY', 'OPTIONAL'],
};
const LEVEL_WORDS: Record<RequirementLevel, string> = { must: 'MUST, SHALL or REQUIRED', should: 'SHOULD or RECOMMENDED', may: 'MAY or OPTIONAL' };

/** The pieces of a quote: the suite joins two sentences of one paragraph with `...`. */
export function quoteFragments(quote: string): string[] {
  return quote
    .split(/\.\.\.|\u2026/)
    .map((f) => normalizeQuote(f))
    .filter((f) => f !== '' && f !== '"');
}

/**
 * Sentences of `doc` that contain a piece of the quote (its `...` fragments, each cut at sentence ends, so a
 * quote of two sentences finds both), in index order, each once.
 */
export function sentencesMatching(doc: number, quote: string, index: SentenceIndex = loadSentenceIndex()): Sentence[] {
  const frags = quoteFragments(quote).flatMap((f) => f.split(/(?<=[.?!]["')\]]*) (?=["(]?[A-Z])/)).filter((f) => f.length >= 12);
  const hit = new Set<Sentence>();
  for (const f of frags) {
    let found = false;
    for (const s of index.sentences) {
      if (s.doc === doc && normalized(s.text).includes(f)) {
        hit.add(s);
        found = true;
      }
    }
    if (found) continue;
    // A piece that runs from a sentence into its list ("... as follows: If a ..."): the sentence it starts
    // with, found through the paragraph.
    for (const s of index.sentences) {
      if (s.doc !== doc) continue;
      const t = normalized(s.text);
      if (normalized(index.paragraphs[s.paragraph] ?? '').includes(f) && (f.startsWith(t.slice(0, 40)) || t.startsWith(f.slice(0, 40)))) hit.add(s);
    }
  }
  return index.sentences.filter((s) => hit.has(s));
}

/** normalizeQuote of the index's texts, each computed once: every scenario's quote is matched against all of them. */
const NORMALIZED = new Map<string, string>();
function normalized(text: string): string {
  let n = NORMALIZED.get(text);
  if (n === undefined) NORMALIZED.set(text, (n = normalizeQuote(text)));
  return n;
}

/** The fragment of the quote that is neither in the cited sentences nor in their paragraphs, if any. */
function unmatchedFragment(quote: string, cited: readonly Sentence[], index: SentenceIndex): string | undefined {
  const joined = normalizeQuote(cited.map((s) => s.text).join(' '));
  const paragraphs = [...new Set(cited.map((s) => normalizeQuote(index.paragraphs[s.paragraph] ?? s.text)))];
  for (const f of quoteFragments(quote)) {
    if (!joined.includes(f) && !paragraphs.some((p) => p.includes(f))) return f;
  }
  return undefined;
}

/**
 * The scenario judges the target as the receiver of something (an alert or a close is the expected outcome
 * of what the harness sent), rather than as the sender of a message it checks.
 */
export function judgesReceiver(s: Scenario): boolean {
  return s.steps.some(
    (st, i) =>
      st.kind === 'expect' &&
      // A close answering the harness's own close_notify is the orderly end of a conversation, not a refusal.
      (st.expect.kind === 'alert' || (st.expect.kind === 'close' && s.steps[i - 1]?.kind !== 'close_notify')),
  );
}

const clip = (s: string, n = 70) => (s.length > n ? s.slice(0, n - 3) + '...' : s);
const list = (ids: readonly string[], n = 4) => (ids.length > n ? `${ids.slice(0, n).join(', ')} (and ${ids.length - n} more)` : ids.join(', '));

/** A rule that binds `b` puts the duty on the side the case does not judge (the harness, not the target). */
function bindsOther(b: Binds, target: Scenario['target'], receiverCase: boolean): boolean {
  const other = target === 'server' ? 'client' : 'server';
  return b === other || (b === 'sender' && receiverCase);
}

export function checkTraceability(
  scenarios: readonly Scenario[],
  locate: (s: Scenario) => RfcLocations,
  index: SentenceIndex = loadSentenceIndex(),
): Diagnostic[] {
  const out: Diagnostic[] = [];
  const indexedDocs = new Set(index.docs.map((d) => d.doc));
  for (const s of scenarios) {
    const at = locate(s);
    const push = (loc: SourceLocation | undefined, severity: Diagnostic['severity'], message: string) =>
      out.push({ ...(loc ?? at.rfc), message, severity, kind: 'traceability' });
    const missing: Diagnostic['severity'] = TRACEABILITY_REQUIRED ? 'error' : 'warning';
    const { doc, quote, level } = s.rfc;
    const quoteKeywords = [...new Set(keywordsOf(quote).map((k) => k.keyword))];
    const quoteLevel = strongestLevel(quoteKeywords);

    const indexed = indexedDocs.has(doc);
    const receiverCase = judgesReceiver(s);
    // The sentences the quote comes from, and among them those that bind the target's side.
    const matching = indexed ? sentencesMatching(doc, quote, index) : [];
    const own = matching.filter((m) => !bindsOther(m.binds, s.target, receiverCase));

    // The level and the quote's keyword.
    if (level === undefined) {
      let hint = quoteLevel ? ` (the quote says ${quoteKeywords.join(', ')}: level ${quoteLevel})` : '';
      const ownLevel = strongestLevel(own.flatMap((m) => m.keywords));
      if (own.length > 0 && own.length < matching.length && ownLevel) {
        // "Clients MUST NOT offer ... Servers MAY check ...": for a server case, the server's MAY.
        hint = ` (the sentence that binds the ${s.target}, ${list(own.map((m) => m.id))}, says ${[...new Set(own.flatMap((m) => m.keywords))].join(', ')}: level ${ownLevel})`;
      }
      push(at.rfc, missing, `rfc.level missing: must, should or may${hint}`);
    } else if (!quoteKeywords.some((k) => LEVEL_KEYWORDS[level].includes(k))) {
      const has = quoteKeywords.length > 0 ? `it has ${quoteKeywords.join(', ')}` : 'it has no RFC 2119 keyword';
      push(at.level, 'error', `rfc.level is '${level}' but the quote has no ${LEVEL_WORDS[level]} (${has}): quote the sentence that states the rule${quoteLevel ? `, or use level ${quoteLevel}` : ''}`);
    }

    if (!indexed) {
      if (s.rfc.sentences) push(at.sentences, 'error', `rfc sentences: RFC ${doc} is not in the RFC index (rfc/sentences.json indexes RFC ${[...indexedDocs].join(', ')})`);
      else push(at.rfc, missing, `rfc.sentences missing, and RFC ${doc} is not in the RFC index (rfc/sentences.json indexes RFC ${[...indexedDocs].join(', ')})`);
      continue;
    }

    const matchingIds = matching.map((m) => m.id);
    let cited: Sentence[] = [];
    if (s.rfc.sentences === undefined) {
      // Suggest the matching sentences that bind the target's side (all of them if none does).
      const suggest = (own.length > 0 ? own : matching).map((m) => m.id);
      const sections = [...new Set(matching.map((m) => m.section))];
      const elsewhere = sections.length > 0 && !sections.includes(s.rfc.section) ? `; they are in section ${sections.join(', ')}, not ${s.rfc.section}` : '';
      const hint =
        matchingIds.length > 0
          ? ` (the quote matches ${list(matchingIds)}${elsewhere}: sentences: [${suggest.slice(0, 4).join(', ')}])`
          : ` (no indexed sentence of RFC ${doc} contains the quote: check it against rfc/rfc${doc}.txt)`;
      push(at.rfc, missing, `rfc.sentences missing: the ids of the normative sentences the case checks${hint}`);
      cited = matching;
    } else {
      let ok = true;
      s.rfc.sentences.forEach((id, i) => {
        const loc = at.items[i] ?? at.sentences;
        const found = index.byId.get(id);
        if (!found) {
          ok = false;
          const near = matchingIds.length > 0 ? matchingIds : nearestIds(id, index);
          push(loc, 'error', `rfc sentences: '${id}' is not in the RFC index (rfc/sentences.json)${near.length > 0 ? ` (did you mean ${list(near)}?)` : ''}`);
          return;
        }
        if (found.doc !== doc) {
          ok = false;
          push(loc, 'error', `rfc sentences: '${id}' is a sentence of RFC ${found.doc}, but rfc.doc is ${doc}`);
          return;
        }
        if (!found.testable) {
          push(loc, 'warning', `rfc sentences: '${id}' is marked untestable in rfc/untestable.yaml (${found.untestable}): cite the sentence the case really checks, or drop that entry if a peer can check it`);
        }
        if (found.section !== s.rfc.section) {
          push(loc, 'warning', `rfc sentences: '${id}' is in section ${found.section}, but rfc.section is ${s.rfc.section}`);
        }
        cited.push(found);
      });
      if (ok && cited.length > 0) {
        const bad = unmatchedFragment(quote, cited, index);
        if (bad !== undefined) {
          const where = sentencesMatching(doc, bad, index).map((m) => m.id);
          const hint = where.length > 0 ? `: it is in ${list(where)}` : `: no indexed sentence of RFC ${doc} contains it`;
          push(at.quote, 'error', `the quote does not match the cited sentences (${list(cited.map((c) => c.id))}): '${clip(bad)}'${hint}`);
        }
      }
    }

    // Whose duty: the rule must bind the role the target plays.
    if (cited.length > 0) {
      if (cited.every((c) => bindsOther(c.binds, s.target, receiverCase))) {
        const binds = cited[0].binds;
        const whom = binds === 'sender' ? `the sender (here the harness's ${s.target === 'server' ? 'client' : 'server'})` : `the ${binds}`;
        push(
          at.sentences ?? at.quote,
          'warning',
          `the quoted rule binds ${whom}, but the case judges the ${s.target}: cite the rule that binds the ${s.target} (e.g. a 'MUST abort' for the receiver), or lower the level`,
        );
      }
    }
  }
  return out;
}

/** Ids near a mistyped one: same RFC and section first, then by edit distance. */
function nearestIds(id: string, index: SentenceIndex): string[] {
  const prefix = id.replace(/-[0-9]+$/, '-');
  const same = index.sentences.filter((s) => s.id.startsWith(prefix)).map((s) => s.id);
  if (same.length > 0) return same;
  let best: string[] = [];
  let bestD = Infinity;
  for (const s of index.sentences) {
    const d = editDistance(id, s.id);
    if (d < bestD) {
      bestD = d;
      best = [s.id];
    } else if (d === bestD) best.push(s.id);
  }
  return bestD <= 3 ? best : [];
}
