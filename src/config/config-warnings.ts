import { wholeServiceWarnings } from './gate-queries.js';
import { perRequestUnitsWarnings } from './strategy-gates.js';
import type { Config } from './types.js';

/**
 * What a valid config does that the user likely did not mean, for the `models` given (default
 * all), one line each naming the field: said by validate, plan and the action, never refused.
 */
export const configWarnings = (config: Config, models = Object.keys(config.models)): string[] => [
  ...wholeServiceWarnings(config, models),
  ...perRequestUnitsWarnings(config, models),
];
