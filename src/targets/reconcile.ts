import { TargetError } from '../core/errors.js';
import { describeTraffic, sameTraffic, type TrafficState } from '../core/traffic.js';
import { knownOf, type Target } from './target.js';

/**
 * Ask the platform for `desired`, then read it back: a platform that silently did
 * something else is a failure, never a success.
 */
export async function reconcile(target: Target, desired: TrafficState): Promise<TrafficState> {
  const asked = askableOf(target, desired);
  const readBack = await target.write(asked);
  // The versions asked for name the roles and the platform's names (a candidate at 100% is still one).
  const known = knownOf(asked);
  const observed = await (readBack ? readBack(known) : target.read(known));
  if (!sameTraffic(observed, asked)) {
    throw new TargetError(
      `${target.description} serves ${describeTraffic(observed)} after being asked for ${describeTraffic(asked)}`,
    );
  }
  return observed;
}

/**
 * What `target` is asked for and judged against. A platform that splits each request by weight
 * gets the weights of an A/B without its sticky key: it cannot route by one nor report one, and
 * keeping a user on one arm is the caller's business there (capabilities.ts, `pin`).
 */
function askableOf(target: Target, desired: TrafficState): TrafficState {
  if (target.stickySplit !== 'per-request' || !desired.sticky) return desired;
  const { sticky: _, ...weights } = desired;
  return weights;
}

/** Withdraw the candidate: only `stable` keeps live traffic. */
export const withdrawTraffic = (stable: string): TrafficState => ({ stable: { version: stable } });
