/**
 * examples/github-actions/tls-harness.yml: its structure (the jobs, what the merge job needs, shards 1..N
 * matching the `/N` of `run --shard` and the reports the merge reads), and its tls-harness steps executed
 * here as GitHub would run them (bash, the workflow's env), against the embedded reference instead of the
 * service the job starts, in a temp dir: each shard, the artifacts as upload/download would lay them out,
 * the merge without a baseline, with one (it passes), and with a regression (it fails).
 */
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const WORKFLOW = join(ROOT, 'examples/github-actions/tls-harness.yml');
const BIN = join(ROOT, 'bin/tls-harness.js');

interface Step {
  name?: string;
  uses?: string;
  run?: string;
  if?: string;
  with?: Record<string, unknown>;
  env?: Record<string, string>;
  shell?: string;
}
interface Job {
  name?: string;
  needs?: string | string[];
  'runs-on': string;
  strategy?: { matrix?: Record<string, unknown[]>; 'fail-fast'?: boolean };
  env?: Record<string, string>;
  steps: Step[];
}
interface Workflow {
  name: string;
  on: unknown;
  env?: Record<string, string>;
  defaults?: { run?: { shell?: string } };
  jobs: Record<string, Job>;
}

const wf = parse(readFileSync(WORKFLOW, 'utf8')) as Workflow;
const jobs = Object.entries(wf.jobs);
const shardJob = jobs.find(([, j]) => j.strategy?.matrix?.shard)!;
const mergeJob = jobs.find(([, j]) => j.steps.some((s) => /tls-harness merge /.test(s.run ?? '')))!;
const runStep = shardJob?.[1].steps.find((s) => /tls-harness run /.test(s.run ?? ''));
const mergeStep = mergeJob?.[1].steps.find((s) => /tls-harness merge /.test(s.run ?? ''));
const SHARDS = Number(/--shard \$\{\{ matrix\.shard \}\}\/(\d+)/.exec(runStep?.run ?? '')?.[1]);

/** Replaces `${{ matrix.X }}` (and nothing else is allowed to remain). */
function substitute(text: string, matrix: Record<string, string | number>): string {
  const out = text.replace(/\$\{\{\s*matrix\.(\w+)\s*\}\}/g, (_, k: string) => String(matrix[k]));
  expect(out, 'an expression the test does not substitute').not.toMatch(/\$\{\{/);
  return out;
}

describe('examples/github-actions/tls-harness.yml: structure', () => {
  it('the README shows the whole file, as it is', () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const shown = /<summary>The whole workflow \(<code>examples\/github-actions\/tls-harness\.yml<\/code>\)<\/summary>\n\n```yaml\n([\s\S]*?)```\n/.exec(readme)?.[1];
    expect(shown).toBe(readFileSync(WORKFLOW, 'utf8'));
  });

  it('a sharded run job and a merge job that needs it', () => {
    expect(wf.name).toBeTruthy();
    expect(shardJob).toBeDefined();
    expect(mergeJob).toBeDefined();
    const [shardName, shard] = shardJob;
    const [, merge] = mergeJob;
    expect([merge.needs].flat()).toContain(shardName);
    expect(shard.strategy!['fail-fast']).toBe(false);
    for (const [, j] of jobs) {
      expect(j['runs-on']).toBe('ubuntu-latest');
      // every job installs tls-harness in its checkout
      expect(j.steps[0].uses).toMatch(/^actions\/checkout@v\d+$/);
      expect(j.steps.some((s) => /^npm ci\b/.test(s.run ?? ''))).toBe(true);
    }
    // every tls-harness command goes through bash with -e (GitHub's `shell: bash` is bash -eo pipefail)
    expect(wf.defaults?.run?.shell).toBe('bash');
  });

  it('shards 1..N, the same N in `run --shard ${{ matrix.shard }}/N`, the job name and the reports the merge reads', () => {
    expect(Number.isInteger(SHARDS) && SHARDS > 1).toBe(true);
    expect(shardJob[1].strategy!.matrix!.shard).toEqual(Array.from({ length: SHARDS }, (_, i) => i + 1));
    expect(shardJob[1].name).toContain(`/${SHARDS}`);
    expect(mergeStep!.run).toContain(`$(seq 1 ${SHARDS})`);
    // the run points at the target, and writes where the upload step picks the reports up
    expect(runStep!.run).toMatch(/--target "\$TARGET"/);
    expect(wf.env!.TARGET).toMatch(/^tcp:\/\/127\.0\.0\.1:\d+$/);
    expect(wf.env!.TARGET).toBe(`tcp://127.0.0.1:${wf.env!.PORT}`);
    expect(Number(wf.env!.PORT)).toBeLessThan(32768);
  });

  it('the service is started inside the job, before the run, and waited for', () => {
    const steps = shardJob[1].steps;
    const start = steps.findIndex((s) => /openssl s_server/.test(s.run ?? ''));
    expect(start).toBeGreaterThan(0);
    expect(start).toBeLessThan(steps.indexOf(runStep!));
    const run = steps[start].run!;
    expect(run).toMatch(/-accept "127\.0\.0\.1:\$PORT"/);
    expect(run).toMatch(/&\n/); // in the background
    expect(run).toMatch(/\/dev\/tcp\/127\.0\.0\.1\/\$PORT/); // waits for the port
    // the certificates it names are the ones the repository ships
    for (const f of run.match(/server-[\w-]+\.(pem|key)|ca\.pem/g)!) expect(existsSync(join(ROOT, 'implementations/reference/certs', f)), f).toBe(true);
  });

  it('uploads each shard, downloads them all, merges with the baseline, uploads the merged reports', () => {
    const upload = shardJob[1].steps.find((s) => s.uses?.startsWith('actions/upload-artifact@'))!;
    expect(upload.if).toBe('${{ !cancelled() }}');
    expect(String(upload.with!.name)).toBe('tls-harness-shard-${{ matrix.shard }}');
    const download = mergeJob[1].steps.find((s) => s.uses?.startsWith('actions/download-artifact@'))!;
    expect(download.with!.pattern).toBe('tls-harness-shard-*');
    expect(download.with!['merge-multiple']).toBeUndefined(); // one folder per artifact
    expect(mergeStep!.run).toMatch(/--baseline "\$BASELINE" --fail-on regressions/);
    expect(wf.env!.BASELINE).toBeTruthy();
    const last = mergeJob[1].steps.at(-1)!;
    expect(last.uses).toMatch(/^actions\/upload-artifact@v\d+$/);
    expect(last.if).toBe('${{ !cancelled() }}');
  });
});

describe('examples/github-actions/tls-harness.yml: its tls-harness steps, run here against the embedded reference', () => {
  const dir = mkdtempSync(join(tmpdir(), 'th-workflow-'));
  // The job's checkout: the files the steps name (the certificates) at the same relative paths.
  symlinkSync(join(ROOT, 'implementations'), join(dir, 'implementations'));
  // `npx tls-harness` as in a checkout of tls-harness after `npm ci`.
  const shim = `npx() { if [ "$1" = tls-harness ]; then shift; "${process.execPath}" "${BIN}" "$@"; else command npx "$@"; fi; }\n`;

  /** Runs a step's script as GitHub does (bash --noprofile --norc -eo pipefail), with the workflow's env. */
  function step(s: Step, matrix: Record<string, string | number> = {}, summary = 'summary.md') {
    const script = join(dir, 'step.sh');
    writeFileSync(script, shim + substitute(s.run!, matrix));
    const env = { ...process.env, ...wf.env, ...s.env, TARGET: 'reference', GITHUB_STEP_SUMMARY: join(dir, summary), CI: 'true' };
    const r = spawnSync('bash', ['--noprofile', '--norc', '-eo', 'pipefail', script], { cwd: dir, env, encoding: 'utf8', timeout: 300_000 });
    return { code: r.status, stdout: r.stdout, stderr: r.stderr };
  }

  /** What upload-artifact then download-artifact (pattern, one folder per artifact) leave in the merge job. */
  function artifacts(i: number): void {
    const upload = shardJob[1].steps.find((s) => s.uses?.startsWith('actions/upload-artifact@'))!;
    const download = mergeJob[1].steps.find((s) => s.uses?.startsWith('actions/download-artifact@'))!;
    const name = substitute(String(upload.with!.name), { shard: i });
    const from = join(dir, substitute(String(upload.with!.path), { shard: i }));
    const to = join(dir, String(download.with!.path), name);
    mkdirSync(dirname(to), { recursive: true });
    cpSync(from, to, { recursive: true });
  }

  const ids = (file: string) => (JSON.parse(readFileSync(file, 'utf8')) as { cases: { id: string }[] }).cases.map((c) => c.id);

  it('the shards, then the merge: every case exactly once; the baseline step passes, and fails on a regression', () => {
    // The shards, one "runner" each.
    for (let i = 1; i <= SHARDS; i++) {
      const r = step(runStep!, { shard: i }, `summary-shard-${i}.md`);
      expect(r.stderr.split('\n').filter((l) => / at .*\.ts:\d+/.test(l))).toEqual([]);
      expect(r.code, r.stderr).toBe(0);
      expect(readFileSync(join(dir, `summary-shard-${i}.md`), 'utf8')).toMatch(/^## tls-harness: reference: PASSED\n/);
      artifacts(i);
    }
    const all = JSON.parse(spawnSync(process.execPath, [BIN, 'list', '--json'], { encoding: 'utf8' }).stdout) as { cases: { id: string }[] };
    const expected = all.cases.map((c) => c.id).sort();
    // each case in exactly one shard
    const perShard = Array.from({ length: SHARDS }, (_, i) => ids(join(dir, 'shards', `tls-harness-shard-${i + 1}`, 'report.json')));
    expect(perShard.flat().sort()).toEqual(expected);
    for (const s of perShard) expect(s.length).toBeGreaterThan(expected.length / SHARDS / 2);

    // No baseline committed yet: the merge judges the results alone (the reference: all as expected).
    const baseline = join(dir, wf.env!.BASELINE);
    expect(existsSync(baseline)).toBe(false);
    const first = step(mergeStep!, {}, 'summary-merge-1.md');
    expect(first.code, first.stdout + first.stderr).toBe(0);
    expect(first.stdout).toContain(`::warning::no baseline at ${wf.env!.BASELINE}`);
    const merged = join(dir, 'merged', 'report.json');
    const mergedIds = ids(merged);
    expect(mergedIds).toEqual(expected); // every case exactly once, in id order
    expect(new Set(mergedIds).size).toBe(mergedIds.length);
    expect(readFileSync(join(dir, 'summary-merge-1.md'), 'utf8')).toMatch(/^## tls-harness: reference: PASSED\n[^]*merged from 4 shards/);

    // The merged report committed as the baseline: the step passes.
    mkdirSync(dirname(baseline), { recursive: true });
    cpSync(merged, baseline);
    const second = step(mergeStep!, {}, 'summary-merge-2.md');
    expect(second.code, second.stdout + second.stderr).toBe(0);
    expect(second.stdout).toContain('0 regressions, 0 fixed, 0 new, 0 missing against the baseline');
    expect(readFileSync(join(dir, 'summary-merge-2.md'), 'utf8')).toContain('### Baseline: 0 regressions');

    // A case that passes in the baseline now fails (its shard's report changed): the step fails, naming it.
    const shardFile = join(dir, 'shards', 'tls-harness-shard-2', 'report.json');
    const report = JSON.parse(readFileSync(shardFile, 'utf8')) as { cases: { id: string; verdict: string; reason: string | null }[] };
    const victim = report.cases.find((c) => c.verdict === 'pass')!;
    victim.verdict = 'fail';
    victim.reason = 'expected alert decrypt_error, got Finished';
    writeFileSync(shardFile, JSON.stringify(report));
    const third = step(mergeStep!, {}, 'summary-merge-3.md');
    expect(third.code).toBe(1);
    expect(third.stdout).toContain(`1 regression, 0 fixed, 0 new, 0 missing against the baseline\n  regression: ${victim.id}: pass -> fail\n`);
    const md = readFileSync(join(dir, 'summary-merge-3.md'), 'utf8');
    expect(md).toContain(`- **fail** \`${victim.id}\`: expected alert decrypt\\_error, got Finished`);
    expect(md).toContain(`- regression: \`${victim.id}\`: pass -> fail`);
  }, 600_000);

  it('a shard with failures passes its step (the merge judges them), one whose run cannot start fails it', () => {
    // A case the reference fails on purpose: it answers a plain ClientHello with a ServerHello, not an alert.
    const failing = join(dir, 'failing.yaml');
    writeFileSync(
      failing,
      `id: t-fails-on-purpose
title: A case the reference fails on purpose
rfc: { doc: 8446, section: "4.1.2", level: must, sentences: [rfc8446-4.1.2-16], quote: "Servers MUST ignore unrecognized extensions." }
target: server
versions: [tls13]
steps:
  - send: ClientHello
  - expect: { alert: illegal_parameter, lenient: false }
`,
    );
    const failed = step({ ...runStep!, run: runStep!.run!.replace('--target "$TARGET"', `--target "$TARGET" --scenarios ${failing}`) }, { shard: 1 }, 'summary-failing.md');
    expect(failed.stdout).toMatch(/^FAIL +t-fails-on-purpose/m);
    expect(failed.code, failed.stderr).toBe(0);
    expect(readFileSync(join(dir, 'summary-failing.md'), 'utf8')).toMatch(/^## tls-harness: reference: FAILED\n[^]*- \*\*fail\*\* `t-fails-on-purpose`/);
    const broken = step({ ...runStep!, run: runStep!.run!.replace('--ca implementations/reference/certs/ca.pem', '--ca no-such-ca.pem') }, { shard: 1 }, 'summary-broken.md');
    expect(broken.code).toBe(2);
    expect(broken.stderr).toMatch(/no-such-ca\.pem/);
  });
});
