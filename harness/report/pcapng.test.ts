import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pcapng, type TcpConversation } from './pcapng.ts';
import { TlsClient } from '../../implementations/reference/connection/client.ts';
import { TlsServer } from '../../implementations/reference/connection/server.ts';
import { makeConfig } from '../../implementations/reference/connection/config.ts';
import { TEST_PKI } from '../../implementations/reference/connection/testing.ts';
import type { Endpoint } from '../../implementations/reference/connection/endpoint.ts';

interface Block {
  type: number;
  body: Uint8Array;
}

/** The blocks of a pcapng file (little-endian), with their lengths checked. */
function blocks(file: Uint8Array): Block[] {
  const v = new DataView(file.buffer, file.byteOffset, file.byteLength);
  const out: Block[] = [];
  for (let off = 0; off < file.length; ) {
    const type = v.getUint32(off, true);
    const len = v.getUint32(off + 4, true);
    expect(len % 4).toBe(0);
    expect(v.getUint32(off + len - 4, true)).toBe(len);
    out.push({ type, body: file.subarray(off + 8, off + len - 4) });
    off += len;
  }
  return out;
}

function sum16(...parts: Uint8Array[]): number {
  let s = 0;
  for (const p of parts) for (let i = 0; i < p.length; i += 2) s += (p[i] << 8) | (i + 1 < p.length ? p[i + 1] : 0);
  while (s > 0xffff) s = (s & 0xffff) + (s >>> 16);
  return s;
}

/** The TCP segments of the Enhanced Packet Blocks: ports, flags, sequence number, payload; checksums verified. */
function segments(file: Uint8Array) {
  return blocks(file)
    .filter((b) => b.type === 6)
    .map((b) => {
      const v = new DataView(b.body.buffer, b.body.byteOffset, b.body.byteLength);
      const caplen = v.getUint32(12, true);
      const pkt = b.body.subarray(20, 20 + caplen);
      const ip = pkt.subarray(0, 20);
      const tcp = pkt.subarray(20);
      expect(sum16(ip)).toBe(0xffff); // IPv4 header checksum
      const pseudo = Uint8Array.of(127, 0, 0, 1, 127, 0, 0, 1, 0, 6, tcp.length >> 8, tcp.length & 0xff);
      expect(sum16(pseudo, tcp)).toBe(0xffff); // TCP checksum
      const t = new DataView(tcp.buffer, tcp.byteOffset, tcp.byteLength);
      return { src: t.getUint16(0), dst: t.getUint16(2), seq: t.getUint32(4), flags: tcp[13], payload: tcp.subarray(20) };
    });
}

describe('pcapng', () => {
  const conv: TcpConversation = {
    clientPort: 50000,
    serverPort: 4433,
    start: 1_700_000_000_000,
    segments: [
      { t: 1_700_000_000_001, from: 'client', data: Uint8Array.of(1, 2, 3) },
      { t: 1_700_000_000_002, from: 'server', data: new Uint8Array(40000).fill(7) },
      { t: 1_700_000_000_003, from: 'client', data: Uint8Array.of(4) },
    ],
    closes: [{ t: 1_700_000_000_004, from: 'server' }],
    comment: 'tls13-example',
  };

  it('writes a section, an interface, the key log and one IPv4/TCP packet per segment, checksums right', () => {
    const file = pcapng([conv], ['CLIENT_RANDOM 00 11']);
    const bs = blocks(file);
    expect(bs.map((b) => b.type).slice(0, 3)).toEqual([0x0a0d0d0a, 1, 0x0a]);
    expect(new TextDecoder().decode(bs[2].body.subarray(8, 8 + 20))).toBe('CLIENT_RANDOM 00 11\n');
    const segs = segments(file);
    // SYN, SYN-ACK, ACK, 3 bytes, 40000 bytes in three segments, 1 byte, FIN.
    expect(segs.map((s) => s.flags)).toEqual([0x02, 0x12, 0x10, 0x18, 0x18, 0x18, 0x18, 0x18, 0x11]);
    const stream = (port: number) => Buffer.concat(segs.filter((s) => s.src === port).map((s) => s.payload));
    expect([...stream(50000)]).toEqual([1, 2, 3, 4]);
    expect(stream(4433).equals(Buffer.alloc(40000, 7))).toBe(true);
    // Sequence numbers follow the bytes (and the SYN's one).
    const server = segs.filter((s) => s.src === 4433);
    expect(server[2].seq - server[1].seq).toBe(16384);
    expect(server[1].seq - server[0].seq).toBe(1);
  });

  it('tshark reads a recorded reference handshake and decrypts it with the key log in the file', () => {
    if (spawnSync('tshark', ['--version']).status !== 0) {
      console.log('skipped: tshark is not installed (apt-get install tshark)');
      return;
    }
    // A TLS 1.3 handshake and application data between the reference client and server, every write recorded.
    const keyLog: string[] = [];
    const c = new TlsClient(makeConfig({ serverName: 'localhost', trustRoots: TEST_PKI.ca(), keyLog: (l) => keyLog.push(l) }));
    const s = new TlsServer(makeConfig({ certificates: [TEST_PKI.p256()] }));
    const segs: TcpConversation['segments'] = [];
    let t = 1_700_000_000_000;
    const move = (from: Endpoint, to: Endpoint, side: 'client' | 'server') => {
      const out = from.takeOutput();
      if (out.length === 0) return false;
      segs.push({ t: ++t, from: side, data: out });
      to.receive(out);
      return true;
    };
    c.start();
    for (let i = 0; i < 10 && (move(c, s, 'client') || move(s, c, 'server')); i++);
    c.write(new TextEncoder().encode('GET / HTTP/1.0\r\n\r\n'));
    move(c, s, 'client');
    expect(c.state).toBe('connected');
    const dir = mkdtempSync(join(tmpdir(), 'pcap-'));
    const file = join(dir, 'case.pcapng');
    writeFileSync(file, pcapng([{ clientPort: 50001, serverPort: 4433, start: 1_700_000_000_000, segments: segs, comment: 'case' }], keyLog));
    const r = spawnSync('tshark', ['-r', file, '-d', 'tcp.port==4433,tls', '-T', 'fields', '-e', 'tls.handshake.type', '-e', 'http.request.method'], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    const fields = r.stdout.split('\n').join(',');
    // ClientHello (1), ServerHello (2), and, decrypted: EncryptedExtensions (8), Certificate (11), CertificateVerify (15), Finished (20).
    for (const type of ['1', '2', '8', '11', '15', '20']) expect(fields.split(/[,\s]+/)).toContain(type);
    expect(fields).toContain('GET');
  });
});
