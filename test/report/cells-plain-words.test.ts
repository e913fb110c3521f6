import { describe, expect, it } from 'vitest';
import { newRelease } from '../../src/release/new-release.js';
import { gateRows } from '../../src/report/rows.js';
import { ScriptedMetrics } from '../support/scripted-metrics.js';
import { configWith, released, report, row } from './release-world.js';

// The gate table read as jargon: `slow share ≤ baseline +10% (sequential, α 0.025)`, `(mSPRT,
// α 0.025)`, `(srm-dirichlet-multinomial)`, `failure-limit 1 allows 1`. The cells lead with what
// must hold and what happened; the test and its alpha are kept apart (GateRow.method).

const rowsOf = (gates: string[]) => {
  const config = configWith(
    '{ type: ab, split: 50, sticky-header: x-user-id, step-duration: 30m, min-requests: 200, interval: 10s }',
    gates,
  );
  const model = config.models.fraud;
  if (!model) throw new Error('no model fraud');
  return gateRows(newRelease(model, { from: 'v1', to: 'v2', now: 0 }), model);
};

describe('the bound column', () => {
  it('says what must hold in words, the test and its alpha apart', () => {
    const rows = rowsOf([
      '{ name: split, kind: srm, units: users }',
      '{ name: conversion, kind: conversion, conversions: converted-users, exposures: exposed-users }',
      '{ name: errors, kind: ratio, events: errors, max-increase: 10% }',
      '{ name: p95, kind: latency, quantile: 0.95, max-increase: 10% }',
      '{ name: p99, kind: latency, quantile: 0.99, max-increase: 20%, judge: mann-whitney }',
    ]);
    expect(rows.map((r) => r.bound)).toEqual([
      'within ±10% of the configured split',
      'a significant rise',
      "at most ×1.1 the baseline's rate",
      "at most ×1.1 the baseline's share of requests slower than its p95",
      'no upward shift of the per-minute p99 beyond baseline +20%',
    ]);
    expect(rows.map((r) => r.method)).toEqual([
      'sequential split check, α 0.0125',
      'mSPRT, α 0.0125',
      'sequential, α 0.0125',
      'sequential, α 0.0125',
      'Mann-Whitney, confidence 0.98',
    ]);
  });
});

describe('a look over the bound that failure-limit tolerated', () => {
  const config = configWith(
    '{ type: canary, steps: [10, 50], step-duration: 1m, min-requests: 100, interval: 10s }',
    ['{ name: p99, kind: threshold, query: latency-p99, max-increase: 50%, failure-limit: 2 }'],
  );
  const metrics = new ScriptedMetrics({
    stable: { rps: 90, values: { 'latency-p99': 11.4 } },
    canary: { rps: 40, values: { 'latency-p99': 30 } },
  });

  it('says how many are tolerated and which one fails, not the field', async () => {
    const r = await released(config, metrics, { stop: (x) => x.gates[0]?.failures === 1 });
    expect(row(report(config, r), 'p99 (latency-p99)')).toBe(
      '| p99 (latency-p99) | 30.0 ms (400 req) | 11.4 ms (900 req) | ≤ baseline +50% | ⏳ pending: ⚠️ over the bound on 1 look (up to 2 are tolerated; a third fails the gate); 30.0 ms is 163.2% over the baseline 11.4 ms (max +50%) |',
    );
  });
});
