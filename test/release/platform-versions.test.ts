import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import type { AzureMlTargetConfig, ModelConfig } from '../../src/config/types.js';
import { FakeClock } from '../../src/core/clock.js';
import { fileLedger } from '../../src/ledger/file-ledger.js';
import { handleCommand } from '../../src/release/commands.js';
import { watchDrift } from '../../src/release/drift-watch.js';
import type { Ports } from '../../src/release/ports.js';
import { handlePullRequest } from '../../src/release/pull-request.js';
import { handleSchedule } from '../../src/release/schedule.js';
import { azuremlTarget } from '../../src/targets/azureml-target.js';
import { memoryFileReader } from '../../src/version/changed-models.js';
import { sha } from '../support/model-config.js';
import { ScriptedMetrics } from '../support/scripted-metrics.js';
import { installStandins, type Standins } from '../support/standin-cli.js';
import { type ServedStandin, serveStandin } from '../support/standin-server.js';

// Releases on an Azure ML endpoint (a stand-in az) whose deployments are named `fraud-{{version}}`,
// each run with a target made afresh, as the action makes one per job and per use: what a run
// knows of the release (its versions and their roles) is all that tells `1.1.0` from the
// deployment `fraud-1-1-0`, and a candidate at 75% from the stable version.

const KEY = 'default/ml-prod/fraud-ws/fraud-endpoint';
const yaml = (strategy: string) => `version: 1
defaults:
  target: { type: azureml, endpoint: fraud-endpoint, resource-group: ml-prod, workspace: fraud-ws, deployment: "fraud-{{version}}" }
  metrics: { type: sandbox, url: "http://127.0.0.1:1" }
  strategy: ${strategy}
models:
  fraud:
    source: { file: fraud.yaml, key: version }
    gates:
      - { name: errors, kind: threshold, query: error-rate, max: 0.02 }
`;

let standins: Standins;
let served: ServedStandin | undefined;
const dirs: string[] = [];
beforeAll(async () => {
  standins = await installStandins();
  served = await serveStandin('az');
});
afterAll(async () => {
  await served?.stop();
  await standins?.remove();
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

const traffic = async () => (await standins.state()).azureml[KEY].traffic;

/** An endpoint serving `traffic`, both versions' deployments there, and ports for a PR from base `from` to head `to`. */
async function world(from: string, to: string, serving: Record<string, number>, canaryRps = 20) {
  await standins.seed({
    azureml: {
      [KEY]: {
        name: 'fraud-endpoint',
        provisioning_state: 'Succeeded',
        traffic: serving,
        mirror_traffic: {},
        _deployments: Object.keys(serving),
      },
    },
  });
  const dir = await mkdtemp(join(tmpdir(), 'platform-versions-'));
  dirs.push(dir);
  const clock = new FakeClock();
  const warnings: string[] = [];
  const ports: Ports = {
    ledger: fileLedger(join(dir, 'ledger.json')),
    clock,
    reader: memoryFileReader({
      [sha(1)]: { 'fraud.yaml': `version: ${from}\n` },
      [sha(2)]: { 'fraud.yaml': `version: ${to}\n` },
    }),
    log: { info: () => {}, warn: (m) => warnings.push(m) },
    // As src/release/adapters.ts does: a new target for each use, knowing nothing of earlier ones.
    targetFor: (m) => azuremlTarget(m.target as AzureMlTargetConfig, m.name, clock),
    metricsFor: () =>
      new ScriptedMetrics({
        stable: { rps: 90, values: { 'error-rate': 0.005 } },
        canary: { rps: canaryRps, values: { 'error-rate': 0.005 } },
      }),
  };
  return { ports, clock, warnings };
}

const opened = { action: 'opened', number: 7, baseSha: sha(1), headSha: sha(2), merged: false };
const oneTick = { mode: 'tick' as const, maxWaitMs: 0, dryRun: false };

describe('versions whose deployment name changes their text (1.1.0 is fraud-1-1-0)', () => {
  it('records the release as 1.0.0 -> 1.1.0, and a re-run and a schedule tick carry its canary on', async () => {
    const { config } = parseConfig(
      yaml('{ type: canary, steps: [10, 50], step-duration: 1m, min-requests: 100, interval: 10s }'),
      {},
    );
    const { ports, clock, warnings } = await world('1.0.0', '1.1.0', {
      'fraud-1-0-0': 100,
      'fraud-1-1-0': 0,
    });
    const started = await handlePullRequest(config, opened, ports, oneTick);
    expect(started.releases.map((r) => [r.from, r.to, r.status])).toEqual([['1.0.0', '1.1.0', 'analysing']]);
    // The PR's job run again (same head): it resumes, it does not end the release as withdrawn.
    const rerun = await handlePullRequest(config, opened, ports, oneTick);
    expect(rerun.releases.map((r) => [r.from, r.to, r.status])).toEqual([['1.0.0', '1.1.0', 'analysing']]);
    clock.advance(10_000);
    const tick = await handleSchedule(config, ports, { mode: 'tick', maxWaitMs: 0 });
    expect(tick.releases.map((r) => [r.from, r.to, r.status, r.reason])).toEqual([
      ['1.0.0', '1.1.0', 'analysing', 'analysing step 2 of 2 (50% of live traffic)'],
    ]);
    expect(await traffic()).toEqual({ 'fraud-1-0-0': 50, 'fraud-1-1-0': 50 });
    expect(warnings).toEqual([]);
  });

  it('a rollback after the merge serves 1.0.0 again and records that it replaced 1.1.0', async () => {
    const { config } = parseConfig(
      yaml('{ type: canary, steps: [10], step-duration: 1m, min-requests: 100, interval: 30s }'),
      {},
    );
    const { ports } = await world('1.0.0', '1.1.0', { 'fraud-1-0-0': 100, 'fraud-1-1-0': 0 });
    const watch = { mode: 'watch' as const, maxWaitMs: 3_600_000, dryRun: false };
    const pr = await handlePullRequest(config, opened, ports, watch);
    expect(pr.releases.map((r) => [r.from, r.to, r.status])).toEqual([['1.0.0', '1.1.0', 'ready']]);
    await handlePullRequest(config, { ...opened, action: 'closed', merged: true }, ports, watch);
    expect(await traffic()).toEqual({ 'fraud-1-0-0': 0, 'fraud-1-1-0': 100 });
    // A drift watch on the promoted model names it 1.1.0, not its deployment's name read backwards.
    const driftWatch = {
      buckets: 'scores',
      windowMs: 3_600_000,
      referenceMs: 86_400_000,
      maxPsi: 0.2,
      endPsi: 0.1,
    };
    const watched = await watchDrift({ ...(config.models.fraud as ModelConfig), driftWatch }, ports);
    expect(watched?.version).toBe('1.1.0');
    const rollback = await handleCommand(
      config,
      'rollback',
      { model: 'fraud', dryRun: false, trigger: 'workflow_dispatch' },
      ports,
    );
    expect(await traffic()).toEqual({ 'fraud-1-0-0': 100, 'fraud-1-1-0': 0 });
    expect(rollback.rollbacks?.map((e) => [e.previous, e.version])).toEqual([['1.1.0', '1.0.0']]);
    expect(rollback.notify?.map((n) => n.why)).toEqual([
      '1.1.0 was rolled back to 1.0.0 by workflow_dispatch',
    ]);
  });
});

describe('a candidate holding the larger share (a 75% step)', () => {
  // Too few candidate requests for the step to pass within the test: it stays at 75%.
  const strategy = '{ type: canary, steps: [75], step-duration: 1m, min-requests: 100000, interval: 10s }';

  it('a schedule tick resumes it instead of ending it as withdrawn', async () => {
    const { config } = parseConfig(yaml(strategy), {});
    const { ports, clock, warnings } = await world('v1', 'v2', { 'fraud-v1': 100, 'fraud-v2': 0 });
    await handlePullRequest(config, opened, ports, oneTick);
    expect(await traffic()).toEqual({ 'fraud-v1': 25, 'fraud-v2': 75 });
    clock.advance(10_000);
    const tick = await handleSchedule(config, ports, { mode: 'tick', maxWaitMs: 0 });
    expect(tick.releases.map((r) => [r.to, r.status])).toEqual([['v2', 'analysing']]);
    expect(await traffic()).toEqual({ 'fraud-v1': 25, 'fraud-v2': 75 });
    expect(warnings.filter((w) => w.includes('had no live traffic'))).toEqual([]);
  });

  it('a rollback to v1 withdraws it and records no rollback, as v1 was the stable version', async () => {
    const { config } = parseConfig(yaml(strategy), {});
    const { ports } = await world('v1', 'v2', { 'fraud-v1': 100, 'fraud-v2': 0 });
    await handlePullRequest(config, opened, ports, oneTick);
    const result = await handleCommand(
      config,
      'rollback',
      { model: 'fraud', toVersion: 'v1', dryRun: false, trigger: 'workflow_dispatch' },
      ports,
    );
    expect(await traffic()).toEqual({ 'fraud-v1': 100, 'fraud-v2': 0 });
    expect(result.rollbacks ?? []).toEqual([]);
    expect(await ports.ledger.history('fraud')).toEqual([]);
    expect(result.releases.map((r) => [r.status, r.reason])).toEqual([
      [
        'aborted',
        'a rollback to v1 by workflow_dispatch withdrew it (v1 already served, so no rollback was recorded)',
      ],
    ]);
  });
});
