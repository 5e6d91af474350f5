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
