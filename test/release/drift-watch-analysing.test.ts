import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requestJson } from '../../src/core/http-json.js';
import type { Bucket } from '../../src/metrics/histogram.js';
import type { MetricSource, MetricWindow } from '../../src/metrics/source.js';
import { handleSchedule } from '../../src/release/schedule.js';
import { demoModelsDir } from '../../src/sandbox/paths.js';
import { type Sandbox, startSandbox } from '../../src/sandbox/server.js';
import { healthyMetrics, MODEL, prOnSandbox } from './pr-on-sandbox.js';

// A schedule tick on a model whose release is still analysing. The tick used to leave out that
// model's drift watch without a word: the report had no drift line for it, whether the candidate
// took live traffic (the watch cannot tell the versions apart) or only a mirror's copies (the
// stable version serves every caller, for the days a shadow test runs). The watch decides: it says
// why it does not look, or looks. v1 serving on the real sandbox (promoted from v0 by PR #3), PR #7
// releasing v2; file ledger, fake clock; the stable slot scores the same all along.
const BLUE_GREEN =
  '{ type: blue-green, bake-duration: 2h, rollback-window: 1h, min-requests: 100, interval: 30s }';
const CANARY = '{ type: canary, steps: [50, 100], step-duration: 2h, min-requests: 100, interval: 30s }';
const SHADOW = '{ type: shadow, share: 50, duration: 3d, min-requests: 100, interval: 30s }';

let sandbox: Sandbox;
beforeAll(async () => {
  sandbox = await startSandbox({ modelsDir: demoModelsDir, endpoints: [{ model: MODEL, stable: 'v1' }] });
});
afterAll(() => sandbox?.close());

/** 1,000 predictions in any window, scored alike. */
const steadyScores = (asked: MetricWindow[]): MetricSource =>
  Object.assign(healthyMetrics(), {
    buckets: async (_query: string, w: MetricWindow): Promise<Bucket[]> => {
      asked.push(w);
      return [400, 700, 900, 1000].map((count, i) => ({ le: i === 3 ? '+Inf' : (i + 1) / 4, count }));
    },
  });

/** PR #7's release opened (one pass), then a schedule tick. */
async function tickWhileAnalysing(strategy: string) {
  const asked: MetricWindow[] = [];
  const w = await prOnSandbox(sandbox, {
    strategy,
    from: 'v1',
    to: 'v2',
    promotedFrom: 'v0',
    more: '    drift-watch: { window: 1h, reference: 24h, max-psi: 0.2 }\n',
    metrics: steadyScores(asked),
  });
  await w.open('tick');
  const served = (await requestJson('GET', `${sandbox.url}/admin/models/${MODEL}/traffic`)).body;
  const result = await handleSchedule(w.config, w.ports, { mode: 'tick', maxWaitMs: 0 });
  expect(result.releases[0]).toMatchObject({ to: 'v2', status: 'analysing' });
  return { result, served, asked };
}

const notWatched = (serving: string) =>
  `${MODEL} v1: drift not watched while a candidate serves: ${serving}; the watch resumes once one version serves alone`;

describe('the drift watch of a model whose release is analysing', () => {
  it('blue-green bake, green on all live traffic: says it is not watched and why', async () => {
    const { result, served, asked } = await tickWhileAnalysing(BLUE_GREEN);
    expect(served).toEqual({ stable: { version: 'v1' }, canary: { version: 'v2', weight: 100 } });
    expect(result.drift).toEqual([
      {
        model: MODEL,
        version: 'v1',
        drifted: false,
        inconclusive: true,
        note: notWatched('v2 on 100% of live traffic (blue-green, analysing bake on green, PR #7)'),
      },
    ]);
    expect(asked).toEqual([]);
  });

  it('canary at 50%: says it is not watched and why', async () => {
    const { result, asked } = await tickWhileAnalysing(CANARY);
    expect(result.drift?.map((d) => d.note)).toEqual([
      notWatched('v2 on 50% of live traffic (canary, analysing step 1 of 2, PR #7)'),
    ]);
    expect(asked).toEqual([]);
  });

  it("shadow, v2 answering only a mirror's copies: watches v1, which serves every caller", async () => {
    const { result, served, asked } = await tickWhileAnalysing(SHADOW);
    expect(served).toMatchObject({ stable: { version: 'v1' } });
    expect(result.drift?.[0]).toMatchObject({ model: MODEL, version: 'v1', drifted: false, psi: 0 });
    expect(result.drift?.[0]?.note).toMatch(new RegExp(`^${MODEL} v1: no drift shown, PSI 0\\.000 `));
    expect(asked.map((a) => ({ slot: a.slot, version: a.version }))).toEqual([
      { slot: 'stable', version: 'v1' },
      { slot: 'stable', version: 'v1' },
    ]);
  });
});
