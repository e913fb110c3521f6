import { beforeEach, describe, expect, it } from 'vitest';
import { MetricsError } from '../../src/core/errors.js';
import type { MetricSource } from '../../src/metrics/source.js';
import { handleCommand } from '../../src/release/commands.js';
import { handlePullRequest, type PullRequestEvent } from '../../src/release/pull-request.js';
import { renderMarkdown } from '../../src/report/markdown.js';
import { sha } from '../support/model-config.js';
import { MODEL, raceMetrics, useRaceWorld } from '../support/race-world.js';

// What is said of a PR closed without merging. Its close job leaves a release that had failed as it
// was, and its comment kept the open PR's advice, "push a new commit to analyse again" (or "a re-run
// of this job analyses this commit again"), which does nothing on a closed PR: a failed head is
// analysed again on a new commit, which a closed PR takes once reopened. And command status headed
// the ready candidate of a PR closed with no close job recording it "(ready)", as if it could still
// be merged. The platform is a real sandbox, the ledger the PR's comment on the GitHub stand-in.
const world = useRaceWorld({ firstPr: 560, firstRunId: 5600, closePr: (closed) => prJob(closed) });
const config = () => world.configWith('[10, 50]', { stepDuration: '1m', minRequests: 100 });
beforeEach(() => world.useLedgerFile(false, 'model-gate-closed-pr-report-'));

const REOPEN = '; if the PR was closed, reopen it first';
const comment = () => world.comment() ?? '';
/** The comment's line on the release (its sentence), as the close job left it. */
const releaseLine = (to = 'v2') =>
  comment()
    .split('\n')
    .find((l) => l.startsWith(`- ${MODEL} ${to} `));

async function prJob(event: PullRequestEvent, metrics: MetricSource = raceMetrics(async () => {})) {
  const { ports, publish } = world.job(event, config(), { metrics });
  return publish(
    await handlePullRequest(config(), event, ports, { mode: 'watch', maxWaitMs: 3_600_000, dryRun: false }),
  );
}

/** The PR's job ends its release failed under `metrics`; then the PR is closed without merging. */
async function failedThenClosed(to: string, metrics?: MetricSource) {
  const event = world.pullRequest(to, 2);
  expect((await prJob(event, metrics)).releases[0]?.status).toBe('failed');
  world.github.setPullRequest(world.pr, { baseSha: sha(1), headSha: sha(2), files: [], state: 'closed' });
  const closed = await prJob({ ...event, action: 'closed' });
  expect(closed.releases.map((r) => r.status)).toEqual(['failed']);
}

const unreachable = () => new MetricsError('metrics backend unreachable');
/** Stable answers; every look at the candidate meets an outage of the metrics source. */
const candidateUnread: MetricSource = {
  requests: async (w) => {
    if (w.slot !== 'stable') throw unreachable();
    return 900;
  },
  value: async (_q, w) => {
    if (w.slot !== 'stable') throw unreachable();
    return 0.005;
  },
};
/** A rate limit on every read, the check of stable before any traffic included: a passing fault. */
const rateLimited: MetricSource = {
  requests: async () => {
    throw new MetricsError('rate limited', { passing: true });
  },
  value: async () => {
    throw new MetricsError('rate limited', { passing: true });
  },
};
/** Both healthy, the candidate with one request in its step: never its min-requests (100). */
const fewRequests: MetricSource = {
  requests: async (w) => (w.slot === 'stable' ? 900 : 1),
  value: async () => 0.005,
};

describe('the close job of a PR whose release had failed: what analyses it again', () => {
  it('a fault (the analysis could not run): push a new commit, reopening the PR first if closed', async () => {
    await failedThenClosed('v2', candidateUnread);
    expect(comment()).toContain('## model-gate: 🔌 Rolled back: the analysis could not run\n');
    expect(releaseLine()).toBe(
      `- ${MODEL} v2 was rolled back to v1 without a verdict on it (errors: metrics failed 5 times in a row (metrics backend unreachable)); the analysis could not run, a fault outside the candidate: once it is fixed, push a new commit (an empty one will do) to analyse again, as a failed commit is not analysed again${REOPEN}`,
    );
    // As it says: reopened, the failed head is not analysed again; a new commit then is.
    const reopened = world.pullRequest('v2', 2);
    expect((await prJob({ ...reopened, action: 'reopened' })).releases[0]?.status).toBe('failed');
    const pushed = world.pullRequest('v2', 3);
    expect((await prJob({ ...pushed, action: 'synchronize' })).releases[0]?.status).toBe('ready');
  }, 60_000);

  it('the metrics check before traffic met only a passing fault: a re-run, or the reopening', async () => {
    await failedThenClosed('v2', rateLimited);
    expect(releaseLine()).toMatch(
      /; nothing of v2 was judged, so a re-run of this job analyses this commit again; if the PR was closed, reopening it does$/,
    );
    // As it says: the reopening analyses the same commit again.
    const event = world.pullRequest('v2', 2);
    expect((await prJob({ ...event, action: 'reopened' })).releases[0]?.status).toBe('ready');
  }, 60_000);

  it('not enough data: change the strategy, then push a new commit, reopening the PR first if closed', async () => {
    await failedThenClosed('v2', fewRequests);
    expect(comment()).toContain('## model-gate: ❌ Rolled back: not enough data to decide\n');
    expect(releaseLine()).toBe(
      `- ${MODEL} v2 was rolled back to v1: not enough data: 1 of the 100 candidate requests needed in 1m at step 1 of 2; raise step-duration or lower min-requests, then push a new commit${REOPEN}`,
    );
  }, 60_000);

  it('a version the platform refused (bad config): correct it, then push a new commit, reopening the PR first if closed', async () => {
    await failedThenClosed('v404');
    expect(comment()).toContain('## model-gate: ❌ Not deployed: the platform refused the change\n');
    expect(releaseLine('v404')).toMatch(
      /; the same request gets the same answer: correct the version \(or the release config\) the platform refused, then push a new commit to analyse again; if the PR was closed, reopen it first$/,
    );
  }, 60_000);
});

describe('a ready release of a closed PR', () => {
  it('its close job withdraws it: headed withdrawn, v1 serving, nothing ready to merge (as before)', async () => {
    const event = world.pullRequest('v2', 2);
    expect((await prJob(event)).releases[0]?.status).toBe('ready');
    await prJob({ ...event, action: 'closed' });
    expect(comment()).toContain('## model-gate: ⏹️ Withdrawn\n');
    expect(releaseLine()).toBe(`- ${MODEL} v2 was withdrawn: the PR was closed without merging; v1 serves`);
    expect(comment()).toContain(`\n### ${MODEL}: v1 → v2 (withdrawn)\n`);
    expect(comment()).not.toMatch(/ready/);
  }, 60_000);

  it('no close job recorded it: command status heads it as not promoted, its PR closed, not "(ready)"', async () => {
    const event = world.pullRequest('v2', 2);
    expect((await prJob(event)).releases[0]?.status).toBe('ready');
    world.github.setPullRequest(world.pr, { baseSha: sha(1), headSha: sha(2), files: [], state: 'closed' });
    const { ports } = world.job(undefined, config(), {
      metrics: raceMetrics(async () => {}),
      pullRequestState: true,
    });
    const result = await handleCommand(config(), 'status', { dryRun: false }, ports);
    const report = renderMarkdown(config(), result, { now: world.clock.now() });
    expect(report).toContain(`\n- ${MODEL} serves v1; the ledger has no promotion or rollback of it\n`);
    expect(report).toContain(
      `\n### ${MODEL}: v1 → v2 (PR #${world.pr}) (ready, yet PR #${world.pr} is closed: not promoted)\n`,
    );
  }, 60_000);
});
