import { beforeAll, describe, expect, it } from 'vitest';
import type { Config } from '../../src/config/types.js';
import { handlePullRequest, type PullRequestEvent } from '../../src/release/pull-request.js';
import { sha } from '../support/model-config.js';
import { MODEL, raceMetrics, STORES, useRaceWorld } from '../support/race-world.js';

// on-merge: analyze-then-promote, a PR merged while its canary analyses, the merge job's max-wait
// over before the analysis decided. A re-run of the PR's earlier job (opened), or a label put on the
// merged PR, resumes the merged release and finishes its analysis. That run made it ready and left
// it so: v2 kept its last step's 50% of live traffic until a schedule tick promoted it after the
// 10-minute grace, or for good where no schedule workflow runs. The run that finishes a merged
// analysis now promotes it. No schedule tick runs here. The platform is a real sandbox; the ledger
// a PR comment on a GitHub stand-in, or a ledger file.
const world = useRaceWorld({ firstPr: 820, firstRunId: 8200, closePr: (closed) => prJob(closed, 'tick') });
let config: Config;
beforeAll(() => {
  config = world.configWith('[10, 50]', { onMerge: 'analyze-then-promote' });
});

/** A PR's job (watching up to 1 hour, or one pass), published as the action publishes it. */
async function prJob(event: PullRequestEvent, mode: 'watch' | 'tick', candidateErrors?: number) {
  const metrics = raceMetrics(async () => {}, candidateErrors);
  const { ports, publish } = world.job(event, config, { metrics });
  return publish(
    await handlePullRequest(config, event, ports, { mode, maxWaitMs: 3_600_000, dryRun: false }),
  );
}

/** PR moving v1 to v2, opened and then merged while its first step (10%) analyses. */
async function mergedMidAnalysis() {
  const event = world.pullRequest('v2', 2);
  expect((await prJob(event, 'tick')).releases[0]?.status).toBe('analysing');
  const merge = await prJob({ ...event, action: 'closed', merged: true }, 'tick');
  expect(merge.releases[0]).toMatchObject({ status: 'analysing', mergedAt: expect.any(Number) });
  expect(await world.serving()).toEqual({ stable: { version: 'v1' }, canary: { version: 'v2', weight: 10 } });
  return event;
}

describe.each(STORES)('releases kept %s', (_, inFile) => {
  beforeAll(() => world.useLedgerFile(inFile, 'model-gate-merged-rerun-'));

  it.each(['opened', 'labeled'])(
    'a %s job on the merged PR that finishes the analysis promotes v2 itself',
    async (action) => {
      const event = await mergedMidAnalysis();
      const rerun = await prJob({ ...event, action }, 'watch');
      expect(rerun.releases[0]).toMatchObject({ to: 'v2', status: 'promoted' });
      expect(await world.serving()).toEqual({ stable: { version: 'v2' } });
      expect((await world.ledgerOf().history(MODEL)).at(-1)).toMatchObject({
        kind: 'promotion',
        version: 'v2',
        previous: 'v1',
        pr: world.pr,
        summary: `passed 2 canary steps on ${sha(2).slice(0, 7)}, analysed after the merge`,
      });
      if (!inFile) {
        expect(world.comment()).toContain('Promoted');
        expect(world.comment()).not.toContain('promotion pending');
      }
    },
  );
});

describe.each(STORES)('merged at a later head, releases kept %s', (_, inFile) => {
  beforeAll(() => world.useLedgerFile(inFile, 'model-gate-merged-rerun-old-head-'));

  it("a re-run of the earlier head's job drives the merged release to its promotion, starting no analysis of its own", async () => {
    const early = world.pullRequest('v2', 2);
    expect((await prJob(early, 'tick')).releases[0]?.status).toBe('analysing');
    // A README fix pushed, analysed again, and merged while that analysis runs.
    const later = { ...world.pullRequest('v2', 3), action: 'synchronize' };
    await prJob(later, 'tick');
    const merge = await prJob({ ...later, action: 'closed', merged: true }, 'tick');
    expect(merge.releases[0]).toMatchObject({
      status: 'analysing',
      headSha: sha(3),
      mergedAt: expect.any(Number),
    });

    const rerun = await prJob(early, 'watch');
    expect(rerun.releases[0]).toMatchObject({ to: 'v2', status: 'promoted', headSha: sha(3) });
    expect(rerun.skipped.map((s) => s.why)).toContain(
      `PR #${world.pr} was merged at ${sha(3).slice(0, 7)}, so this run of ${sha(2).slice(0, 7)} starts no analysis of it`,
    );
    expect(await world.serving()).toEqual({ stable: { version: 'v2' } });
  });
});

describe('on a PR comment on GitHub', () => {
  beforeAll(() => world.useLedgerFile(false, 'model-gate-merged-rerun-'));

  it('a re-run that fails the merged candidate says on the merged PR that v2 was not promoted', async () => {
    const event = await mergedMidAnalysis();
    const rerun = await prJob(event, 'watch', 0.05);
    expect(rerun.releases[0]).toMatchObject({ to: 'v2', status: 'failed' });
    expect(await world.serving()).toEqual({ stable: { version: 'v1' } });
    const why = rerun.skipped.find((s) => s.model === MODEL)?.why;
    expect(why).toMatch(/^v2 failed its analysis after the merge and was not promoted; v1 serves: .*errors/);
    expect(world.comment()).toContain(why);
  });
});
