/**
 * Every known-answer vector file shipped in vectors/ runs through the generic runner with every provider
 * (noble and node). One `it` per file, so a failure names the file and its failing tests.
 */
import { describe, expect, it } from 'vitest';
import { relative } from 'node:path';
import { listVectorFiles, runFile, VECTORS_DIR } from './runner.ts';
import { allProviders } from '../implementations/reference/crypto/providers.ts';

describe.each(allProviders().map((p) => [p.name, p] as const))('known-answer vectors (%s provider)', (_name, provider) => {
  const files = listVectorFiles();
  it('finds vector files', () => {
    expect(files.length).toBeGreaterThan(0);
  });
  for (const path of files) {
    it(relative(VECTORS_DIR, path), async () => {
      const r = await runFile(path, provider);
      // Show at most 10 failures, with their reasons, if the file does not pass.
      expect({ file: r.file, failed: r.failed, failures: r.failures.slice(0, 10) }).toEqual({
        file: r.file,
        failed: 0,
        failures: [],
      });
      expect(r.passed + r.skipped).toBe(r.total);
      expect(r.total).toBeGreaterThan(0);
    }, 120_000);
  }
});
