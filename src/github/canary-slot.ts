import type { Clock } from '../core/clock.js';
import { SlotTakenError } from '../ledger/ledger.js';
import { holdsSlot, type Release } from '../release/types.js';
import { describeGitHubError, type GitHubClient, isGitHubError } from './client.js';
import type { CanaryClaim, Deployments } from './deployments.js';
import type { PrRecords } from './pr-records.js';
import type { Repo } from './repo-files.js';
import { type QueueEvent, SlotQueue, STARTED_HOLDS_MS } from './slot-queue.js';

/**
 * Each model's canary slot: claimed by a Deployment in progress before a candidate gets traffic,
 * waited for in its queue, given back when a job stops, and handed to the next waiter once freed.
 */
export class CanarySlot {
  private readonly queue: SlotQueue;
  /** Models whose canary slot this run freed. */
  private readonly freed = new Set<string>();
  /** Waiters nothingToRelease re-ran at once, for startWaiting to report with its own. */
  private readonly startedEarly: QueueEvent[] = [];

  constructor(
    client: GitHubClient,
    repo: Repo,
    private readonly deployments: Deployments,
    private readonly records: PrRecords,
    private readonly clock: Clock,
    /** This workflow run's id: what a queued PR's entry names, to be re-run once the slot frees. */
    private readonly runId: number | undefined,
    /** The ledger's writes beside a release's state that GitHub refused, for the log. */
    private readonly problems: string[],
  ) {
    this.queue = new SlotQueue(client, repo, deployments);
  }

  /**
   * Claim the slot of `release`'s model for PR `pr`; returns the claim's deployment id. Throws
   * SlotTakenError when another PR holds it or has it reserved.
   */
  async claim(release: Release, pr: number): Promise<number> {
    // A PR whose job was just re-run from the queue has the slot reserved: others wait behind it
    // (unless that PR was closed or moved on since: SlotQueue.reserved).
    const waiters = await this.queue.waiting(release.model);
    const { held } = await this.queue.reserved(waiters, this.clock.now(), pr);
    if (held && held.pr !== pr) throw new SlotTakenError(release.model, held);
    const claim = await this.deployments.claimCanary(release, (c) => this.stands(release.model, c));
    if ('heldBy' in claim) throw new SlotTakenError(release.model, claim.heldBy);
    // Best effort, the claim stands; but an entry left behind gets this PR's run re-run for nothing
    // once the slot frees, and that re-run holds the slot for STARTED_HOLDS_MS: said in the log.
    await this.queue.leave(release.model, pr, `PR #${pr} holds the canary slot`, waiters).catch((error) => {
      const ids = waiters.filter((w) => w.pr === pr).map((w) => w.id);
      this.problems.push(
        `could not take PR #${pr} out of the queue for the canary slot of ${release.model} (${describeGitHubError(error)}): its place there (Deployment ${ids.join(', ')}) may get its run re-run for nothing once the slot frees, keeping the next PR waiting up to ${STARTED_HOLDS_MS / 60_000} minutes; mark it inactive and delete it to avoid that`,
      );
    });
    this.freed.delete(release.model);
    return claim.id;
  }

  /** Note that this run freed the model's slot: `startWaiting` re-runs its next waiter. */
  markFreed(model: string): void {
    this.freed.add(model);
  }

  /** The live release (analysing or ready) a claim of the slot stands for, as its PR's comment says. */
  async liveReleaseOf(model: string, claim: CanaryClaim): Promise<Release | undefined> {
    if (claim.pr === undefined) return undefined;
    const release = (await this.records.releasesOf(claim.pr)).get(model);
    return release && holdsSlot(release) ? release : undefined;
  }

  /**
   * Whether a claim of the slot stands: its PR's comment shows the release live, or the claim is
   * too recent for the comment to show it yet. Else it is left over (its job died before writing:
   * a job that failed or was cancelled gives it back at once in its post step, giveBack; a
   * killed runner's stands until STARTED_HOLDS_MS).
   */
  private async stands(model: string, claim: CanaryClaim): Promise<boolean> {
    if (this.clock.now() - claim.at < STARTED_HOLDS_MS) return true;
    // Read again: a long run (a tick, a watch) read it at its start, and the release may have ended
    // since with its claim's end refused; the first read would keep the next waiter from starting.
    // Best effort: GitHub refusing that re-read leaves the first read to decide, as before it.
    if (claim.pr !== undefined)
      await this.records.refresh(claim.pr).catch((err) => {
        if (!isGitHubError(err)) throw err;
      });
    return (await this.liveReleaseOf(model, claim)) !== undefined;
  }

  async wait(model: string, waiter: { pr: number; headSha: string; to: string }): Promise<void> {
    if (!this.runId) return;
    await this.queue.join(model, {
      pr: waiter.pr,
      head: waiter.headSha,
      to: waiter.to,
      run: this.runId,
    });
  }

  /** The PRs still waiting for `model`'s slot (with version `to`, if given): SlotQueue.stillWaiting. */
  waiters(model: string, to?: string): Promise<{ pr: number; to: string }[]> {
    return this.queue.stillWaiting(model, to);
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
  async giveBack(model: string, job: { pr: number; headSha: string }): Promise<string | undefined> {
    const given: string[] = [];
    const claim = await this.deployments.canaryHolder(model);
    if (claim && claim.pr === job.pr && claim.head === job.headSha) {
      await this.records.refresh(job.pr);
      const recorded = this.records.known(job.pr, model);
      if (!recorded || !holdsSlot(recorded)) {
        const why = `given back: the job of PR #${job.pr} stopped, ${claim.to} with no live traffic`;
        await this.deployments.status(claim.id, 'inactive', why);
        given.push(`the claim of ${claim.to}`);
      }
    }
    // Re-run from the queue, it held the slot for its job until the job claimed it: it has stopped.
    const waiters = await this.queue.waiting(model, job.pr);
    const reserved = waiters.filter(
      (w) => w.state === 'started' && w.run === this.runId && w.head === job.headSha,
    );
    if (reserved.length > 0) {
      await this.queue.leave(model, job.pr, `the re-run of run ${this.runId} stopped`, reserved);
      given.push(`the reservation of run ${this.runId}`);
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
}
