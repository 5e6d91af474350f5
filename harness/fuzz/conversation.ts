/**
 * Issue 15: the conversations the fuzzer plays. A conversation is a base handshake for one role and version
 * (written in the scenario language, so every finding is a scenario) plus a list of faults, each applied to one
 * step of it: field-level mutations of a message (ops.ts), message-level ones (drop, duplicate, swap with the
 * next message, a message of another state or of the other version injected), record-level ones (split,
 * coalesce, wrong content type or version, plaintext where encryption is due, oversize, a flipped byte of the
 * protected record, a wrong length, padding) and records interleaved before a step (an alert, a
 * ChangeCipherSpec, an empty record). The base runs past the handshake (application data, a KeyUpdate, the
 * closure), so faults land at every step of the handshake and after it.
 */
import fc from 'fast-check';
import type { HandshakeMessage } from '../../implementations/reference/codec/handshake.ts';
import { parseScenarioText } from '../scenario/loader.ts';
import type { MutateOp, RecordOptions, Role, Scenario, ScenarioCase, Step, VersionName } from '../scenario/model.ts';
import { listSetArbitrary, mutateOpsArbitrary, shapeOf, type MessageShape } from './ops.ts';

export type Setting = `${Role}-${VersionName}`;
export const SETTINGS: readonly Setting[] = ['server-tls13', 'server-tls12', 'client-tls13', 'client-tls12'];

const RFC = `rfc: { doc: 8446, section: "4.4.4", quote: "Recipients of Finished messages MUST verify that the contents are correct and if incorrect MUST terminate the connection with a \\"decrypt_error\\" alert.", level: must, sentences: [rfc8446-4.4.4-1] }`;
const CONFIG13 = 'config: { cipher_suites: [TLS_AES_128_GCM_SHA256], groups: [x25519, secp256r1] }';
const CONFIG12 = 'config: { cipher_suites: [TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256], groups: [x25519, secp256r1] }';
const CLOSURE = '  - expect: { closure: 150, plain_close: true }';
// RFC 8446 6.1: "Each party MUST send a "close_notify" alert before closing its write side of the connection,
// unless it has already sent some error alert." (RFC 5246 7.2.1 the same.) A target whose unfaulted base ends
// with its close_notify has aborted a faulted conversation when it closes without one: the strict closure tells
// that close from a completed conversation (with the plain one, a target that closed at the fault "completed");
// the close that follows tells a target that waits (silence passes a closure) from one that completed.
const STRICT_CLOSURE = '  - expect: { closure: 150 }\n  - expect: close';
/** Each setting's variants with the strict closure first, the plain-close ones as the fallback. */
const strictFirst = (variants: readonly string[]): string[] => [...variants.map((v) => v.replace(CLOSURE, STRICT_CLOSURE)), ...variants];

/**
 * The base conversations: the full handshake, application data, (TLS 1.3) a KeyUpdate, close_notify, and the
 * target's side of the closure. Each setting has variants; the fuzzer takes the first that the target and the
 * reference both complete (a TLS 1.2 client that offers session_ticket gets the NewSessionTicket it was
 * promised, RFC 5077 3.3; one that does not, none). Each is tried first with a strict closure (a close without
 * close_notify ends it: RFC 8446 6.1, so an endpoint that silently drops the connection after a fault is told
 * from one that goes on; then the close, so one that waits is told from one that completed), then, for a target
 * that never sends close_notify, with a plain close allowed.
 */
export const BASE_YAML: Readonly<Record<Setting, readonly string[]>> = {
  'server-tls13': strictFirst([
    [
      'steps:',
      '  - send: ClientHello',
      '  - expect: [ServerHello, EncryptedExtensions, { message: CertificateRequest, optional: true }, Certificate, CertificateVerify, Finished]',
      '  - send: Finished',
      '  - application_data: "fuzz"',
      '  - key_update',
      '  - close_notify',
      CLOSURE,
    ].join('\n'),
  ]),
  'server-tls12': strictFirst([
    [
      'steps:',
      '  - send: ClientHello',
      '  - expect: [ServerHello, Certificate, ServerKeyExchange, { message: CertificateRequest, optional: true }, ServerHelloDone]',
      '  - send: ClientKeyExchange',
      '  - change_cipher_spec',
      '  - send: Finished',
      '  - expect: Finished',
      '  - application_data: "fuzz"',
      '  - close_notify',
      CLOSURE,
    ].join('\n'),
  ]),
  'client-tls13': strictFirst([
    [
      'steps:',
      '  - expect: ClientHello',
      '  - send: ServerHello',
      '  - send: EncryptedExtensions',
      '  - send: Certificate',
      '  - send: CertificateVerify',
      '  - send: Finished',
      '  - expect: Finished',
      '  - application_data: "fuzz"',
      '  - key_update',
      '  - close_notify',
      CLOSURE,
    ].join('\n'),
  ]),
  'client-tls12': strictFirst(['  - send: NewSessionTicket\n', ''].map((ticket) =>
    [
      'steps:',
      '  - expect: ClientHello',
      '  - send: ServerHello',
      '  - send: Certificate',
      '  - send: ServerKeyExchange',
      '  - send: ServerHelloDone',
      '  - expect: [ClientKeyExchange, Finished]',
      `${ticket}  - change_cipher_spec`,
      '  - send: Finished',
      '  - application_data: "fuzz"',
      '  - close_notify',
      CLOSURE,
    ].join('\n'),
  )),
};

/** How many variants a setting's base has (strict closures first, then the plain-close ones). */
export const baseVariants = (setting: Setting) => BASE_YAML[setting].length;

/** Whether a base variant lets a plain close (no close_notify) end the conversation. */
export const plainCloseVariant = (setting: Setting, variant: number) => BASE_YAML[setting][variant].includes('plain_close: true');

/** One variant of a base conversation as a scenario (parsed by the loader, like any scenario file). */
export function baseScenario(setting: Setting, variant = 0): Scenario {
  const [role, version] = setting.split('-') as [Role, VersionName];
  const steps = BASE_YAML[setting][variant];
  const text = [`id: fuzz-${setting}`, `title: fuzz base conversation (${role} target, ${version})`, RFC, `target: ${role}`, `versions: [${version}]`, version === 'tls13' ? CONFIG13 : CONFIG12, steps].join('\n');
  const r = parseScenarioText(text, `<fuzz ${setting}>`);
  if (r.scenarios.length !== 1) throw new Error(`fuzz base ${setting}: ${r.diagnostics.map((d) => d.message).join('; ')}`);
  return r.scenarios[0];
}

/** A case of `scenario` with these steps (the fuzzer's conversations are cases like any other). */
export function caseOf(scenario: Scenario, steps: Step[], id = scenario.id): ScenarioCase {
  return { id, scenario: { ...scenario, id, steps }, params: {}, steps, config: scenario.config, requires: {}, control: false };
}

/** What the fuzzer knows of a base: its steps and the span map of each message a `send` step builds. */
export interface Base {
  setting: Setting;
  scenario: Scenario;
  /** Span maps of the messages the harness sent, by step index (from a run of the base: what the target made the harness send). */
  shapes: Map<number, MessageShape>;
}

/** Collects the span maps of a run's sent messages (RunCaseOptions.onSend). */
export function shapeCollector(): { shapes: Map<number, MessageShape>; onSend: (i: number, msg: HandshakeMessage, encrypted: boolean) => void } {
  const shapes = new Map<number, MessageShape>();
  return { shapes, onSend: (i, msg, encrypted) => shapes.set(i, { ...shapeOf(msg), encrypted }) };
}

/** An interleaved record: what goes before a step. */
export const INTERLEAVED = ['warning_alert', 'fatal_alert', 'change_cipher_spec', 'empty_application_data', 'empty_handshake', 'heartbeat'] as const;
export type Interleaved = (typeof INTERLEAVED)[number];

/** One fault, at the index of a base step. */
export type Fault =
  /** Field-level mutations of the message a `send` step builds. */
  | { kind: 'mutate'; step: number; ops: MutateOp[] }
  /** A list of code points of the message replaced (an item dropped, repeated or replaced, reordered, emptied). */
  | { kind: 'set'; step: number; path: string; value: number[] }
  /** How the `send` step's message goes onto the wire. */
  | { kind: 'record'; step: number; record: RecordOptions }
  | { kind: 'drop'; step: number }
  | { kind: 'duplicate'; step: number }
  /** The step and the next one change places (both harness actions). */
  | { kind: 'swap'; step: number }
  /** A message the harness can build for another state, sent before the step. */
  | { kind: 'inject'; step: number; message: string }
  /** Raw handshake bytes (another version's message) under the current keys, before the step. */
  | { kind: 'inject_raw'; step: number; hex: string; name: string }
  | { kind: 'interleave'; step: number; what: Interleaved };

export interface Conversation {
  setting: Setting;
  faults: Fault[];
}

const isAction = (s: Step) => s.kind !== 'expect' && s.kind !== 'wait';
const SENDABLE: Readonly<Record<Setting, readonly string[]>> = {
  'server-tls13': ['ClientHello', 'Certificate', 'CertificateVerify', 'Finished', 'EndOfEarlyData', 'KeyUpdate'],
  // No ClientHello injected in TLS 1.2 (after the handshake it asks for a renegotiation, which a server may
  // refuse with a warning or an error, RFC 5246 7.4.1.2 / RFC 5746), no HelloRequest (a client may ignore it).
  'server-tls12': ['Certificate', 'ClientKeyExchange', 'CertificateVerify', 'Finished'],
  'client-tls13': ['ServerHello', 'HelloRetryRequest', 'EncryptedExtensions', 'CertificateRequest', 'Certificate', 'CertificateVerify', 'Finished', 'NewSessionTicket', 'KeyUpdate'],
  'client-tls12': ['ServerHello', 'Certificate', 'ServerKeyExchange', 'CertificateRequest', 'ServerHelloDone', 'NewSessionTicket', 'Finished'],
};
/**
 * Messages of the other version, as raw handshake messages (type, 3-byte length, body). Not a HelloRequest: a
 * client still negotiating ignores one (RFC 5246 7.4.1.1), and the harness's TLS 1.3 transcript would count it.
 */
const OTHER_VERSION: Readonly<Record<VersionName, readonly { name: string; hex: string }[]>> = {
  tls13: [
    { name: 'ServerKeyExchange (TLS 1.2)', hex: '0c000000' },
    { name: 'ServerHelloDone (TLS 1.2)', hex: '0e000000' },
    { name: 'ClientKeyExchange (TLS 1.2)', hex: `10000021 20${'11'.repeat(32)}`.replace(' ', '') },
  ],
  tls12: [
    { name: 'EncryptedExtensions (TLS 1.3)', hex: '080000020000' },
    { name: 'KeyUpdate (TLS 1.3)', hex: '1800000100' },
    { name: 'EndOfEarlyData (TLS 1.3)', hex: '05000000' },
    { name: 'message_hash (TLS 1.3)', hex: `fe000020${'22'.repeat(32)}` },
  ],
};

/** fast-check arbitrary of one fault of this base. */
export function faultArbitrary(base: Base): fc.Arbitrary<Fault> {
  const steps = base.scenario.steps;
  const version = base.setting.endsWith('tls13') ? 'tls13' : 'tls12';
  const sends = steps.flatMap((s, i) => (s.kind === 'send' ? [i] : []));
  const shaped = sends.filter((i) => base.shapes.has(i));
  const actions = steps.flatMap((s, i) => (isAction(s) ? [i] : []));
  const swappable = actions.filter((i) => i + 1 < steps.length && isAction(steps[i + 1]));
  // In the client role nothing goes before the client's first message (step 0 waits for its ClientHello): what
  // arrives before it was sent is a race, not a fault.
  const anyStep = fc.integer({ min: base.setting.startsWith('client') ? 1 : 0, max: steps.length - 1 });
  const arbs: { weight: number; arbitrary: fc.Arbitrary<Fault> }[] = [];
  if (shaped.length > 0)
    arbs.push({ weight: 8, arbitrary: fc.constantFrom(...shaped).chain((step) => mutateOpsArbitrary(base.shapes.get(step)!).map((ops): Fault => ({ kind: 'mutate', step, ops }))) });
  const listed = shaped.filter((i) => base.shapes.get(i)!.lists.length > 0);
  if (listed.length > 0)
    arbs.push({ weight: 2, arbitrary: fc.constantFrom(...listed).chain((step) => listSetArbitrary(base.shapes.get(step)!)!.map(({ path, value }): Fault => ({ kind: 'set', step, path, value }))) });
  if (sends.length > 0) arbs.push({ weight: 3, arbitrary: fc.constantFrom(...sends).chain((step) => recordArbitrary(base, step).map((record): Fault => ({ kind: 'record', step, record }))) });
  if (actions.length > 0) {
    arbs.push({ weight: 1, arbitrary: fc.constantFrom(...actions).map((step): Fault => ({ kind: 'drop', step })) });
    arbs.push({ weight: 1, arbitrary: fc.constantFrom(...actions).map((step): Fault => ({ kind: 'duplicate', step })) });
  }
  if (swappable.length > 0) arbs.push({ weight: 1, arbitrary: fc.constantFrom(...swappable).map((step): Fault => ({ kind: 'swap', step })) });
  arbs.push({ weight: 1, arbitrary: fc.tuple(anyStep, fc.constantFrom(...SENDABLE[base.setting])).map(([step, message]): Fault => ({ kind: 'inject', step, message })) });
  arbs.push({ weight: 1, arbitrary: fc.tuple(anyStep, fc.constantFrom(...OTHER_VERSION[version])).map(([step, m]): Fault => ({ kind: 'inject_raw', step, hex: m.hex, name: m.name })) });
  arbs.push({ weight: 2, arbitrary: fc.tuple(anyStep, fc.constantFrom(...INTERLEAVED)).map(([step, what]): Fault => ({ kind: 'interleave', step, what })) });
  return fc.oneof(...arbs);
}

/**
 * Whether a warning alert before this step can be judged: in TLS 1.3 once the version is agreed (after the
 * ServerHello), where every alert but close_notify and user_canceled is an error whatever its level (RFC 8446 6).
 * In TLS 1.2, and before the version is known, the receiver of a warning may go on or stop (RFC 5246 7.2): such
 * warnings are still sent (what else a target does after one, a second ClientHello, a crash, is judged), but
 * whether it goes on or stops is not (fuzz.ts difference: 'warning-choice').
 */
export function judgesWarnings(setting: Setting, steps: readonly Step[], step: number): boolean {
  if (setting.endsWith('tls12')) return false;
  const hello = steps.findIndex((s) => (s.kind === 'send' && s.message === 'ServerHello') || (s.kind === 'expect' && s.expect.kind === 'messages' && s.expect.messages.some((m) => m.names.includes('ServerHello'))));
  return hello >= 0 && step > hello;
}

/** Record-level options for a send step: split, coalesce, wrong type or version, plaintext, oversize, corruption. */
function recordArbitrary(base: Base, step: number): fc.Arbitrary<RecordOptions> {
  const steps = base.scenario.steps;
  const len = base.shapes.get(step)?.length ?? 64;
  const arbs: fc.Arbitrary<RecordOptions>[] = [
    fc.integer({ min: 1, max: Math.max(1, len - 1) }).map((at) => ({ fragment_at: [at] })),
    fc.constantFrom(1, 2, 3, 16).map((max_fragment) => ({ max_fragment })),
    fc.constantFrom(20, 21, 23, 24, 0, 19, 25, 255).map((content_type) => ({ content_type })),
    // TLS 1.3: legacy_record_version "MUST be ignored for all purposes" (RFC 8446 5.1); versions of major 3 only
    // (a first record of another major version may be another protocol to a server that still speaks older ones:
    // OpenSSL and rustls refuse it). TLS 1.2 gives the receiver no rule for it (RFC 5246 6.2.1, E.1): not there.
    ...(base.setting.endsWith('tls13') ? [fc.constantFrom(0x0300, 0x0302, 0x0304, 0x0305, 0x03ff).map((version) => ({ version }))] : []),

    // A wrong record length: smaller than the record (the rest is read as the next header), or over every limit.
    fc.constantFrom(0, 1, 2, 18433, 0xffff).map((length) => ({ length })),
    fc.constantFrom(16385, 16640).map((max_fragment) => ({ max_fragment })),
  ];
  // Under record protection only: a flipped byte of the protected record (a bad MAC; in a plaintext record it
  // would change the message behind the harness's back), and the record sent in the clear instead.
  if (base.shapes.get(step)?.encrypted) {
    arbs.push(fc.record({ at: fc.oneof(fc.integer({ min: -17, max: -1 }), fc.integer({ min: 5, max: 12 })), value: fc.integer({ min: 1, max: 255 }) }).map((wire_xor) => ({ wire_xor })));
    arbs.push(fc.constant({ plaintext: true }));
  }
  if (base.setting.endsWith('tls13')) arbs.push(fc.constantFrom(0, 1, 255, 16384 - len, 16385 - len).map((padding) => ({ padding: Math.max(0, padding) })));
  if (step + 1 < steps.length && steps[step + 1].kind === 'send') arbs.push(fc.constant({ coalesce: true }));
  return fc.oneof(...arbs);
}

/** A conversation of this base: one to three faults. */
export function conversationArbitrary(base: Base, maxFaults = 3): fc.Arbitrary<Conversation> {
  return fc.array(faultArbitrary(base), { minLength: 1, maxLength: maxFaults }).map((faults) => ({ setting: base.setting, faults }));
}

/**
 * The steps of a conversation: the base with its faults applied. Step indices are the base's; faults at the
 * same step apply in order. Oversize messages (record.max_fragment above 2^14) get a body that big.
 */
export function applyFaults(steps: readonly Step[], faults: readonly Fault[]): Step[] {
  const order = steps.map((_, i) => i);
  for (const f of faults)
    if (f.kind === 'swap' && f.step + 1 < order.length) {
      const a = order.indexOf(f.step);
      const b = order.indexOf(f.step + 1);
      [order[a], order[b]] = [order[b], order[a]];
    }
  const out: Step[] = [];
  for (const i of order) {
    const here = faults.filter((f) => f.step === i);
    const loc = steps[i].loc;
    for (const f of here) {
      // Out of place: the target must refuse it, so the harness keeps it out of its own transcript and state.
      if (f.kind === 'inject') out.push({ kind: 'send', message: f.message, set: {}, mutate: [], record: {}, transcript: false, loc });
      else if (f.kind === 'inject_raw') out.push({ kind: 'send_raw', layer: 'handshake', hex: f.hex, transcript: false, loc });
      else if (f.kind === 'interleave') out.push(interleaved(f.what, loc));
    }
    if (here.some((f) => f.kind === 'drop')) continue;
    let step = steps[i];
    for (const f of here) {
      if (f.kind === 'mutate' && step.kind === 'send') step = { ...step, mutate: [...step.mutate, ...f.ops] };
      else if (f.kind === 'set' && step.kind === 'send') step = { ...step, set: { ...step.set, [f.path]: f.value } };
      else if (f.kind === 'record' && step.kind === 'send') {
        const record = { ...step.record, ...f.record };
        // Oversize: a record above 2^14 needs a message that big (RFC 8446 5.1 / RFC 5246 6.2.1).
        const grow = record.max_fragment !== undefined && record.max_fragment > 16384 ? [{ op: 'extend' as const, hex: '00'.repeat(record.max_fragment) }] : [];
        step = { ...step, record, mutate: [...step.mutate, ...grow] };
      }
    }
    out.push(step);
    // The copy of a handshake message comes out of place: forgotten like an injected one.
    for (const f of here) if (f.kind === 'duplicate') out.push(step.kind === 'send' ? { ...step, transcript: false } : step);
  }
  return out;
}

function interleaved(what: Interleaved, loc: Step['loc']): Step {
  switch (what) {
    case 'warning_alert':
      // level warning, no_renegotiation (100): a warning in TLS 1.2, an error in TLS 1.3 (RFC 8446 6).
      return { kind: 'send_alert', level: 1, description: 100, loc };
    case 'fatal_alert':
      return { kind: 'send_alert', level: 2, description: 10, loc };
    case 'change_cipher_spec':
      return { kind: 'send_change_cipher_spec', loc };
    case 'empty_application_data':
      return { kind: 'send_raw', layer: 'handshake', hex: '', content_type: 23, loc };
    case 'empty_handshake':
      return { kind: 'send_raw', layer: 'handshake', hex: '', content_type: 22, loc };
    case 'heartbeat':
      // RFC 6520 heartbeat_request with a payload length beyond the record (never negotiated here).
      return { kind: 'send_raw', layer: 'handshake', hex: '014000', content_type: 24, loc };
  }
}

/** A one-line description of a fault, for progress and finding headers. */
export function describeFault(f: Fault, steps: readonly Step[]): string {
  const s = steps[f.step];
  const what = s ? (s.kind === 'send' ? s.message : s.kind === 'expect' ? 'expect' : s.kind.replace(/^send_/, '')) : '?';
  const at = `step ${f.step + 1} (${what})`;
  switch (f.kind) {
    case 'mutate':
      return `${at}: ${f.ops.map(describeOp).join(', ')}`;
    case 'record':
      return `${at}: record ${JSON.stringify(f.record)}`;
    case 'set':
      return `${at}: set ${f.path} = [${f.value.map((v) => `0x${v.toString(16).padStart(4, '0')}`).join(', ')}]`;
    case 'inject':
      return `before ${at}: ${f.message}`;
    case 'inject_raw':
      return `before ${at}: ${f.name}`;
    case 'interleave':
      return `before ${at}: ${f.what}`;
    default:
      return `${at}: ${f.kind}`;
  }
}

/** One mutate op in a few words: `length of ClientHello.cipher_suites = 0`. */
export function describeOp(op: MutateOp): string {
  const pos = (p: { at: number } | { field: string; at?: number }) => ('field' in p ? `${p.field}${p.at ? ` +${p.at}` : ''}` : `byte ${p.at}`);
  const bytes = (hex: string) => (hex.length <= 16 ? hex || 'nothing' : `${hex.length / 2} bytes`);
  switch (op.op) {
    case 'xor':
      return `xor ${pos(op.pos)} with 0x${op.value.toString(16)}`;
    case 'set_bytes':
      return `set ${pos(op.pos)} to ${bytes(op.hex)}`;
    case 'truncate':
      return `truncate at ${pos(op.pos)}`;
    case 'extend':
      return `${bytes(op.hex)} after the message`;
    case 'append':
      return `${bytes(op.hex)} appended inside ${op.field ?? 'the body'}`;
    case 'length':
      return `length of ${op.field} = ${op.value}`;
    case 'insert_extension':
      return `insert extension ${op.type}${op.hex !== undefined ? ` (${bytes(op.hex)})` : ''}`;
    case 'remove_extension':
      return `remove extension ${op.type}`;
    case 'duplicate_extension':
      return `duplicate extension ${op.type}`;
    case 'reorder_extensions':
      return `reorder extensions ${op.order.join(', ')}`;
  }
}
