import { createRequire } from 'node:module';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Sandbox } from '../../src/sandbox/server.js';
import type { FakeGitHub } from '../support/fake-github/server.js';
import { fraudCanaryConfig, runMainStep, startFraudWorld } from '../support/main-step.js';

// GitHub's merge queue runs the workflow on merge_group, whose required checks must pass there: the
// step failed ("event merge_group is not handled"), holding every PR in the queue. The real payload
// through the main step now passes, decision skipped, models [], with a notice and a report saying why;
// no commit status is written.
const require = createRequire(import.meta.url);
const examples = require('@octokit/webhooks-examples/api.github.com/index.json') as {
  name: string;
  examples: Record<string, unknown>[];
}[];
const event = examples.find((e) => e.name === 'merge_group')?.examples[0] ?? {};
let github: FakeGitHub;
let sandbox: Sandbox;
beforeAll(async () => ({ sandbox, github } = await startFraudWorld('v1', 5)));
afterAll(async () => {
  await sandbox?.close();
  await github?.close();
});

it.each<Record<string, string>>([{}, { command: 'status' }])(
  'merge_group %o: a no-op that passes',
  async (inputs) => {
    const run = await runMainStep({
      eventName: 'merge_group',
      event,
      inputs: { ledger: 'github', ...inputs },
      config: fraudCanaryConfig('{ type: canary, steps: [50], step-duration: 30s }'),
      githubUrl: github.url,
    });
    expect(run.error).toBeUndefined();
    // The outputs every run that ends sets, so a later step branching on models or keeping the report works here too.
    expect(run.outputs).toEqual({
      decision: 'skipped',
      models: '[]',
      'report-path': expect.stringMatching(/model-gate-report\.md$/),
      'observations-path': expect.stringMatching(/model-gate\/observations$/),
    });
    expect(run.report).toContain('## model-gate: nothing to do in the merge queue');
    expect(run.report).toContain('merge\\_group (PR #104): nothing to do in the merge queue');
    expect(run.log).toContain('::notice::merge_group (PR #104): nothing to do in the merge queue');
    expect(github.commitStatuses('2ffea6db159f6b6c47a24e778fb9ef40cf6b1c7d')).toEqual([]);
  },
);

it('merge_group with command plan: an empty matrix, and no observations-path (a plan judges nothing)', async () => {
  const run = await runMainStep({
    eventName: 'merge_group',
    event,
    inputs: { ledger: 'github', command: 'plan' },
    config: fraudCanaryConfig('{ type: canary, steps: [50], step-duration: 30s }'),
    githubUrl: github.url,
  });
  expect(run.error).toBeUndefined();
  expect(run.outputs).toEqual({
    matrix: '{"include":[]}',
    'has-models': 'false',
    decision: 'skipped',
    models: '[]',
    'report-path': expect.stringMatching(/model-gate-report\.md$/),
  });
});
