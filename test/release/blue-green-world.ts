import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import type { ModelConfig } from '../../src/config/types.js';
import { FakeClock } from '../../src/core/clock.js';
import { requestJson } from '../../src/core/http-json.js';
import type { TrafficState } from '../../src/core/traffic.js';
import { fileLedger } from '../../src/ledger/file-ledger.js';
import type { Ledger } from '../../src/ledger/ledger.js';
import { targetFor } from '../../src/release/adapters.js';
import { handleCommand } from '../../src/release/commands.js';
import type { Ports } from '../../src/release/ports.js';
import { handlePullRequest, type PullRequestEvent } from '../../src/release/pull-request.js';
import { handleSchedule } from '../../src/release/schedule.js';
import type { Sandbox } from '../../src/sandbox/server.js';
import type { Target } from '../../src/targets/target.js';
import { memoryFileReader } from '../../src/version/changed-models.js';
import { sha } from '../support/model-config.js';
import { ScriptedMetrics } from '../support/scripted-metrics.js';

export const MODEL = 'fraud-detector';
export const HOUR = 3_600_000;

/**
 * fraud-detector on blue-green (bake `bake`, rollback-window 1h) over a real sandbox serving v1,
 * with a file ledger, a fake clock and scripted metrics (`metrics.slots.canary.values`: 0.5% errors
 * until a test sets more). `hooks` and the ledger's methods let a test make GitHub or another run act
 * at a chosen moment; `writes` has every traffic change asked of the sandbox, `logs` every log line.
 */
export async function blueGreenWorld(sandbox: Sandbox, opts: { bake?: string } = {}) {
  const admin = `${sandbox.url}/admin/models/${MODEL}/traffic`;
  await requestJson('PUT', admin, { stable: { version: 'v1' } });
  const { config } = parseConfig(
    `version: 1
models:
  ${MODEL}:
    source: { file: model.yaml, key: version }
    target: { type: sandbox, url: "${sandbox.url}" }
    metrics: { type: sandbox, url: "${sandbox.url}" }
    strategy: { type: blue-green, bake-duration: ${opts.bake ?? '1m'}, step-duration: ${opts.bake ?? '1m'}, rollback-window: 1h, min-requests: 100, interval: 10s }
    gates:
      - { name: errors, kind: threshold, query: error-rate, max: 0.02 }
`,
    {},
  );
  const clock = new FakeClock();
  const ledger: Ledger = fileLedger(join(await mkdtemp(join(tmpdir(), 'model-gate-bg-')), 'ledger.json'));
  const files: Record<string, Record<string, string>> = {};
  const writes: TrafficState[] = [];
  const logs: string[] = [];
  const metrics = new ScriptedMetrics({
    stable: { rps: 90, values: { 'error-rate': 0.005 } },
    canary: { rps: 20, values: { 'error-rate': 0.005 } },
  });
  const hooks: {
    afterRead?: () => unknown;
    beforeWrite?: (desired: TrafficState) => Promise<void> | void;
  } = {};
  const onSandbox = (model: ModelConfig): Target => {
    const inner = targetFor(model);
    return {
      description: inner.description,
      read: async (known) => {
        const state = await inner.read(known);
        await hooks.afterRead?.();
        return state;
      },
      write: async (t) => {
        writes.push(t);
        await hooks.beforeWrite?.(t);
        return inner.write(t);
      },
    };
  };
  const ports: Ports = {
    ledger,
    reader: memoryFileReader(files),
    clock,
    log: { info: (m) => logs.push(m), warn: (m) => logs.push(m) },
    targetFor: onSandbox,
    metricsFor: () => metrics,
  };
  const watch = { mode: 'watch' as const, maxWaitMs: HOUR, dryRun: false };
  let commits = 0;
  /** PR `number` moving the model from `from` to `to`, opened and analysed (`mode`: watch, or one tick). */
  async function open(number: number, from: string, to: string, mode: 'watch' | 'tick' = 'watch') {
    files[sha(++commits)] = { 'model.yaml': `version: ${from}\n` };
    files[sha(++commits)] = { 'model.yaml': `version: ${to}\n` };
    const event: PullRequestEvent = {
      action: 'opened',
      number,
      baseSha: sha(commits - 1),
      headSha: sha(commits),
      merged: false,
    };
    const opened = await handlePullRequest(
      config,
      event,
      ports,
      mode === 'watch' ? watch : { ...watch, mode },
    );
    return { event, opened };
  }
  const merge = (event: PullRequestEvent) =>
    handlePullRequest(config, { ...event, action: 'closed', merged: true }, ports, watch);
  const tick = () => handleSchedule(config, ports, { mode: 'tick', maxWaitMs: 0 });
  const rollback = () =>
    handleCommand(config, 'rollback', { model: MODEL, dryRun: false, trigger: 'workflow_dispatch' }, ports);
  /** What the sandbox serves, by its own admin API. */
  const served = async () => (await requestJson('GET', admin)).body;
  /** Put the sandbox in `state` by hand, as someone with access to the platform would. */
  const byHand = (state: TrafficState) => requestJson('PUT', admin, state);
  /** The HTTP status of a request straight to `version`: 404 when the sandbox has it not deployed. */
  const direct = async (version: string) =>
    (
      await requestJson('POST', `${sandbox.url}/models/${MODEL}/versions/${version}/predict`, {
        features: [0.1, 0.2, 0.3, 0.4],
      })
    ).status;
  /** The sandbox as a target, without the test's hooks: as the post step builds it. */
  const platform = () => targetFor(config.models[MODEL] as ModelConfig);
  return {
    config,
    platform,
    clock,
    ledger,
    ports,
    metrics,
    hooks,
    writes,
    logs,
    open,
    merge,
    tick,
    rollback,
    served,
    byHand,
    direct,
  };
}

/** blueGreenWorld on `sandbox` once PR #2's merge promoted v1 -> v2: blue v1 kept beside v2 without traffic. */
export async function blueGreenPromotedV2(sandbox: Sandbox) {
  const w = await blueGreenWorld(sandbox);
  const { event, opened } = await w.open(2, 'v1', 'v2');
  expect(opened.releases[0]?.status).toBe('ready');
  expect((await w.merge(event)).releases[0]?.status).toBe('promoted');
  expect(await w.served()).toEqual({ stable: { version: 'v2' }, canary: { version: 'v1', weight: 0 } });
  return w;
}
