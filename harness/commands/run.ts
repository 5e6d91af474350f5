/**
 * `tls-harness run`: the main job. Loads scenarios, expands them into cases, runs them against a target
 * (the embedded reference by default), and writes reports/<run-id>/ (report.json, junit.xml, summary.md,
 * run.log). Exit codes: 0 everything as expected; 1 unexpected results (a failure or error not listed as
 * expected, an expected failure that passed, a regression against --baseline); 2 usage or configuration
 * errors; 130 interrupted (Ctrl-C), after writing the report of the cases that finished.
 */
import { existsSync, rmSync } from 'node:fs';
import { join, relative } from 'node:path';
import type { Command } from '../cli.ts';
import { ExitCode, UsageError } from '../errors.ts';
import { fromRoot } from '../paths.ts';
import { ScenarioError, expandAll, loadScenariosOrThrow, formatDiagnostic } from '../scenario/loader.ts';
import { checkFieldPaths } from '../engine/check-fields.ts';
import { selectCases } from './list.ts';
import { defaultTrust, loadTrustRoots, resolveTarget, withTargetSettings } from '../targets/config.ts';
import { TcpTarget } from '../targets/tcp.ts';
import { parsePortRange } from '../targets/processes.ts';
import { setPortRange } from '../../implementations/reference/connection/ports.ts';
import { formatProbe, probeTarget, type ProbeReport, type TrustReport } from '../targets/probe.ts';
import { chainErrorCase, hasCapabilityFlags, overrideCapabilities, parseCapabilityFlags, restrictCapabilities } from '../targets/settings.ts';
import type { Target } from '../targets/types.ts';
import { runAll, isUnexpected, summarize } from '../engine/run-all.ts';
import type { CaseResult, GroupResult, RunCapabilities, RunResult } from '../engine/result.ts';
import { groupTable } from '../engine/indist.ts';
import type { ScenarioCase } from '../scenario/model.ts';
import { createReportWriter, createRunLogger, compareToBaseline, describeComparison, readReport } from '../report/index.ts';
import { ControlCache } from '../engine/controls.ts';
import { DirError, ensureWritableDir } from '../report/atomic.ts';
import { applyCryptoOption, cryptoOption } from './crypto-option.ts';
import { CaptureWriter } from '../report/capture.ts';
import { appendStepSummary } from '../report/step-summary.ts';
import { comparisonMarkdown } from '../report/baseline.ts';

const DEFAULT_SCENARIOS = fromRoot('scenarios/');
const DEFAULT_REPORTS = fromRoot('reports/');

/** A whole number from 1 to `max` (digits only: not -5, 1.5, 1e3 or 0x10), or a UsageError saying so. */
/** An optional positive integer flag; `cmd` names the command in the error (`matrix: --jobs: ...`). */
export function positiveInt(v: unknown, flag: string, max: number, unit = '', cmd?: string): number | undefined {
  if (v === undefined) return undefined;
  const n = /^\d+$/.test(String(v)) ? Number(v) : NaN;
  if (!Number.isSafeInteger(n) || n < 1 || n > max) throw new UsageError(`${cmd ? `${cmd}: ` : ''}--${flag}: expected a positive integer${unit} from 1 to ${max}, got '${String(v)}'`);
  return n;
}

/** Longest case time limit: an hour (and below setTimeout's 2^31 ms, past which timers fire at once). */
export const MAX_TIMEOUT_MS = 3_600_000;
export const MAX_JOBS = 256;

export function parseShard(v: string | undefined): { index: number; count: number } | undefined {
  if (v === undefined) return undefined;
  const m = /^(\d+)\/(\d+)$/.exec(v);
  const index = m ? Number(m[1]) : NaN;
  const count = m ? Number(m[2]) : NaN;
  if (!m || count < 1 || index < 1 || index > count) throw new UsageError(`--shard: expected I/N with 1 <= I <= N, got '${v}'`);
  return { index, count };
}

/**
 * Shard I of N: every N-th case in id order, starting at the I-th; the cases of an indistinguishability
 * group count as one and stay together (they are compared with each other after the run).
 */
export function shardCases(cases: ScenarioCase[], shard: { index: number; count: number } | undefined): ScenarioCase[] {
  if (!shard) return cases;
  const units = new Map<string, ScenarioCase[]>();
  for (const c of cases) {
    const key = c.group ?? c.id;
    units.set(key, [...(units.get(key) ?? []), c]);
  }
  const keys = [...units.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return keys.filter((_, i) => i % shard.count === shard.index - 1).flatMap((k) => units.get(k)!);
}

/**
 * `--run-id` (default a timestamp) and `--report-dir` (default reports/): the run's folder. Checked before
 * anything runs: a bad id, or a report folder that cannot be written, is a usage error, not a crash at the
 * end. `cmd` names the command in the errors (`matrix: --run-id: ...`).
 */
export function reportFolder(values: Record<string, unknown>, cmd?: string): { runId: string; base: string; dir: string } {
  const pre = cmd ? `${cmd}: ` : '';
  const runId = (values['run-id'] as string | undefined) ?? makeRunId();
  if (!/^[A-Za-z0-9._-]+$/.test(runId)) throw new UsageError(`${pre}--run-id: use letters, digits, '.', '_' and '-' only`);
  const base = (values['report-dir'] as string | undefined) ?? DEFAULT_REPORTS;
  try {
    ensureWritableDir(base);
  } catch (e) {
    if (e instanceof DirError) throw new UsageError(`${pre}--report-dir ${base}: ${e.about(base)}`);
    throw e;
  }
  return { runId, base, dir: join(base, runId) };
}

/** The command line as parsed (report.json `command`): `tls-harness <cmd>`, then each option given, in order. */
export function commandLine(cmd: string, values: Record<string, unknown>): string[] {
  const out = ['tls-harness', cmd];
  for (const [k, v] of Object.entries(values)) {
    for (const x of Array.isArray(v) ? v : [v]) {
      if (x === true) out.push(`--${k}`);
      else if (typeof x === 'string') out.push(`--${k}`, x);
    }
  }
  return out;
}

/** The capabilities the cases run with, as report.json records them. */
function runCapabilities(c: Target['capabilities']): RunCapabilities {
  return {
    roles: c.roles,
    versions: c.versions,
    cipher_suites: c.cipher_suites,
    groups: c.groups,
    signature_schemes: c.signature_schemes,
    features: c.features,
    ...(c.alpn ? { alpn: c.alpn } : {}),
    ...(c.client ? { client: c.client } : {}),
  };
}

export function makeRunId(now = new Date()): string {
  const iso = now.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
  return `${iso}-${process.pid}`;
}

const WORD: Record<CaseResult['verdict'], string> = { pass: 'PASS', lenient: 'LENIENT', advisory: 'ADVISORY', fail: 'FAIL', error: 'ERROR', skip: 'SKIP' };

/** The progress output: a redrawn bar on a terminal, one line per case otherwise. */
class Progress {
  private readonly tty = process.stderr.isTTY === true;
  private counts = { pass: 0, lenient: 0, advisory: 0, fail: 0, error: 0, skip: 0 };
  private running = new Set<string>();

  start(id: string): void {
    this.running.add(id);
    if (this.tty) this.draw(0, 0);
  }

  done(r: CaseResult, done: number, total: number): void {
    this.running.delete(r.id);
    this.counts[r.verdict]++;
    const xf = r.expectedFailure !== undefined ? (isUnexpected(r) ? ' (expected to fail, but passed)' : ' (expected failure)') : '';
    const line = `${WORD[r.verdict].padEnd(7)} ${r.id} (${r.durationMs} ms)${xf}${r.reason && r.verdict !== 'pass' ? `: ${r.reason.split('\n')[0]}` : ''}`;
    if (this.tty) {
      process.stderr.write(`\r\x1b[2K`);
      if (r.verdict !== 'pass' && r.verdict !== 'skip') process.stderr.write(line + '\n');
      this.draw(done, total);
    } else process.stdout.write(line + '\n');
  }

  private draw(done: number, total: number): void {
    const width = 30;
    const filled = total ? Math.round((done / total) * width) : 0;
    const c = this.counts;
    process.stderr.write(
      `\r\x1b[2K[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${done}/${total}  pass ${c.pass}  lenient ${c.lenient}  advisory ${c.advisory}  fail ${c.fail}  error ${c.error}  skip ${c.skip}`,
    );
  }

  end(): void {
    if (this.tty) process.stderr.write('\r\x1b[2K');
  }
}

export const runCommand: Command = {
  name: 'run',
  summary: 'run the conformance scenarios against a target (the embedded reference by default) and write reports',
  usage:
    'tls-harness run [--target NAME|tcp://HOST:PORT] [--ca FILE] [--no-verify-chain] [--probe|--no-probe] [--versions L] [--cipher-suites L] [--groups L] [--signature-schemes L] [--features L] [--alpn L] [--scenarios GLOB ...] [--tag T ...] [--grep RE] [--jobs N] [--ports A-B] [--shard I/N] [--baseline report.json] [--timeout MS] [--strict] [--no-controls] [--report-dir DIR] [--log-level LEVEL] [--crypto noble|node]',
  options: {
    crypto: cryptoOption,
    target: { type: 'string', description: 'reference (default), a config in implementations/targets/ (tls-harness targets lists them), a .yaml path, or tcp://HOST:PORT' },
    ca: { type: 'string', description: "PEM file of the CA(s) to trust the target's certificate chain against (default: the test CA)" },
    'no-verify-chain': { type: 'boolean', description: "do not validate the target's chain (CertificateVerify and Finished are still checked)" },
    probe: { type: 'boolean', description: 'probe the target (server role) for its capabilities first (default for tcp:// targets)' },
    'no-probe': { type: 'boolean', description: 'do not probe: capabilities from the flags below (tcp://: everything the harness can name otherwise)' },
    versions: { type: 'string', multiple: true, description: 'tls13,tls12: without probing the versions the target has; with probing, only these' },
    'cipher-suites': { type: 'string', multiple: true, description: 'IANA names, comma-separated (replace, or with probing restrict, the list)' },
    groups: { type: 'string', multiple: true, description: 'x25519,secp256r1,... (replace, or with probing restrict, the list)' },
    'signature-schemes': { type: 'string', multiple: true, description: 'ecdsa_secp256r1_sha256,rsa_pss_rsae_sha256,... (replace, or with probing restrict)' },
    features: { type: 'string', multiple: true, description: 'hello_retry_request,psk,early_data,client_auth,key_update,alpn,record_size_limit,middlebox_compat,sni,renegotiation,encrypt_then_mac,session_id_resumption,session_ticket' },
    alpn: { type: 'string', multiple: true, description: "ALPN protocols the target selects (e.g. http/1.1,h2; '' for none)" },
    scenarios: { type: 'string', multiple: true, description: 'scenario files, directories or globs (default: scenarios/)' },
    tag: { type: 'string', multiple: true, description: 'only cases with this tag (repeat: all of them)' },
    grep: { type: 'string', description: 'only cases whose id or title matches this regular expression' },
    jobs: { type: 'string', short: 'j', description: 'cases run at once, where the target allows it (default 4); with tcp://, the server takes that many connections at once' },
    ports: { type: 'string', description: 'ports the run listens on and gives process targets for {port}: a range, e.g. 20000-20999 (default 20000-32767)' },
    shard: { type: 'string', description: 'run shard I of N (I/N) of the cases, for splitting a run over CI jobs' },
    baseline: { type: 'string', description: 'a previous report.json: regressions against it fail the run' },
    timeout: { type: 'string', description: 'time limit per case in ms (default 10000)' },
    'no-controls': { type: 'boolean', description: 'do not run the positive controls (the unmutated handshake before negative cases)' },
    pcap: { type: 'boolean', description: "write each case's conversation as reports/<run-id>/pcap/<case>.pcapng (decryptable: the key log is in the file) and keylog.txt" },
    'report-dir': { type: 'string', description: 'where reports/<run-id>/ goes (default reports/)' },
    'run-id': { type: 'string', description: 'name of the report folder (default: a timestamp)' },
    'log-level': { type: 'string', description: 'run.log level: fatal, error, warn, info (default), debug, trace, silent' },
    strict: { type: 'boolean', description: 'lenient and advisory outcomes fail the run (a different alert, a plain close, a SHOULD or MAY not followed)' },
  },
  async run(values) {
    applyCryptoOption('run', values.crypto);
    const jobs = positiveInt(values.jobs, 'jobs', MAX_JOBS) ?? 4;
    const ports = typeof values.ports === 'string' ? parsePortRange(values.ports, '--ports') : undefined;
    // A tcp:// server: --jobs says how many connections it takes at once; without it, the probe finds out.
    const tcpUrl = String(values.target ?? '').trim().toLowerCase().startsWith('tcp://');
    const timeoutMs = positiveInt(values.timeout, 'timeout', MAX_TIMEOUT_MS, ' (milliseconds)') ?? 10_000;
    const shard = parseShard(values.shard as string | undefined);
    let grep: RegExp | undefined;
    if (typeof values.grep === 'string') {
      try {
        grep = new RegExp(values.grep, 'i');
      } catch (e) {
        throw new UsageError(`--grep: ${(e as Error).message}`);
      }
    }
    const baseline = typeof values.baseline === 'string' ? readReport(values.baseline) : undefined;
    const { runId, dir: reportDir } = reportFolder(values);
    const reportDirExisted = existsSync(reportDir);

    // How the target is described: capabilities by hand, probing, trust.
    const flags = parseCapabilityFlags(values);
    if (values.probe && values['no-probe']) throw new UsageError('run: --probe and --no-probe contradict each other');
    const caFile = values.ca as string | undefined;
    if (caFile !== undefined && values['no-verify-chain']) throw new UsageError('run: --ca and --no-verify-chain contradict each other: trust a CA, or do not validate the chain');
    const trustOver = caFile !== undefined ? { roots: loadTrustRoots(caFile, 'run: --ca'), source: caFile, verify: true } : values['no-verify-chain'] ? { verify: false } : undefined;

    const loaded = loadScenariosOrThrow((values.scenarios as string[] | undefined) ?? [DEFAULT_SCENARIOS], { traceability: true });
    // RFC traceability errors (a sentence id not in the index, a quote that is not the cited sentence) stop
    // the run like any scenario error; its warnings are for the suite's maintainers: `tls-harness validate`.
    for (const d of loaded.diagnostics) if (d.kind !== 'traceability') process.stderr.write(`tls-harness: ${formatDiagnostic(d)}\n`);
    const cases = shardCases(selectCases(expandAll(loaded.scenarios), (values.tag as string[] | undefined) ?? [], grep), shard);
    if (cases.length === 0) throw new UsageError(`--shard ${values.shard as string}: this shard has no case (there are fewer cases than shards)`);
    // A field that does not exist in a `set` is a user mistake: one line and exit 2, before anything runs.
    const bad = checkFieldPaths(cases);
    if (bad.length > 0) throw new ScenarioError(bad);

    let target: Target = resolveTarget((values.target as string | undefined) ?? 'reference', {
      probe: values['no-probe'] ? false : values.probe ? true : undefined,
      trust: trustOver,
      ...(ports ? { ports } : {}),
      ...(tcpUrl && values.jobs !== undefined ? { concurrent: jobs > 1 } : {}),
      // A process server that takes one connection at a time, with server.pool: true: --jobs instances of it.
      ...(tcpUrl ? {} : { instances: jobs }),
    });
    setPortRange(ports);
    if (!target.probe && hasCapabilityFlags(flags)) target = withTargetSettings(target, { capabilities: overrideCapabilities(target.capabilities, flags) });
    const log = createRunLogger(reportDir, (values['log-level'] as string | undefined) ?? 'info', { runId, target: target.name });
    const writer = createReportWriter(reportDir, { minIntervalMs: 1000 });
    const ac = new AbortController();
    const finished: CaseResult[] = [];
    const startedAt = new Date().toISOString();
    // Positive controls: one unmutated handshake per configuration, before the cases that need it.
    const controls = values['no-controls'] ? undefined : new ControlCache();
    let probeReport: ProbeReport | undefined;
    let trustReport: TrustReport | undefined;
    let groups: GroupResult[] | undefined;
    const snapshot = (interrupted: boolean): RunResult => ({
      runId,
      target: target.name,
      startedAt,
      finishedAt: new Date().toISOString(),
      interrupted,
      summary: summarize(finished),
      cases: [...finished].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)),
      ...(controls ? { controls: controls.results() } : {}),
      ...(groups ? { groups } : {}),
      ...(probeReport ? { probe: probeReport } : {}),
      ...(trustReport ? { trust: trustReport } : {}),
      command: commandLine('run', values),
      capabilities: runCapabilities(target.capabilities),
    });
    let interrupts = 0;
    const onSigint = () => {
      interrupts++;
      if (interrupts > 1) {
        // A second Ctrl-C: write what finished and leave at once.
        const w = writer.flush(snapshot(true));
        appendStepSummary(w.summary, { whole: w.markdown });
        log.close();
        process.exit(130);
      }
      process.stderr.write('\ntls-harness: interrupted; finishing the report (Ctrl-C again to quit at once)\n');
      ac.abort();
    };
    process.on('SIGINT', onSigint);
    process.on('SIGTERM', onSigint);
    const progress = new Progress();
    log.logger.info({ cases: cases.length, jobs, timeoutMs, scenarios: loaded.files.length }, 'run start');
    let result: RunResult;
    try {
      try {
        await target.start(ac.signal);
      } catch (e) {
        if (e instanceof UsageError) throw e;
        const msg = (e as Error).message.split('\n')[0];
        // A server that resets the check's connection is listening: the cases say what it does ("the target
        // reset the connection"), the same on every run, with a report.
        const listening = (target as Target) instanceof TcpTarget && /\bECONNRESET\b/.test(msg);
        if (!listening) throw new UsageError(`target ${target.name} did not start: ${msg}`);
      }
      const trust = target.trust ?? defaultTrust();
      const trustSource = trust.source ?? 'the test CA';
      if (target.trust) trustReport = { ca: trustSource, verifyChain: trust.verify, ...(trust.verify ? {} : { reason: 'chain validation is off (--no-verify-chain or trust.verify_chain: false)' }) };
      if (!trust.verify) process.stderr.write(`tls-harness: the target's certificate chain is not validated (${caFile === undefined && values['no-verify-chain'] ? '--no-verify-chain' : 'trust.verify_chain: false'}); CertificateVerify and Finished still are\n`);
      let pr: Awaited<ReturnType<typeof probeTarget>> | undefined;
      let probeFailed = false;
      if (target.probe) {
        pr = await probeTarget(target, {
          trust,
          timeoutMs: Math.min(5000, timeoutMs),
          signal: ac.signal,
          concurrency: target.capabilities.concurrent || target instanceof TcpTarget ? 4 : 1,
          checkConcurrency: tcpUrl && values.jobs === undefined,
        });
        probeReport = pr.report;
        process.stderr.write(formatProbe(target.name, pr.report, { source: trustSource, verify: trust.verify }) + '\n');
        log.logger.info({ probe: pr.report }, 'probe');
        const crash = target.takeCrash?.();
        if (crash) process.stderr.write(`tls-harness: the target crashed while it was probed: ${crash}\n`);
        // Interrupted while probing: runAll sees the aborted signal and reports an interrupted, empty run.
        // A target that is there (it started, or its port answered) but completes no handshake at all (it resets,
        // sends garbage, stays silent) is what the cases are for: they run with the stated capabilities (as with
        // --no-probe) and say what it does, the same on every run, with a report.
        probeFailed = !ac.signal.aborted && pr.report.capabilities.versions.length === 0;
        if (probeFailed) {
          process.stderr.write(
            `tls-harness: target ${target.name}: no probe handshake completed (${pr.report.notes.join('; ')}); running the cases with the stated capabilities (--versions, --cipher-suites, ...; defaults otherwise)\n`,
          );
          log.logger.warn({ notes: pr.report.notes }, 'no probe handshake completed');
          // Whether it takes several connections at once is unknown, and nothing to protect: it completes no
          // handshake. The cases run --jobs at once, so a silent server costs (cases x timeout / jobs).
          if (tcpUrl && values.jobs === undefined) target = withTargetSettings(target, { capabilities: { ...target.capabilities, concurrent: true } });
        }
      }
      if (pr && !probeFailed) {
        const { capabilities, notFound } = restrictCapabilities(pr.capabilities, flags);
        if (notFound.length) process.stderr.write(`tls-harness: not found by the probe, so left out (use --no-probe to claim them): ${notFound.join(', ')}\n`);
        let runTrust = target.trust;
        if (!pr.chainOk && !ac.signal.aborted) {
          // One setup error for the run, not a failure in every case; the rest runs without chain validation.
          const setup = chainErrorCase(target.name, pr.report, trustSource);
          if (!shard || shard.index === 1) {
            finished.push(setup);
            writer.add(setup);
            log.logCase(setup);
            progress.done(setup, 0, cases.length);
          }
          runTrust = { ...trust, verify: false };
          trustReport = { ca: trustSource, verifyChain: false, reason: `the chain did not validate (${setup.id})` };
          process.stderr.write(`tls-harness: running the cases with chain validation off; see ${setup.id}\n`);
        }
        target = withTargetSettings(target, { capabilities, ...(runTrust ? { trust: runTrust } : {}) });
      }
      if (!target.capabilities.concurrent && jobs > 1 && (target.instances ?? 1) < 2)
        process.stderr.write(`tls-harness: target ${target.name} takes one connection at a time: running cases one by one${tcpUrl ? ' (--jobs N: N connections at once)' : ''}\n`);
      const pcap = values.pcap === true ? new CaptureWriter(reportDir) : undefined;
      result = await runAll(cases, target, {
        ...(pcap ? { capture: pcap.capture, keyLog: pcap.keyLog } : {}),
        jobs,
        runId,
        strict: values.strict === true,
        timeoutMs,
        expectTimeoutMs: Math.min(3000, timeoutMs),
        signal: ac.signal,
        controls: controls ?? false,
        onStart: (c) => progress.start(c.id),
        onCase: (r, done, total) => {
          pcap?.write(r.id);
          finished.push(r);
          progress.done(r, done, total);
          log.logCase(r);
          // The case goes to the journal at once; the complete reports are rewritten now and then (write.ts).
          writer.add(r);
          writer.update(() => snapshot(false));
        },
      });
      // A crash while no case was running (between cases) belongs to none: said once here.
      const loose = target.takeCrash?.();
      if (loose) {
        process.stderr.write(`tls-harness: the target crashed between cases: ${loose}\n`);
        log.logger.warn({ crash: loose }, 'target crashed between cases');
      }
    } catch (e) {
      // A setup error before any case finished (the target cannot be reached or started, nothing answered
      // the probe): one line and exit code 2, and no report folder holding only run.log.
      if (e instanceof UsageError && finished.length === 0) {
        log.close();
        if (!reportDirExisted) rmSync(reportDir, { recursive: true, force: true });
      }
      throw e;
    } finally {
      progress.end();
      setPortRange(undefined);
      await target.stop().catch(() => undefined);
      process.off('SIGINT', onSigint);
      process.off('SIGTERM', onSigint);
    }
    // The groups were compared once every case finished: a group that differs changed verdicts (runAll's cases).
    const judged = new Map(result.cases.map((c) => [c.id, c]));
    finished.splice(0, finished.length, ...finished.map((c) => judged.get(c.id) ?? c));
    groups = result.groups;
    for (const g of groups ?? []) log.logger[g.equal ? 'info' : 'warn']({ group: g.id, equal: g.equal, cases: g.cases, outcomes: g.outcomes, timesMs: g.timesMs, notes: g.notes }, 'group');
    const final = { ...snapshot(result.interrupted), startedAt: result.startedAt, finishedAt: result.finishedAt };
    const written = writer.flush(final);
    const s = final.summary;
    const unexpected = final.cases.filter(isUnexpected);
    let regressions = 0;
    let baselineLine = '';
    let baselineMd = '';
    if (baseline) {
      const cmp = compareToBaseline(final, baseline);
      regressions = cmp.regressions.length;
      baselineLine = `\n${describeComparison(cmp)}${cmp.regressions.map((r) => `\n  REGRESSION ${r.id}: ${r.was} -> ${r.now}`).join('')}`;
      baselineMd = '\n' + comparisonMarkdown(cmp, values.baseline as string);
    }
    // In a GitHub Actions job: the summary (and the comparison) on the run's page.
    appendStepSummary(written.summary + baselineMd, { whole: written.markdown });
    log.logger.info({ summary: s, regressions }, 'run end');
    log.close();
    const ctl = final.controls;
    const failedControls = ctl?.filter((c) => c.verdict !== 'pass') ?? [];
    const controlLine = ctl?.length
      ? `\ncontrols: ${ctl.length - failedControls.length} of ${ctl.length} unmutated handshakes completed` +
        failedControls
          .slice(0, 5)
          .map((c) => `\n  CONTROL ${c.verdict.toUpperCase()} ${c.key}: ${c.reason} (${c.cases.length} case${c.cases.length === 1 ? '' : 's'} ${c.verdict === 'fail' ? 'skipped' : 'in error'})`)
          .join('') +
        (failedControls.length > 5 ? `\n  ... ${failedControls.length - 5} more (report.json: controls)` : '')
      : '';
    const differing = groups?.filter((g) => !g.equal) ?? [];
    const groupLine = groups?.length
      ? `\ngroups: ${groups.length - differing.length} of ${groups.length} indistinguishability groups equal` +
        differing
          .slice(0, 5)
          .map((g) => `\n  GROUP DIFFERS ${g.id}:${groupTable(g).map((l) => `\n    ${l}`).join('')}`)
          .join('') +
        (differing.length > 5 ? `\n  ... ${differing.length - 5} more (report.json: groups)` : '')
      : '';
    process.stdout.write(
      `\n${s.total} cases against ${target.name}: ${s.passed} passed, ${s.lenient} lenient, ${s.advisory} advisory, ${s.failed} failed, ${s.errors} errors, ${s.skipped} skipped` +
        (s.expectedFailures ? ` (${s.expectedFailures} expected failures)` : '') +
        (s.unexpectedPasses ? ` (${s.unexpectedPasses} expected failures passed)` : '') +
        controlLine +
        groupLine +
        baselineLine +
        `\nreports: ${relative(process.cwd(), written.json).replace(/report\.json$/, '') || '.'}\n`,
    );
    if (final.interrupted) return 130;
    return unexpected.length > 0 || regressions > 0 ? ExitCode.failures : ExitCode.ok;
  },
};
