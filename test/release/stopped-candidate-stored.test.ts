import { describe, expect, it } from 'vitest';
import type { GateConfig } from '../../src/config/types.js';
import { FakeClock } from '../../src/core/clock.js';
import { parseState, releasesSchema, storedForm } from '../../src/ledger/release-schema.js';
import type { Bucket } from '../../src/metrics/histogram.js';
import type { MetricSource, MetricWindow } from '../../src/metrics/source.js';
import type { ReleaseContext } from '../../src/release/context.js';
import { newRelease } from '../../src/release/new-release.js';
import { tick } from '../../src/release/tick.js';
import type { Release } from '../../src/release/types.js';
import { FakeCounts } from '../gates/fake-metrics.js';
import { MemoryTarget } from '../support/memory-target.js';
import { canaryModel, ratioGate } from '../support/model-config.js';

// On schedule ticks each pass reads the release back from the ledger (JSON in the PR comment, read
// through its schema): how long the candidate's count has stood still must survive that, or every
// pass would start counting afresh and a stopped candidate would pass its step at the deadline.

const START = Date.UTC(2026, 0, 1);
/** The candidate's series ends 400 s in: increase() over the step keeps giving its last count. */
const STOPPED_AT = START + 400_000;

class StoppedCandidate implements MetricSource {
  private readonly counts = new FakeCounts({
    stable: { rps: 9, errorRate: 0.02, medianMs: 40 },
    canary: { rps: 1, errorRate: 0.02, medianMs: 40 },
  });
  private seen = (w: MetricWindow): MetricWindow =>
    w.slot === 'stable' ? w : { ...w, until: Math.max(w.since, Math.min(w.until, STOPPED_AT)) };
  requests = (w: MetricWindow) => this.counts.requests(this.seen(w));
  value = async () => undefined;
  count = (q: string, w: MetricWindow) => this.counts.count(q, this.seen(w));
  buckets = (q: string, w: MetricWindow): Promise<Bucket[] | undefined> =>
    this.counts.buckets(q, this.seen(w));
}

const gates: GateConfig[] = [ratioGate()];
const model = canaryModel({
  gates,
  strategy: { type: 'canary', steps: [10], stepDurationMs: 600_000, minRequests: 100, intervalMs: 30_000 },
});

/** Each pass starts from the release as the GitHub ledger stores it; `seen`: every stored state. */
async function tickRuns(seen: Release[]): Promise<Release> {
  const clock = new FakeClock(START);
  const ctx: ReleaseContext = {
    config: model,
    target: new MemoryTarget(),
    metrics: new StoppedCandidate(),
    clock,
  };
  let r = newRelease(model, { from: 'v1', to: 'v2', pr: 7, headSha: 'b'.repeat(40), now: clock.now() });
  for (let i = 0; i < 100 && r.status === 'analysing'; i++) {
    const stored = storedForm(await tick(r, ctx));
    if (!stored.ok) throw new Error(stored.problems.join('; '));
    r = stored.value;
    seen.push(r);
    if (r.status === 'analysing') await clock.sleep(model.strategy.intervalMs);
  }
  return r;
}

describe('a stopped candidate analysed by schedule ticks, read back from the ledger each time', () => {
  it('still fails its step at the deadline, counting the stall from its first look', async () => {
    const seen: Release[] = [];
    const r = await tickRuns(seen);
    expect(r.status).toBe('failed');
    expect(r.reason).toBe(
      "no conclusive evidence within 10m at step 1 of 1: errors (v2's request count stayed at 400 for 3m while v1's grew by 1620, when about 180 were due to it at 10% of live traffic: its metrics or the candidate itself stopped)",
    );
    // A stored look in the stall keeps when it began (the look at 7m) and v1's count then.
    const stalled = seen.find((s) => s.gates[0]?.last?.stall)?.gates[0]?.last;
    expect(stalled?.stall).toEqual({ since: START + 420_000, baseline: 3780 });
    const parsed = parseState(releasesSchema, JSON.parse(JSON.stringify({ fraud: seen.at(-1) })));
    expect(parsed.ok && parsed.value.fraud?.gates[0]?.last?.stall).toEqual({
      since: START + 420_000,
      baseline: 3780,
    });
  });
});
