import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Config } from '../../src/config/types.js';
import { handleCommand } from '../../src/release/commands.js';
import type { Ports } from '../../src/release/ports.js';
import { decisionSentences } from '../../src/report/decision.js';
import { demoModelsDir } from '../../src/sandbox/paths.js';
import { type Sandbox, startSandbox } from '../../src/sandbox/server.js';
import { prReleaseWorld } from '../support/pr-release-world.js';
import {
  FRAUD_ENDPOINT_KEY,
  FRAUD_ENDPOINT_TARGET,
  fraudEndpointState,
} from '../support/sagemaker-fraud-endpoint.js';
import { useStandins } from '../support/standin-server.js';
import { blueGreenPromotedV2, MODEL } from './blue-green-world.js';

// Command status said "v1 kept warm at 0% for a rollback until …" from the ledger and the clock
// alone, after blue had left the platform: a later release's candidate took its slot and failed,
// or someone removed it by hand. An operator deciding on a rollback read that it would be one
// quick call. It now says so only while the target has blue deployed.

const status = async (config: Config, ports: Ports) =>
  decisionSentences(await handleCommand(config, 'status', { dryRun: false }, ports), '', {
    config,
    now: ports.clock.now(),
  });

describe('command status on the sandbox, blue gone inside its rollback-window', () => {
  let sandbox: Sandbox;
  beforeAll(async () => {
    sandbox = await startSandbox({ modelsDir: demoModelsDir, endpoints: [{ model: MODEL, stable: 'v1' }] });
  });
  afterAll(() => sandbox?.close());

  /** PR #2 (v1 -> v2) promoted: v1 kept at 0% beside v2 until 01:01. */
  const promoted = () => blueGreenPromotedV2(sandbox);
  const SERVES =
    'fraud-detector serves v2 since the promotion v1 → v2 at 2026-01-01 00:01 UTC (PR #2): passed 1 blue-green phase on aaaaaaa';
  const KEPT = '; v1 kept warm at 0% for a rollback until 2026-01-01 01:01 UTC (rollback-window 1h)';
  const gone = (target: string) =>
    `; v1 is no longer kept warm for a rollback: ${target} reports it not deployed beside v2, so a rollback to v1 deploys it again`;

  it('while blue is deployed, says it is kept warm', async () => {
    const w = await promoted();
    w.clock.advance(10 * 60_000);
    expect(await status(w.config, w.ports)).toEqual([`${SERVES}${KEPT}`]);
  });

  it('after a later release took blue’s slot and failed, says a rollback deploys v1 again; and it does', async () => {
    const w = await promoted();
    w.metrics.slots.canary.values['error-rate'] = 0.2;
    expect((await w.open(3, 'v2', 'v3')).opened.releases[0]?.status).toBe('failed');
    expect(await w.served()).toEqual({ stable: { version: 'v2' } });
    expect(await w.direct('v1')).toBe(404);
    w.clock.advance(10 * 60_000);

    const said = await status(w.config, w.ports);
    expect(said[0]).toBe(`${SERVES}${gone(w.platform().description)}`);
    expect(said.join('\n')).not.toContain('kept warm at 0%');

    expect((await w.rollback()).rollbacks?.[0]?.version).toBe('v1');
    expect(await w.served()).toEqual({ stable: { version: 'v1' } });
    expect(await w.direct('v1')).toBe(200);
  });

  it('after someone removed blue by hand, says so too; after the window, says nothing of blue', async () => {
    const w = await promoted();
    await w.byHand({ stable: { version: 'v2' } });
    w.clock.advance(10 * 60_000);
    expect(await status(w.config, w.ports)).toEqual([`${SERVES}${gone(w.platform().description)}`]);
    w.clock.advance(HOUR_AND_A_BIT);
    expect(await status(w.config, w.ports)).toEqual([SERVES]);
  });
});

const HOUR_AND_A_BIT = 61 * 60_000;

// SageMaker reads a variant at weight 0 as absent once the run that set it is over: status asks
// the endpoint whether blue's variant is still there, and only the user's deploy step puts it back.
const standins = useStandins('aws', () =>
  fraudEndpointState({ 'fraud-v1': 1, 'fraud-v2': 0 }, 'fraud-config-1'),
);

describe('command status on a SageMaker endpoint, blue’s variant removed by hand', () => {
  it('says v1 kept warm while its variant is there, then that a rollback needs it deployed again first', async () => {
    const { config, ports, clock, release } = await prReleaseWorld(
      `version: 1
models:
  fraud:
    source: { file: model.yaml, key: version }
    target: ${FRAUD_ENDPOINT_TARGET}
    metrics: { type: file, path: unused.json }
    strategy: { type: blue-green, bake-duration: 1m, step-duration: 1m, rollback-window: 1h, min-requests: 100, interval: 10s }
    gates:
      - { name: errors, kind: threshold, query: error-rate, max: 0.02 }
`,
    );
    expect(await release(2, 'v1', 'v2')).toEqual(['ready', 'promoted']);
    clock.advance(10 * 60_000);
    expect((await status(config, ports))[0]).toMatch(
      /; v1 kept warm at 0% for a rollback until .* \(rollback-window 1h\)$/,
    );

    const state = await standins.state();
    const endpoint = state.sagemaker[FRAUD_ENDPOINT_KEY];
    endpoint.ProductionVariants = endpoint.ProductionVariants.filter(
      (v: { VariantName: string }) => v.VariantName !== 'fraud-v1',
    );
    await standins.seed(state);
    expect((await status(config, ports))[0]).toMatch(
      /; v1 is no longer kept warm for a rollback: SageMaker endpoint fraud-endpoint \(us-east-1\) reports it not deployed beside v2, so a rollback to v1 needs it deployed there again first$/,
    );
  });
});
