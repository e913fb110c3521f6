import type { StatisticalContext } from '../../src/gates/ratio-gate.js';
import type { MetricSource } from '../../src/metrics/source.js';

/** When the step that gate tests look at began. */
export const STEP_START = Date.UTC(2026, 0, 1);

/**
 * A gate's look at fraud's candidate v2 beside stable v1 over the step's first minute, through
 * `metrics`: 100 candidate requests needed, the candidate on `weight` percent of live traffic.
 */
export const firstMinuteLook = (metrics: MetricSource, weight = 5): StatisticalContext => ({
  metrics,
  model: 'fraud',
  stable: 'v1',
  candidate: 'v2',
  since: STEP_START,
  now: STEP_START + 60_000,
  minRequests: 100,
  weight,
});
