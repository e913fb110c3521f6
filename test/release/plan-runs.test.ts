import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { planAll } from '../../src/release/plan.js';
import { plannedLines, plannedSentence } from '../../src/release/plan-text.js';

// An A/B's and a shadow's plan said how long they run; a canary, linear, rolling or blue-green plan
// said nothing, though each step ends at step-duration at most and a reviewer plans around the sum.
const linesOf = (strategy: string) => {
  const text = `version: 1
models:
  fraud:
    source: { file: fraud.yaml, key: version }
    target: { type: sandbox, url: "http://127.0.0.1:8080" }
    metrics: { type: sandbox, url: "http://127.0.0.1:8080" }
    strategy: ${strategy}
    gates: [{ name: errors, kind: threshold, query: error-rate, max: 0.02 }]
`;
  const [model] = planAll(parseConfig(text, {}).config).models;
  if (!model) throw new Error('no model planned');
  return { lines: plannedLines(model), sentence: plannedSentence(model), runs: model.runs };
};

describe('the plan says how long a release of fixed steps runs at most', () => {
  it('a canary: each step to its gates passing, step-duration at most, their sum in all', () => {
    expect(linesOf('{ type: canary, steps: [10, 25, 50], step-duration: 15m }').lines).toEqual([
      'fraud: canary on sandbox',
      '  1. step 1 of 3: 10% of live traffic',
      '  2. step 2 of 3: 25% of live traffic',
      '  3. step 3 of 3: 50% of live traffic',
      '  runs: until its gates pass at each step, at most 15m a step (step-duration): 45m at most over 3 steps',
    ]);
  });

  it('a linear release of 10 steps of 1h outlasts a job: it says to drive it with schedule ticks', () => {
    expect(linesOf('{ type: linear, step-size: 10, max-weight: 100, step-duration: 1h }').runs).toBe(
      "until its gates pass at each step, at most 1h a step (step-duration): 10h at most over 10 steps; longer than a job's max-wait (5h by default), so drive it with schedule ticks (command: tick)",
    );
  });

  it('a rolling update counts batches; one step needs no sum', () => {
    expect(
      linesOf('{ type: rolling, instances: 4, batch-size: 2, min-available: 2, step-duration: 5m }').runs,
    ).toBe(
      'until its gates pass at each batch, at most 5m a batch (step-duration): 10m at most over 2 batches',
    );
    expect(linesOf('{ type: canary, steps: [100] }').runs).toBe(
      'until its gates pass, at most 10m (step-duration)',
    );
  });

  it('a blue-green: its smoke test (no live traffic), then the bake, its hold at least', () => {
    const bg = linesOf(
      '{ type: blue-green, bake-duration: 5m, step-duration: 20m, smoke: { requests: [{ x: 1 }] } }',
    );
    expect(bg.lines).toEqual([
      'fraud: blue-green on sandbox',
      '  1. smoke on green: synthetic requests straight to the candidate, no live traffic',
      '  2. bake on green: 100% of live traffic',
      '  runs: its smoke test, then a bake of at least 5m (bake-duration), until its gates pass, at most 20m (step-duration)',
    ]);
    expect(bg.sentence).toBe('fraud: blue-green on sandbox, 2 phases (smoke test, 100%)');
    expect(linesOf('{ type: blue-green, bake-duration: 1h, step-duration: 10m }').runs).toBe(
      '1h (bake-duration)',
    );
  });
});
