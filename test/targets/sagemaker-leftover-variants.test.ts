import { describe, expect, it } from 'vitest';
import { handleCommand } from '../../src/release/commands.js';
import { runCli } from '../../src/targets/cli.js';
import { reconcile, withdrawTraffic } from '../../src/targets/reconcile.js';
import { sagemakerTarget } from '../../src/targets/sagemaker-target.js';
import { prReleaseWorld } from '../support/pr-release-world.js';
import { useStandins } from '../support/standin-server.js';
import { failingShadow, mirrorOf, passingCanary, passingShadow, shadowStates } from './drive.js';
import { fraudEndpointState, ENDPOINT_KEY as KEY } from './sagemaker-canary-world.js';
import { definition, FRAUD_ENDPOINT_CONFIG } from './sagemaker-variants.js';

// A release on SageMaker leaves the version it replaced (or, rolled back, its candidate) as a
// production variant at weight 0, so a workflow_dispatch rollback to it is a weights call in
// seconds, for a shadow's promotion as for every other strategy. An endpoint with a shadow variant
// has exactly one production variant, so the model's next shadow release used to be refused until
// someone removed that variant by hand: a shadow now leaves out of its config the variants no
// step of it names that take no traffic (one that serves is still refused).
const config = FRAUD_ENDPOINT_CONFIG;

// v1 serves; the deploy step added v2, the first candidate, at weight 0.
const standins = useStandins('aws', fraudEndpointState);

const aws = async (...args: string[]) => {
  const out = await runCli(['aws', 'sagemaker', ...args, '--region', 'us-east-1'], { timeoutMs: 10_000 });
  if (out.exitCode !== 0) throw new Error(`aws sagemaker ${args[0]} failed: ${out.stderr}`);
  return out.stdout ? JSON.parse(out.stdout) : undefined;
};
const endpoint = async () => (await standins.state()).sagemaker[KEY];
/** The aws sagemaker operations called so far, in order. */
const operations = async () => (await standins.calls('aws')).map((c) => c.argv[1]);
/** What `change` returns and calls on the endpoint (reads left out): a rollback in seconds makes no new config. */
async function callsOf<T>(change: () => Promise<T>) {
  const before = (await operations()).length;
  const result = await change();
  return { result, calls: (await operations()).slice(before).filter((op) => op !== 'describe-endpoint') };
}
/** Each variant the endpoint runs, with its weight; `shadow` for a shadow variant. */
async function variants() {
  const e = await endpoint();
  const shown = (v: { VariantName: string; CurrentWeight: number }) => `${v.VariantName}=${v.CurrentWeight}`;
  return [
    ...e.ProductionVariants.map(shown),
    ...(e.ShadowProductionVariants ?? []).map((v: never) => `shadow ${shown(v)}`),
  ];
}

/**
 * The user's deploy step for a release of `version` (examples/sagemaker/workflow.yml): a config of
 * theirs with every variant the endpoint runs, at the weight it has now, and the version's variant
 * at weight 0, deployed with update-endpoint; it waits until the endpoint is InService.
 */
async function deployVariant(version: string) {
  const now = await aws('describe-endpoint', '--endpoint-name', 'fraud-endpoint');
  const current = await aws('describe-endpoint-config', '--endpoint-config-name', now.EndpointConfigName);
  const weightOf = (name: string) =>
    now.ProductionVariants.find((v: { VariantName: string }) => v.VariantName === name)?.CurrentWeight ?? 0;
  const production = [
    ...current.ProductionVariants.map((v: { VariantName: string }) => ({
      ...v,
      InitialVariantWeight: weightOf(v.VariantName),
    })),
    definition(`fraud-${version}`, 0),
  ];
  const name = `fraud-deploy-${version}`;
  await aws(
    'create-endpoint-config',
    '--endpoint-config-name',
    name,
    '--production-variants',
    JSON.stringify(production),
  );
  await aws('update-endpoint', '--endpoint-name', 'fraud-endpoint', '--endpoint-config-name', name);
  for (let polls = 0; polls < 10; polls++) {
    const status = (await aws('describe-endpoint', '--endpoint-name', 'fraud-endpoint')).EndpointStatus;
    if (status === 'InService') return;
  }
  throw new Error(`the deploy of ${version} never landed`);
}

/**
 * fraud on the shadow strategy (20% of requests for 1m) over the endpoint, as the action runs it
 * (test/support/pr-release-world.ts). `release` opens PR `number` moving fraud from `from` to `to`
 * and merges it: the release's status after each. `rollback` runs the workflow_dispatch rollback
 * command (to the previous stable version).
 */
async function shadowWorld() {
  const world = await prReleaseWorld(`version: 1
models:
  fraud:
    source: { file: model.yaml, key: version }
    target: { type: sagemaker, endpoint: fraud-endpoint, region: us-east-1, variant: "fraud-{{version}}", timeout: 10s, settle-timeout: 2s, poll-interval: 10ms }
    metrics: { type: file, path: unused.json }
    strategy: { type: shadow, share: 20, duration: 1m, step-duration: 2m, min-requests: 100, interval: 10s }
    gates:
      - { name: errors, kind: threshold, query: error-rate, max: 0.02 }
`);
  async function rollback() {
    const inputs = { model: 'fraud', dryRun: false, trigger: 'workflow_dispatch' };
    return (await handleCommand(world.config, 'rollback', inputs, world.ports)).rollbacks;
  }
  return { release: world.release, rollback, lines: world.lines };
}

describe('SageMaker variants a release leaves behind', () => {
  it('runs two shadow releases of one model in a row, the second leaving out the idle version the first replaced', async () => {
    const world = await shadowWorld();
    expect(await world.release(1, 'v1', 'v2')).toEqual(['ready', 'promoted']);
    // v1, replaced, stays at weight 0 for a rollback.
    expect(await variants()).toEqual(['fraud-v1=0', 'fraud-v2=100']);
    expect(world.lines.join('\n')).not.toMatch(/left out/);

    await deployVariant('v3');
    expect(await world.release(2, 'v2', 'v3')).toEqual(['ready', 'promoted']);
    // SageMaker allows one production variant beside a shadow: v3's shadow config left v1 out.
    expect(await variants()).toEqual(['fraud-v2=0', 'fraud-v3=100']);
    expect(world.lines.join('\n')).not.toMatch(/also has the variant/);
    // Someone keeping v1 as a warm standby reads in the job log that it went, and what a rollback needs.
    expect(world.lines.filter((line) => line.includes('left out'))).toEqual([
      "fraud: left out the idle variant fraud-v1 (weight 0) from the endpoint config of v3's shadow on SageMaker endpoint fraud-endpoint (us-east-1), which has room for one production variant beside the shadow variant: its instances stop, and a rollback to v1 needs its variant deployed again first (your deploy step)",
    ]);

    // A workflow_dispatch rollback right after the promotion: v2 serves again by a weights call.
    const { result: rollbacks, calls } = await callsOf(() => world.rollback());
    expect(rollbacks).toMatchObject([{ kind: 'rollback', version: 'v2', previous: 'v3' }]);
    expect(calls).toEqual(['update-endpoint-weights-and-capacities', 'list-endpoint-configs']);
    expect(await variants()).toEqual(['fraud-v2=100', 'fraud-v3=0']);
  });

  it('promoted straight from its shadow phase, keeps the replaced version at weight 0 for a rollback', async () => {
    const target = sagemakerTarget(config, 'fraud');
    const { phase, promoted } = shadowStates('v1', 'v2', 20);
    await reconcile(target, phase);
    expect(await variants()).toEqual(['fraud-v1=1', 'shadow fraud-v2=0.2']);
    await expect(reconcile(target, promoted)).resolves.toEqual(promoted);
    expect(await variants()).toEqual(['fraud-v1=0', 'fraud-v2=100']);

    // The rollback a workflow_dispatch run makes right after (a new process): a weights call.
    const rollback = sagemakerTarget(config, 'fraud');
    const { calls } = await callsOf(() => reconcile(rollback, withdrawTraffic('v1')));
    expect(calls).toEqual(['update-endpoint-weights-and-capacities', 'list-endpoint-configs']);
    expect(await variants()).toEqual(['fraud-v1=100', 'fraud-v2=0']);
  });

  it('a shadow rolled back keeps its candidate for a re-run, and the next candidate’s shadow leaves it out', async () => {
    const target = sagemakerTarget(config, 'fraud');
    await failingShadow(target, 'v1', 'v2');
    // A withdrawal looks the same as a new head's, after which the same candidate is analysed again.
    expect(await variants()).toEqual(['fraud-v1=100', 'fraud-v2=0']);

    await deployVariant('v3');
    await expect(reconcile(target, mirrorOf('v1', 'v3', 20))).resolves.toEqual(mirrorOf('v1', 'v3', 20));
    expect(await variants()).toEqual(['fraud-v1=1', 'shadow fraud-v3=0.2']);
  });

  it('a shadow after a canary’s promotion leaves out the version the canary replaced', async () => {
    const target = sagemakerTarget(config, 'fraud');
    await passingCanary(target, 'v1', 'v2');
    // A canary's promotion stays the weights call (no new fleet, no permission it did not need).
    expect(await variants()).toEqual(['fraud-v1=0', 'fraud-v2=100']);

    await deployVariant('v3');
    const seen = await passingShadow(target, 'v2', 'v3', 20);
    expect(seen.at(-1)).toEqual({ stable: { version: 'v3' } });
    expect(await variants()).toEqual(['fraud-v2=0', 'fraud-v3=100']);

    const { calls } = await callsOf(() => reconcile(sagemakerTarget(config, 'fraud'), withdrawTraffic('v2')));
    expect(calls).toEqual(['update-endpoint-weights-and-capacities', 'list-endpoint-configs']);
    expect(await variants()).toEqual(['fraud-v2=100', 'fraud-v3=0']);
  });

  it('a shadow that must leave out an autoscaled idle variant names the command that lets it go', async () => {
    const target = sagemakerTarget(config, 'fraud');
    await passingShadow(target, 'v1', 'v2', 20);
    expect(await variants()).toEqual(['fraud-v1=0', 'fraud-v2=100']);
    // Autoscaling registered for v1 while it served stays when it goes idle.
    const v1Scaling = {
      ServiceNamespace: 'sagemaker',
      ResourceId: 'endpoint/fraud-endpoint/variant/fraud-v1',
      ScalableDimension: 'sagemaker:variant:DesiredInstanceCount',
      MinCapacity: 1,
      MaxCapacity: 4,
    };
    await standins.seed({ ...(await standins.state()), scalableTargets: { 'us-east-1': [v1Scaling] } });

    await deployVariant('v3');
    await expect(reconcile(target, mirrorOf('v2', 'v3', 20))).rejects.toThrow(
      // v3 leaves the production variants for the shadow, and SageMaker's wording of the refusal is
      // not published: both are named, each with its command (v1's first).
      'SageMaker endpoint fraud-endpoint (us-east-1) keeps the production variants fraud-v1, fraud-v3: SageMaker removes no variant registered with Application Auto Scaling. Deregister those registered first (their scaling policies go with them): `aws application-autoscaling deregister-scalable-target --service-namespace sagemaker --scalable-dimension sagemaker:variant:DesiredInstanceCount --resource-id endpoint/fraud-endpoint/variant/fraud-v1 --region us-east-1`',
    );
    // Refused, the endpoint serves as before.
    expect(await variants()).toEqual(['fraud-v1=0', 'fraud-v2=100', 'fraud-v3=0']);
    const deregister = await runCli(
      [
        'aws',
        'application-autoscaling',
        'deregister-scalable-target',
        '--service-namespace',
        'sagemaker',
        '--scalable-dimension',
        'sagemaker:variant:DesiredInstanceCount',
        '--resource-id',
        'endpoint/fraud-endpoint/variant/fraud-v1',
        '--region',
        'us-east-1',
      ],
      { timeoutMs: 10_000 },
    );
    expect(deregister.exitCode).toBe(0);
    await expect(reconcile(target, mirrorOf('v2', 'v3', 20))).resolves.toEqual(mirrorOf('v2', 'v3', 20));
    expect(await variants()).toEqual(['fraud-v2=1', 'shadow fraud-v3=0.2']);
  });
});
