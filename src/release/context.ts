import type { ModelConfig } from '../config/types.js';
import type { Clock } from '../core/clock.js';
import type { MetricSource } from '../metrics/source.js';
import type { Target } from '../targets/target.js';

/** Everything a release step touches outside its own state. */
export interface ReleaseContext {
  config: ModelConfig;
  target: Target;
  metrics: MetricSource;
  clock: Clock;
}
