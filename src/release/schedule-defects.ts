import type { Config } from '../config/types.js';
import { ModelGateError } from '../core/errors.js';
import { redact } from '../core/redact.js';
import { announceEnd, endThenWithdraw } from './finish.js';
import { contextFor, type Ports } from './ports.js';
import type { Release } from './types.js';

// A schedule tick's defects (schedule.ts): errors of no class model-gate knows, met in one model's
// part of the tick. No post step follows a tick, so the tick itself leaves that model safe, goes on
// with the others, and fails the run at the end.

/** `err` as an Error kept in `defects` when it is a defect (isDefect), else undefined. */
export function defectOf(err: unknown, defects: Error[]): Error | undefined {
  if (!isDefect(err)) return undefined;
  const defect = err instanceof Error ? err : new Error(String(err));
  defects.push(defect);
  return defect;
}

/**
 * What a defect's report begins with, saying `when` it was met where the release's own words do not;
 * secrets masked: the record and the PR comment go to GitHub's API as they are, the runner masks only the log.
 */
export const stoppedOn = (defect: Error, when?: string) =>
  redact(`model-gate stopped on an unexpected error${when ? ` ${when}` : ''}: ${defect.message}`);
export const reportIt = (what: string) => `${what}; please report it`;

/**
 * A defect in model-gate: neither one of its failure classes (ModelGateError: a platform, metrics,
 * ledger or input failure, each handled where it is met) nor an answer of GitHub's API (an outage,
 * a rate limit: the next tick resumes the release). GitHub's answer told as isGitHubError tells it,
 * not imported: its module loads the GitHub client, which the engine does not.
 */
const isDefect = (err: unknown): boolean => {
  const answer = err as { status?: unknown; request?: unknown } | undefined;
  const fromGitHub = typeof answer?.status === 'number' && typeof answer.request === 'object';
  return !(err instanceof ModelGateError) && !fromGitHub;
};

/**
 * End `release` as aborted after `defect` stopped its tick, its candidate withdrawn, the end
 * recorded first (endThenWithdraw): should this run stop too, the next tick finishes the
 * withdrawal. A record another run changed meanwhile (its end, its step) stands, and so does an
 * end already recorded (its withdrawal pending: the next tick tries it again), this run's own
 * included: a rollback or a retried withdrawal the defect stopped. Returns the release as recorded;
 * where recording fails too, as it was (the run fails on the defect either way).
 */
export async function stopOnDefect(
  config: Config,
  release: Release,
  defect: Error,
  ports: Ports,
): Promise<Release> {
  const stopped = stoppedOn(defect);
  const model = config.models[release.model];
  if (!model || release.status !== 'analysing') {
    // Its record as this run left it: a retried withdrawal the defect stopped may have said so.
    const now = (await recordedNow(release, ports).catch(() => undefined)) ?? release;
    const left = now.withdrawPending
      ? `; ${now.to} may still get live traffic: the next run tries again`
      : '';
    ports.log.warn(`${release.model}: ${reportIt(`${stopped}${left}`)}`);
    return now;
  }
  try {
    // This run's rollback met the defect (tick.ts rollBack), and recorded so: its record says it all.
    const own = await recordedNow(release, ports);
    if (own && rollbackStoppedBy(own, stopped)) {
      ports.log.warn(`${release.model}: ${own.reason}`);
      return own;
    }
    const theirs = await ports.ledger.endedElsewhere?.(release, true);
    if (theirs) {
      ports.log.warn(
        `${release.model}: ${reportIt(`${stopped}; another run has moved the release on since`)}`,
      );
      return theirs;
    }
    const end = { status: 'aborted' as const, why: reportIt(`${stopped}; ${release.to} withdrawn`) };
    const ctx = contextFor(model, ports);
    const { release: ended } = await endThenWithdraw(release, end, ctx, ports.ledger, announceEnd(ports));
    ports.log.warn(`${release.model}: ${ended.reason}`);
    return ended;
  } catch (err) {
    const failed = `ending the release failed too (${(err as Error).message}): ${release.to} may still get live traffic`;
    ports.log.warn(redact(`${release.model}: ${reportIt(`${stopped}; ${failed}`)}`));
    return release;
  }
}

/**
 * The release's record as it is now, read again: this run's own writes included, which a ledger's
 * endedElsewhere leaves out (a GitHub ledger answers none for a record this run saved). Undefined
 * where the record is another release's (a new push's) or cannot be read again.
 */
async function recordedNow(release: Release, ports: Ports): Promise<Release | undefined> {
  const now = await ports.ledger.reread?.(release);
  return now?.startedAt === release.startedAt ? now : undefined;
}

/** Whether `record` is a failed release whose rollback `stopped` (stoppedOn) kept from taking (rollBack). */
const rollbackStoppedBy = (record: Release, stopped: string): boolean =>
  record.status === 'failed' &&
  record.withdrawPending === true &&
  record.ending?.withdrawFailed?.note === reportIt(stopped);
