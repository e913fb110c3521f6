import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig } from '../../src/config/load.js';
import type { Config } from '../../src/config/types.js';
import { type Clock, FakeClock } from '../../src/core/clock.js';
import { fileLedger } from '../../src/ledger/file-ledger.js';
import { metricsFor, targetFor } from '../../src/release/adapters.js';
import type { Ports } from '../../src/release/ports.js';
import { handlePullRequest, type RunResult } from '../../src/release/pull-request.js';
import { memoryFileReader } from '../../src/version/changed-models.js';
import { sha } from './model-config.js';
import { passingErrorRate } from './scripted-metrics.js';

/**
 * `yaml` (a config whose models read `version` from model.yaml) as the action runs it: each PR
 * event builds its targets afresh (a new process in CI) with adapters' targetFor given the run's
 * log, on a file ledger, a fake clock and scripted metrics that pass. `lines` has every log line.
 * `release(number, from, to)` opens PR `number` moving the models from `from` to `to` and merges
 * it: the first release's status after each.
 */
export async function prReleaseWorld(yaml: string, maxWaitMs = 3_600_000) {
  const { config } = parseConfig(yaml, {});
  const clock = new FakeClock();
  const files: Record<string, Record<string, string>> = {};
  const lines: string[] = [];
  const log = { info: (m: string) => lines.push(m), warn: (m: string) => lines.push(m) };
  const metrics = passingErrorRate();
  const ports: Ports = {
    ledger: fileLedger(join(await mkdtemp(join(tmpdir(), 'model-gate-pr-release-')), 'ledger.json')),
    reader: memoryFileReader(files),
    clock,
    log,
    targetFor: (model) => targetFor(model, log),
    metricsFor: () => metrics,
  };
  const watch = { mode: 'watch' as const, maxWaitMs, dryRun: false };
  let commits = 0;
  async function release(number: number, from: string, to: string) {
    files[sha(++commits)] = { 'model.yaml': `version: ${from}\n` };
    files[sha(++commits)] = { 'model.yaml': `version: ${to}\n` };
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
  return { config, ports, clock, lines, release };
}

/**
 * PR #7 moving `model` (its version in models/<model>/model.yaml) from v1 (sha(1)) to v2 (sha(2)):
 * its job, one pass (`mode: 'tick'`) or watched to the end, on `clock` with the real adapters'
 * targets and metric sources and a new file ledger under `dir`.
 */
export async function openV1ToV2OnRealAdapters(
  config: Config,
  opts: { model: string; clock: Clock; dir: string; mode: 'tick' | 'watch' },
): Promise<RunResult> {
  const file = `models/${opts.model}/model.yaml`;
  const ports: Ports = {
    ledger: fileLedger(join(await mkdtemp(join(opts.dir, 'ledger-')), 'ledger.json')),
    reader: memoryFileReader({
      [sha(1)]: { [file]: 'version: v1\n' },
      [sha(2)]: { [file]: 'version: v2\n' },
    }),
    clock: opts.clock,
    log: { info: () => {}, warn: () => {} },
    metricsFor,
    targetFor,
  };
  const event = { action: 'opened', number: 7, baseSha: sha(1), headSha: sha(2), merged: false };
  return handlePullRequest(config, event, ports, { mode: opts.mode, maxWaitMs: 3_600_000, dryRun: false });
}

/**
 * fraud (its version in model.yaml) on `target` (a YAML flow map), a two-step canary with one
 * error-rate gate, metrics never read: a config for prReleaseWorld where only the target matters.
 */
export const canaryOnTarget = (target: string) => `version: 1
models:
  fraud:
    source: { file: model.yaml, key: version }
    target: ${target}
    metrics: { type: file, path: unused.json }
    strategy: { type: canary, steps: [10, 50], step-duration: 1m, min-requests: 100, interval: 10s }
    gates:
      - { name: errors, kind: threshold, query: error-rate, max: 0.02 }
`;
