import { thousands } from '../stats/conversion.js';
import { inBucketText } from '../stats/latency-shared-bounds.js';

/**
 * The sandbox's latency names (`latency` its histogram, `latency-p99` a quantile of it): measured
 * in ms by the sandbox itself. Any other query's unit is its backend's (Prometheus histograms are
 * usually in seconds, and a query may rescale them), so it is not guessed.
 */
const SANDBOX_LATENCY = /^latency(-p50|-p95|-p99|-mean)?$/;

/** The unit of a query's latencies where it is known (the sandbox's: `ms`), else undefined. */
export const latencyUnit = (query: string): 'ms' | undefined =>
  SANDBOX_LATENCY.test(query) ? 'ms' : undefined;

/**
 * A rate per second, not a share: the sandbox's `request-rate`, or a name whose word before
 * `_rate` / `.rate` counts traffic (`stats.request_rate`, `http_requests_rate`, `calls.rate`).
 * As a percent, 12.5 requests a second read "1250.00%". Not `-rate`: a ratio gate's values are
 * named `<events>-rate` (rows.ts), a share even when its events query ends in `failed_requests`.
 */
const THROUGHPUT_RATE =
  /^request-rate$|(^|[^A-Za-z])(requests?|reqs?|calls?|invocations?|queries|query|qps|rps|messages?|bytes?|packets?|samples?|transactions?|throughput|traffic)[_.]rate$/i;

/**
 * Whether a query's value is a share, shown as a percent: a name ending in `rate` (`error-rate`,
 * `stats.error_rate`, a ratio gate's `<events>-rate`), unless it is a throughput (above).
 */
export const isShare = (query: string): boolean => /rate$/.test(query) && !THROUGHPUT_RATE.test(query);

/**
 * A metric value the way a reviewer reads it: shares as percentages, the sandbox's latencies in ms,
 * anything else as the plain number the query returned, without a unit that could be wrong.
 * `extraDigits` more than usual tell apart values that would otherwise read the same (formatApart).
 */
export function formatValue(query: string, value: number | undefined, extraDigits = 0): string {
  if (value === undefined || Number.isNaN(value)) return '–';
  // A quantile in the +Inf bucket (Prometheus' histogram_quantile): no "Infinity%" nor "Infinity ms".
  if (!Number.isFinite(value)) return value > 0 ? '∞' : '-∞';
  if (isShare(query)) return `${(value * 100).toFixed((value < 0.001 && value > 0 ? 3 : 2) + extraDigits)}%`;
  if (latencyUnit(query)) return `${value.toFixed(1 + extraDigits)} ms`;
  if (/^request-rate$/.test(query)) return `${value.toFixed(1 + extraDigits)}/s`;
  return Number.isInteger(value) ? String(value) : value.toPrecision(4 + extraDigits);
}

/**
 * A quantile a histogram interpolated inside a bucket (Measurement.inBucket): the bucket's range,
 * then the value as formatValue writes it, as an estimate: `100–250 ms (≈206.0)`, `0.1–0.25 (≈0.2063)`.
 * Bare, `206.0 ms` read as measured where the histogram only knows it is between 100 and 250 ms.
 * Without a range (a value on a bound, from raw samples, or stored before it), formatValue's.
 */
export function formatInBucket(
  query: string,
  value: number,
  range: [number, number] | undefined,
  extraDigits = 0,
): string {
  const shown = formatValue(query, value, extraDigits);
  if (!range || !Number.isFinite(value)) return shown;
  const unit = latencyUnit(query) ?? '';
  return inBucketText(range, unit, unit ? shown.replace(` ${unit}`, '') : shown);
}

/** How many digits past the usual formatApart may add: beyond it, doubles no longer differ in print. */
const MAX_EXTRA_DIGITS = 12;

/**
 * Two different values (a reading and its bound) formatted so they never read the same: an
 * `auc` of 0.909996 under a min of 0.91 reads `0.909996 is below the min 0.910000`, not
 * `0.9100 is below the min 0.9100`. Values apart at the usual precision keep it.
 */
export function formatApart(query: string, a: number, b: number): [string, string] {
  const extra = apartDigits(query, a, b);
  return [formatValue(query, a, extra), formatValue(query, b, extra)];
}

/**
 * The digits past the usual (formatValue's `extraDigits`) that tell `a` from `b`: 0 where the
 * usual already do, or the values are equal; for a report cell compared with several others.
 */
export function apartDigits(query: string, a: number, b: number): number {
  let extra = 0;
  while (
    a !== b &&
    extra < MAX_EXTRA_DIGITS &&
    readSame(formatValue(query, a, extra), formatValue(query, b, extra))
  )
    extra++;
  return extra;
}

/** `2.00%` and `2.0%`, `3` and `3.000`: the same number, however written. */
function readSame(x: string, y: string): boolean {
  if (x === y) return true;
  const [nx, ny] = [Number.parseFloat(x), Number.parseFloat(y)];
  return !Number.isNaN(nx) && nx === ny;
}

/**
 * A statistic of the evidence (effect, interval bound, p-value) in 3 significant digits, from a
 * million up in exponent form (`2.81e+15`, not 16 digits); an interval open above reads `∞` and a
 * figure the judge could not compute `–`, never "Infinity" or "NaN". E-values: eValueText.
 */
export function formatStatistic(x: number | undefined): string {
  if (x === undefined || Number.isNaN(x)) return '–';
  if (!Number.isFinite(x)) return x > 0 ? '∞' : '-∞';
  return Math.abs(x) >= 1e6 ? x.toPrecision(3) : Number(x.toPrecision(3)).toString();
}

/**
 * `42s`, `1m 05s`, `1h 10m`, `14d 03h`, for the phase history's column of how long each phase
 * lasted: days past a day, as the strategy's durations are written (`14d`), never `336h 00m`.
 */
export function formatLasted(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${String(s % 60).padStart(2, '0')}s`;
  const h = Math.floor(m / 60);
  if (h < 24) return `${h}h ${String(m % 60).padStart(2, '0')}m`;
  return `${Math.floor(h / 24)}d ${String(h % 24).padStart(2, '0')}h`;
}

/** `2026-01-01 00:00 UTC`, to the minute; `up`: the minute at or after `ms` (a time something is due). */
export function utcMinute(ms: number, round: 'down' | 'up' = 'down'): string {
  const minute = 60_000;
  const at = round === 'up' ? Math.ceil(ms / minute) * minute : ms;
  return `${new Date(at).toISOString().replace('T', ' ').slice(0, 16)} UTC`;
}

/** A count a judge's note writes bare before what it counts (`of 14640 users`): as thousands writes it. */
const BARE_COUNT = /(?<![\d.,])(\d{4,})(?= (?:req|requests|users|exposures|candidate|predictions)\b)/g;

/** `text` with each count in it as thousands writes it, so that one count reads one way in a comment. */
export const groupedCounts = (text: string): string => text.replace(BARE_COUNT, (n) => thousands(Number(n)));

/**
 * A value as a statistical judge's note writes it (stats/counts.ts percent, stats/latency.ts
 * inUnit): 3 significant digits, `3%`, `1.01%`, `203 ms`, `100–250 ms (≈203)`; for the cells of a
 * gate whose note says the same values, so that each reads one way in the comment.
 */
export function formatSignificant(query: string, value: number, range?: [number, number]): string {
  if (!Number.isFinite(value)) return formatValue(query, value);
  const digits = (x: number) => String(Number(x.toPrecision(3)));
  if (isShare(query)) return `${digits(value * 100)}%`;
  const unit = latencyUnit(query) ?? '';
  if (range) return inBucketText(range, unit, digits(value));
  return `${digits(value)}${unit ? ` ${unit}` : ''}`;
}

/** A phase named by its share (`canary 10%`): its name says the share already. */
export const namesItsShare = ({ name, weight }: { name: string; weight: number }): boolean =>
  name.includes(`${weight}%`);
