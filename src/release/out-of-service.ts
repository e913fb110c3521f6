import type { ReleaseContext } from './context.js';
import { announceEnd, endThenWithdraw, retryWithdrawal } from './finish.js';
import { finishIdle, idlePending } from './pending-idle.js';
import type { Ports } from './ports.js';
import type { Release } from './types.js';

/** What taking a stopped run's candidate out of service did: the release as it is now, and what stopped it. */
export interface OutOfService {
  release: Release;
  /** A ready candidate's change to idle the platform refused: why. */
  idleRefused?: string;
  /** A bug in model-gate met retrying a pending withdrawal: the withdrawal is still pending, on record. */
  defect?: Error;
}

/**
 * Takes the candidate of `release` out of service, as a run that stopped leaves it (a cancelled job's
 * post step, a `model-gate run` stopped by a signal): a ready one's pending change to idle is
 * finished; a pending withdrawal is tried again and saved; an analysis is ended `aborted` with `why`,
 * the end recorded before the traffic change (endThenWithdraw). Each caller words the outcome.
 */
export async function takeOutOfService(
  release: Release,
  why: string,
  ctx: ReleaseContext,
  ports: Ports,
): Promise<OutOfService> {
  if (idlePending(release)) {
    const { release: idled, refused } = await finishIdle(release, ctx, ports.ledger);
    return { release: idled, ...(refused ? { idleRefused: refused } : {}) };
  }
  if (release.withdrawPending) {
    const retried = await retryWithdrawal(release, ctx, ports.ledger);
    await ports.ledger.saveRelease(retried.release);
    return { release: retried.release, ...(retried.defect ? { defect: retried.defect } : {}) };
  }
  const end = { status: 'aborted' as const, why };
  return { release: (await endThenWithdraw(release, end, ctx, ports.ledger, announceEnd(ports))).release };
}
