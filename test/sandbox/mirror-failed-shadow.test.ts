import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ThresholdGateConfig } from '../../src/config/types.js';
import { measureThreshold } from '../../src/gates/threshold-gate.js';
import { sandboxSource } from '../../src/metrics/sandbox-source.js';
import { syntheticRows } from '../../src/sandbox/dataset.js';
import type { WindowReport } from '../../src/sandbox/metrics-store.js';
import { demoModelsDir } from '../../src/sandbox/paths.js';
import { type Sandbox, startSandbox } from '../../src/sandbox/server.js';
import { configWith } from '../report/release-world.js';
import { call, featureRows, mapLimit, predictWith, until } from './helpers.js';

// A shadow candidate that fails on about half its inputs (feature 2 above 0) and otherwise answers
// exactly as stable v1 does. Its failed answers are disagreements: left out, the copies it
// answered agreed 100% and its agreement gate passed a candidate that breaks half the requests.
const MODEL = 'fraud-detector';
// The sandbox counts by a clock the test sets: the copies land in the second after NOW, and the
// gate looks once that second has ended (a look counts only ended seconds).
const NOW = 1_800_000_000_000;
let t = NOW + 500;
let sandbox: Sandbox;
let modelsDir: string;

beforeAll(async () => {
  modelsDir = await mkdtemp(join(tmpdir(), 'model-gate-failed-shadow-'));
  await cp(join(demoModelsDir, MODEL), join(modelsDir, MODEL), { recursive: true });
  const v1 = JSON.parse(await readFile(join(modelsDir, MODEL, 'v1.json'), 'utf8'));
  const v9 = { ...v1, version: 'v9', errorWhen: { feature: 2, above: 0 } };
  await writeFile(join(modelsDir, MODEL, 'v9.json'), JSON.stringify(v9));
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

/** The agreement gate a shadow config declares (`kind: agreement, min: 0.95`), as it is judged. */
function agreementGate(): ThresholdGateConfig {
  const config = configWith('{ type: shadow, share: 100, duration: 1h }', [
    '{ name: agreement, kind: agreement, min: 0.95 }',
  ]);
  const gate = config.models.fraud?.gates[0];
  if (gate?.kind !== 'threshold') throw new Error('the agreement gate is not judged as a threshold gate');
  return gate;
}

describe('agreement of a shadow that fails on half its inputs', () => {
  it('counts its failed answers as disagreements, so the agreement gate fails it', async () => {
    const since = NOW;
    const traffic = await call('PUT', `${sandbox.url}/admin/models/${MODEL}/traffic`, {
      stable: { version: 'v1' },
      mirror: { version: 'v9', share: 100 },
    });
    expect(traffic.status).toBe(200);
    const features = featureRows(syntheticRows(3), 400);
    await mapLimit(features, 16, (x) =>
      predictWith(`${sandbox.url}/models/${MODEL}/predict`, { features: x }),
    );
    const report = async () =>
      (await call<WindowReport>('GET', `${sandbox.url}/metrics.json?model=${MODEL}`)).body;
    await until(async () => (await report()).mirror?.inFlight === 0, 'the shadow copies finished');

    const shadow = (await report()).slots.shadow;
    if (!shadow?.agreement) throw new Error('no shadow agreement');
    expect(shadow.requests).toBe(400);
    expect(shadow.errors).toBeGreaterThan(120); // about half of the copies failed
    expect(shadow.errors).toBeLessThan(280);
    // Every copy stable answered is compared; the failed ones are the disagreements.
    const stableErrors = (await report()).slots.stable?.errors ?? 0;
    expect(shadow.agreement.compared).toBe(400 - stableErrors);
    expect(shadow.agreement.identical).toBeLessThanOrEqual(400 - shadow.errors);

    // The gate reads the shadow slot's agreement from the sandbox, as a shadow release does.
    t = NOW + 1500;
    const look = await measureThreshold(agreementGate(), {
      metrics: sandboxSource({ type: 'sandbox', url: sandbox.url }),
      model: MODEL,
      stable: 'v1',
      candidate: 'v9',
      candidateSlot: 'shadow',
      weight: 0,
      since,
      now: t,
      minRequests: 100,
    });
    expect(look.canary).toBeLessThan(0.75);
    expect(look.verdict).toBe('fail');
    expect(look.note).toMatch(/^0\.\d+ is below the min 0\.9500$/);
  });
});
