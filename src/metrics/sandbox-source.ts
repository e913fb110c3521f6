import { z } from 'zod';
import {
  SANDBOX_BUCKET_QUERIES,
  SANDBOX_COUNT_QUERIES,
  type SandboxCountQuery,
  type SandboxMetricsConfig,
  type SandboxQuery,
} from '../config/types.js';
import { apiUrl } from '../core/api-url.js';
import { MetricsError } from '../core/errors.js';
import { errorText, requestJson, statusOfNotJson } from '../core/http-json.js';
import { safeUrl } from '../core/safe-url.js';
import { refusedCredentials, withUrlCredentials } from '../core/url-credentials.js';
import { toleranceOf } from './agreement-within.js';
import { type Bucket, histogramMean, histogramQuantile } from './histogram.js';
import { passingStatus } from './passing-fault.js';
import { RefusedCredentialsError } from './refused-credentials.js';
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
  /** Distinct sticky keys; absent from a sandbox older than the `users` count. */
  users: z.number().optional(),
  /** Distinct users with feedback, and with a conversion; absent from a sandbox older than these counts. */
  exposedUsers: z.number().optional(),
  convertedUsers: z.number().optional(),
  agreement: z
    .object({
      compared: z.number(),
      identical: z.number(),
      /** |shadow score - stable score| of the copies both answered, cumulative by bound. */
      scoreDiff: bucketsSchema.optional(),
    })
    .optional(),
  /** Shadow slot only: copies not run, too many being in flight. */
  dropped: z.number().optional(),
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
 * How far an answer's `until` may lag the window's end. The sandbox answers the `until` asked for,
 * or its own clock when that is earlier (the window is not over there yet). On one host it never
 * lags (the look's window ends before the request is sent); this covers clock granularity and a
 * little skew between the runner and a remote sandbox, nothing more.
 */
export const STALE_ALLOWANCE_MS = 2000;

/** `10:04:58` (UTC) of an epoch-ms time, for messages. */
const clockTime = (ms: number) =>
  Number.isFinite(ms) && Math.abs(ms) < 8.64e15 ? new Date(ms).toISOString().slice(11, 19) : String(ms);

/** Exact per-slot counts from the sandbox's /metrics.json. */
export function sandboxSource(config: SandboxMetricsConfig): MetricSource {
  /**
   * The counts of the window, asked of the sandbox in one request, in the whole seconds the
   * sandbox counts by (see metrics-store.ts): from `since` rounded up, so a phase's window holds
   * nothing from before the phase, to `until` rounded down, so it holds only seconds that have
   * ended. Every gate of a look then reads the same counts, however far apart their requests go
   * (a second still running would give each gate the requests served up to its own moment), and
   * back-to-back windows share no request. A window that ended earlier (a reference before the
   * step, a one-minute interval) is counted by the sandbox as it was, whatever has been served
   * since. A window with no whole second ended yet has no counts, and is not asked for.
   *
   * The answer must cover what was asked: the same `since`, and an `until` no older than the
   * window's end (less `STALE_ALLOWANCE_MS`; the sandbox answers its now when that is earlier). A
   * cache or proxy replaying an old answer would otherwise pass a gate on counts holding no new
   * requests; a refused answer is a MetricsError (the look is an error, never a pass).
   */
  async function windowCounts(w: MetricWindow): Promise<SlotCounts | undefined> {
    const model = config.model ?? w.model;
    const { from, to } = countedSpan(w);
    if (to <= from) return undefined;
    // A sandbox behind a proxy may have a url with its own path and query string (apiUrl keeps
    // both), and the proxy's user:password, sent as Basic auth (undici sends no userinfo).
    const { url, headers } = withUrlCredentials(
      apiUrl(config.url, '/metrics.json', { model, since: String(from), until: String(to) }),
      {},
    );
    let res: Awaited<ReturnType<typeof requestJson>>;
    try {
      res = await requestJson('GET', url, undefined, undefined, headers);
    } catch (err) {
      const status = statusOfNotJson(err);
      if (status !== undefined && refusedCredentials(status)) throw refusal(model, status);
      // Not reached, no answer in time, or a proxy's 5xx page: each passes by itself.
      throw new MetricsError(`sandbox metrics unreachable: ${(err as Error).message}`, {
        passing: status === undefined || passingStatus(status),
      });
    }
    if (refusedCredentials(res.status)) throw refusal(model, res.status);
    if (res.status !== 200) {
      throw new MetricsError(`sandbox metrics for ${model}: ${errorText(res)}`, {
        passing: passingStatus(res.status),
      });
    }
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
    if (until < w.until - STALE_ALLOWANCE_MS) {
      throw new MetricsError(
        `sandbox metrics for ${model} are stale: they end at ${clockTime(until)}, ${Math.round((w.until - until) / 1000)} s before the window's end (is something caching /metrics.json?)`,
      );
    }
    // A sandbox that ignores `until` (older than `until=`) answers up to its now. Within the
    // second after the window's end that is what the window holds at whole-second resolution;
    // later, the counts would hold requests from after it.
    if (until > to && until - w.until > 1000) {
      throw new MetricsError(
        `sandbox metrics for ${model} run past the window asked for: they end at ${clockTime(until)}, not at ${clockTime(to)}; the sandbox at ${safeUrl(config.url).replace(/\/+$/, '')} ignores until= (it is older than this model-gate): run the same model-gate version for the sandbox`,
      );
    }
    const slot = parsed.data.slots[w.slot];
    // Counts of another version in the same slot are not this release's evidence.
    return slot && slot.version === w.version ? slot : undefined;
  }

  return {
    async requests(w) {
      return (await windowCounts(w))?.requests ?? 0;
    },
    async value(query, w) {
      const counts = await windowCounts(w);
      if (!counts || counts.requests === 0) return undefined;
      const tolerance = toleranceOf(query);
      return tolerance === undefined
        ? sandboxValue(query as SandboxQuery, counts, w)
        : agreementWithin(tolerance, counts);
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
    async droppedCopies(w) {
      return (await windowCounts(w))?.dropped;
    },
  };
}

/** A refused request; the url's credentials, if any, are not said (messages reach logs and the PR). */
function refusal(model: string, status: number): RefusedCredentialsError {
  return new RefusedCredentialsError(
    `sandbox metrics for ${model}: HTTP ${status}; the sandbox, or a proxy in front of it, refused the request: check the user:password in metrics.url (http://user:password@host:port), or add them if it asks for some`,
    `HTTP ${status}`,
  );
}

/** The whole seconds [from, to) of a window the sandbox is asked to count (see windowCounts). */
function countedSpan(w: MetricWindow): { from: number; to: number } {
  return { from: Math.ceil(w.since / 1000) * 1000, to: Math.floor(w.until / 1000) * 1000 };
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
    // Only a mirror drops copies: the stable and canary slots, which answer callers, drop none.
    case 'dropped':
      return c.dropped ?? 0;
    case 'offered':
      return c.requests + (c.dropped ?? 0);
    case 'conversions':
      return c.outcomes?.conversions ?? 0;
    case 'exposures':
      return c.outcomes?.exposures ?? 0;
    case 'users':
      return userCount(c.users, 'users');
    case 'exposed-users':
      return userCount(c.exposedUsers, 'exposed users');
    case 'converted-users':
      return userCount(c.convertedUsers, 'converted users');
  }
}

/** A user count, which a sandbox older than this model-gate does not send: no number to guess. */
function userCount(count: number | undefined, what: string): number {
  if (count === undefined) {
    throw new MetricsError(
      `the sandbox does not count ${what} (it is older than this model-gate): run the same model-gate version for the sandbox`,
    );
  }
  return count;
}

/**
 * The share of compared copies whose score is within `tolerance` of stable's. Exact: the tolerance
 * is one of the histogram's bounds (config validation), whose cumulative count is the copies at
 * most that far apart. A failed copy has no score, so it is in `compared` but in no bucket: it
 * stays a disagreement.
 */
function agreementWithin(tolerance: number, c: SlotCounts): number | undefined {
  const agreement = c.agreement;
  if (!agreement || agreement.compared === 0) return undefined;
  const buckets = agreement.scoreDiff?.buckets;
  if (!buckets) {
    throw new MetricsError(
      'the sandbox does not send score differences (it is older than this model-gate): run the same model-gate version for the sandbox',
    );
  }
  const within = buckets.find((b) => b.le === tolerance);
  if (!within) {
    const bounds = buckets.map((b) => b.le).filter((le) => le !== '+Inf');
    throw new MetricsError(
      `the sandbox counts score differences up to ${bounds.join(', ')} only, not ${tolerance}: set the agreement gate's tolerance to one of these`,
    );
  }
  return within.count / agreement.compared;
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
    case 'request-rate': {
      const { from, to } = countedSpan(w);
      return c.requests / Math.max(1, (to - from) / 1000);
    }
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
