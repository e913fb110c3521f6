import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { FakeClock } from '../../src/core/clock.js';
import { fileLedger } from '../../src/ledger/file-ledger.js';
import type { Bucket } from '../../src/metrics/histogram.js';
import type { MetricSource, MetricWindow } from '../../src/metrics/source.js';
import { watchDrift } from '../../src/release/drift-watch.js';
import { judgeDrift, psiBand } from '../../src/stats/drift.js';
import { memoryFileReader } from '../../src/version/changed-models.js';
import { MemoryTarget } from '../support/memory-target.js';
import { driftWatchYaml } from '../support/model-config.js';

// Two histograms exported with different buckets (a new client library, an edited bucket list)
// were compared bucket by bucket, pairing unrelated bounds: a good candidate with one extra empty
// bucket failed with KS distance 1, one whose scores moved tenfold passed with 0, and a drift watch
// whose window had fewer buckets than its reference said "no drift, PSI NaN". Cumulative counts at
// a bound both share are exact: the judge compares the arms there, or says it cannot.

/** Cumulative buckets from per-bucket counts over `bounds` (the last count is the +Inf bucket's). */
function cum(counts: number[], bounds: number[]): Bucket[] {
  let acc = 0;
  return counts.map((c, i) => {
    acc += c;
    return { le: i < bounds.length ? (bounds[i] as number) : '+Inf', count: acc };
  });
}

describe('the drift judge on histograms with different bucket bounds', () => {
  it('passes the same distribution when the candidate has one extra empty bucket, saying which bound it dropped', () => {
    const j = judgeDrift({
      canary: { buckets: cum([2500, 2500, 2500, 2500, 0], [1, 2, 3, 4]) },
      baseline: { buckets: cum([2500, 2500, 2500, 2500], [1, 2, 3]) },
      alpha: 0.05,
    });
    expect(j.verdict).toBe('pass');
    expect(j.evidence.effect).toBe(0);
    expect(j.note).toMatch(/^no drift beyond tolerance: KS distance 0 /);
    expect(j.note).toContain(
      "; compared on the 3 bucket bounds both histograms share; dropped: the candidate's le 4",
    );
  });

  it('is inconclusive, not a pass, on histograms that share no bounds, saying what to do', () => {
    const j = judgeDrift({
      canary: { buckets: cum([2500, 2500, 2500, 2500], [1, 2, 3]) },
      baseline: { buckets: cum([2500, 2500, 2500, 2500], [10, 20, 30]) },
      alpha: 0.05,
    });
    expect(j.verdict).toBe('inconclusive');
    // No bounds computed: the drift gate counts it as missing data, never passed at a deadline.
    expect(j.evidence.interval).toBeUndefined();
    expect(j.note).toBe(
      "the candidate's and the baseline's histograms share no bucket bounds: export both with the same buckets (the candidate's le 1, 2, 3; the baseline's le 10, 20, 30)",
    );
  });

  it('compares histograms with the same single bound, and none with a +Inf bucket only', () => {
    const one = (low: number) => ({ buckets: cum([low, 10_000 - low], [0.5]) });
    expect(judgeDrift({ canary: one(2000), baseline: one(8000), alpha: 0.05 }).verdict).toBe('fail');
    const none = judgeDrift({
      canary: { buckets: cum([5000], []) },
      baseline: { buckets: cum([5000], []) },
      alpha: 0.05,
    });
    expect(none.verdict).toBe('inconclusive');
    expect(none.note).toBe(
      "the candidate's and the baseline's histograms have a +Inf bucket only, no distribution to compare: export them with bucket bounds",
    );
  });

  it('is inconclusive when only one bound is shared, others dropped', () => {
    const j = judgeDrift({
      canary: { buckets: cum([5000, 5000], [0.5]) },
      baseline: { buckets: cum([2500, 2500, 2500, 2500], [0.25, 0.5, 0.75]) },
      alpha: 0.05,
    });
    expect(j.verdict).toBe('inconclusive');
    expect(j.note).toMatch(
      /^the candidate's and the baseline's histograms share one bucket bound only \(le 0\.5\): export both with the same buckets/,
    );
  });

  it('finds a real shift on the bounds both share, with a PSI that is a number and its band', () => {
    const fine = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9];
    const j = judgeDrift({
      // The candidate's scores sit high, the baseline's low; the candidate has fewer buckets.
      canary: { buckets: cum([500, 1500, 3000, 5000], [0.2, 0.5, 0.8]) },
      baseline: { buckets: cum([2000, 2000, 1000, 1000, 1000, 1000, 500, 500, 500, 500], fine) },
      alpha: 0.05,
    });
    expect(j.verdict).toBe('fail');
    expect(j.evidence.effect).toBeCloseTo(0.5, 12);
    expect(Number.isFinite(j.sizes?.psi)).toBe(true);
    expect(j.note).toMatch(/PSI [\d.]+ \(major shift\)/);
    expect(j.note).toContain("dropped: the baseline's le 0.1, 0.3, 0.4, 0.6, 0.7 and 1 more");
  });

  it('never labels a PSI that is not a number with a band', () => {
    expect(psiBand(Number.NaN)).toBeUndefined();
    expect(psiBand(Number.POSITIVE_INFINITY)).toBeUndefined();
    expect([0.05, 0.1, 0.25].map(psiBand)).toEqual(['no', 'moderate', 'major']);
    // A 4-bucket candidate against a 10-bucket baseline read "PSI – (no shift)".
    const j = judgeDrift({
      canary: { buckets: cum([2000, 4500, 3000, 500], [0.2, 0.5, 0.8]) },
      baseline: {
        buckets: cum(
          [1000, 1000, 1500, 1500, 1500, 1500, 1000, 500, 300, 200],
          [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9],
        ),
      },
      alpha: 0.05,
    });
    expect(j.note).not.toContain('PSI –');
    expect(j.note).toMatch(/PSI [\d.]+ \(no shift\)/);
  });
});

// The drift watch: the reference exported with ten buckets, the window (after a redeploy of the
// exporter) with four. Same scores in both: no drift, with a PSI that is a number.
const FINE = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9];
const COARSE = [0.2, 0.5, 0.8];
const SHARES = [0.05, 0.1, 0.15, 0.2, 0.2, 0.1, 0.08, 0.06, 0.04, 0.02];
const SHIFTED = [...SHARES].reverse();

/** 10,000 scores with `shares` over FINE's buckets, exported with `bounds` (a subset of FINE). */
function exported(shares: number[], bounds: number[]): Bucket[] {
  let acc = 0;
  const cumulative = shares.map((s) => {
    acc += Math.round(s * 10_000);
    return acc;
  });
  return [
    ...bounds.map((le) => ({ le, count: cumulative[FINE.indexOf(le)] as number })),
    { le: '+Inf' as const, count: acc },
  ];
}

/** The watch's report on `window`'s histogram against a reference of SHARES over FINE. */
async function watchWindow(window: Bucket[]) {
  const clock = new FakeClock();
  const windowStart = clock.now() - 3_600_000;
  const metrics: MetricSource = {
    requests: async () => 10_000,
    value: async () => undefined,
    buckets: async (_q: string, w: MetricWindow) =>
      w.since >= windowStart ? window : exported(SHARES, FINE),
  };
  const model = parseConfig(driftWatchYaml('{ window: 1h, reference: 24h, max-psi: 0.2 }'), {}).config.models
    .fraud;
  if (!model) throw new Error('no model');
  return watchDrift(model, {
    ledger: fileLedger(join(await mkdtemp(join(tmpdir(), 'model-gate-bounds-')), 'ledger.json')),
    reader: memoryFileReader({}),
    clock,
    log: { info: () => {}, warn: () => {} },
    targetFor: () => new MemoryTarget({ stable: { version: 'v2' } }),
    metricsFor: () => metrics,
  });
}

describe('the drift watch when the window has fewer buckets than the reference', () => {
  it('says no drift with a PSI that is a number, naming the bounds it dropped', async () => {
    const report = await watchWindow(exported(SHARES, COARSE));
    expect(report).toMatchObject({ drifted: false, psi: 0 });
    expect(report?.inconclusive).toBeUndefined();
    expect(report?.note).toBe(
      "fraud v2: no drift shown, PSI 0.000 (KS distance 0 is within chance for 10000 and 10000 predictions, up to 0.0815): the last 1h against the 1d before; compared on the 3 bucket bounds both histograms share; dropped: the reference's le 0.1, 0.3, 0.4, 0.6, 0.7 and 1 more",
    );
  });

  it('flags the drift of scores that moved', async () => {
    const report = await watchWindow(exported(SHIFTED, COARSE));
    expect(report?.drifted).toBe(true);
    expect(report?.note).toMatch(
      /^fraud v2: prediction drift, PSI \d\.\d{3} \(level 0\.2\): the last 1h against the 1d before; compared on the 3 bucket bounds/,
    );
  });

  it('is drift not checked, never "no drift", when the windows share too few bounds', async () => {
    const report = await watchWindow(cum([5000, 5000], [0.55]));
    expect(report).toMatchObject({ drifted: false, inconclusive: true });
    expect(report?.note).toBe(
      "fraud v2: drift not checked (inconclusive): the window's and the reference's histograms share no bucket bounds: export both with the same buckets (the window's le 0.55; the reference's le 0.1, 0.2, 0.3, 0.4, 0.5 and 4 more): the last 1h against the 1d before",
    );
  });
});
