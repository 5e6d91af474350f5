/**
 * The scripted TLS 1.3 client peer keeps the target's tickets for `reconnect: { resume: true }`, also those a
 * server sends right after its own Finished, before the client's (RFC 8446 4.6.1: "servers which do not
 * request client authentication MAY compute the remainder of the transcript independently and then send a
 * NewSessionTicket immediately upon sending its Finished rather than waiting for the client Finished").
 *
 * ServerPeer13 keeps the NewSessionTicket and KeyUpdate it sends out of the transcript (RFC 8446 4.4.1).
 */
import { describe, expect, it } from 'vitest';
import { AlertDescription, ContentType } from '../../implementations/reference/codec/enums.ts';
import { TlsServer } from '../../implementations/reference/connection/server.ts';
import { FIXED_NOW, testClientConfig, testServerConfig } from '../../implementations/reference/connection/testing.ts';
import { TlsClient } from '../../implementations/reference/connection/client.ts';
import { makeConfig } from '../../implementations/reference/connection/config.ts';
import { encodeForWire } from './mutate.ts';
import { ClientPeer13, ServerPeer13, checkEndEntity, type Observation } from './peer13.ts';
import { EXTRA_TEST_CERTIFICATES, SHARED_TEST_PKI } from '../targets/test-pki.ts';
import type { Certificate } from '../../implementations/reference/crypto/certificate.ts';
import { peerConfig } from './run-case.ts';
import { applySet } from './fields.ts';

const names = (obs: Observation[]) => obs.map((o) => (o.kind === 'handshake' ? o.name : o.kind));

/** Build, send (through the record layer) and return the bytes of a message; `commit` records it. */
function send(peer: ClientPeer13, name: string): { bytes: Uint8Array; commit: () => void } {
  const msg = peer.build(name);
  const { wire } = encodeForWire(msg, []);
  peer.rl.send(ContentType.handshake, wire);
  return { bytes: peer.rl.takeOutput(), commit: () => peer.commit(msg, wire) };
}

function handshake(server: TlsServer, peer: ClientPeer13, ticketsBeforeFinished: boolean): Observation[] {
  const hello = send(peer, 'ClientHello');
  hello.commit();
  server.receive(hello.bytes);
  const flight = peer.ingest(server.takeOutput());
  expect(names(flight)).toEqual(['ServerHello', 'EncryptedExtensions', 'Certificate', 'CertificateVerify', 'Finished']);
  expect(flight.filter((o) => o.kind === 'handshake' && o.violation)).toEqual([]);
  const fin = send(peer, 'Finished');
  server.receive(fin.bytes);
  const tickets = server.takeOutput();
  if (ticketsBeforeFinished) {
    // The tickets arrive before the harness has committed its Finished: the order a server that sends them
    // upon its own Finished gives.
    const obs = peer.ingest(tickets);
    fin.commit();
    return obs;
  }
  fin.commit();
  return peer.ingest(tickets);
}

describe('ClientPeer13 tickets', () => {
  const config = () => ({ ...peerConfig({ cipher_suites: ['TLS_AES_128_GCM_SHA256'], groups: ['x25519'] }, 'client'), now: () => FIXED_NOW });
  for (const early of [false, true]) {
    it(`keeps a ticket that arrives ${early ? 'before' : 'after'} its Finished, and resumes with it`, () => {
      const serverConfig = testServerConfig({ ticketsToSend: 1 });
      const peer = new ClientPeer13(makeConfig(config()));
      const obs = handshake(new TlsServer(serverConfig), peer, early);
      expect(names(obs)).toEqual(['NewSessionTicket']);
      expect(peer.tickets).toHaveLength(1);
      // The PSK is right only if the server accepts it: a second connection offers it.
      const resumed = new ClientPeer13(makeConfig(config()), peer.tickets[0]);
      const server2 = new TlsServer(serverConfig);
      const hello = send(resumed, 'ClientHello');
      hello.commit();
      server2.receive(hello.bytes);
      const sh = resumed.ingest(server2.takeOutput());
      const serverHello = sh.find((o) => o.kind === 'handshake' && o.name === 'ServerHello');
      expect(serverHello?.kind === 'handshake' && serverHello.violation).toBeFalsy();
      expect(JSON.stringify(serverHello?.kind === 'handshake' ? serverHello.msg : undefined)).toContain('"selected_identity":0');
      expect(names(sh).at(-1)).toBe('Finished');
    });
  }
});

describe('ServerPeer13 post-handshake messages', () => {
  // RFC 8446 4.4.1: the transcript covers the handshake messages; a KeyUpdate or NewSessionTicket the harness
  // sends after its Finished (before the client's) must not enter it, or the client's Finished looks wrong.
  for (const name of ['KeyUpdate', 'NewSessionTicket']) {
    it(`verifies the client Finished after sending a ${name} right after its own Finished`, () => {
      const peer = new ServerPeer13(makeConfig({ ...peerConfig({ cipher_suites: ['TLS_AES_128_GCM_SHA256'], groups: ['x25519'] }, 'server'), now: () => FIXED_NOW }));
      const client = new TlsClient(testClientConfig());
      client.start();
      expect(names(peer.ingest(client.takeOutput()))).toEqual(['ClientHello']);
      for (const m of ['ServerHello', 'EncryptedExtensions', 'Certificate', 'CertificateVerify', 'Finished', name]) {
        const msg = peer.build(m);
        const { wire } = encodeForWire(msg, []);
        peer.rl.send(ContentType.handshake, wire);
        peer.commit(msg, wire);
      }
      client.receive(peer.rl.takeOutput());
      const obs = peer.ingest(client.takeOutput());
      const fin = obs.find((o) => o.kind === 'handshake' && o.name === 'Finished');
      expect(fin?.kind === 'handshake' && fin.violation).toBeFalsy();
      expect(fin).toBeDefined();
    });
  }
});

describe('the target end-entity certificate (RFC 8446 4.4.2.2, 4.4.2.3)', () => {
  it('checkEndEntity: X.509v3 for both sides; digitalSignature allowed when keyUsage is present, for a server', () => {
    const leaf = (version: number, keyUsage: number | undefined) => ({ version, keyUsage }) as unknown as Certificate;
    expect(checkEndEntity(SHARED_TEST_PKI.p256().leaf, 'server')).toBeUndefined();
    expect(checkEndEntity(SHARED_TEST_PKI.client().leaf, 'client')).toBeUndefined();
    expect(checkEndEntity(leaf(3, undefined), 'server')).toBeUndefined();
    expect(checkEndEntity(leaf(1, undefined), 'server')).toMatchObject({ rule: 'RFC 8446 4.4.2.2', alert: 'unsupported_certificate' });
    expect(checkEndEntity(leaf(1, undefined), 'client')).toMatchObject({ rule: 'RFC 8446 4.4.2.3' });
    expect(checkEndEntity(leaf(3, 0x0800), 'server')).toMatchObject({ rule: 'RFC 8446 4.4.2.2', message: expect.stringContaining('digitalSignature') });
    expect(checkEndEntity(leaf(3, 0x0800), 'client')).toBeUndefined();
    expect(checkEndEntity(undefined, 'server')).toBeUndefined();
  });

  it('the client peer flags a server certificate whose keyUsage lacks digitalSignature', () => {
    const config = { ...peerConfig({ cipher_suites: ['TLS_AES_128_GCM_SHA256'], groups: ['x25519'] }, 'client'), now: () => FIXED_NOW };
    const peer = new ClientPeer13(makeConfig(config));
    const server = new TlsServer(testServerConfig({ certificates: [EXTRA_TEST_CERTIFICATES['p256-no-digital-signature']()] }));
    const hello = send(peer, 'ClientHello');
    hello.commit();
    server.receive(hello.bytes);
    const flight = peer.ingest(server.takeOutput());
    const cert = flight.find((o) => o.kind === 'handshake' && o.name === 'Certificate');
    expect(cert?.kind === 'handshake' && cert.violation).toMatchObject({ rule: 'RFC 8446 4.4.2.2' });
  });
});

describe('ServerPeer13 certificate_verify faults', () => {
  // RFC 8446 4.4.3: the server signs 64 spaces, "TLS 1.3, server CertificateVerify", 0, Transcript-Hash(ClientHello
  // ... Certificate); the reference client verifies it and answers a bad one with decrypt_error.
  const run = (fault: Peer13Fault) => {
    const peer = new ServerPeer13(makeConfig({ ...peerConfig({ cipher_suites: ['TLS_AES_128_GCM_SHA256'], groups: ['x25519'] }, 'server'), now: () => FIXED_NOW }));
    peer.certificateVerifyFault = fault;
    const client = new TlsClient(testClientConfig());
    client.start();
    peer.ingest(client.takeOutput());
    for (const m of ['ServerHello', 'EncryptedExtensions', 'Certificate', 'CertificateVerify', 'Finished']) {
      const msg = peer.build(m);
      const { wire } = encodeForWire(msg, []);
      peer.rl.send(ContentType.handshake, wire);
      peer.commit(msg, wire);
    }
    client.receive(peer.rl.takeOutput());
    return peer.ingest(client.takeOutput());
  };
  it('no fault: the client accepts the CertificateVerify and sends its Finished', () => {
    expect(names(run(undefined)).filter((n) => n !== 'change_cipher_spec')).toEqual(['Finished']);
  });
  for (const fault of ['other_context', 'stale_transcript'] as const) {
    it(`${fault}: the signature is valid over the wrong input, and the client rejects it with decrypt_error`, () => {
      const obs = run(fault).filter((o) => o.kind !== 'change_cipher_spec');
      expect(obs[0]).toMatchObject({ kind: 'alert', description: AlertDescription.decrypt_error });
    });
  }
});

type Peer13Fault = ServerPeer13['certificateVerifyFault'];

describe('ClientPeer13 post-handshake CertificateRequest (RFC 8446 4.2.6)', () => {
  const exchange = (offerPha: boolean) => {
    const cfg = (role: 'client' | 'server') => makeConfig({ ...peerConfig({ cipher_suites: ['TLS_AES_128_GCM_SHA256'], groups: ['x25519'] }, role), now: () => FIXED_NOW });
    const client = new ClientPeer13(cfg('client'));
    const server = new ServerPeer13(cfg('server'));
    const out = (peer: ClientPeer13 | ServerPeer13, names: string[], edit?: (m: ReturnType<ServerPeer13['build']>) => void) => {
      for (const n of names) {
        const msg = peer.build(n);
        edit?.(msg);
        const { wire } = encodeForWire(msg, []);
        peer.rl.send(ContentType.handshake, wire);
        peer.commit(msg, wire);
      }
      return peer.rl.takeOutput();
    };
    const ch = out(client, ['ClientHello'], (m) => {
      if (offerPha && m.msg_type === 'client_hello') (m.extensions ??= []).push({ type: 'post_handshake_auth' });
    });
    server.ingest(ch);
    expect(names(client.ingest(out(server, ['ServerHello', 'EncryptedExtensions', 'Certificate', 'CertificateVerify', 'Finished'])))).toEqual([
      'ServerHello',
      'EncryptedExtensions',
      'Certificate',
      'CertificateVerify',
      'Finished',
    ]);
    server.ingest(out(client, ['Finished']));
    return client.ingest(
      out(server, ['CertificateRequest'], (m) => {
        if (m.msg_type === 'certificate_request' && m.form === 'tls13') m.certificate_request_context = Uint8Array.of(7);
      }),
    );
  };
  it('flags one sent to a client that did not offer post_handshake_auth', () => {
    const [cr] = exchange(false);
    expect(cr).toMatchObject({ kind: 'handshake', name: 'CertificateRequest', violation: { rule: 'RFC 8446 4.2.6', alert: 'unexpected_message' } });
  });
  it('takes one (with a non-empty context) sent to a client that offered it', () => {
    const [cr] = exchange(true);
    expect(cr).toMatchObject({ kind: 'handshake', name: 'CertificateRequest' });
    expect(cr.kind === 'handshake' && cr.violation).toBeFalsy();
  });
});

// psk14: the PSK hooks of the scripted client (binder after `set`, psk_modes, 0-RTT refused, fresh tickets).
describe('ClientPeer13 PSK hooks (psk14)', () => {
  const cfg = (extra: Record<string, unknown> = {}) => ({ ...peerConfig({ cipher_suites: ['TLS_AES_128_GCM_SHA256'], groups: ['x25519'], ...extra }, 'client'), now: () => FIXED_NOW });
  const ticketFrom = (serverConfig: ReturnType<typeof testServerConfig>, extra: Record<string, unknown> = {}) => {
    const peer = new ClientPeer13(makeConfig(cfg(extra)));
    handshake(new TlsServer(serverConfig), peer, false);
    expect(peer.tickets).toHaveLength(1);
    return peer.tickets[0];
  };
  const serverHelloOf = (obs: Observation[]) => {
    const sh = obs.find((o) => o.kind === 'handshake' && o.name === 'ServerHello');
    return sh?.kind === 'handshake' ? sh : undefined;
  };

  it('computes the binder again after a `set` on the resuming ClientHello, so the server still resumes', () => {
    const serverConfig = testServerConfig({ ticketsToSend: 1 });
    const ticket = ticketFrom(serverConfig);
    for (const recompute of [true, false]) {
      const peer = new ClientPeer13(makeConfig(cfg()), ticket);
      const msg = peer.build('ClientHello');
      const path = 'extensions.pre_shared_key.identities[0].obfuscated_ticket_age';
      applySet(msg, { [path]: 12345 });
      if (recompute) peer.afterSet(msg, [path]);
      const { wire } = encodeForWire(msg, []);
      peer.rl.send(ContentType.handshake, wire);
      peer.commit(msg, wire);
      const server = new TlsServer(serverConfig);
      server.receive(peer.rl.takeOutput());
      const obs = peer.ingest(server.takeOutput());
      if (recompute) expect(JSON.stringify(serverHelloOf(obs)?.msg)).toContain('"selected_identity":0');
      // Without it the binder covers the ClientHello before the set: the server refuses it (RFC 8446 4.2.11).
      else expect(JSON.stringify(obs)).toContain('decrypt_error');
    }
  });

  it('leaves the binder alone when the set writes it', () => {
    const ticket = ticketFrom(testServerConfig({ ticketsToSend: 1 }));
    const peer = new ClientPeer13(makeConfig(cfg()), ticket);
    const msg = peer.build('ClientHello');
    const path = 'extensions.pre_shared_key.binders[0]';
    applySet(msg, { [path]: { hex: '00'.repeat(32) } });
    peer.afterSet(msg, [path]);
    const psk = (msg as { extensions: { type: string; binders?: Uint8Array[] }[] }).extensions.at(-1);
    expect(Buffer.from(psk!.binders![0]).toString('hex')).toBe('00'.repeat(32));
  });

  it('offers the psk_key_exchange_modes of config.psk_modes; with psk_ke alone the server resumes without key_share', () => {
    expect(peerConfig({ psk_modes: ['psk_ke', 'psk_dhe_ke'] }, 'client').pskModes).toEqual([0, 1]);
    const serverConfig = testServerConfig({ ticketsToSend: 1 });
    const ticket = ticketFrom(serverConfig);
    const peer = new ClientPeer13(makeConfig(cfg({ psk_modes: ['psk_ke'] })), ticket);
    const hello = send(peer, 'ClientHello');
    hello.commit();
    expect(JSON.stringify(peer.build('ClientHello'))).toContain('"ke_modes":[0]');
    const server = new TlsServer(serverConfig);
    server.receive(hello.bytes);
    const obs = peer.ingest(server.takeOutput());
    const sh = serverHelloOf(obs);
    expect(sh?.violation).toBeFalsy();
    expect(JSON.stringify(sh?.msg)).not.toContain('key_share');
    expect(names(obs).at(-1)).toBe('Finished');
  });

  it('writes under the handshake keys when the server leaves early_data out of EncryptedExtensions (0-RTT refused)', () => {
    const serverConfig = testServerConfig({ ticketsToSend: 1, maxEarlyData: 0, acceptEarlyData: false });
    const ticket = ticketFrom(serverConfig);
    const peer = new ClientPeer13(makeConfig(cfg({ early_data: 'x' })), ticket);
    const hello = send(peer, 'ClientHello');
    hello.commit();
    expect(peer.writeEpoch).toBe('early');
    const server = new TlsServer(serverConfig);
    server.receive(hello.bytes);
    const obs = peer.ingest(server.takeOutput());
    expect(names(obs)).toContain('EncryptedExtensions');
    expect(peer.writeEpoch).toBe('handshake');
    const fin = send(peer, 'Finished');
    fin.commit();
    server.receive(fin.bytes);
    // The server took the Finished under the handshake keys: it is connected (no alert).
    expect((server as unknown as { state: string }).state).toBe('connected');
  });

  it('fails a NewSessionTicket that repeats the ticket_age_add or the ticket_nonce of an earlier one (RFC 8446 4.6.1)', () => {
    const peer = new ClientPeer13(makeConfig(cfg()));
    const nst = (ageAdd: number, nonce: number) => ({ msg_type: 'new_session_ticket', form: 'tls13', ticket_lifetime: 60, ticket_age_add: ageAdd, ticket_nonce: Uint8Array.of(nonce), ticket: Uint8Array.of(1), extensions: [] }) as const;
    const check = (m: ReturnType<typeof nst>) => (peer as unknown as { checkTicketFresh: (x: unknown) => { message: string } | undefined }).checkTicketFresh(m);
    expect(check(nst(7, 0))).toBeUndefined();
    expect(check(nst(8, 1))).toBeUndefined();
    expect(check(nst(7, 2))?.message).toMatch(/ticket_age_add/);
    expect(check(nst(9, 1))?.message).toMatch(/ticket_nonce/);
  });
});

describe('ClientPeer13 unknown PSK identities before the ticket (psk14)', () => {
  const cfg = (extra: Record<string, unknown> = {}) => ({ ...peerConfig({ cipher_suites: ['TLS_AES_128_GCM_SHA256'], groups: ['x25519'], ...extra }, 'client'), now: () => FIXED_NOW });
  it('offers the unknown identities first with the ticket last, its binder valid: the server resumes with identity 1', () => {
    expect(peerConfig({ psk_unknown_identities: 1 }, 'client').pskUnknownIdentities).toBe(1);
    const serverConfig = testServerConfig({ ticketsToSend: 1 });
    const first = new ClientPeer13(makeConfig(cfg()));
    handshake(new TlsServer(serverConfig), first, false);
    const peer = new ClientPeer13({ ...makeConfig(cfg()), pskUnknownIdentities: 1 }, first.tickets[0]);
    const hello = send(peer, 'ClientHello');
    hello.commit();
    const ch = peer.build('ClientHello') as { extensions: { type: string; identities?: { identity: Uint8Array }[]; binders?: Uint8Array[] }[] };
    const psk = ch.extensions.at(-1)!;
    expect(psk.identities).toHaveLength(2);
    expect(Buffer.from(psk.identities![1].identity)).toEqual(Buffer.from(first.tickets[0].ticket));
    expect(Buffer.from(psk.binders![0])).toEqual(Buffer.alloc(32));
    const server = new TlsServer(serverConfig);
    server.receive(hello.bytes);
    const obs = peer.ingest(server.takeOutput());
    const sh = obs.find((o) => o.kind === 'handshake' && o.name === 'ServerHello');
    expect(sh?.kind === 'handshake' && sh.violation).toBeFalsy();
    expect(JSON.stringify(sh?.kind === 'handshake' ? sh.msg : undefined)).toContain('"selected_identity":1');
    // The keys follow the PSK of identity 1: the server's Finished verifies, and so does ours at the server.
    expect(obs.filter((o) => o.kind === 'handshake' && o.violation)).toEqual([]);
    expect(names(obs).at(-1)).toBe('Finished');
    const fin = send(peer, 'Finished');
    fin.commit();
    server.receive(fin.bytes);
    expect((server as unknown as { state: string }).state).toBe('connected');
  });
});
