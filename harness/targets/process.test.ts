/**
 * The process adapter against the real `openssl` binary (skipped, with the reason printed, when it is not
 * installed): start and readiness, connections, crash detection, clean stops, per-case servers and the
 * client role.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { loadTargetConfig, resolveTarget, TARGETS_DIR } from './config.ts';
import { ProcessTarget, type ProcessTargetOptions } from './process.ts';
import { findBinary, liveProcessCount, pidAlive, portListening } from './processes.ts';
import { ctx, handshakeOver, rawListener, tlsListener, waitFor } from './testing.ts';
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import type { Target } from './types.ts';
import { TEST_PKI } from '../../implementations/reference/connection/testing.ts';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const OPENSSL = findBinary('openssl');
if (!OPENSSL) console.log('process adapter tests skipped: the openssl binary is not installed (not found on PATH)');

const CAPS: ProcessTargetOptions['capabilities'] = {
  roles: ['server', 'client'],
  versions: ['tls13'],
  cipher_suites: ['TLS_AES_128_GCM_SHA256'],
  groups: ['x25519'],
  signature_schemes: ['ecdsa_secp256r1_sha256'],
  features: [],
  concurrent: false,
};

describe.skipIf(!OPENSSL)('process adapter: openssl s_server', () => {
  let target: ProcessTarget;
  beforeAll(async () => {
    target = resolveTarget('openssl') as ProcessTarget;
    expect(target).toBeInstanceOf(ProcessTarget);
    await target.start(new AbortController().signal);
  });
  afterAll(() => target.stop());

  it('starts and serves TCP connections and TLS 1.3 / 1.2 handshakes', async () => {
    const pid = target.serverPid!;
    expect(pid).toBeGreaterThan(0);
    expect(pidAlive(pid)).toBe(true);
    expect(target.serverPort).toBeLessThan(32768);
    expect(portListening(target.serverPort!)).toBe(true);

    const raw = await target.connect(ctx('raw'));
    expect(raw.peer).toMatch(/^openssl server 127\.0\.0\.1:\d+ \(pid \d+\)$/);
    raw.stream.destroy();

    const t13 = await handshakeOver((await target.connect(ctx('tls13'))).stream);
    expect(t13).toMatchObject({ protocol: 'TLSv1.3', authorized: true });
    t13.socket.destroy();
    const t12 = await handshakeOver((await target.connect(ctx('tls12'))).stream, { maxVersion: 'TLSv1.2' });
    expect(t12).toMatchObject({ protocol: 'TLSv1.2', authorized: true });
    t12.socket.destroy();
    expect(target.takeCrash()).toBeUndefined();
  });

  it('reports a crash (the process group killed from outside) once, then restarts the server', async () => {
    const pid = target.serverPid!;
    process.kill(-pid, 'SIGKILL');
    await waitFor(() => !pidAlive(pid), 5000, 'the server to die');
    await waitFor(() => target.serverPid === undefined, 5000, 'the exit to be noticed');
    const crash = target.takeCrash();
    expect(crash).toMatch(new RegExp(`^openssl server \\(pid ${pid}\\) killed by SIGKILL`));
    expect(target.takeCrash()).toBeUndefined();
    // The next connection starts a new server.
    const conn = await target.connect(ctx('after-crash'));
    expect(target.serverPid).not.toBe(pid);
    const hs = await handshakeOver(conn.stream);
    expect(hs.protocol).toBe('TLSv1.3');
    hs.socket.destroy();
  });

  it('stops the process group and leaves no process behind', async () => {
    const pid = target.serverPid!;
    await target.stop();
    expect(pidAlive(pid)).toBe(false);
    expect(target.serverPid).toBeUndefined();
    expect(liveProcessCount()).toBe(0);
    expect(target.takeCrash()).toBeUndefined();
    await target.stop(); // idempotent
  });
});

describe.skipIf(!OPENSSL)('process adapter: starting and per-case servers', () => {
  const targets: ProcessTarget[] = [];
  const make = (o: Partial<ProcessTargetOptions>) => {
    const t = new ProcessTarget({ name: 'test', capabilities: CAPS, expectedFailures: [], certificate: 'p256', stop_grace_ms: 500, ...o });
    targets.push(t);
    return t;
  };
  afterEach(async () => {
    await Promise.all(targets.splice(0).map((t) => t.stop()));
    expect(liveProcessCount()).toBe(0);
  });

  it('fails to start with the exit status and the last lines of output', async () => {
    const t = make({
      server: { command: ['openssl', 's_server', '-accept', '127.0.0.1:{port}', '-cert', '/nonexistent.pem', '-www'], ready: { stdout: 'ACCEPT', timeout_ms: 5000 }, per_case: false },
    });
    await expect(t.start(new AbortController().signal)).rejects.toThrow(/^test server exited with code 1 before it was ready; last output: .*nonexistent/);
    expect(t.takeCrash()).toBeUndefined();
  });

  it('fails to start when the ready line never comes, and kills the process', async () => {
    const t = make({ server: { command: ['sleep', '30', '{port}'], ready: { stdout: 'never', timeout_ms: 300 }, per_case: false } });
    await expect(t.start(new AbortController().signal)).rejects.toThrow(/^test server printed no 'never' within 300 ms/);
    expect(liveProcessCount()).toBe(0);
  });

  it('waits for the listening port when asked to', async () => {
    const t = make({
      server: { command: ['openssl', 's_server', '-accept', '127.0.0.1:{port}', '-cert', '{cert}', '-key', '{key}', '-cert_chain', '{ca}', '-www', '-quiet'], ready: { port: true, timeout_ms: 5000 }, per_case: false },
    });
    await t.start(new AbortController().signal);
    expect(portListening(t.serverPort!)).toBe(true);
    const hs = await handshakeOver((await t.connect(ctx('a'))).stream);
    expect(hs.protocol).toBe('TLSv1.3');
    hs.socket.destroy();
  });

  it('per_case: one server per case, and its end is no crash', async () => {
    const t = make({
      server: {
        command: ['openssl', 's_server', '-accept', '127.0.0.1:{port}', '-cert', '{chain}', '-key', '{key}', '-www', '-naccept', '1'],
        ready: { stdout: 'ACCEPT', timeout_ms: 5000 },
        per_case: true,
      },
    });
    await t.start(new AbortController().signal);
    expect(t.serverPid).toBeUndefined(); // nothing until a case connects
    const a = await handshakeOver((await t.connect(ctx('case-a'))).stream);
    const pidA = t.serverPid!;
    a.socket.destroy();
    // -naccept 1: the server exits after its connection; a second connection of the same case gets a new one.
    await waitFor(() => !pidAlive(pidA), 5000, 'the single-connection server to exit');
    const a2 = await handshakeOver((await t.connect(ctx('case-a'))).stream);
    const pidA2 = t.serverPid!;
    expect(pidA2).not.toBe(pidA);
    const b = await handshakeOver((await t.connect(ctx('case-b'))).stream);
    expect(t.serverPid).not.toBe(pidA2);
    expect(pidAlive(pidA2)).toBe(false);
    a2.socket.destroy();
    b.socket.destroy();
    await t.endCase(ctx('case-b'));
    expect(t.serverPid).toBeUndefined();
    expect(t.takeCrash()).toBeUndefined();
  });
});

describe.skipIf(!OPENSSL)('process adapter: openssl s_client (client role)', () => {
  let target: ProcessTarget;
  beforeAll(() => {
    target = resolveTarget('openssl') as ProcessTarget;
  });
  afterAll(async () => {
    await target.stop();
    expect(liveProcessCount()).toBe(0);
  });

  it('launches s_client against our listener: a ClientHello arrives, and endCase kills the client', async () => {
    const l = await rawListener();
    try {
      await target.launchClient(ctx('hello', { host: '127.0.0.1', port: l.port }));
      const first = await l.firstBytes();
      expect(first[0]).toBe(0x16); // handshake record
      expect(first[5]).toBe(0x01); // ClientHello
      const [pid] = target.clientPids();
      expect(pidAlive(pid)).toBe(true); // stdin kept open: it waits for the server
      await target.endCase(ctx('hello'));
      expect(pidAlive(pid)).toBe(false);
      expect(target.clientPids()).toEqual([]);
      expect(target.takeCrash()).toBeUndefined();
    } finally {
      await l.close();
    }
  });

  it('completes a TLS 1.3 handshake with a node:tls server, then resumes in the same case', async () => {
    const l = await tlsListener();
    try {
      await target.launchClient(ctx('resume', { host: '127.0.0.1', port: l.port }));
      const s1 = await l.next();
      expect(s1.getProtocol()).toBe('TLSv1.3');
      expect(s1.isSessionReused()).toBe(false);
      expect((s1 as unknown as { servername?: string }).servername).toBe('localhost');
      // Let the tickets reach the client (it writes them to its -sess_out file), then close: s_client exits.
      await new Promise((r) => setTimeout(r, 300));
      s1.end();
      await waitFor(() => target.clientPids().length === 0, 5000, 's_client to exit');
      await target.launchClient(ctx('resume', { host: '127.0.0.1', port: l.port }));
      const s2 = await l.next();
      expect(s2.isSessionReused()).toBe(true);
      s2.end();
      await target.endCase(ctx('resume'));
      expect(target.takeCrash()).toBeUndefined();
    } finally {
      await l.close();
    }
  });

  it('kills a case\'s clients when the case ends (endCase), and all clients on stop()', async () => {
    const l = await rawListener();
    try {
      await target.launchClient(ctx('one', { host: '127.0.0.1', port: l.port }));
      await l.firstBytes();
      const [p1] = target.clientPids();
      await target.endCase!(ctx('one', { host: '127.0.0.1', port: l.port }));
      expect(pidAlive(p1)).toBe(false);
      await target.launchClient(ctx('two', { host: '127.0.0.1', port: l.port }));
      const [p2] = target.clientPids();
      expect(p2).not.toBe(p1);
      await target.stop();
      expect(pidAlive(p2)).toBe(false);
    } finally {
      await l.close();
    }
  });
});

describe.skipIf(!OPENSSL)('openssl config', () => {
  it('is the config the tests above ran', () => {
    expect(loadTargetConfig(join(TARGETS_DIR, 'openssl.yaml')).requires_binary).toBe('openssl');
  });
});

describe.skipIf(!OPENSSL)('process adapter: no process outlives the harness', () => {
  const fixture = fileURLToPath(new URL('./fixtures/hold-openssl.ts', import.meta.url));
  async function run(mode: 'wait' | 'exit', signal?: NodeJS.Signals): Promise<{ server: number; client: number; code: number | null; sig: string | null }> {
    const child = spawn(process.execPath, ['--import', 'tsx', fixture, mode], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    const pids = await new Promise<{ server: number; client: number }>((resolve, reject) => {
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        const line = out.split('\n').find((l) => l.startsWith('{'));
        if (line) resolve(JSON.parse(line));
      });
      child.once('exit', (code) => reject(new Error(`fixture exited (${code}) before printing its pids: ${out}`)));
    });
    expect(pidAlive(pids.server) || mode === 'exit').toBe(true);
    if (signal) child.kill(signal);
    const [code, sig] = await new Promise<[number | null, string | null]>((r) => (child.exitCode !== null ? r([child.exitCode, child.signalCode]) : child.once('exit', (c, s) => r([c, s]))));
    return { ...pids, code, sig };
  }

  it('kills its processes on SIGINT (and then dies of SIGINT)', async () => {
    const r = await run('wait', 'SIGINT');
    expect(r.sig).toBe('SIGINT');
    await waitFor(() => !pidAlive(r.server) && !pidAlive(r.client), 3000, 'the target processes to go');
  });

  it('kills its processes on SIGHUP (a closed terminal; its default action skips exit handlers)', async () => {
    const r = await run('wait', 'SIGHUP');
    expect(r.sig).toBe('SIGHUP');
    await waitFor(() => !pidAlive(r.server) && !pidAlive(r.client), 3000, 'the target processes to go');
  });

  it('kills its processes on SIGTERM and on a plain exit', async () => {
    const t = await run('wait', 'SIGTERM');
    expect(t.sig).toBe('SIGTERM');
    await waitFor(() => !pidAlive(t.server) && !pidAlive(t.client), 3000, 'the target processes to go');
    const e = await run('exit');
    expect(e.code).toBe(0);
    await waitFor(() => !pidAlive(e.server) && !pidAlive(e.client), 3000, 'the target processes to go');
  });
});

describe.skipIf(!OPENSSL)('cauth: server.client_auth (a second server for target_options.request_client_certificate)', () => {
  let target: ProcessTarget;
  beforeAll(async () => {
    target = resolveTarget('openssl') as ProcessTarget;
    expect(target).toBeInstanceOf(ProcessTarget);
    expect(target.capabilities.features).toContain('request_client_certificate');
    await target.start(new AbortController().signal);
  });
  afterAll(() => target.stop());

  it('routes those cases to its own process, started with client_auth.args, and back to the run server otherwise', async () => {
    const plain = await target.connect(ctx('plain'));
    expect(target.clientAuthServerPid).toBeUndefined();
    const auth = await target.connect({ ...ctx('auth'), options: { request_client_certificate: true } });
    const pid = target.clientAuthServerPid!;
    expect(pid).toBeGreaterThan(0);
    expect(pid).not.toBe(target.serverPid);
    expect(auth.peer).toContain(`(pid ${pid})`);
    expect(plain.peer).toContain(`(pid ${target.serverPid})`);
    const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    expect(argv).toEqual(expect.arrayContaining(['-verify', '1', '-verify_return_error']));
    plain.stream.destroy();
    // A node:tls client with the test client certificate completes the handshake with it.
    const hs = await handshakeOver(auth.stream, { cert: readFileSync(TEST_PKI.path('client-p256.pem')), key: readFileSync(TEST_PKI.path('client-p256.key')) });
    expect(hs.protocol).toBe('TLSv1.3');
    hs.socket.destroy();
    await target.endCase(ctx('auth'));
    expect(target.takeCrash('auth')).toBeUndefined();
    await target.stop();
    expect(pidAlive(pid)).toBe(false);
  });
});

describe('cauth: the shipped configs with server.client_auth start their client-authenticating server', () => {
  const client = () => ({ cert: readFileSync(TEST_PKI.path('client-p256.pem')), key: readFileSync(TEST_PKI.path('client-p256.key')) });
  for (const name of ['openssl', 'gnutls', 'boringssl', 'go', 'jsse', 'rustls', 'nss', 'wolfssl']) {
    it(`${name}: a TLS 1.3 handshake with the test client certificate`, async (t) => {
      let target: Target;
      try {
        target = resolveTarget(name);
      } catch (e) {
        t.skip(`${name} is unavailable: ${(e as Error).message}`);
        return;
      }
      expect(target.capabilities.features).toContain('request_client_certificate');
      await target.start(new AbortController().signal);
      try {
        const c = await target.connect({ ...ctx(`cauth-${name}`), options: { request_client_certificate: true } });
        const hs = await handshakeOver(c.stream, client());
        expect(hs.protocol).toBe('TLSv1.3');
        expect(hs.authorized).toBe(true);
        hs.socket.destroy();
        await target.endCase?.(ctx(`cauth-${name}`));
        expect(target.takeCrash?.(`cauth-${name}`)).toBeUndefined();
      } finally {
        await target.stop();
      }
    }, 30_000);
  }
});
