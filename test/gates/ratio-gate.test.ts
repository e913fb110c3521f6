import { describe, expect, it } from 'vitest';
import type { SrmGateConfig } from '../../src/config/types.js';
import { lookAtGate } from '../../src/gates/live-gates.js';
import { measureRatio, measureSrm, type StatisticalContext } from '../../src/gates/ratio-gate.js';
import type { GateState } from '../../src/release/types.js';
import { ratioGate } from '../support/model-config.js';
import { FakeCounts } from './fake-metrics.js';

const T0 = Date.UTC(2026, 0, 1);
const healthy = () =>
  new FakeCounts({
    stable: { rps: 95, errorRate: 0.01, medianMs: 40 },
    canary: { rps: 5, errorRate: 0.01, medianMs: 40 },
  });

/** 100 requests a second, `share` of them served by the candidate, at the given error rates. */
const served = (share: number, errorRate: { canary: number; stable: number }) =>
  new FakeCounts({
    stable: { rps: 100 * (1 - share), errorRate: errorRate.stable, medianMs: 40 },
    canary: { rps: 100 * share, errorRate: errorRate.canary, medianMs: 40 },
  });

function ctx(metrics: FakeCounts, seconds: number, weight: number | null = 5): StatisticalContext {
  return {
    metrics,
    model: 'fraud',
    stable: 'v1',
    candidate: 'v2',
    since: T0,
    now: T0 + seconds * 1000,
    minRequests: 100,
    ...(weight === null ? {} : { weight }),
  };
}

const errors = ratioGate;

const pending = (name: string, kind: GateState['kind']): GateState => ({
  name,
  kind,
  verdict: 'pending',
  failures: 0,
  inconclusives: 0,
  consecutiveErrors: 0,
});

describe('the ratio gate', () => {
  it('waits for min-requests, then fails a candidate with three times the errors, with evidence', async () => {
    const metrics = healthy();
    metrics.slots.canary.errorRate = 0.03;
    expect(await measureRatio(errors(), ctx(metrics, 10))).toMatchObject({
      verdict: 'waiting',
      note: '50 of 100 candidate requests',
    });
    const m = await measureRatio(errors(), ctx(metrics, 600));
    expect(m).toMatchObject({ verdict: 'fail', canaryRequests: 3000, baselineRequests: 57000 });
    expect(m.canary).toBeCloseTo(0.03, 10);
    expect(m.evidence?.method).toBe('sequential-binomial');
    expect(m.evidence?.effect).toBeCloseTo(3, 1);
    expect(m.evidence?.interval?.[0]).toBeGreaterThan(1.1);
    expect(m.note).toMatch(
      /^3% on v2 vs 1% on v1 \(×3, at least ×[\d.]+; tolerated ×1\.1\); e-value \S+ ≥ 20$/,
    );
    const state = await lookAtGate(errors(), pending('errors', 'ratio'), ctx(metrics, 600));
    expect(state).toMatchObject({ verdict: 'fail', failures: 1 });
    expect(state.reason).toMatch(/^errors: 3% on v2 vs 1% on v1 \(×3/);
  });

  it('keeps a healthy candidate waiting while evidence accrues, then passes it', async () => {
    const early = await measureRatio(errors(), ctx(healthy(), 120));
    expect(early.verdict).toBe('waiting');
    // Undecided: the ratio's bounds still straddle the tolerance, the e-value is under its threshold.
    expect(early.note).toMatch(
      /\(×[\d.]+, between ×[\d.]+ and ×[\d.]+; tolerated ×1\.1\); e-value \S+ < 20$/,
    );
    const late = await measureRatio(errors(), ctx(healthy(), 24 * 3600));
    expect(late.verdict).toBe('pass');
    expect(late.note).toContain('no regression beyond ×1.1');
  });

  it('never fails a 25% canary that serves 30% of the requests at the same error rate, and passes it', async () => {
    // Real splits stray from the configured one (sticky keys, rounded weights, a window across a
    // weight change): the rates compared are per request served, whatever the step's weight.
    const metrics = served(0.3, { canary: 0.02, stable: 0.02 });
    const looks = [];
    for (let minute = 1; minute <= 120; minute++)
      looks.push(await measureRatio(errors(), ctx(metrics, 60 * minute, 25)));
    expect(looks.filter((m) => m.verdict === 'fail')).toEqual([]);
    const last = looks.at(-1);
    expect(last?.verdict).toBe('pass');
    expect(last?.note).toMatch(
      /^no regression beyond ×1\.1: 2% on v2 vs 2% on v1 \(×1, at most ×1\.\d+\); e-value/,
    );
    const [lo, hi] = last?.evidence?.interval ?? [Number.NaN, Number.NaN];
    expect(lo).toBeLessThanOrEqual(1);
    expect(hi).toBeGreaterThanOrEqual(1);
    // The configured weight plays no part: without it the look is the same.
    expect(await measureRatio(errors(), ctx(metrics, 7200, null))).toEqual(last);
  });

  it('still fails twice the error rate at a skewed split, a canary configured at 25% serving 15%', async () => {
    const metrics = served(0.15, { canary: 0.04, stable: 0.02 });
    const m = await measureRatio(errors(), ctx(metrics, 600, 25));
    expect(m.verdict).toBe('fail');
    expect(m.evidence?.effect).toBeCloseTo(2, 10);
    expect(m.evidence?.interval?.[0]).toBeGreaterThan(1.1);
    expect(m.evidence?.interval?.[1]).toBeGreaterThan(2);
    expect(m.note).toMatch(/^4% on v2 vs 2% on v1 \(×2, at least ×1\.\d+; tolerated ×1\.1\); e-value/);
  });

  it('is inconclusive on NaN counts, and an error without count queries or on an outage', async () => {
    const metrics = healthy();
    metrics.nan = true;
    expect(await measureRatio(errors(), ctx(metrics, 600))).toMatchObject({
      verdict: 'inconclusive',
      note: 'missing or invalid counts (NaN, negative or absent)',
    });
    const noCounts = { ...healthy(), requests: async () => 1000, value: async () => undefined };
    expect(await measureRatio(errors(), { ...ctx(healthy(), 600), metrics: noCounts })).toMatchObject({
      verdict: 'error',
      note: 'the metrics source has no event counts (ratio gates need count queries)',
    });
    const down = healthy();
    down.failing = true;
    expect((await measureRatio(errors(), ctx(down, 600))).verdict).toBe('error');
  });

  it('judges by thresholds or by the Kayenta-style classifier when asked', async () => {
    const metrics = healthy();
    metrics.slots.canary.errorRate = 0.02;
    expect(await measureRatio(errors({ judge: 'threshold' }), ctx(metrics, 600))).toMatchObject({
      verdict: 'fail',
      note: '2.00% is 100% over the baseline 1.00% (max +10%)',
    });
    expect(await measureRatio(errors({ judge: 'mann-whitney' }), ctx(metrics, 300))).toMatchObject({
      verdict: 'waiting',
      note: '5 of 10 one-minute intervals for the Mann-Whitney judge',
    });
    const m = await measureRatio(errors({ judge: 'mann-whitney' }), ctx(metrics, 900));
    expect(m.verdict).toBe('fail');
    expect(m.evidence?.method).toBe('mann-whitney');
  });
});

describe('the split check (srm gate)', () => {
  const srm: SrmGateConfig = {
    kind: 'srm',
    name: 'split',
    maxMismatch: 0.1,
    alpha: 0.05,
    consecutiveErrorLimit: 4,
  };

  it('fails a candidate getting a tenth less than its configured share, as an invalid analysis', async () => {
    const metrics = healthy();
    metrics.slots.canary.rps = 4.5;
    metrics.slots.stable.rps = 95.5;
    const m = await measureSrm(srm, ctx(metrics, 3600));
    expect(m.verdict).toBe('fail');
    expect(m.note).toMatch(/^sample ratio mismatch: candidate share 4.5% of .* requests, configured 5%/);
    const state = await lookAtGate(srm, pending('split', 'srm'), ctx(metrics, 3600));
    expect(state.verdict).toBe('fail');
  });

  it('verifies the configured split, and is inconclusive when the engine does not say what it is', async () => {
    expect((await measureSrm(srm, ctx(healthy(), 3600))).verdict).toBe('pass');
    expect(await measureSrm(srm, ctx(healthy(), 3600, null))).toMatchObject({
      verdict: 'inconclusive',
      note: "the step's configured split is not known to the gate",
    });
  });
});
