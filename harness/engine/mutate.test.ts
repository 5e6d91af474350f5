import { describe, expect, it } from 'vitest';
import type { HandshakeMessage } from '../../implementations/reference/codec/handshake.ts';
import { changedFields } from './mutate.ts';

const ch = { msg_type: 'client_hello' } as HandshakeMessage;

describe('changedFields: what a send step changed, as paths into the decoded message', () => {
  it('set paths as written, mutate fields without the struct name, extension edits, bytes, record options', () => {
    const paths = changedFields(ch, {
      set: { cipher_suites: ['TLS_AES_128_GCM_SHA256'], 'extensions.key_share.client_shares[0].group': 'x25519' },
      mutate: [
        { op: 'xor', pos: { field: 'ClientHello.extensions[1].key_share.client_shares[0].key_exchange', at: 0 }, value: 1 },
        { op: 'xor', pos: { at: 5 }, value: 1 },
        { op: 'length', field: 'ClientHello', value: 3 },
        { op: 'length', field: 'ClientHello.cipher_suites', value: 3 },
        { op: 'append', hex: '00' },
        { op: 'extend', hex: '00' },
        { op: 'insert_extension', type: 'early_data' },
        { op: 'duplicate_extension', type: 0x2b },
        { op: 'remove_extension', type: 'server_name' },
        { op: 'reorder_extensions', order: ['key_share'] },
        { op: 'set_bytes', pos: { field: 'Handshake.msg_type' }, hex: '02' },
      ],
      record: { max_fragment: 10, version: 0x0301 },
    });
    expect(paths).toEqual([
      'cipher_suites',
      'extensions.key_share.client_shares[0].group',
      'extensions[1].key_share.client_shares[0].key_exchange',
      '[byte 5]',
      'Handshake.length',
      'ClientHello', // (the length of cipher_suites: already listed)
      '[trailing bytes]',
      'extensions.early_data',
      'extensions.supported_versions',
      'extensions',
      'Handshake.msg_type',
      'record.max_fragment',
      'record.version',
    ]);
  });

  it('nothing changed: an empty list', () => {
    expect(changedFields(ch, { set: {}, mutate: [], record: {} })).toEqual([]);
  });
});
