import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { newRelease } from '../../src/release/new-release.js';
import { renderTerminal } from '../../src/report/terminal.js';
import { report, row } from './release-world.js';

// Gates on Prometheus, written as full PromQL: the gate column names each at a glance, the table
// as wide as its values, not as its queries.
const ERRORS = 'sum(increase(requests_total{slot="{{slot}}",code=~"5.."}[{{window}}])) or vector(0)';
const REQUESTS = 'sum(increase(requests_total{slot="{{slot}}"}[{{window}}]))';
const P99 =
  'histogram_quantile(0.99, sum by (le) (rate(request_seconds_bucket{slot="{{slot}}"}[{{window}}])))';

const config = parseConfig(
  `version: 1
models:
  fraud:
    source: { file: models/fraud.yaml, key: version }
    target: { type: sandbox, url: "http://127.0.0.1:1" }
    metrics: { type: prometheus, url: "http://127.0.0.1:1" }
    strategy: { type: canary, steps: [50], step-duration: 5m, min-requests: 100, interval: 10s }
    gates:
      - { name: errors, kind: ratio, events: '${ERRORS}', total: '${REQUESTS}', max-increase: 10% }
      - { name: p99, kind: threshold, query: '${P99}', max: 0.5 }
`,
  {},
).config;
const model = config.models.fraud;
if (!model) throw new Error('no model fraud');
const release = newRelease(model, { from: 'v1', to: 'v2', now: Date.UTC(2026, 0, 1) });

describe('the gate column of gates written as full queries', () => {
  it('names a ratio of two queries as a ratio, not as a division it would misread', () => {
    const text = report(config, release);
    expect(row(text, 'errors (ratio)')).toMatch(
      /^\| errors \(ratio\) \| – \| – \| at most ×1\.1 the baseline's rate/,
    );
    expect(text).not.toContain('or vector(0) /');
  });

  it('shows the start of a long query, clipped, and keeps the terminal table narrow', () => {
    expect(row(report(config, release), 'p99 (histogram\\_quantile(0.99, sum by (le) (r…)')).toBeDefined();
    const terminal = renderTerminal(config, { releases: [release], skipped: [] }, release.updatedAt);
    expect(terminal).toMatch(
      /^ {2}p99 \(histogram_quantile\(0\.99, sum by \(le\) \(r…\) {2}– +– +≤ 0\.5000 +⏳ pending$/m,
    );
    expect(terminal).toMatch(/^ {2}errors \(ratio\) +– +– +at most ×1\.1 the baseline's rate/m);
    // As wide as the bound and verdict need, not as the queries: the table fits a terminal.
    const header = terminal.split('\n').find((l) => l.startsWith('  gate '));
    expect(header?.length).toBeLessThan(120);
  });
});
