import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type Server, type Socket } from 'node:net';
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { TlsClient } from '../../implementations/reference/connection/client.ts';
import { makeConfig } from '../../implementations/reference/connection/config.ts';
import { TEST_PKI } from '../../implementations/reference/connection/testing.ts';
import { listenOnLowPort } from '../../implementations/reference/connection/ports.ts';
import { MemoryEnd, ReferenceTarget, bridge } from './reference.ts';
import type { IdleSignal } from './types.ts';
import { ctx } from './testing.ts';

/** Resolves when the signal says idle (asked again at every change and every byte the harness's end emits), else rejects after `ms`. */
function whenIdle(signal: IdleSignal, sock: Socket, ms = 1000): Promise<void> {
  return new Promise((resolve, reject) => {
    const check = () => {
      if (!signal.idle()) return;
      done();
      resolve();
    };
    const timer = setTimeout(() => {
      done();
      reject(new Error(`not idle within ${ms} ms`));
    }, ms);
    const off = signal.onChange(check);
    sock.on('data', check);
    sock.on('end', check);
    const done = () => {
      clearTimeout(timer);
      off();
      sock.off('data', check);
      sock.off('end', check);
    };
    check();
  });
}

/** A reference client's ClientHello (TLS 1.3 and 1.2 offered). */
function clientHello(): Uint8Array {
  const c = new TlsClient(makeConfig({ serverName: 'localhost', trustRoots: TEST_PKI.ca() }));
  c.start();
  return c.takeOutput();
}

const tick = (ms = 50) => new Promise((r) => setTimeout(r, ms));

describe('the reference target proves when it is idle (IdleSignal)', () => {
  const target = new ReferenceTarget();
  beforeAll(() => target.start());
  afterAll(() => target.stop());

  it('server: idle once connected; not idle while its answer is unread; idle again once the harness read it', async () => {
    const c = await target.connect(ctx('idle-1'));
    const sock = c.stream as Socket;
    try {
      expect(c.idle).toBeDefined();
      const idle = c.idle!;
      await whenIdle(idle, sock);
      // Paused: what arrives stays in the stream's buffer, not delivered to the harness.
      sock.pause();
      sock.write(clientHello());
      // Written, not yet consumed by the server.
      expect(idle.idle()).toBe(false);
      // The server answers; nobody reads it.
      await tick();
      expect(idle.idle()).toBe(false);
      const got: Buffer[] = [];
      sock.on('data', (d: Buffer) => got.push(d));
      sock.resume();
      await whenIdle(idle, sock);
      // Its flight arrived whole: ServerHello ... Finished, in records (the first a handshake record).
      expect(Buffer.concat(got)[0]).toBe(22);
      expect(Buffer.concat(got).length).toBeGreaterThan(500);
    } finally {
      sock.destroy();
    }
  });

  it('server: half a record, consumed, is idle (the server waits for the rest); the rest is not, until answered and read', async () => {
    const c = await target.connect(ctx('idle-2'));
    const sock = c.stream as Socket;
    const got: Buffer[] = [];
    sock.on('data', (d: Buffer) => got.push(d));
    try {
      const hello = clientHello();
      sock.write(hello.subarray(0, 40));
      await whenIdle(c.idle!, sock);
      expect(got).toHaveLength(0);
      sock.write(hello.subarray(40));
      expect(c.idle!.idle()).toBe(false);
      await whenIdle(c.idle!, sock);
      expect(Buffer.concat(got).length).toBeGreaterThan(500);
    } finally {
      sock.destroy();
    }
  });

  it('server: after its alert, not idle until its close (FIN) has reached the harness', async () => {
    const c = await target.connect(ctx('idle-3'));
    const sock = c.stream as Socket;
    const atData: boolean[] = [];
    sock.on('data', () => atData.push(c.idle!.idle()));
    try {
      // A record of an unknown content type with a TLS 1.2 version: the server aborts (alert, then close).
      sock.write(Buffer.from('1703030005' + '0000000000', 'hex'));
      await new Promise<void>((r) => sock.once('end', () => r()));
      // Every byte of the alert was delivered, but the FIN was still on its way.
      expect(atData.length).toBeGreaterThan(0);
      expect(atData.every((x) => x === false)).toBe(true);
      expect(c.idle!.idle()).toBe(true);
    } finally {
      sock.destroy();
    }
  });

  it('server: connections at once each have their own signal', async () => {
    const conns = await Promise.all([1, 2, 3].map((i) => target.connect(ctx(`idle-4-${i}`))));
    try {
      await Promise.all(conns.map((c) => whenIdle(c.idle!, c.stream as Socket)));
      const [a, b, d] = conns;
      a.stream.pause();
      (a.stream as Socket).write(clientHello());
      await tick();
      expect(a.idle!.idle()).toBe(false);
      expect(b.idle!.idle()).toBe(true);
      expect(d.idle!.idle()).toBe(true);
      (a.stream as Socket).resume();
      await whenIdle(a.idle!, a.stream as Socket);
    } finally {
      for (const c of conns) c.stream.destroy();
    }
  });

  describe('client role', () => {
    let server: Server;
    let port = 0;
    const accepted: Socket[] = [];
    beforeAll(async () => {
      server = createServer((s) => accepted.push(s));
      port = await listenOnLowPort(server);
    });
    afterAll(async () => {
      for (const s of accepted) s.destroy();
      await new Promise((r) => server.close(r));
    });
    const nextAccepted = async (n: number) => {
      for (let i = 0; i < 100 && accepted.length < n; i++) await tick(10);
      return accepted[n - 1];
    };

    it('not idle until its ClientHello has been read; a socket that is not its connection gets no signal', async () => {
      const launched = await target.launchClient(ctx('idle-5', { host: '127.0.0.1', port }));
      const sock = await nextAccepted(1);
      expect(sock).toBeDefined();
      const idle = launched.idleSignal!(sock)!;
      expect(idle).toBeDefined();
      await tick();
      // Its ClientHello is on the way or waiting in the harness's end, unread.
      expect(idle.idle()).toBe(false);
      const got: Buffer[] = [];
      sock.on('data', (d: Buffer) => got.push(d));
      await whenIdle(idle, sock);
      expect(Buffer.concat(got)[0]).toBe(22);
      expect(Buffer.concat(got)[5]).toBe(1); // client_hello

      const other = await target.launchClient(ctx('idle-6', { host: '127.0.0.1', port }));
      await nextAccepted(2);
      await tick();
      expect(other.idleSignal!(sock)).toBeUndefined();
    });
  });
});

describe('the idle signal holds because the reference endpoints do nothing on their own', () => {
  it('no module the reference client and server load uses a timer or asynchronous work', () => {
    // IdleTracker says "idle" once every byte is consumed and delivered: true only while the endpoints
    // answer synchronously in receive() and never act later. Every module they load, transitively:
    const here = dirname(fileURLToPath(import.meta.url));
    const start = ['client.ts', 'server.ts'].map((f) => resolve(here, '../../implementations/reference/connection', f));
    const seen = new Set<string>();
    const todo = [...start];
    const offenders: string[] = [];
    while (todo.length > 0) {
      const file = todo.pop()!;
      if (seen.has(file)) continue;
      seen.add(file);
      const code = readFileSync(file, 'utf8')
        .replace(/\/\*[\s\S]*?\*\//g, '')
        .replace(/(^|[^:'"`])\/\/.*$/gm, '$1');
      for (const m of code.matchAll(/\bfrom\s+'(\.{1,2}\/[^']+\.ts)'/g)) todo.push(resolve(dirname(file), m[1]));
      const hit = /\b(setTimeout|setInterval|setImmediate|queueMicrotask|nextTick)\b|\bawait\b|\basync\b|\.then\(/.exec(code);
      if (hit) offenders.push(`${file.replace(/.*implementations\//, 'implementations/')}: ${hit[0]}`);
    }
    expect(seen.size).toBeGreaterThan(20);
    expect(offenders).toEqual([]);
  });
});

// psk14: a second client connection of a case resumes the first's session (a ticket the server gave).
describe('reference client sessions (psk14)', () => {
  it('offers the ticket of the case\'s first connection in its second, and not in another case', async () => {
    const { TlsServer } = await import('../../implementations/reference/connection/server.ts');
    const { testServerConfig } = await import('../../implementations/reference/connection/testing.ts');
    const target = new ReferenceTarget();
    const serverConfig = testServerConfig({ ticketsToSend: 1 });
    const hellos: Buffer[] = [];
    const srv = createServer((sock) => {
      const tls = new TlsServer(serverConfig);
      let first = true;
      sock.on('data', (d: Buffer) => {
        if (first) hellos.push(d);
        first = false;
        tls.receive(d);
        const out = tls.takeOutput();
        if (out.length > 0) sock.write(out);
      });
      sock.on('error', () => undefined);
    });
    const port = await listenOnLowPort(srv);
    const connectOnce = async (caseId: string) => {
      const n = hellos.length;
      await target.launchClient(ctx(caseId, { host: '127.0.0.1', port }));
      for (let i = 0; i < 100 && hellos.length === n; i++) await tick(10);
      // Time for the handshake and the ticket.
      await tick(100);
      return hellos[n];
    };
    const { decodeHandshake } = await import('../../implementations/reference/codec/handshake.ts');
    // The last extension of the ClientHello in the first record (5-byte record header).
    const lastExt = (rec: Buffer) => {
      const ch = decodeHandshake(new Uint8Array(rec.subarray(5)), { version: 'tls13' }) as { extensions?: { type: string }[] };
      return ch.extensions?.at(-1)?.type;
    };
    try {
      expect(lastExt(await connectOnce('resume-1'))).not.toBe('pre_shared_key');
      expect(lastExt(await connectOnce('resume-1'))).toBe('pre_shared_key');
      expect(lastExt(await connectOnce('resume-2'))).not.toBe('pre_shared_key');
      await target.endCase(ctx('resume-1'));
      expect(lastExt(await connectOnce('resume-1'))).not.toBe('pre_shared_key');
    } finally {
      await target.stop();
      await new Promise((r) => srv.close(r));
    }
  });
});

describe('cauth: target_options.request_client_certificate (a second server that requests a client certificate)', () => {
  const target = new ReferenceTarget();
  afterAll(() => target.stop());

  /** A reference client with the test client certificate over a connection to the target; resolves when done. */
  async function handshake(options?: { request_client_certificate?: boolean }) {
    const c = await target.connect({ ...ctx('cauth'), ...(options ? { options } : {}) });
    const client = new TlsClient(makeConfig({ serverName: 'localhost', trustRoots: TEST_PKI.ca(), certificates: [TEST_PKI.client()] }));
    bridge(c.stream as Socket, client, undefined, () => client.start());
    for (let i = 0; i < 100 && client.state === 'handshaking'; i++) await tick(10);
    (c.stream as Socket).destroy();
    return { client, peer: c.peer, requested: (client as unknown as { certRequest?: unknown }).certRequest !== undefined };
  }

  it('without the option: no CertificateRequest', async () => {
    const r = await handshake();
    expect(r.client.state).toBe('connected');
    expect(r.requested).toBe(false);
  });

  it('with it: the server requests a client certificate (RFC 8446 4.3.2) and the handshake completes with the test client certificate', async () => {
    const r = await handshake({ request_client_certificate: true });
    expect(r.client.state).toBe('connected');
    expect(r.requested).toBe(true);
    expect(r.peer).toMatch(/requesting a client certificate/);
  });
});

// Issue 15: the fuzzer's ruler plays every conversation; in memory it needs no sockets.
describe('inMemory: server connections over an in-memory pipe (MemoryEnd)', () => {
  const target = new ReferenceTarget({ inMemory: true });
  afterAll(() => target.stop());

  it('delivers in order a tick later, not within the write; end() is a FIN the other end answers with its own', async () => {
    const [a, b] = MemoryEnd.pair();
    const got: string[] = [];
    b.on('data', (d: Buffer) => got.push(d.toString()));
    const ended = new Promise<void>((r) => b.once('end', () => r()));
    const aClosed = new Promise<void>((r) => a.once('close', () => r()));
    a.resume();
    a.write('one');
    a.write('two');
    expect(got).toEqual([]);
    a.end();
    await ended;
    expect(got).toEqual(['one', 'two']);
    expect([a.bytesWritten, b.bytesRead]).toEqual([6, 6]);
    // Not half-open, as a net.Socket: b ended its side, a sees the end and both close.
    await aClosed;
    expect(b.writableEnded).toBe(true);
  });

  it('a close with unread data, or a write to a closed end, is a reset (ECONNRESET); a close with none is a FIN', async () => {
    const errorOf = (s: MemoryEnd) => new Promise<string>((r) => s.once('error', (e: NodeJS.ErrnoException) => r(e.code ?? '')));
    {
      const [a, b] = MemoryEnd.pair();
      b.pause();
      a.write('unread');
      await tick(5);
      const err = errorOf(a);
      b.destroy();
      expect(await err).toBe('ECONNRESET');
    }
    {
      const [a, b] = MemoryEnd.pair();
      a.resume();
      const end = new Promise<void>((r) => a.once('end', () => r()));
      b.destroy();
      await end;
      // a ended its side as the FIN came (no half-open): what it writes now is refused, not sent.
      expect(a.writableEnded).toBe(true);
    }
    {
      // b does not read: the FIN of a's close stays unread, b's side stays open, and its bytes reach a closed end.
      const [a, b] = MemoryEnd.pair();
      b.pause();
      const err = errorOf(b);
      a.destroy();
      await tick(5);
      expect(b.writableEnded).toBe(false);
      b.write('late');
      expect(await err).toBe('ECONNRESET');
    }
  });

  it('idle once connected; not idle while its answer is unread; idle after its alert only once the close has arrived', async () => {
    const c = await target.connect(ctx('mem-idle-1'));
    const sock = c.stream as unknown as Socket;
    expect(c.peer).toBe('reference server (in memory)');
    await whenIdle(c.idle!, sock);
    sock.pause();
    sock.write(clientHello());
    expect(c.idle!.idle()).toBe(false);
    await tick();
    expect(c.idle!.idle()).toBe(false);
    const got: Buffer[] = [];
    sock.on('data', (d: Buffer) => got.push(d));
    sock.resume();
    await whenIdle(c.idle!, sock);
    expect(Buffer.concat(got)[0]).toBe(22);
    expect(Buffer.concat(got).length).toBeGreaterThan(500);
    sock.destroy();

    const d = await target.connect(ctx('mem-idle-2'));
    const s2 = d.stream as unknown as Socket;
    const atData: boolean[] = [];
    s2.on('data', () => atData.push(d.idle!.idle()));
    s2.write(Buffer.from('1703030005' + '0000000000', 'hex'));
    await new Promise<void>((r) => s2.once('end', () => r()));
    expect(atData.length).toBeGreaterThan(0);
    expect(atData.every((x) => x === false)).toBe(true);
    expect(d.idle!.idle()).toBe(true);
    s2.destroy();
  });

  it('a case sees the same over memory as over TCP: fuzz conversations of each role and version, fixed seed', async () => {
    const fc = (await import('fast-check')).default;
    const { applyFaults, baseScenario, caseOf, conversationArbitrary, shapeCollector } = await import('../fuzz/conversation.ts');
    const { play } = await import('../fuzz/outcome.ts');
    const tcp = new ReferenceTarget({ recordErrors: true });
    const mem = new ReferenceTarget({ recordErrors: true, inMemory: true });
    await tcp.start();
    const po = { timeoutMs: 5000, expectTimeoutMs: 500 };
    // What a case observed; the rule's detail may quote random bytes (a key share read as a length), so not that.
    // (A harness error's reason carries its stack, whose frames differ with the way the connection came.)
    const seen = (p: Awaited<ReturnType<typeof play>>) => [p.outcome.kind === 'error' ? 'error' : p.outcome, p.step, p.rule?.rule, p.rule?.alert, p.result.verdict, p.result.reason?.split('\n')[0], p.result.expected, p.result.observed];
    try {
      let n = 0;
      for (const setting of ['server-tls13', 'server-tls12', 'client-tls13', 'client-tls12'] as const) {
        const scenario = baseScenario(setting);
        const { shapes, onSend } = shapeCollector();
        await play(tcp, caseOf(scenario, scenario.steps, `eq-base-${setting}`), { ...po, onSend });
        // Faults on a message that carries a signature: an ECDSA signature is 70 to 72 bytes, so a length or
        // position fault on it gives one outcome or another from run to run, over either transport.
        const signed = (i: number) => ['CertificateVerify', 'ServerKeyExchange'].includes((scenario.steps[i] as { message?: string }).message ?? '');
        for (const c of fc.sample(conversationArbitrary({ setting, scenario, shapes }), { seed: 15, numRuns: 40 })) {
          if (c.faults.some((f) => signed(f.step))) continue;
          const steps = applyFaults(scenario.steps, c.faults);
          const id = `eq-${n++}`;
          const [a, b] = await Promise.all([play(tcp, caseOf(scenario, steps, `${id}-tcp`), po), play(mem, caseOf(scenario, steps, `${id}-mem`), po)]);
          let want = seen(a);
          // Other random bytes may still decide (a key share read as a length): what memory saw must come over TCP too.
          for (let k = 0; k < 5 && JSON.stringify(seen(b)) !== JSON.stringify(want); k++) want = seen(await play(tcp, caseOf(scenario, steps, `${id}-tcp-${k}`), po));
          expect({ faults: c.faults, seen: seen(b) }).toEqual({ faults: c.faults, seen: want });
        }
      }
    } finally {
      await Promise.all([tcp.stop(), mem.stop()]);
    }
  }, 120_000);

  it('the client role too: the engine takes the client connection from connectClient, no listener', async () => {
    const { baseScenario, caseOf } = await import('../fuzz/conversation.ts');
    const { runCase } = await import('../engine/run-case.ts');
    const scenario = baseScenario('client-tls13');
    const r = await runCase(caseOf(scenario, scenario.steps, 'mem-client'), target, { timeoutMs: 5000, expectTimeoutMs: 500 });
    expect(r.verdict).toBe('pass');
    expect(r.transcript?.[0]?.name).toBe('reference client (in memory)');
    // Without inMemory, no such method: the client connects over TCP to the harness's listener.
    expect(new ReferenceTarget().connectClient).toBeUndefined();
  });
});
