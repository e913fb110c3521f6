import { describe, expect, it } from 'vitest';
import { CLEANUP_STATE } from '../../src/action/post.js';
import { runStep } from '../support/actions-runner.js';
import { FRAUD_ON_SANDBOX, fraudServing, useFraudPrWorld } from '../support/main-step.js';
import { sha } from '../support/model-config.js';
import { pullRequestEvent } from '../support/payloads.js';

// A job cancelled after its first commit status ("v2: deploying the candidate", pending) and before
// the PR comment recorded its release or v2 got live traffic. The post step found v2 with no live
// traffic and only logged it: the status stayed pending, so a required check waited with a false
// description. Now the post step sets it to error, saying v2 got no live traffic and to re-run the
// job; the re-run (nothing on record refuses it) analyses the head. The post step is from src/ as its
// own process, given the state the main step saved; the platform a real sandbox serving v1 alone.
const MODEL = 'fraud-detector';
const shas = { base: sha(1), head: sha(2) };

const world = useFraudPrWorld({ pr: 50, config: FRAUD_ON_SANDBOX, workspace: 'model-gate-post-no-traffic-' });

const event = pullRequestEvent('opened', shas, { number: 50 });
const ourComments = () =>
  world.github.comments(50).filter((c) => c.body.startsWith('<!-- model-gate report -->'));

describe('a job cancelled before its candidate got live traffic or a record', () => {
  it("sets the head's status to error, saying v2 got no live traffic and to re-run the job", async () => {
    const post = await runStep('post.js', {
      workspace: world.workspace,
      eventName: 'pull_request',
      event,
      env: { SANDBOX_URL: world.sandbox.url, GITHUB_API_URL: world.github.url, GITHUB_RUN_ID: '5050' },
      inputs: { 'github-token': 'ghs_fake_token' },
      state: {
        [CLEANUP_STATE]: JSON.stringify([{ model: MODEL, from: 'v1', to: 'v2', startedAt: Date.now() }]),
      },
      fromSource: true,
    });
    expect(post.code).toBe(0);
    expect(await fraudServing(world.sandbox)).toEqual({ stable: { version: 'v1' } });
    expect(world.github.commitStatuses(shas.head).at(-1)).toMatchObject({
      state: 'error',
      context: `model-gate/${MODEL}`,
      description: 'v2 got no live traffic: the job stopped before its release was recorded; re-run the job',
    });
    // Nothing recorded: the PR has no comment of an aborted release that would refuse the re-run.
    expect(ourComments()).toEqual([]);

    const rerun = await world.step(
      'pull_request',
      event,
      { mode: 'tick' },
      { GITHUB_RUN_ID: '5050', GITHUB_RUN_ATTEMPT: '2' },
    );
    expect([rerun.error, rerun.outputs.decision]).toEqual([undefined, 'analysing']);
    expect(world.github.commitStatuses(shas.head).at(-1)?.state).toBe('pending');
  }, 60_000);
});
