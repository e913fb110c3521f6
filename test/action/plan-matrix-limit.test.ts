import { describe, expect, it } from 'vitest';
import { runMainStep } from '../support/main-step.js';

// GitHub runs at most 256 jobs of one matrix and refuses the whole fan-out beyond it, naming the
// workflow file, not model-gate: no model's job runs, so no status is written, a closed PR's
// candidate is never withdrawn and no tick drives any release. `command: plan` says so itself,
// with what to do, rather than handing out a matrix that cannot run. The main step from src/ on a
// schedule event (its plan is every configured model), a file ledger, no GitHub request.
const GATE = '{ name: errors, kind: threshold, query: error-rate, max: 0.05 }';
const config = (models: number) =>
  [
    'version: 1',
    'defaults:',
    '  target: { type: sandbox, url: "http://127.0.0.1:9" }',
    '  metrics: { type: sandbox, url: "http://127.0.0.1:9" }',
    '  strategy: { type: canary, steps: [50] }',
    'models:',
    ...Array.from(
      { length: models },
      (_, i) => `  m${i}: { source: { file: models/m${i}.yaml, key: version }, gates: [${GATE}] }`,
    ),
    '',
  ].join('\n');

const plan = (models: number) =>
  runMainStep({
    eventName: 'schedule',
    event: { schedule: '*/15 * * * *' },
    inputs: { command: 'plan' },
    config: config(models),
    githubUrl: 'http://127.0.0.1:9',
  });

describe('command: plan with more models than a GitHub matrix runs', () => {
  it('fans out 256 models, one job each', async () => {
    const run = await plan(256);
    expect(run.error).toBeUndefined();
    expect(JSON.parse(run.outputs.matrix ?? '{}').include).toHaveLength(256);
  });

  it('fails at 257, naming the count, the limit and what to do, and hands out no matrix', async () => {
    const run = await plan(257);
    expect(run.error).toBe(
      'command: plan found 257 models to act on for every configured model (schedule), but GitHub runs at most 256 jobs of one matrix: run model-gate once without command: plan and a matrix (no model input: one job acts on every model)',
    );
    expect(run.outputs.matrix).toBeUndefined();
    expect(run.outputs.decision).toBe('error');
  });
});
