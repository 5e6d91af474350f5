/**
 * The scripted TLS 1.2 peer (peer12.ts) against the reference TLS 1.2 client and server, in memory: full
 * handshakes for each key exchange and record protection, resumption by session ID and ticket, renegotiation
 * signalling, the RFC 5246 7.4.7.1 pre-master secret control, and the checks it makes of what the target sends
 * (order, ChangeCipherSpec placement, Finished).
 */
import { describe, expect, it } from 'vitest';
import { AlertDescription, ContentType } from '../../implementations/reference/codec/enums.ts';
import type { HandshakeMessage } from '../../implementations/reference/codec/handshake.ts';
import { TlsServer } from '../../implementations/reference/connection/server.ts';
import { TlsClient } from '../../implementations/reference/connection/client.ts';
import { FIXED_NOW, TEST_PKI, seededRandom, testClientConfig, testServerConfig } from '../../implementations/reference/connection/testing.ts';
import { makeConfig, type EndpointConfig } from '../../implementations/reference/connection/config.ts';
import { findExt } from '../../implementations/reference/connection/tls13.ts';
import type { PremasterSpec } from '../scenario/model.ts';
import { encodeForWire } from './mutate.ts';
import { ClientPeer12, ServerPeer12 } from './peer12.ts';
import type { Observation, ScriptedPeer } from './peer.ts';
import { peerConfig } from './run-case.ts';

const names = (obs: Observation[]) => obs.map((o) => (o.kind === 'handshake' ? o.name : o.kind === 'alert' ? `alert:${o.name}` : o.kind));
const violations = (obs: Observation[]) => obs.flatMap((o) => ((o.kind === 'handshake' || o.kind === 'change_cipher_spec') && o.violation ? [o.violation] : []));

/** Build, frame and commit a message, as the engine's `send` step does; returns the bytes for the target. */
function send(peer: ScriptedPeer, name: string, opts: { premaster?: PremasterSpec; set?: (m: HandshakeMessage) => void } = {}): Uint8Array {
  const msg = peer.build(name, { premaster: opts.premaster });
  opts.set?.(msg);
  const { wire } = encodeForWire(msg, []);
  peer.rl.send(ContentType.handshake, wire);
  const out = peer.rl.takeOutput();
  peer.commit(msg, wire);
  return out;
}

function ccs(peer: ScriptedPeer): Uint8Array {
  peer.rl.send(ContentType.change_cipher_spec, Uint8Array.of(1));
  const out = peer.rl.takeOutput();
  peer.sentChangeCipherSpec();
  return out;
}

const clientConfig = (suite: string, extra: Partial<EndpointConfig> = {}) =>
  makeConfig({ ...peerConfig({ cipher_suites: [suite] }, 'client', undefined, 'tls12'), now: () => FIXED_NOW, random: seededRandom(7), ...extra });
const serverConfig = (suite: string, extra: Partial<EndpointConfig> = {}) =>
  makeConfig({ ...peerConfig({ cipher_suites: [suite] }, 'server', undefined, 'tls12'), now: () => FIXED_NOW, random: seededRandom(8), ...extra });

/** The harness client's full handshake with the reference server; returns what the server sent after our Finished. */
function clientHandshake(server: TlsServer, peer: ClientPeer12): Observation[] {
  server.receive(send(peer, 'ClientHello'));
  const flight = peer.ingest(server.takeOutput());
  expect(violations(flight)).toEqual([]);
  const kx = peer.suite?.keyExchange;
  expect(names(flight)).toEqual(['ServerHello', 'Certificate', ...(kx === 'rsa' ? [] : ['ServerKeyExchange']), 'ServerHelloDone']);
  server.receive(send(peer, 'ClientKeyExchange'));
  server.receive(ccs(peer));
  server.receive(send(peer, 'Finished'));
  return peer.ingest(server.takeOutput());
}

describe('ClientPeer12 against the reference server', () => {
  const suites = [
    'TLS_RSA_WITH_AES_128_GCM_SHA256',
    'TLS_RSA_WITH_AES_128_CBC_SHA',
    'TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384',
    'TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256',
    'TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256',
    'TLS_DHE_RSA_WITH_AES_128_GCM_SHA256',
  ];
  for (const suite of suites) {
    it(`completes a full handshake with ${suite} (the server's Finished verifies under the harness's keys)`, () => {
      const server = new TlsServer(testServerConfig());
      const peer = new ClientPeer12(clientConfig(suite));
      const after = clientHandshake(server, peer);
      expect(violations(after)).toEqual([]);
      // RFC 5077 3.3: the ticket the ServerHello announced, then ChangeCipherSpec, then Finished.
      expect(names(after)).toEqual(['NewSessionTicket', 'change_cipher_spec', 'Finished']);
      expect(peer.handshakeComplete).toBe(true);
      expect(peer.readEpoch).toBe('encrypted');
      expect(server.takeEvents().some((e) => e.type === 'handshake_complete')).toBe(true);
    });
  }

  it('a wrong Finished gets decrypt_error from the server (RFC 5246 7.4.9)', () => {
    const server = new TlsServer(testServerConfig());
    const peer = new ClientPeer12(clientConfig('TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256'));
    server.receive(send(peer, 'ClientHello'));
    peer.ingest(server.takeOutput());
    server.receive(send(peer, 'ClientKeyExchange'));
    server.receive(ccs(peer));
    server.receive(send(peer, 'Finished', { set: (m) => m.msg_type === 'finished' && (m.verify_data[0] ^= 1) }));
    expect(names(peer.ingest(server.takeOutput()))).toEqual([`alert:decrypt_error`]);
  });

  for (const by of ['session ID', 'ticket'] as const) {
    it(`resumes the session the target gave, by ${by} (abbreviated handshake, RFC 5246 7.3 / RFC 5077 3.4)`, () => {
      const cfg = testServerConfig({ sessionTickets12: by === 'ticket' });
      const first = new ClientPeer12(clientConfig('TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256'));
      clientHandshake(new TlsServer(cfg), first);
      expect(first.sessions).toHaveLength(1);
      if (by === 'ticket') expect(first.sessions[0].ticket?.length).toBeGreaterThan(0);
      const server = new TlsServer(cfg);
      const peer = new ClientPeer12(clientConfig('TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256'), first.sessions[0]);
      server.receive(send(peer, 'ClientHello'));
      const flight = peer.ingest(server.takeOutput());
      expect(violations(flight)).toEqual([]);
      expect(names(flight)).toEqual(['ServerHello', ...(by === 'ticket' ? ['NewSessionTicket'] : []), 'change_cipher_spec', 'Finished']);
      server.receive(ccs(peer));
      server.receive(send(peer, 'Finished'));
      expect(server.takeEvents().find((e) => e.type === 'handshake_complete')).toMatchObject({ summary: { resumed: true } });
    });
  }

  it('a renegotiation ClientHello carries the saved client_verify_data (RFC 5746 3.5); the reference refuses it with no_renegotiation', () => {
    const server = new TlsServer(testServerConfig());
    const peer = new ClientPeer12(clientConfig('TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256'));
    clientHandshake(server, peer);
    const ch = peer.build('ClientHello');
    expect(ch.msg_type === 'client_hello' && findExt(ch.extensions, 'renegotiation_info')?.renegotiated_connection).toEqual(peer.clientVerifyData);
    server.receive(send(peer, 'ClientHello'));
    const obs = peer.ingest(server.takeOutput());
    expect(obs).toMatchObject([{ kind: 'alert', level: 1, description: AlertDescription.no_renegotiation, epoch: 'encrypted' }]);
  });

  it('premaster: a malformed PKCS#1 block gets no alert until the Finished, which the server cannot verify (RFC 5246 7.4.7.1)', () => {
    for (const spec of [{ first_bytes: '0001' }, { message_length: 47 }, { version: 0x0301 }, {}] as PremasterSpec[]) {
      const server = new TlsServer(testServerConfig());
      const peer = new ClientPeer12(clientConfig('TLS_RSA_WITH_AES_128_GCM_SHA256'));
      server.receive(send(peer, 'ClientHello'));
      peer.ingest(server.takeOutput());
      server.receive(send(peer, 'ClientKeyExchange', { premaster: spec }));
      // Nothing after the ClientKeyExchange: the server goes on with a random secret.
      expect(server.takeOutput()).toHaveLength(0);
      server.receive(ccs(peer));
      server.receive(send(peer, 'Finished'));
      const obs = names(peer.ingest(server.takeOutput()));
      if (Object.keys(spec).length === 0) expect(obs).toEqual(['NewSessionTicket', 'change_cipher_spec', 'Finished']);
      else expect(obs).toEqual(['alert:bad_record_mac']);
    }
  });

  it('flags a ChangeCipherSpec from the server before its flight is done (RFC 5246 7.1), and a ServerHelloDone before the Certificate (7.4)', () => {
    const server = new TlsServer(testServerConfig());
    const peer = new ClientPeer12(clientConfig('TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256'));
    server.receive(send(peer, 'ClientHello'));
    const out = server.takeOutput();
    // The server's ServerHello record, then a ChangeCipherSpec record.
    const shLen = ((out[3] << 8) | out[4]) + 5;
    const obs = peer.ingest(Buffer.concat([out.subarray(0, shLen), Uint8Array.of(20, 3, 3, 0, 1, 1)]));
    expect(violations(obs)).toMatchObject([{ rule: 'RFC 5246 7.1', alert: 'unexpected_message' }]);
    const peer2 = new ClientPeer12(clientConfig('TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256'));
    const server2 = new TlsServer(testServerConfig());
    server2.receive(send(peer2, 'ClientHello'));
    peer2.ingest(server2.takeOutput().subarray(0, shLen));
    const done = Uint8Array.of(22, 3, 3, 0, 4, 14, 0, 0, 0);
    expect(violations(peer2.ingest(done))).toMatchObject([{ rule: 'RFC 5246 7.4', alert: 'unexpected_message' }]);
  });
});

describe('ServerPeer12 against the reference client', () => {
  function serverHandshake(client: TlsClient, peer: ServerPeer12, request = false): Observation[] {
    client.start();
    const hello = peer.ingest(client.takeOutput());
    expect(names(hello)).toEqual(['ClientHello']);
    expect(violations(hello)).toEqual([]);
    client.receive(send(peer, 'ServerHello'));
    const flight = ['Certificate', ...(peer.suite?.keyExchange !== 'rsa' ? ['ServerKeyExchange'] : []), ...(request ? ['CertificateRequest'] : []), 'ServerHelloDone'];
    for (const m of flight) client.receive(send(peer, m));
    const answer = peer.ingest(client.takeOutput());
    expect(violations(answer)).toEqual([]);
    return answer;
  }

  for (const suite of ['TLS_RSA_WITH_AES_256_GCM_SHA384', 'TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256', 'TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA', 'TLS_DHE_RSA_WITH_AES_128_GCM_SHA256']) {
    it(`completes a full handshake with ${suite}, and the client's Finished verifies`, () => {
      const client = new TlsClient(testClientConfig({ cipherSuites: [suiteCode(suite)], minVersion: 'TLSv1.2', maxVersion: 'TLSv1.2' }));
      const peer = new ServerPeer12(serverConfig(suite));
      const answer = serverHandshake(client, peer);
      expect(names(answer)).toEqual(['ClientKeyExchange', 'change_cipher_spec', 'Finished']);
      expect(peer.handshakeComplete).toBe(true);
      client.receive(send(peer, 'NewSessionTicket'));
      client.receive(ccs(peer));
      client.receive(send(peer, 'Finished'));
      expect(client.takeEvents().find((e) => e.type === 'handshake_complete')).toMatchObject({ summary: { version: 'TLSv1.2' } });
    });
  }

  it('with a CertificateRequest, checks the client Certificate and CertificateVerify as the reference server does', () => {
    const client = new TlsClient(testClientConfig({ cipherSuites: [suiteCode('TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256')], minVersion: 'TLSv1.2', maxVersion: 'TLSv1.2', certificates: [TEST_PKI.client()] }));
    const peer = new ServerPeer12(serverConfig('TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256'));
    const answer = serverHandshake(client, peer, true);
    expect(names(answer)).toEqual(['Certificate', 'ClientKeyExchange', 'CertificateVerify', 'change_cipher_spec', 'Finished']);
    expect(peer.peerChain.length).toBeGreaterThan(0);
  });

  it('a Finished from the client before its ChangeCipherSpec breaks RFC 5246 7.4 (flagged even when it verifies)', () => {
    const client = new TlsClient(testClientConfig({ cipherSuites: [suiteCode('TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256')], minVersion: 'TLSv1.2', maxVersion: 'TLSv1.2' }));
    const peer = new ServerPeer12(serverConfig('TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256'));
    client.start();
    peer.ingest(client.takeOutput());
    for (const m of ['ServerHello', 'Certificate', 'ServerKeyExchange', 'ServerHelloDone']) client.receive(send(peer, m));
    const out = client.takeOutput();
    // Drop the client's ChangeCipherSpec record: its Finished then arrives where a ChangeCipherSpec is due.
    const records: Uint8Array[] = [];
    for (let i = 0; i < out.length; ) {
      const len = ((out[i + 3] << 8) | out[i + 4]) + 5;
      if (out[i] !== ContentType.change_cipher_spec) records.push(out.subarray(i, i + len));
      i += len;
    }
    const obs = peer.ingest(Buffer.concat(records));
    expect(obs.some((o) => o.kind === 'record_error' || (o.kind === 'handshake' && (o.violation || o.decodeError)))).toBe(true);
  });
});

function suiteCode(name: string): number {
  return peerConfig({ cipher_suites: [name] }, 'client', undefined, 'tls12').cipherSuites[0];
}

describe('the target\'s CBC IVs (RFC 5246 6.2.3.2: "MUST be unpredictable")', () => {
  const peer = () => {
    const p = new ClientPeer12(clientConfig('TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA'));
    (p as unknown as { suite: unknown }).suite = { cipher: { type: 'cbc' }, mac: { length: 20 } };
    return p as unknown as { checkCbcIv(f: Uint8Array, kind: string): void };
  };
  const record = (iv: number, last: number) => Uint8Array.from([...new Array(16).fill(iv), ...new Array(32).fill(7), ...new Array(16).fill(last)]);

  it('takes fresh IVs, and refuses one repeated or chained from the previous record', () => {
    const ok = peer();
    ok.checkCbcIv(record(1, 2), 'tls12-cbc');
    expect(() => ok.checkCbcIv(record(3, 4), 'tls12-cbc')).not.toThrow();
    const repeated = peer();
    repeated.checkCbcIv(record(1, 2), 'tls12-cbc');
    expect(() => repeated.checkCbcIv(record(1, 5), 'tls12-cbc')).toThrow(/same explicit IV/);
    const chained = peer();
    chained.checkCbcIv(record(1, 2), 'tls12-cbc');
    expect(() => chained.checkCbcIv(record(2, 5), 'tls12-cbc')).toThrow(/last ciphertext block/);
    // AEAD records are not looked at.
    const aead = peer();
    aead.checkCbcIv(record(1, 2), 'tls12-aead');
    expect(() => aead.checkCbcIv(record(1, 2), 'tls12-aead')).not.toThrow();
  });
});
