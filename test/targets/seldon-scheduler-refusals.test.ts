import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import type { SeldonTargetConfig } from '../../src/config/types.js';
import { FakeClock } from '../../src/core/clock.js';
import { seldonTarget } from '../../src/targets/seldon-target.js';
import { useStandins } from '../support/standin-server.js';
import { FAST } from './drive.js';
import { EXP, fraudExperimentAtV1, MODEL, seldonModel } from './seldon-cluster.js';

// The kubectl stand-in took Experiments the Seldon scheduler refuses (scheduler/pkg/store/experiment/
// validate.go): a `default` that is not a candidate, a candidate twice, a mirror that is also a
// candidate, neither candidates nor a mirror. It reported them active, so a target spec of that
// kind would have passed every test. Now, as on a cluster, the operator reports the scheduler's
// gRPC error: ExperimentReady and Ready False, its words in `reason`.

const standins = useStandins('kubectl');
const kubectl = promisify(execFile);

const config: SeldonTargetConfig = {
  type: 'seldon',
  namespace: 'seldon-mesh',
  modelName: '{{model}}-{{version}}',
  ...FAST,
};
const REFUSED = 'rpc error: code = FailedPrecondition desc =';

/** Experiment fraud (its user fields `kept`) with the Models of v1 and v2, then `spec` patched in as a user would. */
async function patched(kept: Record<string, unknown>, spec: Record<string, unknown>) {
  await standins.seed({
    k8s: {
      [MODEL]: {
        'seldon-mesh/fraud-v1': seldonModel('fraud-v1'),
        'seldon-mesh/fraud-v2': seldonModel('fraud-v2'),
      },
      [EXP]: { 'seldon-mesh/fraud': fraudExperimentAtV1(kept) },
    },
  });
  const patch = JSON.stringify({ spec });
  await kubectl('kubectl', ['patch', EXP, 'fraud', '-n', 'seldon-mesh', '--type', 'merge', '-p', patch]);
  const { stdout } = await kubectl('kubectl', ['get', EXP, 'fraud', '-n', 'seldon-mesh', '-o', 'json']);
  return JSON.parse(stdout) as {
    status: { conditions: { type: string; status: string; reason?: string }[] };
  };
}

const v1 = { name: 'fraud-v1', weight: 100 };

describe("the Seldon scheduler's refusals of an Experiment's spec, in the kubectl stand-in", () => {
  it.each([
    [
      'a default that is not a candidate',
      { default: 'fraud-v1' },
      { candidates: [{ name: 'fraud-v2', weight: 100 }] },
      'default model/pipeline fraud-v1 not found in experiment fraud candidates',
    ],
    [
      'a candidate twice',
      {},
      { candidates: [v1, v1] },
      'each candidate and mirror must be unique but found resource fraud-v1 duplicated in experiment fraud',
    ],
    [
      'a mirror that is also a candidate',
      {},
      { candidates: [v1], mirror: { name: 'fraud-v1', percent: 10 } },
      'each candidate and mirror must be unique but found resource fraud-v1 duplicated in experiment fraud',
    ],
    [
      'neither candidates nor a mirror',
      {},
      { candidates: [] },
      'experiment fraud has no candidates or mirror',
    ],
  ])("%s: not Ready, in the scheduler's words", async (_case, kept, spec, words) => {
    const experiment = await patched(kept, spec);
    const reported = experiment.status.conditions
      .filter((c) => c.type === 'ExperimentReady' || c.type === 'Ready')
      .map(({ type, status, reason }) => ({ type, status, reason }));
    expect(reported).toEqual([
      { type: 'ExperimentReady', status: 'False', reason: `${REFUSED} ${words}` },
      { type: 'Ready', status: 'False', reason: `${REFUSED} ${words}` },
    ]);
  });

  it('a target reading such an Experiment says why it is not active, in those words', async () => {
    await patched({ default: 'fraud-v1' }, { candidates: [{ name: 'fraud-v2', weight: 100 }] });
    const target = seldonTarget(config, 'fraud', new FakeClock());
    await expect(target.read()).rejects.toThrow(
      `Seldon Experiment fraud (namespace seldon-mesh) is not active, so what it serves is unknown: its Ready condition is False (${REFUSED} default model/pipeline fraud-v1 not found in experiment fraud candidates)`,
    );
  });

  it('a weight of 0 beside another is no refusal: the scheduler checks names, not weights', async () => {
    const experiment = await patched(
      { default: 'fraud-v1' },
      {
        candidates: [
          { name: 'fraud-v1', weight: 0 },
          { name: 'fraud-v2', weight: 100 },
        ],
      },
    );
    expect(experiment.status.conditions.find((c) => c.type === 'Ready')?.status).toBe('True');
  });
});
