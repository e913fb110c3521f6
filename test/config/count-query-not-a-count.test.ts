import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { problemsOf } from './sample.js';

// A count query (ratio events/total, conversion conversions/exposures, srm units) that asks the
// backend for an average or a rate returns a fraction, which no count is: SageMaker's
// Invocation5XXErrors with "Stat": "Average" read as 0 errors and passed a tenfold regression.
// Refused when the config is loaded, naming the field and what to write; queries that may be a
// count (Sum, SampleCount, metric math, a Datadog sum) are left alone.

const F = '.github/model-gate.yml';
const ENV = { DD_API_KEY: 'k1', DD_APP_KEY: 'k2' };

const config = (metrics: string, gates: string[]) =>
  `version: 1
defaults:
  target: { type: sandbox, url: http://127.0.0.1:8080 }
  metrics: ${metrics}
models:
  fraud:
    source: { file: models/fraud/model.yaml, key: version }
    strategy: { type: canary, steps: [10, 50] }
    gates:
${gates.map((g) => `      - ${g}\n`).join('')}`;

const metricStat = (id: string, metric: string, stat: string, returnData = true) =>
  `{"Id": "${id}", "MetricStat": {"Metric": {"Namespace": "AWS/SageMaker", "MetricName": "${metric}", "Dimensions": [{"Name": "VariantName", "Value": "{{version}}"}]}, "Stat": "${stat}"}${returnData ? '' : ', "ReturnData": false'}}`;
const CLOUDWATCH = `{ type: cloudwatch, requests: '${metricStat('r', 'Invocations', 'Sum')}' }`;
const DATADOG = `{ type: datadog, api-key: "\${DD_API_KEY}", application-key: "\${DD_APP_KEY}", requests: "sum:requests{version:{{version}}}.as_count()" }`;

describe('a CloudWatch count query whose statistic is no count', () => {
  it('is refused, naming the field, the Stat and what to write', () => {
    const text = config(CLOUDWATCH, [
      `{ name: errors, kind: ratio, max-increase: 10%, events: '${metricStat('e', 'Invocation5XXErrors', 'Average')}' }`,
      `{ name: conv, kind: conversion, conversions: 'SELECT AVG(Conversions) FROM SCHEMA("Models", Version) WHERE Version = ''{{version}}''', exposures: '${metricStat('x', 'Invocations', 'SampleCount')}' }`,
      `{ name: filled, kind: ratio, max-increase: 10%, events: '[${metricStat('m', 'Invocation4XXErrors', 'Maximum', false)}, {"Id": "f", "Expression": "FILL(m, 0)"}]' }`,
    ]);
    const sum = 'write "Stat": "Sum" (the events added up) or "SampleCount" (how many datapoints)';
    expect(problemsOf(text)).toEqual([
      `${F}:10:65: models.fraud.gates[0].events: is a count query on the cloudwatch metrics source, but "Stat": "Average" is not a count: a count query's datapoints are summed over the window, and an average summed is no count of events; ${sum}`,
      `${F}:11:54: models.fraud.gates[1].conversions: is a count query on the cloudwatch metrics source, but SELECT AVG(...) is not a count: a count query's datapoints are summed over the window; write SELECT SUM(...) (the events added up) or SELECT COUNT(...) (how many datapoints)`,
      `${F}:12:65: models.fraud.gates[2].events: is a count query on the cloudwatch metrics source, but "Stat": "Maximum" of "m" (filled by FILL) is not a count: a count query's datapoints are summed over the window, and a maximum summed is no count of events; ${sum}`,
    ]);
  });

  it('accepts Sum, SampleCount, SELECT SUM / COUNT, FILL of a Sum, and a threshold gate on an Average', () => {
    const text = config(CLOUDWATCH, [
      `{ name: errors, kind: ratio, max-increase: 10%, events: '${metricStat('e', 'Invocation5XXErrors', 'Sum')}', total: '${metricStat('n', 'Invocation5XXErrors', 'SampleCount')}' }`,
      `{ name: conv, kind: conversion, conversions: 'SELECT SUM(Conversions) FROM SCHEMA("Models", Version) WHERE Version = ''{{version}}''', exposures: 'SELECT COUNT(Invocations) FROM SCHEMA("Models", Version) WHERE Version = ''{{version}}''' }`,
      `{ name: filled, kind: ratio, max-increase: 10%, events: '[${metricStat('m', 'Invocation4XXErrors', 'Sum', false)}, {"Id": "f", "Expression": "FILL(m, 0)"}]' }`,
      `{ name: rate, kind: threshold, max-increase: 10%, query: '${metricStat('a', 'Invocation5XXErrors', 'Average')}' }`,
    ]);
    expect(Object.keys(parseConfig(text, {}).config.models)).toEqual(['fraud']);
  });
});

describe('a Datadog count query that averages or takes a rate', () => {
  it('is refused, naming the field, the aggregator and sum:...as_count()', () => {
    const text = config(DATADOG, [
      '{ name: errors, kind: ratio, max-increase: 10%, events: "default_zero(avg:errors{version:{{version}}}.as_count())" }',
      '{ name: split, kind: srm, units: "sum:requests{version:{{version}}}.as_rate()" }',
    ]);
    expect(problemsOf(text, ENV)).toEqual([
      `${F}:10:65: models.fraud.gates[0].events: is a count query on the datadog metrics source, but "avg:" takes the average of the series, not a count: a count query adds the events of every series up; write sum:<metric>{...}.as_count()`,
      `${F}:11:42: models.fraud.gates[1].units: is a count query on the datadog metrics source, but .as_rate() makes each point a rate per second, not a count: summed over the window it is no count of events; write .as_count()`,
    ]);
  });

  it('accepts sum:...as_count(), default_zero(sum:...), and a tag whose value is an aggregator name', () => {
    const text = config(DATADOG, [
      '{ name: errors, kind: ratio, max-increase: 10%, events: "default_zero(sum:errors{version:{{version}}}.as_count())" }',
      '{ name: split, kind: srm, units: "sum:requests{version:{{version}},agg:max:x}.as_count()" }',
      '{ name: p99, kind: threshold, max-increase: 10%, query: "p99:latency{version:{{version}}}" }',
    ]);
    expect(Object.keys(parseConfig(text, ENV).config.models)).toEqual(['fraud']);
  });
});

describe("a metrics source's request count that is no count", () => {
  it('is refused on metrics.requests, for CloudWatch and Datadog alike', () => {
    const gate = '{ name: errors, kind: threshold, query: error-rate, max: 0.05 }';
    const cloudwatch = `{ type: cloudwatch, requests: '${metricStat('r', 'Invocations', 'Average')}' }`;
    expect(problemsOf(config(cloudwatch, [gate])).join('\n')).toContain(
      'defaults.metrics.requests: is the request count, but "Stat": "Average" is not a count',
    );
    const datadog = DATADOG.replace('sum:requests', 'avg:requests');
    expect(problemsOf(config(datadog, [gate])).join('\n')).toContain(
      'defaults.metrics.requests: is the request count, but "avg:" takes the average of the series, not a count',
    );
  });
});
