/**
 * Issue 15: a finding as a scenario file. The shrunk ClientHello mutations become a `send` step's `mutate`, the
 * expectation is what the embedded reference does with that ClientHello (the ruler), and the RFC block is the
 * sentence behind the rule the reference cited, so `tls-harness run --scenarios <file> --target T` replays the
 * finding against T (and passes against the reference).
 */
import { stringify } from 'yaml';
import { ContentType } from '../../implementations/reference/codec/enums.ts';
import { TlsServer } from '../../implementations/reference/connection/server.ts';
import { makeConfig } from '../../implementations/reference/connection/config.ts';
import { TEST_PKI } from '../../implementations/reference/connection/testing.ts';
import type { TlsError } from '../../implementations/reference/connection/errors.ts';
import type { HandshakeMessage } from '../../implementations/reference/codec/handshake.ts';
import { ClientPeer13 } from '../engine/peer13.ts';
import { peerConfig } from '../engine/run-case.ts';
import { encodeForWire } from '../engine/mutate.ts';
import { loadSentenceIndex, sentencesOf, type Sentence } from '../rfc/index.ts';
import type { MutateOp, PeerConfig } from '../scenario/model.ts';
import type { Finding } from './fuzz.ts';

/** The rule and alert the reference server refuses this ClientHello with, or undefined when it goes on. */
export function referenceVerdict(ops: readonly MutateOp[], config: PeerConfig): { rule: string; alert: string; detail: string } | undefined {
  const ch = new ClientPeer13(peerConfig(config, 'client')).build('ClientHello') as HandshakeMessage;
  const wire = encodeForWire(ch, ops).wire;
  const server = new TlsServer(makeConfig({ certificates: [TEST_PKI.p256(), TEST_PKI.rsa()], trustRoots: TEST_PKI.ca() }));
  const recs: number[] = [];
  for (let i = 0; i < wire.length || i === 0; i += 16384) {
    const part = wire.subarray(i, i + 16384);
    recs.push(ContentType.handshake, 3, 1, part.length >> 8, part.length & 0xff, ...part);
  }
  server.receive(Uint8Array.from(recs));
  const err = server.takeEvents().find((e) => e.type === 'error') as { type: 'error'; error: TlsError } | undefined;
  return err ? { rule: err.error.rule, alert: err.error.alert, detail: err.error.detail } : undefined;
}

/** The sentence to cite: one of the rule's section that names the alert, else RFC 8446 6's generic ones. */
export function citation(rule: string, alert: string): Sentence | undefined {
  const index = loadSentenceIndex();
  const m = /^RFC (\d+) ([0-9A-Z.]+)$/.exec(rule);
  if (m) {
    const named = sentencesOf(Number(m[1]), m[2], {}, index).find((s) => s.testable && s.text.includes(`"${alert}"`));
    if (named) return named;
  }
  const generic = alert === 'decode_error' ? 'rfc8446-6-6' : alert === 'illegal_parameter' ? 'rfc8446-6-7' : undefined;
  return generic ? index.sentences.find((s) => s.id === generic) : undefined;
}

/** The finding as a scenario document (YAML text), or undefined when no RFC sentence backs the reference's answer. */
export function findingToYaml(f: Finding, target: string, config: PeerConfig, id: string): string | undefined {
  const ref = referenceVerdict(f.ops, config);
  if (!ref) return undefined;
  const s = citation(ref.rule, ref.alert);
  if (!s) return undefined;
  const named = s.text.includes(`"${ref.alert}"`);
  const doc = {
    id,
    title: `The server refuses a ClientHello changed by ${f.ops.length} fuzz mutation${f.ops.length === 1 ? '' : 's'} with ${ref.alert} (found against ${target}: ${f.target})`,
    rfc: { doc: s.doc, section: s.section, quote: s.text, level: s.level, sentences: [s.id] },
    target: 'server',
    versions: ['tls13'],
    tags: ['fuzz'],
    config,
    steps: [
      { send: 'ClientHello', mutate: f.ops.map(toYamlOp) },
      { expect: named ? { alert: ref.alert, lenient: false } : { alert: ref.alert } },
    ],
  };
  const head = [
    '# yaml-language-server: $schema=../harness/scenario/scenario.schema.json',
    `# tls-harness fuzz finding ${f.signature} (reference / ${target}), seed ${f.seed}${f.path ? `, path ${f.path}` : ''}.`,
    `# The reference refuses it: ${ref.rule}, ${ref.detail}`,
  ].join('\n');
  return `${head}\n${stringify(doc, { lineWidth: 0 })}`;
}

/** A mutate op in the scenario file's form (`{ xor: { field, at, value } }`, ...). */
export function toYamlOp(op: MutateOp): Record<string, unknown> {
  switch (op.op) {
    case 'xor':
      return { xor: { ...op.pos, value: op.value } };
    case 'set_bytes':
      return { set_bytes: { ...op.pos, hex: op.hex } };
    case 'truncate':
      return { truncate: 'field' in op.pos ? { field: op.pos.field } : op.pos.at };
    case 'extend':
      return { extend: op.hex };
    case 'append':
      return { append: op.field ? { field: op.field, hex: op.hex } : op.hex };
    case 'length':
      return { length: { field: op.field, value: op.value } };
    case 'insert_extension':
      return { insert_extension: { type: op.type, hex: op.hex ?? '', ...(op.index !== undefined ? { index: op.index } : {}) } };
    case 'remove_extension':
      return { remove_extension: op.type };
    case 'duplicate_extension':
      return { duplicate_extension: op.type };
    case 'reorder_extensions':
      return { reorder_extensions: op.order };
  }
}
