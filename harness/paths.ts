/**
 * The package root: where package.json, scenarios/, reports/, rfc/ and implementations/targets/ live.
 * This module runs either from the TypeScript sources (harness/paths.ts, through tsx) or from the compiled
 * copy (dist/harness/paths.js, see bin/build.js), one directory deeper; paths to those files are taken
 * from here so that both give the same paths (and the same paths in messages and reports).
 */
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';

export const PACKAGE_ROOT = fileURLToPath(new URL(import.meta.url.endsWith('.js') ? '../../' : '../', import.meta.url));

/** `rel` (a path with `/` separators) under the package root, absolute. */
export function fromRoot(rel: string): string {
  return join(PACKAGE_ROOT, rel);
}
