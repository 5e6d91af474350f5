/**
 * `tls-harness kat`: run every known-answer vector file (vectors/) through the reference crypto provider.
 * `--provider noble|node|all` picks the provider (default: the built-in default, BUILTIN_CRYPTO_PROVIDER); `all` runs every file against each provider
 * and reports per provider. `--json` prints one JSON object (with `all`: `{ ok, reports: [...] }`, one report
 * per provider); exit code 1 if any test failed.
 */
import type { Command } from '../cli.ts';
import { ExitCode, UsageError } from '../errors.ts';
import { listVectorFiles, runAll, VECTORS_DIR, type KatFileResult } from '../../vectors/runner.ts';
import { BUILTIN_CRYPTO_PROVIDER } from '../../implementations/reference/connection/config.ts';
import { allProviders, PROVIDER_NAMES, providerByName } from '../../implementations/reference/crypto/providers.ts';
import type { CryptoProvider } from '../../implementations/reference/crypto/provider.ts';
import { relative } from 'node:path';

export interface KatReport {
  ok: boolean;
  provider: string;
  files: { name: string; kind: string; total: number; passed: number; failed: number; skipped: number; failures: { id: string; reason?: string }[] }[];
  summary: { files: number; total: number; passed: number; failed: number; skipped: number };
}

export function katReport(provider: string, results: KatFileResult[]): KatReport {
  const files = results.map((r) => ({
    name: r.file,
    kind: r.kind,
    total: r.total,
    passed: r.passed,
    failed: r.failed,
    skipped: r.skipped,
    failures: r.failures.map((f) => ({ id: f.id, reason: f.reason })),
  }));
  const sum = (k: 'total' | 'passed' | 'failed' | 'skipped') => files.reduce((a, f) => a + f[k], 0);
  const summary = { files: files.length, total: sum('total'), passed: sum('passed'), failed: sum('failed'), skipped: sum('skipped') };
  return { ok: summary.failed === 0, provider, files, summary };
}

export const katCommand: Command = {
  name: 'kat',
  summary: 'run the known-answer vectors (RFC 5869, 7748, 8439, 8448, TLS 1.2 PRF, Wycheproof) against the reference crypto',
  usage: 'tls-harness kat [--json] [--filter SUBSTRING] [--provider noble|node|all]',
  options: {
    provider: { type: 'string', description: `crypto provider: ${PROVIDER_NAMES.join(', ')} or all (every file against each; default ${BUILTIN_CRYPTO_PROVIDER.name})` },
    json: { type: 'boolean', description: 'print one JSON object with per-file counts' },
    filter: { type: 'string', description: 'only vector files whose path contains this text' },
  },
  async run(values) {
    const filter = values.filter as string | undefined;
    const name = (values.provider as string | undefined) ?? BUILTIN_CRYPTO_PROVIDER.name;
    let providers: CryptoProvider[];
    if (name === 'all') providers = allProviders();
    else {
      const p = providerByName(name);
      if (!p) throw new UsageError(`kat: unknown --provider '${name}' (expected ${PROVIDER_NAMES.join(', ')} or all)`);
      providers = [p];
    }
    let files = listVectorFiles();
    if (filter !== undefined) {
      files = files.filter((f) => relative(VECTORS_DIR, f).includes(filter));
      if (files.length === 0) throw new UsageError(`kat: no vector file matches --filter '${filter}'`);
    }
    const reports: KatReport[] = [];
    for (const provider of providers) reports.push(katReport(provider.name, await runAll(provider, files)));
    const ok = reports.every((r) => r.ok);
    if (values.json) {
      process.stdout.write(JSON.stringify(reports.length === 1 ? reports[0] : { ok, reports }, null, 2) + '\n');
    } else {
      for (const report of reports) {
        if (reports.length > 1) process.stdout.write(`${reports.indexOf(report) > 0 ? '\n' : ''}provider ${report.provider}\n`);
        const w = Math.max(...report.files.map((f) => f.name.length), 4);
        process.stdout.write(`${'file'.padEnd(w)}  ${'total'.padStart(6)} ${'passed'.padStart(6)} ${'failed'.padStart(6)} ${'skipped'.padStart(7)}\n`);
        for (const f of report.files) {
          process.stdout.write(
            `${f.name.padEnd(w)}  ${String(f.total).padStart(6)} ${String(f.passed).padStart(6)} ${String(f.failed).padStart(6)} ${String(f.skipped).padStart(7)}\n`,
          );
          for (const x of f.failures.slice(0, 5)) process.stdout.write(`    FAIL ${x.id}: ${x.reason ?? ''}\n`);
          if (f.failures.length > 5) process.stdout.write(`    ... ${f.failures.length - 5} more\n`);
        }
        const s = report.summary;
        process.stdout.write(`\n${reports.length > 1 ? `${report.provider}: ` : ''}${s.files} files: ${s.passed} passed, ${s.failed} failed, ${s.skipped} skipped of ${s.total}\n`);
      }
    }
    return ok ? ExitCode.ok : ExitCode.failures;
  },
};
