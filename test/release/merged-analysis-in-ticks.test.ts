import { beforeAll, describe, expect, it } from 'vitest';
import type { Config, ModelConfig } from '../../src/config/types.js';
import { announceEnd, endThenWithdraw } from '../../src/release/finish.js';
import { contextFor } from '../../src/release/ports.js';
import { handlePullRequest, type PullRequestEvent } from '../../src/release/pull-request.js';
import { handleSchedule } from '../../src/release/schedule.js';
import { sha } from '../support/model-config.js';
import { MODEL, raceMetrics, STORES, useRaceWorld } from '../support/race-world.js';

// on-merge: analyze-then-promote with an analysis longer than the merge job's max-wait (a 6-hour
// shadow, the job watching 1 hour): the merge is recorded on the release, so the schedule tick that
// finishes the analysis promotes it, or says on the merged PR that it failed; a re-run of a merge job
// cancelled mid-analysis analyses it again. The platform is a real sandbox, the ledger a PR comment
// on a GitHub stand-in or a ledger file, time a fake clock.
const HOUR = 3_600_000;
const world = useRaceWorld({ firstPr: 70, firstRunId: 700, closePr: (closed) => prJob(closed, 'tick') });
let config: Config;
beforeAll(() => {
  config = world.configOf(
    '{ type: shadow, share: 50, duration: 6h, step-duration: 6h, min-requests: 100, interval: 1m }',
    { onMerge: 'analyze-then-promote' },
  );
});

const healthy = () => raceMetrics(async () => {});
const merged = (event: PullRequestEvent): PullRequestEvent => ({ ...event, action: 'closed', merged: true });

/** A PR's job (watching up to 1 hour, or one pass), published as the action publishes it. */
async function prJob(event: PullRequestEvent, mode: 'watch' | 'tick') {
  const { ports, publish } = world.job(event, config, { metrics: healthy() });
  return publish(await handlePullRequest(config, event, ports, { mode, maxWaitMs: HOUR, dryRun: false }));
}

/** One schedule tick an hour later, its candidate's error rate `candidateErrors`. */
async function tickAnHourLater(candidateErrors = 0.005) {
  world.clock.advance(HOUR);
  const { ports, publish } = world.job(undefined, config, {
    metrics: raceMetrics(async () => {}, candidateErrors),
  });
  return publish(await handleSchedule(config, ports, { mode: 'tick', maxWaitMs: 0 }));
}

/** Ticks an hour apart while the release analyses (at most 8): the last tick's result. */
async function ticksUntilDecided() {
  let last = await tickAnHourLater();
  for (let i = 0; i < 7 && (await world.recorded())?.status === 'analysing'; i++)
    last = await tickAnHourLater();
  return last;
}

const SHADOWING = { stable: { version: 'v1' }, mirror: { version: 'v2', share: 50 } };
const STILL_ANALYSING = {
  model: MODEL,
  why: 'merged while v2 is still analysing (on-merge: analyze-then-promote): the run that finishes its analysis (a schedule tick, or a re-run of this job) promotes v2 if it passes, and says here if it fails',
  kind: 'note',
};

describe.each(STORES)('releases kept %s', (_, inFile) => {
  beforeAll(() => world.useLedgerFile(inFile, 'model-gate-merged-ticks-'));

  it('the tick that passes a candidate merged mid-analysis promotes it, and the next PR then starts', async () => {
    const event = world.pullRequest('v2', 2);
    expect((await prJob(event, 'watch')).releases[0]?.status).toBe('analysing');
    const merge = await prJob(merged(event), 'watch');
    expect(merge.releases[0]?.status).toBe('analysing');
    expect(merge.skipped).toEqual([STILL_ANALYSING]);
    expect(await world.serving()).toEqual(SHADOWING);

    const last = await ticksUntilDecided();
    expect(last.releases[0]?.status).toBe('promoted');
    expect(await world.recorded()).toMatchObject({ status: 'promoted', to: 'v2' });
    expect(await world.serving()).toEqual({ stable: { version: 'v2' } });
    expect((await world.ledgerOf().history(MODEL)).at(-1)).toMatchObject({
      kind: 'promotion',
      version: 'v2',
      previous: 'v1',
      pr: world.pr,
      summary: `passed 1 shadow phase on ${sha(2).slice(0, 7)}, analysed after the merge`,
    });
    if (!inFile) {
      expect(world.comment()).toContain('Promoted');
      expect(world.comment()).not.toContain('Ready to merge');
    }

    // The canary slot is free: the next PR's release starts, not queued behind this one.
    const { baseSha, headSha } = world.pullRequest('v3', 3); // its version files
    const next = { action: 'opened', number: world.pr + 500, baseSha, headSha, merged: false };
    world.github.setPullRequest(next.number, { baseSha, headSha, files: [] });
    const opened = await prJob(next, 'tick');
    expect(opened.skipped).toEqual([]);
    expect(opened.releases[0]).toMatchObject({ from: 'v2', to: 'v3', status: 'analysing' });
    await prJob({ ...next, action: 'closed' }, 'tick');
  });
});

describe('on a PR comment on GitHub', () => {
  beforeAll(() => world.useLedgerFile(false, 'model-gate-merged-ticks-'));

  it('a tick that fails the merged candidate says so on the merged PR, and v1 serves alone', async () => {
    const event = world.pullRequest('v2', 2);
    await prJob(event, 'watch');
    await prJob(merged(event), 'watch');
    const failed = await tickAnHourLater(0.05);
    expect(failed.releases[0]?.status).toBe('failed');
    expect(await world.serving()).toEqual({ stable: { version: 'v1' } });
    expect(failed.notify).toEqual([
      {
        pr: world.pr,
        model: MODEL,
        why: expect.stringMatching(
          /^v2 failed its analysis after the merge and was not promoted; v1 serves: .*errors.*; the PR is merged, so no new commit or reopening analyses it again: to release v2, merge a PR that sets .+ back to v1, then open one that declares v2 again$/,
        ),
      },
    ]);
    expect(failed.notify?.[0]?.why).not.toMatch(/push a new commit|reopen the PR/);
    // No promotion of this PR's v2 is on record (earlier tests' are).
    expect((await world.ledgerOf().history(MODEL)).filter((e) => e.pr === world.pr)).toEqual([]);
  });

  it('a re-run of a merge job cancelled mid-analysis analyses the candidate again, and a tick promotes it', async () => {
    const event = world.pullRequest('v2', 2);
    await prJob(event, 'watch');
    // The merge job's first pass records the merge; then it is cancelled, and its post step
    // withdraws the candidate as post.ts does.
    await prJob(merged(event), 'tick');
    const model = config.models[MODEL] as ModelConfig;
    const { ports, publish } = world.job(merged(event), config, { metrics: healthy() });
    const release = await ports.ledger.release(MODEL);
    if (!release) throw new Error('no release recorded');
    const end = {
      status: 'aborted' as const,
      why: 'the job stopped mid-analysis; v2 withdrawn by the post step',
    };
    await endThenWithdraw(release, end, contextFor(model, ports), ports.ledger, announceEnd(ports));
    await publish({ releases: [], skipped: [] });
    expect(await world.serving()).toEqual({ stable: { version: 'v1' } });

    const rerun = await prJob(merged(event), 'watch');
    expect(rerun.releases[0]).toMatchObject({ to: 'v2', status: 'analysing' });
    expect(rerun.skipped.map((s) => s.why).join('\n')).not.toContain('not promoted');
    expect(await world.serving()).toEqual(SHADOWING);
    expect((await ticksUntilDecided()).releases[0]?.status).toBe('promoted');
    expect(await world.serving()).toEqual({ stable: { version: 'v2' } });
  });
});
