/**
 * `tls-harness install NAME... | --all`: runs the `install:` section of target configs
 * (implementations/targets/NAME.yaml, or a path to a config): Debian packages, build commands, the check.
 * Idempotent: a target already installed is skipped (and says so). One line per step on stdout; a step
 * that fails is one line on stderr naming it, with the last lines of its output, and exit code 2.
 */
import type { Command } from '../cli.ts';
import { ExitCode, UsageError } from '../errors.ts';
import { TARGETS_DIR, loadTargetConfig, type TargetConfig } from '../targets/config.ts';
import { installTargets, loadAllTargetConfigs, systemEnvironment, type InstallEnvironment } from '../targets/install.ts';
import { closest } from '../suggest.ts';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

/** The configs named on the command line (or every config with --all); any unknown name is a UsageError. */
export function selectConfigs(names: string[], all: boolean, dir: string): TargetConfig[] {
  if (all && names.length > 0) throw new UsageError(`install: give target names or --all, not both`);
  const { configs, errors, names: known } = loadAllTargetConfigs(dir, { builtinReference: false });
  if (all) {
    if (errors.length) throw errors[0];
    return configs;
  }
  if (names.length === 0) throw new UsageError(`install: name the targets to install (known: ${known.join(', ')}), or --all`);
  const out: TargetConfig[] = [];
  for (const n of [...new Set(names)]) {
    if (/\.ya?ml$/.test(n) || n.includes('/')) {
      out.push(loadTargetConfig(n));
      continue;
    }
    const file = [join(dir, `${n}.yaml`), join(dir, `${n}.yml`)].find((f) => existsSync(f));
    if (!file) {
      const near = closest(n, known);
      throw new UsageError(`install: unknown target '${n}'${near ? ` (did you mean '${near}'?)` : ''}; known targets: ${known.join(', ')}`);
    }
    out.push(loadTargetConfig(file));
  }
  return out;
}

export async function runInstall(values: Record<string, unknown>, names: string[], dir: string, env: InstallEnvironment): Promise<number> {
  const configs = selectConfigs(names, values.all === true, dir);
  const outcomes = await installTargets(configs, env);
  const count = (o: string) => [...outcomes.values()].filter((v) => v === o).length;
  if (configs.length > 1) {
    env.out(`install: ${count('already')} already installed, ${count('installed')} installed, ${count('failed')} failed\n`);
  }
  return count('failed') > 0 ? ExitCode.usage : ExitCode.ok;
}

export const installCommand: Command = {
  name: 'install',
  summary: "install targets from their config's install section (Debian packages, build commands, check); skips what is installed",
  usage: 'tls-harness install NAME... | --all',
  options: {
    all: { type: 'boolean', description: 'every target config in implementations/targets/' },
  },
  allowPositionals: true,
  async run(values, positionals) {
    return runInstall(values, positionals, TARGETS_DIR, systemEnvironment());
  },
};
