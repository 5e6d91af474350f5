import { describe, expect, it } from 'vitest';
import { readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join, relative } from 'node:path';
import {
  ScenarioError,
  expandCases,
  formatDiagnostic,
  globFiles,
  loadScenarioFile,
  loadScenarios,
  loadScenariosOrThrow,
  parseScenarioText,
  type Diagnostic,
} from './loader.ts';
import type { Scenario, Step } from './model.ts';

const here = (p: string) => relative(process.cwd(), fileURLToPath(new URL(p, import.meta.url)));
const brokenDir = here('./fixtures/broken');
const everyForm = here('./fixtures/ok/every-form.yaml');
const examples = here('../../scenarios/examples');

const HEAD = `id: t
title: a test
rfc: { doc: 8446, section: 4.4.4, quote: "q" }
target: server
versions: [tls13]
`;

/** Parse a scenario made of HEAD plus `rest`; line numbers in `rest` start at 6. */
function parse(rest: string, head = HEAD) {
  return parseScenarioText(head + rest, 't.yaml');
}
const lines = (ds: Diagnostic[]) => ds.map((d) => `${d.line}:${d.col} ${d.severity}: ${d.message}`);
function only(rest: string): Scenario {
  const r = parse(rest);
  expect(lines(r.diagnostics)).toEqual([]);
  expect(r.scenarios).toHaveLength(1);
  return r.scenarios[0];
}
const steps = (rest: string): Step[] => only(rest).steps.map(({ loc: _loc, ...s }) => s as Step);

describe('broken fixtures: every diagnostic, with exact line:col', () => {
  const all = loadScenarios([brokenDir]);
  const files = readdirSync(brokenDir).filter((f) => f.endsWith('.yaml'));
  it('covers the fixtures', () => {
    expect(files.length).toBeGreaterThanOrEqual(9);
    expect(all.files.map((f) => f.split(/[\\/]/).pop()).sort()).toEqual([...files].sort());
  });
  for (const f of files.filter((x) => x !== 'dup-a.yaml')) {
    it(f, () => {
      const path = join(brokenDir, f);
      const expected = readFileSync(path, 'utf8')
        .split('\n')
        .filter((l) => l.startsWith('# expect '))
        .map((l) => l.slice('# expect '.length));
      expect(expected.length).toBeGreaterThan(0);
      expect(lines(all.diagnostics.filter((d) => d.file === path))).toEqual(expected);
    });
  }
  it('dup-a.yaml (the first of two equal ids) has no diagnostic', () => {
    expect(all.diagnostics.filter((d) => d.file === join(brokenDir, 'dup-a.yaml'))).toEqual([]);
  });
  it('a file with errors yields no scenario; one with only warnings does', () => {
    expect(loadScenarioFile(join(brokenDir, 'names.yaml')).scenarios).toEqual([]);
    const r = parse(`tags: [x]\nsteps: [close_notify]\nmatrix: { unused: [1] }\n`);
    expect(r.diagnostics.map((d) => d.severity)).toEqual(['warning']);
    expect(r.scenarios).toHaveLength(1);
  });
});

describe('every form the loader accepts', () => {
  const r = loadScenarioFile(everyForm);
  it('loads without any diagnostic', () => {
    expect(r.diagnostics.map(formatDiagnostic)).toEqual([]);
    expect(r.scenarios).toHaveLength(1);
  });
  const s = r.scenarios[0];

  it('reads the header, keeping a numeric section as written', () => {
    expect(s.id).toBe('every-form.tls13');
    expect(s.rfc).toEqual({ doc: 8446, section: '4.1', quote: 'a quote' });
    expect(s.target).toBe('server');
    expect(s.versions).toEqual(['tls13', 'tls12']);
    expect(s.tags).toEqual(['reference', 'all']);
    expect(s.timeout).toBe(5000);
    expect(s.matrix).toEqual({ suite: ['TLS_AES_128_GCM_SHA256', 0x1302], group: ['x25519', 'secp256r1'] });
    expect(s.requires.groups).toEqual(['x25519', 'secp256r1']);
    expect(s.config.groups).toEqual(['${group}', 'x25519']);
    expect(s.loc).toEqual({ file: everyForm, line: 3, col: 1 });
    expect(s.steps[0].loc).toEqual({ file: everyForm, line: 29, col: 5 });
  });

  it('every mutate op', () => {
    const send = s.steps[0];
    if (send.kind !== 'send') throw new Error('not send');
    expect(send.message).toBe('ClientHello');
    expect(send.mutate).toEqual([
      { op: 'xor', pos: { at: 0 }, value: 1 },
      { op: 'xor', pos: { field: 'ClientHello.random', at: 3 }, value: 1 },
      { op: 'set_bytes', pos: { at: 10 }, hex: '00ff' },
      { op: 'set_bytes', pos: { field: 'ClientHello.legacy_session_id' }, hex: 'abcd' },
      { op: 'truncate', pos: { at: 40 } },
      { op: 'truncate', pos: { field: 'ClientHello.extensions' } },
      { op: 'truncate', pos: { at: 12 } },
      { op: 'extend', hex: 'deadbeef' },
      { op: 'extend', hex: '00' },
      { op: 'append', field: 'ClientHello.extensions', hex: '0000' },
      { op: 'append', hex: '0000' },
      { op: 'length', field: 'ClientHello.extensions', value: 3 },
      { op: 'insert_extension', type: 'padding', hex: '0000', index: 0 },
      { op: 'insert_extension', type: 0xfe0d, value: { a: 1 } },
      { op: 'insert_extension', type: 0x1a1a },
      { op: 'remove_extension', type: 'supported_versions' },
      { op: 'duplicate_extension', type: 'key_share' },
      { op: 'remove_extension', type: 43 },
      { op: 'reorder_extensions', order: ['supported_versions', 'key_share', 10] },
    ]);
    expect(send.record).toEqual({ max_fragment: 10, fragment_at: [5], coalesce: true, tcp_split: [3], version: 0x0301, content_type: 23, plaintext: true, length: 5 });
    expect(send.set).toEqual({
      cipher_suites: ['${suite}'],
      'extensions.key_share.client_shares[0].group': '${group}',
      legacy_session_id: '0x0a0b',
      random: { hex: '00112233' },
      legacy_version: 0x0303,
      'extensions.${group}.note': 'literal $${not_a_param}',
    });
  });

  it('every step kind', () => {
    const kinds = s.steps.map((x) => x.kind);
    expect(new Set(kinds)).toEqual(
      new Set(['send', 'send_raw', 'send_application_data', 'send_alert', 'send_change_cipher_spec', 'close_notify', 'key_update', 'wait', 'reconnect', 'expect']),
    );
    const noLoc = s.steps.slice(1, 21).map(({ loc: _l, ...x }) => x);
    expect(noLoc).toEqual([
      { kind: 'send', message: 'ServerHello', set: {}, mutate: [], record: { version: 0x0303, content_type: 22 } },
      { kind: 'send_raw', layer: 'record', hex: '1603030001ff' },
      { kind: 'send_raw', layer: 'handshake', hex: '0100', content_type: 22 },
      { kind: 'send_raw', layer: 'tcp', hex: '00' },
      { kind: 'send_raw', layer: 'record', hex: '1603030001ff' },
      { kind: 'send_application_data', data: new TextEncoder().encode('GET / HTTP/1.1\r\n\r\n') },
      { kind: 'send_application_data', data: Uint8Array.from([0x0a, 0x0b]) },
      { kind: 'send_alert', level: 2, description: 50 },
      { kind: 'send_alert', level: 1, description: 0 },
      { kind: 'send_alert', level: 2, description: 50 },
      { kind: 'send_change_cipher_spec' },
      { kind: 'send_change_cipher_spec' },
      { kind: 'close_notify' },
      { kind: 'close_notify' },
      { kind: 'key_update', request_update: true },
      { kind: 'key_update', request_update: false },
      { kind: 'wait', ms: 100 },
      { kind: 'reconnect', resume: true },
      { kind: 'reconnect', resume: false },
      { kind: 'expect', expect: { kind: 'messages', messages: [{ names: ['ServerHello'], optional: false, repeat: false, where: {} }] } },
    ]);
  });

  it('every expectation', () => {
    const m = (names: string[], extra: object = {}) => ({ names, optional: false, repeat: false, where: {}, ...extra });
    const ex = s.steps.filter((x) => x.kind === 'expect').map((x) => (x.kind === 'expect' ? x.expect : undefined));
    expect(ex).toEqual([
      { kind: 'messages', messages: [m(['ServerHello'])] },
      { kind: 'messages', messages: ['ServerHello', 'EncryptedExtensions', 'Certificate', 'CertificateVerify', 'Finished'].map((n) => m([n])) },
      {
        kind: 'messages',
        messages: [m(['ServerHello']), m(['EncryptedExtensions'], { where: { 'extensions.server_name': 'present', 'extensions.early_data': 'absent' } })],
      },
      {
        kind: 'messages',
        messages: [m(['ServerHello'], { where: { cipher_suite: '${negotiated.cipher_suite}', 'extensions.key_share.server_share.group': '${client_hello.key_share[0].group}' } })],
      },
      { kind: 'messages', messages: [m(['CertificateRequest', 'Certificate'])] },
      { kind: 'messages', messages: [m(['HelloRetryRequest', 'ServerHello'], { optional: true })] },
      { kind: 'messages', messages: [m(['NewSessionTicket'], { optional: true, repeat: true })] },
      { kind: 'application_data' },
      { kind: 'application_data', data: new TextEncoder().encode('text') },
      { kind: 'application_data', data: Uint8Array.from([0x0a, 0x0b]) },
      { kind: 'handshake_complete' },
      { kind: 'silence', ms: 500 },
      { kind: 'alert', alerts: ['decrypt_error', 'decode_error'], lenient: false },
      { kind: 'alert', alerts: ['decrypt_error'], lenient: true },
      { kind: 'close' },
    ]);
  });
});

describe('matrix expansion and substitution', () => {
  const s = loadScenarioFile(everyForm).scenarios[0];
  const cases = expandCases(s);

  it('is the cartesian product, first key slowest, ids in matrix key order', () => {
    expect(cases.map((c) => c.id)).toEqual([
      'every-form.tls13[suite=TLS_AES_128_GCM_SHA256,group=x25519]',
      'every-form.tls13[suite=TLS_AES_128_GCM_SHA256,group=secp256r1]',
      'every-form.tls13[suite=4866,group=x25519]',
      'every-form.tls13[suite=4866,group=secp256r1]',
    ]);
    expect(cases[3].params).toEqual({ suite: 0x1302, group: 'secp256r1' });
    expect(cases.every((c) => c.scenario === s)).toBe(true);
  });

  it('substitutes in steps, config and requires; names normalized; $${ unescaped', () => {
    const c = cases[3];
    const send = c.steps[0];
    if (send.kind !== 'send') throw new Error('not send');
    expect(send.set).toEqual({
      cipher_suites: [0x1302],
      'extensions.key_share.client_shares[0].group': 'secp256r1',
      legacy_session_id: '0x0a0b',
      random: { hex: '00112233' },
      legacy_version: 0x0303,
      'extensions.secp256r1.note': 'literal ${not_a_param}',
    });
    expect(c.config.cipher_suites).toEqual(['TLS_AES_256_GCM_SHA384', 'TLS_CHACHA20_POLY1305_SHA256']);
    expect(c.config.groups).toEqual(['secp256r1', 'x25519']);
    expect(c.config.key_share_groups).toEqual(['secp256r1']);
    expect(c.config.server_name).toBe('host-secp256r1.example');
    expect(c.requires.cipher_suites).toEqual(['TLS_AES_256_GCM_SHA384']);
    // the scenario itself keeps its templates
    expect(s.config.key_share_groups).toEqual(['${group}']);
  });

  it('control: its config is substituted per case; live-state references survive expansion', () => {
    const c = cases[3];
    expect(s.control).toEqual({ config: { cipher_suites: ['${suite}'], groups: ['${group}'] } });
    expect(c.control).toEqual({ config: { cipher_suites: ['TLS_AES_256_GCM_SHA384'], groups: ['secp256r1'] } });
    const e = c.steps.find((x) => x.kind === 'expect' && x.expect.kind === 'messages' && x.expect.messages[0].where.cipher_suite !== undefined);
    expect(e).toMatchObject({ expect: { messages: [{ where: { cipher_suite: '${negotiated.cipher_suite}', 'extensions.key_share.server_share.group': '${client_hello.key_share[0].group}' } }] } });
    const off = only('control: false\nsteps: [close_notify]\n');
    expect(off.control).toBe(false);
    expect(expandCases(off)[0].control).toBe(false);
    const on = only('control: true\nsteps: [close_notify]\n');
    expect(on.control).toBeUndefined();
    expect('control' in expandCases(on)[0]).toBe(false);
  });

  it('indistinguishable: each case names its group, by the parameters that do not vary', () => {
    expect(s.indistinguishable).toEqual(['group']);
    expect(cases.map((c) => c.group)).toEqual([
      'every-form.tls13[suite=TLS_AES_128_GCM_SHA256]',
      'every-form.tls13[suite=TLS_AES_128_GCM_SHA256]',
      'every-form.tls13[suite=4866]',
      'every-form.tls13[suite=4866]',
    ]);
    const all = only('matrix: { a: [1, 2], b: [x, y] }\nindistinguishable: true\nsteps:\n  - send: ClientHello\n    set: { note: "${a}${b}" }\n');
    expect(all.indistinguishable).toEqual(['a', 'b']);
    expect(new Set(expandCases(all).map((c) => c.group))).toEqual(new Set(['t']));
    const none = only('matrix: { a: [1, 2] }\nindistinguishable: false\nsteps:\n  - send: ClientHello\n    set: { note: "${a}" }\n');
    expect('indistinguishable' in none).toBe(false);
    expect(expandCases(none).some((c) => 'group' in c)).toBe(false);
  });

  it('without a matrix: one case named by the id', () => {
    const sc = only(`steps:\n  - send: ClientHello\n    set: { note: "a $\${b}" }\n`);
    const cs = expandCases(sc);
    expect(cs.map((c) => c.id)).toEqual(['t']);
    expect(cs[0].params).toEqual({});
    expect(cs[0].steps[0]).toMatchObject({ set: { note: 'a ${b}' } });
  });

  it('templated hex, extension types, content types and alerts resolve per case', () => {
    const sc = only(
      [
        'matrix: { b: ["00", "ff"], ext: [padding, 43], ct: [alert, 23], al: [decode_error, 47] }',
        'steps:',
        '  - send: ClientHello',
        '    mutate: [ { extend: "${b}${b}" }, { remove_extension: "${ext}" } ]',
        '    record: { content_type: "${ct}" }',
        '  - expect: { alert: ["${al}"] }',
        '',
      ].join('\n'),
    );
    const cs = expandCases(sc);
    expect(cs).toHaveLength(16);
    const last = cs[15];
    expect(last.id).toBe('t[b=ff,ext=43,ct=23,al=47]');
    expect(last.steps[0]).toMatchObject({ mutate: [{ op: 'extend', hex: 'ffff' }, { op: 'remove_extension', type: 43 }], record: { content_type: 23 } });
    expect(cs[0].steps[0]).toMatchObject({ mutate: [{ hex: '0000' }, { type: 'padding' }], record: { content_type: 21 } });
    expect(last.steps[1]).toMatchObject({ expect: { kind: 'alert', alerts: ['illegal_parameter'] } });
  });

  it('the example scenario expands to one case per TLS 1.3 suite', () => {
    const r = loadScenarios([examples]);
    expect(r.diagnostics).toEqual([]);
    const ex = r.scenarios.find((x) => x.id === 'tls13-finished-bad-verify-data')!;
    expect(expandCases(ex).map((c) => c.config.cipher_suites)).toEqual([['TLS_AES_128_GCM_SHA256'], ['TLS_AES_256_GCM_SHA384'], ['TLS_CHACHA20_POLY1305_SHA256']]);
    expect(r.scenarios.map((x) => x.target).sort()).toEqual(['client', 'server']);
  });
});

describe('errors, each with its position', () => {
  it('YAML syntax', () => {
    const r = parseScenarioText('id: x\ntitle: [a\n', 's.yaml');
    expect(r.diagnostics[0]).toMatchObject({ file: 's.yaml', line: 3, col: 1, severity: 'error' });
    expect(r.scenarios).toEqual([]);
  });

  it('duplicate keys (YAML)', () => {
    const r = parse('steps: [close_notify]\nsteps: [close_notify]\n');
    expect(lines(r.diagnostics)).toEqual(['7:1 error: Map keys must be unique']);
  });

  it('unknown keys with the closest valid key', () => {
    expect(lines(parse('steps:\n  - sned: ClientHello\n').diagnostics)).toEqual(["7:5 error: unknown step key 'sned' (did you mean 'send'?)"]);
    expect(lines(parse('tgas: []\nsteps: [close_notify]\n').diagnostics)).toEqual(["6:1 error: unknown key 'tgas' (did you mean 'tags'?)"]);
    expect(lines(parse('steps:\n  - close_notfy\n').diagnostics)).toEqual(["7:5 error: unknown step 'close_notfy' (did you mean 'close_notify'?)"]);
    expect(lines(parse('steps:\n  - reconnect: { resum: true }\n').diagnostics)).toEqual(["7:18 error: unknown key 'resum' in reconnect (did you mean 'resume'?)"]);
    expect(lines(parse('steps:\n  - expect: { message: Finished, repaet: true }\n').diagnostics)).toEqual([
      "7:34 error: unknown expect key 'repaet' (did you mean 'repeat'?)",
    ]);
    expect(lines(parse('steps:\n  - send: ClientHello\n    mutate: [ { xor: { at: 1, value: 1 }, at: 2 } ]\n').diagnostics)).toEqual([
      "8:43 error: one op per mutate entry: 'at' next to 'xor' (indent it under 'xor'?)",
    ]);
  });

  it('wrong types', () => {
    expect(lines(parse('steps: { send: ClientHello }\n').diagnostics)).toEqual(['6:8 error: steps must be a list, got a mapping']);
    expect(lines(parse('timeout: 1.5\nsteps: [close_notify]\n').diagnostics)).toEqual(['6:10 error: timeout (ms) must be an integer, got 1.5']);
    expect(lines(parse('steps:\n  - reconnect: { resume: 1 }\n').diagnostics)).toEqual(['7:26 error: reconnect resume must be true or false, got 1']);
    expect(lines(parse('steps:\n  - expect: { alert: decode_error, lenient: "no" }\n').diagnostics)).toEqual([
      "7:45 error: lenient must be true or false, got 'no'",
    ]);
    expect(lines(parse('steps:\n  - expect: { silence: 5, lenient: true }\n').diagnostics)).toEqual([
      "7:27 error: 'lenient' does not apply to an silence expectation",
    ]);
  });

  it('config.certificate_verify: one of the faults, templated or not (issue 14)', () => {
    expect(only('config: { certificate_verify: other_context }\nsteps: [close_notify]\n').config).toMatchObject({ certificate_verify: 'other_context' });
    const templated = only('matrix: { fault: [other_context, stale_transcript] }\nconfig: { certificate_verify: "${fault}" }\nsteps: [close_notify]\n');
    expect(expandCases(templated).map((c) => c.config.certificate_verify)).toEqual(['other_context', 'stale_transcript']);
    expect(lines(parse('config: { certificate_verify: stale_transcrpt }\nsteps: [close_notify]\n').diagnostics)).toEqual([
      "6:31 error: unknown certificate_verify fault 'stale_transcrpt' (one of other_context, stale_transcript) (did you mean 'stale_transcript'?)",
    ]);
  });

  it('config.ffdhe_leading_zero: shared_secret or public_value, templated or not', () => {
    expect(only('config: { ffdhe_leading_zero: shared_secret }\nsteps: [close_notify]\n').config).toMatchObject({ ffdhe_leading_zero: 'shared_secret' });
    const templated = only('matrix: { z: [shared_secret, public_value] }\nconfig: { ffdhe_leading_zero: "${z}" }\nsteps: [close_notify]\n');
    expect(expandCases(templated).map((c) => c.config.ffdhe_leading_zero)).toEqual(['shared_secret', 'public_value']);
    expect(lines(parse('config: { ffdhe_leading_zero: shared_secrets }\nsteps: [close_notify]\n').diagnostics)).toEqual([
      "6:31 error: unknown ffdhe_leading_zero value 'shared_secrets' (one of shared_secret, public_value) (did you mean 'shared_secret'?)",
    ]);
  });

  it('missing required fields', () => {
    const r = parseScenarioText('title: x\nsteps: [close_notify]\n', 'm.yaml');
    expect(lines(r.diagnostics)).toEqual([
      "1:1 error: the scenario is missing required key 'id'",
      "1:1 error: the scenario is missing required key 'rfc'",
      "1:1 error: the scenario is missing required key 'target'",
      "1:1 error: the scenario is missing required key 'versions'",
    ]);
    expect(lines(parseScenarioText('- a\n', 'l.yaml').diagnostics)).toEqual(['1:1 error: a scenario must be a mapping, got a list']);
  });

  it('unknown names against every table, numbers accepted', () => {
    const r = parse(
      [
        'config: { cipher_suites: [TLS_AES_128_GCM_SHA265, 0x1301, "0x1a1a"], groups: [X25519], signature_schemes: [ed2519], key_share_groups: [70000] }',
        'steps:',
        '  - alert: { level: fatel, description: 300 }',
        '  - send_raw: { hex: "00", content_type: alrt }',
        '  - send: Finished',
        '    record: { version: TLS1_3, content_type: 255 }',
        '    mutate: [ { duplicate_extension: keyshare }, { insert_extension: { type: 65536 } } ]',
        '  - expect: [ServerHelo]',
        '',
      ].join('\n'),
    );
    expect(lines(r.diagnostics)).toEqual([
      "6:27 error: unknown cipher suite 'TLS_AES_128_GCM_SHA265' (did you mean 'TLS_AES_128_GCM_SHA256'?)",
      "6:79 error: unknown group 'X25519' (did you mean 'x25519'?)",
      "6:108 error: unknown signature scheme 'ed2519' (did you mean 'ed25519'?)",
      '6:136 error: group 70000 is out of range (0..65535)',
      "8:21 error: unknown alert level 'fatel' (did you mean 'fatal'?)",
      '8:41 error: alert 300 is out of range (0..255)',
      "9:42 error: unknown content type 'alrt' (did you mean 'alert'?)",
      "12:38 error: unknown extension 'keyshare' (did you mean 'key_share'?)",
      '12:78 error: extension 65536 is out of range (0..65535)',
      "13:14 error: unknown message 'ServerHelo' (did you mean 'ServerHello'?)",
    ]);
  });

  it('bad hex, with plain YAML numbers read as the digits written', () => {
    expect(lines(parse('steps:\n  - send_raw: "16 03 0"\n').diagnostics)).toEqual(["7:15 error: bad hex '16 03 0': odd number of hex digits (5)"]);
    expect(lines(parse('steps:\n  - application_data: { hex: xyz }\n').diagnostics)).toEqual(["7:30 error: bad hex 'xyz': 'x' is not a hex digit"]);
    const st = steps('steps:\n  - send_raw: 0000\n  - send: ClientHello\n    mutate: [ { extend: 0x00ff } ]\n');
    expect(st[0]).toEqual({ kind: 'send_raw', layer: 'record', hex: '0000' });
    expect(st[1]).toMatchObject({ mutate: [{ op: 'extend', hex: '00ff' }] });
  });

  it('duplicate ids across files, at the second id', () => {
    const r = loadScenarios([join(brokenDir, 'dup-a.yaml'), join(brokenDir, 'dup-b.yaml')]);
    expect(r.diagnostics.map(formatDiagnostic)).toEqual([
      `${join(brokenDir, 'dup-b.yaml')}:1:5: duplicate scenario id 'broken-duplicate' (first defined at ${join(brokenDir, 'dup-a.yaml')}:1:5)`,
    ]);
    expect(r.scenarios).toHaveLength(1);
  });

  it('undefined ${x}, at the string that uses it; a bad matrix value at the value', () => {
    expect(lines(parse('steps:\n  - send: ClientHello\n    set: { a: "${x}" }\n').diagnostics)).toEqual([
      "8:15 error: undefined parameter '${x}' (this scenario has no matrix)",
    ]);
    expect(lines(parse('matrix: { m: [ClientHello, Finishd] }\nsteps:\n  - send: "${m}"\n').diagnostics)).toEqual([
      "6:28 error: unknown message 'Finishd' (did you mean 'Finished'?) (matrix value used as '${m}' at 8:11)",
    ]);
    expect(lines(parse('matrix: { n: [1, 2] }\nsteps:\n  - expect: { alert: "decode_error${n}" }\n').diagnostics)).toEqual([
      "8:22 error: unknown alert 'decode_error1' (did you mean 'decode_error'?) (with n=1)",
      "8:22 error: unknown alert 'decode_error2' (did you mean 'decode_error'?) (with n=2)",
    ]);
    expect(lines(parse('matrix: { "a-b": [1], c: [a, a], d: [] }\nsteps: [close_notify]\n').diagnostics)).toEqual([
      "6:11 error: matrix key 'a-b' must be a name ([A-Za-z_][A-Za-z0-9_]*)",
      "6:30 error: duplicate matrix value 'a' in 'c' (two cases would have the same id)",
      "6:37 error: matrix 'd' must list at least one value",
    ]);
  });

  it('application_data text is not a template (warning)', () => {
    expect(lines(parse('matrix: { p: [a] }\nconfig: { alpn: ["${p}"] }\nsteps:\n  - application_data: "GET /${p}"\n').diagnostics)).toEqual([
      "9:23 warning: '${p}' in application_data is not substituted: application_data text is sent as written (use { hex } or a send step for parameters)",
    ]);
  });

  it('step structure', () => {
    expect(lines(parse('steps:\n  - set: { a: 1 }\n').diagnostics)).toEqual([
      "7:5 error: a step needs an action (send, send_raw, application_data, alert, change_cipher_spec, close_notify, key_update, wait, reconnect, expect); 'set' goes with 'send'",
    ]);
    expect(lines(parse('steps:\n  - expect: [ServerHello, close]\n').diagnostics)).toEqual([
      "7:27 error: 'close' cannot be part of a message sequence: give it its own expect step",
    ]);
    expect(lines(parse('steps:\n  - expect: { message: A, one_of: [B] }\n').diagnostics)).toEqual([
      "7:27 error: one expectation per step: 'message' and 'one_of' (split it into two steps)",
    ]);
    expect(lines(parse('steps:\n  - send: ClientHello\n    mutate: [ { insert_extension: { type: 1, hex: "", value: 1 } } ]\n').diagnostics)).toEqual([
      "8:55 error: insert_extension takes 'hex' or 'value', not both",
    ]);
    expect(lines(parse('steps:\n  - send: ClientHello\n    record: { fragment_at: [5, 3] }\n').diagnostics)).toEqual([
      '8:32 error: record fragment_at offsets must increase (5 then 3)',
    ]);
  });
});

describe('premaster and record cbc (RFC 5246 7.4.7.1, 6.2.3.2)', () => {
  const TLS12 = HEAD.replace('versions: [tls13]', 'versions: [tls12]');
  const p12 = (rest: string) => lines(parse(rest, TLS12).diagnostics);

  it('every-form: premaster specs, cbc records on send and application_data steps', () => {
    const st = loadScenarioFile(everyForm).scenarios[0].steps.map(({ loc: _l, ...x }) => x);
    const i = st.findIndex((x) => x.kind === 'send' && x.message === 'ClientKeyExchange');
    expect(st.slice(i, i + 7)).toEqual([
      {
        kind: 'send', message: 'ClientKeyExchange', set: {}, mutate: [], record: {},
        premaster: { version: 0x0302, message_length: 47, first_bytes: '0001', zero_in_padding: 3, no_separator: true, ciphertext_length: 255 },
      },
      { kind: 'send', message: 'ClientKeyExchange', set: {}, mutate: [], record: {}, premaster: { separator_at: 20 } },
      { kind: 'send', message: 'ClientKeyExchange', set: {}, mutate: [], record: {}, premaster: { all_zero: true } },
      { kind: 'send', message: 'ClientKeyExchange', set: {}, mutate: [], record: {}, premaster: { plaintext: '0002' + 'ff'.repeat(253) + '00', ciphertext_length: 256 } },
      { kind: 'send', message: 'ClientKeyExchange', set: {}, mutate: [], record: {}, premaster: { ciphertext: '0102' } },
      {
        kind: 'send', message: 'Finished', set: {}, mutate: [],
        record: { cbc: { padding_length: 15, padding: '0f'.repeat(14) + '0e', padding_length_byte: 14, mac_xor: { at: -1, value: 1 }, iv: '00'.repeat(16) } },
      },
      {
        kind: 'send_application_data', data: new TextEncoder().encode('padding oracle'),
        record: { cbc: { padding_length: 255 }, wire_xor: { at: -1, value: 1 }, tcp_split: [3] },
      },
    ]);
  });

  it('premaster goes only with a ClientKeyExchange, checked for every matrix value', () => {
    expect(p12('steps:\n  - send: ClientHello\n    premaster: { all_zero: true }\n')).toEqual([
      '8:5 error: premaster applies only to a ClientKeyExchange, not ClientHello',
    ]);
    expect(p12('matrix: { m: [ClientKeyExchange, Finished] }\nsteps:\n  - send: "${m}"\n    premaster: { all_zero: true }\n')).toEqual([
      "6:34 error: premaster applies only to a ClientKeyExchange, not Finished (matrix value used as '${m}' at 9:5)",
    ]);
    expect(p12('steps:\n  - application_data: "x"\n    premaster: {}\n')).toEqual(["8:5 error: 'premaster' does not apply to an application_data step (only to send)"]);
  });

  it('premaster: unknown keys, contradicting keys, wrong types and sizes', () => {
    const cke = (pm: string) => p12(`steps:\n  - send: ClientKeyExchange\n    premaster: ${pm}\n`);
    expect(cke('{ first_byte: "0001" }')).toEqual(["8:18 error: unknown key 'first_byte' in premaster (did you mean 'first_bytes'?)"]);
    expect(cke('{ all_zero: true, version: TLS1_2 }')).toEqual(["8:34 error: premaster: 'all_zero' and 'version' do not go together"]);
    expect(cke('{ separator_at: 9, no_separator: true }')).toEqual(["8:35 error: premaster: 'no_separator' and 'separator_at' do not go together"]);
    expect(cke('{ first_bytes: "000203" }')).toEqual(['8:31 error: premaster first_bytes must be 2 bytes, got 3']);
    expect(cke('{ separator_at: 1, message_length: -1, no_separator: 1, version: TLS9 }')).toEqual([
      '8:32 error: premaster separator_at must be in 2..65535, got 1',
      "8:35 error: premaster: 'separator_at' and 'message_length' do not go together",
      '8:51 error: premaster message_length must be in 0..65535, got -1',
      "8:55 error: premaster: 'no_separator' and 'separator_at' do not go together",
      '8:69 error: premaster no_separator must be true or false, got 1',
      "8:81 error: unknown protocol version 'TLS9'",
    ]);
  });

  it('record cbc: ranges, padding that disagrees with padding_length, the IV size, plaintext records', () => {
    const fin = (rec: string) => p12(`steps:\n  - send: Finished\n    record: ${rec}\n`);
    expect(fin('{ cbc: { padding_length: 256, padding_length_byte: -1, mac_xor: { at: 0, value: 0 } } }')).toEqual([
      '8:38 error: record cbc padding_length must be in 0..255, got 256',
      '8:64 error: record cbc padding_length_byte must be in 0..255, got -1',
      '8:93 error: record cbc mac_xor value must be in 1..255, got 0',
    ]);
    expect(fin('{ cbc: { padding_length: 3, padding: "0303" } }')).toEqual(['8:50 error: record cbc padding is 2 bytes but padding_length is 3']);
    expect(fin('{ cbc: { iv: "00*15" } }')).toEqual(['8:26 error: record cbc iv must be 16 bytes, got 15']);
    expect(fin('{ cbc: { pad: 1 } }')).toEqual(["8:22 error: unknown key 'pad' in record cbc"]);
    expect(fin('{ plaintext: true, cbc: {} }')).toEqual(["8:32 error: record cbc needs protected records: it does not go with 'plaintext'"]);
  });

  it('application_data takes only max_fragment, tcp_split, wire_xor, cbc and padding; record is not for the other steps', () => {
    expect(p12('steps:\n  - application_data: "x"\n    record: { fragment_at: [1], cbc: {}, colour: 1 }\n')).toEqual([
      "8:15 error: record option 'fragment_at' does not apply to an application_data step (only max_fragment, tcp_split, wire_xor, cbc, padding)",
      "8:42 error: unknown record option 'colour'",
    ]);
    expect(p12('steps:\n  - alert: decode_error\n    record: {}\n')).toEqual(["8:5 error: 'record' does not apply to an alert step (only to send, application_data)"]);
  });

  it('record padding (RFC 8446 5.4): 0..2^14 zero bytes, on send and application_data steps', () => {
    expect(p12('steps:\n  - application_data: "x"\n    record: { padding: 16385 }\n')).toEqual(['8:24 error: record padding must be in 0..16384, got 16385']);
    expect(p12('steps:\n  - application_data: "x"\n    record: { padding: 16384, max_fragment: 2 }\n')).toEqual([]);
    expect(p12('steps:\n  - send: Finished\n    record: { padding: 0 }\n')).toEqual([]);
  });

  it('hex templates in cbc and premaster are substituted per case', () => {
    const s = parse('matrix: { b: ["0001", "0102"] }\nsteps:\n  - send: ClientKeyExchange\n    premaster: { first_bytes: "${b}" }\n  - application_data: "x"\n    record: { cbc: { iv: "${b}*8" } }\n', TLS12).scenarios[0];
    const cases = expandCases(s);
    expect(cases.map((c) => [c.steps[0].kind === 'send' && c.steps[0].premaster, c.steps[1].kind === 'send_application_data' && c.steps[1].record])).toEqual([
      [{ first_bytes: '0001' }, { cbc: { iv: '0001'.repeat(8) } }],
      [{ first_bytes: '0102' }, { cbc: { iv: '0102'.repeat(8) } }],
    ]);
    expect(lines(parse('matrix: { b: ["00", "0102"] }\nsteps:\n  - send: ClientKeyExchange\n    premaster: { first_bytes: "${b}" }\n', TLS12).diagnostics)).toEqual([
      "6:15 error: premaster first_bytes must be 2 bytes, got 1 (matrix value used as '${b}' at 9:31)",
    ]);
  });
});

describe('lint rules', () => {
  const head = (id: string, title: string, versions: string, quote = 'q') =>
    `id: ${id}\ntitle: ${title}\nrfc: { doc: 8446, section: "1", quote: "${quote}" }\ntarget: server\nversions: ${versions}\n`;
  it('version words in the id or title must match versions', () => {
    const r = parse('steps: [close_notify]\n', head('tls13-x', 'TLSv1.2 thing', '[tls12]'));
    expect(lines(r.diagnostics)).toEqual(["1:5 warning: the id says 'tls13' but versions does not list tls13 (versions: tls12)"]);
    expect(parse('steps: [close_notify]\n', head('tls1.3-x', 'A TLS 1.3 and TLS 1.2 thing', '[tls13, tls12]')).diagnostics).toEqual([]);
    expect(lines(parse('steps: [close_notify]\n', head('x', 'About TLS 1.3', '[tls12]')).diagnostics)).toEqual([
      "2:8 warning: the title says 'TLS 1.3' but versions does not list tls13 (versions: tls12)",
    ]);
  });
  it('empty quote', () => {
    expect(lines(parse('steps: [close_notify]\n', head('x', 'y', '[tls13]', '  ')).diagnostics)).toEqual([
      '3:40 warning: empty RFC quote: quote the requirement the scenario tests',
    ]);
  });
  it('unused matrix key', () => {
    expect(lines(parse('matrix: { a: [1] }\nsteps: [close_notify]\n').diagnostics)).toEqual([
      "6:11 warning: matrix key 'a' is not used by any step, config or requires (it only multiplies identical cases)",
    ]);
  });
  it('sending after an expected alert or close needs a reconnect', () => {
    expect(lines(parse('steps:\n  - expect: { alert: decode_error }\n  - wait: 5\n  - expect: close\n  - reconnect\n  - send: ClientHello\n').diagnostics)).toEqual([]);
    expect(lines(parse('steps:\n  - expect: { alert: decode_error }\n  - key_update\n').diagnostics)).toEqual([
      "8:5 error: 'key_update' after expecting an alert (at 7:5): the connection is dead; add '- reconnect' first",
    ]);
  });
});

describe('files, directories, globs, streams', () => {
  it('a YAML stream holds several scenarios', () => {
    const r = parseScenarioText(`${HEAD}steps: [close_notify]\n---\n${HEAD.replace('id: t', 'id: u')}steps: [wait]\n`, 's.yaml');
    expect(lines(r.diagnostics)).toEqual(["13:9 error: step 'wait' needs a value ('wait: ...')"]);
    expect(r.scenarios.map((s) => s.id)).toEqual(['t']);
  });

  it('a directory means every *.yaml / *.yml under it; globs; missing paths', () => {
    expect(loadScenarios([examples]).files).toEqual([
      join(examples, 'tls13-client-rejects-hrr-same-group.yaml'),
      join(examples, 'tls13-finished-bad-verify-data.yaml'),
    ]);
    expect(globFiles(`${brokenDir}/dup-*.yaml`)).toEqual([join(brokenDir, 'dup-a.yaml'), join(brokenDir, 'dup-b.yaml')]);
    expect(globFiles('harness/scenario/**/every-{form,thing}.y?ml')).toEqual([everyForm]);
    const r = loadScenarios(['no/such/dir', 'no/*.yaml']);
    expect(r.diagnostics.map(formatDiagnostic)).toEqual(['no/such/dir: no such file or directory', "no/*.yaml: no file matches 'no/*.yaml'"]);
  });

  it('loadScenariosOrThrow: a ScenarioError (a UsageError) naming the first error', () => {
    expect(() => loadScenariosOrThrow([examples])).not.toThrow();
    try {
      loadScenariosOrThrow([join(brokenDir, 'names.yaml')]);
      throw new Error('no throw');
    } catch (e) {
      expect(e).toBeInstanceOf(ScenarioError);
      expect((e as ScenarioError).line()).toMatch(/^harness\/scenario\/fixtures\/broken\/names\.yaml:7:35: unknown cipher suite .*\(and 13 more errors: run 'tls-harness validate'\)$/);
    }
  });
});

describe('robustness', () => {
  it('never throws: each line of a valid file replaced by other shapes', () => {
    const text = readFileSync(everyForm, 'utf8');
    const src = text.split('\n');
    const shapes = ['[]', '{}', '', '1', '"x"', '[1, {a: b}]', 'null', '*nope', '&a x'];
    let n = 0;
    src.forEach((line, i) => {
      const m = /^(\s*(?:- )?[^:#]*:\s?)(.*)$/.exec(line);
      for (const shape of shapes) {
        const variant = [...src];
        variant[i] = m ? `${m[1]} ${shape}` : `${line.replace(/\S.*$/, '')}- ${shape}`;
        const r = parseScenarioText(variant.join('\n'), 'v.yaml');
        for (const d of r.diagnostics) {
          expect(d.line).toBeGreaterThan(0);
          expect(d.message).not.toMatch(/'undefined'|got undefined|\[object|NaN/);
        }
        for (const s of r.scenarios) expandCases(s);
        n++;
      }
    });
    expect(n).toBeGreaterThan(500);
  });

  it('aliases resolve', () => {
    const s = only('config: { groups: &g [x25519] }\nrequires: { groups: *g }\nsteps: [close_notify]\n');
    expect(s.requires.groups).toEqual(['x25519']);
  });
});

// psk14: config.psk_modes, the psk_key_exchange_modes the harness offers with a ticket (RFC 8446 4.2.9).
describe('config psk_modes', () => {
  it('takes a list of psk_key_exchange_mode names, also from a matrix', () => {
    expect(only('config: { psk_modes: [psk_ke, psk_dhe_ke] }\nsteps: [close_notify]\n').config.psk_modes).toEqual(['psk_ke', 'psk_dhe_ke']);
    const r = parse('matrix: { mode: [psk_ke, psk_dhe_ke] }\nconfig: { psk_modes: ["${mode}"] }\nsteps: [close_notify]\n');
    expect(lines(r.diagnostics)).toEqual([]);
  });
  it('takes psk_unknown_identities, a count from 0 to 8', () => {
    expect(only('config: { psk_unknown_identities: 2 }\nsteps: [close_notify]\n').config.psk_unknown_identities).toBe(2);
    expect(parse('config: { psk_unknown_identities: 9 }\nsteps: [close_notify]\n').scenarios).toHaveLength(0);
  });
  it('refuses an unknown mode', () => {
    const r = parse('config: { psk_modes: [psk_dh] }\nsteps: [close_notify]\n');
    expect(lines(r.diagnostics).join('\n')).toMatch(/unknown psk_key_exchange_mode 'psk_dh'/);
    expect(r.scenarios).toHaveLength(0);
  });
});

describe('extension names in set and where paths', () => {
  it('a name that is no extension is an error at the key, with the closest name; numbers and unknown(0x...) are fine', () => {
    const r = parse(`steps:
  - send: ClientHello
    set: { "extensions.suported_groups.named_group_list": [x25519] }
  - expect: { message: ServerHello, where: { "extensions.0x0011": absent, "extensions.unknown(0xfde9)": absent, "extensions.keyshare": present } }
`);
    expect(lines(r.diagnostics)).toEqual([
      "8:12 error: set 'extensions.suported_groups.named_group_list': unknown extension 'suported_groups' (did you mean 'supported_groups'?); write an IANA extension name or a number (0x0011)",
      "9:113 error: where 'extensions.keyshare': unknown extension 'keyshare' (did you mean 'key_share'?); write an IANA extension name or a number (0x0011)",
    ]);
  });
});

describe('cauth: target_options', () => {
  it('request_client_certificate: true for a server-role scenario; rejected for the client role, unknown keys and non-booleans', () => {
    expect(only('target_options: { request_client_certificate: true }\nsteps: [close_notify]\n').target_options).toEqual({ request_client_certificate: true });
    expect(only('steps: [close_notify]\n').target_options).toBeUndefined();
    expect(only('target_options: { request_client_certificate: false }\nsteps: [close_notify]\n').target_options).toBeUndefined();
    const client = parse('target_options: { request_client_certificate: true }\nsteps: [close_notify]\n', HEAD.replace('target: server', 'target: client'));
    expect(lines(client.diagnostics).join('\n')).toMatch(/target_options\.request_client_certificate is for server-role scenarios/);
    expect(lines(parse('target_options: { request_client_cert: true }\nsteps: [close_notify]\n').diagnostics).join('\n')).toMatch(/unknown target_options key 'request_client_cert'/);
    expect(lines(parse('target_options: { request_client_certificate: 1 }\nsteps: [close_notify]\n').diagnostics).join('\n')).toMatch(/must be true or false/);
  });
});
