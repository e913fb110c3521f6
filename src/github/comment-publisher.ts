import type { Clock } from '../core/clock.js';
import type { RunResult } from '../release/pull-request.js';
import type { Release } from '../release/types.js';
import type { GitHubLedger } from './github-ledger.js';
import { COMMENT_LIMIT, composeBody, type RunStamp } from './sticky-comment.js';

/** Renders a PR's report; `compact` leaves out details to fit GitHub's size limit. */
export type RenderReport = (result: RunResult, compact: boolean) => string;

/**
 * Keeps each touched PR's one comment true: written on every status or phase change,
 * otherwise at most every `refreshMs`, so a long analysis does not spend the API budget
 * on polls. The comment also carries the releases' state for a later job to resume.
 */
export class CommentPublisher {
  private readonly written = new Map<number, { signature: string; at: number }>();

  constructor(
    private readonly ledger: GitHubLedger,
    private readonly render: RenderReport,
    private readonly stamp: RunStamp,
    private readonly clock: Clock,
    private readonly refreshMs = 5 * 60_000,
  ) {}

  /** Write every PR whose releases changed; `notes` adds per-PR lines (queued, skipped). */
  async publish(
    opts: {
      force?: boolean;
      notes?: Map<number, RunResult['skipped']>;
      rollbacks?: RunResult['rollbacks'];
    } = {},
  ) {
    const prs = new Set([...this.ledger.dirty, ...(opts.notes?.keys() ?? [])]);
    for (const pr of prs) {
      const releases = [...(await this.ledger.releasesOf(pr)).values()];
      const signature = signatureOf(releases);
      const last = this.written.get(pr);
      const now = this.clock.now();
      const due = !last || last.signature !== signature || now - last.at >= this.refreshMs;
      if (!opts.force && !due) continue;
      const result: RunResult = { releases, skipped: opts.notes?.get(pr) ?? [], rollbacks: opts.rollbacks };
      const outcome = await this.ledger.commentFor(pr).write(this.fit(result, releases), this.stamp);
      if (outcome !== 'stale') this.written.set(pr, { signature, at: now });
      this.ledger.dirty.delete(pr);
    }
  }

  /** The full report if it fits, else without details, else cut; the decision always stays. */
  private fit(result: RunResult, releases: Release[]): string {
    const data = { releases: Object.fromEntries(releases.map((r) => [r.model, r])) };
    const full = composeBody(this.render(result, false), this.stamp, data);
    if (full.length <= COMMENT_LIMIT) return full;
    const compact = composeBody(this.render(result, true), this.stamp, data);
    if (compact.length <= COMMENT_LIMIT) return compact;
    const note = '\n\n… report shortened to fit a GitHub comment; the job summary has all of it.\n';
    return compact.slice(0, COMMENT_LIMIT - note.length) + note;
  }
}

const signatureOf = (releases: Release[]) =>
  JSON.stringify(releases.map((r) => [r.model, r.status, r.phase, r.to]));
