import { quote } from '../config/messages.js';
import type { ObservationRelease } from '../stats/observation.js';

/** A part of a release's name as written when it is plain text, else quoted (no control character reaches the terminal). */
const shown = (text: string) => (/^[\x21-\x7e]{1,80}$/.test(text) ? text : quote(text));

/** `fraud-detector v3 (started 2026-11-28T10:00:00.000Z)` */
const named = (r: ObservationRelease) =>
  `${shown(r.model)} ${shown(r.version)} (started ${shown(r.started)})`;

const idOf = (r: ObservationRelease) => JSON.stringify([r.model, r.version, r.started]);

/**
 * The first pass's check that a log is one release's (docs/observations.md, `release`): two
 * releases' logs `cat` together would replay as one release, each gate's looks of both in one
 * standing, its decision neither's. A line without `release` (a log written before it) is anyone's.
 */
export class OneRelease {
  private first: { release: ObservationRelease; id: string; line: number } | undefined;
  private said = false;

  /**
   * Undefined for a line of the file's release (or of none); for a line of another release, its
   * problems: one line naming both releases at the first such line, none after it (the file is to
   * be split whatever they hold, and their looks are no looks of the file's gates).
   */
  otherRelease(release: ObservationRelease | undefined, line: number): string[] | undefined {
    if (!release) return undefined;
    const id = idOf(release);
    if (!this.first) this.first = { release, id, line };
    if (id === this.first.id) return undefined;
    if (this.said) return [];
    this.said = true;
    return [
      `release: ${named(release)}, but line ${this.first.line} is ${named(this.first.release)}: one release per file; ${splitHint(release)}`,
    ];
  }
}

/** How to split the file: by the lines' start, which tells releases apart (the same version released twice too). */
function splitHint({ started }: ObservationRelease): string {
  return /^[\w.:+-]{1,40}$/.test(started)
    ? `split it, e.g. grep -F '"started":"${started}"'`
    : "split it by the lines' `release`";
}
