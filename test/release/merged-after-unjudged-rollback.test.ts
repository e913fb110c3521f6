import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TargetError } from '../../src/core/errors.js';
import { gitHubClient } from '../../src/github/client.js';
import { setReleaseStatus } from '../../src/github/commit-status.js';
import type { RunResult } from '../../src/release/pull-request.js';
import type { Release } from '../../src/release/types.js';
import { renderMarkdown } from '../../src/report/markdown.js';
import { type FakeGitHub, startFakeGitHub } from '../support/fake-github/server.js';
import { sha } from '../support/model-config.js';
import { ScriptedMetrics } from '../support/scripted-metrics.js';
import { configOf, twoModelsWorld } from './two-models-world.js';

// PR #7 (fraud v1 → v2, on-merge: require-pass) ended without a verdict while open: rolled back
// when the platform failed mid-analysis, or for want of candidate requests, or withdrawn by hand.
// Its report, comment and commit status said to push a new commit (or reopen the PR). Then the PR
// merged: the merge job's report, the comment written from the record and the head's commit status
// kept saying so, beside the merge's note that no new commit or reopening analyses a merged PR.
// Now every one of them says what a merged PR can do.

const WHAT_WORKS =
  'the PR is merged, so no new commit or reopening analyses it again: to release v2, merge a PR that sets';
const STATUS_ADVICE = 'not promoted; the PR is merged: a new PR analyses it again';

let github: FakeGitHub;
beforeAll(async () => {
  github = await startFakeGitHub({ owner: 'Codertocat', repo: 'Hello-World' });
});
afterAll(async () => {
  expect(github?.violations).toEqual([]);
  await github?.close();
});

/** The commit status `release`'s record gives PR #7's head, as GitHub stores it. */
async function commitStatus(release: Release) {
  const client = gitHubClient({ token: 'ghs_x', baseUrl: github.url, warn: () => {}, waitScale: 0.05 });
  await setReleaseStatus(client, { owner: 'Codertocat', repo: 'Hello-World' }, release);
  return github.commitStatuses(sha(7)).at(-1)?.description ?? '';
}

type World = Awaited<ReturnType<typeof twoModelsWorld>>;

/** PR #7 opened on `w` (its job run until it ends), then merged: its reports and the record after each. */
async function openThenMerge(w: World) {
  const config = configOf(['fraud']);
  const render = (result: RunResult) =>
    renderMarkdown(config, result, { now: w.clock.now(), compact: false });
  let opened = await w.prJob(config, 7);
  for (let look = 0; look < 12 && opened.releases[0]?.status === 'analysing'; look++) {
    w.clock.advance(60_000);
    opened = await w.prJob(config, 7, 'synchronize');
  }
  const before = (await w.file.release('fraud')) as Release;
  const merged = await w.prJob(config, 7, 'closed', true);
  const after = (await w.file.release('fraud')) as Release;
  const comment = render({ releases: [after], skipped: merged.skipped });
  return { opened: render(opened), before, merged: render(merged), after, comment };
}

const line = (report: string) => report.split('\n').find((l) => l.startsWith('- fraud v2 ')) ?? '';

describe('a PR whose release ended without a verdict, then merged (require-pass)', () => {
  it('rolled back when the platform failed mid-analysis: no report, comment or status says to push a commit', async () => {
    const w = await twoModelsWorld();
    const fraud = w.platforms.fraud;
    const write = fraud.write.bind(fraud);
    // The step to 50% fails once; the rollback after it goes through.
    fraud.write = async (desired) => {
      if (fraud.writes.length === 1 && desired.canary?.weight === 50) {
        fraud.writes.push(desired);
        throw new TargetError('platform unavailable');
      }
      return write(desired);
    };
    const run = await openThenMerge(w);
    expect(run.before.status).toBe('failed');
    expect(line(run.opened)).toContain('once it is fixed, push a new commit');
    expect(await commitStatus(run.before)).toMatch(/push a new commit once it is fixed$/);

    expect(line(run.merged)).toContain(
      'without a verdict on it (the serving platform failed: platform unavailable); the analysis could not run, a fault outside the candidate; once it is fixed: ',
    );
    expect(line(run.merged)).toContain(WHAT_WORKS);
    for (const text of [run.merged, run.comment]) expect(text).not.toContain('push a new commit');
    expect(await commitStatus(run.after)).toMatch(new RegExp(`rolled back to v1: .*; ${STATUS_ADVICE}$`));
    expect(fraud.state).toEqual({ stable: { version: 'v1' } });
  });

  it('rolled back for want of candidate requests: the merge says what a merged PR can do', async () => {
    const w = await twoModelsWorld();
    w.ports.metricsFor = () =>
      new ScriptedMetrics({
        stable: { rps: 90, values: { 'error-rate': 0.005 } },
        canary: { rps: 0.01, values: { 'error-rate': 0.005 } },
      });
    const run = await openThenMerge(w);
    expect(line(run.opened)).toMatch(
      /raise step-duration or lower min-requests, then push a new commit; if the PR was closed, reopen it first$/,
    );
    expect(await commitStatus(run.before)).toMatch(
      /raise step-duration or lower min-requests, push a new commit$/,
    );

    expect(line(run.merged)).toContain(
      'not enough data: 0 of the 100 candidate requests needed in 1m at step 1 of 2; raise step-duration or lower min-requests; ',
    );
    expect(line(run.merged)).toContain(WHAT_WORKS);
    for (const text of [run.merged, run.comment]) expect(text).not.toContain('push a new commit');
    expect(await commitStatus(run.after)).toBe(
      `v2 rolled back to v1: not enough data (0 of 100 candidate requests in 1m); ${STATUS_ADVICE}`,
    );
  });

  it('withdrawn by hand: the merge report no longer says to push a commit or reopen the PR', async () => {
    const config = configOf(['fraud']);
    const w = await twoModelsWorld();
    await w.prJob(config, 7);
    w.platforms.fraud.state = { stable: { version: 'v1' } };
    w.clock.advance(20_000);
    await w.tick(config);
    const merged = await w.prJob(config, 7, 'closed', true);
    const report = renderMarkdown(config, merged, { now: w.clock.now(), compact: false });
    expect(line(report)).toMatch(
      /^- fraud v2 was withdrawn: v2 had no live traffic .* or it was withdrawn by hand/,
    );
    expect(report).not.toMatch(/push a new commit|reopen the PR/);
    expect(report).toContain(WHAT_WORKS);
    // No merge is put on its record: a re-run of the merge job must not analyse it again.
    const stored = await w.file.release('fraud');
    expect(stored?.status).toBe('aborted');
    expect(stored?.mergedAt).toBeUndefined();
  });
});

/** PR #7 rolled back for want of candidate requests, the rollback refused until after the merge. */
async function refusedUntilAfterMerge() {
  const config = configOf(['fraud']);
  const w = await twoModelsWorld();
  w.ports.metricsFor = () =>
    new ScriptedMetrics({
      stable: { rps: 90, values: { 'error-rate': 0.005 } },
      canary: { rps: 0.01, values: { 'error-rate': 0.005 } },
    });
  // The first step goes through; the rollback, and the merge job's try again, are refused.
  w.platforms.fraud.failFromWrite = 1;
  const run = await openThenMerge(w);
  expect(run.before).toMatchObject({ status: 'failed', withdrawPending: true });
  expect(run.after).toMatchObject({ status: 'failed', withdrawPending: true });
  w.platforms.fraud.failFromWrite = Number.POSITIVE_INFINITY;
  w.clock.advance(60_000);
  return { config, w };
}

describe('a rollback for want of candidate requests the platform refused until after the merge', () => {
  it('the schedule tick that withdraws v2 of the merged PR says what a merged PR can do, on the record and the PR', async () => {
    const { config, w } = await refusedUntilAfterMerge();
    w.ports.pullRequestState = async () => ({ state: 'merged' });
    const tick = await w.tick(config);
    expect(w.platforms.fraud.state).toEqual({ stable: { version: 'v1' } });
    const settled = (await w.file.release('fraud')) as Release;
    expect(settled.withdrawPending).toBeUndefined();
    expect(settled.mergedAt).toBeDefined();
    // The tick reports (and writes the comment from) the record as saved.
    expect(tick.releases).toEqual([settled]);
    const comment = renderMarkdown(
      config,
      { releases: [settled], skipped: [] },
      { now: w.clock.now(), compact: false },
    );
    expect(line(comment)).toContain('raise step-duration or lower min-requests; ');
    expect(line(comment)).toContain(WHAT_WORKS);
    expect(comment).not.toContain('push a new commit');
    expect(await commitStatus(settled)).not.toContain('push a new commit');
    // The merged PR's comment gets the tick's word that v2 came off without being promoted.
    const notes = (tick.notify ?? []).filter((n) => n.pr === 7);
    expect(notes.map((n) => n.why)).toEqual([expect.stringMatching(/^v2 was not promoted: /)]);
    expect(notes[0]?.why).toContain(WHAT_WORKS);
    expect(notes[0]?.why).not.toContain('push a new commit');
  });

  it("GitHub not telling the PR's state: the tick's report says to re-run the merge job if it merged", async () => {
    const { config, w } = await refusedUntilAfterMerge();
    w.ports.pullRequestState = async () => {
      throw new Error('GitHub answered 502');
    };
    const tick = await w.tick(config);
    expect(w.platforms.fraud.state).toEqual({ stable: { version: 'v1' } });
    expect(tick.skipped).toContainEqual({
      model: 'fraud',
      why: 'v2 withdrawn, but whether PR #7 is merged could not be read (GitHub answered 502): if it was merged, re-run the merge job of PR #7 so that its comment says what a merged PR can do in place of pushing a commit',
      kind: 'note',
    });
    expect((await w.file.release('fraud'))?.mergedAt).toBeUndefined();
    // Which does as the line says.
    await w.prJob(config, 7, 'closed', true);
    const merged = (await w.file.release('fraud')) as Release;
    expect(merged.mergedAt).toBeDefined();
    const comment = renderMarkdown(config, { releases: [merged], skipped: [] }, { now: w.clock.now() });
    expect(line(comment)).toContain(WHAT_WORKS);
    expect(comment).not.toContain('push a new commit');
  });
});
