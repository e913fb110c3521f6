import { z } from 'zod';
import type { Ledger, LedgerEntry } from '../ledger/ledger.js';
import type { DriftReport } from '../release/drift-watch.js';
import type { Release } from '../release/types.js';
import type { GitHubClient } from './client.js';
import { setReleaseStatus } from './commit-status.js';
import { Deployments } from './deployments.js';
import type { Repo } from './repo-files.js';
import { StickyComment } from './sticky-comment.js';
import { TokenIdentity } from './token-identity.js';

/** What a PR's comment hides: the state of each of its releases, so a new job can resume. */
const commentData = z.object({
  releases: z.record(
    z.string(),
    z.custom<Release>((v) => typeof v === 'object' && v !== null),
  ),
});

export interface GitHubLedgerOptions {
  client: GitHubClient;
  repo: Repo;
  /** The commit this run's deployments point at. */
  sha: string;
  /** The PR of the triggering event, if any. */
  pr?: number;
  runUrl?: string;
}

/**
 * The ledger on GitHub: releases in flight live in their PR's comment (written by the
 * comment publisher), promotions and rollbacks are Deployments, the canary slot is a
 * deployment in progress, and each release's status is a commit status on its head.
 */
export class GitHubLedger implements Ledger {
  readonly deployments: Deployments;
  private readonly comments = new Map<number, StickyComment>();
  /** Who the token writes as, learned once for all the PRs' comments. */
  private readonly identity: TokenIdentity;
  private readonly releases = new Map<number, Map<string, Release>>();
  /** PRs whose comment no longer tells the truth. */
  readonly dirty = new Set<number>();

  constructor(private readonly opts: GitHubLedgerOptions) {
    this.deployments = new Deployments(opts.client, opts.repo, opts.sha);
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

  /** The releases of a PR as its comment recorded them, plus this run's changes. */
  async releasesOf(pr: number): Promise<Map<string, Release>> {
    let map = this.releases.get(pr);
    if (!map) {
      const stored = await this.commentFor(pr).load();
      const parsed = commentData.safeParse(stored?.data);
      map = new Map(parsed.success ? Object.entries(parsed.data.releases) : []);
      this.releases.set(pr, map);
    }
    return map;
  }

  async release(model: string): Promise<Release | undefined> {
    if (this.opts.pr !== undefined) return (await this.releasesOf(this.opts.pr)).get(model);
    return this.canaryHolder(model);
  }

  async canaryHolder(model: string): Promise<Release | undefined> {
    const holder = await this.deployments.canaryHolder(model);
    if (holder?.pr === undefined) return undefined;
    const release = (await this.releasesOf(holder.pr)).get(model);
    return release?.status === 'analysing' || release?.status === 'ready' ? release : undefined;
  }

  async saveRelease(next: Release): Promise<void> {
    if (next.pr === undefined) return;
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
      saved = { ...saved, canaryDeployment: await this.deployments.claimCanary(saved) };
    }
    const ended = saved.status !== 'analysing' && saved.status !== 'ready';
    if (ended && saved.canaryDeployment !== undefined && prev?.status !== saved.status) {
      await this.deployments.endCanary(saved.canaryDeployment, saved);
    }
    if (prev?.status !== saved.status || (prev?.phase !== saved.phase && saved.status === 'analysing')) {
      await setReleaseStatus(this.opts.client, this.opts.repo, saved, this.opts.runUrl);
    }
    map.set(saved.model, saved);
    this.dirty.add(next.pr);
  }

  record(entry: LedgerEntry): Promise<void> {
    return this.deployments.record(entry);
  }

  /** Drift marks the deployment of the version serving now as failing, on the Deployments page. */
  recordDrift(report: DriftReport): Promise<void> {
    return this.deployments.markServing(report.model, 'failure', report.note);
  }

  history(model: string): Promise<LedgerEntry[]> {
    return this.deployments.history(model);
  }
}
