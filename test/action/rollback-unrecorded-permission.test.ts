import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Sandbox } from '../../src/sandbox/server.js';
import type { FakeGitHub } from '../support/fake-github/server.js';
import {
  dispatchFraudRollback,
  fraudPromotedByPr,
  fraudServing,
  startFraudWorld,
} from '../support/main-step.js';

// An incident: v2 (promoted by PR #7) is bad, and the on-call engineer runs the rollback. The
// workflow lacks `deployments: write`, so GitHub refuses the Deployment that records it. The
// platform already serves v1: the run must say the rollback took, not "model-gate stopped" (read as
// a failed rollback), and how to record it; once the permission is there, the same job records it
// without touching traffic. Main step from src/, the sandbox, the GitHub stand-in.
let sandbox: Sandbox;
let github: FakeGitHub;

beforeAll(async () => {
  ({ sandbox, github } = await startFraudWorld('v2', 3));
  await fraudPromotedByPr(github, 7);
});
afterAll(async () => {
  await sandbox?.close();
  await github?.close();
});

const rollback = () => dispatchFraudRollback({ sandbox, github });
const kinds = () =>
  github
    .deployments('model-gate/fraud-detector')
    .filter((d) => d.task === 'deploy')
    .map((d) => d.description);

describe('a rollback whose record GitHub refuses for want of deployments: write', () => {
  it('says the rollback took and how to record it; the same job then records it, traffic untouched', async () => {
    github.failNext(
      'POST',
      '/repos/{owner}/{repo}/deployments',
      403,
      1,
      {},
      {
        message: 'Resource not accessible by integration',
      },
    );
    const refused = await rollback();
    expect(await fraudServing(sandbox)).toEqual({ stable: { version: 'v1' } });
    expect(refused.error).toMatch(
      /^fraud-detector now serves v1: the rollback from v2 took, but recording it failed \(GitHub answered 403 to POST .*\/deployments: Resource not accessible by integration \(the token lacks deployments: write: add it to the workflow's permissions\)\), so the ledger's record may still have v2 serving; re-run this job once that is fixed: it records the rollback, or completes its record, and changes no traffic$/,
    );
    expect(kinds()).toEqual(['promotion v1 -> v2']);

    // The permission added, the job re-run with the same inputs.
    const recorded = await rollback();
    expect(recorded.error).toBeUndefined();
    expect(await fraudServing(sandbox)).toEqual({ stable: { version: 'v1' } });
    expect(kinds()).toEqual(['promotion v1 -> v2', 'rollback v2 -> v1']);
  });
});
