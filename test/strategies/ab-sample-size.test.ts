import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeClock } from '../../src/core/clock.js';
import { fileLedger } from '../../src/ledger/file-ledger.js';
import { parseState, releaseSchema } from '../../src/ledger/release-schema.js';
import type { MetricWindow } from '../../src/metrics/source.js';
import { handlePullRequest, type RunResult } from '../../src/release/pull-request.js';
import { handleSchedule } from '../../src/release/schedule.js';
import type { Release } from '../../src/release/types.js';
import { memoryFileReader } from '../../src/version/changed-models.js';
import { FakeCounts } from '../gates/fake-metrics.js';
import { configWith, released } from '../report/release-world.js';
import { MemoryTarget } from '../support/memory-target.js';

// An A/B runs until its conversion gate decides or reaches its planned sample size, not for a
// canary's 10 minutes. FakeCounts' `converted-users` (its `errors`) stand for conversions, its error rate for the
// conversion rate; each arm serves 2 requests a second, stable converting 30% of the time: the
// planned sample (about 6000 candidate exposures for a 10% effect) takes about 50 minutes.
const conversion =
  '{ name: conversion, kind: conversion, conversions: converted-users, exposures: exposed-users }';
const gates = ['{ name: split, kind: srm, units: users }', conversion];
const AB = '{ type: ab, split: 50 }';
const MINUTE = 60_000;

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'model-gate-ab-size-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const arms = (candidate: { rps: number; rate: number }) =>
  new FakeCounts({
    stable: { rps: 2, errorRate: 0.3, medianMs: 40 },
    canary: { rps: candidate.rps, errorRate: candidate.rate, medianMs: 40 },
  });

let pr = 0;
/** PR #n moves fraud v1 → v2 on a fake clock; the ledger is a file, read back by every run. */
function pullRequest(candidate: { rps: number; rate: number }, strategy = AB) {
  pr += 1;
  const config = configWith(strategy, gates);
  const target = new MemoryTarget();
  const sha = (c: string) => c.repeat(40);
  const clock = new FakeClock(Date.UTC(2026, 0, 1));
  const ledgerFile = join(dir, `ledger-${pr}.json`);
  const ports = {
    ledger: fileLedger(ledgerFile),
    reader: memoryFileReader({
      [sha('a')]: { 'models/fraud.yaml': 'version: v1' },
      [sha('b')]: { 'models/fraud.yaml': 'version: v2' },
    }),
    clock,
    log: { info: () => {}, warn: () => {} },
    targetFor: () => target,
    metricsFor: () => arms(candidate),
  };
  const event = { action: 'opened', number: pr, baseSha: sha('a'), headSha: sha('b'), merged: false };
  /** The PR's run, watching for at most `maxWaitMs`. */
  const opened = async (maxWaitMs: number) =>
    only(await handlePullRequest(config, event, ports, { mode: 'watch', maxWaitMs, dryRun: false }));
  /** One schedule tick (`command: tick`), then the clock moves on to the next one. */
  const scheduled = async (every: number) => {
    const r = only(await handleSchedule(config, ports, { mode: 'tick', maxWaitMs: 0 }));
    await clock.sleep(every);
    return r;
  };
  return { target, clock, ledgerFile, opened, scheduled };
}
const only = (r: RunResult): Release => {
  const release = r.releases[0];
  if (!release) throw new Error('no release');
  return release;
};
const conversionOf = (r: Release) => r.gates.find((g) => g.name === 'conversion');

describe('an A/B on real traffic', () => {
  it('keeps an undecided A/B running past 10 minutes, on schedule ticks, and fails it at its planned sample size', async () => {
    // A true +2% lift: real, but far below the 10% the test is planned to detect.
    const { target, clock, ledgerFile, opened, scheduled } = pullRequest({ rps: 2, rate: 0.306 });
    const started = clock.now();
    const watched = await opened(15 * MINUTE);
    expect(watched.status).toBe('analysing');
    expect(watched.reason).toMatch(
      /^analysing A\/B 50\/50 by x-user-id: waiting for conversion \(\d{1,3}(,\d{3})* of \d{1,3}(,\d{3})* planned candidate users \(\d+%\); at the rate so far the planned sample is reached around 2026-01-01 \d\d:\d\d UTC \(cap: 2026-01-15 00:00 UTC\)\)$/,
    );
    expect(target.state.canary).toEqual({ version: 'v2', weight: 50 });

    const ticks: Release[] = [];
    for (let i = 0; i < 100 && ticks.at(-1)?.status !== 'failed'; i++)
      ticks.push(await scheduled(5 * MINUTE));
    const end = ticks.at(-1) as Release;
    const look = conversionOf(end)?.last;
    const size = look?.evidence?.sampleSize ?? Number.NaN;
    expect(end.status).toBe('failed');
    expect(end.reason).toBe(
      `no significant winner at the planned sample size at A/B 50/50 by x-user-id: conversion (${look?.canaryRequests?.toLocaleString('en-US')} of ${size.toLocaleString('en-US')} candidate users, lift +2.0%)`,
    );
    // It ended at the first tick that found the sample complete, long after the old 10 minutes.
    const before = conversionOf(ticks.at(-2) as Release)?.last;
    expect(before?.canaryRequests).toBeLessThan(before?.evidence?.sampleSize ?? 0);
    expect(look?.canaryRequests).toBeGreaterThanOrEqual(size);
    expect((end.phases[0]?.endedAt ?? 0) - started).toBeGreaterThan(40 * MINUTE);
    expect(target.state).toEqual({ stable: { version: 'v1' } });
    // The size reached the ticks through the ledger; a ledger written before the field still loads.
    const stored = JSON.parse(await readFile(ledgerFile, 'utf8')) as { releases: Record<string, Release> };
    const saved = stored.releases.fraud as Release;
    expect(conversionOf(saved)?.last?.evidence?.sampleSize).toBe(size);
    for (const g of saved.gates) delete g.last?.evidence?.sampleSize;
    expect(parseState(releaseSchema, saved).ok).toBe(true);
  });

  it('promotes a clear winner as soon as it is significant, before its planned sample size', async () => {
    const { opened } = pullRequest({ rps: 2, rate: 0.39 });
    const end = await opened(60 * MINUTE);
    expect(end.status).toBe('ready');
    const look = conversionOf(end)?.last;
    expect(look?.note).toMatch(/a significant winner/);
    expect(look?.canaryRequests).toBeLessThan(look?.evidence?.sampleSize ?? 0);
  });

  it('still rolls back at once on a failing split check', async () => {
    // The candidate gets 35% of the requests where 50% were configured.
    const { opened } = pullRequest({ rps: 1.08, rate: 0.3 });
    const end = await opened(60 * MINUTE);
    expect(end.status).toBe('failed');
    expect(end.reason).toMatch(/^split: sample ratio mismatch: /);
    expect((end.phases[0]?.endedAt ?? 0) - (end.phases[0]?.startedAt ?? 0)).toBeLessThan(10 * MINUTE);
  });

  it('stops at an explicit step-duration, its cap, with the A/B still undecided', async () => {
    const { opened } = pullRequest({ rps: 2, rate: 0.306 }, '{ type: ab, split: 50, step-duration: 20m }');
    const end = await opened(60 * MINUTE);
    expect(end.status).toBe('failed');
    expect(end.reason).toMatch(
      /^no significant winner by the 20m step-duration cap at A\/B 50\/50 by x-user-id: conversion at \d+% of its planned sample \([\d,]+ of [\d,]+ candidate users, lift \+\d\.\d%\); raise step-duration /,
    );
  });
});

describe('an A/B with two conversion gates', () => {
  it('runs until the undecided gate with the larger planned sample has reached it', async () => {
    // A 20% effect needs about a quarter of the sample a 10% effect does.
    const coarse =
      '{ name: coarse, kind: conversion, conversions: converted-users, exposures: exposed-users, min-detectable-effect: 20% }';
    const config = configWith(AB, ['{ name: split, kind: srm, units: users }', conversion, coarse]);
    const seen: Release[] = [];
    const end = await released(config, arms({ rps: 2, rate: 0.306 }), { each: (r) => seen.push(r) });
    const coarseDone = seen.find((r) => {
      const look = r.gates.find((g) => g.name === 'coarse')?.last;
      return (look?.canaryRequests ?? 0) >= (look?.evidence?.sampleSize ?? Number.POSITIVE_INFINITY);
    });
    expect(coarseDone?.status).toBe('analysing');
    expect(end.status).toBe('failed');
    expect(end.reason).toMatch(
      /^no significant winner at the planned sample size at A\/B 50\/50 by x-user-id: conversion \(([\d,]+) of [\d,]+ candidate users, lift \+2\.0%\), coarse \(\1 of [\d,]+ candidate users, lift \+2\.0%\)$/,
    );
  });
});

describe('the other gates of an A/B', () => {
  it('end with its conversion gate: a winner whose latency guard saw no regression passes at once', async () => {
    // Equal latencies: the sequential guard would take days to certify "no increase beyond 10%".
    const p95 = '{ name: p95, kind: latency, quantile: 0.95, max-increase: 10% }';
    const config = configWith(AB, [...gates, p95]);
    const end = await released(config, arms({ rps: 2, rate: 0.39 }));
    expect(end.status).toBe('ready');
    expect(end.phases[0]?.note).toMatch(
      /^no regression detected by p95 once conversion decided \(after \d+m(\d+s)?\)$/,
    );
    expect(end.gates.find((g) => g.name === 'p95')?.verdict).toBe('pass');
  });
});

describe('the step-duration of an A/B', () => {
  it('defaults to 14d, a cap, where other strategies keep 10m; interval must still be shorter', () => {
    expect(configWith(AB, gates).models.fraud?.strategy.stepDurationMs).toBe(14 * 24 * 60 * MINUTE);
    expect(
      configWith('{ type: canary, steps: [10] }', [
        '{ name: errors, kind: threshold, query: error-rate, max: 0.02 }',
      ]).models.fraud?.strategy.stepDurationMs,
    ).toBe(10 * MINUTE);
    expect(() => configWith('{ type: ab, split: 50, interval: 15d }', gates)).toThrow(
      /interval: expected less than step-duration \(14d\), got 15d/,
    );
  });
});

/** Each look's phase time in minutes, from the release's first phase. */
const minutes = (r: Release) =>
  ((r.phases[0]?.endedAt ?? r.updatedAt) - (r.phases[0]?.startedAt ?? 0)) / MINUTE;

describe('an A/B whose conversion gate decided early', () => {
  it('waits for its split check to verify the split, and fails on the mismatch it finds', async () => {
    // The candidate gets 47.4% of the users where 50% were configured, and converts at 45%
    // against 30%: a winner on counts the mismatch biases.
    const config = configWith('{ type: ab, split: 50, step-duration: 3h }', gates);
    const end = await released(config, arms({ rps: 1.8, rate: 0.45 }));
    expect(end.status).toBe('failed');
    expect(end.reason).toMatch(/^split: sample ratio mismatch: /);
  });

  it('is not rolled back by a guard missing its data on one look', async () => {
    // The latency guard's value is missing one minute in three, and always under its bound.
    class GappyLatency extends FakeCounts {
      // FakeCounts' value() takes no arguments: the window is optional here to match it.
      override async value(_query?: string, w?: MetricWindow): Promise<number | undefined> {
        return Math.floor((w?.until ?? 0) / MINUTE) % 3 === 0 ? undefined : 0.2;
      }
    }
    const p99 = '{ name: p99, kind: threshold, query: latency-p99, max: 1 }';
    const metrics = new GappyLatency(arms({ rps: 2, rate: 0.39 }).slots);
    const end = await released(configWith(AB, [...gates, p99]), metrics);
    expect(end.status).toBe('ready');
    expect(end.gates.map((g) => g.verdict)).toEqual(['pass', 'pass', 'pass']);
  });

  it('keeps its winner while a webhook holds the phase open past the planned sample size', async () => {
    // The approval comes 80 minutes in, after the ~50 minutes the planned sample takes; the
    // candidate's lift vanishes once it has been shown a winner (a novelty effect).
    const approvedAt = Date.UTC(2026, 0, 1) + 80 * MINUTE;
    const hook = await listen((check) =>
      check.now >= approvedAt ? { verdict: 'pass' } : { verdict: 'waiting', note: 'awaiting approval' },
    );
    try {
      const approval = `{ name: approval, kind: webhook, url: "${hook.url}" }`;
      const metrics = arms({ rps: 2, rate: 0.39 });
      const end = await released(configWith(AB, [...gates, approval]), metrics, {
        each: (r) => {
          if (conversionOf(r)?.verdict === 'pass') metrics.slots.canary.errorRate = 0.3;
        },
      });
      expect(end.reason).toMatch(/^v2 passed its one phase/);
      expect(end.status).toBe('ready');
      expect(conversionOf(end)?.last?.note).toMatch(/a significant winner/);
      expect(minutes(end)).toBeGreaterThanOrEqual(80);
    } finally {
      await hook.close();
    }
  });
});

describe('an A/B whose conversion gate gets no data', () => {
  it('fails an hour in, naming the gate and its queries, instead of running to the 14d cap', async () => {
    // The conversions query returns NaN on both arms (a wrong query); exposures and users count.
    class NoConversions extends FakeCounts {
      override async count(query: string, w: MetricWindow): Promise<number | undefined> {
        return query === 'converted-users' ? Number.NaN : super.count(query, w);
      }
    }
    const end = await released(configWith(AB, gates), new NoConversions(arms({ rps: 2, rate: 0.39 }).slots));
    expect(end.status).toBe('failed');
    expect(end.reason).toBe(
      'no conclusive evidence within 1h at A/B 50/50 by x-user-id: conversion (its conversions query "converted-users" and exposures query "exposed-users" returned no data for both arms within 1h: missing or invalid counts (NaN, negative or absent); check them)',
    );
    expect(minutes(end)).toBeGreaterThanOrEqual(60);
    expect(minutes(end)).toBeLessThan(61);
  });

  it('keeps running on low traffic, whose counts are too few to judge but are data', async () => {
    // About 4 conversions an hour per arm: under the 5 the judge needs, for well over an hour.
    const slow = new FakeCounts({
      stable: { rps: 2, errorRate: 0.0005, medianMs: 40 },
      canary: { rps: 2, errorRate: 0.0005, medianMs: 40 },
    });
    const end = await released(configWith(AB, gates), slow, { stop: (r) => minutes(r) >= 70 });
    expect(end.status).toBe('analysing');
    expect(conversionOf(end)?.last?.note).toMatch(/fewer than 5 expected conversions/);
  });
});

/** A webhook on 127.0.0.1 answering each check (its body) with `answer(check)`. */
async function listen(
  answer: (check: { now: number }) => object,
): Promise<{ url: string; close: () => Promise<void> }> {
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => {
      body += chunk;
    });
    req.on('end', () =>
      res
        .writeHead(200, { 'content-type': 'application/json' })
        .end(JSON.stringify(answer(JSON.parse(body)))),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/check`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
