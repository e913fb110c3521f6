import type { ModelConfig } from '../config/types.js';
import { counted } from '../core/text.js';
import { phaseKind, phasesOf } from '../strategies/strategy.js';
import { phaseCount } from './plan-text.js';
import type { Release } from './types.js';

/**
 * What a release passed, for its promotion's summary: `2 canary steps`. Only the phases that
 * passed count, not one a config change withdrew. A release may have run under another config
 * than the merge's (a tick reads the default branch's): the strategy's words are the merge
 * config's only where every passed phase is of a kind that config has (its name without numbers:
 * `step # of #`), else plain `phases`, so a canary merged under a blue-green config did not pass
 * "blue-green phases". Canary and linear steps share a kind, so one is named as the other.
 */
export function passedPhases(model: ModelConfig, release: Release): string {
  const passed = release.phases.filter((p) => p.outcome === 'passed');
  const kinds = new Set(phasesOf(model.strategy).map((p) => phaseKind(p.name)));
  if (passed.every((p) => kinds.has(phaseKind(p.name)))) return phaseCount(model, passed.length);
  return counted(passed.length, 'phase');
}
