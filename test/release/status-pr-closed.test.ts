import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Config } from '../../src/config/types.js';
import { handleCommand } from '../../src/release/commands.js';
import { handlePullRequest, type PullRequestEvent } from '../../src/release/pull-request.js';
import { renderMarkdown } from '../../src/report/markdown.js';
import { sha } from '../support/model-config.js';
import { MODEL, raceMetrics, useRaceWorld } from '../support/race-world.js';

// A ready candidate (its analysis passed, v2 idle at 0%, holding the canary slot) whose PR was closed
// with no close job recording it (cancelled, or lost while GitHub was down): command status said
// "✅ Status: ready to merge … v2 passed every gate and is ready to merge", which nobody can do. It
// now asks GitHub for the holder's PR (one request, as a tick does) and says what is true: the PR
// is closed, v2 still holds the slot, and what to do. The platform is a real sandbox, the ledger
// the PR's comment on the GitHub stand-in, the status job's ports ask for a PR's state as the action's.
const world = useRaceWorld({ firstPr: 330, firstRunId: 3300, closePr: (closed) => prJob(closed) });
let config: Config;
beforeAll(() => {
  config = world.configWith('[10, 50]');
});
beforeEach(() => world.useLedgerFile(false, 'model-gate-status-pr-closed-'));

const PULL = '/repos/{owner}/{repo}/pulls/{pull_number}';
const IDLE = { stable: { version: 'v1' }, canary: { version: 'v2', weight: 0 } };

async function prJob(event: PullRequestEvent, mode: 'watch' | 'tick' = 'tick') {
  const { ports, publish } = world.job(event, config, { metrics: raceMetrics(async () => {}) });
  return publish(
    await handlePullRequest(config, event, ports, { mode, maxWaitMs: 3_600_000, dryRun: false }),
  );
}

/** The test's PR analysed to ready (v2 idle), then left open, closed or merged with no job recording it. */
async function readyThen(state: 'closed' | 'merged' | 'open') {
  const event = world.pullRequest('v2', 2);
  expect((await prJob(event, 'watch')).releases[0]?.status).toBe('ready');
  const files = { baseSha: sha(1), headSha: sha(2), files: [] };
  world.github.setPullRequest(world.pr, {
    ...files,
    state: state === 'open' ? 'open' : 'closed',
    merged: state === 'merged',
  });
}

/** command status as the action runs it (workflow_dispatch: its ports can ask for any PR's state). */
async function status() {
  const warnings: string[] = [];
  const { ports } = world.job(undefined, config, {
    metrics: raceMetrics(async () => {}),
    pullRequestState: true,
    warnings,
  });
  world.github.resetRequests();
  const result = await handleCommand(config, 'status', { dryRun: false }, ports);
  const report = renderMarkdown(config, result, { now: world.clock.now() });
  return { result, report, lines: report.split('\n'), warnings };
}

describe('command status of a ready candidate whose PR was closed with no close job recording it', () => {
  it('says the PR is closed, v2 still holds the slot, and to abort or reopen; not "ready to merge"', async () => {
    await readyThen('closed');
    const s = await status();
    expect(s.lines[0]).toBe(
      `## model-gate: ⚠️ Status: PR #${world.pr} is closed, yet v2 still holds the canary slot`,
    );
    expect(s.report).toContain(
      `- ${MODEL}: PR #${world.pr} was closed without merging, yet no close job recorded it (cancelled or lost, unless it is still running), so nobody can merge it: v2 (ready: it passed its analysis) still holds the model's canary slot, with no live traffic. To withdraw it, run the workflow with command: abort, model: ${MODEL} (a schedule tick withdraws it too); to merge it instead, reopen PR #${world.pr}\n`,
    );
    expect(s.report).not.toMatch(/ready to merge/);
    // Its cost: one read of the PR. Status changes nothing.
    expect(world.github.requestCount('GET', PULL)).toBe(1);
    expect(await world.serving()).toEqual(IDLE);
    expect(await world.recorded()).toMatchObject({ status: 'ready' });
  });

  it('merged with no merge job recording it: v2 is not promoted, re-run the merge job', async () => {
    await readyThen('merged');
    const s = await status();
    expect(s.lines[0]).toBe(`## model-gate: ⚠️ Status: PR #${world.pr} is merged, yet v2 is not promoted`);
    expect(s.report).toContain(
      `- ${MODEL}: PR #${world.pr} was merged, yet no merge job recorded it (cancelled or lost, unless it is still running): v2 (ready: it passed its analysis) is not promoted and still holds the model's canary slot, with no live traffic; no schedule tick promotes it: re-run the merge job of PR #${world.pr}\n`,
    );
    expect(s.report).not.toMatch(/ready to merge/);
    // Merged, the slot comes free by the merge job's re-run; the world's close after the test must not withdraw it.
    await prJob({ action: 'closed', number: world.pr, baseSha: sha(1), headSha: sha(2), merged: true });
  });

  it('still open: ready to merge, as before, for one read of the PR', async () => {
    await readyThen('open');
    const s = await status();
    expect(s.lines[0]).toBe('## model-gate: ✅ Status: ready to merge');
    expect(s.report).toContain(`- ${MODEL} v2 passed every gate and is ready to merge\n`);
    expect(world.github.requestCount('GET', PULL)).toBe(1);
    expect(s.warnings).toEqual([]);
  });
});
