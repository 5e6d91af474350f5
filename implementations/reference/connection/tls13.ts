/**
 * TLS 1.3 pieces shared by the client and the server: the connection's secrets and the record protection
 * they make, the CertificateVerify content, and signature scheme choice. (The checks on what the other side
 * sends are in checks13.ts.)
 */
import { AlertDescription, HandshakeType, SignatureScheme, nameOf, type AlertName } from '../codec/enums.ts';
import { decodeHandshakeBody, encodeHandshake, type HandshakeMessage } from '../codec/handshake.ts';
import type { Extension } from '../codec/extensions.ts';
import { DecodeError } from '../codec/errors.ts';
import type { CryptoProvider, HashName, PrivateKey, PublicKey, SignatureSchemeName } from '../crypto/provider.ts';
import { Tls13RecordProtection } from '../crypto/record-protection.ts';
import { suiteParams, type CipherSuiteParams } from '../crypto/suites.ts';
import { Tls13KeySchedule } from '../crypto/tls13-key-schedule.ts';
import { schemesForKey } from '../crypto/keys.ts';
import { TlsError } from './errors.ts';
import type { Inbound } from './record-layer.ts';
export { concatBytes, equalBytes } from '../codec/bytes.ts';

/** The negotiated TLS 1.3 suite: its parameters and a key schedule on its hash. */
export class Tls13Suite {
  readonly params: CipherSuiteParams;
  readonly hash: HashName;
  readonly ks: Tls13KeySchedule;
  constructor(
    readonly provider: CryptoProvider,
    readonly code: number,
  ) {
    const p = suiteParams(code);
    if (!p || p.version !== 'TLS1.3') throw new TlsError('handshake_failure', 'RFC 8446 4.1.1', `not a TLS 1.3 cipher suite: ${nameOf({}, code)}`, 'local');
    this.params = p;
    this.hash = p.prfHash;
    this.ks = new Tls13KeySchedule(provider, this.hash);
  }

  get hashLength(): number {
    return this.provider.hashLength(this.hash);
  }

  /** Record protection for one direction from a traffic secret (RFC 8446 7.3). */
  protection(trafficSecret: Uint8Array, maxInnerPlaintext?: number): Tls13RecordProtection {
    const k = this.ks.trafficKeys(trafficSecret, this.params.keyLength, 12);
    return new Tls13RecordProtection(this.provider, this.params, k.key, k.iv, { maxInnerPlaintext });
  }
}

/** Decode one inbound handshake message as TLS 1.3, turning a DecodeError into a TlsError. */
export function decode13(item: Extract<Inbound, { kind: 'handshake' }>): HandshakeMessage {
  try {
    return decodeHandshakeBody(item.msg_type, item.body, { version: 'tls13' });
  } catch (e) {
    if (e instanceof DecodeError) throw new TlsError(e.alert, 'RFC 8446 4', `${e.path}: ${e.reason}`);
    throw e;
  }
}

/** The message as it goes on the wire and into the transcript. */
export function raw(msg: HandshakeMessage): Uint8Array {
  return encodeHandshake(msg);
}

/** A handshake message of a type the state does not expect: RFC 8446 4 / 5, unexpected_message. */
export function unexpected(msg: { msg_type: string | number } | Inbound, state: string): TlsError {
  const what = 'msg_type' in msg ? String(msg.msg_type) : msg.kind;
  // RFC 8446 4.6.3: "Implementations that receive a KeyUpdate message prior to receiving a Finished message
  // MUST terminate the connection with an "unexpected_message" alert."
  if (what === 'key_update') return new TlsError('unexpected_message', 'RFC 8446 4.6.3', `key_update received in state ${state}, before Finished`);
  return new TlsError('unexpected_message', 'RFC 8446 4', `${what} received in state ${state}`);
}

export function findExt<T extends Extension['type']>(exts: readonly Extension[] | undefined, type: T): Extract<Extension, { type: T }> | undefined {
  return exts?.find((e) => e.type === type) as Extract<Extension, { type: T }> | undefined;
}

/** RFC 8446 4.4.3: the content covered by a CertificateVerify signature. */
export function certificateVerifyContent(side: 'server' | 'client', transcriptHash: Uint8Array): Uint8Array {
  const context = new TextEncoder().encode(`TLS 1.3, ${side} CertificateVerify`);
  const out = new Uint8Array(64 + context.length + 1 + transcriptHash.length);
  out.fill(0x20, 0, 64);
  out.set(context, 64);
  out[64 + context.length] = 0;
  out.set(transcriptHash, 64 + context.length + 1);
  return out;
}

/** Schemes usable for a TLS 1.3 CertificateVerify: RFC 8446 4.4.3 forbids RSASSA-PKCS1-v1_5 and SHA-1. */
export function isTls13SignatureScheme(code: number): boolean {
  const name = nameOf(SignatureScheme, code);
  return !name.startsWith('rsa_pkcs1_') && !name.endsWith('sha1') && !name.startsWith('unknown');
}

export function schemeName(code: number): SignatureSchemeName | undefined {
  const n = nameOf(SignatureScheme, code);
  return n.startsWith('unknown') ? undefined : (n as SignatureSchemeName);
}

/** The first scheme in `preference` that `key` can make, that the peer accepts and that TLS 1.3 allows. */
export function chooseScheme(key: PrivateKey | PublicKey, peerAccepts: readonly number[], preference: readonly number[]): number | undefined {
  const canMake = new Set<number>(schemesForKey(key).map((n) => SignatureScheme[n as keyof typeof SignatureScheme]));
  return preference.find((s) => canMake.has(s) && peerAccepts.includes(s) && isTls13SignatureScheme(s));
}

export function alertName(code: number): AlertName | string {
  return nameOf(AlertDescription, code, 2);
}



export const HT = HandshakeType;
