import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { FakeClock } from '../../src/core/clock.js';
import { fileLedger } from '../../src/ledger/file-ledger.js';
import type { Ports } from '../../src/release/ports.js';
import { handlePullRequest, type PullRequestEvent } from '../../src/release/pull-request.js';
import { renderMarkdown } from '../../src/report/markdown.js';
import { memoryFileReader } from '../../src/version/changed-models.js';
import { MemoryTarget } from '../support/memory-target.js';
import { FRAUD_CANARY_YAML, sha } from '../support/model-config.js';
import { ScriptedMetrics } from '../support/scripted-metrics.js';

// A pull request event on a head whose release already ended: `reopened` analyses a withdrawn
// (aborted) head again, as SPEC §1 has reopened run the analysis; a failed head is not analysed
// again on the same commit. Either way the comment and the log say what happened and why.
const watch = { mode: 'watch' as const, maxWaitMs: 3_600_000, dryRun: false };

async function world(candidateErrorRate: number) {
  const { config } = parseConfig(FRAUD_CANARY_YAML, {});
  const ledger = fileLedger(join(await mkdtemp(join(tmpdir(), 'model-gate-reopened-')), 'ledger.json'));
  const target = new MemoryTarget({ stable: { version: 'v1' } });
  const logged: string[] = [];
  const ports: Ports = {
    ledger,
    reader: memoryFileReader({
      [sha(1)]: { 'fraud.yaml': 'version: v1\n' },
      [sha(2)]: { 'fraud.yaml': 'version: v2\n' },
    }),
    clock: new FakeClock(),
    log: { info: (m) => logged.push(m), warn: (m) => logged.push(`warning: ${m}`) },
    targetFor: () => target,
    metricsFor: () =>
      new ScriptedMetrics({
        stable: { rps: 90, values: { 'error-rate': 0.005 } },
        canary: { rps: 20, values: { 'error-rate': candidateErrorRate } },
      }),
  };
  const event = (action: string, merged = false): PullRequestEvent => ({
    action,
    number: 7,
    baseSha: sha(1),
    headSha: sha(2),
    merged,
  });
  return { config, ledger, target, ports, event, logged };
}

describe('a pull request event on a head whose release already ended', () => {
  it('reopened after a close: the withdrawn analysis runs again, and the log says why', async () => {
    const { config, target, ports, event, logged } = await world(0.005);
    expect((await handlePullRequest(config, event('opened'), ports, watch)).releases[0]?.status).toBe(
      'ready',
    );
    const closed = await handlePullRequest(config, event('closed'), ports, watch);
    expect(closed.releases[0]?.status).toBe('aborted');
    const writes = target.writes.length;
    logged.length = 0;
    const reopened = await handlePullRequest(config, event('reopened'), ports, watch);
    expect(reopened.releases[0]).toMatchObject({
      status: 'ready',
      phases: [{ outcome: 'passed' }, { outcome: 'passed' }],
    });
    expect(reopened.skipped).toEqual([]);
    // Deployed again, step by step: 10%, 50%, then idle until the merge.
    expect(target.weights().slice(writes)).toEqual([10, 50, 0]);
    expect(logged[0]).toBe(
      'fraud: the PR was reopened: analysing v2 on aaaaaaa again (it ended aborted: the PR was closed without merging; v2 withdrawn)',
    );
  });

  it('reopened after a failure: not analysed again on the same commit, and the comment says a new commit is needed', async () => {
    const { config, target, ports, event, logged } = await world(0.2);
    expect((await handlePullRequest(config, event('opened'), ports, watch)).releases[0]?.status).toBe(
      'failed',
    );
    await handlePullRequest(config, event('closed'), ports, watch);
    const writes = target.writes.length;
    logged.length = 0;
    const reopened = await handlePullRequest(config, event('reopened'), ports, watch);
    expect(reopened.releases[0]?.status).toBe('failed');
    expect(target.writes).toHaveLength(writes);
    const why =
      'this head (aaaaaaa) already failed its analysis, and a failed analysis is not run again on the same commit; push a new commit to analyse again';
    expect(reopened.skipped).toEqual([{ model: 'fraud', why, kind: 'note' }]);
    expect(logged).toEqual([`warning: fraud: ${why}`]);
    const report = renderMarkdown(config, reopened, { now: 0 });
    expect(report).toContain('## model-gate: ❌ Rolled back');
    expect(report).toContain('- fraud: this head (aaaaaaa) already failed its analysis');
  });

  it('labeled on a withdrawn head: not analysed again (a closed PR can be labeled), saying how to', async () => {
    const { config, target, ports, event } = await world(0.005);
    await handlePullRequest(config, event('opened'), ports, watch);
    await handlePullRequest(config, event('closed'), ports, watch);
    const writes = target.writes.length;
    const labeled = await handlePullRequest(config, event('labeled'), ports, watch);
    expect(labeled.releases[0]?.status).toBe('aborted');
    expect(target.writes).toHaveLength(writes);
    expect(labeled.skipped).toEqual([
      {
        model: 'fraud',
        why: 'this head (aaaaaaa) already ended aborted: its candidate was withdrawn before the analysis decided; push a new commit, or close and reopen the PR, to analyse again',
        kind: 'note',
      },
    ]);
  });
});
