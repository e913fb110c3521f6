import { afterAll, beforeAll, beforeEach, expect } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import type { Config } from '../../src/config/types.js';
import { MODEL, type RaceWorld, raceJobs } from '../support/race-world.js';
import { type ServingLayer, startServingLayer } from '../support/standins/http-serving-layer.js';

/** v1 serving alone. */
export const V1 = { stable: { version: 'v1' } };
/** v2 as the canary on `weight`% of live traffic, v1 stable. */
export const at = (weight: number) => ({ stable: { version: 'v1' }, canary: { version: 'v2', weight } });

/**
 * The race world's model on an http target: a serving layer written to docs/http-target.openapi.yaml
 * (v1 and v2 deployed, canaries of whole-number weights), started once for the file and put back to
 * v1 alone, no fault, before each test. `config` is fraud-detector as a canary on it, its metrics the
 * sandbox's; `targetSettings` adds to the http target's (e.g. "settle-timeout: 1m"). The jobs are
 * raceJobs', their PR comment written on every progress report.
 */
export function useHttpRace(world: RaceWorld, targetSettings = '') {
  const race = {
    // Set by beforeAll.
    layer: undefined as unknown as ServingLayer,
    config: undefined as unknown as Config,
  };
  const jobs = raceJobs(world, () => race.config, true);
  /** The traffic states the serving layer was asked for since `from` (an index of its requests). */
  const puts = (from: number) =>
    race.layer.requests
      .slice(from)
      .flatMap((r) => (r.method === 'PUT' && r.path === '/traffic' ? [r.body] : []));
  /** The PR's job in tick mode: v2 at 10%, analysing step 1 of 2, with data enough to pass it. */
  async function analysingV2() {
    const event = world.pullRequest('v2', 2);
    await jobs.prJob(event, 'tick');
    expect(race.layer.traffic).toEqual(at(10));
    world.clock.advance(20_000);
    return event;
  }
  const extra = targetSettings ? `, ${targetSettings}` : '';

  beforeAll(async () => {
    race.layer = await startServingLayer({
      deployed: ['v1', 'v2'],
      stable: 'v1',
      capabilities: { strategies: ['canary'], weights: 'integer' },
    });
    race.config = parseConfig(
      `version: 1
models:
  ${MODEL}:
    source: { file: model.yaml, key: version }
    target: { type: http, url: "\${LAYER_URL}", strategies: [canary]${extra} }
    metrics: { type: sandbox, url: "\${SANDBOX_URL}" }
    strategy: { type: canary, steps: [10, 50], step-duration: 1m, min-requests: 100, interval: 10s }
    gates:
      - { name: errors, kind: threshold, query: error-rate, max: 0.02 }
`,
      { LAYER_URL: race.layer.url, SANDBOX_URL: world.sandbox.url },
    ).config;
  });
  afterAll(async () => {
    expect(race.layer?.contractViolations).toEqual([]);
    await race.layer?.close();
  });
  beforeEach(() => {
    race.layer.traffic = { stable: { version: 'v1' } };
    race.layer.faults.converge = 0;
  });
  return Object.assign(race, jobs, { puts, analysingV2 });
}
