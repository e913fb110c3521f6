import { describe, expect, it } from 'vitest';
import type { GateConfig } from '../../src/config/types.js';
import { FakeClock } from '../../src/core/clock.js';
import type { Bucket } from '../../src/metrics/histogram.js';
import type { MetricSource, MetricWindow } from '../../src/metrics/source.js';
import type { ReleaseContext } from '../../src/release/context.js';
import { newRelease } from '../../src/release/new-release.js';
import { tick } from '../../src/release/tick.js';
import type { Release } from '../../src/release/types.js';
import { type ArmBehaviour, FakeCounts } from '../gates/fake-metrics.js';
import { MemoryTarget } from '../support/memory-target.js';
import { canaryModel, latencyGate, ratioGate } from '../support/model-config.js';

// SPEC section 4: missing data is inconclusive until a deadline, then a failure. A candidate whose
// counts stop growing (it crashed, or its /metrics went down) while v1's keep growing has no new
// data: its last evidence must not pass the step at the deadline as "no regression detected".

const START = Date.UTC(2026, 0, 1);

type Arms = { stable: ArmBehaviour; canary: ArmBehaviour };

/**
 * The statistical fakes' counts in periods, each with its own rates from `from` (epoch ms) on: a
 * window's count sums each period's share of it, as a cumulative `increase()` over the phase does.
 * A candidate at 0 requests a second reads as its series does once it stops: the same count each look.
 */
class Periods implements MetricSource {
  private readonly periods: { from: number; counts: FakeCounts }[];
  constructor(periods: { from: number; arms: Arms }[]) {
    this.periods = periods.map((p) => ({ from: p.from, counts: new FakeCounts(p.arms) }));
  }
  private parts(w: MetricWindow): { counts: FakeCounts; w: MetricWindow }[] {
    return this.periods
      .map((p, i) => ({
        counts: p.counts,
        w: {
          ...w,
          since: Math.max(w.since, p.from),
          until: Math.min(w.until, this.periods[i + 1]?.from ?? Number.POSITIVE_INFINITY),
        },
      }))
      .filter((part) => part.w.until > part.w.since);
  }
  private async sum(w: MetricWindow, of: (c: FakeCounts, w: MetricWindow) => Promise<number | undefined>) {
    let n = 0;
    for (const part of this.parts(w)) n += (await of(part.counts, part.w)) ?? 0;
    return n;
  }
  requests = (w: MetricWindow) => this.sum(w, (c, pw) => c.requests(pw));
  value = async () => undefined;
  count = (q: string, w: MetricWindow) => this.sum(w, (c, pw) => c.count(q, pw));
  async buckets(q: string, w: MetricWindow): Promise<Bucket[]> {
    const each = await Promise.all(this.parts(w).map((part) => part.counts.buckets(q, part.w)));
    return (each[0] ?? []).map((b, i) => ({
      le: b.le,
      count: each.reduce((n, h) => n + (h?.[i]?.count ?? 0), 0),
    }));
  }
}

const gates: GateConfig[] = [ratioGate(), latencyGate()];

/** Two steps, 10% then 50%, ten minutes each, a look every 30 s. */
const config = canaryModel({
  gates,
  strategy: {
    type: 'canary',
    steps: [10, 50],
    stepDurationMs: 600_000,
    minRequests: 100,
    intervalMs: 30_000,
  },
});

async function run(metrics: MetricSource, model = config): Promise<Release> {
  const clock = new FakeClock(START);
  const ctx: ReleaseContext = { config: model, target: new MemoryTarget(), metrics, clock };
  let r = newRelease(model, { from: 'v1', to: 'v2', pr: 7, headSha: 'b'.repeat(40), now: clock.now() });
  for (let i = 0; i < 500 && r.status === 'analysing'; i++) {
    r = await tick(r, ctx);
    if (r.status === 'analysing') await clock.sleep(model.strategy.intervalMs);
  }
  return r;
}

// Seen still from the look at 7m on (400 s in, the count stopped at 400): 3m at the deadline, while
// v1 served 9 a second, 1620 requests, 180 of them due to a 10% candidate.
const STOPPED =
  "v2's request count stayed at 400 for 3m while v1's grew by 1620, when about 180 were due to it at 10% of live traffic: its metrics or the candidate itself stopped";

const same = { errorRate: 0.02, medianMs: 40 };

describe('a candidate whose request count stops growing while v1 keeps serving', () => {
  it('fails its step at the deadline for want of data, saying the count stopped, instead of passing it', async () => {
    // 10% of 10 requests a second: the candidate's count stops at 400, 400 s into the first step.
    const metrics = new Periods([
      { from: START, arms: { stable: { rps: 9, ...same }, canary: { rps: 1, ...same } } },
      { from: START + 400_000, arms: { stable: { rps: 9, ...same }, canary: { rps: 0, ...same } } },
    ]);
    const r = await run(metrics);
    expect(r.status).toBe('failed');
    expect(r.phases.map((p) => [p.name, p.outcome])).toEqual([['step 1 of 2', 'failed']]);
    // Both arms' gates say why, with the counts since the count was first seen still.
    expect(r.reason).toBe(
      `no conclusive evidence within 10m at step 1 of 2: errors (${STOPPED}), p95 (${STOPPED})`,
    );
  });

  it("keeps reading it stopped while v1's traffic falls, so that one look's growth owes it fewer than 20", async () => {
    // Stopped at 400 s with v1 at 9 a second (30 due a look); from 480 s v1 serves 3 a second, 90
    // a look, which owes a 10% candidate only 10: what is due counts from when the count was first
    // seen still (7m: 540 requests until 8m, 360 more until 10m), so it stays stopped.
    const metrics = new Periods([
      { from: START, arms: { stable: { rps: 9, ...same }, canary: { rps: 1, ...same } } },
      { from: START + 400_000, arms: { stable: { rps: 9, ...same }, canary: { rps: 0, ...same } } },
      { from: START + 480_000, arms: { stable: { rps: 3, ...same }, canary: { rps: 0, ...same } } },
    ]);
    const r = await run(metrics);
    expect(r.phases.map((p) => [p.name, p.outcome])).toEqual([['step 1 of 2', 'failed']]);
    const stopped =
      "v2's request count stayed at 400 for 3m while v1's grew by 900, when about 100 were due to it at 10% of live traffic: its metrics or the candidate itself stopped";
    expect(r.reason).toBe(
      `no conclusive evidence within 10m at step 1 of 2: errors (${stopped}), p95 (${stopped})`,
    );
  });

  it('still passes a 1% canary whose few requests leave its count still between some looks', async () => {
    // 0.024 requests a second: 0.72 per 30 s look, so its count sits still on some looks (the last
    // one too: 28 at 19m 30s and at 20m) while v1's grows by about 71, which owes it under 1, far
    // below the 20 that reads as stopped.
    const metrics = new Periods([
      { from: START, arms: { stable: { rps: 2.376, ...same }, canary: { rps: 0.024, ...same } } },
    ]);
    const oneStep = canaryModel({
      gates,
      strategy: {
        type: 'canary',
        steps: [1],
        stepDurationMs: 1_200_000,
        minRequests: 10,
        intervalMs: 30_000,
      },
    });
    const r = await run(metrics, oneStep);
    expect(r.status).toBe('ready');
    expect(r.phases[0]?.note).toBe('no regression detected by errors, p95 within 20m');
  });
});
