import { describe, expect, it } from 'vitest';
import { handlePullRequest, type PullRequestEvent } from '../../src/release/pull-request.js';
import { handleSchedule } from '../../src/release/schedule.js';
import { MODEL, raceMetrics, useRaceWorld } from '../support/race-world.js';

// The comment of a release still analysing says what continues it, true for whichever run wrote
// it: a schedule tick has no max-wait and is not the PR's job, so "after this job's max-wait"
// from a tick 30 h into a 3-day shadow was wrong. A PR's job still watching says so.
const HOUR = 3_600_000;
const world = useRaceWorld({ firstPr: 210, firstRunId: 2100, closePr: (closed) => prJob(closed) });
const config = () =>
  world.configOf('{ type: shadow, share: 50, duration: 3d, min-requests: 100, interval: 5m }');

const NEXT = "the next schedule tick (command: tick), or a re-run of the PR's job, continues the analysis";

/** A PR's job watching up to 1 hour, its comment written as it goes; `seen` gets the comment at each look. */
async function prJob(event: PullRequestEvent, seen: string[] = []) {
  const { ports, publish } = world.job(event, config(), {
    metrics: raceMetrics(async () => {
      seen.push(world.comment() ?? '');
    }),
    liveComment: true,
  });
  return publish(
    await handlePullRequest(config(), event, ports, { mode: 'watch', maxWaitMs: HOUR, dryRun: false }),
  );
}

/** The comment's line about the release. */
const releaseLine = (comment: string | undefined) =>
  comment?.split('\n').find((l) => l.startsWith(`- ${MODEL} v2: analysing`));

describe('a shadow of days driven by schedule ticks', () => {
  it("says what continues it: the PR's job while it watches, then a tick or a re-run of that job", async () => {
    const seen: string[] = [];
    expect((await prJob(world.pullRequest('v2', 2), seen)).releases[0]?.status).toBe('analysing');
    // While the job watches (it holds the release's lease), its comment says that it looks again.
    const watching = `; the job of PR #${world.pr} looks again until its max-wait; then ${NEXT}`;
    expect(seen.map(releaseLine).filter((l) => l?.endsWith(watching)).length).toBeGreaterThan(0);
    // Its last comment, the job over: a tick or a re-run continues.
    expect(releaseLine(world.comment())).toMatch(
      /^- fraud-detector v2: analysing shadow 50% of requests: waiting for the end of the hold \(2d23h left\); the next schedule tick \(command: tick\), or a re-run of the PR's job, continues the analysis$/,
    );

    // A tick 30 h in: no max-wait of its own, and not the PR's job.
    world.clock.advance(29 * HOUR);
    const { ports, publish } = world.job(undefined, config(), { metrics: raceMetrics(async () => {}) });
    const ticked = await publish(await handleSchedule(config(), ports, { mode: 'tick', maxWaitMs: 0 }));
    expect(ticked.releases[0]?.status).toBe('analysing');
    expect(releaseLine(world.comment())).toBe(
      `- ${MODEL} v2: analysing shadow 50% of requests: waiting for the end of the hold (1d18h left); ${NEXT}`,
    );
  });
});
