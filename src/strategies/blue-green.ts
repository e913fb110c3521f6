import type { BlueGreenStrategyConfig } from '../config/types.js';
import { candidateIdle, type Phase, type Strategy } from './strategy.js';

/**
 * Blue-green: green (the candidate) is smoke-tested with synthetic requests while it serves no
 * live traffic (when `smoke:` is set), then takes all live traffic in one call and bakes under
 * the gates; once promoted, blue stays deployed without traffic so a rollback is one call,
 * until the first schedule tick after `rollback-window` sets green alone (release/retire-blue.ts).
 */
export function blueGreenStrategy(config: BlueGreenStrategyConfig): Strategy {
  const bake: Phase = {
    name: 'bake on green',
    weight: 100,
    candidateSlot: 'canary',
    holdMs: config.bakeDurationMs,
    traffic: (blue, green) => ({ stable: { version: blue }, canary: { version: green, weight: 100 } }),
  };
  const smoke: Phase[] = config.smoke
    ? [
        {
          name: 'smoke on green',
          weight: 0,
          candidateSlot: 'canary',
          smoke: config.smoke,
          traffic: candidateIdle,
        },
      ]
    : [];
  return {
    phases: [...smoke, bake],
    idleNote: 'it serves no live traffic',
    idle: candidateIdle,
    promoted: (blue, green) => ({ stable: { version: green }, canary: { version: blue, weight: 0 } }),
  };
}
