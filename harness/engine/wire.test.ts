/** The Wire's reading and writing against a real peer process on 127.0.0.1. */
import { afterEach, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { connect } from 'node:net';
import { Wire } from './wire.ts';

/**
 * A peer process that reads the first 6 bytes the harness sends, answers with a fatal alert and exits: its
 * socket closes with the harness's later bytes unread, so the kernel resets the connection (as a TLS
 * client that aborts on the ServerHello does, with the rest of the server's flight still unread).
 */
const PEER = `
const net = require('net');
const srv = net.createServer((s) => {
  s.pause();
  s.once('readable', () => { s.read(6); s.write(Buffer.from([0x15, 3, 3, 0, 2, 2, 0x28]), () => process.exit(0)); });
});
srv.listen(0, '127.0.0.1', () => console.log(srv.address().port));`;

let child: ChildProcess | undefined;
afterEach(() => void child?.kill('SIGKILL'));

function busy(ms: number): void {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    /* the harness building and signing its next message */
  }
}

describe('Wire', () => {
  it.each([0, 10, 30])(
    'the alert of a peer that aborts and resets is read, although the harness writes on for %i ms of work',
    async (gap) => {
      child = spawn(process.execPath, ['-e', PEER], { stdio: ['ignore', 'pipe', 'inherit'] });
      const port = await new Promise<number>((resolve) => child!.stdout!.once('data', (d) => resolve(Number(String(d).trim()))));
      const sock = connect(port, '127.0.0.1');
      await new Promise<void>((resolve) => sock.once('connect', resolve));
      const wire = new Wire(sock);
      // A server flight in several writes, with work between them: the alert and the reset arrive meanwhile.
      await wire.write(Uint8Array.of(0x16, 3, 3, 0, 1, 0));
      await wire.write(new Uint8Array(900).fill(1));
      busy(gap);
      await wire.write(new Uint8Array(150).fill(2));
      busy(gap);
      await wire.write(new Uint8Array(9).fill(3));
      // Without reading before each write, Node destroys the socket on the failed write and the alert,
      // still in the kernel's buffer, is lost: the case would report a reset instead of the alert.
      expect(await wire.read(Date.now() + 2000)).toEqual({ kind: 'data', bytes: Uint8Array.of(0x15, 3, 3, 0, 2, 2, 0x28) });
      wire.destroy();
    },
    10_000,
  );
});
