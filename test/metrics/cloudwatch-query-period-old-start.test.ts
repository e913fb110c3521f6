import { describe, expect, it } from 'vitest';
import type { CloudWatchMetricsConfig } from '../../src/config/types.js';
import { FakeClock } from '../../src/core/clock.js';
import { cloudwatchSource } from '../../src/metrics/cloudwatch-source.js';
import type { MetricWindow } from '../../src/metrics/source.js';
import { lastAskedPeriod, useFakeAws } from '../support/fake-aws-per-test.js';

// model-gate's own period follows the start's age (cloudwatch-period-old-start.test.ts), but a
// `Period` written in the query was sent as written: `"Period": 60` on a phase begun 20 days ago
// got no datapoints from CloudWatch (a multiple of 300 s is needed past 15 days, of 3600 s past
// 63), and the gate said the count query "matched nothing ... check its namespace".

const UNTIL = 1_760_000_100; // epoch seconds on a whole 5 minutes (the look: now)
const DAY = 86_400;
/** The look's now, as CloudWatch sees it. */
const lookClock = new FakeClock(UNTIL * 1000);
const metric = (period: number) =>
  `{"Id":"errors","MetricStat":{"Metric":{"Namespace":"ModelGate","MetricName":"Errors","Dimensions":[{"Name":"Slot","Value":"{{slot}}"}]},"Stat":"Sum","Period":${period}}}`;

/** The canary's window over a phase begun `ageSeconds` ago, with 10 errors an hour in it. */
function phase(ageSeconds: number) {
  const since = UNTIL - ageSeconds;
  const hourly: [number, number][] = [];
  for (let t = since + 1800; t < UNTIL; t += 3600) hourly.push([t, 10]);
  const window: MetricWindow = {
    model: 'fraud',
    slot: 'canary',
    version: 'v2',
    since: since * 1000,
    until: UNTIL * 1000,
  };
  return { window, points: hourly, inPhase: hourly.length * 10 };
}

const config: CloudWatchMetricsConfig = {
  type: 'cloudwatch',
  region: 'eu-west-1',
  timeoutMs: 5_000,
  requests: metric(60),
  reducer: 'avg',
};

const world = useFakeAws('model-gate-cw-query-period-');

/** The errors of `phase`, counted with the query's own `period`; and the Period sent to CloudWatch. */
async function counted(p: ReturnType<typeof phase>, period: number) {
  await world.aws.setState({
    mode: 'ok',
    metrics: [
      { Namespace: 'ModelGate', MetricName: 'Errors', Dimensions: { Slot: 'canary' }, points: p.points },
    ],
  });
  const count = await cloudwatchSource(config, {}, lookClock).count?.(metric(period), p.window);
  return { count, asked: await lastAskedPeriod(world.aws) };
}

describe("cloudwatch: a query's own Period on a phase started long ago", () => {
  it.each([
    ['20 days (5-minute data): 60 s asked as 300 s', 20 * DAY, 60, 300],
    ['20 days: 420 s asked as 600 s', 20 * DAY, 420, 600],
    ['70 days (hourly data): 300 s asked as 3600 s', 70 * DAY, 300, 3600],
    ['5 hours: a high-resolution 10 s asked as 60 s', 5 * 3600, 10, 60],
  ])(
    'counts the phase, its Period rounded up to what CloudWatch keeps: %s',
    async (_, age, period, asked) => {
      const p = phase(age);
      expect(await counted(p, period)).toEqual({ count: p.inPhase, asked });
    },
  );

  it('keeps a Period CloudWatch takes as written: 600 s at 20 days, 10 s on a phase of an hour', async () => {
    const old = phase(20 * DAY);
    expect(await counted(old, 600)).toEqual({ count: old.inPhase, asked: 600 });
    const recent = phase(3600);
    expect(await counted(recent, 10)).toEqual({ count: recent.inPhase, asked: 10 });
  });
});
