/**
 * Test helpers for the engine: scenario cases built in code (steps, a case around them) and scripted targets
 * (a TCP server whose behaviour per connection a test gives). Used by the engine's tests only.
 */
import { createServer, connect, type Server, type Socket } from 'node:net';
import { listenOnLowPort } from '../../implementations/reference/connection/ports.ts';
import type { Expectation, MutateOp, PeerConfig, RecordOptions, RequirementLevel, Role, ScenarioCase, SourceLocation, Step } from '../scenario/model.ts';
import { REFERENCE_CAPABILITIES } from '../targets/reference.ts';
import type { Target, TargetConnection } from '../targets/types.ts';
import { ContentType } from '../../implementations/reference/codec/enums.ts';
import { encodeForWire } from './mutate.ts';
import type { Observation, ServerPeer13 } from './peer13.ts';

export const TEST_LOC: SourceLocation = { file: 'test.yaml', line: 1, col: 1 };

/** The server's flight of a full TLS 1.3 handshake. */
export const SERVER_FLIGHT = ['ServerHello', 'EncryptedExtensions', 'Certificate', 'CertificateVerify', 'Finished'];

export function sendStep(message: string, extra: { set?: Record<string, unknown>; mutate?: MutateOp[]; record?: RecordOptions } = {}, loc = TEST_LOC): Step {
  return { kind: 'send', message, set: (extra.set ?? {}) as Record<string, never>, mutate: extra.mutate ?? [], record: extra.record ?? {}, loc };
}

export function expectStep(e: Expectation, loc = TEST_LOC): Step {
  return { kind: 'expect', expect: e, loc };
}

/** `expect: [A, B, ...]`: these messages in order, none optional. */
export function expectMessages(names: string[], loc = TEST_LOC): Step {
  return expectStep({ kind: 'messages', messages: names.map((n) => ({ names: [n], optional: false, repeat: false, where: {} })) }, loc);
}

export function expectAlert(name: string, lenient = false, loc = TEST_LOC): Step {
  return expectStep({ kind: 'alert', alerts: [name], lenient }, loc);
}

export interface TestCaseOptions {
  id?: string;
  /** The role the target plays (default server). */
  target?: Role;
  config?: PeerConfig;
  level?: RequirementLevel;
  section?: string;
  loc?: SourceLocation;
}

/** A one-case scenario around these steps (TLS 1.3, no matrix). */
export function testCase(steps: Step[], o: TestCaseOptions = {}): ScenarioCase {
  const id = o.id ?? 'test-case';
  const config = o.config ?? {};
  const scenario = {
    id,
    title: id,
    rfc: { doc: 8446, section: o.section ?? '4.1.3', quote: 'q', ...(o.level ? { level: o.level } : {}) },
    target: o.target ?? ('server' as const),
    versions: ['tls13' as const],
    tags: [],
    requires: {},
    matrix: {},
    config,
    steps,
    loc: o.loc ?? TEST_LOC,
  };
  return { id, scenario, params: {}, steps, config, requires: {} };
}

/** A scripted server target: a TCP server on 127.0.0.1 whose behaviour per connection the test gives. */
export async function scriptedServer(onConnection: (s: Socket) => void, name = 'scripted'): Promise<Target & { server: Server; port: number }> {
  const sockets = new Set<Socket>();
  const server = createServer((s) => {
    sockets.add(s);
    s.on('error', () => undefined);
    onConnection(s);
  });
  const port = await listenOnLowPort(server);
  return {
    name,
    server,
    port,
    capabilities: REFERENCE_CAPABILITIES,
    expectedFailures: [],
    async start() {},
    async connect(): Promise<TargetConnection> {
      const sock = connect({ host: '127.0.0.1', port });
      await new Promise((resolve, reject) => {
        sock.once('connect', resolve);
        sock.once('error', reject);
      });
      return { stream: sock, peer: `${name}:${port}` };
    },
    async stop() {
      for (const s of sockets) s.destroy();
      await new Promise((r) => server.close(r));
    },
  };
}

/**
 * A server with an oracle: it answers a ClientHello whose first compression method is 1 with alert
 * illegal_parameter and any other with decode_error, then closes. Both are refusals; a conforming server
 * gives the same one (RFC 8446 4.1.2), so an indistinguishability group over the method tells them apart.
 */
export function compressionOracle(): Promise<Target & { server: Server; port: number }> {
  return scriptedServer((s) => {
    let buf = Buffer.alloc(0);
    s.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      if (buf.length < 5 || buf.length < 5 + buf.readUInt16BE(3)) return;
      // record header 5, handshake header 4, legacy_version 2, random 32, then session id, suites, methods
      let at = 5 + 4 + 2 + 32;
      at += 1 + buf[at];
      at += 2 + buf.readUInt16BE(at);
      s.end(Buffer.from([21, 3, 3, 0, 2, 2, buf[at + 1] === 1 ? 47 : 50]));
    });
  }, 'oracle');
}

/** The names of what a scripted peer observed, the middlebox-compatibility change_cipher_spec (RFC 8446 D.4) left out. */
export const observedNames = (obs: Observation[]) => obs.filter((o) => o.kind !== 'change_cipher_spec').map((o) => (o.kind === 'handshake' ? o.name : o.kind));

/** A scripted server's messages, each built from its live state and committed: the records to send. */
export function serverSends(peer: ServerPeer13, msgs: string[]): Uint8Array {
  for (const m of msgs) {
    const msg = peer.build(m);
    const { wire } = encodeForWire(msg, []);
    peer.rl.send(ContentType.handshake, wire);
    peer.commit(msg, wire);
  }
  return peer.rl.takeOutput();
}
