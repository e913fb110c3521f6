/**
 * Wasserstein-1 between two histograms, each bucket's mass spread evenly over the bucket: the CDFs
 * are then linear between the bounds, so W1 = ∫|F_a − F_b| is exact segment by segment. The first
 * bucket starts at 0 when its bound is positive and is a point at its bound otherwise, as
 * Prometheus' histogram_quantile reads it. Values beyond the finite bounds (the `+Inf` bucket, or
 * at or below a negative first bound) have no known place: they are counted at that bound, which
 * leaves the distance over the bounds exact and makes the whole a lower bound.
 */
import { fmt } from './counts.js';
import type { SharedBounds } from './shared-bounds.js';

/** The finite bounds past which either arm had values, counted at the bound: W1 is then a lower bound. */
export interface WassersteinBeyond {
  below?: number;
  above?: number;
}

export interface HistogramWasserstein {
  distance: number;
  beyond?: WassersteinBeyond;
}

/** W1 between the two arms of histograms re-binned onto their shared bounds; NaN with no finite bound. */
export function histogramWasserstein(s: SharedBounds): HistogramWasserstein {
  const bounds = s.shared;
  const first = bounds[0];
  const last = bounds.at(-1);
  if (first === undefined || last === undefined) return { distance: Number.NaN };
  const pointFirst = first <= 0;
  const xs = pointFirst ? bounds : [0, ...bounds];
  const cdf = (buckets: SharedBounds['canary']) => {
    const total = buckets.at(-1)?.count ?? 0;
    const at = bounds.map((_, i) => (total > 0 ? (buckets[i]?.count ?? 0) / total : 0));
    return pointFirst ? at : [0, ...at];
  };
  const fb = cdf(s.baseline);
  const diff = cdf(s.canary).map((f, i) => f - (fb[i] as number));
  let distance = 0;
  for (let i = 0; i + 1 < xs.length; i++) {
    const width = (xs[i + 1] as number) - (xs[i] as number);
    distance += segment(width, diff[i] as number, diff[i + 1] as number);
  }
  const inTail = (b: SharedBounds['canary']) => (b.at(-1)?.count ?? 0) > (b.at(-2)?.count ?? 0);
  const inFirst = (b: SharedBounds['canary']) => (b[0]?.count ?? 0) > 0;
  const beyond: WassersteinBeyond = {
    ...(inTail(s.canary) || inTail(s.baseline) ? { above: last } : {}),
    ...(first < 0 && (inFirst(s.canary) || inFirst(s.baseline)) ? { below: first } : {}),
  };
  return Object.keys(beyond).length === 0 ? { distance } : { distance, beyond };
}

/** ∫|d| over a segment of `width` where the CDFs' difference d runs linearly from d0 to d1. */
function segment(width: number, d0: number, d1: number): number {
  if (d0 * d1 >= 0) return (width * (Math.abs(d0) + Math.abs(d1))) / 2;
  // The CDFs cross inside: two triangles meeting at the zero of d.
  return (width * (d0 * d0 + d1 * d1)) / (2 * (Math.abs(d0) + Math.abs(d1)));
}

/** `Wasserstein 0.125`, or with values beyond the bounds `Wasserstein ≥ 0.25 (values above 1 counted as 1)`. */
export function wassersteinWords(sizes: {
  wasserstein: number;
  wassersteinBeyond?: WassersteinBeyond;
}): string {
  const beyond = sizes.wassersteinBeyond;
  if (beyond === undefined) return `Wasserstein ${fmt(sizes.wasserstein)}`;
  const { above, below } = beyond;
  const past = [
    above === undefined ? undefined : { where: `above ${above}`, at: above },
    below === undefined ? undefined : { where: `at or below ${below}`, at: below },
  ].filter((p) => p !== undefined);
  const counted = past.map((p, i) => `${p.where} ${i === 0 ? 'counted ' : ''}as ${p.at}`);
  return `Wasserstein ≥ ${fmt(sizes.wasserstein)} (values ${counted.join(', ')})`;
}
