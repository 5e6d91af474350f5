/**
 * Listening ports for tests and local endpoints: 127.0.0.1, below 32768. The ephemeral range (32768-60999
 * here) is left alone: a port in TIME_WAIT as someone's ephemeral port can refuse a later bind (servers that
 * set no SO_REUSEADDR, such as bssl-tool, fail on it), and outgoing connections draw from it.
 */
import type { Server } from 'node:net';

export const LOW_PORT_MIN = 20000;
export const LOW_PORT_MAX = 32767;

/** A random port in the low range; `listenOnLowPort` retries when it is taken. */
export function randomLowPort(): number {
  return LOW_PORT_MIN + Math.floor(Math.random() * (LOW_PORT_MAX - LOW_PORT_MIN + 1));
}

/** Listen on 127.0.0.1 (or `host`) at a free port below 32768; resolves with the port. */
export async function listenOnLowPort(server: Server, host = '127.0.0.1', attempts = 50): Promise<number> {
  for (let i = 0; ; i++) {
    const port = randomLowPort();
    try {
      await new Promise<void>((resolve, reject) => {
        const onError = (e: Error) => {
          server.off('listening', onListening);
          reject(e);
        };
        const onListening = () => {
          server.off('error', onError);
          resolve();
        };
        server.once('error', onError);
        server.once('listening', onListening);
        server.listen(port, host);
      });
      return port;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EADDRINUSE' || i >= attempts) throw e;
    }
  }
}
