import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseConfig } from '../../src/config/load.js';
import type { Config } from '../../src/config/types.js';
import { FakeClock } from '../../src/core/clock.js';
import type { MetricSource } from '../../src/metrics/source.js';
import { newRelease } from '../../src/release/new-release.js';
import { tick } from '../../src/release/tick.js';
import type { Release } from '../../src/release/types.js';
import { renderMarkdown } from '../../src/report/markdown.js';
import { MemoryTarget } from '../support/memory-target.js';

/**
 * A config file with one model, `fraud`, on the given strategy and gates (YAML flow maps), its
 * metrics from the sandbox unless `metrics` says otherwise (a test's FakeCounts answers them all).
 */
export const SANDBOX_METRICS = '{ type: sandbox, url: "http://127.0.0.1:1" }';
export function configWith(strategy: string, gates: string[], extra = '', metrics = SANDBOX_METRICS): Config {
  const text = `version: 1
models:
  fraud:${extra ? `\n    ${extra}` : ''}
    source: { file: models/fraud.yaml, key: version }
    target: { type: sandbox, url: "http://127.0.0.1:1" }
    metrics: ${metrics}
    strategy: ${strategy}
    gates:
${gates.map((g) => `      - ${g}`).join('\n')}
`;
  return parseConfig(text, {}).config;
}

/**
 * The engine's release of fraud v1 → v2 on a fake clock, looked at every `interval` until it ends
 * or `stop` says so; `each` sees every state (to change the metrics or the target between phases).
 */
export async function released(
  config: Config,
  metrics: MetricSource,
  {
    stop,
    each,
    target = new MemoryTarget(),
  }: { stop?: (r: Release) => boolean; each?: (r: Release) => void; target?: MemoryTarget } = {},
): Promise<Release> {
  const model = config.models.fraud;
  if (!model) throw new Error('no model fraud');
  const clock = new FakeClock(Date.UTC(2026, 0, 1));
  const ctx = { config: model, target, metrics, clock };
  let r = newRelease(model, { from: 'v1', to: 'v2', now: clock.now() });
  for (let i = 0; i < 1000 && r.status === 'analysing'; i++) {
    r = await tick(r, ctx);
    each?.(r);
    if (stop?.(r)) return r;
    await clock.sleep(model.strategy.intervalMs);
  }
  return r;
}

/** The release's PR comment (which says `this PR`, where any other report names it). */
export const report = (config: Config, r: Release) =>
  renderMarkdown(config, { releases: [r], skipped: [] }, { now: r.updatedAt, prComment: true });

/** The report's table row whose first cell is `first`. */
export const row = (text: string, first: string) =>
  text.split('\n').find((l) => l.startsWith(`| ${first} |`));

/**
 * A green model behind a real HTTP server on 127.0.0.1 for blue-green smoke tests: it answers
 * every golden request but one whose body says `bad`. `url` is a smoke URL template.
 */
export async function startGreen(): Promise<{ url: string; close: () => Promise<void> }> {
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => {
      body += chunk;
    });
    req.on('end', () =>
      res
        .writeHead(body.includes('bad') ? 500 : 200, { 'content-type': 'application/json' })
        .end('{"score":0.1}'),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/predict/{{version}}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** fraud on blue-green with a 1-minute bake and a smoke test of `requests` (YAML) against `url`. */
export const blueGreenWith = (url: string, requests: string) =>
  configWith(
    `{ type: blue-green, bake-duration: 1m, rollback-window: 1h, step-duration: 2m, min-requests: 100, interval: 10s, smoke: { url: "${url}", requests: ${requests}, repeat: 2 } }`,
    ['{ name: errors, kind: threshold, query: error-rate, max: 0.02 }'],
  );
