/**
 * `tls-harness fuzz --target T [--role server|client] [--version tls13|tls12] [--seconds N | --runs N] [--seed S]
 * [--jobs N] [--corpus DIR] [--out DIR] [--findings N] [--alert-names] [--timeout MS]` (issue 15).
 *
 * Differential fuzzing of a live implementation against the embedded reference (harness/fuzz/fuzz.ts): each
 * finding is shrunk and written as a scenario file (`--out`, default `reports/<run-id>/findings/`), replayable
 * with `tls-harness run --target T --scenarios <file>`; findings.json lists them all, with the seed and path
 * that reproduce each. Progress goes to stderr; Ctrl-C stops the search and keeps what was found (the
 * findings are written as they come). Exit code: 0 no finding, 1 findings, 2 a usage mistake, 130 interrupted.
 */
import { createHash } from 'node:crypto';
import { setMaxListeners } from 'node:events';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from '../cli.ts';
import { ExitCode, UsageError } from '../errors.ts';
import { resolveTarget } from '../targets/config.ts';
import { setServerOutputSettleMs } from '../targets/process.ts';
import { ReferenceTarget } from '../targets/reference.ts';
import type { Target } from '../targets/types.ts';
import { fuzz, type Finding, type FuzzReport, type Progress } from '../fuzz/fuzz.ts';
import { findingToYaml, knownAs } from '../fuzz/finding-yaml.ts';
import { SETTINGS, caseOf, describeFault, type Conversation } from '../fuzz/conversation.ts';
import { outcomeLabel, play } from '../fuzz/outcome.ts';
import { CaptureWriter } from '../report/capture.ts';
import { writeFileAtomic } from '../report/atomic.ts';
import type { Role, VersionName } from '../scenario/model.ts';
import { MAX_JOBS, MAX_TIMEOUT_MS, positiveInt, reportFolder } from './run.ts';

const CMD = 'fuzz';

export const fuzzCommand: Command = {
  name: 'fuzz',
  summary: 'differential fuzzing of a live server or client against the embedded reference; every finding shrunk and written as a replayable scenario',
  usage: 'tls-harness fuzz --target NAME [--role server|client] [--version tls13|tls12] [--seconds N | --runs N] [--seed S] [--jobs N] [--corpus DIR] [--out DIR] [--findings N] [--shrink-seconds N] [--alert-names] [--timeout MS] [--replay PATH] [--pcap]',
  options: {
    target: { type: 'string', description: 'the implementation: a config in implementations/targets/, reference, or tcp://HOST:PORT (server role)' },
    role: { type: 'string', description: 'the role the target plays: server (default when it has one) or client' },
    version: { type: 'string', multiple: true, description: 'tls13 and/or tls12 (default both; repeat or comma-separate)' },
    seconds: { type: 'string', description: 'stop after this long (default 60 when --runs is not given)' },
    runs: { type: 'string', description: 'stop after this many conversations' },
    seed: { type: 'string', description: 'fast-check seed (default: from the clock; printed, with the path of each finding)' },
    jobs: { type: 'string', description: 'conversations in flight at once (default 2)' },
    findings: { type: 'string', description: 'stop after this many distinct findings (default 20)' },
    corpus: { type: 'string', description: 'a folder of interesting conversations: replayed and built on first, new ones added at the end' },
    out: { type: 'string', description: 'where the finding scenarios go (default <report-dir>/<run-id>/findings/)' },
    'alert-names': { type: 'boolean', description: 'count a different alert name as a finding (by default only counted: the RFC often allows either)' },
    timeout: { type: 'string', description: "ms of the target's silence that count as its answer (default 500)" },
    'shrink-seconds': { type: 'string', description: 'how long shrinking one finding may take (default 60; the best so far is kept, marked not shrunk)' },
    replay: { type: 'string', description: "replay one conversation of an earlier search: the path a finding printed, with its seed (and the same --role/--version)" },
    pcap: { type: 'boolean', description: 'replay each finding once more, recorded: <out>/pcap/<finding>.pcapng (decryptable: the key log is in the file) and <out>/keylog.txt' },
    'report-dir': { type: 'string', description: 'where <run-id>/ goes (default reports/)' },
    'run-id': { type: 'string', description: 'name of the run folder (default: a timestamp)' },
  },
  async run(values) {
    const name = values.target as string | undefined;
    if (!name) throw new UsageError(`${CMD}: --target is required (tls-harness targets lists them)`);
    const runs = positiveInt(values.runs, 'runs', 100_000_000, '', CMD);
    const seconds = positiveInt(values.seconds, 'seconds', 7 * 24 * 3600, ' (seconds)', CMD) ?? (runs === undefined ? 60 : undefined);
    const jobs = positiveInt(values.jobs, 'jobs', MAX_JOBS, '', CMD) ?? 2;
    const maxFindings = positiveInt(values.findings, 'findings', 10_000, '', CMD) ?? 20;
    const shrinkSeconds = positiveInt(values['shrink-seconds'], 'shrink-seconds', 24 * 3600, ' (seconds)', CMD) ?? 60;
    const expectTimeoutMs = positiveInt(values.timeout, 'timeout', MAX_TIMEOUT_MS, ' (ms)', CMD) ?? 500;
    const seed = values.seed !== undefined ? (positiveInt(values.seed, 'seed', 2 ** 31 - 1, '', CMD) as number) : Date.now() % 2 ** 31;
    const versions = parseVersions(values.version as string[] | undefined);
    const role = values.role as string | undefined;
    if (role !== undefined && role !== 'server' && role !== 'client') throw new UsageError(`${CMD}: --role: expected server or client, got '${role}'`);
    const corpusDir = values.corpus as string | undefined;
    if (values.replay !== undefined && !/^\d+(:\d+)*$/.test(values.replay as string)) throw new UsageError(`${CMD}: --replay: expected a fast-check path (numbers separated by ':', as a finding prints it), got '${values.replay as string}'`);
    if (values.replay !== undefined && values.seed === undefined) throw new UsageError(`${CMD}: --replay needs the --seed the finding printed`);
    const corpus = corpusDir ? readCorpus(corpusDir) : [];
    const { runId, dir } = reportFolder(values, CMD);
    const out = (values.out as string | undefined) ?? join(dir, 'findings');

    // In memory (no sockets): the ruler plays every conversation, and a reference target too.
    // Conversations are short and many: the wait for a process server's output after each is cut (process.ts).
    setServerOutputSettleMs(10);
    const reference = new ReferenceTarget({ recordErrors: true, inMemory: true });
    const target: Target = name === 'reference' ? new ReferenceTarget({ inMemory: true }) : resolveTarget(name, { instances: jobs });
    const roles = target.capabilities.roles;
    const r: Role = (role as Role | undefined) ?? (roles.includes('server') ? 'server' : 'client');
    if (!roles.includes(r)) throw new UsageError(`${CMD}: target ${name} plays no ${r} role (it plays: ${roles.join(', ') || 'none'})`);
    // A server that takes one connection at a time gets one conversation at a time per instance.
    const inFlight = r === 'server' && !target.capabilities.concurrent ? Math.min(jobs, target.instances ?? 1) : jobs;

    const ac = new AbortController();
    // Each conversation in flight listens on the signal (both sides, their connections).
    setMaxListeners(Math.max(10, 8 * jobs), ac.signal);
    let interrupts = 0;
    const onSigint = () => {
      if (++interrupts > 1) process.exit(130);
      process.stderr.write(`\ntls-harness ${CMD}: interrupted; keeping the findings so far (Ctrl-C again to quit at once)\n`);
      ac.abort();
    };
    process.on('SIGINT', onSigint);
    process.on('SIGTERM', onSigint);
    const tty = process.stderr.isTTY === true;
    let lastLine = 0;
    const showProgress = (p: Progress) => {
      const rate = p.elapsedMs > 0 ? (p.conversations * 1000) / p.elapsedMs : 0;
      const line = `fuzz ${name}: ${p.conversations} conversations (${rate.toFixed(0)}/s), ${p.findings} findings, ${p.rules} reference rules reached, ${p.unplayable} unplayable, ${(p.elapsedMs / 1000).toFixed(0)} s`;
      if (tty) process.stderr.write(`\r${line}\x1b[K`);
      else if (p.elapsedMs - lastLine >= 10_000) {
        lastLine = p.elapsedMs;
        process.stderr.write(`${line}\n`);
      }
    };
    const written: FindingRecord[] = [];
    const found: { f: Finding; id: string }[] = [];
    const ids = new Map<string, number>();
    const slug = name.replace(/^tcp:\/\//, '').replace(/[^a-z0-9]+/gi, '-').toLowerCase();
    const onFinding = (f: Finding) => {
      const id = `fuzz-${slug}-${f.conversation.setting}-${f.kind}-${(ids.get(f.kind) ?? 0) + 1}`;
      ids.set(f.kind, (ids.get(f.kind) ?? 0) + 1);
      const w = findingToYaml(f, name, id);
      const file = w.yaml ? join(out, `${id}.yaml`) : undefined;
      if (file) writeFileAtomic(file, w.yaml!);
      const known = knownAs(w.sentence, target.expectedFailures);
      written.push({ ...record(f, id, file, w.steps, w.why), ...(known ? { known } : {}) });
      found.push({ f, id });
      // Every finding goes to findings.json as it comes: an interrupted run keeps them all.
      writeFileAtomic(join(out, 'findings.json'), `${JSON.stringify({ target: name, role: r, seed, findings: written }, null, 2)}\n`);
      if (tty) process.stderr.write('\r\x1b[K');
      process.stdout.write(`finding ${written.length}: ${f.signature}${known ? ` (known: expected failure ${known} of ${name})` : ''}\n`);
      for (const fault of f.conversation.faults) process.stdout.write(`  fault: ${describeFault(fault, f.baseSteps)}\n`);
      process.stdout.write(`  ${file ? `replay: tls-harness run --target ${name} --scenarios ${file}` : `not written as a scenario: ${w.why}`}\n`);
      if (f.path.startsWith('-')) process.stdout.write(`  from the corpus (${corpusDir}): a conversation of an earlier run\n`);
      else process.stdout.write(`  reproduce: tls-harness fuzz --target ${name} --role ${r} --version ${versions.join(',')} --seed ${f.seed} --replay ${f.path}${f.shrunk ? '' : ' (not shrunk: the run ended first)'}${corpusDir ? ' (with the corpus as it was)' : ''}\n`);
    };

    let report: FuzzReport;
    try {
      try {
        await Promise.all([target.start(ac.signal), reference.start()]);
      } catch (e) {
        if (e instanceof UsageError) throw e;
        throw new UsageError(`${CMD}: target ${name} did not start: ${(e as Error).message.split('\n')[0]}`);
      }
      mkdirSync(out, { recursive: true });
      const budget = values.replay !== undefined ? `replaying path ${values.replay as string}` : runs !== undefined ? `${runs} conversations` : `${seconds} s`;
      process.stderr.write(`tls-harness ${CMD}: ${name} as ${r}, ${versions.join(' + ')}, seed ${seed}, ${budget}, ${inFlight} at a time${corpus.length ? `, ${corpus.length} from the corpus` : ''}\n`);
      report = await fuzz(target, reference, {
        role: r,
        versions,
        seed,
        ...(runs !== undefined ? { runs } : {}),
        ...(seconds !== undefined ? { seconds } : {}),
        jobs: inFlight,
        maxFindings,
        shrinkSeconds,
        expectTimeoutMs,
        alertNames: values['alert-names'] === true,
        corpus,
        signal: ac.signal,
        onProgress: showProgress,
        onFinding,
        ...(values.replay !== undefined ? { replay: values.replay as string } : {}),
        onReplay: (_c, what) => process.stdout.write(`replayed: ${what}\n`),
        onBase: (setting, ok, detail) => {
          if (!ok) process.stderr.write(`tls-harness ${CMD}: ${setting} left out: ${detail}\n`);
          else if (/without close_notify/.test(detail)) process.stderr.write(`tls-harness ${CMD}: ${setting}: ${detail}\n`);
        },
      });
      // --pcap: each finding's conversation once more against the target, recorded (after the search, one at a
      // time, so that it cannot disturb it; after Ctrl-C too: the findings so far are kept, their captures with them).
      if (values.pcap === true && found.length > 0) {
        const cw = new CaptureWriter(out);
        for (const { f, id } of found) {
          const again = await play(target, caseOf(f.scenario, f.steps, id), { timeoutMs: Math.max(5000, 4 * expectTimeoutMs), expectTimeoutMs, capture: cw.capture, keyLog: cw.keyLog });
          const file = cw.write(id);
          const rec = written.find((w) => w.id === id)!;
          if (file) rec.pcap = file;
          const same = outcomeLabel(again.outcome) === outcomeLabel(f.target.outcome);
          if (!same) rec.pcapOutcome = outcomeLabel(again.outcome);
          process.stdout.write(`capture of ${id}: ${file ?? 'no connection was made'}${same ? '' : ` (this time the target: ${outcomeLabel(again.outcome)})`}\n`);
        }
      }
    } catch (e) {
      // A --replay path that names no conversation of this search.
      if (e instanceof RangeError) throw new UsageError(`${CMD}: --replay: ${e.message}`);
      throw e;
    } finally {
      process.off('SIGINT', onSigint);
      process.off('SIGTERM', onSigint);
      await Promise.allSettled([target.stop(), reference.stop()]);
    }
    if (tty) process.stderr.write('\r\x1b[K');
    if (report.bases.length === 0 && !report.interrupted) {
      process.stderr.write(`tls-harness ${CMD}: no base conversation completes against ${name}: nothing to fuzz (see the lines above)\n`);
      return ExitCode.failures;
    }
    if (corpusDir) writeCorpus(corpusDir, report.interesting);
    writeFileAtomic(join(out, 'findings.json'), `${JSON.stringify({ target: name, role: r, seed, findings: written, summary: summary(report) }, null, 2)}\n`);
    const s = report.elapsedMs / 1000;
    process.stdout.write(
      `fuzz ${runId}: ${report.conversations} conversations in ${s.toFixed(1)} s (${(report.conversations / Math.max(s, 0.001)).toFixed(0)}/s), ` +
        `${report.findings.length} findings (${written.filter((w) => w.file).length} written as scenarios), ${report.rules} reference rules reached, ` +
        `${report.unplayable} unplayable, ${report.unstable} unstable differences left out, ${[...report.differences.values()].reduce((a, b) => a + b, 0)} differences that are not findings${report.interrupted ? ' (interrupted)' : ''}\n`,
    );
    if (report.differences.size > 0) {
      process.stdout.write(`differences that are not findings (alert-name: another alert, --alert-names makes them findings; stricter: the reference refused by a rule that binds the sender or the other role):\n`);
      for (const [sig, n] of [...report.differences.entries()].sort((a, b) => b[1] - a[1]).slice(0, 12)) process.stdout.write(`  ${n} x ${sig}\n`);
    }
    process.stdout.write(`findings: ${out}\n`);
    // Like run: an interrupted search exits 130 (its findings are written).
    if (report.interrupted) return 130;
    return report.findings.length > 0 ? ExitCode.failures : ExitCode.ok;
  },
};

interface FindingRecord {
  id: string;
  kind: string;
  setting: string;
  signature: string;
  faults: string[];
  reference: { outcome: string; rule?: string; detail?: string };
  target: { outcome: string; reason?: string };
  seed: number;
  path: string;
  shrunk: boolean;
  file?: string;
  notWritten?: string;
  /** An expected failure of the target whose reason quotes the same RFC sentence: a known deviation. */
  known?: string;
  /** --pcap: the recorded replay of the finding, and the target's outcome in it when it was not the finding's. */
  pcap?: string;
  pcapOutcome?: string;
  conversation: Conversation;
  steps: string;
}

function record(f: Finding, id: string, file: string | undefined, steps: string, why?: string): FindingRecord {
  return {
    id,
    kind: f.kind,
    setting: f.conversation.setting,
    signature: f.signature,
    faults: f.conversation.faults.map((x) => describeFault(x, f.baseSteps)),
    reference: { outcome: outcomeLabel(f.reference.outcome), ...(f.reference.rule ? { rule: f.reference.rule.rule, detail: f.reference.rule.detail } : {}) },
    target: { outcome: outcomeLabel(f.target.outcome), ...(f.target.result.reason ? { reason: f.target.result.reason } : {}) },
    seed: f.seed,
    path: f.path,
    shrunk: f.shrunk,
    ...(file ? { file } : { notWritten: why }),
    conversation: f.conversation,
    steps,
  };
}

function summary(r: FuzzReport) {
  return {
    conversations: r.conversations,
    elapsedMs: r.elapsedMs,
    findings: r.findings.length,
    rules: r.rules,
    unplayable: r.unplayable,
    unstable: r.unstable,
    interrupted: r.interrupted,
    bases: r.bases.map((b) => b.setting),
    differences: Object.fromEntries(r.differences),
    // What the harness could not play or follow, most frequent first, each with its first conversation.
    unplayableReasons: [...r.unplayableReasons.entries()].sort((a, b) => b[1] - a[1]).map(([reason, count]) => ({ reason, count, example: r.unplayableExamples.get(reason) })),
  };
}

function parseVersions(v: string[] | undefined): VersionName[] {
  if (!v || v.length === 0) return ['tls13', 'tls12'];
  const out = new Set<VersionName>();
  for (const x of v.flatMap((s) => s.split(',')).map((s) => s.trim())) {
    if (x !== 'tls13' && x !== 'tls12') throw new UsageError(`${CMD}: --version: expected tls13 or tls12, got '${x}'`);
    out.add(x);
  }
  return [...out];
}

/** The corpus folder's conversations (*.json, each a Conversation); a file that is not one is a usage error. */
export function readCorpus(dir: string): Conversation[] {
  if (!existsSync(dir)) return [];
  if (!statSync(dir).isDirectory()) throw new UsageError(`${CMD}: --corpus ${dir}: not a folder`);
  const out: Conversation[] = [];
  for (const f of readdirSync(dir).filter((x) => x.endsWith('.json')).sort()) {
    const path = join(dir, f);
    let c: unknown;
    try {
      c = JSON.parse(readFileSync(path, 'utf8'));
    } catch (e) {
      throw new UsageError(`${path}:1:1: not JSON: ${(e as Error).message}`);
    }
    const ok = typeof c === 'object' && c !== null && SETTINGS.includes((c as Conversation).setting) && Array.isArray((c as Conversation).faults) && (c as Conversation).faults.every((x) => typeof x === 'object' && x !== null && typeof x.kind === 'string' && Number.isInteger(x.step));
    if (!ok) throw new UsageError(`${path}:1:1: not a fuzz conversation ({ setting: ${SETTINGS.join('|')}, faults: [...] })`);
    out.push(c as Conversation);
  }
  return out;
}

/** Adds the run's interesting conversations to the corpus folder (one file each, named by content). */
export function writeCorpus(dir: string, conversations: readonly Conversation[]): number {
  let added = 0;
  for (const c of conversations) {
    const text = `${JSON.stringify(c)}\n`;
    const path = join(dir, `${createHash('sha256').update(text).digest('hex').slice(0, 16)}.json`);
    if (existsSync(path)) continue;
    writeFileAtomic(path, text);
    added++;
  }
  return added;
}
