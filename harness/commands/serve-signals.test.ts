/**
 * Stopping the command a user started stops the server (issue 11): `npx tls-harness serve` runs the CLI
 * under `npm exec` and `sh -c`; a SIGTERM to those kills the shell without passing the signal on. The CLI
 * (bin/tls-harness.js), when started by npm, takes the loss of its parent as SIGTERM.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { TEST_PKI } from '../../implementations/reference/connection/testing.ts';
import { pidAlive } from '../targets/processes.ts';

const bin = fileURLToPath(new URL('../../bin/tls-harness.js', import.meta.url));

async function serveUnderShell(env: Record<string, string>): Promise<{ shell: number; node: number }> {
  const cmd = `"${process.execPath}" "${bin}" serve --port 0 --cert "${TEST_PKI.path('server-p256.pem')}" --key "${TEST_PKI.path('server-p256.key')}" & echo "pid $!"; wait`;
  const sh = spawn('sh', ['-c', cmd], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...withoutNpm(process.env), ...env } });
  let out = '';
  const node = await new Promise<number>((resolve, reject) => {
    let pid: number | undefined;
    const check = () => {
      pid ??= Number(/pid (\d+)/.exec(out)?.[1]) || undefined;
      if (pid && /listening on/.test(out)) resolve(pid);
    };
    sh.stdout.on('data', (d) => ((out += d), check()));
    sh.stderr.on('data', (d) => ((out += d), check()));
    sh.once('exit', () => reject(new Error(`the shell ended first: ${out}`)));
    setTimeout(() => reject(new Error(`serve did not start: ${out}`)), 15000);
  });
  return { shell: sh.pid!, node };
}

async function gone(pid: number, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (!pidAlive(pid)) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return !pidAlive(pid);
}

describe('serve started by npm (npx tls-harness serve)', () => {
  it('stops when the npm/shell wrapper it runs under is stopped with SIGTERM', async () => {
    const { shell, node } = await serveUnderShell({ npm_lifecycle_event: 'npx', npm_command: 'exec' });
    process.kill(shell, 'SIGTERM');
    const stopped = await gone(node, 5000);
    if (!stopped) process.kill(node, 'SIGKILL');
    expect(stopped).toBe(true);
  }, 30_000);
});

function withoutNpm(env: NodeJS.ProcessEnv): Record<string, string> {
  return Object.fromEntries(Object.entries(env).filter((e): e is [string, string] => e[1] !== undefined && e[0] !== 'npm_lifecycle_event' && e[0] !== 'npm_command'));
}
