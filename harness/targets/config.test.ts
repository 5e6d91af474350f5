import { roleCapabilities } from './types.ts';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { UsageError } from '../errors.ts';
import { REFERENCE_CAPABILITIES, ReferenceTarget } from './reference.ts';
import {
  PERMISSIVE_CAPABILITIES,
  TARGETS_DIR,
  TargetUnavailableError,
  listTargetNames,
  loadTargetConfig,
  loadTrustRoots,
  withTargetSettings,
  parseTargetConfig,
  resolveTarget,
} from './config.ts';
import { ProcessTarget } from './process.ts';
import { NodeTlsTarget } from './node-tls.ts';
import { ProcessPool } from './pool.ts';
import { TcpTarget, parseTcpUrl } from './tcp.ts';
import { MINIMAL_CAPABILITIES_YAML as CAPS } from './testing.ts';

const SERVER = `server:
  command: ["openssl", "s_server", "-accept", "127.0.0.1:{port}", "-cert", "{cert}", "-key", "{key}"]
  ready: { stdout: ACCEPT }
`;

/** The UsageError a config text produces, as the one line the CLI prints. */
function errorOf(text: string, file = 'implementations/targets/x.yaml'): string {
  try {
    parseTargetConfig(text, file);
  } catch (e) {
    expect(e).toBeInstanceOf(UsageError);
    return (e as UsageError).line();
  }
  throw new Error('no error');
}

describe('target config parsing', () => {
  it('parses the shipped configs', () => {
    const openssl = loadTargetConfig(join(TARGETS_DIR, 'openssl.yaml'));
    expect(openssl.kind).toBe('process');
    expect(openssl.server?.command[0]).toBe('openssl');
    expect(openssl.server?.ready).toMatchObject({ stdout: 'ACCEPT', port: true });
    expect(openssl.client?.stdin).toBe('keep');
    expect(openssl.client?.resume_args).toEqual(['-sess_in', '{session}']);
    expect(openssl.capabilities.concurrent).toBe(false);
    expect(openssl.capabilities.cipher_suites).toContain('TLS_CHACHA20_POLY1305_SHA256');
    expect(openssl.capabilities.groups).toEqual(expect.arrayContaining(['x25519', 'secp256r1', 'secp384r1', 'ffdhe2048']));
    expect(openssl.certificates).toEqual(['p256']);
    const node = loadTargetConfig(join(TARGETS_DIR, 'node.yaml'));
    expect(node.kind).toBe('node-tls');
    expect(node.certificates).toEqual(['p256', 'rsa']);
    expect(node.node).toMatchObject({ min_version: 'TLSv1.2', max_version: 'TLSv1.3', alpn: ['http/1.1'] });
    const ref = loadTargetConfig(join(TARGETS_DIR, 'reference.yaml'));
    expect(ref.kind).toBe('reference');
    expect(ref.capabilities).toEqual(REFERENCE_CAPABILITIES);
  });

  it('parses a minimal process config with defaults', () => {
    const c = parseTargetConfig(`kind: process\n${SERVER}${CAPS}expected_failures:\n  - { id: "tls13-x-*", reason: "  sends Y  " }\n`, 'x.yaml');
    expect(c.name).toBe('x');
    expect(c.server).toMatchObject({ per_case: false, ready: { stdout: 'ACCEPT', timeout_ms: 10000 } });
    expect(c.capabilities.features).toEqual([]);
    expect(c.capabilities.concurrent).toBe(false);
    expect(c.expected_failures).toEqual([{ id: 'tls13-x-*', reason: 'sends Y' }]);
  });

  it('ports: a range for a process server\'s {port}, checked where it is written; --ports wins', () => {
    expect(parseTargetConfig(`kind: process\nports: 20000-20099\n${SERVER}${CAPS}`, 'x.yaml').ports).toEqual({ min: 20000, max: 20099 });
    expect(parseTargetConfig(`kind: process\nports: 24433\n${SERVER}${CAPS}`, 'x.yaml').ports).toEqual({ min: 24433, max: 24433 });
    expect(() => parseTargetConfig(`kind: process\nports: 30000-20000\n${SERVER}${CAPS}`, 'x.yaml')).toThrow(/the range '30000-20000' is empty/);
    try {
      parseTargetConfig(`kind: process\nports: [1, 2]\n${SERVER}${CAPS}`, 'x.yaml');
      expect.unreachable();
    } catch (e) {
      expect((e as UsageError).where).toBe('x.yaml:2:8');
      expect((e as Error).message).toBe("ports must be a port range such as '20000-20999'");
    }
    expect(() => parseTargetConfig(`kind: tcp\nports: 20000-20099\ntcp: { host: localhost, port: 4433 }\n`, 'x.yaml')).toThrow("'ports' does not apply to kind tcp");
  });

  it('reports YAML syntax errors with file:line:col', () => {
    expect(errorOf('kind: process\nserver: [unclosed\n')).toMatch(/^implementations\/targets\/x\.yaml:\d+:\d+: /);
  });

  it('reports unknown keys with a hint and their position', () => {
    expect(errorOf(`kind: process\n${SERVER}${CAPS}expected_failure: []\n`)).toBe(
      "implementations/targets/x.yaml:11:1: unknown key 'expected_failure' in the target config (did you mean 'expected_failures'?); allowed: name, kind, description, requires_binary, server, client, tcp, node, certificate, stop_grace_ms, ports, capabilities, expected_failures, probe, trust, install",
    );
    expect(errorOf(`kind: process\nserver:\n  command: ["x", "{port}"]\n  redy: { port: true }\n${CAPS}`)).toMatch(/^implementations\/targets\/x\.yaml:4:3: unknown key 'redy' in server \(did you mean 'ready'\?\)/);
  });

  it('requires a reason for every expected failure', () => {
    expect(errorOf(`kind: process\n${SERVER}${CAPS}expected_failures:\n  - { id: "tls13-*" }\n`)).toBe(
      "implementations/targets/x.yaml:12:5: expected_failures[0]: missing 'reason' (why the case fails against this target is mandatory)",
    );
    expect(errorOf(`kind: process\n${SERVER}${CAPS}expected_failures:\n  - id: "tls13-*"\n    reason: "  "\n`)).toBe(
      'implementations/targets/x.yaml:13:13: expected_failures[0].reason must not be empty',
    );
  });

  it('capabilities.client: the client role\'s own lists, each replacing the shared one for client-role cases', () => {
    const client = `client:\n  command: ["openssl", "s_client", "-connect", "{host}:{port}"]\n`;
    const caps = CAPS.replace('roles: [server]', 'roles: [server, client]');
    const c = parseTargetConfig(`kind: process\n${SERVER}${client}${caps}  client:\n    cipher_suites: [TLS_AES_128_GCM_SHA256, TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256]\n    versions: [tls13, tls12]\n`, 'x.yaml');
    expect(c.capabilities.client).toEqual({ cipher_suites: ['TLS_AES_128_GCM_SHA256', 'TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256'], versions: ['tls13', 'tls12'] });
    expect(roleCapabilities(c.capabilities, 'client')).toMatchObject({ versions: ['tls13', 'tls12'], groups: ['x25519'], cipher_suites: ['TLS_AES_128_GCM_SHA256', 'TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256'] });
    expect(roleCapabilities(c.capabilities, 'server')).toMatchObject({ versions: ['tls13'], cipher_suites: ['TLS_AES_128_GCM_SHA256'] });
    expect(errorOf(`kind: process\n${SERVER}${client}${caps}  client:\n    groups: [x2559]\n`)).toMatch(/^implementations\/targets\/x.yaml:\d+:\d+: unknown group 'x2559' \(did you mean 'x25519'\?\)/);
    expect(errorOf(`kind: process\n${SERVER}${client}${caps}  client:\n    roles: [client]\n`)).toMatch(/unknown key 'roles' in capabilities.client/);
    expect(errorOf(`kind: process\n${SERVER}${CAPS}  client:\n    groups: [x25519]\n`)).toMatch(/^implementations\/targets\/x.yaml:\d+:\d+: capabilities.client: the target has no client role$/);
  });

  it('takes several case globs with one reason (ids), and refuses id with ids, or an empty list', () => {
    const c = parseTargetConfig(`kind: process\n${SERVER}${CAPS}expected_failures:\n  - ids: ["tls13-a", "tls13-b-*"]\n    reason: sends Y\n`, 'x.yaml');
    expect(c.expected_failures).toEqual([{ id: 'tls13-a', reason: 'sends Y' }, { id: 'tls13-b-*', reason: 'sends Y' }]);
    expect(errorOf(`kind: process\n${SERVER}${CAPS}expected_failures:\n  - { id: a, ids: [b], reason: r }\n`)).toMatch(/^implementations\/targets\/x.yaml:12:\d+: expected_failures\[0\]: 'id' and 'ids' together; give one of them$/);
    expect(errorOf(`kind: process\n${SERVER}${CAPS}expected_failures:\n  - { ids: [], reason: r }\n`)).toMatch(/^implementations\/targets\/x.yaml:12:\d+: expected_failures\[0\].ids is empty$/);
    expect(errorOf(`kind: process\n${SERVER}${CAPS}expected_failures:\n  - { ids: ["a b"], reason: r }\n`)).toMatch(/expected_failures\[0\].ids\[0\] 'a b' contains white space$/);
  });

  it('checks kinds, names, roles and capabilities', () => {
    expect(errorOf(`kind: proces\n${SERVER}${CAPS}`)).toBe("implementations/targets/x.yaml:1:7: kind must be one of reference, tcp, process, node-tls, not 'proces' (did you mean 'process'?)");
    expect(errorOf(`${SERVER}${CAPS}`)).toMatch(/x\.yaml:1:1: missing 'kind'/);
    expect(errorOf(`kind: process\n${SERVER}`)).toMatch(/x\.yaml:1:1: missing 'capabilities'/);
    expect(errorOf(`kind: process\n${SERVER}${CAPS.replace('x25519', 'x25591')}`)).toBe(
      "implementations/targets/x.yaml:9:12: unknown group 'x25591' (did you mean 'x25519'?) (IANA names, e.g. secp256r1)",
    );
    expect(errorOf(`kind: process\n${SERVER}${CAPS.replace('[server]', '[server, client]')}`)).toBe("implementations/targets/x.yaml:6:19: role 'client' needs a 'client' section");
    expect(errorOf(`kind: process\n${SERVER}${CAPS.replace('[tls13]', '[tls1.3]')}`)).toMatch(/x\.yaml:7:14: unknown version 'tls1\.3'/);
    expect(errorOf(`name: other\nkind: process\n${SERVER}${CAPS}`)).toMatch(/x\.yaml:1:7: name 'other' differs from the file name 'x'/);
    expect(errorOf(`kind: node-tls\n${SERVER}${CAPS}`)).toBe("implementations/targets/x.yaml:2:1: 'server' does not apply to kind node-tls");
    expect(errorOf(`kind: process\n${CAPS}`)).toMatch(/x\.yaml:1:7: a process target needs a 'server' or a 'client' section/);
    expect(errorOf(`kind: reference\ncertificate: p255\n`)).toMatch(/x\.yaml:2:14: certificate must be one of rsa, p256, p384, p521, ed25519, ed448, client, not 'p255' \(did you mean 'p256'\?\)/);
  });

  it('checks commands and their placeholders', () => {
    expect(errorOf(`kind: process\nserver:\n  command: "openssl s_server"\n${CAPS}`)).toMatch(/x\.yaml:3:12: server\.command must be a list of arguments \(no shell\)/);
    expect(errorOf(`kind: process\nserver:\n  command: ["s", "{prot}"]\n${CAPS}`)).toMatch(/x\.yaml:3:18: server\.command: unknown placeholder \{prot\}/);
    expect(errorOf(`kind: process\nserver:\n  command: ["s", "{port}", "{cert:p224}"]\n${CAPS}`)).toMatch(/x\.yaml:3:28: server\.command: unknown certificate 'p224'/);
    expect(errorOf(`kind: process\nserver:\n  command: ["s", "-p", "4433"]\n${CAPS}`)).toMatch(/x\.yaml:3:12: server\.command must use \{port\}/);
    expect(errorOf(`kind: process\nserver:\n  command: ["s", "{port}", "{session}"]\n${CAPS}`)).toMatch(/unknown placeholder \{session\}/);
    expect(errorOf(`kind: process\nserver:\n  command: ["s", "{port}"]\n  ready: { timeout_ms: 5 }\n${CAPS}`)).toMatch(/x\.yaml:4:10: server\.ready needs stdout/);
    expect(errorOf(`kind: process\nclient:\n  command: ["c", "{host}:{port}"]\n  stdin: open\n${CAPS.replace('[server]', '[client]')}`)).toMatch(
      /x\.yaml:4:10: client\.stdin must be one of close, keep, not 'open'/,
    );
  });

  it('checks tcp and node sections', () => {
    expect(errorOf(`kind: tcp\n${CAPS}`)).toMatch(/x\.yaml:1:7: a tcp target needs a 'tcp' section/);
    expect(errorOf(`kind: tcp\ntcp: { host: h, port: 70000 }\n${CAPS}`)).toMatch(/x\.yaml:2:23: tcp\.port must be between 1 and 65535/);
    expect(errorOf(`kind: node-tls\nnode: { min_version: TLSv1.3, max_version: TLSv1.2 }\n${CAPS}`)).toMatch(/min_version TLSv1\.3 is above max_version TLSv1\.2/);
    expect(errorOf(`kind: node-tls\nnode: { min_version: TLSv1.1 }\n${CAPS}`)).toMatch(/x\.yaml:2:22: node\.min_version must be one of TLSv1\.2, TLSv1\.3/);
  });

  it('reports a missing file as one line', () => {
    expect(() => loadTargetConfig('/nonexistent/t.yaml')).toThrow(/no such target config file/);
  });
});

describe('probe and trust in target configs', () => {
  const OTHER_CA = fileURLToPath(new URL('./fixtures/other-pki/ca.pem', import.meta.url));
  const dir = mkdtempSync(join(tmpdir(), 'th-trust-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('tcp targets probe by default and need no capabilities; others probe when asked', () => {
    const tcp = parseTargetConfig('kind: tcp\ntcp: { host: 127.0.0.1, port: 4433 }\n', 'lab.yaml');
    expect(tcp.probe).toBe(true);
    expect(tcp.capabilitiesGiven).toBe(false);
    expect(tcp.capabilities.roles).toEqual(['server']);
    expect(parseTargetConfig(`kind: tcp\ntcp: { host: h, port: 1 }\nprobe: false\n${CAPS}`, 'lab.yaml').probe).toBe(false);
    const proc = parseTargetConfig(`kind: process\n${SERVER}probe: true\n`, 'x.yaml');
    expect(proc.probe).toBe(true);
    expect(proc.capabilities.roles).toEqual(['server']);
    expect(proc.capabilities.concurrent).toBe(false);
    expect(parseTargetConfig(`kind: process\n${SERVER}${CAPS}`, 'x.yaml').probe).toBe(false);
  });

  it('checks probe and trust with file:line:col', () => {
    expect(errorOf('kind: tcp\ntcp: { host: h, port: 1 }\nprobe: false\n')).toMatch(/x\.yaml:1:1: missing 'capabilities': .* or set probe: true$/);
    expect(errorOf('kind: tcp\ntcp: { host: h, port: 1 }\nprobe: yes please\n')).toBe('implementations/targets/x.yaml:3:8: probe must be true or false');
    expect(errorOf(`kind: process\nclient:\n  command: ["c", "{host}:{port}"]\nprobe: true\n${CAPS.replace('[server]', '[client]')}`)).toMatch(
      /x\.yaml:4:8: probe: true needs a 'server' section/,
    );
    expect(errorOf('kind: tcp\ntcp: { host: h, port: 1 }\ntrust: { cа: x.pem }\n')).toMatch(/x\.yaml:3:10: unknown key 'cа' in trust/);
    expect(errorOf('kind: tcp\ntcp: { host: h, port: 1 }\ntrust: { verify_chain: no }\n')).toBe('implementations/targets/x.yaml:3:24: trust.verify_chain must be true or false');
    expect(errorOf('kind: tcp\ntcp: { host: h, port: 1 }\ntrust:\n  ca: missing-ca.pem\n')).toMatch(/^implementations\/targets\/x\.yaml:4:7: trust\.ca: missing-ca\.pem: cannot read \(ENOENT\)$/);
    writeFileSync(join(dir, 'bad.pem'), 'not a certificate\n');
    expect(errorOf('kind: tcp\ntcp: { host: h, port: 1 }\ntrust: { ca: bad.pem }\n', join(dir, 'lab.yaml'))).toMatch(/lab\.yaml:3:14: trust\.ca: bad\.pem: not a PEM certificate$/);
  });

  it('trust.ca is read relative to the config file; resolveTarget gives the target its trust, flags over the file', () => {
    writeFileSync(join(dir, 'ca.pem'), readFileSync(OTHER_CA));
    writeFileSync(join(dir, 'lab.yaml'), 'kind: tcp\ntcp: { host: 127.0.0.1, port: 4433 }\ntrust: { ca: ca.pem }\n');
    const t = resolveTarget(join(dir, 'lab.yaml'));
    expect(t.probe).toBe(true);
    expect(t.trust?.verify).toBe(true);
    expect(t.trust?.source).toBe('ca.pem');
    expect(t.trust?.roots.map((c) => c.subject)).toEqual(['O=tls-harness\nCN=tls-harness other CA']);
    const off = resolveTarget(join(dir, 'lab.yaml'), { trust: { verify: false } });
    expect(off.trust).toMatchObject({ verify: false, source: 'ca.pem' });
    // --no-probe on a config that relies on the probe for its capabilities: nothing to use instead.
    expect(() => resolveTarget(join(dir, 'lab.yaml'), { probe: false })).toThrow(/--no-probe: .*lab\.yaml has no 'capabilities' to use instead of the probe's/);
    writeFileSync(join(dir, 'lab2.yaml'), `kind: tcp\ntcp: { host: 127.0.0.1, port: 4433 }\n${CAPS}`);
    const hand = resolveTarget(join(dir, 'lab2.yaml'), { probe: false });
    expect(hand.probe).toBe(false);
    expect(hand.capabilities.groups).toEqual(['x25519']);
  });

  it('tcp:// URLs probe unless told not to, and take --ca / --no-verify-chain', () => {
    const url = resolveTarget('tcp://127.0.0.1:4433');
    expect(url.probe).toBe(true);
    expect(url.trust).toBeUndefined();
    const roots = loadTrustRoots(OTHER_CA);
    const withCa = resolveTarget('tcp://127.0.0.1:4433', { probe: false, trust: { roots, source: 'ca.pem', verify: true } });
    expect(withCa.probe).toBe(false);
    expect(withCa.trust).toMatchObject({ verify: true, source: 'ca.pem' });
    expect(resolveTarget('tcp://127.0.0.1:4433', { trust: { verify: false } }).trust).toMatchObject({ verify: false, source: 'the test CA' });
    expect(() => loadTrustRoots('/nonexistent/ca.pem', 'run: --ca')).toThrow(/^\/nonexistent\/ca\.pem: cannot read \(ENOENT\)$/);
  });

  it('withTargetSettings overrides capabilities and trust and keeps every method of the target', async () => {
    const ref = new ReferenceTarget();
    const caps = { ...REFERENCE_CAPABILITIES, groups: ['x25519'] };
    const w = withTargetSettings(ref, { capabilities: caps, trust: { roots: [], verify: false } });
    expect(w.capabilities).toBe(caps);
    expect(w.trust?.verify).toBe(false);
    expect(w.name).toBe('reference');
    expect(w).toBeInstanceOf(ReferenceTarget);
    await w.start(new AbortController().signal);
    const conn = await w.connect({ caseId: 'a', signal: new AbortController().signal });
    expect(conn.peer).toMatch(/^reference server 127\.0\.0\.1:\d+$/);
    await w.stop();
  });
});

describe('resolveTarget', () => {
  const dir = mkdtempSync(join(tmpdir(), 'targets-test-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('resolves each kind', () => {
    // `reference` is implementations/targets/reference.yaml when it exists, the built-in target otherwise.
    const ref = resolveTarget();
    expect(ref.name).toBe('reference');
    expect(ref.capabilities).toEqual(REFERENCE_CAPABILITIES);
    expect(ref.launchClient).toBeTypeOf('function');
    expect(resolveTarget('reference', { dir })).toBeInstanceOf(ReferenceTarget);
    expect(resolveTarget('node')).toBeInstanceOf(NodeTlsTarget);
    expect(resolveTarget('node').capabilities.versions).toEqual(['tls13', 'tls12']);
    const tcp = resolveTarget('tcp://127.0.0.1:4433', { capabilities: { versions: ['tls13'], groups: ['x25519'] } });
    expect(tcp).toBeInstanceOf(TcpTarget);
    expect(tcp.name).toBe('tcp://127.0.0.1:4433');
    expect(tcp.capabilities).toMatchObject({ roles: ['server'], versions: ['tls13'], groups: ['x25519'] });
    expect(tcp.capabilities.cipher_suites).toEqual(PERMISSIVE_CAPABILITIES.cipher_suites);
    writeFileSync(join(dir, 'lab.yaml'), `kind: tcp\ntcp: { host: 127.0.0.1, port: 4433 }\n${CAPS}`);
    expect(resolveTarget('lab', { dir })).toBeInstanceOf(TcpTarget);
    expect(resolveTarget(join(dir, 'lab.yaml'))).toBeInstanceOf(TcpTarget);
    writeFileSync(join(dir, 'srv.yaml'), `kind: process\nserver:\n  command: ["node", "{port}"]\n  ready: { port: true }\n${CAPS}`);
    expect(resolveTarget('srv', { dir })).toBeInstanceOf(ProcessTarget);
  });

  it('{dir} is the config file\'s folder: a wrapper script beside the config runs from wherever the harness runs', async () => {
    const sub = mkdtempSync(join(dir, 'wrapped-'));
    // The script says where it was started from and exits: the start fails, and its message has the command.
    writeFileSync(join(sub, 'srv.sh'), '#!/bin/sh\necho "started as $0 on port $1"\nexit 3\n', { mode: 0o755 });
    writeFileSync(join(sub, 'wrapped.yaml'), `kind: process\nserver:\n  command: ["{dir}/srv.sh", "{port}"]\n  ready: { port: true, timeout_ms: 2000 }\n${CAPS}`);
    const t = resolveTarget(join(sub, 'wrapped.yaml'));
    const err = await t.start(new AbortController().signal).then(() => undefined, (e: Error) => e);
    await t.stop();
    expect(err?.message).toContain(`started as ${join(sub, 'srv.sh')} on port `);
    expect(err?.message).toMatch(/exited with code 3/);
  });

  it('names the closest target for an unknown name', () => {
    expect(() => resolveTarget('opensl')).toThrow(UsageError);
    expect(() => resolveTarget('opensl')).toThrow(/^unknown target 'opensl' \(did you mean 'openssl'\?\); known targets: .*node, .*openssl, reference/);
    expect(listTargetNames()).toEqual(expect.arrayContaining(['node', 'openssl', 'reference']));
  });

  it('rejects bad URLs', () => {
    expect(() => resolveTarget('https://example.org')).toThrow(/unsupported target URL 'https:\/\/example.org': only tcp:\/\/host:port/);
    expect(() => resolveTarget('tcp://127.0.0.1')).toThrow(/expected tcp:\/\/host:port/);
    expect(() => resolveTarget('tcp://127.0.0.1:0')).toThrow(/port 0 is not in 1-65535/);
    expect(parseTcpUrl('tcp://[::1]:4433')).toEqual({ host: '::1', port: 4433 });
  });

  it('reports a missing binary as an unavailable target, in one line', () => {
    writeFileSync(join(dir, 'ghost.yaml'), `kind: process\nrequires_binary: tls-harness-no-such-binary\n${SERVER}${CAPS}`);
    let err: unknown;
    try {
      resolveTarget('ghost', { dir });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(TargetUnavailableError);
    expect(err).toBeInstanceOf(UsageError);
    expect((err as UsageError).line()).toMatch(/^target 'ghost' is unavailable: 'tls-harness-no-such-binary' is not installed \(not found on PATH\), required at .*ghost\.yaml:2:18$/);
  });
});

describe('server.pool', () => {
  const dir = mkdtempSync(join(tmpdir(), 'targets-pool-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const POOL_SERVER = `server:\n  command: ["node", "{port}"]\n  ready: { port: true }\n  pool: true\n`;

  it('is a boolean, not with per_case, not for a concurrent server; the shipped openssl config allows it', () => {
    expect(parseTargetConfig(`kind: process\n${POOL_SERVER}${CAPS}`, 'x.yaml').server?.pool).toBe(true);
    expect(parseTargetConfig(`kind: process\n${SERVER}${CAPS}`, 'x.yaml').server?.pool).toBeUndefined();
    expect(errorOf(`kind: process\n${POOL_SERVER.replace('pool: true', 'pool: 4')}${CAPS}`, 'x.yaml')).toMatch(/^x\.yaml:5:\d+: server\.pool must be true or false/);
    expect(errorOf(`kind: process\n${POOL_SERVER}  per_case: true\n${CAPS}`, 'x.yaml')).toMatch(/^x\.yaml:5:3: server\.pool: a per_case server is already one process per case/);
    expect(errorOf(`kind: process\n${POOL_SERVER}${CAPS}  concurrent: true\n`, 'x.yaml')).toMatch(/server\.pool: the target takes several connections at once \(capabilities\.concurrent: true\)/);
    expect(loadTargetConfig(join(TARGETS_DIR, 'openssl.yaml')).server?.pool).toBe(true);
  });

  it('resolveTarget: instances > 1 with pool: true is a pool of that many; otherwise one process target', () => {
    writeFileSync(join(dir, 'pooled.yaml'), `kind: process\n${POOL_SERVER}${CAPS}`);
    writeFileSync(join(dir, 'single.yaml'), `kind: process\n${POOL_SERVER.replace('  pool: true\n', '')}${CAPS}`);
    const p = resolveTarget('pooled', { dir, instances: 3 });
    expect(p).toBeInstanceOf(ProcessPool);
    expect((p as ProcessPool).members).toHaveLength(3);
    expect(p.instances).toBe(3);
    expect(p.capabilities.concurrent).toBe(false);
    expect(resolveTarget('pooled', { dir, instances: 1 })).toBeInstanceOf(ProcessTarget);
    expect(resolveTarget('pooled', { dir })).toBeInstanceOf(ProcessTarget);
    expect(resolveTarget('single', { dir, instances: 3 })).toBeInstanceOf(ProcessTarget);
    // Settings over a pool (the probe's capabilities) keep its instances.
    expect(withTargetSettings(p, { probe: true }).instances).toBe(3);
  });
});

describe('cauth: server.client_auth', () => {
  it('is parsed, gives the feature request_client_certificate, and that feature needs it', () => {
    const cfg = parseTargetConfig(`kind: process\n${SERVER}  client_auth:\n    args: ["-verify", "1", "-CAfile", "{ca}"]\n${CAPS}`, 'x.yaml');
    expect(cfg.server?.client_auth).toEqual({ args: ['-verify', '1', '-CAfile', '{ca}'] });
    expect(cfg.capabilities.features).toContain('request_client_certificate');
    expect(parseTargetConfig(`kind: process\n${SERVER}${CAPS}`, 'x.yaml').capabilities.features).not.toContain('request_client_certificate');
    expect(errorOf(`kind: process\n${SERVER}  client_auth: {}\n${CAPS}`, 'x.yaml')).toMatch(/server\.client_auth: missing 'args'/);
    expect(parseTargetConfig(`kind: process\n${SERVER}  client_auth:\n    command: ["srv", "{port}", "-r"]\n${CAPS}`, 'x.yaml').server?.client_auth).toEqual({ command: ['srv', '{port}', '-r'] });
    expect(errorOf(`kind: process\n${SERVER}  client_auth:\n    command: ["srv", "-r"]\n${CAPS}`, 'x.yaml')).toMatch(/client_auth\.command must use \{port\}/);
    expect(errorOf(`kind: process\n${SERVER}  client_auth:\n    command: ["srv", "{port}"]\n    args: ["-r"]\n${CAPS}`, 'x.yaml')).toMatch(/give 'args' or 'command', not both/);
    expect(errorOf(`kind: process\n${SERVER}  client_auth:\n    args: ["{nope}"]\n${CAPS}`, 'x.yaml')).toMatch(/unknown placeholder \{nope\}/);
    expect(errorOf(`kind: process\n${SERVER}${CAPS}  features: [request_client_certificate]\n`, 'x.yaml')).toMatch(/feature 'request_client_certificate' needs a server\.client_auth block/);
    expect(loadTargetConfig(join(TARGETS_DIR, 'openssl.yaml')).capabilities.features).toContain('request_client_certificate');
    expect(REFERENCE_CAPABILITIES.features).toContain('request_client_certificate');
    // A probed config without capabilities: the permissive list has the feature only with the block.
    expect(loadTargetConfig(join(TARGETS_DIR, 'botan.yaml')).capabilities.features).not.toContain('request_client_certificate');
    expect(parseTargetConfig(`kind: process\nprobe: true\n${SERVER}`, 'x.yaml').capabilities.features).not.toContain('request_client_certificate');
    expect(PERMISSIVE_CAPABILITIES.features).not.toContain('request_client_certificate');
    expect(parseTargetConfig(`kind: process\nprobe: true\n${SERVER}  client_auth:\n    args: ["-verify", "1"]\n`, 'x.yaml').capabilities.features).toContain('request_client_certificate');
  });
});
