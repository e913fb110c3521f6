import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ThresholdGateConfig } from '../../src/config/types.js';
import { measureThreshold } from '../../src/gates/threshold-gate.js';
import { sandboxSource } from '../../src/metrics/sandbox-source.js';
import { syntheticRows } from '../../src/sandbox/dataset.js';
import { demoModelsDir } from '../../src/sandbox/paths.js';
import { type Sandbox, startSandbox } from '../../src/sandbox/server.js';
import { configWith } from '../report/release-world.js';
import { call, featureRows, mapLimit, predictWith, until } from './helpers.js';

// A shadow candidate whose scores differ slightly from stable v1's: its bias is 0.18 higher, so
// every score moves by less than 0.045, yet about 3% of the inputs, those near the threshold,
// change label. An agreement gate that counts identical labels only fails it at min 0.99; with
// `tolerance: 0.05` every copy it answered agrees. A copy it failed stays a disagreement.
const MODEL = 'fraud-detector';
// The sandbox counts by a clock the test sets: each batch of copies lands in one second, and the
// gate looks once that second has ended (a look counts only ended seconds).
const NOW = 1_800_000_000_000;
let t = NOW + 500;
let sandbox: Sandbox;
let modelsDir: string;

beforeAll(async () => {
  modelsDir = await mkdtemp(join(tmpdir(), 'model-gate-agreement-tolerance-'));
  await cp(join(demoModelsDir, MODEL), join(modelsDir, MODEL), { recursive: true });
  const v1 = JSON.parse(await readFile(join(modelsDir, MODEL, 'v1.json'), 'utf8'));
  const close = { ...v1, version: 'v9', bias: v1.bias + 0.18 };
  await writeFile(join(modelsDir, MODEL, 'v9.json'), JSON.stringify(close));
  // As close, but failing on about half its inputs (feature 2 above 0).
  const failing = { ...close, version: 'v8', errorWhen: { feature: 2, above: 0 } };
  await writeFile(join(modelsDir, MODEL, 'v8.json'), JSON.stringify(failing));
  sandbox = await startSandbox({
    modelsDir,
    endpoints: [{ model: MODEL, stable: 'v1' }],
    seed: 5,
    now: () => t,
  });
});
afterAll(async () => {
  await sandbox.close();
  await rm(modelsDir, { recursive: true, force: true });
});

/** The agreement gate a shadow config declares (`kind: agreement, ...fields`), as it is judged. */
function agreementGate(fields: string): ThresholdGateConfig {
  const config = configWith('{ type: shadow, share: 100, duration: 1h }', [
    `{ name: agreement, kind: agreement, ${fields} }`,
  ]);
  const gate = config.models.fraud?.gates[0];
  if (gate?.kind !== 'threshold') throw new Error('the agreement gate is not judged as a threshold gate');
  return gate;
}

/** Mirrors 400 requests to `candidate` in the second after `since`; returns the look's context. */
async function mirrored(candidate: string, since: number) {
  t = since + 500;
  const traffic = await call('PUT', `${sandbox.url}/admin/models/${MODEL}/traffic`, {
    stable: { version: 'v1' },
    mirror: { version: candidate, share: 100 },
  });
  expect(traffic.status).toBe(200);
  await mapLimit(featureRows(syntheticRows(3), 400), 16, (x) =>
    predictWith(`${sandbox.url}/models/${MODEL}/predict`, { features: x }),
  );
  await until(async () => {
    const report = await call<{ mirror?: { inFlight: number } }>(
      'GET',
      `${sandbox.url}/metrics.json?model=${MODEL}`,
    );
    return report.body.mirror?.inFlight === 0;
  }, 'the shadow copies finished');
  t = since + 1500;
  return {
    metrics: sandboxSource({ type: 'sandbox', url: sandbox.url }),
    model: MODEL,
    stable: 'v1',
    candidate,
    candidateSlot: 'shadow' as const,
    weight: 0,
    since,
    now: t,
    minRequests: 100,
  };
}

describe('agreement of a shadow whose scores differ slightly from stable', () => {
  it('fails on identical labels, and passes with a tolerance its score differences stay within', async () => {
    const look = await mirrored('v9', NOW);

    const identical = await measureThreshold(agreementGate('min: 0.99'), look);
    expect(identical.canary).toBeGreaterThan(0.95);
    expect(identical.canary).toBeLessThan(0.99);
    expect(identical.verdict).toBe('fail');

    const tolerant = agreementGate('min: 0.99, tolerance: 0.05');
    expect(tolerant.query).toBe('agreement within 0.05');
    const within = await measureThreshold(tolerant, look);
    expect(within.canary).toBe(1);
    expect(within.verdict).toBe('pass');

    // Tighter than its differences (up to 0.045), the tolerance counts fewer copies as agreeing.
    const tight = await measureThreshold(agreementGate('min: 0.99, tolerance: 0.02'), look);
    expect(tight.canary).toBeLessThan(0.99);
    expect(tight.verdict).toBe('fail');
  });

  it('still counts a failed candidate answer as a disagreement, whatever the tolerance', async () => {
    const look = await mirrored('v8', NOW + 2000);
    const within = await measureThreshold(agreementGate('min: 0.95, tolerance: 1'), look);
    expect(within.canary).toBeLessThan(0.75);
    expect(within.verdict).toBe('fail');
    expect(within.note).toMatch(/^0\.\d+ is below the min 0\.9500$/);
  });
});
