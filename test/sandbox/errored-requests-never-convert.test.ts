import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Row, syntheticRows } from '../../src/sandbox/dataset.js';
import { demoModelsDir } from '../../src/sandbox/paths.js';
import { type Sandbox, startSandbox } from '../../src/sandbox/server.js';
import { judgeConversion } from '../../src/stats/conversion.js';
import { binomialInterval, call, mapLimit, post, predictWith } from './helpers.js';

// A broken candidate (v9: v1's weights, failing on about half its inputs) in an A/B against v1.
// Its failed requests used to convert like any other, so it converted as well as v1 and the
// conversion gate passed it: a failed prediction cannot lead to the outcome.
const MODEL = 'fraud-detector';
const CONVERSION_RATE = 0.5;
let sandbox: Sandbox;
let modelsDir: string;

beforeAll(async () => {
  modelsDir = await mkdtemp(join(tmpdir(), 'model-gate-errored-conversions-'));
  await cp(join(demoModelsDir, MODEL), join(modelsDir, MODEL), { recursive: true });
  const v1 = JSON.parse(await readFile(join(modelsDir, MODEL, 'v1.json'), 'utf8'));
  const v9 = { ...v1, version: 'v9', errorWhen: { feature: 2, above: 0 } };
  await writeFile(join(modelsDir, MODEL, 'v9.json'), JSON.stringify(v9));
  sandbox = await startSandbox({
    modelsDir,
    endpoints: [{ model: MODEL, stable: 'v1' }],
    seed: 4,
    conversionRate: CONVERSION_RATE,
  });
});
afterAll(async () => {
  await sandbox.close();
  await rm(modelsDir, { recursive: true, force: true });
});

describe('conversions drawn by the sandbox for requests the model failed', () => {
  it('never converts an errored request, so a candidate failing half its requests converts about half as well', async () => {
    const traffic = await call('PUT', `${sandbox.url}/admin/models/${MODEL}/traffic`, {
      stable: { version: 'v1' },
      canary: { version: 'v9', weight: 50 },
      sticky: { header: 'x-user-id' },
    });
    expect(traffic.status).toBe(200);
    const rows = syntheticRows(21);
    const take = Array.from({ length: 2000 }, () => rows.next().value as Row);
    const answered = await mapLimit(take, 64, async (row) => {
      const res = await predictWith(
        `${sandbox.url}/models/${MODEL}/predict`,
        { id: row.id, features: row.features },
        { 'x-user-id': row.id },
      );
      return { row, slot: res.body.slot as 'stable' | 'canary', errored: res.status === 500 };
    });
    const arms = {
      stable: { total: 0, errored: 0, conversions: 0 },
      canary: { total: 0, errored: 0, conversions: 0 },
    };
    await mapLimit(answered, 32, async (a) => {
      // No `converted`: the sandbox draws it, as for the traffic generator's feedback.
      const res = await post<{ converted: boolean }>(`${sandbox.url}/models/${MODEL}/feedback`, {
        id: a.row.id,
        label: a.row.label,
      });
      expect(res.status).toBe(200);
      if (a.errored) expect(res.body.converted).toBe(false);
      const arm = arms[a.slot];
      arm.total++;
      if (a.errored) arm.errored++;
      if (res.body.converted) arm.conversions++;
    });
    expect(arms.canary.errored / arms.canary.total).toBeGreaterThan(0.4);
    // Each arm converts at the base rate on the requests it answered, none on those it failed.
    for (const arm of [arms.stable, arms.canary]) {
      const [low, high] = binomialInterval(arm.total - arm.errored, CONVERSION_RATE);
      expect(arm.conversions).toBeGreaterThanOrEqual(low);
      expect(arm.conversions).toBeLessThanOrEqual(high);
    }
    // What the user sees: the example A/B's conversion gate (10% margin) fails the broken candidate.
    const judged = judgeConversion({
      canary: { conversions: arms.canary.conversions, total: arms.canary.total },
      baseline: { conversions: arms.stable.conversions, total: arms.stable.total },
      margin: 0.1,
      alpha: 0.05,
    });
    expect(judged.verdict).toBe('fail');
  });

  it('keeps a conversion the client reports for an errored request: only the simulated draw knows the error', async () => {
    await call('PUT', `${sandbox.url}/admin/models/${MODEL}/traffic`, { stable: { version: 'v9' } });
    // Feature 2 above 0: v9 fails it.
    const failed = await predictWith(`${sandbox.url}/models/${MODEL}/predict`, {
      id: 'reported',
      features: [0, 0, 1, 0],
    });
    expect(failed.status).toBe(500);
    const res = await post<{ converted: boolean }>(`${sandbox.url}/models/${MODEL}/feedback`, {
      id: 'reported',
      converted: true,
    });
    expect(res.body.converted).toBe(true);
  });
});
