/**
 * One run's traffic, tick by tick (5 s), for both arms at once: the same requests, errors,
 * null predictions, conversions and latencies are seen by every method.
 */
import type { Random } from '../src/core/random.js';
import { type Bucket, histogramQuantile } from '../src/metrics/histogram.js';
import { exceedanceEdge } from '../src/stats/latency.js';
import {
  BASE_RPS,
  BOUNDS,
  BUCKETS,
  BURST,
  bucketProbabilities,
  DAILY_AMPLITUDE,
  type Effect,
  type GateName,
  HORIZON_MINUTES,
  LEVELS,
  REFERENCE_MINUTES,
  SHOCK,
  TICK_SECONDS,
  TICKS_PER_MINUTE,
} from './model.js';
import { binomial, binomialSplit, poisson } from './sampling.js';

/** Cumulative counts of one arm since the step started. */
export interface ArmTotals {
  requests: number;
  errors: number;
  nulls: number;
  conversions: number;
  /** Requests slower than the reference p95 and p99 edges. */
  over95: number;
  over99: number;
}

/** The events a gate counts in one arm: the ratio and latency judges compare these between arms. */
export function eventsOf(gate: GateName, a: ArmTotals): number {
  switch (gate) {
    case 'errors':
      return a.errors;
    case 'nulls':
      return a.nulls;
    case 'p95':
      return a.over95;
    case 'p99':
      return a.over99;
    case 'conversion':
      return a.conversions;
  }
}

/** One arm's counts in one minute (Kayenta's and Flagger's data points). */
export interface ArmMinute {
  requests: number;
  errors: number;
  nulls: number;
  conversions: number;
  /** Non-cumulative bucket counts (filled when the minute ends). */
  histogram: Float64Array;
  /** Requests per super-bin: at most the p95 edge, between the edges, above the p99 edge. */
  bins: [number, number, number];
  /** The minute's p95 and p99 from its histogram (NaN without requests). */
  p95: number;
  p99: number;
}

const emptyTotals = (): ArmTotals => ({
  requests: 0,
  errors: 0,
  nulls: 0,
  conversions: 0,
  over95: 0,
  over99: 0,
});
const emptyMinute = (): ArmMinute => ({
  requests: 0,
  errors: 0,
  nulls: 0,
  conversions: 0,
  histogram: new Float64Array(BUCKETS),
  bins: [0, 0, 0],
  p95: Number.NaN,
  p99: Number.NaN,
});

export type Arm = 'canary' | 'baseline';

export class Traffic {
  readonly rng: Random;
  readonly totals: Record<Arm, ArmTotals> = { canary: emptyTotals(), baseline: emptyTotals() };
  readonly minutes: Record<Arm, ArmMinute[]> = { canary: [], baseline: [] };
  /** Index of the first bucket above each edge (requests in buckets ≥ it are slower than the edge). */
  readonly above95: number;
  readonly above99: number;
  readonly edge95: number;
  readonly edge99: number;
  private readonly needLatency: boolean;
  private readonly needErrors: boolean;
  private readonly needNulls: boolean;
  private readonly needConversions: boolean;
  /** Bucket probabilities per arm, [calm, shock]. */
  private readonly probabilities: Record<Arm, [Float64Array, Float64Array]>;
  /** Per arm and state: P(≤ p95 edge), P(between), P(> p99 edge). */
  private readonly binProbabilities: Record<Arm, [number[], number[]]>;
  private readonly dayPhase: number;
  private readonly ranges: [number, number][];
  /** Reused cumulative buckets for the minutes' quantiles. */
  private readonly scratch: Bucket[] = cumulativeBuckets(new Float64Array(BUCKETS));
  private burstLeft = 0;
  private shockLeft = 0;
  private rateFactor = 1;
  private shocked = false;
  tick = -1;

  constructor(
    rng: Random,
    readonly share: number,
    readonly effect: Effect,
    gates: readonly GateName[],
  ) {
    this.rng = rng;
    this.needLatency = gates.includes('p95') || gates.includes('p99');
    this.needErrors = gates.includes('errors') || gates.includes('nulls');
    this.needNulls = gates.includes('nulls');
    this.needConversions = gates.includes('conversion');
    const scale = effect.latencyScale ?? 1;
    this.probabilities = {
      baseline: [cachedProbabilities(1), cachedProbabilities(1, undefined, SHOCK.latency)],
      canary: [
        cachedProbabilities(scale, effect.tail),
        cachedProbabilities(scale, effect.tail, SHOCK.latency),
      ],
    };
    this.dayPhase = this.rng.next();
    // The stable version's latency before the step: where the latency judge places p95 and p99.
    const reference = this.referenceHistogram();
    this.edge95 = exceedanceEdge({ buckets: reference }, 0.95) ?? Number.POSITIVE_INFINITY;
    this.edge99 = exceedanceEdge({ buckets: reference }, 0.99) ?? Number.POSITIVE_INFINITY;
    this.above95 = BOUNDS.indexOf(this.edge95) + 1;
    this.above99 = BOUNDS.indexOf(this.edge99) + 1;
    const bins = (p: Float64Array) => {
      let low = 0;
      let mid = 0;
      let high = 0;
      p.forEach((x, k) => {
        if (k < this.above95) low += x;
        else if (k < this.above99) mid += x;
        else high += x;
      });
      return [low, mid, high];
    };
    this.ranges = [
      [0, this.above95],
      [this.above95, this.above99],
      [this.above99, BUCKETS],
    ];
    this.binProbabilities = {
      baseline: [bins(this.probabilities.baseline[0]), bins(this.probabilities.baseline[1])],
      canary: [bins(this.probabilities.canary[0]), bins(this.probabilities.canary[1])],
    };
  }

  /**
   * The true rate ratio, candidate over baseline, of a gate's events in calm traffic: what an
   * oracle would be told (conversions and nulls are per request here, as in the effect).
   */
  trueRatio(gate: GateName): number {
    const calm = (arm: Arm) => this.binProbabilities[arm][0];
    const over = (arm: Arm, from: number) =>
      calm(arm)
        .slice(from)
        .reduce((a, b) => a + b, 0);
    switch (gate) {
      case 'errors':
        return this.effect.error ?? 1;
      case 'nulls':
        return this.effect.null ?? 1;
      case 'conversion':
        return this.effect.conversion ?? 1;
      case 'p95':
        return over('canary', 1) / over('baseline', 1);
      case 'p99':
        return over('canary', 2) / over('baseline', 2);
    }
  }

  private referenceHistogram() {
    const p = this.probabilities.baseline[0];
    const n = BASE_RPS * 60 * REFERENCE_MINUTES;
    let acc = 0;
    return Array.from({ length: BUCKETS }, (_, k) => {
      if (this.needLatency) acc += poisson(this.rng, n * (p[k] as number));
      return { le: k < BOUNDS.length ? (BOUNDS[k] as number) : ('+Inf' as const), count: acc };
    });
  }

  get minute(): number {
    return Math.floor(this.tick / TICKS_PER_MINUTE);
  }

  /** Elapsed minutes at the end of the current tick. */
  get elapsedMinutes(): number {
    return ((this.tick + 1) * TICK_SECONDS) / 60;
  }

  /** Advance one tick (5 s) of traffic. */
  step(): void {
    this.tick++;
    if (this.tick % TICKS_PER_MINUTE === 0) this.startMinute();
    const canaryShare = this.share * (this.effect.splitFactor ?? 1);
    const mean = BASE_RPS * this.rateFactor * TICK_SECONDS;
    this.arm('canary', mean * canaryShare);
    this.arm('baseline', mean * (1 - canaryShare));
    if ((this.tick + 1) % TICKS_PER_MINUTE === 0) this.endMinute();
  }

  private startMinute(): void {
    const m = this.tick / TICKS_PER_MINUTE;
    if (this.burstLeft > 0) this.burstLeft--;
    else if (this.rng.next() < BURST.perMinute) this.burstLeft = 1 + Math.floor(this.rng.next() * 3);
    if (this.shockLeft > 0) this.shockLeft--;
    else if (this.rng.next() < SHOCK.perMinute) this.shockLeft = 2 + Math.floor(this.rng.next() * 5);
    this.shocked = this.shockLeft > 0;
    const day = 1 + DAILY_AMPLITUDE * Math.sin(2 * Math.PI * (this.dayPhase + m / (24 * 60)));
    this.rateFactor = day * (this.burstLeft > 0 ? BURST.factor : 1);
    this.minutes.canary.push(emptyMinute());
    this.minutes.baseline.push(emptyMinute());
  }

  /**
   * Fill the ending minute's histogram: each super-bin's requests spread over its buckets
   * (multinomial, given the minute's state), then the minute's p95 and p99.
   */
  private endMinute(): void {
    if (!this.needLatency) return;
    for (const arm of ['canary', 'baseline'] as const) {
      const minute = this.minutes[arm][this.minutes[arm].length - 1];
      if (!minute) continue;
      const p = this.probabilities[arm][this.shocked ? 1 : 0];
      this.ranges.forEach(([from, to], i) => {
        let left = minute.bins[i] as number;
        let mass = 0;
        for (let k = from; k < to; k++) mass += p[k] as number;
        for (let k = from; k < to && left > 0; k++) {
          const pk = p[k] as number;
          const c = k === to - 1 || mass <= 0 ? left : binomialSplit(this.rng, left, Math.min(1, pk / mass));
          minute.histogram[k] = c;
          left -= c;
          mass -= pk;
        }
      });
      let acc = 0;
      minute.histogram.forEach((c, k) => {
        acc += c;
        (this.scratch[k] as Bucket).count = acc;
      });
      minute.p95 = histogramQuantile(0.95, this.scratch) ?? Number.NaN;
      minute.p99 = histogramQuantile(0.99, this.scratch) ?? Number.NaN;
    }
  }

  private arm(arm: Arm, mean: number): void {
    const rng = this.rng;
    const totals = this.totals[arm];
    const minute = this.minutes[arm][this.minutes[arm].length - 1] as ArmMinute;
    let n = 0;
    if (this.needLatency) {
      // Poisson arrivals thinned into the three super-bins: independent Poisson counts.
      const q = this.binProbabilities[arm][this.shocked ? 1 : 0];
      const low = poisson(rng, mean * (q[0] as number));
      const mid = poisson(rng, mean * (q[1] as number));
      const high = poisson(rng, mean * (q[2] as number));
      minute.bins[0] += low;
      minute.bins[1] += mid;
      minute.bins[2] += high;
      totals.over95 += mid + high;
      totals.over99 += high;
      n = low + mid + high;
    } else {
      n = poisson(rng, mean);
    }
    totals.requests += n;
    minute.requests += n;
    const candidate = arm === 'canary';
    if (this.needErrors) {
      const rate =
        LEVELS.errorRate * (this.shocked ? SHOCK.error : 1) * (candidate ? (this.effect.error ?? 1) : 1);
      const errors = binomial(rng, n, rate);
      totals.errors += errors;
      minute.errors += errors;
      if (this.needNulls) {
        const nullRate =
          LEVELS.nullRate * (this.shocked ? SHOCK.null : 1) * (candidate ? (this.effect.null ?? 1) : 1);
        const nulls = binomial(rng, n - errors, nullRate);
        totals.nulls += nulls;
        minute.nulls += nulls;
      }
    }
    if (this.needConversions) {
      const rate =
        LEVELS.conversion *
        (this.shocked ? SHOCK.conversion : 1) *
        (candidate ? (this.effect.conversion ?? 1) : 1);
      const conversions = binomial(rng, n, rate);
      totals.conversions += conversions;
      minute.conversions += conversions;
    }
  }
}

export const HORIZON_TICKS = HORIZON_MINUTES * TICKS_PER_MINUTE;

const probabilityCache = new Map<string, Float64Array>();
function cachedProbabilities(scale: number, tail?: Effect['tail'], shock = 1): Float64Array {
  const key = `${scale}/${tail?.share}/${tail?.addMs}/${shock}`;
  let p = probabilityCache.get(key);
  if (!p) {
    p = bucketProbabilities(scale, tail, shock);
    probabilityCache.set(key, p);
  }
  return p;
}

/** Cumulative Prometheus-style buckets from per-bucket counts. */
export function cumulativeBuckets(h: Float64Array): Bucket[] {
  let acc = 0;
  return Array.from(h, (c, k) => {
    acc += c;
    return { le: k < BOUNDS.length ? (BOUNDS[k] as number) : ('+Inf' as const), count: acc };
  });
}
