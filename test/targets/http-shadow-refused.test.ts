import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { afterEach, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { FakeClock } from '../../src/core/clock.js';
import { renderMarkdown } from '../../src/report/markdown.js';
import { openV1ToV2OnRealAdapters } from '../support/pr-release-world.js';
import { type ServingLayer, startServingLayer } from '../support/standins/http-serving-layer.js';

// A service whose /capabilities cannot serve the first phase (no mirror for a shadow, a mirror
// smaller than its share, whole percentages for a step of 12.5) was refused by the http target
// before its PUT, but as a plain error: the release read it as an outage, reported "🔌 Rolled
// back … a fault outside the candidate: push a new commit" (which cannot help) and sent a
// rollback PUT the service never needed. It is the request's refusal now: v2 was not deployed,
// the comment says what to change, and nothing is written. The release as the action runs it.

let layer: ServingLayer | undefined;
afterEach(async () => {
  await layer?.close();
});

const configFor = (url: string, strategies: string, strategy: string) =>
  parseConfig(
    `version: 1
models:
  fraud:
    source: { file: models/fraud/model.yaml, key: version }
    target: { type: http, url: "${url}", strategies: [${strategies}], settle-timeout: 2s, poll-interval: 10ms }
    metrics: { type: file, path: unused.json }
    strategy: ${strategy}
    gates:
      - { name: errors, kind: threshold, query: error-rate, max: 0.02 }
`,
    {},
  ).config;

const SHADOW = '{ type: shadow, share: 20, duration: 2m, step-duration: 1m, interval: 10s }';
const CANARY = '{ type: canary, steps: [10, 12.5], step-duration: 1m, interval: 10s }';

describe('an http service whose capabilities cannot serve the first phase', () => {
  it.each([
    [
      'a shadow on a service without a mirror',
      { strategies: ['canary', 'shadow'] as const },
      ['shadow', SHADOW],
      'the switch to a mirror of 20% of requests',
      "has no mirror in its capabilities, so it cannot shadow v2: add mirror to the service's /capabilities (once it mirrors requests), or use another strategy than shadow",
    ],
    [
      'a shadow share above the mirror the service declares',
      { strategies: ['canary', 'shadow'] as const, mirror: { maxPercent: 10 } },
      ['shadow', SHADOW],
      'the switch to a mirror of 20% of requests',
      "mirrors at most 10% of live traffic, asked for 20%: set strategy.share to 10 or less, or raise mirror.maxPercent in the service's /capabilities",
    ],
    [
      'a fractional step on a service of whole percentages',
      { strategies: ['canary'] as const, weights: 'integer' as const },
      ['canary', CANARY],
      'the switch to 10% of live traffic',
      'takes whole percentages of traffic (its /capabilities say weights: integer), got 12.5; use whole numbers',
    ],
  ])(
    '%s: not deployed, saying what to change, and no PUT is sent',
    async (_, capabilities, [strategies, strategy], asked, why) => {
      layer = await startServingLayer({
        deployed: ['v1', 'v2'],
        stable: 'v1',
        capabilities: { ...capabilities },
      });
      const config = configFor(layer.url, strategies as string, strategy as string);
      const clock = new FakeClock();
      const result = await openV1ToV2OnRealAdapters(config, {
        model: 'fraud',
        clock,
        dir: await mkdtemp(`${tmpdir()}/http-shadow-refused-`),
        mode: 'watch',
      });
      const field = strategies === 'canary' ? 'models.fraud.strategy.steps[1]: ' : '';
      const refusal = `${field}serving layer at ${layer.url} ${why}`;

      expect(result.releases[0]?.status).toBe('failed');
      expect(result.releases[0]?.reason).toBe(
        `v2 was not deployed and got no traffic: the platform refused ${asked}: ${refusal}`,
      );
      expect(result.releases[0]?.ending).toEqual({ firstChangeRefused: 'request' });
      const comment = renderMarkdown(config, result, { now: clock.now(), prComment: true });
      expect(comment).toContain('## model-gate: ❌ Not deployed: the platform refused the change');
      expect(comment).toContain('### fraud: v1 → v2 (not deployed)');
      expect(comment).not.toMatch(/rolled back|outside the candidate/i);
      expect(layer.requests.filter((r) => r.method === 'PUT')).toEqual([]);
      expect(layer.traffic).toEqual({ stable: { version: 'v1' } });
    },
  );
});
