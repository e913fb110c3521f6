import type { TrafficState } from '../../src/core/traffic.js';
import { abStrategy } from '../../src/strategies/ab.js';
import { blueGreenStrategy } from '../../src/strategies/blue-green.js';
import { shadowStrategy } from '../../src/strategies/shadow.js';
import { reconcile, withdrawTraffic } from '../../src/targets/reconcile.js';
import type { Target } from '../../src/targets/target.js';

/** What the engine asks a target for during a canary of `to` over `from`. */
export const step = (from: string, to: string, weight: number): TrafficState => ({
  stable: { version: from },
  canary: { version: to, weight },
});

/**
 * A passing canary as the engine drives it: each step, then the candidate kept with 0% until
 * the PR merges, then promoted. Returns what was read back after each change.
 */
export async function passingCanary(target: Target, from: string, to: string, steps = [10, 50]) {
  const seen: TrafficState[] = [];
  for (const weight of steps) seen.push(await reconcile(target, step(from, to, weight)));
  seen.push(await reconcile(target, step(from, to, 0)));
  seen.push(await reconcile(target, withdrawTraffic(to)));
  return seen;
}

/** A failing release: its first state, then a rollback to the stable version only. */
async function failingRelease(target: Target, first: TrafficState) {
  return [await reconcile(target, first), await reconcile(target, withdrawTraffic(first.stable.version))];
}

/** A failing canary: the first step, then a rollback to the stable version only. */
export const failingCanary = (target: Target, from: string, to: string, weight = 10) =>
  failingRelease(target, step(from, to, weight));

/** The states the shadow strategy asks for: its one phase, idle until the merge, promoted. */
export function shadowStates(from: string, to: string, share: number) {
  const strategy = shadowStrategy({
    type: 'shadow',
    share,
    durationMs: 3_600_000,
    stepDurationMs: 3_600_000,
    minRequests: 100,
    intervalMs: 60_000,
  });
  const [phase] = strategy.phases;
  if (!phase) throw new Error('the shadow strategy has no phase');
  return {
    phase: phase.traffic(from, to),
    idle: strategy.idle(from, to),
    promoted: strategy.promoted(from, to),
  };
}

/** What the engine asks for while `to` shadows `from` with `share` percent of live requests. */
export const mirrorOf = (from: string, to: string, share: number): TrafficState =>
  shadowStates(from, to, share).phase;

/** A passing shadow as the engine drives it: mirrored, then idle until the merge, then promoted. */
export async function passingShadow(target: Target, from: string, to: string, share = 10) {
  const states = shadowStates(from, to, share);
  const seen: TrafficState[] = [];
  for (const state of [states.phase, states.idle, states.promoted]) seen.push(await reconcile(target, state));
  return seen;
}

/** A failing shadow: mirrored, then a rollback to the stable version only. */
export const failingShadow = (target: Target, from: string, to: string, share = 10) =>
  failingRelease(target, mirrorOf(from, to, share));

/**
 * A shadow phase the platform does not reach (it loses the mirror), then the rollback the
 * engine makes: the phase's error and what the rollback read back.
 */
export async function unreachedShadow(target: Target, from: string, to: string, share = 10) {
  const error = await reconcile(target, mirrorOf(from, to, share)).then(
    () => undefined,
    (err: unknown) => err,
  );
  return { error, rolledBack: await reconcile(target, withdrawTraffic(from)) };
}

/**
 * A passing blue-green as the engine drives it: green deployed idle for the smoke test, the
 * bake with all live traffic, idle again until the PR merges, then promoted with blue kept
 * deployed without traffic for the rollback window.
 */
export async function passingBlueGreen(target: Target, blue: string, green: string) {
  const strategy = blueGreenStrategy({
    type: 'blue-green',
    bakeDurationMs: 600_000,
    rollbackWindowMs: 3_600_000,
    stepDurationMs: 600_000,
    minRequests: 100,
    intervalMs: 60_000,
  });
  const bake = strategy.phases.at(-1);
  if (!bake) throw new Error('the blue-green strategy has no phase');
  const states = [
    strategy.idle(blue, green),
    bake.traffic(blue, green),
    strategy.idle(blue, green),
    strategy.promoted(blue, green),
  ];
  const seen: TrafficState[] = [];
  for (const state of states) seen.push(await reconcile(target, state));
  return seen;
}

/**
 * A passing A/B as the engine drives it: its one phase (`split` percent of users on the candidate,
 * sticky by x-user-id), idle until the merge, then promoted. Returns what was read back.
 */
export async function passingAb(target: Target, from: string, to: string, split = 50) {
  const strategy = abStrategy({
    type: 'ab',
    split,
    stickyHeader: 'x-user-id',
    stepDurationMs: 3_600_000,
    minRequests: 100,
    intervalMs: 60_000,
  });
  const [phase] = strategy.phases;
  if (!phase) throw new Error('the ab strategy has no phase');
  const seen: TrafficState[] = [];
  for (const state of [phase.traffic(from, to), strategy.idle(from, to), strategy.promoted(from, to)]) {
    seen.push(await reconcile(target, state));
  }
  return seen;
}

/** Fast timing for stand-ins: they settle after one poll. */
export const FAST = { timeoutMs: 10_000, settleTimeoutMs: 2_000, pollIntervalMs: 10 };
