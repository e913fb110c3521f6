import type { ModelConfig } from '../config/types.js';
import type { Release } from './types.js';

// A job in watch mode holds a lease on the releases it drives: schedule ticks leave them to it
// while the lease runs, whatever the platform shows (schedule.ts). The job renews it as it
// watches, so a job lost without clearing it (runner lost, job timeout, a post step that could not
// reach GitHub) holds the release at most one lease's length: then a tick takes over.

/** Beyond a traffic change, what one look may take: its metrics queries, the save and the comment's write. */
const LOOK_MARGIN_MS = 5 * 60_000;
/** The least a lease runs past the next look: renewals (each a comment write) stay this far apart. */
const MIN_LEASE_MS = 15 * 60_000;

/**
 * The longest one look at `model` may take: a read of the platform and two traffic changes, each
 * up to its target's settle-timeout (a read retried while the platform is unavailable, a step-up it
 * never confirms, then the rollback: platform-cli.ts retries until the deadline), and the margin.
 */
export function slowestLookMs(model: ModelConfig): number {
  return ('settleTimeoutMs' in model.target ? 3 * model.target.settleTimeoutMs : 0) + LOOK_MARGIN_MS;
}

/**
 * The leases one watch-mode run holds, by the index of the release it drives. Between the ends of
 * two looks at a release come at most its `interval` (the run sleeps no longer) and one pass over
 * all the run's releases (`passMs`: each one's slowest look), so a lease still covering that is kept;
 * else it is renewed, to run max(15 min, 3 intervals) past it. None ends after `end`: the run's
 * max-wait and one pass, when it stops watching anyway. The run writes a renewed lease where other
 * runs read it (a PR's comment) at once.
 */
export class RunLeases {
  private readonly held = new Map<number, number>();
  constructor(
    private readonly end: number,
    private readonly passMs: number,
  ) {}

  /** The lease to record on release `i` at `now`, for a model looked at every `intervalMs`. */
  renew(i: number, now: number, intervalMs: number): number {
    const cover = intervalMs + this.passMs;
    const held = this.held.get(i);
    if (held !== undefined && held - now >= cover) return held;
    const until = Math.min(now + cover + Math.max(MIN_LEASE_MS, 3 * intervalMs), this.end);
    this.held.set(i, until);
    return until;
  }

  /** Whether `release`, at `i`, carries this run's lease (not one another run recorded since). */
  holds(i: number, release: Release): boolean {
    return release.watchedUntil !== undefined && release.watchedUntil === this.held.get(i);
  }
}

/**
 * The release as a run records it: under the lease `until` while it is analysing, else with none.
 * A one-pass run (`until` undefined: a tick, or the PR's own job in tick mode) clears the lease
 * of a job lost before it: a tick drives only a release whose lease has ended, and a PR's job is
 * in the lost job's concurrency group, so that job no longer runs.
 */
export function withLease(release: Release, until: number | undefined): Release {
  const { watchedUntil: _, ...rest } = release;
  return until !== undefined && release.status === 'analysing' ? { ...rest, watchedUntil: until } : rest;
}

/** Why a schedule tick leaves `release` alone at `now`: a running job watches it. Else undefined. */
export function leaseNote(release: Release, now: number): string | undefined {
  const until = release.watchedUntil;
  if (release.status !== 'analysing' || until === undefined || until <= now) return undefined;
  const job = release.pr === undefined ? 'a running job' : `the job of PR #${release.pr}`;
  return `${job} watches ${release.to} until ${new Date(until).toISOString().slice(11, 16)} UTC; this tick leaves it to that job`;
}
