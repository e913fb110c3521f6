import { describe, expect, it } from 'vitest';
import { withdrawStopped } from '../../src/cli/run-stop.js';
import { parseConfig } from '../../src/config/load.js';
import { FakeClock } from '../../src/core/clock.js';
import { metricsFor, targetFor } from '../../src/release/adapters.js';
import type { Ports } from '../../src/release/ports.js';
import { memoryFileReader } from '../../src/version/changed-models.js';
import { closedPrWorld } from '../release/closed-pr-world.js';
import { AZUREML_KEY, azuremlFraudEndpoint, azuremlTargetYaml } from '../support/fraud-endpoints.js';
import { sha } from '../support/model-config.js';
import { canaryOnTarget } from '../support/pr-release-world.js';
import { useStandins } from '../support/standin-server.js';

// `model-gate run close` (PR #7 closed without merging) stopped by a signal before it took v2's
// deployment fraud-v2 off Azure ML: the stopped run withdrew v2 and stopped there, fraud-v2 left
// running (and billed) for good. A stopped close now takes it off as the close would have.
const standins = useStandins('az', azuremlFraudEndpoint);
const endpoint = async () => (await standins.state()).azureml[AZUREML_KEY];
const { config } = parseConfig(canaryOnTarget(azuremlTargetYaml()), {});

/** PR #7 at 10% on v2, then what a stopped run of it does: withdrawStopped, `closed` or not. */
async function stoppedAfterRelease(closed: boolean) {
  const w = await closedPrWorld(azuremlTargetYaml());
  await w.open();
  expect((await endpoint()).traffic).toEqual({ 'fraud-v1': 90, 'fraud-v2': 10 });
  const logs: string[] = [];
  const log = { info: (m: string) => logs.push(m), warn: (m: string) => logs.push(`! ${m}`) };
  const ports: Ports = {
    ledger: w.world.ledger,
    reader: memoryFileReader({}),
    clock: new FakeClock(),
    log,
    targetFor: (model) => targetFor(model, log),
    metricsFor: (model) => metricsFor(model, log),
  };
  const scope = { pr: 7, headSha: sha(2), closed };
  const done = await withdrawStopped(config, scope, () => 'stopped by SIGTERM mid-analysis', ports);
  return { done, logs };
}

describe('a stopped `model-gate run` of a PR on Azure ML', () => {
  it('of its close: withdraws v2, deletes fraud-v2 and says so', async () => {
    const { done, logs } = await stoppedAfterRelease(true);
    expect(done.map((r) => [r.status, r.withdrawPending])).toEqual([['aborted', undefined]]);
    expect(await endpoint()).toMatchObject({ _deployments: ['fraud-v1'], traffic: { 'fraud-v1': 100 } });
    expect(logs).toContain(
      'fraud: v2 withdrawn; its deployment fraud-v2 is removed from Azure ML endpoint fraud-endpoint (workspace fraud-ws)',
    );
  });

  it('of an open PR: v2 withdrawn, its deployment left for the PR’s next run', async () => {
    const { logs } = await stoppedAfterRelease(false);
    expect(await endpoint()).toMatchObject({ _deployments: ['fraud-v1', 'fraud-v2'] });
    expect(logs.filter((l) => l.includes('deployment fraud-v2'))).toEqual([]);
  });
});
