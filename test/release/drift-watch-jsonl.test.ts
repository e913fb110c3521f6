import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import type { FileMetricsConfig } from '../../src/config/types.js';
import { FakeClock } from '../../src/core/clock.js';
import { fileSource } from '../../src/metrics/file-source.js';
import { handleSchedule } from '../../src/release/schedule.js';
import { driftWatchPorts, fraudV2PromotedLongAgo } from '../support/engine-ports.js';

// A drift watch on a JSONL file read the last line in each window as that window's histogram: lines
// of running totals (the docs' pattern) diluted a shifted hour into the day's totals before it ("no
// drift"), lines without "time" matched both windows (PSI 0.000 at every tick, whatever the
// predictions did), and per-hour lines made the reference one hour. A window's histogram is now the
// increase of the running totals over it; lines without "time" are no data, said so.
const HOUR = 3_600_000;
const dirs: string[] = [];
afterAll(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

const yaml = `version: 1
defaults:
  target: { type: sandbox, url: "http://127.0.0.1:1" }
  metrics: { type: file, path: scores.jsonl }
  strategy: { type: canary, steps: [50] }
models:
  fraud:
    source: { file: m.yaml, key: version }
    gates: []
    drift-watch: { buckets: scores, window: 1h, reference: 24h }
`;

/** 1,000 predictions an hour, hourly lines for 30 hours, the last hour shifted (PSI 0.913 against the rest). */
async function tickOn(lines: 'running totals' | 'per hour' | 'no time') {
  const clock = new FakeClock();
  const { ledger } = await fraudV2PromotedLongAgo(clock, 'model-gate-drift-jsonl-');
  const dir = await mkdtemp(join(tmpdir(), 'model-gate-drift-jsonl-'));
  dirs.push(dir);
  clock.advance(HOUR);
  const now = clock.now();
  let totals = [0, 0, 0, 0];
  const text = [];
  for (let h = 30; h >= 0; h--) {
    const hour = (h === 0 ? [0.1, 0.3, 0.6, 1] : [0.4, 0.7, 0.9, 1]).map((c) => c * 1000);
    totals = totals.map((t, i) => t + (hour[i] as number));
    const counts = lines === 'per hour' ? hour : totals;
    const scores = counts.map((count, i) => ({ le: i === 3 ? '+Inf' : (i + 1) / 4, count }));
    const time = lines === 'no time' ? {} : { time: (now - h * HOUR) / 1000 };
    text.push(JSON.stringify({ slot: 'stable', ...time, scores }));
  }
  await writeFile(join(dir, 'scores.jsonl'), `${text.join('\n')}\n`);
  const { config } = parseConfig(yaml, {});
  const metrics = config.models.fraud?.metrics as FileMetricsConfig;
  const ports = driftWatchPorts({ ledger, clock, serving: 'v2', metrics: () => fileSource(metrics, dir) });
  const result = await handleSchedule(config, ports, { mode: 'tick', maxWaitMs: 0 });
  return result.drift?.[0]?.note ?? '';
}

describe('a drift watch on a JSONL file source', () => {
  it('finds a shifted hour in lines of running totals: the window is their increase over it', async () => {
    expect(await tickOn('running totals')).toMatch(
      /^fraud v2: prediction drift, PSI 0\.913 \(level 0\.25\): the last 1h against the 1d before; to roll back: /,
    );
  });

  it('says lines without "time" give no histogram for a window, not "no drift"', async () => {
    expect(await tickOn('no time')).toBe(
      'fraud v2: drift not checked (inconclusive): the metrics source file scores.jsonl could not answer: file: scores.jsonl: the stable lines holding "scores" carry no "time", so no window\'s histogram can be read from them (it is the increase of their running totals over the window); write "time" (epoch seconds or ISO 8601) on each line; the next tick looks again',
    );
  });

  it('says lines whose counts fall are not running totals, naming the line', async () => {
    expect(await tickOn('per hour')).toMatch(
      /^fraud v2: drift not checked \(inconclusive\): the metrics source file scores\.jsonl could not answer: file: scores\.jsonl:31 \(stable\): "scores" counts fewer at le 0\.25 than line 30 did; lines carry running totals/,
    );
  });
});

describe('the file source reads a JSONL histogram', () => {
  it("as the window's increase: the last line at or before its end minus the last at or before its start", async () => {
    const dir = await mkdtemp(join(tmpdir(), 'model-gate-jsonl-increase-'));
    dirs.push(dir);
    const line = (time: number, counts: number[]) =>
      JSON.stringify({
        slot: 'canary',
        time,
        latency: counts.map((count, i) => ({ le: i === 1 ? '+Inf' : 0.1, count })),
      });
    await writeFile(
      join(dir, 'l.jsonl'),
      [line(100, [40, 50]), line(200, [70, 90]), line(300, [75, 100])].join('\n'),
    );
    const source = fileSource({ type: 'file', path: 'l.jsonl', requests: 'requests' }, dir);
    const w = (since: number, until: number) => ({
      model: 'fraud',
      slot: 'canary' as const,
      version: 'v2',
      since,
      until,
    });
    // From the first line on: the totals began inside the window.
    expect(await source.buckets?.('latency', w(0, 250_000))).toEqual([
      { le: 0.1, count: 70 },
      { le: '+Inf', count: 90 },
    ]);
    expect(await source.buckets?.('latency', w(100_000, 300_000))).toEqual([
      { le: 0.1, count: 35 },
      { le: '+Inf', count: 50 },
    ]);
    // No line inside the window: no data, not an empty histogram.
    expect(await source.buckets?.('latency', w(300_000, 400_000))).toBeUndefined();
  });
});
