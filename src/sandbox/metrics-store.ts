/**
 * Everything the sandbox counts, per (model, slot, version): running totals for /metrics and
 * per-second buckets (the last two hours) for exact windowed counts in /metrics.json.
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
} from './histogram.js';

export type Slot = 'stable' | 'canary';
export type Outcome = 'ok' | 'error' | 'null';

export interface Counts {
  requests: number;
  errors: number;
  nulls: number;
  latencyMs: Histogram;
  /** Scores of the requests that produced one (ok and null outcomes). */
  scores: Histogram;
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
}

export interface WindowReport {
  model: string;
  since: number;
  until: number;
  slots: Partial<Record<Slot, SlotCounts>>;
}

/** Seconds of per-second buckets kept. */
export const RETENTION_SECONDS = 2 * 60 * 60;

interface Series {
  key: SeriesKey;
  total: Counts;
  /** Epoch second -> counts of the requests completed in that second (insertion = time order). */
  seconds: Map<number, Counts>;
}

export class MetricsStore {
  private readonly series = new Map<string, Series>();
  /** model -> slot -> version that slot served last, for slots that are empty now. */
  private readonly lastServed = new Map<string, Map<Slot, string>>();
  readonly startedAt: number;

  constructor(private readonly now: () => number = Date.now) {
    this.startedAt = now();
  }

  record(key: SeriesKey, outcome: Outcome, latencyMs: number, score: number | undefined): void {
    const s = this.seriesFor(key);
    const second = Math.floor(this.now() / 1000);
    let bucket = s.seconds.get(second);
    if (!bucket) {
      bucket = emptyCounts();
      s.seconds.set(second, bucket);
      prune(s.seconds, second - RETENTION_SECONDS);
    }
    for (const c of [s.total, bucket]) {
      c.requests++;
      if (outcome === 'error') c.errors++;
      if (outcome === 'null') c.nulls++;
      observe(c.latencyMs, latencyMs);
      if (score !== undefined) observe(c.scores, score);
    }
    const slots = this.lastServed.get(key.model) ?? new Map<Slot, string>();
    this.lastServed.set(key.model, slots.set(key.slot, key.version));
  }

  /** Running totals of every series, for the Prometheus exposition. */
  totals(): SeriesTotals[] {
    return [...this.series.values()].map((s) => ({ ...s.key, counts: s.total }));
  }

  /**
   * Counts of the requests completed in [since, now] (whole seconds: the second containing
   * `since` is included), or since start when `since` is undefined. Each slot reports the version
   * it holds now (or, if it is empty now, the version it served last), and appears only when that
   * version served a request in the window.
   */
  window(model: string, current: Partial<Record<Slot, string>>, since?: number): WindowReport {
    const until = this.now();
    const report: WindowReport = { model, since: since ?? this.startedAt, until, slots: {} };
    for (const slot of ['stable', 'canary'] as const) {
      const version = current[slot] ?? this.lastServed.get(model)?.get(slot);
      if (version === undefined) continue;
      const s = this.series.get(seriesId({ model, slot, version }));
      if (!s) continue;
      const counts = since === undefined ? s.total : sumSince(s.seconds, Math.floor(since / 1000));
      if (counts.requests > 0) report.slots[slot] = toSlotCounts(version, counts);
    }
    return report;
  }

  private seriesFor(key: SeriesKey): Series {
    const id = seriesId(key);
    let s = this.series.get(id);
    if (!s) {
      s = { key: { ...key }, total: emptyCounts(), seconds: new Map() };
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
  };
}

function prune(seconds: Map<number, Counts>, oldestKept: number): void {
  for (const second of seconds.keys()) {
    if (second >= oldestKept) break;
    seconds.delete(second);
  }
}

function sumSince(seconds: Map<number, Counts>, fromSecond: number): Counts {
  const sum = emptyCounts();
  for (const [second, c] of seconds) {
    if (second < fromSecond) continue;
    sum.requests += c.requests;
    sum.errors += c.errors;
    sum.nulls += c.nulls;
    addInto(sum.latencyMs, c.latencyMs);
    addInto(sum.scores, c.scores);
  }
  return sum;
}

function toSlotCounts(version: string, c: Counts): SlotCounts {
  const json = (h: Histogram): JsonHistogram => ({
    buckets: cumulativeBuckets(h),
    sum: h.sum,
    count: h.count,
  });
  return {
    version,
    requests: c.requests,
    errors: c.errors,
    nulls: c.nulls,
    latencyMs: json(c.latencyMs),
    scores: json(c.scores),
  };
}
