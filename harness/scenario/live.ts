/**
 * Live-state references: `${<root>.<field path>}` in `set` and `where` values (and `insert_extension`
 * values), resolved by the engine when the step runs, from the messages seen so far in the connection.
 * A matrix parameter is `${name}` (no dot) and is substituted at load time; a name with a `.` or a `[` is a
 * live reference and survives expansion. The loader checks the root here (an unknown root is a load-time
 * error with file:line:col); the engine (harness/engine/live.ts) resolves the rest.
 *
 *   ${negotiated.group}                     the group the server selected (ServerHello key_share, else HelloRetryRequest)
 *   ${negotiated.cipher_suite}              the cipher suite of the ServerHello (else of the HelloRetryRequest)
 *   ${negotiated.version}                   supported_versions.selected_version of the ServerHello / HelloRetryRequest
 *   ${negotiated.signature_scheme}          the algorithm of the server's CertificateVerify
 *   ${client_hello.extensions.key_share.client_shares[0].group}   a field of the latest ClientHello (engine field paths)
 *   ${client_hello.key_share[0].group}      the same, short: an extension name, then its list
 */
import { HANDSHAKE_STRUCT_NAMES } from '../../implementations/reference/codec/handshake.ts';
import { hint } from './text.ts';

/** The fields of `${negotiated.*}`. */
export const NEGOTIATED_KEYS = ['group', 'cipher_suite', 'version', 'signature_scheme'] as const;
export type NegotiatedKey = (typeof NEGOTIATED_KEYS)[number];

/** Message roots: the codec's message type names (client_hello, hello_retry_request, ...). */
export const MESSAGE_ROOTS: readonly string[] = Object.keys(HANDSHAKE_STRUCT_NAMES).filter((k) => k !== 'unknown' && k !== 'message_hash');

export const LIVE_ROOTS: readonly string[] = ['negotiated', ...MESSAGE_ROOTS];

/** A `${...}` name that is a live reference (not a matrix parameter): it has a `.` or a `[`. */
export function isLiveRef(name: string): boolean {
  return /[.[]/.test(name);
}

/** `client_hello.extensions.x` -> { root: 'client_hello', path: 'extensions.x' }. */
export function splitLiveRef(name: string): { root: string; path: string } {
  const m = /^([^.[]*)\.?(.*)$/.exec(name)!;
  return { root: m[1], path: m[2] };
}

/** Why a live reference is not well formed (unknown root, no path), or undefined. */
export function checkLiveRef(name: string): string | undefined {
  const { root, path } = splitLiveRef(name);
  if (!LIVE_ROOTS.includes(root)) {
    return `unknown live reference '\${${name}}': '${root}' is not one of ${LIVE_ROOTS.join(', ')}${hint(root, LIVE_ROOTS)}`;
  }
  if (path === '' || /^\[/.test(path) || /\.\.|\.$|\[(?!\d+\])/.test(path)) return `live reference '\${${name}}' needs a field path after '${root}.' (e.g. \${${root}.${root === 'negotiated' ? 'group' : 'cipher_suite'}})`;
  if (root === 'negotiated' && !(NEGOTIATED_KEYS as readonly string[]).includes(path)) {
    return `unknown live reference '\${${name}}': negotiated has ${NEGOTIATED_KEYS.join(', ')}${hint(path, NEGOTIATED_KEYS)}`;
  }
  return undefined;
}
