import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import type { ModelConfig } from '../../src/config/types.js';
import { FakeClock } from '../../src/core/clock.js';
import { fileLedger } from '../../src/ledger/file-ledger.js';
import type { MetricSource } from '../../src/metrics/source.js';
import type { Ports } from '../../src/release/ports.js';
import { handlePullRequest } from '../../src/release/pull-request.js';
import { memoryFileReader } from '../../src/version/changed-models.js';
import { MemoryTarget } from '../support/memory-target.js';
import { sha } from '../support/model-config.js';
import { passingErrorRate } from '../support/scripted-metrics.js';

// One watch job drives two models of one PR: fraud measured every 30s, churn every 10m. Each is
// looked at at its own interval: churn's gate limits count its own looks, ten minutes apart, and
// its metrics API is not asked 20 times as often because fraud shares the job.
const MIN = 60_000;
const { config } = parseConfig(
  `version: 1
defaults:
  target: { type: sandbox, url: "http://127.0.0.1:1" }
  metrics: { type: sandbox, url: "http://127.0.0.1:1" }
models:
  fraud:
    source: { file: fraud.yaml, key: version }
    strategy: { type: canary, steps: [10, 50], step-duration: 1h, min-requests: 10000000, interval: 30s }
    gates:
      - { name: errors, kind: threshold, query: error-rate, max: 0.02 }
  churn:
    source: { file: churn.yaml, key: version }
    strategy: { type: canary, steps: [10, 50], step-duration: 1h, min-requests: 10000000, interval: 10m }
    gates:
      - { name: errors, kind: threshold, query: error-rate, max: 0.02 }
`,
  {},
);

it('a job driving a 30s model and a 10m one looks at the 10m one every 10 minutes: a 4-minute metrics outage is one failed look, not a rollback', async () => {
  const clock = new FakeClock();
  const started = clock.now();
  const targets = { fraud: new MemoryTarget(), churn: new MemoryTarget() };
  // When each model's candidate metrics were read (minutes into the job): one look each.
  const looks = { fraud: new Set<number>(), churn: new Set<number>() };
  const metricsOf = (model: keyof typeof looks): MetricSource => {
    const healthy = passingErrorRate();
    return {
      requests: (w) => {
        const at = (clock.now() - started) / MIN;
        if (w.slot === 'canary') looks[model].add(at);
        // churn's metrics API does not answer from 20m to 24m into the job.
        healthy.failing = model === 'churn' && at >= 20 && at < 24;
        return healthy.requests(w);
      },
      value: (q, w) => healthy.value(q, w),
    };
  };
  const metrics = { fraud: metricsOf('fraud'), churn: metricsOf('churn') };
  const warnings: string[] = [];
  const ports: Ports = {
    ledger: fileLedger(join(await mkdtemp(join(tmpdir(), 'model-gate-per-model-')), 'ledger.json')),
    reader: memoryFileReader({
      [sha(1)]: { 'fraud.yaml': 'version: v1\n', 'churn.yaml': 'version: v1\n' },
      [sha(2)]: { 'fraud.yaml': 'version: v2\n', 'churn.yaml': 'version: v2\n' },
    }),
    clock,
    log: { info: () => {}, warn: (m) => warnings.push(m) },
    targetFor: (model: ModelConfig) => targets[model.name as 'fraud'],
    metricsFor: (model: ModelConfig) => metrics[model.name as 'fraud'],
  };
  const event = { action: 'opened', number: 7, baseSha: sha(1), headSha: sha(2), merged: false };
  const watched = await handlePullRequest(config, event, ports, {
    mode: 'watch',
    maxWaitMs: 40 * MIN,
    dryRun: false,
  });

  // The first look deploys, each later one reads the metrics. Before the fix churn was looked at
  // every 30s with fraud, and five failed looks in a row (20m to 22m) rolled its candidate back.
  expect([...looks.churn]).toEqual([10, 20, 30, 40]);
  expect(looks.fraud.size).toBe(80);
  expect(watched.releases.map((r) => [r.model, r.status])).toEqual([
    ['fraud', 'analysing'],
    ['churn', 'analysing'],
  ]);
  expect(targets.churn.state).toEqual({ stable: { version: 'v1' }, canary: { version: 'v2', weight: 10 } });
  expect(warnings).toEqual([
    'time budget (max-wait) reached with fraud, churn still analysing: the next run resumes',
  ]);
});
