/**
 * TLS 1.3 key schedule against RFC 8448 (Example Handshake Traces for TLS 1.3): section 3 (simple 1-RTT,
 * TLS_AES_128_GCM_SHA256, x25519) and section 4 (resumed 0-RTT: the resumption PSK and its binder).
 * Values transcribed from /work/shared/reference/rfc8448.txt (line numbers in comments).
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { fcParams, fcTimeout } from '../codec/fc.ts';
import { allProviders } from './providers.ts';
import { Tls13KeySchedule, deriveSecret, encodeHkdfLabel, hkdfExpandLabel, tls13RecordNonce } from './tls13-key-schedule.ts';
import { CryptoError } from './provider.ts';

const hex = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s.replace(/\s+/g, ''), 'hex'));
const toHex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

// RFC 8448 section 3
const S3 = {
  earlySecret: '33ad0a1c607ec03b09e6cd9893680ce210adf300aa1f2660e1b22e10f170f92a', // l.219
  derivedForHandshake: '6f2615a108c702c5678f54fc9dbab69716c076189c48250cebeac3576c3611ba', // l.259
  ecdhe: '8bd4054fb55b9d63fdfbacf9f04b9f0d35e6d63f537563efd46272900f89492d', // l.267 (IKM)
  handshakeSecret: '1dc826e93606aa6fdc0aadc12f741b01046aa6b99f691ed221a9f0ca043fbeac', // l.270
  thChSh: '860c06edc07858ee8e78f0e7428c58edd6b43f2ca3e6e95f02ed063cf0e1cad8', // l.287
  cHsInfo: '002012746c73313320632068732074726166666963' + '20860c06edc07858ee8e78f0e7428c58edd6b43f2ca3e6e95f02ed063cf0e1cad8', // l.290
  cHsTraffic: 'b3eddb126e067f35a780b3abf45e2d8f3b1a950738f52e9600746a0e27a55a21', // l.294
  sHsTraffic: 'b67b7d690cc16c4e75e54213cb2d37b4e9c912bcded9105d42befd59d391ad38', // l.309
  masterSecret: '18df06843d13a08bf2a449844c5f8a478001bc4d4c627984d5a41da8d0402919', // l.343
  sHsKey: '3fce516009c21727d0f2e4e86ee403bc', // l.367
  sHsIv: '5d313eb2671276ee13000b30', // l.372
  cHsKey: 'dbfaa693d1762c5b666af5d950258d01', // l.606
  cHsIv: '5bd3c71b836e0b76bb73265f', // l.611
  sFinishedKey: '008d3b66f816ea559f96b537e885c31fc068bf492c652f01f288a1d8cdc19fc8', // l.433
  cFinishedKey: 'b80ad01015fb2f0bd65ff7d4da5d6bf83f84821d1f87fdc7d3c75b5a7b42d9c4', // l.684
  thChSf: '9608102a0f1ccc6db6250b7b7e417b1a000eaada3daae4777a7686c9ff83df13', // l.537 (CH..server Finished)
  cFinished: 'a8ec436d677634ae525ac1fcebe11a039ec17694fac6e98527b642f2edd5ce61', // l.687 (verify_data over thChSf)
  cApTraffic: '9e40646ce79a7f9dc05af8889bce6552875afa0b06df0087f792ebb7c17504a5', // l.544
  sApTraffic: 'a11af9f05531f856ad47116b45a950328204b4f44bfb6b3a4b4f1f3fcb631643', // l.567
  expMaster: 'fe22f881176eda18eb8f44529e6792c50c9a3f89452f68d8ae311b4309d3cf50', // l.582
  sApKey: '9f02283b6c9c07efc26bb9f2ac92e356', // l.592
  sApIv: 'cf782b88dd83549aadf1e984', // l.597
  cApKey: '17422dda596ed5d9acd890e3c63f5051', // l.713
  cApIv: '5b78923dee08579033e523d9', // l.718
  thChCf: '209145a96ee8e2a122ff810047cc952684658d6049e86429426db87c54ad143d', // l.725 (CH..client Finished)
  resMaster: '7df235f2031d2a051287d02b0241b0bfdaf86cc856231f2d5aba46c434ec196c', // l.739
  ticketNonce: '0000', // l.754
  resumptionPsk: '4ecd0eb6ec3b4d87f5d6028f922ca4c5851a277fd41311c9e62d2c9492e1c4f3', // l.759
};

// RFC 8448 section 4 (resumed 0-RTT with the PSK above)
const S4 = {
  earlySecret: '9b2188e9b2fc6d64d71dc329900e20bb41915000f678aa839cbb797cb7d8332c', // l.881
  binderKey: '69fe131a3bbad5d63c64eebcc30e395b9d8107726a13d074e389dbc8a4e47256', // l.949 (PRK of "calculate PSK binder")
  binderHash: '63224b2e4573f2d3454ca84b9d009a04f6be9e05711a8396473aefa01e924a14', // l.946
  binderFinishedKey: '5588673e72cb59c87d220caffe94f2dea9a3b1609f7d50e90a48227db9ed7eaa', // l.964
  binder: '3add4fb2d8fdf822a0ca3cf7678ef5e88dae990141c5924d57bb6fa31b9e5f9d', // l.967
  thCh: '08ad0fa05d7c7233b1775ba2ff9f4c5b8b59276b7f227f13a976245f5d960913', // l.1038
  cETraffic: '3fbbe6a60deb66c30a32795aba0eff7eaa10105586e7be5c09678d63b6caab62', // l.1045
  eExpMaster: 'b2026866610937d7423e5be90862ccf24c0e6091186d34f812089ff5be2ef7df', // l.1060
  earlyKey: '920205a5b7bf2115e6fc5c2942834f54', // l.1078
  earlyIv: '6d475f0993c8e564610db2b9', // l.1083
};

// Every crypto provider (noble, node) passes the same tests.
for (const provider of allProviders()) {
  describe(`${provider.name} provider`, () => {
    const ks = new Tls13KeySchedule(provider, 'sha256');

    describe('HkdfLabel and HKDF-Expand-Label (RFC 8446 7.1)', () => {
      it('encodes the struct as RFC 8448 shows it', () => {
        // RFC 8448 l.255: info for Derive-Secret(., "derived", "") with SHA-256
        expect(toHex(encodeHkdfLabel('derived', hex('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855'), 32))).toBe(
          '00200d746c733133206465726976656420e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
        );
        expect(toHex(encodeHkdfLabel('c hs traffic', hex(S3.thChSh), 32))).toBe(S3.cHsInfo);
        expect(toHex(encodeHkdfLabel('key', new Uint8Array(), 16))).toBe('001009746c733133206b657900'); // l.365
        expect(toHex(encodeHkdfLabel('iv', new Uint8Array(), 12))).toBe('000c08746c73313320697600'); // l.370
      });

      it('refuses labels and contexts outside the struct bounds', () => {
        expect(() => encodeHkdfLabel('', new Uint8Array(), 32)).toThrow(CryptoError); // "tls13 " alone is 6 < 7
        expect(() => encodeHkdfLabel('x'.repeat(250), new Uint8Array(), 32)).toThrow(CryptoError); // 256 > 255
        expect(() => encodeHkdfLabel('a', new Uint8Array(256), 32)).toThrow(CryptoError);
        expect(() => encodeHkdfLabel('a', new Uint8Array(), 0x10000)).toThrow(CryptoError);
        expect(encodeHkdfLabel('x'.repeat(249), new Uint8Array(255), 32)).toHaveLength(2 + 1 + 255 + 1 + 255);
      });

      it('Derive-Secret and HKDF-Expand-Label free functions', () => {
        expect(toHex(deriveSecret(provider, 'sha256', hex(S3.earlySecret), 'derived', ks.emptyHash))).toBe(S3.derivedForHandshake);
        expect(toHex(hkdfExpandLabel(provider, 'sha256', hex(S3.sHsTraffic), 'key', new Uint8Array(), 16))).toBe(S3.sHsKey);
      });
    });

    describe('RFC 8448 section 3: simple 1-RTT handshake', () => {
      it('Early Secret with no PSK', () => {
        expect(toHex(ks.earlySecret())).toBe(S3.earlySecret);
      });
      it('Handshake Secret and handshake traffic secrets', () => {
        const hs = ks.handshakeSecret(hex(S3.earlySecret), hex(S3.ecdhe));
        expect(toHex(hs)).toBe(S3.handshakeSecret);
        expect(toHex(ks.clientHandshakeTrafficSecret(hs, hex(S3.thChSh)))).toBe(S3.cHsTraffic);
        expect(toHex(ks.serverHandshakeTrafficSecret(hs, hex(S3.thChSh)))).toBe(S3.sHsTraffic);
      });
      it('Master Secret and application secrets', () => {
        const ms = ks.masterSecret(hex(S3.handshakeSecret));
        expect(toHex(ms)).toBe(S3.masterSecret);
        expect(toHex(ks.clientApplicationTrafficSecret0(ms, hex(S3.thChSf)))).toBe(S3.cApTraffic);
        expect(toHex(ks.serverApplicationTrafficSecret0(ms, hex(S3.thChSf)))).toBe(S3.sApTraffic);
        expect(toHex(ks.exporterMasterSecret(ms, hex(S3.thChSf)))).toBe(S3.expMaster);
        expect(toHex(ks.resumptionMasterSecret(ms, hex(S3.thChCf)))).toBe(S3.resMaster);
      });
      it('traffic keys and IVs (7.3)', () => {
        const sHs = ks.trafficKeys(hex(S3.sHsTraffic), 16);
        expect([toHex(sHs.key), toHex(sHs.iv)]).toEqual([S3.sHsKey, S3.sHsIv]);
        const cHs = ks.trafficKeys(hex(S3.cHsTraffic), 16);
        expect([toHex(cHs.key), toHex(cHs.iv)]).toEqual([S3.cHsKey, S3.cHsIv]);
        const sAp = ks.trafficKeys(hex(S3.sApTraffic), 16);
        expect([toHex(sAp.key), toHex(sAp.iv)]).toEqual([S3.sApKey, S3.sApIv]);
        const cAp = ks.trafficKeys(hex(S3.cApTraffic), 16);
        expect([toHex(cAp.key), toHex(cAp.iv)]).toEqual([S3.cApKey, S3.cApIv]);
      });
      it('finished_key and client Finished verify_data (4.4.4)', () => {
        expect(toHex(ks.finishedKey(hex(S3.sHsTraffic)))).toBe(S3.sFinishedKey);
        expect(toHex(ks.finishedKey(hex(S3.cHsTraffic)))).toBe(S3.cFinishedKey);
        expect(toHex(ks.finishedVerifyData(hex(S3.cHsTraffic), hex(S3.thChSf)))).toBe(S3.cFinished);
      });
      it('resumption PSK from the ticket nonce (4.6.1)', () => {
        expect(toHex(ks.resumptionPsk(hex(S3.resMaster), hex(S3.ticketNonce)))).toBe(S3.resumptionPsk);
      });
    });

    describe('RFC 8448 section 4: resumed 0-RTT handshake', () => {
      it('Early Secret from the resumption PSK', () => {
        expect(toHex(ks.earlySecret(hex(S3.resumptionPsk)))).toBe(S4.earlySecret);
      });
      it('binder_key ("res binder"), its finished_key and the PSK binder (4.2.11.2)', () => {
        const bk = ks.binderKey(hex(S4.earlySecret), 'resumption');
        expect(toHex(bk)).toBe(S4.binderKey);
        expect(toHex(ks.finishedKey(bk))).toBe(S4.binderFinishedKey);
        expect(toHex(ks.pskBinder(bk, hex(S4.binderHash)))).toBe(S4.binder);
        // "ext binder" must give a different key (RFC 8446 7.1: the labels keep the PSK kinds apart)
        expect(toHex(ks.binderKey(hex(S4.earlySecret), 'external'))).not.toBe(S4.binderKey);
      });
      it('client_early_traffic_secret, early_exporter_master_secret and the 0-RTT keys', () => {
        const es = hex(S4.earlySecret);
        const cet = ks.clientEarlyTrafficSecret(es, hex(S4.thCh));
        expect(toHex(cet)).toBe(S4.cETraffic);
        expect(toHex(ks.earlyExporterMasterSecret(es, hex(S4.thCh)))).toBe(S4.eExpMaster);
        const k = ks.trafficKeys(cet, 16);
        expect([toHex(k.key), toHex(k.iv)]).toEqual([S4.earlyKey, S4.earlyIv]);
      });
    });

    describe('key update, exporter, transcript, nonce', () => {
      it('application_traffic_secret_N+1 = HKDF-Expand-Label(N, "traffic upd", "", Hash.length) (7.2)', () => {
        const n1 = ks.nextApplicationTrafficSecret(hex(S3.cApTraffic));
        expect(n1).toHaveLength(32);
        expect(toHex(n1)).toBe(toHex(hkdfExpandLabel(provider, 'sha256', hex(S3.cApTraffic), 'traffic upd', new Uint8Array(), 32)));
        expect(toHex(ks.nextApplicationTrafficSecret(n1))).not.toBe(toHex(n1));
      });

      it('exporter (7.5) is Expand-Label(Derive-Secret(S, label, ""), "exporter", Hash(context), L)', () => {
        const ems = hex(S3.expMaster);
        const out = ks.exporter(ems, 'EXPORTER-test', new TextEncoder().encode('ctx'), 40);
        const inner = deriveSecret(provider, 'sha256', ems, 'EXPORTER-test', provider.hash('sha256', new Uint8Array()));
        expect(toHex(out)).toBe(toHex(hkdfExpandLabel(provider, 'sha256', inner, 'exporter', provider.hash('sha256', new TextEncoder().encode('ctx')), 40)));
      });

      it('SHA-384 schedule has 48-byte secrets', () => {
        const k384 = new Tls13KeySchedule(provider, 'sha384');
        const es = k384.earlySecret();
        expect(es).toHaveLength(48);
        expect(k384.masterSecret(k384.handshakeSecret(es, new Uint8Array(48)))).toHaveLength(48);
        expect(k384.trafficKeys(es, 32).key).toHaveLength(32);
      });

      it('transcriptHash concatenates messages', () => {
        const a = Uint8Array.of(1, 2, 3);
        const b = Uint8Array.of(4, 5);
        expect(toHex(ks.transcriptHash(a, b))).toBe(toHex(provider.hash('sha256', Uint8Array.of(1, 2, 3, 4, 5))));
      });

      it('per-record nonce = iv XOR left-padded sequence number (5.3)', () => {
        const iv = hex(S3.cApIv);
        expect(toHex(tls13RecordNonce(iv, 0n))).toBe(S3.cApIv);
        expect(toHex(tls13RecordNonce(iv, 1n))).toBe('5b78923dee08579033e523d8');
        expect(toHex(tls13RecordNonce(new Uint8Array(12), 0x0102030405060708n))).toBe('000000000102030405060708');
        expect(toHex(tls13RecordNonce(new Uint8Array(12), 0xffff_ffff_ffff_ffffn))).toBe('00000000ffffffffffffffff');
        expect(() => tls13RecordNonce(new Uint8Array(12), 1n << 64n)).toThrow(CryptoError);
        expect(() => tls13RecordNonce(new Uint8Array(12), -1n)).toThrow(CryptoError);
      });

      it('nonce XOR is an involution and touches only the last 8 bytes (property, fixed seed)', () => {
        fc.assert(
          fc.property(fc.uint8Array({ minLength: 12, maxLength: 12 }), fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }), (iv, seq) => {
            const n = tls13RecordNonce(iv, seq);
            expect(toHex(n.subarray(0, 4))).toBe(toHex(iv.subarray(0, 4)));
            expect(toHex(tls13RecordNonce(n, seq))).toBe(toHex(iv));
          }),
          fcParams(100),
        );
      }, fcTimeout(100));
    });
  });
}
