import type { Bucket } from '../../src/metrics/histogram.js';
import type { MetricSource, MetricWindow } from '../../src/metrics/source.js';

/**
 * A stable model's prediction histograms for drift watches: 1000 scores in four buckets, high
 * in the windows `shifted` picks, low in the others, so a watch comparing the two sees drift.
 */
export function shiftedScores(shifted: (w: MetricWindow) => boolean): MetricSource {
  const histogram = (shares: number[]): Bucket[] => {
    let sum = 0;
    return shares.map((s, i) => {
      sum += s * 1000;
      return { le: i === shares.length - 1 ? '+Inf' : (i + 1) / 4, count: Math.round(sum) };
    });
  };
  return {
    requests: async () => 1000,
    value: async () => undefined,
    buckets: async (_q: string, w: MetricWindow) =>
      histogram(shifted(w) ? [0.1, 0.2, 0.3, 0.4] : [0.4, 0.3, 0.2, 0.1]),
  };
}
