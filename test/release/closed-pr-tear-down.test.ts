import { describe, expect, it } from 'vitest';
import type { Ledger } from '../../src/ledger/ledger.js';
import { useStandins } from '../support/standin-server.js';
import { ENDPOINT_KEY, fraudEndpointState } from '../targets/sagemaker-canary-world.js';
import { variant } from '../targets/sagemaker-variants.js';
import { closedPrWorld } from './closed-pr-world.js';

// A PR closed without merge used to withdraw its candidate's traffic only. On SageMaker the user's
// deploy step had added the candidate as a production variant at weight 0, and such a variant runs
// (and bills) its instances however long: nothing ever took it off the endpoint. The close now
// does, once v1 alone serves, and says so on the PR's report; a version the ledger has serve (a
// revert PR's) or another PR's candidate stays, and a removal that fails fails no job.
const TARGET =
  '{ type: sagemaker, endpoint: fraud-endpoint, region: us-east-1, variant: "fraud-{{version}}", timeout: 10s, settle-timeout: 2s, poll-interval: 10ms }';
const ENDPOINT = 'SageMaker endpoint fraud-endpoint (us-east-1)';

const standins = useStandins('aws', fraudEndpointState);

const variants = async () =>
  (
    (await standins.state()).sagemaker[ENDPOINT_KEY].ProductionVariants as {
      VariantName: string;
      CurrentWeight: number;
    }[]
  ).map((v) => `${v.VariantName}=${v.CurrentWeight}`);
const updates = async () => (await standins.calls('aws')).filter((c) => c.argv[1] === 'update-endpoint');

const REMOVED = `fraud: v2 withdrawn; its production variant fraud-v2 is removed from ${ENDPOINT}`;

describe('closing a PR without merge on SageMaker', () => {
  it('withdraws the candidate, then takes its variant off the endpoint; a re-run says nothing more', async () => {
    const w = await closedPrWorld(TARGET);
    await w.open();
    expect(await variants()).toEqual(['fraud-v1=90', 'fraud-v2=10']);

    const { result, report } = await w.close();
    expect(result.releases.map((r) => r.status)).toEqual(['aborted']);
    expect(report).toContain(REMOVED);
    expect(await variants()).toEqual(['fraud-v1=100']);
    expect(w.logs).toContain(REMOVED);

    // The job re-run: v2 is gone already, so nothing is said or deployed again.
    const again = await w.close();
    expect(again.report.filter((l) => l.includes('fraud-v2'))).toEqual([]);
    expect(await updates()).toHaveLength(1);
  });

  it('a dry run says what it would remove and removes nothing', async () => {
    const w = await closedPrWorld(TARGET);
    await w.open();
    const { report } = await w.close(true);
    expect(report).toContain(
      `fraud: once v2 is withdrawn, its production variant fraud-v2 would be removed from ${ENDPOINT}`,
    );
    expect(await variants()).toEqual(['fraud-v1=90', 'fraud-v2=10']);
  });

  it('removes the variant of a candidate whose analysis failed before the close', async () => {
    const w = await closedPrWorld(TARGET);
    w.metrics.slots.canary.values['error-rate'] = 0.2;
    await w.open();
    w.clock.advance(60_000);
    expect((await w.open()).releases.map((r) => r.status)).toEqual(['failed']);
    expect(await variants()).toEqual(['fraud-v1=100', 'fraud-v2=0']);

    const { result, report } = await w.close();
    expect(result.releases.map((r) => r.status)).toEqual(['failed']);
    expect(report).toContain(REMOVED);
    expect(await variants()).toEqual(['fraud-v1=100']);
  });

  it('removes the variant of a candidate a later head superseded', async () => {
    const w = await closedPrWorld(TARGET);
    await w.open();
    await w.pushV1Back();
    expect(await variants()).toEqual(['fraud-v1=100', 'fraud-v2=0']);

    const { report } = await w.close();
    expect(report).toContain(REMOVED);
    expect(await variants()).toEqual(['fraud-v1=100']);
  });

  it('leaves the variant while another version has live traffic, and says how to remove it', async () => {
    const w = await closedPrWorld(TARGET);
    w.metrics.slots.canary.values['error-rate'] = 0.2;
    await w.open();
    w.clock.advance(60_000);
    await w.open();
    // Someone else's change since: v4 gets 10% beside v1.
    const state = await standins.state();
    const endpoint = state.sagemaker[ENDPOINT_KEY];
    endpoint.ProductionVariants = [
      variant('fraud-v1', 0.9),
      variant('fraud-v2', 0),
      variant('fraud-v4', 0.1),
    ];
    await standins.seed(state);

    const { report } = await w.close();
    expect(report).toContain(
      `fraud: v2 withdrawn, but its production variant fraud-v2 is left on ${ENDPOINT}, which serves v1 90% / v4 10%: model-gate removes it only beside v1 alone; re-run this job once v1 alone serves, or remove it by hand: create an endpoint config with the endpoint's other variants (\`aws sagemaker create-endpoint-config --endpoint-config-name NEW_CONFIG --production-variants '[...]' --region us-east-1\`) and deploy it (\`aws sagemaker update-endpoint --endpoint-name fraud-endpoint --endpoint-config-name NEW_CONFIG --region us-east-1\`)`,
    );
    expect(await updates()).toEqual([]);
  });

  it('keeps a version the ledger has serve: a revert PR’s candidate, kept for a fast rollback', async () => {
    const w = await closedPrWorld(TARGET);
    // v2 served before v1 replaced it.
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
    const { report } = await w.close();
    expect(report.filter((l) => l.includes('fraud-v2'))).toEqual([]);
    expect(await variants()).toEqual(['fraud-v1=100', 'fraud-v2=0']);
    expect(await updates()).toEqual([]);
    expect(w.logs).toContain(
      `fraud: v2's production variant fraud-v2 stays on ${ENDPOINT}: v2 served fraud as the ledger records, so it is kept for a rollback`,
    );
  });

  it('keeps a version another PR’s release holds the canary slot with', async () => {
    const w = await closedPrWorld(TARGET);
    await w.open();
    const ledger = w.world.ledger;
    const mine = await ledger.release('fraud');
    // PR #8 declares v2 too, and its release holds the slot by the time the close looks.
    w.world.ledger = {
      ...ledger,
      canaryHolder: async () => (mine ? { ...mine, pr: 8, startedAt: mine.startedAt + 1 } : undefined),
    } as Ledger;
    await w.close();
    expect(await variants()).toEqual(['fraud-v1=100', 'fraud-v2=0']);
    expect(await updates()).toEqual([]);
    expect(w.logs).toContain(
      `fraud: v2's production variant fraud-v2 stays on ${ENDPOINT}: PR #8 holds the canary slot with it`,
    );
  });

  it('a removal that fails fails no job: it names the variant left and how to remove it', async () => {
    const w = await closedPrWorld(TARGET);
    await w.open();
    await standins.fault({
      cli: 'aws',
      op: 'create-endpoint-config',
      kind: 'fail',
      code: 'ResourceLimitExceeded',
      message: 'The account-level service limit for endpoint configs is 300.',
      times: -1,
    });
    const { result, report } = await w.close();
    expect(result.releases.map((r) => r.status)).toEqual(['aborted']);
    expect(await variants()).toEqual(['fraud-v1=100', 'fraud-v2=0']);
    const left = report.find((l) => l.startsWith('fraud: v2 withdrawn, but'));
    expect(left).toMatch(
      /^fraud: v2 withdrawn, but its production variant fraud-v2 is left on SageMaker endpoint fraud-endpoint \(us-east-1\), where it still runs \(and bills\) without traffic: removing it failed: .*ResourceLimitExceeded.*; re-run this job to try again, or remove it by hand: create an endpoint config with the endpoint's other variants \(`aws sagemaker create-endpoint-config --endpoint-config-name NEW_CONFIG --production-variants '\[\.\.\.\]' --region us-east-1`\) and deploy it \(`aws sagemaker update-endpoint --endpoint-name fraud-endpoint --endpoint-config-name NEW_CONFIG --region us-east-1`\)$/,
    );
    expect(w.logs).toContain(left);
  });
});
