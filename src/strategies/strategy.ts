import type { SmokeConfig, StrategyConfig } from '../config/types.js';
import type { TrafficState } from '../core/traffic.js';
import { abStrategy } from './ab.js';
import { blueGreenStrategy } from './blue-green.js';
import { canaryStrategy, linearStrategy } from './canary.js';
import { rollingStrategy } from './rolling.js';
import { shadowStrategy } from './shadow.js';

/** A phase of a release: the traffic the candidate gets while the gates watch it. */
export interface Phase {
  name: string;
  /** The candidate's share of live traffic, percent (0 for a shadow), for reports and split-aware judges. */
  weight: number;
  /** Where the candidate's metrics are: the canary slot, or the shadow slot of a mirror. */
  candidateSlot: 'canary' | 'shadow';
  /** The phase lasts at least this long even when the gates pass sooner (a bake, a shadow run). */
  holdMs?: number;
  /** A smoke phase: judged by synthetic requests straight to the candidate, not by the gates. */
  smoke?: SmokeConfig;
  traffic(stable: string, candidate: string): TrafficState;
}

/** A strategy turns a release into phases, and says how a passed candidate waits and is promoted. */
export interface Strategy {
  phases: Phase[];
  /** After every phase passed, until the PR merges: deployed, no live traffic. */
  idle(stable: string, candidate: string): TrafficState;
  /** What `idle` means for a reader: `it serves no live traffic`. */
  idleNote: string;
  /** The candidate is the new stable version. */
  promoted(previous: string, candidate: string): TrafficState;
}

/** A phase's traffic in words, for logs and reasons: `25% of live traffic`, or `no live traffic`. */
export const liveTrafficText = (weight: number): string =>
  weight > 0 ? `${weight}% of live traffic` : 'no live traffic';

export const candidateIdle = (stable: string, candidate: string): TrafficState => ({
  stable: { version: stable },
  canary: { version: candidate, weight: 0 },
});

export const onlyCandidate = (_previous: string, candidate: string): TrafficState => ({
  stable: { version: candidate },
});

export function strategyOf(config: StrategyConfig): Strategy {
  switch (config.type) {
    case 'canary':
      return canaryStrategy(config);
    case 'linear':
      return linearStrategy(config);
    case 'blue-green':
      return blueGreenStrategy(config);
    case 'shadow':
      return shadowStrategy(config);
    case 'ab':
      return abStrategy(config);
    case 'rolling':
      return rollingStrategy(config);
  }
}

export const phasesOf = (config: StrategyConfig): Phase[] => strategyOf(config).phases;

/**
 * What a phase does, from its name alone (a stored record has only its name): the name without its
 * numbers (`step 2 of 3` → `step # of #`, `shadow 5% of requests` → `shadow #% of requests`), which
 * a new step count, shadow share or instance count keeps.
 */
export const phaseKind = (name: string): string => name.replace(/\d+(\.\d+)?/g, '#');
