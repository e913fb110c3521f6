import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { HttpTargetConfig } from '../../src/config/types.js';
import { type Clock, FakeClock } from '../../src/core/clock.js';
import { fileLedger } from '../../src/ledger/file-ledger.js';
import type { Ledger, LedgerEntry } from '../../src/ledger/ledger.js';
import type { MetricSource } from '../../src/metrics/source.js';
import { handleCommand } from '../../src/release/commands.js';
import type { Ports } from '../../src/release/ports.js';
import { httpTarget } from '../../src/targets/http-target.js';
import type { Target } from '../../src/targets/target.js';
import { memoryFileReader } from '../../src/version/changed-models.js';
import { MemoryTarget } from './memory-target.js';
import { fraudCanaryOn } from './model-config.js';
import { ScriptedMetrics } from './scripted-metrics.js';

/** The engine's ports for one job of a test: version files from memory, one target, a healthy candidate. */
export function enginePorts(opts: {
  ledger: Ledger;
  files: Record<string, Record<string, string>>;
  clock: Clock;
  target: Target;
  warn?: (message: string) => void;
}): Ports {
  return {
    ledger: opts.ledger,
    reader: memoryFileReader(opts.files),
    clock: opts.clock,
    log: { info: () => {}, warn: opts.warn ?? (() => {}) },
    targetFor: () => opts.target,
    metricsFor: () =>
      new ScriptedMetrics({
        stable: { rps: 90, values: { 'error-rate': 0.005 } },
        canary: { rps: 20, values: { 'error-rate': 0.005 } },
      }),
  };
}

/**
 * For `command: rollback` on an http serving layer at `url`: fraud (fraudCanaryOn) on its http
 * target, `settle` its settle-timeout and poll-interval (YAML), time on a FakeClock, and a file
 * ledger on which v2 serves, promoted from v1 (`promotion` overrides that entry: its `at` is the
 * clock's now). `files` are the version files a PR's job reads. `rollback(toVersion)` runs the
 * command for fraud by workflow_dispatch, to `toVersion` when given.
 */
export async function httpRollbackWorld(
  url: string,
  opts: { settle: string; promotion?: Partial<LedgerEntry>; files?: Record<string, Record<string, string>> },
) {
  const { config, model } = fraudCanaryOn(
    `{ type: http, url: "${url}", strategies: [canary], ${opts.settle} }`,
  );
  const clock = new FakeClock();
  const ledger = fileLedger(join(await mkdtemp(join(tmpdir(), 'model-gate-http-rollback-')), 'ledger.json'));
  await ledger.record({
    model: 'fraud',
    kind: 'promotion',
    version: 'v2',
    previous: 'v1',
    at: clock.now(),
    summary: 'passed',
    ...opts.promotion,
  });
  const target = httpTarget(model.target as HttpTargetConfig, model, clock);
  const ports = enginePorts({ ledger, files: opts.files ?? {}, clock, target });
  const rollback = (toVersion?: string) =>
    handleCommand(
      config,
      'rollback',
      { model: 'fraud', ...(toVersion && { toVersion }), dryRun: false, trigger: 'workflow_dispatch' },
      ports,
    );
  return { config, clock, ledger, target, ports, rollback };
}

/**
 * A file ledger (in a new folder named from `prefix`; `path` its file) on which fraud v2 serves,
 * promoted from v1 by PR #7 48 hours before `clock`'s now: a drift watch's stable version, its
 * reference long filled.
 */
export const fraudV2PromotedLongAgo = (clock: Clock, prefix: string) =>
  v2PromotedLongAgo(clock, prefix, ['fraud'], { pr: 7, summary: 'v2 passed every gate' });

/** As fraudV2PromotedLongAgo, for each of `models`, promoted by no PR on record (`promotion to v2`). */
export async function v2PromotedLongAgo(
  clock: Clock,
  prefix: string,
  models: readonly string[],
  { pr, summary = 'promotion to v2' }: { pr?: number; summary?: string } = {},
) {
  const path = join(await mkdtemp(join(tmpdir(), prefix)), 'ledger.json');
  const ledger = fileLedger(path);
  for (const model of models)
    await ledger.record({
      model,
      kind: 'promotion',
      version: 'v2',
      previous: 'v1',
      at: clock.now() - 48 * 3_600_000,
      ...(pr === undefined ? {} : { pr }),
      summary,
    });
  return { ledger, path };
}

/**
 * A schedule job's ports for a drift watch: `ledger` on `clock`, no version files, a quiet log, the
 * platform serving `serving` alone (a MemoryTarget each time one is asked for), and `metrics` as
 * every model's metric source.
 */
export const driftWatchPorts = (opts: {
  ledger: Ledger;
  clock: Clock;
  serving: string;
  metrics: () => MetricSource;
}): Ports => ({
  ledger: opts.ledger,
  reader: memoryFileReader({}),
  clock: opts.clock,
  log: { info: () => {}, warn: () => {} },
  targetFor: () => new MemoryTarget({ stable: { version: opts.serving } }),
  metricsFor: opts.metrics,
});
