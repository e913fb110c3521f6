import { describe, expect, it } from 'vitest';
import { newRelease } from '../../src/release/new-release.js';
import { gateRows } from '../../src/report/rows.js';
import { configWith } from './release-world.js';

// A ratio or latency gate's bound column names the rule its judge applies: a threshold judge
// compares the rate or quantile look by look, without α; mann-whitney tests one-minute values
// at Kayenta's confidence, not at α, for an upward shift beyond max-increase.

const CANARY = '{ type: canary, steps: [10, 50], step-duration: 10m, min-requests: 100, interval: 10s }';

const boundsOf = (gates: string[]) => {
  const model = configWith(CANARY, gates).models.fraud;
  if (!model) throw new Error('no model fraud');
  return gateRows(newRelease(model, { from: 'v1', to: 'v2', now: 0 }), model).map((g) =>
    g.method ? `${g.bound} [${g.method}]` : g.bound,
  );
};

describe('the bound of a ratio or latency gate', () => {
  it("says the rule of the gate's threshold or mann-whitney judge", () => {
    expect(
      boundsOf([
        '{ name: p95, kind: latency, quantile: 0.95, max-increase: 20%, judge: threshold }',
        '{ name: p99, kind: latency, quantile: 0.99, max-increase: 20%, judge: mann-whitney }',
        '{ name: errors, kind: ratio, events: errors, total: requests, max-increase: 50%, judge: threshold }',
        '{ name: nulls, kind: ratio, events: nulls, total: requests, max-increase: 50%, judge: mann-whitney }',
      ]),
    ).toEqual([
      '≤ baseline +20% (p95, look by look)',
      'no upward shift of the per-minute p99 beyond baseline +20% [Mann-Whitney, confidence 0.98]',
      '≤ baseline +50% (rate, look by look)',
      'no upward shift of the per-minute rate beyond baseline +50% [Mann-Whitney, confidence 0.98]',
    ]);
  });

  it("says the sequential judge's rule in the baseline's multiple its note uses, its test and share of alpha apart", () => {
    expect(
      boundsOf([
        '{ name: p95, kind: latency, quantile: 0.95, max-increase: 20% }',
        '{ name: errors, kind: ratio, events: errors, total: requests, max-increase: 50% }',
      ]),
    ).toEqual([
      "at most ×1.2 the baseline's share of requests slower than its p95 [sequential, α 0.025]",
      "at most ×1.5 the baseline's rate [sequential, α 0.025]",
    ]);
  });
});
