import { expect, it } from 'vitest';
import { TargetError } from '../../src/core/errors.js';
import type { TrafficState } from '../../src/core/traffic.js';
import { handlePullRequest, type PullRequestEvent } from '../../src/release/pull-request.js';
import { runDecision } from '../../src/report/decision.js';
import { renderMarkdown } from '../../src/report/markdown.js';
import { memoryFileReader } from '../../src/version/changed-models.js';
import { sha } from '../support/model-config.js';
import { configOf, FILES, STEP_1, twoModelsWorld } from './two-models-world.js';

// PR #7 moved fraud from v1 to v2, analysed at 10%; a last push declared v3, which fraud's platform
// could not yet look up: that run withdrew v2 and started nothing. PR #7 merged as it was (on-merge:
// require-pass). The merge job said only "v2 was already withdrawn", and nothing at all when
// another PR's release of fraud was on record by then: the base branch declares v3, v1 still
// serves and no run releases v3, while the user took the merge for its promotion. Now the merge job
// says so in its report and a warning (an annotation in the action), with the way to release v3.

const CONFIG = configOf(['fraud']);
/** PR #7's last head, merged: fraud v3. */
const LAST = sha(70);
const MERGE: PullRequestEvent = { action: 'closed', number: 7, baseSha: sha(1), headSha: LAST, merged: true };
const ONCE = { mode: 'tick', maxWaitMs: 0, dryRun: false } as const;

/** PR #7's v2 at 10%, then its last push (v3), which fraud's platform fails: v2 withdrawn, nothing started. */
async function supersededWithNothing() {
  const w = await twoModelsWorld();
  w.ports.reader = memoryFileReader({
    ...FILES,
    [LAST]: { 'fraud.yaml': 'version: v3\n', 'churn.yaml': 'version: v1\n' },
    [sha(8)]: { 'fraud.yaml': 'version: v4\n', 'churn.yaml': 'version: v1\n' },
  });
  await w.prJob(CONFIG, 7);
  expect(w.platforms.fraud.state).toEqual(STEP_1);
  const fraud = w.platforms.fraud;
  const read = fraud.read.bind(fraud);
  fraud.read = async (known?: { others?: string[] }): Promise<TrafficState> => {
    if (known?.others?.includes('v3')) throw new TargetError('fraud platform: unknown version "v3"');
    return read();
  };
  const push = { ...MERGE, action: 'synchronize', merged: false };
  await expect(handlePullRequest(CONFIG, push, w.ports, ONCE)).rejects.toThrow('unknown version "v3"');
  fraud.read = read;
  expect(await w.file.release('fraud')).toMatchObject({ to: 'v2', status: 'superseded' });
  return w;
}

/** PR #7's merge job, one pass: its result, the report (the PR comment and job summary) and the warnings. */
async function mergeJob(w: Awaited<ReturnType<typeof twoModelsWorld>>, config = CONFIG) {
  const result = await handlePullRequest(config, MERGE, w.ports, ONCE);
  const report = renderMarkdown(config, result, { now: w.clock.now() });
  return { result, report, warnings: w.warnings.filter((m) => m.includes('merged version')) };
}

const TO_RELEASE =
  'to release v3, merge a PR that sets fraud.yaml back to v1, then open one that declares v3 again';

it('says the merged v3 is declared but not serving when the release of the PR was withdrawn with nothing in its place', async () => {
  const w = await supersededWithNothing();
  const { result, report, warnings } = await mergeJob(w);

  const said = `the merged version v3 is declared on the base branch but not serving: v1 still serves, and no run releases v3 (on-merge: require-pass promotes only a candidate that passed on the PR; PR #7's v2 was withdrawn before the merge, nothing in its place: superseded by a new head aaaaaaa); ${TO_RELEASE}; with on-merge: analyze-then-promote, a merge analyses such a version itself and promotes it once it passes`;
  // In place of the bare "v2 was already withdrawn" line, in the report and as a warning (an annotation).
  expect(result.skipped).toEqual([{ model: 'fraud', why: said, kind: 'note' }]);
  expect(report).toContain(`- fraud: ${said}`);
  expect(warnings).toEqual([`fraud: ${said}`]);
  // Nothing deployed nor recorded: the merge promoted nothing; the step does not fail (no throw).
  expect(runDecision(result)).toBe('skipped');
  expect(w.platforms.fraud.state).toEqual({ stable: { version: 'v1' } });
  expect(await w.file.history('fraud')).toEqual([]);
});

it("says the merged v3 is declared but not serving when another PR's release of the model is on record", async () => {
  const w = await supersededWithNothing();
  await w.prJob(CONFIG, 8);
  expect(await w.file.release('fraud')).toMatchObject({ pr: 8, to: 'v4', status: 'analysing' });
  const { result, report, warnings } = await mergeJob(w);

  const said = `the merged version v3 is declared on the base branch but not serving: v1 still serves, and no run releases v3 (on-merge: require-pass promotes only a candidate that passed on the PR; PR #8's release of v4 (analysing) is on record in place of PR #7's); ${TO_RELEASE}; with on-merge: analyze-then-promote, a merge analyses such a version itself and promotes it once it passes`;
  // Not "no release of PR #7 is recorded", which hid the merged version.
  expect(result.skipped).toEqual([{ model: 'fraud', why: said, kind: 'note' }]);
  expect(report).toContain(`- fraud: ${said}`);
  expect(warnings).toEqual([`fraud: ${said}`]);
  // PR #8's candidate is left as it was.
  expect(w.platforms.fraud.state).toEqual({
    stable: { version: 'v1' },
    canary: { version: 'v4', weight: 10 },
  });
  expect(await w.file.release('fraud')).toMatchObject({ pr: 8, to: 'v4', status: 'analysing' });
});

it('says so under on-merge: analyze-then-promote too, which starts nothing in place of another release on record', async () => {
  const w = await supersededWithNothing();
  await w.prJob(CONFIG, 8);
  const analysing = configOf(['fraud'], '\n    on-merge: analyze-then-promote');
  const { result, warnings } = await mergeJob(w, analysing);

  const said = `the merged version v3 is declared on the base branch but not serving: v1 still serves, and no run releases v3 (on-merge: analyze-then-promote starts no analysis in place of another release on record; PR #8's release of v4 (analysing) is on record in place of PR #7's); ${TO_RELEASE}`;
  expect(result.skipped).toEqual([{ model: 'fraud', why: said, kind: 'note' }]);
  expect(warnings).toEqual([`fraud: ${said}`]);
});

it('says nothing more when the merged head puts the version back to the one serving', async () => {
  const w = await supersededWithNothing();
  w.ports.reader = memoryFileReader({
    ...FILES,
    [LAST]: { 'fraud.yaml': 'version: v1\n', 'churn.yaml': 'version: v1\n' },
  });
  const { result, warnings } = await mergeJob(w);
  expect(result.skipped).toEqual([
    { model: 'fraud', why: 'v2 was already withdrawn: superseded by a new head aaaaaaa', kind: 'note' },
  ]);
  expect(warnings).toEqual([]);
});
