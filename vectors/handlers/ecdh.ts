/**
 * ECDH known-answer tests against provider.keyExchange(curve).sharedSecret(private, public):
 * - Wycheproof `ecdh_ecpoint_test_schema_v1` (ecdh_secp256r1_ecpoint_test.json, ecdh_secp384r1_ecpoint_test.json):
 *   the public key is the raw X9.62 point, exactly what a TLS key share carries, and goes to the provider
 *   as is.
 * - Wycheproof `ecdh_test_schema_v1` (ecdh_secp256r1_test.json, ecdh_secp521r1_test.json): the public key is an ASN.1
 *   SubjectPublicKeyInfo; keys.ts parsePublicKey (node:crypto parses the container) turns it into our
 *   PublicKey (uncompressed point) or rejects it, and the point then goes to the provider.
 *
 * Policy:
 * - valid: must be accepted with shared secret == `shared` (the x-coordinate, RFC 8446 7.4.2).
 * - invalid: must be rejected (a CryptoError, or a SubjectPublicKeyInfo our key parser refuses, or a curve
 *   other than the group's).
 * - compressed points in the ecpoint schema (02/03 prefix; Wycheproof marks the well-formed ones
 *   acceptable): must be REJECTED with invalid_public_key: RFC 8446 4.2.8.2 allows only the uncompressed
 *   form in TLS 1.3 (and RFC 8422 5.1.2 removed the compressed formats for TLS 1.2).
 * - other acceptable cases (ASN.1 oddities in the SubjectPublicKeyInfo, explicit curve parameters, compressed
 *   points inside an SPKI): either outcome passes, but if accepted the shared secret must be right.
 */
import type { CryptoProvider, GroupName } from '../../implementations/reference/crypto/provider.ts';
import { parsePublicKey } from '../../implementations/reference/crypto/keys.ts';
import type { TestOutcome, VectorFileJson, VectorHandler } from '../runner.ts';
import { errorText, hex, toHex, verdict, type WycheproofGroup, type WycheproofTest } from './wycheproof-common.ts';

interface EcdhTest extends WycheproofTest {
  public: string;
  private: string;
  shared: string;
}

const CURVES: Record<string, { group: GroupName; len: number }> = {
  secp256r1: { group: 'secp256r1', len: 32 },
  secp384r1: { group: 'secp384r1', len: 48 },
  secp521r1: { group: 'secp521r1', len: 66 },
};

/** Wycheproof private keys are big-endian integers, sometimes with a leading 00 or shorter than the field. */
function scalarBytes(h: string, len: number): Uint8Array {
  const x = BigInt('0x' + (h || '0'));
  return hex(x.toString(16).padStart(len * 2, '0'));
}

function run(file: VectorFileJson, provider: CryptoProvider): TestOutcome[] {
  const out: TestOutcome[] = [];
  const asn = String(file.schema).startsWith('ecdh_test_schema');
  for (const g of file.testGroups as WycheproofGroup<EcdhTest>[])
    for (const t of g.tests) {
      const id = String(t.tcId);
      const c = CURVES[String(g.curve)];
      if (!c) {
        out.push({ id, outcome: 'skipped', reason: `curve ${String(g.curve)} is not a TLS group of this harness` });
        continue;
      }
      // 1. The wire public value.
      let point: Uint8Array | null = null;
      let why = '';
      if (asn) {
        const pk = parsePublicKey(hex(t.public));
        if (!pk.ok) why = `SPKI rejected: ${pk.error.message}`;
        else if (pk.key.kind !== 'ec') why = `SPKI is a ${pk.key.kind} key`;
        else if (pk.key.curve !== c.group) why = `SPKI is on ${pk.key.curve}, not ${c.group}`;
        else point = pk.key.point;
      } else point = hex(t.public);
      // 2. The shared secret.
      let shared: string | null = null;
      let code: string | undefined;
      if (point) {
        try {
          shared = toHex(provider.keyExchange(c.group).sharedSecret(scalarBytes(t.private, c.len), point));
        } catch (e) {
          why = errorText(e);
          code = (e as { code?: string }).code;
        }
      }
      const ok = shared !== null && shared === t.shared;
      if (shared !== null) why = ok ? 'shared secret matches' : `shared ${shared}, expected ${t.shared}`;
      const compressed = !asn && (t.public.startsWith('02') || t.public.startsWith('03')) && t.public.length === 2 + 2 * c.len;
      if (compressed && t.result !== 'invalid') {
        out.push(
          code === 'invalid_public_key'
            ? { id, outcome: 'passed', reason: `${t.result}: compressed point rejected (RFC 8446 4.2.8.2)` }
            : { id, outcome: 'failed', reason: `compressed point not rejected with invalid_public_key: ${why}` },
        );
        continue;
      }
      if (t.result === 'invalid' && shared !== null) {
        out.push({ id, outcome: 'failed', reason: `invalid test accepted: ${why} (${t.comment})` });
        continue;
      }
      out.push(
        verdict(t, ok, why, () =>
          shared === null
            ? { id, outcome: 'passed', reason: `acceptable: rejected (${why})` }
            : ok
              ? { id, outcome: 'passed', reason: 'acceptable: accepted with the expected shared secret' }
              : { id, outcome: 'failed', reason: `acceptable: accepted with a wrong shared secret: ${why}` },
        ),
      );
    }
  return out;
}

export const ecdhHandler: VectorHandler = {
  handles: ['ecdh_test_schema_v1.json', 'ecdh_test_schema_v1', 'ecdh_ecpoint_test_schema_v1.json', 'ecdh_ecpoint_test_schema_v1'],
  run,
};
