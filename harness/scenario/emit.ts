/**
 * The scenario model back to the scenario file's form (issue 15: a fuzz finding is written as a scenario). Each
 * function gives the plain value the loader reads back into the same model (emit.test.ts checks the round
 * trip); `yaml`'s stringify turns it into text.
 */
import { AlertDescription, nameOf } from '../../implementations/reference/codec/enums.ts';
import type { Expectation, MessageExpectation, MutateOp, RecordOptions, Step } from './model.ts';

/** Hex, with a long run of one byte written `00*N` (text.ts parseHex reads it back). */
export function compactHex(hex: string): string {
  const m = /^((?:[0-9a-f]{2})*?)((?:[0-9a-f]{2}))\2{15,}$/.exec(hex);
  if (!m) return hex;
  const unit = m[2];
  const run = (hex.length - m[1].length) / 2;
  return m[1] ? `${m[1]} ${unit}*${run}` : `${unit}*${run}`;
}

/** A mutate op in the scenario file's form (`{ xor: { field, at, value } }`, ...). */
export function mutateOpToYaml(op: MutateOp): Record<string, unknown> {
  switch (op.op) {
    case 'xor':
      return { xor: { ...op.pos, value: op.value } };
    case 'set_bytes':
      return { set_bytes: { ...op.pos, hex: compactHex(op.hex) } };
    case 'truncate':
      return { truncate: 'field' in op.pos ? { field: op.pos.field } : op.pos.at };
    case 'extend':
      return { extend: compactHex(op.hex) };
    case 'append':
      return { append: op.field ? { field: op.field, hex: compactHex(op.hex) } : compactHex(op.hex) };
    case 'length':
      return { length: { field: op.field, value: op.value } };
    case 'insert_extension':
      return { insert_extension: { type: op.type, ...(op.value !== undefined ? { value: op.value } : { hex: compactHex(op.hex ?? '') }), ...(op.index !== undefined ? { index: op.index } : {}) } };
    case 'remove_extension':
      return { remove_extension: op.type };
    case 'duplicate_extension':
      return { duplicate_extension: op.type };
    case 'reorder_extensions':
      return { reorder_extensions: op.order };
  }
}

function recordToYaml(r: RecordOptions): Record<string, unknown> {
  return Object.fromEntries(Object.entries(r).filter(([, v]) => v !== undefined));
}

const PRINTABLE = /^[\x20-\x7e\r\n\t]*$/;

function bytesToYaml(data: Uint8Array): unknown {
  const text = Buffer.from(data).toString('latin1');
  return PRINTABLE.test(text) ? text : { hex: compactHex(Buffer.from(data).toString('hex')) };
}

function messageItemToYaml(m: MessageExpectation): unknown {
  const name = m.names.length === 1 ? { message: m.names[0] } : { one_of: m.names };
  const extra = { ...(Object.keys(m.where).length > 0 ? { where: m.where } : {}), ...(m.optional ? { optional: true } : {}), ...(m.repeat ? { repeat: true } : {}) };
  return m.names.length === 1 && Object.keys(extra).length === 0 ? m.names[0] : { ...name, ...extra };
}

export function expectationToYaml(e: Expectation): unknown {
  switch (e.kind) {
    case 'messages':
      return e.messages.length === 1 ? messageItemToYaml(e.messages[0]) : e.messages.map(messageItemToYaml);
    case 'alert':
      return { alert: e.alerts.length === 1 ? e.alerts[0] : e.alerts, ...(e.lenient ? {} : { lenient: false }) };
    case 'close':
      return 'close';
    case 'silence':
      return { silence: e.ms };
    case 'closure':
      return { closure: e.ms, ...(e.plainClose ? { plain_close: true } : {}) };
    case 'application_data':
      return e.data ? { application_data: bytesToYaml(e.data) } : 'application_data';
    case 'handshake_complete':
      return 'handshake_complete';
  }
}

/** One step in the scenario file's form. */
export function stepToYaml(s: Step): unknown {
  switch (s.kind) {
    case 'send': {
      const out: Record<string, unknown> = { send: s.message };
      if (Object.keys(s.set).length > 0) out.set = s.set;
      if (s.mutate.length > 0) out.mutate = s.mutate.map(mutateOpToYaml);
      if (Object.keys(s.record).length > 0) out.record = recordToYaml(s.record);
      if (s.premaster) out.premaster = s.premaster;
      if (s.transcript === false) out.transcript = false;
      return out;
    }
    case 'send_raw':
      return { send_raw: { hex: compactHex(s.hex), layer: s.layer, ...(s.content_type !== undefined ? { content_type: s.content_type } : {}), ...(s.transcript === false ? { transcript: false } : {}) } };
    case 'send_application_data':
      return { application_data: bytesToYaml(s.data), ...(s.record && Object.keys(s.record).length > 0 ? { record: recordToYaml(s.record) } : {}) };
    case 'send_alert':
      return { alert: { level: s.level, description: nameOf(AlertDescription, s.description) } };
    case 'send_change_cipher_spec':
      return 'change_cipher_spec';
    case 'close_notify':
      return 'close_notify';
    case 'key_update':
      return s.request_update ? { key_update: { request_update: true } } : 'key_update';
    case 'wait':
      return { wait: s.ms };
    case 'reconnect':
      return s.resume ? { reconnect: { resume: true } } : 'reconnect';
    case 'expect':
      return { expect: expectationToYaml(s.expect) };
  }
}
