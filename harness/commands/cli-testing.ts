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

/**
 * A scenario of six cases that take 700 ms each against Node's tls (the embedded reference would end its waits
 * at once: it proves it is idle), for tests that interrupt a run while it goes on.
 */
export const SLOW_SCENARIO = (id: string) => `id: ${id}
title: A case that takes a while
rfc: { doc: 8446, section: "4.1.2", level: must, sentences: [rfc8446-4.1.2-16], quote: "Servers MUST ignore unrecognized extensions." }
target: server
versions: [tls13]
matrix: { n: [1, 2, 3, 4, 5, 6] }
steps:
  - send: ClientHello
  - expect: [ServerHello, EncryptedExtensions, Certificate, CertificateVerify, Finished]
  - wait: 700
  - expect: { silence: 10 }
`;
