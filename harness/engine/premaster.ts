/**
 * The RSA EncryptedPreMasterSecret of a TLS 1.2 ClientKeyExchange, valid or deliberately not (RFC 5246
 * 7.4.7.1), for Bleichenbacher / ROBOT tests: the encoded block EM = 00 02 || PS || 00 || M of RSAES-PKCS1-v1_5
 * (RFC 8017 7.2.1) is built byte by byte as the spec says, then raw RSA (EM^e mod n) gives the ciphertext.
 * A conforming server decrypts any of them without an alert and goes on with a premaster secret of its own
 * when the block is bad; the harness knows that secret only for a valid block.
 */
import type { PublicKey } from '../../implementations/reference/crypto/provider.ts';
import { bigintToBytes, bytesToBigint, modPow } from '../../implementations/reference/connection/tls12/common12.ts';
import { PREMASTER_CONFLICTS } from '../scenario/format.ts';
import type { PremasterSpec } from '../scenario/model.ts';
import { parseHex } from '../scenario/text.ts';
import { ScenarioRuntimeError } from './fields.ts';

export type { PremasterSpec };

/** RFC 5246 7.4.7.1: PreMasterSecret = client_version (2 bytes) || random (46 bytes). */
const PMS_LENGTH = 48;
/** RFC 8017 7.2.1 step 2a: PS is at least eight octets (k - mLen - 3 with mLen <= k - 11). */
const MIN_PS = 8;

const hexOf = (b: Uint8Array) => Buffer.from(b).toString('hex');
const fail = (m: string): never => {
  throw new ScenarioRuntimeError(`premaster: ${m}`);
};

function bytesOf(hex: string, what: string): Uint8Array {
  const h = parseHex(hex);
  if ('error' in h) return fail(`${what}: ${h.error}`);
  return Uint8Array.from(Buffer.from(h.hex, 'hex'));
}

/** `n` random bytes, none zero (RFC 8017 7.2.1 step 2a: PS is made of pseudo-randomly generated nonzero octets). */
function nonZero(n: number, random: (n: number) => Uint8Array): Uint8Array {
  const out = random(n);
  for (let i = 0; i < n; i++) while (out[i] === 0) out[i] = random(1)[0];
  return out;
}

/**
 * The PreMasterSecret a conforming server uses for EM, if the harness can know it: RFC 5246 7.4.7.1 "If the
 * PKCS#1 padding is not correct, or the length of message M is not exactly 48 bytes: pre_master_secret = R"
 * (or client_version || R); with a good block, a version mismatch gives R in the second construction but
 * client_version || M[2..47] in the first, so the harness can only know M when M[0..1] = client_version.
 */
function knownPremaster(em: Uint8Array, clientVersion: number): Uint8Array | undefined {
  // RFC 8017 7.2.2 step 3: EM = 0x00 || 0x02 || PS || 0x00 || M, PS of at least 8 non-zero octets.
  if (em[0] !== 0 || em[1] !== 2) return undefined;
  const sep = em.indexOf(0, 2);
  if (sep < 2 + MIN_PS) return undefined;
  const m = em.subarray(sep + 1);
  if (m.length !== PMS_LENGTH || m[0] !== clientVersion >> 8 || m[1] !== (clientVersion & 0xff)) return undefined;
  return Uint8Array.from(m);
}

/** EM from the structured fields of the spec (not all_zero / plaintext / ciphertext), and what it is. */
function encodedBlock(spec: PremasterSpec, k: number, version: number, random: (n: number) => Uint8Array): { em: Uint8Array; parts: string[] } {
  const parts: string[] = [];
  const first = spec.first_bytes === undefined ? Uint8Array.of(0, 2) : bytesOf(spec.first_bytes, 'first_bytes');
  if (first.length !== 2) fail(`first_bytes must be 2 bytes, got ${first.length}`);
  if (spec.first_bytes !== undefined) parts.push(`leading bytes ${hexOf(first)}`);
  // M: where the separator is, or message_length bytes at the end of EM.
  const sepAt = spec.separator_at;
  if (sepAt !== undefined && (sepAt < 2 || sepAt >= k)) fail(`separator_at ${sepAt} is outside EM (2..${k - 1})`);
  const mLen = sepAt !== undefined ? k - sepAt - 1 : (spec.message_length ?? PMS_LENGTH);
  if (spec.message_length !== undefined) parts.push(`M of ${mLen} bytes`);
  if (sepAt !== undefined) parts.push(`the 00 separator at EM[${sepAt}] (M of ${mLen} bytes)`);
  // No separator: nothing after the leading bytes is zero, M included.
  const noSep = spec.no_separator === true;
  const psLen = k - 2 - mLen - (noSep ? 0 : 1);
  if (psLen < 0) fail(`M of ${mLen} bytes does not fit a ${k}-byte RSA block`);
  const mRandom = noSep ? nonZero(Math.max(0, mLen - 2), random) : random(Math.max(0, mLen - 2));
  const m = Uint8Array.of(version >> 8, version & 0xff, ...mRandom).subarray(0, mLen);
  if (spec.version !== undefined) parts.push(`version 0x${version.toString(16).padStart(4, '0')} in M`);
  const ps = nonZero(psLen, random);
  if (spec.zero_in_padding !== undefined) {
    if (spec.zero_in_padding < 0 || spec.zero_in_padding >= psLen) fail(`zero_in_padding ${spec.zero_in_padding} is outside PS (0..${psLen - 1})`);
    ps[spec.zero_in_padding] = 0;
    parts.push(`a 00 at PS[${spec.zero_in_padding}]`);
  }
  if (noSep) parts.push('no 00 separator');
  if (psLen < MIN_PS) parts.push(`PS of ${psLen} bytes`);
  const em = Uint8Array.from([...first, ...ps, ...(noSep ? [] : [0]), ...m]);
  return { em, parts };
}

/**
 * Build the EncryptedPreMasterSecret. `premaster` is the 48-byte secret a conforming server will use: set only when
 * the block is valid PKCS#1 v1.5 type 2 with |M| = 48 and M[0..1] = clientVersion (else the server must continue with
 * a random R, RFC 5246 7.4.7.1, and the harness cannot know it: undefined). A spec that does not fit the key
 * (a message longer than the block, an index outside it) throws ScenarioRuntimeError.
 */
export function encryptedPremaster(
  key: PublicKey & { kind: 'rsa' },
  spec: PremasterSpec,
  ctx: { clientVersion: number; random: (n: number) => Uint8Array },
): { ciphertext: Uint8Array; premaster?: Uint8Array; description: string } {
  for (const [a, b] of PREMASTER_CONFLICTS) if (spec[a as keyof PremasterSpec] !== undefined && spec[b as keyof PremasterSpec] !== undefined) fail(`${a} and ${b} do not go together`);
  const k = (key.bits + 7) >> 3;
  let ciphertext: Uint8Array;
  let premaster: Uint8Array | undefined;
  let what: string;
  if (spec.ciphertext !== undefined) {
    ciphertext = bytesOf(spec.ciphertext, 'ciphertext');
    what = `a ciphertext of ${ciphertext.length} bytes as given`;
  } else {
    let em: Uint8Array;
    if (spec.all_zero) {
      em = new Uint8Array(k);
      what = 'EM all zero bytes';
    } else if (spec.plaintext !== undefined) {
      em = bytesOf(spec.plaintext, 'plaintext');
      if (em.length !== k) fail(`plaintext must be the whole ${k}-byte block EM, got ${em.length} bytes`);
      what = 'EM as given';
    } else {
      const b = encodedBlock(spec, k, spec.version ?? ctx.clientVersion, ctx.random);
      em = b.em;
      what = b.parts.length > 0 ? `PKCS#1 v1.5 block with ${b.parts.join(', ')}` : 'PKCS#1 v1.5 block';
    }
    const x = bytesToBigint(em);
    if (x >= key.n) fail(`EM ${hexOf(em.subarray(0, 4))}... is not below the modulus: RSA cannot carry it`);
    // RFC 8017 5.1.1 RSAEP: c = m^e mod n; 4.1 I2OSP to k octets.
    ciphertext = bigintToBytes(modPow(x, key.e, key.n), k);
    premaster = knownPremaster(em, ctx.clientVersion);
  }
  if (spec.ciphertext_length !== undefined && spec.ciphertext_length !== ciphertext.length) {
    const n = spec.ciphertext_length;
    const out = new Uint8Array(n);
    if (n < ciphertext.length) out.set(ciphertext.subarray(0, n));
    else out.set(ciphertext, n - ciphertext.length);
    what += `, the ciphertext ${n < ciphertext.length ? 'cut' : 'left-padded with zeros'} to ${n} bytes (not ${k})`;
    ciphertext = out;
    premaster = undefined;
  }
  return { ciphertext, premaster, description: `EncryptedPreMasterSecret: ${what} (${premaster ? 'valid: the server uses M' : 'invalid: a conforming server goes on with a random secret'})` };
}
