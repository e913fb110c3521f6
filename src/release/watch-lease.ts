import type { Release } from './types.js';

/**
 * A job in watch mode holds a lease on the releases it drives, until its start plus max-wait and
 * this margin: its last look (a traffic change a platform takes a while to confirm) and save.
 * A job lost without clearing it (runner lost, job timeout) holds it at most that long: schedule
 * ticks take the release over once it has ended.
 */
export const LEASE_MARGIN_MS = 5 * 60_000;

/**
 * The release as a run records it: under the lease `until` while it is analysing, else with none.
 * A one-pass run (`until` undefined: a tick, or the PR's own job in tick mode) clears the lease
 * of a job lost before it: a tick drives only a release whose lease has ended, and a PR's job
 * is in the lost job's concurrency group, so that job no longer runs.
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
