import { describe, expect, it } from 'vitest';
import type { ConversionGateConfig } from '../../src/config/types.js';
import { measureConversion } from '../../src/gates/conversion-gate.js';
import { newRelease } from '../../src/release/new-release.js';
import type { GateState } from '../../src/release/types.js';
import { gateRows } from '../../src/report/rows.js';
import { FakeCounts } from '../gates/fake-metrics.js';
import { configWith } from './release-world.js';

// FakeCounts' `converted-users` (its `errors`) stand for conversions, its error rate for the conversion rate: the
// candidate converts at 33% against stable's 30%, a +10% lift, over 30 minutes at 20 req/s each.
const T0 = Date.UTC(2026, 0, 1);
const metrics = new FakeCounts({
  stable: { rps: 20, errorRate: 0.3, medianMs: 40 },
  canary: { rps: 20, errorRate: 0.33, medianMs: 40 },
});

/** The report's row of a conversion gate with these fields, after one look at the +10% lift. */
async function rowOf(fields: string) {
  const config = configWith(
    '{ type: ab, split: 50, sticky-header: x-user-id, step-duration: 30m, min-requests: 200, interval: 10s }',
    [
      '{ name: split, kind: srm, units: users }',
      `{ name: conversion, kind: conversion, conversions: converted-users, exposures: exposed-users${fields} }`,
    ],
  );
  const model = config.models.fraud;
  const gate = model?.gates.find((g) => g.kind === 'conversion') as ConversionGateConfig;
  if (!model) throw new Error('no model fraud');
  const last = await measureConversion(gate, {
    metrics,
    model: 'fraud',
    stable: 'v1',
    candidate: 'v2',
    since: T0,
    now: T0 + 1_800_000,
    minRequests: 200,
    weight: 50,
  });
  const verdict = last.verdict === 'pass' || last.verdict === 'fail' ? last.verdict : 'pending';
  const state: GateState = {
    name: 'conversion',
    kind: 'conversion',
    verdict,
    failures: 0,
    inconclusives: 0,
    consecutiveErrors: 0,
    last,
  };
  const release = { ...newRelease(model, { from: 'v1', to: 'v2', now: T0 }), gates: [state] };
  const [row] = gateRows(release, model);
  if (!row) throw new Error('no row');
  return row;
}

describe("a conversion gate's row in the report", () => {
  it('states what a pass needs in the direction and margin configured', async () => {
    // The rule in words; its test and alpha apart (GateRow.method).
    const both = async (fields: string) => {
      const r = await rowOf(fields);
      return `${r.bound} [${r.method}]`;
    };
    expect(await both('')).toBe('a significant rise [mSPRT, α 0.025]');
    expect(await both(', margin: 2%')).toBe('no drop beyond 2% [mSPRT, α 0.025]');
    expect(await both(', direction: increase')).toBe('a significant drop [mSPRT, α 0.025]');
    expect(await both(', direction: increase, margin: 2%')).toBe('no rise beyond 2% [mSPRT, α 0.025]');
    expect(await both(', direction: either')).toBe('a significant rise [mSPRT, two-sided α 0.025]');
    expect(await both(', direction: either, margin: 2%')).toBe(
      'no drop beyond 2% [mSPRT, two-sided α 0.025]',
    );
  });

  it('shows a two-sided winner as a pass, its lift once, in percent', async () => {
    const row = await rowOf(', direction: either');
    expect(row.verdict).toBe('✅ pass');
    expect(row.note).toMatch(
      /^v2 converts better than v1, a significant winner: 33\.00% vs 30\.00% \(relative lift \+10\.0%, \+3\.0 points; [\d.]+% interval \+[\d.]+% to \+[\d.]+%\): the interval lies above 0;.*; e-value \S+$/,
    );
    // The plain verdict leads, the statistics follow, and the e-value is printed once.
    expect(row.note.match(/e-value/g)).toHaveLength(1);
    expect(row.note).not.toContain('regression');
  });
});
