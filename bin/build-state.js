// Whether dist/ (the compiled copy bin/build.js writes) was built from the sources as they are now.
// Plain JavaScript without dependencies: bin/tls-harness.js runs this before it knows whether it can
// load TypeScript, on every start, so it only stats files (measured: a few milliseconds for the ~250
// files; see bin/build.test.ts for what counts as a change).
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

/** Bumped when the stamp or the layout of dist/ changes: a stamp of another format is not trusted. */
export const STAMP_FORMAT = 1;
export const STAMP_FILE = 'dist/stamp.json';
/** Directories whose TypeScript (and data files) end up in dist/. */
export const SOURCE_DIRS = ['harness', 'implementations', 'vectors'];
/**
 * What `tls-harness install` builds into the target folders (git-ignored: compiled wrappers, build trees,
 * Cargo.lock): not part of dist/, so their coming and going does not make the build stale. (Counting them made
 * every command after `install --all` run the sources through tsx.)
 */
export const INSTALL_OUTPUTS = /^implementations\/targets\/[^/]+\/(bin|build|Cargo\.lock)$/;
/** Files that change what the build writes. */
export const BUILD_FILES = ['package.json', 'tsconfig.json', 'tsconfig.build.json', 'bin/build.js', 'bin/build-state.js'];

/**
 * The sources as the build sees them: path -> "mtimeMs:size" for every TypeScript file (tests excepted:
 * the build does not compile them) and build file; path -> "" for every other file under SOURCE_DIRS
 * (dist/ links to those, so only their presence matters).
 */
export function sourceState(root) {
  const state = {};
  const stamp = (p) => {
    try {
      const st = statSync(join(root, p));
      return `${st.mtimeMs}:${st.size}`;
    } catch {
      return 'missing';
    }
  };
  for (const f of BUILD_FILES) state[f] = stamp(f);
  const walk = (rel) => {
    let entries;
    try {
      entries = readdirSync(join(root, rel), { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      const p = `${rel}/${e.name}`;
      if (INSTALL_OUTPUTS.test(p)) continue;
      if (e.isDirectory()) {
        if (e.name !== 'node_modules') walk(p);
      } else if (e.name.endsWith('.test.ts')) continue;
      else state[p] = e.name.endsWith('.ts') ? stamp(p) : '';
    }
  };
  for (const d of SOURCE_DIRS) walk(d);
  return state;
}

/**
 * { fresh: true } when dist/ holds a complete build (the stamp is written last) of exactly the current
 * sources: same files, and every TypeScript file with the same modification time and size as when the
 * build read it. Otherwise { fresh: false, reason }. Any change, in either direction (an edit, a checkout,
 * a file copied back with its old time), makes it stale; the bin then runs the sources through tsx.
 */
export function checkBuild(root) {
  let stamp;
  try {
    stamp = JSON.parse(readFileSync(join(root, STAMP_FILE), 'utf8'));
  } catch {
    return { fresh: false, reason: 'no build (npm run build writes dist/)' };
  }
  if (stamp === null || typeof stamp !== 'object' || stamp.format !== STAMP_FORMAT || stamp.sources === null || typeof stamp.sources !== 'object') {
    return { fresh: false, reason: `${STAMP_FILE} is not a stamp of this version of the build` };
  }
  const now = sourceState(root);
  for (const [p, v] of Object.entries(now)) {
    if (!Object.hasOwn(stamp.sources, p)) return { fresh: false, reason: `${p} is newer than the build` };
    if (stamp.sources[p] !== v) return { fresh: false, reason: `${p} changed since the build` };
  }
  for (const p of Object.keys(stamp.sources)) if (!Object.hasOwn(now, p)) return { fresh: false, reason: `${p} is gone since the build` };
  return { fresh: true };
}
