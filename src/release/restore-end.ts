import { sameTraffic, type TrafficState } from '../core/traffic.js';
import { sameRelease } from '../ledger/ledger.js';
import { strategyOf } from '../strategies/strategy.js';
import { reconcile, withdrawTraffic } from '../targets/reconcile.js';
import { withdrawingTarget } from './confirmed-change.js';
import type { ReleaseContext } from './context.js';
import { servesAfterEnd } from './finish.js';
import type { Release } from './types.js';

/**
 * After this run `wrote` while `theirs`, another run, ended the release it drives: serve again what
 * that run's record says serves, over this run's write only. Safe whatever the order:
 * - their change came before this write (the race): the platform shows this write, replaced by theirs;
 * - their change comes after this undo: both ask for the same state, so the last one changes nothing
 *   and their read-back holds (a rollback to v3 is recorded as `ending.serves`, not `from`);
 * - their change came between this write and this undo: the platform no longer shows this write, and
 *   is left alone; so is a newer release's candidate deployed meanwhile;
 * - their change failed (the record says withdrawing failed, no rollback made): `from` serves, the
 *   candidate withdrawn, as the next run's retry (retryWithdrawal) would leave it;
 * - a newer release (a new push) or a run that moved this one on: their candidate and traffic are
 *   their run's to drive, never withdrawn here.
 * Used by the watch's guarded traffic changes (watch.ts) and a finished change to idle (pending-idle.ts).
 * Target errors propagate.
 */
export async function restoreEnd(
  ctx: ReleaseContext,
  wrote: TrafficState,
  driven: Release,
  theirs: Release,
): Promise<void> {
  if (!sameRelease(theirs, driven) || theirs.status === 'analysing') return;
  const strategy = strategyOf(ctx.config.strategy);
  const serves =
    theirs.status === 'promoted'
      ? strategy.promoted(theirs.from, theirs.to)
      : theirs.status === 'ready'
        ? strategy.idle(theirs.from, theirs.to)
        : withdrawTraffic(servesAfterEnd(theirs));
  const known = { stable: driven.from, candidate: driven.to, others: [serves.stable.version] };
  // What that run's record says serves (its rollback) is put back as any withdrawal is: read back patiently.
  if (sameTraffic(await ctx.target.read(known), wrote)) await reconcile(withdrawingTarget(ctx), serves);
}
