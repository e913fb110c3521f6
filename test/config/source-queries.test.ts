import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { problemsOf } from './sample.js';

// Gate queries on a metric source that answers any query it is sent: a query left to one of the
// sandbox's names, or one that does not pick out the arm, would read no data or the same numbers
// for the candidate and the stable version, so a bad candidate could pass. Refused when validated.

const F = '.github/model-gate.yml';
const ENV = { DD_API_KEY: 'k1', DD_APP_KEY: 'k2' };

/** One model on `metrics` (flow YAML) with `strategy` and the gates (flow YAML, one a line). */
const config = (metrics: string, gates: string[], strategy = '{ type: canary, steps: [10, 50] }') =>
  `version: 1
defaults:
  target: { type: sandbox, url: http://127.0.0.1:8080 }
  metrics: ${metrics}
models:
  fraud:
    source: { file: models/fraud/model.yaml, key: version }
    strategy: ${strategy}
    gates:
${gates.map((g) => `      - ${g}\n`).join('')}`;

const PROMETHEUS = '{ type: prometheus, url: "http://127.0.0.1:9090" }';
const DATADOG = `{ type: datadog, api-key: "\${DD_API_KEY}", application-key: "\${DD_APP_KEY}", requests: "sum:requests{*}.as_count()" }`;
const CLOUDWATCH = `{ type: cloudwatch, requests: '{"Id": "r", "MetricStat": {"Metric": {"Namespace": "M", "MetricName": "Requests", "Dimensions": [{"Name": "Version", "Value": "{{version}}"}]}, "Stat": "Sum"}}' }`;
const SLOT_SUM = (metric: string) => `'sum(increase(${metric}{slot="{{slot}}"}[{{window}}]))'`;

describe('a query left to the sandbox name, on a source that answers any query', () => {
  it('is refused on prometheus, naming the field, the source and an example', () => {
    const text = `${config(PROMETHEUS, [
      `{ name: errors, kind: ratio, max-increase: 10%, events: ${SLOT_SUM('errors_total')} }`,
      '{ name: lat, kind: latency, quantile: 0.99, max-increase: 15% }',
      '{ name: conv, kind: conversion }',
      '{ name: scores, kind: drift }',
    ])}    drift-watch: { window: 1h }\n`;
    expect(problemsOf(text)).toEqual([
      `${F}:11:9: models.fraud.gates[1].buckets: required with the prometheus metrics source ("latency" is the sandbox's name): the histogram query of the latency, per slot, e.g. sum by (le) (increase(latency_seconds_bucket{slot="{{slot}}"}[{{window}}]))`,
      `${F}:12:9: models.fraud.gates[2].conversions: required with the prometheus metrics source ("conversions" is the sandbox's name): the count query of the conversions, per slot, e.g. sum(increase(conversions_total{slot="{{slot}}"}[{{window}}])) or vector(0)`,
      `${F}:12:9: models.fraud.gates[2].exposures: required with the prometheus metrics source ("exposures" is the sandbox's name): the count query of what the conversions are out of, per slot, e.g. sum(increase(exposures_total{slot="{{slot}}"}[{{window}}]))`,
      `${F}:13:9: models.fraud.gates[3].buckets: required with the prometheus metrics source ("scores" is the sandbox's name): the histogram query of the predictions, per slot, e.g. sum by (le) (increase(prediction_score_bucket{slot="{{slot}}"}[{{window}}]))`,
      `${F}:14:5: models.fraud.drift-watch.buckets: required with the prometheus metrics source ("scores" is the sandbox's name): the histogram query of the stable version's predictions, e.g. sum by (le) (increase(prediction_score_bucket{slot="{{slot}}"}[{{window}}]))`,
    ]);
  });

  it("is refused for a shadow's agreement on datadog and a conversion on http-json, with their own examples", () => {
    const shadow = '{ type: shadow, share: 50, duration: 1h }';
    expect(problemsOf(config(DATADOG, ['{ name: agree, kind: agreement }'], shadow), ENV)).toEqual([
      `${F}:10:9: models.fraud.gates[0].query: required with the datadog metrics source ("agreement" is the sandbox's name): the share of the candidate's predictions identical to stable's, per slot, e.g. avg:shadow.agreement{version:{{version}}}`,
    ]);
    const httpJson = '{ type: http-json, url: "https://metrics.example.com/{{model}}/{{slot}}" }';
    expect(
      problemsOf(config(httpJson, ['{ name: conv, kind: conversion, conversions: stats.conversions }'])),
    ).toEqual([
      `${F}:10:9: models.fraud.gates[0].exposures: required with the http-json metrics source ("exposures" is the sandbox's name): the count query of what the conversions are out of, per slot, e.g. stats.exposures`,
    ]);
  });

  it('is still filled in on the sandbox and file sources, where it names a slot entry', () => {
    const gates = [
      '{ name: agree, kind: agreement }',
      '{ name: lat, kind: latency, quantile: 0.99, max-increase: 15% }',
      '{ name: scores, kind: drift }',
    ];
    for (const metrics of [
      '{ type: sandbox, url: http://127.0.0.1:8080 }',
      '{ type: file, path: m.jsonl }',
    ]) {
      const text = `${config(metrics, gates, '{ type: shadow, share: 50, duration: 1h }')}    drift-watch: {}\n`;
      const model = parseConfig(text, {}).config.models.fraud;
      expect(model?.gates, metrics).toEqual([
        expect.objectContaining({ kind: 'threshold', name: 'agree', query: 'agreement', min: 0.95 }),
        expect.objectContaining({ kind: 'latency', buckets: 'latency' }),
        expect.objectContaining({ kind: 'drift', buckets: 'scores' }),
      ]);
      expect(model?.driftWatch, metrics).toEqual(expect.objectContaining({ buckets: 'scores' }));
      // A conversion gate is an A/B's (a shadow, whose answers reach no caller, refuses it); on a
      // target that splits users by key the sandbox's must count users, so here one splitting requests.
      const perRequest = config(
        metrics,
        ['{ name: conv, kind: conversion }', '{ name: split, kind: srm }'],
        '{ type: ab }',
      ).replace(
        'target: { type: sandbox, url: http://127.0.0.1:8080 }',
        'target: { type: sagemaker, endpoint: fraud-ep, region: eu-west-1 }',
      );
      const ab = parseConfig(perRequest, {}).config.models.fraud;
      expect(ab?.gates, metrics).toEqual([
        expect.objectContaining({ kind: 'conversion', conversions: 'conversions', exposures: 'exposures' }),
        expect.objectContaining({ kind: 'srm' }),
      ]);
    }
  });
});

describe('a query that does not pick out the arm', () => {
  it('is refused on prometheus: both arms would read the same numbers', () => {
    const text = config(PROMETHEUS, [
      `{ name: errors, kind: ratio, max-increase: 10%, events: 'sum(increase(errors_total[{{window}}]))' }`,
      `{ name: p99, kind: threshold, max-increase: 20%, query: 'histogram_quantile(0.99, sum by (le) (rate(latency_seconds_bucket{model="{{model}}"}[{{window}}])))' }`,
    ]);
    expect(problemsOf(text)).toEqual([
      `${F}:10:65: models.fraud.gates[0].events: names neither {{slot}} nor {{version}}, so on the prometheus metrics source the candidate and the stable version would read the same numbers; pick the arm with a label matcher such as slot="{{slot}}" or version="{{version}}"`,
      `${F}:11:65: models.fraud.gates[1].query: names neither {{slot}} nor {{version}}, so on the prometheus metrics source the candidate and the stable version would read the same numbers; pick the arm with a label matcher such as slot="{{slot}}" or version="{{version}}"`,
    ]);
  });

  it('is accepted in a threshold with absolute bounds only: a safeguard may read the whole service', () => {
    const text = config(PROMETHEUS, [
      `{ name: checkout-5xx, kind: threshold, max: 0.01, query: 'sum(rate(http_requests_total{service="checkout",code=~"5.."}[5m])) / sum(rate(http_requests_total{service="checkout"}[5m]))' }`,
    ]);
    expect(parseConfig(text, ENV).config.models.fraud?.gates[0]).toMatchObject({
      name: 'checkout-5xx',
      max: 0.01,
    });
  });

  it("is refused on datadog for a ratio gate's total left to a requests query of every slot", () => {
    const text = config(DATADOG, [
      '{ name: errors, kind: ratio, max-increase: 10%, events: "sum:errors{slot:{{slot}}}.as_count()" }',
      '{ name: nulls, kind: ratio, max-increase: 10%, events: "sum:nulls{slot:{{slot}}}.as_count()", total: requests }',
    ]);
    const tail =
      "is the source's requests query (metrics.requests), which names neither {{slot}} nor {{version}}, so on the datadog metrics source the candidate and the stable version would read the same numbers; pick the arm in metrics.requests with a tag such as slot:{{slot}} or version:{{version}}, or write total";
    expect(problemsOf(text, ENV)).toEqual([
      `${F}:10:9: models.fraud.gates[0].total: left out or "requests", total ${tail}`,
      `${F}:11:110: models.fraud.gates[1].total: left out or "requests", total ${tail}`,
    ]);
  });

  it("is refused on prometheus for an srm gate's units, and accepted when they pick the arm", () => {
    const ab = '{ type: ab, split: 50 }';
    const conversion = `{ name: conv, kind: conversion, conversions: ${SLOT_SUM('conversions_total')}, exposures: ${SLOT_SUM('exposures_total')} }`;
    const users = (matcher: string) =>
      `'count(count by (user_id) (increase(requests_total${matcher}[{{window}}]) > 0))'`;
    const refused = config(PROMETHEUS, [conversion, `{ name: split, kind: srm, units: ${users('')} }`], ab);
    expect(problemsOf(refused)).toEqual([
      `${F}:11:42: models.fraud.gates[1].units: names neither {{slot}} nor {{version}}, so on the prometheus metrics source the candidate and the stable version would read the same numbers; pick the arm with a label matcher such as slot="{{slot}}" or version="{{version}}"`,
    ]);
    const accepted = config(
      PROMETHEUS,
      [conversion, `{ name: split, kind: srm, units: ${users('{slot="{{slot}}"}')} }`],
      ab,
    );
    expect(parseConfig(accepted, {}).config.models.fraud?.gates[1]).toMatchObject({
      kind: 'srm',
      units: 'count(count by (user_id) (increase(requests_total{slot="{{slot}}"}[{{window}}]) > 0))',
    });
  });

  it('is refused on cloudwatch, in a MetricDataQuery without a dimension of the arm', () => {
    const text = config(CLOUDWATCH, [
      `{ name: errors, kind: ratio, max-increase: 10%, events: '{"Id": "e", "MetricStat": {"Metric": {"Namespace": "M", "MetricName": "Errors"}, "Stat": "Sum"}}' }`,
    ]);
    expect(problemsOf(text)).toEqual([
      `${F}:10:65: models.fraud.gates[0].events: names neither {{slot}} nor {{version}}, so on the cloudwatch metrics source the candidate and the stable version would read the same numbers; pick the arm with a dimension such as {"Name": "VariantName", "Value": "{{name}}"}`,
    ]);
  });

  it('is refused on http-json when the URL fetched names neither {{slot}} nor {{version}}', () => {
    const text = config('{ type: http-json, url: "https://metrics.example.com/{{model}}" }', [
      '{ name: errors, kind: threshold, max-increase: 20%, query: stats.error_rate }',
      '{ name: psi, kind: threshold, max-decrease: 20%, query: "https://drift.example.com/psi?model={{model}}#psi" }',
      '{ name: psi-v, kind: threshold, max-increase: 20%, query: "https://drift.example.com/psi?v={{version}}#psi" }',
    ]);
    expect(problemsOf(text)).toEqual([
      `${F}:10:68: models.fraud.gates[0].query: a selector, read from the answer of the source's url, which names neither {{slot}} nor {{version}}, so on the http-json metrics source the candidate and the stable version would read the same numbers; put {{slot}} in that url (e.g. https://metrics.example.com/{{model}}/{{slot}}) or give the query a URL of its own: <url naming {{slot}}>#<selector>`,
      `${F}:11:65: models.fraud.gates[1].query: its URL names neither {{slot}} nor {{version}}, so on the http-json metrics source the candidate and the stable version would read the same numbers; put {{slot}} in it, e.g. https://metrics.example.com/{{model}}/{{slot}}#stats.errors`,
    ]);
  });

  it('is accepted in a blue-green bake, which compares green with blue before the switch', () => {
    const text = config(
      PROMETHEUS,
      [
        `{ name: errors, kind: threshold, max-increase: 20%, query: 'sum(rate(errors_total{model="{{model}}"}[5m]))' }`,
      ],
      '{ type: blue-green, bake-duration: 30m }',
    );
    expect(parseConfig(text, {}).config.models.fraud?.gates).toHaveLength(1);
  });
});

describe('a prometheus config that writes every query per slot', () => {
  it('validates, keeping each query as written', () => {
    const text = `${config(
      PROMETHEUS,
      [
        `{ name: errors, kind: ratio, max-increase: 10%, events: ${SLOT_SUM('errors_total')}, total: ${SLOT_SUM('requests_total')} }`,
        `{ name: timeouts, kind: ratio, max-increase: 10%, events: ${SLOT_SUM('timeouts_total')} }`,
        `{ name: lat, kind: latency, quantile: 0.99, max-increase: 15%, buckets: 'sum by (le) (increase(latency_seconds_bucket{slot="{{slot}}"}[{{window}}]))' }`,
        `{ name: scores, kind: drift, buckets: 'sum by (le) (increase(score_bucket{version="{{version}}"}[{{window}}]))' }`,
        `{ name: agree, kind: agreement, query: 'avg_over_time(agreement{version="{{version}}"}[{{window}}])' }`,
        `{ name: p99, kind: threshold, max: 0.5, query: 'histogram_quantile(0.99, sum by (le) (rate(latency_seconds_bucket{slot="{{slot}}"}[{{window}}])))' }`,
      ],
      '{ type: shadow, share: 50, duration: 1h }',
    )}    drift-watch: { buckets: 'sum by (le) (increase(score_bucket{slot="stable"}[{{window}}]))' }\n`;
    const model = parseConfig(text, {}).config.models.fraud;
    expect(model?.gates.map((g) => ('events' in g ? [g.events, g.total] : g.kind))).toEqual([
      [
        'sum(increase(errors_total{slot="{{slot}}"}[{{window}}]))',
        'sum(increase(requests_total{slot="{{slot}}"}[{{window}}]))',
      ],
      // `requests`: the source's own requests query, which names the slot by default.
      ['sum(increase(timeouts_total{slot="{{slot}}"}[{{window}}]))', 'requests'],
      'latency',
      'drift',
      'threshold',
      'threshold',
    ]);
    // A conversion gate is an A/B's (a shadow, whose answers reach no caller, refuses it).
    const conversion = `{ name: conv, kind: conversion, conversions: ${SLOT_SUM('conversions_total')}, exposures: ${SLOT_SUM('exposures_total')} }`;
    const split = `{ name: split, kind: srm, units: 'count(count by (user_id) (increase(requests_total{slot="{{slot}}"}[{{window}}]) > 0))' }`;
    const ab = parseConfig(config(PROMETHEUS, [conversion, split], '{ type: ab }'), {}).config.models.fraud;
    expect(ab?.gates[0]).toMatchObject({
      conversions: 'sum(increase(conversions_total{slot="{{slot}}"}[{{window}}]))',
      exposures: 'sum(increase(exposures_total{slot="{{slot}}"}[{{window}}]))',
    });
    expect(model?.gates[4]).toMatchObject({
      query: 'avg_over_time(agreement{version="{{version}}"}[{{window}}])',
    });
    expect(model?.driftWatch?.buckets).toBe(
      'sum by (le) (increase(score_bucket{slot="stable"}[{{window}}]))',
    );
  });
});
