/**
 * The typed configuration the engine works with: what `parseConfig` returns once the
 * YAML has been interpolated, validated and normalised (durations in ms, percentages
 * as fractions, defaults filled in). The zod schema in schema.ts must produce exactly this.
 */
export interface Config {
  version: 1;
  models: Record<string, ModelConfig>;
}

export interface ModelConfig {
  /** The key under `models:`. */
  name: string;
  source: VersionSource;
  target: TargetConfig;
  metrics: MetricsConfig;
  strategy: StrategyConfig;
  gates: GateConfig[];
  onMerge: 'require-pass' | 'analyze-then-promote';
  /** Missing data is inconclusive until the step deadline, then a failure (true) or ignored (false). */
  mustHaveData: boolean;
}

/** Where the PR declares the version: a YAML or JSON file and a dotted key in it. */
export interface VersionSource {
  file: string;
  key: string;
}

export interface SandboxTargetConfig {
  type: 'sandbox';
  url: string;
  /** Name of the model on the sandbox; defaults to the model's key. */
  model?: string;
}
export type TargetConfig = SandboxTargetConfig;

export interface SandboxMetricsConfig {
  type: 'sandbox';
  url: string;
  model?: string;
}
export type MetricsConfig = SandboxMetricsConfig;

export interface CanaryStrategyConfig {
  type: 'canary';
  /** Percent of live traffic on the candidate, strictly increasing, each in (0, 100]. */
  steps: number[];
  /** Longest a step may last, in ms: a step ends early once every gate has passed. */
  stepDurationMs: number;
  /** Candidate requests needed in a step before its gates can pass. */
  minRequests: number;
  /** How often gates are measured, in ms. */
  intervalMs: number;
}
export type StrategyConfig = CanaryStrategyConfig;

/** The metrics the sandbox source answers for a slot over a window. */
export const SANDBOX_QUERIES = [
  'error-rate',
  'null-rate',
  'latency-p50',
  'latency-p95',
  'latency-p99',
  'latency-mean',
  'mean-score',
  'request-rate',
] as const;
export type SandboxQuery = (typeof SANDBOX_QUERIES)[number];

/** A scalar per slot against bounds (Flagger / Argo Rollouts style). */
export interface ThresholdGateConfig {
  kind: 'threshold';
  name: string;
  /** Source-specific: a name from SANDBOX_QUERIES for the sandbox source. */
  query: string;
  /** Absolute bounds on the candidate's value. */
  max?: number;
  min?: number;
  /** Relative to the stable (baseline) value, as fractions: 0.1 means 10%. */
  maxIncrease?: number;
  maxDecrease?: number;
  /** Failed measurements tolerated before the gate fails. */
  failureLimit: number;
  /** Inconclusive measurements (no or NaN data) tolerated before the gate fails; undefined: until the step deadline. */
  inconclusiveLimit?: number;
  /** Consecutive query errors tolerated before the gate fails. */
  consecutiveErrorLimit: number;
}

/** A value from a file the PR's own evaluation produced, checked before anything is deployed. */
export interface OfflineGateConfig {
  kind: 'offline';
  name: string;
  file: string;
  key: string;
  min?: number;
  max?: number;
}

export type GateConfig = ThresholdGateConfig | OfflineGateConfig;
