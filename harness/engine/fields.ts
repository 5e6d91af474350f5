/**
 * Field paths into decoded messages, for a scenario's `set` (change a field of a message we send) and
 * `where` (a predicate on a field of a message we receive).
 *
 * A path is dotted with list indexes: `cipher_suites`, `random`, `extensions.key_share.client_shares[0].group`.
 * `extensions.<name>` selects the extension of that IANA name (the first one); `extensions[2]` the third.
 * Values take IANA names where the field holds a code point (cipher suites, groups, signature schemes,
 * versions), and bytes as `0x...`, `{ hex: ... }`, an array of numbers, or text (UTF-8).
 */
import {
  AlertDescription,
  CipherSuite,
  ContentType,
  ExtensionType,
  NamedGroup,
  ProtocolVersion,
  PskKeyExchangeMode,
  SignatureScheme,
  nameOf,
  type NameTable,
} from '../../implementations/reference/codec/enums.ts';
import type { FieldValue } from '../scenario/model.ts';
import { extensionOfSegment } from '../scenario/names.ts';
import { closest } from '../suggest.ts';

/** A mistake in a scenario's path or value: the case ends with verdict `error`. */
export class ScenarioRuntimeError extends Error {
  override readonly name = 'ScenarioRuntimeError';
}

/**
 * The target's own messages show that it lacks what the case needs (e.g. config.ffdhe_leading_zero against a
 * client that offers no ffdhe group): the case is a skip with this reason, not a failure.
 */
export class TargetLacksError extends Error {
  override readonly name = 'TargetLacksError';
}

/** A scenario changes an extension the message does not have (`extension`: its name). */
export class MissingExtensionError extends ScenarioRuntimeError {
  constructor(
    message: string,
    readonly extension: string,
  ) {
    super(message);
  }
}

/** Which name table a field's numbers come from, by field name. */
const TABLES: Record<string, NameTable> = {
  cipher_suites: CipherSuite,
  cipher_suite: CipherSuite,
  named_group_list: NamedGroup,
  group: NamedGroup,
  selected_group: NamedGroup,
  named_curve: NamedGroup,
  supported_signature_algorithms: SignatureScheme,
  algorithm: SignatureScheme,
  versions: ProtocolVersion,
  selected_version: ProtocolVersion,
  legacy_version: ProtocolVersion,
  ke_modes: PskKeyExchangeMode,
  extension_type: ExtensionType,
  description: AlertDescription,
  type: ContentType,
};

export function tableFor(field: string): NameTable | undefined {
  return TABLES[field];
}

type Segment = { key: string } | { index: number };

export function parsePath(path: string): Segment[] {
  const out: Segment[] = [];
  for (const part of path.split('.')) {
    const m = /^([^[\]]*)((?:\[\d+\])*)$/.exec(part);
    if (!m || (m[1] === '' && m[2] === '')) throw new ScenarioRuntimeError(`bad field path '${path}'`);
    if (m[1] !== '') out.push({ key: m[1] });
    for (const idx of m[2].matchAll(/\[(\d+)\]/g)) out.push({ index: Number(idx[1]) });
  }
  return out;
}

export function extensionName(e: { type: string; extension_type?: number }): string {
  return e.type === 'opaque' ? nameOf(ExtensionType, e.extension_type ?? -1) : e.type;
}

/** Resolve all but the last segment; returns the container and the last key/index. */
function walk(root: unknown, path: string): { parent: Record<string, unknown> | unknown[]; last: Segment; field: string } {
  const segs = parsePath(path);
  let cur: unknown = root;
  let field = '';
  for (let i = 0; i < segs.length - 1; i++) {
    cur = step(cur, segs[i], segs, i, path);
    if ('key' in segs[i]) field = (segs[i] as { key: string }).key;
  }
  const last = segs[segs.length - 1];
  if (cur === null || typeof cur !== 'object') throw new ScenarioRuntimeError(`'${path}': not a structure before '${'key' in last ? last.key : `[${last.index}]`}'`);
  if ('key' in last && !Array.isArray(cur) && !(last.key in (cur as object))) {
    const al = alias(cur as Record<string, unknown>, last.key);
    if (al) return { parent: cur as Record<string, unknown>, last: { key: al }, field: al };
  }
  return { parent: cur as Record<string, unknown>, last, field: 'key' in last ? last.key : field };
}

/**
 * The RFC structs' names that the codec flattens (RFC 5246 7.4.3 / RFC 8422 5.4 ServerKeyExchange `params`
 * with `curve_params`, `signed_params`; RFC 5246 7.4.7 ClientKeyExchange `exchange_keys`): '' means the same
 * object (the codec keeps the fields one level up), else the codec's field name.
 */
function alias(obj: Record<string, unknown>, key: string): string | undefined {
  if (key === 'params' || key === 'curve_params') return 'curve_type' in obj || 'dh_p' in obj ? '' : undefined;
  if (key === 'signed_params') return 'signature';
  if (key === 'exchange_keys') return ['encrypted_pre_master_secret', 'ecdh_Yc', 'dh_Yc', 'body'].find((k) => k in obj);
  return undefined;
}

function step(cur: unknown, seg: Segment, segs: Segment[], i: number, path: string): unknown {
  if (cur === null || typeof cur !== 'object') throw new ScenarioRuntimeError(`'${path}': nothing at segment ${i + 1}`);
  if ('index' in seg) {
    if (!Array.isArray(cur) || seg.index >= cur.length) throw new ScenarioRuntimeError(`'${path}': index [${seg.index}] out of range`);
    return cur[seg.index];
  }
  const obj = cur as Record<string, unknown>;
  // extensions.<name>: the extension of that type.
  if (Array.isArray(obj) && segs[i - 1] && 'key' in segs[i - 1] && (segs[i - 1] as { key: string }).key === 'extensions') {
    const name = extensionSegment(seg.key, path);
    const e = (obj as { type: string; extension_type?: number }[]).find((x) => extensionName(x) === name);
    if (!e) throw new MissingExtensionError(`'${path}': the message has no ${name} extension (add one with insert_extension)`, name);
    return e;
  }
  const al = seg.key in obj ? undefined : alias(obj, seg.key);
  if (al !== undefined) return al === '' ? obj : obj[al];
  if (!(seg.key in obj)) {
    const hint = closest(seg.key, Object.keys(obj));
    throw new ScenarioRuntimeError(`'${path}': no field '${seg.key}'${hint ? ` (did you mean '${hint}'?)` : ''}; fields here: ${Object.keys(obj).join(', ')}`);
  }
  return obj[seg.key];
}

/** The value at a path, or undefined when the path does not exist in this message. */
export function getField(root: unknown, path: string): unknown {
  try {
    const { parent, last } = walk(root, path);
    // suite-sb: a byte of a bytes field too (`random[31]`, for the RFC 8446 4.1.3 downgrade sentinel).
    if ('index' in last) return Array.isArray(parent) || parent instanceof Uint8Array ? parent[last.index] : undefined;
    if (Array.isArray(parent) && parent.length > 0 && typeof parent[0] === 'object' && parent[0] !== null && 'type' in (parent[0] as object)) {
      const name = extensionSegment(last.key, path);
      return (parent as { type: string }[]).find((x) => extensionName(x) === name);
    }
    return (parent as Record<string, unknown>)[last.key];
  } catch (e) {
    // A name that is no extension at all is a mistake in the scenario, not an absent field.
    if (e instanceof UnknownExtensionNameError) throw e;
    return undefined;
  }
}

/** `extensions.<name>` with a name that is no extension (a typo): `absent` would always hold. */
export class UnknownExtensionNameError extends ScenarioRuntimeError {}

/**
 * The extension a path segment after `extensions` names: an IANA name (`key_share`), a number (`0x0011`, `17`:
 * its name, or `unknown(0x0011)` for an unassigned one), or `unknown(0x0011)` itself.
 */
export function extensionSegment(key: string, path: string): string {
  const r = extensionOfSegment(key);
  if ('problem' in r) throw new UnknownExtensionNameError(`'${path}': ${r.problem}`);
  return r.name;
}

/** Convert a scenario value to the representation of the field it replaces. */
export function convertValue(value: FieldValue, current: unknown, field: string, path: string): unknown {
  if (current === undefined) return guess(value, field, path);
  if (current instanceof Uint8Array) return toBytes(value, path);
  if (Array.isArray(current) || Array.isArray(value)) {
    if (!Array.isArray(value)) throw new ScenarioRuntimeError(`'${path}': expects a list`);
    const sample = Array.isArray(current) && current.length > 0 ? current[0] : typeof value[0] === 'object' ? {} : 0;
    if (sample instanceof Uint8Array) return value.map((v, i) => toBytes(v, `${path}[${i}]`));
    if (typeof sample === 'number' || typeof value[0] !== 'object') return value.map((v, i) => toNumber(v, field, `${path}[${i}]`));
    return value.map((v, i) => convertObject(v, (Array.isArray(current) ? current[i] : undefined) ?? (Array.isArray(current) ? current[0] : {}), `${path}[${i}]`));
  }
  if (typeof current === 'number') return toNumber(value, field, path);
  if (current !== null && typeof current === 'object') return convertObject(value, current, path);
  return value;
}

function convertObject(value: FieldValue, current: unknown, path: string): unknown {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new ScenarioRuntimeError(`'${path}': expects a mapping`);
  const base = (current && typeof current === 'object' ? { ...(current as object) } : {}) as Record<string, unknown>;
  for (const [k, v] of Object.entries(value)) base[k] = convertValue(v as FieldValue, base[k], k, `${path}.${k}`);
  return base;
}

/** A value for a field the message does not have yet: bytes if written as bytes, code points by the field's table. */
function guess(value: FieldValue, field: string, path: string): unknown {
  if (typeof value === 'string' && /^0x([0-9a-f]{2})*$/i.test(value) && !TABLES[field]) return toBytes(value, path);
  if (value && typeof value === 'object' && !Array.isArray(value) && ('hex' in value || 'repeat' in value)) return toBytes(value, path);
  if (typeof value === 'string' && TABLES[field]) return toNumber(value, field, path);
  if (Array.isArray(value)) return value.map((v, i) => guess(v, field, `${path}[${i}]`));
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = guess(v as FieldValue, k, `${path}.${k}`);
    return out;
  }
  return value;
}

export function toNumber(value: FieldValue, field: string, path: string): number {
  if (typeof value === 'number') return value;
  if (typeof value === 'boolean') return value ? 1 : 0;
  if (typeof value === 'string') {
    if (/^0x[0-9a-f]+$/i.test(value)) return Number.parseInt(value, 16);
    if (/^\d+$/.test(value)) return Number(value);
    const table = TABLES[field];
    if (table && Object.prototype.hasOwnProperty.call(table, value)) return table[value];
    const hint = table ? closest(value, Object.keys(table)) : undefined;
    throw new ScenarioRuntimeError(`'${path}': unknown name '${value}'${hint ? ` (did you mean '${hint}'?)` : ''}`);
  }
  throw new ScenarioRuntimeError(`'${path}': expects a number or a name`);
}

export function toBytes(value: FieldValue, path: string): Uint8Array {
  if (typeof value === 'string') {
    if (/^0x([0-9a-f]{2})*$/i.test(value)) return Uint8Array.from(Buffer.from(value.slice(2), 'hex'));
    return new TextEncoder().encode(value);
  }
  if (Array.isArray(value) && value.every((v) => typeof v === 'number')) return Uint8Array.from(value as number[]);
  if (value && typeof value === 'object' && !Array.isArray(value) && typeof value.hex === 'string') {
    const hex = value.hex.replace(/\s+/g, '');
    if (!/^([0-9a-f]{2})*$/i.test(hex)) throw new ScenarioRuntimeError(`'${path}': bad hex`);
    return Uint8Array.from(Buffer.from(hex, 'hex'));
  }
  if (value && typeof value === 'object' && !Array.isArray(value) && typeof value.repeat === 'number') {
    // { repeat: N, byte: B }: N copies of one byte (long fields without long YAML).
    return new Uint8Array(value.repeat).fill(typeof value.byte === 'number' ? value.byte : 0);
  }
  throw new ScenarioRuntimeError(`'${path}': expects bytes (0x..., { hex }, or text)`);
}

/** Apply `set` overrides to a message object (in place). */
export function applySet(msg: object, set: Record<string, FieldValue>): void {
  for (const [path, value] of Object.entries(set)) {
    const { parent, last, field } = walk(msg, path);
    if ('index' in last) {
      if (!Array.isArray(parent) || last.index > parent.length) throw new ScenarioRuntimeError(`'${path}': index out of range`);
      parent[last.index] = convertValue(value, parent[last.index] ?? parent[0], field, path);
      continue;
    }
    if (Array.isArray(parent)) {
      // extensions.<name> = { ...fields }
      const e = (parent as { type: string; extension_type?: number }[]).find((x) => extensionName(x) === last.key);
      if (!e) throw new MissingExtensionError(`'${path}': the message has no ${last.key} extension (add one with insert_extension)`, last.key);
      Object.assign(e, convertObject(value, e, path));
      continue;
    }
    const obj = parent as Record<string, unknown>;
    // suite-sb: `absent` drops an optional field (a ClientHello without its extensions field, RFC 5246 7.4.1.2).
    if (value === 'absent' && OPTIONAL_FIELDS.has(last.key)) {
      delete obj[last.key];
      continue;
    }
    if (!(last.key in obj)) {
      // Optional fields the message does not carry yet (e.g. extensions of a ServerHello without them).
      const hint = closest(last.key, Object.keys(obj));
      if (hint !== last.key && !OPTIONAL_FIELDS.has(last.key)) {
        throw new ScenarioRuntimeError(`'${path}': no field '${last.key}'${hint ? ` (did you mean '${hint}'?)` : ''}; fields here: ${Object.keys(obj).join(', ')}`);
      }
    }
    obj[last.key] = convertValue(value, obj[last.key], last.key, path);
  }
}

const OPTIONAL_FIELDS = new Set(['extensions', 'signature', 'server_name_list']);

/** JSON-safe view of a decoded message: bytes as hex, code points with their names. */
export function describe(value: unknown, field = ''): unknown {
  if (value instanceof Uint8Array) return Buffer.from(value).toString('hex');
  if (Array.isArray(value)) return value.map((v) => describe(v, field));
  if (typeof value === 'number') {
    const t = TABLES[field];
    return t ? `${nameOf(t, value)}` : value;
  }
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = describe(v, k);
    return out;
  }
  return value;
}

/**
 * Does a received message satisfy `where`? Returns undefined when it does, or a one-line reason.
 * `present` / `absent` test existence; other values compare after name resolution.
 */
export function checkWhere(msg: object, where: Record<string, FieldValue>): string | undefined {
  for (const [path, expected] of Object.entries(where)) {
    const actual = getField(msg, path);
    const op = whereOperator(expected);
    if (op) {
      const bad = checkOperator(path, actual, op.name, op.operand);
      if (bad) return bad;
      continue;
    }
    if (expected === 'present') {
      if (actual === undefined) return `${path} is absent`;
      continue;
    }
    if (expected === 'absent') {
      if (actual !== undefined) return `${path} is present`;
      continue;
    }
    if (actual === undefined) return `${path} is absent (expected ${JSON.stringify(expected)})`;
    const field = parsePath(path).filter((s): s is { key: string } => 'key' in s).at(-1)?.key ?? '';
    let want: unknown;
    try {
      want = convertValue(expected, actual, field, path);
    } catch (e) {
      throw e instanceof ScenarioRuntimeError ? e : new ScenarioRuntimeError(String(e));
    }
    if (!deepEqual(actual, want)) return `${path} is ${JSON.stringify(describe(actual, field))}, expected ${JSON.stringify(describe(want, field))}`;
  }
  return undefined;
}

/**
 * `where` operators: a mapping with exactly one of these keys tests the field instead of comparing it.
 * - `{ contains: X | [X, ...] }`: the list holds every X;
 * - `{ excludes: [X, ...] }`: the list holds none of them (a single value: is none of them);
 * - `{ subset_of: [X, ...] }`: every element of the list (a single value: the value) is one of them;
 * - `{ last: [X, ...] }`: every element of the list that is one of them comes after every one that is not
 *   (RFC 8446 4.2.3: SHA-1 schemes "listed after all other algorithms");
 * - `{ unique: true }`: no element twice (an extension list: no extension type twice, RFC 8446 4.2);
 * - `{ length: N | [N, ...] }`: the list or bytes have that many elements (one of those lengths);
 * - `{ not: X }`: the field is not X (RFC 8446 4.1.3: a ServerHello.random not that of the ClientHello).
 * Values take names like `set`'s, by the field's name table; in an extension list, X is an extension name or
 * code and elements compare by extension type. An operand may be a live reference (`"${client_hello.supported_groups}"`).
 */
export const WHERE_OPERATORS = ['contains', 'excludes', 'subset_of', 'last', 'unique', 'length', 'not'] as const;
type WhereOperator = (typeof WHERE_OPERATORS)[number];

function whereOperator(v: FieldValue): { name: WhereOperator; operand: FieldValue } | undefined {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return undefined;
  const keys = Object.keys(v);
  if (keys.length !== 1 || !(WHERE_OPERATORS as readonly string[]).includes(keys[0])) return undefined;
  return { name: keys[0] as WhereOperator, operand: (v as Record<string, FieldValue>)[keys[0]] };
}

function isExtension(x: unknown): x is { type: string; extension_type?: number } {
  return x !== null && typeof x === 'object' && typeof (x as { type?: unknown }).type === 'string';
}

function checkOperator(path: string, actual: unknown, name: WhereOperator, operand: FieldValue): string | undefined {
  // A message without an extensions field has no extensions: nothing there to exclude, repeat or misplace.
  if (actual === undefined && path === 'extensions' && name !== 'contains' && name !== 'length') return undefined;
  if (actual === undefined) return `${path} is absent (expected ${name} ${JSON.stringify(operand)})`;
  const field = parsePath(path).filter((s): s is { key: string } => 'key' in s).at(-1)?.key ?? '';
  if (name === 'length') {
    if (!(Array.isArray(actual) || actual instanceof Uint8Array)) throw new ScenarioRuntimeError(`'${path}': length needs a list or bytes`);
    const want = (Array.isArray(operand) ? operand : [operand]).map((n) => toNumber(n, '', path));
    return want.includes(actual.length) ? undefined : `${path} has ${actual.length} elements, expected ${want.join(' or ')}`;
  }
  if (name === 'not') {
    const other = convertValue(operand, actual, field, path);
    return deepEqual(actual, other) ? `${path} is ${JSON.stringify(describe(actual, field))}, which it must not be` : undefined;
  }
  const isExts = Array.isArray(actual) && actual.length > 0 && actual.every(isExtension);
  // Elements as comparable keys: an extension by its type code, a code point or byte as a number.
  const key = (x: unknown): unknown => (isExtension(x) ? extensionCodeOf(x) : x);
  const show = (x: unknown): string => (isExts ? nameOf(ExtensionType, x as number) : JSON.stringify(describe(x, field)));
  const list = Array.isArray(actual) ? actual.map(key) : actual instanceof Uint8Array ? [...actual] : [key(actual)];
  if (name === 'unique') {
    const dup = list.find((x, i) => list.findIndex((y) => deepEqual(x, y)) !== i);
    return dup === undefined ? undefined : `${path} has ${show(dup)} twice`;
  }
  const operands = (Array.isArray(operand) ? operand : [operand]).map((o) =>
    isExts || field === 'extensions' ? toNumber(o, 'extension_type', path) : isExtension(o) ? extensionCodeOf(o) : convertValue(o, list[0] ?? 0, field, path),
  );
  const has = (xs: unknown[], x: unknown) => xs.some((y) => deepEqual(x, y));
  switch (name) {
    case 'contains': {
      const missing = operands.filter((o) => !has(list, o));
      return missing.length === 0 ? undefined : `${path} does not contain ${missing.map(show).join(', ')}`;
    }
    case 'excludes': {
      const found = list.filter((x) => has(operands, x));
      return found.length === 0 ? undefined : `${path} contains ${found.map(show).join(', ')}`;
    }
    case 'subset_of': {
      const extra = list.filter((x) => !has(operands, x));
      return extra.length === 0 ? undefined : `${path} has ${extra.map(show).join(', ')}, not in [${operands.map(show).join(', ')}]`;
    }
    case 'last': {
      const firstTail = list.findIndex((x) => has(operands, x));
      const after = firstTail < 0 ? -1 : list.findIndex((x, i) => i > firstTail && !has(operands, x));
      return after < 0 ? undefined : `${path} lists ${show(list[after])} after ${show(list[firstTail])}, which must come last`;
    }
  }
}

/** The code point of a decoded extension (an opaque one's extension_type; -1 for a name the registry lacks). */
export function extensionCodeOf(e: { type: string; extension_type?: number }): number {
  if (e.type === 'opaque') return e.extension_type ?? -1;
  const code = (ExtensionType as Record<string, number>)[e.type];
  return code ?? -1;
}

export function deepEqual(a: unknown, b: unknown): boolean {
  if (a instanceof Uint8Array && b instanceof Uint8Array) return Buffer.compare(Buffer.from(a), Buffer.from(b)) === 0;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => deepEqual(x, b[i]));
  if (a && b && typeof a === 'object' && typeof b === 'object') {
    const ka = Object.keys(a as object).filter((k) => (a as Record<string, unknown>)[k] !== undefined);
    const kb = Object.keys(b as object).filter((k) => (b as Record<string, unknown>)[k] !== undefined);
    return ka.length === kb.length && ka.every((k) => deepEqual((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
  }
  return a === b;
}
