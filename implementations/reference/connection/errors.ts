import type { AlertName } from '../codec/enums.ts';

/**
 * A rule of the protocol was broken (by the peer, or by our own configuration): the alert the connection
 * sends because of it and the RFC section that names the rule. An endpoint never lets anything else escape
 * its API: a peer's bytes end in a TlsError and an alert, or a close.
 */
export class TlsError extends Error {
  override readonly name = 'TlsError';
  /** What went wrong, without the rule and alert that `message` appends. */
  readonly detail: string;
  constructor(
    readonly alert: AlertName,
    /** Where the rule is written, e.g. 'RFC 8446 4.1.2'. */
    readonly rule: string,
    message: string,
    /** Who broke it: the peer (we send the alert), us (a local failure), or the peer's alert we received. */
    readonly origin: 'peer' | 'local' | 'alert-received' = 'peer',
  ) {
    super(`${message} [${rule}, alert ${alert}]`);
    this.detail = message;
  }
}

/** Throw a TlsError unless cond holds: `check(x.length === 32, 'illegal_parameter', 'RFC 8446 4.1.3', '...')`. */
export function check(cond: unknown, alert: AlertName, rule: string, message: string): asserts cond {
  if (!cond) throw new TlsError(alert, rule, message);
}
