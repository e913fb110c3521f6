import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Sandbox } from '../../src/sandbox/server.js';
import type { FakeGitHub } from '../support/fake-github/server.js';
import {
  dispatchFraudRollback,
  fraudPromotedByPr,
  fraudServing,
  startFraudWorld,
} from '../support/main-step.js';

// An incident: v2 (promoted by PR #8) is bad, and the on-call engineer runs the rollback. It takes
// and its Deployment records it, but the workflow lacks `pull-requests: write`, so GitHub refuses
// the note on PR #8. The step fails (the permission wants fixing), yet its error must say first
// that the rollback is done, not "model-gate stopped" (read as a failed rollback), and that a
// re-run is not needed: without to-version, one later than 10m would roll back again. Main step from src/, the
// sandbox, the GitHub stand-in.
let sandbox: Sandbox;
let github: FakeGitHub;

beforeAll(async () => {
  ({ sandbox, github } = await startFraudWorld('v2', 3));
  await fraudPromotedByPr(github, 8);
});
afterAll(async () => {
  expect(github?.violations).toEqual([]);
  await sandbox?.close();
  await github?.close();
});

describe('a rollback by workflow_dispatch whose note on the PR GitHub refuses', () => {
  it('fails saying the rollback took and is recorded, and only the note failed', async () => {
    github.failNext(
      'POST',
      '/repos/{owner}/{repo}/issues/{issue_number}/comments',
      403,
      1,
      {},
      {
        message: 'Resource not accessible by integration',
      },
    );
    const run = await dispatchFraudRollback({ sandbox, github });
    expect(await fraudServing(sandbox)).toEqual({ stable: { version: 'v1' } });
    expect(run.error).toMatch(
      /^fraud-detector now serves v1: the rollback from v2 took and is recorded; only the note on PR #8 failed: GitHub answered 403 to POST \S+\/issues\/8\/comments: Resource not accessible by integration \(the token lacks pull-requests: write: add it to the workflow's permissions\); no re-run is needed: one within 10m changes nothing, and one later rolls back again, past v1; the job summary has the run's report$/,
    );
    expect(run.exitCode).toBe(1);
    // The rollback happened: the workflow reads so, and the ledger (a Deployment) records it.
    expect(run.outputs.decision).toBe('rolled-back');
    const records = github.deployments('model-gate/fraud-detector').filter((d) => d.task === 'deploy');
    expect(records.map((d) => d.description)).toEqual(['promotion v1 -> v2', 'rollback v2 -> v1']);
    expect(github.comments(8)).toEqual([]);
    expect(run.report).toContain('fraud-detector now serves v1 (was v2): rolled back by');
  });
});
