/**
 * A threshold gate on Prometheus' `histogram_quantile`: a quantile beyond the histogram's largest
 * finite bucket bound L comes back as L itself ("if a quantile is located in the highest bucket,
 * the upper bound of the second highest bucket is returned"), so a 5 s p95 read 1 s and passed a
 * max of 2 s. Here such a value is what it is, a floor: the quantile is above L by an amount the
 * histogram cannot show. A bound it crosses whatever the amount fails; one it may or may not cross
 * leaves the look without a usable value (inconclusive, marked `beyondBuckets`: it fails at the
 * step's deadline even under must-have-data: false, which excuses missing data, not this), saying
 * which bucket bound to add.
 */
import type { QuantileBounds } from '../metrics/source.js';
import type { Measurement } from '../release/types.js';
import { formatValue } from '../report/format.js';
import { type Bounds, boundViolations, pct, quantileName, toleratedMax } from './bounds.js';

/** One arm's value, with its histogram's bounds when the query is a histogram_quantile. */
export interface ArmQuantile {
  value: number;
  bounds?: QuantileBounds;
}

/** The arm's value is only a floor: histogram_quantile returned the largest bound for a quantile beyond it. */
export const isFloor = (arm: ArmQuantile | undefined): arm is ArmQuantile & { bounds: QuantileBounds } =>
  arm?.bounds?.beyond === true && arm.value === arm.bounds.largest;

/** Which arms' values are floors, as a look records it (Measurement.floors); nothing when neither is. */
export const floorsOf = (canary: boolean, baseline: boolean): Pick<Measurement, 'floors'> =>
  canary || baseline
    ? { floors: { ...(canary ? { canary: true } : {}), ...(baseline ? { baseline: true } : {}) } }
    : {};

const pName = (b: QuantileBounds) => quantileName(b.quantile);

/** A bound the floor may or may not cross: in words, and the bucket bound that would tell (if known). */
interface Unknown {
  what: string;
  add?: number;
}

/**
 * The look when either arm's quantile is beyond its histogram's largest bound; undefined when
 * neither is (the value is the quantile, judged as any other). Relative bounds are judged only
 * with a baseline, as boundViolations does.
 */
export function beyondBucketsLook(
  query: string,
  b: Bounds,
  canary: ArmQuantile,
  baseline: ArmQuantile | undefined,
): { verdict: 'pass' | 'fail' | 'inconclusive'; note?: string; beyondBuckets?: true } | undefined {
  const cFloor = isFloor(canary);
  const bFloor = isFloor(baseline);
  if (!cFloor && !bFloor) return undefined;
  const f = (x: number) => formatValue(query, x);
  const p = pName((canary.bounds ?? baseline?.bounds) as QuantileBounds);
  const cv = canary.value;
  const over = `${p} > ${f(cv)} (beyond the largest bucket bound, le="+Inf" only)`;
  const fails: string[] = [];
  const unknown: Unknown[] = [];

  // The floor cv: the quantile is above it. A max at or below it is crossed, a min at or below it met.
  if (cFloor) {
    if (b.max !== undefined && b.max <= cv) fails.push(`${over} is above the max ${f(b.max)}`);
    else if (b.max !== undefined) unknown.push({ what: `under the max ${f(b.max)}`, add: b.max });
    if (b.min !== undefined && b.min > cv) unknown.push({ what: `at least the min ${f(b.min)}`, add: b.min });
  } else fails.push(...boundViolations(query, { max: b.max, min: b.min }, cv));

  // A baseline that is a floor makes the tolerated range a floor too: it is higher than computed.
  if (baseline !== undefined && b.maxIncrease !== undefined) {
    const tolerated = toleratedMax(baseline.value, b.maxIncrease);
    const limit = `the baseline ${f(baseline.value)} + ${pct(b.maxIncrease)} (${f(tolerated)})`;
    if (cFloor && !bFloor && tolerated <= cv) fails.push(`${over} is over ${limit}`);
    else if (bFloor && (cFloor || cv > tolerated))
      unknown.push({ what: `within max-increase ${pct(b.maxIncrease)} of the stable version's` });
    else if (cFloor) unknown.push({ what: `within ${limit}`, add: tolerated });
  }
  if (baseline !== undefined && b.maxDecrease !== undefined) {
    const lowest = baseline.value - Math.abs(baseline.value) * b.maxDecrease;
    if (!cFloor && cv < lowest)
      fails.push(...boundViolations(query, { maxDecrease: b.maxDecrease }, cv, baseline.value));
    else if (bFloor)
      unknown.push({ what: `within max-decrease ${pct(b.maxDecrease)} of the stable version's` });
    else if (cv < lowest)
      unknown.push({
        what: `within the baseline ${f(baseline.value)} - ${pct(b.maxDecrease)} (${f(lowest)})`,
        add: lowest,
      });
  }

  if (fails.length > 0) return { verdict: 'fail', note: fails.join('; ') };
  const canaryBeyond = `${p} is beyond the largest bucket bound ${f(cv)} (le="+Inf" only)`;
  if (unknown.length === 0)
    return cFloor ? { verdict: 'pass', note: `${canaryBeyond}, within every bound` } : { verdict: 'pass' };
  const stableBeyond = `the stable version's ${p} is beyond its largest bucket bound ${f(baseline?.value ?? cv)}`;
  const beyond = [cFloor ? canaryBeyond : '', bFloor ? stableBeyond : ''].filter(Boolean).join(', and ');
  const adds = unknown.flatMap((u) => (u.add === undefined ? [] : [u.add]));
  // Without a number to reach (the stable version's own p95 unknown): above the floors' bounds.
  const largest = Math.max(cFloor ? cv : Number.NEGATIVE_INFINITY, bFloor && baseline ? baseline.value : cv);
  const add =
    adds.length > 0
      ? `add a bucket bound at or above ${f(Math.max(...adds))}`
      : `add bucket bounds above ${f(largest)}`;
  // Data that cannot show the value within its limits, not missing data: must-have-data: false
  // does not let it pass (tick.ts settle).
  return {
    verdict: 'inconclusive',
    beyondBuckets: true,
    note: `${beyond}; the histogram cannot show whether it is ${unknown.map((u) => u.what).join(' and ')}: ${add}`,
  };
}

/**
 * On a look that passed: an upper limit above the candidate histogram's largest bound, which no
 * value beyond that bound can pass (beyondBucketsLook), said before one comes; undefined otherwise.
 */
export function limitAboveBucketsNote(
  query: string,
  b: Bounds,
  canary: ArmQuantile,
  baseline: ArmQuantile | undefined,
): string | undefined {
  const bounds = canary.bounds;
  if (!bounds) return undefined;
  const f = (x: number) => formatValue(query, x);
  const L = bounds.largest;
  const limits: { text: string; value: number }[] = [];
  if (b.max !== undefined && b.max > L) limits.push({ text: `the max ${f(b.max)}`, value: b.max });
  if (b.maxIncrease !== undefined && baseline !== undefined && !isFloor(baseline)) {
    const tolerated = toleratedMax(baseline.value, b.maxIncrease);
    if (tolerated > L)
      limits.push({ text: `the baseline + ${pct(b.maxIncrease)} (${f(tolerated)})`, value: tolerated });
  }
  if (limits.length === 0) return undefined;
  const top = Math.max(...limits.map((l) => l.value));
  const p = pName(bounds);
  return `${limits.map((l) => l.text).join(' and ')} ${limits.length > 1 ? 'are' : 'is'} above the largest bucket bound ${f(L)}: a ${p} beyond ${f(L)} cannot pass (the histogram cannot show whether it is under ${f(top)}); add a bucket bound at or above ${f(top)}`;
}
