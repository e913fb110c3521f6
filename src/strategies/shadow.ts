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
    // Followed by ' until the PR is merged' (phase-notes.ts readyReason): the merge promotes it, not mirrors it again.
    idleNote: 'it is no longer mirrored; merging the PR promotes it to all live traffic, and it serves none',
    idle: (stable, candidate) => ({ stable: { version: stable }, mirror: { version: candidate, share: 0 } }),
    promoted: onlyCandidate,
  };
}
