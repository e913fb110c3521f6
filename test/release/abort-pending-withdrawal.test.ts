import { describe, expect, it } from 'vitest';
import { TargetError } from '../../src/core/errors.js';
import { handleCommand } from '../../src/release/commands.js';
import { handlePullRequest } from '../../src/release/pull-request.js';
import { handleSchedule } from '../../src/release/schedule.js';
import type { Release } from '../../src/release/types.js';
import { runDecision } from '../../src/report/decision.js';
import { renderMarkdown } from '../../src/report/markdown.js';
import { fraudPr } from '../support/fraud-pr.js';
import type { MemoryTarget } from '../support/memory-target.js';

// A release ended, but the platform refused to take its candidate out of service: its withdrawal
// is pending, the candidate may still get live traffic. The operator runs the dispatch abort to
// stop it. The abort tries the withdrawal again at once, says what took, and fails the run while
// the platform still refuses; it used to answer "no release in flight to abort", changing nothing.

const watch = { mode: 'watch' as const, maxWaitMs: 60_000, dryRun: false };
const tick = { mode: 'tick' as const, maxWaitMs: 0 };
const abort = { model: 'fraud', dryRun: false, trigger: 'workflow_dispatch' };
const CANARY = { stable: { version: 'v1' }, canary: { version: 'v2', weight: 10 } };

/** `target` refuses every write as a platform does (a 503), from its `from`th write on, until `answer()`. */
function refusing(target: MemoryTarget, from = 0) {
  const write = target.write.bind(target);
  let refuse = true;
  target.write = async (desired) => {
    if (refuse && target.writes.length >= from)
      throw new TargetError('the platform answered 503 Service Unavailable');
    await write(desired);
  };
  return {
    answer: () => {
      refuse = false;
    },
  };
}

/** PR #7's candidate v2 fails its gate, and the platform refuses its rollback: v2 stays on 10%. */
async function failedNotRolledBack() {
  const w = await fraudPr({ to: 'v2', candidateErrors: 0.2 });
  const platform = refusing(w.target, 1);
  const failed = await handlePullRequest(w.config, w.event(), w.ports, watch);
  expect(failed.releases[0]).toMatchObject({ status: 'failed', withdrawPending: true });
  expect(w.target.state).toEqual(CANARY);
  return { ...w, platform };
}

describe('abort while a withdrawal is pending', () => {
  it('withdraws the failed candidate whose rollback the platform refused, and says it took', async () => {
    const w = await failedNotRolledBack();
    w.platform.answer();
    const result = await handleCommand(w.config, 'abort', abort, w.ports);
    expect(w.target.state).toEqual({ stable: { version: 'v1' } });
    // Still failed (its analysis did), its withdrawal settled: the slot is free.
    expect(result.releases).toEqual([
      expect.objectContaining({
        pr: 7,
        status: 'failed',
        reason: expect.stringMatching(/; v2 withdrawn on a later try$/),
      }),
    ]);
    expect(result.releases[0]?.withdrawPending).toBeUndefined();
    expect(await w.ledger.canaryHolder('fraud')).toBeUndefined();
    const report = renderMarkdown(w.config, result, { now: w.clock.now() });
    expect(report).toContain(
      'fraud v2 was rolled back to v1 in step 1 of 2 (10% of live traffic) on a later try: errors: 20.00% is above the max 2.00% (the first rollback failed: the platform answered 503 Service Unavailable)',
    );
    expect(report).not.toContain('no release in flight');
    expect(report).not.toContain('may still get live traffic');
  });

  it('a second abort withdraws the candidate the first abort could not', async () => {
    const w = await fraudPr({ to: 'v2' });
    await handlePullRequest(w.config, w.event(), w.ports, { ...tick, dryRun: false });
    expect(w.target.state).toEqual(CANARY);
    const platform = refusing(w.target);
    // The first abort fails the run (abort-refused-fails-run.test.ts), its end recorded.
    await expect(handleCommand(w.config, 'abort', abort, w.ports)).rejects.toThrow(
      /run the abort again once the platform answers$/,
    );
    expect(await w.ledger.release('fraud')).toMatchObject({ status: 'aborted', withdrawPending: true });
    expect(w.target.state).toEqual(CANARY);

    platform.answer();
    const second = await handleCommand(w.config, 'abort', abort, w.ports);
    expect(w.target.state).toEqual({ stable: { version: 'v1' } });
    expect(runDecision(second)).toBe('aborted');
    expect(second.releases[0]).toMatchObject({ status: 'aborted' });
    expect(second.releases[0]?.withdrawPending).toBeUndefined();
    const report = renderMarkdown(w.config, second, { now: w.clock.now() });
    expect(report).toContain(
      '- fraud v2 was withdrawn: aborted by workflow\\_dispatch; withdrawing v2 failed: the platform answered 503 Service Unavailable; v2 withdrawn on a later try',
    );
    expect(report).not.toContain('may still get live traffic');
    expect(await w.ledger.canaryHolder('fraud')).toBeUndefined();
  });

  it('fails the run while the platform still refuses, the record still pending and written at once', async () => {
    const w = await failedNotRolledBack();
    const written: Release[][] = [];
    const ports = { ...w.ports, onProgress: (releases: Release[]) => void written.push(releases) };
    await expect(handleCommand(w.config, 'abort', abort, ports)).rejects.toThrow(
      /^the platform answered 503 Service Unavailable; the release of v2 of PR #7 is recorded as ended, .*run the abort again once the platform answers$/,
    );
    expect(w.target.state).toEqual(CANARY);
    expect(await w.ledger.release('fraud')).toMatchObject({ status: 'failed', withdrawPending: true });
    // The PR's comment says the candidate may still get live traffic, though the run stopped.
    expect(written.at(-1)).toEqual([expect.objectContaining({ pr: 7, withdrawPending: true })]);

    // The platform answers again: the next tick takes v2 out, as before the abort.
    w.platform.answer();
    await handleSchedule(w.config, w.ports, tick);
    expect(w.target.state).toEqual({ stable: { version: 'v1' } });
  });

  it('fails the run on a defect met retrying, not as a refusal, the withdrawal left pending', async () => {
    const w = await failedNotRolledBack();
    w.platform.answer();
    w.target.write = async () => {
      throw new TypeError("Cannot read properties of undefined (reading 'weight')");
    };
    await expect(handleCommand(w.config, 'abort', abort, w.ports)).rejects.toThrow(TypeError);
    expect(await w.ledger.release('fraud')).toMatchObject({ withdrawPending: true });
  });

  it('leaves a version put in place since alone, and fails the run saying the rollback settles it', async () => {
    const w = await failedNotRolledBack();
    w.platform.answer();
    // Someone served v3 by hand, v2 still beside it.
    await w.target.write({ stable: { version: 'v3' }, canary: { version: 'v2', weight: 10 } });
    await expect(handleCommand(w.config, 'abort', abort, w.ports)).rejects.toThrow(
      'abort fraud: v2 (PR #7) may still get live traffic beside v3, which serves now in place of v1: model-gate leaves a version put in place since as it is; use the rollback command, naming the version to serve, to withdraw v2',
    );
    expect(w.target.state).toEqual({ stable: { version: 'v3' }, canary: { version: 'v2', weight: 10 } });
    // As the error says: a rollback naming v3 withdraws v2 and settles the release.
    await handleCommand(w.config, 'rollback', { ...abort, toVersion: 'v3' }, w.ports);
    expect(w.target.state).toEqual({ stable: { version: 'v3' } });
    expect(await w.ledger.canaryHolder('fraud')).toBeUndefined();
  });

  it('says in a dry run that it would try the withdrawal again, and changes nothing', async () => {
    const w = await failedNotRolledBack();
    const writes = w.target.writes.length;
    const result = await handleCommand(w.config, 'abort', { ...abort, dryRun: true }, w.ports);
    expect(result).toEqual({
      releases: [],
      skipped: [{ model: 'fraud', why: 'would try again to withdraw v2 (PR #7)', kind: 'dry-run' }],
    });
    expect(w.target.writes).toHaveLength(writes);
    expect(await w.ledger.release('fraud')).toMatchObject({ withdrawPending: true });
  });
});
