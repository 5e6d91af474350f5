/**
 * Wire: what a target sent just before it reset the connection is still read. A TLS stack that aborts sends
 * its alert and closes; with bytes of the harness's still unread in its socket, the close is a TCP RST
 * (bssl-tool client does exactly this). If the harness, busy building its next message meanwhile, then writes
 * into the reset connection before it has read the alert, the refused write destroys the socket, and the
 * alert, already in the kernel's receive queue, was lost: "the target reset the connection" instead of it.
 */
import { afterEach, describe, expect, it } from 'vitest';
import net from 'node:net';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { Wire } from './wire.ts';

const ALERT = '15030300020246'; // fatal protocol_version

/** Blocks the event loop, as the harness does while it signs a ServerKeyExchange: nothing is read meanwhile. */
function busy(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/**
 * A target client in its own process (so it runs while this one is blocked): connects, sends a line, and at
 * the first bytes it gets sends `answer` (hex, may be empty) and resets the connection.
 */
function peer(port: number, answer: string): ChildProcess {
  const code = `const s = require('net').connect(${port}, '127.0.0.1', () => s.write('hello'));
    s.once('data', () => { s.pause(); s.write(Buffer.from('${answer}', 'hex'), () => s.resetAndDestroy()); });
    s.on('close', () => process.exit(0)); s.on('error', () => process.exit(0));`;
  return spawn(process.execPath, ['-e', code], { stdio: 'ignore' });
}

describe('Wire', () => {
  const cleanup: (() => void)[] = [];
  afterEach(() => {
    for (const c of cleanup.splice(0)) c();
  });

  async function connection(answer: string): Promise<{ wire: Wire; child: ChildProcess }> {
    const server = net.createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const accepted = once(server, 'connection');
    const child = peer((server.address() as net.AddressInfo).port, answer);
    cleanup.push(() => {
      child.kill();
      server.close();
    });
    const [sock] = (await accepted) as [net.Socket];
    cleanup.push(() => sock.destroy());
    const wire = new Wire(sock);
    const hello = await wire.read(Date.now() + 5000);
    expect(hello.kind).toBe('data');
    return { wire, child };
  }

  it('reads an alert sent just before a reset, when the harness writes into the reset connection first', async () => {
    const { wire, child } = await connection(ALERT);
    const exited = once(child, 'exit');
    await wire.write(Buffer.from('16030300040e000000', 'hex'));
    busy(400); // the peer answers and resets meanwhile
    await wire.write(Buffer.from('16030300040e000000', 'hex'));
    const first = await wire.read(Date.now() + 1000);
    expect(first.kind === 'data' ? Buffer.from(first.bytes).toString('hex') : first).toBe(ALERT);
    // Then the end of the connection (Linux reports a reset that came with unread data as EOF after the data).
    expect(['eof', 'reset']).toContain((await wire.read(Date.now() + 1000)).kind);
    await exited;
  });

  it('still reports a reset with nothing before it as a reset', async () => {
    const { wire } = await connection('');
    await wire.write(Buffer.from('16030300040e000000', 'hex'));
    busy(400);
    await wire.write(Buffer.from('16030300040e000000', 'hex'));
    expect(await wire.read(Date.now() + 1000)).toMatchObject({ kind: 'reset' });
  });
});
