import type { Bucket } from './histogram.js';

/** One slot of one model over a window of time. */
export interface MetricWindow {
  model: string;
  slot: 'stable' | 'canary' | 'shadow';
  version: string;
  /**
   * What the platform calls that version (Target.platformName: the SageMaker variant
   * `fraud-v1-2` of v1.2), for a query's `{{name}}`; absent: the version as written.
   */
  name?: string;
  /** Epoch ms. */
  since: number;
  until: number;
}

/** A metrics backend. `undefined` means no data, which is never read as zero. */
export interface MetricSource {
  value(query: string, window: MetricWindow): Promise<number | undefined>;
  requests(window: MetricWindow): Promise<number>;
  /**
   * A count over exactly the window (events completed in [since, until]), e.g. `errors` or
   * `requests`: what the `ratio` gates judge. Optional: a source without it cannot serve them.
   */
  count?(query: string, window: MetricWindow): Promise<number | undefined>;
  /** A cumulative histogram over exactly the window, e.g. `latency`: what the `latency` gates judge. */
  buckets?(query: string, window: MetricWindow): Promise<Bucket[] | undefined>;
}
