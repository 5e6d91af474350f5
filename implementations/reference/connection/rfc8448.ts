/**
 * Deterministic replays of RFC 8448's traces by the reference endpoints: each side is configured as the
 * RFC's client or server (its randoms, ephemeral keys, extensions, ticket), fed the other side's records
 * from the trace, and must produce its own records byte for byte.
 *
 * What cannot be recomputed is injected, never copied blindly:
 * - RSA-PSS signatures are randomised: the salt is recovered from the RFC's signature over the content WE
 *   computed, and the signature is made again with our own RSA code (server key from RFC 8448 section 2).
 * - RFC 8448 gives no private key for section 6's ECDSA server and RSA client certificates: there the RFC's
 *   signature bytes are used, after checking that they verify over the content we computed.
 * - The section 3 ticket is the RFC's bytes; its state (PSK, suite, age_add) is what our server derived.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { decodeHandshake, type Certificate as CertificateMsg, type CertificateVerify, type ClientHello, type HandshakeMessage } from '../codec/handshake.ts';
import type { Extension } from '../codec/extensions.ts';
import { NamedGroup } from '../codec/enums.ts';
import { parseCertificateDer } from '../crypto/certificate.ts';
import { parsePrivateKey } from '../crypto/keys.ts';
import { rsaPssRecoverSalt, rsaPssSignWithSalt } from '../crypto/noble/asymmetric.ts';
import { nobleProvider } from '../crypto/noble/index.ts';
import type { CryptoProvider, PrivateKey, PublicKey, SignatureSchemeName } from '../crypto/provider.ts';
import { MemorySessionStore, makeConfig, type CertifiedKey, type EndpointConfig, type SessionStore, type TicketCodec } from './config.ts';
import type { TicketState } from './tickets.ts';
import { TlsClient } from './client.ts';
import { TlsServer } from './server.ts';

export interface TraceRecord {
  actor: 'client' | 'server';
  contentType: string;
  epoch: string;
  payload: string;
  completeRecord: string;
}

export interface Trace {
  section: string;
  steps: { actor: string; action: string; values: Record<string, string> }[];
  records: TraceRecord[];
  messages: { actor: string; name: string; hex: string }[];
}

const FILES: Record<string, string> = {
  '3': 'section3-simple-1rtt.json',
  '4': 'section4-resumed-0rtt.json',
  '5': 'section5-hello-retry-request.json',
  '6': 'section6-client-authentication.json',
  '7': 'section7-compatibility-mode.json',
};

const vectors = (f: string) => fileURLToPath(new URL(`../../../vectors/rfc8448/${f}`, import.meta.url));
export const hexBytes = (h: string) => Uint8Array.from(Buffer.from(h, 'hex'));

export function loadTrace(section: keyof typeof FILES | string): Trace {
  return JSON.parse(readFileSync(vectors(FILES[section]), 'utf8')) as Trace;
}

export function traceMessage<T extends HandshakeMessage['msg_type']>(t: Trace, actor: string, name: string, nth = 0): Extract<HandshakeMessage, { msg_type: T }> {
  const m = t.messages.filter((x) => x.actor === actor && x.name === name)[nth];
  if (!m) throw new Error(`RFC 8448 ${t.section}: no ${actor} ${name}`);
  return decodeHandshake(hexBytes(m.hex), { version: 'tls13' }) as Extract<HandshakeMessage, { msg_type: T }>;
}

/** The private key of an "ephemeral ... key pair" step, by actor and group. */
function ephemeralKeys(t: Trace, actor: string): Map<number, Uint8Array> {
  const keys = new Map<number, Uint8Array>();
  for (const s of t.steps) {
    if (s.actor !== actor || !s.action.startsWith('create an ephemeral')) continue;
    const group = s.action.includes('x25519') ? NamedGroup.x25519 : s.action.includes('P-256') ? NamedGroup.secp256r1 : undefined;
    if (group === undefined) throw new Error(`RFC 8448 ${t.section}: unknown key pair step '${s.action}'`);
    keys.set(group, hexBytes(s.values['private key']));
  }
  return keys;
}

/** A randomness source that hands out exactly the given byte strings, in order, and fails on anything else. */
export function scriptedRandom(values: Uint8Array[]): (n: number) => Uint8Array {
  const queue = [...values];
  return (n) => {
    const v = queue.shift();
    if (!v || v.length !== n) throw new Error(`replay: unexpected request for ${n} random bytes (next scripted: ${v?.length ?? 'none'})`);
    return v;
  };
}

interface RecordedSignature {
  scheme: SignatureSchemeName;
  publicKey: PublicKey;
  signature: Uint8Array;
}

/**
 * A provider whose sign() reproduces recorded signatures. With the private key (RSA-PSS), the salt is
 * recovered from the recorded signature over the message we computed and the signature is made again; without
 * it, the recorded bytes are returned only if they verify over our message.
 */
export function replaySigner(base: CryptoProvider, recorded: RecordedSignature[]): CryptoProvider {
  const queue = [...recorded];
  return {
    ...base,
    sign(scheme, key, message) {
      const r = queue.shift();
      if (!r || r.scheme !== scheme) throw new Error(`replay: no recorded ${scheme} signature`);
      if (key.kind === 'rsa' && key.d !== 0n && scheme.startsWith('rsa_pss_rsae_')) {
        const salt = rsaPssRecoverSalt(scheme as 'rsa_pss_rsae_sha256', r.publicKey, message, r.signature);
        if (!salt) throw new Error(`replay: the RFC's ${scheme} signature does not verify over the content we computed`);
        return rsaPssSignWithSalt(scheme as 'rsa_pss_rsae_sha256', key, message, salt);
      }
      if (!base.verify(scheme, r.publicKey, message, r.signature)) {
        throw new Error(`replay: the RFC's ${scheme} signature does not verify over the content we computed`);
      }
      return r.signature;
    },
  };
}

const SCHEME_NAMES: Record<number, SignatureSchemeName> = { 0x0403: 'ecdsa_secp256r1_sha256', 0x0804: 'rsa_pss_rsae_sha256' };

function recordedSignature(t: Trace, actor: string): RecordedSignature | undefined {
  const cvMsg = t.messages.find((m) => m.actor === actor && m.name === 'CertificateVerify');
  if (!cvMsg) return undefined;
  const cv = traceMessage<'certificate_verify'>(t, actor, 'CertificateVerify') as CertificateVerify;
  const cert = traceMessage<'certificate'>(t, actor, 'Certificate') as Extract<CertificateMsg, { form: 'tls13' }>;
  const parsed = parseCertificateDer(cert.certificate_list[0].cert_data);
  if (!parsed.ok || !parsed.value.publicKey) throw new Error('replay: cannot parse the trace certificate');
  return { scheme: SCHEME_NAMES[cv.algorithm], publicKey: parsed.value.publicKey, signature: cv.signature };
}

/** The actor's certificate from the trace, with its private key when RFC 8448 gives one (section 2). */
function certifiedKey(t: Trace, actor: string): CertifiedKey | undefined {
  const msg = t.messages.find((m) => m.actor === actor && m.name === 'Certificate');
  if (!msg) return undefined;
  const cert = traceMessage<'certificate'>(t, actor, 'Certificate') as Extract<CertificateMsg, { form: 'tls13' }>;
  const chain = cert.certificate_list.map((e) => e.cert_data);
  const leafR = parseCertificateDer(chain[0]);
  if (!leafR.ok || !leafR.value.publicKey) throw new Error('replay: bad trace certificate');
  const leaf = leafR.value;
  const pub = leaf.publicKey!;
  let key: PrivateKey;
  const rsaKey = parsePrivateKey(readFileSync(vectors('keys/server_key.pem'), 'latin1'));
  if (pub.kind === 'rsa' && rsaKey.ok && rsaKey.key.kind === 'rsa' && rsaKey.key.n === pub.n) key = rsaKey.key;
  else if (pub.kind === 'rsa') key = { kind: 'rsa', n: pub.n, e: pub.e, d: 0n, bits: pub.bits }; // no private key: signatures are replayed
  else if (pub.kind === 'ec') key = { kind: 'ec', curve: pub.curve, scalar: new Uint8Array(32), point: pub.point };
  else throw new Error('replay: unexpected key type');
  return { chain, key, leaf };
}

/** RFC 8448 section 2's clock: inside the certificates' validity (2016-07-30 .. 2026-07-30). */
export const TRACE_TIME = Date.UTC(2019, 0, 1);

/** The RFC's NSS client puts renegotiation_info after server_name, and (section 3) session_ticket after supported_groups. */
function nssClientShape(withSessionTicket: boolean) {
  return (message: string, exts: Extension[]): Extension[] => {
    if (message !== 'client_hello') return exts;
    const out: Extension[] = [];
    for (const e of exts) {
      out.push(e);
      if (e.type === 'server_name') out.push({ type: 'renegotiation_info', renegotiated_connection: new Uint8Array(0) });
      if (e.type === 'supported_groups' && withSessionTicket) out.push({ type: 'session_ticket', ticket: new Uint8Array(0) });
    }
    return out;
  };
}

/** Ticket state recorded by the section 3 server, found again by the section 4 server. */
export class RecordingTicketCodec implements TicketCodec {
  readonly states = new Map<string, TicketState>();
  constructor(private readonly tickets: Uint8Array[]) {}
  seal(state: TicketState, index: number): Uint8Array {
    const t = this.tickets[index];
    this.states.set(Buffer.from(t).toString('hex'), state);
    return t;
  }
  open(ticket: Uint8Array): TicketState | undefined {
    return this.states.get(Buffer.from(ticket).toString('hex'));
  }
}

export interface ReplayContext {
  /** The client's session store: section 3 fills it, section 4 resumes from it. */
  clientStore: SessionStore;
  tickets: RecordingTicketCodec;
  /** Milliseconds between the section 3 ticket and the section 4 ClientHello, from the obfuscated age. */
  ticketAgeMs: number;
}

export function replayContext(): ReplayContext {
  const s3 = loadTrace('3');
  const s4 = loadTrace('4');
  const nst = traceMessage<'new_session_ticket'>(s3, 'server', 'NewSessionTicket') as Extract<HandshakeMessage, { msg_type: 'new_session_ticket'; form: 'tls13' }>;
  const ch = traceMessage<'client_hello'>(s4, 'client', 'ClientHello') as ClientHello;
  const psk = ch.extensions!.find((e) => e.type === 'pre_shared_key') as Extract<Extension, { type: 'pre_shared_key' }>;
  const obfuscated = psk.identities![0].obfuscated_ticket_age;
  return {
    clientStore: new MemorySessionStore(),
    tickets: new RecordingTicketCodec([nst.ticket]),
    ticketAgeMs: (obfuscated - nst.ticket_age_add) >>> 0,
  };
}

const RFC_SIGNATURE_SCHEMES = [0x0403, 0x0503, 0x0603, 0x0203, 0x0804, 0x0805, 0x0806, 0x0401, 0x0501, 0x0601, 0x0201, 0x0402, 0x0502, 0x0602, 0x0202];

/** The RFC 8448 client of a section, as a reference client configuration. */
export function rfcClientConfig(section: string, ctx: ReplayContext, base: CryptoProvider = nobleProvider): EndpointConfig {
  const t = loadTrace(section);
  const ch = traceMessage<'client_hello'>(t, 'client', 'ClientHello') as ClientHello;
  const groups = (ch.extensions!.find((e) => e.type === 'supported_groups') as Extract<Extension, { type: 'supported_groups' }>).named_group_list;
  const keys = ephemeralKeys(t, 'client');
  const sig = recordedSignature(t, 'client');
  const serverCert = certifiedKey(t, 'server') ?? certifiedKey(loadTrace('3'), 'server')!;
  const earlyRecord = t.records.find((r) => r.actor === 'client' && r.epoch === 'early' && r.contentType === 'application_data');
  const randoms = ch.legacy_session_id.length > 0 ? [ch.legacy_session_id, ch.random] : [ch.random];
  return makeConfig({
    provider: sig ? replaySigner(base, [sig]) : base,
    // The RFC's traces are TLS 1.3 only: fixed here, whatever makeConfig's default versions.
    minVersion: 'TLSv1.3',
    maxVersion: 'TLSv1.3',
    cipherSuites: ch.cipher_suites,
    groups,
    keyShareGroups: [NamedGroup.x25519],
    signatureSchemes: RFC_SIGNATURE_SCHEMES,
    serverName: 'server',
    hostnameCheck: false,
    trustRoots: [serverCert.leaf],
    recordSizeLimit: 16385,
    sessionStore: ctx.clientStore,
    pskModes: [1],
    middleboxCompat: ch.legacy_session_id.length > 0,
    clientHelloPadding: true,
    certificates: section === '6' ? [certifiedKey(t, 'client')!] : [],
    earlyData: earlyRecord ? hexBytes(earlyRecord.payload) : undefined,
    ephemeralKey: (g) => keys.get(g),
    random: scriptedRandom(randoms),
    now: () => (section === '4' ? TRACE_TIME + ctx.ticketAgeMs : TRACE_TIME),
    shapeExtensions: nssClientShape(section === '3'),
  });
}

/** The RFC 8448 server of a section, as a reference server configuration. */
export function rfcServerConfig(section: string, ctx: ReplayContext, base: CryptoProvider = nobleProvider): EndpointConfig {
  const t = loadTrace(section);
  const sh = traceMessage<'server_hello'>(t, 'server', 'ServerHello');
  const ee = traceMessage<'encrypted_extensions'>(t, 'server', 'EncryptedExtensions');
  const groups = (ee.extensions.find((e) => e.type === 'supported_groups') as Extract<Extension, { type: 'supported_groups' }>).named_group_list;
  const keys = ephemeralKeys(t, 'server');
  const sig = recordedSignature(t, 'server');
  const cert = certifiedKey(t, 'server');
  const hrr = t.messages.some((m) => m.name === 'HelloRetryRequest') ? traceMessage<'hello_retry_request'>(t, 'server', 'HelloRetryRequest') : undefined;
  const cookie = hrr?.extensions.find((e) => e.type === 'cookie') as Extract<Extension, { type: 'cookie' }> | undefined;
  const nstMsg = t.messages.find((m) => m.name === 'NewSessionTicket');
  const nst = nstMsg ? (traceMessage<'new_session_ticket'>(t, 'server', 'NewSessionTicket') as Extract<HandshakeMessage, { msg_type: 'new_session_ticket'; form: 'tls13' }>) : undefined;
  const randoms: Uint8Array[] = [(sh as { random: Uint8Array }).random];
  if (nst) randoms.push(Uint8Array.of(nst.ticket_age_add >>> 24, (nst.ticket_age_add >>> 16) & 0xff, (nst.ticket_age_add >>> 8) & 0xff, nst.ticket_age_add & 0xff));
  const clientCert = section === '6' ? certifiedKey(t, 'client') : undefined;
  return makeConfig({
    provider: sig ? replaySigner(base, [sig]) : base,
    minVersion: 'TLSv1.3',
    maxVersion: 'TLSv1.3',
    cipherSuites: [(sh as { cipher_suite: number }).cipher_suite],
    groups,
    signatureSchemes: RFC_SIGNATURE_SCHEMES,
    certificates: cert ? [cert] : [],
    trustRoots: clientCert ? [clientCert.leaf] : [],
    requestClientCert: section === '6',
    requireClientCert: section === '6',
    advertiseGroups: true,
    forceHelloRetry: hrr !== undefined,
    helloRetryCookie: cookie !== undefined,
    cookieFactory: cookie ? () => cookie.cookie : undefined,
    recordSizeLimit: 16385,
    ticketsToSend: nst ? 1 : 0,
    ticketLifetime: nst?.ticket_lifetime ?? 7200,
    ticketNonce: () => nst?.ticket_nonce ?? new Uint8Array(0),
    maxEarlyData: nst ? 1024 : 0,
    acceptEarlyData: section === '4',
    ticketCodec: ctx.tickets,
    ephemeralKey: (g) => keys.get(g),
    random: scriptedRandom(randoms),
    now: () => (section === '4' ? TRACE_TIME + ctx.ticketAgeMs : TRACE_TIME),
  });
}

/** One side of a section replayed: the reference endpoint and the first difference from the trace, if any. */
export interface ReplayResult {
  endpoint: TlsClient | TlsServer;
  /** undefined when every record matched and nothing else was sent or went wrong. */
  mismatch?: string;
}

/**
 * Drive one side through a section: feed it the peer's records from the trace and check that everything it
 * sends equals the trace's records of its own side, byte for byte and in order.
 */
export function replaySide(section: string, side: 'client' | 'server', ctx: ReplayContext, trace?: Trace, provider: CryptoProvider = nobleProvider, keyLog?: (line: string) => void): ReplayResult {
  const t = trace ?? loadTrace(section);
  const log = keyLog ? { keyLog } : {};
  const ep = side === 'client' ? new TlsClient({ ...rfcClientConfig(section, ctx, provider), ...log }) : new TlsServer({ ...rfcServerConfig(section, ctx, provider), ...log });
  const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
  let out = '';
  const take = () => (out += hex(ep.takeOutput()));
  const failed = () => ep.takeEvents().find((e) => e.type === 'error');
  try {
    if (ep instanceof TlsClient) ep.start();
    for (const [i, r] of t.records.entries()) {
      const where = `RFC 8448 section ${section}, record ${i} (${r.actor} ${r.contentType}, ${r.epoch} keys)`;
      if (r.actor !== side) {
        ep.receive(hexBytes(r.completeRecord));
        const err = failed();
        if (err && err.type === 'error') return { endpoint: ep, mismatch: `${where}: ${err.error.message}` };
        continue;
      }
      take();
      if (out.length === 0) {
        // Our side acts: application data or closure, as the trace shows.
        if (r.contentType === 'application_data') ep.write(hexBytes(r.payload));
        else if (r.contentType === 'alert') ep.close();
        take();
      }
      const got = out.slice(0, r.completeRecord.length);
      if (got !== r.completeRecord) return { endpoint: ep, mismatch: `${where}: sent ${got.slice(0, 64)}..., trace has ${r.completeRecord.slice(0, 64)}...` };
      out = out.slice(r.completeRecord.length);
    }
    take();
    if (out !== '') return { endpoint: ep, mismatch: `RFC 8448 section ${section}: the ${side} sent more than the trace: ${out.slice(0, 64)}...` };
    const err = failed();
    if (err && err.type === 'error') return { endpoint: ep, mismatch: `RFC 8448 section ${section}: ${err.error.message}` };
    return { endpoint: ep };
  } catch (e) {
    return { endpoint: ep, mismatch: `RFC 8448 section ${section}: ${(e as Error).message}` };
  }
}

/** Every section, both sides, in an order where section 4 finds section 3's ticket. */
export const REPLAYS: readonly { section: string; side: 'client' | 'server' }[] = ['3', '4', '5', '6', '7'].flatMap((section) => [
  { section, side: 'client' as const },
  { section, side: 'server' as const },
]);
