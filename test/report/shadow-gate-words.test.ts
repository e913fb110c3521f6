import { describe, expect, it } from 'vitest';
import type { Bucket } from '../../src/metrics/histogram.js';
import type { MetricSource, MetricWindow } from '../../src/metrics/source.js';
import { ended } from '../../src/release/finish.js';
import type { Release } from '../../src/release/types.js';
import { normalCdf } from '../../src/stats/special.js';
import { FakeCounts } from '../gates/fake-metrics.js';
import { configWith, released, report, row } from './release-world.js';

// A shadow as the sandbox's example configures it: agreement and error rate held to absolute
// bounds, the score distribution to a KS distance. Each arm's scores are normal around `median`.
const config = configWith(
  '{ type: shadow, share: 50, duration: 5m, step-duration: 10m, min-requests: 100, interval: 10s }',
  [
    '{ name: agreement, kind: threshold, query: agreement, min: 0.9 }',
    '{ name: score-drift, kind: drift, buckets: scores, max-distance: 0.2 }',
    '{ name: errors, kind: threshold, query: error-rate, max: 0.02 }',
  ],
);

interface Arm {
  agreement: number;
  errorRate: number;
  median: number;
}

/** FakeCounts' request counts, with each arm's agreement, error rate and score histogram. */
class ShadowArms implements MetricSource {
  private counts: FakeCounts;
  constructor(private arms: { stable: Arm; shadow: Arm }) {
    this.counts = new FakeCounts({
      stable: { rps: 40, errorRate: arms.stable.errorRate, medianMs: 40 },
      canary: { rps: 20, errorRate: arms.shadow.errorRate, medianMs: 40 },
    });
  }
  requests(w: MetricWindow): Promise<number> {
    return this.counts.requests(w);
  }
  private arm(w: MetricWindow): Arm {
    return w.slot === 'stable' ? this.arms.stable : this.arms.shadow;
  }
  async value(query: string, w: MetricWindow): Promise<number | undefined> {
    if (query === 'agreement') return w.slot === 'stable' ? undefined : this.arm(w).agreement;
    if (query === 'error-rate') return this.arm(w).errorRate;
    return undefined;
  }
  async buckets(query: string, w: MetricWindow): Promise<Bucket[] | undefined> {
    if (query !== 'scores') return undefined;
    const n = await this.requests(w);
    const { median } = this.arm(w);
    const out: Bucket[] = Array.from({ length: 19 }, (_, i) => {
      const le = (i + 1) / 20;
      return { le, count: Math.round(n * normalCdf((le - median) / 0.1)) };
    });
    out.push({ le: '+Inf', count: n });
    return out;
  }
}

const stable: Arm = { agreement: 1, errorRate: 0.002, median: 0.28 };

describe('the report of a shadow', () => {
  it('labels the score-drift cells as medians, so that beside a KS bound they do not read as distances', async () => {
    const r = await released(config, new ShadowArms({ stable, shadow: { ...stable, median: 0.25 } }));
    expect(r.status).toBe('ready');
    const drift = row(report(config, r), 'score-drift (scores distribution)');
    expect(drift).toMatch(
      /^\| score-drift \(scores distribution\) \| median 0\.\d+ \([\d,]+ req\) \| median 0\.\d+ \([\d,]+ req\) \| KS distance ≤ 0\.2 .*\| ✅ pass: no drift beyond tolerance: KS distance 0\.\d+/,
    );
  });

  it('says an ended release\'s undecided drift showed none, not that it "needs more data"', async () => {
    // Stopped (Ctrl-C, a closed PR) 3 s after the first look, which saw too few scores to decide.
    const arms = new ShadowArms({ stable, shadow: { ...stable, median: 0.26 } });
    const running = await released(config, arms, { stop: (r) => r.gates[1]?.last !== undefined });
    const drift = (r: Release) => row(report(config, r), 'score-drift (scores distribution)');
    expect(drift(running)).toContain('⏳ pending: no drift shown yet (needs more data): KS distance ');
    const stopped = ended(
      running,
      'aborted',
      'stopped by Ctrl-C (SIGINT) mid-analysis',
      running.updatedAt + 3000,
    );
    expect(drift(stopped)).toMatch(
      /\| ➖ undecided: no drift shown: KS distance 0\.\d+ \(bounds 0–0\.\d+, tolerated 0\.2\); .+ \(at its last look, 10s into the phase, which ended after 13s\); effect /,
    );
    expect(drift(stopped)).not.toContain('needs more data');
  });

  it('names every gate that failed on the look that failed it, not only the first in the config', async () => {
    // Most of the shadow's answers are errors: it disagrees with stable for the same reason.
    const broken = { agreement: 0.43, errorRate: 0.56, median: 0.28 };
    const r = await released(config, new ShadowArms({ stable, shadow: broken }));
    expect(r.status).toBe('failed');
    expect(r.reason).toBe('agreement: 0.4300 is below the min 0.9000; errors: 56.00% is above the max 2.00%');
    const text = report(config, r);
    expect(text).toContain(
      'errors: 56.00% is above the max 2.00%; it never served callers and was withdrawn',
    );
  });
});
