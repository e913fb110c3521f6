import { formatValue } from '../report/format.js';

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
  const f = (x: number) => formatValue(query, x);
  const out: string[] = [];
  if (b.max !== undefined && value > b.max) out.push(`${f(value)} is above the max ${f(b.max)}`);
  if (b.min !== undefined && value < b.min) out.push(`${f(value)} is below the min ${f(b.min)}`);
  if (baseline !== undefined) {
    const size = Math.abs(baseline);
    if (b.maxIncrease !== undefined && value > toleratedMax(baseline, b.maxIncrease)) {
      out.push(
        `${f(value)} is ${relative(value, baseline)} over the baseline ${f(baseline)} (max +${pct(b.maxIncrease)})`,
      );
    }
    if (b.maxDecrease !== undefined && value < baseline - size * b.maxDecrease) {
      out.push(
        `${f(value)} is ${relative(value, baseline)} under the baseline ${f(baseline)} (max -${pct(b.maxDecrease)})`,
      );
    }
  }
  return out;
}

/** The bounds in one short phrase for the report: `≤ 2.0%, ≤ baseline +50%`. */
export function describeBounds(query: string, b: Bounds): string {
  const parts: string[] = [];
  if (b.min !== undefined) parts.push(`≥ ${formatValue(query, b.min)}`);
  if (b.max !== undefined) parts.push(`≤ ${formatValue(query, b.max)}`);
  if (b.maxIncrease !== undefined) parts.push(`≤ baseline +${pct(b.maxIncrease)}`);
  if (b.maxDecrease !== undefined) parts.push(`≥ baseline -${pct(b.maxDecrease)}`);
  return parts.join(', ');
}

/** A fraction as a percentage to one decimal: 0.125 reads `12.5%`. */
export const pct = (fraction: number) => `${Math.round(fraction * 1000) / 10}%`;

/** A quantile's name: 0.95 reads `p95`, 0.999 `p99.9`. */
export const quantileName = (q: number) => `p${Math.round(q * 1000) / 10}`;

/** The largest value within `maxIncrease` of the baseline, whatever the baseline's sign. */
export const toleratedMax = (baseline: number, maxIncrease: number) =>
  baseline + Math.abs(baseline) * maxIncrease;

/** How far `value` is from the baseline, as a share of the baseline's size. */
function relative(value: number, baseline: number): string {
  if (baseline === 0) return 'infinitely';
  return pct(Math.abs(value - baseline) / Math.abs(baseline));
}
