/**
 * Issue 15: a finding as a scenario file. The conversation's steps (the base with the shrunk faults applied) are
 * written in the scenario language; where the reference refused the conversation, the steps end at the step it
 * refused at, with the reference's alert as the expectation, and the RFC block is a sentence behind the rule it
 * cited. Where the reference completed it, the steps are the whole conversation and the RFC block is the
 * sentence that makes the fault acceptable (fragmenting and coalescing, unknown extensions), when one is
 * known. `tls-harness run --scenarios <file> --target T` replays it against T, and the reference passes it.
 */
import { stringify } from 'yaml';
import { ExtensionType } from '../../implementations/reference/codec/enums.ts';
import { expectationToYaml, stepToYaml } from '../scenario/emit.ts';
import { loadSentenceIndex, normalizeQuote, sentencesOf, type Sentence } from '../rfc/index.ts';
import { describeFault, type Fault, type Setting } from './conversation.ts';
import type { Finding } from './fuzz.ts';
import { outcomeLabel } from './outcome.ts';

const STOP = new Set(['with', 'that', 'this', 'from', 'have', 'must', 'their', 'than', 'when', 'which', 'message', 'messages', 'alert', 'field', 'value']);
const words = (t: string) => new Set(t.toLowerCase().split(/[^a-z0-9_-]+/).filter((w) => w.length >= 4 && !STOP.has(w)).map((w) => w.replace(/s$/, '')));

/**
 * The sentence to cite for a rule the reference refused by (`RFC 8446 5.1`, its alert and what it found): of the
 * rule's section, the testable sentence that shares the most words with what the reference found, a sentence
 * naming the alert counting two more; else RFC 8446 6's generic decode_error / illegal_parameter sentence; else the
 * section's first MUST about aborting.
 */
export function citation(rule: string, alert: string, detail = ''): Sentence | undefined {
  const index = loadSentenceIndex();
  const m = /^RFC (\d+) ([0-9A-Z.]+)$/.exec(rule);
  if (!m) return undefined;
  const doc = Number(m[1]);
  const section = sentencesOf(doc, m[2], {}, index).filter((s) => s.testable);
  const found = words(detail);
  let best: Sentence | undefined;
  let bestScore = 1;
  for (const s of section) {
    const shared = [...words(s.text)].filter((w) => found.has(w)).length;
    const score = shared + (s.text.includes(`"${alert}"`) ? 2 : 0);
    if (score > bestScore) [best, bestScore] = [s, score];
  }
  if (best) return best;
  // RFC 8446 6 / RFC 5246 7.2.2 define decode_error and illegal_parameter for any message.
  const generic: Record<string, string> = doc === 5246 ? {} : { decode_error: 'rfc8446-6-6', illegal_parameter: 'rfc8446-6-7' };
  if (generic[alert]) return index.sentences.find((s) => s.id === generic[alert]);
  return section.find((s) => s.level === 'must' && /abort|terminate|MUST NOT (send|accept)/.test(s.text)) ?? section.find((s) => s.level === 'must');
}

/**
 * Whether a sentence binds the target in this role as the receiver of what the harness sent: not a rule on the
 * sender only ("Implementations MUST NOT send zero-length fragments"), nor on the other role. A reference that
 * refuses by such a rule is stricter than the RFC asks of the target: a target that goes on is no finding.
 */
export function bindsTarget(s: Sentence, role: 'server' | 'client'): boolean {
  return s.binds !== 'sender' && s.binds !== (role === 'server' ? 'client' : 'server');
}

/** The sentence that makes the faults acceptable when the reference completes the conversation, when one is known. */
export function acceptanceCitation(setting: Setting, faults: readonly Fault[]): Sentence | undefined {
  const tls13 = setting.endsWith('tls13');
  const id = (() => {
    const kinds = new Set(faults.map((f) => f.kind));
    const splits = faults.every((f) => f.kind === 'record' && (f.record.fragment_at !== undefined || (f.record.max_fragment !== undefined && f.record.max_fragment <= 16384) || f.record.coalesce));
    if (splits) return tls13 ? 'rfc8446-5.1-2' : 'rfc5246-6.2.1-1';
    const known = new Set(Object.keys(ExtensionType));
    const unknownExtension = kinds.size === 1 && faults.every((f) => f.kind === 'mutate' && f.ops.every((op) => op.op === 'insert_extension' && typeof op.type === 'number' && !known.has(String(op.type)) && !Object.values(ExtensionType).includes(op.type as never)));
    if (unknownExtension && setting.startsWith('server')) return tls13 ? 'rfc8446-4.1.2-16' : 'rfc5746-3.6-5';
    return undefined;
  })();
  return id ? loadSentenceIndex().sentences.find((s) => s.id === id) : undefined;
}

export interface WrittenFinding {
  /** The RFC sentence the scenario cites. */
  sentence?: Sentence;
  /** The scenario file's text, or undefined when no RFC sentence backs the reference's side (triage by hand). */
  yaml?: string;
  /** The conversation as scenario steps (YAML text), always: for findings.json and triage. */
  steps: string;
  why?: string;
}

/** The finding as a scenario document. */
export function findingToYaml(f: Finding, targetName: string, id: string): WrittenFinding {
  const [role, version] = f.conversation.setting.split('-');
  const ref = f.reference;
  const r = ref.outcome;
  let steps: unknown[];
  let sentence: Sentence | undefined;
  let alert: string | undefined;
  if ((r.kind === 'alert' || r.kind === 'close') && ref.step !== undefined) {
    // The conversation up to where the reference refused it, then its answer.
    steps = f.steps.slice(0, ref.step).map(stepToYaml);
    if (r.kind === 'alert') {
      alert = r.alert;
      sentence = ref.rule ? citation(ref.rule.rule, r.alert, ref.rule.detail) : undefined;
      const strict = sentence !== undefined && sentence.text.includes(`"${r.alert}"`);
      steps.push({ expect: expectationToYaml({ kind: 'alert', alerts: [r.alert], lenient: !strict }) });
    } else {
      steps.push({ expect: 'close' });
    }
  } else if (r.kind === 'completes') {
    steps = f.steps.map(stepToYaml);
    sentence = acceptanceCitation(f.conversation.setting as Setting, f.conversation.faults);
  } else {
    steps = f.steps.map(stepToYaml);
  }
  const stepsText = stringify(steps, { lineWidth: 0 });
  if (!sentence) return { steps: stepsText, why: r.kind === 'completes' ? 'the reference completes it and no RFC sentence is known to allow these faults' : ref.rule ? `no testable sentence of ${ref.rule.rule} to cite` : `the reference ${outcomeLabel(r)} without citing a rule` };
  const faults = f.conversation.faults.map((x) => describeFault(x, f.baseSteps));
  const doc = {
    id,
    title: `${r.kind === 'completes' ? 'The conversation completes' : `The ${role} refuses the conversation${alert ? ` with ${alert}` : ''}`} (fuzz finding against ${targetName}: ${outcomeLabel(f.target.outcome)})`,
    rfc: { doc: sentence.doc, section: sentence.section, quote: sentence.text, level: sentence.level, sentences: [sentence.id] },
    target: role,
    versions: [version],
    tags: ['fuzz', f.kind],
    config: f.config,
    control: false,
    steps,
  };
  const head = [
    '# yaml-language-server: $schema=../harness/scenario/scenario.schema.json',
    `# tls-harness fuzz finding (${f.kind}) against ${targetName}: ${f.signature}`,
    `# seed ${f.seed}, path ${f.path}${f.shrunk ? '' : ' (not shrunk: the run ended first)'}`,
    ...faults.map((d) => `# fault: ${d}`),
    ...(ref.rule ? [`# the reference refuses it: ${ref.rule.rule}, ${ref.rule.detail}`] : []),
    `# the target: ${f.target.result.reason ?? outcomeLabel(f.target.outcome)}`,
  ].join('\n');
  return { yaml: `${head}\n${stringify(doc, { lineWidth: 0 })}`, steps: stepsText, sentence };
}


/**
 * The target's expected failure (its config's `expected_failures`, from the conformance suite's triage) whose
 * reason quotes the sentence the finding cites: the finding is a deviation already known.
 */
export function knownAs(sentence: Sentence | undefined, expected: readonly { id: string; reason: string }[]): string | undefined {
  // RFC 8446 6's decode_error and illegal_parameter sentences are cited for any message: an expected failure that
  // quotes them is about another message, not this finding.
  if (!sentence || sentence.id === 'rfc8446-6-6' || sentence.id === 'rfc8446-6-7') return undefined;
  const quote = normalizeQuote(sentence.text);
  return expected.find((e) => normalizeQuote(e.reason).includes(quote))?.id;
}
