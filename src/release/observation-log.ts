import { appendFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { redactStrings } from '../core/redact.js';
import { type ObservationLine, observationText } from '../stats/observation.js';
import type { Logger } from './ports.js';
import type { Release } from './types.js';

/** A file name's part for a model or version: anything but letters, digits, `.`, `_` and `-` becomes `_`. */
const part = (text: string) => text.replace(/[^A-Za-z0-9._-]/g, '_');

/** When a release started, in a file name: `20261201T231200Z`. */
const startedAt = (release: Release) =>
  new Date(release.startedAt).toISOString().replace(/[-:]/g, '').replace(/\.\d+/, '');

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
 * Ports.observe for a folder of observation logs (docs/observations.md, "How to get a log"): one file
 * per model and release, named by `fileName`, each judged look appended as one line as it is taken,
 * so a run that stops keeps every look before it. Queries are never part of a line, and its strings
 * are redacted all the same. A log that cannot be written is said once, as a warning, and the release
 * goes on without it: the log is a record, no part of the decision.
 */
export function observationLog(
  dir: string,
  fileName: (release: Release) => string,
  log: Logger,
): (release: Release, line: ObservationLine) => void {
  let warned = false;
  return (release, line) => {
    const file = join(dir, fileName(release));
    try {
      mkdirSync(dir, { recursive: true });
      appendFileSync(file, `${observationText(redactStrings(line))}\n`);
    } catch (err) {
      if (warned) return;
      warned = true;
      const why = err instanceof Error ? err.message : String(err);
      log.warn(
        `the observation log ${file} could not be written (${why}): the release goes on, but \`model-gate analyze\` will have no log of its looks; check the folder can be written`,
      );
    }
  };
}
