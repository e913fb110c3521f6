import type { AbStrategyConfig } from '../config/types.js';
import { stableShare } from './canary.js';
import { candidateIdle, onlyCandidate, type Strategy } from './strategy.js';

/**
 * `91.96/8.04`: stable's share and the candidate's, so that 100 - 8.04 reads 91.96, not
 * 91.96000000000001 (in the phase name the ledger keeps, and in messages).
 */
export const abSplitText = (split: number): string => `${stableShare(split)}/${split}`;

/** A/B: users split by a sticky key, so each keeps one arm, until the gates decide. */
export function abStrategy(config: AbStrategyConfig): Strategy {
  return {
    phases: [
      {
        name: `A/B ${abSplitText(config.split)} by ${config.stickyHeader}`,
        weight: config.split,
        candidateSlot: 'canary',
        traffic: (stable, candidate) => ({
          stable: { version: stable },
          canary: { version: candidate, weight: config.split },
          sticky: { header: config.stickyHeader },
        }),
      },
    ],
    idleNote: 'it serves no live traffic',
    idle: candidateIdle,
    promoted: onlyCandidate,
  };
}
