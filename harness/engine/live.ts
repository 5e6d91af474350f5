/**
 * Live-state references (`${negotiated.group}`, `${client_hello.extensions.key_share.client_shares[0].group}`)
 * resolved when a step runs, from the messages seen so far in the connection (harness/scenario/live.ts
 * documents the syntax; the loader checked the roots). A scenario uses them where the RFC leaves a choice
 * to the target: which group a server selects, the order of a client's key shares, which suite it prefers.
 */
import type { HandshakeMessage } from '../../implementations/reference/codec/handshake.ts';
import { findExt } from '../../implementations/reference/connection/tls13.ts';
import type { FieldValue, MutateOp } from '../scenario/model.ts';
import { isLiveRef, splitLiveRef, type NegotiatedKey } from '../scenario/live.ts';
import { templateRefs } from '../scenario/text.ts';
import { ScenarioRuntimeError, UnknownExtensionNameError, describe, getField } from './fields.ts';
import { messageName } from './peer13.ts';

/** The handshake messages of one connection, the latest of each type, and who sent it. */
export class LiveState {
  private readonly messages = new Map<string, { msg: HandshakeMessage; from: 'target' | 'harness' }>();

  /** @param targetRole the role the target plays (it sends the server's messages when it is the server). */
  constructor(readonly targetRole: 'server' | 'client') {}

  /** A message was sent (by the harness) or consumed (from the target). */
  see(msg: HandshakeMessage, from: 'target' | 'harness'): void {
    this.messages.set(msg.msg_type, { msg, from });
  }

  message(root: string): HandshakeMessage | undefined {
    return this.messages.get(root)?.msg;
  }

  /** What the server chose, from its ServerHello (else its HelloRetryRequest) and CertificateVerify. */
  negotiated(key: NegotiatedKey): number | undefined {
    const sh = this.message('server_hello');
    const hrr = this.message('hello_retry_request');
    const hello = sh?.msg_type === 'server_hello' ? sh : hrr?.msg_type === 'hello_retry_request' ? hrr : undefined;
    switch (key) {
      case 'group': {
        if (sh?.msg_type === 'server_hello') {
          const g = findExt(sh.extensions, 'key_share')?.server_share?.group;
          if (g !== undefined) return g;
        }
        return hrr?.msg_type === 'hello_retry_request' ? findExt(hrr.extensions, 'key_share')?.selected_group : undefined;
      }
      case 'cipher_suite':
        return hello?.cipher_suite;
      case 'version':
        return hello ? findExt(hello.extensions, 'supported_versions')?.selected_version : undefined;
      case 'signature_scheme': {
        // The server's CertificateVerify: from the target when it is the server, else from the harness.
        const cv = this.messages.get('certificate_verify');
        const serverSent = cv && (cv.from === 'target') === (this.targetRole === 'server');
        return serverSent && cv.msg.msg_type === 'certificate_verify' ? cv.msg.algorithm : undefined;
      }
    }
  }

  /** The value of one reference (`negotiated.group`, `client_hello.random`, ...); throws when the state lacks it. */
  lookup(name: string): unknown {
    const { root, path } = splitLiveRef(name);
    if (root === 'negotiated') {
      const v = this.negotiated(path as NegotiatedKey);
      if (v === undefined) throw new ScenarioRuntimeError(`\${${name}}: nothing negotiated yet in this connection (no ServerHello${path === 'signature_scheme' ? ' CertificateVerify' : ' or HelloRetryRequest'} seen)`);
      return v;
    }
    const msg = this.message(root);
    if (!msg) throw new ScenarioRuntimeError(`\${${name}}: no ${structName(root)} seen yet in this connection`);
    const v = fieldOf(msg, path);
    if (v === undefined) throw new ScenarioRuntimeError(`\${${name}}: the ${structName(root)} has no '${path}'`);
    return v;
  }

  /** A set/where value with its live references replaced (a value that is exactly one reference keeps its type). */
  resolve(value: FieldValue): FieldValue {
    if (typeof value === 'string') {
      const names = templateRefs(value).filter(isLiveRef);
      if (names.length === 0) return value;
      const whole = /^\$\{([^}]*)\}$/.exec(value)?.[1];
      if (whole !== undefined && isLiveRef(whole)) return toFieldValue(this.lookup(whole));
      return value.replace(/\$\{([^}]*)\}/g, (m, n: string) => (isLiveRef(n) ? String(describe(this.lookup(n), lastField(n))) : m));
    }
    if (Array.isArray(value)) return value.map((v) => this.resolve(v));
    if (value !== null && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, this.resolve(v)]));
    return value;
  }

  resolveMap(m: Record<string, FieldValue>): Record<string, FieldValue> {
    return Object.fromEntries(Object.entries(m).map(([k, v]) => [k, this.resolve(v)]));
  }

  resolveMutations(ops: MutateOp[]): MutateOp[] {
    return ops.map((op) => (op.op === 'insert_extension' && op.value !== undefined ? { ...op, value: this.resolve(op.value) } : op));
  }
}

/** The field name a reference ends in, for naming its code points (`negotiated.version` -> selected_version). */
function lastField(name: string): string {
  const { root, path } = splitLiveRef(name);
  if (root === 'negotiated') return ({ group: 'group', cipher_suite: 'cipher_suite', version: 'selected_version', signature_scheme: 'algorithm' } as Record<string, string>)[path] ?? path;
  return /([A-Za-z_]+)(?:\[\d+\])*$/.exec(path)?.[1] ?? '';
}

function structName(root: string): string {
  try {
    return messageName({ msg_type: root } as HandshakeMessage);
  } catch {
    return root;
  }
}

/**
 * A field of a message by engine field path (fields.ts), or by the short form `<extension>.<...>` /
 * `<extension>[i]...` for `extensions.<extension>.<its one list>[i]...` (`key_share[0].group`).
 */
export function fieldOf(msg: HandshakeMessage, path: string): unknown {
  const direct = getField(msg, path);
  if (direct !== undefined) return direct;
  const m = /^([^.[]+)((?:\[\d+\])*)(?:\.(.*))?$/.exec(path);
  if (!m) return undefined;
  const [, ext, index, rest] = m;
  // The short form only: a first segment that names no extension is a path the message does not have.
  let e: unknown;
  try {
    e = getField(msg, `extensions.${ext}`);
  } catch (err) {
    if (err instanceof UnknownExtensionNameError) return undefined;
    throw err;
  }
  if (e === undefined || e === null || typeof e !== 'object') return undefined;
  let base = `extensions.${ext}`;
  if (index) {
    const lists = Object.entries(e as object).filter(([, v]) => Array.isArray(v));
    if (lists.length !== 1) return undefined;
    base += `.${lists[0][0]}${index}`;
  }
  return getField(msg, rest ? `${base}.${rest}` : base);
}

/** A decoded value as a scenario value: bytes as 0x hex, the rest as it is. */
function toFieldValue(v: unknown): FieldValue {
  if (v instanceof Uint8Array) return `0x${Buffer.from(v).toString('hex')}`;
  if (Array.isArray(v)) return v.map(toFieldValue);
  if (v !== null && typeof v === 'object') return Object.fromEntries(Object.entries(v).filter(([, x]) => x !== undefined).map(([k, x]) => [k, toFieldValue(x)]));
  if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean' || v === null) return v;
  return String(v);
}
