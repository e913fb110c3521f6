import type { BlueGreenStrategyConfig } from '../config/types.js';
import { candidateIdle, type Strategy } from './strategy.js';

/**
 * Blue-green: green (the candidate) takes all live traffic in one call and bakes under the
 * gates; once promoted, blue stays deployed without traffic so a rollback is one call.
 */
export function blueGreenStrategy(config: BlueGreenStrategyConfig): Strategy {
  return {
    phases: [
      {
        name: 'bake on green',
        weight: 100,
        candidateSlot: 'canary',
        holdMs: config.bakeDurationMs,
        traffic: (blue, green) => ({ stable: { version: blue }, canary: { version: green, weight: 100 } }),
      },
    ],
    idleNote: 'it serves no live traffic',
    idle: candidateIdle,
    promoted: (blue, green) => ({ stable: { version: green }, canary: { version: blue, weight: 0 } }),
  };
}
