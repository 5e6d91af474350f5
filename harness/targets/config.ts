/**
 * Target configuration files (implementations/targets/<name>.yaml) and target resolution.
 *
 * `loadTargetConfig(path)` validates a file and returns a TargetConfig; the first problem found is thrown
 * as a UsageError whose `where` is `file:line:col` (exit code 2 from the CLI). `resolveTarget(nameOrUrl)`
 * turns what a user typed into a Target: `reference` (the default), the name of a config file in
 * implementations/targets/, a path to a config file, or `tcp://host:port`.
 *
 * The README's "Targets" section documents the format; implementations/targets/openssl.yaml is a full
 * example.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { LineCounter, isMap, isScalar, isSeq, parseDocument, type Node as YNode, type Pair, type Scalar, type YAMLMap } from 'yaml';
import { UsageError } from '../errors.ts';
import { fromRoot } from '../paths.ts';
import { CipherSuite, NamedGroup, SignatureScheme } from '../../implementations/reference/codec/enums.ts';
import { closest, hint } from '../scenario/text.ts';
import type { Role, VersionName } from '../scenario/model.ts';
import { REFERENCE_CAPABILITIES, ReferenceTarget } from './reference.ts';
import { CERTIFICATE_FILES, CLIENT_PLACEHOLDERS, PLACEHOLDERS, ProcessTarget, checkTemplate, type CertificateName, type ProcessClientSpec, type ProcessServerSpec, type ProcessTargetOptions } from './process.ts';
import { ProcessPool } from './pool.ts';
import { NodeTlsTarget, type NodeTlsSettings } from './node-tls.ts';
import { TcpTarget, parseTcpUrl } from './tcp.ts';
import { findBinary, parsePortRange } from './processes.ts';
import type { PortRange } from '../../implementations/reference/connection/ports.ts';
import { CredentialError, loadCertificates } from '../../implementations/reference/connection/credentials.ts';
import { TEST_PKI } from '../../implementations/reference/connection/testing.ts';
import { CAPABILITY_LISTS, type CapabilityList, type Capabilities, type ClientCapabilities, type ExpectedFailure, type Target, type TrustSettings } from './types.ts';

export const TARGET_KINDS = ['reference', 'tcp', 'process', 'node-tls'] as const;
export type TargetKind = (typeof TARGET_KINDS)[number];

/** Where the shipped target configs live. */
export const TARGETS_DIR = fromRoot('implementations/targets/');

/** Feature names the scenarios use today (a config may name others: they are free-form snake_case words). */
export const KNOWN_FEATURES = [
  'hello_retry_request',
  'psk',
  'early_data',
  'client_auth',
  'key_update',
  'alpn',
  'record_size_limit',
  // RFC 6066 4 max_fragment_length accepted by a TLS 1.3 server (optional: "MAY accept").
  'max_fragment_length',
  'middlebox_compat',
  'sni',
  // suite-sb: a TLS 1.2 server that accepts a (secure, RFC 5746) renegotiation; the reference refuses it.
  'renegotiation',
  // RFC 7366 encrypt-then-MAC for TLS 1.2 CBC suites (optional: BoringSSL and NSS do not implement it).
  'encrypt_then_mac',
  // RFC 7627 extended master secret in TLS 1.2 (optional: Go 1.19's crypto/tls does not implement it).
  'extended_master_secret',
  // A TLS 1.2 server that resumes by session ID (RFC 5246 7.4.1.2: it keeps a session cache; optional: lighttpd
  // keeps none), and one that issues RFC 5077 tickets (optional: botan tls_server issues none).
  'session_id_resumption',
  'session_ticket',
  // cauth: the target server can be told to request a client certificate (target_options.request_client_certificate);
  // set by the config loader for a `server.client_auth` block (and by the reference).
  'request_client_certificate',
] as const;

export interface TargetConfig {
  /** The file it came from. */
  file: string;
  name: string;
  kind: TargetKind;
  description?: string;
  /** A program that must be on PATH (or an absolute path) for the target to be available. */
  requires_binary?: string;
  /** The leaves given to the target: the first fills {cert} / {key} / {chain}. */
  certificates: CertificateName[];
  server?: ProcessServerSpec;
  client?: ProcessClientSpec;
  tcp?: { host: string; port: number; probe: boolean };
  node?: Partial<NodeTlsSettings>;
  stop_grace_ms?: number;
  /** `ports: 20000-20999`: where a process server's {port} is chosen (`run --ports` overrides it). */
  ports?: PortRange;
  capabilities: Capabilities;
  /** False when the file has no `capabilities` (allowed with probe: true: the probe finds them). */
  capabilitiesGiven: boolean;
  expected_failures: ExpectedFailure[];
  /** `file:line:col` of requires_binary, for the "unavailable" message. */
  requiresAt?: string;
  /** `probe:` run the capability probe before a run (default: true for kind tcp, false otherwise). */
  probe: boolean;
  /** `trust: { ca, verify_chain }`: roots loaded from `ca` (relative to the file), or the test CA. */
  trust?: TrustSettings;
  /** `install:` how `tls-harness install` installs the target and `tls-harness targets` checks it. */
  install?: InstallSpec;
}

/** A config's `install:` section (harness/targets/install.ts runs it). */
export interface InstallSpec {
  /** Debian packages: `apt-get install -y --no-install-recommends ...`. */
  apt: string[];
  /** Commands (argument vectors, {dir} expanded) run after the packages, in the config file's folder. */
  build: string[][];
  /** Exit code 0 = installed; the first non-empty line of its output is the version. */
  check?: string[];
  /** Each step (apt-get, one build command, the check) is stopped after this many seconds. */
  timeout_s: number;
  /** `file:line:col` of the section, for messages. */
  at: string;
}

/** The UsageError thrown when a target cannot run here (a binary is missing, nothing listens at a tcp:// URL). */
export class TargetUnavailableError extends UsageError {
  readonly unavailable = true;
}

// ---------------------------------------------------------------------------------------------------------
// Parsing

const TOP_KEYS = [
  'name',
  'kind',
  'description',
  'requires_binary',
  'server',
  'client',
  'tcp',
  'node',
  'certificate',
  'stop_grace_ms',
  'ports',
  'capabilities',
  'expected_failures',
  'probe',
  'trust',
  'install',
] as const;
const INSTALL_KEYS = ['apt', 'build', 'check', 'timeout_s'] as const;
/** The placeholders of install.build and install.check: {dir}, the config file's folder. */
export const INSTALL_PLACEHOLDERS = ['dir'] as const;
/** A Debian package name (Debian Policy 5.6.1), optionally with :arch and =version; never an option. */
const APT_PACKAGE_RE = /^[a-z0-9][a-z0-9+.-]+(?::[a-z0-9-]+)?(?:=[A-Za-z0-9.+~:-]+)?$/;
const TRUST_KEYS = ['ca', 'verify_chain'] as const;
const SERVER_KEYS = ['command', 'ready', 'per_case', 'pool', 'env', 'client_auth'] as const;
/** `server.client_auth`: how the server program requests (and verifies against {ca}) a client certificate. */
const CLIENT_AUTH_KEYS = ['args', 'command'] as const;
const READY_KEYS = ['stdout', 'stderr', 'port', 'timeout_ms'] as const;
const CLIENT_KEYS = ['command', 'stdin', 'resume_args', 'timeout_ms', 'env'] as const;
const TCP_KEYS = ['host', 'port', 'probe'] as const;
const NODE_KEYS = ['min_version', 'max_version', 'ciphers', 'ecdh_curve', 'sigalgs', 'alpn', 'session_tickets', 'session_cache', 'request_cert', 'resume', 'respond'] as const;
const CAP_KEYS = ['roles', 'versions', 'cipher_suites', 'groups', 'signature_schemes', 'features', 'concurrent', 'client'] as const;
const EF_KEYS = ['id', 'ids', 'reason'] as const;

class Reader {
  constructor(
    readonly file: string,
    private readonly lc: LineCounter,
  ) {}

  where(node: YNode | null | undefined): string {
    const offset = node?.range?.[0] ?? 0;
    const { line, col } = this.lc.linePos(offset);
    return `${this.file}:${line}:${col}`;
  }

  fail(node: YNode | null | undefined, message: string): never {
    throw new UsageError(message, this.where(node));
  }

  /** A mapping's entries by key, rejecting unknown and duplicate keys (with a "did you mean"). */
  map(node: YNode | null | undefined, what: string, keys: readonly string[]): Map<string, { key: YNode; value: YNode | null }> {
    if (!isMap(node)) this.fail(node, `${what} must be a mapping`);
    const out = new Map<string, { key: YNode; value: YNode | null }>();
    for (const pair of (node as YAMLMap).items as Pair<YNode, YNode | null>[]) {
      const k = pair.key;
      if (!isScalar(k) || typeof k.value !== 'string') this.fail(k ?? node, `${what}: keys must be plain words`);
      const name = (k as Scalar<string>).value;
      if (!keys.includes(name)) this.fail(k, `unknown key '${name}' in ${what}${hint(name, keys)}; allowed: ${keys.join(', ')}`);
      if (out.has(name)) this.fail(k, `duplicate key '${name}' in ${what}`);
      out.set(name, { key: k, value: pair.value ?? null });
    }
    return out;
  }

  string(node: YNode | null, what: string, opts: { nonEmpty?: boolean } = {}): string {
    if (!isScalar(node) || typeof node.value !== 'string') this.fail(node, `${what} must be a string`);
    const v = (node as Scalar<string>).value;
    if (opts.nonEmpty && v.trim() === '') this.fail(node, `${what} must not be empty`);
    return v;
  }

  bool(node: YNode | null, what: string): boolean {
    if (!isScalar(node) || typeof node.value !== 'boolean') this.fail(node, `${what} must be true or false`);
    return (node as Scalar<boolean>).value;
  }

  int(node: YNode | null, what: string, min: number, max: number): number {
    if (!isScalar(node) || typeof node.value !== 'number' || !Number.isInteger(node.value)) this.fail(node, `${what} must be an integer`);
    const v = (node as Scalar<number>).value;
    if (v < min || v > max) this.fail(node, `${what} must be between ${min} and ${max}, not ${v}`);
    return v;
  }

  oneOf<T extends string>(node: YNode | null, what: string, allowed: readonly T[]): T {
    const v = this.string(node, what);
    if (!(allowed as readonly string[]).includes(v)) this.fail(node, `${what} must be one of ${allowed.join(', ')}, not '${v}'${hint(v, allowed)}`);
    return v as T;
  }

  seq(node: YNode | null, what: string): YNode[] {
    if (!isSeq(node)) this.fail(node, `${what} must be a list`);
    return node.items as YNode[];
  }

  stringList(node: YNode | null, what: string, check?: (v: string, n: YNode) => void): string[] {
    return this.seq(node, what).map((n, i) => {
      const v = this.string(n, `${what}[${i}]`, { nonEmpty: true });
      check?.(v, n);
      return v;
    });
  }

  env(node: YNode | null, what: string): Record<string, string> {
    if (!isMap(node)) this.fail(node, `${what} must be a mapping of NAME: value`);
    const out: Record<string, string> = {};
    for (const pair of node.items as Pair<YNode, YNode | null>[]) {
      const k = this.string(pair.key, `${what} key`, { nonEmpty: true });
      const v = pair.value;
      if (!isScalar(v) || v.value === null || typeof v.value === 'object') this.fail(v ?? pair.key, `${what}.${k} must be a string or number`);
      out[k] = String(v.value);
    }
    return out;
  }
}

function namesOf(table: Record<string, number>, exclude: string[] = []): string[] {
  return Object.keys(table).filter((n) => !exclude.includes(n));
}

const SUITE_NAMES = namesOf(CipherSuite, ['TLS_EMPTY_RENEGOTIATION_INFO_SCSV', 'TLS_FALLBACK_SCSV']);
const GROUP_NAMES = namesOf(NamedGroup);
const SCHEME_NAMES = namesOf(SignatureScheme);
const CERT_NAMES = Object.keys(CERTIFICATE_FILES) as CertificateName[];

/** Capabilities that claim everything the harness can name (tcp:// targets without flags). */
export const PERMISSIVE_CAPABILITIES: Capabilities = {
  roles: ['server'],
  versions: ['tls13', 'tls12'],
  cipher_suites: SUITE_NAMES,
  groups: GROUP_NAMES,
  signature_schemes: SCHEME_NAMES,
  // Not request_client_certificate: nothing can tell a tcp:// server to request a client certificate (cauth).
  features: KNOWN_FEATURES.filter((f) => f !== 'request_client_certificate'),
  concurrent: false,
};

/** Parse a target config held in memory (`file` names it in errors). */
export function parseTargetConfig(text: string, file: string): TargetConfig {
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, prettyErrors: false, uniqueKeys: false });
  const r: Reader = new Reader(file, lc);
  if (doc.errors.length > 0) {
    const e = doc.errors[0];
    const { line, col } = lc.linePos(e.pos[0]);
    throw new UsageError(e.message.split('\n')[0], `${file}:${line}:${col}`);
  }
  const root = doc.contents as YNode | null;
  if (root === null) throw new UsageError('empty target config', file);
  const top = r.map(root, 'the target config', TOP_KEYS);
  const get = (k: (typeof TOP_KEYS)[number]) => top.get(k);

  const fileBase = basename(file).replace(/\.ya?ml$/, '');
  const nameEntry = get('name');
  const name = nameEntry ? r.string(nameEntry.value, 'name', { nonEmpty: true }) : fileBase;
  if (!/^[a-z0-9][a-z0-9._-]*$/.test(name)) r.fail(nameEntry?.value, `name '${name}' must be lowercase letters, digits, '.', '_' or '-'`);
  if (nameEntry && /\.ya?ml$/.test(file) && name !== fileBase) r.fail(nameEntry.value, `name '${name}' differs from the file name '${fileBase}': a target is found by its file name`);

  const kindEntry = get('kind');
  if (!kindEntry) r.fail(root, `missing 'kind' (one of ${TARGET_KINDS.join(', ')})`);
  const kind = r.oneOf(kindEntry.value, 'kind', TARGET_KINDS);

  const cfg: TargetConfig = { file, name, kind, certificates: ['p256'], capabilities: REFERENCE_CAPABILITIES, capabilitiesGiven: false, expected_failures: [], probe: kind === 'tcp' };
  const description = get('description');
  if (description) cfg.description = r.string(description.value, 'description');
  const requires = get('requires_binary');
  if (requires) {
    cfg.requires_binary = r.string(requires.value, 'requires_binary', { nonEmpty: true });
    cfg.requiresAt = r.where(requires.value);
  }
  const grace = get('stop_grace_ms');
  if (grace) cfg.stop_grace_ms = r.int(grace.value, 'stop_grace_ms', 0, 600_000);
  const ports = get('ports');
  if (ports) {
    const v = ports.value;
    const text = isScalar(v) && (typeof v.value === 'string' || typeof v.value === 'number') ? String(v.value) : r.fail(v, "ports must be a port range such as '20000-20999'");
    try {
      cfg.ports = parsePortRange(text, 'ports');
    } catch (e) {
      r.fail(v, (e as Error).message);
    }
  }

  const cert = get('certificate');
  if (cert) {
    const certOne = (n: YNode | null, what: string) => r.oneOf(n, what, CERT_NAMES);
    cfg.certificates = isSeq(cert.value) ? r.seq(cert.value, 'certificate').map((n, i) => certOne(n, `certificate[${i}]`)) : [certOne(cert.value, 'certificate')];
    if (cfg.certificates.length === 0) r.fail(cert.value, 'certificate must name at least one leaf');
  }

  // Kind-specific sections.
  const only: Record<TargetKind, readonly string[]> = {
    reference: [],
    tcp: ['tcp'],
    process: ['server', 'client', 'requires_binary', 'stop_grace_ms', 'ports'],
    'node-tls': ['node'],
  };
  for (const k of ['server', 'client', 'tcp', 'node', 'stop_grace_ms', 'ports'] as const) {
    const e = get(k);
    if (e && !only[kind].includes(k)) r.fail(e.key, `'${k}' does not apply to kind ${kind}`);
  }

  const server = get('server');
  if (server) cfg.server = parseServer(r, server.value);
  const client = get('client');
  if (client) cfg.client = parseClient(r, client.value);
  if (kind === 'process' && !server && !client) r.fail(kindEntry.value, "a process target needs a 'server' or a 'client' section (or both)");

  const tcp = get('tcp');
  if (kind === 'tcp') {
    if (!tcp) r.fail(kindEntry.value, "a tcp target needs a 'tcp' section with host and port");
    const t = r.map(tcp.value, 'tcp', TCP_KEYS);
    const host = t.get('host');
    const port = t.get('port');
    if (!host) r.fail(tcp.value, "tcp: missing 'host'");
    if (!port) r.fail(tcp.value, "tcp: missing 'port'");
    cfg.tcp = {
      host: r.string(host.value, 'tcp.host', { nonEmpty: true }),
      port: r.int(port.value, 'tcp.port', 1, 65535),
      probe: t.get('probe') ? r.bool(t.get('probe')!.value, 'tcp.probe') : true,
    };
  }
  const node = get('node');
  if (node) cfg.node = parseNode(r, node.value);

  // Probing and trust.
  const rolesAvailable: Role[] =
    kind === 'process' ? [...(server ? (['server'] as const) : []), ...(client ? (['client'] as const) : [])] : kind === 'tcp' ? ['server'] : ['server', 'client'];
  const probe = get('probe');
  if (probe) {
    cfg.probe = r.bool(probe.value, 'probe');
    if (cfg.probe && !rolesAvailable.includes('server')) r.fail(probe.value, "probe: true needs a 'server' section: the probe connects to the target as a client");
  }
  const trust = get('trust');
  if (trust) cfg.trust = parseTrust(r, trust.value, file);
  const install = get('install');
  if (install) {
    cfg.install = parseInstall(r, install.value);
    // Without a check, only a program to look for on PATH says whether the target is installed.
    if (!cfg.install.check && (cfg.install.apt.length > 0 || cfg.install.build.length > 0) && !cfg.requires_binary && kind !== 'process')
      r.fail(install.value, `install: give a 'check' command: without one (or requires_binary) nothing tells whether ${name} is installed`);
  }

  // Capabilities: mandatory except for the reference, which knows its own, and targets that are probed.
  const caps = get('capabilities');
  if (caps) {
    cfg.capabilities = parseCapabilities(r, caps.value, kind, rolesAvailable);
    cfg.capabilitiesGiven = true;
  } else if (cfg.probe) cfg.capabilities = { ...PERMISSIVE_CAPABILITIES, roles: rolesAvailable, concurrent: kind !== 'process' };
  else if (kind !== 'reference') r.fail(root, `missing 'capabilities': say honestly what ${name} supports (roles, versions, cipher_suites, groups, signature_schemes, features, concurrent), or set probe: true`);

  // A pool is for servers that take one connection at a time; one that takes many needs none.
  if (server && cfg.server?.pool && cfg.capabilities?.concurrent)
    r.fail(server.value, 'server.pool: the target takes several connections at once (capabilities.concurrent: true): a pool is for servers that take one at a time');
  // server.client_auth gives the feature request_client_certificate (target_options.request_client_certificate);
  // a process target claims it only with that block (the harness has no other way to tell its server).
  if (kind === 'process' && cfg.capabilities) {
    const has = cfg.capabilities.features.includes('request_client_certificate');
    if (cfg.server?.client_auth && !has) cfg.capabilities = { ...cfg.capabilities, features: [...cfg.capabilities.features, 'request_client_certificate'] };
    else if (!cfg.server?.client_auth && has && cfg.capabilitiesGiven)
      r.fail(caps?.value ?? root, "feature 'request_client_certificate' needs a server.client_auth block (the arguments that make the server request a client certificate)");
    // A probed config's permissive list (every known feature) has it only with the block.
    else if (!cfg.server?.client_auth && has) cfg.capabilities = { ...cfg.capabilities, features: cfg.capabilities.features.filter((f) => f !== 'request_client_certificate') };
  }

  const ef = get('expected_failures');
  if (ef) {
    if (ef.value !== null && !(isScalar(ef.value) && ef.value.value === null))
      // One entry names one case id glob (`id`) or several that fail for the same reason (`ids`).
      cfg.expected_failures = r.seq(ef.value, 'expected_failures').flatMap((n, i) => {
        const m = r.map(n, `expected_failures[${i}]`, EF_KEYS);
        const id = m.get('id');
        const ids = m.get('ids');
        const reason = m.get('reason');
        if (!id && !ids) r.fail(n, `expected_failures[${i}]: missing 'id' (a case id glob) or 'ids' (a list of them)`);
        if (id && ids) r.fail(ids.value ?? n, `expected_failures[${i}]: 'id' and 'ids' together; give one of them`);
        if (!reason) r.fail(n, `expected_failures[${i}]: missing 'reason' (why the case fails against this target is mandatory)`);
        const globs = id
          ? [{ node: id.value, what: `expected_failures[${i}].id` }]
          : r.seq(ids!.value, `expected_failures[${i}].ids`).map((g, j) => ({ node: g, what: `expected_failures[${i}].ids[${j}]` }));
        if (globs.length === 0) r.fail(ids!.value ?? n, `expected_failures[${i}].ids is empty`);
        const why = r.string(reason!.value, `expected_failures[${i}].reason`, { nonEmpty: true }).trim();
        return globs.map(({ node, what }) => {
          const idText = r.string(node, what, { nonEmpty: true });
          if (/\s/.test(idText)) r.fail(node, `${what} '${idText}' contains white space`);
          return { id: idText, reason: why };
        });
      });
  }
  return cfg;
}

/** The test PKI's CA: what the harness trusts when nothing else is said. */
export function defaultTrust(): TrustSettings {
  return { roots: TEST_PKI.ca(), verify: true, source: 'the test CA' };
}

/** PEM certificates to trust, from a file; a missing or bad file is one line (UsageError at `where`). */
export function loadTrustRoots(path: string, where?: string): TrustSettings['roots'] {
  try {
    return loadCertificates(path);
  } catch (e) {
    if (e instanceof CredentialError) throw new UsageError(e.message, where);
    throw e;
  }
}

function parseTrust(r: Reader, node: YNode | null, file: string): TrustSettings {
  const m = r.map(node, 'trust', TRUST_KEYS);
  const out = defaultTrust();
  const ca = m.get('ca');
  if (ca) {
    const path = r.string(ca.value, 'trust.ca', { nonEmpty: true });
    const full = resolve(dirname(file), path);
    try {
      out.roots = loadCertificates(full);
    } catch (e) {
      if (e instanceof CredentialError) r.fail(ca.value, `trust.ca: ${e.message.replace(full, path)}`);
      throw e;
    }
    out.source = path;
  }
  const verify = m.get('verify_chain');
  if (verify) out.verify = r.bool(verify.value, 'trust.verify_chain');
  return out;
}

function parseInstall(r: Reader, node: YNode | null): InstallSpec {
  const m = r.map(node, 'install', INSTALL_KEYS);
  const spec: InstallSpec = { apt: [], build: [], timeout_s: 600, at: r.where(node) };
  const apt = m.get('apt');
  if (apt)
    spec.apt = r.stringList(apt.value, 'install.apt', (v, n) => {
      if (!APT_PACKAGE_RE.test(v)) r.fail(n, `install.apt: '${v}' is not a Debian package name (lowercase letters, digits, '+', '-', '.'; optionally :arch or =version)`);
    });
  const build = m.get('build');
  if (build) {
    spec.build = r.seq(build.value, 'install.build').map((n, i) => parseCommand(r, n, `install.build[${i}]`, INSTALL_PLACEHOLDERS));
    if (spec.build.length === 0) r.fail(build.value, 'install.build must not be empty (leave it out instead)');
  }
  const check = m.get('check');
  if (check) spec.check = parseCommand(r, check.value, 'install.check', INSTALL_PLACEHOLDERS);
  const timeout = m.get('timeout_s');
  if (timeout) spec.timeout_s = r.int(timeout.value, 'install.timeout_s', 1, 86_400);
  if (!apt && !build && !check) r.fail(node, "install needs 'apt', 'build' or 'check'");
  return spec;
}

function parseCommand(r: Reader, node: YNode | null, what: string, allowed: readonly string[]): string[] {
  if (isScalar(node) && typeof node.value === 'string') r.fail(node, `${what} must be a list of arguments (no shell): ["prog", "arg", ...]`);
  const argv = r.stringList(node, what, (v, n) => {
    const problems = checkTemplate(v, allowed);
    if (problems.length) r.fail(n, `${what}: ${problems[0]}`);
  });
  if (argv.length === 0) r.fail(node, `${what} must not be empty`);
  return argv;
}

function parseServer(r: Reader, node: YNode | null): ProcessServerSpec {
  const m = r.map(node, 'server', SERVER_KEYS);
  const command = m.get('command');
  if (!command) r.fail(node, "server: missing 'command'");
  const spec: ProcessServerSpec = {
    command: parseCommand(r, command.value, 'server.command', PLACEHOLDERS),
    ready: { port: true, timeout_ms: 10_000 },
    per_case: m.get('per_case') ? r.bool(m.get('per_case')!.value, 'server.per_case') : false,
  };
  const pool = m.get('pool');
  if (pool) {
    spec.pool = r.bool(pool.value, 'server.pool');
    if (spec.pool && spec.per_case) r.fail(pool.key, 'server.pool: a per_case server is already one process per case; give pool or per_case, not both');
  }
  if (!spec.command.some((a) => a.includes('{port}'))) r.fail(command.value, 'server.command must use {port}: the harness picks the port (below 32768) and connects to it');
  const ready = m.get('ready');
  if (ready) {
    const rm = r.map(ready.value, 'server.ready', READY_KEYS);
    const rs: ProcessServerSpec['ready'] = { timeout_ms: 10_000 };
    if (rm.get('stdout')) rs.stdout = r.string(rm.get('stdout')!.value, 'server.ready.stdout', { nonEmpty: true });
    if (rm.get('stderr')) rs.stderr = r.string(rm.get('stderr')!.value, 'server.ready.stderr', { nonEmpty: true });
    if (rs.stdout !== undefined && rs.stderr !== undefined) r.fail(rm.get('stderr')!.key, 'server.ready: give stdout or stderr, not both');
    if (rm.get('port')) rs.port = r.bool(rm.get('port')!.value, 'server.ready.port');
    if (rm.get('timeout_ms')) rs.timeout_ms = r.int(rm.get('timeout_ms')!.value, 'server.ready.timeout_ms', 1, 600_000);
    if (!rs.stdout && !rs.stderr && !rs.port) r.fail(ready.value, 'server.ready needs stdout: TEXT, stderr: TEXT or port: true');
    spec.ready = rs;
  }
  const env = m.get('env');
  if (env) spec.env = r.env(env.value, 'server.env');
  const clientAuth = m.get('client_auth');
  if (clientAuth) {
    const cm = r.map(clientAuth.value, 'server.client_auth', CLIENT_AUTH_KEYS);
    const args = cm.get('args');
    const cmd = cm.get('command');
    if (!args && !cmd) r.fail(clientAuth.value, "server.client_auth: missing 'args' (appended to server.command) or 'command' (used instead of it) for cases whose target_options ask for a client certificate");
    if (args && cmd) r.fail(cmd.key, "server.client_auth: give 'args' or 'command', not both");
    if (args) spec.client_auth = { args: parseCommand(r, args.value, 'server.client_auth.args', PLACEHOLDERS) };
    else {
      const command = parseCommand(r, cmd!.value, 'server.client_auth.command', PLACEHOLDERS);
      if (!command.some((a) => a.includes('{port}'))) r.fail(cmd!.value, 'server.client_auth.command must use {port}');
      spec.client_auth = { command };
    }
  }
  return spec;
}

function parseClient(r: Reader, node: YNode | null): ProcessClientSpec {
  const m = r.map(node, 'client', CLIENT_KEYS);
  const command = m.get('command');
  if (!command) r.fail(node, "client: missing 'command'");
  const spec: ProcessClientSpec = {
    command: parseCommand(r, command.value, 'client.command', CLIENT_PLACEHOLDERS),
    stdin: m.get('stdin') ? r.oneOf(m.get('stdin')!.value, 'client.stdin', ['close', 'keep'] as const) : 'close',
    timeout_ms: m.get('timeout_ms') ? r.int(m.get('timeout_ms')!.value, 'client.timeout_ms', 1, 3_600_000) : 60_000,
  };
  if (!spec.command.some((a) => a.includes('{port}'))) r.fail(command.value, 'client.command must use {port} (and {host}): where the harness listens');
  const resume = m.get('resume_args');
  if (resume) {
    spec.resume_args = r.stringList(resume.value, 'client.resume_args', (v, n) => {
      const problems = checkTemplate(v, CLIENT_PLACEHOLDERS);
      if (problems.length) r.fail(n, `client.resume_args: ${problems[0]}`);
    });
    if (![...spec.command, ...spec.resume_args].some((a) => a.includes('{session}'))) r.fail(resume.value, 'client.resume_args needs a {session} file, written by the command (e.g. -sess_out {session}) and read back here');
  }
  const env = m.get('env');
  if (env) spec.env = r.env(env.value, 'client.env');
  return spec;
}

function parseNode(r: Reader, node: YNode | null): Partial<NodeTlsSettings> {
  const m = r.map(node, 'node', NODE_KEYS);
  const out: Partial<NodeTlsSettings> = {};
  const versions = ['TLSv1.2', 'TLSv1.3'] as const;
  for (const [k, e] of m) {
    const what = `node.${k}`;
    switch (k) {
      case 'min_version':
      case 'max_version':
        out[k] = r.oneOf(e.value, what, versions);
        break;
      case 'ciphers':
      case 'ecdh_curve':
      case 'sigalgs':
        out[k] = r.string(e.value, what, { nonEmpty: true });
        break;
      case 'alpn':
        out.alpn = r.stringList(e.value, what);
        break;
      case 'respond':
        out.respond = r.oneOf(e.value, what, ['echo', 'none'] as const);
        break;
      default:
        out[k as 'session_tickets' | 'session_cache' | 'request_cert' | 'resume'] = r.bool(e.value, what);
    }
  }
  if (out.min_version && out.max_version && out.min_version > out.max_version) r.fail(m.get('min_version')!.value, `node.min_version ${out.min_version} is above max_version ${out.max_version}`);
  return out;
}

function parseCapabilities(r: Reader, node: YNode | null, kind: TargetKind, rolesAvailable: Role[]): Capabilities {
  const m = r.map(node, 'capabilities', CAP_KEYS);
  const need = (k: (typeof CAP_KEYS)[number]) => {
    const e = m.get(k);
    if (!e) r.fail(node, `capabilities: missing '${k}'`);
    return e;
  };
  const rolesEntry = m.get('roles');
  const roles = rolesEntry
    ? r.stringList(rolesEntry.value, 'capabilities.roles', (v, n) => {
        if (v !== 'server' && v !== 'client') r.fail(n, `unknown role '${v}' (server or client)${hint(v, ['server', 'client'])}`);
        if (!rolesAvailable.includes(v)) r.fail(n, `role '${v}' needs a '${v}' section${kind === 'tcp' ? ' (a tcp target is a server only)' : ''}`);
      }) as Role[]
    : rolesAvailable;
  if (roles.length === 0) r.fail(rolesEntry?.value, 'capabilities.roles must not be empty');
  const featuresEntry = m.get('features');
  const client = m.get('client');
  if (client && !roles.includes('client')) r.fail(client.key, "capabilities.client: the target has no client role");
  let clientCaps: ClientCapabilities | undefined;
  if (client) {
    const cm = r.map(client.value, 'capabilities.client', CAPABILITY_LISTS);
    clientCaps = {};
    for (const k of CAPABILITY_LISTS) {
      const e = cm.get(k);
      if (e) (clientCaps as Record<string, string[]>)[k] = capabilityList(r, k, e.value, `capabilities.client.${k}`);
    }
  }
  return {
    roles: [...new Set(roles)],
    versions: [...new Set(capabilityList(r, 'versions', need('versions').value, 'capabilities.versions'))] as VersionName[],
    cipher_suites: capabilityList(r, 'cipher_suites', need('cipher_suites').value, 'capabilities.cipher_suites'),
    groups: capabilityList(r, 'groups', need('groups').value, 'capabilities.groups'),
    signature_schemes: capabilityList(r, 'signature_schemes', need('signature_schemes').value, 'capabilities.signature_schemes'),
    features: featuresEntry ? capabilityList(r, 'features', featuresEntry.value, 'capabilities.features') : [],
    concurrent: m.get('concurrent') ? r.bool(m.get('concurrent')!.value, 'capabilities.concurrent') : kind !== 'process',
    ...(clientCaps ? { client: clientCaps } : {}),
  };
}

/** One capability list (versions, suites, groups, schemes, features), each name checked. */
function capabilityList(r: Reader, k: CapabilityList, node: YNode | null, what: string): string[] {
  const tables = { cipher_suites: [SUITE_NAMES, 'cipher suite'], groups: [GROUP_NAMES, 'group'], signature_schemes: [SCHEME_NAMES, 'signature scheme'] } as const;
  const list = r.stringList(node, what, (v, n) => {
    if (k === 'versions') {
      if (v !== 'tls13' && v !== 'tls12') r.fail(n, `unknown version '${v}' (tls13 or tls12)${hint(v, ['tls13', 'tls12'])}`);
    } else if (k === 'features') {
      if (!/^[a-z][a-z0-9_]*$/.test(v)) {
        const near = closest(v, KNOWN_FEATURES);
        r.fail(n, `feature '${v}' must be a snake_case word${near ? ` (did you mean '${near}'?)` : ''}`);
      }
    } else {
      const [table, label] = tables[k];
      if (!table.includes(v)) r.fail(n, `unknown ${label} '${v}'${hint(v, table)} (IANA names, e.g. ${table[0]})`);
    }
  });
  if (k === 'versions' && list.length === 0) r.fail(node, `${what} must not be empty`);
  return list;
}

/** Read and validate a target config file. */
export function loadTargetConfig(path: string): TargetConfig {
  let text: string;
  const shown = displayPath(path);
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new UsageError(code === 'ENOENT' ? 'no such target config file' : code === 'EISDIR' ? 'is a directory, not a target config file' : `cannot read: ${(e as Error).message}`, shown);
  }
  return parseTargetConfig(text, shown);
}

function displayPath(path: string): string {
  const rel = relative(process.cwd(), path);
  return rel && !rel.startsWith('..') ? rel : path;
}

// ---------------------------------------------------------------------------------------------------------
// Availability and construction

/** Why the target cannot run on this machine (a missing program), or undefined when it can. */
export function unavailableReason(cfg: TargetConfig): string | undefined {
  const programs = new Set<string>();
  if (cfg.requires_binary) programs.add(cfg.requires_binary);
  if (cfg.kind === 'process') {
    if (cfg.server) programs.add(cfg.server.command[0]);
    if (cfg.client) programs.add(cfg.client.command[0]);
  }
  for (const p of programs) {
    if (p.includes('{')) continue;
    if (!findBinary(p)) return `target '${cfg.name}' is unavailable: '${p}' is not installed (not found on PATH)${cfg.requiresAt && p === cfg.requires_binary ? `, required at ${cfg.requiresAt}` : ''}`;
  }
  return undefined;
}

/**
 * The same target with other capabilities, trust or probe setting. A Proxy, so every other member (methods
 * an adapter adds later included) is the target's own.
 */
export function withTargetSettings(target: Target, over: { capabilities?: Capabilities; trust?: TrustSettings; probe?: boolean }): Target {
  return new Proxy(target, {
    get(t, prop) {
      if (prop === 'capabilities' && over.capabilities) return over.capabilities;
      if (prop === 'trust' && over.trust) return over.trust;
      if (prop === 'probe' && over.probe !== undefined) return over.probe;
      const v = Reflect.get(t, prop, t) as unknown;
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(t) : v;
    },
  });
}

/** Build the Target a config describes; throws TargetUnavailableError when a program is missing. */
export function targetFromConfig(cfg: TargetConfig, instances = 1): Target {
  const t = buildTarget(cfg, instances);
  return cfg.kind !== 'tcp' && (cfg.probe || cfg.trust) ? withTargetSettings(t, { probe: cfg.probe, trust: cfg.trust }) : t;
}

function buildTarget(cfg: TargetConfig, instances: number): Target {
  const why = unavailableReason(cfg);
  const installable = cfg.install && (cfg.install.apt.length > 0 || cfg.install.build.length > 0);
  // A config outside implementations/targets/ is named by its path.
  const arg = resolve(cfg.file) === resolve(TARGETS_DIR, basename(cfg.file)) ? cfg.name : cfg.file;
  if (why) throw new TargetUnavailableError(installable ? `${why}; \`tls-harness install ${arg}\` installs it` : why);
  switch (cfg.kind) {
    case 'reference': {
      const ref = new ReferenceTarget();
      return {
        name: cfg.name,
        capabilities: cfg.capabilities,
        expectedFailures: cfg.expected_failures,
        start: (signal) => ref.start(),
        connect: (ctx) => ref.connect(ctx),
        launchClient: (ctx) => ref.launchClient(ctx),
        stop: () => ref.stop(),
      } satisfies Target;
    }
    case 'tcp':
      return new TcpTarget({ name: cfg.name, ...cfg.tcp!, capabilities: cfg.capabilities, expectedFailures: cfg.expected_failures, probeCapabilities: cfg.probe, trust: cfg.trust });
    case 'node-tls':
      return new NodeTlsTarget({ name: cfg.name, capabilities: cfg.capabilities, expectedFailures: cfg.expected_failures, certificates: cfg.certificates, settings: cfg.node });
    case 'process': {
      const opts: ProcessTargetOptions = {
        name: cfg.name,
        capabilities: cfg.capabilities,
        expectedFailures: cfg.expected_failures,
        server: cfg.server,
        client: cfg.client,
        certificate: cfg.certificates[0],
        stop_grace_ms: cfg.stop_grace_ms,
        ...(cfg.ports ? { ports: cfg.ports } : {}),
        dir: dirname(resolve(cfg.file)),
      };
      // server.pool: N instances of a one-connection server, N cases at once (run --jobs N).
      return cfg.server?.pool && !cfg.capabilities.concurrent && instances > 1 ? new ProcessPool(opts, instances) : new ProcessTarget(opts);
    }
  }
}

/** Trust from flags over a config's (or the default's), field by field; undefined when nothing is set. */
function mergeTrust(base: TrustSettings | undefined, over: ResolveOptions['trust']): TrustSettings | undefined {
  if (!base && !over) return undefined;
  const b = base ?? defaultTrust();
  return { roots: over?.roots ?? b.roots, verify: over?.verify ?? b.verify, source: over?.roots ? (over.source ?? 'the given CA') : b.source };
}

/** Names of the configs in `dir` (file names without .yaml), plus `reference`. */
export function listTargetNames(dir = TARGETS_DIR): string[] {
  let files: string[] = [];
  try {
    files = readdirSync(dir).filter((f) => /\.ya?ml$/.test(f));
  } catch {
    /* no directory: only the built-in reference */
  }
  return [...new Set(['reference', ...files.map((f) => f.replace(/\.ya?ml$/, ''))])].sort();
}

export interface ResolveOptions {
  /** Where named configs are looked up (default implementations/targets/). */
  dir?: string;
  /** For tcp:// URLs: capabilities from command-line flags, over the permissive defaults. */
  capabilities?: Partial<Capabilities>;
  /** For tcp:// URLs: expected failures (e.g. from a file given on the command line). */
  expectedFailures?: ExpectedFailure[];
  /** --probe / --no-probe, over the default (tcp:// and kind tcp: probe) and the config's `probe:`. */
  probe?: boolean;
  /** --ca / --no-verify-chain, over the config's `trust:` (each field that is given). */
  trust?: { roots?: TrustSettings['roots']; verify?: boolean; source?: string };
  /** --ports: where process targets choose their {port}, over the config's `ports:`. */
  ports?: PortRange;
  /**
   * For tcp:// URLs: whether cases may run at once (--jobs given on the command line: the user says the
   * server takes that many connections). Default: one at a time, unless the probe finds otherwise.
   */
  concurrent?: boolean;
  /**
   * --jobs: for a process target whose config allows a pool (`server.pool: true`), how many instances of
   * its server run side by side (each on its own port), so that as many cases run at once.
   */
  instances?: number;
}

/**
 * `reference` (the default), a config name (`openssl`, `node`), a path to a config file, or `tcp://host:port`
 * -> a Target (not started). Unknown names and bad configs are UsageErrors; a missing program is a
 * TargetUnavailableError (also a UsageError).
 */
export function resolveTarget(nameOrUrl = 'reference', opts: ResolveOptions = {}): Target {
  const dir = opts.dir ?? TARGETS_DIR;
  const spec = nameOrUrl.trim();
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(spec)) {
    if (!spec.toLowerCase().startsWith('tcp://')) throw new UsageError(`unsupported target URL '${spec}': only tcp://host:port`);
    const { host, port } = parseTcpUrl(spec);
    const caps: Capabilities = { ...PERMISSIVE_CAPABILITIES, ...opts.capabilities, roles: ['server'], ...(opts.concurrent !== undefined ? { concurrent: opts.concurrent } : {}) };
    return new TcpTarget({ host, port, capabilities: caps, expectedFailures: opts.expectedFailures, probeCapabilities: opts.probe ?? true, trust: mergeTrust(undefined, opts.trust) });
  }
  const fromConfig = (cfg: TargetConfig) => {
    if (opts.probe && !cfg.capabilities.roles.includes('server') && !(cfg.kind === 'process' && cfg.server))
      throw new UsageError(`--probe: target '${cfg.name}' has no server role to probe`);
    if (opts.probe !== undefined) cfg.probe = opts.probe;
    if (opts.trust) cfg.trust = mergeTrust(cfg.trust, opts.trust);
    if (opts.ports && cfg.kind === 'process') cfg.ports = opts.ports;
    if (!cfg.probe && !cfg.capabilitiesGiven && cfg.kind !== 'reference')
      throw new UsageError(`--no-probe: ${cfg.file} has no 'capabilities' to use instead of the probe's`);
    return targetFromConfig(cfg, opts.instances);
  };
  if (/\.ya?ml$/.test(spec) || spec.includes('/')) return fromConfig(loadTargetConfig(spec));
  const file = [join(dir, `${spec}.yaml`), join(dir, `${spec}.yml`)].find((f) => existsSync(f));
  if (file) return fromConfig(loadTargetConfig(file));
  if (spec === 'reference') {
    const ref = new ReferenceTarget();
    return opts.probe || opts.trust ? withTargetSettings(ref, { probe: opts.probe, trust: mergeTrust(undefined, opts.trust) }) : ref;
  }
  const names = listTargetNames(dir);
  const near = closest(spec, names);
  throw new UsageError(`unknown target '${spec}'${near ? ` (did you mean '${near}'?)` : ''}; known targets: ${names.join(', ')}, or tcp://host:port, or a path to a .yaml target config`);
}
