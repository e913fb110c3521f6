import type { StrategyConfig } from '../config/types.js';
import { canaryPhases } from './canary.js';

/** A phase of a strategy: how much live traffic the candidate gets while the gates watch. */
export interface Phase {
  name: string;
  weight: number;
}

export function phasesOf(strategy: StrategyConfig): Phase[] {
  switch (strategy.type) {
    case 'canary':
      return canaryPhases(strategy);
  }
}
