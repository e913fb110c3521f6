import { z } from 'zod';
import {
  SANDBOX_BUCKET_QUERIES,
  SANDBOX_COUNT_QUERIES,
  type SandboxCountQuery,
  type SandboxMetricsConfig,
  type SandboxQuery,
} from '../config/types.js';
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
  agreement: z.object({ compared: z.number(), identical: z.number() }).optional(),
  outcomes: z
    .object({ labelled: z.number(), correct: z.number(), conversions: z.number(), exposures: z.number() })
    .optional(),
});
const countsSchema = z.object({
  since: z.number().optional(),
  until: z.number().optional(),
  slots: z.object({
    stable: slotSchema.optional(),
    canary: slotSchema.optional(),
    shadow: slotSchema.optional(),
  }),
});
type SlotCounts = z.infer<typeof slotSchema>;

/**
 * How far an answer's `until` (the sandbox's clock when it answered) may lag the window's end. On
 * one host it never does (the look's window ends before the request is sent); this covers clock
 * granularity and a little skew between the runner and a remote sandbox, nothing more.
 */
export const STALE_ALLOWANCE_MS = 2000;

/** `10:04:58` (UTC) of an epoch-ms time, for messages. */
const clockTime = (ms: number) =>
  Number.isFinite(ms) && Math.abs(ms) < 8.64e15 ? new Date(ms).toISOString().slice(11, 19) : String(ms);

/** Exact per-slot counts from the sandbox's /metrics.json. */
export function sandboxSource(config: SandboxMetricsConfig): MetricSource {
  const base = config.url.replace(/\/+$/, '');

  /**
   * One answer for the counts from `since` up to the sandbox's now. The answer must cover what was
   * asked: the same `since`, and an `until` no older than `end` (less `STALE_ALLOWANCE_MS`). A
   * cache or proxy replaying an old answer would otherwise pass a gate on counts holding no new
   * requests; a refused answer is a MetricsError (the look is an error, never a pass).
   */
  async function fetchSlot(
    w: MetricWindow,
    since: number,
    end: { at: number; what: string },
  ): Promise<{ slot?: SlotCounts; until: number }> {
    const model = config.model ?? w.model;
    // The sandbox counts whole seconds and includes the one containing `since`: start at the next
    // whole second so a phase's window holds nothing from before the phase (the old split).
    const from = Math.ceil(since / 1000) * 1000;
    const url = `${base}/metrics.json?model=${encodeURIComponent(model)}&since=${from}`;
    let res: Awaited<ReturnType<typeof requestJson>>;
    try {
      res = await requestJson('GET', url);
    } catch (err) {
      throw new MetricsError(`sandbox metrics unreachable: ${(err as Error).message}`);
    }
    if (res.status !== 200) throw new MetricsError(`sandbox metrics for ${model}: ${errorText(res)}`);
    const parsed = countsSchema.safeParse(res.body);
    if (!parsed.success) throw new MetricsError(`sandbox metrics for ${model}: unexpected answer`);
    const { since: answeredSince, until } = parsed.data;
    // Every model-gate sandbox sends both; without them nothing shows the counts are current.
    if (answeredSince === undefined || until === undefined) {
      throw new MetricsError(
        `sandbox metrics for ${model} do not say which window they cover (no ${answeredSince === undefined ? 'since' : 'until'}): is /metrics.json served by a model-gate sandbox?`,
      );
    }
    if (answeredSince !== from) {
      throw new MetricsError(
        `sandbox metrics for ${model} answer for another window: they start at ${clockTime(answeredSince)}, not at ${clockTime(from)} as asked (is something caching /metrics.json?)`,
      );
    }
    if (until < end.at - STALE_ALLOWANCE_MS) {
      throw new MetricsError(
        `sandbox metrics for ${model} are stale: they end at ${clockTime(until)}, ${Math.round((end.at - until) / 1000)} s before ${end.what} (is something caching /metrics.json?)`,
      );
    }
    const slot = parsed.data.slots[w.slot];
    // Counts of another version in the same slot are not this release's evidence.
    return { ...(slot && slot.version === w.version ? { slot } : {}), until };
  }

  /**
   * Counts over exactly [since, until]: the sandbox counts up to its own now, so a window that
   * ends earlier (a reference before the step, a one-minute interval) subtracts what came after.
   */
  async function windowCounts(w: MetricWindow): Promise<SlotCounts | undefined> {
    const from = await fetchSlot(w, w.since, { at: w.until, what: "the window's end" });
    if (!from.slot || from.until - w.until <= 1000) return from.slot;
    // What is subtracted must run at least as far as the counts it is subtracted from.
    const after = (await fetchSlot(w, w.until, { at: from.until, what: 'the counts it is subtracted from' }))
      .slot;
    return after ? subtract(from.slot, after) : from.slot;
  }

  return {
    async requests(w) {
      return (await windowCounts(w))?.requests ?? 0;
    },
    async value(query, w) {
      const counts = await windowCounts(w);
      return counts && counts.requests > 0 ? sandboxValue(query as SandboxQuery, counts, w) : undefined;
    },
    async count(query, w) {
      if (!(SANDBOX_COUNT_QUERIES as readonly string[]).includes(query)) {
        throw new MetricsError(
          `unknown sandbox count query "${query}" (known: ${SANDBOX_COUNT_QUERIES.join(', ')})`,
        );
      }
      const counts = await windowCounts(w);
      return counts ? sandboxCount(query as SandboxCountQuery, counts) : undefined;
    },
    async buckets(query, w) {
      if (!(SANDBOX_BUCKET_QUERIES as readonly string[]).includes(query)) {
        throw new MetricsError(
          `unknown sandbox histogram "${query}" (known: ${SANDBOX_BUCKET_QUERIES.join(', ')})`,
        );
      }
      const counts = await windowCounts(w);
      if (!counts) return undefined;
      return (query === 'latency' ? counts.latencyMs.buckets : counts.scores.buckets) as Bucket[];
    },
  };
}

function sandboxCount(query: SandboxCountQuery, c: SlotCounts): number {
  switch (query) {
    case 'requests':
      return c.requests;
    case 'errors':
      return c.errors;
    case 'nulls':
      return c.nulls;
    case 'answered':
      return c.requests - c.errors;
    case 'conversions':
      return c.outcomes?.conversions ?? 0;
    case 'exposures':
      return c.outcomes?.exposures ?? 0;
  }
}

/** `a` minus `b`: the counts of a window that ends where `b` begins. */
function subtract(a: SlotCounts, b: SlotCounts): SlotCounts {
  const histogram = (x: SlotCounts['latencyMs'], y: SlotCounts['latencyMs']) => ({
    buckets: x.buckets.map((bucket, i) => ({
      le: bucket.le,
      count: bucket.count - (y.buckets[i]?.count ?? 0),
    })),
    sum: x.sum - y.sum,
    count: x.count - y.count,
  });
  return {
    version: a.version,
    requests: a.requests - b.requests,
    errors: a.errors - b.errors,
    nulls: a.nulls - b.nulls,
    latencyMs: histogram(a.latencyMs, b.latencyMs),
    scores: histogram(a.scores, b.scores),
    ...(a.agreement && b.agreement
      ? {
          agreement: {
            compared: a.agreement.compared - b.agreement.compared,
            identical: a.agreement.identical - b.agreement.identical,
          },
        }
      : {}),
    ...(a.outcomes && b.outcomes
      ? {
          outcomes: {
            labelled: a.outcomes.labelled - b.outcomes.labelled,
            correct: a.outcomes.correct - b.outcomes.correct,
            conversions: a.outcomes.conversions - b.outcomes.conversions,
            exposures: a.outcomes.exposures - b.outcomes.exposures,
          },
        }
      : {}),
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
    case 'agreement':
      return c.agreement && c.agreement.compared > 0
        ? c.agreement.identical / c.agreement.compared
        : undefined;
    case 'conversion-rate':
      return c.outcomes && c.outcomes.exposures > 0
        ? c.outcomes.conversions / c.outcomes.exposures
        : undefined;
    case 'accuracy':
      return c.outcomes && c.outcomes.labelled > 0 ? c.outcomes.correct / c.outcomes.labelled : undefined;
  }
}
