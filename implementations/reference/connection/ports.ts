/**
 * Listening ports for tests and local endpoints: 127.0.0.1, below 32768. The ephemeral range (32768-60999
 * here) is left alone: a port in TIME_WAIT as someone's ephemeral port can refuse a later bind (servers that
 * set no SO_REUSEADDR, such as bssl-tool, fail on it), and outgoing connections draw from it.
 */
import type { Server } from 'node:net';

export const LOW_PORT_MIN = 20000;
export const LOW_PORT_MAX = 32767;

export interface PortRange {
  min: number;
  max: number;
}

/** The range ports are drawn from: 20000-32767 unless `run --ports` (setPortRange) confines it. */
let range: PortRange = { min: LOW_PORT_MIN, max: LOW_PORT_MAX };

/** Confine every port the process listens on from now on (`run --ports 20000-20999`); undefined: the default. */
export function setPortRange(r: PortRange | undefined): void {
  range = r ? { ...r } : { min: LOW_PORT_MIN, max: LOW_PORT_MAX };
}

export function portRange(): PortRange {
  return range;
}

/** A random port in the low range (or the one set by setPortRange); `listenOnLowPort` retries when it is taken. */
export function randomLowPort(r: PortRange = range): number {
  return r.min + Math.floor(Math.random() * (r.max - r.min + 1));
}

/** Listen on 127.0.0.1 (or `host`) at a free port below 32768; resolves with the port. */
export async function listenOnLowPort(server: Server, host = '127.0.0.1', attempts = 50): Promise<number> {
  // A small range is tried port by port, so that a nearly full one still finds its free port.
  attempts = Math.max(attempts, Math.min(1000, 2 * (range.max - range.min + 1)));
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
      if ((e as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw e;
      if (i >= attempts) throw Object.assign(new Error(`no free port to listen on in ${range.min}-${range.max} (all in use)`), { code: 'EADDRINUSE' });
    }
  }
}
