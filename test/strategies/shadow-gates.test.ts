import { describe, expect, it } from 'vitest';
import type { Release } from '../../src/release/types.js';
import { FakeCounts } from '../gates/fake-metrics.js';
import { configWith, released, report, row } from '../report/release-world.js';
import { MemoryTarget } from '../support/memory-target.js';

// A shadow's candidate answers no caller (weight 0): its statistical gates compare the shadow slot's
// copies with stable's live requests, whose shares are what was served, not a live split.
const shadow = (extra = '') =>
  configWith(
    '{ type: shadow, share: 50, duration: 30m, step-duration: 10m, min-requests: 100, interval: 10s }',
    [
      '{ name: errors, kind: ratio, events: errors, total: requests, max-increase: 10% }',
      '{ name: p95, kind: latency, quantile: 0.95, max-increase: 10% }',
    ],
    extra,
  );
// Stable serves every live request, the shadow a copy of half of them.
const arms = (errorRate: number, medianMs: number) =>
  new FakeCounts({
    stable: { rps: 40, errorRate: 0.01, medianMs: 40 },
    canary: { rps: 20, errorRate, medianMs },
  });
const lasted = (r: Release) => (r.updatedAt - r.startedAt) / 60_000;

describe('the ratio and latency gates of a shadow', () => {
  it('fail a shadow with five times the errors and a slower p95 within a minute, and withdraw the mirror', async () => {
    for (const extra of ['', 'must-have-data: false']) {
      const config = shadow(extra);
      const target = new MemoryTarget();
      const r = await released(config, arms(0.05, 80), { target });
      expect(r.status).toBe('failed');
      expect(r.reason).toMatch(
        /^(errors: [\d.]+% on v2 vs [\d.]+% on v1 \(×\d|p95: p95 (> )?[\d.]+ ms on v2 vs)/,
      );
      expect(lasted(r)).toBeLessThanOrEqual(1);
      expect(target.state).toEqual({ stable: { version: 'v1' } });
      const text = report(config, r);
      expect(text).not.toContain('the split is unknown');
      expect(text).toContain('it never served callers and was withdrawn');
    }
  });

  it('pass a healthy shadow on the evidence they saw, at the end of its whole duration', async () => {
    const config = shadow();
    const r = await released(config, arms(0.01, 40));
    expect(r.status).toBe('ready');
    expect(lasted(r)).toBe(30);
    const text = report(config, r);
    // An e-value and bounds: the judges compared the arms (before, the split of a shadow was 0).
    expect(row(text, 'errors (errors / requests)')).toMatch(
      /\| ✅ pass: .*1% on v2 vs 1% on v1 \(×1, between ×0\.\d+ and ×1\.\d+; tolerated ×1\.1\); not enough evidence either way \(e-value [\d.]+; 40 needed\) \|$/,
    );
    expect(row(text, 'p95 (p95)')).toMatch(/\| ✅ pass: .*5\.11% of v2's requests .*e-value [\d.]+/);
  });
});

describe('the split check in a shadow', () => {
  it('says a shadow has no live split to check, rather than that the split is unknown', async () => {
    // Validation refuses an srm gate on a shadow (test/config/strategy-gates.test.ts); a config
    // that skipped it still gets the reason from the engine.
    const valid = configWith(
      '{ type: shadow, share: 50, duration: 2m, step-duration: 2m, min-requests: 100, interval: 10s }',
      ['{ name: errors, kind: ratio, events: errors, max-increase: 10% }'],
    );
    const fraud = valid.models.fraud;
    if (!fraud) throw new Error('no model fraud');
    const split = {
      kind: 'srm',
      name: 'split',
      maxMismatch: 0.1,
      alpha: 0.05,
      consecutiveErrorLimit: 4,
    } as const;
    const config = { ...valid, models: { fraud: { ...fraud, gates: [split] } } };
    const r = await released(config, arms(0.01, 40));
    expect(r.status).toBe('failed');
    expect(r.reason).toContain(
      'split (a shadow has no split of live traffic to check: its candidate answers no caller; remove the srm gate from this model)',
    );
  });
});
