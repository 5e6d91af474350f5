/**
 * RSAES-PKCS1-v1_5 decryption known-answer tests: Wycheproof `rsaes_pkcs1_decrypt_schema_v1`
 * (rsa_pkcs1_2048_test.json) against provider.rsaDecrypt(privateKey, ct), the TLS 1.2 RSA key exchange
 * primitive (RFC 5246 7.4.7.1). The private key comes from the group's PKCS#8 DER through keys.ts.
 * Policy: valid must decrypt to `msg`; invalid (bad padding, wrong length, c >= n) must give null (the
 * interface never throws); acceptable (none in the current file) passes either way if the output, when
 * there is one, is `msg`.
 */
import type { CryptoProvider, PrivateKey } from '../../implementations/reference/crypto/provider.ts';
import { parsePrivateKey } from '../../implementations/reference/crypto/keys.ts';
import type { TestOutcome, VectorFileJson, VectorHandler } from '../runner.ts';
import { errorText, hex, toHex, verdict, type WycheproofGroup, type WycheproofTest } from './wycheproof-common.ts';

interface DecTest extends WycheproofTest {
  msg: string;
  ct: string;
}

function run(file: VectorFileJson, provider: CryptoProvider): TestOutcome[] {
  const out: TestOutcome[] = [];
  for (const g of file.testGroups as WycheproofGroup<DecTest>[]) {
    const parsed = parsePrivateKey(hex(String(g.privateKeyPkcs8)));
    for (const t of g.tests) {
      const id = String(t.tcId);
      if (!parsed.ok || parsed.key.kind !== 'rsa') {
        out.push({ id, outcome: 'failed', reason: `cannot load the group's private key: ${parsed.ok ? parsed.key.kind : parsed.error.message}` });
        continue;
      }
      let pt: Uint8Array | null;
      try {
        pt = provider.rsaDecrypt(parsed.key as PrivateKey & { kind: 'rsa' }, hex(t.ct));
      } catch (e) {
        out.push({ id, outcome: 'failed', reason: `rsaDecrypt threw (it must return null): ${errorText(e)}` });
        continue;
      }
      const ok = pt !== null && toHex(pt) === t.msg;
      const why = pt === null ? 'decryption returned null' : ok ? 'plaintext matches' : `plaintext ${toHex(pt)}, expected ${t.msg}`;
      if (t.result === 'invalid' && pt !== null) out.push({ id, outcome: 'failed', reason: `invalid test accepted: ${why} (${t.comment})` });
      else out.push(verdict(t, ok, why));
    }
  }
  return out;
}

export const rsaesPkcs1Handler: VectorHandler = {
  handles: ['rsaes_pkcs1_decrypt_schema_v1.json', 'rsaes_pkcs1_decrypt_schema_v1'],
  run,
};
