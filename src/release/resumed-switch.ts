import { TargetError } from '../core/errors.js';
import { sameTraffic } from '../core/traffic.js';
import { type Phase, phasesOf } from '../strategies/strategy.js';
import { withdrawTraffic } from '../targets/reconcile.js';
import type { TickContext } from './tick.js';
import type { Release } from './types.js';

/**
 * When a phase the platform already serves, its candidate with live traffic, was switched to at the
 * earliest: after the record the run that switched it saved last (`recordedAt`). Undefined when the
 * platform serves something else (the switch is this run's), or its read fails (this run's write
 * and read-back then meet the failure).
 */
export async function servedAlready(
  release: Release,
  phase: Phase,
  recordedAt: number,
  ctx: TickContext,
): Promise<number | undefined> {
  if (phase.weight <= 0 || recordedAt >= ctx.clock.now()) return undefined;
  try {
    const serving = await ctx.target.read({ stable: release.from, candidate: release.to });
    return sameTraffic(serving, phase.traffic(release.from, release.to)) ? recordedAt : undefined;
  } catch (err) {
    if (err instanceof TargetError) return undefined;
    throw err;
  }
}

/** The phase's switch where its record starts before its looks do (enterPhase: servedAlready). */
export function switchedAt(release: Release, phase: Phase | undefined): number | undefined {
  const record = release.phases.at(-1);
  if (!record || record.name !== phase?.name || record.endedAt !== undefined) return undefined;
  return record.startedAt < release.phaseStartedAt ? record.startedAt : undefined;
}

/**
 * Whether a switch that failed left the platform as it was: a read finds the record's phase's traffic
 * (the stable version alone before the first), so the report may say the share kept beside the one
 * asked (PhaseRecord.switchFailed). False where it may have half taken (green given 100%, then a
 * time-out), or the read fails: the record then says only that the switch failed.
 */
export async function switchLeftNothing(release: Release, ctx: TickContext): Promise<boolean> {
  const before = phasesOf(ctx.config.strategy)[release.phase];
  const kept =
    release.phase < 0 || !before ? withdrawTraffic(release.from) : before.traffic(release.from, release.to);
  try {
    return sameTraffic(await ctx.target.read({ stable: release.from, candidate: release.to }), kept);
  } catch (err) {
    if (err instanceof TargetError) return false;
    throw err;
  }
}
