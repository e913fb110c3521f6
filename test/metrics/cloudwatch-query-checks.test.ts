import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { problemsOf } from '../config/sample.js';
import { type FakeAws, installFakeAws } from '../support/metrics-fake-aws.js';

// GetMetricData refuses duplicate Ids, more than 500 MetricDataQuery items and a Period other than
// 1, 5, 10, 20, 30 or a multiple of 60 (the CloudWatch API reference). Such a gate query passed
// validation and failed at every look once the candidate was deployed (a ValidationError, until
// consecutive-error-limit rolled it back); it is refused when the config is loaded, naming the
// gate's field and what to write instead.

const F = '.github/model-gate.yml';
const AT_QUERY = `${F}:10:46: models.fraud.gates[0].query`;
const CANNOT = 'the cloudwatch metrics source cannot read this query:';

const stat = (id: string, more = '', period = '') =>
  `{"Id": "${id}", "MetricStat": {"Metric": {"Namespace": "AWS/SageMaker", "MetricName": "ModelLatency", "Dimensions": [{"Name": "VariantName", "Value": "{{version}}"}]}, "Stat": "p99"${period}}${more}}`;
const REQUESTS = stat('requests').replace('ModelLatency', 'Invocations').replace('"p99"', '"Sum"');

const config = (query: string) => `version: 1
defaults:
  target: { type: sandbox, url: http://127.0.0.1:8080 }
  metrics: { type: cloudwatch, requests: '${REQUESTS}' }
models:
  fraud:
    source: { file: models/fraud/model.yaml, key: version }
    strategy: { type: canary, steps: [10, 50] }
    gates:
      - { name: p99, kind: threshold, query: '${query}', max: 0.5 }
`;

describe('a CloudWatch gate query GetMetricData refuses', () => {
  it('is refused for an Id used twice, suggesting one that is free', () => {
    const twice = `[${stat('a', ', "ReturnData": false')}, ${stat('a', ', "ReturnData": false')}, {"Id": "b", "Expression": "a * 2"}]`;
    expect(problemsOf(config(twice))).toEqual([
      `${AT_QUERY}: ${CANNOT} query items 0 and 1 both have the "Id" "a", which CloudWatch refuses: an Id is unique within one call; rename one, e.g. "a2" (and the expressions using it)`,
    ]);
  });

  it('is refused with more than 500 MetricDataQuery items', () => {
    const hidden = Array.from({ length: 500 }, (_, i) => stat(`m${i}`, ', "ReturnData": false'));
    const many = `[${[...hidden, '{"Id": "total", "Expression": "SUM(METRICS())"}'].join(', ')}]`;
    expect(problemsOf(config(many))).toEqual([
      `${F}:10:46: models.fraud.gates[0].query: ${CANNOT} the query holds 501 MetricDataQuery items, which CloudWatch refuses: one GetMetricData call takes at most 500; write at most 500 (metric math or one Metrics Insights SELECT can combine many metrics)`,
    ]);
    // 500 is taken.
    const five = `[${[...hidden.slice(1), '{"Id": "total", "Expression": "SUM(METRICS())"}'].join(', ')}]`;
    expect(parseConfig(config(five), {}).config.models.fraud?.gates).toHaveLength(1);
  });

  it('is refused for a Period CloudWatch does not take, in MetricStat or beside an Expression, naming one it does', () => {
    const rule =
      'which CloudWatch refuses: a Period is 60 seconds or a multiple of 60 (or 1, 5, 10, 20 or 30 for high-resolution metrics)';
    const leaveOut = 'or leave "Period" out, and model-gate sets one period over the whole window';
    const cases: [string, string][] = [
      [
        stat('p99', '', ', "Period": 45'),
        `("p99") has "MetricStat"."Period": 45, ${rule}; write 60, ${leaveOut}`,
      ],
      [
        stat('p99', '', ', "Period": 100'),
        `("p99") has "MetricStat"."Period": 100, ${rule}; write 120, ${leaveOut}`,
      ],
      [
        stat('p99', '', ', "Period": "60"'),
        `("p99") has "MetricStat"."Period": "60", ${rule}, written as a whole number without quotes, e.g. 60; ${leaveOut}`,
      ],
      [
        `[${stat('m', ', "ReturnData": false')}, {"Id": "e", "Expression": "m * 1000", "Period": 7}]`,
        `("e") has "Period": 7, ${rule}; write 5, ${leaveOut}`,
      ],
      [
        `{"Id": "e", "Expression": "SELECT AVG(ModelLatency) FROM SCHEMA(\\"AWS/SageMaker\\", VariantName)", "Period": 0}`,
        `("e") has "Period": 0, ${rule}, written as a whole number without quotes, e.g. 60; ${leaveOut}`,
      ],
    ];
    for (const [query, problem] of cases) {
      const item = query.startsWith('[') ? 1 : 0;
      expect(problemsOf(config(query))).toEqual([`${AT_QUERY}: ${CANNOT} query item ${item} ${problem}`]);
    }
  });

  it('accepts the Periods CloudWatch takes: 1, 5, 10, 20, 30 and multiples of 60', () => {
    for (const period of [1, 5, 10, 20, 30, 60, 300, 3600]) {
      const query = stat('p99', '', `, "Period": ${period}`);
      expect(parseConfig(config(query), {}).config.models.fraud?.gates[0]).toMatchObject({ query });
    }
  });
});

describe('the stand-in aws CLI, written to the same contract', () => {
  let dir: string;
  let aws: FakeAws;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'model-gate-cloudwatch-checks-'));
    aws = await installFakeAws(dir, { mode: 'ok', metrics: [] });
  });
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('refuses what the config check refuses, as CloudWatch would at every look', async () => {
    const run = (queries: string) =>
      promisify(execFile)(
        join(aws.binDir, 'aws'),
        [
          'cloudwatch',
          'get-metric-data',
          '--metric-data-queries',
          queries,
          '--start-time',
          '2025-01-01T00:00:00Z',
          '--end-time',
          '2025-01-01T00:05:00Z',
          '--output',
          'json',
        ],
        { env: { ...process.env, ...aws.env } },
      ).then(
        () => 'accepted',
        (err: { stderr?: string }) => err.stderr ?? '',
      );
    const expr = (id: string, period: number) => `{"Id": "${id}", "Expression": "1", "Period": ${period}}`;
    expect(await run(`[${expr('a', 60)}, ${expr('a', 60)}]`)).toContain('Id is not unique');
    expect(await run(`[${expr('a', 45)}]`)).toContain('must be 1, 5, 10, 20, 30, or a multiple of 60');
    const many = Array.from({ length: 501 }, (_, i) => expr(`m${i}`, 60));
    expect(await run(`[${many.join(',')}]`)).toContain('MetricDataQueries must hold 1 to 500 items');
    expect(await run(`[${expr('a', 20)}]`)).toBe('accepted');
  });
});
