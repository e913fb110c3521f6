/** One slot of one model over a window of time. */
export interface MetricWindow {
  model: string;
  slot: 'stable' | 'canary';
  version: string;
  /** Epoch ms. */
  since: number;
  until: number;
}

/** A metrics backend. `undefined` means no data, which is never read as zero. */
export interface MetricSource {
  value(query: string, window: MetricWindow): Promise<number | undefined>;
  requests(window: MetricWindow): Promise<number>;
}
