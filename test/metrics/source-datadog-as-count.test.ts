import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { countQueryProblem } from '../../src/metrics/count-query-checks.js';
import { datadogSource } from '../../src/metrics/datadog-source.js';
import type { MetricWindow } from '../../src/metrics/source.js';
import { problemsOf } from '../config/sample.js';
import { type FakeDatadog, startFakeDatadog } from '../support/metrics-datadog.js';

// Through Datadog's API a count's points are averaged within each rollup interval (20 s in a
// window up to 1 h) unless the query asks for .as_count(): summed, they are a fraction of the
// count, and a ratio or SRM gate judges the shrunken numbers. Refused when the config is loaded.

const KEYS = { apiKey: 'k1', applicationKey: 'k2' };
const T0 = 1_760_000_000_000; // a whole 20 s
const window: MetricWindow = { model: 'fraud', slot: 'canary', version: 'v2', since: T0, until: T0 + 60_000 };
const WITHOUT = 'sum:model.requests{model:{{model}},slot:{{slot}}}';

let dd: FakeDatadog;
beforeAll(async () => {
  // 20 requests every 10 s for a minute: 120 requests.
  const points = [0, 1, 2, 3, 4, 5].map((i): [number, number] => [T0 + i * 10_000, 20]);
  dd = await startFakeDatadog({
    ...KEYS,
    series: [{ metric: 'model.requests', tags: { model: 'fraud', slot: 'canary' }, points }],
  });
});
afterAll(async () => {
  await dd?.close();
});

const source = (requests: string) =>
  datadogSource({ type: 'datadog', url: dd.url, ...KEYS, timeoutMs: 2_000, requests, reducer: 'avg' });

describe('a Datadog count query without .as_count()', () => {
  it('reads half the requests from the API (the stand-in averages each 20 s), and 120 with .as_count()', async () => {
    expect(await source(WITHOUT).requests(window)).toBe(60);
    expect(await source(`${WITHOUT}.as_count()`).requests(window)).toBe(120);
  });

  it('is refused, naming the term and the fix', () => {
    expect(countQueryProblem('datadog', WITHOUT)).toBe(
      `${WITHOUT} has no .as_count(): through the API each point of a count is the average of its rollup interval (20 s in a window up to 1 h, 1 min up to 4 h, 5 min up to a day), so its points summed are a fraction of the count (about 1/2 to 1/6); append .as_count() (or .rollup(sum)): ${WITHOUT}.as_count()`,
    );
    // One term of two without it is enough to shrink the count.
    expect(countQueryProblem('datadog', `${WITHOUT}.as_count() + sum:model.retries{slot:{{slot}}}`)).toMatch(
      /^sum:model\.retries\{slot:\{\{slot\}\}\} has no \.as_count\(\)/,
    );
  });

  it('is accepted with .as_count(), .rollup(sum) or .rollup(sum, 60), inside default_zero too', () => {
    for (const q of [
      `${WITHOUT}.as_count()`,
      `${WITHOUT}.rollup(sum)`,
      `${WITHOUT}.rollup(sum, 60)`,
      `default_zero(${WITHOUT}.as_count())`,
      `${WITHOUT}.fill(zero).as_count()`,
    ]) {
      expect(countQueryProblem('datadog', q), q).toBeUndefined();
    }
    expect(countQueryProblem('datadog', `${WITHOUT}.rollup(count)`)).toMatch(/has no \.as_count\(\)/);
  });

  const config = (requests: string, events: string) => `version: 1
defaults:
  target: { type: sandbox, url: http://127.0.0.1:8080 }
  metrics: { type: datadog, api-key: "\${DD_API_KEY}", application-key: "\${DD_APP_KEY}", requests: "${requests}" }
models:
  fraud:
    source: { file: models/fraud/model.yaml, key: version }
    strategy: { type: canary, steps: [10, 50] }
    gates:
      - { name: errors, kind: ratio, max-increase: 10%, events: "${events}" }
`;
  const ENV = { DD_API_KEY: 'k1', DD_APP_KEY: 'k2' };

  it('is refused in metrics.requests and in a gate’s count field when the config is loaded', () => {
    const problems = problemsOf(config(WITHOUT, 'sum:model.errors{slot:{{slot}}}'), ENV);
    expect(problems).toHaveLength(2);
    expect(problems[0]).toMatch(
      /defaults\.metrics\.requests: is the request count, but sum:model\.requests\{model:\{\{model\}\},slot:\{\{slot\}\}\} has no \.as_count\(\)/,
    );
    expect(problems[1]).toMatch(
      /models\.fraud\.gates\[0\]\.events: is a count query on the datadog metrics source, but sum:model\.errors\{slot:\{\{slot\}\}\} has no \.as_count\(\).*: sum:model\.errors\{slot:\{\{slot\}\}\}\.as_count\(\)$/,
    );
    const fixed = config(`${WITHOUT}.as_count()`, 'sum:model.errors{slot:{{slot}}}.as_count()');
    expect(Object.keys(parseConfig(fixed, ENV).config.models)).toEqual(['fraud']);
  });
});
