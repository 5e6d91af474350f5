/** Field paths with the RFC structs' names for TLS 1.2 messages the codec flattens. */
import { describe, expect, it } from 'vitest';
import type { HandshakeMessage } from '../../implementations/reference/codec/handshake.ts';
import { applySet, getField } from './fields.ts';

describe('TLS 1.2 struct names in field paths', () => {
  const ske = (): HandshakeMessage => ({ msg_type: 'server_key_exchange', form: 'ecdhe', curve_type: 3, named_curve: 29, public: Uint8Array.of(1, 2), signature: { algorithm: 0x0403, signature: Uint8Array.of(9) } });

  it('ServerKeyExchange params.public, params.curve_params.named_curve and signed_params reach the flattened fields (RFC 8422 5.4)', () => {
    const m = ske();
    applySet(m, { 'params.public': '0x0405', 'params.curve_params.named_curve': 'secp256r1', 'signed_params.algorithm': 'rsa_pss_rsae_sha256' });
    expect(m).toMatchObject({ public: Uint8Array.of(4, 5), named_curve: 23, signature: { algorithm: 0x0804 } });
    expect(getField(m, 'params.public')).toEqual(Uint8Array.of(4, 5));
  });

  it('ClientKeyExchange exchange_keys is the field of its form (RFC 5246 7.4.7)', () => {
    const rsa: HandshakeMessage = { msg_type: 'client_key_exchange', form: 'rsa', encrypted_pre_master_secret: Uint8Array.of(1) };
    applySet(rsa, { exchange_keys: '0x0203' });
    expect(rsa).toMatchObject({ encrypted_pre_master_secret: Uint8Array.of(2, 3) });
    const ec: HandshakeMessage = { msg_type: 'client_key_exchange', form: 'ecdhe', ecdh_Yc: Uint8Array.of(1) };
    expect(getField(ec, 'exchange_keys')).toEqual(Uint8Array.of(1));
  });

  it('an unknown name still fails with the fields that exist', () => {
    expect(() => applySet(ske(), { 'params.nope': 1 })).toThrow(/no field 'nope'/);
  });
});
