import type { TrafficState } from '../../src/core/traffic.js';
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

/** A failing canary: the first step, then a rollback to the stable version only. */
export async function failingCanary(target: Target, from: string, to: string, weight = 10) {
  const seen: TrafficState[] = [];
  seen.push(await reconcile(target, step(from, to, weight)));
  seen.push(await reconcile(target, withdrawTraffic(from)));
  return seen;
}

/** Fast timing for stand-ins: they settle after one poll. */
export const FAST = { timeoutMs: 10_000, settleTimeoutMs: 2_000, pollIntervalMs: 10 };
