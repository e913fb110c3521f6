import { SANDBOX_USER_COUNTS } from '../config/strategy-gates.js';
import type { GateConfig } from '../config/types.js';

/** What a conversion gate's counts are of, as every text showing them names it (`1,234 users`). */
export type ConversionUnit = 'users' | 'exposures';

/**
 * `users` for a conversion gate whose exposures query is one of the sandbox's counts of users
 * (those a key-split A/B on the sandbox must count), else `exposures`: a reviewer
 * reading "1,234 exposures" for 1,234 users misreads the evidence. Another source's query may
 * count users too, but what it counts cannot be read from it (docs/judges.md): it keeps the
 * field's name.
 */
export function conversionUnit(config: GateConfig | undefined): ConversionUnit {
  return config?.kind === 'conversion' && SANDBOX_USER_COUNTS.exposures.includes(config.exposures)
    ? 'users'
    : 'exposures';
}
