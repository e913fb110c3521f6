import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig } from '../../src/config/load.js';
import { FakeClock } from '../../src/core/clock.js';
import { requestJson } from '../../src/core/http-json.js';
import { fileLedger } from '../../src/ledger/file-ledger.js';
import type { MetricSource } from '../../src/metrics/source.js';
import { targetFor } from '../../src/release/adapters.js';
import type { Ports } from '../../src/release/ports.js';
import { handlePullRequest } from '../../src/release/pull-request.js';
import type { Sandbox } from '../../src/sandbox/server.js';
import { memoryFileReader } from '../../src/version/changed-models.js';
import { sha } from '../support/model-config.js';
import { ScriptedMetrics } from '../support/scripted-metrics.js';

// PR #7 releasing a model on the real sandbox, with a file ledger and a fake clock: the world of
// the tests of what a candidate taking all live traffic means for status, rollback and drift.
export const MODEL = 'fraud-detector';

/** Healthy arms: the threshold gate on error-rate passes. */
export const healthyMetrics = () =>
  new ScriptedMetrics({
    stable: { rps: 90, values: { 'error-rate': 0.005 } },
    canary: { rps: 20, values: { 'error-rate': 0.005 } },
  });

export interface PrOnSandbox {
  /** The model's strategy, a YAML flow map. */
  strategy: string;
  /** Serving, and declared at the PR's base. */
  from: string;
  /** Declared at the PR's head. */
  to: string;
  /** `from` on record as promoted from this version by PR #3; none: no history. */
  promotedFrom?: string;
  /** More of the model's config, YAML lines indented as its fields. */
  more?: string;
  metrics?: MetricSource;
}

/** `from` serving on the sandbox, and PR #7 moving it to `to` under `strategy`. */
export async function prOnSandbox(sandbox: Sandbox, w: PrOnSandbox) {
  await requestJson('PUT', `${sandbox.url}/admin/models/${MODEL}/traffic`, { stable: { version: w.from } });
  const yaml = `version: 1
models:
  ${MODEL}:
    source: { file: model.yaml, key: version }
    target: { type: sandbox, url: "${sandbox.url}" }
    metrics: { type: sandbox, url: "${sandbox.url}" }
    strategy: ${w.strategy}
    gates:
      - { name: errors, kind: threshold, query: error-rate, max: 0.02 }
${w.more ?? ''}`;
  const { config } = parseConfig(yaml, {});
  const clock = new FakeClock(Date.now());
  const ledgerPath = join(await mkdtemp(join(tmpdir(), 'model-gate-pr-on-sandbox-')), 'ledger.json');
  const ledger = fileLedger(ledgerPath);
  if (w.promotedFrom)
    await ledger.record({
      model: MODEL,
      kind: 'promotion',
      version: w.from,
      previous: w.promotedFrom,
      at: 0,
      pr: 3,
      summary: 'passed',
    });
  const metrics = w.metrics ?? healthyMetrics();
  const ports: Ports = {
    ledger,
    reader: memoryFileReader({
      [sha(1)]: { 'model.yaml': `version: ${w.from}\n` },
      [sha(2)]: { 'model.yaml': `version: ${w.to}\n` },
    }),
    clock,
    log: { info: () => {}, warn: () => {} },
    metricsFor: () => metrics,
    targetFor,
  };
  const event = { action: 'opened', number: 7, baseSha: sha(1), headSha: sha(2), merged: false };
  /** PR #7's job: one pass (the candidate mid-analysis) or watched to the end. */
  const open = (mode: 'tick' | 'watch', maxWaitMs = 3_600_000) =>
    handlePullRequest(config, event, ports, { mode, maxWaitMs, dryRun: false });
  /** PR #7 merged: its merge job, watched. */
  const merge = (maxWaitMs = 3_600_000) =>
    handlePullRequest(config, { ...event, action: 'closed', merged: true }, ports, {
      mode: 'watch',
      maxWaitMs,
      dryRun: false,
    });
  return { config, clock, ledger, ledgerPath, ports, open, merge };
}
