import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { PROMETHEUS_REQUESTS_DEFAULT } from '../../src/config/metrics-schema.js';
import { ConfigError } from '../../src/core/errors.js';
import { NO_BUCKETS } from '../../src/metrics/capabilities.js';
import { metricsFor } from '../../src/release/adapters.js';

const F = '.github/model-gate.yml';

/** The sources whose queries are selectors into JSON: a PromQL-like query is no query there. */
const selectors = (metrics: string) => /type: (http-json|file)\b/.test(metrics);
/** A query of one slot's errors: the source picks the slot on the selector sources (in the URL, by entry). */
const ofSlot = (metrics: string, query: string) =>
  selectors(metrics) ? query.replaceAll('{slot="{{slot}}"}', '') : query;

/**
 * A one-model config whose metrics source is `metrics` (flow YAML) and whose gate query is `query`
 * (naming the slot: a query that does not is refused on the sources that answer any query).
 */
const yaml = (metrics: string, query = ofSlot(metrics, 'error_rate{slot="{{slot}}"}')) => `version: 1
defaults:
  target: { type: sandbox, url: http://127.0.0.1:8080 }
  strategy: { type: canary, steps: [50] }
models:
  fraud:
    source: { file: model.yaml, key: version }
    metrics: ${metrics}
    gates:
      - { name: g, kind: threshold, query: '${query}', max: 1 }
`;

const ENV = { PROM_TOKEN: 'tok', DD_API_KEY: 'k1', DD_APP_KEY: 'k2' };
const metricsOf = (text: string) => parseConfig(text, ENV).config.models.fraud?.metrics;
function problems(text: string): string[] {
  try {
    parseConfig(text, ENV);
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  throw new Error('accepted');
}

describe('metric source configuration', () => {
  it('normalises a prometheus source, with defaults', () => {
    expect(
      metricsOf(yaml('{ type: prometheus, url: "http://prom:9090" }', 'sum(x{slot="{{slot}}"})')),
    ).toEqual({
      type: 'prometheus',
      url: 'http://prom:9090',
      headers: {},
      timeoutMs: 10_000,
      requests: PROMETHEUS_REQUESTS_DEFAULT,
    });
    const full = metricsOf(
      yaml(
        // biome-ignore lint/suspicious/noTemplateCurlyInString: ${NAME} is config syntax
        '{ type: prometheus, url: "https://prom", headers: { Authorization: "Bearer ${PROM_TOKEN}" }, timeout: 3s, step: 15s, requests: "sum(r{s=\\"{{slot}}\\"})" }',
      ),
    );
    expect(full).toEqual({
      type: 'prometheus',
      url: 'https://prom',
      headers: { Authorization: 'Bearer tok' },
      timeoutMs: 3000,
      stepMs: 15_000,
      requests: 'sum(r{s="{{slot}}"})',
    });
  });

  it('normalises datadog (site or url), cloudwatch, http-json and file sources', () => {
    expect(
      metricsOf(
        yaml(
          // biome-ignore lint/suspicious/noTemplateCurlyInString: ${NAME} is config syntax
          '{ type: datadog, site: datadoghq.eu, api-key: "${DD_API_KEY}", application-key: "${DD_APP_KEY}", requests: "sum:r{slot:{{slot}}}.as_count()" }',
        ),
      ),
    ).toEqual({
      type: 'datadog',
      url: 'https://api.datadoghq.eu',
      apiKey: 'k1',
      applicationKey: 'k2',
      timeoutMs: 10_000,
      requests: 'sum:r{slot:{{slot}}}.as_count()',
      reducer: 'avg',
    });
    expect(
      metricsOf(
        yaml(
          '{ type: cloudwatch, region: us-east-1, profile: ci, reducer: last, timeout: 20s, requests: "SELECT SUM(R) FROM M" }',
        ),
      ),
    ).toEqual({
      type: 'cloudwatch',
      region: 'us-east-1',
      profile: 'ci',
      timeoutMs: 20_000,
      requests: 'SELECT SUM(R) FROM M',
      reducer: 'last',
    });
    expect(metricsOf(yaml('{ type: http-json, url: "https://m/api/{{model}}/{{slot}}" }'))).toEqual({
      type: 'http-json',
      url: 'https://m/api/{{model}}/{{slot}}',
      headers: {},
      timeoutMs: 10_000,
      requests: 'requests',
    });
    expect(
      metricsOf(yaml('{ type: file, path: "metrics/{{model}}.json", requests: "counts.total" }')),
    ).toEqual({
      type: 'file',
      path: 'metrics/{{model}}.json',
      requests: 'counts.total',
    });
  });

  it('builds an adapter for every type', () => {
    for (const m of [
      '{ type: prometheus, url: "http://prom:9090" }',
      `{ type: datadog, api-key: "\${DD_API_KEY}", application-key: "\${DD_APP_KEY}", requests: "sum:r{*}.as_count()" }`,
      '{ type: cloudwatch, requests: "SELECT SUM(R) FROM M" }',
      '{ type: http-json, url: "https://m/{{slot}}" }',
      '{ type: file, path: m.json }',
    ]) {
      const model = parseConfig(yaml(m), ENV).config.models.fraud;
      if (!model) throw new Error('no model');
      const source = metricsFor(model);
      expect(typeof source.value).toBe('function');
      expect(typeof source.requests).toBe('function');
    }
  });

  it('accepts a gate kind exactly where the source can serve it (counts everywhere, buckets where it has them)', () => {
    const sources = {
      sandbox: '{ type: sandbox, url: "http://127.0.0.1:8080" }',
      prometheus: '{ type: prometheus, url: "http://prom:9090" }',
      datadog: `{ type: datadog, api-key: "\${DD_API_KEY}", application-key: "\${DD_APP_KEY}", requests: "sum:r{*}.as_count()" }`,
      cloudwatch: '{ type: cloudwatch, requests: "SELECT SUM(R) FROM M" }',
      'http-json': '{ type: http-json, url: "https://m/{{slot}}" }',
      file: '{ type: file, path: m.json }',
    } as const;
    // The sandbox answers only its own names, checked like its other queries.
    const sandboxNames = (metrics: string, gate: string) =>
      metrics === sources.sandbox ? gate.replaceAll('{slot="{{slot}}"}', '') : gate;
    const withGate = (metrics: string, gate: string) =>
      `${yaml(metrics).replace(/ {4}gates:\n.*\n$/, '')}    gates:\n      - ${ofSlot(metrics, sandboxNames(metrics, gate))}\n`;
    // Queries of one slot, with no sandbox defaults: valid on every source.
    const latency =
      '{ name: p95, kind: latency, buckets: \'latency{slot="{{slot}}"}\', quantile: 0.95, max-increase: 10% }';
    const ratio =
      '{ name: e, kind: ratio, events: \'errors{slot="{{slot}}"}\', total: \'requests{slot="{{slot}}"}\', max-increase: 10% }';
    const conversion =
      '{ name: c, kind: conversion, conversions: \'conversions{slot="{{slot}}"}\', exposures: \'exposures{slot="{{slot}}"}\' }';
    for (const [type, metrics] of Object.entries(sources)) {
      const model = parseConfig(withGate(metrics, ratio), ENV).config.models.fraud;
      if (!model) throw new Error('no model');
      const source = metricsFor(model);
      expect(typeof source.count, `${type} count`).toBe('function');
      expect(() => parseConfig(withGate(metrics, conversion), ENV), type).not.toThrow();
      const hasBuckets = typeof source.buckets === 'function';
      expect(hasBuckets, `${type} buckets`).toBe(NO_BUCKETS[type as keyof typeof sources] === undefined);
      if (hasBuckets) expect(() => parseConfig(withGate(metrics, latency), ENV), type).not.toThrow();
      else
        expect(problems(withGate(metrics, latency)), type).toEqual([
          expect.stringContaining(
            `models.fraud.gates[0].kind: the ${type} metric source has no histogram buckets`,
          ),
        ]);
    }
  });

  it('names the exact field of each mistake', () => {
    expect(
      problems(yaml('{ type: prometheus, url: "http://p", requests: "sum(x{s=\\"{{stage}}\\"})" }')),
    ).toEqual([
      `${F}:8:61: models.fraud.metrics.requests: unknown variable {{stage}} (known: {{slot}}, {{model}}, {{version}}, {{name}}, {{window}}, {{since}}, {{until}})`,
    ]);
    expect(
      problems(yaml('{ type: prometheus, url: "http://p", headers: { "Bad Header": x }, timeout: 10 }')),
    ).toEqual([
      `${F}:8:62: models.fraud.metrics.headers["Bad Header"]: expected an HTTP header name, got "Bad Header"`,
      `${F}:8:90: models.fraud.metrics.timeout: expected a duration such as "500ms", "30s", "10m", "1h30m" or "2d", got the bare number 10 (add a unit: ms, s, m, h or d)`,
    ]);
    expect(
      problems(
        yaml(
          `{ type: datadog, site: datadoghq.com, url: "http://x", api-key: "\${DD_API_KEY}", application-key: "\${DD_APP_KEY}", requests: r }`,
        ),
      ),
    ).toEqual([`${F}:8:57: models.fraud.metrics.url: set either site or url, not both`]);
    expect(
      problems(yaml(`{ type: datadog, api-key: "\${DD_API_KEY}", application-key: "\${DD_APP_KEY}" }`)),
    ).toEqual([
      `${F}:8:5: models.fraud.metrics.requests: required: Datadog query of the request count of one slot (its points are summed)`,
    ]);
    expect(problems(yaml('{ type: cloudwatch, region: Europe, requests: r }'))).toEqual([
      `${F}:8:42: models.fraud.metrics.region: expected an AWS region such as "us-east-1", got "Europe"`,
    ]);
    expect(problems(yaml('{ type: http-json, url: "ftp://m/{{slot}}", requests: "a..b" }'))).toEqual([
      `${F}:8:38: models.fraud.metrics.url: expected an http:// or https:// URL, got "ftp://m/{{slot}}"`,
      expect.stringMatching(
        /^.*:8:68: models\.fraud\.metrics\.requests: cannot read the selector at character 3/,
      ),
    ]);
    expect(problems(yaml('{ type: file, path: ../metrics.json }'))).toEqual([
      expect.stringMatching(
        /models\.fraud\.metrics\.path: expected a path relative to the repository root without "\.\."/,
      ),
    ]);
    expect(problems(yaml('{ type: influxdb, url: "http://x" }'))).toEqual([
      `${F}:8:22: models.fraud.metrics.type: unknown metrics type "influxdb" (known: "sandbox", "prometheus", "datadog", "cloudwatch", "http-json" or "file")`,
    ]);
  });
});
