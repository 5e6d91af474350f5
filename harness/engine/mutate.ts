/**
 * A scenario's `mutate` operations on a message it sends: extension-list edits on the message before it is
 * encoded, length and trailing-byte overrides while it is encoded, and byte edits after.
 */
import { ExtensionType, nameOf } from '../../implementations/reference/codec/enums.ts';
import type { Extension } from '../../implementations/reference/codec/extensions.ts';
import { encodeHandshakeWithSpans, type HandshakeMessage } from '../../implementations/reference/codec/handshake.ts';
import type { EncodeOverrides } from '../../implementations/reference/codec/writer.ts';
import type { MutateOp, Position } from '../scenario/model.ts';
import { MissingExtensionError, ScenarioRuntimeError, toBytes, convertValue, extensionCodeOf } from './fields.ts';

function extensionCode(t: string | number, where: string): number {
  if (typeof t === 'number') return t;
  if (/^0x[0-9a-f]+$/i.test(t)) return Number.parseInt(t, 16);
  const code = (ExtensionType as Record<string, number>)[t];
  if (code === undefined) throw new ScenarioRuntimeError(`${where}: unknown extension '${t}'`);
  return code;
}

function extensionsOf(msg: HandshakeMessage, op: string): Extension[] {
  const m = msg as { extensions?: Extension[] };
  if (!m.extensions) {
    if (!('extensions' in m) && !['client_hello', 'server_hello'].includes(msg.msg_type)) throw new ScenarioRuntimeError(`${op}: ${msg.msg_type} has no extensions`);
    m.extensions = [];
  }
  return m.extensions;
}

/** Apply the extension-list edits (in place) and collect the encode overrides; returns the byte-level ops left. */
export function prepare(msg: HandshakeMessage, ops: readonly MutateOp[]): { overrides: EncodeOverrides; byteOps: MutateOp[] } {
  const overrides: EncodeOverrides = { lengths: {}, append: {} };
  const byteOps: MutateOp[] = [];
  for (const op of ops) {
    switch (op.op) {
      case 'insert_extension': {
        const exts = extensionsOf(msg, op.op);
        const code = extensionCode(op.type, op.op);
        const ext: Extension =
          op.value !== undefined
            ? ({ type: nameOf(ExtensionType, code), ...(convertValue(op.value, undefined, '', `insert_extension.${String(op.type)}`) as object) } as Extension)
            : { type: 'opaque', extension_type: code, extension_data: op.hex ? toBytes(`0x${op.hex}`, op.op) : new Uint8Array(0) };
        exts.splice(op.index ?? exts.length, 0, ext);
        break;
      }
      case 'remove_extension': {
        const exts = extensionsOf(msg, op.op);
        const code = extensionCode(op.type, op.op);
        const i = exts.findIndex((e) => extensionCodeOf(e) === code);
        if (i < 0) throw new MissingExtensionError(`remove_extension: the message has no ${String(op.type)} extension`, nameOf(ExtensionType, code));
        exts.splice(i, 1);
        break;
      }
      case 'duplicate_extension': {
        const exts = extensionsOf(msg, op.op);
        const code = extensionCode(op.type, op.op);
        const i = exts.findIndex((e) => extensionCodeOf(e) === code);
        if (i < 0) throw new MissingExtensionError(`duplicate_extension: the message has no ${String(op.type)} extension`, nameOf(ExtensionType, code));
        exts.splice(i + 1, 0, structuredClone(exts[i]));
        break;
      }
      case 'reorder_extensions': {
        const exts = extensionsOf(msg, op.op);
        const order = op.order.map((t) => extensionCode(t, op.op));
        const picked: Extension[] = [];
        for (const code of order) {
          const i = exts.findIndex((e) => extensionCodeOf(e) === code);
          if (i < 0) throw new ScenarioRuntimeError(`reorder_extensions: the message has no ${nameOf(ExtensionType, code)} extension`);
          picked.push(...exts.splice(i, 1));
        }
        // The named extensions first, in the given order, then the rest as they were.
        exts.unshift(...picked);
        break;
      }
      case 'length':
        overrides.lengths![op.field] = op.value;
        break;
      case 'append':
        overrides.append![op.field ?? structName(msg)] = toBytes(`0x${op.hex}`, op.op);
        break;
      default:
        byteOps.push(op);
    }
  }
  return { overrides, byteOps };
}

import { HANDSHAKE_STRUCT_NAMES } from '../../implementations/reference/codec/handshake.ts';
function structName(msg: HandshakeMessage): string {
  return HANDSHAKE_STRUCT_NAMES[msg.msg_type];
}

/** Encode with overrides, then apply the byte-level operations. */
export function encodeMutated(msg: HandshakeMessage, ops: readonly MutateOp[]): Uint8Array {
  return encodeForWire(msg, ops).wire;
}

/**
 * The bytes to send, and the bytes of the message itself: `extend` appends bytes after the message (the
 * target reads them as whatever follows), so they are on the wire but not part of the message the harness
 * puts in its transcript.
 */
export function encodeForWire(msg: HandshakeMessage, ops: readonly MutateOp[]): { wire: Uint8Array; message: Uint8Array } {
  const { overrides, byteOps } = prepare(msg, ops);
  const { bytes, spans, unusedOverrides } = encodeHandshakeWithSpans(msg, overrides);
  if (unusedOverrides.length > 0) {
    // A `length` or `append` whose field is not a length-prefixed region of this message would change nothing:
    // the case would send the unmutated message and judge the answer to a fault it never sent.
    const regions = [...spans.keys()].filter((k) => !/\[\d+\]$/.test(k)).slice(0, 12).join(', ');
    throw new ScenarioRuntimeError(`${unusedOverrides[0].replace(' ', ": no length-prefixed field '")}' in the encoded message (fields include: ${regions}, ...)`);
  }
  const inMessage = byteOps.filter((o) => o.op !== 'extend');
  const message = applyByteOps(bytes, inMessage, spans);
  const wire = inMessage.length === byteOps.length ? message : applyByteOps(bytes, byteOps, spans);
  return { wire, message };
}

function resolve(pos: Position, spans: Map<string, readonly [number, number]>, len: number, op: string): number {
  let off: number;
  if ('field' in pos) {
    const span = spans.get(pos.field);
    if (!span) {
      const known = [...spans.keys()].slice(0, 12).join(', ');
      throw new ScenarioRuntimeError(`${op}: no field '${pos.field}' in the encoded message (fields include: ${known}, ...)`);
    }
    off = span[0] + (pos.at ?? 0);
  } else off = pos.at;
  if (off < 0) off += len;
  if (off < 0 || off > len) throw new ScenarioRuntimeError(`${op}: offset ${off} outside the message (${len} bytes)`);
  return off;
}

export function applyByteOps(input: Uint8Array, ops: readonly MutateOp[], spans: Map<string, readonly [number, number]> = new Map()): Uint8Array {
  let bytes = Uint8Array.from(input);
  for (const op of ops) {
    switch (op.op) {
      case 'xor': {
        const at = resolve(op.pos, spans, bytes.length, 'xor');
        if (at >= bytes.length) throw new ScenarioRuntimeError(`xor: offset ${at} outside the message (${bytes.length} bytes)`);
        bytes[at] ^= op.value;
        break;
      }
      case 'set_bytes': {
        const at = resolve(op.pos, spans, bytes.length, 'set_bytes');
        const data = toBytes(`0x${op.hex}`, 'set_bytes');
        if (at + data.length > bytes.length) {
          const grown = new Uint8Array(at + data.length);
          grown.set(bytes);
          bytes = grown;
        }
        bytes.set(data, at);
        break;
      }
      case 'truncate':
        bytes = bytes.slice(0, resolve(op.pos, spans, bytes.length, 'truncate'));
        break;
      case 'extend': {
        const data = toBytes(`0x${op.hex}`, 'extend');
        const grown = new Uint8Array(bytes.length + data.length);
        grown.set(bytes);
        grown.set(data, bytes.length);
        bytes = grown;
        break;
      }
      default:
        throw new ScenarioRuntimeError(`${op.op}: not a byte-level operation`);
    }
  }
  return bytes;
}

/**
 * What a `send` step changed in the message it sends, as field paths for the transcript (`changed`) and the
 * HTML report, which highlights them in the decoded message: the `set` paths as written (`cipher_suites`,
 * `extensions.key_share.client_shares[0].group`); a `mutate` field with the struct name dropped
 * (`ClientHello.extensions[1].key_share` -> `extensions[1].key_share`; the message itself, e.g. an append to
 * its body, is its struct name, `ClientHello`; the handshake header stays `Handshake.length`); extension edits
 * as `extensions.<name>` (inserted, duplicated) or `extensions` (removed, reordered); a byte offset as
 * `[byte N]`, bytes after the message as `[trailing bytes]`; the RSA premaster as `encrypted_pre_master_secret`;
 * record options as `record.<option>`. Each path once, in the step's order.
 */
export function changedFields(
  msg: HandshakeMessage,
  step: { set?: Record<string, unknown>; mutate?: readonly MutateOp[]; record?: object; premaster?: object },
): string[] {
  const struct = structName(msg);
  const rel = (field: string): string => (field.startsWith(`${struct}.`) ? field.slice(struct.length + 1) : field);
  const out: string[] = Object.keys(step.set ?? {});
  const pos = (p: Position): string => ('field' in p ? rel(p.field) : `[byte ${p.at}]`);
  for (const op of step.mutate ?? []) {
    switch (op.op) {
      case 'xor':
      case 'set_bytes':
      case 'truncate':
        out.push(pos(op.pos));
        break;
      case 'extend':
        out.push('[trailing bytes]');
        break;
      case 'append':
        out.push(op.field === undefined ? struct : rel(op.field));
        break;
      case 'length':
        out.push(op.field === struct ? 'Handshake.length' : rel(op.field));
        break;
      case 'insert_extension':
      case 'duplicate_extension':
        out.push(`extensions.${typeof op.type === 'number' || /^0x/i.test(op.type) ? nameOf(ExtensionType, extensionCode(op.type, op.op)) : op.type}`);
        break;
      case 'remove_extension':
      case 'reorder_extensions':
        out.push('extensions');
        break;
    }
  }
  if (step.premaster && Object.keys(step.premaster).length > 0) out.push('encrypted_pre_master_secret');
  for (const k of Object.keys(step.record ?? {})) out.push(`record.${k}`);
  return [...new Set(out)];
}

