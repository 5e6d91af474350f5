/**
 * The NSS key log format (SSLKEYLOGFILE), which Wireshark, tshark and most TLS stacks read and write: one line per
 * secret, `<label> <client_random hex> <secret hex>`. TLS 1.3 logs its traffic secrets (RFC 8446 7.1), TLS 1.2
 * its master secret under CLIENT_RANDOM (RFC 5246 8.1). The line names the connection by the ClientHello's
 * random, so several connections can share one file. (Issue 16: captures that Wireshark decrypts.)
 */
export type KeyLogLabel =
  | 'CLIENT_EARLY_TRAFFIC_SECRET'
  | 'CLIENT_HANDSHAKE_TRAFFIC_SECRET'
  | 'SERVER_HANDSHAKE_TRAFFIC_SECRET'
  | 'CLIENT_TRAFFIC_SECRET_0'
  | 'SERVER_TRAFFIC_SECRET_0'
  | 'EXPORTER_SECRET'
  | 'CLIENT_RANDOM';

const hex = (b: Uint8Array) => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');

/** One key log line (without the newline). */
export function keyLogLine(label: KeyLogLabel, clientRandom: Uint8Array, secret: Uint8Array): string {
  return `${label} ${hex(clientRandom)} ${hex(secret)}`;
}

/** Where an endpoint sends its key log lines (EndpointConfig.keyLog); nothing when it has none. */
export function logKey(sink: ((line: string) => void) | undefined, label: KeyLogLabel, clientRandom: Uint8Array | undefined, secret: Uint8Array | undefined): void {
  if (sink && clientRandom && secret) sink(keyLogLine(label, clientRandom, secret));
}
