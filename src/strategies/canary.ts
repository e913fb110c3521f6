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

/**
 * Shares of traffic carry at most 9 decimals (`"0.000000001%"`, src/config/strategy-schema.ts):
 * linear steps are counted in those units, so step i is exactly i x step-size, with no float
 * drift (0.30000000000000004) and no rounding that turns 0.125% steps into 0.13, 0.25, 0.38.
 */
const UNITS_PER_PERCENT = 1e9;

const units = (percent: number) => Math.round(percent * UNITS_PER_PERCENT);

/** 100 minus a candidate's share, in those units: 100 - 8.04 is 91.96, not 91.96000000000001. */
export const stableShare = (candidate: number): number => (units(100) - units(candidate)) / UNITS_PER_PERCENT;

/** Linear's step-size 1 up to 100: more steps are a config slip (a step-size in the wrong unit), not a plan. */
export const MAX_LINEAR_STEPS = 100;

/** How many steps step-size makes up to max-weight, the last one partial. */
export const linearStepCount = (stepSize: number, maxWeight: number): number =>
  Math.ceil(units(maxWeight) / Math.max(1, units(stepSize)));

/** True when max-weight is a whole number of step-sizes, at the precision shares are written in. */
export function dividesEvenly(stepSize: number, maxWeight: number): boolean {
  const size = units(stepSize);
  return size >= 1 && units(maxWeight) % size === 0;
}

/** step-size, 2 x step-size, ... below max-weight, then max-weight: each more than the last. */
export function linearSteps(stepSize: number, maxWeight: number): number[] {
  const size = units(stepSize);
  // Never so from a validated config (a step-size is at least 1, or text with at most 9
  // decimals); without this check the loop would never end.
  if (size < 1) throw new Error(`linear step-size ${stepSize} is below the smallest share, 0.000000001%`);
  const max = units(maxWeight);
  const steps: number[] = [];
  // units / 1e9 is the number nearest the decimal, as if parsed from text: 3 x 0.1 gives 0.3.
  for (let at = size; at < max; at += size) steps.push(at / UNITS_PER_PERCENT);
  steps.push(maxWeight);
  return steps;
}

/** Linear: a canary whose steps are step-size, 2 x step-size, ... up to max-weight. */
export function linearStrategy(config: LinearStrategyConfig): Strategy {
  return canaryStrategy({ steps: linearSteps(config.stepSize, config.maxWeight) });
}
