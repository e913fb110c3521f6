import { z } from 'zod';
import type { SandboxMetricsConfig, SandboxQuery } from '../config/types.js';
import { MetricsError } from '../core/errors.js';
import { errorText, requestJson } from '../core/http-json.js';
import { type Bucket, histogramMean, histogramQuantile } from './histogram.js';
import type { MetricSource, MetricWindow } from './source.js';

const bucketsSchema = z.object({
  buckets: z.array(z.object({ le: z.union([z.number(), z.literal('+Inf')]), count: z.number() })),
  sum: z.number(),
  count: z.number(),
});
const slotSchema = z.object({
  version: z.string(),
  requests: z.number(),
  errors: z.number(),
  nulls: z.number(),
  latencyMs: bucketsSchema,
  scores: bucketsSchema,
});
const countsSchema = z.object({
  since: z.number().optional(),
  until: z.number().optional(),
  slots: z.object({ stable: slotSchema.optional(), canary: slotSchema.optional() }),
});
type SlotCounts = z.infer<typeof slotSchema>;

/** Exact per-slot counts from the sandbox's /metrics.json. */
export function sandboxSource(config: SandboxMetricsConfig): MetricSource {
  const base = config.url.replace(/\/+$/, '');

  async function slotCounts(w: MetricWindow): Promise<SlotCounts | undefined> {
    const model = config.model ?? w.model;
    const url = `${base}/metrics.json?model=${encodeURIComponent(model)}&since=${Math.floor(w.since)}`;
    let res: Awaited<ReturnType<typeof requestJson>>;
    try {
      res = await requestJson('GET', url);
    } catch (err) {
      throw new MetricsError(`sandbox metrics unreachable: ${(err as Error).message}`);
    }
    if (res.status !== 200) throw new MetricsError(`sandbox metrics for ${model}: ${errorText(res)}`);
    const parsed = countsSchema.safeParse(res.body);
    if (!parsed.success) throw new MetricsError(`sandbox metrics for ${model}: unexpected answer`);
    const slot = parsed.data.slots[w.slot];
    // Counts of another version in the same slot are not this release's evidence.
    return slot && slot.version === w.version ? slot : undefined;
  }

  return {
    async requests(w) {
      return (await slotCounts(w))?.requests ?? 0;
    },
    async value(query, w) {
      const counts = await slotCounts(w);
      return counts && counts.requests > 0 ? sandboxValue(query as SandboxQuery, counts, w) : undefined;
    },
  };
}

function sandboxValue(query: SandboxQuery, c: SlotCounts, w: MetricWindow): number | undefined {
  const latency = c.latencyMs.buckets as Bucket[];
  const answered = c.requests - c.errors;
  switch (query) {
    case 'error-rate':
      return c.errors / c.requests;
    case 'null-rate':
      return answered > 0 ? c.nulls / answered : undefined;
    case 'latency-p50':
      return histogramQuantile(0.5, latency);
    case 'latency-p95':
      return histogramQuantile(0.95, latency);
    case 'latency-p99':
      return histogramQuantile(0.99, latency);
    case 'latency-mean':
      return histogramMean(c.latencyMs);
    case 'mean-score':
      return histogramMean(c.scores);
    case 'request-rate':
      return c.requests / Math.max(1, (w.until - w.since) / 1000);
  }
}
