import { TargetError } from '../core/errors.js';
import { sameTraffic, type TrafficState } from '../core/traffic.js';
import { type Ledger, sameRelease } from '../ledger/ledger.js';
import { liveTrafficText, type Strategy, strategyOf } from '../strategies/strategy.js';
import { reconcile } from '../targets/reconcile.js';
import type { Target } from '../targets/target.js';
import { withdrawingTarget } from './confirmed-change.js';
import type { ReleaseContext } from './context.js';
import { checkSameTarget } from './deployed-target.js';
import { hasLiveTraffic } from './finish.js';
import { readyReason } from './phase-notes.js';
import { restoreEnd } from './restore-end.js';
import type { Release } from './types.js';

// A release that passed every phase is recorded ready before the change that takes its candidate
// off its last phase's traffic (tick.ts passedAll). A run that stops in between (GitHub failing
// the read before the change, a lost runner) leaves the candidate on that traffic under a ready
// record, which no run drives: the record says so (`idlePending`), and the next run that reads it
// (a schedule tick, the job's post step) makes the change.

/** A ready release whose change to idle is not confirmed: its candidate may keep its last phase's traffic. */
export const idlePending = (r: Release): boolean => r.status === 'ready' && r.idlePending === true;

/** Whether taking `release` to idle changes its traffic (a rolling update's last batch already is its idle). */
export function idleChanges(strategy: Strategy, release: Release): boolean {
  const phase = strategy.phases[release.phase];
  return (
    !phase || !sameTraffic(phase.traffic(release.from, release.to), strategy.idle(release.from, release.to))
  );
}

/** The reason of a ready release, its change to idle pending (`true`) or confirmed. */
export function readyReasonOf(release: Release, strategy: Strategy, pending: boolean): string {
  const count = strategy.phases.length;
  if (!pending) return readyReason(release.to, release.phases, count, strategy.idleNote);
  const phase = strategy.phases[release.phase];
  const share = phase && phase.weight > 0 ? ` (${liveTrafficText(phase.weight)})` : '';
  const keeps = phase ? `the traffic of ${phase.name}${share}` : "its last phase's traffic";
  // True before and after the change: the report says from the mark whether it is confirmed, and the
  // commit status is posted again with the confirmed words (github-ledger.ts settled).
  return readyReason(release.to, release.phases, count, `it is being taken off ${keeps}, to wait`);
}

/**
 * Take `to` to the strategy's idle where the platform still gives it more beside its own stable
 * `from`. Another stable serving (a promotion, a rollback) is not this candidate's state to change:
 * `other`. Target errors propagate.
 */
export async function idleIfLive(
  target: Target,
  strategy: Strategy,
  from: string,
  to: string,
): Promise<{ done: 'idled' | 'idle' | 'other'; wrote?: TrafficState }> {
  const idle = strategy.idle(from, to);
  const serving = await target.read({ stable: from, candidate: to });
  if (serving.stable.version !== from) return { done: 'other' };
  if (!hasLiveTraffic(serving, to) || sameTraffic(serving, idle)) return { done: 'idle' };
  await reconcile(target, idle);
  return { done: 'idled', wrote: idle };
}

/**
 * Why `to` may still get live traffic after its change to idle did not take (`refused`: why);
 * `retries`: who tries again (`the next tick`).
 */
export const idleNotTaken = (to: string, refused: string, retries: string): string =>
  `${to} may still get live traffic: the change to idle after its analysis passed did not take: ${refused}; ${retries} tries again`;

/** The log line of a change to idle finished after its ready record (finishIdle). */
export const idleFinished = (to: string): string =>
  `${to} taken to idle, as its ready record said was pending`;

/** A finished change to idle: the release saved, another run's record (`theirs`), or why it failed. */
export interface IdleOutcome {
  release: Release;
  theirs?: true;
  refused?: string;
}

/**
 * Finish the change to idle of a ready release recorded before it (`idlePending`), and save the
 * release without the mark. A record another run changed since `release` was read (a promotion,
 * an end, a new push) stands: returned as it is, and a change of this run's that landed after it
 * is undone; another stable found serving (a promotion not recorded yet) leaves the record unsaved.
 * A refused change leaves the release as it was, saying why (`refused`). One deployed on another
 * target than `ctx`'s is left as it was too, and a ConfigError says so.
 */
export async function finishIdle(
  release: Release,
  ctx: ReleaseContext,
  ledger: Ledger,
): Promise<IdleOutcome> {
  if (!idlePending(release)) return { release };
  // Deployed on another target than this run's: its candidate's traffic there is not changed here,
  // and no change to idle is recorded (deployed-target.ts).
  checkSameTarget(release, ctx.target);
  const before = await ledger.endedElsewhere?.(release, true);
  if (before) return { release: before, theirs: true };
  const strategy = strategyOf(ctx.config.strategy);
  try {
    // Taking the candidate's live traffic away, read back patiently as a withdrawal is.
    const idled = await idleIfLive(withdrawingTarget(ctx), strategy, release.from, release.to);
    const { wrote } = idled;
    // Another stable serving: another run promoted or rolled back meanwhile. Its record stands (or
    // is on its way): saving this one `ready` over it would say the candidate waits while it serves.
    if (idled.done === 'other') return await leftToOthers(release, ledger);
    // Checked again: a promotion or an end recorded between the check and the change stands.
    const late = wrote && (await ledger.endedElsewhere?.(release, true));
    if (wrote && late) return await putBackTheirs(ctx, wrote, release, late);
  } catch (err) {
    if (!(err instanceof TargetError)) throw err;
    return { release, refused: err.message };
  }
  const { idlePending: _, ...rest } = release;
  const done: Release = {
    ...rest,
    updatedAt: ctx.clock.now(),
    reason: readyReasonOf(release, strategy, false),
  };
  await ledger.saveRelease(done);
  return { release: done };
}

/**
 * `release` found with another stable serving: the record as another run saved it since (theirs),
 * or, not saved yet (a promotion between its change and its record), `release` unsaved, its change
 * to idle still pending for the next run to look at again.
 */
async function leftToOthers(release: Release, ledger: Ledger): Promise<IdleOutcome> {
  const theirs = await ledger.endedElsewhere?.(release, true);
  return theirs ? { release: theirs, theirs: true } : { release };
}

/**
 * After this run took `driven`'s candidate to idle (`wrote`) while another run promoted or ended it:
 * serve again what that run's record says, where the platform still shows this run's change.
 */
async function putBackTheirs(
  ctx: ReleaseContext,
  wrote: TrafficState,
  driven: Release,
  theirs: Release,
): Promise<IdleOutcome> {
  if (!sameRelease(theirs, driven) || theirs.status === 'analysing' || theirs.status === 'ready')
    return { release: theirs, theirs: true };
  try {
    await restoreEnd(ctx, wrote, driven, theirs);
  } catch (err) {
    if (!(err instanceof TargetError)) throw err;
    const refused = `another run ${theirs.status === 'promoted' ? 'promoted' : 'ended'} ${driven.to} while this run took it to idle, and putting back what that run left serving failed: ${err.message}; run that command again`;
    return { release: theirs, theirs: true, refused };
  }
  return { release: theirs, theirs: true };
}
