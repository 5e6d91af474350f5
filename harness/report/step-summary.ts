/**
 * $GITHUB_STEP_SUMMARY: in a GitHub Actions job, the file whose Markdown GitHub shows on the run's summary
 * page, one file per step. `run`, `merge` and `matrix` append their summary to it when the variable is set
 * (non-empty), at the end of their work (and `run` on Ctrl-C, with the cases that finished).
 *
 * GitHub refuses a step summary over 1 MiB (the step's whole file: whatever the step appended before
 * counts), and then shows nothing of it; so the text is cut at a line to fit what is left, any `<details>` it
 * leaves open is closed, and a last line says so and names the file that has the whole summary. Failing to
 * write there (a missing folder, a full disk) is one warning line on stderr: the run's own reports are written
 * and its exit code is unchanged.
 */
import { appendFileSync, statSync } from 'node:fs';

export const STEP_SUMMARY_ENV = 'GITHUB_STEP_SUMMARY';
/** GitHub's limit for one step's summary (1 MiB). */
export const STEP_SUMMARY_LIMIT = 1024 * 1024;

/** What `appendStepSummary` did. */
export type StepSummaryOutcome = 'unset' | 'written' | 'cut' | 'failed';

const cutNote = (omitted: number, total: number, whole: string | undefined) =>
  `\n_Cut to fit GitHub's 1 MiB step summary limit: the last ${omitted} of ${total} bytes are left out${whole ? `; the whole summary is in ${whole}` : ''}._\n`;

/**
 * `text` as it fits in `room` bytes (UTF-8): whole, or cut after a line with the open `<details>` closed and a
 * note saying it was cut (`whole`: where the complete text is). Empty when not even the note fits.
 */
export function fitStepSummary(text: string, room: number, whole?: string): string {
  const bytes = Buffer.from(text, 'utf8');
  if (bytes.length <= room) return text;
  // The note's length depends on the number in it: reserve the widest it can be.
  const noteMax = Buffer.byteLength(cutNote(bytes.length, bytes.length, whole), 'utf8');
  const CLOSE = '\n</details>\n';
  let keep = room - noteMax;
  for (;;) {
    if (keep <= 0) return '';
    // A newline byte (0x0A) is never inside a multi-byte UTF-8 sequence: cutting after one keeps whole characters.
    const nl = bytes.lastIndexOf(0x0a, keep - 1);
    const kept = nl < 0 ? '' : bytes.subarray(0, nl + 1).toString('utf8');
    const open = (kept.match(/<details>/g) ?? []).length - (kept.match(/<\/details>/g) ?? []).length;
    const closing = open > 0 ? CLOSE.repeat(open) : '';
    const out = kept + closing + cutNote(bytes.length - (nl + 1), bytes.length, whole);
    if (Buffer.byteLength(out, 'utf8') <= room) return out;
    keep -= Buffer.byteLength(closing, 'utf8'); // the closing tags did not fit: keep less
  }
}

export interface StepSummaryOptions {
  /** Where the complete text is (named in the note when the text is cut), e.g. reports/x/summary.md. */
  whole?: string;
  env?: NodeJS.ProcessEnv;
  /** The limit of the step's whole file (default 1 MiB). */
  limitBytes?: number;
  /** Where the warning goes (default stderr). */
  warn?: (line: string) => void;
}

/**
 * Appends `markdown` to the file named by $GITHUB_STEP_SUMMARY, cut to fit what the step's 1 MiB leaves.
 * Never throws.
 */
export function appendStepSummary(markdown: string, opts: StepSummaryOptions = {}): StepSummaryOutcome {
  const file = (opts.env ?? process.env)[STEP_SUMMARY_ENV];
  if (!file) return 'unset';
  const warn = opts.warn ?? ((line: string) => process.stderr.write(line + '\n'));
  try {
    let size = 0;
    try {
      size = statSync(file).size;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
    // Separated from what the step appended before by a blank line.
    const sep = size > 0 ? '\n' : '';
    const body = markdown.endsWith('\n') ? markdown : markdown + '\n';
    const room = (opts.limitBytes ?? STEP_SUMMARY_LIMIT) - size - sep.length;
    const fitted = fitStepSummary(body, room, opts.whole);
    if (fitted === '') {
      warn(`tls-harness: warning: $${STEP_SUMMARY_ENV} (${file}) has no room left for the summary (GitHub's limit is 1 MiB per step)${opts.whole ? `; see ${opts.whole}` : ''}`);
      return 'failed';
    }
    appendFileSync(file, sep + fitted);
    return fitted === body ? 'written' : 'cut';
  } catch (e) {
    warn(`tls-harness: warning: cannot append the summary to $${STEP_SUMMARY_ENV} (${file}): ${(e as Error).message.split('\n')[0]}`);
    return 'failed';
  }
}
