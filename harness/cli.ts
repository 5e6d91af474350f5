/**
 * The `tls-harness` command line: one subcommand per job. Every user mistake becomes one line on stderr
 * and exit code 2 (harness/errors.ts); anything else that escapes is a bug in the harness and is reported
 * as one, with its stack.
 */
import { parseArgs } from 'node:util';
import { readFileSync } from 'node:fs';
import { ExitCode, UsageError } from './errors.ts';
import { closest } from './suggest.ts';
import { fromRoot } from './paths.ts';

export interface OptionSpec {
  type: 'string' | 'boolean';
  short?: string;
  multiple?: boolean;
  description?: string;
}

/** What `--help` and the argument parser need to know about a command: everything but its code. */
export interface CommandSpec {
  name: string;
  summary: string;
  usage: string;
  options: Record<string, OptionSpec>;
  allowPositionals?: boolean;
}

export interface Command extends CommandSpec {
  run(values: Record<string, unknown>, positionals: string[]): Promise<number>;
}

/**
 * Each command's module, imported only when it is needed: a command loads its own module (and what that
 * imports), not the others', so start-up does not pay for all of them. The order is the order of --help.
 */
const loaders: Record<string, () => Promise<Command>> = {
  run: async () => (await import('./commands/run.ts')).runCommand,
  kat: async () => (await import('./commands/kat.ts')).katCommand,
  serve: async () => (await import('./commands/serve.ts')).serveCommand,
  connect: async () => (await import('./commands/connect.ts')).connectCommand,
  validate: async () => (await import('./commands/validate.ts')).validateCommand,
  list: async () => (await import('./commands/list.ts')).listCommand,
  merge: async () => (await import('./commands/merge.ts')).mergeCommand,
  matrix: async () => (await import('./commands/matrix.ts')).matrixCommand,
  coverage: async () => (await import('./commands/coverage.ts')).coverageCommand,
  targets: async () => (await import('./commands/targets.ts')).targetsCommand,
  install: async () => (await import('./commands/install.ts')).installCommand,
  fuzz: async () => (await import('./commands/fuzz.ts')).fuzzCommand,
};

export const COMMAND_NAMES: readonly string[] = Object.keys(loaders);

/** Every command, modules and all (the build uses it to write their specs; see commandSpecs). */
export async function loadCommands(): Promise<Command[]> {
  return Promise.all(COMMAND_NAMES.map((n) => loaders[n]()));
}

/** A command's spec without its code (name, summary, usage, options), as written to the specs file. */
export function specOf(c: Command): CommandSpec {
  return { name: c.name, summary: c.summary, usage: c.usage, options: c.options, ...(c.allowPositionals !== undefined ? { allowPositionals: c.allowPositionals } : {}) };
}

/** Written next to the compiled cli.js by bin/build.js from the same sources (the build's stamp covers it). */
export const SPECS_FILE = 'commands.json';

/**
 * The specs of every command, for --help and for the list of names. The compiled copy reads the file the
 * build wrote next to it (one small read instead of importing every command); the TypeScript sources,
 * which have no such file, import the commands.
 */
async function commandSpecs(): Promise<CommandSpec[]> {
  if (import.meta.url.endsWith('.js')) {
    try {
      const specs = JSON.parse(readFileSync(new URL(`./${SPECS_FILE}`, import.meta.url), 'utf8')) as CommandSpec[];
      if (Array.isArray(specs) && specs.length === COMMAND_NAMES.length && specs.every((s, i) => s?.name === COMMAND_NAMES[i])) return specs;
    } catch {
      // no usable file: import the commands, as the sources do
    }
  }
  return (await loadCommands()).map(specOf);
}

function version(): string {
  const pkg = JSON.parse(readFileSync(fromRoot('package.json'), 'utf8')) as { version: string };
  return pkg.version;
}

function help(commands: readonly CommandSpec[]): string {
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

function commandHelp(c: CommandSpec): string {
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
function parseErrorLine(e: Error, cmd: CommandSpec, args: readonly string[]): string {
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
  let commandName: string | undefined;
  try {
    const [name, ...rest] = argv;
    if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
      process.stdout.write(help(await commandSpecs()) + '\n');
      return ExitCode.ok;
    }
    if (name === '--version' || name === '-V') {
      process.stdout.write(version() + '\n');
      return ExitCode.ok;
    }
    if (!Object.hasOwn(loaders, name)) {
      const hint = closest(name, [...COMMAND_NAMES]);
      throw new UsageError(`unknown command '${name}'${hint ? ` (did you mean '${hint}'?)` : ''}; see 'tls-harness --help'`);
    }
    if (rest.includes('--help') || rest.includes('-h')) {
      const spec = (await commandSpecs()).find((c) => c.name === name) ?? specOf(await loaders[name]());
      process.stdout.write(commandHelp(spec) + '\n');
      return ExitCode.ok;
    }
    const cmd = await loaders[name]();
    commandName = cmd.name;
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
      // Every error names its command, whichever code threw it ("tls-harness: run: --jobs: ..."), but one that
      // starts with a file (file:line:col) keeps the file first, where editors and terminals look for it.
      const line = e.line();
      const named = commandName === undefined || line.startsWith(`${commandName}: `) || /^[^\s:]*[/.][^\s:]*:/.test(line);
      process.stderr.write(`tls-harness: ${named ? '' : `${commandName}: `}${line}\n`);
      return ExitCode.usage;
    }
    throw e;
  }
}
