import { describe, expect, it } from 'vitest';
import type { HandshakeMessage } from '../../implementations/reference/codec/handshake.ts';
import { ClientPeer13 } from './peer13.ts';
import { peerConfig } from './run-case.ts';
import { LiveState, fieldOf } from './live.ts';

const ch = new ClientPeer13(peerConfig({ groups: ['x25519', 'secp256r1'], key_share_groups: ['secp256r1', 'x25519'] }, 'client')).build('ClientHello');
const sh: HandshakeMessage = {
  msg_type: 'server_hello',
  legacy_version: 0x0303,
  random: new Uint8Array(32),
  legacy_session_id_echo: new Uint8Array(0),
  cipher_suite: 0x1302,
  legacy_compression_method: 0,
  extensions: [
    { type: 'key_share', server_share: { group: 0x17, key_exchange: Uint8Array.of(4, 1, 2) } },
    { type: 'supported_versions', selected_version: 0x0304 },
  ],
};

describe('live-state references', () => {
  it('field paths: the engine form and the short form (extension, its one list)', () => {
    expect(fieldOf(ch, 'extensions.key_share.client_shares[0].group')).toBe(0x17);
    expect(fieldOf(ch, 'key_share[1].group')).toBe(0x1d);
    expect(fieldOf(ch, 'supported_groups[0]')).toBe(0x1d);
    expect(fieldOf(ch, 'supported_versions.versions')).toEqual([0x0304]);
    expect(fieldOf(ch, 'key_share[2].group')).toBeUndefined();
    expect(fieldOf(ch, 'nonsense')).toBeUndefined();
  });

  it('resolves whole references to typed values, embedded ones to names, and negotiated from the ServerHello', () => {
    const live = new LiveState('server');
    live.see(ch, 'harness');
    expect(() => live.resolve('${negotiated.group}')).toThrow('${negotiated.group}: nothing negotiated yet in this connection (no ServerHello or HelloRetryRequest seen)');
    live.see(sh, 'target');
    expect(live.resolve('${negotiated.group}')).toBe(0x17);
    expect(live.resolve('${negotiated.cipher_suite}')).toBe(0x1302);
    expect(live.resolve('${negotiated.version}')).toBe(0x0304);
    expect(live.resolve('${server_hello.key_share.server_share.key_exchange}')).toBe('0x040102');
    expect(live.resolve('${server_hello.key_share.server_share}')).toEqual({ group: 0x17, key_exchange: '0x040102' });
    expect(live.resolve('group ${negotiated.group} of ${client_hello.key_share[1].group}')).toBe('group secp256r1 of x25519');
    expect(live.resolveMap({ a: ['${negotiated.group}', 'x25519'], b: { c: '${negotiated.cipher_suite}' } })).toEqual({ a: [0x17, 'x25519'], b: { c: 0x1302 } });
    expect(() => live.resolve('${negotiated.signature_scheme}')).toThrow(/nothing negotiated yet/);
    live.see({ msg_type: 'certificate_verify', algorithm: 0x0403, signature: new Uint8Array(0) }, 'target');
    expect(live.resolve('${negotiated.signature_scheme}')).toBe(0x0403);
    expect(() => live.resolve('${server_hello.cookie}')).toThrow("${server_hello.cookie}: the ServerHello has no 'cookie'");
  });

  it('negotiated.signature_scheme is the server\'s CertificateVerify: the harness\'s when the target is the client', () => {
    const live = new LiveState('client');
    live.see({ msg_type: 'certificate_verify', algorithm: 0x0804, signature: new Uint8Array(0) }, 'target'); // the client's
    expect(() => live.resolve('${negotiated.signature_scheme}')).toThrow(/nothing negotiated/);
    live.see({ msg_type: 'certificate_verify', algorithm: 0x0403, signature: new Uint8Array(0) }, 'harness');
    expect(live.resolve('${negotiated.signature_scheme}')).toBe(0x0403);
  });
});
