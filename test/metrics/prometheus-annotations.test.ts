import { afterEach, describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import { parseConfig } from '../../src/config/load.js';
import type { ThresholdGateConfig } from '../../src/config/types.js';
import { measureThreshold } from '../../src/gates/threshold-gate.js';
import { metricsFor } from '../../src/release/adapters.js';
import { type Recorded, type Reply, startJsonServer } from '../support/metrics-http.js';

// PromQL annotations (Prometheus 2.44+: "PromQL warning: ..." in `warnings`, 2.52+: "PromQL
// info: ..." in `infos`) are about the query, not missing data: the answer is judged as it is,
// and each annotation reaches the step log once per query, not at every look. Prometheus 2.42
// (the one installed here) gives none, so a stand-in answers in the published shape.

/**
 * The API's answer as https://prometheus.io/docs/prometheus/latest/querying/api/#format-overview
 * publishes it (an instant vector's `data` as in "Instant vectors"); nothing else.
 */
const PUBLISHED = z
  .object({
    status: z.enum(['success', 'error']),
    data: z.object({
      resultType: z.literal('vector'),
      result: z.array(
        z
          .object({ metric: z.record(z.string(), z.string()), value: z.tuple([z.number(), z.string()]) })
          .strict(),
      ),
    }),
    errorType: z.string().optional(),
    error: z.string().optional(),
    warnings: z.array(z.string()).optional(),
    infos: z.array(z.string()).optional(),
  })
  .strict();

const QUERY =
  'sum(rate(x_total{version="{{version}}"}[{{window}}])) / sum(rate(latency{version="{{version}}"}[{{window}}]))';

/** Prometheus' annotations on `latency` in the rendered query, at its position there (line:column). */
function annotated(req: Recorded): Reply {
  const query = req.query.get('query') ?? '';
  const at = `(1:${query.indexOf('latency') + 1})`;
  const body = PUBLISHED.parse({
    status: 'success',
    data: {
      resultType: 'vector',
      result: [
        { metric: {}, value: [Number(req.query.get('time')), query.includes('latency') ? '0.5' : '500'] },
      ],
    },
    ...(query.includes('latency')
      ? {
          warnings: [
            `PromQL warning: encountered a mix of histograms and floats for metric name "latency" ${at}`,
          ],
          infos: [
            `PromQL info: metric might not be a counter, name does not end in _total/_sum/_count/_bucket: "latency" ${at}`,
          ],
        }
      : {}),
  });
  return { status: 200, body };
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe('PromQL annotations on an answer', () => {
  it('are said once per query in the step log, and the looks are judged as without them', async () => {
    const server = await startJsonServer(annotated);
    const said = vi.spyOn(console, 'warn').mockImplementation(() => {});
    try {
      const model = parseConfig(
        `version: 1
defaults:
  target: { type: sandbox, url: "http://127.0.0.1:1" }
  metrics: { type: prometheus, url: "${server.url}", requests: 'sum(increase(requests_total{version="{{version}}"}[{{window}}]))' }
models:
  fraud-detector:
    source: { file: m.yaml, key: version }
    strategy: { type: canary, steps: [10, 50], step-duration: 10m, min-requests: 1, interval: 30s }
    gates:
      - { name: latency, kind: threshold, query: '${QUERY}', max: 1 }
`,
        {},
      ).config.models['fraud-detector'];
      if (!model) throw new Error('no model fraud-detector');
      const metrics = metricsFor(model);
      const since = Date.parse('2026-05-04T10:00:00Z');
      const verdicts = [];
      // Three looks, a window longer each time (the annotation's position moves with it).
      for (const s of [30, 60, 90_000]) {
        const m = await measureThreshold(model.gates[0] as ThresholdGateConfig, {
          metrics,
          model: 'fraud-detector',
          stable: 'v1',
          candidate: 'v2',
          since,
          now: since + s * 1000,
          minRequests: 1,
        });
        verdicts.push(m.verdict);
      }
      expect(verdicts).toEqual(['pass', 'pass', 'pass']);
      // Said at the first look (a 30 s window), where `latency` stood at this column.
      const first = QUERY.replaceAll('{{version}}', 'v2').replaceAll('{{window}}', '30s');
      const at = `(1:${first.indexOf('latency') + 1})`;
      const tail = `, for ${JSON.stringify(QUERY)}: the answer is judged as it is (an annotation changes no verdict), but check the query; said once per query`;
      expect(said.mock.calls.map(([m]) => m)).toEqual([
        `prometheus: PromQL warning: encountered a mix of histograms and floats for metric name "latency" ${at}${tail}`,
        `prometheus: PromQL info: metric might not be a counter, name does not end in _total/_sum/_count/_bucket: "latency" ${at}${tail}`,
      ]);
    } finally {
      await server.close();
    }
  });
});
