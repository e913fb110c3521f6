import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { FakeClock } from '../../src/core/clock.js';
import { addSecret, redactNotes } from '../../src/core/redact.js';
import { fileLedger } from '../../src/ledger/file-ledger.js';
import { storedForm } from '../../src/ledger/release-schema.js';
import { handleCommand } from '../../src/release/commands.js';
import { contextFor, type Ports } from '../../src/release/ports.js';
import { handlePullRequest } from '../../src/release/pull-request.js';
import { rollBack } from '../../src/release/tick.js';
import type { Release } from '../../src/release/types.js';
import { releaseDecision, releaseSentence } from '../../src/report/decision.js';
import { renderMarkdown } from '../../src/report/markdown.js';
import { memoryFileReader } from '../../src/version/changed-models.js';
import { MemoryTarget } from '../support/memory-target.js';
import { FRAUD_CANARY_YAML, sha } from '../support/model-config.js';
import { ScriptedMetrics } from '../support/scripted-metrics.js';

// A registered secret `1` (a tenant id) masks every `1` in a stored release's free text, versions
// included: the report must still tell how the release ended once its state is read back.
addSecret('1');

/** The release as a GitHub ledger's comment keeps it: free text masked, then read back. */
function reloaded(release: Release): Release {
  const stored = storedForm(redactNotes(release));
  if (!stored.ok) throw new Error(stored.problems.join('; '));
  return stored.value;
}

async function world() {
  const { config } = parseConfig(FRAUD_CANARY_YAML, {});
  const model = config.models.fraud;
  if (!model) throw new Error('no model in FRAUD_CANARY_YAML');
  const clock = new FakeClock();
  const target = new MemoryTarget({ stable: { version: '1' } });
  const files: Record<string, Record<string, string>> = {};
  const ports: Ports = {
    ledger: fileLedger(join(await mkdtemp(join(tmpdir(), 'model-gate-masked-')), 'ledger.json')),
    reader: memoryFileReader(files),
    clock,
    log: { info: () => {}, warn: () => {} },
    targetFor: () => target,
    metricsFor: () =>
      new ScriptedMetrics({
        stable: { rps: 90, values: { 'error-rate': 0.005 } },
        canary: { rps: 20, values: { 'error-rate': 0.005 } },
      }),
  };
  let commits = 0;
  async function openPr(number: number, from: string, to: string, mode: 'watch' | 'tick') {
    const [base, head] = [sha(++commits), sha(++commits)];
    files[base] = { 'fraud.yaml': `version: ${from}\n` };
    files[head] = { 'fraud.yaml': `version: ${to}\n` };
    const event = { action: 'opened', number, baseSha: base, headSha: head, merged: false };
    const opts = { mode, maxWaitMs: 3_600_000, dryRun: false };
    const result = await handlePullRequest(config, event, ports, opts);
    return {
      result,
      merge: () => handlePullRequest(config, { ...event, action: 'closed', merged: true }, ports, opts),
    };
  }
  return { config, model, clock, target, ports, openPr };
}

describe('how a release ended, read back from a ledger that masked a one-character secret', () => {
  it('a rollback to its own candidate 1: the candidate serves, it was not withdrawn', async () => {
    const w = await world();
    const first = await w.openPr(2, '1', '2', 'watch');
    expect(first.result.releases[0]?.status).toBe('ready');
    expect((await first.merge()).releases[0]?.status).toBe('promoted');
    await w.openPr(3, '2', '1', 'tick');
    const result = await handleCommand(
      w.config,
      'rollback',
      { model: 'fraud', dryRun: false, trigger: 'workflow_dispatch' },
      w.ports,
    );
    expect(w.target.state).toEqual({ stable: { version: '1' } });
    const release = reloaded(result.releases[0] as Release);
    // The reason lost its version to the mask: only a field can say the rollback went to it.
    expect(release.reason).toMatch(
      /^\*\*\* now serves as stable: a rollback by workflow_dispatch went back to it/,
    );
    expect(releaseDecision(release)).toBe('skipped');
    expect(releaseSentence(release)).toBe(`fraud ${release.reason}`);
    const text = renderMarkdown(w.config, { ...result, releases: [release] }, { now: w.clock.now() });
    expect(text).not.toContain('was withdrawn');
  });

  it('a rollback to 1 the platform refused: it says the candidate could not be rolled back, and why', async () => {
    const w = await world();
    const { result } = await w.openPr(2, '1', '2', 'tick');
    const analysing = result.releases[0] as Release;
    expect(analysing).toMatchObject({ status: 'analysing', from: '1', to: '2' });
    w.target.failFromWrite = w.target.writes.length;
    const failed = await rollBack(
      analysing,
      contextFor(w.model, w.ports),
      'errors: 9.00% is above the max 2.00%',
    );
    const release = reloaded(failed);
    expect(release.reason).toBe(
      'errors: 9.00% is above the max 2.00%; the rollback to *** also failed: platform unavailable',
    );
    expect(releaseSentence(release)).toBe(
      'fraud 2 could not be rolled back to 1: platform unavailable (rolling back because errors: 9.00% is above the max 2.00%); 2 may still get live traffic: a re-run of this job or the next schedule tick tries again',
    );
  });

  it('a state stored before the ending field still loads and reads, in plainer words', () => {
    const old = {
      model: 'fraud',
      from: '1',
      to: '2',
      status: 'failed',
      phase: 0,
      phaseStartedAt: 0,
      startedAt: 0,
      updatedAt: 0,
      gates: [],
      phases: [{ name: 'canary 10%', weight: 10, startedAt: 0, endedAt: 1, outcome: 'failed' }],
      reason: 'errors failed; the rollback to 1 also failed: platform unavailable',
      withdrawPending: true,
    };
    const stored = storedForm(old as Release);
    expect(stored.ok).toBe(true);
    expect(releaseSentence(stored.ok ? stored.value : (old as Release))).toBe(
      'fraud 2 was rolled back to 1 in canary 10%: errors failed; the rollback to 1 also failed: platform unavailable. 2 may still get live traffic: withdrawing it failed, and a re-run of this job or the next schedule tick tries again',
    );
  });
});
