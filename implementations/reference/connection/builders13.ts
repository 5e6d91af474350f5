/**
 * Message builders shared by the reference TLS 1.3 client and the harness's scripted peer: the same
 * ClientHello and PSK binder, whoever sends them.
 */
import { isIP } from 'node:net';
import { ProtocolVersion } from '../codec/enums.ts';
import type { Extension, KeyShareEntry } from '../codec/extensions.ts';
import { encodeHandshake, type ClientHello } from '../codec/handshake.ts';
import type { CryptoProvider, KeyPair } from '../crypto/provider.ts';
import type { EndpointConfig, StoredTicket } from './config.ts';
import { Tls13Suite } from './tls13.ts';
import type { Transcript } from './transcript.ts';

export interface ClientHelloInputs {
  /** Our key shares, by group, in the order sent. */
  keyShares: ReadonlyMap<number, KeyPair>;
  sessionId: Uint8Array;
  random: Uint8Array;
  /** The HelloRetryRequest cookie to echo (RFC 8446 4.2.2). */
  cookie?: Uint8Array;
  /** Offer 0-RTT (RFC 8446 4.2.10). */
  earlyData: boolean;
  /** The ticket to offer; its binder is a placeholder until fillPskBinder. */
  psk?: StoredTicket;
  /**
   * A dual-version (TLS 1.3 + 1.2) ClientHello: these supported_versions and cipher suites replace the
   * TLS 1.3-only ones, and the TLS 1.2 extensions are added (before shapeExtensions and pre_shared_key).
   */
  tls12?: { versions: number[]; cipherSuites: number[]; extensions: Extension[]; signatureSchemes?: number[] };
}

export function buildClientHello(c: EndpointConfig, inputs: ClientHelloInputs): ClientHello {
  const { cookie } = inputs;
  const enc = new TextEncoder();
  let exts: Extension[] = [];
  // RFC 6066 3: "Literal IPv4 and IPv6 addresses are not permitted in "HostName"."
  if (c.serverName && !isIP(c.serverName)) {
    exts.push({ type: 'server_name', server_name_list: [{ name_type: 0, host_name: enc.encode(c.serverName) }] });
  }
  exts.push({ type: 'supported_groups', named_group_list: [...c.groups] });
  if (c.alpn.length > 0) exts.push({ type: 'application_layer_protocol_negotiation', protocol_name_list: c.alpn.map((p) => enc.encode(p)) });
  exts.push({
    type: 'key_share',
    client_shares: [...inputs.keyShares.entries()].map(([group, kp]): KeyShareEntry => ({ group, key_exchange: kp.publicKey })),
  });
  if (inputs.earlyData) exts.push({ type: 'early_data' });
  exts.push({ type: 'supported_versions', versions: inputs.tls12 ? [...inputs.tls12.versions] : [ProtocolVersion.TLS1_3] });
  // A dual-version ClientHello is a TLS 1.2 ClientHello too: its schemes are the TLS 1.2 ones (RFC 9155).
  exts.push({ type: 'signature_algorithms', supported_signature_algorithms: [...(inputs.tls12?.signatureSchemes ?? c.signatureSchemes)] });
  // RFC 8446 4.2.2: the second ClientHello echoes the HelloRetryRequest's cookie.
  if (cookie) exts.push({ type: 'cookie', cookie });
  // RFC 8446 4.2.9: offered whenever resumption is possible, and always with a pre_shared_key.
  if (c.sessionStore || inputs.psk) exts.push({ type: 'psk_key_exchange_modes', ke_modes: [...c.pskModes] });
  if (c.recordSizeLimit !== undefined) exts.push({ type: 'record_size_limit', record_size_limit: c.recordSizeLimit });
  if (c.maxFragmentLength !== undefined) exts.push({ type: 'max_fragment_length', max_fragment_length: c.maxFragmentLength });
  if (c.postHandshakeAuth) exts.push({ type: 'post_handshake_auth' });
  if (inputs.tls12) exts.push(...inputs.tls12.extensions);
  if (c.shapeExtensions) exts = c.shapeExtensions('client_hello', exts);

  let psk: Extension | undefined;
  if (inputs.psk) {
    const t = inputs.psk;
    const hashLen = c.provider.hashLength(new Tls13Suite(c.provider, t.cipherSuite).hash);
    // RFC 8446 4.2.11.1: obfuscated_ticket_age = (age in ms + ticket_age_add) mod 2^32.
    const age = (c.now() - t.receivedAt + t.ageAdd) >>> 0;
    psk = { type: 'pre_shared_key', identities: [{ identity: t.ticket, obfuscated_ticket_age: age }], binders: [new Uint8Array(hashLen)] };
  }
  const ch: ClientHello = {
    msg_type: 'client_hello',
    // RFC 8446 4.1.2: legacy_version MUST be set to 0x0303.
    legacy_version: ProtocolVersion.TLS1_2,
    random: inputs.random,
    legacy_session_id: inputs.sessionId,
    cipher_suites: inputs.tls12 ? [...inputs.tls12.cipherSuites] : [...c.cipherSuites],
    // RFC 8446 4.1.2: exactly one byte, set to zero.
    legacy_compression_methods: [0],
    // RFC 8446 4.2.11: "The "pre_shared_key" extension MUST be the last extension in the ClientHello."
    extensions: psk ? [...exts, psk] : exts,
  };
  if (c.clientHelloPadding) {
    // RFC 7685 4 (as NSS and BoringSSL apply it): a ClientHello of 256..511 bytes is padded to 512; the
    // padding extension goes before pre_shared_key, which must stay last.
    const length = encodeHandshake(ch).length;
    if (length >= 256 && length < 512) {
      const padding: Extension = { type: 'padding', padding: new Uint8Array(Math.max(1, 512 - length - 4)) };
      ch.extensions = psk ? [...exts, padding, psk] : [...exts, padding];
    }
  }
  return ch;
}

/**
 * RFC 8446 4.2.11.2: what a PSK binder covers, the encoded ClientHello "up to and including the
 * PreSharedKeyExtension.identities field": without its binders, which are its last bytes (2-byte list length,
 * then a 1-byte length and the binder each).
 */
export function truncateBeforeBinders(clientHello: Uint8Array, binders: readonly Uint8Array[]): Uint8Array {
  const bindersLength = 2 + binders.reduce((n, b) => n + 1 + b.length, 0);
  return clientHello.subarray(0, clientHello.length - bindersLength);
}

/**
 * RFC 8446 4.2.11.2: compute the binder of the ticket's PSK at `index` of the pre_shared_key identities (the
 * binders list holds a placeholder of the hash's length there) over the ClientHello truncated before the
 * binders list (and, after a HelloRetryRequest, the transcript before it) and write it into the ClientHello.
 * Returns the early secret of the PSK.
 */
export function fillPskBinder(ch: ClientHello, ticket: StoredTicket, provider: CryptoProvider, transcript: Transcript, index = 0): Uint8Array {
  const suite = new Tls13Suite(provider, ticket.cipherSuite);
  const earlySecret = suite.ks.earlySecret(ticket.psk);
  const binderKey = suite.ks.binderKey(earlySecret, 'resumption');
  const psk = ch.extensions!.at(-1) as Extract<Extension, { type: 'pre_shared_key' }>;
  const binders = psk.binders!;
  const truncated = truncateBeforeBinders(encodeHandshake(ch), binders);
  const th = transcript.hash ? transcript.with(truncated) : provider.hash(suite.hash, truncated);
  binders[index] = suite.ks.pskBinder(binderKey, th);
  return earlySecret;
}
