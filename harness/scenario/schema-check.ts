/**
 * A tiny JSON Schema checker for the subset scenario.schema.json uses (type, enum, pattern, minLength,
 * minimum, maximum, minItems, required, properties, additionalProperties, propertyNames, items, anyOf, not,
 * local $ref). For tests: it checks that examples and the loader's accepted forms fit the schema. It throws
 * on any keyword it does not know, so the schema cannot silently outgrow it.
 */
type Schema = Record<string, unknown> | boolean;

const KNOWN = new Set([
  '$schema', '$id', '$ref', '$defs', 'title', 'description',
  'type', 'enum', 'pattern', 'minLength', 'minimum', 'maximum', 'minItems',
  'required', 'properties', 'additionalProperties', 'propertyNames', 'items', 'anyOf', 'not',
]);

function typeOf(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  return typeof v;
}

/** Errors (JSON-pointer path: message); empty when `value` fits. */
export function checkSchema(root: Record<string, unknown>, value: unknown): string[] {
  const errors: string[] = [];
  const resolve = (r: string): Schema => {
    const m = /^#\/\$defs\/(.+)$/.exec(r);
    const s = m ? (root.$defs as Record<string, Schema>)[m[1]] : undefined;
    if (s === undefined) throw new Error(`schema-check: unresolvable $ref ${r}`);
    return s;
  };
  const check = (s: Schema, v: unknown, path: string, out: string[]): void => {
    if (s === true) return;
    if (s === false) {
      out.push(`${path}: not allowed`);
      return;
    }
    for (const k of Object.keys(s)) if (!KNOWN.has(k)) throw new Error(`schema-check: unsupported keyword '${k}'`);
    if (typeof s.$ref === 'string') check(resolve(s.$ref), v, path, out);
    const t = typeOf(v);
    if (s.type !== undefined) {
      const types = Array.isArray(s.type) ? (s.type as string[]) : [s.type as string];
      if (!types.some((x) => x === t || (x === 'number' && t === 'integer'))) {
        out.push(`${path}: expected ${types.join(' or ')}, got ${t}`);
        return;
      }
    }
    if (Array.isArray(s.enum) && !s.enum.includes(v)) out.push(`${path}: ${JSON.stringify(v)} is not one of the enum`);
    if (typeof v === 'string') {
      if (typeof s.pattern === 'string' && !new RegExp(s.pattern, 'u').test(v)) out.push(`${path}: '${v}' does not match ${s.pattern}`);
      if (typeof s.minLength === 'number' && v.length < s.minLength) out.push(`${path}: shorter than ${s.minLength}`);
    }
    if (typeof v === 'number') {
      if (typeof s.minimum === 'number' && v < s.minimum) out.push(`${path}: ${v} < ${s.minimum}`);
      if (typeof s.maximum === 'number' && v > s.maximum) out.push(`${path}: ${v} > ${s.maximum}`);
    }
    if (Array.isArray(v)) {
      if (typeof s.minItems === 'number' && v.length < s.minItems) out.push(`${path}: fewer than ${s.minItems} items`);
      if (s.items !== undefined) v.forEach((x, i) => check(s.items as Schema, x, `${path}/${i}`, out));
    }
    if (t === 'object') {
      const o = v as Record<string, unknown>;
      for (const r of (s.required as string[] | undefined) ?? []) if (!(r in o)) out.push(`${path}: missing '${r}'`);
      const props = (s.properties as Record<string, Schema> | undefined) ?? {};
      for (const [k, x] of Object.entries(o)) {
        if (s.propertyNames !== undefined) check(s.propertyNames as Schema, k, `${path}/${k} (name)`, out);
        if (k in props) check(props[k], x, `${path}/${k}`, out);
        else if (s.additionalProperties !== undefined) {
          if (s.additionalProperties === false) out.push(`${path}: unknown key '${k}'`);
          else check(s.additionalProperties as Schema, x, `${path}/${k}`, out);
        }
      }
    }
    if (Array.isArray(s.anyOf)) {
      const branches = (s.anyOf as Schema[]).map((b) => {
        const e: string[] = [];
        check(b, v, path, e);
        return e;
      });
      if (!branches.some((e) => e.length === 0)) {
        const best = branches.reduce((a, b) => (b.length < a.length ? b : a));
        out.push(`${path}: matches no alternative (closest: ${best[0]})`);
      }
    }
    if (s.not !== undefined) {
      const e: string[] = [];
      check(s.not as Schema, v, path, e);
      if (e.length === 0) out.push(`${path}: matches a forbidden form`);
    }
  };
  check(root, value, '', errors);
  return errors;
}
