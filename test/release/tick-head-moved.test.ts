import { beforeEach, describe, expect, it } from 'vitest';
import type { Config } from '../../src/config/types.js';
import { handlePullRequest, type PullRequestEvent } from '../../src/release/pull-request.js';
import { handleSchedule } from '../../src/release/schedule.js';
import { sha } from '../support/model-config.js';
import { MODEL, raceMetrics, useRaceWorld } from '../support/race-world.js';

// A push to a PR whose job never ran (GitHub down for its event; or the job failed or was
// cancelled before it recorded anything): every schedule tick went on driving the PR's old
// candidate, v2 mirrored to half the requests, the comment ending "Ready to merge" for v2 while the
// PR declared v3, and no line saying why. A tick reads the PR's state already (closed-meanwhile.ts);
// the same read gives its head, and the tick now does with the old candidate what that push's job
// would have. The platform is a real sandbox, the ledger the PR's comment on the GitHub stand-in.
const HOUR = 3_600_000;
const world = useRaceWorld({ firstPr: 1240, firstRunId: 12400, closePr: (closed) => prJob(closed) });
let config: Config;
beforeEach(() => {
  config = world.configOf(
    '{ type: shadow, share: 50, duration: 6h, step-duration: 6h, min-requests: 100, interval: 1m }',
  );
});

const PULL = '/repos/{owner}/{repo}/pulls/{pull_number}';
const MIRRORED = { stable: { version: 'v1' }, mirror: { version: 'v2', share: 50 } };

/** A PR's job, in tick mode: PR jobs, as the action's, never ask for their own PR's state. */
async function prJob(event: PullRequestEvent, mode: 'tick' | 'watch' = 'tick') {
  const { ports, publish } = world.job(event, config, { metrics: raceMetrics(async () => {}) });
  return publish(await handlePullRequest(config, event, ports, { mode, maxWaitMs: HOUR, dryRun: false }));
}

/** An hourly schedule tick, asking GitHub for each release's PR as the action's ports do. */
async function tick(warnings: string[] = [], dryRun = false) {
  world.clock.advance(HOUR);
  world.github.resetRequests();
  const job = { metrics: raceMetrics(async () => {}), pullRequestState: true, warnings };
  const { ports, publish } = world.job(undefined, config, job);
  return publish(await handleSchedule(config, ports, { mode: 'tick', maxWaitMs: 0, dryRun }));
}

/** The PR opened at head 2 (v2 mirrored), then pushed to head `head` declaring `to`, no job run for it. */
async function pushedUnseen(to: string, head: number) {
  await prJob(world.pullRequest('v2', 2));
  expect(await world.serving()).toEqual(MIRRORED);
  world.pullRequest(to, head);
}

describe('a schedule tick finding the PR at another head than its release, that push unrecorded', () => {
  it('withdraws v2 as superseded, says to re-run the PR job, and drives it no more; that job then starts v3', async () => {
    await pushedUnseen('v3', 3);
    const warnings: string[] = [];
    const first = await tick(warnings);

    const why = `PR #${world.pr} is at head ${sha(3).slice(0, 7)} now, which declares v3, but no run of that push recorded it (its job did not run or did not finish: GitHub not answering, say); v2, analysed on head ${sha(2).slice(0, 7)}, withdrawn by a schedule tick; re-run the job of PR #${world.pr} for head ${sha(3).slice(0, 7)} (or push again, if GitHub started none): a schedule tick does not analyse a new head`;
    expect(first.releases).toMatchObject([{ to: 'v2', status: 'superseded', reason: why }]);
    expect(await world.serving()).toEqual({ stable: { version: 'v1' } });
    expect(warnings).toContain(`${MODEL}: ${why}`);
    // Its cost: the PR read the tick made anyway (and the new head's version file, read here from memory).
    expect(world.github.requestCount('GET', PULL)).toBe(1);
    const comment = world.comment() ?? '';
    expect(comment).toContain('## model-gate: ⏹️ Withdrawn');
    expect(comment).toContain(why);
    expect(comment).not.toContain('Ready to merge');

    // Later ticks leave it so: nothing mirrored, nothing recorded anew.
    for (let i = 0; i < 6; i++) await tick();
    expect(await world.serving()).toEqual({ stable: { version: 'v1' } });
    expect(await world.recorded()).toMatchObject({ to: 'v2', status: 'superseded', reason: why });
    expect(world.comment()).not.toContain('Ready to merge');

    // As the line asks: the PR's job re-run for head 3 analyses v3.
    const pushed = {
      action: 'synchronize',
      number: world.pr,
      baseSha: sha(1),
      headSha: sha(3),
      merged: false,
    };
    const rerun = await prJob(pushed);
    expect(rerun.releases).toMatchObject([{ to: 'v3', headSha: sha(3), status: 'analysing' }]);
    expect(await world.serving()).toEqual({
      stable: { version: 'v1' },
      mirror: { version: 'v3', share: 50 },
    });
  });

  it('a merge at the new head without that job promotes nothing: v2 passed on no head the merge declares', async () => {
    await pushedUnseen('v3', 3);
    await tick();
    const merged = { action: 'closed', number: world.pr, baseSha: sha(1), headSha: sha(3), merged: true };
    await prJob(merged);
    expect(await world.serving()).toEqual({ stable: { version: 'v1' } });
    const promotions = (await world.ledgerOf().history(MODEL)).filter((e) => e.kind === 'promotion');
    expect(promotions.filter((e) => e.pr === world.pr)).toEqual([]);
  });

  it('a head that declares v2 too (a push no run saw: a README fix) leaves v2 driven as before', async () => {
    await pushedUnseen('v2', 4);
    const warnings: string[] = [];
    const first = await tick(warnings);
    expect(first.releases).toMatchObject([{ to: 'v2', headSha: sha(2), status: 'analysing' }]);
    expect(await world.serving()).toEqual(MIRRORED);
    expect(warnings).toEqual([]);
  });

  it('a head whose version file declares no valid version leaves v2 driven, saying to fix the file', async () => {
    await pushedUnseen('"not a version"', 5);
    const first = await tick();
    expect(first.releases).toMatchObject([{ to: 'v2', status: 'analysing' }]);
    expect(await world.serving()).toEqual(MIRRORED);
    const line = first.skipped.find((s) => s.model === MODEL);
    expect(line?.why).toMatch(/declares no valid version .*fix the version file and push$/);
    expect(first.notify).toContainEqual({ pr: world.pr, model: MODEL, why: line?.why });
  });

  it('a dry run says it would withdraw v2, and changes neither traffic nor the record', async () => {
    await pushedUnseen('v3', 3);
    const dry = await tick([], true);
    expect(dry.skipped).toContainEqual({
      model: MODEL,
      why: `would withdraw v2, analysed on head ${sha(2).slice(0, 7)}: PR #${world.pr} is at head ${sha(3).slice(0, 7)} now, which declares v3, but no run of that push recorded it (its job did not run or did not finish: GitHub not answering, say)`,
      kind: 'dry-run',
    });
    expect(await world.serving()).toEqual(MIRRORED);
    expect(await world.recorded()).toMatchObject({ to: 'v2', status: 'analysing' });
  });

  it('a ready v2 (passed, holding the slot) is superseded too: the slot is freed', async () => {
    config = world.configWith('[10, 50]');
    expect((await prJob(world.pullRequest('v2', 2), 'watch')).releases[0]?.status).toBe('ready');
    world.pullRequest('v3', 3);
    const first = await tick();
    expect(first.releases).toMatchObject([{ to: 'v2', status: 'superseded' }]);
    expect(await world.serving()).toEqual({ stable: { version: 'v1' } });
    expect(await world.ledgerOf().canaryHolder(MODEL)).toBeUndefined();
  });
});
