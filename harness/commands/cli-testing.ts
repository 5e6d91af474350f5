/** Test helpers for the CLI commands (not a test file). */
import { spawn, type SpawnOptions } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const BIN = fileURLToPath(new URL('../../bin/tls-harness.js', import.meta.url));

/**
 * Starts `tls-harness ARGS`, sends SIGINT once its stdout shows a finished case (a PASS line), and resolves
 * with its exit code and stdout.
 */
export async function interruptAfterFirstPass(args: string[], opts: SpawnOptions = {}): Promise<{ code: number | null; stdout: string }> {
  const child = spawn(process.execPath, [BIN, ...args], { ...opts, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  child.stdout!.on('data', (d) => (stdout += d));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
  await new Promise<void>((resolve) => {
    const check = setInterval(() => {
      if (/PASS/.test(stdout)) {
        clearInterval(check);
        resolve();
      }
    }, 50);
    void exited.then(() => {
      clearInterval(check);
      resolve();
    });
  });
  child.kill('SIGINT');
  return { code: await exited, stdout };
}
