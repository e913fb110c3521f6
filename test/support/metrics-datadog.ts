/**
 * A Datadog metrics query API (v1) stand-in, written to the published contract
 * (https://docs.datadoghq.com/api/latest/metrics/#query-timeseries-points):
 * `GET /api/v1/query` with required integer `from`, `to` (unix seconds) and `query`, headers
 * `DD-API-KEY` and `DD-APPLICATION-KEY`; answers `{"status": "ok", "res_type": "time_series",
 * "series": [{..., "pointlist": [[ms, value]]}], ...}`, or `{"errors": [...]}` with 400 / 403 /
 * 404 / 429. It evaluates a subset of the query language over stored points:
 * `<avg|sum|min|max>:<metric>{<tag:value,...> | *}[ by {<tag>}][.as_count()|.as_rate()]`,
 * optionally divided by another such query (`a / b`).
 *
 * As the API does ("Rollup": 20 s intervals for a window up to 1 h, 1 min up to 4 h, 5 min up to
 * a day), a term without `.as_count()` answers one point per rollup interval, the average of the
 * points in it: summed, those are a fraction of the count. With `.as_count()` each interval's
 * points are summed, which leaves the stored points' total as it is, so they are answered as stored.
 */
import { type JsonServer, type Recorded, type Reply, startJsonServer } from './metrics-http.js';

export interface StoredSeries {
  metric: string;
  tags: Record<string, string>;
  /** [unix ms, value] */
  points: [number, number][];
}

export type DatadogMode = 'ok' | 'rate-limited' | 'hang' | 'server-error';

export interface FakeDatadog extends JsonServer {
  mode: DatadogMode;
}

interface Term {
  agg: 'avg' | 'sum' | 'min' | 'max';
  metric: string;
  scope: Record<string, string>;
  by?: string;
  /** `.as_count()`: each rollup interval's points are summed, not averaged. */
  asCount: boolean;
}

const TERM =
  /^(avg|sum|min|max):([A-Za-z0-9_.]+)\{([^{}]*)\}(?: by \{([A-Za-z0-9_.-]+)\})?(\.as_count\(\)|\.as_rate\(\))?$/;

function parseTerm(text: string): Term | string {
  const m = TERM.exec(text.trim());
  if (!m) return `Error parsing query: unable to parse ${text.trim()}`;
  const scope: Record<string, string> = {};
  const raw = (m[3] as string).trim();
  if (raw !== '*') {
    for (const pair of raw.split(',')) {
      const [k, v, ...rest] = pair.split(':');
      if (!k || v === undefined || rest.length > 0) return `Error parsing query: bad scope ${raw}`;
      scope[k] = v;
    }
  }
  return {
    agg: m[1] as Term['agg'],
    metric: m[2] as string,
    scope,
    ...(m[4] ? { by: m[4] } : {}),
    asCount: m[5] === '.as_count()',
  };
}

const aggregate = (agg: Term['agg'], values: number[]) => {
  switch (agg) {
    case 'sum':
      return values.reduce((a, b) => a + b, 0);
    case 'avg':
      return values.reduce((a, b) => a + b, 0) / values.length;
    case 'min':
      return Math.min(...values);
    case 'max':
      return Math.max(...values);
  }
};

/** The API's rollup interval (ms) for a query of `spanMs`, from Datadog's "Rollup" table. */
const rollupMs = (spanMs: number) =>
  spanMs <= 3_600_000
    ? 20_000
    : spanMs <= 4 * 3_600_000
      ? 60_000
      : spanMs <= 86_400_000
        ? 300_000
        : 3_600_000;

/** One point per rollup interval, stamped at its start: the average of the points in it. */
function averagedPerInterval(points: Map<number, number>, intervalMs: number): Map<number, number> {
  const buckets = new Map<number, number[]>();
  for (const [t, v] of points) {
    const start = Math.floor(t / intervalMs) * intervalMs;
    buckets.set(start, [...(buckets.get(start) ?? []), v]);
  }
  return new Map([...buckets].map(([t, vs]) => [t, aggregate('avg', vs)]));
}

/** One series per group, each a map of ms -> aggregated value. */
function evaluate(
  term: Term,
  store: StoredSeries[],
  fromMs: number,
  toMs: number,
): Map<string, Map<number, number>> {
  const groups = new Map<string, Map<number, number[]>>();
  for (const s of store) {
    if (s.metric !== term.metric) continue;
    if (!Object.entries(term.scope).every(([k, v]) => s.tags[k] === v)) continue;
    const group = term.by ? `${term.by}:${s.tags[term.by] ?? 'N/A'}` : '*';
    const byTime = groups.get(group) ?? new Map<number, number[]>();
    groups.set(group, byTime);
    for (const [t, v] of s.points) {
      if (t < fromMs || t > toMs) continue;
      byTime.set(t, [...(byTime.get(t) ?? []), v]);
    }
  }
  const out = new Map<string, Map<number, number>>();
  for (const [group, byTime] of groups) {
    if (byTime.size === 0) continue;
    const points = new Map([...byTime].map(([t, vs]) => [t, aggregate(term.agg, vs)]));
    out.set(group, term.asCount ? points : averagedPerInterval(points, rollupMs(toMs - fromMs)));
  }
  return out;
}

export async function startFakeDatadog(opts: {
  apiKey: string;
  applicationKey: string;
  series: StoredSeries[];
}): Promise<FakeDatadog> {
  const state = { mode: 'ok' as DatadogMode };
  const handle = (req: Recorded): Reply => {
    if (req.path !== '/api/v1/query') return { status: 404, body: { errors: ['Not found'] } };
    if (req.method !== 'GET') return { status: 405, body: { errors: ['Method Not Allowed'] } };
    if (
      req.headers['dd-api-key'] !== opts.apiKey ||
      req.headers['dd-application-key'] !== opts.applicationKey
    ) {
      return { status: 403, body: { errors: ['Forbidden'] } };
    }
    if (state.mode === 'hang') return { status: 200, hang: true };
    if (state.mode === 'rate-limited') {
      return {
        status: 429,
        body: { errors: ['Too many requests'] },
        headers: {
          'x-ratelimit-limit': '100',
          'x-ratelimit-period': '3600',
          'x-ratelimit-remaining': '0',
          'x-ratelimit-reset': '42',
        },
      };
    }
    if (state.mode === 'server-error') return { status: 500, text: 'upstream connect error' };
    for (const name of ['from', 'to', 'query']) {
      if (!req.query.get(name))
        return { status: 400, body: { errors: [`Missing required argument: ${name}`] } };
    }
    const from = Number(req.query.get('from'));
    const to = Number(req.query.get('to'));
    if (!Number.isInteger(from) || !Number.isInteger(to)) {
      return {
        status: 400,
        body: { errors: ['from and to must be integers (seconds since the Unix epoch)'] },
      };
    }
    if (from >= to) return { status: 400, body: { errors: ['The from parameter must be before to'] } };
    const query = req.query.get('query') as string;
    const parts = query.split(' / ');
    if (parts.length > 2)
      return { status: 400, body: { errors: ['Error parsing query: only a / b is supported'] } };
    const terms = parts.map(parseTerm);
    const failed = terms.find((t): t is string => typeof t === 'string');
    if (failed) return { status: 400, body: { errors: [failed] } };
    const [num, den] = (terms as Term[]).map((t) => evaluate(t, opts.series, from * 1000, to * 1000));
    let result = num as Map<string, Map<number, number>>;
    if (den) {
      result = new Map();
      for (const [group, points] of num as Map<string, Map<number, number>>) {
        const below = den.get(group) ?? den.get('*');
        if (!below) continue;
        result.set(
          group,
          new Map([...points].flatMap(([t, v]) => (below.has(t) ? [[t, v / (below.get(t) as number)]] : []))),
        );
      }
    }
    const series = [...result].map(([group, points]) => {
      const pointlist = [...points].sort(([a], [b]) => a - b);
      return {
        metric: (terms[0] as Term).metric,
        display_name: (terms[0] as Term).metric,
        query_index: 0,
        aggr: (terms[0] as Term).agg,
        scope: group,
        expression: query,
        tag_set: group === '*' ? [] : [group],
        unit: null,
        pointlist: pointlist.map(([t, v]) => [t, Number.isFinite(v) ? v : null]),
        start: pointlist[0]?.[0] ?? from * 1000,
        end: pointlist.at(-1)?.[0] ?? to * 1000,
        interval: 10,
        length: pointlist.length,
      };
    });
    return {
      status: 200,
      body: {
        status: 'ok',
        res_type: 'time_series',
        resp_version: 1,
        query,
        message: '',
        from_date: from * 1000,
        to_date: to * 1000,
        group_by: (terms[0] as Term).by ? [(terms[0] as Term).by] : [],
        series,
      },
    };
  };
  const server = await startJsonServer(handle);
  return {
    url: server.url,
    requests: server.requests,
    close: server.close,
    get mode() {
      return state.mode;
    },
    set mode(m: DatadogMode) {
      state.mode = m;
    },
  };
}
