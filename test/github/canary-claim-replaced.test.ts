import { beforeAll, describe, expect, it } from 'vitest';
import type { Config } from '../../src/config/types.js';
import { environmentOf } from '../../src/github/deployments.js';
import { handlePullRequest, type PullRequestEvent } from '../../src/release/pull-request.js';
import { sha } from '../support/model-config.js';
import { MODEL, raceMetrics, useRaceWorld } from '../support/race-world.js';

// A PR's candidate holds the model's canary slot by a deployment in progress (its claim). PR A
// reaches ready with v2 and is pushed to v3; GitHub refuses the end of the v2 claim (502, on every
// try: best effort, logged). A's v3 is then merged and promoted, or A is closed. The v2 claim must
// not stay in progress: the Deployments page would say "canary v1 -> v2: in_progress", and the
// model's next PR would be queued behind A for half an hour with nothing re-running it. The v3
// claim replaces it; should GitHub refuse that end too, the v2 claim no longer holds the slot
// (its PR claimed it again since), and the next claim ends it. The platform is a real sandbox,
// the ledger the PR's comment on the GitHub stand-in.
const world = useRaceWorld({ firstPr: 420, firstRunId: 4200, closePr: (closed) => prJob(closed) });
let config: Config;
beforeAll(() => {
  config = world.configWith('[10, 50]');
});

async function prJob(event: PullRequestEvent) {
  const { ports, publish } = world.job(event, config, { metrics: raceMetrics(async () => {}) });
  return publish(
    await handlePullRequest(config, event, ports, { mode: 'watch', maxWaitMs: 3_600_000, dryRun: false }),
  );
}

/** The claims of the test's PR, oldest first. */
const claims = () =>
  world.github
    .deployments(environmentOf(MODEL))
    .filter((d) => d.task === 'model-gate:canary' && (d.payload as { pr?: number }).pr === world.pr);
/** Each claim as the Deployments page shows it: its description and newest status. */
const claimsShown = () => claims().map((d) => `${d.description}: ${d.statuses.at(-1)?.state}`);

/**
 * The test's PR ready with v2, then pushed to v3 (ready too), GitHub answering 502 to the first
 * `refusals` status writes of the v2 claim (a write is tried 4 times).
 */
async function pushedWhileClaimEndRefused(refusals: number) {
  expect((await prJob(world.pullRequest('v2', 2))).releases[0]?.status).toBe('ready');
  const v2 = claims().find((d) => (d.payload as { to?: string }).to === 'v2');
  if (!v2) throw new Error('no claim of v2');
  world.github.failNext('POST', `/repos/Codertocat/Hello-World/deployments/${v2.id}/statuses`, 502, refusals);
  const pushed = await prJob({ ...world.pullRequest('v3', 3), action: 'synchronize' });
  expect(pushed.releases.at(-1)).toMatchObject({ to: 'v3', status: 'ready' });
  return v2.id;
}

/** The model's next PR (v4): it starts its analysis rather than queuing behind the test's PR. */
async function nextPrStarts() {
  const { baseSha, headSha } = world.pullRequest('v4', 4);
  const next = { action: 'opened', number: world.pr + 500, baseSha, headSha, merged: false };
  world.github.setPullRequest(next.number, { baseSha, headSha, files: [] });
  const opened = await prJob(next);
  expect(opened.skipped).toEqual([]);
  expect(opened.releases[0]).toMatchObject({ pr: next.number, to: 'v4', status: 'ready' });
  await prJob({ ...next, action: 'closed' });
}

describe("a PR's canary claim for an earlier version, whose end GitHub refused", () => {
  it('is replaced by the claim for the new head, and the merge frees the slot', async () => {
    const v2 = await pushedWhileClaimEndRefused(4);
    expect(claimsShown()).toEqual(['canary v1 -> v2: inactive', 'canary v1 -> v3: in_progress']);
    expect(claims()[0]?.statuses.at(-1)?.description).toBe('replaced by v3');
    expect(claims()[0]?.id).toBe(v2);

    const merged = await prJob({
      action: 'closed',
      number: world.pr,
      baseSha: sha(1),
      headSha: sha(3),
      merged: true,
    });
    expect(merged.releases[0]).toMatchObject({ to: 'v3', status: 'promoted' });
    expect(claimsShown()).toEqual(['canary v1 -> v2: inactive', 'canary v1 -> v3: inactive']);
    await nextPrStarts();
  });

  it.each([
    ['merged', true, 'promoted'],
    ['closed', false, 'aborted'],
  ] as const)(
    'refused again when replaced, it no longer holds the slot once the PR is %s, and the next claim ends it',
    async (_, merged, status) => {
      await pushedWhileClaimEndRefused(8);
      expect(claimsShown()).toEqual(['canary v1 -> v2: in_progress', 'canary v1 -> v3: in_progress']);

      const ended = await prJob({
        action: 'closed',
        number: world.pr,
        baseSha: sha(1),
        headSha: sha(3),
        merged,
      });
      expect(ended.releases[0]).toMatchObject({ to: 'v3', status });
      await nextPrStarts();
      expect(claimsShown()).toEqual(['canary v1 -> v2: inactive', 'canary v1 -> v3: inactive']);
      expect(claims()[0]?.statuses.at(-1)?.description).toBe('replaced by v3');
    },
  );
});
