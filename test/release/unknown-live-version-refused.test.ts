import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requestJson } from '../../src/core/http-json.js';
import { demoModelsDir } from '../../src/sandbox/paths.js';
import { type Sandbox, startSandbox } from '../../src/sandbox/server.js';
import { AZUREML_KEY, azuremlFraudEndpoint, azuremlTargetYaml } from '../support/fraud-endpoints.js';
import { canaryOnTarget, prReleaseWorld } from '../support/pr-release-world.js';
import { useStandins } from '../support/standin-server.js';
import { ENDPOINT_KEY, endpointWeights, fraudEndpoint } from '../targets/sagemaker-canary-world.js';
import { variant } from '../targets/sagemaker-variants.js';
import { MODEL, prOnSandbox } from './pr-on-sandbox.js';

// A user's side experiment on the endpoint: v1 serves 90%, their own `exp` 10%, PR #7 moves the
// model v1 → v2 by a canary. model-gate drives one stable version and one candidate, so the first
// step used to set exp to 0% and the release went on to its promotion, exp's traffic gone unsaid.
// Now the PR's run refuses before it records or changes anything, saying what to take off.

const SAGEMAKER =
  '{ type: sagemaker, endpoint: fraud-endpoint, region: us-east-1, variant: "fraud-{{version}}", timeout: 10s, settle-timeout: 300ms, poll-interval: 10ms }';
const AGAIN = 'take its traffic off first, then run again (push a commit or re-run the job)';

const standins = useStandins('aws');

/** SageMaker's fraud-endpoint with `variants` (name, weight); Azure ML's with fraud-exp at 10%. */
async function seed(variants: [string, number][]) {
  const azure = azuremlFraudEndpoint();
  const endpoint = azure.azureml[AZUREML_KEY];
  endpoint.traffic = { 'fraud-v1': 90, 'fraud-exp': 10 } as never;
  endpoint._deployments = ['fraud-v1', 'fraud-exp', 'fraud-v2'];
  const ProductionVariants = variants.map(([name, weight]) => variant(name, weight));
  await standins.seed({ ...azure, sagemaker: { [ENDPOINT_KEY]: fraudEndpoint({ ProductionVariants }) } });
}

/** PR #7's run (v1 → v2) on `target`: its error, and the ledger it left. */
async function refusal(target: string) {
  const w = await prReleaseWorld(canaryOnTarget(target));
  const error = await w.release(7, 'v1', 'v2').then(
    () => undefined,
    (e: unknown) => e as Error,
  );
  const ledger = {
    release: await w.ports.ledger.release('fraud'),
    history: await w.ports.ledger.history('fraud'),
  };
  return { error, ledger };
}

describe('SageMaker', () => {
  it('refuses a canary beside a variant of another version with traffic, and changes nothing', async () => {
    await seed([
      ['fraud-v1', 0.9],
      ['fraud-exp', 0.1],
      ['fraud-v2', 0],
    ]);
    const { error, ledger } = await refusal(SAGEMAKER);

    expect(error?.message).toBe(
      `SageMaker endpoint fraud-endpoint (us-east-1) serves exp (variant fraud-exp) on 10% of live traffic (no release of it is in flight on record: changed outside model-gate?) beside the stable v1; model-gate drives one stable version and one candidate, so releasing v2 would take that traffic away: v2 was not deployed and nothing was changed; ${AGAIN}`,
    );
    expect(await endpointWeights(standins)).toEqual([
      'InService',
      'fraud-v1 0.9 0.9',
      'fraud-exp 0.1 0.1',
      'fraud-v2 0 0',
    ]);
    expect((await standins.calls('aws')).map((c) => c.argv[1])).not.toContain('update-endpoint');
    expect(ledger).toEqual({ release: undefined, history: [] });
  });

  it("goes through as before over a hand-placed canary of the PR's own version, other variants idle", async () => {
    await seed([
      ['fraud-v1', 0.9],
      ['fraud-exp', 0],
      ['fraud-v2', 0.1],
    ]);
    const w = await prReleaseWorld(canaryOnTarget(SAGEMAKER));

    expect(await w.release(7, 'v1', 'v2')).toEqual(['ready', 'promoted']);
    expect(await endpointWeights(standins)).toEqual([
      'InService',
      'fraud-v1 0 0',
      'fraud-exp 0 0',
      'fraud-v2 100 100',
    ]);
  });
});

describe('Azure ML', () => {
  it('refuses a canary beside a deployment of another version with traffic, and changes nothing', async () => {
    await seed([['fraud-v1', 1]]);
    const { error, ledger } = await refusal(azuremlTargetYaml());

    expect(error?.message).toContain(
      'Azure ML endpoint fraud-endpoint (workspace fraud-ws) serves exp (deployment fraud-exp) on 10% of live traffic (no release of it is in flight on record',
    );
    expect(error?.message).toContain(AGAIN);
    expect((await standins.state()).azureml[AZUREML_KEY].traffic).toEqual({
      'fraud-v1': 90,
      'fraud-exp': 10,
    });
    expect(ledger).toEqual({ release: undefined, history: [] });
  });
});

describe('sandbox', () => {
  let sandbox: Sandbox;
  beforeAll(async () => {
    sandbox = await startSandbox({ modelsDir: demoModelsDir, endpoints: [{ model: MODEL, stable: 'v1' }] });
  });
  afterAll(() => sandbox?.close());
  const traffic = () => `${sandbox.url}/admin/models/${MODEL}/traffic`;

  /** PR #7 (v1 → v2) opened while the sandbox serves `canary` beside v1. */
  async function openBeside(canary: { version: string; weight: number }) {
    const w = await prOnSandbox(sandbox, {
      strategy: '{ type: canary, steps: [10, 50], step-duration: 5m, min-requests: 100, interval: 30s }',
      from: 'v1',
      to: 'v2',
    });
    await requestJson('PUT', traffic(), { stable: { version: 'v1' }, canary });
    const run = await w.open('tick').then(
      (r) => r,
      (e: unknown) => e as Error,
    );
    return { run, ledger: w.ledger };
  }

  it('refuses a canary beside another version with a share, and changes nothing', async () => {
    const { run, ledger } = await openBeside({ version: 'v3', weight: 10 });

    expect(run).toBeInstanceOf(Error);
    expect((run as Error).message).toMatch(
      /^sandbox fraud-detector at http:\/\/\S+ serves v3 on 10% of live traffic \(no release of it is in flight on record/,
    );
    expect((run as Error).message).toContain(AGAIN);
    expect((await requestJson('GET', traffic())).body).toMatchObject({
      stable: { version: 'v1' },
      canary: { version: 'v3', weight: 10 },
    });
    expect(await ledger.release(MODEL)).toBeUndefined();
  });

  it("starts as before over a hand-placed canary of the PR's own version", async () => {
    const { run } = await openBeside({ version: 'v2', weight: 5 });

    expect(run).not.toBeInstanceOf(Error);
    expect((run as { releases: { status: string }[] }).releases.map((r) => r.status)).toEqual(['analysing']);
    expect((await requestJson('GET', traffic())).body).toMatchObject({
      canary: { version: 'v2', weight: 10 },
    });
  });
});
