import type { ShadowStrategyConfig } from '../config/types.js';
import { onlyCandidate, type Strategy } from './strategy.js';

/** Shadow: a copy of `share` percent of live requests goes to the candidate; callers never see its answers. */
export function shadowStrategy(config: ShadowStrategyConfig): Strategy {
  return {
    phases: [
      {
        name: `shadow ${config.share}% of requests`,
        weight: 0,
        candidateSlot: 'shadow',
        holdMs: config.durationMs,
        traffic: (stable, candidate) => ({
          stable: { version: stable },
          mirror: { version: candidate, share: config.share },
        }),
      },
    ],
    idleNote: 'it is no longer mirrored',
    idle: (stable, candidate) => ({ stable: { version: stable }, mirror: { version: candidate, share: 0 } }),
    promoted: onlyCandidate,
  };
}
