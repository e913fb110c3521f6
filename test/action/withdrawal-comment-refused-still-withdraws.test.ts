import { afterEach, describe, expect, it } from 'vitest';
import type { Sandbox } from '../../src/sandbox/server.js';
import type { FakeGitHub } from '../support/fake-github/server.js';
import { fraudCanaryConfig, fraudServing, runMainStep, startFraudWorld } from '../support/main-step.js';
import { sha } from '../support/model-config.js';
import { pullRequestEvent, workflowDispatchEvent } from '../support/payloads.js';

// An incident while PR #61's candidate v2 takes 10% of fraud-detector's live traffic: the on-call
// engineer aborts it, or rolls back, from a workflow whose token lacks `pull-requests: write`. The
// end is recorded in the PR's comment before the traffic change, and GitHub refused that write:
// the run stopped there ("model-gate stopped: GitHub answered 403 …") and v2 kept its traffic. A
// comment that cannot be written must not keep a candidate live: the change is made, and the run
// fails naming the write. Main step from src/, the sandbox, the GitHub stand-in.
const MODEL = 'fraud-detector';
const FILE = 'models/fraud.yaml';
const PR = 61;
const CONFIG = fraudCanaryConfig(
  '{ type: canary, steps: [10, 50], step-duration: 30s, min-requests: 40, interval: 250ms }',
);
const REFUSED = 'Resource not accessible by integration';
const IN_FLIGHT = { stable: { version: 'v1' }, canary: { version: 'v2', weight: 10 } };

let world: { sandbox: Sandbox; github: FakeGitHub } | undefined;
afterEach(async () => {
  expect(world?.github.violations).toEqual([]);
  await world?.sandbox.close();
  await world?.github.close();
  world = undefined;
});

const step = (eventName: string, event: unknown, inputs: Record<string, string>) =>
  runMainStep({
    eventName,
    event,
    inputs: { ledger: 'github', ...inputs },
    config: CONFIG,
    githubUrl: world?.github.url ?? '',
    env: {
      SANDBOX_URL: world?.sandbox.url ?? '',
      GITHUB_SHA: sha(1),
      MODEL_GATE_TEST_GITHUB_WAIT_SCALE: '0.05',
    },
  });

const prJob = (action: 'opened' | 'synchronize') =>
  step('pull_request', pullRequestEvent(action, { base: sha(1), head: sha(2) }, { number: PR }), {
    mode: 'tick',
  });

/** PR #61's job has given v2 its first step; from now on GitHub refuses every comment write. */
async function candidateInFlightCommentsRefused() {
  world = await startFraudWorld('v1');
  world.github.setFile(sha(1), FILE, 'version: v1\n');
  world.github.setFile(sha(2), FILE, 'version: v2\n');
  world.github.setPullRequest(PR, {
    baseSha: sha(1),
    headSha: sha(2),
    files: [{ filename: FILE, status: 'modified' }],
  });
  expect((await prJob('opened')).outputs.decision).toBe('analysing');
  expect(await fraudServing(world.sandbox)).toEqual(IN_FLIGHT);
  commentsRefused.on = true;
  for (const method of ['POST', 'PATCH'])
    world.github.failNext(method, commentsRefused, 403, 100, {}, { message: REFUSED });
  return world;
}

/** The PR comment paths (a new comment, an update), matched while the token may not write them (`on`). */
class CommentWrites extends RegExp {
  on = false;
  override test(path: string): boolean {
    return this.on && super.test(path);
  }
}
const commentsRefused = new CommentWrites('/issues/(\\d+/comments|comments/\\d+)$');

const comment = (github: FakeGitHub) =>
  github.comments(PR).find((c) => c.body.startsWith('<!-- model-gate report -->'))?.body ?? '';

const dispatch = (inputs: Record<string, string>) => {
  const all = { model: MODEL, ...inputs };
  return step('workflow_dispatch', workflowDispatchEvent(all), all);
};

/** The words GitHub's refusal of the PR comment's update comes in (describeGitHubError). */
const COMMENT_REFUSED = new RegExp(
  `GitHub answered 403 to PATCH \\S+/issues/comments/\\d+: ${REFUSED} \\(the token lacks pull-requests: write`,
);

describe('an end by workflow_dispatch whose PR comment GitHub refuses', () => {
  it('abort: v2 is withdrawn all the same, and the step fails naming the refused comment', async () => {
    const { sandbox } = await candidateInFlightCommentsRefused();
    const run = await dispatch({ command: 'abort' });

    expect(await fraudServing(sandbox)).toEqual({ stable: { version: 'v1' } });
    expect(run.outputs.decision).toBe('aborted');
    expect(run.exitCode).toBe(1);
    // What took first, mid-incident, then the refusal: not "model-gate stopped" alone.
    expect(run.error).toMatch(
      new RegExp(
        `^${MODEL} v2 is withdrawn and v1 serves: the abort took; only the comment on PR #${PR} failed: ${COMMENT_REFUSED.source}`,
      ),
    );
    expect(run.report).toContain('The PR comment could not be updated');
    expect(run.report).toContain(
      `${MODEL} v2 was withdrawn: aborted by @\u200boctocat via workflow\\_dispatch; v1 serves`,
    );
  });

  it('rollback to another version: v3 alone serves, the rollback is recorded, only the comment failed', async () => {
    const { sandbox, github } = await candidateInFlightCommentsRefused();
    const run = await dispatch({ command: 'rollback', 'to-version': 'v3' });

    expect(await fraudServing(sandbox)).toEqual({ stable: { version: 'v3' } });
    expect(run.outputs.decision).toBe('rolled-back');
    expect(run.error).toMatch(
      new RegExp(
        `^${MODEL} now serves v3: the rollback from v1 took and is recorded; only the comment on PR #${PR} failed: ${COMMENT_REFUSED.source}`,
      ),
    );
    const entries = github.deployments(`model-gate/${MODEL}`).filter((d) => d.task === 'deploy');
    expect(entries.map((d) => d.description)).toEqual(['rollback v1 -> v3']);
  });

  it("the PR's next job, its comment still saying v2 is in flight, gives v2 no traffic again", async () => {
    const { sandbox, github } = await candidateInFlightCommentsRefused();
    await dispatch({ command: 'rollback', 'to-version': 'v1' });
    expect(await fraudServing(sandbox)).toEqual({ stable: { version: 'v1' } });
    expect(comment(github)).toContain(`${MODEL} v2: analysing step 1 of 2 (10% of live traffic)`);

    // The workflow's permissions fixed: the PR job writes its comment again.
    commentsRefused.on = false;
    const next = await prJob('synchronize');
    expect(await fraudServing(sandbox)).toEqual({ stable: { version: 'v1' } });
    expect(next.outputs.decision).toBe('aborted');
    expect(comment(github)).toContain(
      `${MODEL} v2 was withdrawn: v2 had no live traffic when this run went to resume step 1 of 2 (v1 alone served)`,
    );
  });
});
