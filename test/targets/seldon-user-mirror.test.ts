import { describe, expect, it } from 'vitest';
import type { SeldonTargetConfig } from '../../src/config/types.js';
import { handlePullRequest } from '../../src/release/pull-request.js';
import { handleSchedule } from '../../src/release/schedule.js';
import { seldonTarget } from '../../src/targets/seldon-target.js';
import { recordWorld } from '../release/tick-record-world.js';
import { ScriptedMetrics } from '../support/scripted-metrics.js';
import type { PlatformState } from '../support/standin-cli.js';
import { useStandins } from '../support/standin-server.js';
import { EXP, fraudExperimentAtV1, MODEL, seldonModel } from './seldon-cluster.js';

// The user's Experiment already mirrored all traffic to a payload-logging Model of theirs. Every
// canary step patched `mirror: null`, so the logger lost its copy from the first step on, with
// nothing said; a logger whose name the `model-name` template gives no version refused the release
// with advice about versions. A shadow, which needs Seldon's one mirror, took it over silently.

const TARGET =
  '{ type: seldon, namespace: seldon-mesh, model-name: "{{model}}-{{version}}", poll-interval: 5s }';
const tick = { mode: 'tick' as const, maxWaitMs: 0, dryRun: false };
const CANARY = '{ type: canary, steps: [50], step-duration: 10m, interval: 5m, min-requests: 100 }';

/** v1 serves all of Experiment `fraud`, which mirrors 100% to `logger` (a Model of the user's). */
function cluster(logger: string): PlatformState {
  return {
    k8s: {
      [MODEL]: Object.fromEntries(
        ['fraud-v1', 'fraud-v2', logger].map((n) => [`seldon-mesh/${n}`, seldonModel(n)]),
      ),
      [EXP]: {
        'seldon-mesh/fraud': fraudExperimentAtV1({
          default: 'fraud-v1',
          mirror: { name: logger, percent: 100 },
        }),
      },
    },
  };
}

const standins = useStandins('kubectl', () => cluster('payload-logger'));
const spec = async () => (await standins.state()).k8s[EXP]['seldon-mesh/fraud']?.spec;

/** fraud v1 → v2 under `strategy`; the Experiment's spec is recorded after each write. */
async function world(strategy: string, errorRate = 0.005) {
  const w = await recordWorld(
    strategy,
    ['{ name: errors, kind: threshold, query: error-rate, max: 0.02 }'],
    new ScriptedMetrics({
      stable: { rps: 90, values: { 'error-rate': 0.005 } },
      canary: { rps: 90, values: { 'error-rate': errorRate } },
    }),
    TARGET,
  );
  const written: unknown[] = [];
  w.ports.targetFor = (m) => {
    const target = seldonTarget(m.target as SeldonTargetConfig, m.name, w.clock);
    return {
      ...target,
      async write(desired) {
        const readBack = await target.write(desired);
        written.push(await spec());
        return readBack;
      },
    };
  };
  return { ...w, written };
}

/** Ticks until the release is no longer analysing. */
async function tickToEnd(w: Awaited<ReturnType<typeof world>>) {
  for (let i = 0; i < 10 && (await w.ledger.release('fraud'))?.status === 'analysing'; i++) {
    w.clock.advance(5 * 60_000);
    await handleSchedule(w.config, w.ports, tick);
  }
}

describe("a Seldon Experiment that mirrors to the user's own logging Model", () => {
  // fraud-logger reads through the template as a version "logger"; payload-logger as none.
  for (const logger of ['fraud-logger', 'payload-logger']) {
    const mirror = { name: logger, percent: 100 };

    it(`keeps ${logger}'s mirror through every canary step and the promotion`, async () => {
      await standins.seed(cluster(logger));
      const w = await world(CANARY);
      const [opened] = (await handlePullRequest(w.config, w.event(), w.ports, tick)).releases;
      expect(opened).toMatchObject({ status: 'analysing' });
      expect(await spec()).toEqual({
        default: 'fraud-v1',
        candidates: [
          { name: 'fraud-v1', weight: 50 },
          { name: 'fraud-v2', weight: 50 },
        ],
        mirror,
      });
      await tickToEnd(w);
      expect(await w.ledger.release('fraud')).toMatchObject({ status: 'ready' });
      const [merged] = (await handlePullRequest(w.config, w.event('closed', true), w.ports, tick)).releases;
      expect(merged).toMatchObject({ status: 'promoted' });
      expect(await spec()).toEqual({
        default: 'fraud-v1',
        candidates: [
          { name: 'fraud-v2', weight: 100 },
          { name: 'fraud-v1', weight: 0 },
        ],
        mirror,
      });
      // Every write in between left it as well.
      for (const written of w.written) expect(written).toMatchObject({ mirror });
      // Nor did model-gate note it as its own shadow's.
      const experiment = (await standins.state()).k8s[EXP]['seldon-mesh/fraud'];
      expect(experiment?.metadata.annotations ?? {}).toEqual({});
    });

    it(`keeps ${logger}'s mirror when a failing canary is rolled back`, async () => {
      await standins.seed(cluster(logger));
      const w = await world(CANARY, 0.2);
      await handlePullRequest(w.config, w.event(), w.ports, tick);
      await tickToEnd(w);
      expect(await w.ledger.release('fraud')).toMatchObject({ status: 'failed' });
      expect(await spec()).toEqual({
        default: 'fraud-v1',
        candidates: [{ name: 'fraud-v1', weight: 100 }],
        mirror,
      });
    });
  }

  it('refuses a shadow before any change, naming the mirror and how to free it', async () => {
    const w = await world('{ type: shadow, share: 30, duration: 1h, interval: 5m, min-requests: 100 }');
    const before = await spec();
    const [release] = (await handlePullRequest(w.config, w.event(), w.ports, tick)).releases;
    expect(release).toMatchObject({
      status: 'failed',
      reason:
        'v2 was not deployed and got no traffic: the platform refused the switch to a mirror of 30% of requests: Seldon Experiment fraud (namespace seldon-mesh) already mirrors 100% of live traffic to "payload-logger", which is not a version of fraud that model-gate releases, and Seldon has one mirror per Experiment: a shadow of v2 needs it, so nothing was changed. Remove that mirror from the Experiment (spec.mirror) for the shadow\'s duration and put it back after, or release v2 with a canary instead, which leaves it as it is',
    });
    expect(w.written).toEqual([]);
    expect(await spec()).toEqual(before);
  });
});
