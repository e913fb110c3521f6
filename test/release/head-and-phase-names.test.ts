import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { FakeClock } from '../../src/core/clock.js';
import { fileLedger } from '../../src/ledger/file-ledger.js';
import type { MetricWindow } from '../../src/metrics/source.js';
import type { Ports } from '../../src/release/ports.js';
import { handlePullRequest } from '../../src/release/pull-request.js';
import { memoryFileReader } from '../../src/version/changed-models.js';
import { WORKING_TREE } from '../../src/version/local-comparison.js';
import { MemoryTarget } from '../support/memory-target.js';
import { ScriptedMetrics } from '../support/scripted-metrics.js';

// The promotion's summary (the Deployment's description, `command: status`, the report) names
// what the release passed in the strategy's own words, and the head as the user knows it: a
// short SHA, or the CLI's working tree by that name.
const BASE = 'a'.repeat(40);

/** Requests split evenly by user (one request each), the candidate's users converting at 40% against stable's 30%. */
class EvenSplitWinner extends ScriptedMetrics {
  async count(query: string, w: MetricWindow): Promise<number | undefined> {
    const n = await this.requests(w);
    if (query === 'exposed-users' || query === 'users') return n;
    return query === 'converted-users' ? Math.round(n * (w.slot === 'stable' ? 0.3 : 0.4)) : undefined;
  }
}

/** A key split's conversion gate counts users. */
const USER_CONVERSION =
  '{ name: conversion, kind: conversion, exposures: exposed-users, conversions: converted-users }';

/** The gates an A/B needs, and the metrics of a candidate that wins it. */
const AB = {
  gates: ['{ name: split, kind: srm, units: users }', USER_CONVERSION],
  metrics: () =>
    new EvenSplitWinner({
      stable: { rps: 40, values: { 'error-rate': 0.005 } },
      canary: { rps: 40, values: { 'error-rate': 0.005 } },
    }),
};

async function promote(
  strategy: string,
  head: string,
  more: Partial<typeof AB> = {},
): Promise<string | undefined> {
  const gates = ['{ name: errors, kind: threshold, query: error-rate, max: 0.02 }', ...(more.gates ?? [])];
  const { config } = parseConfig(
    `version: 1
models:
  fraud:
    source: { file: fraud.yaml, key: version }
    target: { type: sandbox, url: "http://127.0.0.1:1" }
    metrics: { type: sandbox, url: "http://127.0.0.1:1" }
    strategy: ${strategy}
    gates:
${gates.map((g) => `      - ${g}\n`).join('')}`,
    {},
  );
  const ledger = fileLedger(join(await mkdtemp(join(tmpdir(), 'model-gate-summary-')), 'ledger.json'));
  const ports: Ports = {
    ledger,
    reader: memoryFileReader({
      [BASE]: { 'fraud.yaml': 'version: v1\n' },
      [head]: { 'fraud.yaml': 'version: v2\n' },
    }),
    clock: new FakeClock(),
    log: { info: () => {}, warn: () => {} },
    targetFor: () => new MemoryTarget({ stable: { version: 'v1' } }),
    metricsFor: () =>
      more.metrics?.() ??
      new ScriptedMetrics({
        stable: { rps: 90, values: { 'error-rate': 0.005 } },
        canary: { rps: 40, values: { 'error-rate': 0.005 } },
      }),
  };
  const pr = { number: 3, baseSha: BASE, headSha: head, merged: false };
  const opts = { mode: 'watch' as const, maxWaitMs: 3_600_000, dryRun: false };
  const analysed = await handlePullRequest(config, { ...pr, action: 'opened' }, ports, opts);
  expect(analysed.releases[0]?.status).toBe('ready');
  const merged = await handlePullRequest(config, { ...pr, action: 'closed', merged: true }, ports, opts);
  expect(merged.releases[0]?.status).toBe('promoted');
  return (await ledger.history('fraud'))[0]?.summary;
}

const head = 'b'.repeat(40);
const timing = 'step-duration: 1m, min-requests: 100, interval: 10s';

describe('the summary of a promotion', () => {
  it.each([
    [`{ type: canary, steps: [50], ${timing} }`, 'passed 1 canary step on bbbbbbb'],
    [`{ type: canary, steps: [10, 50], ${timing} }`, 'passed 2 canary steps on bbbbbbb'],
    [`{ type: linear, step-size: 20, max-weight: 60, ${timing} }`, 'passed 3 linear steps on bbbbbbb'],
    [`{ type: rolling, instances: 4, batch-size: 2, ${timing} }`, 'passed 2 rolling batches on bbbbbbb'],
    [`{ type: blue-green, bake-duration: 2m, ${timing} }`, 'passed 1 blue-green phase on bbbbbbb'],
    [`{ type: shadow, share: 50, duration: 2m, ${timing} }`, 'passed 1 shadow phase on bbbbbbb'],
    [`{ type: ab, split: 50, ${timing} }`, 'passed 1 A/B phase on bbbbbbb', AB],
  ])('%s: %s', async (strategy, summary, more?: Partial<typeof AB>) => {
    expect(await promote(strategy, head, more)).toBe(summary);
  });

  it('names the CLI working tree as such, not by a cut-off ":workin"', async () => {
    expect(await promote(`{ type: canary, steps: [10, 50], ${timing} }`, WORKING_TREE)).toBe(
      'passed 2 canary steps on the working tree',
    );
  });

  it('a supersede by the working tree says so', async () => {
    const { config } = parseConfig(
      `version: 1
models:
  fraud:
    source: { file: fraud.yaml, key: version }
    target: { type: sandbox, url: "http://127.0.0.1:1" }
    metrics: { type: sandbox, url: "http://127.0.0.1:1" }
    strategy: { type: canary, steps: [10, 50], ${timing} }
    gates:
      - { name: errors, kind: threshold, query: error-rate, max: 0.02 }
`,
      {},
    );
    const ledger = fileLedger(join(await mkdtemp(join(tmpdir(), 'model-gate-summary-')), 'ledger.json'));
    const logged: string[] = [];
    const ports: Ports = {
      ledger,
      reader: memoryFileReader({
        [BASE]: { 'fraud.yaml': 'version: v1\n' },
        [head]: { 'fraud.yaml': 'version: v2\n' },
        [WORKING_TREE]: { 'fraud.yaml': 'version: v3\n' },
      }),
      clock: new FakeClock(),
      log: { info: (m) => logged.push(m), warn: () => {} },
      targetFor: () => new MemoryTarget({ stable: { version: 'v1' } }),
      metricsFor: () =>
        new ScriptedMetrics({ stable: { rps: 0, values: {} }, canary: { rps: 0, values: {} } }),
    };
    const pr = { action: 'opened', number: 3, baseSha: BASE, merged: false };
    const opts = { mode: 'tick' as const, maxWaitMs: 0, dryRun: false };
    await handlePullRequest(config, { ...pr, headSha: head }, ports, opts);
    await handlePullRequest(config, { ...pr, headSha: WORKING_TREE }, ports, opts);
    expect(await ledger.release('fraud')).toMatchObject({ to: 'v3', headSha: WORKING_TREE });
    expect(logged).toContain('fraud: superseded by the working tree');
  });
});
