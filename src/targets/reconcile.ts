import { TargetError } from '../core/errors.js';
import { describeTraffic, sameTraffic, type TrafficState } from '../core/traffic.js';
import type { Target } from './target.js';

/**
 * Ask the platform for `desired`, then read it back: a platform that silently did
 * something else is a failure, never a success.
 */
export async function reconcile(target: Target, desired: TrafficState): Promise<TrafficState> {
  await target.write(desired);
  const observed = await target.read();
  if (!sameTraffic(observed, desired)) {
    throw new TargetError(
      `${target.description} serves ${describeTraffic(observed)} after being asked for ${describeTraffic(desired)}`,
    );
  }
  return observed;
}

/** Withdraw the candidate: only `stable` keeps live traffic. */
export const withdrawTraffic = (stable: string): TrafficState => ({ stable: { version: stable } });
