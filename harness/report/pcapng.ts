/**
 * Issue 16: packet captures of the harness's conversations that Wireshark and tshark open and decrypt. The
 * harness does not sniff the loopback (that needs privileges): it records the bytes each side wrote, in order,
 * and this module writes them as a pcapng file of IPv4/TCP packets (LINKTYPE_RAW), one TCP connection per
 * conversation with its real ports, a three-way handshake, data segments with consistent sequence numbers, and
 * the FIN of the side that closed. The TLS secrets go into the file itself, in a Decryption Secrets Block
 * (pcapng, "TLS Key Log"), so the capture decrypts without a separate key log; each connection's first packet
 * carries a comment (the case id). Format: draft-ietf-opsawg-pcapng (Section Header, Interface Description,
 * Decryption Secrets and Enhanced Packet Blocks), little-endian.
 */
import { concatBytes } from '../../implementations/reference/codec/bytes.ts';

export interface TcpSegment {
  /** When it was written, ms since the epoch (fractions kept to the microsecond). */
  t: number;
  from: 'client' | 'server';
  data: Uint8Array;
}

export interface TcpConversation {
  clientPort: number;
  serverPort: number;
  /** When the connection opened (the SYN), ms since the epoch. */
  start: number;
  segments: TcpSegment[];
  /** Who sent a FIN, in order, with when. */
  closes?: { t: number; from: 'client' | 'server' }[];
  /** A comment on the connection's first packet (Wireshark shows it as pkt_comment). */
  comment?: string;
}

const LINKTYPE_RAW = 101;
const MAX_SEGMENT = 16384;
const LOOPBACK = Uint8Array.of(127, 0, 0, 1);

/** A pcapng block: type, total length, body padded to 32 bits, total length again. */
function block(type: number, body: Uint8Array): Uint8Array {
  const padded = (body.length + 3) & ~3;
  const total = 12 + padded;
  const out = new Uint8Array(total);
  const v = new DataView(out.buffer);
  v.setUint32(0, type, true);
  v.setUint32(4, total, true);
  out.set(body, 8);
  v.setUint32(total - 4, total, true);
  return out;
}

const concat = (parts: readonly Uint8Array[]): Uint8Array => concatBytes(...parts);

/** An option: code, length, value padded to 32 bits. */
function option(code: number, value: Uint8Array): Uint8Array {
  const out = new Uint8Array(4 + ((value.length + 3) & ~3));
  const v = new DataView(out.buffer);
  v.setUint16(0, code, true);
  v.setUint16(2, value.length, true);
  out.set(value, 4);
  return out;
}
const END_OF_OPTIONS = new Uint8Array(4);

function sectionHeader(): Uint8Array {
  const body = new Uint8Array(16);
  const v = new DataView(body.buffer);
  v.setUint32(0, 0x1a2b3c4d, true); // byte-order magic
  v.setUint16(4, 1, true); // major
  v.setUint16(6, 0, true); // minor
  v.setBigInt64(8, -1n, true); // section length: unknown
  return block(0x0a0d0d0a, body);
}

function interfaceDescription(): Uint8Array {
  const head = new Uint8Array(8);
  const v = new DataView(head.buffer);
  v.setUint16(0, LINKTYPE_RAW, true);
  v.setUint32(4, 262144, true); // snaplen
  // if_tsresol 6: microseconds (the default, stated).
  return block(1, concat([head, option(9, Uint8Array.of(6)), END_OF_OPTIONS]));
}

/** The Decryption Secrets Block with the TLS key log (secrets type 0x544c534b, "TLSK"). */
function decryptionSecrets(keyLog: readonly string[]): Uint8Array {
  const text = new TextEncoder().encode(keyLog.map((l) => `${l}\n`).join(''));
  const head = new Uint8Array(8);
  const v = new DataView(head.buffer);
  v.setUint32(0, 0x544c534b, true);
  v.setUint32(4, text.length, true);
  const padded = new Uint8Array((text.length + 3) & ~3);
  padded.set(text);
  return block(0x0000000a, concat([head, padded]));
}

function enhancedPacket(tMs: number, packet: Uint8Array, comment?: string): Uint8Array {
  const head = new Uint8Array(20);
  const v = new DataView(head.buffer);
  const us = BigInt(Math.round(tMs * 1000));
  v.setUint32(0, 0, true); // interface 0
  v.setUint32(4, Number(us >> 32n), true);
  v.setUint32(8, Number(us & 0xffffffffn), true);
  v.setUint32(12, packet.length, true);
  v.setUint32(16, packet.length, true);
  const data = new Uint8Array((packet.length + 3) & ~3);
  data.set(packet);
  const opts = comment ? concat([option(1, new TextEncoder().encode(comment)), END_OF_OPTIONS]) : new Uint8Array(0);
  return block(6, concat([head, data, opts]));
}

/** The Internet checksum (RFC 1071) of these bytes. */
function checksum(...parts: Uint8Array[]): number {
  let sum = 0;
  for (const p of parts)
    for (let i = 0; i < p.length; i += 2) sum += (p[i] << 8) | (i + 1 < p.length ? p[i + 1] : 0);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

const FIN = 0x01;
const SYN = 0x02;
const PSH = 0x08;
const ACK = 0x10;

/** One IPv4 + TCP packet on 127.0.0.1 (both ends), checksums computed. */
function tcpPacket(src: number, dst: number, seq: number, ack: number, flags: number, payload: Uint8Array, id: number): Uint8Array {
  const tcp = new Uint8Array(20 + payload.length);
  const t = new DataView(tcp.buffer);
  t.setUint16(0, src);
  t.setUint16(2, dst);
  t.setUint32(4, seq >>> 0);
  t.setUint32(8, ack >>> 0);
  t.setUint8(12, 5 << 4); // data offset: 5 words
  t.setUint8(13, flags);
  t.setUint16(14, 65535); // window
  tcp.set(payload, 20);
  const pseudo = new Uint8Array(12);
  pseudo.set(LOOPBACK, 0);
  pseudo.set(LOOPBACK, 4);
  pseudo[9] = 6; // TCP
  new DataView(pseudo.buffer).setUint16(10, tcp.length);
  t.setUint16(16, checksum(pseudo, tcp));
  const ip = new Uint8Array(20);
  const v = new DataView(ip.buffer);
  v.setUint8(0, 0x45);
  v.setUint16(2, 20 + tcp.length);
  v.setUint16(4, id & 0xffff);
  v.setUint16(6, 0x4000); // don't fragment
  v.setUint8(8, 64); // TTL
  v.setUint8(9, 6);
  ip.set(LOOPBACK, 12);
  ip.set(LOOPBACK, 16);
  v.setUint16(10, checksum(ip));
  return concat([ip, tcp]);
}

/** The packets of one conversation, in time order, as Enhanced Packet Blocks. */
function conversationPackets(c: TcpConversation, ipId: { n: number }): Uint8Array[] {
  const ports = { client: c.clientPort, server: c.serverPort };
  // Initial sequence numbers, fixed per port so a capture is reproducible.
  const seq = { client: (c.clientPort * 7919) >>> 0, server: (c.serverPort * 104729 + 1) >>> 0 };
  const other = (s: 'client' | 'server') => (s === 'client' ? 'server' : 'client');
  const out: Uint8Array[] = [];
  const send = (t: number, from: 'client' | 'server', flags: number, payload: Uint8Array, comment?: string) => {
    const to = other(from);
    const ackNo = flags & ACK ? seq[to] : 0;
    out.push(enhancedPacket(t, tcpPacket(ports[from], ports[to], seq[from], ackNo, flags, payload, ipId.n++), comment));
    seq[from] = (seq[from] + payload.length + (flags & (SYN | FIN) ? 1 : 0)) >>> 0;
  };
  send(c.start, 'client', SYN, new Uint8Array(0), c.comment);
  send(c.start, 'server', SYN | ACK, new Uint8Array(0));
  send(c.start, 'client', ACK, new Uint8Array(0));
  const events = [
    ...c.segments.map((s) => ({ t: s.t, kind: 'data' as const, s })),
    ...(c.closes ?? []).map((x) => ({ t: x.t, kind: 'fin' as const, from: x.from })),
  ].sort((a, b) => a.t - b.t);
  for (const e of events) {
    if (e.kind === 'data') {
      for (let off = 0; off < e.s.data.length; off += MAX_SEGMENT) send(e.t, e.s.from, PSH | ACK, e.s.data.subarray(off, off + MAX_SEGMENT));
    } else send(e.t, e.from, FIN | ACK, new Uint8Array(0));
  }
  return out;
}

/** A pcapng file of these conversations, with the key log in it. */
export function pcapng(conversations: readonly TcpConversation[], keyLog: readonly string[] = []): Uint8Array {
  const ipId = { n: 1 };
  const packets = [...conversations].sort((a, b) => a.start - b.start).flatMap((c) => conversationPackets(c, ipId));
  return concat([sectionHeader(), interfaceDescription(), ...(keyLog.length > 0 ? [decryptionSecrets(keyLog)] : []), ...packets]);
}
