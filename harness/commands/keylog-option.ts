/**
 * `--keylog FILE` of serve and connect (issue 16): every secret of every connection appended to FILE in the NSS
 * key log format (SSLKEYLOGFILE), so Wireshark and tshark decrypt a capture of the conversation. Without the
 * flag, the SSLKEYLOGFILE environment variable names the file, as in OpenSSL, NSS, curl and browsers.
 */
import { closeSync, openSync, writeSync } from 'node:fs';
import { UsageError } from '../errors.ts';

export const keylogOption = {
  type: 'string' as const,
  description: 'append the TLS secrets to FILE in the SSLKEYLOGFILE format, for Wireshark (default: $SSLKEYLOGFILE when set)',
};

/** The sink for EndpointConfig.keyLog (undefined without --keylog or SSLKEYLOGFILE); a file that cannot be opened is a usage error. */
export function keyLogSink(cmd: string, value: unknown, env: NodeJS.ProcessEnv = process.env): ((line: string) => void) | undefined {
  const file = value !== undefined ? String(value) : env.SSLKEYLOGFILE || undefined;
  if (file === undefined) return undefined;
  let fd: number;
  try {
    fd = openSync(file, 'a', 0o600);
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    throw new UsageError(`${cmd}: ${value !== undefined ? '--keylog' : 'SSLKEYLOGFILE'} ${file}: cannot write it (${err.code ?? err.message})`);
  }
  process.once('exit', () => closeSync(fd));
  // One write per line, appended: lines of concurrent connections never interleave, and a reader sees each whole.
  return (line) => void writeSync(fd, `${line}\n`);
}
