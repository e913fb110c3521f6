import { describe, expect, it } from 'vitest';
import type { SrmGateConfig } from '../../src/config/types.js';
import { FakeClock } from '../../src/core/clock.js';
import { MetricsError } from '../../src/core/errors.js';
import { measureSrm, type StatisticalContext } from '../../src/gates/ratio-gate.js';
import type { MetricSource, MetricWindow } from '../../src/metrics/source.js';
import type { ReleaseContext } from '../../src/release/context.js';
import { newRelease } from '../../src/release/new-release.js';
import { tick } from '../../src/release/tick.js';
import type { Release } from '../../src/release/types.js';
import { MemoryTarget } from '../support/memory-target.js';
import { canaryModel } from '../support/model-config.js';
import { FakeCounts } from './fake-metrics.js';

const srm: SrmGateConfig = {
  kind: 'srm',
  name: 'split',
  maxMismatch: 0.1,
  alpha: 0.05,
  consecutiveErrorLimit: 4,
};

const T0 = Date.UTC(2026, 0, 1);

/** Slots serving `canary` and `stable` requests a second, error-free and equally fast. */
const serving = (canary: number, stable: number) =>
  new FakeCounts({
    stable: { rps: stable, errorRate: 0, medianMs: 40 },
    canary: { rps: canary, errorRate: 0, medianMs: 40 },
  });

function look(metrics: FakeCounts, seconds: number, minRequests: number, weight = 5): StatisticalContext {
  return {
    metrics,
    model: 'fraud',
    stable: 'v1',
    candidate: 'v2',
    since: T0,
    now: T0 + seconds * 1000,
    minRequests,
    weight,
  };
}

describe('the split check (srm gate) counts the requests of both arms', () => {
  it('rolls back a canary whose candidate gets no traffic at the first look, not at the deadline', async () => {
    for (const mustHaveData of [true, false]) {
      const config = canaryModel({
        gates: [srm],
        strategy: {
          type: 'canary',
          steps: [10, 50],
          stepDurationMs: 3_600_000,
          minRequests: 500,
          intervalMs: 60_000,
        },
        mustHaveData,
      });
      const clock = new FakeClock();
      const ctx: ReleaseContext = { config, target: new MemoryTarget(), metrics: serving(0, 90), clock };
      let r: Release = newRelease(config, {
        from: 'v1',
        to: 'v2',
        pr: 7,
        headSha: 'b'.repeat(40),
        now: clock.now(),
      });
      for (let i = 0; i < 200 && r.status === 'analysing'; i++) {
        r = await tick(r, ctx);
        if (r.status === 'analysing') await clock.sleep(config.strategy.intervalMs);
      }
      expect(r.status).toBe('failed');
      expect(r.reason).toMatch(
        /^split: sample ratio mismatch: candidate share 0% of 5400 requests, configured 10% \(e-value .*\); the analysis is invalid$/,
      );
      // Judged at the first look, a minute into the hour-long step.
      expect(r.phases).toHaveLength(1);
      expect((r.phases[0]?.endedAt ?? 0) - (r.phases[0]?.startedAt ?? 0)).toBe(60_000);
    }
  });

  it('flags a heavily over-fed candidate before it has served min-requests', async () => {
    // 15% of the traffic instead of 5%: 150 candidate requests of the 500 a step waits for.
    const m = await measureSrm(srm, look(serving(15, 85), 10, 500));
    expect(m).toMatchObject({ verdict: 'fail', canaryRequests: 150, baselineRequests: 850 });
    expect(m.note).toMatch(/^sample ratio mismatch: candidate share 15% of 1000 requests, configured 5%/);
  });

  it('waits without evidence until the candidate should have served min-requests, then judges', async () => {
    const healthy = serving(5, 95);
    // 1000 requests: 50 are due to the candidate at 5%, of the 100 it must serve first.
    expect(await measureSrm(srm, look(healthy, 10, 100))).toEqual({
      at: T0 + 10_000,
      verdict: 'waiting',
      canaryRequests: 50,
      baselineRequests: 950,
      note: 'checks the split once 100 requests are due to the candidate at 5%: 50 so far (it served 50 of 1000)',
    });
    // 3000 requests, 150 due: the split is judged (no mismatch, not yet verified within ±10%).
    const judged = await measureSrm(srm, look(healthy, 30, 100));
    expect(judged.verdict).toBe('waiting');
    expect(judged.evidence?.method).toBe('srm-dirichlet-multinomial');
    expect(judged.note).toMatch(
      /^candidate share 5% of 3000 requests, configured 5%: split not yet verified/,
    );
  });
});

/**
 * A sticky A/B split by user, exactly at `weight`% of `users`: each user sends one request a
 * minute, except `heavy` candidate users who send a hundred. `requests` counts requests per arm;
 * the count query `users`, the users with a request in the window.
 */
class KeySplit implements MetricSource {
  constructor(
    private readonly users: number,
    private readonly weight: number,
    private readonly heavy: number,
  ) {}
  private arm(w: MetricWindow) {
    const canaryUsers = Math.round((this.users * this.weight) / 100);
    const users = w.slot === 'stable' ? this.users - canaryUsers : canaryUsers;
    const heavy = w.slot === 'stable' ? 0 : this.heavy;
    const minutes = Math.floor((w.until - w.since) / 60_000);
    return { users: minutes > 0 ? users : 0, requests: (users - heavy + heavy * 100) * minutes };
  }
  async requests(w: MetricWindow) {
    return this.arm(w).requests;
  }
  async value() {
    return undefined;
  }
  async count(query: string, w: MetricWindow) {
    if (query === 'users') return this.arm(w).users;
    if (query === 'requests') return this.arm(w).requests;
    throw new MetricsError(`unknown count query "${query}"`);
  }
}

describe('the split check of a split by user, with units: the users', () => {
  // 2000 users on each arm; 10 heavy candidate users: 59.9% of the requests go to the candidate.
  const heavyUsers = new KeySplit(4000, 50, 10);
  const tenMinutes = (metrics: MetricSource): StatisticalContext => ({
    ...look(serving(0, 0), 600, 100, 50),
    metrics,
  });

  it('passes a correct user split that a few heavy users skew, counting users', async () => {
    const m = await measureSrm({ ...srm, units: 'users' }, tenMinutes(heavyUsers));
    expect(m).toMatchObject({ verdict: 'pass', canaryRequests: 2000, baselineRequests: 2000, canary: 0.5 });
    expect(m.note).toBe(
      'candidate share 50% of 4000 users, configured 50%: the split is as configured (within ±10%)',
    );
  });

  it('fails the same split counting requests (no units), the multinomial test assuming independent requests', async () => {
    const m = await measureSrm(srm, tenMinutes(heavyUsers));
    expect(m).toMatchObject({ verdict: 'fail', canaryRequests: 29_900, baselineRequests: 20_000 });
    expect(m.note).toMatch(/^sample ratio mismatch: candidate share 59\.9% of 49900 requests/);
  });

  it('still fails a user split that is not the configured one', async () => {
    const m = await measureSrm({ ...srm, units: 'users' }, tenMinutes(new KeySplit(4000, 40, 0)));
    expect(m.verdict).toBe('fail');
    expect(m.note).toMatch(/^sample ratio mismatch: candidate share 40% of 4000 users, configured 50%/);
  });

  it('waits on the requests due to the candidate, not on its users', async () => {
    // 4000 users, 49,900 requests in ten minutes: 24,950 requests due at 50%, fewer than 30,000.
    const m = await measureSrm(
      { ...srm, units: 'users' },
      { ...tenMinutes(heavyUsers), minRequests: 30_000 },
    );
    expect(m).toMatchObject({ verdict: 'waiting' });
    expect(m.note).toBe(
      'checks the split once 30000 requests are due to the candidate at 50%: 24950 so far (it served 29900 of 49900)',
    );
  });
});
