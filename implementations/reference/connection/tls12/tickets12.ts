/**
 * TLS 1.2 session tickets (RFC 5077 4, the recommended format in spirit): the server's session state sealed
 * with an AEAD under a key derived from the config's ticketKey, so the server keeps nothing per session. The
 * key is not the TLS 1.3 ticket key itself (HMAC(ticketKey, label)), so a ticket of one version never opens
 * as the other's.
 */
import { Reader } from '../../codec/reader.ts';
import { Writer } from '../../codec/writer.ts';
import { DecodeError } from '../../codec/errors.ts';
import type { CryptoProvider } from '../../crypto/provider.ts';
import type { ServerSession12 } from '../config.ts';

const NONCE = 12;
const LABEL = new TextEncoder().encode('tls-harness TLS 1.2 session ticket');

function ticketKey12(provider: CryptoProvider, key: Uint8Array): Uint8Array {
  return provider.hmac('sha256', key, LABEL);
}

export function sealTicket12(provider: CryptoProvider, key: Uint8Array, s: ServerSession12, nonce: Uint8Array): Uint8Array {
  const enc = new TextEncoder();
  const w = new Writer('Tls12TicketState');
  w.opaque('master_secret', 1, s.masterSecret)
    .u16(s.cipherSuite)
    .u8(s.extendedMasterSecret ? 1 : 0)
    .u32(Math.floor(s.createdAt / 2 ** 32))
    .u32(s.createdAt >>> 0)
    .u32(s.lifetimeSeconds)
    .opaque('alpn', 1, enc.encode(s.alpn))
    .opaque('server_name', 2, enc.encode(s.serverName));
  const sealed = provider.aead('chacha20-poly1305', ticketKey12(provider, key)).seal(nonce, w.finish(), new Uint8Array(0));
  const out = new Uint8Array(NONCE + sealed.length);
  out.set(nonce);
  out.set(sealed, NONCE);
  return out;
}

/** The session in a ticket we issued, or undefined for anything else (forged, corrupt, foreign). */
export function openTicket12(provider: CryptoProvider, key: Uint8Array, ticket: Uint8Array): ServerSession12 | undefined {
  if (ticket.length < NONCE + 16) return undefined;
  const plain = provider.aead('chacha20-poly1305', ticketKey12(provider, key)).open(ticket.subarray(0, NONCE), ticket.subarray(NONCE), new Uint8Array(0));
  if (!plain) return undefined;
  const dec = new TextDecoder();
  try {
    const r = Reader.of(plain, 'Tls12TicketState');
    const masterSecret = r.opaque('master_secret', 1, 48, 48);
    const cipherSuite = r.u16();
    const extendedMasterSecret = r.u8() === 1;
    const createdAt = r.u32() * 2 ** 32 + r.u32();
    const lifetimeSeconds = r.u32();
    const alpn = dec.decode(r.opaque('alpn', 1, 0, 255));
    const serverName = dec.decode(r.opaque('server_name', 2, 0, 0xffff));
    r.end();
    return { masterSecret, cipherSuite, extendedMasterSecret, createdAt, lifetimeSeconds, alpn, serverName };
  } catch (e) {
    if (e instanceof DecodeError) return undefined;
    throw e;
  }
}
