import type { Clock } from '../core/clock.js';
import { storedForm } from '../ledger/release-schema.js';
import { withThinSeries } from '../release/series.js';
import { endedBy, holdsSlot, type Release } from '../release/types.js';
import type { GitHubClient } from './client.js';
import type { CommentStateReader } from './comment-state-reader.js';
import type { Repo } from './repo-files.js';
import { StickyComment, type StoredComment } from './sticky-comment.js';
import { TokenIdentity } from './token-identity.js';

/**
 * A release this run drove (`driven`, its start) that another run ended, finished or superseded, and
 * the model's release as that run left it; `byClaim`: as its canary claim tells, the comment having
 * lost that run's record (claimEnded).
 */
export interface EndedByOther {
  driven: number;
  theirs: Release;
  byClaim?: true;
}

/**
 * The releases of each PR as its comment records them, plus this run's saves: on the models this
 * run saved, its word beats the comment's when the comment is read again.
 */
export class PrRecords {
  private readonly comments = new Map<number, StickyComment>();
  /** Who the token writes as, learned once for all the PRs' comments. */
  readonly identity: TokenIdentity;
  private readonly releases = new Map<number, Map<string, Release>>();
  /** Per PR, the models whose release this run saved: on them this run's word beats the comment's. */
  private readonly saved = new Map<number, Set<string>>();
  /** When each PR's comment was last read. */
  private readonly readAt = new Map<number, number>();
  /**
   * Per PR and model, the release this run drove (by its start) that another run ended, finished or
   * superseded, and the model's release as that run left it: this run neither drives nor saves it.
   */
  private readonly endedByOthers = new Map<number, Map<string, EndedByOther>>();

  constructor(
    private readonly client: GitHubClient,
    private readonly repo: Repo,
    private readonly clock: Clock,
    private readonly reader: CommentStateReader,
    /** The ledger's PRs whose comment no longer tells the truth. */
    private readonly dirty: Set<number>,
    /**
     * Whether what only this token writes backs a comment's record of a pending withdrawal or a
     * failure (GitHubLedger.backed); none given, every record is taken at its word.
     */
    private readonly backed: (release: Release) => Promise<boolean> = async () => true,
    /** The ledger's `problems`, where a record left out for want of backing is said. */
    private readonly problems: string[] = [],
  ) {
    this.identity = new TokenIdentity(client);
  }

  commentFor(pr: number): StickyComment {
    let comment = this.comments.get(pr);
    if (!comment) {
      comment = new StickyComment(this.client, this.repo, pr, this.identity);
      this.comments.set(pr, comment);
    }
    return comment;
  }

  /** The PRs on which this run saved a release. */
  savedPrs(): number[] {
    return [...this.saved.keys()];
  }

  /** The releases this run saved on a PR, as it last saved them. */
  savedReleases(pr: number): Release[] {
    const map = this.releases.get(pr);
    return [...(this.saved.get(pr) ?? [])].flatMap((model) => map?.get(model) ?? []);
  }

  /** Whether this run saved the model's release on the PR (and no other run took it over since). */
  isSaved(pr: number, model: string): boolean {
    return this.saved.get(pr)?.has(model) === true;
  }

  /** Note that this run saved the model's release on the PR: its comment is to be written. */
  markSaved(pr: number, model: string): void {
    let mine = this.saved.get(pr);
    if (!mine) {
      mine = new Set();
      this.saved.set(pr, mine);
    }
    mine.add(model);
    this.dirty.add(pr);
  }

  /** When the PR's comment was last read, if ever. */
  lastReadAt(pr: number): number | undefined {
    return this.readAt.get(pr);
  }

  /** The model's release on the PR as already read, at no request. */
  known(pr: number, model: string): Release | undefined {
    return this.releases.get(pr)?.get(model);
  }

  /** The releases of every PR whose comment this run has read. */
  everyRead(): Map<string, Release>[] {
    return [...this.releases.values()];
  }

  /** The releases of a PR as its comment recorded them, plus this run's changes. */
  async releasesOf(pr: number): Promise<Map<string, Release>> {
    let map = this.releases.get(pr);
    if (!map) {
      const comment = this.commentFor(pr);
      map = await this.read(pr, await comment.load(), comment.duplicates);
      this.releases.set(pr, map);
      this.readAt.set(pr, this.clock.now());
    }
    return map;
  }

  /**
   * The releases the PR's comments hold (CommentStateReader), less each whose pending withdrawal or
   * failure nothing this token writes backs: another workflow writing as the token's account
   * (`github-actions[bot]` echoing a user's text) can post the PR's first comment with the marker
   * before model-gate does, and its record would put a version it names in service (a withdrawal
   * "puts back" `ending.serves`) or fail the head unanalysed. Left out as if absent, said in the log.
   */
  private async read(
    pr: number,
    ours: StoredComment | undefined,
    duplicates: readonly StoredComment[],
  ): Promise<Map<string, Release>> {
    const out = new Map<string, Release>();
    for (const [model, { release, comment }] of this.reader.sourcedReleasesIn(pr, ours, ...duplicates)) {
      if (
        (release.withdrawPending === true || release.status === 'failed') &&
        !(await this.backed(release))
      ) {
        const line = unbacked(comment, pr, release);
        if (!this.problems.includes(line)) this.problems.push(line);
        continue;
      }
      out.set(model, release);
    }
    return out;
  }

  /**
   * Read the PR's comment again (`listing`: all the PR's comments, to find a creation race's
   * duplicates too) and take from it every release this run did not save: the other jobs'
   * latest states, which this run's next write keeps and its report shows.
   */
  async refresh(pr: number, listing = false): Promise<void> {
    const ours = this.releases.get(pr);
    // Not read yet: the first read is fresh.
    if (!ours) return void (await this.releasesOf(pr));
    const comment = this.commentFor(pr);
    const fresh = await this.read(
      pr,
      await (listing ? comment.list() : comment.reload()),
      comment.duplicates,
    );
    this.readAt.set(pr, this.clock.now());
    const mine = this.saved.get(pr);
    // A newer release of a model than the one this run saved (another run restarted it for a new
    // head) is the model's state now, and so is this run's release ended or finished by another
    // run (a rollback or abort by workflow_dispatch; a PR's job that took it to ready while a
    // schedule tick looked at it): this run gives it up.
    for (const model of mine ?? []) {
      const theirs = fresh.get(model);
      const own = ours.get(model);
      if (!theirs || !own) continue;
      if (theirs.startedAt > own.startedAt || (theirs.startedAt === own.startedAt && endedBy(theirs, own))) {
        mine?.delete(model);
        this.endedFor(pr).set(model, { driven: own.startedAt, theirs });
      }
    }
    // In the comment's order, so that the models keep their places in the report.
    const merged = [...new Set([...fresh.keys(), ...ours.keys()])].map(
      (model) =>
        [
          model,
          (mine?.has(model) ? ours.get(model) : this.endKnownByClaim(pr, model, fresh.get(model))) ??
            ours.get(model),
        ] as const,
    );
    ours.clear();
    for (const [model, release] of merged) if (release) ours.set(model, release);
  }

  /**
   * The model's release as the PR's comment holds it (`theirs`), or the end claimEnded found for it
   * while the comment still shows it holding the slot: that end, written back by this run's next write.
   */
  private endKnownByClaim(pr: number, model: string, theirs: Release | undefined): Release | undefined {
    const ended = this.endedByOthers.get(pr)?.get(model);
    if (!ended?.byClaim || !theirs || theirs.startedAt !== ended.driven) return theirs;
    if (holdsSlot(theirs)) {
      this.dirty.add(pr);
      return ended.theirs;
    }
    // The comment has that run's own record of the end again: its words from now on.
    this.endedFor(pr).set(model, { driven: ended.driven, theirs });
    return theirs;
  }

  /** The models this run saved on a PR whose state is not in its comment as last read. */
  lost(pr: number): string[] {
    const held = this.reader.releasesIn(pr, this.commentFor(pr).current);
    // Compared as the comment stores them: JSON, read back through the schema, and with the chart
    // series as thinned as a full comment keeps them (CommentPublisher): the same state otherwise.
    const stored = (r: Release) => JSON.stringify(storedForm(withThinSeries(r, 1)));
    return this.savedReleases(pr)
      .filter((r) => {
        const theirs = held.get(r.model);
        return theirs === undefined || stored(theirs) !== stored(r);
      })
      .map((r) => r.model);
  }

  /** The model's release this run drove on the PR that another run ended, if any. */
  endedByOther(pr: number, model: string): EndedByOther | undefined {
    return this.endedByOthers.get(pr)?.get(model);
  }

  /** Note that another run ended, finished or superseded the model's release this run drove. */
  noteEndedByOther(pr: number, model: string, ended: EndedByOther): void {
    this.endedFor(pr).set(model, ended);
  }

  /**
   * Take `theirs`, the end of the model's release found by its canary claim (claimEnded), as the
   * release's state: this run gives it up, and its next write puts the end back in the comment.
   */
  adoptEndByClaim(pr: number, model: string, driven: number, theirs: Release): void {
    this.saved.get(pr)?.delete(model);
    this.endedFor(pr).set(model, { driven, theirs, byClaim: true });
    this.releases.get(pr)?.set(model, theirs);
    this.dirty.add(pr);
  }

  /** PR `pr`'s comment (and any duplicate) as last read. */
  commentSeen(pr: number): string {
    const comment = this.commentFor(pr);
    return JSON.stringify([comment.current?.body, ...comment.duplicates.map((d) => d.body)]);
  }

  private endedFor(pr: number): Map<string, EndedByOther> {
    let ended = this.endedByOthers.get(pr);
    if (!ended) {
      ended = new Map();
      this.endedByOthers.set(pr, ended);
    }
    return ended;
  }
}

/** A comment's record of a pending withdrawal or failure left out: nothing this token writes backs it. */
function unbacked(comment: number, pr: number, r: Release): string {
  const what = r.withdrawPending ? `${r.status}, its withdrawal pending` : r.status;
  const head = r.headSha ? r.headSha.slice(0, 7) : 'no head';
  return (
    `the model-gate comment #${comment} of PR #${pr} records ${r.model} ${r.to} ${what}, but no canary claim of PR #${pr} for ${r.from} → ${r.to} at ${head} is on record (nor a failure status of that head), so no model-gate analysis wrote it: ` +
    "model-gate ignored that record and changes no traffic for it (another workflow posting as this token's account may have written it); model-gate's next write of that comment drops it"
  );
}
