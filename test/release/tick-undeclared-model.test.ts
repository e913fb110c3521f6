import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { handlePullRequest } from '../../src/release/pull-request.js';
import { runSchedule } from '../../src/release/schedule.js';
import { type FakeGitHub, startFakeGitHub } from '../support/fake-github/server.js';
import { sha } from '../support/model-config.js';
import { configOf, gitHubJob, prEvent, REPO, STEP_1, STEP_2, twoModelsWorld } from './two-models-world.js';

// A model removed from the config (or renamed) while its candidate takes live traffic: a schedule
// tick reads only the models its config names, so it drove the others and said nothing of that
// candidate, which kept its traffic for ever; and a PR's run on the local ledger (`model-gate run`)
// did not check its releases at all. Both now fail naming the model and what to do, the tick once
// its other models were driven and recorded.

const BOTH = configOf();
const CHURN_ONLY = configOf(['churn']);
const why = (pr: number) =>
  `PR #${pr}'s candidate v2 is analysing, but the config no longer names fraud: no run can drive or withdraw it, and v2 may still get live traffic. Put fraud back in the config as it was, or run command: abort with a config naming it, before removing or renaming it`;

describe('the ledger in a file (model-gate run)', () => {
  it('a tick under a config without fraud drives churn, leaves fraud as it is, and fails naming fraud', async () => {
    const w = await twoModelsWorld();
    await w.prJob(BOTH, 7);
    await w.prJob(BOTH, 8);
    w.clock.advance(20_000);

    const { defects, ...result } = await w.tick(CHURN_ONLY);
    expect(w.platforms.churn.state).toEqual(STEP_2);
    expect(await w.file.release('churn')).toMatchObject({ status: 'analysing', phase: 1 });
    expect(w.platforms.fraud.state).toEqual(STEP_1);
    expect(await w.file.release('fraud')).toMatchObject({ status: 'analysing', phase: 0 });
    expect(result.skipped).toContainEqual({ model: 'fraud', why: why(7), kind: 'note' });
    expect(result.skipped.map((s) => s.why)).not.toContain('no release is analysing');
    expect(w.warnings).toContain(`fraud: ${why(7)}`);
    expect(defects.map((d) => d.message)).toEqual([`fraud: ${why(7)}`]);

    // Under the config that names fraud again, the tick drives it as before.
    const again = await w.tick(BOTH);
    expect(again.defects).toEqual([]);
    expect(w.platforms.fraud.state).toEqual(STEP_2);
  });

  it("PR #7's next push under a config without fraud fails naming it, and leaves its candidate as it is", async () => {
    const w = await twoModelsWorld();
    await w.prJob(BOTH, 7);
    await expect(w.prJob(CHURN_ONLY, 7, 'synchronize')).rejects.toThrow(`fraud: ${why(7)}`);
    expect(w.platforms.fraud.state).toEqual(STEP_1);
    expect(await w.file.release('fraud')).toMatchObject({ status: 'analysing', phase: 0 });
  });

  it('a candidate of the removed model that is ready (no live traffic) does not fail the tick', async () => {
    const w = await twoModelsWorld();
    await w.prJob(BOTH, 7);
    for (let i = 0; i < 2; i++) {
      w.clock.advance(20_000);
      await w.tick(BOTH);
    }
    expect(await w.file.release('fraud')).toMatchObject({ status: 'ready' });
    const { defects } = await w.tick(CHURN_ONLY);
    expect(defects).toEqual([]);
  });
});

describe('the ledger on GitHub (a PR comment)', () => {
  let github: FakeGitHub;
  beforeEach(async () => {
    github = await startFakeGitHub(REPO);
    github.setPullRequest(9, { baseSha: sha(1), headSha: sha(9), files: [] });
  });
  afterEach(async () => {
    expect(github.violations).toEqual([]);
    await github.close();
  });

  it('a tick under a config without fraud drives churn of the same PR, records it, and fails naming fraud', async () => {
    const w = await twoModelsWorld();
    const opened = gitHubJob(w, github.url, BOTH, 9);
    await opened.publish(
      await handlePullRequest(BOTH, prEvent(9), opened.ports, { mode: 'tick', maxWaitMs: 0, dryRun: false }),
    );
    expect(w.platforms.fraud.state).toEqual(STEP_1);
    expect(w.platforms.churn.state).toEqual(STEP_1);
    w.clock.advance(20_000);

    const ticked = gitHubJob(w, github.url, CHURN_ONLY);
    const { defects, ...result } = await runSchedule(CHURN_ONLY, ticked.ports, {
      mode: 'tick',
      maxWaitMs: 0,
    });
    await ticked.publish(result);
    expect(w.platforms.churn.state).toEqual(STEP_2);
    expect(w.platforms.fraud.state).toEqual(STEP_1);
    const recorded = await gitHubJob(w, github.url, BOTH, 9).ledger.releasesOf(9);
    expect(recorded.get('churn')).toMatchObject({ status: 'analysing', phase: 1 });
    expect(recorded.get('fraud')).toMatchObject({ status: 'analysing', phase: 0 });
    expect(result.skipped).toContainEqual({ model: 'fraud', why: why(9), kind: 'note' });
    expect(defects.map((d) => d.message)).toEqual([`fraud: ${why(9)}`]);
  });
});
