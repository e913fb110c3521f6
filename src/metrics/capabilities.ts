import type { MetricsConfig } from '../config/types.js';

/**
 * The metric sources without histogram buckets, which `latency` and `drift` gates and a
 * `drift-watch` judge, and what to use there instead. Every source has counts (`ratio`,
 * `conversion`). The config refuses a gate a source cannot serve when it is validated, not
 * at the first look mid-release; test/metrics/metrics-config.test.ts checks this list against
 * the sources themselves.
 */
export const NO_BUCKETS: Partial<Record<MetricsConfig['type'], string>> = {
  datadog: 'a percentile of a distribution metric (p99:latency{...})',
  cloudwatch: 'a percentile statistic ("Stat": "p99")',
};

/** The sources with buckets, for messages. */
export const BUCKET_SOURCES = 'prometheus, http-json or file';
