import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig } from '../../src/config/load.js';
import { FakeClock } from '../../src/core/clock.js';
import { fileLedger } from '../../src/ledger/file-ledger.js';
import type { Ports } from '../../src/release/ports.js';
import type { PullRequestEvent } from '../../src/release/pull-request.js';
import { memoryFileReader } from '../../src/version/changed-models.js';
import { MemoryTarget } from './memory-target.js';
import { FRAUD_CANARY_YAML, sha } from './model-config.js';
import { ScriptedMetrics } from './scripted-metrics.js';

/**
 * PR #7 moving `fraud` (FRAUD_CANARY_YAML) from v1 at sha(1) to `to` at sha(2), for engine tests:
 * a memory target serving v1, a file ledger, a fake clock, and a candidate whose error rate is
 * `candidateErrors` (stable's is 0.5%); `yaml` and `headFiles` for another config and files the
 * head adds. `warnings` collects what the engine warns about.
 */
export async function fraudPr(
  opts: { to?: string; candidateErrors?: number; yaml?: string; headFiles?: Record<string, string> } = {},
) {
  const { config } = parseConfig(opts.yaml ?? FRAUD_CANARY_YAML, {});
  const ledgerPath = join(await mkdtemp(join(tmpdir(), 'model-gate-fraud-pr-')), 'ledger.json');
  const ledger = fileLedger(ledgerPath);
  const target = new MemoryTarget({ stable: { version: 'v1' } });
  const clock = new FakeClock();
  const warnings: string[] = [];
  const ports: Ports = {
    ledger,
    reader: memoryFileReader({
      [sha(1)]: { 'fraud.yaml': 'version: v1\n' },
      [sha(2)]: { 'fraud.yaml': `version: ${opts.to ?? 'v2'}\n`, ...opts.headFiles },
    }),
    clock,
    log: { info: () => {}, warn: (m) => warnings.push(m) },
    targetFor: () => target,
    metricsFor: () =>
      new ScriptedMetrics({
        stable: { rps: 90, values: { 'error-rate': 0.005 } },
        canary: { rps: 20, values: { 'error-rate': opts.candidateErrors ?? 0.005 } },
      }),
  };
  const event = (action = 'opened', merged = false): PullRequestEvent => ({
    action,
    number: 7,
    baseSha: sha(1),
    headSha: sha(2),
    merged,
  });
  return { config, ledgerPath, ledger, target, clock, ports, warnings, event };
}
