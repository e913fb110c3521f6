import type { GateConfig } from '../config/types.js';
import { MetricsError } from '../core/errors.js';
import { NoDataError } from '../metrics/no-data.js';
import { RateLimitedError } from '../metrics/passing-fault.js';
import { InvalidCountError } from '../metrics/reduce.js';
import type { MetricSource, MetricWindow } from '../metrics/source.js';
import { utcMinute } from '../report/format.js';
import { platformNameOf } from '../targets/target.js';
import type { ReleaseContext } from './context.js';
import { type LeftLive, withdrawLeftLive } from './left-live.js';
import type { GateState, Release } from './types.js';

// Before the candidate is deployed, each gate's metric queries are read once on the stable version
// over a recent window. A source that cannot answer at all (unreachable, a credential it refuses, a
// query it rejects) would leave the candidate's traffic unwatched for consecutive-error-limit looks
// (minutes at a 30 s interval) before a rollback: found here, nothing is deployed. No data is not a
// failure (stable may be idle, a counter not scraped yet): only the source's errors count.
// A source that met only passing faults (a rate limit, throttling, a 5xx, a timeout, no answer)
// judged nothing: its end is recorded so that a re-run of the same head analyses it again
// (unreadBeforeTraffic); refused credentials and a rejected query end it as a failed head.

/** The phase row of a release the check ended: it says where it failed, and that no caller saw the candidate. */
export const METRICS_CHECK = 'metrics check before traffic';

/** How far back the check reads: long enough for a `rate(...[{{window}}])` to be a valid query. */
const RECENT_MS = 5 * 60_000;

/** One distinct read of the source, and the gates that depend on it. */
interface Read {
  run: (metrics: MetricSource, w: MetricWindow) => Promise<unknown>;
  gates: Set<string>;
}

/** The reads a gate's looks make, keyed by method and query (one read per distinct pair). */
function readsOf(gate: GateConfig): [string, Read['run']][] {
  const count = (q: string): [string, Read['run']] => [
    `count\n${q}`,
    (m, w) => m.count?.(q, w) ?? Promise.resolve(undefined),
  ];
  const buckets = (q: string): [string, Read['run']] => [
    `buckets\n${q}`,
    (m, w) => m.buckets?.(q, w) ?? Promise.resolve(undefined),
  ];
  const requests: [string, Read['run']] = ['requests', (m, w) => m.requests(w)];
  switch (gate.kind) {
    case 'threshold':
      return [requests, [`value\n${gate.query}`, (m, w) => m.value(gate.query, w)]];
    case 'ratio':
      return [requests, count(gate.events), count(gate.total)];
    case 'latency':
    case 'drift':
      return [requests, buckets(gate.buckets)];
    case 'srm':
      return [requests, ...(gate.units ? [count(gate.units)] : [])];
    case 'conversion':
      return [requests, count(gate.conversions), count(gate.exposures)];
    // A webhook is no metric source; an offline gate was checked before the release began.
    case 'webhook':
    case 'offline':
      return [];
  }
}

/**
 * What a read met: the source's words, whether the fault passes by itself (the source's
 * MetricsError says so), and when its rate limit resets (epoch ms) where it said.
 */
interface Unread {
  said: string;
  passing: boolean;
  resetAt?: number;
}

/** What the source said, or undefined where it answered (with data or without). */
async function errorOf(read: Read, metrics: MetricSource, w: MetricWindow): Promise<Unread | undefined> {
  try {
    await read.run(metrics, w);
    return undefined;
  } catch (err) {
    // An answer without (usable) data: the source works, the traffic is what is missing.
    if (err instanceof NoDataError || err instanceof InvalidCountError) return undefined;
    // Anything else (a defect in model-gate) is the gates' looks to meet and report, as they do.
    if (!(err instanceof MetricsError)) return undefined;
    const said = withoutLookAdvice(err.message);
    return { said, passing: err.passing, ...(err instanceof RateLimitedError ? { resetAt: err.until } : {}) };
  }
}

/**
 * The source's words less its advice to the looks under traffic (lengthen the strategy's interval,
 * a look not counted against consecutive-error-limit): before any traffic, a re-run is what helps.
 */
const withoutLookAdvice = (said: string): string =>
  said
    .split('; ')
    .filter((clause) => !/lengthen the strategy's interval|consecutive-error-limit/.test(clause))
    .join('; ');

/**
 * The release ended before its first traffic change where a gate's metric source could not be
 * read; undefined where every read answered, with data or without. The reads run at once, one
 * per distinct query.
 */
export async function metricsPreflight(release: Release, ctx: ReleaseContext): Promise<Release | undefined> {
  // A file in the repository is no service to reach, and its path may name a window or a slot whose
  // file a step writes only once the candidate has traffic: read it before, it is missing.
  if (ctx.config.metrics.type === 'file') return undefined;
  const reads = new Map<string, Read>();
  const live = new Set(release.gates.map((g) => g.name));
  for (const gate of ctx.config.gates.filter((g) => live.has(g.name))) {
    for (const [key, run] of readsOf(gate)) {
      const read = reads.get(key) ?? { run, gates: new Set<string>() };
      read.gates.add(gate.name);
      reads.set(key, read);
    }
  }
  if (reads.size === 0) return undefined;
  // An error that passes (a 503, a 429, a reset connection) must not fail a head for good: the
  // reads that erred are made again, TRIES times in all, PAUSE_MS apart.
  let failing = [...reads.values()];
  let said: (Unread | undefined)[] = [];
  for (let tries = 1; ; tries++) {
    const window = recentWindow(release, ctx);
    said = await Promise.all(failing.map((r) => errorOf(r, ctx.metrics, window)));
    const erred = failing.filter((_, i) => said[i] !== undefined);
    if (erred.length === 0) return undefined;
    if (tries >= TRIES) break;
    [failing, said] = [erred, []];
    await ctx.clock.sleep(PAUSE_MS);
  }
  // Each gate's first error; gates that met the same words are named together.
  const byGate = new Map<string, string>();
  const resets: number[] = [];
  failing.forEach((read, i) => {
    const error = said[i];
    if (error === undefined) return;
    const first = [...read.gates].filter((gate) => !byGate.has(gate));
    for (const gate of first) byGate.set(gate, error.said);
    if (first.length > 0 && error.resetAt !== undefined) resets.push(error.resetAt);
  });
  const passing = said.every((e) => e === undefined || e.passing);
  const left = await withdrawLeftLive(release, ctx);
  return endedUnread(release, byGate, ctx, ctx.clock.now(), left, { passing, resets });
}

/**
 * A release the check ended having met only passing faults, its candidate never deployed by it:
 * its one phase row, the check's, has no outcome, as the check judged nothing. A run on the same
 * head analyses it again (pull-request.ts); a record stored before this rule reads as failed.
 */
export const unreadBeforeTraffic = (r: Release): boolean => {
  const [row, ...more] = r.phases;
  return (
    r.status === 'failed' &&
    r.phase < 0 &&
    more.length === 0 &&
    row?.name === METRICS_CHECK &&
    row.endedAt !== undefined &&
    row.outcome === undefined &&
    !r.withdrawPending
  );
};

/** ` (after 2026-12-01 21:12 UTC)`, the latest reset a source's rate limit said (RateLimitedError); else nothing. */
const resetWords = (resets: number[]): string =>
  resets.length === 0 ? '' : ` (after ${utcMinute(Math.max(...resets), 'up')})`;

/**
 * How often the check reads a source that erred, and how far apart: a passing fault passes within
 * it. The looks after it read a source refusing the credentials so too (metrics-refusals.ts).
 */
export const TRIES = 3;

/**
 * How a reason or phase note of a check that met only passing faults opens its advice (endedUnread):
 * said while the PR is open, dropped once it merged (phase-notes.ts withoutOpenPrAdvice).
 */
export const RERUN_ONCE = 're-run the job once ';
export const PAUSE_MS = 5_000;

/** The stable version's last RECENT_MS, as the check reads it now. */
function recentWindow(release: Release, ctx: ReleaseContext): MetricWindow {
  const now = ctx.clock.now();
  return {
    model: release.model,
    slot: 'stable',
    version: release.from,
    name: platformNameOf(ctx.target, release.from),
    since: Math.max(0, now - RECENT_MS),
    until: now,
  };
}

/** Failed, nothing deployed: the gates that could not read their metrics, and why, in the source's words. */
function endedUnread(
  release: Release,
  byGate: Map<string, string>,
  ctx: ReleaseContext,
  now: number,
  left: LeftLive,
  met: { passing: boolean; resets: number[] },
): Release {
  const groups = new Map<string, string[]>();
  for (const [gate, error] of byGate) groups.set(error, [...(groups.get(error) ?? []), gate]);
  const source = ctx.config.metrics.type;
  const said = [...groups]
    .map(([error, gates]) => `${gates.length > 1 ? 'gates' : 'gate'} ${gates.join(', ')}: ${error}`)
    .join('; ');
  const withdrawn = 'done' in left && left.done === 'withdrawn';
  const kept = withdrawn
    ? `${release.to} was withdrawn (an earlier run had given it traffic before it stopped)`
    : 'unread' in left
      ? `${release.to} was not deployed by this run; whether an earlier one left it live could not be read: ${left.unread}`
      : `${release.to} was not deployed and got no traffic`;
  const why = `the metrics source (${source}) could not be read before any traffic, so no gate could watch ${release.to}: ${said}; ${kept}`;
  const note = `${kept}: the metrics source (${source}) could not be read`;
  // Withdrawn, it had served callers: a failure as before, not analysed again on this head.
  const forNow = met.passing && !withdrawn;
  const gates = release.gates.map((g): GateState => {
    const error = byGate.get(g.name);
    if (error === undefined) return g;
    return {
      ...g,
      verdict: 'fail',
      consecutiveErrors: 1,
      last: { at: now, verdict: 'error', note: error },
      reason: `${g.name}: ${source} could not be read before any traffic: ${error}`,
    };
  });
  if (forNow) {
    // Tersely, what to do first: the commit status keeps 140 characters of the reason.
    const [notDeployed, unread] =
      'unread' in left
        ? [
            'not deployed by this run',
            `; whether an earlier one left it live could not be read: ${left.unread}`,
          ]
        : ['not deployed', ''];
    const rerun = `${RERUN_ONCE}${source} answers${resetWords(met.resets)}`;
    return {
      ...release,
      status: 'failed',
      updatedAt: now,
      gates,
      phases: [
        ...release.phases,
        { name: METRICS_CHECK, weight: 0, startedAt: now, endedAt: now, note: `${note}; ${rerun}` },
      ],
      reason: `${release.to} ${notDeployed}: metrics source ${source} unreadable before traffic; ${rerun}: ${said}${unread}`,
    };
  }
  return {
    ...release,
    status: 'failed',
    updatedAt: now,
    gates,
    // Withdrawn, it had served callers: no 0% row saying it never did (the report says rolled back).
    phases: withdrawn
      ? release.phases
      : [
          ...release.phases,
          { name: METRICS_CHECK, weight: 0, startedAt: now, endedAt: now, outcome: 'failed', note },
        ],
    reason: `${METRICS_CHECK} failed: ${why}`,
  };
}
