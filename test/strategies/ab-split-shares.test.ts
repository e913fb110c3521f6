import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { planAll } from '../../src/release/plan.js';
import { plannedLines } from '../../src/release/plan-text.js';
import { phasesOf } from '../../src/strategies/strategy.js';

// An A/B's phase name carries both shares. Stable's was 100 - split in floating point: a split of
// "8.04%" ran as `A/B 91.96000000000001/8.04 by x-user-id`, a name the ledger keeps and the
// comment, the reasons and the plan show.

const config = (split: string) =>
  parseConfig(
    `version: 1
models:
  fraud:
    source: { file: fraud.yaml, key: version }
    target: { type: sandbox, url: "http://127.0.0.1:8080" }
    metrics: { type: sandbox, url: "http://127.0.0.1:8080" }
    strategy: { type: ab, split: ${split} }
    gates:
      - { name: split, kind: srm, units: users }
      - { name: conversion, kind: conversion, exposures: exposed-users, conversions: converted-users }
`,
    {},
  ).config;

const phaseName = (split: string) => {
  const model = config(split).models.fraud;
  if (!model) throw new Error('no model fraud');
  return phasesOf(model.strategy)[0]?.name;
};

describe("an A/B's phase name", () => {
  it('writes both shares as the config does, with no floating-point tail', () => {
    expect(phaseName('"8.04%"')).toBe('A/B 91.96/8.04 by x-user-id');
    expect(phaseName('8.21')).toBe('A/B 91.79/8.21 by x-user-id');
    expect(phaseName('12.5')).toBe('A/B 87.5/12.5 by x-user-id');
    expect(phaseName('50')).toBe('A/B 50/50 by x-user-id');
  });

  it('is what the plan lists', () => {
    const [model] = planAll(config('"8.04%"')).models;
    expect(model && plannedLines(model)[1]).toBe('  1. A/B 91.96/8.04 by x-user-id: 8.04% of live traffic');
  });
});
