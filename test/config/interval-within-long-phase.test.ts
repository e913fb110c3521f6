import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { problemsOf } from './sample.js';

// A shadow's phase lasts the longer of duration and step-duration, a blue-green bake the longer of
// bake-duration and step-duration (tick.ts): the interval is measured against that, not against
// step-duration alone, whose 10m default refused a 3-day shadow looked at every 10m.

const F = '.github/model-gate.yml';

/** A one-model config on the sandbox with `strategy`, a YAML flow map. */
const withStrategy = (strategy: string) => `version: 1
defaults:
  target: { type: sandbox, url: http://127.0.0.1:8080 }
  metrics: { type: sandbox, url: http://127.0.0.1:8080 }
models:
  fraud:
    source: { file: models/fraud/model.yaml, key: version }
    strategy: ${strategy}
    gates: []
`;

const strategyOf = (strategy: string) =>
  parseConfig(withStrategy(strategy), {}).config.models.fraud?.strategy;

describe('an interval checked against the length of the phase it measures', () => {
  it('takes a 3-day shadow looked at every 10m, and a 2h bake at every 30m', () => {
    expect(strategyOf('{ type: shadow, duration: 3d, interval: 10m }')).toMatchObject({
      durationMs: 3 * 86_400_000,
      intervalMs: 600_000,
    });
    expect(strategyOf('{ type: blue-green, bake-duration: 2h, interval: 30m }')).toMatchObject({
      bakeDurationMs: 7_200_000,
      intervalMs: 1_800_000,
    });
  });

  it('refuses an interval as long as the phase, naming the field it is compared with', () => {
    expect(problemsOf(withStrategy('{ type: shadow, duration: 3d, interval: 4d }'))).toEqual([
      `${F}:8:55: models.fraud.strategy.interval: expected less than duration (3d), got 4d`,
    ]);
    expect(problemsOf(withStrategy('{ type: blue-green, bake-duration: 1h, interval: 1h }'))).toEqual([
      `${F}:8:64: models.fraud.strategy.interval: expected less than bake-duration (1h), got 1h`,
    ]);
    // A step-duration longer than the hold is the phase's length, and what the error names.
    expect(
      problemsOf(withStrategy('{ type: shadow, duration: 1h, step-duration: 2h, interval: 2h }')),
    ).toEqual([`${F}:8:74: models.fraud.strategy.interval: expected less than step-duration (2h), got 2h`]);
  });

  it('still compares a canary with its step-duration', () => {
    expect(problemsOf(withStrategy('{ type: canary, steps: [10], interval: 10m }'))).toEqual([
      `${F}:8:54: models.fraud.strategy.interval: expected less than step-duration (10m), got 10m`,
    ]);
  });
});
