import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { PROMETHEUS_REQUESTS_DEFAULT } from '../../src/config/metrics-schema.js';
import type { ModelConfig, RatioGateConfig } from '../../src/config/types.js';
import { measureRatio } from '../../src/gates/ratio-gate.js';
import { fileSource } from '../../src/metrics/file-source.js';
import { prometheusSource } from '../../src/metrics/prometheus-source.js';
import type { MetricWindow } from '../../src/metrics/source.js';
import { metricsFor } from '../../src/release/adapters.js';
import { fraudLook, fraudOnSource } from '../support/fraud-on-source.js';
import { type JsonServer, startJsonServer } from '../support/metrics-http.js';
import { ratioGate } from '../support/model-config.js';
import { useBackfilledPrometheus } from '../support/prometheus.js';

// Counts that cannot be counts never read as a pass. A negative count (a `total - ok` query, or
// delta() over a counter that was reset) was clamped to 0 errors, and the sequential judge passed
// the candidate; a NaN count (scalar() of no series) was an error look, failing the gate at its
// consecutive-error-limit, where no data is inconclusive until the deadline (SPEC section 4).

/** Every 15 s for 10 minutes, from 3 hours ago on a whole hour. */
const BASE_S = Math.floor(Date.now() / 3_600_000) * 3600 - 3 * 3600;
const STEP_S = 15;
const SAMPLES = 41;
/** The step: minutes 2 to 10 of the backfilled ten. */
const SINCE = (BASE_S + 120) * 1000;
const NOW = (BASE_S + 600) * 1000;

/**
 * Stable v1 serves 200 requests per 15 s, 5% of them errors. Candidate v2 serves 100 with 30%
 * errors, and its process restarted at 5 minutes: its errors counter fell from 5600 to 0.
 */
function counters(): string {
  const out = ['# TYPE requests counter', '# TYPE errors counter'];
  const series = (name: string, slot: string, version: string, value: (i: number) => number) => {
    for (let i = 0; i < SAMPLES; i++)
      out.push(`${name}_total{slot="${slot}",version="${version}"} ${value(i)} ${BASE_S + i * STEP_S}`);
  };
  series('requests', 'stable', 'v1', (i) => 200 * i);
  series('errors', 'stable', 'v1', (i) => 10 * i);
  series('requests', 'canary', 'v2', (i) => 100 * i);
  series('errors', 'canary', 'v2', (i) => (i <= 20 ? 5000 + 30 * i : 30 * (i - 21)));
  out.push('# EOF');
  return `${out.join('\n')}\n`;
}

const REQUESTS = 'sum(increase(requests_total{slot="{{slot}}",version="{{version}}"}[{{window}}]))';
const DELTA_ERRORS = 'sum(delta(errors_total{slot="{{slot}}",version="{{version}}"}[{{window}}]))';
const SCALAR_OF_NOTHING = 'scalar(sum(increase(nothing_total{slot="{{slot}}"}[{{window}}])))';

const prom = useBackfilledPrometheus('model-gate-invalid-counts-', counters);

/** fraud on the real Prometheus, judged by one ratio gate with `events` (YAML single-quoted). */
function ratioOnPrometheus(events: string): { model: ModelConfig; gate: RatioGateConfig } {
  const metrics = `{ type: prometheus, url: "${prom.url}", requests: '${REQUESTS}' }`;
  const gate = `{ name: errors, kind: ratio, events: '${events}', max-increase: 10% }`;
  const model = parseConfig(fraudOnSource(metrics, [gate]), {}).config.models.fraud;
  const first = model?.gates[0];
  if (!model || first?.kind !== 'ratio') throw new Error('no ratio gate');
  return { model, gate: first };
}

describe('a negative count from Prometheus', () => {
  it('is an error look naming the query, not 0 errors that pass a candidate failing 30% of requests', async () => {
    const { model, gate } = ratioOnPrometheus(DELTA_ERRORS);
    const look = await measureRatio(gate, fraudLook(metricsFor(model), SINCE, NOW));
    expect(look).toEqual({
      at: NOW,
      verdict: 'error',
      note: 'events: prometheus: the count query returned -4670, and a count is never negative: count with increase() over a counter, as sum(increase(x_total{...}[{{window}}])), not delta() (a counter reset makes it negative) or a difference of two counts: "sum(delta(errors_total{slot=\\"canary\\",version=\\"v2\\"}[480s]))"',
    });
  });

  it('is a count of 0 when rounding makes it one (backends extrapolate)', async () => {
    const source = prometheusSource({
      type: 'prometheus',
      url: prom.url,
      headers: {},
      timeoutMs: 5000,
      requests: PROMETHEUS_REQUESTS_DEFAULT,
    });
    const w: MetricWindow = { model: 'fraud', slot: 'canary', version: 'v2', since: SINCE, until: NOW };
    expect(await source.count('sum(vector(-0.4))', w)).toBe(0);
    await expect(source.count('sum(vector(-40))', w)).rejects.toThrow(
      'prometheus: the count query returned -40, and a count is never negative',
    );
    // An infinity is a broken query too (a division by zero), not missing data.
    await expect(source.count('sum(vector(1)) / 0', w)).rejects.toThrow(
      'prometheus: the count query returned an infinity, which is not a count (a division by zero?)',
    );
  });
});

describe('a NaN count from Prometheus', () => {
  it('is no data (inconclusive until the deadline), as a query matching no series is, not an error look', async () => {
    const { model, gate } = ratioOnPrometheus(SCALAR_OF_NOTHING);
    const look = await measureRatio(gate, fraudLook(metricsFor(model), SINCE, NOW));
    expect(look).toMatchObject({
      verdict: 'inconclusive',
      note: 'events: prometheus: the count query returned NaN for the canary slot (version v2), which is no data, not a count: scalar() of no series and 0/0 give NaN; check its metric name and labels, and write sum(…) or vector(0) where zero is meant: "scalar(sum(increase(nothing_total{slot=\\"canary\\"}[480s])))"',
    });
  });
});

describe('http-json counts', () => {
  const API_KEY = 'sk-live-0123456789';
  /** What each slot's endpoint answers: the candidate's errors are computed as ok - total. */
  const SLOTS: Record<string, unknown> = {
    stable: { requests: 6400, errors: 320 },
    canary: { requests: 3200, errors: -40 },
  };
  let server: JsonServer;

  beforeAll(async () => {
    server = await startJsonServer((req) => {
      const slot = /\/slot\/([a-z]+)$/.exec(req.path)?.[1] ?? '';
      if (req.path.startsWith('/broken/')) {
        // An API that echoes the request, query string and all, in its error.
        return { status: 400, body: { error: `bad request GET ${server.url}${req.path}?${req.query}` } };
      }
      return { status: 200, body: SLOTS[slot] };
    });
  });
  afterAll(async () => {
    await server?.close();
  });

  const ratioOnHttpJson = (url: string, env: Record<string, string> = {}) => {
    const metrics = `{ type: http-json, url: "${url}", requests: requests }`;
    const gate = '{ name: errors, kind: ratio, events: errors, max-increase: 10% }';
    const model = parseConfig(fraudOnSource(metrics, [gate]), env).config.models.fraud;
    const first = model?.gates[0];
    if (!model || first?.kind !== 'ratio') throw new Error('no ratio gate');
    return { model, gate: first };
  };

  it('a negative count is an error look naming the endpoint and selector, not a pass', async () => {
    const { model, gate } = ratioOnHttpJson(`${server.url}/slot/{{slot}}`);
    expect(await measureRatio(gate, fraudLook(metricsFor(model), 0, 600_000))).toEqual({
      at: 600_000,
      verdict: 'error',
      note: `events: http-json: ${server.url}/slot/canary: the count query returned -40, and a count is never negative: have the endpoint answer the window's count, as increase() over a counter gives it, not delta() or a difference of two counts: "errors"`,
    });
  });

  it("an error answer that echoes the request URL does not carry the URL's api_key into the note", async () => {
    // From the environment: a key written in the file is refused (literal-url-secrets.test.ts).
    const { model, gate } = ratioOnHttpJson(`${server.url}/broken/{{slot}}?api_key=\${API_KEY}`, { API_KEY });
    const look = await measureRatio(gate, fraudLook(metricsFor(model), 0, 600_000));
    expect(look).toEqual({
      at: 600_000,
      verdict: 'error',
      note: `http-json: ${server.url}/broken/canary answered HTTP 400 (bad request GET ${server.url}/broken/canary?…)`,
    });
    expect(look.note).not.toContain(API_KEY);
  });
});

describe('a negative count from the file source', () => {
  it('is an error look too, never 0 errors, naming the selector', async () => {
    await writeFile(
      join(prom.dir, 'metrics.json'),
      JSON.stringify({
        slots: {
          stable: { version: 'v1', requests: 6400, errors: 320 },
          canary: { version: 'v2', requests: 3200, errors: -40 },
        },
      }),
    );
    const source = fileSource({ type: 'file', path: 'metrics.json', requests: 'requests' }, prom.dir);
    const gate = ratioGate();
    const look = await measureRatio(gate, fraudLook(source, SINCE, NOW));
    expect(look.verdict).toBe('error');
    expect(look.note).toMatch(
      /^events: file: metrics\.json \(canary\): the count query returned -40, and a count is never negative: .*: "errors"$/,
    );
  });
});
