// The reference TLS endpoints: transport-agnostic state machines (bytes in, bytes and events out).
export * from './config.ts';
export * from './errors.ts';
export * from './checks13.ts';
export * from './tls12/checks12.ts';
export * from './endpoint.ts';
export * from './client.ts';
export * from './server.ts';
export * from './memory.ts';
export * from './credentials.ts';
export * from './record-layer.ts';
export * from './transcript.ts';
