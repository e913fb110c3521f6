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

/**
 * A metrics backend. `undefined` means no data, which is never read as zero; a NoDataError is no
 * data with a reason the look's note should carry (a partial answer).
 */
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
  /**
   * For a `histogram_quantile(φ, <buckets>)` query: what its buckets say about the value returned
   * (prometheus); undefined for any other query. Optional: other sources read no such query.
   */
  quantileBounds?(query: string, window: MetricWindow): Promise<QuantileBounds | undefined>;
  /**
   * A mirror's copies of live requests the platform did not run on the window's (shadow) slot, too
   * many being in flight: beside `requests`, the copies run, they say how much of the traffic the
   * shadow's gates saw (the report shows both). Optional: only the sandbox counts them.
   */
  droppedCopies?(window: MetricWindow): Promise<number | undefined>;
}

/** What a histogram_quantile query's own buckets say about the value it returns. */
export interface QuantileBounds {
  /** φ of the call: 0.95 for a p95. */
  quantile: number;
  /** The largest finite `le`, which histogram_quantile returns for a quantile beyond it. */
  largest: number;
  /** The quantile lies beyond `largest`, in the `+Inf` bucket: the value returned is only a floor. */
  beyond: boolean;
}
