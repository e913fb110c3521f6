import { describe, expect, it } from 'vitest';
import { MODEL, usePreflightOutageWorld } from './preflight-outage-world.js';

// PR #7 opened while Datadog answered 429: the metrics check before traffic ended the release
// failed, its words saying to re-run the job once Datadog answers (a re-run analyses that head
// again while the PR is open). Then the PR merged: its merge report still said to re-run the job,
// and "a re-run of this job analyses this commit again", beside "the PR is merged, so no new commit
// or reopening analyses it again"; a re-run after the merge starts nothing. Once merged, every
// line (report, comment, commit status) gives the merged PR's advice, and none says to re-run.
// The real sandbox target, the Datadog API stand-in, a file ledger, PR #7 moving v1 to v2.
const MERGED_ADVICE = 'the PR is merged, so no new commit or reopening analyses it again: to release v2';

const world = usePreflightOutageWorld();
const { prOnDatadog, served, commitStatus } = world;

describe('a PR whose metrics check before traffic met a rate limit, then merged', () => {
  it('says the merged PR’s advice in its merge report, comment and status, and never to re-run the job', async () => {
    const pr = await prOnDatadog();
    world.dd.mode = 'rate-limited';
    const opened = await pr.run('opened', false);
    expect(opened.result.releases[0]?.status).toBe('failed');
    // While the PR is open, a re-run is what helps.
    expect(opened.report).toContain('re-run the job once datadog answers');

    world.dd.mode = 'ok';
    pr.clock.advance(31 * 60_000);
    const merge = await pr.run('closed', true);
    expect(merge.result.releases.map((r) => r.status)).toEqual(['failed']);
    expect(merge.report).not.toMatch(/re-run/);
    const line = merge.report.split('\n').find((l) => l.startsWith(`- ${MODEL} v2 failed`));
    expect(line).toContain('datadog: rate limited (HTTP 429)');
    expect(line).toContain(MERGED_ADVICE);
    expect(merge.report).toContain(`- ${MODEL}: v2 was not promoted: `);

    // The comment, written from the record, and the head's commit status say the same.
    const comment = await pr.comment(merge.result.skipped);
    expect(comment.text).not.toMatch(/re-run/);
    expect(comment.text).toContain(MERGED_ADVICE);
    expect((await commitStatus(comment.stored))?.description).not.toMatch(/re-run/);

    // A re-run of the opened job after the merge starts nothing, and says what a merged PR can do.
    const rerun = await pr.run('opened', false, { prMerged: true });
    expect(rerun.result.releases.map((r) => r.status)).toEqual(['failed']);
    expect(rerun.report).not.toMatch(/re-run/);
    expect(rerun.report).toContain(MERGED_ADVICE);
    expect(await served()).toEqual({ stable: { version: 'v1' } });
  });
});
