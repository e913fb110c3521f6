import { describe, expect, it, vi } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { FakeClock } from '../../src/core/clock.js';
import { measureRatio } from '../../src/gates/ratio-gate.js';
import { metricsFor } from '../../src/release/adapters.js';
import { fraudLook, fraudOnSource } from '../support/fraud-on-source.js';
import { type StoredMetric, useWrappedFakeAws } from '../support/metrics-fake-aws.js';

// CloudWatch answered PartialData for a ratio gate's events query: the look was inconclusive with
// "missing or invalid counts (NaN, negative or absent)", naming neither the query nor the arm nor
// CloudWatch's status. Now the note says which query returned partial data for which arm.

const T0 = 1_760_000_040; // epoch seconds on a whole minute
/** The look's now, as CloudWatch sees it: the window's end. */
const lookClock = new FakeClock((T0 + 130) * 1000);
const every10s = (value: (i: number) => number): [number, number][] =>
  Array.from({ length: 13 }, (_, i) => [T0 + i * 10, value(i)]);
const metric = (name: string, slot: string, version: string, value: (i: number) => number): StoredMetric => ({
  Namespace: 'ModelGate',
  MetricName: name,
  Dimensions: { Slot: slot, Version: version },
  points: every10s(value),
});

const query = (name: string) =>
  `{"Id":"q","MetricStat":{"Metric":{"Namespace":"ModelGate","MetricName":"${name}","Dimensions":[{"Name":"Slot","Value":"{{slot}}"},{"Name":"Version","Value":"{{version}}"}]},"Stat":"Sum"}}`;

/**
 * An `aws` first on PATH that runs the stand-in and marks the answer PartialData when the query
 * names `PARTIAL_METRIC` (as CloudWatch does for one query it could not finish).
 */
const WRAPPER = (fake: string) => `#!${process.execPath}
'use strict';
const { spawnSync } = require('node:child_process');
const args = process.argv.slice(2);
const res = spawnSync(${JSON.stringify(fake)}, args, { encoding: 'utf8' });
process.stderr.write(res.stderr);
const queries = args[args.indexOf('--metric-data-queries') + 1] || '';
if (res.status !== 0 || !queries.includes('"MetricName":"' + process.env.PARTIAL_METRIC + '"')) {
  process.stdout.write(res.stdout);
  process.exit(res.status);
}
const answer = JSON.parse(res.stdout);
for (const r of answer.MetricDataResults) r.StatusCode = 'PartialData';
process.stdout.write(JSON.stringify(answer));
`;

useWrappedFakeAws(
  'model-gate-cw-partial-',
  {
    mode: 'ok',
    metrics: [
      metric('Requests', 'stable', 'v1', () => 10),
      metric('Errors', 'stable', 'v1', (i) => (i === 0 ? 1 : 0)),
      metric('Requests', 'canary', 'v2', () => 10),
      metric('Errors', 'canary', 'v2', (i) => (i % 2 === 0 ? 1 : 0)),
    ],
  },
  WRAPPER,
);

/** One look of a ratio gate on errors over requests, [T0, T0 + 130 s). */
async function look(partialMetric: string) {
  vi.stubEnv('PARTIAL_METRIC', partialMetric);
  const yaml = fraudOnSource(
    `{ type: cloudwatch, region: eu-west-1, requests: '${query('Requests')}' }`,
    [`{ name: errors, kind: ratio, events: '${query('Errors')}', max-increase: 10% }`],
    50,
  );
  const model = parseConfig(yaml, {}).config.models.fraud;
  const gate = model?.gates[0];
  if (!model || gate?.kind !== 'ratio') throw new Error('no ratio gate');
  return measureRatio(
    gate,
    fraudLook(metricsFor(model, undefined, lookClock), T0 * 1000, (T0 + 130) * 1000, 50),
  );
}

describe('CloudWatch PartialData for a count', () => {
  it("is inconclusive, the note naming the field, the query, the arm and CloudWatch's status", async () => {
    const m = await look('Errors');
    expect(m.verdict).toBe('inconclusive');
    expect(m.note).toMatch(
      /^events: cloudwatch: the count query returned partial data for the canary slot \(version v2\) \(PartialData\), not used: "\{\\"Id\\":\\"q\\",\\"MetricStat\\":\{\\"Metric\\":\{\\"Namespace\\":\\"ModelGate\\",\\"MetricName\\":\\"Errors\\"/,
    );
  });

  it('for the request count is inconclusive too (no data), not an error counted against the gate', async () => {
    const m = await look('Requests');
    expect(m.verdict).toBe('inconclusive');
    expect(m.note).toMatch(
      /cloudwatch: the requests query returned partial data for the canary slot \(version v2\) \(PartialData\), not used: /,
    );
  });

  it('leaves a complete answer judged as before', async () => {
    const m = await look('None');
    expect(m).toMatchObject({ canaryRequests: 130, baselineRequests: 130 });
    expect(m.canary).toBeCloseTo(7 / 130, 12);
  });
});
