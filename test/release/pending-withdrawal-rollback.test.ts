import { describe, expect, it } from 'vitest';
import { TargetError } from '../../src/core/errors.js';
import type { Ledger } from '../../src/ledger/ledger.js';
import { handleCommand } from '../../src/release/commands.js';
import { retryWithdrawal } from '../../src/release/finish.js';
import { contextFor } from '../../src/release/ports.js';
import { handlePullRequest } from '../../src/release/pull-request.js';
import { handleSchedule } from '../../src/release/schedule.js';
import { renderMarkdown } from '../../src/report/markdown.js';
import { fraudPr } from '../support/fraud-pr.js';
import type { MemoryTarget } from '../support/memory-target.js';

// A release failed and the platform refused its rollback: its withdrawal is pending, retried by
// every later run. The operator then runs the dispatch rollback. The rollback settles that release,
// so no retry of its withdrawal undoes the rollback (one put v1 back over a rollback to v2), and
// its default target is what serves beside a candidate taking all live traffic, not one further.

const watch = { mode: 'watch' as const, maxWaitMs: 60_000, dryRun: false };
const tick = { mode: 'tick' as const, maxWaitMs: 0 };
const dispatch = { model: 'fraud', dryRun: false, trigger: 'workflow_dispatch' };

/** The ledger's history: v2 promoted from v0 by PR #3, then v1 from v2 by PR #5. */
async function promotedV2ThenV1(ledger: Ledger) {
  const promotion = { model: 'fraud', kind: 'promotion' as const, summary: 's' };
  await ledger.record({ ...promotion, version: 'v2', previous: 'v0', at: 0, pr: 3 });
  await ledger.record({ ...promotion, version: 'v1', previous: 'v2', at: 1, pr: 5 });
}

/**
 * PR #7 reverts fraud from v1 to v2 (v2 served before v1, PR #5 brought v1 in): its gate fails
 * and the platform refuses the rollback, v2 left on 10% beside v1; then the platform answers again.
 */
async function revertWhoseRollbackWasRefused() {
  const w = await fraudPr({ to: 'v2', candidateErrors: 0.2 });
  await promotedV2ThenV1(w.ledger);
  w.target.failFromWrite = 1;
  const failed = await handlePullRequest(w.config, w.event(), w.ports, watch);
  expect(failed.releases[0]).toMatchObject({ status: 'failed', withdrawPending: true });
  expect(w.target.state).toEqual({ stable: { version: 'v1' }, canary: { version: 'v2', weight: 10 } });
  w.target.failFromWrite = Number.POSITIVE_INFINITY;
  return w;
}

/** Every write of `target` refused as a platform refuses it, until the returned function is called. */
function refuseWrites(target: MemoryTarget): () => void {
  const write = target.write.bind(target);
  target.write = async () => {
    throw new TargetError('the platform answered 503 Service Unavailable');
  };
  return () => {
    target.write = write;
  };
}

describe('a dispatch rollback while a failed candidate withdrawal is pending', () => {
  it('a rollback to the candidate itself (a revert) stays: neither the next tick nor a re-run of the PR job puts v1 back', async () => {
    const w = await revertWhoseRollbackWasRefused();
    const rolled = await handleCommand(w.config, 'rollback', dispatch, w.ports);
    expect(w.target.state).toEqual({ stable: { version: 'v2' } });
    expect((await w.ledger.history('fraud')).at(-1)).toMatchObject({
      kind: 'rollback',
      version: 'v2',
      previous: 'v1',
    });
    // PR #7's release is settled: still failed, its withdrawal no longer pending, the slot free.
    expect(rolled.releases).toEqual([
      expect.objectContaining({
        pr: 7,
        status: 'failed',
        reason: expect.stringMatching(
          /^v2 now serves as stable: a rollback by workflow_dispatch went back to it; it had ended failed: /,
        ),
      }),
    ]);
    expect(rolled.releases[0]?.withdrawPending).toBeUndefined();
    expect(await w.ledger.canaryHolder('fraud')).toBeUndefined();
    // The report says v2 serves, not that it was rolled back to v1.
    const report = renderMarkdown(w.config, rolled, { now: w.clock.now() });
    expect(report).toContain(
      'fraud v2 now serves as stable: a rollback by workflow\\_dispatch went back to it',
    );
    expect(report).not.toContain('rolled back to v1');
    const writes = w.target.writes.length;

    await handleSchedule(w.config, w.ports, tick);
    await handlePullRequest(w.config, w.event(), w.ports, watch);
    expect(w.target.state).toEqual({ stable: { version: 'v2' } });
    expect(w.target.writes).toHaveLength(writes);
  });

  it("a rollback while the PR's job is still retrying the withdrawal stays: the job gives the release up", async () => {
    const w = await fraudPr({ to: 'v2', candidateErrors: 0.2 });
    await promotedV2ThenV1(w.ledger);
    w.target.failFromWrite = 1;
    // The operator's rollback runs while the job waits to retry its refused rollback.
    let rolledBack = false;
    const clock = {
      now: () => w.clock.now(),
      sleep: async (ms: number) => {
        if (!rolledBack && (await w.ledger.release('fraud'))?.withdrawPending) {
          rolledBack = true;
          w.clock.advance(1_000);
          w.target.failFromWrite = Number.POSITIVE_INFINITY;
          await handleCommand(w.config, 'rollback', dispatch, w.ports);
        }
        await w.clock.sleep(ms);
      },
    };
    await handlePullRequest(w.config, w.event(), { ...w.ports, clock }, { ...watch, maxWaitMs: 3_600_000 });
    expect(rolledBack).toBe(true);
    expect(w.target.state).toEqual({ stable: { version: 'v2' } });
    expect(await w.ledger.release('fraud')).toMatchObject({ status: 'failed', ending: { serves: 'v2' } });
  });

  it('a rollback to another version withdraws the candidate, and the failed release says so', async () => {
    const w = await revertWhoseRollbackWasRefused();
    await handleCommand(w.config, 'rollback', { ...dispatch, toVersion: 'v0' }, w.ports);
    expect(w.target.state).toEqual({ stable: { version: 'v0' } });
    const settled = await w.ledger.release('fraud');
    expect(settled).toMatchObject({
      status: 'failed',
      reason: expect.stringMatching(/; v2 withdrawn by the rollback to v0 by workflow_dispatch$/),
      ending: { serves: 'v0', withdrawFailed: { laterTry: true } },
    });
    expect(settled?.withdrawPending).toBeUndefined();
    const report = renderMarkdown(w.config, { releases: [settled as never], skipped: [] }, { now: 0 });
    expect(report).toContain(
      'fraud v2 was rolled back to v0 in step 1 of 2 (10% of live traffic) on a later try',
    );
    expect(report).not.toContain('rolled back to v1');
    await handleSchedule(w.config, w.ports, tick);
    expect(w.target.state).toEqual({ stable: { version: 'v0' } });
  });

  it('a rollback the platform refuses keeps the withdrawal pending, with its words, for the next try', async () => {
    const w = await revertWhoseRollbackWasRefused();
    const answer = refuseWrites(w.target);
    await expect(handleCommand(w.config, 'rollback', dispatch, w.ports)).rejects.toThrow(
      /^the platform answered 503 Service Unavailable; the release of v2 of PR #7 is recorded as ended, .*run the rollback again once the platform answers$/,
    );
    expect(await w.ledger.release('fraud')).toMatchObject({
      status: 'failed',
      withdrawPending: true,
      reason: expect.stringMatching(
        /; the rollback to v2 by workflow_dispatch failed too: the platform answered 503 Service Unavailable$/,
      ),
    });
    // No rollback on record: v1 still serves by the ledger, and the retry takes v2 out as before.
    expect((await w.ledger.history('fraud')).at(-1)).toMatchObject({ kind: 'promotion', version: 'v1' });
    answer();
    await handleSchedule(w.config, w.ports, tick);
    expect(w.target.state).toEqual({ stable: { version: 'v1' } });
  });

  it('a retry that finds the candidate made the stable version on record since the release began leaves it serving', async () => {
    const w = await revertWhoseRollbackWasRefused();
    // A rollback to v2 that did not settle the release (made by an older model-gate).
    const pending = await w.ledger.release('fraud');
    if (!pending) throw new Error('no release recorded');
    await w.target.write({ stable: { version: 'v2' } });
    w.clock.advance(60_000);
    await w.ledger.record({
      model: 'fraud',
      kind: 'rollback',
      version: 'v2',
      previous: 'v1',
      at: w.clock.now(),
      summary: 's',
    });
    const model = w.config.models.fraud;
    if (!model) throw new Error('no model');
    const { release: retried } = await retryWithdrawal(pending, contextFor(model, w.ports), w.ledger);
    expect(w.target.state).toEqual({ stable: { version: 'v2' } });
    expect(retried.withdrawPending).toBeUndefined();
    expect(retried.reason).toMatch(
      /^v2 was not withdrawn: it is the stable version on record since the rollback v1 → v2; it had ended failed: /,
    );
  });

  it('a schedule tick retrying the withdrawal after a rollback to the candidate on record leaves v2 serving, and settles the release', async () => {
    const w = await revertWhoseRollbackWasRefused();
    // A rollback to v2 that did not settle the release (made by an older model-gate).
    await w.target.write({ stable: { version: 'v2' } });
    w.clock.advance(60_000);
    await w.ledger.record({
      model: 'fraud',
      kind: 'rollback',
      version: 'v2',
      previous: 'v1',
      at: w.clock.now(),
      summary: 's',
    });
    const logged: string[] = [];
    await handleSchedule(
      w.config,
      { ...w.ports, log: { ...w.ports.log, info: (m) => logged.push(m) } },
      tick,
    );
    expect(w.target.state).toEqual({ stable: { version: 'v2' } });
    const settled = await w.ledger.release('fraud');
    expect(settled?.withdrawPending).toBeUndefined();
    expect(settled?.reason).toMatch(
      /^v2 was not withdrawn: it is the stable version on record since the rollback v1 → v2; it had ended failed: /,
    );
    // The tick's log says what it found, not that it withdrew v2.
    expect(logged).toContain(`fraud: ${settled?.reason}`);
  });

  it('a rollback naming the failed candidate, which never served, is refused saying what to set', async () => {
    const w = await fraudPr({ to: 'v2', candidateErrors: 0.2 });
    w.target.failFromWrite = 1;
    await handlePullRequest(w.config, w.event(), w.ports, watch);
    w.target.failFromWrite = Number.POSITIVE_INFINITY;
    await expect(
      handleCommand(w.config, 'rollback', { ...dispatch, toVersion: 'v2' }, w.ports),
    ).rejects.toThrow(
      'rollback fraud: to-version v2 is the candidate of PR #7, which failed its analysis and whose withdrawal is pending; it never served as stable; set to-version to v1 to withdraw it only, or to an earlier version',
    );
    expect(w.target.state.canary).toMatchObject({ version: 'v2' });
  });
});

const BLUE_GREEN = `version: 1
defaults:
  target: { type: sandbox, url: "http://127.0.0.1:1" }
  metrics: { type: sandbox, url: "http://127.0.0.1:1" }
models:
  fraud:
    source: { file: fraud.yaml, key: version }
    strategy: { type: blue-green, bake-duration: 1m, step-duration: 1m, rollback-window: 1h, min-requests: 100, interval: 10s }
    gates:
      - { name: errors, kind: threshold, query: error-rate, max: 0.02 }
`;

describe('a blue-green bake whose rollback the platform refused', () => {
  it('the default rollback goes back to blue (v1), which status named, not to v0', async () => {
    const w = await fraudPr({ to: 'v2', candidateErrors: 0.2, yaml: BLUE_GREEN });
    await w.ledger.record({
      model: 'fraud',
      kind: 'promotion',
      version: 'v1',
      previous: 'v0',
      at: 0,
      pr: 3,
      summary: 's',
    });
    // The switch to green lands (write 0); the rollback after the failed bake is refused.
    w.target.failFromWrite = 1;
    await handlePullRequest(w.config, w.event(), w.ports, watch);
    expect(w.target.state).toEqual({ stable: { version: 'v1' }, canary: { version: 'v2', weight: 100 } });
    w.target.failFromWrite = Number.POSITIVE_INFINITY;
    const status = await handleCommand(w.config, 'status', dispatch, w.ports);
    expect(renderMarkdown(w.config, status, { now: 0 })).toContain('stable v1 takes none meanwhile');

    const dry = await handleCommand(w.config, 'rollback', { ...dispatch, dryRun: true }, w.ports);
    expect(dry.skipped[0]?.why).toMatch(
      /^would roll back to v1, withdrawing v2 \(PR #7\), which takes all live traffic/,
    );
    const rolled = await handleCommand(w.config, 'rollback', dispatch, w.ports);
    expect(w.target.state).toEqual({ stable: { version: 'v1' } });
    // v1 stayed the stable version on record: no rollback entry.
    expect((await w.ledger.history('fraud')).at(-1)).toMatchObject({ kind: 'promotion', version: 'v1' });
    expect(rolled.releases[0]).toMatchObject({
      status: 'failed',
      ending: { withdrawFailed: { laterTry: true } },
      reason: expect.stringMatching(
        /; rolled back to v1 by workflow_dispatch: v2, which took all live traffic, is withdrawn and v1 serves again/,
      ),
    });
    expect(rolled.releases[0]?.withdrawPending).toBeUndefined();
    const report = renderMarkdown(w.config, rolled, { now: 0 });
    expect(report).toContain(
      'fraud v2 was rolled back to v1 in bake on green (100% of live traffic) on a later try',
    );
    expect(report).not.toContain('may still get live traffic');
  });
});
