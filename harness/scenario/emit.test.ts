import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { stringify } from 'yaml';
import { parseScenarioText } from './loader.ts';
import { compactHex, stepToYaml } from './emit.ts';
import type { Step } from './model.ts';
import { parseHex } from './text.ts';
import { fcParams, fcTimeout } from '../../implementations/reference/codec/fc.ts';

const HEAD = [
  'id: emitted',
  'title: emitted',
  'rfc: { doc: 8446, section: "4.4.4", quote: "Recipients of Finished messages MUST verify that the contents are correct and if incorrect MUST terminate the connection with a \\"decrypt_error\\" alert.", level: must, sentences: [rfc8446-4.4.4-1] }',
].join('\n');

/** Steps without their source locations (what the round trip must keep). */
const bare = (steps: readonly Step[]) => steps.map(({ loc: _loc, ...rest }) => rest);

function reparse(steps: readonly Step[], target: 'server' | 'client', version = 'tls13'): Step[] {
  const text = `${HEAD}\ntarget: ${target}\nversions: [${version}]\n${stringify({ steps: steps.map(stepToYaml) }, { lineWidth: 0 })}`;
  const r = parseScenarioText(text, 'emitted.yaml');
  const errors = r.diagnostics.filter((d) => d.severity === 'error');
  if (errors.length > 0) throw new Error(`${errors.map((d) => `${d.line}:${d.col} ${d.message}`).join('; ')}\n${text}`);
  return r.scenarios[0].steps;
}

function parsed(stepsYaml: string, target: 'server' | 'client' = 'server'): Step[] {
  const r = parseScenarioText(`${HEAD}\ntarget: ${target}\nversions: [tls13]\nsteps:\n${stepsYaml}`, 'src.yaml');
  expect(r.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  return r.scenarios[0].steps;
}

describe('stepToYaml', () => {
  it('writes every kind of step so that the loader reads back the same model', () => {
    const steps = parsed(
      [
        '  - send: ClientHello',
        '    set: { cipher_suites: [TLS_AES_128_GCM_SHA256] }',
        '    mutate: [ { xor: { field: ClientHello.random, at: 3, value: 7 } }, { truncate: 40 }, { extend: "0102" }, { append: { field: ClientHello.cipher_suites, hex: "1301" } },',
        '              { length: { field: ClientHello.cipher_suites, value: 3 } }, { insert_extension: { type: 0x1234, hex: "00" } }, { remove_extension: key_share },',
        '              { duplicate_extension: supported_groups }, { reorder_extensions: [key_share, supported_groups] }, { set_bytes: { at: 5, hex: "ff" } } ]',
        '    record: { fragment_at: [3], version: 0x0301, content_type: alert }',
        '  - send: Certificate',
        '    transcript: false',
        '  - send_raw: { hex: "16030100", layer: record }',
        '  - send_raw: { hex: "", layer: handshake, content_type: 23 }',
        '  - send_raw: { hex: "080000020000", layer: handshake, transcript: false }',
        '  - application_data: "ping"',
        '  - application_data: { hex: "00ff" }',
        '    record: { padding: 3 }',
        '  - alert: { level: 1, description: no_renegotiation }',
        '  - change_cipher_spec',
        '  - key_update',
        '  - key_update: { request_update: true }',
        '  - close_notify',
        '  - wait: 10',
        '  - reconnect: { resume: true }',
        '  - expect: [ServerHello, { message: EncryptedExtensions, where: { "extensions.server_name": absent } }, { message: CertificateRequest, optional: true }, { one_of: [Certificate, Finished] }]',
        '  - expect: { alert: decode_error, lenient: false }',
        '  - expect: { alert: [decode_error, illegal_parameter] }',
        '  - expect: close',
        '  - expect: { silence: 200 }',
        '  - expect: { closure: 300, plain_close: true }',
        '  - expect: handshake_complete',
        '  - expect: application_data',
      ].join('\n'),
    );
    expect(bare(reparse(steps, 'server'))).toEqual(bare(steps));
  });

  it('writes long runs of one byte as "xx*N", which the loader reads back', () => {
    expect(compactHex('00'.repeat(20))).toBe('00*20');
    expect(compactHex(`abcd${'00'.repeat(20)}`)).toBe('abcd 00*20');
    expect(compactHex('0102')).toBe('0102');
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 8 }), fc.integer({ min: 0, max: 255 }), fc.integer({ min: 0, max: 40 }), (head, b, n) => {
        const hex = Buffer.from(head).toString('hex') + b.toString(16).padStart(2, '0').repeat(n);
        const back = parseHex(compactHex(hex));
        return 'hex' in back && back.hex === hex;
      }),
      fcParams(100),
    );
  }, fcTimeout(100));
});
