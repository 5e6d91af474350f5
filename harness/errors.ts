/**
 * A mistake of the user's (a bad flag, a missing file, a malformed scenario): printed as one line,
 * with file:line:col where there is one, and exit code 2. Never a stack trace.
 */
export class UsageError extends Error {
  override readonly name = 'UsageError';
  constructor(
    message: string,
    /** `file:line:col`, `file`, or undefined. */
    readonly where?: string,
  ) {
    super(message);
  }

  line(): string {
    return this.where ? `${this.where}: ${this.message}` : this.message;
  }
}

/** Exit codes, as documented in the README. */
export const ExitCode = {
  ok: 0,
  /** Unexpected results: a failed vector, a failed case, a regression against the baseline. */
  failures: 1,
  /** Usage or configuration error. */
  usage: 2,
} as const;
