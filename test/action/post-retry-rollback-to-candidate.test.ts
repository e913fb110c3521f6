import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CLEANUP_STATE } from '../../src/action/post.js';
import { requestJson } from '../../src/core/http-json.js';
import { handlePullRequest } from '../../src/release/pull-request.js';
import type { Sandbox } from '../../src/sandbox/server.js';
import { runStep } from '../support/actions-runner.js';
import type { FakeGitHub } from '../support/fake-github/server.js';
import { fraudPr } from '../support/fraud-pr.js';
import { fraudPrOnSandbox, startFraudWorld } from '../support/main-step.js';
import { sha } from '../support/model-config.js';
import { pullRequestEvent } from '../support/payloads.js';

// PR #7 reverts fraud-detector to v2 (PR #5 brought v1 in over it); its gate fails and the platform
// refuses the rollback: the withdrawal of v2 is pending. Then a rollback to v2 is recorded that did
// not settle the release (an older model-gate's). The job's post step retrying the withdrawal must
// take that rollback's word, v2 serving alone, not put v1 back over it. The release is made by the
// engine on a memory target, into a file ledger the post step (from src/, its own process) reads;
// the platform the post step sees is a real sandbox.
const MODEL = 'fraud-detector';

let sandbox: Sandbox;
let github: FakeGitHub;

afterAll(async () => {
  await sandbox?.close();
  await github?.close();
});

describe("a PR job's post step retrying a withdrawal after a rollback to the candidate on record", () => {
  it('leaves v2 serving alone and settles the release', async () => {
    ({ sandbox, github } = await startFraudWorld('v2'));
    const config = fraudPrOnSandbox(sandbox.url);
    const w = await fraudPr({ to: 'v2', candidateErrors: 0.2, yaml: config });
    const entry = { model: MODEL, kind: 'promotion' as const, summary: 's' };
    await w.ledger.record({ ...entry, version: 'v2', previous: 'v0', at: 0, pr: 3 });
    await w.ledger.record({ ...entry, version: 'v1', previous: 'v2', at: 1, pr: 5 });
    w.target.failFromWrite = 1;
    const watch = { mode: 'watch' as const, maxWaitMs: 60_000, dryRun: false };
    const failed = await handlePullRequest(w.config, w.event(), w.ports, watch);
    expect(failed.releases[0]).toMatchObject({ status: 'failed', withdrawPending: true });
    w.clock.advance(60_000);
    await w.ledger.record({ ...entry, kind: 'rollback', version: 'v2', previous: 'v1', at: w.clock.now() });

    const workspace = await mkdtemp(join(tmpdir(), 'model-gate-post-rollback-'));
    await mkdir(join(workspace, '.github'));
    await writeFile(join(workspace, '.github', 'model-gate.yml'), config);
    const post = await runStep('post.js', {
      workspace,
      eventName: 'pull_request',
      event: pullRequestEvent('opened', { base: sha(1), head: sha(2) }, { number: 7 }),
      env: { GITHUB_API_URL: github.url },
      inputs: { 'github-token': 'ghs_fake_token', ledger: w.ledgerPath },
      state: { [CLEANUP_STATE]: JSON.stringify([{ model: MODEL, from: 'v1', to: 'v2' }]) },
      fromSource: true,
    });
    expect(post.code).toBe(0);
    const serving = await requestJson('GET', `${sandbox.url}/admin/models/${MODEL}/traffic`);
    expect(serving.body).toEqual({ stable: { version: 'v2' } });
    const settled = await w.ledger.release(MODEL);
    expect(settled?.withdrawPending).toBeUndefined();
    expect(settled?.reason).toMatch(
      /^v2 was not withdrawn: it is the stable version on record since the rollback v1 → v2; it had ended failed: /,
    );
  }, 60_000);
});
