import type { Config } from '../config/types.js';
import { redact } from '../core/redact.js';
import { sameRelease } from '../ledger/ledger.js';
import { reportIt, stoppedOn } from './defects.js';
import { announceEnd, endThenWithdraw } from './finish.js';
import { contextFor, type Ports } from './ports.js';
import type { Release } from './types.js';

// A schedule tick's defects (schedule.ts; defects.ts tells them apart): errors of no class
// model-gate knows, met in one model's part of the tick. No post step follows a tick, so the tick
// itself leaves that model safe, goes on with the others, and fails the run at the end.

// post.ts still imports these from here (another helper's file): they live in defects.ts.

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
  return now && sameRelease(now, release) ? now : undefined;
}

/** Whether `record` is a failed release whose rollback `stopped` (stoppedOn) kept from taking (rollBack). */
const rollbackStoppedBy = (record: Release, stopped: string): boolean =>
  record.status === 'failed' &&
  record.withdrawPending === true &&
  record.ending?.withdrawFailed?.note === reportIt(stopped);
