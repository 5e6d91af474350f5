/**
 * Extracts the handshake traces of RFC 8448 ("Example Handshake Traces for TLS 1.3") from the RFC Editor's
 * paginated text (vectors/rfc8448/rfc8448.txt) into one JSON vector file per trace section (3 to 7).
 *
 * Run:  npx tsx vectors/rfc8448/extract.ts          (writes the JSON files next to this script)
 *       npx tsx vectors/rfc8448/extract.ts --check  (writes nothing; exits non-zero if a JSON file differs)
 *
 * The parser is strict: inside a trace every line must be a step line, a labelled value, a hex continuation,
 * an action continuation, a blank line or page furniture (footer, form feed, header). Anything else, and any
 * value whose declared octet count differs from its hex, stops the extraction with the line number.
 *
 * Besides the raw steps, each file carries the records in wire order (`records`) and the plaintext handshake
 * messages in wire order (`messages`), obtained by splitting the plaintext payload of every
 * "send handshake record" step and cross-checked against the "construct a ... handshake message" steps.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const RFC8448_DIR = dirname(fileURLToPath(import.meta.url));
export const RFC_TEXT_PATH = join(RFC8448_DIR, 'rfc8448.txt');

export type Actor = 'client' | 'server';
export type ContentType = 'handshake' | 'change_cipher_spec' | 'application_data' | 'alert';
/** Which keys protect a record: none, or the sender's early / handshake / application traffic keys. */
export type Epoch = 'plaintext' | 'early' | 'handshake' | 'application';
export type MessagePhase = 'hello-retry' | 'handshake' | 'post-handshake';
export type RecordPhase = MessagePhase | 'early-data' | 'application-data' | 'closure';

export interface TraceStep {
  index: number;
  /** 1-based line number of the step line in rfc8448.txt. */
  line: number;
  actor: Actor;
  /** The action as the RFC writes it, wrapped lines joined by one space, without the trailing colon. */
  action: string;
  /** label -> lowercase hex (no spaces). A label repeated within one step gets `#2`, `#3`, ... */
  values: Record<string, string>;
  /** For values the RFC writes as words rather than hex: the RFC's literal text (e.g. salt "0 (all zero octets)"). */
  text?: Record<string, string>;
}

export interface TraceRecord {
  index: number;
  /** Index of the "send ... record" step. */
  step: number;
  line: number;
  actor: Actor;
  contentType: ContentType;
  epoch: Epoch;
  phase: RecordPhase;
  /** Plaintext content (for protected records: the TLSInnerPlaintext content, without the inner type byte). */
  payload: string;
  /** The record as sent on the wire (TLSPlaintext or TLSCiphertext, with the 5-octet header). */
  completeRecord: string;
  /** For handshake records: indices into `messages` of the messages this record carries. */
  messages?: number[];
}

export interface TraceMessage {
  index: number;
  actor: Actor;
  /** Handshake message name; a ServerHello carrying the HelloRetryRequest random is named HelloRetryRequest. */
  name: string;
  /** HandshakeType code (the first octet). */
  type: number;
  phase: MessagePhase;
  epoch: Epoch;
  /** Index into `records` of the record that carries it. */
  record: number;
  /** Index of the "construct a ... handshake message" step that shows it. */
  constructStep: number;
  /** Set when the construct step does not show the message exactly (see the file's notes). */
  note?: string;
  /** The whole handshake message (4-octet header + body), lowercase hex. */
  hex: string;
}

export interface TraceFeatures {
  cipherSuite: string;
  groups: string[];
  helloRetryRequest: boolean;
  pskResumption: boolean;
  earlyData: boolean;
  clientAuthentication: boolean;
  changeCipherSpec: boolean;
  newSessionTicket: boolean;
}

export interface TraceFile {
  kind: 'rfc8448-trace';
  section: string;
  title: string;
  source: string;
  /** Number of steps; each step is one test for the KAT runner. */
  numberOfTests: number;
  /** The section's prose before the first step, one string per paragraph. */
  introduction: string[];
  /** How this trace differs in shape from the plain 1-RTT one (hand-written, checked against `features`). */
  notes: string[];
  features: TraceFeatures;
  steps: TraceStep[];
  records: TraceRecord[];
  messages: TraceMessage[];
}

interface SectionSpec {
  section: string;
  file: string;
  /** Expected features: the extractor fails if the trace does not have exactly this shape. */
  features: TraceFeatures;
  notes: string[];
}

const AES128_SHA256 = 'TLS_AES_128_GCM_SHA256';

export const SECTIONS: readonly SectionSpec[] = [
  {
    section: '3',
    file: 'section3-simple-1rtt.json',
    features: {
      cipherSuite: AES128_SHA256,
      groups: ['x25519'],
      helloRetryRequest: false,
      pskResumption: false,
      earlyData: false,
      clientAuthentication: false,
      changeCipherSpec: false,
      newSessionTicket: true,
    },
    notes: [
      'One full 1-RTT (EC)DHE handshake over x25519; the server authenticates with the RSA certificate of RFC 8448 section 2, the client is anonymous.',
      'After the handshake the server sends a NewSessionTicket (phase post-handshake) that section 4 resumes; then one application_data record each way and a close_notify alert each way.',
    ],
  },
  {
    section: '4',
    file: 'section4-resumed-0rtt.json',
    features: {
      cipherSuite: AES128_SHA256,
      groups: ['x25519'],
      helloRetryRequest: false,
      pskResumption: true,
      earlyData: true,
      clientAuthentication: false,
      changeCipherSpec: false,
      newSessionTicket: false,
    },
    notes: [
      'Only the resumed handshake is in this section: the initial handshake that issued the ticket is section 3 (the PSK is section 3\'s "tls13 resumption" output, the IKM of step "extract secret \\"early\\"").',
      'PSK with (EC)DHE (x25519) resumption: no Certificate/CertificateVerify; the ClientHello ends with a pre_shared_key extension whose binder is computed in step "calculate PSK binder" (labelled "finished", per the RFC\'s note).',
      'The RFC\'s "construct a ClientHello handshake message" step shows only the first 477 octets of the ClientHello (the truncated ClientHello that the binder covers, equal to "ClientHello prefix" in the binder step); messages[0] holds the full 512-octet ClientHello taken from the record payload.',
      'The client sends 0-RTT data (records with epoch "early", phase "early-data") and an EndOfEarlyData message protected with the early traffic keys.',
    ],
  },
  {
    section: '5',
    file: 'section5-hello-retry-request.json',
    features: {
      cipherSuite: AES128_SHA256,
      groups: ['x25519', 'P-256'],
      helloRetryRequest: true,
      pskResumption: false,
      earlyData: false,
      clientAuthentication: false,
      changeCipherSpec: false,
      newSessionTicket: false,
    },
    notes: [
      'The client first offers only an x25519 key share; the server prefers P-256 and answers with a HelloRetryRequest (with a cookie), after which the client sends a second ClientHello with a P-256 share and the handshake completes over P-256.',
      'The RFC labels the HelloRetryRequest "ServerHello" (same message type); it is named HelloRetryRequest in messages[] (recognised by its special random) and the first ClientHello and the HelloRetryRequest have phase "hello-retry".',
      'For the transcript hash the first ClientHello is replaced by a message_hash message (RFC 8446 section 4.4.1); messages[] holds the messages as sent.',
    ],
  },
  {
    section: '6',
    file: 'section6-client-authentication.json',
    features: {
      cipherSuite: AES128_SHA256,
      groups: ['x25519'],
      helloRetryRequest: false,
      pskResumption: false,
      earlyData: false,
      clientAuthentication: true,
      changeCipherSpec: false,
      newSessionTicket: false,
    },
    notes: [
      'The server (ECDSA P-256 certificate) sends a CertificateRequest and the client answers with its own Certificate (RSA key) and CertificateVerify before its Finished. The certificates\' private keys are not shown in the RFC.',
    ],
  },
  {
    section: '7',
    file: 'section7-compatibility-mode.json',
    features: {
      cipherSuite: AES128_SHA256,
      groups: ['x25519'],
      helloRetryRequest: false,
      pskResumption: false,
      earlyData: false,
      clientAuthentication: false,
      changeCipherSpec: true,
      newSessionTicket: false,
    },
    notes: [
      'Middlebox compatibility mode (RFC 8446 appendix D.4): the ClientHello carries a non-empty legacy_session_id that the ServerHello echoes, and each side sends a change_cipher_spec record (server: right after its ServerHello; client: before its Finished).',
      'The change_cipher_spec records appear in records[] (contentType "change_cipher_spec", epoch "plaintext"); they are not handshake messages, so they are not in messages[] and not in the transcript.',
    ],
  },
];

export class ExtractError extends Error {
  constructor(
    readonly line: number,
    message: string,
  ) {
    super(`rfc8448.txt line ${line}: ${message}`);
    this.name = 'ExtractError';
  }
}

// ---------------------------------------------------------------------------------------------------------
// Line grammar
// ---------------------------------------------------------------------------------------------------------

const HEADING = /^(\d+)\.  (\S.*)$/;
const PAGE_FOOTER = /^Thomson {2,}Informational {2,}\[Page \d+\]$/;
const PAGE_HEADER = /^RFC 8448 {2,}TLS 1\.3 Traces {2,}January 2019$/;
const FORM_FEED = '\f';
const STEP = /^ {3}\{(client|server)\} {2}(\S.*)$/;
const ACTION_CONTINUATION = /^ {6}(\S.*)$/;
const VALUE = /^ {6}([A-Za-z][A-Za-z0-9 ]*?)(?: \((\d+) octets?\))?: {2}(\S.*)$/;
const HEX_CONTINUATION = /^ {9}([0-9a-f]{2}(?: [0-9a-f]{2})*)$/;
const HEX = /^[0-9a-f]{2}(?: [0-9a-f]{2})*$/;
/** The RFC writes the HKDF-Extract salt of the early secret as "0": a string of Hash.length zero octets (RFC 8446 section 7.1). */
const ZERO_SALT_TEXT = '0 (all zero octets)';

function isPageFurniture(l: string): boolean {
  return l === FORM_FEED || PAGE_FOOTER.test(l) || PAGE_HEADER.test(l);
}

interface Heading {
  line: number; // 1-based
  number: string;
  title: string;
}

function findHeadings(lines: string[]): Heading[] {
  const out: Heading[] = [];
  lines.forEach((l, i) => {
    const m = HEADING.exec(l);
    if (m) out.push({ line: i + 1, number: m[1], title: m[2] });
  });
  return out;
}

interface OpenValue {
  label: string;
  line: number;
  count: number | undefined;
  tokens: string[];
  /** False for "(empty)" and the zero-salt placeholder: no continuation lines may follow. */
  continuable: boolean;
  literal?: string;
}

interface ParsedSection {
  steps: TraceStep[];
  introduction: string[];
  lastLine: number;
  /** label occurrences renamed with a #n suffix: "step N: label#2" */
  duplicates: string[];
}

function parseSection(lines: string[], from: number, to: number): ParsedSection {
  // from/to: 1-based, inclusive, the lines after the heading and before the next heading.
  const steps: TraceStep[] = [];
  const duplicates: string[] = [];
  const intro: string[][] = [[]];
  let step: TraceStep | null = null;
  let value: OpenValue | null = null;
  let actionOpen = false; // the step line (or an action continuation) was the previous content line
  let blankSince = false; // a blank line since the previous content line
  let pageBreakSince = false; // a page break since the previous content line
  let lastLine = from - 1;

  const closeValue = (): void => {
    if (!value || !step) return;
    const hex = value.tokens.join('');
    if (value.count !== undefined && hex.length / 2 !== value.count) {
      throw new ExtractError(
        value.line,
        `"${value.label}" declares ${value.count} octets but its hex has ${hex.length / 2} octets`,
      );
    }
    let key = value.label;
    for (let n = 2; key in step.values; n++) key = `${value.label}#${n}`;
    if (key !== value.label) duplicates.push(`step ${step.index} (line ${step.line}): ${key}`);
    step.values[key] = hex;
    if (value.literal !== undefined) (step.text ??= {})[key] = value.literal;
    value = null;
  };
  const closeStep = (): void => {
    closeValue();
    if (step) step.action = step.action.replace(/:$/, '');
    step = null;
  };

  for (let n = from; n <= to; n++) {
    const l = lines[n - 1];
    if (isPageFurniture(l)) {
      pageBreakSince = true;
      continue;
    }
    if (l === '') {
      blankSince = true;
      actionOpen = false;
      if (steps.length === 0 && intro[intro.length - 1].length > 0) intro.push([]);
      continue;
    }
    lastLine = n;
    const sawBlank = blankSince;
    const sawPageBreak = pageBreakSince;
    blankSince = false;
    pageBreakSince = false;

    const s = STEP.exec(l);
    if (s) {
      closeStep();
      if (!sawBlank) throw new ExtractError(n, 'step line not preceded by a blank line');
      step = { index: steps.length, line: n, actor: s[1] as Actor, action: s[2], values: {} };
      steps.push(step);
      actionOpen = true;
      continue;
    }
    if (steps.length === 0) {
      // Prose before the first step (section introduction, notes).
      intro[intro.length - 1].push(l.trim());
      continue;
    }
    if (!step) throw new ExtractError(n, `line not understood: ${JSON.stringify(l)}`);
    if (actionOpen) {
      const a = ACTION_CONTINUATION.exec(l);
      if (!a) throw new ExtractError(n, `line not understood after a step line: ${JSON.stringify(l)}`);
      if (/:$/.test(step.action)) throw new ExtractError(n, 'action continues after a line ending with ":"');
      step.action += ` ${a[1]}`;
      continue;
    }
    const v = VALUE.exec(l);
    if (v) {
      closeValue();
      if (!sawBlank) throw new ExtractError(n, 'value line not preceded by a blank line');
      if (!/:$/.test(step.action)) {
        throw new ExtractError(n, `values follow a step whose action does not end with ":" (step line ${step.line})`);
      }
      const [, label, countText, rest] = v;
      const count = countText === undefined ? undefined : Number(countText);
      if (HEX.test(rest)) {
        value = { label, line: n, count, tokens: rest.split(' '), continuable: true };
      } else if (rest === '(empty)') {
        if (count !== 0) throw new ExtractError(n, `"${label}" is "(empty)" but declares ${count ?? 'no'} octets`);
        value = { label, line: n, count, tokens: [], continuable: false };
      } else if (rest === ZERO_SALT_TEXT && label === 'salt' && count === undefined) {
        // Resolved to Hash.length zero octets once the step is complete (see resolveZeroSalts).
        value = { label, line: n, count, tokens: [], continuable: false, literal: rest };
      } else {
        throw new ExtractError(n, `value of "${label}" is neither hex nor a known placeholder: ${JSON.stringify(rest)}`);
      }
      continue;
    }
    const h = HEX_CONTINUATION.exec(l);
    if (h) {
      if (!value) throw new ExtractError(n, 'hex continuation line outside a value');
      if (!value.continuable) throw new ExtractError(n, `hex continuation after the placeholder value "${value.label}"`);
      if (sawBlank && !sawPageBreak) {
        throw new ExtractError(n, `hex continuation of "${value.label}" after a blank line (not at a page break)`);
      }
      value.tokens.push(...h[1].split(' '));
      continue;
    }
    throw new ExtractError(n, `line not understood inside a step: ${JSON.stringify(l)}`);
  }
  closeStep();
  if (steps.length === 0) throw new ExtractError(from, 'no steps in section');
  const introduction = intro.filter((p) => p.length > 0).map((p) => p.join(' '));
  return { steps, introduction, lastLine, duplicates };
}

/** The zero salt has no octet count; it is Hash.length octets, the length of the step's extracted secret. */
function resolveZeroSalts(steps: TraceStep[]): void {
  for (const st of steps) {
    if (!st.text) continue;
    for (const label of Object.keys(st.text)) {
      const secret = st.values.secret;
      if (secret === undefined || secret.length === 0) {
        throw new ExtractError(st.line, `cannot size the zero "${label}": the step has no "secret" value`);
      }
      st.values[label] = '00'.repeat(secret.length / 2);
    }
  }
}

// ---------------------------------------------------------------------------------------------------------
// Records and messages
// ---------------------------------------------------------------------------------------------------------

const HANDSHAKE_TYPES: Record<number, string> = {
  1: 'ClientHello',
  2: 'ServerHello',
  4: 'NewSessionTicket',
  5: 'EndOfEarlyData',
  8: 'EncryptedExtensions',
  11: 'Certificate',
  13: 'CertificateRequest',
  15: 'CertificateVerify',
  20: 'Finished',
  24: 'KeyUpdate',
};
/** SHA-256("HelloRetryRequest"), the ServerHello.random of a HelloRetryRequest (RFC 8446 section 4.1.3). */
const HRR_RANDOM = 'cf21ad74e59a6111be1d8c021e65b891c2a211167abb8c5e079e09e2c8a8339c';
const CONTENT_TYPE_CODES: Record<ContentType, number> = {
  change_cipher_spec: 0x14,
  alert: 0x15,
  handshake: 0x16,
  application_data: 0x17,
};
const AEAD_TAG_OCTETS = 16;
const CIPHER_SUITES: Record<string, string> = {
  '1301': 'TLS_AES_128_GCM_SHA256',
  '1302': 'TLS_AES_256_GCM_SHA384',
  '1303': 'TLS_CHACHA20_POLY1305_SHA256',
};

const SEND = /^send (handshake|change_cipher_spec|application_data|alert) record$/;
const CONSTRUCT = /^construct an? (\w+) handshake message$/;
const WRITE_KEYS = /^derive write traffic keys for (early application|handshake|application) data\b/;
const KEY_PAIR = /^create an ephemeral (\S+) key pair$/;

const bytes = (hex: string): number[] => {
  const out: number[] = [];
  for (let i = 0; i < hex.length; i += 2) out.push(parseInt(hex.slice(i, i + 2), 16));
  return out;
};

function only(step: TraceStep, labels: string[]): void {
  const got = Object.keys(step.values);
  if (got.length !== labels.length || labels.some((l) => !got.includes(l))) {
    throw new ExtractError(step.line, `step "${step.action}" should have values ${labels.join(', ')}; has ${got.join(', ')}`);
  }
}

function handshakeName(hex: string): { type: number; name: string } {
  const type = parseInt(hex.slice(0, 2), 16);
  const base = HANDSHAKE_TYPES[type];
  if (base === undefined) return { type, name: `unknown(${type})` };
  if (type === 2 && hex.slice(12, 12 + 64) === HRR_RANDOM) return { type, name: 'HelloRetryRequest' };
  return { type, name: base };
}

function buildRecordsAndMessages(steps: TraceStep[]): { records: TraceRecord[]; messages: TraceMessage[] } {
  const records: TraceRecord[] = [];
  const messages: TraceMessage[] = [];
  const epoch: Record<Actor, Epoch> = { client: 'plaintext', server: 'plaintext' };
  const pending: Record<Actor, { step: TraceStep; label: string; hex: string }[]> = { client: [], server: [] };
  const binderPrefixes = new Set<string>();

  for (const st of steps) {
    const w = WRITE_KEYS.exec(st.action);
    if (w) epoch[st.actor] = w[1] === 'early application' ? 'early' : (w[1] as Epoch);
    if (/^calculate PSK binder/.test(st.action) && st.values['ClientHello prefix'] !== undefined) {
      binderPrefixes.add(st.values['ClientHello prefix']);
    }
    const c = CONSTRUCT.exec(st.action);
    if (c) {
      only(st, [c[1]]);
      pending[st.actor].push({ step: st, label: c[1], hex: st.values[c[1]] });
      continue;
    }
    const s = SEND.exec(st.action);
    if (!s) continue;
    only(st, ['payload', 'complete record']);
    const contentType = s[1] as ContentType;
    const payload = st.values.payload;
    const complete = st.values['complete record'];
    const recEpoch: Epoch = contentType === 'change_cipher_spec' ? 'plaintext' : epoch[st.actor];
    const rec = bytes(complete);
    const length = (rec[3] << 8) | rec[4];
    if (length !== rec.length - 5) {
      throw new ExtractError(st.line, `record header length ${length} but the record has ${rec.length - 5} octets after the header`);
    }
    if (recEpoch === 'plaintext') {
      const ok =
        rec[0] === CONTENT_TYPE_CODES[contentType] &&
        rec[1] === 3 &&
        (rec[2] === 1 || rec[2] === 3) &&
        complete.slice(10) === payload;
      if (!ok) throw new ExtractError(st.line, `plaintext ${contentType} record does not frame its payload`);
    } else {
      const ok = rec[0] === 0x17 && rec[1] === 3 && rec[2] === 3 && rec.length - 5 === payload.length / 2 + 1 + AEAD_TAG_OCTETS;
      if (!ok) {
        throw new ExtractError(st.line, `protected record (${recEpoch} keys) is not 0x17 0303 with payload + type + 16-octet tag`);
      }
    }
    const record: TraceRecord = {
      index: records.length,
      step: st.index,
      line: st.line,
      actor: st.actor,
      contentType,
      epoch: recEpoch,
      phase: 'handshake', // set below
      payload,
      completeRecord: complete,
    };
    records.push(record);
    if (contentType === 'application_data') record.phase = recEpoch === 'early' ? 'early-data' : 'application-data';
    else if (contentType === 'alert') record.phase = 'closure';
    if (contentType !== 'handshake') continue;

    record.messages = [];
    for (let off = 0; off < payload.length; ) {
      if (payload.length - off < 8) throw new ExtractError(st.line, 'handshake payload ends inside a message header');
      const len = parseInt(payload.slice(off + 2, off + 8), 16);
      const end = off + 8 + 2 * len;
      if (end > payload.length) throw new ExtractError(st.line, 'handshake message runs past the end of the payload');
      const hex = payload.slice(off, end);
      off = end;
      const { type, name } = handshakeName(hex);
      const built = pending[st.actor].shift();
      if (!built) throw new ExtractError(st.line, `${name} sent by the ${st.actor} without a construct step`);
      const labelOk = built.label === name || (name === 'HelloRetryRequest' && built.label === 'ServerHello');
      if (!labelOk) {
        throw new ExtractError(st.line, `record carries ${name} but the next constructed ${st.actor} message is ${built.label} (line ${built.step.line})`);
      }
      const msg: TraceMessage = {
        index: messages.length,
        actor: st.actor,
        name,
        type,
        phase: 'handshake', // set below
        epoch: recEpoch,
        record: record.index,
        constructStep: built.step.index,
        hex,
      };
      if (built.hex !== hex) {
        const prefixOk = name === 'ClientHello' && hex.startsWith(built.hex) && binderPrefixes.has(built.hex);
        if (!prefixOk) {
          throw new ExtractError(st.line, `${name} in the record differs from the one constructed at line ${built.step.line}`);
        }
        msg.note =
          `the construct step (line ${built.step.line}) shows only the first ${built.hex.length / 2} octets ` +
          `(the binder's "ClientHello prefix"); this is the full ${hex.length / 2}-octet message from the record payload`;
      }
      messages.push(msg);
      record.messages.push(msg.index);
    }
  }
  for (const a of ['client', 'server'] as const) {
    const left = pending[a][0];
    if (left) throw new ExtractError(left.step.line, `${left.label} constructed by the ${a} but never sent in a record`);
  }

  // Phases.
  const hrr = messages.findIndex((m) => m.name === 'HelloRetryRequest');
  for (const m of messages) {
    if (m.index <= hrr) m.phase = 'hello-retry';
    else if (m.name === 'NewSessionTicket' || m.name === 'KeyUpdate') m.phase = 'post-handshake';
  }
  for (const r of records) {
    if (r.messages) {
      const phases = new Set(r.messages.map((i) => messages[i].phase));
      if (phases.size !== 1) throw new ExtractError(r.line, 'one record carries messages of different phases');
      r.phase = [...phases][0];
    }
  }
  return { records, messages };
}

function features(steps: TraceStep[], records: TraceRecord[], messages: TraceMessage[]): TraceFeatures {
  const sh = messages.find((m) => m.name === 'ServerHello');
  if (!sh) throw new ExtractError(steps[0].line, 'no ServerHello');
  const sidLen = parseInt(sh.hex.slice(76, 78), 16);
  const suiteAt = 78 + 2 * sidLen;
  const suiteHex = sh.hex.slice(suiteAt, suiteAt + 4);
  const groups: string[] = [];
  for (const st of steps) {
    const k = KEY_PAIR.exec(st.action);
    if (k && !groups.includes(k[1])) groups.push(k[1]);
  }
  const has = (name: string): boolean => messages.some((m) => m.name === name);
  return {
    cipherSuite: CIPHER_SUITES[suiteHex] ?? `0x${suiteHex}`,
    groups,
    helloRetryRequest: has('HelloRetryRequest'),
    pskResumption: steps.some((st) => /^calculate PSK binder/.test(st.action)),
    earlyData: records.some((r) => r.epoch === 'early'),
    clientAuthentication: has('CertificateRequest'),
    changeCipherSpec: records.some((r) => r.contentType === 'change_cipher_spec'),
    newSessionTicket: has('NewSessionTicket'),
  };
}

// ---------------------------------------------------------------------------------------------------------
// Entry points
// ---------------------------------------------------------------------------------------------------------

export interface Extraction {
  files: { file: string; data: TraceFile }[];
  /** Repeated labels inside one step, renamed with a #n suffix. */
  duplicates: string[];
}

export function extract(text: string): Extraction {
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  const headings = findHeadings(lines);
  const files: Extraction['files'] = [];
  const duplicates: string[] = [];
  for (const spec of SECTIONS) {
    const hi = headings.findIndex((h) => h.number === spec.section);
    if (hi < 0 || hi + 1 >= headings.length) throw new ExtractError(1, `section ${spec.section} heading not found`);
    const h = headings[hi];
    const next = headings[hi + 1];
    const parsed = parseSection(lines, h.line + 1, next.line - 1);
    resolveZeroSalts(parsed.steps);
    const { records, messages } = buildRecordsAndMessages(parsed.steps);
    const feats = features(parsed.steps, records, messages);
    if (JSON.stringify(feats) !== JSON.stringify(spec.features)) {
      throw new ExtractError(h.line, `section ${spec.section} has features ${JSON.stringify(feats)}, expected ${JSON.stringify(spec.features)}`);
    }
    duplicates.push(...parsed.duplicates.map((d) => `section ${spec.section} ${d}`));
    files.push({
      file: spec.file,
      data: {
        kind: 'rfc8448-trace',
        section: spec.section,
        title: h.title,
        source: `RFC 8448 section ${spec.section}, lines ${h.line}-${parsed.lastLine}`,
        numberOfTests: parsed.steps.length,
        introduction: parsed.introduction,
        notes: spec.notes,
        features: feats,
        steps: parsed.steps,
        records,
        messages,
      },
    });
  }
  return { files, duplicates };
}

export function serialize(data: TraceFile): string {
  return `${JSON.stringify(data, null, 2)}\n`;
}

export function extractFromDisk(path = RFC_TEXT_PATH): Extraction {
  return extract(readFileSync(path, 'utf8'));
}

function main(argv: string[]): number {
  const check = argv.includes('--check');
  let result: Extraction;
  try {
    result = extractFromDisk();
  } catch (e) {
    console.error(`extract.ts: ${e instanceof ExtractError ? e.message : (e as Error).stack}`);
    return 1;
  }
  let stale = 0;
  for (const { file, data } of result.files) {
    const path = join(RFC8448_DIR, file);
    const out = serialize(data);
    if (check) {
      let current = '';
      try {
        current = readFileSync(path, 'utf8');
      } catch {
        /* missing */
      }
      if (current !== out) {
        console.error(`${file}: differs from the extraction`);
        stale++;
      }
    } else {
      writeFileSync(path, out);
    }
    console.log(
      `${file}: section ${data.section} "${data.title}", ${data.numberOfTests} steps, ${data.records.length} records, ${data.messages.length} messages`,
    );
  }
  for (const d of result.duplicates) console.log(`repeated label: ${d}`);
  return stale === 0 ? 0 : 1;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.exitCode = main(process.argv.slice(2));
}
