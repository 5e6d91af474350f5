/**
 * Server-side session tickets (RFC 8446 4.6.1): the resumption state sealed under a server key with an
 * AEAD, so the server keeps nothing per session. The ticket is opaque to the client.
 */
import { Reader } from '../codec/reader.ts';
import { Writer } from '../codec/writer.ts';
import { DecodeError } from '../codec/errors.ts';
import type { CryptoProvider } from '../crypto/provider.ts';

export interface TicketState {
  psk: Uint8Array;
  cipherSuite: number;
  /** ms since the epoch, by the server's clock, when the ticket was issued. */
  issuedAt: number;
  lifetimeSeconds: number;
  ageAdd: number;
  maxEarlyData: number;
  alpn: string;
}

const NONCE = 12;

export function sealTicket(provider: CryptoProvider, key: Uint8Array, state: TicketState, nonce: Uint8Array): Uint8Array {
  const w = new Writer('TicketState');
  w.opaque('psk', 1, state.psk)
    .u16(state.cipherSuite)
    .u32(Math.floor(state.issuedAt / 2 ** 32))
    .u32(state.issuedAt >>> 0)
    .u32(state.lifetimeSeconds)
    .u32(state.ageAdd)
    .u32(state.maxEarlyData)
    .opaque('alpn', 1, new TextEncoder().encode(state.alpn));
  const sealed = provider.aead('chacha20-poly1305', key).seal(nonce, w.finish(), new Uint8Array(0));
  const out = new Uint8Array(NONCE + sealed.length);
  out.set(nonce);
  out.set(sealed, NONCE);
  return out;
}

/** The state in a ticket we issued, or undefined for anything else (a forged, corrupt or foreign ticket). */
export function openTicket(provider: CryptoProvider, key: Uint8Array, ticket: Uint8Array): TicketState | undefined {
  if (ticket.length < NONCE + 16) return undefined;
  const plain = provider.aead('chacha20-poly1305', key).open(ticket.subarray(0, NONCE), ticket.subarray(NONCE), new Uint8Array(0));
  if (!plain) return undefined;
  try {
    const r = Reader.of(plain, 'TicketState');
    const psk = r.opaque('psk', 1, 0, 255);
    const cipherSuite = r.u16();
    const issuedAt = r.u32() * 2 ** 32 + r.u32();
    const state: TicketState = {
      psk,
      cipherSuite,
      issuedAt,
      lifetimeSeconds: r.u32(),
      ageAdd: r.u32(),
      maxEarlyData: r.u32(),
      alpn: new TextDecoder().decode(r.opaque('alpn', 1, 0, 255)),
    };
    r.end();
    return state;
  } catch (e) {
    if (e instanceof DecodeError) return undefined;
    throw e;
  }
}
