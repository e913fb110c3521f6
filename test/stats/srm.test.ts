import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Random } from '../../src/core/random.js';
import { judgeSrm, logSrmE, srmTest } from '../../src/stats/srm.js';
import { close, reference } from './reference.js';

const ref = reference('srm');

describe('the sample ratio mismatch check', () => {
  it('computes the Dirichlet-multinomial e-value scipy computes (gammaln, multinomial.logpmf)', () => {
    for (const c of ref.cases) close(logSrmE(c.observed, c.expected, c.kappa), c.logE, 1e-9);
  });

  it('flags a candidate getting 10% less than its configured share, as an invalid analysis', () => {
    const j = judgeSrm({ observed: [2250, 7750], expected: [0.25, 0.75], alpha: 0.05 });
    expect(j.verdict).toBe('fail');
    expect(j.note).toMatch(/^sample ratio mismatch: candidate share 22.5% of 10000 requests, configured 25%/);
    expect(j.note).toContain('the analysis is invalid');
    expect(j.evidence.effect).toBeCloseTo(0.9, 10);
  });

  it('verifies the split once the share is credibly within the tolerance', () => {
    const j = judgeSrm({ observed: [50_100, 949_900], expected: [0.05, 0.95], alpha: 0.05 });
    expect(j.verdict).toBe('pass');
    const [lo, hi] = j.evidence.interval ?? [0, 0];
    expect(lo).toBeGreaterThan(0.9);
    expect(hi).toBeLessThan(1.1);
  });

  it('is inconclusive without requests or with a configured arm of zero share', () => {
    expect(judgeSrm({ observed: [0, 0], expected: [0.1, 0.9], alpha: 0.05 }).verdict).toBe('inconclusive');
    expect(judgeSrm({ observed: [1, 9], expected: [0, 1], alpha: 0.05 }).verdict).toBe('inconclusive');
    expect(judgeSrm({ observed: [Number.NaN, 9], expected: [0.1, 0.9], alpha: 0.05 }).verdict).toBe(
      'inconclusive',
    );
  });

  it('has less than unit evidence when the observed split is exactly the configured one', () => {
    fc.assert(
      fc.property(fc.constantFrom(0.01, 0.05, 0.25, 0.5), fc.integer({ min: 1, max: 10_000 }), (share, k) => {
        const n = Math.round(k / share);
        const canary = Math.round(n * share);
        expect(
          logSrmE([canary, n - canary], [share, 1 - share], srmTest([share, 1 - share], 0.05, 0.1).kappa),
        ).toBeLessThan(1e-9);
      }),
    );
  });

  it('flags a correct split in at most alpha of runs, looked at after every request from the first', () => {
    // The split gate judges from the first request (a starved arm must not wait for min-requests):
    // the e-value is a martingale under the configured split, so every look together stays at alpha.
    const random = new Random(20261129);
    for (const share of [0.1, 0.5]) {
      const test = srmTest([share, 1 - share], 0.05, 0.1);
      const runs = 400;
      let flagged = 0;
      for (let run = 0; run < runs; run++) {
        let canary = 0;
        for (let n = 1; n <= 2000; n++) {
          if (random.next() < share) canary++;
          if (test.mismatch([canary, n - canary])) {
            flagged++;
            break;
          }
        }
      }
      expect(flagged / runs).toBeLessThanOrEqual(0.05);
    }
  });
});
