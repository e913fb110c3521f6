import type { CanaryStrategyConfig } from '../config/types.js';
import type { Phase } from './strategy.js';

/** Canary: the candidate gets each configured percentage of live traffic in turn. */
export function canaryPhases(strategy: CanaryStrategyConfig): Phase[] {
  const n = strategy.steps.length;
  return strategy.steps.map((weight, i) => ({ name: `step ${i + 1} of ${n}`, weight }));
}
