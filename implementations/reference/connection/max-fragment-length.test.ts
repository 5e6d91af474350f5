/**
 * RFC 6066 4 max_fragment_length in TLS 1.3: the reference server accepts a request in EncryptedExtensions, and
 * both ends then fragment what they send at the negotiated length and refuse a larger record with
 * record_overflow; the client refuses an answer that differs from its request.
 */
import { describe, expect, it } from 'vitest';
import { ContentType } from '../codec/enums.ts';
import { findExt } from './tls13.ts';
import { exchange, expectRejectedParty } from './checks-harness.ts';
import { TlsClient } from './client.ts';
import { TlsServer } from './server.ts';
import { ScriptedServer, clientConfig, replaceExt, serverConfig } from './peers.ts';
import { maxFragmentBytes } from './checks13.ts';

const BIG = new Uint8Array(3000).fill(0x61);

describe('max_fragment_length (RFC 6066 4), TLS 1.3', () => {
  it('maps the codes 1..4 to 2^9..2^12 bytes', () => {
    expect([1, 2, 3, 4].map(maxFragmentBytes)).toEqual([512, 1024, 2048, 4096]);
  });

  it('the server answers the request in EncryptedExtensions, and both ends fragment at 2^9 from then on', () => {
    const client = new TlsClient(clientConfig({ maxFragmentLength: 1 }));
    const server = new TlsServer(serverConfig());
    const r = exchange(client, server, { watch: ['client', 'server'], then: () => (client.write(BIG), server.write(BIG)) });
    expect(r.client.error).toBeUndefined();
    expect(r.server.error).toBeUndefined();
    expect(client.state).toBe('connected');
    const ch = r.client.sent.find((x) => x.type === ContentType.handshake)!;
    expect(ch.content[0]).toBe(1); // client_hello
    // Everything protected after EncryptedExtensions keeps to 512 bytes, handshake messages and data alike.
    const serverProtected = r.server.sent.filter((x) => x.protected);
    expect(serverProtected.length).toBeGreaterThan(6);
    for (const rec of serverProtected) expect(rec.content.length).toBeLessThanOrEqual(512);
    for (const rec of r.client.sent.filter((x) => x.protected)) expect(rec.content.length).toBeLessThanOrEqual(512);
    // The data arrived whole on both sides.
    const got = (events: { type: string; data?: Uint8Array }[]) => events.filter((e) => e.type === 'application_data').reduce((n, e) => n + (e.data?.length ?? 0), 0);
    expect(got(r.client.events as never)).toBe(BIG.length);
    expect(got(r.server.events as never)).toBe(BIG.length);
  });

  it('a server configured not to accept it, or offered record_size_limit as well (RFC 8449 5), does not answer it', () => {
    for (const [c, s] of [
      [{ maxFragmentLength: 2 }, { acceptMaxFragmentLength: false }],
      [{ maxFragmentLength: 2, recordSizeLimit: 4096 }, {}],
    ] as const) {
      const client = new TlsClient(clientConfig(c));
      const server = new ScriptedServer(serverConfig(s));
      let answered: boolean | undefined;
      server.script.mutate('encrypted_extensions', (m) => void (answered = findExt(m.extensions, 'max_fragment_length') !== undefined));
      const r = exchange(client, server, { watch: [] });
      expect(r.client.error).toBeUndefined();
      expect(answered).toBe(false);
    }
  });

  it('the client refuses an answer that differs from its request: illegal_parameter', () => {
    const client = new TlsClient(clientConfig({ maxFragmentLength: 1 }));
    const server = new ScriptedServer(serverConfig());
    server.script.mutate('encrypted_extensions', (m) => void (m.extensions = replaceExt(m.extensions, { type: 'max_fragment_length', max_fragment_length: 2 })));
    const r = exchange(client, server, { watch: ['client'] });
    expectRejectedParty({ ep: client, events: r.client.events, error: r.client.error, sent: r.client.sent }, 'illegal_parameter', 'RFC 6066 4', { label: 'client error', fatalOnly: false });
  });

  it('the server flight in one record larger than the length it just accepted: the client refuses it (record_overflow)', () => {
    const client = new TlsClient(clientConfig({ maxFragmentLength: 1 }));
    const server = new ScriptedServer(serverConfig({ acceptMaxFragmentLength: false }));
    server.script.mutate('encrypted_extensions', (m) => void m.extensions.push({ type: 'max_fragment_length', max_fragment_length: 1 }));
    const r = exchange(client, server, { watch: ['client'] });
    expectRejectedParty({ ep: client, events: r.client.events, error: r.client.error, sent: r.client.sent }, 'record_overflow', 'RFC 6066 4', { label: 'client error', fatalOnly: false });
  });

  it('a record above the negotiated length is a record_overflow', () => {
    const client = new TlsClient(clientConfig({ maxFragmentLength: 1 }));
    const server = new TlsServer(serverConfig());
    // After the handshake the client sends 600 bytes in one record, as if nothing had been negotiated.
    const r = exchange(client, server, {
      watch: ['server'],
      then: () => {
        (client as unknown as { rl: { maxSendFragment: number } }).rl.maxSendFragment = 2 ** 14;
        client.write(new Uint8Array(600));
      },
    });
    expect(r.server.error?.alert).toBe('record_overflow');
    expect(r.server.error?.rule).toBe('RFC 6066 4');
  });
});
