import { atFullTraffic, isSideBySide } from '../release/full-traffic.js';
import { phasesOf } from '../strategies/strategy.js';
import { wholeServiceWarnings } from './gate-queries.js';
import { formatPath } from './messages.js';
import { perRequestUnitsWarnings } from './strategy-gates.js';
import type { Config, ModelConfig } from './types.js';

/**
 * What a valid config does that the user likely did not mean, for the `models` given (default
 * all), one line each naming the field: said by validate, plan and the action, never refused.
 */
export const configWarnings = (config: Config, models = Object.keys(config.models)): string[] => [
  ...wholeServiceWarnings(config, models),
  ...perRequestUnitsWarnings(config, models),
  ...unwatchedFullTrafficWarnings(config, models),
];

/**
 * A later phase at 100% of live traffic (a canary's 100% step, a rolling release's last batch)
 * whose gates all compare with stable: stable serves nothing beside it, so each keeps the pass of
 * the phase before and the phase passes on entry, its min-requests and step-duration never
 * applying (docs/configuration.md). A threshold or webhook gate still judges it there.
 */
function unwatchedFullTrafficWarnings(config: Config, models: string[]): string[] {
  return models.flatMap((name) => {
    const model = config.models[name];
    // Offline gates are judged before the deploy, in no phase.
    const judged = model?.gates.filter((gate) => gate.kind !== 'offline') ?? [];
    if (!model || judged.length === 0 || !judged.every(isSideBySide)) return [];
    const phases = phasesOf(model.strategy);
    // A first phase at 100% is refused instead (checkFirstPhaseFull): no earlier pass to keep.
    const index = phases.findIndex((phase, i) => i > 0 && atFullTraffic(phase));
    if (index < 0) return [];
    const { field, what } = fullTrafficPhase(model, index);
    return [
      `${formatPath(['models', name, 'strategy', ...field])}: ${what} passes on entry with only side-by-side gates (stable serves nothing to compare); add a threshold or webhook gate to watch it`,
    ];
  });
}

/** The field that puts phase `index` at 100% of traffic, and what the user calls that phase. */
function fullTrafficPhase(model: ModelConfig, index: number): { field: (string | number)[]; what: string } {
  switch (model.strategy.type) {
    case 'canary':
      return { field: ['steps', index], what: 'the 100% step' };
    case 'linear':
      return { field: ['max-weight'], what: 'the 100% step' };
    case 'rolling':
      return { field: [], what: `the last batch (all ${model.strategy.instances} instances)` };
    default:
      return { field: [], what: 'the phase at 100% of traffic' };
  }
}
