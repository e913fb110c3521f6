import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { FakeClock } from '../../src/core/clock.js';
import { Random } from '../../src/core/random.js';
import { fileLedger } from '../../src/ledger/file-ledger.js';
import type { Bucket } from '../../src/metrics/histogram.js';
import type { MetricSource, MetricWindow } from '../../src/metrics/source.js';
import { targetFor } from '../../src/release/adapters.js';
import { BUDGET_PERIOD_MS, LOOK_ALPHA, watchDrift } from '../../src/release/drift-watch.js';
import type { Ports } from '../../src/release/ports.js';
import { handleSchedule } from '../../src/release/schedule.js';
import { runDecision } from '../../src/report/decision.js';
import { memoryFileReader } from '../../src/version/changed-models.js';
import { MemoryTarget } from '../support/memory-target.js';
import { driftWatchYaml } from '../support/model-config.js';

// The drift watch decides with the drift gate's anytime-valid judge, at a small share of a
// false-alarm budget per look; PSI is the effect size that must also reach `max-psi`.
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const START = Date.UTC(2026, 0, 1);
const BOUNDS = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9];

const config = (watch: string, extra = '') => parseConfig(driftWatchYaml(watch, extra), {}).config;

/**
 * A stable model's scores as a metric source: `perHour` predictions an hour (Poisson) from
 * 9 days before START on, each a logistic of a normal, moved by `shift` from `shiftAt` on.
 */
function liveScores(
  seed: number,
  perHour: number,
  shiftAt = Number.POSITIVE_INFINITY,
  shift = 0,
): MetricSource {
  const rng = new Random(seed);
  const times: number[] = [];
  const scores: number[] = [];
  for (let t = START - 9 * DAY; t < START + 32 * DAY; t += rng.exponential(HOUR / perHour)) {
    times.push(t);
    scores.push(1 / (1 + Math.exp(-(rng.normal() + (t >= shiftAt ? shift : 0)))));
  }
  const firstAt = (at: number) => {
    let lo = 0;
    let hi = times.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((times[mid] as number) < at) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
  return {
    requests: async () => 0,
    value: async () => undefined,
    buckets: async (_q: string, w: MetricWindow) => {
      const counts = new Array<number>(BOUNDS.length + 1).fill(0);
      for (let i = firstAt(w.since); i < firstAt(w.until); i++) {
        const found = BOUNDS.findIndex((b) => (scores[i] as number) <= b);
        const bin = found === -1 ? BOUNDS.length : found;
        counts[bin] = (counts[bin] as number) + 1;
      }
      let sum = 0;
      return counts.map((c, i): Bucket => {
        sum += c;
        return { le: i === BOUNDS.length ? '+Inf' : (BOUNDS[i] as number), count: sum };
      });
    },
  };
}

function portsFor(metrics: MetricSource, clock: FakeClock, warnings: string[] = []): Ports {
  return {
    ledger: fileLedger(join(tmpdir(), `model-gate-drift-judge-${process.pid}-${Math.random()}.json`)),
    reader: memoryFileReader({}),
    clock,
    log: { info: () => {}, warn: (m) => warnings.push(m) },
    targetFor: () => new MemoryTarget({ stable: { version: 'v2' } }),
    metricsFor: () => metrics,
  };
}

/** The watch's report at every hourly tick for `days` days. */
async function hourlyWatch(metrics: MetricSource, watch: string, days: number) {
  const model = config(watch).models.fraud;
  if (!model) throw new Error('no model');
  const clock = new FakeClock(START);
  const ports = portsFor(metrics, clock);
  const reports = [];
  for (let h = 1; h <= days * 24; h++) {
    clock.advance(HOUR);
    reports.push({ at: clock.now(), report: await watchDrift(model, ports) });
  }
  return reports;
}

describe('the drift watch on a low-traffic model that does not change', () => {
  it('fails no scheduled run in 30 days of hourly ticks at 30 predictions an hour', async () => {
    const clock = new FakeClock(START);
    const ports = portsFor(liveScores(7, 30), clock);
    const cfg = config('{ window: 1h, reference: 24h }');
    const failed: string[] = [];
    for (let h = 1; h <= 30 * 24; h++) {
      clock.advance(HOUR);
      const result = await handleSchedule(cfg, ports, { mode: 'tick', maxWaitMs: 0 });
      if (runDecision(result) === 'failed') failed.push(result.drift?.[0]?.note ?? '');
    }
    expect(failed).toEqual([]);
  });

  it('raises no false alarm in 20 seeded 30-day runs of hourly ticks, on a per-look alpha of at most 0.05 per 30 days at one look a second', async () => {
    // The budget: even at one look a second, the per-look alphas of 30 days add up to at most 0.05.
    expect(LOOK_ALPHA * (BUDGET_PERIOD_MS / 1000)).toBeLessThanOrEqual(0.05);
    expect(BUDGET_PERIOD_MS).toBe(30 * DAY);
    let alarms = 0;
    let rawPsiOver = 0;
    for (let seed = 1; seed <= 20; seed++) {
      for (const { report } of await hourlyWatch(liveScores(seed, 30), '{ window: 1h, reference: 1h }', 30)) {
        if (report?.drifted) alarms++;
        if ((report?.psi ?? 0) >= 0.25) rawPsiOver++;
      }
    }
    // The raw PSI of 30 against 30 predictions is over the level most hours; the judge holds.
    expect(rawPsiOver).toBeGreaterThan(20 * 360);
    expect(alarms).toBe(0);
  });
});

describe('the drift watch on a low-traffic model whose inputs shift', () => {
  it('flags the shift within a day with a 24h window, and nothing before it', async () => {
    const shiftAt = START + 15 * DAY;
    const looks = await hourlyWatch(liveScores(3, 30, shiftAt, 1.5), '{ window: 24h, reference: 7d }', 30);
    const flagged = looks.filter((l) => l.report?.drifted).map((l) => l.at);
    expect(flagged.filter((at) => at <= shiftAt)).toEqual([]);
    expect(flagged[0]).toBeLessThanOrEqual(shiftAt + DAY);
    const first = looks.find((l) => l.report?.drifted)?.report;
    expect(first?.note).toMatch(
      /^fraud v2: prediction drift, PSI [\d.]+ \(level 0\.25\): the last 1d against the 7d before; to roll back: run the workflow with command: rollback, model: fraud, to-version: the version to serve, or model-gate run rollback --model fraud --to-version VERSION$/,
    );
    expect(first?.sizes?.jensenShannon).toBeGreaterThan(0.1);
  });
});

describe('the drift watch on broken or empty histograms', () => {
  const histogram = (counts: number[]): Bucket[] =>
    counts.map((count, i) => ({ le: i === counts.length - 1 ? '+Inf' : (i + 1) / 4, count }));
  const look = async (recent: Bucket[], reference: Bucket[]) => {
    const clock = new FakeClock(START);
    const metrics: MetricSource = {
      requests: async () => 0,
      value: async () => undefined,
      buckets: async (_q, w) => (w.until === clock.now() ? recent : reference),
    };
    const model = config('{ window: 1h, reference: 24h }').models.fraud;
    if (!model) throw new Error('no model');
    return watchDrift(model, portsFor(metrics, clock));
  };

  it('reads NaN counts as missing data: inconclusive, never "no drift, PSI 0"', async () => {
    const report = await look(histogram([NaN, NaN, NaN, NaN]), histogram([400, 700, 900, 1000]));
    expect(report).toMatchObject({ drifted: false, inconclusive: true });
    expect(report?.psi).toBeUndefined();
    expect(report?.note).toBe(
      "fraud v2: drift not checked (inconclusive): the window's histogram has missing, negative or decreasing counts: the last 1h against the 1d before",
    );
  });

  it('reads negative counts as missing data too', async () => {
    const report = await look(histogram([400, 700, 900, 1000]), histogram([-5, -3, -2, -1]));
    expect(report).toMatchObject({ drifted: false, inconclusive: true });
    expect(report?.note).toMatch(/the reference's histogram has missing, negative or decreasing counts/);
  });

  it('says the reference is empty rather than "no drift"', async () => {
    const report = await look(histogram([400, 700, 900, 1000]), histogram([0, 0, 0, 0]));
    expect(report).toMatchObject({ drifted: false, inconclusive: true, blind: 'predictions' });
    expect(report?.note).toBe(
      'fraud v2: drift not checked (inconclusive): no predictions in the reference to compare (the last 1h against the 1d before): drift-watch.buckets "scores" counts 0 predictions in the reference: check that the metrics source keeps data that far back and that the version served then; the next tick looks again',
    );
  });
});

describe('the drift watch when one model’s target is unreachable', () => {
  it('says that model could not be read, and the other models’ watches still run', async () => {
    // aaa-broken's sandbox target is down (nothing listens on port 1); fraud's serves v2 and drifts.
    const cfg = config(
      '{ window: 1h, reference: 24h }',
      `  aaa-broken:
    source: { file: a.yaml, key: version }
    gates: []
    drift-watch: { window: 1h, reference: 24h }
`,
    );
    const clock = new FakeClock(START);
    const warnings: string[] = [];
    const ports: Ports = {
      ...portsFor(liveScores(5, 1000, START - HOUR, 1.5), clock, warnings),
      ledger: fileLedger(join(await mkdtemp(join(tmpdir(), 'model-gate-drift-')), 'ledger.json')),
      targetFor: (m) =>
        m.name === 'aaa-broken' ? targetFor(m) : new MemoryTarget({ stable: { version: 'v2' } }),
    };
    const result = await handleSchedule(cfg, ports, { mode: 'tick', maxWaitMs: 0 });

    const broken = result.drift?.find((d) => d.model === 'aaa-broken');
    expect(broken).toMatchObject({ drifted: false, inconclusive: true });
    expect(broken?.note).toMatch(
      /^aaa-broken: drift not checked \(inconclusive\): the target could not be read: sandbox aaa-broken at http:\/\/127\.0\.0\.1:1 is unreachable.*; the next tick looks again$/,
    );
    expect(warnings).toEqual([broken?.note]);
    expect(result.drift?.find((d) => d.model === 'fraud')).toMatchObject({ version: 'v2', drifted: true });
    expect(runDecision(result)).toBe('failed');
  });
});
