import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { closedPrOnGitHub } from '../release/closed-pr-world.js';
import { type FakeGitHub, startFakeGitHub } from '../support/fake-github/server.js';
import { AZUREML_KEY, azuremlFraudEndpoint, azuremlTargetYaml } from '../support/fraud-endpoints.js';
import { runFraudPrPostStep } from '../support/main-step.js';
import { sha } from '../support/model-config.js';
import { pullRequestEvent } from '../support/payloads.js';
import { canaryOnTarget } from '../support/pr-release-world.js';
import { useStandins } from '../support/standin-server.js';

// PR #7 released v2 on Azure ML (deployment fraud-v2, put there at 0% by the user's deploy step),
// then was closed without merging. Its close job stopped before it took fraud-v2 off: cancelled
// mid-analysis, or left to its post step by a withdrawal Azure refused. The post step withdrew v2
// and stopped there; no later close job comes, and no schedule tick tears it down: fraud-v2 ran
// (and billed) for good. The post step of a close job now takes it off as that job would have.
const standins = useStandins('az', azuremlFraudEndpoint);
const endpoint = async () => (await standins.state()).azureml[AZUREML_KEY];
const REMOVED =
  'v2 withdrawn; its deployment fraud-v2 is removed from Azure ML endpoint fraud-endpoint (workspace fraud-ws)';
const CONFIG = canaryOnTarget(azuremlTargetYaml());

let github: FakeGitHub;
let dir: string;
beforeEach(async () => {
  github = await startFakeGitHub({ owner: 'Codertocat', repo: 'Hello-World' });
  dir = await mkdtemp(join(tmpdir(), 'model-gate-close-stopped-'));
});
afterEach(async () => {
  expect(github.violations).toEqual([]);
  await github.close();
  await rm(dir, { recursive: true, force: true });
});

/** PR #7 at 10% on v2 (its job on the stand-in's PR comment), then closed on GitHub. */
async function releasedThenClosed() {
  const w = closedPrOnGitHub(azuremlTargetYaml(), github);
  const pr = (state: 'open' | 'closed') =>
    github.setPullRequest(7, { baseSha: sha(1), headSha: sha(2), files: [], state });
  pr('open');
  await w.job(7, 2, 'opened');
  expect((await endpoint()).traffic).toEqual({ 'fraud-v1': 90, 'fraud-v2': 10 });
  pr('closed');
  return w;
}

/**
 * PR #7's close job, Azure refusing its `op` throughout: fraud-v2 is left deployed. Then Azure
 * answers again, its state as the close left it, without the fault. The close job's result.
 */
async function closeJobRefused(w: Awaited<ReturnType<typeof releasedThenClosed>>, op: string) {
  await standins.fault({ cli: 'az', op, kind: 'fail', times: -1 });
  const { result } = await w.job(7, 2, 'closed');
  expect((await endpoint())._deployments).toEqual(['fraud-v1', 'fraud-v2']);
  const { faults: _, calls: __, ...state } = (await standins.state()) as Record<string, unknown>;
  await standins.seed(state as never);
  return result;
}

/** The post step of PR #7's close job (closed without merging), its ledger the PR comment. */
async function closeJobPostStep(inputs: Record<string, string> = {}) {
  const event = join(dir, 'closed.json');
  await writeFile(
    event,
    JSON.stringify(pullRequestEvent('closed', { base: sha(1), head: sha(2) }, { number: 7 })),
  );
  // The stand-ins answer the az the step runs through these.
  const standinEnv = Object.fromEntries(
    Object.entries(process.env).filter((e): e is [string, string] => e[0].startsWith('MODEL_GATE_')),
  );
  const post = await runFraudPrPostStep({
    config: CONFIG,
    ledger: 'github',
    githubUrl: github.url,
    env: { ...standinEnv, GITHUB_EVENT_PATH: event, ...inputs },
  });
  const warnings = post.log.split('\n').filter((l) => l.startsWith('::warning::'));
  return { ...post, warnings };
}

const comment = () =>
  github.comments(7).find((c) => c.body.startsWith('<!-- model-gate report -->'))?.body ?? '';

describe('the post step of a close job stopped before it took the candidate off Azure ML', () => {
  it('cancelled mid-analysis: withdraws v2, deletes fraud-v2, and says so in its warning and the comment', async () => {
    await releasedThenClosed();
    const post = await closeJobPostStep();
    expect(post.error).toBeUndefined();
    expect(await endpoint()).toMatchObject({ _deployments: ['fraud-v1'], traffic: { 'fraud-v1': 100 } });
    expect(post.warnings).toContainEqual(
      expect.stringMatching(
        /^::warning::fraud: the job stopped mid-analysis .*; v2 withdrawn by the post step$/,
      ),
    );
    expect(post.warnings).toContain(`::warning::fraud: ${REMOVED}`);
    expect(comment()).toContain(REMOVED);
  });

  it('its withdrawal refused, left to the post step: settles it, then deletes fraud-v2', async () => {
    const result = await closeJobRefused(await releasedThenClosed(), 'update');
    expect(result.releases.map((r) => [r.status, r.withdrawPending])).toEqual([['aborted', true]]);

    const post = await closeJobPostStep();
    expect(post.error).toBeUndefined();
    expect(await endpoint()).toMatchObject({ _deployments: ['fraud-v1'], traffic: { 'fraud-v1': 100 } });
    expect(post.warnings).toContainEqual(
      expect.stringMatching(/^::warning::fraud: .*; v2 withdrawn on a later try$/),
    );
    expect(post.warnings).toContain(`::warning::fraud: ${REMOVED}`);
    expect(comment()).toContain(REMOVED);
  });

  it('stopped after its withdrawal, before the tear-down: deletes fraud-v2 all the same', async () => {
    // The close job ends the release and withdraws v2; its delete does not happen (refused here,
    // as a job cancelled between the two leaves it).
    const result = await closeJobRefused(await releasedThenClosed(), 'online-deployment delete');
    expect(result.releases.map((r) => [r.status, r.withdrawPending])).toEqual([['aborted', undefined]]);

    const post = await closeJobPostStep();
    expect(post.error).toBeUndefined();
    expect(await endpoint()).toMatchObject({ _deployments: ['fraud-v1'], traffic: { 'fraud-v1': 100 } });
    expect(post.warnings).toEqual([`::warning::fraud: ${REMOVED}`]);
    expect(comment()).toContain(REMOVED);
    expect(comment()).not.toContain('is left on');
  });

  it("a dry run's: withdraws and deletes nothing (it deployed nothing; v2 is the real run's)", async () => {
    await releasedThenClosed();
    const post = await closeJobPostStep({ 'INPUT_DRY-RUN': 'true' });
    expect(post.error).toBeUndefined();
    expect(await endpoint()).toMatchObject({
      _deployments: ['fraud-v1', 'fraud-v2'],
      traffic: { 'fraud-v1': 90, 'fraud-v2': 10 },
    });
    expect(post.warnings).toEqual([]);
  });

  it('a delete that fails fails no step: the warning names the deployment left and what to do', async () => {
    await releasedThenClosed();
    await standins.fault({ cli: 'az', op: 'online-deployment delete', kind: 'fail', times: -1 });
    const post = await closeJobPostStep();
    expect(post.error).toBeUndefined();
    expect((await endpoint())._deployments).toEqual(['fraud-v1', 'fraud-v2']);
    expect((await endpoint()).traffic).toEqual({ 'fraud-v1': 100, 'fraud-v2': 0 });
    const said = post.warnings.filter((l) => l.includes('its deployment fraud-v2 is left on'));
    expect(said).toHaveLength(1);
    expect(said[0]).toMatch(
      /removing it failed: .+; re-run this job to try again, or remove it by hand: `az ml online-deployment delete --name fraud-v2 /,
    );
    expect(post.log).not.toMatch(/\n\s+at /);
  });
});
