import { describe, expect, it } from 'vitest';
import { CLEANUP_STATE } from '../../src/action/post.js';
import { runStep } from '../support/actions-runner.js';
import { FRAUD_ON_SANDBOX, fraudServing, useFraudPrWorld } from '../support/main-step.js';
import { sha } from '../support/model-config.js';
import { pullRequestEvent } from '../support/payloads.js';

// A job cancelled right after it gave its candidate live traffic (a canary step at 10%, a blue-green
// switch to 100%), before the phase history had a row for it. The post step withdrew v2 and said
// only "the job stopped mid-analysis; v2 withdrawn by the post step": an incident reviewer read that
// no caller ever reached v2. Now the reason, in the comment and the commit status, says the share v2
// had as the job stopped, read from the platform before the withdrawal. The main step runs one tick
// in this process (v2 on 10%, on record analysing); the post step from src/ as its own process.
const MODEL = 'fraud-detector';
const shas = { base: sha(1), head: sha(2) };
const REASON = 'the job stopped mid-analysis with v2 on 10% of live traffic; v2 withdrawn by the post step';

const world = useFraudPrWorld({ pr: 60, config: FRAUD_ON_SANDBOX, workspace: 'model-gate-post-exposure-' });

const event = pullRequestEvent('opened', shas, { number: 60 });
const ourComment = () =>
  world.github.comments(60).find((c) => c.body.startsWith('<!-- model-gate report -->'))?.body ?? '';

describe('a job cancelled with its candidate on live traffic', () => {
  it('is withdrawn by the post step, whose reason says the share v2 had', async () => {
    const job = await world.step('pull_request', event, { mode: 'tick' }, { GITHUB_RUN_ID: '6060' });
    expect([job.error, job.outputs.decision]).toEqual([undefined, 'analysing']);
    expect(await fraudServing(world.sandbox)).toMatchObject({ canary: { version: 'v2', weight: 10 } });

    const post = await runStep('post.js', {
      workspace: world.workspace,
      eventName: 'pull_request',
      event,
      env: { SANDBOX_URL: world.sandbox.url, GITHUB_API_URL: world.github.url, GITHUB_RUN_ID: '6060' },
      inputs: { 'github-token': 'ghs_fake_token' },
      // What the cancelled main step left saved: v2 may have live traffic.
      state: { [CLEANUP_STATE]: JSON.stringify([{ model: MODEL, from: 'v1', to: 'v2' }]) },
      fromSource: true,
    });
    expect(post.code).toBe(0);
    expect(await fraudServing(world.sandbox)).toEqual({ stable: { version: 'v1' } });
    // A workflow command escapes `%` as `%25`; the runner shows `%`.
    expect(post.stdout).toContain(`::warning::${MODEL}: ${REASON.replaceAll('%', '%25')}`);
    expect(ourComment()).toContain(`${MODEL} v2 was withdrawn: ${REASON}; v1 serves`);
    expect(world.github.commitStatuses(shas.head).at(-1)).toMatchObject({
      state: 'error',
      description: `v2 withdrawn, v1 serves: ${REASON}`,
    });
  }, 60_000);
});
