/**
 * Wire: what the target sent before it reset the connection is read, even when the harness writes after
 * the reset (the write fails, and Node destroys the socket without reading what the kernel still holds).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { once } from 'node:events';
import { Wire } from './wire.ts';

// A fatal alert record: handshake_failure (RFC 5246 7.2 / RFC 8446 6).
const ALERT = Uint8Array.from([0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x28]);

let server: Server | undefined;
afterEach(() => {
  server?.close();
  server = undefined;
});

async function pair(onData: (s: Socket) => void): Promise<Wire> {
  server = createServer((s) => s.once('data', () => onData(s)));
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  const sock = connect(port, '127.0.0.1');
  await once(sock, 'connect');
  return new Wire(sock);
}

describe('Wire', () => {
  it('reads the alert a target sent before resetting, when the next write meets the reset', async () => {
    let gotFirst!: () => void;
    const first = new Promise<void>((r) => (gotFirst = r));
    const wire = await pair((s) => {
      // The target answers the first record with an alert and resets at once (a close with unread data).
      s.write(ALERT, () => {
        s.resetAndDestroy();
        gotFirst();
      });
    });
    expect(await wire.write(Uint8Array.from([0x16, 0x03, 0x01, 0x00, 0x01, 0x01]))).toBeUndefined();
    await first;
    // Straight on, as the engine does after its next message is built: no read has happened yet.
    await wire.write(Uint8Array.from([0x16, 0x03, 0x03, 0x00, 0x01, 0x0e]));
    const r = await wire.read(Date.now() + 1000);
    expect(r.kind).toBe('data');
    expect(r.kind === 'data' && Buffer.from(r.bytes).equals(Buffer.from(ALERT))).toBe(true);
    const after = await wire.read(Date.now() + 1000);
    expect(['reset', 'eof']).toContain(after.kind);
    wire.destroy();
  });
});
