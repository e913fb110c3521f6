import { describe, expect, it } from 'vitest';
import type { AzureMlTargetConfig } from '../../src/config/types.js';
import { azuremlTarget } from '../../src/targets/azureml-target.js';
import { memoryFileReader } from '../../src/version/changed-models.js';
import { WORKING_TREE } from '../../src/version/local-comparison.js';
import { passingCanaryRecordWorld, tickJob } from '../support/canary-record-world.js';
import { AZUREML_KEY, azuremlFraudEndpoint, azuremlTargetYaml } from '../support/fraud-endpoints.js';
import { useStandins } from '../support/standin-server.js';

// A PR's canary on Azure ML whose endpoint answers 409 (Conflict: another update in progress) to
// the step to 10% for the whole of its settle-timeout: the release fails, its candidate never
// served. A failed analysis is not run again on the same commit, so a re-run of the job leaves it
// failed; the reason used to end "nothing was changed, try again later", which no re-run does.
const standins = useStandins('az', azuremlFraudEndpoint);

/** fraud v1 → v2 on the endpoint, its step to 10% answered 409 for the whole of its settle-timeout. */
async function busyWorld() {
  const w = await passingCanaryRecordWorld(azuremlTargetYaml('1s'));
  w.ports.targetFor = (model) => azuremlTarget(model.target as AzureMlTargetConfig, model.name, w.clock);
  // Every try of the step's update within its settle-timeout of 2s (one a second): 409.
  await standins.fault({ cli: 'az', op: 'update', kind: 'busy', times: 3 });
  return w;
}

const BUSY =
  'the serving platform failed: Azure ML endpoint fraud-endpoint \\(workspace fraud-ws\\) is busy with another change \\(.*\\(Conflict\\).*\\); nothing was changed, ';

describe('an Azure ML endpoint busy through the step to 10%', () => {
  it('fails the release saying to push a new commit, which is what analyses again', async () => {
    const w = await busyWorld();
    const job = () => tickJob(w);

    const [failed] = (await job()).releases;
    expect((await standins.state()).azureml[AZUREML_KEY].traffic).toEqual({ 'fraud-v1': 100, 'fraud-v2': 0 });
    expect(failed).toMatchObject({ status: 'failed' });
    expect(failed?.withdrawPending).toBeUndefined();
    expect(failed?.reason).toMatch(new RegExp(`^${BUSY}push a new commit to analyse again$`));

    // A re-run of the same job: the commit's failed analysis stands, as the reason said.
    const rerun = await job();
    expect(rerun.releases[0]).toEqual(failed);
    expect(rerun.skipped.map((s) => s.why)).toContain(
      `this head (${w.event().headSha.slice(0, 7)}) already failed its analysis, and a failed analysis is not run again on the same commit; push a new commit to analyse again`,
    );
  });

  it('run by model-gate run on the working tree, says to commit and run with --head HEAD: no push analyses it again', async () => {
    const w = await busyWorld();
    w.ports.reader = memoryFileReader({
      [w.event().baseSha]: { 'fraud.yaml': 'version: v1\n' },
      [WORKING_TREE]: { 'fraud.yaml': 'version: v2\n' },
    });
    const event = { ...w.event(), headSha: WORKING_TREE };
    const job = () => tickJob(w, event);

    const [failed] = (await job()).releases;
    expect(failed).toMatchObject({ status: 'failed', headSha: WORKING_TREE });
    expect(failed?.reason).toMatch(
      new RegExp(`^${BUSY}commit your change and run again with --head HEAD to analyse that commit$`),
    );
    expect(failed?.phases.at(-1)?.note).toMatch(/commit your change and run again with --head HEAD/);

    // What the run after it says, the same advice.
    const rerun = await job();
    expect(rerun.releases[0]).toEqual(failed);
    expect(rerun.skipped.map((s) => s.why)).toContain(
      'this head (the working tree) already failed its analysis, and a failed analysis is not run again on the same head; commit your change and run again with --head HEAD to analyse that commit',
    );
  });
  it('throttled through the step to 10%, fails the release saying to push a new commit too', async () => {
    const w = await busyWorld();
    await standins.seed({ ...(await standins.state()), faults: [] });
    // TooManyRequests on every try (5, within the 2 s settle-timeout): a throttle model-gate words.
    await standins.fault({ cli: 'az', op: 'update', kind: 'throttle', times: 5 });
    const [failed] = (await tickJob(w)).releases;
    expect(failed).toMatchObject({ status: 'failed' });
    expect(failed?.reason).toMatch(/kept refusing .* for rate limits .*; push a new commit to analyse again/);
    expect(failed?.reason).not.toMatch(/try again later/);
  });
});
