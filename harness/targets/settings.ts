/**
 * What `run` says about the target on its command line: capabilities by hand (--versions, --cipher-suites,
 * --groups, --signature-schemes, --alpn, --features), and how they combine with the probe's findings.
 *
 * - Without probing (--no-probe, or a config without `probe: true`), each flag given REPLACES that list of
 *   the target's capabilities (for tcp:// the defaults claim everything the harness can name).
 * - With probing, each flag RESTRICTS the probed list to the names it gives (a name the probe did not find
 *   is dropped with a warning: the probe saw the target refuse it). `--no-probe` is how to claim more.
 */
import { UsageError } from '../errors.ts';
import { CipherSuite, NamedGroup, SignatureScheme } from '../../implementations/reference/codec/enums.ts';
import { hint } from '../scenario/text.ts';
import type { VersionName } from '../scenario/model.ts';
import type { CaseResult } from '../engine/result.ts';
import type { ProbeReport } from './probe.ts';
import { CAPABILITY_LISTS, type Capabilities } from './types.ts';
import { KNOWN_FEATURES } from './config.ts';

export interface CapabilityFlags {
  versions?: VersionName[];
  cipher_suites?: string[];
  groups?: string[];
  signature_schemes?: string[];
  features?: string[];
  alpn?: string[];
}

/** The flag of each list, for messages. */
export const CAPABILITY_FLAGS: Record<keyof CapabilityFlags, string> = {
  versions: '--versions',
  cipher_suites: '--cipher-suites',
  groups: '--groups',
  signature_schemes: '--signature-schemes',
  features: '--features',
  alpn: '--alpn',
};

const GROUP_ALIASES: Record<string, string> = { 'p-256': 'secp256r1', prime256v1: 'secp256r1', 'p-384': 'secp384r1', 'p-521': 'secp521r1' };
const SUITES = Object.keys(CipherSuite).filter((n) => n !== 'TLS_EMPTY_RENEGOTIATION_INFO_SCSV' && n !== 'TLS_FALLBACK_SCSV');
const GROUPS = Object.keys(NamedGroup);
const SCHEMES = Object.keys(SignatureScheme);

/** Values of a repeatable flag, each comma-separated: `--groups x25519,secp256r1 --groups ffdhe2048`. */
function items(v: unknown): string[] | undefined {
  if (v === undefined) return undefined;
  const list = (Array.isArray(v) ? v : [v]) as string[];
  return list.flatMap((x) => x.split(',')).map((x) => x.trim()).filter((x) => x.length > 0);
}

function names(cmd: string, flag: string, what: string, given: string[], known: string[], alias: (s: string) => string = (s) => s): string[] {
  const out: string[] = [];
  for (const g of given) {
    const name = known.find((k) => k === g) ?? known.find((k) => k.toLowerCase() === alias(g.toLowerCase()).toLowerCase());
    if (!name) throw new UsageError(`${cmd}: ${flag}: unknown ${what} '${g}'${hint(g, known)}`);
    if (!out.includes(name)) out.push(name);
  }
  return out;
}

/** `tls13`, `tls12`, and the spellings `1.3`, `TLSv1.3`, `tls1.3`, `tls1_3`. */
function version(cmd: string, v: string): VersionName {
  const m = /^(?:tls(?:v)?)?1[._]?([23])$/i.exec(v);
  if (!m) throw new UsageError(`${cmd}: --versions: unknown version '${v}'${hint(v, ['tls13', 'tls12'])} (tls13, tls12)`);
  return m[1] === '3' ? 'tls13' : 'tls12';
}

/** Parse the capability flags of `run` (values as node:util parseArgs gives them); a bad name is a UsageError. */
export function parseCapabilityFlags(values: Record<string, unknown>, cmd = 'run'): CapabilityFlags {
  const out: CapabilityFlags = {};
  const v = items(values.versions);
  if (v) {
    out.versions = [...new Set(v.map((x) => version(cmd, x)))];
    if (out.versions.length === 0) throw new UsageError(`${cmd}: --versions: give at least one of tls13, tls12`);
  }
  const s = items(values['cipher-suites']);
  if (s) out.cipher_suites = names(cmd, '--cipher-suites', 'cipher suite', s, SUITES);
  const g = items(values.groups);
  if (g) out.groups = names(cmd, '--groups', 'group', g, GROUPS, (x) => GROUP_ALIASES[x] ?? x);
  const sc = items(values['signature-schemes']);
  if (sc) out.signature_schemes = names(cmd, '--signature-schemes', 'signature scheme', sc, SCHEMES);
  const f = items(values.features);
  if (f) out.features = names(cmd, '--features', 'feature', f, [...KNOWN_FEATURES]);
  const a = items(values.alpn);
  if (a) {
    for (const p of a) if (new TextEncoder().encode(p).length > 255) throw new UsageError(`${cmd}: --alpn: protocol name longer than 255 bytes (RFC 7301 3.1)`);
    out.alpn = [...new Set(a)];
  }
  return out;
}

export function hasCapabilityFlags(f: CapabilityFlags): boolean {
  return Object.values(f).some((x) => x !== undefined);
}

/** Flags over capabilities that were not probed: each flag given replaces its list. */
export function overrideCapabilities(base: Capabilities, f: CapabilityFlags): Capabilities {
  const out: Capabilities = { ...base };
  if (f.versions) out.versions = f.versions;
  if (f.cipher_suites) out.cipher_suites = f.cipher_suites;
  if (f.groups) out.groups = f.groups;
  if (f.signature_schemes) out.signature_schemes = f.signature_schemes;
  if (f.features) out.features = f.features;
  if (f.alpn) {
    out.alpn = f.alpn;
    if (!f.features) out.features = f.alpn.length > 0 ? [...new Set([...out.features, 'alpn'])] : out.features.filter((x) => x !== 'alpn');
  }
  // A flag states the target's list for both roles: the client role's own list for it goes.
  if (base.client) {
    const client = { ...base.client };
    for (const k of CAPABILITY_LISTS) if (f[k]) delete client[k];
    out.client = client;
  }
  return out;
}

/** Flags over probed capabilities: each flag given keeps only the probed names it lists. Returns what was dropped. */
export function restrictCapabilities(probed: Capabilities, f: CapabilityFlags): { capabilities: Capabilities; notFound: string[] } {
  const out: Capabilities = { ...probed };
  const notFound: string[] = [];
  for (const k of CAPABILITY_LISTS) {
    const want = f[k] as string[] | undefined;
    if (!want) continue;
    const have = probed[k] as string[];
    for (const w of want) if (!have.includes(w)) notFound.push(`${CAPABILITY_FLAGS[k]} ${w}`);
    (out[k] as string[]) = have.filter((x) => want.includes(x));
    // The client role's own list, if the config has one, is restricted the same way.
    const own = probed.client?.[k] as string[] | undefined;
    if (own) out.client = { ...out.client, [k]: own.filter((x) => want.includes(x)) };
  }
  if (f.alpn) {
    const have = probed.alpn ?? [];
    for (const w of f.alpn) if (!have.includes(w)) notFound.push(`--alpn ${w}`);
    out.alpn = have.filter((x) => f.alpn!.includes(x));
    if (out.alpn.length === 0) out.features = out.features.filter((x) => x !== 'alpn');
  }
  return { capabilities: out, notFound };
}

/** The id of the one setup error a chain that does not validate becomes. */
export const CHAIN_CASE_ID = 'setup.certificate-chain';

/**
 * The synthetic case for a chain that does not validate against the trust roots (found by the probe): one
 * `error` for the run, with the hint, instead of a failure in every case.
 */
export function chainErrorCase(targetName: string, probe: ProbeReport, trustSource: string): CaseResult {
  const cert = probe.certificate!;
  const why = cert.error ?? 'does not validate';
  return {
    id: CHAIN_CASE_ID,
    scenarioId: CHAIN_CASE_ID,
    title: "The target's certificate chain validates against the trusted roots",
    // RFC 8446 4.4.2.4: "In general, detailed certificate validation procedures are out of scope for TLS
    // (see [RFC5280])." Which roots to trust is the user's setting, hence a setup error, not a failure.
    rfc: { doc: 8446, section: '4.4.2.4', quote: 'In general, detailed certificate validation procedures are out of scope for TLS (see [RFC5280]).' },
    verdict: 'error',
    reason: `the certificate chain of ${targetName} does not validate against ${trustSource}: ${why}; pass --ca FILE to trust the target's CA, or --no-verify-chain (the other cases ran with chain validation off)`,
    expected: `a chain that validates against ${trustSource}`,
    observed: `${cert.keyType} "${cert.subject}" issued by "${cert.issuer}": ${why}`,
    params: {},
    durationMs: probe.durationMs,
    transcript: [
      { t: 0, dir: 'note', kind: 'probe', name: `certificate ${cert.keyType} "${cert.subject}" issued by "${cert.issuer}"` },
      { t: probe.durationMs, dir: 'note', kind: 'probe', name: `chain validation: ${why}` },
    ],
  };
}
