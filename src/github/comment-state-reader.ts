import { z } from 'zod';
import { LedgerStateError } from '../ledger/ledger.js';
import { firstProblems, parseState, releasesSchema } from '../ledger/release-schema.js';
import type { Release } from '../release/types.js';
import type { StoredComment } from './sticky-comment.js';

/** What a PR's comment hides: the state of each of its releases, so a new job can resume. */
const commentData = z.object({ releases: releasesSchema });

/** Turns the state hidden in a PR's comments into releases, refusing one that does not parse. */
export class CommentStateReader {
  /** The releases of models the config does not declare, already warned about (comment id and model). */
  private readonly undeclaredWarned = new Set<string>();

  constructor(
    /** The config's models: a comment's release of any other model is left out, with a warning. */
    private readonly models: readonly string[] | undefined,
    /** The ledger's `problems`, where the warnings go. */
    private readonly problems: string[],
  ) {}

  /**
   * The releases hidden in a PR's comment, and of the models it has none of, those its duplicates
   * hold (each model's most recently updated one, the first on a tie). A duplicate never overrides
   * the comment's release of a model: model-gate makes duplicates only in a creation race (matrix
   * jobs of one run, each creating a comment with its own model's release), while the token's
   * account can also be another workflow's (`github-actions[bot]` echoing a user's text), whose
   * look-alike, read as a duplicate, would otherwise win by an `updatedAt` far in the future and
   * be carried into the comment by the next write. The state is parsed at this edge: anyone with
   * write access can edit the comment, and its versions reach target calls. A comment whose state
   * does not parse stops the run with an error naming the comment and the field (LedgerStateError):
   * acting on it as if it held no state would start a second candidate beside one it may record as
   * live, forget the canary slot it holds, and overwrite the evidence; refusing changes nothing on
   * the platform.
   */
  releasesIn(
    pr: number,
    ours: StoredComment | undefined,
    ...duplicates: StoredComment[]
  ): Map<string, Release> {
    return new Map([...this.sourcedReleasesIn(pr, ours, ...duplicates)].map(([m, s]) => [m, s.release]));
  }

  /** releasesIn, each release with the id of the comment it was read from. */
  sourcedReleasesIn(
    pr: number,
    ours: StoredComment | undefined,
    ...duplicates: StoredComment[]
  ): Map<string, { release: Release; comment: number }> {
    const found = new Map<string, { release: Release; comment: number }>();
    const known = this.models && new Set(this.models);
    let own: ReadonlySet<string> = new Set();
    for (const [i, comment] of [ours, ...duplicates].entries()) {
      if (!comment) continue;
      const parsed = comment.dataProblem
        ? { ok: false as const, problems: [comment.dataProblem] }
        : parseState(commentData, comment.data);
      if (!parsed.ok && i > 0) {
        // A duplicate stops nothing: anyone writing as the token's account can post one.
        this.problems.push(unreadDuplicate(comment.id, pr, parsed.problems));
        continue;
      }
      if (!parsed.ok) throw new LedgerStateError(untrusted(comment.id, pr, parsed.problems));
      for (const [model, release] of Object.entries(parsed.value.releases)) {
        if (own.has(model)) continue;
        if (known && !known.has(model)) this.warnUndeclared(comment.id, pr, model);
        const seen = found.get(model);
        if (!seen || release.updatedAt > seen.release.updatedAt)
          found.set(model, { release, comment: comment.id });
      }
      if (i === 0) own = new Set(found.keys());
    }
    return found;
  }

  /**
   * A model the config no longer declares: no run can drive its release, but it is kept as it was
   * recorded (erasing it would hide a candidate that may still be live).
   */
  private warnUndeclared(comment: number, pr: number, model: string) {
    const key = `${comment} ${model}`;
    if (this.undeclaredWarned.has(key)) return;
    this.undeclaredWarned.add(key);
    this.problems.push(
      `the model-gate comment #${comment} of PR #${pr} holds a release of "${model}", a model the config does not declare: no run can drive it, so it is kept as recorded; if its candidate may still be live, withdraw it with the config that declared it`,
    );
  }
}

/** The first few problems, on one line. */
function untrusted(comment: number, pr: number, problems: string[]): string {
  return (
    `the model-gate state in comment #${comment} of PR #${pr} does not parse: ${firstProblems(problems)}. ` +
    'model-gate does not act on it and changes nothing on the serving platform for it. If the comment ' +
    "was edited, restore it from its edit history; or delete it to start the PR's releases over."
  );
}

/** A later comment with the marker whose state does not parse: left out, said in the log. */
const unreadDuplicate = (comment: number, pr: number, problems: string[]) =>
  `comment #${comment} of PR #${pr} carries the model-gate marker but its state does not parse (${firstProblems(problems)}): model-gate read nothing from it and deletes it with its next write of the PR's comment`;
