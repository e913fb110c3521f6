import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { FakeClock } from '../../src/core/clock.js';
import { measureThreshold } from '../../src/gates/threshold-gate.js';
import type { MetricWindow } from '../../src/metrics/source.js';
import { metricsFor } from '../../src/release/adapters.js';
import { fraudLook, fraudOnSource } from '../support/fraud-on-source.js';
import { type FakeAws, installFakeAws, type StoredMetric } from '../support/metrics-fake-aws.js';

// The period step was taken from a window's length, as if every window ended now. A past window
// is older than that: the stable's before a blue-green switch 8 days ago starts 16 days ago, and
// was asked with a Period that is no multiple of 300 s. CloudWatch answered no datapoints, and a
// max-increase gate stayed inconclusive ("no baseline data from the stable version").

const NOW = 1_760_000_100; // epoch seconds on a whole 5 minutes
const DAY = 86_400;
const stat = (name: string, s: string) =>
  `{"Id":"m","MetricStat":{"Metric":{"Namespace":"ModelGate","MetricName":"${name}","Dimensions":[{"Name":"Slot","Value":"{{slot}}"}]},"Stat":"${s}"}}`;
const REQUESTS = stat('Requests', 'Sum');
const LATENCY = stat('Latency', 'Average');

/** Model fraud on CloudWatch with a latency gate of at most 10% over the stable version. */
const model = parseConfig(
  fraudOnSource(`{ type: cloudwatch, region: eu-west-1, requests: '${REQUESTS}' }`, [
    `{ name: latency, kind: threshold, query: '${LATENCY}', max-increase: 10% }`,
  ]),
  {},
).config.models.fraud;
if (!model) throw new Error('no model fraud');
/** CloudWatch and the run agree on now. */
const source = metricsFor(model, undefined, new FakeClock(NOW * 1000));

/** `value` every `every` s over [from, to) of a slot's metric, from mid-first-interval (past a partial first step). */
const series = (name: string, slot: string, from: number, to: number, value: number, every = 600) => {
  const points: [number, number][] = [];
  for (let t = from + every / 2; t < to; t += every) points.push([t, value]);
  return {
    Namespace: 'ModelGate',
    MetricName: name,
    Dimensions: { Slot: slot },
    points,
  } satisfies StoredMetric;
};

let dir: string;
let aws: FakeAws;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'model-gate-cw-past-'));
  aws = await installFakeAws(dir, { mode: 'ok', metrics: [] });
});
beforeEach(() => {
  vi.stubEnv('PATH', `${aws.binDir}${delimiter}${process.env.PATH ?? ''}`);
  vi.stubEnv('FAKE_AWS_STATE', aws.env.FAKE_AWS_STATE);
  vi.stubEnv('FAKE_AWS_LOG', aws.env.FAKE_AWS_LOG);
  return () => vi.unstubAllEnvs();
});
afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** The Period of the last query sent to CloudWatch. */
async function askedPeriod(): Promise<number> {
  const args = (await aws.calls()).at(-1) as string[];
  const [query] = JSON.parse(args[args.indexOf('--metric-data-queries') + 1] as string);
  return query.MetricStat.Period;
}

describe('cloudwatch: a window that ended in the past', () => {
  const bake = 8 * DAY + 11 * 60 + 7;
  it.each([
    ['a drift reference of 14 days that ended a day ago', NOW - 15 * DAY - 7 * 60, NOW - DAY],
    ['the stable before a blue-green switch 8 days ago', NOW - 2 * bake, NOW - bake],
  ])('counts the requests of %s (its start over 15 days old: 5-minute data)', async (_, since, until) => {
    const requests = series('Requests', 'stable', since, until, 10, 3600);
    await aws.setState({ mode: 'ok', now: NOW, metrics: [requests] });
    const window: MetricWindow = {
      model: 'fraud',
      slot: 'stable',
      version: 'v1',
      since: since * 1000,
      until: until * 1000,
    };
    expect(await source.requests(window)).toBe(requests.points.length * 10);
    expect((await askedPeriod()) % 300).toBe(0);
  });

  it('judges a blue-green bake of 8 days against the stable before the switch', async () => {
    const length = 8 * DAY + 3 * 3600 + 11 * 60;
    const switched = NOW - length;
    const before = switched - length;
    await aws.setState({
      mode: 'ok',
      now: NOW,
      metrics: [
        series('Requests', 'stable', before, switched, 100),
        series('Latency', 'stable', before, switched, 80),
        series('Requests', 'canary', switched, NOW, 100),
        series('Latency', 'canary', switched, NOW, 82),
      ],
    });
    const gate = model.gates[0];
    if (gate?.kind !== 'threshold') throw new Error('no threshold gate');
    const look = { ...fraudLook(source, switched * 1000, NOW * 1000, 10), weight: 100 };
    const m = await measureThreshold(gate, look);
    expect(m).toMatchObject({ verdict: 'pass', canary: 82, baseline: 80 });
    expect(m.note ?? '').not.toMatch(/no baseline data/);
  });
});
