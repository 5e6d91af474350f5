import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { UsageError } from '../errors.ts';
import { parseTargetConfig, targetFromConfig } from './config.ts';
import { describeResult, installTargets, shellWords, systemRunner, targetStatus, versionOf, type CommandRunner, type InstallEnvironment, type RunOptions, type RunResult } from './install.ts';
import { runInstall, selectConfigs } from '../commands/install.ts';
import { formatTargets, runTargets } from '../commands/targets.ts';
import { MINIMAL_CAPABILITIES_YAML as CAPS } from './testing.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));
const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function tmp(): string {
  const d = mkdtempSync(join(tmpdir(), 'tls-harness-install-'));
  dirs.push(d);
  return d;
}


/** A node-tls config (no program to find on PATH) with the given install section. */
function configText(install: string, extra = ''): string {
  return `kind: node-tls\ndescription: a test target\n${extra}${install}${CAPS}`;
}

const GT_INSTALL = `install:
  apt: [gnutls-bin]
  build:
    - ["go", "build", "-o", "{dir}/bin/go-tls", "{dir}/go-tls.go"]
  check: ["gnutls-serv", "--version"]
  timeout_s: 60
`;

/** Writes configs into a fresh folder: { name: text }. */
function folder(configs: Record<string, string>): string {
  const d = tmp();
  for (const [n, t] of Object.entries(configs)) writeFileSync(join(d, `${n}.yaml`), t);
  return d;
}

const ok = (...output: string[]): RunResult => ({ code: 0, output, ...(output.length ? { firstStdout: output[0] } : {}) });
const exit = (code: number, ...output: string[]): RunResult => ({ code, output });
const NOT_FOUND: RunResult = { code: null, error: 'not found', output: [] };

/**
 * A runner that records every argument vector and answers from a script: for each command (its argv
 * joined by spaces, or a prefix of it), the results in order (the last one repeats).
 */
function fakeRunner(script: Record<string, RunResult[]>) {
  const calls: { argv: string[]; opts: RunOptions }[] = [];
  const used = new Map<string, number>();
  const runner: CommandRunner = async (argv, opts) => {
    calls.push({ argv, opts });
    const line = argv.join(' ');
    const key = Object.keys(script)
      .filter((k) => line === k || line.startsWith(`${k} `))
      .sort((a, b) => b.length - a.length)[0];
    if (key === undefined) throw new Error(`unscripted command: ${line}`);
    const i = used.get(key) ?? 0;
    used.set(key, i + 1);
    const results = script[key];
    return results[Math.min(i, results.length - 1)];
  };
  return { runner, calls, lines: () => calls.map((c) => c.argv.join(' ')) };
}

function env(runner: CommandRunner, over: Partial<InstallEnvironment> = {}) {
  const out: string[] = [];
  const err: string[] = [];
  let t = 0;
  const e: InstallEnvironment = { runner, isRoot: true, hasSudo: false, out: (s) => out.push(s), err: (s) => err.push(s), now: () => (t += 500), ...over };
  return { env: e, out: () => out.join(''), err: () => err.join('') };
}

const APT = 'apt-get install -y --no-install-recommends -o DPkg::Lock::Timeout=60 gnutls-bin';

describe('install: section of a target config', () => {
  it('parses apt, build ({dir} kept for later), check and timeout_s; defaults', () => {
    const cfg = parseTargetConfig(configText(GT_INSTALL), '/x/gt.yaml');
    expect(cfg.install).toEqual({
      apt: ['gnutls-bin'],
      build: [['go', 'build', '-o', '{dir}/bin/go-tls', '{dir}/go-tls.go']],
      check: ['gnutls-serv', '--version'],
      timeout_s: 60,
      at: '/x/gt.yaml:4:3',
    });
    const only = parseTargetConfig(configText('install:\n  check: [node, --version]\n'), 'n.yaml');
    expect(only.install).toMatchObject({ apt: [], build: [], check: ['node', '--version'], timeout_s: 600 });
  });

  it('reports unknown keys, wrong types and bad values as file:line:col', () => {
    const errorOf = (install: string, extra = '') => {
      try {
        parseTargetConfig(configText(install, extra), 'implementations/targets/gt.yaml');
      } catch (e) {
        expect(e).toBeInstanceOf(UsageError);
        return (e as UsageError).line();
      }
      throw new Error('no error');
    };
    expect(errorOf('install:\n  apt: [gnutls-bin]\n  chek: [x]\n')).toBe(
      "implementations/targets/gt.yaml:5:3: unknown key 'chek' in install (did you mean 'check'?); allowed: apt, build, check, timeout_s",
    );
    expect(errorOf('install: gnutls-bin\n')).toBe('implementations/targets/gt.yaml:3:10: install must be a mapping');
    expect(errorOf('install:\n  apt: gnutls-bin\n  check: [x]\n')).toBe('implementations/targets/gt.yaml:4:8: install.apt must be a list');
    expect(errorOf('install:\n  apt: [gnutls-bin, "-o=evil"]\n  check: [x]\n')).toMatch(/^implementations\/targets\/gt\.yaml:4:21: install\.apt: '-o=evil' is not a Debian package name/);
    expect(errorOf('install:\n  check: "gnutls-serv --version"\n')).toBe(
      'implementations/targets/gt.yaml:4:10: install.check must be a list of arguments (no shell): ["prog", "arg", ...]',
    );
    expect(errorOf('install:\n  build: [["go", "build", "{dri}/x"]]\n  check: [x]\n')).toBe(
      'implementations/targets/gt.yaml:4:27: install.build[0]: unknown placeholder {dri} (known: {dir})',
    );
    expect(errorOf('install:\n  build: ["go build"]\n  check: [x]\n')).toMatch(/^implementations\/targets\/gt\.yaml:4:11: install\.build\[0\] must be a list of arguments/);
    expect(errorOf('install:\n  check: [x]\n  timeout_s: 0\n')).toBe('implementations/targets/gt.yaml:5:14: install.timeout_s must be between 1 and 86400, not 0');
    expect(errorOf('install:\n  check: [x]\n  timeout_s: "10"\n')).toBe('implementations/targets/gt.yaml:5:14: install.timeout_s must be an integer');
    expect(errorOf('install: {}\n')).toBe("implementations/targets/gt.yaml:3:10: install needs 'apt', 'build' or 'check'");
    // Nothing would tell whether it is installed: no check, no program.
    expect(errorOf('install:\n  apt: [gnutls-bin]\n')).toMatch(/^implementations\/targets\/gt\.yaml:4:3: install: give a 'check' command/);
  });
});

describe('tls-harness install (scripted commands)', () => {
  it('already installed: says so, runs nothing but the check', async () => {
    const dir = folder({ gt: configText(GT_INSTALL) });
    const f = fakeRunner({ 'gnutls-serv --version': [ok('gnutls-serv 3.7.9', 'Copyright ...')] });
    const e = env(f.runner);
    expect(await runInstall({}, ['gt'], dir, e.env)).toBe(0);
    expect(f.lines()).toEqual(['gnutls-serv --version']);
    expect(f.calls[0].opts.cwd).toBe(dir);
    expect(e.out()).toBe('gt: already installed (gnutls-serv 3.7.9)\n');
    expect(e.err()).toBe('');
  });

  it('not installed: apt-get, then the build commands in the config folder ({dir}), then the check', async () => {
    const dir = folder({ gt: configText(GT_INSTALL) });
    const f = fakeRunner({
      'gnutls-serv --version': [NOT_FOUND, ok('gnutls-serv 3.7.9')],
      'apt-get install': [ok('Setting up gnutls-bin (3.7.9-2+deb12u3) ...')],
      'go build': [ok()],
    });
    const e = env(f.runner);
    expect(await runInstall({}, ['gt'], dir, e.env)).toBe(0);
    expect(f.lines()).toEqual([
      'gnutls-serv --version',
      APT,
      `go build -o ${dir}/bin/go-tls ${dir}/go-tls.go`,
      'gnutls-serv --version',
      'gnutls-serv --version',
    ]);
    expect(f.calls[1].opts.env).toEqual({ DEBIAN_FRONTEND: 'noninteractive', LC_ALL: 'C' });
    expect(f.calls[1].opts.timeoutMs).toBe(60_000);
    expect(f.calls[2].opts.cwd).toBe(dir);
    expect(e.out().split('\n')).toEqual([
      `gt: ${APT} ... ok (0.5 s)`,
      `gt: build: go build -o ${dir}/bin/go-tls ${dir}/go-tls.go ... ok (0.5 s)`,
      'gt: check: gnutls-serv --version ... ok (0.5 s)',
      'gt: installed (gnutls-serv 3.7.9)',
      '',
    ]);
    expect(e.err()).toBe('');
  });

  it('an apt-get failure: one line naming the step with its last lines, exit 2, nothing built', async () => {
    const dir = folder({ gt: configText(GT_INSTALL) });
    const noise = Array.from({ length: 12 }, (_, i) => `line ${i}`);
    const f = fakeRunner({
      'gnutls-serv --version': [NOT_FOUND],
      'apt-get install': [exit(100, ...noise, 'E: Could not get lock /var/lib/dpkg/lock-frontend. It is held by process 4242 (apt-get)')],
    });
    const e = env(f.runner);
    expect(await runInstall({}, ['gt'], dir, e.env)).toBe(2);
    expect(f.lines()).toEqual(['gnutls-serv --version', APT]);
    expect(e.out()).toBe(`gt: ${APT} ... failed\n`);
    const err = e.err().trimEnd().split('\n');
    expect(err[0]).toBe(`tls-harness: install gt: step '${APT}' exited with code 100; its last lines:`);
    expect(err).toHaveLength(1 + 8);
    expect(err.at(-1)).toBe('  | E: Could not get lock /var/lib/dpkg/lock-frontend. It is held by process 4242 (apt-get)');
    expect(err[1]).toBe('  | line 5');
  });

  it('a package apt-get does not know: apt-get update once per run, then again', async () => {
    const dir = folder({ gt: configText(GT_INSTALL), gu: configText(GT_INSTALL.replace('gnutls-bin', 'gnutls-bin2').replace('"gnutls-serv"', '"gu-check"')) });
    const f = fakeRunner({
      'gnutls-serv --version': [NOT_FOUND, ok('gnutls-serv 3.7.9')],
      'gu-check': [NOT_FOUND],
      [APT]: [exit(100, 'Reading package lists...', 'E: Unable to locate package gnutls-bin'), ok()],
      'apt-get update': [ok('Hit:1 http://deb.debian.org/debian bookworm InRelease')],
      [`${APT}2`]: [exit(100, "E: Package 'gnutls-bin2' has no installation candidate")],
      'go build': [ok()],
    });
    const e = env(f.runner);
    expect(await runInstall({}, ['gt', 'gu'], dir, e.env)).toBe(2);
    expect(f.lines().filter((l) => l.startsWith('apt-get'))).toEqual([APT, 'apt-get update', APT, `${APT}2`]);
    expect(e.out()).toContain(`gt: ${APT} ... package not found: the package lists may be old\ngt: apt-get update ... ok (0.5 s)\ngt: ${APT} ... ok (0.5 s)\n`);
    // gu: its package is unknown after the update too: a failure, not a second update.
    expect(e.err().split('\n')[0]).toBe(`tls-harness: install gu: step '${APT}2' exited with code 100; its last lines:`);
    expect(e.out()).toMatch(/install: 0 already installed, 1 installed, 1 failed\n$/);
  });

  it('a build failure names the build command; the check does not run', async () => {
    const dir = folder({ gt: configText(GT_INSTALL) });
    const f = fakeRunner({
      'gnutls-serv --version': [NOT_FOUND],
      'apt-get install': [ok()],
      'go build': [exit(1, '# command-line-arguments', './go-tls.go:12:2: undefined: tls.Foo')],
    });
    const e = env(f.runner);
    expect(await runInstall({}, ['gt'], dir, e.env)).toBe(2);
    expect(f.lines()).toHaveLength(3);
    expect(e.err()).toBe(
      `tls-harness: install gt: step 'build: go build -o ${dir}/bin/go-tls ${dir}/go-tls.go' exited with code 1; its last lines:\n` +
        '  | # command-line-arguments\n  | ./go-tls.go:12:2: undefined: tls.Foo\n',
    );
  });

  it('a check that still fails after the steps, a step that times out', async () => {
    const dir = folder({ gt: configText(GT_INSTALL) });
    const f = fakeRunner({ 'gnutls-serv --version': [NOT_FOUND], 'apt-get install': [ok()], 'go build': [ok()] });
    const e = env(f.runner);
    expect(await runInstall({}, ['gt'], dir, e.env)).toBe(2);
    expect(e.err()).toBe("tls-harness: install gt: step 'check: gnutls-serv --version' could not start: not found (no output)\n");
    const g = fakeRunner({ 'gnutls-serv --version': [NOT_FOUND], 'apt-get install': [{ code: null, signal: 'SIGTERM', timedOut: true, output: ['Unpacking ...'] }] });
    const e2 = env(g.runner);
    expect(await runInstall({}, ['gt'], dir, e2.env)).toBe(2);
    expect(e2.err().split('\n')[0]).toBe(`tls-harness: install gt: step '${APT}' stopped after 60 s (install.timeout_s); its last lines:`);
  });

  it('not root: sudo -n apt-get; without sudo, one line and exit 2 before running anything', async () => {
    const dir = folder({ gt: configText(GT_INSTALL) });
    const f = fakeRunner({ 'gnutls-serv --version': [NOT_FOUND, ok('gnutls-serv 3.7.9')], 'sudo -n apt-get install': [ok()], 'go build': [ok()] });
    expect(await runInstall({}, ['gt'], dir, env(f.runner, { isRoot: false, hasSudo: true }).env)).toBe(0);
    expect(f.lines()[1]).toBe(`sudo -n ${APT}`);
    const g = fakeRunner({ 'gnutls-serv --version': [NOT_FOUND] });
    const e = env(g.runner, { isRoot: false, hasSudo: false });
    expect(await runInstall({}, ['gt'], dir, e.env)).toBe(2);
    expect(g.lines()).toEqual(['gnutls-serv --version']);
    expect(e.err()).toBe('tls-harness: install gt: the packages (gnutls-bin) need apt-get as root: run as root, or install sudo\n');
  });

  it('unknown names are a usage error with the known names, before anything runs; NAME or --all, not neither or both', async () => {
    const dir = folder({ gnutls: configText(GT_INSTALL), openssl: configText('install:\n  check: [openssl, version]\n') });
    const f = fakeRunner({});
    const e = env(f.runner);
    await expect(runInstall({}, ['openssl', 'gnutsl'], dir, e.env)).rejects.toThrow(
      "install: unknown target 'gnutsl' (did you mean 'gnutls'?); known targets: gnutls, openssl, reference",
    );
    expect(f.calls).toHaveLength(0);
    expect(() => selectConfigs([], false, dir)).toThrow('install: name the targets to install (known: gnutls, openssl, reference), or --all');
    expect(() => selectConfigs(['gnutls'], true, dir)).toThrow('install: give target names or --all, not both');
    expect(selectConfigs(['openssl', 'openssl'], false, dir).map((c) => c.name)).toEqual(['openssl']);
    expect(selectConfigs([join(dir, 'gnutls.yaml')], false, dir).map((c) => c.name)).toEqual(['gnutls']);
  });

  it('--all: every config, skipping what is installed, going on after a failure; exit 2 if any failed', async () => {
    const dir = folder({
      a: configText('install:\n  check: [a-check]\n'),
      b: configText(GT_INSTALL),
      c: configText('install:\n  build: [[make]]\n  check: [c-check]\n'),
      reference: 'kind: reference\n',
    });
    const f = fakeRunner({
      'a-check': [ok('a 1.0')],
      'gnutls-serv --version': [NOT_FOUND],
      'apt-get install': [exit(100, 'E: boom')],
      'c-check': [exit(1, 'no'), ok('c 2.0')],
      make: [ok('built')],
    });
    const e = env(f.runner);
    expect(await runInstall({ all: true }, [], dir, e.env)).toBe(2);
    expect(e.out().split('\n')).toEqual([
      'a: already installed (a 1.0)',
      `b: ${APT} ... failed`,
      'c: build: make ... ok (0.5 s)',
      'c: check: c-check ... ok (0.5 s)',
      'c: installed (c 2.0)',
      'reference: already installed',
      'install: 2 already installed, 1 installed, 1 failed',
      '',
    ]);
    expect(e.err()).toBe(`tls-harness: install b: step '${APT}' exited with code 100; its last lines:\n  | E: boom\n`);
  });

  it('a target that needs a program which every step leaves missing is a failure', async () => {
    const cfg = parseTargetConfig(
      `kind: process\nrequires_binary: no-such-program-xyz\ninstall:\n  apt: [xyz]\nserver:\n  command: ["no-such-program-xyz", "{port}"]\n${CAPS}`,
      join(tmp(), 'xyz.yaml'),
    );
    const f = fakeRunner({ 'apt-get install': [ok()] });
    const e = env(f.runner);
    expect(await installTargets([cfg], e.env)).toEqual(new Map([['xyz', 'failed']]));
    expect(e.err()).toBe("tls-harness: install xyz: every step passed, but it is still not installed: 'no-such-program-xyz' is not installed (not found on PATH), required at " + cfg.requiresAt + '\n');
    // `run --target` on it: the unavailable line says how to install it.
    expect(() => targetFromConfig(cfg)).toThrow(new RegExp(`^target 'xyz' is unavailable: .*, required at .*; \`tls-harness install ${cfg.file}\` installs it$`));
  });
});

describe('tls-harness targets (scripted checks)', () => {
  it('one row per target: installed from the check (version: its first line) or the programs; a broken config is an error line, exit 2', async () => {
    const dir = folder({
      gnutls: configText(GT_INSTALL, 'name: gnutls\n'),
      openssl: configText('install:\n  check: [openssl, version]\n'),
      java: configText('install:\n  check: [java, -version]\n'),
      broken: configText('install:\n  chek: [x]\n'),
    });
    const f = fakeRunner({
      'gnutls-serv --version': [NOT_FOUND],
      'openssl version': [ok('OpenSSL 3.0.19 27 Jan 2026 (Library: OpenSSL 3.0.19 27 Jan 2026)')],
      // java -version writes to stderr: the first line of the output.
      'java -version': [{ code: 0, output: ['', 'openjdk version "17.0.15" 2025-04-15'] }],
    });
    const out: string[] = [];
    const err: string[] = [];
    const io = { runner: f.runner, out: (s: string) => out.push(s), err: (s: string) => err.push(s) };
    expect(await runTargets({}, dir, io)).toBe(2);
    const lines = out.join('').trimEnd().split('\n');
    expect(lines[0]).toMatch(/^name\s+kind\s+roles\s+installed\s+version\s+description$/);
    expect(lines[1]).toMatch(/^gnutls\s+node-tls\s+server\s+no\s+-\s+a test target$/);
    expect(lines[2]).toMatch(/^java\s+node-tls\s+server\s+yes\s+openjdk version "17\.0\.15" 2025-04-15\s+a test target$/);
    expect(lines[3]).toMatch(/^openssl\s+node-tls\s+server\s+yes\s+OpenSSL 3\.0\.19 27 Jan 2026 \(Library: \.\.\.\s+a test target$/);
    expect(lines[4]).toMatch(/^reference\s+reference\s+server,client\s+yes\s+-\s+tls-harness reference/);
    expect(lines[5]).toBe("gnutls: not installed: check 'gnutls-serv --version' could not start: not found");
    expect(lines[6]).toBe('4 targets, 3 installed; `tls-harness install gnutls` installs the others');
    expect(err.join('')).toBe(`tls-harness: ${join(dir, 'broken.yaml')}:4:3: unknown key 'chek' in install (did you mean 'check'?); allowed: apt, build, check, timeout_s\n`);

    out.length = 0;
    await runTargets({ json: true }, dir, io);
    const json = JSON.parse(out.join(''));
    expect(json.targets.find((t: { name: string }) => t.name === 'openssl')).toMatchObject({
      kind: 'node-tls',
      roles: ['server'],
      installed: true,
      version: 'OpenSSL 3.0.19 27 Jan 2026 (Library: OpenSSL 3.0.19 27 Jan 2026)',
      description: 'a test target',
    });
    expect(json.targets.find((t: { name: string }) => t.name === 'gnutls')).toMatchObject({ installed: false, version: null, reason: expect.stringMatching(/could not start/) });
    expect(json.errors).toHaveLength(1);
  });

  it('a check that fails names its exit and last line; the table ends with the count', async () => {
    const cfg = parseTargetConfig(configText('install:\n  check: [x, --version]\n'), join(tmp(), 'x.yaml'));
    const s = await targetStatus(cfg, fakeRunner({ 'x --version': [exit(3, 'x: broken library', 'x: libfoo.so.1: cannot open')] }).runner);
    expect(s).toMatchObject({ installed: false, version: null, reason: "check 'x --version' exited with code 3: x: libfoo.so.1: cannot open" });
    expect(formatTargets([]).trimEnd().split('\n').at(-1)).toBe('0 targets, 0 installed');
  });
});

describe('helpers', () => {
  it('shellWords quotes what a shell would split; describeResult; versionOf', () => {
    expect(shellWords(['go', 'build', '-o', 'a b', "it's"])).toBe(`go build -o 'a b' 'it'\\''s'`);
    expect(describeResult({ code: null, signal: 'SIGKILL', output: [] }, 1000)).toBe('killed by SIGKILL');
    expect(versionOf({ code: 0, output: ['', '  v1  '] })).toBe('v1');
    expect(versionOf({ code: 0, output: [] })).toBeNull();
  });

  it('systemRunner: exit code, first stdout line, output, a missing program, a timeout', async () => {
    const cwd = tmp();
    const r = await systemRunner(['sh', '-c', 'echo; echo "v1.2 $(pwd)"; echo err >&2; echo "$FOO"; exit 3'], { cwd, timeoutMs: 5_000, env: { FOO: 'bar' } });
    expect(r.code).toBe(3);
    expect(r.firstStdout).toBe(`v1.2 ${cwd}`);
    expect(r.output).toEqual(expect.arrayContaining(['err', 'bar']));
    const missing = await systemRunner(['no-such-program-xyz'], { cwd, timeoutMs: 1_000 });
    expect(missing).toMatchObject({ code: null, error: 'not found' });
    const t0 = Date.now();
    const slow = await systemRunner(['sleep', '5'], { cwd, timeoutMs: 300 });
    expect(slow.timedOut).toBe(true);
    expect(slow.code).toBeNull();
    expect(Date.now() - t0).toBeLessThan(3_000);
  });
});

describe('the real commands', () => {
  const bin = join(root, 'bin/tls-harness.js');
  const cli = (...args: string[]) => spawnSync(process.execPath, [bin, ...args], { cwd: root, encoding: 'utf8', timeout: 60_000 });

  it('install openssl: already installed (OpenSSL is preinstalled here), exit 0; targets shows it and node installed', () => {
    const r = cli('install', 'openssl');
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(/^openssl: already installed \(OpenSSL 3\.\d+\.\d+ [^\n]*\)\n$/);
    expect(r.status).toBe(0);
    const t = cli('targets', '--json');
    expect(t.status).toBe(0);
    const byName = Object.fromEntries(JSON.parse(t.stdout).targets.map((x: { name: string }) => [x.name, x]));
    expect(byName.openssl).toMatchObject({ kind: 'process', roles: ['server', 'client'], installed: true, version: expect.stringMatching(/^OpenSSL 3\./) });
    expect(byName.node).toMatchObject({ kind: 'node-tls', installed: true, version: expect.stringMatching(/^v\d+\.\d+\.\d+$/) });
    expect(byName.reference).toMatchObject({ installed: true });
  }, 60_000);

  it('--help for both; an unknown name is one line, exit 2', () => {
    expect(cli('targets', '--help').stdout).toMatch(/^Usage: tls-harness targets \[--json\]/);
    expect(cli('install', '--help').stdout).toMatch(/^Usage: tls-harness install NAME\.\.\. \| --all/);
    const r = cli('install', 'nope-xyz');
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^tls-harness: install: unknown target 'nope-xyz'; known targets: [a-z, ]*openssl[a-z, ]*\n$/);
  }, 60_000);
});
