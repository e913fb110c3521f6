import type { AbStrategyConfig } from '../config/types.js';
import { candidateIdle, onlyCandidate, type Strategy } from './strategy.js';

/** A/B: users split by a sticky key, so each keeps one arm, until the gates decide. */
export function abStrategy(config: AbStrategyConfig): Strategy {
  return {
    phases: [
      {
        name: `A/B ${100 - config.split}/${config.split} by ${config.stickyHeader}`,
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
