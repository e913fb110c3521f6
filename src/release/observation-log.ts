import { createHash } from 'node:crypto';
import { appendFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { redactStrings } from '../core/redact.js';
import { type ObservationLine, type ObservationRelease, observationText } from '../stats/observation.js';
import type { Logger } from './ports.js';
import type { Release } from './types.js';

/** A file name part's longest: a model and a version of it stay well inside a file name's 255 bytes. */
const MAX_PART = 80;

/**
 * A file name's part for a model or version: anything but letters, digits, `.`, `_` and `-` becomes
 * `_`; a longer one than MAX_PART (a storage URI as the version) is cut, and ends in a hash of the
 * whole, so two long versions sharing their start never share a file.
 */
const part = (text: string) => {
  const safe = text.replace(/[^A-Za-z0-9._-]/g, '_');
  if (safe.length <= MAX_PART) return safe;
  const hash = createHash('sha256').update(text).digest('hex').slice(0, 10);
  return `${safe.slice(0, MAX_PART - hash.length - 1)}-${hash}`;
};

/** When a release started, in a file name: `20261201T231200Z`. */
const startedAt = (release: Release) => {
  const at = new Date(release.startedAt);
  if (Number.isNaN(at.getTime()))
    throw new Error(`its start time ${String(release.startedAt)} is not a date`);
  return at.toISOString().replace(/[-:]/g, '').replace(/\.\d+/, '');
};

/**
 * The CLI's log of a release: `<model>-<to-version>-<started>.jsonl`, one per release (a release of
 * the same version again after a rollback is judged anew, and gets a file of its own).
 */
export const byRelease = (release: Release): string =>
  `${part(release.model)}-${part(release.to)}-${startedAt(release)}.jsonl`;

/** The action's log of a PR's release: `<model>-pr<N>.jsonl` (a schedule tick's too; byRelease's without a PR). */
export const byPullRequest = (release: Release): string =>
  release.pr === undefined ? byRelease(release) : `${part(release.model)}-pr${release.pr}.jsonl`;

/**
 * The release a line is of, written on every line as `release`: a file `cat` together from two
 * releases' logs is refused by analyze rather than replayed as one. None for a start that is no date.
 */
export function releaseOfLine(release: Release): ObservationRelease | undefined {
  const started = new Date(release.startedAt);
  if (Number.isNaN(started.getTime())) return undefined;
  return { model: release.model, version: release.to, started: started.toISOString() };
}

/** Errors of the file's name or path, not of the folder's permissions or kind: what to say of each. */
const NOT_THE_FOLDER: Record<string, string | undefined> = {
  ENAMETOOLONG: 'its path is too long for the file system',
  EINVAL: 'its name is not valid on this file system',
};

/**
 * Ports.observe for a folder of observation logs (docs/observations.md, "How to get a log"): one file
 * per model and release, named by `fileName`, each judged look appended as one line as it is taken
 * (naming its release: releaseOfLine), so a run that stops keeps every look before it. Queries are
 * never part of a line, and its strings are redacted all the same. A log that cannot be named or written is said once, as a warning, and
 * the release goes on without it: the log is a record, no part of the decision.
 */
export function observationLog(
  dir: string,
  fileName: (release: Release) => string,
  log: Logger,
): (release: Release, line: ObservationLine) => void {
  let warned = false;
  return (release, line) => {
    let file: string | undefined;
    try {
      file = join(dir, fileName(release));
      mkdirSync(dir, { recursive: true });
      const id = releaseOfLine(release);
      const stamped: ObservationLine = id ? { ...line, release: id } : line;
      appendFileSync(file, `${observationText(redactStrings(stamped))}\n`);
    } catch (err) {
      if (warned) return;
      warned = true;
      const why = err instanceof Error ? err.message : String(err);
      const code = (err as NodeJS.ErrnoException).code;
      const notFolder = code === undefined ? undefined : NOT_THE_FOLDER[code];
      const what =
        file === undefined
          ? `the observation log of ${release.model} ${release.to} in ${dir} could not be named (${why})`
          : `the observation log ${file} could not be written (${why})${notFolder ? `: ${notFolder}` : ''}`;
      const fix = file === undefined || notFolder ? '' : '; check the folder can be written';
      log.warn(
        `${what}; the release goes on, but \`model-gate analyze\` will have no log of its looks${fix}`,
      );
    }
  };
}
