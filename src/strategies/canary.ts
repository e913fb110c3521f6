import type { CanaryStrategyConfig, LinearStrategyConfig } from '../config/types.js';
import { candidateIdle, onlyCandidate, type Phase, type Strategy } from './strategy.js';

/** Canary: the candidate gets each configured percentage of live traffic in turn. */
export function canaryStrategy(config: Pick<CanaryStrategyConfig, 'steps'>): Strategy {
  const n = config.steps.length;
  const phases: Phase[] = config.steps.map((weight, i) => ({
    name: `step ${i + 1} of ${n}`,
    weight,
    candidateSlot: 'canary',
    traffic: (stable, candidate) => ({ stable: { version: stable }, canary: { version: candidate, weight } }),
  }));
  return { phases, idle: candidateIdle, idleNote: 'it serves no live traffic', promoted: onlyCandidate };
}

/** Linear: a canary whose steps are step-size, 2 x step-size, ... up to max-weight. */
export function linearStrategy(config: LinearStrategyConfig): Strategy {
  const steps: number[] = [];
  for (let w = config.stepSize; w < config.maxWeight - 1e-9; w += config.stepSize)
    steps.push(Math.round(w * 100) / 100);
  steps.push(config.maxWeight);
  return canaryStrategy({ steps });
}
