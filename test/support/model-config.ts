import { parseConfig } from '../../src/config/load.js';
import type {
  Config,
  LatencyGateConfig,
  ModelConfig,
  RatioGateConfig,
  ThresholdGateConfig,
} from '../../src/config/types.js';

export function thresholdGate(
  over: Partial<ThresholdGateConfig> & Pick<ThresholdGateConfig, 'name' | 'query'>,
): ThresholdGateConfig {
  return { kind: 'threshold', failureLimit: 0, consecutiveErrorLimit: 4, ...over };
}

/** An error-rate gate (errors / requests, max-increase 10%) on the sequential judge at alpha 0.05, with `over`. */
export function ratioGate(over: Partial<RatioGateConfig> = {}): RatioGateConfig {
  return {
    kind: 'ratio',
    name: 'errors',
    events: 'errors',
    total: 'requests',
    maxIncrease: 0.1,
    judge: 'sequential',
    alpha: 0.05,
    failureLimit: 0,
    consecutiveErrorLimit: 4,
    ...over,
  };
}

/** A p95 gate (10% slower at most, against the 10 minutes before the step) on the sequential judge at alpha 0.05, with `over`. */
export function latencyGate(over: Partial<LatencyGateConfig> = {}): LatencyGateConfig {
  return {
    kind: 'latency',
    name: 'p95',
    buckets: 'latency',
    quantile: 0.95,
    maxIncrease: 0.1,
    referenceMs: 600_000,
    judge: 'sequential',
    alpha: 0.05,
    failureLimit: 0,
    consecutiveErrorLimit: 4,
    ...over,
  };
}

/** A canary model config for engine tests: three steps, 1-minute deadline, 10 s polls. */
export function canaryModel(over: Partial<ModelConfig> = {}): ModelConfig {
  return {
    name: 'fraud',
    source: { file: 'models/fraud.yaml', key: 'version' },
    target: { type: 'sandbox', url: 'http://127.0.0.1:1' },
    metrics: { type: 'sandbox', url: 'http://127.0.0.1:1' },
    strategy: {
      type: 'canary',
      steps: [10, 25, 50],
      stepDurationMs: 60_000,
      minRequests: 100,
      intervalMs: 10_000,
    },
    gates: [thresholdGate({ name: 'errors', query: 'error-rate', max: 0.02 })],
    onMerge: 'require-pass',
    mustHaveData: true,
    ...over,
  };
}

/**
 * The config of one model, `fraud` (its version in fraud.yaml), on `target` (a YAML flow map), its
 * metrics from `metrics`, under `strategy`, judged by `gates` (YAML flow maps). `model` is fraud's.
 */
export function fraudOn(
  target: string,
  {
    metrics = '{ type: sandbox, url: "http://127.0.0.1:1" }',
    strategy,
    gates,
  }: { metrics?: string; strategy: string; gates: string[] },
): { config: Config; model: ModelConfig } {
  const { config } = parseConfig(
    `version: 1
models:
  fraud:
    source: { file: fraud.yaml, key: version }
    target: ${target}
    metrics: ${metrics}
    strategy: ${strategy}
    gates:
${gates.map((g) => `      - ${g}`).join('\n')}
`,
    {},
  );
  const model = config.models.fraud;
  if (!model) throw new Error('no fraud model');
  return { config, model };
}

/** fraudOn a two-step canary (10%, 50%) with one error-rate gate (max 2%). */
export const fraudCanaryOn = (target: string, metrics?: string) =>
  fraudOn(target, {
    ...(metrics === undefined ? {} : { metrics }),
    strategy: '{ type: canary, steps: [10, 50] }',
    gates: ['{ name: errors, kind: threshold, query: error-rate, max: 0.02 }'],
  });

/**
 * The config of one model, `fraud` (its version in fraud.yaml), on a two-step canary (10%, 50%) on a
 * sandbox no test reaches (YAML): `fraud` is fraud's own fields after its source, `top` root fields
 * before `defaults:` (YAML lines, indented, each ending in a newline).
 */
export const fraudCanaryYaml = (fraud: string, top = '') => `version: 1
${top}defaults:
  target: { type: sandbox, url: "http://127.0.0.1:1" }
  metrics: { type: sandbox, url: "http://127.0.0.1:1" }
  strategy: { type: canary, steps: [10, 50], step-duration: 1m, min-requests: 100, interval: 10s }
models:
  fraud:
    source: { file: fraud.yaml, key: version }
${fraud}`;

/** The config of one model, `fraud`, on a two-step canary with one error-rate gate (YAML). */
export const FRAUD_CANARY_YAML = fraudCanaryYaml(`    gates:
      - { name: errors, kind: threshold, query: error-rate, max: 0.02 }
`);

/** A commit SHA made from a number: sha(1) is aaa…a1. */
export const sha = (n: number) => n.toString(16).padStart(40, 'a');

/**
 * fraud, whose stable model a schedule tick's drift watch looks at (`watch`: the `drift-watch`
 * flow map), on a sandbox no test reaches; `extra` is appended under `models:`.
 */
export const driftWatchYaml = (watch: string, extra = '') => `version: 1
defaults:
  target: { type: sandbox, url: "http://127.0.0.1:1" }
  metrics: { type: sandbox, url: "http://127.0.0.1:1" }
  strategy: { type: canary, steps: [50] }
models:
  fraud:
    source: { file: m.yaml, key: version }
    gates: []
    drift-watch: ${watch}
${extra}`;
