/**
 * The four methods of the benchmark, each watching one run's traffic as it arrives:
 * ours (the anytime-valid judges of src/stats, every 5 s, the count judges against the requests
 * each arm served), Kayenta-style (Mann-Whitney on one-minute data points, judged every 10
 * minutes), Flagger-style thresholds (the threshold gate of src/gates, on the last minute,
 * checked every minute) and a fixed-horizon z-test sized for 80% power (one look at its planned
 * sample size).
 */
import type { ThresholdGateConfig } from '../src/config/types.js';
import { foldMeasurement, measureThreshold } from '../src/gates/threshold-gate.js';
import { histogramQuantile } from '../src/metrics/histogram.js';
import type { MetricSource, MetricWindow } from '../src/metrics/source.js';
import type { GateState } from '../src/release/types.js';
import { decideConversion } from '../src/stats/conversion.js';
import { type CountTest, countTest, observedShare } from '../src/stats/counts.js';
import { sampleSizeTwoProportions, zTestProportions } from '../src/stats/fixed-horizon.js';
import type { Verdict } from '../src/stats/judgment.js';
import { classifyMetric, scoreMetrics } from '../src/stats/kayenta.js';
import { type SrmTest, srmTest } from '../src/stats/srm.js';
import { exceedance, type GateName, LEVELS, normalQuantileMs, TICKS_PER_MINUTE } from './model.js';
import {
  type Arm,
  type ArmMinute,
  type ArmTotals,
  cumulativeBuckets,
  eventsOf,
  type Traffic,
} from './traffic.js';

/** What happened to one gate in one run: ticks (−1: never) and canary requests at the failure. */
export interface Outcome {
  failTick: number;
  failRequests: number;
  /** When the gate passed (for ours: only once the split was verified). */
  passTick: number;
  /** Ours: when the gate's own test passed, split verified or not. */
  rawPassTick: number;
}

export const fresh = (): Outcome => ({ failTick: -1, failRequests: -1, passTick: -1, rawPassTick: -1 });

export interface Monitor {
  readonly outcomes: Map<string, Outcome>;
  done: boolean;
  look(t: Traffic): Promise<void> | void;
}

/** Tolerated relative increase for the count and latency gates of ours and the fixed-horizon test. */
export const MAX_INCREASE = 0.1;
/** How far the observed split may stray before a mismatch is flagged (and within which it is verified). */
export const MAX_MISMATCH = 0.1;

// ── ours ─────────────────────────────────────────────────────────────────────────────────

/**
 * The requests a gate's events are counted against (its `total`), as the ratio and latency gates
 * read them: null predictions are per answered request, the rest per request.
 */
const exposureKind = (g: GateName) => (g === 'nulls' ? 'answered' : 'requests');
const exposureOf = (g: GateName, a: ArmTotals) =>
  exposureKind(g) === 'answered' ? a.requests - a.errors : a.requests;

export class Ours implements Monitor {
  readonly outcomes = new Map<string, Outcome>();
  done = false;
  private readonly srm: SrmTest;
  private srmPassTick = -1;
  private srmDone = false;

  constructor(
    private readonly gates: readonly GateName[],
    share: number,
    private readonly alpha: number,
  ) {
    this.srm = srmTest([share, 1 - share], alpha, MAX_MISMATCH);
    for (const g of gates) this.outcomes.set(g, fresh());
    this.outcomes.set('srm', fresh());
  }

  look(t: Traffic): void {
    const c = t.totals.canary;
    const b = t.totals.baseline;
    if (!this.srmDone) {
      const o = this.outcomes.get('srm') as Outcome;
      const observed = [c.requests, b.requests];
      if (this.srm.mismatch(observed)) {
        o.failTick = t.tick;
        o.failRequests = c.requests;
        this.srmDone = true;
      } else if (this.srmPassTick < 0 && this.srm.verified(observed)) {
        this.srmPassTick = t.tick;
        o.passTick = t.tick;
        o.rawPassTick = t.tick;
      }
    }
    let open = 0;
    // One count test per exposure and look: gates that count the same requests share it.
    const tests: Partial<Record<'requests' | 'answered', CountTest>> = {};
    for (const g of this.gates) {
      const o = this.outcomes.get(g) as Outcome;
      if (o.failTick >= 0 || o.passTick >= 0) continue;
      const kind = exposureKind(g);
      if (g !== 'conversion' && !(kind in tests)) tests[kind] = this.count(g, c, b);
      const count = tests[kind];
      if (this.fails(g, c, b, count)) {
        o.failTick = t.tick;
        o.failRequests = c.requests;
        continue;
      }
      // Once its own test has passed, a gate only waits for the split check (and keeps
      // watching for a failure): a mismatch would invalidate the pass.
      if (o.rawPassTick < 0 && this.passes(g, c, b, count)) o.rawPassTick = t.tick;
      if (o.rawPassTick >= 0 && this.srmPassTick >= 0) {
        o.passTick = t.tick;
        continue;
      }
      open++;
    }
    this.done = open === 0 && (this.srmDone || this.srmPassTick >= 0);
  }

  private conversionAt = -1;
  private conversionVerdict: Verdict = 'inconclusive';

  /** The conversion judge's verdict at this look (computed once per look). */
  private conversion(c: ArmTotals, b: ArmTotals): Verdict {
    if (this.conversionAt !== c.requests + b.requests) {
      this.conversionAt = c.requests + b.requests;
      this.conversionVerdict =
        c.requests === 0 || b.requests === 0
          ? 'inconclusive'
          : decideConversion(
              { direction: 'decrease', alpha: this.alpha },
              c.conversions,
              c.requests,
              b.conversions,
              b.requests,
            ).verdict;
    }
    return this.conversionVerdict;
  }

  /**
   * The count test at this look, as judgeCounts builds it: against the share of the requests the
   * arms served so far (the configured share is the split check's alone). Undefined without
   * requests on an arm (the judge is inconclusive then).
   */
  private count(g: GateName, c: ArmTotals, b: ArmTotals): CountTest | undefined {
    const share = observedShare(exposureOf(g, c), exposureOf(g, b));
    if (!(share > 0 && share < 1)) return undefined;
    return countTest({ share, maxIncrease: MAX_INCREASE, alpha: this.alpha });
  }

  private fails(g: GateName, c: ArmTotals, b: ArmTotals, count: CountTest | undefined): boolean {
    if (g === 'conversion') return this.conversion(c, b) === 'fail';
    return count?.fails(eventsOf(g, c), eventsOf(g, b)) ?? false;
  }

  private passes(g: GateName, c: ArmTotals, b: ArmTotals, count: CountTest | undefined): boolean {
    if (g === 'conversion') return this.conversion(c, b) === 'pass';
    return count?.passes(eventsOf(g, c), eventsOf(g, b)) ?? false;
  }
}

// ── Kayenta-style ────────────────────────────────────────────────────────────────────────

export const KAYENTA_INTERVAL_MINUTES = 10;

/** A gate's value in one minute of one arm, as Kayenta's metric series would hold it. */
function minuteValue(g: GateName, m: ArmMinute): number {
  switch (g) {
    case 'errors':
      return m.errors / m.requests;
    case 'nulls':
      return m.nulls / (m.requests - m.errors);
    case 'conversion':
      return m.conversions / m.requests;
    case 'p95':
      return m.p95;
    case 'p99':
      return m.p99;
  }
}

export class Kayenta implements Monitor {
  readonly outcomes = new Map<string, Outcome>();
  done = false;

  constructor(private readonly gates: readonly GateName[]) {
    for (const g of gates) this.outcomes.set(g, fresh());
  }

  look(t: Traffic): void {
    if ((t.tick + 1) % (KAYENTA_INTERVAL_MINUTES * TICKS_PER_MINUTE) !== 0) return;
    let open = 0;
    for (const g of this.gates) {
      const o = this.outcomes.get(g) as Outcome;
      if (o.failTick >= 0) continue;
      // Every judgment uses all the data since the step started (Kayenta's lifetime analysis).
      const series = (arm: Arm) => t.minutes[arm].map((m) => minuteValue(g, m));
      // One metric: a High (Low for conversion) scores 0, below Kayenta's marginal level: a failure.
      const result = classifyMetric(series('baseline'), series('canary'), {
        direction: g === 'conversion' ? 'decrease' : 'increase',
        explain: false,
      });
      if (scoreMetrics([{ result }]).classification === 'Fail') {
        o.failTick = t.tick;
        o.failRequests = t.totals.canary.requests;
      } else open++;
    }
    this.done = open === 0;
  }
}

// ── Flagger-style thresholds ─────────────────────────────────────────────────────────────

/** Hand-set bounds halfway between the healthy level and a clear regression, as a user would. */
export function thresholdGates(): Record<GateName, ThresholdGateConfig> {
  const gate = (
    name: GateName,
    query: string,
    bound: { max?: number; min?: number },
  ): ThresholdGateConfig => ({
    kind: 'threshold',
    name,
    query,
    ...bound,
    failureLimit: 4, // Flagger's `threshold: 5`: the fifth failed check rolls back
    consecutiveErrorLimit: 4,
  });
  return {
    errors: gate('errors', 'error-rate', { max: 1.5 * LEVELS.errorRate }),
    nulls: gate('nulls', 'null-rate', { max: 1.5 * LEVELS.nullRate }),
    p95: gate('p95', 'latency-p95', { max: 1.15 * normalQuantileMs(0.95) }),
    p99: gate('p99', 'latency-p99', { max: 1.5 * normalQuantileMs(0.99) }),
    conversion: gate('conversion', 'conversion-rate', { min: 0.925 * LEVELS.conversion }),
  };
}

/** The run's traffic as a metrics backend, over whole minutes of the window. */
class MinuteSource implements MetricSource {
  constructor(private readonly t: Traffic) {}

  private minutesIn(w: MetricWindow): ArmMinute[] {
    const arm: Arm = w.slot === 'canary' ? 'canary' : 'baseline';
    const from = Math.ceil(w.since / 60_000);
    const to = Math.floor(w.until / 60_000);
    return this.t.minutes[arm].slice(from, to);
  }

  async requests(w: MetricWindow): Promise<number> {
    return this.minutesIn(w).reduce((n, m) => n + m.requests, 0);
  }

  async value(query: string, w: MetricWindow): Promise<number | undefined> {
    const ms = this.minutesIn(w);
    const sum = (f: (m: ArmMinute) => number) => ms.reduce((n, m) => n + f(m), 0);
    const requests = sum((m) => m.requests);
    if (requests === 0) return undefined;
    switch (query) {
      case 'error-rate':
        return sum((m) => m.errors) / requests;
      case 'null-rate':
        return sum((m) => m.nulls) / (requests - sum((m) => m.errors));
      case 'conversion-rate':
        return sum((m) => m.conversions) / requests;
      case 'latency-p95':
      case 'latency-p99': {
        const q = query === 'latency-p95' ? 0.95 : 0.99;
        const only = ms.length === 1 ? ms[0] : undefined;
        if (only) return q === 0.95 ? only.p95 : only.p99;
        const h = new Float64Array(ms[0]?.histogram.length ?? 0);
        for (const m of ms)
          for (let k = 0; k < h.length; k++) h[k] = (h[k] as number) + (m.histogram[k] as number);
        return histogramQuantile(q, cumulativeBuckets(h));
      }
      default:
        return undefined;
    }
  }
}

export class Threshold implements Monitor {
  readonly outcomes = new Map<string, Outcome>();
  done = false;
  private readonly states = new Map<GateName, GateState>();
  private readonly configs = thresholdGates();

  constructor(private readonly gates: readonly GateName[]) {
    for (const g of gates) {
      this.outcomes.set(g, fresh());
      this.states.set(g, {
        name: g,
        kind: 'threshold',
        verdict: 'pending',
        failures: 0,
        inconclusives: 0,
        consecutiveErrors: 0,
      });
    }
  }

  async look(t: Traffic): Promise<void> {
    if ((t.tick + 1) % TICKS_PER_MINUTE !== 0) return;
    const now = (t.tick + 1) * 5_000;
    const metrics = new MinuteSource(t);
    let open = 0;
    for (const g of this.gates) {
      const o = this.outcomes.get(g) as Outcome;
      if (o.failTick >= 0) continue;
      const config = this.configs[g];
      // Flagger queries the last `interval` (1 minute) at every check.
      const m = await measureThreshold(config, {
        metrics,
        model: 'bench',
        stable: 'v1',
        candidate: 'v2',
        since: now - 60_000,
        now,
        minRequests: 0,
      });
      const state = foldMeasurement(this.states.get(g) as GateState, config, m);
      this.states.set(g, state);
      if (state.verdict === 'fail') {
        o.failTick = t.tick;
        o.failRequests = t.totals.canary.requests;
      } else open++;
    }
    this.done = open === 0;
  }
}

// ── fixed horizon ────────────────────────────────────────────────────────────────────────

/**
 * The planned sample size of the fixed-horizon test, in candidate requests: 80% power at
 * alpha 0.05 (one-sided) for the family's design effect, with the same tolerance as ours.
 */
export function fixedHorizonSize(g: GateName, share: number): number {
  const ratio = (1 - share) / share;
  const common = { alpha: 0.05, power: 0.8, ratio };
  const q95 = normalQuantileMs(0.95);
  const q99 = normalQuantileMs(0.99);
  switch (g) {
    case 'errors':
      return sampleSizeTwoProportions({ ...common, baseline: 0.01, candidate: 0.02, margin: MAX_INCREASE });
    case 'nulls':
      return sampleSizeTwoProportions({ ...common, baseline: 0.005, candidate: 0.01, margin: MAX_INCREASE });
    case 'p95':
      return sampleSizeTwoProportions({
        ...common,
        baseline: 0.05,
        candidate: exceedance(q95, { latencyScale: 1.25 }),
        margin: MAX_INCREASE,
      });
    case 'p99':
      return sampleSizeTwoProportions({
        ...common,
        baseline: 0.01,
        candidate: exceedance(q99, { tail: { share: 0.01, addMs: 300 } }),
        margin: MAX_INCREASE,
      });
    case 'conversion':
      return sampleSizeTwoProportions({ ...common, baseline: 0.05, candidate: 0.045 });
  }
}

/** The design effect each fixed-horizon test is sized for, in words. */
export const FIXED_HORIZON_DESIGN: Record<GateName, string> = {
  errors: 'errors 1% → 2%',
  nulls: 'nulls 0.5% → 1%',
  p95: 'p95 +25%',
  p99: '1% of requests +300 ms',
  conversion: 'conversion −10%',
};

export class FixedHorizon implements Monitor {
  readonly outcomes = new Map<string, Outcome>();
  done = false;
  private readonly sizes: Map<GateName, number>;

  constructor(
    private readonly gates: readonly GateName[],
    share: number,
  ) {
    this.sizes = new Map(gates.map((g) => [g, fixedHorizonSize(g, share)]));
    for (const g of gates) this.outcomes.set(g, fresh());
  }

  look(t: Traffic): void {
    const c = t.totals.canary;
    const b = t.totals.baseline;
    let open = 0;
    for (const g of this.gates) {
      const o = this.outcomes.get(g) as Outcome;
      if (o.failTick >= 0 || o.passTick >= 0) continue;
      if (c.requests < (this.sizes.get(g) as number)) {
        open++;
        continue;
      }
      const p = this.test(g, c, b);
      if (p < 0.05) {
        o.failTick = t.tick;
        o.failRequests = c.requests;
      } else o.passTick = t.tick;
    }
    this.done = open === 0;
  }

  private test(g: GateName, c: ArmTotals, b: ArmTotals): number {
    const f = 1 + MAX_INCREASE;
    switch (g) {
      case 'errors':
        return zTestProportions(
          { events: c.errors, total: c.requests },
          { events: b.errors, total: b.requests },
          f,
        ).pValue;
      case 'nulls':
        return zTestProportions(
          { events: c.nulls, total: c.requests - c.errors },
          { events: b.nulls, total: b.requests - b.errors },
          f,
        ).pValue;
      case 'p95':
        return zTestProportions(
          { events: c.over95, total: c.requests },
          { events: b.over95, total: b.requests },
          f,
        ).pValue;
      case 'p99':
        return zTestProportions(
          { events: c.over99, total: c.requests },
          { events: b.over99, total: b.requests },
          f,
        ).pValue;
      case 'conversion':
        return zTestProportions(
          { events: c.conversions, total: c.requests },
          { events: b.conversions, total: b.requests },
          1,
          'decrease',
        ).pValue;
    }
  }
}
