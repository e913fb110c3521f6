import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type FakeGitHub, startFakeGitHub } from '../support/fake-github/server.js';
import { AZUREML_KEY, azuremlFraudEndpoint, azuremlTargetYaml } from '../support/fraud-endpoints.js';
import { sha } from '../support/model-config.js';
import { waitingQueue } from '../support/slot-queue-jobs.js';
import { useStandins } from '../support/standin-server.js';
import { closedPrOnGitHub } from './closed-pr-world.js';

// PR #7 released v2 (deployment fraud-v2) while PR #8, declaring v2 too, waited in the queue for
// the canary slot. Closing PR #7 used to delete fraud-v2, since only the slot's holder was asked:
// PR #8's job, re-run once the slot freed, then failed on a deployment that no longer exists, and
// told its user to correct the version. The close now keeps a deployment a waiting PR declares.
const standins = useStandins('az', azuremlFraudEndpoint);
const endpoint = async () => (await standins.state()).azureml[AZUREML_KEY];
const ENDPOINT = 'Azure ML endpoint fraud-endpoint (workspace fraud-ws)';

let github: FakeGitHub;
beforeEach(async () => {
  github = await startFakeGitHub({ owner: 'Codertocat', repo: 'Hello-World' });
});
afterEach(async () => {
  expect(github.violations).toEqual([]);
  await github.close();
});

const seedPr = (pr: number, head: number, state: 'open' | 'closed' = 'open') =>
  github.setPullRequest(pr, { baseSha: sha(1), headSha: sha(head), files: [], state });

describe('closing a PR on Azure ML while another PR waits for the canary slot with the same version', () => {
  it('keeps the deployment for the waiting PR, says why, and that PR’s re-run releases it', async () => {
    const w = closedPrOnGitHub(azuremlTargetYaml(), github);
    seedPr(7, 2);
    seedPr(8, 8);
    await w.job(7, 2, 'opened');
    expect((await endpoint()).traffic).toEqual({ 'fraud-v1': 90, 'fraud-v2': 10 });
    await w.job(8, 8, 'opened');
    expect(waitingQueue(github, 'fraud')).toEqual(['#8 queued']);

    seedPr(7, 2, 'closed');
    const { result } = await w.job(7, 2, 'closed');
    expect(result.releases.map((r) => r.status)).toEqual(['aborted']);
    const after = await endpoint();
    expect(after.traffic).toEqual({ 'fraud-v1': 100, 'fraud-v2': 0 });
    expect(after._deployments).toEqual(['fraud-v1', 'fraud-v2']);
    expect(w.logs).toContain(
      `fraud: v2's deployment fraud-v2 stays on ${ENDPOINT}: PR #8 waits for the canary slot with it`,
    );

    // The queue re-ran PR #8's run: its job releases v2 on the deployment kept for it.
    expect(github.reruns).toHaveLength(1);
    const { result: next } = await w.job(8, 8, 'opened');
    expect(next.releases.map((r) => [r.to, r.status])).toEqual([['v2', 'analysing']]);
    expect((await endpoint()).traffic).toEqual({ 'fraud-v1': 90, 'fraud-v2': 10 });
  });

  it('removes it once the waiting PR was closed too', async () => {
    const w = closedPrOnGitHub(azuremlTargetYaml(), github);
    seedPr(7, 2);
    seedPr(8, 8);
    await w.job(7, 2, 'opened');
    await w.job(8, 8, 'opened');
    seedPr(8, 8, 'closed');
    seedPr(7, 2, 'closed');
    const { report } = await w.job(7, 2, 'closed');
    expect(report).toContain(`fraud: v2 withdrawn; its deployment fraud-v2 is removed from ${ENDPOINT}`);
    expect((await endpoint())._deployments).toEqual(['fraud-v1']);
  });
});
