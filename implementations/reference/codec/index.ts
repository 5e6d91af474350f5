// codec: handshake messages, extensions, alert / change_cipher_spec bodies
export * from './enums.ts';
export * from './errors.ts';
export * from './reader.ts';
export * from './writer.ts';
export * from './extensions.ts';
export * from './handshake.ts';
export * from './alert.ts';

// record layer
export * from "./record.ts";
