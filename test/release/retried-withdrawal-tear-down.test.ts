import { describe, expect, it } from 'vitest';
import { AZUREML_KEY, azuremlFraudEndpoint, azuremlTargetYaml } from '../support/fraud-endpoints.js';
import { useStandins } from '../support/standin-server.js';
import { closedPrWorld } from './closed-pr-world.js';

// PR #7 closed unmerged while Azure ML refused the change that withdraws v2: the close job records
// the withdrawal pending and leaves fraud-v2's deployment for a later run. A schedule tick then
// withdrew v2 ("withdrawn on a later try") and stopped there: fraud-v2 ran (and billed) for good,
// every later tick saying "no release is analysing". The tick that settles it now tears it down.
const standins = useStandins('az', azuremlFraudEndpoint);

const endpoint = async () => (await standins.state()).azureml[AZUREML_KEY];
const ENDPOINT = 'Azure ML endpoint fraud-endpoint (workspace fraud-ws)';
const REMOVED = `v2 withdrawn; its deployment fraud-v2 is removed from ${ENDPOINT}`;

/** PR #7 at 10% on v2, then closed while Azure ML refuses every traffic change; then it answers again. */
async function closedWhileRefused() {
  const w = await closedPrWorld(azuremlTargetYaml());
  await w.open();
  await standins.fault({ cli: 'az', op: 'update', kind: 'fail', times: -1 });
  const closed = await w.close();
  expect(closed.result.releases.map((r) => [r.status, r.withdrawPending])).toEqual([['aborted', true]]);
  expect((await endpoint())._deployments).toEqual(['fraud-v1', 'fraud-v2']);
  // The platform answers again: its state as the close left it, without the fault.
  const { faults: _, calls: __, ...state } = (await standins.state()) as Record<string, unknown>;
  await standins.seed(state as never);
  return w;
}

describe('a tick that settles a closed PR refused withdrawal', () => {
  it('withdraws v2, deletes its deployment, says so on the report and the PR; the next tick does nothing more', async () => {
    const w = await closedWhileRefused();
    const { result, report, notify } = await w.tickWhilePr('closed');
    expect(result.releases.map((r) => [r.status, r.withdrawPending])).toEqual([['aborted', undefined]]);
    expect(report).toContain(`fraud: ${REMOVED}`);
    expect(notify).toContainEqual({ pr: 7, model: 'fraud', why: REMOVED });
    expect(await endpoint()).toMatchObject({ _deployments: ['fraud-v1'], traffic: { 'fraud-v1': 100 } });

    const again = await w.tickWhilePr('closed');
    expect(again.report.filter((l) => l.includes('fraud-v2'))).toEqual([]);
  });

  it('a delete that fails fails no tick: it names the deployment left', async () => {
    const w = await closedWhileRefused();
    await standins.fault({ cli: 'az', op: 'online-deployment delete', kind: 'fail', times: -1 });
    const { result, report } = await w.tickWhilePr('closed');
    expect(result.releases.map((r) => r.status)).toEqual(['aborted']);
    expect(report.join('\n')).toContain('v2 withdrawn, but its deployment fraud-v2 is left on');
    expect((await endpoint())._deployments).toEqual(['fraud-v1', 'fraud-v2']);
  });

  it("GitHub not telling the PR's state: the deployment stays, and the line says to re-run the close job", async () => {
    const w = await closedWhileRefused();
    const { result, report } = await w.tickWhilePr(new Error('GitHub answered 502'));
    expect(result.releases.map((r) => r.status)).toEqual(['aborted']);
    expect(report).toContain(
      "fraud: v2 withdrawn, but whether PR #7 is closed could not be read (GitHub answered 502): if it was closed without merging, re-run its close job to take v2's deployment off the platform",
    );
    expect((await endpoint())._deployments).toEqual(['fraud-v1', 'fraud-v2']);
  });
});

it('a PR open again (reopened): its deployment is left for its job', async () => {
  const w = await closedWhileRefused();
  const { result, report, notify } = await w.tickWhilePr('open');
  expect(result.releases.map((r) => [r.status, r.withdrawPending])).toEqual([['aborted', undefined]]);
  expect(report.join('\n')).not.toContain('deployment fraud-v2');
  expect(notify).toEqual([]);
  expect(await endpoint()).toMatchObject({
    _deployments: ['fraud-v1', 'fraud-v2'],
    traffic: { 'fraud-v1': 100 },
  });
});
