import { describe, expect, it } from 'vitest';
import { AZUREML_KEY, azuremlFraudEndpoint, azuremlTargetYaml } from '../support/fraud-endpoints.js';
import { useStandins } from '../support/standin-server.js';
import { closedPrWorld } from './closed-pr-world.js';

// PR #7's close job was lost (cancelled, GitHub down): a schedule tick finds the PR closed and
// withdraws v2 (closed-meanwhile.ts). It used to stop there, leaving the deployment fraud-v2 that
// the user's deploy step created on Azure ML running (and billed) for ever. The tick now deletes it
// as the close job would, with the same keeps, and says so on its report and on the PR.
const standins = useStandins('az', azuremlFraudEndpoint);

const endpoint = async () => (await standins.state()).azureml[AZUREML_KEY];
const deletes = async () =>
  (await standins.calls('az')).filter((c) => c.argv[1] === 'online-deployment' && c.argv[2] === 'delete');

const ENDPOINT = 'Azure ML endpoint fraud-endpoint (workspace fraud-ws)';
const CLOSED =
  'PR #7 was closed without merging, but its close job did not record it (it stopped before it could: GitHub not answering, say)';
const REMOVED = `v2 withdrawn; its deployment fraud-v2 is removed from ${ENDPOINT}`;
const BY_HAND =
  '`az ml online-deployment delete --name fraud-v2 --endpoint-name fraud-endpoint --resource-group ml-prod --workspace-name fraud-ws --yes`';

describe('a schedule tick finding a PR closed unrecorded on Azure ML', () => {
  it('withdraws v2, deletes its deployment, says so on the report and the PR; the next tick does nothing more', async () => {
    const w = await closedPrWorld(azuremlTargetYaml());
    await w.open();
    expect((await endpoint()).traffic).toEqual({ 'fraud-v1': 90, 'fraud-v2': 10 });

    const { result, report, notify } = await w.tickAfterUnrecordedClose();
    expect(result.releases.map((r) => r.status)).toEqual(['aborted']);
    expect(report).toContain(`fraud: ${REMOVED}`);
    expect(notify).toContainEqual({ pr: 7, model: 'fraud', why: REMOVED });
    const after = await endpoint();
    expect(after._deployments).toEqual(['fraud-v1']);
    expect(after.traffic).toEqual({ 'fraud-v1': 100 });

    const again = await w.tickAfterUnrecordedClose();
    expect(again.report.filter((l) => l.includes('fraud-v2'))).toEqual([]);
    expect(await deletes()).toHaveLength(1);
  });

  it('a dry run says it would withdraw v2 and delete its deployment, and changes nothing', async () => {
    const w = await closedPrWorld(azuremlTargetYaml());
    await w.open();
    const { result, report } = await w.tickAfterUnrecordedClose(true);
    expect(result.skipped).toContainEqual({
      model: 'fraud',
      why: `would withdraw v2: ${CLOSED}; once v2 is withdrawn, its deployment fraud-v2 would be removed from ${ENDPOINT}`,
      kind: 'dry-run',
    });
    expect(report.join('\n')).toContain('fraud-v2 would be removed');
    expect((await endpoint()).traffic).toEqual({ 'fraud-v1': 90, 'fraud-v2': 10 });
    expect(await deletes()).toEqual([]);
  });

  it('a delete that fails fails no tick: it names the deployment left and the command that deletes it', async () => {
    const w = await closedPrWorld(azuremlTargetYaml());
    await w.open();
    await standins.fault({ cli: 'az', op: 'online-deployment delete', kind: 'fail', times: -1 });
    const { result, report, notify } = await w.tickAfterUnrecordedClose();
    expect(result.releases.map((r) => r.status)).toEqual(['aborted']);
    const after = await endpoint();
    expect(after._deployments).toEqual(['fraud-v1', 'fraud-v2']);
    expect(after.traffic).toEqual({ 'fraud-v1': 100, 'fraud-v2': 0 });
    const left = new RegExp(
      `^fraud: v2 withdrawn, but its deployment fraud-v2 is left on Azure ML endpoint fraud-endpoint \\(workspace fraud-ws\\), where it still runs \\(and bills\\) without traffic: removing it failed: .+; re-run this job to try again, or remove it by hand: ${BY_HAND.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`,
    );
    expect(report.find((l) => l.startsWith('fraud: v2 withdrawn, but'))).toMatch(left);
    expect(notify.map((n) => `fraud: ${n.why}`)).toContainEqual(expect.stringMatching(left));
  });

  it('keeps a version the ledger has serve, as the close job does', async () => {
    const w = await closedPrWorld(azuremlTargetYaml());
    // v2 served before v1 replaced it: kept for a fast rollback.
    await w.world.ledger.record({
      model: 'fraud',
      kind: 'promotion',
      version: 'v1',
      previous: 'v2',
      at: 0,
      pr: 3,
      summary: 'promoted',
    });
    await w.open();
    const { result, report } = await w.tickAfterUnrecordedClose();
    expect(result.releases.map((r) => r.status)).toEqual(['aborted']);
    expect(report.filter((l) => l.includes('fraud-v2'))).toEqual([]);
    expect((await endpoint())._deployments).toEqual(['fraud-v1', 'fraud-v2']);
    expect(await deletes()).toEqual([]);
    expect(w.logs).toContain(
      `fraud: v2's deployment fraud-v2 stays on ${ENDPOINT}: v2 served fraud as the ledger records, so it is kept for a rollback`,
    );
  });
});
