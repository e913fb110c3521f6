import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTraffic, type TrafficGenerator } from '../../src/sandbox/traffic.js';
import { fraudCanaryConfig, useFraudPrWorld } from '../support/main-step.js';
import { sha } from '../support/model-config.js';
import { pullRequestEvent, workflowDispatchEvent } from '../support/payloads.js';

// The step log folds each phase into a group titled after it: a phase's own line ("analysing step
// 2 of 2") must be inside that phase's group, not the group of the phase before, where an engineer
// expanding "step 2 of 2" would not find it.
const CONFIG = fraudCanaryConfig(
  '{ type: canary, steps: [10, 50], step-duration: 30s, min-requests: 40, interval: 250ms }',
);
const world = useFraudPrWorld({ pr: 7, config: CONFIG, seed: 6 });
let traffic: TrafficGenerator;
beforeAll(() => {
  traffic = startTraffic({ url: world.sandbox.url, model: 'fraud-detector', rps: 200, seed: 10 });
});
afterAll(() => traffic?.stop());

/** The log's lines, each with the title of the group it sits in (undefined: outside any). */
function grouped(log: string): { line: string; group?: string }[] {
  const out: { line: string; group?: string }[] = [];
  let group: string | undefined;
  for (const line of log.split('\n')) {
    if (line.startsWith('::group::')) {
      // The Actions log does not nest groups: one still open here would swallow the next.
      expect(group, `"${line}" opens inside "${group}"`).toBeUndefined();
      group = line.slice('::group::'.length).replaceAll('%25', '%');
    } else if (line === '::endgroup::') {
      expect(group, 'an ::endgroup:: with no group open').toBeDefined();
      group = undefined;
    } else out.push({ line, group });
  }
  expect(group, 'a group left open at the end of the step').toBeUndefined();
  return out;
}

const groupOf = (log: string, text: string) => grouped(log).find((l) => l.line.includes(text))?.group;
const phaseGroup = (step: string) => `fraud-detector v1 → v2: ${step}`;

describe('the step log of a PR release, one group per phase', () => {
  it('a one-pass run (mode: tick) puts its step 1 line in the step 1 group', async () => {
    const run = await world.step(
      'pull_request',
      pullRequestEvent('opened', { base: sha(1), head: sha(2) }, { number: 7 }),
      { mode: 'tick' },
    );
    expect(run.error).toBeUndefined();
    expect(groupOf(run.log, 'fraud-detector: analysing step 1 of 2')).toBe(
      phaseGroup('step 1 of 2 (10% of live traffic)'),
    );
    const cmd = { command: 'abort', model: 'fraud-detector' };
    const aborted = await world.step('workflow_dispatch', workflowDispatchEvent(cmd), cmd);
    expect(aborted.outputs.decision).toBe('aborted');
  });

  it('a watching run puts each step line in that step group, and the verdict in the last', async () => {
    // A new push to the PR starts a new release (the one before was aborted).
    world.github.setFile(sha(3), 'models/fraud.yaml', 'version: v2\n');
    world.github.setPullRequest(7, {
      baseSha: sha(1),
      headSha: sha(3),
      files: [{ filename: 'models/fraud.yaml', status: 'modified' }],
    });
    const run = await world.step(
      'pull_request',
      pullRequestEvent('synchronize', { base: sha(1), head: sha(3) }, { number: 7 }),
      { 'max-wait': '2m' },
    );
    expect(run.outputs.decision).toBe('ready');
    expect(groupOf(run.log, 'fraud-detector: analysing step 1 of 2')).toBe(
      phaseGroup('step 1 of 2 (10% of live traffic)'),
    );
    expect(groupOf(run.log, 'fraud-detector: analysing step 2 of 2')).toBe(
      phaseGroup('step 2 of 2 (50% of live traffic)'),
    );
    expect(groupOf(run.log, 'fraud-detector: v2 passed both phases')).toBe(
      phaseGroup('step 2 of 2 (50% of live traffic)'),
    );
    // The run's summary comes after every group is closed, not folded into the last phase.
    expect(groupOf(run.log, 'model-gate: ✅ Ready to merge')).toBeUndefined();
  }, 60_000);
});
