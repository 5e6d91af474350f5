/**
 * TLS 1.2 messages built the same way by the reference client and the harness's scripted TLS 1.2 client
 * (harness/engine/peer12.ts): the TLS 1.2-only ClientHello.
 */
import { isIP } from 'node:net';
import { ProtocolVersion } from '../../codec/enums.ts';
import type { Extension } from '../../codec/extensions.ts';
import type { ClientHello } from '../../codec/handshake.ts';
import { suiteParams } from '../../crypto/suites.ts';
import type { EndpointConfig } from '../config.ts';
import { groupName } from '../groups.ts';
import { isTls12Suite, type Offer12 } from './common12.ts';

/** RFC 5246 7.4.1.2: a TLS 1.2-only ClientHello (client_version 0x0303, no supported_versions). */
export function buildClientHello12(c: EndpointConfig, offer: Offer12, inputs: { random: Uint8Array; sessionId: Uint8Array }): ClientHello {
  const enc = new TextEncoder();
  let exts: Extension[] = [];
  // RFC 6066 3: no IP literals in HostName.
  if (c.serverName && !isIP(c.serverName)) exts.push({ type: 'server_name', server_name_list: [{ name_type: 0, host_name: enc.encode(c.serverName) }] });
  // RFC 8422 5.1.1 / RFC 7919 4: the curves and FFDHE groups we support.
  const groups = c.groups.filter((g) => groupName(g) !== undefined);
  if (groups.length > 0 && c.cipherSuites.some((s) => isTls12Suite(s) && suiteParams(s)!.keyExchange !== 'rsa')) exts.push({ type: 'supported_groups', named_group_list: groups });
  if (c.alpn.length > 0) exts.push({ type: 'application_layer_protocol_negotiation', protocol_name_list: c.alpn.map((p) => enc.encode(p)) });
  // RFC 5246 7.4.1.4.1: the schemes we accept; RFC 9155 (paraphrase: "clients must not offer MD5 or SHA-1 in
  // signature_algorithms"): schemes12 leaves them out.
  exts.push({ type: 'signature_algorithms', supported_signature_algorithms: [...offer.signatureSchemes] });
  exts.push(...offer.extensions);
  if (c.shapeExtensions) exts = c.shapeExtensions('client_hello', exts);
  return {
    msg_type: 'client_hello',
    // RFC 5246 7.4.1.2: client_version is the highest version the client supports.
    legacy_version: ProtocolVersion.TLS1_2,
    random: inputs.random,
    legacy_session_id: inputs.sessionId,
    cipher_suites: offer.cipherSuites,
    legacy_compression_methods: [0],
    extensions: exts,
  };
}
