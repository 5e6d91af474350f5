/**
 * `tls-harness fuzz --target T [--runs N] [--findings N] [--seed S] [--report-dir DIR] [--run-id ID]`
 * (issue 15, first version: the server's ClientHello handling). Differential fuzzing against the embedded
 * reference (harness/fuzz/fuzz.ts): each finding is shrunk and written as a scenario file under
 * `<report-dir>/<run-id>/findings/`, replayable with `tls-harness run --target T --scenarios <file>`.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from '../cli.ts';
import { ExitCode, UsageError } from '../errors.ts';
import { resolveTarget } from '../targets/config.ts';
import { ReferenceTarget } from '../targets/reference.ts';
import { fuzzClientHello } from '../fuzz/fuzz.ts';
import { findingToYaml } from '../fuzz/finding-yaml.ts';
import type { PeerConfig } from '../scenario/model.ts';
import { positiveInt, reportFolder } from './run.ts';

export const fuzzCommand: Command = {
  name: 'fuzz',
  summary: "differential fuzzing of a server's ClientHello handling against the embedded reference; each finding shrunk and written as a scenario",
  usage: 'tls-harness fuzz --target NAME [--runs N] [--findings N] [--seed S] [--report-dir DIR] [--run-id ID]',
  options: {
    target: { type: 'string', description: 'a server target: a config in implementations/targets/ or tcp://HOST:PORT' },
    runs: { type: 'string', description: 'generated ClientHellos per search round (default 200)' },
    findings: { type: 'string', description: 'stop after this many distinct findings (default 10)' },
    seed: { type: 'string', description: 'fast-check seed (default: from the clock, printed)' },
    'report-dir': { type: 'string', description: 'where reports/<run-id>/findings/ goes (default reports/)' },
    'run-id': { type: 'string', description: 'name of the report folder (default: a timestamp)' },
  },
  async run(values) {
    const name = values.target as string | undefined;
    if (!name) throw new UsageError('fuzz: --target is required (a server target: tls-harness targets lists them)');
    const runs = positiveInt(values.runs, 'runs', 1_000_000, '', 'fuzz') ?? 200;
    const maxFindings = positiveInt(values.findings, 'findings', 1000, '', 'fuzz') ?? 10;
    const seed = values.seed !== undefined ? (positiveInt(values.seed, 'seed', 2 ** 31 - 1, '', 'fuzz') as number) : Date.now() % 2 ** 31;
    const { runId, dir } = reportFolder(values, 'fuzz');
    const target = resolveTarget(name, { instances: 1 });
    if (!target.capabilities.roles.includes('server')) throw new UsageError(`fuzz: target ${name} plays no server role`);
    const reference = new ReferenceTarget();
    const config: PeerConfig = { cipher_suites: ['TLS_AES_128_GCM_SHA256'], groups: ['x25519'] };
    const ac = new AbortController();
    const t0 = Date.now();
    try {
      await target.start(ac.signal);
      process.stderr.write(`tls-harness fuzz: ${name}, seed ${seed}, ${runs} ClientHellos per round, up to ${maxFindings} findings\n`);
      const r = await fuzzClientHello(target, reference, { config, seed, runs, maxFindings });
      const out = join(dir, 'findings');
      mkdirSync(out, { recursive: true });
      let written = 0;
      for (const [i, f] of r.findings.entries()) {
        const id = `fuzz-${name.replace(/[^a-z0-9]+/gi, '-').toLowerCase()}-${i + 1}`;
        const yaml = findingToYaml(f, name, config, id);
        const file = join(out, `${id}.yaml`);
        if (yaml) {
          writeFileSync(file, yaml);
          written++;
        }
        process.stdout.write(`${f.signature}: ${JSON.stringify(f.ops)}${yaml ? ` -> ${file}` : ' (no RFC sentence backs the reference here: not written)'}\n`);
      }
      const s = (Date.now() - t0) / 1000;
      process.stdout.write(`fuzz ${runId}: ${r.conversations} conversations in ${s.toFixed(1)} s (${(r.conversations / s).toFixed(0)}/s), ${r.findings.length} findings, ${written} written to ${out}\n`);
      return ExitCode.ok;
    } finally {
      ac.abort();
      await target.stop();
      await reference.stop();
    }
  },
};
