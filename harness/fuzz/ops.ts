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
  return { fields, regions, extensions, length: bytes.length, hasExtensions: Array.isArray((msg as { extensions?: unknown }).extensions) };
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
  if (shape.extensions.length > 0) {
    const ext = fc.constantFrom(...shape.extensions);
    arbs.push({ weight: 2, arbitrary: ext.map((type): MutateOp => ({ op: 'remove_extension', type })) });
    arbs.push({ weight: 2, arbitrary: ext.map((type): MutateOp => ({ op: 'duplicate_extension', type })) });
  }
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
