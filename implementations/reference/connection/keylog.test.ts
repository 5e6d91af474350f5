import { describe, expect, it } from 'vitest';
import { keyLogLine } from './keylog.ts';
import { replayContext, replaySide } from './rfc8448.ts';
import { TlsClient } from './client.ts';
import { TlsServer } from './server.ts';
import { makeConfig } from './config.ts';
import { TEST_PKI } from './testing.ts';
import { pump } from './memory.ts';

// RFC 8448 3 (simple 1-RTT handshake): the ClientHello's random and the four traffic secrets, as the RFC prints them.
const RANDOM = 'cb34ecb1e78163ba1c38c6dacb196a6dffa21a8d9912ec18a2ef6283024dece7';
const RFC8448_3 = [
  `CLIENT_HANDSHAKE_TRAFFIC_SECRET ${RANDOM} b3eddb126e067f35a780b3abf45e2d8f3b1a950738f52e9600746a0e27a55a21`,
  `SERVER_HANDSHAKE_TRAFFIC_SECRET ${RANDOM} b67b7d690cc16c4e75e54213cb2d37b4e9c912bcded9105d42befd59d391ad38`,
  `CLIENT_TRAFFIC_SECRET_0 ${RANDOM} 9e40646ce79a7f9dc05af8889bce6552875afa0b06df0087f792ebb7c17504a5`,
  `SERVER_TRAFFIC_SECRET_0 ${RANDOM} a11af9f05531f856ad47116b45a950328204b4f44bfb6b3a4b4f1f3fcb631643`,
];

describe('key log (NSS SSLKEYLOGFILE format)', () => {
  it('writes a line as label, client random and secret in hex', () => {
    expect(keyLogLine('CLIENT_RANDOM', Uint8Array.of(1, 2), Uint8Array.of(0xab))).toBe('CLIENT_RANDOM 0102 ab');
  });

  for (const side of ['client', 'server'] as const) {
    it(`the ${side} logs RFC 8448 3's traffic secrets, byte for byte`, () => {
      const lines: string[] = [];
      const r = replaySide('3', side, replayContext(), undefined, undefined, (l) => lines.push(l));
      expect(r.mismatch).toBeUndefined();
      expect([...lines].sort()).toEqual([...RFC8448_3].sort());
    });
  }

  it('TLS 1.2: both ends log the same master secret under CLIENT_RANDOM, nothing without a sink', () => {
    const client: string[] = [];
    const server: string[] = [];
    const c = new TlsClient(makeConfig({ maxVersion: 'TLSv1.2', serverName: 'localhost', trustRoots: TEST_PKI.ca(), keyLog: (l) => client.push(l) }));
    const s = new TlsServer(makeConfig({ certificates: [TEST_PKI.rsa()], keyLog: (l) => server.push(l) }));
    c.start();
    pump(c, s);
    expect(c.state).toBe('connected');
    expect(client).toHaveLength(1);
    expect(client[0]).toMatch(/^CLIENT_RANDOM [0-9a-f]{64} [0-9a-f]{96}$/);
    expect(server).toEqual(client);
  });
});
