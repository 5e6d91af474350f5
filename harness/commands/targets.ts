/**
 * `tls-harness targets [--json]`: every target config in implementations/targets/, one line each: name,
 * kind, roles, installed (its `install.check`, or the programs it needs on PATH), version (the check's
 * first line of output) and description. A config that does not load is one line on stderr
 * (file:line:col) and exit code 2; the others are still listed.
 */
import type { Command } from '../cli.ts';
import { ExitCode, UsageError } from '../errors.ts';
import { TARGETS_DIR } from '../targets/config.ts';
import { loadAllTargetConfigs, systemRunner, targetStatus, type CommandRunner, type TargetStatus } from '../targets/install.ts';

/** At most this many characters of a version in the table (--json has it whole). */
const VERSION_WIDTH = 40;

export interface TargetsIo {
  runner: CommandRunner;
  out: (text: string) => void;
  err: (text: string) => void;
}

/** The statuses of every config in `dir`, in name order; configs that do not load go to `errors`. */
export async function targetStatuses(dir: string, runner: CommandRunner): Promise<{ statuses: TargetStatus[]; errors: UsageError[] }> {
  const { configs, errors } = loadAllTargetConfigs(dir);
  // The checks are short programs (`openssl version`): all at once.
  const statuses = await Promise.all(configs.map((c) => targetStatus(c, runner)));
  return { statuses, errors };
}

export function formatTargets(statuses: TargetStatus[]): string {
  const cut = (v: string) => (v.length > VERSION_WIDTH ? `${v.slice(0, VERSION_WIDTH - 3)}...` : v);
  const rows = statuses.map((s) => [s.name, s.kind, s.roles.join(','), s.installed ? 'yes' : 'no', cut(s.version ?? '-'), s.description]);
  const header = ['name', 'kind', 'roles', 'installed', 'version', 'description'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const lines = [header, ...rows].map((r) => r.map((x, i) => (i === r.length - 1 ? x : x.padEnd(widths[i]))).join('  ').trimEnd());
  const missing = statuses.filter((s) => !s.installed);
  for (const s of missing) lines.push(`${s.name}: not installed: ${s.reason ?? 'unknown'}`);
  lines.push(
    `${statuses.length} target${statuses.length === 1 ? '' : 's'}, ${statuses.length - missing.length} installed` +
      (missing.length ? `; \`tls-harness install ${missing.map((s) => s.name).join(' ')}\` installs the others` : ''),
  );
  return lines.join('\n') + '\n';
}

export async function runTargets(values: Record<string, unknown>, dir: string, io: TargetsIo): Promise<number> {
  const { statuses, errors } = await targetStatuses(dir, io.runner);
  if (values.json) io.out(JSON.stringify({ targets: statuses, errors: errors.map((e) => e.line()) }, null, 2) + '\n');
  else io.out(formatTargets(statuses));
  for (const e of errors) io.err(`tls-harness: ${e.line()}\n`);
  return errors.length ? ExitCode.usage : ExitCode.ok;
}

export const targetsCommand: Command = {
  name: 'targets',
  summary: 'list the targets: kind, roles, installed or not, version, description',
  usage: 'tls-harness targets [--json]',
  options: {
    json: { type: 'boolean', description: 'print one JSON object { "targets": [...], "errors": [...] }' },
  },
  async run(values) {
    return runTargets(values, TARGETS_DIR, {
      runner: systemRunner,
      out: (t) => process.stdout.write(t),
      err: (t) => process.stderr.write(t),
    });
  },
};
