#!/usr/bin/env node
// Runs the TypeScript sources directly through tsx, so `npx tls-harness` works right after `npm ci`
// with no build step and never runs stale output. tsx is registered in this process (no child process:
// signals sent to this process reach the command itself).
import { register } from 'tsx/esm/api';

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

register();
const { main } = await import('../harness/cli.ts');
process.exitCode = await main(process.argv.slice(2));
