/**
 * Sandbox model artifacts: one JSON file per version, at `<modelsDir>/<model>/<version>.json`.
 *
 * ```json
 * {
 *   "version": "v1",                         // must equal the file name without ".json"
 *   "description": "optional free text",
 *   "weights": [1.4, -0.9, 0.7, 0.3],        // one per feature (the demo models take 4)
 *   "bias": -0.9,
 *   "threshold": 0.5,                        // prediction = score >= threshold ? 1 : 0
 *   "latencyMs": { "median": 6, "sigma": 0.35 },  // lognormal simulated compute time
 *   "nullWhen":  { "feature": 3, "above": 2.5758 }, // optional: prediction null for those inputs
 *   "errorWhen": { "feature": 2, "above": 2.8782 }, // optional: the model fails (HTTP 500)
 *   "warmupMs": 200,                         // optional, default 300: how long an instance switching
 *                                            //   to this version is down (rolling releases)
 *   "conversionFactor": 1.02                 // optional, default 1: multiplies the sandbox's base
 *                                            //   conversion rate for requests this version served
 *                                            //   (one it failed never converts)
 * }
 * ```
 *
 * score = sigmoid(weights · features + bias). The faults are deterministic functions of the
 * input so that a gate sees the same error rate whichever slot serves a request.
 * `conversionFactor` is the business side of a model, which its predictions cannot show: an A/B
 * test's conversion gate sees it only through the outcomes reported to `/feedback`.
 */
import { readdir, readFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { ModelGateError } from '../core/errors.js';
import type { Random } from '../core/random.js';

export interface FeatureCondition {
  feature: number;
  above: number;
}

export interface ModelArtifact {
  version: string;
  description?: string;
  weights: number[];
  bias: number;
  threshold: number;
  latencyMs: { median: number; sigma: number };
  nullWhen?: FeatureCondition;
  errorWhen?: FeatureCondition;
  /** Absent: DEFAULT_WARMUP_MS. Kept optional so a parsed artifact is exactly its file. */
  warmupMs?: number;
  /** Absent: 1. */
  conversionFactor?: number;
}

export const DEFAULT_WARMUP_MS = 300;

export const warmupMsOf = (a: ModelArtifact): number => a.warmupMs ?? DEFAULT_WARMUP_MS;
export const conversionFactorOf = (a: ModelArtifact): number => a.conversionFactor ?? 1;

export type Inference =
  | { outcome: 'ok'; score: number; prediction: 0 | 1 }
  | { outcome: 'null'; score: number; prediction: null }
  | { outcome: 'error' };

/** An artifact file is missing or malformed; the message names the file and the field. */
export class ArtifactError extends ModelGateError {}

/** Longest simulated compute time, so a lognormal tail cannot hold a request (or close()) for long. */
const MAX_LATENCY_MS = 10_000;

const ARTIFACT_KEYS = new Set([
  'version',
  'description',
  'weights',
  'bias',
  'threshold',
  'latencyMs',
  'nullWhen',
  'errorWhen',
  'warmupMs',
  'conversionFactor',
]);

export function infer(artifact: ModelArtifact, features: readonly number[]): Inference {
  if (artifact.errorWhen && exceeds(artifact.errorWhen, features)) return { outcome: 'error' };
  let z = artifact.bias;
  for (let i = 0; i < artifact.weights.length; i++) z += (artifact.weights[i] ?? 0) * (features[i] ?? 0);
  const score = 1 / (1 + Math.exp(-z));
  if (artifact.nullWhen && exceeds(artifact.nullWhen, features)) {
    return { outcome: 'null', score, prediction: null };
  }
  return { outcome: 'ok', score, prediction: score >= artifact.threshold ? 1 : 0 };
}

/**
 * `artifact`'s answer to `features` after its simulated compute time, and the latency it is recorded
 * with: that compute time plus the inference itself. Not the wall time around both: the sandbox
 * shares its process with the traffic the demo and tests send, and on a busy machine that process's
 * timers fire late, which made a version as fast as stable read 2-5 times slower and fail its p95
 * gate (a verdict on the machine, not the model). `signal` cancels the wait.
 */
export async function inferAfterCompute(
  artifact: ModelArtifact,
  random: Random,
  features: readonly number[],
  signal?: AbortSignal,
): Promise<{ result: Inference; latencyMs: number }> {
  const computeMs = computeTimeMs(artifact, random);
  await delay(computeMs, undefined, { signal });
  const started = performance.now();
  const result = infer(artifact, features);
  return { result, latencyMs: computeMs + (performance.now() - started) };
}

/** Simulated compute time in ms: lognormal around the artifact's median. */
export function computeTimeMs(artifact: ModelArtifact, random: Random): number {
  const { median, sigma } = artifact.latencyMs;
  return Math.min(MAX_LATENCY_MS, median * Math.exp(sigma * random.normal()));
}

const exceeds = (c: FeatureCondition, features: readonly number[]) => (features[c.feature] ?? 0) > c.above;

/** Versions available for a model: the `*.json` file names in its folder, in natural order. */
export async function listVersions(modelsDir: string, model: string): Promise<string[]> {
  let names: string[];
  try {
    names = await readdir(join(modelsDir, model));
  } catch {
    throw new ArtifactError(`model "${model}" has no folder in ${modelsDir}`);
  }
  return names
    .filter((n) => n.endsWith('.json'))
    .map((n) => n.slice(0, -'.json'.length))
    .sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
}

export async function loadArtifact(
  modelsDir: string,
  model: string,
  version: string,
): Promise<ModelArtifact> {
  const file = join(modelsDir, model, `${version}.json`);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    throw new ArtifactError(`${file}: cannot read the artifact of ${model} ${version}`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new ArtifactError(`${file}: not valid JSON (${(e as Error).message})`);
  }
  return parseArtifact(raw, file);
}

/** Checks an artifact's shape; every message starts with the file and names the field. */
export function parseArtifact(raw: unknown, file: string): ModelArtifact {
  const fail = (field: string, problem: string): never => {
    throw new ArtifactError(`${file}: ${field}: ${problem}`);
  };
  if (!isObject(raw)) return fail('(root)', 'must be a JSON object');
  for (const key of Object.keys(raw)) {
    if (!ARTIFACT_KEYS.has(key)) fail(key, `unknown field (allowed: ${[...ARTIFACT_KEYS].join(', ')})`);
  }
  const expected = basename(file, '.json');
  if (typeof raw.version !== 'string') fail('version', 'must be a string');
  if (raw.version !== expected) fail('version', `is "${raw.version}" but the file is named ${expected}.json`);
  if (raw.description !== undefined && typeof raw.description !== 'string')
    fail('description', 'must be a string');
  const weights = raw.weights;
  if (!Array.isArray(weights) || weights.length === 0)
    fail('weights', 'must be a non-empty array of numbers');
  (weights as unknown[]).forEach((w, i) => {
    if (!isFiniteNumber(w)) fail(`weights[${i}]`, 'must be a finite number');
  });
  if (!isFiniteNumber(raw.bias)) fail('bias', 'must be a finite number');
  if (!isFiniteNumber(raw.threshold) || raw.threshold < 0 || raw.threshold > 1) {
    fail('threshold', 'must be a number between 0 and 1');
  }
  const latency = raw.latencyMs;
  if (!isObject(latency)) return fail('latencyMs', 'must be an object { median, sigma }');
  if (!isFiniteNumber(latency.median) || latency.median <= 0)
    fail('latencyMs.median', 'must be a number > 0');
  if (!isFiniteNumber(latency.sigma) || latency.sigma < 0) fail('latencyMs.sigma', 'must be a number >= 0');
  const nFeatures = (weights as number[]).length;
  const condition = (field: string, value: unknown): FeatureCondition | undefined => {
    if (value === undefined) return undefined;
    if (!isObject(value)) return fail(field, 'must be an object { feature, above }');
    const f = value.feature;
    if (!Number.isInteger(f) || (f as number) < 0 || (f as number) >= nFeatures) {
      fail(`${field}.feature`, `must be a feature index from 0 to ${nFeatures - 1}`);
    }
    if (!isFiniteNumber(value.above)) fail(`${field}.above`, 'must be a finite number');
    return { feature: f as number, above: value.above as number };
  };
  const nonNegative = (field: string, value: unknown): number | undefined => {
    if (value === undefined) return undefined;
    if (!isFiniteNumber(value) || value < 0) return fail(field, 'must be a number >= 0');
    return value;
  };
  const warmupMs = nonNegative('warmupMs', raw.warmupMs);
  const conversionFactor = nonNegative('conversionFactor', raw.conversionFactor);
  const artifact: ModelArtifact = {
    version: raw.version as string,
    weights: weights as number[],
    bias: raw.bias as number,
    threshold: raw.threshold as number,
    latencyMs: { median: latency.median as number, sigma: latency.sigma as number },
  };
  if (typeof raw.description === 'string') artifact.description = raw.description;
  const nullWhen = condition('nullWhen', raw.nullWhen);
  if (nullWhen) artifact.nullWhen = nullWhen;
  const errorWhen = condition('errorWhen', raw.errorWhen);
  if (errorWhen) artifact.errorWhen = errorWhen;
  if (warmupMs !== undefined) artifact.warmupMs = warmupMs;
  if (conversionFactor !== undefined) artifact.conversionFactor = conversionFactor;
  return artifact;
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
const isFiniteNumber = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
