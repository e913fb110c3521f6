import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { FakeClock } from '../../src/core/clock.js';
import { fileLedger } from '../../src/ledger/file-ledger.js';
import type { Ports } from '../../src/release/ports.js';
import { handlePullRequest } from '../../src/release/pull-request.js';
import { renderTerminal } from '../../src/report/terminal.js';
import { memoryFileReader } from '../../src/version/changed-models.js';
import { MemoryTarget } from '../support/memory-target.js';
import { FRAUD_CANARY_YAML, sha } from '../support/model-config.js';
import { ScriptedMetrics } from '../support/scripted-metrics.js';

// `dry-run: true` on pull_request events: the report says what the run would do, and nothing is
// deployed, promoted, withdrawn or recorded.

async function world() {
  const { config } = parseConfig(FRAUD_CANARY_YAML, {});
  const ledgerPath = join(await mkdtemp(join(tmpdir(), 'model-gate-dry-pr-')), 'ledger.json');
  const target = new MemoryTarget({ stable: { version: 'v1' } });
  const ports: Ports = {
    ledger: fileLedger(ledgerPath),
    reader: memoryFileReader({
      [sha(1)]: { 'fraud.yaml': 'version: v1\n' },
      [sha(2)]: { 'fraud.yaml': 'version: v2\n' },
    }),
    clock: new FakeClock(),
    log: { info: () => {}, warn: () => {} },
    targetFor: () => target,
    metricsFor: () =>
      new ScriptedMetrics({
        stable: { rps: 90, values: { 'error-rate': 0.005 } },
        canary: { rps: 20, values: { 'error-rate': 0.005 } },
      }),
  };
  const event = (action: string, merged = false) => ({
    action,
    number: 7,
    baseSha: sha(1),
    headSha: sha(2),
    merged,
  });
  const ledgerText = () => readFile(ledgerPath, 'utf8').catch(() => 'no ledger file');
  const dry = async (action: string, merged = false) => {
    const writes = target.writes.length;
    const before = await ledgerText();
    const result = await handlePullRequest(config, event(action, merged), ports, {
      mode: 'watch',
      maxWaitMs: 3_600_000,
      dryRun: true,
    });
    expect(target.writes).toHaveLength(writes);
    expect(await ledgerText()).toBe(before);
    return result;
  };
  const real = (action: string, mode: 'watch' | 'tick') =>
    handlePullRequest(config, event(action), ports, { mode, maxWaitMs: 3_600_000, dryRun: false });
  return { config, dry, real };
}

describe('a dry run on a pull request', () => {
  it('opened: says it would deploy the candidate and run its steps, and reports no release as analysing', async () => {
    const { config, dry } = await world();
    const result = await dry('opened');
    expect(result.releases).toEqual([]);
    expect(result.skipped).toEqual([
      { model: 'fraud', why: 'would deploy v2 (replacing v1) and run its 2 canary steps' },
    ]);
    expect(renderTerminal(config, result, 0)).not.toContain('deploying the candidate');
  });

  it('closed: says it would withdraw the candidate being analysed', async () => {
    const { dry, real } = await world();
    await real('opened', 'tick');
    expect((await real('opened', 'tick')).releases[0]).toMatchObject({ status: 'analysing', phase: 0 });
    expect((await dry('closed')).skipped).toEqual([
      { model: 'fraud', why: 'would withdraw v2 (the PR was closed without merging)' },
    ]);
    expect((await dry('closed', true)).skipped).toEqual([
      {
        model: 'fraud',
        why: 'would withdraw v2 unpromoted: its analysis has not passed (on-merge: require-pass)',
      },
    ]);
  });

  it('merged: says it would promote a candidate that passed, and promotes nothing', async () => {
    const { dry, real } = await world();
    expect((await real('opened', 'watch')).releases[0]?.status).toBe('ready');
    const result = await dry('closed', true);
    expect(result.releases).toEqual([]);
    expect(result.skipped).toEqual([{ model: 'fraud', why: 'would promote v2 (replacing v1)' }]);
  });
});
