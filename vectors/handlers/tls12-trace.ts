/**
 * TLS 1.2 handshakes recorded from real implementations (vectors/tls12/*.json, kind `tls12-trace`, made by
 * vectors/tls12/capture.ts from `openssl s_server` <-> `openssl s_client` runs): every value checked with OUR
 * code only (the CryptoProvider, tls12-prf.ts, suites.ts, record-protection.ts, certificate.ts, keys.ts).
 * TLS 1.2 has no RFC example traces; these are the known answers instead.
 *
 * A file holds the cipher suite, both randoms, the handshake messages in order (from OpenSSL's -msg log, the
 * Finished messages decrypted by OpenSSL), the master secret from OpenSSL's key log (CLIENT_RANDOM line), for RSA
 * key exchange the pre-master secret (key log `RSA` line) and a reference to the server's private key, both
 * Finished verify_data, the application data sent each way, the alerts sent, and every record on the wire in
 * order (from a TCP relay between the two processes).
 *
 * Checks, one TestOutcome each, in this order (the count is tls12TraceCheckCount, deterministic from the data):
 *   1. hello: the ClientHello / ServerHello carry the file's randoms, the ServerHello selects the file's suite
 *      (offered by the client), and extended_master_secret (RFC 7627) / encrypt_then_mac (RFC 7366) were
 *      negotiated exactly when the file says so;
 *   2. transcript: the messages form a full TLS 1.2 handshake (RFC 5246 7.3; ServerKeyExchange exactly for
 *      (EC)DHE) and each side's plaintext handshake records carry exactly its messages before its Finished,
 *      followed by one ChangeCipherSpec;
 *   3. RSA key exchange: (a) provider.rsaDecrypt of the ClientKeyExchange with the server key gives the
 *      pre-master secret (48 bytes, starting with ClientHello.client_version, RFC 5246 7.4.7.1); (b) the master
 *      secret from it (RFC 5246 8.1, or RFC 7627 4 with session_hash = Hash(ClientHello..ClientKeyExchange))
 *      equals the key log's.
 *      (EC)DHE: the ephemeral private keys are gone, so the master secret is an input; instead the
 *      ServerKeyExchange signature over client_random + server_random + params (RFC 8422 5.4 / RFC 5246 7.4.3)
 *      verifies with the public key of the server certificate in the Certificate message;
 *   4. one per record on the wire: a plaintext record is the next part of its sender's handshake stream (or a
 *      ChangeCipherSpec); a protected record (after its sender's ChangeCipherSpec) decrypts with the keys our
 *      deriveKeyMaterial takes from the master secret, at its sequence number (its index among the sender's
 *      protected records), re-encrypts to the same bytes (GCM with the record's nonce_explicit, CBC with the
 *      record's IV and padding length, ChaCha20-Poly1305 as is), and a handshake record is the sender's
 *      Finished message, an alert record the alert the sender logged. Each record is decrypted on its own, so a
 *      damaged record fails only its own check (and the application data check of its direction);
 *   5. client and server Finished verify_data = finishedVerifyData over Hash(the messages before it), with the
 *      suite's PRF hash, equal to the file's values and to the Finished messages;
 *   6. application data, each direction: the decrypted application_data records, concatenated, are what was sent.
 * The key block itself has no expected value (OpenSSL does not export it): the records decrypting and
 * re-encrypting byte for byte with it is the proof. Nothing is skipped.
 */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { CryptoProvider, HashName, PrivateKey, SignatureSchemeName } from '../../implementations/reference/crypto/provider.ts';
import {
  deriveKeyMaterial,
  extendedMasterSecret,
  finishedVerifyData,
  masterSecret,
  type Tls12KeyMaterial,
} from '../../implementations/reference/crypto/tls12-prf.ts';
import { suiteParams, type CipherSuiteParams } from '../../implementations/reference/crypto/suites.ts';
import { createRecordProtection, parseRecord, type EncryptOptions, type TlsRecord } from '../../implementations/reference/crypto/record-protection.ts';
import { parseCertificateDer } from '../../implementations/reference/crypto/certificate.ts';
import { readPrivateKeyFile } from '../../implementations/reference/crypto/keys.ts';
import { SignatureScheme, type CipherSuiteName } from '../../implementations/reference/codec/enums.ts';
import { concatBytes as concat } from '../../implementations/reference/codec/bytes.ts';
import type { TestOutcome, VectorFileJson, VectorHandler } from '../runner.ts';
import { errorText, hex, toHex } from './wycheproof-common.ts';

// ---- the file ------------------------------------------------------------------------------------------

type Side = 'client' | 'server';

export interface Tls12TraceFile extends VectorFileJson {
  kind: 'tls12-trace';
  /** Short name, the prefix of every test id. */
  name: string;
  description: string;
  source: Record<string, unknown>;
  /** IANA name, as in codec/enums.ts. */
  cipherSuite: string;
  cipherSuiteCode: string;
  opensslCipher: string;
  keyExchange: 'rsa' | 'ecdhe' | 'dhe';
  /** The server certificate used (informative: the check uses the one in the Certificate message). */
  serverCertificate: string;
  /** RSA key exchange: the server's private key, relative to vectors/tls12/. */
  serverKey?: string;
  extendedMasterSecret: boolean;
  encryptThenMac: boolean;
  clientRandom: string;
  serverRandom: string;
  /** RSA key exchange only (from the OpenSSL key log). */
  preMasterSecret?: string;
  /** From the OpenSSL key log (CLIENT_RANDOM line). */
  masterSecret: string;
  clientFinishedVerifyData: string;
  serverFinishedVerifyData: string;
  /** Every handshake message in order, with its 4-byte header. */
  handshakeMessages: { from: Side; name: string; hex: string }[];
  applicationData: { clientToServer: { text: string; hex: string }; serverToClient: { text: string; hex: string } };
  /** The alerts each side sent (decrypted, 2 bytes), in order. */
  alerts: { from: Side; hex: string }[];
  /** Every record on the wire, in the order the relay received them; `chunk` is informative. */
  records: { index: number; from: Side; chunk?: number; hex: string }[];
}

export const TLS12_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', 'tls12');

/** The number of checks the handler makes for a file (what its numberOfTests must be). */
export function tls12TraceCheckCount(f: Pick<Tls12TraceFile, 'keyExchange' | 'records'>): number {
  const keyExchangeChecks = f.keyExchange === 'rsa' ? 2 : 1;
  return 2 + keyExchangeChecks + f.records.length + 2 + 2;
}

// ---- helpers -------------------------------------------------------------------------------------------

const eq = (a: Uint8Array, b: Uint8Array): boolean => a.length === b.length && a.every((x, i) => x === b[i]);
const arrow = (s: Side): string => (s === 'client' ? 'client->server' : 'server->client');
const CONTENT: Record<number, string> = { 20: 'change_cipher_spec', 21: 'alert', 22: 'handshake', 23: 'application_data' };
const HS = { client_hello: 1, server_hello: 2, new_session_ticket: 4, certificate: 11, server_key_exchange: 12, server_hello_done: 14, client_key_exchange: 16, finished: 20 };

class CheckError extends Error {}
function need(cond: unknown, what: string): asserts cond {
  if (!cond) throw new CheckError(what);
}

class Reader {
  pos = 0;
  constructor(
    readonly buf: Uint8Array,
    readonly what: string,
  ) {}
  bytes(n: number): Uint8Array {
    need(this.pos + n <= this.buf.length, `${this.what}: truncated at offset ${this.pos}`);
    const out = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }
  uint(n: number): number {
    return this.bytes(n).reduce((acc, x) => acc * 256 + x, 0);
  }
  vec(lenBytes: number): Uint8Array {
    return this.bytes(this.uint(lenBytes));
  }
  get done(): boolean {
    return this.pos === this.buf.length;
  }
}

interface Message {
  from: Side;
  type: number;
  body: Uint8Array;
  bytes: Uint8Array;
}

function parseMessages(f: Tls12TraceFile): Message[] {
  return f.handshakeMessages.map((m, i) => {
    const bytes = hex(m.hex);
    need(bytes.length >= 4, `handshake message ${i} is shorter than its header`);
    const len = (bytes[1] << 16) | (bytes[2] << 8) | bytes[3];
    need(len === bytes.length - 4, `handshake message ${i} (${m.name}): header length ${len}, ${bytes.length - 4} bytes follow`);
    need(m.from === 'client' || m.from === 'server', `handshake message ${i}: bad sender ${m.from}`);
    return { from: m.from, type: bytes[0], body: bytes.subarray(4), bytes };
  });
}

function extensions(r: Reader): Map<number, Uint8Array> {
  const out = new Map<number, Uint8Array>();
  if (r.done) return out;
  const ext = new Reader(r.vec(2), `${r.what} extensions`);
  while (!ext.done) {
    const type = ext.uint(2);
    need(!out.has(type), `${r.what}: duplicate extension ${type}`);
    out.set(type, ext.vec(2));
  }
  need(r.done, `${r.what}: bytes after the extensions`);
  return out;
}

function parseClientHello(body: Uint8Array) {
  const r = new Reader(body, 'ClientHello');
  const version = r.uint(2);
  const random = r.bytes(32);
  r.vec(1); // session_id
  const suitesBytes = r.vec(2);
  const suites: number[] = [];
  for (let i = 0; i + 1 < suitesBytes.length; i += 2) suites.push((suitesBytes[i] << 8) | suitesBytes[i + 1]);
  r.vec(1); // compression_methods
  return { version, random, suites, extensions: extensions(r) };
}

function parseServerHello(body: Uint8Array) {
  const r = new Reader(body, 'ServerHello');
  const version = r.uint(2);
  const random = r.bytes(32);
  r.vec(1);
  const suite = r.uint(2);
  const compression = r.uint(1);
  return { version, random, suite, compression, extensions: extensions(r) };
}

const SCHEME_NAMES = new Map<number, string>(Object.entries(SignatureScheme).map(([n, v]) => [v as number, n]));

/** The per-file context shared by the checks. */
interface Ctx {
  f: Tls12TraceFile;
  p: CryptoProvider;
  suite: CipherSuiteParams;
  hash: HashName;
  messages: Message[];
  records: { index: number; from: Side; record: TlsRecord; bytes: Uint8Array; protectedSeq: number | null }[];
  keys: () => Tls12KeyMaterial;
}

// ---- the checks ----------------------------------------------------------------------------------------

function checkHello(c: Ctx): void {
  const { f, messages } = c;
  const chMsg = messages.find((m) => m.type === HS.client_hello && m.from === 'client');
  const shMsg = messages.find((m) => m.type === HS.server_hello && m.from === 'server');
  need(chMsg && shMsg, 'no ClientHello / ServerHello in the handshake messages');
  const ch = parseClientHello(chMsg.body);
  const sh = parseServerHello(shMsg.body);
  need(eq(ch.random, hex(f.clientRandom)), `clientRandom ${f.clientRandom} is not ClientHello.random ${toHex(ch.random)}`);
  need(eq(sh.random, hex(f.serverRandom)), `serverRandom ${f.serverRandom} is not ServerHello.random ${toHex(sh.random)}`);
  need(sh.version === 0x0303, `ServerHello.server_version 0x${sh.version.toString(16)}, not TLS 1.2`);
  need(sh.suite === c.suite.code && Number(f.cipherSuiteCode) === c.suite.code, `ServerHello selects 0x${sh.suite.toString(16)}, file says ${f.cipherSuite} (${f.cipherSuiteCode})`);
  need(ch.suites.includes(sh.suite), 'the selected suite was not offered in the ClientHello');
  need(sh.compression === 0, 'ServerHello selects compression');
  need(c.suite.keyExchange === f.keyExchange, `file says key exchange ${f.keyExchange}, ${f.cipherSuite} is ${c.suite.keyExchange}`);
  // RFC 7627 5.1: the server echoes extended_master_secret (23) only if the client offered it.
  const ems = sh.extensions.has(23);
  need(!ems || ch.extensions.has(23), 'ServerHello has extended_master_secret the client did not offer');
  need(ems === f.extendedMasterSecret, `extended_master_secret negotiated: ${ems}, file says ${f.extendedMasterSecret}`);
  // RFC 7366 3: encrypt_then_mac (22) echoed only if offered, and never for an AEAD suite.
  const etm = sh.extensions.has(22);
  need(!etm || ch.extensions.has(22), 'ServerHello has encrypt_then_mac the client did not offer');
  need(!etm || c.suite.cipher.type === 'cbc', 'encrypt_then_mac negotiated with a non-CBC suite');
  need(etm === f.encryptThenMac, `encrypt_then_mac negotiated: ${etm}, file says ${f.encryptThenMac}`);
}

function checkTranscript(c: Ctx): void {
  const { messages, records, f } = c;
  // RFC 5246 7.3: full handshake, no client certificate.
  const seq = messages.map((m) => `${m.from[0]}${m.type}`).join(' ');
  const ske = f.keyExchange === 'rsa' ? '' : ' s12';
  const expected = new RegExp(`^c1 s2 s11${ske} s14 c16 c20( s4)? s20$`);
  need(expected.test(seq), `handshake message sequence "${seq}" is not a full TLS 1.2 ${f.keyExchange.toUpperCase()} handshake (${expected.source})`);
  for (const side of ['client', 'server'] as Side[]) {
    const mine = records.filter((r) => r.from === side);
    const ccs = mine.findIndex((r) => r.record.type === 20);
    need(ccs >= 0, `${side} sent no ChangeCipherSpec`);
    need(mine.slice(ccs + 1).every((r) => r.record.type !== 20), `${side} sent a second ChangeCipherSpec`);
    need(mine.slice(0, ccs).every((r) => r.record.type === 22), `${side} sent a non-handshake plaintext record before its ChangeCipherSpec`);
    const onWire = concat(...mine.slice(0, ccs).map((r) => r.record.fragment));
    const fin = messages.findIndex((m) => m.from === side && m.type === HS.finished);
    const logged = concat(...messages.filter((m, i) => m.from === side && i < fin).map((m) => m.bytes));
    need(eq(onWire, logged), `${side}: its plaintext handshake records (${onWire.length} bytes) are not its handshake messages before Finished (${logged.length} bytes)`);
  }
}

function checkPreMasterSecret(c: Ctx): void {
  const { f, p, messages } = c;
  need(f.serverKey && f.preMasterSecret, 'RSA key exchange without serverKey / preMasterSecret');
  const key = readPrivateKeyFile(join(TLS12_DIR, f.serverKey));
  need(key.ok, `server key: ${key.ok ? '' : key.error.message}`);
  need(key.key.kind === 'rsa', `server key is ${key.key.kind}, not RSA`);
  const cke = messages.find((m) => m.type === HS.client_key_exchange);
  need(cke, 'no ClientKeyExchange');
  const r = new Reader(cke.body, 'ClientKeyExchange');
  const encrypted = r.vec(2); // RFC 5246 7.4.7.1: opaque EncryptedPreMasterSecret<0..2^16-1> in TLS 1.2
  need(r.done, 'ClientKeyExchange: bytes after EncryptedPreMasterSecret');
  const pms = p.rsaDecrypt(key.key as PrivateKey & { kind: 'rsa' }, encrypted);
  need(pms !== null, 'rsaDecrypt rejected the EncryptedPreMasterSecret');
  need(eq(pms, hex(f.preMasterSecret)), `decrypted pre-master secret ${toHex(pms)} differs from the file's ${f.preMasterSecret}`);
  const ch = parseClientHello(messages[0].body);
  need(pms.length === 48 && ((pms[0] << 8) | pms[1]) === ch.version, 'the pre-master secret is not 48 bytes starting with ClientHello.client_version');
}

function checkMasterSecret(c: Ctx): void {
  const { f, p, messages, hash } = c;
  need(f.preMasterSecret, 'no preMasterSecret');
  const pms = hex(f.preMasterSecret);
  let ms: Uint8Array;
  if (f.extendedMasterSecret) {
    // RFC 7627 3: session_hash = Hash(handshake_messages) up to and including ClientKeyExchange.
    const cke = messages.findIndex((m) => m.type === HS.client_key_exchange);
    need(cke >= 0, 'no ClientKeyExchange');
    const sessionHash = p.hash(hash, concat(...messages.slice(0, cke + 1).map((m) => m.bytes)));
    ms = extendedMasterSecret(p, hash, pms, sessionHash);
  } else {
    ms = masterSecret(p, hash, pms, hex(f.clientRandom), hex(f.serverRandom));
  }
  need(eq(ms, hex(f.masterSecret)), `derived ${toHex(ms)}, key log has ${f.masterSecret}`);
}

function checkServerKeyExchange(c: Ctx): void {
  const { f, p, messages } = c;
  const ske = messages.find((m) => m.type === HS.server_key_exchange);
  const cert = messages.find((m) => m.type === HS.certificate && m.from === 'server');
  need(ske && cert, 'no ServerKeyExchange / server Certificate');
  const r = new Reader(ske.body, 'ServerKeyExchange');
  if (f.keyExchange === 'ecdhe') {
    // RFC 8422 5.4: ServerECDHParams = ECParameters (curve_type named_curve(3), NamedCurve) + ECPoint.
    need(r.uint(1) === 3, 'ServerKeyExchange: curve_type is not named_curve');
    r.uint(2);
    r.vec(1);
  } else {
    // RFC 5246 7.4.3: ServerDHParams = dh_p, dh_g, dh_Ys.
    r.vec(2);
    r.vec(2);
    r.vec(2);
  }
  const params = ske.body.subarray(0, r.pos);
  const schemeCode = r.uint(2);
  const signature = r.vec(2);
  need(r.done, 'ServerKeyExchange: bytes after the signature');
  const scheme = SCHEME_NAMES.get(schemeCode);
  need(scheme, `unknown signature scheme 0x${schemeCode.toString(16)}`);
  const list = new Reader(new Reader(cert.body, 'Certificate').vec(3), 'certificate_list');
  const leaf = parseCertificateDer(list.vec(3));
  need(leaf.ok, `server certificate: ${leaf.ok ? '' : leaf.message}`);
  need(leaf.value.publicKey, `server certificate key: ${leaf.value.publicKeyError}`);
  const signed = concat(hex(f.clientRandom), hex(f.serverRandom), params);
  const ok = p.verify(scheme as SignatureSchemeName, leaf.value.publicKey, signed, signature);
  need(ok, `${scheme} signature does not verify with the certificate's key`);
}

/** The sender's k-th message at or after its Finished: what its k-th protected handshake record must carry. */
function protectedHandshake(c: Ctx, side: Side): Message[] {
  const fin = c.messages.findIndex((m) => m.from === side && m.type === HS.finished);
  return fin < 0 ? [] : c.messages.filter((m, i) => m.from === side && i >= fin);
}

function decryptAt(c: Ctx, rec: Ctx['records'][number]) {
  const keys = c.keys();
  const dir = rec.from === 'client' ? { key: keys.clientWriteKey, iv: keys.clientWriteIv, macKey: keys.clientWriteMacKey } : { key: keys.serverWriteKey, iv: keys.serverWriteIv, macKey: keys.serverWriteMacKey };
  const options = { encryptThenMac: c.f.encryptThenMac, initialSequenceNumber: BigInt(rec.protectedSeq!), recordVersion: rec.record.version };
  return { dir, options, result: createRecordProtection(c.p, c.suite, dir, options).decrypt(rec.record) };
}

function checkRecord(c: Ctx, i: number): void {
  const rec = c.records[i];
  const { record } = rec;
  if (rec.protectedSeq === null) {
    const mine = c.records.filter((r) => r.from === rec.from);
    if (record.type === 20) {
      need(record.fragment.length === 1 && record.fragment[0] === 1, `ChangeCipherSpec payload ${toHex(record.fragment)}, not 01`);
      need(record.version === 0x0303, `record version 0x${record.version.toString(16)}`);
      return;
    }
    need(record.type === 22, `plaintext record of type ${record.type} before the ${rec.from}'s ChangeCipherSpec`);
    // RFC 5246 E.1: the first ClientHello record may carry any 0x03XX version; everything else 0x0303.
    need(record.version === 0x0303 || (record.version >> 8 === 3 && mine[0] === rec), `record version 0x${record.version.toString(16)}`);
    // Offset of this record in the sender's handshake stream: from the lengths of its earlier plaintext records.
    const offset = mine.slice(0, mine.indexOf(rec)).reduce((n, r) => n + r.record.fragment.length, 0);
    const fin = c.messages.findIndex((m) => m.from === rec.from && m.type === HS.finished);
    const stream = concat(...c.messages.filter((m, j) => m.from === rec.from && (fin < 0 || j < fin)).map((m) => m.bytes));
    const expected = stream.subarray(offset, offset + record.fragment.length);
    need(offset + record.fragment.length <= stream.length, `runs past the ${rec.from}'s handshake messages (offset ${offset})`);
    need(eq(record.fragment, expected), `is not the ${rec.from}'s handshake messages at offset ${offset}`);
    return;
  }
  const seq = rec.protectedSeq;
  need(record.version === 0x0303, `record version 0x${record.version.toString(16)}`);
  const { dir, options, result } = decryptAt(c, rec);
  need(result.ok, `does not decrypt at sequence number ${seq}: ${result.ok ? '' : result.error.message}`);
  need(result.sequenceNumber === BigInt(seq), `decrypted at sequence number ${result.sequenceNumber}, expected ${seq}`);
  const content = result.content;
  // Re-encrypt with the same explicit values: the cipher is deterministic given them.
  const enc: EncryptOptions = {};
  if (c.suite.cipher.type === 'cbc') {
    const macLen = c.suite.mac!.length;
    enc.iv = record.fragment.subarray(0, 16);
    // RFC 5246 6.2.3.2 / RFC 7366: IV + ENC(content [+ MAC] + padding + padding_length) [+ MAC].
    enc.padding = record.fragment.length - 16 - macLen - content.length - 1;
  } else if (c.suite.nonceMode === 'explicit') {
    enc.explicitNonce = record.fragment.subarray(0, 8);
  }
  const again = createRecordProtection(c.p, c.suite, dir, options).encrypt(record.type, content, enc);
  need(eq(again.bytes, rec.bytes), `decrypts, but re-encrypting the ${content.length}-byte content gives different bytes`);
  const kth = c.records.filter((r) => r.from === rec.from && r.protectedSeq !== null && r.record.type === record.type).indexOf(rec);
  if (record.type === 22) {
    const want = protectedHandshake(c, rec.from)[kth];
    need(want, `protected handshake record ${kth} of the ${rec.from}, but no such message`);
    need(eq(content, want.bytes), `decrypts to ${toHex(content)}, not the ${rec.from}'s Finished ${toHex(want.bytes)}`);
  } else if (record.type === 21) {
    const want = c.f.alerts.filter((a) => a.from === rec.from)[kth];
    need(want, `alert record ${kth} of the ${rec.from}, but the file lists no such alert`);
    need(eq(content, hex(want.hex)), `decrypts to alert ${toHex(content)}, the ${rec.from} logged ${want.hex}`);
  } else {
    need(record.type === 23, `protected record of type ${record.type}`);
  }
}

function checkFinished(c: Ctx, side: Side): void {
  const { f, p, messages, hash } = c;
  const fin = messages.findIndex((m) => m.from === side && m.type === HS.finished);
  need(fin >= 0, `no ${side} Finished`);
  // RFC 5246 7.4.9: Hash(handshake_messages) of every message before this Finished (including the peer's Finished for the server).
  const transcriptHash = p.hash(hash, concat(...messages.slice(0, fin).map((m) => m.bytes)));
  const vd = finishedVerifyData(p, hash, hex(f.masterSecret), side, transcriptHash);
  const fileVd = side === 'client' ? f.clientFinishedVerifyData : f.serverFinishedVerifyData;
  need(eq(vd, hex(fileVd)), `computed ${toHex(vd)}, file has ${fileVd}`);
  need(eq(messages[fin].body, vd), `the decrypted Finished message carries ${toHex(messages[fin].body)}, computed ${toHex(vd)}`);
}

function checkApplicationData(c: Ctx, side: Side): void {
  const want = side === 'client' ? c.f.applicationData.clientToServer : c.f.applicationData.serverToClient;
  need(want.hex === Buffer.from(want.text, 'utf8').toString('hex'), 'applicationData hex and text disagree');
  const parts: Uint8Array[] = [];
  const recs = c.records.filter((r) => r.from === side && r.protectedSeq !== null && r.record.type === 23);
  need(recs.length > 0, `no application_data records ${arrow(side)}`);
  for (const rec of recs) {
    const { result } = decryptAt(c, rec);
    need(result.ok, `record ${rec.index} does not decrypt: ${result.ok ? '' : result.error.message}`);
    parts.push(result.content);
  }
  const got = concat(...parts);
  need(eq(got, hex(want.hex)), `decrypted ${JSON.stringify(Buffer.from(got).toString('latin1'))}, sent ${JSON.stringify(want.text)}`);
}

// ---- the handler ---------------------------------------------------------------------------------------

export const tls12TraceHandler: VectorHandler = {
  handles: ['tls12-trace'],
  run(file: VectorFileJson, provider: CryptoProvider): TestOutcome[] {
    const f = file as Tls12TraceFile;
    const n = f.name;
    const out: TestOutcome[] = [];
    const check = (id: string, fn: () => unknown): void => {
      try {
        fn();
        out.push({ id: `${n}: ${id}`, outcome: 'passed' });
      } catch (e) {
        out.push({ id: `${n}: ${id}`, outcome: 'failed', reason: e instanceof CheckError ? e.message : errorText(e) });
      }
    };

    const suite = suiteParams(f.cipherSuite as CipherSuiteName);
    let messages: Message[] = [];
    let messageError = '';
    try {
      messages = parseMessages(f);
    } catch (e) {
      messageError = errorText(e);
    }
    // Records: header parsed; protected = after its sender's ChangeCipherSpec, numbered per sender from 0.
    const seen: Record<Side, { ccs: boolean; seq: number }> = { client: { ccs: false, seq: 0 }, server: { ccs: false, seq: 0 } };
    const records = f.records.map((r, index) => {
      const bytes = hex(r.hex);
      const record = parseRecord(bytes) ?? { type: bytes[0] ?? 0, version: 0, fragment: new Uint8Array(0) };
      const s = seen[r.from];
      const protectedSeq = s.ccs ? s.seq++ : null;
      if (record.type === 20 && !s.ccs) s.ccs = true;
      return { index, from: r.from, record, bytes, protectedSeq };
    });
    let keyMaterial: Tls12KeyMaterial | undefined;
    const c: Ctx = {
      f,
      p: provider,
      suite: suite!,
      hash: suite?.prfHash ?? 'sha256',
      messages,
      records,
      keys: () => (keyMaterial ??= deriveKeyMaterial(provider, suite!, hex(f.masterSecret), hex(f.clientRandom), hex(f.serverRandom))),
    };
    const guard = <T,>(fn: () => T): (() => T) => () => {
      need(suite && suite.version === 'TLS1.2', `cipher suite ${f.cipherSuite} is not a TLS 1.2 suite in suites.ts`);
      need(!messageError, messageError);
      return fn();
    };

    check('ClientHello / ServerHello: randoms, cipher suite, extended_master_secret, encrypt_then_mac', guard(() => checkHello(c)));
    check('handshake messages = plaintext handshake records on the wire', guard(() => checkTranscript(c)));
    if (f.keyExchange === 'rsa') {
      check('pre-master secret = RSA-decrypted ClientKeyExchange', guard(() => checkPreMasterSecret(c)));
      const how = f.extendedMasterSecret ? 'extended master secret, RFC 7627' : 'RFC 5246 8.1';
      check(`master secret (${how}) = key log`, guard(() => checkMasterSecret(c)));
    } else {
      check('ServerKeyExchange signature verifies with the certificate key', guard(() => checkServerKeyExchange(c)));
    }
    for (let i = 0; i < records.length; i++) {
      const r = records[i];
      const what = CONTENT[r.record.type] ?? `type ${r.record.type}`;
      const label = r.protectedSeq === null ? 'plaintext' : `protected, seq ${r.protectedSeq}`;
      check(`record ${i} ${arrow(r.from)} ${what} [${label}]`, guard(() => {
        const bytes = r.bytes;
        need(parseRecord(bytes) !== null, `record header length does not match its ${bytes.length - 5} bytes`);
        checkRecord(c, i);
      }));
    }
    check('client Finished verify_data', guard(() => checkFinished(c, 'client')));
    check('server Finished verify_data', guard(() => checkFinished(c, 'server')));
    check('application data client->server', guard(() => checkApplicationData(c, 'client')));
    check('application data server->client', guard(() => checkApplicationData(c, 'server')));
    return out;
  },
};
