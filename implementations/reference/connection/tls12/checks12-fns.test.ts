/**
 * Unit tests of checks12.ts: for each exported function, a message that keeps the rules (no error, and what the
 * function returns) and one per rule that breaks it (the alert and the section). Messages are built by hand
 * from a fixed TLS 1.2 ClientHello and changed in one field at a time; keys from the test PKI, fixed key pairs
 * and randomness. (checks12.test.ts runs the same rules through whole conversations of the reference endpoints.)
 */
import { describe, expect, it } from 'vitest';
import { rejects } from '../checks-harness.ts';
import { CipherSuite, ClientCertificateType, DOWNGRADE_TLS12, ExtensionType, NamedGroup, SignatureScheme } from '../../codec/enums.ts';
import type { Extension } from '../../codec/extensions.ts';
import type { CertificateRequest, ClientHello, ServerHello, ServerKeyExchange } from '../../codec/handshake.ts';
import { concatBytes } from '../../codec/bytes.ts';
import { nobleProvider } from '../../crypto/noble/index.ts';
import { FFDHE_GROUPS } from '../../crypto/ffdhe.ts';
import { suiteParams } from '../../crypto/suites.ts';
import type { PublicKey } from '../../crypto/provider.ts';
import { parseCertificateDer } from '../../crypto/certificate.ts';
import { offeredExtensions } from '../checks13.ts';
import { FIXED_NOW, TEST_PKI, seededRandom } from '../testing.ts';
import {
  agreedPremaster,
  checkCertificateRequest12,
  checkCertificateVerify12,
  checkClientCertificate12,
  checkClientHello12,
  checkFinished12,
  checkResumptionEms12,
  checkServerCertificate12,
  checkServerHello12,
  checkServerKeyExchange12,
  rsaPremasterSecret,
  type PreviousHandshake12,
  type ServerHello12Context,
} from './checks12.ts';
import { bigintToBytes, dheParams, ecdheParams, sign12, signedParams } from './common12.ts';

const S = CipherSuite;
const ECDSA_GCM = S.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256;
const ECDSA_CBC = S.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA;
const DHE_GCM = S.TLS_DHE_RSA_WITH_AES_128_GCM_SHA256;
const P256 = NamedGroup.secp256r1;
const X25519 = NamedGroup.x25519;
const FFDHE2048 = NamedGroup.ffdhe2048;
const ECDSA_P256 = SignatureScheme.ecdsa_secp256r1_sha256;
const RSA_PSS = SignatureScheme.rsa_pss_rsae_sha256;
/** Codes without a name in the enum: {md5, rsa}, {sha224, ecdsa}, {sha256, anonymous} (RFC 5246 7.4.1.4.1 pairs). */
const MD5_RSA = 0x0101;
const SHA224_ECDSA = 0x0303;
const SHA256_ANON = 0x0400;
const enc = (s: string) => new TextEncoder().encode(s);
const P256_KEY = TEST_PKI.p256();
const RSA_KEY = TEST_PKI.rsa();
const CLIENT_KEY = TEST_PKI.client();
const ROOTS = { trustRoots: TEST_PKI.ca(), now: new Date(FIXED_NOW) };


const random = seededRandom(12);
const CLIENT_RANDOM = random(32);
const SERVER_RANDOM = random(32);
const SESSION_ID = random(32);

/** A TLS 1.2 ClientHello as a TLS 1.2-capable client sends it, with `exts` replacing extensions of the same type. */
function hello(o: { suites?: number[]; compression?: number[]; exts?: Extension[]; drop?: Extension['type'][] } = {}): ClientHello {
  const base: Extension[] = [
    { type: 'supported_groups', named_group_list: [X25519, P256, FFDHE2048] },
    { type: 'signature_algorithms', supported_signature_algorithms: [ECDSA_P256, RSA_PSS, SignatureScheme.rsa_pkcs1_sha256] },
    { type: 'ec_point_formats', ec_point_format_list: [0] },
    { type: 'application_layer_protocol_negotiation', protocol_name_list: [enc('h2'), enc('http/1.1')] },
    { type: 'extended_master_secret' },
    { type: 'encrypt_then_mac' },
    { type: 'session_ticket' },
    { type: 'renegotiation_info', renegotiated_connection: new Uint8Array(0) },
  ];
  const over = o.exts ?? [];
  const extensions = [...base.filter((e) => !over.some((x) => x.type === e.type) && !o.drop?.includes(e.type)), ...over];
  return {
    msg_type: 'client_hello',
    legacy_version: 0x0303,
    random: CLIENT_RANDOM,
    legacy_session_id: SESSION_ID,
    cipher_suites: o.suites ?? [ECDSA_GCM, ECDSA_CBC, DHE_GCM],
    legacy_compression_methods: o.compression ?? [0],
    extensions,
  };
}

// ---- ClientHello (server side) ----------------------------------------------------------------------------

describe('checkClientHello12: an initial ClientHello (RFC 5246 7.4.1.2, RFC 7507 3, RFC 5746 3.6, RFC 8422 5.1.2)', () => {
  const ctx = { tls13Enabled: true };

  it('accepts a ClientHello; secure renegotiation from the extension or the SCSV, not without either', () => {
    expect(checkClientHello12(hello(), ctx)).toEqual({ secureRenegotiation: true });
    const scsv = hello({ drop: ['renegotiation_info'], suites: [ECDSA_GCM, S.TLS_EMPTY_RENEGOTIATION_INFO_SCSV] });
    expect(checkClientHello12(scsv, ctx)).toEqual({ secureRenegotiation: true });
    expect(checkClientHello12(hello({ drop: ['renegotiation_info'] }), ctx)).toEqual({ secureRenegotiation: false });
  });

  it('compression methods without null: illegal_parameter', () => {
    rejects(() => checkClientHello12(hello({ compression: [1] }), ctx), 'illegal_parameter', 'RFC 5246 7.4.1.2');
  });

  it('TLS_FALLBACK_SCSV: inappropriate_fallback when the server speaks TLS 1.3, accepted when TLS 1.2 is its highest', () => {
    const ch = hello({ suites: [ECDSA_GCM, S.TLS_FALLBACK_SCSV] });
    rejects(() => checkClientHello12(ch, ctx), 'inappropriate_fallback', 'RFC 7507 3');
    expect(() => checkClientHello12(ch, { tls13Enabled: false })).not.toThrow();
  });

  it('a non-empty renegotiation_info: handshake_failure', () => {
    const ch = hello({ exts: [{ type: 'renegotiation_info', renegotiated_connection: new Uint8Array(12) }] });
    rejects(() => checkClientHello12(ch, ctx), 'handshake_failure', 'RFC 5746 3.6');
  });

  it('ec_point_formats without uncompressed: illegal_parameter with an ECC group offered, ignored with FFDHE groups only', () => {
    const pf: Extension = { type: 'ec_point_formats', ec_point_format_list: [1] };
    rejects(() => checkClientHello12(hello({ exts: [pf] }), ctx), 'illegal_parameter', 'RFC 8422 5.1.2');
    const ffdheOnly = hello({ exts: [pf, { type: 'supported_groups', named_group_list: [FFDHE2048] }] });
    expect(() => checkClientHello12(ffdheOnly, ctx)).not.toThrow();
  });
});

describe('checkClientHello12: a renegotiation ClientHello (RFC 5746 3.7, 4.4)', () => {
  const cvd = random(12);
  const secure: PreviousHandshake12 = { secureRenegotiation: true, clientVerifyData: cvd, serverVerifyData: random(12) };
  const legacy: PreviousHandshake12 = { secureRenegotiation: false };
  const withReneg = (data: Uint8Array) => hello({ exts: [{ type: 'renegotiation_info', renegotiated_connection: data }] });

  it('secure: renegotiation_info with the saved client_verify_data is accepted', () => {
    expect(checkClientHello12(withReneg(cvd), { tls13Enabled: false, renegotiation: secure })).toEqual({ secureRenegotiation: true });
  });

  it('secure: the SCSV, no renegotiation_info, an empty or another verify_data: handshake_failure', () => {
    const ctx = { tls13Enabled: false, renegotiation: secure };
    rejects(() => checkClientHello12(hello({ exts: [{ type: 'renegotiation_info', renegotiated_connection: cvd }], suites: [ECDSA_GCM, S.TLS_EMPTY_RENEGOTIATION_INFO_SCSV] }), ctx), 'handshake_failure', 'RFC 5746 3.7');
    rejects(() => checkClientHello12(hello({ drop: ['renegotiation_info'] }), ctx), 'handshake_failure', 'RFC 5746 3.7');
    rejects(() => checkClientHello12(withReneg(new Uint8Array(0)), ctx), 'handshake_failure', 'RFC 5746 3.7');
    rejects(() => checkClientHello12(withReneg(random(12)), ctx), 'handshake_failure', 'RFC 5746 3.7');
  });

  it('legacy: accepted without the extension and the SCSV; either one is a handshake_failure', () => {
    const ctx = { tls13Enabled: false, renegotiation: legacy };
    expect(checkClientHello12(hello({ drop: ['renegotiation_info'] }), ctx)).toEqual({ secureRenegotiation: false });
    rejects(() => checkClientHello12(hello(), ctx), 'handshake_failure', 'RFC 5746 4.4');
    rejects(() => checkClientHello12(hello({ drop: ['renegotiation_info'], suites: [ECDSA_GCM, S.TLS_EMPTY_RENEGOTIATION_INFO_SCSV] }), ctx), 'handshake_failure', 'RFC 5746 4.4');
  });
});

describe('checkResumptionEms12 (RFC 7627 5.3)', () => {
  it('an extended-master-secret session offered without the extension: handshake_failure; the other cases pass', () => {
    rejects(() => checkResumptionEms12(hello({ drop: ['extended_master_secret'] }), { extendedMasterSecret: true }), 'handshake_failure', 'RFC 7627 5.3');
    expect(() => checkResumptionEms12(hello(), { extendedMasterSecret: true })).not.toThrow();
    expect(() => checkResumptionEms12(hello({ drop: ['extended_master_secret'] }), { extendedMasterSecret: false })).not.toThrow();
  });
});

// ---- ServerHello (client side) ----------------------------------------------------------------------------

function serverHello(o: Partial<ServerHello> = {}): ServerHello {
  return {
    msg_type: 'server_hello',
    legacy_version: 0x0303,
    random: SERVER_RANDOM,
    legacy_session_id_echo: random(32),
    cipher_suite: ECDSA_GCM,
    legacy_compression_method: 0,
    extensions: [{ type: 'renegotiation_info', renegotiated_connection: new Uint8Array(0) }, { type: 'extended_master_secret' }],
    ...o,
  };
}

const CH = hello();
const SH_CTX: ServerHello12Context = {
  clientHello: CH,
  offered: offeredExtensions(CH),
  offeredTls13: false,
  alpnOffered: ['h2', 'http/1.1'],
};
const shWith = (...exts: Extension[]) => serverHello({ extensions: exts });

describe('checkServerHello12: fields (RFC 5246 E.1, 7.4.1.3; RFC 8446 4.1.3)', () => {
  it('accepts a full-handshake ServerHello and says what it negotiated', () => {
    const r = checkServerHello12(serverHello(), SH_CTX);
    expect({ ...r, suite: r.suite.code }).toEqual({ suite: ECDSA_GCM, resumed: false, ems: true, etm: false, ticketExpected: false, secureRenegotiation: true, alpn: undefined });
  });

  it('server_version below TLS 1.2: protocol_version', () => {
    rejects(() => checkServerHello12(serverHello({ legacy_version: 0x0301 }), SH_CTX), 'protocol_version', 'RFC 5246 E.1');
  });

  it('the downgrade sentinel: illegal_parameter when the ClientHello offered TLS 1.3, ignored otherwise', () => {
    const sh = serverHello({ random: concatBytes(SERVER_RANDOM.subarray(0, 24), DOWNGRADE_TLS12) });
    rejects(() => checkServerHello12(sh, { ...SH_CTX, offeredTls13: true }), 'illegal_parameter', 'RFC 8446 4.1.3');
    expect(() => checkServerHello12(sh, SH_CTX)).not.toThrow();
  });

  it('a suite not offered, or a TLS 1.3 suite that was: illegal_parameter', () => {
    rejects(() => checkServerHello12(serverHello({ cipher_suite: S.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256 }), SH_CTX), 'illegal_parameter', 'RFC 5246 7.4.1.3');
    const dual = hello({ suites: [S.TLS_AES_128_GCM_SHA256, ECDSA_GCM] });
    rejects(() => checkServerHello12(serverHello({ cipher_suite: S.TLS_AES_128_GCM_SHA256 }), { ...SH_CTX, clientHello: dual }), 'illegal_parameter', 'RFC 5246 7.4.1.3');
  });

  it('a compression method other than null: illegal_parameter', () => {
    rejects(() => checkServerHello12(serverHello({ legacy_compression_method: 1 }), SH_CTX), 'illegal_parameter', 'RFC 5246 7.4.1.3');
  });
});

describe('checkServerHello12: extensions (RFC 5246 7.4.1.4; RFC 5746 3.4; RFC 8422 5.2; RFC 7301 3.1; RFC 7366 3)', () => {
  it('the same extension twice: illegal_parameter', () => {
    rejects(() => checkServerHello12(shWith({ type: 'extended_master_secret' }, { type: 'extended_master_secret' }), SH_CTX), 'illegal_parameter', 'RFC 5246 7.4.1.4');
  });

  it('an unsolicited extension, known or not: unsupported_extension', () => {
    const ctx = { ...SH_CTX, offered: new Set([ExtensionType.renegotiation_info]) };
    rejects(() => checkServerHello12(shWith({ type: 'extended_master_secret' }), ctx), 'unsupported_extension', 'RFC 5246 7.4.1.4');
    rejects(() => checkServerHello12(shWith({ type: 'opaque', extension_type: 0x7a7a, extension_data: new Uint8Array(0) }), ctx), 'unsupported_extension', 'RFC 5246 7.4.1.4');
  });

  it('an offered extension with no place in a TLS 1.2 ServerHello: illegal_parameter; an offered unknown one passes', () => {
    rejects(() => checkServerHello12(shWith({ type: 'supported_groups', named_group_list: [P256] }), SH_CTX), 'illegal_parameter', 'RFC 5246 7.4.1.4');
    const ctx = { ...SH_CTX, offered: new Set([...SH_CTX.offered, 0x7a7a]) };
    expect(() => checkServerHello12(shWith({ type: 'opaque', extension_type: 0x7a7a, extension_data: new Uint8Array(0) }), ctx)).not.toThrow();
  });

  it('a non-empty renegotiation_info in the initial handshake: handshake_failure; none: no secure renegotiation', () => {
    rejects(() => checkServerHello12(shWith({ type: 'renegotiation_info', renegotiated_connection: new Uint8Array(24) }), SH_CTX), 'handshake_failure', 'RFC 5746 3.4');
    expect(checkServerHello12(shWith(), SH_CTX).secureRenegotiation).toBe(false);
  });

  it('ec_point_formats without uncompressed: illegal_parameter', () => {
    expect(() => checkServerHello12(shWith({ type: 'ec_point_formats', ec_point_format_list: [0] }), SH_CTX)).not.toThrow();
    rejects(() => checkServerHello12(shWith({ type: 'ec_point_formats', ec_point_format_list: [1] }), SH_CTX), 'illegal_parameter', 'RFC 8422 5.2');
  });

  it('ALPN: one offered protocol is returned; two protocols, or one not offered: illegal_parameter', () => {
    const alpn = (...names: string[]): Extension => ({ type: 'application_layer_protocol_negotiation', protocol_name_list: names.map(enc) });
    expect(checkServerHello12(shWith(alpn('http/1.1')), SH_CTX).alpn).toBe('http/1.1');
    rejects(() => checkServerHello12(shWith(alpn('h2', 'http/1.1')), SH_CTX), 'illegal_parameter', 'RFC 7301 3.1');
    rejects(() => checkServerHello12(shWith(alpn('spdy/3')), SH_CTX), 'illegal_parameter', 'RFC 7301 3.1');
  });

  it('encrypt_then_mac: accepted with a CBC suite, illegal_parameter with an AEAD one; session_ticket announces a ticket', () => {
    const r = checkServerHello12(serverHello({ cipher_suite: ECDSA_CBC, extensions: [{ type: 'encrypt_then_mac' }, { type: 'session_ticket' }] }), SH_CTX);
    expect([r.etm, r.ticketExpected]).toEqual([true, true]);
    rejects(() => checkServerHello12(shWith({ type: 'encrypt_then_mac' }), SH_CTX), 'illegal_parameter', 'RFC 7366 3');
  });
});

describe('checkServerHello12: a renegotiation (RFC 5746 3.5, 4.2)', () => {
  const prev = { secureRenegotiation: true as const, clientVerifyData: random(12), serverVerifyData: random(12) };
  const reneg = (data: Uint8Array) => shWith({ type: 'renegotiation_info', renegotiated_connection: data });

  it('secure: client_verify_data + server_verify_data is accepted', () => {
    const r = checkServerHello12(reneg(concatBytes(prev.clientVerifyData, prev.serverVerifyData)), { ...SH_CTX, renegotiation: prev });
    expect(r.secureRenegotiation).toBe(true);
  });

  it('secure: no renegotiation_info, an empty one, or the halves swapped: handshake_failure', () => {
    const ctx = { ...SH_CTX, renegotiation: prev };
    rejects(() => checkServerHello12(shWith(), ctx), 'handshake_failure', 'RFC 5746 3.5');
    rejects(() => checkServerHello12(reneg(new Uint8Array(0)), ctx), 'handshake_failure', 'RFC 5746 3.5');
    rejects(() => checkServerHello12(reneg(concatBytes(prev.serverVerifyData, prev.clientVerifyData)), ctx), 'handshake_failure', 'RFC 5746 3.5');
  });

  it('legacy: renegotiation_info present (even empty): handshake_failure; absent: accepted', () => {
    const ctx = { ...SH_CTX, renegotiation: { secureRenegotiation: false } as const };
    rejects(() => checkServerHello12(reneg(new Uint8Array(0)), ctx), 'handshake_failure', 'RFC 5746 4.2');
    expect(checkServerHello12(shWith(), ctx).secureRenegotiation).toBe(false);
  });
});

describe('checkServerHello12: resumption (RFC 5246 7.4.1.3, RFC 7627 5.3)', () => {
  const session = { cipherSuite: ECDSA_GCM, extendedMasterSecret: true };
  const echo = serverHello({ legacy_session_id_echo: SESSION_ID });

  it('our session ID echoed with the session offered: resumed', () => {
    expect(checkServerHello12(echo, { ...SH_CTX, session }).resumed).toBe(true);
    expect(checkServerHello12(serverHello(), { ...SH_CTX, session }).resumed).toBe(false);
  });

  it('another cipher suite than the session\'s: illegal_parameter', () => {
    rejects(() => checkServerHello12({ ...echo, cipher_suite: ECDSA_CBC }, { ...SH_CTX, session }), 'illegal_parameter', 'RFC 5246 7.4.1.3');
  });

  it('extended_master_secret dropped, or added: handshake_failure', () => {
    rejects(() => checkServerHello12({ ...echo, extensions: [] }, { ...SH_CTX, session }), 'handshake_failure', 'RFC 7627 5.3');
    rejects(() => checkServerHello12(echo, { ...SH_CTX, session: { ...session, extendedMasterSecret: false } }), 'handshake_failure', 'RFC 7627 5.3');
  });

  it('our session ID echoed without a session offered: illegal_parameter', () => {
    rejects(() => checkServerHello12(echo, SH_CTX), 'illegal_parameter', 'RFC 5246 7.4.1.3');
  });
});

// ---- certificates -----------------------------------------------------------------------------------------

/** The leaf with a byte inside its SubjectPublicKeyInfo zeroed: node's X509Certificate.publicKey throws. */
function brokenKeyDer(): Uint8Array {
  const der = Uint8Array.from(P256_KEY.chain[0]);
  der[193] = 0;
  return der;
}

/**
 * `der` with its keyUsage BIT STRING rewritten to `bits` (RFC 5280 4.2.1.3, digitalSignature 0x80 of the first
 * byte): the test PKI has no certificate lacking digitalSignature. The signature no longer verifies, so the
 * chain is checked unverified (no roots).
 */
function withKeyUsage(der: Uint8Array, bits: number): Uint8Array {
  const out = Uint8Array.from(der);
  const oid = [0x06, 0x03, 0x55, 0x1d, 0x0f];
  const i = out.findIndex((_, j) => oid.every((b, k) => out[j + k] === b));
  let k = i + oid.length;
  if (out[k] === 0x01) k += 3; // critical BOOLEAN
  // OCTET STRING { BIT STRING { unused bits, first byte } }: one byte of bits keeps the lengths.
  expect([out[k], out[k + 2], out[k + 3]]).toEqual([0x04, 0x03, 0x02]);
  out[k + 4] = Math.max(0, 31 - Math.clz32(bits & -bits)); // unused trailing bits
  out[k + 5] = bits;
  return out;
}
const NO_DIGITAL_SIGNATURE = 0x08; // keyAgreement only
/** `der` with its TBSCertificate.version INTEGER (a0 03 02 01 02: v3) rewritten to v2 (RFC 5280 4.1.2.1). */
function asVersion2(der: Uint8Array): Uint8Array {
  const out = Uint8Array.from(der);
  const i = out.findIndex((_, j) => [0xa0, 0x03, 0x02, 0x01, 0x02].every((b, k) => out[j + k] === b));
  expect(i).toBeLessThan(12); // right after the outer and TBSCertificate headers
  out[i + 4] = 1;
  return out;
}
const P384_KEY = TEST_PKI.p384();

describe('checkServerCertificate12 (RFC 5246 7.4.2)', () => {
  const suite = suiteParams(ECDSA_GCM)!;
  const verify = { ...ROOTS, hostname: 'localhost' };

  it('returns the parsed chain, validated against the roots when asked', () => {
    const chain = checkServerCertificate12(P256_KEY.chain, { suite, chain: verify });
    expect(chain.map((c) => c.der)).toEqual(P256_KEY.chain);
  });

  it('an empty list, a certificate that does not parse, one whose key does not decode: bad_certificate', () => {
    rejects(() => checkServerCertificate12([], { suite }), 'bad_certificate', 'RFC 5246 7.4.2');
    rejects(() => checkServerCertificate12([Uint8Array.of(0x30, 0x03, 1, 2, 3)], { suite }), 'bad_certificate', 'RFC 5246 7.4.2');
    rejects(() => checkServerCertificate12([brokenKeyDer()], { suite }), 'bad_certificate', 'RFC 5246 7.4.2');
  });

  it('an unknown CA: unknown_ca when verified, accepted when not', () => {
    rejects(() => checkServerCertificate12(P256_KEY.chain, { suite, chain: { ...verify, trustRoots: [] } }), 'unknown_ca', 'RFC 5246 7.4.2');
    expect(() => checkServerCertificate12(P256_KEY.chain, { suite })).not.toThrow();
  });

  it('a key that does not fit the suite (RSA for ECDHE_ECDSA, ECDSA for DHE_RSA): unsupported_certificate', () => {
    rejects(() => checkServerCertificate12(RSA_KEY.chain, { suite }), 'unsupported_certificate', 'RFC 5246 7.4.2');
    rejects(() => checkServerCertificate12(P256_KEY.chain, { suite: suiteParams(DHE_GCM)! }), 'unsupported_certificate', 'RFC 5246 7.4.2');
  });

  it('a signing suite (ECDHE_ECDSA, ECDHE_RSA, DHE_RSA) and a keyUsage without digitalSignature: unsupported_certificate', () => {
    const ecdsaLeaf = withKeyUsage(P256_KEY.chain[0], NO_DIGITAL_SIGNATURE);
    const rsaLeaf = withKeyUsage(RSA_KEY.chain[0], 0x20); // keyEncipherment only
    const parsed = parseCertificateDer(ecdsaLeaf);
    expect(parsed.ok && parsed.value.keyUsage).toBe(NO_DIGITAL_SIGNATURE << 8);
    const e = rejects(() => checkServerCertificate12([ecdsaLeaf], { suite }), 'unsupported_certificate', 'RFC 5246 7.4.2');
    expect(e.message).toMatch(/digitalSignature/);
    for (const code of [S.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, DHE_GCM])
      rejects(() => checkServerCertificate12([rsaLeaf], { suite: suiteParams(code)! }), 'unsupported_certificate', 'RFC 5246 7.4.2');
  });

  it('digitalSignature set, or no signing (RSA key exchange with keyEncipherment only): accepted', () => {
    expect(() => checkServerCertificate12(P256_KEY.chain, { suite: suiteParams(ECDSA_CBC)! })).not.toThrow();
    expect(() => checkServerCertificate12(RSA_KEY.chain, { suite: suiteParams(S.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256)! })).not.toThrow();
    const rsaLeaf = withKeyUsage(RSA_KEY.chain[0], 0x20);
    expect(() => checkServerCertificate12([rsaLeaf], { suite: suiteParams(S.TLS_RSA_WITH_AES_128_GCM_SHA256)! })).not.toThrow();
  });

  it('an X.509v2 certificate, leaf or not: unsupported_certificate; X.509v3: accepted', () => {
    const parsed = parseCertificateDer(asVersion2(P256_KEY.chain[0]));
    expect(parsed.ok && parsed.value.version).toBe(2);
    expect(P256_KEY.leaf.version).toBe(3);
    const e = rejects(() => checkServerCertificate12([asVersion2(P256_KEY.chain[0])], { suite }), 'unsupported_certificate', 'RFC 5246 7.4.2');
    expect(e.message).toMatch(/X\.509v2/);
    rejects(() => checkServerCertificate12([P256_KEY.chain[0], asVersion2(TEST_PKI.ca()[0].der)], { suite }), 'unsupported_certificate', 'RFC 5246 7.4.2');
    expect(() => checkServerCertificate12([P256_KEY.chain[0], TEST_PKI.ca()[0].der], { suite })).not.toThrow();
  });

  it('an ECDSA key on a curve not in the ClientHello\'s supported_groups: unsupported_certificate (RFC 8422 5.3)', () => {
    const p256Only = hello({ exts: [{ type: 'supported_groups', named_group_list: [X25519, P256] }] });
    const e = rejects(() => checkServerCertificate12(P384_KEY.chain, { suite, clientHello: p256Only }), 'unsupported_certificate', 'RFC 5246 7.4.2');
    expect(e.message).toMatch(/secp384r1/);
    // The curve listed, or no supported_groups sent (nothing to respect), or no ClientHello given: accepted.
    expect(() => checkServerCertificate12(P256_KEY.chain, { suite, clientHello: p256Only })).not.toThrow();
    expect(() => checkServerCertificate12(P384_KEY.chain, { suite, clientHello: hello({ exts: [{ type: 'supported_groups', named_group_list: [NamedGroup.secp384r1] }] }) })).not.toThrow();
    expect(() => checkServerCertificate12(P384_KEY.chain, { suite, clientHello: hello({ drop: ['supported_groups'] }) })).not.toThrow();
    expect(() => checkServerCertificate12(P384_KEY.chain, { suite })).not.toThrow();
  });
});

describe('checkClientCertificate12 (RFC 5246 7.4.6)', () => {
  const ctx = { requestedCertTypes: [ClientCertificateType.rsa_sign, ClientCertificateType.ecdsa_sign], requireClientCert: false, chain: ROOTS };

  it('an empty list: accepted ([]) unless a certificate is required (handshake_failure)', () => {
    expect(checkClientCertificate12([], ctx)).toEqual([]);
    rejects(() => checkClientCertificate12([], { ...ctx, requireClientCert: true }), 'handshake_failure', 'RFC 5246 7.4.6');
  });

  it('returns the parsed chain, validated for clientAuth', () => {
    expect(checkClientCertificate12(CLIENT_KEY.chain, ctx).map((c) => c.der)).toEqual(CLIENT_KEY.chain);
  });

  it('a certificate that does not parse, or whose key does not decode: bad_certificate; an unknown CA: unknown_ca', () => {
    rejects(() => checkClientCertificate12([Uint8Array.of(1, 2, 3)], ctx), 'bad_certificate', 'RFC 5246 7.4.6');
    rejects(() => checkClientCertificate12([brokenKeyDer()], ctx), 'bad_certificate', 'RFC 5246 7.4.6');
    rejects(() => checkClientCertificate12(CLIENT_KEY.chain, { ...ctx, chain: { ...ROOTS, trustRoots: [] } }), 'unknown_ca', 'RFC 5246 7.4.6');
  });

  it('a key of a type the CertificateRequest did not list: unsupported_certificate', () => {
    rejects(() => checkClientCertificate12(CLIENT_KEY.chain, { ...ctx, requestedCertTypes: [ClientCertificateType.rsa_sign] }), 'unsupported_certificate', 'RFC 5246 7.4.6');
  });

  it('an X.509v2 client certificate: unsupported_certificate', () => {
    rejects(() => checkClientCertificate12([asVersion2(CLIENT_KEY.chain[0])], { ...ctx, chain: undefined }), 'unsupported_certificate', 'RFC 5246 7.4.6');
  });

  it('a keyUsage without digitalSignature (ECDSA and RSA keys): unsupported_certificate; with it: accepted', () => {
    const unverified = { ...ctx, chain: undefined };
    expect(CLIENT_KEY.leaf.keyUsage! & 0x8000).not.toBe(0);
    const e = rejects(() => checkClientCertificate12([withKeyUsage(CLIENT_KEY.chain[0], NO_DIGITAL_SIGNATURE)], unverified), 'unsupported_certificate', 'RFC 5246 7.4.6');
    expect(e.message).toMatch(/digitalSignature/);
    rejects(() => checkClientCertificate12([withKeyUsage(RSA_KEY.chain[0], 0x20)], unverified), 'unsupported_certificate', 'RFC 5246 7.4.6');
    expect(() => checkClientCertificate12([withKeyUsage(CLIENT_KEY.chain[0], 0x88)], unverified)).not.toThrow();
    expect(() => checkClientCertificate12(RSA_KEY.chain, unverified)).not.toThrow();
  });
});

// ---- ServerKeyExchange ------------------------------------------------------------------------------------

type SignedSke = Extract<ServerKeyExchange, { form: 'ecdhe' | 'dhe' }>;
const ECDHE_POINT = nobleProvider.keyExchange('secp256r1').generate(new Uint8Array(32).fill(1)).publicKey;
const FF = FFDHE_GROUPS.ffdhe2048;
const FF_P = bigintToBytes(FF.p, FF.byteLength);
const FF_YS = nobleProvider.keyExchange('ffdhe2048').generate(Uint8Array.of(0x12, 0x34)).publicKey;

/** An ECDHE ServerKeyExchange for `curve`, signed by the P-256 server key with `scheme` (or `sign` to sign another way). */
function ecdheSke(o: { curve?: number; scheme?: number; signWith?: number } = {}): SignedSke {
  const curve = o.curve ?? P256;
  const scheme = o.scheme ?? ECDSA_P256;
  const content = signedParams(CLIENT_RANDOM, SERVER_RANDOM, ecdheParams(curve, ECDHE_POINT));
  const signature = sign12(nobleProvider, o.signWith ?? scheme, P256_KEY.key, content);
  return { msg_type: 'server_key_exchange', form: 'ecdhe', curve_type: 3, named_curve: curve, public: ECDHE_POINT, signature: { algorithm: scheme, signature } };
}

/** A DHE ServerKeyExchange signed by the RSA server key with rsa_pss_rsae_sha256. */
function dheSke(p = FF_P, g = Uint8Array.of(2), ys = FF_YS): SignedSke {
  const signature = sign12(nobleProvider, RSA_PSS, RSA_KEY.key, signedParams(CLIENT_RANDOM, SERVER_RANDOM, dheParams(p, g, ys)));
  return { msg_type: 'server_key_exchange', form: 'dhe', dh_p: p, dh_g: g, dh_Ys: ys, signature: { algorithm: RSA_PSS, signature } };
}

const skeCtx = (serverKey: PublicKey, o: { clientHello?: ClientHello; legacySha1?: boolean } = {}) => ({
  clientHello: o.clientHello ?? CH,
  serverRandom: SERVER_RANDOM,
  serverKey,
  provider: nobleProvider,
  legacySha1: o.legacySha1 ?? false,
});
const P256_PUB = P256_KEY.leaf.publicKey!;
const RSA_PUB = RSA_KEY.leaf.publicKey!;

describe('checkServerKeyExchange12: ECDHE (RFC 8422 5.4, RFC 5246 7.4.3)', () => {
  it('returns the curve, the signed params and the scheme', () => {
    expect(checkServerKeyExchange12(ecdheSke(), skeCtx(P256_PUB))).toEqual({ group: P256, params: ecdheParams(P256, ECDHE_POINT), scheme: ECDSA_P256 });
  });

  it('a curve the ClientHello did not offer: illegal_parameter', () => {
    rejects(() => checkServerKeyExchange12(ecdheSke({ curve: NamedGroup.secp384r1 }), skeCtx(P256_PUB)), 'illegal_parameter', 'RFC 8422 5.4');
  });

  it('no supported_groups in the ClientHello: any curve of RFC 8422 5.1.1 (RFC 8422 4: "the server is free to choose")', () => {
    const ch = hello({ drop: ['supported_groups'] });
    for (const curve of [P256, NamedGroup.secp384r1, X25519]) expect(checkServerKeyExchange12(ecdheSke({ curve }), skeCtx(P256_PUB, { clientHello: ch })).group).toBe(curve);
    // A group that is not an elliptic curve is still refused.
    rejects(() => checkServerKeyExchange12(ecdheSke({ curve: NamedGroup.ffdhe2048 }), skeCtx(P256_PUB, { clientHello: ch })), 'illegal_parameter', 'RFC 8422 5.4');
  });

  it('no signature: decode_error', () => {
    rejects(() => checkServerKeyExchange12({ ...ecdheSke(), signature: undefined }, skeCtx(P256_PUB)), 'decode_error', 'RFC 5246 7.4.3');
  });

  it('a scheme not offered: illegal_parameter', () => {
    const ch = hello({ exts: [{ type: 'signature_algorithms', supported_signature_algorithms: [RSA_PSS] }] });
    rejects(() => checkServerKeyExchange12(ecdheSke(), skeCtx(P256_PUB, { clientHello: ch })), 'illegal_parameter', 'RFC 5246 7.4.1.4.1');
  });

  it('a scheme the server key cannot make: illegal_parameter', () => {
    rejects(() => checkServerKeyExchange12(ecdheSke({ scheme: RSA_PSS, signWith: ECDSA_P256 }), skeCtx(P256_PUB)), 'illegal_parameter', 'RFC 5246 7.4.3');
  });

  it('a signature that does not verify: decrypt_error', () => {
    const ske = ecdheSke();
    const bad = { ...ske, signature: { algorithm: ECDSA_P256, signature: ecdheSke({ curve: X25519 }).signature!.signature } };
    rejects(() => checkServerKeyExchange12(bad, skeCtx(P256_PUB)), 'decrypt_error', 'RFC 5246 7.4.3');
  });

  it('SHA-1 (even offered): illegal_parameter (RFC 9155), accepted with legacySha1; MD5, SHA-224: RFC 8446 4.2.3 always', () => {
    const sha1 = SignatureScheme.ecdsa_sha1;
    const ch = hello({ exts: [{ type: 'signature_algorithms', supported_signature_algorithms: [ECDSA_P256, sha1, SHA224_ECDSA, MD5_RSA] }] });
    rejects(() => checkServerKeyExchange12(ecdheSke({ scheme: sha1 }), skeCtx(P256_PUB, { clientHello: ch })), 'illegal_parameter', 'RFC 9155');
    expect(checkServerKeyExchange12(ecdheSke({ scheme: sha1 }), skeCtx(P256_PUB, { clientHello: ch, legacySha1: true })).scheme).toBe(sha1);
    for (const scheme of [SHA224_ECDSA, MD5_RSA]) {
      rejects(() => checkServerKeyExchange12(ecdheSke({ scheme, signWith: ECDSA_P256 }), skeCtx(P256_PUB, { clientHello: ch, legacySha1: true })), 'illegal_parameter', 'RFC 8446 4.2.3');
    }
  });

  it('without signature_algorithms in the ClientHello only the RFC 5246 7.4.1.4.1 default {sha1, ecdsa} is offered', () => {
    const ch = hello({ drop: ['signature_algorithms'] });
    rejects(() => checkServerKeyExchange12(ecdheSke(), skeCtx(P256_PUB, { clientHello: ch })), 'illegal_parameter', 'RFC 5246 7.4.1.4.1');
    const sha1 = ecdheSke({ scheme: SignatureScheme.ecdsa_sha1 });
    expect(() => checkServerKeyExchange12(sha1, skeCtx(P256_PUB, { clientHello: ch, legacySha1: true }))).not.toThrow();
  });
});

describe('checkServerKeyExchange12: DHE (RFC 7919 3, 5.1)', () => {
  it('an RFC 7919 group is named; another one is accepted unnamed when large enough', () => {
    expect(checkServerKeyExchange12(dheSke(), skeCtx(RSA_PUB)).group).toBe(FFDHE2048);
    const other = FF_P.slice();
    other[FF_P.length - 1] ^= 2; // still odd, still 2048 bits: not ffdhe2048
    const r = checkServerKeyExchange12(dheSke(other), skeCtx(RSA_PUB));
    expect([r.group, r.params]).toEqual([undefined, dheParams(other, Uint8Array.of(2), FF_YS)]);
  });

  it('a group under 2048 bits, or an even p: insufficient_security', () => {
    rejects(() => checkServerKeyExchange12(dheSke(FF_P.subarray(128)), skeCtx(RSA_PUB)), 'insufficient_security', 'RFC 7919 3');
    const even = FF_P.slice();
    even[FF_P.length - 1] ^= 1;
    rejects(() => checkServerKeyExchange12(dheSke(even), skeCtx(RSA_PUB)), 'insufficient_security', 'RFC 7919 3');
  });

  it('g = 1 (not an RFC 7919 group), Ys = 1 or Ys = p - 1: illegal_parameter', () => {
    rejects(() => checkServerKeyExchange12(dheSke(FF_P, Uint8Array.of(1)), skeCtx(RSA_PUB)), 'illegal_parameter', 'RFC 7919 5.1');
    rejects(() => checkServerKeyExchange12(dheSke(FF_P, Uint8Array.of(2), Uint8Array.of(1)), skeCtx(RSA_PUB)), 'illegal_parameter', 'RFC 7919 5.1');
    rejects(() => checkServerKeyExchange12(dheSke(FF_P, Uint8Array.of(2), bigintToBytes(FF.p - 1n, 256)), skeCtx(RSA_PUB)), 'illegal_parameter', 'RFC 7919 5.1');
  });
});

describe('checkCertificateRequest12 (RFC 9155, RFC 8446 4.2.3, RFC 5246 7.4.1.4.1): what binds the server', () => {
  const cr = (schemes: number[]): Extract<CertificateRequest, { form: 'tls12' }> => ({
    msg_type: 'certificate_request',
    form: 'tls12',
    certificate_types: [ClientCertificateType.ecdsa_sign],
    supported_signature_algorithms: schemes,
    certificate_authorities: [],
  });

  it('accepts SHA-2, PSS and EdDSA schemes', () => {
    expect(() => checkCertificateRequest12(cr([ECDSA_P256, RSA_PSS, SignatureScheme.ed25519]))).not.toThrow();
  });

  it('a SHA-1 scheme: illegal_parameter (RFC 9155), accepted with legacySha1', () => {
    rejects(() => checkCertificateRequest12(cr([ECDSA_P256, SignatureScheme.rsa_pkcs1_sha1])), 'illegal_parameter', 'RFC 9155');
    expect(() => checkCertificateRequest12(cr([ECDSA_P256, SignatureScheme.rsa_pkcs1_sha1]), true)).not.toThrow();
  });

  it('MD5 or SHA-224: RFC 8446 4.2.3; an anonymous pair: RFC 5246 7.4.1.4.1', () => {
    rejects(() => checkCertificateRequest12(cr([MD5_RSA]), true), 'illegal_parameter', 'RFC 8446 4.2.3');
    rejects(() => checkCertificateRequest12(cr([SHA224_ECDSA]), true), 'illegal_parameter', 'RFC 8446 4.2.3');
    rejects(() => checkCertificateRequest12(cr([SHA256_ANON])), 'illegal_parameter', 'RFC 5246 7.4.1.4.1');
  });
});

// ---- CertificateVerify, Finished ---------------------------------------------------------------------------

describe('checkCertificateVerify12 (RFC 5246 7.4.8)', () => {
  const content = random(300);
  const key = CLIENT_KEY.leaf.publicKey!;
  const cv = (algorithm: number, signWith = algorithm, over = content) => ({ msg_type: 'certificate_verify' as const, algorithm, signature: sign12(nobleProvider, signWith, CLIENT_KEY.key, over) });
  const ctx = { requestedSchemes: [ECDSA_P256, RSA_PSS, SignatureScheme.ecdsa_sha1], key, content, provider: nobleProvider, legacySha1: false };

  it('accepts a requested scheme that fits the key and verifies', () => {
    expect(() => checkCertificateVerify12(cv(ECDSA_P256), ctx)).not.toThrow();
  });

  it('a scheme not requested: illegal_parameter', () => {
    rejects(() => checkCertificateVerify12(cv(SignatureScheme.ecdsa_secp384r1_sha384), ctx), 'illegal_parameter', 'RFC 5246 7.4.8');
  });

  it('a requested scheme the key cannot make: illegal_parameter', () => {
    rejects(() => checkCertificateVerify12(cv(RSA_PSS, ECDSA_P256), ctx), 'illegal_parameter', 'RFC 5246 7.4.8');
  });

  it('a signature over other messages: decrypt_error', () => {
    rejects(() => checkCertificateVerify12(cv(ECDSA_P256, ECDSA_P256, content.subarray(1)), ctx), 'decrypt_error', 'RFC 5246 7.4.8');
  });

  it('SHA-1: illegal_parameter (RFC 9155), accepted with legacySha1; SHA-224: RFC 8446 4.2.3', () => {
    rejects(() => checkCertificateVerify12(cv(SignatureScheme.ecdsa_sha1), ctx), 'illegal_parameter', 'RFC 9155');
    expect(() => checkCertificateVerify12(cv(SignatureScheme.ecdsa_sha1), { ...ctx, legacySha1: true })).not.toThrow();
    rejects(() => checkCertificateVerify12(cv(SHA224_ECDSA, ECDSA_P256), { ...ctx, requestedSchemes: [SHA224_ECDSA] }), 'illegal_parameter', 'RFC 8446 4.2.3');
  });
});

describe('checkFinished12 (RFC 5246 7.4.9)', () => {
  const expected = random(12);
  const fin = (verify_data: Uint8Array) => ({ msg_type: 'finished' as const, verify_data });

  it('accepts the expected verify_data', () => {
    expect(() => checkFinished12(fin(expected.slice()), expected, 'server')).not.toThrow();
  });

  it('12 other bytes: decrypt_error, naming the sender', () => {
    const wrong = expected.slice();
    wrong[11] ^= 1;
    expect(rejects(() => checkFinished12(fin(wrong), expected, 'client'), 'decrypt_error', 'RFC 5246 7.4.9').detail).toBe('client Finished verify_data is wrong');
  });

  it('a verify_data of 16 or 0 bytes: decode_error', () => {
    rejects(() => checkFinished12(fin(concatBytes(expected, new Uint8Array(4))), expected, 'server'), 'decode_error', 'RFC 5246 7.4.9');
    rejects(() => checkFinished12(fin(new Uint8Array(0)), expected, 'server'), 'decode_error', 'RFC 5246 7.4.9');
  });
});

// ---- premaster secrets ------------------------------------------------------------------------------------

describe('rsaPremasterSecret (RFC 5246 7.4.7.1)', () => {
  const key = RSA_KEY.key as Extract<typeof RSA_KEY.key, { kind: 'rsa' }>;
  const pub = RSA_PUB as Extract<PublicKey, { kind: 'rsa' }>;
  const r = random(48);
  const pms = concatBytes(Uint8Array.of(3, 3), random(46));

  it('a well-formed EncryptedPreMasterSecret with the ClientHello version: M', () => {
    expect(rsaPremasterSecret(nobleProvider, key, nobleProvider.rsaEncrypt(pub, pms), 0x0303, r)).toEqual(pms);
  });

  it('another version in M, M of 47 bytes, or bad padding: R, without an error', () => {
    expect(rsaPremasterSecret(nobleProvider, key, nobleProvider.rsaEncrypt(pub, pms), 0x0302, r)).toEqual(r);
    expect(rsaPremasterSecret(nobleProvider, key, nobleProvider.rsaEncrypt(pub, pms.subarray(1)), 0x0303, r)).toEqual(r);
    expect(rsaPremasterSecret(nobleProvider, key, random(256), 0x0303, r)).toEqual(r);
  });
});

describe('agreedPremaster (RFC 8422 5.10 / 5.11, RFC 7919 5.1, RFC 5246 8.1.2)', () => {
  it('ECDHE: both sides agree on the x-coordinate, full length', () => {
    const kx = nobleProvider.keyExchange('secp256r1');
    const a = kx.generate(new Uint8Array(32).fill(1));
    const b = kx.generate(new Uint8Array(32).fill(2));
    const z = agreedPremaster(nobleProvider, a, b.publicKey, 'ecdhe', 'client');
    expect(z.length).toBe(32);
    expect(agreedPremaster(nobleProvider, b, a.publicKey, 'ecdhe', 'server')).toEqual(z);
  });

  it('an off-curve point or an all-zero X25519 result: illegal_parameter, naming whose value it was', () => {
    const p256 = nobleProvider.keyExchange('secp256r1').generate(new Uint8Array(32).fill(1));
    const off = concatBytes(Uint8Array.of(4), new Uint8Array(64).fill(1));
    expect(rejects(() => agreedPremaster(nobleProvider, p256, off, 'ecdhe', 'client'), 'illegal_parameter', 'RFC 8422 5.11').detail).toMatch(/^client ECDHE public value/);
    const x = nobleProvider.keyExchange('x25519').generate(new Uint8Array(32).fill(1));
    rejects(() => agreedPremaster(nobleProvider, x, new Uint8Array(32), 'ecdhe', 'server'), 'illegal_parameter', 'RFC 8422 5.11');
  });

  it('DHE: leading zero bytes of Z stripped (g^(291*2) = 2^582 mod p, 73 bytes)', () => {
    const kx = nobleProvider.keyExchange('ffdhe2048');
    const a = kx.generate(Uint8Array.of(0x01, 0x23));
    const b = kx.generate(Uint8Array.of(0x00, 0x02));
    expect(agreedPremaster(nobleProvider, a, b.publicKey, 'dhe', 'client')).toEqual(bigintToBytes(2n ** 582n, 73));
  });

  it('DHE: Y = 1 or Y = p - 1: illegal_parameter', () => {
    const a = nobleProvider.keyExchange('ffdhe2048').generate(Uint8Array.of(0x01, 0x23));
    rejects(() => agreedPremaster(nobleProvider, a, bigintToBytes(1n, 256), 'dhe', 'client'), 'illegal_parameter', 'RFC 7919 5.1');
    rejects(() => agreedPremaster(nobleProvider, a, bigintToBytes(FF.p - 1n, 256), 'dhe', 'server'), 'illegal_parameter', 'RFC 7919 5.1');
  });
});
