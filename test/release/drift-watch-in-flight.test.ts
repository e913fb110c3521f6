import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requestJson } from '../../src/core/http-json.js';
import type { TrafficState } from '../../src/core/traffic.js';
import type { Bucket } from '../../src/metrics/histogram.js';
import type { MetricSource, MetricWindow } from '../../src/metrics/source.js';
import { handleSchedule } from '../../src/release/schedule.js';
import { demoModelsDir } from '../../src/sandbox/paths.js';
import { type Sandbox, startSandbox } from '../../src/sandbox/server.js';
import { healthyMetrics, MODEL, prOnSandbox } from './pr-on-sandbox.js';

// The schedule tick's drift watch on a stable model whose traffic a candidate takes. The watch is
// of the stable version's predictions; while PR #7's v2 answers callers (rolling, on every
// instance, awaiting merge), what the metrics show is v2's, and a drift found there would be
// pinned on v1 and on PR #3 that brought it. On the real sandbox, a file ledger, a fake clock; the
// scores come from a source that, like a query without a slot label, answers for all the model's
// traffic: the distribution moves from the hour v2 took over.
const HOUR = 3_600_000;
const ROLLING =
  '{ type: rolling, instances: 4, batch-size: 2, step-duration: 5m, min-requests: 100, interval: 30s }';
const BLUE_GREEN =
  '{ type: blue-green, bake-duration: 2h, rollback-window: 1h, min-requests: 100, interval: 30s }';
const CANARY = '{ type: canary, steps: [50, 100], step-duration: 5m, min-requests: 100, interval: 30s }';

let sandbox: Sandbox;
beforeAll(async () => {
  sandbox = await startSandbox({ modelsDir: demoModelsDir, endpoints: [{ model: MODEL, stable: 'v1' }] });
});
afterAll(() => sandbox?.close());

const admin = () => `${sandbox.url}/admin/models/${MODEL}/traffic`;

/** Cumulative score histogram of 1,000 predictions with these shares per quarter. */
const histogram = (shares: number[]): Bucket[] => {
  let sum = 0;
  return shares.map((s, i) => {
    sum += s * 1000;
    return { le: i === shares.length - 1 ? '+Inf' : (i + 1) / 4, count: Math.round(sum) };
  });
};

/** v1 serving, promoted from v0 by PR #3; PR #7 moving it to v2 under `strategy`, a drift watch on. */
async function world(strategy: string) {
  // Windows the drift watch asked about (the gates ask only requests and values).
  const asked: { slot: string; version: string }[] = [];
  const shiftAt = Date.now();
  const scores: MetricSource = Object.assign(healthyMetrics(), {
    buckets: async (_query: string, w: MetricWindow) => {
      asked.push({ slot: w.slot, version: w.version });
      return histogram(w.since >= shiftAt ? [0.1, 0.2, 0.3, 0.4] : [0.4, 0.3, 0.2, 0.1]);
    },
  });
  const more = '    drift-watch: { window: 1h, reference: 24h, max-psi: 0.2 }\n';
  const w = await prOnSandbox(sandbox, {
    strategy,
    from: 'v1',
    to: 'v2',
    promotedFrom: 'v0',
    more,
    metrics: scores,
  });
  const { config, clock, ledgerPath, ports } = w;
  const open = (mode: 'tick' | 'watch') => w.open(mode, HOUR);
  const merge = () => w.merge(HOUR);
  const tick = () => handleSchedule(config, ports, { mode: 'tick', maxWaitMs: 0 });
  const driftRecorded = async () => JSON.parse(await readFile(ledgerPath, 'utf8')).drift;
  const byHand = (state: TrafficState) => requestJson('PUT', admin(), state);
  return { clock, asked, open, merge, tick, driftRecorded, byHand };
}

describe('the drift watch while a candidate takes live traffic', () => {
  it('rolling, v2 on every instance awaiting merge: not watched, saying why; nothing pinned on v1 or PR #3', async () => {
    const w = await world(ROLLING);
    expect((await w.open('watch')).releases[0]?.status).toBe('ready');
    w.clock.advance(2 * HOUR);

    const result = await w.tick();
    expect(result.drift).toEqual([
      {
        model: MODEL,
        version: 'v1',
        drifted: false,
        inconclusive: true,
        note: `${MODEL} v1: drift not watched while a candidate serves: v2 on every instance (rolling, ready, awaiting merge of PR #7); the watch resumes once one version serves alone`,
      },
    ]);
    expect(w.asked).toEqual([]);
    expect(result.notify).toEqual([]);
    expect(await w.driftRecorded()).toBeUndefined();
  });

  it('after the merge and a day of v2 serving alone, watches v2 as v2', async () => {
    const w = await world(ROLLING);
    await w.open('watch');
    await w.merge();
    // Its reference (24h) and window (1h) hold v2's predictions only from then on.
    w.clock.advance(26 * HOUR);
    const result = await w.tick();
    expect(result.drift?.[0]).toMatchObject({ model: MODEL, version: 'v2', drifted: false });
    expect(result.drift?.[0]?.note).toMatch(new RegExp(`^${MODEL} v2: no drift`));
    expect(w.asked).toEqual([
      { slot: 'stable', version: 'v2' },
      { slot: 'stable', version: 'v2' },
    ]);
  });

  it('a candidate put on part of the traffic by hand: not watched, saying no release put it there', async () => {
    const w = await world(ROLLING);
    await w.byHand({ stable: { version: 'v1' }, canary: { version: 'v2', weight: 25 } });
    const result = await w.tick();
    expect(result.drift?.[0]?.note).toBe(
      `${MODEL} v1: drift not watched while a candidate serves: v2 on 25% of live traffic (no release of it is in flight on record: changed outside model-gate?); the watch resumes once one version serves alone`,
    );
    expect(w.asked).toEqual([]);
  });

  it.each([
    [
      'blue-green bake',
      BLUE_GREEN,
      'v2 on 100% of live traffic (blue-green, analysing bake on green, PR #7)',
    ],
    ['canary at 100%', CANARY, 'v2 on 100% of live traffic (canary, analysing step 2 of 2, PR #7)'],
  ])('%s (analysing): not watched, saying why', async (_name, strategy, serving) => {
    const w = await world(strategy);
    await w.open('tick');
    if (strategy === CANARY) {
      w.clock.advance(6 * 60_000);
      await w.tick();
    }
    expect(await requestJson('GET', admin()).then((r) => r.body)).toEqual({
      stable: { version: 'v1' },
      canary: { version: 'v2', weight: 100 },
    });
    const result = await w.tick();
    expect(result.releases[0]?.status).toBe('analysing');
    expect(result.drift?.map((d) => d.note)).toEqual([
      `${MODEL} v1: drift not watched while a candidate serves: ${serving}; the watch resumes once one version serves alone`,
    ]);
    expect(w.asked).toEqual([]);
  });
});
