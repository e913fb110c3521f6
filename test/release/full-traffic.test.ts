import { describe, expect, it } from 'vitest';
import type { Config, StrategyConfig } from '../../src/config/types.js';
import { FakeCounts } from '../gates/fake-metrics.js';
import { configWith, released } from '../report/release-world.js';

// At 100% of live traffic no stable traffic runs beside the candidate: a gate that compares the two
// cannot judge there. Only a pass in the phase before (a rolling release's last batch) stands in for it.

const CONVERSION =
  '{ name: conversion, kind: conversion, conversions: converted-users, exposures: exposed-users }';
const SPLIT = '{ name: split, kind: srm, units: users }';
const AB = '{ type: ab, split: 50, step-duration: 2m, min-requests: 200, interval: 10s }';

/** A config validation now refuses (a first phase at 100%), as one that skipped validation has it. */
function withStrategy(config: Config, strategy: Partial<StrategyConfig>): Config {
  const fraud = config.models.fraud;
  if (!fraud) throw new Error('no model fraud');
  const changed = { ...fraud, strategy: { ...fraud.strategy, ...strategy } as StrategyConfig };
  return { ...config, models: { fraud: changed } };
}

describe('a side-by-side gate at 100% of live traffic', () => {
  it('does not pass an A/B at a split of 100 unjudged: it fails at the deadline for want of evidence', async () => {
    const config = withStrategy(configWith(AB, [CONVERSION, SPLIT]), { split: 100 });
    // The candidate converts at 10% against stable's 30%.
    const metrics = new FakeCounts({
      stable: { rps: 20, errorRate: 0.3, medianMs: 40 },
      canary: { rps: 20, errorRate: 0.1, medianMs: 40 },
    });
    const r = await released(config, metrics);
    expect(r.status).toBe('failed');
    expect(r.reason).toBe(
      'no conclusive evidence within 2m at A/B 0/100 by x-user-id: conversion (cannot be judged at 100% of traffic: no stable traffic to compare with, and no earlier phase judged it), split (cannot be judged at 100% of traffic: no stable traffic to compare with, and no earlier phase judged it)',
    );
  });

  it("is not passed in a rolling release's last batch when the batch before ended without judging it", async () => {
    const config = configWith(
      '{ type: rolling, instances: 2, batch-size: 1, step-duration: 1m, min-requests: 100, interval: 10s }',
      ['{ name: errors, kind: ratio, events: errors, max-increase: 10% }'],
      'must-have-data: false',
    );
    const metrics = new FakeCounts({
      stable: { rps: 20, errorRate: 0.01, medianMs: 40 },
      canary: { rps: 20, errorRate: 0.01, medianMs: 40 },
    });
    metrics.nan = true; // no usable counts: the first batch passes undecided (must-have-data: false)
    const r = await released(config, metrics);
    expect(r.status).toBe('ready');
    expect(r.phases.map((p) => p.note)).toEqual([
      expect.stringMatching(/^ended without conclusive data for errors \(/),
      'ended without conclusive data for errors (cannot be judged at 100% of traffic: no stable traffic to compare with, and no earlier phase judged it)',
    ]);
    expect(r.gates[0]?.last?.note).not.toContain('judged in the earlier phases');
  });

  it("passes a rolling release's last batch on the gate's pass in the batch before", async () => {
    const config = configWith(
      '{ type: rolling, instances: 2, batch-size: 1, step-duration: 1m, min-requests: 100, interval: 10s }',
      ['{ name: errors, kind: ratio, events: errors, max-increase: 10% }'],
    );
    const metrics = new FakeCounts({
      stable: { rps: 20, errorRate: 0.01, medianMs: 40 },
      canary: { rps: 20, errorRate: 0.01, medianMs: 40 },
    });
    const r = await released(config, metrics);
    expect(r.status).toBe('ready');
    expect(r.phases.map((p) => [p.weight, p.outcome])).toEqual([
      [50, 'passed'],
      [100, 'passed'],
    ]);
    expect(r.gates[0]).toMatchObject({
      verdict: 'pass',
      last: {
        verdict: 'pass',
        note: 'not judged at 100% of traffic: no stable traffic left to compare with (judged in the earlier phases)',
      },
    });
  });
});

describe('a split check and a conversion failing on the same look', () => {
  it('blame the split: a sample ratio mismatch invalidates the comparison, whichever gate is listed first', async () => {
    const config = configWith(AB, [CONVERSION, SPLIT]);
    // The candidate gets a fifth of the users instead of half, and converts at 10% against 30%.
    const metrics = new FakeCounts({
      stable: { rps: 200, errorRate: 0.3, medianMs: 40 },
      canary: { rps: 50, errorRate: 0.1, medianMs: 40 },
    });
    const r = await released(config, metrics);
    expect(r.status).toBe('failed');
    expect(r.gates.map((g) => [g.name, g.verdict])).toEqual([
      ['conversion', 'fail'],
      ['split', 'fail'],
    ]);
    expect(r.reason).toMatch(
      /^split: sample ratio mismatch: candidate share 20% of \d+ users, configured 50%/,
    );
    expect(r.reason).toMatch(/the analysis is invalid$/);
  });
});
