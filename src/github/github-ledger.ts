import { z } from 'zod';
import { type Clock, systemClock } from '../core/clock.js';
import {
  type Ledger,
  type LedgerEntry,
  LedgerStateError,
  SlotTakenError,
  sameRecord,
  sameRelease,
} from '../ledger/ledger.js';
import { firstProblems, parseState, releasesSchema, storedForm } from '../ledger/release-schema.js';
import type { DriftRecord } from '../release/drift-alert.js';
import type { DriftReport } from '../release/drift-watch.js';
import { withThinSeries } from '../release/series.js';
import { endedBy, holdsSlot, inFlight, type Release } from '../release/types.js';
import { describeGitHubError, type GitHubClient } from './client.js';
import { setReleaseStatus } from './commit-status.js';
import { type CanaryClaim, Deployments } from './deployments.js';
import { recordDriftStatus } from './drift-status.js';
import type { Repo } from './repo-files.js';
import { type QueueEvent, SlotQueue, STARTED_HOLDS_MS } from './slot-queue.js';
import { StickyComment, type StoredComment } from './sticky-comment.js';
import { TokenIdentity } from './token-identity.js';

/** What a PR's comment hides: the state of each of its releases, so a new job can resume. */
const commentData = z.object({ releases: releasesSchema });

/**
 * How often a job driving a release reads its PR's comment, when nothing else made it read it,
 * to notice a rollback or abort by workflow_dispatch: one request per 5 min, not per poll.
 */
const RECHECK_MS = 5 * 60_000;

export interface GitHubLedgerOptions {
  client: GitHubClient;
  repo: Repo;
  /** The commit this run's deployments point at. */
  sha: string;
  /** The PR of the triggering event, if any. */
  pr?: number;
  runUrl?: string;
  /** This workflow run's id: what a queued PR's entry names, to be re-run once the slot frees. */
  runId?: number;
  clock?: Clock;
  /**
   * No sibling job writes the comment of `pr` while this one runs: a pull_request job over every
   * model (the workflow's concurrency group keeps runs apart), so its last write needs no check.
   * Otherwise (a matrix job of one model; a schedule or dispatch job, whatever PR it writes) it
   * does. Every write re-reads the comment first either way: a workflow_dispatch run may end a
   * release while the pull_request job drives it.
   */
  soleWriter?: boolean;
  /** The config's models: a comment's release of any other model is left out, with a warning. */
  models?: readonly string[];
}

/**
 * The ledger on GitHub: releases in flight live in their PR's comment (written by the
 * comment publisher), promotions and rollbacks are Deployments, the canary slot is a
 * deployment in progress, and each release's status is a commit status on its head.
 */
export class GitHubLedger implements Ledger {
  readonly deployments: Deployments;
  private readonly queue: SlotQueue;
  /** Models whose canary slot this run freed. */
  private readonly freed = new Set<string>();
  /** Waiters nothingToRelease re-ran at once, for startWaiting to report with its own. */
  private readonly startedEarly: QueueEvent[] = [];
  private readonly comments = new Map<number, StickyComment>();
  private readonly clock: Clock;
  /** Who the token writes as, learned once for all the PRs' comments. */
  private readonly identity: TokenIdentity;
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
  /**
   * Per PR and model (`pr model`), the canary claim last found held, and the PR's comment as read
   * then (commentSeen): while the comment reads the same, no write since (this run's own included)
   * can have dropped another run's end of the release from it, so the claim is not read again.
   */
  private readonly claimsSeenHeld = new Map<string, { id: number; comment: string }>();
  /** PRs whose comment no longer tells the truth. */
  readonly dirty = new Set<number>();
  /** GitHub writes beside a release's state that failed (a commit status, a claim's end), for the log. */
  readonly problems: string[] = [];
  /**
   * `problems` as the log shows them: each distinct one once, with how often it came (a commit
   * status GitHub refuses is refused at every save of the release).
   */
  get problemLines(): string[] {
    const counts = new Map<string, number>();
    for (const problem of this.problems) counts.set(problem, (counts.get(problem) ?? 0) + 1);
    return [...counts].map(([problem, n]) => (n === 1 ? problem : `${problem} (${n} times)`));
  }
  /** The releases of models the config does not declare, already warned about (comment id and model). */
  private readonly undeclaredWarned = new Set<string>();

  constructor(private readonly opts: GitHubLedgerOptions) {
    this.clock = opts.clock ?? systemClock;
    // The run's clock: a test's fake one, so a deployment GitHub refused for now is waited on in its time.
    this.deployments = new Deployments(opts.client, opts.repo, opts.sha, this.clock);
    this.queue = new SlotQueue(opts.client, opts.repo, this.deployments);
    this.identity = new TokenIdentity(opts.client);
  }

  commentFor(pr: number): StickyComment {
    let comment = this.comments.get(pr);
    if (!comment) {
      comment = new StickyComment(this.opts.client, this.opts.repo, pr, this.identity);
      this.comments.set(pr, comment);
    }
    return comment;
  }

  /** Whether sibling jobs (a matrix) may write the PR's comment while this one runs: its last write is then checked. */
  shared(pr: number): boolean {
    return !(this.opts.soleWriter === true && pr === this.opts.pr);
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

  /** The releases of a PR as its comment recorded them, plus this run's changes. */
  async releasesOf(pr: number): Promise<Map<string, Release>> {
    let map = this.releases.get(pr);
    if (!map) {
      const comment = this.commentFor(pr);
      map = this.releasesIn(pr, await comment.load(), ...comment.duplicates);
      this.releases.set(pr, map);
      this.readAt.set(pr, this.clock.now());
    }
    return map;
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
    const fresh = this.releasesIn(
      pr,
      await (listing ? comment.list() : comment.reload()),
      ...comment.duplicates,
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
    const held = this.releasesIn(pr, this.commentFor(pr).current);
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

  /**
   * The releases hidden in comments of a PR, each model's most recently updated one (the first on
   * a tie). The state is parsed at this edge: anyone with write access can edit the comment, and
   * its versions reach target calls. A comment whose state does not parse stops the run with an
   * error naming the comment and the field (LedgerStateError): acting on it as if it held no state
   * would start a second candidate beside one it may record as live, forget the canary slot it
   * holds, and overwrite the evidence; refusing changes nothing on the platform.
   */
  private releasesIn(pr: number, ...comments: (StoredComment | undefined)[]): Map<string, Release> {
    const found = new Map<string, Release>();
    const known = this.opts.models && new Set(this.opts.models);
    for (const comment of comments) {
      if (!comment) continue;
      const parsed = comment.dataProblem
        ? { ok: false as const, problems: [comment.dataProblem] }
        : parseState(commentData, comment.data);
      if (!parsed.ok) throw new LedgerStateError(untrusted(comment.id, pr, parsed.problems));
      for (const [model, release] of Object.entries(parsed.value.releases)) {
        if (known && !known.has(model)) this.warnUndeclared(comment.id, pr, model);
        const seen = found.get(model);
        if (!seen || release.updatedAt > seen.updatedAt) found.set(model, release);
      }
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

  /**
   * Reads the comment again, fresh or not, when its last read is older than `RECHECK_MS`, and for a
   * release this run has not saved: its record as read is what another run may be driving (a
   * schedule tick's, whose PR's job runs; a re-run's), so it is checked before every step. `fresh`
   * (before a traffic change) also asks the release's canary claim, where the comment shows the
   * release as this run knows it (claimEnded).
   */
  async endedElsewhere(release: Release, fresh: boolean): Promise<Release | undefined> {
    const { pr, model } = release;
    if (pr === undefined) return undefined;
    const ours = this.saved.get(pr)?.has(model) === true;
    const stale = this.clock.now() - (this.readAt.get(pr) ?? 0) >= RECHECK_MS;
    if (fresh || stale || !ours) await this.refresh(pr);
    const given = this.endedByOthers.get(pr)?.get(model);
    if (given?.driven === release.startedAt) return given.theirs;
    const theirs = this.releases.get(pr)?.get(model);
    if (!ours && theirs && !sameRecord(theirs, release)) {
      this.endedFor(pr).set(model, { driven: release.startedAt, theirs });
      return theirs;
    }
    return fresh ? this.claimEnded(release, theirs) : undefined;
  }

  /**
   * The release in flight as another run left it, when that run ended its canary claim though the
   * PR's comment still shows it as this run knows it: a write that read the comment before that
   * run's record of the end and wrote after it (this run's own lease or step, a sibling's) dropped
   * the record, but not the claim's end, a Deployment status (statuses are only ever added). Left
   * to the comment alone, this run gave the candidate traffic again over a rollback, for good. The
   * end is this run's to write back (endKnownByClaim), as near as GitHub tells it: promoted when the
   * model's newest promotion is the release's, else aborted (failed, where the claim ended failing),
   * what served before it serving again. The claim is read once per change of the comment: while
   * the comment reads as when the claim was last found held, no write can have dropped an end.
   */
  private async claimEnded(release: Release, recorded: Release | undefined): Promise<Release | undefined> {
    const { pr, model } = release;
    if (pr === undefined || !recorded || !sameRelease(recorded, release)) return undefined;
    const id = recorded.canaryDeployment;
    if (id === undefined || !inFlight(release) || release.withdrawPending) return undefined;
    const key = `${pr} ${model}`;
    const comment = this.commentSeen(pr);
    const seen = this.claimsSeenHeld.get(key);
    if (seen?.id === id && seen.comment === comment) return undefined;
    const end = await this.deployments.claimEnd(id);
    if (!end) {
      this.claimsSeenHeld.set(key, { id, comment });
      return undefined;
    }
    const newest = await this.deployments.newestEntry(model);
    const promoted =
      newest?.kind === 'promotion' &&
      newest.pr === pr &&
      newest.version === release.to &&
      newest.previous === release.from;
    const theirs = endByClaim(recorded, { id, state: end.state, promoted });
    this.saved.get(pr)?.delete(model);
    this.endedFor(pr).set(model, { driven: release.startedAt, theirs, byClaim: true });
    this.releases.get(pr)?.set(model, theirs);
    this.dirty.add(pr);
    return theirs;
  }

  /** PR `pr`'s comment (and any duplicate) as last read. */
  private commentSeen(pr: number): string {
    const comment = this.commentFor(pr);
    return JSON.stringify([comment.current?.body, ...comment.duplicates.map((d) => d.body)]);
  }

  async reread(release: Release): Promise<Release | undefined> {
    if (release.pr === undefined) return undefined;
    await this.refresh(release.pr);
    return this.releases.get(release.pr)?.get(release.model);
  }

  private endedFor(pr: number): Map<string, EndedByOther> {
    let ended = this.endedByOthers.get(pr);
    if (!ended) {
      ended = new Map();
      this.endedByOthers.set(pr, ended);
    }
    return ended;
  }

  /**
   * A comment that says `ready` may not be model-gate's word (edited by hand, or another's look-alike
   * had it been read); the claim its analysis made, by this token, still in progress, is.
   */
  claimHeld(release: Release): Promise<boolean> {
    return this.deployments.claimHeld(release, (creator) => this.identity.is(creator));
  }

  /**
   * PR `pr`'s releases holding a slot, as its comment says (read if not read yet); none given, those
   * in every PR comment this run has read, at no request more: a tick reads the comment of each of
   * its models' slot holders. Not listed: a PR whose comment no run under this config reads (one
   * whose only release is of a model the config no longer names); listing every PR's claims would
   * cost requests on every tick.
   */
  async slotHolders(pr?: number): Promise<Release[]> {
    const maps = pr === undefined ? [...this.releases.values()] : [await this.releasesOf(pr)];
    return maps
      .flatMap((map) => [...map.values()])
      .filter((r) => holdsSlot(r) && (pr === undefined || r.pr === pr));
  }

  async release(model: string): Promise<Release | undefined> {
    if (this.opts.pr !== undefined) return (await this.releasesOf(this.opts.pr)).get(model);
    return this.canaryHolder(model);
  }

  async canaryHolder(model: string): Promise<Release | undefined> {
    const claim = await this.deployments.canaryHolder(model);
    return claim && this.liveReleaseOf(model, claim);
  }

  /** The live release (analysing or ready) a claim of the slot stands for, as its PR's comment says. */
  private async liveReleaseOf(model: string, claim: CanaryClaim): Promise<Release | undefined> {
    if (claim.pr === undefined) return undefined;
    const release = (await this.releasesOf(claim.pr)).get(model);
    return release && holdsSlot(release) ? release : undefined;
  }

  /**
   * Whether a claim of the slot stands: its PR's comment shows the release live, or the claim is
   * too recent for the comment to show it yet. Else it is left over (its job died before writing:
   * a job that failed or was cancelled gives it back at once in its post step, giveBackSlot; a
   * killed runner's stands until STARTED_HOLDS_MS).
   */
  private async stands(model: string, claim: CanaryClaim): Promise<boolean> {
    if (this.clock.now() - claim.at < STARTED_HOLDS_MS) return true;
    return (await this.liveReleaseOf(model, claim)) !== undefined;
  }

  async saveRelease(next: Release): Promise<void> {
    if (next.pr === undefined) return;
    // Never write a state the next job would refuse to read (a version the platform reports, say).
    const recordable = storedForm(next);
    if (!recordable.ok) {
      throw new LedgerStateError(
        `cannot record the release of ${next.model} in the comment of PR #${next.pr}: ${firstProblems(recordable.problems)}`,
      );
    }
    // Never brought back to life over another run's end of it.
    if (this.endedByOthers.get(next.pr)?.get(next.model)?.driven === next.startedAt) return;
    const map = await this.releasesOf(next.pr);
    const prev = map.get(next.model);
    // The engine does not know about the claim: keep it across saves of the same release.
    const same =
      prev && prev.headSha === next.headSha && prev.to === next.to && prev.startedAt === next.startedAt;
    let saved: Release = {
      ...next,
      canaryDeployment: next.canaryDeployment ?? (same ? prev.canaryDeployment : undefined),
    };
    // Claim the slot before the candidate gets any traffic.
    if (next.status === 'analysing' && saved.canaryDeployment === undefined) {
      // A PR whose job was just re-run from the queue has the slot reserved: others wait behind it
      // (unless that PR was closed or moved on since: SlotQueue.reserved).
      const waiters = await this.queue.waiting(saved.model);
      const { held } = await this.queue.reserved(waiters, this.clock.now(), next.pr);
      if (held && held.pr !== next.pr) throw new SlotTakenError(saved.model, held);
      const claim = await this.deployments.claimCanary(saved, (c) => this.stands(saved.model, c));
      if ('heldBy' in claim) throw new SlotTakenError(saved.model, claim.heldBy);
      saved = { ...saved, canaryDeployment: claim.id };
      // Best effort: an entry left behind only gets this PR's job re-run, which resumes this release.
      await this.queue
        .leave(saved.model, next.pr, `PR #${next.pr} holds the canary slot`, waiters)
        .catch(() => {});
      this.freed.delete(saved.model);
    }
    // The state first: whatever GitHub refuses below, the comment carries what happened.
    map.set(saved.model, saved);
    let mine = this.saved.get(next.pr);
    if (!mine) {
      mine = new Set();
      this.saved.set(next.pr, mine);
    }
    mine.add(saved.model);
    this.dirty.add(next.pr);
    // The slot frees when the release stops holding it (a failed withdrawal keeps it held). A claim
    // left in progress by a refused write is ended by the next claimer, since the comment shows it over.
    const ends = !holdsSlot(saved) && (prev === undefined || holdsSlot(prev) || prev.status !== saved.status);
    if (ends && saved.canaryDeployment !== undefined) {
      const id = saved.canaryDeployment;
      await this.bestEffort(`end the canary claim of ${saved.model}`, () =>
        this.deployments.endCanary(id, saved),
      );
      this.freed.add(saved.model);
    }
    // An end by command is recorded twice under one status: its change under way, then done or refused;
    // so is a pass: its change to idle pending, then confirmed.
    const settled =
      prev?.withdrawPending !== saved.withdrawPending ||
      !prev?.ending?.withdrawFailed !== !saved.ending?.withdrawFailed ||
      prev?.idlePending !== saved.idlePending;
    if (
      prev?.status !== saved.status ||
      (prev?.phase !== saved.phase && saved.status === 'analysing') ||
      settled
    ) {
      await this.bestEffort(`set the commit status of ${saved.model}`, () =>
        setReleaseStatus(this.opts.client, this.opts.repo, saved, this.opts.runUrl),
      );
    }
  }

  /** A write beside the release's state: GitHub refusing it is reported (`problems`), not fatal. */
  private async bestEffort(what: string, write: () => Promise<void>): Promise<void> {
    try {
      await write();
    } catch (error) {
      this.problems.push(`could not ${what}: ${describeGitHubError(error)}`);
    }
  }

  async wait(model: string, waiter: { pr: number; headSha: string; to: string }): Promise<void> {
    if (!this.opts.runId) return;
    await this.queue.join(model, {
      pr: waiter.pr,
      head: waiter.headSha,
      to: waiter.to,
      run: this.opts.runId,
    });
  }

  /**
   * Start the next PR waiting for each model's slot that this run freed (and `also`: a
   * schedule tick's models), when the slot is still free at the end of the run.
   */
  async startWaiting(also: string[] = []): Promise<QueueEvent[]> {
    // What nothingToRelease started already comes first, to be said with the rest.
    const out: QueueEvent[] = this.startedEarly.splice(0);
    for (const model of new Set([...this.freed, ...also])) out.push(...(await this.startNext(model)));
    this.freed.clear();
    return out;
  }

  /** Re-runs the first PR waiting for `model`'s slot, unless a claim of it stands. */
  private async startNext(model: string): Promise<QueueEvent[]> {
    const waiters = await this.queue.waiting(model);
    if (waiters.length === 0) return [];
    const claim = await this.deployments.canaryHolder(model);
    if (claim && (await this.stands(model, claim))) return [];
    return this.queue.startNext(model, waiters, this.clock.now());
  }

  /**
   * Give back the hold on `model`'s canary slot that the PR job at `job.headSha` left as it stopped
   * (failed or cancelled), when its caller knows none of its candidates may be live on the platform:
   * the job's claim, if it still stands and the PR's comment (read again) records no release of the
   * model holding the slot, and the reservation it was re-run from the queue with. Left, either
   * kept every other PR of the model waiting for STARTED_HOLDS_MS behind a job already over. A
   * recorded release holding the slot keeps it: its end frees it. The slot is marked freed, so
   * `startWaiting` re-runs the next waiter. What was given back, for the log; none when nothing was.
   * A killed runner (no post step) keeps its hold for STARTED_HOLDS_MS all the same: `stands`.
   */
  async giveBackSlot(model: string, job: { pr: number; headSha: string }): Promise<string | undefined> {
    const given: string[] = [];
    const claim = await this.deployments.canaryHolder(model);
    if (claim && claim.pr === job.pr && claim.head === job.headSha) {
      await this.refresh(job.pr);
      const recorded = this.releases.get(job.pr)?.get(model);
      if (!recorded || !holdsSlot(recorded)) {
        const why = `given back: the job of PR #${job.pr} stopped, ${claim.to} with no live traffic`;
        await this.deployments.status(claim.id, 'inactive', why);
        given.push(`the claim of ${claim.to}`);
      }
    }
    // Re-run from the queue, it held the slot for its job until the job claimed it: it has stopped.
    const waiters = await this.queue.waiting(model, job.pr);
    const reserved = waiters.filter(
      (w) => w.state === 'started' && w.run === this.opts.runId && w.head === job.headSha,
    );
    if (reserved.length > 0) {
      await this.queue.leave(model, job.pr, `the re-run of run ${this.opts.runId} stopped`, reserved);
      given.push(`the reservation of run ${this.opts.runId}`);
    }
    if (given.length === 0) return undefined;
    this.freed.add(model);
    return given.join(' and ');
  }

  /**
   * PR `job.pr`'s job at `job.headSha` has nothing of `model` to release (its version already
   * serves): its places in the queue for the model's canary slot at that head leave it. One whose
   * run the queue re-ran held the slot for this job until it claimed it, which it never will: left,
   * it kept every other PR waiting for STARTED_HOLDS_MS; the next waiter is re-run at once. One
   * request where the PR has no place in the queue.
   */
  async nothingToRelease(model: string, job: { pr: number; headSha: string }): Promise<void> {
    const mine = (await this.queue.waiting(model, job.pr)).filter((w) => w.head === job.headSha);
    if (mine.length === 0) return;
    const why = `PR #${job.pr} has nothing of ${model} to release at ${job.headSha.slice(0, 7)}`;
    await this.queue.leave(model, job.pr, why, mine);
    // The slot was held for this run: the next waiter is re-run now, not at the job's end, which a
    // crash or a cancel may never reach (its post step then finds nothing of this run to give back).
    if (mine.some((w) => w.state === 'started')) this.startedEarly.push(...(await this.startNext(model)));
  }

  record(entry: LedgerEntry): Promise<void> {
    return this.deployments.record(entry);
  }

  /**
   * Drift marks the deployment of the drifted version (serving now) as failing, on the Deployments
   * page, once: its end puts back the state it had (drift-status.ts). GitHub stamps the statuses.
   */
  recordDrift(report: DriftReport, _at: number, opts?: { dryRun?: boolean }): Promise<DriftRecord> {
    return recordDriftStatus(this.opts.client, this.opts.repo, this.deployments, report, this.opts.runUrl, {
      sha: this.opts.sha,
      ...opts,
    });
  }

  history(model: string): Promise<LedgerEntry[]> {
    return this.deployments.history(model);
  }
}

/**
 * A release this run drove (`driven`, its start) that another run ended, finished or superseded, and
 * the model's release as that run left it; `byClaim`: as its canary claim tells, the comment having
 * lost that run's record (claimEnded).
 */
interface EndedByOther {
  driven: number;
  theirs: Release;
  byClaim?: true;
}

/**
 * `recorded` (in flight) as the run that ended its canary claim `id` (its end `state`) left it, as far
 * as GitHub tells: promoted (`promoted`: the model's newest promotion is the release's), or else
 * aborted (failed, where the claim ended failing), its candidate withdrawn and its open phase ended.
 * Stamped with `recorded`'s time, the last this run knows of: that run's own record of the end,
 * decided later, is the newer one wherever the two meet.
 */
function endByClaim(recorded: Release, end: { id: number; state: string; promoted: boolean }): Release {
  const { watchedUntil: _, idlePending: __, ...rest } = recorded;
  const at = recorded.updatedAt;
  const claim = `its canary claim (Deployment ${end.id}) ${end.state === 'deleted' ? 'was deleted' : `is ${end.state}`}`;
  const lost = "a stale write had dropped that run's record from the PR comment";
  if (end.promoted) {
    const reason = `${recorded.to} is now the stable version (was ${recorded.from}): another run promoted it, and ${claim}; ${lost}`;
    return { ...rest, status: 'promoted', updatedAt: at, reason };
  }
  return {
    ...rest,
    status: end.state === 'failure' ? 'failed' : 'aborted',
    phases: recorded.phases.map((p) =>
      p.endedAt === undefined ? { ...p, endedAt: at, outcome: 'withdrawn' as const } : p,
    ),
    updatedAt: at,
    reason: `${claim}: another run ended the release, and ${lost}`,
  };
}

/** The first few problems, on one line. */
function untrusted(comment: number, pr: number, problems: string[]): string {
  return (
    `the model-gate state in comment #${comment} of PR #${pr} does not parse: ${firstProblems(problems)}. ` +
    'model-gate does not act on it and changes nothing on the serving platform for it. If the comment ' +
    "was edited, restore it from its edit history; or delete it to start the PR's releases over."
  );
}
