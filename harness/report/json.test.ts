import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UsageError } from '../errors.ts';
import { readReport, rfcUrl, serializeReport, summarize, summaryOk, toReportJson, validateReport } from './json.ts';
import { checkSchema, groupRun, makeCase, makeRun } from './testing.ts';

const schema = JSON.parse(readFileSync(new URL('./report.schema.json', import.meta.url), 'utf8')) as Record<string, unknown>;

const run = makeRun([
  makeCase('tls13-finished-bad[group=x25519]', 'fail'),
  makeCase('tls13-finished-bad[group=secp256r1]', 'pass'),
  makeCase('tls13-hrr-cookie', 'lenient'),
  makeCase('tls13-early-data', 'skip'),
  makeCase('tls13-key-update', 'error'),
  makeCase('tls13-known-bug', 'fail', { expectedFailure: 'issue #12' }),
  makeCase('tls13-was-bug', 'pass', { expectedFailure: 'issue #13' }),
]);

function oneLineError(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(UsageError);
    const line = (e as UsageError).line();
    expect(line).not.toContain('\n');
    return line;
  }
  throw new Error('did not throw');
}

describe('report.json', () => {
  it('has the documented structure and conforms to report.schema.json', () => {
    const text = serializeReport(toReportJson(run));
    const json = JSON.parse(text);
    expect(checkSchema(json, schema)).toEqual([]);
    expect(json).toMatchObject({
      schemaVersion: 1,
      runId: 'run-1',
      target: 'openssl-3.0',
      interrupted: false,
      tool: { name: 'tls-harness', version: expect.stringMatching(/^\d+\.\d+\.\d+/) },
      summary: { total: 7, passed: 2, lenient: 1, advisory: 0, failed: 2, errors: 1, skipped: 1, expectedFailures: 1, unexpectedPasses: 1 },
    });
    expect(Object.keys(json)).toEqual(['schemaVersion', 'runId', 'target', 'startedAt', 'finishedAt', 'interrupted', 'tool', 'summary', 'cases']);
    expect(json.cases[0]).toEqual({
      id: 'tls13-finished-bad[group=x25519]',
      scenarioId: 'tls13-finished-bad',
      title: 'title of tls13-finished-bad',
      verdict: 'fail',
      rfc: {
        doc: 8446,
        section: '4.4.4',
        quote: 'Recipients of Finished messages MUST verify that the contents are correct.',
        level: 'must',
        url: 'https://www.rfc-editor.org/rfc/rfc8446#section-4.4.4',
      },
      reason: 'fail because of reasons',
      expected: 'alert decrypt_error',
      observed: 'alert bad_record_mac',
      step: { index: 3, file: 'scenarios/tls13/finished.yaml', line: 12, col: 5 },
      expectedFailure: null,
      params: { group: 'x25519', record_size: 16384 },
      durationMs: 12.5,
      transcript: run.cases[0].transcript,
    });
    expect(json.cases[1]).toMatchObject({ reason: null, expected: null, observed: null, step: null });
    expect(validateReport(json)).toBe(json);
  });

  it('the schema rejects what the validator rejects (spot checks)', () => {
    const json = JSON.parse(serializeReport(toReportJson(run)));
    json.cases[0].verdict = 'ok';
    delete json.cases[1].rfc.url;
    json.extra = 1;
    expect(checkSchema(json, schema)).toEqual(['$.cases[0].verdict: not in enum', '$.cases[1].rfc: missing url', '$: unexpected property extra']);
  });

  it('an empty run serializes to valid JSON', () => {
    const json = JSON.parse(serializeReport(toReportJson(makeRun([]))));
    expect(json.cases).toEqual([]);
    expect(checkSchema(json, schema)).toEqual([]);
  });

  it('survives transcripts that are not JSON-safe (bigint, bytes, cycles)', () => {
    const cyc: Record<string, unknown> = { n: 1n, bytes: new Uint8Array([1, 2, 255]) };
    cyc.self = cyc;
    const c = makeCase('x', 'fail', { transcript: [{ t: 0, dir: 'note', kind: 'raw', name: 'odd', detail: cyc }] });
    const json = JSON.parse(serializeReport(toReportJson(makeRun([c]))));
    expect(json.cases[0].transcript[0].detail).toEqual({ n: '1', bytes: '0102ff', self: '[circular]' });
  });

  it('rfcUrl links sections and appendices', () => {
    expect(rfcUrl(8446, '4.1.3')).toBe('https://www.rfc-editor.org/rfc/rfc8446#section-4.1.3');
    expect(rfcUrl(8446, 'B.4')).toBe('https://www.rfc-editor.org/rfc/rfc8446#appendix-B.4');
    expect(rfcUrl(5246, 'Section 7.4.1.4')).toBe('https://www.rfc-editor.org/rfc/rfc5246#section-7.4.1.4');
    expect(rfcUrl(8446, '')).toBe('https://www.rfc-editor.org/rfc/rfc8446');
  });

  it('summarize and summaryOk', () => {
    expect(summarize(run.cases)).toEqual({ total: 7, passed: 2, lenient: 1, advisory: 0, failed: 2, errors: 1, skipped: 1, expectedFailures: 1, unexpectedPasses: 1 });
    expect(summaryOk(summarize([makeCase('a', 'pass'), makeCase('b', 'skip'), makeCase('c', 'lenient'), makeCase('d', 'fail', { expectedFailure: 'x' })]))).toBe(true);
    expect(summaryOk(summarize([makeCase('a', 'fail')]))).toBe(false);
    expect(summaryOk(summarize([makeCase('a', 'error')]))).toBe(false);
    expect(summaryOk(summarize([makeCase('a', 'pass', { expectedFailure: 'x' })]))).toBe(false);
  });
});

describe('report.json: positive controls and target output', () => {
  const withControls = makeRun(
    [
      makeCase('tls13-a', 'skip', { reason: 'the target does not complete the unmutated handshake: expected ServerHello or HelloRetryRequest, got alert protocol_version' }),
      makeCase('tls13-b', 'fail', { targetOutput: { source: 'openssl client (pid 42)', stdout: 'CONNECTED(00000003)\n', stderr: 'error:0A000410:SSL routines::sslv3 alert handshake failure\n' } }),
      makeCase('tls13-c', 'advisory'),
    ],
    {
      controls: [
        { key: 'server tls13 {"groups":["x25519"]}', verdict: 'fail', reason: 'expected ServerHello or HelloRetryRequest, got alert protocol_version', durationMs: 4, cases: ['tls13-a'], transcript: [{ t: 0, dir: 'received', kind: 'alert', name: 'protocol_version' }] },
        { key: 'client tls13 {}', verdict: 'pass', durationMs: 9, cases: ['tls13-b', 'tls13-c'] },
      ],
    },
  );

  it('lists the controls before the cases, keeps targetOutput, and conforms to the schema', () => {
    const json = JSON.parse(serializeReport(toReportJson(withControls)));
    expect(checkSchema(json, schema)).toEqual([]);
    expect(Object.keys(json)).toEqual(['schemaVersion', 'runId', 'target', 'startedAt', 'finishedAt', 'interrupted', 'tool', 'summary', 'controls', 'cases']);
    expect(json.controls).toEqual(withControls.controls);
    expect(json.cases[1].targetOutput).toEqual(withControls.cases[1].targetOutput);
    expect('targetOutput' in json.cases[0]).toBe(false);
    expect(json.cases[2].verdict).toBe('advisory');
    expect(validateReport(json)).toBe(json);
  });

  it('the validator and the schema reject a bad control or target output', () => {
    const j = JSON.parse(serializeReport(toReportJson(withControls)));
    j.controls[1].verdict = 'lenient';
    expect(oneLineError(() => validateReport(j))).toBe("invalid tls-harness report: controls[1].verdict: expected one of pass, fail, error, got 'lenient'");
    expect(checkSchema(j, schema)).toEqual(['$.controls[1].verdict: not in enum']);
    const k = JSON.parse(serializeReport(toReportJson(withControls)));
    delete k.cases[1].targetOutput.stderr;
    expect(oneLineError(() => validateReport(k))).toBe('invalid tls-harness report: cases[1].targetOutput.stderr: expected a string, got nothing');
    expect(checkSchema(k, schema)).toEqual(['$.cases[1].targetOutput: missing stderr']);
  });
});

describe('report.json: indistinguishability groups', () => {
  it('lists the groups before the cases, conforms to the schema, and reads back', () => {
    const run = groupRun();
    const json = JSON.parse(serializeReport(toReportJson(run)));
    expect(checkSchema(json, schema)).toEqual([]);
    expect(Object.keys(json)).toEqual(['schemaVersion', 'runId', 'target', 'startedAt', 'finishedAt', 'interrupted', 'tool', 'summary', 'groups', 'cases']);
    expect(json.groups).toEqual(run.groups);
    expect(validateReport(json)).toBe(json);
    expect('groups' in JSON.parse(serializeReport(toReportJson(makeRun([makeCase('x', 'pass')]))))).toBe(false);
  });

  it('the validator and the schema reject a malformed group', () => {
    const j = JSON.parse(serializeReport(toReportJson(groupRun())));
    j.groups[1].outcomes.pop();
    expect(oneLineError(() => validateReport(j))).toBe('invalid tls-harness report: groups[1].outcomes: expected an array of strings or nulls, one per case, got an array');
    const k = JSON.parse(serializeReport(toReportJson(groupRun())));
    delete k.groups[0].equal;
    k.groups[1].timesMs[0] = 'fast';
    expect(oneLineError(() => validateReport(k))).toBe('invalid tls-harness report: groups[0].equal: expected true or false, got nothing');
    expect(checkSchema(k, schema)).toEqual(['$.groups[0]: missing equal', '$.groups[1].timesMs[0]: expected number|null, got string']);
  });
});

describe('validateReport', () => {
  const good = () => JSON.parse(serializeReport(toReportJson(run)));

  it('rejects files that are not tls-harness reports, in one line', () => {
    expect(oneLineError(() => validateReport([], 'a.json'))).toBe('a.json: not a tls-harness report (expected a JSON object, got an array)');
    expect(oneLineError(() => validateReport(null))).toBe('not a tls-harness report (expected a JSON object, got null)');
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8'));
    expect(oneLineError(() => validateReport(pkg, 'package.json'))).toBe("package.json: not a tls-harness report (no schemaVersion, or tool.name is not 'tls-harness')");
    expect(oneLineError(() => validateReport({ ...good(), tool: { name: 'other', version: '1' } }))).toMatch(/not a tls-harness report/);
  });

  it('rejects other schema versions', () => {
    expect(oneLineError(() => validateReport({ ...good(), schemaVersion: 2 }, 'r.json'))).toBe(
      'r.json: report schema version 2 is newer than this tls-harness understands (1); upgrade tls-harness',
    );
    expect(oneLineError(() => validateReport({ ...good(), schemaVersion: '1' }))).toBe('unsupported report schema version "1" (this tls-harness reads version 1)');
  });

  it('reads reports written before requirement levels (no summary.advisory, no rfc.level)', () => {
    const j = good();
    delete j.summary.advisory;
    for (const c of j.cases) delete c.rfc.level;
    const r = validateReport(j);
    expect(r.summary.advisory).toBe(0);
    expect(r.cases.every((c) => c.rfc.level === 'must')).toBe(true);
    const k = good();
    k.cases[0].rfc.level = 'ought';
    expect(oneLineError(() => validateReport(k))).toBe("invalid tls-harness report: cases[0].rfc.level: expected must, should or may, got 'ought'");
  });

  it('names the first bad field', () => {
    const j = good();
    j.cases[2].verdict = 'ok';
    expect(oneLineError(() => validateReport(j, 'r.json'))).toBe("r.json: invalid tls-harness report: cases[2].verdict: expected one of pass, lenient, advisory, fail, error, skip, got 'ok'");
    const k = good();
    delete k.summary.failed;
    expect(oneLineError(() => validateReport(k))).toBe('invalid tls-harness report: summary.failed: expected a non-negative integer, got nothing');
    const l = good();
    l.cases[0].transcript[1].dir = 'up';
    expect(oneLineError(() => validateReport(l))).toMatch(/cases\[0\]\.transcript\[1\]\.dir: expected one of sent, received, note, got 'up'$/);
    const m = good();
    m.cases[0].step = { index: 1, file: 'x', line: 'one', col: 1 };
    expect(oneLineError(() => validateReport(m))).toMatch(/cases\[0\]\.step\.line: expected a non-negative integer, got 'one'$/);
    const n = good();
    n.interrupted = 'no';
    expect(oneLineError(() => validateReport(n))).toMatch(/: interrupted: expected true or false, got 'no'$/);
  });

  it('readReport: missing file, directory, not JSON', () => {
    const dir = mkdtempSync(join(tmpdir(), 'report-'));
    expect(oneLineError(() => readReport(join(dir, 'nope.json')))).toBe(`${join(dir, 'nope.json')}: no such file`);
    expect(oneLineError(() => readReport(dir))).toBe(`${dir}: is a directory, not a report.json`);
    writeFileSync(join(dir, 'junit.xml'), '<?xml version="1.0"?>\n<testsuite/>');
    expect(oneLineError(() => readReport(join(dir, 'junit.xml')))).toMatch(/junit\.xml: not a tls-harness report \(not JSON: .*\)$/);
    writeFileSync(join(dir, 'report.json'), serializeReport(toReportJson(run)));
    expect(readReport(join(dir, 'report.json')).cases).toHaveLength(7);
  });
});

describe('report.json: probe and trust', () => {
  const probe = {
    capabilities: { versions: ['tls13' as const], cipher_suites: ['TLS_AES_128_GCM_SHA256'], groups: ['x25519'], signature_schemes: ['ecdsa_secp256r1_sha256'], features: ['psk'], alpn: ['http/1.1'] },
    handshakes: 19,
    durationMs: 512,
    certificate: { subject: 'CN=localhost', issuer: 'CN=other CA', keyType: 'ecdsa-secp256r1', chainValid: false, error: 'no trusted issuer for "CN=other CA"' },
    certificates: [{ subject: 'CN=localhost', issuer: 'CN=other CA', keyType: 'ecdsa-secp256r1', chainValid: null, signature_schemes: ['ecdsa_secp256r1_sha256'] }],
    notes: ['TLS 1.2: alert protocol_version received'],
  };
  const trust = { ca: 'the test CA', verifyChain: false, reason: 'the chain did not validate (setup.certificate-chain)' };

  it('are written after the summary, conform to the schema, and read back', () => {
    const json = JSON.parse(serializeReport(toReportJson({ ...run, probe, trust })));
    expect(Object.keys(json)).toEqual(['schemaVersion', 'runId', 'target', 'startedAt', 'finishedAt', 'interrupted', 'tool', 'summary', 'probe', 'trust', 'cases']);
    expect(json.probe).toEqual(probe);
    expect(json.trust).toEqual(trust);
    expect(checkSchema(json, schema)).toEqual([]);
    expect(validateReport(json)).toBe(json);
    const noCert = JSON.parse(serializeReport(toReportJson({ ...run, probe: { ...probe, certificate: null } })));
    expect(checkSchema(noCert, schema)).toEqual([]);
  });

  it('a malformed probe or trust is refused by the validator and the schema', () => {
    const json = JSON.parse(serializeReport(toReportJson({ ...run, probe, trust })));
    json.probe.capabilities.groups = 'x25519';
    expect(oneLineError(() => validateReport(json))).toBe("invalid tls-harness report: probe.capabilities.groups: expected an array, got 'x25519'");
    expect(checkSchema(json, schema)).toEqual(['$.probe.capabilities.groups: expected array, got string']);
    const t = JSON.parse(serializeReport(toReportJson({ ...run, trust })));
    delete t.trust.verifyChain;
    expect(oneLineError(() => validateReport(t))).toBe('invalid tls-harness report: trust.verifyChain: expected true or false, got nothing');
  });
});

describe('report.json: command line, capabilities, target role, tags, changed fields (for the HTML report)', () => {
  const capabilities = { roles: ['server' as const], versions: ['tls13'], cipher_suites: ['TLS_AES_128_GCM_SHA256'], groups: ['x25519'], signature_schemes: ['ed25519'], features: ['key_update'], alpn: [] };
  const command = ['tls-harness', 'run', '--target', 'openssl'];
  const sent = { t: 0, dir: 'sent' as const, kind: 'handshake', name: 'ClientHello', detail: { legacy_version: 'TLS1_2' }, changed: ['legacy_version', 'record.version'] };
  const withAll = () => ({
    ...run,
    command,
    capabilities,
    cases: [makeCase('tls13-a', 'fail', { targetRole: 'server', tags: ['tls13', 'alerts'], transcript: [sent] }), makeCase('tls13-b', 'pass', { targetRole: 'client' })],
  });

  it('are written when known, conform to the schema, and read back', () => {
    const json = JSON.parse(serializeReport(toReportJson(withAll())));
    expect(Object.keys(json)).toEqual(['schemaVersion', 'runId', 'target', 'startedAt', 'finishedAt', 'interrupted', 'tool', 'summary', 'command', 'capabilities', 'cases']);
    expect(json.command).toEqual(command);
    expect(json.capabilities).toEqual(capabilities);
    expect(json.cases[0]).toMatchObject({ targetRole: 'server', tags: ['tls13', 'alerts'], transcript: [sent] });
    expect(checkSchema(json, schema)).toEqual([]);
    expect(validateReport(json)).toBe(json);
  });

  it('reports without them (written before) still read; malformed ones are refused by the validator and the schema', () => {
    expect(validateReport(JSON.parse(serializeReport(toReportJson(run)))).command).toBeUndefined();
    const json = JSON.parse(serializeReport(toReportJson(withAll())));
    json.cases[1].targetRole = 'peer';
    expect(oneLineError(() => validateReport(json))).toBe("invalid tls-harness report: cases[1].targetRole: expected server or client, got 'peer'");
    expect(checkSchema(json, schema)).toEqual(['$.cases[1].targetRole: not in enum']);
    const k = JSON.parse(serializeReport(toReportJson(withAll())));
    k.cases[0].transcript[0].changed = 'legacy_version';
    expect(oneLineError(() => validateReport(k))).toBe("invalid tls-harness report: cases[0].transcript[0].changed: expected an array of strings, got 'legacy_version'");
    expect(checkSchema(k, schema)).toEqual(['$.cases[0].transcript[0].changed: expected array, got string']);
    const m = JSON.parse(serializeReport(toReportJson(withAll())));
    m.command = 'tls-harness run';
    expect(oneLineError(() => validateReport(m))).toBe("invalid tls-harness report: command: expected an array of strings, got 'tls-harness run'");
  });
});
