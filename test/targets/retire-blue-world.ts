import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig } from '../../src/config/load.js';
import { FakeClock } from '../../src/core/clock.js';
import { fileLedger } from '../../src/ledger/file-ledger.js';
import { targetFor } from '../../src/release/adapters.js';
import { handleCommand } from '../../src/release/commands.js';
import type { Ports } from '../../src/release/ports.js';
import { handlePullRequest } from '../../src/release/pull-request.js';
import { handleSchedule } from '../../src/release/schedule.js';
import { memoryFileReader } from '../../src/version/changed-models.js';
import { sha } from '../support/model-config.js';
import { ScriptedMetrics } from '../support/scripted-metrics.js';

export const MODEL = 'fraud';
export const HOUR = 3_600_000;

/**
 * fraud on blue-green (rollback-window 1h) over `target` (a YAML flow mapping: a platform's
 * stand-in), as the action runs it: each PR event, tick and command builds its targets afresh
 * (a new process in CI), with a file ledger, a fake clock and scripted metrics that pass the bake.
 * `lines` has every log line and every line a tick reported for the model.
 */
export async function retireBlueWorld(target: string) {
  const { config } = parseConfig(
    `version: 1
models:
  ${MODEL}:
    source: { file: model.yaml, key: version }
    target: ${target}
    metrics: { type: file, path: unused.json }
    strategy: { type: blue-green, bake-duration: 1m, step-duration: 1m, rollback-window: 1h, min-requests: 100, interval: 10s }
    gates:
      - { name: errors, kind: threshold, query: error-rate, max: 0.02 }
`,
    {},
  );
  const clock = new FakeClock();
  const ledger = fileLedger(join(await mkdtemp(join(tmpdir(), 'model-gate-retire-')), 'ledger.json'));
  const files: Record<string, Record<string, string>> = {};
  const lines: string[] = [];
  const metrics = new ScriptedMetrics({
    stable: { rps: 90, values: { 'error-rate': 0.005 } },
    canary: { rps: 20, values: { 'error-rate': 0.005 } },
  });
  const ports: Ports = {
    ledger,
    reader: memoryFileReader(files),
    clock,
    log: { info: (m) => lines.push(m), warn: (m) => lines.push(m) },
    targetFor,
    metricsFor: () => metrics,
  };
  const watch = { mode: 'watch' as const, maxWaitMs: HOUR, dryRun: false };
  let commits = 0;
  /** PR `number` moving the model from `blue` to `green`, baked and merged: the release's status after each. */
  async function promote(number: number, blue: string, green: string) {
    files[sha(++commits)] = { 'model.yaml': `version: ${blue}\n` };
    files[sha(++commits)] = { 'model.yaml': `version: ${green}\n` };
    const event = {
      action: 'opened',
      number,
      baseSha: sha(commits - 1),
      headSha: sha(commits),
      merged: false,
    };
    const opened = await handlePullRequest(config, event, ports, watch);
    const merged = await handlePullRequest(
      config,
      { ...event, action: 'closed', merged: true },
      ports,
      watch,
    );
    return [opened.releases[0]?.status, merged.releases[0]?.status];
  }
  /** One schedule tick; what it reports for the model is added to `lines`. */
  async function tick(dryRun = false) {
    const result = await handleSchedule(config, ports, { mode: 'tick', maxWaitMs: 0, dryRun });
    for (const s of result.skipped) if (s.model === MODEL) lines.push(s.why);
    return result;
  }
  const rollback = () =>
    handleCommand(config, 'rollback', { model: MODEL, dryRun: false, trigger: 'workflow_dispatch' }, ports);
  return { clock, lines, promote, tick, rollback };
}
