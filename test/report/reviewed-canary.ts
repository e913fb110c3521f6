import { FakeCounts } from '../gates/fake-metrics.js';
import { configWith } from './release-world.js';

// The canary of the reviewed comments: sequential ratio and latency gates over three
// steps, the stable version at 95 req/s with 1% errors, the candidate at 30 req/s.

export const canary = configWith(
  '{ type: canary, steps: [5, 25, 50], step-duration: 2m, min-requests: 100, interval: 10s }',
  [
    '{ name: errors, kind: ratio, events: errors, max-increase: 10% }',
    '{ name: p95, kind: latency, quantile: 0.95, max-increase: 10% }',
  ],
);

/** The candidate with this error rate and median latency (ms), beside the stable version's 1% and 40 ms. */
export const candidate = (errorRate: number, medianMs = 40) =>
  new FakeCounts({
    stable: { rps: 95, errorRate: 0.01, medianMs: 40 },
    canary: { rps: 30, errorRate, medianMs },
  });

/** The gate cells' first column. */
export const ERRORS = 'errors (errors / requests)';
export const P95 = 'p95 (p95)';
