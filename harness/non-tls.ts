/**
 * What a peer speaks when its first bytes cannot start a TLS record: an HTTP server answering a
 * ClientHello with "HTTP/1.1 400", an SSH or mail server greeting first. Used to say "the peer does not
 * speak TLS" instead of the record-layer error those bytes cause (record_overflow, decode_error, ...).
 */

/**
 * A TLS record starts with a ContentType (RFC 8446 5.1, RFC 5246 6.2.1: 20 change_cipher_spec to
 * 24 heartbeat are assigned) and a legacy version 0x03XX. True when `first` can be the start of one.
 */
export function couldBeTlsRecord(first: Uint8Array): boolean {
  if (first.length === 0) return true;
  if (first[0] < 20 || first[0] > 24) return false;
  return first.length < 2 || first[1] === 3;
}

const KNOWN: [RegExp, string][] = [
  [/^HTTP\/\d/, 'an HTTP response'],
  [/^SSH-\d/, 'an SSH banner'],
  [/^220[ -]/, 'an SMTP or FTP greeting'],
  [/^\+OK/, 'a POP3 greeting'],
  [/^\* (OK|PREAUTH)/, 'an IMAP greeting'],
  [/^(<!doctype|<html)/i, 'an HTML page'],
];

/**
 * When `first` (the first bytes the peer sent, a few dozen are enough) is not a TLS record: what it looks
 * like, e.g. `an HTTP response ("HTTP/1.1 400 Bad Request")`; undefined when it may be TLS.
 */
export function describeNonTls(first: Uint8Array): string | undefined {
  if (couldBeTlsRecord(first)) return undefined;
  const head = Buffer.from(first.subarray(0, 64)).toString('latin1');
  const line = head.split(/\r?\n/)[0];
  const printable = /^[\x20-\x7e]+$/.test(line);
  const quoted = printable ? ` ("${line.length > 48 ? `${line.slice(0, 48)}...` : line}")` : '';
  for (const [re, what] of KNOWN) if (re.test(line)) return `${what}${quoted}`;
  if (printable) return `text${quoted}`;
  return `bytes ${Buffer.from(first.subarray(0, 8)).toString('hex').replace(/(..)(?!$)/g, '$1 ')}, not a TLS record header`;
}
