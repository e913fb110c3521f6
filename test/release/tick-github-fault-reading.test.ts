import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { handlePullRequest } from '../../src/release/pull-request.js';
import { runSchedule } from '../../src/release/schedule.js';
import { type FakeGitHub, startFakeGitHub } from '../support/fake-github/server.js';
import { sha } from '../support/model-config.js';
import {
  configOf,
  fraudIdlePending,
  gitHubJob,
  prEvent,
  REPO,
  STEP_1,
  STEP_2,
  twoModelsWorld,
} from './two-models-world.js';

// A schedule tick reads each model's release before driving any, and finishes the change to idle
// of a ready one whose record says it is pending. GitHub failing (every retry) while it did so for
// one model stopped the whole tick there: the models after it were not driven, and a change to idle
// already made lived only in memory. That model is now left as it is with a line saying why, the
// others are driven and recorded, and the run fails at the end naming it, in the words a model
// whose driving GitHub stopped gets.

const BOTH = configOf();
const NEXT_TICK = '; the next tick tries again';

describe('GitHub failing while a tick reads the first model’s canary slot', () => {
  let github: FakeGitHub;
  beforeEach(async () => {
    github = await startFakeGitHub(REPO);
    for (const n of [7, 8]) github.setPullRequest(n, { baseSha: sha(1), headSha: sha(n), files: [] });
  });
  afterEach(async () => {
    expect(github.violations).toEqual([]);
    await github.close();
  });

  it('drives and records churn, leaves fraud as it is, and fails naming fraud and GitHub’s answer', async () => {
    const w = await twoModelsWorld();
    for (const n of [7, 8]) {
      const job = gitHubJob(w, github.url, BOTH, n);
      await job.publish(
        await handlePullRequest(BOTH, prEvent(n), job.ports, { mode: 'tick', maxWaitMs: 0, dryRun: false }),
      );
    }
    w.clock.advance(20_000);

    // fraud's claims are listed first: that listing fails, its retries included (1 + 3).
    github.failNext('GET', '/repos/{owner}/{repo}/deployments', 502, 4);
    const tick = gitHubJob(w, github.url, BOTH);
    const { defects, ...result } = await runSchedule(BOTH, tick.ports, { mode: 'tick', maxWaitMs: 0 });
    await tick.publish(result);

    expect(w.platforms.churn.state).toEqual(STEP_2);
    expect((await gitHubJob(w, github.url, BOTH, 8).ledger.release('churn'))?.phase).toBe(1);
    expect(w.platforms.fraud.state).toEqual(STEP_1);
    expect((await gitHubJob(w, github.url, BOTH, 7).ledger.release('fraud'))?.phase).toBe(0);
    const line = result.skipped.find((s) => s.model === 'fraud');
    expect(line?.why).toMatch(
      /^this tick stopped driving its release: GitHub answered 502 to GET \S+\/deployments/,
    );
    expect(line?.why).toMatch(/: Server Error; the next tick tries again$/);
    expect(w.warnings).toContain(`fraud: ${line?.why}`);
    expect(defects.map((d) => d.message)).toEqual([`fraud: ${line?.why}`]);
  });
});

describe('GitHub failing while a tick finishes the first model’s pending change to idle', () => {
  it('drives and records churn, and fails naming fraud and GitHub’s answer', async () => {
    const w = await twoModelsWorld();
    // GitHub fails the read that guards fraud's change to idle, whenever its record says ready.
    await fraudIdlePending(w, BOTH);
    expect(await w.file.release('fraud')).toMatchObject({ status: 'ready', idlePending: true });
    await w.prJob(BOTH, 8);
    w.clock.advance(20_000);

    const { defects, ...result } = await w.tick(BOTH);
    expect(w.platforms.churn.state).toEqual(STEP_2);
    expect(await w.file.release('churn')).toMatchObject({ status: 'analysing', phase: 1 });
    expect(w.platforms.fraud.state).toEqual(STEP_2);
    expect(await w.file.release('fraud')).toMatchObject({ status: 'ready', idlePending: true });
    const why = `this tick stopped driving its release: GitHub answered 502: GitHub 502 Bad Gateway${NEXT_TICK}`;
    expect(result.skipped).toContainEqual({ model: 'fraud', why, kind: 'note' });
    expect(defects.map((d) => d.message)).toEqual([`fraud: ${why}`]);
  });
});
