/** The Wire's reading and writing against a real peer process on 127.0.0.1. */
import { afterEach, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { connect } from 'node:net';
import { RecordHeaderScan, Wire } from './wire.ts';

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

describe('RecordHeaderScan: the versions of the target records (rec14)', () => {
  const rec = (type: number, version: number, body: number[] = [1, 2, 3]) => Uint8Array.from([type, version >> 8, version & 0xff, 0, body.length, ...body]);

  it('RFC 8446 5.1: a TLS 1.3 protected record (application_data) of version 0x0301 is found, with its index', () => {
    const scan = new RecordHeaderScan({ records: 0 }, true);
    scan.push(rec(22, 0x0301));
    scan.push(rec(23, 0x0303));
    expect(scan.badVersion).toBeUndefined();
    scan.push(Uint8Array.from([...rec(23, 0x0301).subarray(0, 2)]));
    scan.push(Uint8Array.from([...rec(23, 0x0301).subarray(2)]));
    expect(scan.badVersion).toBe("a protected record (record 3 of the target's) with legacy_record_version 0x0301, not 0x0303");
    expect(scan.notTls).toBeUndefined();
    expect(scan.count.records).toBe(3);
  });

  it('only the first is kept; plaintext records (an initial ClientHello of 0x0301, an alert) are not judged', () => {
    const scan = new RecordHeaderScan({ records: 0 }, true);
    scan.push(rec(22, 0x0301));
    scan.push(rec(21, 0x0301, [2, 40]));
    expect(scan.badVersion).toBeUndefined();
    scan.push(rec(23, 0x0304));
    scan.push(rec(23, 0x0300));
    expect(scan.badVersion).toMatch(/0x0304/);
  });

  it('not for a TLS 1.2 conversation (a TLS 1.0 server writes its records with 0x0301)', () => {
    const scan = new RecordHeaderScan();
    scan.push(rec(23, 0x0301));
    expect(scan.badVersion).toBeUndefined();
  });

  it('RFC 8446 D.5: a version below 0x0300 is no TLS record at all', () => {
    const scan = new RecordHeaderScan({ records: 0 }, true);
    scan.push(rec(23, 0x0202));
    expect(scan.badVersion).toBeUndefined();
    expect(scan.notTls).toMatch(/not a TLS record header/);
  });
});

describe('RecordHeaderScan: the versions of the target handshake records (rec14, RFC 8446 5.1)', () => {
  const rec = (type: number, version: number) => Uint8Array.from([type, version >> 8, version & 0xff, 0, 1, 0]);

  it('from the index given on, each handshake record must have 0x0303; those seen before the call are judged too', () => {
    const scan = new RecordHeaderScan({ records: 0 }, true);
    scan.push(rec(22, 0x0301)); // an initial ClientHello: 0x0301 allowed
    scan.requireHandshakeVersion(1, 'after the initial ClientHello');
    expect(scan.badVersion).toBeUndefined();
    scan.push(rec(20, 0x0301)); // change_cipher_spec: not judged here
    scan.push(rec(22, 0x0303));
    expect(scan.badVersion).toBeUndefined();
    scan.push(rec(22, 0x0301));
    expect(scan.badVersion).toBe("handshake record 3 of the target's (after the initial ClientHello) has legacy_record_version 0x0301, not 0x0303");
    expect(scan.handshakeVersions).toEqual([0x0301, 0x0303, 0x0301]);
  });

  it('a ServerHello already read in a 0x0301 record fails when the requirement comes; only the first call counts', () => {
    const scan = new RecordHeaderScan({ records: 0 }, true);
    scan.push(rec(22, 0x0301));
    scan.requireHandshakeVersion(0, 'ServerHello or HelloRetryRequest');
    expect(scan.badVersion).toMatch(/^handshake record 1 of the target's \(ServerHello or HelloRetryRequest\) has legacy_record_version 0x0301/);
    const ok = new RecordHeaderScan({ records: 0 }, true);
    ok.push(rec(22, 0x0301));
    ok.requireHandshakeVersion(1, 'first');
    ok.requireHandshakeVersion(0, 'second, ignored');
    expect(ok.badVersion).toBeUndefined();
  });

  it('without the requirement nothing is judged (a TLS 1.0 ServerHello, an older server)', () => {
    const scan = new RecordHeaderScan({ records: 0 }, true);
    scan.push(rec(22, 0x0301));
    scan.push(rec(22, 0x0302));
    expect(scan.badVersion).toBeUndefined();
  });
});
