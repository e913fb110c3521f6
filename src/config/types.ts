/**
 * The typed configuration the engine works with: what `parseConfig` returns once the
 * YAML has been interpolated, validated and normalised (durations in ms, percentages
 * as fractions, defaults filled in). The zod schema in schema.ts must produce exactly this.
 */
export interface Config {
  version: 1;
  /** Deploy candidates from fork PRs (default false: they get a comment saying why not). */
  allowForks: boolean;
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
  /** Watch the stable version's predictions for drift on every schedule tick. */
  driftWatch?: DriftWatchConfig;
}

/** Recent predictions of the stable version against the window before them. */
export interface DriftWatchConfig {
  /** Histogram query of the predictions (sandbox: `scores`). */
  buckets: string;
  windowMs: number;
  referenceMs: number;
  /** Population stability index at or above which the model counts as drifted. */
  maxPsi: number;
  /** Below maxPsi: a drift on record ends once PSI falls below this (or the windows cannot be told apart). */
  endPsi: number;
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

/** A release strategy, as a target's capabilities name it (see src/targets/capabilities.ts). */
export type TargetStrategy = 'canary' | 'linear' | 'blue-green' | 'shadow' | 'ab' | 'rolling';

/** Timing of the targets that drive a platform's CLI or API, in ms. */
export interface TargetTiming {
  /** Longest one CLI call or HTTP request may take. */
  timeoutMs: number;
  /** Longest to wait for the platform to finish an update, or to be free of another one. */
  settleTimeoutMs: number;
  /** How often to look while waiting. */
  pollIntervalMs: number;
}

/** A KServe InferenceService in Knative (formerly Serverless) mode, driven with `kubectl` (canaryTrafficPercent). */
export interface KServeTargetConfig extends TargetTiming {
  type: 'kserve';
  /** InferenceService name; defaults to the model's key. */
  name?: string;
  namespace: string;
  /** kubeconfig context; the current one when absent. */
  context?: string;
  /** The predictor's storageUri for a version: contains `{{version}}`. */
  storageUri: string;
}

/** A SageMaker real-time endpoint whose production variants serve the versions (`aws sagemaker`). */
export interface SageMakerTargetConfig extends TargetTiming {
  type: 'sagemaker';
  endpoint: string;
  region?: string;
  profile?: string;
  /** Production variant name of a version: contains `{{version}}`. */
  variant: string;
}

/** An Azure ML managed online endpoint whose deployments serve the versions (`az ml`). */
export interface AzureMlTargetConfig extends TargetTiming {
  type: 'azureml';
  endpoint: string;
  resourceGroup: string;
  workspace: string;
  subscription?: string;
  /** Deployment name of a version: contains `{{version}}`. */
  deployment: string;
}

/** A Vertex AI endpoint whose deployed models serve the versions (`gcloud ai endpoints`). */
export interface VertexTargetConfig extends TargetTiming {
  type: 'vertex';
  /** Endpoint ID (or full resource name). */
  endpoint: string;
  region: string;
  project?: string;
  /** Display name of the deployed model of a version: contains `{{version}}`. */
  deployedModel: string;
}

/** A Seldon Core v2 Experiment splitting traffic between the versions' Models (`kubectl`). */
export interface SeldonTargetConfig extends TargetTiming {
  type: 'seldon';
  /** Experiment name; defaults to the model's key. Clients call `<experiment>.experiment`. */
  experiment?: string;
  namespace: string;
  context?: string;
  /** Seldon Model name of a version: contains `{{version}}`. */
  modelName: string;
}

/** The user's own serving layer implementing docs/http-target.openapi.yaml. */
export interface HttpTargetConfig extends TargetTiming {
  type: 'http';
  /** Base URL of this model on the serving layer: `GET/PUT {url}/traffic`, `GET {url}/capabilities`. */
  url: string;
  /** Sent with every request (e.g. `Authorization: Bearer ${TOKEN}`). */
  headers: Record<string, string>;
  /** Strategies the service can carry out (checked against its `/capabilities` at run time). */
  strategies: TargetStrategy[];
}

/** User commands, run without a shell, that apply a traffic state and read it back as JSON. */
export interface CommandTargetConfig extends TargetTiming {
  type: 'command';
  /** Program and arguments; `{{stable}}`, `{{candidate}}`, `{{weight}}` are whole-argument placeholders. */
  apply: string[];
  /** Program and arguments printing the served state as JSON (the TrafficState shape). */
  read: string[];
  /** Strategies the commands can carry out. */
  strategies: TargetStrategy[];
}

export type TargetConfig =
  | SandboxTargetConfig
  | KServeTargetConfig
  | SageMakerTargetConfig
  | AzureMlTargetConfig
  | VertexTargetConfig
  | SeldonTargetConfig
  | HttpTargetConfig
  | CommandTargetConfig;

export interface SandboxMetricsConfig {
  type: 'sandbox';
  url: string;
  model?: string;
}

/** How a series of points over the window becomes the one number a gate judges. */
export type MetricsReducer = 'avg' | 'sum' | 'min' | 'max' | 'last';

/**
 * Prometheus HTTP API. Queries are PromQL templates with `{{slot}}`, `{{model}}`,
 * `{{version}}`, `{{name}}` (the platform's name of the version), `{{window}}` (e.g. `95s`),
 * `{{since}}` and `{{until}}` (epoch s).
 */
export interface PrometheusMetricsConfig {
  type: 'prometheus';
  url: string;
  /** Sent with every query, e.g. `Authorization` (values from `${SECRET}`). */
  headers: Record<string, string>;
  timeoutMs: number;
  /** Resolution of range queries; default: the window / 250, at least 1s. */
  stepMs?: number;
  /** Template of the request count of one slot over the window. */
  requests: string;
}

/** Datadog metrics query API (v1). */
export interface DatadogMetricsConfig {
  type: 'datadog';
  /** API base, `https://api.<site>` unless set explicitly. */
  url: string;
  apiKey: string;
  applicationKey: string;
  timeoutMs: number;
  /** Template of the request count (points are summed). */
  requests: string;
  /** How the points of a gate's query become one number. */
  reducer: MetricsReducer;
}

/** `aws cloudwatch get-metric-data`. */
export interface CloudWatchMetricsConfig {
  type: 'cloudwatch';
  region?: string;
  profile?: string;
  timeoutMs: number;
  /** Template (JSON MetricDataQuery list or one expression) of the request count (datapoints are summed). */
  requests: string;
  reducer: MetricsReducer;
}

/** Any JSON endpoint; gate queries are selectors into its answer. */
export interface HttpJsonMetricsConfig {
  type: 'http-json';
  /** URL template; template values are URL-encoded. */
  url: string;
  headers: Record<string, string>;
  timeoutMs: number;
  /** Selector of the request count. */
  requests: string;
}

/** A JSON or JSONL file of values per slot, for offline checks. */
export interface FileMetricsConfig {
  type: 'file';
  /** Path template, relative to the repository root. */
  path: string;
  /** Selector of the request count in a slot's entry. */
  requests: string;
}

export type MetricsConfig =
  | SandboxMetricsConfig
  | PrometheusMetricsConfig
  | DatadogMetricsConfig
  | CloudWatchMetricsConfig
  | HttpJsonMetricsConfig
  | FileMetricsConfig;

/** Timing every strategy shares. */
export interface StrategyTiming {
  /** Longest a phase may last, in ms: a phase ends early once every gate has passed. */
  stepDurationMs: number;
  /** Candidate requests needed in a phase before its gates can pass. */
  minRequests: number;
  /** How often gates are measured, in ms. */
  intervalMs: number;
}

export interface CanaryStrategyConfig extends StrategyTiming {
  type: 'canary';
  /** Percent of live traffic on the candidate, strictly increasing, each in (0, 100]. */
  steps: number[];
}
export interface LinearStrategyConfig extends StrategyTiming {
  type: 'linear';
  stepSize: number;
  maxWeight: number;
}
export interface BlueGreenStrategyConfig extends StrategyTiming {
  type: 'blue-green';
  bakeDurationMs: number;
  rollbackWindowMs: number;
  smoke?: SmokeConfig;
}
/** Blue-green's smoke test: synthetic requests straight to green before it takes live traffic. */
export interface SmokeConfig {
  /** Request bodies, sent in turn, `repeat` times. */
  requests: Record<string, unknown>[];
  /** Template with {{model}} and {{version}}; absent: the sandbox target's direct route. */
  url?: string;
  headers: Record<string, string>;
  repeat: number;
  maxErrors: number;
  /** Highest p95 latency of the smoke requests. */
  maxLatencyMs?: number;
  timeoutMs: number;
}
export interface ShadowStrategyConfig extends StrategyTiming {
  type: 'shadow';
  /** Percent of live requests mirrored to the candidate. */
  share: number;
  durationMs: number;
}
export interface AbStrategyConfig extends StrategyTiming {
  type: 'ab';
  /** Percent of users on the candidate. */
  split: number;
  stickyHeader: string;
}
export interface RollingStrategyConfig extends StrategyTiming {
  type: 'rolling';
  instances: number;
  batchSize: number;
  /** Instances that keep serving while a batch is replaced. */
  minAvailable: number;
}
export type StrategyConfig =
  | CanaryStrategyConfig
  | LinearStrategyConfig
  | BlueGreenStrategyConfig
  | ShadowStrategyConfig
  | AbStrategyConfig
  | RollingStrategyConfig;

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
  /** Shadow: share of mirrored requests whose prediction equals the stable one's. */
  'agreement',
  /** A/B: conversions per exposure (requests with outcome feedback). */
  'conversion-rate',
  /** Share of labelled predictions that were right. */
  'accuracy',
] as const;
export type SandboxQuery = (typeof SANDBOX_QUERIES)[number];

/** The counts the sandbox source answers for a slot over a window (for `ratio` gates, `srm` units). */
export const SANDBOX_COUNT_QUERIES = [
  'requests',
  'errors',
  'nulls',
  'answered',
  'conversions',
  'exposures',
  /** Distinct sticky keys (x-user-id, or the sticky header) of the requests: an srm gate's `units`. */
  'users',
  /** Distinct users with outcome feedback, and of those with a conversion: a key-split A/B's conversion gate. */
  'exposed-users',
  'converted-users',
  /**
   * Shadow: copies the mirror did not run (too many in flight), and the copies made, run or dropped
   * (`requests` + `dropped`; another slot's requests): a ratio gate's events and total on drops.
   */
  'dropped',
  'offered',
] as const;
export type SandboxCountQuery = (typeof SANDBOX_COUNT_QUERIES)[number];

/** The histograms the sandbox source answers for a slot over a window (for `latency` gates). */
export const SANDBOX_BUCKET_QUERIES = ['latency', 'scores'] as const;
export type SandboxBucketQuery = (typeof SANDBOX_BUCKET_QUERIES)[number];

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

/**
 * Who decides a statistical gate: `sequential` (anytime-valid, the default), `mann-whitney`
 * (Kayenta's fixed-horizon classifier on one-minute values) or `threshold` (the rates or
 * quantiles against the tolerance, look by look).
 */
export type GateJudge = 'sequential' | 'mann-whitney' | 'threshold';

/** What the statistical gates share. */
interface StatisticalGateConfig {
  name: string;
  judge: GateJudge;
  /** The level this gate is judged at: its configured alpha divided by the model's number of statistical gates. */
  alpha: number;
  failureLimit: number;
  inconclusiveLimit?: number;
  consecutiveErrorLimit: number;
}

/** Event counts per slot (errors, null predictions, timeouts) against the baseline's rate. */
export interface RatioGateConfig extends StatisticalGateConfig {
  kind: 'ratio';
  /** Count query of the events, e.g. `errors`. */
  events: string;
  /** Count query of what the events are out of, e.g. `requests`. */
  total: string;
  /** Tolerated relative increase of the candidate's rate: 0.1 means 10%. */
  maxIncrease: number;
}

/** A latency quantile per slot, from histogram buckets, against the baseline's. */
export interface LatencyGateConfig extends StatisticalGateConfig {
  kind: 'latency';
  /** Histogram query, e.g. `latency`. */
  buckets: string;
  /** The quantile judged, e.g. 0.95. */
  quantile: number;
  /** Tolerated relative increase of the share of requests slower than the baseline's quantile. */
  maxIncrease: number;
  /** Stable-only traffic before the step the baseline quantile is read from, in ms. */
  referenceMs: number;
}

/** The candidate's predictions (scores) against the baseline's: a distribution, not a rate. */
export interface DriftGateConfig {
  kind: 'drift';
  name: string;
  /** Histogram query of the predictions, e.g. `scores`. */
  buckets: string;
  /** Tolerated Kolmogorov-Smirnov distance between the two distributions. */
  maxDistance: number;
  alpha: number;
  failureLimit: number;
  inconclusiveLimit?: number;
  consecutiveErrorLimit: number;
}

/** An external check answering pass, fail or waiting (docs/webhook-gate.openapi.yaml). */
export interface WebhookGateConfig {
  kind: 'webhook';
  name: string;
  url: string;
  headers: Record<string, string>;
  timeoutMs: number;
  inconclusiveLimit?: number;
  consecutiveErrorLimit: number;
}

/** The observed split of requests (or of `units`) against the configured one (sample ratio mismatch). */
export interface SrmGateConfig {
  kind: 'srm';
  name: string;
  /**
   * Count query of the randomised units per slot (distinct users for a key split); without it the
   * source's request count, which heavy users can skew while the user split is right.
   */
  units?: string;
  /** Relative deviation of the candidate's share within which the split counts as verified. */
  maxMismatch: number;
  alpha: number;
  inconclusiveLimit?: number;
  consecutiveErrorLimit: number;
}

/** A business outcome per arm (A/B): conversions per exposure, judged by a mixture SPRT. */
export interface ConversionGateConfig {
  kind: 'conversion';
  name: string;
  /** Count queries of the conversions and of the exposures they are out of. */
  conversions: string;
  exposures: string;
  /**
   * Which change is a regression: a `decrease` (default) or an `increase`, each tested one-sided;
   * `either`: two-sided, a significant rise is a winner and a significant drop a regression.
   */
  direction: 'decrease' | 'increase' | 'either';
  /** Relative non-inferiority margin: 0.02 tolerates a 2% relative drop; 0 asks for no drop at all. */
  margin: number;
  /** For the sample size shown: the relative effect to detect and the power. */
  mde: number;
  power: number;
  alpha: number;
  failureLimit: number;
  inconclusiveLimit?: number;
  consecutiveErrorLimit: number;
}

/**
 * Gate kinds that compare the candidate with stable traffic over the same window (a threshold
 * gate's relative bounds use the stable version's values from before a full switch instead).
 */
export const SIDE_BY_SIDE_KINDS: readonly GateConfig['kind'][] = [
  'ratio',
  'latency',
  'conversion',
  'drift',
  'srm',
];

export type GateConfig =
  | ThresholdGateConfig
  | OfflineGateConfig
  | RatioGateConfig
  | LatencyGateConfig
  | SrmGateConfig
  | ConversionGateConfig
  | DriftGateConfig
  | WebhookGateConfig;
