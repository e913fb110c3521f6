import type { ModelConfig } from '../config/types.js';
import type { TrafficState } from '../core/traffic.js';
import type { LedgerEntry } from '../ledger/ledger.js';
import { removesIdleVersions } from '../targets/retire-idle.js';
import type { Target } from '../targets/target.js';
import { blueKeptUntil } from './retire-blue.js';

/**
 * Blue-green's blue (the last promotion's `previous`) inside its rollback-window, as command status
 * finds it on the platform: the ledger alone cannot tell, since a later release's candidate takes
 * blue's slot, and anyone may remove it by hand.
 */
export interface BlueAtStatus {
  version: string;
  /** Deployed beside the version serving, without traffic: kept warm for a rollback. */
  deployed: boolean;
  /** The target, as its messages name it. */
  target: string;
  /**
   * A platform where model-gate takes a version at 0% off (retire-idle.ts): only the user's deploy
   * step puts blue back there, before a rollback to it can go through.
   */
  redeployFirst: boolean;
}

/**
 * Blue as `target` has it, read as `serving` (no candidate taking live traffic), while `model`'s
 * rollback-window after `last`, a promotion to the version serving, runs at `now`; else undefined.
 * A version at 0% reads as part of the traffic (canary at weight 0), except where the platform reads
 * it as absent once the run that set it is over: there it is asked (deployedAs). Its failure
 * (TargetError) is the caller's to say.
 */
export async function blueAtStatus(
  model: ModelConfig,
  target: Target,
  serving: TrafficState,
  last: LedgerEntry | undefined,
  now: number,
): Promise<BlueAtStatus | undefined> {
  if (last?.kind !== 'promotion' || serving.stable.version !== last.version) return undefined;
  const until = blueKeptUntil(model, last.at);
  if (until === undefined || now >= until) return undefined;
  const blue = last.previous;
  const redeployFirst = removesIdleVersions(target);
  const seen = { version: blue, target: target.description, redeployFirst };
  if (serving.canary?.version === blue) return { ...seen, deployed: true };
  const deployed = redeployFirst && (await target.deployedAs(blue)) !== undefined;
  return { ...seen, deployed };
}
