/**
 * Indistinguishability groups: a scenario that declares `indistinguishable: [param, ...]` says its variants
 * (the cases that differ only in those matrix parameters) must look alike to the peer. This is how oracles
 * are tested: a Bleichenbacher/ROBOT oracle (RFC 5246 7.4.7.1) is a server that answers a bad PKCS#1 block
 * differently from a good one, a padding oracle (RFC 5246 6.2.3.2) one that answers a bad CBC padding
 * differently from a bad MAC. After the run, each group's observable outcomes are compared; any difference
 * fails the group. Response times are recorded and shown, never judged (the harness's clock is too coarse,
 * and the machine too shared, for a timing verdict).
 */
import type { ScenarioCase } from '../scenario/model.ts';
import type { CaseResult, GroupResult, TranscriptEntry, Verdict } from './result.ts';

/** What the target observably did in a case. */
export interface CaseOutcome {
  /**
   * What the target sent or did, in order, as `kind name`: `handshake ServerHello`, `alert decrypt_error`
   * (`(warning)` after a warning alert), `change_cipher_spec ChangeCipherSpec`, `record unreadable`,
   * `close eof` or `close reset`. No close: the target did not close while the case was reading (it was
   * silent, or the case ended first); nothing at all is silence.
   */
  received: string[];
  /** TLS records the target sent. */
  records: number;
}

/**
 * The observable outcome of a case: the received entries of its transcript and the records counted. The
 * verdict is not part of it (two variants may both pass and still differ), nor are times.
 */
export function caseOutcome(r: CaseResult): CaseOutcome {
  return { received: r.transcript.filter((e) => e.dir === 'received').map(token), records: r.recordsReceived ?? 0 };
}

function token(e: TranscriptEntry): string {
  const t = kindToken(e);
  return e.repeat ? `${t} x${e.repeat}` : t;
}

function kindToken(e: TranscriptEntry): string {
  switch (e.kind) {
    // The close texts of run-case.ts (closeText): a reset or a failed connection, else a plain close.
    case 'close':
      return /reset|failed/.test(e.name) ? 'close reset' : 'close eof';
    // The reason a record could not be read carries lengths and offsets: the class is what counts.
    case 'record':
      return e.name.startsWith('unreadable') ? 'record unreadable' : `record ${e.name}`;
    case 'alert': {
      const level = (e.detail as { level?: unknown } | undefined)?.level;
      return `alert ${e.name}${level === 'warning' ? ' (warning)' : ''}`;
    }
    default:
      return `${e.kind} ${e.name}`;
  }
}

/** `alert bad_record_mac, close eof (1 record)`, `silence (0 records)`: the form outcomes are compared and shown in. */
export function outcomeText(o: CaseOutcome): string {
  return `${o.received.length ? o.received.join(', ') : 'silence'} (${o.records} record${o.records === 1 ? '' : 's'})`;
}

/** ms from the harness's last send to the target's first reaction after it (or the end of the case). */
export function responseTimeMs(r: CaseResult): number {
  const t = r.transcript;
  let last = t.length - 1;
  while (last >= 0 && t[last].dir !== 'sent') last--;
  const from = last >= 0 ? t[last].t : 0;
  const reaction = t.slice(last + 1).find((e) => e.dir === 'received');
  return Math.max(0, (reaction?.t ?? r.durationMs) - from);
}

/** The parameters a case varies in its group: `padding=bad_mac,length=16`. */
export function variantOf(c: ScenarioCase): string {
  return (c.scenario.indistinguishable ?? []).map((k) => `${k}=${c.params[k]}`).join(',');
}

/** Whether every non-null outcome is the same. */
export function allEqual(outcomes: readonly (string | null)[]): boolean {
  const compared = outcomes.filter((o) => o !== null);
  return compared.every((o) => o === compared[0]);
}

/**
 * The groups of a run: `results[i]` is the result of `cases[i]` (undefined when it did not finish). Cases
 * that skipped or errored are left out of the comparison with a note; a group with cases missing (an
 * interrupted run) is compared on what finished.
 */
export function compareGroups(cases: readonly ScenarioCase[], results: readonly (CaseResult | undefined)[]): GroupResult[] {
  const groups = new Map<string, GroupResult>();
  cases.forEach((c, i) => {
    if (c.group === undefined) return;
    let g = groups.get(c.group);
    if (!g) groups.set(c.group, (g = { id: c.group, scenarioId: c.scenario.id, cases: [], variants: [], outcomes: [], timesMs: [], equal: true, notes: [] }));
    const variant = variantOf(c);
    const r = results[i];
    if (!r) {
      g.notes.push(`${variant}: did not finish (the run was interrupted)`);
      return;
    }
    const compared = r.verdict !== 'skip' && r.verdict !== 'error';
    g.cases.push(r.id);
    g.variants.push(variant);
    g.outcomes.push(compared ? outcomeText(caseOutcome(r)) : null);
    g.timesMs.push(compared ? responseTimeMs(r) : null);
    if (!compared) g.notes.push(`${variant}: left out (${r.verdict}${r.reason ? `: ${r.reason}` : ''})`);
  });
  for (const g of groups.values()) finishGroup(g);
  return [...groups.values()];
}

/** Sets `equal` from the outcomes, with a note when fewer than two variants could be compared. */
export function finishGroup(g: GroupResult): GroupResult {
  g.equal = allEqual(g.outcomes);
  const note = 'fewer than two variants to compare';
  const n = g.outcomes.filter((o) => o !== null).length;
  g.notes = g.notes.filter((x) => x !== note);
  if (n < 2) g.notes.push(note);
  return g;
}

/** One line per variant: `padding=bad_mac: alert bad_record_mac, close eof (1 record), 3 ms`. */
export function groupTable(g: GroupResult): string[] {
  return g.variants.map((v, i) => `${v}: ${g.outcomes[i] ?? 'left out'}${g.timesMs[i] !== null ? `, ${g.timesMs[i]} ms` : ''}`);
}

/** What applyGroups needs of a case: CaseResult and report.json's cases both fit. */
export interface GroupMember {
  id: string;
  verdict: Verdict;
  reason?: string | null;
  expected?: string | null;
  observed?: string | null;
}

/**
 * The verdicts after the comparison: in a group whose variants differ, every case that passed on its own
 * (pass, lenient, advisory) becomes `fail`, the reason naming the group and `observed` holding the table
 * of what each variant got. Fails, skips and errors keep their own verdict and reason.
 */
export function applyGroups<T extends GroupMember>(cases: readonly T[], groups: readonly GroupResult[]): T[] {
  const differing = new Map<string, GroupResult>();
  for (const g of groups) if (!g.equal) for (const id of g.cases) differing.set(id, g);
  return cases.map((c) => {
    const g = differing.get(c.id);
    if (!g || (c.verdict !== 'pass' && c.verdict !== 'lenient' && c.verdict !== 'advisory')) return c;
    // RFC 5246 7.4.7.1: "In any case, a TLS server MUST NOT generate an alert if processing an
    // RSA-encrypted premaster secret message fails, or the version number is not as expected."
    // RFC 5246 6.2.3.2: "The receiver MUST check this padding and MUST use the bad_record_mac alert to
    // indicate padding errors." A variant answered unlike the others is the oracle these rules forbid.
    const alone = c.verdict === 'pass' ? '' : `\nthis case alone: ${c.verdict}${c.reason ? ` (${c.reason})` : ''}`;
    return {
      ...c,
      verdict: 'fail',
      reason: `indistinguishability group ${g.id}: the variants differ`,
      expected: `the same outcome for every variant of ${g.id}`,
      observed: groupTable(g).join('\n') + alone,
    } as T;
  });
}
