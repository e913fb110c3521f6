import { type Clock, systemClock } from '../core/clock.js';
import { type Ledger, type LedgerEntry, LedgerStateError } from '../ledger/ledger.js';
import { firstProblems, storedForm } from '../ledger/release-schema.js';
import type { DriftRecord } from '../release/drift-alert.js';
import type { DriftReport } from '../release/drift-watch.js';
import { withdrawalUnderWay } from '../release/finish.js';
import { holdsSlot, type Release } from '../release/types.js';
import { CanarySlot } from './canary-slot.js';
import { describeGitHubError, type GitHubClient, sendingOnce } from './client.js';
import { CommentStateReader } from './comment-state-reader.js';
import { setReleaseStatus } from './commit-status.js';
import { CANARY_TASK, type CanaryClaim, Deployments, payloadOf } from './deployments.js';
import { recordDriftStatus } from './drift-status.js';
import { EndedElsewhere } from './ended-elsewhere.js';
import { PrRecords } from './pr-records.js';
import type { Repo } from './repo-files.js';
import type { QueueEvent } from './slot-queue.js';
import type { StickyComment } from './sticky-comment.js';
import {
  lostFrom,
  recordMissingMark,
  recordMissingSince,
  releaseOfLostRecord,
  unrecordedClaimNote,
} from './unrecorded-claim.js';

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
  /** The releases of each PR as its comment records them, plus this run's saves. */
  private readonly records: PrRecords;
  private readonly slot: CanarySlot;
  /** Whether another run ended a release this run drives. */
  private readonly elsewhere: EndedElsewhere;
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

  constructor(private readonly opts: GitHubLedgerOptions) {
    const clock = opts.clock ?? systemClock;
    // The run's clock: a test's fake one, so a deployment GitHub refused for now is waited on in its time.
    // The run's URL: each deployment status links to the run that set it.
    this.deployments = new Deployments(opts.client, opts.repo, opts.sha, clock, opts.runUrl, this.problems);
    const reader = new CommentStateReader(opts.models, this.problems);
    this.records = new PrRecords(
      opts.client,
      opts.repo,
      clock,
      reader,
      this.dirty,
      (release) => this.backed(release),
      this.problems,
    );
    this.slot = new CanarySlot(
      opts.client,
      opts.repo,
      this.deployments,
      this.records,
      clock,
      opts.runId,
      this.problems,
    );
    this.elsewhere = new EndedElsewhere(this.records, this.deployments, clock);
  }

  commentFor(pr: number): StickyComment {
    return this.records.commentFor(pr);
  }

  /** Whether sibling jobs (a matrix) may write the PR's comment while this one runs: its last write is then checked. */
  shared(pr: number): boolean {
    return !(this.opts.soleWriter === true && pr === this.opts.pr);
  }

  /** The PRs on which this run saved a release. */
  savedPrs(): number[] {
    return this.records.savedPrs();
  }

  /** The releases this run saved on a PR, as it last saved them. */
  savedReleases(pr: number): Release[] {
    return this.records.savedReleases(pr);
  }

  /** The releases of a PR as its comment recorded them, plus this run's changes. */
  releasesOf(pr: number): Promise<Map<string, Release>> {
    return this.records.releasesOf(pr);
  }

  /**
   * Read the PR's comment again (`listing`: all the PR's comments, to find a creation race's
   * duplicates too) and take from it every release this run did not save.
   */
  refresh(pr: number, listing = false): Promise<void> {
    return this.records.refresh(pr, listing);
  }

  /** The models this run saved on a PR whose state is not in its comment as last read. */
  lost(pr: number): string[] {
    return this.records.lost(pr);
  }

  /** The release as another run left it, when that run ended it (EndedElsewhere). */
  endedElsewhere(release: Release, fresh: boolean): Promise<Release | undefined> {
    return this.elsewhere.check(release, fresh);
  }

  async reread(release: Release): Promise<Release | undefined> {
    if (release.pr === undefined) return undefined;
    await this.records.refresh(release.pr);
    return this.records.known(release.pr, release.model);
  }

  /**
   * A comment that says `ready` may not be model-gate's word (edited by hand, or another's look-alike
   * had it been read); the claim its analysis made, by this token, still in progress, is.
   */
  claimHeld(release: Release): Promise<boolean> {
    return this.deployments.claimHeld(release, (creator) => this.records.identity.is(creator));
  }

  /** Per release and the claim its record names (claimKey), whether that claim backs it: asked once a run. */
  private readonly claims = new Map<string, Promise<boolean>>();

  /**
   * Whether what only this token writes backs a PR comment's record of a pending withdrawal or a
   * failure (PrRecords.read): the canary claim the record names, made for the same PR, versions and
   * head (Deployments.claimMade); or, for a failure before any deployment (an offline gate failed:
   * such a release never claims the slot), the failure commit status this token set on the head.
   */
  private async backed(release: Release): Promise<boolean> {
    const key = claimKey(release);
    let made = this.claims.get(key);
    if (!made) {
      made = this.deployments.claimMade(release, (creator) => this.records.identity.is(creator));
      this.claims.set(key, made);
      // A GitHub refusal is the reading run's (it throws), not a verdict to keep.
      made.catch(() => this.claims.delete(key));
    }
    if (await made) return true;
    const neverDeployed = release.status === 'failed' && release.phase < 0 && release.phases.length === 0;
    return neverDeployed && this.failedOnHead(release);
  }

  /**
   * Whether this token set the model's commit status on the release's head to failure. The head's
   * statuses are listed newest first, a page at a time until one is found: other checks' statuses
   * set since may fill the first page. (GitHub's combined status, one per context, would take fewer
   * pages, but it does not say who set a status, and a look-alike's must not count.)
   */
  private async failedOnHead(release: Release): Promise<boolean> {
    if (release.headSha === undefined) return false;
    const pages = this.opts.client.paginate.iterator(this.opts.client.rest.repos.listCommitStatusesForRef, {
      ...this.opts.repo,
      ref: release.headSha,
      per_page: 100,
    });
    for await (const { data } of pages) {
      for (const status of data) {
        if (status.context !== `model-gate/${release.model}` || status.state !== 'failure') continue;
        if (await this.records.identity.is(status.creator)) return true;
      }
    }
    return false;
  }

  /**
   * PR `pr`'s releases holding a slot, as its comment says (read if not read yet); none given, those
   * in every PR comment this run has read, at no request more: a tick reads the comment of each of
   * its models' slot holders. Not listed: a PR whose comment no run under this config reads (one
   * whose only release is of a model the config no longer names); listing every PR's claims would
   * cost requests on every tick.
   */
  async slotHolders(pr?: number): Promise<Release[]> {
    const maps = pr === undefined ? this.records.everyRead() : [await this.records.releasesOf(pr)];
    return maps
      .flatMap((map) => [...map.values()])
      .filter((r) => holdsSlot(r) && (pr === undefined || r.pr === pr));
  }

  async release(model: string): Promise<Release | undefined> {
    if (this.opts.pr !== undefined) return (await this.records.releasesOf(this.opts.pr)).get(model);
    return this.canaryHolder(model);
  }

  async canaryHolder(model: string): Promise<Release | undefined> {
    const claim = await this.deployments.canaryHolder(model);
    if (!claim) return undefined;
    const live = await this.slot.liveReleaseOf(model, claim);
    if (live) {
      await this.unmark(model, claim, live);
      return live;
    }
    if (claim.pr === undefined) return undefined;
    // A record that ended is the claim's end refused: the slot is free. No record at all is not.
    if ((await this.records.releasesOf(claim.pr)).has(model)) return undefined;
    return this.unrecorded(model, { ...claim, pr: claim.pr });
  }

  /** Claims whose missing record the log was told of, by deployment id: once a run. */
  private readonly unrecordedNoted = new Set<number>();

  /**
   * The release a claim in progress stands for when its PR's comment records none of the model (the
   * comment deleted, or its section edited away mid-release): silent, its candidate kept its live
   * traffic unwatched. Said in the log; the first run to see it marks the claim (recordMissingMark),
   * so that a later one knows since when. Once the record is taken for lost (lostFrom: long enough
   * for a live job to have written it again), rebuilt from the claim, its withdrawal pending
   * (releaseOfLostRecord), when this token made that claim for those versions and head (backed): a
   * look-alike claim puts nothing out of service, nor is marked.
   */
  private async unrecorded(model: string, claim: CanaryClaim & { pr: number }): Promise<Release | undefined> {
    const now = (this.opts.clock ?? systemClock).now();
    const { head } = claim;
    const rebuilt = head !== undefined ? releaseOfLostRecord(model, { ...claim, head }, now) : undefined;
    if (rebuilt && !(await this.backed(rebuilt))) return undefined;
    const marked = recordMissingSince(claim);
    if (rebuilt && marked === undefined) {
      await this.bestEffort(
        `mark the canary claim of ${model} (Deployment ${claim.id}) as missing its record`,
        () => this.deployments.status(claim.id, 'in_progress', recordMissingMark(now)),
      );
    }
    const since = marked ?? now;
    if (!this.unrecordedNoted.has(claim.id))
      this.problems.push(unrecordedClaimNote(model, claim, since, now));
    this.unrecordedNoted.add(claim.id);
    return now >= lostFrom(claim, since) ? rebuilt : undefined;
  }

  /**
   * A claim marked as missing its record whose record is found again (its job wrote it anew) loses
   * the mark: left, it would date a later loss of the record from the first, and a tick would
   * withdraw a candidate its job still drives at once. Best effort: left, the next run tries again.
   */
  private async unmark(model: string, claim: CanaryClaim, live: Release): Promise<void> {
    if (recordMissingSince(claim) === undefined) return;
    await this.bestEffort(`clear the mark of a missing record on the canary claim of ${model}`, () =>
      this.deployments.status(claim.id, 'in_progress', `${live.status} ${live.to}: its record found again`),
    );
  }

  /**
   * The release of `model` whose candidate is `version`, ended or not, as the comment of the PR its
   * newest canary claim of that version names records it: what command status says of a candidate
   * the target still gives traffic while no release holds the slot (an abort that ended its record
   * alone ended the claim too). The PR may be closed: its comment stays. One request for the claims,
   * one or two for the comment; asked only when the target shows such a candidate.
   */
  async releaseOfCandidate(model: string, version: string): Promise<Release | undefined> {
    const claims = await this.deployments.list(model, CANARY_TASK, 5);
    for (const d of claims) {
      const payload = payloadOf(d) as { pr?: unknown; to?: unknown } | undefined;
      if (payload?.to !== version || typeof payload.pr !== 'number') continue;
      const release = (await this.records.releasesOf(payload.pr)).get(model);
      // The claim's own release: not a later one of the same PR, nor a look-alike record.
      return release?.to === version && release.canaryDeployment === d.id ? release : undefined;
    }
    return undefined;
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
    if (this.records.endedByOther(next.pr, next.model)?.driven === next.startedAt) return;
    const map = await this.records.releasesOf(next.pr);
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
      saved = { ...saved, canaryDeployment: await this.slot.claim(saved, next.pr) };
      this.claims.set(claimKey(saved), Promise.resolve(true));
    }
    // The state first: whatever GitHub refuses below, the comment carries what happened.
    map.set(saved.model, saved);
    this.records.markSaved(next.pr, saved.model);
    // The slot frees when the release stops holding it (a failed withdrawal keeps it held). A claim
    // left in progress by a refused write is ended by the next claimer, since the comment shows it over.
    const ends = !holdsSlot(saved) && (prev === undefined || holdsSlot(prev) || prev.status !== saved.status);
    if (ends && saved.canaryDeployment !== undefined) {
      const id = saved.canaryDeployment;
      await this.bestEffort(`end the canary claim of ${saved.model}`, () =>
        this.deployments.endCanary(id, saved),
      );
      this.slot.markFreed(saved.model);
    }
    // An end by command is recorded twice under one status: its change under way, then done or refused;
    // so is a pass: its change to idle pending, then confirmed.
    const settled =
      prev?.withdrawPending !== saved.withdrawPending ||
      !prev?.ending?.withdrawFailed !== !saved.ending?.withdrawFailed ||
      prev?.idlePending !== saved.idlePending;
    // A merge on record changes what an ended release's status advises (merge-job.ts endedOnMerge:
    // no new commit); one in flight is written again when the merge promotes or ends it.
    const merged = prev?.mergedAt !== saved.mergedAt && !holdsSlot(saved);
    if (
      prev?.status !== saved.status ||
      (prev?.phase !== saved.phase && saved.status === 'analysing') ||
      settled ||
      merged
    ) {
      const status = () => setReleaseStatus(this.opts.client, this.opts.repo, saved, this.opts.runUrl);
      // An end's traffic change under way (endThenWithdraw's first record): sent once, as waiting out
      // a rate limit would hold the change back, the candidate live. Its outcome's record sets it again.
      await this.bestEffort(`set the commit status of ${saved.model}`, () =>
        withdrawalUnderWay(saved) ? sendingOnce(status) : status(),
      );
    }
  }

  /**
   * The head's commit status for `release` alone, its record left as it is (the post step's word on
   * a candidate whose release the comment never recorded). A refusal is reported, as in save.
   */
  async setStatusOnly(release: Release): Promise<void> {
    await this.bestEffort(`set the commit status of ${release.model}`, () =>
      setReleaseStatus(this.opts.client, this.opts.repo, release, this.opts.runUrl),
    );
  }

  /** A write beside the release's state: GitHub refusing it is reported (`problems`), not fatal. */
  private async bestEffort(what: string, write: () => Promise<void>): Promise<void> {
    try {
      await write();
    } catch (error) {
      this.problems.push(`could not ${what}: ${describeGitHubError(error)}`);
    }
  }

  wait(model: string, waiter: { pr: number; headSha: string; to: string }): Promise<void> {
    return this.slot.wait(model, waiter);
  }

  /** The PRs still waiting for `model`'s canary slot (with version `to`, if given). */
  waiters(model: string, to?: string): Promise<{ pr: number; to: string }[]> {
    return this.slot.waiters(model, to);
  }

  /**
   * Start the next PR waiting for each model's slot that this run freed (and `also`: a
   * schedule tick's models), when the slot is still free at the end of the run.
   */
  startWaiting(also: string[] = []): Promise<QueueEvent[]> {
    return this.slot.startWaiting(also);
  }

  /**
   * Give back the hold on `model`'s canary slot that the PR job at `job.headSha` left as it stopped
   * (failed or cancelled): CanarySlot.giveBack. What was given back, for the log; none when nothing was.
   */
  giveBackSlot(model: string, job: { pr: number; headSha: string }): Promise<string | undefined> {
    return this.slot.giveBack(model, job);
  }

  /** PR `job.pr`'s job at `job.headSha` has nothing of `model` to release: it leaves the slot's queue. */
  nothingToRelease(model: string, job: { pr: number; headSha: string }): Promise<void> {
    return this.slot.nothingToRelease(model, job);
  }

  record(entry: LedgerEntry): Promise<void> {
    return this.deployments.record(entry);
  }

  finishRecord(entry: LedgerEntry, opts?: { dryRun?: boolean }): Promise<boolean> {
    return this.deployments.finish(entry, opts);
  }

  servedEarlier(model: string, version: string): Promise<boolean> {
    return this.deployments.servedEarlier(model, version);
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

/** A release as its canary claim names it (model, PR, versions, head), and the claim its record names. */
const claimKey = (r: Release): string =>
  JSON.stringify([r.model, r.pr, r.from, r.to, r.headSha, r.canaryDeployment]);
