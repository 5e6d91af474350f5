/**
 * The `tls-harness` command line: one subcommand per job. Every user mistake becomes one line on stderr
 * and exit code 2 (harness/errors.ts); anything else that escapes is a bug in the harness and is reported
 * as one, with its stack.
 */
import { parseArgs } from 'node:util';
import { readFileSync } from 'node:fs';
import { ExitCode, UsageError } from './errors.ts';
import { closest } from './suggest.ts';
import { runCommand } from './commands/run.ts';
import { katCommand } from './commands/kat.ts';
import { serveCommand } from './commands/serve.ts';
import { connectCommand } from './commands/connect.ts';
import { validateCommand } from './commands/validate.ts';
import { listCommand } from './commands/list.ts';
import { mergeCommand } from './commands/merge.ts';
import { coverageCommand } from './commands/coverage.ts';

export interface OptionSpec {
  type: 'string' | 'boolean';
  short?: string;
  multiple?: boolean;
  description?: string;
}

export interface Command {
  name: string;
  summary: string;
  usage: string;
  options: Record<string, OptionSpec>;
  allowPositionals?: boolean;
  run(values: Record<string, unknown>, positionals: string[]): Promise<number>;
}

const commands: Command[] = [runCommand, katCommand, serveCommand, connectCommand, validateCommand, listCommand, mergeCommand, coverageCommand];

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

function help(): string {
  const width = Math.max(...commands.map((c) => c.name.length));
  return [
    `tls-harness ${version()}: TLS 1.2 / 1.3 conformance and fuzz-testing harness`,
    '',
    'Usage: tls-harness <command> [options]',
    '',
    'Commands:',
    ...commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    'Run `tls-harness <command> --help` for the options of one command.',
    'Exit codes: 0 all as expected, 1 failures, 2 usage or configuration error.',
  ].join('\n');
}

function commandHelp(c: Command): string {
  const lines = [`Usage: ${c.usage}`, '', c.summary, '', 'Options:'];
  for (const [name, o] of Object.entries(c.options)) {
    const opt = o;
    const flag = `${opt.short ? `-${opt.short}, ` : ''}--${name}${opt.type === 'string' ? ' <value>' : ''}`;
    lines.push(`  ${flag.padEnd(28)}${opt.description ?? ''}`);
  }
  lines.push(`  ${'-h, --help'.padEnd(28)}show this help`);
  return lines.join('\n');
}

export { closest };

/** The long name of a string option written as `--name` or `-x`, if `arg` is one. */
function stringOption(arg: string, options: Record<string, OptionSpec>): string | undefined {
  const long = /^--([^=]+)$/.exec(arg)?.[1];
  if (long !== undefined) return options[long]?.type === 'string' ? long : undefined;
  const short = /^-([A-Za-z])$/.exec(arg)?.[1];
  if (short === undefined) return undefined;
  return Object.entries(options).find(([, o]) => o.short === short && o.type === 'string')?.[0];
}

/**
 * `--timeout -5` as `--timeout=-5`: node's parser refuses a value that starts with a dash ("argument is
 * ambiguous"), so a negative number never reached the option's own check, which says what a valid value
 * is. Only values that look like numbers are joined; `--target -x` stays an error (parseErrorLine).
 */
export function joinNegativeValues(args: readonly string[], options: Record<string, OptionSpec>): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const name = stringOption(args[i], options);
    const next = args[i + 1];
    if (name !== undefined && next !== undefined && /^-[\d.]/.test(next)) {
      out.push(`--${name}=${next}`);
      i++;
    } else out.push(args[i]);
    if (args[i] === '--') {
      out.push(...args.slice(i + 1));
      break;
    }
  }
  return out;
}

/** node:util parseArgs errors, as one line that says what the option wants. */
function parseErrorLine(e: Error, cmd: Command, args: readonly string[]): string {
  const msg = e.message.split('\n')[0].replace(/\. To specify.*$/, '');
  const code = (e as NodeJS.ErrnoException).code;
  const flag = /Option '(-[^' ]+)/.exec(msg)?.[1];
  const name = flag === undefined ? undefined : flag.startsWith('--') ? flag.slice(2) : Object.entries(cmd.options).find(([, o]) => `-${o.short}` === flag)?.[0];
  const spec = name !== undefined ? cmd.options[name] : undefined;
  if (code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE' && name !== undefined && spec) {
    const what = spec.description ? `: ${spec.description}` : '';
    if (/argument missing/.test(msg)) return `--${name} needs a value${what}`;
    if (/ambiguous/.test(msg)) {
      const i = args.findIndex((a) => a === flag);
      const got = i >= 0 ? args[i + 1] : '?';
      return `--${name} needs a value, got the option '${got}' (write --${name}=${got} if that is the value)${what}`;
    }
    if (spec.type === 'boolean') return `--${name} takes no value (write --${name} alone)`;
  }
  const unknown = /Unknown option '--?([^']+)'/.exec(msg)?.[1];
  const hint = unknown ? closest(unknown, Object.keys(cmd.options)) : undefined;
  return `${msg}${hint ? ` (did you mean '--${hint}'?)` : ''}`;
}

export async function main(argv: string[]): Promise<number> {
  try {
    const [name, ...rest] = argv;
    if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
      process.stdout.write(help() + '\n');
      return ExitCode.ok;
    }
    if (name === '--version' || name === '-V') {
      process.stdout.write(version() + '\n');
      return ExitCode.ok;
    }
    const cmd = commands.find((c) => c.name === name);
    if (!cmd) {
      const hint = closest(name, commands.map((c) => c.name));
      throw new UsageError(`unknown command '${name}'${hint ? ` (did you mean '${hint}'?)` : ''}; see 'tls-harness --help'`);
    }
    if (rest.includes('--help') || rest.includes('-h')) {
      process.stdout.write(commandHelp(cmd) + '\n');
      return ExitCode.ok;
    }
    let parsed: { values: Record<string, unknown>; positionals: string[] };
    const args = joinNegativeValues(rest, cmd.options);
    try {
      const options = Object.fromEntries(
        Object.entries(cmd.options).map(([k, { type, short, multiple }]) => [
          k,
          { type, ...(short ? { short } : {}), ...(multiple ? { multiple } : {}) },
        ]),
      );
      parsed = parseArgs({ args, options, allowPositionals: cmd.allowPositionals ?? false, strict: true });
    } catch (e) {
      throw new UsageError(`${cmd.name}: ${parseErrorLine(e as Error, cmd, args)}`);
    }
    return await cmd.run(parsed.values, parsed.positionals);
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(`tls-harness: ${e.line()}\n`);
      return ExitCode.usage;
    }
    throw e;
  }
}
