/**
 * ECDSA verification known-answer tests against provider.verify(scheme, ecPublicKey, msg, signature):
 * - Wycheproof `ecdsa_verify_schema_v1` (ecdsa_secp256r1_sha256_test.json, ecdsa_secp384r1_sha384_test.json,
 *   ecdsa_secp521r1_sha512_test.json):
 *   DER-encoded ECDSA-Sig-Value, the TLS encoding (RFC 8446 4.2.3); passed to the provider unchanged.
 * - Wycheproof `ecdsa_p1363_verify_schema_v1` (ecdsa_secp256r1_sha256_p1363_test.json): fixed-size r || s.
 *   TLS never carries this form, so the handler converts it to DER first (minimal INTEGERs); a signature
 *   whose length is not exactly 2 * field length cannot be split into r and s and counts as rejected
 *   without reaching the provider (that is the P1363 decoding rule). Range and arithmetic checks on r and s
 *   are still the provider's.
 *
 * Scheme: (secp256r1, SHA-256) -> ecdsa_secp256r1_sha256, (secp384r1, SHA-384) -> ecdsa_secp384r1_sha384,
 * (secp521r1, SHA-512) -> ecdsa_secp521r1_sha512, (any of them, SHA-1) -> ecdsa_sha1; any other pairing is
 * not a TLS 1.3 signature scheme and is skipped.
 * Policy: valid must verify; invalid (including BER / non-minimal DER encodings) must not; acceptable (none
 * in the current files) passes either way.
 */
import type { CryptoProvider, EcCurveName, PublicKey, SignatureSchemeName } from '../../implementations/reference/crypto/provider.ts';
import type { TestOutcome, VectorFileJson, VectorHandler } from '../runner.ts';
import { hex, verdict, type WycheproofGroup, type WycheproofTest } from './wycheproof-common.ts';

interface SigTest extends WycheproofTest {
  msg: string;
  sig: string;
}

const FIELD_LEN: Record<string, number> = { secp256r1: 32, secp384r1: 48, secp521r1: 66 };

function schemeFor(curve: string, sha: string): SignatureSchemeName | null {
  if (sha === 'SHA-1' && FIELD_LEN[curve] !== undefined) return 'ecdsa_sha1';
  if (curve === 'secp256r1' && sha === 'SHA-256') return 'ecdsa_secp256r1_sha256';
  if (curve === 'secp384r1' && sha === 'SHA-384') return 'ecdsa_secp384r1_sha384';
  if (curve === 'secp521r1' && sha === 'SHA-512') return 'ecdsa_secp521r1_sha512';
  return null;
}

function derLength(n: number): number[] {
  if (n < 0x80) return [n];
  const bytes: number[] = [];
  for (let x = n; x > 0; x >>= 8) bytes.unshift(x & 0xff);
  return [0x80 | bytes.length, ...bytes];
}

function derInteger(b: Uint8Array): number[] {
  let i = 0;
  while (i < b.length - 1 && b[i] === 0) i++;
  const v = Array.from(b.subarray(i));
  if (v.length === 0) v.push(0);
  if (v[0] & 0x80) v.unshift(0);
  return [0x02, ...derLength(v.length), ...v];
}

/** IEEE P1363 r || s -> DER ECDSA-Sig-Value, or null when the length is wrong. */
export function p1363ToDer(sig: Uint8Array, fieldLen: number): Uint8Array | null {
  if (sig.length !== 2 * fieldLen) return null;
  const body = [...derInteger(sig.subarray(0, fieldLen)), ...derInteger(sig.subarray(fieldLen))];
  return Uint8Array.from([0x30, ...derLength(body.length), ...body]);
}

function run(file: VectorFileJson, provider: CryptoProvider): TestOutcome[] {
  const out: TestOutcome[] = [];
  const p1363 = String(file.schema).startsWith('ecdsa_p1363');
  for (const g of file.testGroups as WycheproofGroup<SigTest>[]) {
    const pk = g.publicKey as { curve: string; uncompressed: string };
    const scheme = schemeFor(pk.curve, String(g.sha));
    for (const t of g.tests) {
      const id = String(t.tcId);
      if (!scheme || !FIELD_LEN[pk.curve]) {
        out.push({ id, outcome: 'skipped', reason: `${pk.curve} with ${String(g.sha)} is not a TLS signature scheme` });
        continue;
      }
      const key: PublicKey = { kind: 'ec', curve: pk.curve as EcCurveName, point: hex(pk.uncompressed) };
      let sig: Uint8Array | null = hex(t.sig);
      if (p1363) sig = p1363ToDer(sig, FIELD_LEN[pk.curve]);
      if (sig === null) {
        out.push(verdict(t, false, `P1363 signature of ${t.sig.length / 2} bytes, expected ${2 * FIELD_LEN[pk.curve]}`));
        continue;
      }
      const ok = provider.verify(scheme, key, hex(t.msg), sig);
      out.push(verdict(t, ok, ok ? 'signature verified' : 'signature rejected'));
    }
  }
  return out;
}

export const ecdsaHandler: VectorHandler = {
  handles: ['ecdsa_verify_schema_v1.json', 'ecdsa_verify_schema_v1', 'ecdsa_p1363_verify_schema_v1.json', 'ecdsa_p1363_verify_schema_v1'],
  run,
};
