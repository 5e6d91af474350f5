/**
 * psk2: the scripted TLS 1.3 server resumes its own ticket (config.accept_psk), issues tickets that allow early
 * data (config.max_early_data) and accepts the client's 0-RTT data (config.accept_early_data: read under the
 * client_early_traffic_secret until EndOfEarlyData, RFC 8446 4.2.10, 4.5) or skips it (RFC 8446 4.2.10).
 */
import { describe, expect, it } from 'vitest';
import { ContentType } from '../../implementations/reference/codec/enums.ts';
import { FIXED_NOW, testClientConfig } from '../../implementations/reference/connection/testing.ts';
import { TlsClient } from '../../implementations/reference/connection/client.ts';
import { MemorySessionStore, makeConfig } from '../../implementations/reference/connection/config.ts';
import { encodeForWire } from './mutate.ts';
import { ServerPeer13, type Observation } from './peer13.ts';
import { peerConfig } from './run-case.ts';
import { SERVER_FLIGHT as FULL, observedNames, serverSends } from './testing.ts';
import type { PeerConfig } from '../scenario/model.ts';

const names = observedNames;
const violations = (obs: Observation[]) => obs.filter((o) => o.kind === 'handshake' && (o.violation || o.decodeError));


/**
 * A first connection (a full handshake and a ticket) between a harness server with this config and a reference
 * client that resumes (and sends `early` as 0-RTT data when allowed); returns the second connection's peer and
 * client, started: the client's ClientHello offers the ticket.
 */
function setup(c: PeerConfig, early?: string) {
  const config = makeConfig({ ...peerConfig({ cipher_suites: ['TLS_AES_128_GCM_SHA256'], groups: ['x25519'], ...c }, 'server'), now: () => FIXED_NOW });
  const store = new MemorySessionStore();
  const client = () => new TlsClient(testClientConfig({ sessionStore: store, resume: true, ...(early ? { earlyData: new TextEncoder().encode(early) } : {}) }));
  // First connection: a full handshake and a ticket.
  const peer = new ServerPeer13(config);
  const cl = client();
  cl.start();
  expect(names(peer.ingest(cl.takeOutput()))).toEqual(['ClientHello']);
  cl.receive(serverSends(peer, FULL));
  expect(violations(peer.ingest(cl.takeOutput()))).toEqual([]);
  cl.receive(serverSends(peer, ['NewSessionTicket']));
  // The second connection, offering the ticket: the harness's peer and the client, started.
  const second = { peer: new ServerPeer13(config), cl: client() };
  second.cl.start();
  return second;
}

describe('ServerPeer13 resumption and 0-RTT (psk2)', () => {
  it('issues a ticket with early_data when config.max_early_data is set, none otherwise', () => {
    for (const max of [1000, 0]) {
      const config = makeConfig({ ...peerConfig({ cipher_suites: ['TLS_AES_128_GCM_SHA256'], groups: ['x25519'], max_early_data: max }, 'server'), now: () => FIXED_NOW });
      const peer = new ServerPeer13(config);
      const cl = new TlsClient(testClientConfig());
      cl.start();
      peer.ingest(cl.takeOutput());
      cl.receive(serverSends(peer, FULL));
      peer.ingest(cl.takeOutput());
      const nst = peer.build('NewSessionTicket');
      expect(nst.msg_type === 'new_session_ticket' && nst.form === 'tls13' && nst.extensions).toEqual(max ? [{ type: 'early_data', max_early_data_size: max }] : []);
    }
  });

  it('accepts 0-RTT data: reads it under the early keys, answers early_data, then reads EndOfEarlyData and Finished', () => {
    const { peer, cl } = setup({ max_early_data: 16384, accept_psk: true, accept_early_data: true }, '0-RTT ping');
    const first = peer.ingest(cl.takeOutput());
    expect(names(first)).toEqual(['ClientHello', 'application_data']);
    const data = first.find((o) => o.kind === 'application_data');
    expect(data?.kind === 'application_data' && new TextDecoder().decode(data.data)).toBe('0-RTT ping');
    const flight = serverSends(peer, ['ServerHello', 'EncryptedExtensions', 'Finished']);
    cl.receive(flight);
    const last = peer.ingest(cl.takeOutput());
    expect(names(last)).toEqual(['EndOfEarlyData', 'Finished']);
    expect(violations(last)).toEqual([]);
    expect(peer.handshakeComplete).toBe(true);
  });

  it('skips 0-RTT data it does not accept, and resumes with the client Finished under the handshake keys', () => {
    const { peer, cl } = setup({ max_early_data: 16384, accept_psk: true }, '0-RTT ping');
    expect(names(peer.ingest(cl.takeOutput()))).toEqual(['ClientHello']);
    cl.receive(serverSends(peer, ['ServerHello', 'EncryptedExtensions', 'Finished']));
    const last = peer.ingest(cl.takeOutput());
    expect(names(last)).toEqual(['Finished']);
    expect(violations(last)).toEqual([]);
  });

  it('runs a full handshake without accept_psk, skipping the 0-RTT data', () => {
    const { peer, cl } = setup({ max_early_data: 16384 }, '0-RTT ping');
    expect(names(peer.ingest(cl.takeOutput()))).toEqual(['ClientHello']);
    cl.receive(serverSends(peer, FULL));
    const last = peer.ingest(cl.takeOutput());
    expect(names(last)).toEqual(['Finished']);
    expect(violations(last)).toEqual([]);
  });

  it('reports a binder of its ticket that does not verify (RFC 8446 4.2.11.2)', () => {
    const { peer, cl } = setup({ accept_psk: true });
    const bytes = cl.takeOutput();
    // The ClientHello's last bytes are its binder (pre_shared_key is last).
    bytes[bytes.length - 1] ^= 0x01;
    const obs = peer.ingest(bytes);
    const ch = obs[0];
    expect(ch.kind === 'handshake' && ch.violation?.alert).toBe('decrypt_error');
  });

  it('flags an EndOfEarlyData when it did not accept early data (RFC 8446 4.5)', () => {
    const { peer, cl } = setup({ accept_psk: true });
    peer.ingest(cl.takeOutput());
    serverSends(peer, ['ServerHello']);
    // EndOfEarlyData (type 5, empty body) under the client's handshake keys, as a client would wrongly send it.
    const v = (peer as unknown as { afterReceive(m: unknown, raw: Uint8Array): { alert: string } | undefined }).afterReceive({ msg_type: 'end_of_early_data' }, Uint8Array.of(5, 0, 0, 0));
    expect(v?.alert).toBe('unexpected_message');
  });

  it('reads under the early keys after an EncryptedExtensions with early_data it did not accept (the 0-RTT records skipped before keep the sequence)', () => {
    const { peer, cl } = setup({ max_early_data: 16384 }, '0-RTT ping');
    expect(names(peer.ingest(cl.takeOutput()))).toEqual(['ClientHello']);
    // A full handshake whose EncryptedExtensions says early_data (as a scenario's insert_extension would).
    const sh = serverSends(peer, ['ServerHello']);
    const ee = peer.build('EncryptedExtensions');
    if (ee.msg_type === 'encrypted_extensions') ee.extensions.push({ type: 'early_data' });
    const { wire } = encodeForWire(ee, []);
    peer.rl.send(ContentType.handshake, wire);
    peer.commit(ee, wire);
    cl.receive(sh);
    cl.receive(peer.rl.takeOutput());
    // The reference client aborts (RFC 8446 4.2.11: early_data without selected_identity 0) under its early keys.
    const obs = peer.ingest(cl.takeOutput());
    expect(obs.find((o) => o.kind === 'alert')).toMatchObject({ kind: 'alert', name: 'illegal_parameter', epoch: 'early' });
  });

  it('reports an alert the client sends under its early keys before the harness has keys (a TLS 1.2 ServerHello, RFC 8446 D.3)', () => {
    const { peer, cl } = setup({ max_early_data: 16384 }, '0-RTT ping');
    expect(names(peer.ingest(cl.takeOutput()))).toEqual(['ClientHello']);
    const sh = peer.build('ServerHello');
    if (sh.msg_type !== 'server_hello') throw new Error('not a ServerHello');
    sh.cipher_suite = 0xc02b; // TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256
    sh.extensions = [];
    const { wire } = encodeForWire(sh, []);
    peer.rl.send(ContentType.handshake, wire);
    peer.commit(sh, wire);
    cl.receive(peer.rl.takeOutput());
    expect(peer.ingest(cl.takeOutput()).find((o) => o.kind === 'alert')).toMatchObject({ kind: 'alert', name: 'protocol_version', epoch: 'early' });
  });
});
