/**
 * A static check of the field paths in `set`: each send step's message is built once, the way the engine
 * builds it for a case, and the paths are applied to it. A path naming a field the message does not have
 * (a typo) is a user mistake reported before anything runs, with the step's file:line:col and the closest
 * field name; paths into extensions or list items that only the live handshake state decides are left to
 * the run. The same goes for the `length` and `append` mutations: a field path that names no length-prefixed
 * region of the message would change nothing, so the case would judge the answer to a fault it never sent.
 */
import type { Diagnostic } from '../scenario/loader.ts';
import type { ScenarioCase } from '../scenario/model.ts';
import { ScenarioRuntimeError, applySet } from './fields.ts';
import { encodeForWire } from './mutate.ts';
import type { HandshakeMessage } from '../../implementations/reference/codec/handshake.ts';
import { ClientPeer13, ServerPeer13 } from './peer13.ts';
import { ClientPeer12, ServerPeer12 } from './peer12.ts';
import { caseVersion, peerConfig } from './run-case.ts';
import { suiteParams } from '../../implementations/reference/crypto/suites.ts';

export function checkFieldPaths(cases: readonly ScenarioCase[]): Diagnostic[] {
  const out: Diagnostic[] = [];
  const seen = new Set<string>();
  for (const c of cases) {
    const role = c.scenario.target === 'server' ? 'client' : 'server';
    let build: ((name: string) => object) | undefined;
    for (const step of c.steps) {
      if (step.kind !== 'send') continue;
      const key = `${step.loc.file}:${step.loc.line}:${step.loc.col}`;
      if (seen.has(key)) continue;
      // Only paths without a list index: which extension sits at [3] may depend on the live handshake.
      const regionOps = step.mutate.filter((op) => (op.op === 'length' || (op.op === 'append' && op.field !== undefined)) && !op.field!.includes('['));
      if (regionOps.length > 0) {
        try {
          build ??= dryBuilder(c, role);
          const msg = build(step.message) as HandshakeMessage;
          if (Object.keys(step.set).length > 0) applySet(msg, step.set);
          encodeForWire(msg, regionOps);
        } catch (e) {
          if (e instanceof ScenarioRuntimeError && /no length-prefixed field '/.test(e.message)) {
            seen.add(key);
            out.push({ ...step.loc, message: `send ${step.message}: mutate ${e.message}`, severity: 'error' });
            continue;
          }
        }
      }
      if (Object.keys(step.set).length === 0) continue;
      try {
        build ??= dryBuilder(c, role);
        applySet(build(step.message), step.set);
      } catch (e) {
        if (!(e instanceof ScenarioRuntimeError)) continue;
        // Only names that do not exist are certain mistakes; the rest depends on the live state.
        if (!/: no field '/.test(e.message)) continue;
        seen.add(key);
        out.push({ ...step.loc, message: `send ${step.message}: set ${e.message}`, severity: 'error' });
      }
    }
  }
  return out;
}

function dryBuilder(c: ScenarioCase, role: 'client' | 'server'): (name: string) => object {
  const v = caseVersion(c);
  if (v === 'tls12') {
    const client = new ClientPeer12(peerConfig(role === 'client' ? c.config : {}, 'client', undefined, v));
    // suite-sb: a ClientKeyExchange takes the form of the key exchange (ecdh_Yc, dh_Yc, ...): dry-build it for
    // the config's first suite, the one the scenario names when it sets such a field.
    if (role === 'client') client.suite = suiteParams(client.config.cipherSuites[0]);
    if (role === 'client') return (name) => client.build(name);
    const server = new ServerPeer12(peerConfig(c.config, 'server', undefined, v));
    server.clientHello = client.build('ClientHello') as ServerPeer12['clientHello'];
    return (name) => server.build(name);
  }
  const client = new ClientPeer13(peerConfig(role === 'client' ? c.config : {}, 'client'));
  if (role === 'client') return (name) => client.build(name);
  const server = new ServerPeer13(peerConfig(c.config, 'server'));
  server.clientHello = client.build('ClientHello') as ServerPeer13['clientHello'];
  return (name) => server.build(name);
}
