import { describe, expect, it } from 'vitest';
import type { CloudWatchMetricsConfig } from '../../src/config/types.js';
import { FakeClock } from '../../src/core/clock.js';
import { cloudwatchSource } from '../../src/metrics/cloudwatch-source.js';
import type { MetricWindow } from '../../src/metrics/source.js';
import { lastAskedPeriod, useFakeAws } from '../support/fake-aws-per-test.js';

// A phase that started 20 days ago was asked with one period over the window, `Period 1728180`:
// CloudWatch answers no datapoints for a start 15 to 63 days old unless the period is a multiple
// of 300 s (3600 s past 63 days), and the gate said the requests query "matched nothing ...
// check its namespace". Now the period and start follow the step CloudWatch keeps such data at.

const UNTIL = 1_760_000_100; // epoch seconds on a whole 5 minutes (the look: now)
const DAY = 86_400;
/** The look's now, as CloudWatch sees it. */
const lookClock = new FakeClock(UNTIL * 1000);
const REQUESTS =
  '{"Id":"requests","MetricStat":{"Metric":{"Namespace":"ModelGate","MetricName":"Requests","Dimensions":[{"Name":"Slot","Value":"{{slot}}"}]},"Stat":"Sum"}}';

/** A phase of `days` and 210 s: 1000 requests a minute before it (the previous split), 10 an hour in it. */
function phase(days: number) {
  const since = UNTIL - days * DAY - 210;
  const hourly: [number, number][] = [];
  for (let t = since + 1800; t < UNTIL; t += 3600) hourly.push([t, 10]);
  return {
    window: {
      model: 'fraud',
      slot: 'canary',
      version: 'v2',
      since: since * 1000,
      until: UNTIL * 1000,
    } as MetricWindow,
    points: [[since - 60, 1000], ...hourly] as [number, number][],
    inPhase: hourly.length * 10,
  };
}

const config: CloudWatchMetricsConfig = {
  type: 'cloudwatch',
  region: 'eu-west-1',
  timeoutMs: 5_000,
  requests: REQUESTS,
  reducer: 'avg',
};

const world = useFakeAws('model-gate-cw-period-');

describe('cloudwatch: a phase started long ago', () => {
  it.each([
    ['20 days (5-minute data)', 20, 300],
    ['70 days (hourly data)', 70, 3600],
  ])('counts the requests of a phase of %s, none from before it', async (_, days, step) => {
    const { window, points, inPhase } = phase(days);
    await world.aws.setState({
      mode: 'ok',
      metrics: [{ Namespace: 'ModelGate', MetricName: 'Requests', Dimensions: { Slot: 'canary' }, points }],
    });
    expect(await cloudwatchSource(config, {}, lookClock).requests(window)).toBe(inPhase);
    expect((await lastAskedPeriod(world.aws)) % step).toBe(0);
  });

  it('still asks a phase under 15 days from its next whole minute, one period over it', async () => {
    const { window, inPhase, points } = phase(14);
    await world.aws.setState({
      mode: 'ok',
      metrics: [{ Namespace: 'ModelGate', MetricName: 'Requests', Dimensions: { Slot: 'canary' }, points }],
    });
    expect(await cloudwatchSource(config, {}, lookClock).requests(window)).toBe(inPhase);
    expect(await lastAskedPeriod(world.aws)).toBe(14 * DAY + 180);
  });
});
