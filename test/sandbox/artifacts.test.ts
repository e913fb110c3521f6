import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, isAbsolute, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Random } from '../../src/core/random.js';
import { type Row, syntheticRows } from '../../src/sandbox/dataset.js';
import {
  computeTimeMs,
  conversionFactorOf,
  DEFAULT_WARMUP_MS,
  infer,
  listVersions,
  loadArtifact,
  type ModelArtifact,
  parseArtifact,
  warmupMsOf,
} from '../../src/sandbox/model-artifact.js';
import { demoModelsDir, findDemoModelsDir } from '../../src/sandbox/paths.js';
import { startSandbox } from '../../src/sandbox/server.js';

const MODEL = 'fraud-detector';
let scratch: string;

beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'model-gate-artifacts-'));
  await mkdir(join(scratch, 'm'));
  await writeFile(join(scratch, 'm', 'v1.json'), '{ "version": "v1", ');
});
afterAll(() => rm(scratch, { recursive: true, force: true }));

describe('demo models', () => {
  const rows = syntheticRows(123);
  const sample = Array.from({ length: 50_000 }, () => (rows.next().value as Row).features);
  const rate = (a: ModelArtifact, outcome: string) =>
    sample.filter((x) => infer(a, x).outcome === outcome).length / sample.length;
  const medianLatency = (a: ModelArtifact) => {
    const random = new Random(1);
    const xs = Array.from({ length: 2001 }, () => computeTimeMs(a, random)).sort((p, q) => p - q);
    return xs[1000] as number;
  };

  it('are found from the source tree and from a bundle in dist/', () => {
    expect(isAbsolute(demoModelsDir)).toBe(true);
    expect(demoModelsDir.endsWith(join('examples', 'sandbox', 'models'))).toBe(true);
    const repoRoot = dirname(dirname(dirname(demoModelsDir)));
    expect(findDemoModelsDir(join(repoRoot, 'dist'))).toBe(demoModelsDir);
    expect(findDemoModelsDir(join(repoRoot, 'src', 'sandbox'))).toBe(demoModelsDir);
    expect(findDemoModelsDir(tmpdir())).toBeUndefined();
  });

  it('hold v1 to v4, each named like its file', async () => {
    expect(await listVersions(demoModelsDir, MODEL)).toEqual(['v1', 'v2', 'v3', 'v4']);
    for (const v of ['v1', 'v2', 'v3', 'v4']) {
      expect((await loadArtifact(demoModelsDir, MODEL, v)).version).toBe(v);
    }
  });

  it('warm up in 200 ms; v4 predicts exactly like v2 and converts more, v3 converts less', async () => {
    const [v1, v2, v3, v4] = await Promise.all(
      ['v1', 'v2', 'v3', 'v4'].map((v) => loadArtifact(demoModelsDir, MODEL, v)),
    );
    if (!v1 || !v2 || !v3 || !v4) throw new Error('missing artifact');
    for (const a of [v1, v2, v3, v4]) expect(warmupMsOf(a)).toBe(200);
    expect(
      sample.slice(0, 5000).every((x) => JSON.stringify(infer(v4, x)) === JSON.stringify(infer(v2, x))),
    ).toBe(true);
    expect(v4.latencyMs).toEqual(v2.latencyMs);
    expect([v1, v2, v3, v4].map(conversionFactorOf)).toEqual([1, 1, 0.85, 1.02]);
  });

  it('behave as documented: v1 and v2 rarely fail, v3 fails on ~12% of inputs and is ~3x slower', async () => {
    const [v1, v2, v3] = await Promise.all(
      ['v1', 'v2', 'v3'].map((v) => loadArtifact(demoModelsDir, MODEL, v)),
    );
    if (!v1 || !v2 || !v3) throw new Error('missing artifact');
    for (const a of [v1, v2]) {
      expect(rate(a, 'null')).toBeGreaterThan(0.003);
      expect(rate(a, 'null')).toBeLessThan(0.007);
      expect(rate(a, 'error')).toBeGreaterThan(0.001);
      expect(rate(a, 'error')).toBeLessThan(0.003);
    }
    expect(rate(v3, 'error')).toBeGreaterThan(0.11);
    expect(rate(v3, 'error')).toBeLessThan(0.13);
    expect(medianLatency(v1)).toBeGreaterThan(5);
    expect(medianLatency(v1)).toBeLessThan(7);
    expect(medianLatency(v3) / medianLatency(v1)).toBeCloseTo(3, 0);
  });
});

describe('artifact validation', () => {
  const good = {
    version: 'v7',
    weights: [1, 2],
    bias: 0,
    threshold: 0.5,
    latencyMs: { median: 5, sigma: 0.2 },
  };
  const file = '/models/m/v7.json';

  it.each([
    [{ ...good, version: 'v8' }, 'version: is "v8" but the file is named v7.json'],
    [{ ...good, weights: undefined }, 'weights: must be a non-empty array of numbers'],
    [{ ...good, weights: [1, 'x'] }, 'weights[1]: must be a finite number'],
    [{ ...good, threshold: 2 }, 'threshold: must be a number between 0 and 1'],
    [{ ...good, latencyMs: { median: 0, sigma: 1 } }, 'latencyMs.median: must be a number > 0'],
    [
      { ...good, errorWhen: { feature: 2, above: 1 } },
      'errorWhen.feature: must be a feature index from 0 to 1',
    ],
    [{ ...good, nullWhen: { feature: 0 } }, 'nullWhen.above: must be a finite number'],
    [{ ...good, nullwhen: {} }, 'nullwhen: unknown field'],
    [{ ...good, warmupMs: -1 }, 'warmupMs: must be a number >= 0'],
    [{ ...good, conversionFactor: '1.1' }, 'conversionFactor: must be a number >= 0'],
    [[], '(root): must be a JSON object'],
  ])('refuses %j naming the file and field', (raw, message) => {
    expect(() => parseArtifact(raw, file)).toThrow(`${file}: ${message}`);
  });

  it('accepts a valid artifact as is', () => {
    expect(parseArtifact(good, file)).toEqual(good);
  });

  it('defaults the warm-up to 300 ms and the conversion factor to 1, and keeps them when given', () => {
    const parsed = parseArtifact(good, file);
    expect([warmupMsOf(parsed), conversionFactorOf(parsed), DEFAULT_WARMUP_MS]).toEqual([300, 1, 300]);
    const given = { ...good, warmupMs: 0, conversionFactor: 0.5 };
    expect(parseArtifact(given, file)).toEqual(given);
  });

  it('names the file of an artifact that is not JSON', async () => {
    await expect(loadArtifact(scratch, 'm', 'v1')).rejects.toThrow(
      `${join(scratch, 'm', 'v1.json')}: not valid JSON`,
    );
  });

  it('refuses to start a sandbox on an unknown version or model, saying what exists', async () => {
    await expect(
      startSandbox({ modelsDir: demoModelsDir, endpoints: [{ model: MODEL, stable: 'v9' }] }),
    ).rejects.toThrow(
      'endpoints[0].stable: unknown version "v9" of model fraud-detector; available: v1, v2, v3, v4',
    );
    await expect(
      startSandbox({ modelsDir: demoModelsDir, endpoints: [{ model: 'nope', stable: 'v1' }] }),
    ).rejects.toThrow(`model "nope" has no folder in ${demoModelsDir}`);
    expect(existsSync(join(demoModelsDir, MODEL, 'v1.json'))).toBe(true);
  });
});
