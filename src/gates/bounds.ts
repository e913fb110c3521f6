import { formatApart, formatValue } from '../report/format.js';

export interface Bounds {
  min?: number;
  max?: number;
  /** Fractions of the baseline value. */
  maxIncrease?: number;
  maxDecrease?: number;
}

export const needsBaseline = (b: Bounds): boolean =>
  b.maxIncrease !== undefined || b.maxDecrease !== undefined;

/** The relative bounds set, by their field names (`max-increase`): what a baseline is needed for. */
export const relativeBoundNames = (b: Bounds): string =>
  [b.maxIncrease === undefined ? '' : 'max-increase', b.maxDecrease === undefined ? '' : 'max-decrease']
    .filter(Boolean)
    .join(' and ');

/**
 * Every bound `value` crosses, in words (`12.00% is above the max 2.00%`); empty when within all.
 * Relative bounds move by a share of the baseline's size, so a negative baseline keeps its
 * direction: max-increase 10% of -4 allows up to -3.6, not down to -4.4.
 */
export function boundViolations(query: string, b: Bounds, value: number, baseline?: number): string[] {
  // Each value beside the one it is judged against, with the digits that tell them apart.
  const apart = (other: number) => formatApart(query, value, other);
  const out: string[] = [];
  if (b.max !== undefined && value > b.max) {
    const [v, max] = apart(b.max);
    out.push(`${v} is above the max ${max}`);
  }
  if (b.min !== undefined && value < b.min) {
    const [v, min] = apart(b.min);
    out.push(`${v} is below the min ${min}`);
  }
  if (baseline !== undefined) {
    const size = Math.abs(baseline);
    const [v, base] = apart(baseline);
    if (b.maxIncrease !== undefined && value > toleratedMax(baseline, b.maxIncrease)) {
      const [by, max] = relativeApart(value, baseline, b.maxIncrease);
      out.push(`${v} is ${by} over the baseline ${base} (max +${max})`);
    }
    if (b.maxDecrease !== undefined && value < baseline - size * b.maxDecrease) {
      const [by, max] = relativeApart(value, baseline, b.maxDecrease);
      out.push(`${v} is ${by} under the baseline ${base} (max -${max})`);
    }
  }
  return out;
}

/**
 * The bounds in one short phrase for the report: `≤ 2.0%, ≤ baseline +50%`; `digits`, the digits
 * past the usual a min and max take beside a value they must not read the same as (rows.ts).
 */
export function describeBounds(query: string, b: Bounds, digits = { min: 0, max: 0 }): string {
  const parts: string[] = [];
  if (b.min !== undefined) parts.push(`≥ ${formatValue(query, b.min, digits.min)}`);
  if (b.max !== undefined) parts.push(`≤ ${formatValue(query, b.max, digits.max)}`);
  if (b.maxIncrease !== undefined) parts.push(`≤ baseline +${pct(b.maxIncrease)}`);
  if (b.maxDecrease !== undefined) parts.push(`≥ baseline -${pct(b.maxDecrease)}`);
  return parts.join(', ');
}

/** A fraction as a percentage to one decimal: 0.125 reads `12.5%`. */
export const pct = (fraction: number, decimals = 1) =>
  `${Math.round(fraction * 10 ** (decimals + 2)) / 10 ** decimals}%`;

/** A quantile's name: 0.95 reads `p95`, 0.999 `p99.9`. */
export const quantileName = (q: number) => `p${Math.round(q * 1000) / 10}`;

/** The largest value within `maxIncrease` of the baseline, whatever the baseline's sign. */
export const toleratedMax = (baseline: number, maxIncrease: number) =>
  baseline + Math.abs(baseline) * maxIncrease;

/**
 * How far `value` is from the baseline, as a share of the baseline's size, beside the share
 * allowed, each with the decimals that tell them apart (`5.02% over … (max +5%)`, not `5% … +5%`).
 */
function relativeApart(value: number, baseline: number, allowed: number): [string, string] {
  if (baseline === 0) return ['infinitely', pct(allowed)];
  const share = Math.abs(value - baseline) / Math.abs(baseline);
  let decimals = 1;
  while (share !== allowed && pct(share, decimals) === pct(allowed, decimals) && decimals < 12) decimals++;
  return [pct(share, decimals), pct(allowed, decimals)];
}
