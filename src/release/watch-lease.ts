import type { Release } from './types.js';

// A job in watch mode holds a lease on the releases it drives: schedule ticks leave them to it
// while the lease runs, whatever the platform shows (schedule.ts). The job renews it as it
// watches, so a job lost without clearing it (runner lost, job timeout, a post step that could not
// reach GitHub) holds the release at most one lease's length: then a tick takes over.

/** Beyond the looks a lease covers: the job's slowest look (a traffic change a platform takes a while to confirm) and save. */
export const LEASE_MARGIN_MS = 5 * 60_000;
/** The shortest lease, before the margin: a model looked at often still gets time for a slow look or two. */
const MIN_LEASE_MS = 15 * 60_000;

/** How long a lease runs from its renewal, for a model looked at every `intervalMs`: three looks at least. */
export function leaseLengthMs(intervalMs: number): number {
  return Math.max(MIN_LEASE_MS, 3 * intervalMs) + LEASE_MARGIN_MS;
}

/**
 * The leases one watch-mode run holds, by the index of the release it drives. A lease is renewed
 * only once less than half of it is left, at least 10 minutes before it ends: the PR comment, which
 * the job rewrites at least every 5 minutes (comment-publisher.ts), carries it before then. None
 * ends after `end`: the run's max-wait and the margin, when it stops watching anyway.
 */
export class RunLeases {
  private readonly held = new Map<number, number>();
  constructor(private readonly end: number) {}

  /** The lease to record on release `i` at `now`. */
  renew(i: number, now: number, intervalMs: number): number {
    const length = leaseLengthMs(intervalMs);
    const held = this.held.get(i);
    if (held !== undefined && held - now >= length / 2) return held;
    const until = Math.min(now + length, this.end);
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
