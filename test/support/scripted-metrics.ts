import { MetricsError } from '../../src/core/errors.js';
import type { MetricSource, MetricWindow } from '../../src/metrics/source.js';

export interface SlotBehaviour {
  /** Requests per second this slot serves (at full weight share already applied by the caller). */
  rps: number;
  values: Record<string, number | undefined>;
}

/**
 * Metrics that follow a script: each slot serves `rps` requests per second over the
 * window and reports fixed values; `failing` makes every query throw like an outage.
 */
export class ScriptedMetrics implements MetricSource {
  failing = false;
  constructor(public slots: { stable: SlotBehaviour; canary: SlotBehaviour }) {}

  async requests(w: MetricWindow): Promise<number> {
    if (this.failing) throw new MetricsError('metrics backend unreachable');
    return Math.floor(
      ((w.until - w.since) / 1000) * this.slots[w.slot === 'stable' ? 'stable' : 'canary'].rps,
    );
  }
  async value(query: string, w: MetricWindow): Promise<number | undefined> {
    if (this.failing) throw new MetricsError('metrics backend unreachable');
    return this.slots[w.slot === 'stable' ? 'stable' : 'canary'].values[query];
  }
}

/** Stable at 90 rps and the candidate at 20, both with an error rate of 0.5%: a gate on error-rate at 2% passes. */
export const passingErrorRate = () =>
  new ScriptedMetrics({
    stable: { rps: 90, values: { 'error-rate': 0.005 } },
    canary: { rps: 20, values: { 'error-rate': 0.005 } },
  });
