import { describe, expect, it } from 'vitest';
import { handlePullRequest } from '../../src/release/pull-request.js';
import { fraudPr } from '../support/fraud-pr.js';
import {
  FRAUD_ON_SANDBOX,
  fraudPrOnSandbox,
  runFraudPrPostStep,
  useFraudPrWorld,
} from '../support/main-step.js';
import { sha } from '../support/model-config.js';
import { pullRequestEvent } from '../support/payloads.js';

// What the step logs say when something fails. A refused withdrawal tried again within the job
// warned once per try, the same words each time; an error in a pull_request run was folded into
// the run's log group, out of sight; the post step quoted Octokit's raw text ("Not Found -
// https://docs.github.com/…") where the main step names the request and GitHub's answer, and on a
// 404 said to re-run the job "once GitHub answers", though GitHub had answered.

const world = useFraudPrWorld({ pr: 4, config: FRAUD_ON_SANDBOX });

describe('a withdrawal the platform refuses, tried again within the job (engine, fake clock)', () => {
  it('warns once while the refusal says the same, not once per try', async () => {
    const w = await fraudPr({ to: 'v2', candidateErrors: 0.2 });
    // The candidate is deployed, then every change after it (its rollback) refused.
    w.target.failFromWrite = 1;
    let rollbacks = 0;
    const write = w.target.write.bind(w.target);
    w.target.write = (desired) => {
      if (!desired.canary) rollbacks++;
      return write(desired);
    };
    const run = await handlePullRequest(w.config, w.event(), w.ports, {
      mode: 'watch',
      maxWaitMs: 60_000,
      dryRun: false,
    });
    expect(run.releases[0]).toMatchObject({ status: 'failed', withdrawPending: true });
    // The rollback, then tried again 2, 4, 8 and 16 s after each refusal, within the minute.
    expect(rollbacks).toBe(5);
    const stuck = w.warnings.filter((m) => m.startsWith('fraud: v2 may still get live traffic: '));
    expect(stuck).toHaveLength(1);
  });
});

describe('a pull_request run that stops on an error', () => {
  it('closes its log group before the error, so the error is not folded away', async () => {
    world.github.failNext('GET', /\/issues\/4\/comments/, 404);
    const shas = { base: sha(1), head: sha(2) };
    const run = await world.step(
      'pull_request',
      pullRequestEvent('closed', shas, { number: 4, merged: true }),
    );
    expect(run.exitCode).toBe(1);
    const lines = run.log.split('\n');
    const group = lines.indexOf('::group::pull_request closed #4');
    const error = lines.findIndex((l) => l.startsWith('::error::'));
    expect(group).toBeGreaterThanOrEqual(0);
    expect(error).toBeGreaterThan(group);
    expect(lines.slice(group, error)).toContain('::endgroup::');
  });
});

describe('a post step whose ledger read GitHub answers 404', () => {
  it("names the request and GitHub's answer as the main step does, and what a 404 means", async () => {
    world.github.failNext('GET', /\/issues\/7\/comments/, 404);
    const post = await runFraudPrPostStep({
      config: fraudPrOnSandbox(world.sandbox.url),
      ledger: 'github',
      githubUrl: world.github.url,
    });
    expect(post.error).toMatch(
      /^model-gate post step could not read or write the ledger \(GitHub answered 404 to GET \S*\/issues\/7\/comments\S*: Not Found\); fraud-detector: v2 has no live traffic; the PR comment and statuses are not updated: GitHub has no such PR, comment or deployment, or the job's token cannot see it \(it needs pull-requests: write, deployments: write and statuses: write\); a re-run meets the same answer until that is fixed$/,
    );
    expect(post.error).not.toContain('docs.github.com');
  });
});
