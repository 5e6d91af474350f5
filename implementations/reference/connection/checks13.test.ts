/**
 * Unit tests of checks13.ts: one group per rule, each naming the rule, with a message that keeps it (no
 * error) and one that breaks it (the alert and the section the RFC gives). The messages are built from a
 * real ClientHello (buildClientHello, as the reference client and the harness send it) and changed in one
 * field at a time; deterministic (fixed keys, fixed randomness).
 */
import { describe, expect, it } from 'vitest';
import { rejects } from './checks-harness.ts';
import { CipherSuite, DOWNGRADE_TLS11, DOWNGRADE_TLS12, ExtensionType, NamedGroup, ProtocolVersion, PskKeyExchangeMode, SignatureScheme } from '../codec/enums.ts';
import type { Extension } from '../codec/extensions.ts';
import type { Certificate as CertificateMsg, CertificateRequest, ClientHello, EncryptedExtensions, HelloRetryRequest, NewSessionTicket, ServerHello } from '../codec/handshake.ts';
import { nobleProvider } from '../crypto/noble/index.ts';
import type { KeyPair } from '../crypto/provider.ts';
import { buildClientHello } from './builders13.ts';
import {
  checkCertificateChain,
  checkCertificateRequest,
  checkCertificateVerify,
  checkClientCertificate,
  checkClientHello13,
  checkClientHelloExtensions,
  checkClientHelloSenderRules,
  checkDowngradeSentinel,
  checkEncryptedExtensions,
  checkFinished,
  checkHelloRetryRequest,
  checkNewSessionTicket,
  checkSecondClientHello,
  checkServerCertificate,
  checkServerHello,
  offersTls13,
  sharedSecret,
} from './checks13.ts';
import { groupName } from './groups.ts';
import { FIXED_NOW, TEST_PKI, seededRandom, testClientConfig } from './testing.ts';
import { certificateVerifyContent } from './tls13.ts';
import type { StoredTicket } from './config.ts';

const X25519 = NamedGroup.x25519;
const P256 = NamedGroup.secp256r1;
const P384 = NamedGroup.secp384r1;
const AES128 = CipherSuite.TLS_AES_128_GCM_SHA256;
const AES256 = CipherSuite.TLS_AES_256_GCM_SHA384;
const TLS12_SUITE = CipherSuite.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256;


const keyPairs = new Map<number, KeyPair>();
/** A fixed key pair per group (the scalar 0x01..01 is valid for every curve here). */
function keyPair(group: number): KeyPair {
  let kp = keyPairs.get(group);
  if (!kp) {
    const name = groupName(group)!;
    kp = nobleProvider.keyExchange(name).generate(name.startsWith('ffdhe') ? undefined : new Uint8Array(group === P384 ? 48 : 32).fill(1));
    keyPairs.set(group, kp);
  }
  return kp;
}

interface HelloOptions {
  groups?: number[];
  shares?: number[];
  alpn?: string[];
  suites?: number[];
  sessionId?: Uint8Array;
  psk?: StoredTicket;
  pskModes?: number[];
  cookie?: Uint8Array;
  earlyData?: boolean;
  tls12?: boolean;
}

const TICKET: StoredTicket = {
  ticket: new Uint8Array(16).fill(9),
  psk: new Uint8Array(32).fill(8),
  cipherSuite: AES128,
  receivedAt: FIXED_NOW - 1000,
  lifetimeSeconds: 3600,
  ageAdd: 5,
  maxEarlyData: 1024,
};

/** A ClientHello as the reference client sends it. */
function clientHello(o: HelloOptions = {}): ClientHello {
  const groups = o.groups ?? [X25519, P256, P384];
  const config = testClientConfig({
    groups,
    alpn: o.alpn ?? [],
    cipherSuites: o.suites ?? [AES128, AES256],
    pskModes: o.pskModes ?? [PskKeyExchangeMode.psk_dhe_ke],
    random: seededRandom(7),
  });
  return buildClientHello(config, {
    keyShares: new Map((o.shares ?? [X25519]).map((g) => [g, keyPair(g)])),
    sessionId: o.sessionId ?? new Uint8Array(32).fill(0x5a),
    random: new Uint8Array(32).fill(0x11),
    cookie: o.cookie,
    earlyData: o.earlyData ?? false,
    psk: o.psk,
    tls12: o.tls12 ? { versions: [ProtocolVersion.TLS1_3, ProtocolVersion.TLS1_2], cipherSuites: [AES128, TLS12_SUITE], extensions: [] } : undefined,
  });
}

function serverHello(ch: ClientHello, extensions?: Extension[], fields: Partial<ServerHello> = {}): ServerHello {
  return {
    msg_type: 'server_hello',
    legacy_version: ProtocolVersion.TLS1_2,
    random: new Uint8Array(32).fill(0x22),
    legacy_session_id_echo: ch.legacy_session_id,
    cipher_suite: AES128,
    legacy_compression_method: 0,
    extensions: extensions ?? [
      { type: 'key_share', server_share: { group: X25519, key_exchange: keyPair(X25519).publicKey } },
      { type: 'supported_versions', selected_version: ProtocolVersion.TLS1_3 },
    ],
    ...fields,
  };
}

function helloRetryRequest(ch: ClientHello, extensions?: Extension[], fields: Partial<HelloRetryRequest> = {}): HelloRetryRequest {
  return {
    msg_type: 'hello_retry_request',
    legacy_version: ProtocolVersion.TLS1_2,
    legacy_session_id_echo: ch.legacy_session_id,
    cipher_suite: AES128,
    legacy_compression_method: 0,
    extensions: extensions ?? [
      { type: 'key_share', selected_group: P256 },
      { type: 'supported_versions', selected_version: ProtocolVersion.TLS1_3 },
    ],
    ...fields,
  };
}

const sv13: Extension = { type: 'supported_versions', selected_version: ProtocolVersion.TLS1_3 };
const share = (group: number): Extension => ({ type: 'key_share', server_share: { group, key_exchange: keyPair(group).publicKey } });
const hrrCtx = (ch: ClientHello) => ({ clientHello: ch, afterHelloRetry: false });

// ---- ServerHello and HelloRetryRequest -------------------------------------------------------------------

describe('ServerHello and HelloRetryRequest fields (RFC 8446 4.1.3, 4.1.4)', () => {
  const ch = clientHello();

  it('a conforming ServerHello passes and reports what it selected', () => {
    expect(checkServerHello(serverHello(ch), { clientHello: ch })).toMatchObject({ version: ProtocolVersion.TLS1_3, cipherSuite: AES128, share: { group: X25519 } });
  });

  it('RFC 9846 4.2.3 legacy_version other than 0x0303: protocol_version (ServerHello and HelloRetryRequest)', () => {
    rejects(() => checkServerHello(serverHello(ch, undefined, { legacy_version: ProtocolVersion.TLS1_3 }), { clientHello: ch }), 'protocol_version', 'RFC 9846 4.2.3');
    rejects(() => checkHelloRetryRequest(helloRetryRequest(ch, undefined, { legacy_version: ProtocolVersion.TLS1_0 }), hrrCtx(ch)), 'protocol_version', 'RFC 9846 4.2.3');
  });

  it('RFC 8446 D.5 legacy_version 0x0300 (or lower): protocol_version (ServerHello and HelloRetryRequest)', () => {
    rejects(() => checkServerHello(serverHello(ch, undefined, { legacy_version: ProtocolVersion.SSL3_0 }), { clientHello: ch }), 'protocol_version', 'RFC 8446 D.5');
    rejects(() => checkServerHello(serverHello(ch, undefined, { legacy_version: 0x0200 }), { clientHello: ch }), 'protocol_version', 'RFC 8446 D.5');
    rejects(() => checkHelloRetryRequest(helloRetryRequest(ch, undefined, { legacy_version: ProtocolVersion.SSL3_0 }), hrrCtx(ch)), 'protocol_version', 'RFC 8446 D.5');
  });

  it('RFC 8446 4.1.3 legacy_session_id_echo must match the ClientHello: illegal_parameter, in a HelloRetryRequest too', () => {
    const other = new Uint8Array(32).fill(0x5b);
    rejects(() => checkServerHello(serverHello(ch, undefined, { legacy_session_id_echo: other }), { clientHello: ch }), 'illegal_parameter', 'RFC 8446 4.1.3');
    const e = rejects(() => checkHelloRetryRequest(helloRetryRequest(ch, undefined, { legacy_session_id_echo: other }), hrrCtx(ch)), 'illegal_parameter', 'RFC 8446 4.1.3');
    expect(e.detail).toMatch(/legacy_session_id_echo/);
    // An empty legacy_session_id must be echoed empty.
    const empty = clientHello({ sessionId: new Uint8Array(0) });
    expect(() => checkServerHello(serverHello(empty), { clientHello: empty })).not.toThrow();
    rejects(() => checkServerHello(serverHello(empty, undefined, { legacy_session_id_echo: other }), { clientHello: empty }), 'illegal_parameter', 'RFC 8446 4.1.3');
  });

  it('RFC 8446 4.1.3 a cipher suite that was not offered: illegal_parameter', () => {
    const only128 = clientHello({ suites: [AES128] });
    rejects(() => checkServerHello(serverHello(only128, undefined, { cipher_suite: AES256 }), { clientHello: only128 }), 'illegal_parameter', 'RFC 8446 4.1.3');
    rejects(() => checkHelloRetryRequest(helloRetryRequest(only128, undefined, { cipher_suite: AES256 }), hrrCtx(only128)), 'illegal_parameter', 'RFC 8446 4.1.3');
    expect(() => checkServerHello(serverHello(ch, undefined, { cipher_suite: AES256 }), { clientHello: ch })).not.toThrow();
  });

  it('RFC 8446 4.1.3 a TLS 1.2 suite in a TLS 1.3 ServerHello, even one the dual-version ClientHello offered: illegal_parameter', () => {
    const dual = clientHello({ tls12: true });
    const e = rejects(() => checkServerHello(serverHello(dual, undefined, { cipher_suite: TLS12_SUITE }), { clientHello: dual }), 'illegal_parameter', 'RFC 8446 4.1.3');
    expect(e.detail).toMatch(/not a TLS 1\.3 cipher suite/);
  });

  it('RFC 8446 4.1.3 legacy_compression_method MUST be 0: illegal_parameter', () => {
    rejects(() => checkServerHello(serverHello(ch, undefined, { legacy_compression_method: 1 }), { clientHello: ch }), 'illegal_parameter', 'RFC 8446 4.1.3');
    rejects(() => checkHelloRetryRequest(helloRetryRequest(ch, undefined, { legacy_compression_method: 1 }), hrrCtx(ch)), 'illegal_parameter', 'RFC 8446 4.1.3');
  });
});

describe('supported_versions and downgrade protection (RFC 8446 4.2.1, 4.1.3)', () => {
  const ch = clientHello();
  const dual = clientHello({ tls12: true });
  const tls12Hello = (c: ClientHello, tail?: Uint8Array) => {
    const random = new Uint8Array(32).fill(0x33);
    if (tail) random.set(tail, 24);
    return serverHello(c, [], { random, cipher_suite: TLS12_SUITE });
  };

  it('RFC 8446 4.2.1 a selected_version prior to TLS 1.3: illegal_parameter', () => {
    const sh = serverHello(dual, [share(X25519), { type: 'supported_versions', selected_version: ProtocolVersion.TLS1_2 }]);
    rejects(() => checkServerHello(sh, { clientHello: dual }), 'illegal_parameter', 'RFC 8446 4.2.1');
  });

  it('RFC 8446 4.2.1 a selected_version the client did not offer: illegal_parameter', () => {
    const sh = serverHello(ch, [share(X25519), { type: 'supported_versions', selected_version: 0x7f1c }]);
    rejects(() => checkServerHello(sh, { clientHello: ch }), 'illegal_parameter', 'RFC 8446 4.2.1');
  });

  it('RFC 8446 4.2.1 a ServerHello without supported_versions selects legacy_version: protocol_version unless the ClientHello offered it', () => {
    rejects(() => checkServerHello(tls12Hello(ch), { clientHello: ch }), 'protocol_version', 'RFC 8446 4.2.1');
    expect(checkServerHello(tls12Hello(dual), { clientHello: dual })).toEqual({ version: ProtocolVersion.TLS1_2, cipherSuite: TLS12_SUITE });
  });

  it('RFC 8446 4.1.4 a HelloRetryRequest MUST contain supported_versions: missing_extension', () => {
    rejects(() => checkHelloRetryRequest(helloRetryRequest(ch, [{ type: 'key_share', selected_group: P256 }]), hrrCtx(ch)), 'missing_extension', 'RFC 8446 4.1.4');
  });

  it('RFC 8446 4.1.3 a TLS 1.2 ServerHello carrying DOWNGRD\\x01 or DOWNGRD\\x00, to a client offering TLS 1.3: illegal_parameter', () => {
    rejects(() => checkServerHello(tls12Hello(dual, DOWNGRADE_TLS12), { clientHello: dual }), 'illegal_parameter', 'RFC 8446 4.1.3');
    rejects(() => checkServerHello(tls12Hello(dual, DOWNGRADE_TLS11), { clientHello: dual }), 'illegal_parameter', 'RFC 8446 4.1.3');
    rejects(() => checkDowngradeSentinel(tls12Hello(dual, DOWNGRADE_TLS12).random), 'illegal_parameter', 'RFC 8446 4.1.3');
    expect(() => checkDowngradeSentinel(tls12Hello(dual).random)).not.toThrow();
    // A TLS 1.2-only ClientHello (no supported_versions) is not a TLS 1.3 client: no sentinel check here.
    const only12: ClientHello = { ...dual, extensions: dual.extensions!.filter((e) => e.type !== 'supported_versions') };
    expect(offersTls13(only12)).toBe(false);
    expect(checkServerHello(tls12Hello(only12, DOWNGRADE_TLS12), { clientHello: only12 }).version).toBe(ProtocolVersion.TLS1_2);
  });
});

describe('extensions in ServerHello and HelloRetryRequest (RFC 8446 4.2)', () => {
  const ch = clientHello();

  it('RFC 8446 4.2 an offered extension not allowed in ServerHello (server_name): illegal_parameter', () => {
    rejects(() => checkServerHello(serverHello(ch, [{ type: 'server_name' } as Extension, share(X25519), sv13]), { clientHello: ch }), 'illegal_parameter', 'RFC 8446 4.2');
  });

  it('RFC 8446 4.2 an unsolicited extension (pre_shared_key not offered; an unknown code): unsupported_extension', () => {
    rejects(() => checkServerHello(serverHello(ch, [share(X25519), sv13, { type: 'pre_shared_key', selected_identity: 0 }]), { clientHello: ch }), 'unsupported_extension', 'RFC 8446 4.2');
    const unknown: Extension = { type: 'opaque', extension_type: 0x7a7a, extension_data: new Uint8Array(0) };
    rejects(() => checkServerHello(serverHello(ch, [share(X25519), sv13, unknown]), { clientHello: ch }), 'unsupported_extension', 'RFC 8446 4.2');
  });

  it('RFC 8446 4.2 two extensions of one type: illegal_parameter', () => {
    rejects(() => checkServerHello(serverHello(ch, [share(X25519), sv13, sv13]), { clientHello: ch }), 'illegal_parameter', 'RFC 8446 4.2');
  });

  it('RFC 8446 4.1.4 a HelloRetryRequest may carry a cookie the client never sent, nothing else unsolicited', () => {
    const cookie: Extension = { type: 'cookie', cookie: Uint8Array.of(1, 2, 3) };
    expect(checkHelloRetryRequest(helloRetryRequest(ch, [cookie, sv13]), hrrCtx(ch))).toEqual({ selectedGroup: undefined, cookie: Uint8Array.of(1, 2, 3) });
    const unknown: Extension = { type: 'opaque', extension_type: 0x7a7a, extension_data: new Uint8Array(0) };
    rejects(() => checkHelloRetryRequest(helloRetryRequest(ch, [{ type: 'key_share', selected_group: P256 }, sv13, unknown]), hrrCtx(ch)), 'unsupported_extension', 'RFC 8446 4.2');
  });
});

describe('HelloRetryRequest (RFC 8446 4.1.4, 4.2.8)', () => {
  const ch = clientHello({ groups: [X25519, P256], shares: [X25519] });

  it('a conforming HelloRetryRequest passes and names the group for the second ClientHello', () => {
    expect(checkHelloRetryRequest(helloRetryRequest(ch), hrrCtx(ch))).toEqual({ selectedGroup: P256, cookie: undefined });
  });

  it('RFC 8446 4.1.4 a second HelloRetryRequest in the same connection: unexpected_message', () => {
    rejects(() => checkHelloRetryRequest(helloRetryRequest(ch), { clientHello: ch, afterHelloRetry: true }), 'unexpected_message', 'RFC 8446 4.1.4');
  });

  it('RFC 8446 4.2.8 selected_group not in supported_groups: illegal_parameter', () => {
    rejects(() => checkHelloRetryRequest(helloRetryRequest(ch, [{ type: 'key_share', selected_group: P384 }, sv13]), hrrCtx(ch)), 'illegal_parameter', 'RFC 8446 4.2.8');
  });

  it('RFC 8446 4.2.8 selected_group for which the ClientHello already has a key share: illegal_parameter', () => {
    rejects(() => checkHelloRetryRequest(helloRetryRequest(ch, [{ type: 'key_share', selected_group: X25519 }, sv13]), hrrCtx(ch)), 'illegal_parameter', 'RFC 8446 4.2.8');
  });

  it('RFC 8446 4.1.4 a HelloRetryRequest that would not change the ClientHello: illegal_parameter', () => {
    rejects(() => checkHelloRetryRequest(helloRetryRequest(ch, [sv13]), hrrCtx(ch)), 'illegal_parameter', 'RFC 8446 4.1.4');
  });
});

describe('ServerHello after a HelloRetryRequest (RFC 8446 4.1.4, 4.2.8)', () => {
  const ch1 = clientHello({ groups: [X25519, P256], shares: [X25519] });
  const hrr = helloRetryRequest(ch1);
  const ch2 = clientHello({ groups: [X25519, P256], shares: [P256] });

  it('a ServerHello with the HelloRetryRequest suite and group passes', () => {
    expect(() => checkServerHello(serverHello(ch2, [share(P256), sv13]), { clientHello: ch2, helloRetryRequest: hrr })).not.toThrow();
  });

  it('RFC 8446 4.1.4 the HelloRetryRequest suite is kept even when the second ClientHello (wrongly) no longer offers it', () => {
    const changed = clientHello({ groups: [X25519, P256], shares: [P256], suites: [AES256] });
    expect(() => checkServerHello(serverHello(changed, [share(P256), sv13]), { clientHello: changed, helloRetryRequest: hrr })).not.toThrow();
    // Without the HelloRetryRequest the same ServerHello chose a suite that was not offered.
    rejects(() => checkServerHello(serverHello(changed, [share(P256), sv13]), { clientHello: changed }), 'illegal_parameter', 'RFC 8446 4.1.3');
  });

  it('RFC 8446 4.1.4 a cipher suite other than the HelloRetryRequest one: illegal_parameter', () => {
    rejects(() => checkServerHello(serverHello(ch2, [share(P256), sv13], { cipher_suite: AES256 }), { clientHello: ch2, helloRetryRequest: hrr }), 'illegal_parameter', 'RFC 8446 4.1.4');
  });

  it('RFC 8446 4.2.8 a key share group other than the HelloRetryRequest selected_group: illegal_parameter', () => {
    // The second ClientHello (wrongly) kept both shares: the ServerHello picks the other one.
    const both = clientHello({ groups: [X25519, P256], shares: [X25519, P256] });
    rejects(() => checkServerHello(serverHello(both, [share(X25519), sv13]), { clientHello: both, helloRetryRequest: hrr }), 'illegal_parameter', 'RFC 8446 4.2.8');
  });
});

describe('key_share and pre_shared_key in ServerHello (RFC 8446 4.2.8, 4.2.9, 4.2.11, 9.2)', () => {
  it('RFC 8446 4.2.8 a key share for a group the client sent no share for: illegal_parameter', () => {
    const ch = clientHello();
    rejects(() => checkServerHello(serverHello(ch, [share(P256), sv13]), { clientHello: ch }), 'illegal_parameter', 'RFC 8446 4.2.8');
  });

  it('RFC 8446 4.2.8 a key share for a group not in supported_groups (even if the client shared it): illegal_parameter', () => {
    const ch = clientHello({ groups: [P256], shares: [X25519] });
    const e = rejects(() => checkServerHello(serverHello(ch, [share(X25519), sv13]), { clientHello: ch }), 'illegal_parameter', 'RFC 8446 4.2.8');
    expect(e.detail).toMatch(/not in the ClientHello's supported_groups/);
  });

  it('RFC 8446 9.2 neither key_share nor pre_shared_key: missing_extension', () => {
    const ch = clientHello();
    rejects(() => checkServerHello(serverHello(ch, [sv13]), { clientHello: ch }), 'missing_extension', 'RFC 8446 9.2');
  });

  const withPsk = (modes: number[]) => clientHello({ psk: TICKET, pskModes: modes });
  const psk = (i: number): Extension => ({ type: 'pre_shared_key', selected_identity: i });

  it('RFC 8446 4.2.11 a selected_identity within the offered identities and a suite of the PSK hash pass', () => {
    const ch = withPsk([PskKeyExchangeMode.psk_dhe_ke]);
    expect(checkServerHello(serverHello(ch, [psk(0), share(X25519), sv13]), { clientHello: ch, pskHashes: ['sha256'] }).pskIdentity).toBe(0);
  });

  it('RFC 8446 4.2.11 a selected_identity outside the offered identities: illegal_parameter', () => {
    const ch = withPsk([PskKeyExchangeMode.psk_dhe_ke]);
    rejects(() => checkServerHello(serverHello(ch, [psk(1), share(X25519), sv13]), { clientHello: ch, pskHashes: ['sha256'] }), 'illegal_parameter', 'RFC 8446 4.2.11');
  });

  it('RFC 8446 4.2.11 a cipher suite whose hash is not the PSK hash: illegal_parameter', () => {
    const ch = withPsk([PskKeyExchangeMode.psk_dhe_ke]);
    rejects(() => checkServerHello(serverHello(ch, [psk(0), share(X25519), sv13], { cipher_suite: AES256 }), { clientHello: ch, pskHashes: ['sha256'] }), 'illegal_parameter', 'RFC 8446 4.2.11');
    // An identity whose hash the receiver does not know (not its own) is not judged on its hash.
    expect(() => checkServerHello(serverHello(ch, [psk(0), share(X25519), sv13], { cipher_suite: AES256 }), { clientHello: ch, pskHashes: [undefined] })).not.toThrow();
  });

  it('RFC 8446 4.2.9 a key_share with a PSK when the client offered only psk_ke: illegal_parameter', () => {
    const ch = withPsk([PskKeyExchangeMode.psk_ke]);
    rejects(() => checkServerHello(serverHello(ch, [psk(0), share(X25519), sv13]), { clientHello: ch }), 'illegal_parameter', 'RFC 8446 4.2.9');
    expect(() => checkServerHello(serverHello(ch, [psk(0), sv13]), { clientHello: ch })).not.toThrow();
  });

  it('RFC 8446 4.2.9 / 4.2.11 no key_share with a PSK when the client offered only psk_dhe_ke: illegal_parameter', () => {
    const ch = withPsk([PskKeyExchangeMode.psk_dhe_ke]);
    rejects(() => checkServerHello(serverHello(ch, [psk(0), sv13]), { clientHello: ch }), 'illegal_parameter', 'RFC 8446 4.2.9');
  });
});

// ---- the encrypted flight --------------------------------------------------------------------------------

describe('EncryptedExtensions (RFC 8446 4.3.1, 4.2, RFC 7301, RFC 8449)', () => {
  const ch = clientHello({ alpn: ['h2', 'http/1.1'] });
  const ee = (extensions: Extension[]): EncryptedExtensions => ({ msg_type: 'encrypted_extensions', extensions });
  const alpn = (...p: string[]): Extension => ({ type: 'application_layer_protocol_negotiation', protocol_name_list: p.map((x) => new TextEncoder().encode(x)) });

  it('conforming EncryptedExtensions pass: empty, or ALPN one offered protocol, server_name, record_size_limit', () => {
    expect(checkEncryptedExtensions(ee([]), { clientHello: ch })).toEqual({ earlyDataAccepted: false });
    expect(checkEncryptedExtensions(ee([alpn('http/1.1'), { type: 'server_name' } as Extension]), { clientHello: ch }).alpn).toBe('http/1.1');
  });

  it('RFC 8446 4.3.1 / 4.2 an extension forbidden in EncryptedExtensions (key_share): illegal_parameter', () => {
    rejects(() => checkEncryptedExtensions(ee([share(X25519)]), { clientHello: ch }), 'illegal_parameter', 'RFC 8446 4.2');
  });

  it('RFC 8446 4.2 a response to an extension the client did not send (ALPN): unsupported_extension', () => {
    const noAlpn = clientHello();
    rejects(() => checkEncryptedExtensions(ee([alpn('h2')]), { clientHello: noAlpn }), 'unsupported_extension', 'RFC 8446 4.2');
  });

  it('RFC 7301 3.1 the ProtocolNameList MUST contain exactly one ProtocolName: illegal_parameter', () => {
    rejects(() => checkEncryptedExtensions(ee([alpn('h2', 'http/1.1')]), { clientHello: ch }), 'illegal_parameter', 'RFC 7301 3.1');
  });

  it('RFC 7301 3.2 a protocol the client did not offer: illegal_parameter', () => {
    rejects(() => checkEncryptedExtensions(ee([alpn('spdy/3')]), { clientHello: ch }), 'illegal_parameter', 'RFC 7301 3.2');
  });

  it('RFC 8449 4 record_size_limit above 2^14 + 1: illegal_parameter', () => {
    const rslHello = clientHello();
    rslHello.extensions!.push({ type: 'record_size_limit', record_size_limit: 4096 });
    expect(checkEncryptedExtensions(ee([{ type: 'record_size_limit', record_size_limit: 2 ** 14 + 1 }]), { clientHello: rslHello }).recordSizeLimit).toBe(2 ** 14 + 1);
    rejects(() => checkEncryptedExtensions(ee([{ type: 'record_size_limit', record_size_limit: 2 ** 14 + 2 }]), { clientHello: rslHello }), 'illegal_parameter', 'RFC 8449 4');
  });

  it('RFC 8446 4.2.11 early_data accepted: selected_identity MUST be 0, else illegal_parameter', () => {
    const early = clientHello({ psk: TICKET, earlyData: true });
    expect(checkEncryptedExtensions(ee([{ type: 'early_data' } as Extension]), { clientHello: early, pskIdentity: 0 }).earlyDataAccepted).toBe(true);
    rejects(() => checkEncryptedExtensions(ee([{ type: 'early_data' } as Extension]), { clientHello: early, pskIdentity: 1 }), 'illegal_parameter', 'RFC 8446 4.2.11');
    rejects(() => checkEncryptedExtensions(ee([{ type: 'early_data' } as Extension]), { clientHello: early }), 'illegal_parameter', 'RFC 8446 4.2.11');
  });
});

describe('CertificateRequest (RFC 8446 4.3.2)', () => {
  const sigalgs: Extension = { type: 'signature_algorithms', supported_signature_algorithms: [SignatureScheme.ecdsa_secp256r1_sha256] };
  const cr = (context: Uint8Array, extensions: Extension[]): Extract<CertificateRequest, { form: 'tls13' }> => ({ msg_type: 'certificate_request', form: 'tls13', certificate_request_context: context, extensions });

  it('a conforming CertificateRequest passes', () => {
    expect(() => checkCertificateRequest(cr(new Uint8Array(0), [sigalgs]))).not.toThrow();
  });

  it('RFC 8446 4.3.2 certificate_request_context SHALL be zero length in the handshake: illegal_parameter', () => {
    rejects(() => checkCertificateRequest(cr(Uint8Array.of(1), [sigalgs])), 'illegal_parameter', 'RFC 8446 4.3.2');
  });

  it('RFC 8446 4.3.2 signature_algorithms MUST be specified: missing_extension', () => {
    rejects(() => checkCertificateRequest(cr(new Uint8Array(0), [])), 'missing_extension', 'RFC 8446 4.3.2');
  });

  it('RFC 8446 4.3.2 no CertificateRequest in a PSK handshake: unexpected_message', () => {
    rejects(() => checkCertificateRequest(cr(new Uint8Array(0), [sigalgs]), { pskHandshake: true }), 'unexpected_message', 'RFC 8446 4.3.2');
  });

  it('RFC 8446 4.2 an extension not allowed in CertificateRequest (key_share): illegal_parameter', () => {
    rejects(() => checkCertificateRequest(cr(new Uint8Array(0), [sigalgs, share(X25519)])), 'illegal_parameter', 'RFC 8446 4.2');
  });
});

describe('Certificate (RFC 8446 4.4.2, 4.4.2.4)', () => {
  const p256 = TEST_PKI.p256();
  const ch = clientHello();
  const cert = (context: Uint8Array, ders: Uint8Array[], extensions: Extension[] = []): Extract<CertificateMsg, { form: 'tls13' }> => ({
    msg_type: 'certificate',
    form: 'tls13',
    certificate_request_context: context,
    certificate_list: ders.map((d) => ({ cert_data: d, extensions })),
  });
  const status: Extension = { type: 'status_request', status_type: 1, response: Uint8Array.of(1) };

  it('a conforming server Certificate passes and gives the chain, which validates against the test CA', () => {
    const chain = checkServerCertificate(cert(new Uint8Array(0), p256.chain), { clientHello: ch });
    expect(chain.length).toBe(p256.chain.length);
    expect(() => checkCertificateChain(chain, { trustRoots: TEST_PKI.ca(), now: new Date(FIXED_NOW), hostname: 'localhost', purpose: 'serverAuth' })).not.toThrow();
  });

  it('RFC 8446 4.4.2.4 a chain that does not validate (no trust root for it): a certificate alert', () => {
    const chain = checkServerCertificate(cert(new Uint8Array(0), p256.chain), { clientHello: ch });
    const e = rejects(() => checkCertificateChain(chain, { trustRoots: [], now: new Date(FIXED_NOW), purpose: 'serverAuth' }), 'unknown_ca', 'RFC 8446 4.4.2.4');
    expect(e.detail).toMatch(/^server certificate/);
  });

  it('RFC 8446 4.4.2 a server certificate_request_context SHALL be zero length: illegal_parameter', () => {
    rejects(() => checkServerCertificate(cert(Uint8Array.of(1), p256.chain), { clientHello: ch }), 'illegal_parameter', 'RFC 8446 4.4.2');
  });

  it('RFC 8446 4.4.2.4 an empty server Certificate: decode_error', () => {
    rejects(() => checkServerCertificate(cert(new Uint8Array(0), []), { clientHello: ch }), 'decode_error', 'RFC 8446 4.4.2.4');
  });

  it('RFC 8446 4.4.2 CertificateEntry extensions must correspond to the ClientHello: unsupported_extension', () => {
    rejects(() => checkServerCertificate(cert(new Uint8Array(0), p256.chain, [status]), { clientHello: ch }), 'unsupported_extension', 'RFC 8446 4.2');
    const asked = clientHello();
    asked.extensions!.push({ type: 'status_request', status_type: 1, responder_id_list: [], request_extensions: new Uint8Array(0) } as Extension);
    expect(() => checkServerCertificate(cert(new Uint8Array(0), p256.chain, [status]), { clientHello: asked })).not.toThrow();
  });

  it('RFC 8446 4.4.2.4 a certificate that does not parse: bad_certificate', () => {
    const e = rejects(() => checkServerCertificate(cert(new Uint8Array(0), [Uint8Array.of(0x30, 0x03, 1, 2, 3)]), { clientHello: ch }), 'bad_certificate', 'RFC 8446 4.4.2.4');
    expect(e.detail).toMatch(/^server certificate 0/);
  });

  const cr: Extract<CertificateRequest, { form: 'tls13' }> = {
    msg_type: 'certificate_request',
    form: 'tls13',
    certificate_request_context: new Uint8Array(0),
    extensions: [{ type: 'signature_algorithms', supported_signature_algorithms: [SignatureScheme.ecdsa_secp256r1_sha256] }],
  };
  const client = TEST_PKI.client();

  it('a client Certificate answering the CertificateRequest passes; an empty one gives an empty chain', () => {
    expect(checkClientCertificate(cert(new Uint8Array(0), client.chain), { certificateRequest: cr }).length).toBe(client.chain.length);
    expect(checkClientCertificate(cert(new Uint8Array(0), []), { certificateRequest: cr })).toEqual([]);
  });

  it('RFC 8446 4.4.2 the client certificate_request_context is the CertificateRequest one: illegal_parameter', () => {
    rejects(() => checkClientCertificate(cert(Uint8Array.of(7), client.chain), { certificateRequest: cr }), 'illegal_parameter', 'RFC 8446 4.4.2');
    const post = { ...cr, certificate_request_context: Uint8Array.of(7) };
    expect(() => checkClientCertificate(cert(Uint8Array.of(7), client.chain), { certificateRequest: post })).not.toThrow();
  });

  it('RFC 8446 4.4.2 client CertificateEntry extensions must correspond to the CertificateRequest: unsupported_extension', () => {
    rejects(() => checkClientCertificate(cert(new Uint8Array(0), client.chain, [status]), { certificateRequest: cr }), 'unsupported_extension', 'RFC 8446 4.2');
  });
});

describe('CertificateVerify (RFC 8446 4.4.3)', () => {
  const p256 = TEST_PKI.p256();
  const rsa = TEST_PKI.rsa();
  const th = new Uint8Array(32).fill(1);
  const sign = (scheme: number, key = p256.key, side: 'server' | 'client' = 'server') => ({
    msg_type: 'certificate_verify' as const,
    algorithm: scheme,
    signature: nobleProvider.sign(
      (Object.entries(SignatureScheme).find(([, v]) => v === scheme)![0]) as Parameters<typeof nobleProvider.sign>[0],
      key,
      certificateVerifyContent(side, th),
    ),
  });
  const ctx = (offered: number[], leaf = p256.leaf) => ({ side: 'server' as const, offered, key: leaf.publicKey!, provider: nobleProvider, transcriptHash: th });
  const ECDSA = SignatureScheme.ecdsa_secp256r1_sha256;
  const PSS = SignatureScheme.rsa_pss_rsae_sha256;

  it('a signature with an offered scheme that fits the key passes', () => {
    expect(() => checkCertificateVerify(sign(ECDSA), ctx([ECDSA]))).not.toThrow();
    expect(() => checkCertificateVerify(sign(PSS, rsa.key), ctx([PSS], rsa.leaf))).not.toThrow();
  });

  it('RFC 8446 4.4.3 a scheme not in the receiver\'s signature_algorithms: illegal_parameter', () => {
    rejects(() => checkCertificateVerify(sign(ECDSA), ctx([PSS])), 'illegal_parameter', 'RFC 8446 4.4.3');
  });

  it('RFC 8446 4.4.3 RSASSA-PKCS1-v1_5 even when offered: illegal_parameter', () => {
    const pkcs1 = SignatureScheme.rsa_pkcs1_sha256;
    rejects(() => checkCertificateVerify(sign(pkcs1, rsa.key), ctx([pkcs1], rsa.leaf)), 'illegal_parameter', 'RFC 8446 4.4.3');
  });

  it('RFC 8446 4.4.3 a scheme that does not fit the certificate key: illegal_parameter', () => {
    rejects(() => checkCertificateVerify(sign(PSS, rsa.key), ctx([PSS])), 'illegal_parameter', 'RFC 8446 4.4.3');
  });

  it('RFC 8446 4.4.3 a signature that does not verify (the client context string, another transcript): decrypt_error', () => {
    rejects(() => checkCertificateVerify(sign(ECDSA, p256.key, 'client'), ctx([ECDSA])), 'decrypt_error', 'RFC 8446 4.4.3');
    rejects(() => checkCertificateVerify(sign(ECDSA), { ...ctx([ECDSA]), transcriptHash: new Uint8Array(32).fill(2) }), 'decrypt_error', 'RFC 8446 4.4.3');
  });
});

describe('Finished and NewSessionTicket (RFC 8446 4.4.4, 4.6.1)', () => {
  it('RFC 8446 4.4.4 verify_data that is not the expected value: decrypt_error', () => {
    const expected = new Uint8Array(32).fill(3);
    expect(() => checkFinished({ msg_type: 'finished', verify_data: expected.slice() }, expected, 'server')).not.toThrow();
    rejects(() => checkFinished({ msg_type: 'finished', verify_data: new Uint8Array(32).fill(4) }, expected, 'client'), 'decrypt_error', 'RFC 8446 4.4.4');
  });

  it('RFC 8446 6 / 4.4.4 verify_data[Hash.length] of another length (empty, truncated, padded): decode_error, even when the prefix is right', () => {
    const expected = new Uint8Array(48).fill(3);
    for (const verify_data of [new Uint8Array(0), expected.subarray(0, 47), expected.subarray(0, 32), Uint8Array.of(...expected, 0), new Uint8Array(64).fill(3)]) {
      const e = rejects(() => checkFinished({ msg_type: 'finished', verify_data }, expected, 'client'), 'decode_error', 'RFC 8446 6');
      expect(e.detail).toContain(`is ${verify_data.length} bytes, not Hash.length (48 bytes`);
    }
  });

  const nst = (lifetime: number, extensions: Extension[] = []): Extract<NewSessionTicket, { form: 'tls13' }> => ({
    msg_type: 'new_session_ticket',
    form: 'tls13',
    ticket_lifetime: lifetime,
    ticket_age_add: 0,
    ticket_nonce: Uint8Array.of(0),
    ticket: Uint8Array.of(1),
    extensions,
  });

  it('RFC 8446 4.6.1 ticket_lifetime above 604800 seconds: illegal_parameter', () => {
    expect(() => checkNewSessionTicket(nst(604800, [{ type: 'early_data', max_early_data_size: 10 }]))).not.toThrow();
    rejects(() => checkNewSessionTicket(nst(604801)), 'illegal_parameter', 'RFC 8446 4.6.1');
  });

  it('RFC 8446 4.2 an extension not allowed in NewSessionTicket (key_share): illegal_parameter', () => {
    rejects(() => checkNewSessionTicket(nst(7200, [share(X25519)])), 'illegal_parameter', 'RFC 8446 4.2');
  });
});

describe('sharedSecret: an FFDHE key share padded to the size of p (RFC 8446 4.2.8.1)', () => {
  const FF2048 = NamedGroup.ffdhe2048;
  const mine = keyPair(FF2048);
  const theirs = nobleProvider.keyExchange('ffdhe2048').generate();
  // Y = 2: in range (1 < Y < p-1), so only the encoding's length is at fault.
  const two = (n: number) => Uint8Array.from({ length: n }, (_, i) => (i === n - 1 ? 2 : 0));

  it('a share of exactly 256 bytes passes, also one whose leading bytes are zero padding', () => {
    expect(theirs.publicKey.length).toBe(256);
    expect(sharedSecret(nobleProvider, FF2048, mine.privateKey, theirs.publicKey, 'client').length).toBe(256);
    expect(sharedSecret(nobleProvider, FF2048, mine.privateKey, two(256), 'client').length).toBe(256);
  });

  for (const n of [1, 255, 257, 384]) {
    it(`a share of ${n} bytes for ffdhe2048: illegal_parameter`, () => {
      const value = n > 256 ? Uint8Array.of(...new Uint8Array(n - 256), ...theirs.publicKey) : two(n);
      const e = rejects(() => sharedSecret(nobleProvider, FF2048, mine.privateKey, value, 'client'), 'illegal_parameter', 'RFC 8446 4.2.8.1');
      expect(e.detail).toBe(`client key share for ffdhe2048 is ${n} bytes, not padded to the size of p (256 bytes)`);
    });
  }

  it('ffdhe3072 wants 384 bytes', () => {
    const kp = nobleProvider.keyExchange('ffdhe3072').generate();
    expect(kp.publicKey.length).toBe(384);
    rejects(() => sharedSecret(nobleProvider, NamedGroup.ffdhe3072, kp.privateKey, two(256), 'server'), 'illegal_parameter', 'RFC 8446 4.2.8.1');
  });
});

describe('sharedSecret: the peer key share (RFC 8446 4.2.8.2)', () => {
  it('a valid share gives the secret; an all-zero X25519 share is an illegal_parameter', () => {
    const mine = keyPair(X25519);
    const theirs = nobleProvider.keyExchange('x25519').generate(new Uint8Array(32).fill(2));
    expect(sharedSecret(nobleProvider, X25519, mine.privateKey, theirs.publicKey, 'server').length).toBe(32);
    rejects(() => sharedSecret(nobleProvider, X25519, mine.privateKey, new Uint8Array(32), 'server'), 'illegal_parameter', 'RFC 8446 4.2.8.2');
    rejects(() => sharedSecret(nobleProvider, P256, keyPair(P256).privateKey, new Uint8Array(65).fill(4), 'client'), 'illegal_parameter', 'RFC 8446 4.2.8.2');
  });
});

// ---- ClientHello -----------------------------------------------------------------------------------------

describe('ClientHello, as a server checks it (RFC 8446 4.1.2, 4.2, 4.2.8, 4.2.9, 4.2.11, 9.2)', () => {
  const ch = clientHello();
  const edit = (change: (exts: Extension[]) => Extension[], fields: Partial<ClientHello> = {}): ClientHello => ({ ...ch, ...fields, extensions: change([...ch.extensions!]) });
  const without = (type: Extension['type']) => edit((e) => e.filter((x) => x.type !== type));

  it('a conforming ClientHello passes every check, sender rules included', () => {
    expect(() => {
      checkClientHelloExtensions(ch);
      checkClientHello13(ch);
      checkClientHelloSenderRules(ch);
    }).not.toThrow();
    const resumption = clientHello({ psk: TICKET, earlyData: true });
    expect(() => {
      checkClientHello13(resumption);
      checkClientHelloSenderRules(resumption);
    }).not.toThrow();
  });

  it('RFC 8446 4.2 two extensions of one type: illegal_parameter', () => {
    rejects(() => checkClientHelloExtensions(edit((e) => [...e, e[0]])), 'illegal_parameter', 'RFC 8446 4.2');
  });

  it('RFC 8446 4.2 an extension the table does not allow in ClientHello (oid_filters, CR only): illegal_parameter', () => {
    rejects(() => checkClientHelloExtensions(edit((e) => [...e, { type: 'opaque', extension_type: ExtensionType.oid_filters, extension_data: Uint8Array.of(0, 0) }])), 'illegal_parameter', 'RFC 8446 4.2');
  });

  it('RFC 8446 4.1.2 legacy_compression_methods other than exactly [0]: illegal_parameter', () => {
    rejects(() => checkClientHello13({ ...ch, legacy_compression_methods: [1] }), 'illegal_parameter', 'RFC 8446 4.1.2');
    rejects(() => checkClientHello13({ ...ch, legacy_compression_methods: [0, 1] }), 'illegal_parameter', 'RFC 8446 4.1.2');
  });

  it('RFC 8446 4.2.11 pre_shared_key not the last extension: illegal_parameter', () => {
    const r = clientHello({ psk: TICKET });
    const exts = r.extensions!;
    rejects(() => checkClientHello13({ ...r, extensions: [exts.at(-1)!, ...exts.slice(0, -1)] }), 'illegal_parameter', 'RFC 8446 4.2.11');
  });

  it('RFC 8446 4.2.9 pre_shared_key without psk_key_exchange_modes: missing_extension', () => {
    const r = clientHello({ psk: TICKET });
    rejects(() => checkClientHello13({ ...r, extensions: r.extensions!.filter((e) => e.type !== 'psk_key_exchange_modes') }), 'missing_extension', 'RFC 8446 4.2.9');
  });

  it('RFC 8446 4.2.11 one binder per identity: illegal_parameter', () => {
    const r = clientHello({ psk: TICKET });
    const p = r.extensions!.at(-1) as Extract<Extension, { type: 'pre_shared_key' }>;
    rejects(() => checkClientHello13({ ...r, extensions: [...r.extensions!.slice(0, -1), { ...p, binders: [...p.binders!, p.binders![0]] } as Extension] }), 'illegal_parameter', 'RFC 8446 4.2.11');
  });

  it('RFC 8446 9.2 without pre_shared_key, signature_algorithms and supported_groups are required: missing_extension', () => {
    rejects(() => checkClientHello13(without('signature_algorithms')), 'missing_extension', 'RFC 8446 9.2');
    rejects(() => checkClientHello13(without('supported_groups')), 'missing_extension', 'RFC 8446 9.2');
  });

  it('RFC 8446 9.2 supported_groups and key_share come together: missing_extension', () => {
    rejects(() => checkClientHello13(without('key_share')), 'missing_extension', 'RFC 8446 9.2');
    // With a PSK (psk_ke), a ClientHello may have neither.
    const r = clientHello({ psk: TICKET, pskModes: [PskKeyExchangeMode.psk_ke] });
    expect(() => checkClientHello13({ ...r, extensions: r.extensions!.filter((e) => e.type !== 'key_share' && e.type !== 'supported_groups' && e.type !== 'signature_algorithms') })).not.toThrow();
  });

  it('RFC 8446 4.2.8 two key shares for one group, or a share for a group not in supported_groups: illegal_parameter', () => {
    const two = clientHello({ shares: [X25519] });
    const ks = two.extensions!.find((e) => e.type === 'key_share') as Extract<Extension, { type: 'key_share' }>;
    ks.client_shares = [ks.client_shares![0], ks.client_shares![0]];
    rejects(() => checkClientHello13(two), 'illegal_parameter', 'RFC 8446 4.2.8');
    rejects(() => checkClientHello13(clientHello({ groups: [P256], shares: [X25519] })), 'illegal_parameter', 'RFC 8446 4.2.8');
  });

  it('RFC 8446 4.1.2 (sender) legacy_version MUST be 0x0303; the server-side checks let it pass', () => {
    const v = { ...ch, legacy_version: ProtocolVersion.TLS1_0 };
    expect(() => checkClientHello13(v)).not.toThrow();
    rejects(() => checkClientHelloSenderRules(v), 'illegal_parameter', 'RFC 8446 4.1.2');
  });

  it('RFC 8446 4.2.8 (sender) key shares in the order of supported_groups; the server-side checks let it pass', () => {
    const out = clientHello({ groups: [X25519, P256], shares: [P256, X25519] });
    expect(() => checkClientHello13(out)).not.toThrow();
    rejects(() => checkClientHelloSenderRules(out), 'illegal_parameter', 'RFC 8446 4.2.8');
    expect(() => checkClientHelloSenderRules(clientHello({ groups: [X25519, P256, P384], shares: [X25519, P384] }))).not.toThrow();
  });

  it('RFC 8446 4.2.10 (sender) early_data only with pre_shared_key', () => {
    rejects(() => checkClientHelloSenderRules(edit((e) => [...e, { type: 'early_data' } as Extension])), 'illegal_parameter', 'RFC 8446 4.2.10');
  });

  it('RFC 8446 D.5 (sender) no truncated_hmac extension', () => {
    rejects(() => checkClientHelloSenderRules(edit((e) => [...e, { type: 'opaque', extension_type: 4, extension_data: new Uint8Array(0) } as Extension])), 'illegal_parameter', 'RFC 8446 D.5');
  });
});

describe('the second ClientHello after a HelloRetryRequest (RFC 8446 4.1.2, 4.2.2, 4.2.8, 4.2.10)', () => {
  const base: HelloOptions = { groups: [X25519, P256], shares: [X25519], alpn: ['h2'], psk: TICKET, earlyData: true };
  const ch1 = clientHello(base);
  const cookie = Uint8Array.of(0xc0, 0x0c);
  const hrr = helloRetryRequest(ch1, [{ type: 'key_share', selected_group: P256 }, { type: 'cookie', cookie }, sv13]);
  const ch2 = () => clientHello({ ...base, shares: [P256], cookie, earlyData: false });
  const ctx = { clientHello1: ch1, helloRetryRequest: hrr };
  const rejected412 = (c: ClientHello) => rejects(() => checkSecondClientHello(c, ctx), 'illegal_parameter', 'RFC 8446 4.1.2');

  it('the first ClientHello with the share replaced, early_data removed and the cookie added passes', () => {
    expect(() => checkSecondClientHello(ch2(), ctx)).not.toThrow();
  });

  it('padding may change, a PSK identity may be dropped', () => {
    const c = ch2();
    c.extensions!.splice(c.extensions!.length - 1, 0, { type: 'padding', padding: new Uint8Array(10) });
    expect(() => checkSecondClientHello(c, ctx)).not.toThrow();
    const noPsk = ch2();
    expect(() => checkSecondClientHello({ ...noPsk, extensions: noPsk.extensions!.filter((e) => e.type !== 'pre_shared_key') }, ctx)).not.toThrow();
    // psk_key_exchange_modes is not among the permitted changes, PSK or not.
    rejected412({ ...noPsk, extensions: noPsk.extensions!.filter((e) => e.type !== 'pre_shared_key' && e.type !== 'psk_key_exchange_modes') });
  });

  it('RFC 8446 4.1.2 random, legacy_session_id, cipher_suites, legacy_version, compression changed: illegal_parameter', () => {
    rejected412({ ...ch2(), random: new Uint8Array(32).fill(0x12) });
    rejected412({ ...ch2(), legacy_session_id: new Uint8Array(0) });
    rejected412({ ...ch2(), cipher_suites: [AES256, AES128] });
    rejected412({ ...ch2(), legacy_version: ProtocolVersion.TLS1_0 });
    rejected412({ ...ch2(), legacy_compression_methods: [0, 0] });
  });

  it('RFC 8446 4.1.2 an extension added, dropped, reordered or changed: illegal_parameter', () => {
    const c = ch2();
    const added = rejected412({ ...c, extensions: [{ type: 'post_handshake_auth' }, ...c.extensions!] });
    expect(added.detail).toMatch(/adds post_handshake_auth/);
    const dropped = rejected412({ ...c, extensions: c.extensions!.filter((e) => e.type !== 'application_layer_protocol_negotiation') });
    expect(dropped.detail).toMatch(/drops application_layer_protocol_negotiation/);
    const sn = c.extensions!.findIndex((e) => e.type === 'server_name');
    const sg = c.extensions!.findIndex((e) => e.type === 'supported_groups');
    const swapped = [...c.extensions!];
    [swapped[sn], swapped[sg]] = [swapped[sg], swapped[sn]];
    expect(rejected412({ ...c, extensions: swapped }).detail).toMatch(/order/);
    const changed = c.extensions!.map((e) => (e.type === 'supported_groups' ? { ...e, named_group_list: [P256, X25519] } : e));
    expect(rejected412({ ...c, extensions: changed }).detail).toMatch(/supported_groups/);
  });

  it('RFC 8446 4.2.10 early_data in the second ClientHello: illegal_parameter', () => {
    rejects(() => checkSecondClientHello(clientHello({ ...base, shares: [P256], cookie, earlyData: true }), ctx), 'illegal_parameter', 'RFC 8446 4.2.10');
  });

  it('RFC 8446 4.2.8 exactly one key share, for the selected group: illegal_parameter', () => {
    rejects(() => checkSecondClientHello(clientHello({ ...base, shares: [X25519], cookie, earlyData: false }), ctx), 'illegal_parameter', 'RFC 8446 4.2.8');
    rejects(() => checkSecondClientHello(clientHello({ ...base, shares: [X25519, P256], cookie, earlyData: false }), ctx), 'illegal_parameter', 'RFC 8446 4.2.8');
  });

  it('RFC 8446 4.2.2 the cookie echoed: missing_extension without it, illegal_parameter for another one', () => {
    rejects(() => checkSecondClientHello(clientHello({ ...base, shares: [P256], earlyData: false }), ctx), 'missing_extension', 'RFC 8446 4.2.2');
    rejects(() => checkSecondClientHello(clientHello({ ...base, shares: [P256], cookie: Uint8Array.of(1), earlyData: false }), ctx), 'illegal_parameter', 'RFC 8446 4.2.2');
  });

  it('RFC 8446 4.1.2 a cookie the HelloRetryRequest did not send, a key share changed without selected_group: illegal_parameter', () => {
    const cookieOnly = helloRetryRequest(ch1, [{ type: 'cookie', cookie }, sv13]);
    const noKs = helloRetryRequest(ch1, [{ type: 'key_share', selected_group: P256 }, sv13]);
    rejects(() => checkSecondClientHello(clientHello({ ...base, shares: [P256], cookie, earlyData: false }), { clientHello1: ch1, helloRetryRequest: noKs }), 'illegal_parameter', 'RFC 8446 4.1.2');
    expect(() => checkSecondClientHello(clientHello({ ...base, cookie, earlyData: false }), { clientHello1: ch1, helloRetryRequest: cookieOnly })).not.toThrow();
    rejects(() => checkSecondClientHello(clientHello({ ...base, shares: [P256], cookie, earlyData: false }), { clientHello1: ch1, helloRetryRequest: cookieOnly }), 'illegal_parameter', 'RFC 8446 4.1.2');
  });

  it('RFC 8446 4.1.2 a PSK identity the first ClientHello did not offer: illegal_parameter', () => {
    const other = clientHello({ ...base, psk: { ...TICKET, ticket: new Uint8Array(16).fill(1) }, shares: [P256], cookie, earlyData: false });
    rejected412(other);
  });
});
