/**
 * The compiled build (bin/build.js, dist/) and the bin's choice between it and the TypeScript sources:
 * dist/ runs only when built from exactly the current sources, and both give the same output.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, unlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUILD_FILES, STAMP_FILE, STAMP_FORMAT, checkBuild, sourceState } from './build-state.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

/** A stamp of `root`'s sources as they are now, as bin/build.js writes it. */
function writeStamp(root: string, sources = sourceState(root)): void {
  mkdirSync(join(root, 'dist'), { recursive: true });
  writeFileSync(join(root, STAMP_FILE), JSON.stringify({ format: STAMP_FORMAT, built: 'test', sources }));
}

/** A whole second, so that a modification time set from it comes back exactly. */
const T = Math.floor(Date.now() / 1000) - 3600;
const setMtime = (file: string, seconds: number) => utimesSync(file, seconds, seconds);

describe('checkBuild (is dist/ built from the current sources?)', () => {
  let root: string;
  beforeAll(() => {
    root = mkdtempSync(join(tmpdir(), 'tls-harness-stamp-'));
    for (const f of ['harness/cli.ts', 'harness/cli.test.ts', 'harness/report/report.schema.json', 'implementations/x/a.ts', 'vectors/v.json', ...BUILD_FILES]) {
      mkdirSync(join(root, f, '..'), { recursive: true });
      writeFileSync(join(root, f), `// ${f}\n`);
    }
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('fresh right after the build', () => {
    writeStamp(root);
    expect(checkBuild(root)).toEqual({ fresh: true });
  });

  it('stale when a source is newer, or older (a file copied back), or another size; fresh again once restored', () => {
    const f = join(root, 'harness/cli.ts');
    setMtime(f, T);
    writeStamp(root);
    setMtime(f, T + 10);
    expect(checkBuild(root)).toEqual({ fresh: false, reason: 'harness/cli.ts changed since the build' });
    setMtime(f, T - 10);
    expect(checkBuild(root).fresh).toBe(false);
    setMtime(f, T);
    expect(checkBuild(root)).toEqual({ fresh: true });
    writeFileSync(f, '// harness/cli.ts!\n');
    setMtime(f, T);
    expect(checkBuild(root)).toEqual({ fresh: false, reason: 'harness/cli.ts changed since the build' });
  });

  it('stale when a build file changes (package.json, tsconfig.build.json)', () => {
    writeStamp(root);
    setMtime(join(root, 'tsconfig.build.json'), T + 5);
    expect(checkBuild(root)).toEqual({ fresh: false, reason: 'tsconfig.build.json changed since the build' });
  });

  it('stale when a file appears or goes (TypeScript or data: dist/ links to the data files)', () => {
    writeStamp(root);
    writeFileSync(join(root, 'vectors/new.json'), '{}');
    expect(checkBuild(root)).toEqual({ fresh: false, reason: 'vectors/new.json is newer than the build' });
    unlinkSync(join(root, 'vectors/new.json'));
    expect(checkBuild(root)).toEqual({ fresh: true });
    unlinkSync(join(root, 'implementations/x/a.ts'));
    expect(checkBuild(root)).toEqual({ fresh: false, reason: 'implementations/x/a.ts is gone since the build' });
    writeFileSync(join(root, 'implementations/x/a.ts'), '');
  });

  it('what install builds into a target folder (bin/, build/, Cargo.lock) does not make it stale', () => {
    writeStamp(root);
    for (const d of ['implementations/targets/t/bin', 'implementations/targets/t/build/x']) mkdirSync(join(root, d), { recursive: true });
    writeFileSync(join(root, 'implementations/targets/t/bin/t-client'), 'binary');
    writeFileSync(join(root, 'implementations/targets/t/build/x/T.class'), 'class');
    writeFileSync(join(root, 'implementations/targets/t/Cargo.lock'), 'lock');
    expect(checkBuild(root)).toEqual({ fresh: true });
    // A source file beside them still counts.
    writeFileSync(join(root, 'implementations/targets/t/main.go'), 'package main');
    expect(checkBuild(root)).toEqual({ fresh: false, reason: 'implementations/targets/t/main.go is newer than the build' });
    rmSync(join(root, 'implementations/targets/t'), { recursive: true });
    expect(checkBuild(root)).toEqual({ fresh: true });
  });

  it('a data file edited in place, or a test, does not make it stale (the build neither copies nor compiles them)', () => {
    writeStamp(root);
    writeFileSync(join(root, 'vectors/v.json'), '{"edited": true}');
    writeFileSync(join(root, 'harness/cli.test.ts'), '// edited\n');
    expect(checkBuild(root)).toEqual({ fresh: true });
  });

  it('stale without a stamp, with a broken one, or one of another format', () => {
    rmSync(join(root, STAMP_FILE), { force: true });
    expect(checkBuild(root).fresh).toBe(false);
    writeFileSync(join(root, STAMP_FILE), '{"format": 1, "sourc');
    expect(checkBuild(root).fresh).toBe(false);
    writeFileSync(join(root, STAMP_FILE), JSON.stringify({ format: STAMP_FORMAT + 1, sources: sourceState(root) }));
    expect(checkBuild(root)).toEqual({ fresh: false, reason: `${STAMP_FILE} is not a stamp of this version of the build` });
    writeFileSync(join(root, STAMP_FILE), 'null');
    expect(checkBuild(root).fresh).toBe(false);
  });
});

describe('bin/tls-harness.js with a compiled build (a copy of the project, built by bin/build.js)', () => {
  let root: string;
  const bin = (args: string[], env: Record<string, string> = {}) => {
    const r = spawnSync(process.execPath, [join(root, 'bin/tls-harness.js'), ...args], {
      cwd: root,
      encoding: 'utf8',
      env: { ...process.env, TLS_HARNESS_FROM_SOURCE: '', TLS_HARNESS_SHOW_BUILD: '1', ...env },
    });
    const [first, ...rest] = r.stderr.split('\n');
    return { which: first, out: `${r.stdout}${rest.join('\n')}`, code: r.status };
  };
  const DIST = 'tls-harness: running the compiled build in dist/';
  const scenario = 'scenarios/client/tls12';
  const cases: string[][] = [['--help'], ['run', '--help'], ['validate', scenario], ['list', '--grep', 'nothing-matches-this'], ['nope']];

  beforeAll(() => {
    root = mkdtempSync(join(tmpdir(), 'tls-harness-build-'));
    for (const d of ['bin', 'harness', 'implementations', 'vectors', 'scenarios', 'rfc', 'package.json', 'tsconfig.json', 'tsconfig.build.json']) {
      cpSync(join(ROOT, d), join(root, d), { recursive: true, filter: (src) => !src.endsWith('.test.ts') || src.endsWith('build.test.ts') });
    }
    symlinkSync(join(ROOT, 'node_modules'), join(root, 'node_modules'));
    setMtime(join(root, 'harness/errors.ts'), T);
    const r = spawnSync(process.execPath, [join(root, 'bin/build.js')], { cwd: root, encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  }, 240_000);
  afterAll(() => {
    if (root) rmSync(root, { recursive: true, force: true });
  });

  it('runs dist/ when fresh, with the same output as the sources through tsx', () => {
    for (const args of cases) {
      const compiled = bin(args);
      expect(compiled.which, args.join(' ')).toBe(DIST);
      const source = bin(args, { TLS_HARNESS_FROM_SOURCE: '1' });
      expect(source.which).toMatch(/through tsx: TLS_HARNESS_FROM_SOURCE is set/);
      expect(compiled.out, args.join(' ')).toBe(source.out);
      expect(compiled.code, args.join(' ')).toBe(source.code);
    }
    expect(bin(['run', '--help']).out).toMatch(/--report-dir <value>/);
    expect(bin(['validate', scenario]).code).toBe(0);
    expect(bin(['nope']).code).toBe(2);
  }, 120_000);

  it('the command specs in dist/ are those of the sources', async () => {
    const { loadCommands, specOf } = await import('../harness/cli.ts');
    const built = JSON.parse(readFileSync(join(root, 'dist/harness/commands.json'), 'utf8'));
    expect(built).toEqual(JSON.parse(JSON.stringify((await loadCommands()).map(specOf))));
  });

  it('compiled modules find files only inside the compiled tree by their own URL (others through harness/paths.ts)', () => {
    // dist/ is one directory deeper than the sources: `new URL('../../scenarios/', import.meta.url)` in
    // harness/commands/ finds scenarios/ from the sources and dist/scenarios/ (nothing) from dist/.
    const compiled: string[] = [];
    const walk = (d: string) => {
      for (const e of readdirSync(join(root, d), { withFileTypes: true })) {
        if (e.isDirectory()) walk(`${d}/${e.name}`);
        // A .js file without a .ts source is an asset copied as it is (harness/report/html/*.js: the report page's script).
        else if (e.name.endsWith('.js')) {
          const source = `${d}/${e.name}`.replace(/^dist\//, '').replace(/\.js$/, '.ts');
          if (existsSync(join(ROOT, source)) || !existsSync(join(ROOT, source.replace(/\.ts$/, '.js')))) compiled.push(source);
        }
      }
    };
    walk('dist');
    expect(compiled).toContain('harness/cli.ts');
    const outside: string[] = [];
    for (const f of compiled) {
      const text = readFileSync(join(ROOT, f), 'utf8');
      for (const m of text.matchAll(/new URL\(\s*[`'"]([^`'"$]+)[`'"$]?[^)]*import\.meta\.url/g)) {
        const target = relative(ROOT, resolve(dirname(join(ROOT, f)), m[1]));
        if (!/^(harness|implementations|vectors)([/\\]|$)/.test(target)) outside.push(`${f}: ${m[1]} -> ${target}`);
      }
    }
    expect(outside).toEqual([]);
  });

  it('falls back to the sources when a source is touched, and back to dist/ once it is as built', () => {
    const f = join(root, 'harness/errors.ts');
    setMtime(f, T + 60);
    const stale = bin(['validate', scenario]);
    expect(stale.which).toBe('tls-harness: running the TypeScript sources through tsx: harness/errors.ts changed since the build');
    expect(stale.code).toBe(0);
    setMtime(f, T);
    expect(bin(['--help']).which).toBe(DIST);
  }, 60_000);

  it('falls back to the sources when the stamp does not match or is missing', () => {
    const stampFile = join(root, STAMP_FILE);
    const good = readFileSync(stampFile, 'utf8');
    const stamp = JSON.parse(good);
    stamp.sources['harness/cli.ts'] = '0:0';
    writeFileSync(stampFile, JSON.stringify(stamp));
    const r = bin(['run', '--help']);
    expect(r.which).toBe('tls-harness: running the TypeScript sources through tsx: harness/cli.ts changed since the build');
    expect(r.out).toMatch(/--report-dir <value>/);
    rmSync(stampFile);
    expect(bin(['--help']).which).toMatch(/through tsx: no build/);
    writeFileSync(stampFile, good);
    expect(bin(['--help']).which).toBe(DIST);
  }, 60_000);
});
