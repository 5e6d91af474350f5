#!/usr/bin/env node
// Runs the compiled copy in dist/ when it was built from exactly the current sources (bin/build.js,
// run by `npm ci` / `npm install` through the prepare script; checked by bin/build-state.js at every
// start), and the TypeScript sources through tsx otherwise: so `npx tls-harness` works right after
// `npm ci`, starts without loading TypeScript, and never runs a stale build. Either way the command runs
// in this process (no child process: signals sent to this process reach the command itself).
//
//   TLS_HARNESS_FROM_SOURCE=1  always run the sources through tsx
//   TLS_HARNESS_SHOW_BUILD=1   say on stderr which one runs, and why the sources if so
import { fileURLToPath } from 'node:url';
import { checkBuild } from './build-state.js';

// `npx tls-harness ...` runs this through `npm exec` and `sh -c`: stopping npx (kill PID, a supervisor's
// SIGTERM) signals the shell, which dies without passing the signal on, and this process would go on
// alone (a `serve` still listening, a `run` still driving its targets). So when started by npm, a parent
// that goes away is taken as SIGTERM: the command stops as it does on SIGTERM (serve closes its
// connections, run writes its report and stops its target processes).
if (process.env.npm_lifecycle_event !== undefined || process.env.npm_command !== undefined) {
  const parent = process.ppid;
  const watch = setInterval(() => {
    if (process.ppid === parent) return;
    clearInterval(watch);
    process.kill(process.pid, 'SIGTERM');
  }, 250);
  watch.unref();
}

const root = fileURLToPath(new URL('..', import.meta.url));
const build = process.env.TLS_HARNESS_FROM_SOURCE ? { fresh: false, reason: 'TLS_HARNESS_FROM_SOURCE is set' } : checkBuild(root);
const show = (line) => {
  if (process.env.TLS_HARNESS_SHOW_BUILD) process.stderr.write(`tls-harness: ${line}\n`);
};

let main;
if (build.fresh) {
  show('running the compiled build in dist/');
  ({ main } = await import('../dist/harness/cli.js'));
} else {
  show(`running the TypeScript sources through tsx: ${build.reason}`);
  const { register } = await import('tsx/esm/api');
  register();
  ({ main } = await import('../harness/cli.ts'));
}
process.exitCode = await main(process.argv.slice(2));
