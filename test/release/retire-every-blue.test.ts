import { describe, expect, it } from 'vitest';
import {
  FRAUD_ENDPOINT_KEY,
  FRAUD_ENDPOINT_TARGET,
  fraudEndpointState,
  fraudEndpointWeights,
  withAutoscaledVariant,
} from '../support/sagemaker-fraud-endpoint.js';
import { useStandins } from '../support/standin-server.js';
import { HOUR, retireBlueWorld } from '../targets/retire-blue-world.js';
import { definition, variant } from '../targets/sagemaker-variants.js';

// Blue-green keeps each promotion's blue deployed at 0% for its rollback-window. A second release
// promoted inside the first one's window (or before a tick retired its blue) used to leave the first
// blue on the platform for good: the tick looked at the newest promotion only, retired its blue,
// and said green alone was deployed while the older variant still ran (and billed) at weight 0.
// Every blue now goes once its own window is over; the same code path serves Azure ML and Vertex AI.
// Only until the newest blue is retired, though: after that, a version at 0% is the user's doing.
const ENDPOINT = 'SageMaker endpoint fraud-endpoint (us-east-1)';

// v1 serves; v2 and v3 are deployed for the two releases.
const standins = useStandins('aws', () =>
  fraudEndpointState({ 'fraud-v1': 1, 'fraud-v2': 0, 'fraud-v3': 0 }),
);

const weights = async () => fraudEndpointWeights(await standins.state());
/** describe-endpoint calls since the platform was last seeded. */
const describes = async () =>
  (await standins.calls('aws')).filter((c) => c.argv[1] === 'describe-endpoint').length;
const retired = (blue: string) =>
  `blue ${blue} retired (rollback-window 1h over): the production variant fraud-${blue} is removed from ${ENDPOINT}`;

/** PR #2 (v1 -> v2) promoted, then PR #3 (v2 -> v3) ten minutes later, inside #2's window. */
async function twoPromotions() {
  const w = await retireBlueWorld(FRAUD_ENDPOINT_TARGET);
  expect(await w.promote(2, 'v1', 'v2')).toEqual(['ready', 'promoted']);
  w.clock.advance(10 * 60_000);
  expect(await w.promote(3, 'v2', 'v3')).toEqual(['ready', 'promoted']);
  expect(await weights()).toEqual(['fraud-v1=0', 'fraud-v2=0', 'fraud-v3=100']);
  w.lines.length = 0;
  return w;
}

describe('retiring every blue a promotion kept', () => {
  it('retires both blues once their windows are over, and only then says green alone is deployed', async () => {
    const w = await twoPromotions();
    w.clock.advance(3 * HOUR);

    await w.tick(true);
    expect(w.lines).toContain(
      `would retire blue v1 (rollback-window 1h over): the production variant fraud-v1 would be removed from ${ENDPOINT}; would retire blue v2 (rollback-window 1h over): v3 alone deployed; the production variant fraud-v2 would be removed from ${ENDPOINT}`,
    );
    expect(await weights()).toEqual(['fraud-v1=0', 'fraud-v2=0', 'fraud-v3=100']);

    w.lines.length = 0;
    await w.tick();
    expect(w.lines).toContain(
      `${retired('v1')}; ${retired('v2')}, v3 alone is deployed; a rollback to v2 needs it deployed there again first`,
    );
    expect(await weights()).toEqual(['fraud-v3=100']);

    // Nothing left: nothing said, nothing changed.
    w.lines.length = 0;
    w.clock.advance(3 * HOUR);
    await w.tick();
    expect(w.lines).toEqual([]);
    expect(await weights()).toEqual(['fraud-v3=100']);
  });

  it('retires the earlier blue at the end of its own window, while the newest one is still kept', async () => {
    const w = await twoPromotions();
    // #2's window ends 50m after #3's promotion, #3's 10m later.
    w.clock.advance(55 * 60_000);
    await w.tick();
    expect(w.lines).toContain(retired('v1'));
    expect(w.lines).toContain(
      'fraud: blue v2 (production variant fraud-v2) kept for a rollback for another 5m (rollback-window 1h)',
    );
    expect(await weights()).toEqual(['fraud-v2=0', 'fraud-v3=100']);

    w.clock.advance(10 * 60_000);
    w.lines.length = 0;
    await w.tick();
    expect(w.lines).toContain(
      `${retired('v2')}, v3 alone is deployed; a rollback to v2 needs it deployed there again first`,
    );
    expect(await weights()).toEqual(['fraud-v3=100']);
  });

  it('keeps the newest blue while an earlier one cannot be removed, so that the next tick tries both again', async () => {
    // AWS refuses to remove a variant registered with Application Auto Scaling.
    await standins.seed(withAutoscaledVariant(await standins.state(), 'fraud-v1'));
    const w = await twoPromotions();
    w.clock.advance(3 * HOUR);
    await w.tick();
    expect(w.lines).toContainEqual(
      expect.stringMatching(
        /^retiring blue v1 failed: SageMaker endpoint .* keeps the production variant fraud-v1: it is registered with Application Auto Scaling.*; the next schedule tick tries again; blue v2 not retired yet: it goes after blue v1 \(model-gate retires earlier blues only while the newest one is deployed\)$/,
      ),
    );
    expect(w.lines.join('\n')).not.toContain('alone is deployed');
    expect(await weights()).toEqual(['fraud-v1=0', 'fraud-v2=0', 'fraud-v3=100']);

    // The user deregisters v1's scaling target, as the line says: the next tick retires both.
    const { scalableTargets: _, ...deregistered } = await standins.state();
    await standins.seed(deregistered);
    w.lines.length = 0;
    await w.tick();
    expect(w.lines).toContain(
      `${retired('v1')}; ${retired('v2')}, v3 alone is deployed; a rollback to v2 needs it deployed there again first`,
    );
    expect(await weights()).toEqual(['fraud-v3=100']);
  });

  it('leaves an earlier blue the user deployed again once every blue was retired, and no longer asks about it', async () => {
    const w = await twoPromotions();
    w.clock.advance(3 * HOUR);
    await w.tick();
    expect(await weights()).toEqual(['fraud-v3=100']);

    // The user deploys v1 again at weight 0 (a config of their own), as the retire line says a
    // rollback to it needs.
    const state = await standins.state();
    const endpoint = state.sagemaker[FRAUD_ENDPOINT_KEY];
    const config = state.sagemakerConfigs[`us-east-1/${endpoint.EndpointConfigName}`];
    state.sagemakerConfigs['us-east-1/fraud-config-v1-again'] = {
      ...config,
      EndpointConfigName: 'fraud-config-v1-again',
      ProductionVariants: [...config.ProductionVariants, definition('fraud-v1', 0)],
    };
    endpoint.EndpointConfigName = 'fraud-config-v1-again';
    endpoint.ProductionVariants.push(variant('fraud-v1', 0));
    await standins.seed(state);
    for (const later of [10 * 60_000, 3 * HOUR]) {
      w.clock.advance(later);
      w.lines.length = 0;
      await w.tick();
      expect(w.lines).toEqual([]);
      expect(await weights()).toEqual(['fraud-v3=100', 'fraud-v1=0']);
    }
    // Two reads per idle tick, as after a single promotion: the blues before v2 are not looked up.
    expect(await describes()).toBe(4);
  });

  it('never retires green: a revert to the first blue keeps it serving', async () => {
    const w = await retireBlueWorld(FRAUD_ENDPOINT_TARGET);
    await w.promote(2, 'v1', 'v2');
    w.clock.advance(10 * 60_000);
    await w.promote(3, 'v2', 'v1');
    expect(await weights()).toEqual(['fraud-v1=100', 'fraud-v2=0', 'fraud-v3=0']);
    w.clock.advance(3 * HOUR);
    w.lines.length = 0;
    await w.tick();
    expect(w.lines).toContain(
      `${retired('v2')}, v1 alone is deployed; a rollback to v2 needs it deployed there again first`,
    );
    expect(await weights()).toEqual(['fraud-v1=100', 'fraud-v3=0']);
  });
});
