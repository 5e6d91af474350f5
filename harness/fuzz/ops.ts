/**
 * Issue 15, first building block: fuzz mutations of one handshake message expressed in the scenario language
 * (`MutateOp`, harness/scenario/model.ts), so that a finding is already a replayable scenario step and fast-check
 * shrinks it as a list of ops. The arbitraries are built from the message's own encoding: the span map of
 * `encodeHandshakeWithSpans` names every field and every length-prefixed region, so each length field, each
 * vector and each extension of each message gets mutated, the way the best suites mutate every length field.
 */
import fc from 'fast-check';
import { ExtensionType, nameOf } from '../../implementations/reference/codec/enums.ts';
import { encodeHandshakeWithSpans, type HandshakeMessage } from '../../implementations/reference/codec/handshake.ts';
import type { MutateOp } from '../scenario/model.ts';

/** What the message offers to mutate: its named regions and its extensions. */
export interface MessageShape {
  /** Field paths with their [start, end) span in the encoded message (the 4-byte header counts). */
  fields: { path: string; start: number; end: number }[];
  /** Paths of the length-prefixed regions (the ones `length` and `append` accept). */
  regions: string[];
  /** The extension types the message carries, by name (`unknown(0x....)` for others). */
  extensions: string[];
  /** The encoded length of the unmutated message. */
  length: number;
  /** The message has an extension list (insert_extension applies). */
  hasExtensions: boolean;
  /** The message goes out under record protection (a flipped byte of the record is then a bad MAC, not a changed message). */
  encrypted?: boolean;
  /** Lists of code points in the message, by `set` path (`cipher_suites`, `extensions.supported_groups.named_group_list`). */
  lists: { path: string; values: number[] }[];
}

const isCodeList = (v: unknown): v is number[] => Array.isArray(v) && v.length > 0 && v.every((x) => typeof x === 'number');

/** The message's lists of code points, as `set` paths: its own fields and one level inside each extension. */
function listsOf(msg: HandshakeMessage): { path: string; values: number[] }[] {
  const out: { path: string; values: number[] }[] = [];
  for (const [k, v] of Object.entries(msg)) {
    if (k === 'extensions' && Array.isArray(v)) {
      for (const ext of v as { type?: unknown }[]) {
        if (!ext || typeof ext.type !== 'string' || ext.type === 'opaque') continue;
        for (const [f, x] of Object.entries(ext)) if (isCodeList(x)) out.push({ path: `extensions.${ext.type}.${f}`, values: x });
      }
    } else if (isCodeList(v)) out.push({ path: k, values: v });
  }
  return out;
}

/** The shape of a message: its fields and regions as the encoder sees them. */
export function shapeOf(msg: HandshakeMessage): MessageShape {
  const { bytes, spans } = encodeHandshakeWithSpans(msg);
  const fields = [...spans.entries()].map(([path, [start, end]]) => ({ path, start, end }));
  // A region is a field whose encoding the `length` override reaches: probe each once (cheap: a few dozen).
  const regions = fields
    .map((f) => f.path)
    .filter((path) => encodeHandshakeWithSpans(msg, { lengths: { [path]: 0 } }).unusedOverrides.length === 0);
  const exts = (msg as { extensions?: { type: string; extension_type?: number }[] }).extensions ?? [];
  const extensions = exts.map((e) => (e.type === 'opaque' ? nameOf(ExtensionType, e.extension_type ?? 0) : e.type));
  return { fields, regions, extensions, length: bytes.length, hasExtensions: Array.isArray((msg as { extensions?: unknown }).extensions), lists: listsOf(msg) };
}

const hex = (n: number) => fc.uint8Array({ minLength: n, maxLength: n }).map((b) => Buffer.from(b).toString('hex'));

/** Values at and around the edges of a length field: 0, 1, the real length +-1, the maximum of its width. */
function lengthValues(real: number, width: number): fc.Arbitrary<number> {
  const max = 2 ** (8 * width) - 1;
  return fc.constantFrom(...new Set([0, 1, Math.max(0, real - 1), real + 1, max, Math.floor(max / 2)].filter((v) => v >= 0 && v <= max)));
}

/**
 * One mutation of the message, weighted towards what breaks parsers: a length field, a truncation at a field
 * boundary, a flipped byte inside a field, bytes appended inside a region or after the message, an extension
 * dropped, repeated or inserted (an unassigned code point, or a known one where it does not belong).
 */
export function mutateOpArbitrary(shape: MessageShape): fc.Arbitrary<MutateOp> {
  const arbs: { arbitrary: fc.Arbitrary<MutateOp>; weight: number }[] = [];
  if (shape.regions.length > 0) {
    const region = fc.constantFrom(...shape.regions);
    arbs.push({
      weight: 4,
      arbitrary: region.chain((field) => {
        const f = shape.fields.find((x) => x.path === field)!;
        // The prefix is 1, 2 or 3 bytes; the body length the encoder wrote is what follows it.
        const width = field.includes('.') ? (f.end - f.start > 0xffff ? 3 : f.end - f.start > 0xff ? 2 : 1) : 3;
        return lengthValues(Math.max(0, f.end - f.start - width), width).map((value): MutateOp => ({ op: 'length', field, value }));
      }),
    });
    arbs.push({ weight: 2, arbitrary: fc.tuple(region, fc.integer({ min: 1, max: 4 })).chain(([field, n]) => hex(n).map((h): MutateOp => ({ op: 'append', field, hex: h }))) });
  }
  if (shape.fields.length > 0) {
    const field = fc.constantFrom(...shape.fields.filter((f) => f.end > f.start));
    arbs.push({ weight: 2, arbitrary: field.map((f): MutateOp => ({ op: 'truncate', pos: { field: f.path } })) });
    arbs.push({
      weight: 3,
      arbitrary: field.chain((f) =>
        fc.tuple(fc.integer({ min: 0, max: f.end - f.start - 1 }), fc.integer({ min: 1, max: 255 })).map(([at, value]): MutateOp => ({ op: 'xor', pos: { field: f.path, at }, value })),
      ),
    });
  }
  arbs.push({ weight: 1, arbitrary: fc.integer({ min: 1, max: 8 }).chain((n) => hex(n).map((h): MutateOp => ({ op: 'extend', hex: h }))) });
  // Invalid and out-of-place enum values in the one- and two-byte code points: list items, groups, versions,
  // extension types, name types (0, the maximum, GREASE, a TLS 1.3 suite or version where it does not belong).
  const enums = shape.fields.filter((f) => f.end - f.start <= 2 && f.end > f.start && /(\]|\.(group|extension_type|legacy_version|cipher_suite|selected_version|name_type|selected_group|legacy_compression_method|msg_type))$/.test(f.path));
  if (enums.length > 0)
    arbs.push({
      weight: 2,
      arbitrary: fc.constantFrom(...enums).chain((f) =>
        (f.end - f.start === 1 ? fc.constantFrom('00', '01', '02', 'ff', '40') : fc.constantFrom('0000', 'ffff', '0a0a', '1301', '0303', '0304', '7f1c', 'fe0d', '00ff')).map((h): MutateOp => ({ op: 'set_bytes', pos: { field: f.path }, hex: h })),
      ),
    });
  if (shape.extensions.length > 0) {
    const ext = fc.constantFrom(...shape.extensions);
    arbs.push({ weight: 2, arbitrary: ext.map((type): MutateOp => ({ op: 'remove_extension', type })) });
    arbs.push({ weight: 2, arbitrary: ext.map((type): MutateOp => ({ op: 'duplicate_extension', type })) });
  }
  const distinct = [...new Set(shape.extensions)];
  if (distinct.length >= 2)
    arbs.push({ weight: 1, arbitrary: fc.shuffledSubarray(distinct, { minLength: distinct.length, maxLength: distinct.length }).map((order): MutateOp => ({ op: 'reorder_extensions', order })) });
  const known = Object.keys(ExtensionType);
  if (shape.hasExtensions) arbs.push({
    weight: 2,
    arbitrary: fc
      .tuple(fc.oneof(fc.constantFrom(...known), fc.integer({ min: 0, max: 0xffff })), fc.integer({ min: 0, max: 6 }))
      .chain(([type, n]) => hex(n).map((h): MutateOp => ({ op: 'insert_extension', type, hex: h }))),
  });
  return fc.oneof(...arbs);
}

/** A short list of mutations of one message (fast-check shrinks it towards fewer, simpler ops). */
export function mutateOpsArbitrary(shape: MessageShape, maxOps = 3): fc.Arbitrary<MutateOp[]> {
  return fc.array(mutateOpArbitrary(shape), { minLength: 1, maxLength: maxOps });
}

/** A list of code points changed as a whole (`set`): an item dropped, repeated or replaced, the order reversed, emptied. */
export function listSetArbitrary(shape: MessageShape): fc.Arbitrary<{ path: string; value: number[] }> | undefined {
  if (shape.lists.length === 0) return undefined;
  return fc.constantFrom(...shape.lists).chain(({ path, values }) =>
    fc
      .oneof(
        fc.integer({ min: 0, max: values.length - 1 }).map((k) => values.filter((_, j) => j !== k)),
        fc.integer({ min: 0, max: values.length - 1 }).map((k) => [...values.slice(0, k + 1), values[k], ...values.slice(k + 1)]),
        fc.tuple(fc.integer({ min: 0, max: values.length - 1 }), fc.constantFrom(0, 0xffff, 0x0a0a, 0x1301, 0x0303, 0x00ff)).map(([k, x]) => values.map((v, j) => (j === k ? x : v))),
        fc.constant([...values].reverse()),
        fc.constant([] as number[]),
      )
      .map((value) => ({ path, value })),
  );
}
