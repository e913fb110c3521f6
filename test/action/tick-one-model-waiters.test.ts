import { getOctokit } from '@actions/github';
import { describe, expect, it } from 'vitest';
import { GitHubLedger } from '../../src/github/github-ledger.js';
import { FRAUD_ON_SANDBOX, UNREACHABLE_CHURN, useFraudPrWorld } from '../support/main-step.js';
import { sha } from '../support/model-config.js';

// A matrix of schedule ticks, one job per model (`model` input): the job of churn must not touch
// fraud-detector's queue. It used to re-run the workflow of every model's first waiting PR, so a
// PR waiting for fraud-detector's slot was started by churn's tick, beside fraud-detector's own.
// Main step from src/, against the GitHub stand-in and the sandbox.
const world = useFraudPrWorld({ pr: 7, config: `${FRAUD_ON_SANDBOX}${UNREACHABLE_CHURN}` });
const WAITING_RUN = 77;
const tick = (inputs: Record<string, string> = {}) =>
  world.step('schedule', { schedule: '*/15 * * * *' }, { command: 'tick', ...inputs });

/** PR #7 waits for fraud-detector's canary slot, as its job queued it (its run completed). */
async function fraudWaiter() {
  world.github.startRun(WAITING_RUN);
  world.github.endRun(WAITING_RUN);
  const client = getOctokit('ghs_job_token', { baseUrl: world.github.url });
  const ledger = new GitHubLedger({
    client,
    repo: { owner: 'Codertocat', repo: 'Hello-World' },
    sha: sha(2),
    pr: 7,
    runId: WAITING_RUN,
  });
  await ledger.wait('fraud-detector', { pr: 7, headSha: sha(2), to: 'v2' });
}

describe('a schedule tick limited to one model', () => {
  it('leaves the PRs waiting for another model’s slot to that model’s tick', async () => {
    await fraudWaiter();

    const churnOnly = await tick({ model: 'churn' });
    expect(churnOnly.error).toBeUndefined();
    expect(world.github.reruns).toEqual([]);

    // fraud-detector's own tick starts its waiting PR: the slot is free.
    const fraudOnly = await tick({ model: 'fraud-detector' });
    expect(fraudOnly.error).toBeUndefined();
    expect(world.github.reruns).toEqual([WAITING_RUN]);
  });
});
