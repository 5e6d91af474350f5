/**
 * Probing: before a run, a handful of real handshakes with the reference client find out what a target
 * supports, so that cases needing something it lacks are skipped with the missing capability named instead
 * of failing, and so that a certificate chain the harness does not trust is one setup error instead of a
 * failure in every case.
 *
 * What is asked, and how (each a full handshake through target.connect(), so it works for every kind of
 * target that plays the server role):
 *
 * | question                      | handshakes                                                                 |
 * | ----------------------------- | -------------------------------------------------------------------------- |
 * | versions                      | one TLS 1.3-only ClientHello, one TLS 1.2-only ClientHello                 |
 * | cipher suites                 | per version, by elimination: offer all, drop what the server picked, again |
 * | groups                        | one group at a time, with only its key share (so HRR does not blur it)     |
 * | hello_retry_request           | all groups in supported_groups, an empty key_share                         |
 * | signature schemes             | one scheme at a time in signature_algorithms (every scheme in _cert)       |
 * | ALPN                          | http/1.1 alone, h2 alone                                                   |
 * | psk, early_data               | resuming the ticket of the first TLS 1.3 handshake, with 0-RTT if allowed  |
 * | client_auth                   | a CertificateRequest in the first handshake                                |
 * | key_update                    | a KeyUpdate(update_requested) after the first handshake, no alert after it |
 * | sni, record_size_limit        | the server's answers in EncryptedExtensions                                |
 * | max_fragment_length           | TLS 1.3, max_fragment_length 2^9 without record_size_limit: answered in EE  |
 * | middlebox_compat              | the first TLS 1.3 handshake, made in compatibility mode, completes         |
 *
 * The chain the server presents is validated against the trust roots (the test CA or --ca), for the host
 * name the harness's peer sends; the probe itself never refuses a chain, so capabilities are found either way.
 */
import { createHash } from 'node:crypto';
import type { Duplex } from 'node:stream';
import { TlsClient } from '../../implementations/reference/connection/client.ts';
import { DEFAULT_GROUPS, DEFAULT_SIGNATURE_SCHEMES, MemorySessionStore, TLS12_CIPHER_SUITES, TLS13_CIPHER_SUITES, makeConfig, type EndpointConfig } from '../../implementations/reference/connection/config.ts';
import type { HandshakeSummary } from '../../implementations/reference/connection/endpoint.ts';
import { isTls13SignatureScheme } from '../../implementations/reference/connection/tls13.ts';
import { TEST_PKI } from '../../implementations/reference/connection/testing.ts';
import { CipherSuite, ExtensionType, HandshakeType, NamedGroup, SignatureScheme, nameOf } from '../../implementations/reference/codec/enums.ts';
import type { Extension } from '../../implementations/reference/codec/extensions.ts';
import { parseCertificateDer, validateChain, type Certificate } from '../../implementations/reference/crypto/certificate.ts';
import type { Capabilities, Target, TrustSettings } from './types.ts';
import type { VersionName } from '../scenario/model.ts';

/** The features the probe can establish (KNOWN_FEATURES in config.ts). */
export const PROBED_FEATURES = ['hello_retry_request', 'psk', 'early_data', 'client_auth', 'key_update', 'alpn', 'record_size_limit', 'max_fragment_length', 'middlebox_compat', 'sni', 'encrypt_then_mac', 'extended_master_secret', 'session_id_resumption', 'session_ticket'] as const;

/** ALPN protocols asked about, one at a time. */
export const PROBED_ALPN = ['http/1.1', 'h2'];

/** Every group the reference implements (x25519, secp256r1, x448, secp384r1, secp521r1, ffdhe2048 ... ffdhe8192). */
const PROBED_GROUPS = [...DEFAULT_GROUPS];

/** TLS 1.3 CertificateVerify schemes the reference client can verify (RFC 8446 4.2.3). */
const SCHEMES_13 = DEFAULT_SIGNATURE_SCHEMES.filter(isTls13SignatureScheme);
/** TLS 1.2 adds PKCS#1 v1.5 (RFC 5246 7.4.1.4.1). */
const SCHEMES_12 = [
  ...SCHEMES_13.filter((s) => s !== SignatureScheme.ed25519 && s !== SignatureScheme.ed448),
  SignatureScheme.rsa_pkcs1_sha256,
  SignatureScheme.rsa_pkcs1_sha384,
  SignatureScheme.rsa_pkcs1_sha512,
];
const SCHEME_ORDER = [...new Set([...SCHEMES_13, ...SCHEMES_12])].map((s) => nameOf(SignatureScheme, s));
/** Every scheme the reference knows, for signature_algorithms_cert: the chain's own signatures must not limit the answer. */
const CERT_SCHEMES = [...new Set([...SCHEMES_13, ...SCHEMES_12, SignatureScheme.rsa_pkcs1_sha1, SignatureScheme.ecdsa_sha1])];

/** What the server presented: the leaf, and for the certificate of the first handshake whether the chain validates. */
export interface ProbeCertificate {
  /** Distinguished names, one line ("CN=localhost, O=..."). */
  subject: string;
  issuer: string;
  /** rsa2048, ecdsa-secp256r1, ecdsa-secp384r1, ecdsa-secp521r1, ed25519, ed448, or the reason the key is not supported. */
  keyType: string;
  /** Whether the chain validates against the trust roots for the peer's host name; null: not checked (--no-verify-chain). */
  chainValid: boolean | null;
  /** Why it does not validate. */
  error?: string;
  /** The signature schemes the server signed with using this certificate (per-certificate view of the probe). */
  signature_schemes?: string[];
}

/** The `probe` object of report.json. */
export interface ProbeReport {
  /** What was found (the capabilities the run used may be narrowed further by flags: see run's output). */
  capabilities: { versions: VersionName[]; cipher_suites: string[]; groups: string[]; signature_schemes: string[]; features: string[]; alpn: string[] };
  /** Handshakes attempted. */
  handshakes: number;
  durationMs: number;
  /** The certificate of the first completed handshake, with the chain check; null when no handshake completed. */
  certificate: ProbeCertificate | null;
  /** Every distinct leaf seen, with the schemes it was used with. */
  certificates: ProbeCertificate[];
  /** What could not be established, one line each (e.g. "TLS 1.2: alert protocol_version received"). */
  notes: string[];
  /**
   * Whether the server serves a connection while another one is open and idle (checked for tcp:// targets
   * whose concurrency nobody stated: then the run's cases run at once, --jobs of them); absent: not checked.
   */
  concurrent?: boolean;
}

/** The `trust` object of report.json: what the harness's peer trusted the target's chain against. */
export interface TrustReport {
  /** 'the test CA' or the --ca / trust.ca file. */
  ca: string;
  /** Whether the peer validated the target's chain in the cases. */
  verifyChain: boolean;
  /** Why not: '--no-verify-chain', or 'the chain did not validate (setup.certificate-chain)'. */
  reason?: string;
}

export interface ProbeResult {
  report: ProbeReport;
  /** Capabilities for the run: the probed values, with roles and concurrency kept from the target. */
  capabilities: Capabilities;
  /** The chain of the first handshake validates (or was not checked). */
  chainOk: boolean;
}

export interface ProbeOptions {
  /** Trust roots and whether to check the chain (default: the test CA, checked). */
  trust?: TrustSettings;
  /** The server name sent (SNI) and checked in the certificate; default `localhost`, as the harness's peer. */
  serverName?: string;
  /** Each handshake's time limit (ms); default 5000. */
  timeoutMs?: number;
  /** Handshakes at once; default 4 (1 when the target takes one connection at a time and is not a plain tcp:// server). */
  concurrency?: number;
  /** How long to wait for a NewSessionTicket after the first TLS 1.3 handshake; default 400 ms. */
  ticketWaitMs?: number;
  signal?: AbortSignal;
  /** The clock for certificate validity; default Date.now. */
  now?: () => number;
  /** Find out whether the server takes several connections at once (see ProbeReport.concurrent). */
  checkConcurrency?: boolean;
}

// ---------------------------------------------------------------------------------------------------------
// One handshake

interface Attempt {
  ok: boolean;
  summary?: HandshakeSummary;
  /** One line: the alert or transport failure. */
  error?: string;
  certificateRequested: boolean;
  /** Extension codes in the server's EncryptedExtensions (TLS 1.3). */
  eeExtensions: number[];
  /** Whether the connection survived our KeyUpdate(update_requested) (when asked). */
  keyUpdateOk?: boolean;
  /** The server answered our KeyUpdate with its own. */
  keyUpdateAnswered?: boolean;
  ticketReceived: boolean;
}

interface AttemptOptions {
  /** After the handshake, wait this long for a NewSessionTicket. */
  waitTicketMs?: number;
  /** After the handshake, send KeyUpdate(update_requested) and watch the connection for this long. */
  keyUpdateMs?: number;
}

/**
 * The case id the probe's connections go under: one for all, so a per-case server process serves (or is
 * restarted for) the whole probe, and endCase releases it once at the end.
 */
export const PROBE_CASE_ID = 'probe';

/** Run one handshake of the reference client over a connection to the target; never throws. */
async function attempt(target: Target, config: EndpointConfig, timeoutMs: number, signal: AbortSignal | undefined, ao: AttemptOptions = {}): Promise<Attempt> {
  const caseId = PROBE_CASE_ID;
  const ac = new AbortController();
  const onAbort = () => ac.abort();
  signal?.addEventListener('abort', onAbort, { once: true });
  const timer = setTimeout(() => ac.abort(), timeoutMs);
  const res: Attempt = { ok: false, certificateRequested: false, eeExtensions: [], ticketReceived: false };
  let stream: Duplex | undefined;
  try {
    try {
      stream = (await target.connect({ caseId, signal: ac.signal })).stream;
    } catch (e) {
      res.error = `cannot connect: ${oneLine((e as Error).message)}`;
      return res;
    }
    const s = stream;
    const client = new TlsClient(config);
    let wake: (() => void) | undefined;
    let closed = false;
    let failure: string | undefined;
    let keyUpdateFromPeer = false;
    const pump = () => {
      const out = client.takeOutput();
      if (out.length > 0 && !s.destroyed && s.writable) s.write(out);
      for (const ev of client.takeEvents()) {
        if (ev.type === 'handshake_complete') res.summary = ev.summary;
        else if (ev.type === 'new_session_ticket') res.ticketReceived = true;
        else if (ev.type === 'key_update' && ev.direction === 'read') keyUpdateFromPeer = true;
        else if (ev.type === 'error') failure ??= describeTlsError(ev.error);
        else if (ev.type === 'closed' && ev.by === 'peer') failure ??= res.summary ? undefined : 'close_notify received during the handshake';
      }
      wake?.();
    };
    s.on('data', (d: Buffer) => {
      client.receive(new Uint8Array(d.buffer, d.byteOffset, d.byteLength));
      pump();
    });
    const onGone = (why: string) => {
      if (closed) return;
      closed = true;
      if (!res.summary) failure ??= why;
      wake?.();
    };
    s.on('end', () => onGone('the connection closed during the handshake (no alert)'));
    s.on('close', () => onGone('the connection closed during the handshake (no alert)'));
    s.on('error', (e: NodeJS.ErrnoException) => onGone(e.code === 'ECONNRESET' || e.code === 'EPIPE' ? `connection reset (${e.code})` : oneLine(e.message)));
    ac.signal.addEventListener('abort', () => wake?.(), { once: true });
    /** Wait until `cond` holds, the connection ends, or `until` (ms since the epoch) / the time limit passes. */
    const waitUntil = async (cond: () => boolean, until = Infinity) => {
      while (!cond() && !closed && failure === undefined && !ac.signal.aborted && Date.now() < until) {
        await new Promise<void>((r) => {
          wake = r;
          if (until !== Infinity) setTimeout(r, Math.max(0, until - Date.now()));
        });
        wake = undefined;
      }
    };
    client.start();
    pump();
    await waitUntil(() => res.summary !== undefined);
    res.certificateRequested = client.transcript.messages.some((m) => m[0] === HandshakeType.certificate_request);
    const ee = client.transcript.messages.find((m) => m[0] === HandshakeType.encrypted_extensions);
    if (ee) res.eeExtensions = extensionCodes(ee.subarray(4));
    if (!res.summary) {
      res.error = failure ?? (ac.signal.aborted ? `no answer within ${timeoutMs} ms` : 'the handshake did not complete');
      return res;
    }
    res.ok = true;
    if (ao.waitTicketMs) await waitUntil(() => res.ticketReceived, Date.now() + ao.waitTicketMs);
    if (ao.keyUpdateMs && client.state === 'connected' && !closed) {
      client.keyUpdate(true);
      pump();
      const before = failure;
      // RFC 8446 4.6.3: the peer answers before its next application data; we only watch for an abort.
      await waitUntil(() => keyUpdateFromPeer, Date.now() + ao.keyUpdateMs);
      res.keyUpdateOk = failure === before && !closed && client.state === 'connected';
      res.keyUpdateAnswered = keyUpdateFromPeer;
    }
    if (client.state === 'connected') {
      client.close();
      pump();
    }
    return res;
  } finally {
    clearTimeout(timer);
    signal?.removeEventListener('abort', onAbort);
    if (stream && !stream.destroyed) {
      stream.end();
      // Let close_notify reach the server, then let go.
      setTimeout(() => stream!.destroy(), 50).unref();
    }
  }
}

/** `alert protocol_version received`, or what the reference client objected to, with its rule and alert. */
function describeTlsError(e: { alert?: string; origin?: string; message: string }): string {
  return e.origin === 'alert-received' && e.alert ? `alert ${e.alert} received` : oneLine(e.message);
}

const oneLine = (s: string) => s.split('\n')[0];

/** The extension codes of an extensions block (2-byte length, then type, length, data ...). */
function extensionCodes(body: Uint8Array): number[] {
  const out: number[] = [];
  if (body.length < 2) return out;
  const end = Math.min(body.length, 2 + ((body[0] << 8) | body[1]));
  for (let i = 2; i + 4 <= end; ) {
    out.push((body[i] << 8) | body[i + 1]);
    i += 4 + ((body[i + 2] << 8) | body[i + 3]);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------
// The probe

function keyTypeOf(c: Certificate): string {
  const k = c.publicKey;
  if (!k) return `unsupported (${c.publicKeyError ?? 'unknown key'})`;
  if (k.kind === 'rsa') return `rsa${k.bits}`;
  if (k.kind === 'ec') return `ecdsa-${k.curve}`;
  return k.kind;
}

const dn = (s: string) => s.split('\n').join(', ');
const fingerprint = (der: Uint8Array) => createHash('sha256').update(der).digest('hex');

/** Run `tasks` with at most `n` at once; results in order. */
async function pool<T>(n: number, tasks: (() => Promise<T>)[]): Promise<T[]> {
  const out: T[] = new Array(tasks.length);
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < tasks.length; i = next++) out[i] = await tasks[i]();
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(n, tasks.length)) }, worker));
  return out;
}

/**
 * Probe a started target (server role) and return what it supports. Never throws for a target that
 * misbehaves: what could not be established is in `report.notes`; when no handshake at all completes, the
 * capabilities say so (no versions) and the caller decides.
 */
export async function probeTarget(target: Target, opts: ProbeOptions = {}): Promise<ProbeResult> {
  const started = Date.now();
  const timeoutMs = opts.timeoutMs ?? 5000;
  const trust: TrustSettings = opts.trust ?? { roots: TEST_PKI.ca(), verify: true };
  const serverName = opts.serverName ?? 'localhost';
  const concurrency = opts.concurrency ?? 4;
  const notes: string[] = [];
  let handshakes = 0;
  const clientCert = TEST_PKI.client();
  const base = (version: VersionName, over: Partial<EndpointConfig> = {}): EndpointConfig =>
    makeConfig({
      minVersion: version === 'tls13' ? 'TLSv1.3' : 'TLSv1.2',
      maxVersion: version === 'tls13' ? 'TLSv1.3' : 'TLSv1.2',
      cipherSuites: version === 'tls13' ? TLS13_CIPHER_SUITES : TLS12_CIPHER_SUITES,
      groups: PROBED_GROUPS,
      serverName,
      // Capabilities are found whatever the chain; it is validated once, below, against the trust roots.
      verifyPeer: false,
      certificates: [clientCert],
      now: opts.now ?? Date.now,
      recordSizeLimit: version === 'tls13' ? 2 ** 14 + 1 : undefined,
      ...over,
    });
  const run = (_label: string, cfg: EndpointConfig, ao?: AttemptOptions) => {
    handshakes++;
    return attempt(target, cfg, timeoutMs, opts.signal, ao);
  };
  try {
    return await probe();
  } finally {
    await target.endCase?.({ caseId: PROBE_CASE_ID, signal: opts.signal ?? new AbortController().signal }).catch(() => undefined);
  }

  async function probe(): Promise<ProbeResult> {
    // 1. Versions (and, from the first TLS 1.3 handshake, the features seen in it).
    const sessions = new MemorySessionStore();
    const [h13, h12] = await Promise.all([
      run('tls13', base('tls13', { sessionStore: sessions }), { waitTicketMs: opts.ticketWaitMs ?? 400, keyUpdateMs: 200 }),
      run('tls12', base('tls12')),
    ]);
    const versions: VersionName[] = [];
    if (h13.ok && h13.summary?.version === 'TLSv1.3') versions.push('tls13');
    else notes.push(`TLS 1.3: ${h13.error ?? `negotiated ${h13.summary?.version}`}`);
    if (h12.ok && h12.summary?.version === 'TLSv1.2') versions.push('tls12');
    else notes.push(`TLS 1.2: ${h12.error ?? `negotiated ${h12.summary?.version}`}`);
    const best: VersionName | undefined = versions[0];
    const first = versions.includes('tls13') ? h13 : versions.includes('tls12') ? h12 : undefined;

    const suites = new Set<number>();
    const groups = new Set<number>();
    const schemes = new Set<number>();
    const features = new Set<string>();
    const alpn: string[] = [];
    const leaves = new Map<string, ProbeCertificate>();
    const noteLeaf = (s: HandshakeSummary | undefined, scheme?: number) => {
      const der = s?.peerCertificates[0];
      if (!der) return;
      const key = fingerprint(der);
      let entry = leaves.get(key);
      if (!entry) {
        const parsed = parseCertificateDer(der, 0);
        entry = parsed.ok
          ? { subject: dn(parsed.value.subject), issuer: dn(parsed.value.issuer), keyType: keyTypeOf(parsed.value), chainValid: null, signature_schemes: [] }
          : { subject: '?', issuer: '?', keyType: `unparsable (${parsed.message})`, chainValid: null, signature_schemes: [] };
        leaves.set(key, entry);
      }
      if (scheme !== undefined && !entry.signature_schemes!.includes(nameOf(SignatureScheme, scheme))) entry.signature_schemes!.push(nameOf(SignatureScheme, scheme));
    };
    for (const h of [h13, h12]) {
      if (!h.ok || !h.summary) continue;
      suites.add(h.summary.cipherSuite);
      if (h.summary.signatureScheme !== undefined) schemes.add(h.summary.signatureScheme);
      noteLeaf(h.summary, h.summary.signatureScheme);
      if (h.certificateRequested) features.add('client_auth');
    }
    if (versions.includes('tls13')) {
      features.add('middlebox_compat');
      if (h13.eeExtensions.includes(ExtensionType.server_name)) features.add('sni');
      if (h13.eeExtensions.includes(ExtensionType.record_size_limit)) features.add('record_size_limit');
      if (h13.keyUpdateOk) features.add('key_update');
      else notes.push(`key_update: the connection did not survive KeyUpdate(update_requested)`);
    }

    // 1b. Several connections at once: a handshake while another connection is open and idle. A server that
    // serves one connection at a time (it waits for the idle one's ClientHello) does not answer it in time.
    let concurrent: boolean | undefined;
    if (opts.checkConcurrency && best) {
      let idle: Duplex | undefined;
      try {
        idle = (await target.connect({ caseId: PROBE_CASE_ID, signal: opts.signal ?? new AbortController().signal })).stream;
        idle.on('error', () => {});
        const h = await run('concurrent', base(best));
        concurrent = h.ok;
        if (!h.ok) notes.push(`concurrent: no handshake while another connection was open (${h.error}): running the cases one at a time (--jobs N: N at once)`);
      } catch (e) {
        notes.push(`concurrent: ${oneLine((e as Error).message)}`);
      } finally {
        idle?.destroy();
      }
    }

    // 2. The certificate of the first handshake, against the trust roots.
    let certificate: ProbeCertificate | null = null;
    let chainOk = true;
    if (first?.summary && first.summary.peerCertificates.length > 0) {
      const chain: Certificate[] = [];
      let parseError: string | undefined;
      first.summary.peerCertificates.forEach((der, i) => {
        const p = parseCertificateDer(der, i);
        if (p.ok) chain.push(p.value);
        else parseError ??= `certificate ${i}: ${p.message}`;
      });
      const leaf = leaves.get(fingerprint(first.summary.peerCertificates[0]))!;
      certificate = { subject: leaf.subject, issuer: leaf.issuer, keyType: leaf.keyType, chainValid: null };
      if (trust.verify) {
        const v = parseError
          ? { ok: false as const, message: parseError }
          : validateChain(chain, { trustRoots: trust.roots, now: new Date((opts.now ?? Date.now)()), hostname: serverName, purpose: 'serverAuth' });
        certificate.chainValid = v.ok;
        if (!v.ok) {
          certificate.error = v.message;
          chainOk = false;
        }
      }
    }

    // 3. The rest, once the versions are known.
    const tasks: (() => Promise<void>)[] = [];
    if (best) {
      // Groups: one at a time, with its share only.
      for (const g of PROBED_GROUPS) {
        tasks.push(async () => {
          const h = await run(`group-${nameOf(NamedGroup, g)}`, base(best, { groups: [g], keyShareGroups: [g] }));
          if (h.ok && h.summary?.group === g) groups.add(g);
        });
      }
      // Signature schemes: one at a time; signature_algorithms_cert keeps the chain's own signatures out of it.
      for (const sc of best === 'tls13' ? SCHEMES_13 : SCHEMES_12) {
        tasks.push(async () => {
          const h = await run(`scheme-${nameOf(SignatureScheme, sc)}`, base(best, { signatureSchemes: [sc], shapeExtensions: withSignatureAlgorithmsCert }));
          if (h.ok && h.summary?.signatureScheme === sc) {
            schemes.add(sc);
            noteLeaf(h.summary, sc);
          }
        });
      }
      for (const p of PROBED_ALPN) {
        tasks.push(async () => {
          const h = await run(`alpn-${p}`, base(best, { alpn: [p] }));
          if (h.ok && h.summary?.alpn === p) alpn.push(p);
        });
      }
    }
    if (versions.includes('tls13')) {
      tasks.push(async () => {
        // RFC 6066 4: a server that accepts the request answers max_fragment_length (in EncryptedExtensions in
        // TLS 1.3); RFC 8449 5: not with record_size_limit offered too, so this handshake leaves that out.
        const h = await run('max-fragment-length', base('tls13', { maxFragmentLength: 1, recordSizeLimit: undefined }));
        if (h.ok && h.eeExtensions.includes(ExtensionType.max_fragment_length)) features.add('max_fragment_length');
        else notes.push(`max_fragment_length: ${h.error ?? 'a request for 2^9 was not answered'}`);
      });
      tasks.push(async () => {
        // RFC 8446 4.1.1: with no acceptable key share the server answers with a HelloRetryRequest.
        const h = await run('hello-retry', base('tls13', { keyShareGroups: [] }));
        if (h.ok && h.summary?.helloRetry) features.add('hello_retry_request');
        else notes.push(`hello_retry_request: ${h.error ?? 'an empty key_share completed without a HelloRetryRequest'}`);
      });
      tasks.push(async () => {
        if (!h13.ticketReceived) {
          notes.push('psk: no NewSessionTicket after the handshake');
          return;
        }
        const ticket = sessions.get(serverName);
        const early = ticket && ticket.maxEarlyData > 0 ? new TextEncoder().encode('\r\n') : undefined;
        const h = await run('resume', base('tls13', { sessionStore: sessions, resume: true, earlyData: early }));
        if (h.ok && h.summary?.resumed) features.add('psk');
        else notes.push(`psk: ${h.error ?? 'the ticket was not accepted'}`);
        if (h.ok && h.summary?.earlyDataAccepted) features.add('early_data');
      });
    }
    if (versions.includes('tls12')) {
      // TLS 1.2 resumption by session ID (RFC 5246 7.4.1.2): without session_ticket, so only a session cache can
      // resume it; the second handshake offers the session ID of the first.
      tasks.push(async () => {
        const store = new MemorySessionStore();
        const first = await run('tls12-session-id', base('tls12', { sessionStore: store, sessionTickets12: false }));
        const again = first.ok ? await run('tls12-session-id-resume', base('tls12', { sessionStore: store, sessionTickets12: false, resume: true })) : first;
        if (again.ok && again.summary?.resumed) features.add('session_id_resumption');
        else notes.push(`session_id_resumption: ${again.error ?? 'a TLS 1.2 session ID offered again was not resumed'}`);
      });
      // RFC 5077 3.2: a server that issues tickets answers session_ticket and sends a NewSessionTicket.
      tasks.push(async () => {
        let ticket = false;
        const store = new MemorySessionStore();
        const put12 = store.put12.bind(store);
        store.put12 = (k, s) => {
          if (s.ticket && s.ticket.length > 0) ticket = true;
          put12(k, s);
        };
        const h = await run('tls12-ticket', base('tls12', { sessionStore: store, sessionTickets12: true }));
        if (h.ok && ticket) features.add('session_ticket');
        else notes.push(`session_ticket: ${h.error ?? 'no TLS 1.2 NewSessionTicket'}`);
      });
    }
    // Cipher suites by elimination, per version: offer all but those already picked until the server refuses.
    for (const v of versions) {
      tasks.push(async () => {
        const all: number[] = v === 'tls13' ? TLS13_CIPHER_SUITES : TLS12_CIPHER_SUITES;
        for (;;) {
          const left = all.filter((s) => !suites.has(s));
          if (left.length === 0) return;
          const h = await run(`suites-${v}`, base(v, { cipherSuites: left }));
          if (!h.ok || !h.summary || suites.has(h.summary.cipherSuite) || !left.includes(h.summary.cipherSuite)) return;
          suites.add(h.summary.cipherSuite);
          // RFC 7366: offered in every TLS 1.2 ClientHello; a server that has it answers it for a CBC suite.
          if (h.summary.encryptThenMac) features.add('encrypt_then_mac');
          // RFC 7627: offered in every TLS 1.2 ClientHello; a server that has it answers it.
          if (h.summary.extendedMasterSecret) features.add('extended_master_secret');
        }
      });
    }
    await pool(concurrency, tasks);
    if (alpn.length > 0) features.add('alpn');
    // The first handshakes negotiated a group too (they offered all of them): count it even if its own probe failed.
    for (const h of [h13, h12]) if (h.ok && h.summary?.group !== undefined && groups.size === 0) groups.add(h.summary.group);

    const order = <T>(all: readonly T[], have: Set<T>) => all.filter((x) => have.has(x));
    const caps = {
      versions,
      cipher_suites: order([...TLS13_CIPHER_SUITES, ...TLS12_CIPHER_SUITES], suites).map((c) => nameOf(CipherSuite, c)),
      groups: order(PROBED_GROUPS, groups).map((g) => nameOf(NamedGroup, g)),
      signature_schemes: order([...new Set([...SCHEMES_13, ...SCHEMES_12])], schemes).map((s) => nameOf(SignatureScheme, s)),
      features: PROBED_FEATURES.filter((f) => features.has(f)),
      alpn: PROBED_ALPN.filter((p) => alpn.includes(p)),
    };
    const report: ProbeReport = {
      capabilities: caps,
      handshakes,
      durationMs: Date.now() - started,
      certificate,
      certificates: [...leaves.values()].map((c) => ({ ...c, signature_schemes: SCHEME_ORDER.filter((n) => c.signature_schemes!.includes(n)) })),
      notes,
      ...(concurrent !== undefined ? { concurrent } : {}),
    };
    return {
      report,
      capabilities: {
        roles: target.capabilities.roles,
        versions: caps.versions,
        cipher_suites: caps.cipher_suites,
        groups: caps.groups,
        signature_schemes: caps.signature_schemes,
        // cauth: request_client_certificate (server.client_auth) is the config's fact, not the probe's: it stays.
        features: [...caps.features, ...target.capabilities.features.filter((f) => f === 'request_client_certificate' && !(caps.features as string[]).includes(f))],
        alpn: caps.alpn,
        concurrent: concurrent ?? target.capabilities.concurrent,
        // The probe sees the server role; what the config says of its client role stays.
        ...(target.capabilities.client ? { client: target.capabilities.client } : {}),
      },
      chainOk,
    };
  }
}

/** Add signature_algorithms_cert (RFC 8446 4.2.3) with every scheme, before pre_shared_key (which must stay last). */
function withSignatureAlgorithmsCert(message: string, exts: Extension[]): Extension[] {
  if (message !== 'client_hello' || exts.some((e) => e.type === 'signature_algorithms_cert')) return exts;
  const ext: Extension = { type: 'signature_algorithms_cert', supported_signature_algorithms: CERT_SCHEMES };
  const psk = exts.findIndex((e) => e.type === 'pre_shared_key');
  return psk < 0 ? [...exts, ext] : [...exts.slice(0, psk), ext, ...exts.slice(psk)];
}

/** The compact block printed before a run (stderr). */
export function formatProbe(name: string, r: ProbeReport, trust: { source: string; verify: boolean }): string {
  const c = r.capabilities;
  const list = (xs: string[]) => (xs.length ? xs.join(', ') : '(none)');
  const lines = [
    `tls-harness: probed ${name}: ${r.handshakes} handshakes in ${r.durationMs} ms`,
    `  versions           ${list(c.versions)}`,
    `  cipher suites      ${list(c.cipher_suites)}`,
    `  groups             ${list(c.groups)}`,
    `  signature schemes  ${list(c.signature_schemes)}`,
    `  alpn               ${list(c.alpn)}`,
    `  features           ${list(c.features)}`,
  ];
  if (r.concurrent !== undefined) lines.push(`  connections        ${r.concurrent ? 'several at once' : 'one at a time'}`);
  for (const cert of r.certificates) lines.push(`  certificate        ${cert.keyType} "${cert.subject}" issued by "${cert.issuer}"${cert.signature_schemes?.length ? ` (${cert.signature_schemes.join(', ')})` : ''}`);
  const cv = r.certificate;
  if (!cv) lines.push('  chain              (no certificate seen)');
  else if (cv.chainValid === null) lines.push(`  chain              not verified (${trust.verify ? 'not checked' : '--no-verify-chain'})`);
  else lines.push(`  chain              ${cv.chainValid ? 'valid' : `does NOT validate: ${cv.error}`} (trusting ${trust.source})`);
  for (const n of r.notes) lines.push(`  note               ${n}`);
  return lines.join('\n');
}

