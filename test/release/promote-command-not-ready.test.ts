import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { FakeClock } from '../../src/core/clock.js';
import { InputError } from '../../src/core/errors.js';
import { fileLedger } from '../../src/ledger/file-ledger.js';
import { handleCommand } from '../../src/release/commands.js';
import type { Ports } from '../../src/release/ports.js';
import { handlePullRequest } from '../../src/release/pull-request.js';
import { memoryFileReader } from '../../src/version/changed-models.js';
import { MemoryTarget } from '../support/memory-target.js';
import { FRAUD_CANARY_YAML, fraudCanaryYaml, sha } from '../support/model-config.js';
import { passingErrorRate } from '../support/scripted-metrics.js';

// `command: promote` takes only a release whose analysis passed. Refused on any other, it must say
// what does serve the version (or stops it) from where the release is: not only that it is not ready.
async function world(yaml = FRAUD_CANARY_YAML) {
  const { config } = parseConfig(yaml, {});
  const ledger = fileLedger(join(await mkdtemp(join(tmpdir(), 'model-gate-promote-')), 'ledger.json'));
  const target = new MemoryTarget({ stable: { version: 'v1' } });
  const metrics = passingErrorRate();
  const files: Record<string, Record<string, string>> = {
    [sha(1)]: { 'fraud.yaml': 'version: v1\n' },
    [sha(2)]: { 'fraud.yaml': 'version: v2\n' },
  };
  const ports: Ports = {
    ledger,
    reader: memoryFileReader(files),
    clock: new FakeClock(),
    log: { info: () => {}, warn: () => {} },
    targetFor: () => target,
    metricsFor: () => metrics,
  };
  /** PR #3 moves fraud from v1 to v2: one pass (`tick`) or to the end (`watch`); or is merged. */
  const openPr = (mode: 'watch' | 'tick', merged = false) =>
    handlePullRequest(
      config,
      { action: merged ? 'closed' : 'opened', number: 3, baseSha: sha(1), headSha: sha(2), merged },
      ports,
      { mode, maxWaitMs: 3_600_000, dryRun: false },
    );
  const command = (name: 'promote' | 'abort', trigger = 'workflow_dispatch') =>
    handleCommand(config, name, { model: 'fraud', dryRun: false, trigger }, ports);
  /** The promote command's refusal, once checked that it changed nothing. */
  const refusal = async (trigger?: string) => {
    const before = structuredClone(target.state);
    const error = await command('promote', trigger).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InputError);
    expect(target.state).toEqual(before);
    return (error as Error).message;
  };
  return { metrics, target, openPr, command, refusal };
}

describe('the promote command on a release that is not ready says what to do instead', () => {
  it('still analysing: wait for the analysis to pass, then merge or promote; or abort it', async () => {
    const w = await world();
    await w.openPr('tick');
    expect(await w.refusal()).toBe(
      "promote fraud: no release is ready (last: v2 analysing); wait for v2's analysis to pass (PR #3's job, a re-run of it, or the next schedule tick goes on with it), then merge PR #3 or run the promote command again; to stop it instead, use the abort command, which withdraws v2",
    );
  });

  it('aborted: reopen the PR or push to it to analyse again (on the command line: run reopen)', async () => {
    const w = await world();
    await w.openPr('tick');
    await w.command('abort');
    const message = await w.refusal();
    expect(message).toMatch(
      /^promote fraud: no release is ready \(last: v2 aborted\); v2 was withdrawn before its analysis decided \(aborted by /,
    );
    expect(message).toContain(
      'to analyse it again, close and reopen PR #3, or push a new commit to it; once that analysis passes, merge PR #3 or run the promote command',
    );
    expect(await w.refusal('model-gate run')).toContain(
      'to analyse it again, run model-gate run reopen --pr 3;',
    );
  });

  it('failed: a failed analysis is not promoted nor run again on that commit: push a fix', async () => {
    const w = await world();
    w.metrics.slots.canary.values['error-rate'] = 0.2;
    expect((await w.openPr('watch')).releases[0]?.status).toBe('failed');
    expect(await w.refusal()).toBe(
      "promote fraud: no release is ready (last: v2 failed); v2 failed its analysis and is not promoted, nor analysed again on the same commit (PR #3's comment says which gate failed): push a fix to PR #3, which is analysed afresh",
    );
  });

  it('promoted already: nothing to promote; the status command says what serves', async () => {
    const w = await world();
    expect((await w.openPr('watch')).releases[0]?.status).toBe('ready');
    expect((await w.openPr('watch', true)).releases[0]?.status).toBe('promoted');
    expect(await w.refusal()).toBe(
      'promote fraud: no release is ready (last: v2 promoted); v2 was promoted already: there is nothing to promote (the status command says what serves now); to serve another version, use the rollback command or open a PR that changes the version',
    );
  });

  it('none on record: open a PR that changes the version file', async () => {
    const w = await world();
    expect(await w.refusal()).toBe(
      'promote fraud: no release is ready (last: none); the promote command takes only a release whose analysis passed, and none is on record for fraud: open a PR that changes its version file, whose analysis releases the version through the gates',
    );
  });
});

// `model-gate run` has no PR comment, merge job to re-run or schedule: its own subcommands do each.
describe("the promote command of `model-gate run` names its subcommands, not the action's jobs", () => {
  const analyseThenPromote = fraudCanaryYaml(`    on-merge: analyze-then-promote
    gates:
      - { name: errors, kind: threshold, query: error-rate, max: 0.02 }
`);

  it('merged while analysing: run tick goes on with the analysis, or run merge', async () => {
    const w = await world(analyseThenPromote);
    await w.openPr('tick');
    await w.openPr('tick', true);
    const message = await w.refusal('model-gate run');
    expect(message).toBe(
      "promote fraud: no release is ready (last: v2 analysing); PR #3 is merged: model-gate run tick goes on with v2's analysis (or model-gate run merge --pr 3 again), and the run that passes it promotes it; to stop it instead, use model-gate run abort --model fraud",
    );
    expect(await w.refusal()).toContain('the schedule ticks go on with');
  });

  it('merged, then aborted: run merge analyses it again', async () => {
    const w = await world(analyseThenPromote);
    await w.openPr('tick');
    await w.openPr('tick', true);
    await w.command('abort');
    const message = await w.refusal('model-gate run');
    expect(message).toContain(
      'v2 was withdrawn before its analysis decided: run model-gate run merge --pr 3 to analyse it again',
    );
    expect(message).not.toContain('re-run');
    expect(await w.refusal()).toContain('re-run the merge job of PR #3 to analyse it again');
  });

  it('still analysing: run tick goes on with it, then run merge or run promote; or run abort', async () => {
    const w = await world();
    await w.openPr('tick');
    const message = await w.refusal('model-gate run');
    expect(message).toBe(
      "promote fraud: no release is ready (last: v2 analysing); wait for v2's analysis to pass (model-gate run tick goes on with it), then run model-gate run merge --pr 3 or model-gate run promote --model fraud; to stop it instead, use model-gate run abort --model fraud, which withdraws v2",
    );
  });

  it('its withdrawal pending: run tick, run abort or run rollback, not a re-run of a job', async () => {
    const w = await world();
    await w.openPr('tick');
    // The platform is down: the abort ends the release, its candidate's withdrawal pending.
    w.target.failFromWrite = 0;
    await w.command('abort').catch(() => undefined);
    const message = await w.refusal('model-gate run');
    expect(message).toBe(
      'promote fraud: no release is ready (last: v2 aborted, its withdrawal pending: v2 may still get live traffic); model-gate run tick tries again to withdraw it, or model-gate run abort --model fraud withdraws it now, or model-gate run rollback --model fraud serves another version instead',
    );
    expect(await w.refusal()).toContain("a re-run of its PR's job or the next schedule tick tries again");
  });

  it("failed: the analysing run's printed report says which gate failed (no PR comment is written)", async () => {
    const w = await world();
    w.metrics.slots.canary.values['error-rate'] = 0.2;
    expect((await w.openPr('watch')).releases[0]?.status).toBe('failed');
    const message = await w.refusal('model-gate run');
    expect(message).toContain(
      'nor analysed again on the same commit (the report the model-gate run that analysed it printed says which gate failed): commit a fix and run again with --head HEAD, which is analysed afresh',
    );
    expect(message).not.toContain('comment');
  });
});
