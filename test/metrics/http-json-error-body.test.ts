/**
 * An http-json endpoint that answers 2xx but reports a failure in its own words
 * (`{"error": "..."}`), or answers 204 with nothing (no data): the look's note quotes the endpoint
 * first and says what to do, where it said only that the selector matched nothing ("check the selector")
 * or that the answer was not JSON.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import type { ThresholdGateConfig } from '../../src/config/types.js';
import { measureThreshold } from '../../src/gates/threshold-gate.js';
import type { MetricWindow } from '../../src/metrics/source.js';
import { metricsFor } from '../../src/release/adapters.js';
import { fraudLook, fraudOnSource } from '../support/fraud-on-source.js';
import { type JsonServer, type Reply, startJsonServer } from '../support/metrics-http.js';

const T0 = 1_760_000_000_000;
const canary: MetricWindow = { model: 'fraud', slot: 'canary', version: 'v2', since: T0, until: T0 + 60_000 };

const ANSWERS: Record<string, Reply> = {
  // A service whose model is loading answers 200 with its reason, and no stats yet.
  '/loading': { status: 200, body: { error: 'model fraud is still loading (2 of 5 shards)' } },
  '/quota': {
    status: 200,
    body: { message: 'quota exceeded for https://metrics.example/api?api_key=s3cr3t', stats: {} },
  },
  '/nothing': { status: 204 },
};

let api: JsonServer;
beforeAll(async () => {
  api = await startJsonServer((req) => ANSWERS[req.path] ?? { status: 404, body: { error: 'no such path' } });
});
afterAll(async () => {
  await api?.close();
});

function fraudOn(path: string) {
  const model = parseConfig(
    fraudOnSource(`{ type: http-json, url: "${api.url}${path}", requests: stats.requests }`, [
      '{ name: p99, kind: threshold, query: stats.p99, max: 0.5 }',
    ]),
    {},
  ).config.models.fraud;
  if (!model) throw new Error('no model');
  return { source: metricsFor(model), gate: model.gates[0] as ThresholdGateConfig };
}

describe('an http-json 2xx answer without the selected key', () => {
  it("quotes the endpoint's error first, as no data: an inconclusive look, not a selector to check", async () => {
    const { source, gate } = fraudOn('/loading');
    const m = await measureThreshold(gate, fraudLook(source, T0, T0 + 60_000));
    expect(m.verdict).toBe('inconclusive');
    expect(m.note).toBe(
      `http-json: ${api.url}/loading says "model fraud is still loading (2 of 5 shards)" (its "error"), with nothing at the requests query's selector for the canary slot (version v2), which is no data: look into what it reports; if it answers this way when healthy too, check the selector (metrics.requests); a count of 0 must be written as 0: "stats.requests"`,
    );
  });

  it('quotes its message for a gate query too, with a URL it echoes kept without its key', async () => {
    const { source } = fraudOn('/quota');
    await expect(source.value('stats.p99', canary)).rejects.toThrow(
      `http-json: ${api.url}/quota says "quota exceeded for https://metrics.example/api?…" (its "message"), with nothing at the query's selector for the canary slot (version v2), which is no data: look into what it reports; if it answers this way when healthy too, check the selector: "stats.p99"`,
    );
  });

  it('says the status of an empty answer, that it is no data, and what to do', async () => {
    const { source } = fraudOn('/nothing');
    await expect(source.requests(canary)).rejects.toThrow(
      `http-json: ${api.url}/nothing answered HTTP 204 with an empty body, which is no data for the canary slot (version v2); if it answers so when it has metrics too, have it answer 200 with the JSON document the selectors read ("stats.requests")`,
    );
  });
});
