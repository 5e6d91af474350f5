/** The static check of `set` paths: a TLS 1.2 ClientKeyExchange is dry-built in the form of the config's key exchange. */
import { describe, expect, it } from 'vitest';
import { expandAll, parseScenarioText } from '../scenario/loader.ts';
import { checkFieldPaths } from './check-fields.ts';

function diagnostics(suite: string, field: string): string[] {
  const text = `id: t
title: t
rfc: { doc: 8422, section: "5.11", quote: "With the NIST curves, each party MUST validate the public key sent by its peer in the ClientKeyExchange and ServerKeyExchange messages.", level: must, sentences: [rfc8422-5.11-1] }
target: server
versions: [tls12]
config: { cipher_suites: [${suite}], groups: [secp256r1] }
steps:
  - send: ClientHello
  - expect: [ServerHello, Certificate, ServerKeyExchange, ServerHelloDone]
  - send: ClientKeyExchange
    set: { ${field}: "0x00" }
  - expect: { alert: illegal_parameter }
`;
  const { scenarios, diagnostics: d } = parseScenarioText(text, 't.yaml');
  expect(d.filter((x) => x.severity === 'error')).toEqual([]);
  return checkFieldPaths(expandAll(scenarios)).map((x) => x.message);
}

describe('checkFieldPaths on a TLS 1.2 ClientKeyExchange (RFC 5246 7.4.7)', () => {
  it('accepts the field of the key exchange the config names', () => {
    expect(diagnostics('TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256', 'ecdh_Yc')).toEqual([]);
    expect(diagnostics('TLS_RSA_WITH_AES_128_GCM_SHA256', 'encrypted_pre_master_secret')).toEqual([]);
  });

  it('still reports a field the form does not have, naming the fields it has', () => {
    expect(diagnostics('TLS_RSA_WITH_AES_128_GCM_SHA256', 'ecdh_Yc')).toEqual([expect.stringMatching(/no field 'ecdh_Yc'; fields here: .*encrypted_pre_master_secret/)]);
    expect(diagnostics('TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256', 'dh_Yc')).toEqual([expect.stringMatching(/no field 'dh_Yc'/)]);
  });
});

function mutateDiagnostics(mutate: string): string[] {
  const text = `id: t
title: t
rfc: { doc: 8446, section: "6", quote: "Peers which receive a message which cannot be parsed according to the syntax (e.g., have a length extending beyond the message boundary or contain an out-of-range length) MUST terminate the connection with a \\"decode_error\\" alert.", level: must, sentences: [rfc8446-6-6] }
target: server
versions: [tls13]
config: { cipher_suites: [TLS_AES_128_GCM_SHA256], groups: [x25519] }
steps:
  - send: ClientHello
    mutate: [ ${mutate} ]
  - expect: { alert: decode_error }
`;
  const { scenarios, diagnostics: d } = parseScenarioText(text, 't.yaml');
  expect(d.filter((x) => x.severity === 'error')).toEqual([]);
  return checkFieldPaths(expandAll(scenarios)).map((x) => `${x.line}: ${x.message}`);
}

describe('checkFieldPaths on length and append mutations', () => {
  it('accepts a length-prefixed region of the message and the handshake length', () => {
    expect(mutateDiagnostics('{ length: { field: ClientHello.cipher_suites, value: 3 } }')).toEqual([]);
    expect(mutateDiagnostics('{ length: { field: ClientHello, value: 3 } }')).toEqual([]);
    expect(mutateDiagnostics('{ append: { field: ClientHello.legacy_session_id, hex: "00" } }')).toEqual([]);
  });

  it('reports a path that names no length-prefixed region, at the step, instead of sending the message unchanged', () => {
    expect(mutateDiagnostics('{ length: { field: ClientHello.cipher_suite, value: 3 } }')).toEqual([
      expect.stringMatching(/^8: send ClientHello: mutate length: no length-prefixed field 'ClientHello.cipher_suite' in the encoded message \(fields include: .*ClientHello.cipher_suites/),
    ]);
    // legacy_version is a field, but a fixed-width one: there is no length prefix to overwrite.
    expect(mutateDiagnostics('{ append: { field: ClientHello.legacy_version, hex: "00" } }')).toEqual([expect.stringMatching(/mutate append: no length-prefixed field 'ClientHello.legacy_version'/)]);
  });
});
