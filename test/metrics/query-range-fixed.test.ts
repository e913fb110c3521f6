import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { problemsOf } from '../config/sample.js';

// A count or bucket query with a written-out range (`[5m]`) reads the last 5 minutes at every
// look, not the step so far: against a real Prometheus, the canary slot's previous candidate (30%
// errors) until 30 s before the step made the new one (1%) read 17.5% two minutes in, failed ×17;
// with [{{window}}] both read 1%. Refused when the config is loaded, naming the field, the
// fragment and the fix; PromQL that only looks like a range (in a string, a comment) is not.

const F = '.github/model-gate.yml';

/** One model on prometheus (its `requests` optional) with the gates (flow YAML, one a line) and `extra` model lines. */
const config = (gates: string[], { requests = '', extra = '' } = {}) =>
  `version: 1
defaults:
  target: { type: sandbox, url: http://127.0.0.1:8080 }
  metrics: { type: prometheus, url: "http://127.0.0.1:9090"${requests ? `, requests: '${requests}'` : ''} }
models:
  fraud:
    source: { file: models/fraud/model.yaml, key: version }
    strategy: { type: canary, steps: [10, 50] }
    gates:
${gates.map((g) => `      - ${g}\n`).join('')}${extra}`;

const ERRORS = (range: string) =>
  `sum(increase(http_requests_total{app="{{model}}",slot="{{slot}}",code=~"5.."}[${range}])) or vector(0)`;
const TOTAL = (range: string) =>
  `sum(increase(http_requests_total{app="{{model}}",slot="{{slot}}"}[${range}]))`;
const ratio = (events: string, total = TOTAL('{{window}}')) =>
  `{ name: errors, kind: ratio, max-increase: 10%, events: '${events}', total: '${total}' }`;
const WHY =
  "a gate reads its counts over the step so far, but a fixed range reaches back the same span at every look, so early in a step it reads from before the step began, when the slot served the version before (or another traffic share), and a good candidate can fail on its predecessor's errors or a bad one pass";

const accepted = (text: string) => expect(() => parseConfig(text, {})).not.toThrow();

describe('a fixed range in a count or bucket query on prometheus', () => {
  it('is refused in a ratio gate written from the docs with [5m] for [{{window}}], naming the fragment and the fix', () => {
    expect(problemsOf(config([ratio(ERRORS('5m'))]))).toEqual([
      `${F}:10:65: models.fraud.gates[0].events: reads a fixed range, [5m] in increase(http_requests_total{app="{{model}}",slot="{{slot}}",code=~"5.."}[5m]): ${WHY}; write [{{window}}] instead`,
    ]);
  });

  it('is refused whatever the duration is written as, in total too', () => {
    for (const range of ['300s', '1h30m', '2d', '500ms']) {
      expect(problemsOf(config([ratio(ERRORS('{{window}}'), TOTAL(range))]))).toEqual([
        expect.stringContaining(`models.fraud.gates[0].total: reads a fixed range, [${range}] in increase(`),
      ]);
    }
  });

  it('is refused in a subquery range, keeping its step in the fix', () => {
    const events = `sum(max_over_time(sum(increase(errors_total{slot="{{slot}}"}[{{window}}]))[5m:30s]))`;
    expect(problemsOf(config([ratio(events)]))).toEqual([
      expect.stringMatching(
        /gates\[0\]\.events: reads a fixed range, \[5m:30s\] in max_over_time\(sum\(.*write \[\{\{window\}\}:30s\] instead$/,
      ),
    ]);
  });

  it('counts every fixed range of one query', () => {
    const events = `sum(increase(a_total{slot="{{slot}}"}[5m])) + sum(increase(b_total{slot="{{slot}}"}[5m]))`;
    expect(problemsOf(config([ratio(events)]))).toEqual([
      expect.stringMatching(
        /write \[\{\{window\}\}\] instead \(2 fixed ranges in this query: replace each\)$/,
      ),
    ]);
  });

  it('is refused in latency, conversion and srm gates and in a drift watch', () => {
    const buckets = `sum by (le) (rate(latency_seconds_bucket{slot="{{slot}}"}[5m]))`;
    const text = config(
      [
        `{ name: p99, kind: latency, quantile: 0.99, max-increase: 15%, buckets: '${buckets}' }`,
        `{ name: conv, kind: conversion, conversions: '${TOTAL('{{window}}')}', exposures: '${TOTAL('10m')}' }`,
        `{ name: srm, kind: srm, units: 'count(count by (user) (increase(req_total{slot="{{slot}}"}[1h]) > 0))' }`,
      ],
      {
        extra: `    drift-watch: { buckets: 'sum by (le) (increase(score_bucket{slot="{{slot}}"}[15m]))' }\n`,
      },
    );
    expect(problemsOf(text)).toEqual([
      expect.stringContaining(
        `gates[0].buckets: reads a fixed range, [5m] in rate(latency_seconds_bucket{slot="{{slot}}"}[5m]):`,
      ),
      expect.stringContaining('gates[1].exposures: reads a fixed range, [10m] in increase('),
      expect.stringContaining(
        'gates[2].units: reads a fixed range, [1h] in increase(req_total{slot="{{slot}}"}[1h]):',
      ),
      expect.stringContaining('drift-watch.buckets: reads a fixed range, [15m] in increase(score_bucket'),
    ]);
  });

  it("is refused in the source's requests query, which ratio gates count by default", () => {
    const text = config(
      [
        '{ name: errors, kind: ratio, max-increase: 10%, events: \'sum(increase(e_total{slot="{{slot}}"}[{{window}}]))\' }',
      ],
      {
        requests: TOTAL('5m'),
      },
    );
    expect(problemsOf(text)).toEqual([
      expect.stringContaining(
        'defaults.metrics.requests: reads a fixed range, [5m] in increase(http_requests_total',
      ),
    ]);
  });
});

describe('PromQL that is no fixed range in a count or bucket query', () => {
  it('is accepted: [{{window}}], spaced, and a subquery over the window with its own step', () => {
    accepted(
      config([
        ratio(ERRORS('{{window}}')),
        ratio(ERRORS('{{ window }}')).replace('name: errors', 'name: e2'),
      ]),
    );
    accepted(
      config([
        ratio(`sum(max_over_time(sum(increase(e_total{slot="{{slot}}"}[{{window}}]))[{{window}}:30s]))`),
      ]),
    );
  });

  it('is accepted: a shorter range nested in a subquery over the window', () => {
    accepted(config([ratio(`sum(sum_over_time(increase(e_total{slot="{{slot}}"}[1m])[{{window}}:1m]))`)]));
    accepted(
      config([ratio(`sum(sum_over_time((sum(increase(e_total{slot="{{slot}}"}[1m])))[{{window}}:1m]))`)]),
    );
  });

  it('is accepted: brackets in label values, regular expressions, raw strings and comments', () => {
    for (const events of [
      `sum(increase(e_total{slot="{{slot}}",path="/v1/items[5m]"}[{{window}}]))`,
      `sum(increase(e_total{slot="{{slot}}",code=~"5[0-9]{2}"}[{{window}}]))`,
      `sum(increase(e_total{slot="{{slot}}",path=~\`/a\\[5m]\`}[{{window}}]))`,
      `sum(increase(e_total{slot="{{slot}}",q="say \\"[5m]\\""}[{{window}}]))`,
      `sum(increase(e_total{slot="{{slot}}"}[{{window}}])) # was [5m]`,
    ]) {
      accepted(config([ratio(events)]));
    }
  });

  it('is accepted in a threshold gate, where a rate over a fixed span can be meant', () => {
    accepted(
      config([
        `{ name: p99, kind: threshold, max: 0.5, query: 'histogram_quantile(0.99, sum by (le) (rate(l_bucket{slot="{{slot}}"}[5m])))' }`,
      ]),
    );
  });
});
