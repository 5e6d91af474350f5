#!/usr/bin/env node
// Compiles the TypeScript that `tls-harness` runs into dist/ (tsconfig.build.json), so the bin starts
// without loading TypeScript: `npm run build`, and `npm ci` / `npm install` through the prepare script.
//
//   node bin/build.js          build; exit 1 when it cannot
//   node bin/build.js --soft   the same, but a build that cannot be made (no TypeScript installed, as
//                              with `npm ci --omit=dev`) is a warning, exit 0: the bin then runs the
//                              sources through tsx, which is only slower
//
// dist/ mirrors the source tree: dist/harness/cli.js for harness/cli.ts, and for every other file under
// harness/, implementations/ and vectors/ (certificates, vector JSON, schemas) a symbolic link to it, so
// paths relative to a module's own file still find them. dist/harness/commands.json holds every command's
// name, summary, usage and options (for --help without importing the commands). dist/stamp.json is
// written last and records the sources as read before compiling; bin/build-state.js compares it with
// the sources at every start, and any difference runs the sources instead (never a stale build).
import { spawnSync } from 'node:child_process';
import { mkdirSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { STAMP_FILE, STAMP_FORMAT, sourceState } from './build-state.js';

const soft = process.argv.includes('--soft');
const root = fileURLToPath(new URL('..', import.meta.url));
const dist = join(root, 'dist');

class BuildError extends Error {}

async function build() {
  const sources = sourceState(root);
  let tsc;
  try {
    tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  } catch {
    throw new BuildError('TypeScript is not installed (a devDependency)');
  }
  rmSync(dist, { recursive: true, force: true });
  const r = spawnSync(process.execPath, [tsc, '-p', join(root, 'tsconfig.build.json')], { stdio: 'inherit' });
  if (r.status !== 0) throw new BuildError(`tsc -p tsconfig.build.json failed (${r.error?.message ?? `exit ${r.status ?? r.signal}`})`);
  for (const [p, v] of Object.entries(sources)) {
    if (v !== '') continue; // TypeScript and build files: compiled or not needed
    const link = join(dist, p);
    mkdirSync(dirname(link), { recursive: true });
    symlinkSync(relative(dirname(link), join(root, p)), link);
  }
  const cli = await import(pathToFileURL(join(dist, 'harness', 'cli.js')).href);
  const specs = (await cli.loadCommands()).map(cli.specOf);
  writeFileSync(join(dist, 'harness', cli.SPECS_FILE), JSON.stringify(specs, null, 1) + '\n');
  const stamp = join(root, STAMP_FILE);
  writeFileSync(`${stamp}.tmp`, JSON.stringify({ format: STAMP_FORMAT, built: new Date().toISOString(), sources }, null, 1) + '\n');
  renameSync(`${stamp}.tmp`, stamp);
}

try {
  await build();
  process.stdout.write('tls-harness: built dist/\n');
  process.exit(0);
} catch (e) {
  const line = e instanceof BuildError ? e.message : (e?.stack ?? String(e));
  rmSync(join(root, STAMP_FILE), { force: true });
  if (soft) {
    process.stderr.write(`tls-harness: no compiled build (${line.split('\n')[0]}); the bin runs the TypeScript sources through tsx (slower start)\n`);
    process.exit(0);
  }
  process.stderr.write(`tls-harness: build failed: ${line}\n`);
  process.exit(1);
}
