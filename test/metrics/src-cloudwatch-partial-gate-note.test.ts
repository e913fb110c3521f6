import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { FakeClock } from '../../src/core/clock.js';
import { measureThreshold } from '../../src/gates/threshold-gate.js';
import { metricsFor } from '../../src/release/adapters.js';
import { fraudLook, fraudOnSource } from '../support/fraud-on-source.js';
import { type StoredMetric, useWrappedFakeAws } from '../support/metrics-fake-aws.js';

// CloudWatch answered PartialData for a threshold gate's metric-math query: the look's note said
// "no data for the candidate: the query gave no number", sending users to look for a misspelt
// metric. The note now says the answer was partial, CloudWatch's own message, and what to do.

const T0 = 1_760_000_040; // epoch seconds on a whole minute
/** The look's now, as CloudWatch sees it: the window's end. */
const lookClock = new FakeClock((T0 + 130) * 1000);
const metric = (name: string, slot: string, version: string, value: number): StoredMetric => ({
  Namespace: 'ModelGate',
  MetricName: name,
  Dimensions: { Slot: slot, Version: version },
  points: Array.from({ length: 13 }, (_, i) => [T0 + i * 10, value]),
});
const stat = (name: string, id: string) =>
  `{"Id":"${id}","MetricStat":{"Metric":{"Namespace":"ModelGate","MetricName":"${name}","Dimensions":[{"Name":"Slot","Value":"{{slot}}"},{"Name":"Version","Value":"{{version}}"}]},"Stat":"Sum"}`;
const REQUESTS = `${stat('Requests', 'r')}}`;
const ERROR_RATE = `[${stat('Errors', 'e')},"ReturnData":false},${stat('Requests', 'r')},"ReturnData":false},{"Id":"rate","Expression":"e / r"}]`;

/** An `aws` first on PATH that runs the stand-in and marks metric-math answers PartialData, as CloudWatch may. */
const WRAPPER = (fake: string) => `#!${process.execPath}
'use strict';
const { spawnSync } = require('node:child_process');
const args = process.argv.slice(2);
const res = spawnSync(${JSON.stringify(fake)}, args, { encoding: 'utf8' });
process.stderr.write(res.stderr);
if (res.status !== 0 || !args.some((a) => a.includes('"Expression"'))) {
  process.stdout.write(res.stdout);
  process.exit(res.status);
}
const answer = JSON.parse(res.stdout);
for (const r of answer.MetricDataResults) {
  r.StatusCode = 'PartialData';
  r.Messages = [{ Code: 'PartialData', Value: 'Not all datapoints could be returned' }];
}
process.stdout.write(JSON.stringify(answer));
`;

useWrappedFakeAws(
  'model-gate-cw-partial-value-',
  {
    mode: 'ok',
    metrics: [
      metric('Requests', 'stable', 'v1', 10),
      metric('Errors', 'stable', 'v1', 0),
      metric('Requests', 'canary', 'v2', 10),
      metric('Errors', 'canary', 'v2', 1),
    ],
  },
  WRAPPER,
);

describe('CloudWatch PartialData for a threshold gate', () => {
  it('is an inconclusive look whose note says the answer was partial and what to do, not "no data"', async () => {
    const yaml = fraudOnSource(
      `{ type: cloudwatch, region: eu-west-1, requests: '${REQUESTS}' }`,
      [`{ name: error-rate, kind: threshold, query: '${ERROR_RATE}', max: 0.5 }`],
      50,
    );
    const model = parseConfig(yaml, {}).config.models.fraud;
    const gate = model?.gates[0];
    if (!model || gate?.kind !== 'threshold') throw new Error('no threshold gate');
    const m = await measureThreshold(
      gate,
      fraudLook(metricsFor(model, undefined, lookClock), T0 * 1000, (T0 + 130) * 1000, 50),
    );
    expect(m.verdict).toBe('inconclusive');
    expect(m.note).toMatch(
      /^cloudwatch: the query returned partial data for the canary slot \(version v2\) \(PartialData: Not all datapoints could be returned\), not used: "\[.*"; the look is inconclusive and the next one asks again; if every look is partial, narrow the query \(fewer metrics or series\)$/,
    );
  });
});
