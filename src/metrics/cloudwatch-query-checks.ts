/**
 * What CloudWatch's GetMetricData refuses in its `MetricDataQueries` (a ValidationError at every
 * look, after the candidate was deployed), checked before anything is sent and when the config
 * is loaded. From the CloudWatch API reference (GetMetricData, MetricDataQuery, MetricStat) and
 * botocore's service model for it:
 * - at most 500 MetricDataQuery structures in one call;
 * - `Id`: 1 to 255 characters, `^[a-z][a-zA-Z0-9_]*$`, unique within the call;
 * - exactly one of `MetricStat` and `Expression`;
 * - `Period` (`MetricStat.Period`, or `Period` beside an `Expression`): an integer of at least 1;
 *   60 or any multiple of 60, or 1, 5, 10, 20 or 30 for high-resolution metrics. (Older copies of
 *   the reference list 1, 5, 10, 30; 20 is in the current one.)
 */

type Query = Record<string, unknown>;

/** One GetMetricData call takes at most this many MetricDataQuery structures. */
export const MAX_QUERIES = 500;
/** MetricDataQuery.Id, as CloudWatch's API reference has it. */
const QUERY_ID = /^[a-z][a-zA-Z0-9_]*$/;
const MAX_ID_LENGTH = 255;
/** Periods shorter than a minute CloudWatch takes (high-resolution metrics). */
const SHORT_PERIODS = [1, 5, 10, 20, 30];

/** What CloudWatch would refuse in these queries, or undefined. */
export function queriesProblem(queries: Query[]): string | undefined {
  if (queries.length > MAX_QUERIES) {
    return `the query holds ${queries.length} MetricDataQuery items, which CloudWatch refuses: one GetMetricData call takes at most ${MAX_QUERIES}; write at most ${MAX_QUERIES} (metric math or one Metrics Insights SELECT can combine many metrics)`;
  }
  const firstWith = new Map<string, number>();
  for (const [i, q] of queries.entries()) {
    const problem = itemProblem(q);
    if (problem) return `query item ${i} ${problem}`;
    const id = q.Id as string;
    const first = firstWith.get(id);
    if (first !== undefined) {
      const taken = new Set(queries.map((other) => other.Id));
      return `query items ${first} and ${i} both have the "Id" ${JSON.stringify(id)}, which CloudWatch refuses: an Id is unique within one call; rename one, e.g. ${JSON.stringify(unusedId(id, taken))} (and the expressions using it)`;
    }
    firstWith.set(id, i);
  }
  return undefined;
}

function itemProblem(q: Query): string | undefined {
  const id = q.Id;
  if (typeof id !== 'string' || !QUERY_ID.test(id)) {
    const named = typeof id === 'string' ? `has the "Id" ${JSON.stringify(id)}` : 'has no "Id"';
    return `${named}, which CloudWatch refuses: an Id starts with a lowercase letter, then letters, digits or _ (${QUERY_ID.source}), e.g. ${JSON.stringify(idLike(id))}`;
  }
  if (id.length > MAX_ID_LENGTH) {
    return `has an "Id" of ${id.length} characters, which CloudWatch refuses: at most ${MAX_ID_LENGTH}`;
  }
  if ((q.MetricStat === undefined) === (q.Expression === undefined))
    return `("${id}") must have exactly one of "MetricStat" and "Expression"`;
  const stat = q.MetricStat;
  const statPeriod = stat !== null && typeof stat === 'object' ? (stat as Query).Period : undefined;
  for (const [field, period] of [
    ['"MetricStat"."Period"', statPeriod],
    ['"Period"', q.Period],
  ] as const) {
    const problem = period === undefined ? undefined : periodProblem(period);
    if (problem)
      return `("${id}") has ${field}: ${JSON.stringify(period)}, which CloudWatch refuses: ${problem}`;
  }
  return undefined;
}

/** Why CloudWatch refuses `period`, with a Period it takes; undefined when it takes it. */
function periodProblem(period: unknown): string | undefined {
  const rule =
    'a Period is 60 seconds or a multiple of 60 (or 1, 5, 10, 20 or 30 for high-resolution metrics)';
  const leaveOut = 'or leave "Period" out, and model-gate sets one period over the whole window';
  if (typeof period !== 'number' || !Number.isInteger(period) || period < 1) {
    return `${rule}, written as a whole number without quotes, e.g. 60; ${leaveOut}`;
  }
  if (SHORT_PERIODS.includes(period) || period % 60 === 0) return undefined;
  return `${rule}; write ${nearestPeriod(period)}, ${leaveOut}`;
}

/** The Period CloudWatch takes nearest to `period` (the longer one on a tie). */
function nearestPeriod(period: number): number {
  const minutes = [Math.floor(period / 60) * 60, Math.ceil(period / 60) * 60].filter((p) => p >= 60);
  const taken = [...SHORT_PERIODS, ...minutes];
  return taken.reduce((best, p) =>
    Math.abs(p - period) < Math.abs(best - period) ||
    (Math.abs(p - period) === Math.abs(best - period) && p > best)
      ? p
      : best,
  );
}

/** An Id CloudWatch takes, as close to `id` as can be. */
function idLike(id: unknown): string {
  const text = typeof id === 'string' ? id.replace(/[^A-Za-z0-9_]/g, '_') : '';
  const lowered = text.charAt(0).toLowerCase() + text.slice(1);
  return /^[a-z]/.test(lowered) ? lowered : `m${lowered}`;
}

/** `id` with the first number after it that no query uses yet: `a2`, `a3`, ... */
function unusedId(id: string, taken: Set<unknown>): string {
  let n = 2;
  while (taken.has(`${id}${n}`)) n++;
  return `${id}${n}`;
}
