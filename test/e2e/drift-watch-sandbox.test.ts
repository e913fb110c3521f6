import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { systemClock } from '../../src/core/clock.js';
import { fileLedger } from '../../src/ledger/file-ledger.js';
import { metricsFor, targetFor } from '../../src/release/adapters.js';
import type { Ports } from '../../src/release/ports.js';
import { handleSchedule } from '../../src/release/schedule.js';
import { demoModelsDir } from '../../src/sandbox/paths.js';
import { type Sandbox, startSandbox } from '../../src/sandbox/server.js';
import { startTraffic } from '../../src/sandbox/traffic.js';
import { memoryFileReader } from '../../src/version/changed-models.js';

// A schedule tick's drift watch on the real sandbox: the stable model's live scores, read
// through the sandbox metric source, compared window against window.
vi.setConfig({ testTimeout: 60_000 });
const MODEL = 'fraud-detector';
const WINDOW_S = 4;
let sandbox: Sandbox;

beforeAll(async () => {
  sandbox = await startSandbox({
    modelsDir: demoModelsDir,
    endpoints: [{ model: MODEL, stable: 'v1' }],
    seed: 8,
  });
});
afterAll(() => sandbox?.close());

/** Live traffic for a reference window, then for the watched window shifted by `shift`. */
async function twoWindows(shift: number) {
  for (const [seed, by] of [
    [21, 0],
    [22, shift],
  ] as const) {
    const traffic = startTraffic({ url: sandbox.url, model: MODEL, rps: 300, seed, shift: by });
    await new Promise((r) => setTimeout(r, (WINDOW_S + 0.5) * 1000));
    await traffic.stop();
  }
}

async function tick() {
  const text = `version: 1
defaults:
  target: { type: sandbox, url: "${sandbox.url}" }
  metrics: { type: sandbox, url: "${sandbox.url}" }
  strategy: { type: canary, steps: [50] }
models:
  ${MODEL}:
    source: { file: m.yaml, key: version }
    gates: []
    drift-watch: { window: ${WINDOW_S}s, reference: ${WINDOW_S}s, max-psi: 0.25 }
`;
  const ports: Ports = {
    ledger: fileLedger(join(await mkdtemp(join(tmpdir(), 'model-gate-drift-')), 'ledger.json')),
    reader: memoryFileReader({}),
    clock: systemClock,
    log: { info: () => {}, warn: () => {} },
    targetFor,
    metricsFor,
  };
  const result = await handleSchedule(parseConfig(text, {}).config, ports, { mode: 'tick', maxWaitMs: 1000 });
  return result.drift?.[0];
}

describe('the drift watch on the sandbox', () => {
  it('sees no drift while the population stays the same', async () => {
    await twoWindows(0);
    const report = await tick();
    expect(report).toMatchObject({ model: MODEL, version: 'v1', drifted: false });
    expect(report?.psi).toBeLessThan(0.1);
  });

  it('flags drift when the inputs shift, from the stable model scores alone', async () => {
    await twoWindows(1);
    const report = await tick();
    expect(report).toMatchObject({ model: MODEL, version: 'v1', drifted: true });
    expect(report?.psi).toBeGreaterThan(0.25);
    expect(report?.note).toMatch(
      new RegExp(
        `^${MODEL} v1: prediction drift, PSI [\\d.]+ \\(level 0\\.25\\): the last 4s against the 4s before$`,
      ),
    );
  });
});
