import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { ConfigError } from '../../src/core/errors.js';
import { linearStrategy } from '../../src/strategies/canary.js';

// Shares of traffic are written with up to 9 decimals ("0.125%"); linear steps used to be
// rounded to 2, so 0.125% steps ran at 0.13, 0.25, 0.38 and 0.001% steps ran three "passed"
// steps at 0% of live traffic.

const F = '.github/model-gate.yml';
const config = (stepSize: string, maxWeight: string) => `version: 1
models:
  m:
    source: { file: m.yaml, key: version }
    target: { type: sandbox, url: "http://127.0.0.1:1", model: m }
    metrics: { type: sandbox, url: "http://127.0.0.1:1" }
    strategy: { type: linear, step-size: ${stepSize}, max-weight: ${maxWeight} }
    gates: []
    must-have-data: false
`;

/** The live weights a linear release steps through, from the config as a user writes it. */
function weights(stepSize: string, maxWeight: string): number[] {
  const strategy = parseConfig(config(stepSize, maxWeight), {}, F).config.models.m?.strategy;
  if (strategy?.type !== 'linear') throw new Error(`expected a linear strategy, got ${strategy?.type}`);
  return linearStrategy(strategy).phases.map((phase) => phase.weight);
}

function problems(stepSize: string, maxWeight: string): string[] {
  try {
    parseConfig(config(stepSize, maxWeight), {}, F);
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  return [];
}

describe('linear steps at the precision a share is written with', () => {
  it('runs each step at exactly i x step-size', () => {
    expect(weights('"0.125%"', '"0.5%"')).toEqual([0.125, 0.25, 0.375, 0.5]);
    expect(weights('"0.005%"', '"0.01%"')).toEqual([0.005, 0.01]);
    expect(weights('"0.001%"', '"0.004%"')).toEqual([0.001, 0.002, 0.003, 0.004]);
    expect(weights('"0.1%"', '"0.3%"')).toEqual([0.1, 0.2, 0.3]);
    expect(weights('"0.000000001%"', '"0.000000003%"')).toEqual([1e-9, 2e-9, 3e-9]);
  });

  it('keeps the steps of ordinary configs', () => {
    expect(weights('10', '50')).toEqual([10, 20, 30, 40, 50]);
    expect(weights('12.5', '100')).toEqual([12.5, 25, 37.5, 50, 62.5, 75, 87.5, 100]);
    expect(weights('7', '98')).toEqual(Array.from({ length: 14 }, (_, i) => 7 * (i + 1)));
    expect(weights('33.33', '99.99')).toEqual([33.33, 66.66, 99.99]);
  });

  it('never runs a step at 0% or the same share twice', () => {
    for (const [size, max] of [
      ['"0.001%"', '"0.004%"'],
      ['"0.005%"', '"0.01%"'],
      ['"0.003%"', '"0.3%"'],
      ['"0.000000007%"', '"0.000000700%"'],
      ['"1.1%"', '"99%"'],
    ] as const) {
      const steps = weights(size, max);
      const previous = [0, ...steps.slice(0, -1)];
      steps.forEach((step, i) => {
        expect(step, `${size} to ${max}: step ${i + 1}`).toBeGreaterThan(previous[i] ?? 0);
      });
    }
  });

  it('refuses a max-weight a hair off a whole number of steps, which would end in two steps of 50%', () => {
    expect(problems('10', '"50.000000001%"')).toEqual([
      `${F}:7:42: models.m.strategy.step-size: expected a step-size that divides max-weight (50.000000001) into equal steps, got 10 (steps 10, 20, 30, 40, 50, 50.000000001); or set max-weight: 50`,
    ]);
  });
});

describe('a step-size far too small for max-weight', () => {
  it('is refused at validation, naming step-size and the smallest that works, instead of planning millions of steps', () => {
    expect(problems('"0.000000003%"', '100')).toEqual([
      '.github/model-gate.yml:7:42: models.m.strategy.step-size: expected a step-size that makes at most 100 steps up to max-weight (100), got one that makes 33333333334; set step-size: 1 or more',
    ]);
    expect(problems('"0.5%"', '"60%"')).toEqual([
      '.github/model-gate.yml:7:42: models.m.strategy.step-size: expected a step-size that makes at most 100 steps up to max-weight (60), got one that makes 120; set step-size: 0.6 or more',
    ]);
    expect(problems('1', '100')).toEqual([]);
  });
});
