import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import type { Config, ModelConfig } from '../../src/config/types.js';
import { TargetError } from '../../src/core/errors.js';
import type { TrafficState } from '../../src/core/traffic.js';
import { targetFor } from '../../src/release/adapters.js';
import { handleCommand } from '../../src/release/commands.js';
import type { Target } from '../../src/targets/target.js';
import { MODEL, once, raceJobs, STORES, useRaceWorld } from '../support/race-world.js';
import { type ServingLayer, startServingLayer } from '../support/standins/http-serving-layer.js';

// The watch job's guard (src/release/watch.ts `guarded`) on a target whose write returns its
// read-back (the http target: the read keeps the change's settle-timeout): before each traffic
// change it looks in the ledger for another run having ended the release, and after one giving the
// candidate traffic it looks again. A workflow_dispatch rollback while the job watches must stay
// rolled back. An earlier version of the read-back let such a target's change bypass the guard;
// these tests keep it from coming back. The platform is a serving layer written to
// docs/http-target.openapi.yaml, the ledger a PR comment on a GitHub stand-in or a ledger file.

const world = useRaceWorld({ firstPr: 70, firstRunId: 700, closePr: (closed) => prJob(closed, 'tick') });
const { recorded, pullRequest } = world;
const { job, prJob } = raceJobs(world, () => config, true);
let config: Config;
let layer: ServingLayer;

beforeAll(async () => {
  layer = await startServingLayer({
    deployed: ['v1', 'v2'],
    stable: 'v1',
    capabilities: { strategies: ['canary'], weights: 'integer' },
  });
  config = parseConfig(
    `version: 1
models:
  ${MODEL}:
    source: { file: model.yaml, key: version }
    target: { type: http, url: "\${LAYER_URL}", strategies: [canary] }
    metrics: { type: sandbox, url: "\${SANDBOX_URL}" }
    strategy: { type: canary, steps: [10, 50], step-duration: 1m, min-requests: 100, interval: 10s }
    gates:
      - { name: errors, kind: threshold, query: error-rate, max: 0.02 }
`,
    { LAYER_URL: layer.url, SANDBOX_URL: world.sandbox.url },
  ).config;
});
afterAll(async () => {
  expect(layer?.contractViolations).toEqual([]);
  await layer?.close();
});
beforeEach(() => {
  layer.traffic = { stable: { version: 'v1' } };
});

const V1 = { stable: { version: 'v1' } };
const at = (weight: number) => ({ stable: { version: 'v1' }, canary: { version: 'v2', weight } });
/** The traffic states the serving layer was asked for since `from` (an index of its requests). */
const puts = (from: number) =>
  layer.requests.slice(from).flatMap((r) => (r.method === 'PUT' && r.path === '/traffic' ? [r.body] : []));

/** The PR's job in tick mode: v2 at 10%, analysing step 1 of 2, with data enough to pass it. */
async function analysingV2() {
  const event = pullRequest('v2', 2);
  await prJob(event, 'tick');
  expect(layer.traffic).toEqual(at(10));
  world.clock.advance(20_000);
  return event;
}

/** A rollback to v1 by workflow_dispatch, on the same serving layer. */
async function rollbackToV1() {
  const { ports, publish } = job();
  const inputs = { model: MODEL, toVersion: 'v1', dryRun: false, trigger: 'workflow_dispatch' };
  return publish(await handleCommand(config, 'rollback', inputs, ports));
}

/**
 * The serving layer's http target, running `meanwhile` once as its first traffic change is asked
 * for (after the guard's look in the ledger); `returned` collects what each write returned.
 * `readBackFails`: the first change's read-back fails so (the platform's GET failing after a PUT
 * it took).
 */
function atFirstWrite(meanwhile: () => Promise<unknown>, returned: string[], readBackFails?: string) {
  const first = once(meanwhile);
  let failing = readBackFails;
  return (model: ModelConfig): Target => {
    const target = targetFor(model);
    return Object.create(target, {
      write: {
        value: async (desired: TrafficState) => {
          await first();
          const readBack = await target.write(desired);
          returned.push(typeof readBack);
          const why = failing;
          failing = undefined;
          if (!why || !readBack) return readBack;
          return async () => {
            throw new TargetError(why);
          };
        },
      },
    });
  };
}

const WHY = 'a rollback to v1 by workflow_dispatch withdrew it';

describe.each(STORES)('the watch job’s guard on an http target, the state %s', (_, inFile) => {
  beforeEach(async () => {
    await world.useLedgerFile(inFile, 'model-gate-guard-read-back-');
  });

  it('a rollback by workflow_dispatch while the job looks: its step to 50% never reaches the platform', async () => {
    const event = await analysingV2();
    const from = layer.requests.length;
    const warnings: string[] = [];
    const watched = await prJob(event, 'watch', { warnings, meanwhile: rollbackToV1 });
    // The rollback's change only: the job's 50% was refused before it was sent.
    expect(puts(from)).toEqual([V1]);
    expect(layer.traffic).toEqual(V1);
    expect(watched.releases).toMatchObject([{ to: 'v2', status: 'aborted' }]);
    expect(warnings).toEqual([expect.stringMatching(/^fraud-detector v2 was ended by another run: /)]);
    expect(warnings[0]).toContain(WHY);
    expect(await recorded()).toMatchObject({
      to: 'v2',
      status: 'aborted',
      reason: expect.stringContaining(WHY),
    });
  });

  it('a rollback by workflow_dispatch between the job’s look in the ledger and its step to 50%: the job puts v1 back', async () => {
    const event = await analysingV2();
    const from = layer.requests.length;
    const warnings: string[] = [];
    const returned: string[] = [];
    const target = atFirstWrite(rollbackToV1, returned);
    const watched = await prJob(event, 'watch', { warnings, target });
    // The rollback's change, the job's late one, and the job undoing it.
    expect(puts(from)).toEqual([V1, at(50), V1]);
    expect(layer.traffic).toEqual(V1);
    // The target's writes returned their read-backs: the guard was on that path.
    expect(returned).toEqual(['function', 'function']);
    expect(watched.releases).toMatchObject([{ to: 'v2', status: 'aborted' }]);
    expect(warnings).toEqual([expect.stringMatching(/^fraud-detector v2 was ended by another run: /)]);
    expect(await recorded()).toMatchObject({
      to: 'v2',
      status: 'aborted',
      reason: expect.stringContaining(WHY),
    });
  });

  it('the same rollback, the read-back of the job’s step to 50% failing: the job still puts v1 back', async () => {
    const event = await analysingV2();
    const from = layer.requests.length;
    const warnings: string[] = [];
    const returned: string[] = [];
    const target = atFirstWrite(rollbackToV1, returned, 'GET /traffic failed: socket hang up');
    const watched = await prJob(event, 'watch', { warnings, target });
    // The guard looks in the ledger after the read-back, failed or not: the rollback's end stands.
    expect(puts(from)).toEqual([V1, at(50), V1]);
    expect(layer.traffic).toEqual(V1);
    expect(watched.releases).toMatchObject([{ to: 'v2', status: 'aborted' }]);
    expect(warnings).toEqual([expect.stringMatching(/^fraud-detector v2 was ended by another run: /)]);
    expect(await recorded()).toMatchObject({
      to: 'v2',
      status: 'aborted',
      reason: expect.stringContaining(WHY),
    });
  });
});
