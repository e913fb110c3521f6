import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Config } from '../../src/config/types.js';
import { handlePullRequest, type PullRequestEvent } from '../../src/release/pull-request.js';
import { handleSchedule } from '../../src/release/schedule.js';
import { sha } from '../support/model-config.js';
import { MODEL, raceMetrics, useRaceWorld } from '../support/race-world.js';

// A release already ready (its analysis passed, v2 idle at 0% but holding the canary slot) whose PR
// is closed or merged while GitHub is down: the PR's job dies on its first GitHub read and records
// nothing. Ticks asked GitHub for the PR's state of analysing releases only, so the ready one held
// the slot for ever and the model's next PR stayed queued. A tick now asks for a ready one's PR too,
// one GET. The platform is a real sandbox, the ledger the PR's comment on the GitHub stand-in.
const world = useRaceWorld({ firstPr: 260, firstRunId: 2600, closePr: (closed) => prJob(closed) });
let config: Config;
beforeAll(() => {
  config = world.configWith('[10, 50]');
});

const PULL = '/repos/{owner}/{repo}/pulls/{pull_number}';
const IDLE = { stable: { version: 'v1' }, canary: { version: 'v2', weight: 0 } };

/** A job with the ports the action builds (PR jobs, as the action's, never ask for their own PR's state). */
const job = (event: PullRequestEvent | undefined, warnings: string[] = []) =>
  world.job(event, config, { metrics: raceMetrics(async () => {}), warnings, pullRequestState: !event });

async function prJob(event: PullRequestEvent, mode: 'watch' | 'tick' = 'tick') {
  const { ports, publish } = job(event);
  return publish(
    await handlePullRequest(config, event, ports, { mode, maxWaitMs: 3_600_000, dryRun: false }),
  );
}

async function scheduleTick(dryRun = false, warnings: string[] = []) {
  const { ports, publish } = job(undefined, warnings);
  world.github.resetRequests();
  return publish(await handleSchedule(config, ports, { mode: 'tick', maxWaitMs: 0, dryRun }));
}

/** The test's PR analysed to ready (v2 idle), then closed or merged on GitHub, no job recording it. */
async function readyThen(state: 'closed' | 'merged' | 'open') {
  const event = world.pullRequest('v2', 2);
  expect((await prJob(event, 'watch')).releases[0]?.status).toBe('ready');
  expect(await world.serving()).toEqual(IDLE);
  const merged = state === 'merged';
  const files = { baseSha: sha(1), headSha: sha(2), files: [] };
  world.github.setPullRequest(world.pr, { ...files, state: state === 'open' ? 'open' : 'closed', merged });
}

beforeEach(() => world.useLedgerFile(false, 'model-gate-ready-closed-'));

describe('a schedule tick finding a ready release whose PR was closed unrecorded', () => {
  it('ends it aborted, v2 withdrawn, and frees the slot: the next PR of the model starts, not queued', async () => {
    await readyThen('closed');
    const warnings: string[] = [];
    const tick = await scheduleTick(false, warnings);
    const why = `PR #${world.pr} was closed without merging, but its close job did not record it (it stopped before it could: GitHub not answering, say); v2 withdrawn by a schedule tick`;
    expect(tick.releases).toMatchObject([{ model: MODEL, status: 'aborted', reason: why }]);
    expect(await world.serving()).toEqual({ stable: { version: 'v1' } });
    expect(await world.recorded()).toMatchObject({ status: 'aborted', reason: why });
    expect(warnings).toContain(`${MODEL}: ${why}`);
    expect(world.comment()).toContain('## model-gate: ⏹️ Withdrawn');
    // Its cost: one read of the PR.
    expect(world.github.requestCount('GET', PULL)).toBe(1);

    // The slot is free: the model's next PR starts its release.
    const { baseSha, headSha } = world.pullRequest('v3', 3);
    const next = { action: 'opened', number: world.pr + 500, baseSha, headSha, merged: false };
    world.github.setPullRequest(next.number, { baseSha, headSha, files: [] });
    const opened = await prJob(next);
    expect(opened.skipped).toEqual([]);
    expect(opened.releases[0]).toMatchObject({ from: 'v1', to: 'v3', status: 'analysing' });
    await prJob({ ...next, action: 'closed' });
  });

  it('a dry run says it would withdraw v2, and changes neither traffic nor the record', async () => {
    await readyThen('closed');
    const dry = await scheduleTick(true);
    expect(dry.skipped).toContainEqual({
      model: MODEL,
      why: `would withdraw v2: PR #${world.pr} was closed without merging, but its close job did not record it (it stopped before it could: GitHub not answering, say)`,
      kind: 'dry-run',
    });
    expect(await world.serving()).toEqual(IDLE);
    expect(await world.recorded()).toMatchObject({ status: 'ready' });
  });
});

describe('a schedule tick finding a ready release whose PR was merged unrecorded', () => {
  it('leaves v2 ready and unpromoted, and asks on the PR, each tick, for the merge job again', async () => {
    await readyThen('merged');
    const note = {
      pr: world.pr,
      model: MODEL,
      why: `PR #${world.pr} was merged, but its merge job has not promoted v2, which passed its analysis, and no schedule tick promotes it: unless that job is still running, re-run the merge job of PR #${world.pr} (on-merge: require-pass)`,
    };
    for (let i = 0; i < 2; i++) {
      const tick = await scheduleTick();
      expect(tick.notify).toEqual([note]);
      expect(tick.skipped).toContainEqual({ model: MODEL, why: note.why, kind: 'note' });
      expect(world.github.requestCount('GET', PULL)).toBe(1);
      expect(await world.serving()).toEqual(IDLE);
      expect(await world.recorded()).toMatchObject({ status: 'ready' });
    }
    // The merge job's re-run promotes it.
    const merged = { action: 'closed', number: world.pr, baseSha: sha(1), headSha: sha(2), merged: true };
    expect((await prJob(merged)).releases[0]).toMatchObject({ status: 'promoted' });
    expect(await world.serving()).toEqual({ stable: { version: 'v2' } });
  });
});

describe('a schedule tick finding a ready release whose PR is open', () => {
  it('leaves it ready, one read of the PR, and says nothing of it', async () => {
    await readyThen('open');
    const tick = await scheduleTick();
    expect(tick.notify).toEqual([]);
    expect(tick.skipped.filter((s) => s.model === MODEL)).toEqual([]);
    expect(world.github.requestCount('GET', PULL)).toBe(1);
    expect(await world.serving()).toEqual(IDLE);
    expect(await world.recorded()).toMatchObject({ status: 'ready' });
  });
});
