import { InputError } from '../core/errors.js';

/** At most this many problems are printed: a wrong file (a gzipped log) has one a line, tens of thousands. */
export const SHOWN_PROBLEMS = 20;
/** When this many first lines are all not JSON, the file is likely not a log at all. */
const FIRST_LINES = 3;

/**
 * The problems `model-gate analyze` finds in a log, gathered in its first pass: the first
 * SHOWN_PROBLEMS as `file:line: field: message`, the rest only counted (`… and N more problems`),
 * and a hint when the file's first lines are none of them JSON (compressed or binary, not a log).
 */
export class LogProblems {
  private readonly shown: string[] = [];
  private more = 0;
  private checked = 0;
  private firstNotJson = 0;
  private gzip = false;

  constructor(private readonly file: string) {}

  /** A line that is not JSON; `text` is the line as read (a gzip stream starts 1f 8b, 8b read as U+FFFD). */
  notJson(line: number, text: string): void {
    if (this.checked === 0) this.gzip = text.startsWith('\x1f\ufffd');
    if (this.checked++ === this.firstNotJson) this.firstNotJson++;
    this.add(line, 'not JSON');
  }

  /** A line that is JSON, with its problems (none for a line that is right). */
  parsed(line: number, problems: readonly string[]): void {
    this.checked++;
    for (const problem of problems) this.add(line, problem);
  }

  /** The problems found as one InputError, a line each, or nothing when there are none. */
  error(): InputError | undefined {
    if (this.shown.length === 0) return undefined;
    const lines = [...this.shown];
    if (this.more > 0) lines.push(`… and ${this.more} more problem${this.more === 1 ? '' : 's'}`);
    const hint = this.hint();
    if (hint) lines.push(`${this.file}: ${hint}`);
    return new InputError(lines.join('\n'));
  }

  private hint(): string | undefined {
    if (this.gzip)
      return `is gzip-compressed; analyze reads JSON lines: decompress it, e.g. analyze <(zcat ${this.file})`;
    if (this.firstNotJson < FIRST_LINES) return undefined;
    return `its first lines are not JSON: is it compressed or binary? analyze reads JSON lines, one observation a line (docs/observations.md)`;
  }

  private add(line: number, problem: string): void {
    if (this.shown.length < SHOWN_PROBLEMS) this.shown.push(`${this.file}:${line}: ${problem}`);
    else this.more++;
  }
}

/**
 * A log without a look: a release writes a line only for a look its judge judged, so its gates were
 * still waiting (for min-requests, for scrapes) or have no judge the log replays.
 */
export const noObservations = (file: string) =>
  new InputError(
    `${file}: no observations: a release writes a line only for a look its judge judged, so none means its gates were still waiting (for min-requests, for scrapes) or have no judge a log holds (threshold, webhook); the release's report says where they stood`,
  );
