import { expect, it } from 'vitest';
import { handlePullRequest, type PullRequestEvent } from '../../src/release/pull-request.js';
import { runDecision } from '../../src/report/decision.js';
import { renderMarkdown } from '../../src/report/markdown.js';
import { sha } from '../support/model-config.js';
import { configOf, twoModelsWorld } from './two-models-world.js';

// PR #7 moved fraud from v1 to v2, but no release of it is on record: its opened job failed before
// recording one, or it was opened before the workflow existed. It merged: main declares v2, v1
// serves. Both on-merge modes said only "no release of PR #7 is recorded" (decision skipped):
// analyze-then-promote analysed nothing, though a merge "analyses such a version itself", and
// require-pass did not say that main declares a version that does not serve, as it does when the
// PR's release was withdrawn or another PR's stands in its place.

const MERGE: PullRequestEvent = {
  action: 'closed',
  number: 7,
  baseSha: sha(1),
  headSha: sha(7),
  merged: true,
};
const WATCH = { mode: 'watch', maxWaitMs: 3_600_000, dryRun: false } as const;

it('under analyze-then-promote, the merge analyses the merged v2 itself and promotes it once it passes', async () => {
  const config = configOf(['fraud'], '\n    on-merge: analyze-then-promote');
  const w = await twoModelsWorld();
  const result = await handlePullRequest(config, MERGE, w.ports, WATCH);

  expect(result.releases).toMatchObject([{ from: 'v1', to: 'v2', pr: 7, status: 'promoted' }]);
  expect(runDecision(result)).toBe('promoted');
  expect(w.platforms.fraud.state).toEqual({ stable: { version: 'v2' } });
  expect((await w.file.history('fraud')).map((e) => `${e.kind} ${e.previous}->${e.version}`)).toEqual([
    'promotion v1->v2',
  ]);
  expect(result.skipped.map((s) => s.why)).not.toContain('no release of PR #7 is recorded');
});

it('under require-pass, the merge says v2 is declared on the base branch but not serving, and how to release it', async () => {
  const config = configOf(['fraud']);
  const w = await twoModelsWorld();
  const result = await handlePullRequest(config, MERGE, w.ports, WATCH);

  const said =
    'the merged version v2 is declared on the base branch but not serving: v1 still serves, and no run releases v2 (on-merge: require-pass promotes only a candidate that passed on the PR; no release of PR #7 is recorded: its job recorded none (it failed before recording one, or ran before the workflow did)); to release v2, merge a PR that sets fraud.yaml back to v1, then open one that declares v2 again; with on-merge: analyze-then-promote, a merge analyses such a version itself and promotes it once it passes';
  expect(result.skipped).toEqual([{ model: 'fraud', why: said, kind: 'note' }]);
  expect(renderMarkdown(config, result, { now: w.clock.now() })).toContain(`- fraud: ${said}`);
  expect(w.warnings).toContain(`fraud: ${said}`);
  // Nothing deployed: require-pass promotes only what passed on the PR.
  expect(runDecision(result)).toBe('skipped');
  expect(w.platforms.fraud.writes).toEqual([]);
});

it('a merged PR that changes no version still says only that no release of it is recorded', async () => {
  const config = configOf(['fraud'], '\n    on-merge: analyze-then-promote');
  const w = await twoModelsWorld();
  // PR #8 changes churn only, which this config does not name.
  const result = await handlePullRequest(config, { ...MERGE, number: 8, headSha: sha(8) }, w.ports, WATCH);
  expect(result).toEqual({
    releases: [],
    skipped: [{ model: '*', why: 'no release of PR #8 is recorded', kind: 'note' }],
  });
  expect(w.platforms.fraud.writes).toEqual([]);
});
