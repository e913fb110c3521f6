import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Sandbox } from '../../src/sandbox/server.js';
import type { FakeGitHub } from '../support/fake-github/server.js';
import { fraudCanaryConfig, fraudServing, runMainStep, startFraudWorld } from '../support/main-step.js';
import { sha } from '../support/model-config.js';
import { pullRequestEvent, workflowDispatchEvent } from '../support/payloads.js';

// The README's fan-out (a `command: plan` job, then one job per planned model) on a PR that removes
// a model from the config while its candidate serves: #7 takes fraud-detector from v1 to v2 and
// leaves it analysing at 50%, then a push drops fraud-detector from the config. No job of the
// matrix can act on a model the config does not name, so the plan job must fail, saying what to
// do, as the single job does; else the check is green and v2 keeps its traffic for good.
// Main step from src/, against the GitHub stand-in and the sandbox.
const FILE = 'models/fraud.yaml';
const CHURN = `  churn:
    source: { file: models/churn.yaml, key: version }
    target: { type: sandbox, url: "http://127.0.0.1:1" }
    metrics: { type: sandbox, url: "http://127.0.0.1:1" }
    gates:
      - { name: errors, kind: threshold, query: error-rate, max: 0.05 }
`;
const STRATEGY = '{ type: canary, steps: [50], step-duration: 30m, interval: 250ms }';
const CONFIG = fraudCanaryConfig(STRATEGY, CHURN);
/** The PR's config after the push: fraud-detector removed. */
const CHURN_ONLY = `version: 1
defaults:
  strategy: ${STRATEGY}
models:
${CHURN}`;
const WHY =
  "fraud-detector: PR #7's candidate v2 is analysing, but the config no longer names fraud-detector: no run can drive or withdraw it, and v2 may still get live traffic. Put fraud-detector back in the config as it was, or run command: abort with a config naming it, before removing or renaming it";
const atHalf = { stable: { version: 'v1' }, canary: { version: 'v2', weight: 50 } };

let github: FakeGitHub;
let sandbox: Sandbox;

beforeAll(async () => {
  ({ sandbox, github } = await startFraudWorld('v1', 4));
  github.setFile(sha(1), FILE, 'version: v1\n');
  for (const n of [2, 3]) github.setFile(sha(n), FILE, 'version: v2\n');
  for (const n of [1, 2, 3]) github.setFile(sha(n), 'models/churn.yaml', 'version: "2.0"\n');
});

afterAll(async () => {
  await sandbox?.close();
  await github?.close();
});

const step = (eventName: string, event: unknown, inputs: Record<string, string>, config = CONFIG) =>
  runMainStep({
    eventName,
    event,
    inputs: { ledger: 'github', ...inputs },
    config,
    githubUrl: github.url,
    env: { SANDBOX_URL: sandbox.url, MODEL_GATE_TEST_GITHUB_WAIT_SCALE: '0.05' },
  });

/** The plan job, then one job per model of its matrix (`if: has-models == 'true'`), each one pass. */
async function fanOut(action: 'opened' | 'synchronize' | 'closed', head: number, config: string) {
  github.setPullRequest(7, {
    baseSha: sha(1),
    headSha: sha(head),
    files: [{ filename: FILE, status: 'modified' }],
  });
  const event = pullRequestEvent(
    action,
    { base: sha(1), head: sha(head) },
    { number: 7, merged: action === 'closed' },
  );
  const plan = await step('pull_request', event, { command: 'plan' }, config);
  const jobs = [];
  if (!plan.error && plan.outputs['has-models'] === 'true') {
    const { include } = JSON.parse(plan.outputs.matrix ?? '') as { include: { model: string }[] };
    for (const { model } of include)
      jobs.push(await step('pull_request', event, { model, mode: 'tick' }, config));
  }
  return { plan, jobs };
}

describe('one job per model, on a PR whose push removes a model with a live candidate', () => {
  it('opened: fraud-detector’s job leaves v2 analysing at 50%', async () => {
    const { plan, jobs } = await fanOut('opened', 2, CONFIG);
    expect(JSON.parse(plan.outputs.matrix ?? '')).toEqual({ include: [{ model: 'fraud-detector' }] });
    expect(jobs.map((j) => [j.error, j.outputs.decision])).toEqual([[undefined, 'analysing']]);
    expect(await fraudServing(sandbox)).toEqual(atHalf);
  });

  it('the push without fraud-detector in the config: the plan job fails, saying what to do', async () => {
    const { plan, jobs } = await fanOut('synchronize', 3, CHURN_ONLY);
    expect(plan.outputs.decision).toBe('error');
    expect(plan.error).toContain(WHY);
    expect(jobs).toEqual([]);
    expect(await fraudServing(sandbox)).toEqual(atHalf);
  });

  it('the merge under that config fails the same way', async () => {
    const { plan } = await fanOut('closed', 3, CHURN_ONLY);
    expect(plan.outputs.decision).toBe('error');
    expect(plan.error).toContain(WHY);
  });

  it("a schedule's plan is unchanged: every model the config names, no error", async () => {
    const plan = await step('schedule', { schedule: '*/15 * * * *' }, { command: 'plan' }, CHURN_ONLY);
    expect([plan.error, plan.outputs.decision, plan.outputs.matrix]).toEqual([
      undefined,
      'planned',
      '{"include":[{"model":"churn"}]}',
    ]);
  });

  it('what the message asks for: an abort with a config naming fraud-detector withdraws v2', async () => {
    const inputs = { command: 'abort', model: 'fraud-detector' };
    const abort = await step('workflow_dispatch', workflowDispatchEvent(inputs), inputs);
    expect(abort.error).toBeUndefined();
    expect(await fraudServing(sandbox)).toEqual({ stable: { version: 'v1' } });
  });

  it('spoke only the documented API', () => {
    expect(github.violations).toEqual([]);
  });
});
