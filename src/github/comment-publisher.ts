import { z } from 'zod';
import type { Clock } from '../core/clock.js';
import type { RunResult } from '../release/pull-request.js';
import type { Release } from '../release/types.js';
import { isNotFound, retryDelayOf } from './client.js';
import type { GitHubLedger } from './github-ledger.js';
import { COMMENT_LIMIT, composeBody, newest, type RunStamp, type WriteOutcome } from './sticky-comment.js';

/** Renders a PR's report; `compact` leaves out details to fit GitHub's size limit. */
export type RenderReport = (result: RunResult, compact: boolean) => string;

export interface PublisherOptions {
  /** A comment whose releases did not change is rewritten at most this often. */
  refreshMs?: number;
  /** After a run's last write of a shared comment, the wait before checking it kept this run's state. */
  settleMs?: number;
  /** How many times a run rewrites a shared comment that lost its state, before it gives up. */
  repairs?: number;
  /** How many times a write GitHub refused for now (rate limit, server error) is made again. */
  retries?: number;
  warn?(message: string): void;
}

/** What a PR's report carries beside its releases. */
type Notes = Omit<RunResult, 'releases'>;

/** The lines a comment keeps beside its releases' state, so a sibling job's write keeps them too. */
const storedNotes = z.object({ skipped: z.array(z.object({ model: z.string(), why: z.string() })) });

/**
 * Keeps each touched PR's one comment true: written on every status or phase change,
 * otherwise at most every `refreshMs`, so a long analysis does not spend the API budget
 * on polls. The comment also carries the releases' state for a later job to resume.
 *
 * The comment is read again before each write, since other runs may write it too (a matrix: one
 * job per model, all on the PR's one comment; a workflow_dispatch rollback of the release this
 * run drives): this run's releases come from this run, every other model's (and one another run
 * ended) from the comment. A sibling's write that read the comment just before this run's last
 * one still drops this run's state, so the last publish of a run that shares the comment with
 * sibling jobs (`final`) waits a moment, reads the comment again and puts back what is missing.
 */
export class CommentPublisher {
  private readonly written = new Map<number, { signature: string; at: number }>();
  private readonly refreshMs: number;
  private readonly settleMs: number;
  private readonly repairs: number;
  private readonly retries: number;

  constructor(
    private readonly ledger: GitHubLedger,
    private readonly render: RenderReport,
    private readonly stamp: RunStamp,
    private readonly clock: Clock,
    private readonly opts: PublisherOptions = {},
  ) {
    this.refreshMs = opts.refreshMs ?? 5 * 60_000;
    this.settleMs = opts.settleMs ?? 5_000;
    this.repairs = opts.repairs ?? 3;
    this.retries = opts.retries ?? 3;
  }

  /**
   * Write every PR whose releases changed; `notes` adds per-PR lines (queued, skipped).
   * `final`: the run's last publish, written whether due or not, then checked.
   */
  async publish(
    opts: {
      final?: boolean;
      notes?: Map<number, RunResult['skipped']>;
      rollbacks?: RunResult['rollbacks'];
    } = {},
  ) {
    const prs = new Set([...this.ledger.dirty, ...(opts.notes?.keys() ?? [])]);
    const checks = new Map<number, Notes>();
    for (const pr of this.ledger.savedPrs()) checks.set(pr, { skipped: [], rollbacks: opts.rollbacks });
    for (const pr of prs) {
      const signature = signatureOf(this.ledger.savedReleases(pr));
      const last = this.written.get(pr);
      const now = this.clock.now();
      const due = !last || last.signature !== signature || now - last.at >= this.refreshMs;
      if (!opts.final && !due) continue;
      const notes: Notes = { skipped: opts.notes?.get(pr) ?? [], rollbacks: opts.rollbacks };
      // Read again first: a workflow_dispatch run may have written even a comment no sibling job shares.
      const outcome = await this.write(pr, notes, true);
      if (outcome === 'stale') checks.delete(pr);
      else {
        this.written.set(pr, { signature, at: now });
        if (checks.has(pr)) checks.set(pr, notes);
      }
      this.ledger.dirty.delete(pr);
    }
    if (opts.final) await this.settle([...checks].filter(([pr]) => this.ledger.shared(pr)));
  }

  /**
   * Check, a moment after this run's last write, that each shared comment still holds the
   * releases this run saved (and no duplicate), and write them back where another job's
   * stale write dropped them.
   */
  private async settle(pending: [number, Notes][]) {
    for (let repair = 0; pending.length > 0; repair++) {
      await this.clock.sleep(this.settleMs);
      const next: [number, Notes][] = [];
      for (const [pr, notes] of pending) {
        await this.ledger.refresh(pr, true);
        const comment = this.ledger.commentFor(pr);
        const lost = this.ledger.lost(pr);
        if (lost.length === 0 && comment.duplicates.length === 0) continue;
        if (repair === this.repairs) {
          this.opts.warn?.(
            `the comment of PR #${pr} still misses this job's state (${lost.join(', ') || 'duplicates'}) after ${this.repairs} rewrites: other jobs keep overwriting it`,
          );
          continue;
        }
        if ((await this.write(pr, notes, false)) !== 'stale') next.push([pr, notes]);
      }
      pending = next;
    }
  }

  /**
   * Write a PR's report; when GitHub refuses for now (a rate limit, a server error), wait as
   * long as it asks and write it again, from a fresh read of a shared comment: a body re-sent
   * after the wait would drop what other jobs wrote meanwhile.
   */
  private async write(pr: number, notes: Notes, reread: boolean): Promise<WriteOutcome> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.writeOnce(pr, notes, reread || attempt > 0);
      } catch (error) {
        const wait = attempt < this.retries ? retryDelayOf(error, attempt, this.clock.now()) : undefined;
        if (wait === undefined) throw error;
        const status = (error as { status?: number }).status;
        this.opts.warn?.(
          `GitHub refused to write the comment of PR #${pr} for now (HTTP ${status}): writing it again in ${Math.ceil(wait / 1000)}s`,
        );
        await this.clock.sleep(wait);
      }
    }
  }

  /**
   * Write a PR's report: first reading the comment again (`reread`), as other runs may write it
   * too. A comment a newer run wrote (a schedule tick, say, before this re-run of an older run)
   * is read again and merged, each model keeping its newest release, and written under that
   * run's stamp, so that neither run's writes shut the other's out.
   */
  private async writeOnce(pr: number, notes: Notes, reread: boolean): Promise<WriteOutcome> {
    const comment = this.ledger.commentFor(pr);
    try {
      if (reread) await this.ledger.refresh(pr);
      const outcome = await comment.write(await this.body(pr, notes, this.stamp), this.stamp);
      if (outcome !== 'stale') return outcome;
      await this.ledger.refresh(pr);
      const stamp = newest(this.stamp, comment.current?.stamp);
      return await comment.write(await this.body(pr, notes, stamp), stamp);
    } catch (error) {
      if (!isNotFound(error)) throw error;
      // The comment is gone (deleted by hand, or folded into another job's as its duplicate):
      // write the one that is left, or a new one.
      await this.ledger.refresh(pr, true);
      return comment.write(await this.body(pr, notes, this.stamp), this.stamp);
    }
  }

  private async body(pr: number, notes: Notes, stamp: RunStamp): Promise<string> {
    const releases = [...(await this.ledger.releasesOf(pr)).values()];
    const skipped = this.ledger.shared(pr) ? this.keptNotes(pr, notes.skipped) : notes.skipped;
    return this.fit({ ...notes, skipped, releases }, releases, stamp);
  }

  /**
   * On a shared comment, the other jobs' lines (queued, skipped) as the comment last read holds
   * them, for the models this run said nothing of, then this run's own.
   */
  private keptNotes(pr: number, mine: RunResult['skipped']): RunResult['skipped'] {
    const said = new Set([...mine, ...this.ledger.savedReleases(pr)].map((x) => x.model));
    const held = storedNotes.safeParse(this.ledger.commentFor(pr).current?.data);
    const theirs = held.success ? held.data.skipped.filter((s) => !said.has(s.model)) : [];
    return [...theirs, ...mine];
  }

  /** The full report if it fits, else without details, else cut; the decision always stays. */
  private fit(result: RunResult, releases: Release[], stamp: RunStamp): string {
    const data = {
      releases: Object.fromEntries(releases.map((r) => [r.model, r])),
      skipped: result.skipped,
    };
    const full = composeBody(this.render(result, false), stamp, data);
    if (full.length <= COMMENT_LIMIT) return full;
    const compact = composeBody(this.render(result, true), stamp, data);
    if (compact.length <= COMMENT_LIMIT) return compact;
    const note = '\n\n… report shortened to fit a GitHub comment; the job summary has all of it.\n';
    return compact.slice(0, COMMENT_LIMIT - note.length) + note;
  }
}

const signatureOf = (releases: Release[]) =>
  JSON.stringify(releases.map((r) => [r.model, r.status, r.phase, r.to]));
