import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { PROMETHEUS_REQUESTS_DEFAULT } from '../../src/config/metrics-schema.js';
import type { PrometheusMetricsConfig } from '../../src/config/types.js';
import { MetricsError } from '../../src/core/errors.js';
import { requestJson } from '../../src/core/http-json.js';
import { measureRatio } from '../../src/gates/ratio-gate.js';
import { measureThreshold } from '../../src/gates/threshold-gate.js';
import { histogramQuantile } from '../../src/metrics/histogram.js';
import { NoDataError } from '../../src/metrics/no-data.js';
import { type PrometheusSource, prometheusSource } from '../../src/metrics/prometheus-source.js';
import type { MetricWindow } from '../../src/metrics/source.js';
import { metricsFor } from '../../src/release/adapters.js';
import { LATENCY_BOUNDS_MS } from '../../src/sandbox/histogram.js';
import { demoModelsDir } from '../../src/sandbox/paths.js';
import { type Sandbox, startSandbox } from '../../src/sandbox/server.js';
import { startTraffic, type TrafficGenerator } from '../../src/sandbox/traffic.js';
import { type JsonServer, type Recorded, type Reply, startJsonServer } from '../support/metrics-http.js';
import {
  backfillOpenMetrics,
  freePort,
  type RunningPrometheus,
  startPrometheus,
  waitFor,
} from '../support/prometheus.js';

// A real Prometheus (Debian's 2.42 package) on 127.0.0.1, holding two kinds of data at once:
// deterministic series backfilled with promtool (exact expectations) and live scrapes of a real
// sandbox serving traffic through a canary (agreement with the sandbox's exact counts).

const SCRAPE_S = 1;
/** Backfilled samples: every 15 s for 10 minutes, starting 3 hours ago on a whole hour. */
const BASE_S = Math.floor(Date.now() / 3_600_000) * 3600 - 3 * 3600;
const STEP_S = 15;
const SAMPLES = 41;

let dir: string;
let prom: RunningPrometheus;
let sandbox: Sandbox;
let traffic: TrafficGenerator | undefined;
let source: PrometheusSource;

const config = (over: Partial<PrometheusMetricsConfig> = {}): PrometheusMetricsConfig => ({
  type: 'prometheus',
  url: prom.url,
  headers: {},
  timeoutMs: 5_000,
  requests: PROMETHEUS_REQUESTS_DEFAULT,
  ...over,
});

/** Per 15 s, per slot: requests by outcome and latency observations by bucket (non-cumulative). */
const BACKFILL = {
  stable: { version: 'v1', ok: 18, error: 1, null: 1, latency: [12, 6, 1, 1, 0] },
  // A semver with build metadata: `.` and `+` mean something in a label regex.
  canary: { version: '2.0.0+build.7', ok: 8, error: 2, null: 0, latency: [5, 3, 1, 1, 0] },
} as const;
const LE = ['0.05', '0.1', '0.25', '0.5', '+Inf'];

function backfillText(): string {
  const out: string[] = [];
  const at = (i: number) => BASE_S + i * STEP_S;
  out.push('# TYPE model_gate_requests counter');
  for (const [slot, s] of Object.entries(BACKFILL)) {
    for (const outcome of ['ok', 'error', 'null'] as const) {
      for (let i = 0; i < SAMPLES; i++) {
        out.push(
          `model_gate_requests_total{model="bf-model",slot="${slot}",version="${s.version}",outcome="${outcome}"} ${s[outcome] * i} ${at(i)}`,
        );
      }
    }
  }
  out.push('# TYPE model_gate_request_duration_seconds histogram');
  for (const [slot, s] of Object.entries(BACKFILL)) {
    let cumulative = 0;
    LE.forEach((le, b) => {
      cumulative += s.latency[b] as number;
      for (let i = 0; i < SAMPLES; i++) {
        out.push(
          `model_gate_request_duration_seconds_bucket{model="bf-model",slot="${slot}",version="${s.version}",le="${le}"} ${cumulative * i} ${at(i)}`,
        );
      }
    });
  }
  // Odd series for the no-data cases.
  out.push('# TYPE bf_gauge gauge');
  for (let i = 0; i < SAMPLES; i++) out.push(`bf_gauge{kind="nan"} NaN ${at(i)}`);
  for (let i = 0; i < SAMPLES; i++) out.push(`bf_gauge{kind="inf"} +Inf ${at(i)}`);
  for (let i = 0; i < SAMPLES; i++) out.push(`bf_gauge{kind="pair",pod="a"} 1 ${at(i)}`);
  for (let i = 0; i < SAMPLES; i++) out.push(`bf_gauge{kind="pair",pod="b"} 2 ${at(i)}`);
  for (let i = 0; i < SAMPLES; i++) out.push(`bf_gauge{kind="one"} ${i} ${at(i)}`);
  out.push('# EOF');
  return `${out.join('\n')}\n`;
}

/** The backfilled window from sample 20 to sample 40: exactly 300 s, samples on both edges. */
const bfWindow = (slot: 'stable' | 'canary', version: string = BACKFILL[slot].version): MetricWindow => ({
  model: 'bf-model',
  slot,
  version,
  since: (BASE_S + 20 * STEP_S) * 1000,
  until: (BASE_S + 40 * STEP_S) * 1000,
});

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'model-gate-prometheus-'));
  const tsdb = join(dir, 'tsdb');
  await backfillOpenMetrics(backfillText(), dir, tsdb);
  sandbox = await startSandbox({
    modelsDir: demoModelsDir,
    endpoints: [{ model: 'fraud-detector', stable: 'v1' }],
    seed: 3,
  });
  // v3 errors on about 12% of inputs and is slower: the slots differ visibly.
  const put = await requestJson('PUT', `${sandbox.url}/admin/models/fraud-detector/traffic`, {
    stable: { version: 'v1' },
    canary: { version: 'v3', weight: 50 },
  });
  expect(put.status).toBe(200);
  traffic = startTraffic({ url: sandbox.url, model: 'fraud-detector', rps: 160, seed: 5 });
  prom = await startPrometheus({
    dir,
    tsdbDir: tsdb,
    targets: [{ job: 'sandbox', address: new URL(sandbox.url).host, interval: `${SCRAPE_S}s` }],
  });
  source = prometheusSource(config());
});

afterAll(async () => {
  await traffic?.stop();
  await prom?.stop();
  await sandbox?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('prometheus source on backfilled data (exact)', () => {
  it('runs a real Prometheus 2.x', () => {
    expect(prom.version).toMatch(/^2\./);
  });

  it('counts requests per slot with the default template (increase over {{window}})', async () => {
    // 20 intervals of 15 s: stable 20 * 20, canary 20 * 10.
    expect(await source.requests(bfWindow('stable'))).toBe(400);
    expect(await source.requests(bfWindow('canary'))).toBe(200);
  });

  it('reads ratios per slot from a PromQL template', async () => {
    const errorRate =
      'sum(increase(model_gate_requests_total{model="{{model}}",slot="{{slot}}",version="{{version}}",outcome="error"}[{{window}}]))' +
      ' / sum(increase(model_gate_requests_total{model="{{model}}",slot="{{slot}}",version="{{version}}"}[{{window}}]))';
    expect(await source.value(errorRate, bfWindow('stable'))).toBeCloseTo(1 / 20, 12);
    expect(await source.value(errorRate, bfWindow('canary'))).toBeCloseTo(2 / 10, 12);
  });

  it('matches the version itself in a label regex (=~), also one with . and +', async () => {
    const byRegex =
      'sum(increase(model_gate_requests_total{slot="{{slot}}",version=~"{{version}}"}[{{window}}]))';
    expect(await source.value(byRegex, bfWindow('canary'))).toBe(200);
  });

  it('reads histogram buckets per le and the same p99 as histogram_quantile', async () => {
    const bucketQuery =
      'sum by (le) (increase(model_gate_request_duration_seconds_bucket{model="{{model}}",slot="{{slot}}",version="{{version}}"}[{{window}}]))';
    const buckets = await source.buckets(bucketQuery, bfWindow('canary'));
    expect(buckets).toEqual([
      { le: 0.05, count: 100 },
      { le: 0.1, count: 160 },
      { le: 0.25, count: 180 },
      { le: 0.5, count: 200 },
      { le: '+Inf', count: 200 },
    ]);
    // rank 198 of 200 falls in (0.25, 0.5]: 0.25 + 0.25 * 18 / 20.
    expect(histogramQuantile(0.99, buckets ?? [])).toBeCloseTo(0.475, 12);
    const promP99 = await source.value(`histogram_quantile(0.99, ${bucketQuery})`, bfWindow('canary'));
    expect(promP99).toBeCloseTo(0.475, 12);
  });

  it('fills in {{since}} and {{window}} as epoch seconds and a duration', async () => {
    const w = bfWindow('canary');
    expect(await source.value('{{since}}', w)).toBe(BASE_S + 300);
    // The gauge's value at `until` minus its value {{window}} earlier: 40 - 20.
    expect(
      await source.value('sum(bf_gauge{kind="one"}) - sum(bf_gauge{kind="one"} offset {{window}})', w),
    ).toBe(20);
  });

  it('reads a series by range query at the configured step', async () => {
    const stepped = prometheusSource(config({ stepMs: 60_000 }));
    const series = await stepped.series(
      'sum(model_gate_requests_total{model="{{model}}",slot="{{slot}}"})',
      bfWindow('canary'),
    );
    // Every 60 s from sample 20 to sample 40: 10 requests per 15 s.
    expect(series).toEqual(
      [0, 1, 2, 3, 4, 5].map((k) => ({ at: (BASE_S + 300 + 60 * k) * 1000, value: 200 + 40 * k })),
    );
  });

  it('has no data, never zero, for another version in the slot', async () => {
    const w = bfWindow('canary', 'v9');
    await expect(source.requests(w)).rejects.toThrow(
      /^prometheus: the requests query matched nothing for the canary slot \(version v9\), which is no data, not 0: it is the default requests query, which counts what model-gate sandbox exports: for another service, set metrics\.requests/,
    );
    expect(
      await source.value(
        'sum(increase(model_gate_requests_total{slot="{{slot}}",version="{{version}}"}[{{window}}]))',
        w,
      ),
    ).toBeUndefined();
    expect(
      await source.buckets(
        'sum by (le) (model_gate_request_duration_seconds_bucket{version="{{version}}"})',
        w,
      ),
    ).toBeUndefined();
  });
});

describe('prometheus source: no data and failures', () => {
  const w = () => bfWindow('canary');

  it('reads an empty result, NaN and infinities as no data', async () => {
    expect(await source.value('no_such_metric_anywhere', w())).toBeUndefined();
    expect(await source.value('bf_gauge{kind="nan"}', w())).toBeUndefined();
    expect(await source.value('bf_gauge{kind="inf"}', w())).toBeUndefined();
    expect(await source.value('0 / 0', w())).toBeUndefined(); // a NaN scalar
  });

  it('refuses several series where one number is expected: how many, which labels, wrap in sum', async () => {
    await expect(source.value('bf_gauge{kind="pair"}', w())).rejects.toThrow(
      'prometheus: the query returned 2 series, expected one; wrap it in sum(...) to add them up (they differ in pod): "bf_gauge{kind=\\"pair\\"}"',
    );
    expect(await source.value('sum(bf_gauge{kind="pair"})', w())).toBe(3);
  });

  it('refuses a requests query that is not one count', async () => {
    const perPod = prometheusSource(config({ requests: 'bf_gauge{kind="pair"}' }));
    await expect(perPod.requests(w())).rejects.toThrow(/returned 2 series, expected one; wrap it in sum/);
    const nan = prometheusSource(config({ requests: 'bf_gauge{kind="nan"}' }));
    await expect(nan.requests(w())).rejects.toThrow(
      /returned NaN for the canary slot .*which is no data, not a count/,
    );
  });

  it('turns a bad query (HTTP 400) into a MetricsError quoting Prometheus', async () => {
    const err = await source.value('sum(rate(x[5m]', w()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MetricsError);
    expect((err as Error).message).toMatch(
      /^prometheus: bad query \(invalid parameter "query": .*parse error/,
    );
    expect((err as Error).message).toContain('"sum(rate(x[5m]"');
  });

  it('says how to fix a range-vector result', async () => {
    await expect(source.value('bf_gauge{kind="one"}[1m]', w())).rejects.toThrow(
      /returns a range vector; wrap it in a function such as increase/,
    );
  });

  it('refuses bucket series without an le label', async () => {
    await expect(source.buckets('sum(model_gate_request_duration_seconds_bucket)', w())).rejects.toThrow(
      /one series per "le" label/,
    );
  });

  it('reports an unreachable server as a MetricsError', async () => {
    const port = await freePort();
    const down = prometheusSource(config({ url: `http://127.0.0.1:${port}` }));
    const err = await down.requests(w()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MetricsError);
    expect((err as Error).message).toMatch(
      /^prometheus: cannot reach http:\/\/127\.0\.0\.1:\d+\/api\/v1\/query: connect ECONNREFUSED 127\.0\.0\.1:\d+;/,
    );
  });

  it('gives up on a server that does not answer within the timeout', async () => {
    const sockets: Socket[] = [];
    const silent: Server = createServer((s) => sockets.push(s));
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    const { port } = silent.address() as { port: number };
    try {
      const slow = prometheusSource(config({ url: `http://127.0.0.1:${port}`, timeoutMs: 300 }));
      const started = Date.now();
      const err = await slow.value('up', w()).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(MetricsError);
      expect((err as Error).message).toMatch(/no answer from .* within 300ms \(timeout\)/);
      expect(Date.now() - started).toBeLessThan(3_000);
    } finally {
      for (const s of sockets) s.destroy();
      await new Promise((r) => silent.close(r));
    }
  });

  it('explains an answer that is not the Prometheus API (wrong url)', async () => {
    const wrong = prometheusSource(config({ url: sandbox.url }));
    await expect(wrong.value('up', w())).rejects.toThrow(
      /^prometheus: HTTP 404 .*is the url the Prometheus server's root\?/,
    );
  });
});

describe('ratio gates on Prometheus (SPEC section 2), backfilled data', () => {
  const slotSum = (extra: string) =>
    `sum(increase(model_gate_requests_total{model="{{model}}",slot="{{slot}}",version="{{version}}"${extra}}[{{window}}]))`;
  /** The SPEC's example shape: events and total as PromQL count queries, on a prometheus source. */
  const specConfig = () => `version: 1
defaults:
  metrics: { type: prometheus, url: "${prom.url}" }
models:
  bf-model:
    source: { file: models/bf/model.yaml, key: version }
    target: { type: sandbox, url: "http://127.0.0.1:1" }
    strategy: { type: canary, steps: [1, 5, 25, 50], step-duration: 10m, min-requests: 100 }
    gates:
      - name: error-rate
        kind: ratio
        events: '${slotSum(',outcome="error"')}'
        total:  '${slotSum('')}'
        max-increase: 10%
      - name: timeouts
        kind: ratio
        events: '${slotSum(',outcome="timeout"')} or vector(0)'
        max-increase: 10%
`;
  const look = async (gateName: string) => {
    const model = parseConfig(specConfig(), {}).config.models['bf-model'];
    const gate = model?.gates.find((g) => g.name === gateName);
    if (!model || gate?.kind !== 'ratio') throw new Error('the config lost its ratio gate');
    const { since, until } = bfWindow('canary');
    return measureRatio(gate, {
      metrics: metricsFor(model),
      model: 'bf-model',
      stable: BACKFILL.stable.version,
      candidate: BACKFILL.canary.version,
      since,
      now: until,
      minRequests: 100,
    });
  };

  it('counts events over the window; `total: requests` (the default) is the source requests query', async () => {
    expect(await source.count(slotSum(',outcome="error"'), bfWindow('stable'))).toBe(20);
    expect(await source.count(slotSum(',outcome="error"'), bfWindow('canary'))).toBe(40);
    expect(await source.count('requests', bfWindow('canary'))).toBe(200);
  });

  it("judges the SPEC's ratio gate: the candidate's 20% errors against stable's 5% fail", async () => {
    const m = await look('error-rate');
    expect(m).toMatchObject({ verdict: 'fail', canaryRequests: 200, baselineRequests: 400 });
    expect(m.canary).toBeCloseTo(0.2, 12);
    expect(m.baseline).toBeCloseTo(0.05, 12);
    expect(m.note).toMatch(/^20% on \S+ vs 5% on \S+ \(×4, at least ×[\d.]+; tolerated ×1\.1\)/);
  });

  it('reads a sum with no series as no data naming the query; `or vector(0)` writes a meant 0', async () => {
    const err = await source.count(slotSum(',outcome="timeout"'), bfWindow('canary')).catch((e) => e);
    expect(err).toBeInstanceOf(NoDataError);
    expect(err.message).toBe(
      'prometheus: the count query matched nothing for the canary slot (version 2.0.0+build.7), which is no data, not 0: check its metric name and labels; if zero is meant, write (…) or vector(0): "sum(increase(model_gate_requests_total{model=\\"bf-model\\",slot=\\"canary\\",version=\\"2.0.0+build.7\\",outcome=\\"timeout\\"}[300s]))"',
    );
    expect(await source.count(`${slotSum(',outcome="timeout"')} or vector(0)`, bfWindow('canary'))).toBe(0);
    const m = await look('timeouts');
    expect(m).toMatchObject({ canary: 0, baseline: 0, canaryRequests: 200, baselineRequests: 400 });
    expect(m.verdict).not.toBe('error');
  });

  it('refuses a count query that returns several series or NaN, saying to wrap it in sum', async () => {
    await expect(source.count('bf_gauge{kind="pair"}', bfWindow('canary'))).rejects.toThrow(
      /^prometheus: the count query returned 2 series, expected one; wrap it in sum\(\.\.\.\) to add them up \(they differ in pod\)/,
    );
    await expect(source.count('bf_gauge{kind="nan"}', bfWindow('canary'))).rejects.toThrow(
      /^prometheus: the count query returned NaN for the canary slot \(version [^)]+\), which is no data, not a count: scalar\(\) of no series/,
    );
  });
});

describe('prometheus source: partial answers, credentials and odd answers (stand-in servers)', () => {
  const w = () => bfWindow('canary');
  const vector = (value: unknown) => ({
    status: 'success',
    data: { resultType: 'vector', result: [{ metric: {}, value: [BASE_S, value] }] },
  });
  /** A server answering every query with `reply`; closed after `use`. */
  async function withServer(reply: (req: Recorded) => Reply, use: (s: JsonServer) => Promise<void>) {
    const server = await startJsonServer(reply);
    try {
      await use(server);
    } finally {
      await server.close();
    }
  }
  const standIn = (server: JsonServer, over: Partial<PrometheusMetricsConfig> = {}) =>
    prometheusSource(config({ url: server.url, ...over }));

  it('asks for no partial answers (Thanos, VictoriaMetrics); the real Prometheus answers anyway', async () => {
    await withServer(
      () => ({ status: 200, body: vector('7') }),
      async (server) => {
        expect(await standIn(server).value('x', w())).toBe(7);
        const q = server.requests[0]?.query;
        expect(q?.get('partial_response')).toBe('false');
        expect(q?.get('deny_partial_response')).toBe('1');
      },
    );
    // Every query of the real Prometheus above carries both; this one, too.
    expect(await source.requests(w())).toBe(200);
  });

  it('uses a partial answer as no data, with the warning in the message, never as the value', async () => {
    const warning = 'receive series from Addr: store-eu-1:10901: rpc error: code = Unavailable';
    await withServer(
      () => ({ status: 200, body: { ...vector('1000'), warnings: [warning] } }),
      async (server) => {
        const partial = standIn(server);
        const err = await partial.value('x', w()).catch((e: unknown) => e);
        expect(err).toBeInstanceOf(NoDataError);
        expect((err as Error).message).toBe(
          `prometheus: a partial answer (${warning}): some of the server's stores or nodes did not answer, so it is not used as data: "x"`,
        );
        await expect(partial.count('x', w())).rejects.toThrow(NoDataError);
        // A threshold gate that would pass on the partial 1000 does not.
        const m = await measureThreshold(
          { kind: 'threshold', name: 'g', query: 'x', failureLimit: 0, consecutiveErrorLimit: 4, max: 2000 },
          {
            metrics: partial,
            model: 'm',
            stable: 'v1',
            candidate: 'v2',
            since: w().since,
            now: w().until,
            minRequests: 1,
          },
        );
        // No data (inconclusive until the deadline), not a query error counted against consecutive-error-limit.
        expect(m.verdict).toBe('inconclusive');
        expect(m.note).toContain(warning);
      },
    );
    await withServer(
      () => ({ status: 200, body: { ...vector('1000'), isPartial: true } }),
      async (server) => {
        await expect(standIn(server).value('x', w())).rejects.toThrow(
          /^prometheus: a partial answer: some of the server's stores or nodes did not answer/,
        );
      },
    );
  });

  it("keeps an answer whose only warnings are Prometheus' own PromQL annotations", async () => {
    const annotation =
      'PromQL info: metric might not be a counter, name does not end in _total/_sum/_count/_bucket: "requests"';
    await withServer(
      () => ({ status: 200, body: { ...vector('12'), warnings: [annotation] } }),
      async (server) => {
        expect(await standIn(server).value('increase(requests[5m])', w())).toBe(12);
      },
    );
  });

  it('sends credentials written in the url as Basic auth, and never shows them', async () => {
    const expected = `Basic ${Buffer.from('grafana:glc_S3CRET/x=').toString('base64')}`;
    await withServer(
      (req) =>
        req.headers.authorization === expected
          ? { status: 200, body: vector('5') }
          : { status: 401, text: 'Unauthorized' },
      async (server) => {
        const at = new URL(server.url);
        // The token's "/" and "=" are percent-encoded in the url, as a URL must have them.
        const url = `http://grafana:glc_S3CRET%2Fx%3D@${at.host}`;
        expect(await standIn(server, { url }).requests(w())).toBe(5);
        expect(server.requests.at(-1)?.headers.authorization).toBe(expected);

        const wrong = await standIn(server, { url: `http://grafana:glc_WRONG@${at.host}` })
          .requests(w())
          .catch((e: unknown) => e);
        // Refused credentials: say to check them, not to doubt the url.
        expect((wrong as Error).message).toBe(
          "prometheus: HTTP 401 with a body that is not the Prometheus API's JSON (Unauthorized); the server refused the credentials: check the token or password sent (metrics.headers, or user:password in the url) and that it may query this server",
        );
        expect((wrong as Error).message).not.toContain('glc_WRONG');

        // A header the user set wins over the url's credentials.
        await standIn(server, { url, headers: { Authorization: 'Bearer tok' } })
          .requests(w())
          .catch(() => undefined);
        expect(server.requests.at(-1)?.headers.authorization).toBe('Bearer tok');
      },
    );
    const port = await freePort();
    const down = await prometheusSource(config({ url: `http://grafana:glc_S3CRET@127.0.0.1:${port}` }))
      .requests(w())
      .catch((e: unknown) => e);
    expect((down as Error).message).toMatch(
      /^prometheus: cannot reach http:\/\/127\.0\.0\.1:\d+\/api\/v1\/query: connect ECONNREFUSED 127\.0\.0\.1:\d+;/,
    );
    expect((down as Error).message).not.toContain('glc_S3CRET');
  });

  it('reads a sample without a number as no data, and says what an odd answer looked like', async () => {
    await withServer(
      () => ({ status: 200, body: vector(null) }),
      async (server) => {
        expect(await standIn(server).value('x', w())).toBeUndefined();
      },
    );
    await withServer(
      () => ({
        status: 200,
        body: { status: 'success', data: { resultType: 'vector', result: [{ metric: {}, value: 'oops' }] } },
      }),
      async (server) => {
        await expect(standIn(server).value('x', w())).rejects.toThrow(
          'prometheus: expected a vector result, got a vector of an unexpected shape ({"resultType":"vector","result":[{"metric":{},"value":"oops"}]}): "x"',
        );
      },
    );
  });

  it('names the query in every error the server answers', async () => {
    const replies: [Reply, RegExp][] = [
      [
        {
          status: 503,
          body: { status: 'error', errorType: 'timeout', error: 'query timed out in expression evaluation' },
        },
        /^prometheus: the query timed out or was aborted on the server \(query timed out in expression evaluation\): "sum\(x\)"$/,
      ],
      [
        { status: 500, body: { status: 'error', errorType: 'internal', error: 'store gateway down' } },
        /^prometheus: HTTP 500 internal: store gateway down: "sum\(x\)"$/,
      ],
    ];
    for (const [reply, message] of replies) {
      await withServer(
        () => reply,
        async (server) => {
          await expect(standIn(server).value('sum(x)', w())).rejects.toThrow(message);
        },
      );
    }
  });
});

describe('prometheus source scraping a live sandbox', () => {
  const slotVersion = { stable: 'v1', canary: 'v3' } as const;
  const labels = '{model="{{model}}",slot="{{slot}}",version="{{version}}"}';
  const errorRate = `sum(increase(model_gate_requests_total{model="{{model}}",slot="{{slot}}",version="{{version}}",outcome="error"}[{{window}}])) / sum(increase(model_gate_requests_total${labels}[{{window}}]))`;
  const bucketQuery = `sum by (le) (increase(model_gate_request_duration_seconds_bucket${labels}[{{window}}]))`;
  const promQuery = (query: string) =>
    requestJson('GET', `${prom.url}/api/v1/query?${new URLSearchParams({ query })}`).then(
      (r) => (r.body as { data: { result: { value: [number, string] }[] } }).data.result,
    );
  /** The sandbox's exact counts of [since, until), since its start and up to now by default. */
  const sandboxCounts = async (since?: number, until?: number) => {
    const params = new URLSearchParams({ model: 'fraud-detector' });
    if (since !== undefined) params.set('since', String(since));
    if (until !== undefined) params.set('until', String(until));
    return (await requestJson('GET', `${sandbox.url}/metrics.json?${params}`)).body as Report;
  };
  /** Index of the latency bucket (ms bounds as the sandbox uses) that holds `ms`. */
  const bucketOf = (ms: number) => {
    const i = LATENCY_BOUNDS_MS.findIndex((b) => ms <= b);
    return i < 0 ? LATENCY_BOUNDS_MS.length : i;
  };

  it('agrees per slot with the sandbox exact counts over a window, within scrape granularity', async () => {
    // Both slots scraped at least twice, so increase() has samples on both sides of the start.
    await waitFor('two scrapes of both slots', 20_000, async () => {
      const r = await promQuery(
        'min(count_over_time(model_gate_requests_total{model="fraud-detector",outcome="ok"}[1m]))',
      );
      return Number(r[0]?.value[1] ?? 0) >= 2 ? true : undefined;
    });
    // The sandbox counts whole seconds and {{window}} is whole seconds: a window of exactly
    // 5 s starting on a second, while traffic runs steadily.
    const since = Math.ceil(Date.now() / 1000) * 1000;
    const until = since + 5_000;
    // Read once a scrape after the window's end has landed, so Prometheus holds every sample of
    // the window (a scrape still running at its end would leave its last seconds unsampled), and
    // ask the sandbox for exactly [since, until): neither count hangs on when this runs.
    await waitFor('a scrape after the window', 20_000, async () => {
      const r = await promQuery('min(timestamp(model_gate_requests_total{model="fraud-detector"}))');
      return Number(r[0]?.value[1] ?? 0) * 1000 > until ? true : undefined;
    });
    const exact = await sandboxCounts(since, until);

    for (const slot of ['stable', 'canary'] as const) {
      const w: MetricWindow = { model: 'fraud-detector', slot, version: slotVersion[slot], since, until };
      const e = exact.slots[slot];
      if (!e) throw new Error(`the sandbox served nothing on ${slot}`);
      // increase() extrapolates from the first and last samples inside the window to its
      // edges (each at most one scrape interval away) at the average rate in between.
      const rate = e.requests / ((until - since) / 1000);
      expect(Math.abs((await source.requests(w)) - e.requests)).toBeLessThanOrEqual(
        Math.ceil(rate * SCRAPE_S),
      );

      // Errors and requests are sampled by the same scrapes: the ratio is over the requests
      // between the first and last samples, most of the window.
      const ratio = (await source.value(errorRate, w)) as number;
      expect(Math.abs(ratio - e.errors / e.requests)).toBeLessThan(0.03);

      const buckets = await source.buckets(bucketQuery, w);
      const p99 = histogramQuantile(0.99, buckets ?? []) as number;
      const exactP99 = histogramQuantile(0.99, e.latencyMs.buckets) as number;
      // Same bucket edges on both sides (seconds vs ms): the p99 lands in the same or the next bucket.
      expect(Math.abs(bucketOf(p99 * 1000) - bucketOf(exactP99))).toBeLessThanOrEqual(1);
      // Prometheus' own histogram_quantile on the same data, at the same instant.
      expect(await source.value(`histogram_quantile(0.99, ${bucketQuery})`, w)).toBeCloseTo(p99, 9);
    }
    // The faulty candidate's errors show in the window; the stable version has none.
    const rateOf = (slot: 'stable' | 'canary') =>
      source.value(errorRate, { model: 'fraud-detector', slot, version: slotVersion[slot], since, until });
    expect(await rateOf('canary')).toBeGreaterThan(((await rateOf('stable')) ?? 0) + 0.05);
  });

  it('holds exactly the sandbox totals once traffic stops', async () => {
    await traffic?.stop();
    traffic = undefined;
    const stoppedAt = Date.now();
    await waitFor('a scrape after traffic stopped', 10_000, async () => {
      const r = await promQuery('min(timestamp(model_gate_requests_total{model="fraud-detector"}))');
      return Number(r[0]?.value[1] ?? 0) * 1000 > stoppedAt + 100 ? true : undefined;
    });
    const all = await sandboxCounts();
    for (const slot of ['stable', 'canary'] as const) {
      const w: MetricWindow = {
        model: 'fraud-detector',
        slot,
        version: slotVersion[slot],
        since: stoppedAt - 60_000,
        until: Date.now(),
      };
      const e = all.slots[slot];
      expect(await source.value(`sum(model_gate_requests_total${labels})`, w)).toBe(e?.requests);
      expect(
        await source.value(
          `sum(model_gate_requests_total{model="{{model}}",slot="{{slot}}",outcome="error"})`,
          w,
        ),
      ).toBe(e?.errors);
      expect(await source.value(`sum(model_gate_request_duration_seconds_count${labels})`, w)).toBe(
        e?.latencyMs.buckets.at(-1)?.count,
      );
    }
  });
});

interface Report {
  slots: Partial<
    Record<
      'stable' | 'canary',
      { requests: number; errors: number; latencyMs: { buckets: { le: number | '+Inf'; count: number }[] } }
    >
  >;
}
