import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readBody } from '../../src/github/sticky-comment.js';
import type { Release } from '../../src/release/types.js';
import type { Sandbox } from '../../src/sandbox/server.js';
import { startTraffic, type TrafficGenerator } from '../../src/sandbox/traffic.js';
import type { FakeGitHub, FakePullRequestFile } from '../support/fake-github/server.js';
import { fraudCanaryConfig, fraudServing, runMainStep, startFraudWorld } from '../support/main-step.js';
import { sha } from '../support/model-config.js';
import { pullRequestEvent } from '../support/payloads.js';

// The README's fan-out (a `command: plan` job, then one job per planned model) on a PR that
// drops its version change: #7 takes fraud-detector from v1 to v2 and ends ready, then a push
// puts v1 back. The push's plan must list fraud-detector for its live candidate, so its job
// withdraws v2 and frees the slot; else nothing runs and v2 holds the slot for ever (and the
// single-job fix never reaches it). Main step from src/, against the GitHub stand-in and the sandbox.
const FILE = 'models/fraud.yaml';
const CONFIG = fraudCanaryConfig(
  '{ type: canary, steps: [10, 50], step-duration: 30s, min-requests: 40, interval: 250ms }',
  `  churn:
    source: { file: models/churn.yaml, key: version }
    target: { type: sandbox, url: "http://127.0.0.1:1" }
    metrics: { type: sandbox, url: "http://127.0.0.1:1" }
    gates:
      - { name: errors, kind: threshold, query: error-rate, max: 0.05 }
`,
);
const ENV = 'model-gate/fraud-detector';

let github: FakeGitHub;
let sandbox: Sandbox;
let traffic: TrafficGenerator;

const serving = () => fraudServing(sandbox);
const latest = (d: { statuses: { state: string }[] }) => d.statuses.at(-1)?.state;
const canaryClaims = () => github.deployments(ENV).filter((d) => d.task === 'model-gate:canary');
/** Each model's release as PR #7's comment records it. */
const recorded = () => {
  const data = readBody(github.comments(7)[0]?.body ?? '').data as { releases: Record<string, Release> };
  return Object.fromEntries(Object.values(data.releases).map((r) => [r.model, [r.to, r.status]]));
};

beforeAll(async () => {
  ({ sandbox, github } = await startFraudWorld('v1', 4));
  // 30 requests a second at 10%: a step's min-requests (40) in under 2 s.
  traffic = startTraffic({ url: sandbox.url, model: 'fraud-detector', rps: 300, seed: 8 });
  for (const n of [1, 2, 3]) github.setFile(sha(n), 'models/churn.yaml', 'version: "2.0"\n');
  github.setFile(sha(1), FILE, 'version: v1\n');
  github.setFile(sha(2), FILE, 'version: v2\n');
  // The push puts the base's version back; the next one fixes a README only.
  github.setFile(sha(3), FILE, 'version: v1\n');
  github.setFile(sha(4), FILE, 'version: v1\n');
  github.setFile(sha(4), 'models/churn.yaml', 'version: "2.0"\n');
});

afterAll(async () => {
  await traffic?.stop();
  await sandbox?.close();
  await github?.close();
});

/** The plan job, then one job per model of its matrix, as the README's workflow runs them. */
async function fanOut(
  action: 'opened' | 'synchronize' | 'closed',
  head: number,
  files: FakePullRequestFile[],
  merged = false,
) {
  github.setPullRequest(7, { baseSha: sha(1), headSha: sha(head), files });
  const event = pullRequestEvent(action, { base: sha(1), head: sha(head) }, { number: 7, merged });
  const step = (inputs: Record<string, string>) =>
    runMainStep({
      eventName: 'pull_request',
      event,
      inputs: { ledger: 'github', 'max-wait': '2m', ...inputs },
      config: CONFIG,
      githubUrl: github.url,
      env: { SANDBOX_URL: sandbox.url, MODEL_GATE_TEST_GITHUB_WAIT_SCALE: '0.05' },
    });
  const plan = await step({ command: 'plan' });
  expect(plan.error).toBeUndefined();
  const matrix = JSON.parse(plan.outputs.matrix ?? '') as { include: { model: string }[] };
  const jobs = [];
  // `if: needs.plan.outputs.has-models == 'true'`
  if (plan.outputs['has-models'] === 'true')
    for (const { model } of matrix.include) jobs.push(await step({ model }));
  return { plan, models: matrix.include.map((m) => m.model), jobs };
}

describe('one job per model, on a PR whose push puts the version back', () => {
  it('opened: the plan lists fraud-detector, whose job ends ready holding the slot', async () => {
    const { models, jobs } = await fanOut('opened', 2, [{ filename: FILE, status: 'modified' }]);
    expect(models).toEqual(['fraud-detector']);
    expect(jobs.map((j) => j.outputs.decision)).toEqual(['ready']);
    expect(await serving()).toEqual({ stable: { version: 'v1' }, canary: { version: 'v2', weight: 0 } });
    expect(canaryClaims().map(latest)).toEqual(['in_progress']);
  });

  it('the push: the plan lists fraud-detector for its live candidate, and its job withdraws v2 and frees the slot', async () => {
    const { plan, models, jobs } = await fanOut('synchronize', 3, [
      { filename: 'README.md', status: 'modified' },
    ]);
    const reason =
      "fraud-detector: v2 of this PR is still deployed (ready) but head aaaaaaa declares v1, as the base does, so the PR no longer changes fraud-detector's version: its job withdraws it and frees the canary slot";
    expect(models).toEqual(['fraud-detector']);
    expect(plan.outputs).toMatchObject({ 'has-models': 'true', decision: 'planned' });
    expect(JSON.parse(plan.outputs.models ?? '')).toEqual([
      expect.objectContaining({
        model: 'fraud-detector',
        status: 'planned',
        live: expect.objectContaining({ version: 'v2', status: 'ready' }),
        reason,
      }),
    ]);
    expect(plan.report).toContain(`## model-gate plan: 1 model, one job each`);
    expect(plan.report).toContain(`- ${reason}\n`);
    expect(plan.log).toContain(`${reason}\n`);

    expect(jobs.map((j) => [j.error, j.outputs.decision])).toEqual([[undefined, 'aborted']]);
    expect(await serving()).toEqual({ stable: { version: 'v1' } });
    expect(canaryClaims().map(latest)).toEqual(['inactive']);
    expect(recorded()).toEqual({ 'fraud-detector': ['v2', 'superseded'] });
    expect(github.comments(7)[0]?.body).toContain(
      "fraud-detector v2 was withdrawn: the PR no longer changes fraud-detector's version: head aaaaaaa declares v1, as the base does; v1 serves",
    );
    // The status branch protection requires passes on the new head, as the single job's does.
    expect(github.commitStatuses(sha(3)).map((s) => [s.context, s.state, s.description])).toEqual([
      [ENV, 'success', 'no longer changes fraud-detector: candidate v2 withdrawn'],
    ]);
  });

  it('a README push after it: the plan lists nothing, and the plan job passes the new head, as no job runs', async () => {
    const { plan, jobs } = await fanOut('synchronize', 4, [{ filename: 'README.md', status: 'modified' }]);
    expect(plan.error).toBeUndefined();
    expect(plan.outputs).toMatchObject({ matrix: '{"include":[]}', 'has-models': 'false' });
    expect(jobs).toEqual([]);
    expect(github.commitStatuses(sha(4)).map((s) => [s.context, s.state, s.description])).toEqual([
      [ENV, 'success', 'no longer changes fraud-detector: candidate v2 was withdrawn earlier'],
    ]);
    expect(recorded()).toEqual({ 'fraud-detector': ['v2', 'superseded'] });
  });

  it('merged: the plan lists nothing, and nothing is promoted', async () => {
    const { plan, jobs } = await fanOut('closed', 4, [{ filename: 'README.md', status: 'modified' }], true);
    expect(plan.outputs).toMatchObject({
      matrix: '{"include":[]}',
      'has-models': 'false',
      decision: 'skipped',
    });
    expect(jobs).toEqual([]);
    expect(await serving()).toEqual({ stable: { version: 'v1' } });
    expect(github.deployments(ENV).filter((d) => d.task === 'deploy')).toEqual([]);
    expect(recorded()).toEqual({ 'fraud-detector': ['v2', 'superseded'] });
  });

  it('spoke only the documented API', () => {
    expect(github.violations).toEqual([]);
  });
});
