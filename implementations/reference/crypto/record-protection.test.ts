import { describe, expect, it } from 'vitest';
import { createCipheriv, createDecipheriv, createHmac } from 'node:crypto';
import fc from 'fast-check';
import { fcParams, fcTimeout } from '../codec/fc.ts';
import { allProviders } from './providers.ts';
import {
  RecordProtectionError,
  Tls12AeadRecordProtection,
  Tls12CbcRecordProtection,
  Tls13RecordProtection,
  createRecordProtection,
  parseRecord,
  type DecryptResult,
  type RecordProtection,
  type TlsRecord,
} from './record-protection.ts';
import { CIPHER_SUITES, suiteParams, type CipherSuiteParams } from './suites.ts';
import type { CipherSuiteName } from '../codec/enums.ts';

const hex = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s, 'hex'));
const toHex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
/** Default runs per property (FC_NUM_RUNS and FC_SEED override: see codec/fc.ts). */
const RUNS = 40;
const suite = (n: CipherSuiteName): CipherSuiteParams => suiteParams(n)!;
const u64 = (n: bigint): Buffer => {
  const b = Buffer.alloc(8);
  b.writeBigUInt64BE(n);
  return b;
};
const hdr = (type: number, version: number, len: number): Buffer => Buffer.from([type, version >> 8, version & 0xff, len >> 8, len & 0xff]);

function expectError(r: DecryptResult, alert: string): RecordProtectionError {
  expect(r.ok).toBe(false);
  if (r.ok) throw new Error('unreachable');
  expect(r.error).toBeInstanceOf(RecordProtectionError);
  expect(r.error.alert).toBe(alert);
  expect(r.error.section).toMatch(/^RFC \d+/);
  return r.error;
}
function expectOk(r: DecryptResult): { type: number; content: Uint8Array; sequenceNumber: bigint } {
  if (!r.ok) throw new Error(`decrypt failed: ${r.error.message}`);
  return r;
}

// ---- RFC 8448 section 3 records (TLS_AES_128_GCM_SHA256) -------------------------------------------------

const R8448 = {
  cHs: { key: 'dbfaa693d1762c5b666af5d950258d01', iv: '5bd3c71b836e0b76bb73265f' },
  cAp: { key: '17422dda596ed5d9acd890e3c63f5051', iv: '5b78923dee08579033e523d9' },
  sAp: { key: '9f02283b6c9c07efc26bb9f2ac92e356', iv: 'cf782b88dd83549aadf1e984' },
  // l.692-701: client Finished, client handshake key, seq 0
  clientFinished: '14000020a8ec436d677634ae525ac1fcebe11a039ec17694fac6e98527b642f2edd5ce61',
  clientFinishedRecord:
    '170303003575ec4dc238cce60b298044a71e219c56cc77b0517fe9b93c7a4bfc44d87f38f80338ac98fc46deb384bd1caeacab6867d726c40546',
  // l.816-831: application data, client seq 0; server seq 1 (after NewSessionTicket at seq 0)
  appData: '000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f202122232425262728292a2b2c2d2e2f3031',
  clientAppRecord:
    '1703030043a23f7054b62c94d0affafe8228ba55cbefacea42f914aa66bcab3f2b9819a8a5b46b395bd54a9a20441e2b62974e1f5a6292a2977014bd1e3deae63aeebb21694915e4',
  serverAppRecord:
    '17030300432e937e11ef4ac740e538ad36005fc4a46932fc3225d05f82aa1b36e30efaf97d90e6dffc602dcb501a59a8fcc49c4bf2e5f0a21c0047c2abf332540dd032e167c2955d',
  // l.838-854: close_notify alerts, client seq 1, server seq 2
  clientAlertRecord: '1703030013c9872760655666b74d7ff1153efd6db6d0b0e3',
  serverAlertRecord: '1703030013b58fd67166ebf599d24720cfbe7efa7a8864a9',
};
const AES128 = suite('TLS_AES_128_GCM_SHA256');
// Every crypto provider (noble, node) passes the same tests.
for (const provider of allProviders()) {
  describe(`${provider.name} provider`, () => {
    const t13 = (k: { key: string; iv: string }, seq = 0n) =>
      new Tls13RecordProtection(provider, AES128, hex(k.key), hex(k.iv), { initialSequenceNumber: seq });

    describe('TLS 1.3 record protection: RFC 8448 section 3 records', () => {
      it('client Finished (handshake key, seq 0): encrypt reproduces the record, decrypt recovers it', () => {
        expect(toHex(t13(R8448.cHs).encrypt(22, hex(R8448.clientFinished)).bytes)).toBe(R8448.clientFinishedRecord);
        const r = expectOk(t13(R8448.cHs).decrypt(parseRecord(hex(R8448.clientFinishedRecord))!));
        expect(r.type).toBe(22);
        expect(toHex(r.content)).toBe(R8448.clientFinished);
        expect(r.sequenceNumber).toBe(0n);
      });

      it('client application data (seq 0) then close_notify (seq 1)', () => {
        const w = t13(R8448.cAp);
        expect(toHex(w.encrypt(23, hex(R8448.appData)).bytes)).toBe(R8448.clientAppRecord);
        expect(toHex(w.encrypt(21, hex('0100')).bytes)).toBe(R8448.clientAlertRecord);
        expect(w.sequenceNumber).toBe(2n);
        const r = t13(R8448.cAp);
        expect(toHex(expectOk(r.decrypt(parseRecord(hex(R8448.clientAppRecord))!)).content)).toBe(R8448.appData);
        const alert = expectOk(r.decrypt(parseRecord(hex(R8448.clientAlertRecord))!));
        expect([alert.type, toHex(alert.content)]).toEqual([21, '0100']);
      });

      it('server application data (seq 1) then close_notify (seq 2)', () => {
        const w = t13(R8448.sAp, 1n);
        expect(toHex(w.encrypt(23, hex(R8448.appData)).bytes)).toBe(R8448.serverAppRecord);
        expect(toHex(w.encrypt(21, hex('0100')).bytes)).toBe(R8448.serverAlertRecord);
      });

      it('the wrong sequence number fails with bad_record_mac and does not advance', () => {
        const r = t13(R8448.cAp);
        expectError(r.decrypt(parseRecord(hex(R8448.clientAlertRecord))!), 'bad_record_mac'); // seq 1 record at seq 0
        expect(r.sequenceNumber).toBe(0n);
        expectOk(r.decrypt(parseRecord(hex(R8448.clientAppRecord))!));
        expect(r.sequenceNumber).toBe(1n);
      });
    });

    describe('TLS 1.3 record protection: RFC 8446 5.2-5.4 rules', () => {
      const key = new Uint8Array(16).fill(7);
      const iv = new Uint8Array(12).fill(9);
      const pair = () => [new Tls13RecordProtection(provider, AES128, key, iv), new Tls13RecordProtection(provider, AES128, key, iv)] as const;

      it('padding: zeros after the type, stripped on receive (5.4)', () => {
        const [w, r] = pair();
        const rec = w.encrypt(22, hex('0102'), { padding: 100 });
        expect(rec.fragment).toHaveLength(2 + 1 + 100 + 16);
        expect(rec.type).toBe(23);
        expect(rec.version).toBe(0x0303);
        const out = expectOk(r.decrypt(rec));
        expect([out.type, toHex(out.content)]).toEqual([22, '0102']);
      });

      it('zero-length application data is allowed, zero-length handshake/alert is not (5.4)', () => {
        const [w, r] = pair();
        expect(toHex(expectOk(r.decrypt(w.encrypt(23, new Uint8Array()))).content)).toBe('');
        expect(() => w.encrypt(22, new Uint8Array())).toThrow(RecordProtectionError);
        expectError(r.decrypt(w.encrypt(21, new Uint8Array(), { unchecked: true })), 'unexpected_message');
      });

      it('all-zero TLSInnerPlaintext → unexpected_message (5.4)', () => {
        const [w, r] = pair();
        const e = expectError(r.decrypt(w.encrypt(0, new Uint8Array(), { padding: 5, unchecked: true })), 'unexpected_message');
        expect(e.section).toBe('RFC 8446 5.4');
      });

      it('TLSCiphertext longer than 2^14 + 256 → record_overflow (5.2)', () => {
        const [, r] = pair();
        expectError(r.decrypt({ type: 23, version: 0x0303, fragment: new Uint8Array((1 << 14) + 257) }), 'record_overflow');
        // exactly 2^14 + 256 is not an overflow (it fails authentication instead)
        expectError(r.decrypt({ type: 23, version: 0x0303, fragment: new Uint8Array((1 << 14) + 256) }), 'bad_record_mac');
      });

      it('TLSInnerPlaintext longer than 2^14 + 1 → record_overflow (5.4); the limit itself is fine', () => {
        const [w, r] = pair();
        expect(() => w.encrypt(23, new Uint8Array(1 << 14), { padding: 1 })).toThrow(RecordProtectionError);
        const e = expectError(r.decrypt(w.encrypt(23, new Uint8Array(1 << 14), { padding: 1, unchecked: true })), 'record_overflow');
        expect(e.section).toBe('RFC 8446 5.4');
        const [w2, r2] = pair();
        expect(expectOk(r2.decrypt(w2.encrypt(23, new Uint8Array(1 << 14)))).content).toHaveLength(1 << 14);
      });

      it('a protected record whose outer type is not application_data → unexpected_message (5)', () => {
        const [w, r] = pair();
        const rec = w.encrypt(22, hex('01'));
        expectError(r.decrypt({ ...rec, type: 22 }), 'unexpected_message');
      });

      it('sequence numbers do not wrap (5.3): after 2^64 - 1 both directions refuse', () => {
        const max = (1n << 64n) - 1n;
        const w = new Tls13RecordProtection(provider, AES128, key, iv, { initialSequenceNumber: max });
        const r = new Tls13RecordProtection(provider, AES128, key, iv, { initialSequenceNumber: max });
        const rec = w.encrypt(23, hex('ff'));
        expect(toHex(expectOk(r.decrypt(rec)).content)).toBe('ff');
        expect(() => w.encrypt(23, hex('ff'))).toThrow(RecordProtectionError);
        expectError(r.decrypt(rec), 'internal_error');
      });
    });

    // ---- TLS 1.2 AEAD ----------------------------------------------------------------------------------------

    describe('TLS 1.3 record protection with the CCM suites (RFC 8446 B.4, 5.2, 5.3)', () => {
      const key = new Uint8Array(16).map((_, i) => i);
      const iv = new Uint8Array(12).map((_, i) => 0xa0 + i);
      for (const [name, tagLength] of [
        ['TLS_AES_128_CCM_SHA256', 16],
        ['TLS_AES_128_CCM_8_SHA256', 8],
      ] as const) {
        it(`${name}: AEAD-Encrypt(key, IV XOR seq, aad = header, inner) as node:crypto computes it; the tag is ${tagLength} bytes`, () => {
          const w = new Tls13RecordProtection(provider, suite(name), key, iv, { initialSequenceNumber: 5n });
          const content = hex('48656c6c6f');
          const rec = w.encrypt(23, content, { padding: 3 });
          // RFC 8446 5.2: length = |TLSInnerPlaintext| + the AEAD expansion (the tag)
          expect(rec.fragment).toHaveLength(content.length + 1 + 3 + tagLength);
          // RFC 8446 5.3: nonce = iv XOR (the 64-bit sequence number, left-padded to iv_length)
          const nonce = Buffer.from(iv);
          u64(5n).forEach((b, i) => (nonce[4 + i] ^= b));
          const c = createCipheriv('aes-128-ccm', key, nonce, { authTagLength: tagLength });
          const inner = Buffer.from([...content, 23, 0, 0, 0]);
          c.setAAD(hdr(23, 0x0303, inner.length + tagLength), { plaintextLength: inner.length });
          const expected = Buffer.concat([c.update(inner), c.final(), c.getAuthTag()]);
          expect(toHex(rec.fragment)).toBe(expected.toString('hex'));
          const r = new Tls13RecordProtection(provider, suite(name), key, iv, { initialSequenceNumber: 5n });
          expect(toHex(expectOk(r.decrypt(rec)).content)).toBe(toHex(content));
        });

        it(`${name}: a record shorter than the tag, or with a flipped tag bit, fails with bad_record_mac (RFC 8446 5.2)`, () => {
          const w = new Tls13RecordProtection(provider, suite(name), key, iv);
          const rec = w.encrypt(22, hex('0102'));
          const r = new Tls13RecordProtection(provider, suite(name), key, iv);
          expectError(r.decrypt({ ...rec, fragment: rec.fragment.subarray(0, tagLength - 1) }), 'bad_record_mac');
          const f = Uint8Array.from(rec.fragment);
          f[f.length - 1] ^= 0x80;
          expectError(r.decrypt({ ...rec, fragment: f }), 'bad_record_mac');
          expectOk(r.decrypt(rec));
        });
      }
    });

    describe('TLS 1.2 AEAD record protection', () => {
      it('AES-GCM layout (RFC 5288 3): nonce_explicit = seq || AEAD(salt || explicit, aad = seq+type+version+length)', () => {
        const s = suite('TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256');
        const key = Uint8Array.from({ length: 16 }, (_, i) => i);
        const salt = hex('a1a2a3a4');
        const w = new Tls12AeadRecordProtection(provider, s, key, salt, { initialSequenceNumber: 5n });
        const content = Buffer.from('hello, TLS 1.2');
        const rec = w.encrypt(23, content);
        const c = createCipheriv('aes-128-gcm', key, Buffer.concat([salt, u64(5n)]));
        c.setAAD(Buffer.concat([u64(5n), hdr(23, 0x0303, content.length)]));
        const expected = Buffer.concat([u64(5n), c.update(content), c.final(), c.getAuthTag()]);
        expect(toHex(rec.fragment)).toBe(expected.toString('hex'));
        expect(toHex(rec.bytes.subarray(0, 5))).toBe(hdr(23, 0x0303, expected.length).toString('hex'));
      });

      it('ChaCha20-Poly1305 layout (RFC 7905 2): nonce = IV XOR seq, no explicit part', () => {
        const s = suite('TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256');
        const key = Uint8Array.from({ length: 32 }, (_, i) => 255 - i);
        const iv = hex('000102030405060708090a0b');
        const w = new Tls12AeadRecordProtection(provider, s, key, iv, { initialSequenceNumber: 0x0102n });
        const content = Buffer.from('chacha');
        const rec = w.encrypt(22, content);
        const c = createCipheriv('chacha20-poly1305', key, hex('000102030405060708090b09'), { authTagLength: 16 });
        c.setAAD(Buffer.concat([u64(0x0102n), hdr(22, 0x0303, content.length)]), { plaintextLength: content.length });
        expect(toHex(rec.fragment)).toBe(Buffer.concat([c.update(content), c.final(), c.getAuthTag()]).toString('hex'));
      });

      it('a caller-chosen nonce_explicit is used and carried', () => {
        const s = suite('TLS_RSA_WITH_AES_256_GCM_SHA384');
        const w = new Tls12AeadRecordProtection(provider, s, new Uint8Array(32), new Uint8Array(4));
        const r = new Tls12AeadRecordProtection(provider, s, new Uint8Array(32), new Uint8Array(4));
        const rec = w.encrypt(23, hex('abcd'), { explicitNonce: hex('0011223344556677') });
        expect(toHex(rec.fragment.subarray(0, 8))).toBe('0011223344556677');
        expect(toHex(expectOk(r.decrypt(rec)).content)).toBe('abcd');
      });

      it('short fragment → bad_record_mac; over 2^14 + 2048 → record_overflow; plaintext over 2^14 → record_overflow', () => {
        const s = suite('TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256');
        const mk = () => new Tls12AeadRecordProtection(provider, s, new Uint8Array(16), new Uint8Array(4));
        expectError(mk().decrypt({ type: 23, version: 0x0303, fragment: new Uint8Array(23) }), 'bad_record_mac');
        expectError(mk().decrypt({ type: 23, version: 0x0303, fragment: new Uint8Array((1 << 14) + 2049) }), 'record_overflow');
        expect(() => mk().encrypt(23, new Uint8Array((1 << 14) + 1))).toThrow(RecordProtectionError);
        expectError(mk().decrypt(mk().encrypt(23, new Uint8Array((1 << 14) + 1), { unchecked: true })), 'record_overflow');
      });
    });

    // ---- TLS 1.2 CBC -----------------------------------------------------------------------------------------

    /** An independent MAC-then-encrypt record built on node:crypto (RFC 5246 6.2.3.2), with any padding bytes. */
    function nodeMteRecord(opts: {
      cipher: 'aes-128-cbc' | 'aes-256-cbc';
      key: Uint8Array;
      macHash: string;
      macKey: Uint8Array;
      seq: bigint;
      type: number;
      iv: Uint8Array;
      content: Uint8Array;
      padding: Uint8Array; // the padding bytes followed by padding_length
      badMac?: boolean;
    }): TlsRecord {
      const mac = createHmac(opts.macHash, opts.macKey)
        .update(Buffer.concat([u64(opts.seq), hdr(opts.type, 0x0303, opts.content.length), opts.content]))
        .digest();
      if (opts.badMac) mac[0] ^= 1;
      const plain = Buffer.concat([opts.content, mac, opts.padding]);
      const c = createCipheriv(opts.cipher, opts.key, opts.iv).setAutoPadding(false);
      return { type: opts.type, version: 0x0303, fragment: Buffer.concat([opts.iv, c.update(plain), c.final()]) };
    }

    describe('TLS 1.2 CBC record protection (RFC 5246 6.2.3.2, RFC 7366)', () => {
      const s = suite('TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256');
      const key = Uint8Array.from({ length: 16 }, (_, i) => i * 3);
      const macKey = Uint8Array.from({ length: 32 }, (_, i) => i * 5);
      const iv = Uint8Array.from({ length: 16 }, (_, i) => 0xf0 - i);
      const reader = (etm = false, seq = 0n) => new Tls12CbcRecordProtection(provider, s, key, macKey, { encryptThenMac: etm, initialSequenceNumber: seq });

      it('MAC-then-encrypt matches an independent construction, minimal and longer padding', () => {
        const content = Buffer.from('0123456789abcdef0123'); // 20 + 32 MAC + 1 = 53 → 11 bytes of padding
        for (const padLen of [11, 27, 251]) {
          const w = reader(false, 3n);
          const rec = w.encrypt(23, content, { iv, padding: padLen });
          const ref = nodeMteRecord({ cipher: 'aes-128-cbc', key, macHash: 'sha256', macKey, seq: 3n, type: 23, iv, content, padding: new Uint8Array(padLen + 1).fill(padLen) });
          expect(toHex(rec.fragment)).toBe(toHex(ref.fragment));
          expect(toHex(expectOk(reader(false, 3n).decrypt(rec)).content)).toBe(content.toString('hex'));
        }
        expect(() => reader().encrypt(23, content, { iv, padding: 12 })).toThrow(RangeError);
        expect(() => reader().encrypt(23, content, { iv, padding: 267 })).toThrow(RangeError);
      });

      it('bad padding and bad MAC are both bad_record_mac, indistinguishably', () => {
        const content = Buffer.from('attack at dawn!!'); // 16 + 32 + 1 = 49 → 15 bytes of padding
        const good = new Uint8Array(16).fill(15);
        const badPad = Uint8Array.from(good);
        badPad[3] = 14; // one padding byte wrong
        const base = { cipher: 'aes-128-cbc' as const, key, macHash: 'sha256', macKey, seq: 0n, type: 23, iv, content };
        expectOk(reader().decrypt(nodeMteRecord({ ...base, padding: good })));
        const e1 = expectError(reader().decrypt(nodeMteRecord({ ...base, padding: badPad })), 'bad_record_mac');
        const e2 = expectError(reader().decrypt(nodeMteRecord({ ...base, padding: good, badMac: true })), 'bad_record_mac');
        // padding_length pointing past the start of the record
        const e3 = expectError(reader().decrypt(nodeMteRecord({ ...base, padding: new Uint8Array(16).fill(200) })), 'bad_record_mac');
        expect([e2.section, e2.reason]).toEqual([e1.section, e1.reason]);
        expect([e3.section, e3.reason]).toEqual([e1.section, e1.reason]);
      });

      it('fragments that are not whole blocks or are too short → bad_record_mac (7.2.2)', () => {
        expectError(reader().decrypt({ type: 23, version: 0x0303, fragment: new Uint8Array(16 + 48 + 1) }), 'bad_record_mac');
        expectError(reader().decrypt({ type: 23, version: 0x0303, fragment: new Uint8Array(32) }), 'bad_record_mac');
        expectError(reader().decrypt({ type: 23, version: 0x0303, fragment: new Uint8Array((1 << 14) + 2064) }), 'record_overflow');
      });

      it('encrypt-then-MAC (RFC 7366 3) matches an independent construction', () => {
        const content = Buffer.from('etm content');
        const rec = reader(true, 9n).encrypt(22, content, { iv });
        const padLen = 16 - ((content.length + 1) % 16);
        const c = createCipheriv('aes-128-cbc', key, iv).setAutoPadding(false);
        const enc = Buffer.concat([iv, c.update(Buffer.concat([content, Buffer.alloc(padLen + 1, padLen)])), c.final()]);
        const mac = createHmac('sha256', macKey).update(Buffer.concat([u64(9n), hdr(22, 0x0303, enc.length), enc])).digest();
        expect(toHex(rec.fragment)).toBe(toHex(Buffer.concat([enc, mac])));
        expect(toHex(expectOk(reader(true, 9n).decrypt(rec)).content)).toBe(content.toString('hex'));
        // an MtE reader cannot read it and vice versa
        expectError(reader(false, 9n).decrypt(rec), 'bad_record_mac');
      });

      it('every MAC hash: SHA-1, SHA-256, SHA-384', () => {
        for (const n of ['TLS_RSA_WITH_AES_256_CBC_SHA', 'TLS_RSA_WITH_AES_128_CBC_SHA256', 'TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384'] as const) {
          const p = suite(n);
          const k = new Uint8Array(p.keyLength).fill(1);
          const mk = new Uint8Array(p.mac!.keyLength).fill(2);
          const rec = new Tls12CbcRecordProtection(provider, p, k, mk).encrypt(23, hex('00ff'));
          expect((rec.fragment.length - 16) % 16).toBe(0);
          expect(rec.fragment.length).toBe(16 + Math.ceil((2 + p.mac!.length + 1) / 16) * 16);
          expect(toHex(expectOk(new Tls12CbcRecordProtection(provider, p, k, mk).decrypt(rec)).content)).toBe('00ff');
        }
      });
    });

    describe('TLS 1.2 CBC record control for negative tests (paddingBytes, paddingLengthByte, macXor, unchecked)', () => {
      const s = suite('TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256'); // 32-byte MAC
      const key = Uint8Array.from({ length: 16 }, (_, i) => 0x40 + i);
      const macKey = Uint8Array.from({ length: 32 }, (_, i) => 0x80 + i);
      const iv = Uint8Array.from({ length: 16 }, (_, i) => i * 7);
      const prot = (etm: boolean) => new Tls12CbcRecordProtection(provider, s, key, macKey, { encryptThenMac: etm });
      const base = { cipher: 'aes-128-cbc' as const, key, macHash: 'sha256', macKey, seq: 0n, type: 23, iv };
      const content = Buffer.from('0123456789abcdef'); // 16 + 32 MAC + 1 = 49: padding 15, 31, ..., 255
      /** The block-ciphered part of an encrypt-then-MAC record, decrypted independently (whole blocks only). */
      const etmPlain = (f: Uint8Array) => {
        const d = createDecipheriv('aes-128-cbc', key, f.subarray(0, 16)).setAutoPadding(false);
        return Buffer.concat([d.update(f.subarray(16, f.length - 32)), d.final()]);
      };

      it('the valid 255-byte padding: the reference builds it as an independent construction does, and accepts it', () => {
        const rec = prot(false).encrypt(23, content, { iv, padding: 255 });
        expect(toHex(rec.fragment)).toBe(toHex(nodeMteRecord({ ...base, content, padding: new Uint8Array(256).fill(255) }).fragment));
        expect(toHex(expectOk(prot(false).decrypt(rec)).content)).toBe(content.toString('hex'));
        const etm = prot(true).encrypt(23, content, { iv, paddingBytes: new Uint8Array(255).fill(255) }); // 16 + 256: whole blocks
        expect(etm.fragment.length).toBe(16 + 16 + 256 + 32);
        expect(toHex(expectOk(prot(true).decrypt(etm)).content)).toBe(content.toString('hex'));
      });

      it('paddingBytes: the padding vector as given; a wrong byte is bad_record_mac (RFC 5246 6.2.3.2)', () => {
        const pad = new Uint8Array(15).fill(15);
        pad[0] = 0x0e;
        const rec = prot(false).encrypt(23, content, { iv, paddingBytes: pad });
        expect(toHex(rec.fragment)).toBe(toHex(nodeMteRecord({ ...base, content, padding: Uint8Array.from([...pad, 15]) }).fragment));
        expectError(prot(false).decrypt(rec), 'bad_record_mac');
        const etm = prot(true).encrypt(23, content, { iv, paddingBytes: pad });
        expect(toHex(etmPlain(etm.fragment))).toBe(toHex(Buffer.concat([content, pad, Buffer.of(15)])));
        expectError(prot(true).decrypt(etm), 'bad_record_mac');
        // its length is the padding length: it must fill the block like any padding, and agree with `padding`
        expect(() => prot(false).encrypt(23, content, { iv, paddingBytes: new Uint8Array(14) })).toThrow(RangeError);
        expect(() => prot(false).encrypt(23, content, { iv, paddingBytes: pad, padding: 31 })).toThrow(RangeError);
      });

      it('paddingLengthByte: a padding_length that does not match the padding is bad_record_mac, MtE and EtM', () => {
        for (const lengthByte of [14, 31, 255, 0]) {
          const rec = prot(false).encrypt(23, content, { iv, paddingLengthByte: lengthByte });
          expect(toHex(rec.fragment)).toBe(toHex(nodeMteRecord({ ...base, content, padding: Uint8Array.from([...new Uint8Array(15).fill(15), lengthByte]) }).fragment));
          expectError(prot(false).decrypt(rec), 'bad_record_mac');
          const etm = prot(true).encrypt(23, content, { iv, paddingLengthByte: lengthByte });
          expect(etmPlain(etm.fragment).at(-1)).toBe(lengthByte);
          if (lengthByte !== 0) expectError(prot(true).decrypt(etm), 'bad_record_mac');
          // EtM authenticates the ciphertext: padding_length 0 is a valid record whose content ends with the 15 bytes
          else expect(toHex(expectOk(prot(true).decrypt(etm)).content)).toBe(content.toString('hex') + '0f'.repeat(15));
        }
        // the byte that matches is the valid record
        expectOk(prot(false).decrypt(prot(false).encrypt(23, content, { iv, paddingLengthByte: 15 })));
        expect(() => prot(false).encrypt(23, content, { iv, paddingLengthByte: 256 })).toThrow(RangeError);
      });

      it('macXor: MtE corrupts the MAC before encryption, EtM the MAC after it; both are bad_record_mac', () => {
        const rec = prot(false).encrypt(23, content, { iv, macXor: { at: 0, value: 1 } });
        expect(toHex(rec.fragment)).toBe(toHex(nodeMteRecord({ ...base, content, padding: new Uint8Array(16).fill(15), badMac: true }).fragment));
        expectError(prot(false).decrypt(rec), 'bad_record_mac');
        const good = prot(true).encrypt(23, content, { iv });
        const bad = prot(true).encrypt(23, content, { iv, macXor: { at: -1, value: 0x80 } });
        const expected = Uint8Array.from(good.fragment);
        expected[expected.length - 1] ^= 0x80;
        expect(toHex(bad.fragment)).toBe(toHex(expected));
        expectError(prot(true).decrypt(bad), 'bad_record_mac');
        expect(() => prot(false).encrypt(23, content, { iv, macXor: { at: 32, value: 1 } })).toThrow(RangeError);
        expect(() => prot(true).encrypt(23, content, { iv, macXor: { at: -33, value: 1 } })).toThrow(RangeError);
      });

      it('unchecked: a padding that does not fill the block gives a ciphertext of partial blocks, rejected as bad_record_mac', () => {
        expect(() => prot(false).encrypt(23, content, { iv, padding: 3 })).toThrow(RangeError);
        for (const etm of [false, true]) {
          const rec = prot(etm).encrypt(23, content, { iv, padding: 3, unchecked: true });
          const plainLength = 16 + (etm ? 0 : 32) + 3 + 1;
          expect(rec.fragment.length).toBe(16 + plainLength + (etm ? 32 : 0));
          expect((rec.fragment.length - (etm ? 32 : 0)) % 16).not.toBe(0);
          // the whole blocks are the CBC encryption of the plaintext's first blocks
          const whole = Math.floor(plainLength / 16) * 16;
          const d = createDecipheriv('aes-128-cbc', key, iv).setAutoPadding(false);
          const plain = Buffer.concat([d.update(rec.fragment.subarray(16, 16 + whole)), d.final()]);
          expect(toHex(plain.subarray(0, 16))).toBe(content.toString('hex'));
          expectError(prot(etm).decrypt(rec), 'bad_record_mac');
        }
      });

      it('AEAD and TLS 1.3 protections refuse the CBC-only options', () => {
        const gcm = suite('TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256');
        const aead = new Tls12AeadRecordProtection(provider, gcm, new Uint8Array(16), new Uint8Array(4));
        const t13p = new Tls13RecordProtection(provider, AES128, new Uint8Array(16), new Uint8Array(12));
        for (const o of [{ paddingBytes: new Uint8Array(1) }, { paddingLengthByte: 1 }, { macXor: { at: 0, value: 1 } }]) {
          expect(() => aead.encrypt(23, content, o)).toThrow(RangeError);
          expect(() => t13p.encrypt(23, content, o)).toThrow(RangeError);
        }
      });
    });

    // ---- properties over every suite ----------------------------------------------------------------------------

    function makePair(s: CipherSuiteParams, etm: boolean, seed: number): [RecordProtection, RecordProtection] {
      const bytes = (n: number, salt: number) => Uint8Array.from({ length: n }, (_, i) => (i * 31 + seed * 7 + salt) & 0xff);
      const keys = { key: bytes(s.keyLength, 1), iv: bytes(s.fixedIvLength, 2), macKey: bytes(s.mac?.keyLength ?? 0, 3) };
      return [createRecordProtection(provider, s, keys, { encryptThenMac: etm }), createRecordProtection(provider, s, keys, { encryptThenMac: etm })];
    }

    const ALL = Object.values(CIPHER_SUITES).filter((s): s is CipherSuiteParams => s !== undefined);

    describe('properties (fast-check, fixed seed), every suite', () => {
      it('encrypt then decrypt is the identity, over several records in sequence', () => {
        fc.assert(
          fc.property(
            fc.constantFrom(...ALL),
            fc.boolean(),
            fc.nat(255),
            fc.array(fc.record({ type: fc.constantFrom(21, 22, 23), content: fc.uint8Array({ minLength: 1, maxLength: 300 }), pad: fc.nat(40) }), { minLength: 1, maxLength: 4 }),
            (s, etm, seed, records) => {
              const [w, r] = makePair(s, etm, seed);
              for (const rec of records) {
                const opts = s.version === 'TLS1.3' ? { padding: rec.pad } : {};
                const out = expectOk(r.decrypt(parseRecord(w.encrypt(rec.type, rec.content, opts).bytes)!));
                expect(out.type).toBe(rec.type);
                expect(toHex(out.content)).toBe(toHex(rec.content));
              }
              expect(w.sequenceNumber).toBe(BigInt(records.length));
              expect(r.sequenceNumber).toBe(BigInt(records.length));
            },
          ),
          fcParams(150),
        );
      }, fcTimeout(150));

      it('a flipped bit anywhere in the fragment or the version field fails with bad_record_mac', () => {
        fc.assert(
          fc.property(fc.constantFrom(...ALL), fc.boolean(), fc.nat(255), fc.uint8Array({ minLength: 1, maxLength: 200 }), fc.nat(), (s, etm, seed, content, where) => {
            const [w, r] = makePair(s, etm, seed);
            const rec = w.encrypt(23, content);
            const bits = rec.fragment.length * 8 + 16;
            const bit = where % bits;
            let tampered: TlsRecord;
            if (bit < 16) tampered = { ...rec, version: rec.version ^ (1 << bit) };
            else {
              const f = Uint8Array.from(rec.fragment);
              const b = bit - 16;
              f[b >> 3] ^= 1 << (b & 7);
              tampered = { ...rec, fragment: f };
            }
            expectError(r.decrypt(tampered), 'bad_record_mac');
            expect(r.sequenceNumber).toBe(0n);
            expectOk(r.decrypt(rec)); // the untampered record still decrypts
          }),
          fcParams(300),
        );
      }, fcTimeout(300));

      it('TLS 1.2: a changed content type fails with bad_record_mac (it is in the MAC / additional data)', () => {
        fc.assert(
          fc.property(fc.constantFrom(...ALL.filter((s) => s.version === 'TLS1.2')), fc.boolean(), fc.uint8Array({ minLength: 1, maxLength: 50 }), (s, etm, content) => {
            const [w, r] = makePair(s, etm, 1);
            const rec = w.encrypt(23, content);
            expectError(r.decrypt({ ...rec, type: 22 }), 'bad_record_mac');
          }),
          fcParams(RUNS),
        );
      }, fcTimeout(RUNS));
    });
  });
}
