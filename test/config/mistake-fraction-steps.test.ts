import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { ENV, problemsOf } from './sample.js';

const F = '.github/model-gate.yml';

/** A one-model config on the sandbox with `strategy` as a flow mapping. */
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
  parseConfig(withStrategy(strategy), ENV).config.models.fraud?.strategy;

// A tenth of the traffic written as 0.1 would run as 0.1%: a 500-step linear rollout, or a
// canary that never sends the candidate more than half a percent. Refused, with what to write.
describe('traffic steps written as fractions', () => {
  it('steps that are all bare numbers below 1 are refused in one line, with both readings', () => {
    expect(problemsOf(withStrategy('{ type: canary, steps: [0.1, 0.25, 0.5] }'))).toEqual([
      `${F}:8:31: models.fraud.strategy.steps: expected percentages of the traffic, got bare numbers below 1 (read as 0.1%, 0.25%, 0.5%): write [10%, 25%, 50%] for those fractions of the traffic, or [0.1%, 0.25%, 0.5%] if you mean them`,
    ]);
  });

  it('a real small first step beside whole percents, and percent text, stay allowed', () => {
    expect(strategyOf('{ type: canary, steps: [0.5, 5, 25] }')).toMatchObject({ steps: [0.5, 5, 25] });
    expect(strategyOf('{ type: canary, steps: [0.1%, 0.5%] }')).toMatchObject({ steps: [0.1, 0.5] });
  });

  it('a linear step-size or max-weight below 1 is refused; "0.5%" is taken as written', () => {
    expect(problemsOf(withStrategy('{ type: linear, step-size: 0.1 }'))).toEqual([
      `${F}:8:42: models.fraud.strategy.step-size: expected a percentage of the traffic, got the bare number 0.1, which means 0.1%: write 10% for 0.1 of the traffic, or 0.1% if you mean it`,
    ]);
    expect(problemsOf(withStrategy('{ type: linear, step-size: 10, max-weight: 0.5 }'))).toEqual([
      `${F}:8:58: models.fraud.strategy.max-weight: expected a percentage of the traffic, got the bare number 0.5, which means 0.5%: write 50% for half, or 0.5% if you mean it`,
    ]);
    expect(strategyOf('{ type: linear, step-size: 0.5%, max-weight: 2 }')).toMatchObject({
      stepSize: 0.5,
      maxWeight: 2,
    });
  });
});
