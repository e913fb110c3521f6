/**
 * Count queries (a ratio gate's `events` and `total`, a conversion gate's `conversions` and
 * `exposures`, an srm gate's `units`) that ask the backend for a rate, an average or a
 * percentile instead of a count, refused when the config is loaded. Such a query returns a
 * fraction (SageMaker's Invocation5XXErrors with "Stat": "Average" is 0.003), which no count
 * is; rounded, a tenfold regression read as 0 errors for both arms and passed. Only what is
 * never a count is refused: a metric-math expression or a Datadog formula may be one, so it is
 * left to the look, where a count above 0 and below 1 is an error (reduce.ts requestCount).
 */
import { MetricsError } from '../core/errors.js';
import { renderCloudWatch } from './cloudwatch-source.js';
import type { MetricWindow } from './source.js';

/** Values of the shape real ones have, for a template to be rendered with (as query-problem.ts). */
const SAMPLE: MetricWindow = { model: 'model', slot: 'canary', version: '1.0.0', since: 0, until: 60_000 };

/** CloudWatch statistics whose datapoints add up to a count over the window. */
const COUNT_STATS = ['Sum', 'SampleCount'];
/** Metrics Insights functions that count: SUM of a count metric, COUNT of datapoints. */
const COUNT_FUNCTIONS = ['SUM', 'COUNT'];

/** Why `query` on the `source` type is never a count, with what to write; undefined otherwise. */
export function countQueryProblem(source: string, query: string): string | undefined {
  if (source === 'cloudwatch') return cloudwatchProblem(query);
  if (source === 'datadog') return datadogProblem(query);
  return undefined;
}

type Query = Record<string, unknown>;

function cloudwatchProblem(template: string): string | undefined {
  let rendered: { queries: Query[]; resultId: string };
  try {
    rendered = renderCloudWatch(template, SAMPLE, 60);
  } catch (err) {
    if (err instanceof MetricsError) return undefined; // refused on its own (queryProblem)
    throw err;
  }
  const byId = new Map(rendered.queries.map((q) => [q.Id, q]));
  const returning = byId.get(rendered.resultId);
  if (!returning) return undefined;
  const sumInstead = 'write "Stat": "Sum" (the events added up) or "SampleCount" (how many datapoints)';
  const stat = statOf(returning);
  if (stat !== undefined && !COUNT_STATS.includes(stat)) {
    return `"Stat": ${JSON.stringify(stat)} is not a count: a count query's datapoints are summed over the window, and ${statWord(stat)} summed is no count of events; ${sumInstead}`;
  }
  const expression = typeof returning.Expression === 'string' ? returning.Expression : '';
  // Metrics Insights: SELECT AVG(Invocation5XXErrors) FROM ...
  const select = /^\s*SELECT\s+([A-Za-z]+)\s*\(/i.exec(expression);
  const fn = select?.[1]?.toUpperCase();
  if (fn && !COUNT_FUNCTIONS.includes(fn)) {
    return `SELECT ${fn}(...) is not a count: a count query's datapoints are summed over the window; write SELECT SUM(...) (the events added up) or SELECT COUNT(...) (how many datapoints)`;
  }
  // The idiom for a zero that is meant: FILL(m, 0) of a metric m queried with ReturnData false.
  const filled = /^\s*FILL\s*\(\s*([a-z][A-Za-z0-9_]*)\s*,/i.exec(expression)?.[1];
  const inner = filled === undefined ? undefined : statOf(byId.get(filled));
  if (inner !== undefined && !COUNT_STATS.includes(inner)) {
    return `"Stat": ${JSON.stringify(inner)} of "${filled}" (filled by FILL) is not a count: a count query's datapoints are summed over the window, and ${statWord(inner)} summed is no count of events; ${sumInstead}`;
  }
  return undefined;
}

const statOf = (q: Query | undefined): string | undefined => {
  const stat = q?.MetricStat;
  const value = stat !== null && typeof stat === 'object' ? (stat as Query).Stat : undefined;
  return typeof value === 'string' ? value : undefined;
};

const statWord = (stat: string): string =>
  stat === 'Average'
    ? 'an average'
    : stat === 'Minimum' || stat === 'Maximum'
      ? `a ${stat.toLowerCase()}`
      : 'a statistic of that kind';

/** Space aggregators that are never a count: `avg:`, `min:`, `max:` and percentiles (`p99:`). */
const NOT_SUMMING = /(^|[^A-Za-z0-9_.:])(avg|min|max|p\d+(?:\.\d+)?):[A-Za-z_]/;

const AGGREGATOR_WORD: Record<string, string> = {
  avg: 'the average',
  min: 'the minimum',
  max: 'the maximum',
};

function datadogProblem(query: string): string | undefined {
  // Tag values ({env:max}) are no aggregators.
  const outsideScopes = query.replace(/\{[^{}]*\}/g, '{}');
  const aggregator = NOT_SUMMING.exec(outsideScopes)?.[2];
  if (aggregator) {
    const what = AGGREGATOR_WORD[aggregator] ?? 'a percentile';
    return `"${aggregator}:" takes ${what} of the series, not a count: a count query adds the events of every series up; write sum:<metric>{...}.as_count()`;
  }
  if (/\.as_rate\(\)/.test(query)) {
    return '.as_rate() makes each point a rate per second, not a count: summed over the window it is no count of events; write .as_count()';
  }
  const unsummed = termWithoutSum(query);
  if (unsummed) {
    return `${unsummed} has no .as_count(): through the API each point of a count is the average of its rollup interval (20 s in a window up to 1 h, 1 min up to 4 h, 5 min up to a day), so its points summed are a fraction of the count (about 1/2 to 1/6); append .as_count() (or .rollup(sum)): ${unsummed}.as_count()`;
  }
  return undefined;
}

/**
 * A metric term of the query (`sum:requests{slot:{{slot}}}`, as written) whose points are not
 * summed over each rollup interval: no `.as_count()` nor `.rollup(sum…)` follows it. Datadog
 * ("Metric Type Modifiers", "Rollup") averages a COUNT's or RATE's points within each interval of
 * an API answer unless the query asks for the sum; `.rollup(count)` counts datapoints, not events.
 */
function termWithoutSum(query: string): string | undefined {
  // Placeholders hold braces of their own: stand-ins without any while the terms are found.
  const placeholders: string[] = [];
  const flat = query.replace(/\{\{[^{}]*\}\}/g, (p) => `\uE000${placeholders.push(p) - 1}\uE001`);
  const restore = (text: string) =>
    text.replace(/\uE000(\d+)\uE001/g, (_, i: string) => placeholders[Number(i)] ?? '');
  const term =
    /(?:^|[^A-Za-z0-9_.:])((?:sum|avg|min|max):[A-Za-z_][\w.]*\s*\{[^{}]*\}(?:\s*by\s*\{[^{}]*\})?)((?:\s*\.[a-z_]+\([^()]*\))*)/g;
  for (const m of flat.matchAll(term)) {
    const calls = (m[2] ?? '').replace(/\s+/g, '');
    if (!/\.as_count\(\)|\.rollup\(sum[,)]/.test(calls)) return restore((m[1] ?? '').trim());
  }
  return undefined;
}
