import { MetricsError } from '../../src/core/errors.js';
import type { Bucket } from '../../src/metrics/histogram.js';
import type { MetricSource, MetricWindow } from '../../src/metrics/source.js';
import { normalCdf } from '../../src/stats/special.js';

export interface ArmBehaviour {
  /** Requests per second. */
  rps: number;
  errorRate: number;
  /** Latency: lognormal with this median (ms) and log-sd 0.4. */
  medianMs: number;
}

export const LATENCY_BOUNDS = Array.from({ length: 40 }, (_, i) => Math.round(30 * 1.04 ** i * 100) / 100);

/**
 * Deterministic counts for the statistical gates: each slot serves `rps` requests a second,
 * a fixed share of them errors, latencies in exact lognormal proportions. Counts cover exactly
 * the window asked for, before `startedAt` included (the stable version's reference).
 */
export class FakeCounts implements MetricSource {
  failing = false;
  /** Make every count NaN, like a backend returning garbage. */
  nan = false;
  constructor(public slots: { stable: ArmBehaviour; canary: ArmBehaviour }) {}

  private requestsIn(w: MetricWindow): number {
    if (this.failing) throw new MetricsError('metrics backend unreachable');
    return Math.floor(
      ((w.until - w.since) / 1000) * this.slots[w.slot === 'stable' ? 'stable' : 'canary'].rps,
    );
  }
  async requests(w: MetricWindow): Promise<number> {
    return this.requestsIn(w);
  }
  async value(): Promise<number | undefined> {
    return undefined;
  }
  async count(query: string, w: MetricWindow): Promise<number | undefined> {
    const n = this.requestsIn(w);
    if (this.nan) return Number.NaN;
    // Every request from a user of its own: the users (an A/B split check's `units`, a conversion
    // gate's exposed users) are the requests, and its converted users are its errors.
    if (query === 'requests' || query === 'users' || query === 'exposed-users') return n;
    if (query === 'errors' || query === 'converted-users')
      return Math.round(n * this.slots[w.slot === 'stable' ? 'stable' : 'canary'].errorRate);
    throw new MetricsError(`unknown count query "${query}"`);
  }
  async buckets(query: string, w: MetricWindow): Promise<Bucket[] | undefined> {
    if (query !== 'latency') throw new MetricsError(`unknown histogram "${query}"`);
    const n = this.requestsIn(w);
    const mu = Math.log(this.slots[w.slot === 'stable' ? 'stable' : 'canary'].medianMs);
    const out: Bucket[] = LATENCY_BOUNDS.map((le) => ({
      le,
      count: Math.round(n * normalCdf((Math.log(le) - mu) / 0.4)),
    }));
    out.push({ le: '+Inf', count: n });
    return out;
  }
}
