/**
 * Everything the sandbox counts, per (model, slot, version): running totals for /metrics and
 * per-second buckets (the last two hours) for exact windowed counts in /metrics.json. Besides the
 * requests: the distinct sticky keys (users) that sent them, shadow agreement and dropped copies, outcome feedback (counted in the second it
 * arrives, with the distinct users it exposed and converted), and per model the fewest healthy
 * instances a rolling pool had while serving.
 */
import {
  addInto,
  type CumulativeBucket,
  cumulativeBuckets,
  type Histogram,
  LATENCY_BOUNDS_MS,
  newHistogram,
  observe,
  SCORE_BOUNDS,
  SCORE_DIFF_BOUNDS,
} from './histogram.js';

/** `shadow` receives copies of live requests (mirroring); callers never see its answers. */
export type Slot = 'stable' | 'canary' | 'shadow';
export type Outcome = 'ok' | 'error' | 'null';

export const SLOTS: readonly Slot[] = ['stable', 'canary', 'shadow'];

export interface Outcomes {
  /** Feedback records that carried a label. */
  labelled: number;
  /** Of those, the ones whose prediction equalled the label. */
  correct: number;
  conversions: number;
  /** Requests with a feedback record. */
  exposures: number;
}

export interface Counts {
  requests: number;
  errors: number;
  nulls: number;
  latencyMs: Histogram;
  /** Scores of the requests that produced one (ok and null outcomes). */
  scores: Histogram;
  /** Sticky routing: requests without the key header (they all go to stable). */
  unkeyed: number;
  /** Shadow: copies whose primary answer succeeded (a failed shadow answer counts, as a disagreement). */
  compared: number;
  /** Of those, the ones with the same prediction label (null equals null). */
  identical: number;
  /** |shadow score - primary score| of the copies both answered. */
  scoreDiff: Histogram;
  /** Shadow: copies not run because too many were in flight. */
  dropped: number;
  outcomes: Outcomes;
}

export interface SeriesKey {
  model: string;
  slot: Slot;
  version: string;
}

export interface SeriesTotals extends SeriesKey {
  counts: Counts;
}

export interface JsonHistogram {
  buckets: CumulativeBucket[];
  sum: number;
  count: number;
}

export interface SlotCounts {
  version: string;
  requests: number;
  errors: number;
  nulls: number;
  latencyMs: JsonHistogram;
  scores: JsonHistogram;
  unkeyed: number;
  /**
   * Distinct sticky keys (users) of the window's requests: the unit a key split randomises. From
   * the per-second buckets only, so a window since start covers at most their two hours.
   */
  users: number;
  /**
   * Distinct users with outcome feedback in the window, and of them those with a conversion: a key
   * split's conversion counts, since a user's requests share one arm and one propensity to convert
   * (counted per request, the test takes them as independent and finds winners by chance).
   */
  exposedUsers: number;
  convertedUsers: number;
  outcomes: Outcomes;
  /** Shadow slot only. */
  agreement?: { compared: number; identical: number; scoreDiff: JsonHistogram };
  /** Shadow slot only. */
  dropped?: number;
}

export interface WindowReport {
  model: string;
  since: number;
  until: number;
  slots: Partial<Record<Slot, SlotCounts>>;
  /** Rolling: the pool now, and the fewest healthy instances seen while serving in the window (null: none seen). */
  instances?: { total: number; healthy: number; minHealthySeen: number | null };
  /** Mirroring: shadow copies running now, and how many may run before copies are dropped. */
  mirror?: { inFlight: number; maxInFlight: number };
}

/** Seconds of per-second buckets kept. */
export const RETENTION_SECONDS = 2 * 60 * 60;

interface Series {
  key: SeriesKey;
  total: Counts;
  /** Epoch second -> counts of the requests completed in that second (insertion = time order). */
  seconds: Map<number, Counts>;
  /** Epoch second -> the sticky keys of those requests; no running total (it would grow unbounded). */
  users: Map<number, Set<string>>;
  /** Epoch second -> the sticky keys of the feedback that arrived in it, and of its conversions. */
  exposedUsers: Map<number, Set<string>>;
  convertedUsers: Map<number, Set<string>>;
}

type UserSets = 'users' | 'exposedUsers' | 'convertedUsers';

export class MetricsStore {
  private readonly series = new Map<string, Series>();
  /** model -> slot -> version that slot served last, for slots that are empty now. */
  private readonly lastServed = new Map<string, Map<Slot, string>>();
  /** model -> epoch second -> fewest healthy instances seen in it (insertion = time order). */
  private readonly healthy = new Map<string, { lowest: number; seconds: Map<number, number> }>();
  readonly startedAt: number;

  constructor(private readonly now: () => number = Date.now) {
    this.startedAt = now();
  }

  record(
    key: SeriesKey,
    outcome: Outcome,
    latencyMs: number,
    score: number | undefined,
    unkeyed = false,
    user?: string,
  ): void {
    this.update(key, (c) => {
      c.requests++;
      if (outcome === 'error') c.errors++;
      if (outcome === 'null') c.nulls++;
      if (unkeyed) c.unkeyed++;
      observe(c.latencyMs, latencyMs);
      if (score !== undefined) observe(c.scores, score);
    });
    if (user !== undefined) this.recordUser(key, 'users', user);
    const slots = this.lastServed.get(key.model) ?? new Map<Slot, string>();
    this.lastServed.set(key.model, slots.set(key.slot, key.version));
  }

  private recordUser(key: SeriesKey, sets: UserSets, user: string): void {
    const users = this.seriesFor(key)[sets];
    const second = Math.floor(this.now() / 1000);
    let seen = users.get(second);
    if (!seen) {
      seen = new Set();
      users.set(second, seen);
      prune(users, second - RETENTION_SECONDS);
    }
    seen.add(user);
  }

  /** A shadow answer compared with the primary answer to the same request. */
  recordAgreement(key: SeriesKey, identical: boolean, scoreDiff: number | undefined): void {
    this.update(key, (c) => {
      c.compared++;
      if (identical) c.identical++;
      if (scoreDiff !== undefined) observe(c.scoreDiff, scoreDiff);
    });
  }

  /** A shadow copy not run because too many were in flight. */
  recordDrop(key: SeriesKey): void {
    this.update(key, (c) => {
      c.dropped++;
    });
  }

  /**
   * Feedback on a request `key` served; `correct` is undefined when it carried no label. `user`:
   * the sticky key the request was routed by (none for an unkeyed request, which no user count holds).
   */
  recordOutcome(
    key: SeriesKey,
    outcome: { correct: boolean | undefined; converted: boolean },
    user?: string,
  ): void {
    this.update(key, (c) => {
      c.outcomes.exposures++;
      if (outcome.correct !== undefined) c.outcomes.labelled++;
      if (outcome.correct) c.outcomes.correct++;
      if (outcome.converted) c.outcomes.conversions++;
    });
    if (user === undefined) return;
    this.recordUser(key, 'exposedUsers', user);
    if (outcome.converted) this.recordUser(key, 'convertedUsers', user);
  }

  /** How many instances of a rolling pool were healthy when it served (or changed). */
  recordHealthy(model: string, healthy: number): void {
    const second = Math.floor(this.now() / 1000);
    let h = this.healthy.get(model);
    if (!h) {
      h = { lowest: healthy, seconds: new Map() };
      this.healthy.set(model, h);
    }
    h.lowest = Math.min(h.lowest, healthy);
    const seen = h.seconds.get(second);
    if (seen === undefined) prune(h.seconds, second - RETENTION_SECONDS);
    h.seconds.set(second, Math.min(seen ?? healthy, healthy));
  }

  /**
   * Fewest healthy instances recorded for `model` in [since, until), in whole seconds as `window`
   * counts them; since start when `since` is undefined, up to now when `until` is.
   */
  minHealthySeen(model: string, since?: number, until?: number): number | undefined {
    const h = this.healthy.get(model);
    if (!h) return undefined;
    const { from, to, everything } = this.span(since, until);
    if (everything) return h.lowest;
    let lowest: number | undefined;
    for (const [second, n] of h.seconds) {
      if (second >= from && second < to) lowest = Math.min(lowest ?? n, n);
    }
    return lowest;
  }

  /** Running totals of every series, for the Prometheus exposition. */
  totals(): SeriesTotals[] {
    return [...this.series.values()].map((s) => ({ ...s.key, counts: s.total }));
  }

  /**
   * Counts of the requests completed in [since, until), or since start when `since` is undefined
   * and up to now when `until` is undefined or later than now. Whole seconds: the second
   * containing `since` is counted and the one containing `until` is not, so [a, b) and [b, c)
   * add up to [a, c) exactly, and a window that has ended gives the same counts on every ask.
   * The report's `until` is the asked one, or now when that is earlier: what the counts cover.
   * Each slot reports the version it holds now (or, if it is empty now, the version it served
   * last), and appears only when that version served a request in the window (or had a shadow
   * copy dropped, or feedback arrive).
   */
  window(
    model: string,
    current: Partial<Record<Slot, string>>,
    since?: number,
    until?: number,
  ): WindowReport {
    const span = this.span(since, until);
    const report: WindowReport = { model, since: since ?? this.startedAt, until: span.until, slots: {} };
    for (const slot of SLOTS) {
      const version = current[slot] ?? this.lastServed.get(model)?.get(slot);
      if (version === undefined) continue;
      const s = this.series.get(seriesId({ model, slot, version }));
      if (!s) continue;
      const counts = span.everything ? s.total : sumSeconds(s.seconds, span);
      if (counts.requests > 0 || counts.dropped > 0 || counts.outcomes.exposures > 0) {
        report.slots[slot] = toSlotCounts(slot, version, counts, {
          users: distinctUsers(s.users, span),
          exposedUsers: distinctUsers(s.exposedUsers, span),
          convertedUsers: distinctUsers(s.convertedUsers, span),
        });
      }
    }
    return report;
  }

  /**
   * The epoch seconds [from, to) of a window (see `window`), and the `until` its counts cover. An
   * `until` later than now counts up to now, the current second included.
   */
  private span(since: number | undefined, until: number | undefined) {
    const now = this.now();
    const upToNow = until === undefined || until > now;
    return {
      from: since === undefined ? Number.NEGATIVE_INFINITY : Math.floor(since / 1000),
      to: upToNow ? Number.POSITIVE_INFINITY : Math.floor(until / 1000),
      until: upToNow ? now : until,
      /** Since start and up to now: the running totals (they outlive the per-second buckets). */
      everything: since === undefined && upToNow,
    };
  }

  /** Applies `change` to the running totals and to the current second's bucket. */
  private update(key: SeriesKey, change: (c: Counts) => void): void {
    const s = this.seriesFor(key);
    const second = Math.floor(this.now() / 1000);
    let bucket = s.seconds.get(second);
    if (!bucket) {
      bucket = emptyCounts();
      s.seconds.set(second, bucket);
      prune(s.seconds, second - RETENTION_SECONDS);
    }
    change(s.total);
    change(bucket);
  }

  private seriesFor(key: SeriesKey): Series {
    const id = seriesId(key);
    let s = this.series.get(id);
    if (!s) {
      s = {
        key: { ...key },
        total: emptyCounts(),
        seconds: new Map(),
        users: new Map(),
        exposedUsers: new Map(),
        convertedUsers: new Map(),
      };
      this.series.set(id, s);
    }
    return s;
  }
}

// JSON of the parts cannot collide, whatever characters the names contain.
const seriesId = (k: SeriesKey) => JSON.stringify([k.model, k.slot, k.version]);

function emptyCounts(): Counts {
  return {
    requests: 0,
    errors: 0,
    nulls: 0,
    latencyMs: newHistogram(LATENCY_BOUNDS_MS),
    scores: newHistogram(SCORE_BOUNDS),
    unkeyed: 0,
    compared: 0,
    identical: 0,
    scoreDiff: newHistogram(SCORE_DIFF_BOUNDS),
    dropped: 0,
    outcomes: { labelled: 0, correct: 0, conversions: 0, exposures: 0 },
  };
}

function prune(seconds: Map<number, unknown>, oldestKept: number): void {
  for (const second of seconds.keys()) {
    if (second >= oldestKept) break;
    seconds.delete(second);
  }
}

function sumSeconds(seconds: Map<number, Counts>, { from, to }: { from: number; to: number }): Counts {
  const sum = emptyCounts();
  for (const [second, c] of seconds) {
    if (second < from || second >= to) continue;
    sum.requests += c.requests;
    sum.errors += c.errors;
    sum.nulls += c.nulls;
    addInto(sum.latencyMs, c.latencyMs);
    addInto(sum.scores, c.scores);
    sum.unkeyed += c.unkeyed;
    sum.compared += c.compared;
    sum.identical += c.identical;
    addInto(sum.scoreDiff, c.scoreDiff);
    sum.dropped += c.dropped;
    sum.outcomes.labelled += c.outcomes.labelled;
    sum.outcomes.correct += c.outcomes.correct;
    sum.outcomes.conversions += c.outcomes.conversions;
    sum.outcomes.exposures += c.outcomes.exposures;
  }
  return sum;
}

function distinctUsers(users: Map<number, Set<string>>, { from, to }: { from: number; to: number }): number {
  const seen = new Set<string>();
  for (const [second, keys] of users) {
    if (second < from || second >= to) continue;
    for (const key of keys) seen.add(key);
  }
  return seen.size;
}

function toSlotCounts(slot: Slot, version: string, c: Counts, users: Pick<SlotCounts, UserSets>): SlotCounts {
  const json = (h: Histogram): JsonHistogram => ({
    buckets: cumulativeBuckets(h),
    sum: h.sum,
    count: h.count,
  });
  const counts: SlotCounts = {
    version,
    requests: c.requests,
    errors: c.errors,
    nulls: c.nulls,
    latencyMs: json(c.latencyMs),
    scores: json(c.scores),
    unkeyed: c.unkeyed,
    ...users,
    outcomes: { ...c.outcomes },
  };
  if (slot === 'shadow') {
    counts.agreement = { compared: c.compared, identical: c.identical, scoreDiff: json(c.scoreDiff) };
    counts.dropped = c.dropped;
  }
  return counts;
}
